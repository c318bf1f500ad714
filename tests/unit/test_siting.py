"""Tests of layers.analysis.siting: MCLP against exhaustive search, bounds, budget, capacities, checks."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from layers.analysis import siting
from layers.analysis.siting import SitingError, SitingResult, solve_mclp


def instance(seed: int, n: int = 25, m: int = 8, density: float = 0.25):
    """A random cover matrix and integer-ish weights (ties are rare but allowed)."""
    rng = np.random.default_rng(seed)
    return rng.random((n, m)) < density, rng.integers(1, 50, n).astype(float)


def brute(cover, w, k, base=None, cost=None, budget=None):
    """Best weight covered over every site set of size <= k within the budget."""
    base = np.zeros(len(w), bool) if base is None else base
    best = float(w[base].sum())
    for r in range(1, k + 1):
        for s in itertools.combinations(range(cover.shape[1]), r):
            if cost is not None and cost[list(s)].sum() > budget + 1e-9:
                continue
            best = max(best, float(w[base | cover[:, list(s)].any(1)].sum()))
    return best


def brute_capacitated(cover, w, k, cap, amount):
    """Best weight served over every site set of size <= k, assignment by an LP per set."""
    n, _ = cover.shape
    best = 0.0
    for r in range(1, k + 1):
        for s in itertools.combinations(range(cover.shape[1]), r):
            pairs = [(i, j) for j in s for i in range(n) if cover[i, j]]
            if not pairs:
                continue
            a_ub = np.zeros((n + len(s), len(pairs)))
            for e, (i, j) in enumerate(pairs):
                a_ub[i, e] = 1.0
                a_ub[n + s.index(j), e] = amount[i]
            b_ub = np.concatenate([np.ones(n), cap[list(s)]])
            res = linprog([-w[i] for i, _ in pairs], A_ub=a_ub, b_ub=b_ub, bounds=(0, 1),
                          method="highs")
            best = max(best, -res.fun)
    return best


def check_consistent(r: SitingResult, cover, w, k, base=None):
    """Invariants every result satisfies."""
    base = np.zeros(len(w), bool) if base is None else base
    assert len(r.sites) <= k and len(set(r.sites.tolist())) == len(r.sites)
    covered = base | np.asarray(cover)[:, r.sites].any(1)
    np.testing.assert_array_equal(r.covered, covered)
    assert r.objective == pytest.approx(w[covered].sum(), rel=1e-12, abs=1e-9)
    assert r.before == pytest.approx(w[base].sum()) and r.after == r.objective
    assert r.before - 1e-9 <= r.objective <= r.bound + 1e-9
    assert 0.0 <= r.gap <= 1.0


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_milp_equals_exhaustive_search(seed, k):
    cover, w = instance(seed)
    r = solve_mclp(cover, w, k, method="milp")
    check_consistent(r, cover, w, k)
    assert r.objective == pytest.approx(brute(cover, w, k))
    assert r.gap == 0.0


@pytest.mark.parametrize("seed", range(4))
def test_highs_model_alone_equals_exhaustive_search(seed):
    # solve_mclp may skip HiGHS when greedy proves optimality: check the model itself
    cover, w = instance(seed, n=30, m=10)
    a = sp.csr_matrix(cover.astype(float))
    base = np.zeros(30, bool)
    for k in (2, 3):
        sites, share, bound, _ = siting._milp(a, w, base, k, None, None, None, None, 30, 0.0)
        assert w @ share == pytest.approx(brute(cover, w, k))
        assert bound == pytest.approx(w @ share)


def test_hand_example_and_existing_coverage():
    cover = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]], bool)
    w = np.array([10.0, 5.0, 4.0, 8.0, 100.0])
    r = solve_mclp(cover, w, 1)
    assert r.sites.tolist() == [0] and r.objective == 15.0 and r.before == 0.0
    # demand 0 and 1 already served by an existing depot: site 1 now only adds 4, site 2 adds 8
    base = np.array([True, True, False, False, False])
    r = solve_mclp(cover, w, 1, covered_already=base)
    assert r.sites.tolist() == [2] and r.before == 15.0 and r.objective == 23.0
    check_consistent(r, cover, w, 1, base)
    r = solve_mclp(cover, w, 5, covered_already=base, method="milp")
    assert r.objective == 27.0 and r.bound == 27.0 and r.gap == 0.0  # demand 4 is uncoverable


@pytest.mark.parametrize("seed", range(5))
def test_existing_coverage_matches_exhaustive(seed):
    cover, w = instance(seed)
    base = np.random.default_rng(seed + 100).random(len(w)) < 0.3
    r = solve_mclp(cover, w, 3, covered_already=base, method="milp")
    check_consistent(r, cover, w, 3, base)
    assert r.objective == pytest.approx(brute(cover, w, 3, base))


@pytest.mark.parametrize("method", ["milp", "greedy"])
@pytest.mark.parametrize("seed", range(5))
def test_budget_respected(seed, method):
    cover, w = instance(seed)
    cost = np.random.default_rng(seed).integers(1, 10, cover.shape[1]).astype(float)
    r = solve_mclp(cover, w, 4, cost=cost, budget=12.0, method=method)
    assert cost[r.sites].sum() <= 12.0 + 1e-9
    check_consistent(r, cover, w, 4)
    best = brute(cover, w, 4, cost=cost, budget=12.0)
    assert r.objective <= best + 1e-9 <= r.bound + 2e-9
    if method == "milp":
        assert r.objective == pytest.approx(best)


def test_capacitated_hand_example():
    # one site reaches both demands but holds 60 of their 100 people: 50 + 10 of the other
    cover = np.array([[1, 0], [1, 1]], bool)
    w = np.array([50.0, 50.0])
    r = solve_mclp(cover, w, 1, capacity=[60.0, 30.0])
    assert r.sites.tolist() == [0] and r.objective == pytest.approx(60.0)
    assert r.share.sum() == pytest.approx(1.2) and r.covered.sum() <= 1
    r = solve_mclp(cover, w, 2, capacity=[60.0, 30.0])
    assert r.objective == pytest.approx(90.0) and r.gap == 0.0  # 60 via site 0, 30 via site 1


def test_capacitated_zero_amount_needs_an_open_site():
    cover = np.array([[1, 0], [0, 1]], bool)
    r = solve_mclp(cover, [5.0, 1.0], 1, capacity=[10.0, 10.0], demand_amount=[1.0, 0.0])
    assert r.sites.tolist() == [0] and r.objective == pytest.approx(5.0)


@pytest.mark.parametrize("seed", range(4))
def test_capacitated_matches_brute_force(seed):
    cover, w = instance(seed, n=12, m=6, density=0.4)
    rng = np.random.default_rng(seed)
    amount = rng.integers(1, 20, 12).astype(float)
    cap = rng.integers(10, 60, 6).astype(float)
    for k in (1, 2, 3):
        r = solve_mclp(cover, w, k, capacity=cap, demand_amount=amount)
        assert r.method == "milp" and len(r.sites) <= k
        assert r.objective == pytest.approx(brute_capacitated(cover, w, k, cap, amount), rel=1e-7)


@pytest.mark.parametrize("seed", range(5))
def test_greedy_between_milp_and_its_bound(seed):
    cover, w = instance(seed, n=120, m=30, density=0.08)
    for k in (2, 5, 8):
        g = solve_mclp(cover, w, k, method="greedy")
        e = solve_mclp(cover, w, k, method="milp")
        check_consistent(g, cover, w, k)
        assert g.method == "greedy"
        assert g.objective <= e.objective + 1e-9 <= g.bound + 2e-9
        assert g.objective >= (1 - 1 / np.e) * e.objective  # the classic guarantee
        assert e.gap == 0.0


def test_sparse_and_dense_agree_and_auto_threshold(monkeypatch):
    cover, w = instance(3, n=60, m=12)
    dense = solve_mclp(cover, w, 3)
    sparse = solve_mclp(sp.csc_matrix(cover), w, 3)
    assert dense.objective == sparse.objective and dense.sites.tolist() == sparse.sites.tolist()
    monkeypatch.setattr(siting, "GREEDY_THRESHOLD", 0)
    assert solve_mclp(cover, w, 3).method == "greedy"
    assert solve_mclp(cover, w, 3, capacity=np.full(12, 50.0)).method == "milp"


def test_k_larger_than_candidates_and_nothing_to_cover():
    cover, w = instance(1, n=10, m=3)
    r = solve_mclp(cover, w, 10, method="milp")
    assert r.objective == pytest.approx(w[cover.any(1)].sum()) and len(r.sites) <= 3
    r = solve_mclp(cover, w, 2, covered_already=np.ones(10, bool), method="milp")
    assert r.objective == r.before == w.sum() and r.gap == 0.0


@given(st.integers(0, 10_000), st.integers(1, 5), st.integers(2, 9), st.floats(0.05, 0.6))
@settings(max_examples=40, deadline=None)
def test_property_results_consistent(seed, k, m, density):
    cover, w = instance(seed, n=20, m=m, density=density)
    base = np.random.default_rng(seed).random(20) < 0.2
    for method in ("milp", "greedy"):
        r = solve_mclp(cover, w, k, covered_already=base, method=method)
        check_consistent(r, cover, w, k, base)
    assert r.bound >= brute(cover, w, k, base) - 1e-9


BAD = [
    (dict(k=0), "k must be an integer >= 1, got 0"),
    (dict(k=2.0), "k must be an integer"),
    (dict(weight=[1.0, -1.0, 1.0]), "weight must be >= 0, got -1.0 at index 1"),
    (dict(weight=[1.0, np.nan, 1.0]), "weight must be finite"),
    (dict(weight=[1.0, 1.0]), r"weight must have shape \(3,\), got \(2,\)"),
    (dict(covered_already=np.ones(2, bool)), "covered_already must be a bool array of shape"),
    (dict(cost=[1.0, 1.0]), "cost and budget go together"),
    (dict(cost=[1.0], budget=1.0), r"cost must have shape \(2,\)"),
    (dict(budget=-1.0, cost=[1.0, 1.0]), "budget must be a finite number >= 0"),
    (dict(capacity=[1.0, 1.0], method="greedy"), "does not handle capacity"),
    (dict(demand_amount=[1.0, 1.0, 1.0]), "demand_amount needs capacity"),
    (dict(method="exact"), "method must be 'auto', 'milp' or 'greedy', got 'exact'"),
    (dict(time_limit=0), "time_limit must be a finite number > 0"),
    (dict(cover=np.array([[2, 0], [0, 1], [1, 1]])), "cover must be boolean or 0/1"),
    (dict(cover=np.ones(3, bool)), "cover must be 2-D"),
]


@pytest.mark.parametrize("override,message", BAD, ids=[m[:24] for _, m in BAD])
def test_bad_input_names_parameter(override, message):
    args = dict(cover=np.array([[1, 0], [0, 1], [1, 1]], bool), weight=[1.0, 2.0, 3.0], k=1)
    args.update(override)
    with pytest.raises(SitingError, match=message) as info:
        solve_mclp(**args)
    assert isinstance(info.value, ValueError)
