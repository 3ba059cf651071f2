r"""NB2 regression with the dispersion by maximum likelihood, as ``MASS::glm.nb``.

Variance ``mu + alpha mu^2`` (``theta = 1/alpha``); one IRLS with a Newton step in ``log theta``
after every step (:func:`reglab.inference.nb.theta_ml`) until theta settles, then R's rule at that
alpha. Part of :mod:`reglab.models.glm` (which re-exports :class:`NegativeBinomial`).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from reglab._warn import user_stacklevel
from reglab.core.families import get_family
from reglab.inference.nb import count_table, theta_ml
from reglab.models.glm import GLM
from reglab.solvers.irls import (
    ConvergenceWarning,
    irls,
    subsample_information,
    subsample_rows,
)

__all__ = ["NegativeBinomial"]

# rows from which NegativeBinomial starts from a fit on 1/16 of them (>= ~3,000 rows there)
_NB_SUBSAMPLE_MIN_ROWS = 50_000
_NB_SUBSAMPLE_TOL = 1e-6
# theta is settled when its relative change, or Aitken's estimate of the error left, is below
# _SETTLE * tol (1.0, MASS's own rule on the change, moved results by 3.5e-8 relative on the
# benchmark: the alternation converges linearly)
_SETTLE = 0.01
# relative changes of theta below this that stop shrinking are rounding noise
_NOISE = 1e-9


class NegativeBinomial(GLM):
    """NB2 regression (variance ``mu + alpha mu^2``, log link) with alpha by ML, as MASS::glm.nb.

    ``nb_alpha=None`` estimates alpha: one IRLS from the Poisson start with a Newton step of the
    ML of ``theta = 1/alpha`` (:func:`reglab.inference.nb.theta_ml`) after every step, until theta
    settles, then IRLS at that fixed alpha to R's rule (see ``_alternate``). When the data are not
    overdispersed the estimate is alpha = 0 exactly and the fit is the Poisson fit (no drift to
    the boundary). ``nb_alpha=<float>`` keeps it fixed.
    Standard errors are those of the GLM at the final alpha (R's ``summary.negbin``);
    ``alpha_nb_`` = ``family_.alpha``; ``aic_`` counts alpha as a parameter when estimated.
    """

    def __init__(self, nb_alpha: float | None = None, link: Any = "log", alpha: float = 0.0,
                 fit_intercept: bool = True, tol: float = 1e-8, max_iter: int = 100,
                 max_outer: int = 50):
        super().__init__(family="negative_binomial", link=link, alpha=alpha,
                         fit_intercept=fit_intercept, tol=tol, max_iter=max_iter)
        self.nb_alpha = nb_alpha
        self.max_outer = max_outer

    @property
    def _extra_params(self) -> int:  # type: ignore[override]
        return int(self.nb_alpha is None)

    def _make_family(self, alpha: float | None = None):
        a = self.nb_alpha if alpha is None else alpha
        if a == 0:  # the Poisson limit of NB2; keeps the family_.alpha contract
            fam = get_family("poisson", link=self.link)
            fam.alpha = 0.0
            return fam
        return get_family("negative_binomial", link=self.link, alpha=1.0 if a is None else a)

    @property
    def alpha_nb_(self) -> float:
        """The NB2 dispersion of the fit (estimated or fixed); 0 is the Poisson limit."""
        check_is_fitted(self, "params_")
        # a Poisson family_ without alpha: a model file written before the limit was recorded
        return float(getattr(self.family_, "alpha", 0.0))

    def _irls_at(self, alpha, X, y, sw, off, names, start, tol=None):
        fam = self._make_family(alpha)
        # X's rank was checked by the first fit of the alternation (same X, positive weights)
        res = irls(X, y, fam, sample_weight=sw, offset=off, penalty=self._penalty(sw, X),
                   start=start, fit_intercept=self.fit_intercept, tol=tol or self.tol,
                   max_iter=self.max_iter, column_names=names, r_last_step=True,
                   check_rank=start is None)
        return res, fam

    def _solve(self, X, y, family, sw, off, names):
        if self.nb_alpha is not None:
            if self.nb_alpha < 0:
                raise ValueError(f"nb_alpha must be >= 0; got {self.nb_alpha!r}")
            return super()._solve(X, y, family, sw, off, names)
        return self._alternate(X, y, sw, off, names)  # fit() holds BLAS at one thread

    def _alternate(self, X, y, sw, off, names):
        """One IRLS with theta re-estimated by ML (given mu) after every step, instead of full
        IRLS fits between theta updates: beta and theta are orthogonal in the NB2 information,
        so this block Fisher scoring converges about as fast as the Poisson fit alone. Once theta
        settles (MASS's rule, 100x tighter) the family is fixed and IRLS ends by R's rule at that
        alpha: coefficients, SEs and alpha of one and the same fit. Start: R's Poisson mustart,
        or on >= 50,000 rows the same fit on a random 1/16 of the rows (fewer passes over X).
        """
        # no Fortran copy of X: with quasi-Newton starts most sweeps are gradient passes, for
        # which the copy (and the slower row gathers of the subsample) cost more than it saves
        start, theta, H0 = None, None, None
        if X.shape[0] >= _NB_SUBSAMPLE_MIN_ROWS:
            start, theta, H0 = self._subsample_start(X, y, sw, off, names)
        res, fam, _ = self._nb_irls(X, y, sw, off, names, start, theta, self.tol, H0)
        if fam.alpha == 0:  # the Poisson limit: end as the plain Poisson fit does (a warm refit)
            passes = res.n_passes
            res, fam = self._irls_at(0.0, X, y, sw, off, names, res.theta)
            res.n_passes += passes
        return res, fam

    def _subsample_start(self, X, y, sw, off, names):
        rows = subsample_rows(X.shape[0], 16)

        def sub(v):
            return None if v is None else np.take(v, rows, axis=0)  # 2x faster than v[rows]

        try:  # any trouble on the subsample just means no warm start
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res, _, theta = self._nb_irls(sub(X), sub(y), sub(sw), sub(off), names, None,
                                              None, _NB_SUBSAMPLE_TOL)
        except (ValueError, np.linalg.LinAlgError):
            return None, None, None
        ok = np.isfinite(res.theta).all() and theta is not None and theta > 0  # not NaN
        # the subsample's information, rescaled: the full fit's first steps need no Gram
        H0 = subsample_information(res.gram, X.shape[0], len(rows))
        return (res.theta, theta, H0) if ok else (None,) * 3

    def _nb_irls(self, X, y, sw, off, names, start, theta_start, tol, start_hessian=None):
        counts = count_table(y, sw)
        first = 0.0 if theta_start is None or math.isinf(theta_start) else 1.0 / theta_start
        state = {"theta": theta_start, "rounds": int(theta_start is not None),
                 "fam": self._make_family(first), "changes": [math.inf, math.inf]}

        def update(mu, fam):
            # one safeguarded Newton step in log theta per IRLS step (joint Fisher scoring:
            # beta and theta are orthogonal); a full theta.ml for a mu still on the move is waste
            theta0 = state["theta"]
            theta = theta_ml(y, mu, sw, start=theta0, counts=counts, max_iter=1)
            state.update(theta=theta, rounds=state["rounds"] + 1)
            alpha = 0.0 if math.isinf(theta) else 1.0 / theta
            change = abs(theta - theta0) / max(theta0, 1.0) if state["rounds"] > 1 else math.inf
            # settled: the change, or the error left after a linearly converging sequence
            # (change * r / (1 - r), Aitken's estimate, r the larger of the last two observed
            # rates: one rate alone can flatter a sequence whose beta is still moving), below
            # 0.01 tol
            c1, c2 = state["changes"][-2:]
            r = max(change / c2, c2 / c1) if math.isfinite(c1) else math.inf
            state["changes"].append(change)
            # (or stalled at rounding: theta's likelihood is flat for large theta, and its Newton
            # step then jitters at ~1e-11 relative instead of shrinking; a tight tol never
            # settles on that without this)
            if alpha == fam.alpha or change < _SETTLE * tol or (change < _NOISE and r >= 1.0):
                return None
            if r < 0.5 and change * r / (1.0 - r) < _SETTLE * tol:
                state["fam"] = self._make_family(alpha)
                return state["fam"], True  # this theta is within 0.01 tol: the last family
            if state["rounds"] > self.max_outer:
                warnings.warn(f"alpha alternation did not settle in {self.max_outer} rounds "
                              f"(theta {theta0:.6g} -> {theta:.6g})", ConvergenceWarning,
                              stacklevel=user_stacklevel())
                return None
            state["fam"] = self._make_family(alpha)
            return state["fam"]

        res = irls(X, y, state["fam"], sample_weight=sw, offset=off, start=start,
                   penalty=self._penalty(sw, X), fit_intercept=self.fit_intercept, tol=tol,
                   max_iter=self.max_iter, column_names=names, r_last_step=True,
                   family_update=update, start_hessian=start_hessian)
        return res, state["fam"], state["theta"]
