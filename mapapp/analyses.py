"""The analyses panel: parameters from the page -> one ``layers`` analysis -> what the page shows.

Each analysis has a runner ``run_<name>(store, p, lang) -> AnalysisView``: it calls the
``layers`` adapter (which validates and raises ``ValueError`` with the reason), then turns the
result into map data (compact hexagons for ``onemap.cb.hexLayer``, a choropleth or an overlay of
points and lines, all GeoJSON [lng, lat]), a summary, a table and the full table for download.
No analysis is computed here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from layers import (
    admin_geojson,
    e2sfca_from_store,
    gaps_from_store,
    siting_from_store,
)
from mapapp.i18n import label, t

#: Analyses in the order of the menu.
NAMES = ("gaps", "chains", "e2sfca", "coordination", "site", "siting", "dispatch", "index")
#: Controls each analysis uses (the others are hidden).
CONTROLS: dict[str, tuple[str, ...]] = {
    "gaps": ("hazard", "res", "minclass", "hours"),
    "chains": ("hazard", "res", "minclass", "hours"),
    "e2sfca": ("res",),
    "coordination": ("hazard", "res", "minclass", "tier", "hours"),
    "site": ("hazard", "res", "sitekind", "top", "hours", "weights", "point"),
    "siting": ("hazard", "res", "minclass", "tier", "hours", "k"),
    "dispatch": ("hazard", "res", "event", "point", "radius", "magnitude", "polygon"),
    "index": ("res", "weights"),
}
ROW_LIMIT = 200  # rows shown in the panel table; downloads carry every row
#: Sequential palette for scores and counts (light to dark), a diverging one for before/after.
SEQ = ["#ffffe5", "#fff7bc", "#fee391", "#fec44f", "#fe9929", "#ec7014", "#cc4c02", "#8c2d04"]
GOOD_BAD = {"covered_before": "#1a9850", "covered_new": "#4575b4", "uncovered": "#d73027"}


@dataclass
class Params:
    """The panel's controls, as typed values (``from_controls`` checks them)."""

    kind: str = "gaps"
    hazard: str = "flood"
    res: int | None = None  # None: 6 for the whole region, 7 inside a unit
    min_class: int | None = None
    hours: float | None = None
    tier: str = "county"
    k: int = 3
    site_kind: str = "depot"
    top: int = 20
    weights: dict[str, float] = field(default_factory=dict)
    event: str = "point"
    lon: float | None = None
    lat: float | None = None
    radius_km: float = 20.0
    magnitude: float = 6.5
    polygon: dict[str, Any] | None = None
    unit: str | None = None

    @classmethod
    def from_controls(cls, values: Mapping[str, Any]) -> Params:
        """Controls -> Params; ``ValueError`` naming the control for a bad value."""
        p = cls()
        kind = values.get("kind") or "gaps"
        if kind not in NAMES:
            raise ValueError(f"kind: found {kind!r:.30}; expected one of {list(NAMES)}")
        p.kind = kind
        for key, conv in (("hazard", str), ("tier", str), ("site_kind", str), ("event", str), ("unit", str)):
            if values.get(key) not in (None, ""):
                setattr(p, key, conv(values[key]))
        for key, conv, low in (("res", int, 0), ("min_class", int, 1), ("hours", float, 0.0), ("k", int, 1),
                               ("top", int, 1), ("lon", float, -180), ("lat", float, -90),
                               ("radius_km", float, 0.0), ("magnitude", float, 0.0)):
            raw = values.get(key)
            if raw in (None, "", "auto"):
                continue
            try:
                number = conv(raw)
            except (TypeError, ValueError):
                raise ValueError(f"{key}: found {raw!r:.30}; expected a number") from None
            if isinstance(number, float) and not math.isfinite(number) or number < low:
                raise ValueError(f"{key}: found {raw!r:.30}; expected a number >= {low}")
            setattr(p, key, number)
        p.weights = parse_weights(values.get("weights") or "")
        p.polygon = values.get("polygon") or None
        return p

    def resolution(self) -> int:
        return self.res if self.res is not None else (7 if self.unit else 6)

    def key(self) -> str:
        """Canonical JSON of the parameters (a cache key for downloads)."""
        return json.dumps(self.__dict__, sort_keys=True, ensure_ascii=False, default=str)


