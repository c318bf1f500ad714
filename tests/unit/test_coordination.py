"""Tests of layers.analysis.coordination: a hand-computed example on the equator, coverage against
brute-force haversine loops over all cell-depot pairs, the own-in-cross property, parameter checks
and the store adapter on the tiny world."""

from __future__ import annotations

import math

import h3
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layers.analysis.coordination import (
    CoordinationError,
    coordination_from_store,
    cross_border_coverage,
)
from layers.analysis.travel import AccessParams
from layers.store import Store
from tests.unit import world as W
from tests.unit.world import STANDARDS

INF = math.inf
KM_PER_DEG = 2 * math.pi * 6371.0088 / 360  # on the equator
FLAT = AccessParams(detour={"plain": 1.0}, speed_kmh={"county": 100.0, "municipal": 100.0})


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle km on the mean sphere (the oracle's own formula)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def cells_at(n: int, res: int = 7) -> list[str]:
    return [h3.latlng_to_cell(30.0 + 0.2 * i, 100.0, res) for i in range(n)]


@pytest.fixture
def equator():
    """Cells a, b (province P) and c (Q) on the equator at lng 0, 2, 3; county depots D1 (P, lng 0)
    and D2 (Q, lng 3.5); municipal M1 (Q, lng 2.5). 100 km/h, no detour, no delay."""
    at_risk = pd.DataFrame({"cell": cells_at(3), "lat": 0.0, "lng": [0.0, 2.0, 3.0], "province": ["P", "P", "Q"],
                            "city": ["P1", "P1", "Q1"], "area_km2": [1.0, 2.0, 4.0],
                            "population": [10.0, np.nan, 5.0]})
    depots = pd.DataFrame({"id": ["D1", "D2", "M1", "X"], "name": ["d1", "d2", "m1", "x"],
                           "lat": 0.0, "lng": [0.0, 3.5, 2.5, 2.0],
                           "tier": ["county", "county", "municipal", "rescue"], "province": ["P", "Q", "Q", "P"]})
    return at_risk, depots


def test_hand_computed_county(equator):
    units, depots, cells = cross_border_coverage(*equator, FLAT, {"county": 2, "municipal": 3}, tier="county")
    assert cells["hours_own_county"].tolist() == pytest.approx([0.0, 2 * KM_PER_DEG / 100, 0.5 * KM_PER_DEG / 100])
    assert cells["hours_cross_county"].tolist() == pytest.approx([0.0, 1.5 * KM_PER_DEG / 100, 0.5 * KM_PER_DEG / 100])
    assert cells["covered_own"].tolist() == [True, False, True] and cells["covered_cross"].all()
    assert cells["gain"].tolist() == [False, True, False]
    assert cells["gain_depot"].tolist()[1] == "D2" and cells["gain_depot_province"].tolist()[1] == "Q"
    assert cells["gain_depot"].isna().tolist() == [True, False, True]
    p = units.set_index(["level", "adcode"]).loc[("province", "P")]
    assert (p["at_risk_km2"], p["covered_own_km2"], p["covered_cross_km2"], p["gain_km2"]) == (3.0, 1.0, 3.0, 2.0)
    assert p["gain_share"] == pytest.approx(2 / 3) and p["gain_population"] == 0.0 and p["population"] == 10.0
    q = units.set_index(["level", "adcode"]).loc[("province", "Q")]
    assert q["gain_km2"] == 0.0 and q["share_own"] == 1.0 and q["gain_population"] == 0.0
    assert set(units["level"]) == {"province", "city"} and (units["tier"] == "county").all()
    assert depots["id"].tolist() == ["D2", "D1"] and depots["rank"].tolist()[0] == 1 and pd.isna(depots["rank"][1])
    assert depots.loc[0, "cross_gain_km2"] == 2.0 and depots.loc[0, "provinces_served"] == ["P"]
    assert math.isnan(depots.loc[0, "cross_gain_population"])  # b's people are unknown


def test_hand_computed_municipal_and_first_batch(equator):
    units, depots, cells = cross_border_coverage(*equator, FLAT, {"county": 2, "municipal": 3}, tier="municipal")
    assert np.isinf(cells["hours_own_municipal"].tolist()[:2]).all()  # P has no municipal depot
    assert cells["gain"].tolist() == [True, True, False]  # M1 at 2.78 h and 0.56 h
    assert units.set_index(["level", "adcode"]).loc[("province", "P"), "gain_population"] == 10.0
    assert depots["id"].tolist() == ["M1"] and depots.loc[0, "cross_gain_km2"] == 3.0
    units, depots, cells = cross_border_coverage(*equator, FLAT, {"county": 2, "municipal": 3})
    assert cells["covered_own"].tolist() == [True, False, True] and cells["gain"].tolist() == [False, True, False]
    assert cells["gain_depot"].tolist()[1] == "M1"  # fastest in-standard: M1 0.56 h before D2 1.67 h
    assert set(depots["id"]) == {"D1", "D2", "M1"}  # the rescue tier has no standard: not a depot here
    assert depots.loc[0, "id"] == "M1" and depots.loc[0, "cross_gain_km2"] == 2.0
    assert (units["tier"] == "first_batch").all()


def brute(at_risk, depots, params, std):
    """Loops over every cell-depot pair: own/cross hours per tier, and the nearest depot."""
    own, cross, near = {}, {}, {}
    for i, c in at_risk.iterrows():
        for t in std:
            o = x = INF
            best = None
            for _, d in depots[depots["tier"] == t].iterrows():
                h = (haversine_km(c["lat"], c["lng"], d["lat"], d["lng"]) * params.detour[c["terrain"]]
                     / params.speed_kmh[t] + params.dispatch_delay_h)
                if d["province"] == c["province"]:
                    o = min(o, h)
                if h < x:
                    x, best = h, d["id"]
            own[i, t], cross[i, t], near[i, t] = o, x, best
    return own, cross, near


def random_region(seed: int, n: int = 150, m: int = 24):
    rng = np.random.default_rng(seed)
    lat, lng = rng.uniform(38.0, 40.5, n), rng.uniform(114.0, 118.0, n)
    prov = lambda x: np.where(x < 115.5, "P1", np.where(x < 116.8, "P2", "P3"))  # noqa: E731
    at_risk = pd.DataFrame({"cell": list(dict.fromkeys(h3.latlng_to_cell(a, b, 9) for a, b in zip(lat, lng))),
                            "lat": lat, "lng": lng, "terrain": rng.choice(["plain", "hill"], n),
                            "province": prov(lng), "county": [f"C{int(x * 2)}" for x in lng],
                            "area_km2": rng.uniform(0.2, 2.0, n),
                            "population": np.where(rng.random(n) < 0.6, rng.uniform(0, 500, n), np.nan)})
    dlng = rng.uniform(113.8, 118.2, m)
    depots = pd.DataFrame({"id": [f"R{i:02d}" for i in range(m)], "lat": rng.uniform(37.8, 40.7, m), "lng": dlng,
                           "tier": rng.choice(["county", "municipal", "provincial"], m), "province": prov(dlng)})
    params = AccessParams(detour={"plain": 1.3, "hill": 1.5}, dispatch_delay_h=0.3,
                          speed_kmh={"county": 50.0, "municipal": 60.0, "provincial": 70.0})
    return at_risk, depots, params


@pytest.mark.parametrize("seed", [0, 1])
def test_coverage_matches_brute_force(seed):
    at_risk, depots, params = random_region(seed)
    std = {"county": 1.0, "municipal": 1.6, "provincial": 2.5}
    own, cross, near = brute(at_risk, depots, params, std)
    for tier in ("first_batch", *std):
        units, deps, cells = cross_border_coverage(at_risk, depots, params, std, tier=tier)
        credit: dict[str, float] = {}
        for i in range(len(at_risk)):
            for t in std:
                assert cells.at[i, f"hours_own_{t}"] == pytest.approx(own[i, t], rel=1e-9)
                assert cells.at[i, f"hours_cross_{t}"] == pytest.approx(cross[i, t], rel=1e-9)
            ts = list(std) if tier == "first_batch" else [tier]
            o = any(own[i, t] <= std[t] for t in ts)
            x = any(cross[i, t] <= std[t] for t in ts)
            assert (cells.at[i, "covered_own"], cells.at[i, "covered_cross"]) == (o, x), (tier, i)
            if x and not o:
                first = min((cross[i, t], near[i, t]) for t in ts if cross[i, t] <= std[t])[1]
                assert cells.at[i, "gain_depot"] == first
                credit[first] = credit.get(first, 0.0) + at_risk.at[i, "area_km2"]
        prov = units[units["level"] == "province"].set_index("adcode")
        for p, grp in cells.groupby("province"):
            gain = grp.loc[grp["gain"], "area_km2"].sum()
            assert prov.at[p, "gain_km2"] == pytest.approx(gain, abs=1e-12)
            assert prov.at[p, "covered_own_km2"] == pytest.approx(grp.loc[grp["covered_own"], "area_km2"].sum())
        got = deps.set_index("id")["cross_gain_km2"]
        assert {k: v for k, v in got.items() if v > 0} == pytest.approx(credit)
        assert set(deps["id"]) == set(depots.loc[depots["tier"].isin(ts), "id"])
    assert len(credit) > 0  # the seeds do cross the borders


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.floats(0.5, 4.0), st.floats(0.5, 4.0))
def test_cross_contains_own(seed, county_h, municipal_h):
    at_risk, depots, params = random_region(seed, n=40, m=8)
    std = {"county": county_h, "municipal": municipal_h, "provincial": 3.0}
    units, deps, cells = cross_border_coverage(at_risk, depots, params, std)
    for t in std:
        assert (cells[f"hours_cross_{t}"] <= cells[f"hours_own_{t}"]).all()
    assert (~cells["covered_own"] | cells["covered_cross"]).all()
    assert (units["gain_km2"] >= 0).all() and (units["covered_cross_km2"] >= units["covered_own_km2"]).all()
    assert units["gain_share"].between(0, 1).all()
    gained = deps["cross_gain_km2"].sum()
    assert gained == pytest.approx(cells.loc[cells["gain"], "area_km2"].sum())
    served = [p for ps, pr in zip(deps["provinces_served"], deps["province"]) for p in ps if p == pr]
    assert not served  # a depot's cross-border gain is never in its own province


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"tier": "village"}, r"tier: found 'village'; expected one of \['first_batch', 'municipal', 'county'\]"),
    ({"tier": "provincial"}, r"tier: found 'provincial'"),
    ({"hours_by_tier": {"county": -1}}, r"hours_by_tier.county: found -1; expected hours >= 0"),
    ({"hours_by_tier": {"village": 2}}, r"hours_by_tier.village: unknown tier"),
    ({"hours_by_tier": {}}, r"hours_by_tier: found \{\}"),
])
def test_core_rejects_bad_parameters(equator, kwargs, match):
    args = {"hours_by_tier": {"county": 2, "municipal": 3}, **kwargs}
    with pytest.raises(CoordinationError, match=match):
        cross_border_coverage(*equator, FLAT, **args)


