"""Colours shared by the app's map and legends (``mapapp.style``) and the printed report's
maps and charts (``layers.report``): hazard palettes are ColorBrewer sequential schemes
(colour-blind safe, print friendly), one hue per hazard; reserve tiers are Okabe-Ito."""

from __future__ import annotations

#: 9-class sequential ColorBrewer palettes, light to dark; a hazard with n classes takes n of
#: them evenly spaced (class 0, below the first break, is the lightest).
HAZARD_PALETTES: dict[str, list[str]] = {
    "flood": ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"],
    "earthquake": ["#fcfbfd", "#efedf5", "#dadaeb", "#bcbddc", "#9e9ac8", "#807dba", "#6a51a3", "#54278f", "#3f007d"],
    "wildfire": ["#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026", "#800026"],
}
#: Index in a 9-colour scheme of the colour of class 1 (classes 1..n-1 spread from it to the darkest).
FIRST_CLASS_COLOUR = 3
SPARE_PALETTES = [
    ["#f7fcf5", "#e5f5e0", "#c7e9c0", "#a1d99b", "#74c476", "#41ab5d", "#238b45", "#006d2c", "#00441b"],
    ["#fff5eb", "#fee6ce", "#fdd0a2", "#fdae6b", "#fd8d3c", "#f16913", "#d94801", "#a63603", "#7f2704"],
    ["#ffffff", "#f0f0f0", "#d9d9d9", "#bdbdbd", "#969696", "#737373", "#525252", "#252525", "#000000"],
]

#: Reserve tiers (Okabe-Ito), drawn as squares.
TIER_COLOURS: dict[str, str] = {
    "national": "#000000", "provincial": "#D55E00", "municipal": "#0072B2",
    "county": "#009E73", "rescue": "#CC79A7", "enterprise": "#E69F00",
}


def hazard_palette(hazard: str, n_classes: int) -> list[str]:
    """``n_classes`` colours for ``hazard`` (light to dark), stable for names not listed above.

    Class 0 (below the first break) takes the lightest colour; classes 1 and up spread from the
    fourth colour to the darkest, so the first class that counts stays visible over a light
    basemap at region zoom (the near-whites of a 9-class scheme were lost there: earthquake).

    Examples
    --------
    >>> hazard_palette("flood", 5)
    ['#f7fbff', '#9ecae1', '#4292c6', '#2171b5', '#08306b']
    """
    base = HAZARD_PALETTES.get(hazard) or SPARE_PALETTES[sum(map(ord, hazard)) % len(SPARE_PALETTES)]
    if n_classes <= 1:
        return base[-1:] * max(n_classes, 0)
    last = len(base) - 1
    if n_classes > last - FIRST_CLASS_COLOUR + 2:  # more classes than colours from the fourth on
        return [base[min(round(k * last / (n_classes - 1)), last)] if n_classes <= len(base)
                else base[min(k, last)] for k in range(n_classes)]
    span = last - FIRST_CLASS_COLOUR
    if n_classes == 2:
        return [base[0], base[last]]
    return [base[0]] + [base[FIRST_CLASS_COLOUR + round((k - 1) * span / (n_classes - 2))]
                        for k in range(1, n_classes)]
