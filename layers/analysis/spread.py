"""Spread-out top-N: the best rows of a ranked table, no two closer than a minimum distance.

Ranked site results cluster: the 20 best depot hexagons of a city are often 20 neighbours of
one valley, which gives a planner one place, not twenty. ``spread_top`` walks the rows in rank
order and keeps a row only when it lies at least ``min_km`` (great circle) from every row kept
before it (greedy thinning, the rule of a "minimum distance between results"). Each kept row
is then the best row outside the exclusion discs of the better kept ones, so the first kept
row is always rank 1, and every row skipped has a better kept row within ``min_km``.

Distances use the k-d tree on unit vectors of the travel model, so a region of 100,000
candidates thins in well under a second.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from layers.analysis.travel import EARTH_RADIUS_KM, unit_vectors

__all__ = ["DEFAULT_SPACING_KM", "spread_top"]

#: Default minimum distance between two site results: about the radius a county depot serves
#: in its first hour on plain roads (50 km/h x 1.3 detour x 0.25 h is 10 km), several rings of
#: hexagons at the resolutions sites are scored at (res 7: 2.6 km across).
DEFAULT_SPACING_KM = 10.0


def spread_top(rows: pd.DataFrame, n: int, min_km: float) -> pd.DataFrame:
    """The first ``n`` rows of ``rows`` (already in rank order) that lie at least ``min_km``
    apart, greedily in that order.

    Parameters
    ----------
    rows
        A table with ``lat`` and ``lon`` in degrees, best row first.
    n
        How many rows to keep (at most; fewer when the rest are all too close).
    min_km
        Minimum great-circle distance between two kept rows, in km; 0 keeps the first ``n``.

    Returns
    -------
    pandas.DataFrame
        The kept rows, in their original order, index reset.

    Raises
    ------
    ValueError
        ``n`` below 1, or ``min_km`` negative or not finite.
    """
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"n: found {n!r:.30}; expected a whole number >= 1")
    if not isinstance(min_km, (int, float)) or not math.isfinite(min_km) or min_km < 0:
        raise ValueError(f"spacing_km: found {min_km!r:.30}; expected a distance in km >= 0")
    if min_km == 0 or len(rows) == 0:
        return rows.head(int(n)).reset_index(drop=True)
    xyz = unit_vectors(rows["lat"].to_numpy(np.float64), rows["lon"].to_numpy(np.float64))
    tree = cKDTree(xyz)
    # chord of the arc min_km, a hair shorter so that a row exactly min_km away stays allowed
    chord = 2.0 * math.sin(min(min_km / EARTH_RADIUS_KM, math.pi) / 2.0) * (1 - 1e-12)
    blocked = np.zeros(len(rows), bool)
    kept: list[int] = []
    for i in range(len(rows)):
        if blocked[i]:
            continue
        kept.append(i)
        if len(kept) == n:
            break
        blocked[tree.query_ball_point(xyz[i], chord)] = True
    return rows.iloc[kept].reset_index(drop=True)
