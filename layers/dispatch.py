"""Dispatch for one event: which reserves and enterprises arrive first, and whether the standards hold.

An **event** is a point with a radius, a drawn or uploaded polygon, or an earthquake scenario
(epicentre and magnitude -> a PGA field from the demo's attenuation relation). Its affected
area is a set of H3 cells; its **centre** (the point, the polygon's centroid, the epicentre) is
where arrival hours are measured.

Method and limits (``layers/METHODS.md#dispatch``):

- great-circle km (haversine, sphere of radius ``EARTH_RADIUS_KM``) from each facility to the
  centre, and to the nearest affected cell centre (0 when the facility lies in the area);
- road km = great-circle km x the detour factor of the terrain class of the *centre's* cell
  (as ``layers.access`` uses the served cell's terrain); hours = road km / speed of the
  reserve's tier (enterprises: the ``"enterprise"`` speed) + the dispatch delay;
- a reserve meets its tier's standard (``hours_by_tier``: 6 / 8 / 10 h) when its hours to the
  centre are within it (the conservative choice; ``hours_edge`` is reported beside it);
- no road network, closures or damaged bridges, no stock or vehicle limits (capacity is what
  the store says, not what is on the shelf), and the quake field is a demo relation.

``event_point``, ``event_polygon``, ``event_quake`` build events (pure, validated);
``dispatch_table`` and ``dispatch_summary`` are the pure core; ``dispatch_from_store`` the
adapter; ``dispatch_lines`` the facility -> centre lines for the map.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import h3
import h3.api.basic_int as h3i
import numpy as np
import pandas as pd
import shapely

from etl import schema
from layers.access import CHAIN_SPEED_KEY, EARTH_RADIUS_KM, AccessParams, nearest_facilities
from layers.cells import DEFAULT_TERRAIN, _terrain_of, h3_strings
from layers.store import Store, json_ready

#: Demo attenuation relation ln PGA[g] = A + B*M - C*ln(R + D), R = epicentral distance (km).
#: The constants of geodata/scripts/demo_hazards.py, which stretches R 1.5x along each fault's
#: strike; here R is circular. It is a DEMO relation that gives the synthetic hazard raster a
#: plausible pattern (0.38 g at a M7.8 epicentre, 0.10 g at 100 km), NOT a ground-motion
#: prediction equation for engineering or for real emergency decisions.
PGA_A, PGA_B, PGA_C, PGA_D = 0.881, 0.58, 1.5, 70.0
#: Magnitudes accepted by ``event_quake`` (inclusive).
MAGNITUDE_RANGE = (3.0, 9.0)
DEFAULT_MIN_PGA = 0.1
#: Standard gravity, m/s2 per g.
G = 9.80665
#: Lower PGA bounds (m/s2) of intensities VI, VII, VIII, IX, X in the PGA column of the Chinese
#: seismic intensity scale GB/T 17742-2008; below VI the class is 5 ("V or less").
INTENSITY_PGA_MS2 = (0.45, 0.90, 1.78, 3.54, 7.08)
MAX_RADIUS_KM = 500.0
#: Largest affected area, in cells, an event may have (choose a coarser resolution beyond).
MAX_EVENT_CELLS = 2_000_000
EVENT_KINDS = ("point", "polygon", "quake")
DEFAULT_HAZARD = "flood"
QUAKE_HAZARD = "earthquake"
DEFAULT_LIMIT_ENTERPRISES = 50
ENTERPRISE_UNIT = "亿元"  # output_yi: annual output value
TABLE_COLUMNS = ("rank", "kind", "id", "name", "tier", "chains", "capacity", "capacity_unit", "lon", "lat",
                 "gc_km", "road_km", "hours", "hours_edge", "standard_h", "meets_standard", "inside")


class EventError(ValueError):
    """An event that cannot be built or used (names the key, what was found, what was expected)."""


class OutsideRegionError(EventError):
    """The event's affected area holds no cell of the store's region."""


@dataclass(frozen=True, eq=False)
class Event:
    """An event's affected H3 cells and the centre where arrival hours are measured.

    Attributes
    ----------
    kind
        ``"point"``, ``"polygon"`` or ``"quake"``.
    centre
        ``(lon, lat)`` WGS-84 degrees: the point, the polygon's centroid (or a point on its
        surface when the centroid falls outside), the epicentre.
    res
        H3 resolution of ``cells``.
    cells, lat, lng
        Affected cells (uint64, ascending) and their centres (degrees).
    hazard
        The hazard whose chains respond (quake: ``"earthquake"``).
    pga, intensity
        Quake only: PGA (g) at each cell centre and its intensity-like class (5..10, see
        ``intensity_class``); ``None`` otherwise.
    params
        What built the event (radius_km; magnitude, min_pga, r_max_km, pga_epicentre; bounds).
    geometry
        The event's outline as a GeoJSON geometry ([lon, lat]; circles as 72-gons).
    """

    kind: str
    centre: tuple[float, float]
    res: int
    cells: np.ndarray
    lat: np.ndarray
    lng: np.ndarray
    hazard: str
    pga: np.ndarray | None = None
    intensity: np.ndarray | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    geometry: dict[str, Any] | None = None

    def subset(self, keep: np.ndarray) -> Event:
        """The same event restricted to the cells where the boolean mask ``keep`` is true."""
        keep = np.asarray(keep, bool)
        arrays = {k: getattr(self, k)[keep] for k in ("cells", "lat", "lng", "pga", "intensity")
                  if getattr(self, k) is not None}
        return dataclasses.replace(self, **arrays)

    def cells_frame(self) -> pd.DataFrame:
        """The affected cells as a table: ``cell`` (H3 string), ``km`` from the centre, [pga, intensity].

        The ``cell`` column lets ``layers.export`` draw the area as hexagons.
        """
        out = pd.DataFrame({"cell": h3_strings(self.cells),
                            "km": haversine_km(self.centre[0], self.centre[1], self.lng, self.lat)})
        if self.pga is not None:
            out["pga"], out["intensity"] = self.pga, self.intensity
        return out


# --- checks and geometry helpers --------------------------------------------------------------

def _number(name: str, value: Any, lo: float, hi: float, *, lo_open: bool = False) -> float:
    """A finite real in [lo, hi] (or (lo, hi]), else EventError naming ``name``."""
    ok = (isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
          and math.isfinite(value) and (value > lo if lo_open else value >= lo) and value <= hi)
    if not ok:
        raise EventError(f"{name}: found {value!r:.40}; expected a number in "
                         f"{'(' if lo_open else '['}{lo:g}, {hi:g}]")
    return float(value)


def _lonlat(name: str, lon: Any, lat: Any) -> tuple[float, float]:
    """(lon, lat) in WGS-84 degree ranges, with a hint when they look swapped."""
    try:
        return _number(f"{name}.lon", lon, -180, 180), _number(f"{name}.lat", lat, -90, 90)
    except EventError as exc:
        hint = ""
        if isinstance(lat, (int, float)) and isinstance(lon, (int, float)) and abs(lat) > 90 >= abs(lon):
            hint = f" (lon and lat look swapped: give ({lat}, {lon}), longitude first)"
        raise EventError(f"{exc}{hint}") from None


def _res(res: Any) -> int:
    """An H3 resolution 0..15."""
    if isinstance(res, bool) or not isinstance(res, (int, np.integer)) or not 0 <= res <= 15:
        raise EventError(f"res: found {res!r:.20}; expected an H3 resolution, an integer in 0..15")
    return int(res)


def _hazard(hazard: Any) -> str:
    """A non-empty hazard key (which hazards have chains is checked against the chains table)."""
    if not isinstance(hazard, str) or not hazard.strip():
        raise EventError(f"hazard: found {hazard!r:.40}; expected a hazard key such as 'flood'")
    return hazard.strip()


def haversine_km(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> np.ndarray:
    """Great-circle km between points (degrees; broadcasts), on a sphere of ``EARTH_RADIUS_KM``."""
    p1, p2 = np.radians(np.asarray(lat1, np.float64)), np.radians(np.asarray(lat2, np.float64))
    dl = np.radians(np.asarray(lon2, np.float64) - np.asarray(lon1, np.float64))
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def _centres(cells: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """lat, lng arrays of H3 cell centres."""
    cells = [int(c) for c in cells]
    ll = np.fromiter(chain.from_iterable(map(h3i.cell_to_latlng, cells)), np.float64,
                     count=2 * len(cells)).reshape(-1, 2)
    return ll[:, 0], ll[:, 1]


def _too_many(n: int, res: int, what: str) -> None:
    if n > MAX_EVENT_CELLS:
        raise EventError(f"{what} covers about {n:,} cells at res {res}; expected at most "
                         f"{MAX_EVENT_CELLS:,}: choose a coarser resolution")


def _disk(lon: float, lat: float, radius_km: float, res: int
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cells whose centre lies within ``radius_km`` of (lon, lat): cells, lat, lng, km (cell order).

    ``grid_disk`` of k rings around the point's cell, k from the local centre spacing s (the
    nearest points of ring k are k s sqrt(3)/2 away), then a haversine filter; k grows until
    ring k lies wholly outside the radius, so no cell beyond it can be inside.
    """
    origin = h3i.latlng_to_cell(lat, lon, res)
    olat, olng = h3i.cell_to_latlng(origin)
    nla, nlo = _centres([c for c in h3i.grid_disk(origin, 1) if c != origin])
    step = float(haversine_km(olng, olat, nlo, nla).min()) * math.sqrt(3) / 2
    k = math.ceil(radius_km / step) + 1
    while True:
        _too_many(3 * k * (k + 1) + 1, res, f"a radius of {radius_km:g} km")
        try:
            rla, rlo = _centres(h3i.grid_ring(origin, k))
            done = bool((haversine_km(lon, lat, rlo, rla) > radius_km).all())
        except h3.H3BaseException:  # a pentagon in the way: trust the estimate
            done = True
        if done:
            break
        k = math.ceil(k * 1.25) + 1
    cells = np.sort(np.fromiter(h3i.grid_disk(origin, k), np.uint64))
    la, lo = _centres(cells)
    km = haversine_km(lon, lat, lo, la)
    keep = km <= radius_km
    return cells[keep], la[keep], lo[keep], km[keep]


