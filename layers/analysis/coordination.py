"""Cross-border coordination: coverage when depots serve only their own province vs any province.

Definitions (also in ``layers/METHODS.md#coordination``); at-risk cells, hours, standards and
areas are those of ``layers.analysis.gaps``:

- a depot's **province**: its adcode walked up the ``admin_units`` parent links (else the
  province of the cell it sits in, else the adcode's first two digits + ``"0000"``); a cell's
  province: ``admin_cells``;
- **covered_own** for a tier: the nearest depot of that tier *in the cell's own province*
  arrives within the tier's standard hours (``hours_by_tier``; ``layers.analysis.travel`` distance
  model); **covered_cross**: the nearest depot of that tier in *any* province does. The nearest
  of all depots is never farther than the nearest own one, so covered_cross contains
  covered_own and every gain is >= 0;
- **first batch** (the default ``tier``): covered by any tier within its own standard (own:
  with own-province depots only); the first-batch depot of a cell is the fastest depot that
  meets its tier's standard;
- **gain**: covered_cross and not covered_own: the at-risk area (and population) that only
  depots across the border reach in time; per unit ``gain_share`` = gain / at-risk area;
- a depot's **cross_gain**: the gain cells for which it is the nearest in-standard depot of the
  tier (first batch: the fastest in-standard depot of any tier). Such a depot always lies in
  another province than the cell (an own-province depot that fast would cover it).

``cross_border_coverage`` is the pure core; ``coordination_from_store`` the store adapter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from etl import schema
from layers.analysis.travel import AccessParams, access_table, check_hours
from layers.frames import (
    at_risk_long,
    cell_strings,
    entity_units,
    hazard_breaks,
    population,
    population_of,
    region_areas,
    region_cells,
)
from layers.store import Store

#: The default ``tier``: covered by any tier within its own standard.
FIRST_BATCH = "first_batch"
UNIT_LEVELS = ("province", "city", "county")
#: Default H3 resolution of the store adapter.
DEFAULT_RES = 7


class CoordinationError(ValueError):
    """A parameter of the coordination analysis that cannot be used (names key, found, expected)."""


def check_standards(hours_by_tier: Any) -> dict[str, float]:
    """``{tier: hours}`` in schema order: known tiers, finite hours >= 0, at least one tier."""
    if not isinstance(hours_by_tier, Mapping) or not hours_by_tier:
        raise CoordinationError(f"hours_by_tier: found {hours_by_tier!r:.60}; expected a mapping "
                                "tier -> hours, e.g. {county: 6}")
    unknown = [t for t in hours_by_tier if t not in schema.RESERVE_TIERS]
    if unknown:
        raise CoordinationError(f"hours_by_tier.{unknown[0]}: unknown tier; expected one of "
                                f"{list(schema.RESERVE_TIERS)}")
    try:
        return {t: check_hours(f"hours_by_tier.{t}", hours_by_tier[t]) for t in schema.RESERVE_TIERS
                if t in hours_by_tier}
    except ValueError as exc:
        raise CoordinationError(str(exc)) from None


def check_tier(tier: Any, standards: Mapping[str, float]) -> str:
    """``tier`` if it is ``"first_batch"`` or a tier with a standard."""
    allowed = [FIRST_BATCH, *standards]
    if tier not in allowed:
        raise CoordinationError(f"tier: found {tier!r:.40}; expected one of {allowed} (the tiers "
                                "with a standard in hours_by_tier)")
    return str(tier)


def _require(name: str, df: pd.DataFrame, cols: Sequence[str]) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise CoordinationError(f"{name}: missing columns {missing}; expected {list(cols)}")


def _nearest(cells: pd.DataFrame, depots: pd.DataFrame, tier: str,
             params: AccessParams) -> tuple[np.ndarray, np.ndarray]:
    """(hours, depot row or -1) of the nearest depot of ``depots`` for each cell."""
    fac = pd.DataFrame({"id": np.arange(len(depots)).astype(str), "lat": depots["lat"].to_numpy(float),
                        "lng": depots["lng"].to_numpy(float), "group": tier})
    acc = access_table(cells, fac, params, groups=[tier])
    row = acc["facility_id"].cat.codes.to_numpy(np.int64)
    ids = acc["facility_id"].cat.categories.astype(int).to_numpy()
    return acc["hours"].to_numpy(np.float64), np.where(row >= 0, ids[np.maximum(row, 0)] if len(ids) else -1, -1)


def _tier_hours(at_risk: pd.DataFrame, depots: pd.DataFrame, tier: str, params: AccessParams,
                cell_prov: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hours to the nearest own-province depot, to the nearest depot, and that depot's row."""
    n = len(at_risk)
    mine = depots[depots["tier"].to_numpy(object) == tier]
    cross, which = _nearest(at_risk, mine, tier, params)
    which = np.where(which >= 0, mine.index.to_numpy()[np.maximum(which, 0)] if len(mine) else -1, -1)
    dep_prov = mine["province"].to_numpy(object)
    # the nearest depot lies in the cell's own province: it is also the nearest own depot
    home = np.zeros(n, bool)
    if len(mine):
        home = (which >= 0) & (depots["province"].to_numpy(object)[np.maximum(which, 0)] == cell_prov)
    own = np.where(home, cross, np.inf)
    for prov in pd.unique(cell_prov[~home]):
        rows = np.flatnonzero(~home & (cell_prov == prov))
        local = mine[dep_prov == prov]
        if len(local):
            own[rows] = _nearest(at_risk.iloc[rows], local, tier, params)[0]
    return own, cross, which


