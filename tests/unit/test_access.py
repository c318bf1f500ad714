"""Tests of layers.analysis.travel: nearest facilities against a brute-force haversine, road km and hours,
parameters, and the store adapter on the tiny world (and once on the demo store)."""

from __future__ import annotations

import json
import math
import shutil

import duckdb
import h3
import numpy as np
import pandas as pd
import pytest

from layers.analysis import travel as access
from layers.analysis.access import access_from_store
from layers.analysis.travel import AccessParams, access_table, nearest_facilities
from layers.frames import h3_strings, region_cells
from layers.store import Store
from tests.unit import world as W

R = access.EARTH_RADIUS_KM
STANDARDS = {"hours_by_tier": {"county": 6}, "detour": {"plain": 1.3, "hill": 1.45, "mountain": 1.6},
             "speed_kmh": {"national": 70, "municipal": 60, "county": 50, "enterprise": 40},
             "dispatch_delay_h": 0.5}


def brute_force(cell_lat, cell_lng, fac_lat, fac_lng):
    """All-pairs haversine (numpy broadcasting), sorted per cell: (order, km)."""
    p1, l1 = np.radians(np.asarray(cell_lat))[:, None], np.radians(np.asarray(cell_lng))[:, None]
    p2, l2 = np.radians(np.asarray(fac_lat))[None, :], np.radians(np.asarray(fac_lng))[None, :]
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    km = 2 * R * np.arctan2(np.sqrt(a), np.sqrt(np.clip(1 - a, 0, None)))
    order = np.argsort(km, axis=1, kind="stable")
    return order, np.take_along_axis(km, order, axis=1)


def random_points(rng, n):
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))  # uniform on the sphere
    return lat, rng.uniform(-180, 180, n)


# --- the core -----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("k", [1, 3])
def test_nearest_matches_brute_force_haversine(seed, k):
    rng = np.random.default_rng(seed)
    f_lat, f_lng = random_points(rng, 25)
    c_lat, c_lng = random_points(rng, 400)
    # same points as facilities, and points (near-)antipodal to facilities
    c_lat = np.r_[c_lat, f_lat[:5], -f_lat[5:10], -f_lat[10:12] + 1e-7]
    c_lng = np.r_[c_lng, f_lng[:5], f_lng[5:10] - np.sign(f_lng[5:10]) * 180, f_lng[10:12] + 180]
    c_lng = (c_lng + 180) % 360 - 180
    index, km = nearest_facilities(c_lat, c_lng, f_lat, f_lng, k=k)
    order, expect = brute_force(c_lat, c_lng, f_lat, f_lng)
    np.testing.assert_allclose(km, expect[:, :k], rtol=1e-9, atol=1e-3)
    # the chosen facilities really are at those distances (ties may pick either)
    got = np.array([[brute_force(c_lat[[i]], c_lng[[i]], f_lat[[j]], f_lng[[j]])[1][0, 0]
                     for j in row] for i, row in enumerate(index)])
    np.testing.assert_allclose(got, expect[:, :k], rtol=1e-9, atol=1e-3)
    assert (km[400:405, 0] == 0).all()  # same point
    assert (np.diff(km, axis=1) >= 0).all()


def test_antipode_is_half_the_circumference():
    _, km = nearest_facilities([10.0], [20.0], [-10.0], [-160.0])
    assert km[0, 0] == pytest.approx(math.pi * R, abs=1e-3)


def test_k_larger_than_the_facilities_pads_with_minus_one_and_inf():
    index, km = nearest_facilities([0, 0], [0, 2], [0, 0], [1, 3], k=4)
    assert index[0].tolist() == [0, 1, -1, -1] and set(index[1, :2]) == {0, 1}  # (0, 2): a tie
    assert index[1, 2:].tolist() == [-1, -1]
    assert np.isinf(km[:, 2:]).all() and np.isfinite(km[:, :2]).all()
    assert km[0, 0] == pytest.approx(R * math.pi / 180, rel=1e-12)


