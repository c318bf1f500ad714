"""Callbacks of the analyses panel: which controls show, run / clear, "assess here", the event
polygon (upload or drawing) and downloads. Results come from ``mapapp.analyses``."""

from __future__ import annotations

import base64
import json
import logging
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update

from layers import Budget, check_work, internal_mark, write_table
from mapapp import analyses, analysis_view, auth, background, context, jobs, map_legend
from mapapp.errors import user_message
from mapapp.i18n import t

logger = logging.getLogger(__name__)

EMPTY_FC = {"type": "FeatureCollection", "features": []}
EMPTY_HEX = {"cells": [], "cls": [], "value": [], "palette": []}
_CACHE: OrderedDict[str, analyses.AnalysisView] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 4
#: Runs above this share of their budget go to a child process (``mapapp.jobs``); lighter ones,
#: e.g. a county at resolution 7, run in the worker (a child's cold caches cost about a second).
HEAVY_SHARE = 0.1
PARAM_STATES = [State("ana-kind", "value"), State("ana-hazard", "value"), State("ana-res", "value"),
                State("ana-minclass", "value"), State("ana-hours", "value"), State("ana-tier", "value"),
                State("ana-k", "value"), State("ana-sitekind", "value"), State("ana-top", "value"),
                State("ana-weights", "value"), State("ana-event", "value"), State("ana-lon", "value"),
                State("ana-lat", "value"), State("ana-radius", "value"), State("ana-magnitude", "value"),
                State("ana-polygon", "data"), State("map-unit-code", "data"), State("ana-exclude", "value"),
                State("ana-bands", "value"), State("ana-access", "value"), State("ana-material", "value"),
                State("ana-quantity", "value"), State("ana-spacing", "value"),
                State({"type": "ana-matrix", "hazard": ALL}, "value"), State({"type": "ana-matrix", "hazard": ALL}, "id")]
PARAM_KEYS = ("kind", "hazard", "res", "min_class", "hours", "tier", "k", "site_kind", "top", "weights", "event",
              "lon", "lat", "radius_km", "magnitude", "polygon", "unit", "exclude", "bands", "access", "material",
              "quantity", "spacing_km")


def _controls(params: list[Any]) -> dict[str, Any]:
    """The states of ``PARAM_STATES`` as ``Params.from_controls`` keys (the matrix as a dict)."""
    *plain, matrix_values, matrix_ids = params
    values = dict(zip(PARAM_KEYS, plain))
    values["matrix"] = {i["hazard"]: list(v or []) for i, v in zip(matrix_ids or [], matrix_values or [])}
    return values


def _lang(config: dict | None) -> str:
    return (config or {}).get("lang", "zh")


def _audited(p: analyses.Params) -> dict[str, Any]:
    """The parameters of ``p`` that were set (the audit log's record of a run or an export)."""
    defaults = analyses.Params()
    return {k: v for k, v in p.__dict__.items() if v != getattr(defaults, k) or k in ("kind", "hazard")}


def _kept_key(p: analyses.Params, lang: str) -> str:
    """This worker's key of the result of ``p``: the edition of the store this request reads
    (``context.edition``, by ``background.edition`` as the shared disk cache's keys), so that a
    store rebuilt while the server runs is never answered with a result of the old one."""
    return f"{context.edition()}|{_key(p, lang)}"


def _key(p: analyses.Params, lang: str) -> str:
    """A result's key within one edition (``background.remember`` adds the edition itself)."""
    return f"{lang}|{p.key()}"


def _recent(p: analyses.Params, lang: str) -> analyses.AnalysisView | None:
    """A recent run of ``p`` on this edition of the store: this worker's, else one any worker
    kept (``background.remember``)."""
    kept = _kept_key(p, lang)
    with _CACHE_LOCK:
        if kept in _CACHE:
            _CACHE.move_to_end(kept)
            return _CACHE[kept]
    view = background.recall(context.settings(), _key(p, lang))
    if view is not None:
        _keep(kept, view)
    return view


def _keep(kept: str, view: analyses.AnalysisView) -> None:
    with _CACHE_LOCK:
        _CACHE[kept] = view
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)


def _heavy(p: analyses.Params) -> bool:
    """Whether ``p`` is a heavy run (``HEAVY_SHARE`` of its budget); refused over the budget
    (``WorkTooLarge`` names what fits) or for an unknown unit."""
    settings, store = context.settings(), context.store()
    if p.unit is not None:
        context.check_unit(store, p.unit)
    budget = Budget(settings.budget_cells, settings.budget_pairs)
    amount = check_work(store, p.kind, p.resolution(), budget, unit=p.unit, hazard=p.hazard, min_class=p.min_class,
                        radius_km=p.radius_km if p.kind == "dispatch" and p.event == "point" else None)
    return settings.job_memory_mb > 0 and amount > budget.limit_for(p.kind) * HEAVY_SHARE


