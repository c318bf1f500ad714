"""Planners' stock ledgers (储备台账) and production-capacity lists -> ``stock`` and ``capacity`` rows.

A region file lists them as ``[[stock]]`` and ``[[capacity]]`` tables (``name``, ``path`` and
optionally ``sheet``, ``encoding``, ``delimiter``, ``columns``, ``as_of``, ``synthetic``).
Files are read by ``etl.readers`` (CSV in UTF-8/GBK/GB18030, XLSX, ...), then:

- **Header.** The header is the row (among the first ten) whose cells best match the field
  aliases below or catalogue names; a cell left empty by a merged header cell takes the value
  above it. Title rows above the header are skipped.
- **Layout.** Long (one row per depot x material: 储备库, 物资名称, 规格型号, 计量单位, 数量, 入库日期,
  有效期) when a material-name column exists; else wide (one column per material, named like
  ``帐篷（顶）``: the bracket gives the unit). In XLSX, an empty depot cell repeats the depot above
  (vertically merged cells).
- **Values.** Names are matched to the catalogue (name, alias or code; a bracketed spec is
  ignored); quantities are converted to the catalogue unit (``箱`` -> ``件`` by ``convert``).
  Depots must be loaded reserves (id or name), enterprises loaded enterprises.
- **Rejects.** Unknown material (with the closest catalogue names), unconvertible unit,
  negative or non-numeric quantity, duplicates (same owner, material and spec), unknown
  depot/enterprise, total rows: each goes to ``rejects`` with its row and reason.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from rapidfuzz import fuzz, process

from etl.catalogue import MaterialIndex, MaterialsConfig, name_key, split_unit
from etl.columns import normalise
from etl.errors import DataError, Problem
from etl.normalize import parse_number
from etl.readers import read_table
from etl.region import TableSource

__all__ = ["LEDGER_ALIASES", "LedgerSource", "Loaded", "load_ledger", "parse_sources", "stock_arrow",
           "capacity_arrow", "AGREEMENTS"]

#: field -> aliases, per ledger kind (normalised with etl.columns.normalise).
LEDGER_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "stock": {
        "owner_id": ("reserve_id", "储备库编号", "仓库编号", "库点编号"),
        "owner": ("reserve", "depot", "储备库", "储备库名称", "仓库", "仓库名称", "储备点",
                  "储备单位", "库点", "库点名称", "储备仓库"),
        "material": ("material", "item", "物资名称", "物资", "品名", "物资品名", "名称"),
        "spec": ("spec", "规格", "规格型号", "型号"),
        "quantity": ("quantity", "qty", "数量", "库存数量", "储备数量", "实有数量", "库存", "现有数量"),
        "unit": ("unit", "单位", "计量单位"),
        "as_of": ("as_of", "date", "入库日期", "日期", "统计日期", "截止日期"),
        "expiry": ("expiry", "有效期", "有效期至", "保质期至", "失效日期"),
    },
    "capacity": {
        "owner_id": ("enterprise_id", "企业编号", "统一社会信用代码"),
        "owner": ("enterprise", "企业", "企业名称", "生产企业", "单位名称", "公司名称"),
        "material": ("material", "item", "物资名称", "物资", "产品", "产品名称", "品名"),
        "quantity": ("per_day", "日产能", "日产量", "每日产能", "产能(每天)", "产能(每日)", "日生产能力"),
        "unit": ("unit", "单位", "计量单位"),
        "ramp_h": ("ramp_h", "转产时间(小时)", "启动时间(小时)", "转产时间", "启动时间", "响应时间(小时)",
                   "转产启动时间(小时)"),
        "agreement": ("agreement", "协议", "协议类型", "储备方式", "合作方式"),
    },
}
_OWNER = {"stock": ("储备库", "depot"), "capacity": ("企业", "enterprise")}
_NOT_MATERIAL = {normalise(w) for w in (
    "序号", "编号", "备注", "联系人", "联系电话", "电话", "地址", "所在地", "区县", "区县代码", "经度", "纬度",
    "合计", "小计", "级别", "储备级别", "类型", "合成数据", "id", "note")}
_TOTAL_WORDS = {"合计", "小计", "总计", "total", "subtotal"}
#: agreement words -> code
AGREEMENTS: dict[str, tuple[str, ...]] = {
    "capacity": ("产能储备协议", "产能储备", "生产能力储备", "生产能力储备协议", "capacity"),
    "consignment": ("代储", "协议代储", "企业代储", "consignment"),
    "none": ("无", "否", "none", "-"),
}
_AGREEMENT_KEYS = {normalise(w): code for code, words in AGREEMENTS.items() for w in words}
_KEYS = {"name", "path", "sheet", "encoding", "delimiter", "columns", "as_of", "synthetic"}


@dataclass(frozen=True)
class LedgerSource:
    kind: str  # "stock" | "capacity"
    table: TableSource
    columns: dict[str, str] = field(default_factory=dict)
    as_of: str | None = None


@dataclass
class Loaded:
    """Rows of one ledger, its rejects and what was read."""

    rows: pd.DataFrame
    rejects: list[dict[str, Any]]
    rows_in: int
    sha256: str
    layout: str


def parse_sources(doc: dict, region_path: Path) -> tuple[list[LedgerSource], list[Problem]]:
    """The ``[[stock]]`` and ``[[capacity]]`` tables of a region file."""
    file, out, problems = str(region_path), [], []
    for kind in ("stock", "capacity"):
        items = doc.get(kind, [])
        items = [items] if isinstance(items, dict) else items
        if not isinstance(items, list):
            problems.append(Problem("region_bad_value", file, {"key": kind, "found": repr(items),
                                                               "expected": "a table"}))
            continue
        for i, item in enumerate(items):
            prefix = f"{kind}[{i}]."
            if not isinstance(item, dict) or not isinstance(item.get("path"), str):
                problems.append(Problem("region_missing_key", file, {"key": prefix + "path",
                                                                     "expected": "the file path"}))
                continue
            for key in item:
                if key not in _KEYS:
                    problems.append(Problem("region_unknown_key", file, {"key": prefix + key,
                                                                         "expected": sorted(_KEYS)}))
            cols = item.get("columns", {})
            fields = LEDGER_ALIASES[kind]
            if not isinstance(cols, dict) or any(k not in fields or not isinstance(v, str) for k, v in cols.items()):
                problems.append(Problem("region_unknown_key", file, {"key": prefix + "columns",
                                                                     "expected": list(fields)}))
                cols = {}
            path = Path(os.path.normpath(region_path.parent / item["path"]))
            table = TableSource(entity=kind, name=str(item.get("name", f"{kind}:{path.name}")), path=path,
                                sheet=item.get("sheet"), encoding=item.get("encoding"),
                                delimiter=item.get("delimiter"), synthetic=bool(item.get("synthetic", False)))
            as_of = item.get("as_of")
            out.append(LedgerSource(kind, table, dict(cols), str(as_of) if as_of is not None else None))
    return out, problems


def _grid(frame: pd.DataFrame) -> list[list[str | None]]:
    head = [None if str(c).startswith("Unnamed: ") else str(c) for c in frame.columns]
    return [head, *([None if pd.isna(v) else str(v) for v in row] for row in frame.itertuples(index=False))]


def _field_of(name: str | None, kind: str, explicit: dict[str, str]) -> str | None:
    if not name:
        return None
    for f, col in explicit.items():
        if normalise(col) == normalise(name):
            return f
    key = normalise(name)
    for f, aliases in LEDGER_ALIASES[kind].items():
        if key in {normalise(a) for a in aliases}:
            return f
    return None


def _header(grid: list[list[str | None]], kind: str, explicit: dict[str, str],
            index: MaterialIndex) -> tuple[int, list[str | None]]:
    """(row position in grid, column names) of the best header among the first ten rows."""
    best, best_score = (0, grid[0]), -1
    for h in range(min(10, len(grid))):
        names = list(grid[h])
        for c, v in enumerate(names):  # merged header cells: take the value above
            up = h - 1
            while v is None and up >= 0 and c < len(grid[up]):
                v, up = grid[up][c], up - 1
            names[c] = v
        score = sum(1 for v in names if _field_of(v, kind, explicit)) * 2 + sum(
            1 for v in names if v and index.code(v))
        if score > best_score:
            best, best_score = (h, names), score
    return best


class _Owners:
    """Ids and names of the loaded reserves or enterprises."""

    def __init__(self, table: pd.DataFrame):
        self.ids = set(table["id"].astype(str)) if len(table) else set()
        self.names: dict[str, list[str]] = {}
        for n, i in zip(table.get("name", []), table.get("id", [])):
            self.names.setdefault(name_key(n), []).append(str(i))
        self.display = list(table["name"]) if len(table) else []

    def find(self, text: str) -> str | None | list[str]:
        """The id, None if unknown, or the list of ids when several share the name."""
        if text in self.ids:
            return text
        hits = self.names.get(name_key(text), [])
        return hits[0] if len(hits) == 1 else (hits or None)

    def suggest(self, text: str) -> str:
        hits = process.extract(text, self.display, scorer=fuzz.WRatio, limit=3)
        return "、".join(h[0] for h in hits if h[1] >= 40) or "-"


def load_ledger(src: LedgerSource, config: MaterialsConfig, owners: pd.DataFrame) -> Loaded:
    """Read one ledger into ``stock`` (or ``capacity``) rows and rejects.

    Parameters
    ----------
    src
        The region file's ``[[stock]]`` / ``[[capacity]]`` entry.
    config
        The region's materials configuration (its catalogue names the materials).
    owners
        The loaded ``reserves`` (stock) or ``enterprises`` (capacity): ``id`` and ``name``.

    Raises
    ------
    DataError
        The file cannot be read, or its header is not recognised (``material_layout``).
    """
    raw = read_table(src.table)
    kind, file, index = src.kind, str(src.table.path), MaterialIndex(config.catalogue)
    grid = _grid(raw.frame)
    rows_of = [None, *raw.row_numbers.tolist()]
    h, names = _header(grid, kind, src.columns, index)
    fields = {c: _field_of(v, kind, src.columns) for c, v in enumerate(names)}
    col_of = {f: c for c, f in sorted(fields.items(), reverse=True) if f}
    body = [(rows_of[r] if rows_of[r] is not None else r + 1, grid[r]) for r in range(h + 1, len(grid))]
    long = "material" in col_of
    if not ({"owner", "owner_id"} & set(col_of)) or (not long and "quantity" in col_of):
        raise DataError([Problem("material_layout", file, {"found": [n for n in names if n]})])
    material_cols = [] if long else [c for c, v in enumerate(names) if v and not fields[c]
                                     and normalise(v) not in _NOT_MATERIAL]
    if not long and not any(index.code(names[c]) for c in material_cols):
        raise DataError([Problem("material_layout", file, {"found": [n for n in names if n]})])
    by_code = config.catalogue.by_code()
    owners_ix = _Owners(owners)
    owner_zh, owner_en = _OWNER[kind]
    out: list[dict[str, Any]] = []
    rejects: list[dict[str, Any]] = []
    seen: dict[tuple, int] = {}
    last_owner = None

    def reject(row: int, cells: list, code: str, **params: Any) -> None:
        p = Problem(code, file, {"row": row, **params})
        raw_cells = {str(names[c] or f"列{c + 1}"): v for c, v in enumerate(cells) if v is not None and c < len(names)}
        rejects.append({"source": src.table.name, "row_number": row, "reason_code": code, "reason": p.reason("zh"),
                        "reason_en": p.reason("en"), "raw": json.dumps(raw_cells, ensure_ascii=False)})

    def cell(cells: list, f: str) -> str | None:
        c = col_of.get(f)
        return cells[c] if c is not None and c < len(cells) else None

    n_in = 0
    for row, cells in body:
        if not any(v is not None for v in cells):
            continue
        n_in += 1
        owner_text = cell(cells, "owner_id") or cell(cells, "owner")
        if owner_text is None and raw.format == "xlsx":
            owner_text = last_owner  # a vertically merged depot cell
        last_owner = owner_text if owner_text is not None else last_owner
        texts = {owner_text, cell(cells, "material")}
        if any(t and name_key(t) in _TOTAL_WORDS for t in texts):
            reject(row, cells, "material_total_row")
            continue
        if owner_text is None:
            reject(row, cells, "material_empty", field=names[col_of.get("owner", col_of.get("owner_id"))])
            continue
        owner = owners_ix.find(owner_text)
        if isinstance(owner, list):
            reject(row, cells, "material_owner_ambiguous", found=owner_text, ids="、".join(owner))
            continue
        if owner is None:
            reject(row, cells, "material_no_owner", found=owner_text, owner=owner_zh, owner_en=owner_en,
                   suggest=owners_ix.suggest(owner_text))
            continue
        items = ([(cell(cells, "material"), cell(cells, "quantity"), cell(cells, "unit"), names[col_of["quantity"]]
                   if "quantity" in col_of else "数量")] if long else
                 [(split_unit(names[c])[0], cells[c] if c < len(cells) else None, split_unit(names[c])[1], names[c])
                  for c in material_cols])
        for mat_text, qty_text, unit_text, qty_field in items:
            if not long and qty_text is None:
                continue
            if mat_text is None:
                reject(row, cells, "material_empty", field=names[col_of["material"]])
                continue
            code = index.code(mat_text)
            if code is None:
                reject(row, cells, "material_unknown", found=mat_text, suggest="、".join(index.suggest(mat_text)) or "-")
                continue
            m = by_code[code]
            qty = parse_number(qty_text)
            if qty is None or math.isnan(qty) or qty < 0:
                reject(row, cells, "material_quantity", field=qty_field, found=qty_text or "")
                continue
            factor = m.factor(unit_text)
            if factor is None:
                reject(row, cells, "material_unit", material=m.name, found=unit_text, expected=m.unit,
                       known="、".join([m.unit, *m.convert]))
                continue
            spec = cell(cells, "spec") if long else None
            key = (owner, code, spec)
            if key in seen:
                reject(row, cells, "material_duplicate", first=seen[key], owner=owner_zh, owner_en=owner_en)
                continue
            seen[key] = row
            rec = {"owner": owner, "material": code, "quantity": qty * factor, "unit": m.unit,
                   "quantity_raw": qty_text, "unit_raw": unit_text or m.unit, "synthetic": src.table.synthetic,
                   "source": src.table.name, "source_row": int(row)}
            if kind == "stock":
                rec.update(spec=spec, as_of=cell(cells, "as_of") or src.as_of, expiry=cell(cells, "expiry"))
            else:
                ramp = parse_number(cell(cells, "ramp_h"))
                agreement_text = cell(cells, "agreement")
                agreement = _AGREEMENT_KEYS.get(normalise(agreement_text)) if agreement_text else "none"
                if ramp is not None and (math.isnan(ramp) or ramp < 0):
                    reject(row, cells, "material_quantity", field=names[col_of["ramp_h"]], found=cell(cells, "ramp_h"))
                    del seen[key]
                    continue
                if agreement is None:
                    reject(row, cells, "material_agreement", found=agreement_text)
                    del seen[key]
                    continue
                rec.update(ramp_h=0.0 if ramp is None else ramp, agreement=agreement)
            out.append(rec)
    rows = pd.DataFrame(out)
    return Loaded(rows, rejects, n_in, raw.sha256, "long" if long else "wide")


def stock_arrow(rows: pd.DataFrame) -> pa.Table:
    """``stock`` rows as Arrow (the store's column names)."""
    df = rows.rename(columns={"owner": "reserve"})
    cols = ["reserve", "material", "quantity", "unit", "spec", "as_of", "expiry", "quantity_raw", "unit_raw",
            "synthetic", "source", "source_row"]
    return pa.Table.from_pandas(df.reindex(columns=cols), preserve_index=False)


def capacity_arrow(rows: pd.DataFrame) -> pa.Table:
    """``capacity`` rows as Arrow; the quantity is ``per_day``."""
    df = rows.rename(columns={"owner": "enterprise", "quantity": "per_day"})
    cols = ["enterprise", "material", "per_day", "unit", "ramp_h", "agreement", "quantity_raw", "unit_raw",
            "synthetic", "source", "source_row"]
    return pa.Table.from_pandas(df.reindex(columns=cols), preserve_index=False)


# --- the region's materials, as one step of check_sources / build_store ------------------------


@dataclass
class MaterialsChecked:
    """The catalogue configuration, every ledger read and the file-level problems."""

    config: MaterialsConfig | None
    ledgers: list[tuple[LedgerSource, Loaded]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def rejects(self) -> list[dict[str, Any]]:
        return [r for _, loaded in self.ledgers for r in loaded.rejects]


def check_materials(region_path: Path, hazard_breaks: dict[str, int], reserves: pd.DataFrame,
                    enterprises: pd.DataFrame) -> MaterialsChecked:
    """Read the ``[materials]`` catalogue and every ``[[stock]]`` / ``[[capacity]]`` ledger.

    ``reserves`` and ``enterprises`` are the loaded rows (``id``, ``name``) the ledgers refer to.
    """
    import tomllib  # noqa: PLC0415

    from etl.catalogue import load_materials  # noqa: PLC0415

    doc = tomllib.loads(Path(region_path).read_text(encoding="utf-8"))
    out = MaterialsChecked(config=None)
    sources, out.problems = parse_sources(doc, Path(region_path))
    try:
        out.config = load_materials(doc, Path(region_path), hazard_breaks)
    except DataError as exc:
        out.problems += exc.problems
    if sources and out.config is None and "materials" not in doc:
        out.problems.append(Problem("region_missing_key", str(region_path), {
            "key": "materials.catalogue", "expected": "the file path"}))
    if out.config is None:
        return out
    for src in sources:
        try:
            out.ledgers.append((src, load_ledger(src, out.config, reserves if src.kind == "stock" else enterprises)))
        except DataError as exc:
            out.problems += exc.problems
    return out


def materials_tables(checked: MaterialsChecked) -> tuple[dict[str, pa.Table | None], list[dict[str, Any]],
                                                          dict[str, Any] | None]:
    """Store tables, ``sources`` rows and the ``meta["materials"]`` entry of a checked region."""
    cfg = checked.config
    if cfg is None:
        return {}, [], None
    cat = cfg.catalogue
    materials = pa.table({
        "code": [m.code for m in cat.materials], "name": [m.name for m in cat.materials],
        "name_en": [m.name_en for m in cat.materials], "category": [list(m.category) for m in cat.materials],
        "unit": [m.unit for m in cat.materials], "aliases": [list(m.aliases) for m in cat.materials],
        "convert": [json.dumps(m.convert, ensure_ascii=False) for m in cat.materials]})
    norms = [(m.code, n) for m in cat.materials for n in m.norms]
    material_norms = pa.table({
        "material": [c for c, _ in norms], "hazard": [n.hazard for _, n in norms], "per": [n.per for _, n in norms],
        "quantity": [n.quantity for _, n in norms], "per_day": [n.per_day for _, n in norms],
        "source": [n.source for _, n in norms]})
    parts: dict[str, list[pd.DataFrame]] = {"stock": [], "capacity": []}
    sources = []
    for src, loaded in checked.ledgers:
        if len(loaded.rows):
            parts[src.kind].append(loaded.rows)
        sources.append({"source": src.table.name, "entity": src.kind, "path": str(src.table.path),
                        "sha256": loaded.sha256, "rows_in": loaded.rows_in, "rows_loaded": len(loaded.rows),
                        "rows_rejected": len(loaded.rejects), "synthetic": src.table.synthetic, "crs": None})
    tables: dict[str, pa.Table | None] = {"materials": materials, "material_norms": material_norms}
    for kind, to_arrow in (("stock", stock_arrow), ("capacity", capacity_arrow)):
        tables[kind] = to_arrow(pd.concat(parts[kind], ignore_index=True)) if parts[kind] else None
    meta = {"catalogue": str(cat.path), "name": cat.name, "name_en": cat.name_en, "note": cat.note,
            "household_size": cfg.household_size, "days": cfg.days,
            "shares": {h: {k: list(v) for k, v in d.items()} for h, d in cfg.shares.items()},
            "event_shares": {h: {k: list(v) for k, v in d.items()} for h, d in cfg.event_shares.items()}}
    return tables, sources, meta
