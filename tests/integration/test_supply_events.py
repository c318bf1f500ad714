"""Needs of dispatch events (point, polygon, quake) on the demo store, against an independent oracle.

The oracle does not use ``layers``: it finds the event's cells with h3 and its own haversine (and
its own PGA -> intensity), reads people from ``exposure_cells`` and the region's counties from
``admin_cells`` with plain SQL, and multiplies by the region file's event shares and the
catalogue's norms as stored.
"""

from __future__ import annotations

import json
import math

import duckdb
import h3
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from etl.cli import main
from layers.analysis.supply_events import SupplyEventError, event_supply_from_store

R_KM = 6371.0088
POINT = (116.85, 38.30)  # 沧州 city


def _hav(lon1, lat1, lon2, lat2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * R_KM * math.asin(math.sqrt(min(a, 1.0)))


def _disk(lon, lat, km, res):
    """Cells whose centre lies within km of the point: a generous grid disk filtered by distance."""
    origin = h3.latlng_to_cell(lat, lon, res)
    k = int(km / h3.average_hexagon_edge_length(res, "km")) + 3  # generous: local cells can be smaller
    out = {}
    for c in h3.grid_disk(origin, k):
        clat, clon = h3.cell_to_latlng(c)
        d = _hav(lon, lat, clon, clat)
        if d <= km:
            out[h3.str_to_int(c)] = d
    return out


def _oracle(db, cells: dict[int, float], res: int, share_of) -> pd.DataFrame:
    """People per region cell of the event x shares: county, affected, displaced (plain SQL)."""
    con = duckdb.connect(str(db), read_only=True)
    ev = pd.DataFrame({"cell": np.array(list(cells), np.uint64), "v": list(cells.values())})
    df = con.execute("SELECT e.cell, e.population, a.county FROM exposure_cells e JOIN admin_cells a "
                     "USING (res, cell) JOIN ev USING (cell) WHERE e.res = ? AND a.county IS NOT NULL "
                     "AND e.population > 0", [res]).df()
    meta = json.loads(con.execute("SELECT value FROM meta WHERE key = 'materials'").fetchone()[0])
    norms = con.execute("SELECT material, hazard, per, quantity, per_day FROM material_norms").df()
    con.close()
    df = df.merge(ev, on="cell")
    aff, dis = zip(*(share_of(meta, v) for v in df["v"]))
    df["affected"], df["displaced"] = df["population"] * np.array(aff), df["population"] * np.array(dis)
    return df, meta, norms


def _need(df, meta, norms, material, hazard):
    rows = norms[(norms["material"] == material) & norms["hazard"].isin([hazard, "*"])]
    row = rows.sort_values("hazard", key=lambda s: s.eq("*")).iloc[0]
    q = float(row["quantity"]) * (float(meta.get("days", 1)) if row["per_day"] else 1.0)
    assert row["per"] in ("affected", "displaced", "household")
    base = df["affected"] if row["per"] == "affected" else df["displaced"]
    if row["per"] == "household":
        base = base / float(meta["household_size"])
    return (base * q).groupby(df["county"]).sum()


def test_point_event_need_equals_the_oracle(demo_store, demo_db):
    cells = _disk(*POINT, 12.0, 7)
    df, meta, norms = _oracle(demo_db, cells, 7, lambda m, _: (m["event_shares"]["footprint"]["affected"][0],
                                                                   m["event_shares"]["footprint"]["displaced"][0]))
    result, flows, summary, event = event_supply_from_store(demo_store, at=POINT, radius_km=12.0, res=7,
                                                            materials=["帐篷", "饮用水", "棉被"])
    assert set(event.cells.tolist()) == set(cells)
    assert summary["affected"] == pytest.approx(df["affected"].sum(), rel=1e-9)
    assert summary["hazard"] == "flood" and summary["event"]["shares"] == "footprint"
    for code in ("tent", "water", "quilt"):
        want = _need(df, meta, norms, code, "flood")
        got = result[(result["material"] == code) & (result["deadline_h"] == 24)].set_index("adcode")["need"]
        pd.testing.assert_series_equal(got.sort_index(), want[want > 0].sort_index(), check_names=False,
                                       check_index_type=False, rtol=1e-9)
    # the allocation's properties hold for the event as for a hazard scenario
    assert (result["arrived"] <= result["need"] + 1e-6).all() and (flows["hours"] <= flows["deadline_h"] + 1e-6).all()
    got = flows.groupby(["deadline_h", "adcode", "material"])["quantity"].sum()
    arrived = result.set_index(["deadline_h", "adcode", "material"])["arrived"]
    assert np.allclose(got, arrived.reindex(got.index))


def test_quake_event_uses_intensity_classes(demo_store, demo_db):
    lon, lat, mag = 118.18, 39.63, 7.0

    def pga(km):
        return math.exp(0.881 + 0.58 * mag - 1.5 * math.log(km + 70.0))

    def share(m, km):
        ms2 = pga(km) * 9.80665
        k = sum(ms2 >= b for b in (0.45, 0.90, 1.78, 3.54, 7.08))  # class V or less .. X
        s = m["event_shares"]["intensity"]
        return s["affected"][k], s["displaced"][k]

    r_max = math.exp((0.881 + 0.58 * mag - math.log(0.1)) / 1.5) - 70.0
    cells = _disk(lon, lat, r_max, 7)
    df, meta, norms = _oracle(demo_db, cells, 7, share)
    result, _, summary, event = event_supply_from_store(demo_store, quake=(lon, lat, mag), res=7,
                                                        materials=["tent", "coat"])
    assert summary["hazard"] == "earthquake" and summary["event"]["shares"] == "intensity"
    assert summary["displaced"] == pytest.approx(df["displaced"].sum(), rel=1e-9)
    for code in ("tent", "coat"):
        want = _need(df, meta, norms, code, "earthquake").sum()
        got = result[(result["material"] == code) & (result["deadline_h"] == 6)]["need"].sum()
        assert got == pytest.approx(want, rel=1e-9)
    assert result["shortfall"].sum() >= 0 and len(result["adcode"].unique()) == len(df["county"].unique())


def test_polygon_event_with_an_intensity_class(demo_store, demo_db):
    ring = [[116.7, 38.2], [117.0, 38.2], [117.0, 38.4], [116.7, 38.4], [116.7, 38.2]]
    poly = {"type": "Polygon", "coordinates": [ring]}
    result, _, summary, event = event_supply_from_store(demo_store, polygon=poly, intensity=8, res=7,
                                                        materials=["tent"])
    cells = {h3.str_to_int(c): 0.0 for c in h3.geo_to_cells(poly, 7)}
    assert set(event.cells.tolist()) == set(cells)
    df, meta, norms = _oracle(demo_db, cells, 7, lambda m, _: (m["event_shares"]["intensity"]["affected"][3],
                                                                   m["event_shares"]["intensity"]["displaced"][3]))
    assert summary["event"]["intensity"] == {"Ⅷ": len(event.cells)}
    want = _need(df, meta, norms, "tent", "flood").sum()
    assert result[result["deadline_h"] == 12]["need"].sum() == pytest.approx(want, rel=1e-9)


def test_cli_event_examples(demo_db, tmp_path):
    out, flows = tmp_path / "s.csv", tmp_path / "f.csv"
    res = CliRunner().invoke(main, ["analyze", "supply", "--db", str(demo_db), "--at", "116.85,38.30",
                                    "--radius-km", "12", "--material", "帐篷", "--deadline", "6,24",
                                    "--out", str(out), "--flows-out", str(flows)])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["event"]["kind"] == "point" and summary["deadlines_h"] == [6.0, 24.0]
    table = pd.read_csv(out, encoding="utf-8-sig", dtype={"adcode": str})
    assert table["need"].sum() == pytest.approx(sum(r["need"] for r in summary["per_material"]), rel=1e-6)
    geo = tmp_path / "area.geojson"
    geo.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [
        [[116.7, 38.2], [117.0, 38.2], [117.0, 38.4], [116.7, 38.4], [116.7, 38.2]]]}}), encoding="utf-8")
    for args in (["--polygon", str(geo)], ["--quake", "118.18,39.63,6.5", "--min-pga", "0.12"]):
        res = CliRunner().invoke(main, ["analyze", "supply", "--db", str(demo_db), *args, "--material", "tent",
                                        "--out", str(out)])
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["event"]["kind"] in ("polygon", "quake")