def parse_weights(text: str) -> dict[str, float]:
    """``"flood=2, earthquake=1"`` -> {"flood": 2.0, "earthquake": 1.0}; ValueError otherwise."""
    out: dict[str, float] = {}
    for item in str(text).replace("，", ",").replace("；", ",").replace(";", ",").split(","):
        if not item.strip():
            continue
        name, sep, number = item.partition("=")
        try:
            value = float(number)
        except ValueError:
            value = float("nan")
        if not sep or not name.strip() or not math.isfinite(value) or value < 0:
            raise ValueError(f"weights: found {item.strip()!r:.40}; expected name=number >= 0, e.g. flood=2")
        out[name.strip()] = value
    return out


@dataclass
class AnalysisView:
    """What the page shows for one run."""

    name: str
    summary: list[str]
    table: pd.DataFrame  # the full result, for downloads
    shown: pd.DataFrame  # the panel's table (at most ROW_LIMIT rows)
    hexes: dict[str, list] | None = None  # {"cells", "cls", "value"} for onemap.cb.hexLayer
    palette: list[str] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    choropleth: dict[str, Any] | None = None  # GeoJSON of units, property "c" = class
    overlay: dict[str, Any] | None = None  # GeoJSON points/lines, properties "kind", "name", "hours"
    figure: Any = None  # a plotly figure (chains heatmap)
    method: str = ""
    cells: pd.DataFrame | None = None  # the per-hexagon result (GeoJSON download), H3 strings in "cell"


# --- helpers -------------------------------------------------------------------------------------

def _classes(values: np.ndarray, breaks: list[float]) -> np.ndarray:
    """Class of each value: number of ``breaks`` <= value (NaN -> 0)."""
    v = np.nan_to_num(np.asarray(values, float), nan=-np.inf)
    return np.searchsorted(np.asarray(breaks, float), v, side="right")


def _quantile_breaks(values: np.ndarray, n: int) -> list[float]:
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return []
    qs = np.unique(np.quantile(v, np.linspace(0, 1, n + 1)[1:-1]))
    return [float(q) for q in qs]


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _hex_payload(cells: pd.Series, cls: np.ndarray, values: np.ndarray) -> dict[str, list]:
    return {"cells": [str(c) for c in cells], "cls": [int(c) for c in cls],
            "value": [None if not np.isfinite(v) else round(float(v), 4) for v in np.asarray(values, float)]}


def _graded(cells: pd.Series, values: np.ndarray, n: int = 6, breaks: list[float] | None = None,
            palette: list[str] | None = None, unit: str = "") -> tuple[dict, list[str], list[tuple[str, str]]]:
    """Hexagons classed by ``breaks`` (default: quantiles) with a legend."""
    breaks = _quantile_breaks(values, n) if breaks is None else breaks
    pal = palette or SEQ
    pal = [pal[round(i * (len(pal) - 1) / max(len(breaks), 1))] for i in range(len(breaks) + 1)]
    cls = _classes(values, breaks)
    edges = [_fmt(b) for b in breaks]
    texts = ([f"< {edges[0]}"] + [f"{edges[i]} – {edges[i + 1]}" for i in range(len(edges) - 1)]
             + [f"≥ {edges[-1]}"]) if edges else ["—"]
    legend = [(pal[i], f"{texts[i]} {unit}".strip()) for i in range(len(breaks) + 1)]
    return _hex_payload(cells, cls, values), pal, legend


def _unit_filter(df: pd.DataFrame, unit: str | None, tree: Mapping[str, str]) -> pd.DataFrame:
    """Rows of ``df`` (with ``county``/``city``/``province`` or ``adcode``) inside ``unit``."""
    if not unit or df.empty:
        return df
    level = tree.get(unit)
    if level and level in df.columns:
        return df[df[level].astype(str) == unit]
    return df


def _levels(store: Any) -> dict[str, str]:
    units = store.query("SELECT adcode, level FROM admin_units")
    return dict(zip(units["adcode"], units["level"]))


def _names(store: Any) -> dict[str, str]:
    units = store.query("SELECT adcode, name FROM admin_units")
    return dict(zip(units["adcode"], units["name"]))


