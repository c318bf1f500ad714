"""Distributed raster -> H3 (etl.scale): identical to one process, and failing cleanly.

The part logic is checked without Dask first (every part run in this process, results
merged), then on a 2-worker LocalCluster: hazard statistics on north-up, south-up and
projected rasters, population sums, a whole build compared table by table, a raster path the
workers cannot read, and workers killed mid-build (the previous store stays intact).
"""

from __future__ import annotations

import hashlib
import os
import signal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import rasterio
from rasterio.transform import Affine

from etl.build import build_store
from etl.errors import DataError
from etl.exposure import exposure_part, finish_exposure, raster_to_exposure
from etl.h3stats import iter_raster_to_h3, raster_to_h3
from etl.rasters import open_raster
from tests.integration.conftest import make_region

distributed = pytest.importorskip("distributed", reason="pip install onemap[dask]")

from etl import scale  # noqa: E402

BREAKS = (1.0, 2.0, 3.5)
WINDOW = 32
GRIDS = {
    "north-up": dict(transform=Affine(0.0008, 0, 116.0, 0, -0.0008, 40.0), crs="EPSG:4326", res=(6, 7, 8)),
    "south-up": dict(transform=Affine(0.0008, 0, 116.0, 0, 0.0008, 39.8), crs="EPSG:4326", res=(6, 7, 8)),
    "projected": dict(transform=Affine(90, 0, 450000, 0, -90, 4430000), crs="EPSG:4548", res=(6, 7, 8)),
    "cells-smaller-than-pixels": dict(transform=Affine(0.004, 0, 116.0, 0, -0.004, 40.0), crs="EPSG:4326",
                                      res=(7, 8, 9)),
}


def _raster(path: Path, grid: dict, h: int = 300, w: int = 260, dtype: str = "float32", seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    data = rng.gamma(2.0, 1.0, (h, w)).astype(dtype)
    data[rng.random((h, w)) < 0.1] = -9999
    data[:40, :60] = -9999  # a nodata block across a part boundary
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=1, dtype=dtype, crs=grid["crs"],
                       transform=grid["transform"], nodata=-9999) as dst:
        dst.write(data, 1)
    return path


def _merged(chunks) -> dict[int, pd.DataFrame]:
    out: dict[int, list] = {}
    for res, df in chunks:
        out.setdefault(res, []).append(df)
    return {r: pd.concat(v, ignore_index=True).sort_values("cell", ignore_index=True) for r, v in out.items()}


def _assert_identical(a: dict[int, pd.DataFrame], b: dict[int, pd.DataFrame]) -> None:
    assert sorted(a) == sorted(b)
    for res in a:  # same rows, same floats (bit for bit), same dtypes
        pd.testing.assert_frame_equal(a[res], b[res], check_exact=True)


# --- parts in one process (no cluster) -----------------------------------------------------------------


@pytest.mark.parametrize("name", list(GRIDS))
def test_parts_merged_equal_one_process(tmp_path, name):
    g = GRIDS[name]
    path = _raster(tmp_path / "r.tif", g)
    with open_raster(path) as rd:
        whole = raster_to_h3(rd, g["res"], BREAKS, window_rows=WINDOW)
        parts = scale.plan_parts(rd.grid, g["res"], 5, WINDOW, align=False)
        assert len(parts) == 5 and parts[0].own0 == 0 and parts[-1].own1 == rd.grid.height
        assert all(a.own1 == b.own0 for a, b in zip(parts, parts[1:]))
        chunks = [c for p in parts for c in iter_raster_to_h3(rd, g["res"], BREAKS, window_rows=WINDOW, part=p)]
    _assert_identical(_merged(chunks), whole)


def test_part_too_narrow_is_refused_never_partial(tmp_path):
    from etl.h3stats import Part, PartTooNarrow  # noqa: PLC0415

    path = _raster(tmp_path / "r.tif", GRIDS["north-up"])
    with open_raster(path) as rd, pytest.raises(PartTooNarrow):
        list(iter_raster_to_h3(rd, (6, 7, 8), BREAKS, window_rows=WINDOW, part=Part(128, 160, 128, 160, 6)))


