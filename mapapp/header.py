"""The app header shared by every page: brand, title, region, synthetic-data badge, language.

Pages call :func:`header`; a page or feature that needs another badge or button in the header
appends a function to ``EXTRA`` (called with ``(meta, lang)``, returning a component or None),
so the header stays one module and additions do not touch each other.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from dash import html

from mapapp.i18n import t

#: More header items (badges, links) from other features: ``f(meta, lang) -> component | None``.
EXTRA: list[Callable[[dict[str, Any], str], Any]] = []


def header(meta: dict[str, Any], lang: str, *items: Any) -> html.Header:
    """The header for a store's ``meta`` in ``lang`` (ids ``map-lang-zh``/``map-lang-en``);
    ``items`` (the page's own links) go before the language buttons."""
    region = meta.get("region_name_en" if lang == "en" else "region_name", meta.get("region", ""))
    note = note_in(meta.get("synthetic_note") or "", lang)
    synthetic = (html.Span(t("app.synthetic", lang), className="om-tag om-tag-synthetic", id="map-synthetic",
                           title=note) if note else None)
    return html.Header([
        html.H1([html.Span("OneMap", className="om-brand"), html.Span(t("app.title", lang), className="om-title")]),
        html.Span(region, className="om-region"), synthetic,
        *[item for item in (f(meta, lang) for f in EXTRA) if item is not None], *items,
        html.Div([html.Button("中文", id="map-lang-zh", disabled=lang == "zh"),
                  html.Button("EN", id="map-lang-en", disabled=lang == "en")], className="om-lang",
                 title=t("app.lang", lang)),
    ], className="om-header")


def note_in(note: str, lang: str) -> str:
    """The part of a bilingual region note (Chinese first, then English) in ``lang``; a note in
    one language only is returned whole."""
    parts = re.split(r"(?<=[。；])\s*(?=[A-Za-z])", note.strip(), maxsplit=1)
    if len(parts) < 2:
        return note.strip()
    return parts[1] if lang == "en" else parts[0]
