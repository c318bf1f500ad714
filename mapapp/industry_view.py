"""Components of the 产业监测 page: KPI tiles, plotly charts, table columns, the map card.

Builders only: they take what ``layers`` computed and return Dash components or figures.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import dash_leaflet as dl
import pandas as pd
from dash import html

from layers import industry_display, industry_header, industry_name, industry_term, indicator_name, item_from_store
from mapapp.industry_text import ti

STATUS_COLOURS = {"on_track": "#1a9850", "at_risk": "#fdae61", "off_track": "#d73027", "no_data": "#999999",
                  "missing": "#d73027", "thin": "#fdae61", "covered": "#1a9850"}
#: Columns shown per table (the layers rows carry a few more).
TABLE_COLUMNS = {
    "enterprises": ["name", "chain", "city", "park", "output_yi", "revenue_yi", "above_size", "listed", "specialised"],
    "products": ["name", "enterprise_name", "chain", "link", "city", "certifications", "recommended"],
    "projects": ["name", "chain", "link", "stage", "investment_yi", "planned_start", "actual_start", "key", "city"],
    "leads": ["company", "origin", "chain", "link", "stage", "investment_yi", "unit", "next_step", "next_date", "city"],
    "tasks": ["unit", "target", "chain", "link", "count", "deadline", "status", "leads", "city"],
}
MAX_ROWS = 500
_LAYOUT = {"margin": {"l": 40, "r": 10, "t": 30, "b": 30}, "height": 260,
           "font": {"family": "Noto Sans CJK SC, Microsoft YaHei, sans-serif", "size": 12}}


def _fmt(value: Any, unit: str) -> str:
    if value is None or pd.isna(value):
        return "—"
    if unit == "%":
        return f"{float(value):,.1f}%"
    v = float(value)
    return f"{v:,.1f}" if unit in ("亿元", "100 million CNY") or v != int(v) else f"{int(v):,}"


def kpi_tiles(targets: pd.DataFrame, lang: str) -> list[html.Div]:
    """One tile per target: value, target, a progress bar of attainment, status, growth needed."""
    tiles = []
    for t in targets.to_dict("records"):
        unit = t["unit"] if lang == "zh" else ""
        share = 0.0 if t["attainment"] is None or pd.isna(t["attainment"]) else float(t["attainment"])
        colour = STATUS_COLOURS.get(t["status"], "#999")
        needed = t["growth_needed"]
        tiles.append(html.Div([
            html.Div(f"{indicator_name(t['indicator'], lang)} · {industry_name(t['scope_name'], lang)}",
                     className="ind-kpi-name"),
            html.Div([html.Span(_fmt(t["current"], t["unit"]), className="ind-kpi-value"),
                      html.Span(f" {unit}" if unit not in ("%",) else "", className="ind-kpi-unit")]),
            html.Div(ti("kpi.target", lang, value=_fmt(t["value"], t["unit"]), year=t["year"],
                        comparator=industry_term("comparator", t["comparator"], lang)), className="ind-kpi-target"),
            html.Div(html.Div(style={"width": f"{min(share, 1) * 100:.0f}%", "background": colour},
                              className="ind-kpi-fill"), className="ind-kpi-bar",
                     title=f"{share * 100:.1f}%"),
            html.Div([html.Span(industry_term("status", t["status"], lang), className="ind-kpi-status",
                                style={"background": colour}),
                      html.Span(" " + " · ".join(
                          [f"{share * 100:.1f}%"]
                          + ([ti("kpi.needed", lang, growth=f"{needed * 100:.1f}%")] if needed is not None
                             and not pd.isna(needed) else [])
                          + [ti("kpi.projection", lang, projection=_fmt(t["projection"], t["unit"]))]))]),
            html.Div(ti("kpi.source", lang, document=industry_name(t["document"], lang),
                        clause=industry_name(t["clause"] or "", lang)),
                     className="ind-kpi-source"),
        ], className="ind-kpi", id={"type": "ind-kpi", "indicator": t["indicator"], "scope": t["scope"]}))
    return tiles or [html.Div(ti("kpi.none", lang), className="ind-hint")]


def trend_figure(table: pd.DataFrame, targets: pd.DataFrame, scope: str, code: str | None, lang: str) -> dict:
    """Output and revenue by year for one scope, with the money targets of that scope as markers
    (a plain figure dict: no plotly validation on every call)."""
    m = table["scope"] == scope
    m &= table["scope_code"].isna() if code is None else table["scope_code"] == code
    data = []
    for ind, key in (("output_yi", "trend.output"), ("revenue_yi", "trend.revenue")):
        s = table[m & (table["indicator"] == ind)].sort_values("year")
        data.append({"type": "scatter", "x": s["year"].tolist(), "y": s["value"].round(1).tolist(),
                     "name": ti(key, lang), "mode": "lines+markers"})
    money = targets[targets["indicator"].isin(("output_yi", "revenue_yi"))]
    if len(money):
        data.append({"type": "scatter", "x": money["year"].tolist(), "y": money["value"].tolist(), "mode": "markers",
                     "name": ti("trend.target", lang), "marker": {"symbol": "star", "size": 14, "color": "#d73027"},
                     "text": [indicator_name(i, lang) for i in money["indicator"]]})
    return {"data": data, "layout": {**_LAYOUT, "title": {"text": ti("trend", lang)}, "xaxis": {"dtick": 1},
                                     "legend": {"orientation": "h", "y": -0.2}}}


def table_columns(table: str, lang: str) -> list[dict[str, Any]]:
    """DataTable columns: the table's shown columns in ``lang`` and a markdown link to the map."""
    cols = [{"id": c, "name": industry_header(c, lang)} for c in TABLE_COLUMNS[table]]
    return [*cols, {"id": "map", "name": ti("locate", lang), "presentation": "markdown"}]


