"""The app behind a real uvicorn server on loopback (the options serve() uses): message-size
limits as a browser meets them, and a second tab served while the first misbehaves."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest

uvicorn = pytest.importorskip("uvicorn")
ws_sync = pytest.importorskip("websockets.sync.client")

from websockets.exceptions import ConnectionClosed  # noqa: E402

from reglab.playground import create_app  # noqa: E402
from reglab.playground.protocol import MAX_MESSAGE_BYTES  # noqa: E402
from reglab.playground.server import uvicorn_options  # noqa: E402


@pytest.fixture(scope="module")
def url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(4), **uvicorn_options("127.0.0.1", port)))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"ws://127.0.0.1:{port}/ws"
    server.should_exit = True
    thread.join(timeout=10)


def _next(ws, kind):
    for _ in range(20):
        msg = json.loads(ws.recv(timeout=20))
        if msg["type"] == kind:
            return msg
    raise AssertionError(f"no {kind!r}")


def test_size_limits_over_a_real_socket(url):
    with ws_sync.connect(url, max_size=2**22) as ws:
        _next(ws, "frame")
        # Over our limit but under the transport's: a readable error, the session lives on.
        ws.send(json.dumps({"type": "upload", "csv": "1" * (MAX_MESSAGE_BYTES + 1)}))
        assert "exceeds the limit" in _next(ws, "error")["message"]
        ws.send(json.dumps({"type": "step"}))
        assert _next(ws, "frame")["epoch"] == 1
        # Far over it (> 4x): the transport closes with 1009 "message too big".
        ws.send("x" * (4 * MAX_MESSAGE_BYTES + 1))
        with pytest.raises(ConnectionClosed) as info:
            for _ in range(20):
                ws.recv(timeout=20)
        assert "1009" in str(info.value)
    # The server is unharmed: a new tab gets a session.
    with ws_sync.connect(url, max_size=2**22) as ws:
        assert _next(ws, "hello")["session"]


def test_two_tabs_one_playing_one_sending_garbage(url):
    with ws_sync.connect(url, max_size=2**22) as a, ws_sync.connect(url, max_size=2**22) as b:
        _next(a, "frame")
        _next(b, "frame")
        a.send(json.dumps({"type": "play"}))
        for i in range(5):
            b.send(["{", "[]", '{"type": 1}', "null", "\u00ff" * 10][i])
            assert _next(b, "error")["field"] in ("message", "type")
            frame = _next(a, "frame")
            a.send(json.dumps({"type": "ack", "frame": frame["frame"]}))
        a.send(json.dumps({"type": "pause"}))
        assert _next(a, "state")["playing"] is False


def test_flow_control_two_frames_in_flight(url):
    """Unacknowledged frames stop the stream at MAX_IN_FLIGHT (2); an ack resumes it. Frames
    sent before play (here the config reply, never acked) do not count."""
    with ws_sync.connect(url, max_size=2**22) as ws:
        _next(ws, "frame")
        ws.send(json.dumps({"type": "config", "config": {"batch_size": 250}}))
        _next(ws, "frame")
        ws.send(json.dumps({"type": "play"}))
        first, second = _next(ws, "frame"), _next(ws, "frame")
        assert second["frame"] == first["frame"] + 1
        with pytest.raises(TimeoutError):
            ws.recv(timeout=1.0)
        ws.send(json.dumps({"type": "ack", "frame": first["frame"]}))
        assert _next(ws, "frame")["frame"] == second["frame"] + 1
        ws.send(json.dumps({"type": "pause"}))
