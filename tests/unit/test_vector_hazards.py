"""Vector hazard layers (zones, events, lines) against independent oracles.

- zones: per cell, shapely area of (cell ∩ zone) over the cell's area, computed cell by cell in
  the fixture's own projected CRS with overlaps resolved by explicit differences;
- events: counts, maxima and Gaussian kernel sums by plain loops (math.* haversine);
- lines: brute force over every segment with the bearing-based cross-track formula, and a
  densified great-circle sampling, neither of which the code under test uses.
"""

from __future__ import annotations

import math
from pathlib import Path

import h3
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import LineString, Polygon

from etl.cli import main
from etl.errors import DataError
from etl.vector_hazards import (
    EARTH_RADIUS_KM,
    VectorHazardSource,
    lines_to_h3,
    read_vector,
    vector_to_h3,
)
from tests.zoning_fixture import CRS as ZONING_CRS
from tests.zoning_fixture import VALUES, make_zoning

R = EARTH_RADIUS_KM
FIXTURE = Path(__file__).resolve().parents[1] / "data" / "zoning_synthetic_utm50.gpkg"


def _src(kind: str, path: Path, **kw) -> VectorHazardSource:
    base = {"hazard": "h", "kind": kind, "path": path, "units": "", "breaks": (0.1, 0.2), "labels": ()}
    return VectorHazardSource(**{**base, **kw})


# --- zones --------------------------------------------------------------------------------------


def _zone_oracle(cells: list[int], path: Path, field: str, values: dict, rule: str) -> dict[int, dict]:
    """Cell by cell in the fixture's CRS: area of each resolved value, by explicit differences."""
    import geopandas as gpd  # noqa: PLC0415

    gdf = gpd.read_parquet(path) if path.suffix == ".parquet" else gpd.read_file(path, engine="pyogrio")
    tr = pyproj.Transformer.from_crs("EPSG:4326", gdf.crs, always_xy=True)
    zones = []
    for g, v in zip(gdf.geometry, gdf[field]):
        if g is None:
            continue
        val = values.get(v) if v in values else float(v)
        zones.append((shapely.make_valid(g), val))
    order = sorted({v for _, v in zones}, reverse=(rule == "max"))
    out = {}
    for c in cells:
        ring = [tr.transform(lng, lat) for lat, lng in h3.cell_to_boundary(h3.int_to_str(c))]
        cell = Polygon(ring)
        taken = Polygon()
        by_value = {}
        for v in order:  # the winning value first, then what is left
            piece = shapely.union_all([cell.intersection(z) for z, zv in zones if zv == v])
            piece = piece.difference(taken)
            if piece.area > 1e-9 * cell.area:
                by_value[v] = piece.area
            taken = taken.union(piece)
        out[c] = {"area": cell.area, "by_value": by_value}
    return out


@pytest.mark.parametrize("suffix", [".gpkg", ".shp", ".parquet"])
def test_zones_equal_the_exact_area_oracle(tmp_path, suffix):
    path = FIXTURE if suffix == ".gpkg" else make_zoning(tmp_path / f"zoning{suffix}")
    src = _src("zones", path, field="pga", values=VALUES, breaks=(0.1, 0.15, 0.2))
    inp = read_vector(src)
    assert inp.crs == ZONING_CRS and inp.repaired == 1 and inp.rows_in == 7
    assert [r["reason_code"] for r in inp.rejects] == ["vector_no_geometry"]
    frames, info = vector_to_h3(inp, src, [8, 9])
    df = frames[9]
    oracle = _zone_oracle(df["cell"].astype(np.uint64).tolist(), path, "pga", VALUES, "max")
    assert len(df) > 100
    for row in df.to_dict("records"):
        o = oracle[int(row["cell"])]
        assert o["by_value"], "a cell no zone touches must have no row"
        covered = sum(o["by_value"].values())
        for b in (0.1, 0.15, 0.2):
            want = sum(a for v, a in o["by_value"].items() if v >= b) / o["area"]
            assert row[f"share_ge_{b:g}"] == pytest.approx(want, abs=2e-5)
        assert row["max"] == max(o["by_value"]) and row["min"] == min(o["by_value"])
        assert row["mean"] == pytest.approx(sum(v * a for v, a in o["by_value"].items()) / covered, rel=1e-4)
        assert row["count"] == pytest.approx(covered, rel=2e-3, abs=2)  # m²; UTM vs equal-area scale
        assert row["class"] == int(np.searchsorted([0.1, 0.15, 0.2], row["max"], side="right"))


