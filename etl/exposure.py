"""Population rasters -> ``exposure_cells``: people per H3 cell at every store resolution.

Method (also written into the store's ``meta["exposure"]["method"]``):

- A population raster holds a count of people per pixel (never a density). Each valid
  pixel's count goes to the H3 cell at the finest store resolution that contains the
  pixel's centre, reprojected to WGS-84 exactly as for the hazard rasters (``etl.zonemap``;
  identical to ``h3.latlng_to_cell`` on the centre). Counts are summed per cell.
- Only cells of the region are kept: those of ``admin_cells`` at the finest resolution.
  What falls elsewhere is reported as population outside the region, never stored.
- Coarser resolutions are sums over the H3 children of the kept finest cells (``cell`` ->
  parent), so the total is the same at every resolution: exactly for integer counts (every
  partial sum is an integer below 2**53), to float64 rounding for fractional counts. A
  coarse cell is kept even when its own centre lies outside the region, so that totals
  agree.
- A cell is stored when at least one valid pixel centre lies in it (population 0 when those
  pixels hold 0). Cells smaller than pixels without a pixel centre are absent: no estimate.
- Negative, NaN or infinite pixels that are not the nodata value are errors
  (``exposure_bad_values``, naming file, band, counts and the first pixel), never dropped.

Memory stays bounded: the raster is read a window of rows at a time, and only one float per
finest cell touched is kept.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from etl.errors import DataError, Problem
from etl.h3stats import Part, cell_to_parent_array, check_part_edges, owned_cells
from etl.rasters import RasterReader, open_raster
from etl.region import ExposureSource
from etl.zonemap import ZoneMap

logger = logging.getLogger(__name__)

METHOD = (
    "people per pixel -> the finest H3 cell containing the pixel centre (as h3.latlng_to_cell, "
    "centres reprojected to WGS-84), summed; only cells of admin_cells at the finest resolution "
    "are kept (the rest is reported as outside the region); coarser resolutions are sums over "
    "H3 children, so totals are equal at every resolution; cells without a pixel centre are absent"
)


@dataclass
class Exposure:
    """People per H3 cell of one population raster.

    Attributes
    ----------
    cells
        Per resolution, a DataFrame with ``cell`` (uint64) and ``population`` (float64),
        sorted by cell; the sum of ``population`` is ``inside`` at every resolution.
    raster_total
        People in every valid pixel of the raster.
    outside
        People in pixels whose finest cell is not a region cell (not stored).
    pixels
        Valid (not nodata) pixels read.
    """

    cells: dict[int, pd.DataFrame] = field(default_factory=dict)
    raster_total: float = 0.0
    outside: float = 0.0
    pixels: int = 0

    @property
    def inside(self) -> float:
        """People stored in ``exposure_cells`` (the same at every resolution)."""
        if not self.cells:
            return 0.0
        return float(self.cells[max(self.cells)]["population"].sum())


@dataclass
class _BadPixels:
    """Running tally of pixels that are neither nodata nor a count >= 0."""

    negative: int = 0
    nan: int = 0
    first: tuple[int, int, float] | None = None

    def add(self, r0: int, values: np.ndarray, bad_neg: np.ndarray, bad_nan: np.ndarray) -> None:
        self.negative += int(bad_neg.sum())
        self.nan += int(bad_nan.sum())
        if self.first is None and (bad_neg.any() or bad_nan.any()):
            rr, cc = np.nonzero(bad_neg | bad_nan)
            self.first = (int(rr[0]) + r0, int(cc[0]), float(values[rr[0], cc[0]]))

    def merge(self, other: "_BadPixels") -> None:
        self.negative += other.negative
        self.nan += other.nan
        if other.first is not None and (self.first is None or other.first[:2] < self.first[:2]):
            self.first = other.first

    def problems(self, reader: RasterReader) -> list[Problem]:
        if self.first is None:
            return []
        r, c, v = self.first
        return [Problem("exposure_bad_values", str(reader.path), {
            "band": reader.band, "negative": self.negative, "nan": self.nan,
            "nodata": "none" if reader.nodata is None else f"{reader.nodata:g}",
            "first": f"{r}, {c} ({v:g})",
        })]


def _classify(reader: RasterReader, r0: int, r1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Values of rows [r0, r1) and masks: usable, negative (not nodata), NaN/inf (not nodata)."""
    raw, valid = reader.read_raw(r0, r1)
    values = reader.decode(raw)
    nd = reader.nodata
    if raw.dtype.kind == "f":
        nonfinite = ~np.isfinite(raw)
        if nd is not None and math.isnan(nd):
            nonfinite &= ~np.isnan(raw)
        elif nd is not None and math.isinf(nd):
            nonfinite &= raw != nd
    else:
        nonfinite = np.zeros(raw.shape, dtype=bool)
    nonfinite |= valid & ~np.isfinite(values)  # e.g. a scale that overflows
    negative = valid & (values < 0)
    usable = valid & ~negative & ~nonfinite
    return values, usable, negative, nonfinite


