"""The HTML report of ``reglab compare``: data, leaderboard, fits, residuals, partial effects,
loss curves and the GLM summaries, from a :class:`reglab.compare.Comparison`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reglab._ladder import summary_qualifier
from reglab.compare import Comparison, RungResult
from reglab.data.tabular import Prepared
from reglab.viz import nnplots, plots
from reglab.viz._residuals import pearson_scale, scaling_words
from reglab.viz.report import Report
from reglab.viz.style import PALETTE, styled, subplots

__all__ = ["build_compare_report", "write_compare_report", "add_comparison", "add_data",
           "fits_section", "diagnostics_section", "partial_section", "curves_section",
           "summaries_section", "HELD_OUT", "IN_SAMPLE"]

# where the predictions in ``RungResult.oof`` come from, as the figures and texts say it:
# compare's out-of-fold predictions, or (``reglab fit --report``) the fit on all rows
HELD_OUT = {"short": "held out", "long": "held-out (out-of-fold)",
            "residuals": "Held-out residuals (observed minus out-of-fold prediction)"}
IN_SAMPLE = {"short": "in sample", "long": "in-sample (fitted on all rows)",
             "residuals": "In-sample residuals (observed minus the fit on all rows)"}


def _second_class(model: Any, df: pd.DataFrame) -> np.ndarray:
    """P(second class): ``predict_proba``'s column, or the mean of a model fitted to the 0/1
    codes (a binomial GLM, a linear probability model, a GAM)."""
    if hasattr(model, "predict_proba"):
        return model.predict_proba(df)[:, 1]
    return np.asarray(model.predict(df), float)


def _predictor(model: Any, names: list[str], proba: bool = False):
    def predict(A: np.ndarray) -> np.ndarray:
        df = pd.DataFrame(A, columns=names)
        return _second_class(model, df) if proba else model.predict(df)

    return predict


@styled
def _score_bars(board: pd.DataFrame, metric: str):
    # wide enough for the longest model name beside the bars and the axis label under them
    longest = max((len(str(m)) for m in board["model"]), default=0)
    fig, ax = subplots(size=(max(5.0, 3.6 + 0.075 * longest), 0.35 * len(board) + 1.0))
    vals = board[metric].to_numpy(float)
    ax.barh(board["model"][::-1], np.nan_to_num(vals[::-1], nan=0.0), color=PALETTE[0])
    for i, v in enumerate(vals[::-1]):
        ax.text(0 if np.isnan(v) else v, i, " n/a" if np.isnan(v) else f" {v:.3g}",
                va="center", fontsize=8)
    ax.set_xlabel(f"cross-validated {metric} (lower is better)")
    return fig


@styled
def _observed_vs_predicted(results: list[RungResult], y: np.ndarray, where: str = "held out",
                           keep: np.ndarray | slice = slice(None)):
    """One panel per model; ``keep`` selects the rows drawn (those of positive weight)."""
    fig, axes = subplots(1, len(results), size=(2.8, 2.7))
    y = y[keep]
    lo, hi = float(np.min(y)), float(np.max(y))
    for ax, r in zip(np.atleast_1d(axes), results):
        ax.scatter(np.asarray(r.oof)[keep], y, s=7, alpha=0.5)
        ax.plot([lo, hi], [lo, hi], color="0.3", lw=1)
        ax.set(title=r.name, xlabel=f"predicted ({where})", ylabel="observed")
    return fig


def fits_section(rep: Report, comp: Comparison, data: Prepared, models: list[RungResult],
          words: dict[str, str] = HELD_OUT) -> None:
    sec = rep.section("Model fits")
    names = data.feature_names
    w = comp.weights
    keep = slice(None) if w is None else w > 0
    if w is not None and not np.all(keep):
        rep.text(sec, f"The {int(np.sum(~keep))} rows of weight 0 are not drawn.")
    if data.classes and data.X.shape[1] == 2:
        rep.text(sec, "Decision regions of each model refitted on all rows.")
        rep.figure(sec, nnplots.decision_regions(
            {r.name: _Named(r.model, names) for r in models[:4]}, data.X, data.y),
            "decision regions")
    elif not data.classes and data.X.shape[1] == 1:
        grid = np.linspace(data.X[:, 0].min(), data.X[:, 0].max(), 200)[:, None]
        curves = {r.name: (grid[:, 0], _predictor(r.model, names)(grid)) for r in models}
        y, ylabel = data.y, data.target
        if comp.exposure is not None:  # counts over exposures: the models' curves are rates
            y, ylabel = data.y / comp.exposure, f"{data.target} / {comp.exposure_name}"
            rep.text(sec, f"Observed rates {ylabel} and each model's fitted rate.")
        rep.figure(sec, plots.fit_lines(data.X[keep, 0], y[keep], curves, xlabel=names[0],
                                        ylabel=ylabel), "fitted curves")
    elif not data.classes:
        rep.text(sec, f"Observed against {words['long']} predictions; the diagonal is a "
                      "perfect prediction.")
        rep.figure(sec, _observed_vs_predicted(models[:5], data.y, words["short"], keep),
                   "observed vs predicted")
    else:
        what = (f"the probability of {data.target} = '{data.classes[1]}'"
                if len(data.classes) == 2 else
                "the top class's probability (its confidence), against how often it is right")
        rep.text(sec, f"Calibration of the {words['long']} probabilities: rows binned by "
                      f"{what}, in deciles; a calibrated model's points lie on the diagonal."
                 + ("" if w is None else f" Bin means are weighted by '{comp.weight_name}'."))
        rep.figure(sec, _calibration(models[:5], data.y, len(data.classes), words["short"], w),
                   "calibration")


def calibration_points(p: np.ndarray, hit: np.ndarray, bins: int = 10,
                       weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(mean predicted, observed frequency)`` per quantile bin of the probabilities ``p``
    (at most ``bins``; ties can merge bins); ``hit`` is 1 where the event happened. With row
    ``weights`` both are weighted means and the rows of weight 0 are left out (the bins are
    quantiles of the other rows' ``p``)."""
    if weights is not None:
        keep = np.asarray(weights, float) > 0
        p, hit, weights = p[keep], hit[keep], np.asarray(weights, float)[keep]
    else:
        weights = np.ones_like(p, dtype=float)
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, max(len(edges) - 2, 0))
    used = [b for b in range(max(len(edges) - 1, 1)) if np.any(which == b)]
    return (np.array([np.average(p[which == b], weights=weights[which == b]) for b in used]),
            np.array([np.average(hit[which == b], weights=weights[which == b]) for b in used]))


