"""The ``[industry]`` section of a region file: 四库一清单 sources, chain links and plan targets.

Parsed by ``etl.region.load_region`` (with its problem collector), so every mistake is reported
with the rest of the region file's problems. References (park ids, adcodes) are checked later,
in ``etl.industry``, once parks and boundaries are read.

Example (``geodata/regions/jjj.toml`` has the full demo)::

    [industry.links]      # each chain's links, upstream to downstream
    unmanned = ["材料与元器件", "动力与能源", "飞控与载荷", "整机制造", "运维与培训服务"]

    [[industry.sources]]  # one table file; table = enterprise_years | products | projects | leads | tasks
    table = "projects"
    path = "../jjj/industry/projects_synthetic.csv"
    synthetic = true

    [[industry.targets]]  # a plan target and where it is written
    indicator = "output_yi"
    scope = "region"      # region | province | city | park (scope_code: adcode or park id/name)
    year = 2025
    value = 3000
    comparator = ">"      # >=, > or about
    document = "京津冀安全应急装备先进制造业集群发展规划"
    clause = "二、发展目标"
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from etl import schema
from etl.region import TABLE_FORMATS, TableSource

#: The industry tables a source may feed (``targets`` and ``chain_links`` come from the TOML).
SOURCE_TABLES = ("enterprise_years", "products", "projects", "leads", "tasks")
_SECTION_KEYS = {"links", "sources", "targets"}
_SOURCE_KEYS = {
    "table", "name", "path", "crs", "columns", "header", "column_order", "sheet", "encoding",
    "delimiter", "synthetic", "defaults",
}
_TARGET_KEYS = {"indicator", "scope", "scope_code", "year", "value", "comparator", "unit",
                "document", "clause", "note"}


@dataclass(frozen=True)
class Target:
    """One plan target: an indicator's value for a scope and year, and its source clause."""

    indicator: str
    scope: str
    scope_code: str | None
    year: int
    value: float
    comparator: str
    unit: str
    document: str
    clause: str = ""
    note: str = ""


@dataclass(frozen=True)
class IndustryConfig:
    """The parsed ``[industry]`` section."""

    sources: tuple[TableSource, ...] = ()
    links: dict[str, tuple[str, ...]] = field(default_factory=dict)
    targets: tuple[Target, ...] = ()


def parse_industry(doc: dict, ck: Any, base: Path) -> IndustryConfig | None:
    """The ``[industry]`` section (None when absent); problems go to ``ck`` (region's collector)."""
    if "industry" not in doc:
        return None
    sec = ck.get(doc, "industry", dict, "", "an [industry] table")
    if sec is None:
        return None
    ck.unknown(sec, _SECTION_KEYS, "industry.")
    return IndustryConfig(sources=_sources(sec, ck, base), links=_links(sec, ck),
                          targets=_targets(sec, ck))


def _links(sec: dict, ck: Any) -> dict[str, tuple[str, ...]]:
    table = ck.get(sec, "links", dict, "industry.", "a table of chain = [links, upstream first]", {})
    out = {}
    for chain, links in table.items():
        key = f"industry.links.{chain}"
        if chain not in schema.CHAINS:
            ck.add("region_unknown_key", key=key, expected=list(schema.CHAINS))
        elif not (isinstance(links, list) and links and all(isinstance(x, str) and x.strip() for x in links)
                  and len(set(links)) == len(links)):
            ck.add("region_bad_value", key=key, found=repr(links),
                   expected="a non-empty list of distinct link names, upstream first")
        else:
            out[chain] = tuple(x.strip() for x in links)
    return out


