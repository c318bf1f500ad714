"""Place names and other proper names for the English reader: 唐山市 → Tangshan, 路南区 →
Lunan District, 河北省 → Hebei, 青龙满族自治县 → Qinglong Manchu Autonomous County, and a
depot's name such as （合成）曹妃甸区县级应急物资储备库 → (synthetic) Caofeidian District county
emergency supplies depot. Chinese mode keeps every name as it is.

Pinyin comes from ``pypinyin`` (offline, with its phrase dictionary for most polyphonic
characters); the irregular romanisations (陕西 Shaanxi, 内蒙古 Inner Mongolia) and the
polyphones its phrases get wrong for places (朝阳 Chaoyang, 蔚县 Yuxian) are in ``OVERRIDES``.
Administrative suffixes are translated (区 District, 县 County, 自治县 Autonomous County, ...;
省 and 市 are dropped, as in "Hebei", "Tangshan"), and common words of facility names go
through a short glossary (``GLOSSARY``); what is left is pinyin, one capitalised word per name.
"""

from __future__ import annotations

import functools
import re

from pypinyin import lazy_pinyin

__all__ = ["english_text", "in_language", "place_name"]

#: Whole names (without their suffix) whose romanisation is not their plain pinyin.
OVERRIDES: dict[str, str] = {
    "陕西": "Shaanxi", "内蒙古": "Inner Mongolia", "西藏": "Tibet", "香港": "Hong Kong", "澳门": "Macao",
    "朝阳": "Chaoyang", "蔚": "Yu", "长安": "Chang'an", "重庆": "Chongqing", "厦门": "Xiamen", "六安": "Lu'an",
    "蚌埠": "Bengbu", "番禺": "Panyu", "宝坻": "Baodi", "新乐": "Xinle", "柏乡": "Baixiang", "泊头": "Botou",
    "任丘": "Renqiu", "曲周": "Quzhou", "曲阳": "Quyang", "涉": "She", "乐亭": "Laoting", "井陉": "Jingxing",
    "行唐": "Xingtang", "大名": "Daming", "单": "Shan", "莘": "Shen", "京津冀": "Beijing-Tianjin-Hebei",
}
#: Administrative suffixes, longest first: (suffix, English words after the name).
SUFFIXES: tuple[tuple[str, str], ...] = (
    ("满族蒙古族自治县", "Manchu-Mongol Autonomous County"), ("满族自治县", "Manchu Autonomous County"),
    ("回族自治县", "Hui Autonomous County"), ("自治县", "Autonomous County"), ("自治区", "Autonomous Region"),
    ("自治州", "Autonomous Prefecture"), ("矿区", "Mining District"), ("新区", "New Area"), ("地区", "Prefecture"),
    ("特别行政区", ""), ("省", ""), ("市", ""), ("区", "District"), ("县", "County"), ("旗", "Banner"), ("盟", "League"),
)
#: Names that hold a suffix character inside them (not split there).
WHOLE: dict[str, str] = {"市中区": "Shizhong District", "新市区": "Xinshi District", "市辖区": "city districts"}
#: Words of facility and unit names, longest first (a space is put around each).
GLOSSARY: tuple[tuple[str, str], ...] = (
    ("县级应急物资储备库", "county emergency supplies depot"),
    ("市级应急物资储备库", "municipal emergency supplies depot"),
    ("省级应急物资储备库", "provincial emergency supplies depot"),
    ("国家应急物资储备库", "national emergency supplies depot"),
    ("应急物资储备库", "emergency supplies depot"), ("物资储备库", "supplies depot"), ("储备库", "depot"),
    ("高新技术产业开发区", "High-tech Industrial Development Zone"),
    ("经济技术开发区", "Economic and Technological Development Zone"),
    ("安全应急产业示范基地", "Safety and Emergency Industry Demonstration Base"),
    ("应急产业", "Emergency Industry"), ("产业园区", "Industrial Park"), ("产业园", "Industrial Park"),
    ("经济开发区", "Economic Development Zone"), ("高新区", "High-tech Zone"), ("科技园", "Science Park"),
    ("核心区", "Core Area"), ("城市", "Urban"), ("集群", "Cluster"), ("安全", "Safety"), ("创新", "Innovation"),
    ("防护", "Protection"), ("特色", "Specialty"), ("智慧", "Smart"), ("重工", "Heavy Industry"),
    ("通信", "Communications"), ("环保", "Environmental"), ("开发区", "Development Zone"), ("示范基地", "Demonstration Base"), ("园区", "Park"),
    ("股份有限公司", "Co., Ltd."), ("有限责任公司", "Co., Ltd."), ("有限公司", "Co., Ltd."), ("集团", "Group"),
    ("科技", "Technology"), ("装备", "Equipment"), ("制造", "Manufacturing"), ("合成", "synthetic"),
    ("救援队", "rescue team"), ("消防", "Fire"), ("应急", "Emergency"),
)
#: Chinese measure words of material units (a cell or a count such as "12 套").
MEASURES: dict[str, str] = {
    "艘": "boats", "千克": "kg", "公斤": "kg", "个": "pcs", "张": "pcs", "台": "units", "包": "packs",
    "份": "portions", "只": "pcs", "床": "pcs", "顶": "tents", "套": "sets", "件": "pcs", "箱": "boxes",
    "瓶": "bottles", "升": "L", "吨": "t", "桶": "barrels", "部": "units", "把": "pcs", "条": "pcs",
    "双": "pairs", "块": "pcs", "袋": "bags", "副": "sets", "组": "sets", "辆": "vehicles", "架": "units",
    "人": "people", "户": "households",
}
_CJK = "\u3400-\u9fff"
_RUN = re.compile(f"[{_CJK}]+")
_SPLIT = re.compile("(" + "|".join(s for s, _ in SUFFIXES if s) + ")")