def _choropleth(store: Any, level: str, values: Mapping[str, float], breaks: list[float],
                unit: str | None) -> dict[str, Any]:
    """County/city polygons (the offline basemap's) with class ``c`` of their value."""
    gj = admin_geojson(store, level)
    feats = []
    for f in gj["features"]:
        code = f["properties"].get("adcode")
        if code not in values:
            continue
        if unit and unit not in (code, f["properties"].get("parent"), code[:2] + "0000"):
            continue
        v = float(values[code])
        feats.append({"type": "Feature", "geometry": f["geometry"],
                      "properties": {"adcode": code, "name": f["properties"].get("name"), "v": round(v, 4),
                                     "c": int(_classes(np.array([v]), breaks)[0])}})
    return {"type": "FeatureCollection", "features": feats}


def _shown(df: pd.DataFrame, sort: str | None = None, ascending: bool = False,
           columns: list[str] | None = None) -> pd.DataFrame:
    """The panel's rows (sorted, at most ROW_LIMIT) and columns (those present of ``columns``)."""
    out = df.sort_values(sort, ascending=ascending, kind="stable") if sort and sort in df else df
    if columns:
        out = out[[c for c in columns if c in out.columns]]
    return out.head(ROW_LIMIT).reset_index(drop=True)


def _hours_override(p: Params, tier: str) -> dict[str, float] | None:
    return {tier: p.hours} if p.hours is not None else None


# --- runners -------------------------------------------------------------------------------------

def run_gaps(store: Any, p: Params, lang: str) -> AnalysisView:
    res = p.resolution()
    cells, units = gaps_from_store(store, p.hazard, res, min_class=p.min_class,
                                   hours_by_tier=_hours_override(p, "county"))
    levels = _levels(store)
    cells = _unit_filter(cells, p.unit, levels)
    std = {**((store.meta.get("standards") or {}).get("hours_by_tier") or {}), **(_hours_override(p, "county") or {})}
    limit = float(std.get("county", 6.0))
    hours = cells["hours_county"].to_numpy(float) if "hours_county" in cells else np.full(len(cells), np.nan)
    breaks = [limit / 3, 2 * limit / 3, limit, limit * 4 / 3]
    hexes, pal, legend = _graded(cells["cell"], hours, breaks=breaks, palette=["#1a9850", "#91cf60", "#fee08b",
                                                                                "#fc8d59", "#d73027"], unit="h")
    legend[-2:] = [(pal[-2], legend[-2][1] + " " + t("ana.gap", lang)), (pal[-1], legend[-1][1] + " " + t("ana.gap", lang))]
    county = units[units["level"] == "county"].copy()
    if p.unit:
        county = county[[_inside(c, p.unit, levels) for c in county["adcode"]]]
    share = (county["gap_area_km2"] / county["at_risk_area_km2"]).fillna(0.0)
    choro = _choropleth(store, "county", dict(zip(county["adcode"], share)), [0.001, 0.1, 0.3, 0.6], p.unit)
    gap_area = float(cells.loc[cells["gap"], "area_km2"].sum()) if "gap" in cells else float("nan")
    worst = county.sort_values("worst_hours", ascending=False).head(3)
    summary = [t("ana.gaps.summary", lang, hazard=label("hazard", p.hazard, lang) if p.hazard != "any" else t("ana.any", lang),
                 cells=len(cells), area=_fmt(float(cells["area_km2"].sum())), gap=_fmt(gap_area), hours=_fmt(limit),
                 counties=int((county["gap_area_km2"] > 0).sum()), n=len(county)),
               t("ana.gaps.worst", lang, items="、".join(f"{n} {_fmt(h)} h" for n, h in zip(worst["name"], worst["worst_hours"]))),
               t("ana.gaps.depots", lang, n=int((~county["has_county_depot"].astype(bool)).sum()) if "has_county_depot" in county else 0)]
    table = units if not p.unit else units[[_inside(c, p.unit, levels) for c in units["adcode"]]]
    return AnalysisView("gaps", summary, table.reset_index(drop=True), _shown(
        county.assign(gap_share=share), "gap_area_km2", columns=[
            "name", "at_risk_area_km2", "gap_area_km2", "gap_share", "worst_hours", "p90_hours", "population",
            "has_county_depot", "missing_chains"]), hexes, pal,
                        legend, choro, method="layers/METHODS.md#gaps", cells=cells.reset_index(drop=True))


def _inside(code: str, unit: str, levels: Mapping[str, str]) -> bool:
    """Is admin unit ``code`` inside (or equal to) ``unit``? (adcode prefixes: 2 province, 4 city)."""
    lv = levels.get(unit)
    return code == unit or (lv == "province" and code[:2] == unit[:2]) or (lv == "city" and code[:4] == unit[:4])


