"""A tiny hand-made store (two provinces, a few counties, facilities and hazard cells with known
answers) shared by the layers tests: ``build_world(path)`` writes it."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import h3
import pandas as pd
import shapely

from etl import schema

RESOLUTIONS = [7, 8]
#: Standards of the tiny world's variants (a region file's ``[standards]``).
STANDARDS = {"hours_by_tier": {"county": 6, "municipal": 8, "national": 10}, "detour": {"plain": 1.3},
             "dispatch_delay_h": 0.5, "speed_kmh": {"national": 70, "municipal": 60, "county": 50, "enterprise": 40}}
#: county -> (west, south, east, north). 139001 sits under 130100 although its prefix says
#: otherwise: membership follows ``parent``, not adcode prefixes.
BOXES = {
    "110101": (116.30, 39.85, 116.36, 39.90), "110102": (116.36, 39.85, 116.42, 39.90),
    "130102": (114.40, 38.00, 114.46, 38.05), "130104": (114.46, 38.00, 114.52, 38.05),
    "139001": (114.40, 38.05, 114.46, 38.10), "130202": (118.10, 39.60, 118.16, 39.65),
}
UNITS = [  # adcode, name, level, parent
    ("110000", "北京市", "province", None), ("110100", "北京市", "city", "110000"),
    ("110101", "东城区", "county", "110100"), ("110102", "西城区", "county", "110100"),
    ("130000", "河北省", "province", None), ("130100", "石家庄市", "city", "130000"),
    ("130102", "长安区", "county", "130100"), ("130104", "桥西区", "county", "130100"),
    ("139001", "定州市", "county", "130100"), ("130200", "唐山市", "city", "130000"),
    ("130202", "路南区", "county", "130200"),
]
#: Hazard layers in store order (not alphabetical): name, units, breaks, labels.
LAYERS = [("wildfire", "1/yr", [0.01, 0.02], ["low", "mid", "high"]),
          ("earthquake", "g", [0.1, 0.2, 0.3], ["<0.1", "0.1", "0.2", ">=0.3"])]
#: hazard -> county -> share of pixels >= each break (counties not listed: no data).
SHARES = {
    "earthquake": {"110101": [1.0, 0.5, 0.25], "110102": [1.0, 1.0, 1.0], "130102": [0.5, 0.0, 0.0],
                   "130104": [0.0, 0.0, 0.0], "139001": [1.0, 0.75, 0.0]},
    "wildfire": {"110101": [1.0, 0.2]},
}
MAX = {"earthquake": {"110101": 0.35, "110102": 0.5, "130102": 0.15, "130104": 0.05,
                      "139001": 0.25}, "wildfire": {"110101": 0.025}}
#: entity -> id, county, (lat, lng) offset from the county's south-west corner, extra columns.
FACILITIES = {
    "parks": [
        ("P1", "110101", (0.02, 0.02), {"level": "national_demo", "chains": ["rescue", "medical"]}),
        ("P2", "110101", (0.03, 0.03), {"level": "provincial", "chains": ["comms"]}),
        ("P3", "130102", (0.02, 0.02), {"level": "cluster", "chains": []}),
        ("P4", "139001", (0.02, 0.02), {"level": None, "chains": ["rescue"]}),
    ],
    "enterprises": [
        ("E1", "110101", (0.02, 0.02), {"chains": ["comms", "rescue"], "above_size": True,
                                        "leading": True, "output_yi": 12.5}),
        ("E2", "110102", (0.02, 0.02), {"chains": ["comms"], "above_size": False,
                                        "leading": False, "output_yi": 1.0}),
        ("E3", "130102", (0.02, 0.02), {"chains": ["medical", "medical"], "above_size": True,
                                        "leading": False, "output_yi": None}),
        ("E4", "130104", (0.02, 0.02), {"chains": [], "above_size": False, "leading": False,
                                        "output_yi": None}),
        ("E5", "139001", (0.03, 0.01), {"chains": ["rescue"], "above_size": True,
                                        "leading": False, "output_yi": 3.0}),
    ],
    "reserves": [
        ("R1", "110101", (0.021, 0.021), {"tier": "county", "kind": "physical"}),
        ("R2", "110101", (0.04, 0.05), {"tier": "national", "kind": "physical"}),
        ("R3", "130102", (0.02, 0.02), {"tier": "county", "kind": "capacity"}),
        ("R4", "130202", (0.02, 0.02), {"tier": "municipal", "kind": "physical"}),
        ("R5", "139001", (0.02, 0.02), {"tier": "county", "kind": "physical"}),
    ],
}
PARENT = {a: p for a, _, _, p in UNITS}


def ancestors(county: str) -> dict[str, str]:
    """``{county, city, province}`` codes of a county."""
    city = PARENT[county]
    return {"county": county, "city": city, "province": PARENT[city]}


def county_cells(county: str, res: int) -> list[int]:
    """The cells centred in a county's box (what the ETL's polygon fill gives)."""
    w, s, e, n = BOXES[county]
    return sorted(h3.str_to_int(c) for c in h3.h3shape_to_cells(
        h3.LatLngPoly([(s, w), (s, e), (n, e), (n, w)]), res))


def position(entity: str, fid: str) -> tuple[float, float]:
    """lat, lng of a facility of ``FACILITIES``."""
    _, county, (dlat, dlng), _ = next(f for f in FACILITIES[entity] if f[0] == fid)
    return BOXES[county][1] + dlat, BOXES[county][0] + dlng


def _insert(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame) -> None:
    con.register("df", df)
    cols = ", ".join(schema.quote(c) for c in df.columns)
    con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM df")
    con.unregister("df")


def build_world(path: Path) -> None:
    """Write the tiny store described by the constants above to ``path``."""
    con = duckdb.connect(str(path))
    for name, ddl in schema.TABLES.items():
        con.execute(f"CREATE TABLE {name} ({ddl})")
    meta = {"schema_version": schema.SCHEMA_VERSION, "resolutions": RESOLUTIONS,
            "bbox": [114.0, 37.5, 118.5, 40.5], "build_id": "tiny-world-1"}
    con.executemany("INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()])
    geoms = {c: shapely.box(*b) for c, b in BOXES.items()}
    for code, _, level, _ in UNITS[::-1]:  # counties first, then their parents
        if code not in geoms:
            geoms[code] = shapely.union_all([g for c, g in geoms.items() if PARENT.get(c) == code])
    _insert(con, "admin_units", pd.DataFrame([{
        "adcode": a, "name": n, "level": lv, "parent": p, "lon": geoms[a].centroid.x,
        "lat": geoms[a].centroid.y, "area_km2": 1000.0 + i, "bbox": list(geoms[a].bounds),
        "geometry": shapely.to_wkb(geoms[a])} for i, (a, n, lv, p) in enumerate(UNITS)]))
    _insert(con, "admin_cells", pd.DataFrame(
        [{"res": r, "cell": c, **ancestors(county)} for county in BOXES for r in RESOLUTIONS
         for c in county_cells(county, r)]).astype({"res": "int8", "cell": "uint64"}))
    con.executemany("INSERT INTO hazard_layers VALUES (?, 'src', 1, ?, ?, ?, true, 'EPSG:4326', "
                    "10, 10, '0.01', NULL)", [list(layer) for layer in LAYERS])
    rows = []
    for hazard, by_county in SHARES.items():
        breaks = next(b for h, _, b, _ in LAYERS if h == hazard)
        for county, shares in by_county.items():
            top = MAX[hazard][county]
            for r in RESOLUTIONS:
                rows += [{"hazard": hazard, "res": r, "cell": c, "count": 3, "min": 0.0, "max": top,
                          "mean": top / 2, "p90": top * 0.9, "class": sum(b <= top for b in breaks),
                          "shares": shares, "sampled": r == 8} for c in county_cells(county, r)]
    _insert(con, "hazard_cells", pd.DataFrame(rows).astype(
        {"res": "int8", "cell": "uint64", "class": "int8"}))
    cells = []
    for entity, items in FACILITIES.items():
        con.execute("INSERT INTO sources VALUES (?, ?, ?, 'x', 9, 9, 0, true, NULL)",
                    [f"test_{entity}", entity, f"geodata/test/{entity}.csv"])
        df = pd.DataFrame([{"id": fid, "name": f"名称{fid}", "lon": position(entity, fid)[1],
                            "lat": position(entity, fid)[0], "precision": "exact",
                            "adcode": county, "address": None, "synthetic": True,
                            "source": f"test_{entity}", "source_row": i + 2, **extra}
                           for i, (fid, county, _, extra) in enumerate(items)])
        if entity == "enterprises":
            df["listed"] = False
        if entity == "reserves":
            df["categories"] = [["帐篷"]] * len(df)
        _insert(con, entity, df)
        cells += [{"entity": entity, "id": fid, "res": r,
                   "cell": h3.str_to_int(h3.latlng_to_cell(*position(entity, fid), r))}
                  for fid, *_ in items for r in RESOLUTIONS]
    _insert(con, "entity_cells", pd.DataFrame(cells).astype({"res": "int8", "cell": "uint64"}))
    con.close()
