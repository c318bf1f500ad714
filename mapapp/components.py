"""Results from ``layers`` -> Dash components and GeoJSON (no data access, no analysis).

Every string from a data file goes into a component as a child string (text, never HTML).
"""

from __future__ import annotations

import re
from typing import Any

import plotly.graph_objects as go
from dash import dcc, html

from layers import english_text, measure_text, units_name
from mapapp import style
from mapapp.i18n import label, t

ENTITY_VOCAB = {"parks": "park_level", "reserves": "reserve_tier"}


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)


# -- GeoJSON for the map -------------------------------------------------------------------

def points_geojson(points: dict[str, Any]) -> dict[str, Any]:
    """``facility_points_in_view`` parallel arrays -> a FeatureCollection ([lng, lat])."""
    keys = [k for k in points if isinstance(points[k], list) and k not in ("lon", "lat")]
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
         "properties": {k: points[k][i] for k in keys}}
        for i, (lon, lat) in enumerate(zip(points["lon"], points["lat"]))]}


def hexes_geojson(agg: dict[str, Any]) -> dict[str, Any]:
    """``facility_hexes_in_view`` counts -> Points at cell centres flagged ``agg``; a facility
    alone in its cell -> itself (its point, symbol and card, not a bubble reading "1")."""
    singles = points_geojson(agg["singles"])["features"] if agg.get("singles") else []
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lng, lat]},
         "properties": {"agg": True, "cell": cell, "count": n}}
        for cell, n, lat, lng in zip(agg["cells"], agg["count"], agg["lat"], agg["lng"])] + singles}


# -- legends --------------------------------------------------------------------------------

def swatch(colour: str, text: str, shape: str = "box") -> html.Div:
    """A legend row: a swatch of ``shape`` (box, dot, a park shape; line, dash: routes and
    outlines, drawn in ``currentColor``) and its text."""
    return html.Div([html.Span(className=f"om-swatch om-swatch-{shape}", style={"background": colour, "color": colour}),
                     html.Span(text)], className="om-legend-row")


def hazard_legend(layer: dict[str, Any], lang: str) -> html.Div:
    palette = style.hazard_palette(layer["hazard"], len(layer["labels"]))
    rows = [swatch(c, f"{k} · {text}") for k, (c, text) in enumerate(zip(palette, layer["labels"]))]
    return html.Div([*rows, html.Div(t("legend.units", lang, units=units_name(layer["units"], lang)),
                                     className="om-legend-note"), _provenance(layer, lang)], className="om-legend")


def _provenance(layer: dict[str, Any], lang: str) -> html.Div | None:
    """Real or synthetic, with the layer's description in the UI language (``"中文 / English"``)."""
    text = layer.get("description") or ""
    if not text:
        return None
    parts = [p.strip() for p in text.split(" / ", 1)]
    text = parts[0] if lang == "zh" or len(parts) == 1 else parts[1]
    # the label says real or synthetic; a description that starts by saying so too loses that word
    text = re.sub(r"^(合成|真实)[：:]\s*|^(synthetic|real)\b:?\s*", "", text, flags=re.IGNORECASE) or text
    key = "legend.synthetic" if layer.get("synthetic") else "legend.real"
    return html.Div(t(key, lang, text=text), className="om-legend-note om-provenance")


def facility_legend(entity: str, lang: str) -> html.Div:
    if entity == "parks":
        rows = [html.Div(t("legend.park_level", lang), className="om-legend-note")]
        rows += [swatch("#444", label("park_level", k, lang), shape=s) for k, s in style.PARK_SHAPES.items()]
        rows += [html.Div(t("legend.park_role", lang), className="om-legend-note")]
        rows += [swatch(c, label("park_role", k, lang)) for k, c in style.ROLE_COLOURS.items()]
    elif entity == "reserves":
        rows = [html.Div(t("legend.tier", lang), className="om-legend-note")]
        rows += [swatch(c, label("reserve_tier", k, lang)) for k, c in style.TIER_COLOURS.items()]
    else:
        rows = [html.Div(t("legend.chain", lang), className="om-legend-note")]
        rows += [swatch(c, label("chain", k, lang), shape="dot") for k, c in style.CHAIN_COLOURS.items()]
        rows += [html.Div(t("legend.enterprise_size", lang), className="om-legend-note")]
    return html.Div(rows, className="om-legend")


