"""Defects found by running real third-party files through the tools (issue 17), one test each.

Each test failed before its fix. Build-level defects (empty entities, duplicate ids across
files) are in ``tests/integration/test_corpus_build.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner
from rasterio.transform import Affine

from etl import crs, geocode
from etl.adcode_history import HISTORIC_UNITS
from etl.cli import main
from etl.normalize import normalize
from etl.readers import read_table
from etl.region import TableSource
from etl.zonemap import ZoneMap

BBOX = (113.3, 35.9, 120.1, 42.8)


def _cli(*args: str, lang: str = "en"):
    return CliRunner().invoke(main, ["--lang", lang, *args], catch_exceptions=False)


def _haversine_m(lon1, lat1, lon2, lat2) -> float:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return float(2 * 6_371_008.8 * np.arcsin(np.sqrt(a)))


# --- 3. h3stats --value with a column the file does not have -----------------------------------


def test_h3stats_unknown_value_column_names_the_columns(tmp_path):
    (tmp_path / "pts.csv").write_text("lon,lat,frp\n116.4,39.9,3\n", encoding="utf-8")
    res = _cli("h3stats", str(tmp_path / "pts.csv"), "--res", "7", "--value", "no_such_column",
               "--out", str(tmp_path / "o.csv"))
    assert res.exit_code == 1
    assert "no_such_column" in res.output and "frp" in res.output and "Traceback" not in res.output


# --- 4. no-CRS raster on the command line: the fix is --crs ------------------------------------


def test_h3stats_raster_without_crs_says_use_crs_option(tmp_path):
    path = tmp_path / "nocrs.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32",
                       transform=Affine(0.01, 0, 116.0, 0, -0.01, 40.0)) as dst:
        dst.write(np.ones((1, 4, 4), "float32"))
    for lang in ("en", "zh"):
        res = _cli("h3stats", str(path), "--res", "7", "--out", str(tmp_path / "o.csv"), lang=lang)
        assert res.exit_code == 1 and "--crs" in res.output
        assert "[hazards" not in res.output and "region" not in res.output and "区域配置" not in res.output
    assert _cli("h3stats", str(path), "--res", "7", "--crs", "EPSG:4326", "--out", str(tmp_path / "o.csv")).exit_code == 0


# --- -q must not hide the skipped-rows warning --------------------------------------------------


def test_h3stats_quiet_still_warns_about_skipped_rows(tmp_path):
    (tmp_path / "pts.csv").write_text("lon,lat\n116.4,39.9\nx,39.9\n", encoding="utf-8")
    res = _cli("h3stats", str(tmp_path / "pts.csv"), "--res", "7", "--out", str(tmp_path / "o.csv"), "-q")
    assert res.exit_code == 0 and "1 row(s)" in res.output


# --- blank and delimiter-only rows are counted in rows_in ---------------------------------------


def test_blank_and_delimiter_only_rows_count_in_rows_in(tmp_path):
    path = tmp_path / "parks.csv"
    path.write_text("名称,经度,纬度\n甲,116.4,39.9\n\n,,\n乙,116.5,39.9\n\n\n", encoding="utf-8")
    src = TableSource(entity="parks", name="p", path=path, crs="WGS84")
    raw = read_table(src)
    out = normalize(raw, src, BBOX)
    assert len(out.rows) == 2 and not out.rejects
    assert raw.blank_rows == 2 and out.rows_in == 4  # the trailing empty lines are not rows


# --- stale .zonemap-* folders of killed runs are removed ----------------------------------------


def test_unfinished_zone_maps_of_dead_processes_are_removed(tmp_path):
    from etl.rasters import open_raster  # noqa: PLC0415

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = tmp_path / f".zonemap-{dead}-abc"
    stale.mkdir()
    (stale / "zones.npy").write_bytes(b"x" * 1000)
    live = tmp_path / ".zonemap-1-keep"  # pid 1 is alive (init)
    live.mkdir()
    path = tmp_path / "r.tif"
    with rasterio.open(path, "w", driver="GTiff", width=8, height=8, count=1, dtype="float32",
                       crs="EPSG:4326", transform=Affine(0.01, 0, 116.0, 0, -0.01, 40.0)) as dst:
        dst.write(np.ones((1, 8, 8), "float32"))
    with open_raster(path) as rd:
        zm = ZoneMap(rd.grid, 7, tmp_path)
        zm.rows(0, 8)
        zm.close()
    assert not stale.exists() and live.exists()
    assert not [p for p in tmp_path.glob(".zonemap-*") if p != live]


# --- 5. centroids in WGS-84; declared (historic) adcodes win over parsing -----------------------


def test_adcode_centroids_are_wgs84():
    lon, lat, prec = geocode.locate_adcode("110000")
    gcj = (116.407394, 39.904211)  # cpca's (AMap) Beijing centroid, GCJ-02
    assert prec == "city"
    assert _haversine_m(lon, lat, *gcj) > 400  # moved off the GCJ-02 point ...
    back = crs.wgs84_to_gcj02(lon, lat)  # ... to the WGS-84 point that GCJ-02 maps back onto it
    assert _haversine_m(float(back[0]), float(back[1]), *gcj) < 0.5


def test_historic_codes_resolve_to_todays_units():
    table = geocode.centroid_table()
    for old, (_, new, name, _) in HISTORIC_UNITS.items():
        assert old in table or new in table, f"{old}/{new} {name}: neither code in the geocoder's table"
        assert geocode.locate_adcode(old) == geocode.locate_adcode(new)


def test_registry_row_with_old_county_code_and_name(tmp_path):
    """The real Beijing registry: 区县代码 110228 and address "北京市密云县…", no coordinates."""
    path = tmp_path / "reg.csv"
    path.write_text("单位名称,地址,区县代码\n甲,北京市密云县鼓楼东大街1号,110228\n乙,北京市密云县果园街道,\n",
                    encoding="utf-8")
    src = TableSource(entity="enterprises", name="reg", path=path, crs="WGS84")
    out = normalize(read_table(src), src, BBOX)
    assert not out.rejects
    miyun = geocode.locate_adcode("110118")
    for _, row in out.rows.iterrows():
        assert (row["adcode"], row["precision"]) == ("110118", "district")
        assert (row["lon"], row["lat"]) == pytest.approx(miyun[:2], abs=1e-9)
        assert _haversine_m(row["lon"], row["lat"], 116.407394, 39.904211) > 50_000  # not the city centre


