"""Population exposure in built stores: the demo store (census totals per city) and the tiny region."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner
from rasterio.transform import Affine

from etl.build import build_store
from etl.cli import main
from etl.store import open_store
from tests.integration.conftest import make_region

ROOT = Path(__file__).resolve().parents[2]
#: Resident population on 2020-11-01 (7th census bulletins of each city), rounded to 1,000.
CENSUS_2020 = {
    "110100": 21_893_000, "120100": 13_866_000, "130100": 11_235_000, "130200": 7_718_000,
    "130300": 3_137_000, "130400": 9_414_000, "130500": 7_111_000, "130600": 11_544_000,
    "130700": 4_119_000, "130800": 3_354_000, "130900": 7_301_000, "131000": 5_464_000,
    "131100": 4_213_000,
}


# --- the demo store --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(demo_db):
    con = open_store(demo_db)
    yield con
    con.close()


@pytest.mark.slow
@pytest.mark.parametrize("res", [8, 9])
def test_demo_city_sums_match_the_census_totals(demo, res):
    rows = demo.execute(
        "SELECT a.city, sum(e.population) FROM exposure_cells e JOIN admin_cells a USING (res, cell) "
        "WHERE e.res = ? GROUP BY a.city", [res]).fetchall()
    by_city = dict(rows)
    assert set(by_city) == set(CENSUS_2020)
    off = {c: by_city[c] / CENSUS_2020[c] - 1 for c in CENSUS_2020}
    assert max(abs(v) for v in off.values()) < 0.005, off  # cells clipped at city borders


@pytest.mark.slow
def test_demo_exposure_totals_and_meta(demo):
    meta = json.loads(demo.execute("SELECT value FROM meta WHERE key = 'exposure'").fetchone()[0])
    assert meta["synthetic"] is True and "合成" in meta["description"] and "SYNTHETIC" in meta["description"]
    assert "第七次全国人口普查公报" in meta["source"] and meta["units"] == "people"
    totals = dict(demo.execute("SELECT res, sum(population) FROM exposure_cells GROUP BY res").fetchall())
    assert sorted(totals) == [5, 6, 7, 8, 9]
    assert set(totals.values()) == {meta["total"]}  # integer counts: exactly equal
    assert meta["raster_total"] == sum(CENSUS_2020.values())
    assert meta["total"] + meta["outside"] == meta["raster_total"]
    assert meta["outside"] < 1e-3 * meta["raster_total"]
    path, sha, synthetic = demo.execute(
        "SELECT path, sha256, synthetic FROM sources WHERE source = 'exposure'").fetchone()
    assert path.endswith("population_synthetic.tif") and len(sha) == 64 and synthetic


def test_demo_raster_says_synthetic_and_carries_the_figures():
    with rasterio.open(ROOT / "geodata" / "jjj" / "population_synthetic.tif") as ds:
        tags = ds.tags()
        people = ds.read(1)
        nodata = ds.nodata
    assert tags["SYNTHETIC"] == "yes" and "合成" in tags["SYNTHETIC_ZH"]
    assert "第七次全国人口普查公报" in tags["CENSUS_SOURCE"] and "55%" in tags["RULE"]
    assert sorted(json.loads(tags["CENSUS_2020"]).values()) == sorted(CENSUS_2020.values())
    assert int(people[people != nodata].sum(dtype=np.int64)) == sum(CENSUS_2020.values())


# --- the tiny region ------------------------------------------------------------------------------


def _population(root: Path, data: np.ndarray) -> None:
    """A 0.01 degree population raster over the tiny region, partly outside its counties."""
    with rasterio.open(root / "population.tif", "w", driver="GTiff", width=data.shape[1], height=data.shape[0],
                       count=1, dtype=data.dtype, crs="EPSG:4326", nodata=-1,
                       transform=Affine(0.01, 0, 117.95, 0, -0.01, 39.75)) as dst:
        dst.write(data, 1)
    toml = root / "tiny.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + (
        '\n[exposure]\npath = "population.tif"\nunits = "people"\nsynthetic = true\n'
        'source = "test"\ndescription = "tiny"\n'), encoding="utf-8")


def test_tiny_region_with_exposure_conserves_and_reports_outside(tmp_path):
    region = make_region(tmp_path / "region", raster_rows=40)
    data = np.random.default_rng(2).integers(0, 500, (30, 50)).astype("int32")
    data[0, :10] = -1
    _population(region.parent, data)
    summary = build_store(region, tmp_path / "t.duckdb", cache_dir=tmp_path / "cache")
    con = open_store(tmp_path / "t.duckdb")
    try:
        totals = dict(con.execute("SELECT res, sum(population) FROM exposure_cells GROUP BY res").fetchall())
        in_admin = con.execute("SELECT count(*) FROM exposure_cells e ANTI JOIN admin_cells a USING (res, cell) "
                               "WHERE e.res = 8").fetchone()[0]
        meta = json.loads(con.execute("SELECT value FROM meta WHERE key = 'exposure'").fetchone()[0])
        rows_in, rows_loaded = con.execute(
            "SELECT rows_in, rows_loaded FROM sources WHERE source = 'exposure'").fetchone()
    finally:
        con.close()
    assert sorted(totals) == [6, 7, 8] and len(set(totals.values())) == 1
    assert in_admin == 0  # finest cells are region cells
    raster_total = float(data[data >= 0].sum())
    assert meta["raster_total"] == raster_total and meta["total"] == totals[8]
    assert 0 < meta["outside"] < raster_total and meta["total"] + meta["outside"] == raster_total
    assert summary["exposure"] == {"total": meta["total"], "outside": meta["outside"],
                                   "raster_total": raster_total, "synthetic": True}
    assert (rows_in, rows_loaded) == (data.size, data.size - 10)
    info = CliRunner().invoke(main, ["--lang", "en", "info", str(tmp_path / "t.duckdb")]).output
    assert f"population (synthetic): {meta['total']:,.0f} people in the region" in info
    assert f"{meta['outside']:,.0f} outside it (not stored)" in info
    assert f"exposure: {data.size:,} pixels → {data.size - 10:,} valid pixels" in info


def test_tiny_region_without_exposure_builds_as_before(tiny_region, tmp_path):
    summary = build_store(tiny_region, tmp_path / "t.duckdb", cache_dir=tmp_path / "cache")
    assert "exposure" not in summary and summary["tables"].get("exposure_cells") is None
    con = open_store(tmp_path / "t.duckdb")
    try:
        assert con.execute("SELECT count(*) FROM exposure_cells").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM meta WHERE key = 'exposure'").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM sources WHERE entity = 'exposure'").fetchone()[0] == 0
    finally:
        con.close()


def test_negative_population_stops_validate_and_build_with_a_clear_message(tmp_path):
    region = make_region(tmp_path / "region", raster_rows=40)
    data = np.full((30, 50), 10, "int32")
    data[3, 4] = -7
    _population(region.parent, data)
    db = tmp_path / "t.duckdb"
    for args in (["validate", str(region)], ["build", str(region), "--db", str(db), "-q"]):
        res = CliRunner().invoke(main, ["--lang", "en", *args])
        assert res.exit_code == 1, res.output
        assert "population.tif, band 1: the population raster has 1 negative pixel(s)" in res.output
        assert "row, column = 3, 4 (-7)" in res.output and "under [exposure]" in res.output
    assert not db.exists()
