"""Language hygiene of what a user reads (reports, XLSX cells, page text): in Chinese no ASCII
words but a short list of units and codes, in English no Chinese but place names; nowhere
``null``, ``{}``, ``None``, ``nan``, ``true``/``false`` or a float with more than three decimals.

Shared by the report tests (PDF text, every XLSX cell) and the browser tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

#: ASCII words Chinese text may hold, each a unit or a code a Chinese planner writes in Latin
#: letters too: km / m (distance, km² area), h (hours in the "1 h" form of standards), g (peak
#: ground acceleration), Mw / M (moment magnitude, "M≥4.7"), H3 (the grid's name, as on the map),
#: WGS / GCJ / CGCS2000 (coordinate systems, always written so: WGS-84, GCJ-02).
ALLOWED_ZH = frozenset({"km", "m", "h", "g", "Mw", "M", "H3", "WGS", "GCJ", "CGCS2000"})
#: Words no reader should see in either language.
FORBIDDEN = frozenset({"null", "None", "nan", "NaN", "true", "false", "True", "False", "inf"})
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
#: A raw float: more than three decimals (coordinates, shares and rates are rounded for people).
RAW_FLOAT = re.compile(r"(?<![\d.])\d+\.\d{4,}(?![\d])|\d(?:\.\d+)?e[-+]?\d+")
CJK = re.compile(r"[\u3400-\u9fff]+")
#: Identifiers a planner quotes back as they are, removed before the scan: H3 cell ids (15 hex
#: digits), the store's build id (12 hex digits) and facility ids of the planner's own files
#: (capitals then digits, e.g. R0071).
HEX_ID = re.compile(r"\b(?=[0-9a-f]*\d)[0-9a-f]{12,16}\b|\b[A-Z]{1,3}\d{3,}\b")


def problems(text: str, lang: str, *, place_names: Iterable[str] = ()) -> list[str]:
    """What is wrong in ``text`` as a reader in ``lang`` sees it (empty when it is clean).

    Chinese: ASCII words not in ``ALLOWED_ZH``. English: Chinese runs that are not one of
    ``place_names`` (names without a pinyin form). Both: ``FORBIDDEN`` words, ``{}`` and
    raw floats.
    """
    found: list[str] = []
    text = HEX_ID.sub(" ", text)
    words = set(WORD.findall(text))
    found += [f"word {w!r}" for w in sorted(words & FORBIDDEN)]
    if lang == "zh":
        found += [f"ASCII word {w!r}" for w in sorted(words - ALLOWED_ZH - FORBIDDEN)]
    else:
        allowed = set(place_names)
        found += [f"Chinese {c!r}" for c in sorted(set(CJK.findall(text))) if c not in allowed]
    if "{}" in text or "{'" in text or '{"' in text:
        found.append("a Python/JSON mapping")
    found += [f"raw float {f!r}" for f in sorted(set(RAW_FLOAT.findall(text)))]
    return found


_PLACES = {"0.0%": 1, "0.00": 2, "#,##0.00": 2, "#,##0": 0, "0": 0, "0.000": 3, "0.0": 1}


def cell_text(value: object, number_format: str) -> str | None:
    """An XLSX cell as Excel shows it with its number format; None for a float left in the
    General format (the reader would see every digit)."""
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, bool):
        return None
    if number_format == "General":
        return str(value) if float(value).is_integer() else None
    fmt = number_format
    places = _PLACES.get(fmt)
    if places is None:
        return None
    number = Decimal(repr(value * 100 if fmt.endswith("%") else value))
    rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{rounded:,f}" if fmt.startswith("#,##") else f"{rounded:f}"
    return text + ("%" if fmt.endswith("%") else "")


def workbook_problems(path, lang: str, *, place_names: Iterable[str] = ()) -> list[str]:
    """``problems`` of every cell (and sheet name) of an XLSX, each with its sheet and cell."""
    import openpyxl  # noqa: PLC0415

    wb = openpyxl.load_workbook(path)
    out: list[str] = []
    try:
        for ws in wb.worksheets:
            out += [f"sheet name {ws.title!r}: {p}" for p in problems(ws.title, lang, place_names=place_names)]
            for row in ws.iter_rows():
                for cell in row:
                    text = cell_text(cell.value, cell.number_format)
                    if text is None:
                        out.append(f"{ws.title}!{cell.coordinate}: number {cell.value!r} shown raw "
                                   f"(format {cell.number_format})")
                        continue
                    out += [f"{ws.title}!{cell.coordinate} {text[:60]!r}: {p}"
                            for p in problems(text, lang, place_names=place_names)]
    finally:
        wb.close()
    return out
