"""Point tables -> H3 cell counts (and statistics of a value column), for ``onemap h3stats``.

A point file (e.g. fire detections) becomes a density hazard: points per cell and per km²,
and, with a value column, the same statistics as a raster (min, max, mean, p90, shares).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import h3
import numpy as np
import pandas as pd

from etl.columns import ALIASES, normalise
from etl.crs import parse_crs, to_wgs84
from etl.errors import CrsError, DataError, Problem
from etl.readers import read_table
from etl.region import TableSource
from etl.zonemap import latlng_to_cells


def _column(frame: pd.DataFrame, wanted: str | None, field: str, file: str) -> str:
    cols = list(frame.columns)
    if wanted is not None:
        if wanted not in cols:
            raise DataError([Problem("mapped_column_missing", file, {"field": field, "found": wanted, "expected": cols})])
        return wanted
    keys = {normalise(a) for a in ALIASES[field]}
    for c in cols:
        if normalise(c) in keys:
            return c
    raise DataError([Problem("missing_column", file, {"field": field, "aliases": list(ALIASES[field]), "found": cols})])


def points_to_h3(
    path: str | Path,
    res: int,
    *,
    lon: str | None = None,
    lat: str | None = None,
    value: str | None = None,
    crs: str = "WGS84",
    breaks: Sequence[float] = (),
) -> tuple[pd.DataFrame, list[Problem]]:
    """Count points (and summarise ``value``) per H3 cell.

    Returns
    -------
    frame : DataFrame
        ``cell`` (H3 string), ``count``, ``density_per_km2``; with ``value`` also ``min``,
        ``max``, ``mean``, ``p90`` and ``share_ge_<break>``.
    skipped : list of Problem
        Rows without usable coordinates or value (reported, not silently dropped).

    Raises
    ------
    DataError
        Unreadable file, missing columns or unknown CRS.
    """
    src = TableSource(entity="points", name=Path(path).name, path=Path(path))
    raw = read_table(src)
    file = str(path)
    try:
        spec = parse_crs(crs)
    except CrsError:
        raise DataError([Problem("crs_unknown", file, {"found": crs})]) from None
    f = raw.frame
    cx, cy = _column(f, lon, "lon", file), _column(f, lat, "lat", file)
    x = pd.to_numeric(f[cx], errors="coerce").to_numpy(np.float64)
    y = pd.to_numeric(f[cy], errors="coerce").to_numpy(np.float64)
    if value:
        _column(f, value, "value", file)  # a missing column is named with the ones that exist
    v = pd.to_numeric(f[value], errors="coerce").to_numpy(np.float64) if value else np.zeros(len(f))
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(v) & (np.abs(y) <= 90) & (np.abs(x) <= 180)
    skipped = [Problem("bad_number", file, {"row": int(raw.row_numbers[i]), "field": f"{cx}/{cy}" + (f"/{value}" if value else ""),
                                            "found": f"{f[cx].iloc[i]}, {f[cy].iloc[i]}", "expected": "numbers"})
               for i in np.flatnonzero(~ok)]
    lo, la = to_wgs84(x[ok], y[ok], spec)
    cells = latlng_to_cells(la, lo, res)
    df = pd.DataFrame({"cell": cells, "v": v[ok]})
    g = df.groupby("cell", sort=True)["v"]
    out = pd.DataFrame({"count": g.size()})
    if value:
        out["min"], out["max"], out["mean"] = g.min(), g.max(), g.mean()
        out["p90"] = g.quantile(0.9)
        for b in breaks:
            out[f"share_ge_{b:g}"] = g.apply(lambda s, b=b: float((s >= b).mean()))
    out = out.reset_index()
    names = [h3.int_to_str(int(c)) for c in out["cell"]]
    out["density_per_km2"] = out["count"] / np.array([h3.cell_area(c, "km^2") for c in names])
    out["cell"] = names
    return out, skipped
