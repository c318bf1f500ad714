"""Response distance and time: the nearest facilities of each group (reserve tier or chain) per H3 cell.

Method, and its limits (a distance model, not a road network):

- distance: the great-circle distance (sphere of radius ``EARTH_RADIUS_KM``) from the cell's
  centre to the facility, found with a k-d tree on 3-D unit vectors (the chord is monotone in
  the great-circle distance, so the nearest by chord is the nearest on the sphere);
- road km = great-circle km x a detour factor chosen by the terrain class of the *served
  cell* (``standards.detour``, e.g. 1.3 plains, 1.6 mountains), not by the terrain along the
  way; the classes are a county-level classification in the region file, not a DEM;
- hours = road km / speed of the group (``standards.speed_kmh`` by reserve tier; a chain group
  uses the ``"enterprise"`` speed) + a constant dispatch delay;
- no road network, no rivers or mountains in the way, no congestion, no closures, no ferry or
  air transport, no capacity or stock limits; the "nearest" facility is nearest by distance,
  so with one detour factor per cell it is also nearest by road km and by hours.

``nearest_facilities`` and ``access_table`` are the pure core (arrays and DataFrames);
``access_from_store`` is the adapter that reads cells and facilities from a store.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from etl import schema
from layers.frames import DEFAULT_TERRAIN, cell_strings, h3_strings

#: Mean Earth radius (IUGG), km.
EARTH_RADIUS_KM = 6371.0088
#: Speed key used by chain groups (enterprises count as production capacity).
CHAIN_SPEED_KEY = "enterprise"
#: Output columns of ``access_table`` and ``access_from_store``.
COLUMNS = ("cell", "tier", "rank", "facility_id", "gc_km", "road_km", "hours")


def unit_vectors(lat: np.ndarray, lng: np.ndarray) -> np.ndarray:
    """(n, 3) unit vectors of points given in degrees."""
    la, lo = np.radians(np.asarray(lat, np.float64)), np.radians(np.asarray(lng, np.float64))
    out = np.empty((la.size, 3))
    c = np.cos(la)
    np.multiply(np.cos(lo), c, out=out[:, 0])
    np.multiply(np.sin(lo), c, out=out[:, 1])
    np.sin(la, out=out[:, 2])
    return out


def check_points(name: str, lat: Any, lng: Any) -> tuple[np.ndarray, np.ndarray]:
    """1-D float arrays of equal length with finite, in-range degrees, else ValueError."""
    la, lo = np.asarray(lat, np.float64).ravel(), np.asarray(lng, np.float64).ravel()
    if la.shape != lo.shape:
        raise ValueError(f"{name}: lat has {la.size} values but lng has {lo.size}; expected equal lengths")
    if not (np.isfinite(la).all() and np.isfinite(lo).all()) or (np.abs(la) > 90).any():
        raise ValueError(f"{name}: found NaN, infinite or |lat| > 90 coordinates; expected WGS-84 degrees")
    return la, lo


def check_k(k: Any) -> int:
    """``k`` as an int >= 1, else ValueError."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r:.40}")
    return int(k)