# -- cards ------------------------------------------------------------------------------------

def _table(header: list[str], rows: list[list[Any]]) -> html.Table:
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in header])),
                       html.Tbody([html.Tr([html.Td(_fmt(v)) for v in row]) for row in rows])],
                      className="om-table")


def cell_card(card: dict[str, Any], lang: str) -> html.Div:
    """The card of a clicked hexagon (``layers.cell_card``)."""
    admin = card.get("admin") or {}
    place = " · ".join(_name(a["name"], lang) for a in (admin.get("province"), admin.get("city"), admin.get("county"))
                       if a)
    parts: list[Any] = [
        html.H4(t("card.cell", lang, cell=card["cell"], res=card["res"], area=_fmt(card["area_km2"]))),
        html.P([html.B(t("card.location", lang) + ("：" if lang == "zh" else ": ")), place or "—"],
               className="om-card-place"),
    ]
    for hz in card["hazards"]:
        name = label("hazard", hz["hazard"], lang)
        if hz.get("max") is None:
            parts.append(html.P(f"{name}：{t('card.no_data', lang)}"))
            continue
        shares = hz.get("share_at_or_above") or []
        units = hz["units"]
        colon = "：" if lang == "zh" else ": "
        if hz.get("lower_is_worse"):  # distance bands: share[i] is the share below breaks[n-1-i]
            share_row = (t("card.shares_below", lang), "  ".join(
                f"<{measure_text(b, units, lang, with_units=False)}{colon}{100 * v:.0f}%"
                for b, v in zip(reversed(hz["breaks"]), shares)))
        else:
            share_row = (t("card.shares", lang), "  ".join(
                f"≥{measure_text(b, units, lang, with_units=False)}{colon}{100 * v:.0f}%"
                for b, v in zip(hz["breaks"], shares)))
        rows = [(t("card.max", lang), measure_text(hz["max"], units, lang)),
                (t("card.mean", lang), measure_text(hz["mean"], units, lang)),
                (t("card.class", lang), f"{hz['cls']} · {hz.get('label', '')}"), share_row]
        parts += [html.H5(name), _kv_table(rows), _provenance(hz, lang)]
        if hz.get("sampled"):
            parts.append(html.P(t("card.sampled", lang), className="om-note"))
    counts = card.get("counts") or {}
    if counts:
        around_km = card.get("around_km")
        parts += [html.H5(t("card.counts", lang)), _table(
            ["", t("card.in_cell", lang), t("card.around", lang, km=_fmt(around_km, 2))],
            [[t(f"layer.{e}", lang), c.get("in_cell"), c.get("around")] for e, c in counts.items()])]
    parts.append(html.Div([
        html.Button(t("ana.here.site", lang), id={"type": "ana-here", "kind": "site"}, className="om-button"),
        html.Button(t("ana.here.dispatch", lang), id={"type": "ana-here", "kind": "dispatch"}, className="om-button"),
    ], className="om-ana-buttons"))
    return html.Div(parts, className="om-card", id="map-card-cell")


