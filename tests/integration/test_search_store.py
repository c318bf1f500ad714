"""Search on the demo store: real names, pinyin initials, every kind (layers.search_places)."""

from __future__ import annotations

from layers import search_places


def test_srch009_store_finds_real_names(demo_store):
    assert search_places(demo_store, "唐山")[0]["name"].startswith("唐山")
    assert any(h["name"] == "路南区" for h in search_places(demo_store, "lnq"))
    depot = demo_store.query("SELECT name FROM reserves ORDER BY id LIMIT 1")["name"][0]
    assert search_places(demo_store, depot, kinds=["reserves"])[0]["name"] == depot
