"""What the map says about one place or one facility: the cards behind a click.

``cell_card`` describes the H3 cell under a clicked point (its admin units, every hazard's
statistics, the facilities in and around it); ``facility_card`` one park, enterprise or
reserve. Both return plain JSON-ready Python (str, int, float, bool, None, lists, dicts).
"""

from __future__ import annotations

import logging
import math
from typing import Any

import h3
import numpy as np

from etl import schema
from layers.frames import facility_materials
from layers.map.viewport import ViewportError, check_number
from layers.store import Store, json_ready

logger = logging.getLogger(__name__)

MAX_ID_LENGTH = 200
#: Levels of an admin chain, coarsest last (the keys of ``admin`` in the cards).
ADMIN_KEYS = ("county", "city", "province")


class NotFoundError(LookupError):
    """No facility or admin unit with that key; ``code`` and ``params`` for translation.

    Codes: ``unknown_facility`` (params ``entity``, ``id``) and ``unknown_adcode`` (params
    ``adcode``, ``suggestions``: up to five ``"adcode name"`` strings).
    """

    def __init__(self, code: str, message: str, **params: Any):
        self.code, self.params = code, params
        super().__init__(message)

    def __str__(self) -> str:  # LookupError would not quote, KeyError would
        return str(self.args[0])


def check_text(name: str, value: Any, max_length: int = MAX_ID_LENGTH) -> str:
    """``value`` if it is a non-empty str of at most ``max_length`` characters, else ValueError."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, got {type(value).__name__} {value!r:.40}")
    if not 0 < len(value) <= max_length:
        raise ValueError(f"{name} must have 1 to {max_length} characters, got {len(value)}")
    return value


def check_resolution(store: Store, res: Any) -> int:
    """``res`` if it is one of the store's resolutions (meta 'resolutions'), else ValueError."""
    resolutions = sorted(int(r) for r in store.meta["resolutions"])
    if isinstance(res, bool) or not isinstance(res, (int, np.integer)) or res not in resolutions:
        raise ValueError(f"resolution {res!r:.40} is not in the store; it has {resolutions}")
    return int(res)


def _sig(value: Any, digits: int = 4) -> float | None:
    """A float rounded to ``digits`` significant digits (None for None/NaN)."""
    if value is None or not math.isfinite(value):
        return None
    if value == 0:
        return 0.0
    return round(float(value), digits - 1 - math.floor(math.log10(abs(value))))


def admin_chain(store: Store, adcode: str | None) -> dict[str, dict[str, str] | None]:
    """``{county, city, province}`` -> ``{adcode, name}`` or None: ``adcode`` and its parents."""
    out: dict[str, dict[str, str] | None] = dict.fromkeys(ADMIN_KEYS)
    if adcode is None:
        return out
    rows = store.query(
        "WITH RECURSIVE up(adcode, name, level, parent, depth) AS (SELECT adcode, name, level, "
        "parent, 0 FROM admin_units WHERE adcode = ? UNION ALL SELECT u.adcode, u.name, u.level, "
        "u.parent, up.depth + 1 FROM admin_units AS u JOIN up ON u.adcode = up.parent WHERE "
        "up.depth < 5) SELECT adcode, name, level FROM up", [adcode])
    for code, name, level in rows.itertuples(index=False):
        if level in out and out[level] is None:
            out[level] = {"adcode": code, "name": name}
    return out


