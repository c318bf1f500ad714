"""Tests of etl.admin on a tiny boundary file the tests write: one province, one city and
two square counties side by side."""

from __future__ import annotations

import json
from pathlib import Path

import h3
import numpy as np
import pandas as pd
import pytest
import shapely

from etl.admin import admin_cells_table, admin_units_table, load_admin, point_adcodes
from etl.crs import gcj02_to_wgs84
from etl.errors import DataError
from etl.region import AdminSource

WEST = (116.0, 39.0, 116.3, 39.3)   # county 130102, lon_min, lat_min, lon_max, lat_max
EAST = (116.3, 39.0, 116.6, 39.3)   # county 130104
CITY = (116.0, 39.0, 116.6, 39.3)


def square(b: tuple[float, float, float, float]) -> dict:
    x0, y0, x1, y1 = b
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def feature(adcode, name, level, parent, bounds, key="adcode") -> dict:
    return {"type": "Feature", "geometry": square(bounds),
            "properties": {key: adcode, "name": name, "level": level, "parent": parent}}


def features(key="adcode", county_parent="130100") -> list[dict]:
    return [
        feature("130000", "河北省", "province", None, CITY, key),
        feature("130100", "石家庄市", "city", "130000", CITY, key),
        feature("130102", "长安区", "county", county_parent, WEST, key),
        feature("130104", "桥西区", "county", county_parent, EAST, key),
    ]


def write(tmp_path: Path, feats: list[dict]) -> Path:
    path = tmp_path / "admin.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats},
                               ensure_ascii=False), encoding="utf-8")
    return path


def load(tmp_path: Path, feats=None, crs: str = "WGS84", columns=None):
    path = write(tmp_path, features() if feats is None else feats)
    return load_admin(AdminSource(path=path, crs=crs, columns=columns or {}))


def problems(tmp_path: Path, feats, **kw) -> list[tuple[str, dict]]:
    with pytest.raises(DataError) as excinfo:
        load(tmp_path, feats, **kw)
    return [(p.code, p.params) for p in excinfo.value.problems]


def h3_cells(bounds, res: int) -> set[int]:
    return {h3.str_to_int(c) for c in h3.geo_to_cells(square(bounds), res)}


@pytest.fixture
def admin(tmp_path):
    return load(tmp_path)


# --- load_admin ---------------------------------------------------------------------------------


def test_units_and_hierarchy(admin):
    u = admin.units.set_index("adcode")
    assert list(u.index) == ["130000", "130100", "130102", "130104"]
    assert u.loc["130102", "name"] == "长安区"
    assert (u.loc["130102", "city"], u.loc["130102", "province"]) == ("130100", "130000")
    assert (u.loc["130104", "city"], u.loc["130104", "province"]) == ("130100", "130000")
    assert (u.loc["130100", "city"], u.loc["130100", "province"]) == ("130100", "130000")
    assert u.loc["130000", "province"] == "130000"
    assert pd.isna(u.loc["130000", "city"]) and pd.isna(u.loc["130000", "parent"])
    assert admin.counties()["adcode"].tolist() == ["130102", "130104"]


def test_wgs84_geometry_is_unchanged(admin):
    geom = admin.units.set_index("adcode").loc["130102", "geometry"]
    assert shapely.bounds(geom).tolist() == pytest.approx(list(WEST), abs=1e-12)
    assert geom.area == pytest.approx(0.09)


def test_gcj02_file_is_shifted_to_wgs84(tmp_path):
    admin = load(tmp_path, crs="GCJ02")
    geom = admin.units.set_index("adcode").loc["130104", "geometry"]
    src = np.array(square(EAST)["coordinates"][0])
    lon, lat = gcj02_to_wgs84(src[:, 0], src[:, 1])
    expected = shapely.Polygon(np.column_stack([lon, lat]))
    got = shapely.get_coordinates(shapely.normalize(geom))
    want = shapely.get_coordinates(shapely.normalize(expected))
    assert got.shape == (5, 2)
    assert np.abs(got - want).max() < 1e-9
    assert np.abs(lon - src[:, 0]).min() > 1e-3  # the GCJ-02 offset is hundreds of metres


def test_bad_parent(tmp_path):
    found = problems(tmp_path, features(county_parent="139999"))
    assert [(c, p["row"], p["field"], p["found"]) for c, p in found] == [
        ("unknown_value", 3, "parent", "139999"), ("unknown_value", 4, "parent", "139999")]


