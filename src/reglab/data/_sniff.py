"""How a delimited text file is laid out: its field separator and decimal mark.

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
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+(?:[eE][-+]?\d+)?\s*$")
_DECIMAL_POINT = re.compile(r"^\s*[-+]?\d*\.\d+(?:[eE][-+]?\d+)?\s*$")


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


def csv_options(path: str | Path, max_lines: int = 50) -> dict[str, str]:
    """``{"sep": ..., ["decimal": ","]}`` for ``pandas.read_csv`` from the first lines of a
    ``.csv``/``.txt`` file (``.tsv`` is always tab-separated).

    A ``;``-separated file whose fields include numbers written ``1,5`` and none written ``1.5``
    uses the decimal comma.
    """
    p = Path(path)
    if p.suffix.lower() == ".tsv":
        return {"sep": "\t"}
    with open(p, encoding="utf-8", errors="replace", newline="") as f:
        lines = []
        for line in f:
            if line.strip():
                lines.append(line.rstrip("\r\n"))
            if len(lines) >= max_lines:
                break
    if not lines:
        return {"sep": ","}
    sep = _separator(lines, whitespace=p.suffix.lower() == ".txt")
    opts = {"sep": sep}
    if sep == ";":
        fields = [x for row in csv.reader(lines[1:], delimiter=";") for x in row]
        if any(_DECIMAL_COMMA.match(x) for x in fields) and \
                not any(_DECIMAL_POINT.match(x) for x in fields):
            opts["decimal"] = ","
    return opts
