r"""Likelihood-based inference for fitted GLMs: covariance, dispersion, log-likelihood, AIC/BIC,
Wald tests and intervals on the response scale. NumPy/SciPy only; conventions follow R's
``summary.glm``, ``logLik.glm`` and ``AIC``.

Notation: ``theta`` (q,) the coefficients (intercept first), ``H`` (q, q) the Fisher information
``X~^T W X~ (+ P)`` from IRLS, ``phi`` the dispersion, ``n`` the observations with nonzero weight.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg as sla
from scipy import stats

from reglab.core._counts import sum_by_value, value_table

__all__ = ["covariance", "pearson_chi2", "pearson_dispersion", "ml_scale", "r_loglik",
           "information_criteria", "wald_test", "response_interval", "WaldTest", "null_deviance",
           "glm_fit_statistics"]


def covariance(hessian: np.ndarray, dispersion: float = 1.0) -> np.ndarray:
    r"""Wald covariance ``phi * H^{-1}`` (q, q), by Cholesky of the (q, q) information ``H``.

    A numerically singular ``H`` (a separated fit whose weights underflowed) falls back to the
    Moore-Penrose inverse: the huge variances it gives are the honest answer there.
    """
    try:
        c = sla.cho_factor(hessian, lower=True)
        return dispersion * sla.cho_solve(c, np.eye(hessian.shape[0]))
    except (np.linalg.LinAlgError, ValueError):
        return dispersion * np.linalg.pinv(hessian, hermitian=True)


def pearson_chi2(family: Any, y: np.ndarray, mu: np.ndarray,
                 sample_weight: np.ndarray | None = None) -> float:
    r"""Pearson statistic :math:`X^2 = \sum_i w_i (y_i - \mu_i)^2 / V(\mu_i)`."""
    r2 = (y - mu) ** 2 / family.variance(mu)
    return float(r2.sum() if sample_weight is None else r2 @ sample_weight)


def pearson_dispersion(family: Any, y, mu, sample_weight, df_resid: float,
                       chi2: float | None = None) -> float:
    r"""R's ``summary.glm`` dispersion: ``X^2 / df_resid`` (1 for families with a known scale).

    Returns NaN when ``df_resid <= 0`` (a saturated model has no residual information).
    ``chi2``: Pearson's X^2 if already computed (saves a pass over n).
    """
    if family.scale_fixed:
        return 1.0
    if df_resid <= 0:
        return math.nan
    return (pearson_chi2(family, y, mu, sample_weight) if chi2 is None else chi2) / df_resid


def ml_scale(family: Any, deviance: float, sample_weight: np.ndarray | None, n: int) -> float:
    """The dispersion R plugs into ``family$aic``: ``dev / n`` (gaussian), ``dev / sum(w)`` (else).

    For the gaussian family this is the exact ML estimate of sigma^2; for Gamma and inverse
    Gaussian it is R's convention (not the ML estimate), kept so that AIC agrees with R.
    """
    if family.scale_fixed:
        return 1.0
    if family.name == "gaussian" or sample_weight is None:
        return deviance / n
    return deviance / float(np.sum(sample_weight))


def r_loglik(family: Any, y, mu, sample_weight, deviance: float, n: int,
             table: tuple | None = None) -> float:
    """Log-likelihood as R's ``logLik.glm`` reports it (full density, constants included).

    For a known scale and count-valued y (no prior weights) it is ``l(y; y) - D / 2`` (the
    definition of the deviance), with the saturated ``l(y; y)`` summed over the distinct values
    of y: no special functions over every row. ``table``: that count table if already at hand.
    """
    scale = ml_scale(family, deviance, sample_weight, n)
    if family.scale_fixed and sample_weight is None and isinstance(y, np.ndarray):
        table = value_table(y, sort_fallback=False) if table is None else table
        if table is not None:
            u, c = table
            with np.errstate(divide="ignore", invalid="ignore"):
                sat = float(family.loglik(u, u, sample_weight=c))
            if math.isfinite(sat):
                return sat - 0.5 * float(deviance)
    try:
        # separated fits have mu exactly 0 or 1: log(0) warnings, the sum stays finite (0 log 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(family.loglik(y, mu, sample_weight=sample_weight, scale=scale))
    except (NotImplementedError, AttributeError, ValueError):
        return math.nan  # e.g. a Tweedie power without a closed-form density: R's aic is NA too


def information_criteria(llf: float, n_params: int, nobs: int) -> tuple[float, float]:
    """``(AIC, BIC) = (-2 llf + 2 k, -2 llf + log(n) k)``; ``k`` counts a free dispersion too."""
    return -2.0 * llf + 2.0 * n_params, -2.0 * llf + math.log(nobs) * n_params


class WaldTest(dict):
    """Result of :func:`wald_test`: keys ``statistic``, ``df``, ``pvalue``, ``distribution``."""

    def __repr__(self) -> str:
        return (f"WaldTest({self['distribution']} = {self['statistic']:.6g}, df = {self['df']}, "
                f"p = {self['pvalue']:.4g})")


def wald_test(params: np.ndarray, cov: np.ndarray, R: Any, q: Any = None,
              df_resid: float | None = None) -> WaldTest:
    r"""Joint Wald test of ``R theta = q``: :math:`W = (R\hat\theta - q)^\top (R V R^\top)^{-1}
    (R\hat\theta - q)`.

    params: (k,); cov: (k, k); R: (m, k) (or (k,) for one restriction); q: (m,) (default 0).
    ``df_resid=None``: chi-square(m) reference; otherwise ``F = W / m`` on (m, df_resid), as R's
    ``anova(..., test="F")`` for models with an estimated dispersion.
    """
    R = np.atleast_2d(np.asarray(R, dtype=float))
    if R.shape[1] != len(params):
        raise ValueError(f"R has {R.shape[1]} columns but there are {len(params)} parameters")
    q = np.zeros(R.shape[0]) if q is None else np.asarray(q, dtype=float).reshape(-1)
    d = R @ params - q
    W = float(d @ np.linalg.solve(R @ cov @ R.T, d))
    m = R.shape[0]
    if df_resid is None:
        return WaldTest(statistic=W, df=m, pvalue=float(stats.chi2.sf(W, m)), distribution="chi2")
    F = W / m
    return WaldTest(statistic=F, df=(m, df_resid), pvalue=float(stats.f.sf(F, m, df_resid)),
                    distribution="F")


def response_interval(eta: np.ndarray, se_eta: np.ndarray, link: Any, level: float = 0.95,
                      df: float | None = None) -> pd.DataFrame:
    r"""Confidence interval for the mean on the response scale, by transforming the Wald
    interval of the linear predictor: :math:`g^{-1}(\hat\eta \pm q\,\mathrm{se}(\hat\eta))`.

    eta, se_eta: (n,). Transforming the eta interval (rather than a delta-method interval on mu)
    keeps it inside the family's range (probabilities in (0, 1), means > 0). ``df`` selects a t
    quantile (estimated dispersion) instead of the normal one. Returns R's columns ``fit``,
    ``lwr``, ``upr`` (lwr <= upr even for decreasing links) and ``se_fit``, the mean's standard
    error by the delta method (R's ``predict(type="response", se.fit=TRUE)``), plus ``se_link``.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level!r}")
    z = stats.norm.ppf(0.5 + level / 2) if df is None else stats.t.ppf(0.5 + level / 2, df)
    a = link.inverse(eta - z * se_eta)
    b = link.inverse(eta + z * se_eta)
    se_mu = np.abs(link.inverse_derivative(eta)) * se_eta
    return pd.DataFrame({"fit": link.inverse(eta), "lwr": np.minimum(a, b),
                         "upr": np.maximum(a, b), "se_fit": se_mu, "se_link": se_eta})


def null_deviance(y, family, sample_weight=None, offset=None, fit_intercept: bool = True,
                  table: tuple | None = None):
    """Deviance of the null model (R's ``null.deviance``): intercept (+ offset) only, or
    ``mu = g^{-1}(offset)`` without an intercept. Returns ``(deviance, mu)``. ``table``: the
    distinct values of y with their total weights, if at hand (counts: summed over those)."""
    if not fit_intercept:
        eta = np.zeros_like(y) if offset is None else offset
        mu = family.mean(eta)
        return float(family.deviance(y, mu, sample_weight=sample_weight)), mu
    if offset is None:  # closed form: the weighted mean solves the score equation for any link
        m = float(np.average(y, weights=sample_weight))
        dev = sum_by_value(lambda u: family.unit_deviance(u, np.full_like(u, m)), y,
                           sample_weight, table)
        return dev, np.broadcast_to(np.float64(m), y.shape)
    from reglab.solvers.irls import irls  # the null fit with an offset needs IRLS

    res = irls(np.empty((len(y), 0)), y, family, sample_weight=sample_weight, offset=offset)
    return res.deviance, res.mu


def glm_fit_statistics(X, y, sw, off, res, family, nobs: int, fit_intercept: bool,
                       extra_params: int = 0, shift: np.ndarray | None = None) -> dict:
    """Everything R's ``summary.glm``/``logLik`` report, from an IRLS result.

    ``extra_params`` counts estimated parameters beyond the coefficients and a free dispersion
    (1 for the negative binomial's alpha). Keys end up as fitted attributes (``deviance_`` ...);
    ``cov`` is the (q, q) covariance and ``cov_params`` the same (for the standard errors).
    ``shift`` (p,): the column means subtracted from X before IRLS (``res`` is then the fit of
    the centred design); the covariance is mapped back to the intercept of the original columns,
    ``A cov A^T`` with ``A = [[1, -shift], [0, I]]``, which stays accurate where inverting the
    uncentred information would not.
    """
    with np.errstate(divide="ignore", invalid="ignore"):  # separated fits: mu at 0 or 1
        return _fit_statistics(X, y, sw, off, res, family, nobs, fit_intercept, extra_params,
                               shift)


def prediction_variance(D: np.ndarray, cov: np.ndarray, shift: np.ndarray | None = None,
                        cov_centred: np.ndarray | None = None) -> np.ndarray:
    """``diag(D cov D^T)`` (n,): the variance of each row's linear predictor, ``D (n, q)`` the
    design rows with the intercept first. For a fit on columns centred by ``shift``, with its
    covariance ``cov_centred``, the rows are centred first, ``(D A) cov_c (D A)^T``: the same
    number without the cancellation of ``cov``'s ``shift^2 var(b)`` terms (a column 1e6 from 0
    left no digit of the intercept's variance)."""
    if shift is not None and cov_centred is not None:
        D = D.copy()
        D[:, 1:] -= shift
        cov = cov_centred
    return np.einsum("ij,jk,ik->i", D, cov, D)


def effective_df(res) -> float:
    """The coefficients' effective degrees of freedom ``trace((X'WX + P)^-1 X'WX)``: their count
    ``q`` unpenalized, fewer under a ridge penalty (as a GAM's edf). AIC and BIC count these, so a
    penalized fit is not charged for coefficients the penalty holds back."""
    q = res.theta.shape[0]
    if res.hessian is res.gram or np.array_equal(res.hessian, res.gram):
        return float(q)
    try:
        return float(np.trace(np.linalg.solve(res.hessian, res.gram)))
    except np.linalg.LinAlgError:
        return float(q)


def uncentre(shift: np.ndarray) -> np.ndarray:
    """``A (q, q)`` mapping the coefficients of a design centred by ``shift`` (intercept first)
    to those of the original columns: ``b0 = b0_c - shift . b``, the slopes unchanged; a
    covariance maps as ``A V A^T``."""
    A = np.eye(len(shift) + 1)
    A[0, 1:] = -shift
    return A


def _fit_statistics(X, y, sw, off, res, family, nobs, fit_intercept, extra_params,
                    shift=None) -> dict:
    q = res.theta.shape[0]
    df_resid = nobs - q
    chi2 = pearson_chi2(family, y, res.mu, sw)
    dispersion = pearson_dispersion(family, y, res.mu, sw, df_resid, chi2)
    with np.errstate(invalid="ignore"):
        # R's convention: the information of the last IRLS step (see IRLSResult.step_hessian)
        cov = covariance(res.step_hessian, dispersion if np.isfinite(dispersion) else np.nan)
        cov_centred = None
        if shift is not None:
            A = uncentre(shift)
            cov, cov_centred = A @ cov @ A.T, cov
    table = getattr(res, "y_table", None)
    null_dev, _ = null_deviance(y, family, sw, off, fit_intercept, table)
    llf = r_loglik(family, y, res.mu, sw, res.deviance, nobs, table)
    edf = effective_df(res)
    k = edf + (0 if family.scale_fixed else 1) + extra_params
    aic, bic = information_criteria(llf, k, nobs)
    return {"cov": cov, "cov_params": cov, "cov_centred": cov_centred,
            "deviance": res.deviance, "null_deviance": null_dev,
            "df_resid": df_resid, "df_null": nobs - int(fit_intercept),
            "df_model": q - int(fit_intercept), "nobs": nobs, "dispersion": dispersion,
            "pearson_chi2": chi2, "llf": llf, "aic": aic,
            "bic": bic, "rank": q, "edf": edf}
