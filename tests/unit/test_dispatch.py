"""Tests of layers.analysis.dispatch: events against brute-force oracles (haversine loops, shapely
point-in-polygon on cell centres), the demo PGA relation against hand-computed values, the
table against a per-facility loop, standard flags, bad parameters, and the store adapter on
the tiny world."""

from __future__ import annotations

import json
import math

import h3
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layers.analysis.dispatch import (
    Event,
    EventError,
    OutsideRegionError,
    dispatch_from_store,
    dispatch_lines,
    dispatch_summary,
    dispatch_table,
    event_point,
    event_polygon,
    event_quake,
    intensity_class,
    quake_pga,
)
from layers.analysis.travel import AccessParams
from layers.store import Store
from tests.unit import world as W
from tests.unit.world import STANDARDS

R = 6371.0088


def hav(lon1, lat1, lon2, lat2) -> float:
    """Great-circle km, written out with math (the oracle)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * R * math.asin(math.sqrt(a))


def box_cells(lon, lat, half_deg, res) -> list[int]:
    """Every cell centred in a lon/lat box around a point (a superset for the oracles)."""
    w, e, s, n = lon - half_deg / math.cos(math.radians(lat)), lon + half_deg / math.cos(math.radians(lat)), \
        lat - half_deg, lat + half_deg
    return [h3.str_to_int(c) for c in h3.h3shape_to_cells(h3.LatLngPoly([(s, w), (s, e), (n, e), (n, w)]), res)]


def disc_oracle(lon, lat, radius_km, res) -> set[int]:
    """Cells whose centre is within radius_km, by a loop over a generous box."""
    out = set()
    for c in box_cells(lon, lat, radius_km / 111.0 * 1.3 + 0.05, res):
        y, x = h3.cell_to_latlng(h3.int_to_str(c))
        if hav(lon, lat, x, y) <= radius_km:
            out.add(c)
    return out


# --- events -----------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lon=st.floats(100, 125), lat=st.floats(20, 48), radius=st.floats(1.0, 25.0), res=st.sampled_from([6, 7, 8]))
def test_point_cells_match_a_haversine_loop(lon, lat, radius, res):
    ev = event_point(lon, lat, radius, res=res)
    expect = disc_oracle(lon, lat, radius, res)
    if not expect:  # radius below the cell spacing: the point's own cell
        expect = {h3.str_to_int(h3.latlng_to_cell(lat, lon, res))}
    assert set(ev.cells.tolist()) == expect
    assert list(ev.cells) == sorted(ev.cells) and ev.cells.dtype == np.uint64
    y, x = zip(*(h3.cell_to_latlng(h3.int_to_str(int(c))) for c in ev.cells))
    assert ev.lat.tolist() == pytest.approx(list(y)) and ev.lng.tolist() == pytest.approx(list(x))
    assert ev.kind == "point" and ev.hazard == "flood" and ev.centre == (lon, lat) and ev.pga is None


def test_point_outline_and_tiny_radius():
    ev = event_point(116.4, 39.9, 10.0, res=7)
    ring = ev.geometry["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 73
    assert [hav(116.4, 39.9, x, y) for x, y in ring] == pytest.approx([10.0] * 73, abs=1e-3)
    tiny = event_point(116.4, 39.9, 0.01, res=7)
    assert tiny.cells.tolist() == [h3.str_to_int(h3.latlng_to_cell(39.9, 116.4, 7))]
    frame = ev.cells_frame()
    assert list(frame.columns) == ["cell", "km"] and (frame["km"] <= 10.0).all()
    assert frame["cell"].map(h3.is_valid_cell).all()


def test_quake_pga_hand_computed():
    # ln PGA = 0.881 + 0.58 * 6.5 - 1.5 ln(30 + 70) = 4.651 - 6.907755 = -2.256755 = ln 0.1 + 0.045830
    assert float(quake_pga(6.5, 30.0)) == pytest.approx(0.104690, rel=1e-5)
    # the demo script's own statements: M7.8 gives 0.38 g at the epicentre, 0.10 g at 100 km
    assert float(quake_pga(7.8, 0.0)) == pytest.approx(0.38, abs=0.005)
    assert float(quake_pga(7.8, 100.0)) == pytest.approx(0.10, abs=0.002)
    # PGA (m/s2 = g * 9.80665) bins of GB/T 17742-2008: VI 0.45, VII 0.90, VIII 1.78, IX 3.54, X 7.08
    assert intensity_class([0.04, 0.05, 0.1, 0.2, 0.4, 0.8]).tolist() == [5, 6, 7, 8, 9, 10]


def test_quake_cells_and_pga_match_a_loop():
    lon, lat, mag = 118.18, 39.63, 6.5
    ev = event_quake(lon, lat, mag, res=6)
    r_max = math.exp((0.881 + 0.58 * mag - math.log(0.1)) / 1.5) - 70  # 33.10 km
    assert ev.params["r_max_km"] == pytest.approx(r_max) and r_max == pytest.approx(33.10, abs=0.01)
    assert set(ev.cells.tolist()) == disc_oracle(lon, lat, r_max, 6)
    for c, g, cls in zip(ev.cells.tolist(), ev.pga, ev.intensity):
        y, x = h3.cell_to_latlng(h3.int_to_str(c))
        d = hav(lon, lat, x, y)
        assert g == pytest.approx(math.exp(0.881 + 0.58 * mag - 1.5 * math.log(d + 70)), rel=1e-9)
        assert g >= 0.1 and cls == 7  # 0.10 .. 0.18 g: VII
    assert ev.hazard == "earthquake" and ev.kind == "quake"
    assert list(ev.cells_frame().columns) == ["cell", "km", "pga", "intensity"]


def test_quake_small_area_keeps_the_epicentre_cell():
    top = float(quake_pga(3.0, 0.0))  # 0.0234 g
    ev = event_quake(116.0, 39.0, 3.0, min_pga=0.999 * top, res=5)  # r_max = 47 m: no cell centre
    assert ev.params["r_max_km"] == pytest.approx(70 * (0.999 ** (-1 / 1.5) - 1))
    assert ev.cells.tolist() == [h3.str_to_int(h3.latlng_to_cell(39.0, 116.0, 5))]
    assert ev.pga.tolist() == pytest.approx([top])


CONCAVE = {"type": "Polygon", "coordinates": [
    [[116.0, 39.0], [116.4, 39.0], [116.4, 39.3], [116.3, 39.3], [116.3, 39.1], [116.1, 39.1],
     [116.1, 39.3], [116.0, 39.3], [116.0, 39.0]],
    [[116.02, 39.02], [116.08, 39.02], [116.08, 39.06], [116.02, 39.06], [116.02, 39.02]]]}


def polygon_oracle(shape, res) -> set[int]:
    x0, y0, x1, y1 = shape.bounds
    cand = box_cells((x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0) + 0.05, res)
    ll = np.array([h3.cell_to_latlng(h3.int_to_str(c)) for c in cand])
    return {c for c, ok in zip(cand, shapely.contains_xy(shape, ll[:, 1], ll[:, 0])) if ok}


@pytest.mark.parametrize("res", [7, 8])
def test_polygon_cells_match_point_in_polygon(res):
    ev = event_polygon(CONCAVE, res=res, hazard="earthquake")
    shape = shapely.geometry.shape(CONCAVE)
    assert set(ev.cells.tolist()) == polygon_oracle(shape, res)
    assert shape.contains(shapely.Point(ev.centre))  # the U's centroid is outside: a surface point
    assert ev.hazard == "earthquake" and ev.kind == "polygon"
    reverse = {"type": "Polygon", "coordinates": [ring[::-1] for ring in CONCAVE["coordinates"]]}
    assert event_polygon(reverse, res=res).cells.tolist() == ev.cells.tolist()


def test_polygon_feature_collection_and_tiny_polygon():
    other = [[[117.0, 39.0], [117.1, 39.0], [117.1, 39.1], [117.0, 39.0]]]
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": CONCAVE},
        {"type": "Feature", "properties": {}, "geometry": {"type": "MultiPolygon", "coordinates": [other]}}]}
    ev = event_polygon(fc, res=7)
    union = shapely.union_all([shapely.geometry.shape(CONCAVE), shapely.Polygon(other[0])])
    assert set(ev.cells.tolist()) == polygon_oracle(union, 7)
    tiny = event_polygon(shapely.box(116.0, 39.0, 116.001, 39.001), res=6)  # __geo_interface__
    assert tiny.cells.tolist() == [h3.str_to_int(h3.latlng_to_cell(39.0005, 116.0005, 6))]


@pytest.mark.parametrize(("call", "match"), [
    (lambda: event_point(116, 39, -5), r"radius_km: found -5; expected a number in \(0, 500\]"),
    (lambda: event_point(116, 39, 0), r"radius_km: found 0"),
    (lambda: event_point(116, 39, float("nan")), r"radius_km: found nan"),
    (lambda: event_point(39, 116, 5), r"point.lat: found 116.*swapped"),
    (lambda: event_point(116, 39, 5, res=16), r"res: found 16; expected an H3 resolution"),
    (lambda: event_point(116, 39, 5, hazard=""), r"hazard: found ''"),
    (lambda: event_quake(116, 39, 2.9), r"magnitude: found 2.9; expected a number in \[3, 9\]"),
    (lambda: event_quake(116, 39, 9.5), r"magnitude: found 9.5"),
    (lambda: event_quake(116, 39, 5.0, min_pga=0), r"min_pga: found 0"),
    (lambda: event_quake(116, 39, 3.5, min_pga=0.1), r"above the epicentral PGA 0.031 g"),
    (lambda: event_point(116, 39, 400, res=10), r"covers about .* cells at res 10; expected at most"),
    (lambda: event_polygon({"type": "Polygon", "coordinates": [[[116, 39], [116.1, 39], [116, 39]]]}),
     r"polygon.coordinates\[0\]: found 3 positions; expected a closed ring of at least 4"),
    (lambda: event_polygon({"type": "Polygon", "coordinates": [[[116, 39], [116.1, 39], [116.1, 39.1], [116, 39.1]]]}),
     r"first position \[116.0, 39.0\] differs from the last"),
    (lambda: event_polygon({"type": "Polygon", "coordinates": [[[116, 39], [216, 39], [116, 40], [116, 39]]]}),
     r"polygon.coordinates\[0\]\[1\].lon: found 216"),
    (lambda: event_polygon({"type": "Point", "coordinates": [116, 39]}), r"polygon.type: found 'Point'"),
    (lambda: event_polygon({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [
        [[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}}), r"geometry: found an invalid polygon \(Self-intersection"),
    (lambda: event_polygon({"type": "FeatureCollection", "features": []}), r"polygon.features: found none"),
    (lambda: event_polygon("116,39"), r"polygon: found str; expected a GeoJSON Polygon"),
    (lambda: event_polygon({"type": "MultiPolygon", "coordinates": []}), r"polygon.coordinates: found \[\]"),
    (lambda: event_polygon({"type": "Polygon", "coordinates": [[[116, 39], [116.1, 39], ["x", 39.1], [116, 39]]]}),
     r"polygon.coordinates\[0\]\[2\].lon: found 'x'"),
])
def test_events_reject_bad_parameters(call, match):
    with pytest.raises(EventError, match=match):
        call()


# --- the table --------------------------------------------------------------------------------

PARAMS = AccessParams(detour={"plain": 1.3, "mountain": 1.6},
                      speed_kmh={"county": 50, "municipal": 60, "national": 70, "rescue": 40, "enterprise": 45},
                      dispatch_delay_h=0.5)
HOURS = {"county": 6, "municipal": 8, "national": 10}
CHAINS = {"flood": ["rescue", "waterlogging"], "earthquake": ["rescue", "medical"]}


def random_facilities(seed: int, lon: float, lat: float, n: int = 60):
    rng = np.random.default_rng(seed)
    tiers = ["county", "municipal", "national", "rescue"]
    reserves = pd.DataFrame({
        "id": [f"R{i:03d}" for i in range(n)], "name": [f"储备{i}" for i in range(n)],
        "tier": rng.choice(tiers, n), "lon": lon + rng.uniform(-3, 3, n), "lat": lat + rng.uniform(-2, 2, n),
        "capacity": rng.integers(1, 1000, n).astype(float), "capacity_unit": "件"})
    pool = ["rescue", "medical", "waterlogging", "comms"]
    enterprises = pd.DataFrame({
        "id": [f"E{i:03d}" for i in range(n)], "name": [f"企业{i}" for i in range(n)],
        "lon": lon + rng.uniform(-3, 3, n), "lat": lat + rng.uniform(-2, 2, n),
        "chains": [list(rng.choice(pool, rng.integers(0, 3), replace=False)) for _ in range(n)],
        "output_yi": rng.uniform(0, 10, n)})
    reserves.loc[0, ["lon", "lat"]] = [lon + 0.01, lat]  # one inside the area
    return reserves, enterprises


def oracle_rows(event, reserves, enterprises, terrain="plain"):
    """Per-facility loop: hours to the centre and to the nearest affected cell centre."""
    detour, rows = PARAMS.detour[terrain], []
    cells = [(h3.cell_to_latlng(h3.int_to_str(int(c))), int(c)) for c in event.cells]
    wanted = CHAINS[event.hazard]
    for kind, df in (("reserve", reserves), ("enterprise", enterprises)):
        for r in df.to_dict(orient="records"):
            held = [c for c in wanted if c in r.get("chains", [])]
            if kind == "enterprise" and not held:
                continue
            speed = PARAMS.speed_kmh[r["tier"] if kind == "reserve" else "enterprise"]
            d = hav(r["lon"], r["lat"], *event.centre)
            own = h3.str_to_int(h3.latlng_to_cell(r["lat"], r["lon"], event.res))
            edge = 0.0 if own in {c for _, c in cells} else min(hav(r["lon"], r["lat"], x, y) for (y, x), _ in cells)
            std = HOURS.get(r["tier"]) if kind == "reserve" else None
            h = d * detour / speed + 0.5
            rows.append({"kind": kind, "id": r["id"], "gc_km": d, "hours": h, "hours_edge": edge * detour / speed + 0.5,
                         "meets": None if std is None else h <= std, "chains": held or None})
    return rows


@pytest.mark.parametrize(("seed", "terrain"), [(1, None), (2, "mountain"), (3, "plain")])
def test_table_matches_a_per_facility_loop(seed, terrain):
    event = event_point(116.5, 39.0, 15.0, res=7)
    reserves, enterprises = random_facilities(seed, 116.5, 39.0)
    table = dispatch_table(event, reserves, enterprises, PARAMS, HOURS, CHAINS, terrain=terrain,
                           limit_enterprises=None)
    expect = oracle_rows(event, reserves, enterprises, terrain or "plain")
    assert len(table) == len(expect)
    for kind in ("reserve", "enterprise"):
        mine = table[table["kind"] == kind]
        want = sorted((e for e in expect if e["kind"] == kind), key=lambda e: (e["hours"], e["id"]))
        assert mine["id"].tolist() == [e["id"] for e in want]
        assert mine["rank"].tolist() == list(range(1, len(want) + 1))
        assert mine["gc_km"].tolist() == pytest.approx([e["gc_km"] for e in want], rel=1e-9)
        assert mine["hours"].tolist() == pytest.approx([e["hours"] for e in want], rel=1e-9)
        assert mine["hours_edge"].tolist() == pytest.approx([e["hours_edge"] for e in want], rel=1e-6)
        assert [None if pd.isna(m) else bool(m) for m in mine["meets_standard"]] == [e["meets"] for e in want]
        assert mine["chains"].tolist() == [e["chains"] for e in want]
    assert table["kind"].tolist() == sorted(table["kind"].tolist(), key=["reserve", "enterprise"].index)
    assert (table["hours_edge"] <= table["hours"] + 1e-12).all()
    assert table.loc[table["id"] == "R000", "inside"].item()
    ent = table[table["kind"] == "enterprise"]
    assert (ent["capacity_unit"] == "亿元").all() and ent["standard_h"].isna().all()


def test_standard_flags_limits_and_tiers():
    event = event_point(116.0, 39.0, 1.0, res=8)
    def at_hours(h, speed):  # latitude of a reserve due north whose hours to the centre are h
        return 39.0 + math.degrees((h - 0.5) * speed / 1.3 / R)

    reserves = pd.DataFrame({
        "id": ["A", "B", "C", "D"], "name": ["a", "b", "c", "d"], "tier": ["county", "county", "municipal", "rescue"],
        "lat": [at_hours(5.9, 50), at_hours(6.1, 50), at_hours(8.5, 60), 39.01], "lon": [116.0] * 4})
    empty = pd.DataFrame({"id": [], "name": [], "lon": [], "lat": [], "chains": []})
    table = dispatch_table(event, reserves, empty, PARAMS, HOURS, CHAINS)
    flags = {i: None if pd.isna(m) else bool(m) for i, m in zip(table["id"], table["meets_standard"])}
    assert flags == {"A": True, "B": False, "C": False, "D": None}
    assert table["id"].tolist() == ["D", "A", "B", "C"] and table["hours"].iloc[1] == pytest.approx(5.9, rel=1e-12)
    assert np.isnan(table["capacity"]).all() and table["capacity_unit"].isna().all()
    summary = dispatch_summary(event, table, HOURS)
    assert summary["standards_met"] == {"county": True, "municipal": False, "national": False}  # no national
    assert not summary["all_standards_met"] and summary["fastest_by_tier"]["county"]["id"] == "A"
    assert summary["fastest_by_tier"]["rescue"]["meets_standard"] is None
    assert set(summary["fastest_by_tier"]) == {"county", "municipal", "rescue"}
    assert summary["area_km2"] == pytest.approx(sum(h3.cell_area(h3.int_to_str(int(c))) for c in event.cells), abs=5e-4)
    json.dumps(summary, allow_nan=False)
    only = dispatch_table(event, reserves, empty, PARAMS, HOURS, CHAINS, tiers=["county"], limit_reserves=1)
    assert only["id"].tolist() == ["A"]


def test_relevant_enterprises_and_lines():
    event = event_quake(116.5, 39.0, 6.0, res=6)
    reserves, enterprises = random_facilities(5, 116.5, 39.0)
    table = dispatch_table(event, reserves, enterprises, PARAMS, HOURS, CHAINS, limit_enterprises=7)
    ent = table[table["kind"] == "enterprise"]
    assert len(ent) == 7 and all(set(c) <= {"rescue", "medical"} and c for c in ent["chains"])
    lines = dispatch_lines(table, event)
    assert len(lines["features"]) == len(table)
    f = lines["features"][0]
    assert f["geometry"]["coordinates"] == [[table["lon"][0], table["lat"][0]], [116.5, 39.0]]
    assert set(f["properties"]) >= {"id", "name", "kind", "tier", "hours"}
    json.dumps(lines, allow_nan=False)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"chains": {"earthquake": ["rescue"]}},
     r"hazard: found 'flood'; expected one with relevant chains \['earthquake'\]"),
    ({"chains": ["rescue", "boats"]}, r"chains: unknown codes \['boats'\]"),
    ({"hours_by_tier": {"village": 2}}, r"hours_by_tier.village: unknown tier"),
    ({"hours_by_tier": {"county": -1}}, r"hours_by_tier.county: found -1"),
    ({"terrain": "swamp"}, r"terrain: found 'swamp'; expected a key of detour"),
    ({"tiers": ["county", "town"]}, r"tiers: found \['town'\]"),
    ({"limit_enterprises": -1}, r"limit_enterprises: found -1"),
    ({"params": AccessParams(detour={"plain": 1.3}, speed_kmh={"county": 50})}, r"speed_kmh.municipal: missing"),
])
def test_table_rejects_bad_parameters(kwargs, match):
    event = event_point(116.5, 39.0, 5.0, res=7)
    reserves, enterprises = random_facilities(1, 116.5, 39.0, n=5)
    args = {"params": PARAMS, "hours_by_tier": HOURS, "chains": CHAINS, **kwargs}
    with pytest.raises(ValueError, match=match):
        dispatch_table(event, reserves, enterprises, args.pop("params"), args.pop("hours_by_tier"),
                       args.pop("chains"), **args)


# --- the store adapter ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world_std(world_with) -> Store:
    """The tiny world with standards (hours, speeds, detours, terrain) and chains by hazard."""
    return world_with({"standards": {**STANDARDS, "detour": {"plain": 1.3, "mountain": 1.6},
                                     "terrain_by_unit": {"130100": "mountain"}},
                       "chains_by_hazard": {"earthquake": ["rescue", "comms"], "flood": ["medical"]}})


def test_adapter_point_on_the_tiny_world(world_std):
    lon, lat = 116.36, 39.875  # on the border of 东城区 and 西城区
    table, summary, ev = dispatch_from_store(world_std, at=(lon, lat), radius_km=4.0, hazard="earthquake")
    region = {c for county in ("110101", "110102") for c in W.county_cells(county, 8)}
    expect = disc_oracle(lon, lat, 4.0, 8)
    assert set(ev.cells.tolist()) == expect & region and summary["cells_outside_region"] == len(expect - region) > 0
    assert {u["adcode"] for u in summary["counties"]} == {"110101", "110102"}
    assert summary["cities"] == [{"adcode": "110100", "name": "北京市", "cells": len(ev.cells)}]
    assert summary["population"] is None and summary["terrain"] == "plain"
    assert summary["fastest_by_tier"]["county"]["id"] == "R1" and summary["all_standards_met"] is True
    assert summary["standards_met"] == {"county": True, "municipal": True, "national": True}
    r4 = table[table["id"] == "R4"].iloc[0]
    d = hav(r4["lon"], r4["lat"], lon, lat)
    assert r4["hours"] == pytest.approx(d * 1.3 / 60 + 0.5) and bool(r4["meets_standard"]) == (r4["hours"] <= 8)
    assert set(table.loc[table["kind"] == "enterprise", "id"]) == {"E1", "E2", "E5"}  # rescue or comms
    same = dispatch_table(ev, world_std.table("reserves"), world_std.table("enterprises"),
                          AccessParams.from_standards(world_std.meta["standards"]), {"county": 6, "municipal": 8,
                                                                                     "national": 10},
                          ["rescue", "comms"])
    pd.testing.assert_frame_equal(table.drop(columns=["can_send", "can_send_en"]), same)  # + what each can send


def test_adapter_quake_uses_the_centre_terrain_and_limits(world_std):
    table, summary, ev = dispatch_from_store(world_std, quake=(114.45, 38.05, 5.0), min_pga=0.05,
                                             limit_enterprises=1, limit_reserves=2)
    assert summary["terrain"] == "mountain" and ev.hazard == "earthquake"  # 石家庄 is mountain here
    r3 = table[table["id"] == "R3"].iloc[0]
    assert r3["hours"] == pytest.approx(hav(r3["lon"], r3["lat"], 114.45, 38.05) * 1.6 / 50 + 0.5)
    assert (table["kind"] == "reserve").sum() == 2 and (table["kind"] == "enterprise").sum() == 1
    assert summary["max_pga"] <= float(quake_pga(5.0, 0.0)) and summary["enterprises"]["count"] == 3
    assert {u["adcode"] for u in summary["counties"]} == {"130102", "130104", "139001"}
    polygon = {"type": "Polygon", "coordinates": [[[114.41, 38.01], [114.45, 38.01], [114.45, 38.04],
                                                   [114.41, 38.04], [114.41, 38.01]]]}
    _, s2, ev2 = dispatch_from_store(world_std, polygon=polygon, hazard="flood", res=7)
    assert ev2.res == 7 and s2["counties"][0]["adcode"] == "130102" and s2["enterprises"]["chains"] == ["medical"]
    _, s3, _ = dispatch_from_store(world_std, event=ev2, tiers=["county"], hours_by_tier={"county": 0.1})
    assert s3["standards_met"] == {"county": False} and set(s3["fastest_by_tier"]) == {"county"}


@pytest.mark.parametrize(("kwargs", "exc", "match"), [
    ({"at": (120.0, 30.0), "radius_km": 5}, OutsideRegionError, r"none in the region .*expected an event inside"),
    ({"at": (116.36, 39.875), "radius_km": 5, "hazard": "wildfire"}, EventError,
     r"hazard: found 'wildfire'; expected one with relevant chains \['earthquake', 'flood'\]"),
    ({"at": (116.36, 39.875)}, EventError, r"radius_km: missing"),
    ({"at": (116.36, 39.875), "radius_km": 5, "quake": (116.36, 39.875, 6)}, EventError,
     r"event: found \['at', 'quake'\]; expected exactly one"),
    ({}, EventError, r"event: found none"),
    ({"quake": (116.36, 39.875, 6), "hazard": "flood"}, EventError, r"hazard: found 'flood'; expected none with quake"),
    ({"quake": (116.36, 39.875)}, EventError, r"quake: found \(116.36, 39.875\); expected \(lon, lat, magnitude\)"),
    ({"at": (116.36, 39.875), "radius_km": -1}, EventError, r"radius_km: found -1"),
    ({"at": (116.36, 39.875), "radius_km": 5, "res": 9}, EventError, r"res: found 9; expected one of .*\[7, 8\]"),
    ({"at": (116.36, 39.875), "radius_km": 5, "speed_kmh": {"county": 0}}, ValueError, r"speed_kmh.county: found 0"),
    ({"at": (116.36, 39.875), "radius_km": 5, "hours_by_tier": {"county": "six"}}, ValueError,
     r"hours_by_tier.county: found 'six'"),
])
def test_adapter_rejects_bad_parameters(world_std, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        dispatch_from_store(world_std, **kwargs)


def test_event_is_a_plain_value():
    ev = event_point(116.0, 39.0, 3.0, res=7)
    assert isinstance(ev, Event) and ev.subset(np.zeros(len(ev.cells), bool)).cells.size == 0
