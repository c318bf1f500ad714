"""Benchmark: coverage-gap reports of every JJJ county, all formats, in one process.

Not part of ``make test``::

    python tests/bench/bench_report.py [--db data/jjj.duckdb] [--hazard flood] [--limit N] [--out DIR]

What ``onemap report --all county --format html,pdf,xlsx,geojson,parquet`` does, timed per unit
after the store is open: ``build_report`` (the numbers) and ``write_report`` (every format; the
PDF dominates). Reference in the same run: the numbers alone (``build_report``), so the ratio
total / numbers is the cost of printing. The issue's target: a county report in every format
in <= 5 s after the store is built. Prints the median, p90 and maximum per county, the batch
total and the share of counties within 5 s; records go in tests/bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from layers.map.units import admin_tree  # noqa: E402
from layers.report import build_report, write_report  # noqa: E402
from layers.store import Store  # noqa: E402

FORMATS = "html,pdf,xlsx,geojson,parquet"
TARGET_S = 5.0


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _pages(pdf: Path) -> int:
    """Pages of a PDF (poppler's pdfinfo; 0 when it is not installed)."""
    try:
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return 0
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=str(ROOT / "data" / "jjj.duckdb"))
    ap.add_argument("--hazard", default="flood")
    ap.add_argument("--limit", type=int, help="Only the first N counties (a quick run).")
    ap.add_argument("--out", help="Keep the reports here (default: a temporary directory).")
    args = ap.parse_args(argv)
    t_open = time.perf_counter()
    store = Store(args.db)
    counties = [u for u in admin_tree(store) if u["level"] == "county"][: args.limit]
    print(f"report bench: {len(counties)} counties, hazard {args.hazard}, formats {FORMATS}; "
          f"store opened in {time.perf_counter() - t_open:.2f} s")
    numbers, totals, pages, failed, names = [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out or tmp)
        t_batch = time.perf_counter()
        for i, unit in enumerate(counties, start=1):
            t0 = time.perf_counter()
            try:
                report = build_report(store, unit["adcode"], args.hazard)
                t1 = time.perf_counter()
                paths = write_report(report, out, FORMATS)
            except Exception as exc:  # noqa: BLE001 (listed at the end, as the CLI batch does)
                failed.append(f"{unit['adcode']} {unit['name']}: {type(exc).__name__}: {exc}")
                continue
            t2 = time.perf_counter()
            numbers.append(t1 - t0)
            totals.append(t2 - t0)
            names.append(f"{i}. {unit['adcode']} {unit['name']}")
            pages.append(_pages(next(p for p in paths if p.suffix == ".pdf")))
            if i % 20 == 0 or i == len(counties):
                print(f"  {i}/{len(counties)}  last {unit['adcode']} {unit['name']}: numbers {t1 - t0:.2f} s, "
                      f"all formats {t2 - t0:.2f} s", flush=True)
        batch = time.perf_counter() - t_batch
    store.close()
    if not totals:
        print("no report written", *failed, sep="\n")
        return 1
    within = sum(t <= TARGET_S for t in totals)
    print(f"\n{'':14}{'median':>8}{'p90':>8}{'max':>8}  (seconds per county)")
    print(f"{'numbers (ref)':14}{statistics.median(numbers):8.2f}{_quantile(numbers, .9):8.2f}{max(numbers):8.2f}")
    print(f"{'all formats':14}{statistics.median(totals):8.2f}{_quantile(totals, .9):8.2f}{max(totals):8.2f}")
    print(f"ratio all formats / numbers (median): {statistics.median(totals) / statistics.median(numbers):.1f}x")
    slowest = sorted(zip(totals, names), reverse=True)[:5]
    print("slowest (position in the batch):", "; ".join(f"{n} {t:.2f} s" for t, n in slowest))
    print(f"PDF pages: median {statistics.median(pages):.0f}, max {max(pages)}")
    print(f"batch: {len(totals)} counties in {batch:.0f} s; {within}/{len(totals)} within {TARGET_S:g} s; "
          f"{len(failed)} failed")
    for line in failed:
        print("  failed", line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
