"""Tests of layers.report on the tiny world: the figures against gaps_from_store and a brute-force
haversine oracle, findings that follow the numbers, the short report, unknown adcodes, and the
XLSX / GeoJSON writers read back against the Report."""

from __future__ import annotations

import json
import math

import h3
import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from layers.analysis.gaps import gaps_from_store
from layers.map.inspect import NotFoundError
from layers.report import (
    ReportError,
    build_report,
    check_options,
    write_geojson,
    write_report,
    write_xlsx,
)
from layers.report.formats import NUMBER_FORMATS, _english, about_rows, sheet_frames, sheet_title
from layers.report.labels import COLUMNS, display, header, kind_of
from layers.store import json_ready
from tests.unit import world as W

R = 6371.0088
RES = 8
FIGURES = ["at_risk_cells", "at_risk_area_km2", "gap_area_km2", "share_covered_county", "share_covered_municipal",
           "share_covered_national", "worst_hours", "p90_hours", "counties_without_county_depot"]


def xlsx(value):
    """A value as an XLSX cell holds it: floats to 16 significant digits (openpyxl's "%.16g")."""
    return float(f"{value:.16g}") if isinstance(value, float) else value


def haversine(lat1, lng1, lat2, lng2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    return 2 * R * math.asin(math.sqrt(a))


def brute_county_hours(county: str) -> dict[str, float]:
    """Cell -> hours to the nearest county-tier reserve (haversine x 1.3 / 50 km/h + 0.5 h)."""
    depots = [W.position("reserves", fid) for fid, _, _, extra in W.FACILITIES["reserves"] if extra["tier"] == "county"]
    out = {}
    for c in W.county_cells(county, RES):
        lat, lng = h3.cell_to_latlng(h3.int_to_str(c))
        out[h3.int_to_str(c)] = min(haversine(lat, lng, a, b) for a, b in depots) * 1.3 / 50 + 0.5
    return out


@pytest.fixture(scope="module")
def beijing(world_std):
    return build_report(world_std, "110100", "earthquake", res=RES, date="2025-01-02")


# --- the figures ------------------------------------------------------------------------------

@pytest.mark.parametrize("adcode", ["110100", "110000", "139001", "130100"])
def test_headline_and_units_equal_gaps_from_store(world_std, adcode):
    report = build_report(world_std, adcode, "earthquake", res=RES, siting_k=0)
    _, oracle = gaps_from_store(world_std, "earthquake", RES)
    level = report.level
    want = oracle[(oracle["adcode"] == adcode) & (oracle["level"] == level)].iloc[0]
    got = report.headline.iloc[0]
    for key in FIGURES:
        assert got[key] == want[key], key
    assert bool(got["has_county_depot"]) == bool(want["has_county_depot"])
    assert list(got["missing_chains"]) == list(want["missing_chains"])
    assert got["gap_share"] == want["gap_area_km2"] / want["at_risk_area_km2"]
    units = report.tables["units"]
    for row in units[units["at_risk_cells"] > 0].itertuples():
        o = oracle[(oracle["adcode"] == row.adcode) & (oracle["level"] == row.level)].iloc[0]
        assert [getattr(row, k) for k in FIGURES] == [o[k] for k in FIGURES]


def test_figures_equal_a_brute_force_haversine_oracle(world_std):
    report = build_report(world_std, "110100", "earthquake", res=RES, hours_by_tier={"county": 0.55}, siting_k=0)
    hours = {**brute_county_hours("110101"), **brute_county_hours("110102")}  # both at risk (class 3)
    area = {c: h3.cell_area(c, "km^2") for c in hours}
    head = report.headline.iloc[0]
    assert head["at_risk_cells"] == len(hours)
    assert head["at_risk_area_km2"] == pytest.approx(sum(area.values()), rel=1e-12)
    assert head["worst_hours"] == pytest.approx(max(hours.values()), rel=1e-9)
    beyond = sum(a for c, a in area.items() if hours[c] > 0.55)
    assert head["gap_share"] == pytest.approx(beyond / sum(area.values()), rel=1e-9)
    cells = report.maps["cells"].set_index("cell")
    assert sorted(cells.index) == sorted(hours)
    assert cells["hours_county"].to_dict() == pytest.approx(hours, rel=1e-9)
    assert (cells["gap"] == (cells["hours_county"] > 0.55)).all()


def test_tables_agree_with_the_cells(beijing):
    cells = beijing.maps["cells"]
    worst = beijing.tables["worst_cells"]
    assert len(worst) == 10 and worst["hours_county"].is_monotonic_decreasing
    assert worst["hours_county"].iloc[0] == cells["hours_county"].max() == beijing.headline["worst_hours"].iloc[0]
    depots = beijing.tables["depots"]
    for tier, rows in depots.groupby("tier"):
        assert rows["cells"].sum() == len(cells) and rows["area_share"].sum() == pytest.approx(1.0)
        assert rows["max_hours"].max() == pytest.approx(cells[f"hours_{tier}"].max(), rel=1e-12)
        assert rows["min_hours"].min() == pytest.approx(cells[f"hours_{tier}"].min(), rel=1e-12)
    assert set(depots.loc[depots["tier"] == "county", "facility_id"]) == {"R1"}  # 110101's own depot
    hist = beijing.charts["hours_histogram"]
    assert hist["cells"].sum() == len(cells) and hist["area_share"].sum() == pytest.approx(1.0)
    assert (hist["to_hours"] - hist["from_hours"] == 0.5).all() and hist["to_hours"].iloc[-1] >= 6
    cov = beijing.charts["coverage_by_tier"].set_index("tier")
    assert list(cov.index) == ["county", "municipal", "national"]  # the world has no provincial standard
    assert cov.loc["county", "covered_area_km2"] == pytest.approx(beijing.headline["at_risk_area_km2"].iloc[0])
    fac = beijing.maps["facilities"].set_index("id")
    assert set(fac.index) == {"R1", "R2", "R4", "P1", "P2", "E1", "E2"}  # R4 (Tangshan) serves, outside
    assert not fac.at["R4", "inside"] and fac.at["R4", "serves"] and fac.at["E2", "inside"]


def test_chain_matrix_is_the_unit_cities_reach_shares(world_std, beijing):
    matrix = beijing.tables["chain_matrix"]
    assert matrix["city"].tolist() == ["110100"]
    assert list(matrix.columns) == ["city", "city_name", "earthquake:rescue", "earthquake:comms",
                                    "earthquake:firefighting"]
    chains = beijing.tables["chains"].set_index("chain")
    assert matrix.iloc[0]["earthquake:firefighting"] == chains.at["firefighting", "reach_share"] == 0.0
    county = build_report(world_std, "139001", "earthquake", res=RES, siting_k=0)
    assert county.tables["chain_matrix"]["city"].tolist() == ["130100"]  # a county shows its city


def test_cover_names_provenance_standards_and_parameters(beijing):
    c = beijing.cover
    assert c["unit"]["parents"] == [{"adcode": "110000", "name": "北京市", "level": "province"}]
    assert c["build_id"] == "tiny-world-1" and c["date"] == "2025-01-02"
    assert c["hazards"][0]["threshold"] == 0.2 and c["hazards"][0]["min_class"] == 2
    assert c["standards"]["hours_by_tier"] == {"county": 6.0, "municipal": 8.0, "national": 10.0}
    assert c["standards"]["chains_by_hazard"] == {"earthquake": ["rescue", "comms", "firefighting"]}
    assert set(c["provenance"]["synthetic"]) == {"test_parks", "test_enterprises", "test_reserves"}
    assert c["provenance"]["precision_in_unit"]["reserve"] == {"exact": 2}
    assert c["parameters"]["res"] == RES and "layers/METHODS.md#gaps" in c["methods"]
    json.dumps(c, allow_nan=False)  # JSON-ready
    assert beijing.basename == "110100_earthquake"


# --- findings ---------------------------------------------------------------------------------

def test_findings_follow_the_numbers(world_std, beijing):
    keys = {f.key for f in beijing.findings}
    assert "within_standard" in keys and "gap" not in keys  # everything within 6 h
    tight = build_report(world_std, "110100", "earthquake", res=RES, hours_by_tier={"county": 0.55})
    by_key = {(f.key, f.adcode): f for f in tight.findings}
    assert ("within_standard", "110100") not in by_key
    gap = by_key[("gap", "110100")]
    share = tight.headline["gap_share"].iloc[0]
    assert gap.severity == "high" and gap.values["gap_share"] == share
    assert f"{100 * share:.0f}%" in gap.zh and f"{100 * share:.0f} %" in gap.en and "0.55 小时" in gap.zh
    west = by_key[("county_no_depot_gap", "110102")]  # 西城区: no county depot, all beyond 0.55 h
    assert west.zh == "西城区无县级储备库，地震风险区 100% 超过 0.55 小时。"
    assert west.en == "西城区 has no county depot; 100 % of its earthquake at-risk area is beyond 0.55 h."
    assert ("county_no_depot", "110102") not in by_key
    siting = by_key[("siting_gain", "110100")]
    summary = tight.tables["siting_summary"].iloc[0]
    assert summary["area_after"] > summary["area_before"] == pytest.approx(1 - share)
    assert siting.values["area_after"] == summary["area_after"]
    assert [f.severity for f in tight.findings] == sorted((f.severity for f in tight.findings),
                                                          key=["high", "medium", "info", "ok"].index)


def test_a_county_without_a_depot_says_so_once_with_its_gap(world_std):
    tight = build_report(world_std, "110102", "earthquake", res=RES, hours_by_tier={"county": 0.55}, siting_k=0)
    keys = [f.key for f in tight.findings]
    assert keys[0] == "county_no_depot_gap" and "gap" not in keys and "depots_missing" not in keys
    assert tight.findings[0].zh.startswith("西城区无县级储备库，地震风险区 100%（28.4 km²）超过 0.55 小时县级储备标准")
    loose = build_report(world_std, "110102", "earthquake", res=RES, siting_k=0)
    first = loose.findings[0]
    assert (first.key, first.severity) == ("county_no_depot", "medium")
    assert first.en.startswith("西城区 has no county depot; all of its earthquake at-risk area is within the 6 h")
    own = build_report(world_std, "110101", "earthquake", res=RES, siting_k=0)  # 东城区 holds R1
    assert {"within_standard", "depots_ok"} <= {f.key for f in own.findings}


def test_a_unit_without_at_risk_cells_gives_the_short_report(world_std, tmp_path):
    report = build_report(world_std, "130104", "earthquake", res=RES)  # 桥西区: class 0 only
    assert report.empty and report.headline["at_risk_cells"].tolist() == [0]
    keys = [f.key for f in report.findings]
    assert sorted(keys) == ["depots_missing", "no_risk"]
    no_risk = next(f for f in report.findings if f.key == "no_risk")
    assert no_risk.zh == "桥西区没有地震风险区（等级≥2，≥0.2 g），本灾种不再展开。"
    assert report.tables["worst_cells"].empty and report.maps["cells"].empty and report.tables["siting"].empty
    paths = write_report(report, tmp_path, "xlsx,geojson")
    cells = json.loads(paths[1].read_text(encoding="utf-8"))
    assert cells["features"] == [] and cells["about"]["unit"]["adcode"] == "130104"
    wb = openpyxl.load_workbook(paths[0])
    texts = [row[3] for row in wb[sheet_title("findings")].iter_rows(min_row=2, values_only=True)]  # no key, no English
    assert texts == ["桥西区无县级储备库。", no_risk.zh]  # medium before ok


def test_all_hazards_give_one_headline_row_per_layer(world_std):
    report = build_report(world_std, "110000", "all", res=RES, siting_k=0)
    assert report.headline["hazard"].tolist() == ["wildfire", "earthquake"]  # store order
    assert report.basename == "110000_all"
    assert set(report.maps["cells"]["hazard"]) == {"wildfire", "earthquake"}


# --- bad input --------------------------------------------------------------------------------

def test_unknown_adcode_lists_near_matches(world_std):
    with pytest.raises(NotFoundError) as err:
        build_report(world_std, "130105", "earthquake")
    assert err.value.params["suggestions"][:2] == ["130100 石家庄市", "130000 河北省"]
    assert "130104 桥西区" in err.value.params["suggestions"]
    assert "unknown adcode '130105'; nearest: 130100 石家庄市" in str(err.value)
    with pytest.raises(LookupError, match="nearest: 130100 石家庄市"):
        build_report(world_std, "石家庄", "earthquake")


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"hazards": "flood"}, r"hazards: found 'flood'; expected 'all' or one or more of \['wildfire', 'earthquake'\]"),
    ({"res": 9}, r"res: found 9; expected one of the store's resolutions \[7, 8\]"),
    ({"hours_by_tier": {"county": -1}}, r"hours_by_tier.county: found -1"),
    ({"siting_hours": 0}, r"siting_hours: found 0; expected hours > 0"),
    ({"siting_k": -1}, r"siting_k: found -1; expected an integer >= 0"),
    ({"min_class": 4}, r"min_class.earthquake: found 4"),
    ({"date": "2025-13-01"}, r"date: found '2025-13-01'; expected YYYY-MM-DD"),
    ({"speed_kmh": {"county": 0}}, r"speed_kmh.county: found 0"),
])
def test_bad_parameters_raise_clear_errors(world_std, kwargs, match):
    hazards = kwargs.pop("hazards", "earthquake")
    with pytest.raises(ValueError, match=match):
        build_report(world_std, "110100", hazards, **kwargs)
    with pytest.raises(ValueError, match=match):  # the CLI checks once before a batch
        check_options(world_std, hazards, "110100", **kwargs)


