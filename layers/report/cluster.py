"""集群发展报告 (cluster development report) of a year and a scope: PDF (WeasyPrint) and XLSX.

One computation, ``cluster_report``: the figures are those of ``layers.industry.monitor`` (the
same as ``onemap industry monitor``), the chain atlas and its gaps, projects by stage, the
leads pipeline and the task list. ``write_cluster_report`` renders them; it never recomputes.
"""

from __future__ import annotations

import datetime as dt
import html as _html
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from etl import schema
from layers.export import internal_mark, write_sheets
from layers.industry import atlas_summary, chain_atlas, load, monitor
from layers.industry.labels import display_frame, indicator_name, name_text, term
from layers.report.html import FONT_FAMILIES, METHODS_FILE, cjk_font, markdown_html
from layers.report.model import ReportError

FORMATS = ("pdf", "xlsx", "html")
_T = {
    "title": ("{scope}安全应急产业集群发展报告（{year} 年）", "{scope} safety & emergency industry cluster report ({year})"),
    "kpi": ("一、规划目标完成情况", "1. Plan targets"),
    "indicators": ("二、主要指标", "2. Indicators"),
    "atlas": ("三、产业链图谱与缺口", "3. Chain atlas and gaps"),
    "gaps": ("缺失与薄弱环节（补链、固链）", "Missing and thin links"),
    "projects": ("四、项目库：按阶段", "4. Projects by stage"),
    "leads": ("五、招商库：按阶段", "5. Investment leads by stage"),
    "tasks": ("六、招商任务清单", "6. Task list"),
    "methods": ("七、方法与数据来源", "7. Methods and sources"),
    "date": ("报告日期：{date}；数据库构建：{build}", "Date: {date}; store build: {build}"),
    "count": ("数量", "Count"), "invest": ("投资（亿元）", "Investment (100 m CNY)"),
    "stage": ("阶段", "Stage"), "chain": ("产业链", "Chain"),
    "links": ("环节数", "Links"), "missing": ("缺失", "Missing"), "thin": ("薄弱", "Thin"),
    "covered": ("已覆盖", "Covered"), "sources": ("目标出处", "Target sources"),
    "synthetic": ("说明：{note}", "Note: {note}"),
}
_STAGES = {"projects": tuple(schema.PROJECT_STAGES), "leads": tuple(schema.LEAD_STAGES),
           "tasks": tuple(schema.TASK_STATUSES)}


def _t(key: str, lang: str, **kw: Any) -> str:
    return _T[key][0 if lang == "zh" else 1].format(**kw)


@dataclass
class ClusterReport:
    """Everything a cluster report shows, computed once."""

    year: int
    scope: str
    code: str | None
    name: str
    monitor: dict[str, Any]
    atlas: pd.DataFrame
    stages: dict[str, pd.DataFrame]
    tasks: pd.DataFrame
    meta: dict[str, Any]
    date: str
    units: dict[str, str]


def cluster_report(store: Any, year: int | None = None, adcode: str | None = None,
                   date: str | None = None) -> ClusterReport:
    """The cluster report of ``year`` for the region (``adcode`` None), a province or a city.

    Raises
    ------
    LookupError
        An adcode that is not a province or city of the store.
    ValueError
        A year outside the panel.
    """
    data = load(store)
    scope = "region"
    if adcode is not None:
        hit = data.units[data.units["adcode"] == adcode]
        if hit.empty or hit["level"].iloc[0] not in ("province", "city"):
            raise LookupError(f"{adcode} is not a province or city adcode of this store")
        scope = str(hit["level"].iloc[0])
    res = monitor(data, year, scope, adcode)
    if adcode is None:
        res["targets"] = res["targets"][res["targets"]["scope"] == "region"]

    def in_unit(df: pd.DataFrame) -> pd.DataFrame:
        return df if adcode is None else df[(df["city"] == adcode) | (df["province"] == adcode)]

    stages = {}
    for table in ("projects", "leads"):
        df = in_unit(getattr(data, table))
        g = df.groupby("stage").agg(count=("id", "size"), investment_yi=("investment_yi", "sum"))
        stages[table] = g.reindex(list(_STAGES[table]), fill_value=0).reset_index()
    return ClusterReport(year=res["year"], scope=scope, code=adcode, name=data.unit_name(adcode), monitor=res,
                         atlas=chain_atlas(data, None, adcode), stages=stages, tasks=in_unit(data.tasks),
                         meta=data.meta, date=date or dt.date.today().isoformat(),
                         units=dict(zip(data.units["adcode"], data.units["name"])))


