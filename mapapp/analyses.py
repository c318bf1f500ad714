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
    chain_matrix,
    chains_from_store,
    coordination_from_store,
    dispatch_from_store,
    dispatch_lines,
    e2sfca_from_store,
    explain_site,
    gaps_from_store,
    index_from_store,
    site_from_store,
    siting_from_store,
)
from mapapp import context
from mapapp.i18n import label, t

#: Analyses in the order of the menu.
NAMES = ("gaps", "chains", "e2sfca", "coordination", "site", "siting", "dispatch", "index")
#: Controls each analysis uses (the others are hidden).
CONTROLS: dict[str, tuple[str, ...]] = {
    "gaps": ("hazard", "res", "minclass", "hours", "access"),
    "chains": ("hazard", "res", "minclass", "hours", "matrix", "access"),
    "e2sfca": ("res", "bands", "access"),
    "coordination": ("hazard", "res", "minclass", "tier", "hours", "access"),
    "site": ("hazard", "res", "sitekind", "top", "hours", "weights", "exclude", "point", "access"),
    "siting": ("hazard", "res", "minclass", "tier", "hours", "k", "access"),
    "dispatch": ("hazard", "res", "event", "point", "radius", "magnitude", "polygon", "access"),
    "index": ("res", "weights"),
}
#: Dispatch controls per event type.
EVENT_CONTROLS = {"point": ("point", "radius"), "quake": ("point", "magnitude"), "polygon": ("polygon",)}
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
    exclude: dict[str, float] = field(default_factory=dict)  # site: hazard -> class excluded from
    bands: dict[str, float] = field(default_factory=dict)  # e2sfca: upper hours -> weight
    access: dict[str, Any] = field(default_factory=dict)  # speed_kmh / detour / dispatch_delay_h overrides
    event: str = "point"
    lon: float | None = None
    lat: float | None = None
    radius_km: float = 20.0
    magnitude: float = 6.5
    polygon: dict[str, Any] | None = None
    unit: str | None = None
    matrix: dict[str, list[str]] | None = None  # hazard -> chains (the editable matrix)

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
        for key, conv, low, high in (("res", int, 0, 15), ("min_class", int, 1, 20), ("hours", float, 0.0, 240.0),
                                     ("k", int, 1, 50), ("top", int, 1, 500), ("lon", float, -180, 180),
                                     ("lat", float, -90, 90), ("radius_km", float, 0.0, 500.0),
                                     ("magnitude", float, 0.0, 10.0)):
            raw = values.get(key)
            if raw in (None, "", "auto"):
                continue
            try:
                number = float(raw)
                if conv is int:
                    if number != int(number):
                        raise ValueError
                    number = int(number)
            except (TypeError, ValueError, OverflowError):
                raise ValueError(f"{key}: found {raw!r:.30}; expected "
                                 f"{'a whole number' if conv is int else 'a number'}") from None
            if isinstance(number, float) and not math.isfinite(number) or not low <= number <= high:
                raise ValueError(f"{key}: found {raw!r:.30}; expected a number in {low}..{high}")
            setattr(p, key, number)
        p.weights = parse_weights(values.get("weights") or "")
        p.exclude = parse_weights(values.get("exclude") or "", "exclude")
        p.bands = parse_weights(values.get("bands") or "", "bands")
        p.access = parse_access(values.get("access") or "")
        p.polygon = values.get("polygon") or None
        matrix = values.get("matrix")
        if matrix is not None:
            if not isinstance(matrix, Mapping) or not all(
                    isinstance(v, list) and all(isinstance(c, str) for c in v) for v in matrix.values()):
                raise ValueError(f"matrix: found {str(matrix):.60}; expected hazard -> list of chain codes")
            p.matrix = {str(h): list(v) for h, v in matrix.items()}
        return p

    def resolution(self) -> int:
        return self.res if self.res is not None else (7 if self.unit else 6)

    def key(self) -> str:
        """Canonical JSON of the parameters (a cache key for downloads)."""
        return json.dumps(self.__dict__, sort_keys=True, ensure_ascii=False, default=str)


