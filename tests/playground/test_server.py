"""The starlette app over starlette's TestClient: pages, the WebSocket protocol, validation,
session isolation, the session cap and clean-up when a tab closes."""

from __future__ import annotations

import base64
import json
import time

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from reglab.core.activations import ACTIVATIONS
from reglab.playground import create_app
from reglab.playground.frames import NEURON_SIDE, OUTPUT_SIDE
from reglab.playground.protocol import MAX_MESSAGE_BYTES


@pytest.fixture
def app():
    return create_app(max_sessions=3)


@pytest.fixture
def client(app):
    with TestClient(app) as c:
        yield c


def _until(ws, kind, limit=50):
    """Next message of type ``kind`` (skipping others, e.g. frames already in flight)."""
    for _ in range(limit):
        msg = ws.receive_json()
        if msg["type"] == kind:
            return msg
    raise AssertionError(f"no {kind!r} message in {limit}")


def _open(ws):
    hello, data, frame = ws.receive_json(), ws.receive_json(), ws.receive_json()
    assert [hello["type"], data["type"], frame["type"]] == ["hello", "data", "frame"]
    return hello, data, frame


def test_page_static_files_and_options(client):
    page = client.get("/")
    assert page.status_code == 200 and "reglab <b>playground</b>" in page.text
    for path in ("/static/playground.js", "/static/paint.js", "/static/playground.css"):
        assert client.get(path).status_code == 200
    opts = client.get("/api/options").json()
    assert opts["activations"] == sorted(ACTIVATIONS)
    assert {d["name"] for d in opts["datasets"]} >= {"circle", "xor", "gauss", "spiral", "plane",
                                                     "multigauss", "spiral3"}
    assert "<script src=\"http" not in page.text  # nothing from a CDN


def test_first_frame_layout(client):
    with client.websocket_connect("/ws") as ws:
        hello, data, frame = _open(ws)
        assert data["config"]["layers"] == [4, 2] and data["problem"] == "binary"
        assert len(data["train"]) + len(data["test"]) == 500
        assert frame["epoch"] == 0 and frame["generation"] == data["generation"]
        out = base64.b64decode(frame["output"]["maps"][0])
        assert len(out) == OUTPUT_SIDE ** 2
        assert [len(layer) for layer in frame["neurons"]] == [4, 2]
        assert len(base64.b64decode(frame["neurons"][0][0][0])) == NEURON_SIDE ** 2
        assert [len(W) for W in frame["weights"]] == [2, 4, 2]  # rows = inputs of each layer
        assert 0.3 < frame["test_loss"] < 2 and 0 <= frame["test_accuracy"] <= 1


def test_config_step_reset_cycle(client):
    with client.websocket_connect("/ws") as ws:
        _, data0, _ = _open(ws)
        cfg = {"dataset": "spiral3", "layers": [8, 8], "activations": ["elu", "gelu"],
               "features": ["x1", "x2", "sinx1", "sinx2"], "optimizer": "adam",
               "learning_rate": 0.01, "dropout": 0.1, "regularization": "l2", "reg_rate": 0.001}
        ws.send_json({"type": "config", "config": cfg})
        data = _until(ws, "data")
        assert data["problem"] == "multiclass" and data["n_classes"] == 3
        assert data["generation"] > data0["generation"]
        assert data["inputs"]["sinx1"][0] == "sin(X\u2081)" and len(data["inputs"]) == 7
        frame = _until(ws, "frame")
        assert len(frame["output"]["maps"]) == 3 and frame["weights"][-1][0].__len__() == 3
        ws.send_json({"type": "step"})
        assert _until(ws, "frame")["epoch"] == 1
        ws.send_json({"type": "reset"})
        reset = _until(ws, "frame")
        assert reset["epoch"] == 0 and reset["generation"] > frame["generation"]


def test_glm_mode_frame_has_no_hidden_layer(client):
    with client.websocket_connect("/ws") as ws:
        _open(ws)
        ws.send_json({"type": "config", "config": {"layers": [], "activations": []}})
        _until(ws, "data")
        frame = _until(ws, "frame")
        assert frame["neurons"] == [] and len(frame["weights"]) == 1


@pytest.mark.parametrize("raw, field", [
    ("this is not json", "message"),
    (json.dumps({"type": "launch"}), "type"),
    (json.dumps({"type": "config", "config": {"layers": [99], "activations": ["tanh"]}}),
     "layers"),
    (json.dumps({"type": "config", "config": {"learning_rate": -1}}), "learning_rate"),
    (json.dumps({"type": "config", "config": {"activations": ["tanh", "nope"]}}), "activations"),
    (json.dumps({"type": "upload", "csv": "a,b\n1,2"}), "csv"),
    (json.dumps({"type": "points", "problem": "binary", "points": [[0, 0, 9]] * 4}), "points"),
    (json.dumps({"type": "upload", "csv": "x" * (MAX_MESSAGE_BYTES + 10)}), "message"),
])
def test_bad_messages_get_an_error_and_the_session_lives_on(client, raw, field):
    with client.websocket_connect("/ws") as ws:
        _, data, _ = _open(ws)
        ws.send_text(raw)
        err = _until(ws, "error")
        assert err["field"] == field and err["message"]
        # Unchanged and still usable: a step trains the original network.
        ws.send_json({"type": "step"})
        frame = _until(ws, "frame")
        assert frame["epoch"] == 1 and frame["generation"] == data["generation"]


