"""Cartography kit of the report's print maps (``figures``): a local projection fitted to a
frame, H3 cells and outlines as compact SVG paths, point symbols, greedy label placement, the
legend panel, scale bar and north arrow. SVG text only (no plotting library).

Projection: Lambert azimuthal equal-area on the centre of the unit's extent, so a scale bar
is true (scale error < 0.1 % within 400 km of the centre). Paths: coordinates rounded to
0.1 viewBox unit, written relative, repeated and collinear points dropped; cells dissolved
per class with ``h3.cells_to_h3shape`` (no seams between neighbours).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import h3
import numpy as np
import pyproj
import shapely

from layers.report.svg import INK, MUTED, SIZE_SMALL, SIZE_TEXT, nice_floor, text, text_width, wrap

__all__ = ["Frame", "Label", "Legend", "cells_path", "geometry_path", "label_box", "make_frame", "north_arrow",
           "note_box", "place_labels", "ring_path", "scale_bar", "symbol"]

#: Share of the unit's extent added around it; bounds of a frame's height (viewBox units).
MARGIN = 0.04
MIN_FRAME_H, MAX_FRAME_H = 260.0, 560.0
LABEL_SIZE = 11.0


# --- projection and frame ---------------------------------------------------------------------

@lru_cache(maxsize=32)
def _transformer(crs: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)


@dataclass(frozen=True)
class Frame:
    """The map frame: a box of the figure (viewBox units) showing a local projection.

    ``crs`` is a PROJ string (Lambert azimuthal equal-area on the unit's centre), ``scale``
    viewBox units per projected metre, ``cx``/``cy`` the projected point at the box centre.
    """

    left: float
    top: float
    width: float
    height: float
    crs: str
    scale: float
    cx: float
    cy: float

    @property
    def box(self) -> tuple[float, float, float, float]:
        return (self.left, self.top, self.left + self.width, self.top + self.height)

    def project(self, lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
        """Projected metres of lon/lat (arrays)."""
        return _transformer(self.crs).transform(np.asarray(lon, float), np.asarray(lat, float))

    def px(self, lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
        """Figure coordinates (viewBox units, y down) of lon/lat (arrays)."""
        x, y = self.project(lon, lat)
        return (self.left + self.width / 2 + (np.asarray(x) - self.cx) * self.scale,
                self.top + self.height / 2 - (np.asarray(y) - self.cy) * self.scale)

    def contains(self, x: np.ndarray, y: np.ndarray, inset: float = 0.0) -> np.ndarray:
        x0, y0, x1, y1 = self.box
        return (x >= x0 + inset) & (x <= x1 - inset) & (y >= y0 + inset) & (y <= y1 - inset)


def make_frame(geometry: Any, left: float, top: float, width: float,
               min_height: float = MIN_FRAME_H, max_height: float = MAX_FRAME_H) -> Frame:
    """A frame ``width`` wide fitting ``geometry`` (lon/lat) with a margin; its height follows
    the shape's aspect within [min_height, max_height] (the extent grows to fill the box)."""
    w, s, e, n = geometry.bounds
    lon0, lat0 = (w + e) / 2, (s + n) / 2
    crs = f"+proj=laea +lat_0={lat0:.6f} +lon_0={lon0:.6f} +datum=WGS84 +units=m +no_defs"
    tr = _transformer(crs)
    xy = shapely.get_coordinates(geometry)
    x, y = tr.transform(xy[:, 0], xy[:, 1])
    x0, x1, y0, y1 = float(np.min(x)), float(np.max(x)), float(np.min(y)), float(np.max(y))
    ew = max(x1 - x0, 1.0) * (1 + 2 * MARGIN)
    eh = max(y1 - y0, 1.0) * (1 + 2 * MARGIN)
    scale = width / ew
    height = eh * scale
    if height > max_height:
        scale, height = max_height / eh, max_height
    height = max(height, min_height)
    return Frame(left, top, width, height, crs, scale, (x0 + x1) / 2, (y0 + y1) / 2)


# --- paths ------------------------------------------------------------------------------------

_LOOKUP_SPAN = 20000


def _num(n: int) -> str:
    """An integer number of tenths as the shortest decimal text (12 -> 1.2, -4 -> -.4)."""
    if n % 10 == 0:
        return str(n // 10)
    a = abs(n)
    return ("-" if n < 0 else "") + (f"{a // 10}" if a >= 10 else "") + f".{a % 10}"


_NUMS = [_num(n) for n in range(-_LOOKUP_SPAN, _LOOKUP_SPAN + 1)]


def _n(v: int) -> str:
    return _NUMS[v + _LOOKUP_SPAN] if -_LOOKUP_SPAN <= v <= _LOOKUP_SPAN else _num(v)


def ring_path(xy: np.ndarray) -> str:
    """Path data of a closed ring (figure coordinates): rounded to 0.1, relative, repeated and
    collinear points dropped; empty when fewer than 3 distinct points remain."""
    q = np.round(np.asarray(xy, float) * 10).astype(np.int64)
    if len(q) < 3:
        return ""
    q = q[np.any(q != np.roll(q, 1, axis=0), axis=1)]
    if len(q) < 3:
        return ""
    a = q - np.roll(q, 1, axis=0)
    b = np.roll(q, -1, axis=0) - q
    q = q[a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0] != 0]
    if len(q) < 3:
        return ""
    d = np.diff(q, axis=0).ravel().tolist()
    return f"M{_n(int(q[0, 0]))} {_n(int(q[0, 1]))}l" + " ".join(map(_n, d)) + "z"


def _rings_path(frame: Frame, rings: list[np.ndarray]) -> str:
    """Path data of lon/lat rings (each an (n, 2) array of lon, lat), projected at once."""
    rings = [r for r in rings if len(r) >= 3]
    if not rings:
        return ""
    allpts = np.concatenate(rings)
    x, y = frame.px(allpts[:, 0], allpts[:, 1])
    xy = np.column_stack([x, y])
    cuts = np.cumsum([len(r) for r in rings])[:-1]
    return "".join(ring_path(part) for part in np.split(xy, cuts))


def cells_path(frame: Frame, cells: Any) -> str:
    """Path data of H3 cells (strings) dissolved into polygons with holes (evenodd fill)."""
    cells = (cells.to_numpy(dtype=object) if hasattr(cells, "to_numpy") else np.asarray(cells, dtype=object)).tolist()
    if not cells:
        return ""
    multi = h3.cells_to_h3shape(cells, tight=False)
    rings: list[np.ndarray] = []
    for poly in multi.polys:
        for ring in (poly.outer, *poly.holes):
            rings.append(np.asarray(ring, float)[:, ::-1])  # (lat, lng) -> (lon, lat)
    return _rings_path(frame, rings)


def geometry_path(frame: Frame, geometry: Any) -> str:
    """Path data of a lon/lat shapely (multi)polygon's rings."""
    parts = shapely.get_parts(geometry)
    rings = shapely.get_rings(parts[shapely.get_type_id(parts) == 3]) if len(parts) else []
    return _rings_path(frame, [shapely.get_coordinates(r) for r in rings])


# --- symbols ----------------------------------------------------------------------------------

def symbol(kind: str, x: float, y: float, r: float, fill: str, extra: str = "") -> str:
    """A point symbol centred on (x, y), about 2r wide, white-edged."""
    edge = f'stroke="#ffffff" stroke-width="{max(r * 0.22, 0.5):.1f}" stroke-linejoin="round"'
    if kind == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r * 0.9:.2f}" fill="{fill}" {edge}{extra}/>'
    if kind == "ring":
        return (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r * 0.8:.2f}" fill="#ffffff" stroke="{fill}" '
                f'stroke-width="{r * 0.35:.1f}"{extra}/>')
    if kind == "dot":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.2f}" fill="{fill}" fill-opacity="0.75"{extra}/>'
    if kind == "square":
        pts = [(-0.85, -0.85), (0.85, -0.85), (0.85, 0.85), (-0.85, 0.85)]
    elif kind == "diamond":
        pts = [(0, -1.2), (1.05, 0), (0, 1.2), (-1.05, 0)]
    elif kind == "triangle":
        pts = [(0, -1.2), (1.1, 0.8), (-1.1, 0.8)]
    elif kind == "star":
        pts = [((1.35 if i % 2 == 0 else 0.58) * math.sin(i * math.pi / 5),
                -(1.35 if i % 2 == 0 else 0.58) * math.cos(i * math.pi / 5)) for i in range(10)]
    elif kind == "plus":
        a, b = 0.35, 1.0
        pts = [(-a, -b), (a, -b), (a, -a), (b, -a), (b, a), (a, a), (a, b), (-a, b), (-a, a), (-b, a), (-b, -a),
               (-a, -a)]
    else:
        raise ValueError(f"symbol: found {kind!r}; expected one of circle, ring, dot, square, diamond, "
                         "triangle, star, plus")
    d = "M" + "L".join(f"{x + u * r:.1f} {y + v * r:.1f}" for u, v in pts) + "Z"
    return f'<path d="{d}" fill="{fill}" {edge}{extra}/>'