def parse_weights(text: str, key: str = "weights") -> dict[str, float]:
    """``"flood=2, earthquake=1"`` -> {"flood": 2.0, "earthquake": 1.0}; ValueError naming ``key``."""
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
            raise ValueError(f"{key}: found {item.strip()!r:.40}; expected name=number >= 0, e.g. flood=2")
        out[name.strip()] = value
    return out


def parse_access(text: str) -> dict[str, Any]:
    """``"speed.county=40, detour.mountain=1.8, delay=0.5"`` -> access overrides of the adapters."""
    out: dict[str, Any] = {}
    for name, value in parse_weights(text, "access").items():
        group, _, item = name.partition(".")
        if group in ("speed", "detour") and item:
            out.setdefault("speed_kmh" if group == "speed" else "detour", {})[item] = value
        elif name == "delay":
            out["dispatch_delay_h"] = value
        else:
            raise ValueError(f"access: found {name!r:.30}; expected speed.<tier>=km/h, detour.<terrain>=factor "
                             "or delay=hours, e.g. speed.county=40")
    return out


def _bands(p: Params) -> list[tuple[float, float]] | None:
    """The e2sfca bands typed as ``"2=1, 4=0.68, 6=0.22"`` (None: the defaults)."""
    try:
        return sorted((float(h), w) for h, w in p.bands.items()) or None
    except ValueError:
        raise ValueError(f"bands: found {list(p.bands)}; expected upper_hours=weight, e.g. 2=1, 4=0.68") from None


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
    bounds: list[list[float]] | None = None  # [[south, west], [north, east]] to show (local results)


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
    return {a: u["level"] for a, u in context.admin_index(store).items()}


def _names(store: Any) -> dict[str, str]:
    return {a: u["name"] for a, u in context.admin_index(store).items()}


def _inside_of(store: Any, unit: str) -> Callable[[str], bool]:
    """Is an adcode ``unit`` or below it? (``admin_units`` parent links, not adcode prefixes)."""
    tree = context.admin_index(store)

    def inside(code: str) -> bool:
        for _ in range(10):
            if code == unit:
                return True
            code = (tree.get(code) or {}).get("parent")
            if code is None:
                return False
        return False

    return inside


