"""User-visible strings of the map's drawing and tools (legends of analysis layers, the
multi-hazard view, the measuring tool), zh and en; merged into ``mapapp.i18n.TEXT``."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "legend.ana.hexes": ("分析结果：{name}", "Analysis result: {name}"),
    "legend.ana.choropleth": ("分析结果（按县）：{name}", "Analysis result (by county): {name}"),
    "legend.ana.choropleth_city": ("分析结果（按市）：{name}", "Analysis result (by city): {name}"),
    "legend.ana.overlay": ("分析标注：{name}", "Analysis marks: {name}"),
    "legend.ana.site": ("推荐选址（数字为名次）", "Proposed site (number = rank)"),
    "legend.ana.event": ("事件位置", "Event location"),
    "legend.ana.area": ("事件范围（虚线）", "Event area (dashed)"),
    "legend.ana.reserve": ("储备库", "Depot"),
    "legend.ana.enterprise": ("企业（产能）", "Enterprise (capacity)"),
    "legend.ana.line_ok": ("调运线路：达标", "Route: meets its standard"),
    "legend.ana.line_late": ("调运线路：超过标准时间", "Route: slower than its standard"),
    "legend.ana.line": ("调运线路", "Route"),
    "legend.ana.line_enterprise": ("虚线：企业调运", "Dashed: from an enterprise"),
    "legend.gaps.choropleth": ("县缺口面积占比（风险区内）", "County gap share (of the at-risk area)"),
    "legend.gaps.none": ("无缺口", "No gap"),
    "legend.e2sfca.choropleth": ("县平均可达性（{unit}）", "County mean accessibility ({unit})"),
    "legend.hazard.outline": ("与上方灾种同时显示：以六边形中的小环表示（环的颜色为等级），不与填色混合",
                              "Shown with a hazard listed above: small rings inside the hexagons (ring colour = "
                              "class), not blended fills"),
    "measure.title": ("测量", "Measure"),
    "measure.hint": ("用右上角的“测量距离”（折线）或“测量面积”（多边形）按钮在地图上绘制，双击或点击最后一点结束。",
                     "Draw with the measure buttons at the top right (line: distance, polygon: area); "
                     "double-click or click the last point to finish."),
    "measure.line": ("折线 {i}：{length}", "Line {i}: {length}"),
    "measure.polygon": ("多边形 {i}：面积 {area}，周长 {length}", "Polygon {i}: area {area}, perimeter {length}"),
    "measure.total": ("合计距离 {length}", "Total distance {length}"),
    "measure.clear": ("清除测量", "Clear measurements"),
    "measure.none": ("尚未绘制", "Nothing drawn yet"),
    "measure.geodesic": ("按 WGS-84 椭球面大地线计算", "Geodesic on the WGS-84 ellipsoid"),
    "measure.draw_line": ("测量距离：绘制折线", "Measure distance: draw a line"),
    "measure.draw_polygon": ("测量面积：绘制多边形", "Measure area: draw a polygon"),
    "unit.m": ("{v} 米", "{v} m"),
    "unit.km": ("{v} 公里", "{v} km"),
    "unit.m2": ("{v} 平方米", "{v} m²"),
    "unit.km2": ("{v} 平方公里", "{v} km²"),
    # drawn shapes in the link (mapapp.drawstate, assets/map.js drawToUrl)
    "draw.bad": ("链接中的绘制图形无法识别，已忽略（{why}）", "The drawn shapes in the link could not be read and were ignored ({why})"),
    "draw.too_long": ("绘制的图形过多或过于复杂，链接中只能保存 {limit} 个字符以内的图形，当前为 {n} 个字符；"
                      "请删除部分图形或减少顶点后再复制链接",
                      "Too many or too detailed shapes for the link: at most {limit} characters fit, these take {n}; "
                      "delete some shapes or vertices before copying the link"),
    "draw.why.length": ("超过 {limit} 个字符", "longer than {limit} characters"),
    "draw.why.shapes": ("超过 {limit} 个图形", "more than {limit} shapes"),
    "draw.why.shape": ("第 {i} 个图形格式不对，应为折线或多边形的一串“经度,纬度”", "shape {i} is malformed: expected l or p and a list of lon,lat"),
    "draw.why.points": ("第 {i} 个图形的顶点数不对（折线 2–{limit} 个，多边形 3–{limit} 个）",
                        "shape {i} has the wrong number of vertices (line 2–{limit}, polygon 3–{limit})"),
    "draw.why.range": ("第 {i} 个图形有坐标超出经度 −180–180、纬度 −85–85", "shape {i} has a coordinate outside lon −180–180, lat −85–85"),
}
