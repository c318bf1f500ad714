"""Components of the 产业监测 page without a browser: tiles, table cells, map links, GeoJSON, strings."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlsplit

import pandas as pd

from mapapp import industry_view
from mapapp.industry_text import TEXT, ti

TARGETS = pd.DataFrame([{
    "indicator": "output_yi", "scope": "region", "scope_name": "京津冀", "scope_code": None, "year": 2025,
    "value": 3000.0, "comparator": ">", "unit": "亿元", "document": "规划", "clause": "（四）具体目标",
    "note": "", "current": 2415.0, "current_year": 2022, "attainment": 0.805, "growth_needed": 0.075,
    "projection": 3043.2, "status": "on_track"}])


def _text(component) -> str:
    return json.dumps(component.to_plotly_json(), ensure_ascii=False, default=lambda o: o.to_plotly_json())


def test_tiles_speak_chinese():
    [tile] = industry_view.kpi_tiles(TARGETS, "zh")
    text = _text(tile)
    for word in ("产业产值", "2,415.0", "亿元", "目标 3,000.0（2025 年，超过）", "达标在望", "80.5%", "7.5%", "规划"):
        assert word in text
    assert "on_track" not in re.sub(r'"id": \{[^}]*\}', "", text) and "NaN" not in text
    en = _text(industry_view.kpi_tiles(TARGETS, "en")[0])
    assert "Industry output" in en and "On track" in en and "more than" in en


def test_table_rows_link_to_the_map_with_lat_lng_and_item():
    rows = pd.DataFrame({"id": ["X1", "X2"], "name": ["甲项目", "乙项目"], "chain": ["unmanned", None],
                         "link": ["整机", None], "stage": ["building", "planning"], "investment_yi": [3.5, None],
                         "planned_start": ["2024-03", None], "actual_start": [None, None], "key": [True, False],
                         "city": ["130200", None], "lon": [118.2, None], "lat": [39.6, None]})
    data = industry_view.table_data("projects", rows, "zh", {"130200": "唐山市"}, {})
    assert data[0]["chain"] == "无人救援装备" and data[0]["stage"] == "在建" and data[0]["city"] == "唐山市"
    assert data[0]["investment_yi"] == "3.50" and data[1]["investment_yi"] == "—" and data[0]["key"] == "是"
    href = re.search(r"\((.*)\)", data[0]["map"]).group(1)
    q = dict(parse_qsl(urlsplit(href).query))
    assert (q["lat"], q["lng"], q["item"], q["lang"]) == ("39.60000", "118.20000", "projects:X1", "zh")
    assert data[1]["map"] == "—"  # no position, no link
    cols = industry_view.table_columns("projects", "en")
    assert cols[0]["name"] == "Name" and cols[-1]["presentation"] == "markdown"


def test_points_are_geojson_lng_lat():
    rows = pd.DataFrame({"id": ["Z1"], "company": ["某公司"], "stage": ["signed"], "lon": [118.2], "lat": [39.6]})
    fc = industry_view.points_geojson(rows, "leads", "zh")
    [f] = fc["features"]
    assert f["geometry"]["coordinates"] == [118.2, 39.6] and f["properties"]["label"] == "某公司（签约）"


def test_every_string_has_both_languages():
    for key, (zh, en) in TEXT.items():
        assert zh and en, key
        words = re.sub(r"\{\w+\}", "", zh)  # placeholders are not shown
        for allowed in ("PDF", "XLSX", "onemap build", "[industry]"):
            words = words.replace(allowed, "")
        assert not re.search(r"[A-Za-z]{3,}", words), (key, zh)
    assert ti("rows", "zh", n="3", shown="3") == "共 3 条，显示前 3 条"


def test_atlas_sankey_labels_do_not_overlap():
    """Issue 15: plotly drew the last node's label to its left, over its neighbour's. The labels
    are annotations under the nodes, on short lines, the first and last aligned inward."""
    import pandas as pd  # noqa: PLC0415

    from mapapp.industry_view import atlas_bars, node_label  # noqa: PLC0415

    atlas = pd.DataFrame({"chain": ["unmanned"] * 5, "link": ["材料与元器件", "动力系统", "飞控与载荷", "整机制造", "运维与培训服务"],
                          "firms": [0, 0, 0, 522, 0], "status": ["missing"] * 3 + ["covered", "missing"],
                          "action": ["fill"] * 3 + ["strengthen", "fill"]})
    fig = atlas_bars(atlas, "zh")
    sankey = fig["data"][0]
    assert set(sankey["node"]["label"]) == {""}
    notes = fig["layout"]["annotations"]
    assert [n["xanchor"] for n in notes] == ["left", "center", "center", "center", "right"]
    assert [n["x"] for n in notes] == sankey["node"]["x"]
    assert all(max(len(line) for line in n["text"].split("<br>")) <= 6 for n in notes)
    assert node_label("运维与培训服务", 1234, "zh") == "运维与培<br>训服务<br>1,234 家"
    assert node_label("Operation and training services", 3, "en").endswith("<br>3 firms")
