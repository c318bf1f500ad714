"""Tests of the report's SVG maps and charts (layers.report.figures, .cartography, .charts):
well-formed XML, drawn things counted against the data, label boxes, the scale bar against
geodesic distances (pyproj.Geod), dissolved hexagons against per-cell areas, escaping, empty
hazards."""

from __future__ import annotations

import dataclasses
import math
import re
import xml.etree.ElementTree as ET

import h3
import numpy as np
import pandas as pd
import pyproj
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layers.map.colours import hazard_palette
from layers.report.build import build_report
from layers.report.cartography import cells_path, label_box, make_frame, place_labels, ring_path
from layers.report.charts import (
    chain_heatmap_svg,
    coverage_chart_svg,
    hours_histogram_svg,
    reach_colour,
)
from layers.report.figures import GAP_COLOUR, HOURS_COLOURS, gap_map_svg, hazard_map_svg, hours_bin
from layers.report.model import ReportError
from layers.report.svg import text_width, wrap
from tests.unit import world as W

RES = 7
NS = {"s": "http://www.w3.org/2000/svg"}
GEOD = pyproj.Geod(ellps="WGS84")
MAPS = (hazard_map_svg, gap_map_svg)
HAZARD_CHARTS = (coverage_chart_svg, hours_histogram_svg)
#: Earthquake classes rewritten in the tiny world so that a map has several (0, 1 not at risk).
CLASSES_SQL = ("UPDATE hazard_cells SET class = CAST((cell >> 24) % 4 AS INT) WHERE hazard = 'earthquake' "
               "AND cell IN (SELECT cell FROM admin_cells WHERE city = '110100')",)
NASTY = 'A<&>"B'


@pytest.fixture(scope="module")
def store(world_with):
    meta = {"standards": W.STANDARDS, "chains_by_hazard": {"earthquake": ["rescue", "comms", "firefighting"],
                                                          "wildfire": ["medical"]}}
    return world_with(meta, CLASSES_SQL + (f"UPDATE admin_units SET name = '{NASTY}' WHERE adcode = '110101'",))


@pytest.fixture(scope="module")
def beijing(store):
    """北京市 (two child counties), a tight county standard so that some cells are gaps."""
    return build_report(store, "110100", "earthquake", res=RES, hours_by_tier={"county": 0.55}, siting_k=0)


@pytest.fixture(scope="module")
def empty(store):
    """桥西区: hazard data of class 0 only, no at-risk cell."""
    return build_report(store, "130104", "earthquake", res=RES, siting_k=0)


def parse(svg: str, width_mm: float = 170) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert re.fullmatch(rf"0 0 {width_mm * 4:g} [\d.]+", root.get("viewBox")) and root.get("width") == f"{width_mm:g}mm"
    height = float(root.get("viewBox").split()[3])
    assert float(root.get("height").removesuffix("mm")) == pytest.approx(height / 4, abs=0.01)
    assert "Noto Sans CJK SC" in root.get("font-family")
    return root


def by_class(root: ET.Element, name: str, tag: str = "*") -> list[ET.Element]:
    return [e for e in root.iter(f"{{{NS['s']}}}{tag}" if tag != "*" else None)
            if name in (e.get("class") or "").split()]


def frame_box(root: ET.Element) -> tuple[float, float, float, float]:
    (rect,) = by_class(root, "frame", "rect")
    x, y, w, h = (float(rect.get(k)) for k in ("x", "y", "width", "height"))
    return x, y, x + w, y + h


def symbol_centre(e: ET.Element) -> tuple[float, float]:
    if e.tag.endswith("circle"):
        return float(e.get("cx")), float(e.get("cy"))
    pts = np.array([float(v) for v in re.findall(r"-?[\d.]+", e.get("d"))]).reshape(-1, 2)
    return float((pts[:, 0].min() + pts[:, 0].max()) / 2), float((pts[:, 1].min() + pts[:, 1].max()) / 2)


def path_rings(d: str) -> list[np.ndarray]:
    """Absolute rings of path data written as ``M x y l dx dy ... z`` (the oracle parser)."""
    rings = []
    for m in re.finditer(r"M([^l]+)l([^z]*)z", d):
        start = np.array([float(v) for v in m.group(1).split()])
        deltas = np.array([float(v) for v in m.group(2).split()]).reshape(-1, 2)
        rings.append(np.vstack([start, start + np.cumsum(deltas, axis=0)]))
    return rings


