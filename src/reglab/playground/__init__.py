"""reglab.playground: a local web page to tinker with a neural network trained by reglab.

``serve()`` starts it (``reglab playground`` on the command line); ``create_app()`` is the
starlette application for embedding or testing. See ``docs/playground.md``.
"""

from reglab.playground.server import register, serve

__all__ = ["serve", "register", "create_app"]


def create_app(max_sessions: int = 32):
    """The starlette app (imported lazily: starlette is the optional ``playground`` extra)."""
    from reglab.playground.app import create_app as _create

    return _create(max_sessions)