def _view(p: analyses.Params, lang: str) -> analyses.AnalysisView:
    """The analysis for ``p``: a recent run, else computed here (a download of a result that no
    worker keeps any more; heavy ones in a child process with the memory and time limits)."""
    view = _recent(p, lang)
    if view is not None:
        return view
    kept = _kept_key(p, lang)  # the edition of the store below (the same for the whole request)
    settings, store = context.settings(), context.store()
    if _heavy(p):
        view = jobs.run_limited(jobs.analysis, str(store.path), p, lang, memory_mb=settings.job_memory_mb,
                                seconds=settings.job_seconds)
    else:
        view = analyses.run(store, p, lang)
    auth.audit("analysis", analysis=p.kind, parameters=_audited(p))
    _keep(kept, view)
    return view


def _shown(view: analyses.AnalysisView, controls: dict[str, Any], lang: str) -> tuple[Any, ...]:
    """The outputs of ``RESULT_OUTPUTS`` for ``view``."""
    hexes = dict(view.hexes or {"cells": [], "cls": [], "value": []}, palette=view.palette)
    choro = view.choropleth or EMPTY_FC
    choro_pal = map_legend.choropleth_palette(view) if view.choropleth else []
    return (analysis_view.result(view, lang), hexes, choro, {"palette": choro_pal, "opacity": 0.45},
            view.overlay or EMPTY_FC, controls,
            {"bounds": view.bounds, "transition": "flyToBounds"} if view.bounds else no_update,
            map_legend.analysis_blocks(view, lang))  # the floating legend's blocks of what is drawn


def _failed(exc: Exception, lang: str) -> tuple[Any, ...]:
    return (html.Div(user_message(exc, lang), className="om-error"), EMPTY_HEX, EMPTY_FC, no_update, EMPTY_FC,
            None, no_update, [])


@callback([Output(f"ana-row-{name}", "className") for name in analysis_view.CONTROL_ROWS],
          Output("ana-help", "children"), Input("ana-kind", "value"), Input("ana-event", "value"),
          State("map-config", "data"))
@auth.role("viewer")
def show_controls(kind, event, config):
    """Only the controls the chosen analysis (and, for dispatch, the event type) uses."""
    used = set(analyses.CONTROLS.get(kind, ()))
    if kind == "dispatch":
        used -= {"point", "radius", "magnitude", "polygon"} - set(analyses.EVENT_CONTROLS.get(event, ()))
    rows = ["om-ana-row" if name in used else "om-ana-row om-hidden" for name in analysis_view.CONTROL_ROWS]
    return *rows, t(f"ana.{kind}.help", _lang(config)) if kind in analyses.NAMES else ""


RESULT_OUTPUTS = [("ana-result", "children"), ("ana-hex", "data"), ("ana-choropleth", "data"),
                  ("ana-choropleth", "hideout"), ("ana-overlay", "data"), ("ana-params", "data"),
                  ("map-leaflet", "viewport"), ("ana-legend", "data")]


@callback(*[Output(i, prop, allow_duplicate=True) for i, prop in RESULT_OUTPUTS], Output("ana-job", "data"),
          Input("ana-run", "n_clicks"), Input("ana-go", "data"), Input("ana-clear", "n_clicks"),
          *PARAM_STATES, State("map-config", "data"), prevent_initial_call=True)
@auth.role("planner")
def run_analysis(_run, _go, _clear, *values):
    """Run the analysis with the panel's parameters in the chosen unit (a heavy one goes to
    ``run_heavy`` in the background); or clear the result."""
    *params, config = values
    lang = _lang(config)
    if ctx.triggered_id == "ana-clear":
        return (t("ana.hint", lang), EMPTY_HEX, EMPTY_FC, {"palette": [], "opacity": 0.5}, EMPTY_FC, None, no_update,
                [], None)
    try:
        controls = _controls(params)
        p = analyses.Params.from_controls(controls)
        view = _recent(p, lang)
        if view is not None:  # a recent result shown again is still a run the planner asked for
            auth.audit("analysis", analysis=p.kind, parameters=_audited(p), recent=True)
        if view is None and _heavy(p):
            auth.audit("analysis", analysis=p.kind, parameters=_audited(p), background=True)
            return (html.Div(t("ana.queued", lang), className="om-note"), *(no_update,) * (len(RESULT_OUTPUTS) - 1),
                    {"params": controls, "lang": lang, "at": time.time(),
                     "hint": jobs.fit_hint(context.store(), p)})
        view = view or _view(p, lang)
    except (ValueError, LookupError, TypeError) as exc:
        return *_failed(exc, lang), None
    return *_shown(view, controls, lang), None


