"""A fitted GAM's attributes from the engine's fit at the chosen smoothing parameters.

:func:`store_fit` sets what :meth:`reglab.models.gam.GAM.fit` documents (``lam_``,
``coef_``, ``deviance_``, ``scale_``, ``edf_``, ``Vp_``, ``score_``, ``aic_``, ...) and the
per-smooth Wald tests (``smooth_tests_``); the formulas are in :mod:`reglab.models.gam` and
:mod:`reglab.models._gam_fit`.
"""

from __future__ import annotations

import math

import numpy as np

from reglab.inference.glm_stats import r_loglik, uncentre
from reglab.models._gam_fit import smooth_test

__all__ = ["store_fit"]


def store_fit(est, engine, fit, family, X, D, y, sw, unit, shift=None) -> None:
    """Set the GAM ``est``'s fitted attributes; ``fit`` is on weights ``sw / unit`` (its lambda,
    deviance and ``H`` are ``1 / unit`` times those of ``sw``) and on ``D - shift`` when
    ``shift``."""
    n, tau = int(np.count_nonzero(sw > 0)), fit.edf  # prior weights: n counts rows
    mu = family.mean(fit.eta) if engine.closed_form else fit.mu
    A = None if shift is None else uncentre(shift)
    beta = fit.beta if A is None else A @ fit.beta
    est.lam_, est.intercept_, est.coef_ = fit.lam * unit, float(beta[0]), beta[1:].copy()
    est.deviance_ = float(family.deviance(y, mu, sample_weight=sw))
    ybar = np.full_like(y, np.average(y, weights=sw))
    est.null_deviance_ = float(family.deviance(y, ybar, sample_weight=sw))
    est.deviance_explained_ = 1.0 - est.deviance_ / est.null_deviance_ \
        if est.null_deviance_ > 0 else 1.0
    est.df_resid_ = n - tau
    if engine.scale_known:
        est.scale_ = 1.0
    else:
        pearson = np.sum(sw * (y - mu) ** 2 / family.variance(mu))
        est.scale_ = float(pearson / max(est.df_resid_, 1e-12))
    hinv = hinv_centred = fit.hinv() / unit
    influence = hinv @ fit.gram  # H^-1 X'WX, whose diagonal holds the edf
    if A is not None:  # back to the original columns: A H^-1 A^T and A (H^-1 X'WX) A^-1
        hinv, influence = A @ hinv @ A.T, A @ influence @ uncentre(-shift)
    edf = np.diag(influence) * unit
    est.edf_ = {t.label: float(edf[sl].sum()) for t, sl in zip(est.terms_, est.slices_)}
    est.edf_total_ = float(edf.sum())
    est.Vp_ = hinv * est.scale_
    # the centring and the covariance it was fitted in, for accurate prediction bands
    est.design_shift_ = shift
    est.Vp_centred_ = None if A is None else hinv_centred * est.scale_
    est.score_ = math.nan if est.method_ == "fixed" else \
        engine.score(fit, est.method_) * (unit if est.method_ == "gcv" else 1.0)
    # AIC as the GLM's (R's family aic): the scale at R's plug-in value, one df for it.
    if engine.scale_known or est.deviance_ > 0:
        ll = r_loglik(family, y, mu, sw, est.deviance_, n)
        est.aic_ = -2.0 * ll + 2.0 * (tau + (0 if engine.scale_known else 1))
    else:  # an exact fit: the likelihood is unbounded (R reports -Inf)
        est.aic_ = -math.inf
    resid_var = np.sum(sw * (y - mu) ** 2) / max(est.df_resid_, 1e-12)
    est.r2_adj_ = 1.0 - resid_var / (np.sum(sw * (y - ybar) ** 2) / max(n - 1, 1))
    est.family_, est.n_samples_ = family, n
    est.ranges_ = {j: (float(np.min(c)), float(np.max(c))) for j in range(X.shape[1])
                   if (c := _try_numeric(X[:, j])) is not None}
    _smooth_stats(est, D)


def _try_numeric(col):
    try:
        return np.asarray(col, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _smooth_stats(est, D) -> None:
    """Per smooth: (edf, reference df, statistic, p-value) of the Wald-type test."""
    resid_df = None if est.family_.scale_fixed else est.df_resid_
    rows = {}
    for t, sl in zip(est.terms_, est.slices_):
        if t.penalties:
            Xj = D[:, sl.start - 1: sl.stop - 1]
            beta = est.coef_[sl.start - 1: sl.stop - 1]
            stat, p, r = smooth_test(beta, est.Vp_[sl, sl], Xj, est.edf_[t.label], resid_df)
            rows[t.label] = (est.edf_[t.label], r, stat, p)
    est.smooth_tests_ = rows
