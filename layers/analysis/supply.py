"""Material supply (物资保障): needs of a hazard scenario, and what stock and production can deliver in time.

Needs. For a hazard at or above ``min_class``, the people of each H3 cell (``exposure_cells``)
in each class ``c >= min_class`` (the cell's pixel share in that class, from ``hazard_cells``
shares) times the region file's ``materials.shares`` give the affected and displaced persons;
displaced households = displaced / ``household_size``; the area at or above the class = cell
area x share. Per county these bases times the catalogue norms (the hazard's own norm, else
the ``"*"`` norm; per-day norms x ``days``) give the need per material. A county's need is
delivered to one point: the affected-weighted centre of its at-risk cells.

Supply. Depot stock (``stock`` x ``reserves``) and enterprise production (``capacity`` x
``enterprises``) reach a county after the access model's hours (great-circle km x terrain
detour / tier speed + dispatch delay; enterprises use the ``enterprise`` speed). The LP of
``layers.analysis.allocation`` ships them for each material and deadline.

The module is long because needs, the region-wide scenario cache, ``match``, the stock plan and
the per-unit sufficiency share one read of stock, capacity and travel; a dispatch event's needs
live in ``layers.analysis.supply_events``.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Sequence
from typing import Any

import h3.api.basic_int as h3i
import numpy as np
import pandas as pd

from layers.analysis.travel import AccessParams, pairs_within_hours
from layers.analysis.allocation import allocate, top_up
from layers.frames import cell_areas, region_cells
from layers.store import Store

__all__ = ["MaterialsUnavailable", "supply_needs", "supply_from_store", "match_from_store", "material_codes",
           "regional_supply", "in_unit", "material_sufficiency", "stock_plan_from_store", "DEFAULT_DEADLINES", "material_sources",
           "travel_hours", "needs_from_cells", "materials_config"]

DEFAULT_DEADLINES = (6.0, 12.0, 24.0)
DEFAULT_RES = 7


class MaterialsUnavailable(ValueError):
    """The store has no catalogue or no shares for the hazard (names the fix)."""


def materials_config(store: Store) -> dict[str, Any]:
    cfg = store.meta.get("materials")
    if not cfg:
        raise MaterialsUnavailable("the store has no material catalogue: add a [materials] table (catalogue, "
                                   "shares) and [[stock]] ledgers to the region file, then run onemap build")
    return cfg


def material_codes(store: Store, names: Sequence[str] | None) -> list[str]:
    """Catalogue codes of names, aliases or codes (all materials when ``names`` is empty).

    Raises
    ------
    ValueError
        A name not in the catalogue (names the closest ones).
    """
    mats = store.query("SELECT code, name, name_en, aliases FROM materials ORDER BY code")
    if not names:
        return mats["code"].tolist()
    index = {}
    for code, name, name_en, aliases in mats.itertuples(index=False):
        for w in (code, name, name_en, *list(aliases)):
            index.setdefault(str(w).strip().casefold(), code)
    out = []
    for n in names:
        code = index.get(str(n).strip().casefold())
        if code is None:
            close = [m for m in mats["name"] if str(n)[:1] in m][:5] or mats["name"].tolist()[:5]
            raise ValueError(f"material: found {n!r}, not in the catalogue; expected a catalogue name, alias or "
                             f"code such as {', '.join(close)}")
        if code not in out:
            out.append(code)
    return out


def _check_deadlines(deadlines: Sequence[float]) -> list[float]:
    ds = sorted({float(d) for d in deadlines})
    if not ds or any(not math.isfinite(d) or d <= 0 or d > 720 for d in ds):
        raise ValueError(f"deadline: found {list(deadlines)}; expected hours between 0 and 720, e.g. 6,12,24")
    return ds


def supply_needs(store: Store, hazard: str = "flood", min_class: int = 2, *, res: int = DEFAULT_RES,
                 adcode: str | None = None, materials: Sequence[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Needs of a hazard scenario per county and material.

    Returns
    -------
    units : DataFrame
        ``unit`` (county adcode), ``name``, ``affected``, ``displaced``, ``households``, ``km2``,
        ``lat``, ``lng`` (delivery point), ``terrain``; counties with a need only.
    needs : DataFrame
        ``unit``, ``material``, ``need`` (catalogue unit), ``per``, ``norm``, ``basis``.

    Raises
    ------
    MaterialsUnavailable, ValueError
    """
    cfg = materials_config(store)
    layers = store.query("SELECT hazard, breaks FROM hazard_layers")
    breaks = {h: list(b) for h, b in zip(layers["hazard"], layers["breaks"])}
    if hazard not in breaks:
        raise ValueError(f"hazard: found {hazard!r}; expected one of {sorted(breaks)}")
    n_cls = len(breaks[hazard]) + 1
    if isinstance(min_class, bool) or not isinstance(min_class, (int, np.integer)) or not 1 <= min_class < n_cls:
        raise ValueError(f"min_class: found {min_class!r}; expected an integer from 1 to {n_cls - 1}")
    shares = (cfg.get("shares") or {}).get(hazard)
    if not shares:
        raise MaterialsUnavailable(f"no materials.shares.{hazard} in the region file (affected and displaced share "
                                   f"per class); add it and run onemap build")
    codes = material_codes(store, materials)
    cells = store.query(
        "SELECT h.cell, h.shares, e.population FROM hazard_cells h JOIN exposure_cells e USING (res, cell) "
        "WHERE h.hazard = ? AND h.res = ? AND h.class >= ?", [hazard, int(res), int(min_class)])
    rc = region_cells(store, res)
    pos = np.searchsorted(rc["cell"].to_numpy(), cells["cell"].to_numpy(np.uint64))
    ge = np.vstack(cells["shares"].to_numpy()) if len(cells) else np.zeros((0, n_cls - 1))
    ge = np.hstack([np.ones((len(ge), 1)), ge, np.zeros((len(ge), 1))])
    share_in = ge[:, :-1] - ge[:, 1:]
    share_in[:, :min_class] = 0.0
    pop = cells["population"].to_numpy(float)
    df = pd.DataFrame({
        "cell": cells["cell"].to_numpy(np.uint64), "unit": rc["county"].to_numpy()[pos],
        "lat": rc["lat"].to_numpy()[pos], "lng": rc["lng"].to_numpy()[pos],
        "terrain": rc["terrain"].astype(object).to_numpy()[pos],
        "affected": pop * (share_in @ np.asarray(shares["affected"], float)),
        "displaced": pop * (share_in @ np.asarray(shares["displaced"], float)),
        "km2": cell_areas(cells["cell"].to_numpy(np.uint64)) * ge[:, min_class]})
    if adcode:
        unit = store.query("SELECT level FROM admin_units WHERE adcode = ?", [str(adcode)])
        if unit.empty:
            raise ValueError(f"adcode: found {adcode!r}, not in the store's admin_units; expected a 6-digit "
                             "province, city or county code")
        prefix = {"province": 2, "city": 4, "county": 6}[str(unit["level"].iloc[0])]
        df = df[df["unit"].notna() & (df["unit"].str[:prefix] == str(adcode)[:prefix])]
    return needs_from_cells(store, df, hazard, codes)


