"""Callbacks of the search box (``mapapp.search_view``): type -> results; pick one -> the map
flies there and its card opens (a unit: the unit panel and outline; a facility: its card)."""

from __future__ import annotations

from dash import ALL, Input, Output, State, callback, ctx, html, no_update

from layers import facility_card, search_places
from mapapp import auth, components, context, search_view
from mapapp.errors import user_message

ADMIN_KINDS = ("province", "city", "county")


def _lang(config: dict | None) -> str:
    return (config or {}).get("lang", "zh")


@callback(Output("map-search-results", "children"), Output("map-search-hits", "data"),
          Input("map-search", "value"), State("map-config", "data"), prevent_initial_call=True)
@auth.role("viewer")
def search(query, config):
    """The best matches of the typed text (Chinese, pinyin, initials or a near miss)."""
    lang = _lang(config)
    if not query or not str(query).strip():
        return [], []
    store = context.store()
    hits = search_places(store, str(query), limit=search_view.MAX_RESULTS)
    names = {code: u["name"] for code, u in context.admin_index(store).items()}
    return search_view.result_list(hits, names, lang), hits


@callback(Output("map-leaflet", "viewport", allow_duplicate=True),
          Output("map-card", "children", allow_duplicate=True),
          Output("map-unit-code", "data", allow_duplicate=True),
          Output("map-search-results", "children", allow_duplicate=True),
          Input({"type": "map-search-hit", "index": ALL}, "n_clicks"), State("map-search-hits", "data"),
          State("map-config", "data"), prevent_initial_call=True)
@auth.role("viewer")
def pick(clicks, hits, config):
    """A chosen result: fly to it and open its card."""
    lang, trigger = _lang(config), ctx.triggered_id
    if not trigger or not any(clicks or []) or not hits or trigger["index"] >= len(hits):
        return no_update, no_update, no_update, no_update
    hit = hits[trigger["index"]]
    if hit["kind"] in ADMIN_KINDS:
        w, s, e, n = hit["bbox"]
        return ({"bounds": [[s, w], [n, e]], "transition": "flyToBounds"}, no_update, hit["id"], [])
    view = {"center": [hit["lat"], hit["lon"]], "zoom": search_view.FACILITY_ZOOM, "transition": "flyTo"}
    try:
        card = components.facility_card(facility_card(context.store(), hit["kind"], hit["id"]), lang)
    except (LookupError, ValueError) as exc:
        card = html.Span(user_message(exc, lang), className="om-error")
    return view, card, no_update, []