@styled
def _calibration(results: list[RungResult], y: np.ndarray, n_classes: int,
                 where: str = "held out", weights: np.ndarray | None = None):
    fig, ax = subplots(size=(4.6, 3.8))
    for r, color in zip(results, PALETTE * 2):
        P = np.asarray(r.oof, float)
        p, hit = ((P[:, 1], y == 1) if n_classes == 2 else (P.max(axis=1), P.argmax(axis=1) == y))
        ax.plot(*calibration_points(p, hit.astype(float), weights=weights), marker="o", ms=4,
                lw=1.4,
                color=color, label=r.name)
    ax.plot([0, 1], [0, 1], color="0.3", lw=1)
    ax.set(xlabel=f"mean predicted probability ({where})", ylabel="observed frequency",
           xlim=(0, 1), ylim=(0, 1))
    ax.legend(fontsize=7)
    return fig


class _Named:
    """Adapter for the decision-region plots: numpy in, a DataFrame with the feature names to
    the classifier; a model of the 0/1 codes without ``predict_proba`` (a binomial GLM, a linear
    probability model) predicts the class whose probability is >= 0.5."""

    def __init__(self, model: Any, names: list[str]) -> None:
        self.model, self.names = model, names

    def predict(self, A: np.ndarray) -> np.ndarray:
        if hasattr(self.model, "predict_proba"):
            return self.model.predict(pd.DataFrame(A, columns=self.names))
        return self.predict_proba(A).argmax(axis=1)

    def predict_proba(self, A: np.ndarray) -> np.ndarray:
        df = pd.DataFrame(A, columns=self.names)
        if hasattr(self.model, "predict_proba"):
            return self.model.predict_proba(df)
        p = np.clip(_second_class(self.model, df), 0.0, 1.0)  # a linear probability can stray
        return np.column_stack([1 - p, p])


