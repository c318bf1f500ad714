"""Tests of etl.rasters.open_raster and Grid on tiny rasters the tests write themselves."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import rasterio
import rasterio.shutil
from affine import Affine

from etl.errors import DataError
from etl.rasters import EARTH_RADIUS_M, open_raster

NORTH_UP = Affine(0.1, 0.0, 116.0, 0.0, -0.1, 40.0)
DATA = np.arange(12, dtype=np.int16).reshape(3, 4)


def write(path: Path, data: np.ndarray = DATA, crs: str | None = "EPSG:4326",
          transform: Affine = NORTH_UP, nodata: float | None = None,
          scales: tuple | None = None, offsets: tuple | None = None) -> Path:
    """A GeoTIFF; ``data`` is (rows, cols) or (bands, rows, cols)."""
    bands = data if data.ndim == 3 else data[None]
    profile = dict(driver="GTiff", width=bands.shape[2], height=bands.shape[1],
                   count=bands.shape[0], dtype=bands.dtype, transform=transform)
    if crs is not None:
        profile["crs"] = crs
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(bands)
        if scales is not None:
            dst.scales = scales
        if offsets is not None:
            dst.offsets = offsets
    return path


def problems(path, **kw) -> list[tuple[str, dict]]:
    with pytest.raises(DataError) as excinfo:
        open_raster(path, **kw)
    return [(p.code, p.params) for p in excinfo.value.problems]


# --- refusals -----------------------------------------------------------------------------------


def test_no_crs_needs_a_declared_one(tmp_path):
    path = write(tmp_path / "depth.tif", crs=None)
    with pytest.raises(DataError) as excinfo:
        open_raster(path, label="flood")
    [p] = excinfo.value.problems
    assert (p.code, p.params) == ("raster_no_crs", {"hazard": "flood"})
    zh = p.text("zh")
    assert zh.startswith(str(path))
    assert "[hazards.flood]" in zh and 'crs = "EPSG:4326"' in zh


def test_no_crs_label_defaults_to_the_file_stem(tmp_path):
    path = write(tmp_path / "pga.tif", crs=None)
    assert problems(path) == [("raster_no_crs", {"hazard": "pga"})]


def test_no_crs_file_opens_with_a_declared_crs(tmp_path):
    path = write(tmp_path / "depth.tif", crs=None)
    with open_raster(path, crs="EPSG:4326") as r:
        assert r.crs_label == "WGS84"
        assert r.grid.lonlat_native
        assert r.read_rows(0, 1).tolist() == [[0.0, 1.0, 2.0, 3.0]]


def test_rotated_transform_is_refused(tmp_path):
    path = write(tmp_path / "rot.tif", transform=Affine(0.1, 0.02, 116.0, 0.0, -0.1, 40.0))
    assert problems(path) == [("raster_rotated", {"found": (0.1, 0.02, 116.0, 0.0, -0.1, 40.0)})]


@pytest.mark.parametrize("band", [3, 0])
def test_missing_band(tmp_path, band):
    path = write(tmp_path / "one.tif")
    assert problems(path, band=band) == [("raster_band_missing", {"found": band, "expected": 1})]


def test_band_problem_and_no_crs_are_reported_together(tmp_path):
    path = write(tmp_path / "two.tif", crs=None)
    assert [c for c, _ in problems(path, band=2, label="wildfire")] == [
        "raster_band_missing", "raster_no_crs"]


def test_missing_file(tmp_path):
    assert problems(tmp_path / "absent.tif") == [("file_not_found", {})]


def test_unreadable_file(tmp_path):
    path = tmp_path / "broken.tif"
    path.write_bytes(b"not a tiff at all")
    assert [c for c, _ in problems(path)] == ["unreadable_file"]


def test_gcj02_raster_is_refused(tmp_path):
    path = write(tmp_path / "g.tif", crs=None)
    [(code, params)] = problems(path, crs="GCJ02")
    assert (code, params["key"]) == ("region_bad_value", "crs")


def test_unknown_declared_crs(tmp_path):
    path = write(tmp_path / "u.tif", crs=None)
    assert problems(path, crs="NOT-A-CRS") == [("crs_unknown", {"found": "NOT-A-CRS"})]


# --- values -------------------------------------------------------------------------------------


def test_second_band(tmp_path):
    path = write(tmp_path / "two.tif", data=np.stack([DATA, DATA * 10]))
    with open_raster(path, band=2) as r:
        assert r.read_rows(2, 3).tolist() == [[80.0, 90.0, 100.0, 110.0]]


def test_file_nodata_becomes_nan(tmp_path):
    with open_raster(write(tmp_path / "n.tif", nodata=5)) as r:
        assert r.nodata == 5
        v = r.read_rows(0, 3)
    assert np.isnan(v[1, 1]) and np.isnan(v).sum() == 1
    assert v[0, 3] == 3.0


def test_declared_nodata_overrides_the_file(tmp_path):
    with open_raster(write(tmp_path / "n.tif", nodata=5), nodata=7) as r:
        v = r.read_rows(0, 3)
    assert np.isnan(v[1, 3]) and np.isnan(v).sum() == 1
    assert v[1, 1] == 5.0


def test_unrepresentable_nodata_is_ignored(tmp_path):
    with open_raster(write(tmp_path / "u8.tif", data=DATA.astype(np.uint8)), nodata=-9999) as r:
        assert not np.isnan(r.read_rows(0, 3)).any()


def test_nan_pixels_of_float_rasters_are_nodata(tmp_path):
    data = DATA.astype(np.float32)
    data[2, 0] = np.nan
    with open_raster(write(tmp_path / "f.tif", data=data)) as r:
        v = r.read_rows(0, 3)
    assert np.isnan(v[2, 0]) and np.isnan(v).sum() == 1


def test_file_scale_and_offset_are_applied(tmp_path):
    path = write(tmp_path / "s.tif", nodata=3, scales=(0.01,), offsets=(1.0,))
    with open_raster(path) as r:
        assert (r.scale, r.offset) == (0.01, 1.0)
        v = r.read_rows(0, 2)
    assert v[0, :3].tolist() == pytest.approx([1.0, 1.01, 1.02])
    assert np.isnan(v[0, 3])  # nodata is compared with the raw value, before scaling
    assert v[1, 3] == pytest.approx(1.07)


def test_declared_scale_overrides_the_file(tmp_path):
    path = write(tmp_path / "s.tif", scales=(0.01,), offsets=(1.0,))
    with open_raster(path, scale=2.0) as r:
        assert r.read_rows(1, 2).tolist() == [[9.0, 11.0, 13.0, 15.0]]
    with open_raster(path, scale=1.0, offset=0.0) as r:
        assert r.read_rows(1, 2).tolist() == [[4.0, 5.0, 6.0, 7.0]]


def test_windows_cover_every_row_once(tmp_path):
    data = np.arange(7 * 2, dtype=np.int16).reshape(7, 2)
    with open_raster(write(tmp_path / "w.tif", data=data)) as r:
        parts = list(r.windows(rows=3))
    assert [(a, b) for a, b, _ in parts] == [(0, 3), (3, 6), (6, 7)]
    assert np.array_equal(np.vstack([v for _, _, v in parts]), data.astype(float))


def test_netcdf_reads(tmp_path):
    tif = write(tmp_path / "s.tif", nodata=3, scales=(0.01,), offsets=(1.0,))
    nc = tmp_path / "s.nc"
    try:
        rasterio.shutil.copy(tif, nc, driver="netCDF")
    except rasterio.errors.RasterioError as exc:  # GDAL built without netCDF
        pytest.skip(f"cannot write NetCDF here: {exc}")
    with open_raster(nc) as r:
        assert r.crs_label == "EPSG:4326"  # the file's own CRS, labelled by its EPSG code
        assert tuple(r.grid.transform)[:6] == pytest.approx(tuple(NORTH_UP)[:6], abs=1e-9)
        v = r.read_rows(0, 3)
    assert v[2, 3] == pytest.approx(1.11)
    assert np.isnan(v[0, 3])


# --- grid geometry ------------------------------------------------------------------------------


def test_north_up_centres(tmp_path):
    with open_raster(write(tmp_path / "n.tif")) as r:
        lon, lat = r.grid.centres_lonlat(np.array([0, 2]), np.array([0, 3]))
    assert lon.tolist() == pytest.approx([116.05, 116.35])
    assert lat.tolist() == pytest.approx([39.95, 39.75])


def test_south_up_pixel_zero_is_at_the_south_edge(tmp_path):
    south_up = Affine(0.1, 0.0, 116.0, 0.0, 0.1, 39.0)  # positive y pixel size
    with open_raster(write(tmp_path / "s.tif", transform=south_up)) as r:
        grid = r.grid
        lon, lat = grid.centres_lonlat(np.array([0, 2]), np.array([0, 0]))
        assert lon.tolist() == pytest.approx([116.05, 116.05])
        assert lat.tolist() == pytest.approx([39.05, 39.25])
        u, v = grid.lonlat_to_pixel(np.array([116.05, 116.35]), np.array([39.05, 39.25]))
        assert u.tolist() == pytest.approx([0.0, 3.0]) and v.tolist() == pytest.approx([0.0, 2.0])
        ring = grid.footprint_lonlat(per_side=4)
    assert ring[0].tolist() == pytest.approx([116.0, 39.0])
    assert ring[:, 0].min() == pytest.approx(116.0) and ring[:, 0].max() == pytest.approx(116.4)
    assert ring[:, 1].min() == pytest.approx(39.0) and ring[:, 1].max() == pytest.approx(39.3)


def test_projected_grid_round_trips(tmp_path):
    # EPSG:4548: CGCS2000 Gauss-Kruger, central meridian 117E, 1 km pixels.
    t = Affine(1000.0, 0.0, 480000.0, 0.0, -1000.0, 4420000.0)
    data = np.zeros((30, 40), dtype=np.float32)
    with open_raster(write(tmp_path / "p.tif", data=data, crs="EPSG:4548", transform=t)) as r:
        grid = r.grid
        assert r.crs_label == "EPSG:4548" and not grid.lonlat_native
        rows, cols = np.meshgrid(np.arange(30), np.arange(40), indexing="ij")
        lon, lat = grid.centres_lonlat(rows.ravel(), cols.ravel())
        u, v = grid.lonlat_to_pixel(lon, lat)
    assert np.abs(u - cols.ravel()).max() < 1e-6
    assert np.abs(v - rows.ravel()).max() < 1e-6
    # pixel (0, 20) is centred at x = 500 500 m, 500 m east of the central meridian
    assert lon[20] == pytest.approx(117.0 + 500 / (111_320 * math.cos(math.radians(lat[20]))),
                                    abs=1e-4)
    assert 39.8 < lat[0] < 40.0


def test_pixel_dims_m(tmp_path):
    with open_raster(write(tmp_path / "n.tif")) as r:
        width, height = r.grid.pixel_dims_m()
    # centre row 1.5 -> latitude 40 - 2 * 0.1 = 39.8; a degree of latitude is not shrunk
    assert width == pytest.approx(math.radians(0.1) * math.cos(math.radians(39.8)) * EARTH_RADIUS_M)
    assert height == pytest.approx(math.radians(0.1) * EARTH_RADIUS_M)


def test_grid_key_depends_on_the_grid(tmp_path):
    a = open_raster(write(tmp_path / "a.tif"))
    b = open_raster(write(tmp_path / "b.tif", data=DATA * 2))
    c = open_raster(write(tmp_path / "c.tif", transform=Affine(0.1, 0, 116.1, 0, -0.1, 40.0)))
    try:
        assert a.grid.key() == b.grid.key()  # values do not matter, only the grid
        assert a.grid.key() != c.grid.key()
        assert len(a.grid.key()) == 24
    finally:
        for r in (a, b, c):
            r.close()