def map_href(table: str, row: dict[str, Any], lang: str) -> str | None:
    """The map page's URL that flies to a row and opens its card."""
    if pd.isna(row.get("lon")) or pd.isna(row.get("lat")):
        return None
    return "/?" + urlencode({"lat": f"{row['lat']:.5f}", "lng": f"{row['lon']:.5f}", "z": 12,
                             "item": f"{table}:{row['id']}", "lang": lang}, safe=":,")


def table_data(table: str, rows: pd.DataFrame, lang: str, units: dict[str, str], parks: dict[str, str]) -> list[dict]:
    """The rows as text cells for people, each with its map link."""
    shown = rows.head(MAX_ROWS)
    text = industry_display(shown, lang, units=units, parks=parks, columns=TABLE_COLUMNS[table])
    text.columns = TABLE_COLUMNS[table]
    data = text.to_dict("records")
    for d, r in zip(data, shown.to_dict("records")):
        href = map_href(table, r, lang)
        d["map"] = f"[{ti('locate.link', lang)}]({href})" if href else "—"
    return data


def atlas_bars(atlas: pd.DataFrame, lang: str) -> dict:
    """The chain as a diagram and as counts: above, a sankey of the links upstream -> downstream
    (nodes coloured by status, labelled with their firms); below, firms per link as bars. A click
    on a node or a bar opens the products on that link."""
    shown = [industry_name(lk, lang) for lk in atlas["link"]]  # the link's name in lang
    customdata = [[c, lk, name] for c, lk, name in zip(atlas["chain"], atlas["link"], shown)]
    colours = [STATUS_COLOURS[s] for s in atlas["status"]]
    status = [f"{industry_term('status', s, lang)} · {industry_term('action', a, lang)}"
              for s, a in zip(atlas["status"], atlas["action"])]
    firms = ti("atlas.firms", lang)
    steps = [(i, i + 1) for i in range(len(atlas) - 1)]
    xs = [0.01 + 0.98 * i / max(len(atlas) - 1, 1) for i in range(len(atlas))]
    # plotly draws a node's label beside it, and the last one to its left, over its neighbour's:
    # the labels are annotations under the nodes instead, wrapped, the outer ones aligned inward
    sankey = {"type": "sankey", "arrangement": "fixed", "domain": {"x": [0, 1], "y": [0.64, 1]},
              "node": {"label": [""] * len(atlas), "color": colours, "customdata": customdata, "pad": 12,
                       "thickness": 14, "x": xs, "y": [0.5] * len(atlas),
                       "hovertemplate": "%{customdata[2]}<extra></extra>"},
              "link": {"source": [a for a, _ in steps], "target": [b for _, b in steps], "value": [1] * len(steps),
                       "color": "rgba(120,120,120,0.25)", "hoverinfo": "skip"}}
    last = len(atlas) - 1
    labels = [{"text": node_label(lk, n, lang), "x": x, "y": 0.62, "xref": "paper", "yref": "paper",
               "yanchor": "top", "xanchor": "left" if i == 0 and last else "right" if i == last and last else "center",
               "showarrow": False, "align": "left" if i == 0 and last else "right" if i == last and last else "center"}
              for i, (lk, n, x) in enumerate(zip(shown, atlas["firms"], xs))]
    bars = {"type": "bar", "x": shown, "y": atlas["firms"].tolist(), "marker": {"color": colours},
            "text": status, "textposition": "outside", "customdata": customdata,
            "hovertemplate": "%{x}: %{y}<extra></extra>"}
    return {"data": [sankey, bars],
            "layout": {**_LAYOUT, "height": 480, "title": {"text": firms}, "annotations": labels,
                       "yaxis": {"domain": [0, 0.42]}, "showlegend": False}}