def _nearest_xyz(cell_xyz: np.ndarray, fac_xyz: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Core of ``nearest_facilities`` on unit vectors: (index, great-circle km), padded -1 / inf."""
    n, m = len(cell_xyz), len(fac_xyz)
    index = np.full((n, k), -1, np.int64)
    gc_km = np.full((n, k), np.inf)
    if n == 0 or m == 0:
        return index, gc_km
    kk = min(k, m)
    chord, found = cKDTree(fac_xyz).query(cell_xyz, k=kk, workers=-1)
    chord = chord.reshape(n, kk)
    index[:, :kk] = found.reshape(n, kk)
    gc_km[:, :kk] = (2.0 * EARTH_RADIUS_KM) * np.arcsin(np.minimum(chord * 0.5, 1.0))
    return index, gc_km


def nearest_facilities(cell_lat: Any, cell_lng: Any, fac_lat: Any, fac_lng: Any,
                       k: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest facilities of every cell on the sphere, nearest first.

    A k-d tree on 3-D unit vectors gives the nearest by chord length ``c``; the great-circle
    distance is ``2 R asin(c / 2)`` with ``R = EARTH_RADIUS_KM``. Ties keep the k-d tree's order.

    Parameters
    ----------
    cell_lat, cell_lng
        Degrees (WGS-84) of the n cell centres (or any points).
    fac_lat, fac_lng
        Degrees of the m facilities.
    k
        How many nearest facilities per cell (>= 1).

    Returns
    -------
    index : numpy.ndarray
        (n, k) int64 row positions into the facility arrays; -1 where fewer than ``k``
        facilities exist (all -1 when there are none).
    gc_km : numpy.ndarray
        (n, k) great-circle km; ``inf`` where ``index`` is -1.

    Raises
    ------
    ValueError
        ``k`` < 1 or not an integer; lat/lng of unequal length, not finite or |lat| > 90.

    Examples
    --------
    >>> idx, km = nearest_facilities([0.0], [0.0], [0.0, 2.0], [1.0, 0.0], k=3)
    >>> idx.tolist(), km.round(1).tolist()
    ([[0, 1, -1]], [[111.2, 222.4, inf]])
    """
    k = check_k(k)
    cla, clo = check_points("cells", cell_lat, cell_lng)
    fla, flo = check_points("facilities", fac_lat, fac_lng)
    return _nearest_xyz(unit_vectors(cla, clo), unit_vectors(fla, flo), k)


@dataclass(frozen=True)
class AccessParams:
    """Detour factor by terrain class, speed (km/h) by group, and a constant dispatch delay (h).

    ``speed_kmh`` is keyed by reserve tier; chain groups use the ``"enterprise"`` speed.
    ``detour`` must hold ``"plain"`` (the class of unlisted cells). Checked on creation:
    speeds > 0, detour factors >= 1, delay >= 0, all finite.
    """

    detour: Mapping[str, float] = field(default_factory=dict)
    speed_kmh: Mapping[str, float] = field(default_factory=dict)
    dispatch_delay_h: float = 0.0

    def __post_init__(self) -> None:
        for key, table, low, strict, expected in (
                ("detour", self.detour, 1.0, False, "factors >= 1, e.g. { plain = 1.3 }"),
                ("speed_kmh", self.speed_kmh, 0.0, True, "speeds > 0 km/h, e.g. { county = 50 }")):
            if not isinstance(table, Mapping):
                raise ValueError(f"{key}: found {table!r:.60}; expected a mapping of {expected}")
            for name, v in table.items():
                ok = (isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                      and math.isfinite(v) and (v > low if strict else v >= low))
                if not ok:
                    raise ValueError(f"{key}.{name}: found {v!r:.40}; expected {expected}")
            object.__setattr__(self, key, {str(n): float(v) for n, v in table.items()})
        if DEFAULT_TERRAIN not in self.detour:
            raise ValueError(f"detour.{DEFAULT_TERRAIN}: missing (found {sorted(self.detour)}); expected "
                             f"the detour factor of the default terrain class {DEFAULT_TERRAIN!r}")
        d = self.dispatch_delay_h
        if isinstance(d, bool) or not isinstance(d, (int, float, np.number)) or not math.isfinite(d) or d < 0:
            raise ValueError(f"dispatch_delay_h: found {d!r:.40}; expected hours >= 0")
        object.__setattr__(self, "dispatch_delay_h", float(d))

    @classmethod
    def from_standards(cls, standards: Mapping[str, Any] | None, **overrides: Any) -> AccessParams:
        """Parameters from a store's meta ``standards`` (or a region's), with overrides.

        Parameters
        ----------
        standards
            ``{"detour": {...}, "speed_kmh": {...}, "dispatch_delay_h": h, ...}``; other keys
            (``hours_by_tier``, ``terrain_by_unit``) are ignored. ``None``: overrides only.
        **overrides
            ``detour`` and ``speed_kmh`` mappings are merged key by key over the standards;
            ``dispatch_delay_h`` replaces the standard.

        Returns
        -------
        AccessParams

        Raises
        ------
        ValueError
            An unknown override, or a value out of range (names the key, found, expected).
        """
        unknown = set(overrides) - {"detour", "speed_kmh", "dispatch_delay_h"}
        if unknown:
            raise ValueError(f"unknown access parameter(s) {sorted(unknown)}; expected detour, "
                             "speed_kmh or dispatch_delay_h")
        st = dict(standards or {})
        merged: dict[str, Any] = {}
        for key in ("detour", "speed_kmh"):
            base, extra = st.get(key) or {}, overrides.get(key) or {}
            for name, table in ((f"standards.{key}", base), (key, extra)):
                if not isinstance(table, Mapping):
                    raise ValueError(f"{name}: found {table!r:.60}; expected a mapping of name -> number")
            merged[key] = {**base, **extra}
        merged["dispatch_delay_h"] = overrides.get("dispatch_delay_h", st.get("dispatch_delay_h", 0.0))
        return cls(**merged)

    def speed_for(self, group: str) -> float:
        """km/h of a group: its own speed, or the ``"enterprise"`` speed for a chain code."""
        if group in self.speed_kmh:
            return self.speed_kmh[group]
        if group in schema.CHAINS and CHAIN_SPEED_KEY in self.speed_kmh:
            return self.speed_kmh[CHAIN_SPEED_KEY]
        raise ValueError(f"speed_kmh.{group}: missing (found {sorted(self.speed_kmh)}); expected a "
                         f"speed for every tier, and {CHAIN_SPEED_KEY!r} for chain groups")


def _cell_ids(cells: pd.DataFrame) -> pd.Series:
    """The ``cell`` column as H3 strings (converted from uint64, or kept if already strings)."""
    col = cells["cell"]
    if pd.api.types.is_integer_dtype(col.dtype):
        return h3_strings(col.to_numpy(np.uint64))
    return col.astype("str").reset_index(drop=True)


def detour_per_cell(cells: pd.DataFrame, factors: Mapping[str, float]) -> np.ndarray:
    """Detour factor of each cell from its ``terrain`` (categorical is fastest; NA -> plain)."""
    if "terrain" not in cells.columns:
        return np.full(len(cells), factors[DEFAULT_TERRAIN])
    terrain = cells["terrain"].astype("category")
    classes = [str(c) for c in terrain.cat.categories]
    unknown = [c for c in classes if c not in factors]
    if unknown:
        raise ValueError(f"cells.terrain: found classes {unknown}; expected keys of detour {sorted(factors)}")
    table = np.array([factors[c] for c in classes] + [factors[DEFAULT_TERRAIN]])
    return table[terrain.cat.codes.to_numpy()]  # code -1 (NA) picks the last entry: plain


def access_table(cells: pd.DataFrame, facilities: pd.DataFrame, params: AccessParams, k: int = 1,
                 *, groups: Sequence[str] | None = None) -> pd.DataFrame:
    """The ``k`` nearest facilities of each group for every cell, with road km and hours.

    Parameters
    ----------
    cells
        ``cell`` (uint64 H3 ids, or their strings), ``lat``, ``lng`` (the cell centre, degrees)
        and ``terrain`` (a key of ``params.detour``; missing or NA -> ``"plain"``).
    facilities
        ``id``, ``lat``, ``lng`` and ``group`` (a reserve tier or a chain code); a facility in
        several groups has one row per group.
    params
        Detour factors, speeds and delay (``AccessParams``).
    k
        Nearest facilities per cell and group (>= 1).
    groups
        The groups to report, in this order; default: those in ``facilities`` in order of
        appearance. A listed group without facilities gets rows with NA ``facility_id`` and
        infinite distances and hours.

    Returns
    -------
    pandas.DataFrame
        One row per group x cell x rank (in that order): ``cell`` (H3 string), ``tier`` (the
        group), ``rank`` (1 = nearest), ``facility_id`` (categorical; NA where the group has
        fewer than ``k`` facilities), ``gc_km`` (great-circle), ``road_km`` (= ``gc_km`` x
        detour of the cell's terrain), ``hours`` (= ``road_km`` / speed of the group +
        dispatch delay).

    Raises
    ------
    ValueError
        Missing columns, bad coordinates, an unknown terrain class, a group without speed,
        or a bad ``k``.
    """
    k = check_k(k)
    for name, df, cols in (("cells", cells, ("cell", "lat", "lng")),
                           ("facilities", facilities, ("id", "lat", "lng", "group"))):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise ValueError(f"{name}: missing columns {missing}; expected {list(cols)}")
    cla, clo = check_points("cells", cells["lat"], cells["lng"])
    fla, flo = check_points("facilities", facilities["lat"], facilities["lng"])
    n = len(cla)
    detour = detour_per_cell(cells, params.detour)
    fac_group = facilities["group"].astype(object).to_numpy()
    order = list(pd.unique(fac_group)) if groups is None else list(dict.fromkeys(groups))
    speeds = {g: params.speed_for(str(g)) for g in order}
    ids = pd.Index(pd.unique(facilities["id"].astype(str).to_numpy()))
    fac_code = ids.get_indexer(facilities["id"].astype(str).to_numpy())
    cell_xyz, fac_xyz = unit_vectors(cla, clo), unit_vectors(fla, flo)
    cell_str = _cell_ids(cells)

    parts = []
    for g in order:
        rows = np.flatnonzero(fac_group == g)
        index, gc_km = _nearest_xyz(cell_xyz, fac_xyz[rows], k)
        road_km = gc_km * detour[:, None]
        hours = road_km * (1.0 / speeds[g]) + params.dispatch_delay_h
        code = np.where(index >= 0, fac_code[rows][np.maximum(index, 0)] if len(rows) else -1, -1)
        parts.append(pd.DataFrame({
            "cell": cell_str.repeat(k).reset_index(drop=True) if k > 1 else cell_str,
            "tier": pd.Categorical.from_codes(np.full(n * k, order.index(g), np.int16), categories=order),
            "rank": np.tile(np.arange(1, k + 1, dtype=np.int16), n),
            "facility_id": pd.Categorical.from_codes(code.ravel(), categories=ids),
            "gc_km": gc_km.ravel(), "road_km": road_km.ravel(), "hours": hours.ravel()}))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=float if c.endswith(("km", "hours")) else object)
                             for c in COLUMNS})
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def pairs_within_hours(cells: pd.DataFrame, facilities: pd.DataFrame, params: AccessParams,
                       max_hours: float) -> pd.DataFrame:
    """Every (cell, facility) pair that arrives within ``max_hours`` (all pairs, not the nearest).

    Same model as ``access_table``: ``hours = gc_km * detour(terrain of the cell) / speed(group of
    the facility) + delay``. A k-d tree on 3-D unit vectors finds the pairs within the largest
    admissible chord (smallest detour, fastest group), then each pair is checked exactly.

    Parameters
    ----------
    cells
        ``lat``, ``lng`` and optionally ``terrain`` (NA -> plain).
    facilities
        ``lat``, ``lng`` and ``group`` (a tier or chain code, for the speed).
    params
        ``AccessParams``.
    max_hours
        Upper bound on hours (finite, > 0).

    Returns
    -------
    pandas.DataFrame
        ``i`` (row position in ``cells``), ``j`` (row position in ``facilities``), ``gc_km``,
        ``road_km``, ``hours``; sorted by ``i`` then ``j``.
    """
    if isinstance(max_hours, bool) or not isinstance(max_hours, (int, float, np.number)) \
            or not math.isfinite(max_hours) or max_hours <= 0:
        raise ValueError(f"max_hours: found {max_hours!r:.20}; expected hours > 0")
    cla, clo = check_points("cells", cells["lat"], cells["lng"])
    fla, flo = check_points("facilities", facilities["lat"], facilities["lng"])
    group = facilities["group"].astype(object).to_numpy()
    speed_of = {g: params.speed_for(str(g)) for g in pd.unique(group)}
    speed = np.array([speed_of[g] for g in group], float)
    empty = pd.DataFrame({"i": np.array([], np.int64), "j": np.array([], np.int64), "gc_km": [],
                          "road_km": [], "hours": []})
    budget = float(max_hours) - params.dispatch_delay_h
    if budget < 0 or len(cla) == 0 or len(fla) == 0:
        return empty
    detour = detour_per_cell(cells, params.detour)
    max_km = budget * float(speed.max()) / float(detour.min())
    chord = 2.0 * math.sin(min(max_km / EARTH_RADIUS_KM, math.pi) / 2.0)
    pairs = cKDTree(unit_vectors(cla, clo)).sparse_distance_matrix(
        cKDTree(unit_vectors(fla, flo)), chord, output_type="ndarray")
    i, j = pairs["i"].astype(np.int64), pairs["j"].astype(np.int64)
    gc_km = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(pairs["v"] / 2.0, 0.0, 1.0))
    road_km = gc_km * detour[i]
    hours = road_km / speed[j] + params.dispatch_delay_h
    ok = hours <= max_hours + 1e-12
    out = pd.DataFrame({"i": i[ok], "j": j[ok], "gc_km": gc_km[ok], "road_km": road_km[ok], "hours": hours[ok]})
    return out.sort_values(["i", "j"], kind="stable", ignore_index=True) if len(out) else empty


