"""How a delimited text file is laid out: its field separator and number marks.

Spreadsheets in much of Europe write ``;``-separated files with decimal commas (``1,5``), and
instruments write tab- or ``|``-separated ``.csv``/``.txt`` files; read with ``sep=","`` such a
file becomes one column whose name is the whole header line. :func:`csv_options` looks at the
first lines and returns the ``pandas.read_csv`` options that read it as the table it is.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

_CANDIDATES = (",", ";", "\t", "|")
_EXP = r"(?:[eE][-+]?\d+)?"
# the spaces French, Swiss and SI styles group digits with: space, no-break, narrow no-break
_SPACES = (" ", "\u00a0", "\u202f")


def _shape(decimal: str, thousands: str | None) -> re.Pattern[str]:
    """A number written with ``decimal`` and, when given, ``thousands`` between groups of 3."""
    d = re.escape(decimal)
    whole = r"\d+" if thousands is None else \
        rf"(?:\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+|\d+)"
    return re.compile(rf"^[-+]?(?:{whole}(?:{d}\d*)?|{d}\d+){_EXP}$")


# number shapes per (decimal mark, thousands mark); the first convention in the separator's
# order (_ORDER) that reads every number-like field wins
_CONTINENTAL = ((",", None), (",", "."), *((",", s) for s in _SPACES))
_ENGLISH = ((".", None), (".", ","), *((".", s) for s in _SPACES))
# A ";" file is continental: "1,234" is a decimal comma, "1.234,5" has a thousands point and
# "1 234,5" a thousands space. Any other separator is English first: "12,500" in a tab file is
# twelve thousand five hundred, and only a comma that cannot be a thousands mark ("1,5") makes
# the decimal comma. A "," file cannot have a decimal comma, only quoted thousands commas
# ("1,234.5") or spaces ("1 234.5").
_ORDER = {";": (_ENGLISH[0], *_CONTINENTAL, *_ENGLISH[1:]),
          ",": _ENGLISH}
_ENGLISH_FIRST = (*_ENGLISH, *_CONTINENTAL)
_MARKS = {m: _shape(*m) for m in _ENGLISH_FIRST}


def _field_counts(lines: list[str], sep: str) -> list[int]:
    return [len(row) for row in csv.reader(lines, delimiter=sep)]


def _separator(lines: list[str], whitespace: bool) -> str:
    """The candidate that splits every line into the same number (> 1) of fields, quotes
    respected; the most fields wins, ``,`` on ties. Whitespace only for ``.txt`` files."""
    best, best_n = ",", 1
    for sep in _CANDIDATES:
        counts = set(_field_counts(lines, sep))
        if len(counts) == 1 and (n := counts.pop()) > best_n:
            best, best_n = sep, n
    if best_n == 1 and whitespace:
        counts = {len(line.split()) for line in lines}
        if len(counts) == 1 and counts.pop() > 1:
            return r"\s+"
    return best


def _number_marks(fields: list[str], sep: str) -> dict[str, str]:
    """``read_csv``'s ``decimal`` / ``thousands`` options: the first convention, in the
    separator's order (``_ORDER``), that reads every number-like field (one that some
    convention reads)."""
    fields = [f.strip() for f in fields]
    marks = _ORDER.get(sep, _ENGLISH_FIRST)
    numbers = [f for f in fields if any(_MARKS[m].match(f) for m in marks)]
    for decimal, thousands in marks:
        if all(_MARKS[(decimal, thousands)].match(f) for f in numbers):
            opts = {"decimal": decimal} if decimal != "." else {}
            if thousands and any(thousands in f for f in numbers):
                opts["thousands"] = thousands
                if not thousands.isascii():  # the C parser takes one-byte marks only
                    opts["engine"] = "python"
            return opts
    return {}


def csv_options(path: str | Path, max_lines: int = 50) -> dict[str, str]:
    """``{"sep": ..., ["decimal": ","], ["thousands": ...]}`` for ``pandas.read_csv`` from the
    first lines of a ``.csv``/``.txt`` file (``.tsv`` is always tab-separated).

    Number marks (:func:`_number_marks`): a ``;``-separated file whose numbers are written
    ``1,5`` or ``1,234`` uses the decimal comma, ``1.234,5`` adds the thousands point; other
    separators read ``12,500`` as a thousands comma and ``1,5`` as a decimal comma; a
    ``,``-separated file reads quoted ``"1,234.5"`` with the thousands comma. Digits grouped
    by a space (also a no-break or narrow no-break one: ``1 234,5``) read as thousands. Where one
    convention reads every number (``1.5``, ``1.234``), the plainer one wins.
    """
    p = Path(path)
    with open(p, encoding="utf-8", errors="replace", newline="") as f:
        lines = []
        for line in f:
            if line.strip():
                lines.append(line.rstrip("\r\n"))
            if len(lines) >= max_lines:
                break
    if not lines:
        return {"sep": ","}
    sep = "\t" if p.suffix.lower() == ".tsv" else \
        _separator(lines, whitespace=p.suffix.lower() == ".txt")
    if sep == r"\s+":
        return {"sep": sep}
    fields = [x for row in csv.reader(lines[1:], delimiter=sep) for x in row]
    return {"sep": sep, **_number_marks(fields, sep)}
