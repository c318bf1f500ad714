"""Print maps of a coverage-gap report as SVG text: the hazard-class map and the gap map of one
hazard (pure functions of a ``Report``; no store access, no plotting library).

Layout: a title line (with a "synthetic data" tag when the layer or facilities are synthetic),
the map frame on the left (cells clipped to the unit, boundaries, facilities, child names
placed without overlaps, scale bar, north arrow) and the legend panel on the right. The figure
is 680 viewBox units (170 mm) wide and as tall as the unit's shape needs. Projection, paths,
symbols and label placement: ``layers.report.cartography``.
The module is long (~420 lines) because each figure is a sequence of drawing steps over one
frame (outline, classes, facilities, labels, legend); the shared drawing primitives live in
``cartography`` and ``svg``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

from layers.map.colours import TIER_COLOURS, hazard_palette
from layers.report.cartography import (
    MIN_FRAME_H,
    Frame,
    Legend,
    cells_path,
    geometry_path,
    make_frame,
    north_arrow,
    note_box,
    place_labels,
    scale_bar,
    symbol,
)
from layers.report.labels import term
from layers.report.model import Report, ReportError
from layers.report.wording import units_text
from layers.report.svg import (
    GRID,
    INK,
    MM_PER_UNIT,
    SIZE_TEXT,
    SIZE_TITLE,
    WIDTH,
    attr,
    check_lang,
    document,
    slug,
    text,
)

__all__ = ["gap_map_svg", "hazard_map_svg", "hours_bin"]

LEGEND_W = 169.0
PANEL_GAP = 8.0
FRAME_W = WIDTH - LEGEND_W - PANEL_GAP
TITLE_H = 20.0
#: Printed height a map may take at most, by default (mm).
MAX_HEIGHT_MM = 130.0
#: First-batch hours bins of the gap map (upper edges; the last bin is open) and colours
#: (ColorBrewer YlGnBu without its palest step, light = fast).
HOURS_EDGES = (1.0, 2.0, 4.0, 6.0, 8.0)
HOURS_COLOURS = ("#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#0c2c84")
NONE_COLOUR = "#525252"
GAP_COLOUR = "#d7301f"
PARK_COLOUR = "#7b3294"
ENTERPRISE_COLOUR = "#8c8c8c"
UNIT_LINE, CHILD_LINE = ("#333333", 1.3), ("#7a7a7a", 0.6)
#: Reserve tiers from bottom to top of the drawing, and their symbols.
TIER_DRAW_ORDER = ("enterprise", "rescue", "county", "municipal", "provincial", "national")
TIER_SYMBOLS = {"national": "star", "provincial": "diamond", "municipal": "triangle", "county": "square",
                "rescue": "circle", "enterprise": "plus"}

_TEXT = {
    "hazard_title": ("{name} {hazard}灾害等级", "{name}: {hazard} hazard class"),
    "gap_title": ("{name} {hazard}风险区第一批物资到达时间与覆盖缺口",
                  "{name}: first-batch arrival and coverage gaps, {hazard} at-risk areas"),
    "synthetic": ("合成数据", "Synthetic data"),
    "no_risk": ("无风险区", "No at-risk cells"),
    "no_data": ("无灾害数据", "No hazard data"),
    "class_head": ("{hazard}灾害等级（{units}）", "{hazard} hazard class ({units})"),
    "class_k": ("等级 {k}", "Class {k}"),
    "at_risk": ("风险区：等级 ≥ {k}", "At risk: class ≥ {k}"),
    "hours_head": ("第一批物资到达时间", "First-batch arrival"),
    "none": ("各层级均未在标准内到达", "No tier within its standard"),
    "gap": ("超过县级标准 {std} 小时（缺口）", "Beyond the county standard of {std} h (gap)"),
    "facilities": ("设施", "Facilities"),
    "bounds": ("边界", "Boundaries"),
    "unit_line": ("本行政区", "This unit"),
    "child_line": ("下级行政区", "Child units"),
    "outside": ("另有 {n} 个服务本区的储备库在图外", "{n} serving depot(s) outside the map"),
    "north": ("北", "N"),
}
_HOURS_LABELS = [("< 1 小时", "< 1 h"), ("1–2 小时", "1–2 h"), ("2–4 小时", "2–4 h"), ("4–6 小时", "4–6 h"),
                 ("6–8 小时", "6–8 h"), ("≥ 8 小时", "≥ 8 h")]


def _say(key: str, lang: str, **kw: Any) -> str:
    return _TEXT[key][check_lang(lang)].format(**kw)


def _unit_geometry(report: Report) -> Any:
    """The unit's outline (shapely), or the hull of everything mapped when it is missing."""
    out = report.maps.get("outlines")
    if out is not None and len(out):
        rows = out[out["role"] == "unit"]
        geoms = [shape(g) for g in (rows if len(rows) else out)["geometry"] if g]
        if geoms:
            return shapely.union_all(geoms)
    pts = [np.column_stack([report.maps[k]["lon"].to_numpy(float), report.maps[k]["lat"].to_numpy(float)])
           for k in ("cells", "facilities") if k in report.maps and len(report.maps[k])]
    if not pts:
        raise ReportError(f"maps: found no outline, cell or facility of {report.adcode}; expected an outline")
    return shapely.multipoints(np.concatenate(pts)).envelope.buffer(0.01)


