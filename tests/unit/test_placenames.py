"""English place and facility names (issue 15, observation 9): pinyin with the administrative
suffix in words, the irregular romanisations, and Chinese left alone in Chinese."""

from __future__ import annotations

import re

import pytest

from layers.placenames import english_text, place_name


@pytest.mark.parametrize(("zh", "en"), [
    ("唐山市", "Tangshan"), ("路南区", "Lunan District"), ("河北省", "Hebei"), ("陕西省", "Shaanxi"),
    ("北京市", "Beijing"), ("朝阳区", "Chaoyang District"), ("乐亭县", "Laoting County"), ("蔚县", "Yu County"),
    ("青龙满族自治县", "Qinglong Manchu Autonomous County"), ("滨海新区", "Binhai New Area"),
    ("井陉矿区", "Jingxing Mining District"), ("长安区", "Chang'an District"), ("迁安市", "Qian'an"),
    ("围场满族蒙古族自治县", "Weichang Manchu-Mongol Autonomous County"), ("内蒙古自治区", "Inner Mongolia Autonomous Region"),
])
def test_place_names_in_english(zh, en):
    assert place_name(zh, "en") == en
    assert place_name(zh, "zh") == zh


@pytest.mark.parametrize(("zh", "en"), [
    ("（合成）曹妃甸区县级应急物资储备库", "(synthetic) Caofeidian District county emergency supplies depot"),
    ("（合成）河北省唐山省级应急物资储备库", "(synthetic) Hebei Tangshan provincial emergency supplies depot"),
    ("42 % of 唐山市's flood at-risk area", "42 % of Tangshan's flood at-risk area"),
    ("10 material(s) short (12 套 short)", "10 material(s) short (12 sets short)"),
    ("Tangshan, no Chinese", "Tangshan, no Chinese"),
])
def test_text_in_english(zh, en):
    assert english_text(zh) == en


def test_any_name_comes_out_without_chinese():
    for name in ("中关村科技园丰台园", "际华三五零二", "雄安新区城市安全创新核心区", "鹰手营子矿区", "市中区"):
        assert not re.search(r"[\u3400-\u9fff]", english_text(name)), name


def test_plan_titles_and_clauses_from_the_region_file_in_each_language():
    """A target's document and clause are written "中文 / English" in the region file: each
    language shows its side; the demo's every target has both, so English mode shows no pinyin
    plan titles and Chinese mode no English."""
    import tomllib  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    from layers.industry.labels import name_text  # noqa: PLC0415

    text = "河北省应急产业发展规划（2020—2025 年） / Hebei Province Emergency Industry Development Plan (2020–2025)"
    assert name_text(text, "zh") == "河北省应急产业发展规划（2020—2025 年）"
    assert name_text(text, "en") == "Hebei Province Emergency Industry Development Plan (2020–2025)"
    assert name_text("唐山市", "en") == "Tangshan" and name_text("唐山市", "zh") == "唐山市"
    region = tomllib.loads((Path(__file__).parents[2] / "geodata/regions/jjj.toml").read_text(encoding="utf-8"))
    for target in region["industry"]["targets"]:
        for key in ("document", "clause"):
            zh, en = name_text(target[key], "zh"), name_text(target[key], "en")
            assert re.search(r"[\u3400-\u9fff]", zh) and not re.search(r"[A-Za-z]{3,}", zh), zh
            assert not re.search(r"[\u3400-\u9fff]", en) and len(en.split()) >= 3, en
