"""Drawn shapes in the link (``draw=``, ``mapapp.drawstate``): drawn with the toolbar, written to
the address bar, reopened in a new page with the same view, shapes and measure read-out, and
kept across the language switch; a tampered value is ignored with a message."""

from __future__ import annotations

import math
from urllib.parse import urlsplit

from playwright.sync_api import expect
from pyproj import Geod

from mapapp import drawstate
from mapapp.i18n import t
from mapapp.measure_view import area_text, length_text
from tests.browser.conftest import MapPage, mercator_y
from tests.browser.test_map_drawing import _draw

GEOD = Geod(ellps="WGS84")


def _shapes(onemap) -> list[tuple[str, list[tuple[float, float]]]]:
    """(geometry type, [(lng, lat)] without a polygon's closing vertex) of every drawn shape."""
    out = []
    for f in onemap.prop("ana-draw", "geojson")["features"]:
        g = f["geometry"]
        pts = g["coordinates"] if g["type"] == "LineString" else g["coordinates"][0][:-1]
        out.append((g["type"], [tuple(p) for p in pts]))
    return out


def _same_shapes(a, b, tol: float = 6e-5) -> None:
    """Same kinds and vertices within the link's rounding (4 decimals: 5e-5 degrees)."""
    assert [k for k, _ in a] == [k for k, _ in b]
    for (_, pa), (_, pb) in zip(a, b):
        assert len(pa) == len(pb)
        assert all(abs(x1 - x2) <= tol and abs(y1 - y2) <= tol for (x1, y1), (x2, y2) in zip(pa, pb))


def _expected_readout(shapes) -> list[str]:
    """The read-out pyproj gives for the shapes (independent of layers.measure_shapes)."""
    rows = []
    for kind, pts in shapes:
        lons, lats = zip(*pts)
        if kind == "LineString":
            rows.append(f"折线 1：{length_text(GEOD.line_length(lons, lats), 'zh')}")
        else:
            area, perim = GEOD.polygon_area_perimeter(lons, lats)
            rows.append(f"多边形 1：面积 {area_text(abs(area), 'zh')}，周长 {length_text(perim, 'zh')}")
    return rows


def _open_in_new_page(page, browser_log, query: str) -> MapPage:
    fresh = page.context.new_page()
    fresh.on("console", lambda m: browser_log.console_errors.append(m.text) if m.type == "error" else None)
    fresh.on("pageerror", lambda exc: browser_log.page_errors.append(str(exc)))
    other = MapPage(fresh)
    other.open(query)
    fresh.wait_for_function("() => ((window.dash_component_api.getLayout('ana-draw').props.geojson"
                            " || {features: []}).features.length) > 0")
    other.wait()
    return other


def _switch(other: MapPage, lang: str, n: int) -> None:
    """Clicks the language button (the page reloads) and waits for the ``n`` shapes to be back."""
    with other.page.expect_navigation():
        other.page.click(f"#map-lang-{lang}")
    other.wait()
    other.page.wait_for_function("(n) => ((window.dash_component_api.getLayout('ana-draw').props.geojson"
                                 " || {features: []}).features.length) === n", arg=n)
    other.wait()


def test_brw320_drawn_shapes_round_trip_through_the_link(onemap, page, browser_log, shot):
    """Draw a polygon and a line; the copied link, opened in a new page, shows the same view,
    the same shapes (to the link's 4 decimals) and the same read-out; so does its English
    version after the language switch, and switching back."""
    onemap.open("lat=39.55&lng=116.8&z=9&layers=&hz=")
    _draw(onemap, "polygon", [(39.75, 116.55), (39.75, 117.05), (39.35, 116.8)])
    _draw(onemap, "polyline", [(39.9, 116.4), (39.6, 116.8), (39.25, 117.15)])
    onemap.wait_for_query("draw", "v && v.split('~').length === 2")
    drawn = _shapes(onemap)
    assert [k for k, _ in drawn] == ["Polygon", "LineString"]
    value = onemap.query()["draw"]
    assert value.startswith("p") and "~l" in value and len(value) < 200  # compact
    rows = page.locator("#map-measure-out .om-measure-row")
    expect(rows).to_have_text(_expected_readout(drawn))
    lat, lng, zoom = onemap.view()

    other = _open_in_new_page(page, browser_log, urlsplit(page.url).query)
    lat2, lng2, zoom2 = other.view()
    assert zoom2 == zoom
    scale = 256 * 2**zoom
    assert math.hypot((lng2 - lng) / 360 * scale,
                      (mercator_y(lat2) - mercator_y(lat)) / (2 * math.pi) * scale) < 3
    restored = _shapes(other)
    _same_shapes(restored, drawn)
    expect(other.page.locator("#map-measure-out .om-measure-row")).to_have_text(_expected_readout(restored))
    # the restored polygon is the dispatch event's area, as a drawn one is
    expect(other.page.locator("#ana-polygon-status")).not_to_have_text(t("ana.polygon.none", "zh"))
    assert other.query()["draw"] == value
    shot(other.page, "15-draw-link-restored")

    _switch(other, "en", 2)
    assert other.query()["lang"] == "en" and other.query()["draw"] == value
    _same_shapes(_shapes(other), drawn)
    expect(other.page.locator("#map-measure-out .om-measure-row").first).to_contain_text("Polygon 1: area")
    assert other.view()[2] == zoom
    _switch(other, "zh", 2)
    expect(other.page.locator("#map-measure-out .om-measure-row")).to_have_text(_expected_readout(_shapes(other)))

    for width, height in ((1280, 720), (390, 844)):
        other.page.set_viewport_size({"width": width, "height": height})
        other.wait()
        shot(other.page, f"15-draw-link-restored-{width}")
    other.page.set_viewport_size({"width": 1600, "height": 1000})
    # 清除测量 takes the shapes out of the link too
    other.page.click("#map-measure-clear")
    other.wait_for_query("draw", "v === null")
    other.page.close()


def test_brw321_tampered_draw_is_ignored_with_a_message(onemap, page):
    """A malformed ``draw=`` opens the page without shapes and says why, in Chinese."""
    onemap.open("lat=39.55&lng=116.8&z=9&layers=&hz=&draw=p116.5,39.7,abc")
    alert = page.locator("#map-alert")
    expect(alert).to_contain_text("链接中的绘制图形无法识别，已忽略")
    assert onemap.prop("ana-draw", "geojson")["features"] == []
    expect(page.locator("#map-measure-box")).to_be_hidden()


def test_brw322_too_many_shapes_for_the_link(onemap, page):
    """Shapes beyond the link's limit: the link keeps none and the read-out says so."""
    many = [{"kind": "polygon", "points": [[39 + i * 0.01 + k * 0.001, 116 + j * 0.0137] for j in range(60)
                                           for k in [0]]} for i in range(3)]
    value = drawstate.encode(many)
    assert len(value) > drawstate.MAX_CHARS
    # shapes too long for the link arrive only by drawing; here the toolbar's geojson is set the
    # way dash-leaflet sets it after a drawing
    onemap.open("lat=39.55&lng=116.8&z=9&layers=&hz=")
    page.evaluate("(fc) => window.dash_clientside.set_props('ana-draw', {geojson: fc})", {
        "type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [
                [[lng, lat] for lat, lng in s["points"]] + [[s["points"][0][1], s["points"][0][0]]]]}}
            for s in many]})
    onemap.wait()
    expect(page.locator("#map-draw-note")).to_contain_text("链接中只能保存 1,500 个字符以内的图形")
    assert "draw" not in onemap.query()