def needs_from_cells(store: Store, df: pd.DataFrame, hazard: str,
                     codes: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-cell ``affected``, ``displaced``, ``km2`` (with ``unit`` = county, ``lat``, ``lng``,
    ``terrain``) -> ``supply_needs``' units and needs, by the norms of ``hazard`` (else ``"*"``)."""
    cfg = materials_config(store)
    df = df[df["unit"].notna()]
    w = df["affected"].where(df["affected"] > 0, df["km2"] * 1e-9)
    df = df.assign(w=w, wlat=w * df["lat"], wlng=w * df["lng"])
    g = df.groupby("unit", sort=True)
    units = g[["affected", "displaced", "km2", "w", "wlat", "wlng"]].sum()
    units["lat"], units["lng"] = units["wlat"] / units["w"], units["wlng"] / units["w"]
    units["terrain"] = g["terrain"].agg(lambda s: s.mode().iloc[0])
    units["households"] = units["displaced"] / float(cfg.get("household_size", 3.0))
    names = store.query("SELECT adcode, name FROM admin_units WHERE level = 'county'").set_index("adcode")["name"]
    units = units[(units["affected"] > 0) | (units["km2"] > 0)].reset_index()
    units["name"] = units["unit"].map(names)
    units = units[["unit", "name", "affected", "displaced", "households", "km2", "lat", "lng", "terrain"]]
    norms = store.query("SELECT material, hazard, per, quantity, per_day, source FROM material_norms "
                        "WHERE hazard IN (?, '*')", [hazard])
    norms = norms[norms["material"].isin(codes)]
    norms = norms.sort_values("hazard", key=lambda s: s.eq("*")).drop_duplicates("material")  # own norm wins
    days = float(cfg.get("days", 1.0))
    basis = {"affected": "affected", "displaced": "displaced", "household": "households", "km2": "km2"}
    parts = []
    for n in norms.itertuples(index=False):
        q = float(n.quantity) * (days if n.per_day else 1.0)
        parts.append(pd.DataFrame({"unit": units["unit"], "material": n.material,
                                   "need": units[basis[n.per]].to_numpy(float) * q, "per": n.per, "norm": q}))
    needs = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        {"unit": [], "material": [], "need": [], "per": [], "norm": []})
    return units, needs[needs["need"] > 0].reset_index(drop=True)


