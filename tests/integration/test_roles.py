"""Who may see what (issue 18): the role matrix over every server callback and download, the three
sign-in modes (local demo, users file, trusted proxy), sessions that cannot be forged, and the
audit log. Every request goes through Flask's test client, as a browser's would."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import time

import flask

import openpyxl
import pytest
from flask.sessions import SecureCookieSessionInterface

from mapapp import auth
from mapapp.users import UsersFile

HTTPS = "https://onemap.example"
PASSWORD = "correct horse battery"
#: Server callbacks that only viewers' map needs; every other server callback is internal.
VIEWER_OUTPUTS = ("map-hex", "map-points-", "map-card", "map-city", "map-county", "map-unit", "map-chains",
                  "map-tiles", "map-report.className", "ana-row-", "_pages_content", "_pages_dummy",
                  "map-legend", "map-search-results")


@pytest.fixture()
def deployed(app, tmp_path, monkeypatch):
    """Switch the session's app to ``mode`` with a users file of one user per role."""
    ext = app.server.extensions["onemap"]
    before = ext["settings"]
    users = UsersFile(tmp_path / "users.json")
    for name, role in (("vera", "viewer"), ("paul", "planner"), ("ada", "admin")):
        users.add(name, role, PASSWORD)
    users.add("sso-planner", "planner", None)

    def switch(mode: str, **extra):
        ext["settings"] = dataclasses.replace(before, auth=mode, users_file=str(users.path),
                                              audit_log=str(tmp_path / "audit.jsonl"), **extra)
        return users

    yield switch
    ext["settings"] = before


def _sign_in(client, name, password=PASSWORD):
    page = client.get("/login", base_url=HTTPS).get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return client.post("/login", base_url=HTTPS, data={"user": name, "password": password, "csrf": token,
                                                         "next": "/?lang=zh"})


def _page(app, client) -> str:
    """The map page's layout as ``client``'s user gets it (the sign-in check runs first)."""
    from mapapp.pages.map import layout  # noqa: PLC0415

    cookie = client.get_cookie("onemap_session", domain="onemap.example")
    headers = {"Cookie": f"onemap_session={cookie.value}"} if cookie else {}
    with app.server.test_request_context("/", base_url=HTTPS, headers=headers,
                                         environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        assert app.server.preprocess_request() is None  # signed in: no redirect, no 401
        return repr(layout())


def _server_callbacks(app):
    return [k for k, v in app.callback_map.items() if v.get("callback") is not None]


def _needs(app, key):
    return auth.callback_role(key, app.callback_map[key]["callback"])


def test_every_callback_declares_its_role(app):
    """A new callback must say who may use it (``@auth.role``); the viewer ones are the map's."""
    for key in _server_callbacks(app):
        cb = app.callback_map[key]["callback"]
        declared = getattr(cb, "_onemap_role", None) or next(
            (auth.OUTPUT_ROLES[i] for i in auth._output_ids(key) if i in auth.OUTPUT_ROLES), None)
        assert declared, f"{key}: no @auth.role"
        # a callback whose only output is the view (放大到此处 on an aggregate's card) is the map's
        viewer = any(part in key for part in VIEWER_OUTPUTS) or key.startswith("map-leaflet.viewport@")
        assert (declared == "viewer") == viewer, (key, declared)
    background = [k for k in _server_callbacks(app) if app.callback_map[k].get("background")]
    assert background and all(_needs(app, k) == "planner" for k in background)  # heavy runs: planners only
    cancels = [k for k in _server_callbacks(app) if k.startswith(("ana-cancel.id", "ana-clear.id"))]
    assert len(cancels) == 2 and all(_needs(app, k) == "planner" for k in cancels)  # Dash's cancel callbacks


def _probe(client, key, **kw):
    """A callback request with the callback's key and no values: the role check comes first."""
    return client.post("/_dash-update-component", base_url=HTTPS, json={"output": key, "outputs": [], "inputs": [],
                                                                        "state": [], "changedPropIds": []}, **kw)


@pytest.mark.parametrize("who", [None, "vera", "paul", "ada"])
def test_role_matrix_over_every_callback(app, deployed, who):
    deployed("users")
    client = app.server.test_client()
    if who:
        assert _sign_in(client, who).status_code == 302
    rank = {None: -1, "vera": 0, "paul": 1, "ada": 2}[who]
    for key in _server_callbacks(app):
        status = _probe(client, key).status_code
        need = ("viewer", "planner", "admin").index(_needs(app, key))
        if who is None:
            assert status == 401, key
        elif rank < need:
            assert status == 403, (who, key)
        else:
            assert status not in (401, 403), (who, key, status)


def _run_gaps(app, client, **kw):
    from tests.integration.test_analyses_app import post_run

    return post_run(app, client, {"ana-kind": "gaps", "ana-hazard": "flood", "ana-res": 6, "unit": "130900"},
                    base_url=HTTPS, **kw)


def _download(client, params, **kw):
    buttons = [{"id": {"type": "ana-dl", "fmt": f}, "property": "n_clicks", "value": 1 if f == "xlsx" else None}
               for f in ("csv", "xlsx", "geojson")]
    return client.post("/_dash-update-component", base_url=HTTPS, json={
        "output": "ana-download.data", "outputs": {"id": "ana-download", "property": "data"},
        "inputs": [buttons], "state": [{"id": "ana-params", "property": "data", "value": params},
                                       {"id": "map-config", "property": "data", "value": {"lang": "zh"}}],
        "changedPropIds": ['{"fmt":"xlsx","type":"ana-dl"}.n_clicks']}, **kw)


def test_viewer_gets_no_analysis_and_no_download_planner_gets_data(app, deployed, tmp_path):
    deployed("users")
    viewer, planner = app.server.test_client(), app.server.test_client()
    _sign_in(viewer, "vera")
    _sign_in(planner, "paul")
    refused = _run_gaps(app, viewer)
    assert refused.status_code == 403 and "cells" not in refused.get_data(as_text=True)
    assert "无权" in refused.get_json()["error"]
    ok = _run_gaps(app, planner)
    assert ok.status_code == 200 and ok.get_json()["response"]["ana-hex"]["data"]["cells"]
    params = ok.get_json()["response"]["ana-params"]["data"]
    assert _download(viewer, params).status_code == 403
    data = _download(planner, params).get_json()["response"]["ana-download"]["data"]
    wb = openpyxl.load_workbook(__import__("io").BytesIO(base64.b64decode(data["content"])))
    about = dict(wb["about"].iter_rows(min_row=2, values_only=True))
    assert about["classification"] == "内部资料"  # the internal mark
    log = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(e["user"], e["action"]) for e in log] == [
        ("vera", "sign_in"), ("paul", "sign_in"), ("vera", "refused"), ("paul", "analysis"), ("vera", "refused"),
        ("paul", "download")]
    assert log[-1]["params"]["format"] == "xlsx" and log[-1]["params"]["parameters"]["unit"] == "130900"


