"""Benchmark: ``layers.analysis.travel`` nearest reserves per res-9 cell against a bare cKDTree query.

Not part of ``make test``::

    python tests/bench/bench_access.py [--db data/jjj.duckdb] [--res 9] [--repeat 3]

Loads every cell of the region at ``--res`` once (``region_cells``: admin_cells query, H3
centres, terrain; timed separately), then for each reserve tier, in the same run, on the
same points (best of ``--repeat``):

- bare: ``cKDTree(fac_xyz).query(cell_xyz, k=1, workers=-1)`` on 3-D unit vectors computed
  beforehand (tree build included, vector conversion not);
- onemap: ``nearest_facilities`` from lat/lng (unit vectors, tree, query, chord -> km) plus
  road km and hours (the core + arithmetic of ``access_table``);

and prints seconds, the ratio onemap/bare and PASS/MISS for <= 1 s per tier and <= 1.5x.
Last, ``access_table`` over all tiers at once (with building the DataFrame) is timed once.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from scipy.spatial import cKDTree  # noqa: E402

from layers.analysis import access  # noqa: E402
from layers.store import Store  # noqa: E402

TARGET_S, TARGET_RATIO = 1.0, 1.5


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=str(ROOT / "data" / "jjj.duckdb"))
    ap.add_argument("--res", type=int, default=9)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    store = Store(args.db)
    t = time.perf_counter()
    cells = access.region_cells(store, args.res)
    print(f"load: {len(cells):,} res-{args.res} cells with centres and terrain in "
          f"{time.perf_counter() - t:.2f} s (cached afterwards)")
    t = time.perf_counter()
    access.region_cells(store, args.res)
    print(f"load again (cache hit): {time.perf_counter() - t:.4f} s")
    params = access.AccessParams.from_standards(store.meta.get("standards"))
    fac = store.query('SELECT id, lat, lon AS lng, tier AS "group" FROM reserves ORDER BY id')
    lat, lng = cells["lat"].to_numpy(), cells["lng"].to_numpy()
    cell_xyz = access.unit_vectors(lat, lng)
    detour = access.detour_per_cell(cells, params.detour)

    print(f"\n{'tier':<12}{'n fac':>6}{'bare s':>9}{'onemap s':>10}{'ratio':>8}   ≤{TARGET_S:g} s   ≤{TARGET_RATIO}×")
    for tier in [g for g in access.schema.RESERVE_TIERS if g in set(fac["group"])]:
        f = fac[fac["group"] == tier]
        f_lat, f_lng = f["lat"].to_numpy(), f["lng"].to_numpy()
        f_xyz = access.unit_vectors(f_lat, f_lng)
        speed = params.speed_for(tier)

        def bare():
            return cKDTree(f_xyz).query(cell_xyz, k=1, workers=-1)

        def onemap():
            index, gc_km = access.nearest_facilities(lat, lng, f_lat, f_lng, k=1)
            road_km = gc_km * detour[:, None]
            return index, road_km * (1.0 / speed) + params.dispatch_delay_h

        t_bare, (d, i) = _best(bare, args.repeat)
        t_one, (index, hours) = _best(onemap, args.repeat)
        assert np.array_equal(index[:, 0], i), "onemap and the bare query disagree"
        ratio = t_one / t_bare
        p1, p2 = t_one <= TARGET_S, ratio <= TARGET_RATIO
        print(f"{tier:<12}{len(f):>6}{t_bare:>9.3f}{t_one:>10.3f}{ratio:>7.2f}×   "
              f"{'PASS' if p1 else 'MISS':<7}{'PASS' if p2 else 'MISS'}")

    t = time.perf_counter()
    table = access.access_table(cells, fac, params, k=1)
    dt = time.perf_counter() - t
    n_tiers = table["tier"].nunique()
    print(f"\naccess_table, all {n_tiers} tiers, k=1: {dt:.2f} s ({dt / n_tiers:.2f} s per tier), "
          f"{len(table):,} rows")
    store.close()
    return 0  # a missed target is printed (MISS) and recorded, not an error: make bench runs on


if __name__ == "__main__":
    raise SystemExit(main())
