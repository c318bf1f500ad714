"""Cell statistics of vector hazard layers (zones, events, lines): the geometry and the maths.

``etl.vector_hazards`` reads the files and describes the methods; this module computes, on
WGS-84 inputs, the per-cell frames with the columns rasters give (see that module's docstring
for the method of each kind). Distances are great-circle on a sphere of radius
``EARTH_RADIUS_KM``; areas are exact polygon areas in a Lambert azimuthal equal-area projection
centred on the data.

Every kind is computed as a stream of ``(res, frame)`` chunks of about ``CHUNK_CELLS`` cells
(``iter_zones_to_h3``, ``iter_events_to_h3``, ``iter_lines_to_h3``), so a build writes each chunk
into the staging store before the next exists; zones are chunked by whole parent partitions
of the coarsest resolution so every roll-up is complete in its chunk. Each cell's figures are
those of the whole-table computation (``collect`` gives the whole tables; tested equal).

The module is long (~435 lines): the three kinds' geometry, their chunked streams and the
whole-table wrappers belong together; splitting by kind would scatter the shared helpers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import h3
import numpy as np
import pandas as pd
import pyproj
import shapely

from etl.errors import DataError, Problem
from etl.zonemap import latlng_to_cells

if TYPE_CHECKING:
    from etl.vector_hazards import VectorHazardSource, VectorInput

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius
KERNEL_CUTOFF = 4.0  # Gaussian kernel truncated at 4 sigma (keeps 99.97 % of each event's weight)
MAX_CELLS = 6_000_000  # cells one layer may cover at one resolution (memory guard)
# cells computed, framed and handed to the writer at a time (the memory bound of a vector
# layer, whatever the region's size); equal to the chunk of smoothed_rate / nearest_line_km
CHUNK_CELLS = 200_000


# --- geometry helpers -------------------------------------------------------------------------


def unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """(n, 3) unit vectors of lon/lat degrees on the sphere."""
    lo, la = np.radians(lon), np.radians(lat)
    c = np.cos(la)
    return np.column_stack([c * np.cos(lo), c * np.sin(lo), np.sin(la)])


def _angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle angle between unit vectors (robust for small angles)."""
    return np.arctan2(np.linalg.norm(np.cross(a, b), axis=1), (a * b).sum(1))


def arc_distance_km(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle distance (km) from points ``p`` to the arcs ``a``-``b`` (unit vectors, row-wise)."""
    n = np.cross(a, b)
    nn = np.linalg.norm(n, axis=1)
    ok = nn > 1e-15
    n = n / np.where(ok, nn, 1.0)[:, None]
    s = (p * n).sum(1)
    c = p - s[:, None] * n
    c /= np.maximum(np.linalg.norm(c, axis=1), 1e-300)[:, None]
    inside = ok & ((np.cross(a, c) * n).sum(1) >= 0) & ((np.cross(c, b) * n).sum(1) >= 0)
    d = np.where(inside, np.arcsin(np.clip(np.abs(s), 0, 1)), np.minimum(_angle(p, a), _angle(p, b)))
    return EARTH_RADIUS_KM * d


def cell_centres(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) of uint64 H3 cells (computed a chunk at a time, ``etl.h3stats.cell_centres``)."""
    from etl.h3stats import cell_centres as latlng  # noqa: PLC0415

    ll = latlng(np.asarray(cells, np.uint64))
    return ll[:, 1].copy(), ll[:, 0].copy()


def centre_extent(cells: np.ndarray, chunk: int = 200_000) -> tuple[np.ndarray, np.ndarray]:
    """([min lon, max lon], [min lat, max lat]) of the cells' centres, a chunk at a time: all
    ``_laea`` needs of them (so no array of every centre is kept)."""
    lon_ext, lat_ext = [np.inf, -np.inf], [np.inf, -np.inf]
    for s0, s1 in _chunk_bounds(cells.size, chunk):
        lon, lat = cell_centres(cells[s0:s1])
        lon_ext = [min(lon_ext[0], np.nanmin(lon)), max(lon_ext[1], np.nanmax(lon))]
        lat_ext = [min(lat_ext[0], np.nanmin(lat)), max(lat_ext[1], np.nanmax(lat))]
    return np.array(lon_ext), np.array(lat_ext)


def _chunk_bounds(n: int, size: int) -> list[tuple[int, int]]:
    return [(s, min(n, s + size)) for s in range(0, n, max(1, size))]


def partition_chunks(cells: np.ndarray, res: int, size: int) -> Iterator[np.ndarray]:
    """Indices into ``cells`` in chunks of about ``size``, never splitting the children of one
    ``res`` parent across chunks (so per-chunk roll-ups to ``res`` and coarser are whole);
    within a chunk the cells keep their order in ``cells``."""
    cells = np.asarray(cells, np.uint64)
    if cells.size == 0:
        return
    key = parents(cells, res)
    order = np.argsort(key, kind="stable")
    ks = key[order]
    del key
    starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])  # first index of each parent's run
    cut = starts[np.minimum(np.searchsorted(starts, np.arange(size, cells.size, max(1, size))), starts.size - 1)]
    bounds = np.unique(np.r_[0, cut[cut > 0], cells.size])
    for a, b in zip(bounds[:-1], bounds[1:]):
        yield np.sort(order[a:b])  # original order within the chunk (the sums' order)


