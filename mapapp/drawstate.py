"""Shapes drawn with the map's drawing toolbar (measuring lines, measured or event polygons) in
the link: ``draw=l116.4,39.9,116.8,39.6~p116.55,39.75,117.05,39.75,116.8,39.35``.

One shape per ``~``-separated item: ``l`` (line) or ``p`` (polygon, ring without its closing
vertex) and ``lon,lat`` pairs rounded to 4 decimals (about 10 m). ``assets/map.js``
(``drawToUrl``) writes it and refuses (with a message) beyond ``MAX_CHARS``; ``decode`` reads it
when the page is laid out and ``assets/map.js`` (``drawMounted``) puts the shapes back into the
drawing toolbar's layer, so the read-out and the event polygon follow as after drawing.
Anything malformed is ignored as a whole with the reason (never an exception).
"""

from __future__ import annotations

import math
import re
from typing import Any

from mapapp.i18n import t

MAX_CHARS = 1500  # a link stays well below the 2,000 characters every browser and chat tool keeps
MAX_SHAPES = 20
MAX_POINTS = 200  # vertices of one shape
DECIMALS = 4
_SHAPE = re.compile(r"^([lp])(-?\d{1,3}(?:\.\d+)?(?:,-?\d{1,3}(?:\.\d+)?)+)$")


class DrawError(ValueError):
    """A ``draw=`` value that cannot be read; ``str()`` is the reason in the page's language."""


def encode(shapes: list[dict[str, Any]]) -> str:
    """``[{"kind": "line"|"polygon", "points": [[lat, lng], ...]}]`` -> the ``draw=`` value
    (the same format ``assets/map.js`` writes)."""
    items = []
    for shape in shapes:
        items.append(("l" if shape["kind"] == "line" else "p")
                     + ",".join(f"{_num(lng)},{_num(lat)}" for lat, lng in shape["points"]))
    return "~".join(items)


def _num(x: float) -> str:
    """4 decimals without trailing zeros (JavaScript's ``Number(x.toFixed(4)).toString()``)."""
    return f"{x:.{DECIMALS}f}".rstrip("0").rstrip(".")


def decode(value: Any, lang: str) -> list[dict[str, Any]]:
    """The shapes of a ``draw=`` value (``[]`` for none); ``DrawError`` for a malformed one."""
    if value is None or value == "":
        return []
    if not isinstance(value, str) or len(value) > MAX_CHARS:
        raise DrawError(t("draw.why.length", lang, limit=f"{MAX_CHARS:,}"))
    items = value.split("~")
    if len(items) > MAX_SHAPES:
        raise DrawError(t("draw.why.shapes", lang, limit=MAX_SHAPES))
    shapes = []
    for i, item in enumerate(items, 1):
        m = _SHAPE.match(item)
        if not m:
            raise DrawError(t("draw.why.shape", lang, i=i))
        numbers = [float(x) for x in m.group(2).split(",")]
        kind = "line" if m.group(1) == "l" else "polygon"
        n = len(numbers) // 2
        if len(numbers) % 2 or n < (2 if kind == "line" else 3) or n > MAX_POINTS:
            raise DrawError(t("draw.why.points", lang, i=i, limit=MAX_POINTS))
        points = [[numbers[k + 1], numbers[k]] for k in range(0, len(numbers), 2)]
        if not all(math.isfinite(c) for c in numbers) or any(
                not (-85 <= lat <= 85 and -180 <= lng <= 180) for lat, lng in points):
            raise DrawError(t("draw.why.range", lang, i=i))
        shapes.append({"kind": kind, "points": points})
    return shapes


def from_query(value: Any, lang: str) -> tuple[list[dict[str, Any]], str | None]:
    """(the shapes, ``None``) or (``[]``, the message for the page's alert)."""
    try:
        return decode(value, lang), None
    except DrawError as exc:
        return [], t("draw.bad", lang, why=str(exc))
