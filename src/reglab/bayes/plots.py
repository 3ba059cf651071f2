"""Plots of a fitted Bayesian regression; each returns a matplotlib Figure (no pyplot state)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["plot_fit", "plot_trace", "plot_pairs", "scalar_draws"]


def scalar_draws(est: Any, all_parameters: bool = False) -> dict[str, np.ndarray]:
    """Label -> draws (num_chains, num_samples) for every scalar element of the main sites."""
    sites = tuple(est.samples_) if all_parameters else est._main_sites
    labels = est._site_labels(est.samples_, est.feature_names_, sites)
    out = {}
    for site, names in labels.items():
        d = est.samples_[site]
        flat = d.reshape(d.shape[0], d.shape[1], -1)
        for j, name in enumerate(names):
            out[name] = flat[:, :, j]
    return out


def _feature_index(est: Any, feature: int | str) -> int:
    names = list(est.feature_names_)
    if isinstance(feature, str):
        if feature not in names:
            raise ValueError(f"unknown feature {feature!r}; the model has {names}")
        return names.index(feature)
    if not 0 <= int(feature) < len(names):
        raise ValueError(f"feature index {feature} out of range for {len(names)} feature(s)")
    return int(feature)


def plot_fit(est: Any, feature: int | str = 0, level: float = 0.9, ax: Any = None) -> Figure:
    """Observed points with their error bars, the posterior mean relation and its ``level``
    credible band against one covariate (the others held at their sample mean; for Gaussian
    models the points are shown as partial residuals so that they line up with the band; counts
    fitted with an exposure are shown as rates, count / exposure)."""
    est._check_fitted()
    j = _feature_index(est, feature)
    X, y = est.data_["X"], est.data_["y"].copy()
    xbar = X.mean(axis=0)
    others = np.arange(X.shape[1]) != j
    linear = getattr(est, "family", "gaussian") in ("gaussian", "normal")
    if linear and others.any():
        y = y - (X[:, others] - xbar[others]) @ est.coef_[others]
    grid = np.linspace(X[:, j].min(), X[:, j].max(), 200)
    pad = 0.05 * (grid[-1] - grid[0])
    grid = np.linspace(grid[0] - pad, grid[-1] + pad, 200)
    Xg = np.tile(xbar, (grid.size, 1))
    Xg[:, j] = grid
    if hasattr(est, "feature_names_in_"):  # fitted on a DataFrame: predict checks the names
        Xg = pd.DataFrame(Xg, columns=est.feature_names_in_)
    mean, lo, hi = est.predict(Xg, return_interval=True, level=level)
    if ax is None:
        fig = Figure(figsize=(6, 4.5))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    xerr = est.data_["x_err"][:, j]
    yerr = est.data_["y_err"]
    rate = "exposure" in est.data_  # counts over exposures: points and line are rates
    if rate:
        y, yerr = y / est.data_["exposure"], yerr / est.data_["exposure"]
    ax.errorbar(X[:, j], y, xerr=xerr if xerr.any() else None, yerr=yerr if yerr.any() else None,
                fmt="o", ms=3, color="0.3", ecolor="0.7", elinewidth=0.8, label="data")
    ax.fill_between(grid, lo, hi, color="C0", alpha=0.3, label=f"{100 * level:g}% credible band")
    ax.plot(grid, mean, color="C0", lw=2, label="posterior mean")
    ax.set_xlabel(est.feature_names_[j])
    ax.set_ylabel("y / exposure" if rate else
                  "y" + (" (partial residual)" if linear and others.any() else ""))
    ax.legend(loc="best", fontsize="small")
    return fig


def plot_trace(est: Any, all_parameters: bool = False) -> Figure:
    """One row per scalar parameter: draws against iteration per chain, and their histograms."""
    est._check_fitted()
    draws = scalar_draws(est, all_parameters)
    fig = Figure(figsize=(9, 1.8 * len(draws)), constrained_layout=True)
    axes = fig.subplots(len(draws), 2, squeeze=False)
    for (name, d), (left, right) in zip(draws.items(), axes):
        for c in range(d.shape[0]):
            left.plot(d[c], lw=0.5, alpha=0.8, color=f"C{c}")
            right.hist(d[c], bins=40, histtype="step", color=f"C{c}", density=True)
        left.set_ylabel(name)
    axes[-1, 0].set_xlabel("draw")
    axes[-1, 1].set_xlabel("value")
    return fig


def plot_pairs(est: Any, all_parameters: bool = False, max_points: int = 1000) -> Figure:
    """Scatter matrix of the posterior draws (histograms on the diagonal)."""
    est._check_fitted()
    draws = {k: v.reshape(-1) for k, v in scalar_draws(est, all_parameters).items()}
    names = list(draws)
    k = len(names)
    total = len(draws[names[0]])
    idx = np.linspace(0, total - 1, min(max_points, total)).astype(int)
    fig = Figure(figsize=(2.2 * k, 2.2 * k), constrained_layout=True)
    axes = fig.subplots(k, k, squeeze=False)
    for r, a in enumerate(names):
        for c, b in enumerate(names):
            ax = axes[r, c]
            if r == c:
                ax.hist(draws[a], bins=40, color="C0")
            elif r > c:
                ax.scatter(draws[b][idx], draws[a][idx], s=2, alpha=0.4)
            else:
                ax.set_axis_off()
            if c == 0:
                ax.set_ylabel(a)
            if r == k - 1:
                ax.set_xlabel(b)
    return fig
