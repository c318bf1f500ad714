"""Weighted sums of the points within reach of every query point, exact, without listing pairs.

``reach_sums`` answers, for n query points ``q`` and m weighted points ``p``::

    S[q] = sum of w[p] over the points with gc(q, p) <= scale[q] * radius[p]

(``gc``: great-circle km on the sphere of ``layers.analysis.travel.EARTH_RADIUS_KM``). With a reach of
~200 km (6 h at 50 km/h) a query holds thousands of points, so listing the pairs (cKDTree's
``query_ball_point``) is too slow for the 60k cells of a region at res 7.

Method: a dual-tree descent (Gray & Moore 2001, "N-body problems in statistical learning").
Both sets are grouped by H3 parents (res 2 up to res 9; levels that do not branch are
dropped). A group keeps its total weight, a centre (the mean of its members' unit vectors)
and a bounding radius ``beta`` (largest 3-D chord from the centre to a member, measured on
the members). Everything is compared in chord space: ``gc <= r`` iff ``chord <= 2 sin(r / 2R)``.
A (query group, point group) pair at chord ``c`` between centres is settled at once when
``c + beta_q + beta_p`` is within the smallest reach of the point group (every pair is in: the
query group gets the weight) or ``c - beta_q - beta_p`` beyond the largest (all out);
otherwise the group with the larger spread is opened. Only single queries and single points
near the edge of the reach are tested one by one. The triangle inequality in 3-D makes the
shortcuts exact (a margin of 1e-12 chord sends borderline groups down to the point test), so
the result equals the loop over all pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import h3.api.basic_int as h3i
import numpy as np

from layers.analysis.travel import EARTH_RADIUS_KM, check_points, unit_vectors

#: H3 resolutions of the groups, coarse to fine (points are keyed by their res-9 cell).
GROUP_RESOLUTIONS = tuple(range(2, 10))
#: Pairs handled at once (bounds memory: ~150 bytes a pair).
_PAIRS_PER_STEP = 2_000_000
_MARGIN = 1e-12  # chord units (~6 micrometres)


@dataclass(frozen=True)
class _Level:
    """One level of a hierarchy: groups (or, last, the points themselves)."""

    x: np.ndarray            # (g,) centre, 3 coordinates (mean of the members' unit vectors)
    y: np.ndarray
    z: np.ndarray
    weight: np.ndarray       # (g,) total weight of the members
    beta: np.ndarray         # (g,) largest chord from the centre to a member (0 for points)
    first: np.ndarray        # (g,) first member (position in the tree's point order)
    child_start: np.ndarray  # (g,) first child in the next level (children are contiguous)
    child_count: np.ndarray  # (g,) number of children


@dataclass(frozen=True)
class _Tree:
    """Levels coarse to fine, the group of every point at every level, and the points' order."""

    levels: list[_Level]
    group_of: np.ndarray  # (len(levels), n) group id of each (sorted) point per level
    order: np.ndarray     # (n,) original index of each sorted point
    spread: np.ndarray    # (len(levels),) mean beta of a level (which side to open first)


def parent_cells(cells: np.ndarray, res: int) -> np.ndarray:
    """H3 parents at ``res`` of uint64 cells of a finer resolution (bit arithmetic)."""
    digits = np.uint64((1 << (3 * (15 - res))) - 1)  # unused digits are all 7 (0b111)
    res_bits = np.uint64(0xF << 52)
    return ((cells | digits) & ~res_bits) | np.uint64(res << 52)


def chord_of_km(km: np.ndarray | float) -> np.ndarray:
    """The 3-D chord of the unit sphere spanning ``km`` of great circle (2 beyond half a turn)."""
    half = np.minimum(np.asarray(km, np.float64) / (2.0 * EARTH_RADIUS_KM), np.pi / 2)
    return 2.0 * np.sin(half)


