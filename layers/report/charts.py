"""Print charts of a coverage-gap report as SVG text: coverage by tier (horizontal bars), the
hours histogram and the chain-gap heatmap (pure functions of a ``Report``; hand-written SVG).
Numbers are printed with the report's rounding (``svg.fmt``: the XLSX number formats).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from layers.map.colours import TIER_COLOURS
from layers.report.labels import header, term
from layers.report.model import Report, ReportError
from layers.report.svg import (
    GRID,
    INK,
    MM_PER_UNIT,
    MUTED,
    SIZE_SMALL,
    SIZE_TEXT,
    SIZE_TITLE,
    WIDTH,
    check_lang,
    document,
    fmt,
    luminance,
    nice_step,
    ramp,
    slug,
    text,
    text_width,
    tick_label,
    wrap,
)

__all__ = ["chain_heatmap_svg", "coverage_chart_svg", "hours_histogram_svg"]

WITHIN_COLOUR, BEYOND_COLOUR, UNREACHED_COLOUR = "#4292c6", "#d7301f", "#525252"
#: Reach share 0 (dark red: no enterprise of the chain in time) .. 1 (pale: fully reached);
#: ColorBrewer YlOrRd reversed.
REACH_RAMP = ["#bd0026", "#f03b20", "#fd8d3c", "#fecc5c", "#ffffb2"]
NAN_COLOUR = "#bdbdbd"
TITLE_H = 22.0

_TEXT = {
    "coverage_title": ("{name} {hazard}风险区分层级标准时间内覆盖率",
                       "{name}: share of the {hazard} at-risk area covered within each tier's standard"),
    "coverage_axis": ("标准时间内覆盖的风险区面积占比", "Share of the at-risk area covered within the standard"),
    "tier_label": ("{tier}（{hours} 小时）", "{tier} ({hours} h)"),
    "tier_hours": ("（{hours} 小时）", "({hours} h)"),
    "hist_title": ("{name} {hazard}风险区县级储备到达时间分布", "{name}: county-reserve hours over the {hazard} at-risk area"),
    "standard": ("县级标准 {hours} 小时", "County standard {hours} h"),
    "unreached": ("无法到达", "Unreachable"),
    "no_risk": ("无风险区", "No at-risk cells"),
    "heat_title": ("产业链时限内可达占比（按城市）", "Share of the at-risk area reached by each chain in time, by city"),
    "heat_legend": ("可达占比", "Share reached"),
    "no_data": ("无数据", "No data"),
    "no_chains": ("无产业链数据", "No chain data"),
}


def _say(key: str, lang: str, **kw: Any) -> str:
    return _TEXT[key][check_lang(lang)].format(**kw)


def _hazard_entry(report: Report, hazard: str) -> dict[str, Any]:
    for h in report.cover["hazards"]:
        if h["hazard"] == hazard:
            return h
    raise ReportError(f"hazard: found {hazard!r:.40}; expected one of the report's hazards "
                      f"({', '.join(report.hazards)})")


def _hazard_name(report: Report, hazard: str, lang: str) -> str:
    entry = _hazard_entry(report, hazard)
    return entry["zh"] if check_lang(lang) == 0 else entry["en"].lower()


def _rows(frame: pd.DataFrame | None, hazard: str) -> pd.DataFrame:
    if frame is None or frame.empty or "hazard" not in frame:
        return pd.DataFrame()
    return frame[frame["hazard"] == hazard].reset_index(drop=True)


def _title(content: str, show: bool, width: float) -> tuple[str, float]:
    """The title (wrapped to ``width``) and the height it takes; nothing when not shown."""
    if not show:
        return "", 4.0
    lines = wrap(content, SIZE_TITLE, width)
    return ("".join(text(0, 14 + 15 * i, line, SIZE_TITLE, weight="bold", cls="title")
                    for i, line in enumerate(lines)), TITLE_H + 15 * (len(lines) - 1))


def _width(width_mm: float) -> float:
    """The viewBox width of a figure ``width_mm`` wide (text keeps its printed size)."""
    if not 60 <= width_mm <= 400:
        raise ValueError(f"width_mm: found {width_mm!r}; expected 60..400 (mm)")
    return width_mm / MM_PER_UNIT


# --- coverage by tier -------------------------------------------------------------------------

def coverage_chart_svg(report: Report, hazard: str, lang: str = "zh", *, title: bool = True,
                       width_mm: float = WIDTH * MM_PER_UNIT) -> str:
    """Horizontal bars: per tier, the share of the at-risk area covered within its standard.

    Rows come from ``report.charts["coverage_by_tier"]`` (county first); a row's label names
    the tier and its standard hours, its value label is the share as the report prints it
    (``100.0%``; ``—`` when there is no at-risk area).

    Parameters
    ----------
    report
        A built ``Report``.
    hazard
        One of ``report.hazards``.
    lang
        'zh' or 'en'.
    title
        Draw a title line (off when the page captions the figure).
    width_mm
        Printed width (default 170 mm, an A4 text column; e.g. 83 for half a column): the
        layout adapts, text keeps its printed size.

    Returns
    -------
    str
        A complete ``<svg>`` element, 170 mm wide.
    """
    name = _hazard_name(report, hazard, lang)
    rows = _rows(report.charts.get("coverage_by_tier"), hazard)
    W = _width(width_mm)
    head, top = _title(_say("coverage_title", lang, name=report.name, hazard=name), title, W)
    labels = [_say("tier_label", lang, tier=term("tier", t, lang), hours=f"{h:g}")
              for t, h in zip(rows.get("tier", []), rows.get("standard_hours", []))]
    left = min(max([text_width(s, SIZE_TEXT) for s in labels] + [60.0]) + 12, 0.36 * W)
    right = W - 48
    # a label too long for a narrow chart: the tier's name (wrapped), then its standard on a line
    lines = [[s] if text_width(s, SIZE_TEXT) <= left - 12 else
             [*wrap(term("tier", t, lang), SIZE_TEXT, left - 12), _say("tier_hours", lang, hours=f"{h:g}")]
             for s, t, h in zip(labels, rows.get("tier", []), rows.get("standard_hours", []))]
    bar_h = 14.0
    row_h = max([24.0] + [12.5 * len(ls) + 9 for ls in lines])
    top += 4
    plot_h = max(len(rows), 1) * row_h
    parts = []
    for v in np.linspace(0, 1, 5):  # grid and ticks
        x = left + v * (right - left)
        parts.append(f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{top + plot_h:.1f}" stroke="{GRID}" '
                     f'stroke-width="0.6"/>')
        parts.append(text(x, top + plot_h + 12, f"{v * 100:.0f}%", SIZE_SMALL, anchor="middle", fill=MUTED,
                          cls="tick"))
    for i, (label, row) in enumerate(zip(lines, rows.itertuples(index=False))):
        y = top + i * row_h + (row_h - bar_h) / 2
        y0 = y + bar_h * 0.8 - 6.25 * (len(label) - 1)
        parts += [text(left - 8, y0 + 12.5 * k, line, SIZE_TEXT, anchor="end", cls="category",
                       extra=f' data-tier="{slug(row.tier)}"') for k, line in enumerate(label)]
        share = float(row.share_covered) if row.share_covered is not None else math.nan
        shown = fmt(row.share_covered, "share_covered", lang)
        width = (right - left) * min(max(share, 0.0), 1.0) if math.isfinite(share) else 0.0
        if math.isfinite(share):
            parts.append(f'<rect class="bar" x="{left:.1f}" y="{y:.1f}" width="{width:.3f}" height="{bar_h:g}" '
                         f'fill="{TIER_COLOURS.get(row.tier, WITHIN_COLOUR)}" data-tier="{slug(row.tier)}" '
                         f'data-value="{share:.9g}"/>')
        parts.append(text(left + width + 4, y + bar_h * 0.8, shown, SIZE_TEXT, cls="value",
                          extra=f' data-tier="{slug(row.tier)}"'))
    if rows.empty:
        parts.append(text((left + right) / 2, top + row_h * 0.65, _say("no_risk", lang), SIZE_TEXT,
                          anchor="middle", cls="note"))
    parts.append(f'<line x1="{left:.1f}" y1="{top:.1f}" x2="{left:.1f}" y2="{top + plot_h:.1f}" stroke="{INK}" '
                 f'stroke-width="0.8"/>')
    axis = wrap(_say("coverage_axis", lang), SIZE_TEXT, W - 8)
    cx = (left + right) / 2
    if max(text_width(a, SIZE_TEXT) for a in axis) / 2 > min(cx, W - cx):  # centred on the plot it would not fit
        cx = W / 2
    parts += [text(cx, top + plot_h + 28 + 12.5 * k, a, SIZE_TEXT, anchor="middle", cls="axis-title")
              for k, a in enumerate(axis)]
    height = top + plot_h + 34 + 12.5 * (len(axis) - 1)
    return document(W, height, head + "".join(parts),
                    _say("coverage_title", lang, name=report.name, hazard=name),
                    f"coverage-{slug(report.adcode, hazard, lang)}")


# --- hours histogram --------------------------------------------------------------------------

def hours_histogram_svg(report: Report, hazard: str, lang: str = "zh", *, title: bool = True,
                        width_mm: float = WIDTH * MM_PER_UNIT) -> str:
    """Vertical bars: at-risk area (km²) per county-reserve hours bin, bins beyond the county
    standard in red, an "unreachable" bar apart, and a dashed line at the county standard.

    Bars come from ``report.charts["hours_histogram"]``; heights are proportional to
    ``area_km2``.

    Parameters, returns and errors as ``coverage_chart_svg``.
    """
    name = _hazard_name(report, hazard, lang)
    rows = _rows(report.charts.get("hours_histogram"), hazard)
    std = report.cover.get("standards", {}).get("hours_by_tier", {}).get("county")
    W = _width(width_mm)
    head, top = _title(_say("hist_title", lang, name=report.name, hazard=name), title, W)
    top += 14
    left, plot_h = 62.0, 160.0
    right = W - 12
    bottom = top + plot_h
    finite = rows[np.isfinite(rows["from_hours"].to_numpy(float))] if len(rows) else rows
    unreached = rows[~np.isfinite(rows["from_hours"].to_numpy(float))] if len(rows) else rows
    xmax = max(float(finite["to_hours"].max()) if len(finite) else 0.0, float(std or 0.0), 1.0)
    slot = 0.0
    if len(unreached):  # room for a separate bar: 1.5 bin widths after a gap
        bw = float((finite["to_hours"] - finite["from_hours"]).max()) if len(finite) else xmax / 8
        slot = 2.5 * bw
    hx = (right - left) / (xmax + slot)

    def xpos(h: float) -> float:
        return left + h * hx

    areas = rows["area_km2"].to_numpy(float) if len(rows) else np.array([])
    top_area = float(areas.max()) if len(areas) and areas.max() > 0 else 1.0
    step = nice_step(top_area, 5)
    ymax = math.ceil(top_area / step - 1e-9) * step
    vy = plot_h / ymax
    parts = []
    for k in range(int(round(ymax / step)) + 1):
        v = k * step
        y = bottom - v * vy
        parts.append(f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" stroke="{GRID}" '
                     f'stroke-width="0.6"/>')
        parts.append(text(left - 5, y + 3.5, tick_label(v), SIZE_SMALL, anchor="end", fill=MUTED, cls="ytick"))
    xstep = nice_step(xmax, max(4, int((right - left) / 55)))
    for k in range(int(math.floor(xmax / xstep + 1e-9)) + 1):
        h = k * xstep
        parts.append(f'<line x1="{xpos(h):.1f}" y1="{bottom:.1f}" x2="{xpos(h):.1f}" y2="{bottom + 3:.1f}" '
                     f'stroke="{INK}" stroke-width="0.6"/>')
        parts.append(text(xpos(h), bottom + 13, f"{h:g}", SIZE_SMALL, anchor="middle", fill=MUTED, cls="xtick"))
    for row in finite.itertuples(index=False):
        x0, x1 = xpos(float(row.from_hours)), xpos(float(row.to_hours))
        colour = BEYOND_COLOUR if std is not None and row.from_hours >= std else WITHIN_COLOUR
        h = float(row.area_km2) * vy
        parts.append(f'<rect class="bar" x="{x0 + 0.5:.2f}" y="{bottom - h:.3f}" width="{max(x1 - x0 - 1, 0.5):.2f}" '
                     f'height="{h:.3f}" fill="{colour}" data-from="{row.from_hours:g}" data-to="{row.to_hours:g}" '
                     f'data-value="{float(row.area_km2):.9g}"/>')
    for row in unreached.itertuples(index=False):
        x0 = xpos(xmax + 0.5 * slot / 2.5)
        x1 = xpos(xmax + slot)
        h = float(row.area_km2) * vy
        parts.append(f'<rect class="bar unreached" x="{x0:.2f}" y="{bottom - h:.3f}" width="{x1 - x0:.2f}" '
                     f'height="{h:.3f}" fill="{UNREACHED_COLOUR}" data-from="inf" data-to="inf" '
                     f'data-value="{float(row.area_km2):.9g}"/>')
        parts.append(text((x0 + x1) / 2, bottom + 13, _say("unreached", lang), SIZE_SMALL, anchor="middle",
                          fill=MUTED, cls="xtick"))
    if std is not None:
        xs = xpos(float(std))
        parts.append(f'<line class="standard" x1="{xs:.2f}" y1="{top - 4:.1f}" x2="{xs:.2f}" y2="{bottom:.1f}" '
                     f'stroke="{INK}" stroke-width="1" stroke-dasharray="4 3" data-hours="{std:g}"/>')
        label = _say("standard", lang, hours=f"{std:g}")
        anchor = "end" if xs + text_width(label, SIZE_SMALL) + 4 > right else "start"
        parts.append(text(xs + (4 if anchor == "start" else -4), top + 4, label, SIZE_SMALL, anchor=anchor,
                          cls="standard-label", halo=True))
    if rows.empty or not (areas > 0).any():
        parts.append(text((left + right) / 2, top + plot_h / 2, _say("no_risk", lang), SIZE_TEXT,
                          anchor="middle", cls="note"))
    parts.append(f'<line x1="{left:.1f}" y1="{bottom:.1f}" x2="{right:.1f}" y2="{bottom:.1f}" stroke="{INK}" '
                 f'stroke-width="0.8"/>')
    parts.append(text((left + right) / 2, bottom + 30, header("hours_county", lang), SIZE_TEXT, anchor="middle",
                      cls="axis-title"))
    yc = top + plot_h / 2
    parts.append(text(14, yc, header("area_km2", lang), SIZE_TEXT, anchor="middle", cls="axis-title",
                      extra=f' transform="rotate(-90 14 {yc:.1f})"'))
    return document(W, bottom + 38, head + "".join(parts),
                    _say("hist_title", lang, name=report.name, hazard=name),
                    f"hours-{slug(report.adcode, hazard, lang)}")


# --- chain heatmap ----------------------------------------------------------------------------

def reach_colour(share: float) -> str:
    """Heatmap colour of a reach share (0..1); grey when missing."""
    return ramp(REACH_RAMP, share) if share is not None and math.isfinite(share) else NAN_COLOUR


def chain_heatmap_svg(report: Report, lang: str = "zh", *, title: bool = True,
                      width_mm: float = WIDTH * MM_PER_UNIT) -> str:
    """Heatmap of ``report.tables["chain_matrix"]``: rows are cities, columns ``hazard:chain``
    (headers "洪水·城市内涝应急救援装备"), cells the share of the at-risk area a chain's
    enterprises reach in time (dark red 0 .. pale 1, grey missing), with the value printed
    when the cells are wide enough, and a stepped colour legend.

    Parameters, returns and errors as ``coverage_chart_svg (without hazard)``.
    """
    check_lang(lang)
    cm = report.tables.get("chain_matrix")
    cm = cm if cm is not None else pd.DataFrame(columns=["city", "city_name"])
    cols = [c for c in cm.columns if ":" in str(c)]
    W = _width(width_mm)
    head, top = _title(_say("heat_title", lang), title, W)
    names = [str(n) if n is not None and not (isinstance(n, float) and math.isnan(n)) else str(c)
             for n, c in zip(cm.get("city_name", []), cm.get("city", []))]
    left = min(max([text_width(n, SIZE_TEXT) for n in names] + [40.0]) + 10, 200.0)
    # column headers name the chain; the hazard of each group of columns is named under the table
    headers = [term("chain", str(c).split(":", 1)[1], lang) for c in cols]
    # rotated (-45 degrees) headers stick out to the right: leave room for the last one
    longest = max([text_width(h, SIZE_SMALL) for h in headers] + [0.0])
    col_w = min(46.0, (W - left - 8) / max(len(cols), 1))
    spill = max(0.0, text_width(headers[-1], SIZE_SMALL) * 0.7071 - col_w / 2) if headers else 0.0
    col_w = min(col_w, (W - left - 8 - spill) / max(len(cols), 1))
    row_h = 20.0
    top += longest * 0.7071 + 10
    parts = []
    for j, h in enumerate(headers):
        cx = left + (j + 0.5) * col_w
        parts.append(text(cx, top - 5, h, SIZE_SMALL, cls="col-header",
                          extra=f' transform="rotate(-45 {cx:.1f} {top - 5:.1f})"'))
    show_values = col_w >= text_width("100.0%", SIZE_SMALL) + 4
    for i, (city, row) in enumerate(zip(names, cm.itertuples(index=False))):
        y = top + i * row_h
        parts.append(text(left - 6, y + row_h * 0.68, city, SIZE_TEXT, anchor="end", cls="row-header"))
        values = dict(zip(cm.columns, row))
        for j, c in enumerate(cols):
            v = values[c]
            v = float(v) if v is not None and not pd.isna(v) else math.nan
            colour = reach_colour(v)
            x = left + j * col_w
            parts.append(f'<rect class="cell" x="{x:.2f}" y="{y:.1f}" width="{col_w:.2f}" height="{row_h:g}" '
                         f'fill="{colour}" stroke="#ffffff" stroke-width="1" data-col="{slug(c)}" '
                         f'data-value="{v:.9g}"/>')
            if show_values:
                fill = "#ffffff" if luminance(colour) < 0.45 else INK
                parts.append(text(x + col_w / 2, y + row_h * 0.66, fmt(v, c, lang), SIZE_SMALL, anchor="middle",
                                  fill=fill, cls="value"))
    # hazard groups: a thicker white rule between them, a bracket and the hazard's name below
    hazards = [str(c).split(":")[0] for c in cols]
    bottom = top + max(len(names), 1) * row_h
    start = 0
    for j in range(1, len(cols) + 1):
        if j < len(cols) and hazards[j] == hazards[start]:
            continue
        x0, x1 = left + start * col_w, left + j * col_w
        if start > 0:
            parts.append(f'<line x1="{x0:.2f}" y1="{top:.1f}" x2="{x0:.2f}" y2="{bottom:.1f}" stroke="#ffffff" '
                         f'stroke-width="3"/>')
        parts.append(f'<path d="M{x0 + 2:.1f} {bottom + 3:.1f}v4H{x1 - 2:.1f}v-4" fill="none" stroke="{MUTED}" '
                     f'stroke-width="0.7"/>')
        parts.append(text((x0 + x1) / 2, bottom + 17, term("hazard", hazards[start], lang), SIZE_SMALL,
                          anchor="middle", cls="group-header"))
        start = j
    y = bottom + (28 if cols else 14)
    if not cols or not names:
        parts.append(text(left, top + 12, _say("no_chains", lang), SIZE_TEXT, cls="note"))
    parts.append(text(left, y + 9, _say("heat_legend", lang), SIZE_SMALL, cls="legend-title"))
    lx = left + text_width(_say("heat_legend", lang), SIZE_SMALL) + 8
    steps = 10
    for k in range(steps):
        parts.append(f'<rect x="{lx + k * 16:.1f}" y="{y:.1f}" width="16" height="10" '
                     f'fill="{reach_colour((k + 0.5) / steps)}"/>')
    for v in (0.0, 0.5, 1.0):
        parts.append(text(lx + v * 16 * steps, y + 21, f"{v * 100:.0f}%", SIZE_SMALL, anchor="middle", fill=MUTED))
    gx = lx + 16 * steps + 18
    parts.append(f'<rect x="{gx:.1f}" y="{y:.1f}" width="16" height="10" fill="{NAN_COLOUR}"/>')
    parts.append(text(gx + 21, y + 9, _say("no_data", lang), SIZE_SMALL))
    return document(W, y + 26, head + "".join(parts), _say("heat_title", lang),
                    f"chains-{slug(report.adcode, lang)}")
