"""Finished H3 cell summaries spilled to disk and read back in cell order (out-of-core sort).

``onemap h3stats`` (``etl.h3stats.write_h3stats``) summarises a cell as soon as the row bands
have passed its last pixel (``etl.h3stats._Accumulator``). Kept in memory until the end, those
summaries (~72 B a cell) were what held ~2 GB on an 8 M-cell raster. With a ``CellSpill`` each
finished batch is appended to an unsorted Parquet file in a temporary folder beside the output;
at the end DuckDB sorts it by cell under a memory limit (spilling to the same folder) into a
second Parquet file, which is read back ``chunk_rows`` at a time. The folder is removed when
the spill is closed, also after an error. Values are float64/int64/uint64 throughout, so the
rows and floats are exactly those of the in-memory path.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

MEMORY_LIMIT = "256MB"  # DuckDB's share while sorting; the rest of the run stays far below 1 GB


class CellSpill:
    """Context manager: ``add(columns, sampled)`` per batch, then ``sorted_columns()`` once.

    ``columns`` are those of ``_Accumulator`` (cell, count, min, max, mean, p90 and a
    ``shares`` matrix with one column per break).
    """

    def __init__(self, where: str | Path, n_breaks: int, memory_limit: str = MEMORY_LIMIT):
        Path(where).mkdir(parents=True, exist_ok=True)
        self.dir = Path(tempfile.mkdtemp(prefix=".onemap-h3stats-", dir=where))
        self.n_breaks, self.memory_limit = n_breaks, memory_limit
        self.unsorted = self.dir / "unsorted.parquet"
        self._writer: pq.ParquetWriter | None = None
        self.rows = 0

    def __enter__(self) -> "CellSpill":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Drop the temporary folder (idempotent)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def _table(self, cols: dict[str, np.ndarray], sampled: bool) -> pa.Table:
        n = cols["cell"].size
        arrays = {k: pa.array(np.asarray(cols[k])) for k in ("cell", "count", "min", "max", "mean", "p90")}
        shares = np.asarray(cols["shares"], dtype=np.float64).reshape(n, self.n_breaks)
        for j in range(self.n_breaks):
            arrays[f"s{j}"] = pa.array(np.ascontiguousarray(shares[:, j]))
        arrays["sampled"] = pa.array(np.full(n, sampled, dtype=bool))
        return pa.table(arrays)

    def add(self, cols: dict[str, np.ndarray], sampled: bool = False) -> None:
        """Append one batch of finished cells (no cell twice over all batches)."""
        table = self._table(cols, sampled)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.unsorted, table.schema)
        self._writer.write_table(table)
        self.rows += table.num_rows

    def cells(self) -> np.ndarray:
        """Every cell added so far (unsorted), uint64."""
        if self._writer is None:
            return np.zeros(0, dtype=np.uint64)
        self._writer.close()
        self._writer = None
        cells = pq.read_table(self.unsorted, columns=["cell"]).column("cell").to_numpy()
        # later batches go to a new file so the first stays readable
        self.unsorted.rename(self.dir / f"unsorted-{len(list(self.dir.glob('unsorted-*')))}.parquet")
        return cells.astype(np.uint64, copy=False)

    def sorted_columns(self, chunk_rows: int) -> Iterator[tuple[dict[str, np.ndarray], np.ndarray]]:
        """All cells in cell order, ``chunk_rows`` at a time: (columns with ``shares``, sampled flags)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        files = sorted(self.dir.glob("unsorted*.parquet"))
        if not files:
            return
        out = self.dir / "sorted.parquet"
        con = duckdb.connect(config={"memory_limit": self.memory_limit, "threads": 1,
                                     "temp_directory": str(self.dir / "duckdb.tmp")})
        try:
            src = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
            dst = str(out).replace("'", "''")
            con.execute(f"COPY (SELECT * FROM read_parquet([{src}]) ORDER BY cell) TO '{dst}' (FORMAT parquet)")
        finally:
            con.close()
        for f in files:
            f.unlink()
        shares = [f"s{j}" for j in range(self.n_breaks)]
        for batch in pq.ParquetFile(out).iter_batches(batch_size=chunk_rows):
            cols = {k: batch.column(k).to_numpy(zero_copy_only=False)
                    for k in ("cell", "count", "min", "max", "mean", "p90")}
            cols["cell"] = cols["cell"].astype(np.uint64, copy=False)
            cols["count"] = cols["count"].astype(np.int64, copy=False)
            cols["shares"] = (np.column_stack([batch.column(s).to_numpy(zero_copy_only=False) for s in shares])
                              if shares else np.zeros((batch.num_rows, 0)))
            yield cols, batch.column("sampled").to_numpy(zero_copy_only=False).astype(bool)
