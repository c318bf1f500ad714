"""Vector hazard layers: zoning polygons, event catalogues and lines -> ``hazard_cells`` rows.

A ``[hazards.<name>]`` table with ``kind = "zones" | "events" | "lines"`` gives the same
per-cell statistics a raster gives (``count``, ``min``, ``max``, ``mean``, ``p90``, shares at
or above each break, ``class``), so the map, cards, gaps, reports and the index work on it
unchanged. Methods (each layer's is written into the store's ``meta``):

- **zones** (polygons with a value, or a class mapped to a value): per finest cell the exact
  area of cell ∩ zone (shapely, in a Lambert azimuthal equal-area projection centred on the
  data), overlaps resolved by the declared rule (``max`` by default: where zones overlap the
  higher value holds). ``count`` = covered area in m², shares = area with value >= break over
  the cell's area, ``mean`` area-weighted, ``p90`` the value at 90 % of the covered area.
  Cells no zone touches have no row ("no data", not class 0). Coarser cells sum the areas of
  their finest children (exact roll-up).
- **events** (points with optional magnitude and date): rows without a position or with
  impossible values are rejected; rows without times are kept. ``statistic`` chooses the
  layer's value: ``max_magnitude`` (min/max/mean/p90 of magnitudes in the cell), ``count``,
  ``rate`` (events per ``rate_per_km2`` km² per year over the declared period) or
  ``smoothed_rate`` (Gaussian kernel density, Frankel 1995: sum over events of
  exp(-d²/2σ²)/(2πσ²) with great-circle d, σ = ``bandwidth_km``, truncated at 4σ, divided by
  the period's years). ``count`` = events in the cell at every resolution (exact totals).
- **lines**: per cell the great-circle distance (km) from the cell centre to the nearest line
  (vertices joined by great-circle arcs), classed by distance bands: class = number of bands
  the distance is below, so nearer is a higher class; ``count`` = finest cells below.
"""

from __future__ import annotations

import datetime as dt
import os
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as _field
from pathlib import Path
from typing import Any

import h3
import numpy as np
import pandas as pd
import pyproj
import shapely

from etl.crs import CrsSpec, parse_crs, to_wgs84
from etl.errors import CrsError, DataError, Problem
from etl.zonemap import latlng_to_cells

logger = logging.getLogger(__name__)

KINDS = ("zones", "events", "lines")
STATISTICS = ("max_magnitude", "count", "rate", "smoothed_rate")
OVERLAP_RULES = ("max", "min")
EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius
KERNEL_CUTOFF = 4.0  # Gaussian kernel truncated at 4 sigma (keeps 99.97 % of each event's weight)
MAX_CELLS = 6_000_000  # cells one layer may cover at one resolution (memory guard)
VECTOR_KEYS = {
    "kind", "path", "units", "breaks", "labels", "crs", "layer", "columns", "field", "values",
    "overlap", "statistic", "min_magnitude", "period", "bandwidth_km", "rate_per_km2",
    "synthetic", "description", "source", "encoding", "delimiter",
}
_EVENT_FIELDS = {
    "lon": ("lon", "经度", "经", "lng", "longitude", "x"),
    "lat": ("lat", "纬度", "纬", "latitude", "y"),
    "magnitude": ("magnitude", "mag", "mw", "ms", "ml", "m", "震级"),
    "year": ("year", "年", "年份"),
    "month": ("month", "月"),
    "day": ("day", "日"),
}


@dataclass(frozen=True)
class VectorHazardSource:
    """One vector hazard layer of the region file (``kind`` zones, events or lines)."""

    hazard: str
    kind: str
    path: Path
    units: str
    breaks: tuple[float, ...]
    labels: tuple[str, ...]
    crs: str | None = None
    layer: str | None = None
    columns: dict[str, str] = _field(default_factory=dict)
    field: str | None = None
    values: dict[str, float] = _field(default_factory=dict)
    overlap: str = "max"
    statistic: str = "max_magnitude"
    min_magnitude: float | None = None
    period: tuple[int, int] | None = None
    bandwidth_km: float = 20.0
    rate_per_km2: float = 1.0
    synthetic: bool = False
    description: str = ""
    source: str = ""
    encoding: str | None = None
    delimiter: str | None = None
    # raster-only attributes, so code that reads RasterSource fields never fails
    band: int = 0

    @property
    def lower_is_worse(self) -> bool:
        """Lines: a smaller value (distance) is the higher hazard class."""
        return self.kind == "lines"

    def method(self) -> str:
        """The method sentence written into ``meta`` for this layer."""
        if self.kind == "zones":
            return (f"zones: exact area of H3 cell ∩ zone polygon (shapely, Lambert azimuthal equal-area); "
                    f"overlaps resolved by {self.overlap}; shares = area with value >= break / cell area; "
                    "count = covered m²; cells outside every zone have no row; coarser cells sum their "
                    "finest children's areas; invalid polygons repaired (shapely.make_valid)")
        if self.kind == "lines":
            return ("lines: great-circle distance (km) from each cell centre to the nearest line "
                    "(vertices joined by great-circle arcs); class = number of distance bands the "
                    "distance is below (nearer = higher class)")
        period = f"{self.period[0]}–{self.period[1]}" if self.period else "all years"
        mmin = f"M >= {self.min_magnitude:g}" if self.min_magnitude is not None else "all magnitudes"
        what = {
            "max_magnitude": "min/max/mean/p90 of event magnitudes in the cell",
            "count": "number of events in the cell",
            "rate": f"events per {self.rate_per_km2:g} km² per year (count / cell area / years)",
            "smoothed_rate": (f"Gaussian kernel-smoothed rate (Frankel 1995), sigma = {self.bandwidth_km:g} km, "
                              f"truncated at {KERNEL_CUTOFF:g} sigma, great-circle distances, events per "
                              f"{self.rate_per_km2:g} km² per year at the cell centre"),
        }[self.statistic]
        return f"events ({mmin}, {period}): {what}; count = events in the cell (exact at every resolution)"


