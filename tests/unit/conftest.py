"""Fixtures of the unit tests."""

from __future__ import annotations

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
