"""Benchmark: map callbacks per view on the demo store (targets: <= 1.5 MB per view as transferred,
server time p95 <= 150 ms, all res-8 cells as GeoJSON >= 50x the largest view).

Not part of ``make test``; run by ``make bench``::

    python tests/bench/bench_map.py [--db data/jjj.duckdb] [--views 50] [--zooms 5-12]
        [--seed 20261123] [--accept-encoding "gzip, br"] [--json FILE]

The store is ``--db``, else ``ONEMAP_DB_PATH``, else ``data/jjj.duckdb``. Per zoom level, ``--views``
views of 1600 x 1000 px (Web-Mercator, 256-px tiles) centred uniformly at random (seeded) inside
the store's meta 'bbox'. For each view, through the Flask test client of
``create_app(Settings(db_path=...))`` (the real server path: Dash routing, callback, JSON
serialisation, flask-compress), in this order:

- ``hazard``: the ``hazard_hexagons`` callback of the flood layer, as the Dash renderer posts it
  to ``/_dash-update-component`` (bounds and zoom as Leaflet reports them, the layer on, the
  page's default lowest class ``MIN_CLASS_DEFAULT``);
- ``direct``: ``hazard_cells_in_view`` for the same view (padded as the callback pads it), the
  layers function alone, to show what the callback adds;
- ``enterprises``: the ``enterprise_points`` callback (aggregated per hexagon below zoom 10,
  points from zoom 10);
- ``all classes``: the flood callback again with lowest class 0 (the largest payload a user can ask).

Per request: wall time of ``client.post`` (in-process: no network), the body as transferred
(``Content-Encoding`` as negotiated for ``--accept-encoding``) and decompressed. Untimed, per
hazard response: Dash's serialisation of it (``dash._utils.to_json``) and its compression at the
app's flask-compress settings, to split the callback's overhead.

Reference: every res-8 cell of the flood layer as GeoJSON polygons (``h3.cell_to_boundary``,
closed rings, coordinates rounded to 6 decimals, properties h3/cls/value as ours, compact JSON),
uncompressed and gzip (level 6, as flask-compress); ratio = reference bytes / the largest
per-view transferred flood payload.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import random
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

TARGET_BYTES = 1.5e6  # per view, as transferred
TARGET_P95_MS = 150.0  # server time per callback
TARGET_RATIO = 50.0  # reference / largest per-view payload
VIEW_PX = (1600, 1000)
HAZARD = "flood"
REFERENCE_RES = 8
DEFAULT_DB = "data/jjj.duckdb"
REGION_FILE = "geodata/regions/jjj.toml"


def ensure_store(db: str) -> None:
    """Build the demo store at ``db`` (``onemap build``, several minutes) when it is missing."""
    if Path(db).is_file():
        return
    print(f"{db} is missing: building it (onemap build {REGION_FILE})", flush=True)
    subprocess.run([sys.executable, "-m", "etl", "build", str(ROOT / REGION_FILE), "--db", db],
                   check=True, cwd=ROOT)


def settle(app) -> None:
    """Wait for the app's start-up threads (``create_app`` warms caches in the background), so
    they neither share the timed requests' CPU nor run at interpreter exit."""
    for t in threading.enumerate():
        if t is not threading.current_thread() and t.name.startswith("onemap"):
            t.join(120)


