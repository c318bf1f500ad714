"""Tests of layers.analysis.e2sfca: a hand-computed case, a loop-based reference, conservation, checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layers.analysis.e2sfca import DEFAULT_BANDS, CatchmentError, e2sfca

BANDS = [(1.0, 1.0), (2.0, 0.5)]


def hand_case():
    """3 demand x 2 supply; c-s1 lies beyond the last band, two costs sit on band edges."""
    pairs = pd.DataFrame(
        [("a", "s1", 0.5), ("b", "s1", 1.5), ("c", "s1", 3.0),
         ("a", "s2", 2.0), ("b", "s2", 0.8), ("c", "s2", 1.0)],
        columns=["demand_id", "supply_id", "cost"],
    )
    return pairs, pd.Series({"a": 100.0, "b": 200.0, "c": 50.0}), pd.Series({"s1": 10.0, "s2": 6.0})


def test_hand_computed_example():
    r = e2sfca(*hand_case(), bands=BANDS)
    # step 1: s1 sees a (0.5 h, w 1) and b (1.5 h, w 0.5); c at 3 h is out:
    #   R1 = 10 / (100*1 + 200*0.5) = 10 / 200 = 0.05
    # s2 sees a (2.0 h, on the edge: band 2, w 0.5), b (w 1), c (1.0 h, on the edge: band 1, w 1):
    #   R2 = 6 / (100*0.5 + 200*1 + 50*1) = 6 / 300 = 0.02
    assert r.ratio["weighted_demand"].tolist() == [200.0, 300.0]
    np.testing.assert_allclose(r.ratio["ratio"], [0.05, 0.02], rtol=1e-15)
    # step 2: A_a = 0.05*1 + 0.02*0.5 = 0.06; A_b = 0.05*0.5 + 0.02*1 = 0.045; A_c = 0.02*1
    np.testing.assert_allclose(r.accessibility["accessibility"], [0.06, 0.045, 0.02], rtol=1e-14)
    assert r.accessibility["n_supply"].tolist() == [2, 2, 1]
    # conservation: 100*0.06 + 200*0.045 + 50*0.02 = 6 + 9 + 1 = 16 = 10 + 6
    acc = r.accessibility
    assert (acc["population"] * acc["accessibility"]).sum() == pytest.approx(16.0, rel=1e-14)
    assert not r.ratio["undefined"].any()


def test_dataframe_inputs_equal_series_inputs():
    pairs, pop, cap = hand_case()
    a = e2sfca(pairs, pop, cap, bands=BANDS)
    b = e2sfca(pairs, pop.rename_axis("demand_id").rename("population").reset_index(),
               cap.rename_axis("supply_id").rename("capacity").reset_index(), bands=BANDS)
    pd.testing.assert_frame_equal(a.accessibility, b.accessibility)
    pd.testing.assert_frame_equal(a.ratio, b.ratio)


def test_undefined_ratio_and_unreached_demand():
    pairs = pd.DataFrame({"demand_id": ["a", "z"], "supply_id": ["s", "empty"], "cost": [0.5, 0.5]})
    pop = pd.Series({"a": 10.0, "z": 0.0, "far": 5.0})
    cap = pd.Series({"s": 2.0, "empty": 7.0, "lonely": 3.0})
    r = e2sfca(pairs, pop, cap, bands=BANDS)
    assert r.ratio["undefined"].tolist() == [False, True, True]
    assert np.isnan(r.ratio.loc[["empty", "lonely"], "ratio"]).all()
    assert r.accessibility["accessibility"].tolist() == [0.2, 0.0, 0.0]  # NaN adds nothing
    assert r.accessibility.loc["far", "n_supply"] == 0


def reference(pairs, pop: dict, cap: dict, bands):
    """E2SFCA by nested loops over dicts: the definition written out, no NumPy."""
    def weight(cost):
        for upper, w in bands:
            if cost <= upper:
                return w
        return 0.0

    rows = list(zip(pairs["demand_id"], pairs["supply_id"], pairs["cost"]))
    ratio = {}
    for j in cap:
        total = 0.0
        for i, jj, c in rows:
            if jj == j:
                total += pop[i] * weight(c)
        ratio[j] = cap[j] / total if total > 0 else None
    access = {}
    for i in pop:
        a = 0.0
        for ii, j, c in rows:
            if ii == i and ratio[j] is not None:
                a += ratio[j] * weight(c)
        access[i] = a
    return access, ratio


def random_case(seed, n=40, m=12, density=0.5):
    rng = np.random.default_rng(seed)
    ii, jj = np.nonzero(rng.random((n, m)) < density)
    pairs = pd.DataFrame({"demand_id": [f"d{i}" for i in ii], "supply_id": jj,
                          "cost": rng.uniform(0, 8, ii.size).round(1)})  # some on band edges
    pop = pd.Series(rng.integers(0, 1000, n).astype(float), index=[f"d{i}" for i in range(n)])
    cap = pd.Series(rng.uniform(0, 50, m), index=range(m))
    return pairs, pop, cap


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("bands", [BANDS, list(DEFAULT_BANDS), [(3.0, 1.0)]])
def test_matches_loop_reference(seed, bands):
    pairs, pop, cap = random_case(seed)
    r = e2sfca(pairs, pop, cap, bands=bands)
    access, ratio = reference(pairs, pop.to_dict(), cap.to_dict(), bands)
    np.testing.assert_allclose(r.accessibility["accessibility"], [access[i] for i in pop.index],
                               rtol=1e-12, atol=0)
    expected = [np.nan if ratio[j] is None else ratio[j] for j in cap.index]
    np.testing.assert_allclose(r.ratio["ratio"], expected, rtol=1e-12, atol=0)


@given(st.integers(0, 10_000), st.integers(1, 15), st.integers(1, 8),
       st.lists(st.tuples(st.floats(0.1, 5.0), st.floats(0.05, 1.0)), min_size=1, max_size=4))
@settings(max_examples=60, deadline=None)
def test_supply_is_conserved(seed, n, m, raw):
    # sum_i P_i A_i = sum_j R_j sum_i P_i W_ij = sum of S_j over supplies with people in reach
    uppers = np.cumsum([u for u, _ in raw])
    weights = np.sort([w for _, w in raw])[::-1]
    bands = list(zip(uppers.tolist(), weights.tolist()))
    pairs, pop, cap = random_case(seed, n, m, density=0.6)
    r = e2sfca(pairs, pop, cap, bands=bands)
    acc = r.accessibility
    served = r.ratio.loc[~r.ratio["undefined"], "capacity"].sum()
    assert (acc["population"] * acc["accessibility"]).sum() == pytest.approx(served, rel=1e-10, abs=1e-9)
    assert (acc["accessibility"] >= 0).all()


BAD = [
    (dict(bands=[]), "at least one"),
    (dict(bands=[(2, 1.0), (1, 0.5)]), "strictly increasing"),
    (dict(bands=[(0, 1.0)]), "> 0"),
    (dict(bands=[(1, 0.5), (2, 0.7)]), "non-increasing"),
    (dict(bands=[(1, 1.2)]), r"in \(0, 1\]"),
    (dict(bands=[(1, 0.0)]), r"in \(0, 1\]"),
    (dict(bands=[1, 2]), "pairs"),
    (dict(demand=pd.Series({"a": -1.0, "b": 1.0, "c": 1.0})), "demand population must be finite and >= 0"),
    (dict(supply=pd.Series({"s1": np.nan, "s2": 1.0})), "supply capacity must be finite and >= 0"),
    (dict(supply=pd.Series([1.0, 2.0], index=["s1", "s1"])), "supply has duplicate ids"),
    (dict(supply=pd.Series({"s1": 1.0})), r"pairs supply_id not in supply: \['s2'\]"),
    (dict(demand=pd.DataFrame({"id": ["a"], "population": [1.0]})), "demand needs columns 'demand_id'"),
    (dict(pairs=pd.DataFrame({"demand_id": ["a"], "supply_id": ["s1"]})), r"missing \['cost'\]"),
    (dict(pairs=pd.DataFrame({"demand_id": ["a"], "supply_id": ["s1"], "cost": [-1.0]})),
     "cost must be finite and >= 0"),
    (dict(pairs=pd.DataFrame({"demand_id": ["a", "a"], "supply_id": ["s1", "s1"], "cost": [1.0, 2.0]})),
     "duplicate"),
]


@pytest.mark.parametrize("override,message", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_input_names_parameter(override, message):
    pairs, pop, cap = hand_case()
    args = dict(pairs=pairs, demand=pop, supply=cap, bands=BANDS)
    args.update(override)
    with pytest.raises(CatchmentError, match=message) as info:
        e2sfca(**args)
    assert isinstance(info.value, ValueError)
