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

The penalties and the working linear model (PWLS from sufficient statistics, the ``lambda``
search) live in :mod:`reglab.models._gam_pwls`; this module holds the :class:`Engine` (IRLS
fits, performance iteration, deviance-based scores) and the Wald test of a smooth.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import scipy.linalg as sla
from scipy import optimize, special, stats

from reglab._warn import user_stacklevel
from reglab.models._gam_pwls import (
    PenalizedFit,
    Penalties,
    WorkingModel,
    blas_threads,
    gcv_ubre,
)
from reglab.solvers.irls import ConvergenceWarning, irls

__all__ = ["Penalties", "PenalizedFit", "WorkingModel", "Engine", "smooth_test", "METHODS",
           "blas_threads"]

METHODS = ("gcv", "ubre", "reml")


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
