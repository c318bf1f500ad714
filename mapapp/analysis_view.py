"""Components of the analyses panel: controls (left), result (right) and the map layers it draws.

Ids are ``ana-*``. Strings from data files go in as text (Dash children, DataTable cells).
"""

from __future__ import annotations

from typing import Any

import dash_leaflet as dl
from dash import dash_table, dcc, html

from layers import VOCABULARIES, english_text
from mapapp import analyses, map_legend
from mapapp.i18n import label, t

#: Control -> the rows it sits in (visibility follows ``analyses.CONTROLS``).
CONTROL_ROWS = ("hazard", "res", "minclass", "hours", "tier", "k", "sitekind", "top", "spacing", "weights", "event", "point",
                "radius", "magnitude", "polygon", "matrix", "exclude", "bands", "material", "quantity", "access")
SITE_KINDS = ("depot", "park", "capacity_base")
RESOLUTIONS = (5, 6, 7, 8)  # what the panel offers; finer grids exceed the per-request budget region-wide
EVENTS = ("point", "quake", "polygon")
#: Columns of names: wide enough not to wrap one character per line.
NAME_COLUMNS = ("name", "county_name", "city_name", "component", "missing_chains", "excluded_by", "can_send")
#: Column id -> i18n key of its header; others show the column id.
HEADERS = {
    "name": ("名称", "Name"), "adcode": ("行政区划代码", "Adcode"), "level": ("级别", "Level"),
    "at_risk_area_km2": ("风险面积 km²", "At-risk km²"), "gap_area_km2": ("缺口面积 km²", "Gap km²"),
    "worst_hours": ("最长到达 h", "Worst h"), "p90_hours": ("P90 到达 h", "P90 h"),
    "has_county_depot": ("有县级库", "County depot"), "missing_chains": ("缺失产业链", "Missing chains"),
    "population": ("人口", "Population"), "accessibility": ("可达性", "Accessibility"),
    "per_1000": ("每千人", "Per 1,000"), "demand": ("需求", "Demand"), "share_zero": ("不可达占比", "Share unreached"),
    "order": ("序号", "#"), "cell": ("六边形", "Hexagon"), "lon": ("经度", "Lon"), "lat": ("纬度", "Lat"),
    "county": ("县", "County"), "county_name": ("县名", "County name"), "city": ("市", "City"),
    "gain_weight": ("新增加权覆盖", "Weight gained"), "gain_area_km2": ("新增覆盖 km²", "Area gained km²"),
    "gain_population": ("新增覆盖人口", "Population gained"), "hours": ("到达 h", "Hours"),
    "score": ("得分", "Score"), "rank": ("排名", "Rank"), "tier": ("层级", "Tier"), "kind": ("类型", "Kind"),
    "capacity": ("能力", "Capacity"), "meets_standard": ("达标", "Meets standard"),
    "gap_share": ("缺口占比", "Gap share"), "mean_index": ("平均综合指数", "Mean index"), "component": ("指标", "Component"), "weight": ("权重", "Weight"),
    "contribution": ("贡献", "Contribution"), "raw": ("原始值", "Raw value"), "unit": ("单位", "Unit"),
    "city_name": ("市", "City"), "hazard": ("灾种", "Hazard"), "chain": ("产业链", "Chain"),
    "gap_score": ("缺口分数", "Gap score"), "reach_share": ("可达占比", "Share reached"),
    "at_risk_km2": ("风险面积 km²", "At-risk km²"), "enterprises_in_city": ("本市企业", "Enterprises in city"),
    "above_size_in_city": ("本市规上", "Above-size in city"), "covered_own_km2": ("本省覆盖 km²", "Own km²"),
    "covered_cross_km2": ("跨界覆盖 km²", "Cross km²"), "gain_km2": ("协同增益 km²", "Gain km²"),
    "gain_share": ("增益占比", "Gain share"), "excluded_by": ("排除原因", "Excluded by"),
    "standard_h": ("标准 h", "Standard h"), "need": ("需求", "Need"), "arrived": ("可运到", "Arrivable"),
    "fill_rate": ("满足率", "Fill rate"), "covers": ("可满足需求", "Need covered"), "counties": ("覆盖区县", "Counties"), "can_send": ("可调物资", "Can send"), "shortfall": ("缺口", "Shortfall"), "quantity": ("数量", "Quantity"), "road_km": ("道路 km", "Road km"),
    "hazard_safety_score": ("灾害安全", "Safety"), "demand_score": ("需求", "Demand"),
    "chains_score": ("产业链", "Chains"), "complement_score": ("互补", "Complement"), "min": ("最小", "Min"), "max": ("最大", "Max"),
}


def _row(name: str, lang: str, *children: Any) -> html.Div:
    return html.Div([html.Label(t(f"ana.param.{name}", lang)), *children], id=f"ana-row-{name}",
                    className="om-ana-row")


