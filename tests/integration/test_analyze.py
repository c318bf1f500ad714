"""``onemap analyze``: the CLI around the analyses, on the demo store."""

from __future__ import annotations

import json

import h3
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from etl.cli import main
from layers import Store


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_access_writes_one_row_per_cell_and_tier(demo_db, tmp_path):
    out = tmp_path / "access.csv"
    result = run("analyze", "access", "--db", str(demo_db), "--res", "6", "--out", str(out))
    assert result.exit_code == 0, result.output
    df = pd.read_csv(out, encoding="utf-8-sig")
    assert list(df.columns) == ["cell", "tier", "rank", "facility_id", "gc_km", "road_km", "hours"]
    assert set(df["tier"]) == {"national", "provincial", "municipal", "county", "rescue", "enterprise"}
    assert df.groupby("tier").size().nunique() == 1 and all(h3.get_resolution(c) == 6 for c in df["cell"][:50])
    assert (df["road_km"] >= 1.3 * df["gc_km"] - 1e-9).all() and (df["hours"] >= 0.5).all()


def test_access_chains_with_overrides_to_xlsx(demo_db, tmp_path):
    out = tmp_path / "chains.xlsx"
    result = run("--lang", "en", "analyze", "access", "--db", str(demo_db), "--res", "5", "--groups", "chains",
                 "--hazard", "wildfire", "--speed", "enterprise=40", "--delay", "0", "-k", "2", "--out", str(out))
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb.sheetnames == ["access", "about"]
    df = pd.read_excel(out, sheet_name="access")
    assert set(df["tier"]) == {"firefighting", "unmanned", "warning", "comms", "transport"}
    assert set(df["rank"]) == {1, 2}
    first = df[df["rank"] == 1]
    assert abs((first["hours"] - first["road_km"] / 40).abs().max()) < 1e-6  # no delay, 40 km/h


def test_bad_parameters_exit_2_with_the_reason(demo_db, tmp_path):
    result = run("analyze", "access", "--db", str(demo_db), "--groups", "chains", "--out", str(tmp_path / "a.csv"))
    assert result.exit_code == 2 and "hazard" in result.output
    result = run("--lang", "en", "analyze", "access", "--db", str(demo_db), "--speed", "county=-5",
                 "--out", str(tmp_path / "a.csv"))
    assert result.exit_code == 2 and "speed_kmh.county: found -5.0" in result.output
    result = run("analyze", "access", "--db", str(demo_db), "--out", str(tmp_path / "a.shp"))
    assert result.exit_code == 2 and ".geojson" in result.output
    result = run("analyze", "access", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "a.csv"))
    assert result.exit_code == 1 and "onemap build" in result.output


def test_gaps_flood_by_county_to_csv(demo_db, tmp_path):
    out = tmp_path / "gaps.csv"
    result = run("analyze", "gaps", "--db", str(demo_db), "--hazard", "flood", "--res", "6",
                 "--level", "county", "--out", str(out))
    assert result.exit_code == 0, result.output
    df = pd.read_csv(out, encoding="utf-8-sig", dtype={"adcode": str})
    tiers = ["national", "provincial", "municipal", "county"]
    assert list(df.columns) == ["level", "adcode", "name", "at_risk_cells", "at_risk_area_km2", "population",
                                "gap_area_km2", *[f"share_covered_{t}" for t in tiers], "worst_hours",
                                "p90_hours", "has_county_depot", "counties_without_county_depot",
                                "missing_chains"]
    assert len(df) > 0 and set(df["level"]) == {"county"}
    shares = df[[f"share_covered_{t}" for t in tiers]]
    assert ((shares >= 0) & (shares <= 1)).all().all()
    assert (df["gap_area_km2"] <= df["at_risk_area_km2"] + 1e-9).all() and (df["p90_hours"] <= df["worst_hours"]).all()


DISPATCH_COLUMNS = ["rank", "kind", "id", "name", "tier", "chains", "capacity", "capacity_unit", "lon", "lat",
                    "gc_km", "road_km", "hours", "hours_edge", "standard_h", "meets_standard", "inside", "can_send", "can_send_en"]


