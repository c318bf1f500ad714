"""``layers.Store(path, fresh=True)``: a store reopened after ``onemap build`` replaced its file
reads the new file even while a connection to the old one is still in use (DuckDB keeps one
database instance per path and process and would hand back the old file's)."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd

from layers.store import Store
from tests.unit.world import build_world


def _world(path, build_id: str, extra_park: bool = False) -> None:
    """The tiny world at ``path`` with ``build_id``; with ``extra_park`` one park more."""
    build_world(path)
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = ? WHERE key = 'build_id'", [f'"{build_id}"'])
    if extra_park:
        con.execute("INSERT INTO parks SELECT * REPLACE ('extra-park' AS id) FROM parks LIMIT 1")
    con.close()


def test_a_replaced_file_is_read_afresh_while_the_old_store_is_open(tmp_path):
    db, new = tmp_path / "s.duckdb", tmp_path / "new.duckdb"
    _world(db, "old")
    _world(new, "new", extra_park=True)
    old = Store(db)
    parks = len(old.table("parks"))
    new.replace(db)  # as onemap build does: the new file takes the path in one step
    assert Store(db).meta["build_id"] == "old"  # DuckDB's cached instance: the old file still
    fresh = Store(db, fresh=True)
    try:
        assert fresh.meta["build_id"] == "new"
        assert len(fresh.table("parks")) == parks + 1
        assert old.meta["build_id"] == "old" and len(old.table("parks")) == parks  # the old one still answers
    finally:
        fresh.close()
        old.close()


def test_a_fresh_store_answers_like_a_shared_one(tmp_path):
    """Cursors of a fresh store read the attached file, with registered tables too."""
    db = tmp_path / "s.duckdb"
    _world(db, "b1")
    shared, fresh = Store(db), Store(shutil.copy(db, tmp_path / "copy.duckdb"), fresh=True)
    try:
        sql = "SELECT id FROM parks JOIN wanted USING (id) ORDER BY id"
        wanted = pd.DataFrame({"id": shared.table("parks")["id"].head(2)})
        assert fresh.query(sql, tables={"wanted": wanted}).equals(shared.query(sql, tables={"wanted": wanted}))
        assert fresh.hazards == shared.hazards and fresh.meta == shared.meta
    finally:
        shared.close()
        fresh.close()
