"""Planners' words for levels, tiers, chains and yes/no, mapped to the store's codes.

Each lookup accepts the code itself, the Chinese and English names from ``etl.schema``, and
the short forms planners write. Matching ignores case, spaces and a leading ★.
"""

from __future__ import annotations

import re

from etl import schema


def _key(text: str) -> str:
    return re.sub(r"[\s★☆*＊]", "", str(text)).lower()


def _table(names: dict[str, tuple[str, str]], extra: dict[str, tuple[str, ...]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for code, (zh, en) in names.items():
        for word in (code, zh, en, *extra.get(code, ())):
            out[_key(word)] = code
    return out


CHAIN_WORDS = _table(schema.CHAINS, {
    "waterlogging": ("城市内涝", "内涝", "排涝", "内涝应急", "城市内涝应急"),
    "medical": ("医学救援", "医疗救援", "医疗", "医学"),
    "warning": ("预测预警", "监测预警", "预警", "监测"),
    "protection": ("防控防护", "安全防护", "防护", "个体防护"),
    "rescue": ("抢险救援", "工程抢险", "救援装备"),
    "unmanned": ("无人救援", "无人机", "无人", "机器人", "救援机器人"),
    "comms": ("应急通信", "通信"),
    "firefighting": ("消防救援", "消防", "森林消防"),
    "transport": ("特种交通", "交通", "航空救援", "特种车辆"),
    "industrial": ("安全生产", "安全生产事故应急救援", "矿山救援", "危化品救援"),
})
PARK_LEVEL_WORDS = _table(schema.PARK_LEVELS, {
    "national_demo": ("国家级示范基地", "示范基地", "国家示范基地", "national"),
    "national_candidate": ("创建单位", "国家级创建", "候选", "创建", "candidate"),
    "provincial": ("省级", "省级基地", "province"),
    "cluster": ("特色集群", "集群", "产业集群"),
})
PARK_ROLE_WORDS = _table(schema.PARK_ROLES, {
    "core": ("核心",), "key": ("重点",), "support": ("支撑",),
})
TIER_WORDS = _table(schema.RESERVE_TIERS, {
    "national": ("国家级", "国家", "中央", "中央级"),
    "provincial": ("省级", "省"),
    "municipal": ("市级", "市", "地市级", "city"),
    "county": ("县级", "县", "区县级", "区级"),
    "rescue": ("救援队伍", "救援机构", "队伍", "救援队"),
    "enterprise": ("企业产能", "企业", "生产能力", "产能"),
})
KIND_WORDS = _table(schema.RESERVE_KINDS, {
    "physical": ("实物", "实物储备"),
    "capacity": ("产能", "生产能力", "产能储备"),
})
PRECISION_WORDS = _table(schema.PRECISIONS, {
    "exact": ("精确", "坐标"), "address": ("地址",), "district": ("区县", "区县中心"),
    "city": ("城市", "市中心", "城市中心"),
})
PROJECT_STAGE_WORDS = _table(schema.PROJECT_STAGES, {
    "planning": ("谋划中", "谋划阶段"), "reserve": ("储备中", "储备项目", "前期"),
    "started": ("新开工", "已开工"), "building": ("建设中", "在建项目"),
    "operating": ("已投产", "竣工投产", "建成投产", "竣工"),
})
LEAD_STAGE_WORDS = _table(schema.LEAD_STAGES, {
    "contact": ("初步接洽", "对接"), "negotiating": ("在谈", "洽谈中", "商谈"),
    "signed": ("已签约", "签约落地前"), "landed": ("已落地", "开工落地"),
})
TASK_STATUS_WORDS = _table(schema.TASK_STATUSES, {
    "todo": ("未开始", "待启动"), "doing": ("进行中", "推进", "正在推进"),
    "done": ("完成", "已完成", "已办结"), "overdue": ("逾期", "超期"),
})
_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "t", "有"}
_FALSE = {"否", "n", "no", "false", "0", "×", "✗", "f", "无", ""}

LIST_SEPARATORS = re.compile(r"[、,，;；/|｜]+")


def lookup(words: dict[str, str], text: str) -> str | None:
    """The code for ``text`` in a word table, or None."""
    return words.get(_key(text))


def split_list(text: str | None) -> list[str]:
    """Split '抢险救援、消防；通信' style lists; empty parts dropped."""
    if not text:
        return []
    return [p.strip() for p in LIST_SEPARATORS.split(text) if p.strip()]


def parse_bool(text: str | None) -> bool | None:
    """True/False for yes/no words (是/否, 1/0, true/false, √/×); None when not a yes/no."""
    if text is None:
        return False
    k = _key(text)
    if k in _TRUE:
        return True
    if k in _FALSE:
        return False
    return None


def choices(names: dict[str, tuple[str, str]]) -> str:
    """'code (中文)' list for messages."""
    return ", ".join(f"{zh} ({code})" for code, (zh, _) in names.items())
