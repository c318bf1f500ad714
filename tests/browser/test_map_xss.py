"""Names from data files are text, never markup: a hostile store served and clicked through.

``xss_server`` serves the tiny test region with a park named ``XSS_PARK``
(``<img src=x onerror=alert(1)>``) and an enterprise named ``XSS_ENTERPRISE``
(``<script>window.__xss=1</script>``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from layers import Store
from tests.browser.conftest import XSS_ENTERPRISE, XSS_PARK

@pytest.fixture(scope="module")
def hostile(xss_db) -> dict[str, tuple[float, float]]:
    """(lat, lng) of the hostile park and enterprise, as stored."""
    store = Store(xss_db)
    try:
        out = {}
        for table, name in (("parks", XSS_PARK), ("enterprises", XSS_ENTERPRISE)):
            rows = store.query(f"SELECT lat, lon FROM {table} WHERE name = ?", [name])
            assert len(rows) == 1, f"{table}: {name!r} not stored once"
            out[table] = (float(rows.lat[0]), float(rows.lon[0]))
        return out
    finally:
        store.close()


def test_brw080_hostile_names_are_inert(onemap, page, xss_server, hostile, browser_log):
    """Tooltips and cards show the names literally; no element, request, dialog or script runs."""
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    requested_x: list[str] = []
    page.on("request", lambda r: requested_x.append(r.url)
            if urlsplit(r.url).path.endswith("/x") else None)
    lat, lng = hostile["parks"]
    onemap.open(f"lat={lat}&lng={lng}&z=11&layers=parks,enterprises&hz=", base=xss_server)
    assert "测试区" in page.inner_text(".om-header")
    assert onemap.status("parks").endswith("2 个") and onemap.status("enterprises").endswith("2 个")

    # the park: tooltip on hover, card on click
    features = onemap.prop("map-points-parks", "data")["features"]
    index = [f["properties"]["name"] for f in features].index(XSS_PARK)
    marker = page.locator(".om-symbol").nth(index)
    marker.hover()
    tooltip = page.locator(".leaflet-tooltip")
    expect(tooltip).to_have_text(XSS_PARK)
    marker.click()
    expect(page.locator("#map-card-facility .om-card-name")).to_have_text(XSS_PARK)
    onemap.wait()

    # the enterprise (a canvas point)
    page.mouse.move(0, 0)
    x, y = onemap.to_page(*hostile["enterprises"])
    page.mouse.move(x + 1, y)
    page.mouse.move(x, y)
    # (the park's tooltip may stay open: Leaflet opens it on focus too, and the click focused it)
    expect(tooltip.filter(has_text="window.__xss")).to_have_text(XSS_ENTERPRISE)
    page.mouse.click(x, y)
    expect(page.locator("#map-card-facility .om-card-name")).to_have_text(XSS_ENTERPRISE)
    onemap.wait()

    # nothing became markup or ran
    assert page.locator('img[src="x"]').count() == 0
    scripts = page.evaluate("Array.from(document.scripts).map((s) => s.text)")
    assert not any("__xss" in text for text in scripts)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert dialogs == [] and requested_x == []
    assert page.locator(".om-card-name").inner_html() == \
        XSS_ENTERPRISE.replace("<", "&lt;").replace(">", "&gt;")  # fmt: skip
    assert browser_log.errors() == []


def test_brw081_hazard_without_labels(onemap, page, xss_server):
    """A hazard whose region entry has breaks but no labels still gets one class per break + 1."""
    onemap.open("lat=39.6&lng=118.2&z=11&layers=&hz=flood", base=xss_server)
    assert onemap.status("flood") != ""
    options = onemap.prop({"type": "map-minclass", "layer": "flood", "kind": "hazard"}, "options")
    assert len(options) == 5  # tiny region: flood breaks [0.15, 0.5, 1.5, 3.0]
    assert onemap.layer("flood").locator(".om-legend-row").count() == 5
