"""Allocation of stock and production to needs within deadlines: a linear program (HiGHS).

For one material and one deadline ``d`` (hours):

- a **stock** source ``j`` (a depot) holds ``q_j`` at time 0 and reaches unit ``i`` after
  ``t_ji`` hours (dispatch delay included); it may serve ``i`` if ``t_ji <= d``;
- a **production** source ``e`` (an enterprise) makes ``r_e`` per day after a ramp-up of
  ``ramp_e`` hours, so ``P_e(t) = r_e * max(0, t - ramp_e) / 24`` units exist by time ``t``; a unit
  for ``i`` must be made by ``tau_ei = d - t_ei``. Sorting ``e``'s arcs by ``tau``, the constraint
  ``sum of flows with tau <= tau_k  <=  P_e(tau_k)`` for every ``k`` is exactly what an
  earliest-deadline-first production schedule can meet;
- flows ``x >= 0``; ``sum_i x_ji <= q_j``; ``sum_j x_ji <= need_i``.

The objective is lexicographic: the most need met, then the fewest unit-hours. It is solved as
one LP with arc costs ``t - B`` where ``B = (min(sources, units) + 1) * d + 1``: every augmenting
path has one more forward than backward arc, each worth at most ``d`` hours, so no reduction of
hours can pay for a unit of unmet need (see ``tests/unit/test_allocation.py`` for the oracle).
Deadlines are solved independently ("what can be there within d hours"), so the arrived
amount never decreases with ``d``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import linprog

logger = logging.getLogger(__name__)

__all__ = ["AllocationError", "allocate", "production_available"]

_EPS = 1e-9
_METHOD = "highs"


class AllocationError(RuntimeError):
    """The solver failed (names its status)."""


def production_available(per_day: float | np.ndarray, ramp_h: float | np.ndarray, t: float | np.ndarray) -> np.ndarray:
    """Units made by hour ``t`` at ``per_day`` after ``ramp_h`` hours (0 before the ramp ends)."""
    return np.asarray(per_day, float) * np.maximum(0.0, np.asarray(t, float) - np.asarray(ramp_h, float)) / 24.0


def _check(name: str, df: pd.DataFrame, cols: Sequence[str]) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{name}: missing columns {missing}; expected {list(cols)}")


def allocate(needs: pd.DataFrame, stock: pd.DataFrame, capacity: pd.DataFrame, travel: pd.DataFrame,
             deadlines: Sequence[float]) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Allocate stock and production to needs for every material and deadline.

    Parameters
    ----------
    needs
        ``unit``, ``material``, ``need`` (> 0 rows are served).
    stock
        ``source_id``, ``material``, ``quantity``.
    capacity
        ``source_id``, ``material``, ``per_day``, ``ramp_h``.
    travel
        ``source_kind`` (``"stock"`` or ``"production"``), ``source_id``, ``unit``, ``hours``
        (travel incl. dispatch delay; pairs absent from it are unreachable).
    deadlines
        Hours (> 0).

    Returns
    -------
    result : DataFrame
        ``unit, material, deadline_h, need, arrived, fill_rate, shortfall`` per unit with need.
    flows : DataFrame
        ``deadline_h, source_kind, source_id, unit, material, quantity, hours``; for production,
        ``hours`` is the arrival of the last unit under the earliest-deadline-first schedule.
    info : dict
        ``status`` per problem count, ``problems``, ``variables``.

    Raises
    ------
    ValueError
        Missing columns, negative quantities or bad deadlines.
    AllocationError
        The solver did not reach optimality.
    """
    for name, df, cols in (("needs", needs, ("unit", "material", "need")),
                           ("stock", stock, ("source_id", "material", "quantity")),
                           ("capacity", capacity, ("source_id", "material", "per_day", "ramp_h")),
                           ("travel", travel, ("source_kind", "source_id", "unit", "hours"))):
        _check(name, df, cols)
    ds = [float(d) for d in deadlines]
    if not ds or any(not math.isfinite(d) or d <= 0 for d in ds):
        raise ValueError(f"deadlines: found {list(deadlines)}; expected hours > 0, e.g. 6, 12, 24")
    for name, df, col in (("needs", needs, "need"), ("stock", stock, "quantity"), ("capacity", capacity, "per_day")):
        if len(df) and not (df[col].to_numpy(float) >= 0).all():
            raise ValueError(f"{name}.{col}: found negative or missing values; expected quantities >= 0")
    needs = needs[needs["need"] > 0]
    tr = {k: g for k, g in travel.groupby("source_kind", observed=True)}
    results, flows = [], []
    info = {"problems": 0, "variables": 0, "optimal": 0}
    stock_by = {m: g for m, g in stock[stock["quantity"] > 0].groupby("material")}
    cap_by = {m: g for m, g in capacity[capacity["per_day"] > 0].groupby("material")}
    for material, nd in needs.groupby("material", sort=True):
        nd = nd.groupby("unit", as_index=False, sort=True)["need"].sum()
        for d in ds:
            arrived, fl = _solve(nd, stock_by.get(material), cap_by.get(material), tr, d, info)
            results.append(pd.DataFrame({"unit": nd["unit"].to_numpy(), "material": material, "deadline_h": d,
                                         "need": nd["need"].to_numpy(float), "arrived": arrived}))
            if len(fl):
                fl.insert(0, "deadline_h", d)
                fl["material"] = material
                flows.append(fl)
    cols = ["unit", "material", "deadline_h", "need", "arrived", "fill_rate", "shortfall"]
    if results:
        res = pd.concat(results, ignore_index=True)
        res["arrived"] = np.minimum(res["arrived"], res["need"])
        res["fill_rate"] = res["arrived"] / res["need"]
        res["shortfall"] = res["need"] - res["arrived"]
    else:
        res = pd.DataFrame({c: [] for c in cols})
    fcols = ["deadline_h", "source_kind", "source_id", "unit", "material", "quantity", "hours"]
    fl = pd.concat(flows, ignore_index=True)[fcols] if flows else pd.DataFrame({c: [] for c in fcols})
    return res[cols], fl, info