def _population(path: Path, h: int = 300, w: int = 260, transform: Affine = GRIDS["north-up"]["transform"]) -> Path:
    rng = np.random.default_rng(5)
    data = (rng.random((h, w)) * 37.3).astype("float32")  # fractional counts: float sums must match exactly
    data[rng.random((h, w)) < 0.05] = -1
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=1, dtype="float32", crs="EPSG:4326",
                       transform=transform, nodata=-1) as dst:
        dst.write(data, 1)
    return path


def test_exposure_parts_equal_one_process(tmp_path):
    path = _population(tmp_path / "pop.tif")
    with open_raster(path) as rd:
        whole = raster_to_exposure(rd, (6, 7, 8), window_rows=WINDOW)
        parts = [exposure_part(rd, 8, p, window_rows=WINDOW) for p in scale.plan_parts(rd.grid, [8], 4, WINDOW)]
        merged = finish_exposure(parts, (6, 7, 8), rd, None)
    assert (merged.raster_total, merged.pixels, merged.outside) == (whole.raster_total, whole.pixels, whole.outside)
    for res in (6, 7, 8):
        pd.testing.assert_frame_equal(merged.cells[res], whole.cells[res], check_exact=True)


# --- on a 2-worker LocalCluster --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client():
    with scale.dask_client(workers=2) as c:
        yield c


@pytest.mark.slow
@pytest.mark.parametrize("name", ["north-up", "south-up", "projected", "cells-smaller-than-pixels"])
def test_two_workers_equal_one_process(tmp_path, client, name):
    g = GRIDS[name]
    path = _raster(tmp_path / "r.tif", g, seed=3)
    done = []
    with open_raster(path) as rd:
        whole = raster_to_h3(rd, g["res"], BREAKS, window_rows=WINDOW)
        spec = scale.RasterSpec(str(path))
        got = _merged(scale.hazard_chunks(client, spec, rd.grid, g["res"], BREAKS, cache_dir=tmp_path / "c",
                                          sample_cells=None, progress=done.append, window_rows=WINDOW))
        height = rd.grid.height
    _assert_identical(got, whole)
    assert sum(done) == height and len(done) == len(scale.plan_parts(rd.grid, g["res"], 8, WINDOW, align=False))
    assert len(list((tmp_path / "c").glob("*-rows*"))) == len(done)  # zone maps cached per part


@pytest.mark.slow
def test_two_workers_exposure_equal_one_process(tmp_path, client):
    path = _population(tmp_path / "pop.tif")
    with open_raster(path) as rd:
        whole = raster_to_exposure(rd, (6, 7, 8), window_rows=WINDOW)
        parts = scale.exposure_sums(client, scale.RasterSpec(str(path)), rd.grid, (6, 7, 8), cache_dir=None,
                                    window_rows=WINDOW)
        merged = finish_exposure(parts, (6, 7, 8), rd, None)
    assert merged.raster_total == whole.raster_total
    for res in (6, 7, 8):
        pd.testing.assert_frame_equal(merged.cells[res], whole.cells[res], check_exact=True)


@pytest.mark.slow
def test_worker_that_cannot_read_the_path_is_named(tmp_path, client):
    path = _raster(tmp_path / "r.tif", GRIDS["north-up"])
    with open_raster(path) as rd:
        grid = rd.grid
    missing = tmp_path / "only-on-the-client.tif"
    with pytest.raises(DataError) as err:
        list(scale.hazard_chunks(client, scale.RasterSpec(str(missing)), grid, (6, 7, 8), BREAKS, cache_dir=None,
                                 sample_cells=None, window_rows=WINDOW))
    p, cause = err.value.problems
    assert p.code == "worker_cannot_read" and p.file == str(missing)
    assert cause.code == "file_not_found" and cause.file == str(missing)
    assert p.params["worker"] in client.nthreads()  # the worker's address
    text_zh, text_en = p.text("zh"), p.text("en")
    assert p.params["worker"] in text_zh and "计算节点" in text_zh and str(missing) in text_zh
    rendered = err.value.render("zh")
    assert "找不到文件" in rendered and "file not found" not in rendered  # the cause, in Chinese too
    assert "Every worker must reach the rasters" in text_en


