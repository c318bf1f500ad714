"""Spatial accessibility of supply to demand: the enhanced two-step floating catchment area.

Luo & Qi (2009), "An enhanced two-step floating catchment area (E2SFCA) method for measuring
spatial accessibility to primary care physicians", *Health & Place* 15(4):1100-1107.

With travel cost ``d_ij`` and a step weight ``W(d)`` from distance bands (``W = w_r`` for
``d`` in band ``r``, 0 beyond the last band ``d0``):

1. for every supply ``j``: ``R_j = S_j / sum_i P_i W(d_ij)`` (capacity per weighted person);
2. for every demand ``i``: ``A_i = sum_j R_j W(d_ij)`` (capacity per person).

The core works on a long ``demand_id, supply_id, cost`` table, like pysal/access ``fca.py``;
building it (great-circle x detour factor, road network) is the caller's job. The same weights
are used in both steps, so the total is conserved: ``sum_i P_i A_i = sum_j S_j`` over supplies
whose catchment holds people. A supply whose catchment holds no people has an undefined ratio:
``R_j`` is NaN, ``undefined`` is true and it adds nothing to any ``A_i``. Demand with no supply
within ``d0`` gets ``A_i = 0``. Limits: step weights (no continuous decay), no competition
beyond ``d0``, and over-counting of demand near several supplies (the known 2SFCA inflation
that 3SFCA/M2SFCA address) is not corrected.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

#: Luo & Qi's (2009) bands in minutes were 0-10, 10-20, 20-30 with Gaussian weights 1, 0.68,
#: 0.22; here in hours, for relief material reaching a county (DOMAIN.md: 6 h standard).
DEFAULT_BANDS: tuple[tuple[float, float], ...] = ((2.0, 1.0), (4.0, 0.68), (6.0, 0.22))


class CatchmentError(ValueError):
    """Inputs to :func:`e2sfca` that cannot be used (names the parameter)."""


@dataclass(frozen=True)
class E2SFCAResult:
    """Accessibility per demand and supply-to-demand ratio per supply.

    ``accessibility``: indexed by ``demand_id``; columns ``population``, ``accessibility``
    (``A_i``) and ``n_supply`` (supplies within ``d0``). ``ratio``: indexed by ``supply_id``;
    columns ``capacity``, ``weighted_demand`` (``sum_i P_i W(d_ij)``), ``ratio`` (``R_j``,
    NaN when undefined) and ``undefined`` (no people in the catchment).
    """

    accessibility: pd.DataFrame
    ratio: pd.DataFrame


def _check_bands(bands: Sequence[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """Upper costs and weights of ``bands``, or a CatchmentError saying what is wrong."""
    try:
        pairs = [(float(u), float(w)) for u, w in bands]
    except (TypeError, ValueError) as exc:
        raise CatchmentError("bands must be a list of (upper_cost, weight) pairs, e.g. "
                             f"[(1, 1.0), (2, 0.68), (4, 0.22)], got {bands!r:.80}") from exc
    if not pairs:
        raise CatchmentError("bands must hold at least one (upper_cost, weight) pair, got []")
    up = np.array([u for u, _ in pairs])
    wt = np.array([w for _, w in pairs])
    if not (np.isfinite(up).all() and up[0] > 0 and (np.diff(up) > 0).all()):
        raise CatchmentError(f"band upper costs must be finite, > 0 and strictly increasing, got {up.tolist()}")
    if not ((wt > 0) & (wt <= 1)).all() or (np.diff(wt) > 0).any():
        raise CatchmentError(f"band weights must be in (0, 1] and non-increasing, got {wt.tolist()}")
    return up, wt


def _amounts(name: str, obj: Any, id_col: str, value_col: str) -> pd.Series:
    """``obj`` (Series id -> value, or DataFrame with id and value columns) as a checked Series."""
    if isinstance(obj, pd.DataFrame):
        missing = {id_col, value_col} - set(obj.columns)
        if missing:
            raise CatchmentError(f"{name} needs columns {id_col!r} and {value_col!r}, "
                                 f"missing {sorted(missing)}; got {list(obj.columns)}")
        obj = obj.set_index(id_col)[value_col]
    if not isinstance(obj, pd.Series):
        raise CatchmentError(f"{name} must be a Series ({id_col} -> {value_col}) or a DataFrame, "
                             f"got {type(obj).__name__}")
    if obj.index.has_duplicates:
        raise CatchmentError(f"{name} has duplicate ids, e.g. {obj.index[obj.index.duplicated()][:3].tolist()}")
    try:
        vals = obj.astype(float)
    except (TypeError, ValueError) as exc:
        raise CatchmentError(f"{name} values must be numbers, got dtype {obj.dtype}") from exc
    bad = ~np.isfinite(vals.to_numpy()) | (vals.to_numpy() < 0)
    if bad.any():
        raise CatchmentError(f"{name} {value_col} must be finite and >= 0, got "
                             f"{vals[bad].head(3).to_dict()}")
    return vals.rename(value_col).rename_axis(id_col)


def e2sfca(pairs: pd.DataFrame, demand: Any, supply: Any,
           bands: Sequence[tuple[float, float]] = DEFAULT_BANDS) -> E2SFCAResult:
    """Enhanced two-step floating catchment accessibility of ``supply`` for ``demand``.

    Parameters
    ----------
    pairs
        Long table with columns ``demand_id``, ``supply_id``, ``cost`` (finite, >= 0, same
        unit as the band costs); one row per pair, pairs beyond the last band are ignored.
    demand
        Population per demand: Series ``demand_id -> population`` or a DataFrame with those
        columns.
    supply
        Capacity per supply: Series ``supply_id -> capacity`` or a DataFrame with those columns.
    bands
        ``(upper_cost, weight)`` pairs, costs strictly increasing, weights in (0, 1] and
        non-increasing; band ``r`` holds ``upper_{r-1} < cost <= upper_r`` (first from 0).

    Returns
    -------
    E2SFCAResult
        ``accessibility`` per demand id (every id of ``demand``) and ``ratio`` per supply id.

    Raises
    ------
    CatchmentError
        (a ``ValueError``) for bad bands, missing columns, duplicate ids or pairs, negative or
        NaN values, or pair ids absent from ``demand`` / ``supply``.

    Examples
    --------
    >>> pairs = pd.DataFrame({"demand_id": ["a", "b"], "supply_id": ["s", "s"], "cost": [0.5, 1.5]})
    >>> r = e2sfca(pairs, pd.Series({"a": 100.0, "b": 100.0}), pd.Series({"s": 15.0}),
    ...            bands=[(1, 1.0), (2, 0.5)])
    >>> r.accessibility["accessibility"].round(3).tolist()   # R = 15 / (100 + 50) = 0.1
    [0.1, 0.05]
    """
    up, wt = _check_bands(bands)
    pop = _amounts("demand", demand, "demand_id", "population")
    cap = _amounts("supply", supply, "supply_id", "capacity")
    if not isinstance(pairs, pd.DataFrame):
        raise CatchmentError(f"pairs must be a DataFrame, got {type(pairs).__name__}")
    missing = {"demand_id", "supply_id", "cost"} - set(pairs.columns)
    if missing:
        raise CatchmentError(f"pairs needs columns demand_id, supply_id, cost; missing "
                             f"{sorted(missing)}, got {list(pairs.columns)}")
    cost = pd.to_numeric(pairs["cost"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(cost) | (cost < 0)
    if bad.any():
        raise CatchmentError(f"pairs cost must be finite and >= 0, got {int(bad.sum())} bad row(s), "
                             f"first: {pairs.loc[bad].head(1).to_dict('records')}")
    if pairs.duplicated(["demand_id", "supply_id"]).any():
        dup = pairs.loc[pairs.duplicated(["demand_id", "supply_id"]), ["demand_id", "supply_id"]]
        raise CatchmentError(f"pairs has duplicate (demand_id, supply_id) rows, e.g. "
                             f"{dup.head(3).to_dict('records')}")
    for col, known, name in (("demand_id", pop.index, "demand"), ("supply_id", cap.index, "supply")):
        unknown = ~pairs[col].isin(known)
        if unknown.any():
            raise CatchmentError(f"pairs {col} not in {name}: {pairs.loc[unknown, col].unique()[:5].tolist()}"
                                 f" ({int(unknown.sum())} row(s)); add them to {name} or drop the pairs")
    near = cost <= up[-1]
    d = pairs.loc[near, "demand_id"].to_numpy()
    s = pairs.loc[near, "supply_id"].to_numpy()
    w = wt[np.searchsorted(up, cost[near], side="left")]
    di = pop.index.get_indexer(d)
    si = cap.index.get_indexer(s)
    p = pop.to_numpy()
    wdem = np.bincount(si, weights=p[di] * w, minlength=cap.size)
    undefined = wdem <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(undefined, np.nan, cap.to_numpy() / np.where(undefined, 1.0, wdem))
    contrib = np.where(undefined[si], 0.0, np.nan_to_num(ratio)[si] * w)
    acc = np.bincount(di, weights=contrib, minlength=pop.size)
    n_sup = np.bincount(di, minlength=pop.size)
    logger.debug("e2sfca: %d pairs within %g, %d demand, %d supply (%d undefined)",
                 int(near.sum()), up[-1], pop.size, cap.size, int(undefined.sum()))
    access = pd.DataFrame({"population": p, "accessibility": acc, "n_supply": n_sup},
                          index=pop.index)
    ratios = pd.DataFrame({"capacity": cap.to_numpy(), "weighted_demand": wdem, "ratio": ratio,
                           "undefined": undefined}, index=cap.index)
    return E2SFCAResult(accessibility=access, ratio=ratios)



# --- store adapter ----------------------------------------------------------------------------

#: Tiers whose capacity is counted by default: the relief-material depots (capacity in 件).
DEFAULT_TIERS = ("national", "provincial", "municipal", "county")


def e2sfca_from_store(store: Any, res: int = 7, *, tiers: Sequence[str] = DEFAULT_TIERS,
                      bands: Sequence[tuple[float, float]] = DEFAULT_BANDS, demand: str = "auto",
                      adcode: str | None = None,
                      **access_overrides: Any) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """E2SFCA of reserve capacity for the region's cells at ``res``, costs in hours.

    Supply: the reserves of ``tiers`` with a capacity, all in one unit (the store's
    ``capacity_unit``; mixed units are refused). Demand: each cell's population
    (``exposure_cells``; ``demand="population"``) or its area in km2 (``"area"``, a stand-in that
    measures capacity per km2); ``"auto"`` uses population when the store has exposure. Cost:
    hours of the ``access`` distance model (detour of the cell's terrain, speed of the reserve's
    tier, dispatch delay).

    Returns
    -------
    (cells, units, about)
        ``cells``: ``cell`` (H3 string), ``county``, ``city``, ``demand``, ``accessibility``
        (capacity per person, or per km2), ``per_1000`` (x 1000; population only), ``n_supply``. ``units``:
        per county, city and province: ``level``, ``adcode``, ``name``, ``demand``,
        ``accessibility`` (demand-weighted mean), ``min``, ``max``, ``share_zero`` (of demand
        with no reserve within the last band). ``about``: unit, demand kind, totals, the
        supplies whose ratio is undefined.

    Raises
    ------
    ValueError
        Unknown tier, resolution or adcode; mixed capacity units; bad bands or access
        parameters; ``demand="population"`` without exposure.
    """
    from etl import schema  # noqa: PLC0415  (layers may import etl.schema; kept local like the adapters)
    from layers.analysis.travel import AccessParams, pairs_within_hours  # noqa: PLC0415
    from layers.frames import cell_areas, cells_in_unit, h3_strings, region_cells  # noqa: PLC0415

    tiers = list(dict.fromkeys(tiers))
    unknown = [t for t in tiers if t not in schema.RESERVE_TIERS]
    if not tiers or unknown:
        raise ValueError(f"tiers: found {unknown or tiers}; expected one or more of {list(schema.RESERVE_TIERS)}")
    if demand not in ("auto", "population", "area"):
        raise ValueError(f"demand: found {demand!r:.30}; expected auto, population or area")
    up, _ = _check_bands(bands)
    params = AccessParams.from_standards(store.meta.get("standards"), **access_overrides)
    cells = region_cells(store, res)
    if adcode is not None:
        keep = cells_in_unit(store, res, adcode)
        cells = cells[np.isin(cells["cell"].to_numpy(np.uint64), keep)].reset_index(drop=True)
    fac = store.query("SELECT id, lat, lon AS lng, tier AS \"group\", capacity, capacity_unit FROM reserves "
                      "WHERE list_contains(?::VARCHAR[], tier) AND capacity IS NOT NULL ORDER BY id", [tiers])
    if fac.empty:
        raise ValueError(f"tiers {tiers}: no reserve with a capacity in the store")
    units_found = sorted(set(fac["capacity_unit"].fillna("")))
    if len(units_found) > 1:
        raise ValueError(f"tiers {tiers}: capacities in several units {units_found}; expected one unit "
                         "(choose tiers whose reserves share a unit)")
    expo = store.query("SELECT cell, population FROM exposure_cells WHERE res = ?", [int(res)])
    pop = pd.Series(expo["population"].to_numpy(float), index=expo["cell"].to_numpy(np.uint64))
    has_pop = bool(pop.sum() > 0)
    if demand == "population" and not has_pop:
        raise ValueError("demand: 'population' needs exposure_cells in the store (none found); use 'area'")
    use_pop = demand == "population" or (demand == "auto" and has_pop)
    ids = cells["cell"].to_numpy(np.uint64)
    if use_pop:
        amount = pop.reindex(ids).fillna(0.0).to_numpy()
    else:
        amount = cell_areas(ids)
    pairs = pairs_within_hours(cells, fac, params, float(up[-1]))
    result = e2sfca(pd.DataFrame({"demand_id": pairs["i"].to_numpy(), "supply_id": pairs["j"].to_numpy(),
                                  "cost": pairs["hours"].to_numpy()}),
                    pd.Series(amount, index=np.arange(len(cells))),
                    pd.Series(fac["capacity"].to_numpy(float), index=np.arange(len(fac))), bands)
    acc = result.accessibility
    out = pd.DataFrame({"cell": h3_strings(ids), "county": cells["county"].to_numpy(),
                        "city": cells["city"].to_numpy(), "demand": acc["population"].to_numpy(),
                        "accessibility": acc["accessibility"].to_numpy()})
    if use_pop:
        out["per_1000"] = out["accessibility"] * 1000.0
    out["n_supply"] = acc["n_supply"].to_numpy()
    prov = store.query("SELECT cell, province FROM admin_cells WHERE res = ?", [int(res)])
    province = pd.Series(prov["province"].to_numpy(), index=prov["cell"].to_numpy(np.uint64)).reindex(ids)
    parts = []
    for level, codes in (("county", out["county"]), ("city", out["city"]), ("province", province.to_numpy())):
        g = pd.DataFrame({"adcode": codes, "d": out["demand"], "a": out["accessibility"]}).dropna(subset=["adcode"])
        g["da"], g["zero"] = g["d"] * g["a"], g["d"] * (g["a"] <= 0)
        s = g.groupby("adcode", sort=True).agg(demand=("d", "sum"), da=("da", "sum"), min=("a", "min"),
                                                max=("a", "max"), zero=("zero", "sum"))
        s["accessibility"] = np.where(s["demand"] > 0, s["da"] / s["demand"].where(s["demand"] > 0, 1.0), np.nan)
        s["share_zero"] = np.where(s["demand"] > 0, s["zero"] / s["demand"].where(s["demand"] > 0, 1.0), np.nan)
        s.insert(0, "level", level)
        parts.append(s.drop(columns=["da", "zero"]).reset_index())
    units = pd.concat(parts, ignore_index=True)
    names = store.query("SELECT adcode, name FROM admin_units")
    units.insert(2, "name", units["adcode"].map(dict(zip(names["adcode"], names["name"]))))
    if use_pop:
        units["per_1000"] = units["accessibility"] * 1000.0
    undefined = result.ratio[result.ratio["undefined"]].index.to_numpy()
    about = {"unit": f"{units_found[0]} per {'person' if use_pop else 'km2'}",
             "demand": "population" if use_pop else "area_km2", "tiers": tiers,
             "bands_h": [list(b) for b in bands], "supplies": int(len(fac)), "pairs": int(len(pairs)),
             "total_capacity": float(fac["capacity"].sum()), "total_demand": float(amount.sum()),
             "undefined_supplies": fac["id"].to_numpy()[undefined].tolist()}
    return out, units, about
