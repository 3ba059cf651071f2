"""Weight initialisers: Glorot, He, LeCun (matched to the activation) and PyTorch's default.

Each initialiser draws a ``(fan_in, fan_out)`` weight matrix (batch-first layout: ``X @ W``).
The first three choose the variance so that activations keep their scale from layer to layer;
``torch`` is a third of LeCun's (the scale of most PyTorch networks; see
:func:`reglab.nn.build_network` for how the scale changes what one epoch of Adam learns):

.. math::

    \\text{glorot (Xavier)}:\\ \\operatorname{Var} W = \\frac{2}{n_{in} + n_{out}} \\quad
    \\text{(tanh, sigmoid, identity)}

    \\text{he (Kaiming)}:\\ \\operatorname{Var} W = \\frac{2}{n_{in}} \\quad \\text{(ReLU family)}

    \\text{lecun}:\\ \\operatorname{Var} W = \\frac{1}{n_{in}} \\quad \\text{(SELU)}

    \\text{torch}:\\ \\operatorname{Var} W = \\frac{1}{3 n_{in}} \\quad
    \\text{(PyTorch's nn.Linear default, } U(\\pm 1/\\sqrt{n_{in}})\\text{)}

``uniform`` draws from ``U(-a, a)`` with ``a = sqrt(3 Var)``; ``normal`` from ``N(0, Var)``.
Draws use a NumPy ``Generator`` (reproducible from a seed) and are then moved into the requested
array namespace and dtype.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["INITIALIZERS", "glorot", "he", "lecun", "torch_linear", "get_initializer",
           "initialize"]


def _variance_glorot(fan_in: int, fan_out: int) -> float:
    return 2.0 / (fan_in + fan_out)


def _variance_he(fan_in: int, fan_out: int) -> float:
    return 2.0 / fan_in


def _variance_lecun(fan_in: int, fan_out: int) -> float:
    return 1.0 / fan_in


def _variance_torch(fan_in: int, fan_out: int) -> float:
    # kaiming_uniform(a=sqrt(5)): gain^2 = 2 / (1 + 5), bound = gain sqrt(3 / fan_in)
    # = 1 / sqrt(fan_in), so Var = bound^2 / 3
    return 1.0 / (3.0 * fan_in)


def _draw(variance: float, shape: tuple[int, int], rng: np.random.Generator,
          distribution: str) -> np.ndarray:
    if distribution == "uniform":
        bound = math.sqrt(3.0 * variance)
        return rng.uniform(-bound, bound, size=shape)
    if distribution == "normal":
        return rng.normal(0.0, math.sqrt(variance), size=shape)
    raise ValueError(f"distribution must be 'uniform' or 'normal', got {distribution!r}")


def glorot(fan_in: int, fan_out: int, rng: np.random.Generator,
           distribution: str = "uniform") -> np.ndarray:
    """Glorot/Xavier: ``Var W = 2 / (fan_in + fan_out)``; returns float64 ``(fan_in, fan_out)``."""
    return _draw(_variance_glorot(fan_in, fan_out), (fan_in, fan_out), rng, distribution)


def he(fan_in: int, fan_out: int, rng: np.random.Generator,
       distribution: str = "uniform") -> np.ndarray:
    """He/Kaiming: ``Var W = 2 / fan_in``; returns float64 ``(fan_in, fan_out)``."""
    return _draw(_variance_he(fan_in, fan_out), (fan_in, fan_out), rng, distribution)


def lecun(fan_in: int, fan_out: int, rng: np.random.Generator,
          distribution: str = "uniform") -> np.ndarray:
    """LeCun: ``Var W = 1 / fan_in``; returns float64 ``(fan_in, fan_out)``."""
    return _draw(_variance_lecun(fan_in, fan_out), (fan_in, fan_out), rng, distribution)


def torch_linear(fan_in: int, fan_out: int, rng: np.random.Generator,
                 distribution: str = "uniform") -> np.ndarray:
    """PyTorch's ``nn.Linear`` default: ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``, i.e.
    ``Var W = 1 / (3 fan_in)``; returns float64 ``(fan_in, fan_out)``.
    """
    return _draw(_variance_torch(fan_in, fan_out), (fan_in, fan_out), rng, distribution)


def get_initializer(name_or_fn: str | Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """Look up an initialiser by name (``glorot``/``xavier``, ``he``/``kaiming``, ``lecun``,
    ``torch``/``pytorch``)."""
    if callable(name_or_fn):
        return name_or_fn
    key = str(name_or_fn).lower()
    if key not in INITIALIZERS:
        raise ValueError(
            f"unknown initializer {name_or_fn!r}; choose one of {sorted(INITIALIZERS)}")
    return INITIALIZERS[key]


def initialize(name: str | Callable[..., np.ndarray], fan_in: int, fan_out: int,
               rng: np.random.Generator, *, xp: ModuleType | None = None, dtype: Any = None,
               distribution: str = "uniform") -> Any:
    """Draw a ``(fan_in, fan_out)`` weight matrix in namespace ``xp`` and ``dtype``."""
    w = get_initializer(name)(fan_in, fan_out, rng, distribution=distribution)
    if xp is None:
        return w.astype(dtype if dtype is not None else np.float64)
    return xp.asarray(w, dtype=dtype)


INITIALIZERS: dict[str, Callable[..., np.ndarray]] = {
    "glorot": glorot,
    "xavier": glorot,
    "he": he,
    "kaiming": he,
    "lecun": lecun,
    "torch": torch_linear,
    "pytorch": torch_linear,
}