def shoelace(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


# --- every figure -----------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_figure_is_a_well_formed_svg(beijing, empty, lang):
    for report in (beijing, empty):
        for fn in (*MAPS, *HAZARD_CHARTS):
            for title in (True, False):
                root = parse(fn(report, "earthquake", lang, title=title))
                assert bool(by_class(root, "title")) is title
        parse(chain_heatmap_svg(report, lang))


def test_bad_hazard_and_lang_raise(beijing):
    for fn in (*MAPS, *HAZARD_CHARTS):
        with pytest.raises(ReportError, match="hazard: found 'flood'"):
            fn(beijing, "flood")
        with pytest.raises(ValueError, match="lang: found 'fr'"):
            fn(beijing, "earthquake", "fr")
    with pytest.raises(ValueError, match="lang"):
        chain_heatmap_svg(beijing, "fr")


def test_names_are_escaped(beijing):
    svg = hazard_map_svg(beijing, "earthquake")
    assert NASTY not in svg and "A&lt;&amp;&gt;" in svg
    labels = [e.text for e in by_class(parse(svg), "label", "text")]
    assert NASTY in labels and "西城区" in labels


# --- maps -------------------------------------------------------------------------------------

def test_hazard_map_draws_and_lists_every_class_present(beijing):
    root = parse(hazard_map_svg(beijing, "earthquake", "en"))
    hc = beijing.maps["hazard_cells"]
    present = sorted(set(hc["hazard_class"]))
    assert len(present) >= 3  # the fixture's classes
    drawn = sorted(int(e.get("class").split("class-")[1]) for e in by_class(root, "cells", "path"))
    assert drawn == present
    swatches = [int(e.get("data-class")) for e in by_class(root, "swatch", "rect") if e.get("data-class")]
    assert swatches == present
    palette = hazard_palette("earthquake", max(present) + 1)
    for e in by_class(root, "cells", "path"):
        k = int(e.get("class").split("class-")[1])
        assert e.get("fill") == e.get("stroke") == palette[k]  # stroked in its fill: no seams


def test_dissolved_classes_cover_the_area_of_their_cells(beijing):
    """Per class, the area enclosed by the path equals the sum of the cells' projected areas."""
    root = parse(hazard_map_svg(beijing, "earthquake"))
    g = root.find(".//s:g[@class='map']", NS)
    tr = pyproj.Transformer.from_crs("EPSG:4326", g.get("data-crs"), always_xy=True)
    scale = float(g.get("data-scale"))
    hc = beijing.maps["hazard_cells"]
    for e in by_class(root, "cells", "path"):
        k = int(e.get("class").split("class-")[1])
        enclosed = abs(sum(shoelace(r) for r in path_rings(e.get("d"))))
        expect = 0.0
        for cell in hc.loc[hc["hazard_class"] == k, "cell"]:
            lat, lon = np.array(h3.cell_to_boundary(cell)).T
            x, y = tr.transform(lon, lat)
            expect += abs(shoelace(np.column_stack([x, y]))) * scale ** 2
        assert enclosed == pytest.approx(expect, rel=0.02)


def test_facilities_inside_the_frame_are_drawn_once(beijing):
    fac = beijing.maps["facilities"]
    for fn, kinds in ((hazard_map_svg, {"reserve", "park", "enterprise"}), (gap_map_svg, {"reserve"})):
        root = parse(fn(beijing, "earthquake"))
        ids = [e.get("data-id") for e in root.iter() if "fac" in (e.get("class") or "").split()]
        assert len(ids) == len(set(ids))
        inside = set(fac.loc[fac["inside"] & fac["kind"].isin(kinds), "id"])
        assert inside <= set(ids) and set(ids) <= set(fac.loc[fac["kind"].isin(kinds), "id"])
        assert "R4" not in ids  # 路南区, far outside the frame: counted in the legend note instead
        notes = [e.text for e in by_class(root, "legend-note", "text")]
        assert any("另有 1 个" in (n or "") for n in notes)
        x0, y0, x1, y1 = frame_box(root)
        for e in root.iter():
            if "fac" in (e.get("class") or "").split():
                x, y = symbol_centre(e)
                assert x0 < x < x1 and y0 < y < y1
        tiers = {e.get("class").split()[-1] for e in root.iter() if "reserve" in (e.get("class") or "").split()}
        assert tiers == set(fac.loc[fac["kind"].eq("reserve") & fac["id"].isin(ids), "category"])


def test_scale_bar_matches_geodesic_distances(beijing):
    root = parse(gap_map_svg(beijing, "earthquake"))
    (bar,) = by_class(root, "scalebar", "g")
    km = float(bar.get("data-km"))
    assert re.fullmatch(r"[125]0*(\.0+)?|0\.0*[125]", f"{km:g}")
    length = sum(float(r.get("width")) for r in by_class(bar, "bar", "rect"))
    assert length == pytest.approx(float(bar.get("data-length")), abs=0.01)
    # 1) the bar: the projected distance of a geodesic of km kilometres from the map centre
    g = root.find(".//s:g[@class='map']", NS)
    crs = g.get("data-crs")
    lon0, lat0 = (float(re.search(rf"\+{k}=([-\d.]+)", crs).group(1)) for k in ("lon_0", "lat_0"))
    lon1, lat1, _ = GEOD.fwd(lon0, lat0, 90, km * 1000)
    tr = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    (xa, xb), (ya, yb) = tr.transform([lon0, lon1], [lat0, lat1])
    assert length == pytest.approx(math.hypot(xb - xa, yb - ya) * float(g.get("data-scale")), rel=1e-3)
    # 2) the drawing: two symbols' distance measured with the bar equals their geodesic distance
    fac = beijing.maps["facilities"].set_index("id")
    pos = {e.get("data-id"): symbol_centre(e) for e in root.iter() if e.get("data-id")}
    (a, pa), (b, pb) = sorted(pos.items())[:2]
    drawn_km = math.dist(pa, pb) / length * km
    _, _, metres = GEOD.inv(fac.at[a, "lon"], fac.at[a, "lat"], fac.at[b, "lon"], fac.at[b, "lat"])
    assert drawn_km == pytest.approx(metres / 1000, rel=0.01, abs=0.02)


def test_map_labels_do_not_overlap_and_stay_in_the_frame(beijing):
    for fn in MAPS:
        root = parse(fn(beijing, "earthquake"))
        boxes = [label_box(e.text, float(e.get("x")), float(e.get("y")) - 0.35 * float(e.get("font-size")),
                           float(e.get("font-size"))) for e in by_class(root, "label", "text")]
        assert len(boxes) == 2
        x0, y0, x1, y1 = frame_box(root)
        for i, a in enumerate(boxes):
            assert x0 <= a[0] and a[2] <= x1 and y0 <= a[1] and a[3] <= y1
            for b in boxes[i + 1:]:
                assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])


