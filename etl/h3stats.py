"""Raster -> H3 cell statistics, streamed over row windows with bounded memory.

Method (also written into the store's ``meta``):

- Each valid pixel goes to the H3 cell at the finest resolution that contains its centre
  (``etl.zonemap``; identical to calling ``h3.latlng_to_cell`` per pixel).
- Coarser resolutions group the same pixels by the H3 parent of their finest cell, so a
  parent's count is exactly the sum of its children's counts, its mean the count-weighted
  mean of theirs, its shares the count-weighted shares: totals agree across zoom levels.
- Per cell: count, min, max, mean, p90 (linear interpolation, as ``numpy.percentile``),
  share of valid pixels with value >= each class break, and ``class`` = the number of
  breaks <= max.
- Where cells are small against pixels (cell area < 4 pixel areas), cells whose centre lies
  on a valid pixel but that received no pixel centre take that pixel's value, with
  ``count = 0`` and ``sampled = true``; they add nothing to coarser cells.

p90 is exact at every resolution: a cell's values are kept until no later row can add to it
(known from the cell's boundary), then summarised and dropped.

Cost: values are sorted once by (cell, value) at the finest resolution; each coarser resolution
receives its children's sorted runs and merges them (a stable sort of presorted runs), which
halved the build of a 256 Mpx raster against sorting every resolution's pixels afresh
(tests/bench/RESULTS.md). Shares come from the sorted codes by bisection, not a pass per break.

The module is long (~650 lines) because the whole-raster path, the chunked path the build streams
and the per-part path of the Dask tasks share one accumulator and its roll-up; split, they would
pass the same window state between modules.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import h3
import h3.api.basic_int as h3i
import numpy as np
import pandas as pd
from h3._cy import cell_to_latlng as _c_cell_to_latlng

from etl.chunkout import ChunkWriter
from etl.errors import DataError, Problem
from etl.h3spill import CellSpill
from etl.memory import release_memory
from etl.rasters import RasterReader
from etl.valuecodes import ValueCodec, pack_keys, unpack_keys
from etl.zonemap import CellIndex, ZoneMap

logger = logging.getLogger(__name__)

METHOD = (
    "pixel centre -> finest H3 cell (exact, as h3.latlng_to_cell); coarser resolutions are "
    "exact aggregates of their H3 children (counts summed; mean and shares weighted by count; "
    "min/max/p90 over the same pixels); p90 = linear interpolation; class = number of breaks "
    "<= max; cells smaller than pixels without a pixel centre take the pixel under their "
    "centre (sampled = true, count = 0)"
)
STAT_COLUMNS = ("cell", "count", "min", "max", "mean", "p90", "sampled")


def share_columns(breaks: Sequence[float]) -> list[str]:
    """Names of the share columns: ``share_ge_<break>`` (e.g. ``share_ge_0.15``)."""
    return [f"share_ge_{b:g}" for b in breaks]


def cell_centres(cells: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """(n, 2) lat/lng of H3 cell centres, a chunk at a time (no list of millions of tuples)."""
    cells = np.asarray(cells, dtype=np.uint64)
    out = np.empty((cells.size, 2), dtype=np.float64)
    for i in range(0, cells.size, chunk):
        part = cells[i:i + chunk].tolist()
        out[i:i + len(part)] = np.array([_c_cell_to_latlng(c) for c in part], dtype=np.float64).reshape(-1, 2)
    return out


def cell_to_parent_array(cells: np.ndarray, res: int) -> np.ndarray:
    """Vectorised ``h3.cell_to_parent`` for uint64 cells of any finer resolution."""
    cells = np.asarray(cells, dtype=np.uint64)
    res_mask = np.uint64(0xF << 52)
    digits = np.uint64((1 << ((15 - res) * 3)) - 1)  # digits res+1..15 set to 7
    return (cells & ~res_mask) | np.uint64(res << 52) | digits


class _ZoneKeys:
    """The finest resolution's keys: the zone map's own cell table (zone index == key index),
    not a copy of it (8 M cells: ~0.3 GB less)."""

    def __init__(self, zm: ZoneMap):
        self.zm = zm

    def __len__(self) -> int:
        return self.zm.cells.size

    @property
    def cells(self) -> np.ndarray:
        return self.zm.cells

    @property
    def last(self) -> np.ndarray:
        return self.zm.row_last


class _Accumulator:
    """Per-resolution streaming summaries with exact p90; each value is sorted once per resolution.

    The finest resolution sorts the pixels as they come (by cell, then value). Each coarser
    resolution is fed by the next finer one (``feed``) with that one's finished cells, already
    sorted: a parent's pixels then arrive as its children's ascending runs, which a merge sort
    (numpy's stable sort, a timsort) combines at a fraction of the cost of sorting them afresh.
    The values, and so every statistic, are the same as from one sort of the raw pixels.
    """

    def __init__(self, keys: CellIndex, breaks: np.ndarray, codec: ValueCodec,
                 sink: Callable[[dict[str, np.ndarray]], None] | None = None, *, runs: bool = False):
        self.keys, self.breaks, self.codec = keys, breaks, codec
        self.sink = sink  # receives each batch of finished cells instead of keeping it (CellSpill)
        self.runs = runs  # pushes are key-grouped runs of ascending values: merge, not sort
        self.chunks: list[tuple[np.ndarray, np.ndarray]] = []  # (key index, code or value)
        self.parts: list[dict[str, np.ndarray]] = []
        self.first = codec.first_codes(breaks) if codec.fast else None  # shares from codes
        self.next: _Accumulator | None = None  # the next coarser resolution, fed by this one
        self.up = np.zeros(0, dtype=np.int64)  # this level's key index -> the next level's

    def feed(self, coarser: _Accumulator) -> None:
        """Send each batch of finished cells, sorted, to ``coarser`` (keys mapped by ``link``).

        The coarser keys' last rows must not be earlier than their children's (``link``
        raises them), so a parent is never summarised before all of its children are passed on.
        """
        self.next = coarser

    def link(self, child: np.ndarray, parent: np.ndarray) -> None:
        """Record that this level's keys ``child`` have the next level's keys ``parent``."""
        if self.up.size < len(self.keys):  # grow by half (amortised)
            grow = max(len(self.keys) - self.up.size, self.up.size // 2)
            self.up = np.concatenate([self.up, np.full(grow, -1, dtype=np.int64)])
        self.up[child] = parent
        self.next.keys.raise_last(parent, self.keys.last[child])  # a parent ends after its children

    def push(self, kidx: np.ndarray, payload: np.ndarray, last_row: int) -> None:
        if kidx.size:
            self.chunks.append((kidx, payload))
        done = self.keys.last <= last_row
        sorted_ = None
        if done.any() and self.chunks:
            fin_k, fin_p, keep = [], [], []
            for k, p in self.chunks:
                m = done[k]
                if m.all():
                    fin_k.append(k), fin_p.append(p)
                elif m.any():
                    fin_k.append(k[m]), fin_p.append(p[m])
                    keep.append((k[~m], p[~m]))
                else:
                    keep.append((k, p))
            self.chunks = keep
            if fin_k:  # the pieces are dropped as they are joined: one copy of the batch at a time
                sorted_ = self._summarise([_join(fin_k), _join(fin_p)])
        if self.next is not None:  # every window, so the coarser level sees the rows advance
            if sorted_ is None:
                self.next.push(np.zeros(0, np.int64), np.zeros(0, np.uint32), last_row)
            else:  # each cell's run, keyed by its parent
                cells, n, payload = sorted_
                del sorted_
                self.next.push(np.repeat(self.up[cells], n), payload, last_row)

    def _summarise(self, batch: list[np.ndarray]) -> tuple[np.ndarray, ...] | None:
        """Summarise the cells of ``batch`` = [key index, code or value] per pixel (emptied, so
        its arrays are freed once used); returns (key index per cell, pixels per cell, the
        pixels' codes or values sorted by cell then value)."""
        kidx, payload = batch.pop(0), batch.pop(0)
        if kidx.size == 0:
            return None
        comp = None
        if self.codec.fast:  # one uint64 per pixel, key above code: one sort orders both
            comp = pack_keys(kidx, payload)
            del kidx, payload
            comp.sort(kind="stable" if self.runs else None)
            hi, lo = unpack_keys(comp)
            starts = np.flatnonzero(np.r_[True, hi[1:] != hi[:-1]])
            cells = hi[starts].astype(np.int64)
            payload = np.ascontiguousarray(lo)
            vals = self.codec.decode(payload)
        else:
            order = np.lexsort((payload, kidx))
            keys, vals = kidx[order], payload[order]
            payload = vals
            starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
            cells = keys[starts].astype(np.int64)
        n = np.diff(np.r_[starts, vals.size])
        pos = (n - 1) * 0.9
        lo_ = np.floor(pos).astype(np.int64)
        frac = pos - lo_
        a = vals[starts + lo_]
        b = vals[starts + np.minimum(lo_ + 1, n - 1)]
        p90 = np.where(frac >= 0.5, b - (b - a) * (1 - frac), a + (b - a) * frac)  # numpy's _lerp
        if not self.breaks.size:
            shares = np.zeros((n.size, 0))
        elif comp is not None:  # pixels >= a break: those from its first code to the cell's end
            base = cells.astype(np.uint64) << np.uint64(32)
            ends = starts + n
            shares = np.column_stack([ends - np.searchsorted(comp, base + c) for c in self.first]) / n[:, None]
        else:
            shares = np.column_stack(
                [np.add.reduceat((vals >= br).astype(np.int64), starts) for br in self.breaks]
            ) / n[:, None]
        (self.sink or self.parts.append)({
            "cell": self.keys.cells[cells], "count": n,
            "min": vals[starts], "max": vals[starts + n - 1],
            "mean": np.add.reduceat(vals, starts) / n, "p90": p90, "shares": shares,
        })
        return cells, n, payload

    def flush(self) -> None:
        """Summarise the cells still open (the raster has ended), and pass them on."""
        if self.chunks:
            self.push(np.zeros(0, np.int64), np.zeros(0, np.uint32), np.iinfo(np.int64).max)
        if self.next is not None:
            self.next.flush()

    def columns(self) -> dict[str, np.ndarray]:
        """The finished summaries as columns (cell, count, min, max, mean, p90, shares); emptied."""
        self.flush()
        if not self.parts:
            return _empty_columns(self.breaks)
        cols = {}
        for k in list(self.parts[0]):  # one column at a time, freeing the parts as we go
            cols[k] = np.concatenate([p.pop(k) for p in self.parts])
        self.parts = []
        return cols


def _join(pieces: list[np.ndarray]) -> np.ndarray:
    """The pieces as one array, emptying the list (no copy for a single piece)."""
    out = pieces[0] if len(pieces) == 1 else np.concatenate(pieces)
    pieces.clear()
    return out


def _empty_columns(breaks: np.ndarray) -> dict[str, np.ndarray]:
    return {"cell": np.zeros(0, np.uint64), "count": np.zeros(0, np.int64),
            **{k: np.zeros(0) for k in ("min", "max", "mean", "p90")},
            "shares": np.zeros((0, breaks.size))}


def _frame(cols: dict[str, np.ndarray], breaks: np.ndarray, sampled: np.ndarray | None = None,
           rows: np.ndarray | None = None) -> pd.DataFrame:
    """Columns (optionally only ``rows``, in that order) -> the output DataFrame."""
    take = (lambda a: a) if rows is None else (lambda a: a[rows])
    n = cols["cell"].size if rows is None else rows.size
    out = {k: take(v) for k, v in cols.items() if k != "shares"}
    out["sampled"] = np.zeros(n, bool) if sampled is None else take(sampled)
    shares = cols["shares"]
    for j, name in enumerate(share_columns(breaks)):  # sampled cells: 0/1 from their one value
        out[name] = (out["max"] >= breaks[j]).astype(np.float64) if shares is None else take(shares[:, j])
    df = pd.DataFrame(out, copy=False)
    df["class"] = np.searchsorted(breaks, out["max"], side="right").astype(np.int8)
    return df


def _sorted_frames(cols: dict[str, np.ndarray], breaks: np.ndarray, sampled: bool | np.ndarray,
                   chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The rows of ``cols`` sorted by cell, as DataFrames of at most ``chunk_rows`` rows
    (``sampled``: one flag for all rows, or one per row)."""
    order = np.argsort(cols["cell"], kind="stable")
    flags = np.broadcast_to(np.asarray(sampled, bool), order.shape)
    for i in range(0, order.size, chunk_rows):
        yield _frame(cols, breaks, flags, order[i:i + chunk_rows])


@dataclass(frozen=True)
class Part:
    """One task of a distributed raster -> H3 run: a band of rows and the cells it owns.

    A cell at ``part_res`` (the coarsest store resolution) is owned by the part whose rows
    ``[own0, own1)`` hold its centre's pixel row (clipped into the raster); the part reads rows
    ``[read0, read1)``, wide enough to see every pixel of every cell it owns, and keeps only the
    pixels of owned cells. So every cell at every resolution is summarised whole by exactly one
    part, with the same code and the same values as in one process: identical output.
    """

    own0: int
    own1: int
    read0: int
    read1: int
    part_res: int


class PartTooNarrow(Exception):
    """A part's read rows cut through a cell it owns: retry with wider ``read`` rows."""


def raster_to_h3(
    reader: RasterReader,
    resolutions: Sequence[int],
    breaks: Sequence[float] = (),
    *,
    cache_dir: str | Path | None = None,
    sample_cells: Mapping[int, np.ndarray] | None = None,
    window_rows: int = 256,
    progress: Callable[[int], None] | None = None,
) -> dict[int, pd.DataFrame]:
    """H3 statistics of one raster band at several resolutions.

    Parameters
    ----------
    reader
        An open raster (``etl.rasters.open_raster``).
    resolutions
        H3 resolutions; the finest is computed from pixels, coarser ones from its parents.
    breaks
        Class breaks (increasing); one ``share_ge_<break>`` column per break.
    cache_dir
        Where zone maps are cached (reused by rasters on the same grid and by rebuilds).
    sample_cells
        Per resolution, the cells that may be sampled where cells are smaller than pixels
        (e.g. the region's cells). Default: every cell whose centre lies in the raster.
        Cells with pixel centres are never affected.
    window_rows
        Rows read at a time (memory bound).
    progress
        Called with the number of rows done after each window.

    Returns
    -------
    dict of int to DataFrame
        Per resolution, columns ``STAT_COLUMNS``, ``share_columns(breaks)`` and ``class``;
        ``cell`` is uint64.
    """
    out: dict[int, list[pd.DataFrame]] = {}
    for res, df in iter_raster_to_h3(reader, resolutions, breaks, cache_dir=cache_dir,
                                     sample_cells=sample_cells, window_rows=window_rows, progress=progress):
        out.setdefault(res, []).append(df)
    return {res: dfs[0] if len(dfs) == 1 else
            pd.concat(dfs, ignore_index=True).sort_values("cell", ignore_index=True)
            for res, dfs in out.items()}


def iter_raster_to_h3(
    reader: RasterReader,
    resolutions: Sequence[int],
    breaks: Sequence[float] = (),
    *,
    cache_dir: str | Path | None = None,
    sample_cells: Mapping[int, np.ndarray] | None = None,
    window_rows: int = 256,
    progress: Callable[[int], None] | None = None,
    part: Part | None = None,
    chunk_rows: int = 200_000,
    one_run: bool = False,
    spill_dir: str | Path | None = None,
    spill_memory: str | None = None,
) -> Iterator[tuple[int, pd.DataFrame]]:
    """``raster_to_h3`` in chunks, one resolution at a time (finest first), so a caller can write
    each chunk and drop it before the next is assembled; ``part`` restricts it to one task.

    Yields ``(res, DataFrame)``: per resolution, the cells with pixel centres, then (if any)
    the sampled cells; each chunk sorted by cell, no cell in two chunks. With ``one_run``
    both kinds are merged first, so the chunks of a resolution are in cell order throughout
    (the rows of ``raster_to_h3``'s table, in its order: what ``onemap h3stats`` writes).
    With ``spill_dir`` (``one_run`` only) each cell's summary goes to disk as soon as the row
    bands have passed its last row, and the cells are read back sorted by cell (``etl.h3spill``):
    the same rows, but memory no longer holds the summaries of every cell; ``spill_memory``
    (e.g. ``"64MB"``) caps DuckDB while it sorts them (default ``etl.h3spill.MEMORY_LIMIT``).

    Raises
    ------
    PartTooNarrow
        ``part`` only: its read rows miss pixels of a cell it owns.
    """
    res_list = sorted({int(r) for r in resolutions}, reverse=True)
    finest = res_list[0]
    brk = np.asarray(sorted(breaks), dtype=np.float64)
    grid = reader.grid
    read0, read1 = (0, grid.height) if part is None else (part.read0, part.read1)
    codec = ValueCodec(reader)
    zm = ZoneMap(grid, finest, cache_dir, rows=None if part is None else (read0, read1))
    keys = {finest: _ZoneKeys(zm), **{r: CellIndex() for r in res_list[1:]}}
    known = 0  # zone-table cells registered at the coarser resolutions (and for ownership)
    new = None
    if spill_dir is not None and not one_run:
        raise ValueError("spill_dir needs one_run")
    owned = np.zeros(0, dtype=bool)  # zone index -> owned by this part
    margins = {r: _reach_rows(grid, r) for r in res_list[1:]}
    px_area = float(np.prod(grid.pixel_dims_m()))
    samplers = {
        r: _CentreSampler(grid, r, cache_dir, None if sample_cells is None else sample_cells.get(r), part)
        for r in res_list if h3.average_hexagon_area(r, "m^2") < 4 * px_area
    }
    spill_kw = {} if spill_memory is None else {"memory_limit": spill_memory}  # DuckDB's cap while sorting
    spills = {r: CellSpill(spill_dir, brk.size, **spill_kw) for r in res_list} if spill_dir is not None else {}
    try:
        accs = {r: _Accumulator(keys[r], brk, codec, spills[r].add if spills else None, runs=r != finest)
                for r in res_list}
        for fine, coarse in pairwise(res_list):  # each level feeds the next coarser one
            accs[fine].feed(accs[coarse])
        try:
            for r0 in range(read0, read1, window_rows):
                r1 = min(read1, r0 + window_rows)
                raw, valid = reader.read_raw(r0, r1)
                zones = zm.rows(r0, r1)
                if samplers:
                    values = reader.decode(raw)
                    values[~valid] = np.nan
                    for s in samplers.values():
                        s.take(r0, r1, values)
                if zm.cells.size > known:  # zone table grew: register new cells everywhere
                    new, known = zm.cells[known:], zm.cells.size
                    child = np.arange(known - new.size, known)  # the new zones' keys, then their parents'
                    for fine, r in pairwise(res_list):
                        keys[r].retire(r0)  # parents no later row can reach leave the lookup
                        parent = _register_parents(keys[r], new, r, grid, margins[r])
                        accs[fine].link(child, parent)
                        child = parent
                    if part is not None:
                        owned = np.concatenate([owned, owned_cells(new, grid, part)])
                if part is not None:
                    check_part_edges(zones, owned, r0, r1, part, grid)
                    valid &= owned[zones]
                z = zones[valid]
                payload = codec.encode(raw[valid]) if codec.fast else reader.decode(raw[valid])
                last_row = r1 - 1 if r1 < read1 else np.iinfo(np.int64).max
                accs[finest].push(z, payload, last_row)  # and on to the coarser levels (``feed``)
                del raw, valid, zones, z, payload
                if progress:
                    progress(r1 - r0)
        finally:
            zm.close()  # an unfinished zone-map cache (error, interrupt) is dropped
        logger.info("zone map %s: %s", reader.path, zm.stats)
        new = None  # a view of the zone table: it would keep the table alive through the sort
        del zm, keys, owned
        release_memory()
        for r in res_list:
            if spills:  # one_run: the finished cells are on disk; add the sampled ones, read back sorted
                accs.pop(r).flush()
                if r in samplers:
                    extra = samplers.pop(r).columns(spills[r].cells(), brk)
                    spills[r].add({**extra, "shares": extra["max"][:, None] >= brk[None, :]}, sampled=True)
                    del extra
                wrote = False
                for cols, flags in spills[r].sorted_columns(chunk_rows):
                    wrote = True
                    yield r, _frame(cols, brk, flags)
                if not wrote:
                    yield r, _frame(_empty_columns(brk), brk)
                spills.pop(r).close()
                continue
            cols = accs.pop(r).columns()
            extra = samplers.pop(r).columns(cols["cell"], brk) if r in samplers else None
            if one_run and extra is not None:
                cols, flags = _merge_sampled(cols, extra, brk), np.r_[np.zeros(cols["cell"].size, bool),
                                                                       np.ones(extra["cell"].size, bool)]
                for df in _sorted_frames(cols, brk, flags, chunk_rows):
                    yield r, df
                del cols, extra, flags
                continue
            if cols["cell"].size == 0 and (extra is None or extra["cell"].size == 0):
                yield r, _frame(cols, brk)
            for part_cols, sampled in ((cols, False), (extra, True)):
                if part_cols is not None:
                    for df in _sorted_frames(part_cols, brk, sampled, chunk_rows):
                        yield r, df
            del cols, extra
    finally:
        for sp_ in spills.values():
            sp_.close()


def _merge_sampled(cols: dict[str, np.ndarray], extra: dict[str, np.ndarray | None],
                   brk: np.ndarray) -> dict[str, np.ndarray]:
    """Pixel-centre columns followed by the sampled cells' (shares 0/1 from their one value)."""
    extra = {**extra, "shares": (extra["max"][:, None] >= brk[None, :]).astype(np.float64)}
    return {k: np.concatenate([cols[k], extra[k]]) for k in cols}


def owner_rows(cells: np.ndarray, grid) -> np.ndarray:
    """The pixel row of each cell's centre, clipped into the raster: who owns it in a split run."""
    cells = np.asarray(cells, dtype=np.uint64)
    if cells.size == 0:
        return np.zeros(0, dtype=np.int64)
    ll = cell_centres(cells)
    _, v = grid.lonlat_to_pixel(ll[:, 1], ll[:, 0])
    return np.clip(np.floor(v + 0.5), 0, grid.height - 1).astype(np.int64)


def owned_cells(cells: np.ndarray, grid, part: Part) -> np.ndarray:
    """Whether cells (any resolution >= part_res) belong to ``part``, by their part_res parent."""
    parents, inv = np.unique(cell_to_parent_array(cells, part.part_res), return_inverse=True)
    rows = owner_rows(parents, grid)
    return ((rows >= part.own0) & (rows < part.own1))[inv.ravel()]


def check_part_edges(zones: np.ndarray, owned: np.ndarray, r0: int, r1: int, part: Part, grid) -> None:
    """Refuse a part whose first or last read row (inside the raster) has pixels of owned cells."""
    if r0 == part.read0 and part.read0 > 0 and owned[zones[0]].any():
        raise PartTooNarrow(f"rows {part.read0}-{part.read1}: owned cells on the first row")
    if r1 == part.read1 and part.read1 < grid.height and owned[zones[-1]].any():
        raise PartTooNarrow(f"rows {part.read0}-{part.read1}: owned cells on the last row")


def _reach_rows(grid, res: int) -> float:
    """Rows from a cell's centre beyond which none of its descendants' pixels can lie.

    A hexagon's circumradius equals its edge (up to ~1.5x the average edge with H3's
    distortion); descendants reach at most about half a cell beyond it. 3 edges is ample.
    """
    row_m = grid.pixel_dims_m()[1]
    return 3.0 * h3.average_hexagon_edge_length(res, "m") / max(row_m, 1e-9)


def _register_parents(keys: CellIndex, fine: np.ndarray, res: int, grid, margin: float) -> np.ndarray:
    """Key indices of the parents of ``fine`` cells, adding unseen parents with their last row."""

    def last_rows(new: np.ndarray) -> np.ndarray:
        centres = cell_centres(new)
        _, v = grid.lonlat_to_pixel(centres[:, 1], centres[:, 0])
        return np.ceil(v + margin).astype(np.int64) + 1

    return keys.indices(cell_to_parent_array(fine, res), last_rows)


_SAMPLE_CHUNK = 262_144  # cells whose centres are located at a time


class _CentreSampler:
    """Values of the pixels under cell centres, for cells smaller than pixels."""

    def __init__(self, grid, res: int, cache_dir: str | Path | None, candidates: np.ndarray | None = None,
                 part: Part | None = None):
        if candidates is not None:
            candidates = np.unique(np.asarray(candidates, dtype=np.uint64))
        tag = hashlib.sha256(candidates.data).hexdigest()[:12] if candidates is not None else "all"
        if part is not None:
            tag += f"-p{part.own0}-{part.own1}-{part.read0}-{part.read1}-{part.part_res}"
        path = Path(cache_dir) / f"{grid.key()}-r{res}-{tag}-centres.npz" if cache_dir else None
        if path is not None and path.is_file():
            data = np.load(path)
            self.cells, self.rows, self.cols = data["cells"], data["rows"], data["cols"]
        else:
            if candidates is None:
                ring = grid.footprint_lonlat(rows=None if part is None else (part.read0, part.read1))
                shape = h3.LatLngPoly([(lat, lon) for lon, lat in ring])
                cells = np.sort(np.asarray(h3i.h3shape_to_cells(shape, res), dtype=np.uint64))
            else:
                cells = candidates
            if part is not None:  # only this part's cells (cheap: by their parents' centres)
                cells = cells[owned_cells(cells, grid, part)]
            # the centres' pixels a slice of cells at a time (a first build's millions of region
            # cells: the whole set's centres and pixel coordinates were ~0.2 GB of temporaries)
            found = [self._pixels(grid, cells[i:i + _SAMPLE_CHUNK], part)
                     for i in range(0, cells.size, _SAMPLE_CHUNK)] or [self._pixels(grid, cells, part)]
            self.cells, self.rows, self.cols = (np.concatenate([f[j] for f in found]) for j in range(3))
            del found
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp.npz")
                np.savez(tmp, cells=self.cells, rows=self.rows, cols=self.cols)
                tmp.replace(path)
        order = np.argsort(self.rows, kind="stable")
        for name in ("cells", "rows", "cols"):  # one reordered copy at a time
            setattr(self, name, getattr(self, name)[order])
        self.values = np.full(self.cells.size, np.nan)

    @staticmethod
    def _pixels(grid, cells: np.ndarray, part: Part | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The cells whose centre lies on a pixel of ``grid``, with that pixel's row and column."""
        ll = cell_centres(cells)
        u, v = grid.lonlat_to_pixel(ll[:, 1], ll[:, 0])
        rows, cols = np.floor(v + 0.5).astype(np.int64), np.floor(u + 0.5).astype(np.int64)
        ok = (rows >= 0) & (rows < grid.height) & (cols >= 0) & (cols < grid.width)
        if part is not None and ((rows < part.read0) | (rows >= part.read1))[ok].any():
            raise PartTooNarrow(f"rows {part.read0}-{part.read1}: a sampled centre outside")
        return cells[ok], rows[ok], cols[ok]

    def take(self, r0: int, r1: int, window: np.ndarray) -> None:
        a, b = np.searchsorted(self.rows, [r0, r1])
        self.values[a:b] = window[self.rows[a:b] - r0, self.cols[a:b]]

    def columns(self, have: np.ndarray, breaks: np.ndarray) -> dict[str, np.ndarray | None]:
        """Sampled rows (cells without a pixel centre) as columns like ``_Accumulator.columns``
        (``shares`` None: each is 0 or 1 from the cell's one value, made chunk by chunk)."""
        have = np.sort(have)
        pos = np.minimum(np.searchsorted(have, self.cells), max(have.size - 1, 0))
        present = have[pos] == self.cells if have.size else np.zeros(self.cells.size, bool)
        keep = ~np.isnan(self.values) & ~present
        cells, vals = self.cells[keep], self.values[keep]
        return {"cell": cells, "count": np.zeros(cells.size, np.int64),
                "min": vals, "max": vals, "mean": vals, "p90": vals, "shares": None}

def write_h3stats(
    source: str | Path,
    res: int,
    out: str | Path,
    *,
    band: int = 1,
    crs: str | None = None,
    nodata: float | None = None,
    breaks: Sequence[float] = (),
    lon: str | None = None,
    lat: str | None = None,
    value: str | None = None,
    cache_dir: str | Path | None = None,
    progress: Callable[[str, int], Callable[[int], None]] | None = None,
    chunk_rows: int = 200_000,
) -> tuple[int, int]:
    """``onemap h3stats``: one raster (or point table) at one resolution, to Parquet or CSV.

    Raster columns: ``cell`` (H3 string), ``count``, ``min``, ``max``, ``mean``, ``p90``,
    ``share_ge_<break>`` per break, ``sampled``. Point tables: see ``etl.points``.
    Rasters are read in windows (``iter_raster_to_h3``); each cell is summarised once the
    windows have passed its last row and spilled to a temporary folder beside ``out``
    (``etl.h3spill``, removed afterwards), then the cells are written ``chunk_rows`` at a time,
    in cell order, so neither the table nor the summaries are held whole (the rows of
    ``raster_to_h3``).

    Returns
    -------
    (cells written, rows skipped)
    """
    from etl.points import points_to_h3  # noqa: PLC0415
    from etl.rasters import open_raster  # noqa: PLC0415
    from etl.readers import FORMATS  # noqa: PLC0415

    out = Path(out)
    skipped = 0
    if Path(source).suffix.lower() in FORMATS:
        df, problems = points_to_h3(source, res, lon=lon, lat=lat, value=value, crs=crs or "WGS84",
                                    breaks=sorted(breaks))
        skipped = len(problems)
    else:
        try:
            rd = open_raster(source, band=band, crs=crs, nodata=nodata)
        except DataError as exc:  # on the command line the fix is --crs, not the region file
            raise DataError([Problem("raster_no_crs_cli", p.file) if p.code == "raster_no_crs" else p
                             for p in exc.problems]) from None
        # windowed: each chunk of cells is written as soon as it is computed (etl.chunkout)
        columns = ["cell", "count", "min", "max", "mean", "p90", *share_columns(sorted(breaks)), "sampled"]
        with rd, ChunkWriter(out) as writer:
            step = progress(Path(source).name + " (rows)", rd.grid.height) if progress else None
            for _, df in iter_raster_to_h3(rd, [res], breaks, cache_dir=cache_dir, progress=step,
                                            chunk_rows=chunk_rows, one_run=True, spill_dir=out.parent):
                df.insert(0, "cell", [h3.int_to_str(c) for c in df.pop("cell").tolist()])
                writer.write(df[columns])
                del df
        return writer.rows, skipped
    with ChunkWriter(out) as writer:
        writer.write(df)
    return len(df), skipped
