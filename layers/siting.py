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
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

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
        sites, m_share, added_bound, status = _milp(a, w, base, k, cost_v, budget, cap_v, amount,
                                                    max(time_limit - (time.perf_counter() - t0),
                                                        0.1 * time_limit), mip_rel_gap)
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