def _cell_admin(store: Store, cell: int, res: int) -> dict[str, dict[str, str] | None]:
    """The admin units of ``cell`` from ``admin_cells`` (the county holding its centre).

    If ``admin_cells`` has no rows at ``res`` at all, the cell's centre child at the nearest
    finer resolution it has stands in (an H3 cell and its centre child share their centre),
    else its parent at the nearest coarser one.
    """
    sql = "SELECT county, city, province FROM admin_cells WHERE res = ? AND cell = ?"
    rows = store.query(sql, [res, cell])
    if rows.empty and store.query("SELECT 1 FROM admin_cells WHERE res = ? LIMIT 1", [res]).empty:
        have = store.query("SELECT DISTINCT res FROM admin_cells")["res"].astype(int).tolist()
        finer = [r for r in have if r > res]
        if have:
            use = min(finer) if finer else max(have)
            cell = h3.str_to_int(h3.cell_to_center_child(h3.int_to_str(cell), use) if finer
                                 else h3.cell_to_parent(h3.int_to_str(cell), use))
            logger.debug("admin_cells has no res %d: using res %d", res, use)
            rows = store.query(sql, [use, cell])
    out: dict[str, dict[str, str] | None] = dict.fromkeys(ADMIN_KEYS)
    if rows.empty:
        return out
    codes = {k: rows[k].iloc[0] for k in ADMIN_KEYS if isinstance(rows[k].iloc[0], str)}
    names = store.query("SELECT adcode, name FROM admin_units WHERE list_contains(?::VARCHAR[], "
                        "adcode)", [list(codes.values())])
    by_code = dict(zip(names["adcode"], names["name"]))
    for key, code in codes.items():
        out[key] = {"adcode": code, "name": by_code.get(code)}
    return out


def _hazards(store: Store, cell: int, res: int) -> list[dict[str, Any]]:
    """Every hazard layer (store order) with this cell's statistics, all None without a row."""
    df = store.query(
        "SELECT l.hazard, l.units, l.breaks, l.labels, l.synthetic, l.description, h.max, h.mean, h.p90, h.class AS cls, "
        "h.shares, h.sampled FROM hazard_layers AS l LEFT JOIN (SELECT * FROM hazard_cells WHERE "
        "res = ? AND cell = ?) AS h ON h.hazard = l.hazard ORDER BY l.rowid", [res, cell])
    out = []
    vector = store.meta.get("hazard_vector") or {}
    for row in df.itertuples(index=False):
        breaks, labels = json_ready(row.breaks), json_ready(row.labels)
        item = {"hazard": row.hazard, "units": row.units, "breaks": breaks, "labels": labels,
                "synthetic": bool(row.synthetic), "description": row.description or "",
                "lower_is_worse": bool(vector.get(row.hazard, {}).get("lower_is_worse")),
                **dict.fromkeys(("max", "mean", "p90", "cls", "label", "share_at_or_above",
                                 "sampled"))}
        if json_ready(row.cls) is not None:
            cls, shares = int(row.cls), [round(float(s), 4) for s in row.shares]
            if len(shares) != len(breaks):
                logger.warning("%s: %d shares for %d breaks", row.hazard, len(shares), len(breaks))
            item.update(max=_sig(row.max), mean=_sig(row.mean), p90=_sig(row.p90), cls=cls,
                        label=labels[cls] if 0 <= cls < len(labels) else None,
                        share_at_or_above=shares, sampled=bool(row.sampled))
        out.append(item)
    return out


