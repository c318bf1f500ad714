"""Fixtures of the browser smoke tests.

- ``app_server``: ``onemap serve`` on the session's demo store, on a free local port (its log
  goes to ``test-output/logs/``); the value is the base URL. :func:`serve` starts it (and any
  other store's server) and, before handing it out, waits until every worker answers the
  page's scripts (works around the app bug of ``test_smoke.py::test_brw002``).
- ``browser``: Debian's headless Chromium (``/usr/bin/chromium``, installed by ``make sysdeps``)
  driven by Playwright; Playwright's own browser downloads are never used.
- ``page``: a fresh zh-CN page whose requests may only reach the local server (the others are
  aborted and listed in ``browser_log.blocked``). Console errors and uncaught page errors are
  collected in ``browser_log``; a test that passed fails at teardown if there were any.
- ``shot`` / ``wait_for_callbacks``: the helpers :func:`save_screenshot` (``shot(page, name)``)
  and :func:`wait_for_dash` (``wait_for_callbacks(page)``).
- ``onemap``: a :class:`MapPage` on ``page``: opens the map at a URL query and reads/drives its
  controls (layer toggles, status lines, Dash 4 dropdowns, component props, the URL state).
- ``demo_store``: the demo store opened read-only in the test process (an oracle for the page).
- ``xss_db`` / ``xss_server``: the tiny two-county region of ``tests/integration`` with a park
  named ``XSS_PARK`` and an enterprise named ``XSS_ENTERPRISE``, built and served (session).

Every test in this folder is marked ``browser``.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

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


def bundle_paths(url: str) -> list[str]:
    """The ``/_dash-component-suites/...`` scripts the app's page at ``url`` loads."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url + "/", timeout=30) as response:
        html = response.read().decode("utf-8")
    return sorted(set(re.findall(r'"(/_dash-component-suites/[^"]+)"', html)))


def get_all_at_once(urls: list[str], timeout: float = 30.0) -> list[int | None]:
    """GETs every URL, all released at the same moment (a barrier); their HTTP statuses."""
    barrier = threading.Barrier(len(urls))

    def get(u: str) -> int | None:
        barrier.wait()
        return _get_status(u, timeout=timeout)

    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        return list(pool.map(get, urls))


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# -------------------------------------------------------------------------------- fixtures


@contextlib.contextmanager
def serve(db: Path, log_name: str = "onemap-serve.log", *, warm: bool = True) -> Iterator[str]:
    """Runs ``onemap serve`` on ``db`` on a free local port until the block ends; the base URL.

    The server's output goes to ``test-output/logs/<log_name>``; it is started in its own process
    group and stopped with it (SIGTERM, then SIGKILL). ``warm``: wait until ``/`` answers 200;
    else only until the port accepts connections, so that no request has reached any worker
    yet (the fresh-worker check of test_smoke.py).
    """
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    LOGS.mkdir(parents=True, exist_ok=True)
    log_path = LOGS / log_name
    env = {k: v for k, v in os.environ.items() if k != "ONEMAP_LANG"}
    env["PYTHONUNBUFFERED"] = "1"
    command = server_command(db, port)

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
            status: int | None = None
            while True:
                if warm:
                    if (status := _get_status(url + "/", timeout=5.0)) == 200:
                        break
                elif _port_open(port):
                    break
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
def app_server(demo_db) -> Iterator[str]:
    """``onemap serve`` on the demo store; the base URL (``http://127.0.0.1:<port>``)."""
    with serve(demo_db) as url:
        yield url


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


# ------------------------------------------------------------------------- the map page


#: Names of the hostile store (``xss_db``): markup that would run if put in the page as HTML.
XSS_PARK = "<img src=x onerror=alert(1)>"
XSS_ENTERPRISE = "<script>window.__xss=1</script>"
#: a reserve named like a spreadsheet formula with markup inside (formula injection and XSS)
XSS_RESERVE = '=HYPERLINK("http://x","<img src=x onerror=alert(2)>")'
#: ``{hazard}：H3 分辨率 {res}，{n} 个六边形`` / ``{hazard}: H3 res {res}, {n} hexagons``
HEX_STATUS = re.compile(r"(?:H3 分辨率|H3 res) (\d+)(?:，|, )([\d,]+) (?:个六边形|hexagons)")

# Alpha statistics of one pane's canvas: [painted pixels, mean alpha of the painted ones].
_CANVAS_ALPHA_JS = """
(pane) => {
    const canvas = document.querySelector(".leaflet-" + pane + "-pane canvas");
    if (!canvas) return [0, 0];
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    const hist = new Array(256).fill(0);
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) { n++; hist[data[i]]++; }
    if (!n) return [0, 0];
    let seen = 0, median = 0;
    for (let a = 1; a < 256; a++) { seen += hist[a]; if (seen * 2 >= n) { median = a; break; } }
    return [n, median];
}
"""