def test_zones_overlap_rule_min_and_cells_outside_have_no_row(tmp_path):
    src = _src("zones", FIXTURE, field="pga", values=VALUES, overlap="min", breaks=(0.1, 0.2))
    frames, _ = vector_to_h3(read_vector(src), src, [9])
    df = frames[9]
    oracle = _zone_oracle(df["cell"].astype(np.uint64).tolist(), FIXTURE, "pga", VALUES, "min")
    for row in df.to_dict("records"):
        o = oracle[int(row["cell"])]
        assert row["max"] == max(o["by_value"])
        want = sum(a for v, a in o["by_value"].items() if v >= 0.2) / o["area"]
        assert row["share_ge_0.2"] == pytest.approx(want, abs=2e-5)
    # a cell inside a hole of the "holes" zone and a cell far away: no data, not class 0
    tr = pyproj.Transformer.from_crs(ZONING_CRS, "EPSG:4326", always_xy=True)
    from tests.zoning_fixture import X0, Y0  # noqa: PLC0415

    hole = h3.str_to_int(h3.latlng_to_cell(*tr.transform(X0 + 1500, Y0 + 1500)[::-1], 9))
    far = h3.str_to_int(h3.latlng_to_cell(39.0, 116.0, 9))
    assert hole not in set(df["cell"].tolist()) and far not in set(df["cell"].tolist())


def test_zones_roll_up_exactly(tmp_path):
    src = _src("zones", FIXTURE, field="pga", values=VALUES, breaks=(0.1, 0.2))
    frames, _ = vector_to_h3(read_vector(src), src, [7, 8, 9])
    fine = frames[9]
    for r in (7, 8):
        coarse = frames[r].set_index("cell")
        parent = np.array([h3.str_to_int(h3.cell_to_parent(h3.int_to_str(int(c)), r)) for c in fine["cell"]], np.uint64)
        g = fine.assign(parent=parent).groupby("parent")
        assert coarse["count"].sum() == fine["count"].sum()
        pd.testing.assert_series_equal(coarse["count"], g["count"].sum().rename("count").rename_axis("cell"), check_dtype=False)
        pd.testing.assert_series_equal(coarse["max"], g["max"].max().rename_axis("cell"), check_dtype=False)


def test_zone_class_word_without_a_value_is_rejected():
    src = _src("zones", FIXTURE, field="pga", values={})
    inp = read_vector(src)
    codes = sorted(r["reason_code"] for r in inp.rejects)
    assert codes == ["vector_no_geometry", "zone_bad_value"]
    bad = next(r for r in inp.rejects if r["reason_code"] == "zone_bad_value")
    assert bad["row_number"] == 6 and "高" in bad["reason"] and "values" in bad["reason_en"]


# --- events -------------------------------------------------------------------------------------


