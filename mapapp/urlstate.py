"""What a shared link holds: the view, layers, filters, selected unit and language.

``MapState.from_query`` accepts anything a user may paste (unknown keys are ignored, bad values
fall back to defaults and are reported in ``problems``, lists are cut to ``MAX_ITEMS``);
``to_query`` writes the same format ``assets/map.js`` (``onemap.writeUrl``) writes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Any, Mapping
from urllib.parse import urlencode

MAX_ITEMS = 20  # longest list accepted from a URL
MAX_VALUE_CHARS = 400  # longer query values are ignored
ENTITY_LAYERS = ("parks", "enterprises", "reserves")
BASEMAPS = ("offline", "osm", "tianditu")
_ADCODE = re.compile(r"^\d{6}$")


def _pairs(text: str, names: tuple[str, ...] | list[str], kind: type, low: float,
           high: float) -> dict[str, Any]:
    """``"a:0.5,b:1"`` -> {a: 0.5, b: 1.0}: known names, values of ``kind`` in [low, high]."""
    out: dict[str, Any] = {}
    for part in text.split(",")[:MAX_ITEMS]:
        name, _, value = part.partition(":")
        try:
            v = kind(value)
        except ValueError:
            continue
        if name in names and low <= v <= high:
            out[name] = round(v, 2) if kind is float else v
    return out


@dataclass(frozen=True)
class MapState:
    """One view of the map. ``lat``/``lng``/``zoom`` None: fit the region."""

    lat: float | None = None
    lng: float | None = None
    zoom: float | None = None
    layers: tuple[str, ...] = ENTITY_LAYERS
    hazards: tuple[str, ...] = ()
    opacity: Mapping[str, float] = field(default_factory=dict)
    chains: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    above_size: bool = False
    leading: bool = False
    min_class: Mapping[str, int] = field(default_factory=dict)  # hazard -> lowest class shown
    unit: str | None = None
    lang: str = "zh"
    basemap: str = "offline"
    problems: tuple[str, ...] = ()

    @classmethod
    def from_query(cls, query: Mapping[str, Any], *, hazards: list[str], chains: list[str],
                   levels: list[str], tiers: list[str], default_hazard: str | None = None,
                   default_lang: str = "zh") -> MapState:
        """Parse URL query values (strings) against the store's vocabularies."""
        q = {k: str(v) for k, v in query.items() if isinstance(v, (str, int, float))
             and len(str(v)) <= MAX_VALUE_CHARS}
        problems: list[str] = []

        def number(key: str, low: float, high: float) -> float | None:
            if key not in q:
                return None
            try:
                v = float(q[key])
            except ValueError:
                v = math.nan
            if math.isfinite(v) and low <= v <= high:
                return v
            problems.append(key)
            return None

        def items(key: str, allowed: list[str] | tuple[str, ...]) -> tuple[str, ...] | None:
            if key not in q:
                return None
            raw = [s for s in q[key].split(",") if s][:MAX_ITEMS]
            good = tuple(dict.fromkeys(s for s in raw if s in allowed))
            if len(good) < len(raw):
                problems.append(key)
            return good

        lat, lng, zoom = number("lat", -85, 85), number("lng", -180, 180), number("z", 3, 18)
        if None in (lat, lng, zoom):
            lat = lng = zoom = None
        opacity = _pairs(q.get("op", ""), (*ENTITY_LAYERS, *hazards), float, 0, 1)
        min_class = _pairs(q.get("minc", ""), hazards, int, 0, 9)
        unit = q.get("unit")
        if unit is not None and not _ADCODE.match(unit):
            problems.append("unit")
            unit = None
        flag = {"1": True, "0": False, "true": True, "false": False}
        picked_hazards = items("hz", hazards)
        return cls(
            lat=lat, lng=lng, zoom=zoom,
            layers=items("layers", ENTITY_LAYERS) if "layers" in q else ENTITY_LAYERS,
            hazards=picked_hazards if picked_hazards is not None
            else ((default_hazard,) if default_hazard else ()),
            opacity=opacity, chains=items("chains", chains) or (), levels=items("levels", levels) or (),
            tiers=items("tiers", tiers) or (), above_size=flag.get(q.get("above", "0"), False),
            leading=flag.get(q.get("leading", "0"), False),
            min_class=min_class, unit=unit,
            lang=q["lang"] if q.get("lang") in ("zh", "en") else default_lang,
            basemap=q["base"] if q.get("base") in BASEMAPS else "offline",
            problems=tuple(problems))

    def to_query(self) -> str:
        """The URL query string (without ``?``), short keys, defaults left out."""
        out: dict[str, str] = {}
        if self.lat is not None and self.lng is not None and self.zoom is not None:
            out.update(lat=f"{self.lat:.5f}", lng=f"{self.lng:.5f}", z=f"{self.zoom:g}")
        out["layers"] = ",".join(self.layers)
        out["hz"] = ",".join(self.hazards)
        if self.opacity:
            out["op"] = ",".join(f"{k}:{v:g}" for k, v in sorted(self.opacity.items()))
        for key, values in (("chains", self.chains), ("levels", self.levels), ("tiers", self.tiers)):
            if values:
                out[key] = ",".join(values)
        if self.above_size:
            out["above"] = "1"
        if self.leading:
            out["leading"] = "1"
        if self.min_class:
            out["minc"] = ",".join(f"{k}:{v}" for k, v in sorted(self.min_class.items()))
        if self.unit:
            out["unit"] = self.unit
        if self.basemap != "offline":
            out["base"] = self.basemap
        out["lang"] = self.lang
        return urlencode(out, safe=",:")

    def with_lang(self, lang: str) -> MapState:
        return replace(self, lang=lang)
