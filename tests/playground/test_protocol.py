"""Message and config validation: every bad input is a ProtocolError naming the field/value."""

from __future__ import annotations

import json

import pytest

from reglab.core.activations import ACTIVATIONS
from reglab.playground.protocol import (
    MAX_MESSAGE_BYTES,
    Config,
    ProtocolError,
    parse_config,
    parse_message,
)


def test_defaults_round_trip():
    cfg = parse_config({})
    assert cfg == Config()
    assert parse_config(cfg.to_dict()) == cfg
    assert json.loads(json.dumps(cfg.to_dict())) == cfg.to_dict()


def test_full_valid_config():
    raw = {"dataset": "spiral", "noise": 25, "train_ratio": 70, "batch_size": 30,
           "features": ["x1", "x2", "sinx1"], "layers": [8, 8, 2],
           "activations": ["elu", "selu", "gelu"], "learning_rate": 0.003, "optimizer": "adam",
           "regularization": "l1", "reg_rate": 0.001, "dropout": 0.2, "seed": 12, "n_samples": 800}
    cfg = parse_config(raw)
    assert cfg.layers == (8, 8, 2) and cfg.activations == ("elu", "selu", "gelu")
    assert cfg.learning_rate == 0.003 and cfg.n_samples == 800


def test_every_registered_activation_is_accepted():
    for name in ACTIVATIONS:
        assert parse_config({"layers": [3], "activations": [name]}).activations == (name,)


def test_glm_mode_no_hidden_layer():
    cfg = parse_config({"layers": [], "activations": []})
    assert cfg.layers == ()


@pytest.mark.parametrize("raw, field, text", [
    ({"noise": 51}, "noise", "noise=51"),
    ({"noise": "5"}, "noise", "'5'"),
    ({"noise": True}, "noise", "True"),
    ({"batch_size": 2.5}, "batch_size", "whole number"),
    ({"learning_rate": 0}, "learning_rate", "learning_rate=0"),
    ({"learning_rate": float("nan")}, "learning_rate", "nan"),
    ({"learning_rate": 1e9}, "learning_rate", "1000000000.0"),
    ({"dropout": 0.95}, "dropout", "0.95"),
    ({"dataset": "moons"}, "dataset", "'moons'"),
    ({"dataset": "custom"}, "dataset", "upload a CSV"),
    ({"optimizer": "lbfgs"}, "optimizer", "'lbfgs'"),
    ({"regularization": "l3"}, "regularization", "'l3'"),
    ({"features": []}, "features", "at least one"),
    ({"features": ["x1", "x1"]}, "features", "each once"),
    ({"features": ["x1", "cos"]}, "features", "features[1]='cos'"),
    ({"features": "x1"}, "features", "list"),
    ({"layers": [4] * 7, "activations": ["tanh"] * 7}, "layers", "at most 6"),
    ({"layers": [9], "activations": ["tanh"]}, "layers", "layers[0]=9"),
    ({"layers": [0], "activations": ["tanh"]}, "layers", "layers[0]=0"),
    ({"layers": [2, 2], "activations": ["tanh"]}, "activations", "1 entries for 2"),
    ({"layers": [2], "activations": ["swishy"]}, "activations", "'swishy'"),
    ({"colour": "red"}, "colour", "'colour'"),
])
def test_bad_config_names_field_and_value(raw, field, text):
    with pytest.raises(ProtocolError, match=None) as info:
        parse_config(raw)
    assert info.value.field == field
    assert text in str(info.value)


def test_custom_allowed_once_points_exist():
    assert parse_config({"dataset": "custom"}, custom_available=True).dataset == "custom"


def test_config_must_be_an_object():
    with pytest.raises(ProtocolError, match="object"):
        parse_config([1, 2])


@pytest.mark.parametrize("text, field", [
    ("{not json", "message"),
    ("[1, 2]", "message"),
    ('{"type": "explode"}', "type"),
    ('{"kind": "play"}', "type"),
    ('{"type": "play", "now": 1}', "now"),
    ('{"type": "ack"}', "frame"),
    ('{"type": "ack", "frame": "3"}', "frame"),
    ('{"type": "upload", "csv": 5}', "csv"),
])
def test_bad_messages(text, field):
    with pytest.raises(ProtocolError) as info:
        parse_message(text)
    assert info.value.field == field


def test_oversized_message_is_refused_before_parsing():
    big = json.dumps({"type": "upload", "csv": "x" * MAX_MESSAGE_BYTES})
    with pytest.raises(ProtocolError, match="exceeds the limit") as info:
        parse_message(big)
    assert info.value.field == "message"


def test_good_messages():
    assert parse_message('{"type": "play"}') == {"type": "play"}
    assert parse_message(b'{"type": "ack", "frame": 3}')["frame"] == 3
    msg = parse_message(json.dumps({"type": "points", "problem": "binary", "points": []}))
    assert msg["problem"] == "binary"


# --- fuzzing: whatever the page (or anyone) sends, validation answers with ProtocolError only --
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=True)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=5),
    max_leaves=8)
_config_keys = st.sampled_from(sorted(Config().to_dict()) + ["bogus"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_config_keys, _json, max_size=6))
def test_fuzz_config_only_protocol_errors(raw):
    try:
        cfg = parse_config(raw)
    except ProtocolError as err:
        assert err.field is not None and str(err)
    else:
        assert isinstance(cfg, Config) and len(cfg.activations) == len(cfg.layers)


@settings(max_examples=60, deadline=None)
@given(st.one_of(_json, st.fixed_dictionaries({"type": st.sampled_from(
    ["config", "play", "ack", "upload", "points", "step"])}, optional={"config": _json,
                                                                      "frame": _json,
                                                                      "csv": _json,
                                                                      "points": _json})))
def test_fuzz_messages_only_protocol_errors(value):
    try:
        text = json.dumps(value)
    except ValueError:
        return
    try:
        msg = parse_message(text)
    except ProtocolError:
        return
    assert isinstance(msg, dict) and msg["type"] in {"config", "play", "ack", "upload", "points",
                                                     "step", "pause", "reset"}
