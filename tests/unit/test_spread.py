"""``spread_top``: top-N site results no two closer than a minimum distance (issue 15,
observation 7): the spread property on random tables, an oracle (plain loops and the haversine
formula) on small ones, and the rows it must keep."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from layers.analysis.spread import spread_top


def haversine_km(lat1, lon1, lat2, lon2, r=6371.0088):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def oracle(rows, n, min_km):
    """Greedy thinning written out: walk the rows, keep one if it is far from all kept ones."""
    kept = []
    for i, r in enumerate(rows.itertuples()):
        if all(haversine_km(r.lat, r.lon, rows.lat.iloc[j], rows.lon.iloc[j]) >= min_km for j in kept):
            kept.append(i)
        if len(kept) == n:
            break
    return kept


def random_rows(seed, size=300):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"lat": rng.uniform(38.5, 39.5, size), "lon": rng.uniform(115.0, 116.5, size),
                         "rank": np.arange(1, size + 1)})


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("min_km", [3.0, 10.0, 25.0])
def test_equals_the_loop_oracle(seed, min_km):
    rows = random_rows(seed)
    got = spread_top(rows, 20, min_km)
    assert got["rank"].tolist() == [int(rows["rank"].iloc[i]) for i in oracle(rows, 20, min_km)]


@pytest.mark.parametrize("seed", range(4))
def test_spread_property(seed):
    """No two results closer than the spacing; rank 1 is always kept; each skipped row has a
    better kept row within the spacing (so nothing was dropped for no reason)."""
    rows, min_km = random_rows(seed, 500), 8.0
    got = spread_top(rows, 30, min_km)
    assert got["rank"].iloc[0] == 1 and got["rank"].is_monotonic_increasing
    pts = list(zip(got.lat, got.lon))
    for i in range(len(pts)):
        for j in range(i):
            assert haversine_km(*pts[i], *pts[j]) >= min_km
    last = int(got["rank"].iloc[-1])
    kept = set(got["rank"])
    for r in rows[rows["rank"] <= last].itertuples():
        if r.rank not in kept:
            assert any(haversine_km(r.lat, r.lon, k.lat, k.lon) < min_km
                       for k in got[got["rank"] < r.rank].itertuples())


def test_clustered_results_become_distinct_places():
    """Twenty neighbours (1 km apart on a line) and three far points: 10 km spacing keeps one
    of the cluster every 10 km, then the far ones."""
    lat = [39.0] * 20 + [39.5, 38.5, 39.0]
    lon = [115.0 + i / 85 for i in range(20)] + [115.0, 115.0, 116.5]  # 1.02 km per step at 39°N
    rows = pd.DataFrame({"lat": lat, "lon": lon, "rank": range(1, 24)})
    got = spread_top(rows, 5, 10.0)
    assert got["rank"].tolist() == [1, 11, 21, 22, 23]
    assert spread_top(rows, 5, 0)["rank"].tolist() == [1, 2, 3, 4, 5]


def test_exactly_the_spacing_is_allowed_and_bad_input_is_refused():
    d = haversine_km(39.0, 115.0, 39.0, 115.1)
    rows = pd.DataFrame({"lat": [39.0, 39.0], "lon": [115.0, 115.1], "rank": [1, 2]})
    assert len(spread_top(rows, 2, d)) == 2 and len(spread_top(rows, 2, d + 0.01)) == 1
    with pytest.raises(ValueError, match="spacing_km"):
        spread_top(rows, 2, -1.0)
    with pytest.raises(ValueError, match="n: found"):
        spread_top(rows, 0, 1.0)
