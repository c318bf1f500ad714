"""The 物资 analyses in a browser: the 供需对接 form and the 物资保障 panel show the numbers the CLI gives."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from etl.cli import main
from tests.browser.test_analyses import QUIET, AnalysisPanel


@pytest.fixture
def panel(page) -> AnalysisPanel:
    return AnalysisPanel(page)


def test_match_form_equals_the_cli(panel, page, demo_db, tmp_path):
    panel.open(QUIET)
    panel.run("match", {"lon": 116.85, "lat": 38.3, "material": "救灾帐篷", "quantity": 5000, "hours": 6})
    res = CliRunner().invoke(main, ["match", "--db", str(demo_db), "--material", "救灾帐篷", "--quantity", "5000",
                                    "--at", "116.85,38.3", "--deadline", "6", "--out", str(tmp_path / "m.csv")])
    assert res.exit_code == 0, res.output
    cli = json.loads(res.stdout)
    summary = panel.summary()[0]
    assert f"可运到 {cli['arrived']:,.0f} 顶" in summary and f"无法满足 {cli['unmet']:,.0f} 顶" in summary, summary
    assert f"共 {cli['sources']} 个来源" in summary
    rows = panel.table_rows()
    assert len(rows) == min(12, cli["sources"])
    lines = [f for f in panel.features("ana-overlay") if f["geometry"]["type"] == "LineString"]
    assert len(lines) == cli["sources"]


def test_supply_panel_equals_the_cli(panel, page, demo_db, tmp_path):
    panel.open(QUIET)
    panel.run("supply", {"hazard": "flood", "minclass": 3})
    out = tmp_path / "s.csv"
    res = CliRunner().invoke(main, ["analyze", "supply", "--db", str(demo_db), "--min-class", "3", "--out", str(out)])
    assert res.exit_code == 0, res.output
    cli = json.loads(res.stdout)
    at24 = sorted((m for m in cli["per_material"] if m["deadline_h"] == 24), key=lambda m: m["fill_rate"])
    summary = " ".join(panel.summary())
    assert f"需转移安置 {cli['displaced']:,.0f} 人" in summary, summary
    rows = panel.table_rows()  # lowest fill first
    for row, want in zip(rows[:3], at24[:3]):
        assert row[0] == want["name"] and row[2].replace(",", "") == f"{want['need']:.0f}", (row, want)
        assert row[4] == f"{want['arrived'] / want['need']:.1%}"  # the summary's fill_rate is rounded to 4 places
    assert len(panel.feature_props("ana-choropleth")) == cli["units"]
