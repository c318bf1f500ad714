"""The analyses panel in a browser: every analysis run from the panel on the demo store, "assess
here" / "simulate an event here" from a hexagon card, the event polygon (upload and drawing),
downloads, bad parameters, English, and clearing.

Result hexagons and dispatch lines are drawn on canvases (``preferCanvas``): the tests count the
features the map was given (the Dash props of ``ana-hex-layer``, ``ana-choropleth`` and
``ana-overlay``), check that the analysis pane's canvas is painted, and count the DOM markers
(``.om-site-marker``) and their permanent tooltips. The expected values come from the same
analysis run in the test process on the demo store (``demo_store``, read-only).

``test_typed_value_reaches_the_run``: what the user types is what the analysis uses, or is
refused with a message (number inputs take any value; the server checks the range).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from typing import Any

import h3
import pytest
from playwright.sync_api import expect

from layers import english_text
from mapapp import analyses, map_legend
from mapapp.i18n import label, t
from tests.browser.conftest import MapPage

CJK = re.compile(r"[\u3400-\u9fff]")
RUN_TIMEOUT = 60_000  # ms for one analysis (they take 1-4 s on the demo store)
TANGSHAN = "lat=39.63&lng=118.18"
QUIET = "layers=&hz="  # no facility or hazard layer: only the analysis layers are drawn

#: Fast parameters per analysis (res 6, as tests/integration/test_analyses_app.py), by control.
PARAMS: dict[str, dict[str, Any]] = {
    "gaps": {"hazard": "flood", "res": 6},
    "chains": {"hazard": "flood", "res": 6, "hours": 1},
    "e2sfca": {"res": 6},
    "coordination": {"hazard": "any", "res": 6, "tier": "national"},
    "site": {"hazard": "flood", "res": 6, "sitekind": "depot", "top": 15},
    "siting": {"hazard": "flood", "res": 6, "hours": 1, "k": 3},
    "dispatch": {"hazard": "flood", "event": "quake", "lon": 118.18, "lat": 39.63, "magnitude": 6.5,
                 "res": 7},
    "index": {"res": 6, "weights": "flood=2, earthquake=1, wildfire=1"},
    "supply": {"hazard": "flood", "minclass": 3},
    "match": {"lon": 116.85, "lat": 38.3, "material": "排涝泵", "quantity": 200, "hours": 12},
}
#: Control -> its key in ``analyses.Params.from_controls``.
PARAM_KEY = {"minclass": "min_class", "sitekind": "site_kind", "radius": "radius_km"}
#: A rectangle around central Tangshan (the uploaded event polygon).
RECTANGLE = [[118.10, 39.58], [118.25, 39.58], [118.25, 39.68], [118.10, 39.68], [118.10, 39.58]]


def exactly(text: str) -> re.Pattern:
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def option_text(control: str, value: Any) -> str:
    """The zh label of a dropdown or radio option."""
    if control == "hazard":
        return t("ana.any", "zh") if value == "any" else label("hazard", value, "zh")
    if control == "tier":
        return label("reserve_tier", value, "zh")
    if control == "sitekind":
        return t(f"ana.kind.{value}", "zh")
    if control == "event":
        return t(f"ana.event.{value}", "zh")
    return str(value)  # res


class AnalysisPanel(MapPage):
    """The map page with the analyses panel's controls (``mapapp/analysis_view.py``)."""

    def choose(self, kind: str, lang: str = "zh") -> None:
        """Chooses analysis ``kind`` in the ``ana-kind`` dropdown; its controls show."""
        if self.prop("ana-kind", "value") != kind:
            self.pick("ana-kind", exactly(t(f"ana.{kind}", lang)))
        assert self.prop("ana-kind", "value") == kind
        used = set(analyses.CONTROLS[kind])
        if kind == "dispatch":  # the event type shows its own controls only
            event = self.prop("ana-event", "value")
            used -= {"point", "radius", "magnitude", "polygon"} - set(analyses.EVENT_CONTROLS[event])
        for control in used:
            expect(self.page.locator(f"#ana-row-{control}")).to_be_visible()

    def set(self, control: str, value: Any) -> None:
        """Sets a control as a user does: picks an option, clicks a radio, or types."""
        if control in ("hazard", "res", "tier", "sitekind"):
            if self.prop(f"ana-{control}", "value") != value:
                self.pick(f"ana-{control}", exactly(option_text(control, value)))
            assert self.prop(f"ana-{control}", "value") == value, control
        elif control == "event":
            self.page.locator("#ana-event label", has_text=option_text(control, value)).click()
            self.wait()
            assert self.prop("ana-event", "value") == value
        else:
            self.page.fill(f"#ana-{control}", str(value))
            self.wait()

    def run(self, kind: str, params: dict[str, Any] | None = None) -> Any:
        """Chooses ``kind``, sets ``params``, clicks Run and waits for its result; the result."""
        self.choose(kind)
        for control, value in (params or {}).items():
            self.set(control, value)
        return self.click_run(kind)

    def click_run(self, kind: str) -> Any:
        self.page.click("#ana-run")
        return self.result(kind)

    def result(self, kind: str) -> Any:
        """The result ``#ana-result-<kind>`` once shown and Dash is idle."""
        result = self.page.locator(f"#ana-result-{kind}")
        expect(result).to_be_visible(timeout=RUN_TIMEOUT)
        self.wait()
        return result

    def summary(self) -> list[str]:
        lines = self.page.locator("#ana-result .om-ana-summary").all_inner_texts()
        return [s.strip() for s in lines]

    def table_rows(self) -> list[list[str]]:
        """The DataTable's rows on its first page, as cell texts."""
        rows = self.page.locator("#ana-table tr:has(td)")
        return [[c.strip() for c in r.locator("td").all_inner_texts()] for r in rows.all()]

    def row_counts(self, lang: str = "zh") -> tuple[int, int]:
        """(rows in all, rows shown) of the note under the table (``ana.rows``)."""
        text = self.page.inner_text("#ana-result")
        pattern = (r"共 ([\d,]+) 行，显示前 (\d+) 行" if lang == "zh"
                   else r"([\d,]+) rows, (\d+) shown")  # fmt: skip
        m = re.search(pattern, text)
        assert m, text
        return int(m.group(1).replace(",", "")), int(m.group(2))

    def features(self, component: str) -> list[dict]:
        """The GeoJSON features a map layer was given (its ``data`` prop)."""
        data = self.prop(component, "data") or {}
        return data.get("features") or []

    def feature_props(self, component: str) -> list[dict]:
        """The properties of each feature of a layer, without the geometries (faster)."""
        return self.page.evaluate(
            "(id) => { const c = window.dash_component_api.getLayout(id);"
            " const f = (c && c.props.data && c.props.data.features) || [];"
            " return f.map((x) => Object.assign({}, x.properties)); }", component)

    def feature_sample(self, component: str, n: int = 20) -> list[dict]:
        """The first ``n`` features of a layer, with their geometries."""
        return self.page.evaluate(
            "([id, n]) => { const c = window.dash_component_api.getLayout(id);"
            " return ((c && c.props.data && c.props.data.features) || []).slice(0, n); }",
            [component, n])

    def wait_for_centre(self, lat: float, lng: float, tol: float = 0.02) -> None:
        """Waits until the map's view is centred on (lat, lng) (after a fly-to)."""
        self.page.wait_for_function(
            """([lat, lng, tol]) => {
                const c = window.dash_component_api.getLayout('map-leaflet');
                const b = c && c.props.bounds;
                if (!b) return false;
                const y = (a) => Math.log(Math.tan(Math.PI / 4 + a * Math.PI / 360));
                const mid = Math.atan(Math.exp((y(b[0][0]) + y(b[1][0])) / 2)) * 360 / Math.PI - 90;
                return Math.abs(mid - lat) < tol && Math.abs((b[0][1] + b[1][1]) / 2 - lng) < tol;
            }""", arg=[lat, lng, tol], timeout=15_000, polling=100)
        self.wait()