def _hav_km(lon1, lat1, lon2, lat2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * R * math.asin(math.sqrt(min(1.0, a)))


EVENTS_WGS = [  # lon, lat, mag, year, month, day  (zero time fields = unknown, kept)
    (117.00, 39.30, 5.1, 1976, 7, 28), (117.02, 39.31, 6.2, 1679, 0, 0), (117.30, 39.10, 4.8, 1990, 3, 1),
    (116.80, 39.50, 7.8, 1679, 9, 2), (117.005, 39.302, 4.9, 2001, 1, 1), (117.60, 39.60, 3.0, 1930, 0, 0),
]


def _events_csv(tmp_path: Path) -> Path:
    """The events in EPSG:3857 (metres) plus bad rows, Chinese headers, UTF-8 BOM."""
    tr = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    rows = ["年,月,日,x,y,震级"]
    for lon, lat, m, y, mo, d in EVENTS_WGS:
        x, yy = tr.transform(lon, lat)
        rows.append(f"{y},{mo},{d},{x:.3f},{yy:.3f},{m}")
    rows += ["1980,1,1,,,5.0",                      # no position -> reject
             "1980,13,1,13024000,4750000,5.0",       # month 13 -> reject
             "1981,1,1,13024000,4750000,12.5",       # magnitude 12.5 -> reject
             f"{2999},1,1,13024000,4750000,5.0"]     # future year -> reject
    path = tmp_path / "events.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
    return path


def test_events_max_magnitude_counts_and_rejects(tmp_path):
    src = _src("events", _events_csv(tmp_path), crs="EPSG:3857", statistic="max_magnitude", breaks=(5.0, 6.0, 7.0))
    inp = read_vector(src)
    assert inp.rows_in == 10 and len(inp.rejects) == 4 and inp.lon.size == 6  # loaded + rejected = rows
    assert [r["row_number"] for r in inp.rejects] == [8, 9, 10, 11]
    assert {r["reason_code"] for r in inp.rejects} == {"event_no_position", "event_bad_value"}
    frames, info = vector_to_h3(inp, src, [6, 8])
    for res in (6, 8):
        oracle: dict[int, list[float]] = {}
        for lon, lat, m, *_ in EVENTS_WGS:
            oracle.setdefault(h3.str_to_int(h3.latlng_to_cell(lat, lon, res)), []).append(m)
        df = frames[res].set_index("cell")
        assert sorted(df.index.tolist()) == sorted(oracle)
        for c, ms in oracle.items():
            assert df.loc[c, "count"] == len(ms) and df.loc[c, "max"] == pytest.approx(max(ms))
            assert df.loc[c, "min"] == pytest.approx(min(ms))
            assert df.loc[c, "share_ge_5"] == pytest.approx(sum(m >= 5 for m in ms) / len(ms))
            assert df.loc[c, "class"] == sum(b <= max(ms) for b in (5.0, 6.0, 7.0))


def test_events_smoothed_rate_equals_kernel_sums_by_loops(tmp_path):
    sigma, period = 10.0, (1900, 2016)
    src = _src("events", _events_csv(tmp_path), crs="EPSG:3857", statistic="smoothed_rate", min_magnitude=4.7,
               period=period, bandwidth_km=sigma, rate_per_km2=10000.0, breaks=(0.1, 1.0))
    inp = read_vector(src)
    assert inp.filtered == 3  # 1679 x2 (before the period), M3.0 (below 4.7)
    used = [(lon, lat) for lon, lat, m, y, *_ in EVENTS_WGS if m >= 4.7 and period[0] <= y <= period[1]]
    frames, _ = vector_to_h3(inp, src, [6])
    df = frames[6]
    assert df["count"].sum() == len(used)
    years = period[1] - period[0] + 1
    rng = np.random.default_rng(1)
    for i in rng.choice(len(df), size=min(60, len(df)), replace=False):
        c = int(df["cell"].iloc[i])
        lat, lon = h3.cell_to_latlng(h3.int_to_str(c))
        total = 0.0
        for elon, elat in used:
            d = _hav_km(lon, lat, elon, elat)
            if d <= 4 * sigma:
                total += math.exp(-d * d / (2 * sigma * sigma)) / (2 * math.pi * sigma * sigma)
        # the fixture stores metres with 3 decimals: positions agree to 1 mm, rates to ~1e-7
        assert df["max"].iloc[i] == pytest.approx(total / years * 10000.0, rel=1e-6, abs=1e-15)
    assert df["max"].max() > 0.1


def test_events_need_a_crs_and_a_period_for_rates(tmp_path):
    path = _events_csv(tmp_path)
    with pytest.raises(DataError) as exc:
        read_vector(_src("events", path))
    assert exc.value.problems[0].code == "vector_no_crs"
    res = CliRunner().invoke(main, ["--lang", "en", "h3stats", str(path), "--kind", "events", "--res", "6",
                                    "--crs", "EPSG:3857", "--statistic", "rate", "--out", str(tmp_path / "o.csv")])
    assert res.exit_code == 1 and "--period" in res.output


# --- lines --------------------------------------------------------------------------------------


def _xt_distance_km(lon, lat, lon1, lat1, lon2, lat2) -> float:
    """Point to great-circle arc by bearings (aviation formulary): cross-track if the foot lies
    on the arc, else the nearer end."""
    d13 = _hav_km(lon1, lat1, lon, lat) / R
    d12 = _hav_km(lon1, lat1, lon2, lat2) / R

    def bearing(a_lon, a_lat, b_lon, b_lat):
        p1, p2, dl = math.radians(a_lat), math.radians(b_lat), math.radians(b_lon - a_lon)
        return math.atan2(math.sin(dl) * math.cos(p2), math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl))

    if d12 == 0:
        return d13 * R
    t13, t12 = bearing(lon1, lat1, lon, lat), bearing(lon1, lat1, lon2, lat2)
    dxt = math.asin(max(-1.0, min(1.0, math.sin(d13) * math.sin(t13 - t12))))
    dat = math.acos(max(-1.0, min(1.0, math.cos(d13) / math.cos(dxt))))
    if math.cos(t13 - t12) > 0 and dat <= d12:
        return abs(dxt) * R
    return min(d13, _hav_km(lon2, lat2, lon, lat) / R) * R


