"""Facilities in a view: parks, enterprises and reserves as points or counted per H3 cell.

Filters (chains, park levels, reserve tiers/kinds, above-size/leading) are checked against the
schema's vocabularies and go to DuckDB as ``?`` values; identifiers come from its allowlist.
"""

from __future__ import annotations

import logging
from typing import Any, Sequence

import h3
import numpy as np

from etl import schema
from layers.map.viewport import Viewport, check_int, resolution_for_zoom
from layers.store import Store, json_ready

logger = logging.getLogger(__name__)

#: Columns sent for each entity besides id, name, lon, lat (allowlisted by etl.schema).
POINT_COLUMNS: dict[str, tuple[str, ...]] = {
    "parks": ("level", "role", "chains", "precision", "city"),
    "enterprises": ("chains", "leading", "above_size", "precision", "city"),
    "reserves": ("tier", "kind", "categories", "precision", "city"),
}
#: Which points come first when ``limit`` cuts (constant SQL, never user input).
_POINT_ORDER = {"parks": "id", "enterprises": '"leading" DESC, output_yi DESC NULLS LAST, id',
                "reserves": "id"}


#: Facility filters: keyword -> (column, vocabulary); a filter applies to the entities whose
#: table has the column (chains: parks, enterprises; levels: parks; tiers, kinds: reserves).
FILTERS: dict[str, tuple[str, dict[str, tuple[str, str]]]] = {
    "chains": ("chains", schema.CHAINS), "levels": ("level", schema.PARK_LEVELS),
    "tiers": ("tier", schema.RESERVE_TIERS), "kinds": ("kind", schema.RESERVE_KINDS)}
FLAGS = {"above_size_only": "above_size", "leading_only": "leading"}  # enterprises only
MAX_FILTER_ITEMS = 20
Codes = Sequence[str] | None


def _filters_in_view(entity: str, view: Viewport, **filters: Any) -> tuple[str, list, dict]:
    """WHERE clause, ``?`` values and applied filters: the points of ``entity`` in ``view``.

    ``FILTERS`` keywords take a list of at most ``MAX_FILTER_ITEMS`` codes: a row matches when
    its value (chains: any of them) is listed, so ``[]`` matches nothing; ``None``: no filter.
    ``FLAGS`` take a bool (True keeps only those rows). ValueError for an unknown entity,
    keyword or code, a filter on an entity without its column, a non-list, too many items or
    a non-bool flag.
    """
    if not isinstance(entity, str) or entity not in schema.ENTITIES:
        raise ValueError(f"unknown entity {entity!r:.40}; expected one of {list(schema.ENTITIES)}")
    sql, params, applied = [], [], {}
    for key, value in filters.items():
        if key not in FILTERS and key not in FLAGS:
            raise ValueError(f"unknown filter {key!r}; expected one of {[*FILTERS, *FLAGS]}")
        if key in FLAGS and not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{key} must be True or False, got {value!r:.40}")
        if value is None or (key in FLAGS and not value):
            continue
        column = FLAGS[key] if key in FLAGS else FILTERS[key][0]
        if column not in schema.ALLOWED_COLUMNS[entity]:
            users = [e for e in schema.ENTITIES if column in schema.ALLOWED_COLUMNS[e]]
            raise ValueError(f"filter {key} does not apply to {entity}, only to {users}")
        col = schema.quote(schema.check_identifier(entity, column))
        if key in FLAGS:
            sql.append(col)
            applied[key] = True
            continue
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{key} must be a list of codes, got {value!r:.40}")
        if len(value) > MAX_FILTER_ITEMS:
            raise ValueError(f"{key} has {len(value)} items; at most {MAX_FILTER_ITEMS} allowed")
        vocab = FILTERS[key][1]
        bad = [v for v in value if not isinstance(v, str) or v not in vocab]
        if bad:
            raise ValueError(f"{key} has unknown codes {bad!r:.80}; expected some of {list(vocab)}")
        sql.append(f"list_has_any({col}, ?::VARCHAR[])" if key == "chains"
                   else f"list_contains(?::VARCHAR[], {col})")
        params.append(applied.setdefault(key, list(dict.fromkeys(value))))
    return (" AND ".join(["lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?", *sql]),
            [view.south, view.north, view.west, view.east, *params], applied)


