"""The region file (TOML): what a region is, which files feed it and how to read them.

A region is configuration plus data. ``load_region`` parses and validates the whole file,
collecting every problem before raising one ``DataError``. Paths in the file are relative
to the file itself. See ``geodata/regions/jjj.toml`` for a complete, commented example.

The module is long (~540 lines) because the region file is validated in one pass that reports
every problem at once; its sections share that collector.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from etl import schema
from etl.errors import DataError, Problem
from etl.vector_hazards import KINDS as VECTOR_KINDS
from etl.vector_hazards import VectorHazardSource, parse_vector_hazard

TABLE_FORMATS = (".csv", ".txt", ".tsv", ".xlsx", ".geojson", ".json", ".shp", ".gpkg", ".parquet")
RASTER_FORMATS = (".tif", ".tiff", ".nc", ".vrt", ".img")
HAZARD_KINDS = ("raster", *VECTOR_KINDS)


@dataclass(frozen=True)
class TableSource:
    """One table file feeding an entity (parks, enterprises or reserves)."""

    entity: str
    name: str
    path: Path
    crs: str | None = None  # None: the file's own CRS (GeoPackage, Shapefile .prj), else required
    columns: dict[str, str] = field(default_factory=dict)
    header: bool = True
    column_order: tuple[str, ...] = ()
    sheet: str | None = None
    layer: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    swap_lonlat: bool = False
    synthetic: bool = False
    defaults: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RasterSource:
    """One hazard raster and how to class it."""

    hazard: str
    path: Path
    units: str
    breaks: tuple[float, ...]
    labels: tuple[str, ...] = ()
    band: int = 1
    crs: str | None = None
    nodata: float | None = None
    scale: float | None = None
    offset: float | None = None
    synthetic: bool = False
    description: str = ""


@dataclass(frozen=True)
class ExposureSource:
    """A population raster: people per pixel (counts), summed into ``exposure_cells``."""

    path: Path
    units: str = "people"
    band: int = 1
    crs: str | None = None
    nodata: float | None = None
    synthetic: bool = False
    description: str = ""
    source: str = ""


@dataclass(frozen=True)
class AdminSource:
    """Admin boundaries: province, city and county polygons with 6-digit adcodes."""

    path: Path
    crs: str = "WGS84"
    columns: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Standards:
    """Response standards: hours by reserve tier, speeds, detour factors, dispatch delay, and
    the terrain class (a key of ``detour``) of listed city or county adcodes.

    ``terrain_by_unit`` maps an adcode to its class; a county takes its own class if listed,
    else its city's, else ``"plain"`` (applied by ``layers.analysis.travel``).
    """

    hours_by_tier: dict[str, float]
    speed_kmh: dict[str, float]
    detour: dict[str, float]
    dispatch_delay_h: float
    terrain_by_unit: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Region:
    """A validated region file."""

    id: str
    name: str
    name_en: str
    adcodes: tuple[str, ...]
    bbox: tuple[float, float, float, float]
    resolutions: tuple[int, ...]
    admin: AdminSource
    tables: tuple[TableSource, ...]
    hazards: dict[str, RasterSource | VectorHazardSource]  # by kind: raster or zones/events/lines
    chains_by_hazard: dict[str, tuple[str, ...]]
    standards: Standards
    note: str
    path: Path
    exposure: ExposureSource | None = None
    industry: Any = None  # etl.industry_region.IndustryConfig: 四库一清单, chain links, targets

    @property
    def finest_res(self) -> int:
        return max(self.resolutions)


_TOP_KEYS = {
    "region", "admin", "parks", "enterprises", "reserves", "hazards", "chains", "standards", "exposure",
    "materials", "stock", "capacity",  # read by etl.catalogue and etl.materials
    "industry",
}
_REGION_KEYS = {"id", "name", "name_en", "adcodes", "bbox", "resolutions", "note"}
_TABLE_KEYS = {
    "name", "path", "crs", "columns", "header", "column_order", "sheet", "layer", "encoding",
    "delimiter", "swap_lonlat", "synthetic", "defaults",
}
_RASTER_KEYS = {
    "kind", "path", "units", "breaks", "labels", "band", "crs", "nodata", "scale", "offset",
    "synthetic", "description",
}
_EXPOSURE_KEYS = {"path", "units", "band", "crs", "nodata", "synthetic", "description", "source"}
#: Units an exposure raster may declare: a count of people per pixel (never a density).
EXPOSURE_UNITS = ("people", "persons", "人")
#: The store's ``sources`` name of the exposure raster (reserved for table sources).
EXPOSURE_SOURCE = "exposure"
_ADMIN_KEYS = {"path", "crs", "columns"}
_STANDARD_KEYS = {"hours_by_tier", "speed_kmh", "detour", "dispatch_delay_h", "terrain"}
#: The terrain class of every unit not listed under ``standards.terrain``.
DEFAULT_TERRAIN = "plain"


class _Checker:
    """Collects problems while reading values out of the parsed TOML."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def add(self, code: str, **params: Any) -> None:
        self.problems.append(Problem(code, self.file, params))

    def unknown(self, table: dict, allowed: set[str], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                self.add("region_unknown_key", key=f"{prefix}{key}", expected=sorted(allowed))

    def get(self, table: dict, key: str, kind: type | tuple, prefix: str, expected: str,
            default: Any = ..., ) -> Any:
        if key not in table:
            if default is ...:
                self.add("region_missing_key", key=f"{prefix}{key}", expected=expected)
            return None if default is ... else default
        value = table[key]
        if isinstance(value, bool) and kind is not bool and bool not in _as_tuple(kind):
            self.add("region_bad_value", key=f"{prefix}{key}", found=repr(value), expected=expected)
            return None if default is ... else default
        if not isinstance(value, kind):
            self.add("region_bad_value", key=f"{prefix}{key}", found=repr(value), expected=expected)
            return None if default is ... else default
        return value


def _as_tuple(kind: type | tuple) -> tuple:
    return kind if isinstance(kind, tuple) else (kind,)


def default_labels(breaks: list[float] | tuple[float, ...], units: str) -> tuple[str, ...]:
    """One label per class when the region file gives none: ``<b0``, ``b0–b1`` .. ``≥bn``.

    >>> default_labels([0.15, 0.5], "m")
    ('<0.15 m', '0.15–0.5 m', '≥0.5 m')
    """
    u = f" {units}" if units else ""
    b = [f"{float(v):g}" for v in breaks]
    return (f"<{b[0]}{u}", *(f"{lo}–{hi}{u}" for lo, hi in zip(b, b[1:])), f"≥{b[-1]}{u}")


def load_region(path: str | Path) -> Region:
    """Read and validate a region file.

    Parameters
    ----------
    path
        The region TOML file.

    Returns
    -------
    Region

    Raises
    ------
    DataError
        With every problem found (syntax, missing or unknown keys, bad values).
    """
    path = Path(path)
    ck = _Checker(str(path))
    if not path.is_file():
        raise DataError([Problem("file_not_found", str(path))])
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataError([Problem("region_syntax", str(path), {"found": str(exc)})]) from None
    base = Path(os.path.normpath(path.parent))
    ck.unknown(doc, _TOP_KEYS, "")

    reg = ck.get(doc, "region", dict, "", "a [region] table") or {}
    ck.unknown(reg, _REGION_KEYS, "region.")
    rid = ck.get(reg, "id", str, "region.", "a short id such as \"jjj\"") or "region"
    if not rid.replace("_", "").replace("-", "").isalnum():
        ck.add("region_bad_value", key="region.id", found=repr(rid), expected="letters, digits, - or _")
    adcodes = tuple(ck.get(reg, "adcodes", list, "region.", "a list of 6-digit adcodes") or ())
    for code in adcodes:
        if not (isinstance(code, str) and len(code) == 6 and code.isdigit()):
            ck.add("region_bad_value", key="region.adcodes", found=repr(code), expected="6-digit strings")
    bbox = ck.get(reg, "bbox", list, "region.", "[lon_min, lat_min, lon_max, lat_max]")
    if bbox is not None and not _valid_bbox(bbox):
        ck.add("region_bad_value", key="region.bbox", found=repr(bbox),
               expected="[lon_min, lat_min, lon_max, lat_max] in WGS-84 degrees")
        bbox = None
    res = ck.get(reg, "resolutions", list, "region.", "a list of H3 resolutions, e.g. [5, 6, 7, 8, 9]")
    if res is not None and not (res and all(isinstance(r, int) and 0 <= r <= 15 for r in res)):
        ck.add("region_bad_value", key="region.resolutions", found=repr(res), expected="integers 0-15")
        res = None

    admin = _admin(doc, ck, base)
    tables = tuple(t for entity in schema.ENTITIES for t in _tables(doc, entity, ck, base))
    seen: set[str] = set()
    for t in tables:  # names key the store's sources table, next to "admin" and "hazard:<name>"
        if t.name in seen or t.name in ("admin", EXPOSURE_SOURCE) or t.name.startswith("hazard:"):
            ck.add("region_bad_value", key=f"{t.entity}.name", found=repr(t.name),
                   expected="a source name used once, not \"admin\", \"exposure\" nor \"hazard:…\"")
        seen.add(t.name)
    if not any(t.entity == "reserves" for t in tables):
        ck.add("region_missing_key", key="reserves", expected="at least one [[reserves]] table")
    hazards = _hazards(doc, ck, base)
    declared = doc.get("hazards") if isinstance(doc.get("hazards"), dict) else {}
    chains = _chains(doc, ck, set(declared))
    standards = _standards(doc, ck, adcodes)
    exposure = _exposure(doc, ck, base)
    from etl.industry_region import parse_industry  # noqa: PLC0415 (it imports this module)

    industry = parse_industry(doc, ck, base)

    if ck.problems:
        raise DataError(ck.problems)
    return Region(
        id=rid,
        name=reg.get("name", rid),
        name_en=reg.get("name_en", rid),
        adcodes=adcodes,
        bbox=tuple(float(v) for v in bbox),  # type: ignore[arg-type]
        resolutions=tuple(sorted(set(res))),  # type: ignore[arg-type]
        admin=admin,  # type: ignore[arg-type]
        tables=tables,
        hazards=hazards,
        chains_by_hazard=chains,
        standards=standards,  # type: ignore[arg-type]
        note=reg.get("note", ""),
        path=path,
        exposure=exposure,
        industry=industry,
    )


def _valid_bbox(b: list) -> bool:
    if len(b) != 4 or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in b):
        return False
    return -180 <= b[0] < b[2] <= 180 and -90 <= b[1] < b[3] <= 90


