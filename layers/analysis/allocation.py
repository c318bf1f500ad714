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

__all__ = ["AllocationError", "allocate", "production_available", "top_up"]

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
             deadlines: Sequence[float], *, reduce: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
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
    reduce
        Drop the links no optimal solution needs before solving (same result, smaller LPs;
        ``False`` solves the full network, e.g. as a benchmark reference).

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
    unit_ids = pd.Index(pd.unique(needs["unit"].astype(object)))
    kinds = {}
    for kind, table, value in (("stock", stock, "quantity"), ("production", capacity, "per_day")):
        table = table[table[value] > 0]
        ids = pd.Index(pd.unique(table["source_id"].astype(object)))
        t = travel[travel["source_kind"] == kind]
        src, unit = ids.get_indexer(t["source_id"].astype(object)), unit_ids.get_indexer(t["unit"].astype(object))
        ok = (src >= 0) & (unit >= 0)
        kinds[kind] = _Kind(ids, table.assign(code=ids.get_indexer(table["source_id"].astype(object))),
                            src[ok], unit[ok], t["hours"].to_numpy(float)[ok])
    results, flows = [], []
    info = {"problems": 0, "variables": 0, "optimal": 0}
    for material, nd in needs.groupby("material", sort=True):
        nd = nd.groupby("unit", sort=True)["need"].sum()
        units = unit_ids.get_indexer(nd.index.astype(object))
        need = np.zeros(len(unit_ids))
        need[units] = nd.to_numpy(float)
        st, pr = kinds["stock"], kinds["production"]
        q = st.amounts(material, "quantity")
        rate, ramp = pr.amounts(material, "per_day"), pr.amounts(material, "ramp_h", "min")
        for d in ds:
            arrived, fl = _solve(need, q, rate, ramp, st, pr, d, info, reduce)
            results.append(pd.DataFrame({"unit": nd.index.to_numpy(), "material": material, "deadline_h": d,
                                         "need": nd.to_numpy(float), "arrived": arrived[units]}))
            if len(fl):
                fl = pd.DataFrame({"deadline_h": d, "source_kind": fl["kind"],
                                   "source_id": fl["source_id"], "unit": unit_ids.to_numpy()[fl["unit"]],
                                   "material": material, "quantity": fl["quantity"], "hours": fl["hours"]})
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


class _Kind:
    """Sources of one kind (stock or production) as integer codes, and their travel arcs."""

    def __init__(self, ids: pd.Index, table: pd.DataFrame, src: np.ndarray, unit: np.ndarray, hours: np.ndarray):
        self.ids, self.table = ids, table
        order = np.argsort(hours, kind="stable")  # arcs by hours: every later selection keeps this order
        self.src, self.unit, self.hours = src[order], unit[order], hours[order]
        self.by_material = {m: g for m, g in table.groupby("material")}

    def amounts(self, material: str, column: str, how: str = "sum") -> np.ndarray:
        out = np.zeros(len(self.ids))
        g = self.by_material.get(material)
        if g is not None:
            agg = g.groupby("code")[column].agg(how)
            out[agg.index.to_numpy()] = agg.to_numpy(float)
        return out


def _keep_nearest(group: np.ndarray, other_size: np.ndarray, total: float) -> np.ndarray:
    """Arcs (already sorted by hours) kept per group until the other ends' sizes reach ``total``."""
    if len(group) == 0:
        return np.zeros(0, bool)
    order = np.argsort(group, kind="stable")  # by group, then hours
    g, q = group[order], other_size[order]
    cum = np.cumsum(q)
    start = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    base = np.repeat(cum[start] - q[start], np.diff(np.r_[start, len(g)]))
    keep = np.zeros(len(group), bool)
    keep[order[(cum - base) - q < total]] = True
    return keep


