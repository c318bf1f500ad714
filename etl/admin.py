"""Admin boundaries -> ``admin_units`` and ``admin_cells``; points -> county adcode.

Boundaries may come in GCJ-02 (e.g. AMap-derived outlines) or any CRS the region file names;
every vertex is converted to WGS-84. ``admin_cells`` assigns every H3 cell whose centre lies
in a county (at every configured resolution) to that county, its city and its province.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import h3
import h3.api.basic_int as h3i
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import shapely
from pyproj import Geod

from etl.crs import parse_crs, to_wgs84
from etl.errors import CrsError, DataError, Problem
from etl.region import AdminSource

logger = logging.getLogger(__name__)
_GEOD = Geod(ellps="WGS84")
LEVELS = ("province", "city", "county")


@dataclass
class Admin:
    """Admin units (WGS-84 shapely geometries) with their hierarchy."""

    units: pd.DataFrame  # adcode, name, level, parent, geometry (shapely), province, city

    def counties(self) -> pd.DataFrame:
        return self.units[self.units["level"] == "county"]


def load_admin(src: AdminSource) -> Admin:
    """Read, convert and check the boundary file.

    Raises
    ------
    DataError
        Missing file or columns, unknown CRS, bad adcodes, levels or parents (all listed).
    """
    file = str(src.path)
    if not src.path.is_file():
        raise DataError([Problem("file_not_found", file)])
    try:
        df = pyogrio.read_dataframe(src.path)
    except Exception as exc:  # pyogrio/GDAL raise many types for broken files
        raise DataError([Problem("unreadable_file", file, {"found": str(exc)})]) from None
    cols = {f: src.columns.get(f, f) for f in ("adcode", "name", "level", "parent")}
    problems = [Problem("missing_column", file, {"field": f, "aliases": [c], "found": list(df.columns)})
                for f, c in cols.items() if c not in df.columns]
    try:
        spec = parse_crs(src.crs)
    except CrsError:
        problems.append(Problem("crs_unknown", file, {"found": src.crs}))
    if problems:
        raise DataError(problems)
    units = pd.DataFrame({
        f: [None if pd.isna(v) or str(v).strip() == "" else str(v).strip() for v in df[c]]
        for f, c in cols.items()
    }, dtype=object)
    units["adcode"] = [a[:6] if a else a for a in units["adcode"]]
    for i, row in units.iterrows():
        r = i + 1
        if not (row.adcode and len(row.adcode) == 6 and row.adcode.isdigit()):
            problems.append(Problem("adcode_unknown", file, {"row": r, "found": row.adcode}))
        if row.level not in LEVELS:
            problems.append(Problem("unknown_value", file, {"row": r, "field": "level", "found": row.level,
                                                            "expected": ", ".join(LEVELS)}))
    units, geoms_in, dup_problems = _merge_duplicates(units, df.geometry.values, file)
    problems += dup_problems
    codes = set(units["adcode"])
    for i, p in enumerate(units["parent"]):
        if p and p not in codes:
            problems.append(Problem("unknown_value", file, {"row": i + 1, "field": "parent", "found": p,
                                                            "expected": "an adcode of this file"}))
    if problems:
        raise DataError(problems)

    def convert(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return to_wgs84(x, y, spec)

    geoms = shapely.make_valid(shapely.transform(geoms_in, lambda xy: np.column_stack(convert(xy[:, 0], xy[:, 1]))))
    units["geometry"] = list(geoms)
    by_code = units.set_index("adcode")

    def ancestor(code: str, level: str) -> str | None:
        seen = 0
        while code is not None and seen < 5:
            row = by_code.loc[code]
            if row.level == level:
                return code
            code, seen = row.parent, seen + 1
        return None

    units["province"] = [ancestor(c, "province") for c in units["adcode"]]
    units["city"] = [ancestor(c, "city") for c in units["adcode"]]
    return Admin(units)


def _merge_duplicates(units: pd.DataFrame, geoms: np.ndarray, file: str):
    """A unit drawn as several features (same adcode, name, level, parent) becomes one."""
    problems = []
    keep, merged = [], []
    for code, group in units.groupby("adcode", sort=False, dropna=False):
        rows = group.index.to_numpy()
        attrs = {tuple(None if pd.isna(v) else v for v in r) for r in group[["name", "level", "parent"]].itertuples(index=False)}
        if len(rows) > 1 and len(attrs) > 1:
            problems.append(Problem("duplicate_adcode", file, {"row": int(rows[1]) + 1, "found": code,
                                                               "expected": sorted(map(str, attrs))}))
        keep.append(rows[0])
        merged.append(geoms[rows[0]] if len(rows) == 1 else shapely.union_all(geoms[rows]))
    out = units.loc[keep].reset_index(drop=True)
    return out, np.array(merged, dtype=object), problems


def admin_units_table(admin: Admin) -> pd.DataFrame:
    """The ``admin_units`` store table (WKB geometry, centroid, geodesic area, bbox)."""
    u = admin.units
    geoms = u["geometry"].to_numpy()
    rep = shapely.point_on_surface(geoms)
    area = [abs(_GEOD.geometry_area_perimeter(g)[0]) / 1e6 for g in geoms]
    return pd.DataFrame({
        "adcode": u["adcode"], "name": u["name"], "level": u["level"], "parent": u["parent"],
        "lon": shapely.get_x(rep), "lat": shapely.get_y(rep), "area_km2": area,
        "bbox": [list(b) for b in shapely.bounds(geoms)],
        "geometry": shapely.to_wkb(geoms),
    })


def admin_cells_table(admin: Admin, resolutions: tuple[int, ...]) -> pd.DataFrame:
    """Every cell whose centre lies in a county, per resolution, with county/city/province
    (``admin_cells_arrow`` as a DataFrame)."""
    return admin_cells_arrow(admin, resolutions).to_pandas()


def admin_cells_arrow(admin: Admin, resolutions: tuple[int, ...]) -> pa.Table:
    """Every cell whose centre lies in a county, per resolution, with county/city/province.

    h3's polyfill tests each cell centre against every polygon edge, so detailed outlines
    are slow at fine resolutions. There each county is cut into tiles about 40 cells wide
    first: a centre lies in the county exactly when it lies in one of its tiles.

    Rows are assembled as arrays (cell ids and a county number) and the three adcode columns
    are made once at the end: a first build's 3.4 M rows as per-county frames of strings
    held ~0.4 GB.
    """
    counties = admin.counties()
    res_parts, cell_parts, unit_parts = [], [], []
    for res in resolutions:
        tile = 40 * 2 * h3.average_hexagon_edge_length(res, "km") / 111.0  # degrees
        for i, geom in enumerate(counties["geometry"]):
            pieces = _tiles(geom, tile) if res >= 8 else [geom]
            cells = np.asarray([c for piece in pieces for c in h3i.h3shape_to_cells(_h3shape(piece), res)],
                               dtype=np.uint64)
            if cells.size:
                res_parts.append(np.full(cells.size, res, dtype=np.int8))
                cell_parts.append(cells)
                unit_parts.append(np.full(cells.size, i, dtype=np.int32))
    res_col = np.concatenate(res_parts) if res_parts else np.zeros(0, np.int8)
    cell_col = np.concatenate(cell_parts) if cell_parts else np.zeros(0, np.uint64)
    unit = np.concatenate(unit_parts) if unit_parts else np.zeros(0, np.int32)
    del res_parts, cell_parts, unit_parts
    # a centre exactly on a shared border or tile edge can be found twice: keep the first
    # (a cell id carries its resolution, so the cell alone is the key)
    keep = np.sort(np.unique(cell_col, return_index=True)[1])
    unit = pa.array(unit[keep])
    codes = {"county": "adcode", "city": "city", "province": "province"}
    return pa.table({"res": pa.array(res_col[keep]), "cell": pa.array(cell_col[keep]),
                     **{col: pa.array(counties[src].tolist(), type=pa.string()).take(unit)
                        for col, src in codes.items()}})


def _tiles(geom, step: float) -> list:
    """``geom`` cut by a grid of ``step``-degree squares (polygonal pieces only)."""
    x0, y0, x1, y1 = shapely.bounds(geom)
    xs = np.arange(np.floor(x0 / step) * step, x1, step)
    ys = np.arange(np.floor(y0 / step) * step, y1, step)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    boxes = shapely.box(gx, gy, gx + step, gy + step)
    boxes = boxes[shapely.intersects(geom, boxes)]
    out = []
    for piece in shapely.intersection(geom, boxes):
        polys = [p for p in shapely.get_parts(piece) if p.geom_type == "Polygon" and not p.is_empty]
        out.extend(polys)
    return out


def _h3shape(geom) -> h3.H3Shape:
    return h3.geo_to_h3shape(shapely.geometry.mapping(geom))


def cached_admin_cells(admin: Admin, resolutions: tuple[int, ...], source: Path, cache_dir: Path | None) -> pd.DataFrame:
    """``admin_cells_table``, cached by the boundary file's content and the resolutions."""
    if cache_dir is None:
        return admin_cells_table(admin, resolutions)
    return pd.read_parquet(cached_admin_cells_path(admin, resolutions, source, cache_dir))


def cached_admin_cells_path(admin: Admin, resolutions: tuple[int, ...], source: Path, cache_dir: Path) -> Path:
    """The Parquet file of ``admin_cells_table`` in ``cache_dir`` (computed if missing)."""
    digest = hashlib.sha256(source.read_bytes() + repr(tuple(resolutions)).encode()).hexdigest()[:16]
    path = Path(cache_dir) / f"admin-cells-{digest}.parquet"
    if path.is_file():
        return path
    table = admin_cells_arrow(admin, resolutions)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp)
    tmp.replace(path)
    return path


def point_adcodes(admin: Admin, lon: np.ndarray, lat: np.ndarray) -> list[str | None]:
    """The county adcode containing each point (None outside every county)."""
    counties = admin.counties()
    tree = shapely.STRtree(counties["geometry"].to_numpy())
    pts = shapely.points(np.asarray(lon, float), np.asarray(lat, float))
    idx_pt, idx_poly = tree.query(pts, predicate="intersects")
    out: list[str | None] = [None] * len(pts)
    codes = counties["adcode"].to_numpy()
    for p, g in zip(idx_pt.tolist(), idx_poly.tolist()):
        if out[p] is None:
            out[p] = codes[g]
    return out
