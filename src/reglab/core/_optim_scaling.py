"""Stateful scalings: momentum (``trace``), RMSprop (``scale_by_rms``) and Adam.

On NumPy each works in place (``out=`` into the gradient and preallocated state buffers, no
allocation per step); on other array namespaces the same formulas run out of place.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from reglab.core import _jit
from reglab.core._optim_base import (
    GradientTransformation,
    Leaves,
    Schedule,
    _as_schedule,
    _is_np,
    _zeros_like,
)
from reglab.core._xp import namespace


def trace(decay: float, nesterov: bool = False) -> GradientTransformation:
    """Momentum: ``m = decay m + g``; ``u = m`` (heavy ball) or ``u = g + decay m`` (Nesterov)."""

    def update(grads: Leaves, state: dict, params: Leaves | None = None) -> tuple[Leaves, Any]:
        out = []
        for i, g in enumerate(grads):
            m = state["m"][i]
            m *= decay
            m += g
            state["m"][i] = m  # (a new array on immutable namespaces)
            if not nesterov:
                if _is_np(g):
                    np.copyto(g, m)
                    out.append(g)
                else:
                    out.append(m * 1.0)
            elif _is_np(g):
                np.multiply(m, decay, out=state["tmp"][i])
                g += state["tmp"][i]
                out.append(g)
            else:
                out.append(g + decay * m)
        return out, state

    return GradientTransformation(
        lambda params: {"m": _zeros_like(params), "tmp": _zeros_like(params) if nesterov else None},
        update)


def _ema_square(v: Any, g: Any, tmp: Any, decay: float) -> Any:
    """``v <- decay v + (1 - decay) g^2`` (in place on NumPy)."""
    if _is_np(v):
        v *= decay
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - decay
        v += tmp
        return v
    return decay * v + (1.0 - decay) * g * g


def scale_by_rms(decay: float = 0.9, eps: float = 1e-8) -> GradientTransformation:
    """RMSprop scaling: ``v = decay v + (1-decay) g^2``; ``u = g / (sqrt(v) + eps)``."""

    def update(grads: Leaves, state: dict, params: Leaves | None = None) -> tuple[Leaves, Any]:
        out = []
        for i, g in enumerate(grads):
            v = _ema_square(state["v"][i], g, state["tmp"][i], decay)
            state["v"][i] = v
            if _is_np(g):
                tmp = state["tmp"][i]
                np.sqrt(v, out=tmp)
                tmp += eps
                np.divide(g, tmp, out=g)
                out.append(g)
            else:
                out.append(g / (namespace(v).sqrt(v) + eps))
        return out, state

    return GradientTransformation(
        lambda params: {"v": _zeros_like(params), "tmp": _zeros_like(params)}, update)


def _adam_leaf(m: np.ndarray, v: np.ndarray, tmp: np.ndarray, g: np.ndarray, b1: float,
               b2: float, c1: float, c2: float) -> np.ndarray:
    """NumPy in place: ``M = b1 M + g``, ``V = b2 V + g^2``, ``g <- M / (sqrt(V) c1 + c2)``.

    Nine elementwise passes, in place or with ``out=``; no temporaries. (Fusing them further needs a
    compiled kernel: NumPy has no fused multiply-add ufunc, and ``np.hypot``, which would give
    ``sqrt(V)`` directly, measured 35x slower than ``np.add``.)
    """
    m *= b1
    m += g
    np.multiply(g, g, out=tmp)
    v *= b2
    v += tmp
    np.sqrt(v, out=tmp)
    tmp *= c1
    tmp += c2
    return np.divide(m, tmp, out=g)


def scale_by_adam(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
                  learning_rate: float | Schedule | None = None) -> GradientTransformation:
    """Adam scaling with bias correction: ``u = m_hat / (sqrt(v_hat) + eps)``.

    With ``learning_rate`` the transform also applies ``-lr(t)``, i.e. it equals
    ``chain(scale_by_adam(), scale_by_learning_rate(lr))`` but folds the step size into the
    denominator's constants, saving a pass over the parameters (``adam`` uses this). Its fused
    ``apply`` adds each leaf's update to the parameters right after computing it, while the
    leaf is still in cache (the network hands over its parameter vector in ~128 KB leaves).
    With numba (:mod:`reglab.core._jit`) ``apply`` runs the nine passes as one compiled loop,
    with parameters and state identical to the NumPy passes (the consumed ``grads`` are left as
    they were, where the NumPy passes overwrite them with the update). With ``learning_rate``
    its ``steps`` hands the constants of the next updates to the compiled training loop.
    """
    schedule = None if learning_rate is None else _as_schedule(learning_rate)

    def constants(state: dict) -> tuple[float, float]:
        t0 = state["count"]
        state["count"] += 1
        t = state["count"]
        # The state holds M = m / (1 - b1) and V = v / (1 - b2), which update with one pass
        # fewer each (M = b1 M + g, V = b2 V + g^2); all constants fold into c1, c2:
        # u = m/bc1 / (sqrt(v/bc2) + eps) = M / (sqrt(V) * c1 + c2)  (times -1/lr with lr).
        a = (1.0 - b1) / (1.0 - b1**t)
        c1, c2 = math.sqrt((1.0 - b2) / (1.0 - b2**t)) / a, eps / a
        if schedule is not None:
            lr = schedule(t0) * state["scale"]
            state["last_lr"] = lr
            c1, c2 = -c1 / lr, -c2 / lr
        return c1, c2

    def update(grads: Leaves, state: dict, params: Leaves | None = None) -> tuple[Leaves, Any]:
        c1, c2 = constants(state)
        out = []
        for i, g in enumerate(grads):
            m, v, tmp = state["m"][i], state["v"][i], state["tmp"][i]
            if _is_np(g):
                out.append(_adam_leaf(m, v, tmp, g, b1, b2, c1, c2))
            else:
                m = b1 * m + g
                v = b2 * v + g * g
                state["m"][i], state["v"][i] = m, v
                out.append(m / (namespace(v).sqrt(v) * c1 + c2))
        return out, state

    def apply(grads: Leaves, state: dict, params: Leaves) -> dict:
        c1, c2 = constants(state)
        jit = _jit.kernels()
        for p, g, m, v, tmp in zip(params, grads, state["m"], state["v"], state["tmp"],
                                   strict=True):
            if jit is not None and _jit.usable(p, g, m, v):
                jit.adam(p, g, m, v, b1, b2, c1, c2)  # the same formulas in one pass
            else:
                p += _adam_leaf(m, v, tmp, g, b1, b2, c1, c2)
        return state

    def steps(state: dict, n: int) -> tuple[float, float, np.ndarray, np.ndarray]:
        c = np.array([constants(state) for _ in range(n)], dtype=np.float64).reshape(n, 2)
        return b1, b2, c[:, 0], c[:, 1]

    return GradientTransformation(
        lambda params: {"count": 0, "m": _zeros_like(params), "v": _zeros_like(params),
                        "tmp": _zeros_like(params), "scale": 1.0, "last_lr": None}, update,
        apply=apply, steps=steps if schedule is not None else None)
