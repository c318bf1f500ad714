"""The analyses panel: parameters from the page -> one ``layers`` analysis -> what the page shows.

The registry: one module per analysis (``gaps``, ``chains`` ...), each with its ``CONTROLS`` and
``run(store, p, lang) -> AnalysisView``; it calls the ``layers`` adapter (which validates and raises
``ValueError`` with the reason), then turns the result into map data (compact hexagons for
``onemap.cb.hexLayers``, a choropleth or an overlay of points and lines, all GeoJSON [lng, lat]), a
summary, a table and the full table for download. No analysis is computed here. Adding an analysis
means one module here, its controls in ``mapapp.analysis_view`` and one line in ``REGISTRY``.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from mapapp import context
from mapapp.analyses import chains, coordination, dispatch, e2sfca, gaps, index, match, site, siting, supply
from mapapp.analyses.site import cell_resolution
from mapapp.analyses.common import (
    EVENT_CONTROLS,
    GOOD_BAD,
    ROW_LIMIT,
    SEQ,
    AnalysisView,
    Params,
    parse_access,
    parse_weights,
)

#: Analyses in the order of the menu: name -> module with ``CONTROLS`` and ``run``.
REGISTRY: dict[str, ModuleType] = {
    "gaps": gaps,
    "chains": chains,
    "e2sfca": e2sfca,
    "coordination": coordination,
    "site": site,
    "siting": siting,
    "dispatch": dispatch,
    "index": index,
    "supply": supply,
    "match": match,
}
NAMES = tuple(REGISTRY)
#: Controls each analysis uses (the others are hidden).
CONTROLS: dict[str, tuple[str, ...]] = {name: module.CONTROLS for name, module in REGISTRY.items()}
#: Runner of each analysis: ``run(store, p, lang) -> AnalysisView``.
RUNNERS: dict[str, Callable[[Any, Params, str], AnalysisView]] = {name: m.run for name, m in REGISTRY.items()}

__all__ = ["CONTROLS", "EVENT_CONTROLS", "GOOD_BAD", "NAMES", "REGISTRY", "ROW_LIMIT", "RUNNERS", "SEQ", "AnalysisView",
           "Params", "cell_resolution", "parse_access", "parse_weights", "run"]


def run(store: Any, p: Params, lang: str) -> AnalysisView:
    """Run the analysis ``p.kind``; ``ValueError``/``LookupError`` from ``layers`` pass through
    (``UserError`` for a unit that is not in the store)."""
    if p.unit is not None:
        context.check_unit(store, p.unit)
    return RUNNERS[p.kind](store, p, lang)