def test_gap_map_bins_and_hatches_the_gap(beijing):
    root = parse(gap_map_svg(beijing, "earthquake", "en"))
    cells = beijing.maps["cells"]
    assert cells["gap"].any() and not cells["gap"].all()
    bins = set(hours_bin(cells["first_batch_hours"].to_numpy()).tolist())
    paths = {e.get("class").split()[-1]: e for e in by_class(root, "cells", "path")}
    assert set(paths) == {f"bin-{b}" for b in bins} | {"gap"}
    for b in bins:
        assert paths[f"bin-{b}"].get("fill") == HOURS_COLOURS[b]
    assert paths["gap"].get("stroke") == GAP_COLOUR and paths["gap"].get("fill").startswith("url(#hatch-")
    legend = [e.get("data-bin") for e in by_class(root, "swatch", "rect")]
    assert legend == [str(b) for b in range(len(HOURS_COLOURS))] + ["gap"]
    texts = [e.text for e in by_class(root, "legend-item", "text")]
    assert any("0.55 h" in t for t in texts)
    gap_area = sum(abs(sum(shoelace(r) for r in path_rings(paths["gap"].get("d")))) for _ in [0])
    all_area = sum(abs(sum(shoelace(r) for r in path_rings(paths[f"bin-{b}"].get("d")))) for b in bins)
    share = cells.loc[cells["gap"], "area_km2"].sum() / cells["area_km2"].sum()
    assert gap_area / all_area == pytest.approx(share, rel=0.02)


def test_hours_bins_hand_computed():
    hours = [0.0, 0.99, 1.0, 1.5, 3.9, 4.0, 6.0, 7.99, 8.0, 50.0, math.nan]
    assert hours_bin(np.array(hours)).tolist() == [0, 0, 1, 1, 2, 3, 4, 4, 5, 5, -1]


