"""``create_app(settings) -> Dash``: the shell only (store, routes, pages); no analysis here."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import dash
import dash_mantine_components as dmc
from dash import Dash, dcc, html
from werkzeug.exceptions import HTTPException

from layers import IndustryDataMissing, Store, admin_tree, monitor_from_store, search_places, unit_summary
from mapapp import auth, background, context, page_callbacks, published, routes, security
from mapapp.settings import Settings

logger = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[1]
MAX_REQUEST_BYTES = 256 * 1024  # a callback request is a few kB; larger ones are refused (413)


def create_app(settings: Settings | None = None) -> Dash:
    """The OneMap Dash app on a read-only store (``settings.db_path``).

    Raises
    ------
    layers.StoreUnavailable
        The store is missing, unreadable or of another schema version (the message names
        ``onemap build``).
    """
    settings = settings or Settings.from_env()
    opened = context.opened(settings)  # the store, opened here (never at import), and its edition
    store = opened["store"]
    app = Dash(
        __name__, title="OneMap 安全应急产业 × 灾害风险 一张图", update_title=None,
        assets_folder=str(ROOT / "assets"), use_pages=True,
        pages_folder=str(Path(__file__).parent / "pages"), compress=True,
        suppress_callback_exceptions=True, serve_locally=True,
        background_callback_manager=background.JobManager(settings),  # heavy analyses (issue 18)
    )
    page_callbacks.hand_over()  # the pages' callbacks, for a second app in this process too
    app.server.extensions["onemap"] = opened
    app.server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    auth.register(app, settings)  # before the routes: every request is checked first
    routes.register(app.server)
    published.register(app.server)
    security.register(app, lang=settings.lang, tianditu=bool(settings.tianditu_key))
    # not a daemon: the interpreter waits for it at exit instead of killing it inside DuckDB
    threading.Thread(target=_warm_up, args=(store,), daemon=False, name="onemap-warm-up").start()
    # Mantine's components (floating panels, search box) need its provider around every page
    app.layout = dmc.MantineProvider([dash.page_container, dcc.Store(id="app-settings", data={"lang": settings.lang})],
                                     id="app-root")
    # Dash finishes its setup (scripts, callbacks, pages) on the first request and marks it done
    # before it is done: concurrent first requests in a threaded worker then fail with "not a
    # registered library". Run that setup now, before the server takes any request.
    with app.server.test_request_context("/"):
        try:
            app.server.preprocess_request()
        except HTTPException:
            pass  # the sign-in check (after Dash's setup) refuses this anonymous warm-up request
    return app


def _warm_up(store: Store) -> None:
    """Fill the per-process caches behind unit figures (about 2 s) and the search index (pinyin
    of every name, about 2.5 s on the demo) before the first user asks."""
    try:
        provinces = [u["adcode"] for u in admin_tree(store) if u["level"] == "province"]
        if provinces:
            unit_summary(store, provinces[0])
        search_places(store, "")  # builds the index; an empty query finds nothing
        monitor_from_store(store)  # the 产业监测 page's tables and indicators (about 1 s)
    except IndustryDataMissing:
        pass
    except Exception:  # a warm-up must never take the app down; the real call reports errors
        logger.warning("warm-up of unit figures failed", exc_info=True)
