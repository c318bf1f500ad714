"""The report's 物资保障 (material supply) chapter: need vs arrivable by material and deadline, the
largest shortfalls, the depots that run dry, findings, and a fill-rate map of the unit's counties.

The unit's part of the region-wide allocation (``layers.analysis.supply.regional_supply``: every at-risk
county competes for the same stock); see
``layers/METHODS.md#supply``. A store without a material catalogue, or a hazard without
``materials.shares``, gives an empty chapter (``supply_tables`` returns None).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from shapely.geometry import shape

from layers.report.cartography import Legend, geometry_path, make_frame, north_arrow, scale_bar
from layers.report.labels import COLUMNS, TITLES, as_text, term
from layers.report.model import Finding, Report
from layers.report.svg import document, text
from layers.store import Store
from layers.analysis.supply import MaterialsUnavailable, in_unit, regional_supply

__all__ = ["PRINT_COLUMNS", "SUPPLY_TABLES", "add_supply", "supply_tables", "supply_findings", "fill_map_svg"]

SUPPLY_TABLES = ("supply", "supply_shortfalls", "supply_units", "supply_dry")
SHORTFALL_ROWS = 15

COLUMNS.update({
    "material": ("物资代码", "Material code", "text"),
    "material_name": ("物资", "Material", "text"),
    "material_name_en": ("物资（英文）", "Material (English)", "text"),
    "unit_of_measure": ("单位", "Unit", "text"),
    "deadline_h": ("时限（小时）", "Deadline (h)", "hours"),
    "need": ("需求量", "Need", "people"),
    "arrived": ("时限内可运到", "Arrivable in time", "people"),
    "fill_rate": ("满足率", "Fill rate", "share"),
    "shortfall": ("缺口", "Shortfall", "people"),
    "affected": ("受影响人数", "Affected persons", "people"),
    "displaced": ("需转移安置人数", "Displaced persons", "people"),
    "materials_short": ("有缺口的物资种数", "Materials short", "int"),
    "lowest_material": ("满足率最低的物资", "Lowest-filled material", "text"),
    "lowest_fill": ("其满足率", "Its fill rate", "share"),
    "depot_name": ("储备库", "Depot", "text"),
    "held": ("库存", "Stock", "people"),
})
TITLES.update({
    "supply": ("物资保障：需求与可运到量", "Material supply: need and arrivable"),
    "supply_shortfalls": ("物资缺口最大的县（区）", "Largest material shortfalls"),
    "supply_units": ("各县（区）物资满足情况", "Material fill by county"),
    "supply_dry": ("库存用尽的储备库", "Depots that run dry"),
})
#: Columns printed in the HTML/PDF (the XLSX has every column).
PRINT_COLUMNS = {
    "supply": ("material_name", "unit_of_measure", "deadline_h", "need", "arrived", "fill_rate", "shortfall"),
    "supply_shortfalls": ("name", "material_name", "unit_of_measure", "need", "arrived", "fill_rate", "shortfall"),
    "supply_units": ("name", "affected", "displaced", "materials_short", "lowest_material", "lowest_fill"),
    "supply_dry": ("depot_name", "tier", "material_name", "held"),
}
FILL_EDGES = (0.25, 0.5, 0.75, 0.999)
FILL_COLOURS = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")
_FILL_LABELS = (("< 25%", "< 25%"), ("25–50%", "25–50%"), ("50–75%", "50–75%"), ("75–99.9%", "75–99.9%"),
                ("全部满足", "fully met"))
_NO_NEED = "#f0f0f0"


def supply_tables(store: Store, hazard: str, adcode: str, min_class: int,
                  access_overrides: dict[str, Any]) -> tuple[dict[str, pd.DataFrame], dict[str, Any]] | None:
    """The chapter's tables for one hazard and unit — the unit's part of the region-wide
    allocation — and a summary (None: the store has no materials or no shares for the hazard)."""
    try:
        all_result, all_flows, all_summary, all_units = regional_supply(store, hazard, int(min_class),
                                                                         **access_overrides)
    except MaterialsUnavailable:
        return None
    result = all_result[in_unit(all_result["adcode"], adcode)]
    flows = all_flows[in_unit(all_flows["adcode"], adcode)]
    needs = all_units[in_unit(all_units["unit"], adcode)]
    last = max(all_summary["deadlines_h"])
    summary = {"displaced": float(needs["displaced"].sum()), "affected": float(needs["affected"].sum()),
               "deadlines_h": all_summary["deadlines_h"]}
    by = result.groupby(["material", "material_name", "unit_of_measure", "deadline_h"], as_index=False, sort=True)[
        ["need", "arrived", "shortfall"]].sum()
    names_en = store.query("SELECT code, name_en FROM materials").set_index("code")["name_en"]
    by.insert(2, "material_name_en", by["material"].map(names_en))
    by["fill_rate"] = by["arrived"] / by["need"]
    by.insert(0, "hazard", hazard)
    at_last = result[result["deadline_h"] == last]
    short = at_last[at_last["shortfall"] > 1e-6].sort_values(["fill_rate", "shortfall"], ascending=[True, False])
    short = short.head(SHORTFALL_ROWS).assign(hazard=hazard)
    per_county = []
    for code, g in at_last.groupby("adcode", sort=True):
        worst = g.sort_values("fill_rate").iloc[0]
        per_county.append({"hazard": hazard, "adcode": code, "name": worst["name"],
                           "materials_short": int((g["fill_rate"] < 0.999).sum()),
                           "lowest_material": worst["material_name"], "lowest_fill": float(worst["fill_rate"]),
                           "need": float(g["need"].sum()), "arrived": float(g["arrived"].sum())})
    units = pd.DataFrame(per_county, columns=["hazard", "adcode", "name", "materials_short", "lowest_material",
                                              "lowest_fill", "need", "arrived"])
    units["fill_rate"] = units["arrived"] / units["need"]
    needs = needs.rename(columns={"unit": "adcode"})[["adcode", "affected", "displaced"]]
    units = units.merge(needs, on="adcode", how="left")[
        ["hazard", "adcode", "name", "affected", "displaced", "materials_short", "lowest_material", "lowest_fill",
         "need", "arrived", "fill_rate"]]
    dry = pd.DataFrame(all_summary["dry"], columns=["source_id", "name", "material", "material_name"])
    sent = flows[(flows["source_kind"] == "stock") & (flows["deadline_h"] == last)][["source_id", "material"]]
    dry = dry.merge(sent.drop_duplicates(), on=["source_id", "material"])
    if len(dry):
        meta = store.query("SELECT id AS source_id, tier FROM reserves")
        held = store.query("SELECT reserve AS source_id, material, sum(quantity) AS held FROM stock GROUP BY ALL")
        dry = dry.merge(meta, on="source_id", how="left").merge(held, on=["source_id", "material"], how="left")
    dry = dry.rename(columns={"name": "depot_name", "source_id": "facility_id"}).assign(hazard=hazard)
    dry = dry.reindex(columns=["hazard", "facility_id", "depot_name", "tier", "material", "material_name", "held"])
    tables = {"supply": by, "supply_shortfalls": short[["hazard", "adcode", "name", "material", "material_name",
                                                        "unit_of_measure", "need", "arrived", "fill_rate",
                                                        "shortfall"]].reset_index(drop=True),
              "supply_units": units, "supply_dry": dry.reset_index(drop=True)}
    return tables, summary


def supply_findings(hazard: str, unit_name: str, tables: dict[str, pd.DataFrame], summary: dict[str, Any],
                    adcode: str) -> list[Finding]:
    """Sentences from the chapter's figures: the need, the worst-filled material, the dry depots."""
    by = tables["supply"]
    if by.empty:
        return [Finding("supply_none", "info", f"{unit_name}在本情景下没有物资需求。",
                        f"{unit_name} has no material need in this scenario.", hazard, adcode)]
    last = by["deadline_h"].max()
    at_last = by[by["deadline_h"] == last].sort_values("fill_rate")
    worst = at_last.iloc[0]
    hz_zh, hz_en = term("hazard", hazard, "zh"), term("hazard", hazard, "en")
    displaced = as_text(summary["displaced"], "displaced", "zh")
    values = {"displaced": summary["displaced"], "material": worst["material"], "fill_rate": worst["fill_rate"],
              "shortfall": worst["shortfall"], "deadline_h": last}
    fill_zh, fill_en = as_text(worst["fill_rate"], "fill_rate", "zh"), as_text(worst["fill_rate"], "fill_rate", "en")
    gap_zh = as_text(worst["shortfall"], "shortfall", "zh")
    gap_en = as_text(worst["shortfall"], "shortfall", "en")
    name_en = worst["material_name_en"]
    hours = f"{last:g}"
    n_short = int((at_last["fill_rate"] < 0.999).sum())
    severity = "high" if worst["fill_rate"] < 0.5 else "medium" if worst["fill_rate"] < 0.999 else "ok"
    if severity == "ok":
        out = [Finding("supply_met", "ok",
                       f"{unit_name}{hz_zh}情景需转移安置约 {displaced} 人，{hours} 小时内各类物资均可足额运到。",
                       f"{unit_name}, {hz_en}: about {as_text(summary['displaced'], 'displaced', 'en')} displaced; "
                       f"every material arrives in full within {last:g} h.", hazard, adcode, values)]
    else:
        out = [Finding("supply_short", severity,
                       f"{unit_name}{hz_zh}情景需转移安置约 {displaced} 人；{hours} 小时内 {n_short} 种物资不足，"
                       f"其中{worst['material_name']}满足率仅 {fill_zh}，缺 {gap_zh} {worst['unit_of_measure']}。",
                       f"{unit_name}, {hz_en}: about {as_text(summary['displaced'], 'displaced', 'en')} displaced; "
                       f"{n_short} material(s) short within {last:g} h, worst {name_en} at {fill_en} "
                       f"({gap_en} {worst['unit_of_measure']} short).", hazard, adcode, values)]
    dry = tables["supply_dry"]
    if len(dry):
        n = dry["facility_id"].nunique()
        out.append(Finding("supply_dry", "medium",
                           f"满足{unit_name}的需求会用尽 {n} 个储备库的部分库存（{dry['depot_name'].iloc[0]}等）。",
                           f"Meeting {unit_name}'s need empties stock at {n} depot(s) "
                           f"(e.g. {dry['facility_id'].iloc[0]}).", hazard, adcode, {"depots": n}))
    return out