@pytest.mark.parametrize("fn", MAPS)
def test_empty_hazard_still_maps_outlines_and_facilities(empty, fn):
    root = parse(fn(empty, "earthquake"))
    assert by_class(root, "unit", "path") and by_class(root, "scalebar", "g") and by_class(root, "north", "g")
    note = by_class(root, "map-note", "g")
    assert note and "无风险区" in "".join(note[0].itertext())
    drawn = {e.get("data-id") for e in root.iter() if e.get("data-id")}
    fac = empty.maps["facilities"]
    kinds = {"reserve"} if fn is gap_map_svg else {"reserve", "park", "enterprise"}
    assert set(fac.loc[fac["inside"] & fac["kind"].isin(kinds), "id"]) <= drawn
    if fn is gap_map_svg:
        assert not by_class(root, "cells", "path")


def test_synthetic_layer_is_tagged(beijing):
    assert [e.text for e in by_class(parse(hazard_map_svg(beijing, "earthquake")), "synthetic", "text")] == ["合成数据"]
    real = dataclasses.replace(beijing, cover={**beijing.cover, "hazards": [
        {**h, "synthetic": False} for h in beijing.cover["hazards"]]}, maps={
        **beijing.maps, "facilities": beijing.maps["facilities"].assign(synthetic=False)})
    root = parse(hazard_map_svg(real, "earthquake", title=False))
    assert not by_class(root, "synthetic", "text") and float(frame_box(root)[1]) < 5


def test_class_labels_come_from_the_layer_when_the_cover_has_them(beijing):
    layer = next(lab for h, _, _, lab in W.LAYERS if h == "earthquake")
    cover = {**beijing.cover, "hazards": [{**h, "labels": layer} for h in beijing.cover["hazards"]]}
    root = parse(hazard_map_svg(dataclasses.replace(beijing, cover=cover), "earthquake"))
    texts = [e.text for e in by_class(root, "legend-item", "text")]
    present = sorted(set(beijing.maps["hazard_cells"]["hazard_class"]))
    assert texts[:len(present)] == [f"{k} · {layer[k]}" for k in present]
    fills = [e.get("fill") for e in by_class(root, "swatch", "rect")]
    assert fills == [hazard_palette("earthquake", len(layer))[k] for k in present]


# --- paths and labels -------------------------------------------------------------------------

def test_ring_path_round_trips_and_drops_repeated_and_collinear_points():
    ring = np.array([[0, 0], [5, 0], [10, 0], [10, 0.02], [10, 10], [0, 10], [0, 0]], float) + 100.04
    d = ring_path(ring)
    (back,) = path_rings(d)
    square = [(100, 100), (110, 100), (110, 110), (100, 110)]
    i = square.index(tuple(back[0]))
    assert [tuple(p) for p in back] == square[i:] + square[:i]  # the same ring, from another start
    assert ring_path(np.array([[0, 0], [0.01, 0], [0, 0.01]])) == ""
    assert ring_path(np.array([[0, 0], [1, 1], [2, 2]])) == ""


def test_cells_path_is_seamless_between_neighbours():
    """Two neighbouring cells dissolve into one ring (no shared edge drawn)."""
    c = h3.latlng_to_cell(39.9, 116.4, 7)
    pair = [c, h3.grid_ring(c, 1)[0]]
    import shapely  # noqa: PLC0415

    frame = make_frame(shapely.box(116.3, 39.8, 116.5, 40.0), 0, 0, 500)
    assert len(path_rings(cells_path(frame, pair))) == 1
    assert len(path_rings(cells_path(frame, [c, h3.grid_ring(c, 3)[0]]))) == 2


def overlapping(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["路南区", "曹妃甸区", "Anytown", "乐亭县", "x"]),
                          st.floats(0, 300), st.floats(0, 200)), max_size=25))
def test_place_labels_never_overlaps(items):
    bounds = (0.0, 0.0, 300.0, 200.0)
    obstacle = (0.0, 170.0, 80.0, 200.0)
    placed, skipped = place_labels(items, bounds, [obstacle])
    assert len(placed) + len(skipped) == len(items)
    for i, a in enumerate(placed):
        assert bounds[0] <= a.box[0] and a.box[2] <= bounds[2] and bounds[1] <= a.box[1] and a.box[3] <= bounds[3]
        assert not overlapping(a.box, obstacle)
        assert a.box == pytest.approx(label_box(a.text, a.x, a.y - 0.35 * a.size, a.size))
        for b in placed[i + 1:]:
            assert not overlapping(a.box, b.box)


