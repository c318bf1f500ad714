"""Heavy analyses as Dash background callbacks (issue 18): the run request hands a heavy run to
``run_heavy``, which answers at once with a job; polls show progress in Chinese; 取消 kills the
job and the limited child it started; the time limit ends with a message naming what fits; the
same result as a run in the worker; a viewer may neither start, poll nor cancel one.

Every request goes through Flask's test client as the renderer sends it (``finish_heavy``)."""

from __future__ import annotations

import dataclasses
import time
from urllib.parse import urlencode

import psutil
import pytest

from mapapp.pages import analysis_callbacks
from tests.integration.test_analyses_app import finish_heavy, heavy_key, post_heavy, post_run, run_through

#: A run over a tenth of a small budget: heavy, so it goes to the background.
HEAVY = {"ana-kind": "gaps", "ana-hazard": "flood", "ana-res": 6, "ana-hours": 5}
#: Heavy under the default budget and some seconds long (candidate sites over the region).
LONG = {"ana-kind": "site", "ana-hazard": "flood", "ana-res": 7, "ana-top": 20}
DEFAULT_CELLS = 500_000


@pytest.fixture()
def client(app):
    return app.server.test_client()


@pytest.fixture()
def small_budget(app, monkeypatch, tmp_path):
    """Settings under which ``HEAVY`` is heavy; ``**changes`` replace more fields."""
    ext = app.server.extensions["onemap"]
    base = ext["settings"]

    def use(**changes):
        analysis_callbacks._CACHE.clear()
        fields = {"budget_cells": 20_000, "jobs_dir": str(tmp_path / "jobs"),
                  "audit_log": str(tmp_path / "audit.jsonl"), **changes}
        monkeypatch.setitem(ext, "settings", dataclasses.replace(base, **fields))

    yield use
    analysis_callbacks._CACHE.clear()


def _job(app, client, values):
    r = post_run(app, client, values)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    out = r.get_json()["response"]
    assert "后台计算" in str(out["ana-result"]["children"])  # said at once, in Chinese
    return out["ana-job"]["data"]


def test_a_heavy_run_goes_to_the_background_with_progress_and_the_same_result(app, client, small_budget):
    small_budget(job_memory_mb=0)  # no child: the run happens in the worker
    _, direct = run_through(app, client, HEAVY)
    assert "ana-job" not in direct["response"] or not direct["response"]["ana-job"]["data"]
    small_budget()
    job = _job(app, client, HEAVY)
    assert job["hint"][0].startswith("第 6 级分辨率约有") and "请改用第 5 级" in job["hint"][0]
    started, done = finish_heavy(client, app, job)
    assert done["response"]["ana-result"] == direct["response"]["ana-result"]
    assert done["response"]["ana-hex"] == direct["response"]["ana-hex"]
    assert done["response"]["ana-params"]["data"]["kind"] == "gaps"
    # the download of that result needs no second run: any worker finds it kept on disk
    analysis_callbacks._CACHE.clear()
    from mapapp import background  # noqa: PLC0415

    settings = app.server.extensions["onemap"]["settings"]
    assert background.recall(settings, f"zh|{analysis_callbacks.analyses.Params.from_controls(job['params']).key()}")


def test_progress_is_shown_in_chinese_while_it_runs(app, client, small_budget):
    small_budget(budget_cells=DEFAULT_CELLS)
    job = _job(app, client, LONG)
    started = post_heavy(client, app, job).get_json()
    query = "?" + urlencode({"cacheKey": started["cacheKey"], "job": started["job"]})
    seen = []
    deadline = time.monotonic() + 120
    while not seen and time.monotonic() < deadline:
        time.sleep(0.5)
        body = post_heavy(client, app, job, query=query).get_json(silent=True) or {}
        seen = [str(v) for v in (body.get("progress") or {}).values() if "后台计算中：已用" in str(v)]
        if "response" in body:
            break
    assert seen and "上限 120 秒" in seen[0]
    _cancel(client, app, started)


def _cancel(client, app, started):
    """Press 取消 as the renderer does: Dash's cancel callback with the job's signed handle."""
    key = next(k for k in app.callback_map if k.startswith("ana-cancel.id"))
    return client.post("/_dash-update-component?" + urlencode({"cancelJob": started["job"]}), json={
        "output": key, "outputs": {"id": "ana-cancel", "property": "id"},
        "inputs": [{"id": "ana-cancel", "property": "n_clicks", "value": 1}], "changedPropIds": ["ana-cancel.n_clicks"]})


def test_cancel_kills_the_job_and_its_child(app, client, small_budget):
    small_budget(budget_cells=DEFAULT_CELLS)
    job = _job(app, client, LONG)
    before = {p.pid for p in psutil.Process().children()}
    started = post_heavy(client, app, job).get_json()
    [proc] = [p for p in psutil.Process().children() if p.pid not in before]
    assert started["job"].startswith(str(proc.pid))  # the signed handle names the job's process
    deadline = time.monotonic() + 60
    while not proc.children(recursive=True) and time.monotonic() < deadline:
        time.sleep(0.1)  # the job starts its limited child
    family = [proc, *proc.children(recursive=True)]
    assert len(family) >= 2
    assert _cancel(client, app, started).status_code in (200, 204)
    deadline = time.monotonic() + 10
    alive = family
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not alive, alive  # the job and the analysis are gone, not left running


def test_the_time_limit_names_what_would_fit(app, client, small_budget):
    small_budget(budget_cells=DEFAULT_CELLS, job_seconds=1)
    job = _job(app, client, LONG)
    _, done = finish_heavy(client, app, job)
    text = str(done["response"]["ana-result"]["children"])
    assert "分析超过 1 秒仍未完成，已停止" in text and "第 7 级分辨率约有" in text and "请改用第 6 级" in text, text
    assert done["response"]["ana-hex"]["data"]["cells"] == []


def test_a_forged_job_is_checked_again_in_the_child(app, client, small_budget):
    """A planner who posts run_heavy directly with res 9 over the region is refused there."""
    small_budget()
    job = {"params": {**_job(app, client, HEAVY)["params"], "res": 9}, "lang": "zh"}
    _, done = finish_heavy(client, app, job)
    text = str(done["response"]["ana-result"]["children"])
    assert "分析范围过大" in text and "第 9 级" in text


def test_viewers_may_not_start_poll_or_cancel(app, client, small_budget):
    from mapapp import auth  # noqa: PLC0415

    small_budget(auth="proxy", proxy_allow=("127.0.0.1",), proxy_role="viewer")
    assert auth.callback_role(heavy_key(app), app.callback_map[heavy_key(app)]["callback"]) == "planner"
    viewer = {"headers": {"Remote-User": "someone"}}
    job = {"params": {"kind": "gaps", "hazard": "flood", "res": 6}, "lang": "zh"}
    assert post_heavy(client, app, job, **viewer).status_code == 403
    assert post_heavy(client, app, job, query="?cacheKey=x&job=1", **viewer).status_code == 403
    key = next(k for k in app.callback_map if k.startswith("ana-cancel.id"))
    r = client.post("/_dash-update-component?cancelJob=1", json={
        "output": key, "outputs": {"id": "ana-cancel", "property": "id"},
        "inputs": [{"id": "ana-cancel", "property": "n_clicks", "value": 1}], "changedPropIds": []}, **viewer)
    assert r.status_code == 403