def _facility_style(kind: str, category: Any) -> tuple[str, str, float]:
    """(symbol, colour, radius) of a facility."""
    if kind == "reserve":
        tier = str(category)
        return TIER_SYMBOLS.get(tier, "circle"), TIER_COLOURS.get(tier, "#444444"), 4.6 if tier == "national" else 4.0
    if kind == "park":
        return "ring", PARK_COLOUR, 4.0
    return "dot", ENTERPRISE_COLOUR, 1.1


# --- common map parts -------------------------------------------------------------------------

def _hazard_entry(report: Report, hazard: str) -> dict[str, Any]:
    for h in report.cover["hazards"]:
        if h["hazard"] == hazard:
            return h
    raise ReportError(f"hazard: found {hazard!r:.40}; expected one of the report's hazards "
                      f"({', '.join(report.hazards)})")


def _hazard_name(entry: dict[str, Any], lang: str) -> str:
    return entry["zh"] if check_lang(lang) == 0 else entry["en"].lower()


def _outline_parts(frame: Frame, outlines: pd.DataFrame) -> tuple[str, list[tuple[str, float, float, float]], str]:
    """Boundary paths (children thin, the unit on top), label candidates of the children
    (name, x, y, lon/lat area), largest first, and the unit's path data (to clip cells)."""
    if outlines is None or outlines.empty:
        return "", [], ""
    children, unit, items = [], [], []
    for row in outlines.itertuples(index=False):
        if not row.geometry:
            continue
        geom = shape(row.geometry)
        d = geometry_path(frame, geom)
        if row.role == "unit":
            unit.append(d)
        else:
            children.append(d)
            x, y = frame.px([row.lon], [row.lat])
            items.append((str(row.name), float(x[0]), float(y[0]), float(geom.area)))
    items.sort(key=lambda t: -t[3])
    svg = ""
    if children:
        svg += (f'<path class="outline child" d="{"".join(children)}" fill="none" stroke="{CHILD_LINE[0]}" '
                f'stroke-width="{CHILD_LINE[1]}" stroke-linejoin="round"/>')
    if unit:
        svg += (f'<path class="outline unit" d="{"".join(unit)}" fill="none" stroke="{UNIT_LINE[0]}" '
                f'stroke-width="{UNIT_LINE[1]}" stroke-linejoin="round"/>')
    return svg, items, "".join(unit)


def _facilities(frame: Frame, report: Report, kinds: tuple[str, ...]) -> tuple[pd.DataFrame, int]:
    """Facilities of ``kinds`` inside the frame with figure x/y, in drawing order; and the
    number of serving reserves outside the frame."""
    fac = report.maps.get("facilities")
    if fac is None or fac.empty:
        return pd.DataFrame(columns=["kind", "id", "category", "x", "y"]), 0
    fac = fac[fac["kind"].isin(kinds) & fac["lon"].notna() & fac["lat"].notna()]
    x, y = frame.px(fac["lon"].to_numpy(float), fac["lat"].to_numpy(float))
    inside = frame.contains(x, y, inset=6.0)
    outside = int((~inside & fac["serves"].fillna(False).to_numpy(bool)).sum())
    drawn = fac.assign(x=x, y=y)[inside]
    kind_rank = drawn["kind"].map({"enterprise": 0, "park": 1, "reserve": 2}).to_numpy()
    tier_rank = drawn["category"].map({t: i for i, t in enumerate(TIER_DRAW_ORDER)}).fillna(-1).to_numpy()
    order = np.lexsort((drawn["id"].astype(str).to_numpy(), tier_rank, kind_rank))
    return drawn.iloc[order].reset_index(drop=True), outside


