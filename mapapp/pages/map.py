"""The one map, filling the window; floating over it: the search box and panel toggles, the
layer tree with filters and admin drill-down (left), analyses and cards (right), the legend of
the visible layers, the coordinate readout and the loading indicator (``mapapp.panels``).

``layout(**query)`` restores a shared URL (``mapapp.urlstate``); the callbacks live beside it
in ``mapapp.pages.map_callbacks``. Component ids are ``map-*``.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_leaflet as dl
from dash import dcc, html

from layers import VOCABULARIES, admin_tree, hazard_layers
from mapapp import analysis_view, auth, components, context, drawstate, measure_view, panels, report_export, search_view, style
from mapapp.cardstate import card_from_query
from mapapp.header import header
from mapapp.i18n import label, t
from mapapp.industry_text import ti as t_ind
from mapapp.industry_view import industry_item, item_marker, map_item_card, map_layer_toggle, map_layers
from mapapp.pages import (  # noqa: F401  (register the callbacks)
    analysis_callbacks,
    map_callbacks,
    measure_callbacks,
    report_callbacks,
    search_callbacks,
)
from mapapp.urlstate import ENTITY_LAYERS, MapState

# Dash's page loader (use_pages) imports this file as ``pages.<name>``; an import by its package
# name (``mapapp.pages.<name>``, e.g. for a helper) must not register the path a second time
# without a layout, which would make the router answer that path with an empty page.
if not __name__.startswith("mapapp."):
    dash.register_page(__name__, path="/", title="OneMap 安全应急产业 × 灾害风险 一张图")

OPACITY_DEFAULT = {"hazard": 0.7, "entity": 1.0}
#: Hexagons are drawn unsimplified: Leaflet's default smoothing (1 px) bends shared edges
#: differently on each side and leaves hairline seams between neighbours at low zoom.
HEX_OPTIONS = {"smoothFactor": 0}
MIN_CLASS_DEFAULT = 1  # class 0 (below the first break) is not drawn unless asked
#: Zoom at which each boundary level starts to show, and label zoom ranges [from, to).
BOUNDARY_MIN_ZOOM = {"province": 0, "city": 6, "county": 8}
LABEL_ZOOMS = {"province": [0, 7], "city": [7, 9], "county": [9, 99]}
LABEL_PANE_Z = 640
TILES = {
    "osm": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "© OpenStreetMap contributors"),
    "tianditu": ("https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                 "&LAYER=vec&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
                 "&TILECOL={x}&tk=", "© 天地图 Tianditu"),
}


def js(name: str) -> dict[str, str]:
    """A function of ``assets/map.js`` (``window.onemap.map.<name>``) for a dash-leaflet prop."""
    return {"variable": f"onemap.map.{name}"}


def tile_layers(basemap: str) -> list[Any]:
    """The online tile layer chosen (none for "offline"; Tianditu only with a key)."""
    key = context.settings().tianditu_key
    if basemap == "osm":
        return [dl.TileLayer(url=TILES["osm"][0], attribution=TILES["osm"][1], maxZoom=19)]
    if basemap == "tianditu" and key:
        return [dl.TileLayer(url=TILES["tianditu"][0] + key, attribution=TILES["tianditu"][1],
                             subdomains="01234567", maxZoom=18)]
    return []


def _threshold(hazard: dict[str, Any], min_class: int, lang: str) -> html.Div:
    """Lowest class shown for one hazard (its own labels: classes differ between hazards)."""
    n = len(hazard["labels"])
    return html.Div([
        html.Span(t("filter.minclass", lang), className="om-opacity-label", title=t("filter.minclass_hint", lang)),
        dcc.Dropdown(id={"type": "map-minclass", "layer": hazard["hazard"], "kind": "hazard"},
                     options=[{"label": f"≥ {k} · {text}", "value": k} for k, text in enumerate(hazard["labels"])],
                     value=min(min_class, n - 1), clearable=False, searchable=False, className="om-threshold"),
    ], className="om-opacity")


def _layer_row(layer: str, kind: str, title: str, on: bool, opacity: float, legend: Any,
               lang: str, threshold: Any = None) -> html.Div:
    return html.Div([
        dcc.Checklist(id={"type": "map-toggle", "layer": layer, "kind": kind},
                      options=[{"label": title, "value": layer}], value=[layer] if on else [],
                      className="om-toggle"),
        html.Div([html.Span(t("layer.opacity", lang), className="om-opacity-label"),
                  dcc.Slider(id={"type": "map-opacity", "layer": layer, "kind": kind}, min=0, max=1,
                             step=0.1, value=opacity, marks=None)], className="om-opacity"),
        threshold, html.Details([html.Summary(t("panel.legend", lang)), legend], open=on and kind == "hazard"),
        html.Div(id={"type": "map-status", "layer": layer, "kind": kind}, className="om-status"),
    ], className="om-layer", id=f"map-layer-{layer}")


def _options(vocab: str, lang: str) -> list[dict[str, str]]:
    return [{"label": label(vocab, k, lang), "value": k} for k in VOCABULARIES[vocab]]


def _admin_controls(tree: list[dict[str, Any]], unit: str | None, lang: str) -> html.Div:
    by_code = {u["adcode"]: u for u in tree}
    chain: dict[str, str | None] = {"province": None, "city": None, "county": None}
    code = unit if unit in by_code else None
    while code:
        chain[by_code[code]["level"]] = code
        code = by_code[code].get("parent")

    def options(level: str, parent: str | None) -> list[dict[str, str]]:
        return [{"label": u["name"], "value": u["adcode"]} for u in tree
                if u["level"] == level and (parent is None or u.get("parent") == parent)]

    return html.Div([
        dcc.Dropdown(id="map-province", options=options("province", None), value=chain["province"],
                     placeholder=t("admin.province", lang)),
        dcc.Dropdown(id="map-city", options=options("city", chain["province"]) if chain["province"] else [],
                     value=chain["city"], placeholder=t("admin.city", lang)),
        dcc.Dropdown(id="map-county", options=options("county", chain["city"] or chain["province"])
                     if chain["province"] else [], value=chain["county"], placeholder=t("admin.county", lang)),
    ], className="om-admin")


def _left_panel(state: MapState, hazards: list[dict[str, Any]], tree: list[dict[str, Any]],
                lang: str) -> html.Div:
    op = state.opacity
    industry = [_layer_row(e, "entity", t(f"layer.{e}", lang), e in state.layers,
                           op.get(e, OPACITY_DEFAULT["entity"]), components.facility_legend(e, lang), lang)
                for e in ENTITY_LAYERS]
    risk = [_layer_row(h["hazard"], "hazard", label("hazard", h["hazard"], lang), h["hazard"] in state.hazards,
                       op.get(h["hazard"], OPACITY_DEFAULT["hazard"]), components.hazard_legend(h, lang), lang,
                       _threshold(h, state.min_class.get(h["hazard"], MIN_CLASS_DEFAULT), lang))
            for h in hazards]
    has_key = bool(context.settings().tianditu_key)
    basemaps = [{"label": t("basemap.offline", lang), "value": "offline"},
                {"label": t("basemap.osm", lang), "value": "osm"},
                {"label": t("basemap.tianditu" if has_key else "basemap.tianditu_nokey", lang),
                 "value": "tianditu", "disabled": not has_key}]
    return html.Div([
        html.H3(t("panel.admin", lang)), _admin_controls(tree, state.unit, lang),
        report_export.report_controls(hazards, lang, state.unit),
        html.H3(t("panel.filters", lang)),
        dcc.Dropdown(id="map-chains", options=_options("chain", lang), value=list(state.chains), multi=True,
                     placeholder=t("filter.chains_all", lang)),
        html.Details([html.Summary(t("filter.levels", lang)),
                      dcc.Checklist(id="map-levels", options=_options("park_level", lang), value=list(state.levels))],
                     open=bool(state.levels)),
        html.Details([html.Summary(t("filter.tiers", lang)),
                      dcc.Checklist(id="map-tiers", options=_options("reserve_tier", lang), value=list(state.tiers))],
                     open=bool(state.tiers), className="om-inline"),
        dcc.Checklist(id="map-flags", options=[{"label": t("filter.above", lang), "value": "above"},
                                               {"label": t("filter.leading", lang), "value": "leading"}],
                      value=["above"] * state.above_size + ["leading"] * state.leading),
        html.H3(t("panel.layers", lang)),
        html.H4(t("group.industry", lang)), *industry, map_layer_toggle(lang),
        html.H4(t("group.hazard", lang)), *risk,
        html.H3(t("panel.basemap", lang)),
        dcc.RadioItems(id="map-basemap", options=basemaps, value=state.basemap if has_key or
                       state.basemap != "tianditu" else "offline"),
    ], className="om-left")


def _map(state: MapState, hazards: list[dict[str, Any]], bbox: list[float] | None,
         extra: tuple = ()) -> dl.MapContainer:
    """The map at the state's view; without one, fitted to ``bbox`` ``[w, s, e, n]`` (the
    linked unit's, else the region's); ``extra``: more layers (the industry page's)."""
    # dash-leaflet needs a center and zoom, and reports bounds only after a move to a view that
    # differs from them: start one zoom level off and move (viewport) to the view wanted.
    if state.zoom is not None:
        view: dict[str, Any] = {
            "center": [state.lat, state.lng], "zoom": state.zoom + (1 if state.zoom < 18 else -1),
            "viewport": {"center": [state.lat, state.lng], "zoom": state.zoom, "transition": "setView"}}
    else:
        w, s, e, n = bbox or (73.5, 18.0, 135.0, 53.5)
        view = {"center": [(s + n) / 2, (w + e) / 2], "zoom": 3,
                "viewport": {"bounds": [[s, w], [n, e]], "transition": "fitBounds"}}
    hex_layers = [dl.GeoJSON(id={"type": "map-hex-layer", "layer": h["hazard"]}, interactive=False,
                             style=js("hexStyle"), options=HEX_OPTIONS, hideout={"palette": style.hazard_palette(
                                 h["hazard"], len(h["labels"])), "opacity": OPACITY_DEFAULT["hazard"]})
                  for h in hazards]
    boundary_hide = {"styles": style.BOUNDARY, "minZoom": BOUNDARY_MIN_ZOOM, "zoom": state.zoom or 7,
                     "selected": state.unit}
    # the build in the URL: browsers keep these answers a day (mapapp.routes), not past a rebuild
    build = f"?build={context.store().meta.get('build_id')}"
    boundaries = [dl.GeoJSON(id=f"map-boundary-{lvl}", url=f"/basemap/boundaries/{lvl}.geojson{build}",
                             style=js("boundaryStyle"), hideout=boundary_hide, interactive=False)
                  for lvl in ("county", "city", "province")]
    labels = [dl.GeoJSON(id=f"map-labels-{lvl}", url=f"/basemap/labels/{lvl}.geojson{build}" + ("&lang=en" if state.lang == "en" else ""),
                         pointToLayer=js("labelPoint"), filter=js("labelFilter"),
                         hideout={"zoomRange": LABEL_ZOOMS, "zoom": state.zoom or 7})
              for lvl in ("province", "city", "county")]
    point_hide = {"opacity": 1.0, "shapes": style.PARK_SHAPES, "roles": style.ROLE_COLOURS,
                  "tiers": style.TIER_COLOURS, "chains": style.CHAIN_COLOURS}
    points = [dl.GeoJSON(id=f"map-points-{e}", pointToLayer=js(f"{e[:-1] if e != 'enterprises' else 'enterprise'}Point"),
                         hideout=point_hide, bubblingMouseEvents=False)
              for e in ("enterprises", "reserves", "parks")]
    return dl.MapContainer(
        id="map-leaflet", preferCanvas=True, minZoom=3, maxZoom=18, **view, children=[
            dl.LayerGroup(id="map-tiles", children=tile_layers(state.basemap)),
            dl.Pane(hex_layers, name="om-hazards", style={"zIndex": 350}),
            dl.Pane(boundaries, name="om-boundaries", style={"zIndex": 420}),
            # above Leaflet's marker pane (600: enterprise aggregates, facility symbols) and below
            # its tooltips (650): place names are never buried; they take no clicks
            dl.Pane(labels, name="om-labels", style={"zIndex": LABEL_PANE_Z, "pointerEvents": "none"}),
            dl.GeoJSON(id="map-selected-cell", interactive=False,
                       style={"color": "#d7301f", "weight": 3, "fill": False}),
            *analysis_view.map_layers(), *points, *extra, dl.ScaleControl(position="bottomleft", imperial=False),
            dl.ZoomControl(position="topright"),
            # Leaflet's own credit is English; in Chinese the tile layers' credits suffice
            dl.AttributionControl(prefix="" if state.lang == "zh" else None, position="bottomright")],
        zoomControl=False, attributionControl=False, eventHandlers={"mousemove": js("mouseMove")}, className="om-map")


def legend_panel(lang: str) -> html.Details:
    """The floating legend: one block per visible layer (filled by ``map_callbacks.legends``)."""
    return html.Details([html.Summary(t("panel.legend", lang)), html.Div(id="map-legend", className="om-legend-body")],
                        open=True, id="map-legend-panel", className="om-legend-float")


def layout(**query: Any) -> html.Div:
    """The page for a URL query (validated; bad values fall back and are reported)."""
    store = context.store()
    hazards = hazard_layers(store)
    names = [h["hazard"] for h in hazards]
    state = MapState.from_query(query, hazards=names, chains=list(VOCABULARIES["chain"]),
                                levels=list(VOCABULARIES["park_level"]), tiers=list(VOCABULARIES["reserve_tier"]),
                                default_hazard=names[0] if names else None, default_lang=context.settings().lang)
    lang, meta = state.lang, store.meta
    item = industry_item(store, query.get("item"), lang)  # a row located from the 产业监测 page
    card, card_cell = card_from_query(store, query.get("card"), lang)  # the card open before a language switch
    tree = admin_tree(store)
    unit_box = next((u["bbox"] for u in tree if u["adcode"] == state.unit), None)
    drawn, draw_problem = drawstate.from_query(query.get("draw"), lang)  # shapes drawn before the link was copied
    config = {"lang": lang, "opacityDefault": OPACITY_DEFAULT, "minClassDefault": MIN_CLASS_DEFAULT,
              "hazards": names, "drawMaxChars": drawstate.MAX_CHARS,
              "drawTooLong": t("draw.too_long", lang, limit=f"{drawstate.MAX_CHARS:,}", n="{n}")}
    nav = html.Nav(html.A(t_ind("nav.industry", lang), href=f"/industry?lang={lang}", id="map-nav-industry"),
                   className="ind-nav")
    problems = [t("error.url", lang, keys=", ".join(state.problems))] if state.problems else []
    problems += [draw_problem] if draw_problem else []
    alert = (html.Div(" ".join(problems), className="om-alert", id="map-alert")
             if problems else html.Div(id="map-alert"))
    results = html.Div([
        html.Details([html.Summary(t("panel.analysis", lang)), analysis_view.controls(
            hazards, lang, meta.get("chains_by_hazard"))], open=True, className="om-ana-details"),
        dcc.Loading(html.Div(t("ana.hint", lang), id="ana-result", className="om-ana-wrap"), type="dot",
                    delay_show=300),
        html.Div(map_item_card(item, lang) if item else card or t("card.hint", lang), id="map-card",
                 className="om-card-wrap"),
        html.Div(id="map-unit", className="om-unit-wrap")], className="om-right")
    floating = panels.floating_panels({"layers": _left_panel(state, hazards, tree, lang), "results": results}, lang)
    left = [p for p in floating if "om-panel-left" in p.className]
    right = [p for p in floating if "om-panel-left" not in p.className]
    return html.Div([
        header(meta, lang, nav, auth.badge(lang)), alert,
        html.Div([
            _map(state, hazards, unit_box or meta.get("bbox"), (*item_marker(item), *map_layers())),
            html.Div([html.Div([search_view.search_box(lang), *panels.toggles(lang)], className="om-toolbar"),
                      *left, legend_panel(lang)], className="om-col om-col-left"),
            html.Div([report_export.export_button(lang), *right], className="om-col om-col-right"),
            html.Div(id="map-coords", className="om-coords"), measure_view.box(lang),
            html.Div(t("map.loading", lang), id="map-loading", className="om-loading"),
        ], className="om-body"),
        dcc.Store(id="map-config", data=config), dcc.Store(id="map-draw-init", data=drawn), dcc.Store(id="map-unit-code", data=state.unit),
        dcc.Store(id="map-cell", data=card_cell), dcc.Store(id="map-url-query"), dcc.Store(id="map-lang-switch"),
        dcc.Store(id="map-card-target", data=query.get("card") if card is not None else None),
        *[dcc.Store(id={"type": "map-hex", "layer": h}) for h in names],
        dcc.Store(id="ana-hex"), dcc.Store(id="ana-legend"), dcc.Store(id="ana-go"), dcc.Store(id="ana-params"),
        dcc.Store(id="ana-polygon"), dcc.Store(id="ana-job"),
        dcc.Download(id="ana-download"),
        dcc.Store(id="map-export-config",
                  data=report_export.export_config(meta, hazards, lang, BOUNDARY_MIN_ZOOM)),
        dcc.Store(id="map-export-unit"),
    ], className=f"om-page om-lang-{lang} {auth.role_class()}", lang="zh-CN" if lang == "zh" else "en")
