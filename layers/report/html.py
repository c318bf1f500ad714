"""HTML and PDF of a ``Report``: one Jinja2 template (``templates/report.html.j2``) and one
stylesheet (``templates/report.css``), typeset to A4 by WeasyPrint with an embedded CJK font.

Like the other writers, this module renders and never computes: every number goes through
``labels.as_text`` (the XLSX number formats), every figure comes from ``figures`` (SVG drawn
from the report's map and chart data) and the methods text is ``templates/methods.md`` (the
reader's words; ``layers/METHODS.md`` holds the full definitions).
"""

from __future__ import annotations

import functools
import html as _html
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from layers.placenames import english_text
from layers.report.formats import about_rows
from layers.report.labels import TITLES, as_text, header, kind_of, lang_index, term
from layers.report.model import Report, ReportError
from layers.report.supply import PRINT_COLUMNS as SUPPLY_PRINT_COLUMNS
from layers.report.supply import SUPPLY_TABLES, fill_map_svg
from layers.report.wording import in_language, number_text, units_text

TEMPLATES = Path(__file__).with_name("templates")
#: The methods chapter in the reader's words (``layers/METHODS.md`` holds the full definitions).
METHODS_FILE = Path(__file__).parent / "templates" / "methods.md"
#: Font families of the report, first match wins (fontconfig names); a CJK one must exist.
FONT_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei")

#: Columns a report table shows in HTML/PDF (the XLSX has every column). ``hazard`` is a
#: heading when a report has several hazards; codes such as adcodes stay in the XLSX.
PRINT_COLUMNS: dict[str, tuple[str, ...]] = {
    "units": ("name", "at_risk_area_km2", "population", "gap_area_km2", "gap_share", "share_covered_county",
              "share_covered_municipal", "share_covered_provincial", "share_covered_national", "worst_hours",
              "p90_hours", "counties_without_county_depot", "missing_chains"),
    "worst_cells": ("county_name", "cell", "lon", "lat", "hazard_class", "area_km2", "population", "hours_county",
                    "hours_municipal", "hours_provincial", "hours_national", "first_batch_tier", "gap",
                    "missing_chains"),
    "depots": ("tier", "name", "county_name", "cells", "area_km2", "area_share", "min_hours", "mean_hours",
               "max_hours", "share_within_standard"),
    "chains": ("city_name", "chain", "at_risk_km2", "at_risk_share", "enterprises_in_city", "above_size_in_city",
               "reach_share", "unreached_km2", "gap_score", "missing"),
    "siting_summary": ("tier", "standard_hours", "k", "sites", "area_before", "area_after", "weight_before",
                       "weight_after", "solver", "optimality_gap", "status"),
    "siting": ("order", "county_name", "cell", "lon", "lat", "gain_area_km2", "gain_population"),
}
#: Figure sizes on the A4 page (two maps fit a page; two charts side by side).
MAP_HEIGHT_MM = 104.0
HALF_WIDTH_MM = 83.0
#: Tables in the order of the report's table section.
TABLE_ORDER = ("units", "depots", "worst_cells", "chains", "siting_summary", "siting", *SUPPLY_TABLES)
PRINT_COLUMNS.update(SUPPLY_PRINT_COLUMNS)
#: METHODS.md sections printed in the methods chapter, in this order.
METHOD_SECTIONS = ("report", "gaps", "access", "chains", "siting", "supply")
#: Their headings.
METHOD_TITLES = {"report": ("报告的构成", "How the report is built"), "gaps": ("覆盖缺口", "Coverage gaps"),
                 "access": ("到达时间", "Arrival hours"), "chains": ("产业链缺口", "Chain gaps"),
                 "siting": ("新增储备点选址", "Siting new depots"), "supply": ("物资保障", "Material supply")}