def node_label(link: str, firms: int, lang: str, width: int = 4) -> str:
    """A chain link and its firms on short lines (``width`` characters in Chinese, about twice
    that in English) so that neighbouring labels never meet."""
    if lang == "zh":
        lines = [link[i:i + width] for i in range(0, len(link), width)] + [f"{firms:,} 家"]
    else:
        lines, line = [], ""
        for word in link.split():
            if line and len(line) + 1 + len(word) > 2 * width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        lines += [line, f"{firms:,} firms"]
    return "<br>".join(lines)


def atlas_heatmap(by_city: pd.DataFrame, lang: str) -> dict:
    """Firms per link (rows, upstream first) and city (columns)."""
    wide = by_city.pivot_table(index=["position", "link"], columns="name", values="firms", aggfunc="sum")
    return {"data": [{"type": "heatmap", "z": wide.to_numpy().tolist(),
                      "x": [industry_name(c, lang) for c in wide.columns],
                      "y": [industry_name(lk, lang) for _, lk in wide.index], "colorscale": "YlGnBu",
                      "hovertemplate": "%{y} · %{x}: %{z}<extra></extra>"}],
            "layout": {**_LAYOUT, "title": {"text": ti("atlas.cities", lang)}, "yaxis": {"autorange": "reversed"}}}


def funnel_figure(counts: pd.Series, stages: list[str], title: str, lang: str) -> dict:
    """A funnel of rows by stage in the plan's order."""
    return {"data": [{"type": "funnel", "y": [industry_term("stage", s, lang) for s in stages],
                      "x": [int(counts.get(s, 0)) for s in stages]}],
            "layout": {**_LAYOUT, "title": {"text": title}}}


def map_item_card(card: dict[str, Any], lang: str) -> html.Div:
    """The card the map page opens for a row located from the 产业监测 page."""
    rows = [html.Tr([html.Th(k), html.Td(v)]) for k, v in card["rows"]]
    return html.Div([
        html.H4(card["title"]),
        html.Div(industry_term("table", card["table"], lang), className="om-tag"),
        html.Span(ti("synthetic", lang), className="om-tag om-tag-synthetic") if card["synthetic"] else None,
        html.Table(rows, className="om-card-table"),
    ], className="om-card", id="map-industry-card")


def industry_item(store: Any, value: Any, lang: str) -> dict[str, Any] | None:
    """The card of a URL's ``item=<table>:<id>`` (None when absent or unknown: the map opens as usual)."""
    if not isinstance(value, str) or ":" not in value or len(value) > 120:
        return None
    table, _, item_id = value.partition(":")
    return item_from_store(store, table, item_id, lang)


def item_marker(card: dict[str, Any] | None) -> tuple:
    """A marker at the located row (Leaflet takes [lat, lng])."""
    if not card:
        return ()
    return (dl.Marker(id="map-industry-marker", position=[card["lat"], card["lon"]],
                      children=dl.Tooltip(card["title"], permanent=True)),)


#: Stage colours of the map's project and lead layers (early stages light, late dark).
STAGE_COLOURS = {"planning": "#c6dbef", "reserve": "#9ecae1", "started": "#6baed6", "building": "#3182bd",
                 "operating": "#08519c", "contact": "#fdd0a2", "negotiating": "#fdae6b", "signed": "#f16913",
                 "landed": "#a63603"}
MAP_LAYERS = ("projects", "leads")


def map_layer_toggle(lang: str) -> html.Div:
    """The map page's optional 项目库 / 招商库 layers (off by default)."""
    from dash import dcc  # noqa: PLC0415

    return html.Div(dcc.Checklist(id="map-ind-layers", value=[], options=[
        {"label": industry_term("table", t, lang), "value": t} for t in MAP_LAYERS]), className="om-ind-layers")


def map_layers() -> tuple:
    """Empty GeoJSON layers the toggle fills (``assets/industry.js`` draws the points)."""
    return tuple(dl.GeoJSON(id=f"map-ind-{t}", data=None, pointToLayer={"variable": "onemap.industry.point"},
                            hideout={"colours": STAGE_COLOURS}) for t in MAP_LAYERS)


def points_geojson(rows: pd.DataFrame, table: str, lang: str) -> dict[str, Any]:
    """Rows with a position as GeoJSON points ([lng, lat]) with their name, stage and key flag."""
    name = "company" if table == "leads" else "name"
    ok = rows.dropna(subset=["lon", "lat"])
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(r["lon"]), float(r["lat"])]},
         "properties": {"id": r["id"], "stage": r["stage"], "key": bool(r.get("key", False)),
                        "label": f"{r[name]}（{industry_term('stage', r['stage'], lang)}）"}}
        for r in ok.to_dict("records")]}
