"""Published reports (issue 18): a planner publishes a generated report; viewers list and download
published reports and nothing else; anonymous requests get nothing; the audit log records both.
Every request goes through Flask's test client with the users file's sign-in."""

from __future__ import annotations

import base64
import io
import json

import openpyxl
import pytest

from mapapp import audit, published
from tests.integration.test_roles import HTTPS, _download, _run_gaps, _sign_in, deployed  # noqa: F401

COUNTY = "130203"  # 唐山市路北区 (a county: the report takes a few seconds)


def _report(client, publish, fmt="xlsx", unit=COUNTY):
    return client.post("/_dash-update-component", base_url=HTTPS, json={
        "output": "..map-report-download.data...map-report-status.children..",
        "outputs": [{"id": "map-report-download", "property": "data"},
                    {"id": "map-report-status", "property": "children"}],
        "inputs": [{"id": "map-report-go", "property": "n_clicks", "value": 1}],
        "state": [{"id": "map-unit-code", "property": "data", "value": unit},
                  {"id": "map-report-hazard", "property": "value", "value": "flood"},
                  {"id": "map-report-format", "property": "value", "value": fmt},
                  {"id": "map-config", "property": "data", "value": {"lang": "zh"}},
                  {"id": "map-report-hours", "property": "value", "value": None},
                  {"id": "map-report-k", "property": "value", "value": 0},
                  {"id": "map-report-publish", "property": "value", "value": publish}],
        "changedPropIds": ["map-report-go.n_clicks"]})


@pytest.fixture()
def folder(app, deployed, tmp_path):  # noqa: F811
    deployed("users", published_dir=str(tmp_path / "published"))
    return tmp_path / "published"


def test_planner_publishes_viewer_lists_and_downloads(app, folder, tmp_path):
    planner, viewer = app.server.test_client(), app.server.test_client()
    _sign_in(planner, "paul"), _sign_in(viewer, "vera")
    assert "尚无已发布的报告" in viewer.get("/published", base_url=HTTPS).get_data(as_text=True)
    # a report generated without the tick is not published
    r = _report(planner, [])
    assert r.status_code == 200 and not folder.exists()
    r = _report(planner, ["publish"])
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    sent = base64.b64decode(r.get_json()["response"]["map-report-download"]["data"]["content"])
    assert "已发布给查看者" in json.dumps(r.get_json()["response"]["map-report-status"], ensure_ascii=False)
    [record] = published.listing(folder)
    assert record["by"] == "paul" and record["unit"] == COUNTY and record["format"] == "xlsx"
    page = viewer.get("/published", base_url=HTTPS)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "路北区 · 洪水 报告（XLSX）" in text and "paul" in text
    got = viewer.get(f"/published/{record['file']}", base_url=HTTPS)
    assert got.status_code == 200 and got.data == sent  # the very file the planner generated
    assert f"{COUNTY}_flood.xlsx" in got.headers["Content-Disposition"]
    openpyxl.load_workbook(io.BytesIO(got.data), read_only=True)  # a real workbook
    log = audit.entries(tmp_path / "audit.jsonl")
    assert [e["user"] for e in log if e["action"] == "publish"] == ["paul"]
    assert [e["user"] for e in log if e["action"] == "published_download"] == ["vera"]
    assert "发布报告" == audit.action_name("publish", "zh")


def test_viewer_gets_published_reports_and_nothing_else(app, folder):
    planner, viewer = app.server.test_client(), app.server.test_client()
    _sign_in(planner, "paul"), _sign_in(viewer, "vera")
    _report(planner, ["publish"])
    [record] = published.listing(folder)
    (folder / "secret.xlsx").write_bytes(b"internal")  # a file in the folder that was never published
    for path in ("secret.xlsx", f"{record['file']}.json", record["file"].replace(".xlsx", ".pdf")):
        assert viewer.get(f"/published/{path}", base_url=HTTPS).status_code == 404, path
    for path in ("..%2Fusers.json", "../users.json", "..%2F..%2Fonemap-audit.jsonl"):
        r = viewer.get(f"/published/{path}", base_url=HTTPS)  # leaves the folder: the app's page at most
        assert b"argon2" not in r.data and b"sign_in" not in r.data and "Content-Disposition" not in r.headers
    assert _report(viewer, ["publish"]).status_code == 403  # viewers cannot generate or publish
    assert _run_gaps(app, viewer).status_code == 403
    assert _download(viewer, {"kind": "gaps", "hazard": "flood", "res": 6}).status_code == 403
    assert len(published.listing(folder)) == 1


def test_anonymous_get_nothing(app, folder, deployed):  # noqa: F811
    planner = app.server.test_client()
    _sign_in(planner, "paul")
    _report(planner, ["publish"])
    [record] = published.listing(folder)
    anonymous = app.server.test_client()
    # users mode: a browser is sent to the sign-in form (no data); the proxy mode answers 401
    for path in ("/published", f"/published/{record['file']}"):
        r = anonymous.get(path, base_url=HTTPS)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login") and b"PK" not in r.data
    deployed("proxy", published_dir=str(folder))
    for path in ("/published", f"/published/{record['file']}"):
        assert anonymous.get(path, base_url=HTTPS, environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 401


def test_only_pdf_and_xlsx_are_published(app, folder):
    planner = app.server.test_client()
    _sign_in(planner, "paul")
    r = _report(planner, ["publish"], fmt="zip")
    assert "只能发布 PDF 或 XLSX" in json.dumps(r.get_json()["response"], ensure_ascii=False)
    assert published.listing(folder) == []
    with pytest.raises(ValueError, match="expected <adcode>_<hazard>"):
        published.publish(folder, "../x.pdf", b"x", user="p", unit=COUNTY, unit_name="n", hazard="flood")
