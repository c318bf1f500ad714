"""A tiny two-county region made by the tests: every reader path and a few bad rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openpyxl
import pytest
import rasterio
from rasterio.transform import Affine

from etl.crs import wgs84_to_gcj02

# two square "counties" near Tangshan (real adcodes, made-up outlines)
COUNTIES = {"130203": (118.0, 39.5, 118.2, 39.7), "130205": (118.2, 39.5, 118.4, 39.7)}


def _square(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def make_region(root: Path, *, raster_rows: int = 200) -> Path:
    """Write the tiny region's files under ``root`` and return its region TOML."""
    root.mkdir(parents=True, exist_ok=True)
    feats = [
        {"type": "Feature", "properties": {"adcode": "130000", "name": "河北省", "level": "province", "parent": None},
         "geometry": _square(118.0, 39.5, 118.4, 39.7)},
        {"type": "Feature", "properties": {"adcode": "130200", "name": "唐山市", "level": "city", "parent": "130000"},
         "geometry": _square(118.0, 39.5, 118.4, 39.7)},
    ] + [
        {"type": "Feature", "properties": {"adcode": code, "name": name, "level": "county", "parent": "130200"},
         "geometry": _square(*box)}
        for (code, box), name in zip(COUNTIES.items(), ["路北区", "开平区"])
    ]
    (root / "admin.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False), encoding="utf-8")
    # parks: UTF-8 with BOM, Chinese headers
    (root / "parks.csv").write_text(
        "编号,名称,级别,布局,经度,纬度,产业链\n"
        "P1,开平应急装备产业园,★国家安全应急产业示范基地,核心区,118.26,39.67,抢险救援、无人救援装备\n"
        "P2,路北智慧应急集群,特色集群,核心区,118.10,39.60,预测预警装备\n",
        encoding="utf-8-sig")
    # enterprises: GBK, GCJ-02 coordinates, one swapped row and one without location
    lon, lat = wgs84_to_gcj02(np.array([118.05, 118.3, 118.35]), np.array([39.55, 39.65, 39.52]))
    rows = [
        f"E1,唐山某救援装备公司,{lon[0]:.7f},{lat[0]:.7f},抢险救援装备,是,否",
        f"E2,开平某无人机公司,{lon[1]:.7f},{lat[1]:.7f},无人救援装备、应急通信装备,否,是",
        f"E3,坐标颠倒公司,{lat[2]:.7f},{lon[2]:.7f},消防救援装备,是,否",
        "E4,无位置公司,,,消防救援装备,否,否",
    ]
    (root / "enterprises.csv").write_bytes(("企业编号,企业名称,经度,纬度,产业链,规上,链主\n" + "\n".join(rows) + "\n").encode("gbk"))
    # reserves: XLSX, one row placed by address only
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "储备库"
    ws.append(["编号", "名称", "级别", "物资类别", "储备量", "单位", "经度", "纬度", "地址"])
    ws.append(["R1", "唐山市级储备库", "市级", "帐篷、棉被", 5000, "件", 118.15, 39.62, None])
    ws.append(["R2", "开平区县级储备点", "县级", "排涝泵", 300, "台", None, None, "河北省唐山市开平区"])
    ws.append(["R3", "某救援队", "救援队伍", "破拆工具", 50, "套", 118.33, 39.58, None])
    wb.save(root / "reserves.xlsx")
    # hazard rasters: flood south-up in EPSG:4326, earthquake in Gauss-Kruger
    rng = np.random.default_rng(7)
    h, w = raster_rows, raster_rows * 2
    depth = np.clip(rng.gamma(1.2, 0.8, (h, w)), 0, 6).astype("float32")
    depth[:5, :] = -9999
    with rasterio.open(root / "flood.tif", "w", driver="GTiff", width=w, height=h, count=1, dtype="float32",
                       crs="EPSG:4326", transform=Affine(0.4 / w, 0, 118.0, 0, 0.2 / h, 39.5), nodata=-9999) as dst:
        dst.write(depth, 1)
    pga = (rng.random((80, 80)) * 4000).astype("uint16")
    with rasterio.open(root / "pga.tif", "w", driver="GTiff", width=80, height=80, count=1, dtype="uint16",
                       crs="EPSG:4548", transform=Affine(500, 0, 580000, 0, -500, 4400000), nodata=65535) as dst:
        dst.write(pga, 1)
        dst.scales, dst.offsets = (0.0001,), (0.0,)
    toml = root / "tiny.toml"
    toml.write_text(TINY_TOML, encoding="utf-8")
    return toml


TINY_TOML = """
[region]
id = "tiny"
name = "测试区"
name_en = "Test region"
adcodes = ["130000"]
bbox = [117.9, 39.4, 118.5, 39.8]
resolutions = [6, 7, 8]

[admin]
path = "admin.geojson"
crs = "WGS84"

[[parks]]
path = "parks.csv"
crs = "WGS84"

[[enterprises]]
path = "enterprises.csv"
crs = "GCJ02"
synthetic = true

[[reserves]]
path = "reserves.xlsx"
sheet = "储备库"
crs = "WGS84"
synthetic = true

[hazards.flood]
path = "flood.tif"
units = "m"
breaks = [0.15, 0.5, 1.5, 3.0]
synthetic = true

[hazards.earthquake]
path = "pga.tif"
units = "g"
breaks = [0.05, 0.1, 0.15, 0.2, 0.3, 0.4]
synthetic = true

[chains]
flood = ["rescue", "unmanned"]

[standards]
hours_by_tier = { county = 6, municipal = 8, provincial = 10 }
speed_kmh = { county = 50 }
detour = { plain = 1.3 }
dispatch_delay_h = 0.5
"""


@pytest.fixture
def tiny_region(tmp_path) -> Path:
    return make_region(tmp_path / "region")


@pytest.fixture(scope="session")
def app(demo_db):
    """The app on the demo store, one per test session (every app of a process gets the pages'
    callbacks, ``mapapp.page_callbacks``; one app saves its start-up in every test)."""
    from mapapp.app import create_app  # noqa: PLC0415
    from mapapp.settings import Settings  # noqa: PLC0415

    return create_app(Settings(db_path=str(demo_db)))


@pytest.fixture(scope="session")
def demo_store(demo_db):
    """The demo store opened read-only once per session (tests of layers' public functions)."""
    from layers import Store  # noqa: PLC0415

    store = Store(demo_db)
    yield store
    store.close()
