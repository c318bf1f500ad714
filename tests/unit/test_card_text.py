"""Hazard values on the hexagon card and the hazard legend read as people read them: an annual
probability as a percentage per year, other values to three significant figures, never in
exponent form, never the region file's ASCII units (``1/yr``) in Chinese."""

from __future__ import annotations

import re

import pytest

from layers.report.wording import measure_text, significant_text, units_name
from mapapp.components import cell_card, hazard_legend


@pytest.mark.parametrize(("value", "text"), [
    (0.000166, "0.000166"), (0.18291, "0.183"), (1.5, "1.5"), (2.0, "2"), (0, "0"),
    (123.456, "123"), (98765.4, "98,765"), (-0.0421, "-0.0421"), (None, "—"), (True, "—"),
])
def test_significant_text(value, text):
    assert significant_text(value) == text


@pytest.mark.parametrize(("value", "units", "zh", "en"), [
    (0.000166, "1/yr", "0.0166%/年", "0.0166% per year"),
    (0.02454, "1/yr", "2.45%/年", "2.45% per year"),
    (0.18291, "g", "0.183 g", "0.183 g"),
    (0.0009635, "1/(10⁴ km²·a)", "0.000964 次/（万 km²·年）", "0.000964 events per 10,000 km² per year"),
    (12345.6, "people", "12,346 人", "12,346 people"),
    (None, "m", "—", "—"),
])
def test_measure_text(value, units, zh, en):
    assert measure_text(value, units, "zh") in (zh, zh.replace("964", "963"))
    assert measure_text(value, units, "en") in (en, en.replace("964", "963"))


def _texts(component) -> list[str]:
    """Every string a component tree shows."""
    if component is None:
        return []
    if isinstance(component, str | int | float):
        return [str(component)]
    if isinstance(component, list | tuple):
        return [s for c in component for s in _texts(c)]
    return _texts(getattr(component, "children", None))


WILDFIRE = {"hazard": "wildfire", "units": "1/yr", "breaks": [0.001, 0.005, 0.01, 0.02],
            "labels": ["<0.1%", "0.1–0.5%", "0.5–1%", "1–2%", ">2%"], "synthetic": True,
            "description": "合成：年燃烧概率 / synthetic annual burn probability", "lower_is_worse": False,
            "max": 0.000166, "mean": 9.61e-05, "p90": 0.00015, "cls": 0, "label": "<0.1%",
            "share_at_or_above": [0.0, 0.0, 0.0, 0.0], "sampled": False}
CARD = {"cell": "872a1072bffffff", "res": 7, "area_km2": 5.16, "admin": {}, "hazards": [WILDFIRE],
        "counts": {}, "around_km": 10.0}


def test_hexagon_card_in_chinese_has_no_raw_rate():
    text = " ".join(_texts(cell_card(CARD, "zh")))
    assert "0.0166%/年" in text and "0.00961%/年" in text
    assert "≥0.1%：0%" in text and "≥2%：0%" in text
    assert "1/yr" not in text and not re.search(r"\de-0", text)


def test_hexagon_card_in_english():
    text = " ".join(_texts(cell_card(CARD, "en")))
    assert "0.0166% per year" in text and "≥0.1%: 0%" in text
    assert not re.search(r"[\u3400-\u9fff]", text.replace(CARD["cell"], ""))


def test_hazard_legend_units_in_words():
    assert units_name("1/yr", "zh") == "年发生概率（%）"
    zh = " ".join(_texts(hazard_legend(WILDFIRE, "zh")))
    assert "单位：年发生概率（%）" in zh and "1/yr" not in zh
    assert "Units: annual probability (%)" in " ".join(_texts(hazard_legend(WILDFIRE, "en")))
