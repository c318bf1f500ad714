"""The analyses panel without a browser: every analysis through ``mapapp.analyses.run`` on the
demo store (map data consistent with the table), and the run / download callbacks through
Dash's HTTP endpoint."""

from __future__ import annotations

import base64
import io

import h3
import openpyxl
import pytest

from layers import Store
from mapapp import analyses

PARAMS = {
    "gaps": {"hazard": "flood", "res": 6},
    "chains": {"hazard": "flood", "res": 6, "hours": 1.0},
    "e2sfca": {"res": 6},
    "coordination": {"hazard": "any", "res": 6, "tier": "national"},
    "site": {"hazard": "flood", "res": 6, "site_kind": "depot", "top": 15},
    "siting": {"hazard": "flood", "res": 6, "hours": 1.0, "k": 3},
    "dispatch": {"hazard": "flood", "event": "quake", "lon": 118.18, "lat": 39.63, "magnitude": 6.5, "res": 7},
    "index": {"res": 6, "weights": "flood=2, earthquake=1, wildfire=1"},
    "supply": {"hazard": "flood", "min_class": 3},
    "match": {"lon": 116.85, "lat": 38.3, "material": "排涝泵", "quantity": 200, "hours": 12},
}


@pytest.fixture(scope="module")
def store(demo_db):
    s = Store(demo_db)
    yield s
    s.close()


@pytest.mark.parametrize("kind", analyses.NAMES)
def test_every_analysis_gives_map_data_a_summary_and_a_table(store, kind):
    p = analyses.Params.from_controls({"kind": kind, **PARAMS[kind]})
    view = analyses.run(store, p, "zh")
    assert view.name == kind and view.summary and all(isinstance(s, str) and s for s in view.summary)
    assert len(view.table) > 0 and 0 < len(view.shown) <= analyses.ROW_LIMIT
    assert view.method == f"layers/METHODS.md#{kind}"
    drawn = view.hexes is not None and len(view.hexes["cells"]) > 0
    assert drawn or view.choropleth or view.overlay, "nothing to draw"
    if view.hexes:
        cells, cls = view.hexes["cells"], view.hexes["cls"]
        assert len(cells) == len(cls) == len(view.hexes["value"])
        assert all(h3.is_valid_cell(c) for c in cells[:200])
        assert max(cls) < len(view.palette) and len(view.legend) == len(view.palette)
    en = analyses.run(store, p, "en")
    assert en.summary != view.summary  # the summary follows the language


def test_siting_in_the_panel_improves_coverage(store):
    view = analyses.run(store, analyses.Params.from_controls({"kind": "siting", **PARAMS["siting"]}), "en")
    assert len(view.table) == 3 and len(view.overlay["features"]) == 3
    assert set(view.hexes["cls"]) <= {0, 1, 2} and 1 in view.hexes["cls"]  # some demand newly covered


def test_siting_of_a_material_in_the_panel_equals_the_layers_call(store):
    from layers import stock_siting_from_store  # noqa: PLC0415

    controls = {"kind": "siting", "hazard": "flood", "min_class": 3, "k": 2, "material": "帐篷", "quantity": 20000}
    view = analyses.run(store, analyses.Params.from_controls(controls), "zh")
    sites, summ, _ = stock_siting_from_store(store, "帐篷", 2, capacity=20000, min_class=3)
    assert view.method == "layers/METHODS.md#stock-siting" and len(view.overlay["features"]) == len(sites) == 2
    assert f"{summ['fill_before']:.1%} → {summ['fill_after']:.1%}" in view.summary[0]
    assert summ["fill_after"] > summ["fill_before"] and view.choropleth["features"]


def test_dispatch_in_the_panel_says_what_the_event_needs(store):
    view = analyses.run(store, analyses.Params.from_controls({"kind": "dispatch", **PARAMS["dispatch"]}), "zh")
    line = [s for s in view.summary if s.startswith("物资需求（本事件）")]
    assert len(line) == 1 and "24 小时内" in line[0]


@pytest.mark.parametrize(("controls", "message"), [
    ({"kind": "siting", "k": "0"}, "k: found '0'"),
    ({"kind": "gaps", "hazard": "tsunami"}, "hazard: found 'tsunami'"),
    ({"kind": "index", "weights": "flood=abc"}, "weights: found 'flood=abc'"),
    ({"kind": "site", "lon": "500", "lat": "39"}, "lon: found '500'"),
    ({"kind": "dispatch", "event": "point"}, "lon, lat: found none"),
    ({"kind": "nope"}, "kind: found 'nope'"),
])
def test_bad_panel_parameters_are_named(store, controls, message):
    with pytest.raises(ValueError, match=message):
        analyses.run(store, analyses.Params.from_controls(controls), "en")


@pytest.fixture()
def client(app):
    return app.server.test_client()


STATES = ("ana-kind", "ana-hazard", "ana-res", "ana-minclass", "ana-hours", "ana-tier", "ana-k", "ana-sitekind",
          "ana-top", "ana-weights", "ana-event", "ana-lon", "ana-lat", "ana-radius", "ana-magnitude")
