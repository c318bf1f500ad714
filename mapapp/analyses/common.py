"""What every analysis of the panel shares: typed parameters (``Params``), the result the page
shows (``AnalysisView``), palettes and the helpers that turn ``layers`` results into map data
(graded hexagons, unit choropleths, shown tables). One module per analysis beside this one turns
its ``layers`` adapter's result into an ``AnalysisView``; ``mapapp.analyses`` registers them."""
from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from layers import (
    VOCABULARIES,
    admin_geojson,
)
from mapapp import context
from mapapp.errors import UserError
from mapapp.i18n import t

#: Dispatch controls per event type.
EVENT_CONTROLS = {"point": ("point", "radius"), "quake": ("point", "magnitude"), "polygon": ("polygon",)}


ROW_LIMIT = 200  # rows shown in the panel table; downloads carry every row


#: Sequential palette for scores and counts (light to dark), a diverging one for before/after.
SEQ = ["#ffffe5", "#fff7bc", "#fee391", "#fec44f", "#fe9929", "#ec7014", "#cc4c02", "#8c2d04"]


#: "new" is magenta, not blue: flood hexagons are blue and the two are drawn together.
GOOD_BAD = {"covered_before": "#1a9850", "covered_new": "#c51b7d", "uncovered": "#d73027"}


@dataclass
class Params:
    """The panel's controls, as typed values (``from_controls`` checks them)."""

    kind: str = "gaps"
    hazard: str = "flood"
    res: int | None = None  # None: 6 for the whole region, 7 inside a unit
    min_class: int | None = None
    hours: float | None = None
    tier: str = "county"
    k: int = 3
    site_kind: str = "depot"
    top: int = 20
    spacing_km: float = 10.0  # site: minimum distance between the top results (layers.analysis.spread)
    weights: dict[str, float] = field(default_factory=dict)
    exclude: dict[str, float] = field(default_factory=dict)  # site: hazard -> class excluded from
    bands: dict[str, float] = field(default_factory=dict)  # e2sfca: upper hours -> weight
    access: dict[str, Any] = field(default_factory=dict)  # speed_kmh / detour / dispatch_delay_h overrides
    event: str = "point"
    lon: float | None = None
    lat: float | None = None
    radius_km: float = 20.0
    magnitude: float = 6.5
    polygon: dict[str, Any] | None = None
    unit: str | None = None
    matrix: dict[str, list[str]] | None = None  # hazard -> chains (the editable matrix)
    material: str | None = None  # match: a catalogue name, alias or code
    quantity: float | None = None  # match: how many are needed

    @classmethod
    def from_controls(cls, values: Mapping[str, Any]) -> Params:
        """Controls -> Params; ``ValueError`` naming the control for a bad value."""
        p = cls()
        kind = values.get("kind") or "gaps"
        from mapapp.analyses import NAMES  # noqa: PLC0415 (the registry imports this module)

        if kind not in NAMES:
            raise ValueError(f"kind: found {kind!r:.30}; expected one of {list(NAMES)}")
        p.kind = kind
        for key, conv in (("hazard", str), ("tier", str), ("site_kind", str), ("event", str), ("unit", str),
                          ("material", str)):
            if values.get(key) not in (None, ""):
                setattr(p, key, conv(values[key]))
        for key, conv, low, high in (("res", int, 0, 15), ("min_class", int, 1, 20), ("hours", float, 0.0, 240.0),
                                     ("k", int, 1, 50), ("top", int, 1, 500), ("lon", float, -180, 180),
                                     ("lat", float, -90, 90), ("radius_km", float, 0.0, 500.0),
                                     ("magnitude", float, 0.0, 10.0), ("quantity", float, 1e-9, 1e12),
                                     ("spacing_km", float, 0.0, 500.0)):
            raw = values.get(key)
            if raw in (None, "", "auto"):
                continue
            try:
                number = float(raw)
                if conv is int:
                    if number != int(number):
                        raise ValueError
                    number = int(number)
            except (TypeError, ValueError, OverflowError):
                raise ValueError(f"{key}: found {raw!r:.30}; expected "
                                 f"{'a whole number' if conv is int else 'a number'}") from None
            if isinstance(number, float) and not math.isfinite(number) or not low <= number <= high:
                raise ValueError(f"{key}: found {raw!r:.30}; expected a number in {low}..{high}")
            setattr(p, key, number)
        p.weights = hazard_keys(parse_weights(values.get("weights") or ""))
        p.exclude = hazard_keys(parse_weights(values.get("exclude") or "", "exclude"))
        p.bands = parse_weights(values.get("bands") or "", "bands")
        p.access = parse_access(values.get("access") or "")
        p.polygon = values.get("polygon") or None
        matrix = values.get("matrix")
        if matrix is not None:
            if not isinstance(matrix, Mapping) or not all(
                    isinstance(v, list) and all(isinstance(c, str) for c in v) for v in matrix.values()):
                raise ValueError(f"matrix: found {str(matrix):.60}; expected hazard -> list of chain codes")
            p.matrix = {str(h): list(v) for h, v in matrix.items()}
        return p

    def resolution(self) -> int:
        return self.res if self.res is not None else (7 if self.unit else 6)

    def key(self) -> str:
        """Canonical JSON of the parameters (a cache key for downloads)."""
        return json.dumps(self.__dict__, sort_keys=True, ensure_ascii=False, default=str)