def _units(at_risk: pd.DataFrame, area: np.ndarray, pop: np.ndarray, own: np.ndarray,
           cross: np.ndarray, tier: str) -> pd.DataFrame:
    """Per province, city and county: at-risk, covered own/cross and gained area and people."""
    gain = cross & ~own
    frames = []
    for lv in [lv for lv in UNIT_LEVELS if lv in at_risk.columns]:
        key = pd.Series(at_risk[lv].to_numpy(object))
        ok = key.notna().to_numpy()
        codes, units = pd.factorize(key[ok])
        m = len(units)
        if not m:
            continue
        a, p = area[ok], pop[ok]
        known = ~np.isnan(p)
        has_p = np.bincount(codes, known, m) > 0
        g = pd.DataFrame({"level": lv, "adcode": np.asarray(units, dtype=object), "tier": tier,
                          "at_risk_cells": np.bincount(codes, minlength=m),
                          "at_risk_km2": np.bincount(codes, a, m)})
        g["population"] = np.where(has_p, np.bincount(codes, np.where(known, p, 0), m), np.nan)
        g["covered_own_km2"] = np.bincount(codes, a * own[ok], m)
        g["covered_cross_km2"] = np.bincount(codes, a * cross[ok], m)
        g["gain_km2"] = np.bincount(codes, a * gain[ok], m)
        g["share_own"] = g["covered_own_km2"] / g["at_risk_km2"]
        g["share_cross"] = g["covered_cross_km2"] / g["at_risk_km2"]
        g["gain_share"] = g["gain_km2"] / g["at_risk_km2"]
        g["gain_population"] = np.where(has_p, np.bincount(codes, np.where(known & gain[ok], p, 0), m), np.nan)
        frames.append(g.sort_values("adcode", kind="stable"))
    if not frames:
        return pd.DataFrame(columns=["level", "adcode", "tier", "at_risk_cells", "at_risk_km2", "population",
                                     "covered_own_km2", "covered_cross_km2", "gain_km2", "share_own",
                                     "share_cross", "gain_share", "gain_population"])
    return pd.concat(frames, ignore_index=True)