def _facility_svg(drawn: pd.DataFrame) -> tuple[str, list[tuple[float, float, float, float]]]:
    """Symbols of the drawn facilities and their boxes (soft label obstacles, not enterprises)."""
    parts, boxes = [], []
    for kind, fid, cat, x, y in zip(drawn["kind"], drawn["id"], drawn["category"], drawn["x"], drawn["y"]):
        sym, colour, r = _facility_style(kind, cat)
        tier = f" {slug(cat)}" if kind == "reserve" else ""
        parts.append(symbol(sym, float(x), float(y), r, colour, f' class="fac {kind}{tier}" data-id={attr(fid)}'))
        if kind != "enterprise":
            boxes.append((x - r, y - r, x + r, y + r))
    return '<g class="facilities">' + "".join(parts) + "</g>", boxes


def _facility_legend(legend: Legend, drawn: pd.DataFrame, lang: str) -> None:
    if drawn.empty:
        return
    legend.heading(_say("facilities", lang))
    tiers = set(drawn.loc[drawn["kind"] == "reserve", "category"].astype(str))
    for tier in reversed(TIER_DRAW_ORDER):
        if tier in tiers:
            sym, colour, r = _facility_style("reserve", tier)
            legend.mark(symbol(sym, legend.x + 14, legend.y + 6, r, colour), term("tier", tier, lang))
    for kind in ("park", "enterprise"):
        if (drawn["kind"] == kind).any():
            sym, colour, r = _facility_style(kind, None)
            legend.mark(symbol(sym, legend.x + 14, legend.y + 6, max(r, 2.0), colour), term("kind", kind, lang))


def _compose(report: Report, hazard: str, lang: str, title: str, frame: Frame, layers: str,
             drawn: pd.DataFrame, legend: Legend, note: str | None, outside: int, figure: str,
             synthetic: bool, show_title: bool) -> str:
    """Assemble a map: title line, frame (layers, outlines, facilities, labels, scale, north)
    and legend; the figure's height is the taller of frame and legend."""
    outlines, items, unit_d = _outline_parts(frame, report.maps.get("outlines"))
    if unit_d:  # hexagons whose centre is inside reach past the outline: clip them to it
        clip = f"clip-{figure}-{slug(report.adcode, hazard, lang)}"
        layers = (f'<clipPath id="{clip}"><path d="{unit_d}" clip-rule="evenodd"/></clipPath>'
                  f'<g clip-path="url(#{clip})">{layers}</g>')
    fac_svg, soft = _facility_svg(drawn)
    bar, bar_box = scale_bar(frame)
    north, north_box = north_arrow(frame, _say("north", lang))
    obstacles = [bar_box, north_box]
    note_svg = ""
    if note:
        note_svg, box = note_box(frame, note)
        obstacles.append(box)
    inset = 2.0
    bounds = (frame.left + inset, frame.top + inset, frame.left + frame.width - inset, frame.top + frame.height - inset)
    labels, _ = place_labels([(n, x, y) for n, x, y, _ in items], bounds, obstacles, soft)
    label_svg = "".join(text(lab.x, lab.y, lab.text, lab.size, anchor="middle", halo=True, cls="label")
                        for lab in labels)
    if outside:
        legend.note(_say("outside", lang, n=outside))
    height = max(frame.top + frame.height, legend.bottom) + 2
    x0, y0, x1, y1 = frame.box
    crs = (f' data-crs={attr(frame.crs)} data-scale="{frame.scale:.9g}" data-cx="{frame.cx:.3f}" '
           f'data-cy="{frame.cy:.3f}"')
    head = text(0, 14, title, SIZE_TITLE, weight="bold", cls="title") if show_title else ""
    if synthetic:
        head += text(WIDTH, 14, _say("synthetic", lang), SIZE_TEXT, anchor="end", fill="#b2182b", cls="synthetic")
    body = (head + f'<g class="map"{crs}><rect class="frame" x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" '
            f'height="{y1 - y0:.1f}" fill="#ffffff" stroke="{GRID}" stroke-width="0.8"/>'
            + layers + outlines + fac_svg + label_svg + note_svg + bar + north
            + f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" fill="none" '
              f'stroke="#888888" stroke-width="0.8"/></g>' + legend.svg())
    return document(WIDTH, height, body, title, f"{figure}-{slug(report.adcode, hazard, lang)}")


def _boundary_legend(legend: Legend, report: Report, lang: str) -> None:
    legend.heading(_say("bounds", lang))
    legend.line(*UNIT_LINE, _say("unit_line", lang))
    outlines = report.maps.get("outlines")
    if outlines is not None and (outlines["role"] == "child").any():
        legend.line(*CHILD_LINE, _say("child_line", lang))


