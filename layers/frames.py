"""The region's H3 cells at a resolution, with centre, county, city and terrain class.

Shared by the analyses (access, gaps, site); computed once per store build and resolution
in each process (about 2 s for the 2.9 M res-9 cells of Jing-Jin-Ji).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain
from typing import Any

import h3.api.basic_int as h3i
import numpy as np
import pandas as pd
import pyarrow as pa

from etl import schema
from layers.store import Store

#: Terrain class of a cell whose county and city are not listed in the region's terrain.
DEFAULT_TERRAIN = "plain"
#: Byte -> its two lowercase hex digits, as 2 bytes in memory order (for ``h3_strings``).
_HEX_PAIRS = np.frombuffer(b"".join(f"{i:02x}".encode() for i in range(256)), np.dtype("<u2")).copy()


def h3_strings(cells: np.ndarray) -> pd.Series:
    """H3 cell ids (uint64) as their 15-character hex strings, vectorised (= ``h3.int_to_str``)."""
    c = np.ascontiguousarray(cells, dtype=np.uint64)
    if len(c) and ((c >> np.uint64(59)) != 1).any():
        raise ValueError("cells: found ids that are not H3 cells (mode bits != 1); expected uint64 H3 cell ids")
    pairs = _HEX_PAIRS[c.astype(">u8").view(np.uint8)].view(np.uint8).reshape(-1, 16)
    data = np.ascontiguousarray(pairs[:, 1:])  # cells have 15 hex digits (top nibble is 0)
    offsets = np.arange(0, 15 * len(c) + 1, 15, dtype=np.int64)
    arr = pa.LargeStringArray.from_buffers(len(c), pa.py_buffer(offsets), pa.py_buffer(data))
    return arr.cast(pa.string()).to_pandas()  # pandas' default string dtype


def cell_areas(cells: np.ndarray) -> np.ndarray:
    """Area in km2 of each H3 cell (uint64 ids), by ``h3.cell_area``."""
    ids = np.asarray(cells, np.uint64)
    return np.fromiter((h3i.cell_area(c, "km^2") for c in ids.tolist()), float, ids.size)


def cells_in_unit(store: Store, res: int, adcode: str) -> np.ndarray:
    """The cells (uint64, ascending) of a province, city or county at ``res`` (``admin_cells``).

    Raises
    ------
    ValueError
        ``adcode`` is not a province, city or county of the store (names a few that are).
    """
    unit = store.query("SELECT level FROM admin_units WHERE adcode = ?", [str(adcode)])
    level = None if unit.empty else str(unit["level"].iloc[0])
    if level not in ("province", "city", "county"):
        some = store.query("SELECT adcode, name FROM admin_units WHERE level <> 'county' ORDER BY adcode LIMIT 3")
        raise ValueError(f"adcode: found {adcode!r:.20}, not in the store's admin_units; expected a 6-digit province, "
                         f"city or county code such as "
                         f"{', '.join(f'{a} ({n})' for a, n in zip(some['adcode'], some['name']))}")
    column = schema.quote(schema.check_identifier("admin_cells", level))
    rows = store.query(f"SELECT cell FROM admin_cells WHERE res = ? AND {column} = ? ORDER BY cell",
                       [int(res), str(adcode)])
    return rows["cell"].to_numpy(np.uint64)


_CACHE_SIZE = 4
_cells_cache: OrderedDict[tuple[str, str, int, str], pd.DataFrame] = OrderedDict()
_cells_lock = threading.Lock()


def terrain_of(county: np.ndarray, city: np.ndarray, by_unit: Mapping[str, str]) -> pd.Categorical:
    """Terrain class per cell: its county's if listed, else its city's, else ``"plain"``."""
    out = np.full(len(county), DEFAULT_TERRAIN, dtype=object)
    for codes in (city, county):  # county last: it wins over its city
        index, units = pd.factorize(pd.Series(codes, dtype=object))  # NA -> -1
        classes = np.array([by_unit.get(u) for u in units] + [None], dtype=object)
        hit = classes[index]
        mask = hit != None  # noqa: E711 (elementwise)
        out[mask] = hit[mask]
    return pd.Categorical(out)


def region_cells(store: Store, res: int) -> pd.DataFrame:
    """The region's cells at ``res`` with centre and terrain (cached per store build and res).

    Returns
    -------
    pandas.DataFrame
        ``cell`` (uint64), ``lat``, ``lng`` (centre, degrees), ``county``, ``city`` (adcodes)
        and ``terrain`` (class from meta ``standards.terrain_by_unit``), in cell order. Treat
        as read-only: the frame is shared by later calls.

    Raises
    ------
    ValueError
        ``res`` is not one of the store's resolutions.
    """
    resolutions = [int(r) for r in store.meta.get("resolutions", [])]
    if isinstance(res, bool) or not isinstance(res, (int, np.integer)) or int(res) not in resolutions:
        raise ValueError(f"res: found {res!r:.20}; expected one of the store's resolutions {resolutions}")
    by_unit = dict((store.meta.get("standards") or {}).get("terrain_by_unit") or {})
    key = (str(store.path.resolve()), str(store.meta.get("build_id")), int(res), repr(sorted(by_unit.items())))
    with _cells_lock:
        if key in _cells_cache:
            _cells_cache.move_to_end(key)
            return _cells_cache[key]
    table = schema.check_identifier("admin_cells")
    cols = ", ".join(schema.quote(schema.check_identifier(table, c)) for c in ("cell", "county", "city"))
    raw = store.query(f"SELECT {cols} FROM {table} WHERE res = ? ORDER BY cell", [int(res)], numpy=True)
    cell = np.asarray(raw["cell"], np.uint64)
    latlng = np.fromiter(chain.from_iterable(map(h3i.cell_to_latlng, cell.tolist())), np.float64,
                         count=2 * len(cell)).reshape(-1, 2)
    county, city = (np.asarray(raw[c], dtype=object) for c in ("county", "city"))
    df = pd.DataFrame({"cell": cell, "lat": latlng[:, 0], "lng": latlng[:, 1], "county": county,
                       "city": city, "terrain": terrain_of(county, city, by_unit)})
    with _cells_lock:
        _cells_cache[key] = df
        while len(_cells_cache) > _CACHE_SIZE:
            _cells_cache.popitem(last=False)
    return df


#: Default hazard class threshold (the second break and above).
DEFAULT_MIN_CLASS = 2


def cell_strings(col: pd.Series) -> pd.Series:
    """H3 cells as a string Series (from uint64 ids or strings), index reset."""
    if pd.api.types.is_integer_dtype(col.dtype):
        return h3_strings(col.to_numpy(np.uint64))
    return col.astype("string").reset_index(drop=True)


def hazard_breaks(store: Store) -> dict[str, int]:
    """hazard -> number of breaks, in store order."""
    df = store.query("SELECT hazard, len(breaks) AS n FROM hazard_layers ORDER BY rowid")
    return {str(h): int(k) for h, k in zip(df["hazard"], df["n"])}


def min_classes(min_class: Any, hazards: Mapping[str, int], chosen: Sequence[str]) -> dict[str, int]:
    """Per chosen hazard, a threshold in 1..len(breaks), from None, an int or a dict."""
    if min_class is None or isinstance(min_class, (int, np.integer)) and not isinstance(min_class, bool):
        base = {h: DEFAULT_MIN_CLASS if min_class is None else int(min_class) for h in hazards}
    elif isinstance(min_class, Mapping):
        unknown = set(min_class) - set(hazards)
        if unknown:
            raise ValueError(f"min_class: unknown hazard(s) {sorted(unknown)}; expected {list(hazards)}")
        base = {h: DEFAULT_MIN_CLASS for h in hazards}
        base.update(min_class)
    else:
        raise ValueError(f"min_class: found {min_class!r:.40}; expected an integer or a mapping hazard -> integer")
    base = {h: base[h] for h in chosen}
    for h, v in base.items():
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 1 <= v <= hazards[h]:
            raise ValueError(f"min_class.{h}: found {v!r:.40}; expected an integer in 1..{hazards[h]} "
                             f"(the {hazards[h]} breaks of {h})")
    return {h: int(v) for h, v in base.items()}


def at_risk_frames(store: Store, hazard: str, res: int, min_class: Any
             ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """(at-risk cells, their (hazard, cell, class) rows, the hazards chosen); see ``at_risk_cells``."""
    hazards = hazard_breaks(store)
    if not isinstance(hazard, str) or (hazard not in hazards and hazard != "any"):
        raise ValueError(f"hazard: found {hazard!r:.40}; expected one of {[*hazards, 'any']}")
    chosen = list(hazards) if hazard == "any" else [hazard]
    thresholds = min_classes(min_class, hazards, chosen)
    cells = region_cells(store, res)  # validates res
    risk = store.query(
        "SELECT hazard, cell, class FROM hazard_cells WHERE res = ? AND list_contains(?::VARCHAR[], hazard)",
        [int(res), chosen])
    hz_codes, hz_names = pd.factorize(risk["hazard"].astype(object))
    need = np.array([thresholds[h] for h in hz_names] + [0], np.int64)[hz_codes]
    risk = risk[risk["class"].to_numpy(np.int64) >= need].reset_index(drop=True)
    at_cells = np.unique(risk["cell"].to_numpy(np.uint64))
    pos = pd.Index(cells["cell"].to_numpy(np.uint64)).get_indexer(at_cells)
    sub = cells.iloc[pos[pos >= 0]].reset_index(drop=True)
    prov = store.query("SELECT cell, province FROM admin_cells WHERE res = ?", [int(res)])
    sub = sub.merge(prov.astype({"cell": "uint64"}), on="cell", how="left")
    sub["area_km2"] = cell_areas(sub["cell"].to_numpy(np.uint64))
    expo = store.query("SELECT cell, population FROM exposure_cells WHERE res = ?", [int(res)])
    sub = sub.merge(expo.astype({"cell": "uint64"}), on="cell", how="left")
    if hazard != "any":
        sub["hazard_class"] = (risk.set_index("cell")["class"].reindex(sub["cell"].to_numpy(np.uint64))
                               .to_numpy().astype(np.int64))
    return sub, risk, chosen


def at_risk_cells(store: Store, hazard: str = "flood", res: int = 8, *, min_class: Any = None) -> pd.DataFrame:
    """The region's cells at risk from ``hazard`` (or ``"any"``) at ``res``.

    Returns
    -------
    pandas.DataFrame
        ``cell`` (uint64), ``lat``, ``lng``, ``county``, ``city``, ``terrain`` (as
        ``region_cells``), ``province``, ``area_km2`` (``h3.cell_area``), ``population``
        (``exposure_cells``; NaN without exposure) and, for one hazard, ``hazard_class``.

    Raises
    ------
    ValueError
        Unknown hazard or resolution, ``min_class`` out of range (as ``gaps_from_store``).
    """
    return at_risk_frames(store, hazard, res, min_class)[0]


def unit_of(store: Store, codes: Iterable[Any], level: str) -> list[str | None]:
    """The unit of ``level`` above each adcode, by ``admin_units`` parent links (None: not found)."""
    units = store.query("SELECT adcode, level, parent FROM admin_units")
    lv, parent = dict(zip(units["adcode"], units["level"])), dict(zip(units["adcode"], units["parent"]))
    out: list[str | None] = []
    for code in codes:
        seen, found = 0, None
        while isinstance(code, str) and code in lv and seen < 10:
            if lv[code] == level:
                found = code
                break
            code, seen = parent.get(code), seen + 1
        out.append(found)
    return out


def entity_units(store: Store, entity: str, res: int, level: str) -> pd.DataFrame:
    """``id``, ``unit`` of ``level`` for each facility: its adcode walked up, else its cell's unit."""
    table = schema.check_identifier(entity)
    df = store.query(f"SELECT id, adcode FROM {table} ORDER BY id")
    df["unit"] = unit_of(store, df["adcode"], level)
    if df["unit"].isna().any():
        col = schema.quote(schema.check_identifier("admin_cells", level))
        pos = store.query(f"SELECT e.id, a.{col} AS unit FROM entity_cells e JOIN admin_cells a "
                          "ON a.res = e.res AND a.cell = e.cell WHERE e.entity = ? AND e.res = ?",
                          [entity, int(res)])
        fill = df["id"].map(dict(zip(pos["id"], pos["unit"])))
        df["unit"] = df["unit"].where(df["unit"].notna(), fill)
    return df[["id", "unit"]]


