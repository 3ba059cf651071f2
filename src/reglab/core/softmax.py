"""Softmax, log-softmax, log-sum-exp and the softmax Jacobian, stable for any input magnitude.

``softmax(x)_k = exp(x_k) / sum_j exp(x_j)`` along ``axis``. Subtracting ``m = max_j x_j`` first
changes nothing mathematically (the factor ``exp(-m)`` cancels) but keeps every exponent <= 0, so
nothing overflows and the largest term is exactly 1, so the denominator is >= 1.

Generalisations (lecture 3): with a base ``b > 0`` the exponential ``b**x = exp(x ln b)`` replaces
``e**x``; ``b < 1`` reverses the order and favours the *smallest* inputs. A temperature ``T > 0``
divides the inputs: ``T -> 0`` tends to argmax (one-hot), ``T -> inf`` to uniform.
"""

from __future__ import annotations

import math
from typing import Any

from . import _xp

__all__ = [
    "softmax", "log_softmax", "logsumexp", "softmax_jacobian", "softmax_vjp", "cross_entropy",
]


def _scale(temperature: float, base: float | None) -> float:
    """The factor ``ln(b) / T`` that multiplies the inputs; validates ``T`` and ``b``."""
    t = float(temperature)
    if not (math.isfinite(t) and t > 0):
        raise ValueError(f"softmax temperature must be a finite number > 0, got {temperature!r}")
    if base is None:
        return 1.0 / t
    b = float(base)
    if not (math.isfinite(b) and b > 0):
        raise ValueError(f"softmax base must be a finite number > 0, got {base!r}")
    return math.log(b) / t


def _scaled(x: Any, temperature: float, base: float | None) -> tuple[Any, Any]:
    x = _xp.as_float(x)
    xp = _xp.namespace(x)
    c = _scale(temperature, base)
    return xp, (x if c == 1.0 else c * x)


def logsumexp(x: Any, axis: int = -1, keepdims: bool = False) -> Any:
    """``log(sum(exp(x), axis))`` as ``m + log(sum(exp(x - m)))`` with ``m = max(x, axis)``.

    ``x``: any shape; result drops ``axis`` unless ``keepdims``. A slice of all ``-inf`` gives
    ``-inf`` (the log of an empty sum), not NaN.
    """
    x = _xp.as_float(x)
    xp = _xp.namespace(x)
    m = xp.max(x, axis=axis, keepdims=True)
    # NOTE: an all -inf slice has m = -inf and x - m = nan; shift by 0 there instead.
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    total = xp.sum(xp.exp(x - m), axis=axis, keepdims=True)
    empty = total == 0  # only for all -inf slices: the sum holds exp(0) = 1 otherwise
    out = m + xp.where(empty, xp.full_like(total, -math.inf),
                       xp.log(xp.where(empty, xp.ones_like(total), total)))
    return out if keepdims else xp.squeeze(out, axis=axis)


def softmax(x: Any, axis: int = -1, temperature: float = 1.0, base: float | None = None) -> Any:
    """``s = exp(c x) / sum(exp(c x), axis)`` with ``c = ln(base) / temperature`` (``ln e = 1``).

    ``x``: any shape, normalised along ``axis``; ``s`` has the shape and floating dtype of ``x``,
    entries in ``[0, 1]`` summing to 1 along ``axis``.
    """
    xp, z = _scaled(x, temperature, base)
    e = xp.exp(z - xp.max(z, axis=axis, keepdims=True))
    return e / xp.sum(e, axis=axis, keepdims=True)


def log_softmax(x: Any, axis: int = -1, temperature: float = 1.0,
                base: float | None = None) -> Any:
    """``log softmax(x) = c x - logsumexp(c x, axis)``, exact even where softmax underflows to 0."""
    xp, z = _scaled(x, temperature, base)
    z = z - xp.max(z, axis=axis, keepdims=True)
    return z - xp.log(xp.sum(xp.exp(z), axis=axis, keepdims=True))


def softmax_jacobian(s: Any) -> Any:
    """Jacobian ``J = diag(s) - s s^T`` of softmax at output ``s``: ``J_kj = s_k (delta_kj - s_j)``.

    ``s``: shape ``(..., K)`` (softmax along the last axis); returns ``(..., K, K)``, symmetric,
    with rows summing to 0 (because the outputs sum to 1).
    """
    s = _xp.as_float(s)
    xp = _xp.namespace(s)
    k = s.shape[-1]
    col = xp.expand_dims(s, axis=-1)
    row = xp.expand_dims(s, axis=-2)
    return xp.eye(k, dtype=s.dtype, device=_xp.device(s)) * row - col * row


def softmax_vjp(s: Any, g: Any, axis: int = -1) -> Any:
    """``g^T J`` without forming ``J``: ``s * (g - sum(g * s, axis))``; O(K) instead of O(K^2).

    ``s`` the softmax output, ``g = dL/ds`` the upstream gradient, both the same shape; returns
    ``dL/dx`` of that shape.
    """
    xp = _xp.namespace(s, g)
    return s * (g - xp.sum(g * s, axis=axis, keepdims=True))


def cross_entropy(y_onehot: Any, p: Any, base: float | None = None, axis: int = -1) -> Any:
    """Categorical cross-entropy ``-sum_k y_k log_b p_k`` per sample (lecture's ``L(h(x), y)``).

    ``y_onehot``, ``p``: shape ``(..., K)``; returns shape ``(...)``. Natural log by default (nats,
    reglab's convention everywhere); ``base=10`` reproduces the lecture's printed numbers, which
    used log10. Terms with ``y_k = 0`` contribute 0 even where ``p_k = 0``.
    """
    y = _xp.as_float(y_onehot)
    p = _xp.as_float(p)
    xp = _xp.namespace(y, p)
    nats = -xp.sum(_xp.xlogy(y, p), axis=axis)
    if base is None:
        return nats
    b = float(base)
    if not (math.isfinite(b) and b > 0 and b != 1):
        raise ValueError(f"logarithm base must be a finite number > 0 and != 1, got {base!r}")
    return nats / math.log(b)
