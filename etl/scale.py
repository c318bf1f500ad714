"""Raster -> H3 on Dask distributed: windows of rows as tasks, cells owned by one task each.

``onemap build --workers N`` starts a ``LocalCluster`` of N single-threaded worker processes;
``--scheduler ADDRESS`` uses a running Dask distributed cluster. Without either, the build
stays in one process and never imports Dask (an optional extra: ``pip install onemap[dask]``).

How the work is split (``plan_parts``):

- The raster's rows are cut into bands (a multiple of the 256-row window). Each H3 cell at
  the coarsest store resolution (the *partition* resolution) is owned by the band that holds
  its centre's pixel row; every finer cell belongs to the owner of its parent. So the H3
  parent partition decides the reducer, and no cell is ever split across two tasks.
- A task reads its band plus a margin above and below (enough for every pixel of every cell
  it owns), keeps only the pixels of owned cells and runs the same streaming code as the
  one-process build (``etl.h3stats.iter_raster_to_h3`` / ``etl.exposure``). Each cell is thus
  summarised once, whole, by the same code on the same values: identical rows and floats.
- If a task finds pixels of an owned cell on the first or last row it read, the margin was
  too small: it widens the margin and recomputes (never a silent partial cell).
- Zone maps are cached per task in the shared cache folder (every worker must reach it; a
  whole-grid map cached by a one-process build is reused too). Results go straight from the
  tasks, in band order, to the staging store: nothing is assembled whole.

A worker that dies or cannot read the raster fails the build with a message naming the
worker and the path; the staging store is dropped and the previous store stays as it was.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h3
import numpy as np
import pandas as pd

from etl.errors import DataError, OneMapError, Problem, UsageError
from etl.h3stats import Part, PartTooNarrow, iter_raster_to_h3
from etl.memory import limit_heap_growth

logger = logging.getLogger(__name__)

WINDOW_ROWS = 256
PARTS_PER_WORKER = 4  # tasks per worker: load balance vs. the margins read twice


@dataclass(frozen=True)
class RasterSpec:
    """How to open a raster on a worker (``etl.rasters.open_raster`` arguments)."""

    path: str
    band: int = 1
    crs: str | None = None
    nodata: float | None = None
    scale: float | None = None
    offset: float | None = None
    label: str | None = None

    def open(self):
        from etl.rasters import open_raster  # noqa: PLC0415

        return open_raster(self.path, band=self.band, crs=self.crs, nodata=self.nodata, scale=self.scale,
                           offset=self.offset, label=self.label)


@contextlib.contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """A Dask distributed client: a new ``LocalCluster`` of ``workers`` processes, or ``scheduler``.

    Raises
    ------
    UsageError
        Dask is not installed (``dask_missing``), or the scheduler cannot be reached.
    """
    try:
        import dask  # noqa: PLC0415
        from distributed import Client, LocalCluster  # noqa: PLC0415
    except ImportError:
        raise UsageError("dask_missing") from None
    for noisy in ("distributed", "tornado", "bokeh"):  # distributed sets INFO on import; keep the CLI quiet
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise UsageError("dask_scheduler", found=f"{scheduler} ({exc})") from None
        try:
            yield client
        finally:
            client.close()
        return
    # a local worker that dies was most likely out of memory: fail at once, do not retry
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = LocalCluster(n_workers=int(workers or 1), threads_per_worker=1, processes=True,
                               dashboard_address=":0", memory_limit=0, silence_logs=logging.ERROR)
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()


def plan_parts(grid, resolutions: Sequence[int], n_parts: int, window_rows: int = WINDOW_ROWS,
               align: bool = True) -> list[Part]:
    """Cut the raster's rows into ``n_parts`` bands (window-aligned) with their read margins.

    ``align``: the read rows also start and end on window boundaries, so that sums are added
    in the same windows as in one process (population); statistics from sorted values
    (hazards) do not need it and read only the margin.
    """
    part_res, finest = min(resolutions), max(resolutions)
    n_windows = math.ceil(grid.height / window_rows)
    n_parts = max(1, min(n_parts, n_windows))
    cuts = [round(i * n_windows / n_parts) * window_rows for i in range(n_parts + 1)]
    cuts[-1] = grid.height
    margin = margin_rows(grid, part_res, finest)
    parts = []
    for own0, own1 in zip(cuts, cuts[1:]):
        if own1 <= own0:
            continue
        read0, read1 = max(0, own0 - margin), min(grid.height, own1 + margin)
        if align:
            read0 = read0 // window_rows * window_rows
            read1 = min(grid.height, -(-read1 // window_rows) * window_rows)
        parts.append(Part(own0, own1, read0, read1, part_res))
    return parts


def margin_rows(grid, part_res: int, finest: int) -> int:
    """Rows from a partition cell's centre row that its pixels may reach (widened on demand)."""
    row_m = max(grid.pixel_dims_m()[1], 1e-9)
    reach = 1.5 * h3.average_hexagon_edge_length(part_res, "m") + 2.6 * h3.average_hexagon_edge_length(finest, "m")
    return int(math.ceil(reach / row_m)) + 2


