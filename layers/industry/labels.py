"""Words and number formats of the industry views (CLI, page, cluster report), zh and en.

``display_frame`` turns a computed table into text cells for people: codes become names,
amounts get thousands separators, shares become percentages, missing values a dash. The
same function feeds the page's tables, the CLI's text output and the report, so a number
reads the same everywhere.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from etl import schema
from layers.placenames import english_text, in_language
from layers.industry.atlas import ACTIONS, STATUS_NAMES
from layers.industry.monitor import STATUSES

_I = {"zh": 0, "en": 1}
#: column -> (zh header, en header, kind)
COLUMNS: dict[str, tuple[str, str, str]] = {
    "indicator": ("指标", "Indicator", "indicator"), "scope": ("范围", "Scope", "scope"),
    "scope_code": ("范围代码", "Scope code", "text"), "name": ("名称", "Name", "text"),
    "scope_name": ("范围名称", "Scope name", "text"),
    "year": ("年份", "Year", "year"), "value": ("数值", "Value", "value"),
    "previous": ("上年", "Previous year", "value"), "change": ("同比", "Change", "share"),
    "current": ("现值", "Current", "value"), "current_year": ("现值年份", "Year of current", "year"),
    "attainment": ("完成率", "Attainment", "share"), "growth_needed": ("所需年均增速", "Growth needed per year", "share"),
    "projection": ("预测值", "Projection", "value"), "status": ("状态", "Status", "status"),
    "comparator": ("目标类型", "Comparator", "comparator"), "unit": ("责任单位", "Responsible unit", "text"),
    "document": ("出处", "Source document", "text"), "clause": ("条款", "Clause", "text"),
    "note": ("说明", "Note", "text"), "chain": ("产业链", "Chain", "chain"), "position": ("序", "Order", "int"),
    "link": ("环节", "Link", "text"), "firms": ("企业数", "Firms", "int"), "products": ("产品数", "Products", "int"),
    "leading": ("有链主/单项冠军", "Leading firm", "bool"), "projects": ("项目数", "Projects", "int"),
    "investment_yi": ("投资（亿元）", "Investment (100 m CNY)", "money"), "leads": ("招商线索", "Leads", "leads"),
    "tasks": ("任务数", "Tasks", "int"), "cities": ("覆盖城市数", "Cities", "int"),
    "action": ("建议", "Action", "action"), "firm_names": ("代表企业", "Firms (first 5)", "text"),
    "lead_names": ("对应招商线索", "Leads (first 5)", "text"), "id": ("编号", "ID", "text"),
    "enterprise_name": ("企业", "Enterprise", "text"), "city": ("所在地", "Place", "unit"),
    "park": ("园区", "Park", "park"), "output_yi": ("产值（亿元）", "Output (100 m CNY)", "money"),
    "revenue_yi": ("营业收入（亿元）", "Revenue (100 m CNY)", "money"), "above_size": ("规上", "Above size", "bool"),
    "listed": ("上市", "Listed", "bool"), "specialised": ("专精特新", "Specialised SME", "bool"),
    "certifications": ("认证", "Certifications", "text"), "recommended": ("入选推荐目录", "Recommended list", "bool"),
    "material": ("物资编码", "Material code", "text"), "stage": ("阶段", "Stage", "stage"),
    "planned_start": ("计划开工", "Planned start", "text"), "actual_start": ("实际开工", "Actual start", "text"),
    "key": ("重点项目", "Key project", "bool"), "company": ("拟引进企业", "Company", "text"),
    "origin": ("来源地", "Origin", "text"),
    "next_step": ("下一步", "Next step", "text"), "next_date": ("时间节点", "Due", "text"),
    "target": ("任务目标", "Target", "text"), "count": ("目标数量", "Count", "int"),
    "deadline": ("完成时限", "Deadline", "text"), "table": ("库", "Database", "table"),
    "synthetic": ("合成数据", "Synthetic", "bool"),
}
TABLE_NAMES = {"enterprises": ("企业库", "Enterprises"), "products": ("产品库", "Products"),
               "projects": ("项目库", "Projects"), "leads": ("招商库", "Investment leads"),
               "tasks": ("招商任务清单", "Task list")}
COMPARATORS = {">=": ("不低于", "at least"), ">": ("超过", "more than"), "about": ("左右", "about")}


def header(column: str, lang: str = "zh") -> str:
    """A column's header in ``lang`` (``unit`` of leads/tasks is the responsible unit)."""
    entry = COLUMNS.get(column)
    return entry[_I[lang]] if entry else column