def run_e2sfca(store: Any, p: Params, lang: str) -> AnalysisView:
    res = p.resolution()
    cells, units, about = e2sfca_from_store(store, res, adcode=p.unit)
    per_person = about["demand"] == "population"
    values = cells["per_1000"].to_numpy(float) if per_person else cells["accessibility"].to_numpy(float)
    unit_text = t("ana.e2sfca.per_1000" if per_person else "ana.e2sfca.per_km2", lang, unit=about["unit"].split()[0])
    hexes, pal, legend = _graded(cells["cell"], values, n=6, palette=list(reversed(SEQ)), unit=unit_text)
    county = units[units["level"] == "county"]
    col = "per_1000" if per_person else "accessibility"
    choro = _choropleth(store, "county", dict(zip(county["adcode"], county[col])),
                        _quantile_breaks(county[col].to_numpy(float), 5), p.unit)
    low = county.sort_values(col).head(3)
    summary = [t("ana.e2sfca.summary", lang, supplies=about["supplies"], capacity=_fmt(about["total_capacity"]),
                 unit=unit_text, demand=t(f"ana.demand.{about['demand']}", lang)),
               t("ana.e2sfca.lowest", lang, items="、".join(f"{n} {_fmt(v)}" for n, v in zip(low["name"], low[col])))]
    return AnalysisView("e2sfca", summary, units, _shown(county, col, ascending=True, columns=[
        "name", "demand", col, "min", "max", "share_zero"]), hexes, pal, legend, choro,
                        method="layers/METHODS.md#e2sfca", cells=cells)


def run_siting(store: Any, p: Params, lang: str) -> AnalysisView:
    res = p.resolution()
    sites, summ, demand = siting_from_store(store, p.k, hazard=p.hazard, res=res, min_class=p.min_class,
                                            tier=p.tier, hours=p.hours, adcode=p.unit)
    status = np.where(demand["covered_before"], 0, np.where(demand["covered_after"], 1, 2))
    pal = [GOOD_BAD["covered_before"], GOOD_BAD["covered_new"], GOOD_BAD["uncovered"]]
    legend = [(pal[0], t("ana.siting.before", lang)), (pal[1], t("ana.siting.new", lang)),
              (pal[2], t("ana.siting.uncovered", lang))]
    hexes = _hex_payload(demand["cell"], status, demand["weight"].to_numpy(float))
    names = _names(store)
    sites = sites.assign(county_name=[names.get(c, "") for c in sites["county"]])
    overlay = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(r.lon), float(r.lat)]},
         "properties": {"kind": "site", "name": f"{t('ana.siting.site', lang)} {int(r.order)} · {r.county_name}",
                        "order": int(r.order)}} for r in sites.itertuples()]}
    summary = [t("ana.siting.summary", lang, k=p.k, tier=label("reserve_tier", p.tier, lang), hours=_fmt(summ["hours"]),
                 before=f"{100 * summ['before_share']:.1f}", after=f"{100 * summ['after_share']:.1f}",
                 area_before=_fmt(summ["covered_area_before_km2"]), area_after=_fmt(summ["covered_area_after_km2"]),
                 total=_fmt(summ["at_risk_area_km2"])),
               t("ana.siting.quality", lang, objective=_fmt(summ["objective"]), bound=_fmt(summ["bound"]),
                 gap=f"{100 * summ['gap']:.2f}", solver=summ["solver"], seconds=f"{summ['seconds']:.1f}")]
    if not len(sites):
        summary.append(t("ana.siting.nothing", lang))
    return AnalysisView("siting", summary, sites, _shown(sites, columns=[
        "order", "county_name", "lon", "lat", "gain_area_km2", "gain_population", "gain_weight"]), hexes, pal, legend, None, overlay,
                        method="layers/METHODS.md#siting", cells=demand)


RUNNERS: dict[str, Callable[[Any, Params, str], AnalysisView]] = {
    "gaps": run_gaps, "e2sfca": run_e2sfca, "siting": run_siting,
}


def run(store: Any, p: Params, lang: str) -> AnalysisView:
    """Run the analysis ``p.kind``; ``ValueError``/``LookupError`` from ``layers`` pass through."""
    return RUNNERS[p.kind](store, p, lang)
