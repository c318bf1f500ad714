"""A planner's own 四库一清单 files (XLSX, Chinese headers) through validate and build: the same
rejects, every table in the store, monitoring on the result."""

from __future__ import annotations

import duckdb
import openpyxl
import pytest
from click.testing import CliRunner

from etl.cli import main
from layers.industry import load, monitor
from layers.industry.data import clear_cache
from layers.store import Store

INDUSTRY = """
[industry.links]
unmanned = ["材料", "整机", "运维"]

[[industry.sources]]
table = "enterprise_years"
path = "panel.xlsx"
sheet = "企业年报"

[[industry.sources]]
table = "projects"
path = "projects.csv"
crs = "WGS84"

[[industry.targets]]
indicator = "output_yi"
scope = "city"
scope_code = "130200"
year = 2025
value = 20
document = "唐山市规划"
clause = "目标"
"""


@pytest.fixture
def region(tiny_region):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "企业年报"
    ws.append(["企业编号", "年度", "产值(亿元)", "营业收入(亿元)", "规上", "所属园区"])
    ws.append(["E1", 2021, 5.0, 5.2, "是", "P1"])
    ws.append(["E1", 2022, 6.0, 6.1, "是", "P1"])
    ws.append(["开平某无人机公司", 2022, 2.5, 2.4, "否", ""])
    ws.append(["E9", 2022, 1.0, 1.0, "否", ""])            # unknown enterprise
    ws.append(["E2", "二〇二二", 1.0, 1.0, "否", ""])      # not a year
    wb.save(tiny_region.parent / "panel.xlsx")
    (tiny_region.parent / "projects.csv").write_text(
        "项目编号,项目名称,建设单位,产业链环节,项目阶段,总投资亿元,实际开工,重点项目,经度,纬度\n"
        "X1,整机扩产,E2,整机,在建,3.5,2022-04,是,,\n"
        "X2,负数项目,E2,整机,在建,-1,2022,否,,\n"
        "X3,立项项目,E2,整机,立项,1,2022,否,,\n"
        "X4,园外项目,E1,运维,谋划,1,,否,118.31,39.66\n", encoding="utf-8")
    with tiny_region.open("a", encoding="utf-8") as fh:
        fh.write(INDUSTRY)
    return tiny_region


@pytest.mark.slow
def test_validate_and_build_agree_and_monitor_runs(region, tmp_path):
    run = CliRunner().invoke
    res = run(main, ["validate", str(region)])
    assert res.exit_code == 1
    lines = [x for x in res.output.splitlines() if "panel.xlsx" in x or "projects" in x]
    assert len(lines) == 4, res.output
    assert any("E9" in x and "企业库" in x for x in lines) and any("二〇二二" in x for x in lines)
    assert any("立项" in x and "谋划" in x for x in lines) and any("-1" in x for x in lines)

    db = tmp_path / "tiny.duckdb"
    res = run(main, ["build", str(region), "--db", str(db), "--quiet"])
    assert res.exit_code == 0, res.output
    con = duckdb.connect(str(db), read_only=True)
    rejects = con.execute("SELECT source, row_number, reason_code FROM rejects WHERE reason_code IN "
                          "('unknown_reference', 'bad_year', 'bad_number', 'unknown_value') ORDER BY 1, 2").fetchall()
    assert [r[2] for r in rejects] == ["unknown_reference", "bad_year", "bad_number", "unknown_value"]
    assert con.execute("SELECT count(*) FROM enterprise_years").fetchone()[0] == 3
    x4 = con.execute("SELECT lon, adcode FROM projects WHERE id = 'X4'").fetchone()
    assert x4 == (118.31, "130205")  # own position; county from the boundaries
    src = con.execute("SELECT rows_in, rows_loaded, rows_rejected FROM sources WHERE entity = 'projects'").fetchone()
    assert src == (4, 2, 2)
    con.close()

    clear_cache()
    res2 = monitor(load(Store(db)), 2022, "city", "130200")
    [t] = res2["targets"].to_dict("records")
    assert t["current"] == pytest.approx(8.5) and t["attainment"] == pytest.approx(8.5 / 20)
    ind = res2["indicators"].set_index("indicator")
    assert ind.loc["key_projects", "value"] == 1 and ind.loc["investment_yi", "value"] == pytest.approx(3.5)
