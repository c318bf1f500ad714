"""Every user-visible string of the app, in one table: key -> (中文, English). Chinese first.

Names of vocabulary items (chains, levels, tiers, hazards, ...) come from the store's contract
(``layers.VOCABULARIES``) and are merged in as ``"<vocabulary>.<id>"`` keys, so there is one
lookup for everything (``t``) and a test checks that no key lacks a language.
"""

from __future__ import annotations

from layers import VOCABULARIES

LANGS = ("zh", "en")

UI: dict[str, tuple[str, str]] = {
    "app.title": ("安全应急产业 × 灾害风险 一张图", "Safety & emergency industry × disaster risk: one map"),
    "app.synthetic": ("含合成演示数据", "Includes synthetic demo data"),
    "app.lang": ("语言", "Language"),
    "panel.admin": ("行政区", "Administrative unit"),
    "panel.filters": ("筛选", "Filters"),
    "panel.layers": ("图层", "Layers"),
    "panel.basemap": ("底图", "Basemap"),
    "panel.legend": ("图例", "Legend"),
    "group.industry": ("产业地图", "Industry map"),
    "group.hazard": ("灾害风险地图", "Disaster-risk map"),
    "layer.parks": ("园区/基地", "Parks & bases"),
    "layer.enterprises": ("企业（按产业链）", "Enterprises (by chain)"),
    "layer.reserves": ("应急物资储备", "Emergency reserves"),
    "layer.opacity": ("透明度", "Opacity"),
    "legend.park_level": ("级别（形状）", "Level (shape)"),
    "legend.park_role": ("布局定位（颜色）", "Layout role (colour)"),
    "legend.chain": ("首要产业链（颜色）", "First chain (colour)"),
    "legend.enterprise_size": ("大圈黑边：龙头；中圈：规上；低缩放级别按六边形汇总", "Large, black ring: leading; medium: above-size; aggregated per hexagon when zoomed out"),
    "legend.tier": ("储备层级（方块）", "Reserve tier (square)"),
    "legend.units": ("单位：{units}", "Units: {units}"),
    "basemap.offline": ("离线行政区划（始终可用）", "Offline admin boundaries (always available)"),
    "basemap.osm": ("OpenStreetMap（需联网）", "OpenStreetMap (online)"),
    "basemap.tianditu": ("天地图（需联网和密钥）", "Tianditu (online, needs key)"),
    "basemap.tianditu_nokey": ("天地图（未设置 ONEMAP_TIANDITU_KEY）", "Tianditu (ONEMAP_TIANDITU_KEY not set)"),
    "admin.province": ("省级", "Province"),
    "admin.city": ("市级", "City"),
    "admin.county": ("县级", "County"),
    "admin.pick": ("选择…", "Choose…"),
    "filter.chains": ("产业链", "Industry chains"),
    "filter.chains_all": ("全部产业链", "All chains"),
    "filter.levels": ("园区级别", "Park level"),
    "filter.tiers": ("储备层级", "Reserve tier"),
    "filter.above": ("仅规上企业", "Above-size only"),
    "filter.leading": ("仅龙头企业", "Leading only"),
    "filter.minclass": ("显示等级", "Classes shown"),
    "filter.minclass_hint": ("只显示不低于所选等级的六边形", "Only hexagons at or above the chosen class are drawn"),
    "status.hexes": ("{hazard}：H3 分辨率 {res}，{n} 个六边形", "{hazard}: H3 res {res}, {n} hexagons"),
    "status.coarser": ("（视图过大，已降为分辨率 {res}）", "(view too large: shown at res {res})"),
    "status.sampled": ("；{share}% 的六边形小于栅格像元（取中心像元值）", "; {share}% of hexagons are smaller than a pixel (centre pixel value)"),
    "status.points": ("{layer}：视图内 {n} 个", "{layer}: {n} in view"),
    "status.points_cut": ("{layer}：视图内超过 {n} 个，仅显示前 {n} 个（请放大）", "{layer}: more than {n} in view, first {n} shown (zoom in)"),
    "status.agg": ("{layer}：{n} 个，按 H3 分辨率 {res} 汇总", "{layer}: {n}, aggregated at H3 res {res}"),
    "card.hint": ("点击地图上的六边形、园区、企业或储备库查看详情；选择行政区查看统计。", "Click a hexagon, park, enterprise or reserve for details; choose a unit for its figures."),
    "card.cell": ("六边形 {cell}（H3 分辨率 {res}，约 {area} km²）", "Hexagon {cell} (H3 res {res}, about {area} km²)"),
    "card.location": ("位置", "Location"),
    "card.hazard": ("灾害", "Hazard"),
    "card.max": ("最大值", "Max"),
    "card.mean": ("平均值", "Mean"),
    "card.class": ("等级", "Class"),
    "card.shares": ("不低于各分级值的面积占比", "Share at or above each break"),
    "card.no_data": ("无数据", "no data"),
    "card.sampled": ("六边形小于栅格像元：取中心像元值", "Hexagon smaller than a pixel: centre-pixel value"),
    "card.counts": ("设施数量", "Facilities"),
    "card.in_cell": ("本六边形内", "In this hexagon"),
    "card.around": ("周边（含相邻六边形，约 {km} km）", "Around (with neighbours, about {km} km)"),
    "card.synthetic": ("合成演示数据", "Synthetic demo data"),
    "card.precision": ("位置精度", "Position precision"),
    "card.source": ("数据来源", "Source file"),
    "card.source_row": ("第 {row} 行", "row {row}"),
    "card.level": ("级别", "Level"),
    "card.role": ("布局定位", "Layout role"),
    "card.tier": ("层级", "Tier"),
    "card.kind": ("类型", "Kind"),
    "card.chains": ("产业链", "Chains"),
    "card.capacity": ("储备能力", "Capacity"),
    "card.categories": ("物资品类", "Categories"),
    "card.products": ("产品", "Products"),
    "card.output": ("产值（亿元）", "Output (100 M yuan)"),
    "card.flags": ("企业类型", "Type"),
    "card.leading": ("龙头企业", "Leading"),
    "card.above_size": ("规上企业", "Above size"),
    "card.address": ("地址", "Address"),
    "card.adcode": ("行政区划代码", "Admin code"),
    "card.close": ("关闭", "Close"),
    "entity.parks": ("园区/基地", "Park / base"),
    "entity.enterprises": ("企业", "Enterprise"),
    "entity.reserves": ("储备库", "Reserve"),
    "unit.area": ("面积 {area} km²", "Area {area} km²"),
    "unit.enterprises": ("企业数（按产业链，点击柱条筛选地图）", "Enterprises by chain (click a bar to filter the map)"),
    "unit.parks": ("园区（按级别）", "Parks by level"),
    "unit.reserves": ("储备（按层级）", "Reserves by tier"),
    "unit.hazard_area": ("各灾害等级面积占比", "Area share per hazard class"),
    "unit.depot_yes": ("本县已有县级储备库", "This county has a county-level depot"),
    "unit.depot_no": ("本县尚无县级储备库", "This county has no county-level depot"),
    "unit.depot_missing": ("{of} 个县级单位中有 {n} 个尚无县级储备库：{names}", "{n} of {of} county-level units have no county-level depot: {names}"),
    "unit.count": ("数量", "Count"),
    "unit.share": ("面积占比", "Area share"),
    "panel.analysis": ("分析", "Analyses"),
    "ana.gaps": ("储备覆盖缺口（6/8/10 小时标准）", "Coverage gaps (6/8/10 h standards)"),
    "ana.chains": ("产业链 × 灾害缺口", "Chain × hazard gaps"),
    "ana.e2sfca": ("储备可达性（E2SFCA）", "Reserve accessibility (E2SFCA)"),
    "ana.coordination": ("京津冀跨界协同", "Cross-border coordination"),
    "ana.site": ("选址适宜性评分", "Site suitability"),
    "ana.siting": ("优化选址（新增储备库）", "Optimal siting (new depots)"),
    "ana.dispatch": ("事件调度", "Event dispatch"),
    "ana.index": ("多灾种综合指数", "Multi-hazard index"),
    "ana.gaps.help": ("风险六边形（灾害等级 ≥ 阈值）中，县级储备库首批物资不能在标准时间内到达的为缺口；地图为到达时间，县域按缺口面积占比着色。", "At-risk hexagons (class ≥ threshold) that no county depot reaches within the standard are gaps; the map shows hours, counties are shaded by gap share."),
    "ana.chains.help": ("各市各灾种暴露与相关产业链在 T 小时内可达情况：缺口分数越高，越缺该产业链。", "Per city, exposure to each hazard × whether each relevant chain is within T hours: the higher the gap score, the more the chain is missing."),
    "ana.e2sfca.help": ("增强两步移动搜索法：按 2/4/6 小时衰减带计算储备能力与人口（无人口数据时用面积）之比。", "Enhanced two-step floating catchment: reserve capacity per person (per km² without population) with 2/4/6 h decay bands."),
    "ana.coordination.help": ("比较储备库只服务本省市与可跨京津冀边界服务时的覆盖；地图为跨界后新增覆盖的六边形。", "Coverage when depots serve only their own province vs across the Jing-Jin-Ji borders; the map shows hexagons gained across borders."),
    "ana.site.help": ("为新园区、储备库或产能储备基地评分：灾害安全、可达风险需求、产业链邻近、与现有储备互补；点击地图六边形卡片中的“评估此处”评估单点。", "Score sites for a new park, depot or capacity base: hazard safety, reachable at-risk demand, chain proximity, complement to existing depots; use 'Assess here' on a hexagon card for one point."),
    "ana.siting.help": ("最大覆盖选址模型（MILP/HiGHS，规模过大时贪心 + 局部搜索并给出上界）：选 K 个新储备库使风险加权需求覆盖最大。", "Maximal covering location (MILP/HiGHS; greedy + local search with a bound when large): K new depots covering the most risk-weighted demand."),
    "ana.dispatch.help": ("为事件（点 + 半径、上传或绘制的多边形、地震情景）按到达时间排序储备库与相关产业链企业，并判断 6/8/10 小时标准。", "For an event (point + radius, an uploaded or drawn polygon, an earthquake scenario) rank reserves and relevant-chain enterprises by arrival hours against the 6/8/10 h standards."),
    "ana.index.help": ("各灾种等级归一化后加权平均（权重可调），得到 0–1 的综合风险指数。", "Weighted mean of normalised hazard classes (weights adjustable): a 0–1 multi-hazard index."),
    "ana.param.hazard": ("灾种", "Hazard"),
    "ana.param.res": ("六边形分辨率", "Hexagon resolution"),
    "ana.param.res_auto": ("自动（全区 6，行政区内 7）", "Auto (6 for the region, 7 in a unit)"),
    "ana.param.minclass": ("风险等级阈值（≥）", "Risk class threshold (≥)"),
    "ana.param.hours": ("时间标准（小时，留空用区域文件）", "Standard hours (empty: region file)"),
    "ana.param.tier": ("储备层级", "Reserve tier"),
    "ana.param.k": ("新增数量 K", "Number of new depots K"),
    "ana.param.sitekind": ("选址类型", "Site type"),
    "ana.param.top": ("排名前 N", "Top N"),
    "ana.param.weights": ("权重（名称=数值，逗号分隔）", "Weights (name=number, comma separated)"),
    "ana.param.event": ("事件类型", "Event type"),
    "ana.param.point": ("经度 / 纬度（WGS-84）", "Longitude / latitude (WGS-84)"),
    "ana.param.radius": ("半径（km）", "Radius (km)"),
    "ana.param.magnitude": ("震级 M", "Magnitude M"),
    "ana.param.polygon": ("事件范围多边形", "Event polygon"),
    "ana.param.opacity": ("结果图层透明度", "Result layer opacity"),
    "ana.kind.depot": ("应急物资储备库", "Reserve depot"),
    "ana.kind.park": ("安全应急产业园区", "Safety & emergency industry park"),
    "ana.kind.capacity_base": ("产能储备基地", "Production-capacity reserve base"),
    "ana.event.point": ("点 + 半径", "Point + radius"),
    "ana.event.quake": ("地震情景", "Earthquake scenario"),
    "ana.event.polygon": ("多边形（上传或在地图上绘制）", "Polygon (upload or draw on the map)"),
    "ana.upload": ("上传 GeoJSON 多边形", "Upload a GeoJSON polygon"),
    "ana.polygon.none": ("尚无多边形：上传文件或用地图右上角工具绘制", "No polygon yet: upload a file or draw with the tool at the map's top right"),
    "ana.polygon.ok": ("已有多边形（{source}，{n} 个顶点）", "Polygon ready ({source}, {n} vertices)"),
    "ana.polygon.drawn": ("地图绘制", "drawn"),
    "ana.run": ("运行分析", "Run"),
    "ana.clear": ("清除结果", "Clear"),
    "ana.any": ("任一灾种", "any hazard"),
    "ana.gap": ("（缺口）", "(gap)"),
    "ana.hint": ("选择分析与参数后点击“运行分析”；范围为所选行政区（未选时为全区）。", "Choose an analysis and its parameters, then Run; it covers the chosen unit (the whole region if none)."),
    "ana.running": ("计算中…", "Computing…"),
    "ana.method": ("方法与局限：{ref}", "Method and limits: {ref}"),
    "ana.rows": ("共 {n:,} 行，显示前 {shown} 行；下载包含全部行。", "{n:,} rows, {shown} shown; downloads hold every row."),
    "ana.download": ("下载", "Download"),
    "ana.download.table": ("表格", "Table"),
    "ana.download.cells": ("六边形", "Hexagons"),
    "ana.here.site": ("评估此处", "Assess here"),
    "ana.here.dispatch": ("在此模拟事件", "Simulate an event here"),
    "ana.demand.population": ("人口", "population"),
    "ana.demand.area_km2": ("面积（无人口数据）", "area (no population data)"),
    "ana.gaps.summary": ("{hazard}：风险六边形 {cells:,} 个，{area} km²；县级 {hours} 小时标准下缺口 {gap} km²；{counties}/{n} 个县存在缺口。", "{hazard}: {cells:,} at-risk hexagons, {area} km²; gap against the county {hours} h standard {gap} km²; {counties} of {n} counties have gaps."),
    "ana.gaps.worst": ("最长到达时间：{items}", "Longest arrival: {items}"),
    "ana.gaps.depots": ("有风险但无县级储备库的县：{n} 个", "At-risk counties without a county depot: {n}"),
    "ana.e2sfca.per_1000": ("{unit}/千人", "{unit} per 1,000 people"),
    "ana.e2sfca.per_km2": ("{unit}/平方千米", "{unit} per km²"),
    "ana.e2sfca.summary": ("{supplies} 个储备库，能力合计 {capacity}；需求按{demand}计；可达性单位：{unit}。", "{supplies} depots, capacity {capacity} in all; demand by {demand}; accessibility in {unit}."),
    "ana.e2sfca.lowest": ("可达性最低的县：{items}", "Lowest counties: {items}"),
    "ana.siting.summary": ("新增 {k} 个{tier}储备库（{hours} 小时标准）：风险加权需求覆盖率 {before}% → {after}%；覆盖面积 {area_before} → {area_after} km²（风险区 {total} km²）。", "{k} new {tier} depots ({hours} h standard): risk-weighted demand covered {before}% → {after}%; area {area_before} → {area_after} km² (at risk {total} km²)."),
    "ana.siting.quality": ("目标值 {objective}，上界 {bound}，最优性差距 {gap}%（{solver}，{seconds} 秒）", "Objective {objective}, bound {bound}, optimality gap {gap}% ({solver}, {seconds} s)"),
    "ana.siting.nothing": ("现有储备已覆盖全部风险需求：无需新增（可缩短时间标准再试）。", "Existing depots already cover all at-risk demand: nothing to add (try a shorter standard)."),
    "ana.siting.before": ("现有储备已覆盖", "Covered by existing depots"),
    "ana.siting.new": ("新增库覆盖", "Covered by the new depots"),
    "ana.siting.uncovered": ("仍未覆盖", "Still uncovered"),
    "ana.siting.site": ("新库", "New depot"),
    "error.generic": ("出错了，已记录日志。请刷新页面；若仍出错请联系管理员。", "Something went wrong and was logged. Reload the page; if it persists, contact the administrator."),
    "error.viewport": ("地图视图无效：{detail}", "Invalid map view: {detail}"),
    "error.input": ("输入无效：{detail}", "Invalid input: {detail}"),
    "error.not_found": ("未找到：{detail}", "Not found: {detail}"),
    "error.url": ("链接中的部分参数无效，已忽略：{keys}", "Some link parameters were invalid and were ignored: {keys}"),
}


def _vocabulary_entries() -> dict[str, tuple[str, str]]:
    return {f"{vocab}.{key}": names for vocab, items in VOCABULARIES.items()
            for key, names in items.items()}


TEXT: dict[str, tuple[str, str]] = {**_vocabulary_entries(), **UI}


def t(key: str, lang: str, **params: object) -> str:
    """The text of ``key`` in ``lang`` (zh unless "en"), formatted with ``params``.

    A vocabulary item the table lacks (e.g. a hazard a region adds) shows its id.
    """
    names = TEXT.get(key)
    if names is None:
        return key.split(".", 1)[-1]
    text = names[1 if lang == "en" else 0]
    return text.format(**params) if params else text


def label(vocab: str, key: str | None, lang: str) -> str:
    """A vocabulary item's display name (``label("chain", "rescue", "zh")``)."""
    return "" if key is None else t(f"{vocab}.{key}", lang)