def _start(report: Report, hazard: str, lang: str, kinds: tuple[str, ...], show_title: bool,
           max_height_mm: float) -> tuple[dict[str, Any], Frame, Legend, bool]:
    """The hazard's cover entry, the frame, an empty legend, and whether the data shown is
    synthetic (the hazard layer or any facility of ``kinds``); the title line is dropped when
    there is neither a title nor a synthetic tag to show."""
    check_lang(lang)
    entry = _hazard_entry(report, hazard)
    if not 80 <= max_height_mm <= 400:
        raise ValueError(f"max_height_mm: found {max_height_mm!r}; expected 80..400 (mm)")
    fac = report.maps.get("facilities")
    synthetic = bool(entry.get("synthetic")) or bool(
        fac is not None and len(fac) and fac.loc[fac["kind"].isin(kinds), "synthetic"].fillna(False).astype(bool).any())
    top = TITLE_H if show_title or synthetic else 2.0
    frame = make_frame(_unit_geometry(report), 0.0, top, FRAME_W,
                       max_height=max(max_height_mm / MM_PER_UNIT - top - 2, MIN_FRAME_H))
    legend = Legend(frame.left + frame.width + PANEL_GAP, top, LEGEND_W - 1.0)
    return entry, frame, legend, synthetic


def _at_risk(report: Report, hazard: str) -> pd.DataFrame:
    cells = report.maps.get("cells")
    if cells is None or cells.empty:
        return pd.DataFrame(columns=["cell", "first_batch_hours", "gap"])
    return cells[cells["hazard"] == hazard]


# --- the maps ---------------------------------------------------------------------------------

def class_labels(entry: dict[str, Any], classes: list[int], lang: str) -> dict[int, str]:
    """Legend text of each hazard class: ``k · label`` from the layer's labels when the cover
    holds them, else ``Class k`` (with the threshold label at the at-risk class)."""
    labels = entry.get("labels")
    out = {}
    for k in classes:
        if labels and 0 <= k < len(labels):
            out[k] = f"{k} · {labels[k]}"
        else:
            out[k] = _say("class_k", lang, k=k)
            if k == entry.get("min_class") and entry.get("class_label"):
                out[k] += f" · {entry['class_label']}"
    return out


def hazard_map_svg(report: Report, hazard: str, lang: str = "zh", *, title: bool = True,
                   max_height_mm: float = MAX_HEIGHT_MM) -> str:
    """The hazard-class map of one hazard: every cell of the unit with data coloured by class
    (the app's palette), reserves by tier, parks and enterprises, boundaries, child names,
    legend, scale bar and north arrow.

    Parameters
    ----------
    report
        A built ``Report``.
    hazard
        One of ``report.hazards``.
    lang
        'zh' or 'en'.
    title
        Draw the title line (off when the page captions the figure; the "synthetic data"
        tag stays).
    max_height_mm
        Printed height the figure may take at most (default 130 mm); a tall unit gets a
        smaller scale, never a taller figure.

    Returns
    -------
    str
        A complete ``<svg>`` element, 170 mm wide.

    Raises
    ------
    ReportError
        ``hazard`` is not one of the report's; ValueError for a bad ``lang``.
    """
    entry, frame, legend, synthetic = _start(report, hazard, lang, ("reserve", "park", "enterprise"), title,
                                             max_height_mm)
    hc = report.maps.get("hazard_cells")
    hc = hc[hc["hazard"] == hazard] if hc is not None and len(hc) else pd.DataFrame(columns=["cell", "hazard_class"])
    classes = sorted(int(k) for k in hc["hazard_class"].unique())
    n = len(entry["labels"]) if entry.get("labels") else max([*classes, int(entry.get("min_class") or 0)]) + 1
    palette = hazard_palette(hazard, n)
    colour = {k: palette[min(max(k, 0), n - 1)] for k in classes}
    layers = []
    ids, cls = hc["cell"].to_numpy(dtype=object), hc["hazard_class"].to_numpy()
    for k in classes:
        d = cells_path(frame, ids[cls == k])
        layers.append(f'<path class="cells class-{k}" d="{d}" fill="{colour[k]}" stroke="{colour[k]}" '
                      f'stroke-width="0.5" stroke-linejoin="round" fill-rule="evenodd"/>')
    drawn, outside = _facilities(frame, report, ("reserve", "park", "enterprise"))
    name = _hazard_name(entry, lang)
    legend.heading(_say("class_head", lang, hazard=entry["zh"] if lang == "zh" else entry["en"],
                        units=units_text(entry.get("units"), lang) or "—"))
    texts = class_labels(entry, classes, lang)
    for k in classes:
        legend.swatch(colour[k], texts[k], f' data-class="{k}"')
    if entry.get("min_class") is not None:
        legend.note(_say("at_risk", lang, k=entry["min_class"]), INK)
    note = None
    if hc.empty:
        note = _say("no_data", lang)
    elif _at_risk(report, hazard).empty:
        note = _say("no_risk", lang)
    if note:
        legend.note(note, INK)
    _facility_legend(legend, drawn, lang)
    _boundary_legend(legend, report, lang)
    heading = _say("hazard_title", lang, name=report.name, hazard=name)
    return _compose(report, hazard, lang, heading, frame, '<g class="cells">' + "".join(layers) + "</g>", drawn,
                    legend, note, outside, "hazard-map", synthetic, title)