def _laea(lon: np.ndarray, lat: np.ndarray) -> pyproj.Transformer:
    lon0, lat0 = float(np.nanmean([np.nanmin(lon), np.nanmax(lon)])), float(np.nanmean([np.nanmin(lat), np.nanmax(lat)]))
    crs = pyproj.CRS.from_proj4(f"+proj=laea +lat_0={lat0:.6f} +lon_0={lon0:.6f} +datum=WGS84 +units=m")
    return pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def _project(geoms: np.ndarray, tr: pyproj.Transformer) -> np.ndarray:
    return shapely.transform(geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


def cell_polygons(cells: np.ndarray) -> np.ndarray:
    """Shapely lon/lat polygons of uint64 H3 cells."""
    from h3._cy import cell_to_boundary  # noqa: PLC0415

    rings = [np.asarray(cell_to_boundary(int(c)))[:, ::-1] for c in cells.tolist()]
    return shapely.polygons(rings) if rings else np.zeros(0, dtype=object)


def parents(cells: np.ndarray, res: int) -> np.ndarray:
    from etl.h3stats import cell_to_parent_array  # noqa: PLC0415

    return cell_to_parent_array(cells, res)


def cells_covering(geoms: np.ndarray, res: int, buffer_km: float = 0.0) -> np.ndarray:
    """Cells of ``res`` whose hexagon may touch the geometries (lon/lat) buffered by ``buffer_km``."""
    lo0, la0, lo1, la1 = shapely.total_bounds(geoms)
    edge_deg = (h3.average_hexagon_edge_length(res, "km") * 2 + buffer_km) / 111.0
    pad_lon = edge_deg / max(np.cos(np.radians(max(abs(la0), abs(la1)))), 0.1)
    box = [(la0 - edge_deg, lo0 - pad_lon), (la0 - edge_deg, lo1 + pad_lon),
           (la1 + edge_deg, lo1 + pad_lon), (la1 + edge_deg, lo0 - pad_lon)]
    area = (lo1 - lo0 + 2 * pad_lon) * (la1 - la0 + 2 * edge_deg) * 111.0 ** 2 * np.cos(np.radians((la0 + la1) / 2))
    if area / h3.average_hexagon_area(res, "km^2") > MAX_CELLS:
        raise DataError([Problem("vector_too_many_cells", "", {"res": res, "found": int(area / h3.average_hexagon_area(res, "km^2"))})])
    import h3.api.basic_int as h3i  # noqa: PLC0415

    return np.sort(np.asarray(h3i.h3shape_to_cells(h3.LatLngPoly(box), res), dtype=np.uint64))


# --- statistics -------------------------------------------------------------------------------


def _frame(cells, count, mn, mx, mean, p90, shares: np.ndarray, breaks: Sequence[float], cls=None) -> pd.DataFrame:
    from etl.h3stats import share_columns  # noqa: PLC0415

    df = pd.DataFrame({"cell": np.asarray(cells, np.uint64), "count": np.asarray(count, np.int64),
                       "min": mn, "max": mx, "mean": mean, "p90": p90})
    df["sampled"] = False
    for name, col in zip(share_columns(breaks), np.asarray(shares, np.float64).reshape(len(df), len(breaks)).T):
        df[name] = col
    brk = np.asarray(breaks, np.float64)
    df["class"] = (np.searchsorted(brk, df["max"].to_numpy(), side="right") if cls is None else cls).astype(np.int8)
    return df.sort_values("cell", ignore_index=True)


def zones_to_h3(inp: VectorInput, src: VectorHazardSource, resolutions: Sequence[int],
                finest_cells: np.ndarray | None = None) -> dict[int, pd.DataFrame]:
    """Exact area shares of zone values per cell (see the module docstring), whole tables."""
    return collect(iter_zones_to_h3(inp, src, resolutions, finest_cells), resolutions, src.breaks)


def iter_zones_to_h3(inp: VectorInput, src: VectorHazardSource, resolutions: Sequence[int],
                     finest_cells: np.ndarray | None = None,
                     chunk_cells: int = CHUNK_CELLS) -> Iterator[tuple[int, pd.DataFrame]]:
    """``zones_to_h3`` as ``(res, frame)`` chunks: the finest cells are taken about
    ``chunk_cells`` at a time, whole parent partitions of the coarsest resolution per chunk, so
    every roll-up is complete inside its chunk. Projection and zone unions are computed once,
    for all cells, so each cell's figures are those of the whole-table computation."""
    res_list = sorted(set(resolutions))
    finest = res_list[-1]
    geoms, values = inp.geoms, inp.values
    if finest_cells is None:
        finest_cells = cells_covering(geoms, finest)
    finest_cells = np.asarray(finest_cells, np.uint64)
    if finest_cells.size == 0:
        return
    tr = _laea(*centre_extent(finest_cells, chunk_cells))
    zones = _project(geoms, tr)
    levels = np.unique(values)  # ascending
    # per level, the zones whose resolved value is >= level (max rule) / <= level (min rule)
    unions = [shapely.union_all(zones[values >= v if src.overlap == "max" else values <= v]) for v in levels]
    for idx in partition_chunks(finest_cells, res_list[0], chunk_cells):
        out = _zone_chunk(finest_cells[idx], tr, levels, unions, src, res_list)
        for r in res_list:
            if len(out[r]):
                yield r, out[r]
        del out


def _zone_chunk(finest_cells: np.ndarray, tr: pyproj.Transformer, levels: np.ndarray, unions: list,
                src: VectorHazardSource, res_list: list[int]) -> dict[int, pd.DataFrame]:
    """The frames of one chunk of finest cells (whole parent partitions) at every resolution."""
    finest = res_list[-1]
    cpoly = _project(cell_polygons(finest_cells), tr)
    cell_area = shapely.area(cpoly)
    # area of each cell where the resolved value is >= level (max rule) / <= level (min rule)
    tree = shapely.STRtree(cpoly)
    cover = np.zeros((finest_cells.size, levels.size))
    for j, union in enumerate(unions):
        cover[:, j] = _area_in(union, cpoly, tree)
    del tree, cpoly
    if src.overlap == "max":  # cover[:, j] = area(value >= levels[j]); exact value = difference
        at = cover - np.column_stack([cover[:, 1:], np.zeros(len(cover))])
    else:  # cover[:, j] = area(value <= levels[j])
        at = cover - np.column_stack([np.zeros(len(cover)), cover[:, :-1]])
    at = np.clip(at, 0, None)
    tol = 1e-9 * cell_area[:, None]
    at[at <= tol] = 0.0
    out = {}
    for r in res_list:
        keys = finest_cells if r == finest else parents(finest_cells, r)
        uniq, inv = np.unique(keys, return_inverse=True)
        a_val = np.zeros((uniq.size, levels.size))
        np.add.at(a_val, inv, at)
        a_cell = np.bincount(inv, weights=cell_area, minlength=uniq.size)
        covered = a_val.sum(1)
        has = covered > 0
        uniq, a_val, a_cell, covered = uniq[has], a_val[has], a_cell[has], covered[has]
        present = a_val > 0
        mn = levels[np.argmax(present, axis=1)]
        mx = levels[levels.size - 1 - np.argmax(present[:, ::-1], axis=1)]
        mean = (a_val * levels).sum(1) / covered
        cum = np.cumsum(a_val, axis=1) / covered[:, None]
        p90 = levels[np.minimum((cum < 0.9 - 1e-12).sum(1), levels.size - 1)]
        ge = np.column_stack([a_val[:, levels >= b].sum(1) for b in src.breaks]) if src.breaks else np.zeros((uniq.size, 0))
        shares = np.clip(ge / a_cell[:, None], 0, 1)
        count = np.round(np.bincount(inv, weights=at.sum(1), minlength=has.size)[has]).astype(np.int64) \
            if r != finest else np.round(covered).astype(np.int64)
        out[r] = _frame(uniq, count, mn, mx, mean, p90, shares, src.breaks)
    _fix_count_rollup(out, res_list)
    return out


def _fix_count_rollup(out: dict[int, pd.DataFrame], res_list: list[int]) -> None:
    """Coarser counts = sums of the finest counts (integers), so totals agree exactly."""
    finest = res_list[-1]
    f = out[finest]
    for r in res_list[:-1]:
        s = pd.Series(f["count"].to_numpy(), index=parents(f["cell"].to_numpy(np.uint64), r)).groupby(level=0).sum()
        out[r]["count"] = s.reindex(out[r]["cell"].to_numpy(np.uint64)).fillna(0).to_numpy(np.int64)


def _area_in(union: Any, cpoly: np.ndarray, tree: shapely.STRtree) -> np.ndarray:
    """Area of each cell polygon inside ``union`` (exact: interior cells whole, edge cells clipped)."""
    area = np.zeros(cpoly.size)
    if union is None or shapely.is_empty(union):
        return area
    parts = shapely.get_parts(union)
    for part in parts:  # per polygon part: fewer vertices per intersection
        shapely.prepare(part)
        idx = tree.query(part, predicate="intersects")
        if idx.size == 0:
            continue
        inside = shapely.contains_properly(part, cpoly[idx])
        area[idx[inside]] += shapely.area(cpoly[idx[inside]])
        edge = idx[~inside]
        if edge.size:
            area[edge] += shapely.area(shapely.intersection(cpoly[edge], part))
    return area


def collect(chunks: Iterator[tuple[int, pd.DataFrame]], resolutions: Sequence[int],
            breaks: Sequence[float]) -> dict[int, pd.DataFrame]:
    """Whole per-resolution tables (sorted by cell) from ``(res, frame)`` chunks."""
    parts: dict[int, list[pd.DataFrame]] = {}
    for r, df in chunks:
        parts.setdefault(r, []).append(df)
    out = {}
    for r in sorted(set(resolutions)):
        none = np.zeros(0)
        dfs = parts.get(r) or [_frame(np.zeros(0, np.uint64), np.zeros(0, np.int64), none, none, none, none,
                                      np.zeros((0, len(breaks))), breaks)]
        out[r] = dfs[0] if len(dfs) == 1 else pd.concat(dfs, ignore_index=True).sort_values(
            "cell", kind="stable", ignore_index=True)
    return out


def locate_events(inp: VectorInput, res: int,
                  region_cells: dict[int, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """(cells at ``res``, magnitudes) of the events inside the region's cells, and how many are outside."""
    ev_cells = latlng_to_cells(inp.lat, inp.lon, res) if inp.lat.size else np.zeros(0, np.uint64)
    inside = np.ones(ev_cells.size, bool)
    if region_cells is not None:
        inside = np.isin(ev_cells, region_cells[res])
    return ev_cells[inside], inp.magnitude[inside], int((~inside).sum())


def events_to_h3(inp: VectorInput, src: VectorHazardSource, resolutions: Sequence[int],
                 region_cells: dict[int, np.ndarray] | None = None) -> tuple[dict[int, pd.DataFrame], int]:
    """Per-cell event statistics; returns (frames, events outside the region's cells)."""
    located = locate_events(inp, max(resolutions), region_cells)
    return (collect(iter_events_to_h3(inp, src, resolutions, region_cells, located), resolutions, src.breaks),
            located[2])


def iter_events_to_h3(inp: VectorInput, src: VectorHazardSource, resolutions: Sequence[int],
                      region_cells: dict[int, np.ndarray] | None = None,
                      located: tuple[np.ndarray, np.ndarray, int] | None = None,
                      chunk_cells: int = CHUNK_CELLS) -> Iterator[tuple[int, pd.DataFrame]]:
    """``events_to_h3`` as ``(res, frame)`` chunks, coarsest resolution first; a smoothed rate
    (every region cell has a value) is computed ``chunk_cells`` cells at a time."""
    res_list = sorted(set(resolutions))
    finest = res_list[-1]
    fine, mag, _ = located if located is not None else locate_events(inp, finest, region_cells)
    years = (src.period[1] - src.period[0] + 1) if src.period else None
    for r in res_list:
        keys = fine if r == finest else parents(fine, r)
        df = pd.DataFrame({"cell": keys, "m": mag})
        g = df.groupby("cell", sort=True)
        count = g.size()
        if src.statistic == "smoothed_rate":
            if region_cells is not None:
                base = region_cells[finest] if r == finest else parents(region_cells[finest], r)
                cells = np.union1d(base, count.index.to_numpy(np.uint64))
                del base
            else:
                cells = cells_covering(shapely.points(inp.lon, inp.lat), r, KERNEL_CUTOFF * src.bandwidth_km)
                cells = np.union1d(cells, count.index.to_numpy(np.uint64))
            for s0, s1 in _chunk_bounds(cells.size, chunk_cells):
                part = cells[s0:s1]
                n = count.reindex(part).fillna(0).to_numpy(np.int64)
                value = smoothed_rate(part, inp.lon, inp.lat, src.bandwidth_km) / years * src.rate_per_km2
                yield r, _frame(part, n, value, value, value, value,
                                np.column_stack([value >= b for b in src.breaks]), src.breaks)
            del cells
            continue
        cells = count.index.to_numpy(np.uint64)
        n = count.to_numpy(np.int64)
        if src.statistic == "max_magnitude":
            m = g["m"]
            shares = np.column_stack([m.apply(lambda s, b=b: float((s >= b).mean())).to_numpy() for b in src.breaks])
            yield r, _frame(cells, n, m.min().to_numpy(), m.max().to_numpy(), m.mean().to_numpy(),
                            m.quantile(0.9).to_numpy(), shares, src.breaks)
        else:
            if src.statistic == "rate":
                area = np.array([h3.cell_area(h3.int_to_str(int(c)), "km^2") for c in cells])
                value = n / area / years * src.rate_per_km2
            else:
                value = n.astype(np.float64)
            yield r, _frame(cells, n, value, value, value, value,
                            np.column_stack([value >= b for b in src.breaks]), src.breaks)


MAX_PAIRS = 1_000_000  # (cell, event) pairs within the cutoff handled at once (memory bound)


def smoothed_rate(cells: np.ndarray, lon: np.ndarray, lat: np.ndarray, sigma_km: float,
                  chunk: int = CHUNK_CELLS, max_pairs: int = MAX_PAIRS) -> np.ndarray:
    """Σ over events of exp(-d²/2σ²)/(2πσ²) (per km²) at cell centres, d great-circle, d <= 4σ.

    Each cell's terms are added in the order of the events (whatever the chunking, so any
    chunk of cells gives the same floats); cells are taken ``chunk`` at a time, halved until
    at most ``max_pairs`` (cell, event) pairs lie within the cutoff, so memory stays bounded
    however dense the events.
    """
    from scipy.spatial import cKDTree  # noqa: PLC0415

    out = np.zeros(cells.size)
    if lon.size == 0 or cells.size == 0:
        return out
    ev = unit_vectors(lon, lat)
    ev_tree = cKDTree(ev)
    cutoff = KERNEL_CUTOFF * sigma_km
    chord = 2 * np.sin(min(cutoff / EARTH_RADIUS_KM, np.pi) / 2) * (1 + 1e-9)

    def add(pts: np.ndarray, at: int) -> None:
        tree = cKDTree(pts)
        if pts.shape[0] > 1 and tree.count_neighbors(ev_tree, chord) > max_pairs:
            half = pts.shape[0] // 2
            del tree
            add(pts[:half], at)
            add(pts[half:], at + half)
            return
        pairs = tree.sparse_distance_matrix(ev_tree, chord, output_type="ndarray")
        del tree
        if len(pairs) == 0:
            return
        order = np.lexsort((pairs["j"], pairs["i"]))  # by cell, then event: a fixed order of terms
        i, j = pairs["i"][order], pairs["j"][order]
        del pairs, order
        d = EARTH_RADIUS_KM * _angle(pts[i], ev[j])
        w = np.where(d <= cutoff, np.exp(-d * d / (2 * sigma_km ** 2)), 0.0)
        out[at:at + pts.shape[0]] += np.bincount(i, weights=w, minlength=pts.shape[0])

    for s0, s1 in _chunk_bounds(cells.size, chunk):
        clon, clat = cell_centres(cells[s0:s1])
        add(unit_vectors(clon, clat), s0)
    return out / (2 * np.pi * sigma_km ** 2)


class NearestLine:
    """Great-circle distance (km) to the nearest of ``lines`` (exact; candidates by STRtree).

    The planar pre-selection uses a Lambert azimuthal equal-area projection centred on the
    lines and ``lon``/``lat`` (all the points that will be asked, so the answer for a point
    does not depend on how the points are chunked)."""

    def __init__(self, lines: np.ndarray, lon: np.ndarray, lat: np.ndarray):
        coords, idx = shapely.get_coordinates(shapely.get_parts(lines), return_index=True)
        same = idx[1:] == idx[:-1]
        a_ll, b_ll = coords[:-1][same], coords[1:][same]
        self.tr = tr = _laea(np.r_[a_ll[:, 0], lon], np.r_[a_ll[:, 1], lat])
        ax, ay = tr.transform(a_ll[:, 0], a_ll[:, 1])
        bx, by = tr.transform(b_ll[:, 0], b_ll[:, 1])
        segs = shapely.linestrings(np.stack([np.column_stack([ax, ay]), np.column_stack([bx, by])], axis=1))
        self.tree = shapely.STRtree(segs)
        self.ua, self.ub = unit_vectors(a_ll[:, 0], a_ll[:, 1]), unit_vectors(b_ll[:, 0], b_ll[:, 1])

    def km(self, lon: np.ndarray, lat: np.ndarray, step: int = 25_000) -> np.ndarray:
        """Distances of a chunk of points, ``step`` at a time: a far point has many candidate
        segments, so the (point, segment) pairs are what memory must bound. Each point's
        answer is a minimum over its own candidates: the same however the points are split."""
        if lon.size > step:
            return np.concatenate([self.km(lon[s0:s1], lat[s0:s1], step) for s0, s1 in _chunk_bounds(lon.size, step)])
        px, py = self.tr.transform(lon, lat)
        pts = shapely.points(px, py)
        (pi, _), dist = self.tree.query_nearest(pts, return_distance=True, all_matches=False)
        near = np.full(pts.size, np.inf)
        near[pi] = dist
        # every segment within the projected nearest distance + 3 % + 1 km holds the spherical nearest
        pi, sj = self.tree.query(pts, predicate="dwithin", distance=near * 1.03 + 1000.0)
        up = unit_vectors(lon, lat)
        d = arc_distance_km(up[pi], self.ua[sj], self.ub[sj])
        best = np.full(pts.size, np.inf)
        np.minimum.at(best, pi, d)
        return best


def nearest_line_km(lon: np.ndarray, lat: np.ndarray, lines: np.ndarray, chunk: int = CHUNK_CELLS) -> np.ndarray:
    """Great-circle distance (km) from each point to the nearest line (exact; candidates by STRtree)."""
    near = NearestLine(lines, lon, lat)
    out = np.full(lon.size, np.inf)
    for s0, s1 in _chunk_bounds(lon.size, chunk):
        out[s0:s1] = near.km(lon[s0:s1], lat[s0:s1])
    return out


def lines_to_h3(inp: VectorInput, src: VectorHazardSource, resolutions: Sequence[int],
                finest_cells: np.ndarray | None = None) -> dict[int, pd.DataFrame]:
    """Distance from each cell centre to the nearest line, classed by bands (nearer = higher)."""
    return collect(iter_lines_to_h3(inp, src, resolutions, finest_cells), resolutions, src.breaks)


def iter_lines_to_h3(inp: VectorInput, src: VectorHazardSource, resolutions: Sequence[int],
                     finest_cells: np.ndarray | None = None,
                     chunk_cells: int = CHUNK_CELLS) -> Iterator[tuple[int, pd.DataFrame]]:
    """``lines_to_h3`` as ``(res, frame)`` chunks of ``chunk_cells`` cells, coarsest resolution first."""
    res_list = sorted(set(resolutions))
    finest = res_list[-1]
    if finest_cells is None:
        finest_cells = cells_covering(inp.geoms, finest, max(src.breaks))
    finest_cells = np.asarray(finest_cells, np.uint64)
    bands = np.asarray(src.breaks, np.float64)
    for r in res_list:
        keys = finest_cells if r == finest else parents(finest_cells, r)
        cells, n = np.unique(keys, return_counts=True)
        del keys
        near = NearestLine(inp.geoms, *centre_extent(cells, chunk_cells))
        for s0, s1 in _chunk_bounds(cells.size, chunk_cells):
            lon, lat = cell_centres(cells[s0:s1])
            d = near.km(lon, lat)
            cls = (d[:, None] < bands[None, :]).sum(1)  # bands the distance is below
            # share of the cell in class > i (the cell is one point: 0 or 1), like a raster's shares
            shares = np.column_stack([cls > i for i in range(bands.size)]).astype(np.float64)
            yield r, _frame(cells[s0:s1], n[s0:s1], d, d, d, d, shares, src.breaks, cls=cls)
        del cells, n, near
