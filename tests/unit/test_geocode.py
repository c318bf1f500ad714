"""Tests of etl.geocode: precision of adcodes, centroids, addresses -> adcodes (offline, cpca)."""

from __future__ import annotations

import pytest

from etl import geocode
from etl.crs import gcj02_to_wgs84
from etl.geocode import addresses_to_adcodes, locate_adcode, precision_of


@pytest.mark.parametrize("adcode, expected", [
    ("130205", "district"),   # 唐山市开平区
    ("110105", "district"),   # 北京市朝阳区
    ("130200", "city"),       # 唐山市
    ("110000", "city"),       # 北京市: a municipality is a city
    ("120000", "city"),
    ("500000", "city"),
    ("130000", None),         # 河北省: a province is too coarse
    ("13020", None),
    ("1302050", None),
    ("13O205", None),
    ("", None),
])
def test_precision_of(adcode, expected):
    assert precision_of(adcode) == expected


def _wgs(lon: float, lat: float) -> tuple[float, float]:
    """cpca's centroids are GCJ-02 (AMap); the geocoder returns them in WGS-84."""
    x, y = gcj02_to_wgs84(lon, lat)
    return float(x), float(y)


def test_locate_district():
    lon, lat, prec = locate_adcode("130205")
    assert (lon, lat) == pytest.approx(_wgs(118.261841, 39.671001), abs=1e-9)
    assert prec == "district"


def test_locate_city_and_municipality():
    lon, lat, prec = locate_adcode("130200")
    assert ((lon, lat), prec) == (pytest.approx(_wgs(118.180193, 39.630867), abs=1e-9), "city")
    lon, lat, prec = locate_adcode("110000")
    assert ((lon, lat), prec) == (pytest.approx(_wgs(116.407394, 39.904211), abs=1e-9), "city")


def test_locate_province_or_unknown_is_none():
    assert locate_adcode("130000") is None
    assert locate_adcode("999999") is None
    assert locate_adcode("abc") is None


def test_centroid_table_names():
    table = geocode.centroid_table()
    assert table["130205"][2] == "开平区"
    assert table["110000"][2] == "北京市"
    assert all(len(code) == 6 for code in table)


def test_addresses_to_adcodes():
    got = addresses_to_adcodes(["河北省唐山市开平区", "河北省唐山市", "北京市朝阳区建国路1号",
                                "火星某地", "河北省"])
    assert got == ["130205", "130200", "110105", None, None]


def test_addresses_to_adcodes_empty():
    assert addresses_to_adcodes([]) == []
