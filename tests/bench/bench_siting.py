"""Benchmark: optimal siting (MCLP) on the JJJ demo, res-7 candidates, K = 1..10.

Not part of ``make test``::

    python tests/bench/bench_siting.py [--db data/jjj.duckdb] [--res 7] [--hours 1] [--kmax 10] [--milp-limit 60]

Demand: the flood at-risk res-7 cells (class >= 2) weighted by class x population (area when
the store has no exposure); candidates: every res-7 cell of the region; new county depots must
arrive within ``--hours`` (default 1 h: at the 6 h standard the demo's county depots already
cover all demand, so there is nothing to site). For each K, in the same run:

- onemap: ``siting_from_store(method="auto")`` (greedy + 1-swap local search with its
  submodular bound on this size, see layers/analysis/siting.py), time and gap (bound - objective) / bound;
- reference: the exact MILP (HiGHS via scipy) with a time limit (``--milp-limit`` s); its
  objective and status, and the ratio onemap objective / MILP objective.

Prints a table and the largest gap; records go in tests/bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from layers.analysis.siting import siting_from_store  # noqa: E402
from layers.store import Store  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=str(ROOT / "data" / "jjj.duckdb"))
    ap.add_argument("--hours", type=float, default=1.0)
    ap.add_argument("--kmax", type=int, default=10)
    ap.add_argument("--res", type=int, default=7, help="H3 resolution of demand and candidates.")
    ap.add_argument("--milp-limit", type=float, default=60.0)
    ap.add_argument("--no-milp", action="store_true", help="Skip the MILP reference.")
    args = ap.parse_args(argv)
    store = Store(args.db)
    print(f"siting bench: flood, res {args.res}, county depots within {args.hours} h, K = 1..{args.kmax}")
    print(f"{'K':>3} {'auto s':>7} {'solver':>7} {'objective':>12} {'bound':>12} {'gap %':>6} "
          f"{'cov %':>11} {'MILP s':>7} {'MILP obj':>12} {'ratio':>6}  MILP status")
    worst = 0.0
    for k in range(1, args.kmax + 1):
        t0 = time.perf_counter()
        _, s, _ = siting_from_store(store, k, hazard="flood", res=args.res, hours=args.hours, method="auto")
        auto_s = time.perf_counter() - t0
        worst = max(worst, s["gap"])
        m_s, m_obj, ratio, m_status = float("nan"), float("nan"), float("nan"), "skipped"
        if not args.no_milp:
            t0 = time.perf_counter()
            _, m, _ = siting_from_store(store, k, hazard="flood", res=args.res, hours=args.hours, method="milp",
                                        time_limit=args.milp_limit)
            m_s, m_obj = time.perf_counter() - t0, m["objective"]
            ratio = s["objective"] / m_obj if m_obj else float("nan")
            m_status = f"{m['solver']}: {m['status'][:90]}"
        print(f"{k:>3} {auto_s:>7.2f} {s['solver']:>7} {s['objective']:>12.1f} {s['bound']:>12.1f} "
              f"{100 * s['gap']:>6.2f} {100 * s['before_share']:>5.1f}>{100 * s['after_share']:>4.1f} "
              f"{m_s:>7.1f} {m_obj:>12.1f} {ratio:>6.3f}  {m_status}", flush=True)
    print(f"demand cells {s['demand_cells']}, useful candidates {s['useful_candidates']}, "
          f"cover nonzeros {s['cover_nonzeros']:,}; largest auto gap {100 * worst:.2f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