def population(store: Store, res: int) -> pd.DataFrame:
    """``cell`` (uint64), ``population`` from ``exposure_cells`` at ``res`` (empty when absent)."""
    has = store.query("SELECT count(*) AS n FROM information_schema.tables WHERE table_name = ?",
                      ["exposure_cells"])["n"].iloc[0]
    if not has:
        return pd.DataFrame({"cell": pd.Series(dtype=np.uint64), "population": pd.Series(dtype=float)})
    df = store.query("SELECT cell, sum(population) AS population FROM exposure_cells WHERE res = ? "
                     "GROUP BY cell", [int(res)])
    return df.astype({"cell": np.uint64, "population": float})


def population_of(pop: pd.DataFrame, cells: np.ndarray) -> np.ndarray:
    """``pop.population`` of each of ``cells`` (uint64), NaN where absent."""
    pos = pd.Index(pop["cell"].to_numpy(np.uint64)).get_indexer(cells)
    return np.where(pos >= 0, pop["population"].to_numpy(np.float64)[np.maximum(pos, 0)] if len(pop) else np.nan,
                    np.nan)


def at_risk_long(store: Store, res: int, hazards: Sequence[str], min_class: Any) -> pd.DataFrame:
    """``hazard``, ``cell`` (uint64), ``class`` of the cells at risk at ``res`` (as ``layers.analysis.gaps``)."""
    thresholds = min_classes(min_class, hazard_breaks(store), hazards)
    where = " OR ".join(["(hazard = ? AND class >= ?)"] * len(thresholds)) or "false"
    params: list[Any] = [int(res)] + [v for h, k in thresholds.items() for v in (h, int(k))]
    risk = store.query(f"SELECT hazard, cell, class FROM hazard_cells WHERE res = ? AND ({where}) "
                       "ORDER BY cell", params)
    return risk.astype({"cell": np.uint64, "hazard": object})


