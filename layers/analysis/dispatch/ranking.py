"""Dispatch ranking: the reserves and enterprises that reach an event first, whether each meets
its tier's standard, the summary per event and the facility -> centre lines for the map (pure).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import h3.api.basic_int as h3i
import numpy as np
import pandas as pd

from etl import schema
from layers.analysis.dispatch.events import Event, EventError, check_range, haversine_km
from layers.analysis.travel import (
    CHAIN_SPEED_KEY,
    AccessParams,
    nearest_facilities,
)
from layers.frames import DEFAULT_TERRAIN
from layers.store import json_ready

DEFAULT_LIMIT_ENTERPRISES = 50
ENTERPRISE_UNIT = "亿元"  # output_yi: annual output value
TABLE_COLUMNS = ("rank", "kind", "id", "name", "tier", "chains", "capacity", "capacity_unit", "lon", "lat",
                 "gc_km", "road_km", "hours", "hours_edge", "standard_h", "meets_standard", "inside")



# --- the core ---------------------------------------------------------------------------------

def check_standard_hours(hours_by_tier: Any) -> dict[str, float]:
    """``{tier: hours}`` with known tiers and finite hours >= 0."""
    if not isinstance(hours_by_tier, Mapping):
        raise ValueError(f"hours_by_tier: found {hours_by_tier!r:.60}; expected a mapping tier -> hours, "
                         "e.g. {county: 6, municipal: 8, provincial: 10}")
    out = {}
    for tier, h in hours_by_tier.items():
        if tier not in schema.RESERVE_TIERS:
            raise ValueError(f"hours_by_tier.{tier}: unknown tier; expected one of {list(schema.RESERVE_TIERS)}")
        out[str(tier)] = check_range(f"hours_by_tier.{tier}", h, 0, math.inf)
    return out


def relevant_chains(chains: Mapping[str, Sequence[str]] | Sequence[str], hazard: str) -> list[str]:
    """The chains that respond to ``hazard``: ``chains[hazard]`` of a mapping, or the sequence itself."""
    if isinstance(chains, Mapping):
        if hazard not in chains:
            raise EventError(f"hazard: found {hazard!r:.40}; expected one with relevant chains {sorted(chains)}")
        chains = chains[hazard]
    if isinstance(chains, str) or not isinstance(chains, Sequence):
        raise ValueError(f"chains: found {chains!r:.60}; expected a list of chain codes")
    unknown = [c for c in chains if c not in schema.CHAINS]
    if unknown:
        raise ValueError(f"chains: unknown codes {unknown}; expected codes of {list(schema.CHAINS)}")
    return list(dict.fromkeys(chains))


def _frame(name: str, df: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    """``df`` with checked columns and coordinates, index reset."""
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{name}: missing columns {missing}; expected {list(cols)}")
    lon, lat = (pd.to_numeric(df[c], errors="coerce").to_numpy(np.float64) for c in ("lon", "lat"))
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if bad.any():
        raise ValueError(f"{name}: found {int(bad.sum())} rows with missing or out-of-range lon/lat "
                         f"(first id {df['id'].iloc[int(np.flatnonzero(bad)[0])]!r}); expected WGS-84 degrees")
    return df.assign(lon=lon, lat=lat).reset_index(drop=True)


def _number_column(df: pd.DataFrame, col: str) -> np.ndarray | float:
    """A numeric column as float64 (non-numbers -> NaN), or NaN when absent."""
    return pd.to_numeric(df[col], errors="coerce").to_numpy(np.float64) if col in df.columns else np.nan


def _legs(event: Event, lon: np.ndarray, lat: np.ndarray, detour: float, speed: np.ndarray,
          delay: float) -> dict[str, np.ndarray]:
    """km and hours from facilities to the event's centre and to its nearest affected cell."""
    gc = haversine_km(lon, lat, event.centre[0], event.centre[1])
    inside = np.zeros(len(lon), bool)
    edge = np.zeros(len(lon))
    if len(lon):
        own = np.fromiter((h3i.latlng_to_cell(y, x, event.res) for x, y in zip(lon.tolist(), lat.tolist())),
                          np.uint64, len(lon))
        inside = np.isin(own, event.cells)
        _, km = nearest_facilities(lat, lon, event.lat, event.lng, k=1)
        edge = np.where(inside, 0.0, km[:, 0])
    return {"gc_km": gc, "road_km": gc * detour, "hours": gc * detour / speed + delay,
            "hours_edge": edge * detour / speed + delay, "inside": inside}


