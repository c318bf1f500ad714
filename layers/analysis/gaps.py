"""Coverage gaps: at-risk H3 cells that the reserve standards do not reach in time.

Definitions (also in ``layers/METHODS.md#gaps``):

- **at risk**: a cell whose hazard ``class`` (number of the layer's breaks <= the cell's max) is
  >= ``min_class`` of that hazard (default 2: the second break and above); ``"any"``: at risk
  for at least one hazard (each with its own threshold);
- **covered for a tier**: the nearest reserve of that tier arrives within the tier's standard
  hours (``hours_by_tier``, meta ``standards.hours_by_tier``: county 6, municipal 8,
  provincial 10, national 10); hours come from ``layers.analysis.travel`` (a distance model);
- **gap**: not covered for the county tier (the county standard, 6 h by default);
- **first batch**: the fastest tier that meets its own standard (its hours; NaN if none);
- **missing chains** of a cell: the chains relevant to its hazard(s) (meta
  ``chains_by_hazard``) whose nearest enterprise does not arrive within ``chain_hours``
  (default 6 h); of a unit: the relevant chains uncovered on more than half of the unit's
  at-risk area where they are relevant.

Per unit (county, city, province; membership from ``admin_cells``, which follows the
``admin_units`` parent links): at-risk area and cells, population (NaN without exposure),
gap area, area-weighted share covered per tier, worst and area-weighted p90 of the
county-tier hours, whether the unit's counties hold a county-tier reserve, missing chains.

``coverage_gaps`` is the pure core; ``gaps_from_store`` the store adapter.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from etl import schema
from layers.analysis.travel import (
    GAP_TIER,
    AccessParams,
    access_table,
    check_hours,
    check_hours_by_tier,
    rank1_hours,
)
from layers.analysis.supply import material_sufficiency
from layers.frames import at_risk_frames, cell_strings, counties_with_depot, facility_groups, hazard_breaks, min_classes
from layers.store import Store

#: Default hours within which a chain's nearest enterprise must arrive.
DEFAULT_CHAIN_HOURS = 6.0
#: A unit misses a chain when it is uncovered on more than this share of the relevant area.
MISSING_CHAIN_SHARE = 0.5
#: The quantile reported as ``p90_hours`` (area-weighted).
P_QUANTILE = 0.9
UNIT_LEVELS = ("county", "city", "province")


# --- checks -----------------------------------------------------------------------------------


# --- the core ---------------------------------------------------------------------------------

def coverage_gaps(at_risk: pd.DataFrame, access: pd.DataFrame, hours_by_tier: Mapping[str, float],
                  chain_hours: float = DEFAULT_CHAIN_HOURS, *, chain_access: pd.DataFrame | None = None,
                  chains: Sequence[str] | None = None,
                  depot_counties: Collection[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coverage of at-risk cells against the tier standards, and its summary per unit.

    Parameters
    ----------
    at_risk
        One row per at-risk cell: ``cell`` (H3 string or uint64), ``area_km2`` (> 0), and the
        cell -> unit mapping ``county``, ``city`` and optionally ``province`` (adcodes);
        optional ``population`` (NaN/absent: no exposure data) and ``chains`` (a list per
        cell: the chains relevant to that cell; absent: all of ``chains``).
    access
        ``access_table`` output for the reserve tiers (rank-1 rows are used). A tier of
        ``hours_by_tier`` missing here, or a cell missing, counts as never reached (inf h).
    hours_by_tier
        Standard hours per tier; must hold ``"county"`` (the gap tier).
    chain_hours
        Hours within which a chain's nearest enterprise must arrive (> 0).
    chain_access
        ``access_table`` output grouped by chain (separate from ``access``: ``rescue`` is both
        a tier and a chain). None: no chain analysis (empty ``missing_chains``).
    chains
        Relevant chains, in report order; default: the groups of ``chain_access``.
    depot_counties
        Counties holding a county-tier reserve; None: ``has_county_depot`` is NA.

    Returns
    -------
    cells : pandas.DataFrame
        ``cell``, ``county``, ``city``, [``province``], ``area_km2``, ``population``, per tier
        ``hours_<tier>`` and ``covered_<tier>`` (hours <= standard), ``first_batch_tier`` and
        ``first_batch_hours`` (fastest tier meeting its standard; NA/NaN if none),
        ``missing_chains`` (list), ``n_missing_chains``, ``gap`` (not ``covered_county``).
    units : pandas.DataFrame
        One row per unit with at-risk cells, levels county, city, province in that order:
        ``level``, ``adcode``, ``at_risk_cells``, ``at_risk_area_km2``, ``population`` (NaN
        when no cell has exposure), ``gap_area_km2``, ``share_covered_<tier>`` (area-weighted),
        ``worst_hours`` and ``p90_hours`` (of county-tier hours; p90: smallest h with >= 90 %
        of the at-risk area within h), ``has_county_depot`` (every county of the unit with
        at-risk cells holds a county reserve), ``counties_without_county_depot``,
        ``missing_chains`` (uncovered on > 50 % of the area where relevant).

    Raises
    ------
    ValueError
        Missing columns, non-positive or non-finite areas, bad hours (names the key).
    """
    std = check_hours_by_tier(hours_by_tier)
    chain_hours = check_hours("chain_hours", chain_hours, strict=True)
    missing = [c for c in ("cell", "county", "city", "area_km2") if c not in at_risk.columns]
    if missing:
        raise ValueError(f"at_risk: missing columns {missing}; expected cell, county, city, "
                         "[province], area_km2, [population], [chains]")
    area = at_risk["area_km2"].to_numpy(np.float64)
    if not (np.isfinite(area) & (area > 0)).all():
        raise ValueError("at_risk.area_km2: found values that are not finite and > 0; expected km2 > 0")
    cells = cell_strings(at_risk["cell"])
    n = len(cells)
    tiers = [t for t in schema.RESERVE_TIERS if t in std]  # schema order: national ... county
    hours = rank1_hours(access, tiers, cells, "access")
    limit = np.array([std[t] for t in tiers])
    covered = hours <= limit

    if chains is None:
        chains = [] if chain_access is None else [str(g) for g in pd.unique(chain_access["tier"].astype(str))]
    chains = list(dict.fromkeys(chains))
    ch_hours = rank1_hours(chain_access, chains, cells, "chain_access")
    if "chains" in at_risk.columns:
        cache: dict[tuple, list[bool]] = {}
        rows = []
        for row in at_risk["chains"]:
            key = tuple(row) if isinstance(row, (list, tuple, np.ndarray)) else ()
            if key not in cache:
                cache[key] = [c in key for c in chains]
            rows.append(cache[key])
        rel = np.array(rows, dtype=bool).reshape(n, len(chains))
    else:
        rel = np.ones((n, len(chains)), bool)
    miss = rel & ~(ch_hours <= chain_hours)
    code = (miss * (1 << np.arange(len(chains), dtype=np.int64))).sum(axis=1) if chains else np.zeros(n, np.int64)
    uniq, inv = np.unique(code, return_inverse=True)
    patterns = [[c for j, c in enumerate(chains) if (u >> j) & 1] for u in uniq.tolist()]
    missing_chains = [patterns[i] for i in inv.ravel()]

    masked = np.where(covered, hours, np.inf)
    best = masked.argmin(axis=1) if len(tiers) else np.zeros(n, int)
    any_ok = covered.any(axis=1)
    fb_hours = np.where(any_ok, masked[np.arange(n), best], np.nan)
    fb_tier = pd.Categorical(np.where(any_ok, np.array(tiers, object)[best], None), categories=tiers)

    levels = [lv for lv in UNIT_LEVELS if lv in at_risk.columns]
    pop = (at_risk["population"].to_numpy(np.float64) if "population" in at_risk.columns
           else np.full(n, np.nan))
    out = pd.DataFrame({"cell": cells})
    for lv in levels:
        out[lv] = at_risk[lv].to_numpy(object)
    out["area_km2"], out["population"] = area, pop
    for j, t in enumerate(tiers):
        out[f"hours_{t}"] = hours[:, j]
        out[f"covered_{t}"] = covered[:, j]
    out["first_batch_tier"], out["first_batch_hours"] = fb_tier, fb_hours
    out["missing_chains"] = missing_chains
    out["n_missing_chains"] = miss.sum(axis=1).astype(np.int64)
    gap = ~covered[:, tiers.index(GAP_TIER)]
    out["gap"] = gap

    depots = None if depot_counties is None else set(depot_counties)
    county_h = hours[:, tiers.index(GAP_TIER)]
    frames = []
    for lv in levels:
        key = pd.Series(at_risk[lv].to_numpy(object))
        ok = key.notna().to_numpy()
        codes, units = pd.factorize(key[ok])
        if not len(units):
            continue
        a, m = area[ok], len(units)
        g = pd.DataFrame({"level": lv, "adcode": units.astype(object)})
        g["at_risk_cells"] = np.bincount(codes, minlength=m)
        g["at_risk_area_km2"] = np.bincount(codes, a, m)
        p = pop[ok]
        has_p = np.bincount(codes, ~np.isnan(p), m) > 0
        g["population"] = np.where(has_p, np.bincount(codes, np.nan_to_num(p), m), np.nan)
        g["gap_area_km2"] = np.bincount(codes, a * gap[ok], m)
        for j, t in enumerate(tiers):
            g[f"share_covered_{t}"] = np.bincount(codes, a * covered[ok, j], m) / g["at_risk_area_km2"]
        h = county_h[ok]
        worst = np.full(m, -np.inf)
        np.maximum.at(worst, codes, h)
        g["worst_hours"] = worst
        order = np.lexsort((h, codes))
        cum = np.cumsum(a[order])
        start = np.r_[0, np.cumsum(np.bincount(codes, minlength=m))[:-1]]
        before = np.r_[0.0, cum][start]  # cumulative area before each unit's first row
        within = cum - before[codes[order]]
        total = g["at_risk_area_km2"].to_numpy()[codes[order]]
        reach = within >= P_QUANTILE * total * (1 - 1e-12)
        first = pd.Series(np.flatnonzero(reach)).groupby(codes[order][reach]).first()
        g["p90_hours"] = h[order][first.sort_index().to_numpy()]
        if depots is None:
            g["has_county_depot"] = pd.array([pd.NA] * m, dtype="boolean")
            g["counties_without_county_depot"] = pd.array([pd.NA] * m, dtype="Int64")
        else:
            cty = pd.DataFrame({"u": codes, "c": at_risk["county"].to_numpy(object)[ok]}).dropna().drop_duplicates()
            lack = cty[~cty["c"].isin(depots)].groupby("u").size()
            without = np.zeros(m, np.int64)
            without[lack.index.to_numpy(int)] = lack.to_numpy()
            g["has_county_depot"] = without == 0
            g["counties_without_county_depot"] = without
        rel_a = np.stack([np.bincount(codes, a * rel[ok, j], m) for j in range(len(chains))], 1) \
            if chains else np.zeros((m, 0))
        miss_a = np.stack([np.bincount(codes, a * miss[ok, j], m) for j in range(len(chains))], 1) \
            if chains else np.zeros((m, 0))
        lacks = miss_a > MISSING_CHAIN_SHARE * rel_a
        g["missing_chains"] = [[c for j, c in enumerate(chains) if row[j]] for row in lacks]
        frames.append(g.sort_values("adcode", kind="stable"))
    units_df = (pd.concat(frames, ignore_index=True) if frames else
                pd.DataFrame(columns=["level", "adcode", "at_risk_cells", "at_risk_area_km2"]))
    return out, units_df


