"""Words of the report's cover and annex in one language: a region file's bilingual text
(``"中文 / English"``) cut to one side, units, coordinate systems, source names, the build time
and the analysis parameters, so that the Chinese report carries no English words, code names,
file paths or JSON, and the English one no Chinese but place names.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from layers.placenames import in_language
from layers.report.labels import lang_index, term

__all__ = ["built_at_text", "crs_text", "in_language", "measure_text", "number_text", "parameter_rows",
           "significant_text", "source_name", "units_name", "units_text"]

#: Units a region file writes in ASCII, in words (zh, en); metres, g, km and Mw stay.
UNITS: dict[str, tuple[str, str]] = {
    "1/yr": ("/年", "per year"),
    "1/(10⁴ km²·a)": ("次/（万 km²·年）", "events per 10,000 km² per year"),
    "people": ("人", "people"),
    "m": ("m", "m"), "g": ("g", "g"), "km": ("km", "km"), "Mw": ("Mw", "Mw"),
}


def units_text(units: str | None, lang: str) -> str:
    """``units`` as a reader of ``lang`` reads them (unknown units unchanged)."""
    if not units:
        return ""
    return UNITS[units][lang_index(lang)] if units in UNITS else units


_CRS = (  # (pattern, zh, en)
    (r"GCJ", "GCJ-02 火星坐标", "GCJ-02 (Chinese offset coordinates)"),
    (r"BD", "百度坐标", "BD-09 (Baidu)"),
    (r"4490|CGCS2000$", "CGCS2000 经纬度", "CGCS2000 geographic"),
    (r"45[0-9][0-9]|CGCS", "CGCS2000 高斯投影", "CGCS2000 Gauss-Kruger"),
    (r"Albers", "等积投影（阿尔伯斯）", "Albers equal-area"),
    (r"4326|WGS ?84$|WGS84", "WGS-84 经纬度", "WGS-84 geographic"),
)


def crs_text(crs: str | None, lang: str) -> str:
    """A source's coordinate system in words (``—`` when none applies, e.g. a table without
    positions)."""
    i = lang_index(lang)
    if not crs:
        return "—"
    for pattern, zh, en in _CRS:
        if re.search(pattern, str(crs)):
            return zh if i == 0 else en
    return "其他投影坐标系" if i == 0 else str(crs)


#: Source keys of a region file (by prefix) in words.
_SOURCES: tuple[tuple[str, str, str], ...] = (
    ("admin", "行政区划边界", "administrative boundaries"),
    ("parks", "园区", "parks"),
    ("enterprise_years", "企业年度面板", "enterprise yearly panel"),
    ("enterprises", "企业", "enterprises"),
    ("reserves", "储备库", "reserve depots"),
    ("stock", "储备库存", "depot stock"),
    ("capacity", "企业产能", "enterprise capacity"),
    ("exposure", "人口格网", "population grid"),
    ("products", "产品", "products"),
    ("projects", "项目", "projects"),
    ("leads", "招商线索", "investment leads"),
    ("tasks", "任务清单", "task list"),
)


def source_name(source: str, lang: str) -> str:
    """A source of the store in words: a hazard layer by its name, other sources by kind
    (``（合成）``/``(synthetic)`` and ``（龙头）``/``(leading)`` kept from the key)."""
    i = lang_index(lang)
    if source.startswith("hazard:"):
        hazard = source.split(":", 1)[1]
        name = term("hazard", hazard, lang)
        return f"{name}灾害图层" if i == 0 else f"{name} hazard layer"
    for prefix, zh, en in _SOURCES:
        if source.startswith(prefix):
            word = zh if i == 0 else en
            if "leading" in source:
                word = f"龙头{word}" if i == 0 else f"leading {word}"
            return word
    return "其他数据源" if i == 0 else source


def built_at_text(iso: str | None, lang: str) -> str:
    """The store's build time: Beijing time in Chinese (``2026-12-06 10:39（北京时间）``), UTC
    in English."""
    if not iso:
        return "—"
    try:
        when = datetime.fromisoformat(str(iso))
    except ValueError:
        return "—"
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    if lang_index(lang) == 0:
        return (when.astimezone(timezone(timedelta(hours=8)))).strftime("%Y-%m-%d %H:%M（北京时间）")
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def number_text(value: Any) -> str:
    """A number for people: thousands separators, at most three decimals, no trailing zeros."""
    if isinstance(value, bool) or value is None:
        return "—"
    number = float(value)
    if number.is_integer():
        return f"{int(number):,}"
    return f"{number:,.3f}".rstrip("0").rstrip(".")


def units_name(units: str | None, lang: str) -> str:
    """The units in a legend's "单位：…" line (an annual probability by name, not ``/年``)."""
    if units == "1/yr":
        return ("年发生概率（%）", "annual probability (%)")[lang_index(lang)]
    return units_text(units, lang) or "—"