def test_no_facilities_or_no_cells():
    index, km = nearest_facilities([1.0, 2.0], [3.0, 4.0], [], [], k=2)
    assert index.tolist() == [[-1, -1], [-1, -1]] and np.isinf(km).all()
    index, km = nearest_facilities([], [], [1.0], [2.0], k=2)
    assert index.shape == km.shape == (0, 2)


@pytest.mark.parametrize(("args", "k", "match"), [
    (([0.0], [0.0], [0.0], [0.0]), 0, "k must be an integer >= 1"),
    (([0.0], [0.0], [0.0], [0.0]), 1.5, "k must be"),
    (([0.0, 1.0], [0.0], [0.0], [0.0]), 1, "cells: lat has 2 values but lng has 1"),
    (([0.0], [0.0], [np.nan], [0.0]), 1, "facilities: found NaN"),
    (([91.0], [0.0], [0.0], [0.0]), 1, r"\|lat\| > 90"),
])
def test_nearest_rejects_bad_input(args, k, match):
    with pytest.raises(ValueError, match=match):
        nearest_facilities(*args, k=k)


# --- parameters ---------------------------------------------------------------------------------


def test_params_from_standards_merge_overrides():
    p = AccessParams.from_standards(STANDARDS, speed_kmh={"county": 40}, dispatch_delay_h=0)
    assert p.speed_kmh["county"] == 40.0 and p.speed_kmh["national"] == 70.0
    assert p.detour["mountain"] == 1.6 and p.dispatch_delay_h == 0.0
    assert p.speed_for("rescue" if "rescue" in p.speed_kmh else "medical") == 40.0  # chain: enterprise
    with pytest.raises(ValueError, match=r"speed_kmh.provincial: missing"):
        p.speed_for("provincial")


@pytest.mark.parametrize(("overrides", "match"), [
    ({"speed_kmh": {"county": 0}}, r"speed_kmh.county: found 0; expected speeds > 0"),
    ({"speed_kmh": {"county": float("nan")}}, r"speed_kmh.county: found nan"),
    ({"detour": {"hill": 0.9}}, r"detour.hill: found 0.9; expected factors >= 1"),
    ({"dispatch_delay_h": -1}, r"dispatch_delay_h: found -1; expected hours >= 0"),
    ({"dispatch_delay_h": True}, r"dispatch_delay_h: found True"),
    ({"speed": {"county": 1}}, r"unknown access parameter\(s\) \['speed'\]"),
    ({"detour": [1.3]}, r"detour: found \[1.3\]; expected a mapping"),
])
def test_params_validation_names_key_found_expected(overrides, match):
    with pytest.raises(ValueError, match=match):
        AccessParams.from_standards(STANDARDS, **overrides)


def test_params_need_a_plain_detour():
    with pytest.raises(ValueError, match=r"detour.plain: missing"):
        AccessParams(detour={"mountain": 1.6}, speed_kmh={"county": 50})


# --- access_table -------------------------------------------------------------------------------


def test_h3_strings_match_h3():
    cells = [h3.str_to_int(c) for c in h3.grid_disk(h3.latlng_to_cell(39.9, 116.4, 9), 3)]
    cells += [h3.str_to_int(h3.latlng_to_cell(-33.9, 151.2, r)) for r in (0, 5, 15)]
    assert h3_strings(np.array(cells, np.uint64)).tolist() == [h3.int_to_str(c) for c in cells]
    with pytest.raises(ValueError, match="not H3 cells"):
        h3_strings(np.array([0], np.uint64))


