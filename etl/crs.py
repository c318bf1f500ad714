"""Coordinate systems: Chinese web-map offsets (GCJ-02, BD-09) and declared CRSs to WGS-84.

GCJ-02 ("Mars coordinates", used by AMap and Tencent) and BD-09 (Baidu) are obfuscated
offsets of WGS-84 of 100–700 m. They are not datums that PROJ knows, so they are computed
here with the published formulas, vectorised over NumPy arrays. CGCS2000 equals WGS-84 at
map scales and is treated as WGS-84. Everything else goes through pyproj.

All conversion functions take array-likes, return ``float64`` arrays of the broadcast shape,
pass NaN through (a point with one NaN coordinate comes back NaN in both), and return points
outside China's bounding rectangle unchanged (the offsets only apply inside China).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import pyproj
from numpy.typing import ArrayLike
from pyproj.exceptions import CRSError as _PyprojCRSError

from etl.errors import CrsError

logger = logging.getLogger(__name__)

__all__ = [
    "CrsSpec",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "parse_crs",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 algorithm.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
# The usual "inside China" rectangle of the GCJ-02 algorithm.
_CHINA = (72.004, 0.8293, 137.8347, 55.8271)
#: Tolerance (degrees) and iteration cap of the iterative inverses.
_TOL = 1e-10
_MAX_ITER = 40

_Forward = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Float64 copies of ``lon`` and ``lat``, broadcast; a point with one NaN is NaN in both."""
    x, y = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    x, y = x.copy(), y.copy()
    nan = np.isnan(x) | np.isnan(y)
    x[nan] = np.nan
    y[nan] = np.nan
    return x, y


def _in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """True where the point lies inside China's rectangle (NaN counts as outside)."""
    w, s, e, n = _CHINA
    return (lon >= w) & (lon <= e) & (lat >= s) & (lat <= n)


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 offset (dlon, dlat) in degrees at WGS-84 points, without the China test."""
    x, y = lon - 105.0, lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + common
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + common
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS-84 longitude/latitude to GCJ-02.

    Parameters
    ----------
    lon, lat
        WGS-84 degrees (scalars or arrays; broadcast together).

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 ``(lon, lat)`` as float64; points outside China and NaN are unchanged.

    Examples
    --------
    >>> [round(float(v), 6) for v in wgs84_to_gcj02(116.404, 39.915)]
    [116.410244, 39.916404]
    """
    x, y = _arrays(lon, lat)
    inside = _in_china(x, y)
    dlon, dlat = _gcj_offset(x[inside], y[inside])
    x[inside] += dlon
    y[inside] += dlat
    return x, y


def _invert(forward: _Forward, u: np.ndarray, v: np.ndarray, x: np.ndarray, y: np.ndarray,
            ) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``forward(x, y) == (u, v)`` by fixed-point iteration from the guess ``(x, y)``.

    The offsets vary slowly (their Jacobian is close to the identity), so the iteration
    ``p <- p - (forward(p) - target)`` converges geometrically; a few steps reach 1e-10 deg.
    """
    active = np.ones(u.shape, dtype=bool)
    for _ in range(_MAX_ITER):
        fx, fy = forward(x[active], y[active])
        ex, ey = fx - u[active], fy - v[active]
        x[active] -= ex
        y[active] -= ey
        # NaN compares False, so NaN points stop iterating too.
        still = (np.abs(ex) > _TOL) | (np.abs(ey) > _TOL)
        idx = np.flatnonzero(active)
        active[idx[~still]] = False
        if not active.any():
            break
    else:  # pragma: no cover - the offsets are smooth; never seen in practice
        logger.warning("inverse did not converge for %d point(s)", int(active.sum()))
    return x, y


def _gcj_forward_raw(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 longitude/latitude to WGS-84 (iterative, exact to < 1e-9 degree).

    Parameters
    ----------
    lon, lat
        GCJ-02 degrees (scalars or arrays; broadcast together).

    Returns
    -------
    tuple of numpy.ndarray
        WGS-84 ``(lon, lat)`` as float64; points outside China and NaN are unchanged.

    Notes
    -----
    Unlike the common one-step inverse (error up to a few metres), this iterates the
    forward transform until the residual is below 1e-10 degree (about 0.01 mm).
    """
    u, v = _arrays(lon, lat)
    x, y = u.copy(), v.copy()
    inside = _in_china(u, v)
    ix, iy = _invert(_gcj_forward_raw, u[inside], v[inside], x[inside], y[inside])
    x[inside], y[inside] = ix, iy
    return x, y