# --- store adapter ----------------------------------------------------------------------------


#: The tier whose standard defines a gap.
GAP_TIER = "county"


def check_hours(name: str, value: Any, *, strict: bool = False) -> float:
    """A finite number of hours >= 0 (> 0 if ``strict``), else ValueError naming ``name``."""
    ok = (isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
          and math.isfinite(value) and (value > 0 if strict else value >= 0))
    if not ok:
        raise ValueError(f"{name}: found {value!r:.40}; expected hours {'>' if strict else '>='} 0")
    return float(value)


def check_hours_by_tier(hours_by_tier: Any) -> dict[str, float]:
    """``{tier: hours}`` with known tiers, hours >= 0 and the county tier present."""
    if not isinstance(hours_by_tier, Mapping) or not hours_by_tier:
        raise ValueError(f"hours_by_tier: found {hours_by_tier!r:.60}; expected a mapping of "
                         "tier -> hours, e.g. {county: 6}")
    out = {}
    for tier, h in hours_by_tier.items():
        if tier not in schema.RESERVE_TIERS:
            raise ValueError(f"hours_by_tier.{tier}: unknown tier; expected one of "
                             f"{list(schema.RESERVE_TIERS)}")
        out[str(tier)] = check_hours(f"hours_by_tier.{tier}", h)
    if GAP_TIER not in out:
        raise ValueError(f"hours_by_tier.{GAP_TIER}: missing (found {sorted(out)}); expected the "
                         "county standard, which defines a gap")
    return out