auth.output_role("planner", "ana-cancel", "ana-clear")  # Dash's own cancel callbacks of run_heavy


@callback(*[Output(i, prop, allow_duplicate=True) for i, prop in RESULT_OUTPUTS], Input("ana-job", "data"),
          background=True, progress=[Output("ana-progress", "children")], progress_default=[""],
          running=[(Output("ana-cancel", "className"), "om-button", "om-button om-hidden"),
                   (Output("ana-run", "disabled"), True, False)],
          cancel=[Input("ana-cancel", "n_clicks"), Input("ana-clear", "n_clicks")], prevent_initial_call=True)
@auth.role("planner")
def run_heavy(set_progress, job):
    """A heavy analysis in the background (``mapapp.background``): progress each second, 取消
    or 清除结果 kills it, and it stops at the memory and time limits with a message naming what
    would fit. The parameters are checked again in the child (this request could be forged)."""
    if not isinstance(job, dict) or not isinstance(job.get("params"), dict):
        return (no_update,) * len(RESULT_OUTPUTS)
    lang = "en" if job.get("lang") == "en" else "zh"
    settings = background.job_settings()

    def progress(elapsed: float) -> None:
        bar = html.Progress(value=str(int(elapsed)), max=str(settings.job_seconds), className="om-progress")
        set_progress([html.Span([t("ana.progress", lang, elapsed=int(elapsed), limit=settings.job_seconds), bar])])

    read = background.edition(settings)  # the store the child is about to open
    try:
        p = analyses.Params.from_controls(job["params"])
        hint = job.get("hint")  # what fits, said if it is stopped before the child says it (text only)
        hint = tuple(str(h)[:300] for h in hint) if isinstance(hint, list) and len(hint) == 2 else ("", "")
        view = jobs.run_limited(jobs.checked_analysis, str(Path(settings.db_path).resolve()), p, lang,
                                settings.budget_cells, settings.budget_pairs, memory_mb=settings.job_memory_mb,
                                seconds=settings.job_seconds, start="spawn", on_wait=progress, hint=hint)
    except (ValueError, LookupError, TypeError) as exc:
        return _failed(exc, lang)
    if background.edition(settings) == read:  # not rebuilt meanwhile: kept for the other workers
        background.remember(settings, _key(p, lang), view)
    return _shown(view, job["params"], lang)


@callback(Output("ana-kind", "value"), Output("ana-lon", "value"), Output("ana-lat", "value"),
          Output("ana-event", "value"), Output("ana-go", "data"), Output("ana-res", "value"),
          Input({"type": "ana-here", "kind": ALL}, "n_clicks"), State("map-leaflet", "clickData"),
          State("ana-event", "value"), State("map-cell", "data"), prevent_initial_call=True)
@auth.role("planner")
def run_here(clicks, click, event, cell):
    """"Assess here" / "simulate an event here" on a hexagon card: that point, that analysis;
    a site is scored at the card's own hexagon resolution (the hexagon the planner clicked), within
    the resolutions the panel offers."""
    if not any(clicks) or not click or not isinstance(ctx.triggered_id, dict):
        return (no_update,) * 6
    kind = ctx.triggered_id.get("kind")
    lat, lng = float(click["latlng"]["lat"]), float(click["latlng"]["lng"])
    go = {"kind": kind, "n": sum(c or 0 for c in clicks)}
    res = analyses.cell_resolution(cell) if kind == "site" else None
    if res is not None:  # a card opened at street zoom (res 9+) is scored on its res-8 parent, the finest offered
        res = min(max(res, min(analysis_view.RESOLUTIONS)), max(analysis_view.RESOLUTIONS))
    return (kind, round(lng, 5), round(lat, 5), "point" if kind == "dispatch" and event == "polygon" else event, go,
            no_update if res is None else res)