def _pinyin(text: str) -> str:
    """Plain pinyin of ``text`` as one capitalised word, with an apostrophe before a syllable
    that starts with a vowel (Xi'an)."""
    if text in OVERRIDES:
        return OVERRIDES[text]
    syllables = lazy_pinyin(text, errors=lambda chars: list(chars))
    word = "".join(("'" + s if i and s[:1] in "aeo" else s) for i, s in enumerate(syllables))
    return word[:1].upper() + word[1:]


@functools.lru_cache(maxsize=8192)
def place_name(name: str, lang: str = "en") -> str:
    """An administrative name in ``lang``: unchanged in Chinese; in English its pinyin with the
    suffix translated (唐山市 → Tangshan, 路南区 → Lunan District).

    Examples
    --------
    >>> place_name("河北省"), place_name("路南区"), place_name("陕西省")
    ('Hebei', 'Lunan District', 'Shaanxi')
    """
    if lang != "en" or not name or not _RUN.search(name):
        return name
    if name in WHOLE:
        return WHOLE[name]
    for suffix, words in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            return f"{_pinyin(stem)} {words}".strip()
    return _pinyin(name)


def _run_english(run: str) -> str:
    """One run of Chinese characters in English: a measure word, else names cut after each
    administrative suffix (河北省唐山 → Hebei Tangshan), each romanised."""
    if run in MEASURES:
        return MEASURES[run]
    if run in WHOLE:
        return WHOLE[run]
    parts, start = [], 0
    for m in _SPLIT.finditer(run):
        if m.start() > start:  # a suffix with a name before it
            parts.append(run[start:m.end()])
            start = m.end()
    if start < len(run):
        parts.append(run[start:])
    return " ".join(place_name(p) for p in parts)


def english_text(text: str) -> str:
    """``text`` with every Chinese word in English: glossary words translated, names
    romanised, full-width punctuation made ASCII. Text without Chinese is returned as is.

    Examples
    --------
    >>> english_text("（合成）曹妃甸区县级应急物资储备库")
    '(synthetic) Caofeidian District county emergency supplies depot'
    """
    if not _RUN.search(text):
        return text
    out = text
    for zh, en in GLOSSARY:
        out = out.replace(zh, f" {en} ")
    out = _RUN.sub(lambda m: f" {_run_english(m.group(0))} ", out)
    for zh, en in (("（", " ("), ("）", ") "), ("，", ", "), ("；", "; "), ("：", ": "), ("、", ", "), ("。", ". ")):
        out = out.replace(zh, en)
    out = re.sub(r"\s+", " ", out)
    out = re.sub(r"\(\s+", "(", out)
    out = re.sub(r"\s+([),.;:'])", r"\1", out)
    return out.strip()


def in_language(text: str | None, lang: str) -> str:
    """One language of a region file's text: the side of ``" / "`` in ``lang`` (Chinese first),
    or, for text written as a Chinese part followed by an English part, that part; text in one
    language only is returned whole."""
    text = (text or "").strip()
    i = 1 if lang == "en" else 0
    if " / " in text:
        zh, _, en = text.partition(" / ")
        return (zh if i == 0 else en).strip()
    last = max((m.end() for m in _RUN.finditer(text)), default=0)
    tail = text[last:]
    cut = re.search(r"[。；）)]\s*(?=[A-Z])", tail)
    if last and cut:
        return (text[:last + cut.start() + 1] if i == 0 else tail[cut.end():]).strip()
    return text
