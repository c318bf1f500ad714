"""Benchmark: material supply allocation (layers.supply / layers.allocation) on the JJJ demo.

Not part of ``make test``::

    python tests/bench/bench_supply.py [--db data/jjj.duckdb] [--nx-materials 3] [--matches 20]

In the same run:

1. **demo scenario**: ``supply_from_store(flood, min_class=3)``, deadlines 6/12/24 h, every
   material with a flood norm — wall time split into needs+travel and allocation;
2. **all counties x all catalogue materials x 3 deadlines**: a need in each of the 199 counties
   for each of the catalogue's materials (41) (county population x the material's norm on an "everyone
   affected, 2 % displaced, 1 % of the area" basis; materials without a norm 1 per 1,000 people),
   at the county's population-weighted centre; all depots and enterprises. onemap
   (``allocate`` with its exact arc reduction) against two references on the same data:
   (a) the same LP without the reduction, (b) networkx ``max_flow_min_cost`` on the first
   ``--nx-materials`` materials (integer-rounded data, hours x 1000) — objective equality is
   checked, times are printed;
3. **match**: ``match_from_store`` for ``--matches`` random points and materials (median, max s);
4. **event supply**: ``event_supply_from_store`` for a point and a quake event;
5. **capacitated siting of a material**: ``stock_siting_from_store`` with the candidates that reach
   the same counties merged, against every candidate (reference; the met need must be equal).

Records go in tests/bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from layers.analysis.travel import AccessParams  # noqa: E402
from layers.analysis.allocation import allocate  # noqa: E402
from layers.frames import region_cells  # noqa: E402
from layers.store import Store  # noqa: E402
from layers.analysis.supply import match_from_store, material_sources, supply_from_store, travel_hours  # noqa: E402

DEADLINES = (6.0, 12.0, 24.0)


def _all_counties(store: Store) -> tuple[pd.DataFrame, pd.DataFrame]:
    rc = region_cells(store, 7)
    pop = store.query("SELECT cell, population FROM exposure_cells WHERE res = 7")
    df = rc.merge(pop, on="cell")
    df = df[df["county"].notna()]
    df = df.assign(wlat=df["lat"] * df["population"], wlng=df["lng"] * df["population"])
    g = df.groupby("county")
    units = g[["population", "wlat", "wlng"]].sum()
    units["lat"], units["lng"] = units["wlat"] / units["population"], units["wlng"] / units["population"]
    units["terrain"] = g["terrain"].agg(lambda s: s.mode().iloc[0])
    units = units.reset_index().rename(columns={"county": "unit"})
    area = store.query("SELECT adcode AS unit, area_km2 FROM admin_units WHERE level = 'county'")
    units = units.merge(area, on="unit")
    norms = store.query("SELECT material, per, quantity FROM material_norms WHERE hazard IN ('flood', '*')")
    norms = norms.drop_duplicates("material")
    codes = store.query("SELECT code FROM materials")["code"]
    parts = []
    for code in codes:
        n = norms[norms["material"] == code]
        if len(n):
            per, q = n["per"].iloc[0], float(n["quantity"].iloc[0])
            basis = {"affected": units["population"], "displaced": 0.02 * units["population"],
                     "household": 0.02 * units["population"] / 2.62, "km2": 0.01 * units["area_km2"]}[per]
        else:
            q, basis = 0.001, units["population"]
        parts.append(pd.DataFrame({"unit": units["unit"], "material": code, "need": basis.to_numpy() * q}))
    return units, pd.concat(parts, ignore_index=True)


def _networkx(needs, stock, cap, travel, materials, d):
    import networkx as nx  # noqa: PLC0415

    totals, costs = 0, 0
    for m in materials:
        g = nx.DiGraph()
        nd = needs[needs["material"] == m]
        for u, q in zip(nd["unit"], nd["need"]):
            g.add_edge(("u", u), "T", capacity=int(round(q)), weight=0)
        for j, q in zip(*(stock.loc[stock["material"] == m, c] for c in ("source_id", "quantity"))):
            g.add_edge("S", ("s", j), capacity=int(round(q)), weight=0)
        t = travel[(travel["source_kind"] == "stock") & (travel["hours"] <= d)]
        for j, u, h in zip(t["source_id"], t["unit"], t["hours"]):
            if ("s", j) in g and ("u", u) in g:
                g.add_edge(("s", j), ("u", u), weight=int(round(h * 1000)))
        flow = nx.max_flow_min_cost(g, "S", "T")
        totals += sum(flow["S"].values())
        costs += nx.cost_of_flow(g, flow) / 1000
    return totals, costs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=str(ROOT / "data" / "jjj.duckdb"))
    ap.add_argument("--nx-materials", type=int, default=3)
    ap.add_argument("--matches", type=int, default=20)
    args = ap.parse_args(argv)
    store = Store(args.db)

    t0 = time.perf_counter()
    result, flows, summary = supply_from_store(store, "flood", 3, deadlines=DEADLINES)
    print(f"1. demo flood >= class 3: {summary['units']} counties x {summary['materials']} materials x 3 deadlines: "
          f"{time.perf_counter() - t0:.2f} s (needs+travel {summary['seconds']['needs_and_travel']:.2f}, "
          f"allocation {summary['seconds']['allocation']:.2f}); {summary['solver']['problems']} LPs, "
          f"{summary['solver']['variables']:,} variables")

    units, needs = _all_counties(store)
    codes = sorted(needs["material"].unique())
    params = AccessParams.from_standards(store.meta.get("standards"))
    t0 = time.perf_counter()
    stock, cap, fac = material_sources(store, codes)
    travel = travel_hours(units, stock, cap, fac, params, max(DEADLINES))
    t_travel = time.perf_counter() - t0
    t0 = time.perf_counter()
    res, fl, info = allocate(needs, stock, cap, travel, DEADLINES)
    t_alloc = time.perf_counter() - t0
    print(f"2. all {units['unit'].nunique()} counties x {len(codes)} materials x 3 deadlines: onemap "
          f"{t_travel + t_alloc:.2f} s (travel {t_travel:.2f}, allocation {t_alloc:.2f}; {info['problems']} LPs, "
          f"{info['variables']:,} variables); arrived {res['arrived'].sum():,.0f} of {res['need'].sum():,.0f}")
    t0 = time.perf_counter()
    ref, ref_fl, ref_info = allocate(needs, stock, cap, travel, DEADLINES, reduce=False)
    t_ref = time.perf_counter() - t0
    cost = lambda f: float((f["quantity"] * f["hours"]).sum())  # noqa: E731
    same = np.isclose(res["arrived"].sum(), ref["arrived"].sum(), rtol=1e-9) and np.isclose(cost(fl), cost(ref_fl), rtol=1e-6)
    print(f"   reference (a) same LP without arc reduction: {t_ref:.2f} s, {ref_info['variables']:,} variables; "
          f"same arrived and unit-hours: {same}")
    mats = codes[: args.nx_materials]
    sub_n = needs[needs["material"].isin(mats)]
    sub_s = stock[stock["material"].isin(mats)].assign(quantity=lambda d: d["quantity"].round())
    sub_n = sub_n.assign(need=sub_n["need"].round())
    d = max(DEADLINES)
    t0 = time.perf_counter()
    ours, ours_fl, _ = allocate(sub_n, sub_s, cap.iloc[0:0], travel, [d])
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    nx_total, nx_cost = _networkx(sub_n, sub_s, cap, travel, mats, d)
    t_nx = time.perf_counter() - t0
    print(f"   reference (b) networkx max_flow_min_cost, {len(mats)} materials ({', '.join(mats)}), stock only, "
          f"{d:g} h: networkx {t_nx:.2f} s vs onemap {t_ours:.2f} s; arrived {nx_total:,} vs "
          f"{ours['arrived'].sum():,.1f}; unit-hours {nx_cost:,.1f} vs {cost(ours_fl):,.1f}")

    rng = np.random.default_rng(13)
    rc = region_cells(store, 7)
    times = []
    for _ in range(args.matches):
        i = int(rng.integers(len(rc)))
        m = codes[int(rng.integers(len(codes)))]
        t0 = time.perf_counter()
        match_from_store(store, m, float(rng.integers(10, 5000)), (rc["lng"].iat[i], rc["lat"].iat[i]),
                         float(rng.choice([6, 12, 24])))
        times.append(time.perf_counter() - t0)
    print(f"3. match x {len(times)}: median {statistics.median(times):.3f} s, max {max(times):.3f} s")

    from layers.analysis.siting_stock import stock_siting_from_store  # noqa: PLC0415
    from layers.analysis.supply_events import event_supply_from_store  # noqa: PLC0415

    for label, kw in (("point 116.85,38.30 r 12 km", {"at": (116.85, 38.30), "radius_km": 12.0}),
                      ("quake 118.18,39.63 M7.0", {"quake": (118.18, 39.63, 7.0)})):
        t0 = time.perf_counter()
        _, _, s4, _ = event_supply_from_store(store, deadlines=DEADLINES, **kw)
        print(f"4. event supply, {label}: {time.perf_counter() - t0:.2f} s ({s4['units']} counties, "
              f"{s4['materials']} materials, {s4['solver']['problems']} LPs)")
    for dedupe in (True, False):
        t0 = time.perf_counter()
        try:
            _, s5, _ = stock_siting_from_store(store, "帐篷", 3, capacity=20000, min_class=3, dedupe=dedupe)
        except ValueError as exc:
            print(f"5. siting --material, {'distinct' if dedupe else 'every'} candidate: {time.perf_counter() - t0:.2f} s, {exc}")
            continue
        print(f"5. siting --material 帐篷 -k 3 --capacity 20000 ({'distinct candidates' if dedupe else 'reference: every candidate'}"
              f"): {time.perf_counter() - t0:.2f} s, {s5['distinct_candidates']:,} of {s5['candidates']:,} candidates, "
              f"fill {s5['fill_before']:.1%} -> {s5['fill_after']:.1%}, status {s5['status']}")
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