def parse_weights(text: str, key: str = "weights") -> dict[str, float]:
    """``"flood=2, earthquake=1"`` -> {"flood": 2.0, "earthquake": 1.0}; ValueError naming ``key``."""
    out: dict[str, float] = {}
    for item in str(text).replace("，", ",").replace("；", ",").replace(";", ",").split(","):
        if not item.strip():
            continue
        name, sep, number = item.partition("=")
        try:
            value = float(number)
        except ValueError:
            value = float("nan")
        if not sep or not name.strip() or not math.isfinite(value) or value < 0:
            raise ValueError(f"{key}: found {item.strip()!r:.40}; expected name=number >= 0, e.g. flood=2")
        out[name.strip()] = value
    return out


#: What a Chinese planner types for the keys of 通行参数 (the English codes work too): a tier's
#: speed as ``县级车速``, a terrain's detour factor as ``山区绕行``, the dispatch delay as ``准备时间``.
TIER_WORDS = {"国家级": "national", "省级": "provincial", "市级": "municipal", "县级": "county", "救援": "rescue",
              "企业": "enterprise"}
TERRAIN_WORDS = {"平原": "plain", "丘陵": "hill", "山区": "mountain", "山地": "mountain"}
DELAY_WORDS = ("准备时间", "出发准备", "出发准备时间", "准备")


def hazard_keys(weights: dict[str, float]) -> dict[str, float]:
    """Keys of 权重 / 硬性排除 typed as hazard names (``洪水=2``, ``Flood=2``) -> hazard codes;
    anything else is left for the analysis to refuse with the hazards it knows."""
    names = {w.lower(): code for code, words in VOCABULARIES["hazard"].items() for w in (code, *words)}
    return {names.get(k.lower(), k): v for k, v in weights.items()}


def _access_key(name: str) -> tuple[str, str] | None:
    """(override, item) of one 通行参数 key, English (``speed.county``) or Chinese (``县级车速``)."""
    group, _, item = name.partition(".")
    if group in ("speed", "detour") and item:
        return ("speed_kmh" if group == "speed" else "detour"), item
    if name == "delay" or name in DELAY_WORDS:
        return "dispatch_delay_h", ""
    for suffix, override, words in (("车速", "speed_kmh", TIER_WORDS), ("绕行系数", "detour", TERRAIN_WORDS),
                                    ("绕行", "detour", TERRAIN_WORDS)):
        word = name.removesuffix(suffix).removesuffix("储备")
        if name.endswith(suffix) and word in words:
            return override, words[word]
    return None


