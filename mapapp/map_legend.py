"""Legends of what the map draws beyond the layer tree: an analysis run's hexagons, its
choropleth and its overlay of sites, facilities and routes (``analysis_blocks``), and the note
under a hazard drawn as outlines because an earlier hazard is on (``hazard_draw_modes``).

A block is plain data, ``{"layer", "title", "rows": [{"colour", "text", "shape"}]}``, so the run
callback can hand it to the floating legend through a ``dcc.Store``; ``render`` makes components.
The overlay's colours are ``OVERLAY_COLOURS``, which ``assets/map.js`` reads from the overlay's
hideout: the legend and the map cannot disagree.
"""

from __future__ import annotations

from typing import Any

from dash import html

from mapapp.analyses import SEQ, AnalysisView
from mapapp.components import swatch
from mapapp.i18n import t

#: Colours of the analysis overlay (``onemap.map.analysisStyle`` / ``analysisPoint``).
OVERLAY_COLOURS = {"site": "#7b3294", "event": "#d7301f", "area": "#d7301f", "reserve": "#009E73",
                   "enterprise": "#E69F00", "line_ok": "#1a9850", "line_late": "#d73027", "line": "#7b3294"}
#: Choropleth palette of a run that names none (five classes).
CHORO_DEFAULT = [*SEQ[::2], SEQ[-1]]


def choropleth_palette(view: AnalysisView) -> list[str]:
    """The colours of the run's choropleth classes (those of its legend)."""
    return [c for c, _ in view.choro_legend] or CHORO_DEFAULT


def _rows(pairs: list[tuple[str, str]], shape: str = "box") -> list[dict[str, str]]:
    return [{"colour": c, "text": text, "shape": shape} for c, text in pairs]


def overlay_rows(overlay: dict[str, Any] | None, lang: str) -> list[dict[str, str]]:
    """One row per kind of mark the overlay holds, in the order they first appear."""
    keys: list[tuple[str, str]] = []
    for f in (overlay or {}).get("features") or []:
        geom, props = f.get("geometry") or {}, f.get("properties") or {}
        kind = props.get("kind")
        if geom.get("type") == "LineString":
            ok = props.get("meets_standard")
            found = [("line_ok" if ok is True else "line_late" if ok is False else "line", "line")]
            if kind not in (None, "reserve", "line"):
                found.append(("line_enterprise", "dash"))
        elif geom.get("type") in ("Polygon", "MultiPolygon"):
            found = [("area", "dash")]
        elif kind == "site":
            found = [("site", "dot")]
        elif kind in ("event", "epicentre"):
            found = [("event", "dot")]
        else:
            found = [("reserve" if kind == "reserve" else "enterprise", "dot")]
        keys += [k for k in found if k not in keys]
    return [{"colour": OVERLAY_COLOURS.get(k, OVERLAY_COLOURS["line"]), "text": t(f"legend.ana.{k}", lang),
             "shape": shape} for k, shape in keys]


def analysis_blocks(view: AnalysisView, lang: str) -> list[dict[str, Any]]:
    """One block per layer the run draws (hexagons, choropleth, overlay); none for an empty one."""
    name = view.title or t(f"ana.{view.name}", lang)
    blocks = []
    if view.hexes and view.hexes.get("cells"):
        blocks.append({"layer": "ana-hex-layer", "title": t("legend.ana.hexes", lang, name=name),
                       "rows": _rows(view.legend)})
    if view.choropleth and view.choropleth.get("features"):
        pairs = view.choro_legend or list(zip(CHORO_DEFAULT, ["1", "2", "3", "4", "5"]))
        blocks.append({"layer": "ana-choropleth",
                       "title": view.choro_title or t("legend.ana.choropleth", lang, name=name),
                       "rows": _rows(pairs)})
    if view.overlay and view.overlay.get("features"):
        blocks.append({"layer": "ana-overlay", "title": t("legend.ana.overlay", lang, name=name),
                       "rows": overlay_rows(view.overlay, lang)})
    return blocks


def render(blocks: list[dict[str, Any]] | None) -> list[html.Div]:
    """Blocks -> titled legend components (``data-layer`` names the map layer)."""
    return [html.Div([html.H5(b["title"]), html.Div([swatch(r["colour"], r["text"], r["shape"]) for r in b["rows"]],
                                                     className="om-legend")],
                     className="om-legend-block om-legend-analysis", **{"data-layer": b["layer"]})
            for b in blocks or []]


def hazard_draw_modes(on: list[str]) -> dict[str, str]:
    """How each hazard switched on is drawn, in the layer tree's order: the first filled, the
    later ones as outlines (so two or more stay readable instead of blending into one colour)."""
    return {h: "fill" if i == 0 else "outline" for i, h in enumerate(on)}
