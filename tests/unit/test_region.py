"""Tests of etl.region.load_region: the real jjj.toml and broken variants written by the tests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from etl.errors import DataError
from etl.messages import MESSAGES
from etl.region import load_region

ROOT = Path(__file__).resolve().parents[2]
JJJ = ROOT / "geodata" / "regions" / "jjj.toml"
JJJ_DATA = ROOT / "geodata" / "jjj"


def jjj_text() -> str:
    """jjj.toml with its ``../jjj/...`` paths made absolute, so a copy loads anywhere."""
    return JJJ.read_text(encoding="utf-8").replace('"../jjj/', f'"{JJJ_DATA.as_posix()}/')


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "region.toml"
    p.write_text(text, encoding="utf-8")
    return p


def sub(text: str, old: str, new: str) -> str:
    """Replace exactly one occurrence (guards the variants against jjj.toml edits)."""
    assert text.count(old) == 1, old
    return text.replace(old, new)


def problems(path: Path) -> list[tuple[str, dict]]:
    with pytest.raises(DataError) as excinfo:
        load_region(path)
    out = []
    for p in excinfo.value.problems:
        for template in MESSAGES[p.code]:
            template.format(**p.params)  # every field of the message is supplied
        out.append((p.code, p.params))
    return out


# --- the real region file -----------------------------------------------------------------------


def test_jjj_loads():
    r = load_region(JJJ)
    assert r.id == "jjj"
    assert r.name == "京津冀"
    assert r.adcodes == ("110000", "120000", "130000")
    assert r.bbox == (113.3, 35.9, 120.1, 42.8)
    assert r.resolutions == (5, 6, 7, 8, 9)
    assert r.finest_res == 9
    assert sorted(r.hazards) == ["earthquake", "eq_max_magnitude", "faults", "flood", "seismicity", "wildfire"]
    assert {k: getattr(h, "kind", "raster") for k, h in r.hazards.items()} == {
        "flood": "raster", "earthquake": "raster", "wildfire": "raster",
        "seismicity": "events", "eq_max_magnitude": "events", "faults": "lines"}
    assert r.hazards["seismicity"].period == (1900, 2016) and r.hazards["faults"].labels[-1] == "<5 km"
    assert r.admin.crs == "GCJ02"
    assert r.standards.hours_by_tier["county"] == 6.0
    assert r.standards.dispatch_delay_h == 0.5
    assert r.chains_by_hazard["wildfire"][0] == "firefighting"


def test_jjj_paths_are_resolved_relative_to_the_file_and_exist():
    r = load_region(JJJ)
    assert r.admin.path == JJJ_DATA / "admin_units.geojson"
    assert r.hazards["flood"].path == JJJ_DATA / "hazard_flood_depth.tif"
    assert [t.entity for t in r.tables] == ["parks", "enterprises", "enterprises", "reserves"]
    paths = [r.admin.path, *(t.path for t in r.tables), *(h.path for h in r.hazards.values())]
    assert all(".." not in p.parts for p in paths)
    assert all(p.is_file() for p in paths), [p for p in paths if not p.is_file()]


def test_jjj_hazard_classes():
    eq = load_region(JJJ).hazards["earthquake"]
    assert eq.breaks == (0.05, 0.10, 0.15, 0.20, 0.30, 0.40)
    assert len(eq.labels) == len(eq.breaks) + 1
    assert eq.units == "g"
    assert eq.band == 1 and eq.crs is None and eq.synthetic is True


def test_labels_default_to_the_breaks(tmp_path):
    text = sub(jjj_text(), 'labels = ["<0.15 m", "0.15–0.5 m", "0.5–1.5 m", "1.5–3 m", ">3 m"]\n', "")
    flood = load_region(write(tmp_path, text)).hazards["flood"]
    assert flood.labels == ("<0.15 m", "0.15–0.5 m", "0.5–1.5 m", "1.5–3 m", "≥3 m")


def test_relative_paths_follow_the_region_file(tmp_path):
    text = sub(jjj_text(), f'"{JJJ_DATA.as_posix()}/parks.csv"', '"data/my parks.csv"')
    r = load_region(write(tmp_path, text))
    parks = [t for t in r.tables if t.entity == "parks"][0]
    assert parks.path == tmp_path / "data" / "my parks.csv"


def test_absolute_copy_loads_like_the_original(tmp_path):
    a, b = load_region(JJJ), load_region(write(tmp_path, jjj_text()))
    assert b.hazards == a.hazards and b.tables == a.tables and b.admin == a.admin


# --- broken variants ----------------------------------------------------------------------------


def test_missing_file(tmp_path):
    assert problems(tmp_path / "nope.toml") == [("file_not_found", {})]


def test_syntax_error(tmp_path):
    text = sub(jjj_text(), "resolutions = [5, 6, 7, 8, 9]", "resolutions = [5, 6, 7, 8, 9")
    [(code, params)] = problems(write(tmp_path, text))
    assert code == "region_syntax"
    assert "line" in params["found"]


def test_unknown_key_typo(tmp_path):
    text = sub(jjj_text(), "resolutions = [5,", "resolution = [5,")
    found = problems(write(tmp_path, text))
    assert ("region_unknown_key", "region.resolution") in [(c, p.get("key")) for c, p in found]
    assert ("region_missing_key", "region.resolutions") in [(c, p.get("key")) for c, p in found]


def test_unknown_key_in_hazard(tmp_path):
    text = sub(jjj_text(), 'units = "m"', 'units = "m"\nnodta = -9999')
    found = problems(write(tmp_path, text))
    assert [(c, p["key"]) for c, p in found] == [("region_unknown_key", "hazards.flood.nodta")]


def test_several_problems_are_all_reported_at_once(tmp_path):
    text = jjj_text()
    text = sub(text, "bbox = [113.3, 35.9, 120.1, 42.8]", "bbox = [120.1, 35.9, 113.3, 42.8]")
    text = sub(text, "breaks = [0.15, 0.5, 1.5, 3.0]", "breaks = [0.15, 1.5, 0.5, 3.0]")
    text = sub(text, 'labels = ["<0.05 g", "0.05 g",', 'labels = [')
    text = sub(text, 'wildfire = ["firefighting",', 'wildfire = ["magic", "firefighting",')
    found = problems(write(tmp_path, text))
    assert sorted((c, p["key"]) for c, p in found) == [
        ("region_bad_value", "chains.wildfire"),
        ("region_bad_value", "hazards.earthquake.labels"),
        ("region_bad_value", "hazards.flood.breaks"),
        ("region_bad_value", "region.bbox"),
    ]
    labels = dict((p["key"], p) for _, p in found)["hazards.earthquake.labels"]
    assert labels["found"] == "5 labels" and labels["expected"].startswith("7 labels")


def test_header_false_needs_column_order(tmp_path):
    text = sub(jjj_text(), 'name = "parks"\n', 'name = "parks"\nheader = false\n')
    assert [(c, p["key"]) for c, p in problems(write(tmp_path, text))] == [
        ("region_missing_key", "parks[0].column_order")]


def test_header_false_with_column_order_loads(tmp_path):
    text = sub(jjj_text(), 'name = "parks"\n',
               'name = "parks"\nheader = false\ncolumn_order = ["name", "", "lon", "lat"]\n')
    parks = load_region(write(tmp_path, text)).tables[0]
    assert parks.header is False
    assert parks.column_order == ("name", "", "lon", "lat")


def test_column_order_with_unknown_field(tmp_path):
    text = sub(jjj_text(), 'name = "parks"\n',
               'name = "parks"\nheader = false\ncolumn_order = ["name", "longitude"]\n')
    [(code, params)] = problems(write(tmp_path, text))
    assert (code, params["key"], params["found"]) == (
        "region_bad_value", "parks[0].column_order", "'longitude'")


def test_missing_reserves_and_hazard_units(tmp_path):
    text = jjj_text()
    text = re.sub(r"\[\[reserves\]\]\n(.+\n)+?\n", "", text)
    text = sub(text, 'units = "1/yr"\n', "")
    assert "[[reserves]]" not in text
    found = sorted((c, p["key"]) for c, p in problems(write(tmp_path, text)))
    assert found == [("region_missing_key", "hazards.wildfire.units"),
                     ("region_missing_key", "reserves")]


def test_wrong_types_are_bad_values(tmp_path):
    text = sub(jjj_text(), 'parks.csv"\ncrs = "WGS84"\nsynthetic = false',
               'parks.csv"\ncrs = "WGS84"\nsynthetic = "no"')
    text = sub(text, "dispatch_delay_h = 0.5", "dispatch_delay_h = true")
    found = sorted((c, p["key"]) for c, p in problems(write(tmp_path, text)))
    assert found == [("region_bad_value", "parks[0].synthetic"),
                     ("region_bad_value", "standards.dispatch_delay_h")]


def test_defaults_with_unknown_field(tmp_path):
    text = sub(jjj_text(), 'name = "reserves_synthetic"\n',
               'name = "reserves_synthetic"\ndefaults = { tier = "county", colour = "red" }\n')
    [(code, params)] = problems(write(tmp_path, text))
    assert (code, params["key"]) == ("region_unknown_key", "reserves[0].defaults.colour")


def test_defaults_are_kept(tmp_path):
    text = sub(jjj_text(), 'name = "reserves_synthetic"\n',
               'name = "reserves_synthetic"\ndefaults = { tier = "county" }\n')
    reserves = [t for t in load_region(write(tmp_path, text)).tables if t.entity == "reserves"]
    assert reserves[0].defaults == {"tier": "county"}


def test_chains_for_an_unknown_hazard_is_reported(tmp_path):
    text = sub(jjj_text(), 'wildfire = ["firefighting",', 'wildfir = ["firefighting",')
    found = problems(write(tmp_path, text))
    assert "chains.wildfir" in [p.get("key") for _, p in found]


def test_duplicate_source_names_within_an_entity(tmp_path):
    text = sub(jjj_text(), 'name = "enterprises_synthetic"', 'name = "enterprises_leading"')
    [(code, params)] = problems(write(tmp_path, text))
    assert (code, params["key"], params["found"]) == (
        "region_bad_value", "enterprises.name", "'enterprises_leading'")


def test_duplicate_source_names_across_entities(tmp_path):
    text = sub(jjj_text(), 'name = "reserves_synthetic"', 'name = "parks"')
    [(code, params)] = problems(write(tmp_path, text))
    assert code == "region_bad_value" and "parks" in str(params.get("found"))


# --- standards.terrain ---------------------------------------------------------------------------


def test_jjj_terrain_lists_cities_and_counties():
    by_unit = load_region(JJJ).standards.terrain_by_unit
    assert len(by_unit) == 31
    assert by_unit["130700"] == by_unit["130800"] == by_unit["110109"] == "mountain"  # 张家口, 承德, 门头沟
    assert by_unit["110111"] == by_unit["120119"] == "hill"  # 房山, 蓟州
    assert set(by_unit.values()) <= set(load_region(JJJ).standards.detour)


@pytest.mark.parametrize(("old", "new", "key", "code"), [
    ('hill = [\n', 'steep = [\n', "standards.terrain.steep", "region_unknown_key"),  # not in detour
    ('"130700", "130800",', '"130700", "1307",', "standards.terrain.mountain", "region_bad_value"),
    ('"130700", "130800",', '"130700", "130000",', "standards.terrain.mountain", "region_bad_value"),
    ('"130700", "130800",', '"130700", "410100",', "standards.terrain.mountain", "region_bad_value"),
    ('"130700", "130800",', '"130700", "110111",', "standards.terrain.hill", "region_bad_value"),  # twice
    ("detour = { plain = 1.3,", "detour = {", "standards.detour.plain", "region_missing_key"),
])
def test_bad_terrain_is_a_region_error_naming_the_key(tmp_path, old, new, key, code):
    found = problems(write(tmp_path, sub(jjj_text(), old, new)))
    assert (code, key) in [(c, p.get("key")) for c, p in found]


def test_terrain_adcode_missing_from_the_boundaries_is_reported_by_check_sources(tmp_path):
    from etl.build import check_sources  # noqa: PLC0415

    checked = check_sources(write(tmp_path, sub(jjj_text(), '"130700", "130800",', '"130700", "130799",')))
    assert [(p.code, p.params["key"], p.params["found"]) for p in checked.problems] == [
        ("region_bad_value", "standards.terrain.mountain", "'130799'")]


# --- [exposure] ----------------------------------------------------------------------------------

_EXPOSURE_UNITS = 'units = "people"'


def test_jjj_exposure_is_a_synthetic_population_count_raster():
    e = load_region(JJJ).exposure
    assert e is not None and e.path == JJJ_DATA / "population_synthetic.tif" and e.path.is_file()
    assert (e.units, e.band, e.crs, e.nodata, e.synthetic) == ("people", 1, None, None, True)
    assert "第七次全国人口普查公报" in e.source and "合成" in e.description


def test_exposure_is_optional_and_an_absolute_copy_keeps_it(tmp_path):
    text = re.sub(r"\[exposure\].*?\n\n", "", jjj_text(), flags=re.S)
    assert "[exposure]" not in text
    assert load_region(write(tmp_path, text)).exposure is None
    assert load_region(write(tmp_path, jjj_text())).exposure == load_region(JJJ).exposure


def test_exposure_optional_keys_are_read(tmp_path):
    text = sub(jjj_text(), _EXPOSURE_UNITS, f'{_EXPOSURE_UNITS}\nband = 2\nnodata = -1\ncrs = "EPSG:4548"')
    e = load_region(write(tmp_path, text)).exposure
    assert (e.band, e.nodata, e.crs) == (2, -1.0, "EPSG:4548")


@pytest.mark.parametrize(("old", "new", "want"), [
    (_EXPOSURE_UNITS, 'units = "people/km2"', [("region_bad_value", "exposure.units")]),
    (_EXPOSURE_UNITS, 'units = "m"', [("region_bad_value", "exposure.units")]),
    (_EXPOSURE_UNITS, "", [("region_missing_key", "exposure.units")]),
    (_EXPOSURE_UNITS, f"{_EXPOSURE_UNITS}\nband = 0", [("region_bad_value", "exposure.band")]),
    (_EXPOSURE_UNITS, f"{_EXPOSURE_UNITS}\nnodata = \"none\"", [("region_bad_value", "exposure.nodata")]),
    ("synthetic = true\nsource =", 'synthetic = "yes"\nsource =', [("region_bad_value", "exposure.synthetic")]),
    ('path = "' + JJJ_DATA.as_posix() + '/population_synthetic.tif"',
     'paht = "' + JJJ_DATA.as_posix() + '/population_synthetic.tif"',
     [("region_missing_key", "exposure.path"), ("region_unknown_key", "exposure.paht")]),
])
def test_bad_exposure_keys_are_region_errors_naming_the_key(tmp_path, old, new, want):
    found = problems(write(tmp_path, sub(jjj_text(), old, new)))
    assert sorted((c, p.get("key")) for c, p in found) == want


def test_exposure_units_error_says_counts_not_densities(tmp_path):
    [(_, params)] = problems(write(tmp_path, sub(jjj_text(), _EXPOSURE_UNITS, 'units = "people/km2"')))
    assert params["found"] == "'people/km2'" and "counts" in params["expected"]
    from etl.messages import render  # noqa: PLC0415

    zh = render("region_bad_value", "r.toml", params, "zh")
    assert zh.startswith("r.toml：配置项「exposure.units」的值 'people/km2' 不合法，应为 每像元人数")


def test_exposure_must_be_a_table_and_a_raster(tmp_path):
    text = re.sub(r"\[exposure\].*?\n\n", 'exposure = "population.tif"\n\n', jjj_text(), flags=re.S)
    text = text.replace('exposure = "population.tif"\n\n', "")
    text = text.replace("[region]\n", 'exposure = "population.tif"\n[region]\n', 1)
    assert [(c, p["key"]) for c, p in problems(write(tmp_path, text))] == [("region_bad_value", "exposure")]
    bad = sub(jjj_text(), "population_synthetic.tif", "population.csv")
    assert [c for c, _ in problems(write(tmp_path, bad))] == ["unsupported_format"]


def test_exposure_is_a_reserved_source_name(tmp_path):
    text = sub(jjj_text(), 'name = "reserves_synthetic"', 'name = "exposure"')
    [(code, params)] = problems(write(tmp_path, text))
    assert (code, params["key"], params["found"]) == ("region_bad_value", "reserves.name", "'exposure'")


def test_vector_hazard_keys_are_checked(tmp_path):
    text = jjj_text()
    text = sub(text, 'kind = "lines"', 'kind = "polylines"')
    text = sub(text, 'statistic = "smoothed_rate"                  # Gaussian kernel (Frankel 1995)\n',
               'statistic = "smoothed_rate"\nbandwith_km = 3\n')
    text = sub(text, "period = [1900, 2016]                        # 117 years\n", "")
    text += '\n[hazards.zoning]\nkind = "zones"\npath = "z.gpkg"\nunits = "g"\nbreaks = [0.1]\noverlap = "sum"\n'
    found = {(c, p.get("key")) for c, p in problems(write(tmp_path, text))}
    assert found == {
        ("region_bad_value", "hazards.faults.kind"),
        ("region_unknown_key", "hazards.seismicity.bandwith_km"),
        ("region_missing_key", "hazards.seismicity.period"),
        ("region_missing_key", "hazards.zoning.field"),
        ("region_bad_value", "hazards.zoning.overlap"),
    }
