"""The HTML report of ``reglab fit --report``: one model fitted on all rows.

The sections are the compare report's, for a single model and with in-sample predictions in
place of out-of-fold ones: data, the model's summary, the fit (a curve for one regression
feature, decision regions for two-feature classes, else observed vs fitted or calibration),
residual diagnostics with the model's own variance, the influential rows (models with R's
influence measures: linear models and GLMs), partial effects (not for one regression
feature: the curve is its partial effect) and the loss curve. A Bayesian model adds its
posterior relation with the error bars (``plot_fit``), the trace plot, and the sampler's
warnings as notes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reglab.compare import Comparison, RungResult, _proba, design
from reglab.data.tabular import Prepared
from reglab.viz import compare_report as cr
from reglab.viz._influence import influence_section
from reglab.viz.report import Report

__all__ = ["build_fit_report", "write_fit_report"]

MAX_BAYES_PANELS = 3  # plot_fit figures of a Bayesian model, one per feature


def fitted_values(model: Any, data: Prepared, exposure: np.ndarray | None = None) -> np.ndarray:
    """In-sample predictions: class probabilities ``(n, K)`` or the mean ``(n,)`` (expected
    counts over ``exposure`` when the model was fitted with one)."""
    X = design(data)
    if data.classes:
        if hasattr(model, "predict_proba"):
            return _proba(model, X, len(data.classes))
        mu = np.asarray(model.predict(X), float)  # a binomial GLM: P(second class)
        return np.column_stack([1 - mu, mu])
    extra = {} if exposure is None else {"exposure": exposure}
    return np.asarray(model.predict(X, **extra), float)


def _bayesian(rep: Report, model: Any, data: Prepared, exposure_name: str) -> None:
    """The posterior relation against each feature (up to three) and the trace plot."""
    if not hasattr(model, "samples_"):
        return
    sec = rep.section("Posterior")
    errors = " with their measurement errors as bars" if model.data_["x_err"].any() or \
        model.data_["y_err"].any() else ""
    rep.text(sec, f"The observations{errors}, the posterior mean relation and its 90% credible "
                  "band against each feature, the other features at their mean.")
    for j in range(min(len(model.feature_names_), MAX_BAYES_PANELS)):
        fig = model.plot_fit(feature=j)
        ax = fig.axes[0]
        if ax.get_ylabel().startswith("y"):  # "y", "y (partial residual)", "y / exposure"
            label = data.target + ax.get_ylabel()[1:]
            ax.set_ylabel(label.replace("/ exposure", f"/ {exposure_name}"))
        rep.figure(sec, fig, f"posterior fit: {model.feature_names_[j]}")
    rep.text(sec, "Trace plot: the draws of each chain (left) and their histogram (right). "
                  "Chains that wander apart or stick are a warning.")
    rep.figure(sec, model.plot_trace(), "trace plot")
    for line in getattr(model, "diagnostics_", []):
        rep.text(sec, line, "note")


def build_fit_report(model: Any, data: Prepared, name: str, source: str = "",
                     exposure: pd.Series | np.ndarray | None = None,
                     weights: pd.Series | np.ndarray | None = None) -> Report:
    """The report of ``model`` fitted on ``data`` (all rows). ``exposure``, ``weights``: the
    exposures and row weights it was fitted with (a named Series gives the column's name)."""
    expo = None if exposure is None else np.asarray(exposure, float)
    w = None if weights is None else np.asarray(weights, float)
    res = RungResult(name, None, oof=fitted_values(model, data, expo), model=model)
    comp = Comparison(data.task, pd.DataFrame(), [res], 0, "", expo,
                      str(getattr(exposure, "name", None) or "exposure"),
                      None if w is None else str(getattr(weights, "name", None) or "weights"), w)
    rep = Report(f"reglab fit: {source or data.target}",
                 f"{name} for {data.task} target '{data.target}'")
    cr.add_data(rep, comp, data, source, single=True)
    cr.summaries_section(rep, comp, [res])
    if not (hasattr(model, "samples_") and data.X.shape[1] == 1 and not data.classes):
        cr.fits_section(rep, comp, data, [res], cr.IN_SAMPLE)  # (else the posterior plot shows it)
    _bayesian(rep, model, data, comp.exposure_name)
    cr.diagnostics_section(rep, data, [res], cr.IN_SAMPLE, comp.weights)
    influence_section(rep, model, design(data), data.y, data.frame, expo, w)
    if data.X.shape[1] > 1 or data.classes:  # one regression feature: the curve above is it
        cr.partial_section(rep, comp, data, [res])
    cr.curves_section(rep, [res])
    return rep


def write_fit_report(model: Any, data: Prepared, output: str | Path, name: str,
                     source: str = "", exposure: Any = None,
                     weights: Any = None) -> Path:
    """Write ``output/index.html`` and return its path."""
    return build_fit_report(model, data, name, source, exposure, weights).write(
        Path(output) / "index.html")
