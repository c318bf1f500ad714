"""The search box over the map (搜索…) and its result list; callbacks in
``mapapp.pages.search_callbacks``. Ids are ``map-search*``."""

from __future__ import annotations

from typing import Any

import dash_mantine_components as dmc
from dash import dcc, html

from layers import english_text
from mapapp.i18n import t

MAX_RESULTS = 8
#: Zoom a facility result flies to (points, not aggregates, show from zoom 10).
FACILITY_ZOOM = 13


def search_box(lang: str) -> html.Div:
    """The search input and the (initially empty) list of results under it."""
    return html.Div([
        dmc.TextInput(id="map-search", placeholder=t("search.placeholder", lang), debounce=250, size="xs",
                      className="om-search-input", autoComplete="off", value=""),
        html.Div(id="map-search-results", className="om-search-results"),
        dcc.Store(id="map-search-hits"),
    ], className="om-search")


def _name(text: str, lang: str) -> str:
    return english_text(text) if lang == "en" and text else text


def result_list(hits: list[dict[str, Any]], names: dict[str, str], lang: str) -> list[Any]:
    """One button per hit: name, kind and the parent unit's name (``names``: adcode -> name)."""
    if not hits:
        return [html.Div(t("search.none", lang), className="om-search-none")]
    rows = []
    for i, hit in enumerate(hits):
        parent = names.get(str(hit.get("parent") or ""), "")
        rows.append(html.Button([
            html.Span(_name(hit["name"], lang), className="om-search-name"),
            html.Span(t(f"search.kind.{hit['kind']}", lang), className="om-tag"),
            html.Span(_name(parent, lang), className="om-search-parent")],
            id={"type": "map-search-hit", "index": i}, n_clicks=0, className="om-search-hit"))
    return rows
