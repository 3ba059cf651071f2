import os

import pytest

from reglab.cli import main

# the CLI keeps JAX's compiled kernels on disk; in the tests, inside the checkout
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("REGLAB_JAX_CACHE", os.path.join(ROOT, ".pytest_cache", "reglab-jax"))


@pytest.fixture
def run(capsys):
    """Run ``reglab ARGS`` in-process; returns (exit code, stdout, stderr)."""

    def _run(*args):
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return _run
