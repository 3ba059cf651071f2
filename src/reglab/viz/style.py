"""One matplotlib style for every reglab figure, and the figure -> PNG bytes helper.

Figures are ``matplotlib.figure.Figure`` objects made without pyplot: no backend, no display and
no global figure registry is touched (so importing reglab never changes a notebook's backend,
and a long demo does not accumulate open figures).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import matplotlib
from matplotlib.figure import Figure

__all__ = ["PALETTE", "RC", "style", "styled", "subplots", "to_png", "CMAP_2CLASS"]

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
CMAP_2CLASS = "RdBu"
RC: dict[str, Any] = {
    "figure.dpi": 90,
    "savefig.dpi": 90,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "legend.frameon": False,
    "image.cmap": "viridis",
}


@contextmanager
def style():
    """Context in which new figures and artists use reglab's rc settings."""
    with matplotlib.rc_context(RC):
        yield


def styled(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator: run a plotting function inside :func:`style` (rc is read at artist creation)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with style():
            return fn(*args, **kwargs)

    return wrapper


def subplots(nrows: int = 1, ncols: int = 1, *, size: tuple[float, float] = (4.0, 3.0),
             layout: str | None = "constrained", **kw: Any) -> tuple[Figure, Any]:
    """A new ``Figure`` and its axes, squeezed like ``plt.subplots``: one Axes, a 1-D array for
    a single row or column, else ``(nrows, ncols)``; ``size`` is per panel in inches. Call inside
    :func:`style` (or a :func:`styled` function)."""
    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows), layout=layout)
    return fig, fig.subplots(nrows, ncols, squeeze=True, **kw)


def to_png(fig: Figure) -> bytes:
    """The PNG bytes of ``fig``."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
