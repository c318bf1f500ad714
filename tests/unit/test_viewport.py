"""Tests of layers.map.viewport: viewport checks, zoom -> resolution, hexagons and points in view."""

from __future__ import annotations

import json
import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import h3
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl import schema
from layers.map.facilities import (
    POINT_COLUMNS,
    aggregation_resolution,
    facility_hexes_in_view,
    facility_points_in_view,
)
from layers.map.viewport import (
    HexPayload,
    Viewport,
    ViewportError,
    hazard_cells_in_view,
    payload_bytes,
    resolution_for_zoom,
)
from layers.store import Store

CENTRE = (39.9, 116.4)  # lat, lng: central Beijing
BBOX = [116.0, 39.5, 117.0, 40.3]  # west, south, east, north (meta 'bbox' order)
#: The documented zoom -> resolution table (resolution_for_zoom docstring), resolutions 5-9.
TABLE = {3: 5, 4: 5, 5: 5, 6: 5, 7: 5, 8: 6, 9: 7, 10: 7, 11: 8, 12: 9, 13: 9, 14: 9, 18: 9}


def cls_of(cell: int) -> int:
    """The class the tiny store gives a cell (known answer, no randomness)."""
    return cell % 5


# --- a tiny store ---------------------------------------------------------------------------


def _facility(entity: str, i: int, lat: float, lng: float, name: str) -> dict:
    row = {"id": f"{entity[0].upper()}{i:03d}", "name": name, "lon": lng, "lat": lat,
           "precision": "exact", "adcode": None, "address": None, "synthetic": True,
           "source": "test", "source_row": i + 2, "city": None}
    extra = {
        "parks": {"level": "provincial", "role": None, "chains": ["rescue", "medical"]},
        "enterprises": {"chains": ["comms"], "above_size": True, "leading": i % 4 == 0,
                        "listed": False, "output_yi": float(i) if i % 3 else None,
                        "products": None},
        "reserves": {"tier": "county", "kind": "physical", "categories": ["帐篷"],
                     "capacity": 10.0, "capacity_unit": "顶"},
    }[entity]
    return {**row, **extra}


def build_tiny_store(path: Path) -> dict[int, list[int]]:
    """A store with only what viewport reads; returns the hazard cells by resolution."""
    con = duckdb.connect(str(path))
    for name, ddl in schema.TABLES.items():
        con.execute(f"CREATE TABLE {name} ({ddl})")
    meta = {"schema_version": schema.SCHEMA_VERSION, "resolutions": [7, 8], "bbox": BBOX}
    con.executemany("INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()])
    con.execute("INSERT INTO hazard_layers VALUES ('flood', 'test.tif', 1, 'm', [0.5, 1.5, 3.0, "
                "6.0], ['a', 'b', 'c', 'd', 'e'], true, 'EPSG:4326', 10, 10, '0.01', NULL)")
    cells = {res: sorted(h3.str_to_int(c) for c in h3.grid_disk(h3.latlng_to_cell(*CENTRE, res), k))
             for res, k in ((7, 8), (8, 12))}  # 217 and 469 cells
    rows = [{"hazard": "flood", "res": res, "cell": c, "count": 4, "min": 0.0,
             "max": cls_of(c) + 0.25, "mean": 0.1, "p90": 0.2, "class": cls_of(c),
             "shares": [0.5], "sampled": c % 2 == 0} for res, cs in cells.items() for c in cs]
    hazard_df = pd.DataFrame(rows).astype({"cell": "uint64", "res": "int8", "class": "int8"})
    con.register("hazard_df", hazard_df)
    con.execute("INSERT INTO hazard_cells SELECT * FROM hazard_df")
    points = [(39.9, 116.4, "天安门<b>"), (39.95, 116.45, "朝阳"), (40.1, 116.2, "昌平"),
              (39.0, 117.2, "天津 (outside)"), (41.0, 116.4, "north, outside")]
    for entity in schema.ENTITIES:
        df = pd.DataFrame([_facility(entity, i, lat, lng, name)
                           for i, (lat, lng, name) in enumerate(points)])
        con.register("df", df)
        cols = ", ".join(schema.quote(c) for c in df.columns)
        con.execute(f"INSERT INTO {entity} ({cols}) SELECT {cols} FROM df")
        con.unregister("df")
    con.close()
    return cells


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Store, dict[int, list[int]]]:
    path = tmp_path_factory.mktemp("viewport") / "tiny.duckdb"
    cells = build_tiny_store(path)
    store = Store(path)
    yield store, cells
    store.close()


