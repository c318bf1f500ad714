"""Tests of layers.analysis.gaps: a hand-computed example, the unit aggregation against brute-force loops,
parameter checks, and the store adapter on the tiny world."""

from __future__ import annotations

import math

import h3
import numpy as np
import pandas as pd
import pytest

from layers.analysis.gaps import coverage_gaps, gaps_from_store
from tests.unit import world as W

INF = math.inf
HOURS = {"county": 6, "municipal": 8}
CELLS = [h3.latlng_to_cell(39.0 + i * 0.1, 116.0, 8) for i in range(4)]


def frame_access(hours: dict[str, list[float]], cells=CELLS) -> pd.DataFrame:
    """An access_table-like frame (rank 1) from {group: hours per cell}; inf rows are dropped
    for the county tier of the last cell to test a missing cell."""
    rows = [{"cell": c, "tier": g, "rank": 1, "hours": h}
            for g, hs in hours.items() for c, h in zip(cells, hs)]
    return pd.DataFrame(rows)


@pytest.fixture
def example():
    at_risk = pd.DataFrame({"cell": CELLS, "county": ["A", "A", "B", "B"], "city": ["X"] * 4,
                            "province": ["P"] * 4, "area_km2": [1.0, 3.0, 2.0, 0.5],
                            "population": [10.0, np.nan, np.nan, np.nan]})
    tiers = frame_access({"county": [2.0, 7.0, 5.0], "municipal": [9.0, 5.0, 10.0, 4.0]})  # c4: no county row
    chains = frame_access({"rescue": [1.0, 8.0, 8.0, 8.0], "medical": [9.0, 1.0, 1.0, 1.0]})
    return coverage_gaps(at_risk, tiers, HOURS, 6.0, chain_access=chains, depot_counties={"A"})


def test_hand_computed_cells(example):
    cells, _ = example
    assert cells["covered_county"].tolist() == [True, False, True, False]
    assert cells["covered_municipal"].tolist() == [False, True, False, True]
    assert cells["gap"].tolist() == [False, True, False, True]
    assert np.isinf(cells["hours_county"].iloc[3])  # absent from access: never reached
    assert cells["first_batch_tier"].astype(object).tolist() == ["county", "municipal", "county", "municipal"]
    assert cells["first_batch_hours"].tolist() == [2.0, 5.0, 5.0, 4.0]
    assert cells["missing_chains"].tolist() == [["medical"], ["rescue"], ["rescue"], ["rescue"]]
    assert cells["n_missing_chains"].tolist() == [1, 1, 1, 1]
    assert cells["cell"].tolist() == CELLS


def test_hand_computed_units(example):
    _, units = example
    u = units.set_index(["level", "adcode"])
    a, b, x = u.loc[("county", "A")], u.loc[("county", "B")], u.loc[("city", "X")]
    assert a["at_risk_area_km2"] == 4.0 and a["at_risk_cells"] == 2 and a["gap_area_km2"] == 3.0
    assert a["share_covered_county"] == 0.25 and a["share_covered_municipal"] == 0.75
    assert a["worst_hours"] == 7.0 and a["p90_hours"] == 7.0  # 90 % of 4 km2 = 3.6: needs the 7 h cell
    assert a["population"] == 10.0 and math.isnan(b["population"])
    assert b["share_covered_county"] == pytest.approx(0.8) and np.isinf(b["worst_hours"])
    assert np.isinf(b["p90_hours"])  # 2.25 of 2.5 km2 needs the unreached cell
    assert x["share_covered_county"] == pytest.approx(3 / 6.5) and x["p90_hours"] == 7.0  # 5.85 km2
    assert bool(a["has_county_depot"]) and not bool(b["has_county_depot"])
    assert not bool(x["has_county_depot"]) and x["counties_without_county_depot"] == 1
    assert a["missing_chains"] == ["rescue"] and b["missing_chains"] == ["rescue"]  # medical: 1/4 only
    assert list(units["level"].unique()) == ["county", "city", "province"]


def test_per_cell_relevant_chains_and_no_chains():
    at_risk = pd.DataFrame({"cell": CELLS[:2], "county": ["A", "A"], "city": ["X", "X"],
                            "area_km2": [1.0, 1.0], "chains": [["medical"], ["rescue", "medical"]]})
    tiers = frame_access({"county": [1.0, 1.0]}, CELLS[:2])
    chains = frame_access({"rescue": [9.0, 9.0], "medical": [9.0, 1.0]}, CELLS[:2])
    cells, units = coverage_gaps(at_risk, tiers, {"county": 6}, chain_access=chains)
    assert cells["missing_chains"].tolist() == [["medical"], ["rescue"]]
    a = units.set_index(["level", "adcode"]).loc[("county", "A")]
    assert a["missing_chains"] == ["rescue"]  # rescue: 1 of 1 km2 relevant; medical: 1 of 2 (not > 50 %)
    assert pd.isna(a["has_county_depot"]) and math.isnan(a["population"])
    cells, _ = coverage_gaps(at_risk.drop(columns="chains"), tiers, {"county": 6})
    assert cells["missing_chains"].tolist() == [[], []] and not cells["gap"].any()