def check_exposure_values(reader: RasterReader, window_rows: int = 512) -> list[Problem]:
    """Every pixel that is neither nodata nor a count >= 0, as one problem (empty if none).

    Parameters
    ----------
    reader
        An open population raster (``open_exposure``).
    window_rows
        Rows read at a time (memory bound).

    Returns
    -------
    list of Problem
        ``[]`` or one ``exposure_bad_values`` problem with the counts and the first pixel.
    """
    bad = _BadPixels()
    for r0 in range(0, reader.grid.height, window_rows):
        r1 = min(reader.grid.height, r0 + window_rows)
        values, _, negative, nonfinite = _classify(reader, r0, r1)
        bad.add(r0, values, negative, nonfinite)
    return bad.problems(reader)


def open_exposure(src: ExposureSource) -> RasterReader:
    """Open the population raster of a region's ``[exposure]`` table.

    Raises
    ------
    DataError
        As ``etl.rasters.open_raster``; a raster without CRS names ``[exposure]`` in the fix.
    """
    try:
        return open_raster(src.path, band=src.band, crs=src.crs, nodata=src.nodata, label="exposure")
    except DataError as exc:
        raise DataError([Problem("exposure_no_crs", p.file) if p.code == "raster_no_crs" else p
                         for p in exc.problems]) from None


def raster_to_exposure(
    reader: RasterReader,
    resolutions: Sequence[int],
    *,
    region_cells: np.ndarray | None = None,
    cache_dir: str | None = None,
    window_rows: int = 256,
    progress: Callable[[int], None] | None = None,
) -> Exposure:
    """People per H3 cell at several resolutions, from a population-count raster.

    Parameters
    ----------
    reader
        An open raster of people per pixel (``open_exposure`` or ``etl.rasters.open_raster``).
    resolutions
        H3 resolutions; the finest is computed from pixel centres, coarser ones by summing
        H3 children.
    region_cells
        The region's cells at the finest resolution (``admin_cells``); counts falling in
        other cells are reported in ``Exposure.outside`` and not kept. ``None`` keeps all.
    cache_dir
        Where zone maps are cached (shared with the hazard rasters on the same grid).
    window_rows
        Rows read at a time (memory bound).
    progress
        Called with the number of rows done after each window.

    Returns
    -------
    Exposure

    Raises
    ------
    DataError
        Negative, NaN or infinite pixels that are not nodata (``exposure_bad_values``).

    Examples
    --------
    >>> with open_raster("population.tif") as rd:  # doctest: +SKIP
    ...     exp = raster_to_exposure(rd, [7, 8, 9])
    >>> exp.cells[7]["population"].sum() == exp.cells[9]["population"].sum()  # doctest: +SKIP
    True
    """
    res_list = sorted({int(r) for r in resolutions})
    sums = exposure_part(reader, res_list[-1], None, cache_dir=cache_dir, window_rows=window_rows,
                         progress=progress)
    return finish_exposure([sums], res_list, reader, region_cells)


@dataclass
class PartSums:
    """People per finest cell from one part of the raster (or all of it), sorted by cell."""

    cells: np.ndarray
    population: np.ndarray
    pixels: int
    bad: _BadPixels


