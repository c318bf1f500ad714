"""Benchmark: vector hazard layers (lines distance, kernel-smoothed rate, zones) against brute force.

Not part of ``make test``; run by ``make bench``::

    python tests/bench/bench_vector.py [--res 8] [--sample 2000] [--json FILE]

Per layer, in the same run:

- lines: ``nearest_line_km`` (STRtree candidates + exact great-circle arc distance) for every
  H3 cell of the JJJ box (36–42.5° N, 113–120° E) at ``--res``, against a vectorised brute
  force (every cell × every segment, the same exact arc formula) timed on ``--sample`` cells
  and extrapolated per cell; both answers compared on the sample. Lines: the real fault file
  from ``../shared/realdata`` (5,853 polylines) when present, else 400 generated polylines.
- events: ``smoothed_rate`` (k-d tree pairs within 4σ) over the same cells against the
  all-pairs computation (every cell × every event), same sampling and comparison. Events: the
  real catalogue's M ≥ 4.7 events since 1900 when present, else 2,000 generated points.
- zones: ``zones_to_h3`` on the generated zoning fixture at res 9 and 10 (cells and time).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import h3  # noqa: E402
import h3.api.basic_int as h3i  # noqa: E402
import numpy as np  # noqa: E402
import shapely  # noqa: E402

from etl.vector_hazards import (  # noqa: E402
    EARTH_RADIUS_KM,
    KERNEL_CUTOFF,
    VectorHazardSource,
    arc_distance_km,
    cell_centres,
    nearest_line_km,
    read_vector,
    smoothed_rate,
    unit_vectors,
    zones_to_h3,
)

REAL = ROOT.parent / "shared" / "realdata"
BOX = [(36.0, 113.0), (36.0, 120.0), (42.5, 120.0), (42.5, 113.0)]


def _lines() -> tuple[np.ndarray, str]:
    path = REAL / "china_active_faults_2010.shp"
    if path.is_file():
        src = VectorHazardSource(hazard="f", kind="lines", path=path, units="km", breaks=(5.0,), labels=(),
                                 crs="EPSG:4326")
        return read_vector(src).geoms, "real faults (5,853 polylines)"
    rng = np.random.default_rng(3)
    starts = rng.uniform((110, 34), (123, 45), (400, 2))
    lines = [shapely.LineString(np.cumsum(np.r_[[s], rng.normal(0, 0.05, (30, 2))], axis=0)) for s in starts]
    return np.asarray(lines, dtype=object), "400 generated polylines"


def _events() -> tuple[np.ndarray, np.ndarray, str]:
    path = REAL / "china_earthquakes_cncat_mw.txt"
    if path.is_file():
        src = VectorHazardSource(hazard="e", kind="events", path=path, units="", breaks=(1.0,), labels=(),
                                 crs="WGS84", statistic="smoothed_rate", min_magnitude=4.7, period=(1900, 2016))
        inp = read_vector(src)
        return inp.lon, inp.lat, f"real catalogue, M>=4.7 since 1900 ({inp.lon.size:,} events)"
    rng = np.random.default_rng(4)
    return rng.uniform(100, 125, 2000), rng.uniform(25, 45, 2000), "2,000 generated events"


def _segments(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    coords, idx = shapely.get_coordinates(shapely.get_parts(lines), return_index=True)
    same = idx[1:] == idx[:-1]
    return coords[:-1][same], coords[1:][same]


def bench_lines(cells: np.ndarray, sample: int) -> dict:
    lines, what = _lines()
    lon, lat = cell_centres(cells)
    t0 = time.perf_counter()
    fast = nearest_line_km(lon, lat, lines)
    t_fast = time.perf_counter() - t0
    a, b = _segments(lines)
    ua, ub = unit_vectors(a[:, 0], a[:, 1]), unit_vectors(b[:, 0], b[:, 1])
    pick = np.random.default_rng(5).choice(cells.size, size=min(sample, cells.size), replace=False)
    up = unit_vectors(lon[pick], lat[pick])
    t0 = time.perf_counter()
    brute = np.array([arc_distance_km(np.repeat(p[None], ua.shape[0], 0), ua, ub).min() for p in up])
    t_brute = (time.perf_counter() - t0) / pick.size * cells.size
    return {"layer": "lines", "data": what, "segments": int(a.shape[0]), "cells": int(cells.size),
            "onemap_s": round(t_fast, 2), "brute_force_s_extrapolated": round(t_brute, 1),
            "speedup": round(t_brute / t_fast, 1), "max_abs_diff_km": float(np.abs(fast[pick] - brute).max())}


def bench_events(cells: np.ndarray, sample: int, sigma: float = 25.0) -> dict:
    elon, elat, what = _events()
    t0 = time.perf_counter()
    fast = smoothed_rate(cells, elon, elat, sigma)
    t_fast = time.perf_counter() - t0
    lon, lat = cell_centres(cells)
    ev = unit_vectors(elon, elat)
    pick = np.random.default_rng(6).choice(cells.size, size=min(sample, cells.size), replace=False)
    up = unit_vectors(lon[pick], lat[pick])
    t0 = time.perf_counter()
    brute = np.empty(pick.size)
    for i, p in enumerate(up):
        d = EARTH_RADIUS_KM * np.arctan2(np.linalg.norm(np.cross(p, ev), axis=1), ev @ p)
        w = np.where(d <= KERNEL_CUTOFF * sigma, np.exp(-d * d / (2 * sigma ** 2)), 0.0)
        brute[i] = w.sum() / (2 * np.pi * sigma ** 2)
    t_brute = (time.perf_counter() - t0) / pick.size * cells.size
    return {"layer": "events (smoothed rate)", "data": what, "cells": int(cells.size),
            "onemap_s": round(t_fast, 2), "brute_force_s_extrapolated": round(t_brute, 1),
            "speedup": round(t_brute / t_fast, 1),
            "max_rel_diff": float(np.max(np.abs(fast[pick] - brute) / np.maximum(brute, 1e-300)))}


def bench_zones() -> list[dict]:
    from tests.zoning_fixture import VALUES  # noqa: PLC0415

    path = ROOT / "tests" / "data" / "zoning_synthetic_utm50.gpkg"
    src = VectorHazardSource(hazard="z", kind="zones", path=path, units="g", breaks=(0.1, 0.2), labels=(),
                             field="pga", values=VALUES)
    inp = read_vector(src)
    out = []
    for res in (9, 10):
        t0 = time.perf_counter()
        frames = zones_to_h3(inp, src, [res - 2, res])
        out.append({"layer": "zones", "data": "generated zoning fixture (6 zones)", "res": res,
                    "cells_with_data": len(frames[res]), "onemap_s": round(time.perf_counter() - t0, 2)})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--res", type=int, default=8)
    ap.add_argument("--sample", type=int, default=2000)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    cells = np.sort(np.asarray(h3i.h3shape_to_cells(h3.LatLngPoly(BOX), args.res), dtype=np.uint64))
    results = [bench_lines(cells, args.sample), bench_events(cells, args.sample), *bench_zones()]
    for r in results:
        print(json.dumps(r, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
