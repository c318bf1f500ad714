"""生成报告 and 导出地图 in a browser, on the demo store.

- The report box appears once 唐山市 is chosen; 生成报告 sends the XLSX (every hazard, the
  default) and the PDF (one hazard); their content is checked against ``layers.build_report``
  run in the test process.
- 导出地图 saves a PNG: its map part must match a screenshot of the map element (the exporter
  draws the page's own layers, not a re-rendering), the legend strip and the title must carry
  text, the file name must follow ``onemap_<unit or region>_<YYYYMMDD-HHMM>.png``.
- Online tiles: tiles that load are in the image, tiles that fail leave the export working.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import numpy as np
import openpyxl
import pytest
from PIL import Image
from playwright.sync_api import expect

from layers import build_report, hazard_layers
from layers.report.formats import FORMATS, sheet_title
from layers.report.labels import header
from mapapp.i18n import t
from tests.browser.conftest import SCREENSHOTS

TANGSHAN = "130200"
REPORT_TIMEOUT = 90_000  # ms: a city's report takes 3-8 s (PDF of one hazard), more on a busy machine
EXPORT_TIMEOUT = 60_000
PNG_NAME = re.compile(r"^onemap_(.+)_(\d{8}-\d{4})\.png$")
#: Controls the exporter leaves out of the image (hidden for the reference screenshot too).
#: what floats over the map but is not the map: controls, the panels, readouts
CONTROLS = ".leaflet-control-zoom, .leaflet-draw, .om-export, .om-col, .om-coords, .om-loading"
GREEN = (0, 200, 0)  # the colour of the stand-in online tiles


def _export(page, tag: str) -> tuple[str, Image.Image, dict]:
    """Clicks 导出地图; the file name, the image and the exporter's layout (``lastExport``).

    The image is kept as ``test-output/screenshots/export_<tag>.png`` for review.
    """
    with page.expect_download(timeout=EXPORT_TIMEOUT) as info:
        page.click("#map-export-go")
    download = info.value
    image = Image.open(io.BytesIO(download.path().read_bytes()))
    image.load()
    assert image.format == "PNG"
    layout = page.evaluate("window.onemap.lastExport")
    assert layout["name"] == download.suggested_filename
    expect(page.locator("#map-export-status")).to_contain_text(download.suggested_filename)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    image.save(SCREENSHOTS / f"export_{tag}.png")
    return download.suggested_filename, image, layout


def _map_part(image: Image.Image, layout: dict) -> np.ndarray:
    m, r = layout["map"], layout["ratio"]
    return np.asarray(image.convert("RGB"))[round(m["y"] * r):round((m["y"] + m["height"]) * r),
                                             round(m["x"] * r):round((m["x"] + m["width"]) * r)].astype(int)


def _dark(pixels: np.ndarray) -> int:
    """Pixels dark enough to be text or lines."""
    return int((pixels.astype(int).sum(axis=2) < 240).sum())


def test_report_of_tangshan_as_xlsx_and_pdf(onemap, page, demo_store):
    onemap.open("layers=&hz=flood")
    expect(page.locator("#map-report")).to_be_hidden()
    onemap.pick("map-province", "河北省")
    onemap.pick("map-city", "唐山市")
    expect(page.locator("#map-report")).to_be_visible()
    expect(page.locator("#map-report-unit")).to_have_text(t("report.unit", "zh", name="唐山市", adcode=TANGSHAN))
    assert onemap.prop("map-report-hazard", "value") == "all"

    page.locator("#map-report-format label", has_text="XLSX").click()
    with page.expect_download(timeout=REPORT_TIMEOUT) as info:
        page.click("#map-report-go")
        expect(page.locator("#map-report-go")).to_be_disabled()  # while it runs, with a note
        expect(page.locator(".om-report-running")).to_have_text(t("report.running", "zh"))
    download = info.value
    assert download.suggested_filename == "130200_all.xlsx"
    wb = openpyxl.load_workbook(io.BytesIO(download.path().read_bytes()), read_only=True)
    rows = list(wb[sheet_title("headline", "zh")].iter_rows(values_only=True))
    expected = build_report(demo_store, TANGSHAN, "all").headline
    assert len(rows) - 1 == len(expected) == len(hazard_layers(demo_store))  # one row per hazard
    area = rows[0].index(header("at_risk_area_km2", "zh"))
    assert [r[area] for r in rows[1:]] == pytest.approx(expected["at_risk_area_km2"].tolist(), rel=1e-9)
    expect(page.locator("#map-report-go")).to_be_enabled()
    expect(page.locator("#map-report-status")).to_contain_text("130200_all.xlsx")

    assert "pdf" in FORMATS  # the report writes PDFs: the PDF half of this test always runs
    onemap.pick("map-report-hazard", "洪水")
    page.locator("#map-report-format label", has_text="PDF").click()
    with page.expect_download(timeout=REPORT_TIMEOUT) as info:
        page.click("#map-report-go")
    download = info.value
    assert download.suggested_filename == "130200_flood.pdf"
    content = download.path().read_bytes()
    assert content.startswith(b"%PDF") and len(content) > 10_000
    assert shutil.which("pdftotext"), "make sysdeps installs poppler-utils (pdftotext)"
    text = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True).stdout
    assert "唐山市" in text.decode("utf-8")
    expect(page.locator("#map-report-status")).to_contain_text("130200_flood.pdf")


def test_an_unknown_unit_is_said_in_the_box(onemap, page):
    onemap.open("unit=130200&layers=&hz=")
    page.evaluate("window.dash_clientside.set_props('map-unit-code', {data: '999999'})")
    onemap.wait()
    page.locator("#map-report-format label", has_text="XLSX").click()
    page.click("#map-report-go")
    expect(page.locator("#map-report-status .om-error")).to_contain_text("999999", timeout=REPORT_TIMEOUT)
    expect(page.locator("#map-report-status")).to_contain_text(t("report.error", "zh", detail="")[:5])


def test_export_map_of_tangshan_is_the_map_with_its_legend(onemap, page):
    onemap.open("unit=130200&layers=parks,reserves&hz=flood")
    page.mouse.move(2, 2)  # no hover tooltip
    box = onemap.map_box()
    page.evaluate(f"document.querySelectorAll('{CONTROLS}').forEach((e) => e.style.visibility = 'hidden')")
    reference = np.asarray(Image.open(io.BytesIO(page.locator("#map-leaflet").screenshot())).convert("RGB")).astype(int)
    page.evaluate(f"document.querySelectorAll('{CONTROLS}').forEach((e) => e.style.visibility = '')")

    name, image, layout = _export(page, "tangshan")
    assert PNG_NAME.match(name).group(1) == "唐山市"
    r = layout["ratio"]
    assert image.size == (round(layout["width"] * r), round(layout["height"] * r))
    assert (layout["map"]["width"], layout["map"]["height"]) == (round(box["width"]), round(box["height"]))
    assert layout["width"] > layout["map"]["width"] + 100  # a legend strip beside the map
    assert layout["height"] >= layout["map"]["height"] + 30  # a title line above it
    assert layout["layers"] == ["parks", "reserves", "flood"]
    assert "洪水" in layout["note"] and "应急物资储备" in layout["note"]  # synthetic layers are named

    part = _map_part(image, layout)
    assert len(np.unique(part.reshape(-1, 3), axis=0)) > 200  # hexagons, outlines, markers: not blank
    if r == 1:  # the exporter drew what the page shows
        diff = np.abs(part - reference[:part.shape[0], :part.shape[1]]).sum(axis=2)
        assert diff.mean() < 4 and (diff > 90).mean() < 0.01, (diff.mean(), (diff > 90).mean())
    pixels = np.asarray(image.convert("RGB"))
    m = layout["map"]
    legend = pixels[round(m["y"] * r):, round((m["x"] + m["width"]) * r):]
    title = pixels[:round(m["y"] * r)]
    assert _dark(legend) > 500 and _dark(title) > 300  # text in the legend strip and the title
    assert legend.reshape(-1, 3).tolist().count([255, 255, 255]) > legend.shape[0] * legend.shape[1] // 3


def test_export_keeps_tiles_that_load_and_skips_those_that_fail(onemap, page, browser_log):
    """Online tiles: the even columns load (a green stand-in), the odd ones fail; English page."""
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), GREEN).save(buffer, "PNG")
    tile = buffer.getvalue()

    def route(r):
        x = int(re.search(r"/(\d+)/(\d+)/(\d+)\.png", r.request.url).group(2))
        if x % 2:
            r.abort("failed")
        else:
            r.fulfill(status=200, body=tile, content_type="image/png",
                      headers={"Access-Control-Allow-Origin": "*"})

    page.route("https://tile.openstreetmap.org/**", route)
    browser_log.allowed.append(r"Failed to load resource")  # the failing tiles
    onemap.open("base=osm&layers=&hz=&lang=en")
    loaded = page.locator("img.leaflet-tile-loaded").count()
    assert loaded and page.locator("img.leaflet-tile:not(.leaflet-tile-loaded)").count()
    name, image, layout = _export(page, "tiles")
    assert PNG_NAME.match(name).group(1) == "Beijing-Tianjin-Hebei"  # no unit: the region
    part = _map_part(image, layout)
    green = (np.abs(part - np.array(GREEN)).sum(axis=2) < 10).mean()
    assert 0.2 < green < 0.8, green  # the tiles that loaded, and only those
    assert layout["note"] is None  # no layer shown, so no synthetic data
    expect(page.locator("#map-export-status")).to_have_text(t("export.done", "en").replace("{name}", name))


def test_export_carries_an_analysis_result_and_its_legend(onemap, page):
    onemap.open("layers=&hz=&lang=en")
    page.click("#ana-run")  # coverage gaps (the default), flood, the whole region
    expect(page.locator("#ana-result .om-ana-result .om-legend").first).to_be_visible(timeout=REPORT_TIMEOUT)
    onemap.wait()
    _, image, layout = _export(page, "analysis")
    assert layout["analysis"] == t("ana.gaps.title", "en", hours="6") and layout["layers"] == []
    assert t("export.analysis", "en") in layout["note"]
    part = _map_part(image, layout)
    assert len(np.unique(part.reshape(-1, 3), axis=0)) > 50