def _columns(table: dict, ck: _Checker, prefix: str, fields: tuple[str, ...]) -> dict[str, str]:
    cols = ck.get(table, "columns", dict, prefix, "a table of field = \"column name\"", {})
    for key, value in cols.items():
        if key not in fields:
            ck.add("region_unknown_key", key=f"{prefix}columns.{key}", expected=list(fields))
        elif not isinstance(value, str):
            ck.add("region_bad_value", key=f"{prefix}columns.{key}", found=repr(value),
                   expected="a column name (string)")
    return {k: v for k, v in cols.items() if isinstance(v, str)}


def _admin(doc: dict, ck: _Checker, base: Path) -> AdminSource | None:
    adm = ck.get(doc, "admin", dict, "", "an [admin] table with the boundary file")
    if adm is None:
        return None
    ck.unknown(adm, _ADMIN_KEYS, "admin.")
    p = ck.get(adm, "path", str, "admin.", "the boundary file path")
    cols = _columns(adm, ck, "admin.", ("adcode", "name", "level", "parent"))
    return AdminSource(path=Path(os.path.normpath(base / (p or ""))), crs=adm.get("crs", "WGS84"), columns=cols)


def _tables(doc: dict, entity: str, ck: _Checker, base: Path) -> list[TableSource]:
    items = doc.get(entity, [])
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        ck.add("region_bad_value", key=entity, found=repr(items), expected=f"[[{entity}]] tables")
        return []
    fields = schema.ENTITY_FIELDS[entity]
    all_fields = fields["required"] + fields["optional"]
    out = []
    for i, item in enumerate(items):
        prefix = f"{entity}[{i}]."
        if not isinstance(item, dict):
            ck.add("region_bad_value", key=prefix[:-1], found=repr(item), expected="a table")
            continue
        ck.unknown(item, _TABLE_KEYS, prefix)
        p = ck.get(item, "path", str, prefix, "the file path")
        if p is None:
            continue
        path = Path(os.path.normpath(base / p))
        if path.suffix.lower() not in TABLE_FORMATS:
            ck.add("unsupported_format", found=path.suffix or path.name, expected=list(TABLE_FORMATS))
        order = tuple(ck.get(item, "column_order", list, prefix, "a list of field names", []))
        for name in order:
            if name and name not in all_fields:
                ck.add("region_bad_value", key=f"{prefix}column_order", found=repr(name),
                       expected=f"field names {list(all_fields)} or \"\" to skip a column")
        header = ck.get(item, "header", bool, prefix, "true or false", True)
        if not header and not order:
            ck.add("region_missing_key", key=f"{prefix}column_order",
                   expected="the field of each column, because header = false")
        defaults = ck.get(item, "defaults", dict, prefix, "a table of field = value", {})
        for key in defaults:
            if key not in all_fields:
                ck.add("region_unknown_key", key=f"{prefix}defaults.{key}", expected=list(all_fields))
        out.append(TableSource(
            entity=entity,
            name=item.get("name", f"{entity}:{Path(p).name}"),
            path=path,
            crs=ck.get(item, "crs", str, prefix, "WGS84, CGCS2000, GCJ02, BD09, EPSG:n or WKT", None),
            columns=_columns(item, ck, prefix, all_fields),
            header=header,
            column_order=order,
            sheet=ck.get(item, "sheet", str, prefix, "a sheet name", None),
            layer=ck.get(item, "layer", str, prefix, "a layer name", None),
            encoding=ck.get(item, "encoding", str, prefix, "an encoding such as gbk", None),
            delimiter=ck.get(item, "delimiter", str, prefix, "one character", None),
            swap_lonlat=ck.get(item, "swap_lonlat", bool, prefix, "true or false", False),
            synthetic=ck.get(item, "synthetic", bool, prefix, "true or false", False),
            defaults=dict(defaults),
        ))
    return out


