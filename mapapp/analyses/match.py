"""The analyses panel's 供需对接 (one need -> a combined plan of depots and enterprises): controls and
the result view."""

from __future__ import annotations

from typing import Any

from layers import match_from_store
from mapapp.analyses.common import AnalysisView, Params, fmt, shown_rows
from mapapp.i18n import label, t

#: The panel controls this analysis uses (the others are hidden).
CONTROLS = ("point", "material", "quantity", "hours", "access")


def run(store: Any, p: Params, lang: str) -> AnalysisView:
    if p.lon is None or p.lat is None:
        raise ValueError("lon, lat: found none; expected where the need is (type it, or use a hexagon card's button)")
    if not p.material:
        raise ValueError("material: found none; expected a catalogue name such as 排涝泵 or 救灾帐篷")
    if p.quantity is None:
        raise ValueError("quantity: found none; expected how many are needed (a number > 0)")
    deadline = float(p.hours) if p.hours is not None else 12.0
    plan, summ = match_from_store(store, p.material, p.quantity, (p.lon, p.lat), deadline, **p.access)
    name = summ["name"] if lang == "zh" else summ["name_en"]
    lines = [t("ana.match.summary", lang, material=name, quantity=fmt(summ["quantity"]), unit=summ["unit"],
               hours=f"{deadline:g}", arrived=fmt(summ["arrived"]), unmet=fmt(summ["unmet"]), n=summ["sources"])]
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
                 "properties": {"kind": "event", "name": t("ana.match.need", lang)}}]
    for r in plan.itertuples():
        lon, lat = float(r.lon), float(r.lat)
        features.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[lon, lat], [p.lon, p.lat]]},
                         "properties": {"kind": "line", "hours": round(float(r.hours), 2)}})
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                         "properties": {"kind": "reserve" if r.source_kind == "stock" else "enterprise",
                                        "name": r.source_name, "hours": round(float(r.hours), 2), "label": False}})
    shown = plan.assign(quantity=plan["quantity"].round(1), hours=plan["hours"].round(2), kind=[t(f"ana.match.kind.{k}", lang) for k in plan["source_kind"]],
                        tier=[label("reserve_tier", x, lang) for x in plan["tier"]],
                        name=plan["source_name"])
    lons, lats = [p.lon, *plan["lon"]], [p.lat, *plan["lat"]]
    bounds = [[min(lats) - 0.1, min(lons) - 0.1], [max(lats) + 0.1, max(lons) + 0.1]]
    return AnalysisView("match", lines, plan, shown_rows(shown, columns=["kind", "name", "tier", "quantity", "hours"]),
                        None, [], [], None, {"type": "FeatureCollection", "features": features},
                        method="layers/METHODS.md#match", bounds=bounds)
