"""Writers of a ``Report``: XLSX (one sheet per table), GeoJSON and GeoParquet (at-risk cells as
hexagons, facilities as points); HTML and PDF are in ``html``. They render; they never compute.
Every cell value goes through ``labels.display`` (``labels.as_text`` in HTML/PDF, the XLSX
number formats as text) so every format shows the same numbers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from layers.export import to_geojson
from layers.placenames import english_text
from layers.report.labels import HIDDEN, TITLES, display, header, kind_of, lang_index, term
from layers.report.model import Report, ReportError
from layers.report.wording import (
    built_at_text,
    crs_text,
    in_language,
    number_text,
    parameter_rows,
    source_name,
    units_text,
)
from layers.safe_cells import safe_value

#: Formats ``write_report`` writes, all from the same Report.
FORMATS = ("html", "pdf", "xlsx", "geojson", "parquet")
#: Sheets of the XLSX in order: report tables, then chart data (``about`` and ``columns`` follow).
SHEETS = ("findings", "headline", "units", "worst_cells", "depots", "chains", "chain_matrix", "siting_summary",
          "siting", "coverage_by_tier", "hours_histogram",
          "supply", "supply_shortfalls", "supply_units", "supply_dry")  # layers.report.supply
#: Excel number format per column kind.
NUMBER_FORMATS = {"share": "0.0%", "hours": "0.00", "km2": "#,##0.00", "people": "#,##0", "int": "0",
                  "number": "0.000"}
#: How a column kind reads, for the Chinese columns sheet.
KIND_WORDS = {"share": ("百分比", "percentage"), "hours": ("小时，两位小数", "hours, two decimals"),
              "km2": ("平方公里，两位小数", "km², two decimals"), "people": ("人数，整数", "people, whole number"),
              "int": ("整数", "whole number"), "number": ("三位小数", "three decimals"), "bool": ("是或否", "yes or no"),
              "code": ("分类名称", "category name"), "codes": ("分类名称列表", "list of category names"),
              "status": ("说明文字", "text"), "text": ("文字", "text")}
_COORD_FORMAT = "0.000"  # labels.COORD_PLACES
_MAX_WIDTH = 48


def sheet_frames(report: Report, lang: str | None = None) -> dict[str, pd.DataFrame]:
    """The report's tables in sheet order: findings, headline, tables, chart data; with ``lang``,
    without the columns a reader of that language does not get (``labels.HIDDEN``)."""
    frames = {"findings": report.findings_table(), "headline": report.headline, **report.tables, **report.charts}
    hidden = HIDDEN[lang] if lang else frozenset()
    return {k: frames[k].drop(columns=[c for c in frames[k].columns if c in hidden])
            for k in SHEETS if k in frames}


def sheet_title(key: str, lang: str = "zh") -> str:
    """The sheet (and section) title of a table: at most 31 characters, no ``[]:*?/`` or backslash."""
    title = TITLES.get(key, (key, key))[lang_index(lang)]
    return "".join("-" if ch in "[]:*?/\\" else ch for ch in title)[:31]


def _hazard_line(h: dict[str, Any], lang: str) -> str:
    """A hazard and its threshold: ``洪水（等级≥2，≥0.5 m）``."""
    i = lang_index(lang)
    name = h["zh"] if i == 0 else h["en"]
    threshold = ""
    if h.get("threshold") is not None:
        threshold = (f"{'，' if i == 0 else ', '}{h.get('comparator', '≥')}{number_text(h['threshold'])}"
                     f" {units_text(h['units'], lang)}").rstrip()
    return f"{name}（等级≥{h['min_class']}{threshold}）" if i == 0 else f"{name} (class ≥ {h['min_class']}{threshold})"


def about_rows(report: Report, lang: str = "zh") -> list[tuple[str, str]]:
    """The cover as (label, text) rows in ``lang``: unit, hazards, date, build, provenance,
    standards, parameters; every value in words and numbers for people (no code names, file
    paths or JSON in Chinese)."""
    i = lang_index(lang)
    c = report.cover
    unit = c["unit"]
    sep = "；" if i == 0 else "; "
    colon = "：" if i == 0 else ": "
    prov = c["provenance"]

    def row(zh: str, en: str, value: str) -> tuple[str, str]:
        return (zh if i == 0 else en, value or "—")

    kinds = {True: ("合成", "synthetic"), False: ("真实", "real")}
    region = c["region"]
    rows = [
        row("标题", "Title", c["title_zh"] if i == 0 else c["title_en"]),
        row("行政区", "Unit", f"{unit['name']}（{unit['adcode']}，{unit['level_zh']}）" if i == 0
            else f"{unit['name']} ({unit['adcode']}, {unit['level_en']})"),
        row("上级行政区", "Parents", " > ".join(f"{p['name']}（{p['adcode']}）" if i == 0 else f"{p['name']} ({p['adcode']})"
                                          for p in unit["parents"])),
        row("灾种", "Hazards", sep.join(_hazard_line(h, lang) for h in c["hazards"])),
        row("报告日期", "Date", c["date"]),
        row("数据库构建编号", "Store build id", str(c["build_id"] or "")),
        row("数据库构建时间", "Store built at", built_at_text(c["built_at"], lang)),
        row("区域", "Region", (region["name"] if i == 0 else region["name_en"]) or ""),
        row("数据说明", "Data note", in_language(prov.get("note"), lang)),
        row("真实数据源", "Real sources", ("、" if i == 0 else ", ").join(source_name(s, lang) for s in prov["real"])),
        row("合成数据源", "Synthetic sources",
            ("、" if i == 0 else ", ").join(source_name(s, lang) for s in prov["synthetic"])),
    ]
    for s in prov["sources"]:
        total = s["rows_loaded"] + s["rows_rejected"]
        name = source_name(s["source"], lang)
        counts = (f"入库 {number_text(s['rows_loaded'])} 行，共 {number_text(total)} 行" if i == 0
                  else f"{number_text(s['rows_loaded'])} of {number_text(total)} rows loaded")
        where = [] if i == 0 else [s["path"]]  # a file path is no word for the Chinese reader
        rows.append(row(f"数据源：{name}", f"Source: {name}",
                        sep.join([*where, counts, kinds[bool(s["synthetic"])][i],
                                  ("坐标系 " if i == 0 else "CRS ") + crs_text(s["crs"], lang)])))
    precision = sep.join(f"{term('kind', k, lang)}{colon}" + ("，" if i == 0 else ", ").join(
        f"{term('precision', p, lang)} {number_text(n)}" for p, n in v.items())
        for k, v in prov["precision_in_unit"].items())
    rows.append(row("本单元设施位置精度", "Position precision in the unit", precision))
    if prov.get("exposure"):
        rows.append(row("人口数据", "Population", in_language(prov["exposure"].get("description"), lang)))
    for h in c["hazards"]:
        rows.append(row(f"灾害图层：{h['zh']}", f"Hazard layer: {h['en']}", in_language(h.get("description"), lang)))
    std = c["standards"]
    hours = "小时" if i == 0 else " h"
    rows += [
        row("到达时间标准", "Standard hours by tier",
            sep.join(f"{term('tier', t, lang)} {number_text(v)}{hours}" for t, v in std["hours_by_tier"].items())),
        row("车速（km/h）", "Speeds (km/h)", sep.join(f"{term('tier', k, lang)} {number_text(v)}"
                                                     for k, v in std["speed_kmh"].items())),
        row("绕行系数", "Detour factors", sep.join(f"{term('terrain', k, lang)} {number_text(v)}"
                                               for k, v in std["detour"].items())),
        row("出发准备时间（小时）", "Dispatch delay (h)", number_text(std["dispatch_delay_h"])),
        row("灾种相关产业链", "Chains by hazard", sep.join(
            f"{term('hazard', h, lang)}{colon}" + ("、" if i == 0 else ", ").join(term("chain", x, lang) for x in v)
            for h, v in std["chains_by_hazard"].items())),
    ]
    rows += [(f"参数：{k}" if i == 0 else k, v) for k, v in parameter_rows(c["parameters"], lang)]
    rows.append(row("方法与局限", "Methods and limits",
                    "见报告第五章“方法与局限”" if i == 0 else "see chapter 5 of the report, Methods and limits"))
    return rows


# --- XLSX -------------------------------------------------------------------------------------

def _write_sheet(ws: Any, df: pd.DataFrame, lang: str, bold: Any, fill: Any) -> None:
    """Header (in ``lang``), rows through ``display``, number formats, widths, frozen header."""
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    columns = list(df.columns)
    ws.append([header(c, lang) for c in columns])
    for cell in ws[1]:
        cell.font, cell.fill = bold, fill
    width = [len(header(c, lang)) * (2 if lang == "zh" else 1) + 2 for c in columns]
    formats = [(_COORD_FORMAT if c in ("lon", "lat") else NUMBER_FORMATS.get(kind_of(c))) for c in columns]
    for values in df.itertuples(index=False, name=None):
        shown = [safe_value(_english(display(v, c, lang), lang)) for v, c in zip(values, columns)]
        ws.append(shown)
        for j, v in enumerate(shown):
            if isinstance(v, str):
                width[j] = max(width[j], sum(2 if ord(ch) > 0x2E80 else 1 for ch in v) + 2)
            elif v is not None:
                width[j] = max(width[j], 12)
    for j, fmt in enumerate(formats, start=1):
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                if isinstance(cell.value, (int, float)):
                    cell.number_format = fmt
        ws.column_dimensions[get_column_letter(j)].width = min(width[j - 1], _MAX_WIDTH)
    ws.freeze_panes = "A2"


def _english(value: Any, lang: str) -> Any:
    """A text cell with its names romanised in English (numbers and Chinese text unchanged)."""
    return english_text(value) if lang == "en" and isinstance(value, str) else value


def write_xlsx(report: Report, path: str | Path, *, lang: str = "zh") -> Path:
    """Write the report as an XLSX workbook: one sheet per table, an about and a columns sheet.

    Sheets: ``sheet_frames`` (titles from ``labels.TITLES`` in ``lang``), then "about"
    (provenance and parameters, ``about_rows``) and "columns" (every header in Chinese and
    English). Headers are in ``lang``; numbers are stored unrounded with Excel number formats.

    Raises
    ------
    ValueError
        ``lang`` is not 'zh' or 'en'.
    """
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.styles import Font, PatternFill  # noqa: PLC0415

    lang_index(lang)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    wb = Workbook()
    wb.remove(wb.active)
    frames = sheet_frames(report, lang)
    for key, df in frames.items():
        _write_sheet(wb.create_sheet(sheet_title(key, lang)), df, lang, bold, fill)
    about = wb.create_sheet(sheet_title("about", lang))
    about.append(["项目", "内容"] if lang == "zh" else ["Item", "Value"])
    for label, text in about_rows(report, lang):
        about.append([label, safe_value(_english(text, lang))])
    for cell in about[1]:
        cell.font, cell.fill = bold, fill
    about.column_dimensions["A"].width, about.column_dimensions["B"].width = 28, 110
    about.freeze_panes = "A2"
    cols = wb.create_sheet(sheet_title("columns", lang))
    # each column in the reader's language and how it reads (no keys: code names; no other language)
    i = lang_index(lang)
    cols.append([["表", "字段", "显示方式"], ["Sheet", "Column", "Reads as"]][i])
    for key, df in frames.items():
        for c in df.columns:
            cols.append([sheet_title(key, lang), header(c, lang), KIND_WORDS.get(kind_of(c), KIND_WORDS["text"])[i]])
    for cell in cols[1]:
        cell.font, cell.fill = bold, fill
    for letter, w in zip("ABC", (24, 40, 30)):
        cols.column_dimensions[letter].width = w
    cols.freeze_panes = "A2"
    wb.properties.title = report.cover["title_zh"] if lang == "zh" else report.cover["title_en"]
    wb.properties.creator = "onemap report"
    wb.save(path)
    return path


# --- GeoJSON / GeoParquet ---------------------------------------------------------------------

def _about(report: Report) -> dict[str, Any]:
    c = report.cover
    return {k: c[k] for k in ("title_zh", "title_en", "unit", "hazards", "date", "build_id", "standards",
                              "parameters", "methods")} | {"note": c["provenance"].get("note")}


def _with_names(df: pd.DataFrame) -> pd.DataFrame:
    """Add Chinese display names of coded columns (``<col>_zh``) for GIS labels."""
    out = df.copy()
    for col in ("hazard", "first_batch_tier", "category", "kind"):
        if col in out.columns:
            out[f"{col}_zh"] = [None if v is None or (isinstance(v, float) and pd.isna(v)) else term(col, v, "zh")
                                for v in out[col]]
    return out


def write_geojson(report: Report, out_dir: str | Path, stem: str | None = None) -> list[Path]:
    """``<stem>_cells.geojson`` (at-risk hexagons) and ``<stem>_facilities.geojson`` (points).

    Properties are the ``maps`` columns (codes as stored, lists kept as arrays) plus ``*_zh``
    names of coded columns; infinite hours become null; an ``about`` member holds the cover.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = stem or report.basename
    paths = []
    for key in ("cells", "facilities"):
        data = to_geojson(_with_names(report.maps[key]))
        data["about"] = _about(report)
        path = out_dir / f"{stem}_{key}.geojson"
        path.write_text(json.dumps(data, ensure_ascii=False, allow_nan=False), encoding="utf-8")
        paths.append(path)
    return paths


