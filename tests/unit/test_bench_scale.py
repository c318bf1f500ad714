"""The scale benchmark's own arithmetic and checks (tests/bench/bench_scale.py, raster2dggs_ref.py).

The benchmark itself is not run here (``make bench``); these test what its figures rest on:
the size option, the cost model, the RSS sampler and the value comparison with raster2dggs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.bench import bench_scale, raster2dggs_ref


def test_size_square_rectangular_and_refused():
    assert bench_scale.parse_size("16000") == (16000, 16000)
    assert bench_scale.parse_size("16000X8000") == (16000, 8000)
    for bad in ("big", "100", "300x10", "x300"):
        with pytest.raises(argparse.ArgumentTypeError):
            bench_scale.parse_size(bad)


def test_cost_model_hours_by_hand():
    rows = bench_scale.cost_model(1e6, 600.0)
    assert [r["workers"] for r in rows] == [8, 32, 128]
    # 10.7 Gpx, 5 resolutions instead of the 3 measured, 1 Mpx/s per worker, 8 workers
    assert rows[0]["hours_per_hazard"] == pytest.approx(10.7e9 * 5 / 3 / 8e6 / 3600, abs=0.005)
    assert rows[2]["cluster_memory_gb"] == pytest.approx(600 * 128 / 1024, abs=0.05)


def test_sampler_sees_a_child_process_memory():
    code = "import time; b = bytearray(150 * 2**20); b[::4096] = b'x' * len(b[::4096]); time.sleep(1.5)"
    proc = subprocess.Popen([sys.executable, "-c", code])
    with bench_scale.RssSampler(proc.pid, interval=0.05) as sampler:
        proc.wait()
    assert sampler.peak_mb("main") and sampler.peak_mb("main")[0] >= 150
    assert sampler.peak_total_mb() >= 150


def _their_output(path, cells, count, vmin, vmax, mean):
    band = pa.StructArray.from_arrays(
        [pa.array(np.asarray(v, dtype=np.float32)) for v in (count, vmin, vmax, mean)],
        names=["count", "min", "max", "mean"])
    path.mkdir()
    pq.write_table(pa.table({"h3_08": pa.array(np.asarray(cells, dtype=np.uint64)), "band_1": band}),
                   path / "part.0.parquet")


def test_compare_counts_cells_and_float32_differences(tmp_path):
    ours = pd.DataFrame({
        "cell": np.array([10, 11, 12, 13], dtype=np.uint64),
        "count": [3, 5, 1, 0],
        "min": [0.1, 0.2, 0.3, 0.4], "max": [1.0, 2.0, 3.0, 0.4],
        "mean": [0.5, 1.0 + 1e-3, 0.3, 0.4],
        "sampled": [False, False, False, True],  # 13: no pixel centre, value at the cell centre
    })
    # theirs: 10 and 11 in common (11's count differs), 12 missing, 99 extra; float32 values
    _their_output(tmp_path / "out", [11, 10, 99], [4, 3, 1], [0.2, 0.1, 7.0], [2.0, 1.0, 7.0], [1.0, 0.5, 7.0])
    res = raster2dggs_ref.compare(ours, tmp_path / "out")
    assert res["cells_onemap_with_pixel_centres"] == 3
    assert res["cells_onemap_sampled"] == 1
    assert res["cells_raster2dggs"] == 3
    assert res["cells_in_both"] == 2
    assert res["count_equal_share"] == 0.5
    assert res["min_equal_share"] == 1.0 and res["max_equal_share"] == 1.0
    assert res["mean_max_rel_diff"] == pytest.approx(1e-3 / (1 + 1e-3), rel=1e-4)
    assert res["min_max_rel_diff"] < 1e-7  # float32 rounding of 0.1 and 0.2 only
