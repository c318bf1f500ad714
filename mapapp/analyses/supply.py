"""The analyses panel's material supply (物资保障): needs of a hazard scenario, what arrives within the
deadline, counties shaded by fill rate; controls and the result view."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from layers import in_unit, regional_supply
from mapapp.analyses.common import AnalysisView, Params, choropleth, fmt, shown_rows
from mapapp.i18n import label, t

#: The panel controls this analysis uses (the others are hidden).
CONTROLS = ("hazard", "minclass", "hours", "access")
#: Fill-rate classes of the county choropleth (the palette runs from short to met).
FILL_BREAKS = [0.25, 0.5, 0.75, 0.999]


def run(store: Any, p: Params, lang: str) -> AnalysisView:
    if p.hazard == "any":
        raise ValueError("hazard: found 'any'; expected one hazard layer (its shares and norms count the need)")
    deadline = float(p.hours) if p.hours is not None else 24.0
    deadlines = sorted({6.0, 12.0, 24.0, deadline})
    result, flows, summary, needs = regional_supply(store, p.hazard, p.min_class or 2, deadlines=deadlines,
                                                    **p.access)
    if p.unit:
        result = result[in_unit(result["adcode"], p.unit)]
        needs = needs[in_unit(needs["unit"], p.unit)]
    at = result[result["deadline_h"] == deadline]
    county = at.groupby(["adcode", "name"], as_index=False)[["need", "arrived"]].sum()
    fill = dict(zip(county["adcode"], county["arrived"] / county["need"]))
    choro = choropleth(store, "county", fill, FILL_BREAKS, p.unit)
    name = "material_name" if lang == "zh" else "material_name_en"
    by = at.groupby(["material", name, "unit_of_measure"], as_index=False)[["need", "arrived", "shortfall"]].sum()
    by = by.rename(columns={name: "material_name"})
    by["fill_rate"] = by["arrived"] / by["need"]
    by = by.sort_values("fill_rate", kind="stable")
    short = by[by["fill_rate"] < 0.999]
    sep = "、" if lang == "zh" else ", "
    items = sep.join(f"{n} {v:.0%}" for n, v in zip(short["material_name"].head(3), short["fill_rate"].head(3)))
    dry = pd.DataFrame(summary["dry"], columns=["source_id", "name", "material", "material_name"])
    if p.unit:  # the depots that run dry while serving this unit
        sent = flows[in_unit(flows["adcode"], p.unit) & (flows["deadline_h"] == max(deadlines))
                     & (flows["source_kind"] == "stock")][["source_id", "material"]].drop_duplicates()
        dry = dry.merge(sent, on=["source_id", "material"])
    summary_lines = [
        t("ana.supply.summary", lang, hazard=label("hazard", p.hazard, lang), counties=len(needs),
          affected=fmt(float(needs["affected"].sum())), displaced=fmt(float(needs["displaced"].sum())),
          n=len(by)),
        t("ana.supply.short", lang, hours=f"{deadline:g}", short=len(short), n=len(by), items=items or "—"),
        t("ana.supply.dry", lang, n=int(dry["source_id"].nunique())),
    ]
    if summary.get("synthetic"):
        summary_lines.append(t("ana.supply.synthetic", lang))
    legend_pal = ["#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641"]
    legend = [(c, x) for c, x in zip(legend_pal, ("< 25%", "25–50%", "50–75%", "75–99.9%", t("ana.supply.met", lang)))]
    shown = by.rename(columns={"material_name": "name", "unit_of_measure": "unit"}).assign(
        need=by["need"].round().astype("int64"), arrived=by["arrived"].round().astype("int64"),
        shortfall=by["shortfall"].round().astype("int64"), fill_rate=[f"{v:.1%}" for v in by["fill_rate"]])
    shown = shown_rows(shown, columns=["name", "unit", "need", "arrived", "fill_rate", "shortfall"])
    return AnalysisView("supply", summary_lines, result.reset_index(drop=True), shown, None, legend_pal, legend,
                        choro, method="layers/METHODS.md#supply", choro_legend=legend)


def fill_values(view: AnalysisView) -> np.ndarray:
    """The county fill rates drawn (for tests)."""
    return np.array([f["properties"]["v"] for f in (view.choropleth or {}).get("features", [])])
