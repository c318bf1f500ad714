"""The analyses panel's cross-border coordination gain: controls and the result view."""

from __future__ import annotations

from typing import Any

import numpy as np

from layers import (
    coordination_from_store,
)
from mapapp.analyses.common import (
    GOOD_BAD,
    AnalysisView,
    Params,
    fmt,
    hex_payload,
    hours_override,
    inside_of,
    shown_rows,
    unit_filter,
    unit_levels,
)
from mapapp.i18n import label, t

#: The panel controls this analysis uses (the others are hidden).
CONTROLS = ('hazard', 'res', 'minclass', 'tier', 'hours', 'access')


def run(store: Any, p: Params, lang: str) -> AnalysisView:
    res = p.resolution()
    tier = p.tier if p.tier else "first_batch"
    units, depots, cells = coordination_from_store(store, p.hazard, res, min_class=p.min_class, tier=tier,
                                                   hours_by_tier=hours_override(p, tier) if tier != "first_batch"
                                                   else None, **p.access)
    levels = unit_levels(store)
    cells = unit_filter(cells, p.unit, levels)
    status = np.where(cells["covered_own"], 0, np.where(cells["covered_cross"], 1, 2))
    pal = [GOOD_BAD["covered_before"], GOOD_BAD["covered_new"], GOOD_BAD["uncovered"]]
    legend = [(pal[0], t("ana.coord.own", lang)), (pal[1], t("ana.coord.cross", lang)),
              (pal[2], t("ana.coord.none", lang))]
    hexes = hex_payload(cells["cell"], status, cells["area_km2"].to_numpy(float))
    prov = units[units["level"] == "province"]
    top = depots[depots["cross_gain_km2"] > 0].head(10)
    overlay = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(r.lon), float(r.lat)]},
         "properties": {"kind": "reserve", "name": f"{r.name} · +{fmt(float(r.cross_gain_km2))} km²"}}
        for r in top.itertuples()]}
    summary = [t("ana.coord.summary", lang, tier=label("reserve_tier", tier, lang) if tier != "first_batch"
                 else t("ana.coord.first_batch", lang), items="；".join(
                     f"{r.name} {100 * r.share_own:.1f}% → {100 * r.share_cross:.1f}%" for r in prov.itertuples()))]
    if len(top):
        summary.append(t("ana.coord.depots", lang, items="、".join(
            f"{r.name}（+{fmt(float(r.cross_gain_km2))} km²）" for r in top.head(5).itertuples())))
    table = units if not p.unit else units[[inside_of(store, p.unit)(c) for c in units["adcode"]]]
    shown = table[table["level"] == ("county" if p.unit else "city")]
    return AnalysisView("coordination", summary, table.reset_index(drop=True), shown_rows(shown, "gain_km2", columns=[
        "name", "at_risk_km2", "covered_own_km2", "covered_cross_km2", "gain_km2", "gain_share", "gain_population"]),
        hexes, pal, legend, None, overlay, method="layers/METHODS.md#coordination", cells=cells.reset_index(drop=True))
