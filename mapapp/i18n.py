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