# --- tables ---------------------------------------------------------------------------------------

_TARGET_COLS = ["indicator", "scope_name", "year", "value", "comparator", "current", "attainment", "growth_needed",
                "projection", "status"]
_ATLAS_COLS = ["chain", "link", "firms", "projects", "leads", "tasks", "status", "action", "lead_names"]
_TASK_COLS = ["unit", "target", "chain", "link", "deadline", "status", "leads"]


def _chain_summary(report: ClusterReport, lang: str) -> pd.DataFrame:
    rows = []
    for chain, g in report.atlas.groupby("chain", sort=False):
        s = atlas_summary(g)
        rows.append({_t("chain", lang): term("chain", chain, lang), _t("links", lang): s["links"],
                     _t("missing", lang): s["missing"], _t("thin", lang): s["thin"],
                     _t("covered", lang): s["covered"]})
    return pd.DataFrame(rows)


def _stage_table(report: ClusterReport, table: str, lang: str) -> pd.DataFrame:
    df = report.stages[table]
    return pd.DataFrame({_t("stage", lang): [term("stage", s, lang) for s in df["stage"]],
                         _t("count", lang): df["count"].astype(int),
                         _t("invest", lang): df["investment_yi"].round(1)})


def sheets(report: ClusterReport, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """The report's tables for people in ``lang`` (XLSX sheets and PDF tables alike)."""
    res = report.monitor
    gaps = report.atlas[report.atlas["status"] != "covered"]
    return {
        _t("kpi", lang): display_frame(res["targets"], lang, columns=_TARGET_COLS),
        _t("indicators", lang): display_frame(res["indicators"], lang,
                                              columns=["indicator", "value", "previous", "change"]),
        _t("atlas", lang): _chain_summary(report, lang),
        _t("gaps", lang): display_frame(gaps, lang, columns=_ATLAS_COLS),
        _t("projects", lang): _stage_table(report, "projects", lang),
        _t("leads", lang): _stage_table(report, "leads", lang),
        _t("tasks", lang): display_frame(report.tasks, lang, units=report.units, columns=_TASK_COLS),
        _t("sources", lang): pd.DataFrame({
            ("指标" if lang == "zh" else "Indicator"):
                [indicator_name(i, lang) for i in res["targets"]["indicator"]],
            ("出处" if lang == "zh" else "Document"): [name_text(d, lang) for d in res["targets"]["document"]],
            ("条款" if lang == "zh" else "Clause"): [name_text(c or "", lang) for c in res["targets"]["clause"]]}),
    }


# --- charts (inline SVG) -----------------------------------------------------------------------------

def attainment_svg(report: ClusterReport, lang: str, width: int = 640) -> str:
    """Horizontal bars: attainment of each target (100 % line), coloured by status."""
    t = report.monitor["targets"]
    colours = {"on_track": "#1a9850", "at_risk": "#fdae61", "off_track": "#d73027", "no_data": "#999"}
    row, left, scale = 22, 200, (width - 260) / 1.2
    h = row * len(t) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}" font-size="11">']
    for i, r in enumerate(t.to_dict("records")):
        y = 10 + i * row
        a = 0.0 if r["attainment"] is None or pd.isna(r["attainment"]) else float(r["attainment"])
        label = _html.escape(f"{indicator_name(r['indicator'], lang)} · {name_text(r['scope_name'], lang)}")
        parts.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{label}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{min(a, 1.2) * scale:.1f}" height="{row - 6}" '
                     f'fill="{colours.get(r["status"], "#999")}"/>')
        parts.append(f'<text x="{left + min(a, 1.2) * scale + 4:.1f}" y="{y + 13}">{a * 100:.1f}%</text>')
    parts.append(f'<line x1="{left + scale:.1f}" x2="{left + scale:.1f}" y1="5" y2="{h - 15}" stroke="#333" '
                 'stroke-dasharray="3,2"/></svg>')
    return "".join(parts)