def _final(model: Any) -> Any:
    from reglab._ladder import _final as final

    return final(model)


def diagnostics_section(rep: Report, data: Prepared, models: list[RungResult],
                        words: dict[str, str] = HELD_OUT,
                        weights: np.ndarray | None = None) -> None:
    """Residual panels of the best model and the linear one (or of the one model); with the
    fit's row ``weights`` the residuals are multiplied by sqrt(weight) and the rows of weight 0
    left out (R's ``plot.lm`` of a weighted fit)."""
    if data.classes:
        return
    sec = rep.section("Residual diagnostics")
    if len(models) == 1:  # one model: say its scaling outright
        _, how = pearson_scale(models[0].model, np.asarray(models[0].oof, float), data.task)
        rep.text(sec, f"{words['residuals']} of the model, {how}.")
    else:
        rep.text(sec, f"{words['residuals']} of the best model and of the linear model"
                 + scaling_words(data.task)
                 + " The caption under each figure names the variance used.")
    if weights is not None:
        zero = int(np.sum(weights == 0))
        rep.text(sec, "The fit is weighted: each residual is multiplied by the square root of "
                      "its row's weight (a raw one is then labelled weighted)"
                 + (f", and the {zero} rows of weight 0 are left out." if zero else "."))
    shown = list(dict.fromkeys([models[0].name, "linear"]))
    for r in models:
        if r.name in shown:
            scale, how = pearson_scale(r.model, np.asarray(r.oof, float), data.task)
            rep.figure(sec, plots.residual_diagnostics(data.y, r.oof, title=r.name,
                                                       pearson_scale=scale, weights=weights),
                       f"residual diagnostics: {r.name}, {how}")


MAX_PARTIAL = 6  # partial-effect panels


def _features(data: Prepared) -> list[plots.Feature]:
    """The original features of ``data.X`` from its schema: a categorical feature owns its dummy
    columns ``name[level]`` (baseline ``levels[0]``: every dummy 0), a numeric one its column
    (binary when it holds at most two values). A formula design, or a schema that does not
    account for every column, gives one feature per column."""
    schema, names = data.schema or {}, data.feature_names
    fallback = plots.column_features(data.X, names)
    if schema.get("formula") or not schema.get("features"):
        return fallback
    index = {n: j for j, n in enumerate(names)}
    out: list[plots.Feature] = []
    for f in schema["features"]:
        if f["kind"] == "categorical":
            cols = tuple(index.get(f"{f['name']}[{lv}]", -1) for lv in f["levels"][1:])
            if cols:  # a one-level feature has no column
                out.append(plots.Feature(f["name"], "categorical", cols,
                                         tuple(map(str, f["levels"]))))
        elif f["name"] in index:
            out.append(plots.column_feature(data.X, index[f["name"]], f["name"]))
    used = sorted(j for f in out for j in f.columns)  # a missing dummy is -1: the fallback
    return out if used == list(range(len(names))) else fallback