# --- labels -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Label:
    """A placed label: centre ``x``, baseline ``y``, font ``size`` and its box (x0, y0, x1, y1)."""

    text: str
    x: float
    y: float
    size: float
    box: tuple[float, float, float, float]


def label_box(content: str, cx: float, cy: float, size: float, pad: float = 1.5) -> tuple[float, float, float, float]:
    """The estimated box of ``content`` centred on (cx, cy), with ``pad`` for the halo."""
    w = text_width(content, size)
    return (cx - w / 2 - pad, cy - 0.6 * size - pad, cx + w / 2 + pad, cy + 0.6 * size + pad)


def _overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _candidates(w: float, size: float) -> list[tuple[float, float]]:
    """Offsets to try, nearest first: the point, then above/below/right/left/diagonals, farther."""
    out = [(0.0, 0.0)]
    for k in (1, 2, 3):
        dy, dx = 1.25 * size * k, (w / 2 + 0.4 * size) * k
        out += [(0, -dy), (0, dy), (dx, 0), (-dx, 0), (dx, -dy), (-dx, -dy), (dx, dy), (-dx, dy)]
    return out


def place_labels(items: list[tuple[str, float, float]], bounds: tuple[float, float, float, float],
                 obstacles: list[tuple[float, float, float, float]] = (),
                 soft: list[tuple[float, float, float, float]] = (), size: float = LABEL_SIZE
                 ) -> tuple[list[Label], list[str]]:
    """Greedy label placement: each label (in the order given) takes the first candidate
    position fully inside ``bounds`` that overlaps no placed label and no ``obstacles``,
    preferring positions covering fewer ``soft`` boxes (symbols); a label that fits nowhere
    is skipped.

    Returns
    -------
    (placed labels, texts skipped)
    """
    placed: list[Label] = []
    skipped: list[str] = []
    bx0, by0, bx1, by1 = bounds
    for content, x, y in items:
        best: tuple[int, int, tuple] | None = None
        for rank, (dx, dy) in enumerate(_candidates(text_width(content, size), size)):
            box = label_box(content, x + dx, y + dy, size)
            if box[0] < bx0 or box[1] < by0 or box[2] > bx1 or box[3] > by1:
                continue
            if any(_overlaps(box, o) for o in obstacles) or any(_overlaps(box, p.box) for p in placed):
                continue
            cost = sum(_overlaps(box, s) for s in soft)
            if best is None or cost < best[0]:
                best = (cost, rank, (x + dx, y + dy, box))
                if cost == 0:
                    break
        if best is None:
            skipped.append(content)
            continue
        cx, cy, box = best[2]
        placed.append(Label(content, cx, cy + 0.35 * size, size, box))
    return placed, skipped