def test_the_viewer_page_shows_the_map_and_the_badge(app, deployed):
    deployed("users")
    client = app.server.test_client()
    assert client.get("/", base_url=HTTPS).status_code == 302  # to the sign-in page
    assert client.get("/_dash-layout", base_url=HTTPS).status_code == 401
    assert client.get("/basemap/boundaries/province.geojson", base_url=HTTPS).status_code == 401
    with client.get("/assets/auth.css", base_url=HTTPS) as css:
        assert css.status_code == 200  # static files stay public
    _sign_in(client, "vera")
    assert client.get("/", base_url=HTTPS).status_code == 200
    assert client.get("/basemap/boundaries/province.geojson", base_url=HTTPS).status_code == 200
    text = _page(app, client)
    assert "vera（查看角色）" in text and "om-role-viewer" in text and "演示模式" not in text


def test_wrong_password_tampered_cookie_and_sign_out(app, deployed, tmp_path):
    users = deployed("users")
    client = app.server.test_client()
    assert _sign_in(client, "paul", "wrong password!").status_code == 401
    assert _sign_in(client, "nobody").status_code == 401
    assert _probe(client, "map-unit.children").status_code == 401
    _sign_in(client, "paul")
    assert _probe(client, "map-unit.children").status_code != 401
    cookie = client.get_cookie("onemap_session", domain="onemap.example")
    value = cookie.value
    forged = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    client.set_cookie("onemap_session", forged, domain="onemap.example", secure=True)
    assert _probe(client, "map-unit.children").status_code == 401  # a bad signature is anonymous
    # a well-formed session for an admin, signed with another secret, is anonymous too
    fake = flask.Flask("forger")
    fake.secret_key = "not the server's secret"
    signer = SecureCookieSessionInterface().get_signing_serializer(fake)
    client.set_cookie("onemap_session", signer.dumps({"u": "ada", "s": users.stamp_of("ada"), "t": int(time.time())}),
                      domain="onemap.example", secure=True)
    assert _probe(client, "map-unit.children").status_code == 401
    client.set_cookie("onemap_session", value, domain="onemap.example", secure=True)  # the genuine one works
    assert _probe(client, "map-unit.children").status_code != 401
    client.get("/logout", base_url=HTTPS)
    assert _probe(client, "map-unit.children").status_code == 401
    log = (tmp_path / "audit.jsonl").read_text(encoding="utf-8")
    assert '"action":"sign_in_failed"' in log and '"user":"nobody"' in log and PASSWORD not in log


def test_a_changed_password_or_removed_user_ends_the_session(app, deployed):
    users = deployed("users")
    client = app.server.test_client()
    _sign_in(client, "paul")
    assert _probe(client, "map-unit.children").status_code != 401
    users.passwd("paul", "another long password")
    assert _probe(client, "map-unit.children").status_code == 401
    _sign_in(client, "ada")
    users.remove("ada")
    assert _probe(client, "map-unit.children").status_code == 401


def test_idle_sessions_end(app, deployed, monkeypatch):
    deployed("users", idle_minutes=1)
    client = app.server.test_client()
    _sign_in(client, "paul")
    real = auth.time.time
    monkeypatch.setattr(auth.time, "time", lambda: real() + 120)
    assert _probe(client, "map-unit.children").status_code == 401