def page_constants() -> tuple[int, dict]:
    """``MIN_CLASS_DEFAULT`` and ``OPACITY_DEFAULT`` of the map page, from the module Dash
    imported (as ``pages.map``: importing ``mapapp.pages.map`` again would register it twice)."""
    page = next(m for m in list(sys.modules.values())
                if getattr(m, "__file__", None) and Path(m.__file__).resolve() == ROOT / "mapapp/pages/map.py")
    return page.MIN_CLASS_DEFAULT, page.OPACITY_DEFAULT


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all cores; /proc/stat minus idle, iowait)."""
    f = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(f[:8]) - f[3] - f[4]) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


# -- views ----------------------------------------------------------------------------------------
def view_bounds(lat: float, lng: float, zoom: int, width: int = VIEW_PX[0],
                height: int = VIEW_PX[1]) -> list[list[float]]:
    """Leaflet's ``[[south, west], [north, east]]`` of a ``width`` x ``height`` px view at ``zoom``
    centred on (lat, lng): Web-Mercator, world ``256 * 2**zoom`` px wide."""
    size = 256 * 2**zoom
    x = (lng + 180) / 360 * size
    s = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * size

    def lat_of(py: float) -> float:
        py = min(max(py, 0.0), size)
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * py / size))))

    return [[lat_of(y + height / 2), (x - width / 2) / size * 360 - 180],
            [lat_of(y - height / 2), (x + width / 2) / size * 360 - 180]]


def random_views(bbox: list[float], zooms: list[int], n: int, seed: int) -> dict[int, list[tuple]]:
    """``n`` (lat, lng, bounds) per zoom, centres uniform in ``bbox = [west, south, east, north]``."""
    rng = random.Random(seed)
    w, s, e, nn = bbox
    out = {}
    for z in zooms:
        views = []
        for _ in range(n):
            lat, lng = rng.uniform(s, nn), rng.uniform(w, e)
            views.append((lat, lng, view_bounds(lat, lng, z)))
        out[z] = views
    return out


# -- Dash requests --------------------------------------------------------------------------------
def callback_outputs(deps: list[dict]) -> dict[str, str]:
    """The ``output`` strings of the server callbacks used, from ``/_dash-dependencies``."""
    found = {}
    for d in deps:
        out = d["output"]
        if d.get("clientside_function"):
            continue
        if '"type":"map-hex"}.data' in out:
            found["hazard"] = out
        elif out.startswith("..map-points-enterprises.data"):
            found["enterprises"] = out
        elif out.startswith("..map-card.children"):
            found["card"] = out
    missing = {"hazard", "enterprises", "card"} - found.keys()
    if missing:
        raise SystemExit(f"callbacks not found in /_dash-dependencies: {sorted(missing)}")
    return found


def _body(output: str, outputs: list[dict], inputs: list[dict], state: list[dict],
          changed: list[str]) -> dict:
    return {"output": output, "outputs": outputs, "inputs": inputs, "changedPropIds": changed,
            "parsedChangedPropsIds": changed, "state": state}


def hazard_body(output: str, hazard: str, bounds, zoom, min_class: int, config: dict) -> dict:
    """The request the Dash renderer posts when the map moves with ``hazard`` on (captured from
    Chromium: pattern-matching MATCH ids resolved to the layer's)."""
    return _body(output,
                 [{"id": {"layer": hazard, "type": "map-hex"}, "property": "data"},
                  {"id": {"kind": "hazard", "layer": hazard, "type": "map-status"}, "property": "children"}],
                 [{"id": "map-leaflet", "property": "bounds", "value": bounds},
                  {"id": "map-leaflet", "property": "zoom", "value": zoom},
                  {"id": {"kind": "hazard", "layer": hazard, "type": "map-toggle"}, "property": "value",
                   "value": [hazard]},
                  {"id": {"kind": "hazard", "layer": hazard, "type": "map-minclass"}, "property": "value",
                   "value": min_class}],
                 [{"id": "map-config", "property": "data", "value": config}],
                 ["map-leaflet.zoom", "map-leaflet.bounds"])


def enterprises_body(output: str, bounds, zoom, config: dict) -> dict:
    """The enterprises layer's request on a map move (layer on, no chain or flag filter)."""
    return _body(output,
                 [{"id": "map-points-enterprises", "property": "data"},
                  {"id": {"kind": "entity", "layer": "enterprises", "type": "map-status"}, "property": "children"}],
                 [{"id": "map-leaflet", "property": "bounds", "value": bounds},
                  {"id": "map-leaflet", "property": "zoom", "value": zoom},
                  {"id": {"kind": "entity", "layer": "enterprises", "type": "map-toggle"}, "property": "value",
                   "value": ["enterprises"]},
                  {"id": "map-chains", "property": "value", "value": []},
                  {"id": "map-flags", "property": "value", "value": []}],
                 [{"id": "map-config", "property": "data", "value": config}],
                 ["map-leaflet.zoom", "map-leaflet.bounds"])


def card_body(output: str, lat: float, lng: float, zoom, config: dict) -> dict:
    """A click on the map (not on a point): ``show_card`` with Leaflet's clickData."""
    vp = output.split("...")[-1].rstrip(".")  # "map-leaflet.viewport@<hash>" (allow_duplicate)
    return _body(output,
                 [{"id": "map-card", "property": "children"}, {"id": "map-cell", "property": "data"},
                  {"id": "map-leaflet", "property": vp.split(".", 1)[1]}],
                 [{"id": "map-leaflet", "property": "clickData",
                   "value": {"latlng": {"lat": lat, "lng": lng}, "layerPoint": {"x": 800, "y": 500},
                             "containerPoint": {"x": 800, "y": 500}}},
                  {"id": "map-points-parks", "property": "clickData"},
                  {"id": "map-points-reserves", "property": "clickData"},
                  {"id": "map-points-enterprises", "property": "clickData"}],
                 [{"id": "map-leaflet", "property": "zoom", "value": zoom},
                  {"id": "map-config", "property": "data", "value": config},
                  {"id": "map-chains", "property": "value", "value": []},  # show_card's filter states
                  {"id": "map-flags", "property": "value", "value": []},
                  {"id": "ana-draw", "property": "action", "value": None}],  # not drawing
                 ["map-leaflet.clickData"])


def decompress(data: bytes, encoding: str | None) -> bytes:
    if not encoding:
        return data
    if encoding == "gzip":
        return gzip.decompress(data)
    if encoding == "br":
        import brotli

        return brotli.decompress(data)
    if encoding == "zstd":
        from backports import zstd  # Python < 3.14; flask-compress uses the same

        return zstd.decompress(data)
    if encoding == "deflate":
        return zlib.decompress(data)
    raise ValueError(f"unknown Content-Encoding {encoding!r}")


def compressor(app_config: dict, encoding: str | None):
    """A function compressing bytes as flask-compress does with the app's settings."""
    if encoding == "gzip":
        return lambda b: gzip.compress(b, app_config["COMPRESS_LEVEL"])
    if encoding == "br":
        import brotli

        return lambda b: brotli.compress(b, mode=app_config["COMPRESS_BR_MODE"],
                                         quality=app_config["COMPRESS_BR_LEVEL"],
                                         lgwin=app_config["COMPRESS_BR_WINDOW"],
                                         lgblock=app_config["COMPRESS_BR_BLOCK"])
    if encoding == "zstd":
        from backports import zstd

        return lambda b: zstd.compress(b, app_config["COMPRESS_ZSTD_LEVEL"])
    return lambda b: b


def post(client, body: dict, accept: str) -> dict:
    """One timed POST; the body as transferred and decompressed."""
    raw = json.dumps(body)
    t0 = time.perf_counter()
    r = client.post("/_dash-update-component", data=raw, content_type="application/json",
                    headers={"Accept-Encoding": accept, "Accept": "application/json"})
    data = r.get_data()
    dt = time.perf_counter() - t0
    if r.status_code != 200:
        raise SystemExit(f"{r.status_code} from /_dash-update-component: {data[:300]!r}")
    enc = r.headers.get("Content-Encoding")
    plain = decompress(data, enc)
    return {"ms": dt * 1e3, "bytes": len(data), "plain_bytes": len(plain), "encoding": enc or "identity",
            "json": json.loads(plain)}


# -- reference --------------------------------------------------------------------------------------
def reference_geojson(store, hazard: str, res: int) -> dict:
    """Every ``res`` cell of ``hazard`` as GeoJSON polygons: bytes raw and gzipped (streamed)."""
    import h3

    from layers.map.viewport import _round_sig

    t0 = time.perf_counter()
    rows = store.query("SELECT printf('%x', cell) AS h3, class AS cls, max AS value FROM hazard_cells "
                       "WHERE hazard = ? AND res = ? ORDER BY cell", [hazard, res], numpy=True)
    cells, cls = rows["h3"].tolist(), rows["cls"].astype(int).tolist()
    values = _round_sig(rows["value"].astype(float))
    gz = zlib.compressobj(6, zlib.DEFLATED, 31)  # gzip container, level 6 (flask-compress's)
    raw_n = gz_n = 0
    chunk: list[str] = []

    def flush(last: bool = False) -> None:
        nonlocal raw_n, gz_n
        data = "".join(chunk).encode()
        chunk.clear()
        raw_n += len(data)
        gz_n += len(gz.compress(data)) + (len(gz.flush()) if last else 0)

    chunk.append('{"type":"FeatureCollection","features":[')
    for i, (c, k, v) in enumerate(zip(cells, cls, values)):
        ring = [[round(lng, 6), round(lat, 6)] for lat, lng in h3.cell_to_boundary(c)]
        ring.append(ring[0])
        feat = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {"h3": c, "cls": k, "value": v}}
        chunk.append(("," if i else "") + json.dumps(feat, separators=(",", ":")))
        if len(chunk) >= 20000:
            flush()
    chunk.append("]}")
    flush(last=True)
    return {"cells": len(cells), "res": res, "bytes": raw_n, "gzip_bytes": gz_n,
            "seconds": time.perf_counter() - t0}