def _circle(lon: float, lat: float, radius_km: float, n: int = 72) -> dict[str, Any]:
    """A GeoJSON Polygon approximating the circle of ``radius_km`` around (lon, lat)."""
    d = radius_km / EARTH_RADIUS_KM
    b = np.radians(np.arange(n) * 360.0 / n)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = np.arcsin(math.sin(p1) * np.cos(d) + math.cos(p1) * np.sin(d) * np.cos(b))
    l2 = l1 + np.arctan2(np.sin(b) * np.sin(d) * math.cos(p1), np.cos(d) - math.sin(p1) * np.sin(p2))
    ring = [[round(float(x), 6), round(float(y), 6)] for x, y in zip(np.degrees(l2), np.degrees(p2))]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


def _event(kind: str, centre: tuple[float, float], res: int, cells: np.ndarray, la: np.ndarray,
           lo: np.ndarray, hazard: str, params: dict[str, Any], geometry: dict[str, Any],
           pga: np.ndarray | None = None) -> Event:
    """An Event, with the centre's cell standing for an area too small to hold a cell centre."""
    if not len(cells):
        cells = np.array([h3i.latlng_to_cell(centre[1], centre[0], res)], np.uint64)
        la, lo = _centres(cells)
        if pga is not None:
            pga = np.array([params["pga_epicentre"]])
    return Event(kind, (float(centre[0]), float(centre[1])), res, cells, la, lo, hazard,
                 pga=pga, intensity=None if pga is None else intensity_class(pga),
                 params=params, geometry=geometry)