@pytest.fixture
def panel(page) -> AnalysisPanel:
    return AnalysisPanel(page)


def oracle(store, kind: str, params: dict[str, Any], lang: str = "zh") -> analyses.AnalysisView:
    """The analysis the panel should show, run in the test process."""
    values = {PARAM_KEY.get(k, k): v for k, v in params.items()}
    return analyses.run(store, analyses.Params.from_controls({"kind": kind, **values}), lang)


# ------------------------------------------------------------------------- every analysis


@pytest.mark.parametrize("kind", analyses.NAMES)
def test_every_analysis_from_the_panel(panel, page, demo_store, shot, kind):
    """Choose, set fast parameters, Run: a Chinese summary, table rows, and the map layers."""
    panel.open(QUIET)
    zoom = panel.prop("map-leaflet", "zoom")
    result = panel.run(kind, PARAMS[kind])
    expected = oracle(demo_store, kind, PARAMS[kind])

    # the heading names the parameters used where they matter (gaps: the county standard)
    assert result.locator("h4").inner_text() == (expected.title or t(f"ana.{kind}", "zh"))
    summary = panel.summary()
    assert len(summary) == len(expected.summary) and summary[0] == expected.summary[0], summary
    assert all(CJK.search(line) for line in summary), summary
    assert panel.row_counts() == (len(expected.table), len(expected.shown))
    rows = panel.table_rows()
    assert len(rows) == min(12, len(expected.shown)) > 0  # page_size 12
    first = expected.shown.iloc[0, 0]
    assert rows[0][0] == str(first.item() if hasattr(first, "item") else first)
    assert page.locator("#ana-result .om-error").count() == 0

    # the map: hexagons on the analysis pane's canvas, choropleth, overlay markers and lines
    hexes = panel.feature_props("ana-hex-layer")
    want_hexes = len(expected.hexes["cells"]) if expected.hexes else 0
    assert len(hexes) == want_hexes
    if want_hexes:
        assert [f["c"] for f in hexes] == expected.hexes["cls"]
        cells = panel.prop("ana-hex", "data")["cells"]  # what the server sent
        assert cells == expected.hexes["cells"]
        for cell, f in zip(cells, panel.feature_sample("ana-hex-layer")):  # drawn where they are
            ring = f["geometry"]["coordinates"][0]
            want = [c for y, x in h3.cell_to_boundary(cell) for c in (x, y)]
            assert [c for p in ring[:6] for c in p] == pytest.approx(want, abs=1e-9)
        assert panel.prop("ana-hex-layer", "hideout")["palette"] == expected.palette
    choro = panel.feature_props("ana-choropleth")
    assert len(choro) == len((expected.choropleth or {}).get("features", []))
    painted, _ = panel.canvas_alpha("om-analysis")
    assert (painted > 0) == bool(want_hexes or choro), painted
    overlay = panel.features("ana-overlay")
    assert len(overlay) == len((expected.overlay or {}).get("features", []))
    markers = [f for f in overlay if f["geometry"]["type"] == "Point"
               and f["properties"].get("kind") in ("site", "event", "epicentre")]
    expect(page.locator(".om-site-marker")).to_have_count(len(markers))
    legend = page.locator("#ana-result .om-legend-row")  # a block per layer drawn (mapapp.map_legend)
    blocks = map_legend.analysis_blocks(expected, "zh")
    expect(legend).to_have_count(sum(len(b["rows"]) for b in blocks))
    # the floating legend over the map carries the same blocks
    expect(page.locator("#map-legend .om-legend-analysis")).to_have_count(len(blocks))

    if kind == "chains":  # the heatmap and the city choropleth, no hexagons
        expect(page.locator("#ana-result #ana-figure .js-plotly-plot")).to_have_count(1)
        figure = panel.prop("ana-figure", "figure")
        assert figure["data"][0]["type"] == "heatmap" and len(figure["data"][0]["y"]) == 13
        assert page.locator("#ana-figure .hm image, #ana-figure .heatmaplayer image").count() >= 1
        assert len(choro) == 13
        assert {f["name"] for f in choro} >= {"北京市", "天津市", "唐山市"}
        assert want_hexes == 0
    if kind == "siting":  # 3 numbered new depots with their names
        expect(page.locator(".om-site-marker")).to_have_text(["1", "2", "3"])
        names = [f["properties"]["name"] for f in expected.overlay["features"]]
        assert [n.strip() for n in page.locator(".om-ana-tip").all_inner_texts()] == names
        assert all(n.startswith(t("ana.siting.site", "zh") + " ") for n in names)
        assert {f["c"] for f in hexes} <= {0, 1, 2}
        assert any(f["c"] == 1 for f in hexes), "no hexagon newly covered"
    if kind == "site":  # the top 10 of 15 numbered on the map by their true rank (spread out: ranks skip)
        expect(page.locator(".om-site-marker")).to_have_count(10)
        ranks = [int(r) for r in page.locator(".om-site-marker").all_inner_texts()]
        assert ranks[0] == 1 and ranks == sorted(set(ranks))
        assert len(hexes) == 15
    if kind == "dispatch":  # epicentre, affected area, lines to reserves; the map flew there
        expect(page.locator(".om-event-marker")).to_have_count(1)
        lines = [f for f in overlay if f["geometry"]["type"] == "LineString"]
        centre = pytest.approx([118.18, 39.63], abs=0.05)
        assert lines and all(f["geometry"]["coordinates"][-1] == centre for f in lines)
        assert panel.canvas_alpha("overlay")[0] > 1_000, "no dispatch line drawn"
        panel.wait_for_centre(39.63, 118.18, tol=0.1)
        assert panel.prop("map-leaflet", "zoom") > zoom
    if kind == "coordination":  # reserves that matter across borders, as circles on the canvas
        assert overlay and panel.canvas_alpha("overlay")[0] > 0
    shot(page, f"ana-{kind}")


