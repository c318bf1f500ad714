"""Benchmark: a bounded load check of ``onemap serve`` (targets: no errors, latency p95 <= 500 ms).

Not part of ``make test``; run by ``make bench``::

    python tests/bench/bench_load.py [--db data/jjj.duckdb] [--sessions 50] [--duration 30]
        [--workers 2] [--think 0] [--no-keepalive] [--warm-up 3] [--seed 20261123]
        [--accept-encoding "gzip, br"] [--json FILE]

Starts ``python -m etl serve --db <store> --port <free> --workers 2`` (gunicorn, gthread, the
CLI's default 4 threads per worker) in its own process group and waits for 200 on ``/``. The
store is ``--db``, else ``ONEMAP_DB_PATH``, else ``data/jjj.duckdb`` (built when missing). After a
warm-up (4 sessions as below for ``--warm-up`` s, meant to reach every worker, then until the
workers are idle; its errors are reported apart and count), ``--sessions`` threads, each with
its own keep-alive ``http.client`` connection (``--no-keepalive``: a new one per request), loop
for ``--duration`` seconds:

- a pan/zoom: the flood layer's ``hazard_hexagons`` request for a 1600 x 1000 px view at a random
  zoom 6-12 centred uniformly at random in the store's bbox (the same body as ``bench_map.py``);
- with probability 0.3, the enterprises layer's request for the same view (points from zoom 10,
  counts per hexagon below);
- with probability 0.15, a click on the map: ``show_card`` with Leaflet's clickData at a random
  point in the bbox;
- then ``--think`` seconds (uniform 0.5x-1.5x; default 0: the sessions send back to back).

Latency is from sending the request to reading the whole (still compressed) body. Errors are
non-200 answers and exceptions; a request on a kept-alive connection that the server closed
before answering is retried once on a new connection (as browsers do) and counted as a retry.
No request starts after ``--duration``; those in flight finish and count. Reported with the
figures: the server's CPU per process (utime + stime from /proc), the sockets each worker holds
at mid-run (how the kept-alive connections are spread), the client's own CPU and that of every
other process on the machine meanwhile (/proc/stat): all share the same cores.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[2]))

from bench_map import (  # noqa: E402
    DEFAULT_DB,
    ROOT,
    busy_cpu_seconds,
    callback_outputs,
    card_body,
    ensure_store,
    enterprises_body,
    hazard_body,
    pct,
    verdict,
    view_bounds,
)

TARGET_P95_MS = 500.0
TARGET_ERRORS = 0
ZOOMS = (6, 12)
P_POINTS, P_CARD = 0.3, 0.15
WARM_SESSIONS = 4
START_TIMEOUT = 90.0
HAZARD = "flood"
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- server ---------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                stat = (p / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(p.name))
    return out


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of ``pids`` (seconds); processes gone count 0."""
    total = 0
    for pid in pids:
        try:
            f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(f[11]) + int(f[12])
    return total / CLK_TCK


def start_server(db: str, port: int, workers: int, log: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "etl", "serve", "--db", db, "--port", str(port), "--workers", str(workers)]
    fh = open(log, "w")  # noqa: SIM115  (closed with the process)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    proc._log = fh  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"server exited ({proc.returncode}): {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return proc
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop_server(proc)
            raise SystemExit(f"no 200 on {url} within {START_TIMEOUT:.0f} s: {log.read_text()[-2000:]}")
        time.sleep(0.25)


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM to the server's process group, SIGKILL after 15 s."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass
    proc._log.close()  # type: ignore[attr-defined]


def socket_fds(pid: int) -> int:
    """Open sockets of ``pid`` (a worker's client connections + its listening socket)."""
    n = 0
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                n += os.readlink(fd).startswith("socket:")
            except OSError:
                pass
    except OSError:
        pass
    return n


