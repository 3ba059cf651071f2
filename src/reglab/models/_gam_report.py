"""Presentation of a fitted GAM: the mgcv-style summary text and the per-term plots.

NumPy/pandas/matplotlib only; the numbers come from the fitted ``GAM`` (``coef_table``,
``smooth_table``, ``partial_dependence``).
"""

from __future__ import annotations

import warnings

import numpy as np

from reglab._warn import user_stacklevel

__all__ = ["summary_text", "plot_terms", "coef_table", "smooth_table", "warn_invalid_mean",
           "InvalidMeanWarning"]

# Families whose mean must be positive, and those whose mean is a probability.
_POSITIVE = ("poisson", "gamma", "inverse_gaussian", "negative_binomial", "tweedie")
_PROBABILITY = ("binomial",)


class InvalidMeanWarning(RuntimeWarning):
    """``predict`` produced means outside the family's range (e.g. a Gamma mean <= 0)."""


def warn_invalid_mean(family, eta: np.ndarray, mu: np.ndarray) -> None:
    """Warn, naming the first row, when ``mu = g^{-1}(eta)`` (n,) leaves the family's range.

    Links that are not onto the family's mean range (the inverse link of a Gamma GAM:
    ``mu = 1 / eta``) give a negative or infinite mean once ``eta`` crosses zero, which a trend
    continued beyond the training data can do on held-out rows; such a prediction is not a
    mean of the model, so it must not pass silently into scores.
    """
    with np.errstate(invalid="ignore"):
        if family.name in _POSITIVE:
            bad = ~(np.isfinite(mu) & (mu > 0))
            rule = "> 0"
        elif family.name in _PROBABILITY:
            bad = ~(np.isfinite(mu) & (mu >= 0) & (mu <= 1))
            rule = "in [0, 1]"
        else:
            bad = ~np.isfinite(mu)
            rule = "finite"
    if not bad.any():
        return
    i = int(np.flatnonzero(bad)[0])
    hint = " (its log link keeps the mean positive: link='log')" if family.name in _POSITIVE \
        else ""
    warnings.warn(f"predict: {int(bad.sum())} of {bad.size} predicted {family.name} means are "
                  f"not {rule} (first at row {i}: eta = {eta[i]:.4g}, mean = {mu[i]:.4g}); the "
                  f"{family.link.name} link leaves the family's range where the linear predictor "
                  f"is extrapolated beyond the training data. Refit with a link that maps onto "
                  f"the range{hint}", InvalidMeanWarning, stacklevel=user_stacklevel())


def coef_table(model, level: float = 0.95):
    """``GAM.coef_table``: Wald table of the intercept, linear and factor coefficients."""
    from reglab.inference.table import coef_table as table
    from reglab.models._splines import Factor

    names, idx = ["(Intercept)"], [0]
    for t, sl in zip(model.terms_, model.slices_):
        if not t.penalties:
            names += t.coef_names if isinstance(t, Factor) else [t.label]
            idx += list(range(sl.start, sl.stop))
    beta = np.concatenate([[model.intercept_], model.coef_])[idx]
    se = np.sqrt(np.diag(model.Vp_)[idx])
    dist = "z" if model.family_.scale_fixed else "t"
    return table(beta, se, dist=dist, df=max(model.df_resid_, 1.0), level=level, names=names)


def smooth_table(model):
    """``GAM.smooth_table``: per smooth ``edf, Ref.df``, F or Chi.sq statistic, p-value."""
    import pandas as pd

    stat, pcol = ("Chi.sq", "Pr(>Chi)") if model.family_.scale_fixed else ("F", "Pr(>F)")
    rows = model.smooth_tests_
    return pd.DataFrame([(e, r, st, p) for e, r, st, p in rows.values()],
                        index=list(rows), columns=["edf", "Ref.df", stat, pcol])


def summary_text(model) -> str:
    """The text of ``GAM.summary()`` (mgcv's ``summary.gam`` layout)."""
    from reglab.inference.table import format_table

    fam = model.family_
    crit = {"gcv": "GCV", "ubre": "UBRE", "reml": "-REML", "fixed": "fixed lambda"}
    lines = [f"Family: {fam.name}", f"Link function: {fam.link.name}", ""]
    if getattr(model, "formula_", None):
        lines += [f"Formula: {model.formula_}", ""]
    lines += ["Parametric coefficients:", format_table(model.coef_table().iloc[:, :4]), ""]
    if model.smooth_tests_:
        lines += ["Approximate significance of smooth terms (Wald, rank round(edf)):",
                  format_table(model.smooth_table()), ""]
    score = "" if model.method_ == "fixed" else f" = {model.score_:.5g}"
    lines += [f"R-sq.(adj) = {model.r2_adj_:.3g}   Deviance explained = "
              f"{100 * model.deviance_explained_:.1f}%",
              f"{crit[model.method_]}{score}   Scale est. = {model.scale_:.5g}   "
              f"n = {model.n_samples_:g}",
              f"Total edf = {model.edf_total_:.3f}   AIC = {model.aic_:.2f}"]
    return "\n".join(lines)


def plot_terms(model, terms, axes, level: float):
    """``GAM.plot``: one matplotlib axis per term (line + band, ``te`` contours, factor bars)."""
    import matplotlib.pyplot as plt

    terms = list(range(len(model.terms_))) if terms is None else list(terms)
    if axes is None:
        _, axes = plt.subplots(1, len(terms), figsize=(3.4 * len(terms), 3), squeeze=False)
        axes = axes[0]
    for ax, term in zip(axes, terms):
        t, _ = model._term(term)
        pdf = model.partial_dependence(term, grid_size=40 if t.kind == "tensor" else 100,
                                       level=level)
        cols = list(pdf.columns[: len(t.features)])
        if t.kind == "tensor":
            shape = (40, 40)
            cs = ax.contourf(*(pdf[c].to_numpy().reshape(shape) for c in cols),
                             pdf["fit"].to_numpy().reshape(shape), levels=12, cmap="RdBu_r")
            ax.figure.colorbar(cs, ax=ax)
            ax.set_ylabel(cols[1])
        elif t.kind == "factor":
            ax.errorbar(range(len(pdf)), pdf["fit"], yerr=pdf["fit"] - pdf["lwr"], fmt="o")
            ax.set_xticks(range(len(pdf)), [str(v) for v in pdf[cols[0]]])
        else:
            ax.fill_between(pdf[cols[0]], pdf["lwr"], pdf["upr"], alpha=0.3)
            ax.plot(pdf[cols[0]], pdf["fit"])
            ax.set_ylabel(t.label)
        ax.set_xlabel(cols[0])
        ax.set_title(f"{t.label}, edf {model.edf_[t.label]:.2f}", fontsize=9)
    return axes
