"""Fields of the 四库一清单 tables (Chinese and English header aliases, required fields) and the
messages of their checks, Chinese first. Used by ``etl.industry``.
"""

from __future__ import annotations

from etl import messages
from etl.columns import ALIASES

_CHAIN = ("chain", "产业链", "所属产业链", "产业链条", "所属链条")
_LINK = ("link", "产业链环节", "环节", "链条环节", "所属环节", "补链环节")
_ENTERPRISE = ("enterprise", "企业编号", "企业", "企业名称", "所属企业", "生产企业")
_PARK = ("park", "园区", "所属园区", "所在园区", "园区编号", "拟落地园区")
_ADCODE = ("adcode", "区县代码", "行政区划代码", "区划代码", "落地区县代码", "拟落地区划代码")
#: table -> field -> aliases (first: the field itself). Required fields: ``REQUIRED``.
FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "enterprise_years": {
        "enterprise": _ENTERPRISE, "year": ("year", "年份", "年度", "统计年度"),
        "output_yi": ALIASES["output_yi"] + ("工业总产值亿元", "工业总产值(亿元)"),
        "revenue_yi": ("revenue_yi", "营业收入亿元", "营业收入(亿元)", "营收亿元", "主营业务收入亿元", "revenue"),
        "employees": ("employees", "从业人员", "从业人员数", "职工人数", "员工人数"),
        "rd_yi": ("rd_yi", "研发投入亿元", "研发投入(亿元)", "研发费用亿元", "R&D经费亿元"),
        "above_size": ALIASES["above_size"], "listed": ALIASES["listed"],
        "specialised": ("specialised", "专精特新", "是否专精特新", "专精特新企业"),
        "little_giant": ("little_giant", "小巨人", "专精特新小巨人", "专精特新“小巨人”", "是否小巨人"),
        "champion": ("champion", "单项冠军", "制造业单项冠军", "是否单项冠军"),
        "leading": ALIASES["leading"], "park": _PARK,
    },
    "products": {
        "id": ("id", "产品编号", "编号"), "enterprise": _ENTERPRISE,
        "name": ("name", "产品名称", "产品", "名称"), "chain": _CHAIN, "link": _LINK,
        "material": ("material", "物资编码", "物资代码", "应急物资编码"),
        "certifications": ("certifications", "认证", "资质认证", "产品认证", "认证情况"),
        "recommended": ("recommended", "推荐目录", "入选推荐目录", "是否入选推荐目录", "国家推荐目录"),
    },
    "projects": {
        "id": ("id", "项目编号", "编号"), "name": ("name", "项目名称", "名称"),
        "enterprise": ("enterprise", "建设单位", "业主企业", "实施企业", "项目单位"), "park": _PARK,
        "chain": _CHAIN, "link": _LINK, "stage": ("stage", "项目阶段", "阶段", "进展阶段", "建设阶段"),
        "investment_yi": ("investment_yi", "总投资亿元", "总投资(亿元)", "计划总投资亿元", "投资额亿元"),
        "planned_start": ("planned_start", "计划开工", "计划开工时间"),
        "planned_finish": ("planned_finish", "计划投产", "计划竣工", "计划投产时间", "计划竣工时间"),
        "actual_start": ("actual_start", "实际开工", "实际开工时间"),
        "actual_finish": ("actual_finish", "实际投产", "实际竣工", "实际投产时间"),
        "key": ("key", "重点项目", "是否重点项目", "省重点"),
        "lon": ALIASES["lon"], "lat": ALIASES["lat"], "adcode": _ADCODE,
    },
    "leads": {
        "id": ("id", "线索编号", "招商编号", "编号"),
        "company": ("company", "拟引进企业", "企业名称", "公司名称", "目标企业"),
        "origin": ("origin", "来源地", "企业所在地", "总部所在地"), "chain": _CHAIN, "link": _LINK,
        "investment_yi": ("investment_yi", "意向投资亿元", "拟投资亿元", "意向投资(亿元)", "投资额亿元"),
        "stage": ("stage", "洽谈阶段", "招商阶段", "进展阶段", "阶段"),
        "unit": ("unit", "责任单位", "负责单位", "对接单位"),
        "next_step": ("next_step", "下一步", "下一步工作", "下步工作"),
        "next_date": ("next_date", "下一步时间", "节点时间", "计划时间"),
        "adcode": _ADCODE, "park": _PARK,
    },
    "tasks": {
        "id": ("id", "任务编号", "编号"), "unit": ("unit", "责任单位", "牵头单位"),
        "target": ("target", "任务目标", "目标任务", "任务内容", "目标"), "chain": _CHAIN, "link": _LINK,
        "count": ("count", "目标数量", "数量"), "deadline": ("deadline", "完成时限", "截止时间", "时限"),
        "status": ("status", "状态", "完成情况", "进展情况"),
        "leads": ("leads", "关联线索", "关联招商线索", "关联项目"), "adcode": _ADCODE,
    },
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "enterprise_years": ("enterprise", "year"), "products": ("enterprise", "name"),
    "projects": ("name", "stage"), "leads": ("company", "stage"), "tasks": ("unit", "target"),
}