_area_cache: dict[tuple[str, str, int], np.ndarray] = {}


_area_lock = threading.Lock()


def region_areas(store: Store, res: int) -> np.ndarray:
    """``cell_areas`` of ``region_cells(store, res)``, in its order (cached per build and res)."""
    cells = region_cells(store, res)
    key = (str(store.path.resolve()), str(store.meta.get("build_id")), int(res))
    with _area_lock:
        hit = _area_cache.get(key)
    if hit is None or len(hit) != len(cells):
        hit = cell_areas(cells["cell"].to_numpy(np.uint64))
        with _area_lock:
            if len(_area_cache) >= 4:
                _area_cache.clear()
            _area_cache[key] = hit
    return hit


def facility_groups(store: Store, groups: str, hazard: str | None) -> tuple[pd.DataFrame, list[str]]:
    """Facilities (id, lat, lng, group) and the groups to report, for ``access_from_store``."""
    if groups == "tiers":
        if hazard is not None:
            raise ValueError("hazard applies to groups=\"chains\" only; found groups=\"tiers\"")
        t = schema.check_identifier("reserves")
        cols = ", ".join(f"{schema.quote(schema.check_identifier(t, c))} AS {a}"
                         for c, a in (("id", "id"), ("lat", "lat"), ("lon", "lng"), ("tier", '"group"')))
        fac = store.query(f"SELECT {cols} FROM {t} ORDER BY id")
        present = set(fac["group"])
        return fac, [g for g in schema.RESERVE_TIERS if g in present]
    if groups == "chains":
        by_hazard = store.meta.get("chains_by_hazard") or {}
        if hazard not in by_hazard:
            raise ValueError(f"hazard: found {hazard!r:.40}; expected one of the store's hazards with "
                             f"chains {sorted(by_hazard)}")
        chains = list(dict.fromkeys(by_hazard[hazard]))
        t = schema.check_identifier("enterprises")
        c = {n: schema.quote(schema.check_identifier(t, n)) for n in ("id", "lat", "lon", "chains")}
        fac = store.query(
            f"SELECT * FROM (SELECT {c['id']} AS id, {c['lat']} AS lat, {c['lon']} AS lng, "
            f"unnest(list_distinct({c['chains']})) AS \"group\" FROM {t}) "
            "WHERE list_contains(?::VARCHAR[], \"group\") ORDER BY id", [chains])
        return fac, chains
    raise ValueError(f"groups: found {groups!r:.40}; expected \"tiers\" or \"chains\"")