def cell_card(store: Store, lat: float, lng: float, res: int) -> dict[str, Any]:
    """What is known about the H3 cell at ``res`` holding the point ``lat``, ``lng``.

    Parameters
    ----------
    store
        An open store.
    lat, lng
        WGS-84 degrees (e.g. a map click: Leaflet's ``[lat, lng]``).
    res
        One of the store's resolutions (meta 'resolutions').

    Returns
    -------
    dict
        ``cell`` (H3 string), ``res``, ``lat``/``lng`` (the cell centre), ``area_km2``;
        ``admin``: ``{county, city, province}``, each ``{adcode, name}`` or None, from
        ``admin_cells`` (the county holding the cell's centre; None for cells centred outside
        every county); ``hazards``: per hazard layer in store order ``{hazard, units, breaks,
        labels, synthetic, description, lower_is_worse, max, mean, p90, cls, label,
        share_at_or_above, sampled}`` where ``share_at_or_above[i]`` is the share of the cell
        in class > i: with value >= ``breaks[i]`` (for ``lower_is_worse`` layers, below
        ``breaks[n-1-i]``)
        (the values are None when the cell has no statistics); ``counts``: per entity
        ``{in_cell, around}``, around = the cell and its ring-1 neighbours (``h3.grid_disk``
        k=1, ``around_cells`` of them); ``around_km``: radius of the circle with the area of
        those cells (their outline lies 0.83-1.1 x ``around_km`` from the centre).

    Raises
    ------
    ViewportError
        (a ValueError, with ``code``/``params``) lat or lng not a finite number, lat outside
        [-90, 90] or lng outside [-180, 180].
    ValueError
        A resolution the store lacks.

    Examples
    --------
    >>> card = cell_card(store, 39.9, 116.4, 8)  # doctest: +SKIP
    >>> card["admin"]["county"]["name"], card["hazards"][0]["label"]  # doctest: +SKIP
    ('东城区', '<0.15 m')
    """
    lat, lng = check_number("lat", lat), check_number("lng", lng)
    for name, value, limit in (("lat", lat, 90), ("lng", lng, 180)):
        if not -limit <= value <= limit:
            raise ViewportError("out_of_range", f"{name} {value} is outside [-{limit}, {limit}]",
                                name=name)
    res = check_resolution(store, res)
    cell = h3.latlng_to_cell(lat, lng, res)
    cell_int, disk = h3.str_to_int(cell), h3.grid_disk(cell, 1)
    disk_ints = [h3.str_to_int(c) for c in disk]
    rows = store.query(
        "SELECT entity, count(*) FILTER (WHERE cell = ?) AS in_cell, count(*) AS around FROM "
        "entity_cells WHERE res = ? AND list_contains(?::UBIGINT[], cell) GROUP BY entity",
        [cell_int, res, disk_ints])
    found = {e: (int(i), int(a)) for e, i, a in rows.itertuples(index=False)}
    counts = {e: dict(zip(("in_cell", "around"), found.get(e, (0, 0)))) for e in schema.ENTITIES}
    centre = h3.cell_to_latlng(cell)
    disk_km2 = sum(h3.cell_area(c, "km^2") for c in disk)
    return {"cell": cell, "res": res, "lat": round(centre[0], 6), "lng": round(centre[1], 6),
            "area_km2": round(h3.cell_area(cell, "km^2"), 4),
            "admin": _cell_admin(store, cell_int, res), "hazards": _hazards(store, cell_int, res),
            "counts": counts, "around_cells": len(disk),
            "around_km": round(math.sqrt(disk_km2 / math.pi), 2)}


def facility_card(store: Store, entity: str, id: str) -> dict[str, Any]:  # noqa: A002
    """Everything the store holds about one park, enterprise or reserve.

    Parameters
    ----------
    store
        An open store.
    entity
        One of ``etl.schema.ENTITIES``.
    id
        The facility id (a string of 1-200 characters).

    Returns
    -------
    dict
        Every column of the entity's table (``id``, ``name``, ``lon``, ``lat``, ``precision``,
        ``adcode``, ``address``, ``synthetic``, ``source``, ``source_row`` and the entity's
        own, e.g. ``chains``; lists as lists, missing values None), plus ``entity``,
        ``source_file`` (the source's path from ``sources``, None if unlisted) and ``admin``
        (``{county, city, province}`` from the row's adcode up its parents) and ``materials``
        (a depot's stock or an enterprise's production capacity, ``layers.frames.facility_materials``).

    Raises
    ------
    ValueError
        Unknown entity, or an id that is not a string of 1-200 characters.
    NotFoundError
        (a LookupError) No row with that id; ``code`` 'unknown_facility'.
    """
    if not isinstance(entity, str) or entity not in schema.ENTITIES:
        raise ValueError(f"unknown entity {entity!r:.40}; expected one of {list(schema.ENTITIES)}")
    id = check_text("id", id)  # noqa: A001
    df = store.query(f"SELECT e.*, s.path AS source_file FROM {schema.check_identifier(entity)} "
                     "AS e LEFT JOIN sources AS s ON s.source = e.source WHERE e.id = ?", [id])
    if df.empty:
        raise NotFoundError("unknown_facility", f"no {entity} with id {id!r} in the store",
                            entity=entity, id=id)
    out = {c: json_ready(v) for c, v in df.iloc[0].items()}
    return {**out, "entity": entity, "admin": admin_chain(store, out.get("adcode")),
            "materials": facility_materials(store, entity, id)}
