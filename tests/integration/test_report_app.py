"""生成报告 without a browser: the report callback through Dash's HTTP endpoint on the demo store.

The files come back as ``dcc.send_bytes`` payloads (base64); each is opened with its own reader
(openpyxl, zipfile, pdftotext) and checked against ``layers.build_report`` run in the test
process. Errors must come back as text in the report box, with nothing sent.
"""

from __future__ import annotations

import base64
import io
import shutil
import subprocess
import tempfile
import zipfile

import openpyxl
import pandas as pd
import pytest

from layers import Store, StoreUnavailable, build_report, hazard_layers
from layers.report.formats import FORMATS, sheet_title
from layers.report.labels import header
from mapapp import report_export

TANGSHAN, LUBEI = "130200", "130203"
needs_pdf = pytest.mark.skipif("pdf" not in FORMATS, reason="write_report writes no PDF yet")


@pytest.fixture(scope="module")
def store(demo_db):
    s = Store(demo_db)
    yield s
    s.close()


@pytest.fixture()
def client(app):
    return app.server.test_client()


def _report(app, client, unit, hazard="all", fmt="xlsx", lang="zh"):
    """POST the 生成报告 click as the renderer does; (HTTP status, the callback's response)."""
    key = next(k for k in app.callback_map if "map-report-download.data" in k)
    r = client.post("/_dash-update-component", json={
        "output": key, "outputs": [{"id": "map-report-download", "property": "data"},
                                   {"id": "map-report-status", "property": "children"}],
        "inputs": [{"id": "map-report-go", "property": "n_clicks", "value": 1}],
        "state": [{"id": "map-unit-code", "property": "data", "value": unit},
                  {"id": "map-report-hazard", "property": "value", "value": hazard},
                  {"id": "map-report-format", "property": "value", "value": fmt},
                  {"id": "map-config", "property": "data", "value": {"lang": lang}},
                  {"id": "map-report-hours", "property": "value", "value": None},  # empty: the region file's
                  {"id": "map-report-k", "property": "value", "value": 3},
                  {"id": "map-report-publish", "property": "value", "value": []}],  # not published
        "changedPropIds": ["map-report-go.n_clicks"]})
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    return r.get_json()["response"]


def _file(response) -> tuple[str, bytes]:
    data = response["map-report-download"]["data"]
    assert data["base64"] is True
    return data["filename"], base64.b64decode(data["content"])


def _rows(wb, key: str, lang: str) -> pd.DataFrame:
    rows = list(wb[sheet_title(key, lang)].iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_xlsx_of_tangshan_holds_build_reports_headline(app, client, store, lang):
    response = _report(app, client, TANGSHAN, "flood", "xlsx", lang)
    name, content = _file(response)
    assert name == "130200_flood.xlsx"
    assert name in str(response["map-report-status"]["children"])
    wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    headline = _rows(wb, "headline", lang)
    expected = build_report(store, TANGSHAN, "flood").headline.iloc[0]
    area = headline[header("at_risk_area_km2", lang)].iloc[0]
    assert area == pytest.approx(expected["at_risk_area_km2"], rel=1e-9) and area > 100
    assert headline[header("at_risk_cells", lang)].iloc[0] == expected["at_risk_cells"]
    assert len(headline) == 1  # one hazard asked, one row


def test_every_hazard_by_default_and_the_status_says_what_was_made(app, client, store):
    response = _report(app, client, TANGSHAN, "all", "xlsx", "en")
    name, content = _file(response)
    assert name == "130200_all.xlsx"
    headline = _rows(openpyxl.load_workbook(io.BytesIO(content), read_only=True), "headline", "en")
    assert len(headline) == len(hazard_layers(store)) == 6  # 3 synthetic rasters, 3 real seismic layers
    status = str(response["map-report-status"]["children"])
    assert "130200_all.xlsx ready" in status and " KB" in status


def test_zip_holds_every_format_of_one_report(app, client):
    name, content = _file(_report(app, client, LUBEI, "flood", "zip"))
    assert name == "130203_flood.zip"
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert archive.testzip() is None
    stem = "130203_flood"
    expected = {f"{stem}.xlsx", *(f"{stem}_{k}.{ext}" for k in ("cells", "facilities") for ext in ("geojson", "parquet"))}
    if "pdf" in FORMATS:
        expected |= {f"{stem}.pdf", f"{stem}.html"}
    assert set(archive.namelist()) == expected
    assert all(archive.getinfo(n).file_size > 0 for n in expected)
    openpyxl.load_workbook(io.BytesIO(archive.read(f"{stem}.xlsx")), read_only=True)
    assert archive.read(f"{stem}_cells.parquet")[:4] == b"PAR1"
    if "pdf" in FORMATS:
        assert archive.read(f"{stem}.pdf").startswith(b"%PDF")


@needs_pdf
@pytest.mark.parametrize(("unit", "name", "lang"), [(TANGSHAN, "唐山市", "zh"), (LUBEI, "Lubei District", "en")])
def test_pdf_in_the_users_language(app, client, unit, name, lang):
    """One hazard (a PDF of every hazard of a city takes about 20 s to render)."""
    filename, content = _file(_report(app, client, unit, "flood", "pdf", lang))
    assert filename == f"{unit}_flood.pdf" and content.startswith(b"%PDF") and len(content) > 10_000
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True).stdout
        text = text.decode("utf-8")
        assert name in text and unit in text
        assert ("洪水" if lang == "zh" else "Flood") in text


