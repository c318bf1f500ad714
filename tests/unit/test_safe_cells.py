"""Formula injection: a name that a spreadsheet would run (``=HYPERLINK(...)``, ``+cmd|...``) is
text in every CSV and XLSX the project writes (analysis downloads and report workbooks)."""

from __future__ import annotations

import csv

import openpyxl
import pandas as pd
import pytest

from layers import dispatch_from_store, write_table
from layers.report import build_report, write_xlsx
from layers.safe_cells import FORMULA_START, safe_frame, safe_value
from tests.unit.conftest import STANDARDS

EVIL = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("text", EVIL)
def test_each_formula_start_gets_a_quote(text):
    assert safe_value(text) == "'" + text
    assert not str(safe_value(text)).startswith(FORMULA_START)


def test_numbers_and_plain_text_are_untouched():
    assert safe_value(-3.5) == -3.5 and safe_value(0) == 0 and safe_value(None) is None
    assert safe_value("唐山市级储备库") == "唐山市级储备库" and safe_value("a=b") == "a=b"
    df = safe_frame(pd.DataFrame({"name": ["=1", "ok"], "v": [-1.0, 2.0], "=col": [1, 2]}))
    assert df["name"].tolist() == ["'=1", "ok"] and df["v"].tolist() == [-1.0, 2.0]
    assert list(df.columns) == ["name", "v", "'=col"]


def _xlsx_formulas(path):
    """Every cell that openpyxl reads back as a formula (data type 'f')."""
    wb = openpyxl.load_workbook(path)
    return [(ws.title, c.coordinate, c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if c.data_type == "f" or (isinstance(c.value, str) and c.value.startswith(FORMULA_START))]


def test_write_table_csv_and_xlsx(tmp_path):
    df = pd.DataFrame({"name": EVIL, "hours": [-1.5] * len(EVIL)})
    assert _xlsx_formulas(write_table(df, tmp_path / "t.xlsx", about={"note": "=1+1"})) == []
    with open(write_table(df, tmp_path / "t.csv"), encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert [r[0] for r in rows[1:]] == ["'" + e for e in EVIL]
    assert [r[1] for r in rows[1:]] == ["-1.5"] * len(EVIL)  # numbers stay numbers


@pytest.fixture(scope="module")
def evil_world(world_with):
    """The tiny world where every reserve is named like a formula."""
    return world_with({"standards": STANDARDS, "chains_by_hazard": {"earthquake": ["rescue"]}},
                      ("UPDATE reserves SET name = '=HYPERLINK(\"http://x\",\"y\") ' || id",))


def test_dispatch_download_names_are_text(evil_world, tmp_path):
    table, _, _ = dispatch_from_store(evil_world, at=(116.36, 39.875), radius_km=4.0, hazard="earthquake")
    assert table["name"].astype(str).str.startswith("=").any()  # the attack reaches the table
    assert _xlsx_formulas(write_table(table, tmp_path / "dispatch.xlsx", sheet="dispatch")) == []


def test_report_workbook_names_are_text(evil_world, tmp_path):
    report = build_report(evil_world, "110100", "earthquake", res=8, siting_k=0)
    path = write_xlsx(report, tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(path)
    texts = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(v.startswith("'=HYPERLINK") for v in texts)  # the names are there, as text
    assert _xlsx_formulas(path) == []


def test_write_sheets_neutralises_and_marks(tmp_path):
    import io

    from layers.export import write_sheets

    buf = io.BytesIO()
    write_sheets(buf, {"招商库": pd.DataFrame({"企业": EVIL, "意向投资": [-1.0] * len(EVIL)}),
                       "a/b:c": pd.DataFrame({"x": [1]})}, mark="内部资料")
    book = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))
    assert book.sheetnames == ["招商库", "a-b-c", "内部资料"]  # data first: readers of sheet 0 still work
    assert all(ws.oddHeader.center.text == "内部资料" for ws in book.worksheets)
    assert book.properties.keywords == "内部资料"
    # (XML turns the CR of the last one into LF on reading; it is quoted all the same)
    assert [c.value.replace("\n", "\r") for c in book["招商库"]["A"][1:]] == ["'" + e for e in EVIL]
    assert _xlsx_formulas(io.BytesIO(buf.getvalue())) == []


def test_industry_exports_and_the_cluster_workbook_use_the_one_writer():
    """The databases' CLI exports and the cluster report go through layers.export (no writer of
    their own that could skip the neutralising)."""
    import inspect

    from layers.industry import cli
    from layers.report import cluster

    for module in (cli, cluster):
        source = inspect.getsource(module)
        assert "to_excel(" not in source and "to_csv(" not in source and "ExcelWriter" not in source, module
