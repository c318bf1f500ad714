"""A reserve named ``=HYPERLINK("http://x","<img src=x onerror=alert(2)>")`` (``XSS_RESERVE``): on
the map, in the dispatch analysis table and in its CSV/XLSX downloads it stays text: no element,
no script, no live spreadsheet formula."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from playwright.sync_api import expect

from layers import Store
from tests.browser.conftest import XSS_RESERVE
from tests.browser.test_analyses import AnalysisPanel


@pytest.fixture(scope="module")
def reserve_at(xss_db) -> tuple[float, float]:
    store = Store(xss_db)
    try:
        rows = store.query("SELECT lat, lon FROM reserves WHERE name = ?", [XSS_RESERVE])
        assert len(rows) == 1, "the hostile reserve is not stored once"
        return float(rows.lat[0]), float(rows.lon[0])
    finally:
        store.close()


def test_brw082_hostile_reserve_on_the_map_in_the_table_and_downloads(page, xss_server, reserve_at, browser_log):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    panel = AnalysisPanel(page)
    lat, lng = reserve_at
    panel.open(f"lat={lat}&lng={lng}&z=11&layers=reserves&hz=", base=xss_server)
    names = [f["properties"]["name"] for f in panel.prop("map-points-reserves", "data")["features"]]
    marker = page.locator(".om-symbol").nth(names.index(XSS_RESERVE))
    marker.hover()
    expect(page.locator(".leaflet-tooltip").filter(has_text="HYPERLINK")).to_have_text(XSS_RESERVE)
    marker.click()
    expect(page.locator("#map-card-facility .om-card-name")).to_have_text(XSS_RESERVE)
    panel.wait()

    # (the tiny region's standards give a county speed only: the panel adds the other tiers)
    panel.run("dispatch", {"event": "point", "lon": round(lng + 0.02, 4), "lat": round(lat, 4), "radius": 10,
                           "access": "speed.municipal=60, speed.national=70, speed.enterprise=40"})
    rows = panel.table_rows()
    assert any(XSS_RESERVE in cell for row in rows for cell in row), rows
    buttons = page.locator("#ana-result .om-ana-downloads button")
    with page.expect_download() as info:
        buttons.nth(0).click()
    table = list(csv.DictReader(io.StringIO(info.value.path().read_text(encoding="utf-8-sig"))))
    assert "'" + XSS_RESERVE in [r["name"] for r in table]  # neutralised (OWASP), still readable
    with page.expect_download() as info:
        buttons.nth(1).click()
    book = openpyxl.load_workbook(io.BytesIO(info.value.path().read_bytes()))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert "'" + XSS_RESERVE in [c.value for c in cells]
    assert not [c.coordinate for c in cells if c.data_type == "f" or str(c.value or "").startswith("=")]

    assert page.locator('img[src="x"]').count() == 0 and dialogs == []
    assert browser_log.errors() == []