def test_dispatch_quake_to_csv_with_summary_on_stdout(demo_db, tmp_path):

    out = tmp_path / "quake.csv"
    result = run("analyze", "dispatch", "--db", str(demo_db), "--quake", "118.18,39.63,6.5", "--res", "7",
                 "--out", str(out))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["event"]["kind"] == "quake" and summary["event"]["r_max_km"] == 33.1025
    assert summary["affected_cells"] > 0 and 0.1 <= summary["max_pga"] <= 0.179 and summary["max_intensity"] == 7
    assert "唐山市" in [c["name"] for c in summary["cities"]]
    assert set(summary["standards_met"]) == {"county", "municipal", "provincial", "national"}
    df = pd.read_csv(out, encoding="utf-8-sig")
    assert list(df.columns) == ["密级", *DISPATCH_COLUMNS] and set(df["密级"]) == {"内部资料"}  # stock sent
    res, ent = df[df["kind"] == "reserve"], df[df["kind"] == "enterprise"]
    assert res["hours"].is_monotonic_increasing and res["rank"].tolist() == list(range(1, len(res) + 1))
    assert len(ent) == 50 and ent["hours"].is_monotonic_increasing and (ent["capacity_unit"] == "亿元").all()
    assert (df["hours_edge"] <= df["hours"] + 1e-9).all() and (df["hours_edge"] >= 0.5 - 1e-9).all()
    fastest = summary["fastest_by_tier"]["county"]
    assert fastest["id"] == res[res["tier"] == "county"]["id"].iloc[0]


def test_dispatch_point_and_polygon_with_overrides(demo_db, tmp_path):

    out = tmp_path / "point.geojson"
    result = run("--lang", "en", "analyze", "dispatch", "--db", str(demo_db), "--at", "117.33,38.37", "--radius-km",
                 "20", "--tier", "county", "--hours", "county=0.4", "--limit", "3", "--out", str(out))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["event"] == {"kind": "point", "hazard": "flood", "res": 8, "centre": [117.33, 38.37],
                                "radius_km": 20.0}
    assert summary["standards_met"] == {"county": False}  # 0.4 h is less than the 0.5 h delay
    feats = json.loads(out.read_text(encoding="utf-8"))["features"]
    kinds = [f["properties"]["kind"] for f in feats]
    assert kinds.count("enterprise") == 3 and {f["properties"]["tier"] for f in feats if f["properties"]["tier"]} == {"county"}
    assert all(f["geometry"]["type"] == "Point" for f in feats)
    polygon = tmp_path / "area.geojson"
    polygon.write_text(json.dumps({"type": "Polygon", "coordinates": [[[115.85, 38.8], [116.1, 38.8], [116.1, 38.98],
                                                                       [115.85, 38.98], [115.85, 38.8]]]}))
    out = tmp_path / "polygon.xlsx"
    result = run("analyze", "dispatch", "--db", str(demo_db), "--polygon", str(polygon), "--res", "7",
                 "--delay", "0", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out, read_only=True).sheetnames == ["dispatch", "about", "内部资料"]
    df = pd.read_excel(out, sheet_name="dispatch")
    speed = df["tier"].map({"county": 50, "municipal": 60, "provincial": 70, "national": 70, "rescue": 60,
                            "enterprise": 50}).fillna(50.0)  # enterprises travel at the enterprise speed
    assert ((df["hours"] - df["road_km"] / speed).abs() < 1e-9).all() and len(df) > 50


def test_dispatch_bad_parameters_exit_2(demo_db, tmp_path):
    out = str(tmp_path / "d.csv")
    for args, text in [(["--at", "130,30"], "none in the region"),
                       (["--at", "117,39", "--quake", "117,39,6"], "expected exactly one of"),
                       (["--at", "117,39", "--min-pga", "0.2"], "--min-pga with --quake only"),
                       (["--quake", "117,39,9.5"], "magnitude: found 9.5"),
                       (["--at", "117,39", "--radius-km", "-3"], "radius_km: found -3"),
                       (["--at", "117,39", "--hazard", "tsunami"], "hazard: found 'tsunami'"),
                       (["--quake", "117,39"], "expected 3 comma-separated numbers")]:
        result = run("--lang", "en", "analyze", "dispatch", "--db", str(demo_db), *args, "--out", out)
        assert result.exit_code == 2 and text in result.output, (args, result.output)


