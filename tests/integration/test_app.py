"""The app without a browser: routes, the page layout from a URL, callbacks through Dash's HTTP
endpoint (what the browser posts), and ``onemap serve``'s checks."""

from __future__ import annotations

import gzip
import json

import duckdb
import pytest
from click.testing import CliRunner
from dash import html

from etl.cli import main

TANGSHAN = [[39.55, 118.05], [39.72, 118.32]]  # [[south, west], [north, east]]


@pytest.fixture()
def client(app):
    return app.server.test_client()


def _key(component_id, match: str = "") -> str:
    """A component id as Dash writes it; ``match``: the key a MATCH pattern stands for."""
    if isinstance(component_id, dict):
        return json.dumps({k: ["MATCH"] if k == match else v for k, v in component_id.items()},
                          sort_keys=True, separators=(",", ":"))
    return component_id


def post(client, outputs, inputs, state=(), changed=None, headers=None, match="", output=None):
    """POST one callback as the Dash renderer does; returns (status, response JSON or text).

    ``output``: the callback's key in ``app.callback_map`` when it has duplicate outputs
    (their ``@hash`` suffix cannot be derived here).
    """
    outs = [{"id": i, "property": p} for i, p in outputs]
    body = {
        "output": output or ("..".join(f"{_key(i, match)}.{p}" for i, p in outputs) if len(outputs) == 1
                   else ".." + "...".join(f"{_key(i, match)}.{p}" for i, p in outputs) + ".."),
        "outputs": outs[0] if len(outs) == 1 else outs,
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
        "changedPropIds": changed or [f"{_key(i)}.{p}" for i, p, _ in inputs[:1]],
    }
    r = client.post("/_dash-update-component", json=body, headers=headers or {})
    data = r.get_data()
    if r.headers.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    try:
        return r.status_code, json.loads(data)
    except ValueError:
        return r.status_code, data.decode("utf-8", "replace")


def hazard_request(client, bounds, zoom, hazard="flood", on=True, min_class=1, lang="zh", headers=None):
    hex_id = {"type": "map-hex", "layer": hazard}
    status_id = {"type": "map-status", "layer": hazard, "kind": "hazard"}
    return post(client, [(hex_id, "data"), (status_id, "children")], [
        ("map-leaflet", "bounds", bounds), ("map-leaflet", "zoom", zoom),
        ({"type": "map-toggle", "layer": hazard, "kind": "hazard"}, "value", [hazard] if on else []),
        ({"type": "map-minclass", "layer": hazard, "kind": "hazard"}, "value", min_class),
    ], [("map-config", "data", {"lang": lang})], headers=headers, match="layer")


def test_page_and_basemap_routes(client):
    r = client.get("/")
    assert r.status_code == 200 and "OneMap" in r.get_data(as_text=True)
    for level, n in (("province", 3), ("city", 13), ("county", 199)):
        r = client.get(f"/basemap/boundaries/{level}.geojson")
        assert r.status_code == 200 and r.mimetype == "application/geo+json"
        assert len(json.loads(r.get_data())["features"]) == n
        labels = json.loads(client.get(f"/basemap/labels/{level}.geojson").get_data())
        assert {f["geometry"]["type"] for f in labels["features"]} == {"Point"}
    assert client.get("/basemap/boundaries/street.geojson").status_code == 404
    sneaky = client.get("/basemap/boundaries/..%2F..%2Fdata%2Fjjj.duckdb")
    assert sneaky.mimetype == "text/html"  # no file route: Dash's page shell, nothing else


def test_hexagon_callback_is_compact_and_compressed(client):
    status, out = hazard_request(client, TANGSHAN, 12, headers={"Accept-Encoding": "gzip"})
    assert status == 200
    payload = out["response"][_key({"type": "map-hex", "layer": "flood"})]["data"]
    assert payload["res"] == 9 and len(payload["cells"]) == len(payload["cls"]) == len(payload["value"]) > 100
    assert min(payload["cls"]) >= 1  # class 0 hidden by the default threshold
    text = out["response"][_key({"type": "map-status", "layer": "flood", "kind": "hazard"})]["children"]
    assert "H3 分辨率 9" in text
    # zoom changes the resolution; off means nothing is sent
    _, zoomed_out = hazard_request(client, [[38.5, 116.0], [40.5, 119.5]], 8)
    assert zoomed_out["response"][_key({"type": "map-hex", "layer": "flood"})]["data"]["res"] == 6
    _, off = hazard_request(client, TANGSHAN, 12, on=False)
    assert off["response"][_key({"type": "map-hex", "layer": "flood"})]["data"]["cells"] == []