# --- events -----------------------------------------------------------------------------------

def event_point(lon: float, lat: float, radius_km: float, *, res: int = 8,
                hazard: str = DEFAULT_HAZARD) -> Event:
    """A point event: the cells whose centre lies within ``radius_km`` of (lon, lat).

    Parameters
    ----------
    lon, lat
        WGS-84 degrees, longitude first.
    radius_km
        Great-circle radius, in (0, ``MAX_RADIUS_KM``]. A radius smaller than the cell
        spacing gives the point's own cell.
    res
        H3 resolution (0..15).
    hazard
        The hazard whose relevant chains respond (default ``"flood"``).

    Returns
    -------
    Event

    Raises
    ------
    EventError
        Coordinates out of range, radius <= 0 or too large, bad resolution or hazard, or more
        than ``MAX_EVENT_CELLS`` cells.

    Examples
    --------
    >>> ev = event_point(117.33, 38.37, 5.0, res=7)
    >>> ev.kind, ev.hazard, 10 < len(ev.cells) < 30
    ('point', 'flood', True)
    """
    lon, lat = _lonlat("point", lon, lat)
    radius_km = _number("radius_km", radius_km, 0, MAX_RADIUS_KM, lo_open=True)
    res, hazard = _res(res), _hazard(hazard)
    cells, la, lo, _ = _disk(lon, lat, radius_km, res)
    return _event("point", (lon, lat), res, cells, la, lo, hazard, {"radius_km": radius_km},
                  _circle(lon, lat, radius_km))


def _polygon_parts(geo: Any) -> list[tuple[str, Any]]:
    """(path, Polygon coordinates) of a GeoJSON geometry, Feature or FeatureCollection."""
    if hasattr(geo, "__geo_interface__") and not isinstance(geo, Mapping):
        geo = geo.__geo_interface__
    if not isinstance(geo, Mapping) or "type" not in geo:
        raise EventError(f"polygon: found {type(geo).__name__}; expected a GeoJSON Polygon, MultiPolygon, "
                         "Feature or FeatureCollection (a mapping with 'type')")
    kind = geo["type"]
    if kind == "FeatureCollection":
        feats = geo.get("features")
        if not isinstance(feats, Sequence) or not feats:
            raise EventError("polygon.features: found none; expected at least one polygon feature")
        return [(f"features[{i}].{p}", c) for i, f in enumerate(feats) for p, c in _polygon_parts(f)]
    if kind == "Feature":
        return [(f"geometry{p[7:]}", c) for p, c in _polygon_parts(geo.get("geometry"))]
    coords = geo.get("coordinates")
    if kind == "Polygon":
        return [("polygon", coords)]
    if kind == "MultiPolygon":
        if isinstance(coords, str) or not isinstance(coords, Sequence) or not coords:
            raise EventError(f"polygon.coordinates: found {coords!r:.60}; expected a list of polygons")
        return [(f"polygon[{i}]", c) for i, c in enumerate(coords)]
    raise EventError(f"polygon.type: found {kind!r:.40}; expected Polygon or MultiPolygon (WGS-84 lon/lat)")


def _check_rings(path: str, coords: Any) -> list[list[tuple[float, float]]]:
    """Rings of one polygon: >= 4 positions, closed, [lon, lat] in range."""
    if not isinstance(coords, Sequence) or isinstance(coords, str) or not coords:
        raise EventError(f"{path}.coordinates: found {coords!r:.60}; expected a list of rings")
    rings = []
    for r, ring in enumerate(coords):
        where = f"{path}.coordinates[{r}]"
        if not isinstance(ring, Sequence) or isinstance(ring, str) or len(ring) < 4:
            n = len(ring) if isinstance(ring, Sequence) else ring
            raise EventError(f"{where}: found {n!r:.40} positions; expected a closed ring of at least 4 "
                             "[lon, lat] positions (the first repeated as the last)")
        pts = []
        for i, p in enumerate(ring):
            if not isinstance(p, Sequence) or isinstance(p, str) or len(p) not in (2, 3):
                raise EventError(f"{where}[{i}]: found {p!r:.40}; expected [lon, lat]")
            pts.append(_lonlat(f"{where}[{i}]", p[0], p[1]))
        if pts[0] != pts[-1]:
            raise EventError(f"{where}: first position {list(pts[0])} differs from the last {list(pts[-1])}; "
                             "expected a closed ring (repeat the first position at the end)")
        rings.append(pts)
    return rings


def _shape(geo: Any) -> shapely.Geometry:
    """The validated (Multi)Polygon of a GeoJSON-like input."""
    polys = []
    for path, coords in _polygon_parts(geo):
        rings = _check_rings(path, coords)
        poly = shapely.Polygon(rings[0], rings[1:])
        if not poly.is_valid or poly.area <= 0:
            raise EventError(f"{path}: found an invalid polygon ({shapely.is_valid_reason(poly)}); expected "
                             "a simple polygon with area (no self-intersection, holes inside)")
        polys.append(poly)
    return shapely.union_all(polys) if len(polys) > 1 else polys[0]