def _polygon_from_upload(contents: str, filename: str | None) -> dict[str, Any]:
    """A GeoJSON upload -> its (first) polygonal geometry; ValueError naming the file."""
    name = str(filename or "upload")[:80]
    try:
        raw = base64.b64decode(str(contents).split(",", 1)[1])
        data = json.loads(raw.decode("utf-8-sig"))
    except (ValueError, IndexError, UnicodeDecodeError, RecursionError):
        raise ValueError(f"{name}: found a file that is not UTF-8 GeoJSON; "
                         "expected a polygon exported as GeoJSON (WGS-84)") from None
    feats = data.get("features") if isinstance(data, dict) and data.get("type") == "FeatureCollection" else [data]
    for f in feats if isinstance(feats, list) else []:
        geom = f.get("geometry") if isinstance(f, dict) and f.get("type") == "Feature" else f
        if isinstance(geom, dict) and geom.get("type") in ("Polygon", "MultiPolygon"):
            return _checked_polygon(geom, name)
    raise ValueError(f"{name}: found no Polygon or MultiPolygon; expected a GeoJSON polygon in WGS-84 lon/lat")


def _checked_polygon(geom: dict[str, Any], name: str) -> dict[str, Any]:
    """``geom`` if shapely reads it as a non-empty polygon in lon/lat; ValueError naming ``name``."""
    from shapely.geometry import shape  # noqa: PLC0415

    try:
        poly = shape(geom)
        ok = not poly.is_empty and poly.geom_type in ("Polygon", "MultiPolygon")
        west, south, east, north = poly.bounds if ok else (0, 0, 0, 0)
    except Exception:  # noqa: BLE001 - malformed rings raise TypeError, ValueError or GEOSException
        ok = False
    if not ok or not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise ValueError(f"{name}: found a polygon whose coordinates are not [longitude, latitude] rings; "
                         "expected a GeoJSON Polygon or MultiPolygon in WGS-84")
    return geom


def _vertices(geom: dict[str, Any]) -> int:
    rings = geom["coordinates"] if geom["type"] == "Polygon" else [r for p in geom["coordinates"] for r in p]
    return sum(len(r) for r in rings)


@callback(Output("ana-polygon", "data"), Output("ana-polygon-status", "children"),
          Input("ana-upload", "contents"), Input("ana-draw", "geojson"), State("ana-upload", "filename"),
          State("map-config", "data"), prevent_initial_call=True)
@auth.role("planner")
def event_polygon(contents, drawn, filename, config):
    """The event polygon: the last uploaded file or drawn shape."""
    lang = _lang(config)
    try:
        if ctx.triggered_id == "ana-upload" and contents:
            geom, source = _polygon_from_upload(contents, filename), filename or "upload"
        else:
            features = drawn.get("features") if isinstance(drawn, dict) else None
            feats = [f for f in (features if isinstance(features, list) else [])
                     if isinstance(f, dict) and isinstance(f.get("geometry"), dict)
                     and f["geometry"].get("type") in ("Polygon", "MultiPolygon")]
            if not feats:
                return None, t("ana.polygon.none", lang)
            source = t("ana.polygon.drawn", lang)
            geom = _checked_polygon(feats[-1]["geometry"], source)
        return geom, t("ana.polygon.ok", lang, source=source, n=_vertices(geom))
    except ValueError as exc:
        return None, html.Span(user_message(exc, lang), className="om-error")


@callback(Output("ana-download", "data"), Input({"type": "ana-dl", "fmt": ALL}, "n_clicks"),
          State("ana-params", "data"), State("map-config", "data"), prevent_initial_call=True)
@auth.role("planner")
def download(clicks, params, config):
    """The last result's full table (or its hexagons) as CSV, XLSX or GeoJSON."""
    if not any(clicks) or not params or not isinstance(ctx.triggered_id, dict):
        return no_update
    lang, fmt = _lang(config), ctx.triggered_id.get("fmt")
    if fmt not in ("csv", "xlsx", "geojson"):
        return no_update
    p = analyses.Params.from_controls(params)
    view = _view(p, lang)
    table = view.table
    if fmt == "geojson" and view.cells is not None:
        table = view.cells
    about = {"analysis": view.name, "method": view.method, "parameters": p.key(),
             "build_id": context.store().meta.get("build_id")}
    auth.audit("download", analysis=view.name, format=fmt, rows=len(table), parameters=_audited(p))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"onemap_{view.name}.{fmt}"
        write_table(table, path, sheet=view.name, about=about, mark=internal_mark(lang))
        return dcc.send_bytes(path.read_bytes(), path.name)


clientside_callback(ClientsideFunction("onemap", "analysisLayer"),
                    Output("ana-hex-layer", "data"), Output("ana-hex-layer", "hideout"),
                    Input("ana-hex", "data"), Input("ana-opacity", "value"), State("ana-hex-layer", "hideout"))
