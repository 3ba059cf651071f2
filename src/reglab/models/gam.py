r"""Generalized additive models: penalized regression splines fitted by penalized IRLS.

.. math::

    g(\mu_i) = \eta_i = \beta_0 + \sum_j f_j(x_{ij}) + \sum_l \gamma_l z_{il}, \qquad
    y_i \sim \text{Family}(\mu_i, \phi),

each smooth ``f_j`` a P-spline (``reglab.models._splines``: B-splines + difference penalty,
centred), tensor-product smooths ``te(x1, x2)`` for interactions, and unpenalized linear and factor
terms. Coefficients minimise ``D(beta) / 2 + sum_j lambda_j beta' S_j beta / 2`` by the GLM
engineer's IRLS with a penalty matrix (``reglab.solvers.irls``); the ``lambda_j`` are chosen by
GCV, UBRE or REML, or fixed (``reglab.models._gam_fit``).

Inference follows Wood (2017, *Generalized Additive Models*, ch. 6): the Bayesian covariance
``V_p = phi (X'WX + S_lambda)^{-1}`` gives the bands of ``predict`` and ``partial_dependence``
(across-the-function coverage close to nominal, Nychka 1988); effective degrees of freedom are
``diag(V_p X'WX) / phi`` summed per term; smooths are tested with the Wald-type statistic of
:func:`reglab.models._gam_fit.smooth_test`.

Shapes: ``X`` is ``(n_samples, n_features)`` (array or DataFrame; factor columns may hold
strings); ``y`` and ``sample_weight`` are ``(n_samples,)``. Sample weights are prior weights,
as in R's ``glm`` and mgcv: row ``i`` has dispersion ``phi / w_i``, and ``n`` (in GCV/UBRE/REML,
``df_resid_``, the scale and everything built on them) is the number of rows of positive weight.
Rows of weight 0 are left out before anything is fitted (knots, centring, factor levels, default
bases). Multiplying every weight by ``c`` changes no coefficient, edf or (estimated-scale)
standard error; ``lam_`` and ``scale_`` scale by ``c``.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from reglab.core.families import get_family
from reglab.inference.glm_stats import prediction_variance
from reglab.models import _gam_fit, _gam_io, _gam_report, _gam_store
from reglab.models._design import far_column_shift
from reglab.models._gam_formula import apply_formula, default_terms, formula_design
from reglab.models._gam_report import InvalidMeanWarning
from reglab.models._splines import Factor, Linear, Smooth, Tensor, f, l, s, te

__all__ = ["GAM", "s", "te", "l", "f", "Smooth", "Tensor", "Linear", "Factor",
           "InvalidMeanWarning"]


def _check_numeric(col, name: str) -> np.ndarray:
    try:
        col = np.asarray(col, dtype=np.float64)
    except ValueError as exc:  # text in a numeric term's column
        raise ValueError(f"column {name!r} is not numeric ({exc}); use f({name!r}) for a "
                         "factor") from exc
    bad = np.flatnonzero(~np.isfinite(col))
    if bad.size:
        raise ValueError(f"column {name!r} contains NaN or inf (row {bad[0]}: value "
                         f"{col[bad[0]]})")
    return col


class GAM(RegressorMixin, BaseEstimator):
    """Generalized additive model with P-spline smooths, any core family and link.

    Parameters
    ----------
    terms : list of terms or None
        ``s(j, k=...)`` smooths, ``te(j1, j2)`` tensor smooths, ``l(j)`` linear and ``f(j)``
        factor terms (``reglab.models.gam.s`` etc.; ``j`` a column index or DataFrame column
        name). None: a smooth ``s(j, k=k)`` of every feature, except that a column with two
        distinct values (a 0/1 dummy) gets a linear term ``l(j)`` and a column with fewer than
        ``k`` distinct values a smaller basis (``supported_basis``: ``k`` = the number of
        distinct values, less if they are clustered; 3 values: a quadratic).
    family, link : core family name or object (``"gaussian"``, ``"poisson"``, ``"binomial"``,
        ``"gamma"``, ...) and an optional non-canonical link.
    method : {"auto", "gcv", "ubre", "reml"}
        Smoothing-parameter criterion; "auto" is REML (Wood 2011; mgcv's recommendation): GCV
        (estimated scale) and UBRE (known scale) under-smooth on small data, down to an
        interpolating fit when the smooths have about as many coefficients as rows. Ignored
        when ``lam`` is given.
    lam : None, float or sequence of floats
        Fixed smoothing parameters (one per penalty, in term order; a ``te`` has two), or a
        scalar for all; 0 fits the unpenalized regression spline.
    k : int
        Basis size of the default smooths (``terms=None``), reduced per column as above.
    tol, max_iter : IRLS convergence tolerance and iteration limit (non-Gaussian families).

    Attributes
    ----------
    intercept_ : float; coef_ : (p - 1,) term coefficients (centred bases), in term order.
    lam_ : (m,) smoothing parameters; edf_ : dict term label -> effective degrees of freedom;
    edf_total_ : float (intercept included); scale_ : float (phi); deviance_, null_deviance_,
    deviance_explained_, aic_, score_ (the criterion at ``lam_``); Vp_ : (p, p) Bayesian
    covariance of ``(intercept_, coef_)``; terms_ : fitted term objects; method_ : str.
    """

    def __init__(self, terms=None, *, family="gaussian", link=None, method="auto", lam=None,
                 k=10, tol=1e-8, max_iter=100):
        self.terms = terms
        self.family = family
        self.link = link
        self.method = method
        self.lam = lam
        self.k = k
        self.tol = tol
        self.max_iter = max_iter

    # ---- input --------------------------------------------------------------------------
    def _family(self):
        return get_family(self.family, link=self.link)

    def _resolve(self, feature, names: list[str]) -> int:
        if isinstance(feature, str):
            if feature not in names:
                raise ValueError(f"term feature {feature!r} is not a column; columns: {names}")
            return names.index(feature)
        if isinstance(feature, bool) or not isinstance(feature, int | np.integer) \
                or not 0 <= feature < len(names):
            raise ValueError(f"term feature {feature!r} is not a column index in "
                             f"[0, {len(names)})")
        return int(feature)

    def _columns(self, X: np.ndarray, term) -> list[np.ndarray]:
        idx = [self._resolve(ft, self.feature_names_) for ft in term.features]
        if isinstance(term, Factor):
            return [X[:, idx[0]]]
        return [_check_numeric(X[:, j], self.feature_names_[j]) for j in idx]

    def _design(self, X: np.ndarray) -> np.ndarray:
        """Term columns (n, p - 1): the bases of ``terms_`` side by side (no intercept)."""
        D = np.empty((X.shape[0], sum(t.basis_size for t in self.terms_)))
        a = 0
        for t in self.terms_:
            D[:, a: a + t.basis_size] = t.basis(self._columns(X, t))
            a += t.basis_size
        return D

    @property
    def feature_names_(self) -> list[str]:
        """Column names: the DataFrame's (``feature_names_in_``), else ``x1 .. xp`` (1-based,
        as ``LinearRegression`` and ``GLM`` name NumPy columns)."""
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            return [str(c) for c in names]
        return [f"x{j + 1}" for j in range(self.n_features_in_)]

    def _check_y(self, y, family, sample_weight, n):
        y = _check_numeric(y, "y")
        family.check_y(y)
        sw = _check_sample_weight(sample_weight, np.empty((n, 0)), dtype=np.float64)
        _check_numeric(sw, "sample_weight")
        if (sw < 0).any():
            i = int(np.flatnonzero(sw < 0)[0])
            raise ValueError(f"sample_weight must be >= 0; got {sw[i]} at row {i}")
        if not sw.sum() > 0:
            raise ValueError("sample_weight sums to zero: no data to fit")
        return y, sw

    # ---- fit ----------------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Fit by penalized IRLS with automatically chosen (or fixed) smoothing parameters.

        X : (n_samples, n_features); y : (n_samples,); sample_weight : (n_samples,) >= 0,
        prior weights (row ``i`` has dispersion ``phi / w_i``; rows of weight 0 are left out).
        A failed fit (bad input, invalid parameters) leaves a fitted estimator unchanged.
        """
        new = clone(self)
        arr = np.asarray(y)
        if arr.dtype.kind in "fiub" and arr.ndim == 1:  # name a NaN/inf target before sklearn
            _check_numeric(arr, "y")
        Xa, y = validate_data(new, X, y, dtype=None, ensure_all_finite=False, y_numeric=True,
                              ensure_min_samples=2)
        family = new._family()
        y, sw = new._check_y(y, family, sample_weight, Xa.shape[0])
        keep = sw > 0
        if keep.sum() == 1:
            raise ValueError(f"only row {int(np.flatnonzero(keep)[0])} has a positive "
                             "sample_weight; a GAM needs at least 2 such rows")
        if not keep.all():  # prior weights: a row of weight 0 counts nowhere, knots included
            Xa, y, sw = Xa[keep], y[keep], sw[keep]
        # Small problems are p x p algebra, where BLAS threads only contend for the cores.
        small = Xa.shape[0] * max(Xa.shape[1] * new.k, 1) ** 2 < 5e7
        with _gam_fit.blas_threads(1 if small else None):
            new._fit(Xa, y, sw, family)
        for key in list(vars(self)):  # forget the previous fit (feature names etc.) ...
            if key.endswith("_") and not key.startswith("__"):
                delattr(self, key)
        for key, value in vars(new).items():  # ... and adopt the new one
            if key.endswith("_"):
                setattr(self, key, value)
        return self

    def _fit(self, X, y, sw, family) -> None:
        terms = list(self.terms) if self.terms is not None else default_terms(
            [_check_numeric(X[:, j], nm) for j, nm in enumerate(self.feature_names_)], self.k,
            int(np.count_nonzero(sw > 0)))
        self.terms_ = copy.deepcopy(terms)
        if not self.terms_:
            raise ValueError("terms is empty: give at least one term")
        for t in self.terms_:  # labels, summaries and plots name the model's columns
            t.names_ = tuple(self.feature_names_[self._resolve(ft, self.feature_names_)]
                             for ft in t.features)
            t.fit(self._columns(X, t))
        D = self._design(X)
        self.slices_, groups, a = [], [], 1
        for t in self.terms_:
            b = a + t.basis_size
            self.slices_.append(slice(a, b))
            if t.penalties:
                groups.append((a, b, t.penalties))
            a = b
        pens = _gam_fit.Penalties(groups, a)
        n_pos = int(np.count_nonzero(sw > 0))
        if a - pens.rank > n_pos:
            raise ValueError(f"the model has {a - pens.rank} unpenalized coefficients (intercept, "
                             "linear parts of the smooths, linear and factor terms) but only "
                             f"{n_pos} rows with positive weight; use fewer terms")
        names = [nm for t in self.terms_ for nm in (
            t.coef_names if isinstance(t, Factor) else [t.label] if t.basis_size == 1
            else [f"{t.label}[{i + 1}]" for i in range(t.basis_size)])]
        # An estimated scale makes w -> c w change nothing but lambda and phi (times c): fit with
        # weights of mean 1, so that every tolerance sees the same problem whatever c is. (A
        # known scale has no such symmetry: there a weight counts, as a binomial's trials.)
        unit = 1.0 if family.scale_fixed else float(sw.mean())
        # linear columns far from 0 (a year, a timestamp) are centred for the fit, as in GLM:
        # the smooths' bases are centred already; the intercept and Vp_ are mapped back
        shift = far_column_shift(D)
        Dc = D if shift is None else D - shift
        engine = _gam_fit.Engine(Dc, y, sw / unit, family, pens, names)
        self.method_, lam = self._smoothing(engine)
        if self.method_ == "fixed":
            lam = lam / unit
        fit = engine.fit(lam, tol=self.tol, max_iter=self.max_iter)
        self.n_iter_ = engine.n_outer
        _gam_store.store_fit(self, engine, fit, family, X, D, y, sw, unit, shift)

    def _smoothing(self, engine) -> tuple[str, np.ndarray]:
        m = engine.pen.m
        if self.lam is not None:
            lam = np.broadcast_to(np.asarray(self.lam, dtype=np.float64), (m,)) \
                if np.ndim(self.lam) == 0 else np.asarray(self.lam, dtype=np.float64)
            if lam.shape != (m,) or not (np.isfinite(lam) & (lam >= 0)).all():
                raise ValueError(f"lam must be a number >= 0 or {m} numbers >= 0 (one per "
                                 f"penalty), got {self.lam!r}")
            return "fixed", lam.copy()
        method = self.method
        if method == "auto":  # REML: GCV/UBRE interpolate small data (see the docstring)
            method = "reml"
        if method not in _gam_fit.METHODS:
            raise ValueError(f"method must be 'auto', 'gcv', 'ubre' or 'reml'; got {method!r}")
        if method == "ubre" and not engine.scale_known:
            raise ValueError(f"method 'ubre' assumes a known scale (binomial, poisson, ...); the "
                             f"{engine.family.name} family estimates it: use 'gcv' or 'reml'")
        return method, (engine.select(method) if m else np.zeros(0))

    # ---- prediction ---------------------------------------------------------------------
    def _check_X(self, X) -> np.ndarray:
        check_is_fitted(self, "coef_")
        X = self._formula_frame(X)
        return validate_data(self, X, reset=False, dtype=None, ensure_all_finite=False)

    def _formula_frame(self, X):
        if getattr(self, "formula_raw_", None) is None:
            return X
        return apply_formula(X, self.formula_, self.formula_raw_, self.formula_spec_)

    @classmethod
    def from_formula(cls, formula: str, data, *, sample_weight=None, **params) -> GAM:
        """Fit ``"y ~ s(x1, k=20) + te(x2, x3) + f(g) + x4 + np.log(x5)"`` on a DataFrame.

        ``s()``, ``te()`` (keywords as in :func:`s`, :func:`te`) and ``f()`` become GAM terms; a
        plain numeric column a linear term, a text/categorical column a factor; any other
        expression is evaluated by formulaic (``reglab.models._formula``) into linear columns.
        Rows with a missing value in a used column are dropped with a warning. sample_weight:
        array (one per row of ``data``) or a column name. ``params``: GAM parameters.
        """
        d = formula_design(formula, data, sample_weight)
        est = cls(terms=d.terms, **params).fit(d.frame, d.y, sample_weight=d.sample_weight)
        est.formula_, est.formula_raw_, est.formula_spec_ = formula, d.raw, d.spec
        est.formula_rows_ = d.rows
        return est

    def _eta_se(self, X, se: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """Linear predictor (n,) and its standard error ``sqrt(diag(D Vp D'))`` (n,)."""
        D = np.column_stack([np.ones(len(X)), self._design(X)])
        eta = D @ np.concatenate([[self.intercept_], self.coef_])
        if not se:
            return eta, None
        return eta, np.sqrt(prediction_variance(D, self.Vp_, getattr(self, "design_shift_", None),
                                                getattr(self, "Vp_centred_", None)))

    def predict(self, X, interval: str | None = None, level: float = 0.95):
        """Mean response ``mu = g^{-1}(eta)``, shape (n,), or a DataFrame with an interval.

        ``interval="confidence"``: ``g^{-1}(eta -/+ z se_eta)`` (Bayesian, ``V_p``); columns
        ``fit, lwr, upr, se_fit`` (``se_fit`` on the response scale by the delta method).
        ``interval="prediction"`` (Gaussian family only): ``mu -/+ t_{n - edf} sqrt(se^2 + phi)``.
        """
        Xa = self._check_X(X)
        eta, se = self._eta_se(Xa, se=interval is not None)
        fam = self.family_
        mu = fam.mean(eta)
        _gam_report.warn_invalid_mean(fam, eta, mu)
        if interval is None:
            return mu
        if not 0.0 < level < 1.0:
            raise ValueError(f"level must lie strictly between 0 and 1, got {level!r}")
        se_mu = np.abs(fam.link.inverse_derivative(eta)) * se
        if interval == "confidence":
            z = stats.norm.ppf(0.5 + level / 2)
            lo, hi = fam.mean(eta - z * se), fam.mean(eta + z * se)
            lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)  # decreasing links swap the ends
        elif interval == "prediction":
            if fam.name != "gaussian":
                raise ValueError(f"prediction intervals need the gaussian family, not {fam.name!r}")
            half = stats.t.ppf(0.5 + level / 2, self.df_resid_) * np.sqrt(se_mu**2 + self.scale_)
            lo, hi = mu - half, mu + half
        else:
            raise ValueError(f"interval must be None, 'confidence' or 'prediction', got "
                             f"{interval!r}")
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame({"fit": mu, "lwr": lo, "upr": hi, "se_fit": se_mu}, index=index)

    # ---- terms, curves, plots -----------------------------------------------------------
    def _term(self, term) -> tuple:
        check_is_fitted(self, "coef_")
        labels = [t.label for t in self.terms_]
        for i, t in enumerate(self.terms_):
            if term == i and not isinstance(term, bool) or term == t.label \
                    or (isinstance(term, str) and (term,) in (t.features, t.names_)):
                return t, self.slices_[i]
        raise ValueError(f"term {term!r} is not a term of the model; terms: {labels}")

    def partial_dependence(self, term, grid_size: int = 100, level: float = 0.95) -> pd.DataFrame:
        """The fitted term ``f_j`` on a grid over the training range, with a Bayesian band.

        ``fit = B(x) beta_j``, ``se = sqrt(diag(B V_p,jj B'))``, band ``fit -/+ z se`` on the
        link scale (centred smooths: the intercept's uncertainty is not included, as mgcv's
        ``plot.gam``). Returns columns ``<feature>, fit, se, lwr, upr`` (g rows; a ``te`` term:
        both features on a g x g grid, g^2 rows; a factor: one row per level).
        """
        t, sl = self._term(term)
        beta = np.concatenate([[self.intercept_], self.coef_])[sl]
        names = [self.feature_names_[self._resolve(ft, self.feature_names_)] for ft in t.features]
        if isinstance(t, Factor):
            grid = {names[0]: np.asarray(t.levels_, dtype=object)}
        else:
            axes = [np.linspace(*self.ranges_[self._resolve(ft, self.feature_names_)], grid_size)
                    for ft in t.features]
            mesh = np.meshgrid(*axes, indexing="ij")
            grid = {nm: m.ravel() for nm, m in zip(names, mesh)}
        B = t.basis(list(grid.values()))
        fit = B @ beta
        se = np.sqrt(np.sum((B @ self.Vp_[sl, sl]) * B, axis=1))
        z = stats.norm.ppf(0.5 + level / 2)
        return pd.DataFrame({**grid, "fit": fit, "se": se, "lwr": fit - z * se,
                             "upr": fit + z * se})

    def plot(self, terms=None, axes=None, level: float = 0.95):
        """One panel per term: curve with its band (contours for ``te``, bars for factors)."""
        check_is_fitted(self, "coef_")
        return _gam_report.plot_terms(self, terms, axes, level)

    # ---- summary --------------------------------------------------------------------------
    def coef_table(self, level: float = 0.95) -> pd.DataFrame:
        """Wald table of the unpenalized coefficients (intercept, linear and factor terms)."""
        check_is_fitted(self, "coef_")
        return _gam_report.coef_table(self, level)

    def smooth_table(self) -> pd.DataFrame:
        """Per smooth: ``edf``, ``Ref.df``, the statistic (F or Chi.sq) and its p-value."""
        check_is_fitted(self, "coef_")
        return _gam_report.smooth_table(self)

    def summary(self) -> str:
        """mgcv-style text: parametric coefficients, smooth terms, deviance explained, AIC."""
        check_is_fitted(self, "coef_")
        return _gam_report.summary_text(self)

    # ---- saving ---------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The fitted model as JSON-ready arrays + metadata (versioned; no pickle)."""
        check_is_fitted(self, "coef_")
        return _gam_io.to_dict(self)

    @classmethod
    def from_dict(cls, d: dict) -> GAM:
        """Rebuild a fitted GAM from :meth:`to_dict` output."""
        return _gam_io.from_dict(cls, d)
