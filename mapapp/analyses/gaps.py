"""The analyses panel's coverage gaps (at-risk cells beyond the reserve standards): controls and the result view."""

from __future__ import annotations

from typing import Any

import numpy as np

from layers import (
    gaps_from_store,
)
from mapapp.analyses.common import (
    SEQ,
    AnalysisView,
    Params,
    choropleth,
    class_texts,
    fmt,
    graded,
    hours_override,
    inside_of,
    shown_rows,
    spread,
    unit_filter,
    unit_levels,
)
from mapapp.i18n import label, t

#: County gap shares (of the at-risk area) that start a class of the choropleth: none, < 10 %, ...
GAP_SHARE_BREAKS = [0.001, 0.1, 0.3, 0.6]
#: The panel controls this analysis uses (the others are hidden).
CONTROLS = ('hazard', 'res', 'minclass', 'hours', 'access')


def run(store: Any, p: Params, lang: str) -> AnalysisView:
    res = p.resolution()
    cells, units = gaps_from_store(store, p.hazard, res, min_class=p.min_class,
                                   hours_by_tier=hours_override(p, "county"), **p.access)
    levels = unit_levels(store)
    cells = unit_filter(cells, p.unit, levels)
    inside = inside_of(store, p.unit) if p.unit else None
    std = {**((store.meta.get("standards") or {}).get("hours_by_tier") or {}), **(hours_override(p, "county") or {})}
    limit = float(std.get("county", 6.0))
    hours = cells["hours_county"].to_numpy(float) if "hours_county" in cells else np.full(len(cells), np.nan)
    breaks = sorted({_nice_hours(b) for b in (limit / 3, 2 * limit / 3, limit, limit * 4 / 3)})
    hexes, pal, legend = graded(cells["cell"], hours, breaks=breaks, palette=["#1a9850", "#91cf60", "#fee08b",
                                                                                "#fc8d59", "#d73027"], unit="h")
    legend[-2:] = [(pal[-2], legend[-2][1] + " " + t("ana.gap", lang)), (pal[-1], legend[-1][1] + " " + t("ana.gap", lang))]
    county = units[units["level"] == "county"].copy()
    if p.unit:
        county = county[[inside(c) for c in county["adcode"]]]
    share = (county["gap_area_km2"] / county["at_risk_area_km2"]).fillna(0.0)
    choro = choropleth(store, "county", dict(zip(county["adcode"], share)), GAP_SHARE_BREAKS, p.unit)
    choro_legend = list(zip(spread(SEQ, len(GAP_SHARE_BREAKS) + 1), [t("legend.gaps.none", lang), *class_texts(
        GAP_SHARE_BREAKS[1:], lambda b: f"{100 * b:.0f}%")]))
    gap_area = float(cells.loc[cells["gap"], "area_km2"].sum()) if "gap" in cells else float("nan")
    worst = county.sort_values("worst_hours", ascending=False).head(3)
    summary = [t("ana.gaps.summary", lang, hazard=label("hazard", p.hazard, lang) if p.hazard != "any" else t("ana.any", lang),
                 cells=len(cells), area=fmt(float(cells["area_km2"].sum())), gap=fmt(gap_area), hours=fmt(limit),
                 counties=int((county["gap_area_km2"] > 0).sum()), n=len(county)),
               t("ana.gaps.worst", lang, items="、".join(f"{n} {fmt(h)} h" for n, h in zip(worst["name"], worst["worst_hours"]))),
               t("ana.gaps.depots", lang, n=int((~county["has_county_depot"].astype(bool)).sum()) if "has_county_depot" in county else 0)]
    table = units if not p.unit else units[[inside(c) for c in units["adcode"]]]
    return AnalysisView("gaps", summary, table.reset_index(drop=True), shown_rows(
        county.assign(gap_share=share), "gap_area_km2", columns=[
            "name", "at_risk_area_km2", "gap_area_km2", "gap_share", "worst_hours", "p90_hours", "population",
            "has_county_depot", "missing_chains"]), hexes, pal,
                        legend, choro, method="layers/METHODS.md#gaps", cells=cells.reset_index(drop=True),
                        title=t("ana.gaps.title", lang, hours=fmt(limit)), choro_legend=choro_legend,
                        choro_title=t("legend.gaps.choropleth", lang))


def _nice_hours(h: float) -> float:
    """A class break people read: quarter hours below 2 h, half hours below 6 h, else whole."""
    step = 0.25 if h < 2 else 0.5 if h < 6 else 1.0
    return max(step, round(h / step) * step)
