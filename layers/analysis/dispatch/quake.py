"""Earthquake scenarios for dispatch: an epicentre and a magnitude -> the cells where the demo
attenuation relation's PGA reaches a threshold, with an intensity-like class per cell.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from layers.analysis.dispatch.events import (
    QUAKE_HAZARD,
    Event,
    EventError,
    check_lonlat,
    check_range,
    check_res,
    circle_geojson,
    disk_cells,
    make_event,
)

#: Demo attenuation relation ln PGA[g] = A + B*M - C*ln(R + D), R = epicentral distance (km).
#: The constants of geodata/scripts/demo_hazards.py, which stretches R 1.5x along each fault's
#: strike; here R is circular. It is a DEMO relation that gives the synthetic hazard raster a
#: plausible pattern (0.38 g at a M7.8 epicentre, 0.10 g at 100 km), NOT a ground-motion
#: prediction equation for engineering or for real emergency decisions.
PGA_A, PGA_B, PGA_C, PGA_D = 0.881, 0.58, 1.5, 70.0
#: Magnitudes accepted by ``event_quake`` (inclusive).
MAGNITUDE_RANGE = (3.0, 9.0)
DEFAULT_MIN_PGA = 0.1

def quake_pga(magnitude: Any, distance_km: Any) -> np.ndarray:
    """PGA (g) of the demo relation ln PGA = A + B M - C ln(R + D) at epicentral ``distance_km``."""
    r = np.asarray(distance_km, np.float64)
    return np.exp(PGA_A + PGA_B * np.asarray(magnitude, np.float64) - PGA_C * np.log(r + PGA_D))


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
    lon, lat = check_lonlat("epicentre", lon, lat)
    magnitude = check_range("magnitude", magnitude, *MAGNITUDE_RANGE)
    min_pga = check_range("min_pga", min_pga, 0, 2, lo_open=True)
    res = check_res(res)
    top = float(quake_pga(magnitude, 0.0))
    if top < min_pga:
        raise EventError(f"min_pga: found {min_pga:g} g, above the epicentral PGA {top:.3f} g of magnitude "
                         f"{magnitude:g}; expected a lower min_pga or a larger magnitude")
    r_max = math.exp((PGA_A + PGA_B * magnitude - math.log(min_pga)) / PGA_C) - PGA_D
    cells, la, lo, km = disk_cells(lon, lat, max(r_max, 0.0), res)
    pga = quake_pga(magnitude, km)
    keep = pga >= min_pga
    params = {"magnitude": magnitude, "min_pga": min_pga, "r_max_km": max(r_max, 0.0), "pga_epicentre": top}
    return make_event("quake", (lon, lat), res, cells[keep], la[keep], lo[keep], QUAKE_HAZARD, params,
                  circle_geojson(lon, lat, max(r_max, 0.01)), pga=pga[keep])


