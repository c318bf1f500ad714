"""Tests of layers.map.units: admin tree, outlines, labels and unit summaries.

``build_world`` makes a tiny store with admin units, admin cells, hazard cells and
facilities whose answers are known by construction; test_inspect and test_viewport use it too.
"""

from __future__ import annotations

import json

import h3
import pytest
import shapely

from etl import schema
from layers.map.inspect import NotFoundError
from layers.map.units import (
    DEFAULT_TOLERANCE_M,
    admin_geojson,
    admin_labels,
    admin_tree,
    summary_res,
    unit_summary,
)
from layers.store import Store
from tests.unit.world import (
    BOXES,
    LAYERS,
    SHARES,
    county_cells,
)


def dumps(data) -> str:
    """Strict JSON (no NaN), as Dash would send it."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False)


# --- admin_tree -----------------------------------------------------------------------------


def test_admin_tree_order_and_fields(world):
    tree = admin_tree(world)
    assert [u["adcode"] for u in tree] == [
        "110000", "130000", "110100", "130100", "130200",
        "110101", "110102", "130102", "130104", "130202", "139001"]
    first = tree[0]
    assert set(first) == {"adcode", "name", "level", "parent", "lon", "lat", "bbox", "area_km2"}
    assert (first["name"], first["level"], first["parent"]) == ("北京市", "province", None)
    county = next(u for u in tree if u["adcode"] == "130104")
    assert county["bbox"] == pytest.approx(list(BOXES["130104"]))
    assert county["parent"] == "130100" and county["lon"] == pytest.approx(114.49)
    dumps(tree)


# --- admin_geojson / admin_labels -----------------------------------------------------------


def test_admin_geojson_features(world):
    fc = admin_geojson(world, "county")
    assert fc["type"] == "FeatureCollection"
    assert [f["properties"]["adcode"] for f in fc["features"]] == sorted(BOXES)
    props = fc["features"][0]["properties"]
    assert props == {"adcode": "110101", "name": "东城区", "level": "county", "parent": "110100"}
    for f in fc["features"]:
        geom = shapely.geometry.shape(f["geometry"])
        assert f["geometry"]["type"] == "Polygon" and geom.is_valid
        assert geom.equals(shapely.box(*BOXES[f["properties"]["adcode"]]))  # a box stays a box
    # Hebei: two touching boxes merge into one outline with the third below; Shijiazhuang:
    # three boxes; coordinates are [lng, lat] rounded to 5 decimals.
    provinces = admin_geojson(world, "province")["features"]
    hebei = shapely.geometry.shape(provinces[1]["geometry"])
    assert provinces[1]["geometry"]["type"] == "MultiPolygon" and hebei.is_valid
    assert hebei.area == pytest.approx(4 * 0.06 * 0.05)
    ring = provinces[0]["geometry"]["coordinates"][0]
    assert all(isinstance(v, float) and round(v, 5) == v for pt in ring for v in pt)
    assert ring[0][0] > 100 and ring[0][1] < 50  # lng first
    dumps(fc)


def test_admin_geojson_is_cached_per_level_and_tolerance(world):
    a = admin_geojson(world, "city")
    assert admin_geojson(world, "city") is a
    assert admin_geojson(world, "city", tolerance_m=DEFAULT_TOLERANCE_M["city"]) is a
    assert admin_geojson(world, "city", tolerance_m=0) is not a
    assert admin_geojson(world, "county") is not a


def test_admin_geojson_simplifies(world):
    # A 5 km tolerance on 5-6 km boxes still leaves valid polygons.
    fc = admin_geojson(world, "county", tolerance_m=5000)
    assert all(shapely.geometry.shape(f["geometry"]).is_valid for f in fc["features"])


@pytest.mark.parametrize("kwargs, words", [
    ({"level": "town"}, "unknown level 'town'; expected one of ['province', 'city', 'county']"),
    ({"level": None}, "unknown level None"),
    ({"level": "city", "tolerance_m": -1}, "tolerance_m must be in [0, 20000] metres, got -1"),
    ({"level": "city", "tolerance_m": 1e9}, "tolerance_m must be in [0, 20000]"),
    ({"level": "city", "tolerance_m": float("nan")}, "tolerance_m must be finite"),
    ({"level": "city", "tolerance_m": "100"}, "tolerance_m must be a number"),
])
def test_admin_geojson_bad_arguments(world, kwargs, words):
    with pytest.raises(ValueError) as excinfo:
        admin_geojson(world, **kwargs)
    assert words in str(excinfo.value)


def test_admin_labels(world):
    fc = admin_labels(world, "city")
    assert [f["properties"] for f in fc["features"]] == [
        {"name": "北京市", "adcode": "110100", "level": "city"},
        {"name": "石家庄市", "adcode": "130100", "level": "city"},
        {"name": "唐山市", "adcode": "130200", "level": "city"}]
    assert fc["features"][0]["geometry"] == {"type": "Point", "coordinates": [116.36, 39.875]}
    with pytest.raises(ValueError, match="unknown level"):
        admin_labels(world, "street")
    dumps(fc)


# --- unit_summary ---------------------------------------------------------------------------


def expected_class_area(hazard: str, counties: list[str]) -> tuple[float, list[float]]:
    """Brute force: covered km2 and km2 per class, from each cell's h3 area and shares."""
    breaks = next(b for h, _, b, _ in LAYERS if h == hazard)
    covered, by_class = 0.0, [0.0] * (len(breaks) + 1)
    for county in counties:
        shares = SHARES[hazard].get(county)
        if shares is None:
            continue
        per_class = [1 - shares[0], *(shares[i] - shares[i + 1] for i in range(len(shares) - 1)),
                     shares[-1]]
        for c in county_cells(county, 8):
            area = h3.cell_area(h3.int_to_str(c), "km^2")
            covered += area
            by_class = [a + area * p for a, p in zip(by_class, per_class)]
    return covered, by_class