def test_bad_level_and_adcode(tmp_path):
    feats = features()
    feats[2]["properties"]["level"] = "district"
    feats[3]["properties"]["adcode"] = "13A104"
    found = problems(tmp_path, feats)
    assert [(c, p["row"], p["found"]) for c, p in found] == [
        ("unknown_value", 3, "district"), ("adcode_unknown", 4, "13A104")]


def test_duplicate_adcode_is_reported_or_merged(tmp_path):
    feats = features()
    feats.append(feature("130102", "长安区", "county", "130100", (116.6, 39.0, 116.7, 39.1)))
    try:
        admin = load(tmp_path, feats)
    except DataError as exc:
        assert any("130102" in p.text("en") for p in exc.problems)
    else:  # a county drawn as two features may also be merged into one unit
        assert admin.units["adcode"].tolist().count("130102") == 1


def test_missing_adcode_column(tmp_path):
    [(code, params)] = problems(tmp_path, features(key="code"))
    assert (code, params["field"]) == ("missing_column", "adcode")
    assert "code" in params["found"]


def test_adcode_column_mapped_by_the_region_file(tmp_path):
    admin = load(tmp_path, features(key="code"), columns={"adcode": "code"})
    assert admin.counties()["adcode"].tolist() == ["130102", "130104"]


def test_unknown_crs(tmp_path):
    assert problems(tmp_path, features(), crs="NOT-A-CRS") == [
        ("crs_unknown", {"found": "NOT-A-CRS"})]


def test_missing_file(tmp_path):
    src = AdminSource(path=tmp_path / "absent.geojson")
    with pytest.raises(DataError) as excinfo:
        load_admin(src)
    assert [p.code for p in excinfo.value.problems] == ["file_not_found"]


# --- cells and points ---------------------------------------------------------------------------


def test_admin_cells_match_h3_polyfill_of_each_county(admin):
    cells = admin_cells_table(admin, (6, 7))
    assert set(cells["res"].tolist()) == {6, 7}
    assert not cells.duplicated(["res", "cell"]).any()
    assert (cells["city"] == "130100").all() and (cells["province"] == "130000").all()
    for res in (6, 7):
        for code, bounds in (("130102", WEST), ("130104", EAST)):
            got = set(cells.loc[(cells["res"] == res) & (cells["county"] == code), "cell"].tolist())
            assert got == h3_cells(bounds, res), (res, code)
    assert len(h3_cells(WEST, 7)) > 100


def test_admin_cells_tiled_at_fine_resolution_match_polyfill(tmp_path):
    # res >= 8 cuts counties into tiles first: the result must not change. The square
    # straddles a tile edge (tiles are 80 edge lengths wide, on a grid anchored at 0).
    step = 40 * 2 * h3.average_hexagon_edge_length(8, "km") / 111.0
    edge_lon = np.ceil(116.3 / step) * step
    edge_lat = np.ceil(39.0 / step) * step
    bounds = (edge_lon - 0.05, edge_lat - 0.03, edge_lon + 0.05, edge_lat + 0.03)
    small = [feature("130000", "省", "province", None, bounds),
             feature("130102", "县", "county", "130000", bounds)]
    cells = admin_cells_table(load(tmp_path, small), (8,))
    assert len(cells) > 50 and not cells.duplicated(["res", "cell"]).any()
    assert set(cells["cell"].tolist()) == h3_cells(bounds, 8)
    assert cells["city"].isna().all() and (cells["province"] == "130000").all()


def test_point_adcodes(admin):
    lon = np.array([116.1, 116.5, 117.5, 116.3001])
    lat = np.array([39.1, 39.2, 39.1, 39.15])
    assert point_adcodes(admin, lon, lat) == ["130102", "130104", None, "130104"]


def test_admin_units_table(admin):
    t = admin_units_table(admin).set_index("adcode")
    # a 0.3 x 0.3 degree square near 39 N: about 33.4 km x 25.9 km
    assert t.loc["130102", "area_km2"] == pytest.approx(865, rel=0.01)
    assert t.loc["130102", "bbox"] == pytest.approx(list(WEST))
    assert WEST[0] < t.loc["130102", "lon"] < WEST[2]
    assert shapely.from_wkb(t.loc["130104", "geometry"]).equals(
        admin.units.set_index("adcode").loc["130104", "geometry"])

