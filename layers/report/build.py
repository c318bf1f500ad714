"""One computation behind every report format: ``build_report`` assembles a ``Report`` from the
analyses (``layers.analysis.gaps``, ``layers.analysis.chains``, ``layers.analysis.siting``, ``layers.analysis.travel``) for one
province, city or county. Writers only render it; nothing is computed twice.

The figures of the unit and of its child units are rows of ``gaps_from_store``'s unit table
(region-wide, cached per store build and parameters, so a batch pays for it once); tables,
chart and map data are filtered or grouped from the same cells (``layers.report.tables``).
See ``layers/METHODS.md#report``.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from etl import schema
from layers.analysis.chains import chains_from_store
from layers.analysis.gaps import DEFAULT_CHAIN_HOURS, gaps_from_store
from layers.analysis.siting import SitingError
from layers.analysis.travel import GAP_TIER, AccessParams, check_hours, check_hours_by_tier
from layers.frames import counties_with_depot, hazard_breaks, min_classes
from layers.map.inspect import NotFoundError
from layers.report.findings import derive_findings
from layers.report.supply import add_supply
from layers.report.model import Finding, Report, ReportError
from layers.report.tables import (
    cells_table,
    chain_matrix_table,
    concat,
    cover_dict,
    coverage_by_tier,
    depots_table,
    facilities_table,
    hazard_cells_table,
    hours_histogram,
    outlines_table,
    shown_tiers,
    siting_table,
    units_table,
    worst_cells,
)
from layers.store import Store

logger = logging.getLogger(__name__)

__all__ = ["Finding", "Report", "ReportError", "build_report", "check_options", "clear_cache"]

DEFAULT_RES = 7
DEFAULT_SITING_K = 3
DEFAULT_WORST_N = 10
DEFAULT_DEPOTS_N = 10
DEFAULT_SITING_TIME_LIMIT = 20.0


# --- a small cache of the region-wide analyses ------------------------------------------------

_CACHE: OrderedDict[tuple, Any] = OrderedDict()
_CACHE_SIZE = 8
_LOCK = threading.Lock()


def _memo(store: Store, what: str, params: dict[str, Any], compute: Callable[[], Any]) -> Any:
    """``compute()`` once per store file, build and parameters (a few recent results kept)."""
    key = (str(store.path.resolve()), str(store.meta.get("build_id")), what,
           json.dumps(params, sort_keys=True, default=str))
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    value = compute()
    with _LOCK:
        _CACHE[key] = value
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return value


def clear_cache() -> None:
    """Forget the cached region-wide analyses."""
    with _LOCK:
        _CACHE.clear()


# --- the unit and its parameters --------------------------------------------------------------

def _admin(store: Store) -> pd.DataFrame:
    return store.query("SELECT adcode, name, level, parent FROM admin_units ORDER BY adcode")


def _prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def unknown_unit(units: pd.DataFrame, text: str, limit: int = 8) -> NotFoundError:
    """The error for a unit not in ``units`` (adcode, name), listing the nearest matches.

    Matches, in order: names containing ``text`` or close to it (``difflib``), then adcodes of
    the same city / province prefix (the city and province codes first, then the nearest codes).
    """
    codes, names = units["adcode"].astype(str).tolist(), units["name"].astype(str).tolist()
    label = dict(zip(codes, (f"{a} {n}" for a, n in zip(codes, names))))
    by_name = [a for a, n in zip(codes, names) if text and text in n]
    close = difflib.get_close_matches(text, names, n=limit, cutoff=0.4)
    by_name += [a for n in close for a, m in zip(codes, names) if m == n]
    by_code: list[str] = []
    if text.isdigit():
        parents = [text[:4] + "00", text[:2] + "0000"]
        by_code = [p for p in parents if p in label and p != text]
        best = max((_prefix(text, a) for a in codes), default=0)
        if best >= 2:
            near = [a for a in codes if _prefix(text, a) == best]
            by_code += sorted(near, key=lambda a: (abs(int(a) - int(text)) if a.isdigit() else 0, a))
    suggestions = [label[a] for a in dict.fromkeys(by_name + by_code)][:limit]
    return NotFoundError("unknown_adcode", f"unknown adcode {text!r}; nearest: {', '.join(suggestions) or 'none'}",
                         adcode=text, suggestions=suggestions)


def _unit(store: Store, adcode: Any) -> tuple[dict[str, Any], list[dict[str, str]], pd.DataFrame, pd.DataFrame]:
    """(unit, parents from the province down, children, counties inside) of ``adcode``."""
    if not isinstance(adcode, str) or not 0 < len(adcode) <= 50:
        raise ReportError(f"adcode: found {adcode!r:.40}; expected a 6-digit adcode string such as '130200'")
    units = _admin(store)
    if adcode not in set(units["adcode"]):
        raise unknown_unit(units, adcode)
    by_code = units.set_index("adcode")
    row = by_code.loc[adcode]
    parents: list[dict[str, str]] = []
    code = row["parent"]
    while isinstance(code, str) and code in by_code.index and len(parents) < 10:
        parents.insert(0, {"adcode": code, "name": by_code.at[code, "name"], "level": by_code.at[code, "level"]})
        code = by_code.at[code, "parent"]
    children_of: dict[Any, list[str]] = {}
    for c, p in zip(units["adcode"], units["parent"]):
        children_of.setdefault(p, []).append(c)
    inside, todo = [], [adcode]
    while todo:
        inside.append(todo.pop())
        todo.extend(children_of.get(inside[-1], []))
    inside_df = units[units["adcode"].isin(inside)]
    counties = inside_df[inside_df["level"] == "county"].reset_index(drop=True)
    if row["level"] == "county":
        children = units[units["adcode"] == adcode]
    else:
        children = units[units["parent"] == adcode]
    unit = {"adcode": adcode, "name": str(row["name"]), "level": str(row["level"]),
            "level_zh": schema.ADMIN_LEVELS.get(row["level"], (row["level"],) * 2)[0],
            "level_en": schema.ADMIN_LEVELS.get(row["level"], (row["level"],) * 2)[1]}
    return unit, parents, children.reset_index(drop=True)[["adcode", "name", "level"]], counties


def _hazards(store: Store, hazards: Any) -> list[str]:
    """The chosen hazard layers in store order: a name, a sequence of names, or ``"all"``."""
    layers = list(store.hazards)
    if hazards == "all":
        return layers
    chosen = [hazards] if isinstance(hazards, str) else list(hazards) if isinstance(hazards, Sequence) else None
    if not chosen or any(not isinstance(h, str) or h not in layers for h in chosen):
        raise ReportError(f"hazards: found {hazards!r:.60}; expected 'all' or one or more of {layers}")
    return [h for h in layers if h in chosen]


def _city_of(unit: dict[str, Any], parents: list[dict[str, str]], children: pd.DataFrame) -> list[str]:
    """The cities of the chain-gap matrix: a province's cities, a city, a county's city."""
    if unit["level"] == "province":
        return children.loc[children["level"] == "city", "adcode"].tolist()
    if unit["level"] == "city":
        return [unit["adcode"]]
    return [p["adcode"] for p in parents if p["level"] == "city"]


def _chains(store: Store, res: int, hazards: list[str], cities: list[str], min_class: Any,
            chain_hours: float, overrides: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(chain-gap rows of the cities, the city x hazard:chain matrix of reach shares)."""
    columns = ["city", "city_name", "hazard", "chain", "at_risk_km2", "at_risk_share", "enterprises_in_city",
               "above_size_in_city", "reach_share", "unreached_km2", "gap_score", "missing", "city_rank"]
    by_hazard = store.meta.get("chains_by_hazard") or {}
    with_chains = [h for h in hazards if by_hazard.get(h)]
    if not with_chains or not cities:
        return pd.DataFrame(columns=columns), pd.DataFrame(columns=["city", "city_name"])
    params = {"res": res, "hazards": with_chains, "min_class": min_class, "hours": chain_hours, **overrides}
    table = _memo(store, "chains", params, lambda: chains_from_store(
        store, res, with_chains, min_class=min_class, hours=chain_hours, **overrides))
    mine = table[table["city"].isin(cities)]
    order = {h: i for i, h in enumerate(with_chains)}
    chain_order = {(h, c): i for i, (h, c) in enumerate((h, c) for h in with_chains for c in by_hazard[h])}
    keys = [chain_order.get((h, c), len(chain_order)) for h, c in zip(mine["hazard"], mine["chain"])]
    mine = mine.assign(_h=mine["hazard"].map(order), _c=keys).sort_values(["city", "_h", "_c"], kind="stable")
    rows = mine[columns].reset_index(drop=True)
    matrix = chain_matrix_table(rows, with_chains, by_hazard)
    return rows, matrix