def parse_access(text: str) -> dict[str, Any]:
    """``"县级车速=40，山区绕行=1.8，准备时间=0.5"`` (or ``"speed.county=40, detour.mountain=1.8,
    delay=0.5"``) -> access overrides of the adapters."""
    out: dict[str, Any] = {}
    for name, value in parse_weights(text, "access").items():
        key = _access_key(name)
        if key is None:
            raise UserError("error.access", found=name[:30])
        if key[0] == "dispatch_delay_h":
            out["dispatch_delay_h"] = value
        else:
            out.setdefault(key[0], {})[key[1]] = value
    return out


def bands(p: Params) -> list[tuple[float, float]] | None:
    """The e2sfca bands typed as ``"2=1, 4=0.68, 6=0.22"`` (None: the defaults)."""
    try:
        return sorted((float(h), w) for h, w in p.bands.items()) or None
    except ValueError:
        raise ValueError(f"bands: found {list(p.bands)}; expected upper_hours=weight, e.g. 2=1, 4=0.68") from None


@dataclass
class AnalysisView:
    """What the page shows for one run."""

    name: str
    summary: list[str]
    table: pd.DataFrame  # the full result, for downloads
    shown: pd.DataFrame  # the panel's table (at most ROW_LIMIT rows)
    hexes: dict[str, list] | None = None  # {"cells", "cls", "value"} for onemap.cb.hexLayer
    palette: list[str] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    choropleth: dict[str, Any] | None = None  # GeoJSON of units, property "c" = class
    overlay: dict[str, Any] | None = None  # GeoJSON points/lines, properties "kind", "name", "hours"
    figure: Any = None  # a plotly figure (chains heatmap)
    method: str = ""
    cells: pd.DataFrame | None = None  # the per-hexagon result (GeoJSON download), H3 strings in "cell"
    bounds: list[list[float]] | None = None  # [[south, west], [north, east]] to show (local results)
    title: str | None = None  # the result's heading with the parameters used (default: the analysis name)
    #: The choropleth's classes as (colour, text), class ``c`` -> row ``c``; its colours are the
    #: choropleth's palette (``mapapp.map_legend``); ``choro_title``: what it shows.
    choro_legend: list[tuple[str, str]] = field(default_factory=list)
    choro_title: str | None = None


def classes(values: np.ndarray, breaks: list[float]) -> np.ndarray:
    """Class of each value: number of ``breaks`` <= value (NaN -> 0)."""
    v = np.nan_to_num(np.asarray(values, float), nan=-np.inf)
    return np.searchsorted(np.asarray(breaks, float), v, side="right")


def quantile_breaks(values: np.ndarray, n: int) -> list[float]:
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return []
    qs = np.unique(np.quantile(v, np.linspace(0, 1, n + 1)[1:-1]))
    return [float(q) for q in qs]


def fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def hex_payload(cells: pd.Series, cls: np.ndarray, values: np.ndarray) -> dict[str, list]:
    return {"cells": [str(c) for c in cells], "cls": [int(c) for c in cls],
            "value": [None if not np.isfinite(v) else round(float(v), 4) for v in np.asarray(values, float)]}


def graded(cells: pd.Series, values: np.ndarray, n: int = 6, breaks: list[float] | None = None,
            palette: list[str] | None = None, unit: str = "") -> tuple[dict, list[str], list[tuple[str, str]]]:
    """Hexagons classed by ``breaks`` (default: quantiles) with a legend."""
    breaks = quantile_breaks(values, n) if breaks is None else breaks
    pal = palette or SEQ
    pal = [pal[round(i * (len(pal) - 1) / max(len(breaks), 1))] for i in range(len(breaks) + 1)]
    cls = classes(values, breaks)
    texts = class_texts(breaks)
    legend = [(pal[i], f"{texts[i]} {unit}".strip()) for i in range(len(breaks) + 1)]
    return hex_payload(cells, cls, values), pal, legend


def class_texts(breaks: list[float], show: Callable[[float], str] = fmt) -> list[str]:
    """Legend texts of the ``len(breaks) + 1`` classes of ``classes(values, breaks)``."""
    edges = [show(b) for b in breaks]
    return ([f"< {edges[0]}"] + [f"{edges[i]} – {edges[i + 1]}" for i in range(len(edges) - 1)]
            + [f"≥ {edges[-1]}"]) if edges else ["—"]


