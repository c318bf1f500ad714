"""Map drawing (issue 15): place names in a pane above every data layer, an enterprise alone
in its hexagon drawn as itself, a legend for every layer drawn (analysis hexagons, choropleth,
marks), two or more hazards kept readable (later ones as rings), earthquake visible at region
zoom. At 1600x1000, 1280x720 and 390x844 where the layout matters. Screenshots:
``test-output/screenshots/15-draw-*.png``.

Oracles: the demo store read in the test process (``layers.facilities_in_cell``), the analysis
run in the test process (``mapapp.map_legend.analysis_blocks``), the canvas pixels.
"""

from __future__ import annotations

import contextlib
import math
import re

import h3
import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from layers import facilities_in_cell, hazard_layers
from mapapp import analyses, map_legend
from mapapp.i18n import t
from tests.browser.conftest import mercator_y
from tests.browser.test_analyses import PARAMS, QUIET, AnalysisPanel

SIZES = {"desktop": (1600, 1000), "laptop": (1280, 720), "phone": (390, 844)}
BAODING = "lat=38.87&lng=115.46&z=9"  # 保定's plain: enterprise aggregates, singles and labels
TANGSHAN = "lat=39.63&lng=118.18&z=9"  # earthquake class >= 1 all around, flood too

_PANES_JS = """() => {
    const z = (n) => Number(getComputedStyle(document.querySelector('.leaflet-' + n + '-pane')).zIndex);
    return {labels: z('om-labels'), marker: z('marker'), hazards: z('om-hazards'), analysis: z('om-analysis'),
            overlay: z('overlay'), tooltip: z('tooltip')};
}"""
#: Painted pixels of a pane's canvas and the share of them darker than a near-white (mean RGB < 225).
_CANVAS_DARK_JS = """(pane) => {
    const canvas = document.querySelector('.leaflet-' + pane + '-pane canvas');
    if (!canvas) return [0, 0];
    const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0, dark = 0;
    for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] === 0) continue;
        n++;
        const a = d[i + 3] / 255;  // over the white-ish basemap
        const mean = ((d[i] * a + 255 * (1 - a)) + (d[i + 1] * a + 255 * (1 - a)) + (d[i + 2] * a + 255 * (1 - a))) / 3;
        if (mean < 225) dark++;
    }
    return [n, n ? dark / n : 0];
}"""


@pytest.fixture
def panel(page) -> AnalysisPanel:
    return AnalysisPanel(page)


def _status_res(status: str) -> int:
    m = re.search(r"分辨率 (\d+)", status)
    assert m, status
    return int(m.group(1))


@pytest.mark.parametrize("size", list(SIZES))
def test_brw300_labels_above_data_and_single_enterprises(onemap, page, demo_store, shot, size):
    """Place names sit in their own pane above the markers (aggregates, facilities) and the
    hexagons; no aggregate reads "1": an enterprise alone in its hexagon is drawn as itself,
    and each such point really is alone in its hexagon (the store says so)."""
    w, h = SIZES[size]
    page.set_viewport_size({"width": w, "height": h})
    onemap.open(f"{BAODING}&layers=enterprises&hz=flood")
    z = page.evaluate(_PANES_JS)
    assert z["labels"] > z["marker"] > z["overlay"] and z["labels"] > z["hazards"] and z["labels"] > z["analysis"]
    assert z["labels"] < z["tooltip"], z  # tooltips stay readable over the names
    assert page.locator(".leaflet-om-labels-pane .om-label").count() >= 5
    assert page.locator(".leaflet-marker-pane .om-label, .leaflet-overlay-pane .om-label").count() == 0

    features = onemap.prop("map-points-enterprises", "data")["features"]
    aggs = [f["properties"] for f in features if f["properties"].get("agg")]
    alone = [f for f in features if not f["properties"].get("agg")]
    assert aggs and alone and all(a["count"] >= 2 for a in aggs)
    assert "1" not in page.locator(".om-agg").all_inner_texts()
    res = _status_res(onemap.status("enterprises"))
    (south, west), (north, east) = onemap.prop("map-leaflet", "bounds")
    checked = 0
    for f in alone:
        lon, lat = f["geometry"]["coordinates"]
        stored = min(r for r in demo_store.meta["resolutions"] if r >= res)
        cell = h3.cell_to_parent(h3.latlng_to_cell(lat, lon, stored), res)
        if not all(south < y < north and west < x < east for y, x in h3.cell_to_boundary(cell)):
            continue  # a cell cut by the view's edge counts only its points in view
        assert facilities_in_cell(demo_store, "enterprises", cell, limit=3)["count"] == 1, f["properties"]
        checked += 1
        if checked == 15:
            break
    assert checked >= 5
    shot(page, f"15-draw-labels-{size}")

    if size != "desktop":
        return
    # click the single enterprise furthest from every other mark: its own card opens
    (south, west), (north, east) = onemap.prop("map-leaflet", "bounds")
    box = onemap.map_box()

    def pixel(f):  # Web Mercator from the bounds read once (MapPage.to_page reads them per call)
        lng, lat = f["geometry"]["coordinates"]
        share = (mercator_y(north) - mercator_y(lat)) / (mercator_y(north) - mercator_y(south))
        return box["x"] + (lng - west) / (east - west) * box["width"], box["y"] + share * box["height"]

    where = {id(f): pixel(f) for f in features}
    inside = [f for f in alone if box["x"] + 0.3 * box["width"] < where[id(f)][0] < box["x"] + 0.6 * box["width"]
              and box["y"] + 0.2 * box["height"] < where[id(f)][1] < box["y"] + 0.8 * box["height"]]
    target = max(inside, key=lambda f: min(math.dist(where[id(f)], where[id(g)]) for g in features if g is not f))
    page.mouse.click(*where[id(target)])
    onemap.wait()
    expect(page.locator("#map-card")).to_contain_text(target["properties"]["name"])
    assert page.locator("#map-card-aggregate").count() == 0


