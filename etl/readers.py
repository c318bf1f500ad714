"""Read one planner's table file into strings, exactly as the planner wrote it.

``read_table`` turns CSV/TXT/TSV, XLSX, GeoJSON, Shapefile, GeoPackage and (Geo)Parquet files
into a :class:`RawTable`: text cells, the row numbers a planner sees, point coordinates of any
geometry and how the file was decoded. It interprets nothing; ``etl.columns`` and the loaders
do. A bad file never gives a traceback: library errors become one ``DataError``.

Decisions: cells are stripped (incl. the full-width space) and empty ones are None; all-empty
rows are dropped but still counted. Delimited text is parsed by the ``csv`` module (quoted
delimiters and newlines, any one-character delimiter such as ``，``); a quoted multi-line cell
is one row, as in a spreadsheet. Excel numbers come out as Excel shows them: integral values
without ``.0``, others with at most 15 significant digits; booleans as ``"true"``/``"false"``;
dates as ISO 8601.

The module is long (~470 lines): one reader per file format, sharing the encoding and header
detection that make a planner's file load as it comes.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import logging
import math
import numbers
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas
import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import pyogrio.errors
import shapely
from openpyxl.utils.exceptions import InvalidFileException

from etl.encoding import (
    DELIMITER_NAMES, decode_text, shp_encoding, sniff_delimiter,
)
from etl.errors import DataError, Problem
from etl.region import TableSource

logger = logging.getLogger(__name__)

__all__ = ["FORMATS", "RawTable", "read_table"]

#: File extension -> reader family.
FORMATS: dict[str, str] = {
    ".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".geojson": "geojson",
    ".json": "geojson", ".shp": "shp", ".gpkg": "gpkg", ".parquet": "parquet",
}
_MAX_ROW_PROBLEMS = 20
_PARQUET_ERRORS = (pa.ArrowException, OSError, ValueError)
_OGR_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
               pyogrio.errors.FieldError, pyogrio.errors.GeometryError,
               pyogrio.errors.CRSError, pyogrio.errors.FeatureError, OSError)
_XLSX_ERRORS = (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError,
                SyntaxError, EOFError)


@dataclass
class RawTable:
    """One table file as text.

    Attributes
    ----------
    frame
        One column per file column (names stripped; for headerless files the field names
        from ``column_order``); every cell a ``str`` or ``None``.
    row_numbers
        int64, one per frame row: the row a planner sees. With a header row the first
        data row is 2 (as in a spreadsheet); headerless files start at 1; GeoJSON,
        Shapefile, GeoPackage and Parquet use feature index + 1.
    x, y
        float64 point coordinates from the geometry, in the file's own CRS (representative
        point for lines and polygons; NaN for empty or missing geometry), or None when the
        file has no geometry.
    file_crs
        The CRS stored in the file (``"EPSG:4326"`` or WKT), else None. GeoJSON always
        reports WGS-84 (RFC 7946) even when its coordinates are really GCJ-02.
    encoding
        The text encoding used (``"utf-8"``, ``"utf-8-sig"``, ``"gb18030"``, ...) for text
        files and shapefiles, else None.
    sha256
        Hex digest of the file bytes (shapefile: .shp + .dbf + .prj + .cpg, in that order).
    format
        ``"csv"``, ``"xlsx"``, ``"geojson"``, ``"shp"``, ``"gpkg"``, ``"parquet"`` or
        ``"geoparquet"``.
    blank_rows
        Blank or delimiter-only rows between the header and the last data row (text and
        Excel): not in ``frame``, but counted in a source's ``rows_in``.
    """

    frame: pd.DataFrame
    row_numbers: np.ndarray
    x: np.ndarray | None
    y: np.ndarray | None
    file_crs: str | None
    encoding: str | None
    sha256: str
    format: str
    blank_rows: int = 0


def _fail(code: str, file: str, **params: Any) -> DataError:
    return DataError([Problem(code, file, params)])


def read_table(src: TableSource) -> RawTable:
    """Read the file of a table source into strings.

    Parameters
    ----------
    src
        What the region file says about the table: path, and optionally ``encoding``,
        ``delimiter``, ``header``/``column_order``, ``sheet`` or ``layer``.

    Returns
    -------
    RawTable

    Raises
    ------
    etl.errors.DataError
        ``file_not_found``, ``unsupported_format``, ``unreadable_file``,
        ``encoding_undetected``, ``encoding_wrong``, ``encoding_unknown_name``,
        ``sheet_not_found``, ``layer_not_found``, ``shapefile_part_missing``,
        ``empty_file``, ``column_order_mismatch`` or ``row_extra_cells``.

    Examples
    --------
    >>> raw = read_table(TableSource("parks", "p", Path("parks.csv")))  # doctest: +SKIP
    >>> raw.frame.columns.tolist(), raw.row_numbers[:2]  # doctest: +SKIP
    (['名称', '经度', '纬度'], array([2, 3]))
    """
    path = Path(src.path)
    file = str(path)
    if not path.is_file():
        raise _fail("file_not_found", file)
    family = FORMATS.get(path.suffix.lower())
    if family is None:
        raise _fail("unsupported_format", file, found=path.suffix or path.name,
                    expected=list(FORMATS))
    if family == "csv":
        table = _read_text(src, path, file)
    elif family == "xlsx":
        table = _read_xlsx(src, path, file)
    elif family == "parquet":
        table = _read_parquet(path, file)
    else:
        table = _read_vector(src, path, file, family)
    if len(table.frame) == 0:
        raise _fail("empty_file", file)
    logger.info("%s: %d rows, %d columns (%s, encoding %s)", file, len(table.frame),
                table.frame.shape[1], table.format, table.encoding)
    return table


# --- cells and rows -------------------------------------------------------------------------


def _sha256(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        with p.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _text(value: Any, excel: bool = False) -> str | None:
    """A cell value as stripped text, or None when empty. ``excel``: 15 significant digits."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        v = float(value)
        if math.isnan(v):
            return None
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        if isinstance(value, np.float32):
            return str(value)  # shortest float32 text: "116.29", not "116.29000091552734"
        return f"{v:.15g}" if excel else repr(v)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple, np.ndarray)):
        parts = [t for t in (_text(v, excel) for v in value) if t is not None]
        return ";".join(parts) or None
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value).strip() or None


