r"""Ordinary and weighted least squares with R's ``lm`` inference.

.. math::

    \hat\beta = \arg\min_\beta \sum_i w_i (y_i - x_i^\top \beta)^2
              = R^{-1} Q^\top W^{1/2} y, \qquad W^{1/2} X = Q R,

solved by QR (default) or SVD of the weighted design ``W^{1/2} X`` (shape (n, p)), never by the
normal equations (squaring the condition number loses half the digits on Longley-type data).

Rank deficiency follows R's ``lm`` (LINPACK ``dqrdc2`` with ``tol = 1e-7``): a column is *aliased*
when its distance to the span of the columns before it is below ``tol`` times its norm. Aliased
columns get ``NaN`` in ``params_``/``std_errors_`` (R's ``NA``) and ``0`` in ``coef_`` (so
``predict`` equals R's prediction from the reduced model); a warning names them. Keeping the
*earlier* column of a dependent set, rather than LAPACK's norm-based pivot order, is what makes the
aliased names match R's.

Inference (``sigma^2 = RSS / (n - rank)``, ``n`` counting rows with positive weight) as R's
``summary.lm``, ``logLik.lm`` (``df = rank + 1``, the ``+1`` being sigma), ``AIC`` and ``BIC``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import scipy.linalg as sla
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, check_X_y, validate_data

from reglab._warn import user_stacklevel
from reglab.core._xp import plain
from reglab.inference._anova_seq import lm_anova
from reglab.inference.table import coef_table, format_summary
from reglab.models._design import (
    check_finite_X,
    check_numeric_columns,
    check_numeric_y,
    feature_names,
)
from reglab.models._formula import FormulaMixin

__all__ = ["LinearRegression", "AliasedColumnsWarning", "PerfectFitWarning", "least_squares"]


class AliasedColumnsWarning(UserWarning):
    """Some design columns are linear combinations of earlier ones; their coefficients are NaN."""


class PerfectFitWarning(RuntimeWarning):
    """The residual variance is round-off: standard errors, t, F and p values are unreliable."""


PERFECT_FIT = ("essentially perfect fit: the residual variance is below 1e-30 (mean(fitted)^2 + "
               "var(fitted)), so standard errors, t, F and p values are round-off and unreliable")


def _check_weights(sample_weight, n: int) -> np.ndarray:
    if sample_weight is None:
        return np.ones(n)
    w = np.asarray(sample_weight, dtype=float).reshape(-1)
    if w.shape[0] != n:
        raise ValueError(f"sample_weight has {w.shape[0]} entries, X has {n} rows")
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"sample_weight must be finite and >= 0; row {i} has {plain(w[i])!r}")
    if not (w > 0).any():
        raise ValueError("sample_weight is zero for every row")
    return w


def _alias_reason(D: np.ndarray, j: int, kept: list[int], names: list[str]) -> str:
    col = D[:, j]
    if not col.any():
        return f"{names[j]!r} (all zero)"
    if np.ptp(col) == 0 and "Intercept" in names and j != 0:
        return f"{names[j]!r} (constant)"
    for k in kept:
        if np.array_equal(col, D[:, k]):
            return f"{names[j]!r} (duplicate of {names[k]!r})"
    return f"{names[j]!r} (linear combination of earlier columns)"


def _design_block(X, sw, center, intercept: bool, cols: list[int], rows: slice, out):
    """Write rows of ``W^{1/2} [1, X - center][:, cols]`` into ``out`` (Fortran-ordered)."""
    xcols = [c - intercept for c in cols if c >= intercept]
    lead = len(cols) - len(xcols)  # 1 when the intercept column is kept
    if lead:
        out[:, 0] = 1.0
    # one 2-D operation on the block when every column is kept (the usual case)
    block = X[rows] if len(xcols) == X.shape[1] else X[rows][:, xcols]
    np.subtract(block, center[xcols], out=out[:, lead:])
    s = sw[rows]
    if not np.all(s == 1.0):
        out *= s[:, None]


def _streamed_r(X, b, sw, center, intercept: bool, cols: list[int], block_rows: int):
    """R factor (k+1, k+1) of ``[A | b]``, ``A = W^{1/2}[1, X - center][:, cols]``, and the
    squared column norms of A.

    Tall-skinny QR: each row block (sized to stay in cache) is stacked under the running R and
    re-factorised by LAPACK ``geqrf``, so X is read once and ``A`` (n, k) is never formed. The
    final R equals the R of a QR of the whole matrix up to the signs of its rows.
    """
    from scipy.linalg.lapack import dgeqrf

    k = len(cols)
    R = np.zeros((0, k + 1))
    sumsq = np.zeros(k)
    for start in range(0, X.shape[0], block_rows):
        rows = slice(start, min(start + block_rows, X.shape[0]))
        top = R.shape[0]
        work = np.empty((top + rows.stop - start, k + 1), order="F")
        work[:top] = R
        _design_block(X, sw, center, intercept, cols, rows, work[top:, :k])
        work[top:, k] = b[rows]
        sumsq += np.einsum("ij,ij->j", work[top:, :k], work[top:, :k])
        qr, _, _, info = dgeqrf(work, overwrite_a=1)
        if info != 0:  # pragma: no cover - LAPACK argument error, a bug here
            raise RuntimeError(f"LAPACK dgeqrf failed with info={info}")
        R = np.triu(qr[: min(qr.shape[0], k + 1)])
    return R, sumsq


def _qr_aliased(X, b, sw, center, intercept: bool, tol: float, block_rows: int = 2048):
    """Kept design columns, their R (k, k) and ``Q^T b`` (k,), with R's aliasing rule.

    ``|R_jj|`` of an unpivoted QR is the distance of column j to the span of the columns before
    it: exactly what ``dqrdc2`` compares with ``tol * ||A_j||``. Centring the columns (when the
    intercept comes first) leaves these distances unchanged, and ``||A_j||`` of the uncentred
    column is recovered as ``||A_j - c_j sw||^2 + c_j^2 sum(w)`` (c_j is the weighted mean).
    """
    kept = list(range(X.shape[1] + intercept))
    wsum = float(sw @ sw)
    while True:
        R, sumsq = _streamed_r(X, b, sw, center, intercept, kept, block_rows)
        k = len(kept)
        c = np.array([0.0 if (intercept and j == 0) else center[j - intercept] for j in kept])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.abs(np.diag(R)[:k]) / np.sqrt(sumsq + c**2 * wsum)
        small = np.flatnonzero(~(ratio >= tol))  # also catches all-zero columns (0 / 0)
        if small.size == 0:
            return kept, R[:k, :k], R[:k, k]
        # drop only the first: the later columns' |R_jj| were computed against a spurious
        # (round-off) direction; R's dqrdc2 likewise moves one column at a time to the end
        del kept[int(small[0])]


def least_squares(X: np.ndarray, y: np.ndarray, w: np.ndarray, fit_intercept: bool = True,
                  solver: str = "qr", tol: float = 1e-7) -> dict:
    """Weighted least squares of y on the design ``[1, X]`` (or ``X``) with R-style aliasing.

    X (n, p), y (n,), w (n,) >= 0. Returns a dict with ``beta`` (q,) (NaN where aliased; q = p
    + fit_intercept), ``unscaled_cov`` (q, q) = (D'WD)^{-1} on the kept columns (NaN rows and
    columns where aliased), ``aliased`` (list of design column indices) and ``rank``.

    With an intercept the columns are centred at their weighted means before the QR and the
    solution mapped back (``b0 = a - c'b``, ``V = T V_c T'`` with ``T = [[1, -c'], [0, I]]``):
    the intercept column then stops being nearly collinear with columns far from zero (a
    calendar year), which gains about three digits on Longley.
    """
    if solver not in ("qr", "svd"):
        raise ValueError(f"solver must be 'qr' or 'svd', got {solver!r}")
    intercept = int(bool(fit_intercept))
    sw = np.sqrt(w)
    center = (w @ X) / w.sum() if intercept else np.zeros(X.shape[1])
    ybar = float(w @ y) / w.sum() if intercept else 0.0
    b = (y - ybar) * sw  # centring y too keeps Q'b small: its round-off then is too
    kept, R, qtb = _qr_aliased(X, b, sw, center, intercept, tol)
    if solver == "qr":
        beta_k = sla.solve_triangular(R, qtb, check_finite=False)
        Rinv = sla.solve_triangular(R, np.eye(len(kept)), check_finite=False)
        cov_k = Rinv @ Rinv.T
    else:
        A = np.empty((X.shape[0], len(kept)), order="F")
        _design_block(X, sw, center, bool(intercept), kept, slice(0, X.shape[0]), A)
        U, s, Vt = sla.svd(A, full_matrices=False, check_finite=False)
        beta_k = Vt.T @ ((U.T @ b) / s)
        cov_k = (Vt.T / s**2) @ Vt
    if intercept:  # back from the centred parametrisation
        T = np.eye(len(kept))
        T[0, 1:] = -center[[j - 1 for j in kept[1:]]]
        beta_k, cov_k = T @ beta_k, T @ cov_k @ T.T
        beta_k[0] += ybar
    q = X.shape[1] + intercept
    beta = np.full(q, np.nan)
    beta[kept] = beta_k
    cov = np.full((q, q), np.nan)
    cov[np.ix_(kept, kept)] = cov_k
    aliased = [j for j in range(q) if j not in kept]
    return {"beta": beta, "unscaled_cov": cov, "aliased": aliased, "rank": len(kept)}


class LinearRegression(FormulaMixin, RegressorMixin, BaseEstimator):
    """Least-squares linear regression with R-grade inference.

    Parameters
    ----------
    fit_intercept : bool, default True
    solver : {"qr", "svd"}, default "qr"
    tol : float, default 1e-7
        R's ``lm`` aliasing tolerance (relative distance of a column to earlier columns).

    Fitted attributes
    -----------------
    coef_ (n_features,), intercept_ : scikit-learn view (aliased coefficients are 0 here).
    params_, std_errors_, tvalues_, pvalues_ : pandas Series indexed by term ("Intercept" first).
    cov_params_ : DataFrame (n_terms, n_terms). aliased_ : list of aliased term names.
    rank_, df_resid_, df_model_, nobs_, scale_ (= dispersion_ = sigma^2), sigma_,
    deviance_ (RSS), null_deviance_ (TSS), rsquared_, rsquared_adj_, fvalue_, f_pvalue_,
    llf_, aic_, bic_, resid_ (n,), fitted_values_ (n,), perfect_fit_ (R's "essentially perfect fit"
    test of summary.lm, which warns PerfectFitWarning at fit).
    """

    def __init__(self, fit_intercept: bool = True, solver: str = "qr", tol: float = 1e-7):
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol

    def fit(self, X, y, sample_weight=None):
        """Fit by QR/SVD; X (n_samples, n_features), y (n_samples,), sample_weight (n_samples,)."""
        y_arr = np.asarray(y) if y is not None else None
        if y_arr is not None and y_arr.ndim == 1 and y_arr.dtype.kind in "fiub":
            check_finite_X(y_arr.astype(float), [], "y")  # before sklearn's unnamed check
        elif y_arr is not None and y_arr.dtype.kind in "OUS":  # text: numbers written as text
            check_numeric_y(y_arr)
            y = y_arr.astype(float)
        check_numeric_columns(X, "LinearRegression")
        Xa, ya = check_X_y(X, y, dtype=np.float64, ensure_all_finite=False, y_numeric=True)
        names, fnames = feature_names(X, Xa.shape[1])
        check_finite_X(Xa, names, "X")
        w = _check_weights(sample_weight, Xa.shape[0])
        terms = (["Intercept"] if self.fit_intercept else []) + names
        n_eff = int((w > 0).sum())
        if n_eff < len(terms):
            rows = " (with positive weight)" if sample_weight is not None else ""
            raise ValueError(f"n_samples = {n_eff}{rows} is fewer than the "
                             f"{len(terms)} coefficients to estimate ({', '.join(terms[:6])}...)")
        sol = least_squares(Xa, ya, w, self.fit_intercept, self.solver, self.tol)
        if sol["aliased"]:
            D = np.column_stack([np.ones(len(ya)), Xa]) if self.fit_intercept else Xa
            kept = [j for j in range(D.shape[1]) if j not in sol["aliased"]]
            why = ", ".join(_alias_reason(D, j, kept, terms) for j in sol["aliased"])
            warnings.warn(f"aliased column(s): {why}; their coefficients are NaN (R's NA) and "
                          "excluded from the fit", AliasedColumnsWarning,
                          stacklevel=user_stacklevel())
        stats_ = _inference(Xa, ya, w, sol, self.fit_intercept, n_eff)
        if stats_["perfect_fit"]:
            warnings.warn(PERFECT_FIT, PerfectFitWarning, stacklevel=user_stacklevel())
        self._set_fitted(sol, stats_, terms, Xa.shape[1], fnames)
        return self

    def _set_fitted(self, sol, st, terms, n_features, fnames):
        # All attributes are set here, after every check passed: a failed fit changes nothing.
        beta = sol["beta"]
        idx = pd.Index(terms)
        self.params_ = pd.Series(beta, index=idx, name="Estimate")
        se = np.sqrt(np.diag(st["cov"]))
        self.std_errors_ = pd.Series(se, index=idx, name="Std. Error")
        self.cov_params_ = pd.DataFrame(st["cov"], index=idx, columns=idx)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.tvalues_ = pd.Series(beta / se, index=idx, name="t value")
        self.pvalues_ = pd.Series(2 * stats.t.sf(np.abs(self.tvalues_), st["df_resid"])
                                  if st["df_resid"] > 0 else np.nan, index=idx, name="Pr(>|t|)")
        filled = np.nan_to_num(beta, nan=0.0)
        self.intercept_ = float(filled[0]) if self.fit_intercept else 0.0
        self.coef_ = filled[1:] if self.fit_intercept else filled
        self.aliased_ = [terms[j] for j in sol["aliased"]]
        self.rank_ = sol["rank"]
        for key, val in st.items():
            if key != "cov":
                setattr(self, key + "_", val)
        self.dispersion_ = self.scale_
        self.n_features_in_ = n_features
        if fnames is not None:
            self.feature_names_in_ = fnames
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_

    def _design(self, X):
        X = self._formula_transform(X)
        Xa = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite=False)
        # the fitted layout, not the fit_intercept parameter (which set_params may have changed)
        lead = len(self.params_) - self.n_features_in_
        check_finite_X(Xa, self.params_.index[lead:].tolist(), "X", "predicting")
        return np.column_stack([np.ones(Xa.shape[0]), Xa]) if lead else Xa

    def predict(self, X, interval: str | None = None, level: float = 0.95):
        """Predictions ``X @ coef_ + intercept_``, shape (n,).

        With ``interval="confidence"`` or ``"prediction"``: a DataFrame with R's columns
        ``fit, lwr, upr`` and, for the confidence band, ``se_fit``:
        ``fit -/+ t_{df}((1+level)/2) * sqrt(x' V x)`` (confidence) or
        ``sqrt(x' V x + sigma^2)`` (prediction, a new observation of unit weight).
        """
        check_is_fitted(self, "params_")
        D = self._design(X)
        beta = self.coef_ if D.shape[1] == len(self.coef_) else np.r_[self.intercept_, self.coef_]
        fit = D @ beta
        if interval is None:
            return fit
        if interval not in ("confidence", "prediction"):
            raise ValueError("interval must be None, 'confidence' or 'prediction', "
                             f"got {interval!r}")
        # from the public cov_params_ (aliased rows NaN -> 0), so a reloaded model has intervals
        V = np.nan_to_num(self.cov_params_.to_numpy(), nan=0.0)
        var_fit = np.einsum("ij,jk,ik->i", D, V, D)
        var = var_fit + (self.scale_ if interval == "prediction" else 0.0)
        q = stats.t.ppf(0.5 + level / 2, self.df_resid_)
        half = q * np.sqrt(var)
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame({"fit": fit, "lwr": fit - half, "upr": fit + half,
                             "se_fit": np.sqrt(var_fit)}, index=index)

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Wald intervals ``b -/+ t_{df}((1+level)/2) se`` per term (R's ``confint``)."""
        check_is_fitted(self, "params_")
        return self.coef_table(level).iloc[:, 4:]

    def coef_table(self, level: float = 0.95) -> pd.DataFrame:
        """R's coefficient table plus confidence interval columns (see ``inference.table``)."""
        check_is_fitted(self, "params_")
        df = self.df_resid_ if self.df_resid_ > 0 else 1.0
        tab = coef_table(self.params_, self.std_errors_, dist="t", df=df, level=level)
        if self.df_resid_ == 0:
            tab.iloc[:, 2:] = np.nan
        return tab

    def influence(self, X, y=None, sample_weight=None) -> pd.DataFrame:
        """R's ``influence.measures`` per row (hat, std_resid, student_resid, cooks_d, dffits,
        cov_ratio, influential) on the data the model was fitted on (a formula model: its
        DataFrame, y from the formula); see :mod:`reglab.inference.influence`."""
        from reglab.inference.influence import lm_influence

        check_is_fitted(self, "params_")
        return lm_influence(self, X, y, sample_weight)

    anova = lm_anova  # R's anova(fit) on the fit's data (X, y=None, sample_weight=None, test)

    def summary(self, level: float = 0.95) -> str:
        """R's ``summary(lm(...))`` as text."""
        check_is_fitted(self, "params_")
        title = "Linear regression (least squares, " + self.solver.upper() + ")"
        if getattr(self, "formula_", None):
            title += f"\nFormula: {self.formula_}"
        lines = [f"Residual standard error: {self.sigma_:.4g} on {self.df_resid_} degrees of "
                 "freedom"]
        if self.aliased_:
            lines.append(f"({len(self.aliased_)} not defined because of singularities: "
                         f"{', '.join(self.aliased_)})")
        lines.append(f"Multiple R-squared: {self.rsquared_:.4g},  Adjusted R-squared: "
                     f"{self.rsquared_adj_:.4g}")
        if self.df_model_ > 0 and self.df_resid_ > 0:
            lines.append(f"F-statistic: {self.fvalue_:.4g} on {self.df_model_} and "
                         f"{self.df_resid_} DF,  p-value: {self.f_pvalue_:.4g}")
        lines.append(f"Log-likelihood: {self.llf_:.4f} (df={self.rank_ + 1}),  AIC: "
                     f"{self.aic_:.4f},  BIC: {self.bic_:.4f}")
        if getattr(self, "perfect_fit_", False):  # (absent from models saved before it)
            lines.append("WARNING: " + PERFECT_FIT)
        return format_summary(title, self.coef_table(level), lines)


def _inference(X, y, w, sol, intercept: bool, n: int) -> dict:
    """R's summary.lm / logLik.lm quantities; n counts rows with positive weight."""
    beta = np.nan_to_num(sol["beta"], nan=0.0)
    fitted = X @ beta[1:] + beta[0] if intercept else X @ beta
    resid = y - fitted
    rss = np.float64(np.sum(w * resid**2))  # numpy scalar: a perfect fit gives inf, no raise
    rank = sol["rank"]
    df_resid = n - rank
    df_int = int(intercept)
    if df_resid == 0:
        warnings.warn("no residual degrees of freedom (as many coefficients as rows): standard "
                      "errors, t and p values are undefined (NaN)", UserWarning,
                      stacklevel=user_stacklevel())
    scale = rss / df_resid if df_resid > 0 else np.nan
    center = np.sum(w * y) / np.sum(w) if intercept else 0.0
    tss = float(np.sum(w * (y - center) ** 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = 1.0 - rss / tss if tss > 0 else np.nan
        r2_adj = 1.0 - (1.0 - r2) * (n - df_int) / df_resid if df_resid > 0 else np.nan
        df_model = rank - df_int
        fvalue = (tss - rss) / df_model / scale if df_model > 0 and df_resid > 0 else np.nan
        f_p = float(stats.f.sf(fvalue, df_model, df_resid)) if np.isfinite(fvalue) else np.nan
        pos = w > 0
        # logLik.lm: 0.5 * (sum(log w) - n (log(2 pi) + 1 - log n + log(sum w r^2)))
        llf = 0.5 * (np.sum(np.log(w[pos])) - n * (math.log(2 * math.pi) + 1 - math.log(n)
                                                   + np.log(rss)))
    k = rank + 1
    # summary.lm's test: resvar < (mean(f)^2 + var(f)) * 1e-30, f the fitted values of every row
    perfect = bool(np.isfinite(scale) and len(fitted) > 1
                   and scale < (np.mean(fitted) ** 2 + np.var(fitted, ddof=1)) * 1e-30)
    return {"perfect_fit": perfect, "cov": sol["unscaled_cov"] * scale, "scale": scale,
            "sigma": math.sqrt(scale) if df_resid > 0 else np.nan, "df_resid": df_resid,
            "df_model": df_model, "nobs": n,
            "deviance": float(rss), "null_deviance": tss, "rsquared": r2, "rsquared_adj": r2_adj,
            "fvalue": fvalue, "f_pvalue": f_p, "llf": float(llf), "aic": float(-2 * llf + 2 * k),
            "bic": float(-2 * llf + math.log(n) * k), "resid": resid, "fitted_values": fitted}
