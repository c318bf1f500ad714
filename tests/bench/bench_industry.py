"""Benchmark: the 产业监测 page's callbacks (p95) and the cluster report (PDF + XLSX).

Not part of ``make test``::

    python tests/bench/bench_industry.py [--db data/jjj.duckdb] [--repeat 5]

Callbacks are called as the server calls them (inside the app's request context, answers
serialised with plotly's JSON encoder, as Dash does) over every year × scope (region, 3
provinces, 13 cities) × tab, and table searches with Chinese text; the first call of each
process (which reads the tables once per store build) is reported apart. Reference in the same
run: ``indicator_table`` from scratch (the cost the per-build cache saves every call). The
issue's targets: callbacks p95 <= 150 ms; a cluster report <= 10 s. Records go in
tests/bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _q(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=str(ROOT / "data" / "jjj.duckdb"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    os.environ["ONEMAP_DB_PATH"] = args.db
    import plotly.utils  # noqa: PLC0415

    from layers.industry import indicator_table, load  # noqa: PLC0415
    from layers.report.cluster import cluster_report, report_bytes  # noqa: PLC0415
    from mapapp.app import create_app  # noqa: PLC0415
    from mapapp.pages import industry_callbacks as cb  # noqa: PLC0415
    from mapapp.settings import Settings  # noqa: PLC0415

    app = create_app(Settings.from_env())
    store = app.server.extensions["onemap"]["store"]
    timings: dict[str, list[float]] = {}

    phase = {"name": "first"}

    def timed(name: str, fn, *a) -> None:
        t0 = time.perf_counter()
        out = fn(*a)
        json.dumps(out, cls=plotly.utils.PlotlyJSONEncoder)
        timings.setdefault((phase["name"], name), []).append((time.perf_counter() - t0) * 1000)

    with app.server.test_request_context("/"):
        t0 = time.perf_counter()
        data = load(store)
        first_load = time.perf_counter() - t0
        years = data.years
        units = ["region", *data.units.loc[data.units["level"].isin(["province", "city"]), "adcode"]]
        t0 = time.perf_counter()
        indicator_table(data)
        reference_ms = (time.perf_counter() - t0) * 1000
        for i in range(args.repeat):
            phase["name"] = "first" if i == 0 else "again"
            for lang in ("zh", "en"):
                for unit in units:
                    timed("overview", cb.overview, years[-1], unit, lang)
                    timed("atlas", cb.atlas, "unmanned", unit, lang)
                    timed("funnels", cb.funnels, unit, "funnel", lang)
                    for tab in ("enterprises", "products", "projects", "leads", "tasks"):
                        timed("table", cb.table, tab, "", None, None, None, None, unit, years[-1], lang)
                for year in years:
                    timed("overview", cb.overview, year, "region", lang)
                for text in ("无人机", "合成", "救援", "防护服", "石家庄"):
                    timed("table (search)", cb.table, "products", text, None, None, None, None, "region",
                          years[-1], lang)
                    timed("table (search)", cb.table, "enterprises", text, "unmanned", None, None, None,
                          "region", years[-1], lang)
                timed("filter_options", cb.filter_options, "unmanned", "projects", lang)
    print(f"store {args.db}; first load of the industry tables {first_load * 1000:.0f} ms; reference "
          f"indicator_table from scratch {reference_ms:.0f} ms")
    print(f"{'pass':<6} {'callback':<16} {'n':>5} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    for ph in ("first", "again"):
        rows = [(n, vs) for (p, n), vs in timings.items() if p == ph]
        allv = [v for _, vs in rows for v in vs]
        if not allv:
            continue
        for name, vs in [*rows, ("ALL", allv)]:
            print(f"{ph:<6} {name:<16} {len(vs):>5} {statistics.median(vs):>10.1f} {_q(vs, 0.95):>8.1f} "
                  f"{max(vs):>8.1f}")
    allv = [v for vs in timings.values() for v in vs]
    print(f"p95 of all callbacks, both passes {_q(allv, 0.95):.1f} ms (target <= 150 ms)")

    print(f"{'report':<22} {'numbers s':>10} {'pdf s':>7} {'xlsx s':>7} {'total s':>8}")
    for code in (None, "130000", "130200"):
        t0 = time.perf_counter()
        rep = cluster_report(store, years[-1], code)
        t1 = time.perf_counter()
        report_bytes(rep, "pdf")
        t2 = time.perf_counter()
        report_bytes(rep, "xlsx")
        t3 = time.perf_counter()
        print(f"{code or 'region':<22} {t1 - t0:>10.2f} {t2 - t1:>7.2f} {t3 - t2:>7.2f} {t3 - t0:>8.2f} (target <= 10 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
