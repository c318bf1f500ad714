"""Fixtures of the browser smoke tests.

- ``app_server``: ``onemap serve`` on the session's demo store, on a free local port (its log
  goes to ``test-output/logs/``); the value is the base URL.
- ``browser``: Debian's headless Chromium (``/usr/bin/chromium``, installed by ``make sysdeps``)
  driven by Playwright; Playwright's own browser downloads are never used.
- ``page``: a fresh zh-CN page whose requests may only reach the local server (the others are
  aborted and listed in ``browser_log.blocked``). Console errors and uncaught page errors are
  collected in ``browser_log``; a test that passed fails at teardown if there were any.
- ``shot`` / ``wait_for_callbacks``: the helpers :func:`save_screenshot` (``shot(page, name)``)
  and :func:`wait_for_dash` (``wait_for_callbacks(page)``).

Every test in this folder is marked ``browser``.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output"
SCREENSHOTS = OUTPUT / "screenshots"
LOGS = OUTPUT / "logs"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1600, "height": 1000}
LOCALE = "zh-CN"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
SERVER_START_TIMEOUT = 90.0  # seconds until GET / answers 200
SERVER_STOP_TIMEOUT = 15.0  # seconds between SIGTERM and SIGKILL
CALLBACK_TIMEOUT = 30_000  # ms that wait_for_callbacks waits for Dash to be idle
CALLBACK_SETTLE = 250  # ms that Dash must stay idle (a callback may start another)

_HERE = Path(__file__).resolve().parent
_REPORTS = pytest.StashKey[dict]()


# --------------------------------------------------------------------------------- hooks


def pytest_collection_modifyitems(config, items) -> None:
    """Marks every test of this folder ``browser`` (``-m "not browser"`` deselects them)."""
    for item in items:
        if _HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the item: fixtures learn at teardown if the test passed."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


# --------------------------------------------------------------------------------- helpers


def save_screenshot(page, name: str) -> Path:
    """Saves a full-page PNG of ``page`` as ``test-output/screenshots/<name>.png`` (its path)."""
    path = SCREENSHOTS / (name if name.endswith(".png") else f"{name}.png")
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


# True when the Dash app is hydrated, has no callback requested, blocked or running, shows no
# loading marker and every Leaflet tile image has finished (loaded or failed); it must stay
# true for CALLBACK_SETTLE ms.
_DASH_IDLE_JS = """
(settle) => {
    const store = window.store;
    const state = store && store.getState && store.getState();
    let idle = !!state && state.appLifecycle === "HYDRATED"
        && document.querySelector("._dash-loading, ._dash-loading-callback") === null
        && document.querySelector('[data-dash-is-loading="true"]') === null
        && Array.from(document.querySelectorAll("img.leaflet-tile")).every((img) => img.complete);
    if (idle && state.pendingCallbacks) {  // older renderers
        idle = state.pendingCallbacks.length === 0;
    } else if (idle) {
        const queues = Object.assign({}, state.callbacks);
        delete queues.stored;
        delete queues.completed;
        idle = Object.values(queues).every((q) => !q || q.length === 0);
    }
    if (!idle) {
        window.__onemapIdleSince = undefined;
        return false;
    }
    if (window.__onemapIdleSince === undefined) window.__onemapIdleSince = performance.now();
    return performance.now() - window.__onemapIdleSince >= settle;
}
"""


def wait_for_dash(page, timeout: float = CALLBACK_TIMEOUT) -> None:
    """Waits until the page has loaded and Dash has no pending callback (``timeout`` in ms).

    Uses the Dash renderer's redux store (``window.store``, as ``dash.testing`` does): the app
    is hydrated, every callback queue but ``stored``/``completed`` is empty, no Dash loading
    marker is in the page and no Leaflet tile image is still loading, continuously for
    ``CALLBACK_SETTLE`` ms. (Not ``networkidle``: it never comes while anything polls, and
    after an interaction it has long been reached.)
    """
    page.wait_for_load_state("load", timeout=timeout)
    page.wait_for_function(_DASH_IDLE_JS, arg=CALLBACK_SETTLE, timeout=timeout, polling=50)


@dataclass
class BrowserLog:
    """What a page reported: console errors, uncaught errors, and the requests it was refused."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)  # non-local URLs, aborted
    #: regular expressions of console errors a test expects (they are then not counted)
    allowed: list[str] = field(default_factory=list)

    def errors(self) -> list[str]:
        """The console errors not matched by ``allowed``, then the page errors."""
        console = [
            m for m in self.console_errors if not any(re.search(a, m) for a in self.allowed)
        ]
        return [f"console: {m}" for m in console] + [f"page error: {m}" for m in self.page_errors]

    def describe(self) -> str:
        lines = self.errors()
        if self.blocked:
            lines.append("blocked (non-local) requests: " + ", ".join(self.blocked))
        return "\n".join(lines)


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "about"}:
        return True
    return parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname in LOCAL_HOSTS


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 60) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"(cannot read {path}: {exc})"
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"