def test_chains_flood_missing_and_pivot(demo_db, tmp_path):
    out = tmp_path / "chains.csv"
    result = run("analyze", "chains", "--db", str(demo_db), "--hazard", "flood", "--res", "6", "--hours", "1",
                 "--out", str(out))
    assert result.exit_code == 0, result.output
    df = pd.read_csv(out, encoding="utf-8-sig", dtype={"city": str})
    assert list(df.columns) == ["city", "city_name", "hazard", "chain", "at_risk_km2", "at_risk_share", "population",
                                "enterprises_in_city", "above_size_in_city", "output_yi_in_city", "reach_share",
                                "unreached_km2", "unreached_population", "gap_score", "missing", "rank", "city_rank"]
    assert len(df) == 13 * 6 and set(df["hazard"]) == {"flood"}  # 13 cities x 6 flood chains
    reach = df["reach_share"].dropna()
    assert reach.between(0, 1).all() and (df["missing"] == (df["reach_share"] < 0.5)).all()
    miss = df[df["missing"]]
    assert miss["rank"].tolist() == list(range(1, len(miss) + 1)) and miss["gap_score"].is_monotonic_decreasing
    assert (df["gap_score"] <= df["at_risk_share"] + 1e-12).all()
    pivot = tmp_path / "heat.xlsx"
    result = run("analyze", "chains", "--db", str(demo_db), "--hazard", "flood", "--res", "6", "--hours", "1",
                 "--matrix", "flood=rescue,waterlogging", "--adcode", "130000", "--pivot", "reach_share",
                 "--out", str(pivot))
    assert result.exit_code == 0, result.output
    heat = pd.read_excel(pivot, sheet_name="chains", dtype={"city": str})
    assert list(heat.columns) == ["city", "flood:rescue", "flood:waterlogging"]
    assert len(heat) == 11 and heat["city"].str.startswith("13").all()  # Hebei's 11 cities


def test_chains_bad_parameters_exit_2(demo_db, tmp_path):
    out = str(tmp_path / "c.csv")
    for args, text in [(["--matrix", "flood=rescue,drainage"], "unknown chain code(s) ['drainage']"),
                       (["--matrix", "flood"], "expected hazard=chain,chain"),
                       (["--matrix", "tsunami=rescue"], "unknown hazard 'tsunami'"),
                       (["--hazard", "tsunami"], "hazards: found ['tsunami']"),
                       (["--hours", "-1"], "hours: found -1.0; expected hours > 0"),
                       (["--adcode", "999999"], "adcode: found '999999'"),
                       (["--pivot", "city_name"], "value: found 'city_name'")]:
        result = run("--lang", "en", "analyze", "chains", "--db", str(demo_db), "--res", "5", *args, "--out", out)
        assert result.exit_code == 2 and text in result.output, (args, result.output)


def test_coordination_national_tier_by_province_and_depots(demo_db, tmp_path):

    out = tmp_path / "coord.csv"
    result = run("analyze", "coordination", "--db", str(demo_db), "--res", "6", "--tier", "national",
                 "--level", "province", "--out", str(out))
    assert result.exit_code == 0, result.output
    df = pd.read_csv(out, encoding="utf-8-sig", dtype={"adcode": str}).set_index("adcode")
    assert list(df.columns) == ["level", "name", "tier", "at_risk_cells", "at_risk_km2", "population",
                                "covered_own_km2", "covered_cross_km2", "gain_km2", "share_own", "share_cross",
                                "gain_share", "gain_population"]
    assert set(df.index) == {"110000", "120000", "130000"} and (df["tier"] == "national").all()
    assert (df["gain_km2"] >= 0).all() and (df["covered_cross_km2"] >= df["covered_own_km2"]).all()
    assert df.at["130000", "gain_km2"] > 0  # Hebei's north is nearer Beijing's national depot
    depots = tmp_path / "depots.geojson"
    result = run("analyze", "coordination", "--db", str(demo_db), "--res", "6", "--tier", "national",
                 "--level", "depots", "--out", str(depots))
    assert result.exit_code == 0, result.output
    feats = json.loads(depots.read_text(encoding="utf-8"))["features"]
    assert len(feats) == 3 and all(f["geometry"]["type"] == "Point" for f in feats)
    first = feats[0]["properties"]
    assert first["rank"] == 1 and first["province"] == "110000" and first["provinces_served"] == ["130000"]
    cells = tmp_path / "cells.geojson"
    result = run("analyze", "coordination", "--db", str(demo_db), "--res", "5", "--hours", "county=2",
                 "--tier", "county", "--level", "cells", "--out", str(cells))
    assert result.exit_code == 0, result.output
    props = [f["properties"] for f in json.loads(cells.read_text(encoding="utf-8"))["features"]]
    assert props and all(p["covered_cross"] or not p["covered_own"] for p in props)