def _fill_bin(rate: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.asarray(FILL_EDGES), rate, side="right")


def fill_map_svg(report: Report, hazard: str, lang: str = "zh", *, title: bool = False,
                 max_height_mm: float = 104.0) -> str:
    """Counties of the unit coloured by the fill rate of their material need at the longest
    deadline (all materials: arrived / need), with a legend, scale bar and north arrow."""
    i = 0 if lang == "zh" else 1
    units = report.tables.get("supply_units", pd.DataFrame())
    units = units[units["hazard"] == hazard] if len(units) else units
    outlines = report.maps["outlines"]
    geoms = [shape(g) for g in outlines.loc[outlines["role"] == "unit", "geometry"] if g] or \
        [shape(g) for g in outlines["geometry"] if g]
    from shapely import union_all  # noqa: PLC0415

    width, legend_w = 720.0, 169.0
    frame = make_frame(union_all(geoms), 0.0, 20.0, width - legend_w - 8.0, max_height=max_height_mm / 0.25 - 24)
    def rate_of(code: str) -> float | None:  # a county's own rate; a city's or province's from its counties
        if not len(units):
            return None
        prefix = code[:2] if code.endswith("0000") else code[:4] if code.endswith("00") else code
        mine = units[units["adcode"].str.startswith(prefix)]
        return float(mine["arrived"].sum() / mine["need"].sum()) if len(mine) and mine["need"].sum() > 0 else None

    has_children = bool((outlines["role"] == "child").any())
    paths, line = [], []
    for row in outlines.itertuples(index=False):
        if not row.geometry:
            continue
        d = geometry_path(frame, shape(row.geometry))
        if row.role == "unit":
            line.append(f'<path d="{d}" fill="none" stroke="#333333" stroke-width="1.6"/>')
            if has_children:
                continue
        r = rate_of(str(row.adcode))
        fill = _NO_NEED if r is None else FILL_COLOURS[int(_fill_bin(np.array([r]))[0])]
        paths.append(f'<path class="county" d="{d}" fill="{fill}" stroke="#777777" stroke-width="0.6"/>')
    legend = Legend(frame.left + frame.width + 8.0, 20.0, legend_w - 1.0)
    legend.heading(("物资满足率（最长时限）", "Fill rate (longest deadline)")[i])
    for colour, label in zip(FILL_COLOURS, _FILL_LABELS):
        legend.swatch(colour, label[i])
    legend.swatch(_NO_NEED, ("无需求", "no need")[i])
    bar, _ = scale_bar(frame)
    north, _ = north_arrow(frame, ("北", "N")[i])
    x0, y0, x1, y1 = frame.box
    heading = (f"{report.name}：物资满足率（{term('hazard', hazard, lang)}）",
               f"{report.name}: material fill rate ({term('hazard', hazard, lang)})")[i]
    body = (text(0, 14, heading, 11, weight="bold", cls="title") if title else "") + (
            f'<g class="map"><rect x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" '
              f'fill="#ffffff" stroke="#888888" stroke-width="0.8"/>' + "".join(paths + line) + bar + north + "</g>"
            + legend.svg())
    return document(width, max(frame.top + frame.height, legend.bottom) + 2, body, heading, f"fill-map-{report.adcode}")


def add_supply(store: Store, hazards: list[str], adcode: str, unit_name: str, min_class: Any,
               access_overrides: dict[str, Any], tables: dict[str, pd.DataFrame],
               findings: list[Finding]) -> None:
    """Add the chapter's tables (``SUPPLY_TABLES``, all hazards concatenated) and findings to a
    report being built; nothing when the store has no materials (or no shares for a hazard)."""
    parts: dict[str, list[pd.DataFrame]] = {k: [] for k in SUPPLY_TABLES}
    for hazard in hazards:
        mc = min_class.get(hazard, 2) if isinstance(min_class, dict) else (2 if min_class is None else min_class)
        got = supply_tables(store, hazard, adcode, mc, access_overrides)
        if got is None:
            continue
        t, summary = got
        for k in SUPPLY_TABLES:
            parts[k].append(t[k])
        findings += supply_findings(hazard, unit_name, t, summary, adcode)
    for k, frames in parts.items():
        if frames:
            tables[k] = pd.concat(frames, ignore_index=True)
