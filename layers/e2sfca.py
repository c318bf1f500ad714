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

