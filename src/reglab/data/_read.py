"""Reading a delimited text or Parquet file into a DataFrame, with errors that say what to do.

Any suffix but Parquet's and the spreadsheets' is read as delimited text: its separator and number
marks are sniffed (:func:`reglab.data._sniff.csv_options`), UTF-8 first, then Windows-1252.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from reglab.data._errors import LINES, DataError, row_lines
from reglab.data._sniff import csv_options

__all__ = ["read_table"]

SPREADSHEETS = (".xlsx", ".xls", ".xlsm", ".xlsb", ".ods")
_NOT_TEXT = "reglab reads delimited text (CSV, TSV) and Parquet files"


def read_table(path: str | Path, as_text: bool = False) -> pd.DataFrame:
    """Read a CSV (``.csv``, ``.txt``), TSV (``.tsv``) or Parquet (``.parquet``, ``.pq``) file.

    The separator of a ``.csv``/``.txt`` file is found from its first lines (``,`` ``;`` tab
    ``|``, and whitespace for ``.txt``), and so are its decimal and thousands marks (``1,5``,
    ``1.234,5``, quoted ``"1,234.5"``, ``1 234,5``; :func:`reglab.data._sniff.csv_options`).
    Excel/ODS workbooks and binary files are refused with a :class:`DataError` saying so.
    ``as_text``: a text file's cells as the strings they were written (``007``, ``TRUE``, ``1,5``;
    an empty cell is ``""``), for copying them through unchanged.
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"file not found: {p}")
    if p.is_dir():
        raise DataError(f"{p} is a directory, not a data file")
    if p.stat().st_size == 0:
        raise DataError(f"file {p} is empty")
    suffix = p.suffix.lower()
    if suffix in SPREADSHEETS:
        raise DataError(f"{p} is an Excel/ODS spreadsheet, which reglab does not read: export "
                        "the sheet as CSV (or Parquet) and pass that file")
    try:
        if suffix in (".parquet", ".pq"):
            df = pd.read_parquet(p)
        else:
            df = _read_text(p, as_text)
    except DataError:
        raise
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"file {p} has no columns (is it empty?)") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot read {p}: {first}") from exc
    if df.shape[0] == 0:
        raise DataError(f"file {p} has a header but no data rows")
    _check_unique(p, df.attrs.pop("reglab_header", None) or list(df.columns))
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _check_unique(p: Path, header: list) -> None:
    """Refuse a header that names two columns alike (after stripping spaces). pandas would read
    ``x,x`` as ``x`` and ``x.1``, R's read.csv as ``x`` and ``x.1`` too: a model would then fit a
    column the file does not name, so the user renames them instead (a note would also have to
    make predict mangle the same way, silently)."""
    where: dict[str, list[int]] = {}
    for i, name in enumerate(header, start=1):
        if isinstance(name, str) or not pd.isna(name):
            where.setdefault(str(name).strip(), []).append(i)
    dups = [(name, cols) for name, cols in where.items() if len(cols) > 1]
    if dups:
        parts = [f"columns {', '.join(map(str, cols[:-1]))} and {cols[-1]} "
                 f"{'both' if len(cols) == 2 else 'all'} named {name!r}" for name, cols in dups]
        raise DataError(f"{p} has duplicated column names: {'; '.join(parts)}; give each column "
                        "its own name")


def _check_text(p: Path) -> None:
    """Refuse a file whose first 64 KiB are not text: UTF-16 (Excel's "Unicode text") or a NUL
    byte, which no UTF-8 or Windows-1252 text file holds (zip, gzip, images, workbooks)."""
    with open(p, "rb") as f:
        head = f.read(1 << 16)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(f"{p} is UTF-16 text (Excel's 'Unicode text'); save it as CSV UTF-8: "
                        f"{_NOT_TEXT}")
    if (i := head.find(b"\x00")) >= 0:
        raise DataError(f"{p} does not look like delimited text (byte {i} is a NUL, as in "
                        f"binary files): {_NOT_TEXT}")