# What keeps Dash busy (for a timeout's message): lifecycle, callback queues, loading markers.
_DASH_STATE_JS = """
() => {
    const state = window.store && window.store.getState();
    if (!state) return "no Dash store";
    const queues = Object.fromEntries(Object.entries(state.callbacks || {})
        .filter(([k]) => k !== "stored" && k !== "completed")
        .map(([k, v]) => [k, (v || []).map((c) => c.callback && c.callback.output)]));
    return JSON.stringify({lifecycle: state.appLifecycle, queues,
        loading: !!document.querySelector("._dash-loading, ._dash-loading-callback, "
                                          + '[data-dash-is-loading="true"]')});
}
"""
# The offline basemap's GeoJSON fetches (``/basemap/{boundaries,labels}/<level>.geojson``).
_BASEMAP_LOADED_JS = """
() => performance.getEntriesByType("resource")
    .filter((e) => e.name.includes("/basemap/") && e.responseEnd > 0).length >= 6
"""
_BASEMAP_STATUS_JS = """
() => Object.fromEntries(performance.getEntriesByType("resource")
    .filter((e) => e.name.includes("/basemap/"))
    .map((e) => [new URL(e.name).pathname.split("/basemap/")[1], e.responseStatus]))
"""


def hex_status(text: str) -> tuple[int, int] | None:
    """(resolution, hexagon count) of a hazard's status line, or None if it shows none."""
    m = HEX_STATUS.search(text)
    return (int(m.group(1)), int(m.group(2).replace(",", ""))) if m else None


def mercator_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


class MapPage:
    """The map page (``mapapp/pages/map.py``) in a Playwright page: ids and Dash plumbing."""

    def __init__(self, page):
        self.page = page

    # -- loading and waiting
    def open(self, query: str = "", base: str = "") -> Any:
        """Opens ``<base>/?<query>``, waits for Dash and the offline basemap; the response."""
        response = self.page.goto(f"{base}/?{query}" if query else f"{base}/")
        self.wait()
        self.wait_for_basemap()
        return response

    def wait_for_basemap(self, timeout: float = CALLBACK_TIMEOUT) -> dict[str, int]:
        """Waits until the 6 basemap GeoJSONs (boundaries, labels) have loaded and Dash is idle
        (their fetches are not Dash callbacks); path -> HTTP status, from Resource Timing."""
        self.page.wait_for_function(_BASEMAP_LOADED_JS, timeout=timeout, polling=50)
        self.wait()
        return self.page.evaluate(_BASEMAP_STATUS_JS)

    def wait(self) -> None:
        """Waits for Dash (``wait_for_dash``); on a timeout, says what Dash was still doing."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeoutError  # noqa: PLC0415

        try:
            wait_for_dash(self.page)
        except PlaywrightTimeoutError as exc:
            raise AssertionError(f"Dash did not become idle at {self.page.url}: "
                                 f"{self.page.evaluate(_DASH_STATE_JS)}") from exc

    def query(self) -> dict[str, str]:
        """The address bar's query (the app rewrites it on every change)."""
        return dict(parse_qsl(urlsplit(self.page.url).query, keep_blank_values=True))

    def wait_for_query(self, key: str, predicate_js: str,
                       timeout: float = CALLBACK_TIMEOUT) -> None:
        """Waits until the URL's ``key`` value ``v`` (string or null) makes ``predicate_js`` true,
        then for Dash."""
        self.page.wait_for_function(
            "(key) => { const v = new URLSearchParams(location.search).get(key);"
            f" return ({predicate_js}); }}",
            arg=key, timeout=timeout, polling=50)
        self.wait()

    def wait_for_query_change(self, key: str, old: str | None) -> None:
        self.page.wait_for_function(
            "([key, old]) => new URLSearchParams(location.search).get(key) !== old",
            arg=[key, old], timeout=CALLBACK_TIMEOUT, polling=50)
        self.wait()

    # -- Dash component props (the renderer's layout)
    def prop(self, component_id: str | dict, prop: str) -> Any:
        """A prop of a Dash component as the renderer holds it (``dash_component_api``)."""
        return self.page.evaluate(
            "([id, prop]) => { const c = window.dash_component_api.getLayout(id);"
            " return c ? c.props[prop] : undefined; }", [component_id, prop])

    # -- layer rows
    def layer(self, layer: str):
        return self.page.locator(f"#map-layer-{layer}")

    def status(self, layer: str) -> str:
        return self.page.inner_text(f"#map-layer-{layer} .om-status").strip()

    def status_locator(self, layer: str):
        return self.page.locator(f"#map-layer-{layer} .om-status")

    def is_on(self, layer: str) -> bool:
        return self.page.locator(f"#map-layer-{layer} .om-toggle input").is_checked()

    def set_layer(self, layer: str, on: bool) -> None:
        """Turns a layer on or off with its checkbox and waits for Dash."""
        if self.is_on(layer) != on:
            self.page.locator(f"#map-layer-{layer} .om-toggle label").click()
        assert self.is_on(layer) == on, f"layer {layer} did not turn {'on' if on else 'off'}"
        self.wait()

    # -- Dash 4 dropdowns: a button #<id> opens a popover of .dash-dropdown-option labels
    def pick(self, dropdown_id: str, text: str) -> None:
        """Chooses the option labelled ``text`` in dropdown ``dropdown_id`` and waits for Dash."""
        self.page.locator(f"#{dropdown_id}").click()
        option = self.page.locator(".dash-dropdown-content .dash-dropdown-option", has_text=text)
        option.first.click()
        if self.page.locator(".dash-dropdown-content").count():  # multi: the popover stays
            self.page.keyboard.press("Escape")
        self.wait()

    def dropdown_text(self, dropdown_id: str) -> str:
        return self.page.inner_text(f"#{dropdown_id}-value").strip()

    # -- geometry
    def map_box(self) -> dict[str, float]:
        return self.page.locator("#map-leaflet").bounding_box()

    def view(self) -> tuple[float, float, float]:
        """(centre lat, centre lng, zoom) of the view Leaflet reports (its ``bounds``)."""
        (s, w), (n, e) = self.prop("map-leaflet", "bounds")
        y = (mercator_y(s) + mercator_y(n)) / 2
        lat = math.degrees(2 * math.atan(math.exp(y)) - math.pi / 2)
        return lat, (w + e) / 2, self.prop("map-leaflet", "zoom")

    def to_page(self, lat: float, lng: float) -> tuple[float, float]:
        """Page pixel of a WGS-84 point in the current view (Web Mercator, from ``bounds``)."""
        (s, w), (n, e) = self.prop("map-leaflet", "bounds")
        box = self.map_box()
        x = box["x"] + (lng - w) / (e - w) * box["width"]
        share = (mercator_y(n) - mercator_y(lat)) / (mercator_y(n) - mercator_y(s))
        y = box["y"] + share * box["height"]
        return x, y

    def canvas_alpha(self, pane: str = "om-hazards") -> tuple[int, float]:
        """(painted pixels, median alpha) of a pane's canvas (hexagons: ``om-hazards``); the median is
        a hexagon's inside, where the 1 px edge strokes of neighbours do not overlap."""
        n, mean = self.page.evaluate(_CANVAS_ALPHA_JS, pane)
        return int(n), float(mean)