# ------------------------------------------------------------------- from a hexagon card


def open_card(panel: AnalysisPanel, page, dx: float = 250, dy: float = 100) -> tuple[float, float]:
    """Clicks the map off its centre (Tangshan, z=12): the hexagon card; the clicked (lat, lng)."""
    panel.open(f"{TANGSHAN}&z=12&layers=&hz=flood")
    box = panel.map_box()
    page.mouse.click(box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy)
    expect(page.locator("#map-card-cell")).to_be_visible()
    panel.wait()
    click = panel.prop("map-leaflet", "clickData")["latlng"]
    return click["lat"], click["lng"]


def test_assess_here_and_simulate_an_event_here(panel, page, shot):
    """评估此处: site suitability at the clicked point, its breakdown, the map flies there;
    在此模拟事件: dispatch from the same point, lines to the reserves."""
    lat, lng = open_card(panel, page)
    assert panel.prop("ana-kind", "value") == "gaps"
    page.locator("#map-card-cell button", has_text=t("ana.here.site", "zh")).click()
    result = panel.result("site")

    assert panel.prop("ana-kind", "value") == "site"
    assert panel.dropdown_text("ana-kind") == t("ana.site", "zh")
    assert panel.prop("ana-lon", "value") == round(lng, 5)
    assert panel.prop("ana-lat", "value") == round(lat, 5)
    assert page.input_value("#ana-lon") == str(round(lng, 5))
    assert page.input_value("#ana-lat") == str(round(lat, 5))
    expect(page.locator("#ana-row-point")).to_be_visible()
    rows = panel.table_rows()
    assert [r[0] for r in rows] == [t(f"ana.site.{c}", "zh")
                                    for c in ("hazard_safety", "demand", "chains", "complement")]
    for row in rows:
        score = float(row[1])
        assert 0.0 <= score <= 1.0, row
    summary = panel.summary()
    # scored at the card's own hexagon (zoom 12: res 9), within the panel's finest resolution, 8
    cell = h3.latlng_to_cell(round(lat, 5), round(lng, 5), 8)
    assert cell in summary[0] and t("ana.kind.depot", "zh") in summary[0], summary
    words = [re.sub(r"\b[0-9a-f]{15}\b", "", line) for line in summary]  # the hexagon's id is a code
    assert not any(re.search(r"[A-Za-z]{2,}", line) for line in words), summary  # exclusions in words
    expect(page.locator(".om-site-marker")).to_have_text(["★"])
    assert "得分" in result.inner_text()
    panel.wait_for_centre(lat, lng)  # the map flew to the point (it was centred on Tangshan)
    before, _ = panel.canvas_alpha("overlay")  # the clicked hexagon's outline, no line yet
    shot(page, "ana-here-site")

    expect(page.locator("#map-card-cell")).to_be_visible()  # the card stays
    page.locator("#map-card-cell button", has_text=t("ana.here.dispatch", "zh")).click()
    panel.result("dispatch")
    assert panel.prop("ana-kind", "value") == "dispatch"
    assert panel.prop("ana-event", "value") == "point"
    assert panel.prop("ana-lon", "value") == round(lng, 5)
    lines = [f for f in panel.features("ana-overlay") if f["geometry"]["type"] == "LineString"]
    assert lines and all(f["geometry"]["coordinates"][-1] == pytest.approx([lng, lat], abs=0.05)
                         for f in lines)
    expect(page.locator(".om-event-marker")).to_have_count(1)
    assert panel.canvas_alpha("overlay")[0] > before + 1_000, "no dispatch line drawn"
    assert len(panel.feature_props("ana-hex-layer")) > 0  # the affected area
    assert panel.table_rows() and CJK.search(panel.summary()[0])
    shot(page, "ana-here-dispatch")