#: The policy sources a report cites (title, what the report takes from it).
REFERENCES: tuple[tuple[str, str, str], ...] = (
    ("《关于进一步加强应急抢险救灾物资保障体系和能力建设的指导意见》（2024）",
     "第一批物资县级 6 小时、市级 8 小时、省级 10 小时到达；2025 年底前每个县有储备库（点）",
     "first batch within 6 h (county), 8 h (city), 10 h (province) reserves; a depot in every county by end-2025"),
    ("国家减灾救灾目标：受灾群众 10 小时内得到基本生活救助", "国家级储备的 10 小时标准",
     "the 10 h national standard"),
    ("京津冀安全应急装备先进制造业集群建设文件（2023）",
     "十大重点产业链；产业地图与灾害风险分布地图“一张图”",
     "the ten key industry chains; the industry map and disaster-risk map on one map"),
    ("《河北省应急产业发展规划（2020-2025）》（冀政字〔2020〕14号）",
     "多层级储备体系、生产能力储备基地", "the multi-tier reserve system, production-capacity reserve bases"),
)

_TEXT = {
    "product": ("安全应急产业 × 灾害风险 一张图 · 覆盖缺口报告", "OneMap · safety & emergency industry × disaster risk"),
    "page": ("第 {page} 页，共 {pages} 页", "Page {page} of {pages}"),
    "contents": ("目录", "Contents"),
    "summary": ("一、摘要", "1. Summary"),
    "headline": ("核心指标", "Headline figures"),
    "findings": ("主要结论", "Findings"),
    "maps": ("二、地图", "2. Maps"),
    "charts": ("三、图表", "3. Charts"),
    "tables": ("四、数据表", "4. Tables"),
    "methods": ("五、方法与局限", "5. Methods and limits"),
    "references": ("政策依据", "Policy sources"),
    "about": ("附：数据来源与参数", "Annex: data sources and parameters"),
    "metric": ("指标", "Figure"),
    "hazards": ("灾种与风险阈值", "Hazards and thresholds"),
    "date": ("报告日期", "Date"),
    "build": ("数据库构建编号", "Store build"),
    "standards": ("到达时间标准", "Standard hours"),
    "synthetic": ("演示数据含合成数据：结论只说明方法，不代表真实情况。",
                  "The demo data are partly SYNTHETIC: findings show the method, not the real situation."),
    "hazard_map": ("{unit}{hazard}风险等级与应急设施", "{unit}: {hazard} hazard classes and facilities"),
    "gap_map": ("{unit}{hazard}风险区县级储备到达时间与缺口", "{unit}: county-reserve hours and gaps, {hazard}"),
    "fill_map": ("{unit}{hazard}情景各县（区）物资满足率", "{unit}: material fill rate by county, {hazard}"),
    "coverage": ("{hazard}：各层级储备标准时间内覆盖率", "{hazard}: share covered within each tier's standard"),
    "histogram": ("{hazard}：县级储备到达时间分布（风险区面积）", "{hazard}: county-reserve hours (at-risk area)"),
    "heatmap": ("产业链时限内可达占比（城市 × 灾种·产业链）", "Chains reached in time (city × hazard: chain)"),
    "more_columns": ("表中仅列主要字段，完整字段见同名电子表格文件。", "Main columns only; the XLSX has every column."),
    "synthetic_tag": ("合成数据", "synthetic"),
    "no_rows": ("（无）", "(none)"),
    "empty": ("本单元在所选灾种与阈值下没有风险网格，本报告为简短报告。",
              "The unit has no at-risk cell for these hazards and thresholds: a short report."),
    "figure": ("图 {n}", "Figure {n}"),
    "table": ("表 {n}", "Table {n}"),
    "source_note": ("数据：{note}", "Data: {note}"),
}


def _t(key: str, lang: str, **kw: Any) -> str:
    return _TEXT[key][lang_index(lang)].format(**kw)


# --- METHODS.md -> HTML ------------------------------------------------------------------------

_INLINE = (
    (re.compile(r"`([^`]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*([^*]+)\*\*"), r"<strong>\1</strong>"),
)


