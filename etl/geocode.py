"""Offline address -> adcode -> centroid, from the adcode table shipped in the ``cpca`` package.

Precision is what the address supports: a county-level adcode gives the district centroid
(``district``), a city-level one the city centroid (``city``). Nothing finer is claimed.

cpca's centroids come from AMap and are GCJ-02 (Beijing's city centroid sits 0.6 m from the
GCJ-02 point and about 560 m from the WGS-84 one); they are converted to WGS-84 here, like
every other position in the store. Old county names and codes (``etl.adcode_history``) resolve
to today's unit.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from etl.adcode_history import current_code, other_codes, respell_address
from etl.crs import gcj02_to_wgs84

logger = logging.getLogger(__name__)

_MUNICIPALITIES = {"110000", "120000", "310000", "500000"}


@cache
def centroid_table() -> dict[str, tuple[float, float, str]]:
    """6-digit adcode -> (lon, lat, name) from cpca's ``resources/adcodes.csv``."""
    import cpca  # noqa: PLC0415  (slow import: only when geocoding is needed)

    path = Path(cpca.__file__).parent / "resources" / "adcodes.csv"
    df = pd.read_csv(path, dtype={"adcode": str})
    lons, lats = gcj02_to_wgs84(df["longitude"].to_numpy(np.float64), df["latitude"].to_numpy(np.float64))
    out = {}
    for code, name, lon, lat in zip(df["adcode"], df["name"], lons, lats):
        if isinstance(code, str) and len(code) >= 6 and np.isfinite(lon) and np.isfinite(lat):
            out.setdefault(code[:6], (float(lon), float(lat), str(name)))
    return out


def precision_of(adcode: str) -> str | None:
    """'district' for county-level codes, 'city' for city-level ones, None for provinces."""
    if len(adcode) != 6 or not adcode.isdigit():
        return None
    if adcode[4:] != "00":
        return "district"
    if adcode[2:] != "0000" or adcode in _MUNICIPALITIES:
        return "city"
    return None


def locate_adcode(adcode: str) -> tuple[float, float, str] | None:
    """(lon, lat, precision) of an adcode's centroid (WGS-84), or None if unknown or a province.

    An old code (110228 密云县) is found under today's (110118 密云区) and vice versa.
    """
    prec = precision_of(adcode)
    table = centroid_table()
    hit = next((table[c] for c in other_codes(adcode) if c in table), None)
    if prec is None or hit is None:
        return None
    return hit[0], hit[1], prec


def addresses_to_adcodes(addresses: list[str]) -> list[str | None]:
    """The most specific adcode each address names (county, else city), or None."""
    if not addresses:
        return []
    import cpca  # noqa: PLC0415

    known = centroid_table()
    df = cpca.transform([respell_address(a, known) for a in addresses])
    out: list[str | None] = []
    for code in df["adcode"].tolist():
        code = str(code)[:6] if isinstance(code, str) and code not in ("", "nan") else None
        out.append(current_code(code) if code and precision_of(code) else None)
    return out