def centred_in(cells: list[int], view: Viewport) -> list[int]:
    """Brute force: the cells whose centre lies strictly inside ``view``."""
    out = []
    for c in cells:
        lat, lng = h3.cell_to_latlng(h3.int_to_str(c))
        if view.south < lat < view.north and view.west < lng < view.east:
            out.append(c)
    return sorted(out)


# --- Viewport -------------------------------------------------------------------------------


def test_parse_valid_bounds():
    view = Viewport.parse([[39.8, 116.3], [40.0, 116.5]], 11)
    assert view == Viewport(39.8, 116.3, 40.0, 116.5, 11.0)
    assert isinstance(view.zoom, float)
    assert Viewport.parse(((39, 116), (40, 117)), 7.5).zoom == 7.5


@pytest.mark.parametrize("bounds, zoom, code, words", [
    ([[math.nan, 116], [40, 117]], 8, "not_finite", "south must be finite"),
    ([[39, 116], [40, math.inf]], 8, "not_finite", "east must be finite"),
    ([[39, -math.inf], [40, 117]], 8, "not_finite", "west must be finite"),
    ([[40, 116], [39, 117]], 8, "south_not_below_north", "south (40.0) must be less than north"),
    ([[39, 116], [39, 117]], 8, "south_not_below_north", "must be less than north"),
    ([[39, 117], [40, 116]], 8, "west_not_below_east", "antimeridian"),
    ([[39, 116], [95, 117]], 8, "out_of_range", "north 95.0 is outside [-90, 90]"),
    ([[-91, 116], [40, 117]], 8, "out_of_range", "south -91.0"),
    ([[39, 190], [40, 200]], 8, "beyond_antimeridian", "west (190.0) to east (200.0) lies wholly"),
    ([[39, -300], [40, -180]], 8, "beyond_antimeridian", "antimeridian"),
    ([["39", 116], [40, 117]], 8, "not_a_number", "south must be a number, got str '39'"),
    ([[39, 116], [40, None]], 8, "not_a_number", "east must be a number"),
    ([[39, True], [40, 117]], 8, "not_a_number", "west must be a number, got bool"),
    ("39,116,40,117", 8, "bounds_shape", "bounds must be [[south, west], [north, east]]"),
    ([39, 116, 40, 117], 8, "bounds_shape", "bounds must be"),
    ([[39, 116, 0], [40, 117]], 8, "bounds_shape", "bounds must be"),
    (None, 8, "bounds_shape", "got None"),
    ([[39, 116], [40, 117]], math.nan, "not_finite", "zoom must be finite"),
    ([[39, 116], [40, 117]], "8", "not_a_number", "zoom must be a number"),
])
def test_parse_rejects_bad_input(bounds, zoom, code, words):
    with pytest.raises(ViewportError) as excinfo:
        Viewport.parse(bounds, zoom)
    assert excinfo.value.code == code
    assert words in str(excinfo.value)
    assert isinstance(excinfo.value, ValueError)


def test_longitudes_past_the_antimeridian_are_cut():
    # Leaflet reports unwrapped longitudes when zoomed out, e.g. a 1920-px map at zoom 4.
    view = screen_view(39.35, 116.7, 4)
    assert view.east == 180.0 and view.west == pytest.approx(116.7 - 84.375)
    assert Viewport.parse([[39, -190], [40, -170]], 3).west == -180.0
    assert screen_view(39.35, 116.7, 3).clip(BBOX) == Viewport(39.5, 116.0, 40.3, 117.0, 3.0)


@pytest.mark.parametrize("zoom, clamped", [(0, 3.0), (-5, 3.0), (3, 3.0), (12.5, 12.5),
                                           (18, 18.0), (25, 18.0)])
def test_parse_clamps_zoom(zoom, clamped):
    assert Viewport.parse([[39, 116], [40, 117]], zoom).zoom == clamped


