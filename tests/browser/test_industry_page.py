"""The 产业监测 page in Chromium: KPI tiles, tables with search, a row to the map, the atlas, English."""

from __future__ import annotations

import re


def test_brw_ind001_kpis_search_and_map(page, app_server, browser_log, shot, wait_for_callbacks, demo_store):
    from layers import rows_from_store

    expected = rows_from_store(demo_store, "enterprises", "无人机", year=2022)
    response = page.goto(app_server + "/industry?year=2022")
    assert response is not None and response.status == 200
    wait_for_callbacks(page)
    body = page.inner_text("body")
    assert "产业监测" in body and "规划目标与完成情况" in body
    tiles = page.locator(".ind-kpi")
    assert tiles.count() == 4  # the region's four targets of the plan
    first = tiles.first.inner_text()
    assert "产业产值" in first and "2,415.0" in first and "达标在望" in first
    for english in ("on_track", "output_yi", "NaN", "None"):
        assert english not in body

    page.fill("#ind-search", "无人机")
    page.press("#ind-search", "Enter")
    wait_for_callbacks(page)
    count = page.inner_text("#ind-count")
    assert f"共 {len(expected):,} 条" in count  # oracle: the same search in layers
    names = page.locator("#ind-table td[data-dash-column=name]").all_inner_texts()
    assert names == expected["name"].head(15).tolist()
    shot(page, "brw_ind001_industry")

    with page.expect_download(timeout=60_000) as download:  # the cluster report's tables
        page.click("#ind-report-xlsx")
    assert download.value.suggested_filename == "cluster_region_2022.xlsx"

    link = page.locator("#ind-table td[data-dash-column=map] a").first
    href = link.get_attribute("href")
    assert href.startswith("/?") and "item=enterprises" in href
    link.click()
    page.wait_for_url(re.compile(r".*item=enterprises.*"))
    wait_for_callbacks(page)
    card = page.inner_text("#map-industry-card")
    assert "企业库" in card
    assert page.locator("#map-industry-marker, .leaflet-marker-icon").count() >= 1
    assert browser_log.errors() == []


def test_brw_ind002_atlas_and_english(page, app_server, browser_log, wait_for_callbacks, shot):
    page.goto(app_server + "/industry?tab=atlas&lang=en&year=1999")
    wait_for_callbacks(page)
    assert "year" in page.inner_text("#ind-alert")  # a bad value in a pasted link is named
    body = page.inner_text("body")
    assert "Industry monitoring" in body and "Plan targets" in body
    assert "links:" in page.inner_text("#ind-atlas-summary")
    assert page.locator("#ind-atlas-bars .bars path").count() >= 4
    shot(page, "brw_ind002_atlas_en")
    assert "tab=atlas" in page.url and "lang=en" in page.url
    # a click on a link of the atlas opens the products on that link
    bar = page.locator("#ind-atlas-bars .bars .point path").nth(3)  # unmanned: 整机制造
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] - 5
    page.mouse.move(x, y)
    page.wait_for_selector("#ind-atlas-bars .hoverlayer .hovertext", timeout=10_000)
    page.mouse.down()
    page.mouse.up()
    page.wait_for_function("() => location.search.includes('tab=products')", timeout=30_000)
    wait_for_callbacks(page)
    links = page.locator("#ind-table td[data-dash-column=link]").all_inner_texts()
    # English mode: the link's name from the link vocabulary (etl.schema.LINK_NAMES_EN)
    assert links and set(links) == {"Complete aircraft and robots"}
    assert browser_log.errors() == []


def test_brw_ind003_projects_and_leads_on_the_map(page, onemap, app_server, browser_log, demo_store):
    from layers import rows_from_store

    onemap.open("lang=zh", base=app_server)
    assert onemap.prop("map-ind-projects", "data") is None  # off by default
    page.get_by_label("项目库").check()
    onemap.wait()
    data = onemap.prop("map-ind-projects", "data")
    projects = rows_from_store(demo_store, "projects")
    assert len(data["features"]) == projects["lon"].notna().sum() == 60
    feature = data["features"][0]
    row = projects.set_index("id").loc[feature["properties"]["id"]]
    assert feature["geometry"]["coordinates"] == [row["lon"], row["lat"]]  # GeoJSON is [lng, lat]
    assert "（" in feature["properties"]["label"] and "_" not in feature["properties"]["label"]
    page.get_by_label("招商库").check()
    onemap.wait()
    assert len(onemap.prop("map-ind-leads", "data")["features"]) == 100
    assert browser_log.errors() == []
