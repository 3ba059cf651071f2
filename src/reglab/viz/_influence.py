"""Which rows drive a fit: the influence section of ``reglab fit --report`` for the models with R's
influence measures (LinearRegression, GLM and its subclasses; see
:mod:`reglab.inference.influence`).

Two panels in the spirit of R's ``plot.lm`` (``which = 4`` and ``5``): Cook's distance by row,
and the standardized residual against the leverage with the usual ``2 p / n`` mark; the rows
with the largest Cook's distances are labelled by their data row (and file line), and listed in
a table with their hat value, standardized residual and R's ``influence.measures`` flag.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from reglab.data import row_label
from reglab.viz.style import PALETTE, styled, subplots

__all__ = ["influence_plot", "influence_section", "listed_rows"]

N_LABELLED = 3  # rows named in the panels
N_LISTED = 8  # rows in the table


@styled
def influence_plot(infl: pd.DataFrame, labels: list[str] | None = None,
                   n_labelled: int = N_LABELLED) -> Figure:
    """Cook's distance by row, and standardized residual against leverage.

    ``infl``: the frame of :meth:`LinearRegression.influence` / :meth:`GLM.influence` (columns
    ``hat``, ``std_resid``, ``cooks_d``); ``labels``: a label per row (default the row number).
    Rows with NaN measures (weight 0) are left out; the ``n_labelled`` rows with the largest
    Cook's distance are named in both panels."""
    hat, r, d = (infl[c].to_numpy(float) for c in ("hat", "std_resid", "cooks_d"))
    idx = np.arange(len(infl))
    labels = labels or [str(i) for i in idx]
    ok = np.isfinite(d) & np.isfinite(r)
    top = idx[ok][np.argsort(-d[ok], kind="stable")[:n_labelled]]
    fig, (a1, a2) = subplots(1, 2, size=(3.6, 2.9))
    a1.vlines(idx[ok], 0, d[ok], color=PALETTE[0], lw=1)
    a1.set(xlabel="row", ylabel="Cook's distance", title="Cook's distance")
    a2.scatter(hat[ok], r[ok], s=8, alpha=0.6)
    a2.axhline(0, color="0.3", lw=1)
    p = float(np.nansum(hat))  # the trace of the hat matrix: the model's rank
    if ok.sum() and p > 0:
        a2.axvline(2 * p / ok.sum(), color=PALETTE[1], lw=1, ls="--", label="2 p / n")
        a2.legend(loc="best", fontsize=7)
    a2.set(xlabel="leverage (hat value)", ylabel="standardized residual",
           title="Residuals vs leverage")
    for i in top:
        a1.annotate(labels[i], (i, d[i]), fontsize=7, xytext=(2, 2), textcoords="offset points")
        a2.annotate(labels[i], (hat[i], r[i]), fontsize=7, xytext=(2, 2),
                    textcoords="offset points")
    return fig


def listed_rows(cooks_d: np.ndarray, flagged: np.ndarray, n: int = N_LISTED,
                most: int = 2 * N_LISTED) -> np.ndarray:
    """The table's rows: the ``n`` largest Cook's distances and every flagged row (at most
    ``most`` in all), by decreasing Cook's distance (NaN last)."""
    key = np.where(np.isfinite(cooks_d), cooks_d, -np.inf)
    ranked = np.argsort(-key, kind="stable")
    keep = np.zeros(len(key), bool)
    keep[ranked[:n]] = True
    keep |= flagged
    return ranked[keep[ranked]][:most]


def _measures(model: Any, X: Any, y: np.ndarray, exposure: np.ndarray | None,
              weights: np.ndarray | None) -> pd.DataFrame:
    kw: dict[str, Any] = {} if weights is None else {"sample_weight": weights}
    if exposure is not None:
        kw["exposure"] = exposure
    return model.influence(X, y, **kw)


def influence_section(rep: Any, model: Any, X: Any, y: np.ndarray, frame: pd.DataFrame | None,
                      exposure: np.ndarray | None = None,
                      weights: np.ndarray | None = None) -> None:
    """Add the section for a model with ``influence`` (else nothing). ``X``, ``y``, ``exposure``
    and ``weights`` are what the model was fitted with; ``frame`` (the rows used, with the
    reader's line numbers) names the rows."""
    if not callable(getattr(model, "influence", None)):
        return
    sec = rep.section("Influential rows")
    try:
        infl = _measures(model, X, y, exposure, weights)
    except (ValueError, np.linalg.LinAlgError) as exc:
        rep.text(sec, f"Influence measures are not available for this fit: {exc}", "note")
        return
    index = list(frame.index) if frame is not None and len(frame) == len(infl) else \
        list(range(len(infl)))
    named = [row_label(frame, i, inner=True) if frame is not None else f"row {i}"
             for i in index]
    short = [str(i) for i in index]
    rep.text(sec, "Which rows move the fit most (R's influence.measures, on all rows): Cook's "
                  "distance is how far the fitted values move when the row is left out; the hat "
                  "value is the row's leverage, its pull from unusual feature values. Rows "
                  "flagged influential meet one of R's rules; look at them before trusting a "
                  "coefficient.")
    rep.figure(sec, influence_plot(infl, short), "Cook's distance by row; standardized "
               "residual vs leverage (the three largest Cook's distances are labelled by row)")
    d = infl["cooks_d"].to_numpy(float)
    order = listed_rows(d, infl["influential"].to_numpy(bool))
    table = pd.DataFrame({"row": [named[i] for i in order],
                          "Cook's distance": d[order],
                          "hat": infl["hat"].to_numpy(float)[order],
                          "standardized residual": infl["std_resid"].to_numpy(float)[order],
                          "influential": ["yes" if infl["influential"].iloc[i] else ""
                                          for i in order]})
    rep.table(sec, table)
    n_flag = int(infl["influential"].sum())
    n_pos = int(np.isfinite(d).sum())  # rows of weight 0 have no measures (R drops them)
    rep.text(sec, f"{n_flag} of {n_pos} rows are flagged influential by R's rules (a |dfbetas|, "
                  "|dffits|, the covariance ratio, Cook's distance or the hat value beyond its "
                  "bound)." + (f" The {len(infl) - n_pos} rows of weight 0 have no measures."
                               if n_pos < len(infl) else ""))
