"""Architecture arguments of a network, checked, and layers rebuilt from their specs.

Used by :mod:`reglab.nn.network` (``Sequential``, ``build_network``) and by the MLP estimators'
parameter checks; the public names are re-exported from :mod:`reglab.nn.network`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from reglab.nn.layers import Activation, Dense, Dropout, Layer

__all__ = ["layer_from_spec", "dtype_name", "check_hidden_sizes"]


def _default_init(activation: str) -> str:
    """The activation's own recommendation (``Activation.init``): He for the ReLU family,
    Glorot for tanh/sigmoid/identity, LeCun for SELU."""
    try:
        from reglab.core.activations import get_activation

        return getattr(get_activation(activation), "init", "glorot")
    except (ImportError, ValueError, KeyError):
        return "he" if "relu" in activation else "glorot"


def layer_from_spec(spec: dict) -> Layer:
    kind = spec.get("type")
    if kind == "Dense":
        return Dense(spec["n_in"], spec["n_out"], spec.get("init", "glorot"))
    if kind == "Activation":
        params = {k: v for k, v in spec.items() if k not in ("type", "activation")}
        return Activation(spec["activation"], **params)
    if kind == "Dropout":
        return Dropout(spec["rate"])
    raise ValueError(f"unknown layer type {kind!r} in spec {spec}")


def dtype_name(dtype: Any) -> str:
    """``"float32"`` or ``"float64"`` for any spelling NumPy reads (``"float32"``, ``np.float32``,
    ``np.dtype("float32")``, ``"f4"``); ValueError for anything else."""
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = str(dtype)
    if name not in ("float32", "float64"):
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return name


def check_hidden_sizes(sizes: Any) -> tuple[int, ...]:
    """``hidden_layer_sizes`` as a tuple of ints: one size or a sequence of them, each a positive
    integer (Python or NumPy); 4.5 or "10" is refused naming the entry, not rounded or parsed."""
    seq = [sizes] if isinstance(sizes, str) or np.ndim(sizes) == 0 else list(sizes)
    for i, h in enumerate(seq):
        if isinstance(h, bool) or not isinstance(h, int | np.integer) or h < 1:
            raise ValueError(f"hidden_layer_sizes entries must be positive integers; entry {i} "
                             f"is {h!r} (in {sizes!r})")
    return tuple(int(h) for h in seq)