def test_assess_here_scores_the_clicked_hexagons_own_resolution(panel, page, demo_store, shot):
    """评估此处 on a res-8 hexagon near 雄安 (zoom 11): the site is scored at res 8, the same
    hexagon the card shows, ranked "k of N" with N the region's res-8 hexagons (counted here
    from the store's cells, not from the ranking), and "top x %" = k / N."""
    from layers.frames import region_cells  # noqa: PLC0415 - the oracle's count of candidates

    panel.open("lat=39.02&lng=115.95&z=11&layers=&hz=flood")
    box = panel.map_box()
    page.mouse.click(box["x"] + box["width"] / 2 + 120, box["y"] + box["height"] / 2 + 60)
    expect(page.locator("#map-card-cell")).to_be_visible()
    panel.wait()
    cell = panel.prop("map-cell", "data")
    assert h3.get_resolution(cell) == 8
    page.locator("#map-card-cell button", has_text=t("ana.here.site", "zh")).click()
    panel.result("site")
    assert panel.prop("ana-res", "value") == 8
    summary = panel.summary()[0]
    n = len(region_cells(demo_store, 8))
    assert n != len(region_cells(demo_store, 6))
    m = re.search(r"六边形 ([0-9a-f]{15})（分辨率 (\d)）.*在 ([\d,]+) 个候选六边形中排第 ([\d,]+) 位（前 ([\d.]+)%）", summary)
    assert m, summary
    assert m.group(1) == cell and m.group(2) == "8"
    assert int(m.group(3).replace(",", "")) == n and m.group(3) == f"{n:,}"
    rank = int(m.group(4).replace(",", ""))
    assert 1 <= rank <= n
    share = 100 * rank / n
    assert m.group(5) == (f"{share:.1f}" if share < 10 else f"{share:.0f}")
    shot(page, "15-assess-here-res8")