def _read_text(p: Path, as_text: bool = False) -> pd.DataFrame:
    """A delimited text file in UTF-8 (a byte-order mark is fine), else in Windows-1252, the
    encoding spreadsheets on Windows write (``Température``); the fallback leaves a note in
    ``df.attrs["reglab_notes"]``, which :func:`prepare` passes on. ``as_text``: every cell as
    its text (no number marks applied, no missing-value markers)."""
    _check_text(p)
    opts = csv_options(p)
    if as_text:
        opts = {"sep": opts["sep"], "dtype": str, "keep_default_na": False}
    if opts["sep"] != r"\s+":
        # spaces after a separator are layout, not data: `"id" , "income "` is the columns id
        # and income (quotes dropped, names stripped below), `a, b` the levels 'a' and 'b'
        opts["skipinitialspace"] = True
    try:
        df = pd.read_csv(p, **opts)
        df.attrs["reglab_header"] = _header(p, opts)
        return _with_lines(df, p)
    except UnicodeDecodeError:
        # pandas decodes in chunks, so its error's offset is within a chunk: find the file's own
        data = p.read_bytes()
    pos, why = _undecodable(data, "utf-8")
    try:
        df = pd.read_csv(p, encoding="cp1252", **opts)
    except UnicodeDecodeError:
        # 0x81, 0x8d, 0x8f, 0x90 and 0x9d are undefined in Windows-1252
        bad, _ = _undecodable(data, "cp1252")
        raise DataError(f"{p} does not look like delimited text (byte {bad}, 0x{data[bad]:02x}, "
                        f"is neither UTF-8 nor Windows-1252): {_NOT_TEXT}") from None
    df.attrs["reglab_header"] = _header(p, {**opts, "encoding": "cp1252"})
    df.attrs["reglab_notes"] = [f"{p.name} is not UTF-8 ({why} at byte {pos}); read it as "
                                "Windows-1252"]
    return _with_lines(df, p, data)


def _with_lines(df: pd.DataFrame, p: Path, data: bytes | None = None) -> pd.DataFrame:
    """``df`` with the map from its rows to the file's lines for error messages ("row 9 (line
    11)", :func:`reglab.data._errors.row_lines`). One line a row is found by counting newlines in
    4 MiB chunks (0.13 s on 80 MB); only a file with blank lines is read whole for the map, and
    above 1 GiB it goes without."""
    if data is None:
        n_lines, blank_first = _count_lines(p)
        if n_lines == len(df) + 1 and not blank_first:
            df.attrs[LINES] = [[0, 2]]
            return df
        if p.stat().st_size > 1 << 30:
            return df
        data = p.read_bytes()
    df.attrs[LINES] = row_lines(data, len(df))
    return df


def _count_lines(p: Path) -> tuple[int, bool]:
    """The number of lines of ``p`` and whether its first line is blank."""
    buf, n, last, head = bytearray(1 << 22), 0, b"\n"[0], b""
    with open(p, "rb") as f:
        while k := f.readinto(buf):
            head = head or bytes(buf[:k])
            n += buf.count(b"\n", 0, k)
            last = buf[k - 1]
    return n + (last != b"\n"[0]), head.lstrip(b" \t\r")[:1] in (b"\n", b"")


def _header(p: Path, opts: dict) -> list:
    """The header's names as written (``read_csv`` renames a repeated ``x`` to ``x.1``)."""
    return pd.read_csv(p, header=None, nrows=1, **{**opts, "dtype": str}).iloc[0].tolist()


def _undecodable(data: bytes, encoding: str) -> tuple[int, str]:
    """The offset of the first byte of ``data`` that ``encoding`` cannot decode, and why."""
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        return exc.start, exc.reason
    return -1, "decodes"  # pandas failed where Python does not: name no byte