def counties_with_depot(store: Store, tier: str = "county") -> set[str]:
    """Counties holding a reserve of ``tier`` (its adcode, or the county above it by parent)."""
    units = store.query("SELECT adcode, level, parent FROM admin_units")
    level = dict(zip(units["adcode"], units["level"]))
    parent = dict(zip(units["adcode"], units["parent"]))
    out = set()
    for code in store.query("SELECT DISTINCT adcode FROM reserves WHERE tier = ? AND adcode IS NOT NULL",
                            [tier])["adcode"]:
        seen = 0
        while isinstance(code, str) and code in level and seen < 10:
            if level[code] == "county":
                out.add(code)
                break
            code, seen = parent.get(code), seen + 1
    return out


def facility_materials(store: Store, entity: str, facility_id: str) -> list[dict[str, Any]]:
    """A depot's stock (``entity="reserves"``) or an enterprise's production capacity, for its card:
    ``[{material, name, name_en, unit, quantity | per_day, ramp_h, agreement, spec, as_of}]`` by code."""
    if entity == "reserves":
        df = store.query("SELECT s.material, m.name, m.name_en, s.unit, sum(s.quantity) AS quantity, "
                         "string_agg(DISTINCT s.spec, '、') AS spec, max(s.as_of) AS as_of FROM stock s "
                         "JOIN materials m ON m.code = s.material WHERE s.reserve = ? GROUP BY ALL ORDER BY 1",
                         [str(facility_id)])
    elif entity == "enterprises":
        df = store.query("SELECT c.material, m.name, m.name_en, c.unit, c.per_day, c.ramp_h, c.agreement "
                         "FROM capacity c JOIN materials m ON m.code = c.material WHERE c.enterprise = ? ORDER BY 1",
                         [str(facility_id)])
    else:
        return []
    return [{k: (None if pd.isna(v) else v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for row in df.to_dict("records")]


def materials_text(store: Store, ids: Iterable[Any], lang: str = "zh", limit: int = 6) -> dict[str, str]:
    """What each depot (stock) or enterprise (production per day) can send, as one line per id:
    ``"救灾帐篷 1,200 顶、棉被 3,000 床…（共 25 种）"``; ids without materials are absent."""
    ids = sorted({str(i) for i in ids})
    if not ids:
        return {}
    name = "m.name" if lang == "zh" else "m.name_en"
    df = store.query(
        f"SELECT s.reserve AS id, {name} AS name, sum(s.quantity) AS q, s.unit, m.code, false AS daily FROM stock s "
        "JOIN materials m ON m.code = s.material WHERE list_contains(?::VARCHAR[], s.reserve) GROUP BY ALL "
        f"UNION ALL SELECT c.enterprise, {name}, sum(c.per_day), c.unit, m.code, true FROM capacity c JOIN materials m "
        "ON m.code = c.material WHERE list_contains(?::VARCHAR[], c.enterprise) GROUP BY ALL ORDER BY 1, 5", [ids, ids])
    sep, per_day = ("、", "/日") if lang == "zh" else (", ", "/day")
    out = {}
    for fid, g in df.groupby("id", sort=False):
        parts = [f"{n} {q:,.0f} {u}{per_day if d else ''}" for n, q, u, d in zip(g["name"], g["q"], g["unit"], g["daily"])]
        more = (f"…（共 {len(parts)} 种）" if lang == "zh" else f"… ({len(parts)} in all)") if len(parts) > limit else ""
        out[str(fid)] = sep.join(parts[:limit]) + more
    return out