def test_coordination_bad_parameters_exit_2(demo_db, tmp_path):
    for args, text in [(["--tier", "village"], "tier: found 'village'"),
                       (["--hours", "county=-3"], "hours_by_tier.county: found -3.0"),
                       (["--hazard", "tsunami"], "hazard: found 'tsunami'"),
                       (["--level", "city", "--out", str(tmp_path / "c.geojson")], "is a table")]:
        out = [] if "--out" in args else ["--out", str(tmp_path / "c.csv")]
        result = run("--lang", "en", "analyze", "coordination", "--db", str(demo_db), "--res", "5", *args, *out)
        assert result.exit_code == 2 and text in result.output, (args, result.output)


SITE_COLUMNS = ["cell", "lon", "lat", "county", "score", "rank",
                *[f"{c}_{k}" for c in ("hazard_safety", "demand", "chains", "complement") for k in ("score", "raw")],
                "excluded_by", "flood_class", "earthquake_class", "wildfire_class", "seismicity_class",
                "eq_max_magnitude_class", "faults_class"]


def test_site_top_and_at_agree(demo_db, tmp_path):

    top = tmp_path / "sites.csv"
    result = run("analyze", "site", "--db", str(demo_db), "--kind", "depot", "--hazard", "flood", "--res", "6",
                 "--adcode", "130600", "--top", "5", "--out", str(top))
    assert result.exit_code == 0, result.output
    df = pd.read_csv(top, encoding="utf-8-sig", dtype={"county": str}, keep_default_na=False)
    # spread out by default (10 km apart), so ranks skip the neighbours of better results
    assert list(df.columns) == SITE_COLUMNS and df["rank"].iloc[0] == 1 and df["rank"].is_monotonic_increasing
    assert df["score"].is_monotonic_decreasing and df["county"].str.startswith("1306").all()  # Baoding
    assert all(h3.get_resolution(c) == 6 for c in df["cell"]) and (df["excluded_by"] == "").all()
    best = df.iloc[0]
    at = tmp_path / "site.geojson"
    result = run("analyze", "site", "--db", str(demo_db), "--hazard", "flood", "--res", "6", "--adcode", "130600",
                 "--at", f"{best['lon']},{best['lat']}", "--out", str(at))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["cell"] == best["cell"] and report["rank"] == 1 and abs(report["score"] - best["score"]) < 1e-12
    parts = report["components"]
    assert abs(sum(p["contribution"] for p in parts.values()) - best["score"]) < 1e-9
    assert parts["demand"]["weight"] == 3.0 and parts["complement"]["unit"].startswith("h")
    feature = json.loads(at.read_text(encoding="utf-8"))["features"][0]
    assert feature["geometry"]["type"] == "Polygon" and feature["properties"]["rank"] == 1


def test_site_weights_change_the_ranking(demo_db, tmp_path):
    out = tmp_path / "parks.csv"
    result = run("analyze", "site", "--db", str(demo_db), "--kind", "park", "--res", "6", "--top", "100000", "--spacing-km", "0",
                 "--weight", "chains=1", "--weight", "demand=0", "--weight", "hazard_safety=0",
                 "--weight", "complement=0", "--out", str(out))
    assert result.exit_code == 0, result.output
    df = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False)
    kept = df[df["excluded_by"] == ""]
    assert (abs(kept["score"] - kept["chains_score"]) < 1e-12).all()
    # rank 1 is the best chain score that no hazard excludes (the very best lies < 5 km from an
    # active fault in the demo: the real fault layer's top class excludes it)
    assert df["chains_score"].max() == 1.0 and df["chains_score"].iloc[0] == kept["chains_score"].max()


def test_site_bad_parameters_exit_2(demo_db, tmp_path):
    out = str(tmp_path / "s.csv")
    for args, text in [
        (("--top", "3", "--hazard", "tsunami"), "hazards: found ['tsunami']"),
        (("--top", "3", "--hours", "-1"), "hours: found -1.0"),
        (("--top", "3", "--weight", "demnd=2"), "weights.demnd: unknown component"),
        (("--at", "121.5,31.2"), "outside the region"),
        (("--top", "3", "--adcode", "999999"), "adcode: found '999999'"),
        (("--top", "3", "--exclude", "flood=0"), "exclude.flood: found 0.0"),
        ((), "--at and --top: found neither"),
        (("--at", "116,39", "--top", "2"), "--at and --top: found both"),
        (("--at", "116"), "expected 2 comma-separated numbers"),
    ]:
        result = run("--lang", "en", "analyze", "site", "--db", str(demo_db), "--res", "5", *args, "--out", out)
        assert result.exit_code == 2 and text in result.output, (args, result.output)


