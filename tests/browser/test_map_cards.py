"""Cards and the side panel in a browser: hexagon and facility cards, admin drill-down, chart
filter. The expected values come from the demo store itself (``demo_store``, read-only)."""

from __future__ import annotations

import re

import h3
import pytest
from playwright.sync_api import expect

from layers import cell_card, english_text, facility_card
from mapapp.components import quantity_text
from mapapp.i18n import label, t

TANGSHAN = "lat=39.63&lng=118.18"


def test_brw040_cell_card(onemap, page, demo_store, shot):
    """A click on a hexagon: its card (cell, place, every hazard, counts) and its outline."""
    onemap.open(f"{TANGSHAN}&z=12&hz=flood,earthquake,wildfire&layers=")
    box = onemap.map_box()
    lat, lng, zoom = onemap.view()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    card = page.locator("#map-card-cell")
    expect(card).to_be_visible()
    onemap.wait()

    cell = onemap.prop("map-cell", "data")
    assert h3.get_resolution(cell) == 9 and zoom == 12
    assert h3.grid_distance(cell, h3.latlng_to_cell(lat, lng, 9)) <= 1  # the clicked spot
    expected = cell_card(demo_store, *h3.cell_to_latlng(cell), 9)
    assert expected["cell"] == cell
    text = card.inner_text()
    assert text.startswith("六边形 " + cell) and "H3 分辨率 9" in text
    for level in ("province", "city", "county"):
        assert expected["admin"][level]["name"] in text
    assert "唐山市" in text
    headings = [h.inner_text() for h in card.locator("h5").all()]
    for hz in ("flood", "earthquake", "wildfire"):
        assert label("hazard", hz, "zh") in headings
    for row in expected["hazards"]:
        if row.get("label"):
            assert f"{row['cls']} · {row['label']}" in text
    assert t("card.counts", "zh") in headings
    for entity in ("parks", "enterprises", "reserves"):
        assert t(f"layer.{entity}", "zh") in text
    outline = onemap.prop("map-selected-cell", "data")
    assert len(outline["features"]) == 1
    shot(page, "04-card")

    # a click elsewhere replaces the card
    page.mouse.click(box["x"] + box["width"] / 2 + 200, box["y"] + box["height"] / 2)
    page.wait_for_function("(old) => { const c = window.dash_component_api.getLayout('map-cell');"
                           " return c && c.props.data && c.props.data !== old; }", arg=cell)
    onemap.wait()
    assert onemap.prop("map-cell", "data") in page.inner_text("#map-card-cell")


def test_brw041_park_card_and_tooltip(onemap, page, demo_store):
    """Hovering a park shows its name; a click shows its card: name, level, precision, source."""
    onemap.open(f"{TANGSHAN}&z=10&layers=parks&hz=")
    marker = page.locator(".om-symbol").first
    marker.hover()
    tooltip = page.locator(".leaflet-tooltip")
    expect(tooltip).to_have_count(1)
    name = tooltip.inner_text()
    marker.click()
    card = page.locator("#map-card-facility")
    expect(card).to_be_visible()
    onemap.wait()

    feature = next(f for f in onemap.prop("map-points-parks", "data")["features"]
                   if f["properties"]["name"] == name)
    expected = facility_card(demo_store, "parks", str(feature["properties"]["id"]))
    assert card.locator(".om-card-name").inner_text() == name == expected["name"]
    assert card.locator(".om-tag").first.inner_text() == t("entity.parks", "zh")
    rows = {r.locator("th").inner_text(): r.locator("td").inner_text()
            for r in card.locator("tr").all()}
    assert rows[t("card.level", "zh")] == label("park_level", expected["level"], "zh")
    assert rows[t("card.precision", "zh")] == label("precision", expected["precision"], "zh")
    assert re.search(r"geodata/jjj/parks\.csv · 第 \d+ 行$", rows[t("card.source", "zh")])
    assert card.locator(".om-tag-synthetic").count() == (1 if expected.get("synthetic") else 0)
    assert onemap.prop("map-cell", "data") is None  # a facility, not a hexagon


def test_brw042_synthetic_reserve_card(onemap, page, demo_store):
    """A synthetic reserve's card carries the 合成演示数据 tag and lists its stock (物资 by catalogue name)."""
    onemap.open(f"{TANGSHAN}&z=11&layers=reserves&hz=")
    page.locator(".om-symbol").first.click()
    card = page.locator("#map-card-facility")
    expect(card).to_be_visible()
    expect(card.locator(".om-tag-synthetic")).to_have_text(t("card.synthetic", "zh"))
    text = card.inner_text()
    assert t("entity.reserves", "zh") in text and t("card.tier", "zh") in text
    assert t("card.precision", "zh") in text and "reserves_synthetic.csv" in text
    name = card.locator(".om-card-name").inner_text()
    rid = demo_store.query("SELECT id, tier FROM reserves WHERE name = ?", [name])
    assert len(rid) == 1, name
    held = facility_card(demo_store, "reserves", str(rid["id"].iloc[0]))["materials"]
    rows = card.locator("#map-card-materials tr")
    expect(rows).to_have_count(len(held))
    if not held:  # only enterprise-tier reserves hold no stock in the demo
        assert rid["tier"].iloc[0] == "enterprise"
    else:
        assert rows.first.locator("th").inner_text() == held[0]["name"]
        assert rows.first.locator("td").inner_text() == f"{quantity_text(held[0]['quantity'])} {held[0]['unit']}"


