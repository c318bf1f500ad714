"""Benchmark: raster -> H3 on Dask (etl.scale) with 1 and 2 workers vs. one process and vs.
raster2dggs; cost model for all of China.

Not part of ``make test``; run by ``make bench``::

    python tests/bench/bench_scale.py [--size 32000[xH]] [--speedup-only] [--skip-raster2dggs]
        [--cache DIR] [--json FILE]

``--size`` (or the environment variable ``ONEMAP_BENCH_SCALE_SIZE``; default 32000, i.e.
32 000 x 32 000 = 1 Gpx) sets the raster. Generated once, then reused from the cache folder
(default ``data/bench-cache``): a float32 GeoTIFF of the synthetic field of ``bench_h3stats``
(tiled 256x256, DEFLATE, ~10 % nodata in blobs and speckle; a smooth surface at five spatial
scales plus pixel noise, deterministic from the pixel index) with 0.0002 deg pixels
(~17 x 22 m) from 114E/41N over Hebei. Then, each in a fresh child process, H3 statistics at
res 6/7/8 (three resolutions, exact p90):

- ``one process``: ``etl.h3stats.iter_raster_to_h3`` (what ``onemap build`` does),
- ``1 worker`` and ``2 workers``: ``etl.scale.hazard_chunks`` on a LocalCluster of that many
  single-threaded worker processes (what ``onemap build --workers N`` does),

each as a first build (empty zone-map cache) and a rebuild (cache filled by the first); and,
in the same run, the named reference: raster2dggs point mode at res 8 on the same raster, one
process (``raster2dggs_ref``; installed into its own venv in the cache folder), its values
checked against ours. ``--speedup-only`` runs just the 1- and 2-worker builds (the speed-up
figure; a few minutes at ``--size 16000``).

Reported per run: wall and CPU seconds, the 1-minute load average before/after and the cores
other processes kept busy (``/proc/stat``) -- the machine may be shared, so noisy runs can be
told apart -- and peak RSS of the client and of every worker, both sampled from outside every
0.2 s (psutil, the process tree of the run) and ``getrusage`` inside each worker. Then the
speed-ups, the per-core ratio to raster2dggs and a cost model for all of China from the
measured per-worker throughput.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[2]))

import raster2dggs_ref  # noqa: E402
from bench_h3stats import BREAKS, write_raster  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PX = 0.0002
RESOLUTIONS = [6, 7, 8]
CHINA_PX = 10.7e9  # all of China at 30 m, per hazard
CHINA_RES = [5, 6, 7, 8, 9]
SIZE_ENV = "ONEMAP_BENCH_SCALE_SIZE"


class RssSampler:
    """Peak RSS per process of a process tree, sampled every ``interval`` s from outside."""

    def __init__(self, pid: int, interval: float = 0.2):
        self.pid, self.interval = pid, interval
        self.peaks: dict[int, tuple[str, int]] = {}  # pid -> (role, peak bytes)
        self.total_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        import psutil  # noqa: PLC0415

        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop.is_set():
            total = 0
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for p in procs:
                try:
                    rss = p.memory_info().rss
                    role = self.peaks.get(p.pid, (None, 0))[0] or self._role(p)
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                total += rss
                self.peaks[p.pid] = (role, max(rss, self.peaks.get(p.pid, (role, 0))[1]))
            self.total_peak = max(self.total_peak, total)
            self._stop.wait(self.interval)

    def _role(self, p) -> str:
        if p.pid == self.pid:
            return "main"
        cmd = " ".join(p.cmdline())
        return "worker" if "spawn_main" in cmd else "helper"

    def peak_mb(self, role: str) -> list[float]:
        return sorted(round(b / 2**20) for r, b in self.peaks.values() if r == role)

    def peak_total_mb(self) -> float:
        return round(self.total_peak / 2**20)


def _cpu_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine."""
    with open("/proc/stat") as fh:
        vals = [int(v) for v in fh.readline().split()[1:]]
    idle = vals[3] + vals[4]
    return sum(vals) - idle, sum(vals)