def controls(hazards: list[dict[str, Any]], lang: str, matrix: dict[str, list[str]] | None = None) -> html.Div:
    """The analyses section; ``matrix``: the region's hazard -> chains (editable for ``chains``)."""
    chain_options = [{"label": label("chain", c, lang), "value": c} for c in VOCABULARIES["chain"]]
    matrix_rows = [html.Div([html.Span(label("hazard", h["hazard"], lang), className="om-ana-matrix-hazard"),
                             dcc.Dropdown(id={"type": "ana-matrix", "hazard": h["hazard"]}, options=chain_options,
                                          value=list((matrix or {}).get(h["hazard"], [])), multi=True,
                                          placeholder=t("ana.matrix.none", lang))], className="om-ana-matrix")
                   for h in hazards]
    hz = [{"label": label("hazard", h["hazard"], lang), "value": h["hazard"]} for h in hazards]
    first = hazards[0]["hazard"] if hazards else None
    return html.Div([
        html.H3(t("panel.analysis", lang)),
        dcc.Dropdown(id="ana-kind", options=[{"label": t(f"ana.{n}", lang), "value": n} for n in analyses.NAMES],
                     value="gaps", clearable=False, searchable=False),
        html.P(t("ana.gaps.help", lang), id="ana-help", className="om-note"),
        _row("hazard", lang, dcc.Dropdown(id="ana-hazard", options=[*hz, {"label": t("ana.any", lang), "value": "any"}],
                                          value=first, clearable=False, searchable=False)),
        _row("res", lang, dcc.Dropdown(id="ana-res", options=[{"label": t("ana.param.res_auto", lang), "value": "auto"}]
                                       + [{"label": str(r), "value": r} for r in RESOLUTIONS],
                                       value="auto", clearable=False, searchable=False)),
        _row("minclass", lang, dcc.Input(id="ana-minclass", type="number", step="any", placeholder="2")),
        _row("hours", lang, dcc.Input(id="ana-hours", type="number", step="any")),
        _row("tier", lang, dcc.Dropdown(id="ana-tier", value="county", clearable=False, searchable=False,
                                        options=[{"label": label("reserve_tier", k, lang), "value": k}
                                                 for k in VOCABULARIES["reserve_tier"]])),
        _row("k", lang, dcc.Input(id="ana-k", type="number", step="any", value=3)),
        _row("sitekind", lang, dcc.Dropdown(id="ana-sitekind", value="depot", clearable=False, searchable=False,
                                            options=[{"label": t(f"ana.kind.{k}", lang), "value": k}
                                                     for k in SITE_KINDS])),
        _row("top", lang, dcc.Input(id="ana-top", type="number", step="any", value=20)),
        _row("spacing", lang, dcc.Input(id="ana-spacing", type="number", step="any", min=0, value=10)),
        _row("weights", lang, dcc.Input(id="ana-weights", type="text", placeholder=t("ana.placeholder.weights", lang),
                                        maxLength=200)),
        _row("exclude", lang, dcc.Input(id="ana-exclude", type="text", placeholder=t("ana.placeholder.exclude", lang),
                                        maxLength=200)),
        _row("bands", lang, dcc.Input(id="ana-bands", type="text", placeholder="2=1, 4=0.68, 6=0.22", maxLength=200)),
        _row("material", lang, dcc.Input(id="ana-material", type="text", placeholder=t("ana.placeholder.material", lang), maxLength=60)),
        _row("quantity", lang, dcc.Input(id="ana-quantity", type="number", step="any", placeholder="200")),
        _row("access", lang, dcc.Input(id="ana-access", type="text", maxLength=300,
                                       placeholder=t("ana.placeholder.access", lang))),
        _row("event", lang, dcc.RadioItems(id="ana-event", value="point",
                                           options=[{"label": t(f"ana.event.{e}", lang), "value": e} for e in EVENTS])),
        _row("point", lang, html.Div([
            dcc.Input(id="ana-lon", type="number", step="any", placeholder="116.40"),
            dcc.Input(id="ana-lat", type="number", step="any", placeholder="39.90")],
            className="om-ana-pair")),
        _row("radius", lang, dcc.Input(id="ana-radius", type="number", step="any", value=20)),
        _row("magnitude", lang, dcc.Input(id="ana-magnitude", type="number", step="any", value=6.5)),
        _row("polygon", lang, dcc.Upload(id="ana-upload", children=html.A(t("ana.upload", lang)),
                                         className="om-upload", max_size=2_000_000, accept=".geojson,.json"),
             html.Div(t("ana.polygon.none", lang), id="ana-polygon-status", className="om-note")),
        _row("matrix", lang, *matrix_rows),
        html.Div([html.Span(t("ana.param.opacity", lang), className="om-opacity-label"),
                  dcc.Slider(id="ana-opacity", min=0, max=1, step=0.1, value=0.75, marks=None)], className="om-opacity"),
        html.Div([html.Button(t("ana.run", lang), id="ana-run", className="om-button om-button-primary"),
                  html.Button(t("ana.clear", lang), id="ana-clear", className="om-button"),
                  html.Button(t("ana.cancel", lang), id="ana-cancel", className="om-button om-hidden")],
                 className="om-ana-buttons"),
        html.Div(id="ana-progress", className="om-note", role="status"),
    ], className="om-analysis", id="ana-controls")