@pytest.mark.parametrize(("args", "zh"), [
    (["--at", "116.85,38.30", "--quake", "118.18,39.63,6.5"], "应只给一个"),
    (["--at", "116.85,38.30"], "半径（千米）：未填写"),
    (["--at", "38.30,116.85", "--radius-km", "5"], "看起来写反了"),
    (["--at", "116.85,38.30", "--radius-km", "-3"], "应为大于 0"),
    (["--at", "116.85,38.30", "--radius-km", "5", "--intensity", "12"], "应为 5 到 10 的整数"),
    (["--quake", "118.18,39.63,9.5"], "震级：收到 9.5"),
    (["--quake", "118.18,39.63,4", "--min-pga", "0.5"], "高于 4 级地震的震中峰值加速度"),
    (["--at", "100.0,30.0", "--radius-km", "5"], "没有本区域的人口"),
    (["--at", "116.85,38.30", "--radius-km", "5", "--min-class", "3"], "事件情景不能同时使用"),
    (["--radius-km", "5"], "只用于事件情景"),
    (["--polygon", "missing.geojson"], "无法读取或不是 GeoJSON"),
])
def test_cli_bad_event_input_is_explained_in_chinese(demo_db, tmp_path, args, zh):
    res = CliRunner().invoke(main, ["analyze", "supply", "--db", str(demo_db), *args, "--out", str(tmp_path / "s.csv")])
    assert res.exit_code == 2, res.output
    assert zh in res.output and "Traceback" not in res.output and "found" not in res.output
    en = CliRunner().invoke(main, ["--lang", "en", "analyze", "supply", "--db", str(demo_db), *args,
                                   "--out", str(tmp_path / "s.csv")])
    assert en.exit_code == 2 and "expected" in en.output