# ------------------------------------------------------------------------ event polygons


def upload(page, name: str, data: Any) -> None:
    page.set_input_files("#ana-upload input[type=file]", files=[{
        "name": name, "mimeType": "application/geo+json", "buffer": json.dumps(data).encode()}])


def test_dispatch_with_an_uploaded_polygon(panel, page, shot):
    """Upload a GeoJSON rectangle: "polygon ready"; Run: the affected hexagons are inside it."""
    panel.open(f"{TANGSHAN}&z=10&{QUIET}")
    panel.choose("dispatch")
    panel.set("event", "polygon")
    status = page.locator("#ana-polygon-status")
    expect(status).to_have_text(t("ana.polygon.none", "zh"))

    upload(page, "point.geojson", {"type": "Point", "coordinates": [118.18, 39.63]})
    expect(status.locator(".om-error")).to_contain_text("文件“point.geojson”中没有多边形")
    assert panel.prop("ana-polygon", "data") is None

    feature = {"type": "Feature", "properties": {"name": "事件"},
               "geometry": {"type": "Polygon", "coordinates": [RECTANGLE]}}
    upload(page, "event.geojson", {"type": "FeatureCollection", "features": [feature]})
    expect(status).to_have_text(t("ana.polygon.ok", "zh", source="event.geojson", n=5))
    panel.wait()
    assert panel.prop("ana-polygon", "data") == feature["geometry"]

    panel.click_run("dispatch")
    area = [f for f in panel.features("ana-overlay") if f["properties"].get("kind") == "area"]
    assert len(area) == 1 and area[0]["geometry"]["coordinates"] == [RECTANGLE]
    cells = panel.prop("ana-hex", "data")["cells"]
    assert 50 < len(cells) < 1_000 and len(panel.feature_props("ana-hex-layer")) == len(cells)
    for cell in cells:
        y, x = h3.cell_to_latlng(cell)
        assert 118.09 < x < 118.26 and 39.57 < y < 39.69, (cell, x, y)
    assert re.match(r"影响六边形 [\d,]+ 个", panel.summary()[0])
    lines = [f for f in panel.features("ana-overlay") if f["geometry"]["type"] == "LineString"]
    assert lines and panel.table_rows()
    shot(page, "ana-dispatch-polygon")