def exposure_part(reader: RasterReader, finest: int, part: Part | None, *, cache_dir: str | None = None,
                  window_rows: int = 256, progress: Callable[[int], None] | None = None) -> PartSums:
    """Sum people per finest cell over the whole raster, or over the cells ``part`` owns.

    Windows start at multiples of ``window_rows`` either way, so every cell's sum is the same
    sequence of float additions as in one process.

    Raises
    ------
    etl.h3stats.PartTooNarrow
        ``part`` only: its read rows miss pixels of a cell it owns.
    """
    read0, read1 = (0, reader.grid.height) if part is None else (part.read0, part.read1)
    zm = ZoneMap(reader.grid, finest, cache_dir, rows=None if part is None else (read0, read1))
    sums = np.zeros(0, dtype=np.float64)
    counts = np.zeros(0, dtype=np.int64)
    owned = np.zeros(0, dtype=bool)
    bad = _BadPixels()
    pixels = 0
    try:
        for r0 in range(read0, read1, window_rows):
            r1 = min(read1, r0 + window_rows)
            values, usable, negative, nonfinite = _classify(reader, r0, r1)
            zones = zm.rows(r0, r1)  # every window, in order (the zone map cache needs them all)
            n = zm.cells.size
            if sums.size < n:
                if part is not None:
                    owned = np.concatenate([owned, owned_cells(zm.cells[sums.size:n], reader.grid, part)])
                sums = np.concatenate([sums, np.zeros(n - sums.size)])
                counts = np.concatenate([counts, np.zeros(n - counts.size, np.int64)])
            if part is None:
                bad.add(r0, values, negative, nonfinite)
            else:
                check_part_edges(zones, owned, r0, r1, part, reader.grid)
                usable &= owned[zones]
                own = slice(max(part.own0 - r0, 0), max(min(part.own1, r1) - r0, 0))  # bad pixels by row
                bad.add(r0 + own.start, values[own], negative[own], nonfinite[own])
            z = zones[usable]
            sums += np.bincount(z, weights=values[usable], minlength=n)
            counts += np.bincount(z, minlength=n)
            pixels += int(usable.sum())
            if progress:
                progress(r1 - r0)
    finally:
        zm.close()
    seen = counts > 0
    cells, pop = zm.cells[: sums.size][seen], sums[seen]
    order = np.argsort(cells)
    return PartSums(cells[order], pop[order], pixels, bad)


def finish_exposure(parts: Sequence[PartSums], resolutions: Sequence[int], reader: RasterReader,
                    region_cells: np.ndarray | None) -> Exposure:
    """Merge the parts' sums (cells disjoint), keep the region's cells and roll up.

    Raises
    ------
    DataError
        Negative, NaN or infinite pixels that are not nodata (``exposure_bad_values``).
    """
    res_list = sorted({int(r) for r in resolutions})
    finest = res_list[-1]
    bad = _BadPixels()
    for p in parts:
        bad.merge(p.bad)
    problems = bad.problems(reader)
    if problems:
        raise DataError(problems)
    if len(parts) == 1:
        cells, pop = parts[0].cells, parts[0].population
    else:
        cells = np.concatenate([p.cells for p in parts])
        order = np.argsort(cells)
        cells, pop = cells[order], np.concatenate([p.population for p in parts])[order]
    pixels = sum(p.pixels for p in parts)
    out = Exposure(raster_total=float(pop.sum()), pixels=pixels)
    if region_cells is not None:
        inside = _member(cells, np.asarray(region_cells, dtype=np.uint64))
        out.outside = float(pop[~inside].sum())
        cells, pop = cells[inside], pop[inside]
    out.cells[finest] = pd.DataFrame({"cell": cells, "population": pop})
    for res in res_list[:-1]:
        out.cells[res] = roll_up(out.cells[finest], res)
    logger.info("exposure %s: %d valid pixels, %.0f people, %.0f outside the region",
                reader.path, pixels, out.raster_total, out.outside)
    return out


def _member(cells: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """``np.isin(cells, pool)`` by binary search (much faster for millions of uint64 ids)."""
    pool = np.sort(pool)
    if pool.size == 0:
        return np.zeros(cells.size, dtype=bool)
    pos = np.minimum(np.searchsorted(pool, cells), pool.size - 1)
    return pool[pos] == cells


def roll_up(fine: pd.DataFrame, res: int) -> pd.DataFrame:
    """Sum ``population`` of finer cells into their H3 parents at ``res`` (sorted by cell)."""
    parents, inv = np.unique(cell_to_parent_array(fine["cell"].to_numpy(np.uint64), res), return_inverse=True)
    pop = np.bincount(inv.ravel(), weights=fine["population"].to_numpy(np.float64), minlength=parents.size)
    return pd.DataFrame({"cell": parents, "population": pop})


def exposure_cells_arrow(exposure: Exposure) -> pa.Table:
    """Rows of the ``exposure_cells`` store table, every resolution."""
    parts = []
    for res, df in sorted(exposure.cells.items()):
        parts.append(pa.table({
            "res": pa.array(np.full(len(df), res, np.int8)),
            "cell": pa.array(df["cell"].to_numpy(np.uint64)),
            "population": pa.array(df["population"].to_numpy(np.float64)),
        }))
    return pa.concat_tables(parts)
