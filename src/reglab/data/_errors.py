"""The data error type, and where a data row is in the file it came from."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

__all__ = ["DataError", "row_label", "row_lines"]

# df.attrs key set by read_table: [[row, line], ...], data row `row` (0-based, the DataFrame's
# index label) is on 1-based `line` of the file and each following row on the next line, up to
# the next pair. pandas keeps attrs through column access, .loc and dropna, and index labels too.
LINES = "reglab_lines"
# a line holding nothing but spaces, tabs or a CR, which read_csv skips; found from the newline
# before it (a literal first character is what lets re search fast)
_BLANK_AFTER = re.compile(rb"\n(?=[ \t\r]*(?:\n|\Z))")


class DataError(ValueError):
    """Bad input data; the message names the file, column, row or value."""


def row_lines(data: bytes, n_rows: int) -> list[list[int]] | None:
    """The ``[[row, line], ...]`` map of a delimited file's ``data`` read as ``n_rows`` rows under
    a one-line header, or None where lines and rows do not pair up (a quoted field over several
    lines); blank lines are skipped as ``read_csv`` skips them."""
    n_lines = data.count(b"\n") + (not data.endswith(b"\n"))
    blank = [1] if re.match(rb"[ \t\r]*(?:\n|\Z)", data) else []
    if n_lines == n_rows + 1 and not blank:
        # one line a row: no blank line, so skip the scan (0.5 s on 80 MB). Only a blank line
        # and a field over two lines in one file would fool this, shifting some lines by one
        # (reglab.data._read._with_lines makes the same call from a count of the lines)
        return [[0, 2]]
    line, pos = 1, 0
    for m in _BLANK_AFTER.finditer(data):
        line += data.count(b"\n", pos, m.start() + 1)
        pos = m.start() + 1
        if line <= n_lines:
            blank.append(line)
    if n_lines - len(blank) != n_rows + 1:
        return None
    header = next(i for i in range(1, n_lines + 1) if i > len(blank) or blank[i - 1] != i)
    pairs, row, line = [], 0, header + 1
    for b in blank:
        if b < line:
            continue
        if b > line:
            pairs.append([row, line])
            row += b - line
        line = b + 1
    pairs.append([row, line])
    return pairs


def row_label(obj: Any, row: Any, inner: bool = False) -> str:
    """``"row 9 (line 11)"`` (``inner``: ``"row 9, line 11"``, for use inside parentheses) for
    the index label ``row`` of a DataFrame/Series that :func:`reglab.data.read_table` read from a
    text file, else ``"row 9"``: rows count from 0 after the header, lines from 1 as an editor
    numbers them. A frame whose index was reset after reading would be mislabelled: keep it."""
    pairs = getattr(obj, "attrs", {}).get(LINES)
    if not pairs or not isinstance(row, (int, np.integer)) or row < 0:
        return f"row {row}"
    start, line = next(p for p in reversed(pairs) if p[0] <= row)
    where = line + int(row) - start
    return f"row {row}, line {where}" if inner else f"row {row} (line {where})"
