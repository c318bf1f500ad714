"""Callbacks of the map page: each checks its inputs, calls one ``layers`` function and returns
components (server) or hands compact data to ``assets/map.js`` (clientside)."""

from __future__ import annotations

import logging
import math
from typing import Any

from dash import ALL, MATCH, ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, no_update

from layers import (
    Viewport,
    admin_tree,
    cell_card,
    facilities_in_cell,
    facility_card,
    facility_hexes_in_view,
    facility_points_in_view,
    hazard_cells_in_view,
    hazard_layers,
    resolution_for_zoom,
    unit_summary,
)
from mapapp import auth, components, context, map_legend
from mapapp.errors import user_message
from mapapp.i18n import label, t

logger = logging.getLogger(__name__)

PAD = 0.08  # share of the view added on each side, so hexagons cut by the edge are drawn
POINTS_MIN_ZOOM = 10  # below: enterprises aggregated per hexagon
POINT_LIMIT = 3000
VIEW = [Input("map-leaflet", "bounds"), Input("map-leaflet", "zoom")]


def _lang(config: dict | None) -> str:
    return (config or {}).get("lang", "zh")


def _viewport(bounds: Any, zoom: Any) -> Viewport:
    view = Viewport.parse(bounds, zoom)
    dy, dx = (view.north - view.south) * PAD, (view.east - view.west) * PAD
    return Viewport.parse([[max(view.south - dy, -85), view.west - dx], [min(view.north + dy, 85), view.east + dx]],
                          view.zoom)


def _min_class(value: Any) -> int:
    """The lowest class shown: a whole number 0..20 (``ValueError`` for 1e308, NaN, text)."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 20 or value != int(value):
        raise ValueError(f"min_class: found {value!r:.20}; expected a whole number 0..20")
    return int(value)


def _lnglat(coordinates: Any) -> tuple[float, float]:
    """A GeoJSON [lng, lat] position of finite numbers on the globe (``ValueError`` otherwise)."""
    if not isinstance(coordinates, (list, tuple)) or len(coordinates) != 2 or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in coordinates):
        raise ValueError(f"coordinates: found {coordinates!r:.40}; expected [longitude, latitude]")
    lng, lat = map(float, coordinates)
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise ValueError(f"coordinates: found {coordinates!r:.40}; expected longitude -180..180, latitude -90..90")
    return lng, lat


def _alert(exc: Exception, lang: str) -> Any:
    from dash import html  # noqa: PLC0415

    return html.Span(user_message(exc, lang), className="om-error")


@callback(Output({"type": "map-hex", "layer": MATCH}, "data"),
          Output({"type": "map-status", "layer": MATCH, "kind": "hazard"}, "children"),
          *VIEW, Input({"type": "map-toggle", "layer": MATCH, "kind": "hazard"}, "value"),
          Input({"type": "map-minclass", "layer": MATCH, "kind": "hazard"}, "value"), State("map-config", "data"))
@auth.role("viewer")
def hazard_hexagons(bounds, zoom, on, min_class, config):
    """The toggled hazard's hexagons in view, as compact arrays for ``onemap.cb.hexLayers``."""
    hazard, lang = ctx.outputs_list[0]["id"]["layer"], _lang(config)
    if not on or bounds is None:
        return {"cells": [], "cls": [], "value": []}, ""
    try:
        payload = hazard_cells_in_view(context.store(), hazard, _viewport(bounds, zoom),
                                       min_class=_min_class(min_class))
    except (ValueError, TypeError) as exc:
        return no_update, _alert(exc, lang)
    name = label("hazard", hazard, lang)
    status = t("status.hexes", lang, hazard=name, res=payload.res, n=f"{len(payload.cells):,}")
    if payload.truncated:
        status += t("status.coarser", lang, res=payload.res)
    if payload.sampled_share > 0.05:
        status += t("status.sampled", lang, share=round(100 * payload.sampled_share))
    return payload.to_dict(), status


def _points(entity: str, bounds, zoom, on, lang: str, **filters) -> tuple[Any, Any]:
    if not on or bounds is None:
        return {"type": "FeatureCollection", "features": []}, ""
    name = t(f"layer.{entity}", lang)
    try:
        view = _viewport(bounds, zoom)
        if entity == "enterprises" and view.zoom < POINTS_MIN_ZOOM:
            agg = facility_hexes_in_view(context.store(), entity, view, **filters)
            return components.hexes_geojson(agg), t("status.agg", lang, layer=name, n=f"{agg['total']:,}", res=agg["res"])
        points = facility_points_in_view(context.store(), entity, view, limit=POINT_LIMIT, **filters)
    except (ValueError, TypeError) as exc:
        return no_update, _alert(exc, lang)
    key = "status.points_cut" if points["truncated"] else "status.points"
    return components.points_geojson(points), t(key, lang, layer=name, n=f"{points['count']:,}")


