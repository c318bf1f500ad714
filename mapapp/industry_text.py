"""User-visible strings of the 产业监测 page (zh, en), one table like ``mapapp.i18n``."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "title": ("产业监测", "Industry monitoring"),
    "nav.map": ("一张图", "Map"),
    "nav.industry": ("产业监测", "Industry monitoring"),
    "year": ("年份", "Year"),
    "scope": ("范围", "Scope"),
    "kpi": ("规划目标与完成情况", "Plan targets and attainment"),
    "kpi.none": ("该范围没有规划目标；下表为指标值。", "No plan target for this scope; the indicators are below."),
    "kpi.target": ("目标 {value}（{year} 年，{comparator}）", "Target {value} ({year}, {comparator})"),
    "kpi.needed": ("所需年均增速 {growth}", "Growth needed {growth}/yr"),
    "kpi.projection": ("预测 {projection}", "Projection {projection}"),
    "kpi.source": ("出处：{document} {clause}", "Source: {document} {clause}"),
    "indicators": ("指标（{year} 年）", "Indicators ({year})"),
    "trend": ("产值与营业收入（亿元）", "Output and revenue (100 million CNY)"),
    "trend.output": ("产值", "Output"),
    "trend.revenue": ("营业收入", "Revenue"),
    "trend.target": ("规划目标", "Plan target"),
    "tab.enterprises": ("企业库", "Enterprises"),
    "tab.products": ("产品库", "Products"),
    "tab.projects": ("项目库", "Projects"),
    "tab.leads": ("招商库", "Investment leads"),
    "tab.tasks": ("招商任务清单", "Task list"),
    "tab.atlas": ("产业链图谱", "Chain atlas"),
    "tab.funnel": ("项目与招商进度", "Projects and leads by stage"),
    "search": ("搜索名称、产品（中文）", "Search names, products"),
    "filter.chain": ("产业链", "Chain"),
    "filter.link": ("环节", "Link"),
    "filter.city": ("城市", "City"),
    "filter.stage": ("阶段/状态", "Stage / status"),
    "filter.park": ("园区（企业、项目、招商）", "Park (firms, projects, leads)"),
    "rows": ("共 {n} 条，显示前 {shown} 条", "{n} rows, first {shown} shown"),
    "locate": ("地图", "Map"),
    "locate.link": ("定位", "Locate"),
    "atlas.chain": ("产业链", "Chain"),
    "atlas.firms": ("各环节企业数（上游 → 下游）", "Firms per link (upstream → downstream)"),
    "atlas.cities": ("各市各环节企业数", "Firms per link and city"),
    "atlas.summary": ("{links} 个环节：缺失 {missing}，薄弱 {thin}，已覆盖 {covered}",
                      "{links} links: {missing} missing, {thin} thin, {covered} covered"),
    "funnel.projects": ("项目库：按阶段（个）", "Projects by stage"),
    "funnel.leads": ("招商库：按阶段（个）", "Leads by stage"),
    "report": ("生成集群发展报告（PDF）", "Cluster development report (PDF)"),
    "report.xlsx": ("数据表（XLSX）", "Tables (XLSX)"),
    "nodata": ("数据库中没有产业数据。请在区域配置中加入 [industry] 后重新构建：onemap build",
               "The store has no industry data. Add [industry] to the region file and rebuild: onemap build"),
    "synthetic": ("含合成演示数据", "Includes synthetic demo data"),
    "error": ("出错了：{detail}", "Something went wrong: {detail}"),
    "region": ("全区域", "Whole region"),
    "error.url": ("链接中的参数无效，已改用默认值：{keys}", "Invalid values in the link were replaced by defaults: {keys}"),
}


def ti(key: str, lang: str, **params: object) -> str:
    """The text of ``key`` in ``lang`` (zh unless "en")."""
    text = TEXT[key][1 if lang == "en" else 0]
    return text.format(**params) if params else text
