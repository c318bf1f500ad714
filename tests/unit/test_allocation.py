"""The supply allocation LP (layers.allocation) against an independent oracle.

The oracle is networkx's max-flow-min-cost on the explicit network: super source -> depot
(capacity = stock) -> unit (cost = hours) -> sink (capacity = need); production as a chain of
"made by tau_k" nodes per enterprise (source -> node k with capacity P(tau_k) - P(tau_{k-1}),
node k -> node k+1 uncapacitated, node k -> its unit). Integer data keep networkx exact.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from layers.analysis.allocation import allocate, production_available


def _instance(seed: int, scarce: bool):
    rng = np.random.default_rng(seed)
    n_u, n_s, n_e, mats = int(rng.integers(2, 7)), int(rng.integers(1, 6)), int(rng.integers(0, 4)), ["a", "b"]
    units = [f"u{i}" for i in range(n_u)]
    needs = pd.DataFrame([(u, m, int(rng.integers(0, 60))) for u in units for m in mats], columns=["unit", "material", "need"])
    scale = 10 if scarce else 80
    stock = pd.DataFrame([(f"s{j}", m, int(rng.integers(0, scale))) for j in range(n_s) for m in mats
                          if rng.random() < 0.8], columns=["source_id", "material", "quantity"])
    capacity = pd.DataFrame([(f"e{k}", m, 24 * int(rng.integers(1, 6)), int(rng.integers(0, 10)))
                             for k in range(n_e) for m in mats if rng.random() < 0.7],
                            columns=["source_id", "material", "per_day", "ramp_h"])
    travel = [("stock", f"s{j}", u, int(rng.integers(1, 30))) for j in range(n_s) for u in units if rng.random() < 0.8]
    travel += [("production", f"e{k}", u, int(rng.integers(1, 20))) for k in range(n_e) for u in units if rng.random() < 0.8]
    travel = pd.DataFrame(travel, columns=["source_kind", "source_id", "unit", "hours"])
    return needs, stock, capacity, travel


def _oracle(needs, stock, capacity, travel, material, d):
    g = nx.DiGraph()
    nd = needs[(needs["material"] == material) & (needs["need"] > 0)]
    for u, q in zip(nd["unit"], nd["need"]):
        g.add_edge(("u", u), "T", capacity=int(q), weight=0)
    st = stock[stock["material"] == material]
    for j, q in zip(st["source_id"], st["quantity"]):
        g.add_edge("S", ("s", j), capacity=int(q), weight=0)
    for _, t in travel[(travel["source_kind"] == "stock") & (travel["hours"] <= d)].iterrows():
        if ("s", t["source_id"]) in g and ("u", t["unit"]) in g:
            g.add_edge(("s", t["source_id"]), ("u", t["unit"]), weight=int(t["hours"]))
    cap = capacity[capacity["material"] == material]
    for e, rate, ramp in zip(cap["source_id"], cap["per_day"], cap["ramp_h"]):
        arcs = travel[(travel["source_kind"] == "production") & (travel["source_id"] == e)]
        arcs = arcs[arcs["unit"].isin(nd["unit"])]
        taus = sorted({d - h for h in arcs["hours"] if d - h > ramp})
        prev = 0.0
        for k, tau in enumerate(taus):
            made = float(production_available(rate, ramp, tau))
            g.add_edge("S", ("p", e, k), capacity=int(round(made - prev)), weight=0)
            prev = made
            if k + 1 < len(taus):
                g.add_edge(("p", e, k), ("p", e, k + 1), weight=0)
            for u in arcs.loc[d - arcs["hours"] == tau, "unit"]:
                g.add_edge(("p", e, k), ("u", u), weight=int(d - tau))
    if "S" not in g or "T" not in g:
        return 0, 0
    flow = nx.max_flow_min_cost(g, "S", "T")
    total = sum(flow["S"].values())
    return total, nx.cost_of_flow(g, flow)


@pytest.mark.parametrize("seed", range(40))
def test_allocation_equals_networkx_max_flow_min_cost(seed):
    needs, stock, capacity, travel = _instance(seed, scarce=seed % 2 == 0)
    deadlines = [6, 12, 24]
    result, flows, _ = allocate(needs, stock, capacity, travel, deadlines)
    for material in ("a", "b"):
        for d in deadlines:
            total, cost = _oracle(needs, stock, capacity, travel, material, d)
            got = result[(result["material"] == material) & (result["deadline_h"] == d)]["arrived"].sum()
            assert got == pytest.approx(total, abs=1e-6)
            f = flows[(flows["material"] == material) & (flows["deadline_h"] == d)]
            tr = travel.set_index(["source_kind", "source_id", "unit"])["hours"]
            travel_cost = (f["quantity"].to_numpy() * tr.loc[list(zip(f["source_kind"], f["source_id"], f["unit"]))].to_numpy()).sum()
            assert travel_cost == pytest.approx(cost, abs=1e-5)


@pytest.mark.parametrize("seed", range(20))
def test_flows_respect_stock_need_deadline_and_ramp(seed):
    needs, stock, capacity, travel = _instance(100 + seed, scarce=seed % 2 == 1)
    result, flows, _ = allocate(needs, stock, capacity, travel, [6, 12, 24])
    assert (flows["hours"] <= flows["deadline_h"] + 1e-9).all()
    sent = flows[flows["source_kind"] == "stock"].groupby(["deadline_h", "source_id", "material"])["quantity"].sum()
    held = stock.set_index(["source_id", "material"])["quantity"]
    for (d, j, m), q in sent.items():
        assert q <= held[(j, m)] + 1e-6
    got = flows.groupby(["deadline_h", "unit", "material"])["quantity"].sum()
    r = result.set_index(["deadline_h", "unit", "material"])
    assert (got <= r["need"].reindex(got.index) + 1e-6).all()
    assert np.allclose(got, r["arrived"].reindex(got.index))
    prod = flows[flows["source_kind"] == "production"].merge(capacity, on=["source_id", "material"])
    assert (prod["hours"] > prod["ramp_h"]).all()
    # more time never delivers less
    a = result.groupby(["unit", "material"])["arrived"].apply(lambda s: np.all(np.diff(s.to_numpy()) >= -1e-6))
    assert a.all()


def test_a_hand_checked_instance():
    needs = pd.DataFrame({"unit": ["A", "B"], "material": "tent", "need": [100.0, 50.0]})
    stock = pd.DataFrame({"source_id": ["d1"], "material": "tent", "quantity": [120.0]})
    capacity = pd.DataFrame({"source_id": ["f1"], "material": "tent", "per_day": [48.0], "ramp_h": [6.0]})
    travel = pd.DataFrame({"source_kind": ["stock", "stock", "production"], "source_id": ["d1", "d1", "f1"],
                           "unit": ["A", "B", "B"], "hours": [2.0, 3.0, 2.0]})
    result, flows, _ = allocate(needs, stock, capacity, travel, [6, 12])
    r = result.set_index(["deadline_h", "unit"])["arrived"]
    # 6 h: only the depot (120 of 150); 12 h: the factory makes 48 * (10 - 6) / 24 = 8 by hour 10
    assert r[(6.0, "A")] + r[(6.0, "B")] == pytest.approx(120)
    assert r[(12.0, "A")] + r[(12.0, "B")] == pytest.approx(128)
    p = flows[flows["source_kind"] == "production"]
    assert p["quantity"].sum() == pytest.approx(8) and p["hours"].max() == pytest.approx(12)


def test_bad_input_is_named():
    df = pd.DataFrame({"unit": ["A"], "material": ["x"], "need": [-1.0]})
    empty_s = pd.DataFrame({"source_id": [], "material": [], "quantity": []})
    empty_c = pd.DataFrame({"source_id": [], "material": [], "per_day": [], "ramp_h": []})
    empty_t = pd.DataFrame({"source_kind": [], "source_id": [], "unit": [], "hours": []})
    with pytest.raises(ValueError, match="needs.need"):
        allocate(df, empty_s, empty_c, empty_t, [6])
    with pytest.raises(ValueError, match="deadlines"):
        allocate(df.assign(need=1.0), empty_s, empty_c, empty_t, [0])


def _two_stage(needs, stock, travel, d, material):
    """Independent reference: min added stock, then (with it fixed) min unit-hours, as two LPs."""
    from scipy.optimize import linprog  # noqa: PLC0415

    nd = needs[(needs["material"] == material) & (needs["need"] > 0)].groupby("unit")["need"].sum()
    arcs = travel[(travel["source_kind"] == "stock") & (travel["hours"] <= d) & travel["unit"].isin(nd.index)]
    units, depots = sorted(set(arcs["unit"])), sorted(set(arcs["source_id"]))
    if not units:
        return 0.0, 0.0
    q = stock[stock["material"] == material].groupby("source_id")["quantity"].sum()
    n, m = len(arcs), len(depots)
    a_ub = np.zeros((m, n + m))
    a_eq = np.zeros((len(units), n + m))
    for k, (j, u) in enumerate(zip(arcs["source_id"], arcs["unit"])):
        a_ub[depots.index(j), k] = 1
        a_eq[units.index(u), k] = 1
    for j in range(m):
        a_ub[j, n + j] = -1
    b_ub = np.array([q.get(j, 0.0) for j in depots])
    b_eq = nd.reindex(units).to_numpy(float)
    first = linprog(np.r_[np.zeros(n), np.ones(m)], A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, method="highs")
    added = first.fun
    second = linprog(np.r_[arcs["hours"].to_numpy(float), np.zeros(m)], A_ub=np.vstack([a_ub, np.r_[np.zeros(n), np.ones(m)]]),
                     b_ub=np.r_[b_ub, added + 1e-7], A_eq=a_eq, b_eq=b_eq, method="highs")
    return added, second.fun


@pytest.mark.parametrize("seed", range(15))
def test_top_up_equals_a_two_stage_reference(seed):
    from layers.analysis.allocation import top_up  # noqa: PLC0415

    needs, stock, _, travel = _instance(200 + seed, scarce=True)
    plan, lost = top_up(needs, stock, travel, 12)
    for material in ("a", "b"):
        added, _ = _two_stage(needs, stock, travel, 12, material)
        assert plan.loc[plan["material"] == material, "add"].sum() == pytest.approx(added, abs=1e-6)
    reach = travel[(travel["source_kind"] == "stock") & (travel["hours"] <= 12)]
    for u, m in zip(lost["unit"], lost["material"]):
        assert u not in set(reach["unit"])
