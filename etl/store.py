"""Write the DuckDB store atomically, and open it read-only with a schema check.

A build writes ``.<name>.staging-<pid>`` beside the target (table by table, chunk by chunk:
``StagingStore``), runs its checks, closes it and ``os.replace``s it over the old store. A build that fails or is killed at any moment leaves
the previous store as it was; stale staging files of dead builds are removed next time.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from etl import schema
from etl.errors import SchemaMismatchError, StoreError
from etl.procs import pid_alive

logger = logging.getLogger(__name__)


def _arrow(name: str, df: pd.DataFrame | pa.Table) -> pa.Table:
    """DataFrame -> Arrow with the store's list and UBIGINT types (Arrow tables pass through)."""
    if isinstance(df, pa.Table):
        return df
    arrays, names = [], []
    for col in df.columns:
        s = df[col]
        if col in ("cell",):
            arrays.append(pa.array(s.to_numpy(np.uint64), type=pa.uint64()))
        elif col in ("chains", "categories", "labels", "breaks", "bbox"):
            arrays.append(pa.array([list(v) for v in s]))
        elif col == "geometry":
            arrays.append(pa.array(s.to_list(), type=pa.binary()))
        else:
            arrays.append(pa.Array.from_pandas(s))
        names.append(col)
    return pa.Table.from_arrays(arrays, names=names)


def staging_path(db: Path) -> Path:
    return db.with_name(f".{db.name}.staging-{os.getpid()}")


