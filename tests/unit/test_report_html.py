"""HTML of a report on the tiny world: numbers as the XLSX formats show them, the methods chapter
from METHODS.md, escaping of names from user files, the page CSS, and a missing CJK font."""

from __future__ import annotations

import dataclasses
import re
import subprocess

import pytest

from layers.report import ReportError, build_report
from layers.report import html as H
from layers.report.labels import as_text, header


@pytest.fixture(scope="module")
def beijing(world_std):
    return build_report(world_std, "110100", "earthquake", res=8, date="2025-01-02")


@pytest.mark.parametrize(("value", "column", "lang", "text"), [
    (0.57644, "gap_share", "zh", "57.6%"),
    (0.00125, "gap_share", "zh", "0.1%"),
    (1389.125, "gap_area_km2", "zh", "1,389.13"),  # half up, as a spreadsheet shows it
    (0.125, "worst_hours", "zh", "0.13"),
    (2.675, "worst_hours", "zh", "2.68"),  # 2.675 is 2.67499.. in binary; shown as written
    (799676.0, "population", "zh", "799,676"),
    (12, "cells", "zh", "12"),
    (116.4366021, "lon", "zh", "116.437"),  # about 100 m
    (float("inf"), "hours_county", "zh", "无法到达"),
    (float("inf"), "hours_county", "en", "unreachable"),
    (None, "worst_hours", "zh", "—"),
    (float("nan"), "population", "en", "—"),
    (True, "gap", "zh", "是"),
    (["rescue", "medical"], "missing_chains", "zh", "抢险救援装备、医学救援装备"),
    ([], "missing_chains", "zh", "无"),
    ([], "missing_chains", "en", "none"),
    ("flood", "hazard", "en", "Flood"),
])
def test_as_text_shows_what_the_xlsx_format_shows(value, column, lang, text):
    assert as_text(value, column, lang) == text


def test_markdown_subset_escapes_everything_else():
    out = H.markdown_html("A **bold** `code` <script>x</script>\n\n- one\n  two\n- 三\n  四\n\nend")
    assert "<strong>bold</strong>" in out and "<code>code</code>" in out
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "<ul><li>one two</li><li>三四</li></ul>" in out
    assert out.endswith("<p>end</p>")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_methods_chapter_comes_from_methods_md(lang):
    sections = dict(H.methods_sections(lang))
    assert list(sections) == list(H.METHOD_SECTIONS)
    text = H.METHODS_FILE.read_text(encoding="utf-8")
    for name, body in sections.items():
        assert len(body) > 200 and "CLI:" not in body, name
        assert ("**中文**" in text) and ("**English**" not in body)
    zh_words = len(re.findall(r"[\u4e00-\u9fff]", sections["gaps"]))
    assert (zh_words > 100) if lang == "zh" else (zh_words < 20)


def test_css_string_cannot_end_the_string_or_the_style_element():
    quoted = H.css_string('唐山市 "x" </style><b>')
    assert quoted.startswith('"唐山市 ') and quoted.count('"') == 2
    assert "<" not in quoted and ">" not in quoted and "/" not in quoted


def test_html_escapes_names_and_shows_the_report_numbers(beijing):
    nasty = dataclasses.replace(beijing, cover={**beijing.cover, "unit": {**beijing.cover["unit"],
                                                                          "name": "北京<script>alert(1)</script>"}})
    page = H.render_html(nasty, "zh")
    assert "<script>" not in page and "北京&lt;script&gt;" in page
    page = H.render_html(beijing, "zh")
    head = beijing.headline.iloc[0]
    for key in ("at_risk_area_km2", "share_covered_county", "worst_hours"):
        assert f'<td class="num">{as_text(head[key], key)}</td>' in page, key
    assert f"<th>{header('at_risk_area_km2')}</th>" not in page  # headline metrics are row labels
    assert f"<td>{header('at_risk_area_km2')}</td>" in page
    for f in beijing.findings:
        assert f.zh.replace("<", "&lt;") in page
    assert page.count("<svg") >= 4  # two maps and two charts for the one hazard
    english = H.render_html(beijing, "en")
    assert "Headline figures" in english and header("at_risk_area_km2", "en") in english


def test_pdf_without_a_chinese_font_is_refused_before_writing(beijing, tmp_path, monkeypatch):
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0, stdout="DejaVu Sans\n"))
    H.cjk_font.cache_clear()
    try:
        with pytest.raises(ReportError, match="no Chinese font found.*fonts-noto-cjk"):
            H.write_pdf(beijing, tmp_path / "x.pdf")
        from layers.report import write_report
        with pytest.raises(ReportError, match="no Chinese font"):
            write_report(beijing, tmp_path, "xlsx,pdf")
        assert not list(tmp_path.iterdir())
    finally:
        H.cjk_font.cache_clear()
