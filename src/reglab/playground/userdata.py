"""The user's own points: an uploaded CSV or points drawn by clicking on the page.

Both end as a :class:`UserData`: ``X`` of shape ``(n, 2)`` in page units (the square
``[-6, 6]^2``), ``y`` of shape ``(n,)`` coded as the data sets are (0/1, class index, or a real
value in ``[-1, 1]``), and the problem type. Errors are :class:`~.protocol.ProtocolError`
naming the row and column.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .protocol import ProtocolError

__all__ = ["MAX_POINTS", "MAX_CLASSES", "UserData", "parse_csv", "parse_points"]

MAX_POINTS = 2000
MIN_POINTS = 4
MAX_CLASSES = 8
_SPAN = 5.0  # uploaded features are mapped linearly onto [-5, 5], inside the page's [-6, 6]


@dataclass(frozen=True)
class UserData:
    """Points in page units, their labels, and how the CSV's values map to them."""

    X: np.ndarray
    y: np.ndarray
    problem: str
    n_classes: int
    class_names: tuple[str, ...] = ()
    columns: tuple[str, ...] = ("x1", "x2", "y")
    # a real target's range in the CSV's own units (the page's -1 and +1), else None
    target_range: tuple[float, float] | None = None
    notice: str = ""  # what the page should say about how the file was read


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _data_lines(text: str) -> np.ndarray:
    """The file line number (1-based) of every line the reader keeps: blank lines are skipped."""
    return np.array([i for i, line in enumerate(text.splitlines(), 1) if line.strip()] or [1])


