"""Text feature columns that one-hot encoding would turn into nonsense: identifiers, dates and
numbers written with a unit. :func:`refuse_unencodable` raises one :class:`DataError` naming every
such column, what it looks like and the way out (``--drop`` on the command line, ``exclude=`` or
``features=`` in :func:`reglab.data.prepare`)."""

from __future__ import annotations

import re
import warnings

import pandas as pd

from reglab.data._errors import DataError

__all__ = ["MAX_LEVELS", "ID_MIN_ROWS", "FACTOR_LEVELS", "refuse_unencodable"]

# More distinct text values than this in a feature column is almost always an identifier, and
# one-hot encoding it would make a column per row.
MAX_LEVELS = 50
# In a smaller table, a column with more distinct values than half its rows is an identifier too:
# its levels average fewer than two rows each, so most dummies are fitted by one row, exactly
# (leverage 1), and the model memorises rows instead of learning an effect (40 ids in 40 rows
# gave a saturated fit with NaN standard errors). Below ID_MIN_ROWS rows a genuine factor can
# have more levels than half the rows (3 groups in 5 rows), so the rule starts there.
ID_MIN_ROWS = 10
# Up to this many levels a column of dates or of numbers with a unit is a factor like any other
# ("2WD"/"4WD", "32GB"/"64GB", three visit days, four quarters "2020Q1"...): R's model.matrix
# and scikit-learn's OneHotEncoder encode it, and so does reglab. Past it, the values are
# measurements or a time line, which dummies would turn into one coefficient per value.
FACTOR_LEVELS = 12
# a number (any decimal or thousands marks) and then a unit that starts with no digit or mark:
# "63.1 kg", "63,1 kg", "12%", "1 200 m"; the unit holds no digit ("m2" is not one)
_WITH_UNIT = re.compile(r"[-+]?(?:\d[\d.,\u00a0\u202f ]*\d|\d|[.,]\d+)\s*(?P<unit>[^\d\s.,+-]\D*?)")
# a date has a year: four digits ("2024-01-05", "5 Jan 2024", "2024Q1") or d/m/yy; without this
# pandas reads month names ("March"), ranges ("1-2") and "1st" as dates of year 1
_HAS_YEAR = re.compile(r"\d{4}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2}\b")
_FIX = "choose the features (--features A,B)"


def _unit(levels: list[str]) -> str | None:
    """The unit every value is written with (``"kg"`` for ``"63.1 kg"``), else None."""
    units = set()
    for v in levels:
        m = _WITH_UNIT.fullmatch(v.strip())
        if m is None:
            return None
        units.add(m["unit"])
        if len(units) > 1:
            return None
    return units.pop() if units else None


def _looks_like_dates(s: pd.Series) -> bool:
    """True when at least 90 % of the first 50 non-missing values have a year and parse as
    dates."""
    head = s.dropna().astype(str).head(50)
    dated = head[head.str.contains(_HAS_YEAR)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas warns when it must guess the format per value
        parsed = pd.to_datetime(dated, errors="coerce", format="mixed")
    return bool(len(head)) and int(parsed.notna().sum()) >= 0.9 * len(head)


def _problem(s: pd.Series, levels: list[str]) -> dict | None:
    """What is wrong with one-hot encoding the text column ``s`` (distinct values ``levels``)."""
    first = str(s.dropna().iloc[0]) if s.notna().any() else ""
    if len(levels) > FACTOR_LEVELS and (unit := _unit(levels)) is not None:
        return {"kind": "unit", "unit": unit, "first": first}
    if len(levels) > FACTOR_LEVELS and _looks_like_dates(s):
        return {"kind": "dates", "first": first}
    n = int(s.notna().sum())
    if len(levels) > MAX_LEVELS or (n >= ID_MIN_ROWS and len(levels) > 0.5 * n):
        return {"kind": "identifier", "levels": len(levels), "rows": n, "first": first}
    return None


def refuse_unencodable(df: pd.DataFrame, text: dict[str, list[str]]) -> None:
    """Raise one DataError for the columns of ``text`` (``{column: its distinct values}``) that
    are identifiers, dates or numbers with a unit; return quietly when there are none."""
    bad = {c: p for c, levels in text.items() if (p := _problem(df[c], levels)) is not None}
    if bad:
        raise DataError(_message(bad))


def _message(bad: dict[str, dict]) -> str:
    names = ",".join(bad)
    if len(bad) == 1:
        (c, p), = bad.items()
        out = f"leave it out (--drop {c}) or {_FIX}"
        if p["kind"] == "unit":
            return (f"feature column '{c}' looks like numbers with the unit {p['unit']!r} (e.g. "
                    f"{p['first']!r}): strip the unit so that they read as numbers, or {out}")
        if p["kind"] == "dates":
            return (f"feature column '{c}' looks like dates (e.g. {p['first']!r}): convert them "
                    f"to a number (e.g. days since the first) or {out}")
        return (f"feature column '{c}' has {p['levels']} distinct text values in {p['rows']} "
                f"rows (e.g. {p['first']!r}); too many to one-hot encode: {out}")
    parts, kinds = [], {p["kind"] for p in bad.values()}
    for c, p in bad.items():
        what = {"unit": f"numbers with the unit {p.get('unit')!r}", "dates": "dates",
                "identifier": f"{p.get('levels')} distinct values in {p.get('rows')} rows"}
        parts.append(f"'{c}' ({what[p['kind']]}, e.g. {p['first']!r})")
    todo = [*(["convert dates to a number (e.g. days since the first)"] if "dates" in kinds
              else []), *(["strip units"] if "unit" in kinds else [])]
    return (f"feature columns {', '.join(parts)} cannot be one-hot encoded: "
            f"{', '.join([*todo, ''])}{'or ' if todo else ''}leave them out (--drop {names}) "
            f"or {_FIX}")