def _build(records: list[tuple[int, list[str | None]]], src: TableSource, file: str,
           delimited: bool) -> tuple[pd.DataFrame, np.ndarray]:
    """Frame and row numbers from ``(row number, cells)`` records of a text or Excel table.

    In delimited text a row with more (non-empty) cells than the header has a misplaced
    delimiter, which is an error; in Excel such cells just lack a header (``Unnamed: i``).
    """
    filled = [(n, cells) for n, cells in records if any(c is not None for c in cells)]
    # blank or delimiter-only rows between the header (or first row) and the last data row:
    # skipped, but counted in rows_in (trailing empty lines of a file or sheet are not rows)
    span = (filled[1 if src.header else 0][0], filled[-1][0]) if len(filled) > int(src.header) else (0, -1)
    blank = sum(1 for n, cells in records if span[0] < n < span[1] and all(c is None for c in cells))
    records = filled
    problems: list[Problem] = []
    if src.header:
        if not records:
            raise _fail("empty_file", file)
        (_, head), body = records[0], records[1:]
        width = len(head) if delimited else max(_last_filled(c) for _, c in records)
        names = [head[i] if i < len(head) and head[i] else "" for i in range(width)]
        keep = [i for i, name in enumerate(names)
                if name or any(i < len(c) and c[i] is not None for _, c in body)]
        names = _unique([names[i] or f"Unnamed: {i}" for i in keep])
    else:
        order, body = list(src.column_order), records
        if not body:
            raise _fail("empty_file", file)
        raw = max((len(c) for _, c in body), default=0)
        data = max((_last_filled(c) for _, c in body), default=0)
        if data > len(order) or raw < len(order):
            found = raw if raw < len(order) else data
            raise _fail("column_order_mismatch", file, found=found, expected=len(order))
        dupes = sorted({f for f in order if f and order.count(f) > 1})
        if dupes:
            raise _fail("region_bad_value", file, key="column_order", found=repr(dupes),
                        expected="each field at most once")
        width = len(order)
        keep = [i for i, f in enumerate(order) if f]
        names = [order[i] for i in keep]
    for n, cells in body:
        extra = _last_filled(cells)
        if extra > width:
            problems.append(Problem("row_extra_cells", file,
                                    {"row": n, "found": extra, "expected": width}))
    if problems:
        more = len(problems) - _MAX_ROW_PROBLEMS
        problems = problems[:_MAX_ROW_PROBLEMS]
        if more > 0:
            problems.append(Problem("more_rows", file, {"n": more, "code": "row_extra_cells"}))
        raise DataError(problems)
    columns = {name: [c[i] if i < len(c) else None for _, c in body]
               for name, i in zip(names, keep)}
    frame = pd.DataFrame(columns, dtype=object, columns=names)
    return frame, np.array([n for n, _ in body], dtype=np.int64), blank