def test_session_cookie_flags(app, deployed):
    deployed("users")
    client = app.server.test_client()
    r = _sign_in(client, "paul")
    header = r.headers["Set-Cookie"]
    assert "HttpOnly" in header and "Secure" in header and "SameSite=Lax" in header
    assert app.server.secret_key and app.server.secret_key != "secret"


def test_proxy_header_only_from_the_allow_listed_proxy(app, deployed):
    deployed("proxy", proxy_allow=("10.0.0.5",))
    client = app.server.test_client()
    proxy = {"environ_base": {"REMOTE_ADDR": "10.0.0.5"}}
    stranger = {"environ_base": {"REMOTE_ADDR": "10.0.0.9"}}
    from tests.integration.test_analyses_app import run_key as key_of_run

    run_key = key_of_run(app)
    assert _probe(client, "map-unit.children", headers={"Remote-User": "sso-planner"}, **stranger).status_code == 401
    assert _probe(client, "map-unit.children", headers={"Remote-User": "sso-planner"}).status_code == 401  # loopback
    assert _probe(client, run_key, headers={"Remote-User": "sso-planner"}, **proxy).status_code not in (401, 403)
    # a user the users file does not list gets the proxy role (viewer)
    assert _probe(client, run_key, headers={"Remote-User": "someone"}, **proxy).status_code == 403
    assert _probe(client, "map-unit.children", headers={"Remote-User": "someone"}, **proxy).status_code != 401
    assert _probe(client, "map-unit.children", **proxy).status_code == 401  # the proxy without a user
    assert client.get("/", base_url=HTTPS, **stranger).status_code == 401  # no sign-in form to loop through


def test_local_demo_is_a_planner_on_this_machine_only(app, deployed):
    deployed("local")
    client = app.server.test_client()
    text = _page(app, client)
    assert "演示模式" in text and "om-role-planner" in text
    assert _run_gaps(app, client).status_code == 200
    away = {"environ_base": {"REMOTE_ADDR": "192.168.1.20"}}
    assert _probe(client, "map-unit.children", **away).status_code == 401


def test_audit_page_is_for_admins(app, deployed):
    deployed("users")
    client = app.server.test_client()
    assert client.get("/admin/audit", base_url=HTTPS).status_code == 401
    _sign_in(client, "paul")
    assert client.get("/admin/audit", base_url=HTTPS).status_code == 403
    _sign_in(client, "ada")
    page = client.get("/admin/audit", base_url=HTTPS).get_data(as_text=True)
    assert "审计日志" in page and "越权请求被拒绝" in page and "登录" in page


def test_sign_in_redirects_only_inside_the_site(app, deployed):
    deployed("users")
    client = app.server.test_client()
    for target, where in (("//evil.example/x", "/"), ("https://evil.example", "/"), ("/?lang=en", "/?lang=en")):
        page = client.get("/login", base_url=HTTPS).get_data(as_text=True)  # a new token after each sign-in
        token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        r = client.post("/login", base_url=HTTPS, data={"user": "paul", "password": PASSWORD, "csrf": token,
                                                          "next": target})
        assert r.status_code == 302 and r.headers["Location"] == where, target
    assert client.post("/login", base_url=HTTPS, data={"user": "paul", "password": PASSWORD,
                                                       "csrf": "forged"}).status_code == 401


def test_stock_levels_only_for_planners(app, deployed, demo_db):
    """A depot's card: its stock for a planner; the same request from a viewer carries none."""
    from layers import Store

    store = Store(demo_db)
    try:
        depot = str(store.query("SELECT reserve FROM stock ORDER BY reserve LIMIT 1")["reserve"].iloc[0])
    finally:
        store.close()
    deployed("users")

    def card(who):
        client = app.server.test_client()
        _sign_in(client, who)
        return client.post("/_dash-update-component", base_url=HTTPS, json={
            "output": next(k for k in app.callback_map if k.startswith("..map-card.children")),
            "outputs": [{"id": "map-card", "property": "children"}, {"id": "map-cell", "property": "data"},
                        {"id": "map-leaflet", "property": "viewport"}],
            "inputs": [{"id": i, "property": "clickData",
                        "value": {"properties": {"id": depot}} if i == "map-points-reserves" else None}
                       for i in ("map-leaflet", "map-points-parks", "map-points-reserves", "map-points-enterprises")],
            "state": [{"id": "map-leaflet", "property": "zoom", "value": 10},
                      {"id": "map-config", "property": "data", "value": {"lang": "zh"}},
                      {"id": "map-chains", "property": "value", "value": []},
                      {"id": "map-flags", "property": "value", "value": []}],
            "changedPropIds": ["map-points-reserves.clickData"]})

    planner, viewer = card("paul"), card("vera")
    assert planner.status_code == viewer.status_code == 200
    assert "map-card-materials" in planner.get_data(as_text=True)
    assert "map-card-facility" in viewer.get_data(as_text=True) and "map-card-materials" not in viewer.get_data(as_text=True)
