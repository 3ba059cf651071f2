r"""Tests of nested models, as R's ``anova(m0, m1, ...)``.

- :class:`~reglab.LinearRegression` models: R's ``anova.lmlist``. Columns ``Res.Df``, ``RSS``,
  ``Df``, ``Sum of Sq`` and, for ``test="F"`` (default), ``F = (Sum of Sq / Df) / s^2`` with
  ``s^2 = RSS / Res.Df`` of the model with the fewest residual df (the largest), on
  ``(|Df|, Res.Df of that model)`` degrees of freedom, and ``Pr(>F)``; ``test="Chisq"`` gives
  ``Pr(>Chi)`` of ``Sum of Sq / s^2`` on ``|Df|``.
- GLMs (and LogisticRegression, NegativeBinomial with a fixed alpha): R's ``anova.glmlist``.
  Columns ``Resid. Df``, ``Resid. Dev``, ``Df``, ``Deviance``; the dispersion ``phi`` is the
  largest model's (1 for binomial and Poisson). ``test="Chisq"`` (or ``"LRT"``): ``Pr(>Chi)`` of
  ``Deviance / phi`` on ``|Df|``; ``test="F"``: ``F = (Deviance / Df) / phi`` on
  ``(|Df|, Resid. Df of the largest model)`` (infinite when phi is known, with R's warning).
  The default, as R >= 4.4.0's ``anova.glm``: ``"Chisq"`` when the dispersion is known
  (binomial, Poisson, negative binomial at a fixed alpha), ``"F"`` when it is estimated
  (gaussian, Gamma, inverse Gaussian, Tweedie). ``test=False`` gives the table without a test
  (R's ``test = NULL``).
- Negative binomial models with alpha estimated (``MASS::glm.nb``): R's ``anova.negbin``, a
  likelihood-ratio test ``2 (llf_2 - llf_1)`` on the difference of residual df; as R, the
  models are sorted by decreasing residual df.

As R, the models stay in the order given (except negbin): a smaller model after a larger one has
negative ``Df`` and ``Sum of Sq``, and its test is that of the same pair; equal df give ``Df = 0``
and an NA test; a negative statistic (models not nested) gives NA. Rows of the table are the
models (1, 2, ...). The tests use each model's own deviance (RSS), so weighted fits and offsets
need nothing special. R drops models whose response differs from the first with a warning; here
that is an error, as are different kinds, families, links or numbers of observations.

One model, ``anova(fit, data=df)``: R's sequential (type I) table ``anova(fit)``, see
:mod:`reglab.inference._anova_seq`. The model keeps no data, so ``data`` (the DataFrame of a
formula fit; X of a plain fit, with ``y=``) and the fit's ``sample_weight``, ``offset``,
``trials``, ``exposure`` are passed again; ``fit.anova(data)`` is the same.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.utils.validation import check_is_fitted

from reglab._warn import user_stacklevel
from reglab.inference.table import (
    SIGNIF_LEGEND,
    _format_column,
    format_pvalue,
    significance_stars,
)

__all__ = ["anova", "AnovaTable", "format_anova"]

_TESTS = (None, False, "F", "Chisq", "LRT")


class AnovaTable(pd.DataFrame):
    """A DataFrame with R's column names and a ``heading`` (list of lines); prints like R."""

    _metadata = ["heading"]

    @property
    def _constructor(self):
        return AnovaTable

    def __str__(self) -> str:
        return format_anova(self)

    def __repr__(self) -> str:
        return format_anova(self)


