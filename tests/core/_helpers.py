"""Helpers shared by the core tests: array conversion and central finite differences."""

from __future__ import annotations

import numpy as np

from reglab.core._xp import to_numpy


def asx(xp, a, dtype=None):
    """``a`` (NumPy or list) as an array of namespace ``xp``, float64 by default."""
    dtype = xp.float64 if dtype is None else dtype
    return xp.asarray(np.asarray(a, dtype=np.float64), dtype=dtype)


def npy(a):
    return np.asarray(to_numpy(a))


def central_diff(f, x, h=1e-6):
    """Derivative of an elementwise ``f`` at NumPy ``x``: ``(f(x + h) - f(x - h)) / 2h``."""
    return (f(x + h) - f(x - h)) / (2.0 * h)