def material_sources(store: Store, codes: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Stock and capacity of the materials with their facilities (id, tier/group, lat, lng)."""
    marks = ",".join("?" * len(codes)) or "NULL"
    stock = store.query(
        f"SELECT s.reserve AS source_id, s.material, sum(s.quantity) AS quantity FROM stock s "
        f"WHERE s.material IN ({marks}) GROUP BY ALL", list(codes))
    cap = store.query(
        f"SELECT c.enterprise AS source_id, c.material, sum(c.per_day) AS per_day, min(c.ramp_h) AS ramp_h, "
        f"any_value(c.agreement) AS agreement FROM capacity c WHERE c.material IN ({marks}) GROUP BY ALL", list(codes))
    fac = pd.concat([
        store.query("SELECT id, name, tier AS grp, lat, lon AS lng, 'stock' AS kind FROM reserves"),
        store.query("SELECT id, name, 'enterprise' AS grp, lat, lon AS lng, 'production' AS kind FROM enterprises")],
        ignore_index=True)
    return stock, cap, fac


def travel_hours(units: pd.DataFrame, stock: pd.DataFrame, cap: pd.DataFrame, fac: pd.DataFrame,
            params: AccessParams, max_h: float) -> pd.DataFrame:
    used = fac[((fac["kind"] == "stock") & fac["id"].isin(stock["source_id"]))
               | ((fac["kind"] == "production") & fac["id"].isin(cap["source_id"]))].reset_index(drop=True)
    facilities = used.rename(columns={"grp": "group"})
    pairs = pairs_within_hours(units[["lat", "lng", "terrain"]], facilities, params, max_h)
    return pd.DataFrame({"source_kind": used["kind"].to_numpy()[pairs["j"]],
                         "source_id": used["id"].to_numpy()[pairs["j"]],
                         "unit": units["unit"].to_numpy()[pairs["i"]], "hours": pairs["hours"].to_numpy()})


def supply_from_store(store: Store, hazard: str = "flood", min_class: int = 2, *,
                      deadlines: Sequence[float] = DEFAULT_DEADLINES, materials: Sequence[str] | None = None,
                      adcode: str | None = None, res: int = DEFAULT_RES,
                      scenario: tuple[pd.DataFrame, pd.DataFrame] | None = None,
                      **access_overrides: Any) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Needs, allocation and summary of a hazard scenario (or of ``scenario``: the units and needs
    of another scenario, e.g. a dispatch event's from ``layers.analysis.supply_events``).

    Returns
    -------
    result : DataFrame
        ``adcode, name, material, material_name, unit_of_measure, deadline_h, need, arrived,
        fill_rate, shortfall`` per county x material x deadline.
    flows : DataFrame
        ``deadline_h, source_kind, source_id, source_name, adcode, material, quantity, hours``.
    summary : dict
        Totals per material and deadline, bottleneck materials, depots that run dry, solver.
    """
    t0 = time.perf_counter()
    ds = _check_deadlines(deadlines)
    params = AccessParams.from_standards(store.meta.get("standards"), **access_overrides)
    units, needs = scenario if scenario is not None else supply_needs(
        store, hazard, min_class, res=res, adcode=adcode, materials=materials)
    codes = sorted(needs["material"].unique())
    stock, cap, fac = material_sources(store, codes)
    travel = travel_hours(units, stock, cap, fac, params, max(ds)) if len(units) else pd.DataFrame(
        {"source_kind": [], "source_id": [], "unit": [], "hours": []})
    t1 = time.perf_counter()
    result, flows, info = allocate(needs, stock, cap, travel, ds)
    t2 = time.perf_counter()
    mats = store.query("SELECT code, name, name_en, unit FROM materials").set_index("code")
    names = units.set_index("unit")["name"]
    result = result.rename(columns={"unit": "adcode"})
    result.insert(1, "name", result["adcode"].map(names))
    result.insert(3, "material_name", result["material"].map(mats["name"]))
    result["material_name_en"] = result["material"].map(mats["name_en"])
    result.insert(4, "unit_of_measure", result["material"].map(mats["unit"]))
    fac_names = fac.drop_duplicates("id").set_index("id")["name"]
    flows = flows.rename(columns={"unit": "adcode"})
    flows.insert(3, "source_name", flows["source_id"].map(fac_names))
    summary = _summary(result, flows, stock, mats, ds)
    summary.update({"hazard": hazard, "min_class": None if min_class is None else int(min_class), "res": int(res), "adcode": adcode,
                    "deadlines_h": ds, "units": int(len(units)), "materials": len(codes),
                    "affected": float(units["affected"].sum()), "displaced": float(units["displaced"].sum()),
                    "km2": float(units["km2"].sum()),
                    "solver": {"name": "HiGHS (scipy.optimize.linprog)", "status": "optimal",
                               "problems": info["problems"], "variables": info["variables"]},
                    "seconds": {"needs_and_travel": round(t1 - t0, 3), "allocation": round(t2 - t1, 3),
                                "total": round(time.perf_counter() - t0, 3)},
                    "synthetic": bool(store.query("SELECT bool_or(synthetic) AS s FROM stock")["s"].iloc[0] or False)})
    return result, flows, summary


def _summary(result: pd.DataFrame, flows: pd.DataFrame, stock: pd.DataFrame, mats: pd.DataFrame,
             ds: list[float]) -> dict[str, Any]:
    by = result.groupby(["material", "deadline_h"], sort=True)[["need", "arrived", "shortfall"]].sum().reset_index()
    by["fill_rate"] = by["arrived"] / by["need"]
    per_material = [{"material": m, "name": mats.at[m, "name"], "name_en": mats.at[m, "name_en"],
                     "unit": mats.at[m, "unit"], "deadline_h": d, "need": round(n, 3), "arrived": round(a, 3),
                     "shortfall": round(s, 3), "fill_rate": round(f, 4)}
                    for m, d, n, a, s, f in by[["material", "deadline_h", "need", "arrived", "shortfall",
                                                "fill_rate"]].itertuples(index=False)]
    last = by[by["deadline_h"] == max(ds)].sort_values("fill_rate")
    bottlenecks = [{"material": m, "name": mats.at[m, "name"], "fill_rate": round(f, 4)}
                   for m, f in zip(last["material"], last["fill_rate"]) if f < 0.999][:10]
    dry = []
    if len(flows):
        sent = flows[(flows["source_kind"] == "stock") & (flows["deadline_h"] == max(ds))].groupby(
            ["source_id", "material"])["quantity"].sum()
        held = stock.set_index(["source_id", "material"])["quantity"]
        ratio = (sent / held.reindex(sent.index)).dropna()
        names = flows.drop_duplicates("source_id").set_index("source_id")["source_name"]
        dry = [{"source_id": sid, "name": names[sid], "material": m, "material_name": mats.at[m, "name"]}
               for (sid, m) in ratio[ratio >= 0.999].index]
    return {"per_material": per_material, "bottlenecks": bottlenecks, "dry_depots": len({d["source_id"] for d in dry}),
            "dry": dry, "need_total_by_deadline": {str(d): round(float(by.loc[by["deadline_h"] == d, "need"].sum()), 1)
                                                   for d in ds}}


def match_from_store(store: Store, material: str, quantity: float, at: Sequence[float], deadline: float, *,
                     res: int = DEFAULT_RES, **access_overrides: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    """供需对接: one need (``quantity`` of ``material`` at ``at`` = (lon, lat) within ``deadline`` h).

    Returns
    -------
    plan : DataFrame
        ``source_kind, source_id, source_name, tier, lon, lat, quantity, hours`` (arrival), by arrival.
    summary : dict
        ``material``, ``name``, ``unit``, ``quantity``, ``arrived``, ``unmet``, ``deadline_h``,
        ``sources``, ``seconds``.

    Raises
    ------
    ValueError
        Unknown material, a point outside the region, a non-positive quantity or deadline.
    """
    t0 = time.perf_counter()
    (code,) = material_codes(store, [material])
    if isinstance(quantity, bool) or not isinstance(quantity, (int, float)) or not math.isfinite(quantity) or quantity <= 0:
        raise ValueError(f"quantity: found {quantity!r}; expected a positive number")
    (d,) = _check_deadlines([deadline])
    lon, lat = (float(v) for v in at)
    rc = region_cells(store, res)
    cell = np.uint64(h3i.latlng_to_cell(lat, lon, res))
    i = int(np.searchsorted(rc["cell"].to_numpy(), cell))
    if i >= len(rc) or rc["cell"].iat[i] != cell:
        raise ValueError(f"at: found {lon:.5f},{lat:.5f}, outside the region's counties; expected a point inside "
                         "the region (lon,lat in WGS-84)")
    unit = pd.DataFrame({"unit": ["need"], "lat": [lat], "lng": [lon], "terrain": [rc["terrain"].iat[i]]})
    params = AccessParams.from_standards(store.meta.get("standards"), **access_overrides)
    stock, cap, fac = material_sources(store, [code])
    travel = travel_hours(unit, stock, cap, fac, params, d)
    needs = pd.DataFrame({"unit": ["need"], "material": [code], "need": [float(quantity)]})
    result, flows, _ = allocate(needs, stock, cap, travel, [d])
    info = fac.drop_duplicates("id").set_index("id")
    plan = pd.DataFrame({"source_kind": flows["source_kind"], "source_id": flows["source_id"],
                         "source_name": flows["source_id"].map(info["name"]),
                         "tier": flows["source_id"].map(info["grp"]),
                         "lon": flows["source_id"].map(info["lng"]), "lat": flows["source_id"].map(info["lat"]),
                         "quantity": flows["quantity"], "hours": flows["hours"]}).sort_values(
        ["hours", "source_id"], ignore_index=True)
    m = store.query("SELECT name, name_en, unit FROM materials WHERE code = ?", [code]).iloc[0]
    arrived = float(result["arrived"].sum()) if len(result) else 0.0
    summary = {"material": code, "name": m["name"], "name_en": m["name_en"], "unit": m["unit"],
               "quantity": float(quantity), "arrived": round(arrived, 3), "unmet": round(float(quantity) - arrived, 3),
               "deadline_h": d, "at": [lon, lat], "county": rc["county"].iat[i], "sources": int(len(plan)),
               "seconds": round(time.perf_counter() - t0, 3)}
    return plan, summary


_REGIONAL: dict[tuple, tuple] = {}
_REGIONAL_SIZE = 4
_REGIONAL_LOCK = threading.Lock()


def regional_supply(store: Store, hazard: str = "flood", min_class: int = 2, *,
                    deadlines: Sequence[float] = DEFAULT_DEADLINES,
                    **access_overrides: Any) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any], pd.DataFrame]:
    """The whole region's scenario (every at-risk county competes for the same stock), cached per
    store build and parameters: ``supply_from_store``'s result, flows and summary, and the needs
    per county (``supply_needs``' units). Reports and the app take a unit's part of it."""
    key = (str(store.path), store.meta.get("build_id"), hazard, int(min_class), tuple(sorted(set(deadlines))),
           repr(sorted(access_overrides.items())))
    with _REGIONAL_LOCK:
        if key in _REGIONAL:
            return _REGIONAL[key]
    result, flows, summary = supply_from_store(store, hazard, int(min_class), deadlines=deadlines, **access_overrides)
    units, _ = supply_needs(store, hazard, int(min_class))
    with _REGIONAL_LOCK:
        while len(_REGIONAL) >= _REGIONAL_SIZE:
            _REGIONAL.pop(next(iter(_REGIONAL)))
        _REGIONAL[key] = (result, flows, summary, units)
    return result, flows, summary, units