OUTPUTS = [("ana-result", "children"), ("ana-hex", "data"), ("ana-choropleth", "data"),
           ("ana-choropleth", "hideout"), ("ana-overlay", "data"), ("ana-params", "data"),
           ("map-leaflet", "viewport"), ("ana-legend", "data")]


def _run(app, client, values: dict, lang: str = "zh", matrix: dict | None = None):
    """POST the run callback as the renderer does (the matrix dropdowns are an ALL pattern)."""
    r = post_run(app, client, values, lang, matrix)
    return r.status_code, r.get_json() if r.is_json else r.get_data(as_text=True)


def run_key(app) -> str:
    """The key of the run callback (``run_heavy`` writes the same outputs but not ``ana-job``)."""
    return next(k for k in app.callback_map if k.startswith("..ana-result.children") and "ana-job.data" in k)


def heavy_key(app) -> str:
    return next(k for k in app.callback_map if k.startswith("..ana-result.children") and "ana-job.data" not in k)


def post_heavy(client, app, job, *, query: str = "", **kw):
    """POST ``run_heavy`` (the background callback) with the job ``run_analysis`` handed it."""
    return client.post(f"/_dash-update-component{query}", json={
        "output": heavy_key(app), "outputs": [{"id": i, "property": p} for i, p in OUTPUTS],
        "inputs": [{"id": "ana-job", "property": "data", "value": job}],
        "changedPropIds": ["ana-job.data"]}, **kw)


def finish_heavy(client, app, job, *, seconds: float = 300, **kw):
    """Start ``run_heavy`` and poll it as the renderer does until it answers: (the started job's
    handles, the final response JSON)."""
    import time  # noqa: PLC0415
    from urllib.parse import urlencode  # noqa: PLC0415

    started = post_heavy(client, app, job, **kw).get_json()
    assert set(started) >= {"cacheKey", "job"}, started
    query = "?" + urlencode({"cacheKey": started["cacheKey"], "job": started["job"]})
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        r = post_heavy(client, app, job, query=query, **kw)
        assert r.status_code in (200, 204), r.get_data(as_text=True)[:300]
        body = r.get_json(silent=True) or {}
        if "response" in body:
            return started, body
        time.sleep(0.3)
    raise AssertionError("run_heavy did not answer")


def run_through(app, client, values: dict, lang: str = "zh", **kw):
    """The run callback's answer, and for a heavy run the background callback's: (status, body)."""
    r = post_run(app, client, values, lang, **kw)
    body = r.get_json() if r.is_json else r.get_data(as_text=True)
    job = body["response"].get("ana-job", {}).get("data") if r.status_code == 200 else None
    if not job:
        return r.status_code, body
    return 200, finish_heavy(client, app, job, **kw)[1]


def post_run(app, client, values: dict, lang: str = "zh", matrix: dict | None = None, **kw):
    """The run callback's response (``kw`` go to ``client.post``)."""
    state = [{"id": i, "property": "value", "value": values.get(i)} for i in STATES]
    state += [{"id": "ana-polygon", "property": "data", "value": values.get("ana-polygon")},
              {"id": "map-unit-code", "property": "data", "value": values.get("unit")}]
    state += [{"id": i, "property": "value", "value": values.get(i)} for i in ("ana-exclude", "ana-bands", "ana-access",
                                                                                    "ana-material", "ana-quantity",
                                                                                    "ana-spacing")]
    matrix = matrix or {}
    state += [[{"id": {"type": "ana-matrix", "hazard": h}, "property": "value", "value": v} for h, v in matrix.items()],
              [{"id": {"type": "ana-matrix", "hazard": h}, "property": "id", "value": {"type": "ana-matrix", "hazard": h}}
               for h in matrix]]
    state.append({"id": "map-config", "property": "data", "value": {"lang": lang}})
    key = run_key(app)
    return client.post("/_dash-update-component", json={
        "output": key, "outputs": [{"id": i, "property": p} for i, p in (*OUTPUTS, ("ana-job", "data"))],
        "inputs": [{"id": "ana-run", "property": "n_clicks", "value": 1},
                   {"id": "ana-go", "property": "data", "value": None},
                   {"id": "ana-clear", "property": "n_clicks", "value": None}],
        "state": state, "changedPropIds": ["ana-run.n_clicks"]}, **kw)


