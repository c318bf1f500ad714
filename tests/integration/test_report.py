"""``onemap report`` on the demo store: Tangshan and a county against gaps_from_store (XLSX cells,
GeoJSON properties, findings), a batch with a failing unit, an unknown adcode, and the timing."""

from __future__ import annotations

import json
from importlib.metadata import EntryPoint

import openpyxl
import pytest
from click.testing import CliRunner

import etl.cli
from layers import Store
from layers.analysis.gaps import gaps_from_store
from layers.report import build_report, write_report
from layers.report.build import clear_cache
from layers.report.formats import sheet_title
from layers.report.labels import header

HOURS = {"county": 1.0}  # the demo's depots are dense: a 1 h county standard leaves gaps


def xlsx(value):
    """A float as an XLSX cell holds it (16 significant digits)."""
    return float(f"{value:.16g}") if isinstance(value, float) else value


@pytest.fixture
def run(monkeypatch):
    """``onemap ...`` through etl.cli.main, with the report plugin registered as pyproject does
    (the installed metadata may predate it until ``pip install -e .``)."""
    plugins = etl.cli._Commands._plugins

    def with_report(self):
        return {**plugins(self), "report": EntryPoint("report", "layers.report.cli:report", "onemap.commands")}

    monkeypatch.setattr(etl.cli._Commands, "_plugins", with_report)
    return lambda *args: CliRunner().invoke(etl.cli.main, list(args))


@pytest.fixture(scope="module")
def oracle(demo_db):
    store = Store(demo_db)
    yield gaps_from_store(store, "flood", 7, hours_by_tier=HOURS)
    store.close()


def _sheet(path, key):
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(wb[sheet_title(key)].iter_rows(values_only=True))
    finally:
        wb.close()
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_tangshan_report_agrees_with_gaps(demo_db, tmp_path, run, oracle):
    cells, units = oracle
    result = run("report", "--db", str(demo_db), "--unit", "130200", "--hazard", "flood", "--hours", "county=1",
                 "--siting-hours", "1", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    city = units[(units["level"] == "city") & (units["adcode"] == "130200")].iloc[0]
    head = _sheet(tmp_path / "130200_flood.xlsx", "headline")[0]
    for key in ("at_risk_cells", "at_risk_area_km2", "population", "gap_area_km2", "share_covered_county",
                "share_covered_municipal", "worst_hours", "p90_hours"):
        assert head[header(key)] == xlsx(city[key]), key
    share = city["gap_area_km2"] / city["at_risk_area_km2"]
    assert f"唐山市洪水风险区 {100 * share:.0f}%" in result.stdout
    by_unit = {r[header("adcode")]: r for r in _sheet(tmp_path / "130200_flood.xlsx", "units")}
    counties = units[(units["level"] == "county") & units["adcode"].str.startswith("1302")]
    assert len(counties) > 0 and len(by_unit) == 15  # 14 counties + the city
    for row in counties.itertuples():
        assert by_unit[row.adcode][header("gap_area_km2")] == xlsx(row.gap_area_km2)
        assert by_unit[row.adcode][header("name")] == row.name
    geo = json.loads((tmp_path / "130200_flood_cells.geojson").read_text(encoding="utf-8"))
    mine = cells[cells["city"] == "130200"].set_index("cell")
    props = {f["properties"]["cell"]: f["properties"] for f in geo["features"]}
    assert set(props) == set(mine.index)
    assert all(props[c]["gap"] == bool(mine.at[c, "gap"]) for c in props)
    assert all(props[c]["hours_county"] == mine.at[c, "hours_county"] for c in props)
    assert geo["about"]["unit"]["name"] == "唐山市" and geo["about"]["build_id"]
    fac = json.loads((tmp_path / "130200_flood_facilities.geojson").read_text(encoding="utf-8"))["features"]
    assert {f["properties"]["kind"] for f in fac} == {"reserve", "park", "enterprise"}


def test_county_report_findings(demo_db, tmp_path, oracle):
    """(Its time, cold and with the region-wide analyses cached: tests/bench/bench_latency.py.)"""
    _, units = oracle
    store = Store(demo_db)
    clear_cache()
    report = build_report(store, "130921", "flood", hours_by_tier=HOURS, siting_hours=1)
    paths = write_report(report, tmp_path, "xlsx,geojson")
    row = units[(units["level"] == "county") & (units["adcode"] == "130921")].iloc[0]
    share = row["gap_area_km2"] / row["at_risk_area_km2"]
    texts = [f.zh for f in report.findings]
    assert texts[0].startswith(f"沧县无县级储备库，洪水风险区 {100 * share:.0f}%（")  # no county depot, worst first
    assert "超过 1 小时县级储备标准" in texts[0]
    head = _sheet(paths[0], "headline")[0]
    assert head[header("gap_area_km2")] == xlsx(row["gap_area_km2"])
    assert head[header("counties_without_depot")] == 1
    store.close()


def test_batch_over_tangshan_counties_continues_past_a_failure(demo_db, tmp_path, run, monkeypatch):
    import layers.report as rp  # noqa: PLC0415

    real = rp.build_report

    def flaky(store, adcode, *args, **kwargs):
        if adcode == "130224":
            raise RuntimeError("simulated failure")
        return real(store, adcode, *args, **kwargs)

    monkeypatch.setattr(rp, "build_report", flaky)
    result = run("--lang", "en", "report", "--db", str(demo_db), "--all", "county", "--unit", "130200",
                 "--format", "geojson", "--siting-k", "0", "--out", str(tmp_path))
    assert result.exit_code == 1, result.output
    assert "done: 13 written, 1 failed" in result.output
    assert "failed 130224 滦南县: RuntimeError: simulated failure" in result.output
    assert len(list(tmp_path.glob("*_cells.geojson"))) == 13


def test_unknown_adcode_lists_the_nearest_units(demo_db, tmp_path, run):
    result = run("report", "--db", str(demo_db), "--unit", "130299", "--out", str(tmp_path))
    assert result.exit_code == 2 and "nearest: 130200 唐山市, 130000 河北省" in result.output
    result = run("report", "--db", str(demo_db), "--unit", "唐山", "--out", str(tmp_path))
    assert result.exit_code == 2 and "nearest: 130200 唐山市" in result.output
    result = run("report", "--db", str(demo_db), "--unit", "130200", "--format", "pdf,docx", "--out", str(tmp_path))
    assert result.exit_code == 2 and "format: found ['docx']; expected one or more of html, pdf" in result.output
