"""What probing a running server with hostile input found (issue 18), each as a request through
Dash's HTTP endpoint: never a 500, never Python's own words, unknown adcodes refused, and the
security headers on every answer."""

from __future__ import annotations

import base64
import json
import math

import pytest

from tests.integration.dash_requests import callback_key, post

PYTHON_WORDS = ("Traceback", "math domain error", "cannot convert float NaN", "invalid literal for int",
                "object has no attribute", "unhashable", "Exception", "Error:")
ZH = {"lang": "zh"}
EN = {"lang": "en"}


@pytest.fixture()
def client(app):
    return app.server.test_client()


def _ok(r, *, allow=(200, 204, 400)):
    """Not a 500; no Python words in the answer; returns the text."""
    text = r.get_data(as_text=True)
    assert r.status_code in allow and r.status_code < 500, (r.status_code, text[:300])
    for words in PYTHON_WORDS:
        assert words not in text, (words, text[:300])
    return text


BOUNDS = [[38.5, 115.5], [40.5, 118.5]]


@pytest.mark.parametrize("value", [1e308, float("inf"), "abc", [1], -1, 2.5])
def test_min_class_out_of_range_is_refused_in_words(app, client, value):
    r = post(client, app, '"type":"map-hex"}.data', [BOUNDS, 8, True, value], [ZH], match={"layer": "flood"},
             changed=3)
    text = _ok(r)
    if r.status_code == 200:
        assert "风险等级阈值" in text and "输入无效" in text  # the control's name in words, not min_class


def test_report_box_unit_as_list_dict_unknown_or_sql(app, client):
    for unit, shown in (([1, 2], "—"), ({"a": 1}, "—"), ("999999", "999999"), ("' OR 1=1 --", "—")):
        r = post(client, app, "map-report-unit.children", [unit], [ZH])
        text = _ok(r)
        if r.status_code == 200:
            assert "没有这个行政区划代码" in text and shown in text and "OR 1=1" not in text
            assert "报告范围" not in text


def test_gaps_in_an_unknown_unit_is_an_error_not_the_whole_region(app, client):
    from tests.integration.test_analyses_app import _run

    status, body = _run(app, client, {"ana-kind": "gaps", "ana-hazard": "flood", "ana-res": 6, "unit": "999999"})
    assert status == 200
    out = body["response"]
    assert "没有这个行政区划代码：999999" in str(out["ana-result"]["children"])
    assert out["ana-hex"]["data"]["cells"] == []


@pytest.mark.parametrize("click", ["a string", 5, [1, 2], {"properties": "x"},
                                   {"properties": {"agg": True}, "geometry": {"coordinates": [math.nan, math.nan]}},
                                   {"properties": {"agg": True}, "geometry": {"coordinates": ["x", 1]}}])
def test_enterprise_click_data_of_any_shape(app, client, click):
    r = client.post("/_dash-update-component", data=json.dumps({
        "output": callback_key(app, "..map-card.children...map-cell.data...map-leaflet.viewport"),
        "outputs": [{"id": "map-card", "property": "children"}, {"id": "map-cell", "property": "data"},
                    {"id": "map-leaflet", "property": "viewport"}],
        "inputs": [{"id": i, "property": "clickData", "value": click if i == "map-points-enterprises" else None}
                   for i in ("map-leaflet", "map-points-parks", "map-points-reserves", "map-points-enterprises")],
        "state": [{"id": "map-leaflet", "property": "zoom", "value": 8},
                  {"id": "map-config", "property": "data", "value": ZH},
                  {"id": "map-chains", "property": "value", "value": None},
                  {"id": "map-flags", "property": "value", "value": None},
                  {"id": "ana-draw", "property": "action", "value": None}],
        "changedPropIds": ["map-points-enterprises.clickData"]}, allow_nan=True), content_type="application/json")
    text = _ok(r)
    assert "null, null" not in text.replace("[null,null]", "null, null")  # never a view centred on nothing
    if r.status_code == 200:
        assert "viewport" not in json.dumps(r.get_json()["response"].get("map-leaflet", {}))


