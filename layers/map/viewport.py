"""What the map shows in one view: viewport -> H3 resolution -> compact hexagons and points.

A viewport is a WGS-84 lat/lng rectangle (no antimeridian crossing); a hexagon is in it when its
centre is. Candidates (h3 polygon fill of the view cut to the region) join ``hazard_cells`` as an
Arrow table registered on the query's cursor: 14 ms for 93k, 190 ms as a ``?`` list parameter.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, Sequence

import h3
import numpy as np
import pyarrow as pa
from h3.api import numpy_int as h3n

from layers.map import hexcache
from layers.store import Store

logger = logging.getLogger(__name__)

MIN_ZOOM, MAX_ZOOM = 3, 18
TARGET_PX = math.sqrt(8 * 40)  # wanted hexagon width on screen: the geometric middle of 8-40 px
M_PER_PX_Z0 = 2 * math.pi * 6_378_137 / 256  # Web-Mercator m/px at zoom 0 on the equator
_EARTH_KM = 6371.007180918475  # H3's authalic radius
#: Cells centred in a polygon: h3 >= 4.2's new fill (same cells, 7x faster here), else the classic.
_fill = getattr(h3n, "h3shape_to_cells_experimental", h3n.h3shape_to_cells)
class ViewportError(ValueError):
    """A viewport (bounds, zoom) that cannot be used; ``code`` and ``params`` for translation."""

    def __init__(self, code: str, message: str, **params: Any):
        self.code, self.params = code, params
        super().__init__(message)


def check_number(name: str, value: Any) -> float:
    """``value`` as a finite float, or a ViewportError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ViewportError("not_a_number", f"{name} must be a number, got "
                            f"{type(value).__name__} {value!r:.40}", name=name)
    if not math.isfinite(value):
        raise ViewportError("not_finite", f"{name} must be finite, got {value!r}", name=name)
    return float(value)


@dataclass(frozen=True)
class Viewport:
    """A lat/lng rectangle (WGS-84 degrees, south < north, west < east), zoom in [3, 18]."""

    south: float
    west: float
    north: float
    east: float
    zoom: float

    @classmethod
    def parse(cls, bounds: Any, zoom: Any) -> Viewport:
        """Validate map or URL input: ``[[south, west], [north, east]]`` (Leaflet), zoom clamped.

        Raises
        ------
        ViewportError
            Not two [lat, lng] pairs; a value that is not a finite number (strings are refused,
            not converted); lat outside [-90, 90]; south >= north; west >= east; a view wholly
            past +-180. Longitudes past +-180 (Leaflet's, zoomed out) are cut there: views
            across the antimeridian are not supported.
        """
        if not (isinstance(bounds, (list, tuple)) and len(bounds) == 2 and all(
                isinstance(p, (list, tuple)) and len(p) == 2 for p in bounds)):
            raise ViewportError("bounds_shape", "bounds must be [[south, west], [north, east]],"
                                f" got {bounds!r:.80}")
        names = ("south", "west", "north", "east")
        s, w, n, e = (check_number(k, v) for k, v in zip(names, (*bounds[0], *bounds[1])))
        for name, v in (("south", s), ("north", n)):
            if not -90 <= v <= 90:
                raise ViewportError("out_of_range", f"{name} {v} is outside [-90, 90]", name=name)
        if s >= n:
            raise ViewportError("south_not_below_north", f"south ({s}) must be less than north "
                                f"({n})", south=s, north=n)
        if w >= e:
            raise ViewportError("west_not_below_east", f"west ({w}) must be less than east ({e}); "
                                "views across the antimeridian are not supported", west=w, east=e)
        if w >= 180 or e <= -180:
            raise ViewportError("beyond_antimeridian", f"west ({w}) to east ({e}) lies wholly past "
                                "+-180; views across the antimeridian are not supported")
        return cls(s, max(w, -180.0), n, min(e, 180.0),
                   float(min(max(check_number("zoom", zoom), MIN_ZOOM), MAX_ZOOM)))

    def clip(self, bbox: Sequence[float]) -> Viewport | None:
        """This view cut to ``bbox = [west, south, east, north]`` (meta 'bbox'); None if outside."""
        w, s, e, n = (float(v) for v in bbox)
        s, w, n, e = max(self.south, s), max(self.west, w), min(self.north, n), min(self.east, e)
        return Viewport(s, w, n, e, self.zoom) if s < n and w < e else None