def trend_svg(report: ClusterReport, lang: str, width: int = 640, height: int = 220) -> str:
    """Output and revenue (亿元) of the scope by year, with its money targets as red dots."""
    t = report.monitor["table"]
    m = (t["scope"] == report.scope) & (t["year"] <= report.year)  # the report's year and before
    m &= t["scope_code"].isna() if report.code is None else t["scope_code"] == report.code
    series = {ind: t[m & (t["indicator"] == ind)].dropna(subset=["value"]).sort_values("year")
              for ind in ("output_yi", "revenue_yi")}
    goals = report.monitor["targets"]
    goals = goals[goals["indicator"].isin(series)]
    years = sorted({int(y) for s in series.values() for y in s["year"]} | {int(y) for y in goals["year"]})
    values = [float(v) for s in series.values() for v in s["value"]] + [float(v) for v in goals["value"]]
    if not years or not values:
        return ""
    top = max(values) * 1.1
    left, right, bottom, head = 60, 20, 30, 24
    span = max(years[-1] - years[0], 1)

    def xy(year: float, value: float) -> tuple[float, float]:
        return (left + (year - years[0]) / span * (width - left - right),
                height - bottom - value / top * (height - bottom - head))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-size="10">']
    for frac in (0, 0.25, 0.5, 0.75, 1.0):
        _, y = xy(years[0], top * frac)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 4}" y="{y + 3:.1f}" text-anchor="end">{top * frac:,.0f}</text>')
    for yr in years:
        x, _ = xy(yr, 0)
        parts.append(f'<text x="{x:.1f}" y="{height - 12}" text-anchor="middle">{yr}</text>')
    for (ind, s), colour in zip(series.items(), ("#1f3a5f", "#e6550d")):
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(a, b) for a, b in zip(s["year"], s["value"])))
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>')
        lx, ly = left + 10 + (0 if ind == "output_yi" else 120), 12
        parts.append(f'<rect x="{lx}" y="{ly - 8}" width="10" height="3" fill="{colour}"/>'
                     f'<text x="{lx + 14}" y="{ly - 4}">{_html.escape(indicator_name(ind, lang))}</text>')
    for g in goals.to_dict("records"):
        x, y = xy(g["year"], g["value"])
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#d73027"/>'
                     f'<text x="{x - 6:.1f}" y="{y - 6:.1f}" text-anchor="end">{g["value"]:,.0f}</text>')
    return "".join(parts) + "</svg>"