@pytest.fixture
def onemap(page) -> MapPage:
    """The map page helper (:class:`MapPage`) on this test's ``page``."""
    return MapPage(page)


@pytest.fixture(scope="session")
def demo_store(demo_db):
    """The demo store, opened read-only in the test process (the page's oracle)."""
    from layers import Store  # noqa: PLC0415

    store = Store(demo_db)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture(scope="session")
def xss_db(tmp_path_factory) -> Path:
    """The tiny test region with a park named ``XSS_PARK``, an enterprise ``XSS_ENTERPRISE`` and a
    reserve ``XSS_RESERVE``."""
    from etl.build import build_store  # noqa: PLC0415
    from tests.integration.conftest import make_region  # noqa: PLC0415

    root = tmp_path_factory.mktemp("xss")
    toml = make_region(root / "region")
    parks = root / "region" / "parks.csv"  # UTF-8 with BOM
    text = parks.read_text(encoding="utf-8-sig")
    assert "开平应急装备产业园" in text
    parks.write_text(text.replace("开平应急装备产业园", XSS_PARK), encoding="utf-8-sig")
    enterprises = root / "region" / "enterprises.csv"  # GBK
    text = enterprises.read_bytes().decode("gbk")
    assert "唐山某救援装备公司" in text
    enterprises.write_bytes(text.replace("唐山某救援装备公司", XSS_ENTERPRISE).encode("gbk"))
    import openpyxl  # noqa: PLC0415

    book = openpyxl.load_workbook(root / "region" / "reserves.xlsx")
    sheet = book.active
    assert sheet["B2"].value == "唐山市级储备库"
    sheet["B2"].value = XSS_RESERVE
    sheet["B2"].data_type = "s"  # text in the source file too (openpyxl would store a formula)
    book.save(root / "region" / "reserves.xlsx")
    build_store(toml, root / "xss.duckdb", cache_dir=root / "cache")
    return root / "xss.duckdb"


@pytest.fixture(scope="session")
def xss_server(xss_db) -> Iterator[str]:
    """``onemap serve`` on ``xss_db``; the base URL."""
    with serve(xss_db, "onemap-serve-xss.log") as url:
        yield url
