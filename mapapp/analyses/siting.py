"""The analyses panel's optimal siting of new depots (MCLP): controls and the result view."""

from __future__ import annotations

from typing import Any

import numpy as np

from layers import (
    siting_from_store,
    stock_siting_from_store,
)
from mapapp.analyses.common import (
    GOOD_BAD,
    AnalysisView,
    Params,
    fmt,
    choropleth,
    hex_payload,
    shown_rows,
    unit_names,
)
from mapapp.i18n import label, t

#: The panel controls this analysis uses (the others are hidden).
CONTROLS = ('hazard', 'res', 'minclass', 'tier', 'hours', 'k', 'material', 'quantity', 'access')


def run(store: Any, p: Params, lang: str) -> AnalysisView:
    if p.material:
        return _stock_run(store, p, lang)
    res = p.resolution()
    sites, summ, demand = siting_from_store(store, p.k, hazard=p.hazard, res=res, min_class=p.min_class,
                                            tier=p.tier, hours=p.hours, adcode=p.unit, **p.access)
    status = np.where(demand["covered_before"], 0, np.where(demand["covered_after"], 1, 2))
    pal = [GOOD_BAD["covered_before"], GOOD_BAD["covered_new"], GOOD_BAD["uncovered"]]
    legend = [(pal[0], t("ana.siting.before", lang)), (pal[1], t("ana.siting.new", lang)),
              (pal[2], t("ana.siting.uncovered", lang))]
    hexes = hex_payload(demand["cell"], status, demand["weight"].to_numpy(float))
    names = unit_names(store)
    sites = sites.assign(county_name=[names.get(c, "") for c in sites["county"]])
    overlay = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(r.lon), float(r.lat)]},
         "properties": {"kind": "site", "name": f"{t('ana.siting.site', lang)} {int(r.order)} · {r.county_name}",
                        "order": int(r.order)}} for r in sites.itertuples()]}
    summary = [t("ana.siting.summary", lang, k=len(sites), tier=label("reserve_tier", p.tier, lang), hours=fmt(summ["hours"]),
                 before=f"{100 * summ['before_share']:.1f}", after=f"{100 * summ['after_share']:.1f}",
                 area_before=fmt(summ["covered_area_before_km2"]), area_after=fmt(summ["covered_area_after_km2"]),
                 total=fmt(summ["at_risk_area_km2"])),
               t("ana.siting.quality", lang, objective=fmt(summ["objective"]), bound=fmt(summ["bound"]),
                 gap=f"{100 * summ['gap']:.2f}", solver=summ["solver"], seconds=f"{summ['seconds']:.1f}")]
    if not len(sites):
        summary.append(t("ana.siting.nothing", lang))
    return AnalysisView("siting", summary, sites, shown_rows(sites, columns=[
        "order", "county_name", "lon", "lat", "gain_area_km2", "gain_population", "gain_weight"]), hexes, pal, legend, None, overlay,
                        method="layers/METHODS.md#siting", cells=demand)


def _stock_run(store: Any, p: Params, lang: str) -> AnalysisView:
    """A material is given: where to stock how much of it (``stock_siting_from_store``); the
    quantity control is each new depot's limit; counties shaded by fill rate after."""
    from mapapp.analyses.supply import FILL_BREAKS  # noqa: PLC0415 (the shared fill classes)

    if p.quantity is None:
        raise ValueError("quantity: found none; expected the most one new depot holds (a number > 0)")
    hazard = "flood" if p.hazard == "any" else p.hazard
    sites, summ, units = stock_siting_from_store(store, p.material, p.k, capacity=p.quantity, hazard=hazard,
                                                 min_class=p.min_class or 2, hours=p.hours, tier=p.tier,
                                                 res=p.res or 7, adcode=p.unit, **p.access)
    names = unit_names(store)
    unit = summ["unit"]
    sites = sites.assign(county_name=[names.get(c, "") for c in sites["county"]])
    overlay = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(r.lon), float(r.lat)]},
         "properties": {"kind": "site", "order": int(r.order), "name": t(
             "ana.siting.stock_site", lang, order=int(r.order), county=r.county_name, quantity=fmt(r.quantity),
             unit=unit)}} for r in sites.itertuples()]}
    fill = dict(zip(units["adcode"], units["after"] / units["need"]))
    choro = choropleth(store, "county", fill, FILL_BREAKS, p.unit)
    pal = ["#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641"]
    legend = list(zip(pal, ("< 25%", "25–50%", "50–75%", "75–99.9%", "≥ 99.9%")))
    summary = [t("ana.siting.stock", lang, material=summ["name"] if lang == "zh" else summ["name_en"],
                 n=summ["new_sites"], stocked=fmt(summ["stocked"]), unit=unit, capacity=fmt(summ["capacity"]),
                 hours=fmt(summ["hours"]), before=f"{summ['fill_before']:.1%}", after=f"{summ['fill_after']:.1%}",
                 need=fmt(summ["need"])), t("ana.siting.stock_help", lang)]
    if summ.get("synthetic"):
        summary.append(t("ana.supply.synthetic", lang))
    shown = sites.assign(quantity=sites["quantity"].round().astype("int64"),
                         covers=sites["covers"].round().astype("int64"))
    return AnalysisView("siting", summary, sites, shown_rows(shown, columns=[
        "order", "county_name", "lon", "lat", "quantity", "covers", "counties"]), None, pal, legend, choro, overlay,
        method="layers/METHODS.md#stock-siting")