# --- region-file parsing ----------------------------------------------------------------------


def line_labels(bands: Sequence[float], units: str) -> tuple[str, ...]:
    """Labels of distance classes, class 0 (farthest) first: ``≥b_n``, ``b_(n-1)–b_n`` .. ``<b_1``."""
    u = f" {units}" if units else ""
    b = [f"{float(v):g}" for v in bands]
    return (f"≥{b[-1]}{u}", *(f"{lo}–{hi}{u}" for lo, hi in reversed(list(zip(b, b[1:])))), f"<{b[0]}{u}")


def parse_vector_hazard(name: str, item: dict, ck: Any, base: Path, breaks: list | None,
                        labels: list, units: str | None, default_labels: Any) -> VectorHazardSource | None:
    """A ``[hazards.<name>]`` table of kind zones/events/lines (``ck``: the region checker)."""
    prefix = f"hazards.{name}."
    kind = item["kind"]
    ck.unknown(item, VECTOR_KEYS, prefix)
    p = ck.get(item, "path", str, prefix, "the file path")
    overlap = ck.get(item, "overlap", str, prefix, "max or min", "max")
    if overlap not in OVERLAP_RULES:
        ck.add("region_bad_value", key=f"{prefix}overlap", found=repr(overlap), expected="max or min")
    statistic = ck.get(item, "statistic", str, prefix, "max_magnitude, count, rate or smoothed_rate", "max_magnitude")
    if kind == "events" and statistic not in STATISTICS:
        ck.add("region_bad_value", key=f"{prefix}statistic", found=repr(statistic),
               expected="max_magnitude, count, rate or smoothed_rate")
    period = ck.get(item, "period", list, prefix, "[first year, last year]", None)
    if period is not None and not (len(period) == 2 and all(isinstance(y, int) and not isinstance(y, bool) for y in period)
                                   and period[0] <= period[1]):
        ck.add("region_bad_value", key=f"{prefix}period", found=repr(period), expected="[first year, last year]")
        period = None
    if kind == "events" and statistic in ("rate", "smoothed_rate") and period is None and "period" not in item:
        ck.add("region_missing_key", key=f"{prefix}period", expected="[first year, last year]")
    nums = {k: ck.get(item, k, (int, float), prefix, "a positive number", None)
            for k in ("bandwidth_km", "rate_per_km2", "min_magnitude")}
    for k in ("bandwidth_km", "rate_per_km2"):
        if nums[k] is not None and nums[k] <= 0:
            ck.add("region_bad_value", key=f"{prefix}{k}", found=repr(nums[k]), expected="a positive number")
            nums[k] = None
    values = ck.get(item, "values", dict, prefix, 'a table of class = value, e.g. { "高" = 3 }', {})
    bad = {k: v for k, v in values.items() if not isinstance(v, (int, float)) or isinstance(v, bool)}
    if bad:
        ck.add("region_bad_value", key=f"{prefix}values", found=repr(bad), expected="numbers")
    if kind == "zones" and "field" not in item:
        ck.add("region_missing_key", key=f"{prefix}field", expected="the column holding each zone's value or class")
    columns = ck.get(item, "columns", dict, prefix, 'a table of field = "column name"', {})
    for key in columns:
        if key not in _EVENT_FIELDS:
            ck.add("region_unknown_key", key=f"{prefix}columns.{key}", expected=list(_EVENT_FIELDS))
    if p is None or breaks is None or units is None:
        return None
    brk = tuple(float(b) for b in breaks)
    labs = tuple(str(x) for x in labels) or (line_labels(brk, units) if kind == "lines" else default_labels(brk, units))
    return VectorHazardSource(
        hazard=name, kind=kind, path=Path(os.path.normpath(base / p)),
        units=units, breaks=brk, labels=labs,
        crs=ck.get(item, "crs", str, prefix, "WGS84, CGCS2000, GCJ02, BD09, EPSG:n or WKT", None),
        layer=ck.get(item, "layer", str, prefix, "a layer name", None),
        columns={k: v for k, v in columns.items() if isinstance(v, str)},
        field=ck.get(item, "field", str, prefix, "a column name (string)", None),
        values={str(k): float(v) for k, v in values.items() if k not in bad},
        overlap=overlap if overlap in OVERLAP_RULES else "max",
        statistic=statistic if statistic in STATISTICS else "max_magnitude",
        min_magnitude=None if nums["min_magnitude"] is None else float(nums["min_magnitude"]),
        period=tuple(period) if period else None,  # type: ignore[arg-type]
        bandwidth_km=float(nums["bandwidth_km"] or 20.0), rate_per_km2=float(nums["rate_per_km2"] or 1.0),
        synthetic=ck.get(item, "synthetic", bool, prefix, "true or false", False),
        description=ck.get(item, "description", str, prefix, "text", ""),
        source=ck.get(item, "source", str, prefix, "text", ""),
        encoding=ck.get(item, "encoding", str, prefix, "an encoding such as gbk", None),
        delimiter=ck.get(item, "delimiter", str, prefix, "one character", None),
    )


# --- reading ----------------------------------------------------------------------------------


