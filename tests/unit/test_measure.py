"""layers.measure_shapes against closed forms on the WGS-84 ellipsoid (independent of pyproj):
a stretch of the equator is a * dlon; a lon/lat box's area is the ellipsoid's zone formula."""

from __future__ import annotations

import math

import pytest

from layers import measure_shapes

A = 6378137.0
F = 1 / 298.257223563
E2 = F * (2 - F)
B = A * (1 - F)


def zone_area(lat1: float, lat2: float, dlon: float) -> float:
    """Area (m²) between two parallels over ``dlon`` degrees on the ellipsoid (closed form)."""
    e = math.sqrt(E2)

    def q(lat: float) -> float:
        s = math.sin(math.radians(lat))
        return s / (1 - E2 * s * s) + math.log((1 + e * s) / (1 - e * s)) / (2 * e)

    return math.radians(dlon) * B * B / 2 * (q(lat2) - q(lat1))


def fc(*geoms: dict) -> dict:
    return {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": g}
                                                      for g in geoms]}


def test_mea001_equator_length_and_box_area():
    line = {"type": "LineString", "coordinates": [[10.0, 0.0], [10.5, 0.0], [12.0, 0.0]]}
    box = {"type": "Polygon", "coordinates": [[[116, 39], [117, 39], [117, 40], [116, 40], [116, 39]]]}
    out = measure_shapes(fc(line, box, {"type": "Point", "coordinates": [116, 39]}))
    assert [o["kind"] for o in out] == ["line", "polygon"]  # the marker is skipped
    assert out[0]["length_m"] == pytest.approx(A * math.radians(2.0), rel=1e-9)
    # the box's edges along meridians are geodesics, along parallels not: the geodesic polygon
    # differs from the lon/lat box by a thin sliver (< 0.2 %)
    assert out[1]["area_m2"] == pytest.approx(zone_area(39, 40, 1), rel=2e-3)
    reversed_box = {"type": "Polygon", "coordinates": [box["coordinates"][0][::-1]]}
    assert measure_shapes(fc(reversed_box))[0]["area_m2"] == pytest.approx(out[1]["area_m2"], rel=1e-12)


def test_mea002_equator_box_area_is_exact():
    # on the equator's parallel the geodesic edge is the parallel, so a box touching it differs
    # only along its northern edge; a narrow box (0.01 deg) keeps that below 1e-6
    box = {"type": "Polygon", "coordinates": [[[0, 0], [0.01, 0], [0.01, 0.01], [0, 0.01], [0, 0]]]}
    assert measure_shapes(fc(box))[0]["area_m2"] == pytest.approx(zone_area(0, 0.01, 0.01), rel=1e-6)


def test_mea003_a_hole_is_subtracted():
    outer = [[116, 39], [117, 39], [117, 40], [116, 40], [116, 39]]
    hole = [[116.2, 39.2], [116.4, 39.2], [116.4, 39.4], [116.2, 39.4], [116.2, 39.2]]
    whole = measure_shapes(fc({"type": "Polygon", "coordinates": [outer]}))[0]
    holed = measure_shapes(fc({"type": "Polygon", "coordinates": [outer, hole]}))[0]
    inner = measure_shapes(fc({"type": "Polygon", "coordinates": [hole]}))[0]
    assert holed["area_m2"] == pytest.approx(whole["area_m2"] - inner["area_m2"], rel=1e-12)
    assert holed["perimeter_m"] == whole["perimeter_m"]


@pytest.mark.parametrize("shapes, words", [
    ({"type": "Feature"}, "expected a GeoJSON FeatureCollection"),
    (fc({"type": "LineString", "coordinates": [[116, 39]]}), "shape 1: found list of 1 positions"),
    (fc({"type": "LineString", "coordinates": [[116, 39], [200, 39]]}), "shape 1: found position [200, 39]"),
    (fc({"type": "LineString", "coordinates": [[116, 39], [float("nan"), 39]]}), "expected [longitude"),
    (fc({"type": "Polygon", "coordinates": []}), "shape 1: found a polygon without rings"),
    (fc(*[{"type": "Point", "coordinates": [0, 0]}] * 51), "expected at most 50"),
])
def test_mea004_bad_shapes_are_named(shapes, words):
    with pytest.raises(ValueError) as excinfo:
        measure_shapes(shapes)
    assert words in str(excinfo.value)