def event_polygon(geometry: Any, *, res: int = 8, hazard: str = DEFAULT_HAZARD) -> Event:
    """A polygon event: the cells whose centre lies in the (Multi)Polygon.

    Parameters
    ----------
    geometry
        A GeoJSON Polygon or MultiPolygon, a Feature holding one, or a FeatureCollection of
        them (united), as a mapping or an object with ``__geo_interface__``; WGS-84
        ``[lon, lat]`` positions, closed rings of >= 4 positions, either orientation.
    res
        H3 resolution (0..15).
    hazard
        The hazard whose relevant chains respond (default ``"flood"``).

    Returns
    -------
    Event
        Centre: the centroid, or a point on the surface when the centroid lies outside (a
        U-shaped area). A polygon too small to hold a cell centre gets the centre's cell.

    Raises
    ------
    EventError
        Not a (Multi)Polygon; a ring with < 4 positions, not closed, or coordinates out of
        range (names the position); an invalid polygon; too many cells.
    """
    res, hazard = _res(res), _hazard(hazard)
    shape = _shape(geometry)
    x0, y0, x1, y1 = shape.bounds
    approx_km2 = shape.area * (math.pi / 180 * EARTH_RADIUS_KM) ** 2 * math.cos(math.radians((y0 + y1) / 2))
    _too_many(int(approx_km2 / h3i.average_hexagon_area(res, "km^2")), res, "the polygon")
    centre = shape.centroid
    if not shape.contains(centre):
        centre = shape.point_on_surface()
    cells = np.sort(np.fromiter(h3i.geo_to_cells(shapely.geometry.mapping(shape), res), np.uint64))
    la, lo = _centres(cells)
    params = {"bounds": [round(v, 6) for v in (x0, y0, x1, y1)]}
    return _event("polygon", (centre.x, centre.y), res, cells, la, lo, hazard, params,
                  shapely.geometry.mapping(shape))


def quake_pga(magnitude: Any, distance_km: Any) -> np.ndarray:
    """PGA (g) of the demo relation ln PGA = A + B M - C ln(R + D) at epicentral ``distance_km``."""
    r = np.asarray(distance_km, np.float64)
    return np.exp(PGA_A + PGA_B * np.asarray(magnitude, np.float64) - PGA_C * np.log(r + PGA_D))


def intensity_class(pga_g: Any) -> np.ndarray:
    """Intensity-like class (int8, 5..10) of PGA in g by the PGA ranges of GB/T 17742-2008.

    5 means "V or less". Only the PGA column of the scale is used: a screening class, not an
    intensity assessment.
    """
    ms2 = np.asarray(pga_g, np.float64) * G
    return (np.searchsorted(INTENSITY_PGA_MS2, ms2, side="right") + 5).astype(np.int8)


def event_quake(lon: float, lat: float, magnitude: float, min_pga: float = DEFAULT_MIN_PGA, *,
                res: int = 8) -> Event:
    """An earthquake scenario: the cells where the demo relation's PGA is >= ``min_pga``.

    PGA at a cell is ``quake_pga(magnitude, R)`` with R the great-circle km from the epicentre
    to the cell centre (circular, unlike the demo raster's fault-stretched ellipses), so the
    area is the disc of radius ``r_max_km = exp((A + B M - ln min_pga) / C) - D``.

    Parameters
    ----------
    lon, lat
        Epicentre, WGS-84 degrees.
    magnitude
        In ``MAGNITUDE_RANGE`` (3..9).
    min_pga
        Threshold in g, in (0, 2]; default 0.1 g (about intensity VII).
    res
        H3 resolution (0..15).

    Returns
    -------
    Event
        ``hazard="earthquake"``, ``pga`` and ``intensity`` per cell; ``params`` holds
        magnitude, min_pga, r_max_km and pga_epicentre.

    Raises
    ------
    EventError
        Coordinates or magnitude out of range, ``min_pga`` out of range or above the
        epicentral PGA (nothing would be affected), bad resolution, too many cells.

    Examples
    --------
    >>> ev = event_quake(118.18, 39.63, 6.5, res=8)
    >>> round(ev.params["r_max_km"], 1), round(ev.params["pga_epicentre"], 3), int(ev.intensity.max())
    (33.1, 0.179, 7)
    """
    lon, lat = _lonlat("epicentre", lon, lat)
    magnitude = _number("magnitude", magnitude, *MAGNITUDE_RANGE)
    min_pga = _number("min_pga", min_pga, 0, 2, lo_open=True)
    res = _res(res)
    top = float(quake_pga(magnitude, 0.0))
    if top < min_pga:
        raise EventError(f"min_pga: found {min_pga:g} g, above the epicentral PGA {top:.3f} g of magnitude "
                         f"{magnitude:g}; expected a lower min_pga or a larger magnitude")
    r_max = math.exp((PGA_A + PGA_B * magnitude - math.log(min_pga)) / PGA_C) - PGA_D
    cells, la, lo, km = _disk(lon, lat, max(r_max, 0.0), res)
    pga = quake_pga(magnitude, km)
    keep = pga >= min_pga
    params = {"magnitude": magnitude, "min_pga": min_pga, "r_max_km": max(r_max, 0.0), "pga_epicentre": top}
    return _event("quake", (lon, lat), res, cells[keep], la[keep], lo[keep], QUAKE_HAZARD, params,
                  _circle(lon, lat, max(r_max, 0.01)), pga=pga[keep])


# --- the core ---------------------------------------------------------------------------------

def _check_hours_by_tier(hours_by_tier: Any) -> dict[str, float]:
    """``{tier: hours}`` with known tiers and finite hours >= 0."""
    if not isinstance(hours_by_tier, Mapping):
        raise ValueError(f"hours_by_tier: found {hours_by_tier!r:.60}; expected a mapping tier -> hours, "
                         "e.g. {county: 6, municipal: 8, provincial: 10}")
    out = {}
    for tier, h in hours_by_tier.items():
        if tier not in schema.RESERVE_TIERS:
            raise ValueError(f"hours_by_tier.{tier}: unknown tier; expected one of {list(schema.RESERVE_TIERS)}")
        out[str(tier)] = _number(f"hours_by_tier.{tier}", h, 0, math.inf)
    return out


