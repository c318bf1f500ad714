"""Smoke test: ``onemap serve`` on the demo store opens in a browser, offline, without errors."""

from __future__ import annotations


def test_brw001_home_page_loads(page, app_server, browser_log, shot, wait_for_callbacks):
    response = page.goto(app_server + "/")
    assert response is not None and response.status == 200
    wait_for_callbacks(page)

    assert "OneMap" in page.title()
    assert "一张图" in page.inner_text("body")
    path = shot(page, "brw001_home")
    assert path.stat().st_size > 0

    # works offline: online basemaps are off by default, so nothing outside the server is asked for
    assert browser_log.blocked == []
    assert browser_log.errors() == []
