"""Write the DuckDB store atomically, and open it read-only with a schema check.

A build writes ``.<name>.staging-<pid>`` beside the target, runs its checks, closes it and
``os.replace``s it over the old store. A build that fails or is killed at any moment leaves
the previous store as it was; stale staging files of dead builds are removed next time.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from etl import schema
from etl.errors import SchemaMismatchError, StoreError
from etl.procs import pid_alive as _alive

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
    """Remove staging files left by builds whose process is gone."""
    for p in db.parent.glob(f".{db.name}.staging-*"):
        pid = p.name.rsplit("-", 1)[-1].split(".")[0]
        if pid.isdigit() and not _alive(int(pid)):
            p.unlink(missing_ok=True)
            Path(str(p) + ".wal").unlink(missing_ok=True)


def write_store(db: Path, tables: dict[str, pd.DataFrame | pa.Table | None], meta: dict[str, Any]) -> None:
    """Write every table and ``meta`` to a staging file, check it, then replace ``db``.

    Raises
    ------
    StoreError
        When a check fails (the previous store is left untouched).
    """
    db.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_staging(db)
    tmp = staging_path(db)
    tmp.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(tmp))
        try:
            for name, ddl in schema.TABLES.items():
                con.execute(f"CREATE TABLE {schema.check_identifier(name)} ({ddl})")
            for name, df in tables.items():
                if df is None or len(df) == 0:
                    continue
                df = _arrow(name, df)
                schema.check_identifier(name)
                cols = ", ".join(schema.quote(schema.check_identifier(name, c)) for c in df.column_names)
                con.register("incoming", df)
                con.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM incoming")
                con.unregister("incoming")
            meta = {**meta, "schema_version": schema.SCHEMA_VERSION}
            con.executemany("INSERT INTO meta VALUES (?, ?)",
                            [(k, json.dumps(v, ensure_ascii=False)) for k, v in meta.items()])
            _check(con)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, db)
        dir_fd = os.open(db.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except BaseException:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
        raise


def _check(con: duckdb.DuckDBPyConnection) -> None:
    """Post-write checks on the staging store."""
    failures = []
    # an entity may be empty (a region of reserves only; every row of a file rejected): its
    # rejects are in the store. Without boundaries or hazards there is no map.
    for table in ("admin_units", "admin_cells", "hazard_cells"):
        if con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0:
            failures.append(f"{table} is empty")
    dup = con.execute(
        "SELECT count(*) FROM (SELECT hazard, res, cell FROM hazard_cells GROUP BY ALL HAVING count(*) > 1)"
    ).fetchone()[0]
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
