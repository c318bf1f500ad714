"""Chinese wording of the ``layers`` error messages a user can cause in the app.

``layers`` raises messages of the form ``"<param>: found <value>; expected <what>"`` (and
``"unknown adcode '<code>'; nearest: ..."``), written for developers in English. In Chinese
mode the app shows the parameter's name as the panel labels it, the value found and what to
enter instead in plain Chinese; what cannot be put in plain words becomes a generic hint, so no
code name, Python literal or English phrase reaches a Chinese user.
"""

from __future__ import annotations

import re

#: Parameter names of ``layers`` -> the label a user sees.
PARAMS: dict[str, str] = {
    "hours": "时间标准（小时）", "siting_hours": "时间标准（小时）", "lon": "经度", "lat": "纬度",
    "at": "位置（经度、纬度）", "radius_km": "半径（千米）", "magnitude": "震级", "k": "新增数量 K",
    "top": "排名前 N", "weights": "权重", "res": "六边形分辨率", "min_class": "风险等级阈值",
    "hazard": "灾种", "hazards": "灾种", "adcode": "行政区划代码", "unit": "行政区", "tier": "储备层级",
    "tiers": "储备层级", "kind": "类型", "chains": "产业链", "bands": "衰减带", "exclude": "硬性排除",
    "matrix": "灾种与产业链对应", "polygon": "事件范围多边形", "speed": "通行速度", "detour": "绕行系数",
    "delay": "出发延时（小时）", "dispatch_delay_h": "出发延时（小时）", "format": "报告格式", "lang": "语言",
}
_FOUND = re.compile(r"^\s*(?P<param>[A-Za-z_][\w.]*(?:, [A-Za-z_][\w.]*)*): found (?P<found>.+?)(?:;|,) expected (?P<expected>.+)$",
                    re.S)
_RANGE = re.compile(r"(?:a number |a value )?(?:in |between )?\[?(?P<low>-?[\d.]+)\s*(?:\.\.|,| and )\s*"
                    r"(?P<high>-?[\d.]+)\]?")
_FILE = re.compile(r"\.(?:geo)?json$|\.csv$|\.xlsx?$|\.zip$|\.shp$|\.gpkg$", re.I)
_ADCODE = re.compile(r"unknown adcode '?(?P<code>[^';]*)'?; nearest: (?P<near>.*)$", re.S)


def _value(text: str) -> str:
    """A found value as a user would have typed it; Python structures and words dropped."""
    text = text.strip().strip("'\"")
    if len(text) > 30 or re.search(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}", text) or re.search(r"[\[\]{}()]|\b(?:None|True|False|nan)\b", text):
        return ""
    return text


def _expected(text: str) -> str:
    m = _RANGE.search(text)
    if m and ("number" in text or ".." in text or "[" in text or "between" in text):
        return f"应为 {_num(m['low'])} 到 {_num(m['high'])} 之间的数"
    m = re.search(r"(?:an integer|a whole number|hours|km2|a number|weight)\s*(?P<op>>=|>|≥)\s*(?P<low>-?[\d.]+)", text)
    if m:
        word = "整数" if "integer" in text or "whole" in text else "数"
        return f"应为{'不小于' if m['op'] in ('>=', '≥') else '大于'} {_num(m['low'])} 的{word}"
    if "6-digit" in text or "adcode" in text:
        return "应为 6 位行政区划代码（如 130200）"
    if "one of" in text or "some of" in text or "one or more of" in text:
        return "请从列表中选择"
    return "请改为有效的取值"


def _num(text: str) -> str:
    v = float(text)
    return f"{v:g}"


def zh_detail(detail: str) -> str:
    """The Chinese wording of one ``layers`` error message (English kept out)."""
    detail = str(detail).strip().strip("'\"")
    m = _ADCODE.search(detail)
    if m:
        near = m["near"].strip()
        names = "、".join(re.findall(r"[\u3400-\u9fff]+", near))
        codes = re.findall(r"\d{6}", near)
        hint = f"；相近的有：{names or '、'.join(codes)}" if (names or codes) else "；没有相近的代码"
        return f"行政区划代码 {m['code']} 不存在{hint}"
    m = _FOUND.match(detail)
    if m and _FILE.search(m["param"]):  # a file the user gave: say what it lacks
        lacks = "多边形" if "Polygon" in detail else "可用的内容"
        return f"文件“{m['param']}”中没有{lacks}，请换一个文件"
    if m:
        name = "、".join(PARAMS.get(p.split(".")[-1], "参数") for p in m["param"].split(", "))
        found = _value(m["found"])
        if found.lower() in ("none", "null", "nothing", "empty"):
            return f"请填写“{name}”"
        what = f"“{name}”的取值 {found} 无效" if found else f"“{name}”的取值无效"
        return f"{what}，{_expected(m['expected'])}"
    if re.search(r"[A-Za-z]{3,}", detail):
        return "请检查输入的参数后重试"
    return detail
