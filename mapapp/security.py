"""HTTP hardening of the app's Flask server: security headers on every response, and bad requests
answered 4xx in the user's language (never a 500 with a traceback, never Python's own words).

* ``Content-Security-Policy``: scripts, styles, fonts, data only from the app's own origin (plus
  the hashes of Dash's own inline boot scripts); map tiles also from the online basemap hosts the
  app offers (OpenStreetMap; Tianditu when a key is set); ``frame-ancestors 'self'``.
* ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: SAMEORIGIN``,
  ``Referrer-Policy: same-origin``, ``Cross-Origin-Opener-Policy: same-origin``.
* A callback that fails on its input (``TypeError``, ``ValueError``, ``KeyError``, ... and
  ``RecursionError``) answers 400 with ``error.request`` in the user's language; anything else
  answers 500 with ``error.generic``; the traceback goes to the log only.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import flask
from werkzeug.exceptions import HTTPException

from mapapp.i18n import t

logger = logging.getLogger(__name__)

#: Exceptions raised while a callback reads its (hostile or malformed) input: a 400.
BAD_INPUT = (TypeError, ValueError, KeyError, IndexError, AttributeError, LookupError, RecursionError,
             OverflowError, UnicodeError, json.JSONDecodeError)
#: Online tile hosts per basemap (img-src of the CSP); Tianditu only when a key is configured.
TILE_HOSTS = {"osm": ("https://tile.openstreetmap.org",), "tianditu": ("https://*.tianditu.gov.cn",)}


def request_lang(default: str = "zh") -> str:
    """The language of the page that sent this request: ``map-config``/``app-settings`` data in a
    callback body, else ``?lang=``, else ``default`` (never raises, whatever the body is)."""
    lang = flask.request.args.get("lang")
    if lang in ("zh", "en"):
        return lang
    try:
        body = flask.request.get_json(silent=True, cache=True)
    except Exception:  # noqa: BLE001 - a body we cannot read has no language
        body = None
    if isinstance(body, dict):
        items = [x for key in ("state", "inputs") if isinstance(body.get(key), list) for x in body[key]]
        for item in items:
            if isinstance(item, dict) and item.get("id") in ("map-config", "app-settings"):
                value = item.get("value")
                if isinstance(value, dict) and value.get("lang") in ("zh", "en"):
                    return value["lang"]
    return default


def content_security_policy(app: Any, tianditu: bool) -> str:
    """The CSP of every response (``app.csp_hashes()`` allows Dash's inline boot scripts)."""
    hosts = TILE_HOSTS["osm"] + (TILE_HOSTS["tianditu"] if tianditu else ())
    scripts = " ".join(app.csp_hashes())  # already quoted: 'sha256-...'
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' {scripts}".strip(),
        "style-src 'self' 'unsafe-inline'",  # Leaflet and plotly set inline styles
        f"img-src 'self' data: blob: {' '.join(hosts)}",
        "font-src 'self' data:",
        f"connect-src 'self' {' '.join(hosts)}",  # 导出地图 fetches the shown tiles to draw them
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ])


def register(app: Any, *, lang: str, tianditu: bool) -> None:
    """Add the headers and the error answers to ``app.server`` (a Dash app)."""
    server: flask.Flask = app.server
    headers = {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "SAMEORIGIN",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    csp: list[str] = []  # computed on the first response: Dash knows its inline scripts by then

    @server.after_request
    def _headers(response: flask.Response) -> flask.Response:
        if not csp:
            csp.append(content_security_policy(app, tianditu))
        response.headers.setdefault("Content-Security-Policy", csp[0])
        for key, value in headers.items():
            response.headers.setdefault(key, value)
        return response

    @server.errorhandler(Exception)
    def _error(exc: Exception) -> Any:
        if isinstance(exc, HTTPException):
            return _http_error(exc, lang)
        user_lang = request_lang(lang)
        if isinstance(exc, BAD_INPUT):
            logger.warning("bad request to %s refused (400)", flask.request.path, exc_info=exc)
            return _answer(400, t("error.request", user_lang))
        logger.error("unexpected error on %s", flask.request.path, exc_info=exc)
        return _answer(500, t("error.generic", user_lang))


def _http_error(exc: HTTPException, lang: str) -> Any:
    """413, 404, 405, 403, 401 ... with a text in the user's language (no Werkzeug HTML page)."""
    key = {401: "error.unauthorized", 403: "error.forbidden", 404: "error.http_not_found",
           413: "error.too_large"}.get(exc.code or 0, "error.request")
    return _answer(exc.code or 400, t(key, request_lang(lang)))


def _answer(status: int, text: str) -> flask.Response:
    body = json.dumps({"error": text}, ensure_ascii=False)
    return flask.Response(body, status=status, mimetype="application/json")
