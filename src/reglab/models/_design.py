"""Design-matrix checks shared by the regression models: term names, numeric columns, finite
values, each error naming the column and row."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["feature_names", "check_numeric_columns", "check_numeric_y", "check_finite_X",
           "far_column_shift"]


def feature_names(X: Any, n_features: int) -> tuple[list[str], np.ndarray | None]:
    """Term names: DataFrame string columns, else ``x1 .. xp`` (1-based, like the lecture's x1)."""
    cols = getattr(X, "columns", None)
    if cols is not None and len(cols) == n_features and all(isinstance(c, str) for c in cols):
        return [str(c) for c in cols], np.asarray(cols, dtype=object)
    return [f"x{j + 1}" for j in range(n_features)], None


def check_numeric_columns(X: Any, model: str) -> None:
    """Refuse DataFrame columns that are not plain numbers: text, and pandas categoricals (even
    of numbers: their codes are labels, not quantities), naming them and the way out."""
    if not isinstance(X, pd.DataFrame):
        return
    bad = [str(c) for c, dt in X.dtypes.items()
           if isinstance(dt, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(dt)]
    if bad:
        raise ValueError(f"X column(s) {bad} are not numeric (text or categorical); encode them "
                         f"(one-hot) or use {model}.from_formula, which does")


def check_finite_X(Xa: np.ndarray, names: list[str], what: str = "X",
                   stage: str = "fitting") -> None:
    """Raise ValueError naming the column and row of the first NaN/inf in ``Xa`` (n, p) or (n,),
    and how many there are; ``stage``: "fitting" or "predicting", for the advice."""
    if np.isfinite(np.sum(Xa)):  # one cheap pass; a NaN/inf anywhere makes the sum non-finite
        return
    bad = ~np.isfinite(Xa)  # (a finite sum overflowing to inf lands here and passes)
    if bad.any():
        first = np.argwhere(bad)[0]
        row, col = int(first[0]), int(first[-1])
        where = f"column {names[col]!r}, row {row}" if Xa.ndim == 2 else f"row {row}"
        v = float(Xa[bad][0])
        label = "NaN" if np.isnan(v) else ("inf" if v > 0 else "-inf")
        raise ValueError(f"{what} contains {label} at {where} ({int(bad.sum())} non-finite "
                         f"value(s)); remove or impute them before {stage}")


def check_numeric_y(y: np.ndarray) -> None:
    """Refuse a regression target holding text, naming the first row that is not a number."""
    y = np.asarray(y)
    if y.dtype.kind in "fiub":
        return
    for i, v in enumerate(y.ravel()):
        try:
            float(v)
        except (TypeError, ValueError):
            shown = v.item() if isinstance(v, np.generic) else v
            raise ValueError(f"y (the target) must be numeric; row {i} has {shown!r}") from None


def far_column_shift(X: np.ndarray, ratio: float = 10.0) -> np.ndarray | None:
    """Shifts for the columns whose mean exceeds ``ratio`` times their spread (a year column,
    a timestamp), None when there are none. Centring them leaves the model unchanged: the
    intercept absorbs the shift (``reglab.inference.glm_stats.uncentre`` maps the coefficients
    and covariance back). It keeps the normal equations of IRLS well conditioned: the Gram of a
    column 1e6 away from 0 with spread 1 has condition ~1e12 and costs ~12 digits. Mean and
    spread are taken on at most ~10,000 rows; a column constant there is left as it is (the
    rank check names it)."""
    n, p = X.shape
    if p == 0 or n < 2:
        return None
    # any shift near the mean conditions the columns as well, and centring by it is an exact
    # reparametrisation: a ~10,000-row sample decides and measures it (no pass over big X)
    sample = X if n <= 10_000 else X[:: n // 10_000]
    mean, spread = sample.mean(axis=0), sample.std(axis=0)
    shift = np.where((spread > 0) & (np.abs(mean) > ratio * spread), mean, 0.0)
    return shift if shift.any() else None