# --- legend -----------------------------------------------------------------------------------

@dataclass
class Legend:
    """A legend panel drawn top-down; ``parts`` are SVG elements, ``y`` the next free line."""

    x: float
    y: float
    width: float
    parts: list[str] = field(default_factory=list)
    top: float = 0.0

    def __post_init__(self) -> None:
        self.top = self.y
        self.y += 6

    def _label(self, x: float, content: str, size: float = SIZE_TEXT, **kw: Any) -> float:
        lines = wrap(content, size, self.x + self.width - 6 - x)
        for i, line in enumerate(lines):
            self.parts.append(text(x, self.y + size * (0.95 + 1.25 * i), line, size, **kw))
        return max(len(lines) * 1.25 * size, 12.0)

    def heading(self, content: str) -> None:
        self.y += 2
        self.y += self._label(self.x + 6, content, SIZE_TEXT, weight="bold") + 2

    def swatch(self, fill: str, content: str, key: str = "", stroke: str = "#999999") -> None:
        self.parts.append(f'<rect class="swatch" x="{self.x + 6:.1f}" y="{self.y + 1:.1f}" width="16" height="10" '
                          f'fill="{fill}" stroke="{stroke}" stroke-width="0.6"{key}/>')
        self.y += self._label(self.x + 27, content, cls="legend-item") + 2

    def mark(self, drawing: str, content: str) -> None:
        self.parts.append(drawing)
        self.y += self._label(self.x + 27, content, cls="legend-item") + 2

    def line(self, colour: str, width: float, content: str, dash: str = "") -> None:
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(f'<line x1="{self.x + 6:.1f}" y1="{self.y + 6:.1f}" x2="{self.x + 22:.1f}" '
                          f'y2="{self.y + 6:.1f}" stroke="{colour}" stroke-width="{width:g}"{dashed}/>')
        self.y += self._label(self.x + 27, content, cls="legend-item") + 2

    def note(self, content: str, fill: str = MUTED) -> None:
        self.y += 2
        self.y += self._label(self.x + 6, content, SIZE_SMALL, fill=fill, cls="legend-note") + 2

    def svg(self) -> str:
        h = self.y + 4 - self.top
        box = (f'<rect x="{self.x:.1f}" y="{self.top:.1f}" width="{self.width:.1f}" height="{h:.1f}" '
               f'fill="#ffffff" stroke="#bbbbbb" stroke-width="0.6"/>')
        return '<g class="legend">' + box + "".join(self.parts) + "</g>"

    @property
    def bottom(self) -> float:
        return self.y + 4