def test_access_table_hand_computed_example():
    cell = h3.str_to_int(h3.latlng_to_cell(0.0, 0.0, 8))
    cells = pd.DataFrame({"cell": np.array([cell, cell], np.uint64), "lat": [0.0, 0.0],
                          "lng": [0.0, 0.0], "terrain": ["mountain", None]})
    fac = pd.DataFrame({"id": ["A", "B", "C"], "lat": [0.0, 0.0, 0.0], "lng": [1.0, 2.0, 0.5],
                        "group": ["county", "county", "national"]})
    params = AccessParams.from_standards(STANDARDS)
    out = access_table(cells, fac, params, k=2)
    assert list(out.columns) == list(access.COLUMNS)
    assert len(out) == 2 * 2 * 2  # groups x cells x rank
    one_deg = R * math.pi / 180  # 111.19508 km
    row = out.iloc[0]
    assert (row["cell"], row["tier"], row["rank"], row["facility_id"]) == (
        h3.int_to_str(cell), "county", 1, "A")
    assert row["gc_km"] == pytest.approx(one_deg)
    assert row["road_km"] == pytest.approx(1.6 * one_deg)  # mountain
    assert row["hours"] == pytest.approx(1.6 * one_deg / 50 + 0.5)
    assert out.iloc[1]["facility_id"] == "B" and out.iloc[1]["gc_km"] == pytest.approx(2 * one_deg)
    plain = out.iloc[2]  # second cell: terrain NA -> plain
    assert plain["road_km"] == pytest.approx(1.3 * one_deg)
    nat = out[out["tier"] == "national"]
    assert nat["facility_id"].tolist()[0] == "C" and pd.isna(nat["facility_id"].tolist()[1])
    assert nat["hours"].iloc[0] == pytest.approx(1.6 * one_deg / 2 / 70 + 0.5)
    assert np.isinf(nat[["gc_km", "road_km", "hours"]].iloc[1]).all()


def test_access_table_groups_order_and_empty_group():
    cells = pd.DataFrame({"cell": [h3.latlng_to_cell(0.0, 0.0, 8)], "lat": [0.0], "lng": [0.0]})
    fac = pd.DataFrame({"id": ["E1", "E1"], "lat": [0.0, 0.0], "lng": [1.0, 1.0],
                        "group": ["rescue", "medical"]})  # one enterprise in two chains
    out = access_table(cells, fac, AccessParams.from_standards(STANDARDS),
                       groups=["medical", "rescue", "comms"])
    assert out["tier"].tolist() == ["medical", "rescue", "comms"]
    assert out["facility_id"].tolist()[:2] == ["E1", "E1"] and pd.isna(out["facility_id"].iloc[2])
    assert out["hours"].iloc[0] == pytest.approx(1.3 * R * math.pi / 180 / 40 + 0.5)  # enterprise speed


def test_access_table_rejects_unknown_terrain_and_missing_columns():
    params = AccessParams.from_standards(STANDARDS)
    fac = pd.DataFrame({"id": ["A"], "lat": [0.0], "lng": [0.0], "group": ["county"]})
    cells = pd.DataFrame({"cell": [h3.latlng_to_cell(0.0, 0.0, 8)], "lat": [0.0], "lng": [0.0],
                          "terrain": ["swamp"]})
    with pytest.raises(ValueError, match=r"cells.terrain: found classes \['swamp'\]"):
        access_table(cells, fac, params)
    with pytest.raises(ValueError, match=r"facilities: missing columns \['group'\]"):
        access_table(cells, fac.drop(columns="group"), params)