def brute_units(at_risk, hours, miss, rel, chains, depots, level):
    """Loops: the unit summary of one level."""
    out = {}
    for unit in sorted(set(at_risk[level])):
        idx = [i for i in range(len(at_risk)) if at_risk[level].iloc[i] == unit]
        area = sum(at_risk["area_km2"].iloc[i] for i in idx)
        cov = sum(at_risk["area_km2"].iloc[i] for i in idx if hours[i] <= 6)
        pairs = sorted((hours[i], at_risk["area_km2"].iloc[i]) for i in idx)
        acc, p90 = 0.0, None
        for h, a in pairs:
            acc += a
            if acc >= 0.9 * area * (1 - 1e-12):
                p90 = h
                break
        pops = [at_risk["population"].iloc[i] for i in idx if not math.isnan(at_risk["population"].iloc[i])]
        counties = {at_risk["county"].iloc[i] for i in idx}
        lack = []
        for j, c in enumerate(chains):
            ra = sum(at_risk["area_km2"].iloc[i] for i in idx if rel[i][j])
            ma = sum(at_risk["area_km2"].iloc[i] for i in idx if miss[i][j])
            if ma > 0.5 * ra:
                lack.append(c)
        out[unit] = {"at_risk_cells": len(idx), "at_risk_area_km2": area, "share_covered_county": cov / area,
                     "gap_area_km2": area - cov, "worst_hours": max(hours[i] for i in idx), "p90_hours": p90,
                     "population": sum(pops) if pops else math.nan,
                     "counties_without_county_depot": len(counties - depots), "missing_chains": lack}
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_unit_aggregation_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = 300
    cells = [h3.latlng_to_cell(lat, lng, 9) for lat, lng in
             zip(rng.uniform(38, 40, n * 2), rng.uniform(114, 118, n * 2))]
    cells = list(dict.fromkeys(cells))[:n]
    county = rng.choice([f"C{i}" for i in range(7)], n)
    city = np.array([f"T{int(c[1:]) % 3}" for c in county])
    province = np.array(["P0" if c in ("T0", "T1") else "P1" for c in city])
    hours = rng.choice([1.0, 3.0, 5.5, 6.0, 6.5, 9.0, INF], n)  # ties and inf on purpose
    chains = ["rescue", "medical", "comms"]
    ch_h = rng.choice([2.0, 6.0, 7.0, INF], (n, 3))
    rel = rng.random((n, 3)) < 0.7
    pop = np.where(rng.random(n) < 0.5, rng.uniform(0, 100, n), np.nan)
    at_risk = pd.DataFrame({"cell": cells, "county": county, "city": city, "province": province,
                            "area_km2": rng.choice([0.1, 0.5, 1.0, 2.0], n), "population": pop,
                            "chains": [[c for j, c in enumerate(chains) if rel[i, j]] for i in range(n)]})
    tiers = pd.DataFrame({"cell": cells, "tier": "county", "rank": 1, "hours": hours})
    chain_access = pd.DataFrame({"cell": cells * 3, "tier": np.repeat(chains, n), "rank": 1,
                                 "hours": ch_h.T.ravel()})
    depots = {"C0", "C3", "C5"}
    got_cells, units = coverage_gaps(at_risk.sample(frac=1, random_state=seed), tiers, {"county": 6},
                                     chain_access=chain_access.sample(frac=1, random_state=1),
                                     chains=chains, depot_counties=depots)
    miss = rel & ~(ch_h <= 6)
    by_cell = got_cells.set_index("cell")
    for i in range(n):
        assert by_cell.at[cells[i], "missing_chains"] == [c for j, c in enumerate(chains) if miss[i, j]]
        assert by_cell.at[cells[i], "gap"] == (not hours[i] <= 6)
    for level in ("county", "city", "province"):
        expect = brute_units(at_risk, hours, miss, rel, chains, depots, level)
        got = units[units["level"] == level].set_index("adcode")
        assert sorted(got.index) == sorted(expect)
        for unit, row in expect.items():
            for key, value in row.items():
                g = got.at[unit, key]
                if isinstance(value, list):
                    assert g == value, (level, unit, key)
                elif isinstance(value, float) and math.isnan(value):
                    assert math.isnan(g), (level, unit, key)
                else:
                    assert g == pytest.approx(value, rel=1e-12), (level, unit, key)
            assert bool(got.at[unit, "has_county_depot"]) == (row["counties_without_county_depot"] == 0)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"hours_by_tier": {"county": -1}}, r"hours_by_tier.county: found -1; expected hours >= 0"),
    ({"hours_by_tier": {"county": float("inf")}}, r"hours_by_tier.county: found inf"),
    ({"hours_by_tier": {"municipal": 8}}, r"hours_by_tier.county: missing"),
    ({"hours_by_tier": {"county": 6, "village": 2}}, r"hours_by_tier.village: unknown tier"),
    ({"chain_hours": 0}, r"chain_hours: found 0; expected hours > 0"),
    ({"chain_hours": -3.0}, r"chain_hours: found -3.0"),
])
def test_core_rejects_bad_parameters(kwargs, match):
    at_risk = pd.DataFrame({"cell": CELLS[:1], "county": ["A"], "city": ["X"], "area_km2": [1.0]})
    args = {"hours_by_tier": {"county": 6}, **kwargs}
    with pytest.raises(ValueError, match=match):
        coverage_gaps(at_risk, frame_access({"county": [1.0]}, CELLS[:1]), **args)