def test_clip_to_region_bbox():
    view = Viewport(39.0, 115.0, 40.0, 116.5, 9.0)
    assert view.clip(BBOX) == Viewport(39.5, 116.0, 40.0, 116.5, 9.0)
    inside = Viewport(39.8, 116.3, 40.0, 116.5, 12.0)
    assert inside.clip(BBOX) == inside
    assert Viewport(20.0, 100.0, 21.0, 101.0, 9.0).clip(BBOX) is None
    assert Viewport(40.3, 116.2, 41.0, 116.5, 9.0).clip(BBOX) is None  # only touches


# --- resolution_for_zoom --------------------------------------------------------------------


@pytest.mark.parametrize("zoom, res", sorted(TABLE.items()))
def test_documented_zoom_table(zoom, res):
    assert resolution_for_zoom(zoom, [5, 6, 7, 8, 9], lat=39.35) == res
    for lat in (36.0, 43.0, 50.0):  # the whole region has the same table
        assert resolution_for_zoom(zoom, [5, 6, 7, 8, 9], lat=lat) == res


def test_resolution_is_monotonic_and_available():
    zooms = [3 + i / 4 for i in range(61)]  # 3 .. 18 in quarter steps
    for available in ([5, 6, 7, 8, 9], [7, 8], [6], [9, 5, 7]):
        picked = [resolution_for_zoom(z, available) for z in zooms]
        assert picked == sorted(picked)
        assert set(picked) <= set(available)
        assert picked[0] == min(available) and picked[-1] == max(available)


def test_hexagons_are_8_to_40_px_where_the_resolutions_allow():
    # Independent check of the table: the hexagon width on screen, from h3's mean edge and
    # Web-Mercator metres per pixel at 39.35 N.
    for zoom in range(6, 14):
        res = resolution_for_zoom(zoom, [5, 6, 7, 8, 9], lat=39.35)
        m_per_px = 156543.03392804097 * math.cos(math.radians(39.35)) / 2**zoom
        px = 2 * h3.average_hexagon_edge_length(res, "m") / m_per_px
        assert 8 <= px <= 40, (zoom, res, px)
    assert resolution_for_zoom(5, [5, 6, 7, 8, 9]) <= 6
    with pytest.raises(ValueError, match="resolutions is empty"):
        resolution_for_zoom(10, [])


# --- hazard_cells_in_view -------------------------------------------------------------------


VIEW = Viewport(39.85, 116.33, 39.95, 116.47, 11.0)


@pytest.mark.parametrize("res", [7, 8])
def test_exactly_the_cells_centred_in_view(tiny, res):
    store, cells = tiny
    payload = hazard_cells_in_view(store, "flood", VIEW, res=res)
    expected = centred_in(cells[res], VIEW)
    assert 5 < len(expected) < len(cells[res])
    assert [h3.str_to_int(c) for c in payload.cells] == expected
    assert all(h3.get_resolution(c) == res and h3.is_valid_cell(c) for c in payload.cells)
    assert payload.cls == [cls_of(c) for c in expected]
    assert payload.value == [cls_of(c) + 0.25 for c in expected]
    assert payload.sampled_share == pytest.approx(sum(c % 2 == 0 for c in expected) / len(expected))
    assert (payload.res, payload.requested_res, payload.truncated) == (res, res, False)


@settings(max_examples=60, deadline=None)
@given(south=st.floats(39.6, 40.2), west=st.floats(116.1, 116.9), dlat=st.floats(0.005, 0.3),
       dlng=st.floats(0.005, 0.4), res=st.sampled_from([7, 8]))
def test_any_view_gives_exactly_the_cells_centred_in_it(tiny, south, west, dlat, dlng, res):
    store, cells = tiny
    view = Viewport.parse([[south, west], [south + dlat, west + dlng]], 10)
    payload = hazard_cells_in_view(store, "flood", view, res=res)
    assert [h3.str_to_int(c) for c in payload.cells] == centred_in(cells[res], view.clip(BBOX))


def test_resolution_follows_the_zoom(tiny):
    store, _ = tiny
    for zoom, res in ((5, 7), (9, 7), (10, 7), (11, 8), (15, 8)):
        view = Viewport(VIEW.south, VIEW.west, VIEW.north, VIEW.east, float(zoom))
        assert hazard_cells_in_view(store, "flood", view).res == res


