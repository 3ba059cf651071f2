"""The HTML report of ``reglab compare``: data, leaderboard, fits, residuals, partial effects,
loss curves and the GLM summaries, from a :class:`reglab.compare.Comparison`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reglab.compare import Comparison, RungResult
from reglab.data.tabular import Prepared
from reglab.viz import nnplots, plots
from reglab.viz.report import Report
from reglab.viz.style import PALETTE, styled, subplots

__all__ = ["build_compare_report", "write_compare_report", "add_comparison"]


def _predictor(model: Any, names: list[str], proba: bool = False):
    def predict(A: np.ndarray) -> np.ndarray:
        df = pd.DataFrame(A, columns=names)
        return model.predict_proba(df)[:, 1] if proba else model.predict(df)

    return predict


@styled
def _score_bars(board: pd.DataFrame, metric: str):
    fig, ax = subplots(size=(5.0, 0.35 * len(board) + 1.0))
    vals = board[metric].to_numpy(float)
    ax.barh(board["model"][::-1], np.nan_to_num(vals[::-1], nan=0.0), color=PALETTE[0])
    for i, v in enumerate(vals[::-1]):
        ax.text(0 if np.isnan(v) else v, i, " n/a" if np.isnan(v) else f" {v:.3g}",
                va="center", fontsize=8)
    ax.set_xlabel(f"cross-validated {metric} (lower is better)")
    return fig


@styled
def _observed_vs_predicted(results: list[RungResult], y: np.ndarray):
    fig, axes = subplots(1, len(results), size=(2.8, 2.7))
    lo, hi = float(np.min(y)), float(np.max(y))
    for ax, r in zip(np.atleast_1d(axes), results):
        ax.scatter(r.oof, y, s=7, alpha=0.5)
        ax.plot([lo, hi], [lo, hi], color="0.3", lw=1)
        ax.set(title=r.name, xlabel="predicted (held out)", ylabel="observed")
    return fig


def _fits(rep: Report, comp: Comparison, data: Prepared, models: list[RungResult]) -> None:
    sec = rep.section("Model fits")
    names = data.feature_names
    if data.classes and data.X.shape[1] == 2:
        rep.text(sec, "Decision regions of each model refitted on all rows.")
        rep.figure(sec, nnplots.decision_regions(
            {r.name: _Named(r.model, names) for r in models[:4]}, data.X, data.y),
            "decision regions")
    elif not data.classes and data.X.shape[1] == 1:
        grid = np.linspace(data.X[:, 0].min(), data.X[:, 0].max(), 200)[:, None]
        curves = {r.name: (grid[:, 0], _predictor(r.model, names)(grid)) for r in models}
        rep.figure(sec, plots.fit_lines(data.X[:, 0], data.y, curves, xlabel=names[0],
                                        ylabel=data.target), "fitted curves")
    elif not data.classes:
        rep.text(sec, "Observed against held-out (out-of-fold) predictions; the diagonal is a "
                      "perfect prediction.")
        rep.figure(sec, _observed_vs_predicted(models[:5], data.y), "observed vs predicted")
    else:
        rep.text(sec, "More than two features: see the leaderboard and partial effects.")


class _Named:
    """Adapter: numpy in, DataFrame with feature names to the model (for plotting helpers)."""

    def __init__(self, model: Any, names: list[str]) -> None:
        self.model, self.names = model, names

    def predict(self, A: np.ndarray) -> np.ndarray:
        return self.model.predict(pd.DataFrame(A, columns=self.names))

    def predict_proba(self, A: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(pd.DataFrame(A, columns=self.names))


def _final(model: Any) -> Any:
    from reglab._ladder import _final as final

    return final(model)


def _diagnostics(rep: Report, data: Prepared, models: list[RungResult]) -> None:
    if data.classes:
        return
    sec = rep.section("Residual diagnostics")
    power = {"counts": 0.5, "positive": 1.0}.get(data.task)  # sqrt(V(mu)) = mu^power
    rep.text(sec, "Held-out residuals (observed minus out-of-fold prediction) of the best model "
                  "and of the linear model" + ("" if power is None else
                  ", as Pearson residuals (y - mu) / sqrt(V(mu)) with the "
                  f"{'Poisson' if data.task == 'counts' else 'Gamma'} variance where every "
                  "predicted mean is positive") + ".")
    shown = list(dict.fromkeys([models[0].name, "linear"]))
    for r in models:
        if r.name in shown:
            scale = r.oof**power if power is not None and np.all(r.oof > 0) else None
            rep.figure(sec, plots.residual_diagnostics(data.y, r.oof, title=r.name,
                                                       pearson_scale=scale),
                       f"residual diagnostics: {r.name}")


def _partial(rep: Report, data: Prepared, models: list[RungResult]) -> None:
    if data.classes and len(data.classes) > 2:
        return
    sec = rep.section("Partial effects")
    what = "probability of the second class" if data.classes else "prediction"
    rep.text(sec, f"Partial dependence of the {what} on each feature (the mean over the data "
                  "with that feature set to each grid value), for the top models.")
    predictors = {r.name: _predictor(r.model, data.feature_names, bool(data.classes))
                  for r in models[:3]}
    rep.figure(sec, plots.partial_effects(predictors, data.X, data.feature_names),
               "partial effects")


def _curves(rep: Report, models: list[RungResult]) -> None:
    curves = {}
    for r in models:
        m = _final(r.model)
        c = getattr(m, "loss_curve_", None)
        if c is not None and len(c) > 1:
            curves[r.name] = np.asarray(c, float)
    if curves:
        sec = rep.section("Loss curves")
        rep.text(sec, "Training loss per epoch/iteration of the iteratively trained models "
                      "(final fit on all rows).")
        rep.figure(sec, plots.loss_curves(curves), "loss curves")


def _summaries(rep: Report, models: list[RungResult]) -> None:
    found = [(r.name, _final(r.model)) for r in models if hasattr(_final(r.model), "summary")]
    if not found:
        return
    sec = rep.section("Model summaries")
    for name, m in found:
        rep.text(sec, name)
        rep.pre(sec, str(m.summary()))


def add_comparison(rep: Report, comp: Comparison, data: Prepared, source: str = "") -> None:
    """Append the comparison's sections to ``rep``."""
    sec = rep.section("Data")
    rep.text(sec, f"{source}: {len(data.y)} rows, {data.X.shape[1]} features "
                  f"({', '.join(data.feature_names[:12])}{'...' if data.X.shape[1] > 12 else ''})"
                  f"; target '{data.target}', task {data.task}.")
    for n in data.notes:
        rep.text(sec, n, "note")
    sec = rep.section("Leaderboard")
    rep.text(sec, f"{comp.folds}-fold cross-validation, ranked by held-out {comp.primary}. "
                  "AIC/BIC are in-sample, for the likelihood models only.")
    rep.table(sec, comp.leaderboard, highlight_first=True)
    rep.figure(sec, _score_bars(comp.leaderboard, comp.primary), f"held-out {comp.primary}")
    skipped = [r for r in comp.results if r.skipped]
    for r in skipped:
        rep.text(sec, f"{r.name}: {r.skipped}", "note")
    order = {m: i for i, m in enumerate(comp.leaderboard["model"])}
    models = sorted(comp.fitted(), key=lambda r: order[r.name])
    _fits(rep, comp, data, models)
    _diagnostics(rep, data, models)
    _partial(rep, data, models)
    _curves(rep, models)
    _summaries(rep, models)


def build_compare_report(comp: Comparison, data: Prepared, source: str = "") -> Report:
    rep = Report(f"reglab compare: {source or data.target}",
                 f"{comp.task} target '{data.target}'")
    add_comparison(rep, comp, data, source)
    return rep


def write_compare_report(comp: Comparison, data: Prepared, output: str | Path,
                         source: str = "") -> Path:
    """Write ``output/index.html`` and return its path."""
    return build_compare_report(comp, data, source).write(Path(output) / "index.html")
