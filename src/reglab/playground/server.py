"""Running the playground: :func:`serve` (uvicorn on loopback) and ``reglab playground``.

The CLI wires it with :func:`register`::

    from reglab.playground import register
    register(app)          # adds `reglab playground [--host H] [--port P] [--no-browser]`
"""

from __future__ import annotations

import os
import socket
import threading
import time
import webbrowser
from typing import Any

from .protocol import MAX_MESSAGE_BYTES

MAX_SESSIONS_ENV = "REGLAB_PLAYGROUND_MAX_SESSIONS"

__all__ = ["serve", "register", "uvicorn_options", "url_for"]


def url_for(host: str, port: int) -> str:
    """The address a browser on this machine should open for a server bound to ``host``."""
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::", "localhost") else host
    return f"http://{shown}:{port}/"


def _open_when_ready(host: str, port: int) -> None:
    """Open the browser once the port accepts connections (polls for up to 20 s)."""
    target = "127.0.0.1" if host in ("0.0.0.0", "::", "localhost") else host

    def wait() -> None:
        for _ in range(400):
            try:
                socket.create_connection((target, port), timeout=0.2).close()
            except OSError:
                time.sleep(0.05)
                continue
            webbrowser.open(url_for(host, port))
            return

    threading.Thread(target=wait, daemon=True).start()


def uvicorn_options(host: str, port: int, log_level: str = "warning") -> dict:
    """Keyword arguments for ``uvicorn.Config`` / ``uvicorn.run`` used by :func:`serve`."""
    # uvicorn drops (close code 1009) any frame over ws_max_size before our own check sees it;
    # set it above our limit so that oversized-but-plausible messages get a readable error.
    return {"host": host, "port": port, "log_level": log_level,
            "ws_max_size": 4 * MAX_MESSAGE_BYTES, "ws_ping_interval": 20.0,
            "ws_ping_timeout": 20.0}


def serve(host: str = "127.0.0.1", port: int = 8000, open_browser: bool = True,
          max_sessions: int = 32, workers: int = 1, log_level: str = "warning") -> None:
    """Serve the playground at ``http://host:port/`` until interrupted (Ctrl-C).

    Binds to loopback by default: the page trains on this machine's CPU and has no
    authentication, so exposing it on a network is the caller's explicit choice (``host``).
    ``workers > 1`` runs that many server processes (a tab stays in the process that accepted
    it): training is Python-bound, so one process uses about one core whatever the number of
    tabs. ``max_sessions`` is then split evenly between them. Raises ``ValueError`` for a port
    outside 0..65535 or a non-positive ``max_sessions`` / ``workers``.
    """
    try:
        import starlette  # noqa: F401 - checked here so the message names the extra
        import uvicorn
    except ImportError as err:
        raise ImportError(f"reglab playground needs starlette and uvicorn ({err.name} is missing):"
                          " pip install 'reglab[playground]'") from err

    if not 0 <= int(port) <= 65535:
        raise ValueError(f"port must be in 0..65535, got {port}")
    if max_sessions < 1 or workers < 1:
        raise ValueError(f"max_sessions and workers must be >= 1, got {max_sessions}, {workers}")
    common = uvicorn_options(host, int(port), log_level)
    if open_browser:
        _open_when_ready(host, int(port))
    if workers == 1:
        from .app import create_app

        uvicorn.Server(uvicorn.Config(create_app(max_sessions), **common)).run()
        return
    # Worker processes import the app by name, so the cap travels in the environment.
    os.environ[MAX_SESSIONS_ENV] = str(-(-max_sessions // workers))
    uvicorn.run("reglab.playground.app:app_from_env", factory=True, workers=workers, **common)


def register(app: Any) -> None:
    """Add the ``playground`` command to a :class:`typer.Typer` application."""
    import typer

    @app.command("playground")
    def playground(
        host: str = typer.Option("127.0.0.1", help="Interface to bind (loopback by default)."),
        port: int = typer.Option(8000, help="TCP port."),
        no_browser: bool = typer.Option(False, "--no-browser", help="Do not open a browser."),
        max_sessions: int = typer.Option(32, help="Most tabs served at once."),
        workers: int = typer.Option(1, help="Server processes (one core each)."),
    ) -> None:
        """A browser page to tinker with a neural network trained by reglab."""
        typer.echo(f"reglab playground at {url_for(host, port)} (Ctrl-C to stop)")
        serve(host=host, port=port, open_browser=not no_browser, max_sessions=max_sessions,
              workers=workers)
