"""Vector hazard layers computed in chunks (issue 16): identical to the whole-table path, bounded memory.

``iter_*_to_h3`` with a chunk larger than the layer computes exactly what the whole-table
functions computed before streaming (one chunk holding every cell, in the same order); with
small chunks every frame must be the same, row for row and float for float. The memory tests
compare the traced peak (``tracemalloc``: NumPy's buffers, pandas' and Python's objects) of the
streamed path, consumed chunk by chunk as a build does, with the whole-table path on the same
input, and bound it by the chunk size; no wall-clock figure is asserted.
"""

from __future__ import annotations

import gc
import tracemalloc

import h3
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString

from etl.vector_hazards import (
    iter_events_to_h3,
    iter_lines_to_h3,
    iter_vector_to_h3,
    iter_zones_to_h3,
    read_vector,
    vector_to_h3,
)
from etl.vector_stats import collect, locate_events, partition_chunks
from tests.unit.test_vector_hazards import FIXTURE, _events_csv, _src
from tests.zoning_fixture import VALUES

WHOLE = 10**9  # a chunk larger than any layer here: the whole-table computation


def _region(lon: float, lat: float, res: int, k: int, resolutions: list[int]) -> dict[int, np.ndarray]:
    """A hexagonal region of cells around (lon, lat), as ``build`` passes ``region_cells``:
    finest cells in an order that is not sorted (as read from a file), coarser ones their parents."""
    fine = np.array([h3.str_to_int(c) for c in h3.grid_disk(h3.latlng_to_cell(lat, lon, res), k)], np.uint64)
    fine = np.random.default_rng(7).permutation(fine)
    return {r: fine if r == res else np.unique([h3.str_to_int(h3.cell_to_parent(h3.int_to_str(int(c)), r))
                                                for c in fine]).astype(np.uint64) for r in resolutions}


def _assert_same(streamed: dict[int, pd.DataFrame], whole: dict[int, pd.DataFrame]) -> None:
    assert sorted(streamed) == sorted(whole)
    for r in whole:
        assert len(whole[r]) > 0
        pd.testing.assert_frame_equal(streamed[r], whole[r], check_exact=True)


def _chunks_of(it) -> list[tuple[int, pd.DataFrame]]:
    return list(it)


def test_zones_streamed_equal_whole_and_chunks_keep_partitions_whole():
    src = _src("zones", FIXTURE, field="pga", values=VALUES, breaks=(0.1, 0.15, 0.2))
    inp = read_vector(src)
    res = [7, 8, 9]
    whole = collect(iter_zones_to_h3(inp, src, res, chunk_cells=WHOLE), res, src.breaks)
    chunks = _chunks_of(iter_zones_to_h3(inp, src, res, chunk_cells=40))
    assert sum(1 for r, _ in chunks if r == 9) > 5, "the fixture must span several chunks"
    _assert_same(collect(iter(chunks), res, src.breaks), whole)
    for r in res:  # no cell in two chunks: every roll-up was whole inside its chunk
        cells = np.concatenate([df["cell"].to_numpy() for rr, df in chunks if rr == r])
        assert cells.size == np.unique(cells).size
    # with the region's cells given (unsorted, as read from admin cells) the result is the same
    fine = np.random.default_rng(3).permutation(whole[9]["cell"].to_numpy(np.uint64))
    _assert_same(collect(iter_zones_to_h3(inp, src, res, fine, chunk_cells=33), res, src.breaks),
                 collect(iter_zones_to_h3(inp, src, res, fine, chunk_cells=WHOLE), res, src.breaks))


def test_partition_chunks_never_split_a_parent():
    region = _region(116.4, 39.9, 9, 25, [6, 9])
    idx = list(partition_chunks(region[9], 6, 100))
    assert sum(i.size for i in idx) == region[9].size
    assert np.array_equal(np.sort(np.concatenate(idx)), np.arange(region[9].size))
    seen: set[int] = set()
    for i in idx:
        assert np.all(np.diff(i) > 0)  # the cells keep their order within a chunk
        p = {h3.str_to_int(h3.cell_to_parent(h3.int_to_str(int(c)), 6)) for c in region[9][i]}
        assert not p & seen
        seen |= p


