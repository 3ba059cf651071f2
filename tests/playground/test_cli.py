"""serve() argument checks, the typer command that register() adds, and the worker app factory."""

from __future__ import annotations

import pytest

from reglab.playground import register, serve
from reglab.playground.server import url_for


@pytest.mark.parametrize("kwargs, needle", [
    ({"port": 70000}, "port must be in 0..65535"),
    ({"port": -1}, "port must be in 0..65535"),
    ({"max_sessions": 0}, "max_sessions and workers must be >= 1"),
    ({"workers": 0}, "max_sessions and workers must be >= 1"),
])
def test_serve_rejects_bad_arguments_before_binding(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        serve(open_browser=False, **kwargs)


def test_url_for():
    assert url_for("127.0.0.1", 8000) == "http://localhost:8000/"
    assert url_for("0.0.0.0", 9) == "http://localhost:9/"
    assert url_for("192.0.2.7", 8080) == "http://192.0.2.7:8080/"


def test_register_adds_the_playground_command(monkeypatch):
    typer = pytest.importorskip("typer")
    from typer.testing import CliRunner

    import reglab.playground.server as server

    app = typer.Typer()

    @app.command()
    def other() -> None:  # a second command so typer keeps subcommand names
        """Placeholder sibling command."""

    register(app)
    calls = []
    monkeypatch.setattr(server, "serve", lambda **kw: calls.append(kw))
    runner = CliRunner()
    result = runner.invoke(app, ["playground", "--help"])
    assert result.exit_code == 0
    for flag in ("--port", "--host", "--no-browser", "--max-sessions", "--workers"):
        assert flag in result.output
    result = runner.invoke(app, ["playground", "--port", "8123", "--no-browser"])
    assert result.exit_code == 0, result.output
    assert "http://localhost:8123/" in result.output
    assert calls == [{"host": "127.0.0.1", "port": 8123, "open_browser": False,
                      "max_sessions": 32, "workers": 1}]


def test_worker_app_factory_reads_the_cap(monkeypatch):
    from reglab.playground.app import app_from_env

    monkeypatch.setenv("REGLAB_PLAYGROUND_MAX_SESSIONS", "5")
    assert app_from_env().state.manager.max_sessions == 5
    monkeypatch.setenv("REGLAB_PLAYGROUND_MAX_SESSIONS", "many")
    with pytest.raises(ValueError, match="'many'"):
        app_from_env()


def test_missing_extra_is_named(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "uvicorn":
            raise ImportError("No module named 'uvicorn'", name="uvicorn")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"uvicorn is missing.*reglab\[playground\]"):
        serve(open_browser=False)
