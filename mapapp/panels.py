"""Floating panels over the full-window map: a list of :class:`Panel`, their toggle buttons
and one clientside callback (``onemap.panels``) that opens and closes them.

A panel starts in the state CSS gives its side at the window's width (``om-panel-auto``:
the layer panel open from 900 px, the results panel from 1440 px; on phones both start
closed and open as bottom sheets). A toggle flips it; a new card, unit or analysis result
opens the results panel. Another feature adds a panel by appending to ``PANELS`` and passing
its body to :func:`floating_panels`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dash_mantine_components as dmc
from dash import ALL, ClientsideFunction, Input, Output, State, clientside_callback, html

from mapapp.i18n import t


@dataclass(frozen=True)
class Panel:
    name: str  # ids: {"type": "map-panel", "panel": name} and {"type": "map-panel-toggle", ...}
    title: str  # i18n key
    side: str  # "left" or "right"


PANELS: list[Panel] = [Panel("layers", "panel.layers_filters", "left"),
                       Panel("results", "panel.results", "right")]
#: Component properties that open the results panel when they change.
OPENERS = [("map-card", "children"), ("map-unit", "children"), ("ana-result", "children")]


def toggles(lang: str) -> list[Any]:
    """One toggle button per panel (for the map toolbar)."""
    return [dmc.Button(t(p.title, lang), id={"type": "map-panel-toggle", "panel": p.name}, size="xs",
                       variant="white", className="om-panel-toggle", n_clicks=0) for p in PANELS]


def floating_panel(panel: Panel, body: Any, lang: str) -> html.Div:
    """``body`` in a closable card on ``panel.side`` of the map."""
    head = html.Div([html.Span(t(panel.title, lang), className="om-panel-title"),
                     html.Button("×", id={"type": "map-panel-close", "panel": panel.name}, n_clicks=0,
                                 className="om-panel-close", title=t("card.close", lang))],
                    className="om-panel-head")
    return html.Div(dmc.Paper([head, html.Div(body, className="om-panel-body")], shadow="md", radius="sm",
                              withBorder=True, className="om-panel-paper"),
                    id={"type": "map-panel", "panel": panel.name}, **{"data-panel": panel.name},
                    className=f"om-panel om-panel-{panel.side} om-panel-{panel.name} om-panel-auto")


def floating_panels(bodies: dict[str, Any], lang: str) -> list[html.Div]:
    """The panels of ``PANELS`` that have a body in ``bodies`` (name -> component)."""
    return [floating_panel(p, bodies[p.name], lang) for p in PANELS if p.name in bodies]


clientside_callback(
    ClientsideFunction("onemap", "panels"),
    Output({"type": "map-panel", "panel": ALL}, "className"),
    Input({"type": "map-panel-toggle", "panel": ALL}, "n_clicks"),
    Input({"type": "map-panel-close", "panel": ALL}, "n_clicks"),
    *[Input(cid, prop) for cid, prop in OPENERS],
    State({"type": "map-panel", "panel": ALL}, "id"),
    State({"type": "map-panel", "panel": ALL}, "className"),
    prevent_initial_call=True)