def test_bad_formats_and_language(beijing, tmp_path):
    with pytest.raises(ReportError, match=r"format: found \['doc'\]; expected one or more of html, pdf, xlsx"):
        write_report(beijing, tmp_path, "xlsx,pdf,doc")
    assert not list(tmp_path.iterdir())  # nothing written
    with pytest.raises(ReportError, match=r"format: found \['docx'\]"):
        write_report(beijing, tmp_path, ["docx"])
    with pytest.raises(ValueError, match="lang: found 'fr'"):
        write_report(beijing, tmp_path, "xlsx", lang="fr")


# --- writers ----------------------------------------------------------------------------------

def test_every_column_has_headers_in_both_languages(world_std, beijing):
    tight = build_report(world_std, "110100", "earthquake", res=RES, hours_by_tier={"county": 0.55})
    for report in (beijing, tight):
        for key, df in {**sheet_frames(report), **report.maps}.items():
            for col in df.columns:
                assert col in COLUMNS or (":" in col and header(col, "zh") != col), (key, col)
                assert header(col, "zh") != header(col, "en") or col in ("cell",), col
    assert header("earthquake:firefighting", "zh") == "地震·消防救援装备"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_xlsx_cells_equal_the_report_tables(world_std, tmp_path, lang):
    report = build_report(world_std, "110100", "earthquake", res=RES, hours_by_tier={"county": 0.55})
    path = write_xlsx(report, tmp_path / "r.xlsx", lang=lang)
    wb = openpyxl.load_workbook(path)
    frames = sheet_frames(report, lang)  # without the other language's and the code columns
    assert not {"key", "material", "finding_en" if lang == "zh" else "finding_zh"} & {c for df in frames.values() for c in df}
    assert wb.sheetnames == [sheet_title(k, lang) for k in frames] + [sheet_title("about", lang),
                                                                       sheet_title("columns", lang)]
    for key, df in frames.items():
        ws = wb[sheet_title(key, lang)]
        rows = list(ws.iter_rows(values_only=True))
        assert list(rows[0]) == [header(c, lang) for c in df.columns], key
        assert len(rows) == len(df) + 1 and ws.freeze_panes == "A2"
        for r, values in enumerate(df.itertuples(index=False, name=None), start=1):
            assert list(rows[r]) == [xlsx(_english(display(v, c, lang), lang)) for v, c in zip(values, df.columns)], \
                (key, r)
        for j, col in enumerate(df.columns, start=1):
            cell = ws.cell(row=2, column=j)
            if len(df) and isinstance(cell.value, float) and col not in ("lon", "lat"):
                assert cell.number_format == NUMBER_FORMATS[kind_of(col)], (key, col)
    head = wb[sheet_title("headline", lang)]
    names = [c.value for c in head[1]]
    _, oracle = gaps_from_store(world_std, "earthquake", RES, hours_by_tier={"county": 0.55})
    row = oracle[(oracle["adcode"] == "110100") & (oracle["level"] == "city")].iloc[0]
    assert head.cell(2, names.index(header("at_risk_area_km2", lang)) + 1).value == xlsx(row["at_risk_area_km2"])
    assert head.cell(2, names.index(header("share_covered_county", lang)) + 1).value == \
        xlsx(row["share_covered_county"])
    assert head.cell(2, names.index(header("missing_chains", lang)) + 1).value == \
        ("消防救援装备" if lang == "zh" else "Firefighting")
    about = dict(wb[sheet_title("about", lang)].iter_rows(min_row=2, values_only=True))
    assert {k: _english(v, lang) for k, v in about_rows(report, lang)} == about
    assert about["数据库构建编号" if lang == "zh" else "Store build id"] == "tiny-world-1"
    columns = list(wb[sheet_title("columns", lang)].iter_rows(min_row=2, values_only=True))
    # each column in the reader's language and how it reads: no keys (code) and no other language
    assert header("gap_share", lang) in {c[1] for c in columns} and all(len(c) == 3 and c[2] for c in columns)
    assert "gap_share" not in {c[1] for c in columns}


