"""The map's hazard layers held in memory (``layers.map.hexcache``) answer a view exactly as the
DuckDB query does: same cells, classes, values and sampled shares, over random views at every
zoom, min class and hazard of the demo store, and while layers are evicted."""

from __future__ import annotations

import random

import numpy as np
import pytest

from layers.map import hexcache
from layers.map.viewport import Viewport, hazard_cells_in_view


def _views(store, n, seed):
    rng = random.Random(seed)
    west, south, east, north = store.meta["bbox"]
    for _ in range(n):
        zoom = rng.uniform(5, 13)
        lat, lng = rng.uniform(south, north), rng.uniform(west, east)
        half_lng = 800 * 360 / (256 * 2**zoom)  # a 1600 x 1000 px view, roughly
        half_lat = half_lng * 500 / 800 * np.cos(np.radians(lat))
        yield Viewport(lat - half_lat, lng - half_lng, lat + half_lat, lng + half_lng, zoom)


@pytest.mark.parametrize("budget", [hexcache.BUDGET_BYTES, 4 * 2**20])  # kept, and evicted often
def test_memory_and_duckdb_answer_alike(demo_store, monkeypatch, budget):
    monkeypatch.setattr(hexcache, "BUDGET_BYTES", budget)
    hexcache._LAYERS.clear()
    rng = random.Random(7)
    used = set()
    for view in _views(demo_store, 60, seed=budget):
        hazard, min_class = rng.choice(demo_store.hazards), rng.choice([0, 1, 2, 3, 4])
        fast = hazard_cells_in_view(demo_store, hazard, view, min_class=min_class)
        slow = hazard_cells_in_view(demo_store, hazard, view, min_class=min_class, cached=False)
        assert fast == slow, (hazard, view, min_class)
        used.add(fast.res)
    assert len(used) >= 3  # several resolutions compared
    assert sum(v.nbytes for v in hexcache._LAYERS.values()) <= max(budget, max(
        (v.nbytes for v in hexcache._LAYERS.values()), default=0))


def test_hex_ids_are_printf_x():
    cells = np.array([0x85283473fffffff, 0x8928308280fffff, 0x1, 0xabc, 0], dtype=np.uint64)
    assert hexcache.hex_ids(cells).tolist() == ["85283473fffffff", "8928308280fffff", "1", "abc", "0"]
    assert hexcache.hex_ids(np.array([], dtype=np.uint64)).tolist() == []
