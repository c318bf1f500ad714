"""The per-process store and settings, reached from callbacks through Flask's ``current_app``."""

from __future__ import annotations

from typing import Any

import flask

import re

from layers import Store, admin_tree
from mapapp.errors import UserError
from mapapp.settings import Settings

_ADMIN: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}


def _ext() -> dict[str, Any]:
    return flask.current_app.extensions["onemap"]


def store() -> Store:
    """The read-only store this worker opened in ``create_app``."""
    return _ext()["store"]


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