def _hazards(doc: dict, ck: _Checker, base: Path) -> dict[str, RasterSource | VectorHazardSource]:
    haz = ck.get(doc, "hazards", dict, "", "a [hazards.<name>] table per hazard") or {}
    out: dict[str, RasterSource | VectorHazardSource] = {}
    for name, item in haz.items():
        prefix = f"hazards.{name}."
        if not isinstance(item, dict):
            ck.add("region_bad_value", key=prefix[:-1], found=repr(item), expected="a table")
            continue
        kind = item.get("kind", "raster")
        if kind not in HAZARD_KINDS:
            ck.add("region_bad_value", key=f"{prefix}kind", found=repr(kind), expected="raster, zones, events or lines")
            continue
        if kind == "raster":
            ck.unknown(item, _RASTER_KEYS, prefix)
            p = ck.get(item, "path", str, prefix, "the raster path")
        breaks = ck.get(item, "breaks", list, prefix, "increasing class breaks, e.g. [0.15, 0.5]")
        ok_breaks = breaks is not None and breaks and all(
            isinstance(b, (int, float)) and not isinstance(b, bool) for b in breaks
        ) and all(a < b for a, b in zip(breaks, breaks[1:]))
        if breaks is not None and not ok_breaks:
            ck.add("region_bad_value", key=f"{prefix}breaks", found=repr(breaks),
                   expected="a non-empty list of strictly increasing numbers")
        labels = ck.get(item, "labels", list, prefix, "one label per class", [])
        if ok_breaks and labels and len(labels) != len(breaks) + 1:
            ck.add("region_bad_value", key=f"{prefix}labels", found=f"{len(labels)} labels",
                   expected=f"{len(breaks) + 1} labels (one per class, breaks + 1)")
        units = ck.get(item, "units", str, prefix, "the units, e.g. \"m\" or \"g\"", "km" if kind == "lines" else ...)
        if kind != "raster":  # zones, events, lines: etl.vector_hazards
            source = parse_vector_hazard(name, item, ck, base, breaks if ok_breaks else None, labels, units,
                                         default_labels)
            if source is not None:
                out[name] = source
            continue
        band = ck.get(item, "band", int, prefix, "a band number starting at 1", 1)
        if band is not None and band < 1:
            ck.add("region_bad_value", key=f"{prefix}band", found=repr(band), expected="an integer >= 1")
        nums = {k: ck.get(item, k, (int, float), prefix, "a number", None) for k in ("nodata", "scale", "offset")}
        if p is None or not ok_breaks or units is None:
            continue
        out[name] = RasterSource(
            hazard=name, path=Path(os.path.normpath(base / p)), units=units, breaks=tuple(float(b) for b in breaks),
            labels=tuple(str(x) for x in labels) or default_labels(breaks, units), band=band or 1,
            crs=ck.get(item, "crs", str, prefix, "EPSG:n, WKT or WGS84", None),
            nodata=None if nums["nodata"] is None else float(nums["nodata"]),
            scale=None if nums["scale"] is None else float(nums["scale"]),
            offset=None if nums["offset"] is None else float(nums["offset"]),
            synthetic=ck.get(item, "synthetic", bool, prefix, "true or false", False),
            description=ck.get(item, "description", str, prefix, "text", ""),
        )
    return out