@dataclass
class VectorInput:
    """What was read: WGS-84 geometries or points, values, rejects and counts."""

    rows_in: int
    crs: str
    rejects: list[dict[str, Any]] = _field(default_factory=list)
    geoms: np.ndarray | None = None  # shapely geometries, lon/lat
    values: np.ndarray | None = None  # zone values
    lon: np.ndarray | None = None
    lat: np.ndarray | None = None
    magnitude: np.ndarray | None = None
    year: np.ndarray | None = None
    repaired: int = 0
    filtered: int = 0


def _spec(src: VectorHazardSource, file_crs: Any, cli: bool) -> CrsSpec:
    """The declared CRS, else the file's; none at all is an error that says how to declare it."""
    if file_crs is not None and not isinstance(file_crs, str):
        file_crs = file_crs.to_string()
    text = src.crs or file_crs
    if text is None:
        code = "vector_no_crs_cli" if cli else "vector_no_crs"
        raise DataError([Problem(code, str(src.path), {"hazard": src.hazard})])
    try:
        return parse_crs(text)
    except CrsError:
        raise DataError([Problem("crs_unknown", str(src.path), {"found": text})]) from None


def _reject(src: VectorHazardSource, row: int, code: str, raw: dict, **params: Any) -> dict[str, Any]:
    import json  # noqa: PLC0415

    p = Problem(code, str(src.path), {"row": row, **params})
    return {"source": f"hazard:{src.hazard}", "row_number": row, "reason_code": code,
            "reason": p.reason("zh"), "reason_en": p.reason("en"),
            "raw": json.dumps(raw, ensure_ascii=False, default=str)}


def read_vector(src: VectorHazardSource, *, cli: bool = False) -> VectorInput:
    """Read a vector hazard file (never a traceback: problems become one ``DataError``)."""
    if not src.path.is_file():
        raise DataError([Problem("file_not_found", str(src.path))])
    if src.kind == "events":
        return _read_events(src, cli)
    return _read_shapes(src, cli)


