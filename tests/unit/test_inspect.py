"""Tests of layers.map.inspect: the cell card and the facility card, on the tiny world store."""

from __future__ import annotations

import json
import math

import h3
import pytest

from etl import schema
from layers.map.inspect import NotFoundError, cell_card, facility_card
from layers.map.viewport import ViewportError
from layers.store import Store
from tests.unit.world import (
    BOXES,
    FACILITIES,
    LAYERS,
    MAX,
    SHARES,
    position,
)


def dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, allow_nan=False)


def expected_counts(lat: float, lng: float, res: int) -> dict[str, dict[str, int]]:
    """Brute force: facilities in the cell of lat/lng and in its ring-1 disk."""
    cell = h3.latlng_to_cell(lat, lng, res)
    disk = set(h3.grid_disk(cell, 1))
    out = {}
    for entity, items in FACILITIES.items():
        cells = [h3.latlng_to_cell(*position(entity, fid), res) for fid, *_ in items]
        out[entity] = {"in_cell": sum(c == cell for c in cells),
                       "around": sum(c in disk for c in cells)}
    return out


# --- cell_card ------------------------------------------------------------------------------


@pytest.mark.parametrize("res", [7, 8])
def test_cell_card_known_answers(world, res):
    lat, lng = position("parks", "P1")  # in 东城区 (110101)
    card = cell_card(world, lat, lng, res)
    cell = h3.latlng_to_cell(lat, lng, res)
    assert set(card) == {"cell", "res", "lat", "lng", "area_km2", "admin", "hazards", "counts",
                         "around_cells", "around_km"}
    assert (card["cell"], card["res"]) == (cell, res)
    assert (card["lat"], card["lng"]) == pytest.approx(h3.cell_to_latlng(cell), abs=1e-6)
    assert card["area_km2"] == pytest.approx(h3.cell_area(cell, "km^2"), abs=1e-4)
    centre_in_county = h3.str_to_int(cell) in {
        h3.str_to_int(c) for c in h3.h3shape_to_cells(h3.LatLngPoly(
            [(39.85, 116.30), (39.85, 116.36), (39.90, 116.36), (39.90, 116.30)]), res)}
    assert centre_in_county  # the test point is well inside the county
    assert card["admin"] == {"county": {"adcode": "110101", "name": "东城区"},
                             "city": {"adcode": "110100", "name": "北京市"},
                             "province": {"adcode": "110000", "name": "北京市"}}
    assert card["counts"] == expected_counts(lat, lng, res)
    assert card["counts"]["parks"]["in_cell"] >= 1 and card["counts"]["enterprises"]["in_cell"] >= 1
    assert card["around_cells"] == 7
    disk_km2 = sum(h3.cell_area(c, "km^2") for c in h3.grid_disk(cell, 1))
    assert card["around_km"] == pytest.approx(math.sqrt(disk_km2 / math.pi), abs=0.01)
    edge = h3.average_hexagon_edge_length(res, "km")
    assert 2 * edge < card["around_km"] < math.sqrt(7) * edge  # between the disk's in/out radii
    dumps(card)


def test_cell_card_hazards(world):
    lat, lng = position("parks", "P1")
    hazards = cell_card(world, lat, lng, 8)["hazards"]
    assert [h["hazard"] for h in hazards] == [name for name, *_ in LAYERS]  # store order
    wildfire, quake = hazards
    assert set(quake) == {"hazard", "units", "breaks", "labels", "max", "mean", "p90", "cls",
                          "label", "share_at_or_above", "sampled", "synthetic", "description",
                          "lower_is_worse"}
    assert quake["lower_is_worse"] is False  # a raster: higher value, higher class
    top = MAX["earthquake"]["110101"]  # 0.35 with breaks 0.1, 0.2, 0.3: class 3
    assert (quake["units"], quake["breaks"], quake["labels"]) == LAYERS[1][1:]
    assert (quake["max"], quake["mean"], quake["p90"]) == (top, top / 2, round(top * 0.9, 4))
    assert (quake["cls"], quake["label"], quake["sampled"]) == (3, ">=0.3", True)
    assert quake["share_at_or_above"] == SHARES["earthquake"]["110101"]  # [1, 0.5, 0.25]
    assert (wildfire["cls"], wildfire["label"], wildfire["share_at_or_above"]) == (
        2, "high", [1.0, 0.2])
    assert cell_card(world, lat, lng, 7)["hazards"][1]["sampled"] is False


def test_cell_without_data_or_admin(world):
    # 路南区 has admin cells but no hazard statistics
    w, s, _, _ = BOXES["130202"]
    card = cell_card(world, s + 0.025, w + 0.03, 8)
    assert card["admin"]["county"] == {"adcode": "130202", "name": "路南区"}
    assert card["admin"]["city"]["name"] == "唐山市"
    for item in card["hazards"]:
        assert all(item[k] is None for k in ("max", "mean", "p90", "cls", "label",
                                             "share_at_or_above", "sampled"))
        assert item["labels"] and item["breaks"]  # the legend is still there
    assert card["counts"]["reserves"] == expected_counts(s + 0.025, w + 0.03, 8)["reserves"]
    # outside every county: no admin, no data, no facilities
    far = cell_card(world, 30.0, 100.0, 7)
    assert far["admin"] == {"county": None, "city": None, "province": None}
    assert far["counts"] == {e: {"in_cell": 0, "around": 0} for e in schema.ENTITIES}
    dumps(far)


