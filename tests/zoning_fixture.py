"""A small SYNTHETIC zoning map (polygons with a class value) in a projected CRS, for tests.

``make_zoning(path)`` writes it (GeoPackage, EPSG:32650 = WGS 84 / UTM 50N, around 117.0 E,
39.3 N, about 12 x 8 km). It holds the cases real zoning files have: a zone with two holes,
a multipolygon zone, an invalid self-intersecting "bow-tie" zone, two overlapping zones of
different values, a zone given as a class word mapped to a value, and one feature without a
geometry. Every feature has ``synthetic = "yes"``. The committed copy is
``tests/data/zoning_synthetic_utm50.gpkg`` (re-made by ``python -m tests.zoning_fixture``).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyproj
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

CRS = "EPSG:32650"
X0, Y0 = pyproj.Transformer.from_crs("EPSG:4326", CRS, always_xy=True).transform(117.0, 39.3)
#: class word -> value, as a region file's ``values`` table gives them
VALUES = {"低": 0.05, "中": 0.10, "较高": 0.15, "高": 0.20}


def zones() -> gpd.GeoDataFrame:
    """The zoning features (value column ``pga``; ``grade`` for the class-word zone)."""
    x, y = X0, Y0
    holes = Polygon(box(x, y, x + 5000, y + 4000).exterior.coords,
                    [box(x + 1000, y + 1000, x + 2000, y + 2000).exterior.coords[::-1],
                     box(x + 3000, y + 2500, x + 4200, y + 3300).exterior.coords[::-1]])
    multi = MultiPolygon([box(x + 6000, y, x + 7500, y + 1500), box(x + 8000, y + 500, x + 9000, y + 3000)])
    bowtie = Polygon([(x, y + 5000), (x + 3000, y + 8000), (x + 3000, y + 5000), (x, y + 8000)])  # self-intersects
    over_a = box(x + 4000, y + 4500, x + 8000, y + 7500)
    over_b = shapely.Point(x + 8000, y + 6000).buffer(2500, quad_segs=16)  # overlaps over_a
    word = box(x + 9500, y + 3500, x + 12000, y + 5000)
    rows = [
        ("holes", "0.10", None, holes), ("multi", "0.15", None, multi), ("bowtie", "0.20", None, bowtie),
        ("overlap_low", "0.05", None, over_a), ("overlap_high", "0.30", None, over_b),
        ("word", "高", "高", word), ("empty", "0.10", None, None),
    ]
    return gpd.GeoDataFrame({"name": [r[0] for r in rows], "pga": [r[1] for r in rows],
                             "grade": [r[2] for r in rows], "synthetic": "yes"},
                            geometry=[r[3] for r in rows], crs=CRS)


def make_zoning(path: str | Path) -> Path:
    """Write the zoning map to ``path`` (format by extension: .gpkg, .shp, .parquet)."""
    path = Path(path)
    gdf = zones()
    if path.suffix == ".parquet":
        gdf.to_parquet(path)
    else:
        gdf.to_file(path, engine="pyogrio")
    return path


if __name__ == "__main__":
    print(make_zoning(Path(__file__).parent / "data" / "zoning_synthetic_utm50.gpkg"))