def rank1_hours(access: pd.DataFrame | None, groups: Sequence[str], cells: pd.Series,
                 name: str) -> np.ndarray:
    """(n, len(groups)) hours of the nearest facility; inf where a cell or group is absent."""
    out = np.full((len(cells), len(groups)), np.inf)
    if access is None or not len(groups):
        return out
    missing = [c for c in ("cell", "tier", "hours") if c not in access.columns]
    if missing:
        raise ValueError(f"{name}: missing columns {missing}; expected access_table output")
    acc = access[access["rank"] == 1] if "rank" in access.columns else access
    tier = acc["tier"]
    acc_cells = cell_strings(acc["cell"])
    hours = acc["hours"].to_numpy(np.float64)
    for j, g in enumerate(groups):
        rows = np.flatnonzero((tier == g).to_numpy(bool))
        if not len(rows):
            continue
        mine = acc_cells.iloc[rows].reset_index(drop=True)
        if len(mine) == len(cells) and bool((mine == cells).all()):  # access_table's own order
            out[:, j] = hours[rows]
            continue
        idx = pd.Index(mine)
        if not idx.is_unique:
            raise ValueError(f"{name}: group {g!r} has several rank-1 rows for a cell; expected one")
        pos = idx.get_indexer(cells)
        hit = pos >= 0
        out[hit, j] = hours[rows][pos[hit]]
    return np.where(np.isnan(out), np.inf, out)