def test_place_labels_keeps_points_when_there_is_room_and_moves_when_crowded():
    placed, skipped = place_labels([("东城区", 100, 100), ("西城区", 300, 100)], (0, 0, 400, 200))
    assert [(p.x, p.y - 0.35 * p.size) for p in placed] == [(100, 100), (300, 100)] and not skipped
    placed, skipped = place_labels([("东城区", 100, 100), ("西城区", 102, 100)], (0, 0, 400, 200))
    assert len(placed) == 2 and not overlapping(placed[0].box, placed[1].box) and placed[0].x == 100
    placed, skipped = place_labels([("东城区", 20, 10), ("西城区", 20, 10)], (0, 0, 40, 20))
    assert len(placed) == 1 and skipped == ["西城区"]


def test_text_width_and_wrap():
    assert text_width("唐山市", 10) == pytest.approx(30) and text_width("ab1", 10) == pytest.approx(16.5)
    lines = wrap("超过县级标准 6 小时（缺口）", 10, 120)
    assert "".join(lines).replace(" ", "") == "超过县级标准6小时（缺口）" and not lines[-1].startswith("）")
    assert all(text_width(s, 10) <= 120 + 10 for s in lines)
    assert wrap("Enterprise production capacity", 10, 120) == ["Enterprise production", "capacity"]


# --- charts -----------------------------------------------------------------------------------

def test_coverage_chart_bars_and_labels_equal_the_values(beijing):
    root = parse(coverage_chart_svg(beijing, "earthquake", "en"))
    rows = beijing.charts["coverage_by_tier"]
    bars = by_class(root, "bar", "rect")
    values = [e.text for e in by_class(root, "value", "text")]
    assert values == [f"{v * 100:.1f}%" for v in rows["share_covered"]]
    assert [b.get("data-tier") for b in bars] == rows["tier"].tolist()
    widths = np.array([float(b.get("width")) for b in bars])
    full = widths[rows["share_covered"].to_numpy() == 1.0][0]
    assert widths / full == pytest.approx(rows["share_covered"].to_numpy(), abs=1e-6)
    cats = [e.text for e in by_class(root, "category", "text")]
    assert cats == ["County reserve (0.55 h)", "Municipal reserve (8 h)", "National reserve (10 h)"]
    narrow = parse(coverage_chart_svg(beijing, "earthquake", "en", width_mm=83), width_mm=83)
    rows_text = {}
    for e in by_class(narrow, "category", "text"):
        rows_text.setdefault(e.get("data-tier"), []).append(e.text)
    assert {k: " ".join(v) for k, v in rows_text.items()} == {"county": "County reserve (0.55 h)",
                                                              "municipal": "Municipal reserve (8 h)",
                                                              "national": "National reserve (10 h)"}
    assert [e.text for e in by_class(narrow, "value", "text")] == values
    for e in (*by_class(narrow, "category", "text"), *by_class(narrow, "axis-title", "text")):
        half = text_width(e.text, float(e.get("font-size"))) / 2
        x = float(e.get("x"))
        lo, hi = {"end": (x - 2 * half, x), "middle": (x - half, x + half)}[e.get("text-anchor")]
        assert 0 <= lo and hi <= 332, e.text  # inside the 83 mm viewBox


def test_coverage_chart_of_an_empty_unit_prints_dashes(empty):
    root = parse(coverage_chart_svg(empty, "earthquake"))
    assert not by_class(root, "bar", "rect")
    assert {e.text for e in by_class(root, "value", "text")} == {"—"}


