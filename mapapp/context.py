"""The per-process store and settings, reached from callbacks through Flask's ``current_app``.

A store rebuilt while the server runs (``onemap build`` replaces the file) is picked up by each
worker at its next request: ``store()`` reopens the file when its edition
(``mapapp.background.edition``) changed, and every cache of data read from it is keyed by its
build or edition, so nothing of the old build is served after that.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

import flask

from layers import Store, StoreUnavailable, admin_tree
from mapapp import background
from mapapp.errors import UserError
from mapapp.settings import Settings

logger = logging.getLogger(__name__)
_ADMIN: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
_REOPEN = threading.Lock()


def _ext() -> dict[str, Any]:
    return flask.current_app.extensions["onemap"]


def opened(settings: Settings) -> dict[str, Any]:
    """The app's ``extensions["onemap"]``: ``settings``, the store opened read-only and its
    edition (taken before opening, so a rebuild meanwhile is seen at the first request)."""
    edition = background.edition(settings)
    return {"store": Store(settings.db_path), "settings": settings, "edition": edition}


def store() -> Store:
    """The read-only store of this worker; the same one throughout a request (``flask.g``),
    reopened first if the file was rebuilt since it was opened."""
    return _opened_now()[0]


def edition() -> str:
    """The edition (``mapapp.background.edition``) of this request's ``store()``: what results
    computed from it are kept under."""
    return _opened_now()[1]


def _opened_now() -> tuple[Store, str]:
    found = flask.g.get("onemap_store")
    if found is None:
        found = flask.g.onemap_store = _current(_ext())
    return found


def _current(ext: dict[str, Any]) -> tuple[Store, str]:
    """``ext``'s store and edition, the store reopened when the file's edition is not the one it
    was opened at; a new file that cannot be opened (another schema version, a half-copied file)
    leaves the old one in service and is logged (``onemap build`` replaces the file in one step,
    so this is rare)."""
    edition = background.edition(ext["settings"])
    with _REOPEN:
        if ext.get("edition") != edition:
            try:
                # its own DuckDB instance: connect() would hand back the old file's while the old
                # store is in use; the old one closes when its last request is done with it
                ext["store"] = Store(ext["settings"].db_path, fresh=True)
            except StoreUnavailable:
                logger.warning("the rebuilt store %s cannot be opened; still serving the one opened before",
                               ext["settings"].db_path, exc_info=True)
            ext["edition"] = edition
        return ext["store"], edition


def settings() -> Settings:
    return _ext()["settings"]


def admin_index(store: Store) -> dict[str, dict[str, Any]]:
    """adcode -> admin unit (``layers.admin_tree``: name, level, parent, ...), read once per
    store build (callbacks ask it on every run; the tree never changes within a build)."""
    key = (str(store.path), str(store.meta.get("build_id")))
    index = _ADMIN.get(key)
    if index is None:
        index = {u["adcode"]: u for u in admin_tree(store)}
        if len(_ADMIN) >= 4:
            _ADMIN.clear()
        _ADMIN[key] = index
    return index


def check_unit(store: Store, unit: object) -> dict[str, Any]:
    """The admin unit ``unit`` (an adcode of the store); ``UserError`` for anything else (a list,
    a dict, 999999, SQL-looking text), which is echoed only when it looks like an adcode."""
    found = admin_index(store).get(unit) if isinstance(unit, str) else None
    if found is None:
        shown = unit if isinstance(unit, str) and re.fullmatch(r"\d{6,12}", unit) else "—"
        raise UserError("error.unknown_unit", code=shown)
    return found