def _siting(store: Store, hazard: str, res: int, code: str, k: int, hours: float, min_class: Any,
            names: Mapping[str, str], time_limit: float, overrides: dict[str, Any]
            ) -> tuple[pd.DataFrame | None, dict[str, Any]]:
    """``siting_table``, or (None, a row saying why) when the unit offers no candidate."""
    try:
        return siting_table(store, hazard, res, code, k, hours, min_class, names, time_limit, overrides)
    except SitingError as exc:
        logger.info("siting skipped for %s %s: %s", code, hazard, exc)
        return None, {"hazard": hazard, "tier": GAP_TIER, "standard_hours": hours, "k": k, "sites": 0,
                      "status": str(exc)}


# --- the entry point --------------------------------------------------------------------------

def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ReportError(f"{name}: found {value!r:.30}; expected an integer >= {low}")
    return int(value)


def _checked(store: Store, hazards: Any, *, res: Any, min_class: Any, hours_by_tier: Any, chain_hours: Any,
             siting_hours: Any, date: Any, **access_overrides: Any
             ) -> tuple[list[str], dict[str, float], AccessParams, float, str]:
    """(hazards, standard hours, access parameters, siting hours, ISO date), every one checked."""
    chosen = _hazards(store, hazards)
    resolutions = [int(r) for r in store.meta.get("resolutions", [])]
    if isinstance(res, bool) or not isinstance(res, (int, np.integer)) or int(res) not in resolutions:
        raise ReportError(f"res: found {res!r:.20}; expected one of the store's resolutions {resolutions}")
    min_classes(min_class, hazard_breaks(store), chosen)
    standards = store.meta.get("standards") or {}
    if hours_by_tier is not None and not isinstance(hours_by_tier, Mapping):
        raise ReportError(f"hours_by_tier: found {hours_by_tier!r:.60}; expected a mapping tier -> hours")
    std = check_hours_by_tier({**(standards.get("hours_by_tier") or {}), **(hours_by_tier or {})})
    check_hours("chain_hours", chain_hours, strict=True)
    params = AccessParams.from_standards(standards, **access_overrides)
    s_hours = std[GAP_TIER] if siting_hours is None else siting_hours
    if isinstance(s_hours, bool) or not isinstance(s_hours, (int, float)) or not np.isfinite(s_hours) or s_hours <= 0:
        raise ReportError(f"siting_hours: found {siting_hours!r:.30}; expected hours > 0")
    if date is None:
        date = _dt.date.today().isoformat()
    elif isinstance(date, _dt.date):
        date = date.isoformat()
    else:
        try:
            date = _dt.date.fromisoformat(str(date)).isoformat()
        except ValueError:
            raise ReportError(f"date: found {date!r:.30}; expected YYYY-MM-DD") from None
    return chosen, std, params, float(s_hours), date


