"""Callbacks of the 产业监测 page: each checks its inputs, calls one ``layers`` function and
returns components or figures built by ``mapapp.industry_view``."""

from __future__ import annotations

import logging

from dash import Input, Output, State, callback, dcc, html, no_update

from layers import (
    atlas_from_store,
    city_atlas_from_store,
    industry_display,
    industry_name,
    industry_term,
    monitor_from_store,
    names_from_store,
    rows_from_store,
)
from mapapp import auth, context, industry_view
from mapapp.errors import user_message
from mapapp.industry_text import ti

logger = logging.getLogger(__name__)
STAGES = {"projects": ["planning", "reserve", "started", "building", "operating"],
          "leads": ["contact", "negotiating", "signed", "landed"], "tasks": ["todo", "doing", "done", "overdue"]}
ATLAS_COLUMNS = ["position", "link", "firms", "products", "projects", "leads", "tasks", "cities", "status",
                 "action", "firm_names", "lead_names"]


def _scope(unit: str | None) -> tuple[str, str | None]:
    """``(scope, code)`` of the unit dropdown's value."""
    if not unit or unit == "region":
        return "region", None
    level = context.admin_index(context.store()).get(unit, {}).get("level")
    return (level, unit) if level in ("province", "city") else ("region", None)


@callback(Output("ind-kpis", "children"), Output("ind-trend", "figure"), Output("ind-indicators", "children"),
          Input("ind-year", "value"), Input("ind-unit", "value"), State("ind-lang", "data"))
@auth.role("planner")
def overview(year, unit, lang):
    """KPI tiles of the scope's targets, the output/revenue trend and the indicator table."""
    scope, code = _scope(unit)
    try:
        res = monitor_from_store(context.store(), year, scope, code)
    except (ValueError, LookupError) as exc:
        return html.Div(user_message(exc, lang), className="om-alert"), no_update, no_update
    ind = res["indicators"]
    table = industry_display(ind, lang, columns=["indicator", "value", "previous", "change"])
    return (industry_view.kpi_tiles(res["targets"], lang),
            industry_view.trend_figure(res["table"], res["targets"], scope, code, lang),
            [html.H4(ti("indicators", lang, year=res["year"])),
             html.Table([html.Tr([html.Th(c) for c in table.columns])]
                        + [html.Tr([html.Td(v) for v in r]) for r in table.itertuples(index=False)],
                        className="ind-indicator-table")])


@callback(Output("ind-link", "options"), Output("ind-stage", "options"), Input("ind-chain", "value"),
          Input("ind-tabs", "value"), State("ind-lang", "data"))
@auth.role("planner")
def filter_options(chain, tab, lang):
    """Links of the chosen chain; stages (or statuses) of the chosen table."""
    links = names_from_store(context.store())["links"].get(chain, []) if chain else []
    stages = [{"label": industry_term("stage", s, lang), "value": s} for s in STAGES.get(tab, [])]
    return [{"label": industry_name(x, lang), "value": x} for x in links], stages


@callback(Output("ind-table", "data"), Output("ind-table", "columns"), Output("ind-count", "children"),
          Input("ind-tabs", "value"), Input("ind-search", "value"), Input("ind-chain", "value"),
          Input("ind-link", "value"), Input("ind-stage", "value"), Input("ind-park", "value"),
          Input("ind-unit", "value"), Input("ind-year", "value"), State("ind-lang", "data"))
@auth.role("planner")
def table(tab, text, chain, link, stage, park, unit, year, lang):
    """The chosen database (or the list), searched and filtered, each row with its map link."""
    if tab not in industry_view.TABLE_COLUMNS:
        return no_update, no_update, no_update
    store = context.store()
    _, code = _scope(unit)
    rows = rows_from_store(store, tab, (text or "")[:100], chain=chain, link=link, city=code, park=park,
                           stage=stage if tab in STAGES else None, year=year if tab == "enterprises" else None)
    names = names_from_store(store)
    data = industry_view.table_data(tab, rows, lang, names["units"], names["parks"])
    return (data, industry_view.table_columns(tab, lang),
            ti("rows", lang, n=f"{len(rows):,}", shown=f"{len(data):,}"))


@callback(Output("ind-panel-table", "style"), Output("ind-panel-atlas", "style"),
          Output("ind-panel-funnel", "style"), Output("ind-url", "search"),
          Input("ind-tabs", "value"), Input("ind-year", "value"), Input("ind-unit", "value"),
          State("ind-lang", "data"))
