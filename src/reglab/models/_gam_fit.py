r"""Penalized fits of a GAM at given smoothing parameters, and their automatic selection.

The coefficients ``beta`` (p,) (intercept first) minimise the penalized half deviance

.. math::

    \tfrac12 D(\beta) + \tfrac12 \beta^\top S_\lambda \beta, \qquad
    S_\lambda = \sum_j \lambda_j S_j ,

by penalized IRLS: :func:`reglab.solvers.irls.irls` with ``penalty = S_lambda`` (the GLM solver,
reused). For the Gaussian family with identity link the fit is one penalized least-squares step,
``(X'WX + S_lambda) beta = X'Wy``, so ``X'WX`` and ``X'Wy`` are computed once and every trial
``lambda`` costs O(p^3) instead of O(n p^2).

With ``H = X'WX + S_lambda`` and ``G = X'WX`` (W the Fisher weights at the fit), the effective
degrees of freedom are ``tau = tr(H^{-1} G)`` (per coefficient: ``diag(H^{-1} G)``). Criteria
minimised over ``rho = log(lambda)``, with ``n`` = the number of rows of positive weight:

- GCV (unknown scale):  ``n D / (n - tau)^2``
- UBRE (known scale, an AIC):  ``D / n + 2 tau / n - 1``
- REML (Laplace approximation with the Fisher information, Wood 2011):
  ``-l(beta, phi) + beta' S beta / (2 phi) + log|H| / 2 - log|S_lambda|_+ / 2
  - M_p log(2 pi phi) / 2``, with ``M_p`` = dimension of the null space of ``S_lambda``. For
  the Gaussian family ``phi`` is profiled out exactly, ``phi = (D + beta'S beta) / (n - M_p)``;
  for other unknown-scale families it is minimised numerically.

Sample weights are *prior* weights, as in R's ``glm`` and mgcv: row ``i`` has dispersion
``phi / w_i`` (``Var(y_i) = phi V(mu_i) / w_i``), ``D`` is the weighted deviance and
``l`` the log-likelihood with those per-row dispersions (for known-scale families the weights
multiply the log density, as R's family ``aic`` and mgcv's saturated likelihood do: a binomial
weight counts trials). Rows of weight 0 count nowhere. For an estimated scale, multiplying every
weight by ``c`` leaves ``beta`` and ``tau`` unchanged and scales ``lambda``, ``phi`` and ``D`` by
``c`` (the penalty is on the scale of the weighted deviance, as mgcv's ``sp``); REML, with its
``-sum(log w_i) / 2``, is unchanged. (``GAM`` therefore fits with weights of mean 1.)

Search (on a working linear model, O(p^3) per trial): a grid over a common shift of all
``rho``, L-BFGS-B from the best grid point, then each ``rho_j`` tried at its bounds (GCV/UBRE can
prefer ``lambda_j -> infinity`` beyond a local minimum). Gaussian identity: the working model is
the model, so this is exact. Other families: *performance iteration* (Gu 1992, Wood 2004): IRLS
(the GLM solver) at the current ``lambda``, select ``lambda`` on the working model
``(z, W)`` of that fit, repeat to a fixed point. Its criteria use the working residual sum of
squares in place of the deviance (REML: the PQL form); ``score_`` reports the deviance-based
(Laplace) criterion of the final fit.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
from scipy import optimize, special, stats
from threadpoolctl import ThreadpoolController

from reglab._warn import user_stacklevel
from reglab.solvers.irls import ConvergenceWarning, irls

__all__ = ["Penalties", "PenalizedFit", "WorkingModel", "Engine", "smooth_test", "METHODS",
           "blas_threads"]

METHODS = ("gcv", "ubre", "reml")
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


class Engine:
    """Fits at given ``lam``, selects ``lam``. X: (n, p - 1) term columns (no intercept)."""

    def __init__(self, X, y, sample_weight, family, penalties: Penalties, names=None):
        self.X, self.y, self.sw, self.family, self.pen = X, y, sample_weight, family, penalties
        self.names = names  # column names for IRLS's messages, e.g. "s(age)[3]"
        # prior weights (R's glm, mgcv): n counts rows, not weight; weight 0 rows count nowhere
        self.n = float(np.count_nonzero(sample_weight > 0))
        self._groups = None  # rows by distinct weight, for the prior-weight log-likelihood
        self.scale_known = bool(family.scale_fixed)
        self.closed_form = family.name == "gaussian" and family.link.name == "identity"
        self._start = None
        self.settled: PenalizedFit | None = None  # the converged fit at the selected lambda
        self.n_outer = 1  # performance iterations used by select (1: closed form or fixed)
        self._gaussian = self._working(sample_weight, y) if self.closed_form else None

    def _working(self, w: np.ndarray, z: np.ndarray) -> WorkingModel:
        X, wz = self.X, w * z
        p = X.shape[1] + 1
        G = np.empty((p, p))
        G[0, 0] = w.sum()
        G[0, 1:] = G[1:, 0] = w @ X
        # A.T @ A on one buffer is a BLAS syrk (half the flops of a general product)
        Xs = X if np.all(w == 1.0) else X * np.sqrt(w)[:, None]
        G[1:, 1:] = Xs.T @ Xs
        b = np.concatenate([[wz.sum()], X.T @ wz])
        return WorkingModel(G, b, float(wz @ z), self.n, self.pen, self.scale_known, w)

    def start_rho(self) -> np.ndarray:
        """``log`` of the lambda that makes each penalty as large as its block of X'X."""
        if self._gaussian is not None:
            diag = np.diag(self._gaussian.G)[1:]
        else:
            diag = np.einsum("ij,ij,i->j", self.X, self.X, self.sw)
        return np.asarray([math.log(diag[a - 1: b - 1].sum() / np.trace(S))
                           for a, b, S in self.pen.items])

    def fit(self, lam: np.ndarray, tol: float = 1e-10, max_iter: int = 100) -> PenalizedFit:
        """The penalized fit at ``lam`` (raises LinAlgError when ``H`` is singular)."""
        done = self.settled
        if done is not None and tol >= 1e-8 and np.array_equal(done.lam, lam):
            return done
        S = self.pen.matrix(lam)
        if self.closed_form:
            fit = self._gaussian.fit(lam)
            fit.eta = fit.mu = fit.beta[0] + self.X @ fit.beta[1:]
            r = self.y - fit.eta
            fit.deviance = float(self.sw @ (r * r))
            return fit
        res = irls(self.X, self.y, self.family, sample_weight=self.sw, penalty=S,
                   column_names=self.names,
                   start=self._start, tol=tol, max_iter=max_iter)
        self._start = res.theta.copy()
        chol = sla.cho_factor(res.hessian, lower=True, check_finite=False)
        return PenalizedFit(lam, res.theta.copy(), float(res.deviance),
                            float(res.theta @ S @ res.theta), res.gram, res.hessian, chol,
                            res.eta.copy(), res.mu.copy())

    def select(self, method: str, max_outer: int = 50) -> np.ndarray:
        """Smoothing parameters (m,) minimising ``method``'s criterion.

        Gaussian identity: directly. Other families: performance iteration (Gu 1992; Wood
        2004) -- fit by IRLS at the current lambda, select lambda on the working linear model
        of that fit, repeat until lambda no longer improves the working criterion.
        """
        rho0 = self.start_rho()
        if self.closed_form:
            return self._gaussian.select(method, rho0)[0]
        lam = np.exp(rho0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for self.n_outer in range(1, max_outer + 1):
                fit = self.fit(lam, tol=1e-8)
                wm = self._working_at(fit)
                new, crit = wm.select(method, rho0)
                old = wm.criterion(np.log(lam), method)
                if old - crit <= 1e-7 * abs(crit) + 1e-12:
                    # settled: keep the lambda whose converged fit is at hand. Refitting at
                    # the (equally good) new one from that optimum can fail to find a strictly
                    # lower deviance and warn of a non-convergence that did not happen.
                    self.settled = fit
                    return lam
                lam = new
        warnings.warn(f"smoothing-parameter selection ({method}) did not settle in {max_outer} "
                      "performance iterations; using the last lambda", ConvergenceWarning,
                      stacklevel=user_stacklevel())
        return lam

    def _working_at(self, fit: PenalizedFit) -> WorkingModel:
        g, w = self.family.gradient_hessian(self.y, fit.eta, sample_weight=self.sw)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(w > 0, fit.eta - g / w, 0.0)
        return self._working(w, z)

    def score(self, fit: PenalizedFit, method: str) -> float:
        """The criterion at a converged fit (deviance-based; REML by Laplace)."""
        if self.closed_form:
            return self._gaussian.score(fit, method)
        if method in ("gcv", "ubre"):
            return gcv_ubre(method, fit.deviance, fit.edf, self.n)
        half_logdet = 0.5 * (fit.logdet_hessian() - self.pen.logdet(fit.lam))
        if self.scale_known:
            return self._reml_at(fit, 1.0) + half_logdet
        res = optimize.minimize_scalar(lambda lp: self._reml_at(fit, math.exp(lp)),
                                       bounds=(-30.0, 30.0), method="bounded",
                                       options={"xatol": 1e-8})
        return float(res.fun) + half_logdet

    def _reml_at(self, fit: PenalizedFit, phi: float) -> float:
        Mp = fit.beta.size - self.pen.rank
        ll = self._loglik(fit.mu, phi)
        return -ll + fit.penalty / (2.0 * phi) - 0.5 * Mp * math.log(2.0 * math.pi * phi)

    def _loglik(self, mu: np.ndarray, phi: float) -> float:
        """``sum_i log p(y_i | mu_i, phi / w_i)``: prior weights divide the dispersion. The
        Gaussian's ``loglik`` reads weights so already, and a known-scale family's weights
        multiply the log density (R's ``aic``). Gamma and inverse Gaussian: ``l(y; y) - D /
        (2 phi)`` with the saturated ``l(y; y)`` in closed form; any other family (``loglik``
        takes one scale) is summed over the rows of each distinct weight."""
        fam, y, w = self.family, self.y, self.sw
        if fam.scale_fixed or getattr(fam, "_precision_weights", False):
            return float(fam.loglik(y, mu, sample_weight=w, scale=phi))
        saturated = _SATURATED.get(fam.name)
        if saturated is not None:
            pos = w > 0
            return (float(saturated(y[pos], w[pos] / phi).sum())
                    - 0.5 * float(fam.deviance(y, mu, sample_weight=w)) / phi)
        if self._groups is None:
            pos = np.flatnonzero(w > 0)
            vals, inv = np.unique(w[pos], return_inverse=True)
            order = np.argsort(inv, kind="stable")
            cuts = np.cumsum(np.bincount(inv))[:-1]
            self._groups = list(zip(vals, np.split(pos[order], cuts)))
        return sum(float(fam.loglik(y[rows], mu[rows], scale=phi / v))
                   for v, rows in self._groups)


def gcv_ubre(method: str, deviance: float, edf: float, n: int) -> float:
    """``n D / (n - edf)^2`` (GCV, unknown scale) or ``D/n + 2 edf/n - 1`` (UBRE, scale 1)."""
    if method == "gcv":
        return n * deviance / (n - edf) ** 2 if edf < n else math.inf
    return deviance / n + 2.0 * edf / n - 1.0


def smooth_test(beta: np.ndarray, V: np.ndarray, Xj: np.ndarray, edf: float,
                resid_df: float | None) -> tuple[float, float, int]:
    """Wald test that a smooth is zero: ``(statistic, p-value, reference df r)``.

    The statistic is on the scale of the fitted values (invariant to the basis): with
    ``R'R = Xj'Xj`` (as from ``Xj = Q R``), ``f = R beta`` has covariance ``R V R'`` and
    ``T = f' (R V R')^{r-} f`` uses the rank-``r`` pseudo-inverse, ``r = max(1, round(edf))``
    (the "Wood 2006" test that mgcv used before its 2013 fractional-rank version).
    Reference: ``T ~ chi^2_r`` (known scale) or ``T / r ~ F(r, resid_df)`` (estimated scale).
    """
    # Any R with R'R = Xj'Xj gives the same statistic (it is invariant to rotations of R).
    ev, U = np.linalg.eigh(Xj.T @ Xj)
    R = np.sqrt(np.clip(ev, 0.0, None))[:, None] * U.T
    Vf = R @ V @ R.T
    ev, U = np.linalg.eigh(0.5 * (Vf + Vf.T))
    ev, U = ev[::-1], U[:, ::-1]
    full_rank = int(np.sum(ev > ev[0] * 1e-10)) if ev[0] > 0 else 0
    r = int(min(max(1, round(edf)), max(full_rank, 1)))
    if full_rank == 0:  # zero covariance (an exact fit, scale 0): no test possible
        return math.nan, math.nan, r
    d = U[:, :r].T @ (R @ beta)
    T = float(np.sum(d * d / ev[:r]))
    if resid_df is None:
        return T, float(stats.chi2.sf(T, r)), r
    return T / r, float(stats.f.sf(T / r, r, resid_df)), r


def _gamma_saturated(y: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``log p(y | mu = y)`` of a gamma of shape ``a`` (n,): ``a log a - lgamma(a) - log y - a``."""
    return a * np.log(a) - special.gammaln(a) - np.log(y) - a


def _inverse_gaussian_saturated(y: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``log p(y | mu = y)`` of an inverse Gaussian of shape ``a`` (n,):
    ``(log a - log(2 pi) - 3 log y) / 2``."""
    return 0.5 * (np.log(a) - math.log(2.0 * math.pi) - 3.0 * np.log(y))


# saturated log-likelihoods at per-row precision a_i = w_i / phi (Engine._loglik)
_SATURATED = {"gamma": _gamma_saturated, "inverse_gaussian": _inverse_gaussian_saturated}