def _get_status(url: str, timeout: float) -> int | None:
    """The HTTP status of GET ``url`` without any proxy, or None when nothing answers."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, ValueError):
        return None


def _stop(proc: subprocess.Popen) -> None:
    """Terminates the server's whole process group (gunicorn master and workers) and waits."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, SERVER_STOP_TIMEOUT), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    try:  # reap the leader, and kill any worker left in the group
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def server_command(db: Path, port: int) -> list[str]:
    """The command that serves the app on ``db`` at http://127.0.0.1:``port``/."""
    return [sys.executable, "-m", "etl", "serve", "--db", str(db),
            "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]  # fmt: skip


# -------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def app_server(demo_db) -> Iterator[str]:
    """``onemap serve`` on the demo store; the base URL (``http://127.0.0.1:<port>``)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    LOGS.mkdir(parents=True, exist_ok=True)
    log_path = LOGS / "onemap-serve.log"
    env = {k: v for k, v in os.environ.items() if k != "ONEMAP_LANG"}
    env["PYTHONUNBUFFERED"] = "1"
    command = server_command(demo_db, port)

    def fail(why: str) -> None:
        pytest.fail(f"the app server {why}\n  command: {' '.join(command)}\n"
                    f"--- {log_path} (tail) ---\n{_tail(log_path)}", pytrace=False)  # fmt: skip

    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,  # its own process group
        )  # fmt: skip
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            while (status := _get_status(url + "/", timeout=5.0)) != 200:
                if proc.poll() is not None:
                    fail(f"exited with code {proc.returncode} before answering at {url}/")
                if time.monotonic() > deadline:
                    fail(f"did not answer 200 at {url}/ within {SERVER_START_TIMEOUT:.0f} s "
                         f"(last status: {status})")  # fmt: skip
                time.sleep(0.25)
            yield url
        finally:
            _stop(proc)


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium, driven by Playwright (session-wide)."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (through `make sysdeps`, "
                    "Debian packages chromium chromium-driver fonts-noto-cjk poppler-utils); "
                    "Playwright's own browser downloads are not used", pytrace=False)  # fmt: skip
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def browser_log() -> BrowserLog:
    """What the test's ``page`` reported (console errors, page errors, blocked requests)."""
    return BrowserLog()


@pytest.fixture
def page(browser, app_server, browser_log, request):
    """A new zh-CN page (1600×1000) that may only reach the local server.

    Its base URL is the app's, so ``page.goto("/")`` opens the app. If the test passed, it
    fails at teardown when the page logged console errors or uncaught errors; if the test
    failed, a screenshot is saved as ``test-output/screenshots/failed/<test>.png``.
    """
    context = browser.new_context(viewport=VIEWPORT, locale=LOCALE, base_url=app_server,
                                  service_workers="block")  # fmt: skip

    def route(route) -> None:
        url = route.request.url
        if _is_local(url):
            route.continue_()
        else:
            browser_log.blocked.append(url)
            route.abort("blockedbyclient")

    context.route("**/*", route)
    pg = context.new_page()

    def on_console(msg) -> None:
        if msg.type == "error":
            loc = msg.location or {}
            where = f" ({loc.get('url')}:{loc.get('lineNumber')})" if loc.get("url") else ""
            browser_log.console_errors.append(msg.text + where)

    pg.on("console", on_console)
    pg.on("pageerror", lambda exc: browser_log.page_errors.append(exc.stack or str(exc)))
    pg.browser_log = browser_log  # also reachable from the page object
    call = None
    try:
        yield pg
        reports = request.node.stash.get(_REPORTS, {})
        call = reports.get("call")
        if call is not None and call.failed and not pg.is_closed():
            name = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
            try:
                save_screenshot(pg, f"failed/{name}")
            except Exception:  # noqa: BLE001 - a debugging aid, never a second failure
                pass
    finally:
        context.close()
    if call is not None and call.passed and browser_log.errors():
        pytest.fail("the page logged errors:\n" + browser_log.describe(), pytrace=False)


@pytest.fixture
def shot() -> Callable:
    """``shot(page, name)``: saves ``test-output/screenshots/<name>.png``, returns its path."""
    return save_screenshot


@pytest.fixture
def wait_for_callbacks() -> Callable:
    """``wait_for_callbacks(page)``: waits until Dash has no pending callback."""
    return wait_for_dash