def hours_bin(hours: np.ndarray) -> np.ndarray:
    """Bin of first-batch hours: 0..5 for [0, 1), [1, 2), [2, 4), [4, 6), [6, 8), >= 8 h; -1 for none (NaN)."""
    hours = np.asarray(hours, float)
    out = np.searchsorted(np.asarray(HOURS_EDGES), hours, side="right")
    return np.where(np.isfinite(hours), out, -1)


def gap_map_svg(report: Report, hazard: str, lang: str = "zh", *, title: bool = True,
                max_height_mm: float = MAX_HEIGHT_MM) -> str:
    """The gap map of one hazard: at-risk cells coloured by first-batch hours (< 1, 1-2, 2-4,
    4-6, 6-8, > 8 h; none within any standard), cells beyond the county standard hatched and
    outlined (the gap), reserves by tier, boundaries, child names, legend, scale and north.

    Parameters, returns and errors as ``hazard_map_svg``.
    """
    entry, frame, legend, synthetic = _start(report, hazard, lang, ("reserve",), title, max_height_mm)
    cells = _at_risk(report, hazard)
    bins = hours_bin(cells["first_batch_hours"].to_numpy(float)) if len(cells) else np.array([], int)
    ids = cells["cell"].to_numpy(dtype=object)
    hatch = f"hatch-{slug(report.adcode, hazard, lang)}"
    layers = [f'<defs><pattern id="{hatch}" patternUnits="userSpaceOnUse" width="4.5" height="4.5" '
              f'patternTransform="rotate(45)"><rect width="4.5" height="4.5" fill="none"/>'
              f'<line x1="0" y1="0" x2="0" y2="4.5" stroke="{GAP_COLOUR}" stroke-width="1.5"/></pattern></defs>']
    colours = {**dict(enumerate(HOURS_COLOURS)), -1: NONE_COLOUR}
    for b in [*range(len(HOURS_COLOURS)), -1]:
        if (bins == b).any():
            d = cells_path(frame, ids[bins == b])
            layers.append(f'<path class="cells bin-{b}" d="{d}" fill="{colours[b]}" stroke="{colours[b]}" '
                          f'stroke-width="0.5" stroke-linejoin="round" fill-rule="evenodd"/>')
    gap = cells["gap"].to_numpy(bool) if len(cells) else np.array([], bool)
    if gap.any():
        d = cells_path(frame, ids[gap])
        layers.append(f'<path class="cells gap" d="{d}" fill="url(#{hatch})" stroke="{GAP_COLOUR}" '
                      f'stroke-width="0.9" stroke-linejoin="round" fill-rule="evenodd"/>')
    drawn, outside = _facilities(frame, report, ("reserve",))
    i = check_lang(lang)
    legend.heading(_say("hours_head", lang))
    for b, colour in enumerate(HOURS_COLOURS):
        legend.swatch(colour, _HOURS_LABELS[b][i], f' data-bin="{b}"')
    if (bins == -1).any():
        legend.swatch(NONE_COLOUR, _say("none", lang), ' data-bin="-1"')
    std = report.cover.get("standards", {}).get("hours_by_tier", {}).get("county")
    legend.swatch(f"url(#{hatch})", _say("gap", lang, std=f"{std:g}" if std is not None else "—"), ' data-bin="gap"',
                  GAP_COLOUR)
    note = _say("no_risk", lang) if cells.empty else None
    if note:
        legend.note(note, INK)
    _facility_legend(legend, drawn, lang)
    _boundary_legend(legend, report, lang)
    heading = _say("gap_title", lang, name=report.name, hazard=_hazard_name(entry, lang))
    return _compose(report, hazard, lang, heading, frame, '<g class="cells">' + "".join(layers) + "</g>", drawn,
                    legend, note, outside, "gap-map", synthetic, title)
