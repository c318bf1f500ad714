"""layers.industry on a hand-made IndustryData: indicators, projections, status rule, atlas, search."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from layers.industry import chain_atlas, indicator_table, industry_rows, monitor, search
from layers.industry.data import IndustryData, places
from layers.industry.labels import display_frame
from layers.industry.monitor import project, status_of

UNITS = pd.DataFrame({
    "adcode": ["130000", "130200", "130205", "110000", "110100", "110106"],
    "name": ["河北省", "唐山市", "开平区", "北京市", "北京市", "丰台区"],
    "level": ["province", "city", "county", "province", "city", "county"],
    "parent": [None, "130000", "130200", None, "110000", "110100"],
    "lon": [115.0, 118.2, 118.26, 116.4, 116.4, 116.29], "lat": [38.0, 39.6, 39.67, 39.9, 39.9, 39.86]})


def _data() -> IndustryData:
    ent = pd.DataFrame({"id": ["A", "B", "C"], "name": ["甲无人机公司", "乙救援公司", "丙公司"],
                        "chains": [["unmanned"], ["rescue"], ["unmanned", "rescue"]],
                        "adcode": ["130205", "130205", "110106"], "lon": [118.26, 118.26, 116.29],
                        "lat": [39.67, 39.67, 39.86], "synthetic": [True] * 3, "leading": [True, False, False],
                        "listed": [False, False, True]})
    ent = pd.concat([ent, places(UNITS, ent["adcode"])], axis=1)
    parks = pd.DataFrame({"id": ["P1", "P2"], "name": ["开平园", "丰台园"], "level": ["national_demo", "provincial"],
                          "adcode": ["130205", "110106"], "lon": [118.26, 116.29], "lat": [39.67, 39.86]})
    parks = pd.concat([parks, places(UNITS, parks["adcode"])], axis=1)
    rows = []
    out = {"A": [10, 11, 12.1], "B": [100, 105, 110.25], "C": [5, np.nan, 6]}
    for e, vals in out.items():
        for y, v in zip((2020, 2021, 2022), vals):
            rows.append({"enterprise": e, "year": y, "output_yi": v, "revenue_yi": v, "employees": 10.0,
                         "rd_yi": v * 0.05 if not math.isnan(v) else np.nan, "above_size": v >= 6,
                         "listed": e == "C", "specialised": e == "A" and y >= 2021, "little_giant": False,
                         "champion": e == "B", "leading": e == "A", "park": "P1" if e != "C" else None,
                         "synthetic": True})
    panel = pd.DataFrame(rows).merge(ent[["id", "name", "chains", "county", "city", "province"]]
                                     .rename(columns={"id": "enterprise"}), on="enterprise")
    products = pd.DataFrame({"id": ["p1", "p2", "p3"], "enterprise": ["A", "B", "C"],
                             "name": ["多旋翼无人机", "液压破拆工具", "无人机电池"], "chain": ["unmanned", "rescue", "unmanned"],
                             "link": ["整机", "破拆", "动力"], "material": None, "certifications": "", "recommended": False,
                             "synthetic": True}).merge(
        ent[["id", "name", "county", "city", "province", "lon", "lat"]].rename(
            columns={"id": "enterprise", "name": "enterprise_name"}), on="enterprise")
    projects = pd.DataFrame({
        "id": ["X1", "X2", "X3"], "name": ["整机项目", "破拆项目", "谋划项目"], "enterprise": ["A", "B", None],
        "park": ["P1", "P1", None], "chain": ["unmanned", "rescue", "unmanned"], "link": ["整机", "破拆", "材料"],
        "stage": ["building", "operating", "planning"], "investment_yi": [5.0, 3.0, 9.0],
        "planned_start": ["2021", "2020-03", "2026"], "planned_finish": None, "actual_start": ["2021-05", "2022-01", None],
        "actual_finish": None, "key": [True, True, True], "lon": [118.26, 118.26, np.nan], "lat": [39.67, 39.67, np.nan],
        "adcode": ["130205", "130205", "130205"], "synthetic": True})
    projects = pd.concat([projects, places(UNITS, projects["adcode"])], axis=1)
    leads = pd.DataFrame({"id": ["Z1", "Z2"], "company": ["（合成）某材料公司", "某电池公司"], "origin": ["深圳市", "合肥市"],
                          "chain": ["unmanned", "unmanned"], "link": ["材料", "动力"], "investment_yi": [2.0, 1.0],
                          "stage": ["signed", "contact"], "unit": ["唐山市商务局", "唐山市商务局"], "next_step": "",
                          "next_date": None, "adcode": ["130205", "130205"], "park": ["P1", "P1"],
                          "synthetic": True, "lon": [118.26] * 2, "lat": [39.67] * 2})
    leads = pd.concat([leads, places(UNITS, leads["adcode"])], axis=1)
    tasks = pd.DataFrame({"id": ["T1"], "unit": ["唐山市工信局"], "target": ["引进无人机材料企业 1 家"],
                          "chain": ["unmanned"], "link": ["材料"], "count": [1.0], "deadline": ["2026-12"],
                          "status": ["doing"], "leads": [["Z1"]], "adcode": ["130200"], "synthetic": True,
                          "lon": [118.2], "lat": [39.6]})
    tasks = pd.concat([tasks, places(UNITS, tasks["adcode"])], axis=1)
    targets = pd.DataFrame([
        {"indicator": "output_yi", "scope": "region", "scope_code": None, "year": 2025, "value": 150.0,
         "comparator": ">", "unit": "亿元", "document": "规划", "clause": "目标", "note": ""},
        {"indicator": "national_bases", "scope": "province", "scope_code": "130000", "year": 2025, "value": 2.0,
         "comparator": ">=", "unit": "个", "document": "规划", "clause": "", "note": ""},
    ])
    links = pd.DataFrame({"chain": ["unmanned"] * 4, "position": [1, 2, 3, 4], "link": ["材料", "动力", "整机", "运维"]})
    return IndustryData(panel=panel, enterprises=ent, parks=parks, products=products, projects=projects, leads=leads,
                        tasks=tasks, targets=targets, links=links, units=UNITS,
                        meta={"region_name": "测试区", "build_id": "t"})


def value(table, indicator, scope="region", code=None, year=2022):
    m = (table["indicator"] == indicator) & (table["scope"] == scope) & (table["year"] == year)
    m &= table["scope_code"].isna() if code is None else table["scope_code"] == code
    [v] = table.loc[m, "value"].tolist()
    return v


def test_indicators_equal_hand_sums():
    t = indicator_table(_data())
    assert value(t, "output_yi") == pytest.approx(12.1 + 110.25 + 6)
    assert value(t, "output_yi", year=2021) == pytest.approx(11 + 105)  # C's missing 2021 is not a zero
    assert value(t, "output_yi", "province", "130000") == pytest.approx(122.35)
    assert value(t, "output_yi", "city", "110100") == pytest.approx(6)
    assert value(t, "output_yi", "park", "P1") == pytest.approx(122.35)
    assert value(t, "revenue_growth_pct") == pytest.approx(((12.1 + 110.25 + 6) / 116 - 1) * 100)
    assert value(t, "rd_intensity_pct") == pytest.approx(5.0)
    assert value(t, "above_size", year=2020) == 2 and value(t, "above_size") == 3
    assert value(t, "specialised", year=2020) == 0 and value(t, "specialised") == 1
    assert value(t, "listed") == 1
    assert value(t, "national_bases", "province", "130000") == 1 and value(t, "provincial_bases", "city", "110100") == 1
    assert value(t, "clusters_100") == 1 and value(t, "clusters_100", year=2020) == 1  # P1: 110 亿元 revenue
    assert value(t, "key_projects", year=2020) == 0
    assert value(t, "key_projects", year=2021) == 1 and value(t, "key_projects") == 2  # X3 never started
    assert value(t, "investment_yi") == 8.0
    assert value(t, "leads_signed") == 1


def test_projection_methods():
    s = pd.Series({2020: 100.0, 2021: 110.0, 2022: 121.0})
    assert project(s, 2022, 2025, "output_yi") == pytest.approx(121 * 1.1 ** 3)  # compound growth
    counts = pd.Series({2020: 2.0, 2021: 4.0, 2022: 6.0})
    assert project(counts, 2022, 2025, "listed") == pytest.approx(12.0)  # linear trend
    assert project(pd.Series({2020: 8.0, 2021: 6.0, 2022: 7.0}), 2022, 2025, "revenue_growth_pct") == pytest.approx(7)
    assert project(pd.Series({2020: 5.0, 2021: 5.0, 2022: 5.0}), 2022, 2025, "national_bases") == 5
    assert project(s, 2022, 2021, "output_yi") == 110.0  # a past target year: the observed value
    assert project(s, 2021, 2025, "output_yi") == pytest.approx(110 * 1.1 ** 4)  # only the years up to 2021


def test_status_rule():
    assert status_of(3043, 3000, ">") == "on_track"
    assert status_of(3000, 3000, ">") == "at_risk"  # "突破" needs more than the value
    assert status_of(2701, 3000, ">=") == "at_risk" and status_of(2699, 3000, ">=") == "off_track"
    assert status_of(9.5, 10, "about") == "on_track" and status_of(8.6, 10, "about") == "at_risk"
    assert status_of(None, 10, ">=") == "no_data"


def test_monitor_targets_by_hand():
    res = monitor(_data(), 2022)
    t = res["targets"].set_index("indicator")
    total = 12.1 + 110.25 + 6
    assert t.loc["output_yi", "current"] == pytest.approx(total)
    assert t.loc["output_yi", "attainment"] == pytest.approx(total / 150)
    assert t.loc["output_yi", "growth_needed"] == pytest.approx((150 / total) ** (1 / 3) - 1)
    assert t.loc["output_yi", "projection"] == pytest.approx(total * (total / 115) ** (3 / 2))
    assert t.loc["output_yi", "status"] == "on_track"
    assert t.loc["national_bases", "current"] == 1 and t.loc["national_bases", "status"] == "off_track"
    assert t.loc["national_bases", "scope_name"] == "河北省"
    ind = res["indicators"].set_index("indicator")
    assert ind.loc["output_yi", "previous"] == pytest.approx(116) and ind.loc["output_yi", "name"] == "测试区"
    with pytest.raises(ValueError, match="not in the panel"):
        monitor(_data(), 2030)


def test_atlas_flags_missing_and_thin_links_with_their_leads():
    a = chain_atlas(_data(), "unmanned").set_index("link")
    assert a.loc["整机", ["firms", "status", "action", "leading"]].tolist() == [1, "thin", "consolidate", True]
    assert a.loc["材料", ["firms", "status", "action", "leads", "tasks", "projects"]].tolist() == [
        0, "missing", "fill", 1, 1, 1]
    assert a.loc["动力", "leads"] == 1 and a.loc["运维", "status"] == "missing"
    assert list(a.index) == ["材料", "动力", "整机", "运维"]  # upstream first
    assert chain_atlas(_data(), "unmanned", "110100").set_index("link").loc["整机", "firms"] == 0


def test_search_finds_chinese_substrings_and_filters():
    d = _data()
    assert industry_rows(d, "products", "无人机")["id"].tolist() == ["p1", "p3"]
    assert industry_rows(d, "enterprises", "无人机")["id"].tolist() == ["A", "C"]  # name or product
    assert industry_rows(d, "enterprises", chain="rescue")["id"].tolist() == ["B", "C"]
    assert industry_rows(d, "projects", stage="operating")["id"].tolist() == ["X2"]
    assert industry_rows(d, "leads", "合成")["id"].tolist() == ["Z1"]
    assert industry_rows(d, "tasks", city="130000")["id"].tolist() == ["T1"]
    assert industry_rows(d, "products", city="110100")["id"].tolist() == ["p3"]
    hits = search(d, "破拆")
    assert sorted(zip(hits["table"], hits["id"])) == [("enterprises", "B"), ("products", "p2"), ("projects", "X2")]
    with pytest.raises(ValueError):
        industry_rows(d, "orders")


def test_display_is_for_people_in_chinese():
    res = monitor(_data(), 2022)
    df = display_frame(res["targets"], "zh", columns=["indicator", "scope_name", "value", "attainment", "status"])
    assert df.columns.tolist() == ["指标", "范围名称", "数值", "完成率", "状态"]
    assert df.iloc[0].tolist() == ["产业产值", "测试区", "150.0", "85.6%", "达标在望"]
    text = df.to_string()
    for english in ("on_track", "output_yi", "nan", "None", "True"):
        assert english not in text
