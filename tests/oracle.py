"""Per-pixel brute force: the reference every fast raster -> H3 result must equal."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd

from etl.rasters import RasterReader


def brute_force_h3(reader: RasterReader, resolutions, breaks) -> dict[int, pd.DataFrame]:
    """Every valid pixel centre -> h3.latlng_to_cell, then groupby (parents via h3.cell_to_parent)."""
    g = reader.grid
    values = reader.read_rows(0, g.height)
    rr, cc = np.nonzero(~np.isnan(values))
    lon, lat = g.centres_lonlat(rr, cc)
    fine_res = max(resolutions)
    cells = [h3.str_to_int(h3.latlng_to_cell(a, b, fine_res)) for a, b in zip(lat.tolist(), lon.tolist())]
    v = values[rr, cc]
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