def _upload(raw: bytes) -> str:
    return "data:application/geo+json;base64," + base64.b64encode(raw).decode()


@pytest.mark.parametrize("raw", [b"12345", b'{"coordinates":5}', b"[5]", b"[" * 50_000 + b"]" * 50_000,
                                 b'{"type":"Polygon","coordinates":5}', b'{"type":"Polygon","coordinates":[[1,2]]}',
                                 b'{"type":"Polygon","coordinates":[[[500,0],[501,1],[500,1],[500,0]]]}',
                                 b"\xff\xfe not utf-8"])
def test_bad_uploads_are_named_in_the_users_language(app, client, raw):
    if len(raw) > 150_000:  # the 50k-deep JSON: under the 256 kB body limit once base64 encoded
        assert len(_upload(raw)) < 256 * 1024
    r = post(client, app, "ana-polygon-status.children", [_upload(raw), None], ["evil.geojson", ZH])
    text = _ok(r)
    assert r.status_code == 200 and "evil.geojson" in text and "输入无效" in text


@pytest.mark.parametrize("drawn", ["x", [1], {"features": "x"}, {"features": [5, {"geometry": 7}]},
                                   {"features": [{"geometry": {"type": "Polygon", "coordinates": "x"}}]}])
def test_malformed_drawn_geojson(app, client, drawn):
    r = post(client, app, "ana-polygon-status.children", [None, drawn], [None, EN], changed=1)
    _ok(r)


@pytest.mark.parametrize("params", ["x", [1], {"kind": "gaps", "res": "1e308"}, {"kind": "nope"},
                                    {"kind": "gaps", "unit": ["x"]}, {"kind": "gaps", "matrix": "x"}])
def test_download_with_tampered_parameters(app, client, params):
    buttons = [{"id": {"type": "ana-dl", "fmt": f}, "property": "n_clicks", "value": 1 if f == "csv" else None}
               for f in ("csv", "xlsx", "geojson")]
    r = client.post("/_dash-update-component", json={
        "output": "ana-download.data", "outputs": {"id": "ana-download", "property": "data"},
        "inputs": [buttons], "state": [{"id": "ana-params", "property": "data", "value": params},
                                       {"id": "map-config", "property": "data", "value": EN}],
        "changedPropIds": ['{"fmt":"csv","type":"ana-dl"}.n_clicks']})
    text = _ok(r, allow=(400,))
    assert "invalid" in text.lower()  # the user's language (English here)


@pytest.mark.parametrize("body", [[1, 2], "x", 5, {"output": 5}, {"output": "map-unit.children", "inputs": 5},
                                  {"output": "nope.children", "outputs": {}, "inputs": []}])
def test_odd_request_bodies(client, body):
    _ok(client.post("/_dash-update-component", json=body), allow=(400, 204))


def test_pages_location_search_as_an_integer(app, client):
    r = post(client, app, "_pages_content.children", ["/", 5])
    _ok(r, allow=(400,))


def test_a_400_speaks_the_users_language(client):
    r = client.post("/_dash-update-component", json=[1])
    assert r.status_code == 400 and "请求无效" in r.get_json()["error"]
    assert "invalid" in client.post("/_dash-update-component?lang=en", json=[1]).get_json()["error"]


def test_python_words_never_reach_users():
    from mapapp.errors import user_message

    for exc in (ValueError("math domain error"), ValueError("cannot convert float NaN to integer"),
                ValueError("invalid literal for int() with base 10: 'x'"), KeyError("x"), IndexError("list index")):
        for lang, word in (("zh", "输入无效"), ("en", "Invalid input")):
            text = user_message(exc, lang)
            assert word in text and str(exc).strip("'") not in text
    assert "k: found '0'" in user_message(ValueError("k: found '0'; expected 1..50"), "en")


