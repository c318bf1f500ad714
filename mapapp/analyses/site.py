"""The analyses panel's site suitability (ranked cells, or one explained point): controls and the result view."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from layers import (
    explain_site,
    site_from_store,
)
from mapapp.analyses.common import (
    AnalysisView,
    Params,
    graded,
    shown_rows,
    site_unit,
    unit_names,
)
from mapapp.i18n import label, t

#: One hard exclusion as layers.site_from_store writes it ("flood class 4 >= 4"; joined by "; ").
_EXCLUSION = re.compile(r"(\w+) class (\d+) >= (\d+)")

#: The panel controls this analysis uses (the others are hidden).
CONTROLS = ('hazard', 'res', 'sitekind', 'top', 'spacing', 'hours', 'weights', 'exclude', 'point', 'access')


def run(store: Any, p: Params, lang: str) -> AnalysisView:
    res = p.resolution()
    hazards = None if p.hazard == "any" else [p.hazard]
    common = {"kind": p.site_kind, "res": res, "hazards": hazards, "hours": p.hours,
              "weights": p.weights or None, "exclude": p.exclude or None, "adcode": p.unit, **p.access}
    if p.lon is not None and p.lat is not None:
        row = site_from_store(store, at=(p.lon, p.lat), **common)
        parts = explain_site(row)
        table = pd.DataFrame([{"component": t(f"ana.site.{c}", lang), "score": v.get("score"),
                               "weight": v.get("weight"), "contribution": v.get("contribution"),
                               "raw": v.get("raw"), "unit": site_unit(c, v.get("unit"), lang)}
                              for c, v in parts.items()])
        r = row.iloc[0]
        total = int(row.attrs["site"]["candidates"])
        summary = [t("ana.site.at", lang, lon=f"{p.lon:.5f}", lat=f"{p.lat:.5f}", cell=r["cell"], res=res,
                     kind=t(f"ana.kind.{p.site_kind}", lang), score=f"{float(r['score']):.3f}",
                     rank=f"{int(r['rank']):,}", total=f"{total:,}", pct=_percent(int(r["rank"]), total)),
                   t("ana.site.vs_siting", lang)]
        if r.get("excluded_by"):
            summary.append(t("ana.site.excluded", lang, why=exclusion_text(r["excluded_by"], lang)))
        overlay = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {
            "type": "Point", "coordinates": [p.lon, p.lat]}, "properties": {"kind": "site", "order": "★",
                                                                            "name": f"{float(r['score']):.3f}"}}]}
        return AnalysisView("site", summary, table, table, None, [], [], None, overlay,
                            method="layers/METHODS.md#site", cells=row.reset_index(drop=True),
                            bounds=[[p.lat - 0.3, p.lon - 0.4], [p.lat + 0.3, p.lon + 0.4]])
    df = site_from_store(store, top=p.top, spacing_km=p.spacing_km, **common)
    values = df["score"].to_numpy(float)
    hexes, pal, legend = graded(df["cell"], values, n=5)
    names = unit_names(store)
    total = int(df.attrs["site"]["candidates"])
    df = df.assign(county_name=[names.get(c, "") for c in df["county"]],
                   excluded_by=[exclusion_text(x, lang) for x in df["excluded_by"]])
    overlay = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(r.lon), float(r.lat)]},
         "properties": {"kind": "site", "order": int(r.rank), "name": f"{r.county_name} {float(r.score):.3f}"}}
        for r in df.head(10).itertuples()]}
    best = df.iloc[0] if len(df) else None
    summary = [t("ana.site.top", lang, n=len(df), kind=t(f"ana.kind.{p.site_kind}", lang),
                 total=f"{total:,}", km=f"{p.spacing_km:g}",
                 best=f"{best['county_name']} {float(best['score']):.3f}" if best is not None else "—"),
               t("ana.site.vs_siting", lang)]
    comp = [c for c in df.columns if c.endswith("_score")]
    bounds = ([[float(df["lat"].min()) - 0.15, float(df["lon"].min()) - 0.2],
               [float(df["lat"].max()) + 0.15, float(df["lon"].max()) + 0.2]] if len(df) else None)
    return AnalysisView("site", summary, df, shown_rows(df, columns=["rank", "county_name", "score", *comp, "excluded_by"]),
                        hexes, pal, legend, None, overlay, method="layers/METHODS.md#site", cells=df, bounds=bounds)


def exclusion_text(text: Any, lang: str) -> str:
    """``excluded_by`` in words: "flood class 4 >= 4; faults class 4 >= 4" ->
    "洪水 4 级（≥ 4 级不可选）；距活动断层距离 4 级（≥ 4 级不可选）"; "" stays ""."""
    parts = []
    for part in str(text or "").split(";"):
        m = _EXCLUSION.fullmatch(part.strip())
        parts.append(t("ana.site.exclusion", lang, hazard=label("hazard", m[1], lang), cls=m[2], limit=m[3])
                     if m else part.strip())
    return ("; " if lang == "en" else "；").join(p for p in parts if p)


def cell_resolution(cell: Any) -> int | None:
    """The H3 resolution of a hexagon id (hex text; bits 52-55 of the index), or None for
    anything that is not one (no card open, a facility card)."""
    try:
        value = int(str(cell), 16)
    except (TypeError, ValueError):
        return None
    res = (value >> 52) & 0xF
    return res if (value >> 59) & 0xF == 1 and 0 <= res <= 15 else None


def _percent(rank: int, total: int) -> str:
    """Rank as a "top x %" figure people read: 1 decimal under 10 %, whole numbers above."""
    share = 100 * rank / max(total, 1)
    return f"{share:.1f}" if share < 10 else f"{share:.0f}"