def test_run_and_download_through_the_callbacks(app, client):
    status, body = _run(app, client, {"ana-kind": "gaps", "ana-hazard": "flood", "ana-res": 6, "unit": "130900"})
    assert status == 200, body
    out = body["response"]
    hexes = out["ana-hex"]["data"]
    assert hexes["cells"] and hexes["palette"]
    assert all(h3.cell_to_parent(c, 5) for c in hexes["cells"])  # real cells
    assert "洪水" in str(out["ana-result"]["children"])  # the summary, in Chinese
    params = out["ana-params"]["data"]
    assert params["kind"] == "gaps" and params["unit"] == "130900"
    assert "map-leaflet" not in out  # a region-wide analysis leaves the view alone
    buttons = [{"id": {"type": "ana-dl", "fmt": f}, "property": "n_clicks", "value": 1 if f == "xlsx" else None}
               for f in ("csv", "xlsx", "geojson")]
    r = client.post("/_dash-update-component", json={
        "output": "ana-download.data", "outputs": {"id": "ana-download", "property": "data"},
        "inputs": [buttons], "state": [{"id": "ana-params", "property": "data", "value": params},
                                       {"id": "map-config", "property": "data", "value": {"lang": "zh"}}],
        "changedPropIds": ['{"fmt":"xlsx","type":"ana-dl"}.n_clicks']})
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    data = r.get_json()["response"]["ana-download"]["data"]
    assert data["filename"] == "onemap_gaps.xlsx"
    wb = openpyxl.load_workbook(io.BytesIO(base64.b64decode(data["content"])), read_only=True)
    assert wb.sheetnames == ["gaps", "about", "内部资料"]
    rows = list(wb["gaps"].iter_rows(values_only=True))
    assert rows[0][:2] == ("level", "adcode") and all(str(r[1]).startswith("1309") for r in rows[1:])


def test_a_bad_parameter_is_shown_in_the_users_language(app, client):
    status, body = _run(app, client, {"ana-kind": "siting", "ana-k": 0, "ana-hazard": "flood"}, lang="en")
    assert status == 200
    text = str(body["response"]["ana-result"]["children"])
    assert "Invalid input" in text and "k: found" in text
    assert body["response"]["ana-hex"]["data"]["cells"] == []


def test_an_event_moves_the_map_to_it(app, client):
    status, body = _run(app, client, {"ana-kind": "dispatch", "ana-event": "point", "ana-lon": 117.33, "ana-lat": 38.37,
                                      "ana-radius": 15, "ana-hazard": "flood"})
    assert status == 200, body
    (south, west), (north, east) = body["response"]["map-leaflet"]["viewport"]["bounds"]
    assert south < 38.37 < north and west < 117.33 < east and north - south < 1
    lines = [f for f in body["response"]["ana-overlay"]["data"]["features"] if f["geometry"]["type"] == "LineString"]
    assert lines and all(f["geometry"]["coordinates"][-1] == pytest.approx([117.33, 38.37], abs=0.05) for f in lines)


def test_the_edited_matrix_drives_the_chains_analysis(app, client):
    values = {"ana-kind": "chains", "ana-hazard": "flood", "ana-res": 6, "ana-hours": 1}
    status, body = _run(app, client, values, matrix={"flood": ["transport"], "earthquake": ["rescue"]})
    assert status == 200, body
    chains = body["response"]["ana-params"]["data"]["matrix"]
    assert chains == {"flood": ["transport"], "earthquake": ["rescue"]}
    text = str(body["response"]["ana-result"]["children"])
    assert "特种交通装备" in text and "无人救援装备" not in text  # only the chain kept for flood


def test_travel_parameters_typed_in_the_panel_reach_the_analysis(app, client):
    base = {"ana-kind": "gaps", "ana-hazard": "flood", "ana-res": 6, "unit": "130900"}
    _, fast = _run(app, client, base, lang="en")
    _, slow = _run(app, client, {**base, "ana-access": "speed.county=5, delay=1"}, lang="en")
    text_fast, text_slow = (str(b["response"]["ana-result"]["children"]) for b in (fast, slow))
    assert "gap against the county 6 h standard 0 km²" in text_fast
    assert "gap against the county 6 h standard 0 km²" not in text_slow and "Longest arrival" in text_slow
    _, bad = _run(app, client, {**base, "ana-access": "speed=40"}, lang="en")
    assert "Access setting 'speed' not recognised" in str(bad["response"]["ana-result"]["children"])
    # in Chinese words, as the placeholder shows them: the same analysis as the English codes
    _, slow_zh = _run(app, client, {**base, "ana-access": "县级车速=5，准备时间=1"})
    _, slow_codes = _run(app, client, {**base, "ana-access": "speed.county=5, delay=1"})
    assert str(slow_zh["response"]["ana-result"]["children"]) == str(slow_codes["response"]["ana-result"]["children"])
    _, bad = _run(app, client, {**base, "ana-access": "速度=40"})
    text = str(bad["response"]["ana-result"]["children"])
    assert "通行参数“速度”无法识别" in text and "县级车速=40" in text


def test_site_weights_and_exclusions_typed_as_hazard_names(app, client):
    """权重 and 硬性排除 take the hazards' Chinese names (洪水=2) as well as their codes."""
    base = {"ana-kind": "site", "ana-hazard": "flood", "ana-res": 6, "unit": "130200", "ana-top": 5}
    _, names = _run(app, client, {**base, "ana-weights": "洪水=2，地震=1", "ana-exclude": "洪水=4"})
    _, codes = _run(app, client, {**base, "ana-weights": "flood=2, earthquake=1", "ana-exclude": "flood=4"})
    assert str(names["response"]["ana-result"]["children"]) == str(codes["response"]["ana-result"]["children"])
