"""Build a store end to end from the tiny region through the CLI, and break it on purpose."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from etl import schema
from etl.cli import main
from etl.store import open_store
from tests.integration.conftest import make_region

ROOT = Path(__file__).resolve().parents[2]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(*args: str, lang: str = "en"):
    return CliRunner().invoke(main, ["--lang", lang, *args], catch_exceptions=False)


@pytest.fixture
def built(tiny_region, tmp_path):
    db = tmp_path / "tiny.duckdb"
    res = _run("build", str(tiny_region), "--db", str(db), "--cache", str(tmp_path / "cache"), "-q")
    assert res.exit_code == 0, res.output
    return db


def test_build_loads_every_source_and_rejects_bad_rows(built):
    res = _run("info", str(built), "--json")
    assert res.exit_code == 0
    info = json.loads(res.output)
    assert info["schema_version"] == schema.SCHEMA_VERSION and info["region"] == "tiny" and info["resolutions"] == [6, 7, 8]
    t = info["tables"]
    assert (t["parks"], t["enterprises"], t["reserves"]) == (2, 2, 3)
    assert info["admin_units"] == {"province": 1, "city": 1, "county": 2}
    reasons = {(r["source"], r["reason_code"]): r["rows"] for r in info["rejects"]}
    assert reasons == {("enterprises:enterprises.csv", "swapped_lonlat"): 1,
                       ("enterprises:enterprises.csv", "no_location"): 1}
    src = {s["source"]: s for s in info["sources"]}
    ent = src["enterprises:enterprises.csv"]
    assert (ent["rows_in"], ent["rows_loaded"], ent["rows_rejected"]) == (4, 2, 2)
    assert len(ent["sha256"]) == 64 and ent["crs"] == "GCJ02"
    for hz in ("flood", "earthquake"):
        assert set(info["hazards"][hz]["cells"]) == {"6", "7", "8"}
    assert info["hazards"]["earthquake"]["crs"] == "EPSG:4548"


def test_store_contents(built):
    con = open_store(built)
    try:
        # GCJ-02 input came back to its WGS-84 position
        lon, lat = con.execute("SELECT lon, lat FROM enterprises WHERE id = 'E1'").fetchone()
        assert abs(lon - 118.05) < 1e-6 and abs(lat - 39.55) < 1e-6
        # address-only reserve placed at the district centroid, precision says so
        prec, adcode = con.execute("SELECT precision, adcode FROM reserves WHERE id = 'R2'").fetchone()
        assert (prec, adcode) == ("district", "130205")
        assert con.execute("SELECT tier FROM reserves ORDER BY id").fetchall() == [("municipal",), ("county",), ("rescue",)]
        assert con.execute("SELECT level, chains FROM parks WHERE id = 'P1'").fetchone() == ("national_demo", ["rescue", "unmanned"])
        assert con.execute("SELECT adcode FROM parks WHERE id = 'P2'").fetchone()[0] == "130203"
        # pixel totals agree across resolutions, ids are UBIGINT
        totals = con.execute("SELECT hazard, res, sum(count) FROM hazard_cells GROUP BY ALL").fetchall()
        by_hazard = {}
        for hz, _, total in totals:
            by_hazard.setdefault(hz, set()).add(total)
        assert all(len(v) == 1 for v in by_hazard.values())
        assert con.execute("SELECT typeof(cell) FROM hazard_cells LIMIT 1").fetchone()[0] == "UBIGINT"
        # every admin cell has county, city and province
        assert con.execute("SELECT count(*) FROM admin_cells WHERE county IS NULL OR city IS NULL").fetchone()[0] == 0
        assert con.execute("SELECT count(DISTINCT res) FROM entity_cells").fetchone()[0] == 3
        raw = con.execute("SELECT raw, reason, reason_en FROM rejects WHERE reason_code = 'swapped_lonlat'").fetchone()
        assert "坐标颠倒公司" in raw[0] and "swap_lonlat" in raw[2] and "经纬度" in raw[1]
    finally:
        con.close()


def test_failed_build_leaves_previous_store_unchanged(built, tiny_region, tmp_path):
    before = _sha(built)
    broken = tiny_region.read_text(encoding="utf-8").replace('path = "flood.tif"', 'path = "missing.tif"')
    broken = broken.replace('path = "parks.csv"', 'path = "parks.csv"\ncolumns = { name = "不存在的列" }')
    tiny_region.write_text(broken, encoding="utf-8")
    res = _run("build", str(tiny_region), "--db", str(built), "-q")
    assert res.exit_code == 1
    assert "missing.tif" in res.output and "不存在的列" in res.output  # every problem at once
    assert "Traceback" not in res.output
    assert _sha(built) == before
    assert not list(built.parent.glob(".tiny.duckdb.staging-*"))


def test_raster_without_crs_names_the_fix_then_works_once_declared(built, tiny_region):
    import rasterio  # noqa: PLC0415

    path = tiny_region.parent / "flood.tif"
    with rasterio.open(path) as ds:
        data, profile = ds.read(), ds.profile
    profile.pop("crs")
    with rasterio.open(path, "w", **profile) as dst:  # the same raster, without its CRS
        dst.write(data)
    res = _run("build", str(tiny_region), "--db", str(built), "-q", lang="zh")
    assert res.exit_code == 1 and "crs" in res.output and "[hazards.flood]" in res.output
    text = tiny_region.read_text(encoding="utf-8").replace('path = "flood.tif"', 'path = "flood.tif"\ncrs = "EPSG:4326"')
    tiny_region.write_text(text, encoding="utf-8")
    assert _run("build", str(tiny_region), "--db", str(built), "-q").exit_code == 0


def test_validate_reports_rejects_and_writes_nothing(tiny_region, tmp_path):
    res = _run("validate", str(tiny_region))
    assert res.exit_code == 1
    assert "row 4" in res.output and "swap" in res.output and "row 5" in res.output
    zh = _run("validate", str(tiny_region), lang="zh")
    assert "第 4 行" in zh.output and "经纬度" in zh.output
    assert not list(tmp_path.rglob("*.duckdb"))


def test_usage_errors_exit_2_and_missing_store_exits_1(tmp_path):
    assert _run("h3stats", "x.tif", "--res", "16", "--out", "o.csv").exit_code == 2
    assert _run("h3stats", "x.tif", "--res", "8", "--classes", "3,1", "--out", "o.csv").exit_code == 2
    assert _run("h3stats", "x.tif", "--res", "8", "--out", "o.txt").exit_code == 2
    res = _run("info", str(tmp_path / "none.duckdb"), lang="zh")
    assert res.exit_code == 1 and "onemap build" in res.output and "不存在" in res.output


def test_schema_mismatch_is_a_clear_error(built):
    con = duckdb.connect(str(built))
    con.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    con.close()
    res = _run("info", str(built))
    assert res.exit_code == 1 and "schema version 0" in res.output and "onemap build" in res.output


def _content(db: Path) -> dict[str, object]:
    """Row count of every table and the meta keys that do not change between builds of the
    same inputs (everything but build_id and built_at): what makes a store complete."""
    con = open_store(db)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_schema = 'main' ORDER BY 1").fetchall()]
        out: dict[str, object] = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        out["meta"] = sorted(r for r in con.execute("SELECT key, value FROM meta").fetchall()
                             if r[0] not in ("build_id", "built_at"))
        out["hazard_sum"] = con.execute("SELECT hazard, res, count(*), sum(class) FROM hazard_cells "
                                        "GROUP BY ALL ORDER BY ALL").fetchall()
        return out
    finally:
        con.close()


@pytest.mark.slow
def test_sigkill_at_any_moment_leaves_the_previous_store(tmp_path):
    region = make_region(tmp_path / "big", raster_rows=700)
    db = tmp_path / "s.duckdb"
    env = {**os.environ, "ONEMAP_LANG": "en"}
    cmd = [sys.executable, "-m", "etl", "build", str(region), "--db", str(db), "-q", "--cache", str(tmp_path / "c")]
    subprocess.run(cmd, check=True, env=env, cwd=ROOT, timeout=600)  # warm the zone-map cache
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, cwd=ROOT, timeout=600)
    full = time.perf_counter() - t0
    complete = _content(db)  # what a complete build of these inputs holds
    assert complete["hazard_cells"] > 0
    for frac in (0.05, 0.25, 0.5, 0.75, 0.9, 0.97):
        before = _sha(db)
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
        time.sleep(full * frac)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # either the exact previous store (byte for byte), or, killed after the atomic replace,
        # a complete new one: every table and the meta as a full build of the same inputs has
        if _sha(db) != before:
            assert _content(db) == complete, f"partial store after SIGKILL at {frac:.0%}"
    # the next build cleans up what the killed ones left and succeeds
    subprocess.run(cmd, check=True, env=env, cwd=ROOT, timeout=600)
    assert not list(db.parent.glob(".s.duckdb.staging-*"))
    open_store(db).close()


def test_build_refuses_workers_and_scheduler_together(tiny_region, tmp_path):
    for lang, word in (("en", "either --workers or --scheduler"), ("zh", "只能选一个")):
        res = _run("build", str(tiny_region), "--db", str(tmp_path / "t.duckdb"), "--workers", "2",
                   "--scheduler", "tcp://127.0.0.1:8786", "-q", lang=lang)
        assert res.exit_code == 2 and word in res.output and "Traceback" not in res.output
    assert not (tmp_path / "t.duckdb").exists()


def test_build_without_dask_names_the_extra(tiny_region, tmp_path, monkeypatch):
    import builtins  # noqa: PLC0415

    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name.split(".")[0] in ("dask", "distributed"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    res = _run("build", str(tiny_region), "--db", str(tmp_path / "t.duckdb"), "--workers", "2", "-q")
    assert res.exit_code == 2 and 'pip install "onemap[dask]"' in res.output
    assert not (tmp_path / "t.duckdb").exists()
