"""Write a table chunk by chunk to Parquet or CSV, replacing the output only when complete.

``onemap h3stats`` writes its cells this way (``etl.h3stats.write_h3stats``,
``etl.vector_hazards.write_vector_h3stats``): each chunk of ``iter_raster_to_h3`` /
``iter_vector_to_h3`` is converted (H3 ids to strings) and written before the next is computed,
so the whole table is never held in memory. The rows and values are those of writing the
concatenated table at once (``DataFrame.to_parquet`` / ``to_csv`` with ``index=False``); a
Parquet file may hold several row groups. The output appears only after the last chunk (a
temporary file beside it is renamed), so a failed or interrupted run leaves no half-written file.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


class ChunkWriter:
    """Context manager: ``write(df)`` per chunk (same columns each time); Parquet unless ``out`` ends in .csv.

    Examples
    --------
    >>> with ChunkWriter(Path("cells.parquet")) as w:  # doctest: +SKIP
    ...     for df in chunks:
    ...         w.write(df)
    """

    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.csv = self.out.suffix.lower() == ".csv"
        self.tmp = self.out.with_name(f".{self.out.name}.{os.getpid()}.tmp")
        self.rows = 0
        self._pq: pq.ParquetWriter | None = None
        self._started = False

    def __enter__(self) -> "ChunkWriter":
        self.out.parent.mkdir(parents=True, exist_ok=True)
        return self

    def write(self, df: pd.DataFrame) -> None:
        """Append one chunk (the first one, even empty, fixes the columns)."""
        if self.csv:
            df.to_csv(self.tmp, index=False, mode="a" if self._started else "w", header=not self._started)
        else:
            table = pa.Table.from_pandas(df, preserve_index=False)
            if self._pq is None:
                self._pq = pq.ParquetWriter(self.tmp, table.schema)
            self._pq.write_table(table)
        self._started = True
        self.rows += len(df)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._pq is not None:
            self._pq.close()
        if exc_type is None and self._started:
            os.replace(self.tmp, self.out)
        else:
            self.tmp.unlink(missing_ok=True)
