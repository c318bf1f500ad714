"""Benchmark: onemap raster -> H3 against exactextract (H3 polygons) and the per-pixel brute force.

Not part of ``make test``; run by ``make bench``::

    python tests/bench/bench_h3stats.py [--sizes 16,100] [--quick]
        [--skip-exactextract-above MPX] [--exactextract-budget SECONDS] [--workdir DIR]

Per case (16 Mpx = 4000 x 4000 at 0.0015 deg, H3 res 7; 100 Mpx = 10000 x 10000 at 0.0006 deg,
res 8; top-left corner 114E/41N, EPSG:4326, float32, tiled 256 x 256, DEFLATE, ~10 % nodata) it
times, in the same run and on the same (page-cached) file:

- I/O floor: ``reader.read_raw`` over 256-row windows + decode + one ``np.nansum`` pass;
- ZoneMap alone (no cache) over the same windows, finest resolution only;
- onemap first build: ``raster_to_h3(reader, [res-2, res-1, res], BREAKS, cache_dir=<empty>)``;
- onemap rebuild: the same call again (zone map from the cache);
- exactextract: polygons of all H3 cells overlapping the raster at ``res``, then
  ``exact_extract(path, gdf, count/min/max/mean/quantile(q=0.9), output="pandas")``, in a child
  process so a time budget can stop it;
- brute force: per-pixel ``h3.latlng_to_cell`` (as ``tests/oracle.py``) + pandas groupby on a
  fixed band of rows, extrapolated linearly per valid pixel to the whole raster;
- correctness: a 1000 x 1000 crop of the same field, ``raster_to_h3`` vs
  ``tests.oracle.brute_force_h3`` with ``assert_same``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import rasterio  # noqa: E402
from rasterio.transform import from_origin  # noqa: E402

NODATA = -9999.0
BREAKS = (0.15, 0.5, 1.5)
WINDOW_ROWS = 256
ORIGIN = (114.0, 41.0)  # top-left corner (lon, lat)
CASES = {  # Mpx -> (width, height, pixel size in degrees, finest H3 resolution)
    16: (4000, 4000, 0.0015, 7),
    100: (10000, 10000, 0.0006, 8),
}
QUICK_CASES = {4: (2000, 2000, 0.0015, 7)}
TARGET_EXACTEXTRACT = 5.0  # onemap first build at least 5x faster
TARGET_REBUILD = 2.0  # rebuild within 2x of the I/O floor


# -- synthetic raster ---------------------------------------------------------------------------
def _hash_uniform(idx: np.ndarray, seed: int) -> np.ndarray:
    """Deterministic uniform [0, 1) noise of global pixel indices (splitmix64)."""
    with np.errstate(over="ignore"):
        z = idx.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15) * np.uint64(seed + 1)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _mask_field(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (np.sin(lon * 3.3 + 1.0) * np.cos(lat * 2.9) + 0.35 * np.sin(lon * 11.0 + lat * 13.0)
            + 0.15 * np.cos(lon * 41.0 - lat * 37.0))


def field(lon: np.ndarray, lat: np.ndarray, gidx: np.ndarray, mask_threshold: float) -> np.ndarray:
    """Hazard-like values (>= 0, smooth + noise) at pixel centres; NODATA in blobs and speckle."""
    x, y = lon - ORIGIN[0], lat - ORIGIN[1]
    z = (1.0 + 0.8 * np.sin(x * 1.3) * np.cos(y * 1.1) + 0.5 * np.sin(x * 6.1 + y * 4.7)
         + 0.3 * np.cos(x * 23.0 - y * 19.0) + 0.15 * np.sin(x * 97.0 + y * 83.0))
    z = np.maximum(z + 0.25 * (_hash_uniform(gidx, 1) - 0.5), 0.0)
    nod = (_mask_field(lon, lat) > mask_threshold) | (_hash_uniform(gidx, 2) < 0.005)
    return np.where(nod, NODATA, z).astype(np.float32)


def _mask_threshold(lon0: float, lat0: float, lon1: float, lat1: float) -> float:
    """Threshold giving ~9.5 % blob nodata (+ 0.5 % speckle) over the extent."""
    lo, la = np.meshgrid(np.linspace(lon0, lon1, 400), np.linspace(lat0, lat1, 400))
    return float(np.quantile(_mask_field(lo, la), 0.905))


def write_raster(path: Path, width: int, height: int, px: float, *, col0: int = 0, row0: int = 0,
                 full_width: int | None = None, mask_threshold: float | None = None) -> Path:
    """Write the synthetic field as a tiled DEFLATE GeoTIFF, 256 rows at a time.

    ``col0``/``row0``/``full_width`` place a crop inside a larger raster of the same field (the
    noise depends on the global pixel index, so a crop has exactly the full raster's values).
    """
    full_width = full_width or width
    lon0, lat0 = ORIGIN[0] + col0 * px, ORIGIN[1] - row0 * px
    if mask_threshold is None:
        mask_threshold = _mask_threshold(lon0, lat0 - height * px, lon0 + width * px, lat0)
    profile = dict(driver="GTiff", width=width, height=height, count=1, dtype="float32",
                   crs="EPSG:4326", transform=from_origin(lon0, lat0, px, px), nodata=NODATA,
                   tiled=True, blockxsize=256, blockysize=256, compress="deflate")
    cols = np.arange(width)
    lon_row = ORIGIN[0] + (col0 + cols + 0.5) * px
    with rasterio.open(path, "w", **profile) as dst:
        for r0 in range(0, height, WINDOW_ROWS):
            r1 = min(height, r0 + WINDOW_ROWS)
            rows = np.arange(r0, r1)[:, None] + row0
            lat = ORIGIN[1] - (rows + 0.5) * px
            gidx = rows * full_width + (col0 + cols)[None, :]
            block = field(lon_row[None, :], lat, gidx, mask_threshold)
            dst.write(block, 1, window=rasterio.windows.Window(0, r0, width, r1 - r0))
    return path


# -- timed steps --------------------------------------------------------------------------------
def io_floor(path: Path) -> dict:
    """Read every window (read_raw) + decode + one NumPy pass: the floor any method pays."""
    from etl.rasters import open_raster

    t0 = time.perf_counter()
    total, n_valid = 0.0, 0
    with open_raster(path) as rd:
        for r0 in range(0, rd.grid.height, WINDOW_ROWS):
            raw, valid = rd.read_raw(r0, min(rd.grid.height, r0 + WINDOW_ROWS))
            values = rd.decode(raw)
            values[~valid] = np.nan
            total += float(np.nansum(values))
            n_valid += int(valid.sum())
    t_floor = time.perf_counter() - t0
    t0 = time.perf_counter()
    with rasterio.open(path) as ds:  # rasterio decode only, for context
        for r0 in range(0, ds.height, WINDOW_ROWS):
            ds.read(1, window=rasterio.windows.Window(0, r0, ds.width, min(ds.height, r0 + WINDOW_ROWS) - r0))
    return {"io_floor": t_floor, "read_only": time.perf_counter() - t0, "valid_px": n_valid, "sum": total}


def zonemap_alone(path: Path, res: int) -> dict:
    from etl.rasters import open_raster
    from etl.zonemap import ZoneMap

    with open_raster(path) as rd:
        t0 = time.perf_counter()
        zm = ZoneMap(rd.grid, res, cache_dir=None)
        t_prep = time.perf_counter() - t0
        for r0 in range(0, rd.grid.height, WINDOW_ROWS):
            zm.rows(r0, min(rd.grid.height, r0 + WINDOW_ROWS))
        return {"zonemap": time.perf_counter() - t0, "zonemap_prepare": t_prep, **zm.stats}


def onemap_build(path: Path, resolutions: list[int], cache_dir: Path) -> tuple[float, dict]:
    from etl.h3stats import raster_to_h3
    from etl.rasters import open_raster

    with open_raster(path) as rd:
        t0 = time.perf_counter()
        out = raster_to_h3(rd, resolutions, BREAKS, cache_dir=cache_dir)
        return time.perf_counter() - t0, out


def h3_polygons(path: Path, res: int):
    """GeoDataFrame of every H3 cell at ``res`` overlapping the raster's extent (EPSG:4326)."""
    import geopandas as gpd
    import h3
    import shapely

    with rasterio.open(path) as ds:
        b = ds.bounds
    shape = h3.LatLngPoly([(b.bottom, b.left), (b.bottom, b.right), (b.top, b.right), (b.top, b.left)])
    cells = sorted(h3.h3shape_to_cells_experimental(shape, res, "overlap"))
    polys = [shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in cells]
    return gpd.GeoDataFrame({"cell": cells}, geometry=polys, crs="EPSG:4326")


def exactextract_child(path: str, res: int) -> None:
    """Child process: build the H3 polygons, run exactextract, print timings as JSON."""
    import exactextract

    t0 = time.perf_counter()
    gdf = h3_polygons(Path(path), res)
    t_poly = time.perf_counter() - t0
    t0 = time.perf_counter()
    df = exactextract.exact_extract(path, gdf, ["count", "min", "max", "mean", "quantile(q=0.9)"],
                                    include_cols=["cell"], output="pandas")
    t_ext = time.perf_counter() - t0
    n_nonempty = int((df["count"] > 0).sum())
    print(json.dumps({"polygons": t_poly, "extract": t_ext, "n_polygons": len(gdf),
                      "n_nonempty": n_nonempty}))


def run_exactextract(path: Path, res: int, budget: float) -> dict:
    cmd = [sys.executable, __file__, "--_exactextract-child", str(path), str(res)]
    t0 = time.perf_counter()
    try:
        cp = subprocess.run(cmd, capture_output=True, text=True, timeout=budget, check=True)
    except subprocess.TimeoutExpired:
        return {"skipped": f"stopped after the {budget:.0f} s budget (--exactextract-budget)"}
    except subprocess.CalledProcessError as exc:
        return {"skipped": f"failed: {exc.stderr.strip()[-500:]}"}
    out = json.loads(cp.stdout.strip().splitlines()[-1])
    out["wall"] = time.perf_counter() - t0
    return out


def brute_force_sample(path: Path, resolutions: list[int], sample_px: int) -> dict:
    """tests/oracle.py's per-pixel h3.latlng_to_cell + pandas groupby per resolution, on a band of rows."""
    import h3
    import pandas as pd

    from etl.rasters import open_raster

    fine = max(resolutions)
    with open_raster(path) as rd:
        g = rd.grid
        n_rows = max(1, min(g.height, sample_px // g.width))
        r0 = (g.height - n_rows) // 2
        t0 = time.perf_counter()
        values = rd.read_rows(r0, r0 + n_rows)
        rr, cc = np.nonzero(~np.isnan(values))
        lon, lat = g.centres_lonlat(rr + r0, cc)
        cells = np.asarray([h3.str_to_int(h3.latlng_to_cell(a, b, fine))
                            for a, b in zip(lat.tolist(), lon.tolist())], dtype=np.uint64)
        t_cells = time.perf_counter() - t0
        df = pd.DataFrame({"cell": cells, "v": values[rr, cc]})
        for res in sorted(resolutions, reverse=True):
            if res != fine:
                uniq = np.unique(cells)
                parent = {c: h3.str_to_int(h3.cell_to_parent(h3.int_to_str(c), res)) for c in uniq.tolist()}
                df["cell"] = np.asarray([parent[c] for c in cells.tolist()], dtype=np.uint64)
            grp = df.groupby("cell")["v"]
            stats = grp.agg(["count", "min", "max", "mean"])
            stats["p90"] = grp.quantile(0.9)
            for b in BREAKS:
                stats[f"share_ge_{b:g}"] = (df["v"] >= b).groupby(df["cell"]).mean()
        t_all = time.perf_counter() - t0
    return {"sample_rows": n_rows, "sample_px": n_rows * g.width, "sample_valid": int(rr.size),
            "sample_time": t_all, "sample_cells_time": t_cells}


def check_crop(workdir: Path, width: int, height: int, px: float, res: int, threshold: float) -> str:
    """1000 x 1000 crop of the same field: raster_to_h3 == tests.oracle.brute_force_h3."""
    from etl.h3stats import raster_to_h3
    from etl.rasters import open_raster
    from tests.oracle import assert_same, brute_force_h3

    n = min(1000, width, height)
    path = write_raster(workdir / "crop.tif", n, n, px, col0=(width - n) // 2, row0=(height - n) // 2,
                        full_width=width, mask_threshold=threshold)
    resolutions = [res - 2, res - 1, res]
    with open_raster(path) as rd:
        fast = raster_to_h3(rd, resolutions, BREAKS)
        ref = brute_force_h3(rd, resolutions, BREAKS)
    assert_same(fast, ref)
    return f"identical ({n}x{n} crop, res {resolutions}, {sum(len(d) for d in ref.values())} cells)"


# -- driver -------------------------------------------------------------------------------------
def run_case(mpx: int, spec, workdir: Path, args) -> dict:
    width, height, px, res = spec
    resolutions = [res - 2, res - 1, res]
    path = workdir / f"r{mpx}mpx.tif"
    print(f"\n=== {mpx} Mpx: {width} x {height}, {px} deg (~{px * 111_000 * math.cos(math.radians(38)):.0f} m), "
          f"H3 res {resolutions} ===", flush=True)
    threshold = _mask_threshold(ORIGIN[0], ORIGIN[1] - height * px, ORIGIN[0] + width * px, ORIGIN[1])
    t0 = time.perf_counter()
    write_raster(path, width, height, px, mask_threshold=threshold)
    print(f"generated {path.name} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s",
          flush=True)
    r = {"mpx": mpx, "width": width, "height": height, "px": px, "res": res}

    r.update(io_floor(path))
    io_floor(path)  # twice: report the second (warm) pass
    r.update(io_floor(path))
    print(f"I/O floor {r['io_floor']:.2f} s (rasterio read alone {r['read_only']:.2f} s); "
          f"valid {r['valid_px'] / (width * height):.1%}", flush=True)

    r.update(zonemap_alone(path, res))
    print(f"ZoneMap alone (res {res}, no cache) {r['zonemap']:.2f} s "
          f"(prepare {r['zonemap_prepare']:.2f} s; {r['brute_force_pixels']} px to h3)", flush=True)

    cache = Path(tempfile.mkdtemp(prefix="zmcache-", dir=workdir))
    r["first"], first = onemap_build(path, resolutions, cache)
    print(f"onemap first build {r['first']:.2f} s", flush=True)
    r["rebuild"], again = onemap_build(path, resolutions, cache)
    r["cells"] = {int(k): len(v) for k, v in again.items()}
    for k in first:
        assert first[k].equals(again[k]), f"rebuild differs from first build at res {k}"
    print(f"onemap rebuild (cached zone map) {r['rebuild']:.2f} s; cells {r['cells']}", flush=True)

    if args.skip_exactextract_above is not None and mpx > args.skip_exactextract_above:
        r["ee"] = {"skipped": f"--skip-exactextract-above {args.skip_exactextract_above}"}
    else:
        r["ee"] = run_exactextract(path, res, args.exactextract_budget)
    if "skipped" in r["ee"]:
        print(f"exactextract SKIPPED: {r['ee']['skipped']}", flush=True)
    else:
        print(f"exactextract: polygons {r['ee']['polygons']:.2f} s ({r['ee']['n_polygons']} cells), "
              f"extraction {r['ee']['extract']:.2f} s", flush=True)

    r.update(brute_force_sample(path, resolutions, args.brute_sample_px))
    r["brute"] = r["sample_time"] / r["sample_valid"] * r["valid_px"]
    print(f"brute force: {r['sample_time']:.2f} s on {r['sample_px']} px ({r['sample_valid']} valid) -> "
          f"{r['brute']:.0f} s extrapolated", flush=True)

    r["check"] = check_crop(workdir, width, height, px, res, threshold)
    print(f"correctness: {r['check']}", flush=True)
    os.remove(path)
    return r


def report(results: list[dict]) -> str:
    lines = ["", "| case | I/O floor | ZoneMap alone | onemap first | onemap rebuild | exactextract polys + extract "
             "| brute force | ee(total)/first | ee(extract)/first | brute/first | rebuild/floor |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    verdicts = []
    for r in results:
        ee = r["ee"]
        if "skipped" in ee:
            ee_txt, tot, ext = "skipped", "n/a", "n/a"
            verdicts.append(f"{r['mpx']} Mpx: exactextract >= {TARGET_EXACTEXTRACT:g}x: NOT MEASURED ({ee['skipped']})")
        else:
            total = ee["polygons"] + ee["extract"]
            ee_txt = f"{ee['polygons']:.1f} + {ee['extract']:.1f} = {total:.1f}"
            tot, ext = f"{total / r['first']:.1f}x", f"{ee['extract'] / r['first']:.1f}x"
            ok_t = total / r["first"] >= TARGET_EXACTEXTRACT
            ok_e = ee["extract"] / r["first"] >= TARGET_EXACTEXTRACT
            verdicts.append(f"{r['mpx']} Mpx: first build >= {TARGET_EXACTEXTRACT:g}x faster than exactextract: "
                            f"{'MET' if ok_t else 'MISSED'} vs polygons+extraction ({tot}), "
                            f"{'MET' if ok_e else 'MISSED'} vs extraction only ({ext})")
        ratio = r["rebuild"] / r["io_floor"]
        verdicts.append(f"{r['mpx']} Mpx: rebuild <= {TARGET_REBUILD:g}x I/O floor: "
                        f"{'MET' if ratio <= TARGET_REBUILD else 'MISSED'} ({ratio:.2f}x)")
        lines.append(
            f"| {r['mpx']} Mpx res {r['res']} | {r['io_floor']:.1f} | {r['zonemap']:.1f} | {r['first']:.1f} "
            f"| {r['rebuild']:.1f} | {ee_txt} | {r['brute']:.0f} (extrapolated from {r['sample_px'] / 1e6:.1f} Mpx) "
            f"| {tot} | {ext} | {r['brute'] / r['first']:.0f}x | {ratio:.2f}x |")
    return "\n".join(lines + ["", "seconds; onemap computes 3 resolutions, exactextract 1.", ""] + verdicts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="16,100", help="comma-separated cases in Mpx (16, 100)")
    ap.add_argument("--quick", action="store_true", help="one small 4 Mpx case, 0.5 Mpx brute-force sample")
    ap.add_argument("--skip-exactextract-above", type=float, default=None, metavar="MPX",
                    help="do not run exactextract on rasters larger than this (Mpx)")
    ap.add_argument("--exactextract-budget", type=float, default=1800.0, metavar="SECONDS",
                    help="stop exactextract (polygons + extraction) after this long (default 1800)")
    ap.add_argument("--brute-sample-px", type=int, default=2_000_000)
    ap.add_argument("--workdir", type=Path, default=None, help="where to write rasters (default: a temp dir)")
    ap.add_argument("--json", type=Path, default=None, help="also write the results as JSON here")
    ap.add_argument("--_exactextract-child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._exactextract_child:
        exactextract_child(args._exactextract_child[0], int(args._exactextract_child[1]))
        return 0
    if args.quick:
        cases, args.brute_sample_px = QUICK_CASES, min(args.brute_sample_px, 500_000)
    else:
        cases = {int(s): CASES[int(s)] for s in args.sizes.split(",")}
    with tempfile.TemporaryDirectory(prefix="onemap-bench-", dir=args.workdir) as tmp:
        results = [run_case(mpx, spec, Path(tmp), args) for mpx, spec in cases.items()]
    text = report(results)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