def _tree(lat: np.ndarray, lng: np.ndarray, weight: np.ndarray, cells: np.ndarray | None) -> _Tree:
    """The group levels (coarse to fine) and, last, the points, sorted so children are contiguous."""
    xyz = unit_vectors(lat, lng)
    if cells is None:
        fine = max(GROUP_RESOLUTIONS)
        cells = np.fromiter((h3i.latlng_to_cell(a, b, fine) for a, b in zip(lat.tolist(), lng.tolist())),
                            np.uint64, len(lat))
    res = ((cells >> np.uint64(52)) & np.uint64(0xF)).astype(np.int64)
    keys = np.stack([np.where(res > r, parent_cells(cells, r), cells) for r in GROUP_RESOLUTIONS]
                    + [np.arange(len(lat), dtype=np.uint64)])
    order = np.lexsort(keys[::-1])  # points sorted by their ancestors, coarse first
    keys, xyz, weight = keys[:, order], xyz[order], weight[order]
    new = np.ones((len(keys), len(lat)), bool)  # a point starts a new group at a level
    new[:, 1:] = np.logical_or.accumulate(keys[:, 1:] != keys[:, :-1], axis=0)
    gid = np.cumsum(new, axis=1) - 1
    counts = gid[:, -1] + 1
    keep = [k for k in range(len(keys) - 1) if counts[k] != counts[k + 1]] + [len(keys) - 1]
    levels: list[_Level] = []
    for i, k in enumerate(keep):
        g, n = gid[k], int(counts[k])
        if k == len(keys) - 1:
            centre, beta = xyz, np.zeros(n)
        else:
            centre = np.stack([np.bincount(g, xyz[:, j], n) for j in range(3)], axis=1)
            centre /= np.bincount(g, minlength=n)[:, None]
            beta = np.zeros(n)
            np.maximum.at(beta, g, np.sqrt(((centre[g] - xyz) ** 2).sum(axis=1)))
            beta = beta * (1 + 1e-9) + _MARGIN
        if i + 1 < len(keep):
            child = gid[keep[i + 1]]
            first = np.flatnonzero(np.r_[True, child[1:] != child[:-1]])  # first point of each child
            start = np.searchsorted(g[first], np.arange(n))
            cnt = np.bincount(g[first], minlength=n)
        else:
            start = cnt = np.zeros(n, np.int64)
        levels.append(_Level(*(np.ascontiguousarray(centre[:, j]) for j in range(3)),
                             np.bincount(g, weight, n), beta, np.searchsorted(g, np.arange(n)), start, cnt))
    return _Tree(levels, gid[keep], order, np.array([lv.beta.mean() for lv in levels]))


def _expand(node: np.ndarray, level: _Level) -> tuple[np.ndarray, np.ndarray]:
    """Children of ``node`` and, for each child, the position of its parent in ``node``."""
    cnt = level.child_count[node]
    offsets = np.cumsum(cnt) - cnt
    child = np.repeat(level.child_start[node] - offsets, cnt) + np.arange(int(cnt.sum()))
    return child, np.repeat(np.arange(len(node)), cnt)


@dataclass(frozen=True)
class _Reach:
    """Per point-tree level, the chords of the smallest and largest reach at one scale."""

    cmin: list[np.ndarray]
    cmax: list[np.ndarray]


def _descend(qt: _Tree, pt: _Tree, reach: _Reach, acc: list[np.ndarray], ia: int, ip: int,
             a: np.ndarray, p: np.ndarray) -> None:
    """Add to ``acc[ia]`` the weight within reach for the (query group, point group) pairs."""
    ql, pl = qt.levels[ia], pt.levels[ip]
    dx, dy, dz = ql.x[a] - pl.x[p], ql.y[a] - pl.y[p], ql.z[a] - pl.z[p]
    c2 = dx * dx + dy * dy + dz * dz
    q_leaf, p_leaf = ia == len(qt.levels) - 1, ip == len(pt.levels) - 1
    if q_leaf and p_leaf:  # a query and a point: the exact test
        cmin = reach.cmin[ip][p]
        acc[ia] += np.bincount(a, pl.weight[p] * (c2 <= cmin * cmin), len(acc[ia]))
        return
    c = np.sqrt(c2)
    b = ql.beta[a] + pl.beta[p]
    full = c + b <= reach.cmin[ip][p] - _MARGIN
    acc[ia] += np.bincount(a, pl.weight[p] * full, len(acc[ia]))
    part = ~full & (c - b <= reach.cmax[ip][p] + _MARGIN)
    a, p = a[part], p[part]
    open_query = not q_leaf and (p_leaf or qt.spread[ia] >= pt.spread[ip])
    level, node = (ql, a) if open_query else (pl, p)
    ends = np.cumsum(level.child_count[node])
    cuts = np.r_[0, np.searchsorted(ends, np.arange(_PAIRS_PER_STEP, ends[-1] if len(ends) else 0,
                                                    _PAIRS_PER_STEP), side="right"), len(node)]
    for lo, hi in zip(cuts[:-1], cuts[1:]):  # bounded memory: about _PAIRS_PER_STEP children at once
        if hi <= lo:
            continue
        child, pos = _expand(node[lo:hi], level)
        if open_query:
            _descend(qt, pt, reach, acc, ia + 1, ip, child, p[lo:hi][pos])
        else:
            _descend(qt, pt, reach, acc, ia, ip + 1, a[lo:hi][pos], child)


def _reach(pt: _Tree, radius: np.ndarray, scale: float) -> _Reach:
    """Chords of the smallest and largest reach of every group at ``scale`` (0 x inf = 0 km)."""
    km = np.nan_to_num(scale * radius[pt.order], nan=0.0, posinf=np.inf)
    return _Reach([chord_of_km(np.minimum.reduceat(km, lv.first)) for lv in pt.levels],
                  [chord_of_km(np.maximum.reduceat(km, lv.first)) for lv in pt.levels])


