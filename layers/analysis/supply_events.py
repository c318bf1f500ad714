"""Material needs of a dispatch event (供需对接 for one event): a point with a radius, a drawn polygon
or an earthquake scenario, then the same allocation as ``supply_from_store``.

Needs. The event's cells (built by ``layers.analysis.dispatch``, at the supply resolution) that lie
in the region and have people in ``exposure_cells`` count. Each cell gets one class:

- ``footprint`` (a point's radius or a drawn polygon): the one class of the region file's
  ``materials.event_shares.footprint``;
- ``intensity`` (an earthquake scenario): the cell's intensity class (5 = V or less .. 10 = X+,
  the PGA ranges of GB/T 17742-2008) picks one of the six ``materials.event_shares.intensity``
  shares; a point or polygon given ``intensity`` puts every cell in that class.

affected = population x affected share, displaced = population x displaced share, km2 = the
cell's area (the whole footprint counts). Per county these bases times the norms of the event's
hazard (a quake: ``earthquake``; a point or polygon: ``hazard``, default ``flood``; else the
``"*"`` norm) give the need per material (``supply.needs_from_cells``); the allocation is
``supply_from_store``'s. Errors name the input in Chinese and English (``SupplyEventError``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from layers.analysis.dispatch import EventError, event_point, event_polygon, event_quake
from layers.analysis.dispatch.events import Event
from layers.analysis.dispatch.quake import DEFAULT_MIN_PGA, MAGNITUDE_RANGE
from layers.analysis.supply import (
    DEFAULT_DEADLINES,
    DEFAULT_RES,
    MaterialsUnavailable,
    material_codes,
    materials_config,
    needs_from_cells,
    supply_from_store,
)
from layers.frames import cell_areas, region_cells
from layers.store import Store

__all__ = ["SupplyEventError", "INTENSITY_CLASSES", "event_from_spec", "event_needs", "event_supply_from_store"]

#: Intensity classes of ``materials.event_shares.intensity`` (5 = V or less, 10 = X or more).
INTENSITY_CLASSES = (5, 6, 7, 8, 9, 10)
MAX_RADIUS_KM = 200.0
_ROMAN = {5: "Ⅴ", 6: "Ⅵ", 7: "Ⅶ", 8: "Ⅷ", 9: "Ⅸ", 10: "Ⅹ"}


class SupplyEventError(ValueError):
    """A bad event input: ``str()`` is the English message, ``zh`` the Chinese one."""

    def __init__(self, en: str, zh: str):
        super().__init__(en)
        self.en, self.zh = en, zh


def _number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) \
        and math.isfinite(float(value))


def _lonlat(name: str, zh: str, value: Any, n: int = 2) -> tuple[float, ...]:
    ok = not isinstance(value, (str, bytes)) and isinstance(value, Sequence) and len(value) == n \
        and all(_number(v) for v in value)
    if not ok:
        raise SupplyEventError(f"{name}: found {value!r:.60}; expected {n} numbers (lon, lat"
                               f"{', magnitude' if n == 3 else ''})",
                               f"{zh}：应为 {n} 个数（经度、纬度{'、震级' if n == 3 else ''}），收到的不是")
    lon, lat = float(value[0]), float(value[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        swapped = abs(lat) > 90 >= abs(lon)
        raise SupplyEventError(
            f"{name}: found {lon:g},{lat:g}; expected longitude in [-180, 180] then latitude in [-90, 90]"
            + (" (they look swapped: longitude first)" if swapped else ""),
            f"{zh}：经度 {lon:g}、纬度 {lat:g} 超出范围；经度应在 -180 到 180 之间、纬度在 -90 到 90 之间"
            + ("（看起来写反了：应先写经度）" if swapped else ""))
    return tuple(float(v) for v in value)


def event_from_spec(*, at: Sequence[float] | None = None, radius_km: float | None = None, polygon: Any = None,
                    quake: Sequence[float] | None = None, min_pga: float | None = None,
                    intensity: int | None = None, hazard: str | None = None, res: int = DEFAULT_RES) -> Event:
    """Exactly one of ``at`` (+ ``radius_km``), ``polygon`` (GeoJSON), ``quake`` (lon, lat, magnitude)
    -> a dispatch ``Event`` at ``res``; every bad input raises ``SupplyEventError`` (zh + en)."""
    given = [n for n, v in (("at", at), ("polygon", polygon), ("quake", quake)) if v is not None]
    if len(given) != 1:
        raise SupplyEventError(
            f"event: found {', '.join(given) or 'none'}; expected exactly one of at (with radius_km), polygon or quake",
            f"事件：{'给出了 ' + str(len(given)) + ' 个' if given else '没有给出'}；应只给一个——"
            "中心点（经度、纬度）加半径、事件范围多边形，或地震情景（震中经度、纬度、震级）")
    if radius_km is not None and at is None:
        raise SupplyEventError("radius_km: given without at; expected radius_km with at only",
                               "半径（千米）只用于中心点事件：请同时给出中心点，或去掉半径")
    if min_pga is not None and quake is None:
        raise SupplyEventError("min_pga: given without quake; expected min_pga with quake only",
                               "峰值加速度阈值只用于地震情景：请给出震中和震级，或去掉该阈值")
    if intensity is not None and quake is not None:
        raise SupplyEventError("intensity: given with quake; expected intensity with at or polygon only (a quake's "
                               "cells carry their own intensity)",
                               "烈度只用于中心点或多边形事件；地震情景的烈度由震级和距离算出，请去掉")
    if intensity is not None and (isinstance(intensity, bool) or not isinstance(intensity, (int, np.integer))
                                  or int(intensity) not in INTENSITY_CLASSES):
        raise SupplyEventError(f"intensity: found {intensity!r:.20}; expected an integer from 5 to 10",
                               f"烈度：收到 {intensity!r:.20}，应为 5 到 10 的整数（5 表示 Ⅴ 度及以下）")
    if hazard is not None and quake is not None:
        raise SupplyEventError("hazard: given with quake; expected none (a quake's hazard is earthquake)",
                               "地震情景的灾种就是地震，请不要另给灾种")
    try:
        if at is not None:
            lon, lat = _lonlat("at", "中心点", at)
            if not _number(radius_km) or not 0 < float(radius_km) <= MAX_RADIUS_KM:
                raise SupplyEventError(
                    f"radius_km: found {radius_km!r:.20}; expected a number in (0, {MAX_RADIUS_KM:g}] km",
                    f"半径（千米）：{'未填写' if radius_km is None else '收到 ' + repr(radius_km)[:20]}，"
                    f"应为大于 0、不超过 {MAX_RADIUS_KM:g} 的数")
            return event_point(lon, lat, float(radius_km), res=res, hazard=hazard or "flood")
        if polygon is not None:
            try:
                return event_polygon(polygon, res=res, hazard=hazard or "flood")
            except EventError as exc:
                raise SupplyEventError(str(exc), "事件范围多边形无效：应为 GeoJSON 面（Polygon 或 MultiPolygon，"
                                                 "经纬度 WGS-84，闭合、不自相交）") from None
        lon, lat, mag = _lonlat("quake", "地震情景", quake, 3)
        lo, hi = MAGNITUDE_RANGE
        if not lo <= mag <= hi:
            raise SupplyEventError(f"magnitude: found {mag:g}; expected a number in [{lo:g}, {hi:g}]",
                                   f"震级：收到 {mag:g}，应在 {lo:g} 到 {hi:g} 之间")
        pga = DEFAULT_MIN_PGA if min_pga is None else min_pga
        if not _number(pga) or not 0 < float(pga) <= 2:
            raise SupplyEventError(f"min_pga: found {pga!r:.20}; expected g in (0, 2]",
                                   f"峰值加速度阈值：收到 {pga!r:.20}，应为大于 0、不超过 2 的数（单位 g）")
        try:
            return event_quake(lon, lat, mag, float(pga), res=res)
        except EventError as exc:
            raise SupplyEventError(str(exc), f"峰值加速度阈值 {float(pga):g} g 高于 {mag:g} 级地震的震中峰值加速度，"
                                             "没有受影响的范围：请降低阈值或加大震级") from None
    except EventError as exc:  # resolution or size limits of the dispatch builders
        raise SupplyEventError(str(exc), "事件范围过大或分辨率无效：请缩小半径或范围，或选用较粗的六边形分辨率") from None


def _event_shares(store: Store, kind: str) -> dict[str, list[float]]:
    shares = (materials_config(store).get("event_shares") or {}).get(kind)
    if not shares:
        raise MaterialsUnavailable(
            f"no materials.event_shares.{kind} in the region file (affected and displaced share per class of a "
            f"dispatch event); add it beside materials.shares and run onemap build")
    return shares


def event_needs(store: Store, event: Event, *, intensity: int | None = None,
                materials: Sequence[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``supply_needs``' units and needs for one event (see the module docstring).

    Raises
    ------
    MaterialsUnavailable
        No catalogue, or no ``event_shares`` of the kind the event needs.
    SupplyEventError
        The event has no cell with people in the region.
    """
    kind = "intensity" if event.intensity is not None or intensity is not None else "footprint"
    shares = _event_shares(store, kind)
    codes = material_codes(store, materials)
    cells = pd.DataFrame({"cell": np.asarray(event.cells, np.uint64), "i": np.arange(len(event.cells))})
    exposed = store.query("SELECT e.cell, e.population FROM exposure_cells e JOIN ev USING (cell) WHERE e.res = ?",
                          [int(event.res)], tables={"ev": cells[["cell"]]}).astype({"cell": np.uint64})
    rc = region_cells(store, event.res)
    exposed = exposed[np.isin(exposed["cell"].to_numpy(np.uint64), rc["cell"].to_numpy(np.uint64))]
    exposed = exposed[exposed["population"] > 0].merge(cells, on="cell")
    if exposed.empty:
        lon, lat = event.centre
        raise SupplyEventError(
            f"event: found {len(event.cells):,} cells around ({lon:.4f}, {lat:.4f}) with no people of the region "
            f"(exposure_cells at res {event.res}); expected an event over populated cells of the region",
            f"事件：中心（经度 {lon:.4f}、纬度 {lat:.4f}）周围 {len(event.cells):,} 个六边形内没有本区域的人口；"
            "请把事件放在区域内有人口的地方，或加大半径")
    pos = np.searchsorted(rc["cell"].to_numpy(np.uint64), exposed["cell"].to_numpy(np.uint64))
    if kind == "intensity":
        cls = np.asarray(event.intensity, int)[exposed["i"].to_numpy()] if event.intensity is not None \
            else np.full(len(exposed), int(intensity))
        k = np.clip(cls, INTENSITY_CLASSES[0], INTENSITY_CLASSES[-1]) - INTENSITY_CLASSES[0]
    else:
        k = np.zeros(len(exposed), int)
    pop = exposed["population"].to_numpy(float)
    df = pd.DataFrame({"cell": exposed["cell"].to_numpy(np.uint64), "unit": rc["county"].to_numpy()[pos],
                       "lat": rc["lat"].to_numpy()[pos], "lng": rc["lng"].to_numpy()[pos],
                       "terrain": rc["terrain"].astype(object).to_numpy()[pos],
                       "affected": pop * np.asarray(shares["affected"], float)[k],
                       "displaced": pop * np.asarray(shares["displaced"], float)[k],
                       "km2": cell_areas(exposed["cell"].to_numpy(np.uint64))})
    return needs_from_cells(store, df, event.hazard, codes)