@pytest.mark.parametrize("statistic", ["smoothed_rate", "max_magnitude", "rate"])
def test_events_streamed_equal_whole(tmp_path, statistic):
    src = _src("events", _events_csv(tmp_path), crs="EPSG:3857", statistic=statistic, period=(1600, 2016),
               bandwidth_km=8.0, rate_per_km2=1000.0, breaks=(0.01, 0.1) if statistic != "max_magnitude" else (5.0, 7.0))
    inp = read_vector(src)
    res = [6, 7, 8]
    region = _region(117.1, 39.3, 8, 28, res)
    located = locate_events(inp, 8, region)
    whole = collect(iter_events_to_h3(inp, src, res, region, located, chunk_cells=WHOLE), res, src.breaks)
    chunks = _chunks_of(iter_events_to_h3(inp, src, res, region, located, chunk_cells=97))
    assert all(len(df) <= 97 for _, df in chunks)
    _assert_same(collect(iter(chunks), res, src.breaks), whole)
    # the dict API (h3stats, tests) is the collected stream
    _assert_same(vector_to_h3(inp, src, res, region)[0], whole)


def _lines_input(tmp_path):
    import geopandas as gpd  # noqa: PLC0415

    lines = [LineString([(116.9, 39.2), (117.1, 39.25), (117.2, 39.4)]), LineString([(117.5, 39.0), (117.5, 39.6)])]
    path = tmp_path / "faults.gpkg"
    gpd.GeoDataFrame(geometry=lines, crs="EPSG:4326").to_file(path, engine="pyogrio")
    src = _src("lines", path, breaks=(2.0, 5.0, 10.0, 20.0), units="km")
    return src, read_vector(src)


def test_lines_streamed_equal_whole(tmp_path):
    src, inp = _lines_input(tmp_path)
    res = [6, 7, 8]
    region = _region(117.2, 39.3, 8, 30, res)
    whole = collect(iter_lines_to_h3(inp, src, res, region[8], chunk_cells=WHOLE), res, src.breaks)
    chunks = _chunks_of(iter_lines_to_h3(inp, src, res, region[8], chunk_cells=101))
    assert all(len(df) <= 101 for _, df in chunks) and len(chunks) > 20
    _assert_same(collect(iter(chunks), res, src.breaks), whole)


def _traced_peak(fn) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _consume(chunks) -> None:
    """What the build does: each chunk is handed on (here: dropped) before the next exists."""
    for _, df in chunks:
        del df


@pytest.mark.parametrize("kind", ["lines", "events"])
def test_streamed_vector_layer_memory_is_bounded_by_the_chunk(tmp_path, kind):
    if kind == "lines":
        src, inp = _lines_input(tmp_path)
    else:
        src = _src("events", _events_csv(tmp_path), crs="EPSG:3857", statistic="smoothed_rate",
                   period=(1600, 2016), bandwidth_km=8.0, breaks=(0.01, 0.1))
        inp = read_vector(src)
    res = [7, 8, 9]
    region = _region(117.2, 39.3, 9, 220, res)  # 145 861 finest cells
    n, chunk = region[9].size, 4000

    def streamed() -> None:
        chunks, _ = iter_vector_to_h3(inp, src, res, region, chunk_cells=chunk)
        _consume(chunks)

    def whole() -> None:
        frames, _ = iter_vector_to_h3(inp, src, res, region, chunk_cells=WHOLE)
        kept = collect(frames, res, src.breaks)  # the former whole-table path
        assert sum(len(df) for df in kept.values()) > n

    peak_stream, peak_whole = _traced_peak(streamed), _traced_peak(whole)
    # per-cell arrays that stay whole (ids, counts, parents: < 64 B a cell) + one chunk's work
    # (frame, centres, pairs: < 1 KB a cell) + 4 MB (a 65 536-centre batch, the inputs); the
    # whole-table path needs ~170 (lines) to ~290 (events) B a cell on top of that
    bound = 64 * n + 1024 * chunk + 4_000_000
    assert peak_stream < bound, (peak_stream, bound)
    assert peak_stream < peak_whole / 2, (peak_stream, peak_whole)