@callback(Output("map-points-parks", "data"), Output({"type": "map-status", "layer": "parks", "kind": "entity"}, "children"),
          *VIEW, Input({"type": "map-toggle", "layer": "parks", "kind": "entity"}, "value"),
          Input("map-levels", "value"), Input("map-chains", "value"), State("map-config", "data"))
@auth.role("viewer")
def park_points(bounds, zoom, on, levels, chains, config):
    return _points("parks", bounds, zoom, on, _lang(config), levels=levels or None, chains=chains or None)


@callback(Output("map-points-reserves", "data"), Output({"type": "map-status", "layer": "reserves", "kind": "entity"}, "children"),
          *VIEW, Input({"type": "map-toggle", "layer": "reserves", "kind": "entity"}, "value"),
          Input("map-tiers", "value"), State("map-config", "data"))
@auth.role("viewer")
def reserve_points(bounds, zoom, on, tiers, config):
    return _points("reserves", bounds, zoom, on, _lang(config), tiers=tiers or None)


@callback(Output("map-points-enterprises", "data"),
          Output({"type": "map-status", "layer": "enterprises", "kind": "entity"}, "children"),
          *VIEW, Input({"type": "map-toggle", "layer": "enterprises", "kind": "entity"}, "value"),
          Input("map-chains", "value"), Input("map-flags", "value"), State("map-config", "data"))
@auth.role("viewer")
def enterprise_points(bounds, zoom, on, chains, flags, config):
    flags = flags or []
    return _points("enterprises", bounds, zoom, on, _lang(config), chains=chains or None,
                   above_size_only="above" in flags, leading_only="leading" in flags)


@callback(Output("map-card", "children"), Output("map-cell", "data"),
          Output("map-leaflet", "viewport", allow_duplicate=True),
          Input("map-leaflet", "clickData"), Input("map-points-parks", "clickData"),
          Input("map-points-reserves", "clickData"), Input("map-points-enterprises", "clickData"),
          State("map-leaflet", "zoom"), State("map-config", "data"), State("map-chains", "value"),
          State("map-flags", "value"), State("ana-draw", "action"), prevent_initial_call=True)
@auth.role("viewer")
def show_card(map_click, park_click, reserve_click, enterprise_click, zoom, config, chains, flags, drawing):
    """A clicked hexagon or facility -> its card; an aggregate -> the card of what it holds.
    Clicks that place the points of a shape being drawn (measuring, an event area) open nothing."""
    lang, trigger = _lang(config), ctx.triggered_id
    if trigger == "map-leaflet" and isinstance(drawing, dict) and str(drawing.get("type", "")).endswith("start"):
        return no_update, no_update, no_update
    try:
        if trigger == "map-leaflet":
            lng, lat = _lnglat([map_click["latlng"]["lng"], map_click["latlng"]["lat"]])
            store = context.store()
            res = resolution_for_zoom(zoom or 7, sorted(store.meta["resolutions"]), lat=lat)
            card = cell_card(store, lat, lng, res)
            return components.cell_card(card, lang), card["cell"], no_update
        click = {"map-points-parks": park_click, "map-points-reserves": reserve_click,
                 "map-points-enterprises": enterprise_click}[trigger]
        props = (click or {}).get("properties") or {}
        if props.get("agg"):
            flags = flags or []
            inside = facilities_in_cell(context.store(), "enterprises", str(props.get("cell")), chains=chains or None,
                                        above_size_only="above" in flags, leading_only="leading" in flags)
            return components.aggregate_card(inside, lang), None, no_update
        card = facility_card(context.store(), trigger.removeprefix("map-points-"), str(props.get("id")))
        if not auth.may("planner"):  # depot stock and production capacity are internal
            card = {**card, "materials": []}
        return components.facility_card(card, lang), None, no_update
    except (LookupError, ValueError, TypeError, KeyError) as exc:
        return _alert(exc, lang), None, no_update


@callback(Output("map-leaflet", "viewport", allow_duplicate=True), Input("map-agg-zoom", "n_clicks"),
          State("map-agg-bounds", "data"), prevent_initial_call=True)
@auth.role("viewer")
def zoom_to_aggregate(clicks, bounds):
    """放大到此处 on an aggregate's card: fit its hexagon (its facilities then show one by one)."""
    if not clicks or not bounds:
        return no_update
    return {"bounds": bounds, "transition": "flyToBounds"}


