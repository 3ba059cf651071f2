"""What the ``reglab`` commands share: the consoles, notes, user errors, and loading a table into
the :class:`~reglab.data.Prepared` form every command fits on. Parsing lives in ``cli.py``."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

out = Console(highlight=False, soft_wrap=True)  # long lines stay whole (greppable)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # errors stay on one line
STATE = {"quiet": False}

TASK_WHY = {"continuous": "real numbers", "positive": "positive real numbers",
            "counts": "non-negative integers", "binary": "two classes",
            "multiclass": "more than two classes"}


class UserError(Exception):
    """A mistake in what the user asked for; printed as one line, exit code 1."""


def note(text: str) -> None:
    if not STATE["quiet"]:
        out.print(f"[dim]{text}[/dim]")


def bayes_cache() -> None:
    """Before a Bayesian fit: keep JAX's compiled NUTS kernels on disk, so that the next run on
    data of the same shape skips ~15 s of compilation (``~/.cache/reglab/jax``; the environment
    variable ``REGLAB_JAX_CACHE`` names another directory, or ``0`` turns the cache off). A
    directory that cannot be written, or no JAX, leaves things as they were."""
    import os

    where = os.environ.get("REGLAB_JAX_CACHE", "")
    if where.strip().lower() in ("0", "off", "no", "false"):
        return
    try:
        from reglab.bayes import enable_compilation_cache

        enable_compilation_cache(where or None)
    except (OSError, ImportError):
        pass


def split_list(values: str | None) -> list[str]:
    """``"a, b,c"`` -> ``["a", "b", "c"]``; None or empty -> ``[]``."""
    return [v.strip() for v in values.split(",") if v.strip()] if values else []


def column_list(df) -> str:
    """``"a, b, c"``: the table's columns, for messages that name what exists."""
    return ", ".join(map(str, df.columns))


def either(names) -> str:
    """``"a, b or c"``: alternatives in a message."""
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _chosen(df, target: str | None, formula: str | None, features: list[str],
            drop: list[str]) -> list[str] | None:
    """The feature list ``--features`` / ``--drop`` ask for (None: every other column)."""
    if features and (formula or drop):
        raise UserError("--features lists the features to use; it cannot be combined with "
                        + ("--formula" if formula else "--drop"))
    for flag, cols in (("--features", features), ("--drop", drop)):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise UserError(f"{flag} column '{missing[0]}' not found; columns are: "
                            f"{column_list(df)}")
    if target is not None and target in [*features, *drop]:
        raise UserError(f"'{target}' is the target; it cannot be "
                        + ("a feature" if target in features else "dropped"))
    return features or None


def side_columns(x_err: list[str], y_err: str | None, exposure: str | None = None,
                 weights: str | None = None) -> dict[str, str]:
    """``{column: role}`` of the columns a command reads besides the target and features; one
    column cannot take two roles."""
    roles: dict[str, str] = {}
    for cols, role in ((x_err, "--x-err"), ([y_err], "--y-err"), ([exposure], "--exposure"),
                       ([weights], "--weights")):
        for c in (c for c in cols if c):
            if c in roles and roles[c] != role:
                raise UserError(f"column '{c}' is given to both {roles[c]} and {role}")
            roles[c] = role
    return roles


def _check_side_columns(roles: dict[str, str], target: str | None, formula: str | None,
                        features: list[str]) -> None:
    """A side column (errors, exposure, weights) is never the target or a feature."""
    import re

    rhs = formula.split("~", 1)[-1] if formula else ""
    for c, role in roles.items():
        if c == target:
            raise UserError(f"'{c}' is the target; it cannot also be the {role} column")
        if c in features or (rhs and re.search(rf"(?<![\w.]){re.escape(c)}(?![\w.])", rhs)):
            where = "--features" if c in features else "--formula"
            raise UserError(f"'{c}' is the {role} column; it cannot also be a feature "
                            f"(in {where})")


def load_prepared(source: str, target: str | None, task: str | None, formula: str | None,
                  drop_missing: bool, n_samples: int | None, seed: int,
                  err_cols: dict[str, str] | None = None, features: list[str] | None = None,
                  drop: list[str] | None = None):
    """(DataFrame, Prepared) from a path or builtin:NAME, with notes printed.

    ``features``: the only columns to use; ``drop``: columns to leave out (an identifier, a
    date); neither: every column but the target and the side columns ``err_cols`` (``{column:
    role}`` from :func:`side_columns`: measurement errors, exposure, weights).
    """
    from reglab.data import BUILTIN_PREFIX, DATASETS, load_data, prepare

    df = load_data(source, n_samples=n_samples, seed=seed)
    info = None
    if source.startswith(BUILTIN_PREFIX):
        info = DATASETS[source.removeprefix(BUILTIN_PREFIX)]
        target = target or (None if formula else info.target)
        task = task or (info.task if target == info.target else None)
        if err_cols is None:  # measurement-error columns are never features
            err_cols = side_columns(list(info.x_err), info.y_err)
    if target is None and not formula:
        raise UserError(f"no target column given: use --target COLUMN (columns: {column_list(df)})")
    chosen = _chosen(df, target, formula, list(features or []), list(drop or []))
    _check_side_columns(err_cols or {}, target, formula, list(features or []))
    data = prepare(df, target, task=task, formula=formula, drop_missing=drop_missing,
                   features=chosen, exclude=[*(err_cols or []), *(drop or [])],
                   required=list(err_cols or []))
    for n in data.notes:
        note(f"note: {n}")
    how = "given" if task else "detected"
    if info is not None and task == info.task:
        how = "of the built-in set"
    out.print(f"task: [bold]{data.task}[/bold] ({how}; target '{data.target}' holds "
              f"{TASK_WHY[data.task]}), {data.X.shape[0]} rows, {_width(data)}")
    return df, data


