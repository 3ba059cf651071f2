"""The compiled Adam step shared by :mod:`reglab.core._jit` (the layer route's optimizer) and
:mod:`reglab.nn._fused_kernels` (the whole-epoch kernel). Importing this module imports numba:
only :func:`reglab.core._jit.load` and the fused route do, once numba is wanted.

A module-level function (not a closure) so that a kernel in another module calling it is found
again in numba's on-disk cache.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["adam_apply"]


@numba.njit(cache=True, nogil=True, error_model="numpy", boundscheck=False)
def adam_apply(p, g, m, v, b1, b2, c1, c2):  # pragma: no cover - compiled
    """``M = b1 M + g``, ``V = b2 V + g^2``, ``p += M / (sqrt(V) c1 + c2)`` in one pass: the
    scaled state and folded constants of
    :func:`reglab.core._optim_scaling.scale_by_adam` (nine NumPy passes), constants in the
    arrays' dtype."""
    for i in range(p.shape[0]):
        gi = g[i]
        mi = b1 * m[i] + gi
        vi = b2 * v[i] + gi * gi
        m[i] = mi
        v[i] = vi
        p[i] += mi / (np.sqrt(vi) * c1 + c2)
