"""The text of ``GLM.summary()``: R's ``summary(glm(...))`` layout, plus the log-likelihood, BIC,
the IRLS diagnostics and the notes a careful reader needs (over-dispersion, separation)."""

from __future__ import annotations

import math
import textwrap
from typing import Any

from reglab.inference.table import format_summary

__all__ = ["summary_text"]


def summary_text(m: Any, level: float) -> str:
    """R's ``summary(glm(...))`` of the fitted GLM ``m`` at confidence ``level``."""
    fam = m.family_
    name = fam.name
    if name == "poisson" and getattr(fam, "alpha", None) == 0:  # NB2 fitted at its boundary
        name = "negative_binomial at alpha = 0 (the Poisson limit)"
    title = f"Generalized linear model: family {name}, link {fam.link.name}"
    shown = {k: v for k, v in (getattr(fam, "params", None) or {}).items() if k != "alpha"}
    if shown:  # e.g. the Tweedie variance power, on which the deviance and AIC depend
        title += " (" + ", ".join(f"{k} = {v:g}" for k, v in shown.items()) + ")"
    if getattr(m, "formula_", None):
        title += f"\nFormula: {m.formula_}"
    disp = ("taken to be 1" if fam.scale_fixed else f"estimated (Pearson) as {m.dispersion_:.6g}")
    lines = [f"(Dispersion parameter for {fam.name} family {disp})"]
    if hasattr(fam, "alpha") and (fam.name == "negative_binomial" or m.alpha_estimated_):
        how, a = ("estimated by ML" if m.alpha_estimated_ else "fixed"), float(fam.alpha)
        lines.append(f"(NB2 alpha = {a:.6g} {how}; theta = 1/alpha = "
                     f"{1 / a if a > 0 else math.inf:.6g})")
    w = max(len(f"{m.null_deviance_:.3f}"), len(f"{m.deviance_:.3f}"))
    lines += ["",
              f"    Null deviance: {m.null_deviance_:{w}.3f}  on {m.df_null_}  degrees of freedom",
              f"Residual deviance: {m.deviance_:{w}.3f}  on {m.df_resid_}  degrees of freedom",
              f"Log-likelihood: {m.llf_:.4f},  AIC: {m.aic_:.4f},  BIC: {m.bic_:.4f}",
              *_penalty_line(m), "",
              _iterations_line(m)]
    lines += _overdispersion_note(m)
    if m.separation_ is not None and m.separation_.separated:
        lines.append("WARNING: " + m.separation_.message())
    return format_summary(title, m.coef_table(level), lines)


def _overdispersion_note(m: Any) -> list[str]:
    """A note under a Poisson fit whose Pearson chi-square is far above its residual degrees of
    freedom (ratio > 1.5 and p < 0.01 under the model, >= 10 df): the counts vary more than
    the Poisson variance mu allows, so the standard errors above are too small."""
    from scipy.stats import chi2

    df = m.df_resid_
    nb_limit = getattr(m.family_, "alpha", None) is not None or hasattr(m, "alpha_nb_")
    if m.family_.name != "poisson" or nb_limit or df < 10:
        return []
    if getattr(m, "weighted_", False):  # prior weights: R's df (rows - p) need not be the
        return []  # chi-square's (frequency weights count each row that many times)
    ratio, p = m.pearson_chi2_ / df, float(chi2.sf(m.pearson_chi2_, df))
    if not (ratio > 1.5 and p < 0.01):
        return []
    shown = "p < 1e-16" if p < 1e-16 else f"p = {p:.2g}"
    note = (f"NOTE: Pearson chi-square / df = {ratio:.3g} ({shown} if the counts were Poisson): "
            "over-dispersed, so these standard errors are too small; a negative binomial fit "
            "(NegativeBinomial, --model negative_binomial) estimates the extra variance.")
    return ["", *textwrap.wrap(note, 92)]


def _iterations_line(m: Any) -> str:
    state = "converged" if m.converged_ else "NOT converged"
    solver = getattr(m, "solver", "irls")
    if solver != "irls":
        return f"Solver {solver}: {m.n_iter_} iterations/epochs ({state})"
    return (f"Number of Fisher Scoring iterations: {m.n_iter_} ({state}, {m.n_passes_} passes "
            "over X)")


def _penalty_line(m: Any) -> list[str]:
    """Under a ridge penalty: the effective degrees of freedom that AIC and BIC count."""
    if not getattr(m, "alpha", 0):
        return []
    edf = getattr(m, "edf_", None)
    if edf is None:  # a model file written before edf_ was kept
        return []
    return [f"(L2 penalty alpha = {m.alpha:g}: {edf:.4g} effective degrees of freedom for the "
            f"{len(m.params_)} coefficients, which AIC and BIC count)"]
