"""Plain HTTP routes beside Dash's: the offline basemap (admin boundaries and labels) as GeoJSON.

Loaded by ``dl.GeoJSON(url=...)``; the URL carries the store's build id, so browsers may cache
the answer for a day and a rebuilt store is fetched afresh.
"""

from __future__ import annotations

import json

import flask

from layers import admin_geojson, admin_labels, place_name
from mapapp import context

LEVELS = ("province", "city", "county")


def _geojson(data: dict) -> flask.Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    response = flask.Response(body, mimetype="application/geo+json")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def boundaries(level: str) -> flask.Response:
    if level not in LEVELS:
        flask.abort(404)
    return _geojson(admin_geojson(context.store(), level))


def labels(level: str) -> flask.Response:
    if level not in LEVELS:
        flask.abort(404)
    data = admin_labels(context.store(), level)
    if flask.request.args.get("lang") == "en":  # pinyin place names (Tangshan, Lunan District)
        data = {**data, "features": [{**f, "properties": {**f["properties"],
                                                           "name": place_name(f["properties"]["name"], "en")}}
                                     for f in data["features"]]}
    return _geojson(data)


def register(server: flask.Flask) -> None:
    """Add the basemap routes to the app's Flask server."""
    server.add_url_rule("/basemap/boundaries/<level>.geojson", view_func=boundaries)
    server.add_url_rule("/basemap/labels/<level>.geojson", view_func=labels)
    # flask-compress (Dash compress=True) compresses JSON callback answers; GeoJSON too
    # zstd, then gzip, before brotli: 3x faster than br on the largest hexagon answers (bench_map)
    server.config["COMPRESS_ALGORITHM"] = ["zstd", "gzip", "br", "deflate"]
    server.config.setdefault("COMPRESS_MIMETYPES", [])
    for mimetype in ("application/json", "application/geo+json", "text/html", "text/css",
                     "application/javascript", "text/javascript"):
        if mimetype not in server.config["COMPRESS_MIMETYPES"]:
            server.config["COMPRESS_MIMETYPES"].append(mimetype)
