"""The model ladder: every model that fits the task, scored by K-fold cross-validation.

``compare(prepared)`` fits each rung of :func:`ladder` on K folds (scikit-learn's ``KFold`` /
``StratifiedKFold``), scores the held-out predictions and returns a :class:`Comparison` with a
leaderboard sorted by the task's primary score:

========== =================================== ==============================================
task       primary score (lower is better)     also shown
========== =================================== ==============================================
continuous RMSE                                MAE, R^2, AIC/BIC (likelihood models)
positive   RMSE                                mean Gamma deviance, R^2, AIC/BIC
counts     mean Poisson deviance               RMSE, R^2, AIC/BIC
binary     log-loss (nats)                     accuracy, AIC/BIC
multiclass log-loss (nats)                     accuracy, AIC/BIC
========== =================================== ==============================================

A deviance is undefined where a model predicts a mean outside the family's range (a straight
line predicting negative counts); that model gets NaN there, a note, and ranks last.
AIC/BIC are in-sample (``-2 loglik + 2k``, ``+ k log n``) from a fit on all rows, for the
likelihood models only. The rungs themselves live in :mod:`reglab._ladder`.

Counts observed over different exposures (``exposure=``: years at risk, population) are scored
as counts: each model predicts the rate per unit of exposure, times the row's exposure.
With ``sample_weight`` every model is fitted and every held-out score computed with the
weights; AIC/BIC are then left out (their meaning depends on what the weights are), and a
model that takes no weights (the Bayesian ones) is skipped with that reason.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics
from sklearn.base import clone
from sklearn.model_selection import KFold, StratifiedKFold

from reglab._ladder import RUNGS, Rung, ladder, weight_key
from reglab.data.tabular import CLASSIFICATION, Prepared

__all__ = ["compare", "Comparison", "RungResult", "ladder", "RUNGS", "Rung", "PRIMARY",
           "information_criteria", "design"]

PRIMARY = {"continuous": "RMSE", "positive": "RMSE", "counts": "Poisson deviance",
           "binary": "log-loss", "multiclass": "log-loss"}


@dataclass
class RungResult:
    name: str
    rung: Rung
    scores: dict[str, float] = field(default_factory=dict)
    fit_time: float = float("nan")
    oof: np.ndarray | None = None  # out-of-fold predictions: mean (n,) or probabilities (n, K)
    model: Any = None  # refitted on all rows
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None


@dataclass
class Comparison:
    task: str
    leaderboard: pd.DataFrame
    results: list[RungResult]
    folds: int
    primary: str
    exposure: np.ndarray | None = None  # per row, when the counts have exposures
    exposure_name: str = "exposure"
    weight_name: str | None = None  # the weights' name, when fits and scores are weighted
    weights: np.ndarray | None = None  # per row, when fits and scores are weighted

    @property
    def best(self) -> RungResult:
        return next(r for r in self.results if r.name == self.leaderboard["model"].iloc[0])

    def fitted(self) -> list[RungResult]:
        return [r for r in self.results if r.skipped is None]


def _regression_scores(task: str, y: np.ndarray, mu: np.ndarray,
                       w: np.ndarray | None = None) -> tuple[dict, list[str]]:
    s = {"RMSE": float(np.sqrt(metrics.mean_squared_error(y, mu, sample_weight=w))),
         "MAE": float(metrics.mean_absolute_error(y, mu, sample_weight=w)),
         "R2": float(metrics.r2_score(y, mu, sample_weight=w))}
    notes = []
    if task in ("counts", "positive"):
        key = "Poisson deviance" if task == "counts" else "Gamma deviance"
        bad = int(np.sum(mu <= 0))
        if bad:
            s[key] = float("nan")
            notes.append(f"{key} undefined: predicts a mean <= 0 in {bad} held-out rows")
        else:
            fn = (metrics.mean_poisson_deviance if task == "counts"
                  else metrics.mean_gamma_deviance)
            s[key] = float(fn(y, mu, sample_weight=w))
    return s, notes


def _classification_scores(y: np.ndarray, proba: np.ndarray,
                           w: np.ndarray | None = None) -> dict:
    labels = np.arange(proba.shape[1])
    return {"log-loss": float(metrics.log_loss(y, proba, labels=labels, sample_weight=w)),
            "accuracy": float(metrics.accuracy_score(y, proba.argmax(axis=1), sample_weight=w))}


def _proba(model: Any, X: np.ndarray, n_classes: int) -> np.ndarray:
    """``(n, n_classes)`` probabilities in class-code order, even when a training fold lacked a
    class (its column is then 0)."""
    p = np.asarray(model.predict_proba(X), float)
    if p.ndim == 1:
        p = np.column_stack([1 - p, p])
    classes = np.asarray(getattr(model, "classes_", np.arange(p.shape[1]))).astype(int)
    out = np.zeros((X.shape[0], n_classes))
    out[:, classes] = p
    return out


def information_criteria(rung: Rung, model: Any, X: Any, y: np.ndarray,
                         n_classes: int | None,
                         exposure: np.ndarray | None = None) -> dict[str, float]:
    """In-sample ``{"AIC", "BIC"}`` for a likelihood rung (empty for the others).

    ``loglik`` uses the rung's distribution with the fitted mean: Gaussian with the ML variance
    ``RSS / n``; Poisson; NB2 with the model's ``alpha``; Gamma with R's dispersion ``dev / n``;
    Bernoulli/categorical with the predicted probabilities. ``k`` counts every coefficient and
    intercept plus one per estimated dispersion parameter. With ``exposure`` the mean is the
    predicted rate times the exposure.
    """
    from scipy import stats

    if rung.likelihood is None:
        return {}
    n = y.shape[0]
    k = rung.n_params(model, n_classes)
    if rung.likelihood in ("bernoulli", "categorical"):
        p = _proba(model, X, n_classes or 2)
        ll = float(np.sum(np.log(np.clip(p[np.arange(n), y.astype(int)], 1e-300, None))))
    else:
        mu = rung.predict(model, X, np.arange(n), exposure)
        if rung.likelihood == "gaussian":
            ll = float(np.sum(stats.norm.logpdf(y, mu, np.sqrt(np.mean((y - mu) ** 2)))))
        elif np.any(mu <= 0):
            return {}
        elif rung.likelihood == "poisson" or (rung.likelihood == "negative_binomial"
                                              and rung.alpha(model) == 0):
            # alpha = 0 (ML on the boundary, no over-dispersion) is the Poisson limit
            ll = float(np.sum(stats.poisson.logpmf(y, mu)))
        elif rung.likelihood == "negative_binomial":
            size = 1.0 / rung.alpha(model)
            ll = float(np.sum(stats.nbinom.logpmf(y, size, size / (size + mu))))
        else:  # gamma
            phi = float(np.mean(2 * (-np.log(y / mu) + (y - mu) / mu)))
            ll = float(np.sum(stats.gamma.logpdf(y, 1 / phi, scale=mu * phi)))
    return {"AIC": -2 * ll + 2 * k, "BIC": -2 * ll + k * np.log(n)}


def design(data: Prepared) -> pd.DataFrame:
    """``data.X`` as a DataFrame with the feature names (so summaries name the terms)."""
    return pd.DataFrame(data.X, columns=data.feature_names)


def _splitter(task: str, folds: int, seed: int, y: np.ndarray) -> Any:
    if task in CLASSIFICATION:
        smallest = int(np.bincount(y.astype(int)).min())
        if smallest < folds:
            raise ValueError(f"the rarest class has {smallest} rows, fewer than the {folds} "
                             "folds; use fewer folds")
        return StratifiedKFold(folds, shuffle=True, random_state=seed)
    return KFold(folds, shuffle=True, random_state=seed)


def _cross_validate(res: RungResult, est: Any, data: Prepared, splits: list,
                    errors: dict[str, Any] | None, exposure: np.ndarray | None,
                    weight: np.ndarray | None) -> None:
    X, y = design(data), data.y
    n_classes = len(data.classes) if data.classes else None
    oof = np.zeros((len(y), n_classes)) if n_classes else np.zeros(len(y))
    times = []
    for train, test in splits:
        model = clone(est)
        t0 = time.perf_counter()
        res.rung.fit(model, X.iloc[train], y[train], train, errors, exposure, weight)
        times.append(time.perf_counter() - t0)
        oof[test] = (_proba(model, X.iloc[test], n_classes) if n_classes
                     else res.rung.predict(model, X.iloc[test], test, exposure))
    res.fit_time, res.oof = float(np.mean(times)), oof
    if n_classes:
        res.scores = _classification_scores(y, oof, weight)
    else:
        res.scores, notes = _regression_scores(data.task, y, oof, weight)
        res.notes += notes


def _separated(res: RungResult) -> bool:
    """Note (and True) when the refit on all rows found the classes separated: the unpenalized
    MLE does not exist, its coefficients diverge and its held-out probabilities are over-
    confident, so its log-loss says more about separation than about the model."""
    from reglab._ladder import _final

    sep = getattr(_final(res.model), "separation_", None)
    if sep is None or not getattr(sep, "separated", True):
        return False
    res.notes.append(f"{'complete' if sep.complete else 'quasi-complete'} separation in the fit "
                     "on all rows: the maximum-likelihood estimate does not exist (no AIC/BIC) "
                     "and the held-out probabilities are over-confident; a penalty (alpha > 0) "
                     "gives finite estimates")
    return True


def compare(data: Prepared, *, folds: int = 5, seed: int = 0, models: list[str] | None = None,
            errors: dict[str, Any] | None = None, exposure: Any = None,
            sample_weight: Any = None, fast: bool = False,
            on_step: Callable[[str], None] | None = None) -> Comparison:
    """Cross-validate the ladder for ``data.task`` and return the sorted leaderboard.

    ``models`` restricts the rungs by name; ``errors`` (``{"x_err": (n, p) or None, "y_err":
    (n,) or None}``) adds the errors-in-variables rung; ``exposure`` (n,) > 0, for counts only
    (an array, or a Series whose name the report uses), makes every model a rate model (see
    :class:`reglab._ladder.Exposed`); ``sample_weight`` (n,) >= 0 weights every fit and score
    (an array or a named Series); ``fast`` uses fewer iterations and trees (tests, demo);
    ``on_step(name)`` is called before each rung (progress bars). A rung that fails on this
    data is kept in the results with its error as ``skipped``.
    """
    expo, expo_name = _exposure(exposure, data)
    weight, weight_name = _sample_weight(sample_weight, data)
    if folds < 2:
        raise ValueError(f"folds must be at least 2, got {folds}")
    if folds > len(data.y):
        raise ValueError(f"{folds} folds but only {len(data.y)} rows")
    splits = list(_splitter(data.task, folds, seed, data.y).split(data.X, data.y))
    rungs = ladder(data.task, errors=bool(errors), names=models)
    n_classes = len(data.classes) if data.classes else None
    results = []
    for rung in rungs:
        if on_step:
            on_step(rung.name)
        res = RungResult(rung.name, rung)
        results.append(res)
        try:
            est, note = rung.build(data, seed=seed, fast=fast, errors=errors, exposure=expo)
        except ImportError as exc:
            res.skipped = f"not available: {exc}"
            continue
        if note:
            res.notes.append(note)
        if weight is not None and weight_key(est) is None:
            res.skipped = "takes no sample weights"
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence chatter is reported per rung
                _cross_validate(res, est, data, splits, errors, expo, weight)
                res.model = clone(est)
                rung.fit(res.model, design(data), data.y, np.arange(len(data.y)), errors, expo,
                         weight)
            if _separated(res) or weight is not None or (expo is not None and not rung.offset):
                # no AIC/BIC: the likelihood has no maximum, the rows are weighted, or a rate
                # model's likelihood is not the counts' (least squares on y / e, weights e)
                continue
            res.scores.update(information_criteria(rung, res.model, design(data), data.y,
                                                   n_classes, expo))
        except (ValueError, ArithmeticError, np.linalg.LinAlgError, RuntimeError) as exc:
            res.skipped = f"failed: {str(exc).splitlines()[0] if str(exc) else exc!r}"
    return Comparison(data.task, _leaderboard(results, data.task), results, folds,
                      PRIMARY[data.task], expo, expo_name, weight_name, weight)


def _row_values(values: Any, data: Prepared, name: str, positive: bool,
                rule: str) -> np.ndarray:
    """``values`` as one float per row of ``data``, finite and > 0 (``positive``) or >= 0,
    else a ValueError naming the first bad row and ``rule``."""
    v = np.asarray(values, float)
    if v.shape != data.y.shape:
        raise ValueError(f"{name} has shape {v.shape}, the data {data.y.shape[0]} rows")
    bad = ~(np.isfinite(v) & ((v > 0) if positive else (v >= 0)))
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"{name} must be {rule}, got {v[i]} at row {i}")
    return v


def _sample_weight(weight: Any, data: Prepared) -> tuple[np.ndarray | None, str | None]:
    """``(weights as floats, their name)``: finite, >= 0 and not all 0."""
    if weight is None:
        return None, None
    name = str(getattr(weight, "name", None) or "sample_weight")
    w = _row_values(weight, data, name, False, "finite and >= 0")
    if not w.any():
        raise ValueError(f"{name} is 0 in every row")
    return w, name


def _exposure(exposure: Any, data: Prepared) -> tuple[np.ndarray | None, str]:
    """``(exposure as floats, its name)``, refused unless the task is counts and every value
    is a finite number > 0."""
    name = str(getattr(exposure, "name", None) or "exposure")
    if exposure is None:
        return None, name
    if data.task != "counts":
        raise ValueError(f"exposure applies to count targets; '{data.target}' is {data.task}")
    rule = "finite and > 0 (log(exposure) is the offset)"
    return _row_values(exposure, data, name, True, rule), name


def _leaderboard(results: list[RungResult], task: str) -> pd.DataFrame:
    primary = PRIMARY[task]
    rows = []
    for r in results:
        if r.skipped:
            continue
        row = {"model": r.name, **r.scores, "fit time (s)": r.fit_time,
               "note": "; ".join(r.notes)}
        rows.append(row)
    if not rows:
        raise ValueError("no model could be fitted: "
                         + "; ".join(f"{r.name}: {r.skipped}" for r in results))
    df = pd.DataFrame(rows)
    ascending = primary not in ("accuracy", "R2")
    df = df.sort_values(primary, ascending=ascending, na_position="last", kind="stable")
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    cols = [c for c in ["rank", "model", primary, "RMSE", "MAE", "R2", "Poisson deviance",
                        "Gamma deviance", "log-loss", "accuracy", "AIC", "BIC", "fit time (s)",
                        "note"] if c in df.columns]
    return df[list(dict.fromkeys(cols))].reset_index(drop=True)