@pytest.mark.parametrize("lat, lng, res, error, words", [
    (math.nan, 116.3, 8, ViewportError, "lat must be finite"),
    (39.9, math.inf, 8, ViewportError, "lng must be finite"),
    ("39.9", 116.3, 8, ViewportError, "lat must be a number, got str"),
    (None, 116.3, 8, ViewportError, "lat must be a number"),
    (True, 116.3, 8, ViewportError, "lat must be a number, got bool"),
    (91, 116.3, 8, ViewportError, "lat 91.0 is outside [-90, 90]"),
    (39.9, -181, 8, ViewportError, "lng -181.0 is outside [-180, 180]"),
    (39.9, 116.3, 9, ValueError, "resolution 9 is not in the store; it has [7, 8]"),
    (39.9, 116.3, "8", ValueError, "resolution '8' is not in the store"),
    (39.9, 116.3, True, ValueError, "resolution True is not in the store"),
    (39.9, 116.3, 8.0, ValueError, "resolution 8.0 is not in the store"),
])
def test_cell_card_rejects_bad_input(world, lat, lng, res, error, words):
    with pytest.raises(error) as excinfo:
        cell_card(world, lat, lng, res)
    assert words in str(excinfo.value)
    assert isinstance(excinfo.value, ValueError)


# --- facility_card --------------------------------------------------------------------------


def test_facility_card_enterprise(world):
    card = facility_card(world, "enterprises", "E1")
    lat, lng = position("enterprises", "E1")
    columns = [c.split()[0].strip('"') for c in schema.TABLES["enterprises"].replace("\n", " ")
               .split(",") if c.strip()]
    assert list(card) == [*columns, "source_file", "entity", "admin", "materials"]
    assert card == {
        "id": "E1", "name": "名称E1", "lon": lng, "lat": lat, "precision": "exact",
        "adcode": "110101", "address": None, "synthetic": True, "source": "test_enterprises",
        "source_row": 2, "chains": ["comms", "rescue"], "above_size": True, "leading": True,
        "listed": False, "output_yi": 12.5, "products": None, "city": None,
        "source_file": "geodata/test/enterprises.csv", "entity": "enterprises",
        "admin": {"county": {"adcode": "110101", "name": "东城区"},
                  "city": {"adcode": "110100", "name": "北京市"},
                  "province": {"adcode": "110000", "name": "北京市"}},
        "materials": []}  # no capacity rows in the test world
    assert type(card["source_row"]) is int and type(card["synthetic"]) is bool
    assert facility_card(world, "enterprises", "E3")["output_yi"] is None  # NaN -> None
    dumps(card)


def test_facility_card_other_entities(world):
    park = facility_card(world, "parks", "P4")
    assert (park["level"], park["chains"], park["role"]) == (None, ["rescue"], None)
    assert park["admin"]["city"] == {"adcode": "130100", "name": "石家庄市"}  # via parent
    reserve = facility_card(world, "reserves", "R3")
    assert (reserve["tier"], reserve["kind"], reserve["categories"]) == (
        "county", "capacity", ["帐篷"])
    assert reserve["source_file"] == "geodata/test/reserves.csv"
    dumps([park, reserve])


def test_facility_card_unknown_id(world):
    with pytest.raises(NotFoundError) as excinfo:
        facility_card(world, "parks", "E1")  # an enterprise id is no park
    err = excinfo.value
    assert isinstance(err, LookupError) and not isinstance(err, KeyError)
    assert str(err) == "no parks with id 'E1' in the store"
    assert (err.code, err.params) == ("unknown_facility", {"entity": "parks", "id": "E1"})


@pytest.mark.parametrize("entity, fid, words", [
    ("admin_units", "x", "unknown entity 'admin_units'"),
    (None, "x", "unknown entity None"),
    ("parks", 1, "id must be a string, got int"),
    ("parks", None, "id must be a string"),
    ("parks", "", "id must have 1 to 200 characters, got 0"),
    ("parks", "P" * 201, "got 201"),
])
def test_facility_card_rejects_bad_input(world, entity, fid, words):
    with pytest.raises(ValueError, match=words):
        facility_card(world, entity, fid)


def test_sql_in_ids_is_only_a_value(world):
    with pytest.raises(NotFoundError):
        facility_card(world, "parks", "P1' OR '1'='1")


# --- the demo store -------------------------------------------------------------------------


def test_demo_cell_card(demo_db):
    store = Store(demo_db)
    try:
        card = cell_card(store, 39.9, 116.4, 8)  # Tiananmen (its time: tests/bench/bench_latency.py)
        assert card["admin"]["county"]["name"] == "东城区"
        assert [h["hazard"] for h in card["hazards"]] == ["flood", "earthquake", "wildfire", "seismicity",
                                                          "eq_max_magnitude", "faults"]
        assert all(h["cls"] is not None for h in card["hazards"])  # the catalogue has events in this cell
        dumps(card)
    finally:
        store.close()
