"""The material catalogue (物资目录) and the ``[materials]`` table of a region file.

A region file names its catalogue (a TOML file beside it) and how needs are counted::

    [materials]
    catalogue = "../jjj/materials.toml"
    household_size = 2.62      # persons per household (displaced households = displaced / this)
    days = 1                   # days of per-day norms counted in a need (first-day needs)
    [materials.shares.flood]   # share of the people in each hazard class (class 0 .. n)
    affected = [0, 0.3, 0.6, 0.9, 1]
    displaced = [0, 0.05, 0.2, 0.5, 0.8]
    [materials.event_shares.footprint]   # a dispatch event's point radius or drawn polygon: one class
    affected = [1.0]
    displaced = [0.1]
    [materials.event_shares.intensity]   # quake events: intensity classes V or less, VI, VII, VIII, IX, X+
    affected = [0.02, 0.1, 0.3, 0.6, 0.9, 1]
    displaced = [0, 0.01, 0.05, 0.2, 0.45, 0.7]

The catalogue (see ``geodata/jjj/materials.toml``) lists materials with a code, Chinese and
English names, a category path, the unit quantities are stored in, aliases, unit conversions
(``convert = { 箱 = 12 }``: one 箱 is 12 of the unit) and need norms, each with its source.
``load_materials`` checks everything and raises one ``DataError`` listing every problem.

``MaterialIndex`` resolves the names planners write (``帐篷``, ``救灾帐篷（12平米）``) to codes
and suggests the closest catalogue names (rapidfuzz) for names it does not know.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from etl import messages, schema
from etl.errors import DataError, Problem

__all__ = ["Catalogue", "Material", "MaterialsConfig", "MaterialIndex", "Norm", "NORM_BASES",
           "load_catalogue", "load_materials", "name_key"]

#: What a norm quantity is counted on.
NORM_BASES: dict[str, tuple[str, str]] = {
    "affected": ("每名受影响人员", "per affected person"),
    "displaced": ("每名转移安置人员", "per displaced person"),
    "household": ("每户转移安置家庭", "per displaced household"),
    "km2": ("每平方公里受灾面积", "per km² at or above the class"),
}

# Messages of this module and etl.materials (Chinese, English), registered with etl.messages.
_MESSAGES: dict[str, tuple[str, str]] = {
    "catalogue_bad": (
        "物资目录配置项「{key}」的值 {found} 无效，应为{expected_zh}。",
        "catalogue key {key!r} has {found}; expected {expected}.",
    ),
    "materials_bad": (
        "区域配置项「{key}」的值 {found} 无效，应为{expected_zh}。",
        "region-file key {key!r} has {found}; expected {expected}.",
    ),
    "catalogue_missing": (
        "物资目录缺少配置项「{key}」（应为{expected_zh}）。",
        "the catalogue lacks {key!r} ({expected}).",
    ),
    "catalogue_duplicate": (
        "物资名称或别名「{found}」在目录中出现两次（物资 {first} 和 {second}）。请只保留一处。",
        "name or alias {found!r} appears twice in the catalogue (materials {first} and {second}). "
        "Keep one.",
    ),
    "material_unknown": (
        "物资名称「{found}」不在物资目录中。最接近的目录名称：{suggest}。请改用目录名称，或在目录中为该物资添加别名。",
        "material {found!r} is not in the catalogue. Closest catalogue names: {suggest}. Use a "
        "catalogue name or add it as an alias in the catalogue.",
    ),
    "material_unit": (
        "物资「{material}」的计量单位「{found}」无法换算为目录单位「{expected}」（可换算：{known}）。"
        "请改用目录单位，或在目录的 convert 中加上 {found} = <每{found}折合多少{expected}>。",
        "unit {found!r} of {material!r} cannot be converted to the catalogue unit {expected!r} "
        "(convertible: {known}). Use the catalogue unit or add convert.{found} = <{expected} per "
        "{found}> to the catalogue.",
    ),
    "material_quantity": (
        "字段「{field}」的值「{found}」无效，应为大于等于 0 的数字。",
        "field {field!r} has {found!r}; expected a number >= 0.",
    ),
    "material_duplicate": (
        "与第 {first} 行重复（同一{owner}、物资、规格）。请合并为一行。",
        "duplicates row {first} (same {owner_en}, material and spec). Merge them into one row.",
    ),
    "material_no_owner": (
        "「{found}」不是已导入的{owner}（按编号或名称匹配）。最接近的名称：{suggest}。"
        "请使用储备库/企业表中的编号或名称。",
        "{found!r} is not a loaded {owner_en} (matched by id or name). Closest names: {suggest}. "
        "Use an id or name from the {owner_en} table.",
    ),
    "material_owner_ambiguous": (
        "名称「{found}」对应多个单位（编号 {ids}）。请改填编号，或加一列「储备库编号」/「企业编号」。",
        "name {found!r} matches several (ids {ids}). Write the id instead, or add an id column "
        "(储备库编号 / 企业编号).",
    ),
    "material_empty": (
        "字段「{field}」为空。请填写。", "field {field!r} is empty. Fill it in.",
    ),
    "material_total_row": (
        "合计/小计行不导入（数量由明细行计算）。", "total/subtotal rows are not loaded (totals come from the detail rows).",
    ),
    "material_agreement": (
        "协议类型「{found}」无法识别，应为 产能储备协议、代储 或 无。",
        "agreement {found!r} is not recognised; expected 产能储备协议 (capacity agreement), 代储 "
        "(consignment stock) or 无 (none).",
    ),
    "material_layout": (
        "无法识别台账的表头：既没有「物资名称」列（每行一种物资），也没有以物资名称为列名的列（每列一种物资）。"
        "找到的列：{found}。请加上表头，或在配置中设置 columns。",
        "cannot recognise the ledger's header: neither a material-name column (one row per item) "
        "nor columns named after catalogue materials (one column per item). Columns found: "
        "{found}. Add a header row or set `columns` in the region file.",
    ),
}
messages.MESSAGES.update(_MESSAGES)

_UNIT_RE = re.compile(r"[(（\[【]([^()（）\[\]【】]*)[)）\]】]")
_SPACE = re.compile(r"\s+")


def name_key(text: str) -> str:
    """Comparison key of a material name: NFKC, no spaces or quotes, case-folded."""
    t = unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "")
    return _SPACE.sub("", t).strip("\"'“”「」").casefold()


def split_unit(text: str) -> tuple[str, str | None]:
    """``"帐篷（顶）"`` -> ``("帐篷", "顶")``; the last bracketed part is taken as a unit or spec."""
    t = unicodedata.normalize("NFKC", str(text)).strip()
    found = _UNIT_RE.findall(t)
    if not found:
        return t, None
    return _UNIT_RE.sub("", t).strip(), found[-1].strip() or None


@dataclass(frozen=True)
class Norm:
    """A need norm: ``quantity`` of the material per ``per`` (a key of ``NORM_BASES``)."""

    hazard: str
    per: str
    quantity: float
    per_day: bool
    source: str


@dataclass(frozen=True)
class Material:
    code: str
    name: str
    name_en: str
    category: tuple[str, ...]
    unit: str
    aliases: tuple[str, ...] = ()
    convert: dict[str, float] = field(default_factory=dict)
    norms: tuple[Norm, ...] = ()

    def factor(self, unit: str | None) -> float | None:
        """How many catalogue units one ``unit`` is (None: not convertible)."""
        if unit is None or name_key(unit) == name_key(self.unit):
            return 1.0
        for k, v in self.convert.items():
            if name_key(k) == name_key(unit):
                return v
        return None


@dataclass(frozen=True)
class Catalogue:
    path: Path
    name: str
    name_en: str
    note: str
    materials: tuple[Material, ...]

    def by_code(self) -> dict[str, Material]:
        return {m.code: m for m in self.materials}


@dataclass(frozen=True)
class MaterialsConfig:
    """The region file's ``[materials]`` table with its catalogue loaded."""

    catalogue: Catalogue
    household_size: float
    days: float
    shares: dict[str, dict[str, tuple[float, ...]]]
    #: Shares of dispatch events: ``footprint`` (one class: everyone inside a point's radius or a
    #: drawn polygon) and ``intensity`` (quake intensity classes 5..10, ``EVENT_CLASSES``).
    event_shares: dict[str, dict[str, tuple[float, ...]]] = field(default_factory=dict)


