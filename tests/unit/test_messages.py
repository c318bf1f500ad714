"""Tests of etl.messages: the catalogue, render and the language choice."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from etl import messages
from etl.messages import MESSAGES, lang_or_default, register_families, render

register_families()  # the material catalogue and industry tables add their codes on import

CJK = re.compile(r"[\u4e00-\u9fff]")
ETL = Path(messages.__file__).parent


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


# --- the catalogue ------------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_code_has_chinese_and_english_with_the_same_fields(code):
    zh, en = MESSAGES[code]
    assert CJK.search(zh), zh
    # English may quote the Chinese values a user must type (是/否, 产能储备协议, 储备库编号), which the
    # Chinese text names too; no other Chinese
    quoted = [w for w in re.findall(r"[\u4e00-\u9fff]+", en) if w in zh]
    rest = re.sub("|".join(map(re.escape, quoted)), "", en) if quoted else en
    assert en.strip() and not CJK.search(rest), en
    # a field may come in a per-language form (expected_zh / owner_en) of the same parameter
    assert {re.sub(r"_(zh|en)$", "", f) for f in fields(zh)} == {re.sub(r"_(zh|en)$", "", f) for f in fields(en)}


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_code_renders_without_params_using_the_default(code):
    # A missing field renders as "?" (the _Default fallback) instead of raising KeyError.
    for lang in ("zh", "en"):
        text = render(code, None, {}, lang)
        assert text.count("?") >= len(fields(MESSAGES[code][0]))


def test_every_code_raised_in_etl_has_a_message():
    pattern = re.compile(r'(?:Problem|\.add|_fail|Error)\((?:i, )?"([a-z_]+)"')
    used = {m for f in ETL.glob("*.py") for m in pattern.findall(f.read_text(encoding="utf-8"))}
    assert {"file_not_found", "swapped_lonlat", "raster_no_crs", "store_missing"} <= used
    assert sorted(used - set(MESSAGES)) == []


# --- render -------------------------------------------------------------------------------------


def test_render_puts_file_and_row_first_in_chinese():
    text = render("bad_number", "parks.csv", {"row": 7, "field": "lon", "found": "abc",
                                              "expected": "经度"}, "zh")
    assert text == "parks.csv, 第 7 行：字段「lon」的值「abc」不是数字，应为 经度。"


def test_render_puts_file_and_row_first_in_english():
    text = render("bad_number", "parks.csv", {"row": 7, "field": "lon", "found": "abc",
                                              "expected": "degrees"}, "en")
    assert text == ("parks.csv, row 7: field 'lon' has 'abc', which is not a number; "
                    "expected degrees.")


def test_render_orders_row_band_column_after_the_file():
    text = render("empty_name", "a.tif", {"column": "名称", "band": 2, "row": 3}, "en")
    assert text.startswith("a.tif, row 3, band 2, column '名称': ")
    zh = render("empty_name", "a.tif", {"column": "名称", "band": 2, "row": 3}, "zh")
    assert zh.startswith("a.tif, 第 3 行, 波段 2, 列「名称」：")


def test_render_without_file_or_location_is_the_body_only():
    assert render("empty_name", None, {}, "en") == "the name is empty. Fill in a name."
    assert render("problems_header", None, {"n": 3}, "zh") == "发现 3 个数据问题："


def test_render_missing_field_shows_question_mark():
    assert render("unsupported_format", None, {"found": ".doc"}, "zh") == (
        "不支持的文件类型「.doc」，应为 ? 之一。请转换格式或在配置中设置 format。")


# --- language -----------------------------------------------------------------------------------


def test_lang_defaults_to_chinese(monkeypatch):
    monkeypatch.delenv("ONEMAP_LANG", raising=False)
    assert lang_or_default() == "zh"
    assert render("empty_name", None, {}) == "名称为空。请填写名称。"


def test_lang_honours_onemap_lang(monkeypatch):
    monkeypatch.setenv("ONEMAP_LANG", "EN")
    assert lang_or_default() == "en"
    assert render("empty_name", None, {}) == "the name is empty. Fill in a name."


def test_explicit_lang_beats_onemap_lang(monkeypatch):
    monkeypatch.setenv("ONEMAP_LANG", "en")
    assert lang_or_default("zh") == "zh"


def test_unknown_lang_falls_back_to_chinese(monkeypatch):
    monkeypatch.setenv("ONEMAP_LANG", "fr")
    assert lang_or_default() == "zh"
    assert lang_or_default("de") == "zh"


def test_region_file_expectations_have_chinese():
    import ast  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    src = (Path(__file__).resolve().parents[2] / "etl" / "region.py").read_text(encoding="utf-8")
    phrases = set()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "get" and len(node.args) >= 5:
            if isinstance(node.args[4], ast.Constant) and isinstance(node.args[4].value, str):
                phrases.add(node.args[4].value)
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg == "expected" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    phrases.add(kw.value.value)
    assert phrases and phrases <= set(messages.EXPECTED_ZH), phrases - set(messages.EXPECTED_ZH)
    text = messages.render("region_bad_value", "r.toml", {"key": "region.bbox", "found": "[1]",
                                                         "expected": "integers 0-15"}, "zh")
    assert text.endswith("应为 0 到 15 的整数。")
