import pytest

from reglab.cli import main


@pytest.fixture
def run(capsys):
    """Run ``reglab ARGS`` in-process; returns (exit code, stdout, stderr)."""

    def _run(*args):
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return _run
