"""Zones, events and lines from the region file, end to end: validate, build, store, card, legend."""

from __future__ import annotations

import json

import h3
from click.testing import CliRunner

from etl.cli import main
from layers.store import Store

EXTRA = """
[hazards.quakes]
kind = "events"
path = "quakes.csv"
crs = "WGS84"
statistic = "max_magnitude"
units = "M"
breaks = [5.0, 6.0]
description = "合成：测试地震目录 / synthetic test catalogue"
synthetic = true

[hazards.fault]
kind = "lines"
path = "fault.geojson"
crs = "WGS84"
breaks = [2.0, 5.0, 10.0]
description = "真实：测试断层 / real: test fault"

[hazards.zoning]
kind = "zones"
path = "zoning.geojson"
field = "等级"
values = { "高" = 3, "中" = 2, "低" = 1 }
units = "级"
breaks = [2, 3]
"""


def _run(*args: str, lang: str = "en"):
    return CliRunner().invoke(main, ["--lang", lang, *args], catch_exceptions=False)


def _add_vector_layers(toml):
    root = toml.parent
    (root / "quakes.csv").write_text(
        "year,month,day,lat,lon,mag\n1976,7,28,39.62,118.10,7.5\n1900,0,0,39.65,118.30,5.2\n"
        "1990,1,1,,,4.0\n1991,1,1,39.60,118.20,11\n", encoding="utf-8")
    line = {"type": "Feature", "properties": {}, "geometry": {"type": "LineString",
                                                              "coordinates": [[118.05, 39.52], [118.35, 39.68]]}}
    (root / "fault.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [line]}), encoding="utf-8")
    zones = [{"type": "Feature", "properties": {"等级": g}, "geometry": {"type": "Polygon", "coordinates": [ring]}}
             for g, ring in [("高", [[118.0, 39.5], [118.2, 39.5], [118.2, 39.6], [118.0, 39.6], [118.0, 39.5]]),
                             ("低", [[118.1, 39.55], [118.4, 39.55], [118.4, 39.7], [118.1, 39.7], [118.1, 39.55]])]]
    (root / "zoning.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": zones},
                                                    ensure_ascii=False), encoding="utf-8")
    text = toml.read_text(encoding="utf-8").replace("\n[chains]\n", EXTRA + "\n[chains]\n")
    toml.write_text(text.replace('flood = ["rescue", "unmanned"]', 'flood = ["rescue", "unmanned"]\nfault = ["rescue"]'),
                    encoding="utf-8")


