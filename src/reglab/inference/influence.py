r"""Leave-one-out influence measures, as R's ``lm.influence`` / ``influence.measures``.

For the weighted design ``A = W^{1/2} X`` (positive-weight rows, aliased columns dropped, as the
QR R keeps) with ``A = Q R`` (one economic QR, O(n p^2), no n x n matrix) and the weighted residuals
``e`` (``sqrt(w) (y - fitted)`` for ``lm``; the deviance residuals for a GLM, whose ``W`` are the
IRLS working weights ``w mu'(eta)^2 / V(mu)``), with ``p`` the rank and ``n`` the rows:

.. math::

    h_i = \|Q_i\|^2, \qquad
    s_{(i)} = \sqrt{\bigl(\textstyle\sum_j e_j^2 - e_i^2/(1-h_i)\bigr) / (n - p - 1)}

(R's Fortran ``lminfl``) and, with ``s = sqrt(RSS / df_resid)`` (lm) or the dispersion ``phi``:

- ``std_resid``  (``rstandard``): ``e_i / (s sqrt(1-h_i))``; GLM ``e_i / sqrt(phi (1-h_i))``
  with the deviance residual (R's default ``type = "deviance"``);
- ``student_resid`` (``rstudent``): ``e_i / (s_(i) sqrt(1-h_i))``; GLM
  ``sign(d_i) sqrt(d_i^2 + h_i r_i^2 / (1-h_i))`` (``d`` deviance, ``r`` Pearson residual),
  divided by ``s_(i)`` unless the family is binomial or Poisson (R's approximation);
- ``cooks_d`` (``cooks.distance``): ``(e_i / (s (1-h_i)))^2 h_i / p``; GLM
  ``(r_i / (1-h_i))^2 h_i / (phi p)`` (Pearson residuals);
- ``dffits``: ``e_i sqrt(h_i) / (s_(i) (1-h_i))``; ``cov_ratio``: ``(s_(i)/s)^{2p} / (1-h_i)``;
- ``influential``: R's ``influence.measures`` star (any of |dfbetas| > 1, |dffit| >
  3 sqrt(p/(n-p)), |1 - cov.r| > 3p/(n-p), ``pf(cook.d, p, n-p) > 0.5``, hat > 3p/n).

R's ``rstudent.glm`` etc. use the QR of glm's *last IRLS step*, whose weights lag the returned mu
by one step; here the weights are those at the fitted mu (as statsmodels' ``GLMInfluence``), which
differs from R's by O(last step) (~1e-6 relative at R's default tolerance, less at a tighter one).
Infinite values become NaN (R's ``res[is.infinite(res)] <- NaN``). Rows of zero weight: R drops
them from every result (``hatvalues`` has only the positive-weight rows); here they keep their
place with ``hat = 0`` (the row does not move its own fit) and NaN elsewhere.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg as sla
from scipy import stats

__all__ = ["influence_frame", "lm_influence", "glm_influence", "lm_training_data",
           "glm_training_data"]

_EPS = np.finfo(float).eps
# the data must give back the fit's own fitted values and residuals to this relative precision
REPRODUCE_RTOL = 1e-8


def influence_frame(A: np.ndarray, e: np.ndarray, pos: np.ndarray, *, scale: float,
                    df_resid: int, pearson: np.ndarray | None = None,
                    divide_student: bool = True, index: Any = None,
                    shift: np.ndarray | None = None,
                    terms: list[str] | None = None) -> pd.DataFrame:
    """The per-row table from the weighted design ``A`` (n_pos, p), weighted residuals ``e``
    (n_pos,), and ``pos`` (n,) the positive-weight rows; ``scale`` is ``s^2`` (lm) or ``phi``
    (GLM, which also passes its ``pearson`` residuals (n_pos,) and selects the GLM formulas).
    ``shift`` (p - 1,): the means the non-intercept columns of ``A`` were centred at (column 0
    the intercept), so that dfbetas are those of R's uncentred coefficients; ``terms`` (p,)
    name the ``dfb_<term>`` columns (R's ``dfb.<term>``)."""
    n, p = A.shape
    Q, R = sla.qr(A, mode="economic", check_finite=False)
    hat = np.einsum("ij,ij->i", Q, Q)
    hat[hat > 1 - 10 * _EPS] = 1.0  # R: "force 1"
    e = e.copy()
    e[np.abs(e) < 100 * _EPS * np.median(np.abs(e))] = 0.0  # R: a hat-1 row's e is exactly 0
    sigma_i = _loo_sigma(e, hat, n - p - 1)
    omh = 1.0 - hat
    glm = pearson is not None
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.sqrt(scale)
        if glm:
            std = e / np.sqrt(scale * omh)
            stud = np.sign(e) * np.sqrt(e**2 + hat * pearson**2 / omh)
            stud[np.isinf(stud)] = np.nan
            if divide_student:
                stud = stud / sigma_i
            cook = (pearson / omh) ** 2 * hat / (scale * p)
        else:
            std = e / (s * np.sqrt(omh))
            stud = e / (sigma_i * np.sqrt(omh))
            cook = (e / (s * omh)) ** 2 * hat / p
        dffits = e * np.sqrt(hat) / (sigma_i * omh)
        # R's influence.measures: s from the weighted residuals over df.residual
        s_im = np.sqrt(np.sum(e**2) / df_resid)
        cov_r = (sigma_i / s_im) ** (2 * p) / omh
        # R's influence.measures computes dfbetas for glm fits too, from the deviance
        # residuals that lm.influence takes as a glm's weighted residuals (e here)
        dfbetas = _dfbetas(Q, R, e, omh, sigma_i, shift)
    cols = {"hat": hat, "std_resid": std, "student_resid": stud, "cooks_d": cook,
            "dffits": dffits, "cov_ratio": cov_r}
    for v in cols.values():
        v[np.isinf(v)] = np.nan
    flag = _influential(cols, dfbetas, p, int((hat > 0).sum()))
    out = {k: _place(v, pos, 0.0 if k == "hat" else np.nan) for k, v in cols.items()}
    for j, term in enumerate(terms if terms is not None else range(p)):
        col = dfbetas[:, j].copy()
        col[np.isinf(col)] = np.nan
        out[f"dfb_{term}"] = _place(col, pos, np.nan)
    out["influential"] = _place(flag, pos, False)
    return pd.DataFrame(out, index=index)


def _loo_sigma(e: np.ndarray, hat: np.ndarray, denom: int) -> np.ndarray:
    """R's lminfl: ``sqrt((sum e^2 - e_i^2 / (1 - h_i)) / (n - p - 1))``; hat 1 rows drop no
    term. NaN without a residual degree of freedom left."""
    if denom <= 0:
        return np.full_like(e, np.nan)
    total = float(e @ e)
    with np.errstate(divide="ignore", invalid="ignore"):
        drop = np.where(hat < 1.0, e**2 / (1.0 - hat), 0.0)
    return np.sqrt(np.clip(total - drop, 0.0, None) / denom)


def _dfbetas(Q, R, e, omh, sigma_i, shift: np.ndarray | None = None) -> np.ndarray:
    """(n, p) R's dfbetas: the change of each coefficient when row i is left out,
    ``R^{-1} Q_i e_i / (1 - h_i)``, over ``s_(i) sqrt(diag((A'A)^{-1}))``. With the columns
    centred at ``shift``, the coefficients are mapped back to R's uncentred ones first
    (``T``: the intercept is ``b_0 - shift . b``; the slopes are unchanged)."""
    Rinv = sla.solve_triangular(R, np.eye(R.shape[0]), check_finite=False)
    M = Rinv  # coefficients = M Q' (weighted response); (A'A)^{-1} = M M'
    if shift is not None and np.any(shift):
        T = np.eye(R.shape[0])
        T[0, 1:] = -shift
        M = T @ Rinv
    dfbeta = (Q @ M.T) * (e / omh)[:, None]
    return dfbeta / np.outer(sigma_i, np.sqrt(np.einsum("ij,ij->i", M, M)))


def _influential(cols: dict, dfbetas, k: int, n: int) -> np.ndarray:
    """R's ``is.influential`` flags, any of them (print.infl's star); NaN tests count as False."""
    if n <= k:
        return np.zeros(len(cols["hat"]), dtype=bool)
    with np.errstate(invalid="ignore"):
        flags = [np.abs(cols["dffits"]) > 3 * np.sqrt(k / (n - k)),
                 np.abs(1 - cols["cov_ratio"]) > 3 * k / (n - k),
                 stats.f.cdf(cols["cooks_d"], k, n - k) > 0.5,
                 cols["hat"] > 3 * k / n]
        if dfbetas is not None:
            flags.append((np.abs(dfbetas) > 1).any(axis=1))
    return np.logical_or.reduce(flags)


def _place(v: np.ndarray, pos: np.ndarray, fill) -> np.ndarray:
    out = np.full(pos.shape[0], fill, dtype=v.dtype)
    out[pos] = v
    return out


def check_reproduces(new: np.ndarray, fitted: np.ndarray | None, what: str, attr: str) -> None:
    """ValueError unless ``new`` equals the fit's ``fitted`` to REPRODUCE_RTOL (relative to the
    largest magnitude), naming the worst row."""
    if fitted is None:
        return
    if new.shape != fitted.shape:
        raise ValueError(f"the data have {new.shape[0]} rows but the model was fitted on "
                         f"{fitted.shape[0]}; pass the data the model was fitted on")
    diff = np.abs(new - fitted)
    tol = REPRODUCE_RTOL * max(float(np.max(np.abs(fitted), initial=0.0)), 1e-300)
    if not np.all(diff <= tol):  # NaN fails too
        i = int(np.nanargmax(np.where(np.isnan(diff), np.inf, diff)))
        where = f" at row {i}" if new.size > 1 else ""  # a total (RSS, deviance) has no row
        raise ValueError(f"the data differ from the fit's: the {what} differ from {attr} by "
                         f"{diff[i]:.3g}{where} (more than {REPRODUCE_RTOL:g} relative); "
                         "pass the X, y and weights (offset, exposure, trials) the model was "
                         "fitted on")


def formula_rows(model: Any, X: Any, y: Any, fit_args: dict) -> tuple[Any, Any, dict, Any]:
    """For a formula model given the fitted DataFrame and no y: the response from the formula,
    the rows it kept, and the fit arguments (a string names a column) on those rows."""
    index = X.index if isinstance(X, pd.DataFrame) else None
    if y is not None or getattr(model, "formula_spec_", None) is None \
            or not isinstance(X, pd.DataFrame):
        if y is None:
            raise ValueError("influence needs y (only a model fitted by from_formula finds it in "
                             "the data)")
        return X, y, fit_args, index
    from reglab.models._formula import _context, _rows_of_fit_params, design_from_formula

    ctx = _context({**model._formula_context(), **getattr(model, "formula_context_", {})})
    yv, _, _, kept = design_from_formula(model.formula_, X, ctx)
    args = _rows_of_fit_params({k: v for k, v in fit_args.items() if v is not None}, X, kept)
    return X.iloc[kept], yv.to_numpy(), args, X.index[kept]


def _centred(D: np.ndarray, sw: np.ndarray,
             intercept: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """``W^{1/2} D`` with the non-intercept columns centred at their weighted means when the
    intercept is kept (same column span, so the same hat matrix; better conditioned), and
    those means (None when not centred)."""
    if intercept and D.shape[1] > 1:
        w = sw**2
        D = D.copy()
        means = (w @ D[:, 1:]) / w.sum()
        D[:, 1:] -= means
        return D * sw[:, None], means
    return D * sw[:, None], None


def lm_training_data(model: Any, X: Any, y: Any = None, sample_weight: Any = None):
    """A fitted ``LinearRegression``'s training data given again, checked to reproduce the fit
    (fitted values, residuals, and the weighted RSS, which sees forgotten weights): the
    rows ``X`` used, the design ``D``, its non-aliased columns ``kept``, ``y``, the weights
    ``w``, the fitted values and the row index (a formula model's kept rows)."""
    from reglab.models.linear import _check_weights

    X, y, args, index = formula_rows(model, X, y, {"sample_weight": sample_weight})
    D = model._design(X)
    kept = ~np.isnan(model.params_.to_numpy())
    fitted = D[:, kept] @ model.params_.to_numpy()[kept]
    check_reproduces(fitted, getattr(model, "fitted_values_", None), "fitted values from X",
                     "fitted_values_")
    y = np.asarray(y, dtype=float).reshape(-1)
    if y.shape[0] != D.shape[0]:
        raise ValueError(f"y has {y.shape[0]} entries but X has {D.shape[0]} rows")
    w = _check_weights(args.get("sample_weight"), D.shape[0])
    check_reproduces(y - fitted, getattr(model, "resid_", None), "residuals from y",
                     "resid_")
    check_reproduces(np.array([float(w @ (y - fitted) ** 2)]),
                     np.array([float(model.deviance_)]),
                     "residual sum of squares from y and the weights", "deviance_")
    return X, D, kept, y, w, fitted, index


def lm_influence(model: Any, X: Any, y: Any = None, sample_weight: Any = None) -> pd.DataFrame:
    """Influence table of a fitted ``LinearRegression`` on its training data (see module doc)."""
    _, D, kept, y, w, fitted, index = lm_training_data(model, X, y, sample_weight)
    pos = w > 0
    sw = np.sqrt(w[pos])
    intercept = bool(kept[0]) and model.params_.index[0] == "Intercept"
    A, shift = _centred(D[pos][:, kept], sw, intercept)
    e = sw * (y - fitted)[pos]
    return influence_frame(A, e, pos, scale=float(model.scale_), df_resid=int(model.df_resid_),
                           index=index, shift=shift, terms=list(model.params_.index[kept]))


def glm_training_data(model: Any, X: Any, y: Any = None, fit_args: dict | None = None):
    """A fitted GLM's training data given again, checked to reproduce the fit (fitted means and
    deviance): ``(X, y, args, index, eta, D, mu, yb, sw)`` with ``y`` the response as the fit
    takes it (a classifier's labels as 0/1), ``args`` the fit arguments on the rows used, and
    ``yb``, ``sw`` the binomial-with-trials response and prior weights the deviance uses."""
    from reglab.models.glm import binomial_response, check_vector

    X, y, args, index = formula_rows(model, X, y, dict(fit_args or {}))
    eta, D = model._linear_predictor(X, args.get("offset"), args.get("exposure"))
    fam = model.family_
    mu = np.asarray(fam.link.inverse(eta), dtype=float)
    check_reproduces(mu, getattr(model, "fitted_values_", None), "fitted means from X",
                     "fitted_values_")
    n = D.shape[0]
    classes = getattr(model, "classes_", None)
    if classes is not None:  # LogisticRegression: labels to 0/1 as fit does
        y = (np.asarray(y).reshape(-1) == classes[1]).astype(float)
    y = np.asarray(y, dtype=float)
    if y.shape[0] != n:
        raise ValueError(f"y has {y.shape[0]} rows but X has {n}")
    sw = check_vector(args.get("sample_weight"), n, "sample_weight", positive=True)
    yb, sw = binomial_response(y, check_vector(args.get("trials"), n, "trials", True), sw)
    check_reproduces(np.array([float(fam.deviance(yb, mu, sample_weight=sw))]),
                     np.array([float(model.deviance_)]), "deviance from y", "deviance_")
    return X, y, args, index, eta, D, mu, yb, sw


def glm_influence(model: Any, X: Any, y: Any = None, sample_weight: Any = None,
                  offset: Any = None, trials: Any = None, exposure: Any = None) -> pd.DataFrame:
    """Influence table of a fitted GLM on its training data (see module doc)."""
    from reglab.inference.residuals import glm_residuals

    if getattr(model, "alpha", 0):
        raise ValueError(f"influence measures need an unpenalized fit; this one has alpha = "
                         f"{model.alpha!r} (R's glm has no penalty)")
    fit_args = {"sample_weight": sample_weight, "offset": offset, "trials": trials,
                "exposure": exposure}
    _, _, _, index, eta, D, mu, y, sw = glm_training_data(model, X, y, fit_args)
    fam, n = model.family_, D.shape[0]
    prior = np.ones(n) if sw is None else sw
    dev = glm_residuals(fam, y, mu, "deviance", sw)
    pear = glm_residuals(fam, y, mu, "pearson", sw)
    pos = prior > 0
    ww = prior[pos] * np.asarray(fam.link.inverse_derivative(eta[pos])) ** 2 \
        / np.asarray(fam.variance(mu[pos]))
    A, shift = _centred(D[pos], np.sqrt(ww), bool(model.fit_intercept))
    divide = fam.name not in ("binomial", "poisson")
    return influence_frame(A, dev[pos], pos, scale=float(model.dispersion_),
                           df_resid=int(model.df_resid_), pearson=pear[pos],
                           divide_student=divide, index=index, shift=shift,
                           terms=list(model.params_.index))
