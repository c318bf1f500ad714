"""Chinese wording of layers' error messages (mapapp.error_text): no English reaches a user."""

from __future__ import annotations

import re

import pytest

from mapapp.error_text import zh_detail
from mapapp.errors import user_message

ASCII_WORD = re.compile(r"[A-Za-z]{2,}")


@pytest.mark.parametrize(("detail", "wanted"), [
    ("hours: found -3; expected a number in 0.0..240.0", "“时间标准（小时）”的取值 -3 无效，应为 0 到 240 之间的数"),
    ("k: found 0; expected an integer >= 1", "“新增数量 K”的取值 0 无效，应为不小于 1 的整数"),
    ("unknown adcode '999999'; nearest: none", "行政区划代码 999999 不存在；没有相近的代码"),
    ("unknown adcode '130299'; nearest: 130200 唐山市, 130203 路北区", "行政区划代码 130299 不存在；相近的有：唐山市、路北区"),
    ("lon, lat: found none; expected both numbers", "请填写“经度、纬度”"),
    ("hazard: found 'tsunami'; expected one of ['flood', 'earthquake']", "“灾种”的取值 tsunami 无效，请从列表中选择"),
    ("adcode: found 'abc'; expected a 6-digit adcode string such as '130200'",
     "“行政区划代码”的取值 abc 无效，应为 6 位行政区划代码（如 130200）"),
    ("weights: found {'flood': 0}; expected at least one weight > 0", "“权重”的取值无效，应为大于 0 的数"),
    ("nothing to gain: no candidate reaches uncovered demand", "请检查输入的参数后重试"),
    ("point.geojson: found no Polygon or MultiPolygon; expected a GeoJSON polygon in WGS-84 lon/lat",
     "文件“point.geojson”中没有多边形，请换一个文件"),
])
def test_err001_layers_messages_in_plain_chinese(detail, wanted):
    text = zh_detail(detail)
    assert text == wanted
    assert not ASCII_WORD.search(re.sub(r"tsunami|abc|point\.geojson", "", text))


def test_err002_user_message_wording_by_language():
    exc = ValueError("hours: found -3; expected a number in 0.0..240.0")
    assert user_message(exc, "zh") == "输入无效：“时间标准（小时）”的取值 -3 无效，应为 0 到 240 之间的数"
    assert user_message(exc, "en") == "Invalid input: hours: found -3; expected a number in 0.0..240.0"
