"""Admin units: the tree, simplified outlines and labels, and one unit's summary.

A unit holds the entities whose ``adcode`` is the unit's or a descendant's in ``admin_units``
(following ``parent``, not adcode prefixes: municipalities such as Beijing 110000 hold a city
110100 whose districts are its counties, and county-level cities may sit under a prefecture
with another prefix). Hazard areas come from ``hazard_cells`` joined to ``admin_cells`` at
``SUMMARY_RES`` (8, or the store's finest resolution below it, else its coarsest), each cell
weighted by its area (``h3.cell_area``) and split into classes by its pixel shares.
"""

from __future__ import annotations

import difflib
import functools
import logging
import os
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from etl import schema
from layers.frames import cell_areas
from layers.map.inspect import NotFoundError, check_text
from layers.map.viewport import check_number
from layers.store import Store

logger = logging.getLogger(__name__)

LEVELS = tuple(schema.ADMIN_LEVELS)  # province, city, county
#: Default simplification tolerance per level, metres (about a pixel at the zoom shown).
DEFAULT_TOLERANCE_M = {"province": 1000.0, "city": 500.0, "county": 200.0}
MAX_TOLERANCE_M = 20_000.0
M_PER_DEGREE = 111_320.0  # metres per degree of latitude; tolerances are latitude degrees
DECIMALS = 5  # coordinates rounded to 1e-5 degrees (about 1 m)
SUMMARY_RES = 8


@dataclass(frozen=True)
class _Key:
    """A cache key: which store build and what was asked; the store itself rides along."""

    path: str
    build_id: str | None
    args: tuple
    store: weakref.ref = field(compare=False, hash=False, repr=False)


def _key(store: Store, *args: Any) -> _Key:
    return _Key(str(store.path.resolve()), store.meta.get("build_id"), args, weakref.ref(store))


def _check_level(level: Any) -> str:
    if not isinstance(level, str) or level not in LEVELS:
        raise ValueError(f"unknown level {level!r:.40}; expected one of {list(LEVELS)}")
    return level


def admin_tree(store: Store) -> list[dict[str, Any]]:
    """Every admin unit: provinces, then cities, then counties, each in adcode order.

    Returns
    -------
    list of dict
        ``{adcode, name, level, parent, lon, lat, bbox, area_km2}``; ``parent`` is None for a
        province, ``lon``/``lat`` a point inside the unit (for labels), ``bbox`` ``[w, s, e, n]``.

    Raises
    ------
    duckdb.Error
        The store has no ``admin_units`` table (a store older than the schema).
    """
    df = store.query("SELECT adcode, name, level, parent, lon, lat, bbox, area_km2 "
                     "FROM admin_units ORDER BY adcode", numpy=True)
    rank = {lv: i for i, lv in enumerate(LEVELS)}
    rows = [{"adcode": a, "name": n, "level": lv, "parent": p if isinstance(p, str) else None,
             "lon": round(float(x), 6), "lat": round(float(y), 6),
             "bbox": [round(float(v), 6) for v in box], "area_km2": round(float(km2), 3)}
            for a, n, lv, p, x, y, box, km2 in zip(*(df[k] for k in df))]
    return sorted(rows, key=lambda r: (rank.get(r["level"], len(rank)), r["adcode"]))


def _rings(polygon: shapely.Polygon) -> list[list[list[float]]]:
    rings = [polygon.exterior, *polygon.interiors]
    return [np.round(np.asarray(r.coords), DECIMALS).tolist() for r in rings]


def geojson_geometry(geom: Any) -> dict[str, Any]:
    """A (multi)polygon as a GeoJSON geometry dict, coordinates rounded."""
    polys = [p for p in shapely.get_parts(geom)
             if isinstance(p, shapely.Polygon) and not p.is_empty]
    if len(polys) == 1:
        return {"type": "Polygon", "coordinates": _rings(polys[0])}
    return {"type": "MultiPolygon", "coordinates": [_rings(p) for p in polys]}