#: Number of classes of each kind of dispatch-event shares.
EVENT_CLASSES = {"footprint": 1, "intensity": 6}


class MaterialIndex:
    """Names, aliases and codes of a catalogue -> code, with suggestions for unknown names."""

    def __init__(self, catalogue: Catalogue):
        self.catalogue = catalogue
        self._keys: dict[str, str] = {}
        self._choices: dict[str, str] = {}  # display name -> code
        for m in catalogue.materials:
            for word in (m.code, m.name, m.name_en, *m.aliases):
                self._keys.setdefault(name_key(word), m.code)
            self._choices[m.name] = m.code
            for a in m.aliases:
                self._choices.setdefault(a, m.code)

    def code(self, text: str | None) -> str | None:
        """The code of a name as written (also without a bracketed spec/unit), else None."""
        if not text:
            return None
        hit = self._keys.get(name_key(text))
        if hit is None:
            base, _ = split_unit(text)
            hit = self._keys.get(name_key(base)) if base else None
        return hit

    def suggest(self, text: str, limit: int = 3) -> list[str]:
        """The closest catalogue names (each ``名称`` or ``别名（名称）``), best first."""
        base = split_unit(text)[0] or text
        out: list[str] = []
        for choice, score, _ in process.extract(base, list(self._choices), scorer=fuzz.WRatio, limit=limit * 3):
            name = self.catalogue.by_code()[self._choices[choice]].name
            shown = name if choice == name else f"{choice}（{name}）"
            if score >= 40 and shown not in out:
                out.append(shown)
            if len(out) == limit:
                break
        return out


