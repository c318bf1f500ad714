"""Chain gaps: per city, exposure to each hazard x presence and reach of each relevant chain.

Definitions (also in ``layers/METHODS.md#chains``); at-risk cells, hours and areas are those of
``layers.analysis.gaps``:

- **at risk** (per hazard): a cell whose hazard ``class`` is >= ``min_class`` (default 2);
- **relevant chains** of a hazard: the hazard -> chain matrix (meta ``chains_by_hazard``, which
  a planner may override per hazard);
- **presence** of a chain in a city: its enterprises whose adcode lies in the city (an
  enterprise with several chains counts in each; its output is not split between them);
- **reach**: an at-risk cell is reached by a chain when the chain's nearest enterprise,
  anywhere in the region, arrives within ``hours`` (default 6 h; ``layers.analysis.travel`` distance
  model at the ``"enterprise"`` speed); ``reach_share`` = reached share of the city's at-risk
  area for that hazard;
- **gap_score** = ``at_risk_share x (1 - reach_share)``: the share of the city's whole area
  that is at risk of the hazard *and* out of the chain's reach. It is 0 with no exposure or
  full reach, 1 for a city entirely at risk and unreached, and comparable between cities of
  very different sizes; ``unreached_km2`` (the same in km2) ranks by absolute area instead;
- **missing**: ``reach_share < 0.5``; ``rank`` orders the missing rows by ``gap_score``
  (1 = largest), ``city_rank`` within each city.

``chain_gaps`` is the pure core, ``chain_matrix`` pivots it for a heatmap, and
``chains_from_store`` is the store adapter.
The module is long (~450 lines): the core, the pivot and the adapter each validate the same
city x hazard x chain frame, and the method above is easiest to check against one file.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from etl import schema
from layers.analysis.travel import AccessParams, access_table, check_hours, rank1_hours
from layers.frames import (
    at_risk_long,
    cell_strings,
    entity_units,
    hazard_breaks,
    population,
    population_of,
    region_areas,
    region_cells,
)
from layers.store import Store

#: Default hours within which a chain's nearest enterprise must reach an at-risk cell.
DEFAULT_HOURS = 6.0
#: A chain is missing in a city when it reaches less than this share of the at-risk area.
MISSING_REACH = 0.5
#: Default H3 resolution of the store adapter.
DEFAULT_RES = 7
#: Output columns of ``chain_gaps``.
COLUMNS = ("city", "city_name", "hazard", "chain", "at_risk_km2", "at_risk_share", "population",
           "enterprises_in_city", "above_size_in_city", "output_yi_in_city", "reach_share",
           "unreached_km2", "unreached_population", "gap_score", "missing", "rank", "city_rank")


class ChainError(ValueError):
    """A parameter of the chain-gap analysis that cannot be used (names key, found, expected)."""


# --- checks -----------------------------------------------------------------------------------

def check_matrix(matrix: Any, hazards: Collection[str] | None = None) -> dict[str, list[str]]:
    """A hazard -> chain-code matrix, checked: known chains, no empty lists, known hazards.

    Parameters
    ----------
    matrix
        ``{hazard: [chain codes]}``; codes are keys of ``etl.schema.CHAINS``; duplicates are
        dropped, order kept.
    hazards
        The allowed hazard names (e.g. a store's layers); None: any name.

    Returns
    -------
    dict
        ``{hazard: [chain, ...]}`` in the given order.

    Raises
    ------
    ChainError
        Not a mapping, an unknown hazard or chain code, or a hazard without chains.
    """
    if not isinstance(matrix, Mapping):
        raise ChainError(f"matrix: found {matrix!r:.60}; expected a mapping hazard -> [chain codes], "
                         "e.g. {'flood': ['rescue', 'waterlogging']}")
    out: dict[str, list[str]] = {}
    for hazard, codes in matrix.items():
        if hazards is not None and hazard not in hazards:
            raise ChainError(f"matrix: unknown hazard {hazard!r:.40}; expected one of {list(hazards)}")
        if isinstance(codes, str) or not isinstance(codes, Iterable):
            raise ChainError(f"matrix.{hazard}: found {codes!r:.60}; expected a list of chain codes")
        codes = list(dict.fromkeys(codes))
        unknown = [c for c in codes if c not in schema.CHAINS]
        if unknown:
            raise ChainError(f"matrix.{hazard}: unknown chain code(s) {unknown}; expected codes of "
                             f"{list(schema.CHAINS)}")
        if not codes:
            raise ChainError(f"matrix.{hazard}: found no chain codes; expected at least one of "
                             f"{list(schema.CHAINS)}")
        out[str(hazard)] = [str(c) for c in codes]
    return out


def _require(name: str, df: pd.DataFrame, cols: Sequence[str]) -> None:
    """ChainError when ``df`` lacks any of ``cols``."""
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ChainError(f"{name}: missing columns {missing}; expected {list(cols)}")


def _sum_or_nan(codes: np.ndarray, values: np.ndarray, m: int) -> np.ndarray:
    """Per-group sum of the non-NaN values; NaN for a group whose values are all NaN."""
    known = ~np.isnan(values)
    total = np.bincount(codes, np.where(known, values, 0.0), m)
    return np.where(np.bincount(codes, known, m) > 0, total, np.nan)


# --- the core ---------------------------------------------------------------------------------

def _presence(enterprises: pd.DataFrame, cities: pd.Index, chains: Sequence[str]) -> np.ndarray:
    """(cities, chains, 3): enterprises, above-size enterprises and output (NaN: none known)."""
    _require("enterprises", enterprises, ("city", "chains"))
    out = np.zeros((len(cities), len(chains), 3))
    out[:, :, 2] = np.nan
    if not len(enterprises) or not len(chains):
        out[:, :, 2] = 0.0
        return out
    ent = pd.DataFrame({
        "row": np.arange(len(enterprises)), "city": enterprises["city"].to_numpy(object),
        "chain": [list(v) if isinstance(v, (list, tuple, np.ndarray)) else [] for v in enterprises["chains"]],
        "above": (enterprises["above_size"].fillna(False).to_numpy(bool)
                  if "above_size" in enterprises.columns else np.zeros(len(enterprises), bool)),
        "output": (pd.to_numeric(enterprises["output_yi"], errors="coerce").to_numpy(np.float64)
                   if "output_yi" in enterprises.columns else np.full(len(enterprises), np.nan))})
    ent = ent.explode("chain").dropna(subset=["chain"]).drop_duplicates(["row", "chain"])
    ci, ji = cities.get_indexer(ent["city"]), pd.Index(chains).get_indexer(ent["chain"])
    ok = (ci >= 0) & (ji >= 0)
    flat = ci[ok] * len(chains) + ji[ok]
    m = len(cities) * len(chains)
    out[:, :, 0] = np.bincount(flat, minlength=m).reshape(len(cities), len(chains))
    out[:, :, 1] = np.bincount(flat, ent["above"].to_numpy(bool)[ok], m).reshape(len(cities), len(chains))
    output = _sum_or_nan(flat, ent["output"].to_numpy(np.float64)[ok], m).reshape(len(cities), len(chains))
    out[:, :, 2] = np.where(out[:, :, 0] == 0, 0.0, output)  # no enterprise: output known to be 0
    return out


def _rank(df: pd.DataFrame, hazards: Sequence[str], chains: Sequence[str]) -> pd.DataFrame:
    """Sort missing rows first by gap_score (then area, city, matrix order) and number them."""
    order = np.lexsort((pd.Index(chains).get_indexer(df["chain"]), pd.Index(hazards).get_indexer(df["hazard"]),
                        pd.factorize(df["city"].astype(str), sort=True)[0], -df["at_risk_km2"].to_numpy(),
                        -df["gap_score"].to_numpy(), ~df["missing"].to_numpy(bool)))
    df = df.iloc[order].reset_index(drop=True)
    miss = df["missing"].to_numpy(bool)
    rank = pd.array(np.cumsum(miss), dtype="Int64")
    rank[~miss] = pd.NA
    df["rank"] = rank
    city_rank = pd.array(np.zeros(len(df), np.int64), dtype="Int64")
    city_rank[miss] = df[miss].groupby("city", sort=False).cumcount().to_numpy(np.int64) + 1
    city_rank[~miss] = pd.NA
    df["city_rank"] = city_rank
    return df


def chain_gaps(at_risk_cells: pd.DataFrame, chain_access: pd.DataFrame | None,
               enterprises: pd.DataFrame, matrix: Mapping[str, Sequence[str]],
               hours: float = DEFAULT_HOURS, *, city_area_km2: Mapping[str, float] | None = None,
               city_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The chain-gap table: per city, hazard and relevant chain, exposure, presence and reach.

    Parameters
    ----------
    at_risk_cells
        One row per at-risk cell and hazard: ``cell`` (H3 string or uint64), ``hazard``,
        ``city`` (adcode), ``area_km2`` (> 0), optional ``population`` (NaN/absent: unknown).
        Hazards not in ``matrix`` are ignored.
    chain_access
        ``access_table`` output for those cells grouped by chain (``tier`` = chain code; rank-1
        rows are used). A chain or cell absent here is never reached. None: nothing reached.
    enterprises
        One row per enterprise: ``city`` (adcode; NA: outside every city), ``chains`` (a list
        of codes), optional ``above_size`` (bool) and ``output_yi`` (1e8 CNY; NaN unknown).
    matrix
        ``{hazard: [chain codes]}``: the chains relevant to each hazard (checked by
        ``check_matrix``).
    hours
        Hours within which a chain's nearest enterprise must arrive (> 0).
    city_area_km2
        Area of every city to report (km2, > 0); cities with at-risk cells that are missing
        here are added with a NaN share. None: only cities with at-risk cells, NaN shares.
    city_names
        Optional adcode -> name for ``city_name``.

    Returns
    -------
    pandas.DataFrame
        One row per city x hazard x relevant chain, columns ``COLUMNS``: ``at_risk_km2`` and
        ``at_risk_share`` (of the city's area), ``population`` of the at-risk cells (NaN when
        none known), ``enterprises_in_city``, ``above_size_in_city``, ``output_yi_in_city``
        (NaN when the city has enterprises of the chain but no output is known; 0 without
        enterprises), ``reach_share`` (NaN without exposure), ``unreached_km2``,
        ``unreached_population``, ``gap_score`` (``at_risk_share x (1 - reach_share)``, 0
        without exposure), ``missing`` (``reach_share < 0.5``), ``rank`` and ``city_rank``
        (1 = largest gap_score among missing rows; NA otherwise). Sorted by ``rank``, then the
        rest by gap_score.

    Raises
    ------
    ChainError
        Missing columns, bad areas, a bad matrix or hours (names the key, found, expected).

    Examples
    --------
    >>> import h3
    >>> cells = pd.DataFrame({"cell": [h3.latlng_to_cell(39, 116, 7)], "hazard": ["flood"],
    ...                       "city": ["110100"], "area_km2": [5.0]})
    >>> acc = pd.DataFrame({"cell": cells["cell"], "tier": ["rescue"], "rank": 1, "hours": [7.0]})
    >>> ent = pd.DataFrame({"city": ["110100"], "chains": [["rescue"]]})
    >>> df = chain_gaps(cells, acc, ent, {"flood": ["rescue"]}, 6, city_area_km2={"110100": 20.0})
    >>> df[["at_risk_share", "reach_share", "gap_score", "missing"]].values.tolist()
    [[0.25, 0.0, 0.25, True]]
    """
    matrix = check_matrix(matrix)
    try:
        t = check_hours("hours", hours, strict=True)
    except ValueError as exc:
        raise ChainError(str(exc)) from None
    _require("at_risk_cells", at_risk_cells, ("cell", "hazard", "city", "area_km2"))
    area = at_risk_cells["area_km2"].to_numpy(np.float64)
    if not (np.isfinite(area) & (area > 0)).all():
        raise ChainError("at_risk_cells.area_km2: found values that are not finite and > 0; expected km2 > 0")
    sizes = dict(city_area_km2 or {})
    bad = {c: a for c, a in sizes.items() if not (isinstance(a, (int, float, np.number)) and np.isfinite(a) and a > 0)}
    if bad:
        raise ChainError(f"city_area_km2: found {dict(list(bad.items())[:3])}; expected km2 > 0 per city")
    risk_city = at_risk_cells["city"].to_numpy(object)
    keep = pd.notna(risk_city) & at_risk_cells["hazard"].isin(list(matrix)).to_numpy(bool)
    cities = pd.Index(sorted(set(sizes) | {str(c) for c in risk_city[keep]}), dtype=object)
    hazards = list(matrix)
    chains = list(dict.fromkeys(c for codes in matrix.values() for c in codes))

    cells = cell_strings(at_risk_cells["cell"])
    cell_codes, uniq = pd.factorize(cells, sort=True)  # sorted: access_table's order when built on them
    reach_h = rank1_hours(chain_access, chains, pd.Series(np.asarray(uniq, dtype=object), dtype="string"),
                           "chain_access")
    reached = reach_h <= t  # (unique cells, chains)
    pop = (at_risk_cells["population"].to_numpy(np.float64) if "population" in at_risk_cells.columns
           else np.full(len(at_risk_cells), np.nan))
    presence = _presence(enterprises, cities, chains)
    m = len(cities)
    city_area = np.array([sizes.get(c, np.nan) for c in cities], np.float64)

    frames = []
    for hz in hazards:
        rows = np.flatnonzero(keep & (at_risk_cells["hazard"].to_numpy(object) == hz))
        ci = cities.get_indexer(risk_city[rows].astype(str))
        a, p = area[rows], pop[rows]
        at_km2 = np.bincount(ci, a, m)
        population = _sum_or_nan(ci, p, m)
        for chain in matrix[hz]:
            j = chains.index(chain)
            hit = reached[cell_codes[rows], j]
            reach_km2 = np.bincount(ci, a * hit, m)
            with np.errstate(invalid="ignore", divide="ignore"):
                reach = np.where(at_km2 > 0, reach_km2 / at_km2, np.nan)
                share = at_km2 / city_area
            frames.append(pd.DataFrame({
                "city": cities.to_numpy(object), "hazard": hz, "chain": chain, "at_risk_km2": at_km2,
                "at_risk_share": share, "population": population,
                "enterprises_in_city": presence[:, j, 0].astype(np.int64),
                "above_size_in_city": presence[:, j, 1].astype(np.int64),
                "output_yi_in_city": presence[:, j, 2], "reach_share": reach,
                "unreached_km2": at_km2 - reach_km2,
                "unreached_population": _sum_or_nan(ci, np.where(hit, np.nan, p), m),
                "gap_score": np.where(at_km2 > 0, share * (1 - np.nan_to_num(reach)), 0.0),
                "missing": reach < MISSING_REACH}))
    if not frames:
        return pd.DataFrame({c: [] for c in COLUMNS})
    df = pd.concat(frames, ignore_index=True)
    # unreached population: NaN only where the whole at-risk population is unknown
    known = df["population"].notna() & df["unreached_population"].isna()
    df.loc[known, "unreached_population"] = 0.0
    df.insert(1, "city_name", df["city"].map(dict(city_names or {})).astype(object))
    out = _rank(df, hazards, chains)[list(COLUMNS)]
    out.attrs["matrix"] = matrix
    return out


def chain_matrix(df: pd.DataFrame, value: str = "gap_score", *, index: str = "city") -> pd.DataFrame:
    """The chain-gap table pivoted for a heatmap: one row per city, one column per hazard:chain.

    Parameters
    ----------
    df
        ``chain_gaps`` output (any row order).
    value
        A numeric column of ``df`` (e.g. ``gap_score``, ``reach_share``, ``unreached_km2``).
    index
        ``"city"`` (adcode) or ``"city_name"``: the row labels.

    Returns
    -------
    pandas.DataFrame
        Rows sorted by adcode; columns ``"<hazard>:<chain>"`` in the matrix order of
        ``chain_gaps`` (kept in ``df.attrs["matrix"]``), else in order of appearance.

    Raises
    ------
    ChainError
        ``value`` is not a numeric column, or ``index`` is not city / city_name.
    """
    _require("df", df, ("city", "hazard", "chain"))
    numeric = [c for c in df.columns if c not in ("city", "city_name", "hazard", "chain")
               and pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]
    if value not in numeric:
        raise ChainError(f"value: found {value!r:.40}; expected a numeric column of the table {numeric}")
    if index not in ("city", "city_name") or index not in df.columns:
        raise ChainError(f"index: found {index!r:.40}; expected 'city' or 'city_name'")
    d = df.sort_values("city", kind="stable")
    pairs = list(dict.fromkeys(zip(d["hazard"], d["chain"])))
    given = df.attrs.get("matrix")
    if isinstance(given, Mapping):  # chain_gaps keeps its matrix: columns in that order
        order = [(h, c) for h, codes in given.items() for c in codes]
        pairs = [p for p in order if p in set(pairs)] + [p for p in pairs if p not in set(order)]
    key = d["hazard"].astype(str) + ":" + d["chain"].astype(str)
    out = pd.DataFrame({"row": d[index].to_numpy(object), "key": key.to_numpy(object),
                        "v": d[value].astype(float).to_numpy()}).pivot_table(
        index="row", columns="key", values="v", aggfunc="first", sort=False, dropna=False)
    out = out.reindex(columns=[f"{h}:{c}" for h, c in pairs])
    out.index.name, out.columns.name = index, None
    return out


# --- store adapter ----------------------------------------------------------------------------


def check_adcode(store: Store, adcode: Any, levels: Sequence[str] = ("province", "city")) -> str | None:
    """``adcode`` if it names a unit of one of ``levels`` in ``admin_units``; None passes."""
    if adcode is None:
        return None
    units = store.query("SELECT adcode, level FROM admin_units")
    level = dict(zip(units["adcode"], units["level"]))
    if not isinstance(adcode, str) or level.get(adcode) not in levels:
        known = sorted(a for a, lv in level.items() if lv in levels)
        found = f"{adcode!r:.20}" + (f" (a {level[adcode]})" if isinstance(adcode, str) and adcode in level else "")
        raise ChainError(f"adcode: found {found}; expected a {' or '.join(levels)} of the store, "
                         f"e.g. {known[:5]}")
    return adcode


def _enterprise_facilities(store: Store, chains: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(enterprises with chains, above_size, output_yi; their (id, lat, lng, group) rows)."""
    t = schema.check_identifier("enterprises")
    cols = ", ".join(f"{schema.quote(schema.check_identifier(t, c))} AS {a}" for c, a in (
        ("id", "id"), ("lat", "lat"), ("lon", "lng"), ("chains", "chains"), ("above_size", "above_size"),
        ("output_yi", "output_yi")))
    ent = store.query(f"SELECT {cols} FROM {t} ORDER BY id")
    fac = ent[["id", "lat", "lng", "chains"]].explode("chains").rename(columns={"chains": "group"})
    fac = fac[fac["group"].isin(list(chains))].drop_duplicates(["id", "group"])
    return ent, fac.astype({"lat": float, "lng": float, "group": object}).reset_index(drop=True)


def chains_from_store(store: Store, res: int = DEFAULT_RES, hazards: str | Sequence[str] | None = None, *,
                      min_class: Any = None, hours: float = DEFAULT_HOURS,
                      matrix: Mapping[str, Sequence[str]] | None = None, adcode: str | None = None,
                      **access_overrides: Any) -> pd.DataFrame:
    """``chain_gaps`` for a store's cities at ``res``.

    Parameters
    ----------
    store
        An open ``Store``.
    res
        H3 resolution, one of the store's (default 7).
    hazards
        A hazard layer or a list of them; None: every layer with relevant chains.
    min_class
        Class threshold: an int for every hazard or ``{hazard: int}`` (default 2).
    hours
        Hours within which a chain's nearest enterprise must arrive (> 0, default 6).
    matrix
        ``{hazard: [chain codes]}`` replacing meta ``chains_by_hazard`` for those hazards.
    adcode
        Restrict the cities to a province or a city (enterprises anywhere still reach).
    **access_overrides
        ``detour``, ``speed_kmh``, ``dispatch_delay_h`` (as ``access_from_store``).

    Returns
    -------
    pandas.DataFrame
        As ``chain_gaps``, for every city of the (restricted) region; a city's area is the sum
        of its cells' ``h3.cell_area`` at ``res``; population from ``exposure_cells`` (NaN when
        the store has none); an enterprise's city from its adcode (by parent links), else from
        the cell it sits in.

    Raises
    ------
    ValueError
        Unknown hazard, chain code, resolution or adcode; bad hours, ``min_class`` or access
        parameters (names the key, found, expected).
    """
    layers = hazard_breaks(store)
    base = dict(store.meta.get("chains_by_hazard") or {})
    override = check_matrix(matrix, layers) if matrix is not None else {}
    effective = {h: list(base.get(h) or []) for h in layers}
    effective.update(override)
    if hazards is None:
        chosen = [h for h in layers if effective[h]]
    else:
        chosen = [hazards] if isinstance(hazards, str) else list(hazards)
        unknown = [h for h in chosen if h not in layers]
        if unknown or not chosen:
            raise ChainError(f"hazards: found {unknown or chosen}; expected one or more of {list(layers)}")
        empty = [h for h in chosen if not effective[h]]
        if empty:
            raise ChainError(f"matrix.{empty[0]}: no chains for this hazard in chains_by_hazard; expected "
                             f"matrix={{'{empty[0]}': [chain codes]}}")
    use = check_matrix({h: effective[h] for h in chosen}, layers)
    t = check_hours("hours", hours, strict=True)
    params = AccessParams.from_standards(store.meta.get("standards"), **access_overrides)
    adcode = check_adcode(store, adcode)

    cells = region_cells(store, res)  # validates res
    prov = store.query("SELECT cell, province FROM admin_cells WHERE res = ? ORDER BY cell", [int(res)])
    keep = cells["city"].notna().to_numpy().copy()
    if adcode is not None:
        keep &= (cells["city"].to_numpy(object) == adcode) | (prov["province"].to_numpy(object) == adcode)
    region = cells[keep].reset_index(drop=True)
    area = region_areas(store, res)[keep]
    city_area = pd.Series(area).groupby(region["city"].to_numpy(object)).sum()

    risk = at_risk_long(store, res, chosen, min_class)
    pos = pd.Index(region["cell"].to_numpy(np.uint64)).get_indexer(risk["cell"].to_numpy(np.uint64))
    risk = risk[pos >= 0].reset_index(drop=True)
    pos = pos[pos >= 0]
    at_risk = pd.DataFrame({"cell": risk["cell"].to_numpy(np.uint64), "hazard": risk["hazard"].to_numpy(object),
                            "city": region["city"].to_numpy(object)[pos], "area_km2": area[pos]})
    at_risk["population"] = population_of(population(store, res), at_risk["cell"].to_numpy(np.uint64))

    chains = list(dict.fromkeys(c for codes in use.values() for c in codes))
    ent, fac = _enterprise_facilities(store, chains)
    where = entity_units(store, "enterprises", res, "city")
    ent["city"] = ent["id"].map(dict(zip(where["id"], where["unit"])))
    upos = np.unique(pos)
    chain_access = access_table(region.iloc[upos][["cell", "lat", "lng", "terrain"]], fac, params, groups=chains)
    names = store.query("SELECT adcode, name FROM admin_units")
    return chain_gaps(at_risk, chain_access, ent, use, t, city_area_km2=city_area.to_dict(),
                      city_names=dict(zip(names["adcode"], names["name"])))