def _read_table(text: str) -> tuple[pd.DataFrame, tuple[str, ...], np.ndarray]:
    """Rows as strings, column names, and the file line number of each data row."""
    lines = _data_lines(text)
    try:
        raw = pd.read_csv(io.StringIO(text), header=None, dtype=str, skip_blank_lines=True,
                          keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
        raise ProtocolError(f"CSV cannot be read: {err}", "csv") from None
    if raw.shape[1] != 3:
        raise ProtocolError(f"CSV must have 3 columns (x1, x2, label), found {raw.shape[1]}",
                            "csv")
    first = [str(v).strip() for v in raw.iloc[0]]
    if not (_is_number(first[0]) and _is_number(first[1])):
        return raw.iloc[1:].reset_index(drop=True), tuple(first), lines[1:]
    return raw, ("x1", "x2", "y"), lines


def _feature_column(values: pd.Series, name: str, lines: np.ndarray) -> np.ndarray:
    out = np.empty(len(values))
    for i, v in enumerate(values):
        try:
            out[i] = float(str(v).strip())
        except ValueError:
            out[i] = math.nan
        if not math.isfinite(out[i]):
            raise ProtocolError(f"CSV line {lines[i]}, column {name!r}: {v!r} is not a finite "
                                "number", "csv")
    lo, hi = out.min(), out.max()
    if hi - lo <= 1e-12 * max(1.0, abs(hi)):
        raise ProtocolError(f"CSV column {name!r} is constant ({lo:g}); it cannot be drawn",
                            "csv")
    return (out - lo) / (hi - lo) * 2 * _SPAN - _SPAN


def _labels(values: list[str], name: str, lines: np.ndarray) -> tuple[np.ndarray, str, int, tuple]:
    """Classes when the labels are words or at most 8 distinct integers, else a real target."""
    numeric = all(_is_number(v) for v in values)
    nums = np.array([float(v) for v in values]) if numeric else None
    if numeric and not np.all(np.isfinite(nums)):
        bad = int(np.flatnonzero(~np.isfinite(nums))[0])
        raise ProtocolError(f"CSV line {lines[bad]}, column {name!r}: {values[bad]!r} is not "
                            "finite", "csv")
    distinct = sorted(set(values)) if not numeric else None
    if numeric and np.all(nums == np.round(nums)) and len(np.unique(nums)) <= MAX_CLASSES:
        distinct = [f"{c:g}" for c in np.unique(nums)]
        values = [f"{c:g}" for c in nums]
    if distinct is None:
        lo, hi = nums.min(), nums.max()
        if hi - lo <= 0:
            raise ProtocolError(f"CSV column {name!r} is constant; nothing to learn", "csv")
        return (nums - lo) / (hi - lo) * 2 - 1, "regression", 0, ()
    if not 2 <= len(distinct) <= MAX_CLASSES:
        raise ProtocolError(f"CSV column {name!r} has {len(distinct)} classes; 2 to "
                            f"{MAX_CLASSES} are allowed", "csv")
    index = {c: k for k, c in enumerate(distinct)}
    y = np.array([index[v] for v in values], dtype=np.int64)
    return y, "binary" if len(distinct) == 2 else "multiclass", len(distinct), tuple(distinct)


def parse_csv(text: str) -> UserData:
    """Parse ``x1,x2,label`` rows (header optional). Features are rescaled onto [-5, 5]; a real
    target onto [-1, 1]; labels that are words or <= 8 distinct integers are classes."""
    if not text.strip():
        raise ProtocolError("CSV is empty", "csv")
    table, names, lines = _read_table(text)
    n = len(table)
    if not MIN_POINTS <= n <= MAX_POINTS:
        raise ProtocolError(f"CSV has {n} data rows; {MIN_POINTS} to {MAX_POINTS} are allowed",
                            "csv")
    X = np.column_stack([_feature_column(table[j], names[j], lines) for j in (0, 1)])
    labels = [str(v).strip() for v in table[2]]
    empty = [i for i, v in enumerate(labels) if not v]
    if empty:
        raise ProtocolError(f"CSV line {lines[empty[0]]}, column {names[2]!r} is empty", "csv")
    y, problem, k, class_names = _labels(labels, names[2], lines)
    if problem != "regression":
        return UserData(X, y, problem, k, class_names, names)
    nums = np.array([float(v) for v in labels])
    lo, hi = float(nums.min()), float(nums.max())
    notice = ""
    if np.all(nums == np.round(nums)):
        notice = (f"column {names[2]!r} has {len(np.unique(nums))} distinct integers: read as a "
                  f"numeric target (regression); at most {MAX_CLASSES} integers are classes, or "
                  "write the labels as words")
    return UserData(X, y, problem, k, class_names, names, (lo, hi), notice)


def _point(p: Any, i: int) -> tuple[float, float, float]:
    if not isinstance(p, list) or len(p) != 3:
        raise ProtocolError(f"points[{i}] must be [x1, x2, y], got {p!r}"[:200], "points")
    for v in p:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ProtocolError(f"points[{i}] has a non-numeric value {v!r}", "points")
    if abs(p[0]) > 6 or abs(p[1]) > 6:
        raise ProtocolError(f"points[{i}]=({p[0]}, {p[1]}) lies outside [-6, 6]^2", "points")
    return float(p[0]), float(p[1]), float(p[2])


def parse_points(points: Any, problem: Any) -> UserData:
    """Points drawn on the page: ``[[x1, x2, y], ...]`` with y a class index (0 .. 7) for
    classification or a value in [-1, 1] for regression."""
    if problem not in ("binary", "multiclass", "regression"):
        raise ProtocolError(f"problem={problem!r} must be binary, multiclass or regression",
                            "problem")
    if not isinstance(points, list) or not MIN_POINTS <= len(points) <= MAX_POINTS:
        size = len(points) if isinstance(points, list) else type(points).__name__
        raise ProtocolError(f"points must be a list of {MIN_POINTS} to {MAX_POINTS} points, got "
                            f"{size}", "points")
    arr = np.array([_point(p, i) for i, p in enumerate(points)])
    X, y = arr[:, :2], arr[:, 2]
    if problem == "regression":
        bad = np.flatnonzero(np.abs(y) > 1)
        if bad.size:
            raise ProtocolError(f"points[{bad[0]}]: target {y[bad[0]]} is outside [-1, 1]",
                                "points")
        return UserData(X, y, problem, 0)
    bad = np.flatnonzero((y != np.round(y)) | (y < 0) | (y >= MAX_CLASSES))
    if bad.size:
        raise ProtocolError(f"points[{bad[0]}]: class {y[bad[0]]} is not an integer in "
                            f"0..{MAX_CLASSES - 1}", "points")
    k = 2 if problem == "binary" else int(y.max()) + 1
    if problem == "binary" and y.max() > 1:
        raise ProtocolError("binary points need classes 0 and 1", "points")
    if len(np.unique(y)) < 2:
        raise ProtocolError("draw points of at least two classes", "points")
    return UserData(X, y.astype(np.int64), problem, max(k, 3) if problem == "multiclass" else 2)
