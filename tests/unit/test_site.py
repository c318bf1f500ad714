"""Tests of layers.analysis.site (and its kernel layers.analysis.reach): the reach sums, demand and chains against
loops over all pairs with haversine, the weights, exclusions, the explanation, the store
adapter on the tiny world (--at equals its row of the full ranking) and bad parameters."""

from __future__ import annotations

import json
import math
import shutil

import duckdb
import h3
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layers.analysis import reach
from layers.analysis.reach import reach_sums
from layers.analysis.spread import spread_top
from layers.analysis.site import (
    COMPONENTS,
    DEFAULT_WEIGHTS,
    SiteError,
    SiteParams,
    explain_site,
    site_from_store,
    site_scores,
)
from layers.analysis.travel import AccessParams
from layers.store import Store
from tests.unit import world as W

R = 6371.0088
STANDARDS = {"hours_by_tier": {"county": 6, "municipal": 8, "national": 10},
             "detour": {"plain": 1.3, "hill": 1.45, "mountain": 1.6}, "dispatch_delay_h": 0.5,
             "speed_kmh": {"national": 70, "municipal": 60, "county": 50, "enterprise": 40}}
DETOUR = STANDARDS["detour"]


def haversine(lat1, lng1, lat2, lng2) -> float:
    """Great-circle km, written differently from the code (haversine, scalar math)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    return 2 * R * math.asin(math.sqrt(a))


# --- the kernel -------------------------------------------------------------------------------

def test_reach_sums_equal_the_pair_loop(monkeypatch):
    monkeypatch.setattr(reach, "_PAIRS_PER_STEP", 997)  # slices everywhere
    rng = np.random.default_rng(3)
    n, m = 150, 400
    ql, qg = rng.uniform(37, 41, n), rng.uniform(114, 119, n)
    pl, pg = rng.uniform(37, 41, m), rng.uniform(114, 119, m)
    pl[:40], pg[:40] = pl[0], pg[0]  # forty points at one place (district centroids)
    w = rng.uniform(0, 3, m)
    radius = np.stack([rng.choice([60.0, 120.0, 200.0], m), np.full(m, 90.0), np.full(m, np.inf)], 1)
    scale = rng.choice([1 / 1.3, 1 / 1.6, 1.0], n)
    got = reach_sums(ql, qg, pl, pg, w, radius, scale)
    for i in range(n):
        for j in range(3):
            want = sum(w[k] for k in range(m) if haversine(ql[i], qg[i], pl[k], pg[k]) <= scale[i] * radius[k, j])
            assert got[i, j] == pytest.approx(want, abs=1e-9)
    one = reach_sums(ql, qg, pl, pg, w, radius[:, 0], scale)  # 1-D radius: 1-D result
    np.testing.assert_allclose(one, got[:, 0])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(38.0, 39.0), st.floats(115.0, 116.0)), min_size=1, max_size=12),
       st.lists(st.tuples(st.floats(38.0, 39.0), st.floats(115.0, 116.0), st.floats(0.0, 5.0)),
                min_size=0, max_size=25),
       st.floats(0.0, 150.0))
def test_reach_sums_property(queries, points, radius):
    ql, qg = (np.array([q[i] for q in queries]) for i in range(2))
    pl, pg, w = (np.array([p[i] for p in points], float) for i in range(3))
    got = reach_sums(ql, qg, pl, pg, w, radius)
    want = [sum(wk for a, b, wk in points if haversine(x, y, a, b) <= radius) for x, y in queries]
    np.testing.assert_allclose(got, want, atol=1e-9)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"radius_km": -1.0}, "radius_km: found NaN or negative"),
    ({"weight": np.inf}, "weight: found NaN, infinite"),
    ({"scale": [1.0, 2.0]}, "scale: found 2 values; expected 1"),
    ({"radius_km": np.ones((3, 2))}, r"radius_km: found shape \(3, 2\); expected \(2, k\)"),
    ({"q_cells": [5]}, "q_cells: found ids that are not H3 cells"),
])
def test_reach_sums_rejects_bad_input(kwargs, match):
    args = {"q_lat": [39.0], "q_lng": [116.0], "p_lat": [39.0, 39.1], "p_lng": [116.0, 116.1],
            "weight": 1.0, "radius_km": 10.0, **kwargs}
    with pytest.raises(ValueError, match=match):
        reach_sums(**args)


# --- the core on synthetic frames -------------------------------------------------------------

def synthetic(seed: int = 0, res: int = 6):
    """Candidate cells in a 1 x 1.4 degree box, demand, enterprises, parks and depots."""
    rng = np.random.default_rng(seed)
    box = h3.LatLngPoly([(38.6, 115.6), (38.6, 117.0), (39.6, 117.0), (39.6, 115.6)])
    cells = sorted(h3.h3shape_to_cells(box, res))
    ll = np.array([h3.cell_to_latlng(c) for c in cells])
    terrain = np.where(ll[:, 1] < 116.0, "mountain", np.where(ll[:, 0] > 39.4, "hill", "plain"))
    cand = pd.DataFrame({"cell": cells, "lat": ll[:, 0], "lng": ll[:, 1], "terrain": terrain,
                         "county": np.where(ll[:, 1] < 116.3, "A", "B"),
                         "flood_class": rng.integers(0, 5, len(cells)),
                         "earthquake_class": rng.integers(0, 7, len(cells))})
    risky = rng.random(len(cells)) < 0.3
    at_risk = cand.loc[risky, ["cell", "lat", "lng", "terrain"]].reset_index(drop=True)
    at_risk["area_km2"] = [h3.cell_area(c, "km^2") for c in at_risk["cell"]]
    pool = ["rescue", "medical", "firefighting", "comms"]
    ent = pd.DataFrame({"lat": rng.uniform(38.4, 39.8, 60), "lng": rng.uniform(115.4, 117.2, 60),
                        "chains": [list(rng.choice(pool, rng.integers(1, 3), replace=False)) for _ in range(60)]})
    ent.loc[:9, ["lat", "lng"]] = (39.0, 116.5)  # ten at one district centroid
    parks = pd.DataFrame({"lat": [39.1, 38.8], "lng": [116.2, 116.8], "chains": [["rescue"], ["firefighting"]]})
    depots = pd.DataFrame({"lat": [38.9, 39.3, 39.0], "lng": [116.0, 116.7, 116.4],
                           "tier": ["county", "municipal", "rescue"]})
    return cand, at_risk, ent, parks, depots


def params(kind="depot", **kw) -> SiteParams:
    access = AccessParams.from_standards(STANDARDS)
    base = {"hours": 2.0, "chains": ["rescue", "medical"], "access": access, "reach_res": None}
    return SiteParams.create(kind, {"flood": 4, "earthquake": 6}, **{**base, **kw})


def oracle(cand, at_risk, ent, parks, depots, p: SiteParams) -> dict[str, list[float]]:
    """demand, chains and complement raw values by loops over every pair (haversine)."""
    delay, t = p.access.dispatch_delay_h, p.hours
    v_dem = p.access.speed_kmh["county" if p.kind == "depot" else "enterprise"]
    v_ent, v_cty = p.access.speed_kmh["enterprise"], p.access.speed_kmh["county"]
    pts = [r for r in ent.itertuples() if set(r.chains) & set(p.chains)]
    if p.kind == "park":
        pts += [r for r in parks.itertuples() if set(r.chains) & set(p.chains)]
    dep = [r for r in depots.itertuples() if r.tier in ("national", "provincial", "municipal", "county")]
    demand = list(at_risk.itertuples())
    out = {"demand": [], "chains": [], "complement": []}
    for c in cand.itertuples():
        det = DETOUR[c.terrain]
        out["demand"].append(sum(
            d.area_km2 for d in demand
            if haversine(c.lat, c.lng, d.lat, d.lng) * DETOUR[d.terrain] / v_dem + delay <= t))
        total = 0.0
        for e in pts:
            h = haversine(c.lat, c.lng, e.lat, e.lng) * det / v_ent + delay
            total += 1.0 if h <= t / 3 else 0.68 if h <= 2 * t / 3 else 0.22 if h <= t else 0.0
        out["chains"].append(total)
        out["complement"].append(min(haversine(c.lat, c.lng, d.lat, d.lng) for d in dep) * det / v_cty + delay)
    return out


@pytest.mark.parametrize("kind", ["depot", "park"])
def test_components_equal_the_pair_loops(kind):
    frames = synthetic(1)
    p = params(kind)
    got = site_scores(*frames, p)
    want = oracle(*frames, p)
    np.testing.assert_allclose(got["demand_raw"], want["demand"], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(got["chains_raw"], want["chains"], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(got["complement_raw"], want["complement"], rtol=1e-9)
    assert 0 < got["demand_raw"].min() < got["demand_raw"].max()  # the reach discriminates
    np.testing.assert_allclose(got["demand_score"], got["demand_raw"] / max(want["demand"]))
    np.testing.assert_allclose(got["chains_score"], got["chains_raw"] / max(want["chains"]))
    road = (got["complement_raw"] - 0.5) * 50  # saturates at the county standard's road km:
    np.testing.assert_allclose(got["complement_score"], np.minimum(1, road / ((6 - 0.5) * 50)))
    cand = frames[0]
    assert got["cell"].tolist() == cand["cell"].tolist() and list(got.columns[:6]) == [
        "cell", "lon", "lat", "county", "score", "rank"]


def test_coarse_reach_equals_the_parent_centres():
    """At res 7 with reach_res 6: demand summed into res-6 parents, measured from parent centres."""
    cand, at_risk, ent, parks, depots = synthetic(2, res=7)
    cand, at_risk = cand.iloc[::10].reset_index(drop=True), at_risk.iloc[::2].reset_index(drop=True)
    p = params(reach_res=6)
    got = site_scores(cand, at_risk, ent, parks, depots, p)

    def to_parents(df):
        par = [h3.cell_to_parent(c, 6) for c in df["cell"]]
        ll = np.array([h3.cell_to_latlng(c) for c in par])
        return df.assign(cell=par, lat=ll[:, 0], lng=ll[:, 1])

    want = oracle(to_parents(cand), to_parents(at_risk), ent, parks, depots, p)
    np.testing.assert_allclose(got["demand_raw"], want["demand"], rtol=1e-12)
    np.testing.assert_allclose(got["chains_raw"], want["chains"], rtol=1e-12)
    exact = site_scores(cand, at_risk, ent, parks, depots, params())
    assert np.abs(got["demand_raw"] / exact["demand_raw"] - 1).mean() < 0.05  # a ~3 km shift, ~60 km reach


def test_hazard_safety_and_exclusions():
    cand, at_risk, ent, parks, depots = synthetic(3)
    got = site_scores(cand, at_risk, ent, parks, depots, params())
    share = np.maximum(cand["flood_class"] / 4, cand["earthquake_class"] / 6)
    np.testing.assert_allclose(got["hazard_safety_raw"], share)
    np.testing.assert_allclose(got["hazard_safety_score"], 1 - share)
    out = (cand["flood_class"] >= 4) | (cand["earthquake_class"] >= 6)
    assert (got["excluded_by"] != "").tolist() == out.tolist() and (got.loc[out, "score"] == 0).all()
    both = got[(cand["flood_class"] == 4) & (cand["earthquake_class"] == 6)]
    assert (both["excluded_by"] == "flood class 4 >= 4; earthquake class 6 >= 6").all() and len(both)
    assert got.loc[out, "rank"].min() > got.loc[~out, "rank"].max()  # excluded rank last
    relaxed = site_scores(cand, at_risk, ent, parks, depots, params(exclude={"flood": None, "earthquake": 7}))
    assert (relaxed["excluded_by"] == "").all() and (relaxed["score"] > 0).all()
    strict = site_scores(cand, at_risk, ent, parks, depots, params(exclude={"flood": 3}))
    assert ((strict["excluded_by"] != "") == ((cand["flood_class"] >= 3) | (cand["earthquake_class"] >= 6))).all()


def test_weights_drive_the_ranking():
    frames = synthetic(4)
    p = params(exclude={"flood": None, "earthquake": None})
    base = site_scores(*frames, p)
    expect = sum(DEFAULT_WEIGHTS["depot"][c] * base[f"{c}_score"] for c in COMPONENTS) / sum(
        DEFAULT_WEIGHTS["depot"].values())
    np.testing.assert_allclose(base["score"], expect)
    for comp in COMPONENTS:  # one weight only: the ranking follows that component
        only = {c: 0.0 for c in COMPONENTS} | {comp: 5.0}
        got = site_scores(*frames, params(weights=only, exclude={"flood": None, "earthquake": None}))
        np.testing.assert_allclose(got["score"], got[f"{comp}_score"])
        order = got.sort_values("rank")[f"{comp}_score"].to_numpy()
        assert (np.diff(order) <= 0).all()
    more = site_scores(*frames, params(weights={"complement": 30}, exclude={"flood": None, "earthquake": None}))
    top_base, top_more = base.loc[base["rank"] == 1].iloc[0], more.loc[more["rank"] == 1].iloc[0]
    assert top_more["complement_score"] >= top_base["complement_score"]
    assert base["rank"].sort_values().tolist() == list(range(1, len(base) + 1))


def test_explain_site_adds_up():
    got = site_scores(*synthetic(5), params())
    row = got.loc[got["rank"] == 1]
    parts = explain_site(row)
    assert list(parts) == list(COMPONENTS)
    assert sum(v["contribution"] for v in parts.values()) == pytest.approx(float(row["score"].iloc[0]))
    assert parts["demand"]["unit"] == "km²" and parts["complement"]["unit"].startswith("h")
    assert parts["demand"]["weight"] == DEFAULT_WEIGHTS["depot"]["demand"]
    assert set(parts["hazard_safety"]["classes"]) == {"flood", "earthquake"}
    excluded = got[got["excluded_by"] != ""].iloc[0]  # a Series keeps attrs too
    assert all(v["contribution"] == 0 for v in explain_site(excluded).values())
    assert explain_site(excluded)["hazard_safety"]["excluded_by"] == excluded["excluded_by"]
    with pytest.raises(SiteError, match="expected one row"):
        explain_site(got.head(2))
    bare = pd.Series(row.iloc[0].to_dict())
    with pytest.raises(SiteError, match="weights: none passed"):
        explain_site(bare)
    assert explain_site(bare, weights=DEFAULT_WEIGHTS["depot"])["demand"]["score"] == parts["demand"]["score"]


def test_population_is_the_demand_when_given():
    cand, at_risk, ent, parks, depots = synthetic(6)
    at_risk = at_risk.assign(population=np.arange(len(at_risk), dtype=float))
    got = site_scores(cand, at_risk, ent, parks, depots, params())
    want = oracle(cand, at_risk.assign(area_km2=at_risk["population"]), ent, parks, depots, params())
    np.testing.assert_allclose(got["demand_raw"], want["demand"])
    assert got.attrs["site"]["units"]["demand"] == "people"


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"kind": "warehouse"}, r"kind: found 'warehouse'; expected one of \['depot', 'park', 'capacity_base'\]"),
    ({"hours": -1}, "hours: found -1; expected a finite number > 0"),
    ({"weights": {"demnd": 2}}, r"weights.demnd: unknown component; expected one of \['hazard_safety'"),
    ({"weights": {"demand": -1}}, "weights.demand: found -1"),
    ({"weights": dict.fromkeys(COMPONENTS, 0)}, "weights: found all 0"),
    ({"exclude": {"wildfire": 3}}, r"exclude.wildfire: unknown hazard; expected one of \['flood', 'earthquake'\]"),
    ({"exclude": {"flood": 2.5}}, "exclude.flood: found 2.5; expected an integer >= 1"),
    ({"chains": ["pumps"]}, r"chains: found unknown \['pumps'\]"),
    ({"access": AccessParams.from_standards(None, detour={"plain": 1.3}, speed_kmh={"county": 50})},
     "speed_kmh.enterprise: missing"),
])
def test_params_reject_bad_values(kwargs, match):
    kind = kwargs.pop("kind", "depot")
    with pytest.raises(SiteError, match=match):
        params(kind, **kwargs)


def test_core_rejects_bad_frames():
    cand, at_risk, ent, parks, depots = synthetic(7)
    with pytest.raises(SiteError, match=r"candidates: missing columns \['flood_class'\]"):
        site_scores(cand.drop(columns="flood_class"), at_risk, ent, parks, depots, params())
    with pytest.raises(SiteError, match="at_risk: missing columns"):
        site_scores(cand, at_risk.drop(columns="area_km2"), ent, parks, depots, params())
    with pytest.raises(SiteError, match="terrain"):
        site_scores(cand.assign(terrain="swamp"), at_risk, ent, parks, depots, params())


# --- the store adapter ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world_std(world, tmp_path_factory) -> Store:
    """The tiny world with standards (130100 mountain, 139001 hill) and chains by hazard."""
    path = tmp_path_factory.mktemp("site") / "world.duckdb"
    shutil.copy(world.path, path)
    con = duckdb.connect(str(path))
    meta = {"standards": {**STANDARDS, "terrain_by_unit": {"130100": "mountain", "139001": "hill"}},
            "chains_by_hazard": {"earthquake": ["rescue", "comms"], "wildfire": ["medical"]}}
    con.executemany("INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()])
    con.close()
    store = Store(path)
    yield store
    store.close()


def test_adapter_at_equals_its_row_of_the_ranking(world_std):
    full = site_from_store(world_std, kind="depot", res=7, hazards="earthquake")
    cells = world_std.query("SELECT cell FROM admin_cells WHERE res = 7")["cell"]
    assert sorted(full["cell"]) == sorted(h3.int_to_str(int(c)) for c in cells)
    assert full["rank"].tolist() == list(range(1, len(full) + 1))
    # Beijing's counties hit the top class of earthquake (3 of 3) and 110101 of wildfire (2 of 2)
    bj = full["county"].isin(["110101", "110102"])
    assert (full.loc[bj, "score"] == 0).all() and full.loc[bj, "excluded_by"].str.contains("earthquake class 3").all()
    assert (full.loc[~bj, "excluded_by"] == "").all()
    top = site_from_store(world_std, kind="depot", res=7, hazards="earthquake", top=3, spacing_km=0)
    pd.testing.assert_frame_equal(top, full.head(3))
    spread = site_from_store(world_std, kind="depot", res=7, hazards="earthquake", top=3)  # 10 km apart
    pd.testing.assert_frame_equal(spread, spread_top(full, 3, 10.0))
    assert spread["rank"].iloc[0] == 1 and spread.attrs["site"]["spacing_km"] == 10.0
    for cell in [full["cell"].iloc[0], full["cell"].iloc[len(full) // 2], full["cell"].iloc[-1]]:
        lat, lng = h3.cell_to_latlng(cell)
        one = site_from_store(world_std, kind="depot", res=7, hazards="earthquake", at=(lng + 1e-6, lat))
        pd.testing.assert_frame_equal(one, full[full["cell"] == cell].reset_index(drop=True))
    assert one.attrs["site"]["candidates"] == len(full)


def test_adapter_demand_against_the_pair_loop(world_std):
    got = site_from_store(world_std, kind="capacity_base", res=7, hazards=["earthquake"], hours=4.0)
    at_risk = [(c, *h3.cell_to_latlng(h3.int_to_str(c))) for county in ("110101", "110102", "139001")
               for c in W.county_cells(county, 7)]  # classes 3, 3, 2 >= 2
    terrain = {"110101": "plain", "110102": "plain", "139001": "hill"}
    det = {c: DETOUR[terrain[k]] for k in terrain for c in W.county_cells(k, 7)}
    for row in got.sample(8, random_state=1).itertuples():
        want = sum(h3.cell_area(h3.int_to_str(c), "km^2") for c, la, lo in at_risk
                   if haversine(row.lat, row.lon, la, lo) * det[c] / 40 + 0.5 <= 4.0)  # enterprise speed
        assert row.demand_raw == pytest.approx(want, rel=1e-12)
    chains = site_from_store(world_std, kind="park", res=7, hazards=["earthquake"])
    assert chains.attrs["site"]["chains"] == ["rescue", "comms"] and chains["chains_raw"].max() > 0


def test_adapter_adcode_and_overrides(world_std):
    got = site_from_store(world_std, kind="depot", res=8, adcode="130100", hazards="earthquake",
                          weights={"complement": 0}, exclude={"earthquake": 4}, speed_kmh={"county": 20})
    assert set(got["county"]) == {"130102", "130104", "139001"}  # by parent, not by prefix
    assert got.attrs["site"]["weights"]["complement"] == 0 and (got["excluded_by"] == "").all()
    detour = {"130102": 1.6, "130104": 1.6, "139001": 1.45}  # 130100 is mountain, 139001 hill
    for r in got.iloc[[0, -1]].itertuples():
        near = min(haversine(r.lat, r.lon, *W.position("reserves", f)) for f in ("R1", "R2", "R3", "R4", "R5"))
        assert r.complement_raw == pytest.approx(near * detour[r.county] / 20 + 0.5)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"hazards": ["flood"]}, r"hazards: found \['flood'\]; expected some of the store's hazards"),
    ({"hours": -2}, "hours: found -2"),
    ({"weights": {"chain": 1}}, "weights.chain: unknown component"),
    ({"at": (121.5, 31.2)}, r"at: the point \(121.5, 31.2\) is outside the region .*bbox \[114.0, 37.5, 118.5, 40.5\]"),
    ({"at": (118.13, 39.62), "adcode": "130100"}, r"outside the unit 130100"),
    ({"at": ("x", 1)}, r"at: found \('x', 1\); expected \(lon, lat\)"),
    ({"adcode": "999999"}, r"adcode: found '999999', not in the store's admin_units; expected .*110000 \(北京市\)"),
    ({"top": 0}, "top: found 0; expected an integer >= 1"),
    ({"top": 3, "at": (116.33, 39.87)}, "at and top: found both"),
    ({"res": 9}, r"res: found 9; expected one of the store's resolutions \[7, 8\]"),
    ({"kind": "silo"}, "kind: found 'silo'"),
])
def test_adapter_rejects_bad_parameters(world_std, kwargs, match):
    kwargs = {"kind": "depot", **kwargs}
    with pytest.raises(ValueError, match=match):
        site_from_store(world_std, **kwargs)