#: Messages of the industry checks (code -> Chinese, English), merged into ``etl.messages``.
MESSAGES: dict[str, tuple[str, str]] = {
    "unknown_reference": (
        "字段「{field}」的值「{found}」在{expected}中找不到。请填写已有的编号或全称，或先把它加入对应的表。",
        "field {field!r} has {found!r}, which is not in {expected}. Use an existing id or full "
        "name, or add it to that table first.",
    ),
    "bad_year": (
        "年份「{found}」不是 1949 到 2100 之间的年份，应为如 2022 的四位数字。",
        "year {found!r} is not a year between 1949 and 2100; expected four digits such as 2022.",
    ),
    "bad_date": (
        "字段「{field}」的日期「{found}」无法识别，应为 2024、2024-05 或 2024-05-20 这样的日期。",
        "field {field!r} has {found!r}, which is not a date; expected e.g. 2024, 2024-05 or 2024-05-20.",
    ),
    "unknown_link": (
        "产业链「{chain}」没有环节「{found}」，应为：{expected}。请改用已定义的环节，或在区域配置 [industry.links] 中补充。",
        "chain {chain!r} has no link {found!r}; expected one of: {expected}. Use a defined link "
        "or add it under [industry.links] in the region file.",
    ),
    "duplicate_key": (
        "「{found}」重复（第一次出现在第 {expected} 行）。每个{field}只能有一行。",
        "{found!r} is a duplicate (first seen on row {expected}); one row per {field}.",
    ),
    "one_chain": (
        "一行只能属于一条产业链，这里有 {found}。请拆成多行。",
        "a row belongs to one chain; found {found}. Split it into several rows.",
    ),
    "target_unknown_scope": (
        "目标「{key}」的范围代码「{found}」不存在，应为{expected}。",
        "target {key!r} has the scope code {found!r}, which does not exist; expected {expected}.",
    ),
}
messages.MESSAGES.update(MESSAGES)
messages.EXPECTED_ZH.update({
    "a table of chain = [links, upstream first]": "产业链 = [环节列表，上游在前] 的表",
    "a non-empty list of distinct link names, upstream first": "非空且不重复的环节名称列表，上游在前",
    "[[industry.sources]] tables": "[[industry.sources]] 表",
    "[[industry.targets]] tables": "[[industry.targets]] 表",
    "an [industry] table": "一个 [industry] 表",
    "an adcode or a park id/name": "行政区划代码或园区编号/名称",
    "the adcode (province, city) or park id/name the target is for": "目标所属的行政区划代码（省、市）或园区编号/名称",
    "a year such as 2025": "年份，例如 2025",
    "a positive number": "正数",
    "an adcode of the admin boundary file": "行政边界文件中的行政区划代码",
    "a park id or name of the parks table": "园区表中的编号或名称",
    "the plan document the target comes from": "目标出处的规划文件名称",
})
