"""Language hygiene of the printed report (issue 15, observation 3): the demo report of 唐山
(every hazard) and of 河北省 (flood), in Chinese and in English, read back as a reader sees
them — the PDF's text (poppler's ``pdftotext``) and every cell of the XLSX as its number format
shows it — holds no ASCII word but units and codes (Chinese), no Chinese but names (English),
and nowhere ``null``, ``{}``, ``None``, ``nan``, ``true``/``false`` or a float with more than
three decimals (``tests/language.py``)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from layers import Store
from layers.report import build_report, write_report
from tests.language import problems, workbook_problems

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (make sysdeps) missing")

CASES = (("130200", "all"), ("130000", "flood"))


@pytest.fixture(scope="module")
def written(demo_db, tmp_path_factory):
    """{(adcode, lang): (pdf, xlsx)} at a 1 h county standard (so gaps, siting and supply
    tables all have rows)."""
    out = tmp_path_factory.mktemp("language")
    store = Store(demo_db)
    files = {}
    try:
        for code, hazard in CASES:
            report = build_report(store, code, hazard, hours_by_tier={"county": 1.0}, siting_hours=1)
            for lang in ("zh", "en"):
                pdf, xlsx = write_report(report, out / lang, "pdf,xlsx", lang=lang)
                files[code, lang] = (pdf, xlsx)
    finally:
        store.close()
    return files, ()


def pdf_problems(path, lang):
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert len(text) > 5000  # the whole report, not an empty page
    return [f"line {n}: {p} in {line[:80]!r}" for n, line in enumerate(text.splitlines(), 1)
            for p in problems(line, lang)]


@pytest.mark.parametrize("code", [c for c, _ in CASES])
def test_chinese_pdf_has_no_developer_language(written, code):
    files, _ = written
    found = pdf_problems(files[code, "zh"][0], "zh")
    assert found == [], "\n".join(found[:40])


@pytest.mark.parametrize("code", [c for c, _ in CASES])
def test_chinese_xlsx_every_cell_reads_in_chinese(written, code):
    files, _ = written
    found = workbook_problems(files[code, "zh"][1], "zh")
    assert found == [], "\n".join(found[:40])


@pytest.mark.parametrize("code", [c for c, _ in CASES])
def test_english_report_has_no_chinese(written, code):
    """Place and facility names are in pinyin (layers.placenames), so no Chinese is left."""
    files, _ = written
    found = pdf_problems(files[code, "en"][0], "en") + workbook_problems(files[code, "en"][1], "en")
    assert found == [], "\n".join(found[:40])
    text = subprocess.run(["pdftotext", str(files[code, "en"][0]), "-"], capture_output=True, text=True).stdout
    assert ("Tangshan" if code == "130200" else "Hebei") in text


def test_the_scanner_finds_what_it_must():
    """The checks themselves: each kind of defect of observation 3 is caught."""
    assert problems("方法见 layers.report.build_report", "zh")
    assert problems("参数 --matrix", "zh")
    assert problems("见 layers/METHODS.md#gaps", "zh")
    assert problems("附录 null", "zh") and problems("附录 {}", "zh")
    assert problems("占比 0.5421", "zh") and problems("9.61e-05 1/yr", "zh")
    assert problems("是否 true", "zh")
    assert problems("洪水 flood", "en")
    assert problems("Flood in 唐山市", "en") and not problems("Flood in 唐山市", "en", place_names=["唐山市"])
    assert not problems("唐山市洪水风险区 42%（1,389 km²）超过 1 h 县级标准；网格 87318992affffff；库 R0071", "zh")
    assert not problems("42.5% of the area, 1,389.13 km², 118.528", "en")
