"""County-level units renamed or re-coded since the pre-2015 tables (县→区, 县级市→区, ...).

Planners' registries still carry the old names and codes ("北京市密云县", 区县代码 110228);
the geocoder's adcode table (cpca, a 2015-16 snapshot) knows some old units and not some new
ones. ``HISTORIC_UNITS`` maps each old unit to today's, so an old code or name resolves to the
unit that exists today. Compiled by the OneMap authors from the Ministry of Civil Affairs'
published changes of county-level divisions (民政部 县级以上行政区划变更情况) for the
Jing-Jin-Ji region; extend it for other regions.
"""

from __future__ import annotations

#: old code -> (old name, today's code, today's name, year of the change)
HISTORIC_UNITS: dict[str, tuple[str, str, str, int]] = {
    "110228": ("密云县", "110118", "密云区", 2015),
    "110229": ("延庆县", "110119", "延庆区", 2015),
    "120221": ("宁河县", "120117", "宁河区", 2015),
    "120223": ("静海县", "120118", "静海区", 2015),
    "120225": ("蓟县", "120119", "蓟州区", 2016),
    "130182": ("藁城市", "130109", "藁城区", 2014),
    "130185": ("鹿泉市", "130110", "鹿泉区", 2014),
    "130124": ("栾城县", "130111", "栾城区", 2014),
    "130223": ("滦县", "130284", "滦州市", 2018),
    "130230": ("唐海县", "130209", "曹妃甸区", 2012),
    "130323": ("抚宁县", "130306", "抚宁区", 2015),
    "130428": ("肥乡县", "130407", "肥乡区", 2016),
    "130429": ("永年县", "130408", "永年区", 2016),
    "130526": ("任县", "130505", "任泽区", 2020),
    "130527": ("南和县", "130506", "南和区", 2020),
    "130621": ("满城县", "130607", "满城区", 2015),
    "130622": ("清苑县", "130608", "清苑区", 2015),
    "130625": ("徐水县", "130609", "徐水区", 2015),
    "130721": ("宣化县", "130705", "宣化区", 2016),
    "130729": ("万全县", "130708", "万全区", 2016),
    "130733": ("崇礼县", "130709", "崇礼区", 2016),
    "131181": ("冀州市", "131103", "冀州区", 2016),
}

#: today's code -> old code
_OLD_OF = {new: old for old, (_, new, _, _) in HISTORIC_UNITS.items()}


def current_code(code: str) -> str:
    """Today's code of a unit (an unchanged or unknown code is returned as it is)."""
    hit = HISTORIC_UNITS.get(code)
    return hit[1] if hit else code


def other_codes(code: str) -> tuple[str, ...]:
    """The codes the same unit had or has (old and new), ``code`` first."""
    today = current_code(code)
    return tuple(dict.fromkeys(c for c in (code, today, _OLD_OF.get(today)) if c))


def respell_address(text: str, known: set[str] | dict) -> str:
    """An address with each changed county named the way the geocoder's table ``known`` knows
    it: the old name where only the old code is known (``肥乡区`` -> ``肥乡县``), else today's
    (``密云县`` -> ``密云区``)."""
    for old_code, (old, new_code, new, _) in HISTORIC_UNITS.items():
        if new_code in known:
            if old in text and new not in text:
                text = text.replace(old, new)
        elif old_code in known and new in text and old not in text:
            text = text.replace(new, old)
    return text
