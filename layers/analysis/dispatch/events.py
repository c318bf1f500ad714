"""Dispatch events: a point with a radius or a drawn/uploaded polygon, as a set of H3 cells
with a centre where arrival hours are measured (validated, pure). The earthquake scenario is in
``layers.analysis.dispatch.quake``; the method and its limits are in the package docstring.
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

from layers.analysis.travel import (
    EARTH_RADIUS_KM,
)
from layers.frames import h3_strings

MAX_RADIUS_KM = 500.0
#: Largest affected area, in cells, an event may have (choose a coarser resolution beyond).
MAX_EVENT_CELLS = 2_000_000
EVENT_KINDS = ("point", "polygon", "quake")
DEFAULT_HAZARD = "flood"
QUAKE_HAZARD = "earthquake"

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

def check_range(name: str, value: Any, lo: float, hi: float, *, lo_open: bool = False) -> float:
    """A finite real in [lo, hi] (or (lo, hi]), else EventError naming ``name``."""
    ok = (isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
          and math.isfinite(value) and (value > lo if lo_open else value >= lo) and value <= hi)
    if not ok:
        raise EventError(f"{name}: found {value!r:.40}; expected a number in "
                         f"{'(' if lo_open else '['}{lo:g}, {hi:g}]")
    return float(value)


def check_lonlat(name: str, lon: Any, lat: Any) -> tuple[float, float]:
    """(lon, lat) in WGS-84 degree ranges, with a hint when they look swapped."""
    try:
        return check_range(f"{name}.lon", lon, -180, 180), check_range(f"{name}.lat", lat, -90, 90)
    except EventError as exc:
        hint = ""
        if isinstance(lat, (int, float)) and isinstance(lon, (int, float)) and abs(lat) > 90 >= abs(lon):
            hint = f" (lon and lat look swapped: give ({lat}, {lon}), longitude first)"
        raise EventError(f"{exc}{hint}") from None


def check_res(res: Any) -> int:
    """An H3 resolution 0..15."""
    if isinstance(res, bool) or not isinstance(res, (int, np.integer)) or not 0 <= res <= 15:
        raise EventError(f"res: found {res!r:.20}; expected an H3 resolution, an integer in 0..15")
    return int(res)


def check_hazard(hazard: Any) -> str:
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


def cell_centres(cells: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """lat, lng arrays of H3 cell centres."""
    cells = [int(c) for c in cells]
    ll = np.fromiter(chain.from_iterable(map(h3i.cell_to_latlng, cells)), np.float64,
                     count=2 * len(cells)).reshape(-1, 2)
    return ll[:, 0], ll[:, 1]


def _too_many(n: int, res: int, what: str) -> None:
    if n > MAX_EVENT_CELLS:
        raise EventError(f"{what} covers about {n:,} cells at res {res}; expected at most "
                         f"{MAX_EVENT_CELLS:,}: choose a coarser resolution")


def disk_cells(lon: float, lat: float, radius_km: float, res: int
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cells whose centre lies within ``radius_km`` of (lon, lat): cells, lat, lng, km (cell order).

    ``grid_disk`` of k rings around the point's cell, k from the local centre spacing s (the
    nearest points of ring k are k s sqrt(3)/2 away), then a haversine filter; k grows until
    ring k lies wholly outside the radius, so no cell beyond it can be inside.
    """
    origin = h3i.latlng_to_cell(lat, lon, res)
    olat, olng = h3i.cell_to_latlng(origin)
    nla, nlo = cell_centres([c for c in h3i.grid_disk(origin, 1) if c != origin])
    step = float(haversine_km(olng, olat, nlo, nla).min()) * math.sqrt(3) / 2
    k = math.ceil(radius_km / step) + 1
    while True:
        _too_many(3 * k * (k + 1) + 1, res, f"a radius of {radius_km:g} km")
        try:
            rla, rlo = cell_centres(h3i.grid_ring(origin, k))
            done = bool((haversine_km(lon, lat, rlo, rla) > radius_km).all())
        except h3.H3BaseException:  # a pentagon in the way: trust the estimate
            done = True
        if done:
            break
        k = math.ceil(k * 1.25) + 1
    cells = np.sort(np.fromiter(h3i.grid_disk(origin, k), np.uint64))
    la, lo = cell_centres(cells)
    km = haversine_km(lon, lat, lo, la)
    keep = km <= radius_km
    return cells[keep], la[keep], lo[keep], km[keep]