def _inline(text: str) -> str:
    out = _html.escape(text, quote=False)
    for pattern, repl in _INLINE:
        out = pattern.sub(repl, out)
    return out


def markdown_html(text: str) -> str:
    """The small Markdown subset METHODS.md uses as HTML: paragraphs, ``- `` lists (with
    indented continuation lines), ``**bold**`` and ``code``. Everything else is escaped."""
    blocks: list[str] = []
    items: list[str] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(f"<p>{_inline(' '.join(para))}</p>")
            para.clear()
        if items:
            blocks.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>")
            items.clear()

    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            flush()
        elif stripped.startswith("- "):
            if para:
                flush()
            items.append(stripped[2:])
        elif items and line.startswith("  "):
            items[-1] += ("" if _is_cjk(items[-1][-1:]) else " ") + stripped
        else:
            if items:
                flush()
            para.append(stripped)
    flush()
    return "\n".join(blocks)


def _is_cjk(ch: str) -> bool:
    return bool(ch) and ord(ch) > 0x2E80


@functools.lru_cache(maxsize=4)
def methods_sections(lang: str = "zh") -> tuple[tuple[str, str], ...]:
    """``(name, html)`` of each ``METHOD_SECTIONS`` entry of METHODS.md in ``lang``: the
    ``**中文**`` or ``**English**`` part of the section, without its CLI line."""
    i = lang_index(lang)
    text = METHODS_FILE.read_text(encoding="utf-8")
    sections = dict(re.findall(r"^## (\w+)\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M))
    out = []
    for name in METHOD_SECTIONS:
        body = sections.get(name, "")
        zh, _, en = body.partition("**English**")
        part = zh.replace("**中文**：", "").replace("**中文**:", "") if i == 0 else en.lstrip(":： ")
        part = "\n".join(line for line in part.splitlines() if not line.startswith("CLI:"))
        out.append((name, markdown_html(part.strip())))
    return tuple(out)


# --- tables -----------------------------------------------------------------------------------

#: Relative column widths by kind (the tables use a fixed layout: fast, and no column is squeezed
#: by a long header); a few text columns are wider.
_WIDTH = {"text": 2.0, "code": 1.5, "codes": 2.4, "bool": 0.8, "int": 0.9}
_WIDE = {"name": 2.8, "status": 3.2, "cell": 2.0, "missing_chains": 2.6}


def table_view(df: pd.DataFrame, columns: Sequence[str], lang: str) -> dict[str, Any]:
    """Headers, cell texts, per-column alignment (numbers right) and widths (%) of ``df``'s
    ``columns``."""
    if lang == "en" and "material_name_en" in df.columns:  # the catalogue's English name
        df = df.assign(material_name=df["material_name_en"])
    cols = [c for c in columns if c in df.columns]
    numeric = {c: kind_of(c) in ("share", "hours", "km2", "people", "int", "number") or c in ("lon", "lat")
               for c in cols}
    rows = [[as_text(v, c, lang) for v, c in zip(values, cols)]
            for values in df[cols].itertuples(index=False, name=None)]
    weights = [_WIDE.get(c, _WIDTH.get(kind_of(c), 1.0)) for c in cols]
    return {"headers": [header(c, lang) for c in cols], "rows": rows,
            "align": ["num" if numeric[c] else "text" for c in cols],
            "widths": [f"{100 * w / sum(weights):.1f}%" for w in weights]}


def _groups(report: Report, key: str, lang: str) -> list[dict[str, Any]]:
    """A table as one group per hazard (one untitled group when the report has one hazard)."""
    df = report.tables[key]
    columns = PRINT_COLUMNS[key]  # those the table has: e.g. only the tiers the report shows
    if "hazard" not in df.columns or len(report.hazards) == 1:
        return [{"title": None, **table_view(df, columns, lang)}]
    return [{"title": term("hazard", h, lang), **table_view(df[df["hazard"] == h], columns, lang)}
            for h in report.hazards]


def headline_view(report: Report, lang: str) -> dict[str, Any]:
    """The headline as metric rows × hazard columns."""
    head = report.headline
    metrics = [c for c in head.columns if c != "hazard"]
    return {"hazards": [term("hazard", h, lang) for h in head["hazard"]],
            "rows": [{"label": header(c, lang), "values": [as_text(v, c, lang) for v in head[c]]}
                     for c in metrics]}


# --- figures ----------------------------------------------------------------------------------

def figures_view(report: Report, lang: str) -> dict[str, Any]:
    """SVG maps and charts of every hazard, with numbered captions."""
    from layers.report import charts as C  # noqa: PLC0415 (heavier imports only when printing)
    from layers.report import figures  # noqa: PLC0415

    name = report.name
    maps, charts = [], []
    for h in report.hazards:
        word = term("hazard", h, lang)
        maps.append({"caption": _t("hazard_map", lang, unit=name, hazard=word),
                     "svg": figures.hazard_map_svg(report, h, lang, title=False, max_height_mm=MAP_HEIGHT_MM)})
        maps.append({"caption": _t("gap_map", lang, unit=name, hazard=word),
                     "svg": figures.gap_map_svg(report, h, lang, title=False, max_height_mm=MAP_HEIGHT_MM)})
        charts.append({"caption": _t("coverage", lang, hazard=word),
                       "svg": C.coverage_chart_svg(report, h, lang, title=False, width_mm=HALF_WIDTH_MM),
                       "half": True})
        charts.append({"caption": _t("histogram", lang, hazard=word),
                       "svg": C.hours_histogram_svg(report, h, lang, title=False, width_mm=HALF_WIDTH_MM),
                       "half": True})
    supply = report.tables.get("supply_units")
    for h in report.hazards if supply is not None else ():
        if (supply["hazard"] == h).any():
            maps.append({"caption": _t("fill_map", lang, unit=name, hazard=term("hazard", h, lang)),
                         "svg": fill_map_svg(report, h, lang, max_height_mm=MAP_HEIGHT_MM)})
    if len(report.tables["chain_matrix"]):
        charts.append({"caption": _t("heatmap", lang), "svg": C.chain_heatmap_svg(report, lang, title=False),
                       "half": False})
    return {"maps": maps, "charts": charts}


# --- the document -----------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _environment() -> Any:
    import jinja2  # noqa: PLC0415

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    return env


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string (every character that could end it or the style element
    escaped as a hex code)."""
    return '"' + "".join(ch if ch.isalnum() or ch in " ·×-_()（）" else f"\\{ord(ch):x} " for ch in text) + '"'


def page_css(report: Report, lang: str) -> str:
    """The running head (product, unit) and the page numbers of every page."""
    i = lang_index(lang)
    before, _, rest = _TEXT["page"][i].partition("{page}")
    middle, _, after = rest.partition("{pages}")
    number = f"{css_string(before)} counter(page) {css_string(middle)} counter(pages) {css_string(after)}"
    return ("@page { @top-left { content: " + css_string(_TEXT["product"][i]) + "; }"
            " @top-right { content: " + css_string(f"{report.name} {report.adcode}") + "; }"
            " @bottom-center { content: " + number + "; } }")


def context(report: Report, lang: str = "zh") -> dict[str, Any]:
    """Everything the template shows, as text (no number is formatted in the template)."""
    i = lang_index(lang)
    c = report.cover
    unit = c["unit"]
    hazards = [{"name": h["zh"] if i == 0 else h["en"], "min_class": h["min_class"],
                "threshold": "" if h.get("threshold") is None else
                f"{h.get('comparator', '≥')} {number_text(h['threshold'])} {units_text(h['units'], lang)}".strip(),
                "label": h.get("class_label") or "", "description": in_language(h.get("description"), lang),
                "synthetic": bool(h.get("synthetic"))} for h in c["hazards"]]
    synthetic = any(s["synthetic"] for s in c["provenance"]["sources"]) or any(h["synthetic"] for h in hazards)
    tables = [{"key": k, "title": TITLES[k][i], "groups": _groups(report, k, lang)}
              for k in TABLE_ORDER if k in report.tables and (len(report.tables[k]) or k != "siting")]
    return {
        "lang": lang, "t": {k: v[i] for k, v in _TEXT.items()},
        "title": c["title_zh"] if i == 0 else c["title_en"],
        "unit": {"name": unit["name"], "adcode": unit["adcode"],
                 "level": unit["level_zh"] if i == 0 else unit["level_en"],
                 "parents": " > ".join(p["name"] for p in unit["parents"])},
        "hazards": hazards, "date": c["date"], "build_id": c["build_id"],
        "region": c["region"]["name"] if i == 0 else c["region"]["name_en"],
        "note": in_language(c["provenance"].get("note"), lang), "synthetic": synthetic,
        "standards": [(term("tier", t, lang), number_text(v)) for t, v in c["standards"]["hours_by_tier"].items()],
        "empty": report.empty,
        "headline": headline_view(report, lang),
        "findings": [{"severity": f.severity, "word": term("severity", f.severity, lang), "text": f.text(lang)}
                     for f in report.findings],
        "figures": figures_view(report, lang),
        "tables": tables,
        "methods": [{"name": n, "title": METHOD_TITLES[n][i], "html": h} for n, h in methods_sections(lang)],
        "references": [(title, what[i]) for title, *what in REFERENCES],
        "about": about_rows(report, lang),
        "page_css": page_css(report, lang),
        "fonts": ", ".join(f'"{f}"' for f in FONT_FAMILIES),
        "css": (TEMPLATES / "report.css").read_text(encoding="utf-8"),
    }


def render_html(report: Report, lang: str = "zh") -> str:
    """The report as one self-contained HTML page (inline CSS and SVG; prints to A4); in
    English every name is romanised (``layers.placenames.english_text``)."""
    page = _environment().get_template("report.html.j2").render(**context(report, lang))
    return english_text(page) if lang == "en" else page


def write_html(report: Report, path: str | Path, *, lang: str = "zh", html: str | None = None) -> Path:
    """Write ``render_html`` (or ``html``, the page already rendered) to ``path`` in UTF-8."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html if html is not None else render_html(report, lang), encoding="utf-8")
    return path


@functools.lru_cache(maxsize=1)
def cjk_font() -> str:
    """The first of ``FONT_FAMILIES`` fontconfig knows.

    Raises
    ------
    ReportError
        No CJK font: a PDF would show empty boxes (tofu) instead of Chinese.
    """
    try:
        listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=20,
                                check=False).stdout
    except (OSError, subprocess.SubprocessError):
        listed = ""
    families = {name.strip() for line in listed.splitlines() for name in line.split(",")}
    for family in FONT_FAMILIES:
        if family in families:
            return family
    raise ReportError("pdf: no Chinese font found (fontconfig lists none of "
                      f"{', '.join(FONT_FAMILIES)}); expected one, e.g. `apt-get install fonts-noto-cjk` "
                      "(or run `make reportdeps`)")


def write_pdf(report: Report, path: str | Path, *, lang: str = "zh", html: str | None = None) -> Path:
    """Typeset the report to an A4 PDF at ``path`` with WeasyPrint (fonts embedded, subset).

    ``html``: the page of ``render_html`` when already rendered (it is not rendered twice).

    Raises
    ------
    ReportError
        No CJK font installed (the message says which package to install).
    """
    import logging  # noqa: PLC0415

    try:
        import weasyprint  # noqa: PLC0415
    except OSError as exc:  # the Pango libraries are missing
        raise ReportError(f"pdf: WeasyPrint cannot load Pango ({exc}); expected the Debian packages "
                          "libpango-1.0-0 and libpangoft2-1.0-0 (run `make reportdeps`)") from exc
    cjk_font()
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # subsetting chatter
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    weasyprint.HTML(string=html if html is not None else render_html(report, lang), base_url=str(TEMPLATES)) \
        .write_pdf(path)
    return path
