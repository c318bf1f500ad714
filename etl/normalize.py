"""One table file -> rows of a store entity table, plus a reject for every row that cannot be used.

Steps: map columns (aliases or the region file), parse values (numbers, yes/no, levels,
chains), convert coordinates to WGS-84 (incl. GCJ-02 / BD-09), check ranges, bbox and
swapped lon/lat, place rows without coordinates at their address's or adcode's centroid
(``precision = district | city``). Every problem with a row becomes a reject naming the row,
the reason and its raw values; nothing is dropped silently. File-level problems (missing
columns, unknown CRS) raise ``DataError``.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from etl import geocode, schema, vocab
from etl.adcode_history import current_code
from etl.columns import map_columns
from etl.crs import CrsSpec, parse_crs, to_wgs84
from etl.errors import CrsError, DataError, Problem
from etl.readers import RawTable
from etl.region import TableSource

logger = logging.getLogger(__name__)


@dataclass
class Normalized:
    """The rows that load and the rows that were rejected (with reasons)."""

    rows: pd.DataFrame
    rejects: list[dict[str, Any]] = field(default_factory=list)
    rows_in: int = 0
    crs: str = ""


class _Rejects:
    def __init__(self, src: TableSource, raw: RawTable):
        self.src, self.raw = src, raw
        self.bad: dict[int, Problem] = {}  # frame index -> first problem

    def add(self, i: int, code: str, **params: Any) -> None:
        if i not in self.bad:
            row = int(self.raw.row_numbers[i])
            self.bad[i] = Problem(code, str(self.src.path), {"row": row, **params})

    def records(self) -> list[dict[str, Any]]:
        out = []
        for i, p in sorted(self.bad.items()):
            raw = {k: v for k, v in self.raw.frame.iloc[i].items() if not pd.isna(v)}
            out.append({
                "source": self.src.name, "row_number": p.params["row"], "reason_code": p.code,
                "reason": p.reason("zh"), "reason_en": p.reason("en"),
                "raw": json.dumps(raw, ensure_ascii=False),
            })
        return out


def normalize(raw: RawTable, src: TableSource, bbox: tuple[float, float, float, float]) -> Normalized:
    """Turn a raw table into entity rows and rejects.

    Parameters
    ----------
    raw
        The file as read by ``etl.readers.read_table``.
    src
        Its region-file entry.
    bbox
        The region's (lon_min, lat_min, lon_max, lat_max) in WGS-84.

    Returns
    -------
    Normalized

    Raises
    ------
    DataError
        Missing required columns or an unknown / missing CRS.
    """
    file = str(src.path)
    frame = raw.frame
    mapping, problems = map_columns(list(frame.columns), src.entity, src.columns, file,
                                    provided=list(src.defaults))
    crs_text = src.crs or raw.file_crs
    spec: CrsSpec | None = None
    if crs_text is None:
        problems.append(Problem("crs_missing", file))
    else:
        try:
            spec = parse_crs(crs_text)
        except CrsError:
            problems.append(Problem("crs_unknown", file, {"found": crs_text}))
    if problems:
        raise DataError(problems)
    assert spec is not None
    n = len(frame)
    rj = _Rejects(src, raw)

    def col(name: str) -> list[str | None]:
        if name in mapping:
            vals = frame[mapping[name]].tolist()
        else:
            vals = [None] * n
        if name in src.defaults:
            d = str(src.defaults[name])
            vals = [d if v is None else v for v in vals]
        return vals

    out: dict[str, list[Any]] = {"name": [(v or "").strip() for v in col("name")]}
    for i, v in enumerate(out["name"]):
        if not v:
            rj.add(i, "empty_name")
    _ids(out, col("id"), rj, src.name, raw.row_numbers)
    lon, lat, precision, adcode = _locate(col, raw, spec, src, bbox, rj, n)
    out.update(lon=lon, lat=lat, precision=precision, adcode=adcode,
               address=col("address"), city=col("city"))
    _entity_fields(src.entity, col, out, rj, n)

    rows = pd.DataFrame(out)
    rows["synthetic"] = src.synthetic
    rows["source"] = src.name
    rows["source_row"] = raw.row_numbers.astype(np.int64)
    keep = np.ones(n, dtype=bool)
    keep[list(rj.bad)] = False
    return Normalized(rows=rows[keep].reset_index(drop=True), rejects=rj.records(), rows_in=n + raw.blank_rows,
                      crs=spec.label)


def drop_duplicates_across(items: list[tuple[Any, Normalized, str]]) -> None:
    """Reject rows whose id an earlier file of the same entity already used (in place).

    ``items`` are one entity's ``(source, normalized, sha256)`` in region-file order; within a
    file ``normalize`` has already rejected repeats. The first occurrence wins; each later one
    becomes a ``duplicate_id_source`` reject naming the file and row of the first, so the
    sources' loaded counts (validate, build, ``sources``, ``info``) are what really loads.
    """
    first: dict[str, tuple[str, int]] = {}
    for src, norm, _ in items:
        rows = norm.rows
        if rows.empty:
            continue
        drop = np.zeros(len(rows), dtype=bool)
        for i, (rid, row) in enumerate(zip(rows["id"].tolist(), rows["source_row"].tolist())):
            if rid in first:
                f_file, f_row = first[rid]
                p = Problem("duplicate_id_source", str(src.path), {"row": int(row), "found": rid,
                                                                   "first_file": f_file, "first_row": f_row})
                raw = {k: v for k, v in rows.iloc[i].items() if isinstance(v, (str, int, float)) and not pd.isna(v)}
                norm.rejects.append({"source": src.name, "row_number": int(row), "reason_code": p.code,
                                     "reason": p.reason("zh"), "reason_en": p.reason("en"),
                                     "raw": json.dumps(raw, ensure_ascii=False, default=str)})
                drop[i] = True
            else:
                first[rid] = (src.path.name, int(row))
        if drop.any():
            norm.rows = rows[~drop].reset_index(drop=True)


def _ids(out: dict, ids: list[str | None], rj: _Rejects, source: str, rows: np.ndarray) -> None:
    seen: dict[str, int] = {}
    final = []
    for i, v in enumerate(ids):
        if v is None or not v.strip():
            final.append(f"{source}-{int(rows[i])}")
            continue
        v = v.strip()
        if v in seen:
            rj.add(i, "duplicate_id", found=v, expected=seen[v])
        else:
            seen[v] = int(rows[i])
        final.append(v)
    out["id"] = final


def parse_number(text: str | None) -> float | None:
    """A cell as a number: None when empty, NaN when not a number (thousands separators allowed)."""
    if text is None or not str(text).strip():
        return None
    t = str(text).strip().replace(",", "").replace("，", "")
    try:
        v = float(t)
    except ValueError:
        return math.nan
    return v if math.isfinite(v) else math.nan


_number = parse_number


def _locate(col, raw: RawTable, spec: CrsSpec, src: TableSource, bbox, rj: _Rejects, n: int):
    """Coordinates (WGS-84), precision and adcode for every row."""
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    lon_txt, lat_txt = col("lon"), col("lat")
    has_cols = any(v is not None for v in lon_txt) or any(v is not None for v in lat_txt)
    if has_cols:
        for i, (a, b) in enumerate(zip(lon_txt, lat_txt)):
            fa, fb = _number(a), _number(b)
            if fa is not None and math.isnan(fa):
                rj.add(i, "bad_number", field="lon", found=a, expected="经度/longitude in degrees")
            elif fb is not None and math.isnan(fb):
                rj.add(i, "bad_number", field="lat", found=b, expected="纬度/latitude in degrees")
            elif fa is not None and fb is not None:
                x[i], y[i] = fa, fb
            elif (fa is None) != (fb is None):
                rj.add(i, "coord_incomplete", found="经度/longitude" if fb is None else "纬度/latitude")
    elif raw.x is not None and raw.y is not None:
        x, y = raw.x.astype(np.float64).copy(), raw.y.astype(np.float64).copy()
    if src.swap_lonlat:
        x, y = y, x
    given = ~np.isnan(x) & ~np.isnan(y)
    geographic = spec.kind in ("wgs84", "gcj02", "bd09") or (spec.proj is not None and spec.proj.is_geographic)
    b0, b1, b2, b3 = bbox
    if geographic:
        for i in np.flatnonzero(given & ((np.abs(x) > 180) | (np.abs(y) > 90))):
            i = int(i)
            if _swapped_inside(x[i], y[i], spec, bbox):
                rj.add(i, "swapped_lonlat", lon=x[i], lat=y[i], bbox=list(bbox))
            elif not -180 <= x[i] <= 180:
                rj.add(i, "lon_out_of_range", found=x[i])
            else:
                rj.add(i, "lat_out_of_range", found=y[i])
        ok = given & (np.abs(x) <= 180) & (np.abs(y) <= 90)
    else:
        ok = given
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    if ok.any():
        try:
            lo, la = to_wgs84(x[ok], y[ok], spec)
        except Exception as exc:  # pyproj raises several types; report, never crash
            raise DataError([Problem("crs_transform_failed", str(src.path), {"found": str(exc), "crs": spec.label})]) from None
        lon[ok], lat[ok] = lo, la
    inside = (lon >= b0) & (lon <= b2) & (lat >= b1) & (lat <= b3)
    for i in np.flatnonzero(ok & ~inside):
        i = int(i)
        if not (np.isfinite(lon[i]) and np.isfinite(lat[i])):
            rj.add(i, "crs_transform_failed", found=f"{x[i]}, {y[i]}", crs=spec.label)
            continue
        swapped = geographic and _swapped_inside(x[i], y[i], spec, bbox)
        params = dict(lon=round(float(lon[i]), 6), lat=round(float(lat[i]), 6), bbox=list(bbox), crs=spec.label)
        rj.add(i, "swapped_lonlat" if swapped else "outside_bbox", **params)

    precision = [None] * n
    given_prec = col("precision")
    for i in np.flatnonzero(ok):
        p = given_prec[i]
        precision[i] = (vocab.lookup(vocab.PRECISION_WORDS, p) if p else None) or "exact"
    adcode = [(a.strip() if a else None) for a in col("adcode")]
    # rows without coordinates: adcode centroid, else address -> adcode -> centroid
    need = [i for i in range(n) if not ok[i] and i not in rj.bad]
    addresses = col("address")
    by_adcode = {i: geocode.locate_adcode(adcode[i]) if adcode[i] else None for i in need}
    to_geocode = [i for i in need if by_adcode[i] is None and addresses[i]]
    found = dict(zip(to_geocode, geocode.addresses_to_adcodes([addresses[i] for i in to_geocode])))
    for i in need:
        code = adcode[i] if by_adcode[i] is not None else found.get(i)
        hit = by_adcode[i] or (geocode.locate_adcode(code) if code else None)
        if hit is None:
            if addresses[i]:
                rj.add(i, "address_unmatched", found=addresses[i])
            elif adcode[i]:
                rj.add(i, "adcode_unknown", found=adcode[i])
            else:
                rj.add(i, "no_location")
            continue
        lon[i], lat[i], precision[i] = hit
        adcode[i] = current_code(code)
        if not (b0 <= lon[i] <= b2 and b1 <= lat[i] <= b3):
            rj.add(i, "outside_bbox", lon=lon[i], lat=lat[i], bbox=list(bbox), crs="WGS84")
    return lon.tolist(), lat.tolist(), precision, adcode


def _swapped_inside(x: float, y: float, spec: CrsSpec, bbox) -> bool:
    """Whether (y, x) taken as (lon, lat) lands inside the region bbox."""
    if not (abs(y) <= 180 and abs(x) <= 90):
        return False
    sx, sy = to_wgs84(np.array([y]), np.array([x]), spec)
    return bool(bbox[0] <= sx[0] <= bbox[2] and bbox[1] <= sy[0] <= bbox[3])


def _vocab_field(values, words, name, names, rj: _Rejects, default: str | None = None) -> list[str | None]:
    out = []
    for i, v in enumerate(values):
        if v is None or not v.strip():
            out.append(default)
            continue
        code = vocab.lookup(words, v)
        if code is None:
            rj.add(i, "unknown_value", field=name, found=v, expected=vocab.choices(names))
        out.append(code)
    return out


def _chain_list(values, rj: _Rejects, words=vocab.CHAIN_WORDS) -> list[list[str]]:
    out = []
    for i, v in enumerate(values):
        codes = []
        for part in vocab.split_list(v):
            code = vocab.lookup(words, part)
            if code is None:
                rj.add(i, "unknown_chain", found=part, expected=vocab.choices(schema.CHAINS))
            elif code not in codes:
                codes.append(code)
        out.append(codes)
    return out


def _bools(values, name: str, rj: _Rejects) -> list[bool]:
    out = []
    for i, v in enumerate(values):
        b = vocab.parse_bool(v)
        if b is None:
            rj.add(i, "bad_bool", field=name, found=v)
        out.append(bool(b))
    return out


def _numbers(values, name: str, rj: _Rejects, expected: str) -> list[float | None]:
    out = []
    for i, v in enumerate(values):
        f = _number(v)
        if f is not None and math.isnan(f):
            rj.add(i, "bad_number", field=name, found=v, expected=expected)
            f = None
        elif f is not None and f < 0:
            rj.add(i, "bad_number", field=name, found=v, expected=f"{expected} (>= 0)")
        out.append(f)
    return out


def _entity_fields(entity: str, col, out: dict, rj: _Rejects, n: int) -> None:
    if entity == "parks":
        out["level"] = _vocab_field(col("level"), vocab.PARK_LEVEL_WORDS, "level", schema.PARK_LEVELS, rj)
        out["role"] = _vocab_field(col("role"), vocab.PARK_ROLE_WORDS, "role", schema.PARK_ROLES, rj)
        out["chains"] = _chain_list(col("chains"), rj)
    elif entity == "enterprises":
        out["chains"] = _chain_list(col("chains"), rj)
        for f in ("above_size", "leading", "listed"):
            out[f] = _bools(col(f), f, rj)
        out["output_yi"] = _numbers(col("output_yi"), "output_yi", rj, "亿元 (a number)")
        out["products"] = col("products")
    else:
        tiers = _vocab_field(col("tier"), vocab.TIER_WORDS, "tier", schema.RESERVE_TIERS, rj)
        for i, t in enumerate(tiers):
            if t is None and i not in rj.bad:
                rj.add(i, "unknown_value", field="tier", found="", expected=vocab.choices(schema.RESERVE_TIERS))
        out["tier"] = tiers
        kinds = _vocab_field(col("kind"), vocab.KIND_WORDS, "kind", schema.RESERVE_KINDS, rj)
        out["kind"] = [k or ("capacity" if t == "enterprise" else "physical") for k, t in zip(kinds, tiers)]
        out["categories"] = [vocab.split_list(v) for v in col("categories")]
        out["capacity"] = _numbers(col("capacity"), "capacity", rj, "a quantity")
        out["capacity_unit"] = col("capacity_unit")


#: Shared with ``etl.industry`` (the 四库一清单 readers): the same row rules for the same words.
RowRejects, parse_numbers, parse_bools, parse_vocab, parse_chains = _Rejects, _numbers, _bools, _vocab_field, _chain_list
fill_ids = _ids