# --- store adapter ----------------------------------------------------------------------------


def gaps_from_store(store: Store, hazard: str = "flood", res: int = 8, *, min_class: Any = None,
                    hours_by_tier: Mapping[str, float] | None = None,
                    chain_hours: float = DEFAULT_CHAIN_HOURS, materials: bool = False,
                    **access_overrides: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``coverage_gaps`` for a hazard (or ``"any"``) on a store's cells at ``res``.

    Parameters
    ----------
    store
        An open ``Store``.
    hazard
        A hazard layer of the store, or ``"any"`` (at risk for any layer; each cell's relevant
        chains are those of the hazards it is at risk for).
    res
        H3 resolution, one of the store's.
    min_class
        Class threshold: an int for every hazard, or ``{hazard: int}`` (others default to 2);
        each in 1..number of the layer's breaks.
    hours_by_tier
        Overrides merged over meta ``standards.hours_by_tier``.
    chain_hours
        Hours for a chain's nearest enterprise (> 0).
    materials
        Also the material sufficiency of each unit within the county standard hours (one hazard,
        a store with a material catalogue): ``materials_needed``, ``materials_short``,
        ``lowest_material``, ``lowest_fill`` from ``supply.material_sufficiency``.
    **access_overrides
        ``detour``, ``speed_kmh``, ``dispatch_delay_h`` (as ``access_from_store``).

    Returns
    -------
    (cells, units)
        As ``coverage_gaps``; ``cells`` also has ``province``, ``hazard_class`` (the cell's
        class; for ``"any"`` the list of hazards it is at risk for: ``hazards``), ``units``
        also ``name``. Area: ``h3.cell_area`` (km2); population from ``exposure_cells`` at
        ``res`` (NaN when the store has none).

    Raises
    ------
    ValueError
        Unknown hazard or resolution, ``min_class`` out of range, bad hours or access
        parameters (names the key, found, expected).
    """
    standards = store.meta.get("standards") or {}
    base = dict(standards.get("hours_by_tier") or {})
    if hours_by_tier is not None and not isinstance(hours_by_tier, Mapping):
        raise ValueError(f"hours_by_tier: found {hours_by_tier!r:.60}; expected a mapping tier -> hours")
    std = check_hours_by_tier({**base, **(hours_by_tier or {})})
    chain_hours = check_hours("chain_hours", chain_hours, strict=True)
    params = AccessParams.from_standards(standards, **access_overrides)
    sub, risk, chosen = at_risk_frames(store, hazard, res, min_class)
    by_hazard = store.meta.get("chains_by_hazard") or {}
    at_risk = sub[["cell", "county", "city", "province", "area_km2", "population"]].copy()
    per_cell = risk[risk["cell"].isin(at_risk["cell"])]
    if hazard == "any":
        hz_codes, hz_names = pd.factorize(per_cell["hazard"].astype(object))
        bit = np.array([1 << chosen.index(h) for h in hz_names] + [0], np.int64)[hz_codes]
        mask = pd.Series(bit).groupby(per_cell["cell"].to_numpy(np.uint64)).sum()
        mask = mask.reindex(at_risk["cell"].to_numpy(np.uint64)).to_numpy(np.int64)
        uniq, inv = np.unique(mask, return_inverse=True)
        hz_of = [[h for i, h in enumerate(chosen) if (u >> i) & 1] for u in uniq.tolist()]
        ch_of = [list(dict.fromkeys(c for h in hs for c in by_hazard.get(h, []))) for hs in hz_of]
        hz = [hz_of[i] for i in inv.ravel()]
        at_risk["chains"] = [ch_of[i] for i in inv.ravel()]
        chains = list(dict.fromkeys(c for h in chosen for c in by_hazard.get(h, [])))
    else:
        chains = list(dict.fromkeys(by_hazard.get(hazard, [])))

    ar_cells = sub[["cell", "lat", "lng", "terrain"]]
    tier_fac, _ = facility_groups(store, "tiers", None)
    tier_access = access_table(ar_cells, tier_fac, params, groups=[t for t in schema.RESERVE_TIERS if t in std])
    chain_fac = pd.concat([facility_groups(store, "chains", h)[0] for h in chosen if h in by_hazard]
                          or [pd.DataFrame(columns=["id", "lat", "lng", "group"])], ignore_index=True)
    chain_fac = chain_fac.drop_duplicates(["id", "group"]).astype({"lat": float, "lng": float})
    chain_access = access_table(ar_cells, chain_fac, params, groups=chains) if chains else None
    out, units = coverage_gaps(at_risk, tier_access, std, chain_hours, chain_access=chain_access,
                               chains=chains, depot_counties=counties_with_depot(store, GAP_TIER))
    if hazard == "any":
        out.insert(out.columns.get_loc("area_km2"), "hazards", hz)
    else:
        out.insert(out.columns.get_loc("area_km2"), "hazard_class", sub["hazard_class"].to_numpy())
    names = store.query("SELECT adcode, name FROM admin_units")
    if len(units):
        units.insert(2, "name", units["adcode"].map(dict(zip(names["adcode"], names["name"]))))
    if materials and len(units):
        if hazard == "any":
            raise ValueError("materials: found hazard 'any'; expected one hazard (its shares and norms count the need)")
        mc = min_classes(min_class, hazard_breaks(store), [hazard])[hazard]
        suff = material_sufficiency(store, units["adcode"].tolist(), hazard, mc, std[GAP_TIER], **access_overrides)
        units = units.merge(suff, on="adcode", how="left")
    return out, units