def _widen(part: Part, grid, extra: int, window_rows: int, align: bool) -> Part:
    read0, read1 = max(0, part.read0 - extra), min(grid.height, part.read1 + extra)
    if align:
        read0 = read0 // window_rows * window_rows
        read1 = min(grid.height, -(-read1 // window_rows) * window_rows)
    return Part(part.own0, part.own1, read0, read1, part.part_res)


def _worker_name() -> str:
    try:
        from distributed import get_worker  # noqa: PLC0415

        return str(get_worker().address)
    except (ImportError, ValueError):
        return "local"


def _open(spec: RasterSpec):
    """Open the raster on this worker; a failure names the worker and the path."""
    os.environ.setdefault("GDAL_CACHEMAX", "64")  # as the CLI: GDAL's block cache stays small
    limit_heap_growth()
    try:
        return spec.open()
    except DataError as exc:
        # which worker, then what it found (the original problems, rendered in the user's language)
        raise DataError([Problem("worker_cannot_read", spec.path, {"worker": _worker_name()}),
                         *exc.problems]) from None


def hazard_task(spec: RasterSpec, resolutions: Sequence[int], breaks: Sequence[float], part: Part,
                cache_dir: str | None, sample_cells: Mapping[int, np.ndarray] | None,
                window_rows: int = WINDOW_ROWS) -> list[tuple[int, pd.DataFrame]]:
    """One task: the H3 statistics of every cell owned by ``part`` (all resolutions)."""
    with _open(spec) as rd:
        for _attempt in range(6):
            try:
                return list(iter_raster_to_h3(rd, resolutions, breaks, cache_dir=cache_dir,
                                              sample_cells=sample_cells, window_rows=window_rows, part=part))
            except PartTooNarrow as exc:
                logger.info("%s: %s; widening", spec.path, exc)
                part = _widen(part, rd.grid, max(part.own1 - part.own0, window_rows), window_rows, False)
        raise RuntimeError(f"{spec.path}: part {part} could not be widened enough")


def exposure_task(spec: RasterSpec, resolutions: Sequence[int], part: Part, cache_dir: str | None,
                  window_rows: int = WINDOW_ROWS):
    """One task: people per finest cell owned by ``part`` (``etl.exposure.exposure_part``)."""
    from etl.exposure import exposure_part  # noqa: PLC0415

    with _open(spec) as rd:
        for _attempt in range(6):
            try:
                return exposure_part(rd, max(resolutions), part, cache_dir=cache_dir, window_rows=window_rows)
            except PartTooNarrow:
                part = _widen(part, rd.grid, max(part.own1 - part.own0, window_rows), window_rows, True)
        raise RuntimeError(f"{spec.path}: part {part} could not be widened enough")


def run_parts(client: Any, fn: Callable, spec: RasterSpec, parts: list[Part], args: tuple,
              progress: Callable[[int], None] | None = None) -> Iterator[Any]:
    """Submit ``fn(spec, *args_before_part, part, ...)`` per part; yield results in part order.

    ``args`` is ``(before, after)``: arguments placed before and after the part. Progress
    advances by each finished part's own rows, whatever order they finish in.

    Raises
    ------
    DataError
        A worker died (``worker_died``) or could not read the raster (``worker_cannot_read``).
    """
    from distributed import as_completed  # noqa: PLC0415

    before, after = args
    futures = [client.submit(fn, spec, *before, part, *after, pure=False, key=f"onemap-{Path(spec.path).name}-{i}-{id(parts)}")
               for i, part in enumerate(parts)]
    rows = {f.key: p.own1 - p.own0 for f, p in zip(futures, parts)}
    done: dict[str, Any] = {}
    try:
        for fut in as_completed(futures):
            if fut.status == "error":
                _raise_task_error(fut, spec)
            done[fut.key] = fut
            if progress:
                progress(rows[fut.key])
        for fut in futures:
            result = done.pop(fut.key).result()
            fut.release()
            yield result
    finally:
        for fut in futures:
            fut.cancel()


def _raise_task_error(fut: Any, spec: RasterSpec) -> None:
    from distributed.scheduler import KilledWorker  # noqa: PLC0415

    exc = fut.exception()
    if isinstance(exc, OneMapError):
        raise exc
    if isinstance(exc, KilledWorker):
        worker = getattr(exc, "last_worker", None)
        name = getattr(worker, "address", None) or str(worker or "?")
        raise DataError([Problem("worker_died", spec.path, {"worker": name})]) from None
    raise DataError([Problem("worker_failed", spec.path, {
        "worker": "?", "found": f"{type(exc).__name__}: {exc}"})]) from None


def n_workers(client: Any) -> int:
    """Worker threads of the cluster (at least 1)."""
    return max(1, sum(client.nthreads().values()))


def hazard_chunks(client: Any, spec: RasterSpec, grid, resolutions: Sequence[int], breaks: Sequence[float], *,
                  cache_dir: str | Path | None, sample_cells: Mapping[int, np.ndarray] | None,
                  progress: Callable[[int], None] | None = None,
                  window_rows: int = WINDOW_ROWS) -> Iterator[tuple[int, pd.DataFrame]]:
    """``etl.h3stats.iter_raster_to_h3`` on the cluster: the same rows, chunk by chunk, part by part."""
    parts = plan_parts(grid, resolutions, PARTS_PER_WORKER * n_workers(client), window_rows, align=False)
    cells = None
    if sample_cells is not None:  # sent once to every worker, not once per task
        cells = client.scatter({"cells": dict(sample_cells)}, broadcast=True)["cells"]
    cache = None if cache_dir is None else str(cache_dir)
    for result in run_parts(client, hazard_task, spec, parts,
                            ((list(resolutions), list(breaks)), (cache, cells, window_rows)), progress):
        yield from result


def exposure_sums(client: Any, spec: RasterSpec, grid, resolutions: Sequence[int], *,
                  cache_dir: str | Path | None, progress: Callable[[int], None] | None = None,
                  window_rows: int = WINDOW_ROWS) -> list:
    """``etl.exposure.exposure_part`` for every part on the cluster (finest cells owned once)."""
    finest = max(resolutions)
    parts = plan_parts(grid, [finest], PARTS_PER_WORKER * n_workers(client), window_rows)
    cache = None if cache_dir is None else str(cache_dir)
    return list(run_parts(client, exposure_task, spec, parts, ((list(resolutions),), (cache, window_rows)),
                          progress))
