"""Readers of the four databases and the list (etl.industry): aliases, values, rejects, targets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from etl.errors import DataError
from etl.industry import check_industry
from etl.industry_region import IndustryConfig, Target, parse_industry
from etl.region import TableSource

BBOX = (113.3, 35.9, 120.1, 42.8)
ENTERPRISES = pd.DataFrame({"id": ["E1", "E2"], "name": ["甲公司", "乙公司"], "lon": [118.2, 114.5],
                            "lat": [39.6, 38.0], "adcode": ["130205", None]})
PARKS = pd.DataFrame({"id": ["P1"], "name": ["开平应急装备产业园"], "lon": [118.26], "lat": [39.67],
                      "adcode": ["130205"]})
ADCODES = {"130000", "130200", "130205", "110000"}
LINKS = {"unmanned": ("材料与元器件", "动力系统", "飞控与载荷", "整机制造", "运维与培训服务")}


def run(tmp_path: Path, table: str, rows: list[list[str]], links=LINKS, targets=(), **kw):
    path = tmp_path / f"{table}.csv"
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    cfg = IndustryConfig(sources=(TableSource(entity=table, name=f"{table}1", path=path, **kw),),
                         links=links, targets=tuple(targets))
    return check_industry(cfg, {"enterprises": ENTERPRISES, "parks": PARKS}, ADCODES, BBOX)


def codes(out) -> list[tuple[int, str]]:
    return [(r["row_number"], r["reason_code"]) for r in out.rejects]


def test_panel_with_chinese_headers(tmp_path):
    out = run(tmp_path, "enterprise_years", [
        ["企业名称", "年度", "产值（亿元）", "营业收入亿元", "从业人员", "规上", "专精特新", "所属园区"],
        ["甲公司", "2022", "1.5", "1.4", "120", "是", "否", "开平应急装备产业园"],
        ["E2", "2022年", "0.1", "", "", "否", "是", ""],
    ])
    assert out.rejects == [] and out.problems == []
    df = out.tables["enterprise_years"].to_pandas()
    assert df["enterprise"].tolist() == ["E1", "E2"]  # names resolve to ids
    assert df["year"].tolist() == [2022, 2022]
    assert df["output_yi"].tolist() == [1.5, 0.1]
    assert df["park"].iloc[0] == "P1" and pd.isna(df["park"].iloc[1])
    assert df["specialised"].tolist() == [False, True]
    assert out.sources[0]["rows_loaded"] == 2 and out.sources[0]["rows_rejected"] == 0


def test_panel_rejects_bad_years_unknown_firms_and_repeats(tmp_path):
    out = run(tmp_path, "enterprise_years", [
        ["企业编号", "年份", "产值亿元"],
        ["E1", "2022", "1"],
        ["E1", "22", "1"],         # not a year
        ["丙公司", "2022", "1"],   # unknown enterprise
        ["E1", "2022", "2"],       # enterprise-year repeated
        ["E2", "2021", "-3"],      # negative output
    ])
    assert codes(out) == [(3, "bad_year"), (4, "unknown_reference"), (5, "duplicate_key"), (6, "bad_number")]
    assert "丙公司" in out.rejects[1]["reason"] and "企业库" in out.rejects[1]["reason"]
    assert "unknown" not in out.rejects[1]["reason"]  # Chinese text in the Chinese column
    assert out.tables["enterprise_years"].num_rows == 1


def test_projects_stages_investments_dates_links_and_positions(tmp_path):
    out = run(tmp_path, "projects", [
        ["项目编号", "项目名称", "建设单位", "所在园区", "产业链", "产业链环节", "项目阶段", "总投资（亿元）",
         "计划开工", "重点项目"],
        ["X1", "整机项目", "E1", "", "无人机", "整机制造", "在建", "12.5", "2024年3月", "是"],
        ["X2", "园区项目", "", "P1", "无人救援装备", "", "已投产", "3", "2023-05-01", "否"],
        ["X3", "坏阶段", "E1", "", "", "", "立项", "1", "", "否"],          # stage not in the plan's list
        ["X4", "负投资", "E1", "", "", "", "谋划", "-2", "", "否"],          # negative investment
        ["X5", "坏日期", "E1", "", "", "", "谋划", "1", "2024-13", "否"],    # month 13
        ["X6", "坏环节", "E1", "", "无人救援装备", "电池", "谋划", "1", "", "否"],  # link not defined
        ["X7", "无阶段", "E1", "", "", "", "", "1", "", "否"],
    ])
    assert codes(out) == [(4, "unknown_value"), (5, "bad_number"), (6, "bad_date"), (7, "unknown_link"),
                          (8, "unknown_value")]
    df = out.tables["projects"].to_pandas().set_index("id")
    assert df.loc["X1", ["stage", "chain", "link", "planned_start", "key"]].tolist() == [
        "building", "unmanned", "整机制造", "2024-03", True]
    assert df.loc["X2", "stage"] == "operating" and df.loc["X2", "planned_start"] == "2023-05-01"
    # positions come from the owner enterprise, else the park
    assert (df.loc["X1", "lon"], df.loc["X1", "adcode"]) == (118.2, "130205")
    assert (df.loc["X2", "lon"], df.loc["X2", "lat"]) == (118.26, 39.67)
    assert "谋划" in out.rejects[0]["reason"] and "立项" in out.rejects[0]["reason"]


def test_leads_and_tasks_reference_each_other(tmp_path):
    leads = tmp_path / "leads.csv"
    leads.write_text("线索编号,拟引进企业,产业链环节,洽谈阶段,意向投资亿元,拟落地园区\n"
                     "Z1,（合成）某飞控公司,飞控与载荷,洽谈,2,P1\n"
                     "Z2,某公司,,考察,1,\n", encoding="utf-8")
    tasks = tmp_path / "tasks.csv"
    tasks.write_text("任务编号,责任单位,任务目标,完成时限,状态,关联线索\n"
                     "T1,唐山市工信局,引进飞控企业 1 家,2026-12,推进中,Z1\n"
                     "T2,唐山市工信局,引进电池企业 1 家,2026-12,进行中,Z1、Z9\n", encoding="utf-8")
    cfg = IndustryConfig(sources=(TableSource("leads", "l", leads), TableSource("tasks", "t", tasks)), links=LINKS)
    out = check_industry(cfg, {"enterprises": ENTERPRISES, "parks": PARKS}, ADCODES, BBOX)
    assert codes(out) == [(3, "unknown_value"), (3, "unknown_reference")]
    lead = out.tables["leads"].to_pandas().iloc[0]
    # the link alone names its chain; the park gives the adcode
    assert (lead["chain"], lead["stage"], lead["adcode"]) == ("unmanned", "negotiating", "130205")
    task = out.tables["tasks"].to_pandas().iloc[0]
    assert (task["status"], list(task["leads"])) == ("doing", ["Z1"])
    assert [s["rows_rejected"] for s in out.sources] == [1, 1]


def test_missing_required_column_is_a_file_problem(tmp_path):
    out = run(tmp_path, "leads", [["拟引进企业", "意向投资亿元"], ["某公司", "1"]])
    assert [p.code for p in out.problems] == ["missing_column"]
    assert "stage" in out.problems[0].text("en")


def test_targets_and_links_in_the_region_file(tmp_path):
    class Ck:  # the region file's collector, as etl.region passes it
        def __init__(self):
            self.problems = []

        def add(self, code, **params):
            self.problems.append((code, params))

        def unknown(self, table, allowed, prefix):
            for k in table:
                if k not in allowed:
                    self.add("region_unknown_key", key=prefix + k)

        def get(self, table, key, kind, prefix, expected, default=...):
            if key not in table:
                if default is ...:
                    self.add("region_missing_key", key=prefix + key)
                    return None
                return default
            return table[key] if isinstance(table[key], kind) else self.add("region_bad_value", key=prefix + key)

    ck = Ck()
    cfg = parse_industry({"industry": {
        "links": {"unmanned": ["材料", "整机"], "robots": ["x"], "rescue": []},
        "targets": [
            {"indicator": "output_yi", "year": 2025, "value": 3000, "comparator": ">", "document": "规划"},
            {"indicator": "gdp", "year": 2025, "value": 1, "document": "规划"},
            {"indicator": "listed", "scope": "city", "year": 2025, "value": 5, "document": "规划"},
        ],
        "sources": [{"table": "orders", "path": "x.csv"}],
    }}, ck, tmp_path)
    keys = sorted(p[1]["key"] for p in ck.problems)
    assert keys == ["industry.links.rescue", "industry.links.robots", "industry.sources[0].table",
                    "industry.targets[1].indicator", "industry.targets[2].scope_code"]
    assert cfg.links == {"unmanned": ("材料", "整机")}
    assert cfg.targets == (Target("output_yi", "region", None, 2025, 3000.0, ">", "亿元", "规划"),)


def test_target_scope_codes_must_exist(tmp_path):
    targets = [Target("listed", "city", "139900", 2025, 5, ">=", "家", "规划"),
               Target("listed", "park", "开平应急装备产业园", 2025, 5, ">=", "家", "规划")]
    cfg = IndustryConfig(targets=tuple(targets))
    out = check_industry(cfg, {"enterprises": ENTERPRISES, "parks": PARKS}, ADCODES, BBOX)
    assert [(p.code, p.params["found"]) for p in out.problems] == [("target_unknown_scope", "139900")]
    assert out.tables["targets"].to_pandas()["scope_code"].tolist() == ["139900", "P1"]  # park name -> id


def test_no_industry_section_gives_empty_tables():
    out = check_industry(None, {}, set(), BBOX)
    assert out.tables == {} and out.rejects == []


def test_unreadable_file_is_a_problem_not_a_traceback(tmp_path):
    cfg = IndustryConfig(sources=(TableSource("tasks", "t", tmp_path / "missing.csv"),))
    out = check_industry(cfg, {}, set(), BBOX)
    assert [p.code for p in out.problems] == ["file_not_found"]
    with pytest.raises(DataError):
        raise DataError(out.problems)