def test_brw301_every_drawn_analysis_layer_has_a_floating_legend(panel, page, demo_store, shot):
    """Gaps draws hexagons and a county choropleth: the floating legend has a block for each,
    the choropleth's rows are rounded shares; siting's new coverage is magenta, not a blue."""
    panel.open(QUIET)
    panel.run("gaps", PARAMS["gaps"])
    expected = map_legend.analysis_blocks(analyses.run(demo_store, analyses.Params.from_controls(
        {"kind": "gaps", **PARAMS["gaps"]}), "zh"), "zh")
    blocks = page.locator("#map-legend .om-legend-analysis")
    expect(blocks).to_have_count(len(expected))
    assert [b.get_attribute("data-layer") for b in blocks.all()] == ["ana-hex-layer", "ana-choropleth"]
    choro = page.locator('#map-legend [data-layer="ana-choropleth"] .om-legend-row').all_inner_texts()
    assert [c.strip() for c in choro] == ["无缺口", "< 10%", "10% – 30%", "30% – 60%", "≥ 60%"]
    drawn = {f["c"] for f in panel.feature_props("ana-choropleth")}
    assert max(drawn) < len(choro)
    assert panel.prop("ana-choropleth", "hideout")["palette"] == [r["colour"] for r in expected[1]["rows"]]
    shot(page, "15-draw-legend-gaps")

    panel.run("siting", PARAMS["siting"])
    rows = page.locator('#map-legend [data-layer="ana-hex-layer"] .om-legend-row')
    expect(rows.filter(has_text=t("ana.siting.new", "zh"))).to_have_count(1)
    colour = rows.filter(has_text=t("ana.siting.new", "zh")).locator(".om-swatch").evaluate(
        "e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(197, 27, 125)"  # #c51b7d
    expect(page.locator('#map-legend [data-layer="ana-overlay"] .om-legend-row')).to_have_text(
        [t("legend.ana.site", "zh")])
    shot(page, "15-draw-legend-siting")
    page.click("#ana-clear")
    expect(page.locator("#map-legend .om-legend-analysis")).to_have_count(0)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_brw302_two_hazards_stay_readable(onemap, page, shot, size):
    """Flood and earthquake together: flood filled, earthquake as rings inside its hexagons
    (the legend says so); flood off: earthquake filled again, the note gone."""
    w, h = SIZES[size]
    page.set_viewport_size({"width": w, "height": h})
    onemap.open(f"{TANGSHAN}&layers=&hz=flood,earthquake")
    flood = {"type": "map-hex-layer", "layer": "flood"}
    quake = {"type": "map-hex-layer", "layer": "earthquake"}
    assert onemap.prop(flood, "hideout")["mode"] == "fill"
    assert onemap.prop(quake, "hideout")["mode"] == "outline"
    ring = onemap.prop(quake, "data")["features"][0]
    cell = ring["id"]
    lat, lng = h3.cell_to_latlng(cell)
    full = max(math.dist((lng, lat), (x, y)) for y, x in h3.cell_to_boundary(cell))
    drawn = max(math.dist((lng, lat), p) for p in ring["geometry"]["coordinates"][0])
    assert 0.4 * full < drawn < 0.8 * full  # a ring inside the hexagon, not a second lattice
    note = page.locator('#map-legend [data-layer="earthquake"] .om-outline-note')
    expect(note).to_have_text(t("legend.hazard.outline", "zh"))
    expect(page.locator('#map-legend [data-layer="flood"] .om-outline-note')).to_have_count(0)
    shot(page, f"15-draw-two-hazards-{size}")
    if size == "phone":
        return
    onemap.set_layer("flood", False)
    page.wait_for_function("() => window.dash_component_api.getLayout("
                           "{type: 'map-hex-layer', layer: 'earthquake'}).props.hideout.mode === 'fill'")
    expect(note).to_have_count(0)
    back = next(f for f in onemap.prop(quake, "data")["features"] if f["id"] == cell)
    assert max(math.dist((lng, lat), p) for p in back["geometry"]["coordinates"][0]) == pytest.approx(full, rel=0.02)


def test_brw303_earthquake_is_visible_at_region_zoom(onemap, page, demo_store, shot):
    """At the region view most of the earthquake hexagons drawn are darker than a near-white
    (class 1 used to be #efedf5 at 70 % opacity: lost on the basemap)."""
    onemap.open("layers=&hz=earthquake")
    n, dark = page.evaluate(_CANVAS_DARK_JS, "om-hazards")
    assert n > 10_000 and dark > 0.8, (n, dark)
    labels = next(h for h in hazard_layers(demo_store) if h["hazard"] == "earthquake")["labels"]
    rows = page.locator('#map-legend [data-layer="earthquake"] .om-legend-row')
    expect(rows).to_have_count(len(labels))
    shot(page, "15-draw-earthquake-region")


def _draw(onemap, tool: str, points: list[tuple[float, float]]) -> list[dict]:
    """Draws a shape with toolbar button ``tool`` through (lat, lng) ``points``, finishes it
    with 完成 and returns every shape drawn (the EditControl's GeoJSON features)."""
    count = ("() => ((window.dash_component_api.getLayout('ana-draw').props.geojson"
             " || {features: []}).features.length)")
    before = onemap.page.evaluate(count)
    onemap.page.click(f"a.leaflet-draw-draw-{tool}")
    # the actions pop out beside the toolbar, where the results panel may lie over them
    finish = onemap.page.locator(".leaflet-draw-actions a:visible", has_text="完成")
    finish.wait_for(state="attached")
    vertices = onemap.page.locator(".leaflet-marker-pane .leaflet-editing-icon")
    for i, (lat, lng) in enumerate(points):
        onemap.page.mouse.click(*onemap.to_page(lat, lng))
        # each vertex is in before the next click: on a loaded machine a click that lands while
        # the handler is still busy would otherwise leave a polygon of two vertices, which
        # 完成 refuses and the next tool then discards
        expect(vertices).to_have_count(i + 1)
    finish.dispatch_event("click")
    onemap.page.wait_for_function(f"(n) => ({count})() === n + 1", arg=before, timeout=30_000)
    onemap.wait()
    return onemap.prop("ana-draw", "geojson")["features"]


def test_brw304_measure_a_line_and_a_polygon(onemap, page, shot):
    """Draw a line through three known points and a triangle: the read-out gives the geodesic
    length and area ``pyproj.Geod`` computes for the drawn positions, in 公里 / 平方公里, and the
    lengths agree with the intended points to 1 %; 清除测量 removes the shapes and the read-out."""
    from pyproj import Geod  # noqa: PLC0415

    from mapapp.measure_view import area_text, length_text  # noqa: PLC0415

    geod = Geod(ellps="WGS84")
    onemap.open("lat=39.55&lng=116.8&z=9&layers=&hz=")
    assert page.locator("a.leaflet-draw-draw-polyline").get_attribute("title") == "测量距离：绘制折线"
    line = [(39.9, 116.4), (39.6, 116.8), (39.25, 117.15)]
    drawn = _draw(onemap, "polyline", line)
    assert [f["geometry"]["type"] for f in drawn] == ["LineString"]
    lons, lats = zip(*drawn[0]["geometry"]["coordinates"])
    length = geod.line_length(lons, lats)
    intended = geod.line_length([p[1] for p in line], [p[0] for p in line])
    assert length == pytest.approx(intended, rel=0.01)
    rows = page.locator("#map-measure-out .om-measure-row")
    expect(rows).to_have_text([f"折线 1：{length_text(length, 'zh')}"])
    assert "公里" in rows.first.inner_text()

    triangle = [(39.75, 116.55), (39.75, 117.05), (39.35, 116.8)]
    drawn = _draw(onemap, "polygon", triangle)
    assert [f["geometry"]["type"] for f in drawn] == ["LineString", "Polygon"]
    ring = drawn[1]["geometry"]["coordinates"][0]
    area, perimeter = geod.polygon_area_perimeter([p[0] for p in ring], [p[1] for p in ring])
    expect(rows).to_have_text([f"折线 1：{length_text(length, 'zh')}",
                               f"多边形 1：面积 {area_text(abs(area), 'zh')}，周长 {length_text(perimeter, 'zh')}"])
    assert "平方公里" in rows.nth(1).inner_text()
    assert page.locator("#map-card .om-card").count() == 0  # the drawing clicks opened no hexagon card
    shot(page, "15-draw-measure")

    page.click("#map-measure-clear")
    page.wait_for_function("() => (window.dash_component_api.getLayout('ana-draw').props.geojson"
                           " || {features: []}).features.length === 0")
    onemap.wait()
    expect(page.locator("#map-measure-box")).to_be_hidden()
    expect(page.locator("#ana-polygon-status")).to_have_text(t("ana.polygon.none", "zh"))


def test_brw305_hexagons_stay_while_new_ones_load(onemap, page, shot):
    """Panning at zoom 12: while the new hexagons are on their way (their requests held back
    here), the previous ones stay drawn and the loading indicator is on; then the new arrive."""
    onemap.open("lat=39.63&lng=118.18&z=12&layers=&hz=flood")
    painted, _ = onemap.canvas_alpha()
    before = onemap.prop({"type": "map-hex", "layer": "flood"}, "data")["cells"]
    assert painted > 0 and before
    held = []

    def hold(route) -> None:  # the app's own endpoint: continued here, not by the page fixture
        if re.search(r'map-hex\\?"', route.request.post_data or ""):
            held.append(route)
        else:
            route.continue_()

    update = re.compile(r"/_dash-update-component")
    page.route(update, hold)
    box = onemap.map_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 250, y - 120, steps=8)
    page.mouse.up()
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "no hexagon request after the pan"
    expect(page.locator("#map-loading")).to_have_class(re.compile("om-busy"))
    mid, _ = onemap.canvas_alpha()
    assert mid > 0.5 * painted, (mid, painted)  # the previous hexagons, moved with the map
    assert onemap.prop({"type": "map-hex", "layer": "flood"}, "data")["cells"] == before
    shot(page, "15-draw-pan-midload")
    for route in held:
        with contextlib.suppress(PlaywrightError):  # a request the page gave up waiting for
            route.continue_()
    page.unroute(update)
    page.wait_for_function("(old) => { const c = window.dash_component_api.getLayout("
                           "{type: 'map-hex', layer: 'flood'}); return c && c.props.data"
                           " && c.props.data.cells.join() !== old; }", arg=",".join(before), timeout=30_000)
    onemap.wait()
    expect(page.locator("#map-loading")).not_to_have_class(re.compile("om-busy"))
    assert onemap.canvas_alpha()[0] > 0


