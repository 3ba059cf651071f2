"""The inputs of a gradient-descent run, checked: the loss, the learning-rate schedule, the
design matrix ``D = [1, X]`` with normalised weights, and the starting point.

Used by :mod:`reglab.solvers.gradient_descent` (see its docstring for the losses' formulas);
``LOSS_NAMES`` is re-exported from there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["LOSS_NAMES"]

Schedule = Callable[[int], float]


class _Squared:
    name = "squared_error"

    @staticmethod
    def loss(y, eta, s):
        r = eta - y
        return 0.5 * float((s * r) @ r) / len(r)  # a dot product: cheap enough for every step

    @staticmethod
    def grad(y, eta, s):
        return s * (eta - y)


class _Absolute:
    name = "absolute_error"

    @staticmethod
    def loss(y, eta, s):
        return float(s @ np.abs(eta - y)) / len(y)

    @staticmethod
    def grad(y, eta, s):
        # the subgradient 0 at a residual of exactly 0 (a point on the line does not pull)
        return s * np.sign(eta - y)


class _Contract:
    """Adapter for objects with the core ``loss`` / ``gradient_hessian`` contract."""

    def __init__(self, obj: Any):
        self.obj = obj
        self.name = getattr(obj, "name", type(obj).__name__)

    def loss(self, y, eta, s):
        return float(self.obj.loss(y, eta, sample_weight=s))

    def grad(self, y, eta, s):
        return np.asarray(self.obj.gradient_hessian(y, eta, sample_weight=s)[0])


LOSS_NAMES = {"squared_error": _Squared, "square": _Squared, "absolute_error": _Absolute,
              "absolute": _Absolute}


def _get_loss(loss: Any):
    if isinstance(loss, str):
        if loss not in LOSS_NAMES:
            raise ValueError(f"unknown loss {loss!r}; expected one of {sorted(LOSS_NAMES)} or an "
                             "object with loss() and gradient_hessian()")
        return LOSS_NAMES[loss]()
    if hasattr(loss, "loss") and hasattr(loss, "gradient_hessian"):
        return _Contract(loss)
    raise TypeError(f"loss must be a name or a core loss/family object, got {type(loss)!r}")


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _schedule(learning_rate: float | Schedule) -> Schedule:
    if callable(learning_rate):
        return learning_rate
    lr = float(learning_rate)
    if not lr > 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate!r}")
    return lambda t: lr


def _prepare(X, y, sample_weight, fit_intercept: bool):
    """Validated ``(D, y, s, names)``: D = [1, X] (or [0, X] without intercept; the zero column
    keeps theta[0] fixed at 0), weights normalised to mean 1."""
    names = ([str(c) for c in X.columns] if isinstance(X, pd.DataFrame) else None)
    Xa = np.asarray(X, dtype=float)
    if Xa.ndim == 1:
        Xa = Xa[:, None]
    if Xa.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {Xa.shape}")
    names = names or [f"x{j + 1}" for j in range(Xa.shape[1])]
    ya = np.asarray(y, dtype=float).reshape(-1)
    if ya.shape[0] != Xa.shape[0]:
        raise ValueError(f"X has {Xa.shape[0]} rows but y has {ya.shape[0]}")
    if Xa.shape[0] == 0:
        raise ValueError("X has no rows")
    for arr, what in ((Xa, "X"), (ya[:, None], "y")):
        bad = ~np.isfinite(arr)
        if bad.any():
            i, j = (int(v) for v in np.argwhere(bad)[0])
            col = f"column {names[j]!r}, " if what == "X" else ""
            raise ValueError(f"{what} has a non-finite value ({arr[i, j]}) at {col}row {i}")
    s = np.ones(len(ya)) if sample_weight is None else np.asarray(sample_weight, float).ravel()
    if s.shape != ya.shape or not np.all(np.isfinite(s) & (s >= 0)) or s.sum() <= 0:
        raise ValueError("sample_weight must have one finite, non-negative entry per row and a "
                         "positive sum")
    s = s * (len(s) / s.sum())
    lead = np.ones(len(ya)) if fit_intercept else np.zeros(len(ya))
    return np.column_stack([lead, Xa]), ya, s, names


def _start(init, p: int, rng: np.random.Generator | None, fit_intercept: bool) -> np.ndarray:
    if init is None:
        theta = np.zeros(p + 1)
    elif isinstance(init, str) and init == "random":
        theta = (rng or np.random.default_rng()).normal(size=p + 1)
    else:
        theta = np.asarray(init, dtype=float).ravel().copy()
        if theta.shape != (p + 1,):
            raise ValueError(f"init must have p + 1 = {p + 1} entries (intercept first), "
                             f"got {theta.shape[0]}")
    if not fit_intercept:
        theta[0] = 0.0
    return theta