def round_breaks(breaks: list[float], digits: int = 2) -> list[float]:
    """Class breaks rounded for people (``digits`` significant digits), duplicates dropped."""
    out = []
    for b in breaks:
        if b == 0 or not math.isfinite(b):
            out.append(0.0 if b == 0 else b)
            continue
        scale = 10 ** (digits - 1 - math.floor(math.log10(abs(b))))
        out.append(round(b * scale) / scale)
    return sorted(set(out))


def spread(palette: list[str], n: int) -> list[str]:
    """``n`` colours spread over ``palette`` from its first to its last."""
    return [palette[round(i * (len(palette) - 1) / max(n - 1, 1))] for i in range(n)]


def unit_filter(df: pd.DataFrame, unit: str | None, tree: Mapping[str, str]) -> pd.DataFrame:
    """Rows of ``df`` (with ``county``/``city``/``province`` or ``adcode``) inside ``unit``."""
    if not unit or df.empty:
        return df
    level = tree.get(unit)
    if level and level in df.columns:
        return df[df[level].astype(str) == unit]
    return df


def unit_levels(store: Any) -> dict[str, str]:
    return {a: u["level"] for a, u in context.admin_index(store).items()}


def unit_names(store: Any) -> dict[str, str]:
    return {a: u["name"] for a, u in context.admin_index(store).items()}


def inside_of(store: Any, unit: str) -> Callable[[str], bool]:
    """Is an adcode ``unit`` or below it? (``admin_units`` parent links, not adcode prefixes)."""
    tree = context.admin_index(store)

    def inside(code: str) -> bool:
        for _ in range(10):
            if code == unit:
                return True
            code = (tree.get(code) or {}).get("parent")
            if code is None:
                return False
        return False

    return inside


def choropleth(store: Any, level: str, values: Mapping[str, float], breaks: list[float],
                unit: str | None) -> dict[str, Any]:
    """County/city polygons (the offline basemap's) with class ``c`` of their value."""
    gj = admin_geojson(store, level)
    inside = inside_of(store, unit) if unit else None
    feats = []
    for f in gj["features"]:
        code = f["properties"].get("adcode")
        if code not in values:
            continue
        if unit and not inside(code):
            continue
        v = float(values[code])
        feats.append({"type": "Feature", "geometry": f["geometry"],
                      "properties": {"adcode": code, "name": f["properties"].get("name"), "v": round(v, 4),
                                     "c": int(classes(np.array([v]), breaks)[0])}})
    return {"type": "FeatureCollection", "features": feats}


def shown_rows(df: pd.DataFrame, sort: str | None = None, ascending: bool = False,
           columns: list[str] | None = None) -> pd.DataFrame:
    """The panel's rows (sorted, at most ROW_LIMIT) and columns (those present of ``columns``)."""
    out = df.sort_values(sort, ascending=ascending, kind="stable") if sort and sort in df else df
    if columns:
        out = out[[c for c in columns if c in out.columns]]
    return out.head(ROW_LIMIT).reset_index(drop=True)


def hours_override(p: Params, tier: str) -> dict[str, float] | None:
    return {tier: p.hours} if p.hours is not None else None


def site_unit(component: str, unit: Any, lang: str) -> str:
    """The unit of a site component's raw value, in the user's language."""
    if component == "demand":
        return t("ana.site.unit.demand_people" if "people" in str(unit) else "ana.site.unit.demand_km2", lang)
    return t(f"ana.site.unit.{component}", lang)


def coords(geometry: Mapping[str, Any]) -> list[list[float]]:
    """Every [lon, lat] position of a Polygon or MultiPolygon."""
    rings = geometry.get("coordinates") or []
    if geometry.get("type") == "MultiPolygon":
        rings = [r for poly in rings for r in poly]
    return [pos for ring in rings for pos in ring]


def h3_hex(cells: np.ndarray) -> list[str]:
    return [format(int(c), "x") for c in np.asarray(cells, np.uint64)]