def test_brw306_phone_header_keeps_one_line(onemap, page, shot):
    """At 390 px no text of the header wraps (the user's name, the badge, the links: one line
    each); the items flow onto at most a second row."""
    page.set_viewport_size({"width": 390, "height": 844})
    onemap.open("lang=zh")
    header = page.locator(".om-header").bounding_box()
    assert header["height"] <= 72, header  # at most two rows (brand and tags; user, links, language)
    for el in page.locator(".om-header *:visible").all():
        if el.evaluate("e => e.children.length === 0 && e.textContent.trim().length > 0"):
            lines = el.evaluate("e => { const r = document.createRange(); r.selectNodeContents(e);"
                                " return new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top))).size; }")
            assert lines == 1, (el.inner_text(), lines)
    # the local demo says so on a phone too (it takes the place of the name 本机用户)
    expect(page.locator("#map-demo-badge")).to_be_visible()
    expect(page.locator("#map-demo-badge")).to_have_text("演示模式")
    for el in page.locator(".om-header a:visible, .om-header button:visible, .om-header .om-tag:visible").all():
        box = el.bounding_box()  # nothing cut off at the screen's edge or squeezed out of its own box
        assert box["x"] + box["width"] <= 390 + 0.5, (el.inner_text(), box)
        assert el.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), el.inner_text()
    shot(page, "15-draw-phone-header")