def _solve(need: np.ndarray, q: np.ndarray, rate: np.ndarray, ramp: np.ndarray, st: _Kind, pr: _Kind, d: float,
           info: dict, reduce: bool = True) -> tuple[np.ndarray, dict]:
    """One material, one deadline: arrived per unit code and the flows (see the module docstring)."""
    s_ok = (st.hours <= d + _EPS) & (q[st.src] > 0) & (need[st.unit] > 0)
    s_src, s_unit, s_h = st.src[s_ok], st.unit[s_ok], st.hours[s_ok]
    p_ok = (rate[pr.src] > 0) & (need[pr.unit] > 0) & (d - pr.hours > ramp[pr.src] + _EPS)
    p_src, p_unit, p_h = pr.src[p_ok], pr.unit[p_ok], pr.hours[p_ok]
    p_ub = production_available(rate[p_src], ramp[p_src], d - p_h)
    # drop links no optimal solution needs (exact; checked against the full network in the tests):
    # scarce (reachable supply < total need): a source only needs its nearest units whose needs add up
    # to the supply; some of them stays short, so a flow to a farther unit can move there at no more
    # hours (for production, to a later deadline, which keeps the EDF constraints). Abundant: a unit
    # only needs its nearest depots whose stock adds up to the total need (production links all kept).
    supply = q[np.unique(s_src)].sum() + (pd.Series(p_ub).groupby(p_src).max().sum() if len(p_src) else 0.0)
    total_need = need.sum()
    if not reduce:
        ks = np.ones(len(s_src), bool)
    elif supply < total_need:
        ks, kp = _keep_nearest(s_src, need[s_unit], supply), _keep_nearest(p_src, need[p_unit], supply)
        p_src, p_unit, p_h, p_ub = p_src[kp], p_unit[kp], p_h[kp], p_ub[kp]
    else:
        ks = _keep_nearest(s_unit, q[s_src], total_need)
    s_src, s_unit, s_h = s_src[ks], s_unit[ks], s_h[ks]
    # production arcs by enterprise, then by production deadline tau = d - hours (ascending)
    po = np.lexsort((-p_h, p_src))
    p_src, p_unit, p_h, p_ub = p_src[po], p_unit[po], p_h[po], p_ub[po]
    n_s, n_p = len(s_src), len(p_src)
    n = n_s + n_p
    if n == 0:
        return np.zeros(len(need)), {}
    info["problems"] += 1
    info["variables"] += n
    units, unit_of = np.unique(np.r_[s_unit, p_unit], return_inverse=True)
    sources, src_of = np.unique(s_src, return_inverse=True)
    rows = np.r_[unit_of, len(units) + src_of]
    cols = np.r_[np.arange(n), np.arange(n_s)]
    a = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(units) + len(sources), n + n_p))
    b = np.r_[need[units], q[sources]]
    bounds = np.zeros((n + n_p, 2))
    bounds[:, 1] = np.inf
    a_eq = b_eq = None
    if n_p:
        # nested EDF constraints through cumulative variables y (one per production arc):
        # y_k = y_{k-1} + x_k within an enterprise, and 0 <= y_k <= P(tau_k)
        first = np.r_[True, p_src[1:] != p_src[:-1]]
        k = np.arange(n_p)
        prev = np.flatnonzero(~first)
        a_eq = sp.csr_matrix((np.r_[np.ones(n_p), -np.ones(n_p), -np.ones(len(prev))],
                              (np.r_[k, k, prev], np.r_[n + k, n_s + k, n + prev - 1])), shape=(n_p, n + n_p))
        b_eq = np.zeros(n_p)
        bounds[n:, 1] = p_ub
    hours = np.r_[s_h, p_h]
    big = (len(units) + 1) * d + 1
    res = linprog(np.r_[hours - big, np.zeros(n_p)], A_ub=a, b_ub=b, A_eq=a_eq, b_eq=b_eq, bounds=bounds,
                  method=_METHOD)
    if res.status != 0:
        raise AllocationError(f"HiGHS status {res.status}: {res.message}")
    info["optimal"] += 1
    x = np.where(res.x[:n] > 1e-7, res.x[:n], 0.0)
    arrived = np.zeros(len(need))
    np.add.at(arrived, units[unit_of], x)
    arrival = hours.copy()
    if n_p:  # EDF: the last unit of each production flow is made at ramp + cumulative / rate
        cum = pd.Series(x[n_s:]).groupby(p_src).cumsum().to_numpy()
        arrival[n_s:] = ramp[p_src] + 24.0 * cum / rate[p_src] + p_h
    keep = x > 0
    ids = np.r_[st.ids.to_numpy(object)[s_src], pr.ids.to_numpy(object)[p_src]]
    kind = np.r_[np.full(n_s, "stock", object), np.full(n_p, "production", object)]
    return arrived, {"kind": kind[keep], "source_id": ids[keep], "unit": np.r_[s_unit, p_unit][keep],
                     "quantity": x[keep], "hours": arrival[keep]}


