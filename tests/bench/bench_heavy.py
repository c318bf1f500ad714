"""Benchmark: does the map stay responsive while some users run heavy analyses? (issue 18)

Not part of ``make test``; run by ``make bench``::

    python tests/bench/bench_heavy.py [--db data/jjj.duckdb] [--sessions 50] [--heavy 2]
        [--duration 30] [--think 0] [--json FILE]

Starts ``onemap serve`` (gunicorn, 2 workers x 4 threads, the local demo sign-in) as
``bench_load.py`` does, then three phases of ``--duration`` seconds each, with the same seeded
map sessions (``bench_load.Session``: pan/zoom hexagons, enterprise points, cards; ``--think`` s
between steps; 0: a closed loop, back to back):

- single: one map session alone (the named reference: what one user sees on an idle server);
- map: ``--sessions`` map sessions;
- heavy: the same plus ``--heavy`` sessions that run, back to back, the analyses issue 18 found
  dangerous: 优化选址 at res 9 over the region (refused by the budget), gaps at res 8 over the
  region, site selection top 500 at res 8 and 优化选址 at res 7 over the region. A heavy one is
  handed to a Dash background job (``run_heavy``: the worker answers at once, the analysis runs
  in a memory- and time-limited child); the session then polls it once a second, as the
  browser does, until it answers.

Reported: map latency p50/p95 per phase, the heavy runs' answers and times, whether every
gunicorn worker survived (same pids), the peak RSS of the workers and of all their children, and
the machine's load average before and after (other users share its cores).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[2]))

from bench_load import Session, _children, free_port, start_server, stop_server  # noqa: E402
from bench_map import (  # noqa: E402
    DEFAULT_DB,
    ROOT,
    callback_outputs,
    card_body,
    ensure_store,
    enterprises_body,
    hazard_body,
    pct,
)

HEAVY = [("siting res 9 region", {"kind": "siting", "res": 9, "hazard": "earthquake", "minclass": 1}),
         ("gaps res 8 region", {"kind": "gaps", "res": 8, "hazard": "flood"}),
         ("site top 500 res 8", {"kind": "site", "res": 8, "hazard": "flood", "top": 500}),
         ("siting res 7 region", {"kind": "siting", "res": 7, "hazard": "earthquake", "minclass": 1})]
STATES = ("kind", "hazard", "res", "minclass", "hours", "tier", "k", "sitekind", "top", "weights", "event", "lon",
          "lat", "radius", "magnitude")


def vary(values: dict, n: int) -> dict:
    """``values`` made different for the ``n``-th run (a repeated analysis would be answered from
    the results the server keeps, which is not a heavy run): another top N for site selection,
    another standard in hours otherwise."""
    out = dict(values)
    if out["kind"] == "site":
        out["top"] = out["top"] - n
    else:
        out["hours"] = round(6 + 0.01 * n, 2)
    return out


def heavy_body(key: str, job: dict) -> dict:
    """The background callback's request (start, and each poll with the job's handles)."""
    outputs = [("ana-result", "children"), ("ana-hex", "data"), ("ana-choropleth", "data"),
               ("ana-choropleth", "hideout"), ("ana-overlay", "data"), ("ana-params", "data"),
               ("map-leaflet", "viewport"), ("ana-legend", "data")]
    return {"output": key, "outputs": [{"id": i, "property": p} for i, p in outputs],
            "inputs": [{"id": "ana-job", "property": "data", "value": job}], "changedPropIds": ["ana-job.data"]}


def _post(port: int, body: dict, query: str = "") -> tuple[int, str]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/_dash-update-component{query}",
                                 data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=300) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")[:200]
    except Exception as exc:  # noqa: BLE001
        return -1, f"{type(exc).__name__}: {exc}"


def run_heavy(port: int, keys: tuple[str, str], values: dict, deadline: float) -> tuple[int, str]:
    """Run ``values`` as the panel does: the run request, and for a heavy run the background job
    polled once a second until it answers (or ``deadline`` + 300 s)."""
    status, text = _post(port, run_body(keys[0], values))
    job = json.loads(text)["response"].get("ana-job", {}).get("data") if status == 200 else None
    if not job:
        return status, text
    status, text = _post(port, heavy_body(keys[1], job))
    if status != 200:
        return status, text
    handles = json.loads(text)
    query = "?" + urllib.parse.urlencode({"cacheKey": handles["cacheKey"], "job": handles["job"]})
    while time.perf_counter() < deadline + 300:
        time.sleep(1.0)
        status, text = _post(port, heavy_body(keys[1], job), query)
        if status != 200 or '"response"' in text:
            return status, text
    return -1, "no answer"


def run_body(key: str, values: dict) -> dict:
    """The analysis panel's run request (as ``tests/integration/test_analyses_app.post_run``; the
    states follow ``mapapp.pages.analysis_callbacks.PARAM_STATES`` in order — a missing one is
    an HTTP 400, which ``main`` reports as a failed bench)."""
    state = [{"id": f"ana-{i}", "property": "value", "value": values.get(i)} for i in STATES]
    state += [{"id": "ana-polygon", "property": "data", "value": None},
              {"id": "map-unit-code", "property": "data", "value": None}]
    state += [{"id": f"ana-{i}", "property": "value", "value": None}
              for i in ("exclude", "bands", "access", "material", "quantity", "spacing")]
    state += [[], [], {"id": "map-config", "property": "data", "value": {"lang": "zh"}}]
    outputs = [("ana-result", "children"), ("ana-hex", "data"), ("ana-choropleth", "data"),
               ("ana-choropleth", "hideout"), ("ana-overlay", "data"), ("ana-params", "data"),
               ("map-leaflet", "viewport"), ("ana-legend", "data"), ("ana-job", "data")]
    return {"output": key, "outputs": [{"id": i, "property": p} for i, p in outputs],
            "inputs": [{"id": "ana-run", "property": "n_clicks", "value": 1},
                       {"id": "ana-go", "property": "data", "value": None},
                       {"id": "ana-clear", "property": "n_clicks", "value": None}],
            "state": state, "changedPropIds": ["ana-run.n_clicks"]}


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def phase(port: int, bbox: list[float], args, heavy_key: tuple[str, str] | None, bodies: tuple,
          sessions: int | None = None, duration: float | None = None) -> dict:
    sessions = [Session(port, 1000 + i, bodies, "gzip", args.think) for i in range(sessions or args.sessions)]
    heavy: list[tuple[str, float, int, str]] = []
    deadline = time.perf_counter() + (duration or args.duration)

    def heavy_user(i: int) -> None:
        j = i
        while time.perf_counter() < deadline:
            name, values = HEAVY[j % len(HEAVY)]
            values = vary(values, j // len(HEAVY) + 100 * i)  # never a kept result: a real run each time
            j += 1
            t0 = time.perf_counter()
            status, text = run_heavy(port, heavy_key, values, deadline)
            ms = (time.perf_counter() - t0) * 1e3
            what = ("refused" if "分析范围过大" in text else "memory" if "内存" in text else
                    "time" if "秒仍未完成" in text else "result" if '"ana-hex"' in text else text[:80])
            heavy.append((name, ms, status, what))

    n_heavy = args.heavy if heavy_key else 0
    with ThreadPoolExecutor(args.sessions + n_heavy) as pool:
        futures = [pool.submit(s.run, deadline, bbox) for s in sessions]
        futures += [pool.submit(heavy_user, i) for i in range(n_heavy)]
        for f in futures:
            f.result()
    lat = [ms for s in sessions for kind, ms, status, _ in s.records]
    errors = [e for s in sessions for e in s.errors]
    return {"map_requests": len(lat), "map_p50_ms": pct(lat, 50), "map_p95_ms": pct(lat, 95),
            "map_errors": len(errors), "heavy": heavy}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default=os.environ.get("ONEMAP_DB_PATH", DEFAULT_DB))
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--heavy", type=int, default=2)
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--think", type=float, default=0.0)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    ensure_store(args.db)
    db = args.db
    from layers import Store  # noqa: PLC0415

    store = Store(db)
    bbox, hazards = list(store.meta["bbox"]), list(store.hazards)
    store.close()
    port = free_port()
    # a fresh folder for jobs and kept results: nothing from an earlier run is recalled
    os.environ["ONEMAP_JOBS_DIR"] = tempfile.mkdtemp(prefix="onemap-bench-jobs-")
    log = ROOT / "test-output" / "logs" / "bench-heavy-serve.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    proc = start_server(str(db), port, 2, log)
    peak = {"workers_mb": 0.0, "children_mb": 0.0}
    stop = threading.Event()
    try:
        workers = _children(proc.pid)
        deps = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/_dash-dependencies").read())
        runs = [d["output"] for d in deps if d["output"].startswith("..ana-result.children")]
        key = (next(k for k in runs if "ana-job.data" in k), next(k for k in runs if "ana-job.data" not in k))
        outputs = callback_outputs(deps)
        config = {"lang": "zh", "opacityDefault": {"hazard": 0.7, "entity": 1.0}, "minClassDefault": 1,
                  "hazards": hazards}
        bodies = (lambda b, z: hazard_body(outputs["hazard"], "flood", b, z, 1, config),
                  lambda b, z: enterprises_body(outputs["enterprises"], b, z, config),
                  lambda lat, lng, z: card_body(outputs["card"], lat, lng, z, config))

        def watch() -> None:
            while not stop.is_set():
                peak["workers_mb"] = max(peak["workers_mb"], max((rss_mb([w]) for w in workers), default=0))
                kids = [c for w in workers for c in _children(w)]
                peak["children_mb"] = max(peak["children_mb"], rss_mb(kids))
                time.sleep(0.2)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        load_before = os.getloadavg()
        phase(port, bbox, args, None, bodies, sessions=4, duration=10)  # warm-up: every worker, every layer read once
        single = phase(port, bbox, args, None, bodies, sessions=1)
        reference = phase(port, bbox, args, None, bodies)
        loaded = phase(port, bbox, args, key, bodies)
        load_after = os.getloadavg()
        stop.set()
        watcher.join()
        survived = _children(proc.pid) == workers
    finally:
        stop.set()
        stop_server(proc)
    print(f"map sessions: {args.sessions} (think {args.think} s), heavy sessions: {args.heavy}, "
          f"{args.duration:.0f} s per phase")
    for name, p in (("single user (reference)", single), (f"{args.sessions} map sessions", reference),
                    ("with heavy analyses", loaded)):
        print(f"  {name:<22} {p['map_requests']:5d} map requests, p50 {p['map_p50_ms']:7.1f} ms, "
              f"p95 {p['map_p95_ms']:7.1f} ms, errors {p['map_errors']}")
    for name, ms, status, what in loaded["heavy"]:
        print(f"  heavy: {name:<22} HTTP {status} {what:<8} {ms / 1000:6.1f} s")
    print(f"  workers survived (same pids): {survived}; peak RSS of one worker {peak['workers_mb']:.0f} MB, "
          f"of all analysis children {peak['children_mb']:.0f} MB")
    print(f"  load average before {load_before[0]:.1f} / after {load_after[0]:.1f} (1 min; {os.cpu_count()} cores)")
    if args.json:
        args.json.write_text(json.dumps({"single": single, "reference": reference, "heavy": loaded,
                                         "survived": survived, "peak": peak,
                                         "load": [load_before, load_after]}, ensure_ascii=False, indent=1),
                             encoding="utf-8")
    failed = [h for h in loaded["heavy"] if h[2] != 200]
    if failed:  # the bench's requests no longer match the app's callbacks, or the server broke
        print(f"  FAILED: {len(failed)} of {len(loaded['heavy'])} heavy runs did not answer HTTP 200")
    return 0 if survived and not loaded["map_errors"] and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
