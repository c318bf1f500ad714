"""A store rebuilt while the server runs (``onemap build`` replaces the file in one step): each
worker reads the new build from its next request on (``mapapp.context.store``) and never answers
with a result kept from the old one (the worker's own results are keyed by the store's edition,
``mapapp.background.edition``, as the disk cache shared by the workers is).

The tiny test region is built, served by the session's app, then rebuilt at the same path with
another flood raster; every answer is compared with the analysis run directly on the store as
it is on disk (an independent read through ``layers``)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import rasterio

from etl.build import build_store
from layers import Store, Viewport, hazard_cells_in_view
from mapapp import analyses, background, context
from mapapp.pages import analysis_callbacks
from tests.integration.conftest import make_region
from tests.integration.dash_requests import post
from tests.integration.test_analyses_app import run_through

GAPS = {"ana-kind": "gaps", "ana-hazard": "flood", "ana-res": 7}
TINY_VIEW = [[39.3, 117.8], [39.9, 118.6]]  # the whole tiny region, with a margin
SPEEDS = "speed_kmh = { national = 70, provincial = 70, municipal = 60, county = 50, rescue = 60, enterprise = 50 }"


@pytest.fixture()
def served(app, tmp_path, monkeypatch):
    """The tiny region built at ``tmp_path/tiny.duckdb`` and served by the session's app (its
    settings, store and edition are put back afterwards); returns (region TOML, store path)."""
    region = make_region(tmp_path / "region", raster_rows=60)
    # a speed for every reserve tier (the gaps analysis needs them; the tiny region has one)
    region.write_text(region.read_text(encoding="utf-8").replace("speed_kmh = { county = 50 }", SPEEDS),
                      encoding="utf-8")
    db = tmp_path / "tiny.duckdb"
    build_store(region, db, cache_dir=tmp_path / "cache")
    ext = app.server.extensions["onemap"]
    for key in ("store", "edition"):
        monkeypatch.setitem(ext, key, ext[key])  # put back after the test, whatever it switched to
    monkeypatch.setitem(ext, "settings", dataclasses.replace(ext["settings"], db_path=str(db),
                                                             jobs_dir=str(tmp_path / "jobs"), job_memory_mb=0))
    analysis_callbacks._CACHE.clear()
    yield region, db
    analysis_callbacks._CACHE.clear()


def _rebuild(region, db, cache, scale: float) -> None:
    """Scale the flood depths of the region's raster and build the store again at ``db``."""
    with rasterio.open(region.parent / "flood.tif", "r+") as src:
        depth = src.read(1)
        src.write(np.where(depth == src.nodata, depth, depth * scale).astype(depth.dtype), 1)
    build_store(region, db, cache_dir=cache)


def _direct(db, lang: str = "zh") -> dict:
    """The gaps analysis on the store as it is on disk, outside the app (the oracle)."""
    store = Store(db)
    try:
        view = analyses.run(store, analyses.Params.from_controls(
            {"kind": "gaps", "hazard": "flood", "res": 7}), lang)
    finally:
        store.close()
    return {"cells": list(view.hexes["cells"]), "cls": [int(c) for c in view.hexes["cls"]]}


def _hexes(app, client) -> dict:
    """The flood hexagons the map is sent for the whole tiny region."""
    r = post(client, app, '"type":"map-hex"}.data', [TINY_VIEW, 10, ["flood"], 1], [{"lang": "zh"}],
             match={"layer": "flood"}, changed=3)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return next(v["data"] for k, v in r.get_json()["response"].items() if "map-hex" in k)


def _direct_hexes(db) -> dict:
    store = Store(db)
    try:
        return json.loads(json.dumps(hazard_cells_in_view(store, "flood", Viewport.parse(TINY_VIEW, 10),
                                                          min_class=1).to_dict()))
    finally:
        store.close()


def _served(app, client) -> dict:
    status, body = run_through(app, client, GAPS)
    assert status == 200, body
    hexes = body["response"]["ana-hex"]["data"]
    return {"cells": hexes["cells"], "cls": hexes["cls"]}


def test_a_rebuilt_store_is_read_afresh_and_no_kept_result_of_the_old_one_is_served(app, served, tmp_path):
    region, db = served
    client = app.server.test_client()
    before, hexes = _served(app, client), _hexes(app, client)
    assert before == _direct(db) and before["cells"]
    assert hexes["cells"] == _direct_hexes(db)["cells"] and hexes["cells"]
    with app.server.test_request_context("/"):
        first = context.store().meta["build_id"]
    _rebuild(region, db, tmp_path / "cache", 3.0)  # deeper water: more cells at risk, higher classes
    after = _served(app, client)  # the same parameters, asked again of the same worker
    assert after == _direct(db)
    assert after != before  # the rebuild changed the answer: the comparison above can fail
    now_hexes, direct = _hexes(app, client), _direct_hexes(db)  # the map layer (kept per build in memory)
    assert (now_hexes["cells"], now_hexes["cls"]) == (direct["cells"], direct["cls"])
    assert (now_hexes["cells"], now_hexes["cls"]) != (hexes["cells"], hexes["cls"])
    with app.server.test_request_context("/"):
        assert context.store().meta["build_id"] != first
        now = context.store().meta["build_id"]
    # the offline basemap's URLs name the build: browsers keep them a day, not past a rebuild
    page = json.dumps(post(client, app, "_pages_content.children", ["/", "?lang=zh"]).get_json(), ensure_ascii=False)
    assert f"/basemap/boundaries/county.geojson?build={now}" in page and first not in page


def test_the_kept_results_are_keyed_by_the_stores_edition(app, served, tmp_path):
    """The worker's own kept results carry ``background.edition`` in their keys, as the disk
    cache's do: a rebuild (a new edition) finds none of them."""
    region, db = served
    client = app.server.test_client()
    _served(app, client)
    settings = app.server.extensions["onemap"]["settings"]
    old = background.edition(settings)
    assert list(analysis_callbacks._CACHE) and all(k.startswith(f"{old}|") for k in analysis_callbacks._CACHE)
    _rebuild(region, db, tmp_path / "cache", 0.5)
    new = background.edition(settings)
    assert new != old
    p = analyses.Params.from_controls({"kind": "gaps", "hazard": "flood", "res": 7})
    with app.server.test_request_context("/"):
        assert analysis_callbacks._recent(p, "zh") is None  # nothing of the old edition is recalled
    _served(app, client)
    assert any(k.startswith(f"{new}|") for k in analysis_callbacks._CACHE)


def test_a_store_that_cannot_be_opened_leaves_the_old_one_in_service(app, served, tmp_path):
    """A file of another schema version put in the store's place: the worker keeps serving the
    store it has (and logs why) instead of failing every request."""
    import duckdb  # noqa: PLC0415

    _, db = served
    client = app.server.test_client()
    before = _served(app, client)
    analysis_callbacks._CACHE.clear()
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('schema_version', '0')")
    con.close()
    other.replace(db)  # the replaced file stays readable for the worker that has it open
    assert _served(app, client) == before
    with app.server.test_request_context("/"):
        assert context.store().meta["schema_version"] != 0