def _last_filled(cells: list[str | None]) -> int:
    """1 + the index of the last non-empty cell (0 if none)."""
    for i in range(len(cells) - 1, -1, -1):
        if cells[i] is not None:
            return i + 1
    return 0


def _unique(names: list[str]) -> list[str]:
    """Make duplicate column names unique the pandas way (``a``, ``a.1``, ``a.2``)."""
    seen: Counter[str] = Counter()
    out = []
    for name in names:
        new = name if not seen[name] else f"{name}.{seen[name]}"
        seen[name] += 1
        out.append(new)
    if out != names:
        logger.warning("duplicate column names renamed: %s", [n for n in out if n not in names])
    return out


# --- delimited text ---------------------------------------------------------------------------








def _read_text(src: TableSource, path: Path, file: str) -> RawTable:
    data = path.read_bytes()
    text, encoding = decode_text(data, src.encoding, file)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise _fail("empty_file", file)
    delimiter = src.delimiter
    if delimiter is not None:
        delimiter = DELIMITER_NAMES.get(delimiter.strip().lower(), delimiter)
        if len(delimiter) != 1:
            raise _fail("region_bad_value", file, key="delimiter", found=repr(src.delimiter),
                        expected="one character, e.g. \",\" or \"\\t\"")
    else:
        delimiter = sniff_delimiter(text)
    logger.debug("%s: encoding %s, delimiter %r", file, encoding, delimiter)
    try:
        records = [(n, [_text(c) for c in row]) for n, row in
                   enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 1)]
    except csv.Error as exc:
        raise _fail("unreadable_file", file, found=str(exc)) from None
    frame, rows, blank = _build(records, src, file, delimited=True)
    return RawTable(frame, rows, None, None, None, encoding, _sha256([path]), "csv", blank)


# --- Excel ------------------------------------------------------------------------------------


def _read_xlsx(src: TableSource, path: Path, file: str) -> RawTable:
    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it drops (data validation, default styles); they
            # do not affect cell values, so they are not the planner's concern.
            warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl\.")
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                sheets = list(book.sheetnames)
                name = src.sheet if src.sheet is not None else sheets[0]
                if name not in sheets:
                    raise _fail("sheet_not_found", file, found=name, expected=sheets)
                sheet = book[name]
                sheet.reset_dimensions()  # some writers store a wrong used range
                records = [(n, [_text(v, excel=True) for v in row]) for n, row in
                           enumerate(sheet.iter_rows(min_row=1, min_col=1, values_only=True), 1)]
            finally:
                book.close()
    except DataError:
        raise
    except _XLSX_ERRORS as exc:
        raise _fail("unreadable_file", file, found=f"{type(exc).__name__}: {exc}") from None
    frame, rows, blank = _build(records, src, file, delimited=False)
    return RawTable(frame, rows, None, None, None, None, _sha256([path]), "xlsx", blank)


# --- vector formats -----------------------------------------------------------------------------


def _frame_text(df: pd.DataFrame) -> pd.DataFrame:
    """Every column of ``df`` as text cells (``str`` or None), column names stripped."""
    names = _unique([str(c).strip() for c in df.columns])
    data = {n: [_text(v) for v in (list(s.to_numpy()) if s.dtype == np.float32 else s.tolist())]
            for n, s in zip(names, (df.iloc[:, i] for i in range(df.shape[1])))}
    return pd.DataFrame(data, dtype=object, columns=names)