def _slerp_min_km(lon, lat, lon1, lat1, lon2, lat2, n=4000) -> float:
    """Densified great-circle arc, nearest sample by haversine."""
    a = np.array([math.cos(math.radians(lat1)) * math.cos(math.radians(lon1)),
                  math.cos(math.radians(lat1)) * math.sin(math.radians(lon1)), math.sin(math.radians(lat1))])
    b = np.array([math.cos(math.radians(lat2)) * math.cos(math.radians(lon2)),
                  math.cos(math.radians(lat2)) * math.sin(math.radians(lon2)), math.sin(math.radians(lat2))])
    om = math.acos(max(-1.0, min(1.0, float(a @ b))))
    t = np.linspace(0, 1, n)
    pts = a if om == 0 else (np.sin((1 - t) * om)[:, None] * a + np.sin(t * om)[:, None] * b) / math.sin(om)
    pts = np.atleast_2d(pts)
    plat, plon = np.degrees(np.arcsin(pts[:, 2])), np.degrees(np.arctan2(pts[:, 1], pts[:, 0]))
    return min(_hav_km(lon, lat, x, y) for x, y in zip(plon, plat))


def test_lines_distance_equals_brute_force(tmp_path):
    import geopandas as gpd  # noqa: PLC0415

    wgs = [LineString([(116.9, 39.2), (117.1, 39.25), (117.2, 39.4)]),
           LineString([(117.5, 39.0), (117.5, 39.6)])]
    gdf = gpd.GeoDataFrame(geometry=wgs, crs="EPSG:4326").to_crs("EPSG:4548")  # CGCS2000 GK CM 117E
    path = tmp_path / "faults.shp"
    gdf.to_file(path, engine="pyogrio")
    src = _src("lines", path, breaks=(2.0, 5.0, 10.0, 20.0), units="km")
    inp = read_vector(src)
    assert inp.crs == "EPSG:4548"
    frames = lines_to_h3(inp, src, [6, 7])
    segs = [(x1, y1, x2, y2) for ls in inp.geoms for (x1, y1), (x2, y2) in zip(ls.coords[:-1], ls.coords[1:])]
    for res in (6, 7):
        df = frames[res]
        rng = np.random.default_rng(res)
        for i in rng.choice(len(df), size=min(40, len(df)), replace=False):
            lat, lon = h3.cell_to_latlng(h3.int_to_str(int(df["cell"].iloc[i])))
            brute = min(_xt_distance_km(lon, lat, *s) for s in segs)
            assert df["max"].iloc[i] == pytest.approx(brute, abs=1e-6)
            assert df["max"].iloc[i] == pytest.approx(min(_slerp_min_km(lon, lat, *s) for s in segs), abs=2e-3)
            assert df["class"].iloc[i] == sum(brute < b for b in (2.0, 5.0, 10.0, 20.0))


def test_lines_cli_without_crs_is_refused_until_declared(tmp_path):
    path = tmp_path / "nocrs.shp"
    import geopandas as gpd  # noqa: PLC0415

    with pytest.warns(UserWarning, match="crs"):  # a shapefile without .prj, as published
        gpd.GeoDataFrame(geometry=[LineString([(117.0, 39.0), (117.2, 39.1)])]).to_file(path, engine="pyogrio")
    args = ["h3stats", str(path), "--kind", "lines", "--res", "6", "--classes", "5,10", "--out", str(tmp_path / "d.csv")]
    res = CliRunner().invoke(main, ["--lang", "en", *args])
    assert res.exit_code == 1 and "--crs" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(main, ["--lang", "en", *args, "--crs", "EPSG:4326"])
    assert res.exit_code == 0, res.output
    out = pd.read_csv(tmp_path / "d.csv")
    assert list(out.columns) == ["cell", "distance_km", "class"] and out["distance_km"].min() < 5