def test_brw043_enterprise_point_card(onemap, page):
    """Hovering an enterprise point shows its name; a click shows its card."""
    onemap.open(f"{TANGSHAN}&z=12&layers=enterprises&hz=")
    feature = onemap.prop("map-points-enterprises", "data")["features"][0]
    lng, lat = feature["geometry"]["coordinates"]
    x, y = onemap.to_page(lat, lng)
    page.mouse.move(x + 1, y)
    page.mouse.move(x, y)
    name = feature["properties"]["name"]
    expect(page.locator(".leaflet-tooltip")).to_have_text(name, timeout=3000)
    page.mouse.click(x, y)
    expect(page.locator("#map-card-facility .om-card-name")).to_have_text(name, timeout=5000)


def test_brw050_admin_drilldown_and_chain_filter(onemap, page):
    """河北省 -> 唐山市: the map flies there, the panel shows its figures; a chain bar filters."""
    onemap.open()
    start = onemap.query()
    assert "unit" not in start
    onemap.pick("map-province", "河北省")
    onemap.wait_for_query("unit", "v === '130000'")
    assert onemap.dropdown_text("map-province") == "河北省"
    onemap.pick("map-city", "唐山市")
    onemap.wait_for_query("unit", "v === '130200'")
    page.wait_for_function(
        "() => window.dash_component_api.getLayout('map-leaflet').props.zoom >= 8")
    onemap.wait()
    query = onemap.query()
    assert (query["lat"], query["lng"]) != (start["lat"], start["lng"])
    assert 39.0 < float(query["lat"]) < 40.5 and 117.5 < float(query["lng"]) < 119.3  # Tangshan
    assert int(query["z"]) >= 8
    assert onemap.dropdown_text("map-city") == "唐山市"

    summary = page.locator("#map-unit-summary")
    expect(summary).to_be_visible()
    assert summary.locator("h4").inner_text().startswith("唐山市")
    assert "130200" in summary.inner_text()
    figure = onemap.prop("map-chart-chains", "figure")
    chains, counts = figure["data"][0]["customdata"], figure["data"][0]["x"]
    bars = page.locator("#map-chart-chains .bars .point")
    expect(bars).to_have_count(len(chains))
    assert summary.locator(".js-plotly-plot").count() >= 4  # chains, parks, reserves, hazards

    # click the longest bar: its chain joins the filter (a second click removes it)
    i = max(range(len(counts)), key=lambda k: counts[k])
    chain = chains[i]
    for expect_in in (True, False):
        bar = bars.nth(i).locator("path").bounding_box()
        x, y = bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2
        page.mouse.move(x - 5, y)
        page.mouse.move(x, y)
        page.mouse.click(x, y)
        if expect_in:
            onemap.wait_for_query("chains", f"v === '{chain}'")
            assert onemap.prop("map-chains", "value") == [chain]
            assert onemap.dropdown_text("map-chains") == label("chain", chain, "zh")
        else:
            onemap.wait_for_query("chains", "v === null")
            assert onemap.prop("map-chains", "value") == []


def test_brw046_language_switch_keeps_card_and_view(onemap, page, shot):
    """Issue 15 (observation 9): open a hexagon card, switch to English: the same card is open,
    in English, at the same view with the same layers; a park card survives the switch back."""
    onemap.open(f"{TANGSHAN}&z=11&hz=flood&layers=parks")
    box = onemap.map_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#map-card-cell")).to_be_visible()
    onemap.wait()
    cell, view = onemap.prop("map-cell", "data"), onemap.view()
    assert t("card.hint", "zh") not in page.inner_text("#map-card")
    page.click("#map-lang-en")
    page.wait_for_url(re.compile(r"lang=en"))
    expect(page.locator("#map-card-cell")).to_be_visible()
    onemap.wait()
    assert onemap.prop("map-cell", "data") == cell
    text = page.inner_text("#map-card-cell")
    assert cell in text and "H3 res" in text and "Tangshan" in text  # a pinyin place name
    assert onemap.view() == pytest.approx(view, abs=1e-4)
    assert "hz=flood" in page.url and "layers=parks" in page.url and f"card=cell:{cell}" in page.url
    assert len(onemap.prop("map-selected-cell", "data")["features"]) == 1
    shot(page, "brw046_card_after_switch_en")

    marker = page.locator(".om-symbol").first
    marker.click()
    expect(page.locator("#map-card-facility")).to_be_visible()
    onemap.wait()
    name = page.locator("#map-card-facility .om-card-name").inner_text()
    page.click("#map-lang-zh")
    page.wait_for_url(re.compile(r"lang=zh"))
    expect(page.locator("#map-card-facility")).to_be_visible()
    assert "card=parks:" in page.url
    assert page.locator("#map-card-facility .om-tag").first.inner_text() == t("entity.parks", "zh")
    assert english_text(page.locator("#map-card-facility .om-card-name").inner_text()) == name  # same park
