"""Input checks and design diagnostics of the IRLS solver: penalty shapes, aliased (rank
deficient) columns named in R's pivot order, non-finite values located by row and column."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.linalg as sla

__all__ = ["RankDeficientError", "as_penalty", "raise_aliased", "raise_nonfinite",
           "check_vectors"]


class RankDeficientError(ValueError):
    """The design is rank deficient; ``columns`` holds the aliased column indices (of X)."""

    def __init__(self, message: str, columns: list[int]):
        super().__init__(message)
        self.columns = columns


def as_penalty(penalty: Any, p: int, q: int) -> np.ndarray | None:
    """A (q, q) penalty over theta; a (p, p) matrix is padded with an unpenalized intercept row."""
    if penalty is None:
        return None
    P = np.asarray(penalty, dtype=np.float64)
    if P.ndim == 0:  # a scalar ridge on the coefficients (never the intercept)
        P = float(P) * np.eye(p)
    if P.shape == (p, p) and q == p + 1:
        full = np.zeros((q, q))
        full[1:, 1:] = P
        P = full
    if P.shape != (q, q):
        raise ValueError(f"penalty must be ({p}, {p}) or ({q}, {q}); got shape {P.shape}")
    if not np.allclose(P, P.T, rtol=1e-10, atol=0):
        raise ValueError("penalty matrix P must be symmetric")
    return P


def _aliased(H: np.ndarray, tol: float = 1e-12) -> list[int]:
    """Indices of theta that are linear combinations of earlier ones (R's pivot order).

    Works on the unit-diagonal scaling of ``H``: column j is aliased when its squared residual
    after projection on the kept earlier columns, ``1 - l^T l``, falls below ``tol``.
    """
    d = np.sqrt(np.clip(np.diag(H), 0.0, None))
    zero = d <= 0
    C = H / np.where(zero, 1.0, d)[:, None] / np.where(zero, 1.0, d)[None, :]
    kept: list[int] = []
    L = np.zeros((0, 0))
    out = []
    for j in range(H.shape[0]):
        if zero[j]:
            out.append(j)
            continue
        c = C[kept, j]
        ell = sla.solve_triangular(L, c, lower=True) if kept else np.zeros(0)
        r = C[j, j] - ell @ ell
        if r < tol:
            out.append(j)
            continue
        m = len(kept)
        L2 = np.zeros((m + 1, m + 1))
        L2[:m, :m], L2[m, :m], L2[m, m] = L, ell, math.sqrt(r)
        L, kept = L2, [*kept, j]
    return out


def raise_aliased(H, fit_intercept, column_names) -> None:
    bad = _aliased(H)
    if not bad:
        return
    k = int(fit_intercept)
    names = ["Intercept"] * k + list(column_names)
    cols = [j - k for j in bad if j >= k]
    listed = ", ".join(repr(names[j]) for j in bad)
    raise RankDeficientError(
        f"design matrix is rank deficient: column(s) {listed} are constant, duplicated or a "
        "linear combination of earlier columns (or carry zero total weight); drop them", cols)


def raise_nonfinite(X, column_names) -> None:
    bad = np.argwhere(~np.isfinite(X))
    if len(bad):
        i, j = bad[0]
        raise ValueError(f"X contains NaN or inf: value {float(X[i, j])!r} at row {i}, column "
                         f"{column_names[j]!r}")


def check_vectors(y, sample_weight, offset, n) -> None:
    for name, v in (("y", y), ("sample_weight", sample_weight), ("offset", offset)):
        if v is None:
            continue
        if v.shape[0] != n:
            raise ValueError(f"{name} has {v.shape[0]} rows but X has {n}")
        bad = np.flatnonzero(~np.isfinite(v))
        if len(bad):
            raise ValueError(f"{name} contains NaN or inf: value {float(v[bad[0]])!r} at row "
                             f"{bad[0]}")
    if sample_weight is not None and (sample_weight < 0).any():
        i = int(np.flatnonzero(sample_weight < 0)[0])
        raise ValueError(f"sample_weight must be >= 0; got {float(sample_weight[i])!r} at row {i}")
