"""``onemap analyze``: the CLI around the analyses, on the demo store."""

from __future__ import annotations

import h3
import openpyxl
import pandas as pd
from click.testing import CliRunner

from etl.cli import main


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