def facility_points_in_view(
        store: Store, entity: str, viewport: Viewport, *, limit: int = 5000,
        chains: Codes = None, levels: Codes = None, tiers: Codes = None, kinds: Codes = None,
        above_size_only: bool = False, leading_only: bool = False) -> dict[str, Any]:
    """The parks, enterprises or reserves in ``viewport`` (edges included) as parallel arrays.

    ``entity`` is one of ``etl.schema.ENTITIES``. At most ``limit`` points come back: leading
    and larger enterprises first, other entities in id order. Filters (``FILTERS``, ``FLAGS``):
    ``chains`` (parks, enterprises: any overlap), ``levels`` (parks), ``tiers`` and ``kinds``
    (reserves), ``above_size_only`` and ``leading_only`` (enterprises); ``None`` = no filter.

    Returns
    -------
    dict
        ``entity``, ``count``, ``truncated`` (more were in view), ``filters`` (those applied);
        lists ``id``, ``name`` (plain text: render as text, never HTML), ``lon``, ``lat`` and
        ``POINT_COLUMNS[entity]``.

    Raises
    ------
    ValueError
        Unknown entity, a bad ``limit``, or a bad filter: an unknown code, a filter set on
        an entity it does not apply to, a list of more than 20, a flag that is not a bool.
    """
    limit = check_int("limit", limit, 1)
    where, params, applied = _filters_in_view(
        entity, viewport, chains=chains, levels=levels, tiers=tiers, kinds=kinds,
        above_size_only=above_size_only, leading_only=leading_only)
    columns = ("id", "name", "lon", "lat", *POINT_COLUMNS[entity])
    select = ", ".join(schema.quote(schema.check_identifier(entity, c)) for c in columns)
    df = store.query(f"SELECT {select} FROM {schema.check_identifier(entity)} WHERE {where} "
                     f"ORDER BY {_POINT_ORDER[entity]} LIMIT ?", [*params, limit + 1])
    out = {"entity": entity, "count": min(len(df), limit), "truncated": len(df) > limit,
           "filters": applied}
    for c in columns:
        col = df[c].iloc[:limit]
        out[c] = (col.astype(float).round(6).tolist() if c in ("lon", "lat")
                  else [json_ready(v) for v in col.tolist()])
    return out


def _parents(cells: np.ndarray, res: int) -> np.ndarray:
    """H3 parents at ``res`` of uint64 cells of a finer resolution (the index's bit layout:
    resolution in bits 52-55, digit ``r`` in bits ``3 * (15 - r)`` .. +2, unused digits 7)."""
    cleared = cells.astype(np.uint64) & ~np.uint64(0xF << 52)
    return cleared | np.uint64(res << 52) | np.uint64((1 << (3 * (15 - res))) - 1)


def aggregation_resolution(zoom: float, store_resolutions: Sequence[int], *, lat: float = 40.0) -> int:
    """The resolution at which to count facilities at ``zoom``: hexagons about 2.6x as wide as
    the hazard hexagons (one resolution coarser than ``resolution_for_zoom`` over all of 0-15),
    never finer than the store's finest. May be coarser than the store's coarsest: counts then
    sum over H3 parents.

    Examples
    --------
    >>> [aggregation_resolution(z, [5, 6, 7, 8, 9]) for z in (5, 7, 9, 11)]
    [3, 4, 6, 7]
    """
    fine = resolution_for_zoom(zoom, range(16), lat=lat)
    return max(0, min(fine - 1, max(store_resolutions)))


def facility_hexes_in_view(
        store: Store, entity: str, viewport: Viewport, *, res: int | None = None,
        chains: Codes = None, levels: Codes = None, tiers: Codes = None, kinds: Codes = None,
        above_size_only: bool = False, leading_only: bool = False) -> dict[str, Any]:
    """How many (filtered) facilities of ``entity`` in ``viewport`` lie in each H3 cell.

    Only points inside the view (edges included) count, so a cell on the view's edge counts
    its points inside. ``res`` (0 up to the store's finest) defaults to
    ``aggregation_resolution`` of the view's zoom; below the store's coarsest resolution the
    counts of that one are summed per H3 parent. Filters as in ``facility_points_in_view``.

    Returns
    -------
    dict
        ``entity``, ``res``, ``total`` (points counted), ``filters`` (applied) and parallel
        lists in H3 order of the cells holding two or more: ``cells`` (H3 strings), ``count``,
        ``lat``, ``lng`` (cell centres); ``singles``: the facilities alone in their cell, as
        the lists of ``facility_points_in_view`` (drawn as themselves, not as a count of 1).

    Raises
    ------
    ValueError
        Unknown entity, a resolution outside 0 to the store's finest, or a bad filter.
    """
    resolutions = sorted(int(r) for r in store.meta["resolutions"])
    if res is None:
        bbox = store.meta.get("bbox") or [0, viewport.south, 0, viewport.north]
        res = aggregation_resolution(viewport.zoom, resolutions, lat=(bbox[1] + bbox[3]) / 2)
    elif isinstance(res, bool) or not isinstance(res, (int, np.integer)) or not 0 <= res <= resolutions[-1]:
        raise ValueError(f"resolution {res!r} must be an integer from 0 to the store's finest, "
                         f"{resolutions[-1]} (the store has {resolutions})")
    stored = min((r for r in resolutions if r >= res), default=resolutions[-1])
    where, params, applied = _filters_in_view(
        entity, viewport, chains=chains, levels=levels, tiers=tiers, kinds=kinds,
        above_size_only=above_size_only, leading_only=leading_only)
    table = schema.check_identifier(entity)
    rows = store.query(
        f"SELECT c.cell, count(*) AS n, min(e.id) AS one FROM (SELECT id FROM {table} "
        f"WHERE {where}) AS e JOIN entity_cells AS c ON c.id = e.id WHERE c.entity = ? AND "
        "c.res = ? GROUP BY c.cell", [*params, entity, stored])
    cells, counts = rows["cell"].to_numpy(np.uint64), rows["n"].to_numpy(np.int64)
    ones = rows["one"].to_numpy(object)
    if stored != res and len(cells):
        cells, inverse = np.unique(_parents(cells, int(res)), return_inverse=True)
        inverse = inverse.ravel()
        counts = np.bincount(inverse, weights=counts, minlength=len(cells)).astype(np.int64)
        first = np.full(len(cells), -1)
        first[inverse[::-1]] = np.arange(len(inverse))[::-1]  # a child of each parent (the only one when n is 1)
        ones = ones[first]
    order = np.argsort(cells)
    cells, counts, ones = cells[order], counts[order], ones[order]
    alone = counts == 1
    names = [h3.int_to_str(int(c)) for c in cells[~alone]]
    lat, lng = zip(*(h3.cell_to_latlng(c) for c in names)) if names else ((), ())
    return {"entity": entity, "res": int(res), "total": int(counts.sum()), "filters": applied,
            "cells": names, "count": counts[~alone].tolist(), "lat": [round(v, 6) for v in lat],
            "lng": [round(v, 6) for v in lng], "singles": _points_by_id(store, entity, ones[alone].tolist())}


