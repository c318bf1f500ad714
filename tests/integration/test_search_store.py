"""Search on the demo store: real names, pinyin initials, every kind (layers.search_places)."""

from __future__ import annotations

import pytest

from layers import Store, search_places


@pytest.fixture(scope="module")
def store(demo_db):
    s = Store(demo_db)
    yield s
    s.close()


def test_srch009_store_finds_real_names(store):
    assert search_places(store, "唐山")[0]["name"].startswith("唐山")
    assert any(h["name"] == "路南区" for h in search_places(store, "lnq"))
    depot = store.query("SELECT name FROM reserves ORDER BY id LIMIT 1")["name"][0]
    assert search_places(store, depot, kinds=["reserves"])[0]["name"] == depot