def _bd_forward_raw(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 longitude/latitude to BD-09 (Baidu).

    Parameters
    ----------
    lon, lat
        GCJ-02 degrees.

    Returns
    -------
    tuple of numpy.ndarray
        BD-09 ``(lon, lat)``; points outside China and NaN are unchanged.
    """
    x, y = _arrays(lon, lat)
    inside = _in_china(x, y)
    x[inside], y[inside] = _bd_forward_raw(x[inside], y[inside])
    return x, y


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Convert BD-09 (Baidu) longitude/latitude to GCJ-02 (iterative, < 1e-9 degree).

    Parameters
    ----------
    lon, lat
        BD-09 degrees.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 ``(lon, lat)``; points outside China and NaN are unchanged.

    Notes
    -----
    Starts from Baidu's published closed-form inverse and refines it by fixed-point
    iteration on the forward transform.
    """
    u, v = _arrays(lon, lat)
    out_x, out_y = u.copy(), v.copy()
    inside = _in_china(u, v)
    bu, bv = u[inside], v[inside]
    x, y = bu - 0.0065, bv - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    gx, gy = _invert(_bd_forward_raw, bu, bv, z * np.cos(theta), z * np.sin(theta))
    out_x[inside], out_y[inside] = gx, gy
    return out_x, out_y


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS-84 longitude/latitude to BD-09 (via GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Convert BD-09 longitude/latitude to WGS-84 (via GCJ-02)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


# --- declared CRSs --------------------------------------------------------------------------

CrsKind = Literal["wgs84", "gcj02", "bd09", "proj"]


@dataclass(frozen=True)
class CrsSpec:
    """A parsed CRS declaration.

    Attributes
    ----------
    kind
        ``"wgs84"`` (incl. CGCS2000), ``"gcj02"``, ``"bd09"`` or ``"proj"`` (anything pyproj
        understands: projected CRSs and geographic CRSs on other datums).
    label
        Normalised text for logs and the store, e.g. ``"WGS84"``, ``"GCJ02"``, ``"EPSG:4548"``.
    proj
        The pyproj CRS for ``kind == "proj"``, else None.
    """

    kind: CrsKind
    label: str
    proj: pyproj.CRS | None = None


_WGS84 = CrsSpec("wgs84", "WGS84")
_CGCS2000 = CrsSpec("wgs84", "CGCS2000")
_GCJ02 = CrsSpec("gcj02", "GCJ02")
_BD09 = CrsSpec("bd09", "BD09")

#: Names (after removing spaces, "-", "_" and upper-casing) -> spec.
_NAMED: dict[str, CrsSpec] = {
    **dict.fromkeys(("WGS84", "EPSG:4326", "4326", "OGC:CRS84", "CRS84", "WGS1984",
                     "URN:OGC:DEF:CRS:EPSG::4326", "URN:OGC:DEF:CRS:OGC:1.3:CRS84"), _WGS84),
    **dict.fromkeys(("CGCS2000", "EPSG:4490", "4490", "CGCS2000坐标系", "国家2000"), _CGCS2000),
    **dict.fromkeys(("GCJ02", "GCJ", "火星坐标", "火星坐标系", "国测局坐标", "国测局坐标系",
                     "高德坐标", "高德坐标系"), _GCJ02),
    **dict.fromkeys(("BD09", "BD09LL", "百度", "百度坐标", "百度坐标系", "百度经纬度"), _BD09),
}
_EPSG_RE = re.compile(r"^(?:EPSG:)?(\d{4,6})$")


def _squash(text: str) -> str:
    """Upper-case with spaces, hyphens and underscores removed (for name lookup)."""
    return re.sub(r"[\s\-_]+", "", text.strip().strip("\ufeff").upper())


def parse_crs(text: str) -> CrsSpec:
    """Parse a CRS declaration from a region file or a data file's metadata.

    Parameters
    ----------
    text
        ``WGS84``/``WGS-84``/``EPSG:4326``/``4326``; ``CGCS2000``/``EPSG:4490``;
        ``GCJ02``/``GCJ-02``/``火星坐标``; ``BD09``/``BD-09``/``百度``; ``EPSG:<n>``;
        or a WKT / PROJ string. Case and spacing do not matter for the names.

    Returns
    -------
    CrsSpec

    Raises
    ------
    etl.errors.CrsError
        If the text names no CRS that OneMap can convert to WGS-84 (also for
        vertical/geocentric CRSs and for BD09MC, Baidu's Mercator metres).

    Examples
    --------
    >>> parse_crs("gcj-02").label
    'GCJ02'
    >>> parse_crs("epsg:4548").label
    'EPSG:4548'
    """
    if not isinstance(text, str) or not text.strip():
        raise CrsError(str(text))
    key = _squash(text)
    if key in _NAMED:
        return _NAMED[key]
    m = _EPSG_RE.match(key)
    user_input = f"EPSG:{m.group(1)}" if m else text.strip()
    try:
        crs = pyproj.CRS.from_user_input(user_input)
    except _PyprojCRSError as exc:
        logger.debug("pyproj cannot parse %r: %s", text, exc)
        raise CrsError(text) from None
    if not (crs.is_geographic or crs.is_projected):
        raise CrsError(text)
    axis = crs.ellipsoid.semi_major_metre if crs.ellipsoid is not None else None
    if axis is None or not 6.30e6 < axis < 6.45e6:  # e.g. a Mars or Moon CRS
        raise CrsError(text)
    epsg = crs.to_epsg()
    if epsg == 4326:
        return _WGS84
    if epsg == 4490:
        return _CGCS2000
    label = f"EPSG:{epsg}" if epsg is not None else _authority_label(crs)
    return CrsSpec("proj", label, crs)


def _authority_label(crs: pyproj.CRS) -> str:
    """``AUTH:CODE`` if pyproj knows one, else the CRS name."""
    auth = crs.to_authority()
    return f"{auth[0]}:{auth[1]}" if auth else crs.name


@lru_cache(maxsize=32)
def _transformer(wkt: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(pyproj.CRS.from_wkt(wkt), "EPSG:4326", always_xy=True)


def to_wgs84(x: ArrayLike, y: ArrayLike, crs: str | CrsSpec) -> tuple[np.ndarray, np.ndarray]:
    """Convert coordinates in a declared CRS to WGS-84 longitude/latitude.

    Parameters
    ----------
    x, y
        Easting/longitude and northing/latitude (x first, whatever the CRS's axis order).
    crs
        A declaration accepted by :func:`parse_crs`, or a parsed :class:`CrsSpec`.

    Returns
    -------
    tuple of numpy.ndarray
        WGS-84 ``(lon, lat)`` as float64. NaN in, NaN out; points that pyproj cannot
        transform (outside the projection's domain) come back as NaN.

    Raises
    ------
    etl.errors.CrsError
        If ``crs`` is a string that :func:`parse_crs` rejects.
    """
    spec = parse_crs(crs) if isinstance(crs, str) else crs
    if spec.kind == "wgs84":
        return _arrays(x, y)
    if spec.kind == "gcj02":
        return gcj02_to_wgs84(x, y)
    if spec.kind == "bd09":
        return bd09_to_wgs84(x, y)
    xs, ys = _arrays(x, y)
    lon, lat = _transformer(spec.proj.to_wkt()).transform(xs, ys)
    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    lon[bad] = np.nan
    lat[bad] = np.nan
    return lon, lat