# --- the real catalogue and faults (../shared/realdata) -----------------------------------------


@pytest.mark.realdata
def test_real_catalogue_jjj_events_accounted_and_maxima(realdata):
    src = _src("events", realdata / "china_earthquakes_cncat_mw.txt", crs="WGS84", breaks=(5.0, 6.0, 7.0))
    inp = read_vector(src)
    assert inp.lon.size + len(inp.rejects) == inp.rows_in == 40_800  # every row loaded or rejected
    box = (inp.lon >= 113) & (inp.lon <= 120) & (inp.lat >= 36) & (inp.lat <= 42.5)
    assert int(box.sum()) == 677
    frames, _ = vector_to_h3(inp, src, [7])
    df = frames[7].set_index("cell")
    tangshan = h3.str_to_int(h3.latlng_to_cell(39.62, 118.10, 7))
    sanhe = h3.str_to_int(h3.latlng_to_cell(40.00, 117.00, 7))
    assert df.loc[tangshan, "max"] == 7.5 and df.loc[sanhe, "max"] == 7.8
    # zh headers (年,月,日,时,分,秒,纬,经,mw): the same reader maps 纬/经/mw
    path = realdata / "china_earthquakes_1965_zh_headers.csv"
    inp2 = read_vector(_src("events", path, crs="WGS84", breaks=(5.0,)))
    rows = sum(1 for line in path.read_text(encoding="utf-8-sig").splitlines()[1:] if line.strip(", "))
    assert inp2.lon.size + len(inp2.rejects) == inp2.rows_in == rows
    # a few garbled rows ("-7.80,00,00,e+,02,0,,,") have no position: rejected, with their row
    assert {r["reason_code"] for r in inp2.rejects} == {"event_no_position"} and 0 < len(inp2.rejects) < 20


@pytest.mark.realdata
def test_real_faults_need_a_crs_and_distances_equal_brute_force(realdata):
    path = realdata / "china_active_faults_2010.shp"
    with pytest.raises(DataError) as exc:
        read_vector(_src("lines", path))
    p = exc.value.problems[0]
    assert p.code == "vector_no_crs" and "crs = " in p.text("en") and "[hazards.h]" in p.text("en")
    src = _src("lines", path, crs="EPSG:4326", breaks=(5.0, 10.0, 20.0, 50.0))
    inp = read_vector(src)
    assert inp.geoms.size + len(inp.rejects) == 5853 and len(inp.rejects) == 13
    rng = np.random.default_rng(17)
    lon, lat = rng.uniform(113.5, 119.8, 60), rng.uniform(36.1, 42.5, 60)
    cells = np.unique([h3.str_to_int(h3.latlng_to_cell(y, x, 7)) for x, y in zip(lon, lat)]).astype(np.uint64)
    df = lines_to_h3(inp, src, [7], finest_cells=cells)[7]
    coords = [np.asarray(part.coords) for g in inp.geoms for part in shapely.get_parts(g)]
    segs = np.concatenate([np.column_stack([c[:-1], c[1:]]) for c in coords])
    # segments more than 4° of longitude / 3° of latitude (> 330 km) from the sample box
    inbox = (segs[:, [0, 2]].max(1) > 109.5) & (segs[:, [0, 2]].min(1) < 123.8) & (segs[:, [1, 3]].max(1) > 33.1) \
        & (segs[:, [1, 3]].min(1) < 45.5)
    assert inbox.sum() > 1000
    for c, got in zip(df["cell"], df["max"]):
        clat, clon = h3.cell_to_latlng(h3.int_to_str(int(c)))
        brute = min(_xt_distance_km(clon, clat, *s) for s in segs[inbox])
        assert got == pytest.approx(brute, abs=1e-6)
        assert brute < 300  # every JJJ cell lies within 300 km of a mapped fault, so the box is ample