def test_the_fast_polygon_fill_gives_the_classic_cells():
    # layers.map.viewport uses h3's experimental fill when present: it must equal the classic one.
    from h3.api import numpy_int as h3n

    from layers.map.viewport import _fill

    for (s, w, n, e), res in (((39.85, 116.33, 39.95, 116.47), 9), ((37.5, 114.0, 39.9, 119.3), 7),
                              ((35.9, 113.3, 42.8, 120.1), 5), ((38.9, 117.0, 39.2, 117.4), 8)):
        poly = h3.LatLngPoly([(s, w), (s, e), (n, e), (n, w)])
        got = _fill(poly, res)
        assert got.dtype == "uint64"
        assert sorted(got.tolist()) == sorted(h3n.h3shape_to_cells(poly, res).tolist())


def test_min_class_filter(tiny):
    store, cells = tiny
    payload = hazard_cells_in_view(store, "flood", VIEW, res=8, min_class=3)
    assert [h3.str_to_int(c) for c in payload.cells] == [
        c for c in centred_in(cells[8], VIEW) if cls_of(c) >= 3]
    assert set(payload.cls) == {3, 4}


def test_max_cells_steps_the_resolution_down(tiny):
    store, cells = tiny
    n7, n8 = (len(centred_in(cells[r], VIEW)) for r in (7, 8))
    payload = hazard_cells_in_view(store, "flood", VIEW, res=8, max_cells=n8 - 1)
    assert (payload.res, payload.requested_res, payload.truncated) == (7, 8, True)
    assert len(payload.cells) == n7
    # Even the coarsest resolution is too fine: the candidates are cut.
    payload = hazard_cells_in_view(store, "flood", VIEW, res=8, max_cells=3)
    assert (payload.res, payload.truncated) == (7, True) and len(payload.cells) <= 3


def test_view_outside_the_region_is_empty(tiny):
    store, _ = tiny
    payload = hazard_cells_in_view(store, "flood", Viewport(30.0, 100.0, 31.0, 101.0, 9.0))
    assert (payload.cells, payload.cls, payload.value, payload.truncated) == ([], [], [], False)
    # Inside the bbox but away from the cells: a query that finds nothing.
    corner = Viewport(40.2, 116.9, 40.3, 117.0, 12.0)
    assert hazard_cells_in_view(store, "flood", corner).cells == []


def test_bad_arguments(tiny):
    store, _ = tiny
    with pytest.raises(ValueError, match=r"unknown hazard 'drought'; expected one of \['flood'\]"):
        hazard_cells_in_view(store, "drought", VIEW)
    with pytest.raises(ValueError, match=r"resolution 9 is not in the store; it has \[7, 8\]"):
        hazard_cells_in_view(store, "flood", VIEW, res=9)
    with pytest.raises(ValueError, match="min_class must be an integer >= 0"):
        hazard_cells_in_view(store, "flood", VIEW, min_class=-1)
    with pytest.raises(ValueError, match="max_cells must be an integer >= 1"):
        hazard_cells_in_view(store, "flood", VIEW, max_cells=0)


def test_payload_is_compact_parallel_arrays(tiny):
    store, _ = tiny
    payload = hazard_cells_in_view(store, "flood", VIEW, res=8)
    data = payload.to_dict()
    assert len(data["cells"]) == len(data["cls"]) == len(data["value"]) == len(payload.cells)
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    assert payload_bytes(payload) == len(text.encode()) == payload_bytes(data)
    assert payload_bytes(payload) < 150 + 27 * len(payload.cells)
    assert "cells=" not in repr(payload)  # the arrays stay out of logs


def test_values_keep_three_significant_digits():
    from layers.map.viewport import _round_sig

    values = np.array([0.0, -1.23456, 123456.0, 0.000123456, 9.996, 1.25])
    assert _round_sig(values) == [0.0, -1.23, 123000.0, 0.000123, 10.0, 1.25]
    assert _round_sig(np.array([])) == []


def test_concurrent_queries_do_not_mix(tiny):
    store, _ = tiny
    views = [(VIEW, 7), (VIEW, 8), (Viewport(39.7, 116.2, 40.1, 116.6, 9.0), 8)] * 8
    expected = {(v, r): hazard_cells_in_view(store, "flood", v, res=r).cells for v, r in views}
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda vr: hazard_cells_in_view(store, "flood", vr[0],
                                                              res=vr[1]).cells, views))
    assert got == [expected[vr] for vr in views]


# --- facility_points_in_view ----------------------------------------------------------------