def facility_card(card: dict[str, Any], lang: str) -> html.Div:
    """The card of a clicked park, enterprise or reserve (``layers.facility_card``)."""
    entity = card["entity"]
    rows: list[tuple[str, Any]] = []
    if entity == "parks":
        rows += [(t("card.level", lang), label("park_level", card.get("level"), lang)),
                 (t("card.role", lang), label("park_role", card.get("role"), lang))]
    if entity == "reserves":
        rows += [(t("card.tier", lang), label("reserve_tier", card.get("tier"), lang)),
                 (t("card.kind", lang), label("reserve_kind", card.get("kind"), lang))]
        if card.get("capacity") is not None:
            rows.append((t("card.capacity", lang), f"{_fmt(card['capacity'])} {card.get('capacity_unit') or ''}"))
        if card.get("categories"):
            rows.append((t("card.categories", lang), "、".join(card["categories"])))
    if entity == "enterprises":
        flags = [t("card.leading", lang)] * bool(card.get("leading")) + [t("card.above_size", lang)] * bool(card.get("above_size"))
        rows += [(t("card.flags", lang), "、".join(flags) or "—")]
        if card.get("output_yi") is not None:
            rows.append((t("card.output", lang), _fmt(card["output_yi"])))
        if card.get("products"):
            rows.append((t("card.products", lang), card["products"]))
    if card.get("chains"):
        rows.append((t("card.chains", lang), "、".join(label("chain", c, lang) for c in card["chains"])))
    rows += [(t("card.address", lang), _name(card.get("address") or "—", lang)),
             (t("card.adcode", lang), card.get("adcode") or "—"),
             (t("card.precision", lang), label("precision", card.get("precision"), lang)),
             (t("card.source", lang), f"{card.get('source_file') or card.get('source')} · "
                                      f"{t('card.source_row', lang, row=card.get('source_row'))}")]
    head = [html.Span(t(f"entity.{entity}", lang), className="om-tag"),
            html.H4(_name(card["name"], lang), className="om-card-name")]
    if card.get("synthetic"):
        head.insert(1, html.Span(t("card.synthetic", lang), className="om-tag om-tag-synthetic"))
    return html.Div([*head, _kv_table(rows), *_materials(card, lang)], className="om-card", id="map-card-facility")


def _name(text: str, lang: str) -> str:
    """A place or facility name as the reader of ``lang`` reads it (pinyin in English)."""
    return english_text(text) if lang == "en" else text


def quantity_text(value: Any) -> str:
    """A quantity for people: thousands separators, whole numbers without decimals."""
    if value is None:
        return "—"
    v = float(value)
    return f"{v:,.0f}" if abs(v) >= 100 or v == int(v) else f"{v:,.2f}".rstrip("0").rstrip(".")


def _materials(card: dict[str, Any], lang: str) -> list[Any]:
    """A depot's stock or an enterprise's production capacity (``card["materials"]``)."""
    items = card.get("materials") or []
    if not items:
        return []
    name = "name" if lang == "zh" else "name_en"
    if card["entity"] == "reserves":
        rows = [(m[name], f"{quantity_text(m['quantity'])} {m['unit']}") for m in items]
        title = t("card.stock", lang, n=len(items))
    else:
        rows = [(m[name], t("card.per_day", lang, q=quantity_text(m["per_day"]), unit=m["unit"],
                            h=quantity_text(m["ramp_h"]), agreement=t(f"card.agreement.{m['agreement']}", lang)))
                for m in items]
        title = t("card.capacity_list", lang, n=len(items))
    return [html.H5(title, className="om-card-sub"),
            html.Table(html.Tbody([html.Tr([html.Th(k), html.Td(v)]) for k, v in rows]),
                       className="om-table om-table-kv", id="map-card-materials")]


def aggregate_card(inside: dict[str, Any], lang: str) -> html.Div:
    """The card of an enterprise aggregate (``layers.facilities_in_cell``): how many, the first
    of them (each opens its own card) and a button that zooms to the hexagon."""
    items = [html.Button([html.Span(name, className="om-search-name"),
                          html.Span("、".join(label("chain", c, lang) for c in (chains or [])[:2]),
                                    className="om-search-parent")],
                         id={"type": "map-agg-item", "id": str(fid)}, n_clicks=0, className="om-search-hit")
             for fid, name, chains in zip(inside["id"], inside["name"], inside["chains"])]
    more = inside["count"] - len(items)
    return html.Div([
        html.Span(t("entity.enterprises", lang), className="om-tag"),
        html.H4(t("card.agg", lang, n=f"{inside['count']:,}", res=inside["res"])),
        html.Button(t("card.agg_zoom", lang), id="map-agg-zoom", n_clicks=0, className="om-button om-button-primary"),
        html.Div(items, className="om-agg-list"),
        html.P(t("card.agg_more", lang, n=f"{more:,}"), className="om-note") if more > 0 else None,
        dcc.Store(id="map-agg-bounds", data=inside["bounds"]),
    ], className="om-card", id="map-card-aggregate")