@callback(Output("map-card", "children", allow_duplicate=True), Input({"type": "map-agg-item", "id": ALL}, "n_clicks"),
          State("map-config", "data"), prevent_initial_call=True)
@auth.role("viewer")
def aggregate_item(clicks, config):
    """A facility listed on an aggregate's card -> its own card."""
    lang, trigger = _lang(config), ctx.triggered_id
    if not trigger or not any(clicks or []):
        return no_update
    try:
        return components.facility_card(facility_card(context.store(), "enterprises", str(trigger["id"])), lang)
    except (LookupError, ValueError) as exc:
        return _alert(exc, lang)


@callback(Output("map-city", "options"), Output("map-city", "value"), Output("map-county", "options"),
          Output("map-county", "value", allow_duplicate=True),
          Input("map-province", "value"), prevent_initial_call=True)
@auth.role("viewer")
def pick_province(province):
    tree = admin_tree(context.store())
    cities = [{"label": u["name"], "value": u["adcode"]} for u in tree if u["level"] == "city" and u["parent"] == province]
    counties = [{"label": u["name"], "value": u["adcode"]} for u in tree if u["level"] == "county" and u["parent"] == province]
    return cities, None, counties, None


@callback(Output("map-county", "options", allow_duplicate=True), Output("map-county", "value"),
          Input("map-city", "value"), State("map-province", "value"), prevent_initial_call=True)
@auth.role("viewer")
def pick_city(city, province):
    parent = city or province
    tree = admin_tree(context.store())
    return [{"label": u["name"], "value": u["adcode"]} for u in tree
            if u["level"] == "county" and u["parent"] == parent], None


@callback(Output("map-unit-code", "data"), Output("map-leaflet", "viewport"),
          Input("map-province", "value"), Input("map-city", "value"), Input("map-county", "value"),
          prevent_initial_call=True)
@auth.role("viewer")
def pick_unit(province, city, county):
    """The deepest unit chosen; the map fits it."""
    unit = county or city or province
    if not unit:
        return None, no_update
    bbox = next((u["bbox"] for u in admin_tree(context.store()) if u["adcode"] == unit), None)
    view = {"bounds": [[bbox[1], bbox[0]], [bbox[3], bbox[2]]], "transition": "flyToBounds"} if bbox else no_update
    return unit, view


@callback(Output("map-unit", "children"), Input("map-unit-code", "data"), State("map-config", "data"))
@auth.role("viewer")
def show_unit(unit, config):
    """The chosen unit's figures and charts."""
    lang = _lang(config)
    if not unit:
        return None
    try:
        return components.unit_panel(unit_summary(context.store(), unit), lang)
    except (LookupError, ValueError) as exc:
        return _alert(exc, lang)


@callback(Output("map-chains", "value"), Input("map-chart-chains", "clickData"),
          State("map-chains", "value"), prevent_initial_call=True)
@auth.role("viewer")
def chain_bar_filters(click, chains):
    """A click on a chain bar filters the map to that chain (again: removes it)."""
    chain = ((click or {}).get("points") or [{}])[0].get("customdata")
    if not chain:
        return no_update
    chains = list(chains or [])
    return [c for c in chains if c != chain] if chain in chains else [*chains, chain]


@callback(Output("map-legend", "children"), Input({"type": "map-toggle", "layer": ALL, "kind": ALL}, "value"),
          Input("ana-legend", "data"),
          State({"type": "map-toggle", "layer": ALL, "kind": ALL}, "id"), State("map-config", "data"))
@auth.role("viewer")
def legends(values, analysis, ids, config):
    """The floating legend: one titled block per layer switched on, in the layer tree's order
    (a hazard drawn as outlines says so), then the blocks of the analysis result drawn."""
    from dash import html  # noqa: PLC0415

    lang = _lang(config)
    hazards = {h["hazard"]: h for h in hazard_layers(context.store())}
    modes = map_legend.hazard_draw_modes([c["layer"] for v, c in zip(values or [], ids or [])
                                          if v and c["kind"] == "hazard" and c["layer"] in hazards])
    blocks = []
    for value, cid in zip(values or [], ids or []):
        layer = cid["layer"]
        if not value or (cid["kind"] == "hazard" and layer not in hazards):
            continue
        if cid["kind"] == "hazard":
            title, body = label("hazard", layer, lang), components.hazard_legend(hazards[layer], lang)
            if modes[layer] == "outline":
                body = html.Div([html.Div(t("legend.hazard.outline", lang), className="om-legend-note om-outline-note"),
                                 body], className="om-legend-outline")
        else:
            title, body = t(f"layer.{layer}", lang), components.facility_legend(layer, lang)
        blocks.append(html.Div([html.H5(title), body], className="om-legend-block", **{"data-layer": layer}))
    blocks += map_legend.render(analysis if isinstance(analysis, list) else [])
    return blocks or html.Div(t("legend.none", lang), className="om-legend-note")