# -- report -----------------------------------------------------------------------------------------
def pct(values, q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else float("nan")


def mb(n: float) -> str:
    return f"{n / 1e6:.3f}"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def summarise(rows: list[dict], zooms: list[int]) -> dict:
    out = {}
    for z in zooms:
        rz = [r for r in rows if r["zoom"] == z]
        h, e, a = ([r[k] for r in rz] for k in ("hazard", "enterprises", "all_classes"))
        out[z] = {
            "res": sorted({x["res"] for x in h}),
            "truncated": sum(x["truncated"] for x in h),
            "hex_p50": pct([x["cells"] for x in h], 50), "hex_max": max(x["cells"] for x in h),
            "hazard_ms_p50": pct([x["ms"] for x in h], 50), "hazard_ms_p95": pct([x["ms"] for x in h], 95),
            "direct_ms_p50": pct([r["direct_ms"] for r in rz], 50),
            "direct_ms_p95": pct([r["direct_ms"] for r in rz], 95),
            "to_json_ms_p50": pct([x["to_json_ms"] for x in h], 50),
            "compress_ms_p50": pct([x["compress_ms"] for x in h], 50),
            "hazard_bytes_p95": pct([x["bytes"] for x in h], 95), "hazard_bytes_max": max(x["bytes"] for x in h),
            "hazard_plain_max": max(x["plain_bytes"] for x in h),
            "ent_ms_p50": pct([x["ms"] for x in e], 50), "ent_ms_p95": pct([x["ms"] for x in e], 95),
            "ent_bytes_max": max(x["bytes"] for x in e), "ent_features_max": max(x["features"] for x in e),
            "ent_mode": sorted({x["mode"] for x in e}),
            "view_bytes_p95": pct([r["hazard"]["bytes"] + r["enterprises"]["bytes"] for r in rz], 95),
            "view_bytes_max": max(r["hazard"]["bytes"] + r["enterprises"]["bytes"] for r in rz),
            "all_ms_p95": pct([x["ms"] for x in a], 95),
            "all_hex_max": max(x["cells"] for x in a), "all_bytes_max": max(x["bytes"] for x in a),
            "all_plain_max": max(x["plain_bytes"] for x in a),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default=os.environ.get("ONEMAP_DB_PATH", DEFAULT_DB))
    ap.add_argument("--views", type=int, default=50, help="views per zoom level")
    ap.add_argument("--zooms", default="5-12", help="first-last zoom level")
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--accept-encoding", default="gzip, br")
    ap.add_argument("--skip-reference", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    z0, z1 = (int(v) for v in args.zooms.split("-"))
    zooms = list(range(z0, z1 + 1))

    import dash

    from layers import hazard_cells_in_view
    from mapapp.app import create_app
    from mapapp.pages.map_callbacks import _viewport
    from mapapp.settings import Settings

    ensure_store(args.db)
    app = create_app(Settings(db_path=args.db))
    settle(app)
    client = app.server.test_client()
    store = app.server.extensions["onemap"]["store"]
    MIN_CLASS_DEFAULT, OPACITY_DEFAULT = page_constants()
    if client.get("/").status_code != 200:
        raise SystemExit("GET / did not answer 200")
    outputs = callback_outputs(client.get("/_dash-dependencies").get_json())
    hazards = store.query("SELECT hazard FROM hazard_layers ORDER BY rowid")["hazard"].tolist()
    config = {"lang": app.server.extensions["onemap"]["settings"].lang, "opacityDefault": OPACITY_DEFAULT,
              "minClassDefault": MIN_CLASS_DEFAULT, "hazards": hazards}
    bbox = store.meta["bbox"]
    views = random_views(bbox, zooms, args.views, args.seed)
    print(f"store {args.db} (bbox {bbox}, res {store.meta['resolutions']}); {args.views} views of "
          f"{VIEW_PX[0]}x{VIEW_PX[1]} px per zoom {z0}-{z1}, seed {args.seed}; dash {dash.__version__}; "
          f"Accept-Encoding: {args.accept_encoding!r}; loadavg {os.getloadavg()[0]:.2f}", flush=True)

    from dash._utils import to_json

    # warm-up (not counted): one view per zoom through every request kind
    for z in zooms:
        lat, lng, b = views[z][0]
        post(client, hazard_body(outputs["hazard"], HAZARD, b, z, MIN_CLASS_DEFAULT, config), args.accept_encoding)
        post(client, enterprises_body(outputs["enterprises"], b, z, config), args.accept_encoding)
        hazard_cells_in_view(store, HAZARD, _viewport(b, z), min_class=MIN_CLASS_DEFAULT)
    card = post(client, card_body(outputs["card"], (bbox[1] + bbox[3]) / 2, (bbox[0] + bbox[2]) / 2, 9, config),
                args.accept_encoding)
    encodings: set[str] = set()
    comp = None
    hex_key = json.dumps({"layer": HAZARD, "type": "map-hex"}, separators=(",", ":"))
    ent_key = "map-points-enterprises"

    def hazard_row(r: dict) -> dict:
        nonlocal comp
        data = r.pop("json")["response"][hex_key]["data"]
        encodings.add(r["encoding"])
        comp = comp or compressor(app.server.config, None if r["encoding"] == "identity" else r["encoding"])
        t0 = time.perf_counter()
        text = to_json({"multi": True, "response": {hex_key: {"data": data}}})
        t1 = time.perf_counter()
        comp(text.encode())
        t2 = time.perf_counter()
        return {**r, "res": data.get("res"), "cells": len(data["cells"]), "truncated": bool(data.get("truncated")),
                "to_json_ms": (t1 - t0) * 1e3, "compress_ms": (t2 - t1) * 1e3}

    rows = []
    busy0, own0 = busy_cpu_seconds(), own_cpu_seconds()
    t_start = time.perf_counter()
    for z in zooms:
        for lat, lng, b in views[z]:
            row = {"zoom": z, "lat": lat, "lng": lng, "bounds": b}
            row["hazard"] = hazard_row(post(client, hazard_body(outputs["hazard"], HAZARD, b, z, MIN_CLASS_DEFAULT,
                                                                config), args.accept_encoding))
            t0 = time.perf_counter()
            hazard_cells_in_view(store, HAZARD, _viewport(b, z), min_class=MIN_CLASS_DEFAULT)
            row["direct_ms"] = (time.perf_counter() - t0) * 1e3
            e = post(client, enterprises_body(outputs["enterprises"], b, z, config), args.accept_encoding)
            feats = e.pop("json")["response"][ent_key]["data"]["features"]
            row["enterprises"] = {**e, "features": len(feats),
                                  "mode": "agg" if feats and feats[0]["properties"].get("agg") else "points"}
            row["all_classes"] = hazard_row(post(client, hazard_body(outputs["hazard"], HAZARD, b, z, 0, config),
                                                 args.accept_encoding))
            rows.append(row)
        print(f"  zoom {z} done ({time.perf_counter() - t_start:.0f} s)", flush=True)
    wall = time.perf_counter() - t_start
    own = own_cpu_seconds() - own0
    others = busy_cpu_seconds() - busy0 - own
    print(f"timed part: {wall:.1f} s, this process {own / wall:.2f} cores, other processes "
          f"{max(others, 0) / wall:.2f} cores (of {os.cpu_count()}) meanwhile", flush=True)
    summary = summarise(rows, zooms)

    enc = "/".join(sorted(encodings))
    print(f"\nflood layer (lowest class {MIN_CLASS_DEFAULT}, the page default), {args.views} views per zoom; "
          f"Content-Encoding {enc}; ms = in-process wall time of the request; MB = 1e6 bytes")
    print("| zoom | res | hexagons p50 / max | callback ms p50 / p95 | layers fn ms p50 / p95 | "
          "to_json + compress ms p50 | transferred MB p95 / max | uncompressed MB max |")
    print("|---|---|---|---|---|---|---|---|")
    for z, s in summary.items():
        print(f"| {z} | {'/'.join(map(str, s['res']))} | {s['hex_p50']:.0f} / {s['hex_max']} | "
              f"{s['hazard_ms_p50']:.1f} / {s['hazard_ms_p95']:.1f} | {s['direct_ms_p50']:.1f} / {s['direct_ms_p95']:.1f} | "
              f"{s['to_json_ms_p50']:.1f} + {s['compress_ms_p50']:.1f} | {mb(s['hazard_bytes_p95'])} / "
              f"{mb(s['hazard_bytes_max'])} | {mb(s['hazard_plain_max'])} |")
    print("\nenterprises layer (aggregated per hexagon below zoom 10) and the whole view (flood + enterprises)")
    print("| zoom | mode | features max | callback ms p50 / p95 | transferred MB max | view MB p95 / max |")
    print("|---|---|---|---|---|---|")
    for z, s in summary.items():
        print(f"| {z} | {'/'.join(s['ent_mode'])} | {s['ent_features_max']} | {s['ent_ms_p50']:.1f} / "
              f"{s['ent_ms_p95']:.1f} | {mb(s['ent_bytes_max'])} | {mb(s['view_bytes_p95'])} / {mb(s['view_bytes_max'])} |")
    print("\nflood layer, all classes (lowest class 0: the largest payload a user can ask for)")
    print("| zoom | hexagons max | callback ms p95 | transferred MB max | uncompressed MB max |")
    print("|---|---|---|---|---|")
    for z, s in summary.items():
        print(f"| {z} | {s['all_hex_max']} | {s['all_ms_p95']:.1f} | {mb(s['all_bytes_max'])} | {mb(s['all_plain_max'])} |")

    def overall(key: str) -> list[float]:
        return [r[key]["ms"] for r in rows]

    view_max = max(s["view_bytes_max"] for s in summary.values())
    all_max = max(s["all_bytes_max"] for s in summary.values())
    hz_max = max(s["hazard_bytes_max"] for s in summary.values())
    worst = {k: max((pct([r[k]["ms"] for r in rows if r["zoom"] == z], 95), z) for z in zooms)
             for k in ("hazard", "enterprises", "all_classes")}
    print(f"\ncard click (show_card, warm): {card['ms']:.1f} ms, {card['bytes']} B")
    print(f"\nTargets ({len(rows)} views):")
    print(f"  payload per view <= {TARGET_BYTES / 1e6:.1f} MB transferred: largest view (flood + enterprises) "
          f"{mb(view_max)} MB -> {verdict(view_max <= TARGET_BYTES)}; flood with all classes "
          f"{mb(all_max)} MB -> {verdict(all_max <= TARGET_BYTES)}")
    for k, name in (("hazard", "flood"), ("enterprises", "enterprises"), ("all_classes", "flood, all classes")):
        p95 = pct(overall(k), 95)
        print(f"  server time p95 <= {TARGET_P95_MS:.0f} ms, {name}: all views {p95:.1f} ms -> "
              f"{verdict(p95 <= TARGET_P95_MS)}; worst zoom {worst[k][1]}: {worst[k][0]:.1f} ms -> "
              f"{verdict(worst[k][0] <= TARGET_P95_MS)}")
    result = {"args": {k: str(v) for k, v in vars(args).items()}, "encoding": enc, "summary": summary,
              "card_ms": card["ms"], "loadavg_end": os.getloadavg(),
              "timed_s": wall, "own_cores": own / wall, "other_cores": max(others, 0) / wall}
    if not args.skip_reference:
        ref = reference_geojson(store, HAZARD, REFERENCE_RES)
        result["reference"] = ref
        r_raw, r_gz = ref["bytes"] / hz_max, ref["gzip_bytes"] / hz_max
        print(f"  reference: all {ref['cells']:,} res-{REFERENCE_RES} {HAZARD} cells as GeoJSON polygons "
              f"{mb(ref['bytes'])} MB ({mb(ref['gzip_bytes'])} MB gzip; built in {ref['seconds']:.1f} s); "
              f"largest per-view flood payload {mb(hz_max)} MB transferred -> ratio {r_raw:.0f}x "
              f"(gzip reference {r_gz:.0f}x) -> {verdict(r_raw >= TARGET_RATIO)} (>= {TARGET_RATIO:.0f}x); "
              f"against the all-classes maximum {mb(all_max)} MB: {ref['bytes'] / all_max:.0f}x "
              f"(gzip {ref['gzip_bytes'] / all_max:.0f}x)")
    print(f"loadavg at the end {os.getloadavg()[0]:.2f}", flush=True)
    if args.json:
        args.json.write_text(json.dumps({**result, "rows": rows}, indent=1, default=str))
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