def test_vector_layers_build_and_show(tiny_region, tmp_path):
    _add_vector_layers(tiny_region)
    val = _run("validate", str(tiny_region))
    assert val.exit_code == 1  # the two bad catalogue rows are reported, as build rejects them
    assert "row 4" in val.output and "row 5" in val.output and "11" in val.output
    db = tmp_path / "v.duckdb"
    res = _run("build", str(tiny_region), "--db", str(db), "--cache", str(tmp_path / "c"))
    assert res.exit_code == 0, res.output
    assert "hazard:quakes: 4 → 2 (rejected 2" in res.output
    store = Store(db)
    try:
        meta = store.meta["hazard_vector"]
        assert {k: v["kind"] for k, v in meta.items()} == {"quakes": "events", "fault": "lines", "zoning": "zones"}
        assert meta["fault"]["lower_is_worse"] and "great-circle" in meta["fault"]["method"]
        rej = store.query("SELECT source, row_number, reason_code FROM rejects WHERE source LIKE 'hazard:%' "
                          "ORDER BY row_number")
        assert rej.values.tolist() == [["hazard:quakes", 4, "event_no_position"], ["hazard:quakes", 5, "event_bad_value"]]
        q = store.query("SELECT res, count, max FROM hazard_cells WHERE hazard = 'quakes' ORDER BY res, max")
        assert set(q.groupby("res")["count"].sum()) == {2} and q["max"].max() == 7.5
        # cells outside every zone have no zoning row; inside the overlap the higher class holds
        z = store.query("SELECT cell, class FROM hazard_cells WHERE hazard = 'zoning' AND res = 8")
        both = h3.str_to_int(h3.latlng_to_cell(39.575, 118.15, 8))
        outside = h3.str_to_int(h3.latlng_to_cell(39.68, 118.02, 8))
        cls = dict(zip(z["cell"].astype("uint64").tolist(), z["class"].tolist()))
        assert cls[both] == 2 and outside not in cls
        from layers import cell_card, hazard_layers  # noqa: PLC0415
        from mapapp.components import cell_card as card_div  # noqa: PLC0415
        from mapapp.components import hazard_legend  # noqa: PLC0415

        layers = {h["hazard"]: h for h in hazard_layers(store)}
        assert layers["fault"]["kind"] == "lines" and layers["fault"]["labels"][0] == "≥10 km"
        card = cell_card(store, 39.60, 118.20, 8)
        fault = next(h for h in card["hazards"] if h["hazard"] == "fault")
        assert fault["lower_is_worse"] and fault["max"] < 2 and fault["cls"] == 3
        zh = str(card_div(card, "zh"))
        assert "<2：100%" in zh and "真实数据：测试断层" in zh
        assert "Real data: test fault" in str(hazard_legend(layers["fault"], "en"))
        assert "合成数据" in str(hazard_legend(layers["quakes"], "zh"))
    finally:
        store.close()


def test_vector_layers_stream_into_staging_and_a_failure_keeps_the_previous_store(tiny_region, tmp_path, monkeypatch):
    """The vector layers are appended chunk by chunk (small chunks here): the store equals the
    one built in one chunk per layer; a failure after some chunks were written leaves the
    previous store byte for byte and no staging file."""
    import hashlib  # noqa: PLC0415

    import etl.vector_hazards as vh  # noqa: PLC0415
    from etl.build import build_store  # noqa: PLC0415

    _add_vector_layers(tiny_region)
    real = vh.iter_vector_to_h3
    sizes: list[int] = []

    def small_chunks(*a, **kw):
        chunks, info = real(*a, **{**kw, "chunk_cells": 7})

        def seen():
            for r, df in chunks:
                sizes.append(len(df))
                yield r, df
        return seen(), info

    def rows(db):
        s = Store(db)
        try:
            return s.query("SELECT hazard, res, cell, count, min, max, mean, p90, class, shares, sampled "
                           "FROM hazard_cells WHERE hazard IN ('quakes', 'fault', 'zoning') ORDER BY ALL")
        finally:
            s.close()

    whole, db = tmp_path / "whole.duckdb", tmp_path / "v.duckdb"
    build_store(tiny_region, whole, cache_dir=tmp_path / "c")
    monkeypatch.setattr(vh, "iter_vector_to_h3", small_chunks)
    build_store(tiny_region, db, cache_dir=tmp_path / "c")
    assert len(sizes) > 10 and max(sizes) <= 7 + 7 ** 2  # zones: whole parent partitions per chunk
    a, b = rows(whole), rows(db)
    assert len(a) > 100
    assert a.equals(b)

    before = hashlib.sha256(db.read_bytes()).hexdigest()

    def failing(*a, **kw):
        chunks, info = real(*a, **{**kw, "chunk_cells": 7})

        def broken():
            for i, item in enumerate(chunks):
                if i == 3:
                    raise MemoryError("simulated: out of memory in the middle of a vector layer")
                yield item
        return broken(), info

    monkeypatch.setattr(vh, "iter_vector_to_h3", failing)
    try:
        build_store(tiny_region, db, cache_dir=tmp_path / "c")
        raise AssertionError("the build should have failed")
    except MemoryError:
        pass
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert not [p for p in tmp_path.iterdir() if "staging" in p.name]
