"""Where to stock how much of one material: capacitated siting of new depots (a MILP, HiGHS).

Question: "with at most K new depots, each holding at most C of this material, where should
they go and how much should each hold, so that the most need arrives within the deadline?"

Scenario. The needs per county of a hazard scenario (``supply.supply_needs``: people per hazard
class x the region's shares x the catalogue norm); existing depots' stock and enterprises'
production are first allocated as in ``onemap analyze supply`` (``allocation.allocate``), and
keep that allocation: the new depots serve what is left (the **residual** need per county).
"Before" is the fill rate of the existing sources, "after" adds the new depots.

Model (``site_stock``; candidates ``j``, counties ``i`` with residual need ``r_i``, links where a
depot of the tier at ``j`` reaches ``i`` within the deadline, hours ``t_ji``)::

    maximise   sum x_ji  -  eps * sum t_ji x_ji
    subject to sum_j x_ji <= r_i                (no more than the residual need)
               sum_i x_ji <= C * y_j            (a site ships at most its capacity, only if open)
               sum_j y_j  <= K,  y_j in {0, 1},  x_ji >= 0

solved by HiGHS through ``scipy.optimize.milp``; ``eps = 1 / (1 + d * sum r)`` keeps hours a pure
tie-break. A site's quantity is what it ships (``--capacity``) or the fixed ``quantity_per_site``.
Candidates that reach the same set of counties are interchangeable up to hours, so only the
fastest of each set is kept (exact for the met need; the hours tie-break then compares those).
Limits: the access distance model (no roads), existing allocations are not re-optimised, and a
county's need is delivered to one point (its affected-weighted centre).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from etl import schema
from layers.analysis.allocation import allocate
from layers.analysis.supply import DEFAULT_RES, material_codes, material_sources, supply_needs, travel_hours
from layers.analysis.travel import AccessParams, check_hours_by_tier, pairs_within_hours
from layers.frames import cells_in_unit, h3_strings, region_cells
from layers.store import Store

__all__ = ["StockSitingError", "site_stock", "stock_siting_from_store"]

_TOL = 1e-7
_ZH = {"capacity": "每处储备上限", "quantity_per_site": "每处固定储备量", "hours": "时间标准（小时）"}


class StockSitingError(ValueError):
    """Bad parameters of the capacitated siting: ``str()`` in English (parameter, found, expected),
    ``zh`` the same in Chinese."""

    def __init__(self, en: str, zh: str):
        super().__init__(en)
        self.en, self.zh = en, zh


def site_stock(residual: np.ndarray, site: np.ndarray, unit: np.ndarray, hours: np.ndarray, capacity: float, k: int,
               *, time_limit: float = 60.0) -> dict[str, Any]:
    """The MILP of the module docstring on links (``site[l]`` -> ``unit[l]`` within the deadline).

    Parameters
    ----------
    residual
        Residual need per unit (>= 0).
    site, unit, hours
        Links: candidate index, unit index, hours (only links within the deadline).
    capacity
        Most one new site ships (> 0).
    k
        Most new sites (>= 1).

    Returns
    -------
    dict
        ``met`` (total shipped), ``open`` (sorted candidate indices), ``flow`` (per link),
        ``status``, ``bound`` (HiGHS' dual bound on the met need), ``seconds``.
    """
    t0 = time.perf_counter()
    residual = np.asarray(residual, float)
    site, unit, hours = np.asarray(site, int), np.asarray(unit, int), np.asarray(hours, float)
    keep = residual[unit] > _TOL
    site_k, unit_k, hours_k = site[keep], unit[keep], hours[keep]
    n_l = len(site_k)
    if n_l == 0:
        return {"met": 0.0, "open": np.zeros(0, int), "flow": np.zeros(len(site)), "status": "nothing to gain",
                "bound": 0.0, "seconds": time.perf_counter() - t0}
    sites, s_of = np.unique(site_k, return_inverse=True)
    units, u_of = np.unique(unit_k, return_inverse=True)
    n_s = len(sites)
    eps = 1.0 / (1.0 + (hours_k.max() + 1.0) * residual[units].sum())
    c = np.r_[-(1.0 - eps * hours_k), np.zeros(n_s)]
    ar = np.arange(n_l)
    need_rows = sp.csr_matrix((np.ones(n_l), (u_of, ar)), shape=(len(units), n_l + n_s))
    cap_rows = sp.csr_matrix((np.r_[np.ones(n_l), -float(capacity) * np.ones(n_s)],
                              (np.r_[s_of, np.arange(n_s)], np.r_[ar, n_l + np.arange(n_s)])), shape=(n_s, n_l + n_s))
    k_row = sp.csr_matrix((np.ones(n_s), (np.zeros(n_s, int), n_l + np.arange(n_s))), shape=(1, n_l + n_s))
    cons = [LinearConstraint(need_rows, -np.inf, residual[units]), LinearConstraint(cap_rows, -np.inf, 0.0),
            LinearConstraint(k_row, -np.inf, float(k))]
    integrality = np.r_[np.zeros(n_l), np.ones(n_s)]
    ub = np.r_[np.minimum(residual[unit_k], capacity), np.ones(n_s)]
    res = milp(c, constraints=cons, integrality=integrality, bounds=Bounds(np.zeros(n_l + n_s), ub),
               options={"time_limit": float(time_limit), "disp": False})
    if res.x is None:
        raise StockSitingError(f"time_limit: found no solution within {time_limit:g} s (HiGHS status {res.status}: "
                               f"{res.message}); expected a smaller k, area (adcode) or coarser res, or a longer limit",
                               f"求解时间限制：{time_limit:g} 秒内没有找到方案；请减少新增数量 K、缩小范围、选用较粗的"
                               "六边形分辨率，或延长时间限制")
    x = np.where(res.x[:n_l] > _TOL, res.x[:n_l], 0.0)
    y = res.x[n_l:] > 0.5
    x[~y[s_of]] = 0.0
    flow = np.zeros(len(site))
    flow[np.flatnonzero(keep)] = x
    used = np.unique(s_of[x > _TOL])
    bound = getattr(res, "mip_dual_bound", None)
    return {"met": float(x.sum()), "open": sites[used], "flow": flow,
            "status": "optimal" if res.status == 0 else f"time limit ({res.message})",
            "bound": float(-bound) if bound is not None and np.isfinite(bound) else float(x.sum()),
            "seconds": time.perf_counter() - t0}


def _positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(float(value)) or value <= 0:
        raise StockSitingError(f"{name}: found {value!r:.20}; expected a number > 0",
                               f"{_ZH[name]}：收到 {value!r:.20}，应为大于 0 的数")
    return float(value)


def stock_siting_from_store(store: Store, material: str, k: int, *, capacity: float | None = None,
                            quantity_per_site: float | None = None, hazard: str = "flood", min_class: int = 2,
                            hours: float | None = None, tier: str = "county", res: int = 7,
                            adcode: str | None = None, time_limit: float = 60.0, dedupe: bool = True,
                            **access_overrides: Any) -> tuple[pd.DataFrame, dict[str, Any], pd.DataFrame]:
    """Capacitated siting of one material on a store (see the module docstring).

    ``capacity`` (most a site holds; its quantity is what it ships) or ``quantity_per_site``
    (every site holds that much); ``hours`` defaults to the tier's standard; candidate cells at
    ``res`` in the region (or ``adcode``); needs at the supply resolution.

    Returns
    -------
    (sites, summary, units)
        ``sites``: ``order, cell, lon, lat, county, quantity, covers, counties, max_hours`` (largest
        cover first). ``summary``: need, arrived before/after, fill before/after, solver.
        ``units``: per county ``adcode, name, need, before, after``.

    Raises
    ------
    StockSitingError, ValueError
        Bad material, k, capacity, tier, hours, hazard, class or adcode.
    """
    t0 = time.perf_counter()
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise StockSitingError(f"k: found {k!r:.20}; expected an integer >= 1",
                               f"新增数量 K：收到 {k!r:.20}，应为不小于 1 的整数")
    if (capacity is None) == (quantity_per_site is None):
        both = capacity is not None
        raise StockSitingError("capacity, quantity_per_site: found "
                               f"{'both' if both else 'neither'}; expected exactly one",
                               f"每处储备上限与每处固定储备量{'不能同时给出' if both else '都没有给出'}：请只给出其中一个")
    cap = _positive("capacity" if capacity is not None else "quantity_per_site",
                    capacity if capacity is not None else quantity_per_site)
    if tier not in schema.RESERVE_TIERS:
        raise StockSitingError(f"tier: found {tier!r:.30}; expected one of {list(schema.RESERVE_TIERS)}",
                               f"储备层级：收到 {tier!r:.30}，请从列表中选择")
    standards = store.meta.get("standards") or {}
    if hours is None:
        std = check_hours_by_tier(dict(standards.get("hours_by_tier") or {}))
        if tier not in std:
            raise StockSitingError(f"hours: found no standard for tier {tier!r}; expected hours > 0",
                                   "时间标准（小时）：该层级没有标准，请填写大于 0 的小时数")
        hours = std[tier]
    d = _positive("hours", hours)
    (code,) = material_codes(store, [material])
    params = AccessParams.from_standards(standards, **access_overrides)
    units, needs = supply_needs(store, hazard, min_class, res=DEFAULT_RES, adcode=adcode, materials=[code])
    if needs.empty:
        raise StockSitingError(f"material: found no need for {material!r} under {hazard} class >= {min_class}; "
                               "expected a material whose norms count for this hazard",
                               f"物资“{material}”在该灾种和风险等级下没有需求（目录中没有适用的定额），请换一种物资或灾种")
    stock, capac, fac = material_sources(store, [code])
    travel = travel_hours(units, stock, capac, fac, params, d)
    before, _, _ = allocate(needs, stock, capac, travel, [d])
    per_unit = needs.groupby("unit")["need"].sum()
    arrived = before.groupby("unit")["arrived"].sum().reindex(per_unit.index, fill_value=0.0)
    residual = (per_unit - arrived).clip(lower=0.0)
    cells = region_cells(store, res)
    if adcode:
        cells = cells[np.isin(cells["cell"].to_numpy(np.uint64), cells_in_unit(store, res, adcode))]
    cells = cells.reset_index(drop=True)
    u = units.set_index("unit").loc[per_unit.index].reset_index()
    pairs = pairs_within_hours(u[["lat", "lng", "terrain"]],
                               pd.DataFrame({"lat": cells["lat"], "lng": cells["lng"], "group": tier}), params, d)
    pairs = pairs[residual.to_numpy()[pairs["i"].to_numpy()] > _TOL]
    # candidates reaching the same counties are interchangeable: keep the fastest of each set
    key = pairs.sort_values(["j", "i"]).groupby("j")["i"].agg(tuple)
    speed = pairs.groupby("j")["hours"].sum()
    best = pd.DataFrame({"key": key, "h": speed.reindex(key.index)}).sort_values("h")
    best = (best.drop_duplicates("key") if dedupe else best).index  # dedupe=False: the reference (benchmark)
    pairs = pairs[pairs["j"].isin(best)]
    sol = site_stock(residual.to_numpy(), pairs["j"].to_numpy(), pairs["i"].to_numpy(), pairs["hours"].to_numpy(),
                     cap, int(k), time_limit=time_limit)
    flows = pairs.assign(x=sol["flow"])[lambda f: f["x"] > _TOL]
    names = dict(zip(u["unit"], u["name"]))
    rows = []
    for j, g in flows.groupby("j"):
        served = u["unit"].to_numpy()[g["i"].to_numpy()]
        rows.append({"cell": int(cells["cell"].iat[j]), "lon": float(cells["lng"].iat[j]), "lat": float(cells["lat"].iat[j]),
                     "county": cells["county"].iat[j],
                     "quantity": float(cap) if quantity_per_site is not None else float(g["x"].sum()),
                     "covers": float(g["x"].sum()), "counties": "、".join(str(names.get(a) or a) for a in served),
                     "max_hours": float(g["hours"].max())})
    sites = pd.DataFrame(rows, columns=["cell", "lon", "lat", "county", "quantity", "covers", "counties", "max_hours"])
    sites = sites.sort_values("covers", ascending=False, ignore_index=True)
    sites.insert(0, "order", np.arange(1, len(sites) + 1))
    sites["cell"] = h3_strings(sites["cell"].to_numpy(np.uint64)) if len(sites) else []
    new = flows.groupby("i")["x"].sum().reindex(range(len(u)), fill_value=0.0).to_numpy()
    total = float(per_unit.sum())
    out_units = pd.DataFrame({"adcode": per_unit.index, "name": [names.get(a) for a in per_unit.index],
                              "need": per_unit.to_numpy(), "before": arrived.to_numpy(),
                              "after": arrived.to_numpy() + new})
    m = store.query("SELECT name, name_en, unit FROM materials WHERE code = ?", [code]).iloc[0]
    summary = {"analysis": "stock_siting", "material": code, "name": m["name"], "name_en": m["name_en"],
               "unit": m["unit"], "k": int(k), "capacity": cap, "fixed_quantity": quantity_per_site is not None,
               "hazard": hazard, "min_class": int(min_class), "hours": d, "tier": tier, "res": int(res),
               "adcode": adcode, "need": round(total, 3), "arrived_before": round(float(arrived.sum()), 3),
               "arrived_after": round(float(arrived.sum()) + sol["met"], 3),
               "fill_before": round(float(arrived.sum()) / total, 4) if total else 1.0,
               "fill_after": round((float(arrived.sum()) + sol["met"]) / total, 4) if total else 1.0,
               "new_sites": int(len(sites)), "stocked": round(float(sites["quantity"].sum()), 3),
               "candidates": int(len(cells)), "distinct_candidates": int(len(best)),
               "solver": "HiGHS MILP (scipy.optimize.milp)", "status": sol["status"],
               "bound_after": round(float(arrived.sum()) + sol["bound"], 3),
               "synthetic": bool(store.query("SELECT bool_or(synthetic) AS s FROM stock")["s"].iloc[0] or False),
               "seconds": round(time.perf_counter() - t0, 3)}
    return sites, summary, out_units
