"""Tests of etl.exposure: population rasters -> people per H3 cell, on tiny rasters made here.

The oracle places every pixel on its own: the centre from ``rasterio.transform.xy``, pyproj to
WGS-84, ``h3.latlng_to_cell`` (string API) and ``h3.cell_to_parent``, summed in a dict.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import h3
import numpy as np
import pyarrow as pa
import pytest
import rasterio
import rasterio.transform
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from etl.errors import DataError
from etl.exposure import (
    check_exposure_values,
    exposure_cells_arrow,
    open_exposure,
    raster_to_exposure,
    roll_up,
)
from etl.rasters import open_raster
from etl.region import ExposureSource

GEO = ("EPSG:4326", Affine(0.01, 0.0, 118.0, 0.0, -0.01, 39.7))  # ~1 km pixels near Tangshan
SOUTH_UP = ("EPSG:4326", Affine(0.013, 0.0, 118.0, 0.0, 0.011, 39.5))
GK = ("EPSG:4548", Affine(700.0, 0.0, 590_000.0, 0.0, -700.0, 4_400_000.0))  # CGCS2000 GK 117E
RES = (5, 6, 7, 8)


def write(path: Path, data: np.ndarray, crs_transform=GEO, nodata=None, with_crs: bool = True) -> Path:
    crs, transform = crs_transform
    profile = dict(driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
                   dtype=data.dtype, transform=transform)
    if with_crs:
        profile["crs"] = crs
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
    return path


def oracle(path: Path, resolutions=RES) -> dict[int, dict[int, float]]:
    """People per cell and resolution, one pixel at a time."""
    with rasterio.open(path) as ds:
        data = ds.read(1).astype(np.float64)
        nodata, transform = ds.nodata, ds.transform
        to_wgs = Transformer.from_crs(ds.crs, "EPSG:4326", always_xy=True)
    out: dict[int, dict[int, float]] = {r: defaultdict(float) for r in resolutions}
    for (row, col), value in np.ndenumerate(data):
        if nodata is not None and (value == nodata or (math.isnan(nodata) and math.isnan(value))):
            continue
        x, y = rasterio.transform.xy(transform, row, col, offset="center")
        lon, lat = to_wgs.transform(x, y)
        cell = h3.latlng_to_cell(lat, lon, max(resolutions))
        for r in resolutions:
            out[r][h3.str_to_int(h3.cell_to_parent(cell, r))] += value
    return out


def as_dict(df) -> dict[int, float]:
    return dict(zip(df["cell"].tolist(), df["population"].tolist()))


def counts(shape=(14, 17), seed=1, dtype="uint16") -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 900, shape).astype(dtype)


# --- assignment and conservation -------------------------------------------------------------------


@pytest.mark.parametrize("grid", [GEO, SOUTH_UP, GK], ids=["geographic", "south-up", "gauss-kruger"])
def test_every_pixel_goes_to_the_cell_of_its_centre_at_every_resolution(tmp_path, grid):
    data = counts()
    data[0, :4] = 65535  # nodata
    path = write(tmp_path / "pop.tif", data, grid, nodata=65535)
    with open_raster(path) as rd:
        exp = raster_to_exposure(rd, RES)
    want = oracle(path)
    for r in RES:
        assert as_dict(exp.cells[r]) == dict(want[r]), r
        assert (np.diff(exp.cells[r]["cell"].to_numpy(np.uint64).astype(np.float64)) > 0).all()
    assert exp.pixels == data.size - 4
    assert exp.raster_total == exp.inside == float(data[data != 65535].sum())


def test_integer_totals_are_exactly_equal_at_every_resolution(tmp_path):
    data = np.random.default_rng(3).integers(0, 2**31, (9, 11)).astype("uint32")  # sums above 2**32
    path = write(tmp_path / "pop.tif", data, GK)
    with open_raster(path) as rd:
        exp = raster_to_exposure(rd, (4, 5, 6, 7, 8, 9))
    totals = {r: exp.cells[r]["population"].sum() for r in exp.cells}
    assert set(totals.values()) == {float(data.astype(np.int64).sum())}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 9), cols=st.integers(1, 9),
       res=st.sets(st.integers(3, 9), min_size=1, max_size=4), window=st.integers(1, 5))
def test_totals_conserved_for_any_raster_resolutions_and_window(tmp_path, seed, rows, cols, res, window):
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 10_000, (rows, cols)).astype("int32")
    data[rng.random((rows, cols)) < 0.2] = -1
    path = write(tmp_path / f"pop-{seed}-{rows}-{cols}.tif", data, GEO, nodata=-1)
    with open_raster(path) as rd:
        exp = raster_to_exposure(rd, sorted(res), window_rows=window)
    want = float(data[data >= 0].sum())
    assert {float(df["population"].sum()) for df in exp.cells.values()} == {want}
    assert exp.pixels == int((data >= 0).sum())


def test_fractional_counts_are_conserved_to_rounding(tmp_path):
    data = np.random.default_rng(5).gamma(0.7, 40.0, (13, 15)).astype("float32")
    path = write(tmp_path / "pop.tif", data, SOUTH_UP)
    with open_raster(path) as rd:
        exp = raster_to_exposure(rd, RES)
    total = math.fsum(data.astype(np.float64).ravel())
    for r in RES:
        assert exp.cells[r]["population"].sum() == pytest.approx(total, rel=1e-12)
        assert as_dict(exp.cells[r]) == pytest.approx(dict(oracle(path)[r]), rel=1e-12)


def test_window_size_does_not_change_the_result(tmp_path):
    path = write(tmp_path / "pop.tif", counts(), GK)
    with open_raster(path) as rd:
        a = raster_to_exposure(rd, RES, window_rows=2)
    with open_raster(path) as rd:
        b = raster_to_exposure(rd, RES, window_rows=256, cache_dir=str(tmp_path / "cache"))
    with open_raster(path) as rd:  # from the zone-map cache written by the previous call
        c = raster_to_exposure(rd, RES, window_rows=5, cache_dir=str(tmp_path / "cache"))
    for r in RES:
        assert as_dict(a.cells[r]) == as_dict(b.cells[r]) == as_dict(c.cells[r])


def test_cells_of_zero_pixels_are_kept_and_cells_without_pixels_are_absent(tmp_path):
    data = np.zeros((6, 6), "uint16")
    data[2, 3] = 7
    path = write(tmp_path / "pop.tif", data, GEO)
    with open_raster(path) as rd:
        exp = raster_to_exposure(rd, (8, 9))
    fine = exp.cells[9]
    assert len(fine) == 36  # 9 cells are smaller than the pixels: one cell per pixel centre
    assert sorted(fine["population"].tolist()) == [0.0] * 35 + [7.0]


def test_only_region_cells_are_kept_and_the_rest_is_reported_outside(tmp_path):
    data = counts(seed=9)
    path = write(tmp_path / "pop.tif", data, GEO)
    want = oracle(path, (6, 8))
    region = sorted(want[8])[::2]  # every other finest cell
    with open_raster(path) as rd:
        exp = raster_to_exposure(rd, (6, 8), region_cells=np.asarray(region, np.uint64))
    assert as_dict(exp.cells[8]) == {c: want[8][c] for c in region}
    assert exp.outside == sum(v for c, v in want[8].items() if c not in set(region))
    assert exp.inside + exp.outside == exp.raster_total == float(data.sum())
    parents = defaultdict(float)
    for c in region:
        parents[h3.str_to_int(h3.cell_to_parent(h3.int_to_str(c), 6))] += want[8][c]
    assert as_dict(exp.cells[6]) == dict(parents)


def test_roll_up_sums_children():
    kids = [h3.str_to_int(c) for c in h3.cell_to_children(h3.latlng_to_cell(39.6, 118.1, 6), 7)]
    import pandas as pd  # noqa: PLC0415

    df = roll_up(pd.DataFrame({"cell": np.asarray(kids, np.uint64), "population": np.arange(7.0)}), 6)
    assert df["population"].tolist() == [21.0]
    assert df["cell"].tolist() == [h3.str_to_int(h3.latlng_to_cell(39.6, 118.1, 6))]


def test_store_rows_have_the_schema_types(tmp_path):
    path = write(tmp_path / "pop.tif", counts(), GEO)
    with open_raster(path) as rd:
        table = exposure_cells_arrow(raster_to_exposure(rd, RES))
    assert table.schema.types == [pa.int8(), pa.uint64(), pa.float64()]
    assert table.column_names == ["res", "cell", "population"]
    assert sorted(set(table["res"].to_pylist())) == list(RES)


# --- bad values ----------------------------------------------------------------------------------


def test_a_negative_pixel_is_a_clear_error_naming_file_band_found_and_fix(tmp_path):
    data = counts().astype("int32")
    data[2, 3] = -5
    data[7, 1] = -1
    path = write(tmp_path / "pop.tif", data, GEO, nodata=-9999)
    with open_raster(path) as rd, pytest.raises(DataError) as excinfo:
        raster_to_exposure(rd, RES)
    [p] = excinfo.value.problems
    assert p.code == "exposure_bad_values" and p.file == str(path)
    assert p.params == {"band": 1, "negative": 2, "nan": 0, "nodata": "-9999", "first": "2, 3 (-5)"}
    en = p.text("en")
    assert en.startswith(f"{path}, band 1: the population raster has 2 negative pixel(s)")
    assert "expected people per pixel (counts >= 0)" in en and "under [exposure]" in en
    zh = p.text("zh")
    assert zh.startswith(f"{path}, 波段 1：") and "2 个负值像元" in zh and "[exposure]" in zh
    with open_raster(path) as rd:
        assert [q.params for q in check_exposure_values(rd, window_rows=3)] == [p.params]


def test_nan_is_an_error_unless_it_is_the_nodata_value(tmp_path):
    data = counts().astype("float32")
    data[4, 4] = np.nan
    data[5, 6] = np.inf
    bad = write(tmp_path / "bad.tif", data, GEO, nodata=-1.0)
    with open_raster(bad) as rd:
        [p] = check_exposure_values(rd)
    assert (p.params["nan"], p.params["negative"], p.params["first"]) == (2, 0, "4, 4 (nan)")
    data[5, 6] = 3.0
    ok = write(tmp_path / "ok.tif", data, GEO, nodata=float("nan"))
    with open_raster(ok) as rd:
        assert check_exposure_values(rd) == []
        exp = raster_to_exposure(rd, RES)
    assert exp.pixels == data.size - 1
    assert exp.inside == pytest.approx(float(np.nansum(data.astype(np.float64))), rel=1e-12)


def test_nodata_pixels_are_not_bad_values(tmp_path):
    data = counts().astype("int16")
    data[:3] = -32768
    path = write(tmp_path / "pop.tif", data, GEO, nodata=-32768)
    with open_raster(path) as rd:
        assert check_exposure_values(rd) == []
        assert raster_to_exposure(rd, RES).pixels == data.size - 3 * data.shape[1]


def test_a_raster_without_crs_names_the_exposure_section(tmp_path):
    path = write(tmp_path / "pop.tif", counts(), GEO, with_crs=False)
    with pytest.raises(DataError) as excinfo:
        open_exposure(ExposureSource(path=path))
    [p] = excinfo.value.problems
    assert p.code == "exposure_no_crs"
    assert "[exposure]" in p.text("en") and "[exposure]" in p.text("zh")
    with open_exposure(ExposureSource(path=path, crs="EPSG:4326")) as rd:
        assert rd.grid.lonlat_native


# --- the store's checks ------------------------------------------------------------------------------


@pytest.mark.parametrize(("population", "reason"), [
    ([5.0, 6.0], "population totals differ across resolutions"),
    ([-1.0, -1.0], "negative or NaN population"),
])
def test_store_refuses_exposure_whose_totals_differ_or_are_negative(tmp_path, population, reason):
    import pandas as pd  # noqa: PLC0415

    from etl.errors import StoreError  # noqa: PLC0415
    from etl.store import write_store  # noqa: PLC0415
    from tests.unit.test_store import CELLS, tables  # noqa: PLC0415

    good = {**tables(), "exposure_cells": pd.DataFrame({"res": [7, 8], "cell": CELLS, "population": [5.0, 5.0]})}
    write_store(tmp_path / "ok.duckdb", good, {"region": "t"})
    bad = {**good, "exposure_cells": good["exposure_cells"].assign(population=population)}
    with pytest.raises(StoreError, match=reason):
        write_store(tmp_path / "bad.duckdb", bad, {"region": "t"})
    assert not (tmp_path / "bad.duckdb").exists()