def test_core_rejects_bad_frames():
    tiers = frame_access({"county": [1.0]}, CELLS[:1])
    with pytest.raises(ValueError, match=r"at_risk: missing columns \['area_km2'\]"):
        coverage_gaps(pd.DataFrame({"cell": CELLS[:1], "county": ["A"], "city": ["X"]}), tiers, HOURS)
    with pytest.raises(ValueError, match=r"at_risk.area_km2"):
        coverage_gaps(pd.DataFrame({"cell": CELLS[:1], "county": ["A"], "city": ["X"], "area_km2": [0.0]}),
                      tiers, HOURS)


# --- the store adapter ------------------------------------------------------------------------


def test_adapter_on_the_tiny_world(world_std):
    cells, units = gaps_from_store(world_std, "earthquake", 8)
    at_risk = {"110101", "110102", "139001"}  # classes 3, 3, 2 (130102: 1, 130104: 0)
    assert set(cells["county"]) == at_risk
    expect = sorted(h3.int_to_str(c) for county in at_risk for c in W.county_cells(county, 8))
    assert sorted(cells["cell"]) == expect
    assert cells["area_km2"].tolist() == pytest.approx([h3.cell_area(c, "km^2") for c in cells["cell"]])
    assert not cells["gap"].any() and cells["covered_national"].all()  # all within a few km
    assert (cells["missing_chains"].map(lambda m: "firefighting" in m)).all()  # no enterprise
    county = units[units["level"] == "county"].set_index("adcode")
    assert county["has_county_depot"].to_dict() == {"110101": True, "110102": False, "139001": True}
    assert county.loc["139001", "name"] == "定州市" and county["population"].isna().all()
    assert county.loc["110101", "missing_chains"] == ["firefighting"]
    city = units[units["level"] == "city"].set_index("adcode")
    assert set(city.index) == {"110100", "130100"}  # 139001 sits under 130100 by parent
    assert city.loc["110100", "counties_without_county_depot"] == 1
    assert units["share_covered_county"].between(0, 1).all()


def test_adapter_any_and_overrides(world_std):
    cells, units = gaps_from_store(world_std, "any", 8, min_class={"earthquake": 3},
                                   hours_by_tier={"county": 0.5}, chain_hours=100)
    assert set(cells["county"]) == {"110101", "110102"}  # wildfire class 2 in 110101; quake >= 3
    both = cells[cells["county"] == "110101"]
    assert both["hazards"].map(lambda v: tuple(v) == ("wildfire", "earthquake")).all()
    assert cells["gap"].all()  # 0.5 h = the dispatch delay alone
    assert cells.loc[cells["county"] == "110102", "missing_chains"].map(lambda v: tuple(v) == ("firefighting",)).all()
    assert both["missing_chains"].map(lambda v: tuple(v) == ("firefighting",)).all()  # medical reaches (E3) in 100 h


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"hazard": "flood"}, r"hazard: found 'flood'; expected one of \['wildfire', 'earthquake', 'any'\]"),
    ({"hazard": "earthquake", "min_class": 0}, r"min_class.earthquake: found 0; expected an integer in 1..3"),
    ({"hazard": "earthquake", "min_class": 4}, r"min_class.earthquake: found 4"),
    ({"hazard": "earthquake", "min_class": {"flood": 2}}, r"min_class: unknown hazard\(s\) \['flood'\]"),
    ({"hazard": "earthquake", "hours_by_tier": {"county": -2}}, r"hours_by_tier.county: found -2"),
    ({"hazard": "earthquake", "chain_hours": -1}, r"chain_hours: found -1"),
    ({"hazard": "earthquake", "res": 9}, r"res: found 9"),
    ({"hazard": "earthquake", "speed_kmh": {"county": 0}}, r"speed_kmh.county: found 0"),
])
def test_adapter_rejects_bad_parameters(world_std, kwargs, match):
    with pytest.raises(ValueError, match=match):
        gaps_from_store(world_std, **kwargs)
