"""Tests of layers.units: admin tree, outlines, labels and unit summaries.

``build_world`` makes a tiny store with admin units, admin cells, hazard cells and
facilities whose answers are known by construction; test_inspect and test_viewport use it too.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import duckdb
import h3
import pandas as pd
import pytest
import shapely

from etl import schema
from layers.inspect import NotFoundError
from layers.store import Store
from layers.units import (
    DEFAULT_TOLERANCE_M,
    admin_geojson,
    admin_labels,
    admin_tree,
    summary_res,
    unit_summary,
)

RESOLUTIONS = [7, 8]
#: county -> (west, south, east, north). 139001 sits under 130100 although its prefix says
#: otherwise: membership follows ``parent``, not adcode prefixes.
BOXES = {
    "110101": (116.30, 39.85, 116.36, 39.90), "110102": (116.36, 39.85, 116.42, 39.90),
    "130102": (114.40, 38.00, 114.46, 38.05), "130104": (114.46, 38.00, 114.52, 38.05),
    "139001": (114.40, 38.05, 114.46, 38.10), "130202": (118.10, 39.60, 118.16, 39.65),
}
UNITS = [  # adcode, name, level, parent
    ("110000", "北京市", "province", None), ("110100", "北京市", "city", "110000"),
    ("110101", "东城区", "county", "110100"), ("110102", "西城区", "county", "110100"),
    ("130000", "河北省", "province", None), ("130100", "石家庄市", "city", "130000"),
    ("130102", "长安区", "county", "130100"), ("130104", "桥西区", "county", "130100"),
    ("139001", "定州市", "county", "130100"), ("130200", "唐山市", "city", "130000"),
    ("130202", "路南区", "county", "130200"),
]
#: Hazard layers in store order (not alphabetical): name, units, breaks, labels.
LAYERS = [("wildfire", "1/yr", [0.01, 0.02], ["low", "mid", "high"]),
          ("earthquake", "g", [0.1, 0.2, 0.3], ["<0.1", "0.1", "0.2", ">=0.3"])]
#: hazard -> county -> share of pixels >= each break (counties not listed: no data).
SHARES = {
    "earthquake": {"110101": [1.0, 0.5, 0.25], "110102": [1.0, 1.0, 1.0], "130102": [0.5, 0.0, 0.0],
                   "130104": [0.0, 0.0, 0.0], "139001": [1.0, 0.75, 0.0]},
    "wildfire": {"110101": [1.0, 0.2]},
}
MAX = {"earthquake": {"110101": 0.35, "110102": 0.5, "130102": 0.15, "130104": 0.05,
                      "139001": 0.25}, "wildfire": {"110101": 0.025}}
#: entity -> id, county, (lat, lng) offset from the county's south-west corner, extra columns.
FACILITIES = {
    "parks": [
        ("P1", "110101", (0.02, 0.02), {"level": "national_demo", "chains": ["rescue", "medical"]}),
        ("P2", "110101", (0.03, 0.03), {"level": "provincial", "chains": ["comms"]}),
        ("P3", "130102", (0.02, 0.02), {"level": "cluster", "chains": []}),
        ("P4", "139001", (0.02, 0.02), {"level": None, "chains": ["rescue"]}),
    ],
    "enterprises": [
        ("E1", "110101", (0.02, 0.02), {"chains": ["comms", "rescue"], "above_size": True,
                                        "leading": True, "output_yi": 12.5}),
        ("E2", "110102", (0.02, 0.02), {"chains": ["comms"], "above_size": False,
                                        "leading": False, "output_yi": 1.0}),
        ("E3", "130102", (0.02, 0.02), {"chains": ["medical", "medical"], "above_size": True,
                                        "leading": False, "output_yi": None}),
        ("E4", "130104", (0.02, 0.02), {"chains": [], "above_size": False, "leading": False,
                                        "output_yi": None}),
        ("E5", "139001", (0.03, 0.01), {"chains": ["rescue"], "above_size": True,
                                        "leading": False, "output_yi": 3.0}),
    ],
    "reserves": [
        ("R1", "110101", (0.021, 0.021), {"tier": "county", "kind": "physical"}),
        ("R2", "110101", (0.04, 0.05), {"tier": "national", "kind": "physical"}),
        ("R3", "130102", (0.02, 0.02), {"tier": "county", "kind": "capacity"}),
        ("R4", "130202", (0.02, 0.02), {"tier": "municipal", "kind": "physical"}),
        ("R5", "139001", (0.02, 0.02), {"tier": "county", "kind": "physical"}),
    ],
}
PARENT = {a: p for a, _, _, p in UNITS}


def ancestors(county: str) -> dict[str, str]:
    """``{county, city, province}`` codes of a county."""
    city = PARENT[county]
    return {"county": county, "city": city, "province": PARENT[city]}


def county_cells(county: str, res: int) -> list[int]:
    """The cells centred in a county's box (what the ETL's polygon fill gives)."""
    w, s, e, n = BOXES[county]
    return sorted(h3.str_to_int(c) for c in h3.h3shape_to_cells(
        h3.LatLngPoly([(s, w), (s, e), (n, e), (n, w)]), res))


def position(entity: str, fid: str) -> tuple[float, float]:
    """lat, lng of a facility of ``FACILITIES``."""
    _, county, (dlat, dlng), _ = next(f for f in FACILITIES[entity] if f[0] == fid)
    return BOXES[county][1] + dlat, BOXES[county][0] + dlng


def _insert(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame) -> None:
    con.register("df", df)
    cols = ", ".join(schema.quote(c) for c in df.columns)
    con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM df")
    con.unregister("df")


def build_world(path: Path) -> None:
    """Write the tiny store described by the constants above to ``path``."""
    con = duckdb.connect(str(path))
    for name, ddl in schema.TABLES.items():
        con.execute(f"CREATE TABLE {name} ({ddl})")
    meta = {"schema_version": schema.SCHEMA_VERSION, "resolutions": RESOLUTIONS,
            "bbox": [114.0, 37.5, 118.5, 40.5], "build_id": "tiny-world-1"}
    con.executemany("INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()])
    geoms = {c: shapely.box(*b) for c, b in BOXES.items()}
    for code, _, level, _ in UNITS[::-1]:  # counties first, then their parents
        if code not in geoms:
            geoms[code] = shapely.union_all([g for c, g in geoms.items() if PARENT.get(c) == code])
    _insert(con, "admin_units", pd.DataFrame([{
        "adcode": a, "name": n, "level": lv, "parent": p, "lon": geoms[a].centroid.x,
        "lat": geoms[a].centroid.y, "area_km2": 1000.0 + i, "bbox": list(geoms[a].bounds),
        "geometry": shapely.to_wkb(geoms[a])} for i, (a, n, lv, p) in enumerate(UNITS)]))
    _insert(con, "admin_cells", pd.DataFrame(
        [{"res": r, "cell": c, **ancestors(county)} for county in BOXES for r in RESOLUTIONS
         for c in county_cells(county, r)]).astype({"res": "int8", "cell": "uint64"}))
    con.executemany("INSERT INTO hazard_layers VALUES (?, 'src', 1, ?, ?, ?, true, 'EPSG:4326', "
                    "10, 10, '0.01', NULL)", [list(layer) for layer in LAYERS])
    rows = []
    for hazard, by_county in SHARES.items():
        breaks = next(b for h, _, b, _ in LAYERS if h == hazard)
        for county, shares in by_county.items():
            top = MAX[hazard][county]
            for r in RESOLUTIONS:
                rows += [{"hazard": hazard, "res": r, "cell": c, "count": 3, "min": 0.0, "max": top,
                          "mean": top / 2, "p90": top * 0.9, "class": sum(b <= top for b in breaks),
                          "shares": shares, "sampled": r == 8} for c in county_cells(county, r)]
    _insert(con, "hazard_cells", pd.DataFrame(rows).astype(
        {"res": "int8", "cell": "uint64", "class": "int8"}))
    cells = []
    for entity, items in FACILITIES.items():
        con.execute("INSERT INTO sources VALUES (?, ?, ?, 'x', 9, 9, 0, true, NULL)",
                    [f"test_{entity}", entity, f"geodata/test/{entity}.csv"])
        df = pd.DataFrame([{"id": fid, "name": f"名称{fid}", "lon": position(entity, fid)[1],
                            "lat": position(entity, fid)[0], "precision": "exact",
                            "adcode": county, "address": None, "synthetic": True,
                            "source": f"test_{entity}", "source_row": i + 2, **extra}
                           for i, (fid, county, _, extra) in enumerate(items)])
        if entity == "enterprises":
            df["listed"] = False
        if entity == "reserves":
            df["categories"] = [["帐篷"]] * len(df)
        _insert(con, entity, df)
        cells += [{"entity": entity, "id": fid, "res": r,
                   "cell": h3.str_to_int(h3.latlng_to_cell(*position(entity, fid), r))}
                  for fid, *_ in items for r in RESOLUTIONS]
    _insert(con, "entity_cells", pd.DataFrame(cells).astype({"res": "int8", "cell": "uint64"}))
    con.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Store:
    path = tmp_path_factory.mktemp("units") / "world.duckdb"
    build_world(path)
    store = Store(path)
    yield store
    store.close()


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
    unit_summary(demo, "130100")  # builds the per-county hazard sums once
    start = time.perf_counter()
    hebei = unit_summary(demo, "130000")
    ms = (time.perf_counter() - start) * 1000
    print(f"unit_summary(Hebei): {ms:.0f} ms")
    assert ms < 300
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
