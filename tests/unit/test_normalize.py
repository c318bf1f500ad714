"""Tests of etl.normalize.normalize on tiny CSV files the tests write themselves."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from etl import crs
from etl.errors import DataError
from etl.normalize import Normalized, normalize
from etl.readers import read_table
from etl.region import TableSource

BBOX = (113.3, 35.9, 120.1, 42.8)
# cpca's centroids of 130205 唐山市开平区 and 130200 唐山市 are GCJ-02; the store holds WGS-84
KAIPING = tuple(float(v) for v in crs.gcj02_to_wgs84(118.261841, 39.671001))
TANGSHAN = tuple(float(v) for v in crs.gcj02_to_wgs84(118.180193, 39.630867))


def run(tmp_path: Path, rows: list[list[str]], entity: str = "parks", crs_: str | None = "WGS84",
        **kw) -> Normalized:
    """Write ``rows`` (first row the header) as UTF-8 CSV, read and normalize it."""
    path = tmp_path / f"{entity}.csv"
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    src = TableSource(entity=entity, name="src1", path=path, crs=crs_, **kw)
    out = normalize(read_table(src), src, BBOX)
    assert out.rows_in == len(out.rows) + len(out.rejects)  # nothing dropped silently
    return out


def reject(out: Normalized) -> dict:
    [r] = out.rejects
    return r


def codes(out: Normalized) -> list[tuple[int, str]]:
    return [(r["row_number"], r["reason_code"]) for r in out.rejects]


def raises(tmp_path: Path, rows, **kw) -> list[tuple[str, dict]]:
    with pytest.raises(DataError) as excinfo:
        run(tmp_path, rows, **kw)
    return [(p.code, p.params) for p in excinfo.value.problems]


# --- coordinates --------------------------------------------------------------------------------


def test_good_row_loads_exact(tmp_path):
    out = run(tmp_path, [["编号", "名称", "经度", "纬度", "产业链"],
                         ["P1", "唐山应急园", "118.2", "39.6", "消防、无人机"]])
    assert out.rejects == [] and out.rows_in == 1 and out.crs == "WGS84"
    row = out.rows.iloc[0]
    assert (row["id"], row["name"], row["lon"], row["lat"]) == ("P1", "唐山应急园", 118.2, 39.6)
    assert row["precision"] == "exact"
    assert row["chains"] == ["firefighting", "unmanned"]
    assert (row["source"], row["source_row"], row["synthetic"]) == ("src1", 2, False)


def test_generated_id_is_source_and_row(tmp_path):
    out = run(tmp_path, [["名称", "经度", "纬度"], ["甲", "116.4", "39.9"],
                         ["乙", "116.5", "39.9"]])
    assert out.rows["id"].tolist() == ["src1-2", "src1-3"]


def test_swapped_lonlat_is_rejected_with_its_row(tmp_path):
    out = run(tmp_path, [["名称", "经度", "纬度"], ["甲", "116.4", "39.9"],
                         ["乙", "39.6", "118.2"]])
    r = reject(out)
    assert (r["row_number"], r["reason_code"]) == (3, "swapped_lonlat")
    assert r["reason"].startswith("第 3 行：经度 39.6、纬度 118.2")
    assert r["reason_en"].startswith("row 3: lon 39.6, lat 118.2 lie outside")
    assert "swap_lonlat = true" in r["reason_en"]
    assert out.rows["name"].tolist() == ["甲"]


def test_swap_lonlat_option_fixes_swapped_columns(tmp_path):
    out = run(tmp_path, [["名称", "经度", "纬度"], ["乙", "39.6", "118.2"]], swap_lonlat=True)
    assert out.rejects == []
    assert (out.rows["lon"][0], out.rows["lat"][0]) == (118.2, 39.6)


def test_far_outside_bbox(tmp_path):
    out = run(tmp_path, [["名称", "经度", "纬度"], ["甲", "10", "10"]])
    r = reject(out)
    assert (r["row_number"], r["reason_code"]) == (2, "outside_bbox")
    assert "crs = WGS84" in r["reason_en"]
    assert len(out.rows) == 0


def test_inside_china_but_outside_region_is_outside_bbox(tmp_path):
    out = run(tmp_path, [["名称", "经度", "纬度"], ["上海", "121.47", "31.23"]])
    assert codes(out) == [(2, "outside_bbox")]


@pytest.mark.parametrize("lon, lat, field", [("abc", "39.9", "lon"), ("116.4", "北纬40", "lat")])
def test_bad_number(tmp_path, lon, lat, field):
    r = reject(run(tmp_path, [["名称", "经度", "纬度"], ["甲", lon, lat]]))
    assert r["reason_code"] == "bad_number"
    assert f"field '{field}'" in r["reason_en"]


def test_latitude_out_of_range(tmp_path):
    assert codes(run(tmp_path, [["名称", "经度", "纬度"], ["甲", "116.4", "95"]])) == [
        (2, "lat_out_of_range")]


def test_projected_crs_input(tmp_path):
    # EPSG:4548 is CGCS2000 Gauss-Kruger with central meridian 117E, false easting 500 km.
    out = run(tmp_path, [["名称", "经度", "纬度"], ["甲", "500000", "4400000"]], crs_="EPSG:4548")
    assert out.crs == "EPSG:4548"
    assert out.rows["lon"][0] == pytest.approx(117.0, abs=1e-9)
    assert out.rows["lat"][0] == pytest.approx(39.734, abs=1e-3)


# --- GCJ-02 and BD-09 ---------------------------------------------------------------------------


def test_gcj02_input_becomes_wgs84(tmp_path):
    glon, glat = crs.wgs84_to_gcj02(116.404, 39.915)
    out = run(tmp_path, [["名称", "经度", "纬度"], ["甲", repr(float(glon)), repr(float(glat))]],
              crs_="GCJ02")
    assert out.crs == "GCJ02"
    assert abs(float(glon) - 116.404) > 1e-3  # the input really is shifted
    assert out.rows["lon"][0] == pytest.approx(116.404, abs=1e-6)
    assert out.rows["lat"][0] == pytest.approx(39.915, abs=1e-6)


def test_bd09_input_becomes_wgs84(tmp_path):
    blon, blat = crs.wgs84_to_bd09(117.2, 39.13)
    out = run(tmp_path, [["名称", "经度", "纬度"], ["甲", repr(float(blon)), repr(float(blat))]],
              crs_="百度坐标")
    assert out.crs == "BD09"
    assert out.rows["lon"][0] == pytest.approx(117.2, abs=1e-6)
    assert out.rows["lat"][0] == pytest.approx(39.13, abs=1e-6)


def test_unknown_crs_raises(tmp_path):
    found = raises(tmp_path, [["名称", "经度", "纬度"], ["甲", "116.4", "39.9"]], crs_="NOT-A-CRS")
    assert found == [("crs_unknown", {"found": "NOT-A-CRS"})]


def test_missing_crs_raises(tmp_path):
    found = raises(tmp_path, [["名称", "经度", "纬度"], ["甲", "116.4", "39.9"]], crs_=None)
    assert found == [("crs_missing", {})]


def test_missing_name_column_raises(tmp_path):
    [(code, params)] = raises(tmp_path, [["编号", "经度", "纬度"], ["P1", "116.4", "39.9"]])
    assert code == "missing_column"
    assert params["field"] == "name"
    assert params["found"] == ["编号", "经度", "纬度"]


# --- address and adcode -------------------------------------------------------------------------


def test_district_address_gives_district_centroid(tmp_path):
    out = run(tmp_path, [["名称", "地址"], ["甲", "河北省唐山市开平区"]])
    row = out.rows.iloc[0]
    assert (row["precision"], row["adcode"]) == ("district", "130205")
    assert (row["lon"], row["lat"]) == pytest.approx(KAIPING, abs=1e-6)
    assert row["address"] == "河北省唐山市开平区"


def test_city_address_gives_city_centroid(tmp_path):
    row = run(tmp_path, [["名称", "地址"], ["甲", "河北省唐山市"]]).rows.iloc[0]
    assert (row["precision"], row["adcode"]) == ("city", "130200")
    assert (row["lon"], row["lat"]) == pytest.approx(TANGSHAN, abs=1e-6)


def test_adcode_column_places_the_row(tmp_path):
    out = run(tmp_path, [["名称", "区县代码"], ["甲", "130205"], ["乙", "999999"]])
    assert out.rows["precision"][0] == "district"
    assert out.rows["lon"][0] == pytest.approx(KAIPING[0], abs=1e-9)
    assert codes(out) == [(3, "adcode_unknown")]


def test_coordinates_win_over_address(tmp_path):
    row = run(tmp_path, [["名称", "经度", "纬度", "地址"],
                         ["甲", "116.4", "39.9", "河北省唐山市开平区"]]).rows.iloc[0]
    assert (row["lon"], row["lat"], row["precision"]) == (116.4, 39.9, "exact")


def test_no_location(tmp_path):
    out = run(tmp_path, [["名称", "经度", "纬度", "地址"], ["甲", "116.4", "39.9", ""],
                         ["乙", "", "", ""]])
    assert codes(out) == [(3, "no_location")]


def test_unmatched_address(tmp_path):
    r = reject(run(tmp_path, [["名称", "地址"], ["甲", "火星某地"]]))
    assert (r["row_number"], r["reason_code"]) == (2, "address_unmatched")
    assert "「火星某地」" in r["reason"]


# --- ids, chains, tiers -------------------------------------------------------------------------


def test_duplicate_id_rejects_the_second(tmp_path):
    out = run(tmp_path, [["编号", "名称", "经度", "纬度"], ["P1", "甲", "116.4", "39.9"],
                         ["P2", "乙", "116.4", "39.9"], ["P1", "丙", "116.4", "39.9"]])
    assert codes(out) == [(4, "duplicate_id")]
    assert "first seen on row 2" in out.rejects[0]["reason_en"]
    assert out.rows["name"].tolist() == ["甲", "乙"]


def test_unknown_chain(tmp_path):
    out = run(tmp_path, [["名称", "经度", "纬度", "产业链"],
                         ["甲", "116.4", "39.9", "消防、魔法装备"]])
    r = reject(out)
    assert r["reason_code"] == "unknown_chain"
    assert "「魔法装备」" in r["reason"]


def test_empty_name(tmp_path):
    out = run(tmp_path, [["名称", "经度", "纬度"], ["", "116.4", "39.9"], ["乙", "116.4", "39.9"]])
    assert codes(out) == [(2, "empty_name")]


def test_reserve_tiers_and_kinds(tmp_path):
    out = run(tmp_path, [["名称", "经度", "纬度", "级别", "物资类别"],
                         ["甲", "116.4", "39.9", "县级", "帐篷、棉被"],
                         ["乙", "116.4", "39.9", "企业产能", ""]], entity="reserves")
    assert out.rows["tier"].tolist() == ["county", "enterprise"]
    assert out.rows["kind"].tolist() == ["physical", "capacity"]
    assert out.rows["categories"].tolist() == [["帐篷", "棉被"], []]


def test_reserve_unknown_or_empty_tier(tmp_path):
    out = run(tmp_path, [["名称", "经度", "纬度", "级别"], ["甲", "116.4", "39.9", "超级"],
                         ["乙", "116.4", "39.9", ""]], entity="reserves")
    assert codes(out) == [(2, "unknown_value"), (3, "unknown_value")]
    assert "「超级」" in out.rejects[0]["reason"]


def test_defaults_fill_a_missing_tier_column(tmp_path):
    out = run(tmp_path, [["名称", "经度", "纬度"], ["甲", "116.4", "39.9"]], entity="reserves",
              defaults={"tier": "county"})
    assert out.rows["tier"].tolist() == ["county"]


def test_enterprise_flags_and_output(tmp_path):
    out = run(tmp_path, [["企业名称", "经度", "纬度", "是否上市", "产值（亿元）"],
                         ["甲", "116.4", "39.9", "是", "12.5"],
                         ["乙", "116.4", "39.9", "", ""],
                         ["丙", "116.4", "39.9", "也许", "1"],
                         ["丁", "116.4", "39.9", "否", "-3"]], entity="enterprises")
    assert out.rows["listed"].tolist() == [True, False]
    assert out.rows["output_yi"][0] == 12.5 and math.isnan(out.rows["output_yi"][1])
    assert codes(out) == [(4, "bad_bool"), (5, "bad_number")]


# --- rejects ------------------------------------------------------------------------------------


def test_reject_records_carry_source_row_reasons_and_raw(tmp_path):
    out = run(tmp_path, [["编号", "名称", "经度", "纬度", "地址"],
                         ["P1", "甲", "abc", "39.9", ""]])
    r = reject(out)
    assert set(r) == {"source", "row_number", "reason_code", "reason", "reason_en", "raw"}
    assert (r["source"], r["row_number"]) == ("src1", 2)
    assert r["reason"].startswith("第 2 行：") and r["reason_en"].startswith("row 2: ")
    assert json.loads(r["raw"]) == {"编号": "P1", "名称": "甲", "经度": "abc", "纬度": "39.9"}


def test_mixed_table_every_row_is_loaded_or_rejected(tmp_path):
    out = run(tmp_path, [
        ["编号", "名称", "经度", "纬度", "地址", "产业链"],
        ["P1", "甲", "118.2", "39.6", "", "消防"],
        ["P2", "乙", "39.6", "118.2", "", ""],
        ["P3", "丙", "10", "10", "", ""],
        ["P4", "丁", "abc", "39", "", ""],
        ["P5", "戊", "", "", "河北省唐山市开平区", ""],
        ["P6", "己", "", "", "", ""],
        ["P1", "庚", "118", "39", "", ""],
        ["P7", "辛", "118", "39", "", "魔法装备"],
    ])
    assert out.rows_in == 8
    assert out.rows["id"].tolist() == ["P1", "P5"]
    assert codes(out) == [(3, "swapped_lonlat"), (4, "outside_bbox"), (5, "bad_number"),
                          (7, "no_location"), (8, "duplicate_id"), (9, "unknown_chain")]
    assert np.isfinite(out.rows[["lon", "lat"]].to_numpy()).all()
