"""The WebSocket protocol: every message from the page is parsed and validated here.

Client -> server messages are JSON objects with a ``type``:

- ``{"type": "config", "config": {...}}``  the whole set-up (see :class:`Config`); resets training.
- ``{"type": "play"}``, ``{"type": "pause"}``, ``{"type": "step"}``, ``{"type": "reset"}``.
- ``{"type": "ack", "frame": n}``  the page has drawn frame ``n`` (flow control).
- ``{"type": "upload", "csv": "x1,x2,label\\n..."}``  the user's own points (see :mod:`.userdata`).
- ``{"type": "points", "problem": p, "points": [[x1, x2, y], ...]}``  points drawn by clicking, in
  page units; ``p`` is "binary", "multiclass" or "regression".

Anything else, malformed JSON, a message over :data:`MAX_MESSAGE_BYTES`, an unknown or missing
field, a value of the wrong type or out of range raises :class:`ProtocolError` naming the field and
the value; the server turns it into an ``{"type": "error"}`` message and keeps the session alive.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Any

from reglab.core.activations import ACTIVATIONS

from .datasets import DATASETS, FEATURES

__all__ = ["MAX_MESSAGE_BYTES", "LIMITS", "Config", "ProtocolError", "parse_config",
           "parse_message"]

MAX_MESSAGE_BYTES = 256 * 1024  # a 2000-point CSV is ~60 KB; anything far larger is abuse
MESSAGE_TYPES = ("config", "play", "pause", "step", "reset", "ack", "upload", "points")
OPTIMIZERS = ("sgd", "momentum", "adam")
REGULARIZATIONS = ("none", "l1", "l2")
_FIELDS = {"config": ("config",), "ack": ("frame",), "upload": ("csv",),
           "points": ("points", "problem")}

LIMITS: dict[str, Any] = {
    "max_layers": 6, "max_neurons": 8, "n_samples": (50, 2000), "noise": (0, 50),
    "train_ratio": (10, 90), "batch_size": (1, 500), "learning_rate": (1e-6, 10.0),
    "reg_rate": (0.0, 10.0), "dropout": (0.0, 0.9), "seed": (0, 2**31 - 1),
    "max_message_bytes": MAX_MESSAGE_BYTES,
}


class ProtocolError(ValueError):
    """A client message that cannot be accepted; ``field`` names the offending part."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Config:
    """One playground set-up. Percentages are integers as the page shows them.

    ``layers[i]`` neurons in hidden layer i (0-6 layers of 1-8), ``activations[i]`` its activation
    (a reglab activation name). ``dataset == "custom"`` uses the points the user uploaded or drew.
    """

    dataset: str = "circle"
    n_samples: int = 500
    noise: int = 0
    train_ratio: int = 50
    batch_size: int = 10
    features: tuple[str, ...] = ("x1", "x2")
    layers: tuple[int, ...] = (4, 2)
    activations: tuple[str, ...] = ("tanh", "tanh")
    learning_rate: float = 0.03
    optimizer: str = "sgd"
    regularization: str = "none"
    reg_rate: float = 0.0
    dropout: float = 0.0
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


