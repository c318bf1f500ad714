"""Tests of etl.columns: aliases and the column-mapping rule."""

from __future__ import annotations

import pytest

from etl import schema
from etl.columns import ALIASES, aliases_for, map_columns, normalise


def test_every_entity_field_has_aliases_including_itself():
    fields = {f for spec in schema.ENTITY_FIELDS.values()
              for f in (*spec["required"], *spec["optional"])}
    assert fields <= set(ALIASES)
    for field in fields:
        assert field in ALIASES[field]


@pytest.mark.parametrize("entity", schema.ENTITIES)
def test_no_alias_is_shared_by_two_fields_of_one_entity(entity):
    seen: dict[str, str] = {}
    for field, aliases in aliases_for(entity).items():
        for alias in aliases:
            key = normalise(alias)
            assert seen.setdefault(key, field) == field, f"{alias!r}: {seen[key]} and {field}"


def test_row_counter_and_bare_code_are_not_ids():
    assert "序号" not in ALIASES["id"] and "代码" not in ALIASES["id"]


@pytest.mark.parametrize("raw, key", [
    ("产值（亿元）", "产值(亿元)"), ("产值 ( 亿元 )", "产值(亿元)"), ("\ufeff名称", "名称"),
    ('"经度"', "经度"), (" Longitude ", "longitude"), ("ＬＯＮ", "lon"),
    ("企业\u3000名称", "企业名称"),
    ("“地址”", "地址"),
])
def test_normalise(raw, key):
    assert normalise(raw) == key


def test_chinese_headers_enterprises():
    cols = ["序号", "企业名称", "经度", "纬度", "详细地址", "所属产业链", "是否规上", "是否链主",
            "是否上市", "产值（亿元）", "主要产品", "区县代码"]
    mapping, problems = map_columns(cols, "enterprises", {}, "e.csv")
    assert problems == []
    assert mapping == {
        "name": "企业名称", "lon": "经度", "lat": "纬度", "address": "详细地址",
        "chains": "所属产业链", "above_size": "是否规上", "leading": "是否链主",
        "listed": "是否上市", "output_yi": "产值（亿元）",
        "products": "主要产品", "adcode": "区县代码",
    }


def test_english_headers_case_insensitive():
    mapping, problems = map_columns(["NAME", "Lng", "LAT", "Address"], "parks", {}, "p.csv")
    assert problems == []
    assert mapping == {"name": "NAME", "lon": "Lng", "lat": "LAT", "address": "Address"}


def test_level_is_per_entity():
    parks, _ = map_columns(["园区名称", "级别"], "parks", {}, "p.csv")
    reserves, problems = map_columns(["储备库名称", "级别", "类型", "物资类别", "储备量", "单位"],
                                     "reserves", {}, "r.csv")
    assert parks["level"] == "级别" and "tier" not in parks
    assert reserves == {"name": "储备库名称", "tier": "级别", "kind": "类型",
                        "categories": "物资类别", "capacity": "储备量", "capacity_unit": "单位"}
    assert problems == []


def test_explicit_mapping_wins_and_is_not_reused():
    cols = ["名称", "单位名称", "lon", "lat"]
    mapping, problems = map_columns(cols, "parks", {"name": "单位名称"}, "p.csv")
    assert mapping["name"] == "单位名称" and problems == []
    assert "名称" not in mapping.values()


def test_explicit_mapping_matches_normalised_name():
    mapping, problems = map_columns(["产值(亿元)"], "enterprises",
                                    {"name": "产值(亿元)", "output_yi": "产值（亿元）"}, "e.csv")
    assert problems == [] and mapping["output_yi"] == "产值(亿元)"


def test_explicit_column_missing():
    cols = ["名称", "经度"]
    mapping, problems = map_columns(cols, "parks", {"lat": "纬度坐标"}, "p.csv")
    assert [p.code for p in problems] == ["mapped_column_missing"]
    p = problems[0]
    assert p.file == "p.csv" and p.params == {"field": "lat", "found": "纬度坐标", "expected": cols}
    assert "lat" not in mapping
    assert "纬度坐标" in p.text("zh") and "纬度坐标" in p.text("en")


def test_explicit_required_column_missing_is_reported_once():
    _, problems = map_columns(["x"], "parks", {"name": "园区"}, "p.csv")
    assert [p.code for p in problems] == ["mapped_column_missing"]


def test_missing_required_columns():
    cols = ["地址", "经度", "纬度"]
    _, problems = map_columns(cols, "reserves", {}, "r.xlsx")
    assert [(p.code, p.params["field"]) for p in problems] == [
        ("missing_column", "name"), ("missing_column", "tier")]
    assert problems[0].params["found"] == cols
    assert "名称" in problems[0].params["aliases"]
    assert "columns.name" in problems[0].text("en")


def test_required_field_provided_by_defaults_is_not_missing():
    _, problems = map_columns(["储备库名称"], "reserves", {}, "r.csv", provided=["tier"])
    assert problems == []


def test_ambiguity_first_column_wins():
    cols = ["企业名称", "名称", "地址", "详细地址"]
    mapping, problems = map_columns(cols, "enterprises", {}, "e.csv")
    assert problems == []
    assert mapping["name"] == "企业名称" and mapping["address"] == "地址"


def test_ambiguity_lon_lat_follow_alias_order():
    # "x"/"y" come first in the file, but 经度/纬度 are earlier aliases.
    mapping, _ = map_columns(["名称", "x", "y", "经度", "纬度"], "parks", {}, "p.csv")
    assert (mapping["lon"], mapping["lat"]) == ("经度", "纬度")
    mapping, _ = map_columns(["名称", "X", "Y"], "parks", {}, "p.csv")
    assert (mapping["lon"], mapping["lat"]) == ("X", "Y")


def test_bom_quotes_and_spaces_in_headers():
    mapping, problems = map_columns(["\ufeff名称", ' "经度" ', "纬 度"], "parks", {}, "p.csv")
    assert problems == []
    assert mapping == {"name": "\ufeff名称", "lon": ' "经度" ', "lat": "纬 度"}


def test_unknown_entity():
    with pytest.raises(KeyError):
        map_columns(["name"], "hospitals", {}, "h.csv")