def test_dispatch_with_a_drawn_rectangle(panel, page):
    """Draw a rectangle with the toolbar at the map's top right: it becomes the event polygon."""
    panel.open(f"{TANGSHAN}&z=10&{QUIET}")
    panel.choose("dispatch")
    panel.set("event", "polygon")
    page.click(".leaflet-draw-draw-rectangle")
    box = panel.map_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx - 100, cy - 80)
    page.mouse.down()
    page.mouse.move(cx, cy, steps=5)
    page.mouse.move(cx + 100, cy + 80, steps=5)
    page.mouse.up()
    expect(page.locator("#ana-polygon-status")).to_have_text(
        t("ana.polygon.ok", "zh", source=t("ana.polygon.drawn", "zh"), n=5))
    panel.wait()
    geometry = panel.prop("ana-polygon", "data")
    lngs = [p[0] for p in geometry["coordinates"][0]]
    lats = [p[1] for p in geometry["coordinates"][0]]
    lat, lng, _ = panel.view()
    assert min(lngs) < lng < max(lngs) and min(lats) < lat < max(lats)
    w, e, s, n = panel.to_page(lat, min(lngs))[0], panel.to_page(lat, max(lngs))[0], \
        panel.to_page(min(lats), lng)[1], panel.to_page(max(lats), lng)[1]  # fmt: skip
    assert abs(e - w - 200) < 3 and abs(s - n - 160) < 3  # the dragged 200 × 160 px

    panel.click_run("dispatch")
    cells = panel.prop("ana-hex", "data")["cells"]
    assert cells and len(panel.feature_props("ana-hex-layer")) == len(cells)
    for cell in cells:
        y, x = h3.cell_to_latlng(cell)
        assert min(lngs) - 0.01 < x < max(lngs) + 0.01 and min(lats) - 0.01 < y < max(lats) + 0.01
    assert panel.table_rows()


# ------------------------------------------------------------------------------ downloads


