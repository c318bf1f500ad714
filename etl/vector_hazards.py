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

This module reads the files, checks them and describes the methods; ``etl.vector_stats``
computes the per-cell statistics.

The module is long (~530 lines): zones, events and lines share parsing, rejects, the method
record and the build hook; the statistics themselves are in ``etl.vector_stats``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from dataclasses import field as _field
from pathlib import Path
from typing import Any

import h3
import numpy as np
import pandas as pd
import shapely

from etl.crs import CrsSpec, parse_crs, to_wgs84
from etl.errors import CrsError, DataError, Problem
from etl.vector_stats import (  # noqa: F401  (re-exported: the statistics of each kind)
    CHUNK_CELLS,
    EARTH_RADIUS_KM,
    KERNEL_CUTOFF,
    arc_distance_km,
    cell_centres,
    collect,
    events_to_h3,
    iter_events_to_h3,
    iter_lines_to_h3,
    iter_zones_to_h3,
    lines_to_h3,
    locate_events,
    nearest_line_km,
    smoothed_rate,
    unit_vectors,
    zones_to_h3,
)

logger = logging.getLogger(__name__)

KINDS = ("zones", "events", "lines")
STATISTICS = ("max_magnitude", "count", "rate", "smoothed_rate")
OVERLAP_RULES = ("max", "min")
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


def vector_to_h3(inp: VectorInput, src: VectorHazardSource, resolutions: Sequence[int],
                 region_cells: dict[int, np.ndarray] | None = None) -> tuple[dict[int, pd.DataFrame], dict[str, Any]]:
    """Per-resolution frames of any vector kind (whole tables) and the layer's counts for ``meta``."""
    chunks, info = iter_vector_to_h3(inp, src, resolutions, region_cells)
    return collect(chunks, resolutions, src.breaks), info


def iter_vector_to_h3(inp: VectorInput, src: VectorHazardSource, resolutions: Sequence[int],
                      region_cells: dict[int, np.ndarray] | None = None, chunk_cells: int = CHUNK_CELLS,
                      ) -> tuple[Iterator[tuple[int, pd.DataFrame]], dict[str, Any]]:
    """``(res, frame)`` chunks of at most about ``chunk_cells`` cells (computed as they are
    consumed, so a build writes each one before the next exists) and the layer's counts."""
    finest = max(resolutions)
    fine = None if region_cells is None else np.asarray(region_cells[finest], np.uint64)
    info: dict[str, Any] = {"kind": src.kind, "method": src.method(), "rows_in": inp.rows_in,
                            "rejected": len(inp.rejects), "repaired": inp.repaired}
    if src.kind == "zones":
        chunks = iter_zones_to_h3(inp, src, resolutions, fine, chunk_cells)
        info["loaded"] = int(inp.geoms.size)
    elif src.kind == "lines":
        chunks = iter_lines_to_h3(inp, src, resolutions, fine, chunk_cells)
        info["loaded"] = int(inp.geoms.size)
    else:
        located = locate_events(inp, finest, region_cells)
        chunks = iter_events_to_h3(inp, src, resolutions, region_cells, located, chunk_cells)
        outside = located[2]
        info.update(loaded=int(inp.lon.size) - outside, outside=outside, filtered=inp.filtered,
                    statistic=src.statistic)
    return chunks, info


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
                 region_cells: dict[int, np.ndarray], sha256: str,
                 ) -> tuple[Iterator[tuple[int, pd.DataFrame]], dict, dict, dict]:
    """For ``build_store``: the ``(res, frame)`` chunks to append (``iter_vector_to_h3``), the
    ``hazard_layers`` row, the ``sources`` row and the layer's ``meta`` entry."""
    frames, info = iter_vector_to_h3(inp, src, resolutions, region_cells)
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
    from etl.chunkout import ChunkWriter  # noqa: PLC0415
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
    chunks, _ = iter_vector_to_h3(inp, src, [res])
    columns = (["cell", "distance_km", "class"] if kind == "lines"
               else ["cell", "count", "min", "max", "mean", "p90", *share_columns(brk), "class"])

    def table(df: pd.DataFrame) -> pd.DataFrame:
        df.insert(0, "cell", [h3.int_to_str(int(c)) for c in df.pop("cell").tolist()])
        return df.rename(columns={"max": "distance_km"})[columns] if kind == "lines" else df[columns]

    with ChunkWriter(out) as writer:  # each chunk written as soon as it is computed
        for _, df in chunks:
            writer.write(table(df))
        if writer.rows == 0:  # no cell: the file still has its typed columns
            writer.write(table(collect(iter(()), [res], brk)[res]))
    return writer.rows, len(inp.rejects)
