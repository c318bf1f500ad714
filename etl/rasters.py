"""Open hazard rasters safely and read them in row windows with nodata, scale and offset applied.

Any CRS (geographic or projected), north-up or south-up (positive y pixel size), GeoTIFF/COG
or NetCDF through rasterio. Rotated grids are refused; a raster without a CRS needs one
declared. Memory stays bounded: values are read a window of rows at a time.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from pyproj import CRS, Transformer

from etl.crs import CrsSpec, parse_crs
from etl.errors import CrsError, DataError, Problem

logger = logging.getLogger(__name__)

_WGS84_LIKE = {4326, 4490, 4610, 4479}  # WGS 84, CGCS2000 (and its ensemble codes)
EARTH_RADIUS_M = 6_371_007.2


@dataclass(frozen=True)
class Grid:
    """A north-up or south-up pixel grid and its CRS: everything the zone map depends on."""

    crs_wkt: str
    transform: Affine
    width: int
    height: int

    @cached_property
    def lonlat_native(self) -> bool:
        """True when x/y already are WGS-84 (or CGCS2000) longitude/latitude."""
        return _is_wgs84_like(CRS.from_wkt(self.crs_wkt))

    def key(self) -> str:
        """A stable digest of the grid, for caching zone maps."""
        t = self.transform
        text = f"{self.crs_wkt}|{t.a!r},{t.b!r},{t.c!r},{t.d!r},{t.e!r},{t.f!r}|{self.width}x{self.height}"
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    @cached_property
    def _to_wgs84(self) -> Transformer | None:
        if self.lonlat_native:
            return None
        return Transformer.from_crs(CRS.from_wkt(self.crs_wkt), CRS.from_epsg(4326), always_xy=True)

    @cached_property
    def _from_wgs84(self) -> Transformer | None:
        if self.lonlat_native:
            return None
        return Transformer.from_crs(CRS.from_epsg(4326), CRS.from_wkt(self.crs_wkt), always_xy=True)

    def centres_lonlat(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """WGS-84 lon/lat of the centres of pixels (rows, cols)."""
        t = self.transform
        x = t.c + (np.asarray(cols, dtype=np.float64) + 0.5) * t.a
        y = t.f + (np.asarray(rows, dtype=np.float64) + 0.5) * t.e
        tr = self._to_wgs84
        if tr is None:
            return x, y
        lon, lat = tr.transform(x, y)
        return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)

    def lonlat_to_pixel(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Continuous pixel-centre coordinates (u = column, v = row) of WGS-84 points.

        The centre of pixel (r, c) is at (u, v) = (c, r).
        """
        tr = self._from_wgs84
        if tr is None:
            x, y = np.asarray(lon, np.float64), np.asarray(lat, np.float64)
        else:
            x, y = tr.transform(lon, lat)
            x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
        t = self.transform
        return (x - t.c) / t.a - 0.5, (y - t.f) / t.e - 0.5

    def footprint_lonlat(self, per_side: int = 64, rows: tuple[int, int] | None = None) -> np.ndarray:
        """The outline (pixel edges) of the grid, or of its rows [r0, r1), in WGS-84 as an
        (n, 2) lon/lat ring, densified."""
        w = self.width
        r0, h = (0, self.height) if rows is None else (rows[0], rows[1] - rows[0])
        s = np.linspace(0.0, 1.0, per_side, endpoint=False)
        cols = np.concatenate([s * w, np.full(per_side, w), (1 - s) * w, np.zeros(per_side)])
        rows = r0 + np.concatenate([np.zeros(per_side), s * h, np.full(per_side, h), (1 - s) * h])
        # pixel-edge coordinates: shift by -0.5 since centres_lonlat adds +0.5
        lon, lat = self.centres_lonlat(rows - 0.5, cols - 0.5)
        return np.column_stack([lon, lat])

    def pixel_dims_m(self) -> tuple[float, float]:
        """Approximate pixel width and height in metres at the grid centre."""
        r, c = self.height / 2, self.width / 2
        lon, lat = self.centres_lonlat(np.array([r, r, r + 1]), np.array([c, c + 1, c]))
        coslat = math.cos(math.radians(lat[0]))

        def dist(i: int) -> float:
            return math.hypot(math.radians(lon[i] - lon[0]) * coslat, math.radians(lat[i] - lat[0])) * EARTH_RADIUS_M

        return dist(1), dist(2)


def _is_wgs84_like(crs: CRS) -> bool:
    if not crs.is_geographic:
        return False
    code = crs.to_epsg(min_confidence=70)
    if code in _WGS84_LIKE:
        return True
    # e.g. OGC:CRS84 (lon/lat order is what rasterio gives anyway)
    return crs.name in ("WGS 84", "China Geodetic Coordinate System 2000", "WGS 84 (CRS84)")


