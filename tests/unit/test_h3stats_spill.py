"""The spilled path of ``onemap h3stats`` (``etl.h3spill``) equals the in-memory path, and its
Python-side memory is bounded by the row band and the cell index, not by the cell summaries."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest
from rasterio.transform import Affine

from etl.h3stats import iter_raster_to_h3
from etl.rasters import open_raster
from tests.unit.test_h3stats import BREAKS, _field, _write

GRIDS = {
    "north-up": dict(transform=Affine(0.002, 0, 116.0, 0, -0.002, 40.0), crs="EPSG:4326", res=7),
    "south-up": dict(transform=Affine(0.002, 0, 116.0, 0, 0.002, 39.4), crs="EPSG:4326", res=8),
    "projected": dict(transform=Affine(150, 0, 450000, 0, -150, 4430000), crs="EPSG:4548", res=7),
    "sampled-cells": dict(transform=Affine(0.004, 0, 116.0, 0, -0.004, 40.0), crs="EPSG:4326", res=10),
}


def _table(rd, res, window_rows, **kw) -> pd.DataFrame:
    chunks = [df for _, df in iter_raster_to_h3(rd, [res], BREAKS, window_rows=window_rows, one_run=True,
                                                  chunk_rows=113, **kw)]
    return pd.concat(chunks, ignore_index=True)


@pytest.mark.parametrize("window_rows", [3, 37])  # 3: many bands, every cell spans several
@pytest.mark.parametrize("name", list(GRIDS))
def test_spilled_equals_in_memory(tmp_path, name, window_rows):
    g = GRIDS[name]
    h, w = (90, 120) if name == "sampled-cells" else (160, 200)
    data = _field(h, w, seed=7, share_nodata=0.2)
    data[40:70, 50:90] = -9999.0  # a nodata blob: cells with no valid pixel are absent in both
    path = _write(tmp_path / "r.tif", data, crs=g["crs"], transform=g["transform"])
    with open_raster(path) as rd:
        ref = _table(rd, g["res"], window_rows)
        got = _table(rd, g["res"], window_rows, spill_dir=tmp_path / "spill")
    assert len(ref) > 200 and ref["cell"].is_monotonic_increasing
    if name == "sampled-cells":
        assert 0 < ref["sampled"].sum() < len(ref)
    pd.testing.assert_frame_equal(got, ref, check_exact=True)
    assert list((tmp_path / "spill").iterdir()) == []  # the temporary folder is gone


def test_spill_folder_removed_when_the_caller_stops(tmp_path):
    path = _write(tmp_path / "r.tif", _field(100, 100, seed=2))
    with open_raster(path) as rd:
        gen = iter_raster_to_h3(rd, [8], BREAKS, one_run=True, chunk_rows=10, spill_dir=tmp_path / "spill")
        next(gen)
        assert len(list((tmp_path / "spill").iterdir())) == 1
        gen.close()
    assert list((tmp_path / "spill").iterdir()) == []


def test_spill_needs_one_run(tmp_path):
    path = _write(tmp_path / "r.tif", _field(20, 20))
    with open_raster(path) as rd, pytest.raises(ValueError):
        list(iter_raster_to_h3(rd, [8], BREAKS, spill_dir=tmp_path))


def _peak(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_is_bounded_by_the_band_not_the_summaries(tmp_path, monkeypatch):
    """tracemalloc (numpy's allocations) of the spilled path on a 2.4 Mpx raster with ~10 pixels
    a cell, 64-row bands and zone-map polygons built 4096 cells at a time: at most 80 B per cell
    (the zone table and its row order, which remain) plus 200 B per pixel of one band plus 4 MB.
    The in-memory path (every cell's summary kept, then an argsort) exceeds that bound, so the
    test can fail."""
    import etl.zonemap  # noqa: PLC0415

    monkeypatch.setattr(etl.zonemap, "_CHUNK", 4096)
    h, w, band = 4000, 600, 64
    path = _write(tmp_path / "r.tif", _field(h, w, seed=9), transform=Affine(0.0025, 0, 116.0, 0, -0.0025, 40.0))

    def run(**kw):
        with open_raster(path) as rd:
            return sum(len(df) for _, df in iter_raster_to_h3(rd, [8], BREAKS, one_run=True, window_rows=band, **kw))

    n_cells = run()
    old = _peak(run)
    new = _peak(lambda: run(spill_dir=tmp_path / "spill"))
    bound = 80 * n_cells + 200 * band * w + 4_000_000
    assert n_cells > 250_000
    assert new <= bound < old, (new, bound, old, n_cells)
    assert list((tmp_path / "spill").iterdir()) == []