def _table_html(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{_html.escape(str(c))}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{_html.escape(str(v))}</td>" for v in r) + "</tr>"
                   for r in df.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _methods(lang: str) -> str:
    text = METHODS_FILE.read_text(encoding="utf-8")
    m = re.search(r"^## industry\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    body = m.group(1) if m else ""
    zh, _, en = body.partition("**English**")
    part = zh.replace("**中文**：", "") if lang == "zh" else en.lstrip(":： ")
    return markdown_html("\n".join(x for x in part.splitlines() if not x.startswith("CLI:")).strip())


def _note(note: str, lang: str) -> str:
    """The region's data note in ``lang`` (a "中文。English" note is split at the first English sentence)."""
    parts = re.split(r"(?<=[。）])\s*(?=[A-Z][a-z])", note, maxsplit=1)
    return parts[0] if lang == "zh" or len(parts) == 1 else parts[1]


def render_html(report: ClusterReport, lang: str = "zh") -> str:
    """The report as one HTML page (A4 CSS) for WeasyPrint."""
    title = _t("title", lang, scope=report.name, year=report.year)
    frames = sheets(report, lang)
    sec = list(frames.items())
    note = _note(report.meta.get("synthetic_note") or "", lang)
    fonts = ", ".join(f'"{f}"' for f in FONT_FAMILIES)
    body = [f"<h1>{_html.escape(title)}</h1>",
            f"<p>{_html.escape(_t('date', lang, date=report.date, build=report.meta.get('build_id')))}</p>",
            f"<p class='note'>{_html.escape(_t('synthetic', lang, note=note))}</p>" if note else "",
            f"<h2>{_html.escape(sec[0][0])}</h2>", attainment_svg(report, lang), _table_html(sec[0][1]),
            f"<p class='small'>{_html.escape(report.monitor['method'][lang])}</p>"]
    body += [f"<h2>{_html.escape(sec[1][0])}</h2>", trend_svg(report, lang), _table_html(sec[1][1])]
    for name, df in sec[2:7]:
        body += [f"<h2>{_html.escape(name)}</h2>", _table_html(df)]
    body += [f"<h2>{_html.escape(_t('methods', lang))}</h2>", _methods(lang), _table_html(sec[7][1])]
    css = (f"@page {{ size: A4; margin: 16mm 14mm; @bottom-center {{ content: counter(page); font-size: 9pt; }} }}"
           f"body {{ font-family: {fonts}, sans-serif; font-size: 10pt; }} h1 {{ font-size: 17pt; }}"
           "h2 { font-size: 13pt; margin-top: 14pt; border-bottom: 1px solid #1f3a5f; }"
           "table { border-collapse: collapse; width: 100%; margin: 4pt 0; font-size: 8.5pt; }"
           "th, td { border: 1px solid #bbb; padding: 2pt 3pt; text-align: left; } thead { display: table-header-group; }"
           ".note { color: #8a4b00; } .small { font-size: 8.5pt; color: #444; }")
    return (f"<!doctype html><html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head><meta charset='utf-8'>"
            f"<title>{_html.escape(title)}</title><style>{css}</style></head><body>{''.join(body)}</body></html>")


def report_bytes(report: ClusterReport, fmt: str, lang: str = "zh") -> bytes:
    """The report in ``fmt`` (pdf, xlsx, html) as bytes."""
    if fmt == "html":
        return render_html(report, lang).encode("utf-8")
    if fmt == "xlsx":
        buf = io.BytesIO()  # leads and tasks are internal working papers: the mark sheet first
        write_sheets(buf, sheets(report, lang), mark=internal_mark(lang))
        return buf.getvalue()
    if fmt != "pdf":
        raise ValueError(f"unknown format {fmt!r}; expected one of {list(FORMATS)}")
    try:
        import weasyprint  # noqa: PLC0415
    except OSError as exc:
        raise ReportError(f"pdf: WeasyPrint cannot load Pango ({exc}); run `make reportdeps`") from exc
    cjk_font()
    return weasyprint.HTML(string=render_html(report, lang)).write_pdf()


def file_name(report: ClusterReport, fmt: str) -> str:
    """``cluster_<code or region>_<year>.<fmt>``."""
    return f"cluster_{report.code or 'region'}_{report.year}.{fmt}"


def write_cluster_report(report: ClusterReport, out: str | Path, formats: tuple[str, ...] = ("pdf", "xlsx"),
                         lang: str = "zh") -> list[Path]:
    """Write the report in every format to directory ``out``; returns the paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = out / file_name(report, fmt)
        path.write_bytes(report_bytes(report, fmt, lang))
        paths.append(path)
    return paths


def cluster_report_bytes(store: Any, year: int | None, adcode: str | None, fmt: str = "pdf",
                         lang: str = "zh") -> tuple[str, bytes]:
    """``(file name, bytes)`` of a cluster report (the app's download button)."""
    report = cluster_report(store, year, adcode)
    return file_name(report, fmt), report_bytes(report, fmt, lang)