def in_unit(codes: pd.Series, adcode: str) -> pd.Series:
    """Which county adcodes lie in a province (``13xxxx``), city (``1302xx``) or county."""
    prefix = adcode[:2] if adcode.endswith("0000") else adcode[:4] if adcode.endswith("00") else adcode
    return codes.astype(str).str.startswith(prefix)


def stock_plan_from_store(store: Store, hazard: str = "flood", min_class: int = 2, deadline: float = 6.0, *,
                          materials: Sequence[str] | None = None, adcode: str | None = None, res: int = DEFAULT_RES,
                          **access_overrides: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Where to stock how much (``allocation.top_up``): the least stock to add at existing depots so
    that every county's need arrives within ``deadline`` hours from stock alone.

    Returns
    -------
    plan : DataFrame
        ``reserve, name, tier, adcode, material, material_name, unit, held, add`` (largest first
        per material).
    summary : dict
        Added quantity per material and the needs no depot reaches within the deadline.
    """
    (d,) = _check_deadlines([deadline])
    params = AccessParams.from_standards(store.meta.get("standards"), **access_overrides)
    units, needs = supply_needs(store, hazard, min_class, res=res, adcode=adcode, materials=materials)
    codes = sorted(needs["material"].unique())
    stock, cap, fac = material_sources(store, codes)
    travel = travel_hours(units, stock, cap.iloc[0:0], fac, params, d) if len(units) else pd.DataFrame(
        {"source_kind": [], "source_id": [], "unit": [], "hours": []})
    plan, lost = top_up(needs, stock, travel, d)
    mats = store.query("SELECT code, name, unit FROM materials").set_index("code")
    info = store.query("SELECT id, name, tier, adcode FROM reserves").set_index("id")
    plan = pd.DataFrame({"reserve": plan["source_id"], "name": plan["source_id"].map(info["name"]),
                         "tier": plan["source_id"].map(info["tier"]), "adcode": plan["source_id"].map(info["adcode"]),
                         "material": plan["material"], "material_name": plan["material"].map(mats["name"]),
                         "unit": plan["material"].map(mats["unit"]), "held": plan["held"], "add": plan["add"]})
    summary = {"hazard": hazard, "min_class": int(min_class), "deadline_h": d,
               "added": {m: round(float(g["add"].sum()), 3) for m, g in plan.groupby("material")},
               "unreachable": {m: round(float(g["need"].sum()), 3) for m, g in lost.groupby("material")},
               "unreachable_counties": int(lost["unit"].nunique()) if len(lost) else 0}
    return plan, summary


def material_sufficiency(store: Store, adcodes: Sequence[str], hazard: str, min_class: int, deadline: float,
                         **access_overrides: Any) -> pd.DataFrame:
    """Per province, city or county adcode, how its material need is met within ``deadline`` hours in
    the region-wide scenario: ``materials_needed``, ``materials_short`` (fill < 99.9 %), the
    ``lowest_material`` (name) and its ``lowest_fill``; units without need get 0 and NaN.

    Raises
    ------
    MaterialsUnavailable
        The store has no catalogue, or no shares for the hazard.
    """
    deadlines = sorted({*DEFAULT_DEADLINES, float(deadline)})
    result, _, _, _ = regional_supply(store, hazard, int(min_class), deadlines=deadlines, **access_overrides)
    at = result[result["deadline_h"] == float(deadline)]
    rows = []
    for code in adcodes:
        mine = at[in_unit(at["adcode"], str(code))]
        by = mine.groupby(["material", "material_name"])[["need", "arrived"]].sum()
        fill = (by["arrived"] / by["need"]).sort_values()
        rows.append({"adcode": str(code), "materials_needed": int(len(fill)), "materials_short": int((fill < 0.999).sum()),
                     "lowest_material": fill.index[0][1] if len(fill) else None,
                     "lowest_fill": float(fill.iloc[0]) if len(fill) else float("nan")})
    return pd.DataFrame(rows, columns=["adcode", "materials_needed", "materials_short", "lowest_material", "lowest_fill"])


def summary_json(summary: dict[str, Any]) -> str:
    return json.dumps(summary, ensure_ascii=False, indent=2)