def _choropleth(store: Any, level: str, values: Mapping[str, float], breaks: list[float],
                unit: str | None) -> dict[str, Any]:
    """County/city polygons (the offline basemap's) with class ``c`` of their value."""
    gj = admin_geojson(store, level)
    inside = _inside_of(store, unit) if unit else None
    feats = []
    for f in gj["features"]:
        code = f["properties"].get("adcode")
        if code not in values:
            continue
        if unit and not inside(code):
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
                                   hours_by_tier=_hours_override(p, "county"), **p.access)
    levels = _levels(store)
    cells = _unit_filter(cells, p.unit, levels)
    inside = _inside_of(store, p.unit) if p.unit else None
    std = {**((store.meta.get("standards") or {}).get("hours_by_tier") or {}), **(_hours_override(p, "county") or {})}
    limit = float(std.get("county", 6.0))
    hours = cells["hours_county"].to_numpy(float) if "hours_county" in cells else np.full(len(cells), np.nan)
    breaks = [limit / 3, 2 * limit / 3, limit, limit * 4 / 3]
    hexes, pal, legend = _graded(cells["cell"], hours, breaks=breaks, palette=["#1a9850", "#91cf60", "#fee08b",
                                                                                "#fc8d59", "#d73027"], unit="h")
    legend[-2:] = [(pal[-2], legend[-2][1] + " " + t("ana.gap", lang)), (pal[-1], legend[-1][1] + " " + t("ana.gap", lang))]
    county = units[units["level"] == "county"].copy()
    if p.unit:
        county = county[[inside(c) for c in county["adcode"]]]
    share = (county["gap_area_km2"] / county["at_risk_area_km2"]).fillna(0.0)
    choro = _choropleth(store, "county", dict(zip(county["adcode"], share)), [0.001, 0.1, 0.3, 0.6], p.unit)
    gap_area = float(cells.loc[cells["gap"], "area_km2"].sum()) if "gap" in cells else float("nan")
    worst = county.sort_values("worst_hours", ascending=False).head(3)
    summary = [t("ana.gaps.summary", lang, hazard=label("hazard", p.hazard, lang) if p.hazard != "any" else t("ana.any", lang),
                 cells=len(cells), area=_fmt(float(cells["area_km2"].sum())), gap=_fmt(gap_area), hours=_fmt(limit),
                 counties=int((county["gap_area_km2"] > 0).sum()), n=len(county)),
               t("ana.gaps.worst", lang, items="、".join(f"{n} {_fmt(h)} h" for n, h in zip(worst["name"], worst["worst_hours"]))),
               t("ana.gaps.depots", lang, n=int((~county["has_county_depot"].astype(bool)).sum()) if "has_county_depot" in county else 0)]
    table = units if not p.unit else units[[inside(c) for c in units["adcode"]]]
    return AnalysisView("gaps", summary, table.reset_index(drop=True), _shown(
        county.assign(gap_share=share), "gap_area_km2", columns=[
            "name", "at_risk_area_km2", "gap_area_km2", "gap_share", "worst_hours", "p90_hours", "population",
            "has_county_depot", "missing_chains"]), hexes, pal,
                        legend, choro, method="layers/METHODS.md#gaps", cells=cells.reset_index(drop=True))