def _ranked(df: pd.DataFrame, limit: int | None) -> pd.DataFrame:
    """Rows by hours (ties by id), ranked from 1, the first ``limit`` kept."""
    df = df.sort_values(["hours", "id"], kind="stable").reset_index(drop=True)
    df.insert(0, "rank", np.arange(1, len(df) + 1, dtype=np.int64))
    return df if limit is None else df.head(limit)


def check_limit(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name}: found {value!r:.20}; expected an integer >= 0 or None (all)")
    return int(value)


def dispatch_table(event: Event, reserves: pd.DataFrame, enterprises: pd.DataFrame, params: AccessParams,
                   hours_by_tier: Mapping[str, float], chains: Mapping[str, Sequence[str]] | Sequence[str], *,
                   terrain: str | None = None, tiers: Sequence[str] | None = None,
                   limit_reserves: int | None = None,
                   limit_enterprises: int | None = DEFAULT_LIMIT_ENTERPRISES) -> pd.DataFrame:
    """Reserves and relevant-chain enterprises ranked by arrival hours at the event's centre.

    Parameters
    ----------
    event
        From ``event_point``, ``event_polygon`` or ``event_quake``.
    reserves
        ``id``, ``name``, ``tier``, ``lon``, ``lat``, [``capacity``, ``capacity_unit``].
    enterprises
        ``id``, ``name``, ``lon``, ``lat``, ``chains`` (list of codes), [``output_yi``]; those
        holding none of the relevant chains are left out.
    params
        Detour factors, speeds (a reserve travels at its tier's speed, an enterprise at the
        ``"enterprise"`` speed) and the dispatch delay.
    hours_by_tier
        Standard hours per tier (e.g. county 6, municipal 8, provincial 10); tiers not listed
        have no standard.
    chains
        ``{hazard: [chain, ...]}`` (the event's hazard picks the list) or the list itself.
    terrain
        Terrain class of the centre's cell (a key of ``params.detour``); ``None``: ``"plain"``.
    tiers
        Only reserves of these tiers (default: all).
    limit_reserves, limit_enterprises
        Rows kept per kind, fastest first (``None``: all; default all reserves, 50 enterprises).

    Returns
    -------
    pandas.DataFrame
        ``TABLE_COLUMNS``: reserves (by hours) then enterprises (by hours), each ranked from 1.
        ``tier`` (reserves) / ``chains`` (enterprises: the relevant chains held); ``capacity``
        and ``capacity_unit`` (enterprises: ``output_yi``, 亿元); ``gc_km``, ``road_km``,
        ``hours`` to the centre; ``hours_edge`` to the nearest affected cell centre (the delay
        alone when ``inside``, the facility lying in an affected cell); ``standard_h`` (NaN
        without a standard); ``meets_standard`` (hours <= standard_h; NA without one).

    Raises
    ------
    ValueError
        Missing columns, bad coordinates, an unknown tier, terrain, hazard or chain, a tier
        without a speed, bad limits (the message names key, found, expected).
    """
    if not isinstance(event, Event) or not len(event.cells):
        raise EventError(f"event: found {type(event).__name__}; expected an Event with affected cells")
    std = check_standard_hours(hours_by_tier)
    wanted = relevant_chains(chains, event.hazard)
    terrain = DEFAULT_TERRAIN if terrain is None else terrain
    if terrain not in params.detour:
        raise ValueError(f"terrain: found {terrain!r:.40}; expected a key of detour {sorted(params.detour)}")
    detour, delay = params.detour[terrain], params.dispatch_delay_h
    limits = check_limit("limit_reserves", limit_reserves), check_limit("limit_enterprises", limit_enterprises)
    rsv = _frame("reserves", reserves, ("id", "name", "tier", "lon", "lat"))
    if tiers is not None:
        unknown = [t for t in tiers if t not in schema.RESERVE_TIERS]
        if unknown or isinstance(tiers, str):
            raise ValueError(f"tiers: found {unknown or tiers!r}; expected tiers of {list(schema.RESERVE_TIERS)}")
        rsv = rsv[rsv["tier"].isin(list(tiers))].reset_index(drop=True)
    ent = _frame("enterprises", enterprises, ("id", "name", "lon", "lat", "chains"))
    held = [[c for c in wanted if isinstance(v, (list, tuple, np.ndarray)) and c in v] for v in ent["chains"]]
    keep = np.array([bool(h) for h in held], bool)
    ent = ent[keep].reset_index(drop=True)
    held = [h for h, k in zip(held, keep) if k]

    tier = rsv["tier"].astype(object).to_numpy()
    speed = np.array([params.speed_for(str(t)) for t in tier], np.float64)
    standard = np.array([std.get(str(t), np.nan) for t in tier], np.float64)
    legs = _legs(event, rsv["lon"].to_numpy(), rsv["lat"].to_numpy(), detour, speed, delay)
    meets = pd.array(np.where(np.isnan(standard), None, legs["hours"] <= standard), dtype="boolean")
    r_out = pd.DataFrame({
        "kind": "reserve", "id": rsv["id"].astype(str), "name": rsv["name"], "tier": tier,
        "chains": [None] * len(rsv), "capacity": _number_column(rsv, "capacity"),
        "capacity_unit": rsv["capacity_unit"] if "capacity_unit" in rsv else None,
        "lon": rsv["lon"].to_numpy(), "lat": rsv["lat"].to_numpy(),
        **{k: legs[k] for k in ("gc_km", "road_km", "hours", "hours_edge")},
        "standard_h": standard, "meets_standard": meets, "inside": legs["inside"]})
    e_speed = np.full(len(ent), params.speed_for(CHAIN_SPEED_KEY) if len(ent) else 1.0)
    legs = _legs(event, ent["lon"].to_numpy(), ent["lat"].to_numpy(), detour, e_speed, delay)
    e_out = pd.DataFrame({
        "kind": "enterprise", "id": ent["id"].astype(str), "name": ent["name"], "tier": [None] * len(ent),
        "chains": held, "capacity": _number_column(ent, "output_yi"), "capacity_unit": ENTERPRISE_UNIT,
        "lon": ent["lon"].to_numpy(), "lat": ent["lat"].to_numpy(),
        **{k: legs[k] for k in ("gc_km", "road_km", "hours", "hours_edge")},
        "standard_h": np.nan, "meets_standard": pd.array([pd.NA] * len(ent), dtype="boolean"),
        "inside": legs["inside"]})
    parts = [_ranked(r_out, limits[0]), _ranked(e_out, limits[1])]
    out = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
    out = out.astype({"kind": object, "tier": object, "chains": object, "capacity_unit": object,
                      "capacity": np.float64, "standard_h": np.float64, "meets_standard": "boolean",
                      "inside": bool, "rank": np.int64})
    return out[list(TABLE_COLUMNS)]


