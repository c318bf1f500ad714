"""Words of a report: column headers (zh, en) with their kind, table titles, and how one value
is shown. Every format (XLSX now, HTML/PDF later) renders a ``Report`` through these, so a
number is never re-computed or re-rounded differently between formats.

A column's *kind* decides its display: ``share`` (0..1, shown as a percentage), ``hours``,
``km2``, ``people``, ``int``, ``number``, ``bool``, ``text``, ``code`` (translated through a
vocabulary of ``etl.schema``), ``codes`` (a list of codes) and ``list`` (a list of text).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

from etl import schema

#: Facility kinds of the map data (``maps["facilities"]``).
FACILITY_KINDS: dict[str, tuple[str, str]] = {
    "reserve": ("储备库", "Reserve"), "park": ("园区", "Park"), "enterprise": ("企业", "Enterprise")}
#: Finding severities, worst first.
SEVERITIES: dict[str, tuple[str, str]] = {
    "high": ("严重", "High"), "medium": ("关注", "Medium"), "info": ("信息", "Info"), "ok": ("达标", "OK")}

#: Terrain classes of the detour factors (``standards.detour``).
TERRAIN: dict[str, tuple[str, str]] = {"plain": ("平原", "plain"), "hill": ("丘陵", "hill"),
                                       "mountain": ("山地", "mountain")}
#: Demand weights and solvers of the siting analysis.
WEIGHTING: dict[str, tuple[str, str]] = {"population x class": ("人口×灾害等级", "population x class"),
                                         "area_km2 x class": ("面积×灾害等级", "area x class")}
SOLVERS: dict[str, tuple[str, str]] = {"milp": ("混合整数规划（精确求解）", "MILP (HiGHS)"),
                                       "greedy": ("贪心＋局部搜索（有上界）", "greedy + local search (bounded)"),
                                       "none": ("无需求解", "none")}

#: Vocabulary of a ``code``/``codes`` column: ``{code: (zh, en)}``.
_CATEGORY = {**schema.RESERVE_TIERS, **schema.PARK_LEVELS}
VOCABULARY: dict[str, dict[str, tuple[str, str]]] = {
    "hazard": schema.HAZARD_NAMES, "tier": schema.RESERVE_TIERS, "first_batch_tier": schema.RESERVE_TIERS,
    "level": schema.ADMIN_LEVELS, "chain": schema.CHAINS, "missing_chains": schema.CHAINS,
    "chains": schema.CHAINS, "precision": schema.PRECISIONS, "kind": FACILITY_KINDS,
    "category": _CATEGORY, "severity": SEVERITIES, "terrain": TERRAIN, "weighting": WEIGHTING,
    "solver": SOLVERS,
}

#: column -> (zh, en, kind). Every column of every report table is listed (a test checks).
COLUMNS: dict[str, tuple[str, str, str]] = {
    "hazard": ("灾种", "Hazard", "code"),
    "adcode": ("行政区划代码", "Adcode", "text"),
    "name": ("名称", "Name", "text"),
    "level": ("级别", "Level", "code"),
    "at_risk_cells": ("风险网格数", "At-risk cells", "int"),
    "at_risk_area_km2": ("风险区面积（km²）", "At-risk area (km²)", "km2"),
    "population": ("风险区人口", "At-risk population", "people"),
    "gap_area_km2": ("缺口面积（km²）", "Gap area (km²)", "km2"),
    "gap_share": ("缺口占比（超县级标准）", "Gap share (beyond county standard)", "share"),
    "share_covered_county": ("县级储备标准内覆盖率", "Covered by county reserves", "share"),
    "share_covered_municipal": ("市级储备标准内覆盖率", "Covered by municipal reserves", "share"),
    "share_covered_provincial": ("省级储备标准内覆盖率", "Covered by provincial reserves", "share"),
    "share_covered_national": ("国家级储备标准内覆盖率", "Covered by national reserves", "share"),
    "worst_hours": ("县级储备最长到达时间（小时）", "Worst county-reserve hours", "hours"),
    "p90_hours": ("县级储备第 90 百分位到达时间（小时）", "P90 county-reserve hours", "hours"),
    "has_county_depot": ("风险县均有县级储备库", "Every at-risk county has a county depot", "bool"),
    "counties_without_county_depot": ("无县级储备库的风险县数", "At-risk counties without a county depot", "int"),
    "counties": ("县（区）数", "Counties", "int"),
    "counties_without_depot": ("无县级储备库的县（区）数", "Counties without a county depot", "int"),
    "missing_chains": ("缺失产业链", "Missing chains", "codes"),
    "n_missing_chains": ("缺失产业链数", "Missing chains (count)", "int"),
    "cell": ("H3 网格", "H3 cell", "text"),
    "lon": ("经度", "Longitude", "number"),
    "lat": ("纬度", "Latitude", "number"),
    "county": ("县（区）代码", "County adcode", "text"),
    "county_name": ("县（区）", "County", "text"),
    "city": ("城市代码", "City adcode", "text"),
    "city_name": ("城市", "City", "text"),
    "hazard_class": ("灾害等级", "Hazard class", "int"),
    "hours_county": ("县级储备到达时间（小时）", "County reserve (h)", "hours"),
    "hours_municipal": ("市级储备到达时间（小时）", "Municipal reserve (h)", "hours"),
    "hours_provincial": ("省级储备到达时间（小时）", "Provincial reserve (h)", "hours"),
    "hours_national": ("国家级储备到达时间（小时）", "National reserve (h)", "hours"),
    "first_batch_tier": ("第一批到达层级", "First-batch tier", "code"),
    "first_batch_hours": ("第一批到达时间（小时）", "First-batch hours", "hours"),
    "gap": ("缺口", "Gap", "bool"),
    "tier": ("储备层级", "Tier", "code"),
    "standard_hours": ("标准时间（小时）", "Standard (h)", "hours"),
    "facility_id": ("储备库编号", "Depot id", "text"),
    "area_km2": ("面积（km²）", "Area (km²)", "km2"),
    "cells": ("网格数", "Cells", "int"),
    "area_share": ("占风险区面积", "Share of at-risk area", "share"),
    "min_hours": ("最短到达时间（小时）", "Min hours", "hours"),
    "mean_hours": ("面积加权平均时间（小时）", "Mean hours (area-weighted)", "hours"),
    "max_hours": ("最长到达时间（小时）", "Max hours", "hours"),
    "share_within_standard": ("标准时间内占比", "Share within the standard", "share"),
    "chain": ("产业链", "Chain", "code"),
    "at_risk_km2": ("风险区面积（km²）", "At-risk area (km²)", "km2"),
    "at_risk_share": ("风险区占全市面积", "At-risk share of the city", "share"),
    "enterprises_in_city": ("本市企业数", "Enterprises in the city", "int"),
    "above_size_in_city": ("本市规上企业数", "Above-size enterprises", "int"),
    "reach_share": ("产业链时限内可达占比", "Reached within the chain hours", "share"),
    "unreached_km2": ("不可达面积（km²）", "Unreached area (km²)", "km2"),
    "gap_score": ("缺口指数", "Gap score", "number"),
    "missing": ("缺失", "Missing", "bool"),
    "city_rank": ("市内排序", "Rank in the city", "int"),
    "order": ("序号", "Order", "int"),
    "gain_area_km2": ("新增覆盖面积（km²）", "Area newly covered (km²)", "km2"),
    "gain_population": ("新增覆盖人口", "Population newly covered", "people"),
    "k": ("新增数量上限", "New depots (at most)", "int"),
    "sites": ("选出站点数", "Sites chosen", "int"),
    "area_before": ("新增前覆盖率（面积）", "Covered before (area)", "share"),
    "area_after": ("新增后覆盖率（面积）", "Covered after (area)", "share"),
    "weight_before": ("新增前覆盖率（加权）", "Covered before (weighted)", "share"),
    "weight_after": ("新增后覆盖率（加权）", "Covered after (weighted)", "share"),
    "weighting": ("需求权重", "Demand weight", "code"),
    "solver": ("求解方法", "Solver", "code"),
    "optimality_gap": ("最优性差距", "Optimality gap", "share"),
    "status": ("说明", "Status", "status"),
    "share_covered": ("标准时间内覆盖率", "Covered within the standard", "share"),
    "covered_area_km2": ("覆盖面积（km²）", "Covered area (km²)", "km2"),
    "from_hours": ("起（小时）", "From (h)", "hours"),
    "to_hours": ("止（小时）", "To (h)", "hours"),
    "kind": ("类别", "Kind", "code"),
    "id": ("编号", "Id", "text"),
    "category": ("级别/层级", "Level / tier", "code"),
    "chains": ("产业链", "Chains", "codes"),
    "precision": ("位置精度", "Position precision", "code"),
    "synthetic": ("合成数据", "Synthetic", "bool"),
    "inside": ("位于本单元内", "Inside the unit", "bool"),
    "serves": ("服务本单元风险区", "Nearest depot of the unit's at-risk area", "bool"),
    "severity": ("程度", "Severity", "code"),
    "finding_zh": ("结论（中文）", "Finding (Chinese)", "text"),
    "finding_en": ("结论（英文）", "Finding (English)", "text"),
    "key": ("规则", "Rule", "text"),
    "role": ("图上角色", "Role on the map", "text"),
    "geometry": ("几何", "Geometry", "text"),
}

#: Report table -> (zh, en) title; XLSX sheet names are the titles (at most 31 characters).
TITLES: dict[str, tuple[str, str]] = {
    "findings": ("主要结论", "Findings"),
    "headline": ("核心指标", "Headline figures"),
    "units": ("分单元统计", "By unit"),
    "worst_cells": ("最不利网格", "Worst cells"),
    "depots": ("最近储备库", "Nearest depots"),
    "chains": ("产业链缺口", "Chain gaps"),
    "chain_matrix": ("产业链缺口矩阵", "Chain-gap matrix"),
    "siting_summary": ("新增储备点效果", "New depots, before and after"),
    "siting": ("新增储备点选址", "New depot sites"),
    "coverage_by_tier": ("分层级覆盖", "Coverage by tier"),
    "hours_histogram": ("到达时间分布", "Hours distribution"),
    "cells": ("风险网格", "At-risk cells"),
    "facilities": ("设施", "Facilities"),
    "hazard_cells": ("灾害等级网格", "Hazard-class cells"),
    "outlines": ("行政区边界", "Outlines"),
    "about": ("说明", "About"),
    "columns": ("字段对照", "Columns"),
}

_UNREACHED = ("无法到达", "unreachable")
#: Decimal places of longitude and latitude (about 100 m).
COORD_PLACES = 3
#: Columns a reader of one language does not get: rule keys and material codes (code names),
#: and the other language's text.
HIDDEN: dict[str, frozenset[str]] = {
    "zh": frozenset({"key", "finding_en", "material", "material_name_en"}),
    "en": frozenset({"key", "finding_zh", "material", "material_name"}),
}

#: Solver texts of the siting analysis (``layers.analysis.siting``) in Chinese, by pattern.
_STATUS_ZH: tuple[tuple[str, str], ...] = (
    (r"nothing to gain.*", "无可增益：没有候选点能到达尚未覆盖的需求"),
    (r"Optimization terminated successfully\..*|.*\bOptimal\)?$", "已求得最优解"),
    (r"Time limit reached.*|.*time limit.*", "达到求解时间上限，给出当前最好方案及其上界"),
    (r"greedy \+ 1-swap local search \((\d+) swap\(s\)\)", r"贪心选址并逐点交换改进（交换 \1 次）"),
    (r": proven optimal by its bound, MILP skipped", "，其上界已证明为最优，无需再做精确求解"),
    (r"; the greedy set was better and is kept", "；贪心方案更优，予以保留"),
    (r"; .* -> the greedy set and its bound are reported", "；精确求解未完成，给出贪心方案及其上界"),
)


def solver_status(text: str, lang: str = "zh") -> str:
    """A siting status in ``lang``: the solver's English text, or its Chinese reading (pieces
    by pattern; a text none matches says only that the solver gave another status)."""
    import re  # noqa: PLC0415

    if lang_index(lang) == 1:
        return text
    out = text
    for pattern, repl in _STATUS_ZH:
        out = re.sub(pattern, repl, out)
    if re.search(r"[A-Za-z]{2,}", out):
        return "求解器给出其他状态（英文版报告列出原文）"
    return out
_BOOL = {True: ("是", "yes"), False: ("否", "no")}
_NONE = ("无", "none")  # an empty list


def lang_index(lang: str) -> int:
    """0 for Chinese, 1 for English; ValueError otherwise."""
    if lang not in ("zh", "en"):
        raise ValueError(f"lang: found {lang!r:.20}; expected 'zh' or 'en'")
    return 0 if lang == "zh" else 1


def header(column: str, lang: str = "zh") -> str:
    """The header of ``column`` in ``lang``; a chain-matrix column ``hazard:chain`` is named
    from its two vocabularies; an unknown column keeps its key."""
    i = lang_index(lang)
    if column in COLUMNS:
        return COLUMNS[column][i]
    hazard, sep, chain = column.partition(":")
    if sep and hazard in schema.HAZARD_NAMES and chain in schema.CHAINS:
        return f"{schema.HAZARD_NAMES[hazard][i]}·{schema.CHAINS[chain][i]}" if i == 0 else \
            f"{schema.HAZARD_NAMES[hazard][i]}: {schema.CHAINS[chain][i]}"
    return column


def kind_of(column: str) -> str:
    """The kind of ``column`` (``share`` for a chain-matrix column of reach shares, ``text`` if unknown)."""
    if column in COLUMNS:
        return COLUMNS[column][2]
    return "share" if ":" in column else "text"


def term(vocabulary: str, code: Any, lang: str = "zh") -> str:
    """A code's display name from a vocabulary of ``VOCABULARY`` (the code itself if unknown)."""
    names = VOCABULARY.get(vocabulary, {})
    return names[code][lang_index(lang)] if code in names else str(code)