@functools.lru_cache(maxsize=16)
def _admin_geojson(key: _Key) -> dict[str, Any]:
    level, tolerance_m = key.args
    df = key.store().query("SELECT adcode, name, level, parent, geometry FROM admin_units "
                           "WHERE level = ? ORDER BY adcode", [level])
    geoms = shapely.from_wkb([bytes(g) for g in df["geometry"]])
    if tolerance_m > 0:
        geoms = shapely.simplify(geoms, tolerance_m / M_PER_DEGREE, preserve_topology=True)
    geoms = shapely.set_precision(geoms, 10.0**-DECIMALS)  # snaps to the grid, keeps validity
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        logger.warning("%d %s outlines invalid after simplification: repaired", bad.sum(), level)
        geoms[bad] = shapely.make_valid(geoms[bad])
    features = [{"type": "Feature", "geometry": geojson_geometry(g),
                 "properties": {"adcode": a, "name": n, "level": lv,
                                "parent": p if isinstance(p, str) else None}}
                for a, n, lv, p, g in zip(*(df[k] for k in ("adcode", "name", "level", "parent")),
                                          geoms)]
    return {"type": "FeatureCollection", "features": features}


def admin_geojson(store: Store, level: str, *, tolerance_m: float | None = None) -> dict[str, Any]:
    """The outlines of every unit of ``level`` as a simplified GeoJSON FeatureCollection.

    Each outline is simplified on its own (``shapely.simplify``, ``preserve_topology``) by
    ``tolerance_m`` metres, taken as degrees of latitude (a little less across longitude),
    then snapped to 1e-5 degree coordinates; outlines that became invalid are repaired. The
    result is cached per store file, build, level and tolerance: it is shared between
    callers, so treat it as read-only.

    Parameters
    ----------
    store
        An open store.
    level
        'province', 'city' or 'county'.
    tolerance_m
        Simplification in metres, 0 to 20 000 (0: none); None: ``DEFAULT_TOLERANCE_M[level]``.

    Returns
    -------
    dict
        ``{"type": "FeatureCollection", "features": [...]}``, features in adcode order with a
        Polygon or MultiPolygon ``geometry`` ([lng, lat]) and ``properties`` ``{adcode, name,
        level, parent}``.

    Raises
    ------
    ValueError
        An unknown level, or a tolerance that is not a number in [0, 20000].
    """
    level = _check_level(level)
    tol = DEFAULT_TOLERANCE_M[level] if tolerance_m is None else check_number("tolerance_m", tolerance_m)
    if not 0 <= tol <= MAX_TOLERANCE_M:
        raise ValueError(f"tolerance_m must be in [0, {MAX_TOLERANCE_M:g}] metres, got {tol:g}")
    return _admin_geojson(_key(store, level, tol))


def admin_labels(store: Store, level: str) -> dict[str, Any]:
    """A label point for each unit of ``level``, as a GeoJSON FeatureCollection.

    Returns
    -------
    dict
        FeatureCollection of Points at the unit's ``lon``/``lat`` (a point inside it), with
        ``properties`` ``{name, adcode, level}``, in adcode order.

    Raises
    ------
    ValueError
        An unknown level.
    """
    level = _check_level(level)
    df = store.query("SELECT adcode, name, level, lon, lat FROM admin_units WHERE level = ? "
                     "ORDER BY adcode", [level])
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [
            round(float(x), DECIMALS), round(float(y), DECIMALS)]},
         "properties": {"name": n, "adcode": a, "level": lv}}
        for a, n, lv, x, y in df.itertuples(index=False)]}


def summary_res(store: Store) -> int:
    """The resolution of hazard areas: ``SUMMARY_RES``, else the finest below, else the coarsest."""
    resolutions = sorted(int(r) for r in store.meta["resolutions"])
    return max([r for r in resolutions if r <= SUMMARY_RES], default=resolutions[0])