def check_options(store: Store, hazards: Any = ("flood",), adcode: str | None = None, *, res: int = DEFAULT_RES,
                  min_class: Any = None, hours_by_tier: Mapping[str, float] | None = None,
                  chain_hours: float = DEFAULT_CHAIN_HOURS, siting_k: int = DEFAULT_SITING_K,
                  siting_hours: float | None = None, date: Any = None, **access_overrides: Any) -> list[str]:
    """Check ``build_report``'s options once (e.g. before a batch); returns the chosen hazards.

    Raises
    ------
    NotFoundError
        ``adcode`` given and unknown (the message lists near matches).
    ReportError, ValueError
        As ``build_report``.
    """
    if adcode is not None:
        _unit(store, adcode)
    _check_int("siting_k", siting_k, 0)
    return _checked(store, hazards, res=res, min_class=min_class, hours_by_tier=hours_by_tier,
                    chain_hours=chain_hours, siting_hours=siting_hours, date=date, **access_overrides)[0]


def build_report(store: Store, adcode: str, hazards: str | Sequence[str] = ("flood",), *, res: int = DEFAULT_RES,
                 min_class: Any = None, hours_by_tier: Mapping[str, float] | None = None,
                 chain_hours: float = DEFAULT_CHAIN_HOURS, siting_k: int = DEFAULT_SITING_K,
                 siting_hours: float | None = None, siting_time_limit: float = DEFAULT_SITING_TIME_LIMIT,
                 worst_n: int = DEFAULT_WORST_N, depots_n: int = DEFAULT_DEPOTS_N,
                 date: _dt.date | str | None = None, **access_overrides: Any) -> Report:
    """Everything a coverage-gap report of one province, city or county shows, computed once.

    Parameters
    ----------
    store
        An open ``Store``.
    adcode
        The unit's 6-digit code in ``admin_units``.
    hazards
        A hazard layer, several, or ``"all"`` (every layer of the store).
    res
        H3 resolution of the cells (one of the store's; default 7).
    min_class
        At-risk threshold: an int for every hazard or ``{hazard: int}`` (default 2).
    hours_by_tier
        Standard hours per tier over meta ``standards.hours_by_tier`` (e.g. ``{"county": 1}``).
    chain_hours
        Hours within which a relevant chain's nearest enterprise must arrive (default 6).
    siting_k
        New county depots the siting analysis may add inside the unit (0: no siting).
    siting_hours
        The siting standard (default: the county standard in force); a shorter one shows
        where depots would help on a dense network.
    siting_time_limit
        Solver seconds per hazard.
    worst_n, depots_n
        Rows of the worst-cells table (per hazard) and depots kept per tier (per hazard).
    date
        Report date (default today), ISO text or a date.
    **access_overrides
        ``detour``, ``speed_kmh``, ``dispatch_delay_h`` (as ``access_from_store``).

    Returns
    -------
    Report

    Raises
    ------
    NotFoundError
        (a LookupError) unknown adcode; the message lists the nearest adcodes and names.
    ReportError, ValueError
        Bad hazards, resolution, hours, class thresholds or access parameters (names the key,
        found, expected).

    Examples
    --------
    >>> report = build_report(Store("data/jjj.duckdb"), "130200", "flood")  # doctest: +SKIP
    >>> report.headline["share_covered_county"].iloc[0]  # doctest: +SKIP
    1.0
    """
    unit, parents, children, counties = _unit(store, adcode)
    chosen, std, params, s_hours, date = _checked(store, hazards, res=res, min_class=min_class,
                                                 hours_by_tier=hours_by_tier, chain_hours=chain_hours,
                                                 siting_hours=siting_hours, date=date, **access_overrides)
    siting_k = _check_int("siting_k", siting_k, 0)
    worst_n, depots_n = _check_int("worst_n", worst_n, 1), _check_int("depots_n", depots_n, 1)
    tiers = shown_tiers(std)
    level, code = unit["level"], unit["adcode"]
    admin = _admin(store)
    names = dict(zip(admin["adcode"], admin["name"]))
    depots = counties_with_depot(store, GAP_TIER)
    lacking = counties[~counties["adcode"].isin(depots)]
    gap_params = {"res": res, "min_class": min_class, "hours_by_tier": hours_by_tier, "chain_hours": chain_hours,
                  **access_overrides}

    heads, unit_tables, cell_tables, worst, depot_tables, siting_rows, siting_tables = [], [], [], [], [], [], []
    cov, hist = [], []
    for hazard in chosen:
        all_cells, all_units = _memo(store, "gaps", {"hazard": hazard, **gap_params}, lambda h=hazard: gaps_from_store(
            store, h, res, min_class=min_class, hours_by_tier=hours_by_tier, chain_hours=chain_hours,
            **access_overrides))
        units = units_table(hazard, all_units, unit, children, tiers)
        head = units[(units["adcode"] == code) & (units["level"] == level)].iloc[0].to_dict()
        head.pop("adcode"), head.pop("name"), head.pop("level")
        head.update({"counties": len(counties), "counties_without_depot": len(lacking)})
        heads.append(head)
        unit_tables.append(units)
        cells = cells_table(hazard, all_cells[all_cells[level] == code].reset_index(drop=True), names, tiers)
        cell_tables.append(cells)
        worst.append(worst_cells(cells, worst_n))
        depot_tables.append(depots_table(store, hazard, cells, res, params, std, tiers, names, depots_n))
        cov.append(coverage_by_tier(hazard, head, cells, std, tiers))
        hist.append(hours_histogram(hazard, cells, std[GAP_TIER]))
        if siting_k and len(cells):
            table, row = _siting(store, hazard, res, code, siting_k, s_hours, min_class, names, siting_time_limit,
                                 access_overrides)
            siting_tables += [] if table is None else [table]
            siting_rows.append(row)

    chains, matrix = _chains(store, res, chosen, _city_of(unit, parents, children), min_class, chain_hours,
                             access_overrides)
    serving = set(pd.concat([d["facility_id"] for d in depot_tables]).astype(str)) if depot_tables else set()
    facilities = facilities_table(store, res, level, code, serving, names)
    headline = pd.DataFrame(heads)
    headline = headline[["hazard", "at_risk_cells", "at_risk_area_km2", "population", "gap_area_km2", "gap_share",
                         *[f"share_covered_{t}" for t in tiers], "worst_hours", "p90_hours", "has_county_depot",
                         "counties_without_county_depot", "counties", "counties_without_depot", "missing_chains"]]
    tables = {
        "units": concat(unit_tables),
        "worst_cells": concat(worst),
        "depots": concat(depot_tables),
        "chains": chains,
        "chain_matrix": matrix,
        "siting_summary": pd.DataFrame(siting_rows, columns=[
            "hazard", "tier", "standard_hours", "k", "sites", "area_before", "area_after", "weight_before",
            "weight_after", "weighting", "solver", "optimality_gap", "status"]),
        "siting": concat(siting_tables) if siting_tables else pd.DataFrame(columns=[
            "hazard", "order", "cell", "lon", "lat", "county", "county_name", "gain_area_km2", "gain_population"]),
    }
    options = {"hazards": chosen, "min_class": min_class, "hours_by_tier_overrides": dict(hours_by_tier or {}),
               "chain_hours": chain_hours, "siting_k": siting_k, "siting_hours": float(s_hours),
               "siting_tier": GAP_TIER, "worst_n": worst_n, "depots_n": depots_n,
               "access_overrides": dict(access_overrides)}
    cover = cover_dict(store, unit, parents, chosen, res, std, params, options, facilities, date)
    charts = {"coverage_by_tier": concat(cov), "hours_histogram": concat(hist)}
    maps = {"cells": concat(cell_tables), "facilities": facilities,
            "hazard_cells": hazard_cells_table(store, res, level, code, chosen),
            "outlines": outlines_table(store, unit, children)}
    lacking_list = [{"adcode": a, "name": n} for a, n in zip(lacking["adcode"], lacking["name"])]
    findings = derive_findings(cover, headline, tables, maps["cells"], lacking_list, std)
    add_supply(store, chosen, code, unit["name"], min_class, dict(access_overrides), tables, findings)
    return Report(cover=cover, headline=headline, findings=findings, tables=tables, charts=charts, maps=maps)
