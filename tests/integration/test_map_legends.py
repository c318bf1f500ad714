"""Every layer an analysis draws has a legend entry (mapapp.map_legend), for each analysis
kind and each hazard of the demo store: the hexagon classes drawn, the choropleth classes
drawn and every kind of overlay mark each have a row; the floating legend gets the same blocks.
The oracle is the drawn data itself (classes, feature kinds), read independently of the legend."""

from __future__ import annotations

import re

import pytest

from layers import Store, hazard_layers
from mapapp import analyses, map_legend
from tests.integration.test_analyses_app import PARAMS

#: Kinds whose result depends on the hazard chosen (the others draw the same for every hazard).
BY_HAZARD = ("gaps", "chains", "site", "siting", "dispatch", "supply", "coordination")
#: ASCII words a Chinese legend may show: units and method acronyms (as tests/browser/test_map_first.py).
ALLOWED_ASCII = {"km", "m", "h", "g", "PGA", "E2SFCA", "MILP", "HiGHS", "H3"}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
UNIT = "130600"  # 保定: a city keeps the 60 runs short


@pytest.fixture(scope="module")
def store(demo_db):
    s = Store(demo_db)
    yield s
    s.close()


def _hazards(demo_db) -> list[str]:
    s = Store(demo_db)
    try:
        return [h["hazard"] for h in hazard_layers(s)]
    finally:
        s.close()


def _mark(feature: dict) -> str:
    """What the map draws for an overlay feature (independent of map_legend's wording)."""
    geom, props = feature["geometry"]["type"], feature.get("properties") or {}
    if geom == "LineString":
        return {True: "#1a9850", False: "#d73027"}.get(props.get("meets_standard"), "#7b3294")
    if geom in ("Polygon", "MultiPolygon"):
        return "area"
    return {"site": "site", "event": "event", "epicentre": "event", "reserve": "reserve"}.get(props.get("kind"),
                                                                                             "enterprise")


def test_leg001_every_drawn_layer_has_a_legend(store, demo_db):
    hazards = _hazards(demo_db)
    assert len(hazards) >= 3
    checked = 0
    for kind in analyses.NAMES:
        for hazard in hazards if kind in BY_HAZARD else [None]:
            params = dict(PARAMS[kind], unit=UNIT if kind not in ("dispatch", "match", "chains") else None)
            if hazard is not None and "hazard" in params:
                params["hazard"] = hazard
            params["kind"] = kind
            try:
                view = analyses.run(store, analyses.Params.from_controls(params), "zh")
            except (ValueError, LookupError) as exc:  # e.g. a hazard the analysis cannot use: said in words
                assert str(exc), (kind, hazard)
                continue
            blocks = {b["layer"]: b for b in map_legend.analysis_blocks(view, "zh")}
            where = f"{kind}/{hazard}"
            if view.hexes and view.hexes["cells"]:
                rows = blocks["ana-hex-layer"]["rows"]
                assert max(view.hexes["cls"]) < len(rows), where
                assert [r["colour"] for r in rows] == view.palette[:len(rows)], where
            else:
                assert "ana-hex-layer" not in blocks, where
            if view.choropleth and view.choropleth["features"]:
                rows = blocks["ana-choropleth"]["rows"]
                assert max(f["properties"]["c"] for f in view.choropleth["features"]) < len(rows), where
                assert map_legend.choropleth_palette(view) == [r["colour"] for r in rows], where
            if view.overlay and view.overlay["features"]:
                rows = blocks["ana-overlay"]["rows"]
                colours = {r["colour"] for r in rows}
                for f in view.overlay["features"]:
                    mark = _mark(f)
                    assert (mark if mark.startswith("#") else map_legend.OVERLAY_COLOURS[mark]) in colours, (where, f)
            for b in blocks.values():
                assert b["title"] and all(r["text"] for r in b["rows"]), where
                words = set(WORD.findall(b["title"] + " ".join(r["text"] for r in b["rows"])))
                assert words <= ALLOWED_ASCII, (where, words - ALLOWED_ASCII)
            checked += 1
    assert checked >= len(analyses.NAMES) + 3 * (len(hazards) - 1)


def test_leg002_gap_choropleth_legend_is_rounded_shares(store):
    view = analyses.run(store, analyses.Params.from_controls({"kind": "gaps", "hazard": "flood", "res": 6}), "zh")
    rows = [text for _, text in view.choro_legend]
    assert rows == ["无缺口", "< 10%", "10% – 30%", "30% – 60%", "≥ 60%"]
    assert view.choro_title == "县缺口面积占比（风险区内）"


def test_leg003_siting_new_coverage_is_not_a_hazard_colour(store):
    from layers import HAZARD_PALETTES  # noqa: PLC0415

    view = analyses.run(store, analyses.Params.from_controls({"kind": "siting", **PARAMS["siting"]}), "zh")
    new = view.palette[1]
    assert new not in {c for pal in HAZARD_PALETTES.values() for c in pal}
    r, g, b = (int(new[i:i + 2], 16) for i in (1, 3, 5))
    assert r > b  # magenta-red, not a blue of flood or a purple of earthquake


def test_leg004_later_hazards_are_outlined():
    assert map_legend.hazard_draw_modes(["flood", "earthquake", "wildfire"]) == {
        "flood": "fill", "earthquake": "outline", "wildfire": "outline"}
    assert map_legend.hazard_draw_modes([]) == {}
