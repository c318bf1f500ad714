"""Fixtures of the unit tests."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from layers.store import Store
from tests.unit.world import STANDARDS, build_world


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> Store:
    """The tiny hand-made store of ``tests/unit/world.py``, read-only."""
    path = tmp_path_factory.mktemp("world") / "world.duckdb"
    build_world(path)
    store = Store(path)
    yield store
    store.close()


@pytest.fixture(scope="session")
def world_with(world, tmp_path_factory):
    """Factory: a copy of the tiny world with ``meta`` entries added and ``sql`` statements run."""
    opened: list[Store] = []

    def make(meta: dict, sql: tuple[str, ...] = ()) -> Store:
        path = tmp_path_factory.mktemp("world_with") / "world.duckdb"
        shutil.copy(world.path, path)
        con = duckdb.connect(str(path))
        con.executemany("INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()])
        for statement in sql:
            con.execute(statement)
        con.close()
        opened.append(Store(path))
        return opened[-1]

    yield make
    for store in opened:
        store.close()


@pytest.fixture(scope="session")
def world_std(world_with) -> Store:
    """The tiny world with standards (hours, speeds, detours) and chains by hazard."""
    return world_with({"standards": STANDARDS, "chains_by_hazard": {
        "earthquake": ["rescue", "comms", "firefighting"], "wildfire": ["medical"]}})