def _width(data) -> str:
    """``"3 features (8 columns)"`` when one-hot encoding or a formula widened the design."""
    n = len(data.schema.get("features") or []) or data.X.shape[1]
    word = "feature" if n == 1 else "features"
    cols = data.X.shape[1]
    return f"{n} {word}" + (f" ({cols} columns)" if cols != n else "")


def error_columns(source: str, target: str | None, x_err: str | None,
                  y_err: str | None) -> tuple[list[str], str | None]:
    """The ``--x-err`` columns and the ``--y-err`` column; for a built-in data set with error
    columns (msigma, globular) and its own target, those unless the user named others."""
    from reglab.data import BUILTIN_PREFIX, DATASETS

    xe, ye = split_list(x_err), y_err
    if source.startswith(BUILTIN_PREFIX) and not xe and not ye:
        info = DATASETS.get(source.removeprefix(BUILTIN_PREFIX))
        if info is not None and target in (None, info.target):
            xe, ye = list(info.x_err), info.y_err
    return xe, ye


def measurement_errors(df, data, x_err: list[str], y_err: str | None) -> dict | None:
    """``{"x_err": (n, p) or None, "y_err": (n,) or None}`` for the rows ``data`` kept."""
    import numpy as np

    if not x_err and not y_err:
        return None
    for c in [*x_err, *([y_err] if y_err else [])]:
        if c not in df.columns:
            raise UserError(f"error column '{c}' not found; columns are: {column_list(df)}")
    if x_err and len(x_err) != data.X.shape[1]:
        raise UserError(f"--x-err needs one column per feature ({', '.join(data.feature_names)})"
                        f"; got {len(x_err)}: {', '.join(x_err)}")
    rows = data.frame.index
    ex = np.column_stack([_error_column(df.loc[rows, c], c) for c in x_err]) if x_err else None
    ey = _error_column(df.loc[rows, y_err], y_err) if y_err else None
    return {"x_err": ex, "y_err": ey}


def _error_column(s, name: str):
    """A measurement-error column as floats: standard deviations, finite and >= 0 (0 = exact),
    for every row the models use; anything else is refused naming the row and value."""
    return checked_column(s, f"error column '{name}'", "measurement errors are standard "
                          "deviations, finite and >= 0", strict=False)


def checked_column(s, label: str, rule: str, strict: bool = True):
    """``s`` as floats when every value is a finite number ``> 0`` (``strict``) or ``>= 0``;
    else a UserError naming ``label``, the first bad row and its value, and ``rule``."""
    import numpy as np
    import pandas as pd

    from reglab.data import row_label

    num = pd.to_numeric(s, errors="coerce")
    values = num.to_numpy(float)
    bad = num.isna().to_numpy() | ~np.isfinite(values) | ((values <= 0) if strict else
                                                           (values < 0))
    if bad.any():
        row = s.index[bad][0]
        what = ("a missing value" if pd.isna(s[row]) else f"{s[row]:g}"
                if isinstance(s[row], float | int | np.number) else f"{s[row]!r}")
        raise UserError(f"{label} has {what} in {row_label(s, row)}: {rule}")
    return values


def named_frame(prepared):
    """The design matrix as a DataFrame with the feature names (what the models were fit on)."""
    import pandas as pd

    return pd.DataFrame(prepared.X, columns=prepared.feature_names)


SHORT = {"Poisson deviance": "Poisson dev", "Gamma deviance": "Gamma dev",
         "fit time (s)": "time (s)", "log-loss": "log-loss"}


def _num(v) -> str:
    if not isinstance(v, float):
        return str(v)
    if v != v:  # NaN: not defined for this model
        return "-"
    return f"{v:.0f}" if abs(v) >= 1e4 else f"{v:.4g}"


def leaderboard_table(board) -> Table:
    cols = [c for c in board.columns if c not in ("note", "MAE", "BIC")]  # all in the CSV
    t = Table(title="Leaderboard (cross-validated; best first)", title_justify="left")
    rows = [[_num(r[c]) for c in cols] for _, r in board.iterrows()]
    for j, c in enumerate(cols):
        head = "#" if c == "rank" else SHORT.get(c, c)
        if c == "model":  # a long name wraps when the terminal is narrow
            t.add_column(head, overflow="fold", ratio=1)
            continue
        # numbers and their headers are never cut short
        width = max([len(head), *(len(r[j]) for r in rows)])
        t.add_column(head, no_wrap=True, justify="right", min_width=width)
    for r in rows:
        t.add_row(*r)
    return t


def verbatim_rows(source: str, df):
    """``(frame, sep, decimal)`` for writing predictions next to the input rows: the input's
    cells as the text they were (IDs keep their leading zeros, ``TRUE`` stays ``TRUE``) under the
    parsed frame's column names, and the file's own separator and decimal mark; the parsed frame
    itself (``,`` and ``.``) for Parquet, built-in data, or a file that does not read back the
    same shape."""
    from pathlib import Path

    from reglab.data import DataError, read_table
    from reglab.data._sniff import csv_options

    p = Path(source)
    # as read_table: every suffix but Parquet's is delimited text (spreadsheets never get here)
    if source.startswith("builtin:") or p.suffix.lower() in (".parquet", ".pq"):
        return df.copy(), ",", "."
    try:
        raw = read_table(p, as_text=True)
    except DataError:
        return df.copy(), ",", "."
    if raw.shape != df.shape:
        return df.copy(), ",", "."
    raw.columns, raw.index = df.columns, df.index
    opts = csv_options(p)
    return raw, ("," if opts["sep"] == r"\s+" else opts["sep"]), opts.get("decimal", ".")
