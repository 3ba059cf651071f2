"""Neural-network and classification figures: the activation gallery with derivatives, decision
regions, the classifier-comparison grid and universal approximation with 1, 2, 3, 8 neurons.

Shapes: ``X`` is ``(n, 2)`` for the 2-D pictures, labels ``(n,)`` integer codes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from reglab.viz.style import CMAP_2CLASS, PALETTE, styled, subplots

__all__ = ["activation_gallery", "decision_regions", "classifier_grid",
           "universal_approximation", "grid_proba"]


@styled
def activation_gallery(names: Sequence[str] | None = None, lim: float = 4.0) -> Figure:
    """Each registered activation ``f`` (solid) with its derivative ``f'`` (dashed) on
    ``[-lim, lim]``; the derivative is the activation's own ``vjp`` with an upstream 1."""
    from reglab.core.activations import ACTIVATIONS, get_activation

    names = list(names or ACTIVATIONS)
    ncols = 4
    nrows = -(-len(names) // ncols)
    fig, axes = subplots(nrows, ncols, size=(2.5, 2.1))
    x = np.linspace(-lim, lim, 401)
    for ax, name in zip(axes.ravel(), names):
        act = get_activation(name)
        y = act(x)
        dy = act.vjp(x, y, np.ones_like(x))
        ax.plot(x, y, lw=2, color=PALETTE[0], label="f(x)")
        ax.plot(x, dy, lw=1.5, ls="--", color=PALETTE[1], label="f'(x)")
        ax.set_title(name)
        ax.set_ylim(-1.6, 2.6)
    for ax in axes.ravel()[len(names):]:
        ax.set_visible(False)
    axes.ravel()[0].legend(fontsize=7, loc="upper left")
    return fig


def grid_proba(predict_proba: Callable[[np.ndarray], np.ndarray], X: np.ndarray,
               resolution: int = 120, pad: float = 0.5) -> tuple[np.ndarray, ...]:
    """``(xx, yy, P)``: a ``(resolution, resolution)`` mesh over ``X`` and the predicted class
    probabilities there, ``P`` of shape ``(resolution, resolution, n_classes)``."""
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution),
                         np.linspace(lo[1], hi[1], resolution))
    P = np.asarray(predict_proba(np.column_stack([xx.ravel(), yy.ravel()])), float)
    if P.ndim == 1:
        P = np.column_stack([1 - P, P])
    return xx, yy, P.reshape(resolution, resolution, -1)


def _regions(ax: Any, model: Any, X: np.ndarray, y: np.ndarray, title: str) -> None:
    xx, yy, P = grid_proba(model.predict_proba, X)
    if P.shape[-1] == 2:
        ax.contourf(xx, yy, P[..., 1], levels=np.linspace(0, 1, 11), cmap=CMAP_2CLASS,
                    alpha=0.75)
        ax.contour(xx, yy, P[..., 1], levels=[0.5], colors="k", linewidths=1)
    else:
        ax.contourf(xx, yy, P.argmax(-1), levels=np.arange(P.shape[-1] + 1) - 0.5,
                    colors=PALETTE[: P.shape[-1]], alpha=0.35)
    colors = np.array(["#B2182B", "#2166AC"] if P.shape[-1] == 2 else PALETTE)
    ax.scatter(X[:, 0], X[:, 1], c=colors[np.asarray(y, int) % len(colors)], s=9,
               edgecolors="white", linewidths=0.3)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])


@styled
def decision_regions(models: Mapping[str, Any], X: np.ndarray, y: np.ndarray) -> Figure:
    """Decision regions (probability shading and the 0.5 contour) of each fitted classifier."""
    fig, axes = subplots(1, len(models), size=(3.0, 2.9))
    for ax, (name, model) in zip(np.atleast_1d(axes), models.items()):
        acc = float(np.mean(model.predict(X) == y))
        _regions(ax, model, X, y, f"{name} (train acc {acc:.2f})")
    return fig


@styled
def classifier_grid(datasets: Mapping[str, tuple[np.ndarray, np.ndarray]],
                    make_models: Callable[[], Mapping[str, Any]],
                    fit: Callable[[Any, np.ndarray, np.ndarray], Any] | None = None,
                    test_fraction: float = 0.3, seed: int = 0) -> Figure:
    """scikit-learn's classifier-comparison picture: rows are data sets, columns models; each
    panel shows the decision regions and the held-out accuracy (lower right)."""
    from sklearn.model_selection import train_test_split

    names = list(make_models())
    fig, axes = subplots(len(datasets), len(names) + 1, size=(2.2, 2.1))
    axes = np.asarray(axes).reshape(len(datasets), len(names) + 1)
    for i, (dname, (X, y)) in enumerate(datasets.items()):
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=test_fraction, random_state=seed,
                                              stratify=y)
        axes[i, 0].scatter(X[:, 0], X[:, 1], c=np.asarray(y) % 8, cmap="RdBu", s=6)
        axes[i, 0].set_title(dname if i == 0 else "")
        axes[i, 0].set_ylabel(dname)
        for j, (mname, model) in enumerate(make_models().items(), start=1):
            (fit or (lambda m, a, b: m.fit(a, b)))(model, Xtr, ytr)
            _regions(axes[i, j], model, Xtr, ytr, mname if i == 0 else "")
            acc = float(np.mean(model.predict(Xte) == yte))
            axes[i, j].text(0.97, 0.03, f"{acc:.2f}", transform=axes[i, j].transAxes,
                            ha="right", va="bottom", fontsize=9, weight="bold")
    return fig


@styled
def universal_approximation(x: np.ndarray, y: np.ndarray, truth: Callable[[np.ndarray], Any],
                            fits: Mapping[int, np.ndarray], x_grid: np.ndarray,
                            activation: str = "sigmoid") -> Figure:
    """One panel per hidden-layer width: data, the true function and the network's fit
    (``fits[n_neurons]`` is the prediction on ``x_grid``), titled like the lecture."""
    fig, axes = subplots(1, len(fits), size=(2.8, 2.5), sharey=True)
    for ax, (n, yg) in zip(np.atleast_1d(axes), fits.items()):
        ax.scatter(x, y, s=6, color="0.55")
        ax.plot(x_grid, truth(x_grid), color="0.2", lw=1, ls=":", label="truth")
        ax.plot(x_grid, yg, color=PALETTE[1], lw=2, label="MLP")
        ax.set_title(f"N neurons = {n}\nactivation = {activation}")
    np.atleast_1d(axes)[0].legend(fontsize=7)
    return fig
