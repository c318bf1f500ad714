"""Tests of etl.store: atomic write, checks, staging clean-up and the read-only open."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import h3
import pandas as pd
import pytest

from etl import schema
from etl.errors import SchemaMismatchError, StoreError
from etl.store import clean_stale_staging, open_store, staging_path, write_store



#: The res-7 and res-8 cells of a point in Beijing (UBIGINT in the store).
CELLS = [h3.str_to_int(h3.latlng_to_cell(39.9, 116.4, res)) for res in (7, 8)]


@pytest.fixture
def dead_pid() -> int:
    """A pid no process has (checked, not assumed)."""
    for pid in (999_999, 4_194_000, 3_999_999):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            continue
    pytest.skip("no free pid found")


def facility(**extra) -> pd.DataFrame:
    return pd.DataFrame({"id": ["a-1"], "name": ["甲"], "lon": [116.4], "lat": [39.9],
                         "precision": ["exact"], "adcode": ["110105"], "address": [None],
                         "synthetic": [False], "source": ["s"], "source_row": [2],
                         "city": [None], **{k: [v] for k, v in extra.items()}})


def tables() -> dict[str, pd.DataFrame]:
    """One row in every table the checks require."""
    return {
        "parks": facility(level="national_demo", role=None, chains=["rescue"]),
        "enterprises": facility(chains=["comms"], above_size=True, leading=False, listed=False,
                                output_yi=1.5, products=None),
        "reserves": facility(tier="county", kind="physical", categories=["帐篷"], capacity=10.0,
                             capacity_unit="顶"),
        "admin_units": pd.DataFrame({"adcode": ["110105"], "name": ["朝阳区"], "level": ["county"],
                                     "parent": ["110000"], "lon": [116.44], "lat": [39.92],
                                     "area_km2": [470.8], "bbox": [[116.3, 39.8, 116.6, 40.1]],
                                     "geometry": [b"\x01"]}),
        "admin_cells": pd.DataFrame({"res": [7, 8], "cell": CELLS, "county": ["110105"] * 2,
                                     "city": [None] * 2, "province": ["110000"] * 2}),
        "hazard_cells": pd.DataFrame({"hazard": ["flood"] * 2, "res": [7, 8],
                                      "cell": CELLS,
                                      "count": [4, 4], "min": [0.0] * 2, "max": [1.0] * 2,
                                      "mean": [0.5] * 2, "p90": [0.9] * 2, "class": [2] * 2,
                                      "shares": [[1.0, 0.5]] * 2, "sampled": [False] * 2}),
    }


def staging_files(db: Path) -> list[str]:
    return sorted(p.name for p in db.parent.glob(f".{db.name}.staging-*"))


# --- open_store ---------------------------------------------------------------------------------


def test_open_missing_store(tmp_path):
    with pytest.raises(StoreError) as excinfo:
        open_store(tmp_path / "jjj.duckdb", region_hint="geodata/regions/jjj.toml")
    assert excinfo.value.code == "store_missing"
    assert "onemap build geodata/regions/jjj.toml" in excinfo.value.render("en")
    assert "onemap build" in excinfo.value.render("zh")
    assert not isinstance(excinfo.value, SchemaMismatchError)


def test_open_store_of_another_schema_version(tmp_path):
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)")
    con.execute("INSERT INTO meta VALUES ('schema_version', '0')")
    con.close()
    with pytest.raises(SchemaMismatchError) as excinfo:
        open_store(db)
    assert excinfo.value.code == "store_schema"
    assert (excinfo.value.params["found"], excinfo.value.params["expected"]) == (
        0, schema.SCHEMA_VERSION)


def test_open_store_without_meta_is_unreadable(tmp_path):
    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    with pytest.raises(StoreError) as excinfo:
        open_store(db)
    assert excinfo.value.code == "store_unreadable"


def test_open_a_file_that_is_not_duckdb(tmp_path):
    db = tmp_path / "junk.duckdb"
    db.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError) as excinfo:
        open_store(db)
    assert excinfo.value.code == "store_unreadable"


# --- write_store --------------------------------------------------------------------------------


def test_write_then_open(tmp_path):
    db = tmp_path / "out" / "jjj.duckdb"
    write_store(db, tables(), {"region": "jjj", "resolutions": [7, 8]})
    assert staging_files(db) == []
    con = open_store(db)
    try:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        assert {k: json.loads(v) for k, v in meta.items()} == {
            "region": "jjj", "resolutions": [7, 8], "schema_version": schema.SCHEMA_VERSION}
        assert con.execute("SELECT id, name, chains FROM parks").fetchall() == [
            ("a-1", "甲", ["rescue"])]
        assert con.execute("SELECT cell FROM admin_cells ORDER BY res").fetchall() == [
            (CELLS[0],), (CELLS[1],)]
        assert con.execute("SELECT categories FROM reserves").fetchone()[0] == ["帐篷"]
        with pytest.raises(duckdb.Error):
            con.execute("DELETE FROM parks")  # read-only
    finally:
        con.close()


def test_failed_check_leaves_the_old_store_untouched(tmp_path):
    db = tmp_path / "jjj.duckdb"
    write_store(db, tables(), {"region": "jjj"})
    before = db.read_bytes()
    bad = tables()
    bad["admin_units"] = bad["admin_units"].iloc[:0]  # an entity may be empty; boundaries may not
    with pytest.raises(StoreError) as excinfo:
        write_store(db, bad, {"region": "other"})
    assert excinfo.value.code == "store_unreadable"
    assert "admin_units is empty" in excinfo.value.params["found"]
    assert db.read_bytes() == before
    assert staging_files(db) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jjj.duckdb"]


def test_pixel_totals_must_agree_across_resolutions(tmp_path):
    db = tmp_path / "jjj.duckdb"
    bad = tables()
    bad["hazard_cells"].loc[1, "count"] = 5
    with pytest.raises(StoreError) as excinfo:
        write_store(db, bad, {})
    assert "pixel totals differ across resolutions for ['flood']" in excinfo.value.params["found"]
    assert not db.exists() and staging_files(db) == []


def test_write_error_on_bad_data_cleans_up(tmp_path):
    db = tmp_path / "jjj.duckdb"
    bad = tables()
    bad["parks"] = pd.concat([bad["parks"], bad["parks"]])  # duplicate primary key
    with pytest.raises(duckdb.Error):
        write_store(db, bad, {})
    assert not db.exists() and staging_files(db) == []


def test_staging_path_is_hidden_and_names_the_pid(tmp_path):
    assert staging_path(tmp_path / "jjj.duckdb") == tmp_path / f".jjj.duckdb.staging-{os.getpid()}"


# --- stale staging files ------------------------------------------------------------------------


def test_clean_stale_staging(tmp_path, dead_pid):
    db = tmp_path / "jjj.duckdb"
    dead = tmp_path / f".jjj.duckdb.staging-{dead_pid}"
    dead_wal = tmp_path / f".jjj.duckdb.staging-{dead_pid}.wal"
    alive = tmp_path / f".jjj.duckdb.staging-{os.getpid()}"
    other = tmp_path / f".other.duckdb.staging-{dead_pid}"
    for p in (dead, dead_wal, alive, other):
        p.write_bytes(b"x")
    clean_stale_staging(db)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, other.name])