@pytest.mark.parametrize(("unit", "hazard", "fmt", "lang", "words"), [
    ("999999", "all", "xlsx", "zh", ["报告未生成", "没有这个行政区划代码", "999999"]),
    (TANGSHAN, "tsunami", "xlsx", "zh", ["报告未生成", "输入无效", "tsunami"]),
    (TANGSHAN, "flood", "docx", "en", ["No report", "Invalid input", "docx"]),
    (None, "all", "pdf", "zh", ["请先选择"]),
    (None, "all", "pdf", "en", ["Choose a province"]),
])
def test_errors_are_shown_and_nothing_is_sent(app, client, unit, hazard, fmt, lang, words):
    response = _report(app, client, unit, hazard, fmt, lang)
    assert "map-report-download" not in response  # no_update: no file, not even an empty one
    status = response["map-report-status"]["children"]
    assert status["props"]["className"] == "om-error"
    assert all(w in str(status) for w in words), status


def test_a_store_that_went_away_is_named_not_raised(app, client, monkeypatch):
    def gone(*args, **kwargs):
        raise StoreUnavailable("数据库 x.duckdb 不存在。请先运行：onemap build", "store x.duckdb does not exist")

    monkeypatch.setattr(report_export, "build_report", gone)
    response = _report(app, client, TANGSHAN, "all", "xlsx", "zh")
    assert "map-report-download" not in response
    assert "onemap build" in str(response["map-report-status"]["children"])


def test_the_report_box_shows_only_with_a_unit(app, client):
    key = next(k for k in app.callback_map if "map-report.className" in k)

    def box(unit, lang="zh"):
        r = client.post("/_dash-update-component", json={
            "output": key, "outputs": [{"id": "map-report", "property": "className"},
                                       {"id": "map-report-unit", "property": "children"},
                                       {"id": "map-export-unit", "property": "data"}],
            "inputs": [{"id": "map-unit-code", "property": "data", "value": unit}],
            "state": [{"id": "map-config", "property": "data", "value": {"lang": lang}}],
            "changedPropIds": ["map-unit-code.data"]})
        assert r.status_code == 200
        return r.get_json()["response"]

    shown = box(TANGSHAN)
    assert "om-hidden" not in shown["map-report"]["className"]
    assert shown["map-report-unit"]["children"] == "报告范围：唐山市（130200）"
    assert shown["map-export-unit"]["data"] == {"adcode": TANGSHAN, "name": "唐山市"}
    assert box(TANGSHAN, "en")["map-report-unit"]["children"] == "Report on 唐山市 (130200)"
    hidden = box(None)
    assert "om-hidden" in hidden["map-report"]["className"] and hidden["map-export-unit"]["data"] is None


def test_report_file_builds_outside_the_repository(store, monkeypatch, tmp_path):
    """Files are built in a temporary folder that is gone afterwards (never in the repository)."""
    made = []
    real = tempfile.TemporaryDirectory

    def spy(*args, **kwargs):
        made.append(real(*args, dir=tmp_path, **kwargs))
        return made[-1]

    monkeypatch.setattr(tempfile, "TemporaryDirectory", spy)
    done = report_export.report_file(store, LUBEI, "flood", "xlsx")
    assert done.name == "130203_flood.xlsx" and done.content[:2] == b"PK"
    assert len(made) == 1 and not list(tmp_path.iterdir())  # cleaned up


def test_report_file_passes_the_standard_and_scenario(store, monkeypatch):
    """The report box's county standard and siting scenario reach build_report as the CLI's
    ``--hours county=H`` and ``--siting-k K`` do; left empty, the region file's apply."""
    seen = []

    class Stop(Exception):
        pass

    def spy(*args, **kwargs):
        seen.append(kwargs)
        raise Stop

    monkeypatch.setattr(report_export, "build_report", spy)
    for kwargs in ({"county_hours": 1.5, "siting_k": 0}, {}):
        with pytest.raises(Stop):
            report_export.report_file(store, LUBEI, "flood", "pdf", "zh", **kwargs)
    assert seen == [{"hours_by_tier": {"county": 1.5}, "siting_k": 0}, {}]
