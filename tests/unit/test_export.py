"""Analysis tables written by extension: CSV (BOM), XLSX (+ about sheet), Parquet, GeoJSON."""

from __future__ import annotations

import json

import h3
import numpy as np
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from layers.export import XLSX_MAX_ROWS, to_geojson, write_table

CELL = h3.latlng_to_cell(39.6, 118.2, 8)


def table() -> pd.DataFrame:
    return pd.DataFrame({"cell": [CELL, h3.grid_disk(CELL, 1)[1]], "tier": ["county", "县级"],
                         "hours": [1.5, np.nan], "n": np.array([1, 2], dtype=np.int64)})


def test_csv_has_a_bom_for_excel(tmp_path):
    path = write_table(table(), tmp_path / "a.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "县级".encode() in raw
    assert pd.read_csv(path, encoding="utf-8-sig")["cell"].tolist() == table()["cell"].tolist()


def test_xlsx_with_about_sheet(tmp_path):
    path = write_table(table(), tmp_path / "a.xlsx", sheet="access", about={"method": "great-circle × detour", "k": 1})
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["access", "about"]
    assert [c.value for c in wb["access"][1]] == ["cell", "tier", "hours", "n"]
    assert wb["about"]["B2"].value == "great-circle × detour"


def test_parquet_keeps_types_and_about(tmp_path):
    path = write_table(table(), tmp_path / "a.parquet", about={"res": 8})
    t = pq.read_table(path)
    assert t.column("n").type == "int64" and json.loads(t.schema.metadata[b"onemap.about"]) == {"res": 8}


def test_geojson_hexagons_are_closed_counter_clockwise_lng_lat(tmp_path):
    path = write_table(table(), tmp_path / "a.geojson", about={"res": 8})
    data = json.loads(path.read_text(encoding="utf-8"))
    ring = data["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 7
    assert all(117 < lng < 119 and 39 < lat < 40.5 for lng, lat in ring)
    area2 = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:]))
    assert area2 > 0  # counter-clockwise (RFC 7946 exterior ring)
    assert data["features"][1]["properties"]["hours"] is None and data["about"] == {"res": 8}


def test_points_and_refusals(tmp_path):
    pts = to_geojson(pd.DataFrame({"lon": [118.2], "lat": [39.6], "name": ["<b>x</b>"]}))
    assert pts["features"][0]["geometry"] == {"type": "Point", "coordinates": [118.2, 39.6]}
    with pytest.raises(ValueError, match="needs a 'cell' column"):
        to_geojson(pd.DataFrame({"a": [1]}))
    with pytest.raises(ValueError, match=r"must be one of \.csv, \.xlsx, \.parquet, \.geojson"):
        write_table(table(), tmp_path / "a.shp")
    big = pd.DataFrame({"a": np.zeros(XLSX_MAX_ROWS + 1, dtype=np.int8)})
    with pytest.raises(ValueError, match="do not fit an Excel sheet"):
        write_table(big, tmp_path / "big.xlsx")