def top_up(needs: pd.DataFrame, stock: pd.DataFrame, travel: pd.DataFrame, deadline: float) -> tuple[pd.DataFrame,
                                                                                                         pd.DataFrame]:
    """Where to stock how much: the least stock to add at existing depots so that every unit's need
    arrives within ``deadline`` hours from stock alone (then the fewest unit-hours).

    Per material: flows ``x`` on depot -> unit links within the deadline, additions ``y >= 0`` per
    depot; ``sum_i x_ji <= q_j + y_j``, ``sum_j x_ji = need_i`` for every unit some depot reaches;
    minimise ``sum y`` then ``sum hours * x`` (one LP, as ``allocate``). Production is not counted:
    this sizes physical stock.

    Returns
    -------
    plan : DataFrame
        ``source_id, material, held, add`` for depots that must hold more (``add > 0``).
    unreachable : DataFrame
        ``unit, material, need``: needs no depot reaches within the deadline (no stock helps).
    """
    d = float(deadline)
    if not math.isfinite(d) or d <= 0:
        raise ValueError(f"deadline: found {deadline!r}; expected hours > 0")
    t = travel[(travel["source_kind"] == "stock") & (travel["hours"] <= d + _EPS)]
    plans, lost = [], []
    for material, nd in needs[needs["need"] > 0].groupby("material", sort=True):
        nd = nd.groupby("unit")["need"].sum()
        q = stock[stock["material"] == material].groupby("source_id")["quantity"].sum()
        arcs = t[t["unit"].isin(nd.index)]
        reached = pd.Index(pd.unique(arcs["unit"]))
        gone = nd[~nd.index.isin(reached)]
        lost += [{"unit": u, "material": material, "need": float(v)} for u, v in gone.items()]
        if arcs.empty:
            continue
        units = pd.Index(reached)
        depots = pd.Index(pd.unique(arcs["source_id"]))
        n, m = len(arcs), len(depots)
        ui, dj = units.get_indexer(arcs["unit"]), depots.get_indexer(arcs["source_id"])
        a_ub = sp.csr_matrix((np.r_[np.ones(n), -np.ones(m)], (np.r_[dj, np.arange(m)], np.r_[np.arange(n), n + np.arange(m)])),
                             shape=(m, n + m))
        a_eq = sp.csr_matrix((np.ones(n), (ui, np.arange(n))), shape=(len(units), n + m))
        big = (len(units) + 1) * d + 1
        cost = np.r_[arcs["hours"].to_numpy(float), np.full(m, big)]
        res = linprog(cost, A_ub=a_ub, b_ub=q.reindex(depots).fillna(0.0).to_numpy(float), A_eq=a_eq,
                      b_eq=nd.reindex(units).to_numpy(float), bounds=(0, None), method=_METHOD)
        if res.status != 0:
            raise AllocationError(f"HiGHS status {res.status}: {res.message}")
        y = res.x[n:]
        keep = y > 1e-7
        plans.append(pd.DataFrame({"source_id": depots.to_numpy(object)[keep], "material": material,
                                   "held": q.reindex(depots).fillna(0.0).to_numpy(float)[keep], "add": y[keep]}))
    plan = pd.concat(plans, ignore_index=True) if plans else pd.DataFrame(
        {"source_id": [], "material": [], "held": [], "add": []})
    return plan.sort_values(["material", "add"], ascending=[True, False], ignore_index=True), pd.DataFrame(
        lost, columns=["unit", "material", "need"])
