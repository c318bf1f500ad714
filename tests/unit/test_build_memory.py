"""The build's lower-memory paths (issue 16) give the rows of the paths they replace.

- sampled cell centres located in slices == located all at once (``_CentreSampler``);
- ``CellIndex.add`` merging new cells into its sorted table == re-sorting the whole table;
- the build's spilled raster cells (``one_run`` + ``spill_dir`` + ``spill_memory``) == the
  in-memory path's rows, every resolution, sampled cells included;
- ``admin_cells_arrow`` (arrays, adcodes made once) == the former per-county DataFrames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rasterio.transform import Affine

import etl.h3stats as h3stats
from etl.admin import admin_cells_arrow, admin_cells_table
from etl.rasters import open_raster
from etl.zonemap import CellIndex
from tests.unit.test_admin import features, load
from tests.unit.test_h3stats import BREAKS, _field, _write

SAMPLED = dict(transform=Affine(0.004, 0, 116.0, 0, -0.004, 40.0), crs="EPSG:4326")


def _rows(chunks) -> pd.DataFrame:
    out = {}
    for res, df in chunks:
        out.setdefault(res, []).append(df)
    return {r: pd.concat(d, ignore_index=True).sort_values("cell", ignore_index=True) for r, d in out.items()}


def test_sampled_centres_in_slices_equal_all_at_once(tmp_path, monkeypatch):
    data = _field(90, 120, seed=3, share_nodata=0.2)
    path = _write(tmp_path / "r.tif", data, **SAMPLED)
    with open_raster(path) as rd:
        whole = _rows(h3stats.iter_raster_to_h3(rd, (8, 9, 10), BREAKS, window_rows=7))
        monkeypatch.setattr(h3stats, "_SAMPLE_CHUNK", 17)  # many slices, some cells outside
        sliced = _rows(h3stats.iter_raster_to_h3(rd, (8, 9, 10), BREAKS, window_rows=7))
    assert whole[10]["sampled"].sum() > 100
    for res in whole:
        pd.testing.assert_frame_equal(sliced[res], whole[res], check_exact=True)


def test_build_spill_path_equals_in_memory_rows(tmp_path):
    data = _field(90, 120, seed=5, share_nodata=0.2)
    data[30:50, 40:70] = -9999.0
    path = _write(tmp_path / "r.tif", data, **SAMPLED)
    with open_raster(path) as rd:
        ref = _rows(h3stats.iter_raster_to_h3(rd, (7, 9, 10), BREAKS, window_rows=5, chunk_rows=101))
        got = _rows(h3stats.iter_raster_to_h3(rd, (7, 9, 10), BREAKS, window_rows=5, chunk_rows=101,
                                              one_run=True, spill_dir=tmp_path / "spill", spill_memory="16MB"))
    assert set(got) == {7, 9, 10} and ref[10]["sampled"].any()
    for res in ref:
        pd.testing.assert_frame_equal(got[res], ref[res], check_exact=True)
    assert list((tmp_path / "spill").iterdir()) == []


def test_cell_index_merge_equals_full_resort():
    rng = np.random.default_rng(11)
    for _ in range(50):
        pool = np.unique(rng.integers(0, 10**7, rng.integers(1, 5000)).astype(np.uint64))
        rng.shuffle(pool)
        parts = np.split(pool, np.sort(rng.integers(0, pool.size, rng.integers(0, 8))))
        ci = CellIndex()
        for part in parts:
            ci.add(part, rng.integers(0, 100, part.size))
        order = np.argsort(pool, kind="stable")  # what the former whole-table argsort gave
        np.testing.assert_array_equal(ci.cells, pool)
        np.testing.assert_array_equal(ci._sorted, pool[order])
        np.testing.assert_array_equal(ci._order, order)
        probe = np.concatenate([pool[:50], rng.integers(0, 10**7, 50).astype(np.uint64)])
        expect = np.array([int(np.flatnonzero(pool == v)[0]) if (pool == v).any() else -1 for v in probe])
        np.testing.assert_array_equal(ci.lookup(probe), expect)


def test_admin_cells_arrow_equals_per_county_frames(tmp_path):
    admin = load(tmp_path, features())  # two counties sharing a border, a city and a province
    import h3.api.basic_int as h3i

    from etl import admin as admin_mod

    resolutions = (6, 7, 8)
    parts = []  # the former implementation: a DataFrame per county and resolution, then drop_duplicates
    counties = admin.counties()
    for res in resolutions:
        tile = 40 * 2 * admin_mod.h3.average_hexagon_edge_length(res, "km") / 111.0
        for code, city, prov, geom in zip(counties["adcode"], counties["city"], counties["province"],
                                          counties["geometry"]):
            pieces = admin_mod._tiles(geom, tile) if res >= 8 else [geom]
            cells = [c for p in pieces for c in h3i.h3shape_to_cells(admin_mod._h3shape(p), res)]
            if cells:
                parts.append(pd.DataFrame({"res": np.int8(res), "cell": np.asarray(cells, dtype=np.uint64),
                                           "county": code, "city": city, "province": prov}))
    ref = pd.concat(parts, ignore_index=True).drop_duplicates(["res", "cell"], keep="first")
    got = admin_cells_arrow(admin, resolutions).to_pandas()
    assert len(got) > 100
    for col in ("res", "cell", "county", "city", "province"):
        assert got[col].tolist() == ref[col].tolist(), col  # same rows in the same order
    pd.testing.assert_frame_equal(admin_cells_table(admin, resolutions), got)
