"""raster2dggs as the named reference of ``bench_scale.py``: install, run, compare values.

raster2dggs (PyPI, manaakiwhenua) is the closest open tool: windows of the raster on a process
pool, then a Dask groupby by parent cell. Its wheel pins ``dask < 2026`` while onemap's extra
needs distributed 2026, so it lives in its own venv under the bench cache folder
(``<cache>/raster2dggs-venv``), created on first use with the ordinary ``pip``.

Its ``--point`` mode is the comparable one: each pixel goes to the H3 cell holding its centre,
as in onemap. We run it as ``raster2dggs h3 RASTER OUT -r RES -p 1 --point value
-a count,min,max,mean -d none --cell-id uint64`` (one process, four statistics, no rounding).
It has no quantile, no threshold shares and writes one resolution per run; its values come
out in the raster's dtype (float32) where onemap keeps float64.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

VENV = "raster2dggs-venv"
PACKAGE = "raster2dggs[h3]"  # the h3 backend is an extra since 0.18


def ensure(cache: Path) -> tuple[Path | None, str]:
    """The ``raster2dggs`` executable in ``<cache>/raster2dggs-venv`` (installed if missing).

    Returns ``(exe, version)`` or ``(None, why)`` with the failing step and its output's tail.
    """
    venv = cache / VENV
    exe, py = venv / "bin" / "raster2dggs", venv / "bin" / "python"
    if not (exe.is_file() and _has_h3(py)):
        base = shutil.which("python3.11") or shutil.which("python3") or sys.executable
        steps = [[base, "-m", "venv", str(venv)], [str(py), "-m", "pip", "install", "--quiet", PACKAGE]]
        for cmd in steps:
            out = subprocess.run(cmd, capture_output=True, text=True)
            if out.returncode:
                tail = "\n".join(ln for ln in (out.stderr + out.stdout).splitlines()
                                 if not ln.startswith("WARNING: Location"))[-1500:]
                return None, f"`{' '.join(cmd)}` exited {out.returncode}: {tail}"
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True)
    dask_v = subprocess.run([str(py), "-c", "import dask; print(dask.__version__)"], capture_output=True, text=True)
    return exe, f"{out.stdout.strip()} (dask {dask_v.stdout.strip()})"


def _has_h3(py: Path) -> bool:
    return py.is_file() and subprocess.run([str(py), "-c", "import h3"], capture_output=True).returncode == 0


def run(exe: Path, raster: Path, res: int, out_dir: Path, tmp: Path, sampler_cls) -> dict:
    """Time one point-mode run (wall and CPU of the whole process tree; sampled peak RSS)."""
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.mkdir(parents=True, exist_ok=True)
    cmd = [str(exe), "h3", str(raster), str(out_dir), "-r", str(res), "-p", "1", "--point", "value",
           "-a", "count,min,max,mean", "-d", "none", "--cell-id", "uint64", "-o", "--tempdir", str(tmp),
           "-v", "WARNING"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(["nice", "-n", "10", *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with sampler_cls(proc.pid) as sampler:  # as the onemap runs: niced, the machine may be shared
        stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(f"raster2dggs failed ({' '.join(cmd)}):\n{stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"command": " ".join(cmd), "seconds": wall, "cpu_seconds": cpu,
            "peak_rss_mb": sampler.peak_total_mb(), "load_avg_1min": [round(load0, 2), round(os.getloadavg()[0], 2)]}


def compare(ours, out_dir: Path) -> dict:
    """Their cells and values against onemap's rows at the same resolution (``ours``: DataFrame).

    onemap also writes *sampled* cells (no pixel centre inside; value at the cell centre);
    point mode has no such cells, so they are counted apart.
    """
    import numpy as np  # noqa: PLC0415
    import pyarrow.parquet as pq  # noqa: PLC0415

    t = pq.read_table(out_dir)
    key = next(c for c in t.column_names if c.startswith("h3_") and t.schema.field(c).type == "uint64")
    band = t.column("band_1").combine_chunks()
    theirs = {"cell": t.column(key).to_numpy().astype(np.uint64)}
    for stat in ("count", "min", "max", "mean"):
        theirs[stat] = band.field(stat).to_numpy(zero_copy_only=False).astype(np.float64)
    order = np.argsort(theirs["cell"])
    theirs = {k: v[order] for k, v in theirs.items()}
    centred = ours[~ours["sampled"].to_numpy()]
    ocell = centred["cell"].to_numpy().astype(np.uint64)
    common, io, it = np.intersect1d(ocell, theirs["cell"], return_indices=True)
    res = {"cells_onemap_with_pixel_centres": int(len(ocell)),
           "cells_onemap_sampled": int(len(ours) - len(centred)),
           "cells_raster2dggs": int(len(theirs["cell"])), "cells_in_both": int(len(common))}
    for stat in ("count", "min", "max", "mean"):
        a = centred[stat].to_numpy().astype(np.float64)[io]
        b = theirs[stat][it]
        if stat == "count":
            res["count_equal_share"] = float(np.mean(a == b)) if len(a) else float("nan")
            continue
        if stat in ("min", "max"):  # both are one pixel's float32 value
            res[f"{stat}_equal_share"] = float(np.mean(np.float32(a) == np.float32(b))) if len(a) else float("nan")
        rel = np.abs(a - b) / np.maximum(np.abs(a), 1e-12)
        res[f"{stat}_max_rel_diff"] = float(rel.max()) if len(rel) else float("nan")
    return res