@pytest.mark.parametrize("adcode, counties", [
    ("110101", ["110101"]), ("110100", ["110101", "110102"]),
    ("130100", ["130102", "130104", "139001"]),
    ("130000", ["130102", "130104", "139001", "130202"]),
])
def test_hazard_class_area_known_answers(world, adcode, counties):
    summary = unit_summary(world, adcode)
    assert summary["hazard_res"] == summary_res(world) == 8
    assert summary["cells_km2"] == pytest.approx(sum(
        h3.cell_area(h3.int_to_str(c), "km^2") for k in counties for c in county_cells(k, 8)),
        abs=2e-3)
    assert [h["hazard"] for h in summary["hazard_class_area"]] == ["wildfire", "earthquake"]
    for item in summary["hazard_class_area"]:
        covered, by_class = expected_class_area(item["hazard"], counties)
        assert item["covered_km2"] == pytest.approx(covered, abs=2e-3)
        assert item["area_km2_by_class"] == pytest.approx(by_class, abs=2e-3)
        assert len(item["area_km2_by_class"]) == len(item["labels"]) == len(item["breaks"]) + 1
        if covered:
            assert item["share_by_class"] == pytest.approx([a / covered for a in by_class],
                                                           abs=1e-4)
            assert sum(item["share_by_class"]) == pytest.approx(1, abs=1e-3)
        else:
            assert item["share_by_class"] == [None] * len(item["labels"])


def test_a_county_with_equal_cells_has_the_shares_as_classes(world):
    # every cell of 110101 has shares >= (0.1, 0.2, 0.3) = (1, 0.5, 0.25): classes 0, .5, .25, .25
    quake = unit_summary(world, "110101")["hazard_class_area"][1]
    assert quake["share_by_class"] == [0.0, 0.5, 0.25, 0.25]
    assert (quake["units"], quake["labels"]) == ("g", ["<0.1", "0.1", "0.2", ">=0.3"])


def test_unit_summary_counts(world):
    s = unit_summary(world, "130100")  # 长安区, 桥西区 and 定州市 (by parent, not prefix)
    assert (s["adcode"], s["name"], s["level"], s["parent"]) == (
        "130100", "石家庄市", "city", "130000")
    assert s["totals"] == {"parks": 2, "enterprises": 3, "reserves": 2}
    chains = {c["chain"]: c for c in s["enterprises_by_chain"]}
    assert list(chains) == list(schema.CHAINS)
    assert chains["medical"] == {"chain": "medical", "count": 1, "above_size": 1, "leading": 0}
    assert chains["rescue"] == {"chain": "rescue", "count": 1, "above_size": 1, "leading": 0}
    assert chains["comms"]["count"] == 0
    assert s["parks_by_level"] == [{"level": lv, "count": int(lv == "cluster")}
                                   for lv in schema.PARK_LEVELS]  # P4 has no level
    assert s["reserves_by_tier"] == [{"tier": t, "count": 2 * (t == "county")}
                                     for t in schema.RESERVE_TIERS]
    assert s["has_county_depot"] is False
    assert s["counties_without_county_depot"] == {
        "count": 1, "of": 3, "units": [{"adcode": "130104", "name": "桥西区"}]}
    assert s["bbox"] == pytest.approx([114.40, 38.00, 114.52, 38.10])
    dumps(s)


