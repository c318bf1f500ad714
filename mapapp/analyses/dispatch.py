"""The analyses panel's one event: who arrives first (lines and ranking): controls and the result view."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from layers import (
    MaterialsUnavailable,
    SupplyEventError,
    dispatch_from_store,
    dispatch_lines,
    event_supply_from_store,
)
from mapapp.analyses.common import (
    AnalysisView,
    Params,
    coords,
    fmt,
    graded,
    h3_hex,
    hex_payload,
    shown_rows,
)
from mapapp.i18n import label, t

#: The panel controls this analysis uses (the others are hidden).
CONTROLS = ('hazard', 'res', 'event', 'point', 'radius', 'magnitude', 'polygon', 'access')


def run(store: Any, p: Params, lang: str) -> AnalysisView:
    res = p.resolution() if p.res is not None else 8
    hazard = None if p.hazard == "any" else p.hazard
    if p.event == "polygon":
        if not p.polygon:
            raise ValueError(t("ana.polygon.none", "en"))
        event_args: dict[str, Any] = {"polygon": p.polygon, "hazard": hazard}
    elif p.lon is None or p.lat is None:
        raise ValueError("lon, lat: found none; expected the event point (type it, or use a hexagon card's button)")
    elif p.event == "quake":
        event_args = {"quake": (p.lon, p.lat, p.magnitude)}
    else:
        event_args = {"at": (p.lon, p.lat), "radius_km": p.radius_km, "hazard": hazard}
    table, summ, event = dispatch_from_store(store, res=res, limit_reserves=60, limit_enterprises=40, **event_args,
                                             **p.access)
    lines = dispatch_lines(table, event)
    centre = {"type": "Feature", "geometry": {"type": "Point", "coordinates": list(event.centre)},
              "properties": {"kind": "event", "name": t(f"ana.event.{event.kind}", lang)}}
    outline = {"type": "Feature", "geometry": event.geometry, "properties": {"kind": "area"}}
    reserves = table[table["kind"] == "reserve"].sort_values("hours", kind="stable")
    first = set(reserves["id"].head(1))
    points = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(r.lon), float(r.lat)]},
               "properties": {"kind": "reserve", "name": f"{r.name}（{label('reserve_tier', r.tier, lang)}）",
                              "hours": round(float(r.hours), 2), "label": r.id in first}}
              for r in reserves.head(20).itertuples()]
    overlay = {"type": "FeatureCollection", "features": [outline, *lines["features"], *points, centre]}
    if event.pga is not None:
        values = np.asarray(event.pga, float)
        hexes, pal, legend = graded(pd.Series(h3_hex(event.cells)), values, breaks=[0.1, 0.15, 0.2, 0.3, 0.4],
                                     unit="g PGA")
    else:
        hexes, pal, legend = (hex_payload(pd.Series(h3_hex(event.cells)), np.zeros(len(event.cells), int),
                                           np.zeros(len(event.cells))), ["#d7301f"], [("#d7301f", t("ana.dispatch.area", lang))])
    met = summ.get("standards_met") or {}
    fastest = summ.get("fastest_by_tier") or {}
    summary = [t("ana.dispatch.summary", lang, cells=summ["affected_cells"], area=fmt(summ["area_km2"]),
                 population=fmt(summ["population"]) if summ.get("population") is not None else "—")]
    if "max_pga" in summ:
        summary.append(t("ana.dispatch.quake", lang, pga=fmt(summ["max_pga"]), intensity=summ["max_intensity"]))
    summary += [t("ana.dispatch.tier", lang, tier=label("reserve_tier", tier, lang), name=f["name"],
                  hours=fmt(f["hours"]), standard=fmt(f.get("standard_h")) if f.get("standard_h") is not None else "—",
                  ok=t("ana.yes" if met.get(tier) else "ana.no", lang))
                for tier, f in fastest.items() if tier in met]
    summary += _supply_lines(store, p, event_args, lang)
    lons = [c[0] for c in coords(event.geometry)] or [event.centre[0]]
    lats = [c[1] for c in coords(event.geometry)] or [event.centre[1]]
    pad = 0.1
    bounds = [[min(lats) - pad, min(lons) - pad], [max(lats) + pad, max(lons) + pad]]
    shown = table.assign(tier=[label("reserve_tier", x, lang) if isinstance(x, str) else x for x in table["tier"]],
                         kind=[t(f"ana.dispatch.kind.{k}", lang) for k in table["kind"]])
    if "can_send" in shown:
        shown = shown.assign(can_send=shown["can_send" if lang == "zh" else "can_send_en"])
    return AnalysisView("dispatch", summary, table, shown_rows(shown, columns=[
        "rank", "kind", "name", "tier", "hours", "standard_h", "meets_standard", "capacity", "can_send", "road_km"]),
        hexes, pal, legend, None, overlay, method="layers/METHODS.md#dispatch", bounds=bounds)


def _supply_lines(store: Any, p: Params, event_args: dict[str, Any], lang: str) -> list[str]:
    """The event's material need and what arrives within the deadline (``event_supply_from_store``),
    as one summary line; none when the store has no material catalogue or nobody lives in the area."""
    deadline = float(p.hours) if p.hours is not None else 24.0
    args = {k: v for k, v in event_args.items() if v is not None}
    try:
        result, _, summ, _ = event_supply_from_store(store, deadlines=[deadline], **args, **p.access)
    except (MaterialsUnavailable, SupplyEventError):
        return []
    name = "material_name" if lang == "zh" else "material_name_en"
    by = result.groupby(name)[["need", "arrived"]].sum()
    fill = (by["arrived"] / by["need"]).sort_values()
    short = fill[fill < 0.999]
    sep = "、" if lang == "zh" else ", "
    items = sep.join(f"{n} {v:.0%}" for n, v in short.head(3).items()) or "—"
    return [t("ana.dispatch.supply", lang, affected=fmt(summ["affected"]), displaced=fmt(summ["displaced"]),
              hours=f"{deadline:g}", short=len(short), n=len(fill), items=items)]