def test_binary_websocket_frames_are_validated_too(client):
    with client.websocket_connect("/ws") as ws:
        _open(ws)
        ws.send_bytes(b"\xff\xfe garbage")
        assert _until(ws, "error")["field"] == "message"


def test_upload_then_custom_dataset(client):
    csv = "a,b,kind\n" + "\n".join(f"{i % 7},{(i * 3) % 11},{'yes' if i % 7 > 3 else 'no'}"
                                   for i in range(40))
    with client.websocket_connect("/ws") as ws:
        _open(ws)
        ws.send_json({"type": "upload", "csv": csv})
        data = _until(ws, "data")
        assert data["config"]["dataset"] == "custom" and data["class_names"] == ["no", "yes"]
        assert len(data["train"]) + len(data["test"]) == 40
        _until(ws, "frame")
        ws.send_json({"type": "config", "config": {**data["config"], "layers": [3],
                                                   "activations": ["relu"]}})
        assert _until(ws, "data")["config"]["dataset"] == "custom"


def test_drawn_points_regression(client):
    pts = [[-4, -4, -1], [4, 4, 1], [-4, 4, 0], [4, -4, 0], [0, 0, 0.2]]
    with client.websocket_connect("/ws") as ws:
        _open(ws)
        ws.send_json({"type": "points", "problem": "regression", "points": pts})
        data = _until(ws, "data")
        assert data["problem"] == "regression" and data["config"]["dataset"] == "custom"
        assert _until(ws, "frame")["output"]["kind"] == "regression"


def test_play_streams_frames_with_acks_and_pause_stops(client):
    with client.websocket_connect("/ws") as ws:
        _open(ws)
        # One mini-batch per epoch (250 training points): every frame is exactly one epoch,
        # whatever the machine's speed.
        ws.send_json({"type": "config", "config": {"batch_size": 250}})
        _until(ws, "data")
        _until(ws, "frame")
        ws.send_json({"type": "play"})
        assert _until(ws, "state")["playing"] is True
        epochs = []
        for _ in range(6):
            frame = _until(ws, "frame")
            epochs.append(frame["epoch"])
            ws.send_json({"type": "ack", "frame": frame["frame"]})
        assert epochs == [1, 2, 3, 4, 5, 6]
        ws.send_json({"type": "pause"})
        assert _until(ws, "state")["playing"] is False


def test_each_tab_has_its_own_session(client, app):
    with client.websocket_connect("/ws") as a, client.websocket_connect("/ws") as b:
        ha, _, _ = _open(a)
        hb, _, _ = _open(b)
        assert ha["session"] != hb["session"] and len(app.state.manager) == 2
        a.send_json({"type": "config", "config": {"dataset": "xor"}})
        assert _until(a, "data")["config"]["dataset"] == "xor"
        b.send_json({"type": "step"})
        assert _until(b, "frame")["epoch"] == 1
        assert app.state.manager.sessions[hb["session"]].config.dataset == "circle"


def test_closed_tab_stops_training_and_frees_its_session(client, app):
    with client.websocket_connect("/ws") as ws:
        hello, _, _ = _open(ws)
        ws.send_json({"type": "play"})
        _until(ws, "frame")
        session = app.state.manager.sessions[hello["session"]]
    deadline = time.monotonic() + 5
    while len(app.state.manager) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(app.state.manager) == 0
    epoch = session.model.epoch
    time.sleep(0.3)
    assert session.model.epoch == epoch  # nothing trains it any more


def test_session_cap(client, app):
    with client.websocket_connect("/ws") as a, client.websocket_connect("/ws") as b, \
            client.websocket_connect("/ws") as c:
        for ws in (a, b, c):
            _open(ws)
        with client.websocket_connect("/ws") as d:
            err = d.receive_json()
            assert err["type"] == "error" and "full (3 sessions)" in err["message"]
            with pytest.raises(WebSocketDisconnect) as info:
                d.receive_json()
            assert info.value.code == 1013  # "try again later"
        assert len(app.state.manager) == 3


def test_divergence_is_reported_and_the_network_kept(client):
    # A huge SGD step on an unbounded ReLU regression overflows float32 within a few epochs.
    cfg = {"dataset": "plane", "layers": [8, 8], "activations": ["relu", "relu"],
           "features": ["x1", "x2", "x1sq", "x2sq", "x1x2"], "learning_rate": 10,
           "optimizer": "sgd", "batch_size": 1}
    with client.websocket_connect("/ws") as ws:
        _open(ws)
        ws.send_json({"type": "config", "config": cfg})
        _until(ws, "data")
        _until(ws, "frame")
        msg = None
        for _ in range(10):
            ws.send_json({"type": "step"})
            msg = ws.receive_json()
            while msg["type"] not in ("frame", "error"):
                msg = ws.receive_json()
            if msg["type"] == "error":
                break
        assert msg["type"] == "error" and "diverged" in msg["message"]
        ws.send_json({"type": "config", "config": {**cfg, "learning_rate": 0.001}})
        assert _until(ws, "frame")["train_loss"] is not None