def _number(cfg: dict, key: str, lo: float, hi: float, integer: bool) -> float | int:
    value = cfg[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProtocolError(f"{key} must be a number, got {value!r}", key)
    if not math.isfinite(value) or not lo <= value <= hi:
        raise ProtocolError(f"{key}={value!r} is outside [{lo}, {hi}]", key)
    if integer:
        if value != int(value):
            raise ProtocolError(f"{key} must be a whole number, got {value!r}", key)
        return int(value)
    return float(value)


def _choice(cfg: dict, key: str, allowed) -> str:
    value = cfg[key]
    if not isinstance(value, str) or value not in allowed:
        raise ProtocolError(f"{key}={value!r} is not one of {sorted(allowed)}", key)
    return value


def _str_list(cfg: dict, key: str, allowed, max_len: int) -> tuple[str, ...]:
    value = cfg[key]
    if not isinstance(value, list) or len(value) > max_len:
        raise ProtocolError(f"{key} must be a list of at most {max_len} names", key)
    for i, v in enumerate(value):
        if not isinstance(v, str) or v not in allowed:
            raise ProtocolError(f"{key}[{i}]={v!r} is not one of {sorted(allowed)}", key)
    return tuple(value)


def _layers(cfg: dict) -> tuple[int, ...]:
    value = cfg["layers"]
    if not isinstance(value, list) or len(value) > LIMITS["max_layers"]:
        raise ProtocolError(f"layers must be a list of at most {LIMITS['max_layers']} sizes",
                            "layers")
    for i, v in enumerate(value):
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= LIMITS["max_neurons"]:
            raise ProtocolError(f"layers[{i}]={v!r}: a layer has 1 to {LIMITS['max_neurons']} "
                                "neurons", "layers")
    return tuple(value)


def parse_config(raw: Any, custom_available: bool = False) -> Config:
    """Validate a config object from the page; missing keys take the :class:`Config` defaults."""
    if not isinstance(raw, dict):
        raise ProtocolError(f"config must be an object, got {type(raw).__name__}", "config")
    defaults = Config().to_dict()
    unknown = sorted(set(raw) - set(defaults))
    if unknown:
        raise ProtocolError(f"unknown config field {unknown[0]!r}", unknown[0])
    cfg = {**defaults, **raw}
    datasets = {*DATASETS, "custom"}
    out: dict[str, Any] = {"dataset": _choice(cfg, "dataset", datasets)}
    if out["dataset"] == "custom" and not custom_available:
        raise ProtocolError("dataset 'custom' needs points: upload a CSV or draw points first",
                            "dataset")
    for key in ("n_samples", "noise", "train_ratio", "batch_size", "seed"):
        out[key] = _number(cfg, key, *LIMITS[key], integer=True)
    for key in ("learning_rate", "reg_rate", "dropout"):
        out[key] = _number(cfg, key, *LIMITS[key], integer=False)
    out["optimizer"] = _choice(cfg, "optimizer", OPTIMIZERS)
    out["regularization"] = _choice(cfg, "regularization", REGULARIZATIONS)
    out["features"] = _str_list(cfg, "features", FEATURES, len(FEATURES))
    if not out["features"] or len(set(out["features"])) != len(out["features"]):
        raise ProtocolError("features must name at least one input, each once", "features")
    out["layers"] = _layers(cfg)
    acts = _str_list(cfg, "activations", ACTIVATIONS, LIMITS["max_layers"])
    if len(acts) != len(out["layers"]):
        raise ProtocolError(f"activations has {len(acts)} entries for {len(out['layers'])} "
                            "hidden layers", "activations")
    out["activations"] = acts
    return Config(**out)


def parse_message(text: str | bytes) -> dict[str, Any]:
    """Decode one client message; raises :class:`ProtocolError` for anything malformed."""
    size = len(text.encode() if isinstance(text, str) else text)
    if size > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message of {size} bytes exceeds the limit of {MAX_MESSAGE_BYTES}",
                            "message")
    try:
        msg = json.loads(text)
    except (ValueError, UnicodeDecodeError) as err:
        raise ProtocolError(f"message is not valid JSON: {err}", "message") from None
    if not isinstance(msg, dict):
        raise ProtocolError("message must be a JSON object", "message")
    kind = msg.get("type")
    if kind not in MESSAGE_TYPES:
        raise ProtocolError(f"unknown message type {kind!r}; expected one of {list(MESSAGE_TYPES)}",
                            "type")
    allowed = {"type", *_FIELDS.get(kind, ())}
    extra = sorted(set(msg) - allowed)
    if extra:
        raise ProtocolError(f"unexpected field {extra[0]!r} in a {kind!r} message", extra[0])
    if kind == "ack" and (isinstance(msg.get("frame"), bool)
                          or not isinstance(msg.get("frame"), int)):
        raise ProtocolError(f"ack needs an integer frame, got {msg.get('frame')!r}", "frame")
    if kind == "upload" and not isinstance(msg.get("csv"), str):
        raise ProtocolError("upload needs the file's text in 'csv'", "csv")
    return msg
