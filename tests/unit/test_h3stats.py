"""Raster -> H3 statistics equal the per-pixel brute force, on every grid kind we accept."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import rasterio
import rasterio.shutil
from rasterio.transform import Affine

from etl.h3stats import cell_to_parent_array, raster_to_h3, share_columns, write_h3stats
from etl.rasters import open_raster
from etl.zonemap import CellIndex, ZoneMap
from tests.oracle import assert_same, brute_force_h3

BREAKS = (1.0, 2.0, 3.5)


def _write(path, data, crs="EPSG:4326", transform=Affine(0.002, 0, 116.0, 0, -0.002, 40.0),
           nodata=-9999.0, scales=None, offsets=None, count=1):
    h, w = data.shape[-2:]
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=count, dtype=data.dtype,
                       crs=crs, transform=transform, nodata=nodata) as dst:
        if data.ndim == 2:
            dst.write(data, 1)
        else:
            dst.write(data)
        if scales is not None:
            dst.scales, dst.offsets = scales, offsets
    return path


def _field(h, w, seed=0, dtype="float32", nodata=-9999.0, share_nodata=0.1):
    rng = np.random.default_rng(seed)
    data = rng.gamma(2.0, 1.0, (h, w)).astype(dtype)
    data[rng.random((h, w)) < share_nodata] = nodata
    return data


GRIDS = {
    "north-up": dict(transform=Affine(0.002, 0, 116.0, 0, -0.002, 40.0), crs="EPSG:4326", res=(7, 8)),
    "south-up": dict(transform=Affine(0.002, 0, 116.0, 0, 0.002, 39.4), crs="EPSG:4326", res=(7, 8)),
    "gauss-kruger": dict(transform=Affine(150, 0, 450000, 0, -150, 4430000), crs="EPSG:4548", res=(6, 7, 8)),
    "cgcs2000": dict(transform=Affine(0.002, 0, 116.0, 0, -0.002, 40.0), crs="EPSG:4490", res=(8,)),
    "pixels-larger-than-cells": dict(transform=Affine(0.002, 0, 116.0, 0, -0.002, 40.0), crs="EPSG:4326", res=(8, 9, 10)),
}


@pytest.mark.parametrize("name", list(GRIDS))
def test_equals_brute_force(tmp_path, name):
    g = GRIDS[name]
    h, w = (120, 160) if name == "pixels-larger-than-cells" else (240, 320)
    path = _write(tmp_path / "r.tif", _field(h, w), crs=g["crs"], transform=g["transform"])
    with open_raster(path) as rd:
        fast = raster_to_h3(rd, g["res"], BREAKS, window_rows=37)  # odd windows exercise the carry
        ref = brute_force_h3(rd, g["res"], BREAKS)
    assert_same(fast, ref)


def test_geometric_path_is_used_and_exact_with_few_h3_calls(tmp_path):
    path = _write(tmp_path / "r.tif", _field(300, 400), transform=Affine(0.0005, 0, 116.0, 0, -0.0005, 40.0))
    with open_raster(path) as rd:
        zm = ZoneMap(rd.grid, 8)
        zones = np.concatenate([zm.rows(r0, min(300, r0 + 64)) for r0 in range(0, 300, 64)])
        assert zm.stats["mode"] == "geometric"
        assert zm.stats["brute_force_pixels"] < 0.02 * zones.size
        rr, cc = np.indices(zones.shape)
        lon, lat = rd.grid.centres_lonlat(rr.ravel(), cc.ravel())
        want = [h3.str_to_int(h3.latlng_to_cell(a, b, 8)) for a, b in zip(lat, lon)]
        np.testing.assert_array_equal(zm.cells[zones.ravel()], np.asarray(want, dtype=np.uint64))


def test_scaled_int16_with_negative_scale_and_offset(tmp_path):
    rng = np.random.default_rng(3)
    raw = rng.integers(-300, 300, (150, 200)).astype("int16")
    raw[::7, ::5] = -32768
    path = _write(tmp_path / "r.tif", raw, nodata=-32768, scales=(-0.01,), offsets=(2.0,))
    with open_raster(path) as rd:
        assert rd.scale == -0.01 and rd.offset == 2.0
        fast = raster_to_h3(rd, (7, 8), BREAKS)
        ref = brute_force_h3(rd, (7, 8), BREAKS)
    assert_same(fast, ref)
    assert fast[8]["min"].min() >= 2.0 - 3.0 - 1e-9


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "int32", "float64"])
def test_other_dtypes(tmp_path, dtype):
    rng = np.random.default_rng(4)
    data = (rng.random((100, 120)) * 200).astype(dtype)
    path = _write(tmp_path / "r.tif", data, nodata=0)
    with open_raster(path) as rd:
        assert_same(raster_to_h3(rd, (7, 8), (50.0, 100.0)), brute_force_h3(rd, (7, 8), (50.0, 100.0)))


def test_band_and_declared_nodata(tmp_path):
    data = np.stack([_field(100, 120, seed=1), _field(100, 120, seed=2)])
    data[1, :10, :] = 5.0
    path = _write(tmp_path / "r.tif", data, count=2)
    with open_raster(path, band=2, nodata=5.0) as rd:
        fast = raster_to_h3(rd, (8,), BREAKS)
        assert_same(fast, brute_force_h3(rd, (8,), BREAKS))
    assert not np.isclose(fast[8]["max"], 5.0).any() or (fast[8]["max"] > 5.0).any()


def test_netcdf(tmp_path):
    tif = _write(tmp_path / "r.tif", _field(80, 100), crs="EPSG:4326")
    path = tmp_path / "r.nc"
    rasterio.shutil.copy(tif, path, driver="netCDF")  # GDAL's netCDF driver writes by copy
    with open_raster(path) as rd:
        assert rd._ds.driver == "netCDF"
        assert_same(raster_to_h3(rd, (8,), BREAKS), brute_force_h3(rd, (8,), BREAKS))


def test_coarse_resolutions_aggregate_children_exactly(tmp_path):
    path = _write(tmp_path / "r.tif", _field(200, 260))
    with open_raster(path) as rd:
        out = raster_to_h3(rd, (6, 7, 8), BREAKS)
    fine = out[8][~out[8]["sampled"]].copy()
    fine["parent"] = cell_to_parent_array(fine["cell"].to_numpy(np.uint64), 7)
    fine["sum"] = fine["mean"] * fine["count"]
    agg = fine.groupby("parent").agg(count=("count", "sum"), sum=("sum", "sum"), mx=("max", "max"))
    coarse = out[7].set_index("cell").loc[agg.index]
    np.testing.assert_array_equal(coarse["count"].to_numpy(), agg["count"].to_numpy())
    np.testing.assert_allclose(coarse["mean"].to_numpy(), (agg["sum"] / agg["count"]).to_numpy(), rtol=1e-12)
    np.testing.assert_array_equal(coarse["max"].to_numpy(), agg["mx"].to_numpy())
    assert len({int(df["count"].sum()) for df in out.values()}) == 1


def test_sampled_cells_take_the_pixel_under_their_centre(tmp_path):
    data = np.arange(40 * 50, dtype="float32").reshape(40, 50)
    path = _write(tmp_path / "r.tif", data, transform=Affine(0.01, 0, 116.0, 0, -0.01, 40.0))
    with open_raster(path) as rd:
        out = raster_to_h3(rd, (9,), ())
        sampled = out[9][out[9]["sampled"]]
        assert len(sampled) > 0 and (sampled["count"] == 0).all()
        for cell, value in zip(sampled["cell"].head(50), sampled["mean"].head(50)):
            lat, lng = h3.cell_to_latlng(h3.int_to_str(int(cell)))
            col = int((lng - 116.0) / 0.01)
            row = int((40.0 - lat) / 0.01)
            assert value == data[row, col]
    assert not (out[9].loc[~out[9]["sampled"], "count"] == 0).any()


def test_sample_cells_limit_where_sampled_cells_are_looked_for(tmp_path):
    data = np.arange(40 * 50, dtype="float32").reshape(40, 50)
    path = _write(tmp_path / "r.tif", data, transform=Affine(0.01, 0, 116.0, 0, -0.01, 40.0))
    area = h3.LatLngPoly([(39.7, 116.1), (39.7, 116.3), (39.8, 116.3), (39.8, 116.1)])
    region = np.array([h3.str_to_int(c) for c in h3.h3shape_to_cells(area, 9)], dtype=np.uint64)
    with open_raster(path) as rd:
        everywhere = raster_to_h3(rd, (9,), ())[9]
        inside = raster_to_h3(rd, (9,), (), sample_cells={9: region}, cache_dir=tmp_path / "c")[9]
    pd.testing.assert_frame_equal(everywhere[~everywhere["sampled"]].reset_index(drop=True),
                                  inside[~inside["sampled"]].reset_index(drop=True))
    sampled = inside.loc[inside["sampled"], "cell"].to_numpy(np.uint64)
    assert sampled.size and np.isin(sampled, region).all()
    assert inside["sampled"].sum() < everywhere["sampled"].sum()


def test_class_counts_breaks_at_or_below_max(tmp_path):
    path = _write(tmp_path / "r.tif", _field(60, 80))
    with open_raster(path) as rd:
        df = raster_to_h3(rd, (8,), BREAKS)[8]
    want = [sum(b <= m for b in BREAKS) for m in df["max"]]
    assert df["class"].tolist() == want
    assert share_columns(BREAKS) == ["share_ge_1", "share_ge_2", "share_ge_3.5"]


def test_zone_map_cache_is_reused_and_identical(tmp_path):
    path = _write(tmp_path / "r.tif", _field(150, 200), transform=Affine(0.0008, 0, 116.0, 0, -0.0008, 40.0))
    cache = tmp_path / "cache"
    with open_raster(path) as rd:
        first = raster_to_h3(rd, (7, 8), BREAKS, cache_dir=cache)
        second = raster_to_h3(rd, (7, 8), BREAKS, cache_dir=cache)
        zm = ZoneMap(rd.grid, 8, cache)
    assert zm.stats["from_cache"]
    for r in (7, 8):
        pd.testing.assert_frame_equal(first[r], second[r])


def test_parent_array_matches_h3():
    rng = np.random.default_rng(5)
    cells = [h3.latlng_to_cell(la, lo, 10) for la, lo in zip(rng.uniform(-60, 60, 200), rng.uniform(-180, 180, 200))]
    ints = np.array([h3.str_to_int(c) for c in cells], dtype=np.uint64)
    for res in range(0, 10):
        want = [h3.str_to_int(h3.cell_to_parent(c, res)) for c in cells]
        np.testing.assert_array_equal(cell_to_parent_array(ints, res), np.array(want, dtype=np.uint64))


def test_cell_index_lookup_and_growth():
    idx = CellIndex()
    a = idx.indices(np.array([30, 10, 30, 20], dtype=np.uint64), lambda new: np.zeros(new.size))
    b = idx.indices(np.array([20, 40], dtype=np.uint64), lambda new: np.full(new.size, 7))
    assert idx.cells[a].tolist() == [30, 10, 30, 20]
    assert idx.cells[b].tolist() == [20, 40]
    assert idx.last[idx.lookup(np.array([40], dtype=np.uint64))].tolist() == [7]
    assert idx.lookup(np.array([99], dtype=np.uint64)).tolist() == [-1]


@pytest.mark.realdata
@pytest.mark.parametrize("name,res", [("jakarta_flood_design.tif", 9), ("jakarta_flood_design.tif", 10),
                                      ("tsunami_wgs84.tif", 8), ("tsunami_wgs84.tif", 9)])
def test_real_rasters_equal_brute_force(realdata, name, res):
    with open_raster(realdata / name) as rd:
        fast = raster_to_h3(rd, (res - 1, res), (0.15, 0.5, 1.5), window_rows=50)
        ref = brute_force_h3(rd, (res - 1, res), (0.15, 0.5, 1.5))
    assert_same(fast, ref)
    assert fast[res]["count"].sum() == ref[res]["count"].sum() > 0


@pytest.mark.realdata
def test_write_h3stats_for_every_real_file(realdata, tmp_path):
    for f in sorted(realdata.iterdir()):
        if f.suffix == ".tif":
            n, skipped = write_h3stats(f, 9, tmp_path / f"{f.stem}.csv", breaks=(0.5, 1.5))
            df = pd.read_csv(tmp_path / f"{f.stem}.csv")
            assert list(df.columns) == ["cell", "count", "min", "max", "mean", "p90", "share_ge_0.5", "share_ge_1.5", "sampled"]
        elif f.name.startswith("firms"):
            n, skipped = write_h3stats(f, 6, tmp_path / "fire.parquet", value="frp", breaks=(50,))
            df = pd.read_parquet(tmp_path / "fire.parquet")
            assert df["count"].sum() == 805 and skipped == 0
        elif f.name.startswith("wuhan"):
            n, skipped = write_h3stats(f, 7, tmp_path / "wh.csv", lon="XGCJ", lat="YGCJ", crs="GCJ02")
            df = pd.read_csv(tmp_path / "wh.csv")
            with open(f, encoding="utf-8-sig") as fh:
                assert df["count"].sum() + skipped == sum(1 for _ in fh) - 1
        else:
            continue
        assert n == len(df) > 0 and all(h3.is_valid_cell(c) for c in df["cell"])


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize("res", [8, 10])  # 10: cells smaller than pixels, sampled cells among the others
def test_write_h3stats_streamed_equals_the_whole_table(tmp_path, suffix, res):
    """The windowed, chunk-by-chunk output is the former whole-table output (raster_to_h3, then
    one to_csv / to_parquet), row for row and value for value; a CSV is the same bytes."""
    path = _write(tmp_path / "r.tif", _field(120, 150, seed=4), transform=Affine(0.004, 0, 116.0, 0, -0.004, 40.0))
    whole = tmp_path / f"whole{suffix}"
    with open_raster(path) as rd:
        df = raster_to_h3(rd, [res], BREAKS)[res]
    df.insert(0, "cell", [h3.int_to_str(c) for c in df.pop("cell").tolist()])
    df = df[["cell", "count", "min", "max", "mean", "p90", *share_columns(BREAKS), "sampled"]]
    df.to_csv(whole, index=False) if suffix == ".csv" else df.to_parquet(whole, index=False)
    out = tmp_path / f"streamed{suffix}"
    n, _ = write_h3stats(path, res, out, breaks=BREAKS, chunk_rows=97)
    assert n == len(df) > 5 * 97
    if res == 10:
        assert 0 < df["sampled"].sum() < len(df)
    if suffix == ".csv":
        assert out.read_bytes() == whole.read_bytes()
    else:
        assert pq.ParquetFile(out).num_row_groups > 1  # really written chunk by chunk
        pd.testing.assert_frame_equal(pd.read_parquet(out), pd.read_parquet(whole), check_exact=True)
    assert not list(tmp_path.glob(".*.tmp"))


def test_write_h3stats_leaves_no_file_when_it_fails(tmp_path, monkeypatch):
    import etl.h3stats as mod  # noqa: PLC0415

    path = _write(tmp_path / "r.tif", _field(60, 60, seed=5))
    out = tmp_path / "out.csv"
    real = mod.iter_raster_to_h3

    def failing(*a, **kw):
        for i, item in enumerate(real(*a, **kw)):
            if i == 2:
                raise OSError("disk gone")
            yield item

    monkeypatch.setattr(mod, "iter_raster_to_h3", failing)
    with pytest.raises(OSError):
        write_h3stats(path, 9, out, breaks=BREAKS, chunk_rows=50)
    assert not out.exists() and not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("dtype,scale,offset", [
    ("float32", 1.0, 0.0), ("float32", -0.5, 3.0), ("int16", 0.01, -5.0), ("int16", -2.0, 0.0),
    ("uint8", 0.1, 0.0), ("uint16", 1.0, 0.0), ("int32", 1.0, 0.0),
])
def test_share_threshold_codes_agree_with_values(dtype, scale, offset):
    """A pixel's value is >= a break exactly when its code is >= the break's first code (the
    shares are counted on codes), whatever the type, scale sign and offset."""
    from etl.valuecodes import ValueCodec
    from etl.rasters import RasterReader

    reader = RasterReader(path=None, band=1, grid=None, nodata=None, scale=scale, offset=offset,
                          crs_label="", dtype=dtype, _ds=None)
    codec = ValueCodec(reader)
    rng = np.random.default_rng(3)
    if np.dtype(dtype).kind == "f":
        raw = np.r_[rng.normal(0, 5, 5000), [0.0, -0.0, np.inf, -np.inf, 1e30, -1e30]].astype(dtype)
    else:
        info = np.iinfo(dtype)
        raw = np.r_[rng.integers(info.min, info.max, 5000, endpoint=True), [info.min, info.max, 0]].astype(dtype)
    values = reader.decode(raw)
    breaks = np.array(sorted({-1e31, -3.0, 0.0, 0.15, 1.0, 2.5, 7.0, float(values[0]), 1e31}))
    codes = codec.encode(raw).astype(np.uint64)
    assert np.array_equal(codec.decode(codec.encode(raw)), values)
    for br, first in zip(breaks, codec.first_codes(breaks), strict=True):
        assert np.array_equal(values >= br, codes >= first), (dtype, scale, br)


def test_coarser_levels_merge_their_childrens_runs(tmp_path):
    """Coarser resolutions are fed the finer one's sorted cells; the result equals the brute
    force with several windows per cell and the coarsest cells ending on odd rows."""
    path = _write(tmp_path / "r.tif", _field(300, 260, seed=5, share_nodata=0.3))
    with open_raster(path) as rd:
        fast = raster_to_h3(rd, (6, 7, 8), BREAKS, window_rows=5)
        ref = brute_force_h3(rd, (6, 7, 8), BREAKS)
    assert_same(fast, ref)
    for res, df in fast.items():
        assert df["cell"].is_unique, res