def relevant_chains(chains: Mapping[str, Sequence[str]] | Sequence[str], hazard: str) -> list[str]:
    """The chains that respond to ``hazard``: ``chains[hazard]`` of a mapping, or the sequence itself."""
    if isinstance(chains, Mapping):
        if hazard not in chains:
            raise EventError(f"hazard: found {hazard!r:.40}; expected one with relevant chains {sorted(chains)}")
        chains = chains[hazard]
    if isinstance(chains, str) or not isinstance(chains, Sequence):
        raise ValueError(f"chains: found {chains!r:.60}; expected a list of chain codes")
    unknown = [c for c in chains if c not in schema.CHAINS]
    if unknown:
        raise ValueError(f"chains: unknown codes {unknown}; expected codes of {list(schema.CHAINS)}")
    return list(dict.fromkeys(chains))


def _frame(name: str, df: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    """``df`` with checked columns and coordinates, index reset."""
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{name}: missing columns {missing}; expected {list(cols)}")
    lon, lat = (pd.to_numeric(df[c], errors="coerce").to_numpy(np.float64) for c in ("lon", "lat"))
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if bad.any():
        raise ValueError(f"{name}: found {int(bad.sum())} rows with missing or out-of-range lon/lat "
                         f"(first id {df['id'].iloc[int(np.flatnonzero(bad)[0])]!r}); expected WGS-84 degrees")
    return df.assign(lon=lon, lat=lat).reset_index(drop=True)


def _number_column(df: pd.DataFrame, col: str) -> np.ndarray | float:
    """A numeric column as float64 (non-numbers -> NaN), or NaN when absent."""
    return pd.to_numeric(df[col], errors="coerce").to_numpy(np.float64) if col in df.columns else np.nan


def _legs(event: Event, lon: np.ndarray, lat: np.ndarray, detour: float, speed: np.ndarray,
          delay: float) -> dict[str, np.ndarray]:
    """km and hours from facilities to the event's centre and to its nearest affected cell."""
    gc = haversine_km(lon, lat, event.centre[0], event.centre[1])
    inside = np.zeros(len(lon), bool)
    edge = np.zeros(len(lon))
    if len(lon):
        own = np.fromiter((h3i.latlng_to_cell(y, x, event.res) for x, y in zip(lon.tolist(), lat.tolist())),
                          np.uint64, len(lon))
        inside = np.isin(own, event.cells)
        _, km = nearest_facilities(lat, lon, event.lat, event.lng, k=1)
        edge = np.where(inside, 0.0, km[:, 0])
    return {"gc_km": gc, "road_km": gc * detour, "hours": gc * detour / speed + delay,
            "hours_edge": edge * detour / speed + delay, "inside": inside}


def _ranked(df: pd.DataFrame, limit: int | None) -> pd.DataFrame:
    """Rows by hours (ties by id), ranked from 1, the first ``limit`` kept."""
    df = df.sort_values(["hours", "id"], kind="stable").reset_index(drop=True)
    df.insert(0, "rank", np.arange(1, len(df) + 1, dtype=np.int64))
    return df if limit is None else df.head(limit)


def _limit(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name}: found {value!r:.20}; expected an integer >= 0 or None (all)")
    return int(value)


def dispatch_table(event: Event, reserves: pd.DataFrame, enterprises: pd.DataFrame, params: AccessParams,
                   hours_by_tier: Mapping[str, float], chains: Mapping[str, Sequence[str]] | Sequence[str], *,
                   terrain: str | None = None, tiers: Sequence[str] | None = None,
                   limit_reserves: int | None = None,
                   limit_enterprises: int | None = DEFAULT_LIMIT_ENTERPRISES) -> pd.DataFrame:
    """Reserves and relevant-chain enterprises ranked by arrival hours at the event's centre.

    Parameters
    ----------
    event
        From ``event_point``, ``event_polygon`` or ``event_quake``.
    reserves
        ``id``, ``name``, ``tier``, ``lon``, ``lat``, [``capacity``, ``capacity_unit``].
    enterprises
        ``id``, ``name``, ``lon``, ``lat``, ``chains`` (list of codes), [``output_yi``]; those
        holding none of the relevant chains are left out.
    params
        Detour factors, speeds (a reserve travels at its tier's speed, an enterprise at the
        ``"enterprise"`` speed) and the dispatch delay.
    hours_by_tier
        Standard hours per tier (e.g. county 6, municipal 8, provincial 10); tiers not listed
        have no standard.
    chains
        ``{hazard: [chain, ...]}`` (the event's hazard picks the list) or the list itself.
    terrain
        Terrain class of the centre's cell (a key of ``params.detour``); ``None``: ``"plain"``.
    tiers
        Only reserves of these tiers (default: all).
    limit_reserves, limit_enterprises
        Rows kept per kind, fastest first (``None``: all; default all reserves, 50 enterprises).

    Returns
    -------
    pandas.DataFrame
        ``TABLE_COLUMNS``: reserves (by hours) then enterprises (by hours), each ranked from 1.
        ``tier`` (reserves) / ``chains`` (enterprises: the relevant chains held); ``capacity``
        and ``capacity_unit`` (enterprises: ``output_yi``, 亿元); ``gc_km``, ``road_km``,
        ``hours`` to the centre; ``hours_edge`` to the nearest affected cell centre (the delay
        alone when ``inside``, the facility lying in an affected cell); ``standard_h`` (NaN
        without a standard); ``meets_standard`` (hours <= standard_h; NA without one).

    Raises
    ------
    ValueError
        Missing columns, bad coordinates, an unknown tier, terrain, hazard or chain, a tier
        without a speed, bad limits (the message names key, found, expected).
    """
    if not isinstance(event, Event) or not len(event.cells):
        raise EventError(f"event: found {type(event).__name__}; expected an Event with affected cells")
    std = _check_hours_by_tier(hours_by_tier)
    wanted = relevant_chains(chains, event.hazard)
    terrain = DEFAULT_TERRAIN if terrain is None else terrain
    if terrain not in params.detour:
        raise ValueError(f"terrain: found {terrain!r:.40}; expected a key of detour {sorted(params.detour)}")
    detour, delay = params.detour[terrain], params.dispatch_delay_h
    limits = _limit("limit_reserves", limit_reserves), _limit("limit_enterprises", limit_enterprises)
    rsv = _frame("reserves", reserves, ("id", "name", "tier", "lon", "lat"))
    if tiers is not None:
        unknown = [t for t in tiers if t not in schema.RESERVE_TIERS]
        if unknown or isinstance(tiers, str):
            raise ValueError(f"tiers: found {unknown or tiers!r}; expected tiers of {list(schema.RESERVE_TIERS)}")
        rsv = rsv[rsv["tier"].isin(list(tiers))].reset_index(drop=True)
    ent = _frame("enterprises", enterprises, ("id", "name", "lon", "lat", "chains"))
    held = [[c for c in wanted if isinstance(v, (list, tuple, np.ndarray)) and c in v] for v in ent["chains"]]
    keep = np.array([bool(h) for h in held], bool)
    ent = ent[keep].reset_index(drop=True)
    held = [h for h, k in zip(held, keep) if k]

    tier = rsv["tier"].astype(object).to_numpy()
    speed = np.array([params.speed_for(str(t)) for t in tier], np.float64)
    standard = np.array([std.get(str(t), np.nan) for t in tier], np.float64)
    legs = _legs(event, rsv["lon"].to_numpy(), rsv["lat"].to_numpy(), detour, speed, delay)
    meets = pd.array(np.where(np.isnan(standard), None, legs["hours"] <= standard), dtype="boolean")
    r_out = pd.DataFrame({
        "kind": "reserve", "id": rsv["id"].astype(str), "name": rsv["name"], "tier": tier,
        "chains": [None] * len(rsv), "capacity": _number_column(rsv, "capacity"),
        "capacity_unit": rsv["capacity_unit"] if "capacity_unit" in rsv else None,
        "lon": rsv["lon"].to_numpy(), "lat": rsv["lat"].to_numpy(),
        **{k: legs[k] for k in ("gc_km", "road_km", "hours", "hours_edge")},
        "standard_h": standard, "meets_standard": meets, "inside": legs["inside"]})
    e_speed = np.full(len(ent), params.speed_for(CHAIN_SPEED_KEY) if len(ent) else 1.0)
    legs = _legs(event, ent["lon"].to_numpy(), ent["lat"].to_numpy(), detour, e_speed, delay)
    e_out = pd.DataFrame({
        "kind": "enterprise", "id": ent["id"].astype(str), "name": ent["name"], "tier": [None] * len(ent),
        "chains": held, "capacity": _number_column(ent, "output_yi"), "capacity_unit": ENTERPRISE_UNIT,
        "lon": ent["lon"].to_numpy(), "lat": ent["lat"].to_numpy(),
        **{k: legs[k] for k in ("gc_km", "road_km", "hours", "hours_edge")},
        "standard_h": np.nan, "meets_standard": pd.array([pd.NA] * len(ent), dtype="boolean"),
        "inside": legs["inside"]})
    parts = [_ranked(r_out, limits[0]), _ranked(e_out, limits[1])]
    out = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
    out = out.astype({"kind": object, "tier": object, "chains": object, "capacity_unit": object,
                      "capacity": np.float64, "standard_h": np.float64, "meets_standard": "boolean",
                      "inside": bool, "rank": np.int64})
    return out[list(TABLE_COLUMNS)]


def _round(value: Any, digits: int = 3) -> Any:
    """A JSON-ready number rounded to ``digits`` (None for NaN/NA/inf)."""
    v = json_ready(value)
    return round(v, digits) if isinstance(v, float) else v


def _units(admin: pd.DataFrame | None, level: str, names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Units of a level touched by the event, most cells first: adcode, name, cells."""
    if admin is None or level not in admin.columns:
        return []
    counts = admin[level].dropna().astype(str).value_counts()
    order = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"adcode": a, "name": names.get(a), "cells": int(n)} for a, n in order]


def dispatch_summary(event: Event, table: pd.DataFrame, hours_by_tier: Mapping[str, float], *,
                     chains: Sequence[str] | None = None, admin: pd.DataFrame | None = None,
                     population: float | None = None, names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What a dispatcher reads first: the area, who is touched, the fastest reserve per tier, the standards.

    Parameters
    ----------
    event
        The event (cells already restricted to the region, if that matters).
    table
        ``dispatch_table`` output *without limits*, so the fastest of every tier is in it.
    hours_by_tier
        The standards to check (a tier listed without any reserve in ``table`` is not met).
    chains
        The relevant chains, for the fastest enterprise per chain (default: those in ``table``).
    admin
        ``county``, ``city`` per affected cell (one row per cell), for the units touched.
    population
        People in the affected cells (``None``: no exposure data).
    names
        adcode -> name.

    Returns
    -------
    dict
        JSON-ready: ``event`` (kind, hazard, res, centre, parameters), ``affected_cells``,
        ``area_km2`` (sum of ``h3.cell_area``), ``population``, ``max_pga`` and
        ``max_intensity`` (quakes), ``counties`` and ``cities`` (adcode, name, cells),
        ``fastest_by_tier`` (tier -> id, name, hours, hours_edge, road_km, capacity,
        capacity_unit, standard_h, meets_standard), ``standards_met`` (tier -> bool),
        ``all_standards_met``, ``enterprises`` (chains, count, fastest_by_chain).
    """
    std = _check_hours_by_tier(hours_by_tier)
    names = dict(names or {})
    area = float(sum(h3i.cell_area(int(c), "km^2") for c in event.cells.tolist()))
    out: dict[str, Any] = {
        "event": {"kind": event.kind, "hazard": event.hazard, "res": event.res,
                  "centre": [round(event.centre[0], 6), round(event.centre[1], 6)],
                  **{k: _round(v, 4) if not isinstance(v, list) else v for k, v in event.params.items()}},
        "affected_cells": len(event.cells), "area_km2": round(area, 3),
        "population": None if population is None else _round(population, 1)}
    if event.pga is not None:
        out["max_pga"] = _round(event.pga.max(), 4)
        out["max_intensity"] = int(event.intensity.max())
    out["counties"], out["cities"] = _units(admin, "county", names), _units(admin, "city", names)
    res = table[table["kind"] == "reserve"].sort_values(["hours", "id"], kind="stable")
    first = res.drop_duplicates("tier")
    present = [t for t in schema.RESERVE_TIERS if t in set(first["tier"])]
    first = first.set_index("tier")
    out["fastest_by_tier"] = {t: {k: _round(first.at[t, k]) for k in (
        "id", "name", "hours", "hours_edge", "road_km", "capacity", "capacity_unit", "standard_h",
        "meets_standard")} for t in present}
    met = {t: bool(t in first.index and first.at[t, "hours"] <= h) for t, h in std.items()}
    out["standards_met"], out["all_standards_met"] = met, all(met.values())
    ent = table[table["kind"] == "enterprise"].sort_values(["hours", "id"], kind="stable")
    if chains is None:
        chains = list(dict.fromkeys(c for v in ent["chains"] for c in v))
    by_chain = {}
    for c in chains:
        hit = ent[[c in v for v in ent["chains"]]]
        by_chain[c] = (None if hit.empty else {k: _round(hit.iloc[0][k]) for k in ("id", "name", "hours")})
    out["enterprises"] = {"chains": list(chains), "count": len(ent), "fastest_by_chain": by_chain}
    return out


def dispatch_lines(table: pd.DataFrame, event: Event) -> dict[str, Any]:
    """Facility -> centre lines for the map, as a GeoJSON FeatureCollection ([lon, lat]).

    One LineString per table row (straight in lon/lat: fine for the few hundred km of a
    region), with properties ``rank``, ``kind``, ``id``, ``name``, ``tier``, ``chains``,
    ``hours``, ``hours_edge``, ``meets_standard``.
    """
    cx, cy = event.centre
    keys = ("rank", "kind", "id", "name", "tier", "chains", "hours", "hours_edge", "meets_standard")
    feats = [{"type": "Feature",
              "geometry": {"type": "LineString", "coordinates": [[float(r["lon"]), float(r["lat"])], [cx, cy]]},
              "properties": {k: json_ready(r[k]) for k in keys}}
             for r in table.to_dict(orient="records")]
    return {"type": "FeatureCollection", "features": feats}


# --- store adapter ----------------------------------------------------------------------------

def _pair(name: str, value: Any, n: int, expected: str) -> tuple[float, ...]:
    """``value`` as n numbers, else EventError."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != n:
        raise EventError(f"{name}: found {value!r:.60}; expected {expected}")
    return tuple(value)


def _event_from_spec(at: Any, radius_km: Any, polygon: Any, quake: Any, min_pga: Any, event: Any,
                     res: int, hazard: str | None) -> Event:
    """Exactly one of at (+ radius_km), polygon, quake, event -> an Event."""
    given = [n for n, v in (("at", at), ("polygon", polygon), ("quake", quake), ("event", event)) if v is not None]
    if len(given) != 1:
        raise EventError(f"event: found {given or 'none'}; expected exactly one of at (with radius_km), "
                         "polygon, quake or event")
    if radius_km is not None and at is None:
        raise EventError(f"radius_km: found {radius_km!r:.20} without at; expected radius_km with at only")
    if given == ["at"]:
        if radius_km is None:
            raise EventError("radius_km: missing; expected a radius in km with at")
        lon, lat = _pair("at", at, 2, "(lon, lat)")
        return event_point(lon, lat, radius_km, res=res, hazard=DEFAULT_HAZARD if hazard is None else hazard)
    if given == ["polygon"]:
        return event_polygon(polygon, res=res, hazard=DEFAULT_HAZARD if hazard is None else hazard)
    if hazard is not None and (given == ["event"] or hazard != QUAKE_HAZARD):
        raise EventError(f"hazard: found {hazard!r:.40}; expected none with {given[0]} (a quake's hazard "
                         f"is {QUAKE_HAZARD!r}; an event carries its own)")
    if given == ["quake"]:
        lon, lat, mag = _pair("quake", quake, 3, "(lon, lat, magnitude)")
        return event_quake(lon, lat, mag, min_pga, res=res)
    if not isinstance(event, Event):
        raise EventError(f"event: found {type(event).__name__}; expected an Event")
    return event


def _admin(store: Store, event: Event) -> pd.DataFrame:
    """admin_cells rows (cell, county, city, province) of the event's cells."""
    return store.query("SELECT a.cell, a.county, a.city, a.province FROM admin_cells a JOIN ev USING (cell) "
                       "WHERE a.res = ? ORDER BY a.cell", [event.res],
                       tables={"ev": pd.DataFrame({"cell": event.cells})}).astype({"cell": np.uint64})


def _centre_terrain(store: Store, event: Event, admin: pd.DataFrame) -> str:
    """Terrain class of the centre's cell, or of the affected cell nearest the centre if outside."""
    cell = np.uint64(h3i.latlng_to_cell(event.centre[1], event.centre[0], event.res))
    row = admin[admin["cell"] == cell]
    if row.empty:
        near = event.cells[np.argmin(haversine_km(event.centre[0], event.centre[1], event.lng, event.lat))]
        row = admin[admin["cell"] == near]
    by_unit = dict((store.meta.get("standards") or {}).get("terrain_by_unit") or {})
    return str(_terrain_of(row["county"].to_numpy(object), row["city"].to_numpy(object), by_unit)[0])


def _population(store: Store, event: Event) -> float | None:
    """People in the event's cells from exposure_cells at its res; None without exposure data."""
    has = store.query("SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'exposure_cells'")
    if not int(has["n"].iloc[0]):
        return None
    df = store.query("SELECT (SELECT count(*) FROM exposure_cells WHERE res = ?) AS n, (SELECT sum(e.population) "
                     "FROM exposure_cells e JOIN ev USING (cell) WHERE e.res = ?) AS pop", [event.res, event.res],
                     tables={"ev": pd.DataFrame({"cell": event.cells})})
    if not int(df["n"].iloc[0]):
        return None
    pop = df["pop"].iloc[0]
    return 0.0 if pd.isna(pop) else float(pop)


def dispatch_from_store(store: Store, *, at: Sequence[float] | None = None, radius_km: float | None = None,
                        polygon: Any = None, quake: Sequence[float] | None = None,
                        min_pga: float = DEFAULT_MIN_PGA, event: Event | None = None, res: int = 8,
                        hazard: str | None = None, hours_by_tier: Mapping[str, float] | None = None,
                        tiers: Sequence[str] | None = None, limit_reserves: int | None = None,
                        limit_enterprises: int | None = DEFAULT_LIMIT_ENTERPRISES,
                        **access_overrides: Any) -> tuple[pd.DataFrame, dict[str, Any], Event]:
    """``dispatch_table`` and ``dispatch_summary`` for one event on a store's region.

    Give exactly one event: ``at=(lon, lat)`` with ``radius_km``, ``polygon`` (GeoJSON),
    ``quake=(lon, lat, magnitude)`` with ``min_pga``, or a built ``event`` (its own res and
    hazard). The affected cells are kept where they lie in the region (``admin_cells``); the
    detour factor is the terrain class of the centre's cell (meta ``standards.terrain_by_unit``).

    Parameters
    ----------
    store
        An open ``Store``.
    at, radius_km, polygon, quake, min_pga, event
        The event (see ``event_point``, ``event_polygon``, ``event_quake``).
    res
        H3 resolution, one of the store's (default 8).
    hazard
        For point and polygon events: the hazard whose chains respond (default ``"flood"``);
        a key of meta ``chains_by_hazard``.
    hours_by_tier
        Standards merged over meta ``standards.hours_by_tier``.
    tiers
        Only reserves of these tiers (and only their standards are checked).
    limit_reserves, limit_enterprises
        Rows kept per kind in the table (the summary always sees every facility).
    **access_overrides
        ``detour``, ``speed_kmh``, ``dispatch_delay_h`` (as ``layers.access``).

    Returns
    -------
    (table, summary, event)
        ``dispatch_table`` rows, ``dispatch_summary`` (plus ``cells_outside_region`` and
        ``terrain``), and the event restricted to the region.

    Raises
    ------
    ValueError
        Several or no events, bad event parameters (``EventError``), a resolution the store
        lacks, a hazard without chains, bad standards or access parameters;
        ``OutsideRegionError`` when no affected cell lies in the region.
    """
    resolutions = [int(r) for r in store.meta.get("resolutions", [])]
    if event is None and (isinstance(res, bool) or not isinstance(res, (int, np.integer))
                          or int(res) not in resolutions):
        raise EventError(f"res: found {res!r:.20}; expected one of the store's resolutions {resolutions}")
    standards = store.meta.get("standards") or {}
    params = AccessParams.from_standards(standards, **access_overrides)
    if hours_by_tier is not None and not isinstance(hours_by_tier, Mapping):
        raise ValueError(f"hours_by_tier: found {hours_by_tier!r:.60}; expected a mapping tier -> hours")
    std = _check_hours_by_tier({**(standards.get("hours_by_tier") or {}), **(hours_by_tier or {})})
    limits = _limit("limit_reserves", limit_reserves), _limit("limit_enterprises", limit_enterprises)
    ev = _event_from_spec(at, radius_km, polygon, quake, min_pga, event, res, hazard)
    if ev.res not in resolutions:
        raise EventError(f"event.res: found {ev.res}; expected one of the store's resolutions {resolutions}")
    wanted = relevant_chains(store.meta.get("chains_by_hazard") or {}, ev.hazard)
    admin = _admin(store, ev)
    if admin.empty:
        lon, lat = ev.centre
        raise OutsideRegionError(
            f"event: found {len(ev.cells):,} affected cells around ({lon:.4f}, {lat:.4f}), none in the region "
            f"{store.meta.get('region', '')} (bbox {store.meta.get('bbox')}); expected an event inside the region")
    keep = np.isin(ev.cells, admin["cell"].to_numpy(np.uint64))
    outside = int((~keep).sum())
    ev = ev.subset(keep) if outside else ev
    terrain = _centre_terrain(store, ev, admin)
    reserves = store.query("SELECT id, name, tier, lon, lat, capacity, capacity_unit FROM reserves ORDER BY id")
    enterprises = store.query("SELECT id, name, lon, lat, chains, output_yi FROM enterprises "
                              "WHERE list_has_any(chains, ?::VARCHAR[]) ORDER BY id", [wanted])
    full = dispatch_table(ev, reserves, enterprises, params, std, wanted, terrain=terrain, tiers=tiers,
                          limit_reserves=None, limit_enterprises=None)
    units = set(admin["county"].dropna()) | set(admin["city"].dropna())
    names = store.query("SELECT adcode, name FROM admin_units WHERE list_contains(?::VARCHAR[], adcode)",
                        [sorted(units)])
    summary = dispatch_summary(ev, full, {t: h for t, h in std.items() if tiers is None or t in tiers},
                               chains=wanted, admin=admin, population=_population(store, ev),
                               names=dict(zip(names["adcode"], names["name"])))
    summary["cells_outside_region"], summary["terrain"] = outside, terrain
    rank = full["rank"].to_numpy()
    cap = [np.inf if lim is None else lim for lim in limits]
    keep_rows = np.where(full["kind"].to_numpy() == "reserve", rank <= cap[0], rank <= cap[1])
    return full[keep_rows].reset_index(drop=True), summary, ev
