"""Nothing one app or one test leaves behind changes what the next one serves in the same process.

* A second ``create_app`` in one process gets every callback of the pages, as the first does
  (``mapapp.page_callbacks``); before, Dash handed them to the first app only, and the second
  one answered the map page with no hexagons, cards or analyses.
* The role tests' sequence (another sign-in mode, the map page's layout imported by its package
  name, the settings put back) leaves the map page whole for the hostile-request tests that run
  after it: that order once gave every ``draw=`` check an empty page (the import registered "/"
  a second time without a layout; fixed in ``mapapp.pages.map``).
"""

from __future__ import annotations

import dataclasses
import json
import threading

import pytest

from tests.integration.dash_requests import post
from tests.integration.test_analyses_app import post_run

BOUNDS = [[38.5, 115.5], [40.5, 118.5]]


def _server_callbacks(app) -> list[str]:
    return sorted(k for k, v in app.callback_map.items() if v.get("callback") is not None)


def _dependencies(app) -> list[str]:
    r = app.server.test_client().get("/_dash-dependencies")
    assert r.status_code == 200
    return sorted(json.dumps(d, sort_keys=True) for d in r.get_json())


@pytest.fixture()
def second_app(app, demo_db):
    """Another app on the demo store in this process, after the session's (closed afterwards)."""
    from mapapp.app import create_app  # noqa: PLC0415
    from mapapp.settings import Settings  # noqa: PLC0415

    second = create_app(Settings(db_path=str(demo_db)))
    yield second
    for thread in threading.enumerate():
        if thread.name == "onemap-warm-up":
            thread.join(timeout=120)
    second.server.extensions["onemap"]["store"].close()


def test_a_second_app_in_one_process_behaves_as_the_first(app, second_app):
    assert len(_server_callbacks(app)) > 30  # the pages' callbacks, not just Dash's router
    assert _server_callbacks(second_app) == _server_callbacks(app)
    assert _dependencies(second_app) == _dependencies(app)  # what the browser is told to call
    answers = []
    for each in (app, second_app):
        client = each.server.test_client()
        hexes = post(client, each, '"type":"map-hex"}.data', [BOUNDS, 8, True, 1], [{"lang": "zh"}],
                     match={"layer": "flood"}, changed=3)
        run = post_run(each, client, {"ana-kind": "gaps", "ana-hazard": "flood", "ana-res": 6, "unit": "130900"})
        page = post(client, each, "_pages_content.children", ["/", "?lang=zh"])
        assert hexes.status_code == run.status_code == page.status_code == 200
        answers.append((hexes.get_json()["response"], run.get_json()["response"]["ana-hex"]))
        assert "map-leaflet" in page.get_data(as_text=True)
    assert answers[0][0] and answers[0][1]["data"]["cells"]
    assert answers[1] == answers[0]


def test_the_role_tests_leave_the_map_page_whole(app, tmp_path, monkeypatch):
    """test_roles.py's sequence (its ``deployed`` switch and ``_page``), then a check of
    test_hostile_requests.py, in one test."""
    from mapapp.users import UsersFile  # noqa: PLC0415
    from tests.integration.test_roles import PASSWORD, _page, _sign_in  # noqa: PLC0415

    ext = app.server.extensions["onemap"]
    users = UsersFile(tmp_path / "users.json")
    users.add("vera", "viewer", PASSWORD)
    with monkeypatch.context() as switched:
        for mode in ("users", "local"):
            switched.setitem(ext, "settings", dataclasses.replace(
                ext["settings"], auth=mode, users_file=str(users.path), audit_log=str(tmp_path / "audit.jsonl")))
            client = app.server.test_client()
            if mode == "users":
                _sign_in(client, "vera")
            # the layout imported by its package name (mapapp.pages.map), as test_roles does
            assert ("vera（查看角色）" if mode == "users" else "演示模式") in _page(app, client)
    r = post(app.server.test_client(), app, "_pages_content.children",
             ["/", "?lat=39.5&lng=116.8&z=9&draw=~~~~&lang=zh"])
    text = r.get_data(as_text=True)
    assert r.status_code == 200 and "map-leaflet" in text, text[:300]
    assert "链接中的绘制图形无法识别，已忽略" in text
