"""English mode of the analysis panel (issue 15): the gaps and supply results the panel shows
(title, summary, legend, table cells) hold no Chinese: unit and county names in pinyin, unit
words of materials in English. Scanned with ``tests.language.problems``."""

from __future__ import annotations

from typing import Any

import pytest
from dash.development.base_component import Component

from layers import Store
from mapapp import analyses, analysis_view
from tests.integration.test_analyses_app import PARAMS
from tests.language import problems


@pytest.fixture(scope="module")
def store(demo_db):
    s = Store(demo_db)
    yield s
    s.close()


def _texts(node: Any) -> list[str]:
    """Every string a reader sees in a component tree (children, table cells and headers)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, (list, tuple)):
        return [s for x in node for s in _texts(x)]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _texts(v)]
    if isinstance(node, Component):
        props = node.to_plotly_json()["props"]
        return [s for k in ("children", "data", "columns") if k in props for s in _texts(props[k])]
    return []


@pytest.mark.parametrize("kind", ["gaps", "supply"])
def test_panel_result_in_english_has_no_chinese(store, kind):
    p = analyses.Params.from_controls({"kind": kind, **PARAMS[kind]})
    en = " | ".join(_texts(analysis_view.result(analyses.run(store, p, "en"), "en")))
    assert problems(en, "en") == [], problems(en, "en")[:20]
    zh = " | ".join(_texts(analysis_view.result(analyses.run(store, p, "zh"), "zh")))
    assert "区" in zh or "县" in zh  # the same names stay Chinese in Chinese mode
    if kind == "gaps":
        assert "District" in en or "County" in en  # names romanised, not dropped
