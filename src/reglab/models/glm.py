r"""Generalized linear models fitted by IRLS, with R-grade inference.

.. math::

    g(\mu_i) = \eta_i = \beta_0 + x_i^\top\beta + o_i, \qquad
    \operatorname{Var}(y_i) = \phi\, V(\mu_i) / w_i,

for any core :class:`~reglab.core.families.Family` (distribution + link). ``o`` is the offset
(``log(exposure)`` is added to it), ``w`` the prior weights (binomial: the number of trials).
``alpha > 0`` adds scikit-learn's ridge penalty ``alpha/2 ||beta||^2`` to the mean half deviance
(the intercept is not penalized). :class:`NegativeBinomial` also estimates the NB2 dispersion
``alpha`` by maximum likelihood, alternating IRLS with a 1-D Newton search as ``MASS::glm.nb``.

Inference follows R's ``summary.glm``: covariance ``phi (X~^T W X~)^{-1}`` with the Pearson
dispersion ``phi = X^2 / (n - q)`` when the scale is not known (z tests when it is, t tests when it
is estimated); ``llf_``, ``aic_`` and ``bic_`` as R's ``logLik``/``AIC``/``BIC``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from reglab._warn import user_stacklevel
from reglab.core._xp import plain
from reglab.core.families import get_family
from reglab.inference import glm_stats as gs
from reglab.inference.residuals import glm_residuals
from reglab.inference.separation import (
    SeparationWarning,
    detect_separation,
    detect_zero_count_divergence,
)
from reglab.inference.table import coef_table
from reglab.models._design import (
    check_finite_X,
    check_numeric_columns,
    far_column_shift,
    feature_names,
)
from reglab.models._formula import FormulaMixin
from reglab.models._glm_summary import summary_text
from reglab.solvers.irls import (
    irls,
    one_blas_thread,
)

__all__ = ["GLM", "NegativeBinomial", "feature_names", "check_finite_X"]

def check_vector(v: Any, n: int, name: str, positive: bool = False) -> np.ndarray | None:
    """A float (n,) copy of ``v`` (None passes), with errors naming the row of a bad value."""
    if v is None:
        return None
    a = np.asarray(v, dtype=float).reshape(-1)
    if a.shape[0] != n:
        raise ValueError(f"{name} has {a.shape[0]} entries but X has {n} rows")
    bad = ~np.isfinite(a) | ((a < 0) if positive else False)
    if bad.any():
        i = int(np.argmax(bad))
        need = "finite and >= 0" if positive else "finite"
        raise ValueError(f"{name} must be {need}; got {float(a[i])!r} at row {i}")
    return a


# count families whose log-link MLE fails to exist when zero counts can be fitted exactly
_COUNT_FAMILIES = ("poisson", "negative_binomial", "tweedie")


def _offset(n: int, offset: Any, exposure: Any, family: Any) -> np.ndarray | None:
    """The rows' offset plus ``log(exposure)`` (a log-link model's), or None without either."""
    off = check_vector(offset, n, "offset")
    if exposure is None:
        return off
    _log_link_for_exposure(family)
    log_e = np.log(check_vector(exposure, n, "exposure", positive=True))
    return log_e if off is None else off + log_e


def binomial_response(y: np.ndarray, trials: np.ndarray | None, sw: np.ndarray | None):
    """Counts of successes and ``trials`` (or R's two-column ``cbind(successes, failures)``) to
    proportions ``y / trials`` with prior weights ``sample_weight * trials``."""
    if y.ndim == 2:
        if y.shape[1] != 2:
            raise ValueError(f"a 2-column binomial y is (successes, failures); got {y.shape}")
        trials, y = y.sum(axis=1), y[:, 0]
    if trials is None:
        return y, sw
    if (y < 0).any() or (y > trials).any():
        i = int(np.argmax((y < 0) | (y > trials)))
        raise ValueError(f"successes must lie in [0, trials]; row {i} has y={plain(y[i])!r}, "
                         f"trials={plain(trials[i])!r}")
    prop = np.divide(y, trials, out=np.zeros_like(y), where=trials > 0)
    return prop, trials if sw is None else sw * trials


class GLM(FormulaMixin, RegressorMixin, BaseEstimator):
    """Generalized linear model: ``GLM(family="poisson", link=None, alpha=0.0)``.

    Parameters
    ----------
    family : str or core Family, default "poisson"
        "gaussian", "binomial", "poisson", "gamma", "inverse_gaussian", "negative_binomial"
        (NB2 alpha estimated by maximum likelihood as ``MASS::glm.nb`` unless fixed by
        ``family_params={"alpha": a}``), "tweedie" (``family_params={"power": p}``).
    link : str or Link, optional. Canonical link when None.
    alpha : float, default 0. Ridge penalty (scikit-learn's convention); 0 gives the MLE.
    fit_intercept : bool, default True.  tol, max_iter : IRLS convergence (R's deviance rule).
    family_params : dict, optional. Extra family parameters (``power``, ``alpha``).

    Fitted attributes
    -----------------
    coef_ (p,), intercept_; params_, std_errors_, zvalues_/tvalues_ (``stat_``), pvalues_: pandas
    Series by term ("Intercept" first); cov_params_ (DataFrame); deviance_, null_deviance_,
    df_resid_, df_null_, df_model_, nobs_, dispersion_, pearson_chi2_, llf_, aic_, bic_, n_iter_,
    converged_, family_, fitted_values_ (n,), separation_ (binomial only, or None).
    """

    def __init__(self, family: Any = "poisson", link: Any = None, alpha: float = 0.0,
                 fit_intercept: bool = True, tol: float = 1e-8, max_iter: int = 100,
                 family_params: dict | None = None):
        self.family = family
        self.link = link
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.family_params = family_params

    _extra_params = 0  # estimated parameters besides coefficients and dispersion (NB: alpha)

    # -- hooks ------------------------------------------------------------------------------
    def _make_family(self):
        if not isinstance(self.family, str) and self.link is not None:
            raise ValueError("pass the link inside the Family object, or give family by name")
        fam = get_family(self.family, link=self.link, **(self.family_params or {}))
        if fam.name == "categorical":
            raise ValueError("the categorical family has K linear predictors: use "
                             "SoftmaxRegression")
        return fam

    def _solve(self, X, y, family, sw, off, names):
        """One IRLS fit; returns (IRLSResult, family). NegativeBinomial overrides this."""
        res = irls(X, y, family, sample_weight=sw, offset=off, penalty=self._penalty(sw, X),
                   fit_intercept=self.fit_intercept, tol=self.tol, max_iter=self.max_iter,
                   column_names=names, r_last_step=True)
        return res, family

    def _penalty(self, sw, X):
        if not self.alpha:
            return None
        if self.alpha < 0:
            raise ValueError(f"alpha must be >= 0; got {self.alpha!r}")
        total = X.shape[0] if sw is None else float(sw.sum())
        return self.alpha * total * np.eye(X.shape[1])

    # -- fit --------------------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None, offset=None, trials=None, exposure=None):
        """Fit by IRLS. X (n, p); y (n,) (binomial: 0/1, proportions with ``sample_weight``, counts
        with ``trials``, or (n, 2) successes/failures); offset, exposure (> 0), trials: (n,)."""
        check_numeric_columns(X, type(self).__name__)
        if self._nb_alpha_by_ml():
            return self._fit_nb_ml(X, y, sample_weight=sample_weight, offset=offset,
                                   trials=trials, exposure=exposure)
        Xa = validate_data(self, X, dtype=np.float64, ensure_all_finite=False)
        names, _ = feature_names(X, Xa.shape[1])
        n = Xa.shape[0]
        family = self._make_family()
        y = np.asarray(y, dtype=float)
        if y.shape[0] != n:
            raise ValueError(f"y has {y.shape[0]} rows but X has {n}")
        sw = check_vector(sample_weight, n, "sample_weight", positive=True)
        y, sw = binomial_response(y, check_vector(trials, n, "trials", True), sw)
        y = check_vector(y, n, "y")
        family.check_y(y)
        off = _offset(n, offset, exposure, family)
        q = Xa.shape[1] + int(self.fit_intercept)
        nobs = n if sw is None else int((sw > 0).sum())
        if nobs == 0:
            raise ValueError("all sample weights are zero: nothing to fit")
        if nobs < q and not self.alpha:
            rows = "observations" + (" (with positive weight)" if sw is not None else "")
            raise ValueError(f"{nobs} {rows} are fewer than the {q} "
                             "coefficients to estimate (the MLE is not unique; use alpha > 0)")
        # columns far from 0 relative to their spread (years, timestamps) are centred for IRLS:
        # the Gram of the raw columns would square their condition number
        shift = far_column_shift(Xa) if self.fit_intercept else None
        Xs = Xa if shift is None else Xa - shift
        # one BLAS thread: the O(n) dot products of the statistics are slower multithreaded
        with one_blas_thread():
            res, family = self._solve(Xs, y, family, sw, off, names)
            sep = self._separation(Xs, y, sw, res, family, names)
            self._set_fitted(Xs, y, sw, off, res, family, names, nobs, sep, shift)
        return self

    def _nb_alpha_by_ml(self) -> bool:
        """``family="negative_binomial"`` by name without a fixed alpha: estimate alpha by ML."""
        return (type(self) is GLM and isinstance(self.family, str)
                and self.family == "negative_binomial"
                and "alpha" not in (self.family_params or {}))

    def _fit_nb_ml(self, X, y, **fit_args):
        # one estimator owns the alpha estimation: fit it, then take over its fitted state
        nb = NegativeBinomial(link="log" if self.link is None else self.link, alpha=self.alpha,
                              fit_intercept=self.fit_intercept, tol=self.tol,
                              max_iter=self.max_iter).fit(X, y, **fit_args)
        params = nb.get_params(deep=False)
        self.__dict__.update({k: v for k, v in vars(nb).items() if k not in params})
        return self

    def _separation(self, X, y, sw, res, family, names):
        if self.alpha:
            return None
        if family.name in _COUNT_FAMILIES and family.link.name == "log":
            # a mean pushed to ~0 on zero counts: the MLE may not exist (R is silent here)
            zero = y == 0
            scale = float(np.average(y, weights=sw)) if np.any(y > 0) else 1.0
            if not (zero.any() and (res.mu[zero] < 1e-6 * scale).any()):
                return None
            sep = detect_zero_count_divergence(X, y, self.fit_intercept, names, sw)
        elif family.name == "binomial":
            tiny = 1e-8  # R warns at 10 * eps; start looking a little earlier
            if res.converged and not ((res.mu < tiny) | (res.mu > 1 - tiny)).any():
                return None
            sep = detect_separation(X, y, self.fit_intercept, names, sw)
        else:
            return None
        if sep.separated:
            warnings.warn(sep.message(), SeparationWarning, stacklevel=user_stacklevel())
        return sep

    def _set_fitted(self, X, y, sw, off, res, family, names, nobs, sep, shift=None):
        terms = (["Intercept"] if self.fit_intercept else []) + names
        st = gs.glm_fit_statistics(X, y, sw, off, res, family, nobs, self.fit_intercept,
                                   self._extra_params, shift)
        theta = res.theta if shift is None else gs.uncentre(shift) @ res.theta
        idx = pd.Index(terms)
        self.family_ = family
        self.alpha_estimated_ = bool(self._extra_params)  # NB2 alpha by ML (counted in aic_)
        self.params_ = pd.Series(theta, index=idx, name="Estimate")
        self.std_errors_ = pd.Series(np.sqrt(np.diag(st.pop("cov_params"))), index=idx,
                                     name="Std. Error")
        self.cov_params_ = pd.DataFrame(st.pop("cov"), index=idx, columns=idx)
        for key, val in st.items():
            setattr(self, key + "_", val)
        tab = self.coef_table()
        self.stat_ = tab.iloc[:, 2]
        self.pvalues_ = tab.iloc[:, 3]
        self.intercept_ = float(theta[0]) if self.fit_intercept else 0.0
        self.coef_ = np.array(theta[int(self.fit_intercept):])
        self.n_iter_, self.converged_, self.n_passes_ = res.n_iter, res.converged, res.n_passes
        self.fitted_values_, self.separation_ = res.mu.copy(), sep
        self.loss_curve_ = list(getattr(res, "loss_curve", res.deviance_path))
        self._train = (y, sw)
        self.offset_used_ = off is not None  # score() then needs the scored rows' offset
        self.design_shift_ = shift  # the column centring of the fit (cov_centred_ its cov)
        self.weighted_ = bool(sw is not None and np.any(sw != 1))  # fitted with prior weights

    # -- inference and prediction -------------------------------------------------------------
    @property
    def _dist(self) -> str:
        return "z" if self.family_.scale_fixed else "t"

    def coef_table(self, level: float = 0.95) -> pd.DataFrame:
        """R's coefficient table with Wald intervals (z or t by whether the scale is known)."""
        check_is_fitted(self, "params_")
        df = self.df_resid_ if self.df_resid_ > 0 else None
        dist = self._dist if df is not None else "z"
        return coef_table(self.params_, self.std_errors_, dist=dist, df=df, level=level)

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Wald confidence intervals per term (R's ``confint.default``; t when phi estimated)."""
        return self.coef_table(level).iloc[:, 4:]

    def wald_test(self, R: Any, q: Any = None) -> gs.WaldTest:
        """Joint Wald test of ``R theta = q`` (chi-square, or F when the scale is estimated)."""
        check_is_fitted(self, "params_")
        df = None if self.family_.scale_fixed else self.df_resid_
        return gs.wald_test(self.params_.to_numpy(), self.cov_params_.to_numpy(), R, q, df)

    def _linear_predictor(self, X, offset=None, exposure=None):
        X = self._formula_transform(X)
        Xa = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite=False)
        check_finite_X(Xa, self.params_.index[int(self.fit_intercept):].tolist(),
                       stage="predicting")
        eta = Xa @ self.coef_ + self.intercept_
        n = Xa.shape[0]
        off = _offset(n, offset, exposure, self.family_)
        if off is not None:
            eta = eta + off
        D = np.column_stack([np.ones(n), Xa]) if self.fit_intercept else Xa
        return eta, D

    def predict(self, X, offset=None, exposure=None, interval: str | None = None,
                level: float = 0.95):
        """Mean ``mu = g^{-1}(eta)`` (n,), or a DataFrame with an interval (as
        ``LinearRegression`` and ``GAM``): columns ``fit, lwr, upr, se_fit, se_link``.

        ``interval="confidence"``: the Wald interval of eta mapped through the inverse link (t
        quantiles when the dispersion is estimated); ``se_fit`` is the mean's standard error by
        the delta method. ``interval="prediction"`` (gaussian family only): ``fit -/+ t
        sqrt(se_fit^2 + dispersion)``, for a new observation of unit weight.
        """
        check_is_fitted(self, "params_")
        eta, D = self._linear_predictor(X, offset, exposure)
        if interval is None:
            return np.asarray(self.family_.link.inverse(eta))
        if interval not in ("confidence", "prediction"):
            raise ValueError("interval must be None, 'confidence' or 'prediction', "
                             f"got {interval!r}")
        se = np.sqrt(gs.prediction_variance(D, self.cov_params_.to_numpy(),
                                            getattr(self, "design_shift_", None),
                                            getattr(self, "cov_centred_", None)))
        df = None if self.family_.scale_fixed or self.df_resid_ <= 0 else self.df_resid_
        band = gs.response_interval(eta, se, self.family_.link, level, df)
        if isinstance(X, pd.DataFrame):
            band.index = X.index
        if interval == "prediction":
            if self.family_.name != "gaussian":
                raise ValueError("prediction intervals need the gaussian family, not "
                                 f"{self.family_.name!r}")
            # each side of the mean's (for a non-identity link, asymmetric) band widened by the
            # new observation's noise; for the identity link fit -/+ t sqrt(se^2 + phi)
            noise = stats.t.ppf(0.5 + level / 2, self.df_resid_) ** 2 * self.dispersion_
            fit = band["fit"]
            band["lwr"] = fit - np.sqrt((fit - band["lwr"]) ** 2 + noise)
            band["upr"] = fit + np.sqrt((band["upr"] - fit) ** 2 + noise)
        return band

    def residuals(self, kind: str = "deviance") -> np.ndarray:
        """Training residuals (n,): "deviance", "pearson", "response" or "working" (R's)."""
        check_is_fitted(self, "params_")
        if not hasattr(self, "_train"):  # a model read from a file keeps no training rows
            raise ValueError("residuals need the training responses, which a saved model does "
                             "not keep; refit the model to get them")
        y, sw = self._train
        return glm_residuals(self.family_, y, self.fitted_values_, kind, sw)

    def score(self, X, y, sample_weight=None, offset=None, exposure=None):
        """Fraction of deviance explained on (X, y): ``1 - D(y, mu) / D_null``, with R's null
        model (the intercept alone, plus the rows' offset; on the training rows this is
        ``1 - deviance_ / null_deviance_``). A model fitted with an offset or exposure needs the
        rows' own (``offset=``, ``exposure=``: with scikit-learn's metadata routing,
        ``set_score_request(exposure=True)``), else the counts would be scored as rates."""
        check_is_fitted(self, "params_")
        if getattr(self, "offset_used_", False) and offset is None and exposure is None:
            raise ValueError("this GLM was fitted with an offset or exposure: pass the scored "
                             "rows' offset= or exposure= to score()")
        eta, _ = self._linear_predictor(X, offset, exposure)
        mu = np.asarray(self.family_.link.inverse(eta))
        y = check_vector(y, len(eta), "y")
        sw = check_vector(sample_weight, len(y), "sample_weight", positive=True)
        off = _offset(len(y), offset, exposure, self.family_)
        d1 = self.family_.deviance(y, mu, sample_weight=sw)
        d0, _ = gs.null_deviance(y, self.family_, sw, off, self.fit_intercept)
        return float(1 - d1 / d0) if d0 > 0 else float(d1 == 0)

    def influence(self, X, y=None, sample_weight=None, offset=None, trials=None,
                  exposure=None) -> pd.DataFrame:
        """R's ``influence.measures`` per row on the fit's own data (pass the fit arguments
        again); see :mod:`reglab.inference.influence`."""
        from reglab.inference.influence import glm_influence

        check_is_fitted(self, "params_")
        return glm_influence(self, X, y, sample_weight, offset, trials, exposure)

    def anova(self, X, y=None, sample_weight=None, offset=None, trials=None, exposure=None,
              test=None):
        """R's sequential analysis of deviance ``anova(fit)`` on the fit's data (pass the fit
        arguments again); see :mod:`reglab.inference._anova_seq`."""
        from reglab.inference.anova import anova

        return anova(self, test=test, data=X, y=y, sample_weight=sample_weight, offset=offset,
                     trials=trials, exposure=exposure)

    def summary(self, level: float = 0.95) -> str:
        """R's ``summary(glm(...))`` as text, plus log-likelihood, BIC and the IRLS diagnostics."""
        check_is_fitted(self, "params_")
        return summary_text(self, level)


def _log_link_for_exposure(family: Any) -> None:
    """``log(exposure)`` is an offset on the log scale: with another link it would not scale
    the mean by the exposure (statsmodels refuses it too); ``offset=`` is the general form."""
    if family.link.name != "log":
        raise ValueError(f"exposure needs the log link (the {family.link.name} link does not "
                         "scale the mean by the exposure); pass offset= for another link")


# the NB2 estimator subclasses GLM (and GLM(family="negative_binomial") delegates to it)
from reglab.models._negbin import NegativeBinomial  # noqa: E402
