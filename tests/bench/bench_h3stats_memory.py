"""Benchmark: peak memory of ``onemap h3stats`` on an ~80 Mpx raster at res 8 (target <= 1 GB).

Not part of ``make test``; run by ``make bench``::

    python tests/bench/bench_h3stats_memory.py [--width 10000 --height 8300 --px 0.0025]
                                               [--res 8] [--cache DIR] [--json FILE]

Generates (once; reused from the cache folder, default ``$TMPDIR/onemap-bench-cache``) a
float32 GeoTIFF of ``width`` x ``height`` pixels (tiled, DEFLATE, ~10 % nodata) from
114E/41N. The default pixel, 0.0025 deg (~250 m, a national-scale grid), gives ~7 M cells at
res 8, about 11 pixels each: the case where the output table itself is what memory must hold.
Then, each in a fresh child process, measured by ``os.wait4`` (the child's own peak RSS):

- reference, in the same run: the former whole-table path (``raster_to_h3`` for the whole
  raster, H3 ids to strings, one ``DataFrame.to_parquet``);
- ``onemap h3stats RASTER --res 8 --out FILE.parquet -q`` (windowed: ``iter_raster_to_h3``,
  written chunk by chunk through ``etl.chunkout``).

Both outputs are compared (same rows, same values) before the figures are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(ROOT))

from bench_h3stats import BREAKS, write_raster  # noqa: E402

TARGET_MB = 1000.0  # 1 GB

REFERENCE = """
import sys, h3
from etl.h3stats import raster_to_h3, share_columns
from etl.memory import limit_heap_growth
from etl.rasters import open_raster
limit_heap_growth()  # as the CLI does
path, res, out, breaks = sys.argv[1], int(sys.argv[2]), sys.argv[3], [float(b) for b in sys.argv[4].split(",")]
with open_raster(path) as rd:
    df = raster_to_h3(rd, [res], breaks)[res]
df.insert(0, "cell", [h3.int_to_str(c) for c in df.pop("cell").tolist()])
df = df[["cell", "count", "min", "max", "mean", "p90", *share_columns(sorted(breaks)), "sampled"]]
df.to_parquet(out, index=False)
"""


def measured(cmd: list[str]) -> dict:
    """Run ``cmd``; its wall time and peak RSS (MB) from the kernel's rusage of that child."""
    env = {**os.environ, "GDAL_CACHEMAX": os.environ.get("GDAL_CACHEMAX", "64")}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")
    return {"seconds": time.perf_counter() - t0, "peak_rss_mb": usage.ru_maxrss * 1024 / 1e6,
            "cpu_seconds": usage.ru_utime + usage.ru_stime}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--width", type=int, default=10000)
    ap.add_argument("--height", type=int, default=8300)
    ap.add_argument("--px", type=float, default=0.0025, help="pixel size in degrees")
    ap.add_argument("--res", type=int, default=8)
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "onemap-bench-cache")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    raster = args.cache / f"field-{args.width}x{args.height}-{args.px:g}.tif"
    mpx = args.width * args.height / 1e6
    if not raster.is_file():
        t0 = time.perf_counter()
        tmp = raster.with_suffix(".tmp.tif")
        write_raster(tmp, args.width, args.height, args.px)
        tmp.replace(raster)
        print(f"generated {raster} ({mpx:.0f} Mpx) in {time.perf_counter() - t0:.0f} s", flush=True)
    breaks = ",".join(f"{b:g}" for b in BREAKS)
    onemap = Path(sys.executable).with_name("onemap")
    results = {}
    with tempfile.TemporaryDirectory(prefix="onemap-bench-h3stats-", dir=args.cache) as tmp:
        outs = {"reference (whole table)": Path(tmp) / "whole.parquet", "onemap h3stats (windowed)": Path(tmp) / "cli.parquet"}
        cmds = {
            "reference (whole table)": [sys.executable, "-c", REFERENCE, str(raster), str(args.res),
                                        str(outs["reference (whole table)"]), breaks],
            "onemap h3stats (windowed)": [str(onemap), "h3stats", str(raster), "--res", str(args.res), "--classes",
                                          breaks, "--out", str(outs["onemap h3stats (windowed)"]), "-q"],
        }
        for name, cmd in cmds.items():
            results[name] = measured(cmd)
        import pandas as pd  # noqa: PLC0415

        a, b = (pd.read_parquet(p) for p in outs.values())
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        cells = len(a)
    print(f"{raster.name}: {mpx:.0f} Mpx, res {args.res}, {cells:,} cells; outputs identical", flush=True)
    for name, r in results.items():
        verdict = "MET" if r["peak_rss_mb"] <= TARGET_MB else "MISSED"
        print(f"{name}: {r['seconds']:.0f} s wall, {r['cpu_seconds']:.0f} s CPU, peak RSS {r['peak_rss_mb']:.0f} MB "
              f"-> {verdict} (<= {TARGET_MB:.0f} MB)", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"cells": cells, "mpx": mpx, **results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
