"""The open card in the URL (``card=cell:<h3 id>`` or ``card=<parks|reserves|enterprises>:<id>``),
so that a language switch (which reloads the page with the same link) opens the same card in the
other language, at the same view. ``assets/map.js`` (``cardTarget``, ``switchLang``) writes it;
``card_from_query`` reads it when the map page is laid out.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from dash import html

from layers import cell_card, facility_card
from mapapp import auth, components

logger = logging.getLogger(__name__)

#: Facility layers a card may name (the map's point layers).
ENTITIES = ("parks", "reserves", "enterprises")
_CELL = re.compile(r"^cell:([0-9a-f]{15})$")
_FACILITY = re.compile(r"^(parks|reserves|enterprises):([\w\-.]{1,64})$")


def card_from_query(store: Any, value: Any, lang: str) -> tuple[html.Div | None, str | None]:
    """(the card component, the hexagon id to outline) of a ``card=`` query value; (None, None)
    for no value, a malformed one or a target the store does not hold (the page then shows its
    hint, as without the parameter)."""
    if not isinstance(value, str) or len(value) > 80:
        return None, None
    try:
        if m := _CELL.match(value):
            cell = m.group(1)
            res = (int(cell, 16) >> 52) & 0xF
            if res not in set(store.meta.get("resolutions") or ()):
                return None, None
            import h3  # noqa: PLC0415

            lat, lng = h3.cell_to_latlng(cell)
            card = cell_card(store, lat, lng, res)
            return components.cell_card(card, lang), card["cell"]
        if m := _FACILITY.match(value):
            card = facility_card(store, m.group(1), m.group(2))
            if not auth.may("planner"):  # depot stock and production capacity are internal
                card = {**card, "materials": []}
            return components.facility_card(card, lang), None
    except (LookupError, ValueError, TypeError, KeyError) as exc:
        logger.info("card %r not shown: %s", value[:80], exc)
    return None, None