def _round(value: Any, digits: int = 3) -> Any:
    """A JSON-ready number rounded to ``digits`` (None for NaN/NA/inf)."""
    v = json_ready(value)
    return round(v, digits) if isinstance(v, float) else v


def _units(admin: pd.DataFrame | None, level: str, names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Units of a level touched by the event, most cells first: adcode, name, cells."""
    if admin is None or level not in admin.columns:
        return []
    counts = admin[level].dropna().astype(str).value_counts()
    order = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"adcode": a, "name": names.get(a), "cells": int(n)} for a, n in order]


def dispatch_summary(event: Event, table: pd.DataFrame, hours_by_tier: Mapping[str, float], *,
                     chains: Sequence[str] | None = None, admin: pd.DataFrame | None = None,
                     population: float | None = None, names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What a dispatcher reads first: the area, who is touched, the fastest reserve per tier, the standards.

    Parameters
    ----------
    event
        The event (cells already restricted to the region, if that matters).
    table
        ``dispatch_table`` output *without limits*, so the fastest of every tier is in it.
    hours_by_tier
        The standards to check (a tier listed without any reserve in ``table`` is not met).
    chains
        The relevant chains, for the fastest enterprise per chain (default: those in ``table``).
    admin
        ``county``, ``city`` per affected cell (one row per cell), for the units touched.
    population
        People in the affected cells (``None``: no exposure data).
    names
        adcode -> name.

    Returns
    -------
    dict
        JSON-ready: ``event`` (kind, hazard, res, centre, parameters), ``affected_cells``,
        ``area_km2`` (sum of ``h3.cell_area``), ``population``, ``max_pga`` and
        ``max_intensity`` (quakes), ``counties`` and ``cities`` (adcode, name, cells),
        ``fastest_by_tier`` (tier -> id, name, hours, hours_edge, road_km, capacity,
        capacity_unit, standard_h, meets_standard), ``standards_met`` (tier -> bool),
        ``all_standards_met``, ``enterprises`` (chains, count, fastest_by_chain).
    """
    std = check_standard_hours(hours_by_tier)
    names = dict(names or {})
    area = float(sum(h3i.cell_area(int(c), "km^2") for c in event.cells.tolist()))
    out: dict[str, Any] = {
        "event": {"kind": event.kind, "hazard": event.hazard, "res": event.res,
                  "centre": [round(event.centre[0], 6), round(event.centre[1], 6)],
                  **{k: _round(v, 4) if not isinstance(v, list) else v for k, v in event.params.items()}},
        "affected_cells": len(event.cells), "area_km2": round(area, 3),
        "population": None if population is None else _round(population, 1)}
    if event.pga is not None:
        out["max_pga"] = _round(event.pga.max(), 4)
        out["max_intensity"] = int(event.intensity.max())
    out["counties"], out["cities"] = _units(admin, "county", names), _units(admin, "city", names)
    res = table[table["kind"] == "reserve"].sort_values(["hours", "id"], kind="stable")
    first = res.drop_duplicates("tier")
    present = [t for t in schema.RESERVE_TIERS if t in set(first["tier"])]
    first = first.set_index("tier")
    out["fastest_by_tier"] = {t: {k: _round(first.at[t, k]) for k in (
        "id", "name", "hours", "hours_edge", "road_km", "capacity", "capacity_unit", "standard_h",
        "meets_standard")} for t in present}
    met = {t: bool(t in first.index and first.at[t, "hours"] <= h) for t, h in std.items()}
    out["standards_met"], out["all_standards_met"] = met, all(met.values())
    ent = table[table["kind"] == "enterprise"].sort_values(["hours", "id"], kind="stable")
    if chains is None:
        chains = list(dict.fromkeys(c for v in ent["chains"] for c in v))
    by_chain = {}
    for c in chains:
        hit = ent[[c in v for v in ent["chains"]]]
        by_chain[c] = (None if hit.empty else {k: _round(hit.iloc[0][k]) for k in ("id", "name", "hours")})
    out["enterprises"] = {"chains": list(chains), "count": len(ent), "fastest_by_chain": by_chain}
    return out


def dispatch_lines(table: pd.DataFrame, event: Event) -> dict[str, Any]:
    """Facility -> centre lines for the map, as a GeoJSON FeatureCollection ([lon, lat]).

    One LineString per table row (straight in lon/lat: fine for the few hundred km of a
    region), with properties ``rank``, ``kind``, ``id``, ``name``, ``tier``, ``chains``,
    ``hours``, ``hours_edge``, ``meets_standard``.
    """
    cx, cy = event.centre
    keys = ("rank", "kind", "id", "name", "tier", "chains", "hours", "hours_edge", "meets_standard")
    feats = [{"type": "Feature",
              "geometry": {"type": "LineString", "coordinates": [[float(r["lon"]), float(r["lat"])], [cx, cy]]},
              "properties": {k: json_ready(r[k]) for k in keys}}
             for r in table.to_dict(orient="records")]
    return {"type": "FeatureCollection", "features": feats}