def test_core_rejects_bad_frames(equator):
    at_risk, depots = equator
    with pytest.raises(CoordinationError, match=r"at_risk: missing columns \['province'\]"):
        cross_border_coverage(at_risk.drop(columns="province"), depots, FLAT, {"county": 2})
    with pytest.raises(CoordinationError, match=r"depots: missing columns \['tier'\]"):
        cross_border_coverage(at_risk, depots.drop(columns="tier"), FLAT, {"county": 2})
    with pytest.raises(CoordinationError, match=r"at_risk.area_km2"):
        cross_border_coverage(at_risk.assign(area_km2=0.0), depots, FLAT, {"county": 2})


# --- the store adapter ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world_std(world_with) -> Store:
    """The tiny world with standards; R3's adcode removed (its province then comes from its cell)."""
    return world_with({"standards": STANDARDS}, ("UPDATE reserves SET adcode = NULL WHERE id = 'R3'",))


def world_brute(res: int, tier: str, std: dict[str, float]):
    """At-risk (earthquake >= 2) cells of the world -> (province, area, own covered, cross covered)."""
    prov = {"R1": "110000", "R2": "110000", "R3": "130000", "R4": "130000", "R5": "130000"}
    dep = [(f[0], f[3]["tier"], *W.position("reserves", f[0])) for f in W.FACILITIES["reserves"]]
    speed = STANDARDS["speed_kmh"]
    out = {}
    for county in ("110101", "110102", "139001"):
        p = W.ancestors(county)["province"]
        for c in W.county_cells(county, res):
            lat, lng = h3.cell_to_latlng(h3.int_to_str(c))
            ok_own = ok_cross = False
            for t in ([tier] if tier != "first_batch" else list(std)):
                hours = {d: haversine_km(lat, lng, a, b) * 1.3 / speed[t] + 0.5 for d, dt, a, b in dep if dt == t}
                ok_own |= any(h <= std[t] for d, h in hours.items() if prov[d] == p)
                ok_cross |= min(hours.values(), default=INF) <= std[t]
            out[h3.int_to_str(c)] = (p, h3.cell_area(h3.int_to_str(c), "km^2"), ok_own, ok_cross)
    return out