def test_infinite_hours_and_missing_values_in_xlsx():
    assert display(math.inf, "hours_county", "zh") == "无法到达" and display(math.inf, "worst_hours", "en") == "unreachable"
    assert display(np.nan, "population") is None and display(pd.NA, "has_county_depot") is None
    assert display(True, "gap", "zh") == "是" and display(np.int64(3), "cells") == 3
    assert display(["rescue", "comms"], "missing_chains", "en") == "Search, rescue & engineering rescue; Emergency communications"
    assert display("county", "tier", "zh") == "县级储备" and display(0.25, "gap_share") == 0.25


def test_geojson_properties_equal_the_cells(beijing, tmp_path):
    cells_path, fac_path = write_geojson(beijing, tmp_path)
    assert cells_path.name == "110100_earthquake_cells.geojson"
    data = json.loads(cells_path.read_text(encoding="utf-8"))
    cells = beijing.maps["cells"]
    assert len(data["features"]) == len(cells) and data["about"]["build_id"] == "tiny-world-1"
    for feature, row in zip(data["features"], cells.to_dict(orient="records")):
        props = feature["properties"]
        for key, value in row.items():
            assert props[key] == json_ready(value), key  # NaN / inf -> null
        ring = feature["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1] and [[lat, lng] for lng, lat in ring[:-1]] == \
            [list(p) for p in h3.cell_to_boundary(row["cell"])]
        assert props["hazard_zh"] == "地震"
    fac = json.loads(fac_path.read_text(encoding="utf-8"))["features"]
    assert [f["properties"]["id"] for f in fac] == beijing.maps["facilities"]["id"].tolist()
    assert fac[0]["geometry"] == {"type": "Point", "coordinates": [116.321, 39.871]}


def test_geoparquet_round_trips(beijing, tmp_path):
    import geopandas as gpd  # noqa: PLC0415

    paths = write_report(beijing, tmp_path, "parquet")
    cells = gpd.read_parquet(paths[0])
    assert cells.crs.to_epsg() == 4326 and cells["cell"].tolist() == beijing.maps["cells"]["cell"].tolist()
    assert cells["area_km2"].tolist() == beijing.maps["cells"]["area_km2"].tolist()
    assert (cells.geometry.geom_type == "Polygon").all()


# --- the command ------------------------------------------------------------------------------

def test_report_command_writes_the_files_and_prints_the_findings(world_std, tmp_path):
    from layers.report.cli import report  # noqa: PLC0415

    out = tmp_path / "out"
    result = CliRunner().invoke(report, ["--db", str(world_std.path), "--unit", "110100", "--hazard", "earthquake",
                                         "--res", "8", "--hours", "county=0.55", "--format", "xlsx,geojson",
                                         "--lang", "en", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["110100_earthquake.xlsx", "110100_earthquake_cells.geojson",
                                                     "110100_earthquake_facilities.geojson"]
    assert "西城区 has no county depot; 100 % of its earthquake at-risk area is beyond 0.55 h." in result.stdout
    bad = CliRunner().invoke(report, ["--db", str(world_std.path), "--unit", "130105", "--out", str(out),
                                      "--hazard", "earthquake"])
    assert bad.exit_code == 2 and "130100 石家庄市" in bad.output


def test_batch_continues_past_a_failing_unit_and_exits_1(world_std, tmp_path, monkeypatch):
    import layers.report as rp  # noqa: PLC0415
    from layers.report.cli import report  # noqa: PLC0415

    real = rp.build_report

    def flaky(store, adcode, *args, **kwargs):
        if adcode == "130104":
            raise RuntimeError("boom")
        return real(store, adcode, *args, **kwargs)

    monkeypatch.setattr(rp, "build_report", flaky)
    out = tmp_path / "batch"
    result = CliRunner().invoke(report, ["--db", str(world_std.path), "--all", "county", "--unit", "130000",
                                         "--hazard", "earthquake", "--format", "geojson", "--lang", "en",
                                         "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "done: 3 written, 1 failed" in result.output
    assert "failed 130104 桥西区: RuntimeError: boom" in result.output
    written = {p.name.split("_")[0] for p in out.iterdir()}
    assert written == {"130102", "139001", "130202"}  # Hebei's other counties, 130202 without risk


def test_entry_point_names_the_command():
    import importlib  # noqa: PLC0415
    import tomllib  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    meta = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    target = meta["project"]["entry-points"]["onemap.commands"]["report"]
    module, _, attr = target.partition(":")
    assert getattr(importlib.import_module(module), attr).name == "report"
    assert "layers.report" in meta["tool"]["setuptools"]["packages"]


def test_map_data_for_hazard_classes_and_outlines(world_std, beijing):
    hz = beijing.maps["hazard_cells"]
    expect = {h3.int_to_str(c): 3 for county in ("110101", "110102") for c in W.county_cells(county, RES)}
    assert dict(zip(hz["cell"], hz["hazard_class"])) == expect and set(hz["hazard"]) == {"earthquake"}
    county = build_report(world_std, "130104", "earthquake", res=RES)  # class 0: no at-risk cell, still mapped
    assert set(county.maps["hazard_cells"]["hazard_class"]) == {0} and county.maps["cells"].empty
    outlines = beijing.maps["outlines"].set_index("adcode")
    assert outlines["role"].to_dict() == {"110100": "unit", "110101": "child", "110102": "child"}
    ring = outlines.at["110101", "geometry"]["coordinates"][0]
    west, south, east, north = W.BOXES["110101"]
    assert {tuple(p) for p in ring} == {(west, south), (east, south), (east, north), (west, north)}