def _sources(sec: dict, ck: Any, base: Path) -> tuple[TableSource, ...]:
    items = ck.get(sec, "sources", list, "industry.", "[[industry.sources]] tables", [])
    out: list[TableSource] = []
    for i, item in enumerate(items):
        prefix = f"industry.sources[{i}]."
        if not isinstance(item, dict):
            ck.add("region_bad_value", key=prefix[:-1], found=repr(item), expected="a table")
            continue
        ck.unknown(item, _SOURCE_KEYS, prefix)
        table = ck.get(item, "table", str, prefix, f"one of {list(SOURCE_TABLES)}")
        if table is not None and table not in SOURCE_TABLES:
            ck.add("region_bad_value", key=f"{prefix}table", found=repr(table),
                   expected=f"one of {list(SOURCE_TABLES)}")
            table = None
        p = ck.get(item, "path", str, prefix, "the file path")
        if table is None or p is None:
            continue
        path = Path(os.path.normpath(base / p))
        if path.suffix.lower() not in TABLE_FORMATS:
            ck.add("unsupported_format", found=path.suffix or path.name, expected=list(TABLE_FORMATS))
        cols = ck.get(item, "columns", dict, prefix, 'a table of field = "column name"', {})
        header = ck.get(item, "header", bool, prefix, "true or false", True)
        order = tuple(ck.get(item, "column_order", list, prefix, "a list of field names", []))
        if not header and not order:
            ck.add("region_missing_key", key=f"{prefix}column_order",
                   expected="the field of each column, because header = false")
        out.append(TableSource(
            entity=table, name=item.get("name", f"{table}:{path.name}"), path=path,
            crs=ck.get(item, "crs", str, prefix, "WGS84, CGCS2000, GCJ02, BD09, EPSG:n or WKT", None),
            columns={k: v for k, v in cols.items() if isinstance(v, str)}, header=header,
            column_order=order, sheet=ck.get(item, "sheet", str, prefix, "a sheet name", None),
            encoding=ck.get(item, "encoding", str, prefix, "an encoding such as gbk", None),
            delimiter=ck.get(item, "delimiter", str, prefix, "one character", None),
            synthetic=ck.get(item, "synthetic", bool, prefix, "true or false", False),
            defaults=dict(ck.get(item, "defaults", dict, prefix, "a table of field = value", {})),
        ))
    return tuple(out)


def _targets(sec: dict, ck: Any) -> tuple[Target, ...]:
    items = ck.get(sec, "targets", list, "industry.", "[[industry.targets]] tables", [])
    out = []
    for i, item in enumerate(items):
        prefix = f"industry.targets[{i}]."
        if not isinstance(item, dict):
            ck.add("region_bad_value", key=prefix[:-1], found=repr(item), expected="a table")
            continue
        ck.unknown(item, _TARGET_KEYS, prefix)
        n = len(ck.problems)
        ind = ck.get(item, "indicator", str, prefix, f"one of {list(schema.INDICATORS)}")
        if ind is not None and ind not in schema.INDICATORS:
            ck.add("region_bad_value", key=f"{prefix}indicator", found=repr(ind),
                   expected=f"one of {list(schema.INDICATORS)}")
        scope = ck.get(item, "scope", str, prefix, f"one of {list(schema.SCOPES)}", "region")
        if scope not in schema.SCOPES:
            ck.add("region_bad_value", key=f"{prefix}scope", found=repr(scope),
                   expected=f"one of {list(schema.SCOPES)}")
        code = ck.get(item, "scope_code", str, prefix, "an adcode or a park id/name", None)
        if scope != "region" and not code:
            ck.add("region_missing_key", key=f"{prefix}scope_code",
                   expected="the adcode (province, city) or park id/name the target is for")
        year = ck.get(item, "year", int, prefix, "a year such as 2025")
        if year is not None and not 1949 <= year <= 2100:
            ck.add("region_bad_value", key=f"{prefix}year", found=repr(year), expected="a year such as 2025")
        value = ck.get(item, "value", (int, float), prefix, "a positive number")
        if value is not None and not (math.isfinite(value) and value > 0):
            ck.add("region_bad_value", key=f"{prefix}value", found=repr(value), expected="a positive number")
        comp = ck.get(item, "comparator", str, prefix, f"one of {list(schema.TARGET_COMPARATORS)}", ">=")
        if comp not in schema.TARGET_COMPARATORS:
            ck.add("region_bad_value", key=f"{prefix}comparator", found=repr(comp),
                   expected=f"one of {list(schema.TARGET_COMPARATORS)}")
        doc_name = ck.get(item, "document", str, prefix, "the plan document the target comes from")
        texts = {k: ck.get(item, k, str, prefix, "text", "") for k in ("unit", "clause", "note")}
        if len(ck.problems) > n:
            continue
        out.append(Target(
            indicator=ind, scope=scope, scope_code=code or None, year=year, value=float(value),
            comparator=comp, unit=texts["unit"] or schema.INDICATORS[ind][2], document=doc_name,
            clause=texts["clause"], note=texts["note"],
        ))
    return tuple(out)