def test_bad_viewport_from_the_client_is_reported_in_the_users_language(client):
    _, out = hazard_request(client, [[40, 118], [39, 117]], 12, lang="en")
    status = out["response"][_key({"type": "map-status", "layer": "flood", "kind": "hazard"})]["children"]
    assert "Invalid map view" in json.dumps(status) and "south" in json.dumps(status)
    _, out = hazard_request(client, [["x", 118], [39, 117]], 12)
    assert "地图视图无效" in json.dumps(out, ensure_ascii=False)


def test_oversized_requests_are_refused(client):
    r = client.post("/_dash-update-component", data=b"x" * 300_000, content_type="application/json")
    assert r.status_code == 413


#: the map's filters, which an enterprise aggregate's card applies to what it lists
FILTERS = [("map-chains", "value", []), ("map-flags", "value", []), ("ana-draw", "action", None)]


def test_cards_through_the_callback(app, client):
    key = next(k for k in app.callback_map if k.startswith("..map-card.children...map-cell.data"))
    inputs = [("map-leaflet", "clickData", {"latlng": {"lat": 39.63, "lng": 118.18}}),
              ("map-points-parks", "clickData", None), ("map-points-reserves", "clickData", None),
              ("map-points-enterprises", "clickData", None)]
    outputs = [("map-card", "children"), ("map-cell", "data"), ("map-leaflet", "viewport")]
    status, out = post(client, outputs, inputs, [("map-leaflet", "zoom", 11), ("map-config", "data", {"lang": "zh"}), *FILTERS],
                       output=key)
    assert status == 200
    card = json.dumps(out["response"]["map-card"]["children"], ensure_ascii=False)
    assert "唐山市" in card and "路北区" in card and "地震" in card
    assert out["response"]["map-cell"]["data"].startswith("88")  # res 8 at zoom 11
    park = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [118.2, 39.6]},
            "properties": {"id": "P001"}}
    inputs[1] = ("map-points-parks", "clickData", park)
    status, out = post(client, outputs, inputs, [("map-leaflet", "zoom", 11), ("map-config", "data", {"lang": "en"}), *FILTERS],
                       changed=["map-points-parks.clickData"], output=key)
    card = json.dumps(out["response"]["map-card"]["children"], ensure_ascii=False)
    assert "Luquan Economic Development Zone" in card and "District centroid" in card and "geodata/jjj/parks.csv" in card  # pinyin name
    inputs[1] = ("map-points-parks", "clickData", {**park, "properties": {"id": "NOPE"}})
    _, out = post(client, outputs, inputs, [("map-leaflet", "zoom", 11), ("map-config", "data", {"lang": "zh"}), *FILTERS],
                  changed=["map-points-parks.clickData"], output=key)
    assert "未找到" in json.dumps(out, ensure_ascii=False)


def test_layout_restores_a_shared_url(app):
    from mapapp.pages.map import layout  # noqa: PLC0415

    with app.server.test_request_context("/"):
        page = layout(lat="39.6", lng="118.2", z="10", layers="parks", hz="earthquake,wildfire",
                      chains="rescue,<b>", unit="130200", minc="earthquake:3", lang="en")
    found = {}

    def walk(node):
        if node is None or isinstance(node, (str, int, float)):
            return
        if isinstance(node, (list, tuple)):
            for n in node:
                walk(n)
            return
        if getattr(node, "id", None) is not None:
            found[json.dumps(node.id, sort_keys=True) if isinstance(node.id, dict) else node.id] = node
        walk(getattr(node, "children", None))

    walk(page)
    assert found["map-leaflet"].viewport == {"center": [39.6, 118.2], "zoom": 10.0, "transition": "setView"}
    assert found["map-chains"].value == ["rescue"] and found["map-city"].value == "130200"
    toggle = lambda layer, kind: found[json.dumps({"kind": kind, "layer": layer, "type": "map-toggle"})].value  # noqa: E731
    assert toggle("parks", "entity") == ["parks"] and toggle("reserves", "entity") == []
    assert toggle("earthquake", "hazard") == ["earthquake"] and toggle("flood", "hazard") == []
    assert found[json.dumps({"kind": "hazard", "layer": "earthquake", "type": "map-minclass"})].value == 3
    assert isinstance(found["map-alert"], html.Div) and "chains" in str(found["map-alert"].children)
    assert found["map-config"].data["lang"] == "en"