def test_gaps_downloads_then_clear(panel, page, demo_store):
    """After a gaps run: the CSV has the full table, the GeoJSON the hexagons; Clear removes
    the result, the hexagons and the county shading."""
    panel.open(QUIET)
    panel.run("gaps", PARAMS["gaps"])
    expected = oracle(demo_store, "gaps", PARAMS["gaps"])
    buttons = page.locator("#ana-result .om-ana-downloads button")
    expect(buttons).to_have_text([f"{t('ana.download.table', 'zh')} CSV",
                                  f"{t('ana.download.table', 'zh')} XLSX",
                                  f"{t('ana.download.cells', 'zh')} GEOJSON"])

    with page.expect_download() as info:
        buttons.nth(0).click()
    download = info.value
    assert download.suggested_filename == "onemap_gaps.csv"
    rows = list(csv.reader(io.StringIO(download.path().read_text(encoding="utf-8-sig"))))
    assert rows[0][:4] == ["密级", "level", "adcode", "name"]  # the 内部资料 mark, then the table
    assert {r[0] for r in rows[1:]} == {"内部资料"}
    assert len(rows) - 1 == len(expected.table) > 100
    assert {r[1] for r in rows[1:]} >= {"county"}

    with page.expect_download() as info:
        buttons.nth(2).click()
    download = info.value
    assert download.suggested_filename == "onemap_gaps.geojson"
    data = json.loads(download.path().read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    assert len(data["features"]) == len(expected.cells) == len(panel.feature_props("ana-hex-layer"))
    for f in data["features"][:50]:
        ring = f["geometry"]["coordinates"][0]
        assert f["geometry"]["type"] == "Polygon" and len(ring) == 7 and ring[0] == ring[-1]
        cell = f["properties"]["cell"]
        assert h3.get_resolution(cell) == 6
        y, x = h3.cell_to_latlng(cell)
        mean = (sum(p[0] for p in ring[:6]) / 6, sum(p[1] for p in ring[:6]) / 6)
        assert math.dist((x, y), mean) < 0.01

    page.click("#ana-clear")
    panel.wait()
    expect(page.locator("#ana-result")).to_have_text(t("ana.hint", "zh"))
    assert page.locator("#ana-result-gaps").count() == 0
    assert panel.feature_props("ana-hex-layer") == []
    assert panel.feature_props("ana-choropleth") == []
    assert panel.canvas_alpha("om-analysis") == (0, 0.0)
    assert panel.prop("ana-params", "data") is None


# ------------------------------------------------------------------ errors and language


def test_a_bad_parameter_shows_an_error(panel, page):
    """Longitude 500 for a site: the error in the result, nothing drawn, no console error."""
    panel.open(QUIET)
    panel.choose("site")
    panel.set("lon", 500)
    panel.set("lat", 39)
    page.click("#ana-run")
    error = page.locator("#ana-result .om-error")
    expect(error).to_be_visible(timeout=RUN_TIMEOUT)
    panel.wait()
    text = error.inner_text()
    # in plain Chinese: the field's label, the value typed and the range to use (mapapp.error_text)
    assert text.startswith("输入无效：") and "“经度”的取值 500 无效" in text, text
    assert "-180 到 180" in text and "found" not in text, text
    assert page.locator("#ana-result .om-ana-result").count() == 0
    assert panel.feature_props("ana-hex-layer") == [] and panel.features("ana-overlay") == []
    assert page.locator(".om-site-marker").count() == 0

    # a good value afterwards runs (the error does not stick)
    panel.set("lon", 118.2)
    panel.set("lat", 39.6)
    panel.click_run("site")
    assert page.locator("#ana-result .om-error").count() == 0


def test_english_panel_and_result(panel, page, demo_store, shot):
    """?lang=en: the panel's controls and a gaps result in English."""
    panel.open(f"lang=en&{QUIET}")
    controls = page.locator("#ana-controls")
    expect(controls.locator("h3")).to_have_text(t("panel.analysis", "en"))
    assert panel.dropdown_text("ana-kind") == t("ana.gaps", "en")
    expect(page.locator("#ana-run")).to_have_text(t("ana.run", "en"))
    expect(page.locator("#ana-clear")).to_have_text(t("ana.clear", "en"))
    expect(page.locator("#ana-help")).to_have_text(t("ana.gaps.help", "en"))
    assert not CJK.search(controls.inner_text())
    page.click("#ana-run")
    panel.result("gaps")
    expected = oracle(demo_store, "gaps", {}, "en")
    summary = panel.summary()
    assert summary == [english_text(s) for s in expected.summary]  # place names in pinyin on screen
    assert summary[0].startswith("Flood: ") and "at-risk hexagons" in summary[0], summary
    assert not CJK.search(summary[0])
    headers = page.locator("#ana-table th").all_inner_texts()
    assert "Name" in [h.strip() for h in headers] and not any(CJK.search(h) for h in headers)
    total, shown = panel.row_counts("en")
    assert (total, shown) == (len(expected.table), len(expected.shown))
    expect(page.locator("#ana-result .om-ana-downloads button").first).to_have_text("Table CSV")
    shot(page, "ana-english")


# ------------------------------------------------------------------------ known app bugs


@pytest.mark.parametrize(("kind", "typed", "want"), [
    ("siting", {"hours": 1, "k": 3}, "（1 小时标准）"),
    ("siting", {"k": 0}, "“新增数量 K”的取值 0 无效"),
    ("site", {"lon": 118.26576, "lat": 39.60357}, "86318d877ffffff"),
], ids=["hours-1", "k-0", "lon-5-decimals"])
def test_typed_value_reaches_the_run(panel, page, kind, typed, want):
    """What the user typed is what the analysis uses (or is refused with a message)."""
    panel.open(QUIET)
    panel.choose(kind)
    for control, value in typed.items():
        panel.set(control, value)
    page.click("#ana-run")
    expect(page.locator("#ana-result .om-ana-result, #ana-result .om-error")).to_be_visible(
        timeout=RUN_TIMEOUT)
    panel.wait()
    assert want in page.inner_text("#ana-result")

