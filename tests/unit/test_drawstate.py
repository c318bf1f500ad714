"""``draw=`` values (``mapapp.drawstate``): what the encoder writes decodes back; anything else
is refused with a reason naming the shape, never an exception other than ``DrawError``."""

from __future__ import annotations

import re

import pytest

from mapapp import drawstate

CJK = re.compile(r"[\u3400-\u9fff]")


def test_round_trip_rounds_to_four_decimals():
    shapes = [{"kind": "polygon", "points": [[39.75001, 116.55004], [39.75, 117.05], [39.35, 116.8]]},
              {"kind": "line", "points": [[39.9, 116.4], [39.123456, 116.987654]]}]
    value = drawstate.encode(shapes)
    assert value == "p116.55,39.75,117.05,39.75,116.8,39.35~l116.4,39.9,116.9877,39.1235"
    back = drawstate.decode(value, "zh")
    assert [s["kind"] for s in back] == ["polygon", "line"]
    assert back[1]["points"] == [[39.9, 116.4], [39.1235, 116.9877]]
    assert drawstate.encode(back) == value
    assert drawstate.decode("", "zh") == [] and drawstate.decode(None, "zh") == []


@pytest.mark.parametrize(("value", "why"), [
    ("p116.5,39.7,abc", "第 1 个图形格式不对"),
    ("x116.5,39.7,116.6,39.8", "第 1 个图形格式不对"),
    ("l116.5,39.7~p116.5,39.7,116.6,39.7", "第 1 个图形的顶点数不对"),
    ("l116.5,39.7,116.6,39.8~p116.5,39.7,116.6,39.7", "第 2 个图形的顶点数不对"),
    ("l116.5,39.7,116.6", "第 1 个图形的顶点数不对"),
    ("l116.5,95.7,116.6,39.8", "第 1 个图形有坐标超出"),
    ("l999.5,39.7,116.6,39.8", "第 1 个图形有坐标超出"),
    ("l1e5,39.7,116.6,39.8", "第 1 个图形格式不对"),
    ("l116.5,39.7,116.6,39.8;DROP TABLE", "第 1 个图形格式不对"),
    ("~".join(["l1,2,3,4"] * (drawstate.MAX_SHAPES + 1)), "超过 20 个图形"),
    ("l" + ",".join(["116.5,39.7"] * (drawstate.MAX_POINTS + 1)), "超过 1,500 个字符"),
    ("p" + ",".join(["1,2"] * (drawstate.MAX_POINTS + 1)), "第 1 个图形的顶点数不对"),
    (["l1,2,3,4"], "超过 1,500 个字符"),
])
def test_malformed_values_are_refused_with_the_reason(value, why):
    shapes, message = drawstate.from_query(value, "zh")
    assert shapes == [] and message is not None
    assert message.startswith("链接中的绘制图形无法识别，已忽略") and why in message
    _, english = drawstate.from_query(value, "en")
    assert not CJK.search(english)
