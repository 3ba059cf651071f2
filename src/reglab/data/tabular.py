"""Reading a table and turning it into ``(X, y)`` with clear errors.

``read_table(path)`` reads CSV/TSV/Parquet with pandas. ``prepare(df, target)`` checks the target,
detects the task, one-hot encodes text/categorical features (with a note), applies the
missing-value policy and returns a :class:`Prepared` whose ``schema`` is plain JSON: it is stored in
model files so that ``encode(df, schema)`` rebuilds the same design matrix at prediction time.

Shapes: ``X`` is ``(n_samples, n_features)`` float64; ``y`` is ``(n_samples,)`` (float64 for the
regression tasks, int64 class codes ``0..n_classes-1`` for the classification tasks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from reglab.data._errors import DataError, row_label
from reglab.data._read import read_table
from reglab.data._text_columns import refuse_unencodable

__all__ = ["DataError", "Prepared", "TASKS", "read_table", "prepare", "encode", "detect_task"]

TASKS = ("continuous", "positive", "counts", "binary", "multiclass")
CLASSIFICATION = ("binary", "multiclass")


@dataclass
class Prepared:
    """The model-ready data: ``X (n, p)``, ``y (n,)`` and the JSON ``schema`` that rebuilds X."""

    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    target: str
    task: str
    classes: list[Any] | None
    schema: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    frame: pd.DataFrame | None = None  # the rows used (after dropping missing), original columns


def _as_numeric(s: pd.Series) -> pd.Series | None:
    """``s`` as float if every non-missing value parses as a number, else None."""
    if pd.api.types.is_bool_dtype(s):
        return None
    if pd.api.types.is_numeric_dtype(s):
        return s.astype(float)
    conv = pd.to_numeric(s, errors="coerce")
    return conv if conv.notna().sum() == s.notna().sum() else None


def _first_non_numeric(s: pd.Series) -> tuple[Any, Any]:
    conv = pd.to_numeric(s, errors="coerce")
    bad = s.notna() & conv.isna()
    idx = bad.idxmax()
    return idx, s[idx]


def detect_task(y: pd.Series, name: str = "y") -> str:
    """The task implied by a target column.

    Text/boolean/categorical -> ``binary`` (2 levels) or ``multiclass``; numeric with exactly two
    values {0, 1} -> ``binary``; non-negative integers -> ``counts``; all > 0 -> ``positive``;
    otherwise ``continuous``. A mostly-numeric column with a few text values is an error (it is
    almost always a typo), naming the first bad row.
    """
    y = y.dropna()
    if y.empty:
        raise DataError(f"target column '{name}' has no values (all missing)")
    num = _as_numeric(y)
    if num is None:
        parsed = pd.to_numeric(y, errors="coerce").notna().mean()
        if parsed > 0.5 and not pd.api.types.is_bool_dtype(y):
            row, val = _first_non_numeric(y)
            raise DataError(f"target column '{name}' is not numeric: {row_label(y, row)} has "
                            f"{val!r}")
        return "binary" if y.nunique() <= 2 else "multiclass"
    values = np.unique(num.to_numpy())
    if values.size == 2 and set(values.tolist()) <= {0.0, 1.0}:
        return "binary"
    if np.all(values >= 0) and np.all(values == np.round(values)):
        return "counts"
    if np.all(values > 0):
        return "positive"
    return "continuous"


def _target(df: pd.DataFrame, target: str, task: str | None) -> tuple[np.ndarray, str, list | None]:
    s = df[target]
    detected = detect_task(s, target)
    task = task or detected
    if task not in TASKS:
        raise DataError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    if task in CLASSIFICATION:
        classes = sorted(pd.unique(s).tolist(), key=lambda v: (str(type(v)), v))
        if len(classes) < 2:
            raise DataError(f"target column '{target}' has a single class {classes[0]!r}: "
                            "nothing to classify")
        if task == "binary" and len(classes) > 2:
            raise DataError(f"target column '{target}' has {len(classes)} classes, not 2")
        index = {c: i for i, c in enumerate(classes)}
        codes = np.array([index[v] for v in s.tolist()], dtype=np.int64)
        return codes, task, [_plain(c) for c in classes]
    num = _as_numeric(s)
    if num is None:
        row, val = _first_non_numeric(s) if pd.to_numeric(s, errors="coerce").notna().any() else (
            s.index[0], s.iloc[0])
        raise DataError(f"target column '{target}' must be numeric for {task} regression: "
                        f"{row_label(s, row)} has {val!r}")
    y = num.to_numpy(dtype=float)
    _check_range(y, target, task, s)
    if np.ptp(y) == 0:
        raise DataError(f"target column '{target}' is constant ({y[0]:g}): nothing to model")
    return y, task, None


def _check_range(y: np.ndarray, target: str, task: str, s: pd.Series) -> None:
    bad = None
    if task == "counts":
        bad = np.flatnonzero((y < 0) | (y != np.round(y)))
        what = "a non-negative integer"
    elif task == "positive":
        bad = np.flatnonzero(y <= 0)
        what = "positive"
    if bad is not None and bad.size:
        i = bad[0]
        raise DataError(f"target column '{target}' must be {what} for task {task}: "
                        f"{row_label(s, s.index[i])} has {y[i]:g}")


def _plain(v: Any) -> Any:
    """A JSON-safe scalar."""
    return v.item() if isinstance(v, np.generic) else v


def _missing_policy(df: pd.DataFrame, cols: list[str], drop: bool,
                    notes: list[str]) -> pd.DataFrame:
    miss = df[cols].isna()
    rows = miss.any(axis=1)
    if not rows.any():
        return df
    if rows.all():
        raise DataError("every row has a missing value (columns: "
                        + ", ".join(c for c in cols if miss[c].any()) + ")")
    per_col = ", ".join(f"{c} ({int(miss[c].sum())})" for c in cols if miss[c].any())
    if not drop:
        where = ", ".join(f"{c} ({int(miss[c].sum())}, first in "
                          f"{row_label(df, miss.index[miss[c].to_numpy()][0], inner=True)})"
                          for c in cols if miss[c].any())
        raise DataError(f"{int(rows.sum())} of {len(df)} rows have missing values in columns "
                        f"{where}; pass --drop-missing to drop them")
    notes.append(f"dropped {int(rows.sum())} of {len(df)} rows with missing values ({per_col})")
    return df.loc[~rows]


def _feature_spec(df: pd.DataFrame, features: list[str]) -> list[dict[str, Any]]:
    spec, text = [], {}
    for c in features:
        s = df[c]
        if _as_numeric(s) is not None:
            spec.append({"name": c, "kind": "numeric"})
            continue
        text[c] = sorted({str(v) for v in s.dropna()})
        spec.append({"name": c, "kind": "categorical", "levels": text[c]})
    refuse_unencodable(df, text)
    return spec


def _formula_parts(formula: str, target: str | None) -> tuple[str, str, list[str]]:
    """``(target, rhs, variables)`` of an R-style formula ``"y ~ x1 + I(x1**2) + C(g)"``."""
    from formulaic import Formula

    if "~" not in formula:
        if target is None:
            raise DataError(f"formula {formula!r} has no '~' and no target was given")
        formula = f"{target} ~ {formula}"
    lhs, rhs = (part.strip() for part in formula.split("~", 1))
    if target is not None and lhs != target:
        raise DataError(f"formula response '{lhs}' differs from the target '{target}'")
    try:
        variables = sorted(Formula(rhs).required_variables)
    except Exception as exc:  # formulaic raises several parser error types
        raise DataError(f"cannot parse formula {formula!r}: {exc}") from exc
    return lhs, rhs, variables


def prepare(df: pd.DataFrame, target: str | None, *, features: list[str] | None = None,
            task: str | None = None, drop_missing: bool = False,
            exclude: list[str] | None = None, formula: str | None = None,
            required: list[str] | None = None) -> Prepared:
    """Check ``df`` and build ``X (n, p)``, ``y (n,)`` for ``target``.

    ``features`` defaults to every other column except those in ``exclude`` (e.g. error columns).
    ``formula`` (``"y ~ x1 + I(x1**2)"``, formulaic syntax) replaces ``features``: X is its
    right-hand side without the intercept column (the models fit their own).
    Text, boolean and categorical features are one-hot encoded against their first level (the
    baseline, absorbed by the intercept) and a note says so. Rows with a missing value in the used
    columns raise :class:`DataError` naming the columns, unless ``drop_missing`` is set.
    ``required``: columns that are no features but must be present in every row kept
    (measurement errors, exposures, weights), under the same missing-value policy.
    """
    if df.shape[1] == 0 or df.shape[0] == 0:
        raise DataError("the table is empty")
    rhs = None
    if formula:
        target, rhs, features = _formula_parts(formula, target)
    if target is None:
        raise DataError("no target column given (use --target)")
    if target not in df.columns:
        raise DataError(f"target column '{target}' not found; columns are: "
                        + ", ".join(map(str, df.columns)))
    exclude = set(exclude or [])
    features = list(features) if features else [c for c in df.columns
                                                if c != target and c not in exclude]
    for c in features:
        if c not in df.columns:
            raise DataError(f"feature column '{c}' not found; columns are: "
                            + ", ".join(map(str, df.columns)))
    if not features:
        raise DataError(f"no feature columns besides the target '{target}'")
    notes: list[str] = list(df.attrs.get("reglab_notes", []))
    empty = [c for c in [target, *features] if df[c].isna().all()]
    if empty:
        raise DataError("column(s) with no values at all (all missing): " + ", ".join(empty))
    side = [c for c in (required or []) if c in df.columns and c not in (target, *features)]
    df = _missing_policy(df, [target, *features, *side], drop_missing, notes)
    given = task
    y, task, classes = _target(df, target, task)
    if given is None and task == "counts":
        levels = np.unique(y)
        # consecutive integers <=> the span equals the count minus one (levels are sorted and
        # distinct); never np.arange over the span, which for counts like 1e10 is 75 GiB
        if 3 <= levels.size <= 10 and levels[0] in (0, 1) \
                and levels[-1] - levels[0] == levels.size - 1:
            # 0..K-1 (or 1..K) with few values: as often class codes as small counts
            notes.append(f"target '{target}' holds only the integers {int(levels[0])}.."
                         f"{int(levels[-1])}: modelled as counts; if they are class codes, "
                         "give the task multiclass (--task multiclass)")
    spec = _feature_spec(df, features)
    for f in spec:
        if f["kind"] == "categorical":
            notes.append(f"one-hot encoded '{f['name']}' ({len(f['levels'])} levels; baseline "
                         f"{f['levels'][0]!r})")
    schema = {"target": target, "task": task, "classes": classes, "features": spec,
              "formula": rhs, "feature_names": None}
    X, names = encode(df, schema)
    schema["feature_names"] = names
    return Prepared(X, y, names, target, task, classes, schema, notes, df)


def encode(df: pd.DataFrame, schema: dict[str, Any]) -> tuple[np.ndarray, list[str]]:
    """The design matrix ``X (n, p)`` and its column names for ``df`` under ``schema``.

    Raises :class:`DataError` for a missing column, a missing value, a non-number in a numeric
    column or a category level not seen in training, naming the column and row.
    """
    columns = {f["name"]: _checked_column(df, f) for f in schema["features"]}
    if schema.get("formula"):
        X, names = _formula_matrix(schema, columns, len(df))
    else:
        cols, names = [], []
        for f in schema["features"]:
            c = f["name"]
            if f["kind"] == "numeric":
                cols.append(columns[c].to_numpy(dtype=float))
                names.append(c)
                continue
            for level in f["levels"][1:]:
                cols.append((columns[c] == level).to_numpy(dtype=float))
                names.append(f"{c}[{level}]")
        X = np.column_stack(cols) if cols else np.empty((len(df), 0))
    if not np.all(np.isfinite(X)):
        r, j = np.argwhere(~np.isfinite(X))[0]
        raise DataError(f"column '{names[j]}' has a non-finite value in "
                        f"{row_label(df, df.index[r])}")
    return X, names


def _checked_column(df: pd.DataFrame, f: dict[str, Any]) -> pd.Series:
    c = f["name"]
    if c not in df.columns:
        raise DataError(f"column '{c}' is missing from the data")
    s = df[c]
    if s.isna().any():
        raise DataError(f"column '{c}' has a missing value in "
                        f"{row_label(s, s.index[s.isna()][0])}")
    if f["kind"] == "numeric":
        num = _as_numeric(s)
        if num is None:
            row, val = _first_non_numeric(s)
            raise DataError(f"column '{c}' must be numeric: {row_label(s, row)} has {val!r}")
        return num
    text = s.astype(str)
    unseen = ~text.isin(f["levels"])
    if unseen.any():
        row = text.index[unseen][0]
        raise DataError(f"column '{c}' has level {text[row]!r} in {row_label(s, row)} that "
                        f"was not in the training data (levels: {', '.join(f['levels'])})")
    return text


def _formula_matrix(schema: dict[str, Any], columns: dict[str, pd.Series],
                    n: int) -> tuple[np.ndarray, list[str]]:
    from formulaic import model_matrix

    data = {}
    for f in schema["features"]:
        col = columns[f["name"]]
        # Categorical with the training levels, so that a subset of rows (one prediction) still
        # gets every dummy column in the training order.
        data[f["name"]] = (pd.Categorical(col, categories=f["levels"])
                           if f["kind"] == "categorical" else col.to_numpy())
    try:
        mm = model_matrix(schema["formula"], pd.DataFrame(data, index=range(n)))
    except Exception as exc:  # formulaic evaluation errors come in many types
        raise DataError(f"cannot evaluate formula {schema['formula']!r}: {exc}") from exc
    keep = [c for c in mm.columns if c != "Intercept"]
    names = [str(c) for c in keep]
    expected = schema.get("feature_names")
    if expected is not None and names != expected:
        raise DataError(f"formula columns {names} differ from the training columns {expected}")
    return np.asarray(mm[keep], dtype=float), names