def _kv_table(rows: list[tuple[str, Any]]) -> html.Table:
    return html.Table(html.Tbody([html.Tr([html.Th(k), html.Td(_fmt(v))]) for k, v in rows]),
                      className="om-table om-table-kv")


# -- unit panel -------------------------------------------------------------------------------

def _bar(categories: list[str], values: list[float], colours: list[str], ids: list[str],
         title: str, *, percent: bool = False) -> go.Figure:
    fig = go.Figure(go.Bar(x=values, y=categories, orientation="h", marker_color=colours,
                           customdata=ids, hovertemplate="%{y}: %{x}<extra></extra>",
                           texttemplate="%{x:.0%}" if percent else "%{x}", textposition="auto"))
    fig.update_layout(title={"text": title, "font": {"size": 13}}, height=60 + 22 * len(categories),
                      margin={"l": 8, "r": 8, "t": 30, "b": 8}, yaxis={"autorange": "reversed"},
                      xaxis={"tickformat": ".0%" if percent else None}, paper_bgcolor="rgba(0,0,0,0)",
                      plot_bgcolor="rgba(0,0,0,0)", font={"family": "Noto Sans CJK SC, Microsoft YaHei, sans-serif"})
    return fig


def unit_panel(summary: dict[str, Any], lang: str) -> html.Div:
    """A unit's figures with charts; the chain bars carry chain ids (click -> map filter)."""
    chains = summary["enterprises_by_chain"]
    fig_chains = _bar([label("chain", c["chain"], lang) for c in chains], [c["count"] for c in chains],
                      [style.CHAIN_COLOURS.get(c["chain"], "#888") for c in chains],
                      [c["chain"] for c in chains], t("unit.enterprises", lang))
    parks = {p["level"]: p["count"] for p in summary["parks_by_level"]}
    tiers = {r["tier"]: r["count"] for r in summary["reserves_by_tier"]}
    parts: list[Any] = [
        html.H4([summary["name"], html.Span(f" {summary['adcode']} · "
                                            f"{label('admin_level', summary['level'], lang)}")]),
        html.P(t("unit.area", lang, area=f"{summary['area_km2']:,.0f}")),
        html.P(_depot_text(summary, lang), className="om-note"),
        dcc.Graph(id="map-chart-chains", figure=fig_chains, config={"displayModeBar": False}),
        dcc.Graph(figure=_bar([label("park_level", k, lang) for k in parks], list(parks.values()),
                              ["#555"] * len(parks), list(parks), t("unit.parks", lang)),
                  config={"displayModeBar": False}),
        dcc.Graph(figure=_bar([label("reserve_tier", k, lang) for k in tiers], list(tiers.values()),
                              [style.TIER_COLOURS.get(k, "#888") for k in tiers], list(tiers),
                              t("unit.reserves", lang)), config={"displayModeBar": False}),
        html.H5(t("unit.hazard_area", lang)),
    ]
    for hz in summary["hazard_class_area"]:
        palette = style.hazard_palette(hz["hazard"], len(hz["labels"]))
        parts.append(dcc.Graph(figure=_bar(
            hz["labels"], hz["share_by_class"], palette, [str(k) for k in range(len(palette))],
            label("hazard", hz["hazard"], lang), percent=True), config={"displayModeBar": False}))
    return html.Div(parts, className="om-card", id="map-unit-summary")


def _depot_text(summary: dict[str, Any], lang: str) -> str:
    if summary["level"] == "county":
        return t("unit.depot_yes" if summary.get("has_county_depot") else "unit.depot_no", lang)
    missing = summary.get("counties_without_county_depot") or {}
    names = [u["name"] for u in missing.get("units", [])]
    shown = "、".join(names[:12]) + ("…" if len(names) > 12 else "")
    return t("unit.depot_missing", lang, n=missing.get("count", len(names)), of=missing.get("of", "—"),
             names=shown or "—")
