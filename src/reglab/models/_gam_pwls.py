"""The working linear model of a GAM: penalty matrices, one penalized weighted least-squares
(PWLS) fit from sufficient statistics, and the search for the smoothing parameters on it.

See :mod:`reglab.models._gam_fit` for the criteria (GCV, UBRE, REML) and the search strategy;
its ``Engine`` runs IRLS and the performance iteration on top of these. Every public name here is
re-exported from there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
from scipy import optimize
from threadpoolctl import ThreadpoolController

__all__ = ["Penalties", "PenalizedFit", "WorkingModel", "gcv_ubre", "blas_threads"]

_CONTROLLER: list[ThreadpoolController] = []


def blas_threads(limit: int | None):
    """Context limiting BLAS threads (None: unchanged). The controller is built once: building
    one scans the loaded libraries, which costs more than a small fit."""
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=limit, user_api="blas")

_RHO_SPAN = 20.0  # search rho within +/- this of the scale-matched start (a factor e^20)
_RANK_TOL = 1e-11  # relative eigenvalue tolerance for a penalty's rank (its null space is exact)


class Penalties:
    """Penalty matrices embedded in the full coefficient vector of length ``p``.

    groups: list of ``(start, stop, [S_1, ..., S_m])``, one per penalized term; ``S`` (b, b)
    with ``b = stop - start``. The j-th smoothing parameter belongs to the j-th ``S`` in order.
    """

    def __init__(self, groups: list[tuple[int, int, list[np.ndarray]]], p: int):
        self.p = p
        self.groups = groups
        self.items = [(a, b, S) for a, b, Ss in groups for S in Ss]
        self.m = len(self.items)
        self._ranks, self._logdet1 = [], []
        for _, _, Ss in groups:
            ev = np.linalg.eigvalsh(sum(Ss))
            pos = ev > _RANK_TOL * ev.max()
            self._ranks.append(int(pos.sum()))
            self._logdet1.append(float(np.log(np.sort(ev)[::-1][: self._ranks[-1]]).sum())
                                 if len(Ss) == 1 else math.nan)
        self.rank = sum(self._ranks)

    def matrix(self, lam: np.ndarray) -> np.ndarray:
        """``S_lambda`` (p, p)."""
        S = np.zeros((self.p, self.p))
        for lj, (a, b, Sj) in zip(lam, self.items):
            S[a:b, a:b] += lj * Sj
        return S

    def logdet(self, lam: np.ndarray) -> float:
        """``log|S_lambda|_+``, the log product of the nonzero eigenvalues (block by block)."""
        total, j = 0.0, 0
        for (_, _, Ss), r, ld1 in zip(self.groups, self._ranks, self._logdet1):
            lg = lam[j: j + len(Ss)]
            j += len(Ss)
            if len(Ss) == 1:  # exact: |lambda S|_+ = lambda^r |S|_+
                total += r * math.log(lg[0]) + ld1
            else:
                ev = np.sort(np.linalg.eigvalsh(sum(lj * S for lj, S in zip(lg, Ss))))[::-1]
                # lambdas ~1e16 apart push the small end of the rank-r spectrum to rounding
                # level (even <= 0); floor it there (Wood's stable transform would resolve it)
                total += float(np.log(np.maximum(ev[:r], ev[0] * 1e-16)).sum())
        return total


    def logdet_grad(self, lam: np.ndarray) -> np.ndarray:
        """``d log|S_lambda|_+ / d log(lambda_j)`` (m,): ``r`` for a group's only penalty, else
        ``lambda_j tr(S_group^+ S_j)`` with the pseudo-inverse on the group's range."""
        out, j = np.empty(self.m), 0
        for (_, _, Ss), r in zip(self.groups, self._ranks):
            if len(Ss) == 1:
                out[j] = r
            else:
                ev, U = np.linalg.eigh(sum(lj * S for lj, S in zip(lam[j: j + len(Ss)], Ss)))
                Ur = U[:, -r:] / np.sqrt(ev[-r:])  # S^+ = Ur Ur'
                for i, S in enumerate(Ss):
                    out[j + i] = lam[j + i] * float(np.sum(Ur * (S @ Ur)))
            j += len(Ss)
        return out