def event_supply_from_store(store: Store, *, at: Sequence[float] | None = None, radius_km: float | None = None,
                            polygon: Any = None, quake: Sequence[float] | None = None, min_pga: float | None = None,
                            intensity: int | None = None, hazard: str | None = None,
                            deadlines: Sequence[float] = DEFAULT_DEADLINES, materials: Sequence[str] | None = None,
                            res: int = DEFAULT_RES, **access_overrides: Any
                            ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any], Event]:
    """Needs of one dispatch event and what stock and production deliver within each deadline.

    Give exactly one event: ``at=(lon, lat)`` with ``radius_km``, ``polygon`` (GeoJSON) or
    ``quake=(lon, lat, magnitude)`` (with ``min_pga``, g). ``intensity`` (5..10) puts a point or
    polygon in one intensity class; ``hazard`` picks a point's or polygon's norms (default flood).

    Returns
    -------
    result, flows, summary
        As ``supply_from_store``; the summary adds ``event`` (kind, centre, params, cells,
        classes) and ``hazard`` is the event's.
    event
        The dispatch ``Event`` (its geometry draws the footprint).

    Raises
    ------
    SupplyEventError
        Bad event input (Chinese in ``.zh``), or an event with nobody in the region.
    MaterialsUnavailable, ValueError
        As ``supply_from_store``.
    """
    resolutions = [int(r) for r in store.meta.get("resolutions", [])]
    if isinstance(res, bool) or not isinstance(res, (int, np.integer)) or int(res) not in resolutions:
        raise SupplyEventError(f"res: found {res!r:.20}; expected one of the store's resolutions {resolutions}",
                               f"六边形分辨率：收到 {res!r:.20}，应为数据库中已有的分辨率之一："
                               f"{'、'.join(map(str, resolutions))}")
    event = event_from_spec(at=at, radius_km=radius_km, polygon=polygon, quake=quake, min_pga=min_pga,
                            intensity=intensity, hazard=hazard, res=int(res))
    scenario = event_needs(store, event, intensity=intensity, materials=materials)
    result, flows, summary = supply_from_store(store, event.hazard, None, deadlines=deadlines, res=int(res),
                                               scenario=scenario, **access_overrides)
    units = scenario[0]
    classes = event.intensity if event.intensity is not None else (
        np.full(len(event.cells), intensity) if intensity is not None else None)
    summary["event"] = {
        "kind": event.kind, "centre": [round(event.centre[0], 6), round(event.centre[1], 6)],
        "params": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in event.params.items()},
        "cells": int(len(event.cells)), "counties": units["unit"].tolist(),
        "shares": "intensity" if classes is not None else "footprint",
        "intensity": None if classes is None else {
            _ROMAN[int(c)]: int(n) for c, n in zip(*np.unique(np.asarray(classes, int), return_counts=True))}}
    return result, flows, summary, event
