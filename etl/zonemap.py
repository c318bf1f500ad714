"""Pixel -> H3 cell assignment ("zone map") for a raster grid, identical to a per-pixel loop.

A pixel belongs to the H3 cell that contains its centre (transformed to WGS-84), exactly as
``h3.latlng_to_cell`` decides. Calling h3 once per pixel runs at about 1 M pixels/s from
Python, so the zone map is computed geometrically and only the doubtful pixels go to h3:

1. The cells overlapping the grid come from ``h3shape_to_cells_experimental(contain="overlap")``,
   one stripe of rows at a time as the rows are asked for.
2. Each cell's boundary (great-circle arcs between its vertices) is moved into pixel
   coordinates and densified until a straight segment is within ``TOL_PX / 4`` of the arc.
3. Each polygon is shrunk inwards by ``TOL_PX`` (mitred offset). A pixel centre inside the
   shrunk polygon is farther than the approximation error from the true boundary, so it is
   certainly in that cell. Rows are filled by scanline crossings, vectorised over all cells.
4. Every pixel not filled that way (the thin band along boundaries, cells that cross an
   icosahedron face or are pentagons, anything odd) is decided by ``h3.latlng_to_cell`` on its
   centre: the brute force, for the few pixels where geometry alone cannot be sure.

Where cells are not much larger than pixels, step 4 does all the work (it is then cheaper).
A zone map depends only on the grid and the resolution, so it is cached on disk and reused
by every raster on the same grid and by rebuilds.

Memory: cells are listed and their polygons built stripe by stripe (``_advance``), so only the
polygons of cells near the current rows are held (on an 8 M-cell grid the whole set was ~1 GB)
and no list of every cell exists. The cell table keeps 16 B a cell (id and last row); its
lookup holds only the cells the current rows can still reach (``CellIndex.retire``).

The module is long (~490 lines): the geometric fill, its brute-force fallback and the disk
cache share the cell table and row state; split, they would pass that state between modules.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import tempfile
from pathlib import Path

import h3
import h3.api.basic_int as h3i
import numpy as np
from h3._cy import cell_to_boundary as _c_boundary
from h3._cy import latlng_to_cell as _c_latlng_to_cell

from etl.procs import pid_alive
from etl.rasters import Grid

logger = logging.getLogger(__name__)

TOL_PX = 1e-3
ALGO_VERSION = 1
_MIN_INRADIUS_PX = 2.0  # below this, geometry saves nothing: use h3 per pixel
_CHUNK = 65536  # cells prepared at a time
_BRUTE_PIXELS = 262144  # pixels sent to h3 at a time
_STRIPE_MIN_ROWS = 64  # rows whose cells are listed at a time (at least 4 cell diameters)


def latlng_to_cells(lat: np.ndarray, lng: np.ndarray, res: int, chunk: int = 65536) -> np.ndarray:
    """h3.latlng_to_cell for arrays (a loop over the C function); uint64 ids.

    A chunk at a time: a window of millions of pixels would otherwise hold two lists of Python
    floats and one of Python ints at once (~120 B a pixel, ~0.3 GB for 2.5 M pixels).
    """
    out = np.empty(lat.size, dtype=np.uint64)
    for i in range(0, lat.size, chunk):
        la, lo = lat[i:i + chunk].tolist(), lng[i:i + chunk].tolist()
        out[i:i + len(la)] = [_c_latlng_to_cell(a, b, res) for a, b in zip(la, lo)]
    return out


class CellIndex:
    """A growing table of H3 cells with dense int indices and a vectorised lookup.

    ``cells[i]`` is the cell of index i; ``last[i]`` the last raster row it can occur on.
    Both grow in place (spare capacity, no copy of the whole table per addition). The lookup
    holds only the cells still *active*: ``retire(row)`` drops those whose last row is above
    ``row``, so on a grid read top to bottom it stays a few bands of cells, not the whole table
    (a cell is only looked up on the rows it can occur on).
    """

    def __init__(self) -> None:
        self._cells = np.zeros(0, dtype=np.uint64)
        self._last = np.zeros(0, dtype=np.int64)
        self._n = 0
        self._sorted = np.zeros(0, dtype=np.uint64)  # active cells, sorted
        self._order = np.zeros(0, dtype=np.int64)  # their indices

    def __len__(self) -> int:
        return self._n

    @property
    def cells(self) -> np.ndarray:
        return self._cells[:self._n]

    @property
    def last(self) -> np.ndarray:
        return self._last[:self._n]

    def lookup(self, cells: np.ndarray) -> np.ndarray:
        """Indices of ``cells`` (-1 where absent or retired)."""
        cells = np.asarray(cells, dtype=np.uint64)
        if self._sorted.size == 0:
            return np.full(cells.size, -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self._sorted, cells), self._sorted.size - 1)
        return np.where(self._sorted[pos] == cells, self._order[pos], -1)

    def add(self, cells: np.ndarray, last: np.ndarray) -> np.ndarray:
        """Append new (absent, unique) cells; returns their indices."""
        cells = np.asarray(cells, dtype=np.uint64)
        n0, n1 = self._n, self._n + cells.size
        if n1 > self._cells.size:  # grow by half (amortised appends; at most 1.5x spare)
            cap = max(n1, self._cells.size * 3 // 2, 4096)
            self._cells = _grown(self._cells, cap, n0)
            self._last = _grown(self._last, cap, n0)
        self._cells[n0:n1] = cells
        self._last[n0:n1] = last
        self._n = n1
        idx = np.arange(n0, n1, dtype=np.int64)
        order = np.argsort(cells, kind="stable")  # merge into the lookup: sort only the new cells
        pos = np.searchsorted(self._sorted, cells[order])
        self._sorted = np.insert(self._sorted, pos, cells[order])
        self._order = np.insert(self._order, pos, idx[order])
        return idx

    def raise_last(self, idx: np.ndarray, rows: np.ndarray) -> None:
        """Make ``last[idx]`` at least ``rows`` (repeated indices take their largest row)."""
        np.maximum.at(self._last, idx, rows)

    def retire(self, row: int) -> None:
        """Drop from the lookup the cells that cannot occur on ``row`` or later (last < row)."""
        if self._order.size:
            keep = self._last[self._order] >= row
            if not keep.all():
                self._sorted, self._order = self._sorted[keep], self._order[keep]

    def indices(self, cells: np.ndarray, last_of_new) -> np.ndarray:
        """Indices of ``cells``, adding the unseen ones (``last_of_new(new_cells)`` gives their last rows)."""
        uniq, inv = np.unique(np.asarray(cells, dtype=np.uint64), return_inverse=True)
        idx = self.lookup(uniq)
        miss = idx < 0
        if miss.any():
            new = uniq[miss]
            idx[miss] = self.add(new, last_of_new(new))
        return idx[inv.ravel()]


def _grown(a: np.ndarray, cap: int, n: int) -> np.ndarray:
    out = np.empty(cap, dtype=a.dtype)
    out[:n] = a[:n]
    return out


class ZoneMap:
    """The zone map of one grid at one resolution.

    Attributes
    ----------
    cells : ndarray of uint64
        The cell table; zones are int32 indices into it. It grows while rows are computed.
    row_last : ndarray of int64
        For each cell, the last raster row any of its pixels can be on (for streaming).
    """

    def __init__(self, grid: Grid, res: int, cache_dir: str | Path | None = None,
                 rows: tuple[int, int] | None = None):
        self.grid, self.res = grid, res
        # rows: only rows [r0, r1) of the grid will be asked for (one part of a distributed
        # build); the whole grid's cached map serves them too
        self._rows = (0, grid.height) if rows is None else (int(rows[0]), int(rows[1]))
        whole = Path(cache_dir) / f"{grid.key()}-r{res}-v{ALGO_VERSION}" if cache_dir else None
        self._cache = whole
        if whole is not None and self._rows != (0, grid.height):
            self._cache = whole.with_name(f"{whole.name}-rows{self._rows[0]}-{self._rows[1]}")
        self._cached = None
        self.stats = {"brute_force_pixels": 0, "mode": "", "from_cache": False}
        for path, row0 in ((whole, 0), (self._cache, self._rows[0])):
            if path is not None and (path / "done.json").is_file():
                self._cache, self._row0 = path, row0
                self._load_cache()
                return
        self._table = CellIndex()
        self._prepare()
        self._writer = None
        if self._cache is not None:
            self._cache.parent.mkdir(parents=True, exist_ok=True)
            remove_stale_tmpdirs(self._cache.parent)
            self._tmpdir = Path(tempfile.mkdtemp(prefix=f".zonemap-{os.getpid()}-", dir=self._cache.parent))
            # plain appends, not a memmap: written pages must not count against our memory
            self._writer = open(self._tmpdir / "zones.npy", "wb")  # noqa: SIM115 (closed in _finish_cache)
            np.lib.format.write_array_header_1_0(self._writer, {
                "descr": "<i4", "fortran_order": False,
                "shape": (self._rows[1] - self._rows[0], grid.width)})
            self._written_to = self._rows[0]

    # -- public ---------------------------------------------------------------------------
    def rows(self, r0: int, r1: int) -> np.ndarray:
        """Zones (int32 indices into ``cells``) of rows [r0, r1). Call with consecutive windows."""
        if self.stats["from_cache"]:
            if self._cached is None:
                self._cached = open(self._cache / "zones.npy", "rb")  # noqa: SIM115 (closed in close())
                np.lib.format.read_magic(self._cached)
                np.lib.format.read_array_header_1_0(self._cached)
                self._offset = self._cached.tell()
            w = self.grid.width
            self._cached.seek(self._offset + 4 * (r0 - self._row0) * w)
            return np.fromfile(self._cached, dtype="<i4", count=(r1 - r0) * w).reshape(r1 - r0, w)
        self._table.retire(r0)  # cells whose rows are all above r0 leave the lookup
        zones = np.full((r1 - r0, self.grid.width), -1, dtype=np.int32)
        if self._poly is not None:
            self._fill_certain(zones, r0, r1)
        self._brute_force(zones, r0)
        if self._writer is not None:
            if r0 != self._written_to:
                raise RuntimeError("zone map rows must be requested in order when caching")
            self._writer.write(zones.astype("<i4", copy=False).tobytes())
            self._written_to = r1
            if r1 == self._rows[1]:
                self._finish_cache()
        return zones

    # -- preparation ----------------------------------------------------------------------
    def _prepare(self) -> None:
        g = self.grid
        edge_m = h3.average_hexagon_edge_length(self.res, "m")
        px_m = min(g.pixel_dims_m())
        self._diam_px = 2.6 * edge_m / max(px_m, 1e-9)
        self._poly = None
        if 0.866 * edge_m / max(px_m, 1e-9) < _MIN_INRADIUS_PX:
            self.stats["mode"] = "per-pixel"
            return
        self.stats["mode"] = "geometric"
        self._poly = []  # polygon chunks of the cells the current rows can cross
        self._pentagons = np.asarray(h3i.get_pentagons(self.res), dtype=np.uint64)
        # cells are listed stripe by stripe as the rows reach them (_advance), never all at once
        self._stripe_rows = max(_STRIPE_MIN_ROWS, 4 * math.ceil(self._diam_px))
        self._listed_to = self._rows[0]

    def _list_stripe(self, s0: int, s1: int) -> None:
        """Add the cells overlapping rows [s0, s1) not listed yet, with their polygons."""
        g = self.grid
        ring = g.footprint_lonlat(rows=(s0, s1))
        shape = h3.LatLngPoly([(lat, lon) for lon, lat in ring])
        cells = np.unique(np.asarray(h3i.h3shape_to_cells_experimental(shape, self.res, "overlap"), dtype=np.uint64))
        cells = cells[self._table.lookup(cells) < 0]  # those of the stripe above are listed
        for start in range(0, cells.size, _CHUNK):  # bounded memory: one chunk of cells at a time
            chunk = cells[start:start + _CHUNK]
            sel, eu, ev, last = self._polygons(chunk, np.arange(chunk.size), self._pentagons)
            row_last = np.full(chunk.size, g.height - 1, dtype=np.int64)  # odd cells: conservative
            row_last[sel] = last
            idx = self._table.add(chunk, row_last)[sel]
            vmin, vmax = ev.min(axis=1), ev.max(axis=1)
            order = np.argsort(vmin, kind="stable")
            self._poly.append({
                "idx": idx[order].astype(np.int32), "u": eu[order], "v": ev[order],
                "vmin": vmin[order], "vmax": vmax[order],
                "hmax": float((vmax - vmin).max()) if vmin.size else 0.0,
            })
            del eu, ev

    def _polygons(self, cells: np.ndarray, which: np.ndarray, pentagons: np.ndarray):
        """Eroded pixel-space hexagons of ``cells[which]`` (pentagons and odd cells left out):
        (their indices, u, v, last row)."""
        chunk = cells[which]
        bounds = [_c_boundary(c) for c in chunk.tolist()]
        ok = np.fromiter((len(b) == 6 for b in bounds), dtype=bool, count=len(bounds))
        ok &= ~np.isin(chunk, pentagons)
        sel = np.flatnonzero(ok)
        verts = np.array([bounds[i] for i in sel], dtype=np.float64).reshape(sel.size, 6, 2)
        del bounds
        u, v = _densify_to_pixels(self.grid, verts)
        last = np.ceil(v.max(axis=1) + 1).astype(np.int64) if sel.size else np.zeros(0, np.int64)
        eu, ev = _erode(u, v, TOL_PX)
        return which[sel], eu, ev, last

    def _advance(self, r0: int, r1: int) -> None:
        """List the cells of the stripes that rows < r1 reach; drop polygons wholly above r0.

        A cell is listed with the first stripe its outline overlaps, at the latest when the
        first row that stripe holds is asked for, so before any of its pixel centres.
        """
        while self._listed_to < min(r1, self._rows[1]):
            s1 = min(self._rows[1], self._listed_to + self._stripe_rows)
            self._list_stripe(self._listed_to, s1)
            self._listed_to = s1
        self._poly = [p for p in self._poly if p["vmax"].size and p["vmax"].max() >= r0]

    @property
    def cells(self) -> np.ndarray:
        if self.stats["from_cache"]:
            return self._cached_cells
        return self._table.cells

    @property
    def row_last(self) -> np.ndarray:
        if self.stats["from_cache"]:
            return self._cached_row_last
        return self._table.last

    # -- filling --------------------------------------------------------------------------
    def _fill_certain(self, zones: np.ndarray, r0: int, r1: int) -> None:
        self._advance(r0, r1)
        parts = [c for p in self._poly if (c := _crossings(p, r0, r1)) is not None]
        if not parts:
            return
        rows, u, pid = (np.concatenate(x) for x in zip(*parts))  # pid: cell index
        order = np.lexsort((u, rows, pid))
        rows, u, pid = rows[order], u[order], pid[order]
        key = pid.astype(np.int64) * (r1 - r0 + 1) + (rows - r0)
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        sizes = np.diff(np.r_[starts, key.size])
        starts = starts[sizes % 2 == 0]  # odd counts (a vertex exactly on a row): leave to h3
        sizes = sizes[sizes % 2 == 0]
        left = np.repeat(starts, sizes // 2) + 2 * _ranges(sizes // 2)
        c0 = np.maximum(np.ceil(u[left]), 0).astype(np.int64)
        c1 = np.minimum(np.floor(u[left + 1]), self.grid.width - 1).astype(np.int64)
        ok = c1 >= c0
        c0, c1, r, cell = c0[ok], c1[ok], rows[left][ok], pid[left][ok]
        lens = c1 - c0 + 1
        flat = np.repeat((r - r0) * self.grid.width + c0, lens) + _ranges(lens)
        zones.ravel()[flat] = np.repeat(cell, lens)

    def _brute_force(self, zones: np.ndarray, r0: int) -> None:
        # a few rows at a time (~256 K pixels), top to bottom: a cell's first pixel row is in
        # the first sub-band it occurs in, and the temporaries stay ~30 MB, not ~0.2 GB a band
        step = max(1, _BRUTE_PIXELS // max(self.grid.width, 1))
        for i in range(0, zones.shape[0], step):
            self._brute_force_rows(zones[i:i + step], r0 + i)

    def _brute_force_rows(self, zones: np.ndarray, r0: int) -> None:
        rr, cc = np.nonzero(zones < 0)
        if rr.size == 0:
            return
        self.stats["brute_force_pixels"] += int(rr.size)
        lon, lat = self.grid.centres_lonlat(rr + r0, cc)
        cells = latlng_to_cells(lat, lon, self.res)
        del lon, lat
        uniq, inv = np.unique(cells, return_inverse=True)
        inv = inv.ravel()
        first = np.full(uniq.size, np.iinfo(np.int64).max)
        np.minimum.at(first, inv, rr + r0)
        idx = self._table.lookup(uniq)
        miss = idx < 0
        if miss.any():
            idx[miss] = self._table.add(uniq[miss], first[miss] + math.ceil(self._diam_px) + 2)
        zones[rr, cc] = idx[inv].astype(np.int32)

    # -- cache ----------------------------------------------------------------------------
    def _finish_cache(self) -> None:
        assert self._cache is not None and self._writer is not None
        self._writer.close()
        self._writer = None
        np.save(self._tmpdir / "cells.npy", self.cells)
        np.save(self._tmpdir / "row_last.npy", self.row_last)
        (self._tmpdir / "done.json").write_text(json.dumps({**self.stats, "res": self.res}))
        try:
            os.replace(self._tmpdir, self._cache)
        except OSError:  # another process finished the same map first
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    def _load_cache(self) -> None:
        assert self._cache is not None
        self._cached = None  # opened on the first rows() call
        self._cached_cells = np.load(self._cache / "cells.npy")
        self._cached_row_last = np.load(self._cache / "row_last.npy")
        self.stats.update(json.loads((self._cache / "done.json").read_text()), from_cache=True)
        self._poly = None

    def close(self) -> None:
        """Close the cached zone map file (an unfinished cache is dropped)."""
        if self._cached is not None:
            self._cached.close()
            self._cached = None
        self.discard()

    def discard(self) -> None:
        """Drop an unfinished cache directory (after an error)."""
        if getattr(self, "_writer", None) is not None:
            self._writer.close()
            self._writer = None
            shutil.rmtree(self._tmpdir, ignore_errors=True)


def remove_stale_tmpdirs(cache_dir: Path) -> list[Path]:
    """Remove unfinished zone maps (``.zonemap-<pid>-*``) of processes that are gone.

    A killed build or ``h3stats --cache`` cannot clean up after itself; the next run does.
    Folders of live processes (another build on the same cache) are left alone.
    """
    removed = []
    for p in Path(cache_dir).glob(".zonemap-*"):
        pid = p.name.split("-")[1]
        if p.is_dir() and pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


def _crossings(p: dict, r0: int, r1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Where the rows r0..r1-1 cross the shrunk polygons of one chunk: (row, u, cell index)."""
    lo = np.searchsorted(p["vmin"], r0 - p["hmax"] - 1, side="left")
    hi = np.searchsorted(p["vmin"], r1, side="left")
    sel = np.arange(lo, hi)
    sel = sel[p["vmax"][sel] >= r0]
    if sel.size == 0:
        return None
    u0, v0 = p["u"][sel], p["v"][sel]
    u1, v1 = np.roll(u0, -1, axis=1), np.roll(v0, -1, axis=1)
    poly = np.repeat(p["idx"][sel], u0.shape[1])
    u0, v0, u1, v1 = u0.ravel(), v0.ravel(), u1.ravel(), v1.ravel()
    emin, emax = np.minimum(v0, v1), np.maximum(v0, v1)
    first = np.maximum(np.ceil(emin), r0).astype(np.int64)
    stop = np.minimum(np.ceil(emax), r1).astype(np.int64)  # rows r with emin <= r < emax
    n = np.maximum(stop - first, 0)
    keep = n > 0
    first, n, poly = first[keep], n[keep], poly[keep]
    u0, v0, u1, v1 = u0[keep], v0[keep], u1[keep], v1[keep]
    rows = np.repeat(first, n) + _ranges(n)
    e = np.repeat(np.arange(n.size), n)
    u = u0[e] + (rows - v0[e]) * (u1[e] - u0[e]) / (v1[e] - v0[e])
    return rows, u, poly[e]