def _read_shapes(src: VectorHazardSource, cli: bool) -> VectorInput:
    import pyogrio  # noqa: PLC0415

    file = str(src.path)
    try:
        if src.path.suffix.lower() == ".parquet":
            import geopandas as gpd  # noqa: PLC0415

            gdf = gpd.read_parquet(src.path)
        else:
            gdf = pyogrio.read_dataframe(src.path, layer=src.layer)
    except Exception as exc:  # pyogrio/GDAL/arrow raise many types; report, never crash
        raise DataError([Problem("unreadable_file", file, {"found": str(exc).splitlines()[0]})]) from None
    spec = _spec(src, gdf.crs, cli)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    n = len(geoms)
    out = VectorInput(rows_in=n, crs=spec.label)
    want = ("Polygon", "MultiPolygon") if src.kind == "zones" else ("LineString", "MultiLineString", "LinearRing")
    keep = np.ones(n, bool)
    values = np.full(n, np.nan)
    if src.kind == "zones":
        if src.field not in gdf.columns:
            raise DataError([Problem("mapped_column_missing", file, {
                "field": "field", "found": src.field, "expected": [c for c in gdf.columns if c != "geometry"]})])
        raw_vals = gdf[src.field].tolist()
        for i, v in enumerate(raw_vals):
            key = "" if v is None else str(v).strip()
            if key in src.values:
                values[i] = src.values[key]
            else:
                try:
                    values[i] = float(key)
                except ValueError:
                    values[i] = np.nan
    for i, g in enumerate(geoms):
        raw = {"row": i + 1} if src.kind == "lines" else {src.field: gdf[src.field].iloc[i]}
        if g is None or shapely.is_empty(g):
            out.rejects.append(_reject(src, i + 1, "vector_no_geometry", raw))
            keep[i] = False
        elif g.geom_type not in want and g.geom_type != "GeometryCollection":
            out.rejects.append(_reject(src, i + 1, "vector_wrong_geometry", raw, found=g.geom_type,
                                       expected=" / ".join(want[:2])))
            keep[i] = False
        elif src.kind == "zones" and not np.isfinite(values[i]):
            out.rejects.append(_reject(src, i + 1, "zone_bad_value", raw, field=src.field,
                                       found=gdf[src.field].iloc[i], expected=sorted(src.values) or "a number"))
            keep[i] = False
    geoms = geoms[keep]
    if src.kind == "zones":
        invalid = ~shapely.is_valid(geoms)
        out.repaired = int(invalid.sum())
        if out.repaired:
            geoms[invalid] = shapely.make_valid(geoms[invalid])
            # keep only the polygonal parts of a repaired geometry
            geoms[invalid] = [shapely.union_all([p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")])
                              for g in geoms[invalid]]
    out.geoms = _to_wgs84_geoms(geoms, spec)
    out.values = values[keep]
    return out


def _to_wgs84_geoms(geoms: np.ndarray, spec: CrsSpec) -> np.ndarray:
    if spec.kind == "wgs84":
        return geoms

    def fn(xy: np.ndarray) -> np.ndarray:
        lo, la = to_wgs84(xy[:, 0], xy[:, 1], spec)
        return np.column_stack([lo, la])

    return shapely.transform(geoms, fn)


def _pick(frame: pd.DataFrame, src: VectorHazardSource, key: str) -> str | None:
    from etl.columns import normalise  # noqa: PLC0415

    if key in src.columns:
        if src.columns[key] not in frame.columns:
            raise DataError([Problem("mapped_column_missing", str(src.path), {
                "field": key, "found": src.columns[key], "expected": list(frame.columns)})])
        return src.columns[key]
    if key == "magnitude" and src.field:
        return src.field if src.field in frame.columns else None
    keys = [normalise(a) for a in _EVENT_FIELDS[key]]
    by_key = {normalise(c): c for c in frame.columns}
    return next((by_key[k] for k in keys if k in by_key), None)


def _read_events(src: VectorHazardSource, cli: bool) -> VectorInput:
    from etl.readers import read_table  # noqa: PLC0415
    from etl.region import TableSource  # noqa: PLC0415

    raw = read_table(TableSource(entity="events", name=f"hazard:{src.hazard}", path=src.path,
                                 crs=src.crs, encoding=src.encoding, delimiter=src.delimiter, layer=src.layer))
    frame, file = raw.frame, str(src.path)
    spec = _spec(src, raw.file_crs, cli)
    cols = {k: _pick(frame, src, k) for k in _EVENT_FIELDS}
    if src.field and src.field not in frame.columns:
        raise DataError([Problem("mapped_column_missing", file, {"field": "magnitude", "found": src.field,
                                                                  "expected": list(frame.columns)})])
    missing = [k for k in ("lon", "lat") if cols[k] is None and raw.x is None]
    if src.statistic != "count" and cols["magnitude"] is None and src.statistic == "max_magnitude":
        missing.append("magnitude")
    if missing:
        raise DataError([Problem("missing_column", file, {"field": f, "aliases": list(_EVENT_FIELDS[f]),
                                                          "found": list(frame.columns)}) for f in missing])

    def num(key: str) -> np.ndarray:
        if cols[key] is None:
            return np.full(len(frame), np.nan)
        return pd.to_numeric(frame[cols[key]], errors="coerce").to_numpy(np.float64)

    def given(key: str) -> np.ndarray:
        if cols[key] is None:
            return np.zeros(len(frame), bool)
        return frame[cols[key]].notna().to_numpy()

    if cols["lon"] is None:
        x, y = raw.x.astype(np.float64), raw.y.astype(np.float64)
        has_xy = np.isfinite(x) & np.isfinite(y)
    else:
        x, y = num("lon"), num("lat")
        has_xy = given("lon") & given("lat")
    mag, year, month, day = num("magnitude"), num("year"), num("month"), num("day")
    this_year = dt.date.today().year
    out = VectorInput(rows_in=len(frame) + raw.blank_rows, crs=spec.label)
    bad = np.zeros(len(frame), bool)
    lo = np.full(len(frame), np.nan)
    la = np.full(len(frame), np.nan)
    ok_xy = has_xy & np.isfinite(x) & np.isfinite(y)
    if ok_xy.any():
        lo[ok_xy], la[ok_xy] = to_wgs84(x[ok_xy], y[ok_xy], spec)
    checks = [
        (~has_xy, "event_no_position", lambda i: {}),
        (has_xy & ~(np.isfinite(lo) & np.isfinite(la) & (np.abs(la) <= 90) & (np.abs(lo) <= 180)),
         "event_bad_value", lambda i: {"field": "lon/lat", "found": f"{x[i]}, {y[i]}",
                                       "expected": "longitude -180..180, latitude -90..90"}),
        (given("magnitude") & ~((mag >= -3) & (mag <= 10)), "event_bad_value",
         lambda i: {"field": cols["magnitude"], "found": frame[cols["magnitude"]].iloc[i], "expected": "a magnitude -3..10"}),
        (given("year") & ~((year >= -3000) & (year <= this_year) & (year == np.round(year))), "event_bad_value",
         lambda i: {"field": cols["year"], "found": frame[cols["year"]].iloc[i], "expected": "a year, not in the future"}),
        (given("month") & ~((month >= 0) & (month <= 12)), "event_bad_value",
         lambda i: {"field": cols["month"], "found": frame[cols["month"]].iloc[i], "expected": "0 (unknown) or 1..12"}),
        (given("day") & ~((day >= 0) & (day <= 31)), "event_bad_value",
         lambda i: {"field": cols["day"], "found": frame[cols["day"]].iloc[i], "expected": "0 (unknown) or 1..31"}),
    ]
    if src.statistic == "max_magnitude":
        checks.append((~given("magnitude"), "event_bad_value",
                       lambda i: {"field": cols["magnitude"], "found": "", "expected": "a magnitude"}))
    if src.period is not None:
        checks.append((~given("year"), "event_bad_value",
                       lambda i: {"field": cols["year"] or "year", "found": "", "expected": "a year (the layer declares a period)"}))
    for mask, code, params in checks:
        for i in np.flatnonzero(mask & ~bad):
            i = int(i)
            rec = {k: v for k, v in frame.iloc[i].items() if v is not None}
            out.rejects.append(_reject(src, int(raw.row_numbers[i]), code, rec, **params(i)))
            bad[i] = True
    out.rejects.sort(key=lambda r: r["row_number"])
    keep = ~bad
    if src.min_magnitude is not None:
        keep &= mag >= src.min_magnitude
    if src.period is not None:
        keep &= (year >= src.period[0]) & (year <= src.period[1])
    out.filtered = int((~bad & ~keep).sum())
    out.lon, out.lat, out.magnitude, out.year = lo[keep], la[keep], mag[keep], year[keep]
    return out


# --- geometry helpers -------------------------------------------------------------------------


def unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """(n, 3) unit vectors of lon/lat degrees on the sphere."""
    lo, la = np.radians(lon), np.radians(lat)
    c = np.cos(la)
    return np.column_stack([c * np.cos(lo), c * np.sin(lo), np.sin(la)])


def _angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle angle between unit vectors (robust for small angles)."""
    return np.arctan2(np.linalg.norm(np.cross(a, b), axis=1), (a * b).sum(1))


def arc_distance_km(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle distance (km) from points ``p`` to the arcs ``a``-``b`` (unit vectors, row-wise)."""
    n = np.cross(a, b)
    nn = np.linalg.norm(n, axis=1)
    ok = nn > 1e-15
    n = n / np.where(ok, nn, 1.0)[:, None]
    s = (p * n).sum(1)
    c = p - s[:, None] * n
    c /= np.maximum(np.linalg.norm(c, axis=1), 1e-300)[:, None]
    inside = ok & ((np.cross(a, c) * n).sum(1) >= 0) & ((np.cross(c, b) * n).sum(1) >= 0)
    d = np.where(inside, np.arcsin(np.clip(np.abs(s), 0, 1)), np.minimum(_angle(p, a), _angle(p, b)))
    return EARTH_RADIUS_KM * d


def cell_centres(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) of uint64 H3 cells."""
    from h3._cy import cell_to_latlng  # noqa: PLC0415

    ll = np.array([cell_to_latlng(int(c)) for c in cells.tolist()], dtype=np.float64).reshape(-1, 2)
    return ll[:, 1], ll[:, 0]


def _laea(lon: np.ndarray, lat: np.ndarray) -> pyproj.Transformer:
    lon0, lat0 = float(np.nanmean([np.nanmin(lon), np.nanmax(lon)])), float(np.nanmean([np.nanmin(lat), np.nanmax(lat)]))
    crs = pyproj.CRS.from_proj4(f"+proj=laea +lat_0={lat0:.6f} +lon_0={lon0:.6f} +datum=WGS84 +units=m")
    return pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def _project(geoms: np.ndarray, tr: pyproj.Transformer) -> np.ndarray:
    return shapely.transform(geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


def cell_polygons(cells: np.ndarray) -> np.ndarray:
    """Shapely lon/lat polygons of uint64 H3 cells."""
    from h3._cy import cell_to_boundary  # noqa: PLC0415

    rings = [np.asarray(cell_to_boundary(int(c)))[:, ::-1] for c in cells.tolist()]
    return shapely.polygons(rings) if rings else np.zeros(0, dtype=object)


def parents(cells: np.ndarray, res: int) -> np.ndarray:
    from etl.h3stats import cell_to_parent_array  # noqa: PLC0415

    return cell_to_parent_array(cells, res)


def cells_covering(geoms: np.ndarray, res: int, buffer_km: float = 0.0) -> np.ndarray:
    """Cells of ``res`` whose hexagon may touch the geometries (lon/lat) buffered by ``buffer_km``."""
    lo0, la0, lo1, la1 = shapely.total_bounds(geoms)
    edge_deg = (h3.average_hexagon_edge_length(res, "km") * 2 + buffer_km) / 111.0
    pad_lon = edge_deg / max(np.cos(np.radians(max(abs(la0), abs(la1)))), 0.1)
    box = [(la0 - edge_deg, lo0 - pad_lon), (la0 - edge_deg, lo1 + pad_lon),
           (la1 + edge_deg, lo1 + pad_lon), (la1 + edge_deg, lo0 - pad_lon)]
    area = (lo1 - lo0 + 2 * pad_lon) * (la1 - la0 + 2 * edge_deg) * 111.0 ** 2 * np.cos(np.radians((la0 + la1) / 2))
    if area / h3.average_hexagon_area(res, "km^2") > MAX_CELLS:
        raise DataError([Problem("vector_too_many_cells", "", {"res": res, "found": int(area / h3.average_hexagon_area(res, "km^2"))})])
    import h3.api.basic_int as h3i  # noqa: PLC0415

    return np.sort(np.asarray(h3i.h3shape_to_cells(h3.LatLngPoly(box), res), dtype=np.uint64))


# --- statistics -------------------------------------------------------------------------------


def _frame(cells, count, mn, mx, mean, p90, shares: np.ndarray, breaks: Sequence[float], cls=None) -> pd.DataFrame:
    from etl.h3stats import share_columns  # noqa: PLC0415

    df = pd.DataFrame({"cell": np.asarray(cells, np.uint64), "count": np.asarray(count, np.int64),
                       "min": mn, "max": mx, "mean": mean, "p90": p90})
    df["sampled"] = False
    for name, col in zip(share_columns(breaks), np.asarray(shares, np.float64).reshape(len(df), -1).T):
        df[name] = col
    brk = np.asarray(breaks, np.float64)
    df["class"] = (np.searchsorted(brk, df["max"].to_numpy(), side="right") if cls is None else cls).astype(np.int8)
    return df.sort_values("cell", ignore_index=True)


def zones_to_h3(inp: VectorInput, src: VectorHazardSource, resolutions: Sequence[int],
                finest_cells: np.ndarray | None = None) -> dict[int, pd.DataFrame]:
    """Exact area shares of zone values per cell (see the module docstring)."""
    res_list = sorted(set(resolutions))
    finest = res_list[-1]
    geoms, values = inp.geoms, inp.values
    if finest_cells is None:
        finest_cells = cells_covering(geoms, finest)
    lon, lat = cell_centres(finest_cells)
    tr = _laea(lon, lat)
    cpoly = _project(cell_polygons(finest_cells), tr)
    zones = _project(geoms, tr)
    cell_area = shapely.area(cpoly)
    levels = np.unique(values)  # ascending
    # area of each cell where the resolved value is >= level (max rule) / <= level (min rule)
    tree = shapely.STRtree(cpoly)
    cover = np.zeros((finest_cells.size, levels.size))
    for j, v in enumerate(levels):
        sel = values >= v if src.overlap == "max" else values <= v
        cover[:, j] = _area_in(shapely.union_all(zones[sel]), cpoly, tree)
    if src.overlap == "max":  # cover[:, j] = area(value >= levels[j]); exact value = difference
        at = cover - np.column_stack([cover[:, 1:], np.zeros(len(cover))])
    else:  # cover[:, j] = area(value <= levels[j])
        at = cover - np.column_stack([np.zeros(len(cover)), cover[:, :-1]])
    at = np.clip(at, 0, None)
    tol = 1e-9 * cell_area[:, None]
    at[at <= tol] = 0.0
    out = {}
    for r in res_list:
        keys = finest_cells if r == finest else parents(finest_cells, r)
        uniq, inv = np.unique(keys, return_inverse=True)
        a_val = np.zeros((uniq.size, levels.size))
        np.add.at(a_val, inv, at)
        a_cell = np.bincount(inv, weights=cell_area, minlength=uniq.size)
        covered = a_val.sum(1)
        has = covered > 0
        uniq, a_val, a_cell, covered = uniq[has], a_val[has], a_cell[has], covered[has]
        present = a_val > 0
        mn = levels[np.argmax(present, axis=1)]
        mx = levels[levels.size - 1 - np.argmax(present[:, ::-1], axis=1)]
        mean = (a_val * levels).sum(1) / covered
        cum = np.cumsum(a_val, axis=1) / covered[:, None]
        p90 = levels[np.minimum((cum < 0.9 - 1e-12).sum(1), levels.size - 1)]
        ge = np.column_stack([a_val[:, levels >= b].sum(1) for b in src.breaks]) if src.breaks else np.zeros((uniq.size, 0))
        shares = np.clip(ge / a_cell[:, None], 0, 1)
        count = np.round(np.bincount(inv, weights=at.sum(1), minlength=has.size)[has]).astype(np.int64) \
            if r != finest else np.round(covered).astype(np.int64)
        out[r] = _frame(uniq, count, mn, mx, mean, p90, shares, src.breaks)
    _fix_count_rollup(out, res_list)
    return out


def _fix_count_rollup(out: dict[int, pd.DataFrame], res_list: list[int]) -> None:
    """Coarser counts = sums of the finest counts (integers), so totals agree exactly."""
    finest = res_list[-1]
    f = out[finest]
    for r in res_list[:-1]:
        s = pd.Series(f["count"].to_numpy(), index=parents(f["cell"].to_numpy(np.uint64), r)).groupby(level=0).sum()
        out[r]["count"] = s.reindex(out[r]["cell"].to_numpy(np.uint64)).fillna(0).to_numpy(np.int64)


def _area_in(union: Any, cpoly: np.ndarray, tree: shapely.STRtree) -> np.ndarray:
    """Area of each cell polygon inside ``union`` (exact: interior cells whole, edge cells clipped)."""
    area = np.zeros(cpoly.size)
    if union is None or shapely.is_empty(union):
        return area
    parts = shapely.get_parts(union)
    for part in parts:  # per polygon part: fewer vertices per intersection
        shapely.prepare(part)
        idx = tree.query(part, predicate="intersects")
        if idx.size == 0:
            continue
        inside = shapely.contains_properly(part, cpoly[idx])
        area[idx[inside]] += shapely.area(cpoly[idx[inside]])
        edge = idx[~inside]
        if edge.size:
            area[edge] += shapely.area(shapely.intersection(cpoly[edge], part))
    return area


def events_to_h3(inp: VectorInput, src: VectorHazardSource, resolutions: Sequence[int],
                 region_cells: dict[int, np.ndarray] | None = None) -> tuple[dict[int, pd.DataFrame], int]:
    """Per-cell event statistics; returns (frames, events outside the region's cells)."""
    res_list = sorted(set(resolutions))
    finest = res_list[-1]
    ev_cells = latlng_to_cells(inp.lat, inp.lon, finest) if inp.lat.size else np.zeros(0, np.uint64)
    inside = np.ones(ev_cells.size, bool)
    if region_cells is not None:
        inside = np.isin(ev_cells, region_cells[finest])
    outside = int((~inside).sum())
    mag = inp.magnitude[inside]
    fine = ev_cells[inside]
    years = (src.period[1] - src.period[0] + 1) if src.period else None
    out = {}
    for r in res_list:
        keys = fine if r == finest else parents(fine, r)
        df = pd.DataFrame({"cell": keys, "m": mag})
        g = df.groupby("cell", sort=True)
        count = g.size()
        if src.statistic == "smoothed_rate":
            if region_cells is not None:
                base = region_cells[finest] if r == finest else parents(region_cells[finest], r)
                cells = np.union1d(base, count.index.to_numpy(np.uint64))
            else:
                cells = cells_covering(shapely.points(inp.lon, inp.lat), r, KERNEL_CUTOFF * src.bandwidth_km)
                cells = np.union1d(cells, count.index.to_numpy(np.uint64))
            n = count.reindex(cells).fillna(0).to_numpy(np.int64)
            value = smoothed_rate(cells, inp.lon, inp.lat, src.bandwidth_km) / years * src.rate_per_km2
            out[r] = _frame(cells, n, value, value, value, value,
                            np.column_stack([value >= b for b in src.breaks]), src.breaks)
            continue
        cells = count.index.to_numpy(np.uint64)
        n = count.to_numpy(np.int64)
        if src.statistic == "max_magnitude":
            m = g["m"]
            shares = np.column_stack([m.apply(lambda s, b=b: float((s >= b).mean())).to_numpy() for b in src.breaks])
            out[r] = _frame(cells, n, m.min().to_numpy(), m.max().to_numpy(), m.mean().to_numpy(),
                            m.quantile(0.9).to_numpy(), shares, src.breaks)
        else:
            if src.statistic == "rate":
                area = np.array([h3.cell_area(h3.int_to_str(int(c)), "km^2") for c in cells])
                value = n / area / years * src.rate_per_km2
            else:
                value = n.astype(np.float64)
            out[r] = _frame(cells, n, value, value, value, value,
                            np.column_stack([value >= b for b in src.breaks]), src.breaks)
    return out, outside


def smoothed_rate(cells: np.ndarray, lon: np.ndarray, lat: np.ndarray, sigma_km: float,
                  chunk: int = 200_000) -> np.ndarray:
    """Σ over events of exp(-d²/2σ²)/(2πσ²) (per km²) at cell centres, d great-circle, d <= 4σ."""
    from scipy.spatial import cKDTree  # noqa: PLC0415

    out = np.zeros(cells.size)
    if lon.size == 0 or cells.size == 0:
        return out
    ev = unit_vectors(lon, lat)
    ev_tree = cKDTree(ev)
    cutoff = KERNEL_CUTOFF * sigma_km
    chord = 2 * np.sin(min(cutoff / EARTH_RADIUS_KM, np.pi) / 2) * (1 + 1e-9)
    for s in range(0, cells.size, chunk):
        clon, clat = cell_centres(cells[s:s + chunk])
        pts = unit_vectors(clon, clat)
        pairs = cKDTree(pts).sparse_distance_matrix(ev_tree, chord, output_type="ndarray")
        if len(pairs) == 0:
            continue
        i, j = pairs["i"], pairs["j"]
        d = EARTH_RADIUS_KM * _angle(pts[i], ev[j])
        w = np.where(d <= cutoff, np.exp(-d * d / (2 * sigma_km ** 2)), 0.0)
        out[s:s + chunk] += np.bincount(i, weights=w, minlength=pts.shape[0])
    return out / (2 * np.pi * sigma_km ** 2)


def nearest_line_km(lon: np.ndarray, lat: np.ndarray, lines: np.ndarray, chunk: int = 200_000) -> np.ndarray:
    """Great-circle distance (km) from each point to the nearest line (exact; candidates by STRtree)."""
    coords, idx = shapely.get_coordinates(shapely.get_parts(lines), return_index=True)
    same = idx[1:] == idx[:-1]
    a_ll, b_ll = coords[:-1][same], coords[1:][same]
    tr = _laea(np.r_[a_ll[:, 0], lon], np.r_[a_ll[:, 1], lat])
    ax, ay = tr.transform(a_ll[:, 0], a_ll[:, 1])
    bx, by = tr.transform(b_ll[:, 0], b_ll[:, 1])
    segs = shapely.linestrings(np.stack([np.column_stack([ax, ay]), np.column_stack([bx, by])], axis=1))
    tree = shapely.STRtree(segs)
    ua, ub = unit_vectors(a_ll[:, 0], a_ll[:, 1]), unit_vectors(b_ll[:, 0], b_ll[:, 1])
    out = np.full(lon.size, np.inf)
    for s in range(0, lon.size, chunk):
        px, py = tr.transform(lon[s:s + chunk], lat[s:s + chunk])
        pts = shapely.points(px, py)
        (pi, _), dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
        near = np.full(pts.size, np.inf)
        near[pi] = dist
        # every segment within the projected nearest distance + 3 % + 1 km holds the spherical nearest
        pi, sj = tree.query(pts, predicate="dwithin", distance=near * 1.03 + 1000.0)
        up = unit_vectors(lon[s:s + chunk], lat[s:s + chunk])
        d = arc_distance_km(up[pi], ua[sj], ub[sj])
        best = np.full(pts.size, np.inf)
        np.minimum.at(best, pi, d)
        out[s:s + chunk] = best
    return out


def lines_to_h3(inp: VectorInput, src: VectorHazardSource, resolutions: Sequence[int],
                finest_cells: np.ndarray | None = None) -> dict[int, pd.DataFrame]:
    """Distance from each cell centre to the nearest line, classed by bands (nearer = higher)."""
    res_list = sorted(set(resolutions))
    finest = res_list[-1]
    if finest_cells is None:
        finest_cells = cells_covering(inp.geoms, finest, max(src.breaks))
    bands = np.asarray(src.breaks, np.float64)
    out = {}
    for r in res_list:
        keys = finest_cells if r == finest else parents(finest_cells, r)
        cells, n = np.unique(keys, return_counts=True)
        lon, lat = cell_centres(cells)
        d = nearest_line_km(lon, lat, inp.geoms)
        cls = (d[:, None] < bands[None, :]).sum(1)  # bands the distance is below
        # share of the cell in class > i (the cell is one point: 0 or 1), like a raster's shares
        shares = np.column_stack([cls > i for i in range(bands.size)]).astype(np.float64)
        out[r] = _frame(cells, n, d, d, d, d, shares, src.breaks, cls=cls)
    return out


def vector_to_h3(inp: VectorInput, src: VectorHazardSource, resolutions: Sequence[int],
                 region_cells: dict[int, np.ndarray] | None = None) -> tuple[dict[int, pd.DataFrame], dict[str, Any]]:
    """Per-resolution frames of any vector kind and the layer's counts for ``meta``."""
    finest = max(resolutions)
    fine = None if region_cells is None else np.asarray(region_cells[finest], np.uint64)
    info: dict[str, Any] = {"kind": src.kind, "method": src.method(), "rows_in": inp.rows_in,
                            "rejected": len(inp.rejects), "repaired": inp.repaired}
    if src.kind == "zones":
        frames = zones_to_h3(inp, src, resolutions, fine)
        info["loaded"] = int(inp.geoms.size)
    elif src.kind == "lines":
        frames = lines_to_h3(inp, src, resolutions, fine)
        info["loaded"] = int(inp.geoms.size)
    else:
        frames, outside = events_to_h3(inp, src, resolutions, region_cells)
        info.update(loaded=int(inp.lon.size) - outside, outside=outside, filtered=inp.filtered,
                    statistic=src.statistic)
    return frames, info


def check_vector(src: VectorHazardSource, bbox: tuple[float, float, float, float]) -> tuple[VectorInput | None, list[Problem]]:
    """Read a vector layer for ``check_sources``: the input, or the problems (incl. no overlap)."""
    try:
        inp = read_vector(src)
    except DataError as exc:
        return None, exc.problems
    if inp.geoms is not None:
        lo0, la0, lo1, la1 = shapely.total_bounds(inp.geoms) if inp.geoms.size else (np.nan,) * 4
    else:
        lo0, la0, lo1, la1 = ((np.nanmin(inp.lon), np.nanmin(inp.lat), np.nanmax(inp.lon), np.nanmax(inp.lat))
                              if inp.lon.size else (np.nan,) * 4)
    if not (lo1 >= bbox[0] and lo0 <= bbox[2] and la1 >= bbox[1] and la0 <= bbox[3]):  # NaN: nothing loaded
        return None, [Problem("raster_no_overlap", str(src.path), {
            "found": [round(float(v), 4) for v in (lo0, la0, lo1, la1)], "expected": list(bbox)})]
    return inp, []


def hazard_layer(src: VectorHazardSource, inp: VectorInput, resolutions: Sequence[int],
                 region_cells: dict[int, np.ndarray], sha256: str) -> tuple[dict[int, pd.DataFrame], dict, dict, dict]:
    """For ``build_store``: per-resolution frames, the ``hazard_layers`` row, the ``sources``
    row and the layer's ``meta`` entry."""
    frames, info = vector_to_h3(inp, src, resolutions, region_cells)
    info.update(lower_is_worse=src.lower_is_worse, source=src.source, synthetic=src.synthetic,
                description=src.description)
    layer = {"hazard": src.hazard, "source": str(src.path), "band": 0, "units": src.units,
             "breaks": list(src.breaks), "labels": list(src.labels), "synthetic": src.synthetic,
             "crs": inp.crs, "width": inp.rows_in, "height": 0, "pixel_size": src.kind,
             "description": src.description}
    source = {"source": f"hazard:{src.hazard}", "entity": "hazard", "path": str(src.path), "sha256": sha256,
              "rows_in": inp.rows_in, "rows_loaded": inp.rows_in - len(inp.rejects),
              "rows_rejected": len(inp.rejects), "synthetic": src.synthetic, "crs": inp.crs}
    return frames, layer, source, info


def write_vector_h3stats(source: str | Path, kind: str, res: int, out: str | Path, *,
                         breaks: Sequence[float] = (), crs: str | None = None, field: str | None = None,
                         overlap: str = "max", statistic: str = "max_magnitude",
                         min_magnitude: float | None = None, period: tuple[int, int] | None = None,
                         bandwidth_km: float = 20.0, rate_per_km2: float = 1.0) -> tuple[int, int]:
    """``onemap h3stats --kind zones|events|lines``: one layer at one resolution, to Parquet or CSV.

    Columns: ``cell`` (H3 string), ``count``, ``min``, ``max``, ``mean``, ``p90``,
    ``share_ge_<break>`` per break and ``class`` (lines: ``cell``, ``distance_km``, ``class``).

    Returns
    -------
    (cells written, rows rejected)
    """
    from etl.h3stats import share_columns  # noqa: PLC0415

    if kind == "lines" and not breaks:
        raise DataError([Problem("region_missing_key", str(source), {
            "key": "--classes", "expected": "distance bands in km, e.g. 5,10,20,50"})])
    if kind == "events" and statistic in ("rate", "smoothed_rate") and period is None:
        raise DataError([Problem("region_missing_key", str(source), {
            "key": "--period", "expected": "[first year, last year]"})])
    brk = tuple(sorted(float(b) for b in breaks))
    src = VectorHazardSource(hazard="h3stats", kind=kind, path=Path(source), units="", breaks=brk, labels=(),
                             crs=crs, field=field, overlap=overlap, statistic=statistic,
                             min_magnitude=min_magnitude, period=period, bandwidth_km=bandwidth_km,
                             rate_per_km2=rate_per_km2)
    inp = read_vector(src, cli=True)
    frames, _ = vector_to_h3(inp, src, [res])
    df = frames[res]
    df.insert(0, "cell", [h3.int_to_str(int(c)) for c in df.pop("cell").tolist()])
    if kind == "lines":
        df = df.rename(columns={"max": "distance_km"})[["cell", "distance_km", "class"]]
    else:
        df = df[["cell", "count", "min", "max", "mean", "p90", *share_columns(brk), "class"]]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".csv":
        df.to_csv(out, index=False)
    else:
        df.to_parquet(out, index=False)
    return len(df), len(inp.rejects)
