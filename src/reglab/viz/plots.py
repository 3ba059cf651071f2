"""Regression figures: fitted lines, gradient-descent snapshots and animation, square errors,
residual diagnostics, partial effects and loss curves.

Every function returns a ``matplotlib.figure.Figure`` (no pyplot state) drawn in reglab's style.
Shapes: ``x``, ``y``, ``y_hat`` are ``(n,)``; a line path is ``(n_epochs + 1, 2)`` holding
``(intercept, slope)`` after each epoch, row 0 the starting line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from reglab.viz.style import PALETTE, styled, subplots

__all__ = ["fit_lines", "gd_snapshots", "gd_animation", "square_error", "residual_diagnostics",
           "partial_effects", "loss_curves", "partial_dependence"]


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
                 max_lines: int = 60) -> Figure:
    """The lecture's panels: the starting line, then the lines of epochs ``a..b`` per range.

    ``path[k]`` is ``(intercept, slope)`` after epoch ``k`` (``path[0]`` is the start). Within a
    panel lines darken with the epoch; at most ``max_lines`` evenly spaced epochs are drawn.
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
        ax.set_title(f"Epochs {a:,}-{b:,}")
    return fig


@styled
def gd_animation(x: np.ndarray, y: np.ndarray, path: np.ndarray, filename: str | Path,
                 n_frames: int = 40, fps: int = 8) -> list[Path]:
    """The line moving under gradient descent: a GIF (Pillow) or, without Pillow, PNG frames.

    Frames are taken at geometrically spaced epochs (early epochs move the line most). Returns
    the written files: ``[filename.gif]`` or ``[filename_000.png, ...]``.
    """
    path = np.asarray(path, dtype=float)
    epochs = np.unique(np.geomspace(1, len(path), n_frames).astype(int) - 1)
    fig, ax = subplots(size=(4.0, 3.2), layout=None)  # one fixed layout for all frames (faster)
    fig.subplots_adjust(left=0.12, right=0.97, bottom=0.1, top=0.9)
    ax.scatter(x, y, s=10, color="0.4")
    xs = np.array([np.min(x), np.max(x)])
    (ln,) = ax.plot(xs, path[0, 0] + path[0, 1] * xs, color=PALETTE[1], lw=2)
    label = ax.set_title("")
    pad = 0.1 * np.ptp(y)
    ax.set_ylim(np.min(y) - pad, np.max(y) + pad)

    def draw(e: int) -> None:
        ln.set_ydata(path[e, 0] + path[e, 1] * xs)
        label.set_text(f"epoch {e:,}: y = {path[e, 1]:.2f} x + {path[e, 0]:.2f}")

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
                         pearson_scale: np.ndarray | None = None) -> Figure:
    """Residuals vs fitted, normal Q-Q plot and histogram of the residuals.

    ``pearson_scale`` (n,), when given, divides the residuals (``sqrt(V(mu))`` for a GLM gives
    Pearson residuals, which should have constant spread under the model).
    """
    from scipy import stats

    r = np.asarray(y, float) - np.asarray(y_hat, float)
    kind = "raw"
    if pearson_scale is not None:
        r, kind = r / pearson_scale, "Pearson"
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


def partial_dependence(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, j: int,
                       grid_size: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """``(grid, pd)``: the mean prediction over the data with feature ``j`` set to each grid value
    (Friedman's partial dependence), grid = 2.5%..97.5% quantiles of ``X[:, j]``."""
    grid = np.unique(np.quantile(X[:, j], np.linspace(0.025, 0.975, grid_size)))
    Xg = np.repeat(X[None, :, :], grid.size, axis=0)  # (g, n, p)
    Xg[:, :, j] = grid[:, None]
    pred = np.asarray(predict(Xg.reshape(-1, X.shape[1])), float).reshape(grid.size, -1)
    return grid, pred.mean(axis=1)


@styled
def partial_effects(models: Mapping[str, Callable[[np.ndarray], np.ndarray]], X: np.ndarray,
                    feature_names: Sequence[str], max_features: int = 6) -> Figure:
    """Partial dependence of each model's prediction on each of the first ``max_features``."""
    p = min(X.shape[1], max_features)
    Xs = X if X.shape[0] <= 300 else X[np.random.default_rng(0).choice(X.shape[0], 300, False)]
    fig, axes = subplots(1, p, size=(2.8, 2.6), sharey=True)
    axes = np.atleast_1d(axes)
    for j, ax in enumerate(axes):
        for (name, predict), color in zip(models.items(), PALETTE * 2):
            grid, pd_ = partial_dependence(predict, Xs, j)
            ax.plot(grid, pd_, color=color, lw=1.8, label=name)
        ax.set_xlabel(feature_names[j])
    axes[0].set_ylabel("partial dependence")
    axes[0].legend(fontsize=7)
    return fig


@styled
def loss_curves(curves: Mapping[str, np.ndarray], ylabel: str = "training loss",
                log: bool = True) -> Figure:
    """One loss-per-iteration curve per model."""
    fig, ax = subplots(size=(4.4, 3.0))
    for name, c in curves.items():
        c = np.asarray(c, float)
        ax.plot(np.arange(1, c.size + 1), c, lw=1.6, label=name)
    ax.set(xlabel="iteration / epoch", ylabel=ylabel)
    if log:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    return fig
