"""Where to put k new depots: the maximal covering location problem (MCLP).

Church & ReVelle (1974), "The maximal covering location problem", *Papers of the Regional
Science Association* 32: choose at most ``k`` candidate sites so that the demand weight within
the service standard of an open site (existing depots included) is largest. The core takes a
coverage matrix ``cover[i, j]`` (demand ``i`` is reachable from candidate ``j`` within the
standard, e.g. 6 h for a county reserve) and a weight per demand (population, exposed assets);
building that matrix from costs is the caller's job, as in spopt's ``from_cost_matrix``.

Two solvers:

* ``"milp"``: the exact model, solved by HiGHS through :func:`scipy.optimize.milp`; ``bound``
  is HiGHS' dual bound, so ``gap`` is a proof of quality. Optional budget (``cost @ x <=
  budget``) and capacities (a site serves at most ``capacity[j]`` of assigned
  ``demand_amount``; assignments are continuous, so a demand may be split between sites and
  counts by the share served).
* ``"greedy"``: add the site with the largest gain (gain / cost under a budget), then 1-swap
  local search. ``bound`` is the data-dependent submodular bound (Minoux 1978; Leskovec et al.
  2007, "Cost-effective outbreak detection", KDD): for any set ``S``,
  ``OPT <= f(S) + (largest admissible sum of single-site gains w.r.t. S)``, the sum being the
  top-``k`` gains, and under a budget also the fractional-knapsack value of the gains; the
  minimum over every set visited is reported. It is a true upper bound and much tighter than
  ``f(greedy) / (1 - 1/e)``. Greedy does not do capacities.

``method="auto"`` uses greedy when ``cover`` has more than :data:`GREEDY_THRESHOLD` nonzeros
and no capacities are given, otherwise the MILP. Uncapacitated, greedy always runs first: when
its bound proves it optimal (always for ``k = 1`` without budget) HiGHS is skipped, and the
better of the two sets is kept. Limits: the number of sites is *at most* ``k``
(never forced to open a useless site); coverage is binary (no distance decay); the MILP grows
with the nonzeros of ``cover`` (capacitated: one variable per nonzero).
The module is long (~580 lines) because the MCLP's three solvers (MILP, greedy + swap, the
bound) and their store adapter share the coverage matrix and its checks; they are read together.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from etl import schema
from layers.analysis.travel import AccessParams, check_hours_by_tier, pairs_within_hours
from layers.frames import at_risk_cells, cells_in_unit, h3_strings, region_cells

logger = logging.getLogger(__name__)

#: Nonzeros of ``cover`` above which ``method="auto"`` uses greedy. Measured (random points,
#: k 5-20, 60 s limit): HiGHS proves optimality in ~1 s at 17k nonzeros, 34-60 s at 150k, and
#: at 750k ends at the time limit no better than greedy (0.1 s); uniform-random covers are harder.
GREEDY_THRESHOLD = 100_000
_EPS = 1e-12
_TOL = 1e-6  # integrality/assignment tolerance when reading solver values


class SitingError(ValueError):
    """Inputs to :func:`solve_mclp` that cannot be used (names the parameter)."""


class SolverError(RuntimeError):
    """HiGHS returned no usable solution (infeasible model or time limit without incumbent)."""


@dataclass(frozen=True)
class SitingResult:
    """A siting decision and its quality.

    Attributes: ``sites`` (sorted candidate indices), ``objective`` (weight covered, existing
    depots included; capacitated: weight times share served), ``bound`` (upper bound on the
    best objective), ``gap`` (``(bound - objective) / max(bound, eps)``), ``covered`` (bool per
    demand), ``share`` (served fraction per demand, 0/1 unless capacitated), ``method``
    (``"milp"`` or ``"greedy"``), ``status`` (solver text), ``seconds``, ``before`` (weight
    covered by existing depots only) and ``after`` (same as ``objective``).
    """

    sites: np.ndarray
    objective: float
    bound: float
    gap: float
    covered: np.ndarray
    share: np.ndarray
    method: str
    status: str
    seconds: float
    before: float
    after: float


def _vector(name: str, value: Any, n: int, *, allow_none: bool = True) -> np.ndarray | None:
    """``value`` as a finite, non-negative float vector of length ``n``, or a SitingError."""
    if value is None:
        if allow_none:
            return None
        raise SitingError(f"{name} is required, got None")
    arr = np.asarray(value, dtype=float)
    if arr.shape != (n,):
        raise SitingError(f"{name} must have shape ({n},), got {arr.shape}")
    if not np.isfinite(arr).all():
        raise SitingError(f"{name} must be finite, got {int((~np.isfinite(arr)).sum())} "
                          f"NaN/inf value(s) (first at index {int(np.flatnonzero(~np.isfinite(arr))[0])})")
    if (arr < 0).any():
        i = int(np.flatnonzero(arr < 0)[0])
        raise SitingError(f"{name} must be >= 0, got {float(arr[i])!r} at index {i}")
    return arr


def _cover_matrix(cover: Any) -> sp.csr_matrix:
    """``cover`` as a 0/1 float CSR matrix, or a SitingError."""
    if sp.issparse(cover):
        mat = sp.csr_matrix(cover)
    else:
        arr = np.asarray(cover)
        if arr.ndim != 2:
            raise SitingError(f"cover must be 2-D (n_demand x n_candidates), got {arr.ndim}-D")
        mat = sp.csr_matrix(arr)
    if mat.ndim != 2 or 0 in mat.shape:
        raise SitingError(f"cover must be a non-empty 2-D matrix, got shape {mat.shape}")
    mat.eliminate_zeros()
    data = np.asarray(mat.data, dtype=float)
    if not np.isin(data, (0.0, 1.0)).all():
        raise SitingError("cover must be boolean or 0/1, got values such as "
                          f"{data[~np.isin(data, (0.0, 1.0))][:3].tolist()}")
    out = sp.csr_matrix((np.ones(mat.nnz), mat.indices, mat.indptr), shape=mat.shape)
    out.sum_duplicates()
    out.data[:] = 1.0
    return out


def _share(a_csr: sp.csr_matrix, sites: np.ndarray) -> np.ndarray:
    """1.0 for demand covered by one of ``sites``, else 0.0."""
    share = np.zeros(a_csr.shape[0])
    share[np.diff(a_csr[:, sites].tocsr().indptr) > 0] = 1.0
    return share


def _knapsack_bound(gains: np.ndarray, k: int, cost: np.ndarray | None,
                    budget: float | None) -> float:
    """Upper bound of the best sum of gains over at most ``k`` sites within ``budget``."""
    pos = gains > 0
    g = gains[pos]
    top = float(np.sort(g)[::-1][:k].sum())
    if cost is None or budget is None:
        return top
    c = cost[pos]
    free = c <= 0
    total = float(g[free].sum())
    ratio_order = np.argsort(-(g[~free] / c[~free]), kind="stable")
    gs, cs = g[~free][ratio_order], c[~free][ratio_order]
    cum = np.cumsum(cs)
    full = int(np.searchsorted(cum, budget, side="right"))
    total += float(gs[:full].sum())
    if full < gs.size:
        left = budget - (cum[full - 1] if full else 0.0)
        total += float(gs[full] * left / cs[full])
    return min(top, total)


def _greedy(a_csr: sp.csr_matrix, w: np.ndarray, base: np.ndarray, k: int,
            cost: np.ndarray | None, budget: float | None, deadline: float):
    """Greedy + 1-swap local search; returns (sites, bound of the added weight, swaps done)."""
    a_csc = a_csr.tocsc()
    at = a_csr.T.tocsr()
    cnt = np.zeros(a_csr.shape[0], dtype=np.int64)  # selected sites covering each demand
    chosen: list[int] = []
    spent = 0.0
    gained = 0.0
    bound = np.inf

    def gains_for(count: np.ndarray) -> np.ndarray:
        return at @ (w * ((count == 0) & ~base))

    while True:
        g = gains_for(cnt)
        bound = min(bound, gained + _knapsack_bound(g, k, cost, budget))
        if len(chosen) >= k:
            break
        ok = g > 0
        if cost is not None:
            ok &= cost <= budget - spent + _EPS
        if not ok.any():
            break
        score = np.where(ok, g, -np.inf)
        if cost is not None:
            score = np.where(ok, g / np.maximum(cost, _EPS), -np.inf)
        j = int(np.argmax(score))
        chosen.append(j)
        spent += 0.0 if cost is None else float(cost[j])
        gained += float(g[j])
        cnt[a_csc.indices[a_csc.indptr[j]:a_csc.indptr[j + 1]]] += 1
    swaps = 0
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for pos, s in enumerate(list(chosen)):
            rows = a_csc.indices[a_csc.indptr[s]:a_csc.indptr[s + 1]]
            trial = cnt.copy()
            trial[rows] -= 1
            loss = float(w[rows][(trial[rows] == 0) & ~base[rows]].sum())
            g = gains_for(trial)
            g[chosen] = -np.inf
            if cost is not None:
                g[cost > budget - spent + float(cost[s]) + _EPS] = -np.inf
            j = int(np.argmax(g))
            if g[j] > loss * (1 + 1e-12) + _EPS:
                chosen[pos] = j
                spent += 0.0 if cost is None else float(cost[j] - cost[s])
                gained += float(g[j]) - loss
                trial[a_csc.indices[a_csc.indptr[j]:a_csc.indptr[j + 1]]] += 1
                cnt = trial
                swaps += 1
                improved = True
        if improved:
            g = gains_for(cnt)
            bound = min(bound, gained + _knapsack_bound(g, k, cost, budget))
    return np.array(sorted(chosen), dtype=np.int64), bound, swaps


def _milp(a_csr: sp.csr_matrix, w: np.ndarray, base: np.ndarray, k: int,
          cost: np.ndarray | None, budget: float | None, capacity: np.ndarray | None,
          amount: np.ndarray | None, time_limit: float, gap: float):
    """Exact MCLP by HiGHS; returns (sites, share per demand, bound of the added weight, status)."""
    n, m = a_csr.shape
    rows = np.flatnonzero(~base & (w > 0) & (np.diff(a_csr.indptr) > 0))  # demand still to win
    if rows.size == 0:
        return np.array([], dtype=np.int64), np.zeros(n), 0.0, "nothing left to cover"
    sub = a_csr[rows].tocoo()
    scale = float(w[rows].max())
    wr = w[rows] / scale
    blocks, lo, hi = [], [], []
    if capacity is None:  # variables: x (m), z (len(rows)); z_i - sum_j a_ij x_j <= 0
        nv = m + rows.size
        c = np.concatenate([np.zeros(m), -wr])
        blocks.append(sp.hstack([-sp.csr_matrix(sub), sp.identity(rows.size)], format="csr"))
        lo.append(np.full(rows.size, -np.inf)), hi.append(np.zeros(rows.size))
    else:  # variables: x (m), y (one per nonzero of cover[rows])
        q = sub.nnz
        nv = m + q
        r_, j_, e_ = sub.row, sub.col, np.arange(q)
        c = np.concatenate([np.zeros(m), -wr[r_]])
        blocks.append(sp.csr_matrix((np.ones(q), (r_, m + e_)), shape=(rows.size, nv)))
        lo.append(np.full(rows.size, -np.inf)), hi.append(np.ones(rows.size))  # sum_j y_ij <= 1
        cap = sp.csr_matrix((np.concatenate([amount[rows][r_], -capacity]),
                             (np.concatenate([j_, np.arange(m)]), np.concatenate([m + e_, np.arange(m)]))),
                            shape=(m, nv))
        blocks.append(cap)  # sum_i d_i y_ij - cap_j x_j <= 0
        lo.append(np.full(m, -np.inf)), hi.append(np.zeros(m))
        blocks.append(sp.csr_matrix((np.concatenate([np.ones(q), -np.ones(q)]),
                                     (np.concatenate([e_, e_]), np.concatenate([m + e_, j_]))),
                                    shape=(q, nv)))  # y_ij <= x_j (needed when d_i = 0)
        lo.append(np.full(q, -np.inf)), hi.append(np.zeros(q))
    blocks.append(sp.csr_matrix(np.concatenate([np.ones(m), np.zeros(nv - m)])[None, :]))
    lo.append([-np.inf]), hi.append([float(k)])
    if cost is not None:
        blocks.append(sp.csr_matrix(np.concatenate([cost, np.zeros(nv - m)])[None, :]))
        lo.append([-np.inf]), hi.append([float(budget)])
    res = milp(c, integrality=np.concatenate([np.ones(m), np.zeros(nv - m)]),
               bounds=Bounds(0, 1),
               constraints=LinearConstraint(sp.vstack(blocks, format="csr"),
                                            np.concatenate(lo), np.concatenate(hi)),
               options={"time_limit": float(time_limit), "mip_rel_gap": float(gap), "disp": False})
    if res.x is None:
        raise SolverError(f"HiGHS found no solution: {res.message}")
    sites = np.flatnonzero(res.x[:m] > 0.5)
    if capacity is None:
        share = _share(a_csr, sites)
    else:
        share = np.zeros(n)
        y = np.clip(res.x[m:], 0.0, 1.0)
        y[res.x[:m][sub.col] <= 0.5] = 0.0
        share[rows] = np.minimum(np.bincount(sub.row, weights=y, minlength=rows.size), 1.0)
        share[share >= 1 - _TOL] = 1.0
    dual = getattr(res, "mip_dual_bound", None)
    bound = np.inf if dual is None or not np.isfinite(dual) else -float(dual) * scale
    return sites, share, bound, res.message


def solve_mclp(cover: Any, weight: Any, k: int, *, covered_already: Any = None,
               cost: Any = None, budget: float | None = None, capacity: Any = None,
               demand_amount: Any = None, time_limit: float = 60.0, mip_rel_gap: float = 0.0,
               method: str = "auto") -> SitingResult:
    """Choose at most ``k`` candidate sites that cover the most demand weight.

    Parameters
    ----------
    cover
        ``(n_demand, n_candidates)`` boolean or 0/1 matrix, dense or scipy.sparse:
        ``cover[i, j]`` is true when candidate ``j`` reaches demand ``i`` within the standard.
    weight
        ``(n_demand,)`` non-negative weights (population, exposure).
    k
        Largest number of new sites (at least 1); fewer are opened when more add nothing.
    covered_already
        ``(n_demand,)`` bool: demand already covered by existing depots; counts in the
        objective and needs no new site.
    cost, budget
        Site costs ``(n_candidates,)`` and the budget ``cost @ x <= budget`` (give both).
    capacity, demand_amount
        Capacitated variant (MILP only): site ``j`` serves at most ``capacity[j]`` of the
        ``demand_amount`` (default ``weight``) assigned to it; a demand counts by its share.
    time_limit
        Seconds for HiGHS or for the local search.
    mip_rel_gap
        Relative gap at which HiGHS stops (0: prove optimality).
    method
        ``"auto"``, ``"milp"`` or ``"greedy"`` (see the module docstring).

    Returns
    -------
    SitingResult
        Sites, objective, upper bound, gap, covered demand, method and timing.

    Raises
    ------
    SitingError
        (a ``ValueError``) for a bad ``k``, shape, negative or NaN value, or an option
        combination that cannot be honoured (e.g. ``method="greedy"`` with capacities).
    SolverError
        When HiGHS returns no solution within ``time_limit``.

    Examples
    --------
    >>> import numpy as np
    >>> r = solve_mclp(np.array([[1, 0], [1, 0], [0, 1]], bool), [1.0, 1.0, 5.0], k=1)
    >>> r.sites.tolist(), r.objective, r.gap
    ([1], 5.0, 0.0)
    """
    t0 = time.perf_counter()
    if isinstance(k, bool) or not isinstance(k, Integral) or k < 1:
        raise SitingError(f"k must be an integer >= 1, got {k!r}")
    if method not in ("auto", "milp", "greedy"):
        raise SitingError(f"method must be 'auto', 'milp' or 'greedy', got {method!r}")
    for name, val in (("time_limit", time_limit), ("mip_rel_gap", mip_rel_gap)):
        if isinstance(val, bool) or not isinstance(val, Real) or not np.isfinite(val) or val < 0 \
                or (name == "time_limit" and val == 0):
            raise SitingError(f"{name} must be a finite number {'> 0' if name == 'time_limit' else '>= 0'},"
                              f" got {val!r}")
    a = _cover_matrix(cover)
    n, m = a.shape
    w = _vector("weight", weight, n, allow_none=False)
    if covered_already is None:
        base = np.zeros(n, dtype=bool)
    else:
        base = np.asarray(covered_already)
        if base.shape != (n,) or base.dtype != bool:
            raise SitingError(f"covered_already must be a bool array of shape ({n},), "
                              f"got {base.dtype} {base.shape}")
    cost_v = _vector("cost", cost, m)
    if (cost_v is None) != (budget is None):
        raise SitingError("cost and budget go together, got "
                          f"cost={'None' if cost_v is None else 'array'}, budget={budget!r}")
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, Real)
                               or not np.isfinite(budget) or budget < 0):
        raise SitingError(f"budget must be a finite number >= 0, got {budget!r}")
    cap_v = _vector("capacity", capacity, m)
    amount = _vector("demand_amount", demand_amount, n)
    if amount is not None and cap_v is None:
        raise SitingError("demand_amount needs capacity, got capacity=None")
    if cap_v is not None and amount is None:
        amount = w
    if method == "auto":
        method = "greedy" if cap_v is None and a.nnz > GREEDY_THRESHOLD else "milp"
    if method == "greedy" and cap_v is not None:
        raise SitingError("method='greedy' does not handle capacity; use method='milp'")
    before = float(w[base].sum())
    coverable = before + float(w[~base & (np.diff(a.indptr) > 0)].sum())
    g_sites, g_bound, g_status = np.array([], dtype=np.int64), np.inf, ""
    if cap_v is None:  # cheap, and often proves optimality (always for k = 1 without budget)
        deadline = t0 + (time_limit if method == "greedy" else 0.1 * time_limit)
        g_sites, g_bound, swaps = _greedy(a, w, base, k, cost_v, budget, deadline)
        g_status = f"greedy + 1-swap local search ({swaps} swap(s))"
    share = _share(a, g_sites)
    if method == "greedy" or (cap_v is None and before + g_bound <= w @ np.maximum(share, base)
                              * (1 + 1e-12) + _EPS):
        sites, added_bound = g_sites, g_bound
        status = g_status + ("" if method == "greedy" else ": proven optimal by its bound, MILP skipped")
        method = "greedy"
    else:
        try:
            sites, m_share, added_bound, status = _milp(a, w, base, k, cost_v, budget, cap_v, amount,
                                                        max(time_limit - (time.perf_counter() - t0),
                                                            0.1 * time_limit), mip_rel_gap)
        except SolverError as exc:
            if cap_v is not None:
                raise
            # HiGHS found no incumbent in time: keep the greedy set and its bound, say so
            sites, m_share, added_bound, method = g_sites, share, g_bound, "greedy"
            status = f"{g_status}; {exc} -> the greedy set and its bound are reported"
        if cap_v is None and w @ np.maximum(share, base) > w @ np.maximum(m_share, base):
            status += "; the greedy set was better and is kept"
            sites = g_sites
        else:
            share = m_share
        added_bound = min(added_bound, g_bound)
    share[base] = 1.0
    objective = float(w @ share)
    bound = max(objective, min(before + added_bound, coverable))
    gap = (bound - objective) / max(bound, _EPS)
    if gap < 1e-9:
        gap = 0.0
    seconds = time.perf_counter() - t0
    logger.debug("mclp %s n=%d m=%d nnz=%d k=%d: %.6g (bound %.6g) in %.2fs", method, n, m,
                 a.nnz, k, objective, bound, seconds)
    return SitingResult(sites=sites, objective=objective, bound=float(bound), gap=float(gap),
                        covered=share >= 1.0, share=share, method=method, status=str(status),
                        seconds=seconds, before=before, after=objective)


# --- store adapter ----------------------------------------------------------------------------

def cover_within(demand: pd.DataFrame, candidates: pd.DataFrame, params: AccessParams, tier: str,
                 hours: float) -> sp.csr_matrix:
    """``(len(demand), len(candidates))`` 0/1 matrix: a depot of ``tier`` at the candidate reaches
    the demand cell within ``hours`` (``layers.analysis.travel.pairs_within_hours``)."""
    fac = pd.DataFrame({"lat": candidates["lat"].to_numpy(float), "lng": candidates["lng"].to_numpy(float),
                        "group": tier})
    p = pairs_within_hours(demand, fac, params, hours)
    return sp.csr_matrix((np.ones(len(p)), (p["i"].to_numpy(), p["j"].to_numpy())),
                         shape=(len(demand), len(candidates)))


def siting_from_store(store: Any, k: int, *, hazard: str = "flood", res: int = 7, min_class: Any = None,
                      tier: str = "county", hours: float | None = None, existing: bool = True,
                      weighting: str = "auto", adcode: str | None = None, exclude_at_risk: bool = False,
                      time_limit: float = 60.0, method: str = "auto",
                      **access_overrides: Any) -> tuple[pd.DataFrame, dict[str, Any], pd.DataFrame]:
    """Choose ``k`` new depots of ``tier`` among the region's cells (MCLP on a store).

    Demand: the cells at risk from ``hazard`` (``layers.analysis.gaps.at_risk_cells``), each weighted
    by its hazard class times its population (``weighting="population"``; ``exposure_cells``)
    or its area (``"area"``); ``"auto"`` takes population when the store has exposure.
    Candidates: every cell of the region (or of ``adcode``) at ``res``, optionally without
    the at-risk cells. A candidate covers a demand cell when a depot there arrives within
    ``hours`` (default: the tier's standard, meta ``standards.hours_by_tier``) under the
    access distance model; existing depots of the tier are fixed and count (``existing``).

    Returns
    -------
    (sites, summary, demand)
        ``sites``: one row per new site in order of marginal gain: ``order``, ``cell`` (H3
        string), ``lon``, ``lat``, ``county``, ``city``, ``province``, ``gain_weight``,
        ``gain_area_km2``, ``gain_population`` (demand newly covered that no other new site
        covers). ``summary``: JSON-ready dict with ``objective``, ``bound``, ``gap``,
        ``sites``, before/after weight, area and population shares, method, status, timings.
        ``demand``: the at-risk cells (H3 string) with ``weight``, ``covered_before`` and
        ``covered_after``.

    Raises
    ------
    SitingError
        (a ``ValueError``) bad ``k``, ``tier``, ``hours``, ``weighting`` or ``adcode``;
        ``ValueError`` from ``at_risk_cells`` / ``AccessParams`` for a bad hazard, res,
        min_class or access parameter.
    """
    t0 = time.perf_counter()
    if isinstance(k, bool) or not isinstance(k, Integral) or k < 1:
        raise SitingError(f"k: found {k!r:.20}; expected an integer >= 1")
    if tier not in schema.RESERVE_TIERS:
        raise SitingError(f"tier: found {tier!r:.30}; expected one of {list(schema.RESERVE_TIERS)}")
    if weighting not in ("auto", "population", "area"):
        raise SitingError(f"weighting: found {weighting!r:.30}; expected auto, population or area")
    standards = store.meta.get("standards") or {}
    std = check_hours_by_tier(dict(standards.get("hours_by_tier") or {}))
    if hours is None:
        if tier not in std:
            raise SitingError(f"hours: the store has no standard for tier {tier!r} (found {sorted(std)}); "
                              "give --hours")
        hours = std[tier]
    if isinstance(hours, bool) or not isinstance(hours, Real) or not np.isfinite(hours) or hours <= 0:
        raise SitingError(f"hours: found {hours!r:.20}; expected a number of hours > 0")
    params = AccessParams.from_standards(standards, **access_overrides)
    params.speed_for(tier)  # a tier without speed fails here, before any work
    demand = at_risk_cells(store, hazard, res, min_class=min_class)
    try:
        restrict = None if adcode is None else cells_in_unit(store, res, adcode)
    except ValueError as exc:
        raise SitingError(str(exc)) from None
    cells = region_cells(store, res)
    if restrict is not None:
        cells = cells[np.isin(cells["cell"].to_numpy(np.uint64), restrict)]
        demand = demand[np.isin(demand["cell"].to_numpy(np.uint64), restrict)]
    if exclude_at_risk:
        cells = cells[~np.isin(cells["cell"].to_numpy(np.uint64), demand["cell"].to_numpy(np.uint64))]
    demand = demand.reset_index(drop=True)
    cells = cells.reset_index(drop=True)
    if demand.empty or cells.empty:
        raise SitingError(f"no {'at-risk cells' if demand.empty else 'candidate cells'} for hazard "
                          f"{hazard!r} in {adcode or 'the region'} at res {res}; lower min_class or widen the area")
    pop = demand["population"].to_numpy(float)
    has_pop = bool(np.nan_to_num(pop).sum() > 0)
    if weighting == "population" and not has_pop:
        raise SitingError("weighting: 'population' needs exposure_cells in the store (none found); use 'area'")
    use_pop = weighting == "population" or (weighting == "auto" and has_pop)
    cls = demand["hazard_class"].to_numpy(float) if "hazard_class" in demand else np.ones(len(demand))
    weight = cls * (np.nan_to_num(pop) if use_pop else demand["area_km2"].to_numpy(float))

    base = np.zeros(len(demand), dtype=bool)
    n_existing = 0
    if existing:
        fac = store.query("SELECT lat, lon AS lng FROM reserves WHERE tier = ?", [tier])
        n_existing = len(fac)
        if n_existing:
            base = np.diff(cover_within(demand, fac, params, tier, hours).indptr) > 0
    # Only demand not yet covered can gain; only candidates reaching some of it matter.
    open_rows = np.flatnonzero(~base)
    cover_open = cover_within(demand.iloc[open_rows], cells, params, tier, hours)
    useful = np.flatnonzero(np.diff(cover_open.tocsc().indptr) > 0)
    t_cover = time.perf_counter() - t0
    if len(useful) == 0:
        sites_idx, result = np.array([], np.int64), None
        before = objective = bound = float(weight[base].sum())
        covered_after = base.copy()
        gap, method_used, status, solve_s = 0.0, "none", "nothing to gain: no candidate reaches uncovered demand", 0.0
    else:
        sub = cover_open[:, useful]
        result = solve_mclp(sub, weight[open_rows], k, time_limit=time_limit, method=method)
        sites_idx = useful[result.sites]
        before = float(weight[base].sum())
        objective = before + result.objective
        bound = before + result.bound
        gap = (bound - objective) / max(bound, _EPS)
        covered_after = base.copy()
        covered_after[open_rows[result.covered]] = True
        method_used, status, solve_s = result.method, result.status, result.seconds

    # marginal (exclusive) gain of each chosen site, and greedy-style order by it
    rows = []
    if len(sites_idx):
        chosen = cover_open[:, sites_idx].tocsc()
        counts = np.asarray(chosen.sum(axis=1)).ravel()
        for col, j in enumerate(sites_idx):
            hit = chosen[:, col].nonzero()[0]
            only = open_rows[hit[counts[hit] == 1]]
            rows.append((int(j), float(weight[only].sum()), float(demand["area_km2"].to_numpy()[only].sum()),
                         float(np.nansum(pop[only])) if has_pop else float("nan")))
    rows.sort(key=lambda r: -r[1])
    pick = [r[0] for r in rows]
    chosen_cells = cells.iloc[pick]
    prov = store.query("SELECT cell, province FROM admin_cells WHERE res = ?", [int(res)])
    prov_of = dict(zip(prov["cell"].to_numpy(np.uint64).tolist(), prov["province"]))
    sites = pd.DataFrame({
        "order": np.arange(1, len(pick) + 1),
        "cell": h3_strings(chosen_cells["cell"].to_numpy(np.uint64)),
        "lon": chosen_cells["lng"].to_numpy(), "lat": chosen_cells["lat"].to_numpy(),
        "county": chosen_cells["county"].to_numpy(), "city": chosen_cells["city"].to_numpy(),
        "province": [prov_of.get(c) for c in chosen_cells["cell"].to_numpy(np.uint64).tolist()],
        "gain_weight": [r[1] for r in rows], "gain_area_km2": [r[2] for r in rows],
        "gain_population": [r[3] for r in rows]})
    area = demand["area_km2"].to_numpy(float)
    total_w, total_a = float(weight.sum()), float(area.sum())

    def share(mask: np.ndarray, values: np.ndarray, total: float) -> float:
        return float(values[mask].sum() / total) if total > 0 else 0.0

    summary = {
        "analysis": "siting", "method_ref": "layers/METHODS.md#siting",
        "objective": objective, "bound": bound, "gap": float(max(gap, 0.0)) if gap > 1e-9 else 0.0,
        "sites": [{"cell": c, "lon": round(float(x), 5), "lat": round(float(y), 5), "county": co}
                  for c, x, y, co in zip(sites["cell"], sites["lon"], sites["lat"], sites["county"])],
        "k": int(k), "hazard": hazard, "res": int(res), "tier": tier, "hours": float(hours),
        "adcode": adcode, "weighting": "population x class" if use_pop else "area_km2 x class",
        "existing_depots": n_existing, "demand_cells": int(len(demand)), "candidate_cells": int(len(cells)),
        "useful_candidates": int(len(useful)), "cover_nonzeros": int(cover_open.nnz),
        "before": before, "after": objective, "total_weight": total_w,
        "before_share": share(base, weight, total_w), "after_share": share(covered_after, weight, total_w),
        "at_risk_area_km2": total_a, "covered_area_before_km2": float(area[base].sum()),
        "covered_area_after_km2": float(area[covered_after].sum()),
        "solver": method_used, "status": status, "cover_seconds": round(t_cover, 3),
        "solve_seconds": round(solve_s, 3), "seconds": round(time.perf_counter() - t0, 3)}
    demand_out = pd.DataFrame({
        "cell": h3_strings(demand["cell"].to_numpy(np.uint64)), "county": demand["county"].to_numpy(),
        "area_km2": area, "population": pop, "weight": weight,
        "covered_before": base, "covered_after": covered_after})
    return sites, summary, demand_out