def run_e2sfca(store: Any, p: Params, lang: str) -> AnalysisView:
    res = p.resolution()
    cells, units, about = e2sfca_from_store(store, res, adcode=p.unit, **({"bands": _bands(p)} if p.bands else {}),
                                            **p.access)
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
                                            tier=p.tier, hours=p.hours, adcode=p.unit, **p.access)
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
    summary = [t("ana.siting.summary", lang, k=len(sites), tier=label("reserve_tier", p.tier, lang), hours=_fmt(summ["hours"]),
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


def run_chains(store: Any, p: Params, lang: str) -> AnalysisView:
    import plotly.graph_objects as go  # noqa: PLC0415

    res = p.resolution()
    hazards = None if p.hazard == "any" else [p.hazard]
    adcode = p.unit if p.unit and _levels(store).get(p.unit) in ("province", "city") else None
    matrix = {h: c for h, c in (p.matrix or {}).items() if hazards is None or h in hazards} or None
    df = chains_from_store(store, res, hazards, min_class=p.min_class, hours=p.hours or 6.0, adcode=adcode,
                           matrix=matrix, **p.access)
    mat = chain_matrix(df, "gap_score")
    names = dict(zip(df["city"], df["city_name"]))
    cols = [f"{label('hazard', h, lang)} · {label('chain', c, lang)}" for h, c in
            (str(k).split(":", 1) if ":" in str(k) else (k, "") for k in mat.columns)]
    z = mat.to_numpy(float)
    fig = go.Figure(go.Heatmap(z=z, x=cols, y=[names.get(c, c) for c in mat.index], colorscale="YlOrRd", zmin=0,
                               zmax=max(float(np.nanmax(z)) if z.size else 0.0, 0.05),
                               colorbar={"title": t("ana.chains.score", lang)}))
    fig.update_layout(margin={"l": 70, "r": 10, "t": 10, "b": 110}, font={"size": 10},
                      xaxis={"tickangle": -45})
    missing = df[df["missing"]].sort_values("gap_score", ascending=False)
    per_city = missing.groupby("city").size()
    choro = _choropleth(store, "city", per_city.reindex(list(names), fill_value=0).to_dict(), [0.5, 1.5, 2.5, 4.5],
                        None)
    top = missing.head(5)
    summary = [t("ana.chains.summary", lang, cities=len(names), missing=len(missing), hours=_fmt(p.hours or 6.0)),
               t("ana.chains.top", lang, items="、".join(
                   f"{r.city_name} {label('chain', r.chain, lang)}（{label('hazard', r.hazard, lang)}）"
                   for r in top.itertuples()) or t("ana.none", lang))]
    legend = [(SEQ[0], "0"), (SEQ[2], "1"), (SEQ[4], "2"), (SEQ[6], "3–4"), (SEQ[7], "≥ 5")]
    return AnalysisView("chains", summary, df, _shown(missing, columns=[
        "city_name", "hazard", "chain", "gap_score", "reach_share", "at_risk_km2", "enterprises_in_city",
        "above_size_in_city"]), None, [], [(c, t("ana.chains.legend", lang, n=n)) for c, n in legend], choro,
        figure=fig, method="layers/METHODS.md#chains")


def run_coordination(store: Any, p: Params, lang: str) -> AnalysisView:
    res = p.resolution()
    tier = p.tier if p.tier else "first_batch"
    units, depots, cells = coordination_from_store(store, p.hazard, res, min_class=p.min_class, tier=tier,
                                                   hours_by_tier=_hours_override(p, tier) if tier != "first_batch"
                                                   else None, **p.access)
    levels = _levels(store)
    cells = _unit_filter(cells, p.unit, levels)
    status = np.where(cells["covered_own"], 0, np.where(cells["covered_cross"], 1, 2))
    pal = [GOOD_BAD["covered_before"], GOOD_BAD["covered_new"], GOOD_BAD["uncovered"]]
    legend = [(pal[0], t("ana.coord.own", lang)), (pal[1], t("ana.coord.cross", lang)),
              (pal[2], t("ana.coord.none", lang))]
    hexes = _hex_payload(cells["cell"], status, cells["area_km2"].to_numpy(float))
    prov = units[units["level"] == "province"]
    top = depots[depots["cross_gain_km2"] > 0].head(10)
    overlay = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(r.lon), float(r.lat)]},
         "properties": {"kind": "reserve", "name": f"{r.name} · +{_fmt(float(r.cross_gain_km2))} km²"}}
        for r in top.itertuples()]}
    summary = [t("ana.coord.summary", lang, tier=label("reserve_tier", tier, lang) if tier != "first_batch"
                 else t("ana.coord.first_batch", lang), items="；".join(
                     f"{r.name} {100 * r.share_own:.1f}% → {100 * r.share_cross:.1f}%" for r in prov.itertuples()))]
    if len(top):
        summary.append(t("ana.coord.depots", lang, items="、".join(
            f"{r.name}（+{_fmt(float(r.cross_gain_km2))} km²）" for r in top.head(5).itertuples())))
    table = units if not p.unit else units[[_inside_of(store, p.unit)(c) for c in units["adcode"]]]
    shown = table[table["level"] == ("county" if p.unit else "city")]
    return AnalysisView("coordination", summary, table.reset_index(drop=True), _shown(shown, "gain_km2", columns=[
        "name", "at_risk_km2", "covered_own_km2", "covered_cross_km2", "gain_km2", "gain_share", "gain_population"]),
        hexes, pal, legend, None, overlay, method="layers/METHODS.md#coordination", cells=cells.reset_index(drop=True))


