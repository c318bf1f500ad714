"""HTML and PDF reports on the demo store, read back with poppler (``pdftotext``, ``pdfinfo``,
``pdffonts``): for Tangshan and a county the PDF text holds the unit names and the same numbers
as the XLSX cells (shown with the XLSX number formats) and as ``gaps_from_store``; A4 pages,
page numbers, embedded CJK fonts, table headers repeated on every page a table spans; the
English report and the short report of a unit without risk."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pytest

from layers import Store
from layers.analysis.gaps import gaps_from_store
from layers.report import build_report, write_report
from layers.report.formats import sheet_title
from layers.report.html import PRINT_COLUMNS
from layers.report.labels import header

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (make sysdeps) missing")

HOURS = {"county": 1.0}  # the demo's depots are dense: a 1 h county standard leaves gaps
A4 = (595, 842)  # points


def excel_text(value, number_format):
    """A cell as Excel shows it with its number format (the formats the report's XLSX uses)."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    places = {"0.0%": 1, "0.00": 2, "#,##0.00": 2, "#,##0": 0, "0": 0, "0.000": 3}[number_format]
    number = Decimal(repr(value * 100 if number_format.endswith("%") else value))
    rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{rounded:,f}" if number_format.startswith("#,##") else f"{rounded:f}"
    return text + ("%" if number_format.endswith("%") else "")


def sheet(path, key, lang="zh"):
    """Rows of a sheet as {header: Excel-shown text}."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(wb[sheet_title(key, lang)].iter_rows())
    finally:
        wb.close()
    heads = [c.value for c in rows[0]]
    return [{h: excel_text(c.value, c.number_format if c.number_format != "General" else "0")
             if not isinstance(c.value, str) else c.value for h, c in zip(heads, r)} for r in rows[1:]]


def pdf_text(path, *args):
    return subprocess.run(["pdftotext", *args, str(path), "-"], capture_output=True, text=True, check=True).stdout


def squash(text):
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def oracle(demo_db):
    store = Store(demo_db)
    yield gaps_from_store(store, "flood", 7, hours_by_tier=HOURS)
    store.close()


@pytest.fixture(scope="module")
def written(demo_db, tmp_path_factory):
    """Tangshan (130200) and 沧县 (130921): flood, 1 h county standard, every format (Tangshan
    with 40 worst cells, a table that spans pages)."""
    out = tmp_path_factory.mktemp("reports")
    store = Store(demo_db)
    reports = {}
    for code, worst in (("130200", 40), ("130921", 10)):
        report = build_report(store, code, "flood", hours_by_tier=HOURS, siting_hours=1, worst_n=worst)
        reports[code] = (report, write_report(report, out, "html,pdf,xlsx,geojson"))
    store.close()
    return reports


@pytest.mark.parametrize("code", ["130200", "130921"])
def test_pdf_holds_the_names_and_numbers_of_the_xlsx_and_of_gaps(written, oracle, code):
    report, paths = written[code]
    by_suffix = {p.suffix: p for p in paths}
    text = pdf_text(by_suffix[".pdf"])
    layout = pdf_text(by_suffix[".pdf"], "-layout").splitlines()
    page = by_suffix[".html"].read_text(encoding="utf-8")
    flat = squash(text)
    _, units = oracle
    unit = units[(units["adcode"] == code)].iloc[0].copy()
    unit["gap_share"] = unit["gap_area_km2"] / unit["at_risk_area_km2"]
    assert report.name in text and report.adcode in text

    head = sheet(by_suffix[".xlsx"], "headline")[0]
    for key in ("at_risk_area_km2", "population", "gap_area_km2", "gap_share", "share_covered_county",
                "share_covered_municipal", "worst_hours", "p90_hours"):
        shown = head[header(key)]
        assert shown == excel_text(float(unit[key]), {"gap_share": "0.0%", "share_covered_county": "0.0%",
                                                      "share_covered_municipal": "0.0%", "population": "#,##0",
                                                      "worst_hours": "0.00", "p90_hours": "0.00"}
                                   .get(key, "#,##0.00")), key
        assert shown in text and f">{shown}<" in page, (key, shown)

    # every row of the by-unit table: one PDF line with the name and the row's numbers in order
    columns = [header(c) for c in PRINT_COLUMNS["units"]]
    rows = sheet(by_suffix[".xlsx"], "units")
    assert len(rows) == (1 if report.level == "county" else 15)
    for row in rows:
        assert row[header("name")] in text
        numbers = [row[c] for c in columns if c in row and re.fullmatch(r"[\d,.%]+", row[c] or "")]
        lines = [line for line in layout if line.strip().startswith(row[header("name")])]
        found = [re.findall(r"(?<!\S)[\d,.%]+(?!\S)", line) for line in lines]
        assert numbers in found, (row[header("name")], numbers, found)

    for finding in report.findings:  # the findings, word for word
        assert squash(finding.zh) in flat, finding.zh
    for row in sheet(by_suffix[".xlsx"], "depots"):  # the depots table's names and hours
        assert squash(row[header("name")])[:12] in flat  # a long name wraps in its cell
        assert row[header("max_hours")] in text

    # the GeoJSON cells are the unit's at-risk cells of gaps_from_store, with its hours and gap flags
    cells, _ = oracle
    mine = cells[cells[report.level] == code].set_index("cell")
    geo = json.loads(next(p for p in paths if p.name.endswith("_cells.geojson")).read_text(encoding="utf-8"))
    props = {f["properties"]["cell"]: f["properties"] for f in geo["features"]}
    assert set(props) == set(mine.index) and len(props) > 0
    assert all(props[c]["hours_county"] == mine.at[c, "hours_county"] for c in props)
    assert all(props[c]["gap"] == bool(mine.at[c, "gap"]) for c in props)
    assert sum(props[c]["gap"] for c in props) > 0  # the 1 h standard leaves gaps in both units


def test_pdf_pages_are_a4_numbered_with_embedded_cjk_fonts_and_repeated_headers(written):
    report, paths = written["130200"]
    pdf = next(p for p in paths if p.suffix == ".pdf")
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    sizes = {tuple(round(float(v)) for v in m) for m in re.findall(r"size:\s+([\d.]+) x ([\d.]+) pts", info)}
    assert pages >= 8 and sizes <= {A4, A4[::-1]} and A4 in sizes and A4[::-1] in sizes  # tables landscape
    texts = [pdf_text(pdf, "-f", str(k), "-l", str(k)) for k in range(1, pages + 1)]
    for k, page in enumerate(texts, start=1):
        assert f"第 {k} 页，共 {pages} 页" in page, k
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(line.split()[-5:-3] == ["yes", "yes"] for line in fonts.splitlines()[2:]), fonts
    # the worst-cells table spans pages: every page with its rows (H3 cells) repeats its header
    cell_pages = [k for k, page in enumerate(texts) if re.search(r"\b87[0-9a-f]{13}\b", page)]
    assert len(cell_pages) >= 2
    assert all(squash(header("cell")) in squash(texts[k]) for k in cell_pages)


def test_english_report_and_short_report(demo_db, tmp_path):
    store = Store(demo_db)
    english = build_report(store, "130200", "flood", hours_by_tier=HOURS, siting_k=0)
    calm = build_report(store, "130203", "flood", siting_k=0)  # 路北区: no flood cell at class >= 2
    store.close()
    [pdf] = write_report(english, tmp_path, "pdf", lang="en")
    text = pdf_text(pdf)
    assert "Coverage gaps" in text and "Page 1 of" in text and "Headline figures" in text
    assert "Tangshan" in text and "唐山市" not in text  # names in pinyin (layers.placenames)
    assert calm.empty
    [pdf] = write_report(calm, tmp_path, "pdf")
    text = squash(pdf_text(pdf))
    assert "本单元在所选灾种与阈值下没有风险网格" in text and "路北区" in text