# --- whole builds -----------------------------------------------------------------------------------------


def _with_population(toml: Path) -> None:
    _population(toml.parent / "population.tif", h=520, w=600, transform=Affine(0.0008, 0, 117.95, 0, -0.0008, 39.75))
    toml.write_text(toml.read_text(encoding="utf-8") + (
        '\n[exposure]\npath = "population.tif"\nunits = "people"\nsynthetic = true\nsource = "test"\n'
        'description = "tiny"\n'), encoding="utf-8")


def _tables(db: Path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        out = {}
        for name in names:
            df = con.execute(f"SELECT * FROM {name}").fetch_df()  # noqa: S608 (names from the catalogue)
            if name == "meta":
                df = df[~df["key"].isin(["build_id", "built_at"])]
            out[name] = df.sort_values(list(df.columns[:3]), ignore_index=True) if len(df) else df
        return out
    finally:
        con.close()


@pytest.mark.slow
def test_build_with_two_workers_gives_an_identical_store(tmp_path):
    region = make_region(tmp_path / "region", raster_rows=600)  # 3 windows: 3 parts for the flood raster
    _with_population(region)
    one = build_store(region, tmp_path / "one.duckdb", cache_dir=tmp_path / "c1")
    two = build_store(region, tmp_path / "two.duckdb", cache_dir=tmp_path / "c2", workers=2)
    assert one["tables"] == two["tables"] and one["exposure"] == two["exposure"]
    a, b = _tables(tmp_path / "one.duckdb"), _tables(tmp_path / "two.duckdb")
    assert sorted(a) == sorted(b) and len(a["hazard_cells"]) > 1000 and len(a["exposure_cells"]) > 100
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)
    assert list((tmp_path / "c2").glob("*-rows*"))  # per-part zone maps in the shared cache


@pytest.mark.slow
def test_build_on_a_running_scheduler(tmp_path, client):
    region = make_region(tmp_path / "region", raster_rows=600)
    build_store(region, tmp_path / "one.duckdb", cache_dir=tmp_path / "c1")
    build_store(region, tmp_path / "two.duckdb", cache_dir=tmp_path / "c2", scheduler=client.scheduler.address)
    a, b = _tables(tmp_path / "one.duckdb"), _tables(tmp_path / "two.duckdb")
    for name in ("hazard_cells", "hazard_layers", "sources"):
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)


@pytest.mark.slow
def test_killed_workers_fail_the_build_and_keep_the_previous_store(tmp_path):
    psutil = pytest.importorskip("psutil")
    region = make_region(tmp_path / "region", raster_rows=600)
    db = tmp_path / "t.duckdb"
    build_store(region, db, cache_dir=tmp_path / "c")
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    killed = []

    def progress(label, total):
        def advance(n):
            if "flood" in label and not killed:  # first finished part: kill every worker process
                for proc in psutil.Process().children(recursive=True):
                    try:  # a process that ended meanwhile (a zombie, or gone) is not a worker to kill
                        if not proc.children() and "spawn" in " ".join(proc.cmdline()):
                            os.kill(proc.pid, signal.SIGKILL)
                            killed.append(proc.pid)
                    except (psutil.NoSuchProcess, psutil.AccessDenied):
                        continue
        return advance

    with pytest.raises(DataError) as err:
        build_store(region, db, cache_dir=tmp_path / "c2", progress=progress, workers=2)
    assert killed
    (p,) = err.value.problems
    assert p.code == "worker_died" and p.file.endswith("flood.tif")
    assert "tcp://" in p.text("en") and "内存" in p.text("zh")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert not list(tmp_path.glob(".t.duckdb.staging-*"))