def anova(*models: Any, test: Any = None, data: Any = None, y: Any = None,
          sample_weight: Any = None, offset: Any = None, trials: Any = None,
          exposure: Any = None) -> AnovaTable:
    """Compare two or more fitted models of one kind (see the module docstring): R's
    ``anova(m1, m2, ..., test=test)``; or, for one model, its sequential table on ``data``
    (R's ``anova(fit)``). Returns an :class:`AnovaTable` (a DataFrame)."""
    if test not in _TESTS:
        raise ValueError(f"test must be None, False, 'F', 'Chisq' or 'LRT'; got {test!r}")
    fit_args = {k: v for k, v in {"sample_weight": sample_weight, "offset": offset,
                                  "trials": trials, "exposure": exposure}.items()
                if v is not None}
    if not models:
        raise ValueError("anova takes one fitted model (its sequential table) or two or more "
                         "(compared); got none")
    if len(models) > 1 and (data is not None or y is not None or fit_args):
        raise ValueError("data, y, sample_weight, offset, trials and exposure are for the "
                         "sequential table of one model; anova of several models uses each "
                         "model's own deviance")
    from reglab.models.glm import GLM
    from reglab.models.linear import LinearRegression

    for i, m in enumerate(models, 1):
        if not isinstance(m, LinearRegression | GLM):
            raise TypeError(f"model {i} is a {type(m).__name__}; anova compares "
                            "LinearRegression or GLM (LogisticRegression, NegativeBinomial) fits")
        check_is_fitted(m, "params_")
    if len(models) == 1:
        from reglab.inference._anova_seq import sequential_anova

        return sequential_anova(models[0], test, data, y, fit_args)
    kinds = {type(m).__name__ for m in models}
    if len({isinstance(m, LinearRegression) for m in models}) > 1:
        raise ValueError(f"anova compares models of one kind; got {', '.join(sorted(kinds))}")
    if isinstance(models[0], LinearRegression):
        _check_same_data(models)
        return _anova_lm(models, "F" if test is None else test)
    _check_glms(models)
    _check_same_data(models)
    if _nb_ml(models[0]):
        return _anova_negbin(models, test)
    return _anova_glm(models, test)


def _label(m: Any) -> str:
    formula = getattr(m, "formula_", None)
    return formula if formula else " + ".join(str(t) for t in m.params_.index)


def _heading(title: str, models) -> list[str]:
    w = len(str(len(models)))
    return [title, ""] + [f"Model {i:>{w}}: {_label(m)}" for i, m in enumerate(models, 1)]


def _check_same_data(models) -> None:
    """Same number of observations and, where comparable, the same response (formula left-hand
    side; null deviance of the models with the same intercept status)."""
    first = models[0]
    n0 = int(first.nobs_)
    for i, m in enumerate(models[1:], 2):
        if int(m.nobs_) != n0:
            raise ValueError("models were not all fitted to the same size of dataset: model 1 "
                             f"has {n0} observations, model {i} has {int(m.nobs_)}")
        lhs0, lhs = (_response(first), _response(m))
        if lhs0 is not None and lhs is not None and lhs0 != lhs:
            raise ValueError(f"model {i} has response {lhs!r} but model 1 has {lhs0!r}: anova "
                             "compares models of one response")
        # (an NB fit's null deviance is at its own alpha, and a fit with an offset has its
        # null model with that offset: neither is comparable across fits; R checks only the
        # response, e.g. to test an exposure offset against a free log-exposure coefficient)
        if _has_intercept(m) == _has_intercept(first) and not (_nb_ml(m) or _nb_ml(first)) \
                and not (_offset(m) or _offset(first)):
            d0, d = float(first.null_deviance_), float(m.null_deviance_)
            if not math.isclose(d0, d, rel_tol=1e-8, abs_tol=1e-300):
                raise ValueError(f"models were fitted to different responses or weights: the "
                                 f"null deviance of model {i} is {d:.8g}, of model 1 {d0:.8g}")


def _response(m: Any) -> str | None:
    formula = getattr(m, "formula_", None)
    return formula.split("~")[0].strip() if formula and "~" in formula else None


def _offset(m: Any) -> bool:
    return bool(getattr(m, "offset_used_", False))


def _has_intercept(m: Any) -> bool:
    return str(m.params_.index[0]) == "Intercept"


def _nb_ml(m: Any) -> bool:
    """A negative binomial fit with alpha estimated by ML (R's ``negbin`` class)."""
    return bool(getattr(m, "alpha_estimated_", False))


