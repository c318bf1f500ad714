"""How much work an analysis would be, counted before it runs, and the refusal when it is too much.

A server must not let one request exhaust a worker: 优化选址 at resolution 9 over the whole
region compares every candidate cell with every demand cell (2.9 million x 0.9 million pairs)
and grows a process to tens of GB. ``check_work`` counts, with a few ``COUNT(*)`` queries on
``admin_cells``/``hazard_cells`` (milliseconds), what the analysis would process:

* cells: the cells at ``res`` in the region or the unit (every analysis but siting; dispatch
  counts the event's disc for a point event and the whole area otherwise);
* pairs (siting): candidate cells x demand (at-risk) cells, the size of its coverage matrix.

and raises ``WorkTooLarge`` (a ``ValueError`` with ``zh``/``en`` texts) naming the finest
resolution that would fit, or asking for a smaller unit when none does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import h3

from etl import schema

#: Analyses whose work is candidates x demand (the rest: cells).
PAIRS_KINDS = ("siting",)
#: Analyses whose demand is at-risk cells (hazard, class) rather than every cell.
DEMAND_KINDS = ("gaps", "chains", "coordination", "siting")


@dataclass(frozen=True)
class Budget:
    """Most cells one analysis may process, and most candidate x demand pairs (siting)."""

    cells: int = 500_000
    pairs: int = 10_000_000_000  # res 7 region-wide 3.4e9: 1.1 s, 0.8 GB; res 8: 5.4e10, 11 s, 2.1 GB

    def limit_for(self, kind: str) -> int:
        """The limit that applies to analysis ``kind`` (pairs for siting, else cells)."""
        return self.pairs if kind in PAIRS_KINDS else self.cells


class WorkTooLarge(ValueError):
    """An analysis over the budget; ``zh``/``en`` say what would fit."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


def _unit_level(store: Any, unit: str | None) -> tuple[str | None, str]:
    """(column of admin_cells, unit name) of ``unit``; (None, region) for the whole region."""
    if not unit:
        return None, ""
    row = store.query("SELECT level, name FROM admin_units WHERE adcode = ?", [str(unit)])
    if row.empty or row["level"].iloc[0] not in ("province", "city", "county"):
        raise ValueError(f"adcode: found {unit!r:.20}, not in the store's admin_units")
    return str(row["level"].iloc[0]), str(row["name"].iloc[0])


def _cells(store: Any, res: int, level: str | None, unit: str | None) -> int:
    where = "" if level is None else f" AND {schema.quote(schema.check_identifier('admin_cells', level))} = ?"
    params = [int(res)] + ([str(unit)] if level else [])
    return int(store.query(f"SELECT count(*) AS n FROM admin_cells WHERE res = ?{where}", params)["n"].iloc[0])


def _demand(store: Any, res: int, hazard: str | None, min_class: Any, level: str | None, unit: str | None) -> int:
    """At-risk cells (class >= min_class, default 1) of ``hazard`` (None/"any": every hazard)."""
    low = int(min_class) if isinstance(min_class, (int, float)) and not isinstance(min_class, bool) else 1
    sql = "SELECT count(DISTINCT h.cell) AS n FROM hazard_cells h"
    params: list[Any] = []
    if level:
        sql += (" JOIN admin_cells a ON a.res = h.res AND a.cell = h.cell AND "
                f"a.{schema.quote(schema.check_identifier('admin_cells', level))} = ?")
        params.append(str(unit))
    sql += " WHERE h.res = ? AND h.class >= ?"
    params += [int(res), max(low, 1)]
    if hazard and hazard != "any":
        sql += " AND h.hazard = ?"
        params.append(str(hazard))
    return int(store.query(sql, params)["n"].iloc[0])


def work_amount(store: Any, kind: str, res: int, *, unit: str | None = None, hazard: str | None = None,
                min_class: Any = None, radius_km: float | None = None) -> int:
    """Cells (or, for siting, candidate x demand pairs) that ``kind`` would process at ``res``."""
    level, _ = _unit_level(store, unit)
    if kind in PAIRS_KINDS:
        return _cells(store, res, level, unit) * _demand(store, res, hazard, min_class, level, unit)
    if kind == "dispatch" and radius_km is not None:
        disc = math.pi * float(radius_km) ** 2 / h3.average_hexagon_area(int(res), unit="km^2")
        return min(int(disc) + 1, _cells(store, res, None, None))
    if kind in DEMAND_KINDS:
        return _demand(store, res, hazard, min_class, level, unit)
    return _cells(store, res, level, unit)


def coarser_fit(store: Any, kind: str, res: int, limit: float, **args: Any) -> tuple[int, int] | None:
    """The finest of the store's resolutions coarser than ``res`` whose work (``work_amount`` with
    ``args``) is at most ``limit``, with that work; None when none is."""
    coarser = sorted((int(r) for r in store.meta.get("resolutions", []) if int(r) < int(res)), reverse=True)
    return next(((r, n) for r in coarser if (n := work_amount(store, kind, r, **args)) <= limit), None)


def check_work(store: Any, kind: str, res: int, budget: Budget, *, unit: str | None = None,
               hazard: str | None = None, min_class: Any = None, radius_km: float | None = None) -> int:
    """The work of ``kind`` at ``res`` (``work_amount``) if within ``budget``.

    Raises
    ------
    WorkTooLarge
        Over the budget; the message names the finest of the store's resolutions that fits
        (with its amount), or asks for a smaller unit when none does.
    ValueError
        ``unit`` is not a province, city or county of the store.
    """
    args = {"unit": unit, "hazard": hazard, "min_class": min_class, "radius_km": radius_km}
    amount = work_amount(store, kind, res, **args)
    limit = budget.limit_for(kind)
    if amount <= limit:
        return amount
    _, name = _unit_level(store, unit)
    where_zh, where_en = (f"在{name}", f"in {name}") if name else ("全区", "over the whole region")
    what_zh, what_en = ("个“候选格网 × 需求格网”组合", " candidate x demand cell pairs") if kind in PAIRS_KINDS \
        else ("个格网", " cells")
    zh = (f"分析范围过大，未运行：{where_zh}第 {res} 级分辨率约有 {amount:,}{what_zh}，"
          f"超过每次分析的上限 {limit:,}。")
    en = (f"Too large to run: at resolution {res} {where_en} this is about {amount:,}{what_en}, "
          f"over the limit of {limit:,} per analysis. ")
    fit = coarser_fit(store, kind, res, limit, **args)
    if fit:
        zh += f"请改用第 {fit[0]} 级分辨率（约 {fit[1]:,}{what_zh}）"
        en += f"Choose resolution {fit[0]} (about {fit[1]:,}{what_en})"
        zh += "，或选择更小的市、县。"
        en += " or a smaller city or county."
    else:
        zh += "请选择更小的市、县，或缩小事件范围。" if kind == "dispatch" else "请选择更小的市、县再分析。"
        en += "Choose a smaller event area." if kind == "dispatch" else "Choose a smaller city or county."
    raise WorkTooLarge(zh, en)
