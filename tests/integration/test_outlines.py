"""Admin outlines and labels on the demo store (layers.admin_geojson / admin_labels):
neighbours share their simplified edges (no overlaps, no gaps) and labels sit in the unit's
main part, downtown for 路南区 rather than on its exclave."""

from __future__ import annotations

import pytest
import shapely
from shapely.geometry import shape

from layers import admin_geojson, admin_labels
from layers.map.units import label_point



@pytest.mark.parametrize("level", ["county", "city"])
def test_out001_simplified_neighbours_share_edges(demo_store, level):
    """Sum of areas == area of the union (no overlaps) and the union of simplified outlines
    covers the union of the originals but for the outer edge's simplification (no gaps)."""
    simple = [shape(f["geometry"]) for f in admin_geojson(demo_store, level)["features"]]
    raw = [shape(f["geometry"]) for f in admin_geojson(demo_store, level, tolerance_m=0)["features"]]
    union = shapely.union_all(simple)
    assert sum(g.area for g in simple) == pytest.approx(union.area, rel=1e-4)  # no overlaps
    holes = sum(len(p.interiors) for p in getattr(union, "geoms", [union]))
    raw_union = shapely.union_all(raw)
    raw_holes = sum(len(p.interiors) for p in getattr(raw_union, "geoms", [raw_union]))
    assert holes <= raw_holes  # no slivers opened between neighbours
    assert sum(len(shapely.get_coordinates(g)) for g in simple) < 0.7 * sum(len(shapely.get_coordinates(g)) for g in raw)


def test_out002_labels_inside_the_main_part(demo_store):
    labels = {f["properties"]["name"]: f["geometry"]["coordinates"] for f in admin_labels(demo_store, "county")["features"]}
    lon, lat = labels["路南区"]
    assert 118.05 < lon < 118.35 and 39.45 < lat < 39.7  # downtown 唐山, not the exclave near 117.6
    outlines = {f["properties"]["adcode"]: shape(f["geometry"]) for f in admin_geojson(demo_store, "county", tolerance_m=0)["features"]}
    for f in admin_labels(demo_store, "county")["features"]:
        assert outlines[f["properties"]["adcode"]].buffer(1e-4).contains(shapely.Point(f["geometry"]["coordinates"]))


def test_out003_label_point_rules():
    big = shapely.box(0, 0, 4, 4)
    small = shapely.box(10, 0, 13, 3)  # 9/16 of the big one
    both = shapely.MultiPolygon([big, small])
    assert big.contains(label_point(both))  # no anchor: the largest part
    assert small.contains(label_point(both, shapely.Point(12, 5)))  # nearly as large and nearer the parent
    tiny = shapely.MultiPolygon([big, shapely.box(10, 0, 11, 1)])
    assert big.contains(label_point(tiny, shapely.Point(12, 5)))  # too small to carry the name