def circle_geojson(lon: float, lat: float, radius_km: float, n: int = 72) -> dict[str, Any]:
    """A GeoJSON Polygon approximating the circle of ``radius_km`` around (lon, lat)."""
    d = radius_km / EARTH_RADIUS_KM
    b = np.radians(np.arange(n) * 360.0 / n)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = np.arcsin(math.sin(p1) * np.cos(d) + math.cos(p1) * np.sin(d) * np.cos(b))
    l2 = l1 + np.arctan2(np.sin(b) * np.sin(d) * math.cos(p1), np.cos(d) - math.sin(p1) * np.sin(p2))
    ring = [[round(float(x), 6), round(float(y), 6)] for x, y in zip(np.degrees(l2), np.degrees(p2))]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


def make_event(kind: str, centre: tuple[float, float], res: int, cells: np.ndarray, la: np.ndarray,
           lo: np.ndarray, hazard: str, params: dict[str, Any], geometry: dict[str, Any],
           pga: np.ndarray | None = None) -> Event:
    """An Event, with the centre's cell standing for an area too small to hold a cell centre."""
    if not len(cells):
        cells = np.array([h3i.latlng_to_cell(centre[1], centre[0], res)], np.uint64)
        la, lo = cell_centres(cells)
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
    lon, lat = check_lonlat("point", lon, lat)
    radius_km = check_range("radius_km", radius_km, 0, MAX_RADIUS_KM, lo_open=True)
    res, hazard = check_res(res), check_hazard(hazard)
    cells, la, lo, _ = disk_cells(lon, lat, radius_km, res)
    return make_event("point", (lon, lat), res, cells, la, lo, hazard, {"radius_km": radius_km},
                  circle_geojson(lon, lat, radius_km))


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
            pts.append(check_lonlat(f"{where}[{i}]", p[0], p[1]))
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
    res, hazard = check_res(res), check_hazard(hazard)
    shape = _shape(geometry)
    x0, y0, x1, y1 = shape.bounds
    approx_km2 = shape.area * (math.pi / 180 * EARTH_RADIUS_KM) ** 2 * math.cos(math.radians((y0 + y1) / 2))
    _too_many(int(approx_km2 / h3i.average_hexagon_area(res, "km^2")), res, "the polygon")
    centre = shape.centroid
    if not shape.contains(centre):
        centre = shape.point_on_surface()
    cells = np.sort(np.fromiter(h3i.geo_to_cells(shapely.geometry.mapping(shape), res), np.uint64))
    la, lo = cell_centres(cells)
    params = {"bounds": [round(v, 6) for v in (x0, y0, x1, y1)]}
    return make_event("polygon", (centre.x, centre.y), res, cells, la, lo, hazard, params,
                  shapely.geometry.mapping(shape))




#: Standard gravity, m/s2 per g.
G = 9.80665


#: Lower PGA bounds (m/s2) of intensities VI, VII, VIII, IX, X in the PGA column of the Chinese
#: seismic intensity scale GB/T 17742-2008; below VI the class is 5 ("V or less").
INTENSITY_PGA_MS2 = (0.45, 0.90, 1.78, 3.54, 7.08)


def intensity_class(pga_g: Any) -> np.ndarray:
    """Intensity-like class (int8, 5..10) of PGA in g by the PGA ranges of GB/T 17742-2008.

    5 means "V or less". Only the PGA column of the scale is used: a screening class, not an
    intensity assessment.
    """
    ms2 = np.asarray(pga_g, np.float64) * G
    return (np.searchsorted(INTENSITY_PGA_MS2, ms2, side="right") + 5).astype(np.int8)