@pytest.mark.parametrize("tier", ["first_batch", "county", "municipal", "national"])
def test_adapter_on_the_tiny_world(world_std, tier):
    std = {"county": 6, "municipal": 8, "national": 10}
    units, depots, cells = coordination_from_store(world_std, "earthquake", 7, tier=tier)
    expect = world_brute(7, tier, std)
    assert sorted(cells["cell"]) == sorted(expect)
    got = cells.set_index("cell")
    for c, (p, area, o, x) in expect.items():
        assert got.at[c, "province"] == p and got.at[c, "area_km2"] == pytest.approx(area)
        assert (got.at[c, "covered_own"], got.at[c, "covered_cross"]) == (o, x), (tier, c)
    prov = units[units["level"] == "province"].set_index("adcode")
    assert prov.loc["110000", "name"] == "北京市" and units["population"].isna().all()
    for p in ("110000", "130000"):
        gain = sum(a for q, a, o, x in expect.values() if q == p and x and not o)
        assert prov.at[p, "gain_km2"] == pytest.approx(gain, abs=1e-9)
    dep = depots.set_index("id")
    if tier in ("county", "first_batch"):
        assert dep.at["R3", "province"] == "130000" and dep.at["R5", "province"] == "130000"  # R3: from its cell
    if tier == "national":  # Hebei's 139001 has no national depot: Beijing's R2 serves it
        assert prov.at["130000", "gain_share"] == 1.0 and dep.at["R2", "provinces_served"] == ["130000"]
        assert dep.at["R2", "rank"] == 1 and dep.at["R2", "province_name"] == "北京市"
    if tier == "municipal":  # Beijing has no municipal depot: Tangshan's R4 reaches it in ~4 h
        assert prov.at["110000", "gain_share"] == 1.0 and dep.at["R4", "provinces_served"] == ["110000"]
    if tier in ("county", "first_batch"):
        assert (units["gain_km2"] == 0).all() and depots["rank"].isna().all()


