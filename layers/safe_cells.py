"""Spreadsheet cells that cannot run: the one place every CSV and XLSX writer neutralises text.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel, LibreOffice and WPS as a formula (``=HYPERLINK(...)``, ``+cmd|' /C calc'!A0``). As the
OWASP "CSV Injection" guidance recommends, such text is prefixed with a single quote, so the
spreadsheet shows it as text. Numbers stay numbers (a negative number is not text).

Used by ``layers.export.write_table`` (analysis downloads, ``onemap analyze``) and
``layers.report.formats`` (report workbooks); new writers call ``safe_frame``/``safe_value``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

#: Leading characters that make a spreadsheet evaluate a cell (OWASP CSV Injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_value(value: Any) -> Any:
    """``value`` with a leading ``'`` if it is text that a spreadsheet would run as a formula.

    Examples
    --------
    >>> safe_value('=HYPERLINK("http://x","y")')
    '\\'=HYPERLINK("http://x","y")'
    >>> safe_value(-3.5)
    -3.5
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells (and column names) are ``safe_value``; numbers untouched."""
    out = df.copy()
    for col in out.columns:
        series = out[col]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            out[col] = series.map(safe_value).astype(object)
    out.columns = [safe_value(c) for c in out.columns]
    return out