@dataclass
class PenalizedFit:
    """One penalized fit. beta (p,); gram G = X'WX and hessian H = G + S_lambda (p, p);
    eta, mu (n,) (None for a closed-form trial fit that did not need them)."""

    lam: np.ndarray
    beta: np.ndarray
    deviance: float
    penalty: float
    gram: np.ndarray
    hessian: np.ndarray
    chol: tuple
    eta: np.ndarray | None = None
    mu: np.ndarray | None = None

    def hinv(self, B: np.ndarray | None = None) -> np.ndarray:
        """``H^{-1} B`` (``H^{-1}`` when B is None)."""
        B = np.eye(self.beta.size) if B is None else B
        return sla.cho_solve(self.chol, B, check_finite=False)

    @property
    def edf(self) -> float:
        return float(np.trace(self.hinv(self.gram)))

    def logdet_hessian(self) -> float:
        return 2.0 * float(np.log(np.diag(self.chol[0])).sum())


class WorkingModel:
    """Penalized weighted least squares from sufficient statistics: the PWLS step.

    G = X~'WX~ (p, p), b = X~'Wz (p,), zz = z'Wz for the working response ``z`` and weights
    ``W`` (``X~ = [1, X]``). Every trial ``lambda`` is O(p^3): ``beta = (G + S)^{-1} b`` and the
    weighted residual sum of squares ``zz - 2 beta'b + beta'G beta``.
    """

    def __init__(self, G, b, zz, n, penalties: Penalties, scale_known: bool,
                 w: np.ndarray | None = None):
        self.G, self.b, self.zz, self.n, self.pen = G, b, zz, n, penalties
        self.scale_known = scale_known
        # weights w (n,): REML's -sum(log w_i) / 2 (y_i ~ N(mu_i, phi / w_i)); a constant in
        # lambda, it makes the criterion invariant to w -> c w
        self.half_logw = 0.0 if w is None else 0.5 * float(np.log(w[w > 0]).sum())

    def fit(self, lam: np.ndarray) -> PenalizedFit:
        S = self.pen.matrix(lam)
        H = self.G + S
        chol = sla.cho_factor(H, lower=True, check_finite=False)
        beta = sla.cho_solve(chol, self.b, check_finite=False)
        rss = max(self.zz - 2.0 * beta @ self.b + beta @ self.G @ beta, 0.0)
        return PenalizedFit(lam, beta, rss, float(beta @ S @ beta), self.G, H, chol)

    def score(self, fit: PenalizedFit, method: str) -> float:
        """GCV, UBRE or REML of the working linear model (exact for the Gaussian family)."""
        n = self.n
        if method in ("gcv", "ubre"):
            return gcv_ubre(method, fit.deviance, fit.edf, n)
        half_logdet = 0.5 * (fit.logdet_hessian() - self.pen.logdet(fit.lam))
        if self.scale_known:  # phi = 1
            return 0.5 * (fit.deviance + fit.penalty) + half_logdet
        Mp = fit.beta.size - self.pen.rank
        if n <= Mp:  # no residual degrees of freedom for the profiled scale
            return math.inf
        # an exact fit has phi = 0 (REML -> -inf); the floor keeps the search comparable
        phi = max((fit.deviance + fit.penalty) / (n - Mp), 1e-300)
        return (0.5 * (n - Mp) * (1.0 + math.log(2.0 * math.pi * phi)) + half_logdet
                - self.half_logw)

    def criterion(self, rho: np.ndarray, method: str) -> float:
        try:
            return self.score(self.fit(np.exp(rho)), method)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            return math.inf

    def value_and_grad(self, rho: np.ndarray, method: str) -> tuple[float, np.ndarray]:
        """The criterion and its exact gradient in ``rho = log(lambda)`` (m,).

        With ``d beta / d rho_j = -lambda_j H^{-1} S_j beta`` and ``G beta - b = -S beta``:
        ``dRSS_j = 2 lambda_j v' S_j beta`` (``v = H^{-1} S beta``),
        ``dtau_j = -lambda_j tr(S_j H^{-1} G H^{-1})``, ``dlog|H|_j = lambda_j tr(H^{-1} S_j)``,
        ``d(RSS + beta'S beta)_j = lambda_j beta' S_j beta`` (the fit is optimal in beta).
        """
        lam = np.exp(rho)
        try:
            fit = self.fit(lam)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            return math.inf, np.zeros_like(rho)
        Hinv = fit.hinv()
        M = Hinv @ self.G @ Hinv
        v = Hinv @ (self.pen.matrix(lam) @ fit.beta)
        d_rss, d_tau, d_logh, d_pq = (np.empty(self.pen.m) for _ in range(4))
        for j, (a, b, Sj) in enumerate(self.pen.items):
            Sjb = Sj @ fit.beta[a:b]
            d_rss[j] = 2.0 * lam[j] * (v[a:b] @ Sjb)
            d_tau[j] = -lam[j] * float(np.sum(Sj * M[a:b, a:b]))
            d_logh[j] = lam[j] * float(np.sum(Sj * Hinv[a:b, a:b]))
            d_pq[j] = lam[j] * (fit.beta[a:b] @ Sjb)
        n, tau, rss = self.n, fit.edf, fit.deviance
        value = self.score(fit, method)
        if method == "gcv":
            grad = n * d_rss / (n - tau) ** 2 + 2.0 * n * rss * d_tau / (n - tau) ** 3
        elif method == "ubre":
            grad = d_rss / n + 2.0 * d_tau / n
        else:
            d_half = 0.5 * (d_logh - self.pen.logdet_grad(lam))
            if self.scale_known:
                grad = 0.5 * d_pq + d_half
            else:
                Mp = fit.beta.size - self.pen.rank
                grad = 0.5 * (n - Mp) * d_pq / (rss + fit.penalty) + d_half
        return value, grad

    def select(self, method: str, rho0: np.ndarray) -> tuple[np.ndarray, float]:
        """``(lambda, criterion)`` minimising ``method`` over ``rho0 +/- 20`` (log scale)."""
        with blas_threads(1):  # p x p algebra: BLAS threads only add contention
            grid = [(self.criterion(rho0 + t, method), t) for t in np.arange(-16.0, 17.0, 2.0)]
            best, t = min(grid)
            if not math.isfinite(best):
                raise ValueError("no smoothing parameter gives a valid fit; the model is not "
                                 "identifiable (check for constant or duplicated columns)")
            bounds = [(r - _RHO_SPAN, r + _RHO_SPAN) for r in rho0]
            rho, best = self._descend(rho0 + t, best, method, bounds)
            # GCV/UBRE can have a local minimum at a finite lambda and a lower value as a
            # term's lambda -> infinity (the term shrinks to its null space) or -> 0: try each
            # coordinate at its bounds and descend again from any improvement.
            for _ in range(2):
                trials = [(self.criterion(r, method), r) for r in _edges(rho, bounds)]
                fbest, rbest = min(trials, key=lambda fr: fr[0], default=(math.inf, rho))
                if not fbest < best - 1e-9 * abs(best):
                    break
                rho, best = self._descend(rbest, fbest, method, bounds)
        return np.exp(rho), best

    def _descend(self, rho, f0, method, bounds):
        res = optimize.minimize(self.value_and_grad, rho, args=(method,), jac=True,
                                method="L-BFGS-B", bounds=bounds, options={"maxiter": 200})
        return (res.x, float(res.fun)) if res.fun <= f0 else (rho, f0)


def _edges(rho, bounds):
    for j, (lo, hi) in enumerate(bounds):
        for edge in (lo, hi):
            if abs(rho[j] - edge) > 1.0:
                r = rho.copy()
                r[j] = edge
                yield r


def gcv_ubre(method: str, deviance: float, edf: float, n: int) -> float:
    """``n D / (n - edf)^2`` (GCV, unknown scale) or ``D/n + 2 edf/n - 1`` (UBRE, scale 1)."""
    if method == "gcv":
        return n * deviance / (n - edf) ** 2 if edf < n else math.inf
    return deviance / n + 2.0 * edf / n - 1.0