def test_histogram_bar_heights_are_proportional_to_area(beijing):
    hist = pd.DataFrame({"hazard": "earthquake", "from_hours": [0.0, 0.5, 1.0, 1.5, math.inf],
                         "to_hours": [0.5, 1.0, 1.5, 2.0, math.inf], "cells": [0, 3, 5, 1, 2],
                         "area_km2": [0.0, 30.0, 50.0, 10.0, 20.0]})
    hist["area_share"] = hist["area_km2"] / hist["area_km2"].sum()
    report = dataclasses.replace(beijing, charts={**beijing.charts, "hours_histogram": hist})
    root = parse(hours_histogram_svg(report, "earthquake", "en"))
    bars = by_class(root, "bar", "rect")
    assert len(bars) == len(hist) and len(by_class(root, "unreached", "rect")) == 1
    heights = np.array([float(b.get("height")) for b in bars])
    assert heights == pytest.approx(hist["area_km2"].to_numpy() * heights[2] / 50.0, abs=1e-3)
    colours = [b.get("fill") for b in bars]
    assert colours[1] == "#4292c6" and colours[2] == colours[3] == "#d7301f"  # standard 0.55 h
    (line,) = by_class(root, "standard", "line")
    x = [float(b.get("x")) - 0.5 for b in bars[:3]]
    hx = (x[1] - x[0]) / 0.5
    assert float(line.get("x1")) == pytest.approx(x[0] + 0.55 * hx, abs=0.01)
    assert "Unreachable" in [e.text for e in by_class(root, "xtick", "text")]


def test_histogram_of_an_empty_unit_says_so(empty):
    root = parse(hours_histogram_svg(empty, "earthquake"))
    assert not by_class(root, "bar", "rect") and [e.text for e in by_class(root, "note", "text")] == ["无风险区"]


def test_chain_heatmap_cells_headers_and_values(store):
    report = build_report(store, "110000", "all", res=RES, siting_k=0)
    cm = report.tables["chain_matrix"]
    cols = [c for c in cm.columns if ":" in c]
    cm = pd.concat([cm, cm.assign(city="999999", city_name=NASTY, **{cols[0]: np.nan})], ignore_index=True)
    report = dataclasses.replace(report, tables={**report.tables, "chain_matrix": cm})
    root = parse(chain_heatmap_svg(report, "zh"))
    cells = by_class(root, "cell", "rect")
    assert len(cells) == len(cm) * len(cols)
    for e, v in zip(cells, cm[cols].to_numpy(float).ravel()):
        assert e.get("fill") == reach_colour(v)
    assert reach_colour(math.nan) == "#bdbdbd" and reach_colour(0.0) == "#bd0026" and reach_colour(1) == "#ffffb2"
    values = [e.text for e in by_class(root, "value", "text")]
    assert values == ["—" if math.isnan(v) else f"{v * 100:.1f}%" for v in cm[cols].to_numpy(float).ravel()]
    assert [e.text for e in by_class(root, "row-header", "text")] == ["北京市", NASTY]
    assert [e.text for e in by_class(root, "col-header", "text")] == ["医学救援装备", "抢险救援装备", "应急通信装备",
                                                                      "消防救援装备"]
    assert [e.text for e in by_class(root, "group-header", "text")] == ["森林火灾", "地震"]


def test_numbers_use_the_report_formats():
    from layers.report.formats import NUMBER_FORMATS  # noqa: PLC0415
    from layers.report.svg import fmt  # noqa: PLC0415

    column = {"share": "gap_share", "hours": "worst_hours", "km2": "area_km2", "people": "population",
              "int": "cells", "number": "gap_score"}
    for kind, excel in NUMBER_FORMATS.items():
        decimals = len(excel.split(".")[1].rstrip("%")) if "." in excel else 0
        shown = fmt(1234.5678 if kind != "share" else 0.123456, column[kind], "en")
        places = len(shown.rstrip("%").split(".")[1]) if "." in shown else 0
        assert places == decimals, (kind, shown)
        assert ("," in shown) == ("," in excel), (kind, shown)
    assert fmt(math.inf, "worst_hours", "zh") == "无法到达" and fmt(None, "gap_share") == "—"


def test_maps_without_hazard_data_or_outlines(beijing):
    no_cells = beijing.maps["hazard_cells"].iloc[0:0]
    no_data = dataclasses.replace(beijing, maps={**beijing.maps, "hazard_cells": no_cells})
    root = parse(hazard_map_svg(no_data, "earthquake"))
    assert "无灾害数据" in "".join(by_class(root, "map-note", "g")[0].itertext())
    assert not by_class(root, "cells", "path")
    bare = dataclasses.replace(beijing, maps={**beijing.maps, "outlines": beijing.maps["outlines"].iloc[0:0]})
    for fn in MAPS:
        root = parse(fn(bare, "earthquake"))
        assert not by_class(root, "outline", "path") and not by_class(root, "label", "text")
        assert {e.get("data-id") for e in root.iter() if e.get("data-id")} >= {"R1", "R2"}
