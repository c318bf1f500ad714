"""Geodesic measurements of shapes drawn on the map: a line's length, a polygon's area and
perimeter, on the WGS-84 ellipsoid (``pyproj.Geod``, Karney's algorithms), from GeoJSON
[lng, lat] positions. The map's measuring tool shows them; nothing is read from the store.
"""

from __future__ import annotations

import math
from typing import Any

from pyproj import Geod

GEOD = Geod(ellps="WGS84")
MAX_FEATURES = 50
MAX_VERTICES = 5000  # per feature: a hand-drawn shape has tens


def _positions(coords: Any, where: str) -> tuple[list[float], list[float]]:
    """Longitudes and latitudes of a list of [lng, lat] positions (``ValueError`` naming ``where``)."""
    if not isinstance(coords, list) or not 2 <= len(coords) <= MAX_VERTICES:
        raise ValueError(f"{where}: found {type(coords).__name__} of {len(coords) if isinstance(coords, list) else 0} "
                         f"positions; expected 2 to {MAX_VERTICES} [longitude, latitude] positions")
    lons, lats = [], []
    for p in coords:
        ok = (isinstance(p, (list, tuple)) and len(p) >= 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in p[:2]))
        if not ok or not (-180 <= p[0] <= 180 and -90 <= p[1] <= 90):
            raise ValueError(f"{where}: found position {str(p)[:40]}; expected [longitude -180..180, latitude -90..90]")
        lons.append(float(p[0]))
        lats.append(float(p[1]))
    return lons, lats


def measure_shapes(geojson: Any) -> list[dict[str, Any]]:
    """Length (m) of each LineString and area (m², positive) and perimeter (m) of each Polygon
    (outer ring less its holes) of a GeoJSON FeatureCollection, in order; other geometries
    (markers) are skipped.

    Returns
    -------
    list of dict
        ``{"kind": "line", "length_m"}`` or ``{"kind": "polygon", "area_m2", "perimeter_m"}``.

    Raises
    ------
    ValueError
        Not a FeatureCollection, more than ``MAX_FEATURES`` features, a ring or line of fewer than
        2 or more than ``MAX_VERTICES`` positions, or a position off the globe.

    Examples
    --------
    >>> line = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[116, 39], [117, 39]]}}
    >>> round(measure_shapes({"type": "FeatureCollection", "features": [line]})[0]["length_m"])
    86626
    """
    if not isinstance(geojson, dict) or geojson.get("type") != "FeatureCollection" \
            or not isinstance(geojson.get("features"), list):
        raise ValueError(f"shapes: found {str(geojson)[:40]}; expected a GeoJSON FeatureCollection")
    features = geojson["features"]
    if len(features) > MAX_FEATURES:
        raise ValueError(f"shapes: found {len(features)} features; expected at most {MAX_FEATURES}")
    out = []
    for i, f in enumerate(features, 1):
        geom = f.get("geometry") if isinstance(f, dict) else None
        kind = geom.get("type") if isinstance(geom, dict) else None
        where = f"shape {i}"
        if kind == "LineString":
            lons, lats = _positions(geom.get("coordinates"), where)
            out.append({"kind": "line", "length_m": float(GEOD.line_length(lons, lats))})
        elif kind == "Polygon":
            rings = geom.get("coordinates")
            if not isinstance(rings, list) or not rings:
                raise ValueError(f"{where}: found a polygon without rings; expected [[longitude, latitude], ...] rings")
            area = perimeter = 0.0
            for k, ring in enumerate(rings):
                lons, lats = _positions(ring, where)
                a, p = GEOD.polygon_area_perimeter(lons, lats)
                area += abs(a) if k == 0 else -abs(a)
                perimeter += p if k == 0 else 0.0
            out.append({"kind": "polygon", "area_m2": max(area, 0.0), "perimeter_m": float(perimeter)})
    return out
