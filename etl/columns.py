"""Which file column holds which field: aliases as planners write them, and the mapping rule.

Planners' tables name the same thing many ways (``名称``, ``企业名称``, ``Name``; ``产值（亿元）``,
``产值(亿元)``). ``map_columns`` maps a file's columns onto the fields of an entity
(``etl.schema.ENTITY_FIELDS``) using the region file's explicit ``columns`` first and
``ALIASES`` second.

Matching rule
-------------
1. Column names and aliases are compared after normalisation (:func:`normalise`): Unicode
   NFKC (full-width letters and parentheses become half-width), case-folded, BOM, quotes
   and all whitespace removed.
2. An explicit mapping (``columns.<field> = "<column>"`` in the region file) wins. Its
   column must exist in the file (exact name, else the normalised name); otherwise a
   ``mapped_column_missing`` problem is reported.
3. Every other field of the entity takes the first file column, in file order, whose
   normalised name equals one of the field's aliases. ``lon`` and ``lat`` instead walk
   their aliases in order and take the first alias present, so ``经度`` beats a stray
   ``x`` whatever the column order. A column already taken by an earlier field (explicit
   mappings first, then fields in schema order) is not reused.
4. Required fields (``ENTITY_FIELDS[entity]["required"]``) that are still unmapped, and are
   not supplied another way (``provided``, e.g. region-file defaults), are reported as
   ``missing_column``.

Aliases are looked up per entity: ``级别`` is ``level`` for parks and ``tier`` for reserves.
``序号`` (a row counter) and bare ``代码`` are deliberately not aliases of ``id``.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable

from etl import schema
from etl.errors import Problem

logger = logging.getLogger(__name__)

__all__ = ["ALIASES", "aliases_for", "map_columns", "normalise"]

#: field -> aliases (Chinese and English), most specific first. The field name itself is
#: always an alias. Lookups are per entity (see ``aliases_for``).
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "编号", "园区编号", "企业编号", "储备库编号", "唯一编号", "标识码"),
    "name": ("name", "名称", "企业名称", "园区名称", "基地名称", "储备库名称", "仓库名称",
             "单位名称", "机构名称", "公司名称"),
    "lon": ("lon", "经度", "lng", "long", "longitude", "东经", "经度坐标", "x", "x坐标"),
    "lat": ("lat", "纬度", "latitude", "北纬", "纬度坐标", "y", "y坐标"),
    "address": ("address", "地址", "详细地址", "所在地", "所在地址", "注册地址", "地点", "addr"),
    "adcode": ("adcode", "区县代码", "行政区划代码", "区划代码", "行政区代码", "区县编码",
               "行政区划编码"),
    "city": ("city", "城市", "所在城市", "所属城市", "地市", "所属地市", "市"),
    "level": ("level", "级别", "园区级别", "基地级别"),
    "role": ("role", "布局", "功能定位", "布局定位"),
    "chains": ("chains", "产业链", "所属产业链", "chain", "产业链条", "所属链条"),
    "precision": ("precision", "位置精度", "精度", "定位精度"),
    "above_size": ("above_size", "规上", "规模以上", "是否规上", "是否规模以上", "规上企业"),
    "leading": ("leading", "链主", "龙头", "是否链主", "是否龙头", "链主企业", "龙头企业"),
    "listed": ("listed", "上市", "是否上市", "上市企业"),
    # Bare "产值" is left out on purpose: its unit (万元 or 亿元) is unknown.
    "output_yi": ("output_yi", "产值亿元", "产值(亿元)", "产值（亿元）", "年产值(亿元)", "output"),
    "products": ("products", "主要产品", "产品", "主营产品"),
    "tier": ("tier", "级别", "储备级别", "层级", "储备层级"),
    "kind": ("kind", "类型", "储备类型", "储备方式"),
    "categories": ("categories", "物资类别", "物资种类", "储备物资", "物资"),
    "capacity": ("capacity", "储备量", "数量", "容量", "储备数量"),
    "capacity_unit": ("capacity_unit", "单位", "计量单位", "数量单位"),
}

#: Fields whose aliases are tried in alias order rather than file-column order.
_ALIAS_ORDER_FIELDS = frozenset({"lon", "lat"})
_QUOTES = "\"'`“”‘’「」『』"
_SPACE = re.compile(r"\s+")


def normalise(name: str) -> str:
    """The comparison key of a column name or alias.

    NFKC (full-width -> half-width, so ``（亿元）`` equals ``(亿元)``), BOM and surrounding
    quotes removed, all whitespace removed, case-folded.

    Examples
    --------
    >>> normalise(' "产值（亿元）" ')
    '产值(亿元)'
    >>> normalise("\\ufeffLongitude")
    'longitude'
    """
    text = unicodedata.normalize("NFKC", str(name)).replace("\ufeff", "")
    text = _SPACE.sub("", text).strip(_QUOTES)
    return _SPACE.sub("", text).casefold()


def aliases_for(entity: str) -> dict[str, tuple[str, ...]]:
    """The fields of ``entity`` (schema order) and their aliases."""
    fields = schema.ENTITY_FIELDS[entity]
    return {f: ALIASES[f] for f in (*fields["required"], *fields["optional"])}


def _find(columns: list[str], keys: list[str], target: str, taken: set[str]) -> str | None:
    """The first column whose key equals ``target`` and is not taken."""
    for col, key in zip(columns, keys):
        if key == target and col not in taken:
            return col
    return None


def map_columns(
    columns: list[str],
    entity: str,
    explicit: dict[str, str],
    file: str,
    *,
    provided: Iterable[str] = (),
    aliases: dict[str, tuple[str, ...]] | None = None,
    required: tuple[str, ...] | None = None,
) -> tuple[dict[str, str], list[Problem]]:
    """Map a file's columns onto the fields of an entity.

    Parameters
    ----------
    columns
        The file's column names, in file order.
    entity
        ``"parks"``, ``"enterprises"`` or ``"reserves"``.
    explicit
        The region file's ``columns`` table: field -> column name. Wins over aliases.
    file
        The file name used in problems.
    provided
        Fields supplied without a column (e.g. region-file ``defaults``); they are not
        reported as missing when required.
    aliases, required
        Field -> aliases and the required fields of a table that is not an entity (the
        industry tables of ``etl.industry``); default: those of ``entity``.

    Returns
    -------
    mapping : dict of str to str
        field -> source column, for every field found (explicit mappings and aliases).
    problems : list of Problem
        ``mapped_column_missing`` for explicit columns absent from the file and
        ``missing_column`` for required fields that nothing maps.

    Raises
    ------
    KeyError
        If ``entity`` is not an entity of ``etl.schema.ENTITY_FIELDS``.

    Examples
    --------
    >>> mapping, problems = map_columns(["企业名称", "经度", "纬度"], "enterprises", {}, "a.csv")
    >>> mapping
    {'name': '企业名称', 'lon': '经度', 'lat': '纬度'}
    """
    table = aliases if aliases is not None else aliases_for(entity)
    columns = [str(c) for c in columns]
    keys = [normalise(c) for c in columns]
    mapping: dict[str, str] = {}
    problems: list[Problem] = []
    taken: set[str] = set()

    for field, wanted in explicit.items():
        col = wanted if wanted in columns else _find(columns, keys, normalise(wanted), set())
        if col is None:
            problems.append(Problem("mapped_column_missing", file, {
                "field": field, "found": wanted, "expected": columns}))
            continue
        if field not in table:
            logger.warning("%s: explicit mapping of %r, which %s do not have", file, field, entity)
        mapping[field] = col
        taken.add(col)

    for field, aliases in table.items():
        if field in mapping or field in explicit:
            continue
        targets = [normalise(a) for a in aliases]
        col = None
        if field in _ALIAS_ORDER_FIELDS:
            for target in targets:
                col = _find(columns, keys, target, taken)
                if col is not None:
                    break
        else:
            wanted_keys = set(targets)
            col = next((c for c, k in zip(columns, keys) if k in wanted_keys and c not in taken),
                       None)
        if col is not None:
            mapping[field] = col
            taken.add(col)

    supplied = set(provided)
    for field in required if required is not None else schema.ENTITY_FIELDS[entity]["required"]:
        if field not in mapping and field not in explicit and field not in supplied:
            problems.append(Problem("missing_column", file, {
                "field": field, "aliases": list(table[field]), "found": columns}))
    logger.debug("%s: column mapping %s", file, mapping)
    return mapping, problems