def number(value: Any, digits: int = 1) -> str:
    """A number for people: thousands separators, ``digits`` decimals (integers without)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)) or pd.isna(value):
        return "—"
    v = float(value)
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:,.{digits}f}"


def share(value: Any) -> str:
    """A fraction as a percentage with one decimal."""
    if value is None or pd.isna(value) or not math.isfinite(float(value)):
        return "—"
    return f"{float(value) * 100:.1f}%"


def indicator_name(code: str, lang: str = "zh") -> str:
    entry = schema.INDICATORS.get(code)
    return entry[_I[lang]] if entry else code


def indicator_unit(code: str, lang: str = "zh") -> str:
    entry = schema.INDICATORS.get(code)
    return entry[2 + _I[lang]] if entry else ""


def term(kind: str, code: Any, lang: str = "zh") -> str:
    """A code's word: chain, stage, status, scope, comparator, action, table."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return "—"
    vocab = {"chain": schema.CHAINS, "scope": schema.SCOPES, "comparator": COMPARATORS, "action": ACTIONS,
             "table": TABLE_NAMES, "status": {**STATUSES, **STATUS_NAMES, **schema.TASK_STATUSES},
             "stage": {**schema.PROJECT_STAGES, **schema.LEAD_STAGES, **schema.TASK_STATUSES}}[kind]
    entry = vocab.get(code)
    return entry[_I[lang]] if entry else str(code)


def name_text(value: Any, lang: str = "zh") -> Any:
    """A name from the data (link, firm, product, unit, park, document) for the reader: in
    English a chain link from ``schema.LINK_NAMES_EN``, anything else Chinese romanised
    (``layers.placenames.english_text``); text written ``"中文 / English"`` (a plan's title and
    clause in the region file) gives its side in either language; other values unchanged."""
    if not isinstance(value, str):
        return value
    if " / " in value:  # a region file's bilingual text ("中文 / English"): that language's side
        value = in_language(value, lang)
    if lang != "en":
        return value
    return schema.LINK_NAMES_EN.get(value) or english_text(value)


def cell(column: str, value: Any, lang: str = "zh", *, units: dict[str, str] | None = None,
         parks: dict[str, str] | None = None, row: dict[str, Any] | None = None) -> str:
    """One cell as text for people (names in English as ``name_text`` gives them)."""
    return name_text(_cell(column, value, lang, units=units, parks=parks, row=row), lang)


def _cell(column: str, value: Any, lang: str, *, units: dict[str, str] | None,
          parks: dict[str, str] | None, row: dict[str, Any] | None) -> str:
    kind = COLUMNS.get(column, ("", "", "text"))[2]
    if kind == "value":
        unit = schema.INDICATORS.get(row.get("indicator"), ("", "", "", ""))[2] if row else ""
        if value is None or pd.isna(value):
            return "—"
        if unit == "%":
            return f"{float(value):,.1f}%"
        return f"{float(value):,.1f}" if unit == "亿元" else number(value, 1)
    if kind == "money":
        return "—" if value is None or pd.isna(value) else f"{float(value):,.2f}"
    if kind == "share":
        return share(value)
    if kind in ("int", "year"):
        return "—" if value is None or pd.isna(value) else (f"{int(value):,}" if kind == "int" else str(int(value)))
    if kind == "bool":
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if kind == "indicator":
        return indicator_name(value, lang)
    if kind in ("chain", "scope", "comparator", "action", "table", "status", "stage"):
        return term(kind, value, lang)
    if kind == "unit":
        return (units or {}).get(value, "—") if isinstance(value, str) else "—"
    if kind == "park":
        return (parks or {}).get(value, "—") if isinstance(value, str) else "—"
    if kind == "leads" and not isinstance(value, (int, float)):
        return "、".join(str(v) for v in value) if value is not None and len(value) else "—"
    if kind == "leads":
        return f"{int(value):,}"
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def display_frame(df: pd.DataFrame, lang: str = "zh", *, units: dict[str, str] | None = None,
                  parks: dict[str, str] | None = None, columns: list[str] | None = None) -> pd.DataFrame:
    """``df`` (its ``columns``) as text cells with headers in ``lang``."""
    cols = [c for c in (columns or list(df.columns)) if c in df]
    rows = [{header(c, lang): cell(c, r[c], lang, units=units, parks=parks, row=r) for c in cols}
            for r in df.to_dict("records")]
    return pd.DataFrame(rows, columns=[header(c, lang) for c in cols])