def resolution_for_zoom(zoom: float, resolutions: Sequence[int], *, lat: float = 40.0) -> int:
    """The resolution in ``resolutions`` whose hexagons are nearest ``TARGET_PX`` (17.9 px) wide.

    Minimises ``|log(px / TARGET_PX)|``, ``px`` = 2 x ``h3.average_hexagon_edge_length`` over
    Web-Mercator m/px at ``lat`` (region centre): hexagons 11-29 px wide unless the store's
    resolutions end; monotonic in zoom (clamped to [3, 18]). With res 5-9 this table holds for
    any lat in 36-50 N (at 39.35 N: m/px, px at the chosen res, [px] at the next finer one):

    ==== ==== ==== ==== ==== ==== ==== ==== ==== =====
    zoom <=6  7    8    9    10   11   12   13   >=14
    res  5    5    6    7    7    8    9    9    9
    m/px 1891 946  473  236  118  59.1 29.6 14.8 <=7.4
    px   10.4 20.8 15.8 11.9 23.8 18.0 13.6 27.2 >=54
    [px] 3.9  7.9  5.9  4.5  9.0  6.8  --   --   --
    ==== ==== ==== ==== ==== ==== ==== ==== ==== =====

    Examples
    --------
    >>> [resolution_for_zoom(z, [5, 6, 7, 8, 9]) for z in (6, 8, 10, 11, 13)]
    [5, 6, 7, 8, 9]
    """
    if not resolutions:
        raise ValueError("resolutions is empty; the store's meta 'resolutions' lists them")
    z = min(max(check_number("zoom", zoom), MIN_ZOOM), MAX_ZOOM)
    m_per_px = M_PER_PX_Z0 * math.cos(math.radians(lat)) / 2**z
    px = {int(r): 2 * h3.average_hexagon_edge_length(int(r), "m") / m_per_px for r in resolutions}
    return min(sorted(px), key=lambda r: (abs(math.log(px[r] / TARGET_PX)), r))