@auth.role("planner")
def panels(tab, year, unit, lang):
    """Show the panel of the tab; keep the URL in step (a shared link restores the view)."""
    show, hide = {"display": "block"}, {"display": "none"}
    search = f"?lang={lang}&year={year}&unit={unit}&tab={tab}"
    return (show if tab in industry_view.TABLE_COLUMNS else hide, show if tab == "atlas" else hide,
            show if tab == "funnel" else hide, search)


@callback(Output("ind-atlas-bars", "figure"), Output("ind-atlas-heat", "figure"), Output("ind-atlas-table", "data"),
          Output("ind-atlas-table", "columns"), Output("ind-atlas-summary", "children"),
          Input("ind-atlas-chain", "value"), Input("ind-unit", "value"), State("ind-lang", "data"))
@auth.role("planner")
def atlas(chain, unit, lang):
    """The chain's links with firms, status and what would fill them; firms per link and city."""
    store = context.store()
    _, code = _scope(unit)
    a = atlas_from_store(store, chain, code)
    text = industry_display(a, lang, columns=ATLAS_COLUMNS)
    counts = a["status"].value_counts()
    summary = ti("atlas.summary", lang, links=len(a), **{k: int(counts.get(k, 0)) for k in ("missing", "thin", "covered")})
    return (industry_view.atlas_bars(a, lang), industry_view.atlas_heatmap(city_atlas_from_store(store, chain), lang),
            text.to_dict("records"), [{"id": c, "name": c} for c in text.columns], summary)


@callback(Output("ind-tabs", "value"), Output("ind-chain", "value"), Output("ind-link", "value"),
          Input("ind-atlas-bars", "clickData"), prevent_initial_call=True)
@auth.role("planner")
def atlas_to_products(click):
    """A click on a link of the atlas opens the products on that link."""
    try:
        chain, link = click["points"][0]["customdata"][:2]
    except (TypeError, KeyError, IndexError, ValueError):
        return no_update, no_update, no_update
    return "products", chain, link


@callback(Output("ind-funnel-projects", "figure"), Output("ind-funnel-leads", "figure"),
          Input("ind-unit", "value"), Input("ind-tabs", "value"), State("ind-lang", "data"))
@auth.role("planner")
def funnels(unit, tab, lang):
    """Projects and leads by stage (the plan's 谋划 → 投产; 接洽 → 落地)."""
    if tab != "funnel":
        return no_update, no_update
    store = context.store()
    _, code = _scope(unit)
    out = []
    for table, key in (("projects", "funnel.projects"), ("leads", "funnel.leads")):
        counts = rows_from_store(store, table, city=code)["stage"].value_counts()
        out.append(industry_view.funnel_figure(counts, STAGES[table], ti(key, lang), lang))
    return tuple(out)


@callback(Output("ind-download", "data"), Output("ind-report-status", "children"),
          Input("ind-report", "n_clicks"), Input("ind-report-xlsx", "n_clicks"),
          State("ind-year", "value"), State("ind-unit", "value"), State("ind-lang", "data"), prevent_initial_call=True)
@auth.role("planner")
def report(n_pdf, n_xlsx, year, unit, lang):
    """The cluster development report of the year and scope, as a download."""
    from dash import ctx  # noqa: PLC0415

    from layers import cluster_report_bytes  # noqa: PLC0415

    fmt = "xlsx" if ctx.triggered_id == "ind-report-xlsx" else "pdf"
    _, code = _scope(unit)
    try:
        name, payload = cluster_report_bytes(context.store(), year, code, fmt, lang)
    except (ValueError, LookupError, OSError) as exc:
        return no_update, html.Div(user_message(exc, lang), className="om-alert")
    auth.audit("report", kind="cluster", year=year, unit=unit, format=fmt, file=name, bytes=len(payload))
    return dcc.send_bytes(payload, name), ""


@callback(Output("map-ind-projects", "data"), Output("map-ind-leads", "data"), Input("map-ind-layers", "value"),
          State("map-config", "data"))
@auth.role("planner")
def map_layers(shown, config):
    """The map page's optional project and lead layers (all rows with a position; at most a few hundred)."""
    lang = (config or {}).get("lang", "zh")
    store = context.store()
    out = []
    for table in industry_view.MAP_LAYERS:
        if table in (shown or []):
            try:
                out.append(industry_view.points_geojson(rows_from_store(store, table), table, lang))
            except LookupError:  # a store without industry data: the layer stays empty
                out.append(None)
        else:
            out.append(None)
    return tuple(out)