def significant_text(value: Any, digits: int = 3) -> str:
    """A measured value for people: ``digits`` significant figures, never in exponent form
    (0.000166 -> ``0.000166``, 0.18291 -> ``0.183``), thousands separators from 10,000."""
    if isinstance(value, bool) or value is None:
        return "—"
    number = float(value)
    if number == 0 or not math.isfinite(number):
        return "0" if number == 0 else "—"
    if abs(number) >= 10_000:
        return f"{number:,.0f}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(number))))
    text = f"{number:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def measure_text(value: Any, units: str | None, lang: str, *, with_units: bool = True) -> str:
    """A hazard layer's value in its units as people read them: an annual probability
    (``1/yr``) as a percentage per year (0.000166 -> ``0.0166%/年``), other values to three
    significant figures with the units in words (``0.183 g``, ``0.00096 次/（万 km²·年）``)."""
    if value is None:
        return "—"
    if units == "1/yr":
        text = f"{significant_text(100 * float(value))}%"
        return f"{text}{'/年' if lang_index(lang) == 0 else ' per year'}" if with_units else text
    text = significant_text(value)
    words = units_text(units, lang) if with_units else ""
    if not words:
        return text
    return f"{text}{words}" if words.startswith("/") else f"{text} {words}"


#: Analysis parameters of the cover (``Report.cover["parameters"]``) in words, with how the
#: value reads: ``n`` a number, ``h`` hours, ``hazards`` hazard names, ``tier`` a tier,
#: ``map`` a mapping of overrides, ``class`` the hazard-class threshold.
_PARAMETERS: dict[str, tuple[str, str, str]] = {
    "res": ("网格分辨率（H3 级别）", "Grid resolution (H3 level)", "n"),
    "hazards": ("灾种", "Hazards", "hazards"),
    "min_class": ("风险等级阈值", "Hazard-class threshold", "class"),
    "hours_by_tier_overrides": ("改动的到达时间标准", "Standard hours changed", "hours_map"),
    "chain_hours": ("产业链到达时限（小时）", "Chain arrival limit (h)", "n"),
    "siting_k": ("新增储备点数量上限", "New depots (at most)", "n"),
    "siting_hours": ("选址标准（小时）", "Siting standard (h)", "n"),
    "siting_tier": ("新增储备点层级", "Tier of the new depots", "tier"),
    "worst_n": ("最不利网格列出数", "Worst cells listed", "n"),
    "depots_n": ("最近储备库列出数", "Nearest depots listed", "n"),
    "access_overrides": ("改动的车速、绕行系数与准备时间", "Speeds, detours and delay changed", "access"),
}
_ACCESS = {"speed_kmh": ("车速（km/h）", "speed (km/h)"), "detour": ("绕行系数", "detour factor"),
           "dispatch_delay_h": ("出发准备时间（小时）", "dispatch delay (h)")}


def _value_text(value: Any, how: str, lang: str) -> str:
    i = lang_index(lang)
    sep = "；" if i == 0 else "; "
    if value is None or value == {} or value == []:
        return {"class": ("默认（第 2 级及以上）", "default (class 2 and up)")}.get(how, ("未改动", "unchanged"))[i]
    if how == "hazards":
        return ("、" if i == 0 else ", ").join(term("hazard", h, lang) for h in value)
    if how == "tier":
        return term("tier", value, lang)
    if how == "class":
        if isinstance(value, Mapping):
            return sep.join(f"{term('hazard', h, lang)} {number_text(v)}" for h, v in value.items())
        return number_text(value)
    if how == "hours_map":
        return sep.join(f"{term('tier', t, lang)} {number_text(v)} h" for t, v in value.items())
    if how == "access":
        parts = []
        for key, sub in value.items():
            word = _ACCESS.get(key, (key, key))[i]
            if isinstance(sub, Mapping):
                vocab = "terrain" if key == "detour" else "tier"
                parts.append(f"{word}：" + "，".join(f"{term(vocab, k, lang)} {number_text(v)}" for k, v in sub.items())
                             if i == 0 else f"{word}: " + ", ".join(f"{term(vocab, k, lang)} {number_text(v)}"
                                                                    for k, v in sub.items()))
            else:
                parts.append(f"{word}{'：' if i == 0 else ': '}{number_text(sub)}")
        return sep.join(parts)
    if isinstance(value, (int, float)):
        return number_text(value)
    return str(value)


def parameter_rows(parameters: Mapping[str, Any], lang: str) -> list[tuple[str, str]]:
    """The report's analysis parameters as (label, text) rows in ``lang``; a parameter this
    table does not know keeps its key in English and is left out in Chinese."""
    i = lang_index(lang)
    rows = []
    for key, value in parameters.items():
        if key in _PARAMETERS:
            zh, en, how = _PARAMETERS[key]
            rows.append((zh if i == 0 else en, _value_text(value, how, lang)))
        elif i == 1:
            rows.append((f"Parameter {key}", str(value)))
    return rows