def wait_idle(pids: list[int], share: float = 0.05, window: float = 0.5, limit: float = 60.0) -> float:
    """Wait until ``pids`` use under ``share`` of a core over ``window`` s (start-up warm-ups)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        c0 = cpu_seconds(pids)
        time.sleep(window)
        if cpu_seconds(pids) - c0 < share * window:
            break
    return time.monotonic() - t0


# -- sessions -------------------------------------------------------------------------------------
class Session:
    """One user: a keep-alive connection and a seeded RNG."""

    def __init__(self, port: int, seed: int, bodies, accept: str, think: float, keepalive: bool = True):
        self.port, self.rng, self.bodies, self.think = port, random.Random(seed), bodies, think
        self.headers = {"Content-Type": "application/json", "Accept": "application/json",
                        "Accept-Encoding": accept}
        self.keepalive = keepalive
        if not keepalive:
            self.headers["Connection"] = "close"
        self.conn: http.client.HTTPConnection | None = None
        self.records: list[tuple[str, float, int, int]] = []  # kind, ms, status (-1: exception), bytes
        self.errors: list[str] = []
        self.retries = 0

    def _send(self, body: bytes) -> tuple[int, int]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        self.conn.request("POST", "/_dash-update-component", body=body, headers=self.headers)
        r = self.conn.getresponse()
        out = r.status, len(r.read())
        if not self.keepalive:
            self.conn.close()
            self.conn = None
        return out

    def request(self, kind: str, body: dict) -> None:
        data = json.dumps(body).encode()
        t0 = time.perf_counter()
        try:
            try:
                status, n = self._send(data)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                if self.conn is None or not self.keepalive:
                    raise
                self.conn.close()  # the server closed an idle kept-alive connection: retry once
                self.conn, self.retries = None, self.retries + 1
                status, n = self._send(data)
        except Exception as exc:  # noqa: BLE001  (every failure is a counted error)
            self.records.append((kind, (time.perf_counter() - t0) * 1e3, -1, 0))
            self.errors.append(f"{kind}: {type(exc).__name__}: {exc}"[:200])
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return
        self.records.append((kind, (time.perf_counter() - t0) * 1e3, status, n))
        if status != 200:
            self.errors.append(f"{kind}: HTTP {status}")

    def run(self, deadline: float, bbox: list[float]) -> None:
        rng, (hazard, enterprises, card) = self.rng, self.bodies
        w, s, e, n = bbox
        while time.perf_counter() < deadline:
            z = rng.randint(*ZOOMS)
            b = view_bounds(rng.uniform(s, n), rng.uniform(w, e), z)
            self.request("hazard", hazard(b, z))
            if rng.random() < P_POINTS and time.perf_counter() < deadline:
                self.request("enterprises", enterprises(b, z))
            if rng.random() < P_CARD and time.perf_counter() < deadline:
                self.request("card", card(rng.uniform(s, n), rng.uniform(w, e), z))
            if self.think:
                time.sleep(self.think * rng.uniform(0.5, 1.5))
        if self.conn is not None:
            self.conn.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default=os.environ.get("ONEMAP_DB_PATH", DEFAULT_DB))
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--duration", type=float, default=30.0, help="seconds")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers (onemap serve --workers)")
    ap.add_argument("--no-keepalive", action="store_true",
                    help="a new connection per request (Connection: close), so each one goes to "
                         "whichever worker accepts it first")
    ap.add_argument("--think", type=float, default=0.0, help="mean pause between a session's steps (s)")
    ap.add_argument("--warm-up", type=float, default=3.0, help="seconds of warm-up requests")
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--accept-encoding", default="gzip, br")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    ensure_store(args.db)
    db = str(Path(args.db).resolve())

    from layers import Store

    store = Store(db)
    bbox = store.meta["bbox"]
    hazards = store.query("SELECT hazard FROM hazard_layers ORDER BY rowid")["hazard"].tolist()
    store.close()

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="onemap-bench-load-") as tmp:
        log = Path(tmp) / "server.log"
        t0 = time.perf_counter()
        proc = start_server(db, port, args.workers, log)
        try:
            t_start = time.perf_counter() - t0
            base = f"http://127.0.0.1:{port}"
            with urllib.request.urlopen(base + "/_dash-dependencies", timeout=30) as r:
                outputs = callback_outputs(json.load(r))
            # the page's map-config store, as the renderer sends it in each callback's state
            config = {"lang": "zh", "opacityDefault": {"hazard": 0.7, "entity": 1.0}, "minClassDefault": 1,
                      "hazards": hazards}
            min_class = config["minClassDefault"]
            bodies = (lambda b, z: hazard_body(outputs["hazard"], HAZARD, b, z, min_class, config),
                      lambda b, z: enterprises_body(outputs["enterprises"], b, z, config),
                      lambda lat, lng, z: card_body(outputs["card"], lat, lng, z, config))
            workers = _children(proc.pid)
            server_pids = [proc.pid, *workers]
            # warm-up: WARM_SESSIONS sessions (so every worker gets requests) for --warm-up s, then
            # until the workers are idle; its errors are the first requests' to fresh workers
            warm = [Session(port, args.seed - 1 - i, bodies, args.accept_encoding, 0.0) for i in range(WARM_SESSIONS)]
            with ThreadPoolExecutor(WARM_SESSIONS) as ex:
                for f in [ex.submit(s.run, time.perf_counter() + args.warm_up, bbox) for s in warm]:
                    f.result()
            idle = wait_idle(server_pids)
            warm_records = [r for s in warm for r in s.records]
            warm_errors = [e for s in warm for e in s.errors]
            print(f"server: python -m etl serve --workers {args.workers} (pids {server_pids}), up in "
                  f"{t_start:.1f} s; warm-up {len(warm_records)} requests from {WARM_SESSIONS} sessions "
                  f"({len(warm_errors)} errors) + {idle:.1f} s until idle; "
                  f"{args.sessions} sessions x {args.duration:.0f} s, think {args.think} s, "
                  f"{'a connection per request' if args.no_keepalive else 'keep-alive'}, Accept-Encoding "
                  f"{args.accept_encoding!r}; loadavg {os.getloadavg()[0]:.2f}", flush=True)

            sessions = [Session(port, args.seed + i, bodies, args.accept_encoding, args.think,
                                keepalive=not args.no_keepalive) for i in range(args.sessions)]
            cpu0, ru0 = [cpu_seconds([p]) for p in server_pids], resource.getrusage(resource.RUSAGE_SELF)
            busy0 = busy_cpu_seconds()
            t_begin = time.perf_counter()
            deadline = t_begin + args.duration
            with ThreadPoolExecutor(args.sessions) as ex:
                futures = [ex.submit(s.run, deadline, bbox) for s in sessions]
                time.sleep(args.duration / 2)
                sockets = [socket_fds(p) for p in workers]  # how the connections are spread
                for f in futures:
                    f.result()
            elapsed = time.perf_counter() - t_begin
            ru1, busy = resource.getrusage(resource.RUSAGE_SELF), busy_cpu_seconds() - busy0
            per_pid = [cpu_seconds([p]) - c for p, c in zip(server_pids, cpu0)]
            server_cpu = sum(per_pid)
            client_cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
            others = max(busy - server_cpu - client_cpu, 0.0)
            alive = proc.poll() is None
        finally:
            stop_server(proc)
        server_log = log.read_text()

    records = [r for s in sessions for r in s.records]
    errors = [e for s in sessions for e in s.errors]
    retries = sum(s.retries for s in sessions)
    ms = [r[1] for r in records]
    p95 = pct(ms, 95)
    print(f"\n{len(records)} requests in {elapsed:.1f} s: {len(records) / elapsed:.1f} req/s; "
          f"{sum(r[3] for r in records) / 1e6:.1f} MB transferred; errors {len(errors)}; retries {retries}; "
          f"server CPU {server_cpu:.1f} s ({server_cpu / elapsed:.2f} cores; per process "
          f"{', '.join(f'{c:.1f}' for c in per_pid)} s: master, workers; sockets per worker (with its "
          f"listening one) at mid-run {sockets}), load client CPU {client_cpu:.1f} s "
          f"({client_cpu / elapsed:.2f} cores), other processes {others / elapsed:.2f} cores (of {os.cpu_count()})")
    print("| requests | count | req/s | p50 ms | p95 ms | max ms | errors |")
    print("|---|---|---|---|---|---|---|")
    summary = {}
    for kind in ("all", "hazard", "enterprises", "card"):
        rk = records if kind == "all" else [r for r in records if r[0] == kind]
        mk = [r[1] for r in rk]
        ek = sum(r[2] != 200 for r in rk)
        summary[kind] = {"count": len(rk), "rps": len(rk) / elapsed, "p50": pct(mk, 50), "p95": pct(mk, 95),
                         "max": max(mk, default=float("nan")), "errors": ek}
        s = summary[kind]
        print(f"| {kind} | {s['count']} | {s['rps']:.1f} | {s['p50']:.0f} | {s['p95']:.0f} | {s['max']:.0f} | {ek} |")
    if errors:
        print("errors (first 10):", *errors[:10], sep="\n  ")
    if warm_errors:
        print(f"warm-up: {len(warm_errors)} errors in {len(warm_records)} requests (first 5):",
              *warm_errors[:5], sep="\n  ")
    if not alive:
        print("the server died during the run")
    causes = sorted({ln.strip() for ln in server_log.splitlines()
                     if ln.strip().startswith(("KeyError", "Exception", "RuntimeError", "ValueError", "[CRITICAL]"))
                     or "WORKER TIMEOUT" in ln})
    if causes:
        print("server log, distinct error lines:", *[c[:300] for c in causes[:10]], sep="\n  ")
    n_err = len(errors) + len(warm_errors)
    print("\nTargets:")
    print(f"  errors = {TARGET_ERRORS} (warm-up + run): {len(warm_errors)} + {len(errors)} -> "
          f"{verdict(n_err <= TARGET_ERRORS and alive)}")
    print(f"  latency p95 <= {TARGET_P95_MS:.0f} ms: {p95:.0f} ms -> {verdict(p95 <= TARGET_P95_MS)}", flush=True)
    if args.json:
        args.json.write_text(json.dumps({
            "args": {k: str(v) for k, v in vars(args).items()}, "elapsed": elapsed, "summary": summary,
            "errors": errors, "retries": retries, "warm_up_requests": len(warm_records),
            "warm_up_errors": warm_errors, "server_cpu_s": server_cpu, "server_cpu_per_pid_s": per_pid,
            "worker_sockets_mid_run": sockets, "other_cpu_s": others, "client_cpu_s": client_cpu,
            "records": records}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
