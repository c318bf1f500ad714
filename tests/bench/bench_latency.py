"""Benchmark: the latencies unit tests used to assert (moved here: no wall-clock asserts in
``make test``), and what the per-request bounds of issue 18 cost. Each against a named reference
measured in the same run.

Not part of ``make test``; run by ``make bench``::

    python tests/bench/bench_latency.py [--db data/jjj.duckdb] [--repeat 5] [--json FILE]

Rows (median of ``--repeat`` warm runs unless said; target in brackets):

- ``cell_card`` at Tiananmen, res 8 [<= 200 ms] vs reference: the one-row lookup of that cell in
  ``hazard_cells`` (the least a card can do);
- ``unit_summary`` of Hebei, per-county sums cached [<= 300 ms] vs reference: its first, cold call;
- ``hazard_cells_in_view``, the four views of ``test_viewport`` [<= 1000 ms] vs reference: the
  whole layer at the payload's resolution fetched by one SQL query;
- a county report 130921 (xlsx + geojson) cold [<= 5 s] vs reference: the next county 130922 with
  the region-wide analyses cached;
- ``check_work`` refusing gaps at res 9 over the region vs reference: gaps at res 8 (what the
  budget still lets run);
- ``mapapp.jobs.run_limited`` of gaps at res 6 in Hengshui vs reference: the same in-process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from layers import (  # noqa: E402
    Budget,
    Store,
    WorkTooLarge,
    Viewport,
    build_report,
    cell_card,
    check_work,
    gaps_from_store,
    hazard_cells_in_view,
    unit_summary,
    write_report,
)
from tests.unit.test_viewport import screen_view  # noqa: E402

VIEWS = {"whole region, zoom 6": screen_view(39.35, 116.7, 6),
         "Tianjin streets, zoom 13": screen_view(39.13, 117.2, 13),
         "whole region asked at zoom 13": Viewport(35.9, 113.3, 42.8, 120.1, 13.0),
         "48k cells at res 8": Viewport(38.3, 115.59, 39.7, 117.41, 11.0)}
HOURS = {"county": 1.0, "municipal": 2.0, "national": 4.0}


def timed(func, repeat: int) -> float:
    """Median milliseconds of ``repeat`` calls."""
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        out.append((time.perf_counter() - t0) * 1000)
    return statistics.median(out)


def once(func) -> float:
    t0 = time.perf_counter()
    func()
    return (time.perf_counter() - t0) * 1000


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=os.environ.get("ONEMAP_DB_PATH", str(ROOT / "data" / "jjj.duckdb")))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    store = Store(args.db)
    rows: list[tuple[str, float, str, float, str]] = []  # what, ms, reference, ms, target

    card = cell_card(store, 39.9, 116.4, 8)
    cell = int(card["cell"], 16)
    rows.append(("cell_card Tiananmen res 8", timed(lambda: cell_card(store, 39.9, 116.4, 8), args.repeat),
                 "one-row hazard_cells lookup",
                 timed(lambda: store.query("SELECT * FROM hazard_cells WHERE res = 8 AND cell = ?", [cell]),
                       args.repeat), "<= 200 ms"))
    cold = once(lambda: unit_summary(store, "130000"))
    rows.append(("unit_summary Hebei (warm)", timed(lambda: unit_summary(store, "130000"), args.repeat),
                 "its first call (cold)", cold, "<= 300 ms"))
    for name, view in VIEWS.items():
        payload = hazard_cells_in_view(store, "wildfire", view)
        ref = timed(lambda: store.query("SELECT cell, class FROM hazard_cells WHERE hazard = 'wildfire' AND res = ?",
                                        [payload.res], numpy=True), args.repeat)
        rows.append((f"hazard_cells_in_view {name} (res {payload.res}, {len(payload.cells)} cells)",
                     timed(lambda: hazard_cells_in_view(store, "wildfire", view), args.repeat),
                     f"whole wildfire layer at res {payload.res} by SQL", ref, "<= 1000 ms"))
    with tempfile.TemporaryDirectory() as tmp:
        county = once(lambda: write_report(build_report(store, "130921", "flood", hours_by_tier=HOURS,
                                                        siting_hours=1), tmp, "xlsx,geojson"))
        cached = once(lambda: write_report(build_report(store, "130922", "flood", hours_by_tier=HOURS,
                                                        siting_hours=1), tmp, "xlsx,geojson"))
    rows.append(("county report 130921 cold (xlsx+geojson)", county, "next county 130922, analyses cached", cached,
                 "<= 5000 ms"))

    def refuse() -> None:
        try:
            check_work(store, "gaps", 9, Budget(), hazard="flood")
        except WorkTooLarge:
            return
        raise AssertionError("gaps at res 9 over the region was not refused")

    rows.append(("check_work refusing gaps res 9 region", timed(refuse, args.repeat),
                 "gaps res 8 region (the largest run allowed)", once(lambda: gaps_from_store(store, "flood", 8)), "-"))
    from mapapp import analyses, jobs  # noqa: PLC0415

    p = analyses.Params.from_controls({"kind": "gaps", "hazard": "flood", "res": 6, "unit": "131100"})
    rows.append(("gaps res 6 Hengshui in a limited child", timed(lambda: jobs.run_limited(
        jobs.analysis, str(store.path), p, "zh", memory_mb=4096, seconds=120), args.repeat),
        "the same in this process (caches warm)", timed(lambda: analyses.run(store, p, "zh"), args.repeat), "-"))
    store.close()

    width = max(len(r[0]) for r in rows)
    print(f"{'what':<{width}}  {'ms':>9}  {'reference ms':>12}  target  reference")
    for what, ms, ref_name, ref_ms, target in rows:
        print(f"{what:<{width}}  {ms:9.1f}  {ref_ms:12.1f}  {target:<7} {ref_name}")
    if args.json:
        args.json.write_text(json.dumps([dict(zip(("what", "ms", "reference", "reference_ms", "target"), r))
                                         for r in rows], ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
