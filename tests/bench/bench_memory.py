"""Benchmark: peak memory of raster -> H3 on an 80 Mpx raster (target: peak RSS <= 1 GB).

Not part of ``make test``; run by ``make bench``::

    python tests/bench/bench_memory.py [--width 10000 --height 8000] [--workdir DIR]

Generates a 10000 x 8000 float32 GeoTIFF (tiled, DEFLATE, ~10 % nodata, 0.0006 deg pixels
from 114E/41N), then runs ``raster_to_h3(reader, [6, 7, 8], breaks, cache_dir=...)`` (what a
build does for one hazard) in a fresh child process, twice: first build (zone map computed and
written to the cache) and rebuild (zone map read from the cache). Peak RSS is the child's own
``getrusage(RUSAGE_SELF).ru_maxrss`` (= VmHWM); the parent also polls /proc/<pid>/status to split
the peak into anonymous memory and file-backed pages (the zone-map memmap).
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[2]))

from bench_h3stats import BREAKS, write_raster  # noqa: E402

TARGET_MB = 1000.0  # 1 GB
RESOLUTIONS = [6, 7, 8]


def _status_kb(pid: int | str = "self") -> dict[str, int]:
    out = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem")):
                    k, v = line.split(":", 1)
                    out[k] = int(v.split()[0])
    except FileNotFoundError:
        pass
    return out


def child(path: str, cache_dir: str) -> None:
    import resource

    from etl.h3stats import raster_to_h3
    from etl.rasters import open_raster

    base = _status_kb()
    t0 = time.perf_counter()
    with open_raster(path) as rd:
        out = raster_to_h3(rd, RESOLUTIONS, BREAKS, cache_dir=cache_dir)
    elapsed = time.perf_counter() - t0
    print(json.dumps({
        "seconds": elapsed, "baseline_rss_kb": base.get("VmRSS", 0),
        "ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "end": _status_kb(), "cells": {str(k): len(v) for k, v in out.items()},
    }))


def run_child(path: Path, cache_dir: Path) -> dict:
    cmd = [sys.executable, __file__, "--_child", str(path), str(cache_dir)]
    # the `onemap` CLI caps GDAL's block cache at 64 MB (etl/cli.py); measure what it does
    env = {**os.environ, "GDAL_CACHEMAX": os.environ.get("GDAL_CACHEMAX", "64")}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    peak = {"VmRSS": 0, "RssAnon": 0, "RssFile": 0}
    while proc.poll() is None:
        s = _status_kb(proc.pid)
        for k in peak:
            peak[k] = max(peak[k], s.get(k, 0))
        time.sleep(0.02)
    stdout, _ = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"child failed ({proc.returncode})")
    out = json.loads(stdout.strip().splitlines()[-1])
    out["polled_peak_kb"] = peak
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--width", type=int, default=10000)
    ap.add_argument("--height", type=int, default=8000)
    ap.add_argument("--px", type=float, default=0.0006, help="pixel size in degrees")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--_child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._child:
        child(*args._child)
        return 0
    with tempfile.TemporaryDirectory(prefix="onemap-bench-mem-", dir=args.workdir) as tmp:
        path = Path(tmp) / "r80.tif"
        t0 = time.perf_counter()
        write_raster(path, args.width, args.height, args.px)
        mpx = args.width * args.height / 1e6
        print(f"generated {args.width} x {args.height} ({mpx:.0f} Mpx, {path.stat().st_size / 1e6:.0f} MB "
              f"on disk, {mpx * 4:.0f} MB as float32) in {time.perf_counter() - t0:.1f} s; "
              f"raster_to_h3 at res {RESOLUTIONS} in a child process", flush=True)
        cache = Path(tmp) / "cache"
        results = {}
        for name in ("first build", "rebuild (cached zone map)"):
            r = results[name] = run_child(path, cache)
            p = r["polled_peak_kb"]
            peak_mb = r["ru_maxrss_kb"] * 1024 / 1e6
            print(f"{name}: {r['seconds']:.1f} s, peak RSS {peak_mb:.0f} MB ({r['ru_maxrss_kb'] / 1024:.0f} MiB; "
                  f"after imports {r['baseline_rss_kb'] * 1024 / 1e6:.0f} MB; polled peaks: anon "
                  f"{p['RssAnon'] * 1024 / 1e6:.0f} MB, file-backed {p['RssFile'] * 1024 / 1e6:.0f} MB) -> "
                  f"{'MET' if peak_mb <= TARGET_MB else 'MISSED'} (<= {TARGET_MB:.0f} MB); cells {r['cells']}",
                  flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
