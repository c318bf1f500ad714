"""Exports of internal tables carry the 内部资料 mark (issue 18), on every download path: the app's
analysis downloads (CSV, XLSX, GeoJSON; planners only), the cluster report's XLSX, and the CLI's
tables with stock (supply, its flows and stock plan, match, dispatch) and of the four databases
and the task list (``onemap industry search``).

CSV: the mark is a first column 密级 (Classification) on every row, so that the header stays the
first line: Excel, WPS and pandas open it as before, and rows filtered out of it keep the mark.
XLSX: a last sheet named 内部资料, the printed header of every sheet, the workbook's keywords.
"""

from __future__ import annotations

import base64
import io
import json

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from etl.cli import main
from tests.integration.test_analyses_app import post_run

UNIT = "130900"


@pytest.fixture()
def client(app):
    return app.server.test_client()


def _csv(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str)


def _assert_csv(df: pd.DataFrame, lang: str = "zh") -> None:
    column, mark = ("密级", "内部资料") if lang == "zh" else ("Classification", "Internal")
    assert df.columns[0] == column and len(df) and set(df[column]) == {mark}, df.head()


def _assert_xlsx(data: bytes, lang: str = "zh") -> openpyxl.Workbook:
    mark = "内部资料" if lang == "zh" else "Internal"
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames[-1] == mark and wb.properties.keywords == mark
    assert all(ws.oddHeader.center.text == mark for ws in wb.worksheets)
    return wb


def _download(client, params, fmt, lang):
    buttons = [{"id": {"type": "ana-dl", "fmt": f}, "property": "n_clicks", "value": 1 if f == fmt else None}
               for f in ("csv", "xlsx", "geojson")]
    r = client.post("/_dash-update-component", json={
        "output": "ana-download.data", "outputs": {"id": "ana-download", "property": "data"},
        "inputs": [buttons], "state": [{"id": "ana-params", "property": "data", "value": params},
                                       {"id": "map-config", "property": "data", "value": {"lang": lang}}],
        "changedPropIds": [f'{{"fmt":"{fmt}","type":"ana-dl"}}.n_clicks']})
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return base64.b64decode(r.get_json()["response"]["ana-download"]["data"]["content"])


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("values", [
    {"ana-kind": "supply", "ana-hazard": "flood", "ana-minclass": 3, "ana-material": "帐篷", "unit": UNIT},
    {"ana-kind": "dispatch", "ana-hazard": "flood", "ana-lon": 116.85, "ana-lat": 38.3, "ana-radius": 10},
    {"ana-kind": "gaps", "ana-hazard": "flood", "ana-res": 6, "unit": UNIT},
], ids=["supply", "dispatch", "gaps"])
def test_every_analysis_download_in_the_app_is_marked(app, client, values, lang):
    r = post_run(app, client, values, lang)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    params = r.get_json()["response"]["ana-params"]["data"]
    assert params, r.get_json()["response"]["ana-result"]
    _assert_csv(_csv(_download(client, params, "csv", lang)), lang)
    _assert_xlsx(_download(client, params, "xlsx", lang), lang)
    if values["ana-kind"] != "supply":  # supply has no cells to map
        about = json.loads(_download(client, params, "geojson", lang))["about"]
        assert about["classification"] == ("内部资料" if lang == "zh" else "Internal")


def test_cluster_report_xlsx_is_marked(demo_db):
    from layers import Store, cluster_report_bytes  # noqa: PLC0415

    store = Store(demo_db)
    try:
        _, payload = cluster_report_bytes(store, None, None, "xlsx", "zh")
    finally:
        store.close()
    _assert_xlsx(payload)


def test_cli_tables_with_stock_are_marked(demo_db, tmp_path):
    out, flows, plan = tmp_path / "s.csv", tmp_path / "f.csv", tmp_path / "p.xlsx"
    res = CliRunner().invoke(main, ["analyze", "supply", "--db", str(demo_db), "--min-class", "3", "--material", "帐篷",
                                    "--adcode", UNIT, "--out", str(out), "--flows-out", str(flows),
                                    "--plan-out", str(plan)])
    assert res.exit_code == 0, res.output
    _assert_csv(_csv(out.read_bytes()))
    _assert_csv(_csv(flows.read_bytes()))
    _assert_xlsx(plan.read_bytes())
    match = tmp_path / "m.csv"
    res = CliRunner().invoke(main, ["match", "--db", str(demo_db), "--material", "排涝泵", "--quantity", "5",
                                    "--at", "116.85,38.3", "--out", str(match)])
    assert res.exit_code == 0, res.output
    _assert_csv(_csv(match.read_bytes()))


@pytest.mark.parametrize("table", ["enterprises", "products", "projects", "leads", "tasks"])
def test_cli_exports_of_the_four_databases_and_the_list_are_marked(demo_db, tmp_path, table):
    for ext in ("csv", "xlsx"):
        out = tmp_path / f"{table}.{ext}"
        res = CliRunner().invoke(main, ["industry", "search", "", "--db", str(demo_db), "--table", table,
                                        "--limit", "5", "--out", str(out)])
        assert res.exit_code == 0, res.output
        if ext == "csv":
            _assert_csv(_csv(out.read_bytes()))
        else:
            _assert_xlsx(out.read_bytes())