def _dual_sums(qt: _Tree, pt: _Tree, reach: _Reach) -> np.ndarray:
    """Sums per (sorted) query of ``qt``: the dual descent from the roots, pushed down to queries."""
    acc = [np.zeros(len(lv.weight)) for lv in qt.levels]
    ra, rp = len(qt.levels[0].weight), len(pt.levels[0].weight)
    a, p = np.repeat(np.arange(ra), rp), np.tile(np.arange(rp), ra)
    for lo in range(0, len(a), _PAIRS_PER_STEP):
        _descend(qt, pt, reach, acc, 0, 0, a[lo:lo + _PAIRS_PER_STEP], p[lo:lo + _PAIRS_PER_STEP])
    return sum(level_acc[qt.group_of[i]] for i, level_acc in enumerate(acc))


def _vector(name: str, value: Any, size: int, *, nonneg: bool) -> np.ndarray:
    """``value`` as a (size,) float array (a scalar is repeated), checked, else ValueError."""
    arr = np.asarray(value, np.float64)
    arr = np.full(size, float(arr)) if arr.ndim == 0 else arr.ravel()
    if arr.shape != (size,):
        raise ValueError(f"{name}: found {arr.size} values; expected {size} (or one)")
    if np.isnan(arr).any() or (nonneg and (arr < 0).any()) or (not nonneg and not np.isfinite(arr).all()):
        raise ValueError(f"{name}: found NaN{', infinite' if not nonneg else ' or negative'} values; "
                         f"expected {'numbers >= 0' if nonneg else 'finite numbers'}")
    return arr


def _cells(name: str, value: Any, size: int) -> np.ndarray | None:
    """Optional (size,) uint64 H3 cells, else ValueError."""
    if value is None:
        return None
    arr = np.asarray(value).ravel()
    if arr.shape != (size,) or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name}: found {arr.size} values of {arr.dtype}; expected {size} uint64 H3 cells")
    arr = arr.astype(np.uint64)
    if size and ((arr >> np.uint64(59)) != 1).any():
        raise ValueError(f"{name}: found ids that are not H3 cells; expected uint64 H3 cell ids")
    return arr


def reach_sums(q_lat: Any, q_lng: Any, p_lat: Any, p_lng: Any, weight: Any, radius_km: Any,
               scale: Any = 1.0, *, q_cells: Any = None, p_cells: Any = None) -> np.ndarray:
    """For every query point, the total weight of the points within its reach.

    Point ``p`` is within reach of query ``q`` when ``gc(q, p) <= scale[q] * radius_km[p]``
    (great-circle km). Exact: equal to the loop over all pairs (see the module docstring).

    Parameters
    ----------
    q_lat, q_lng
        Degrees (WGS-84) of the n query points.
    p_lat, p_lng
        Degrees of the m points.
    weight
        (m,) or scalar finite weights (1 counts points).
    radius_km
        (m,) or scalar reach in km of each point (>= 0; ``inf`` reaches everywhere), or an
        (m, k) array: k reaches at once (e.g. distance bands), one column of sums each.
    scale
        (n,) or scalar factor of each query's reach (>= 0); queries are processed in one
        descent per distinct value, so keep the values few (e.g. one per terrain class).
    q_cells, p_cells
        Optional H3 cells (uint64) holding the queries / points, which saves looking them up
        (the grouping only affects speed: bounds are measured on the points themselves).

    Returns
    -------
    numpy.ndarray
        (n,) float sums; (n, k) for a 2-D ``radius_km``.

    Raises
    ------
    ValueError
        Bad coordinates, shapes, or NaN / negative radii and scales, non-finite weights.

    Examples
    --------
    >>> reach_sums([0.0], [0.0], [0.0, 0.0], [1.0, 2.0], [1.0, 5.0], 150.0).tolist()
    [1.0]
    """
    qla, qlo = check_points("queries", q_lat, q_lng)
    pla, plo = check_points("points", p_lat, p_lng)
    n, m = len(qla), len(pla)
    w = _vector("weight", weight, m, nonneg=False)
    bands = np.asarray(radius_km, np.float64)
    if bands.ndim == 2 and bands.shape[0] != m:
        raise ValueError(f"radius_km: found shape {bands.shape}; expected ({m}, k)")
    radii = (_vector("radius_km", bands, bands.size, nonneg=True).reshape(bands.shape) if bands.ndim == 2
             else _vector("radius_km", bands, m, nonneg=True)[:, None])
    scales = _vector("scale", scale, n, nonneg=True)
    q_cells, p_cells = _cells("q_cells", q_cells, n), _cells("p_cells", p_cells, m)
    out = np.zeros((n, radii.shape[1]))
    if n and m:
        pt = _tree(pla, plo, w, p_cells)
        values, which = np.unique(scales, return_inverse=True)
        for k, value in enumerate(values):  # one query tree per distinct scale
            rows = np.flatnonzero(which == k)
            qt = _tree(qla[rows], qlo[rows], np.zeros(len(rows)), None if q_cells is None else q_cells[rows])
            for j in range(radii.shape[1]):
                out[rows[qt.order], j] = _dual_sums(qt, pt, _reach(pt, radii[:, j], float(value)))
    return out if bands.ndim == 2 else out[:, 0]
