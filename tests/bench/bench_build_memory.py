"""Benchmark: peak memory of the demo build, first build and rebuild (target: peak RSS <= 1 GB).

Not part of ``make test``; run by ``make bench``::

    python tests/bench/bench_build_memory.py [--region geodata/regions/jjj.toml] [--workdir DIR]
                                             [--stages] [--json FILE]

Runs ``onemap build REGION --db WORKDIR/store.duckdb --cache WORKDIR/cache -q`` in a fresh
child process twice: a first build with an empty zone-map cache (zone maps, admin cells and
sampled cell centres computed and cached), then a rebuild (read from the cache). Peak RSS is
the child's ``ru_maxrss`` from ``os.wait4`` (what ``/usr/bin/time -v`` reports). The reference
in the same run is the target (1 GB = 1 000 MB) and the first build against the rebuild.

With ``--stages`` the child samples its own RSS every 10 ms from a thread and notes the build's
call stack at each sample (the ``etl`` frames of the main thread): it prints the peak per stage,
so the step that holds the memory is named, not guessed. The sampler adds a little CPU, no memory
to speak of (its own table: one entry per distinct stack).
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
TARGET_MB = 1000.0


def _stage_child(argv: list[str], out: str) -> None:
    """Run ``onemap build`` in this process with an RSS sampler noting the stack per sample."""
    import threading

    sys.path.insert(0, str(ROOT))
    main_id = threading.get_ident()
    page = os.sysconf("SC_PAGE_SIZE")
    peaks: dict[str, int] = {}
    first_seen: dict[str, float] = {}
    stop = threading.Event()
    t0 = time.perf_counter()

    def stack_key() -> str:
        frame = sys._current_frames().get(main_id)
        names = []
        while frame is not None:
            f = frame.f_code.co_filename
            if f"{os.sep}etl{os.sep}" in f:
                names.append(f"{Path(f).stem}.{frame.f_code.co_name}:{frame.f_lineno}")
            frame = frame.f_back
        names.reverse()
        # from the build's own step down (the first frames are cli/build_store plumbing)
        for i, n in enumerate(names):
            if n.startswith("build._build_into"):
                names = names[i:]
                break
        return " > ".join(names) or "(imports / outside etl)"

    def sample() -> None:
        with open("/proc/self/statm") as fh:
            while not stop.is_set():
                fh.seek(0)
                rss = int(fh.read().split()[1]) * page
                key = stack_key()
                if rss > peaks.get(key, 0):
                    peaks[key] = rss
                    first_seen.setdefault(key, time.perf_counter() - t0)
                time.sleep(0.01)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    from etl.cli import main

    try:
        main(argv, standalone_mode=False)
    finally:
        stop.set()
        th.join()
        rows = sorted(peaks.items(), key=lambda kv: -kv[1])
        Path(out).write_text(json.dumps([{"stack": k, "peak_mb": v / 1e6, "at_s": first_seen[k]} for k, v in rows]))


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def run_build(region: Path, db: Path, cache: Path, stages: Path | None) -> dict:
    """One ``onemap build`` in a child: wall seconds, CPU seconds, peak RSS (MB), load before/after."""
    args = ["build", str(region), "--db", str(db), "--cache", str(cache), "-q"]
    if stages is None:
        cmd = [sys.executable, "-m", "etl", *args]
    else:
        cmd = [sys.executable, __file__, "--_stage_child", str(stages), "--", *args]
    load0 = _loadavg()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"build failed ({proc.returncode}): {' '.join(cmd)}")
    return {"wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "peak_mb": ru.ru_maxrss * 1024 / 1e6,
            "peak_mib": ru.ru_maxrss / 1024, "load_before": load0, "load_after": _loadavg()}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--_stage_child"]:
        _stage_child(argv[3:], argv[1])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--region", type=Path, default=ROOT / "geodata/regions/jjj.toml")
    ap.add_argument("--workdir", type=Path, default=None, help="where the store and cache go (a temporary folder)")
    ap.add_argument("--stages", action="store_true", help="sample RSS per build stage (slower)")
    ap.add_argument("--first-only", action="store_true", help="skip the rebuild")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory(prefix="onemap-bench-build-", dir=args.workdir) as tmp:
        db, cache = Path(tmp) / "store.duckdb", Path(tmp) / "cache"
        runs = ("first build (empty cache)",) if args.first_only else ("first build (empty cache)", "rebuild (cached)")
        for i, name in enumerate(runs):
            stages = Path(tmp) / f"stages-{i}.json" if args.stages else None
            r = results[name] = run_build(args.region.resolve(), db, cache, stages)
            print(f"{name}: peak RSS {r['peak_mb']:.0f} MB ({r['peak_mib']:.0f} MiB) -> "
                  f"{'MET' if r['peak_mb'] <= TARGET_MB else 'MISSED'} (<= {TARGET_MB:.0f} MB); "
                  f"wall {r['wall_s']:.1f} s, CPU {r['cpu_s']:.1f} s; load {r['load_before']} -> {r['load_after']}",
                  flush=True)
            if stages is not None:
                r["stages"] = json.loads(stages.read_text())
                for s in r["stages"][:12]:
                    print(f"  {s['peak_mb']:6.0f} MB at {s['at_s']:6.1f} s  {s['stack']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