def test_adapter_any_and_hours_override(world_std):
    units, depots, cells = coordination_from_store(world_std, "any", 8, min_class=2, tier="county",
                                                   hours_by_tier={"county": 0.6}, dispatch_delay_h=0.5)
    assert set(cells["county"]) == {"110101", "110102", "139001"}  # wildfire 110101, earthquake all three
    assert not cells["covered_own"].all() and cells["covered_own"].any()  # 0.1 h: about 3.8 km
    assert (cells["covered_cross"] == cells["covered_own"]).all()  # the provinces are far apart


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"hazard": "flood"}, r"hazard: found 'flood'; expected one of \['wildfire', 'earthquake', 'any'\]"),
    ({"tier": "provincial"}, r"tier: found 'provincial'; expected one of \['first_batch', 'national'"),
    ({"tier": "rescue"}, r"tier: found 'rescue'"),
    ({"hours_by_tier": {"county": -6}}, r"hours_by_tier.county: found -6; expected hours >= 0"),
    ({"hours_by_tier": [("county", 6)]}, r"hours_by_tier: found \[\('county', 6\)\]; expected a mapping"),
    ({"res": 9}, r"res: found 9"),
    ({"min_class": 0}, r"min_class.wildfire: found 0"),
    ({"speed_kmh": {"county": -1}}, r"speed_kmh.county: found -1"),
])
def test_adapter_rejects_bad_parameters(world_std, kwargs, match):
    with pytest.raises(ValueError, match=match):
        coordination_from_store(world_std, **{"res": 7, **kwargs})