def run_site(store: Any, p: Params, lang: str) -> AnalysisView:
    res = p.resolution()
    hazards = None if p.hazard == "any" else [p.hazard]
    common = {"kind": p.site_kind, "res": res, "hazards": hazards, "hours": p.hours,
              "weights": p.weights or None, "exclude": p.exclude or None, "adcode": p.unit, **p.access}
    if p.lon is not None and p.lat is not None:
        row = site_from_store(store, at=(p.lon, p.lat), **common)
        parts = explain_site(row)
        table = pd.DataFrame([{"component": t(f"ana.site.{c}", lang), "score": v.get("score"),
                               "weight": v.get("weight"), "contribution": v.get("contribution"),
                               "raw": v.get("raw"), "unit": _site_unit(c, v.get("unit"), lang)}
                              for c, v in parts.items()])
        r = row.iloc[0]
        summary = [t("ana.site.at", lang, lon=f"{p.lon:.5f}", lat=f"{p.lat:.5f}", cell=r["cell"],
                     kind=t(f"ana.kind.{p.site_kind}", lang), score=f"{float(r['score']):.3f}", rank=int(r["rank"]))]
        if r.get("excluded_by"):
            summary.append(t("ana.site.excluded", lang, why=r["excluded_by"]))
        overlay = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {
            "type": "Point", "coordinates": [p.lon, p.lat]}, "properties": {"kind": "site", "order": "★",
                                                                            "name": f"{float(r['score']):.3f}"}}]}
        return AnalysisView("site", summary, table, table, None, [], [], None, overlay,
                            method="layers/METHODS.md#site", cells=row.reset_index(drop=True),
                            bounds=[[p.lat - 0.3, p.lon - 0.4], [p.lat + 0.3, p.lon + 0.4]])
    df = site_from_store(store, top=p.top, **common)
    values = df["score"].to_numpy(float)
    hexes, pal, legend = _graded(df["cell"], values, n=5)
    names = _names(store)
    df = df.assign(county_name=[names.get(c, "") for c in df["county"]])
    overlay = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(r.lon), float(r.lat)]},
         "properties": {"kind": "site", "order": int(r.rank), "name": f"{r.county_name} {float(r.score):.3f}"}}
        for r in df.head(10).itertuples()]}
    best = df.iloc[0] if len(df) else None
    summary = [t("ana.site.top", lang, n=len(df), kind=t(f"ana.kind.{p.site_kind}", lang),
                 best=f"{best['county_name']} {float(best['score']):.3f}" if best is not None else "—")]
    comp = [c for c in df.columns if c.endswith("_score")]
    bounds = ([[float(df["lat"].min()) - 0.15, float(df["lon"].min()) - 0.2],
               [float(df["lat"].max()) + 0.15, float(df["lon"].max()) + 0.2]] if len(df) else None)
    return AnalysisView("site", summary, df, _shown(df, columns=["rank", "county_name", "score", *comp, "excluded_by"]),
                        hexes, pal, legend, None, overlay, method="layers/METHODS.md#site", cells=df, bounds=bounds)


def _site_unit(component: str, unit: Any, lang: str) -> str:
    """The unit of a site component's raw value, in the user's language."""
    if component == "demand":
        return t("ana.site.unit.demand_people" if "people" in str(unit) else "ana.site.unit.demand_km2", lang)
    return t(f"ana.site.unit.{component}", lang)


def run_dispatch(store: Any, p: Params, lang: str) -> AnalysisView:
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
        hexes, pal, legend = _graded(pd.Series(_h3_strings(event.cells)), values, breaks=[0.1, 0.15, 0.2, 0.3, 0.4],
                                     unit="g PGA")
    else:
        hexes, pal, legend = (_hex_payload(pd.Series(_h3_strings(event.cells)), np.zeros(len(event.cells), int),
                                           np.zeros(len(event.cells))), ["#d7301f"], [("#d7301f", t("ana.dispatch.area", lang))])
    met = summ.get("standards_met") or {}
    fastest = summ.get("fastest_by_tier") or {}
    summary = [t("ana.dispatch.summary", lang, cells=summ["affected_cells"], area=_fmt(summ["area_km2"]),
                 population=_fmt(summ["population"]) if summ.get("population") is not None else "—")]
    if "max_pga" in summ:
        summary.append(t("ana.dispatch.quake", lang, pga=_fmt(summ["max_pga"]), intensity=summ["max_intensity"]))
    summary += [t("ana.dispatch.tier", lang, tier=label("reserve_tier", tier, lang), name=f["name"],
                  hours=_fmt(f["hours"]), standard=_fmt(f.get("standard_h")) if f.get("standard_h") is not None else "—",
                  ok=t("ana.yes" if met.get(tier) else "ana.no", lang))
                for tier, f in fastest.items() if tier in met]
    lons = [c[0] for c in _coords(event.geometry)] or [event.centre[0]]
    lats = [c[1] for c in _coords(event.geometry)] or [event.centre[1]]
    pad = 0.1
    bounds = [[min(lats) - pad, min(lons) - pad], [max(lats) + pad, max(lons) + pad]]
    shown = table.assign(tier=[label("reserve_tier", x, lang) if isinstance(x, str) else x for x in table["tier"]],
                         kind=[t(f"ana.dispatch.kind.{k}", lang) for k in table["kind"]])
    return AnalysisView("dispatch", summary, table, _shown(shown, columns=[
        "rank", "kind", "name", "tier", "hours", "standard_h", "meets_standard", "capacity", "road_km"]),
        hexes, pal, legend, None, overlay, method="layers/METHODS.md#dispatch", bounds=bounds)