def write_geoparquet(report: Report, out_dir: str | Path, stem: str | None = None) -> list[Path]:
    """``<stem>_cells.parquet`` and ``<stem>_facilities.parquet`` as GeoParquet (EPSG:4326)."""
    import geopandas as gpd  # noqa: PLC0415
    import h3  # noqa: PLC0415
    import shapely  # noqa: PLC0415

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = stem or report.basename
    paths = []
    for key in ("cells", "facilities"):
        df = _with_names(report.maps[key])
        if key == "cells":
            geometry = [shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in df["cell"]]
        else:
            geometry = shapely.points(df["lon"].to_numpy(float), df["lat"].to_numpy(float))
        for col in ("missing_chains", "chains"):
            if col in df.columns:  # text lists, so that an all-empty column still has a type
                df[col] = [[str(x) for x in v] for v in df[col]]
        gdf = gpd.GeoDataFrame(df, geometry=list(geometry), crs="EPSG:4326")
        path = out_dir / f"{stem}_{key}.parquet"
        gdf.to_parquet(path)
        paths.append(path)
    return paths


def check_formats(formats: str | Sequence[str]) -> list[str]:
    """Formats as a list (comma-separated text or a sequence), each one of ``FORMATS``."""
    items = [f.strip().lower() for f in (formats.split(",") if isinstance(formats, str) else formats) if f.strip()]
    bad = [f for f in items if f not in FORMATS]
    if bad or not items:
        raise ReportError(f"format: found {bad or items}; expected one or more of {', '.join(FORMATS)}")
    return list(dict.fromkeys(items))