@dataclass(frozen=True)
class HexPayload:
    """The hexagons of one hazard in one view, as parallel arrays ``cells``, ``cls``, ``value``.

    ``truncated``: ``max_cells`` made ``res`` coarser than ``requested_res`` or dropped cells.
    ``sampled_share``: share of cells smaller than a raster pixel (value of the pixel under the
    centre: no finer detail in the data).
    """

    hazard: str
    res: int
    requested_res: int
    truncated: bool
    cells: list[str] = field(repr=False)
    cls: list[int] = field(repr=False)
    value: list[float] = field(repr=False)  # max over the cell, 3 significant digits
    sampled_share: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of parallel arrays (not a list of objects)."""
        return {"hazard": self.hazard, "res": self.res, "requested_res": self.requested_res,
                "truncated": self.truncated, "sampled_share": round(self.sampled_share, 3),
                "cells": self.cells, "cls": self.cls, "value": self.value}


def payload_bytes(payload: HexPayload | dict[str, Any]) -> int:
    """Bytes of a payload's compact UTF-8 JSON (raises on NaN, which JSON cannot carry)."""
    data = payload.to_dict() if isinstance(payload, HexPayload) else payload
    return len(json.dumps(data, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode("utf-8"))


def _round_sig(values: np.ndarray, digits: int = 3) -> list[float]:
    """``values`` rounded to ``digits`` significant digits (shorter JSON), as a list."""
    mag = np.log10(np.abs(values), out=np.zeros_like(values), where=values != 0)
    decimals, out = digits - 1 - np.floor(mag).astype(int), np.empty_like(values)
    for d in np.unique(decimals):
        out[decimals == d] = np.round(values[decimals == d], int(d))
    return out.tolist()


def _candidates(view: Viewport, requested: int, resolutions: list[int],
                max_cells: int) -> tuple[np.ndarray, int, bool]:
    """Sorted uint64 cells centred in ``view`` at the finest res <= requested that fits."""
    poly = h3.LatLngPoly([(view.south, view.west), (view.south, view.east),
                          (view.north, view.east), (view.north, view.west)])
    area_km2 = (_EARTH_KM**2 * math.radians(view.east - view.west)
                * (math.sin(math.radians(view.north)) - math.sin(math.radians(view.south))))
    centre = ((view.south + view.north) / 2, (view.west + view.east) / 2)
    steps = [r for r in sorted(resolutions, reverse=True) if r <= requested]
    for r in steps[:-1]:
        if area_km2 / h3.cell_area(h3.latlng_to_cell(*centre, r), "km^2") > 1.5 * max_cells:
            continue  # clearly too many: skip before asking h3 for millions of cells
        cells = np.sort(_fill(poly, r))
        if len(cells) <= max_cells:
            return cells, r, r != requested
    cells = np.sort(_fill(poly, steps[-1]))  # the coarsest: cut if it must
    return cells[:max_cells], steps[-1], steps[-1] != requested or len(cells) > max_cells


def _query_cells(store: Store, sql: str, params: list[Any], cells: np.ndarray) -> dict[str, Any]:
    """``store.query`` with ``cells`` registered as table ``view_cells``."""
    return store.query(sql, params, tables={"view_cells": pa.table({"cell": pa.array(cells, pa.uint64())})},
                       numpy=True)


def check_int(name: str, value: Any, low: int) -> int:
    """``value`` if it is an integer >= ``low``, else a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def hazard_cells_in_view(store: Store, hazard: str, viewport: Viewport, *, res: int | None = None,
                         min_class: int = 0, max_cells: int = 50_000, cached: bool = True) -> HexPayload:
    """The cells of ``hazard`` whose centre lies in ``viewport``, in H3 order, at the zoom's res.

    The view is clipped to the store's meta 'bbox' (an empty payload when it misses); its zoom
    gives the resolution (``resolution_for_zoom``) unless ``res`` names one of the store's.
    Cells of a class below ``min_class`` are left out. Above ``max_cells`` candidate cells the
    resolution steps down until they fit; the default keeps the JSON under 1.5 MB (25-29 B/cell).
    ``cached``: look the cells up in the layer held in memory (``layers.map.hexcache``) when it
    is kept, else (and with False) ask DuckDB; the answer is the same.

    Raises
    ------
    ValueError
        Unknown hazard, a resolution the store lacks, or a bad ``min_class``/``max_cells``.
    """
    min_class = check_int("min_class", min_class, 0)
    max_cells = check_int("max_cells", max_cells, 1)
    hazards = store.hazards
    if hazard not in hazards:
        raise ValueError(f"unknown hazard {hazard!r}; expected one of {hazards}")
    resolutions = sorted(int(r) for r in store.meta["resolutions"])
    bbox = store.meta.get("bbox")
    lat = (bbox[1] + bbox[3]) / 2 if bbox else (viewport.south + viewport.north) / 2
    requested = resolution_for_zoom(viewport.zoom, resolutions, lat=lat) if res is None else res
    if requested not in resolutions:
        raise ValueError(f"resolution {res!r} is not in the store; it has {resolutions}")
    view = viewport.clip(bbox) if bbox else viewport
    if view is None:
        return HexPayload(hazard, requested, requested, False, [], [], [])
    cells, used, truncated = _candidates(view, requested, resolutions, max_cells)
    if truncated:
        logger.info("%s: res %d instead of %d (cap %d cells)", hazard, used, requested, max_cells)
    rows = hexcache.cells_in(store, hazard, used, min_class, cells) if cached else None  # in memory
    if rows is None:
        rows = _query_cells(
            store, "SELECT printf('%x', h.cell) AS h3, h.class AS cls, h.max AS value, h.sampled "
            "FROM hazard_cells AS h SEMI JOIN view_cells AS v ON h.cell = v.cell "
            "WHERE h.hazard = ? AND h.res = ? AND h.class >= ? ORDER BY h.cell",
            [hazard, used, min_class], cells)
    return HexPayload(hazard, used, requested, truncated, rows["h3"].tolist(),
                      rows["cls"].astype(int).tolist(), _round_sig(rows["value"].astype(float)),
                      float(rows["sampled"].mean()) if len(rows["h3"]) else 0.0)
