"""Analysis tables -> files by extension: .csv, .xlsx, .parquet, .geojson (H3 cells as polygons).

CSV is UTF-8 with a BOM so that Excel shows Chinese; GeoJSON turns an H3 ``cell`` column into
hexagon polygons ([lng, lat], closed rings) and any ``lon``/``lat`` pair into points.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import h3
import pandas as pd

from layers.safe_cells import safe_frame
from layers.store import json_ready

FORMATS = (".csv", ".xlsx", ".parquet", ".geojson")
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row


def to_geojson(df: pd.DataFrame) -> dict[str, Any]:
    """A FeatureCollection: one feature per row, a hexagon from ``cell`` or a point from lon/lat.

    Raises
    ------
    ValueError
        Neither a ``cell`` column nor ``lon`` and ``lat`` columns.
    """
    if "cell" in df.columns:
        # h3 gives (lat, lng) counter-clockwise; GeoJSON wants [lng, lat], a closed ring
        geometry = [{"type": "Polygon", "coordinates": [[[lng, lat] for lat, lng in
                                                         h3.cell_to_boundary(c)]]} for c in df["cell"]]
        for g in geometry:
            ring = g["coordinates"][0]
            ring.append(ring[0])
    elif {"lon", "lat"} <= set(df.columns):
        geometry = [{"type": "Point", "coordinates": [float(x), float(y)]} for x, y in zip(df["lon"], df["lat"])]
    else:
        raise ValueError("GeoJSON needs a 'cell' column (H3) or 'lon' and 'lat' columns; "
                         f"the table has {list(df.columns)}. Write .csv, .xlsx or .parquet instead.")
    records = df.to_dict(orient="records")
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": g, "properties": {k: json_ready(v) for k, v in r.items()}}
        for g, r in zip(geometry, records)]}


#: The mark of internal tables in each language, and the CSV column that carries it.
INTERNAL = {"zh": "内部资料", "en": "Internal"}
MARK_COLUMNS = {"内部资料": "密级", "Internal": "Classification"}


def internal_mark(lang: str) -> str:
    """内部资料 (or Internal in English): the ``mark`` of exports of internal tables."""
    return INTERNAL["en" if lang == "en" else "zh"]


def write_csv(df: pd.DataFrame, path: str | Path, *, mark: str | None = None) -> Path:
    """``df`` as CSV for Excel: UTF-8 with a BOM, text cells ``safe_frame``-neutralised, CRLF rows
    (RFC 4180: a CR inside a cell is then quoted instead of ending the row).

    ``mark`` (内部资料) becomes a first column (密级 / Classification) on every row: the header
    stays the first line, so Excel, WPS and ``pandas.read_csv`` open the file as before, and a
    row copied or filtered out of it keeps the mark (a comment line above the header would be
    read as the header)."""
    if mark:
        df = df.copy()
        df.insert(0, MARK_COLUMNS.get(mark, "Classification"), mark, allow_duplicates=True)
    safe_frame(df).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return Path(path)


def write_sheets(target: Any, frames: dict[str, pd.DataFrame], *, mark: str | None = None) -> None:
    """Several tables as one XLSX workbook at ``target`` (a path or a binary buffer).

    Sheet names lose the characters Excel forbids and are cut to 31; text cells are
    ``safe_frame``-neutralised. ``mark`` (e.g. 内部资料 for internal tables) goes into every
    sheet's printed header, the workbook's keywords, and a last sheet of that name.
    """
    with pd.ExcelWriter(target, engine="openpyxl") as xl:
        for name, df in frames.items():
            safe_frame(df).to_excel(xl, sheet_name=_sheet_name(name), index=False)
        if mark:
            pd.DataFrame({mark: []}).to_excel(xl, sheet_name=_sheet_name(mark), index=False)
            for ws in xl.book.worksheets:
                ws.oddHeader.center.text = ws.evenHeader.center.text = mark
            xl.book.properties.keywords = mark


def _sheet_name(name: str) -> str:
    return "".join("-" if ch in "[]:*?/\\" else ch for ch in str(name))[:31]


def write_table(df: pd.DataFrame, path: str | Path, *, sheet: str = "result",
                about: dict[str, Any] | None = None, mark: str | None = None) -> Path:
    """Write ``df`` to ``path`` in the format its extension names; returns the path.

    ``about`` (method, parameters, sources) goes to an "about" sheet (.xlsx), the file's
    key-value metadata (.parquet) or a top-level "about" member (.geojson); CSV has no place
    for it. ``mark`` (``internal_mark``: internal tables) goes into the CSV as a first column, the
    XLSX as ``write_sheets`` puts it, and the others' "about" as ``classification``.

    Raises
    ------
    ValueError
        An extension not in ``FORMATS``, or more rows than an Excel sheet holds.
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in FORMATS:
        raise ValueError(f"cannot write {path.name}: the extension must be one of {', '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if mark:
        about = {**(about or {}), "classification": mark}
    if ext == ".csv":
        write_csv(df, path, mark=mark)
    elif ext == ".xlsx":
        if len(df) > XLSX_MAX_ROWS:
            raise ValueError(f"{len(df):,} rows do not fit an Excel sheet ({XLSX_MAX_ROWS:,} at most); "
                             "write .csv or .parquet, or choose a coarser resolution")
        frames = {sheet: df}
        if about:
            frames["about"] = pd.DataFrame({"key": list(about), "value": [
                json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v for v in about.values()]})
        write_sheets(path, frames, mark=mark)
    elif ext == ".parquet":
        import pyarrow as pa  # noqa: PLC0415
        import pyarrow.parquet as pq  # noqa: PLC0415

        table = pa.Table.from_pandas(df, preserve_index=False)
        if about:
            meta = dict(table.schema.metadata or {})
            meta[b"onemap.about"] = json.dumps(about, ensure_ascii=False).encode("utf-8")
            table = table.replace_schema_metadata(meta)
        pq.write_table(table, path)
    else:
        data = to_geojson(df)
        if about:
            data["about"] = about
        path.write_text(json.dumps(data, ensure_ascii=False, allow_nan=False), encoding="utf-8")
    return path
