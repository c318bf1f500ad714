"""A heavy analysis in a browser against ``onemap serve`` (gunicorn, 2 workers): it runs as a Dash
background job, the panel shows its progress in Chinese with a 取消 button, the run button waits,
and 取消 ends the job and the analysis process it started (issue 18)."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import psutil
from playwright.sync_api import expect

from mapapp.i18n import t
from tests.browser.test_analyses import QUIET, AnalysisPanel

#: Candidate depots over the region at res 7: 58,712 cells, over a tenth of the default budget.
HEAVY = {"hazard": "flood", "res": 7, "sitekind": "depot", "top": 20}


def _started_under(port: int, since: float) -> list[psutil.Process]:
    """Processes of the server on ``port`` (descendants of its master) started after ``since``."""
    def parent_cmdline(p: psutil.Process) -> list[str]:
        try:
            parent = p.parent()
            return parent.cmdline() if parent else []
        except (psutil.NoSuchProcess, psutil.AccessDenied):  # a parent that ended meanwhile
            return []

    masters = [p for p in psutil.process_iter(["cmdline"])
               if "serve" in (p.info["cmdline"] or []) and str(port) in (p.info["cmdline"] or [])
               and str(port) not in parent_cmdline(p)]
    out = []
    for master in masters:
        for child in master.children(recursive=True):
            try:
                if child.create_time() >= since:
                    out.append(child)
            except psutil.NoSuchProcess:
                pass
    return out


def test_a_heavy_run_shows_progress_and_cancel_stops_it(page, app_server):
    panel = AnalysisPanel(page)
    panel.open(QUIET)
    panel.choose("site")
    for control, value in HEAVY.items():
        panel.set(control, value)
    port = urlsplit(app_server).port
    since = time.time() - 0.5
    page.click("#ana-run")
    expect(page.locator("#ana-result")).to_contain_text("已转入后台计算", timeout=60_000)
    expect(page.locator("#ana-progress")).to_contain_text("后台计算中：已用", timeout=60_000)
    expect(page.locator("#ana-progress")).to_contain_text("上限 120 秒")
    expect(page.locator("#ana-cancel")).to_be_visible()
    expect(page.locator("#ana-cancel")).to_have_text(t("ana.cancel", "zh"))
    expect(page.locator("#ana-run")).to_be_disabled()
    jobs = _started_under(port, since)
    assert len(jobs) >= 2, jobs  # the job (forked from a worker) and its limited analysis child
    page.click("#ana-cancel")
    expect(page.locator("#ana-cancel")).to_be_hidden(timeout=30_000)
    expect(page.locator("#ana-run")).to_be_enabled()
    deadline = time.monotonic() + 15
    alive = jobs
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [p for p in jobs if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not alive, alive
    assert page.locator("#ana-result-site").count() == 0  # no result arrived after the cancel
