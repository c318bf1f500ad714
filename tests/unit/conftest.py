"""Fixtures of the unit tests."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from layers.store import Store
from tests.unit.world import build_world


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> Store:
    """The tiny hand-made store of ``tests/unit/world.py``, read-only."""
    path = tmp_path_factory.mktemp("world") / "world.duckdb"
    build_world(path)
    store = Store(path)
    yield store
    store.close()


@pytest.fixture(scope="session")
def world_std(world, tmp_path_factory) -> Store:
    """The tiny world with standards (hours, speeds, detours) and chains by hazard."""
    path = tmp_path_factory.mktemp("world_std") / "world.duckdb"
    shutil.copy(world.path, path)
    con = duckdb.connect(str(path))
    meta = {"standards": {"hours_by_tier": {"county": 6, "municipal": 8, "national": 10},
                          "detour": {"plain": 1.3}, "dispatch_delay_h": 0.5,
                          "speed_kmh": {"national": 70, "municipal": 60, "county": 50, "enterprise": 40}},
            "chains_by_hazard": {"earthquake": ["rescue", "comms", "firefighting"], "wildfire": ["medical"]}}
    con.executemany("INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()])
    con.close()
    store = Store(path)
    yield store
    store.close()
