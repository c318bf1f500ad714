"""The per-process store and settings, reached from callbacks through Flask's ``current_app``."""

from __future__ import annotations

from typing import Any

import flask

from layers import Store
from mapapp.settings import Settings


def _ext() -> dict[str, Any]:
    return flask.current_app.extensions["onemap"]


def store() -> Store:
    """The read-only store this worker opened in ``create_app``."""
    return _ext()["store"]


def settings() -> Settings:
    return _ext()["settings"]