def test_index_to_csv_and_geojson(demo_db, tmp_path):
    out = tmp_path / "index.csv"
    result = run("analyze", "index", "--db", str(demo_db), "--res", "6", "--weight", "flood=2", "--out", str(out))
    assert result.exit_code == 0, result.output
    df = pd.read_csv(out, encoding="utf-8-sig", dtype={"county": str, "city": str})
    others = ("earthquake", "wildfire", "seismicity", "eq_max_magnitude", "faults")
    assert list(df.columns) == ["cell", "county", "city", "index", "index_class", "flood_norm",
                                *(f"{h}_norm" for h in others)]
    assert df["county"].str.match(r"^1[123]\d{4}$").mean() > 0.99  # cells off every county have none
    want = (2 * df["flood_norm"] + sum(df[f"{h}_norm"] for h in others)) / (2 + len(others))
    assert (abs(df["index"] - want) < 1e-12).all() and df["index_class"].between(1, 5).all()
    assert len(df) == df["cell"].nunique() > 8000  # every cell of the region at res 6
    geo = tmp_path / "index.geojson"
    result = run("analyze", "index", "--db", str(demo_db), "--res", "6", "--adcode", "110000", "--out", str(geo))
    assert result.exit_code == 0, result.output
    data = json.loads(geo.read_text(encoding="utf-8"))
    assert 0 < len(data["features"]) < len(df) and data["about"]["analysis"] == "index"
    result = run("--lang", "en", "analyze", "index", "--db", str(demo_db), "--weight", "hail=1", "--out", str(out))
    assert result.exit_code == 2 and "weights.hail: unknown hazard" in result.output


def test_siting_prints_the_json_summary_and_writes_the_sites(demo_db, tmp_path):
    out, demand = tmp_path / "sites.geojson", tmp_path / "demand.parquet"
    result = CliRunner().invoke(main, ["analyze", "siting", "--db", str(demo_db), "-k", "3", "--res", "6",
                                       "--hours", "1", "--out", str(out), "--demand-out", str(demand)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert {"objective", "bound", "gap", "sites"} <= set(summary)
    assert len(summary["sites"]) == 3 and 0 <= summary["gap"] < 0.05
    assert summary["bound"] >= summary["objective"] >= summary["before"]
    assert summary["after_share"] > summary["before_share"]
    feats = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert [f["properties"]["cell"] for f in feats] == [s["cell"] for s in summary["sites"]]
    d = pd.read_parquet(demand)
    assert d["covered_after"].sum() > d["covered_before"].sum() and (d["covered_after"] >= d["covered_before"]).all()
    bad = CliRunner().invoke(main, ["analyze", "siting", "--db", str(demo_db), "-k", "0", "--out", str(out)])
    assert bad.exit_code == 2 and "k: found 0" in bad.output


def test_e2sfca_per_county_conserves_capacity(demo_db, tmp_path):
    out = tmp_path / "e2.csv"
    result = run("analyze", "e2sfca", "--db", str(demo_db), "--res", "6", "--level", "cells", "--out", str(out))
    assert result.exit_code == 0, result.output
    cells = pd.read_csv(out, encoding="utf-8-sig")
    assert {"cell", "demand", "accessibility", "per_1000"} <= set(cells.columns)
    # sum_i P_i A_i = total capacity of the depot tiers whose catchment holds people (all of them here)
    cap = Store(demo_db).query("SELECT sum(capacity) AS c FROM reserves WHERE tier IN "
                               "('national', 'provincial', 'municipal', 'county')")["c"].iloc[0]
    assert (cells["demand"] * cells["accessibility"]).sum() == pytest.approx(cap, rel=1e-6)
    county = tmp_path / "county.xlsx"
    result = run("analyze", "e2sfca", "--db", str(demo_db), "--res", "6", "--band", "3=1", "--band", "6=0.5",
                 "--out", str(county))
    assert result.exit_code == 0, result.output
    assert set(pd.read_excel(county, sheet_name="e2sfca")["level"]) == {"county"}
    bad = run("analyze", "e2sfca", "--db", str(demo_db), "--tier", "rescue", "--tier", "county", "--out", str(out))
    assert bad.exit_code == 2 and "several units" in bad.output
