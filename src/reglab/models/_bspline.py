"""The B-spline algebra under the GAM terms: knots, the (sparse) design matrix with linear
extrapolation, difference penalties, the row-wise Kronecker product, the sum-to-zero constraint
basis and the largest basis a column's distinct values support.

See :mod:`reglab.models._splines` for the model (P-splines, centring, tensor products) and the
terms built from these; every name here is re-exported from there.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import BSpline

__all__ = ["supported_basis", "bspline_knots", "bspline_basis", "bspline_sparse",
           "difference_penalty", "row_kron", "sum_to_zero_basis"]


def bspline_knots(lo: float, hi: float, k: int, degree: int = 3) -> np.ndarray:
    """Equally spaced knots, shape (k + degree + 1,), giving ``k`` B-splines on ``[lo, hi]``.

    ``k - degree`` intervals of width ``h = (hi - lo) / (k - degree)`` cover ``[lo, hi]``; the
    knot sequence extends ``degree`` intervals beyond each end, so that the B-splines sum to one
    everywhere on ``[lo, hi]`` (no repeated boundary knots, as in Eilers & Marx).
    """
    n_int = k - degree
    h = (hi - lo) / n_int
    return lo + h * np.arange(-degree, n_int + degree + 1, dtype=np.float64)


def bspline_basis(x: np.ndarray, knots: np.ndarray, degree: int = 3) -> np.ndarray:
    """B-spline design matrix, shape (n, k): ``B[i, j] = B_j(x_i)``.

    Outside ``[lo, hi] = [knots[degree], knots[-degree - 1]]`` (the training range) the basis is
    extrapolated *linearly*, as mgcv's ``predict`` does for P-splines (see :func:`bspline_sparse`).
    """
    return bspline_sparse(x, knots, degree).toarray()


def bspline_sparse(x: np.ndarray, knots: np.ndarray, degree: int = 3):
    """The same design matrix as a scipy CSR matrix (``degree + 1`` nonzeros per row inside).

    Inside ``[lo, hi]``: the B-splines. Beyond an end ``b``: ``B(b) + (x - b) B'(b)``, the
    tangent line, so every fitted smooth continues as a straight line with its end slope. The
    end polynomial pieces themselves would grow like ``(x - b)^degree``: a held-out point a little
    outside the training range could get a wild value (and a log or inverse link turns that into
    an absurd mean). The rows still sum to one (``sum B = 1``, ``sum B' = 0``), so centring and
    the intercept are unaffected.
    """
    x = np.asarray(x, dtype=np.float64)
    lo, hi = knots[degree], knots[-degree - 1]
    inside = (x >= lo) & (x <= hi)
    if inside.all():
        return BSpline.design_matrix(x, knots, degree, extrapolate=True)
    from scipy import sparse

    k = knots.size - degree - 1
    spline = BSpline(knots, np.eye(k), degree)  # all k basis functions at once
    slope = spline.derivative()
    ends = np.where(x < lo, lo, hi)[~inside]
    outer = spline(ends) + (x[~inside] - ends)[:, None] * slope(ends)  # (n_out, k) tangents
    rows = np.r_[np.flatnonzero(inside), np.flatnonzero(~inside)]
    stacked = sparse.vstack([BSpline.design_matrix(x[inside], knots, degree) if inside.any()
                             else sparse.csr_matrix((0, k)), sparse.csr_matrix(outer)]).tocsr()
    return stacked[np.argsort(rows)]


def difference_penalty(k: int, order: int = 2) -> np.ndarray:
    """``D' D`` with ``D = diff(I_k, order)`` of shape (k - order, k); returns (k, k)."""
    D = np.diff(np.eye(k), n=order, axis=0)
    return D.T @ D


def row_kron(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Row-wise Kronecker product (n, a), (n, b) -> (n, a * b): ``out[i] = kron(A[i], B[i])``."""
    return (A[:, :, None] * B[:, None, :]).reshape(A.shape[0], -1)


def sum_to_zero_basis(B: np.ndarray) -> np.ndarray:
    """``Z`` (k, k - 1): orthonormal basis of ``{beta : 1' B beta = 0}`` (QR of the constraint)."""
    c = np.asarray(B.sum(axis=0), dtype=np.float64).reshape(-1, 1)
    Q, _ = np.linalg.qr(c, mode="complete")
    return Q[:, 1:]


def supported_basis(x: np.ndarray, k_max: int, degree: int = 3) -> tuple[int, int]:
    """``(k, degree)``: the largest basis, ``k <= k_max``, the distinct values of ``x`` support.

    A column with ``d < k_max`` distinct values cannot identify ``k_max`` coefficients: ``k``
    starts at ``d`` and drops until the B-spline matrix at the distinct values has full column
    rank ``k`` (clustered values can leave a knot interval without data); ``degree`` drops to
    ``k - 1`` when ``k <= degree`` (3 distinct values: a penalized quadratic, ``k = 3``).
    Needs ``d >= 3`` (with two values a smooth is a line: use a linear term).
    """
    u = np.unique(np.asarray(x, dtype=np.float64))
    if u.size < 3:
        raise ValueError(f"{u.size} distinct values cannot support a smooth (need >= 3)")
    k = min(int(k_max), u.size)
    while True:
        deg = min(degree, k - 1)
        B = bspline_basis(u, bspline_knots(u[0], u[-1], k, deg), deg)
        if k <= 3 or np.linalg.matrix_rank(B) == k:
            return k, deg
        k -= 1