def partial_section(rep: Report, comp: Comparison, data: Prepared,
                    models: list[RungResult]) -> None:
    if data.classes and len(data.classes) > 2:
        return
    sec = rep.section("Partial effects")
    features = _features(data)
    hidden = max(len(features) - MAX_PARTIAL, 0)
    what = (f"probability of {data.target} = '{data.classes[1]}'" if data.classes
            else f"rate {data.target} per unit of {comp.exposure_name}"
            if comp.exposure is not None else "prediction")
    over = "the data" if comp.weights is None else f"the data weighted by '{comp.weight_name}'"
    rep.text(sec, f"Partial dependence of the {what} on each feature (the mean over {over} "
                  "with that feature set to each value: a grid of a numeric feature's quantiles, "
                  "drawn as a line; both values of a two-valued column and every level of a "
                  "categorical one, its other dummies 0, drawn as markers), for the "
                  + ("model. " if len(models) == 1 else "top models. ")
                  + _shown(len(features), hidden))
    predictors = {r.name: _predictor(r.model, data.feature_names, bool(data.classes))
                  for r in models[:3]}
    rep.figure(sec, plots.partial_effects(predictors, data.X, data.feature_names, MAX_PARTIAL,
                                          features, comp.weights), "partial effects")


def _curve_axes(m: Any) -> tuple[str, str]:
    """``(x label, y label)``: what the fitted ``m.loss_curve_`` records, per step."""
    from reglab.models.glm import GLM

    solver = getattr(m, "solver", None)
    if isinstance(m, GLM) and solver in (None, "irls"):
        # NegativeBinomial re-estimates alpha between iterations: deviances at changing alphas
        alpha = " (alpha re-estimated)" if getattr(m, "alpha_estimated_", False) else ""
        return "IRLS iteration", "deviance" + alpha
    if hasattr(m, "history_"):  # reglab's networks: the training objective per epoch
        return ("L-BFGS iteration" if getattr(m, "optimizer", "") == "lbfgs" else "epoch",
                "mean loss per row")
    if solver is not None:  # reglab's first-order / Newton solvers: the mean objective
        step = {"lbfgs": "L-BFGS evaluation", "sgd": "epoch", "irls": "Newton iteration"}
        return step.get(solver, "iteration"), "mean loss per row"
    return "iteration / epoch", "training loss"


_CURVE_WORDS = {
    "deviance": "deviance: the total deviance after each IRLS iteration",
    "deviance (alpha re-estimated)": "deviance (alpha re-estimated): the negative binomial "
                                     "GLM's, at the alpha of each iteration (alpha is estimated "
                                     "along the way, so the curve need not fall steadily)",
    "mean loss per row": "mean loss per row: the minimised objective, half the deviance per row "
                         "(plus any L2 penalty)",
    "training loss": "training loss: the model's own loss_curve_",
}


def curves_section(rep: Report, models: list[RungResult]) -> None:
    curves, xlabels, ylabels = {}, {}, {}
    for r in models:
        m = _final(r.model)
        c = getattr(m, "loss_curve_", None)
        if c is not None and len(c) > 1:
            curves[r.name] = np.asarray(c, float)
            xlabels[r.name], ylabels[r.name] = _curve_axes(m)
    if curves:
        sec = rep.section("Loss curves")
        rep.text(sec, "Training loss of the iteratively trained models (final fit on all rows), "
                      "one panel per model with its own axes, as they record different "
                      "quantities: " + "; ".join(_CURVE_WORDS[k] for k in
                                                 dict.fromkeys(ylabels.values())) + ".")
        rep.figure(sec, plots.loss_curves(curves, ylabel=ylabels, xlabel=xlabels), "loss curves")


def summaries_section(rep: Report, comp: Comparison, models: list[RungResult]) -> None:
    if not any(hasattr(_final(r.model), "summary") for r in models):
        return
    sec = rep.section("Model summary" if len(models) == 1 else "Model summaries")
    for r in models:
        m = _final(r.model)
        if not hasattr(m, "summary"):
            continue
        expo = comp.exposure_name if comp.exposure is not None else None
        scaled = summary_qualifier(r.model, expo)
        rep.text(sec, r.name + scaled)
        rep.pre(sec, str(m.summary()))


def _shown(n: int, hidden: int) -> str:
    """The partial-effects text's last sentence: the panel order and what is left out."""
    if n == 1:
        return "The data set has one feature."
    order = ("Panels are ordered by effect size (max - min of the best model's partial "
             "dependence), largest first; ")
    if hidden:
        return order + f"{hidden} of the {n} features, with smaller effects, are not shown."
    return order + ("both features are shown." if n == 2 else f"all {n} features are shown.")


