"""The data error type, and where a row is in the file it came from."""

from __future__ import annotations

__all__ = ["DataError"]


class DataError(ValueError):
    """Bad input data; the message names the file, column, row or value."""
