"""Per-pixel brute force: the reference every fast raster -> H3 result must equal.

The pixels are read here with rasterio, independently of ``etl.rasters`` (its window reads,
nodata masks, scale/offset decoding and pixel-centre transforms are what is under test): the
whole band at once, nodata and non-finite values dropped, ``value * scale + offset``, centres
from ``rasterio.transform.xy`` and, for projected rasters, ``rasterio.warp.transform``.
"""

from __future__ import annotations

import math

import h3
import numpy as np
import pandas as pd
import rasterio
import rasterio.transform
import rasterio.warp


def read_pixels(path, band: int = 1, nodata: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lon, lat, value) of every valid pixel of ``band``, straight from rasterio."""
    with rasterio.open(path) as ds:
        raw = ds.read(band)
        nd = nodata if nodata is not None else ds.nodatavals[band - 1]
        valid = np.isfinite(raw) if raw.dtype.kind == "f" else np.ones(raw.shape, bool)
        if nd is not None and not math.isnan(nd):
            valid &= raw.astype(np.float64) != float(nd)
        scale, offset = (ds.scales[band - 1] or 1.0), (ds.offsets[band - 1] or 0.0)
        rr, cc = np.nonzero(valid)
        xs, ys = rasterio.transform.xy(ds.transform, rr, cc, offset="center")
        xs, ys = np.asarray(xs, np.float64), np.asarray(ys, np.float64)
        if not ds.crs.is_geographic:
            xs, ys = (np.asarray(v, np.float64) for v in rasterio.warp.transform(ds.crs, "EPSG:4326", xs, ys))
        return xs, ys, raw[rr, cc].astype(np.float64) * scale + offset


def brute_force_h3(reader, resolutions, breaks) -> dict[int, pd.DataFrame]:
    """Every valid pixel centre -> h3.latlng_to_cell, then groupby (parents via h3.cell_to_parent).

    Only the file, band and declared nodata are taken from ``reader`` (an ``etl.rasters``
    reader); the pixels come from ``read_pixels``.
    """
    lon, lat, v = read_pixels(reader.path, reader.band, reader.nodata)
    fine_res = max(resolutions)
    cells = [h3.str_to_int(h3.latlng_to_cell(a, b, fine_res)) for a, b in zip(lat.tolist(), lon.tolist())]
    out = {}
    for res in resolutions:
        keys = cells if res == fine_res else [h3.str_to_int(h3.cell_to_parent(h3.int_to_str(c), res)) for c in cells]
        df = pd.DataFrame({"cell": np.asarray(keys, dtype=np.uint64), "v": v})
        rows = []
        for cell, grp in df.groupby("cell", sort=True):
            x = grp["v"].to_numpy()
            rows.append({
                "cell": cell, "count": x.size, "min": x.min(), "max": x.max(), "mean": x.mean(),
                "p90": np.percentile(x, 90), "shares": [float((x >= b).mean()) for b in breaks],
            })
        out[res] = pd.DataFrame(rows)
    return out


def assert_same(fast: dict[int, pd.DataFrame], ref: dict[int, pd.DataFrame]) -> None:
    """Identical cells/counts/min/max, means and p90 within 1e-9 relative, equal shares."""
    for res, want in ref.items():
        got = fast[res]
        got = got[got["count"] > 0].sort_values("cell", ignore_index=True)
        want = want.sort_values("cell", ignore_index=True)
        assert len(got) == len(want), f"res {res}: {len(got)} cells vs brute force {len(want)}"
        np.testing.assert_array_equal(got["cell"].to_numpy(np.uint64), want["cell"].to_numpy(np.uint64))
        np.testing.assert_array_equal(got["count"].to_numpy(), want["count"].to_numpy())
        np.testing.assert_array_equal(got["min"].to_numpy(), want["min"].to_numpy())
        np.testing.assert_array_equal(got["max"].to_numpy(), want["max"].to_numpy())
        np.testing.assert_allclose(got["mean"].to_numpy(), want["mean"].to_numpy(), rtol=1e-9, atol=0)
        np.testing.assert_allclose(got["p90"].to_numpy(), want["p90"].to_numpy(), rtol=1e-9, atol=0)
        if len(want) and len(want["shares"].iloc[0]):
            share_cols = [c for c in got.columns if c.startswith("share_ge_")]
            np.testing.assert_allclose(got[share_cols].to_numpy(), np.stack(want["shares"].to_numpy()), rtol=1e-12)