def clean_stale_staging(db: Path) -> None:
    """Remove staging files (and their spill folders) left by builds whose process is gone."""
    for p in db.parent.glob(f".{db.name}.staging-*"):
        pid = p.name.rsplit("-", 1)[-1].split(".")[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            _remove(p)


def _remove(p: Path) -> None:
    if p.is_dir():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


class StagingStore:
    """A store being built: tables are appended in chunks, then checked and swapped in.

    Use as a context manager. ``append`` writes one chunk (a DataFrame or Arrow table) to the
    staging file beside ``db`` as soon as it is computed, so no table is ever held whole in
    memory; DuckDB itself is capped at ``memory_limit`` and spills to a folder beside the
    staging file. ``commit(meta)`` runs the checks and ``os.replace``s the staging file over
    ``db``. Leaving the block without a commit (an error, Ctrl+C) deletes the staging file
    and the previous store stays as it was; a killed build's files are removed by the next.

    Examples
    --------
    >>> with StagingStore(Path("data/jjj.duckdb")) as st:  # doctest: +SKIP
    ...     st.append("admin_cells", chunk)
    ...     st.commit({"region": "jjj"})
    """

    def __init__(self, db: Path, memory_limit: str = "64MB"):
        self.db = Path(db)
        self.memory_limit = memory_limit
        self.path = staging_path(self.db)
        self.spill = self.path.with_name(self.path.name + ".tmp")
        self.con: duckdb.DuckDBPyConnection | None = None
        self.rows: dict[str, int] = {}
        self.committed = False

    def __enter__(self) -> "StagingStore":
        self.db.parent.mkdir(parents=True, exist_ok=True)
        clean_stale_staging(self.db)
        self._cleanup()
        try:
            self.con = duckdb.connect(str(self.path), config={
                "memory_limit": self.memory_limit, "temp_directory": str(self.spill),
                "preserve_insertion_order": False, "threads": 1})
            for name, ddl in schema.TABLES.items():
                self.con.execute(f"CREATE TABLE {schema.check_identifier(name)} ({ddl})")
        except BaseException:
            self._abort()
            raise
        return self

    def append(self, name: str, df: pd.DataFrame | pa.Table | None) -> None:
        """Insert one chunk of rows into table ``name`` (empty or None: nothing)."""
        if df is None or len(df) == 0:
            return
        assert self.con is not None, "StagingStore.append outside its with-block"
        df = _arrow(name, df)
        schema.check_identifier(name)
        cols = ", ".join(schema.quote(schema.check_identifier(name, c)) for c in df.column_names)
        self.con.register("incoming", df)
        try:
            self.con.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM incoming")
        finally:
            self.con.unregister("incoming")
        self.rows[name] = self.rows.get(name, 0) + len(df)

    @property
    def scratch(self) -> Path:
        """A folder for the build's temporary files (beside the staging file, removed with it;
        a killed build's is removed by the next build)."""
        self.spill.mkdir(parents=True, exist_ok=True)
        return self.spill

    def append_parquet(self, name: str, path: Path) -> None:
        """Insert every row of a Parquet file (columns named as the table's) into table ``name``."""
        assert self.con is not None, "StagingStore.append_parquet outside its with-block"
        cols = [c for c in pq.read_schema(path).names]
        sql_cols = ", ".join(schema.quote(schema.check_identifier(name, c)) for c in cols)
        schema.check_identifier(name)
        n = self.con.execute(f"INSERT INTO {name} ({sql_cols}) SELECT {sql_cols} FROM read_parquet(?)",
                             [str(path)]).fetchall()[0][0]  # INSERT answers with its row count
        self.rows[name] = self.rows.get(name, 0) + int(n)

    def commit(self, meta: dict[str, Any]) -> None:
        """Write ``meta``, check the staging store, then replace ``db`` with it.

        Raises
        ------
        StoreError
            When a check fails (the previous store is left untouched).
        """
        assert self.con is not None, "StagingStore.commit outside its with-block"
        meta = {**meta, "schema_version": schema.SCHEMA_VERSION}
        self.con.executemany("INSERT INTO meta VALUES (?, ?)",
                             [(k, json.dumps(v, ensure_ascii=False)) for k, v in meta.items()])
        _check(self.con)
        self.con.execute("CHECKPOINT")
        self.con.close()
        self.con = None
        with open(self.path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(self.path, self.db)
        self.committed = True
        dir_fd = os.open(self.db.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        self._cleanup()

    def __exit__(self, *exc: object) -> None:
        self._abort()

    def _abort(self) -> None:
        if self.con is not None:
            try:
                self.con.close()
            finally:
                self.con = None
        self._cleanup()

    def _cleanup(self) -> None:
        if not self.committed:
            self.path.unlink(missing_ok=True)
        Path(str(self.path) + ".wal").unlink(missing_ok=True)
        shutil.rmtree(self.spill, ignore_errors=True)


def write_store(db: Path, tables: dict[str, pd.DataFrame | pa.Table | None], meta: dict[str, Any]) -> None:
    """Write every table and ``meta`` to a staging file, check it, then replace ``db``.

    Raises
    ------
    StoreError
        When a check fails (the previous store is left untouched).
    """
    with StagingStore(db) as st:
        for name, df in tables.items():
            st.append(name, df)
        st.commit(meta)


def _check(con: duckdb.DuckDBPyConnection) -> None:
    """Post-write checks on the staging store."""
    failures = []
    # an entity may be empty (a region of reserves only; every row of a file rejected): its
    # rejects are in the store. Without boundaries or hazards there is no map.
    for table in ("admin_units", "admin_cells", "hazard_cells"):
        if con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0:
            failures.append(f"{table} is empty")
    # one hazard and resolution at a time: a whole-table GROUP BY outgrows the staging cap
    dup = sum(con.execute("SELECT count(*) - count(DISTINCT cell) FROM hazard_cells "
                          "WHERE hazard = ? AND res = ? AND hash(cell) % 16 = ?", [h, r, part]).fetchone()[0]
              for h, r in con.execute("SELECT DISTINCT hazard, res FROM hazard_cells").fetchall()
              for part in range(16))
    if dup:
        failures.append(f"{dup} duplicate hazard cells")
    # totals agree across resolutions
    bad = con.execute(
        "SELECT hazard FROM (SELECT hazard, res, sum(count) AS total FROM hazard_cells "
        "GROUP BY hazard, res) GROUP BY hazard HAVING count(DISTINCT total) > 1"
    ).fetchall()
    if bad:
        failures.append(f"pixel totals differ across resolutions for {[b[0] for b in bad]}")
    failures += _check_exposure(con)
    if failures:
        raise StoreError("store_unreadable", path="(staging)", found="; ".join(failures))


def _check_exposure(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Exposure rows: one per (res, cell), no negative counts, the same total at every res."""
    out = []
    dup, neg = con.execute(
        "SELECT (SELECT count(*) FROM (SELECT res, cell FROM exposure_cells GROUP BY ALL HAVING count(*) > 1)), "
        "(SELECT count(*) FROM exposure_cells WHERE NOT population >= 0)").fetchone()
    if dup:
        out.append(f"{dup} duplicate exposure cells")
    if neg:
        out.append(f"{neg} exposure cells with a negative or NaN population")
    lo, hi = con.execute(
        "SELECT min(total), max(total) FROM (SELECT sum(population) AS total FROM exposure_cells GROUP BY res)"
    ).fetchone()
    if lo is not None and hi - lo > 1e-9 * max(abs(hi), 1.0):
        out.append(f"population totals differ across resolutions ({lo} to {hi})")
    return out


def open_store(db: str | Path, region_hint: str = "") -> duckdb.DuckDBPyConnection:
    """Open a store read-only after checking it exists and has this schema version.

    Raises
    ------
    StoreError
        Missing or unreadable.
    SchemaMismatchError
        Built by another schema version.
    """
    db = Path(db)
    if not db.is_file():
        raise StoreError("store_missing", path=str(db), region=region_hint)
    con = None
    try:
        con = duckdb.connect(str(db), read_only=True)
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except duckdb.Error as exc:
        if con is not None:
            con.close()
        raise StoreError("store_unreadable", path=str(db), found=str(exc).splitlines()[0]) from None
    found = json.loads(row[0]) if row else None
    if found != schema.SCHEMA_VERSION:
        con.close()
        raise SchemaMismatchError("store_schema", path=str(db), found=found, expected=schema.SCHEMA_VERSION)
    return con
