"""Read-only access to a built store: one read-only DuckDB connection, a cursor per call.

DuckDB connections are not thread-safe, so every query takes its own ``cursor()``; values
travel as ``?`` parameters and identifiers come from ``etl.schema``'s allowlist.
"""

from __future__ import annotations

import json
import math
import threading
from functools import cached_property
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from etl import schema


class StoreUnavailable(RuntimeError):
    """The store is missing, unreadable or of another schema version (names the fix)."""

    def __init__(self, zh: str, en: str):
        self.zh, self.en = zh, en
        super().__init__(en)


class Store:
    """A read-only store shared by the app's threads.

    ``fresh=True`` reads the file as it is now in a DuckDB instance of its own (the file attached
    to an in-memory database), for a store reopened after a rebuild: DuckDB keeps one instance per
    path and process, and ``duckdb.connect`` would hand back the replaced file's while a
    connection to it is still in use.
    """

    def __init__(self, path: str | Path, *, fresh: bool = False):
        self.path = Path(path)
        self._use: str | None = None  # the statement that points a cursor at the attached file
        if not self.path.is_file():
            raise StoreUnavailable(f"数据库 {self.path} 不存在。请先运行：onemap build",
                                   f"store {self.path} does not exist. Run: onemap build")
        try:
            if fresh:
                self._con = duckdb.connect()
                quoted = str(self.path.resolve()).replace("'", "''")
                self._con.execute(f"ATTACH '{quoted}' AS onemap_store (READ_ONLY)")
                self._use = "USE onemap_store"
                self._con.execute(self._use)
            else:
                self._con = duckdb.connect(str(self.path), read_only=True)
            rows = self._con.execute("SELECT key, value FROM meta").fetchall()
        except duckdb.Error as exc:
            raise StoreUnavailable(f"无法打开数据库 {self.path}：{exc}。请重新构建：onemap build",
                                   f"cannot open {self.path}: {exc}. Rebuild: onemap build") from None
        self.meta: dict[str, Any] = {k: json.loads(v) for k, v in rows}
        found = self.meta.get("schema_version")
        if found != schema.SCHEMA_VERSION:
            self._con.close()
            raise StoreUnavailable(
                f"数据库 {self.path} 的结构版本为 {found}，需要 {schema.SCHEMA_VERSION}。请重新构建：onemap build",
                f"store {self.path} has schema version {found}, need {schema.SCHEMA_VERSION}. Rebuild: onemap build")
        self._lock = threading.Lock()

    def query(self, sql: str, params: list[Any] | tuple = (), *, tables: dict[str, Any] | None = None,
              numpy: bool = False) -> pd.DataFrame | dict[str, Any]:
        """Run parameterised SQL on a fresh cursor.

        ``tables`` are registered on that cursor only (name -> Arrow table or DataFrame), e.g.
        the candidate cells of a viewport; ``numpy=True`` returns ``fetchnumpy()``'s dict.
        """
        with self._lock:
            cur = self._con.cursor()
        try:
            if self._use:  # a cursor starts in the in-memory database
                cur.execute(self._use)
            for name, table in (tables or {}).items():
                cur.register(name, table)
            result = cur.execute(sql, list(params))
            return result.fetchnumpy() if numpy else result.df()
        finally:
            cur.close()

    @cached_property
    def hazards(self) -> list[str]:
        """The hazard layers' names in region-file order (read once: the store is read-only)."""
        return self.query("SELECT hazard FROM hazard_layers ORDER BY rowid")["hazard"].tolist()

    def table(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        """A whole (small) table, columns checked against the allowlist."""
        schema.check_identifier(name)
        cols = ", ".join(schema.quote(schema.check_identifier(name, c)) for c in columns) if columns else "*"
        return self.query(f"SELECT {cols} FROM {name}")

    def close(self) -> None:
        self._con.close()


def json_ready(value: Any) -> Any:
    """A DataFrame cell as JSON-ready Python: arrays -> lists, NumPy scalars -> Python,
    NaN/inf/NA/NaT/None -> None (JSON has no NaN)."""
    if isinstance(value, (np.ndarray, list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return None if pd.isna(value) else value