# --- the store adapter ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world_std(world, tmp_path_factory) -> Store:
    """The tiny world with standards (terrain: 130100's cities mountain, 139001 hill) and chains."""
    path = tmp_path_factory.mktemp("access") / "world.duckdb"
    shutil.copy(world.path, path)
    con = duckdb.connect(str(path))
    meta = {"standards": {**STANDARDS, "terrain_by_unit": {"130100": "mountain", "139001": "hill"}},
            "chains_by_hazard": {"earthquake": ["rescue", "comms", "firefighting"]}}
    con.executemany("INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()])
    con.close()
    store = Store(path)
    yield store
    store.close()


def test_adapter_tiers_on_the_tiny_world(world_std):
    out = access_from_store(world_std, 8)
    assert list(out.columns) == list(access.COLUMNS)
    cells = world_std.query("SELECT cell FROM admin_cells WHERE res = 8 ORDER BY cell")["cell"]
    expect = [h3.int_to_str(int(c)) for c in cells]
    assert list(out["tier"].cat.categories) == ["national", "municipal", "county"]  # schema order
    for tier in ("national", "municipal", "county"):
        assert out.loc[out["tier"] == tier, "cell"].tolist() == expect
    # a county cell's nearest county reserve is its own; terrain county > city > plain
    one = {c: out[(out["cell"] == h3.int_to_str(W.county_cells(c, 8)[0])) & (out["tier"] == "county")]
           .iloc[0] for c in ("110101", "130102", "139001")}
    assert one["110101"]["facility_id"] == "R1" and one["130102"]["facility_id"] == "R3"
    assert one["139001"]["facility_id"] == "R5"
    ratio = {c: r["road_km"] / r["gc_km"] for c, r in one.items()}
    assert ratio == pytest.approx({"110101": 1.3, "130102": 1.6, "139001": 1.45})
    cell = W.county_cells("110101", 8)[0]
    lat, lng = h3.cell_to_latlng(h3.int_to_str(cell))
    _, km = brute_force([lat], [lng], [W.position("reserves", "R1")[0]], [W.position("reserves", "R1")[1]])
    assert one["110101"]["gc_km"] == pytest.approx(km[0, 0], rel=1e-9)


def test_adapter_chains_count_an_enterprise_in_each_chain(world_std):
    out = access_from_store(world_std, 8, groups="chains", hazard="earthquake", k=2)
    assert list(out["tier"].cat.categories) == ["rescue", "comms", "firefighting"]
    first = out[out["rank"] == 1]
    e1_cell = h3.int_to_str(W.county_cells("110101", 8)[0])
    row = first[first["cell"] == e1_cell]
    got = dict(zip(row["tier"].astype(str), row["facility_id"].astype(object)))
    assert got["rescue"] == "E1" and got["comms"] == "E1" and pd.isna(got["firefighting"])
    assert np.isinf(out.loc[out["tier"] == "firefighting", "hours"]).all()
    assert set(out.loc[out["tier"] == "rescue", "facility_id"].dropna()) == {"E1", "E5"}


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"res": 9}, r"res: found 9; expected one of the store's resolutions \[7, 8\]"),
    ({"groups": "parks"}, r"groups: found 'parks'"),
    ({"groups": "chains", "hazard": "flood"}, r"hazard: found 'flood'; expected one of .*earthquake"),
    ({"groups": "tiers", "hazard": "earthquake"}, "hazard applies to groups=\"chains\" only"),
    ({"speed_kmh": {"county": -5}}, r"speed_kmh.county: found -5"),
])
def test_adapter_rejects_bad_arguments(world_std, kwargs, match):
    with pytest.raises(ValueError, match=match):
        access_from_store(world_std, **kwargs)


@pytest.mark.slow
def test_adapter_on_the_demo_store_at_res_9(demo_db):
    store = Store(demo_db)
    try:
        terrain = store.meta["standards"]["terrain_by_unit"]
        assert terrain["130700"] == "mountain" and terrain["120119"] == "hill"
        out = access_from_store(store, 9, groups="chains", hazard="wildfire")
        n = store.query("SELECT count(*) AS n FROM admin_cells WHERE res = 9")["n"].iloc[0]
        assert len(out) == n * len(store.meta["chains_by_hazard"]["wildfire"])
        assert np.isfinite(out["hours"]).all() and (out["road_km"] >= 1.3 * out["gc_km"] - 1e-9).all()
        cells = region_cells(store, 9)
        assert set(cells["terrain"].cat.categories) == {"plain", "hill", "mountain"}
    finally:
        store.close()
