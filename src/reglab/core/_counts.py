"""Sums over the distinct values of a count response.

Counts and 0/1 labels take few distinct values, so a sum ``sum_i w_i f(y_i)`` of a function of
``y`` alone (the saturated log-likelihood, ``lgamma(y + 1)``, ``y log y``, the deviance of a
constant mean) costs a ``bincount`` plus ``f`` at the distinct values instead of ``f`` at every
row: ~4 ms instead of 20-70 ms for a special function over 10^6 rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["value_table", "sum_by_value"]


def _small_integer_table(y: np.ndarray, w: np.ndarray | None):
    """Table by ``bincount`` when every y is an integer in [0, max(n, 1024)], else None."""
    if y.size == 0 or not (y.min() >= 0 and y.max() <= max(y.size, 1024)):
        return None
    if not (np.floor(y) == y).all():  # SIMD floor and compare: ~3x cheaper than int round trip
        return None
    yi = y.astype(np.intp)
    c = np.bincount(yi)
    nz = np.flatnonzero(c)
    tot = c[nz].astype(np.float64) if w is None else np.bincount(yi, weights=w)[nz]
    return nz.astype(np.float64), tot


def value_table(y: Any, w: Any = None, sort_fallback: bool = True):
    """Distinct values of ``y`` (k,) and their total weights (k,) (counts when ``w`` is None).

    Small non-negative integers (counts, labels) by ``bincount`` (linear time); anything else by
    sorting (``np.unique``) when ``sort_fallback``, else None (the caller sums row by row).
    Values whose rows all have weight 0 are kept with total 0.
    """
    y = np.asarray(y)
    if y.ndim == 1 and y.dtype == np.float64:
        t = _small_integer_table(y, None if w is None else np.asarray(w, dtype=np.float64))
        if t is not None:
            return t
    if not sort_fallback:
        return None
    uy, inv = np.unique(y, return_inverse=True)
    return uy, np.bincount(inv, weights=w, minlength=len(uy)).astype(np.float64)


def sum_by_value(f: Callable[[np.ndarray], np.ndarray], y: np.ndarray,
                 w: np.ndarray | None = None, table: tuple | None = None) -> float:
    """``sum_i w_i f(y_i)`` for an elementwise ``f`` of y alone, over the distinct values when
    y holds small non-negative integers (``f`` called on those values only), else row by row.
    ``table``: ``value_table(y, w)`` if already computed."""
    t = value_table(y, w, sort_fallback=False) if table is None else table
    if t is None:
        v = f(y)
        return float(v.sum() if w is None else v @ w)
    return float(f(t[0]) @ t[1])