def is_missing(value: Any) -> bool:
    """None, NaN, NA or NaT (not a list)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def display(value: Any, column: str, lang: str = "zh") -> Any:
    """The value a table cell shows: numbers stay numbers (formats do the rounding), infinite
    hours say "unreachable", booleans and codes become words, lists are joined; missing -> None.

    Parameters
    ----------
    value
        One cell of a report table.
    column
        Its column (decides the kind, see ``COLUMNS``).
    lang
        'zh' or 'en'.

    Returns
    -------
    int, float, str or None
    """
    i = lang_index(lang)
    kind = kind_of(column)
    if is_missing(value):
        return None
    if kind in ("codes", "list"):
        items = list(value) if isinstance(value, (list, tuple, np.ndarray)) else [value]
        words = [term(column, v, lang) if kind == "codes" else str(v) for v in items]
        return ("、" if i == 0 else "; ").join(words) if words else _NONE[i]
    if kind == "bool":
        return _BOOL[bool(value)][i]
    if kind == "code":
        return term(column, value, lang)
    if kind == "status":
        return solver_status(str(value), lang)
    if kind in ("share", "hours", "km2", "people", "number", "int"):
        if isinstance(value, (bool, np.bool_)):
            return int(value)
        number = float(value)
        if math.isinf(number):
            return _UNREACHED[i]
        return int(number) if kind == "int" else number
    return str(value)


#: Decimal places of a column kind as printed in HTML/PDF (the same as the XLSX number formats:
#: share 0.0%, hours 0.00, km2 #,##0.00, people #,##0, number 0.000; lon/lat 0.000, about
#: 100 m, well inside the smallest report hexagon).
_PLACES = {"share": 1, "hours": 2, "km2": 2, "people": 0, "int": 0, "number": 3}


def _half_up(number: float, places: int) -> Decimal:
    """``number`` rounded half away from zero the way a spreadsheet shows it (on its shortest
    decimal representation, so 0.125 -> 0.13 as in Excel, not 0.12)."""
    return Decimal(repr(number)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def as_text(value: Any, column: str, lang: str = "zh") -> str:
    """A table cell as text, exactly as the XLSX number format of its column shows it.

    ``display`` decides the value (words for codes, booleans, lists, unreachable hours);
    numbers are then rounded half-up to the places of their kind, with thousands separators for
    areas and people, and shares as percentages. Missing values are an em dash.

    Examples
    --------
    >>> as_text(0.57644, "gap_share")
    '57.6%'
    >>> as_text(1389.125, "gap_area_km2")
    '1,389.13'
    """
    shown = display(value, column, lang)
    if shown is None:
        return "—"
    if isinstance(shown, str):
        return shown
    kind = "coord" if column in ("lon", "lat") else kind_of(column)
    if kind == "coord":
        return f"{_half_up(shown, COORD_PLACES):f}"
    if kind == "share":
        return f"{_half_up(shown * 100, 1):f}%"
    places = _PLACES.get(kind)
    if places is None:
        return str(shown)
    rounded = _half_up(shown, places)
    return f"{rounded:,f}" if kind in ("km2", "people") else f"{rounded:f}"
