"""Colours and symbols, defined once: the map (through hideouts), legends and charts use these.

Hazard palettes are ColorBrewer sequential schemes (colour-blind safe, print friendly), one
hue per hazard so overlaid layers stay apart; facility colours are Okabe-Ito (tiers) and Paul
Tol's "muted" set (chains), both designed to be told apart with common colour-vision deficits.
"""

from __future__ import annotations

from layers import HAZARD_PALETTES, TIER_COLOURS, hazard_palette  # noqa: F401 (re-exported)

#: Park levels -> marker shape; layout roles -> fill colour.
PARK_SHAPES: dict[str, str] = {
    "national_demo": "star", "national_candidate": "star-open", "provincial": "diamond",
    "cluster": "circle",
}
ROLE_COLOURS: dict[str, str] = {"core": "#B2182B", "key": "#EF8A62", "support": "#4393C3"}
#: Chains (Paul Tol muted + grey for the tenth); an enterprise takes its first chain's colour.
CHAIN_COLOURS: dict[str, str] = {
    "waterlogging": "#332288", "medical": "#CC6677", "warning": "#DDCC77", "protection": "#117733",
    "rescue": "#882255", "unmanned": "#88CCEE", "comms": "#44AA99", "firefighting": "#AA4499",
    "transport": "#999933", "industrial": "#8C8C8C",
}
#: Admin boundary lines (offline basemap).
BOUNDARY = {"province": {"color": "#444444", "weight": 2.2}, "city": {"color": "#666666", "weight": 1.3},
            "county": {"color": "#999999", "weight": 0.6, "dashArray": "3 3"}}