def _exposure(doc: dict, ck: _Checker, base: Path) -> ExposureSource | None:
    """The optional ``[exposure]`` table: a population-count raster."""
    if "exposure" not in doc:
        return None
    item = ck.get(doc, "exposure", dict, "", "an [exposure] table with the population raster")
    if item is None:
        return None
    prefix = "exposure."
    ck.unknown(item, _EXPOSURE_KEYS, prefix)
    p = ck.get(item, "path", str, prefix, "the population raster path")
    if p is not None and Path(p).suffix.lower() not in RASTER_FORMATS:
        ck.add("unsupported_format", found=Path(p).suffix or p, expected=list(RASTER_FORMATS))
    units = ck.get(item, "units", str, prefix,
                   'the units "people" (a count of people per pixel)')
    if units is not None and units.strip().lower() not in EXPOSURE_UNITS:
        ck.add("region_bad_value", key=f"{prefix}units", found=repr(units),
               expected='people per pixel: "people" (counts; convert a density such as people/km2 to counts first)')
        units = None
    band = ck.get(item, "band", int, prefix, "a band number starting at 1", 1)
    if band is not None and band < 1:
        ck.add("region_bad_value", key=f"{prefix}band", found=repr(band), expected="an integer >= 1")
        band = None
    nodata = ck.get(item, "nodata", (int, float), prefix, "a number", None)
    crs = ck.get(item, "crs", str, prefix, "EPSG:n, WKT or WGS84", None)
    synthetic = ck.get(item, "synthetic", bool, prefix, "true or false", False)
    description = ck.get(item, "description", str, prefix, "text", "")
    source = ck.get(item, "source", str, prefix, "text", "")
    if p is None or units is None or band is None:
        return None
    return ExposureSource(
        path=Path(os.path.normpath(base / p)), units=units.strip(), band=band, crs=crs,
        nodata=None if nodata is None else float(nodata), synthetic=bool(synthetic),
        description=description or "", source=source or "",
    )