@pytest.mark.parametrize("path", ["/", "/_dash-layout", "/basemap/boundaries/province.geojson", "/nope"])
def test_security_headers_on_every_answer(client, path):
    r = client.get(path)
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'self'" in csp and "object-src 'none'" in csp
    assert "unsafe-eval" not in csp and "script-src 'self' 'sha256-" in csp
    assert "tianditu" not in csp  # no key configured: the host is not allowed
    assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert r.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(("values", "fits"), [
    ({"ana-kind": "siting", "ana-res": 9, "ana-hazard": "earthquake", "ana-minclass": 1}, "第 7 级"),
    ({"ana-kind": "gaps", "ana-res": 9, "ana-hazard": "flood"}, "第 8 级"),
    ({"ana-kind": "site", "ana-res": 9, "ana-top": 500, "ana-hazard": "flood"}, "第 8 级"),
])
def test_heavy_runs_are_refused_before_they_start(app, client, values, fits):
    """优化选址 at res 9 with no unit grew a worker to 24 GB; now a refusal naming what fits."""
    from tests.integration.test_analyses_app import _run

    status, body = _run(app, client, values)  # before the fix: MemoryError / a worker killed
    text = str(body["response"]["ana-result"]["children"])
    assert status == 200 and "分析范围过大" in text and fits in text and "第 9 级" in text
    assert body["response"]["ana-hex"]["data"]["cells"] == []


def test_heavy_runs_go_to_a_limited_child_and_a_failing_one_leaves_the_worker(app, client, monkeypatch, tmp_path):
    """Above a tenth of the budget a run goes to a background job whose child process has the
    memory and time limits (mapapp.background, mapapp.jobs): the same answer as in the worker;
    with too little memory allowed, a message instead of a dead worker."""
    import dataclasses

    from mapapp.pages import analysis_callbacks
    from tests.integration.test_analyses_app import run_through

    ext = app.server.extensions["onemap"]
    values = {"ana-kind": "gaps", "ana-hazard": "flood", "ana-res": 6, "ana-hours": 5}
    base = dataclasses.replace(ext["settings"], jobs_dir=str(tmp_path / "jobs"))
    monkeypatch.setitem(ext, "settings", dataclasses.replace(base, job_memory_mb=0))
    analysis_callbacks._CACHE.clear()
    _, direct = run_through(app, client, values)
    analysis_callbacks._CACHE.clear()
    monkeypatch.setitem(ext, "settings", dataclasses.replace(base, job_memory_mb=4096, budget_cells=20_000))
    _, child = run_through(app, client, values)
    assert child["response"]["ana-result"] == direct["response"]["ana-result"]
    assert child["response"]["ana-hex"] == direct["response"]["ana-hex"]
    analysis_callbacks._CACHE.clear()
    monkeypatch.setitem(ext, "settings", dataclasses.replace(base, job_memory_mb=200, budget_cells=20_000,
                                                             jobs_dir=str(tmp_path / "jobs2")))
    status, starved = run_through(app, client, values)
    assert status == 200 and "内存超过每次分析的上限 200 MB" in str(starved["response"]["ana-result"]["children"])
    analysis_callbacks._CACHE.clear()


@pytest.mark.parametrize("draw", ["p116.5,39.7,abc", "l1e400,39.7,116.6,39.8", "p" + "9" * 5000,
                                  "l116.5,39.7,116.6,39.8%3Cscript%3E", "~~~~", "l" + ",".join(["1,2"] * 300),
                                  "%00%ff", "p-0,-0,-0,-0,-0,-0"])
def test_tampered_draw_values_are_ignored_with_a_message(app, client, draw):
    """A ``draw=`` value (mapapp.drawstate) that is not shapes opens the page, says so in words
    and draws nothing; never a 500."""
    r = post(client, app, "_pages_content.children", ["/", f"?lat=39.5&lng=116.8&z=9&draw={draw}&lang=zh"])
    text = _ok(r, allow=(200,))
    if draw.startswith("p-0"):  # a degenerate but well-formed polygon is drawn as given
        assert "绘制图形无法识别" not in text
        return
    assert "链接中的绘制图形无法识别，已忽略" in text and "<script" not in text
    assert '"id":"map-draw-init","data":[]' in text.replace(" ", "")
