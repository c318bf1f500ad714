"""The 产业监测 page (``/industry``): KPIs against the plans' targets, the four databases and the
list as searchable tables (each row locatable on the map), the chain atlas, stage funnels and
the cluster report. URL state: ``lang``, ``year``, ``unit`` (province or city adcode), ``tab``.
Callbacks are in ``industry_callbacks.py``.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import dash_table, dcc, html

from layers import IndustryDataMissing, industry_name, names_from_store
from mapapp import auth, context
from mapapp.i18n import t
from mapapp.industry_text import ti
from mapapp.pages import industry_callbacks  # noqa: F401 (registers the page's callbacks)

# Dash's page loader (use_pages) imports this file as ``pages.<name>``; an import by its package
# name (``mapapp.pages.<name>``, e.g. for a helper) must not register the path a second time
# without a layout, which would make the router answer that path with an empty page.
if not __name__.startswith("mapapp."):
    dash.register_page(__name__, path="/industry", title="OneMap 产业监测")

TAB_STYLE = {"padding": "6px 14px", "border": "1px solid #c9d3e0", "background": "#f3f5f8", "color": "#1f3a5f",
             "cursor": "pointer"}
TAB_SELECTED = {**TAB_STYLE, "background": "#1f3a5f", "color": "#fff", "fontWeight": 600}
TABS = ("enterprises", "products", "projects", "leads", "tasks", "atlas", "funnel")


def _header(lang: str, meta: dict[str, Any], query: str) -> html.Header:
    region = meta.get("region_name_en" if lang == "en" else "region_name", meta.get("region", ""))
    other = "en" if lang == "zh" else "zh"
    return html.Header([
        html.H1([html.Span("OneMap", className="om-brand"), ti("title", lang)]),
        html.Span(industry_name(region, lang), className="om-region"),
        html.Span(ti("synthetic", lang), className="om-tag om-tag-synthetic", id="ind-synthetic",
                  title=meta.get("synthetic_note", "")) if meta.get("synthetic_note") else None,
        html.Nav([html.A(ti("nav.map", lang), href=f"/?lang={lang}", id="ind-nav-map"),
                  html.Span(ti("nav.industry", lang), className="ind-nav-current")], className="ind-nav"),
        html.Div([html.A("中文" if other == "zh" else "EN", href=f"/industry?{query}lang={other}",
                         id=f"ind-lang-{other}", className="ind-lang-link")], className="om-lang"),
        auth.badge(lang),
    ], className="om-header")


def _units(lang: str) -> list[dict[str, str]]:
    index = context.admin_index(context.store())
    out = [{"label": ti("region", lang), "value": "region"}]
    for level in ("province", "city"):
        out += [{"label": industry_name(u["name"], lang) if level == "province" else f"· {industry_name(u['name'], lang)}",
                 "value": code}
                for code, u in index.items() if u["level"] == level]
    return out


def _dropdown(id_: str, options: list, value: Any, placeholder: str = "", clearable: bool = True) -> dcc.Dropdown:
    return dcc.Dropdown(id=id_, options=options, value=value, placeholder=placeholder, clearable=clearable,
                        className="ind-dropdown")


def layout(lang: str | None = None, year: str | None = None, unit: str | None = None, tab: str | None = None,
           **_: Any) -> html.Div:
    """The page for a URL query (unknown or bad values fall back to defaults)."""
    lang = lang if lang in ("zh", "en") else context.settings().lang
    store = context.store()
    if not auth.may("planner"):  # 四库一清单 are internal working papers (its callbacks refuse too)
        return html.Div([_header(lang, store.meta, ""), html.Div(t("auth.needs_planner", lang),
                                                                 className="om-alert", id="ind-forbidden")],
                        className=f"om-page {auth.role_class()}")
    try:
        names = names_from_store(store)
    except IndustryDataMissing:
        return html.Div([_header(lang, store.meta, ""), html.Div(ti("nodata", lang), className="om-alert",
                                                                 id="ind-nodata")], className="om-page")
    years = names["years"]
    year_v = int(year) if year and year.isdigit() and int(year) in years else years[-1]
    units = _units(lang)
    unit_v = unit if unit in {u["value"] for u in units} else "region"
    tab_v = tab if tab in TABS else "enterprises"
    bad = [k for k, given, used in (("year", year, str(year_v)), ("unit", unit, unit_v), ("tab", tab, tab_v))
           if given is not None and str(given) != used]
    kept = "".join(f"{k}={v}&" for k, v in (("year", year_v), ("unit", unit_v), ("tab", tab_v)))
    chains = [{"label": v, "value": k} for k, v in _chain_names(lang).items()]
    return html.Div([
        _header(lang, store.meta, kept),
        html.Div(ti("error.url", lang, keys=", ".join(bad)), className="om-alert", id="ind-alert") if bad else None,
        html.Div([
            html.Label([ti("year", lang), _dropdown("ind-year", [{"label": str(y), "value": y} for y in years],
                                                    year_v, clearable=False)]),
            html.Label([ti("scope", lang), _dropdown("ind-unit", units, unit_v, clearable=False)]),
            html.Button(ti("report", lang), id="ind-report", className="ind-button"),
            html.Button(ti("report.xlsx", lang), id="ind-report-xlsx", className="ind-button"),
            dcc.Loading(html.Div(id="ind-report-status"), type="dot"),
            dcc.Download(id="ind-download"),
        ], className="ind-controls"),
        html.H3(ti("kpi", lang)),
        html.Div(id="ind-kpis", className="ind-kpis"),
        html.Div([dcc.Graph(id="ind-trend", config={"displaylogo": False}, className="ind-graph"),
                  html.Div(id="ind-indicators", className="ind-indicators")], className="ind-row"),
        dcc.Tabs(id="ind-tabs", value=tab_v, className="ind-tabs", children=[
            dcc.Tab(label=ti(f"tab.{t}", lang), value=t, style=TAB_STYLE, selected_style=TAB_SELECTED)
            for t in TABS]),
        html.Div([
            html.Div([
                dcc.Input(id="ind-search", type="search", placeholder=ti("search", lang), debounce=True,
                          className="ind-search"),
                _dropdown("ind-chain", chains, None, ti("filter.chain", lang)),
                _dropdown("ind-link", [], None, ti("filter.link", lang)),
                _dropdown("ind-stage", [], None, ti("filter.stage", lang)),
                _dropdown("ind-park", [{"label": industry_name(v, lang), "value": k} for k, v in names["parks"].items()], None,
                          ti("filter.park", lang)),
            ], className="ind-filters"),
            html.Div(id="ind-count", className="ind-hint"),
            dash_table.DataTable(id="ind-table", page_size=15, sort_action="native", markdown_options={
                "link_target": "_self"}, style_table={"overflowX": "auto"},
                style_cell={"textAlign": "left", "fontSize": 13, "maxWidth": 260, "whiteSpace": "normal"}),
        ], id="ind-panel-table"),
        html.Div([
            _dropdown("ind-atlas-chain", chains, "unmanned", ti("atlas.chain", lang), clearable=False),
            html.Div(id="ind-atlas-summary", className="ind-hint"),
            html.Div([dcc.Graph(id="ind-atlas-bars", className="ind-graph"),
                      dcc.Graph(id="ind-atlas-heat", className="ind-graph")], className="ind-row"),
            dash_table.DataTable(id="ind-atlas-table", page_size=10, style_table={"overflowX": "auto"},
                                 style_cell={"textAlign": "left", "fontSize": 13, "maxWidth": 320,
                                             "whiteSpace": "normal"}),
        ], id="ind-panel-atlas", style={"display": "none"}),
        html.Div([dcc.Graph(id="ind-funnel-projects", className="ind-graph"),
                  dcc.Graph(id="ind-funnel-leads", className="ind-graph")],
                 id="ind-panel-funnel", className="ind-row", style={"display": "none"}),
        dcc.Location(id="ind-url", refresh=False),
        dcc.Store(id="ind-lang", data=lang),
    ], className=f"om-page ind-page om-lang-{lang}", lang="zh-CN" if lang == "zh" else "en")


def _chain_names(lang: str) -> dict[str, str]:
    from layers import VOCABULARIES  # noqa: PLC0415

    return {k: v[0 if lang == "zh" else 1] for k, v in VOCABULARIES["chain"].items()}