def _chains(doc: dict, ck: _Checker, hazards: set[str]) -> dict[str, tuple[str, ...]]:
    chains = ck.get(doc, "chains", dict, "", "a [chains] table: hazard = [chain codes]", {})
    out = {}
    for hazard, codes in chains.items():
        if hazard not in hazards:
            ck.add("region_unknown_key", key=f"chains.{hazard}", expected=sorted(hazards))
            continue
        if not isinstance(codes, list) or any(c not in schema.CHAINS for c in codes):
            ck.add("region_bad_value", key=f"chains.{hazard}", found=repr(codes),
                   expected=f"a list of chain codes from {list(schema.CHAINS)}")
            continue
        out[hazard] = tuple(codes)
    return out


def _standards(doc: dict, ck: _Checker, region_adcodes: tuple[str, ...] = ()) -> Standards | None:
    st = ck.get(doc, "standards", dict, "", "a [standards] table")
    if st is None:
        return None
    ck.unknown(st, _STANDARD_KEYS, "standards.")

    def numbers(key: str, expected: str) -> dict[str, float]:
        table = ck.get(st, key, dict, "standards.", expected) or {}
        bad = [k for k, v in table.items() if not isinstance(v, (int, float)) or isinstance(v, bool) or v <= 0]
        if bad:
            ck.add("region_bad_value", key=f"standards.{key}", found=repr({k: table[k] for k in bad}),
                   expected="positive numbers")
        return {k: float(v) for k, v in table.items() if k not in bad}

    hours = numbers("hours_by_tier", "hours per tier, e.g. { county = 6, municipal = 8 }")
    for tier in hours:
        if tier not in schema.RESERVE_TIERS:
            ck.add("region_unknown_key", key=f"standards.hours_by_tier.{tier}",
                   expected=list(schema.RESERVE_TIERS))
    delay = ck.get(st, "dispatch_delay_h", (int, float), "standards.", "hours (a number)", 0.0)
    detour = numbers("detour", "detour factors, e.g. { plain = 1.3, mountain = 1.6 }")
    return Standards(
        hours_by_tier=hours,
        speed_kmh=numbers("speed_kmh", "km/h by tier or road class"),
        detour=detour,
        dispatch_delay_h=float(delay or 0.0),
        terrain_by_unit=_terrain(st, ck, detour, region_adcodes),
    )


