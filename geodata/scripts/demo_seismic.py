"""Extract the REAL seismic demo layers for Jing-Jin-Ji from ``../shared/realdata`` (run once).

Run from the project root::

    .venv/bin/python geodata/scripts/demo_seismic.py

Writes, unchanged apart from the selection:

- ``geodata/jjj/earthquakes_cncat_jjj.txt``: the rows of ``china_earthquakes_cncat_mw.txt``
  with 36–42.5° N and 113–120° E (677 events, AD 294 to 2016, in the
  file's own tab-separated UTF-8-with-BOM format and header).
- ``geodata/jjj/active_faults_jjj.geojson``: the polylines of ``china_active_faults_2010.shp``
  whose extent touches the same box grown by 1° (so distances up to ≈ 90 km are exact
  everywhere in the region), coordinates as published (geographic degrees, datum not
  stated), with ``fid`` = the feature's row in the source file.

Source: repository igp-gravity/geoist, commit 658aadab (MIT, Copyright (c) 2018 Steve Chen;
``LICENSE-geoist.txt``). The catalogue's compiler is not documented there: "compiled
catalogue, provenance not stated".
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyogrio
import shapely

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT.parent / "shared" / "realdata"
OUT = ROOT / "geodata" / "jjj"
BOX = (113.0, 36.0, 120.0, 42.5)  # lon_min, lat_min, lon_max, lat_max
FAULT_MARGIN_DEG = 1.0


def extract_catalogue() -> int:
    lines = (REAL / "china_earthquakes_cncat_mw.txt").read_text(encoding="utf-8-sig").splitlines()
    head, rows = lines[0], lines[1:]
    cols = head.split("\t")
    ilat, ilon = cols.index("lat"), cols.index("lon")
    keep = [r for r in rows if BOX[1] <= float(r.split("\t")[ilat]) <= BOX[3]
            and BOX[0] <= float(r.split("\t")[ilon]) <= BOX[2]]
    (OUT / "earthquakes_cncat_jjj.txt").write_text("\n".join([head, *keep]) + "\n", encoding="utf-8-sig")
    return len(keep)


def extract_faults() -> int:
    df = pyogrio.read_dataframe(REAL / "china_active_faults_2010.shp")
    geoms = np.asarray(df.geometry.values, dtype=object)
    x0, y0, x1, y1 = (BOX[0] - FAULT_MARGIN_DEG, BOX[1] - FAULT_MARGIN_DEG,
                      BOX[2] + FAULT_MARGIN_DEG, BOX[3] + FAULT_MARGIN_DEG)
    feats = []
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            continue
        a, b, c, d = g.bounds
        if c >= x0 and a <= x1 and d >= y0 and b <= y1:
            feats.append({"type": "Feature", "properties": {"fid": i + 1},
                          "geometry": json.loads(shapely.to_geojson(g))})
    (OUT / "active_faults_jjj.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": feats}, separators=(",", ":")), encoding="utf-8")
    return len(feats)


if __name__ == "__main__":
    print(f"earthquakes: {extract_catalogue()} events; faults: {extract_faults()} polylines")
