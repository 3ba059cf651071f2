"""Heat-map grids and their compact encoding for the page.

A heat map is a ``(side, side)`` array over the page square ``[-6, 6]^2``; row 0 is the top
(x2 = +6), column 0 the left (x1 = -6), so the page can paint it without flipping. Values are
quantised to one byte, ``q = round(255 * (v - lo) / (hi - lo))`` with ``v`` clipped to
``[lo, hi]``, and sent base64-encoded: a 50 x 50 map is 3.4 kB of JSON instead of ~30 kB of
decimal numbers, which is what keeps 20 sessions streaming at once.
"""

from __future__ import annotations

import base64

import numpy as np

__all__ = ["OUTPUT_SIDE", "NEURON_SIDE", "grid_points", "encode", "encode_symmetric",
           "encode_columns"]

OUTPUT_SIDE = 50  # output heat map resolution (cells per side)
NEURON_SIDE = 20  # per-neuron heat maps are drawn small
DOMAIN = 6.0


def grid_points(side: int) -> np.ndarray:
    """Cell centres of a ``side x side`` grid as points ``(side * side, 2)``, row-major from the
    top-left corner: point ``r * side + c`` is ``(x1_c, x2_r)`` with x2 decreasing down."""
    step = 2 * DOMAIN / side
    centres = -DOMAIN + step * (np.arange(side) + 0.5)
    x1, x2 = np.meshgrid(centres, centres[::-1])
    return np.column_stack([x1.ravel(), x2.ravel()])


def encode(values: np.ndarray, lo: float, hi: float) -> str:
    """Base64 of ``values`` clipped to ``[lo, hi]`` and mapped linearly onto bytes 0..255."""
    v = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=lo, posinf=hi, neginf=lo)
    q = np.rint((np.clip(v, lo, hi) - lo) * (255.0 / (hi - lo))).astype(np.uint8)
    return base64.b64encode(q.tobytes()).decode("ascii")


def encode_symmetric(values: np.ndarray) -> tuple[str, float]:
    """Encode ``values`` on ``[-s, s]`` with ``s = max |v|`` (1 when all zero); returns (b64, s).

    Hidden units have different ranges (tanh in (-1, 1), ReLU unbounded), so each neuron's map is
    scaled to its own largest magnitude, keeping zero at the palette's centre (white).
    """
    finite = np.abs(values[np.isfinite(values)])
    s = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    return encode(values, -s, s), s


def encode_columns(H: np.ndarray) -> list[list]:
    """:func:`encode_symmetric` applied to every column of ``H (n, h)`` at once (one layer's
    neurons): returns ``[[b64, scale], ...]`` of length h. Vectorised because a frame encodes up
    to 48 neuron maps and per-call overhead would dominate."""
    H = np.nan_to_num(np.asarray(H, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    scale = np.abs(H).max(axis=0) if H.shape[0] else np.ones(H.shape[1])
    scale = np.where(scale > 0, scale, 1.0)
    q = np.rint((H / scale + 1.0) * 127.5).astype(np.uint8)
    qt = np.ascontiguousarray(q.T)
    return [[base64.b64encode(qt[j].tobytes()).decode("ascii"), float(scale[j])]
            for j in range(H.shape[1])]