def test_unit_summary_levels(world):
    beijing = unit_summary(world, "110000")  # a municipality: province -> city -> districts
    assert beijing["totals"] == {"parks": 2, "enterprises": 2, "reserves": 2}
    assert beijing["enterprises_by_chain"][list(schema.CHAINS).index("comms")] == {
        "chain": "comms", "count": 2, "above_size": 1, "leading": 1}
    assert beijing["counties_without_county_depot"]["units"] == [
        {"adcode": "110102", "name": "西城区"}]
    hebei = unit_summary(world, "130000")
    assert hebei["totals"] == {"parks": 2, "enterprises": 3, "reserves": 3}
    without = hebei["counties_without_county_depot"]["units"]
    assert [u["adcode"] for u in without] == ["130104", "130202"]
    assert hebei["counties_without_county_depot"]["of"] == 4
    county = unit_summary(world, "110101")
    assert county["has_county_depot"] is True and county["counties_without_county_depot"] == {
        "count": 0, "of": 1, "units": []}
    assert unit_summary(world, "110102")["has_county_depot"] is False


def test_unknown_adcode(world):
    with pytest.raises(NotFoundError) as excinfo:
        unit_summary(world, "130105")
    err = excinfo.value
    assert isinstance(err, LookupError) and err.code == "unknown_adcode"
    assert err.params["adcode"] == "130105"
    assert err.params["suggestions"][:2] == ["130104 桥西区", "130102 长安区"]
    assert len(err.params["suggestions"]) <= 5
    assert str(err).startswith("unknown adcode '130105'; nearest: 130104 桥西区, ")
    with pytest.raises(LookupError, match="nearest: 130100 石家庄市"):
        unit_summary(world, "石家庄")
    with pytest.raises(LookupError, match="nearest: none"):
        unit_summary(world, "zzz")


@pytest.mark.parametrize("adcode, words", [
    (130100, "adcode must be a string, got int"), (None, "adcode must be a string"),
    ("", "adcode must have 1 to 50 characters, got 0"), ("1" * 51, "got 51"),
])
def test_unit_summary_bad_adcode(world, adcode, words):
    with pytest.raises(ValueError, match=words):
        unit_summary(world, adcode)


# --- the demo store -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(demo_db) -> Store:
    store = Store(demo_db)
    yield store
    store.close()


def test_demo_outlines_are_valid_and_small(demo):
    limits = {"province": 60_000, "city": 150_000, "county": 900_000}  # bytes of compact JSON
    for level, limit in limits.items():
        fc = admin_geojson(demo, level)
        size = len(dumps(fc).encode())
        n = demo.query("SELECT count(*) AS n FROM admin_units WHERE level = ?", [level])["n"].iat[0]
        print(f"{level}: {len(fc['features'])} features, {size} bytes")
        assert len(fc["features"]) == n and size <= limit
        for f in fc["features"]:
            geom = shapely.geometry.shape(f["geometry"])
            assert geom.is_valid and not geom.is_empty, f["properties"]


def test_demo_province_summary(demo):
    hebei = unit_summary(demo, "130000")  # its time: tests/bench/bench_latency.py
    cities = [u["adcode"] for u in admin_tree(demo) if u["parent"] == "130000"]
    parts = [unit_summary(demo, c) for c in cities]
    assert hebei["totals"]["enterprises"] == sum(p["totals"]["enterprises"] for p in parts)
    for i, item in enumerate(hebei["hazard_class_area"]):
        assert sum(item["area_km2_by_class"]) == pytest.approx(item["covered_km2"], rel=1e-6)
        assert item["covered_km2"] <= hebei["cells_km2"] + 1e-6
        assert item["covered_km2"] == pytest.approx(
            sum(p["hazard_class_area"][i]["covered_km2"] for p in parts), rel=1e-6)
    assert hebei["cells_km2"] == pytest.approx(hebei["area_km2"], rel=0.01)
    dumps(hebei)