def _terrain(st: dict, ck: _Checker, detour: dict[str, float],
             region_adcodes: tuple[str, ...]) -> dict[str, str]:
    """``standards.terrain`` (class -> [city or county adcodes]) as adcode -> class.

    Every class must be a key of ``detour`` (and so must ``DEFAULT_TERRAIN`` once any class is
    listed); an adcode must be 6 digits, lie in one of the region's adcodes (by prefix: a
    province ``130000`` holds ``13xxxx``, a city ``130100`` holds ``1301xx``) and be listed once.
    """
    table = ck.get(st, "terrain", dict, "standards.",
                   "a table of class = [city or county adcodes], e.g. { mountain = [\"130700\"] }", {})
    if table and DEFAULT_TERRAIN not in detour:
        ck.add("region_missing_key", key=f"standards.detour.{DEFAULT_TERRAIN}",
               expected=f"the detour factor of the default terrain class \"{DEFAULT_TERRAIN}\"")
    prefixes = [c[:2] if c.endswith("0000") else c[:4] if c.endswith("00") else c
                for c in region_adcodes if isinstance(c, str)]
    out: dict[str, str] = {}
    for cls, codes in table.items():
        key = f"standards.terrain.{cls}"
        if cls not in detour:
            ck.add("region_unknown_key", key=key, expected=sorted(detour))
            continue
        if not isinstance(codes, list):
            ck.add("region_bad_value", key=key, found=repr(codes), expected="a list of 6-digit adcodes")
            continue
        for code in codes:
            if not (isinstance(code, str) and len(code) == 6 and code.isdigit()) or code.endswith("0000"):
                ck.add("region_bad_value", key=key, found=repr(code),
                       expected="6-digit city or county adcodes as strings, e.g. \"130700\"")
            elif prefixes and not any(code.startswith(p) for p in prefixes):
                ck.add("region_bad_value", key=key, found=repr(code),
                       expected=f"an adcode inside the region's adcodes {list(region_adcodes)}")
            elif code in out:
                ck.add("region_bad_value", key=key, found=repr(code),
                       expected=f"each adcode in one class only (already under {out[code]!r})")
            else:
                out[code] = cls
    return out