def _points_by_id(store: Store, entity: str, ids: list[Any]) -> dict[str, list[Any]]:
    """The rows of ``entity`` with these ids as the lists of ``facility_points_in_view``."""
    columns = ("id", "name", "lon", "lat", *POINT_COLUMNS[entity])
    select = ", ".join(schema.quote(schema.check_identifier(entity, c)) for c in columns)
    df = store.query(f"SELECT {select} FROM {schema.check_identifier(entity)} WHERE list_contains(?, id) "
                     f"ORDER BY id", [ids]) if ids else None
    return {c: ([] if df is None else df[c].astype(float).round(6).tolist() if c in ("lon", "lat")
                else [json_ready(v) for v in df[c].tolist()]) for c in columns}


def facilities_in_cell(store: Store, entity: str, cell: str, *, limit: int = 50, chains: Codes = None,
                       levels: Codes = None, tiers: Codes = None, kinds: Codes = None,
                       above_size_only: bool = False, leading_only: bool = False) -> dict[str, Any]:
    """The (filtered) facilities of ``entity`` inside one H3 ``cell`` of an aggregate: what a
    bubble of ``facility_hexes_in_view`` holds, for its card.

    Returns
    -------
    dict
        ``entity``, ``cell``, ``res``, ``count`` (all inside), ``truncated`` (more than
        ``limit``), ``bounds`` ``[[south, west], [north, east]]`` of the cell, and the lists of
        ``facility_points_in_view`` (``id``, ``name``, ``lon``, ``lat``, ...) for at most
        ``limit`` of them in its order (leading and larger enterprises first).

    Raises
    ------
    ValueError
        ``cell`` is not an H3 cell id, a bad ``limit``, or a bad filter.
    """
    limit = check_int("limit", limit, 1)
    if not isinstance(cell, str) or not h3.is_valid_cell(cell):
        raise ValueError(f"cell: found {cell!r:.30}; expected an H3 cell id such as '8631aa6c7ffffff'")
    res = h3.get_resolution(cell)
    ring = h3.cell_to_boundary(cell)
    lats, lngs = [p[0] for p in ring], [p[1] for p in ring]
    view = Viewport.parse([[min(lats), min(lngs)], [max(lats), max(lngs)]], 12)
    resolutions = sorted(int(r) for r in store.meta["resolutions"])
    stored = min((r for r in resolutions if r >= res), default=resolutions[-1])
    where, params, _ = _filters_in_view(entity, view, chains=chains, levels=levels, tiers=tiers, kinds=kinds,
                                        above_size_only=above_size_only, leading_only=leading_only)
    table = schema.check_identifier(entity)
    columns = ("id", "name", "lon", "lat", *POINT_COLUMNS[entity])
    select = ", ".join(f"e.{schema.quote(schema.check_identifier(entity, c))}" for c in columns)
    df = store.query(f"SELECT {select}, c.cell AS _cell FROM {table} AS e JOIN entity_cells AS c ON c.id = e.id "
                     f"WHERE {where.replace('lat ', 'e.lat ').replace('lon ', 'e.lon ')} AND c.entity = ? "
                     f"AND c.res = ? ORDER BY {_POINT_ORDER[entity].replace('id', 'e.id')}",
                     [*params, entity, stored])
    inside = _parents(df["_cell"].to_numpy(np.uint64), res) == np.uint64(h3.str_to_int(cell)) if len(df) else []
    df = df[inside] if len(df) else df
    out = {"entity": entity, "cell": cell, "res": int(res), "count": int(len(df)), "truncated": len(df) > limit,
           "bounds": [[min(lats), min(lngs)], [max(lats), max(lngs)]]}
    for c in columns:
        col = df[c].iloc[:limit]
        out[c] = (col.astype(float).round(6).tolist() if c in ("lon", "lat")
                  else [json_ready(v) for v in col.tolist()])
    return out