def run_index(store: Any, p: Params, lang: str) -> AnalysisView:
    res = p.resolution()
    df = index_from_store(store, res, weights=p.weights or None, adcode=p.unit)
    pal = [SEQ[0], SEQ[2], SEQ[4], SEQ[6], SEQ[7]]
    labels = ["0–0.2", "0.2–0.4", "0.4–0.6", "0.6–0.8", "0.8–1"]
    hexes = _hex_payload(df["cell"], df["index_class"].to_numpy(int) - 1, df["index"].to_numpy(float))
    shares = df.groupby("index_class").size().reindex(range(1, 6), fill_value=0) / max(len(df), 1)
    weights = df.attrs.get("index", {}).get("weights") or p.weights or {}
    summary = [t("ana.index.summary", lang, cells=len(df), res=res, weights="、".join(
        f"{label('hazard', h, lang)} {w:g}" for h, w in weights.items()) or "—",
        high=f"{100 * float(shares.loc[4:].sum()):.1f}")]
    county = df.groupby("county", dropna=True)["index"].mean()
    names = _names(store)
    top = county.sort_values(ascending=False).head(5)
    summary.append(t("ana.index.top", lang, items="、".join(f"{names.get(c, c)} {v:.2f}" for c, v in top.items())))
    table = pd.DataFrame({"adcode": county.index, "name": [names.get(c, c) for c in county.index],
                          "mean_index": county.to_numpy()}) if len(county) else pd.DataFrame()
    return AnalysisView("index", summary, df, _shown(table, "mean_index"), hexes, pal,
                        [(c, lab) for c, lab in zip(pal, labels)], None, method="layers/METHODS.md#index", cells=df)


def _coords(geometry: Mapping[str, Any]) -> list[list[float]]:
    """Every [lon, lat] position of a Polygon or MultiPolygon."""
    rings = geometry.get("coordinates") or []
    if geometry.get("type") == "MultiPolygon":
        rings = [r for poly in rings for r in poly]
    return [pos for ring in rings for pos in ring]


def _h3_strings(cells: np.ndarray) -> list[str]:
    return [format(int(c), "x") for c in np.asarray(cells, np.uint64)]


RUNNERS: dict[str, Callable[[Any, Params, str], AnalysisView]] = {
    "gaps": run_gaps, "chains": run_chains, "e2sfca": run_e2sfca, "coordination": run_coordination,
    "site": run_site, "siting": run_siting, "dispatch": run_dispatch, "index": run_index,
}


def run(store: Any, p: Params, lang: str) -> AnalysisView:
    """Run the analysis ``p.kind``; ``ValueError``/``LookupError`` from ``layers`` pass through
    (``UserError`` for a unit that is not in the store)."""
    if p.unit is not None:
        context.check_unit(store, p.unit)
    return RUNNERS[p.kind](store, p, lang)