def test_bad_polygon_is_a_supply_event_error(demo_store):
    with pytest.raises(SupplyEventError) as err:
        event_supply_from_store(demo_store, polygon={"type": "Polygon", "coordinates": [[[116.7, 38.2], [117, 38.2]]]})
    assert "多边形无效" in err.value.zh and "expected" in str(err.value)


def test_cli_siting_of_a_material(demo_db, tmp_path):
    out, units = tmp_path / "sites.csv", tmp_path / "units.csv"
    res = CliRunner().invoke(main, ["analyze", "siting", "--db", str(demo_db), "--material", "帐篷", "--capacity",
                                    "20000", "-k", "2", "--min-class", "3", "--out", str(out),
                                    "--demand-out", str(units)])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    sites = pd.read_csv(out, encoding="utf-8-sig")
    table = pd.read_csv(units, encoding="utf-8-sig", dtype={"adcode": str})
    assert len(sites) == summary["new_sites"] == 2 and (sites["quantity"] <= 20000 + 1e-6).all()
    assert summary["status"] == "optimal" and summary["fill_after"] > summary["fill_before"]
    # the sites' covers explain the gain, and the counties' totals agree with the summary
    assert sites["covers"].sum() == pytest.approx(table["after"].sum() - table["before"].sum(), rel=1e-6)
    assert table["need"].sum() == pytest.approx(summary["need"], rel=1e-6)
    fixed = CliRunner().invoke(main, ["analyze", "siting", "--db", str(demo_db), "--material", "tent",
                                      "--quantity-per-site", "5000", "-k", "1", "--min-class", "3", "--out", str(out)])
    assert fixed.exit_code == 0, fixed.output
    assert json.loads(fixed.stdout)["stocked"] == 5000
    for args in (["--capacity", "10"], ["--material", "帐篷", "--capacity", "10", "--quantity-per-site", "5"],
                 ["--material", "帐篷", "--capacity", "-1"], ["--material", "救生筏", "--capacity", "5"]):
        bad = CliRunner().invoke(main, ["analyze", "siting", "--db", str(demo_db), "-k", "1", *args, "--out", str(out)])
        assert bad.exit_code == 2 and "Traceback" not in bad.output, bad.output
    zh = CliRunner().invoke(main, ["analyze", "siting", "--db", str(demo_db), "-k", "1", "--material", "帐篷",
                                   "--capacity", "-1", "--out", str(out)])
    assert "每处储备上限：收到 -1" in zh.output and "found" not in zh.output