def _feature_list(data: Prepared, shown: int = 12) -> str:
    """``"3 features (store: 7 levels, temp, promo) in 8 columns"``: the original features,
    a categorical one with its level count, and the design's width when they differ."""
    features = _features(data)
    parts = [f"{f.name}: {len(f.levels)} levels" if f.kind == "categorical" else f.name
             for f in features[:shown]]
    more = f", ... ({len(features) - shown} more)" if len(features) > shown else ""
    width = data.X.shape[1]
    columns = f" in {width} columns" if width != len(features) else ""
    word = "feature" if len(features) == 1 else "features"
    return f"{len(features)} {word} ({', '.join(parts)}{more}){columns}"


def add_data(rep: Report, comp: Comparison, data: Prepared, source: str = "",
             single: bool = False) -> None:
    """The Data section: source, rows, original features, target, task, exposure, notes
    (``single``: of one model's fit rather than a comparison's)."""
    sec = rep.section("Data")
    rep.text(sec, f"{source}: {len(data.y)} rows; {_feature_list(data)}; target "
                  f"'{data.target}', task {data.task}.")
    if comp.exposure is not None:
        e, t = comp.exposure_name, data.target
        use = (f"log({e}) is the model's offset, so it describes the rate {t} / {e}; its "
               f"predictions are the expected {t}, rate times {e}" if single else
               f"the GLMs take log({e}) as an offset, the other models fit the rate {t} / {e} "
               f"weighted by {e}; every model is scored on the expected {t}, its rate times {e}")
        rep.text(sec, f"Exposure column '{e}' ({comp.exposure.min():.4g} to "
                      f"{comp.exposure.max():.4g}): {use}.")
    if comp.weight_name:
        rep.text(sec, f"Weights column '{comp.weight_name}': "
                 + ("the model was fitted with these row weights." if single else
                    "every model is fitted and every held-out score computed with these row "
                    "weights; AIC/BIC are left out (what they mean depends on what the weights "
                    "are)."))
    for n in data.notes:
        rep.text(sec, n, "note")


def add_comparison(rep: Report, comp: Comparison, data: Prepared, source: str = "") -> None:
    """Append the comparison's sections to ``rep``."""
    add_data(rep, comp, data, source)
    sec = rep.section("Leaderboard")
    rep.text(sec, f"{comp.folds}-fold cross-validation, ranked by held-out {comp.primary}"
             + (f" weighted by '{comp.weight_name}'; no AIC/BIC with weights." if comp.weight_name
                else ". AIC/BIC are in-sample, for the likelihood models only."))
    rep.table(sec, comp.leaderboard, highlight_first=True)
    rep.figure(sec, _score_bars(comp.leaderboard, comp.primary), f"held-out {comp.primary}")
    skipped = [r for r in comp.results if r.skipped]
    for r in skipped:
        rep.text(sec, f"{r.name}: {r.skipped}", "note")
    order = {m: i for i, m in enumerate(comp.leaderboard["model"])}
    models = sorted(comp.fitted(), key=lambda r: order[r.name])
    fits_section(rep, comp, data, models)
    diagnostics_section(rep, data, models, weights=comp.weights)
    partial_section(rep, comp, data, models)
    curves_section(rep, models)
    summaries_section(rep, comp, models)


def build_compare_report(comp: Comparison, data: Prepared, source: str = "") -> Report:
    rep = Report(f"reglab compare: {source or data.target}",
                 f"{comp.task} target '{data.target}'")
    add_comparison(rep, comp, data, source)
    return rep


def write_compare_report(comp: Comparison, data: Prepared, output: str | Path,
                         source: str = "") -> Path:
    """Write ``output/index.html`` and return its path."""
    return build_compare_report(comp, data, source).write(Path(output) / "index.html")
