"""Regression figures: fitted lines, gradient-descent snapshots and animation, square errors,
residual diagnostics, partial effects and loss curves.

Every function returns a ``matplotlib.figure.Figure`` (no pyplot state) drawn in reglab's style.
Shapes: ``x``, ``y``, ``y_hat`` are ``(n,)``; a line path is ``(n_epochs + 1, 2)`` holding
``(intercept, slope)`` after each epoch, row 0 the starting line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from reglab.viz.style import PALETTE, styled, subplots

__all__ = ["fit_lines", "gd_snapshots", "gd_animation", "square_error", "residual_diagnostics",
           "partial_effects", "loss_curves", "partial_dependence", "feature_dependence",
           "Feature", "column_feature", "column_features"]


@styled
def fit_lines(x: np.ndarray, y: np.ndarray, curves: Mapping[str, tuple[np.ndarray, np.ndarray]],
              *, title: str = "", xlabel: str = "x", ylabel: str = "y") -> Figure:
    """Scatter of ``(x, y)`` with one line per ``name -> (x_grid, y_grid)``."""
    fig, ax = subplots(size=(4.6, 3.4))
    ax.scatter(x, y, s=10, color="0.45", alpha=0.7, label="data")
    for (name, (xg, yg)), color in zip(curves.items(), PALETTE[1:] * 4):
        order = np.argsort(xg)
        ax.plot(np.asarray(xg)[order], np.asarray(yg)[order], lw=2, color=color, label=name)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend(fontsize=8)
    return fig


def _line(ax: Any, b0: float, b1: float, xlim: tuple[float, float], **kw: Any) -> None:
    xs = np.array(xlim)
    ax.plot(xs, b0 + b1 * xs, **kw)


@styled
def gd_snapshots(x: np.ndarray, y: np.ndarray, path: np.ndarray,
                 ranges: Sequence[tuple[int, int]] = ((1, 10), (1, 50), (51, 10_000)),
                 max_lines: int = 60, unit: str = "epoch") -> Figure:
    """The lecture's panels: the starting line, then the lines of updates ``a..b`` per range.

    ``path[k]`` is ``(intercept, slope)`` after update ``k`` (``path[0]`` is the start): an epoch
    of batch gradient descent, or with ``unit="step"`` one random-point move of the geometric
    algorithm or SGD (the lecture calls those epochs too; reglab's trajectories count a pass over
    the data as an epoch). Within a panel lines darken with the update; at most ``max_lines``
    evenly spaced updates are drawn. Titles read "Epochs a-b" or "Steps a-b".
    """
    path = np.asarray(path, dtype=float)
    fig, axes = subplots(1, len(ranges) + 1, size=(3.0, 2.8), sharey=True)
    xlim = (float(np.min(x)), float(np.max(x)))
    axes[0].scatter(x, y, s=8, color="0.4")
    _line(axes[0], *path[0], xlim, color=PALETTE[1], lw=2)
    axes[0].set_title("Starting point")
    for ax, (a, b) in zip(axes[1:], ranges):
        b = min(b, len(path) - 1)
        epochs = np.unique(np.linspace(a, b, min(max_lines, b - a + 1)).astype(int))
        ax.scatter(x, y, s=8, color="0.4")
        for k, e in enumerate(epochs):
            shade = 0.25 + 0.75 * k / max(len(epochs) - 1, 1)
            _line(ax, *path[e], xlim, color=PALETTE[0], alpha=shade, lw=1)
        _line(ax, *path[b], xlim, color=PALETTE[1], lw=2)
        ax.set_title(f"{unit.capitalize()}s {a:,}-{b:,}")
    return fig


def frame_ylim(y: np.ndarray, lines: np.ndarray, xs: np.ndarray) -> tuple[float, float]:
    """y limits holding the data and every line ``(intercept, slope)`` of ``lines`` over ``xs``
    (a random starting line can lie far from the data), padded by 10%."""
    ends = lines[:, 0][:, None] + lines[:, 1][:, None] * np.asarray(xs, float)
    lo, hi = min(np.min(y), np.min(ends)), max(np.max(y), np.max(ends))
    pad = 0.1 * (hi - lo)
    return float(lo - pad), float(hi + pad)


@styled
def gd_animation(x: np.ndarray, y: np.ndarray, path: np.ndarray, filename: str | Path,
                 n_frames: int = 40, fps: int = 8, unit: str = "epoch") -> list[Path]:
    """The line moving under gradient descent: a GIF (Pillow) or, without Pillow, PNG frames.

    Frames are taken at geometrically spaced updates (early ones move the line most), each
    titled with its ``unit`` ("epoch" or "step", as in :func:`gd_snapshots`). Returns the
    written files: ``[filename.gif]`` or ``[filename_000.png, ...]``.
    """
    path = np.asarray(path, dtype=float)
    epochs = np.unique(np.geomspace(1, len(path), n_frames).astype(int) - 1)
    fig, ax = subplots(size=(4.0, 3.2), layout=None)  # one fixed layout for all frames (faster)
    fig.subplots_adjust(left=0.12, right=0.97, bottom=0.1, top=0.9)
    ax.scatter(x, y, s=10, color="0.4")
    xs = np.array([np.min(x), np.max(x)])
    (ln,) = ax.plot(xs, path[0, 0] + path[0, 1] * xs, color=PALETTE[1], lw=2)
    label = ax.set_title("")
    ax.set_ylim(*frame_ylim(y, path[epochs], xs))

    def draw(e: int) -> None:
        ln.set_ydata(path[e, 0] + path[e, 1] * xs)
        label.set_text(f"{unit} {e:,}: y = {path[e, 1]:.2f} x + {path[e, 0]:.2f}")

    filename = Path(filename)
    try:
        import PIL  # noqa: F401  (PillowWriter needs it)
        from matplotlib.animation import FuncAnimation, PillowWriter
    except ImportError:
        files = []
        for i, e in enumerate(epochs):
            draw(int(e))
            files.append(filename.with_name(f"{filename.stem}_{i:03d}.png"))
            fig.savefig(files[-1])
        return files
    anim = FuncAnimation(fig, lambda e: draw(int(e)), frames=epochs)
    gif = filename.with_suffix(".gif")
    anim.save(gif, writer=PillowWriter(fps=fps))
    return [gif]


@styled
def square_error(x: np.ndarray, y: np.ndarray, lines: Mapping[str, tuple[float, float]]
                 ) -> Figure:
    """The lecture's square-error picture: each residual drawn as a square; one panel per line.

    ``lines``: ``title -> (intercept, slope)``; the panel title carries the sum of squares.
    Squares are drawn in data units, so use an aspect-equal-ish range for an honest picture.
    """
    fig, axes = subplots(1, len(lines), size=(3.4, 3.2))
    axes = np.atleast_1d(axes)
    for ax, (title, (b0, b1)) in zip(axes, lines.items()):
        r = y - (b0 + b1 * x)
        for xi, yi, ri in zip(x, y, r):
            # a square of side |r| hanging from the point towards the line
            ax.add_patch(Rectangle((xi, min(yi, yi - ri)), abs(ri), abs(ri),
                                   color=PALETTE[4], alpha=0.35, lw=0))
        ax.scatter(x, y, s=14, color="0.2", zorder=3)
        _line(ax, b0, b1, (float(np.min(x)), float(np.max(x) + np.max(np.abs(r)))),
              color=PALETTE[0], lw=2)
        ax.set_title(f"{title}\nError = {np.sum(r**2):.2f}")
        ax.set_aspect("equal", adjustable="datalim")
    return fig


@styled
def residual_diagnostics(y: np.ndarray, y_hat: np.ndarray, title: str = "",
                         pearson_scale: np.ndarray | None = None,
                         weights: np.ndarray | None = None) -> Figure:
    """Residuals vs fitted, normal Q-Q plot and histogram of the residuals.

    ``pearson_scale`` (n,), when given, divides the residuals (``sqrt(V(mu))`` for a GLM gives
    Pearson residuals, which should have constant spread under the model). ``weights`` (n,), the
    fit's row weights, multiply them by ``sqrt(w)`` and leave out the rows of weight 0, as R's
    ``plot.lm`` does for a weighted fit (R's Pearson residuals of a weighted GLM include them).
    """
    from scipy import stats

    y_hat = np.asarray(y_hat, float)
    r = np.asarray(y, float) - y_hat
    kind = "raw"
    if pearson_scale is not None:
        r, kind = r / pearson_scale, "Pearson"
    if weights is not None:
        w = np.asarray(weights, float)
        keep = w > 0
        r, y_hat = r[keep] * np.sqrt(w[keep]), y_hat[keep]
        kind = "weighted" if kind == "raw" else kind
    fig, (a1, a2, a3) = subplots(1, 3, size=(3.0, 2.7))
    a1.scatter(y_hat, r, s=8, alpha=0.6)
    a1.axhline(0, color="0.3", lw=1)
    a1.set(xlabel="fitted", ylabel=f"{kind} residual", title="Residuals vs fitted")
    (osm, osr), (slope, icpt, _) = stats.probplot(r, dist="norm")
    a2.scatter(osm, osr, s=8, alpha=0.6)
    a2.plot(osm, icpt + slope * osm, color=PALETTE[1])
    a2.set(xlabel="normal quantile", ylabel="ordered residual", title="Normal Q-Q")
    a3.hist(r, bins=min(30, max(5, r.size // 8)), color=PALETTE[2], alpha=0.8)
    a3.set(xlabel=f"{kind} residual", title="Histogram")
    if title:
        fig.suptitle(title)
    return fig


@dataclass(frozen=True)
class Feature:
    """An original feature of a design matrix ``X (n, p)``: its columns and how they are varied.

    ``kind``: ``"numeric"`` (one column, a quantile grid, drawn as a line); ``"binary"`` (one
    column with at most two distinct values, e.g. a 0/1 flag: those values, drawn as markers);
    ``"categorical"`` (its dummy columns, one per level after the baseline ``levels[0]``: the
    baseline sets them all to 0 and level k sets dummy k to 1; markers at the levels).
    """

    name: str
    kind: str
    columns: tuple[int, ...]
    levels: tuple[str, ...] = ()


def column_feature(X: np.ndarray, j: int, name: str) -> Feature:
    """Column ``j`` of ``X`` as a feature: binary when it holds at most two values, else numeric."""
    return Feature(name, "binary" if np.unique(X[:, j]).size <= 2 else "numeric", (j,))


def column_features(X: np.ndarray, feature_names: Sequence[str]) -> list[Feature]:
    """One feature per column of ``X`` (a design whose columns are not grouped)."""
    return [column_feature(X, j, name) for j, name in enumerate(feature_names)]


def _mean_prediction(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray,
                     cols: Sequence[int], settings: np.ndarray,
                     weights: np.ndarray | None = None) -> np.ndarray:
    """``(g,)``: the mean prediction over the rows of ``X`` (weighted by ``weights (n,)`` when
    given) with ``X[:, cols]`` set to each row of ``settings (g, len(cols))`` (one call of
    ``predict`` on ``g * n`` rows)."""
    Xg = np.repeat(X[None, :, :], len(settings), axis=0)  # (g, n, p)
    Xg[:, :, list(cols)] = settings[:, None, :]
    pred = np.asarray(predict(Xg.reshape(-1, X.shape[1])), float).reshape(len(settings), -1)
    return np.average(pred, axis=1, weights=weights)


def partial_dependence(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, j: int,
                       grid_size: int = 40, weights: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """``(grid, pd)``: the mean prediction over the data (weighted by ``weights``) with feature
    ``j`` set to each grid value (Friedman's partial dependence), grid = 2.5%..97.5% quantiles of
    ``X[:, j]``."""
    grid = np.unique(np.quantile(X[:, j], np.linspace(0.025, 0.975, grid_size)))
    return grid, _mean_prediction(predict, X, [j], grid[:, None], weights)


def feature_dependence(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray,
                       feature: Feature, grid_size: int = 40,
                       weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(x, pd)``: partial dependence on one :class:`Feature` (a mean over the rows weighted by
    ``weights`` when given). ``x`` is the quantile grid of a numeric feature, the distinct values
    of a binary one, the level positions ``0..L-1`` of a categorical one (``pd[0]`` at the
    baseline: every dummy 0; ``pd[k]``: dummy k alone 1)."""
    if feature.kind == "numeric":
        return partial_dependence(predict, X, feature.columns[0], grid_size, weights)
    if feature.kind == "binary":
        values = np.unique(X[:, feature.columns[0]])
        return values, _mean_prediction(predict, X, feature.columns, values[:, None], weights)
    k = len(feature.columns)
    settings = np.vstack([np.zeros((1, k)), np.eye(k)])  # baseline, then each level
    return np.arange(k + 1.0), _mean_prediction(predict, X, feature.columns, settings, weights)


def _draw_dependence(ax: Any, feature: Feature, x: np.ndarray, pd_: np.ndarray, shift: float,
                     **kw: Any) -> None:
    """A numeric feature as a line; binary and categorical ones as markers at their values,
    moved sideways by ``shift`` times their spacing (so that models at one level do not hide
    each other)."""
    if feature.kind == "numeric":
        ax.plot(x, pd_, lw=1.8, **kw)
        return
    step = float(np.min(np.diff(x))) if x.size > 1 else 1.0
    ax.plot(x + shift * step, pd_, ls="none", marker="o", ms=5, **kw)
    ax.set_xlim(x[0] - 0.5 * step, x[-1] + 0.5 * step)
    if feature.kind == "binary":
        ax.set_xticks(x, [f"{v:g}" for v in x])
        return
    crowded = sum(len(level) for level in feature.levels) > 24
    ax.set_xticks(x, feature.levels, **({"rotation": 45, "ha": "right", "rotation_mode": "anchor",
                                          "fontsize": 7}
                                         if crowded else {}))


def _by_effect(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray,
               features: Sequence[Feature], weights: np.ndarray | None = None
               ) -> list[tuple[Feature, tuple[np.ndarray, np.ndarray]]]:
    """Each feature with ``predict``'s partial dependence, the largest effect (max - min) first."""
    curves = [(f, feature_dependence(predict, X, f, weights=weights)) for f in features]
    size = [float(np.ptp(pd_)) if pd_.size and np.all(np.isfinite(pd_)) else -1.0
            for _, (_, pd_) in curves]
    return [curves[i] for i in sorted(range(len(curves)), key=lambda i: -size[i])]


@styled
def partial_effects(models: Mapping[str, Callable[[np.ndarray], np.ndarray]], X: np.ndarray,
                    feature_names: Sequence[str], max_features: int = 6,
                    features: Sequence[Feature] | None = None,
                    weights: np.ndarray | None = None) -> Figure:
    """Partial dependence of each model's prediction on the ``max_features`` features with the
    largest effect (max - min of the partial dependence) of the *first* model, largest first.

    ``features`` groups the columns of ``X`` into original features (e.g. a categorical one and
    its dummies); default :func:`column_features`, one per column. ``weights (n,)`` makes the
    means over the rows weighted ones (rows of weight 0 are left out). At most 300 rows are used.
    """
    features = column_features(X, feature_names) if features is None else list(features)
    if weights is not None:
        keep = np.asarray(weights, float) > 0
        X, weights = X[keep], np.asarray(weights, float)[keep]
    rows = (np.arange(X.shape[0]) if X.shape[0] <= 300 else
            np.random.default_rng(0).choice(X.shape[0], 300, False))
    Xs, ws = X[rows], None if weights is None else weights[rows]
    ranked = _by_effect(next(iter(models.values())), Xs, features, ws)[:max_features]
    fig, axes = subplots(1, max(len(ranked), 1), size=(2.8, 2.6), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, (feature, first_curve) in zip(axes, ranked):
        for k, ((name, predict), color) in enumerate(zip(models.items(), PALETTE * 2)):
            x, pd_ = (first_curve if k == 0 else
                      feature_dependence(predict, Xs, feature, weights=ws))
            _draw_dependence(ax, feature, x, pd_, 0.1 * (k - (len(models) - 1) / 2),
                             color=color, label=name)
        ax.set_xlabel(feature.name)
    axes[0].set_ylabel("partial dependence")
    axes[0].legend(fontsize=7)
    return fig


@styled
def loss_curves(curves: Mapping[str, np.ndarray], ylabel: str | Mapping[str, str] = "training loss",
                log: bool = True, xlabel: str | Mapping[str, str] = "iteration / epoch") -> Figure:
    """One panel per model, titled with its name, each with its own axes: models record
    different quantities (an IRLS deviance total, a network's mean loss per row), which one
    shared axis would squeeze together.

    ``ylabel``, ``xlabel``: one label for every panel or ``name -> label``. ``log``: a log y axis
    for a positive curve spanning more than a factor of 10. Curves of at most 30 points get a
    marker per iteration. Up to four panels a row.
    """
    ncols = min(len(curves), 4)
    nrows = -(-len(curves) // ncols)
    fig, axes = subplots(nrows, ncols, size=(4.4, 3.0) if len(curves) == 1 else (3.2, 2.6))
    axes = np.atleast_1d(axes).ravel()
    for ax, (name, c), color in zip(axes, curves.items(), PALETTE * 4):
        c = np.asarray(c, float)
        ax.plot(np.arange(1, c.size + 1), c, lw=1.6, color=color,
                marker="o" if c.size <= 30 else None, ms=3)
        ax.set(title=name, xlabel=_pick(xlabel, name), ylabel=_pick(ylabel, name))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if log and c.size and np.all(c > 0) and c.max() > 10 * c.min():
            ax.set_yscale("log")
    for ax in axes[len(curves):]:
        ax.set_visible(False)
    return fig


def _pick(label: str | Mapping[str, str], name: str) -> str:
    return label if isinstance(label, str) else label.get(name, "")