def _ranges(n: np.ndarray) -> np.ndarray:
    """Concatenated aranges: [0..n0-1, 0..n1-1, ...]."""
    n = np.asarray(n, dtype=np.int64)
    total = int(n.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(n)
    return np.arange(total, dtype=np.int64) - np.repeat(ends - n, n)


def _unit(lat: np.ndarray, lng: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lng)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


def _latlng(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    return np.degrees(np.arctan2(z, np.hypot(x, y))), np.degrees(np.arctan2(y, x))


def _densify_to_pixels(grid: Grid, verts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hexagon vertices (n, 6, [lat, lng]) -> densified rings in pixel coordinates (u, v).

    Edges are great-circle arcs; each is split into k equal parts (points on the arc), with k
    chosen so that every chord stays within TOL_PX / 4 of its arc, measured in pixel space.
    """
    n = verts.shape[0]
    if n == 0:
        return np.zeros((0, 6)), np.zeros((0, 6))
    p = _unit(verts[..., 0], verts[..., 1])
    q = np.roll(p, -1, axis=1)

    def to_px(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lat, lng = _latlng(xyz)
        u, v = grid.lonlat_to_pixel(lng.ravel(), lat.ravel())
        return u.reshape(lat.shape), v.reshape(lat.shape)

    pu, pv = to_px(p)
    mid = p + q
    mid /= np.linalg.norm(mid, axis=-1, keepdims=True)
    mu, mv = to_px(mid)
    qu, qv = np.roll(pu, -1, axis=1), np.roll(pv, -1, axis=1)
    dev = float(np.nanmax(np.hypot(mu - (pu + qu) / 2, mv - (pv + qv) / 2)))
    k = max(1, math.ceil(math.sqrt(dev / (TOL_PX / 4)))) if dev > 0 else 1
    if k == 1:
        return pu, pv
    t = np.arange(k, dtype=np.float64) / k  # points p + t (q - p), projected to the sphere
    pts = p[:, :, None, :] * (1 - t)[None, None, :, None] + q[:, :, None, :] * t[None, None, :, None]
    pts /= np.linalg.norm(pts, axis=-1, keepdims=True)
    u, v = to_px(pts.reshape(n, 6 * k, 3))
    return u, v


def _erode(u: np.ndarray, v: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """Offset every closed ring (rows of u, v) inwards by ``tol`` (mitred corners)."""
    if u.size == 0:
        return u, v
    du, dv = np.roll(u, -1, axis=1) - u, np.roll(v, -1, axis=1) - v
    area2 = (u * np.roll(v, -1, axis=1) - np.roll(u, -1, axis=1) * v).sum(axis=1)
    sign = np.where(area2 > 0, 1.0, -1.0)[:, None]
    length = np.hypot(du, dv)
    length[length == 0] = 1.0
    nu, nv = -dv / length * sign, du / length * sign  # inward unit normal of edge i (v_i -> v_i+1)
    c = nu * u + nv * v + tol  # offset line i: nu x + nv y = c
    pnu, pnv, pc = np.roll(nu, 1, axis=1), np.roll(nv, 1, axis=1), np.roll(c, 1, axis=1)
    det = pnu * nv - pnv * nu
    safe = np.abs(det) > 1e-12
    det_s = np.where(safe, det, 1.0)
    x = (pc * nv - pnv * c) / det_s
    y = (pnu * c - pc * nu) / det_s
    x = np.where(safe, x, u + tol * nu)
    y = np.where(safe, y, v + tol * nv)
    return x, y