def map_layers() -> list[Any]:
    """The analysis layers of the map: a choropleth and hexagons (below the boundaries), the
    overlay of sites, facilities and dispatch lines, and the polygon drawing tool."""
    return [
        dl.Pane([dl.GeoJSON(id="ana-choropleth", style={"variable": "onemap.map.choroStyle"},
                            hideout={"palette": [], "opacity": 0.5}, interactive=False),
                 dl.GeoJSON(id="ana-hex-layer", style={"variable": "onemap.map.hexStyle"}, options={"smoothFactor": 0},  # no seams (see map.HEX_OPTIONS)
                            hideout={"palette": [], "opacity": 0.75}, interactive=False)],
                name="om-analysis", style={"zIndex": 380}),
        dl.GeoJSON(id="ana-overlay", style={"variable": "onemap.map.analysisStyle"},
                   pointToLayer={"variable": "onemap.map.analysisPoint"}, bubblingMouseEvents=False,
                   hideout={"colours": map_legend.OVERLAY_COLOURS}),
        # one drawing toolbar: lines and polygons are measured (mapapp.measure_view); the last
        # polygon is also the dispatch event's area
        dl.FeatureGroup([dl.EditControl(id="ana-draw", position="topright", draw={
            "polygon": True, "polyline": True, "rectangle": True, "circle": False, "marker": False,
            "circlemarker": False}, edit={"edit": False},
            # the shapes of a link's draw= go back into the toolbar's layer (mapapp.drawstate)
            eventHandlers={"draw:mounted": {"variable": "onemap.map.drawMounted"}})]),
    ]


def _method(view: analyses.AnalysisView, lang: str) -> str:
    """Where the method is written down: the file and section in English; in Chinese the
    section's name only (no file paths)."""
    if lang == "en":
        return t("ana.method", lang, ref=view.method)
    section = view.method.rpartition("#")[2] or view.name
    return t("ana.method", lang, ref=t("ana.method.section", lang, name=t(f"ana.{section}", lang).split("（")[0]))


def _header(col: str, lang: str) -> str:
    pair = HEADERS.get(col)
    return pair[1 if lang == "en" else 0] if pair else col


def _cell(value: Any, lang: str = "zh") -> Any:
    """A table cell for the reader: lists joined, floats to 3 decimals, and in English every
    Chinese name romanised and unit word translated (``layers.english_text``: 路南区 → Lunan
    District, 台 → units)."""
    if isinstance(value, (list, tuple)):
        value = "、".join(map(str, value))
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, str):
        return english_text(value) if lang == "en" else value
    if value is None or isinstance(value, (int, bool)):
        return value
    return str(value)


def _text(text: str, lang: str) -> str:
    """A summary line or title: place names in pinyin in English."""
    return english_text(text) if lang == "en" and text else text


def result(view: analyses.AnalysisView, lang: str) -> html.Div:
    """Summary, legend, optional chart, table and downloads of one run."""
    shown = view.shown
    table = dash_table.DataTable(
        id="ana-table", columns=[{"name": _header(c, lang), "id": c} for c in shown.columns],
        data=[{c: _cell(v, lang) for c, v in row.items()} for row in shown.to_dict("records")],
        sort_action="native", page_size=12, style_table={"overflowX": "auto"},
        style_cell={"fontSize": 12, "padding": "2px 4px", "whiteSpace": "normal", "height": "auto",
                    "fontFamily": "inherit", "minWidth": "56px", "maxWidth": "240px"},
        style_cell_conditional=[{"if": {"column_id": c}, "minWidth": "120px"} for c in NAME_COLUMNS])
    downloads = [html.Button(f"{t('ana.download.table', lang)} {fmt.upper()}", className="om-button",
                             id={"type": "ana-dl", "fmt": fmt}) for fmt in ("csv", "xlsx")]
    if view.hexes is not None or {"lon", "lat"} <= set(view.table.columns):
        downloads.append(html.Button(f"{t('ana.download.cells', lang)} GEOJSON", className="om-button",
                                     id={"type": "ana-dl", "fmt": "geojson"}))
    parts: list[Any] = [html.H4(_text(view.title or t(f"ana.{view.name}", lang), lang)),
                        *[html.P(_text(line, lang), className="om-ana-summary") for line in view.summary]]
    parts += map_legend.render(map_legend.analysis_blocks(view, lang))  # what each drawn layer shows
    if view.figure is not None:
        parts.append(dcc.Graph(id="ana-figure", figure=view.figure, config={"displaylogo": False},
                               style={"height": "360px"}))
    parts += [table, html.P(t("ana.rows", lang, n=len(view.table), shown=len(shown)), className="om-note"),
              html.Div([html.Span(t("ana.download", lang) + "："), *downloads], className="om-ana-downloads"),
              html.P(_method(view, lang), className="om-note")]
    return html.Div(parts, className="om-ana-result", id=f"ana-result-{view.name}")