def _depots(depots: pd.DataFrame, tiers: Sequence[str], credit: np.ndarray, area: np.ndarray,
            pop: np.ndarray, cell_prov: np.ndarray) -> pd.DataFrame:
    """Per depot of ``tiers``: cross-border gain credited to it, provinces served, rank."""
    sub = depots[depots["tier"].isin(list(tiers))]
    hit = credit >= 0
    m = len(depots)
    km2 = np.bincount(credit[hit], area[hit], m)
    n = np.bincount(credit[hit], minlength=m)
    known = ~np.isnan(pop[hit])
    has_p = np.bincount(credit[hit], known, m) > 0
    people = np.where(has_p, np.bincount(credit[hit], np.where(known, pop[hit], 0), m), np.nan)
    served = pd.Series(cell_prov[hit]).groupby(credit[hit]).unique()
    idx = sub.index.to_numpy()
    out = pd.DataFrame({"id": sub["id"].to_numpy(object),
                        "name": sub["name"].to_numpy(object) if "name" in sub.columns else None,
                        "tier": sub["tier"].to_numpy(object), "province": sub["province"].to_numpy(object),
                        "lon": sub["lng"].to_numpy(float), "lat": sub["lat"].to_numpy(float),
                        "cross_gain_cells": n[idx], "cross_gain_km2": km2[idx],
                        "cross_gain_population": people[idx],
                        "provinces_served": [sorted(served.get(i, [])) for i in idx]})
    keys = (pd.factorize(out["id"].astype(str), sort=True)[0],
            -np.nan_to_num(out["cross_gain_population"].to_numpy()), -out["cross_gain_km2"].to_numpy())
    out = out.iloc[np.lexsort(keys)].reset_index(drop=True)
    rank = pd.array(np.arange(1, len(out) + 1), dtype="Int64")
    rank[out["cross_gain_km2"].to_numpy() <= 0] = pd.NA
    out.insert(0, "rank", rank)
    return out


