"""The map's layers in a browser: the region view, offline basemap, layer toggles, zoom -> H3 res.

Hexagons are drawn on a canvas (``preferCanvas``): the tests read the status lines
(``.om-status``), the canvas pixels and the Dash props, never hexagon DOM elements.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from mapapp.i18n import label, t
from tests.browser.conftest import hex_status

HAZARDS = ("flood", "earthquake", "wildfire")
TANGSHAN = "lat=39.63&lng=118.18"  # Tangshan's centre: earthquake class >= 1 all around


def points_in_view(status: str) -> int:
    """N of ``…：视图内 N 个`` (a facility layer's status at point zoom)."""
    m = re.search(r"视图内 ([\d,]+) 个", status)
    assert m, f"not a point status: {status!r}"
    return int(m.group(1).replace(",", ""))


def test_brw010_region_view_zh_offline(page, onemap, browser_log, shot):
    """Default page: zh header, the whole region at a coarse res, flood on, nothing external."""
    failed: list[str] = []
    bad: list[str] = []
    page.on("requestfailed", lambda r: failed.append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: bad.append(f"{r.url} {r.status}") if r.status >= 400 else None)
    response = onemap.open()
    assert response is not None and response.status == 200

    header = page.inner_text(".om-header")
    assert t("app.title", "zh") in header and "京津冀" in header
    assert page.locator(".om-page").get_attribute("lang") == "zh-CN"
    assert page.locator("#map-lang-zh").is_disabled() and page.locator("#map-lang-en").is_enabled()

    # the region fit: default hazard flood at res 5-6, the others off and silent
    assert onemap.is_on("flood")
    flood = hex_status(onemap.status("flood"))
    assert flood is not None, onemap.status("flood")
    res, n = flood
    assert onemap.status("flood").startswith(label("hazard", "flood", "zh"))
    assert res in (5, 6) and n > 100, flood
    for hz in ("earthquake", "wildfire"):
        assert not onemap.is_on(hz) and onemap.status(hz) == ""
    assert onemap.prop("map-leaflet", "zoom") <= 7
    assert onemap.query().get("hz") == "flood" and onemap.query().get("lang") == "zh"
    painted, _ = onemap.canvas_alpha("om-hazards")
    assert painted > 10_000, "no hexagon painted on the hazard canvas"

    # offline: boundaries and labels come from the server, nothing else was even asked for
    basemap = onemap.wait_for_basemap()
    assert basemap == {f"{kind}/{level}.geojson": 200 for kind in ("boundaries", "labels")
                       for level in ("province", "city", "county")}, basemap
    assert onemap.canvas_alpha("om-boundaries")[0] > 1_000, "no boundary drawn"
    cities = [e.inner_text() for e in page.locator(".om-label-city").all()]
    assert {"北京市", "天津市", "唐山市", "石家庄市"} <= set(cities), cities
    assert browser_log.blocked == []
    assert failed == [] and bad == []
    shot(page, "01-region-zh")


def test_brw011_province_labels_when_zoomed_out(page, onemap):
    """Below zoom 7 the offline basemap names provinces only (cities 7-8, counties from 9)."""
    onemap.open("lat=39.5&lng=116.7&z=6&layers=&hz=")
    assert page.locator(".om-label-province").count() >= 3
    assert "河北省" in [e.inner_text() for e in page.locator(".om-label-province").all()]
    assert page.locator(".om-label-city").count() == 0
    assert page.locator(".om-label-county").count() == 0
    assert onemap.canvas_alpha("om-boundaries")[0] > 1_000


def test_brw020_parks_and_reserves_toggle(onemap, page):
    """Parks and reserves (both ``.om-symbol`` markers) turn on and off one at a time."""
    onemap.open("layers=parks,reserves&hz=")
    symbols = page.locator(".om-symbol")
    parks = points_in_view(onemap.status("parks"))
    reserves = points_in_view(onemap.status("reserves"))
    assert parks > 0 and reserves > 0
    expect(symbols).to_have_count(parks + reserves)
    assert page.locator(".om-agg").count() == 0 and onemap.status("enterprises") == ""

    onemap.set_layer("parks", False)
    expect(onemap.status_locator("parks")).to_have_text("")
    expect(symbols).to_have_count(reserves)
    onemap.set_layer("reserves", False)
    expect(onemap.status_locator("reserves")).to_have_text("")
    expect(symbols).to_have_count(0)
    onemap.set_layer("parks", True)
    expect(onemap.status_locator("parks")).to_contain_text(f"视图内 {parks} 个")
    expect(symbols).to_have_count(parks)
    assert onemap.query()["layers"] == "parks"


def test_brw021_enterprise_aggregates_toggle(onemap, page):
    """At the region view enterprises are counted per hexagon (``.om-agg``); off: none."""
    onemap.open("layers=enterprises&hz=")
    status = onemap.status("enterprises")
    m = re.search(r"([\d,]+) 个，按 H3 分辨率 (\d+) 汇总", status)
    assert m, status
    total, res = int(m.group(1).replace(",", "")), int(m.group(2))
    assert total > 1000 and res <= 5
    aggs = page.locator(".om-agg")
    assert aggs.count() > 10
    # a hexagon with one enterprise shows that enterprise (a point of its own), not a bubble "1"
    features = onemap.prop("map-points-enterprises", "data")["features"]
    alone = [f for f in features if not f["properties"].get("agg")]
    assert alone and all(f["properties"]["name"] and f["properties"]["id"] for f in alone)
    counts = [a.inner_text() for a in aggs.all()]
    assert "1" not in counts and len(counts) == len(features) - len(alone)
    exact = [int(c) for c in counts if c.isdigit()]
    approx = [float(c[:-1]) * 1000 for c in counts if c.endswith("k")]
    assert len(exact) + len(approx) == len(counts), counts
    assert abs(sum(exact) + sum(approx) + len(alone) - total) <= 50 * len(approx) + 0.5
    assert page.locator(".om-symbol").count() == 0

    onemap.set_layer("enterprises", False)
    expect(aggs).to_have_count(0)
    expect(onemap.status_locator("enterprises")).to_have_text("")


def test_brw022_hazards_toggle_and_opacity(onemap, page):
    """Each hazard: on -> N > 0 hexagons painted, off -> empty status; opacity fades them."""
    onemap.open(f"{TANGSHAN}&z=9&layers=&hz=")
    for hz in HAZARDS:
        assert onemap.status(hz) == ""
    assert onemap.canvas_alpha()[0] == 0

    for hz in HAZARDS:
        onemap.set_layer(hz, True)
        expect(onemap.status_locator(hz)).to_contain_text("个六边形")
        res, n = hex_status(onemap.status(hz))
        assert res == 7 and n > 0, onemap.status(hz)
        assert onemap.status(hz).startswith(label("hazard", hz, "zh"))
        assert onemap.canvas_alpha()[0] > 0
        onemap.set_layer(hz, False)
        expect(onemap.status_locator(hz)).to_have_text("")
        assert onemap.prop({"type": "map-hex", "layer": hz}, "data")["cells"] == []
    assert onemap.query()["hz"] == ""

    # opacity: 0.7 by default; three steps left -> 0.4, fainter hexagons, op= in the URL
    onemap.set_layer("earthquake", True)
    painted, alpha = onemap.canvas_alpha()
    assert painted > 0 and abs(alpha - 0.7 * 255) < 15, alpha
    thumb = page.locator("#map-layer-earthquake .om-opacity [role=slider]")
    thumb.focus()
    for _ in range(3):
        thumb.press("ArrowLeft")
    onemap.wait_for_query("op", "v === 'earthquake:0.4'")
    expect(thumb).to_have_attribute("aria-valuenow", "0.4")
    page.wait_for_function(
        "() => { const c = document.querySelector('.leaflet-om-hazards-pane canvas');"
        " const d = c.getContext('2d').getImageData(c.width / 2, c.height / 2, 1, 1).data;"
        " return d[3] > 0 && d[3] < 0.55 * 255; }", timeout=10_000)
    painted2, alpha2 = onemap.canvas_alpha()
    assert abs(painted2 - painted) < 0.01 * painted, (painted, painted2)
    assert abs(alpha2 - 0.4 * 255) < 15, alpha2


def test_brw030_zoom_changes_resolution(onemap, page, shot):
    """Zoom 8 -> res 6, 12 -> 9 (``resolution_for_zoom``; 9-11: brw031); points replace
    aggregates; city names at 8, county names at 12."""
    for z, want in ((8, 6), (12, 9)):
        onemap.open(f"{TANGSHAN}&z={z}&hz=earthquake")
        res, n = hex_status(onemap.status("earthquake"))
        assert (res, z) == (want, z) and n > 500, onemap.status("earthquake")
        assert onemap.prop("map-leaflet", "zoom") == z
        assert onemap.query()["z"] == str(z)
        if z < 10:
            assert page.locator(".om-agg").count() > 0
            assert "汇总" in onemap.status("enterprises")
            assert "唐山市" in [e.inner_text() for e in page.locator(".om-label-city").all()]
            assert page.locator(".om-label-county").count() == 0
        else:
            assert page.locator(".om-agg").count() == 0
            assert points_in_view(onemap.status("enterprises")) > 0
    # z=12: a county (路北区/路南区) with hexagons, parks/reserves markers and enterprise points
    assert page.locator(".om-symbol").count() > 0
    assert onemap.canvas_alpha("om-hazards")[0] > 100_000
    assert onemap.canvas_alpha("overlay")[0] > 500  # enterprise circles (canvas)
    counties = [e.inner_text() for e in page.locator(".om-label-county").all()]
    assert {"路北区", "路南区", "开平区"} <= set(counties)
    assert page.locator(".om-label-city").count() == 0
    shot(page, "03-county-res9")

    # the city view with Tangshan chosen: its outline, hexagons and charts in the side panel
    onemap.open("lat=39.7&lng=118.4&z=9&unit=130200")
    res, n = hex_status(onemap.status("flood"))
    assert res == 7 and n > 500
    expect(page.locator("#map-unit-summary")).to_contain_text("唐山市")
    expect(page.locator("#map-chart-chains .bars .point")).not_to_have_count(0)
    shot(page, "02-city-tangshan")


def test_brw031_zoom_button_refines(onemap, page):
    """The + button zooms in one level: URL z and the hexagon resolution follow."""
    onemap.open(f"{TANGSHAN}&z=10&hz=earthquake&layers=")
    assert hex_status(onemap.status("earthquake"))[0] == 7
    page.click(".leaflet-control-zoom-in")
    onemap.wait_for_query("z", "v === '11'")
    expect(onemap.status_locator("earthquake")).to_contain_text("H3 分辨率 8")
    page.click(".leaflet-control-zoom-out")
    onemap.wait_for_query("z", "v === '10'")
    page.click(".leaflet-control-zoom-out")
    onemap.wait_for_query("z", "v === '9'")
    expect(onemap.status_locator("earthquake")).to_contain_text("H3 分辨率 7")
    assert onemap.prop("map-leaflet", "zoom") == 9


def test_brw019_real_seismic_layers_in_the_tree_with_provenance(page, onemap, browser_log):
    """The real seismicity and fault-distance layers: in the layer tree, drawn, labelled real."""
    onemap.open(f"{TANGSHAN}&z=9&hz=seismicity,faults&layers=")
    for hz in ("seismicity", "eq_max_magnitude", "faults"):
        assert page.locator(f"#map-layer-{hz}").count() == 1
    for hz in ("seismicity", "faults"):
        res, n = hex_status(onemap.status(hz))
        assert n > 100 and onemap.status(hz).startswith(label("hazard", hz, "zh"))
    tree = page.inner_text("#map-layer-faults")
    assert label("hazard", "faults", "zh") in tree
    page.locator("#map-layer-faults summary").first.click()
    expect(page.locator("#map-layer-faults .om-provenance")).to_contain_text("真实数据")
    expect(page.locator("#map-layer-seismicity .om-provenance")).to_contain_text("编译目录，来源未说明")
    for hz in ("seismicity", "faults"):  # issue 17: no repository or licence code in Chinese
        expect(page.locator(f"#map-layer-{hz} .om-provenance")).not_to_contain_text("geoist")
        expect(page.locator(f"#map-layer-{hz} .om-provenance")).not_to_contain_text("MIT")
