"""The shareable URL and the language switch in a browser.

The address bar is rewritten on every change (``onemap.writeUrl``) in the format
``mapapp.urlstate.MapState`` reads: the tests parse both ends with ``MapState.from_query``.
"""

from __future__ import annotations

import dataclasses
import math
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import expect

from layers import VOCABULARIES, hazard_layers
from mapapp.i18n import label, t
from mapapp.urlstate import MapState
from tests.browser.conftest import MapPage, hex_status, mercator_y

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
STATE = ("lat=39.63&lng=118.18&z=10&layers=parks&hz=earthquake,wildfire&op=earthquake:0.4"
         "&chains=rescue&tiers=county&minc=earthquake:3&unit=130200&lang=zh")


@pytest.fixture(scope="module")
def parse(demo_store):
    """``parse(query string) -> MapState`` against the demo store's vocabularies."""
    hazards = [h["hazard"] for h in hazard_layers(demo_store)]

    def parse(query: str) -> MapState:
        return MapState.from_query(dict(parse_qsl(query, keep_blank_values=True)), hazards=hazards,
                                   chains=list(VOCABULARIES["chain"]),
                                   levels=list(VOCABULARIES["park_level"]),
                                   tiers=list(VOCABULARIES["reserve_tier"]),
                                   default_hazard=hazards[0], default_lang="zh")
    return parse


def test_brw060_language_switch(onemap, page, shot):
    """EN reloads the same view in English (only data names stay Chinese); 中文 switches back."""
    onemap.open("lat=39.7&lng=118.4&z=9&unit=130200")
    zh_query = onemap.query()
    with page.expect_navigation():
        page.click("#map-lang-en")
    onemap.wait()
    onemap.wait_for_basemap()
    query = onemap.query()
    assert query["lang"] == "en"
    assert {k: v for k, v in query.items() if k != "lang"} == \
        {k: v for k, v in zh_query.items() if k != "lang"}  # fmt: skip
    assert page.locator(".om-page").get_attribute("lang") == "en"
    header = page.inner_text(".om-header")
    assert t("app.title", "en") in header and "Beijing-Tianjin-Hebei" in header
    assert page.locator("#map-lang-en").is_disabled() and page.locator("#map-lang-zh").is_enabled()
    for entity in ("parks", "enterprises", "reserves"):
        expect(onemap.layer(entity).locator(".om-toggle")).to_have_text(t(f"layer.{entity}", "en"))
    for hz in ("flood", "earthquake", "wildfire"):
        expect(onemap.layer(hz).locator(".om-toggle")).to_have_text(label("hazard", hz, "en"))
    assert re.search(r"^Flood: H3 res 7, [\d,]+ hexagons", onemap.status("flood"))
    assert "in view" in onemap.status("parks")

    # the left panel: no Chinese but the chosen units' names (data)
    left = page.inner_text(".om-left")
    for name in ("河北省", "唐山市"):
        assert name in left
        left = left.replace(name, "")
    assert CJK.findall(left) == [], left
    right = page.inner_text(".om-right")
    assert t("card.hint", "en") in right and t("unit.enterprises", "en") in right
    assert "City" in page.inner_text("#map-unit-summary h4")
    shot(page, "05-english")

    with page.expect_navigation():
        page.click("#map-lang-zh")
    onemap.wait()
    assert onemap.query() == zh_query
    assert t("app.title", "zh") in page.inner_text(".om-header")
    expect(onemap.layer("parks").locator(".om-toggle")).to_have_text(t("layer.parks", "zh"))


def hex_counts(status: str) -> tuple[int, int]:
    """(hexagons, resolution) of a hazard status line."""
    res, n = re.search(r"分辨率 (\d+)，([\d,]+) 个六边形", status).groups()
    return int(n.replace(",", "")), int(res)


