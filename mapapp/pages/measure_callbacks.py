"""Callbacks of the measuring tool (``mapapp.measure_view``): shapes drawn -> their geodesic
lengths and areas; 清除测量 -> the drawing toolbar's own 删除 / 清除全部 (``onemap.cb.clearDrawn``),
so the drawn shapes, the event polygon and the read-out go together."""

from __future__ import annotations

from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, html

from layers import measure_shapes
from mapapp import auth, measure_view
from mapapp.errors import user_message


@callback(Output("map-measure-out", "children"), Output("map-measure-box", "className"),
          Input("ana-draw", "geojson"), State("map-config", "data"), prevent_initial_call=True)
@auth.role("viewer")
def measured(drawn, config):
    """Each line's length, each polygon's area and perimeter (hidden when nothing is drawn)."""
    lang = (config or {}).get("lang", "zh")
    try:
        results = measure_shapes(drawn or {"type": "FeatureCollection", "features": []})
    except ValueError as exc:
        return html.Span(user_message(exc, lang), className="om-error"), "om-measure"
    if not results:
        return [], "om-measure om-hidden"
    return measure_view.readout(results, lang), "om-measure"


clientside_callback(ClientsideFunction("onemap", "clearDrawn"), Output("map-measure-clear", "title"),
                    Input("map-measure-clear", "n_clicks"), prevent_initial_call=True)
clientside_callback(ClientsideFunction("onemap", "drawToUrl"), Output("map-draw-note", "children"),
                    Input("ana-draw", "geojson"), State("map-config", "data"), prevent_initial_call=True)