class _Checker:
    def __init__(self, file: str):
        self.file, self.problems = file, []

    def bad(self, key: str, found: Any, expected: str, expected_zh: str) -> None:
        self.problems.append(Problem("catalogue_bad", self.file, {
            "key": key, "found": repr(found), "expected": expected, "expected_zh": expected_zh}))

    def missing(self, key: str, expected: str, expected_zh: str) -> None:
        self.problems.append(Problem("catalogue_missing", self.file, {
            "key": key, "expected": expected, "expected_zh": expected_zh}))


def _text(ck: _Checker, d: dict, key: str, prefix: str, required: bool = True) -> str | None:
    v = d.get(key)
    if v is None:
        if required:
            ck.missing(prefix + key, "text", "文字")
        return None
    if not isinstance(v, str) or not v.strip():
        ck.bad(prefix + key, v, "non-empty text", "非空文字")
        return None
    return v.strip()


def _positive(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0


def load_catalogue(path: str | Path, hazards: tuple[str, ...] = ()) -> Catalogue:
    """Read and check a catalogue TOML file (every problem at once).

    Parameters
    ----------
    path
        The catalogue file.
    hazards
        The region's hazard names; a norm's ``hazard`` must be one of them, a hazard of
        ``etl.schema.HAZARD_NAMES`` (a shared catalogue may cover hazards a region lacks) or
        ``"*"`` (unchecked when empty).

    Raises
    ------
    DataError
        ``file_not_found``, ``region_syntax``, ``catalogue_bad``, ``catalogue_missing`` or
        ``catalogue_duplicate`` problems.
    """
    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise DataError([Problem("file_not_found", file)])
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataError([Problem("region_syntax", file, {"found": str(exc)})]) from None
    ck = _Checker(file)
    head = doc.get("catalogue", {}) if isinstance(doc.get("catalogue", {}), dict) else {}
    items = doc.get("material")
    if not isinstance(items, list) or not items:
        ck.missing("material", "[[material]] tables", "至少一个 [[material]] 表")
        raise DataError(ck.problems)
    materials, seen_names, seen_codes = [], {}, set()
    for i, m in enumerate(items):
        p = f"material[{i}]."
        if not isinstance(m, dict):
            ck.bad(p[:-1], m, "a table", "一个表")
            continue
        code = _text(ck, m, "code", p)
        if code is not None and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", code):
            ck.bad(p + "code", code, "letters, digits or _ (starting with a letter)", "字母、数字或下划线（以字母开头）")
            code = None
        if code in seen_codes:
            ck.bad(p + "code", code, "a code used once", "只出现一次的代码")
        name, unit = _text(ck, m, "name", p), _text(ck, m, "unit", p)
        name_en = _text(ck, m, "name_en", p, required=False) or code or ""
        cat = m.get("category", [])
        if not (isinstance(cat, list) and 1 <= len(cat) <= 3 and all(isinstance(c, str) and c for c in cat)):
            ck.bad(p + "category", cat, "[大类, 中类, 小类] (1 to 3 names)", "[大类, 中类, 小类]（1 至 3 个名称）")
            cat = []
        aliases = m.get("aliases", [])
        if not (isinstance(aliases, list) and all(isinstance(a, str) and a.strip() for a in aliases)):
            ck.bad(p + "aliases", aliases, "a list of names", "名称列表")
            aliases = []
        conv = m.get("convert", {})
        if not (isinstance(conv, dict) and all(_positive(v) for v in conv.values())):
            ck.bad(p + "convert", conv, "a table of unit = positive number", "单位 = 正数 的表")
            conv = {}
        norms = []
        for j, n in enumerate(m.get("norm", []) if isinstance(m.get("norm", []), list) else [None]):
            q = f"{p}norm[{j}]."
            if not isinstance(n, dict):
                ck.bad(q[:-1], n, "a table", "一个表")
                continue
            hz, per, qty, src = n.get("hazard"), n.get("per"), n.get("quantity"), _text(ck, n, "source", q)
            known = [*hazards, *(h for h in schema.HAZARD_NAMES if h not in hazards)]
            if not isinstance(hz, str) or (hazards and hz != "*" and hz not in known):
                ck.bad(q + "hazard", hz, f"\"*\" or one of {known}", f"\"*\" 或 {known} 之一")
                continue
            if per not in NORM_BASES:
                ck.bad(q + "per", per, f"one of {list(NORM_BASES)}", f"{list(NORM_BASES)} 之一")
                continue
            if not _positive(qty):
                ck.bad(q + "quantity", qty, "a positive number", "正数")
                continue
            per_day = n.get("per_day", False)
            if not isinstance(per_day, bool):
                ck.bad(q + "per_day", per_day, "true or false", "true 或 false")
                continue
            if src is not None:
                norms.append(Norm(hz, per, float(qty), per_day, src))
        if code is None or name is None or unit is None:
            continue
        seen_codes.add(code)
        for word in {name_key(w): w for w in (name, *aliases)}.values():
            k = name_key(word)
            if k in seen_names and seen_names[k] != code:
                ck.problems.append(Problem("catalogue_duplicate", file, {
                    "found": word, "first": seen_names[k], "second": code}))
            seen_names[k] = code
        materials.append(Material(code, name, name_en, tuple(cat), unit, tuple(a.strip() for a in aliases),
                                  {str(k): float(v) for k, v in conv.items()}, tuple(norms)))
    if ck.problems:
        raise DataError(ck.problems)
    return Catalogue(path, str(head.get("name", path.stem)), str(head.get("name_en", path.stem)),
                     str(head.get("note", "")), tuple(materials))


def load_materials(doc: dict, region_path: Path, hazard_breaks: dict[str, int]) -> MaterialsConfig | None:
    """The region file's ``[materials]`` table (None when absent), its catalogue loaded.

    ``hazard_breaks``: hazard -> number of breaks (a hazard has breaks + 1 classes, so its
    ``shares`` lists have that many entries).

    Raises
    ------
    DataError
        Every problem of the table and of the catalogue.
    """
    if "materials" not in doc:
        return None
    file = str(region_path)
    item = doc["materials"]
    problems: list[Problem] = []

    def bad(key: str, found: Any, expected: str, expected_zh: str) -> None:
        problems.append(Problem("materials_bad", file, {"key": f"materials.{key}", "found": repr(found),
                                                        "expected": expected, "expected_zh": expected_zh}))

    if not isinstance(item, dict):
        bad("", item, "a table", "一个表")
        raise DataError(problems)
    for key in item:
        if key not in ("catalogue", "household_size", "days", "shares", "event_shares"):
            problems.append(Problem("region_unknown_key", file, {
                "key": f"materials.{key}", "expected": ["catalogue", "household_size", "days", "shares",
                                                        "event_shares"]}))
    cat_path = item.get("catalogue")
    if not isinstance(cat_path, str):
        problems.append(Problem("region_missing_key", file, {"key": "materials.catalogue",
                                                             "expected": "the file path"}))
    hh, days = item.get("household_size", 3.0), item.get("days", 1.0)
    if not _positive(hh):
        bad("household_size", hh, "a positive number", "正数")
    if not _positive(days):
        bad("days", days, "a positive number", "正数")
    shares: dict[str, dict[str, tuple[float, ...]]] = {}
    event_shares: dict[str, dict[str, tuple[float, ...]]] = {}
    sizes = [("shares", hz, t, hazard_breaks[hz] + 1 if hz in hazard_breaks else None, shares)
             for hz, t in (item.get("shares") or {}).items()]
    sizes += [("event_shares", kind, t, EVENT_CLASSES.get(kind), event_shares)
              for kind, t in (item.get("event_shares") or {}).items()]
    for group, hz, table, n, into in sizes:
        if n is None:
            problems.append(Problem("region_unknown_key", file, {
                "key": f"materials.{group}.{hz}",
                "expected": sorted(hazard_breaks) if group == "shares" else sorted(EVENT_CLASSES)}))
            continue
        out = {}
        for kind in ("affected", "displaced"):
            v = table.get(kind) if isinstance(table, dict) else None
            ok = isinstance(v, list) and len(v) == n and all(
                isinstance(x, (int, float)) and not isinstance(x, bool) and 0 <= x <= 1 for x in v)
            if not ok:
                bad(f"{group}.{hz}.{kind}", v, f"{n} shares between 0 and 1 (one per class)",
                    f"{n} 个 0 到 1 之间的比例（每个等级一个）")
            else:
                out[kind] = tuple(float(x) for x in v)
        if len(out) == 2:
            if any(d > a for d, a in zip(out["displaced"], out["affected"])):
                bad(f"{group}.{hz}.displaced", list(out["displaced"]), "at most the affected share of each class",
                    "每个等级不超过受影响比例")
            into[hz] = out
    catalogue = None
    if isinstance(cat_path, str):
        try:
            catalogue = load_catalogue(Path(os.path.normpath(region_path.parent / cat_path)), tuple(hazard_breaks))
        except DataError as exc:
            problems += exc.problems
    if problems:
        raise DataError(problems)
    assert catalogue is not None
    return MaterialsConfig(catalogue, float(hh), float(days), shares, event_shares)