def test_points_in_view(tiny):
    store, _ = tiny
    view = Viewport(39.8, 116.1, 40.2, 116.5, 10.0)
    for entity in schema.ENTITIES:
        points = facility_points_in_view(store, entity, view)
        assert (points["count"], points["truncated"]) == (3, False)
        # names are plain strings (not escaped); the three points inside, whatever the order
        assert sorted(zip(points["name"], points["lat"], points["lon"])) == sorted(
            [("天安门<b>", 39.9, 116.4), ("朝阳", 39.95, 116.45), ("昌平", 40.1, 116.2)])
        assert len(points["id"]) == 3 and all(len(points[c]) == 3 for c in points
                                               if isinstance(points[c], list))
    parks = facility_points_in_view(store, "parks", view)
    assert parks["chains"][0] == ["rescue", "medical"] and parks["role"] == [None] * 3
    assert facility_points_in_view(store, "reserves", view)["tier"] == ["county"] * 3
    json.dumps(facility_points_in_view(store, "enterprises", view), allow_nan=False)


def test_points_limit_and_entity_check(tiny):
    store, _ = tiny
    view = Viewport(38.0, 115.0, 42.0, 118.0, 7.0)
    points = facility_points_in_view(store, "enterprises", view, limit=2)
    assert (points["count"], points["truncated"]) == (2, True)
    assert points["leading"] == [True, True]  # leading enterprises come first
    assert facility_points_in_view(store, "parks", view, limit=5)["truncated"] is False
    with pytest.raises(ValueError, match="unknown entity 'admin_units'"):
        facility_points_in_view(store, "admin_units", view)
    with pytest.raises(ValueError, match="limit must be an integer >= 1"):
        facility_points_in_view(store, "parks", view, limit=0)


# --- the demo store -------------------------------------------------------------------------


def screen_view(lat: float, lng: float, zoom: int, width: int = 1920,
                height: int = 1080) -> Viewport:
    """The bounds Leaflet shows for a ``width`` x ``height`` px map centred at lat/lng."""
    half_lng = width / 2 * 360 / (256 * 2**zoom)
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
    dy = height / 2 * 2 * math.pi / (256 * 2**zoom)
    s, n = (math.degrees(2 * math.atan(math.exp(y + d)) - math.pi / 2) for d in (-dy, dy))
    return Viewport.parse([[s, lng - half_lng], [n, lng + half_lng]], zoom)


@pytest.fixture(scope="module")
def demo(demo_db) -> Store:
    store = Store(demo_db)
    yield store
    store.close()


@pytest.mark.parametrize("name, view", [
    ("whole region, zoom 6", screen_view(39.35, 116.7, 6)),
    ("Tianjin streets, zoom 13", screen_view(39.13, 117.2, 13)),
    ("whole region asked at zoom 13", Viewport(35.9, 113.3, 42.8, 120.1, 13.0)),
    ("near the cap: 48k cells at res 8", Viewport(38.3, 115.59, 39.7, 117.41, 11.0)),
])
def test_demo_store_payload_size(demo, name, view):
    # wildfire: the longest values (e.g. 0.00123), so the largest payload per cell (its time:
    # tests/bench/bench_latency.py)
    payload = hazard_cells_in_view(demo, "wildfire", view)
    size = payload_bytes(payload)
    assert isinstance(payload, HexPayload) and payload.cells
    assert size <= 1_500_000


# --- facility filters and facility hexagons (on the tiny world of tests/unit/world.py) ----------------------


ALL = Viewport(37.5, 114.0, 40.5, 118.5, 9.0)  # the whole tiny world


