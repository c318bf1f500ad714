"""Tests of etl.readers.read_table on tiny files the tests write themselves."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely

from etl.errors import DataError
from etl.readers import RawTable, read_table
from etl.region import TableSource

HEADER = ["名称", "经度", "纬度", "地址"]
ROWS = [["北京应急园区", "116.29", "39.91", "北京市海淀区, 中关村"],
        ["天津储备库", "117.2", "39.13", ""]]


# --- helpers ----------------------------------------------------------------------------------


def src(path: Path, **kw) -> TableSource:
    return TableSource(entity="parks", name="t", path=path, **kw)


def read(path: Path, **kw) -> RawTable:
    return read_table(src(path, **kw))


def codes(excinfo: pytest.ExceptionInfo) -> list[str]:
    """The problem codes, after checking each message renders with all its fields."""
    for p in excinfo.value.problems:
        for lang in ("zh", "en"):
            assert "?" not in p.text(lang), p.text(lang)  # "?" marks a missing template field
    return [p.code for p in excinfo.value.problems]


def write_text(path: Path, rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8",
               newline: str = "\r\n") -> Path:
    """A delimited file; cells with the delimiter, quotes or newlines are quoted."""
    def cell(c: str) -> str:
        if any(ch in c for ch in (delimiter, '"', "\n", "\r")):
            return '"' + c.replace('"', '""') + '"'
        return c
    text = newline.join(delimiter.join(cell(c) for c in row) for row in rows) + newline
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def gdf(geoms: list, crs: str | None = "EPSG:4326", **cols) -> gpd.GeoDataFrame:
    data = cols or {"名称": [f"点{i}" for i in range(len(geoms))]}
    return gpd.GeoDataFrame(data, geometry=geoms, crs=crs)


def assert_frame(raw: RawTable, header: list[str], rows: list[list[str | None]]):
    assert raw.frame.columns.tolist() == header
    assert raw.frame.astype(object).values.tolist() == rows
    for col in raw.frame.columns:
        assert all(v is None or type(v) is str for v in raw.frame[col])


# --- delimited text ---------------------------------------------------------------------------

EXPECTED = [["北京应急园区", "116.29", "39.91", "北京市海淀区, 中关村"],
            ["天津储备库", "117.2", "39.13", None]]


@pytest.mark.parametrize("encoding, recorded", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("utf-16", "utf-16")])
def test_csv_encodings(tmp_path, encoding, recorded):
    raw = read(write_text(tmp_path / "a.csv", [HEADER, *ROWS], encoding=encoding))
    assert_frame(raw, HEADER, EXPECTED)
    assert raw.encoding == recorded and raw.format == "csv"
    assert raw.row_numbers.tolist() == [2, 3] and raw.row_numbers.dtype == np.int64
    assert raw.x is None and raw.y is None and raw.file_crs is None


def test_csv_gb18030_only_characters(tmp_path):
    rows = [HEADER, ["𠀀〇园区", "116.1", "39.1", "㐀路"]]
    with pytest.raises(UnicodeEncodeError):
        "𠀀".encode("gbk")  # not in GBK: needs GB18030's four-byte codes
    raw = read(write_text(tmp_path / "a.csv", rows, encoding="gb18030"))
    assert raw.encoding == "gb18030"
    assert raw.frame.loc[0, "名称"] == "𠀀〇园区"


def test_csv_explicit_encoding(tmp_path):
    path = write_text(tmp_path / "a.csv", [HEADER, *ROWS], encoding="gbk")
    assert read(path, encoding="GBK").encoding == "GBK"
    with pytest.raises(DataError) as info:
        read(path, encoding="utf-8")
    assert codes(info) == ["encoding_wrong"]
    with pytest.raises(DataError) as info:
        read(path, encoding="gbk-2000")
    assert codes(info) == ["encoding_unknown_name"]


def test_csv_charset_normalizer_fallback(tmp_path):
    text = "name,city\n" + "".join(f"Café {i},Zürich Straße Brücke\n" for i in range(20))
    path = tmp_path / "a.csv"
    path.write_bytes(text.encode("cp1252"))  # neither UTF-8 nor GB18030
    raw = read(path)
    assert raw.encoding not in ("utf-8", "gb18030")
    assert raw.frame.loc[0, "city"] == "Zürich Straße Brücke"


def test_csv_undetectable_encoding(tmp_path, monkeypatch):
    path = tmp_path / "a.csv"
    path.write_bytes(b"\x81\xff\xfe\x80" * 10)
    monkeypatch.setattr("charset_normalizer.from_bytes",
                        lambda data: type("R", (), {"best": lambda self: None})())
    with pytest.raises(DataError) as info:
        read(path)
    assert codes(info) == ["encoding_undetected"]


@pytest.mark.parametrize("delimiter", [",", "\t", ";", "|", "，"])
def test_csv_delimiters_sniffed(tmp_path, delimiter):
    rows = [HEADER, *ROWS, ["河北园区", "114.5", "38.0", "石家庄;正定|新区"]]
    raw = read(write_text(tmp_path / "a.txt", rows, delimiter=delimiter))
    assert raw.frame.columns.tolist() == HEADER
    assert raw.frame["地址"].tolist() == ["北京市海淀区, 中关村", None, "石家庄;正定|新区"]


def test_csv_explicit_delimiter(tmp_path):
    path = write_text(tmp_path / "a.tsv", [HEADER, *ROWS], delimiter="\t")
    assert read(path, delimiter="\t").frame.shape == (2, 4)
    assert read(path, delimiter="tab").frame.shape == (2, 4)
    with pytest.raises(DataError) as info:
        read(path, delimiter="::")
    assert codes(info) == ["region_bad_value"]


def test_csv_semicolons_inside_cells_do_not_fool_the_sniffer(tmp_path):
    rows = [["ID", "NAME", "TYPE", "X", "Y"]]
    rows += [[str(i), f"医院{i}", "医疗保健服务;综合医院;三级甲等医院", "114.3", "30.5"]
             for i in range(30)]
    raw = read(write_text(tmp_path / "a.csv", rows))
    assert raw.frame.shape == (30, 5)


def test_csv_quoted_newlines_and_row_numbers(tmp_path):
    rows = [HEADER, ["甲", "116", "39", "第一行\n第二行"], ["", "", "", ""],
            ["乙", "117", "40", '他说"好"']]
    raw = read(write_text(tmp_path / "a.csv", rows))
    assert raw.frame["地址"].tolist() == ["第一行\n第二行", '他说"好"']
    # a multi-line cell is one spreadsheet row; the blank row is dropped but still counted
    assert raw.row_numbers.tolist() == [2, 4]


def test_csv_cells_stripped_and_empty_is_none(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(" 名称 ,经度,纬度\n  甲 , ,\u3000\n", encoding="utf-8")
    raw = read(path)
    assert_frame(raw, ["名称", "经度", "纬度"], [["甲", None, None]])


def test_csv_duplicate_and_blank_headers(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("名称,备注,备注,,\n甲,x,y,z,\n", encoding="utf-8")
    raw = read(path)
    assert raw.frame.columns.tolist() == ["名称", "备注", "备注.1", "Unnamed: 3"]


def test_csv_row_with_extra_cells(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("名称,经度,纬度\n甲,116,39,\n乙,116,39,多出\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        read(path)
    assert codes(info) == ["row_extra_cells"]
    assert info.value.problems[0].params == {"row": 3, "found": 4, "expected": 3}


def test_csv_many_bad_rows_are_capped(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("名称,经度\n" + "甲,116,多出\n" * 25, encoding="utf-8")
    with pytest.raises(DataError) as info:
        read(path)
    assert codes(info) == ["row_extra_cells"] * 20 + ["more_rows"]
    assert info.value.problems[-1].params["n"] == 5


def test_headerless_with_column_order(tmp_path):
    path = write_text(tmp_path / "a.csv", [["1", "甲", "116.1", "39.1"], ["2", "乙", "117", "40"]])
    raw = read(path, header=False, column_order=("", "name", "lon", "lat"))
    assert_frame(raw, ["name", "lon", "lat"], [["甲", "116.1", "39.1"], ["乙", "117", "40"]])
    assert raw.row_numbers.tolist() == [1, 2]
    with pytest.raises(DataError) as info:
        read(path, header=False, column_order=("name", "lon", "lat"))
    assert codes(info) == ["column_order_mismatch"]
    assert info.value.problems[0].params == {"found": 4, "expected": 3}
    with pytest.raises(DataError) as info:
        read(path, header=False, column_order=("", "name", "lon", "lat", "address"))
    assert codes(info) == ["column_order_mismatch"]


# --- Excel ------------------------------------------------------------------------------------


@pytest.fixture
def book(tmp_path) -> Path:
    return write_xlsx(tmp_path / "a.xlsx", {
        "园区": [["名称", "经度", "纬度", "区县代码", "产值", "上市", "日期"],
                 ["甲", 116.29, 39.91, 130110, 0.1 + 0.2, True, dt.datetime(2024, 5, 1)],
                 [None, None, None, None, None, None, None],
                 ["乙", 117.0, 30.581130999999999, 130110.0, 1234567.5, False, None]],
        "储备库": [["储备库名称", "级别"], ["丙", "县级"]],
    })


def test_xlsx_numbers_as_excel_shows_them(book):
    raw = read(book)
    assert raw.format == "xlsx" and raw.encoding is None
    assert_frame(raw, ["名称", "经度", "纬度", "区县代码", "产值", "上市", "日期"], [
        ["甲", "116.29", "39.91", "130110", "0.3", "true", "2024-05-01"],
        ["乙", "117", "30.581131", "130110", "1234567.5", "false", None]])
    assert raw.row_numbers.tolist() == [2, 4]


def test_xlsx_sheet_by_name_and_missing_sheet(book):
    raw = read(book, sheet="储备库")
    assert_frame(raw, ["储备库名称", "级别"], [["丙", "县级"]])
    with pytest.raises(DataError) as info:
        read(book, sheet="企业")
    assert codes(info) == ["sheet_not_found"]
    assert info.value.problems[0].params == {"found": "企业", "expected": ["园区", "储备库"]}


def test_xlsx_headerless(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", {"s": [["甲", 116.5, 39], ["乙", 117, 40.25]]})
    raw = read(path, header=False, column_order=("name", "lon", "lat"))
    assert_frame(raw, ["name", "lon", "lat"], [["甲", "116.5", "39"], ["乙", "117", "40.25"]])
    assert raw.row_numbers.tolist() == [1, 2]


def test_xlsx_corrupt_and_empty(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(DataError) as info:
        read(bad)
    assert codes(info) == ["unreadable_file"]
    empty = write_xlsx(tmp_path / "empty.xlsx", {"s": [["名称", "经度"]]})
    with pytest.raises(DataError) as info:
        read(empty)
    assert codes(info) == ["empty_file"]


# --- GeoJSON, Shapefile, GeoPackage -----------------------------------------------------------


def test_geojson_points_and_polygon(tmp_path):
    features = [
        {"type": "Feature", "properties": {"名称": "甲", "adcode": 130110, "lon": 116.29},
         "geometry": {"type": "Point", "coordinates": [116.29, 39.91]}},
        {"type": "Feature", "properties": {"名称": "乙", "adcode": None, "lon": None},
         "geometry": {"type": "Polygon",
                      "coordinates": [[[0, 0], [4, 0], [4, 2], [0, 2], [0, 0]]]}},
        {"type": "Feature", "properties": {"名称": "丙", "adcode": 1, "lon": 1.5},
         "geometry": None},
    ]
    path = tmp_path / "a.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False), encoding="utf-8")
    raw = read(path)
    assert raw.format == "geojson" and raw.file_crs == "EPSG:4326"
    assert_frame(raw, ["名称", "adcode", "lon"], [["甲", "130110", "116.29"], ["乙", None, None],
                                                  ["丙", "1", "1.5"]])
    assert raw.row_numbers.tolist() == [1, 2, 3]
    assert raw.x[0] == 116.29 and raw.y[0] == 39.91
    polygon = shapely.Polygon([(0, 0), (4, 0), (4, 2), (0, 2)])
    assert polygon.contains(shapely.Point(raw.x[1], raw.y[1]))
    assert np.isnan(raw.x[2]) and np.isnan(raw.y[2])


def _write_gbk_shapefile(tmp_path: Path, cpg: bool) -> Path:
    path = tmp_path / "gbk.shp"
    gdf([shapely.Point(116.3, 39.9), shapely.Point(117.2, 39.1)], crs="EPSG:4490",
        名称=["北京应急产业园", "天津储备库"], 级别=["国家级", "市级"],
        ).to_file(path, encoding="GBK")
    dbf = path.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[29] = 0  # no DBF language-driver id either: only our detection can tell
    dbf.write_bytes(bytes(data))
    if not cpg:
        path.with_suffix(".cpg").unlink()
    return path


@pytest.mark.parametrize("cpg", [True, False])
def test_shapefile_gbk(tmp_path, cpg):
    path = _write_gbk_shapefile(tmp_path, cpg)
    assert path.with_suffix(".cpg").exists() == cpg
    raw = read(path)
    assert raw.format == "shp" and raw.encoding == "gb18030" and raw.file_crs == "EPSG:4490"
    assert_frame(raw, ["名称", "级别"], [["北京应急产业园", "国家级"], ["天津储备库", "市级"]])
    np.testing.assert_allclose(raw.x, [116.3, 117.2])
    parts = [path.with_suffix(e).read_bytes() for e in (".shp", ".dbf", ".prj", ".cpg")
             if path.with_suffix(e).exists()]
    assert raw.sha256 == hashlib.sha256(b"".join(parts)).hexdigest()


def test_shapefile_utf8_without_cpg(tmp_path):
    path = tmp_path / "u.shp"
    gdf([shapely.Point(1, 2)], 名称=["园区"]).to_file(path, encoding="UTF-8")
    path.with_suffix(".cpg").unlink()
    raw = read(path)
    assert raw.encoding == "utf-8" and raw.frame.loc[0, "名称"] == "园区"


def test_shapefile_missing_dbf(tmp_path):
    path = _write_gbk_shapefile(tmp_path, cpg=True)
    path.with_suffix(".dbf").unlink()
    with pytest.raises(DataError) as info:
        read(path)
    assert codes(info) == ["shapefile_part_missing"]


def test_geopackage_layers(tmp_path):
    path = tmp_path / "a.gpkg"
    gdf([shapely.Point(116, 39)], 名称=["园区甲"]).to_file(path, layer="parks")
    line = shapely.LineString([(0, 0), (1, 0), (2, 0)])
    gdf([line], crs="EPSG:4548", 名称=["线"]).to_file(path, layer="roads")
    raw = read(path)
    assert raw.format == "gpkg" and raw.frame["名称"].tolist() == ["园区甲"]
    roads = read(path, layer="roads")
    assert roads.file_crs == "EPSG:4548"
    assert line.distance(shapely.Point(roads.x[0], roads.y[0])) == 0  # a point on the line
    with pytest.raises(DataError) as info:
        read(path, layer="reserves")
    assert codes(info) == ["layer_not_found"]
    assert info.value.problems[0].params["expected"] == ["parks", "roads"]


# --- Parquet ------------------------------------------------------------------------------------


def test_parquet(tmp_path):
    path = tmp_path / "a.parquet"
    table = pa.table({"名称": ["甲", None], "经度": [116.29, None], "adcode": [130110, None],
                      "chains": [["medical", "rescue"], []]})
    pq.write_table(table, path)
    raw = read(path)
    assert raw.format == "parquet" and raw.x is None and raw.file_crs is None
    assert_frame(raw, ["名称", "经度", "adcode", "chains"],
                 [["甲", "116.29", "130110", "medical;rescue"], [None, None, None, None]])
    assert raw.row_numbers.tolist() == [1, 2]


def test_parquet_float32_prints_as_written(tmp_path):
    path = tmp_path / "a.parquet"
    pq.write_table(pa.table({"lon": pa.array([116.29, 130110.0], type=pa.float32())}), path)
    assert read(path).frame["lon"].tolist() == ["116.29", "130110"]


def test_geoparquet(tmp_path):
    path = tmp_path / "a.parquet"
    gdf([shapely.Point(116.3, 39.9), None], crs="EPSG:4490", 名称=["甲", "乙"],
        产值=[1.5, np.nan]).to_parquet(path)
    raw = read(path)
    assert raw.format == "geoparquet" and raw.file_crs == "EPSG:4490"
    assert_frame(raw, ["名称", "产值"], [["甲", "1.5"], ["乙", None]])
    assert raw.x[0] == 116.3 and np.isnan(raw.x[1])


def test_corrupt_parquet(tmp_path):
    path = tmp_path / "a.parquet"
    path.write_bytes(b"PAR1 definitely not parquet")
    with pytest.raises(DataError) as info:
        read(path)
    assert codes(info) == ["unreadable_file"]


# --- errors and hashing ---------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(DataError) as info:
        read(tmp_path / "nope.csv")
    assert codes(info) == ["file_not_found"]
    assert str(tmp_path / "nope.csv") in str(info.value)


def test_unsupported_extension(tmp_path):
    path = tmp_path / "a.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(DataError) as info:
        read(path)
    assert codes(info) == ["unsupported_format"]
    assert info.value.problems[0].params["found"] == ".xls"


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"  \r\n", "名称,经度\n".encode()])
def test_empty_text_files(tmp_path, content):
    path = tmp_path / "a.csv"
    path.write_bytes(content)
    with pytest.raises(DataError) as info:
        read(path)
    assert codes(info) == ["empty_file"]


def test_corrupt_geojson(tmp_path):
    path = tmp_path / "a.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(DataError) as info:
        read(path)
    assert codes(info) == ["unreadable_file"]


def test_sha256_stable(tmp_path):
    a = write_text(tmp_path / "a.csv", [HEADER, *ROWS])
    b = write_text(tmp_path / "b.csv", [HEADER, *ROWS])
    assert read(a).sha256 == read(a).sha256 == read(b).sha256
    assert read(a).sha256 == hashlib.sha256(a.read_bytes()).hexdigest()
    c = write_text(tmp_path / "c.csv", [HEADER, ROWS[0]])
    assert read(c).sha256 != read(a).sha256


# --- real data ------------------------------------------------------------------------------


@pytest.mark.realdata
def test_wuhan_csv_bom(realdata):
    raw = read(realdata / "wuhan_hospitals_gcj02_wgs84.csv")
    assert raw.encoding == "utf-8-sig" and raw.format == "csv"
    assert raw.frame.columns[0] == "ID"  # not "\ufeffID"
    assert {"NAME", "XGCJ", "YGCJ", "XWGS", "YWGS"} <= set(raw.frame.columns)
    assert raw.frame.loc[0, "CITY"] == "武汉市"
    # ";" inside TYPE must not be taken for the delimiter
    assert raw.frame.loc[0, "TYPE"] == "医疗保健服务;综合医院;三级甲等医院"
    assert raw.row_numbers[0] == 2 and len(raw.frame) > 2000
    assert isinstance(raw.frame, pd.DataFrame) and raw.frame["RATE"].iloc[0] is None
