"""Array-namespace dispatch: the one place that knows about concrete array libraries.

Everything in ``reglab.core`` and ``reglab.nn`` asks :func:`namespace` for the namespace of its
inputs and then uses only the array API standard. The standard lacks a few special functions
(``erf``, ``lgamma``, ``digamma``); :func:`special` supplies them from the library owning the array
(SciPy for NumPy, ``torch.special``, ``cupyx.scipy.special``, ``jax.scipy.special``) and, for any
other namespace, by a round trip through NumPy via DLPack.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import array_api_compat
import numpy as np

__all__ = [
    "namespace", "special", "xlogy", "erf", "lgamma", "digamma", "to_numpy", "is_numpy",
    "as_float", "exp_bound", "device", "has_native_special", "plain",
]


_NUMPY_XP = array_api_compat.array_namespace(np.empty(0))
_SCALARS = (int, float, bool, complex, np.ndarray, np.generic, type(None))


def plain(value: Any) -> Any:
    """A NumPy scalar as the Python value it holds (for messages: ``'c'`` and ``nan``, not
    NumPy 2's ``np.str_('c')`` and ``np.float64(nan)`` reprs); anything else unchanged."""
    return value.item() if isinstance(value, np.generic) else value


def namespace(*arrays: Any) -> ModuleType:
    """The array-API namespace shared by ``arrays`` (Python scalars and None are ignored)."""
    # NOTE: fast path. Plain NumPy input is the common case and array_namespace's inspection of
    # every argument costs microseconds per call, which per-batch network code pays many times.
    if all(type(a) in _SCALARS for a in arrays):
        return _NUMPY_XP
    arrs = [a for a in arrays if a is not None and not isinstance(a, int | float | bool | complex)]
    if not arrs:
        return _NUMPY_XP
    return array_api_compat.array_namespace(*arrs)


def device(x: Any) -> Any:
    """The device of array ``x``; pass it to creation functions (``eye``, ``arange``) so that new
    arrays live beside their inputs (a CUDA tensor's helpers must be CUDA tensors too)."""
    return array_api_compat.device(x)


def is_numpy(xp: ModuleType) -> bool:
    return array_api_compat.is_numpy_namespace(xp)


def to_numpy(x: Any) -> np.ndarray:
    """A NumPy view or copy of any array-API array (for printing, SciPy and plotting)."""
    if isinstance(x, np.ndarray):
        return x
    if array_api_compat.is_torch_array(x):
        return x.detach().cpu().numpy()
    if array_api_compat.is_cupy_array(x):
        return x.get()
    try:
        return np.from_dlpack(x)
    except (TypeError, RuntimeError, BufferError, AttributeError):
        return np.asarray(x)


def _scipy_special(name: str, x: Any, xp: ModuleType) -> Any:
    import scipy.special as sc

    out = getattr(sc, name)(to_numpy(x))
    dtype = x.dtype
    return xp.asarray(np.asarray(out), dtype=dtype, device=array_api_compat.device(x))


def has_native_special(xp: ModuleType) -> bool:
    """Whether :func:`special` runs natively (no host round trip) for namespace ``xp``."""
    return (is_numpy(xp) or array_api_compat.is_torch_namespace(xp)
            or array_api_compat.is_cupy_namespace(xp) or array_api_compat.is_jax_namespace(xp))


def special(name: str, x: Any) -> Any:
    """``scipy.special.<name>`` (``erf``, ``gammaln``, ``digamma``, ...) in ``x``'s namespace."""
    xp = namespace(x)
    if is_numpy(xp):
        import scipy.special as sc

        return getattr(sc, name)(x)
    if array_api_compat.is_torch_namespace(xp):
        import torch

        torch_name = {"gammaln": "gammaln", "erf": "erf", "digamma": "digamma", "ndtr": "ndtr",
                      "ndtri": "ndtri", "expit": "expit", "logit": "logit", "erfc": "erfc",
                      "log_ndtr": "log_ndtr"}[name]
        return getattr(torch.special, torch_name)(x)
    if array_api_compat.is_cupy_namespace(xp):
        import cupyx.scipy.special as csp

        return getattr(csp, name)(x)
    if array_api_compat.is_jax_namespace(xp):
        import jax.scipy.special as jsp

        return getattr(jsp, name)(x)
    return _scipy_special(name, x, xp)


def erf(x: Any) -> Any:
    return special("erf", x)


def lgamma(x: Any) -> Any:
    return special("gammaln", x)


def digamma(x: Any) -> Any:
    return special("digamma", x)


def xlogy(x: Any, y: Any) -> Any:
    """``x * log(y)`` with ``0 * log(0) = 0`` (plain array API; no special function needed)."""
    xp = namespace(x, y)
    # where x == 0 take log(1) = 0, so the product is 0 without evaluating log(0)
    return x * xp.log(xp.where(x == 0, xp.ones_like(y), y))


SQRT2 = math.sqrt(2.0)
LOG2PI = math.log(2.0 * math.pi)


def as_float(x: Any, xp: ModuleType | None = None) -> Any:
    """``x`` as a floating array: lists and scalars become float64 NumPy arrays, integer and boolean
    arrays become the namespace's default float; floating arrays pass through unchanged (so float32
    stays float32)."""
    if type(x) is np.ndarray and x.dtype.kind == "f":  # the common case, without dispatch
        return x
    if isinstance(x, list | tuple | int | float) or (
        not isinstance(x, np.ndarray) and not array_api_compat.is_array_api_obj(x)
    ):
        return np.asarray(x, dtype=np.float64)
    xp = namespace(x) if xp is None else xp
    if xp.isdtype(x.dtype, "real floating"):
        return x
    return xp.astype(x, xp.float64)


def exp_bound(x: Any, xp: ModuleType | None = None) -> float:
    """``(log(largest float) - 2) / 3``: 235.9 for float64, 28.9 for float32.

    Exponential inverse links clip ``eta`` to ``[-B, B]`` so that ``mu``, ``mu**2``, ``mu**3`` (the
    inverse Gaussian variance), ``y / mu`` and their batch sums stay finite and strictly positive in
    that dtype, with a margin of ``e^2`` for rounding; a mean beyond ``exp(B)`` (2.6e102 / 3.6e12)
    is not a meaningful fitted value in that precision anyway.
    """
    xp = namespace(x) if xp is None else xp
    return (math.log(float(xp.finfo(x.dtype).max)) - 2.0) / 3.0