@pytest.mark.parametrize("entity, filters, ids", [
    ("parks", {}, ["P1", "P2", "P3", "P4"]),
    ("parks", {"chains": ["medical"]}, ["P1"]),
    ("parks", {"chains": ["rescue", "comms"]}, ["P1", "P2", "P4"]),
    ("parks", {"levels": ["national_demo", "cluster"]}, ["P1", "P3"]),
    ("parks", {"levels": ["cluster"], "chains": ["rescue"]}, []),  # filters combine with AND
    ("parks", {"chains": []}, []),  # an empty list matches nothing; None means no filter
    ("parks", {"chains": None, "levels": None}, ["P1", "P2", "P3", "P4"]),
    ("enterprises", {"chains": ["comms", "medical"]}, ["E1", "E2", "E3"]),
    ("enterprises", {"chains": ("medical", "medical")}, ["E3"]),
    ("enterprises", {"above_size_only": True}, ["E1", "E3", "E5"]),
    ("enterprises", {"leading_only": True}, ["E1"]),
    ("enterprises", {"above_size_only": True, "chains": ["rescue"]}, ["E1", "E5"]),
    ("enterprises", {"above_size_only": False, "leading_only": False},
     ["E1", "E2", "E3", "E4", "E5"]),
    ("reserves", {"tiers": ["county"]}, ["R1", "R3", "R5"]),
    ("reserves", {"kinds": ["capacity"]}, ["R3"]),
    ("reserves", {"tiers": ["county", "municipal"], "kinds": ["physical"]}, ["R1", "R4", "R5"]),
])
def test_point_filters(world, entity, filters, ids):
    points = facility_points_in_view(world, entity, ALL, **filters)
    assert sorted(points["id"]) == ids
    assert points["count"] == len(ids) and points["truncated"] is False
    assert all(len(points[c]) == len(ids) for c in points if isinstance(points[c], list))
    assert points["filters"] == {k: (list(dict.fromkeys(v)) if isinstance(v, (list, tuple)) else v)
                                 for k, v in filters.items() if v not in (None, False)}
    json.dumps(points, allow_nan=False)


def test_filters_keep_the_order_and_limit(world):
    points = facility_points_in_view(world, "enterprises", ALL, limit=2, chains=["comms", "rescue"])
    assert points["id"] == ["E1", "E5"] and points["truncated"] is True  # leading, then output
    view = Viewport(39.8, 116.2, 40.0, 116.5, 11.0)  # Beijing only
    points = facility_points_in_view(world, "enterprises", view, chains=["comms"])
    assert points["id"] == ["E1", "E2"]


@pytest.mark.parametrize("entity, filters, words", [
    ("enterprises", {"levels": ["cluster"]}, "filter levels does not apply to enterprises, only "
                                             "to ['parks']"),
    ("reserves", {"chains": ["comms"]}, "filter chains does not apply to reserves, only to "
                                        "['parks', 'enterprises']"),
    ("parks", {"tiers": ["county"]}, "filter tiers does not apply to parks"),
    ("parks", {"kinds": ["physical"]}, "filter kinds does not apply to parks"),
    ("parks", {"above_size_only": True}, "filter above_size_only does not apply to parks"),
    ("reserves", {"leading_only": True}, "filter leading_only does not apply to reserves"),
    ("parks", {"chains": ["fire"]}, "chains has unknown codes ['fire']; expected some of "
                                    "['waterlogging', 'medical'"),
    ("parks", {"chains": [None]}, "chains has unknown codes [None]"),
    ("parks", {"levels": ["national"]}, "levels has unknown codes ['national']"),
    ("reserves", {"tiers": ["County"]}, "tiers has unknown codes ['County']"),
    ("parks", {"chains": "rescue"}, "chains must be a list of codes, got 'rescue'"),
    ("parks", {"chains": {"rescue"}}, "chains must be a list of codes"),
    ("parks", {"chains": ["rescue"] * 21}, "chains has 21 items; at most 20 allowed"),
    ("enterprises", {"leading_only": "yes"}, "leading_only must be True or False, got 'yes'"),
    ("enterprises", {"above_size_only": None}, "above_size_only must be True or False"),
    ("enterprises", {"above_size_only": 1}, "above_size_only must be True or False, got 1"),
    ("farms", {}, "unknown entity 'farms'"),
])
def test_bad_filters(world, entity, filters, words):
    for func in (facility_points_in_view, facility_hexes_in_view):
        with pytest.raises(ValueError) as excinfo:
            func(world, entity, ALL, **filters)
        assert words in str(excinfo.value)


def test_filter_values_are_parameters(world):
    # a quote in a code is refused by the vocabulary check before any SQL is built
    with pytest.raises(ValueError, match="unknown codes"):
        facility_points_in_view(world, "parks", ALL, levels=["cluster') OR (1=1"])


