"""Capacitated siting of one material (``site_stock``) against brute-force enumeration.

For every subset of at most K candidates the most need those sites can meet is a max flow
(source -> site with capacity C -> linked unit -> sink with the residual need), computed with
networkx; the MILP's met need must equal the best subset's, and its own flows must be feasible.
"""

from __future__ import annotations

from itertools import combinations

import networkx as nx
import numpy as np
import pytest

from layers.analysis.siting_stock import site_stock


def _max_flow(residual, site, unit, chosen, cap):
    g = nx.DiGraph()
    for j in chosen:
        g.add_edge("s", ("j", j), capacity=cap)
    for a, b in zip(site, unit):
        if a in chosen:
            g.add_edge(("j", a), ("i", b), capacity=float("inf"))
    for i, r in enumerate(residual):
        g.add_edge(("i", i), "t", capacity=float(r))
    if "s" not in g or "t" not in g:
        return 0.0
    return nx.maximum_flow_value(g, "s", "t")


def _instance(rng):
    n_units, n_sites = int(rng.integers(2, 7)), int(rng.integers(2, 8))
    residual = np.round(rng.uniform(0, 100, n_units) * (rng.random(n_units) > 0.2), 1)
    links = [(j, i) for j in range(n_sites) for i in range(n_units) if rng.random() < 0.4]
    site = np.array([a for a, _ in links], int)
    unit = np.array([b for _, b in links], int)
    hours = rng.uniform(0.5, 6, len(links))
    return residual, site, unit, hours, float(rng.choice([15, 40, 80, 250])), int(rng.integers(1, 4))


@pytest.mark.parametrize("seed", range(40))
def test_milp_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    residual, site, unit, hours, cap, k = _instance(rng)
    sol = site_stock(residual, site, unit, hours, cap, k)
    n_sites = int(site.max()) + 1 if len(site) else 0
    best = max((_max_flow(residual, site, unit, set(c), cap)
                for r in range(0, k + 1) for c in combinations(range(n_sites), r)), default=0.0)
    assert sol["met"] == pytest.approx(best, abs=1e-5)
    # feasibility of the MILP's own plan
    flow = sol["flow"]
    assert (flow >= -1e-9).all() and len(sol["open"]) <= k
    assert set(site[flow > 1e-9]) <= set(sol["open"].tolist())
    for j in sol["open"]:
        assert flow[site == j].sum() <= cap + 1e-6
    for i, r in enumerate(residual):
        assert flow[unit == i].sum() <= r + 1e-6


def test_hours_break_ties_between_equal_sites():
    # two sites reach the one unit; the faster one is chosen
    sol = site_stock(np.array([10.0]), np.array([0, 1]), np.array([0, 0]), np.array([5.0, 1.0]), 50.0, 1)
    assert sol["open"].tolist() == [1] and sol["met"] == pytest.approx(10.0)


def test_nothing_to_gain():
    sol = site_stock(np.array([0.0, 0.0]), np.array([0]), np.array([1]), np.array([1.0]), 5.0, 2)
    assert sol["met"] == 0 and len(sol["open"]) == 0