def write_report(report: Report, out_dir: str | Path, formats: str | Sequence[str] = ("xlsx", "geojson"), *,
                 lang: str = "zh") -> list[Path]:
    """Write the report in every format asked into ``out_dir``; returns the files written.

    Files: ``<adcode>_<hazard>.html``, ``.pdf``, ``.xlsx``,
    ``<adcode>_<hazard>_{cells,facilities}.geojson`` and ``.parquet`` (hazard: a name, ``a+b``, or
    ``all``). The HTML page is rendered once for both HTML and PDF.

    Raises
    ------
    ReportError
        An unknown format, a bad ``lang``, or a PDF without a Chinese font installed.
    """
    from layers.report import html as _html  # noqa: PLC0415 (Jinja2/WeasyPrint only when asked)

    chosen = check_formats(formats)
    lang_index(lang)
    out_dir = Path(out_dir)
    paths: list[Path] = []
    if "pdf" in chosen:
        _html.cjk_font()  # before anything is written
    if "html" in chosen or "pdf" in chosen:
        page = _html.render_html(report, lang)
        if "html" in chosen:
            paths.append(_html.write_html(report, out_dir / f"{report.basename}.html", lang=lang, html=page))
        if "pdf" in chosen:
            paths.append(_html.write_pdf(report, out_dir / f"{report.basename}.pdf", lang=lang, html=page))
    if "xlsx" in chosen:
        paths.append(write_xlsx(report, out_dir / f"{report.basename}.xlsx", lang=lang))
    if "geojson" in chosen:
        paths += write_geojson(report, out_dir)
    if "parquet" in chosen:
        paths += write_geoparquet(report, out_dir)
    return paths