def brute_force_hexes(entity: str, view: Viewport, res: int, ids: list[str] | None = None):
    from tests.unit.world import FACILITIES, position

    counts: dict[str, int] = {}
    for fid, *_ in FACILITIES[entity]:
        lat, lng = position(entity, fid)
        if (ids is None or fid in ids) and view.south <= lat <= view.north \
                and view.west <= lng <= view.east:
            # below the store's coarsest (7), counts go to the H3 parent of the res-7 cell
            cell = h3.latlng_to_cell(lat, lng, max(res, 7))
            cell = h3.cell_to_parent(cell, res) if res < 7 else cell
            counts[cell] = counts.get(cell, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: h3.str_to_int(kv[0])))


@pytest.mark.parametrize("entity, res, filters, ids", [
    ("enterprises", 7, {}, None),
    ("enterprises", 8, {"chains": ["comms"]}, ["E1", "E2"]),
    ("reserves", 8, {}, None),
    ("reserves", 7, {"tiers": ["county"]}, ["R1", "R3", "R5"]),
    ("parks", 7, {"levels": []}, []),
    ("enterprises", 5, {}, None),  # coarser than the store: summed per parent
    ("reserves", 0, {}, None),
])
def test_facility_hexes_known_answers(world, entity, res, filters, ids):
    out = facility_hexes_in_view(world, entity, ALL, res=res, **filters)
    expected = brute_force_hexes(entity, ALL, res, ids)
    several = {c: n for c, n in expected.items() if n > 1}
    assert out["cells"] == list(several) and out["count"] == list(several.values())
    assert out["total"] == sum(expected.values()) and out["res"] == res
    for cell, lat, lng in zip(out["cells"], out["lat"], out["lng"]):
        assert (lat, lng) == pytest.approx(h3.cell_to_latlng(cell), abs=1e-6)
    # a facility alone in its cell comes as itself (drawn as its symbol, not a bubble of 1)
    alone = sorted(c for c, n in expected.items() if n == 1)
    singles = out["singles"]
    assert sorted(next(iter(brute_force_hexes(entity, ALL, res, [fid]))) for fid in singles["id"]) == alone
    assert set(singles) == {"id", "name", "lon", "lat", *POINT_COLUMNS[entity]}
    assert set(out) == {"entity", "res", "total", "filters", "cells", "count", "lat", "lng", "singles"}
    json.dumps(out, allow_nan=False)


def test_facility_hexes_count_only_points_in_view(world):
    # R1 and R2 are 东城区 reserves at (39.871, 116.321) and (39.89, 116.35)
    view = Viewport(39.86, 116.31, 39.88, 116.33, 12.0)
    out = facility_hexes_in_view(world, "reserves", view, res=7)
    assert out["total"] == 1 and out["count"] == [] and out["singles"]["id"] == ["R1"]
    empty = facility_hexes_in_view(world, "reserves", Viewport(20.0, 100.0, 21.0, 101.0, 9.0))
    assert (empty["cells"], empty["count"], empty["lat"], empty["total"]) == ([], [], [], 0)


def test_facility_hexes_resolution(world):
    # one step coarser than the hazard hexagons over all of H3's resolutions, at most the finest
    assert [aggregation_resolution(z, [5, 6, 7, 8, 9]) for z in (5, 7, 9, 11, 13, 18)] == [3, 4, 6, 7, 8, 9]
    for zoom in (5, 9, 11, 13):
        view = Viewport(ALL.south, ALL.west, ALL.north, ALL.east, float(zoom))
        expected = aggregation_resolution(zoom, [7, 8], lat=39.0)
        assert facility_hexes_in_view(world, "parks", view)["res"] == expected
    assert aggregation_resolution(13, [7, 8]) == 8
    for res in (9, -1, "8", True, 7.0):
        with pytest.raises(ValueError, match="from 0 to the store's finest, 8"):
            facility_hexes_in_view(world, "parks", ALL, res=res)


@settings(max_examples=200, deadline=None)
@given(lat=st.floats(-85, 85), lng=st.floats(-180, 180), fine=st.integers(1, 15), data=st.data())
def test_vectorised_parents_equal_h3(lat, lng, fine, data):
    from layers.map.facilities import _parents  # noqa: PLC0415

    res = data.draw(st.integers(0, fine))
    cell = h3.latlng_to_cell(lat, lng, fine)
    got = _parents(np.array([h3.str_to_int(cell)], dtype=np.uint64), res)[0]
    assert h3.int_to_str(int(got)) == h3.cell_to_parent(cell, res)