@functools.lru_cache(maxsize=8)
def _class_sums(key: _Key) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per county: cell area (km2) and, per hazard, sum(area) and sum(area * shares[i]).

    Cities and provinces add up their counties (every ``admin_cells`` row has a county).
    Computed once per store build and res: ~1.7 s for the demo's 411k res-8 cells, mostly
    ``h3.cell_area``; later summaries only filter these sums.
    """
    store, (res,) = key.store(), key.args
    cells = store.query("SELECT cell, county, city, province FROM admin_cells WHERE res = ?",
                        [res], numpy=True)
    area = cell_areas(cells["cell"])
    units = pd.DataFrame({k: cells[k] for k in ("county", "city", "province")}).assign(area=area)
    by_county = units.groupby(["county", "city", "province"], dropna=False,
                              as_index=False)["area"].sum()
    n = int(store.query("SELECT coalesce(max(len(breaks)), 0) AS n FROM hazard_layers")["n"].iat[0])
    sums = ", ".join(["sum(u.area * h.shares[?]) AS s" + str(i) for i in range(1, n + 1)])
    table = pa.table({"cell": pa.array(cells["cell"], pa.uint64()), "county": cells["county"],
                      "area": area})
    hazard = store.query(
        f"SELECT u.county, h.hazard, sum(u.area) AS w{', ' if n else ''}{sums} FROM hazard_cells "
        "AS h JOIN unit_cells AS u ON u.cell = h.cell WHERE h.res = ? GROUP BY u.county, h.hazard",
        [*range(1, n + 1), res], tables={"unit_cells": table})
    hazard = hazard.merge(by_county[["county", "city", "province"]], on="county", how="left")
    return by_county, hazard


def _hazard_class_area(store: Store, level: str, adcode: str) -> tuple[int, float, list]:
    """(res, km2 of the unit's cells, per hazard layer: area and share by class)."""
    res = summary_res(store)
    by_county, sums = _class_sums(_key(store, res))
    layers = store.query("SELECT hazard, units, breaks, labels FROM hazard_layers ORDER BY rowid")
    mine = sums[sums[level] == adcode]
    out = []
    for hazard, units, breaks, labels in layers.itertuples(index=False):
        rows, k = mine[mine["hazard"] == hazard], len(breaks)
        w = float(rows["w"].sum())
        s = [w, *(float(rows[f"s{i}"].sum()) for i in range(1, k + 1)), 0.0]
        area = [max(s[i] - s[i + 1], 0.0) for i in range(k + 1)]  # class i: >= break i-1, < break i
        out.append({"hazard": hazard, "units": units, "breaks": [float(b) for b in breaks],
                    "labels": list(labels), "covered_km2": round(w, 3),
                    "area_km2_by_class": [round(a, 3) for a in area],
                    "share_by_class": [round(a / w, 4) if w > 0 else None for a in area]})
    return res, round(float(by_county.loc[by_county[level] == adcode, "area"].sum()), 3), out


def _unknown(store: Store, adcode: str) -> NotFoundError:
    """The error for an adcode not in the store, with up to five near matches."""
    units = store.query("SELECT adcode, name FROM admin_units ORDER BY adcode")
    label = {a: f"{a} {n}" for a, n in zip(units["adcode"], units["name"])}
    by_name = {n: a for a, n in zip(units["adcode"], units["name"])}
    codes = difflib.get_close_matches(adcode, list(label), n=20, cutoff=0.5)
    prefix = [len(os.path.commonprefix([adcode, c])) for c in codes]  # same province/city first
    near = [c for _, c in sorted(zip(prefix, codes), key=lambda pc: -pc[0])] + [
        by_name[n] for n in difflib.get_close_matches(adcode, list(by_name), n=5, cutoff=0.3)]
    suggestions = [label[a] for a in dict.fromkeys(near)][:5]
    return NotFoundError("unknown_adcode", f"unknown adcode {adcode!r}; nearest: "
                         f"{', '.join(suggestions) or 'none'}", adcode=adcode,
                         suggestions=suggestions)


def unit_summary(store: Store, adcode: str) -> dict[str, Any]:
    """Industry, reserves and hazard exposure of one province, city or county.

    Parameters
    ----------
    store
        An open store.
    adcode
        A unit's 6-digit code in ``admin_units`` (e.g. '130000' Hebei, '110105' Chaoyang).

    Returns
    -------
    dict
        ``adcode``, ``name``, ``level``, ``parent``, ``lon``, ``lat``, ``area_km2``, ``bbox``;
        ``totals``: ``{parks, enterprises, reserves}`` in the unit;
        ``enterprises_by_chain``: per ``schema.CHAINS`` code ``{chain, count, above_size,
        leading}``; ``parks_by_level``: ``[{level, count}]`` over ``schema.PARK_LEVELS``;
        ``reserves_by_tier``: ``[{tier, count}]`` over ``schema.RESERVE_TIERS`` (zeros kept);
        ``has_county_depot``: every county in the unit (a county: itself) holds a reserve of
        tier 'county'; ``counties_without_county_depot``: ``{count, of, units: [{adcode,
        name}]}``; ``hazard_res`` and ``cells_km2`` (area of the unit's cells at that res);
        ``hazard_class_area``: per hazard layer ``{hazard, units, breaks, labels,
        covered_km2, area_km2_by_class, share_by_class}`` (share of the covered area; None
        when no cell has data).

    Raises
    ------
    ValueError
        ``adcode`` is not a string of 1-50 characters.
    NotFoundError
        (a LookupError) No such unit; the message lists up to five near adcodes and names,
        ``code`` 'unknown_adcode', ``params`` ``adcode`` and ``suggestions``.
    """
    adcode = check_text("adcode", adcode, 50)
    units = store.query("SELECT adcode, name, level, parent, lon, lat, area_km2, bbox "
                        "FROM admin_units ORDER BY adcode")
    if adcode not in set(units["adcode"]):
        raise _unknown(store, adcode)
    unit = units[units["adcode"] == adcode].iloc[0]
    level = _check_level(unit["level"])
    children: dict[str, list[str]] = {}
    for code, parent in zip(units["adcode"], units["parent"]):
        children.setdefault(parent, []).append(code)
    inside, todo = [], [adcode]
    while todo:
        inside.append(todo.pop())
        todo.extend(children.get(inside[-1], []))
    counts = store.query(
        "SELECT 'parks' AS entity, level AS key, count(*) AS n FROM parks WHERE list_contains(?::"
        "VARCHAR[], adcode) GROUP BY level UNION ALL SELECT 'reserves', tier, count(*) FROM "
        "reserves WHERE list_contains(?::VARCHAR[], adcode) GROUP BY tier UNION ALL SELECT "
        "'enterprises', NULL, count(*) FROM enterprises WHERE list_contains(?::VARCHAR[], adcode)",
        [inside] * 3)
    chains = store.query(
        "SELECT chain, count(*) AS n, count(*) FILTER (WHERE above_size) AS above, count(*) "
        "FILTER (WHERE \"leading\") AS lead FROM (SELECT unnest(list_distinct(chains)) AS chain, "
        "above_size, \"leading\" FROM enterprises WHERE list_contains(?::VARCHAR[], adcode)) "
        "GROUP BY chain",
        [inside]).set_index("chain")
    depots = set(store.query("SELECT DISTINCT adcode FROM reserves WHERE tier = ? AND list_contains"
                             "(?::VARCHAR[], adcode)", ["county", inside])["adcode"])
    by = {(e, k): int(n) for e, k, n in counts.itertuples(index=False)}
    counties = units[units["adcode"].isin(inside) & (units["level"] == "county")]
    without = [{"adcode": a, "name": n} for a, n in zip(counties["adcode"], counties["name"])
               if a not in depots]
    res, cells_km2, hazards = _hazard_class_area(store, level, adcode)
    return {
        "adcode": adcode, "name": unit["name"], "level": level,
        "parent": unit["parent"] if isinstance(unit["parent"], str) else None,
        "lon": round(float(unit["lon"]), 6), "lat": round(float(unit["lat"]), 6),
        "area_km2": round(float(unit["area_km2"]), 3),
        "bbox": [round(float(v), 6) for v in unit["bbox"]],
        "totals": {e: sum(n for (ent, _), n in by.items() if ent == e) for e in schema.ENTITIES},
        "enterprises_by_chain": [
            {"chain": c, **({k: int(chains.at[c, col]) if c in chains.index else 0 for k, col in
                             (("count", "n"), ("above_size", "above"), ("leading", "lead"))})}
            for c in schema.CHAINS],
        "parks_by_level": [{"level": lv, "count": by.get(("parks", lv), 0)}
                           for lv in schema.PARK_LEVELS],
        "reserves_by_tier": [{"tier": t, "count": by.get(("reserves", t), 0)}
                             for t in schema.RESERVE_TIERS],
        "has_county_depot": not without,
        "counties_without_county_depot": {"count": len(without), "of": len(counties),
                                          "units": without},
        "hazard_res": res, "cells_km2": cells_km2, "hazard_class_area": hazards,
    }