def cross_border_coverage(at_risk: pd.DataFrame, depots: pd.DataFrame, params: AccessParams,
                          hours_by_tier: Mapping[str, float], *,
                          tier: str = FIRST_BATCH) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Coverage of at-risk cells by own-province depots only vs by depots of any province.

    Parameters
    ----------
    at_risk
        One row per at-risk cell: ``cell`` (H3 string or uint64), ``lat``, ``lng`` (centre),
        optional ``terrain`` (detour class), ``province`` (the cell's province), optional
        ``city`` and ``county``, ``area_km2`` (> 0), optional ``population`` (NaN: unknown).
    depots
        One row per reserve: ``id``, ``lat``, ``lng``, ``tier``, ``province``, optional
        ``name``. Tiers without a standard are ignored.
    params
        Detour factors, speeds by tier and dispatch delay (``AccessParams``).
    hours_by_tier
        Standard hours per tier (``{county: 6, municipal: 8, ...}``).
    tier
        ``"first_batch"`` (any tier within its own standard) or a tier of ``hours_by_tier``:
        the coverage that ``units`` and ``depots`` report.

    Returns
    -------
    units : pandas.DataFrame
        Per ``level`` (province, city, county, those present) and ``adcode``: ``tier``,
        ``at_risk_cells``, ``at_risk_km2``, ``population`` (NaN when unknown),
        ``covered_own_km2``, ``covered_cross_km2``, ``gain_km2`` (= cross - own, >= 0),
        ``share_own``, ``share_cross``, ``gain_share`` (of the at-risk area),
        ``gain_population``.
    depots : pandas.DataFrame
        Depots of the reported tier(s), most cross-border gain first: ``rank`` (NA without
        gain), ``id``, ``name``, ``tier``, ``province``, ``lon``, ``lat``,
        ``cross_gain_cells``, ``cross_gain_km2``, ``cross_gain_population`` (other
        provinces' at-risk area that only it reaches first in time), ``provinces_served``.
    cells : pandas.DataFrame
        ``cell`` (H3 string), the unit columns, ``area_km2``, ``population``, per tier
        ``hours_own_<tier>`` and ``hours_cross_<tier>`` (inf: no depot), then for ``tier``:
        ``covered_own``, ``covered_cross``, ``gain``, ``gain_depot`` and
        ``gain_depot_province`` (NA unless ``gain``).

    Raises
    ------
    CoordinationError
        Missing columns, bad areas, an unknown tier, bad hours (names key, found, expected).

    Examples
    --------
    >>> import h3
    >>> cells = pd.DataFrame({"cell": [h3.latlng_to_cell(0, 2, 7)], "lat": [0.0], "lng": [2.0],
    ...                       "province": ["P"], "area_km2": [1.0]})
    >>> depots = pd.DataFrame({"id": ["A", "B"], "lat": [0.0, 0.0], "lng": [0.0, 3.0],
    ...                        "tier": "county", "province": ["P", "Q"]})
    >>> params = AccessParams(detour={"plain": 1.0}, speed_kmh={"county": 100.0})
    >>> _, _, out = cross_border_coverage(cells, depots, params, {"county": 2})
    >>> out[["covered_own", "covered_cross", "gain", "gain_depot"]].values.tolist()
    [[False, True, True, 'B']]
    """
    std = check_standards(hours_by_tier)
    tier = check_tier(tier, std)
    _require("at_risk", at_risk, ("cell", "lat", "lng", "province", "area_km2"))
    _require("depots", depots, ("id", "lat", "lng", "tier", "province"))
    area = at_risk["area_km2"].to_numpy(np.float64)
    if not (np.isfinite(area) & (area > 0)).all():
        raise CoordinationError("at_risk.area_km2: found values that are not finite and > 0; expected km2 > 0")
    at_risk = at_risk.reset_index(drop=True)
    depots = depots[depots["tier"].isin(list(std))].reset_index(drop=True)
    n = len(at_risk)
    pop = (at_risk["population"].to_numpy(np.float64) if "population" in at_risk.columns
           else np.full(n, np.nan))
    cell_prov = at_risk["province"].to_numpy(object)
    tiers = list(std)
    own_h, cross_h = np.empty((n, len(tiers))), np.empty((n, len(tiers)))
    near = np.full((n, len(tiers)), -1, np.int64)
    for j, t in enumerate(tiers):
        own_h[:, j], cross_h[:, j], near[:, j] = _tier_hours(at_risk, depots, t, params, cell_prov)
    limit = np.array([std[t] for t in tiers])
    own_ok, cross_ok = own_h <= limit, cross_h <= limit
    if tier == FIRST_BATCH:
        own, cross = own_ok.any(axis=1), cross_ok.any(axis=1)
        masked = np.where(cross_ok, cross_h, np.inf)
        best = masked.argmin(axis=1) if tiers else np.zeros(n, np.int64)
        depot = near[np.arange(n), best] if tiers else np.full(n, -1)
        reported = tiers
    else:
        j = tiers.index(tier)
        own, cross, depot, reported = own_ok[:, j], cross_ok[:, j], near[:, j], [tier]
    gain = cross & ~own
    credit = np.where(gain, depot, -1)

    cells = pd.DataFrame({"cell": cell_strings(at_risk["cell"])})
    for lv in ("county", "city", "province"):
        if lv in at_risk.columns:
            cells[lv] = at_risk[lv].to_numpy(object)
    cells["area_km2"], cells["population"] = area, pop
    for j, t in enumerate(tiers):
        cells[f"hours_own_{t}"], cells[f"hours_cross_{t}"] = own_h[:, j], cross_h[:, j]
    cells["covered_own"], cells["covered_cross"], cells["gain"] = own, cross, gain
    ids = depots["id"].to_numpy(object)
    provs = depots["province"].to_numpy(object)
    cells["gain_depot"] = pd.array(np.where(gain, ids[np.maximum(credit, 0)] if len(ids) else None, None),
                                   dtype="string")
    cells["gain_depot_province"] = pd.array(
        np.where(gain, provs[np.maximum(credit, 0)] if len(ids) else None, None), dtype="string")
    units = _units(at_risk, area, pop, own, cross, tier)
    return units, _depots(depots, reported, credit, area, pop, cell_prov), cells


# --- store adapter ----------------------------------------------------------------------------

def depot_provinces(store: Store, res: int) -> pd.DataFrame:
    """Reserves with ``id``, ``name``, ``tier``, ``lat``, ``lng`` and their ``province``."""
    t = schema.check_identifier("reserves")
    cols = ", ".join(f"{schema.quote(schema.check_identifier(t, c))} AS {a}" for c, a in (
        ("id", "id"), ("name", "name"), ("tier", "tier"), ("lat", "lat"), ("lon", "lng"), ("adcode", "adcode")))
    dep = store.query(f"SELECT {cols} FROM {t} ORDER BY id")
    where = entity_units(store, "reserves", res, "province")
    prov = dep["id"].map(dict(zip(where["id"], where["unit"])))
    provinces = set(store.query("SELECT adcode FROM admin_units WHERE level = 'province'")["adcode"])
    prefix = dep["adcode"].astype(str).str[:2] + "0000"
    dep["province"] = prov.where(prov.notna(), prefix.where(prefix.isin(provinces)))
    return dep.drop(columns="adcode").astype({"lat": float, "lng": float})


def coordination_from_store(store: Store, hazard: str = "any", res: int = DEFAULT_RES, *,
                            min_class: Any = None, tier: str = FIRST_BATCH,
                            hours_by_tier: Mapping[str, float] | None = None,
                            **access_overrides: Any) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``cross_border_coverage`` of a hazard's (or any hazard's) at-risk cells of a store.

    Parameters
    ----------
    store
        An open ``Store``.
    hazard
        A hazard layer, or ``"any"`` (at risk for any layer at its own threshold; default).
    res
        H3 resolution, one of the store's (default 7).
    min_class
        Class threshold: an int for every hazard or ``{hazard: int}`` (default 2).
    tier
        ``"first_batch"`` (default) or a tier with a standard (county, municipal, ...).
    hours_by_tier
        Overrides merged over meta ``standards.hours_by_tier``.
    **access_overrides
        ``detour``, ``speed_kmh``, ``dispatch_delay_h`` (as ``access_from_store``).

    Returns
    -------
    (units, depots, cells)
        As ``cross_border_coverage``; ``units`` also has ``name``, ``depots.province_name``
        and ``provinces_served`` hold adcodes. Area: ``h3.cell_area``; population from
        ``exposure_cells`` (NaN without it).

    Raises
    ------
    ValueError
        Unknown hazard, resolution or tier; ``min_class`` out of range; bad hours or access
        parameters (names the key, found, expected).
    """
    layers = hazard_breaks(store)
    if not isinstance(hazard, str) or (hazard not in layers and hazard != "any"):
        raise CoordinationError(f"hazard: found {hazard!r:.40}; expected one of {[*layers, 'any']}")
    standards = store.meta.get("standards") or {}
    if hours_by_tier is not None and not isinstance(hours_by_tier, Mapping):
        raise CoordinationError(f"hours_by_tier: found {hours_by_tier!r:.60}; expected a mapping tier -> hours")
    std = check_standards({**(standards.get("hours_by_tier") or {}), **(hours_by_tier or {})})
    tier = check_tier(tier, std)
    params = AccessParams.from_standards(standards, **access_overrides)
    cells = region_cells(store, res)  # validates res
    chosen = list(layers) if hazard == "any" else [hazard]
    risk = at_risk_long(store, res, chosen, min_class)
    at_cells = np.unique(risk["cell"].to_numpy(np.uint64))
    pos = pd.Index(cells["cell"].to_numpy(np.uint64)).get_indexer(at_cells)
    pos = pos[pos >= 0]
    prov = store.query("SELECT province FROM admin_cells WHERE res = ? ORDER BY cell", [int(res)])["province"]
    at_risk = cells.iloc[pos][["cell", "lat", "lng", "terrain", "county", "city"]].reset_index(drop=True)
    at_risk["province"] = prov.to_numpy(object)[pos]
    at_risk["area_km2"] = region_areas(store, res)[pos]
    at_risk["population"] = population_of(population(store, res), at_risk["cell"].to_numpy(np.uint64))
    units, depots, out = cross_border_coverage(at_risk, depot_provinces(store, res), params, std, tier=tier)
    names = store.query("SELECT adcode, name FROM admin_units")
    name = dict(zip(names["adcode"], names["name"]))
    units.insert(2, "name", units["adcode"].map(name).astype(object))
    depots.insert(depots.columns.get_loc("province") + 1, "province_name",
                  depots["province"].map(name).astype(object))
    return units, depots, out