@callback(Output("map-tiles", "children"), Input("map-basemap", "value"), prevent_initial_call=True)
@auth.role("viewer")
def basemap_tiles(basemap):
    from mapapp.pages.map import tile_layers  # noqa: PLC0415

    return tile_layers(basemap or "offline")


# all hazard layers in one callback: whether a hazard is filled or drawn as rings depends on
# which others are on (mapapp.map_legend.hazard_draw_modes)
clientside_callback(ClientsideFunction("onemap", "hexLayers"),
                    Output({"type": "map-hex-layer", "layer": ALL}, "data"),
                    Output({"type": "map-hex-layer", "layer": ALL}, "hideout"),
                    Input({"type": "map-hex", "layer": ALL}, "data"),
                    Input({"type": "map-opacity", "layer": ALL, "kind": "hazard"}, "value"),
                    Input({"type": "map-toggle", "layer": ALL, "kind": "hazard"}, "value"),
                    State({"type": "map-hex-layer", "layer": ALL}, "hideout"),
                    State({"type": "map-hex-layer", "layer": ALL}, "id"),
                    State({"type": "map-hex", "layer": ALL}, "id"),
                    State({"type": "map-opacity", "layer": ALL, "kind": "hazard"}, "id"),
                    State({"type": "map-toggle", "layer": ALL, "kind": "hazard"}, "id"))
for _entity in ("parks", "reserves", "enterprises"):
    clientside_callback(ClientsideFunction("onemap", "pointOpacity"),
                        Output(f"map-points-{_entity}", "hideout"),
                        Input({"type": "map-opacity", "layer": _entity, "kind": "entity"}, "value"),
                        State(f"map-points-{_entity}", "hideout"))
clientside_callback(ClientsideFunction("onemap", "basemapZoom"),
                    Output("map-boundary-county", "hideout"), Output("map-labels-county", "hideout"),
                    Input("map-leaflet", "zoom"), Input("map-unit-code", "data"),
                    State("map-boundary-county", "hideout"), State("map-labels-county", "hideout"))
for _level in ("city", "province"):
    clientside_callback(ClientsideFunction("onemap", "basemapZoom"),
                        Output(f"map-boundary-{_level}", "hideout"), Output(f"map-labels-{_level}", "hideout"),
                        Input("map-leaflet", "zoom"), Input("map-unit-code", "data"),
                        State(f"map-boundary-{_level}", "hideout"), State(f"map-labels-{_level}", "hideout"))
clientside_callback(ClientsideFunction("onemap", "cellOutline"), Output("map-selected-cell", "data"),
                    Input("map-cell", "data"))
clientside_callback(ClientsideFunction("onemap", "switchLang"), Output("map-lang-switch", "data"),
                    Input("map-lang-zh", "n_clicks"), Input("map-lang-en", "n_clicks"),
                    State("map-card-target", "data"), prevent_initial_call=True)
clientside_callback(ClientsideFunction("onemap", "cardTarget"), Output("map-card-target", "data"),
                    Input("map-cell", "data"), Input("map-points-parks", "clickData"),
                    Input("map-points-reserves", "clickData"), Input("map-points-enterprises", "clickData"),
                    prevent_initial_call=True)
clientside_callback(
    ClientsideFunction("onemap", "writeUrl"), Output("map-url-query", "data"),
    Input("map-leaflet", "center"), Input("map-leaflet", "zoom"),
    Input({"type": "map-toggle", "layer": ALL, "kind": ALL}, "value"),
    Input({"type": "map-opacity", "layer": ALL, "kind": ALL}, "value"),
    Input("map-chains", "value"), Input("map-levels", "value"), Input("map-tiers", "value"),
    Input("map-flags", "value"), Input({"type": "map-minclass", "layer": ALL, "kind": ALL}, "value"),
    Input("map-unit-code", "data"), Input("map-basemap", "value"),
    State({"type": "map-toggle", "layer": ALL, "kind": ALL}, "id"),
    State({"type": "map-opacity", "layer": ALL, "kind": ALL}, "id"),
    State({"type": "map-minclass", "layer": ALL, "kind": ALL}, "id"), State("map-config", "data"))