def child(mode: str, workers: int, path: str, cache: str, save: str) -> None:
    """One timed build in this (fresh) process; prints one JSON line.

    ``save``: a Parquet path for the finest resolution's rows (kept in memory during the run
    -- a few hundred thousand rows -- and written after the clock stops), or ``-``.
    """
    import resource

    import pandas as pd

    from etl.h3stats import iter_raster_to_h3
    from etl.memory import limit_heap_growth
    from etl.rasters import open_raster

    limit_heap_growth()  # as `onemap build` does (etl/cli.py); workers do it in their tasks
    rows, finest, kept = 0, max(RESOLUTIONS), []
    t0 = time.perf_counter()
    per_worker = {}
    with open_raster(path) as rd:
        if mode == "one":
            for res, df in iter_raster_to_h3(rd, RESOLUTIONS, BREAKS, cache_dir=cache):
                rows += len(df)
                if save != "-" and res == finest:
                    kept.append(df)
            elapsed = time.perf_counter() - t0
            u = resource.getrusage(resource.RUSAGE_SELF)
            cpu = u.ru_utime + u.ru_stime
        else:
            from etl import scale

            with scale.dask_client(workers=workers) as client:
                t0 = time.perf_counter()  # cluster start-up not counted (a cluster is started once)
                spec = scale.RasterSpec(path)
                for _, df in scale.hazard_chunks(client, spec, rd.grid, RESOLUTIONS, BREAKS, cache_dir=cache,
                                                 sample_cells=None):
                    rows += len(df)
                elapsed = time.perf_counter() - t0
                usage = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF))
                per_worker = {k: u.ru_maxrss for k, u in usage.items()}
                cpu = sum(u.ru_utime + u.ru_stime for u in usage.values())  # worker processes only
        pixels = rd.grid.width * rd.grid.height
    if kept:
        pd.concat(kept, ignore_index=True).to_parquet(save)
    print(json.dumps({"seconds": elapsed, "cpu_seconds": cpu, "rows": rows, "pixels": pixels,
                      "client_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "worker_rss_mb": sorted(v / 1024 for v in per_worker.values())}))


def run(mode: str, workers: int, path: Path, cache: Path, save: Path | None = None) -> dict:
    """One build in a child process, sampled from outside (RSS, machine load)."""
    b0, t0 = _cpu_jiffies()
    load0 = os.getloadavg()[0]
    cmd = ["nice", "-n", "10", sys.executable, __file__, "--_child", mode, str(workers), str(path), str(cache),
           str(save or "-")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "GDAL_CACHEMAX": "64"})
    with RssSampler(proc.pid) as sampler:
        stdout, stderr = proc.communicate()
    b1, t1 = _cpu_jiffies()
    if proc.returncode:
        raise SystemExit(f"{mode} x{workers} failed:\n{stderr[-3000:]}")
    res = json.loads(stdout.strip().splitlines()[-1])
    ncpu = os.cpu_count() or 1
    res["machine_busy_cores"] = round((b1 - b0) / max(t1 - t0, 1) * ncpu, 2)
    res["load_avg_1min"] = [round(load0, 2), round(os.getloadavg()[0], 2)]
    res["sampled_client_rss_mb"] = max(sampler.peak_mb("main"), default=0)
    res["sampled_worker_rss_mb"] = sampler.peak_mb("worker")
    return res


def cost_model(px_per_s_per_worker: float, worker_mb: float) -> list[dict]:
    """Hours and memory for all of China (10.7 Gpx per hazard) at res 5-9 on 8/32/128 workers.

    Assumptions (stated in RESULTS.md): time per pixel grows with the number of resolutions
    (5 instead of the 3 measured: x 5/3; pessimistic, since coarser resolutions merge their
    children's sorted runs rather than sort afresh); parallel efficiency as measured with 2 workers,
    held constant (optimistic beyond one machine); worker memory as measured (it depends on the
    window and band size, not on the raster size).
    """
    scale_res = len(CHINA_RES) / len(RESOLUTIONS)
    out = []
    for n in (8, 32, 128):
        seconds = CHINA_PX * scale_res / (px_per_s_per_worker * n)
        out.append({"workers": n, "hours_per_hazard": round(seconds / 3600, 2),
                    "memory_per_worker_mb": round(worker_mb), "cluster_memory_gb": round(worker_mb * n / 1024, 1)})
    return out


def parse_size(text: str) -> tuple[int, int]:
    """``32000`` (square) or ``32000x24000`` (width x height)."""
    w, _, h = text.lower().partition("x")
    try:
        width, height = int(w), int(h or w)
    except ValueError:
        raise argparse.ArgumentTypeError(f"size {text!r}: expected N or WxH in pixels, e.g. 32000 or 16000x8000") from None
    if width < 256 or height < 256:
        raise argparse.ArgumentTypeError(f"size {text!r}: at least 256 x 256 pixels")
    return width, height


def raster_path(cache: Path, width: int, height: int) -> Path:
    """The cached raster of this size (generated on first use)."""
    raster = cache / f"field-{width}x{height}-{PX:g}.tif"
    if raster.is_file():
        print(f"reusing {raster}")
        return raster
    t0 = time.perf_counter()
    tmp = raster.with_suffix(".tmp.tif")
    write_raster(tmp, width, height, PX)
    tmp.replace(raster)
    print(f"generated {raster} ({raster.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.0f} s")
    return raster


def _fmt(r: dict) -> str:
    return (f"{r['seconds']:8.1f} s  cpu {r['cpu_seconds']:.1f} s  rows {r['rows']:,}  "
            f"client {r['sampled_client_rss_mb']} MB  workers {r['sampled_worker_rss_mb']} MB (sampled), "
            f"{[round(x) for x in r['worker_rss_mb']]} MB (getrusage)  load {r['load_avg_1min']}  "
            f"busy {r['machine_busy_cores']} cores")


def builds(raster: Path, cache: Path, runs: list[tuple[str, int]], save: Path) -> dict:
    results = {}
    for mode, workers in runs:
        label = "one process" if mode == "one" else f"{workers} worker{'s' if workers > 1 else ''}"
        zc = cache / f"zonecache-{mode}-{workers}"
        shutil.rmtree(zc, ignore_errors=True)
        for kind in ("first build", "rebuild"):
            r = run(mode, workers, raster, zc, save if (mode, kind) == ("one", "first build") else None)
            results[f"{label}, {kind}"] = r
            print(f"{label:12s} {kind:11s} {_fmt(r)}", flush=True)
    return results


def reference(raster: Path, cache: Path, ours_path: Path, ours_cpu: float, summary: dict) -> None:
    """raster2dggs point mode at the finest resolution, same raster, same run; per-core ratio."""
    import pandas as pd

    exe, info = raster2dggs_ref.ensure(cache)
    finest = max(RESOLUTIONS)
    if exe is None:
        summary["raster2dggs"] = {"installed": False, "why": info}
        print(f"raster2dggs: not installed: {info}")
        return
    r = raster2dggs_ref.run(exe, raster, finest, cache / f"raster2dggs-out-{raster.stem}", cache / "raster2dggs-tmp",
                            RssSampler)
    r["version"] = info
    r["values"] = raster2dggs_ref.compare(pd.read_parquet(ours_path), cache / f"raster2dggs-out-{raster.stem}")
    summary["raster2dggs"] = r
    ratio = r["cpu_seconds"] / max(ours_cpu, 1e-9)
    summary["per_core_ratio_raster2dggs_res8_vs_onemap_res678_first_build"] = round(ratio, 2)
    print(f"raster2dggs {info}, res {finest}, 1 process: {r['seconds']:.1f} s wall, {r['cpu_seconds']:.1f} CPU s, "
          f"peak {r['peak_rss_mb']} MB, load {r['load_avg_1min']}")
    print(f"per core: onemap (res 6/7/8, exact p90, first build) is {ratio:.2f}x faster than raster2dggs "
          f"(res {finest}, count/min/max/mean) (target >= 3x)")
    print("values:", json.dumps(r["values"]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=parse_size, default=parse_size(os.environ.get(SIZE_ENV, "32000")),
                    help=f"raster size N or WxH pixels (default ${SIZE_ENV} or 32000 = 1 Gpx)")
    ap.add_argument("--speedup-only", action="store_true", help="only the 1- and 2-worker builds")
    ap.add_argument("--per-core-only", action="store_true",
                    help="only the one-process builds and raster2dggs (the per-core comparison)")
    ap.add_argument("--skip-raster2dggs", action="store_true")
    ap.add_argument("--cache", type=Path, default=ROOT / "data" / "bench-cache")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--_child", nargs=5, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a._child:
        mode, workers, path, cache, save = a._child
        child(mode, int(workers), path, cache, save)
        return
    a.cache.mkdir(parents=True, exist_ok=True)
    width, height = a.size
    raster = raster_path(a.cache, width, height)
    plan = ([("dask", 1), ("dask", 2)] if a.speedup_only else [("one", 1)] if a.per_core_only
            else [("one", 1), ("dask", 1), ("dask", 2)])
    ours_path = a.cache / f"onemap-res{max(RESOLUTIONS)}-{raster.stem}.parquet"
    results = builds(raster, a.cache, plan, ours_path)
    summary = {"raster": str(raster), "pixels": width * height, "resolutions": RESOLUTIONS, "runs": results,
               "same_row_count_everywhere": len({r["rows"] for r in results.values()}) == 1}
    if a.per_core_only:
        reference(raster, a.cache, ours_path, results["one process, first build"]["cpu_seconds"], summary)
        if a.json:
            a.json.write_text(json.dumps(summary, indent=2))
        return
    for kind in ("first build", "rebuild"):
        w1, w2 = (results[f"{k}, {kind}"] for k in ("1 worker", "2 workers"))
        summary[f"speedup 2 workers vs 1 worker, {kind}"] = round(w1["seconds"] / w2["seconds"], 2)
        line = f"{kind}: 2 workers vs 1 worker {w1['seconds'] / w2['seconds']:.2f}x"
        if not a.speedup_only:
            one = results[f"one process, {kind}"]
            summary[f"speedup 2 workers vs one process, {kind}"] = round(one["seconds"] / w2["seconds"], 2)
            line += f", vs one process {one['seconds'] / w2['seconds']:.2f}x"
        bound = 2 * w1["cpu_seconds"] / w2["cpu_seconds"]
        summary[f"cpu bound speedup 2 workers vs 1 worker, {kind}"] = round(bound, 2)
        print(f"{line} (target >= 1.7x); from CPU time at most {bound:.2f}x with two free cores")
    first2 = results["2 workers, first build"]
    # per-worker throughput from CPU time (robust on a shared machine) and from wall time
    cpu_rate = width * height / max(first2["cpu_seconds"], 1e-9)
    wall_rate = width * height / max(first2["seconds"] * 2, 1e-9)
    rss = [*first2["sampled_worker_rss_mb"], *results["2 workers, rebuild"]["sampled_worker_rss_mb"],
           *first2["worker_rss_mb"], *results["2 workers, rebuild"]["worker_rss_mb"]]
    worker_mb = max(rss)
    summary["px_per_cpu_s_per_worker_first_build"] = round(cpu_rate)
    summary["px_per_wall_s_per_worker_first_build"] = round(wall_rate)
    summary["cost_model_china_30m_cpu_rate"] = cost_model(cpu_rate, worker_mb)
    summary["cost_model_china_30m_wall_rate"] = cost_model(wall_rate, worker_mb)
    for c, w in zip(summary["cost_model_china_30m_cpu_rate"], summary["cost_model_china_30m_wall_rate"]):
        print(f"China 30 m, res 5-9, {c['workers']:3d} workers: {c['hours_per_hazard']:.2f} h per hazard "
              f"(CPU-time rate), {w['hours_per_hazard']:.2f} h (wall-time rate), {c['memory_per_worker_mb']} MB per "
              f"worker, {c['cluster_memory_gb']} GB in all")
    if not (a.speedup_only or a.skip_raster2dggs):
        reference(raster, a.cache, ours_path, results["one process, first build"]["cpu_seconds"], summary)
    if a.json:
        a.json.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
