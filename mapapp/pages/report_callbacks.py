"""Callbacks of 生成报告 (the chosen unit's report as a download) and 导出地图 (clientside, in
``assets/export.js``). Files come from ``mapapp.report_export``."""

from __future__ import annotations

import logging
import time

from dash import (
    ALL,
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    dcc,
    html,
    no_update,
)

from mapapp import auth, context, published, report_export
from mapapp.errors import user_message
from mapapp.i18n import t

logger = logging.getLogger(__name__)


def _lang(config: dict | None) -> str:
    return (config or {}).get("lang", "zh")


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{max(n / 1e3, 0.1):.0f} KB"


@callback(Output("map-report", "className"), Output("map-report-unit", "children"),
          Output("map-export-unit", "data"), Input("map-unit-code", "data"), State("map-config", "data"))
@auth.role("viewer")
def report_box(unit, config):
    """The report box shows while a unit is chosen, with that unit's name (also the export title)."""
    if not unit:
        return "om-report om-hidden", None, None
    lang = _lang(config)
    try:
        found = context.check_unit(context.store(), unit)
    except (LookupError, ValueError) as exc:
        return "om-report", html.Span(user_message(exc, lang), className="om-error"), None
    name = found["name"]
    return "om-report", t("report.unit", lang, name=name, adcode=unit), {"adcode": unit, "name": name}


@callback(Output("map-report-download", "data"), Output("map-report-status", "children"),
          Input("map-report-go", "n_clicks"), State("map-unit-code", "data"), State("map-report-hazard", "value"),
          State("map-report-format", "value"), State("map-config", "data"), State("map-report-hours", "value"),
          State("map-report-k", "value"), State("map-report-publish", "value"), prevent_initial_call=True,
          running=[(Output("map-report-go", "disabled"), True, False)])
@auth.role("planner")
def make_report(clicks, unit, hazard, fmt, config, hours=None, siting_k=None, publish=None):
    """The chosen unit's report (PDF, XLSX or ZIP) as a download; an error is shown, nothing sent.
    With 发布给查看者 ticked, a PDF or XLSX is also published (``mapapp.published``)."""
    lang = _lang(config)
    if not clicks:
        return no_update, no_update
    if not unit:
        return no_update, html.Span(t("report.no_unit", lang), className="om-error")
    started = time.perf_counter()
    try:
        found = context.check_unit(context.store(), unit)
        done = report_export.report_file(context.store(), unit, hazard, fmt, lang, county_hours=hours,
                                         siting_k=siting_k)
    except Exception as exc:  # noqa: BLE001 - user_message names known errors, logs the others
        return no_update, html.Span(t("report.error", lang, detail=user_message(exc, lang)), className="om-error")
    seconds = f"{time.perf_counter() - started:.1f}"
    auth.audit("report", unit=unit, hazard=hazard, format=fmt, file=done.name, bytes=len(done.content))
    logger.info("report %s (%d bytes) in %s s", done.name, len(done.content), seconds)
    status = t("report.done", lang, name=done.name, size=_size(len(done.content)), seconds=seconds)
    if isinstance(publish, list) and "publish" in publish:
        status += " " + _publish(done, unit, found["name"], hazard, fmt, lang)
    return dcc.send_bytes(done.content, done.name), status


def _publish(done: report_export.ReportFile, unit: str, unit_name: str, hazard: str, fmt: str, lang: str) -> str:
    """Publish ``done`` for viewers (PDF or XLSX only); what to tell the planner."""
    if fmt not in published.FORMATS:
        return t("report.publish_format", lang)
    user = auth.current_user()
    record = published.publish(context.settings().published_path(), done.name, done.content,
                               user=user.name if user else None, unit=unit, unit_name=unit_name, hazard=hazard)
    auth.audit("publish", file=record["file"], unit=unit, hazard=hazard, format=fmt)
    return t("report.published", lang)


clientside_callback(
    ClientsideFunction("onemap_export", "exportMap"), Output("map-export-status", "children"),
    Input("map-export-go", "n_clicks"), State("map-export-config", "data"), State("map-export-unit", "data"),
    State("map-leaflet", "zoom"), State({"type": "map-minclass", "layer": ALL, "kind": ALL}, "value"),
    State({"type": "map-minclass", "layer": ALL, "kind": ALL}, "id"), prevent_initial_call=True)