def _check_glms(models) -> None:
    fam0 = models[0].family_
    for i, m in enumerate(models, 1):
        if getattr(m, "alpha", 0):
            raise ValueError(f"model {i} is penalized (alpha = {m.alpha!r}): deviance tests "
                             "need unpenalized fits")
        fam = m.family_
        nb0, nb = _nb_ml(models[0]), _nb_ml(m)
        if nb != nb0:
            raise ValueError(f"model {i} {'estimates' if nb else 'does not estimate'} the "
                             "negative binomial alpha but model 1 "
                             f"{'does' if nb0 else 'does not'}: anova compares models of one "
                             "kind")
        if not nb and (fam.name, fam.link.name) != (fam0.name, fam0.link.name):
            raise ValueError(f"models have different families: model 1 is {fam0.name} "
                             f"(link {fam0.link.name}), model {i} is {fam.name} "
                             f"(link {fam.link.name})")
        if nb and fam.link.name != fam0.link.name:
            raise ValueError(f"models have different links: model 1 {fam0.link.name}, model "
                             f"{i} {fam.link.name}")


def _diff_table(resdf, resdev, names) -> pd.DataFrame:
    resdf = np.asarray(resdf, dtype=float)
    resdev = np.asarray(resdev, dtype=float)
    return pd.DataFrame({names[0]: resdf, names[1]: resdev,
                         names[2]: np.r_[np.nan, -np.diff(resdf)],
                         names[3]: np.r_[np.nan, -np.diff(resdev)]},
                        index=pd.RangeIndex(1, len(resdf) + 1))


def _add_test(table: pd.DataFrame, test: str, scale: float, df_scale: float,
              dev_col: int = 3) -> pd.DataFrame:
    """R's ``stat.anova`` for "Chisq"/"LRT" and "F" (``dev_col``: position of the deviance
    column)."""
    dfs = table["Df"].to_numpy()
    dev = table.iloc[:, dev_col].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        if test in ("Chisq", "LRT"):
            vals = dev / scale * np.sign(dfs)
            vals[(dfs == 0) | (vals < 0)] = np.nan  # R: "rather than p = 0"
            table["Pr(>Chi)"] = stats.chi2.sf(vals, np.abs(dfs))
            return table
        F = dev / dfs / scale
        F[(dfs == 0) | (F < 0)] = np.nan
        if math.isinf(df_scale):  # pf(F, d, Inf): chi-square(d) / d
            p = stats.chi2.sf(F * np.abs(dfs), np.abs(dfs))
        else:
            p = stats.f.sf(F, np.abs(dfs), df_scale)
    table["F"] = F
    table["Pr(>F)"] = p
    return table


def _anova_lm(models, test) -> AnovaTable:
    resdf = [int(m.df_resid_) for m in models]
    resdev = [float(m.deviance_) for m in models]
    table = _diff_table(resdf, resdev, ["Res.Df", "RSS", "Df", "Sum of Sq"])
    if test is not False:
        big = int(np.argmin(resdf))  # R: order(resdf)[1], the first of ties
        table = _add_test(table, test, resdev[big] / resdf[big], resdf[big])
    return finish(table, _heading("Analysis of Variance Table", models))


def _anova_glm(models, test) -> AnovaTable:
    resdf = [int(m.df_resid_) for m in models]
    table = _diff_table(resdf, [float(m.deviance_) for m in models],
                        ["Resid. Df", "Resid. Dev", "Df", "Deviance"])
    table = glm_test(table, test, models[int(np.argmin(resdf))])
    return finish(table, _heading("Analysis of Deviance Table", models))


def glm_test(table: pd.DataFrame, test: Any, big: Any, dev_col: int = 3) -> pd.DataFrame:
    """R's ``anova.glm`` test of a deviance table: the dispersion and residual df of ``big``
    (the largest model); the default Chisq when the dispersion is known, else F."""
    fixed = bool(big.family_.scale_fixed)
    if test is None:
        test = "Chisq" if fixed else "F"
    if test is False:
        return table
    if test == "F" and fixed:
        fam = big.family_.name
        msg = (f"using F test with a '{fam}' family is inappropriate"
               if fam in ("binomial", "poisson")
               else "using F test with a fixed dispersion is inappropriate")
        warnings.warn(msg, UserWarning, stacklevel=user_stacklevel())
    scale = 1.0 if fixed else float(big.dispersion_)
    return _add_test(table, test, scale, math.inf if fixed else int(big.df_resid_), dev_col)


