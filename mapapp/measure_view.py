"""The measuring tool's read-out: every line and polygon drawn with the map's drawing toolbar
(the analyses' EditControl ``ana-draw``, which also draws event polygons) measured on the WGS-84
ellipsoid (``layers.measure_shapes``) and written for people: 米/公里, 平方公里, thousands
separators. Ids are ``map-measure*``; the callback is in ``mapapp.pages.measure_callbacks``."""

from __future__ import annotations

from typing import Any

from dash import html

from mapapp.i18n import t


def length_text(metres: float, lang: str) -> str:
    """``850 米`` below a kilometre, else ``12.35 公里`` (``1,234.5 公里`` from 1,000 km)."""
    if metres < 1000:
        return t("unit.m", lang, v=f"{metres:,.0f}")
    km = metres / 1000
    return t("unit.km", lang, v=f"{km:,.2f}" if km < 1000 else f"{km:,.1f}")


def area_text(m2: float, lang: str) -> str:
    """``5,200 平方米`` below 0.01 km², else ``3.42 平方公里`` (one decimal from 1,000 km²)."""
    if m2 < 10_000:
        return t("unit.m2", lang, v=f"{m2:,.0f}")
    km2 = m2 / 1e6
    return t("unit.km2", lang, v=f"{km2:,.2f}" if km2 < 1000 else f"{km2:,.1f}")


def box(lang: str) -> html.Div:
    """The floating read-out (hidden until something is drawn) with its clear button."""
    return html.Div([
        html.Div(id="map-measure-out", className="om-measure-out"),
        html.Div(id="map-draw-note", className="om-error"),  # shapes too many for the link (drawstate)
        html.Div([html.Span(t("measure.geodesic", lang), className="om-legend-note"),
                  html.Button(t("measure.clear", lang), id="map-measure-clear", n_clicks=0,
                              className="om-button")], className="om-measure-foot"),
    ], id="map-measure-box", className="om-measure om-hidden")


def readout(results: list[dict[str, Any]], lang: str) -> list[html.Div]:
    """One line per shape (in drawing order), then the lines' total when there are several."""
    rows, lines = [], 0
    for r in results:
        if r["kind"] == "line":
            lines += 1
            rows.append(html.Div(t("measure.line", lang, i=lines, length=length_text(r["length_m"], lang)),
                                 className="om-measure-row", **{"data-kind": "line"}))
        else:
            n = sum(1 for x in results[:results.index(r) + 1] if x["kind"] == "polygon")
            rows.append(html.Div(t("measure.polygon", lang, i=n, area=area_text(r["area_m2"], lang),
                                   length=length_text(r["perimeter_m"], lang)),
                                 className="om-measure-row", **{"data-kind": "polygon"}))
    if lines > 1:
        total = sum(r["length_m"] for r in results if r["kind"] == "line")
        rows.append(html.Div(t("measure.total", lang, length=length_text(total, lang)), className="om-measure-row"))
    return rows