def test_serve_refuses_a_missing_or_outdated_store(tmp_path, demo_db):
    runner = CliRunner()
    assert "serve" in runner.invoke(main, ["--help"]).output
    result = runner.invoke(main, ["serve", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1 and "onemap build" in result.output and "不存在" in result.output
    old = tmp_path / "old.duckdb"
    with duckdb.connect(str(old)) as con:
        con.execute("CREATE TABLE meta (key VARCHAR, value VARCHAR)")
        con.execute("INSERT INTO meta VALUES ('schema_version', '0')")
    result = runner.invoke(main, ["--lang", "en", "serve", "--db", str(old)])
    assert result.exit_code == 1 and "schema version 0" in result.output and "onemap build" in result.output


@pytest.mark.parametrize("reuse", [False, True])
def test_serve_refuses_a_port_in_use(demo_db, reuse):
    """A port another program holds (with or without SO_REUSEPORT, as a running OneMap's workers
    bind) is refused with words and a free choice, before any worker starts."""
    import socket  # noqa: PLC0415

    with socket.socket() as held:
        if reuse:
            held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--db", str(demo_db), "--port", str(port)])
        assert result.exit_code == 1, result.output
        assert f"端口 {port} 已被占用" in result.output and "--port" in result.output
        result = CliRunner().invoke(main, ["--lang", "en", "serve", "--db", str(demo_db), "--port", str(port)])
        assert result.exit_code == 1 and f"port {port} on 127.0.0.1 is in use" in result.output


def test_serve_starts_again_on_a_port_its_last_run_just_left():
    """Connections of a server just stopped linger in TIME_WAIT; they do not make the port "in
    use" (a restart of ``make demo`` within a minute must work)."""
    import socket  # noqa: PLC0415

    from mapapp.cli import _check_port  # noqa: PLC0415

    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    conn, _ = server.accept()
    conn.close()  # the server closes first: its side of the connection waits in TIME_WAIT
    client.close()
    server.close()
    _check_port("127.0.0.1", port, "zh")  # no SystemExit


def test_aggregate_click_lists_what_it_holds(app, client, demo_db):
    """A click on an enterprise bubble opens a card with its count, the enterprises in it
    (layers.facilities_in_cell, filtered like the map) and 放大到此处; no zoom by itself."""
    from layers import Store, Viewport, facility_hexes_in_view  # noqa: PLC0415

    store = Store(demo_db)
    try:
        agg = facility_hexes_in_view(store, "enterprises", Viewport.parse([[36, 113], [43, 120]], 7))
    finally:
        store.close()
    i = max(range(len(agg["count"])), key=lambda k: agg["count"][k])
    bubble = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [agg["lng"][i], agg["lat"][i]]},
              "properties": {"agg": True, "cell": agg["cells"][i], "count": agg["count"][i]}}
    key = next(k for k in app.callback_map if k.startswith("..map-card.children...map-cell.data"))
    inputs = [("map-leaflet", "clickData", None), ("map-points-parks", "clickData", None),
              ("map-points-reserves", "clickData", None), ("map-points-enterprises", "clickData", bubble)]
    outputs = [("map-card", "children"), ("map-cell", "data"), ("map-leaflet", "viewport")]
    status, out = post(client, outputs, inputs, [("map-leaflet", "zoom", 7), ("map-config", "data", {"lang": "zh"}),
                                                 *FILTERS], changed=["map-points-enterprises.clickData"], output=key)
    assert status == 200
    card = json.dumps(out["response"]["map-card"]["children"], ensure_ascii=False)
    assert "map-card-aggregate" in card and "放大到此处" in card and "map-agg-item" in card
    assert "map-leaflet" not in out["response"]  # the card, not a zoom


def test_importing_a_page_module_keeps_its_page(app, client):
    """The basemap switch imports ``mapapp.pages.map`` (for ``tile_layers``); that import must not
    register "/" again without a layout (the router then answered every later visit with an empty
    page)."""
    import dash  # noqa: PLC0415

    import mapapp.pages.industry  # noqa: F401, PLC0415
    import mapapp.pages.map  # noqa: F401, PLC0415
    from tests.integration.dash_requests import post  # noqa: PLC0415

    assert sorted(p["path"] for p in dash.page_registry.values()) == ["/", "/industry"]
    r = post(client, app, "_pages_content.children", ["/", "?lang=zh"])
    assert r.status_code == 200 and "map-leaflet" in r.get_data(as_text=True)