def _anova_negbin(models, test) -> AnovaTable:
    if test not in (None, False, "Chisq", "LRT"):
        warnings.warn("only Chi-squared LR tests are implemented", UserWarning,
                      stacklevel=user_stacklevel())
    order = sorted(range(len(models)), key=lambda i: -int(models[i].df_resid_))  # stable
    ms = [models[i] for i in order]
    dfs = np.array([float(m.df_resid_) for m in ms])
    lls = np.array([2.0 * float(m.llf_) for m in ms])
    # a loaded NB file at its Poisson limit may have a Poisson family_ without alpha: alpha 0
    alphas = [float(getattr(m.family_, "alpha", 0.0)) for m in ms]
    df = np.r_[np.nan, -np.diff(dfs)]
    x2 = np.r_[np.nan, np.diff(lls)]
    with np.errstate(invalid="ignore"):
        pr = np.r_[np.nan, stats.chi2.sf(x2[1:], df[1:])]
    table = pd.DataFrame({
        "Model": [_label(m) for m in ms],
        "theta": [math.inf if a == 0 else 1.0 / a for a in alphas],
        "Resid. df": dfs, "2 x log-lik.": lls,
        "Test": [""] + [f"{i} vs {i + 1}" for i in range(1, len(ms))],
        "df": df, "LR stat.": x2, "Pr(Chi)": pr}, index=pd.RangeIndex(1, len(ms) + 1))
    resp = _response(ms[0])
    heading = ["Likelihood ratio tests of Negative Binomial Models"]
    heading += ["", f"Response: {resp}"] if resp else []
    return finish(table, heading)


def finish(table: pd.DataFrame, heading: list[str]) -> AnovaTable:
    out = AnovaTable(table)
    out.heading = heading
    return out


def _is_df_column(name: str) -> bool:
    return name in ("Res.Df", "Resid. Df", "Resid. df", "Df", "df")


def format_anova(table: pd.DataFrame, digits: int = 5) -> str:
    """R's ``print.anova``: the heading, the table (NA printed blank, p-values as
    ``format.pval`` with significance stars) and the legend when there is a p-value column."""
    cols: dict[str, list[str]] = {}
    pcol = None
    for name in table.columns:
        col = table[name]
        if col.dtype.kind not in "fiu":
            cols[name] = [str(v) for v in col]
            continue
        vals = col.to_numpy(dtype=float)
        if str(name).startswith("Pr("):
            pcol = name
            cols[name] = ["" if np.isnan(v) else format_pvalue(v, digits - 1) for v in vals]
        elif _is_df_column(str(name)) and np.all(np.isnan(vals) | (vals == np.round(vals))):
            cols[name] = ["" if np.isnan(v) else f"{v:.0f}" for v in vals]
        else:
            cols[name] = ["" if s == "NA" else s for s in _format_column(vals, digits)]
    if pcol is not None:
        cols[""] = ["" if np.isnan(v) else significance_stars(v)
                    for v in table[pcol].to_numpy(dtype=float)]
    rows = [str(i) for i in table.index]
    rw = max(len(r) for r in rows) if rows else 0
    widths = {k: max([len(str(k))] + [len(s) for s in v]) for k, v in cols.items()}
    lines = [(" " * rw + "".join(" " + str(k).rjust(widths[k]) for k in cols)).rstrip()]
    for i, r in enumerate(rows):
        cells = "".join(" " + (v[i].ljust(widths[k]) if k == "" else v[i].rjust(widths[k]))
                        for k, v in cols.items())
        lines.append((r.ljust(rw) + cells).rstrip())
    heading = list(getattr(table, "heading", None) or [])
    parts = heading + ([""] if heading else []) + lines
    if pcol is not None:
        parts += ["---", SIGNIF_LEGEND]
    return "\n".join(parts)