def scale_bar(frame: Frame) -> tuple[str, tuple[float, float, float, float]]:
    """A two-segment scale bar of a round length (1/2/5 x 10^n km) at the frame's bottom left."""
    km = nice_floor(0.22 * frame.width / frame.scale / 1000.0)
    length = km * 1000.0 * frame.scale
    x0, y0 = frame.left + 10, frame.top + frame.height - 12
    half = length / 2
    label = f"{km:g} km" if km >= 1 else f"{km * 1000:g} m"
    svg = (f'<g class="scalebar" data-km="{km:g}" data-length="{length:.3f}">'
           f'<rect x="{x0 - 4:.1f}" y="{y0 - 15:.1f}" width="{length + 8 + text_width(label, SIZE_SMALL) / 2:.1f}" '
           f'height="23" fill="#ffffff" fill-opacity="0.8"/>'
           f'<rect class="bar" x="{x0:.2f}" y="{y0:.1f}" width="{half:.3f}" height="4" fill="{INK}"/>'
           f'<rect class="bar" x="{x0 + half:.2f}" y="{y0:.1f}" width="{half:.3f}" height="4" fill="#ffffff" '
           f'stroke="{INK}" stroke-width="0.6"/>'
           f'<rect x="{x0:.2f}" y="{y0:.1f}" width="{length:.3f}" height="4" fill="none" stroke="{INK}" '
           f'stroke-width="0.6"/>'
           + text(x0, y0 - 3, "0", SIZE_SMALL, anchor="middle")
           + text(x0 + length, y0 - 3, label, SIZE_SMALL, anchor="middle") + "</g>")
    box = (x0 - 4, y0 - 15, x0 + length + 4 + text_width(label, SIZE_SMALL) / 2, y0 + 8)
    return svg, box


def north_arrow(frame: Frame, label: str) -> tuple[str, tuple[float, float, float, float]]:
    """A north arrow with ``label`` at the frame's top right (north is up on the centre meridian)."""
    x, y = frame.left + frame.width - 16, frame.top + 8
    svg = (f'<g class="north"><path d="M{x:.1f} {y + 8:.1f}l6 18l-6 -5l-6 5z" fill="{INK}"/>'
           + text(x, y + 6, label, SIZE_TEXT, anchor="middle", weight="bold") + "</g>")
    return svg, (x - 9, y - 4, x + 9, y + 28)


def note_box(frame: Frame, content: str) -> tuple[str, tuple[float, float, float, float]]:
    """A boxed note at the top centre of the frame."""
    w = text_width(content, SIZE_TEXT) + 16
    x, y = frame.left + frame.width / 2, frame.top + 10
    box = (x - w / 2, y, x + w / 2, y + 20)
    svg = (f'<g class="map-note"><rect x="{box[0]:.1f}" y="{y:.1f}" width="{w:.1f}" height="20" fill="#ffffff" '
           f'stroke="{MUTED}" stroke-width="0.6"/>' + text(x, y + 14, content, SIZE_TEXT, anchor="middle")
           + "</g>")
    return svg, box
