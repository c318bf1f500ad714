"""生成报告 and 导出地图 in the app: the report box (left panel), the map's export button, and the
report file for a unit (``report_file``: ``layers.build_report`` + ``layers.write_report`` into a
temporary folder, read back as bytes). Ids are ``map-report-*`` and ``map-export-*``.

The map export itself runs in the browser (``assets/export.js`` with the vendored
``html-to-image``); this module only gives it its texts and symbols (``export_config``).
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dash import dcc, html

from layers import build_report, write_report
from mapapp import style
from mapapp.i18n import label, t

#: Choices of the format control, in menu order; ``zip`` holds every format below.
FORMATS = ("pdf", "xlsx", "zip")
#: What ``write_report`` writes into a ZIP (``<adcode>_<hazard>.zip``).
ZIP_FORMATS = ("pdf", "html", "xlsx", "geojson", "parquet")
ALL_HAZARDS = "all"


@dataclass(frozen=True)
class ReportFile:
    """A finished report file: its name (``<adcode>_<hazard>.<ext>``) and bytes."""

    name: str
    content: bytes


def report_file(store: Any, adcode: str, hazard: str, fmt: str, lang: str = "zh", *,
                county_hours: float | None = None, siting_k: int | None = None) -> ReportFile:
    """The coverage-gap report of unit ``adcode`` as one file (PDF, XLSX, or a ZIP of every format).

    Parameters
    ----------
    store
        The app's open ``layers.Store``.
    adcode
        A province, city or county of ``admin_units``.
    hazard
        A hazard layer of the store, or ``"all"``.
    fmt
        One of ``FORMATS``.
    lang
        Language of headers, findings and texts ("zh" or "en").
    county_hours
        The county tier's standard hours (as the CLI's ``--hours county=H``); None: the region
        file's.
    siting_k
        The siting scenario: new county depots the report may add (``--siting-k``); None: 3.

    Returns
    -------
    ReportFile
        Built in a temporary folder that is gone when this returns.

    Raises
    ------
    ValueError
        ``fmt`` is not one of ``FORMATS``.
    layers.ReportError
        A bad hazard or language (a ``ValueError``).
    layers.NotFoundError
        An unknown adcode (a ``LookupError``).
    """
    if fmt not in FORMATS:
        raise ValueError(f"format: found {fmt!r:.20}; expected one of {', '.join(FORMATS)}")
    options: dict[str, Any] = {}
    if county_hours is not None:
        options["hours_by_tier"] = {"county": float(county_hours)}
    if siting_k is not None:
        options["siting_k"] = int(siting_k)
    report = build_report(store, adcode, hazard or ALL_HAZARDS, **options)
    with tempfile.TemporaryDirectory(prefix="onemap-report-") as tmp:
        if fmt == "zip":
            paths = write_report(report, tmp, ZIP_FORMATS, lang=lang)
            return ReportFile(f"{report.basename}.zip", _zip(paths))
        path = Path(tmp) / f"{report.basename}.{fmt}"
        written = write_report(report, tmp, [fmt], lang=lang)
        if path not in written:
            raise ValueError(f"format: {fmt} wrote {[p.name for p in written]}; expected {path.name}")
        return ReportFile(path.name, path.read_bytes())


def _zip(paths: list[Path]) -> bytes:
    """The files as one ZIP (deflated), by their names."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            archive.write(path, path.name)
    return buffer.getvalue()


# --- components ----------------------------------------------------------------------------------

def report_controls(hazards: list[dict[str, Any]], lang: str, unit: str | None) -> html.Div:
    """The report box of the left panel (shown while a unit is chosen): hazard, format, button."""
    options = [{"label": t("report.hazard_all", lang), "value": ALL_HAZARDS}]
    options += [{"label": label("hazard", h["hazard"], lang), "value": h["hazard"]} for h in hazards]
    return html.Div([
        html.Div(id="map-report-unit", className="om-report-unit"),
        html.Div([html.Span(t("report.hazard", lang), className="om-opacity-label"),
                  dcc.Dropdown(id="map-report-hazard", options=options, value=ALL_HAZARDS, clearable=False,
                               searchable=False, className="om-report-hazard")], className="om-opacity"),
        html.Div([html.Span(t("report.hours", lang), className="om-opacity-label"),
                  dcc.Input(id="map-report-hours", type="number", min=0.5, max=48, step=0.5,
                            placeholder=t("report.hours_hint", lang), className="om-report-number")],
                 className="om-opacity"),
        html.Div([html.Span(t("report.siting", lang), className="om-opacity-label"),
                  dcc.Input(id="map-report-k", type="number", min=0, max=10, step=1, value=3,
                            className="om-report-number")], className="om-opacity"),
        dcc.RadioItems(id="map-report-format", value="pdf", className="om-report-format", inline=True,
                       options=[{"label": f.upper(), "value": f} for f in FORMATS]),
        dcc.Checklist(id="map-report-publish", options=[{"label": t("report.publish", lang), "value": "publish"}],
                      value=[], className="om-report-publish"),
        html.Button(t("report.go", lang), id="map-report-go", className="om-button om-button-primary"),
        dcc.Loading(html.Div(id="map-report-status", className="om-report-status"),
                    custom_spinner=html.Div(t("report.running", lang), className="om-report-running")),
        dcc.Download(id="map-report-download"),
    ], id="map-report", className="om-report" if unit else "om-report om-hidden")


def export_button(lang: str) -> html.Div:
    """The 导出地图 button over the map and its status line."""
    return html.Div([
        html.Button(t("export.go", lang), id="map-export-go", className="om-button om-export-button",
                    title=t("export.hint", lang)),
        html.Div(id="map-export-status", className="om-export-status"),
    ], className="om-export", id="map-export")


def export_config(meta: dict[str, Any], hazards: list[dict[str, Any]], lang: str,
                  min_zoom: dict[str, int]) -> dict[str, Any]:
    """What ``assets/export.js`` needs besides the page: texts, boundary symbols, synthetic layers.

    ``synthetic`` lists the layers that may show synthetic data: hazards by their store flag;
    the facility layers when the store carries a synthetic-data note (``layers`` does not say
    which facility table is synthetic, so all three count); analysis results when any of
    those is synthetic. ``min_zoom``: zoom from which each boundary level is drawn.
    """
    note = bool(meta.get("synthetic_note"))
    synthetic = [h["hazard"] for h in hazards if h.get("synthetic")]
    synthetic += ["parks", "enterprises", "reserves"] if note else []
    synthetic += ["analysis"] if synthetic else []
    region = meta.get("region_name_en" if lang == "en" else "region_name") or meta.get("region") or "OneMap"
    return {
        "lang": lang, "region": region, "synthetic": synthetic,
        "boundaries": [{"level": lvl, "label": label("admin_level", lvl, lang), "minZoom": min_zoom[lvl],
                        **style.BOUNDARY[lvl]} for lvl in ("province", "city", "county")],
        "text": {"title": t("app.title", lang), **{key: t(f"export.{key}", lang) for key in (
            "legend", "boundaries", "selected", "synthetic", "analysis", "running", "done", "failed", "no_map",
            "date")}},
    }