def _arcs(kind: str, sources: pd.DataFrame | None, tr: dict, units: pd.Index, d: float) -> pd.DataFrame:
    if sources is None or kind not in tr:
        return pd.DataFrame({"source_id": [], "unit": [], "hours": []})
    t = tr[kind]
    t = t[(t["hours"] <= d + _EPS) & t["source_id"].isin(sources["source_id"]) & t["unit"].isin(units)]
    return t[["source_id", "unit", "hours"]]


def _keep_nearest(arcs: pd.DataFrame, by: str, size: pd.Series, total: float) -> np.ndarray:
    """Per ``by`` group, the arcs by hours until the other ends' ``size`` adds up to ``total``."""
    other = "unit" if by == "source_id" else "source_id"
    order = arcs.sort_values([by, "hours"], kind="stable")
    q = order[other].map(size).to_numpy(float)
    cum = pd.Series(q, index=order.index).groupby(order[by].to_numpy()).cumsum().to_numpy()
    keep = np.zeros(len(arcs), bool)
    keep[arcs.index.get_indexer(order.index[cum - q < total])] = True
    return keep


def _reduce(sa: pd.DataFrame, pa_: pd.DataFrame, stock: pd.DataFrame | None, nd: pd.DataFrame,
            d: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop arcs no optimal solution needs (exact; checked against the full network in the tests).

    Scarce (reachable supply S < total need D): a source only ever needs its nearest units whose
    needs add up to S; some of them stays short, so a flow to a farther unit can move there at no
    more hours (for production, to a later deadline, which keeps the EDF constraints). Abundant
    (S >= D): a unit only ever needs its nearest depots whose stock adds up to D (production arcs
    are all kept).
    """
    sa, pa_ = sa.reset_index(drop=True), pa_.reset_index(drop=True)
    need = nd.set_index("unit")["need"]
    q = stock.groupby("source_id")["quantity"].sum() if stock is not None and len(sa) else pd.Series(dtype=float)
    supply = float(q.reindex(pd.unique(sa["source_id"])).sum()) if len(sa) else 0.0
    if len(pa_):
        supply += float(pa_.groupby("source_id")["ub"].max().sum())
    total_need = float(need.sum())
    if supply < total_need:
        return (sa[_keep_nearest(sa, "source_id", need, supply)] if len(sa) else sa,
                pa_[_keep_nearest(pa_, "source_id", need, supply)] if len(pa_) else pa_)
    return (sa[_keep_nearest(sa, "unit", q, total_need)] if len(sa) else sa), pa_


def _solve(nd: pd.DataFrame, stock: pd.DataFrame | None, cap: pd.DataFrame | None, tr: dict, d: float,
           info: dict) -> tuple[np.ndarray, pd.DataFrame]:
    units = pd.Index(nd["unit"])
    need = nd["need"].to_numpy(float)
    sa = _arcs("stock", stock, tr, units, d)
    pa_ = _arcs("production", cap, tr, units, d)
    if cap is not None and len(pa_):
        c = cap.groupby("source_id").agg(per_day=("per_day", "sum"), ramp_h=("ramp_h", "min"))
        pa_ = pa_.join(c, on="source_id")
        pa_ = pa_[d - pa_["hours"] > pa_["ramp_h"] + _EPS].copy()
        pa_["tau"] = d - pa_["hours"]
        pa_["ub"] = production_available(pa_["per_day"], pa_["ramp_h"], pa_["tau"])
    sa, pa_ = _reduce(sa, pa_, stock, nd, d)
    if len(pa_):
        pa_ = pa_.sort_values(["source_id", "tau", "unit"], kind="stable", ignore_index=True)
    n_s, n_p = len(sa), len(pa_)
    n = n_s + n_p
    if n == 0:
        return np.zeros(len(units)), pd.DataFrame()
    info["problems"] += 1
    info["variables"] += n
    unit_of = np.concatenate([units.get_indexer(sa["unit"]), units.get_indexer(pa_["unit"])])
    hours = np.concatenate([sa["hours"].to_numpy(float), pa_["hours"].to_numpy(float)])
    rows, cols_, ub = [unit_of], [np.arange(n)], [need]
    offset = len(units)
    if n_s:
        q = stock.groupby("source_id")["quantity"].sum()
        src = pd.Index(pd.unique(sa["source_id"]))
        rows.append(offset + src.get_indexer(sa["source_id"]))
        cols_.append(np.arange(n_s))
        ub.append(q.reindex(src).to_numpy(float))
        offset += len(src)
    a_eq = b_eq = None
    bounds = np.zeros((n + n_p, 2))
    bounds[:, 1] = np.inf
    if n_p:
        # nested EDF constraints through cumulative variables y (one per production arc, sorted by
        # tau within an enterprise): y_k = y_{k-1} + x_k and 0 <= y_k <= P(tau_k)
        sid = pa_["source_id"].to_numpy()
        first = np.r_[True, sid[1:] != sid[:-1]]
        k = np.arange(n_p)
        prev = np.flatnonzero(~first)
        r = np.concatenate([k, k, prev])
        c = np.concatenate([n + k, n_s + k, n + prev - 1])
        v = np.concatenate([np.ones(n_p), -np.ones(n_p), -np.ones(len(prev))])
        a_eq = sp.csr_matrix((v, (r, c)), shape=(n_p, n + n_p))
        b_eq = np.zeros(n_p)
        bounds[n:, 1] = pa_["ub"].to_numpy(float)
    a = sp.csr_matrix((np.ones(sum(len(r) for r in rows)), (np.concatenate(rows), np.concatenate(cols_))),
                      shape=(offset, n + n_p))
    big = (len(units) + 1) * d + 1
    cost = np.concatenate([hours - big, np.zeros(n_p)])
    res = linprog(cost, A_ub=a, b_ub=np.concatenate(ub), A_eq=a_eq, b_eq=b_eq, bounds=bounds, method=_METHOD)
    if res.status != 0:
        raise AllocationError(f"HiGHS status {res.status}: {res.message}")
    info["optimal"] += 1
    x = np.where(res.x[:n] > 1e-7, res.x[:n], 0.0)
    arrived = np.bincount(unit_of, weights=x, minlength=len(units))
    keep = x > 0
    arrival = hours.copy()
    if n_p:  # EDF: the last unit of each production flow is made at ramp + cumulative / rate
        xp = x[n_s:]
        cum = pd.Series(xp).groupby(pa_["source_id"].to_numpy()).cumsum().to_numpy()
        made = pa_["ramp_h"].to_numpy(float) + 24.0 * cum / pa_["per_day"].to_numpy(float)
        arrival[n_s:] = made + pa_["hours"].to_numpy(float)
    kinds = np.array(["stock"] * n_s + ["production"] * n_p, dtype=object)
    ids = np.concatenate([sa["source_id"].to_numpy(object), pa_["source_id"].to_numpy(object)])
    flows = pd.DataFrame({"source_kind": kinds[keep], "source_id": ids[keep], "unit": units.to_numpy()[unit_of[keep]],
                          "quantity": x[keep], "hours": arrival[keep]})
    return arrived, flows