def test_brw070_url_round_trip(onemap, page, parse, browser_log):
    """A shared link restores every control and the address bar says the same state; after a
    drag and a zoom, the rewritten link opened in a fresh page shows the same view."""
    onemap.open(STATE)
    wanted = parse(STATE)
    assert wanted.problems == ()
    assert page.locator("#map-alert").inner_text() == ""

    # layer toggles
    on = {"parks", "earthquake", "wildfire"}
    for layer in ("parks", "enterprises", "reserves", "flood", "earthquake", "wildfire"):
        assert onemap.is_on(layer) == (layer in on), layer
        assert (onemap.status(layer) != "") == (layer in on), (layer, onemap.status(layer))
    assert hex_status(onemap.status("earthquake"))[0] == 7
    # opacity, lowest class shown
    thumb = onemap.layer("earthquake").locator(".om-opacity [role=slider]")
    assert thumb.get_attribute("aria-valuenow") == "0.4"
    assert onemap.layer("wildfire").locator(".om-opacity [role=slider]").get_attribute(
        "aria-valuenow") == "0.7"
    assert onemap.layer("earthquake").locator(".om-threshold").inner_text().startswith("≥ 3 ·")
    assert onemap.layer("wildfire").locator(".om-threshold").inner_text().startswith("≥ 1 ·")
    # filters
    assert onemap.dropdown_text("map-chains") == label("chain", "rescue", "zh")
    assert onemap.prop("map-chains", "value") == ["rescue"]
    assert page.locator("#map-tiers input[value=county]").is_checked()
    assert page.locator("#map-tiers input:checked").count() == 1
    assert page.locator("#map-levels input:checked").count() == 0
    assert page.locator("#map-flags input:checked").count() == 0
    # unit
    assert onemap.dropdown_text("map-province") == "河北省"
    assert onemap.dropdown_text("map-city") == "唐山市"
    expect(page.locator("#map-unit-summary h4")).to_contain_text("唐山市")
    # the view
    lat, lng, zoom = onemap.view()
    assert zoom == 10 and abs(lat - 39.63) < 1e-3 and abs(lng - 118.18) < 1e-3

    # the address bar holds the same state
    written = parse(urlsplit(page.url).query)
    assert written == wanted, (written, wanted)

    # dragging and zooming rewrite lat/lng/z; that URL opened afresh shows the same view
    before = onemap.query()
    box = onemap.map_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx - 150, cy - 80, steps=10)
    page.mouse.up()
    onemap.wait_for_query_change("lat", before["lat"])
    dragged = onemap.query()
    assert float(dragged["lng"]) > float(before["lng"])  # dragged left: the view moved east
    assert float(dragged["lat"]) < float(before["lat"])  # and south
    assert dragged["z"] == "10"
    page.click(".leaflet-control-zoom-in")
    onemap.wait_for_query("z", "v === '11'")
    expect(onemap.status_locator("earthquake")).to_contain_text("H3 分辨率 8")
    url = page.url
    lat, lng, zoom = onemap.view()
    # everything but the view is unchanged
    assert dataclasses.replace(parse(urlsplit(url).query), lat=None, lng=None, zoom=None) == \
        dataclasses.replace(parse(STATE), lat=None, lng=None, zoom=None)  # fmt: skip

    fresh = page.context.new_page()
    fresh.on("console", lambda m: browser_log.console_errors.append(m.text)
             if m.type == "error" else None)
    fresh.on("pageerror", lambda exc: browser_log.page_errors.append(str(exc)))
    other = MapPage(fresh)
    other.open(urlsplit(url).query)
    lat2, lng2, zoom2 = other.view()
    assert zoom2 == zoom == 11
    scale = 256 * 2**zoom  # pixels around the world at this zoom
    dx = (lng2 - lng) / 360 * scale
    dy = (mercator_y(lat2) - mercator_y(lat)) / (2 * math.pi) * scale
    assert math.hypot(dx, dy) < 3, (dx, dy)
    # the same view within 3 px: the same hexagons but a few whose centre is within a rounding
    # of the (padded) edge (the link holds 5 decimals; ~470 edge hexagons on a full-window map)
    (n1, r1), (n2, r2) = hex_counts(onemap.status("earthquake")), hex_counts(other.status("earthquake"))
    assert r1 == r2 and abs(n1 - n2) <= max(2, n1 // 1000), (n1, n2)
    assert other.query() == onemap.query()
    fresh.close()
