"""The 四库一清单 on the demo store: the plan's published totals, targets, CLI, validate = build."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from etl.cli import main
from layers.industry import chain_atlas, load, monitor
from layers.store import Store

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
PANEL = ROOT / "geodata" / "jjj" / "industry" / "enterprise_years_synthetic.csv"


@pytest.fixture(scope="module")
def data(demo_db):
    return load(Store(demo_db))


def test_the_plans_published_totals(data):
    t = monitor(data, 2022)["table"]
    region = t[(t["indicator"] == "output_yi") & (t["scope"] == "region")].set_index("year")["value"]
    assert region.loc[[2020, 2021, 2022]].round(2).tolist() == [2070.0, 2236.0, 2415.0]  # seed 000 一、发展基础
    # oracle: the shipped CSV summed independently of the store
    csv = pd.read_csv(PANEL, encoding="utf-8-sig").groupby("年份")["产值亿元"].sum()
    assert region.round(2).to_dict() == csv.round(2).to_dict()
    n = t[(t["indicator"] == "enterprises") & (t["scope"] == "region") & (t["year"] == 2022)]["value"].item()
    above = t[(t["indicator"] == "above_size") & (t["scope"] == "region") & (t["year"] == 2022)]["value"].item()
    assert (n, above) == (2925, 1094)


def test_cli_monitor_json_gives_2415_and_every_target(demo_db):
    res = CliRunner().invoke(main, ["industry", "monitor", "--db", str(demo_db), "--year", "2022", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    [output] = [i for i in out["indicators"] if i["indicator"] == "output_yi" and i["scope"] == "region"]
    assert output["value"] == pytest.approx(2415.0)
    assert len(out["targets"]) == 9
    for t in out["targets"]:
        assert t["status"] in ("on_track", "at_risk", "off_track") and t["document"] and t["attainment"] >= 0
    [t3000] = [t for t in out["targets"] if t["indicator"] == "output_yi"]
    assert t3000["attainment"] == pytest.approx(2415 / 3000)
    assert t3000["growth_needed"] == pytest.approx((3000 / 2415) ** (1 / 3) - 1)
    assert t3000["projection"] == pytest.approx(2415 * (2415 / 2070) ** 1.5)


def test_cli_search_atlas_and_errors(demo_db, tmp_path):
    run = CliRunner().invoke
    res = run(main, ["industry", "search", "无人机", "--db", str(demo_db), "--table", "products", "--limit", "3"])
    assert res.exit_code == 0 and "多旋翼无人机" in res.output
    out = tmp_path / "atlas.xlsx"
    res = run(main, ["industry", "atlas", "--db", str(demo_db), "--chain", "unmanned", "--out", str(out)])
    assert res.exit_code == 0, res.output
    sheet = pd.read_excel(out)
    assert sheet.columns[0] == "产业链" and "unmanned" not in sheet.to_string()
    res = run(main, ["industry", "monitor", "--db", str(demo_db), "--year", "1999"])
    assert res.exit_code == 2 and "Traceback" not in res.output
    res = run(main, ["industry", "monitor", "--db", str(tmp_path / "none.duckdb")])
    assert res.exit_code == 1 and "onemap build" in res.output


def test_atlas_on_the_demo_has_gaps_and_leads(data):
    a = chain_atlas(data)
    assert len(a) == 47 and {"missing", "covered"} <= set(a["status"])
    missing = a[a["status"] == "missing"]
    assert (missing["leads"] > 0).any()  # the leads aim at the links no firm covers


def test_cluster_report_figures_equal_monitor(demo_db, tmp_path):
    import shutil
    import subprocess

    run = CliRunner().invoke
    res = run(main, ["report", "--kind", "cluster", "--db", str(demo_db), "--year", "2022", "--out", str(tmp_path),
                     "--format", "pdf,xlsx"])
    assert res.exit_code == 0, res.output
    mon = json.loads(run(main, ["industry", "monitor", "--db", str(demo_db), "--year", "2022", "--json"]).stdout)
    region = [t for t in mon["targets"] if t["scope"] == "region"]
    xlsx = pd.read_excel(tmp_path / "cluster_region_2022.xlsx", sheet_name=None)
    [targets] = [df for name, df in xlsx.items() if name.startswith("一、")]
    assert targets["现值"].tolist() == [f"{t['current']:,.1f}" if t["indicator"] == "output_yi"
                                      else f"{int(t['current']):,}" for t in region]
    assert targets["完成率"].tolist() == [f"{t['attainment'] * 100:.1f}%" for t in region]
    assert (tmp_path / "cluster_region_2022.pdf").stat().st_size > 10_000
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(tmp_path / "cluster_region_2022.pdf"), "-"], capture_output=True,
                              text=True, check=True).stdout
        assert "2,415.0" in text and "京津冀安全应急产业集群发展报告（2022 年）" in text
        for code in ("on_track", "output_yi", "enterprise_years", "nan"):
            assert code not in text
    res = run(main, ["report", "--kind", "cluster", "--db", str(demo_db), "--unit", "999999", "--out", str(tmp_path)])
    assert res.exit_code == 2 and "Traceback" not in res.output