def _points(geoms: Any) -> tuple[np.ndarray, np.ndarray]:
    """x, y of point geometries, representative points of the others, NaN if missing/empty."""
    geoms = np.asarray(geoms, dtype=object)
    geoms = np.where(shapely.is_missing(geoms) | shapely.is_empty(geoms), None, geoms)
    pts = geoms.copy()
    other = ~shapely.is_missing(geoms) & (shapely.get_type_id(geoms) != 0)
    if other.any():
        try:
            pts[other] = shapely.point_on_surface(geoms[other])
        except shapely.errors.GEOSException:
            pts[other] = [_one_point(g) for g in geoms[other]]
    return shapely.get_x(pts).astype(np.float64), shapely.get_y(pts).astype(np.float64)


def _one_point(geom: Any) -> Any:
    """Representative point of one (possibly invalid) geometry, else its centroid, else None."""
    for fn in (shapely.point_on_surface, shapely.centroid):
        try:
            return fn(geom)
        except shapely.errors.GEOSException:
            continue
    return None


def _crs_text(crs: Any) -> str | None:
    if crs is None:
        return None
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg is not None else crs.to_wkt()


def _sibling(path: Path, ext: str) -> Path | None:
    """The file next to ``path`` with the same stem and extension ``ext`` (any case)."""
    exact = path.with_suffix(ext)
    if exact.is_file():
        return exact
    for p in path.parent.iterdir():
        if p.stem == path.stem and p.suffix.lower() == ext and p.is_file():
            return p
    return None










def _read_vector(src: TableSource, path: Path, file: str, family: str) -> RawTable:
    encoding, hashed = None, [path]
    try:
        if family == "shp":
            missing = [e for e in (".shx", ".dbf") if _sibling(path, e) is None]
            if missing:
                raise _fail("shapefile_part_missing", file, found=missing,
                            expected=[path.with_suffix(e).name for e in (".shx", ".dbf")])
            hashed = [p for e in (".shp", ".dbf", ".prj", ".cpg")
                      if (p := (path if e == ".shp" else _sibling(path, e))) is not None]
            encoding = shp_encoding(_sibling(path, ".dbf"), _sibling(path, ".cpg"), src, file)
        layers = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
        if not layers:
            raise _fail("empty_file", file)
        layer = src.layer if src.layer is not None else layers[0]
        if layer not in layers:
            raise _fail("layer_not_found", file, found=layer, expected=layers)
        df = pyogrio.read_dataframe(path, layer=layer, encoding=encoding)
    except _OGR_ERRORS as exc:
        raise _fail("unreadable_file", file, found=str(exc)) from None
    x = y = file_crs = None
    if isinstance(df, geopandas.GeoDataFrame):
        x, y = _points(df.geometry.array)
        file_crs = _crs_text(df.crs)
        df = pd.DataFrame(df.drop(columns=df.geometry.name))
    rows = np.arange(1, len(df) + 1, dtype=np.int64)
    return RawTable(_frame_text(df), rows, x, y, file_crs, encoding, _sha256(hashed), family)


# --- Parquet ------------------------------------------------------------------------------------


def _arrow_values(column: pa.ChunkedArray) -> list:
    """Python values of an Arrow column; float32 stays float32 so it prints as written."""
    if pa.types.is_float32(column.type):
        return list(column.to_numpy())
    return column.to_pylist()


def _read_parquet(path: Path, file: str) -> RawTable:
    try:
        meta = pq.read_schema(path).metadata or {}
        if b"geo" in meta:
            gdf = geopandas.read_parquet(path)
            x, y = _points(gdf.geometry.array)
            df, crs, fmt = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)), gdf.crs, "geoparquet"
        else:
            table = pq.read_table(path)
            names = [n for n in table.column_names if not n.startswith("__index_level_")]
            df = pd.DataFrame({n: _arrow_values(table.column(n)) for n in names}, dtype=object,
                              columns=names)
            x = y = crs = None
            fmt = "parquet"
    except _PARQUET_ERRORS as exc:
        raise _fail("unreadable_file", file, found=str(exc)) from None
    rows = np.arange(1, len(df) + 1, dtype=np.int64)
    return RawTable(_frame_text(df), rows, x, y, _crs_text(crs), None, _sha256([path]), fmt)
