r"""R's sequential (type I) table of one model, ``anova(fit)``: ``reglab.anova(fit, data=df)``
or ``fit.anova(df)``.

Terms: a formula fit's terms in the design's order (formulaic's, as R's: main effects before
interactions), a factor's dummies and an interaction's columns counted as one term (labels
``g``, ``x1:g``); a fit on a plain X has one term per column, named by the column.

- :class:`~reglab.LinearRegression`: R's ``anova.lm``. With ``W^{1/2} D = Q R`` one unpivoted QR
  of the weighted design in term order (R's ``dqrdc2`` aliasing, as the fit), the effects
  ``Q^T W^{1/2} y``; a term's ``Sum Sq`` is the sum of its columns' squared effects and its ``Df``
  the number of its columns not aliased (a term whose columns are all aliased has no row, as
  in R). ``Mean Sq = Sum Sq / Df``, ``F value = Mean Sq / (RSS / Res.Df)`` on ``(Df, Res.Df)``;
  a ``Residuals`` row (RSS, residual df). No refit. Warns as R on an essentially perfect fit.
- GLMs (LogisticRegression, NegativeBinomial too): R's ``anova.glm``. The terms are added one at
  a time and each nested model refitted by :class:`~reglab.GLM` (same family, link, weights,
  offset, tolerance); rows ``NULL`` (the null model: ``null_deviance_``, ``df_null_``) then one
  per term, columns ``Df, Deviance, Resid. Df, Resid. Dev`` and the test of
  ``reglab.anova``'s default (Chisq when the dispersion is known, F with the full model's
  Pearson dispersion on its residual df otherwise). A negative binomial fit with alpha by ML
  is tested at its fitted alpha, with R's (MASS's) warning "tests made without re-estimating
  'theta'".

The model keeps no data: the data must reproduce the fit (fitted values and deviance to 1e-8
relative, as for ``influence``), else ValueError.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from reglab._warn import user_stacklevel
from reglab.inference.anova import AnovaTable, _nb_ml, _response, finish, glm_test
from reglab.inference.influence import glm_training_data, lm_training_data

__all__ = ["sequential_anova", "lm_anova"]

NEEDS_DATA = ("the sequential table of one model (R's anova(fit)) needs the data it was fitted "
              "on: anova(model, data=df) (a fit on a plain X: data=X, y=y)")


def sequential_anova(model: Any, test: Any, data: Any, y: Any, fit_args: dict) -> AnovaTable:
    """The table of ``model`` on ``data`` (see the module docstring)."""
    from reglab.models.linear import LinearRegression

    if data is None:
        raise ValueError(NEEDS_DATA)
    if y is None and getattr(model, "formula_spec_", None) is None:
        raise ValueError("this model was not fitted from a formula: pass its response, "
                         "anova(model, data=X, y=y)")
    if isinstance(model, LinearRegression):
        extra = sorted(set(fit_args) - {"sample_weight"})
        if extra:
            raise ValueError(f"{extra[0]} is not a fit argument of LinearRegression")
        if test not in (None, False, "F"):
            raise ValueError(f"the sequential table of a linear model tests by F (or "
                             f"test=False); got test={test!r}")
        return _lm_table(model, data, y, fit_args.get("sample_weight"), test)
    from reglab.inference.anova import _check_glms

    _check_glms([model])
    return _glm_table(model, data, y, fit_args, test)


def _terms(model: Any, X: Any) -> list[tuple[str, list[int]]]:
    """(label, positions of its columns in the design without the intercept) per term."""
    names = [str(t) for t in model.params_.index]
    lead = int(names[0] == "Intercept" and len(names) > model.n_features_in_)
    spec = getattr(model, "formula_spec_", None)
    if spec is None:
        return [(name, [j]) for j, name in enumerate(names[lead:])]
    try:
        idx = spec.term_indices
    except RuntimeError:  # a spec read from a file: its structure comes with a model matrix
        from reglab.models._formula import _context

        ctx = _context({**model._formula_context(), **getattr(model, "formula_context_", {})})
        spec = spec.get_model_matrix(X.iloc[:1], context=ctx).model_spec
        idx = spec.term_indices
    cols = list(spec.column_names)
    return [(str(term), [names.index(cols[j]) - lead for j in js])
            for term, js in idx.items() if str(term) != "1"]


def _response_name(model: Any, y: Any) -> str:
    return _response(model) or (str(y.name) if getattr(y, "name", None) is not None else "y")


def _lm_table(model: Any, data: Any, y: Any, sample_weight: Any, test: Any) -> AnovaTable:
    from reglab.models.linear import _qr_aliased

    resp = _response_name(model, y)
    X, D, _, y, w, fitted, _ = lm_training_data(model, data, y, sample_weight)
    terms = _terms(model, X)
    lead = D.shape[1] - model.n_features_in_
    rss = float(np.sum(w * (y - fitted) ** 2))
    Xa = D[:, lead:]
    sw = np.sqrt(w)
    center = (w @ Xa) / w.sum() if lead else np.zeros(Xa.shape[1])
    ybar = float(w @ y) / w.sum() if lead else 0.0
    # centred as the fit: the intercept's column is then orthogonal to the others and to y, so
    # the other effects are those of the uncentred QR (R's), with better conditioning
    kept, _, effects = _qr_aliased(Xa, (y - ybar) * sw, sw, center, bool(lead), model.tol)
    eff2 = {j - lead: e**2 for j, e in zip(kept, effects, strict=True) if j >= lead}
    rows = [(label, [eff2[j] for j in js if j in eff2]) for label, js in terms]
    rows = [(label, len(e), float(np.sum(e))) for label, e in rows if e]
    dfr = int(model.df_resid_)
    if rss < 1e-10 * float(np.sum(w * fitted**2)):
        warnings.warn("ANOVA F-tests on an essentially perfect fit are unreliable", UserWarning,
                      stacklevel=user_stacklevel())
    df = np.array([r[1] for r in rows] + [dfr], dtype=float)
    ss = np.array([r[2] for r in rows] + [rss])
    with np.errstate(divide="ignore", invalid="ignore"):
        ms = ss / df
        F = ms / (rss / dfr) if dfr > 0 else np.full_like(ms, np.nan)
    F[-1] = np.nan
    table = pd.DataFrame({"Df": df, "Sum Sq": ss, "Mean Sq": ms},
                         index=[r[0] for r in rows] + ["Residuals"])
    if test is not False:
        table["F value"] = F
        table["Pr(>F)"] = stats.f.sf(F, df, dfr) if dfr > 0 else np.nan
    return finish(table, ["Analysis of Variance Table", "", f"Response: {resp}"])


def _glm_table(model: Any, data: Any, y: Any, fit_args: dict, test: Any) -> AnovaTable:
    from reglab.models.glm import GLM

    resp = _response_name(model, y)
    X, y, args, _, _, D, _, _, _ = glm_training_data(model, data, y, fit_args)
    terms = _terms(model, X)
    fam = model.family_
    if _nb_ml(model):
        warnings.warn("tests made without re-estimating 'theta'", UserWarning,
                      stacklevel=user_stacklevel())
    Xa = D[:, D.shape[1] - model.n_features_in_:]
    resdf, resdev = [int(model.df_null_)], [float(model.null_deviance_)]
    for i in range(1, len(terms)):
        cols = [j for _, js in terms[:i] for j in js]
        sub = GLM(family=fam, fit_intercept=model.fit_intercept, tol=model.tol,
                  max_iter=model.max_iter).fit(Xa[:, cols], y, **args)
        resdf.append(int(sub.df_resid_))
        resdev.append(float(sub.deviance_))
    if terms:
        resdf.append(int(model.df_resid_))
        resdev.append(float(model.deviance_))
    resdf_a, resdev_a = np.array(resdf, dtype=float), np.array(resdev)
    table = pd.DataFrame({"Df": np.r_[np.nan, -np.diff(resdf_a)],
                          "Deviance": np.r_[np.nan, -np.diff(resdev_a)],
                          "Resid. Df": resdf_a, "Resid. Dev": resdev_a},
                         index=["NULL"] + [t[0] for t in terms])
    table = glm_test(table, test, model, dev_col=1)
    family = (f"Negative Binomial({_theta(fam)})" if fam.name == "negative_binomial"
              else fam.name)
    heading = ["Analysis of Deviance Table", "", f"Model: {family}, link: {fam.link.name}", "",
               f"Response: {resp}", "", "Terms added sequentially (first to last)", ""]
    return finish(table, heading)


def _theta(fam: Any) -> str:
    alpha = float(getattr(fam, "alpha", 0.0))
    return "Inf" if alpha == 0 else f"{round(1.0 / alpha, 4):g}"


def lm_anova(self, X, y=None, sample_weight=None, test=None) -> AnovaTable:
    """R's sequential table ``anova(fit)`` (type I sums of squares, one row per term, then
    Residuals) on the data the model was fitted on: a formula model's DataFrame (y from the
    formula), else X with y; ``sample_weight`` as in the fit. See ``reglab.anova``."""
    from reglab.inference.anova import anova

    return anova(self, test=test, data=X, y=y, sample_weight=sample_weight)