@dataclass
class RasterReader:
    """An open raster band, validated, that yields decoded float64 windows (NaN = no data)."""

    path: Path
    band: int
    grid: Grid
    nodata: float | None
    scale: float
    offset: float
    crs_label: str
    dtype: str
    _ds: rasterio.io.DatasetReader

    def windows(self, rows: int = 256) -> Iterator[tuple[int, int, np.ndarray]]:
        """Yield (r0, r1, values) for consecutive row windows; values are float64, NaN = no data."""
        for r0 in range(0, self.grid.height, rows):
            r1 = min(self.grid.height, r0 + rows)
            yield r0, r1, self.read_rows(r0, r1)

    def read_raw(self, r0: int, r1: int) -> tuple[np.ndarray, np.ndarray]:
        """Raw band values of rows [r0, r1) and the mask of valid pixels."""
        win = rasterio.windows.Window(0, r0, self.grid.width, r1 - r0)
        raw = self._ds.read(self.band, window=win)
        valid = np.ones(raw.shape, dtype=bool)
        if raw.dtype.kind == "f":
            valid &= np.isfinite(raw)
        nd = self.nodata
        if nd is not None and not math.isnan(nd) and _representable(nd, raw.dtype):
            valid &= raw != np.asarray(nd, dtype=raw.dtype)
        return raw, valid

    def decode(self, raw: np.ndarray) -> np.ndarray:
        """Raw values -> physical values (float64) with scale and offset."""
        values = raw.astype(np.float64)
        if self.scale != 1.0 or self.offset != 0.0:
            values = values * self.scale + self.offset
        return values

    def read_rows(self, r0: int, r1: int) -> np.ndarray:
        """Decoded values of rows [r0, r1) as float64, NaN where there is no data."""
        raw, valid = self.read_raw(r0, r1)
        values = self.decode(raw)
        values[~valid] = np.nan
        return values

    def close(self) -> None:
        self._ds.close()

    def __enter__(self) -> "RasterReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _representable(value: float, dtype: np.dtype) -> bool:
    """Whether a nodata value can occur in a band of this dtype."""
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return float(value).is_integer() and info.min <= value <= info.max
    return True


def open_raster(
    path: str | Path,
    *,
    band: int = 1,
    crs: str | None = None,
    nodata: float | None = None,
    scale: float | None = None,
    offset: float | None = None,
    label: str | None = None,
) -> RasterReader:
    """Open and validate one raster band.

    Parameters
    ----------
    path
        GeoTIFF/COG, NetCDF or any GDAL raster rasterio opens.
    band
        Band number, from 1.
    crs
        Declared CRS (overrides the file's; required when the file has none).
    nodata, scale, offset
        Declared values overriding the file's.
    label
        How to name the source in messages (defaults to the path); ``hazard=...`` in fixes.

    Returns
    -------
    RasterReader

    Raises
    ------
    DataError
        File missing or unreadable, band missing, no CRS, rotated grid, unknown CRS.
    """
    path = Path(path)
    name = str(path)
    hazard = label or path.stem
    if not path.exists() and not str(path).upper().startswith(("NETCDF:", "HDF5:")):
        raise DataError([Problem("file_not_found", name)])
    try:
        ds = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise DataError([Problem("unreadable_file", name, {"found": str(exc)})]) from None
    problems: list[Problem] = []
    if band < 1 or band > ds.count:
        problems.append(Problem("raster_band_missing", name, {"found": band, "expected": ds.count}))
    t = ds.transform
    if t.b != 0 or t.d != 0:
        problems.append(Problem("raster_rotated", name, {"found": tuple(round(v, 6) for v in t[:6])}))
    crs_obj: CRS | None = None
    crs_text = "?"
    if crs is not None:
        try:
            spec: CrsSpec = parse_crs(crs)
        except CrsError:
            problems.append(Problem("crs_unknown", name, {"found": crs}))
        else:
            if spec.kind in ("gcj02", "bd09"):
                problems.append(Problem("region_bad_value", name, {
                    "key": "crs", "found": crs,
                    "expected": "EPSG:n, WKT, WGS84 or CGCS2000 (GCJ-02/BD-09 rasters are not supported)"}))
            else:
                crs_obj = spec.proj or CRS.from_epsg(4326)
                crs_text = spec.label
        if ds.crs is not None and crs_obj is not None and CRS.from_user_input(ds.crs) != crs_obj:
            logger.warning("%s: declared CRS %s overrides the file's %s", name, crs_text, ds.crs)
    elif ds.crs is None:
        problems.append(Problem("raster_no_crs", name, {"hazard": hazard}))
    else:
        crs_obj = CRS.from_user_input(ds.crs)
        code = crs_obj.to_epsg(min_confidence=70)
        crs_text = f"EPSG:{code}" if code else crs_obj.name
    if problems:
        ds.close()
        raise DataError(problems)
    assert crs_obj is not None
    b = band - 1
    file_nodata = ds.nodatavals[b]
    grid = Grid(crs_obj.to_wkt(), t, ds.width, ds.height)
    return RasterReader(
        path=path, band=band, grid=grid,
        nodata=nodata if nodata is not None else file_nodata,
        scale=scale if scale is not None else float(ds.scales[b] or 1.0),
        offset=offset if offset is not None else float(ds.offsets[b] or 0.0),
        crs_label=crs_text, dtype=ds.dtypes[b], _ds=ds,
    )
