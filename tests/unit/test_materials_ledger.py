"""Stock and capacity ledgers (etl.materials) and the catalogue (etl.catalogue): messy 台账 -> exact rejects."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from etl.catalogue import MaterialIndex, MaterialsConfig, load_catalogue, load_materials
from etl.errors import DataError
from etl.materials import LedgerSource, load_ledger
from etl.region import TableSource

CATALOGUE = Path(__file__).resolve().parents[2] / "geodata" / "jjj" / "materials.toml"
RESERVES = pd.DataFrame({"id": ["R1", "R2", "R3", "R4"],
                         "name": ["唐山市级储备库", "开平区县级储备点", "新华区县级储备库", "新华区县级储备库"]})
ENTERPRISES = pd.DataFrame({"id": ["E1", "E2"], "name": ["唐山某救援装备公司", "开平某无人机公司"]})


@pytest.fixture(scope="module")
def config() -> MaterialsConfig:
    return MaterialsConfig(load_catalogue(CATALOGUE, ("flood", "earthquake", "wildfire")), 2.62, 1.0, {})


def _src(kind: str, path: Path, **kw) -> LedgerSource:
    return LedgerSource(kind, TableSource(entity=kind, name=path.stem, path=path, **kw))


def _wide_xlsx(path: Path) -> Path:
    """Title row, merged two-row header, one column per material (units in brackets)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["开平区应急物资储备台账（2026年6月）"])
    ws.merge_cells("A1:F1")
    ws.append(["储备库", "物资（数量）", None, None, None, "备注"])
    ws.append([None, "帐篷（顶）", "棉被（床）", "救生衣（箱）", "救生筏（只）", None])
    ws.merge_cells("A2:A3")
    ws.merge_cells("B2:E2")
    ws.merge_cells("F2:F3")
    ws.append(["唐山市级储备库", 100, 200, 5, 3, None])
    ws.append(["开平区县级储备点", -4, 50, None, None, "帐篷待核"])
    ws.append(["不存在的储备库", 10, None, None, None, None])
    ws.append(["合计", 96, 250, 5, 3, None])
    wb.save(path)
    return path


def _long_gbk(path: Path) -> Path:
    text = ("储备库,物资名称,规格型号,计量单位,数量,入库日期\n"
            "R1,帐篷,12平米,顶,30,2026-05-01\n"
            "唐山市级储备库,饮用水,550ml,箱,10,2026-05-01\n"
            "唐山市级储备库,排涝泵,,台,abc,\n"
            "开平区县级储备点,发电机,,吨,2,\n"
            "唐山市级储备库,帐篷,12平米,顶,5,\n"
            "开平区县级储备点,救灾帐篷（12平米）,,顶,8,\n"
            "唐山市级储备库,棉被子,,床,-3,\n"
            "新华区县级储备库,棉被,,床,10,\n")
    path.write_bytes(text.encode("gbk"))
    return path


def _codes(loaded) -> list[tuple[int, str]]:
    return [(r["row_number"], r["reason_code"]) for r in loaded.rejects]


def test_wide_xlsx_with_title_and_merged_header(tmp_path, config):
    loaded = load_ledger(_src("stock", _wide_xlsx(tmp_path / "wide.xlsx")), config, RESERVES)
    assert loaded.layout == "wide"
    assert _codes(loaded) == [(4, "material_unknown"), (5, "material_quantity"), (6, "material_no_owner"),
                              (7, "material_total_row")]
    rows = {(r.owner, r.material): r.quantity for r in loaded.rows.itertuples()}
    assert rows == {("R1", "tent"): 100, ("R1", "quilt"): 200, ("R1", "life_jacket"): 100, ("R2", "quilt"): 50}
    unknown = loaded.rejects[0]
    assert "救生筏" in unknown["reason"] and "救生圈" in unknown["reason"]  # the closest catalogue name
    assert "救生筏" in unknown["raw"]


def test_long_gbk_csv_units_duplicates_and_bad_numbers(tmp_path, config):
    loaded = load_ledger(_src("stock", _long_gbk(tmp_path / "long.csv")), config, RESERVES)
    assert loaded.layout == "long"
    assert _codes(loaded) == [(4, "material_quantity"), (5, "material_unit"), (6, "material_duplicate"),
                              (8, "material_quantity"), (9, "material_owner_ambiguous")]
    rows = loaded.rows[["owner", "material", "quantity", "unit", "spec"]]
    got = rows.astype(object).where(rows.notna(), None).to_dict("records")
    assert got == [
        {"owner": "R1", "material": "tent", "quantity": 30.0, "unit": "顶", "spec": "12平米"},
        {"owner": "R1", "material": "water", "quantity": 120.0, "unit": "升", "spec": "550ml"},  # 10 箱 x 12 升
        {"owner": "R2", "material": "tent", "quantity": 8.0, "unit": "顶", "spec": None},
    ]
    reasons = {r["reason_code"]: r for r in loaded.rejects}
    assert "吨" in reasons["material_unit"]["reason"] and "台" in reasons["material_unit"]["reason"]
    assert "第 2 行" in reasons["material_duplicate"]["reason"]
    assert "R3" in reasons["material_owner_ambiguous"]["reason"]
    assert "convert" in reasons["material_unit"]["reason_en"]


def test_capacity_ledger(tmp_path, config):
    path = tmp_path / "cap.csv"
    path.write_text("企业名称,物资名称,日产能,计量单位,转产时间(小时),协议类型\n"
                    "唐山某救援装备公司,排涝泵,20,台,24,产能储备协议\n"
                    "开平某无人机公司,侦察无人机,5,架,12,代储\n"
                    "开平某无人机公司,急救包,100,个,-1,无\n"
                    "唐山某救援装备公司,救生衣,1,箱,6,口头约定\n", encoding="utf-8")
    loaded = load_ledger(_src("capacity", path), config, ENTERPRISES)
    assert _codes(loaded) == [(4, "material_quantity"), (5, "material_agreement")]
    got = loaded.rows[["owner", "material", "quantity", "ramp_h", "agreement"]].to_dict("records")
    assert got == [{"owner": "E1", "material": "pump", "quantity": 20.0, "ramp_h": 24.0, "agreement": "capacity"},
                   {"owner": "E2", "material": "uav", "quantity": 5.0, "ramp_h": 12.0, "agreement": "consignment"}]


def test_unrecognised_header_is_a_file_problem(tmp_path, config):
    path = tmp_path / "odd.csv"
    path.write_text("甲,乙\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError) as exc:
        load_ledger(_src("stock", path), config, RESERVES)
    assert exc.value.problems[0].code == "material_layout"
    assert "甲" in exc.value.problems[0].text("zh")


def test_index_names_aliases_and_specs(config):
    ix = MaterialIndex(config.catalogue)
    assert ix.code("抽水机") == "pump" and ix.code("救灾帐篷（12平米）") == "tent" and ix.code("Tent") == "tent"
    assert ix.code("救生筏") is None
    assert {"救生圈", "救生衣"} <= set(ix.suggest("救生筏"))


def test_catalogue_problems_all_at_once(tmp_path):
    bad = tmp_path / "cat.toml"
    bad.write_text('[[material]]\ncode = "tent"\nname = "帐篷"\nunit = "顶"\naliases = ["棉被"]\n'
                   '[[material.norm]]\nhazard = "tsunami"\nper = "displaced"\nquantity = 1\nsource = "x"\n'
                   '[[material]]\ncode = "quilt"\nname = "棉被"\nunit = "床"\nconvert = { "包" = -1 }\n'
                   '[[material]]\ncode = "9x"\nname = "x"\n', encoding="utf-8")
    with pytest.raises(DataError) as exc:
        load_catalogue(bad, ("flood",))
    got = sorted((p.code, p.params.get("key", p.params.get("found"))) for p in exc.value.problems)
    assert got == [("catalogue_bad", "material[0].category"), ("catalogue_bad", "material[0].norm[0].hazard"),
                   ("catalogue_bad", "material[1].category"), ("catalogue_bad", "material[1].convert"),
                   ("catalogue_bad", "material[2].category"), ("catalogue_bad", "material[2].code"),
                   ("catalogue_duplicate", "棉被"), ("catalogue_missing", "material[2].unit")]
    text = exc.value.render("zh")
    assert "tsunami" in text and "正数" in text


def test_region_materials_table_checks(tmp_path):
    doc = {"materials": {"catalogue": str(CATALOGUE), "household_size": 0, "extra": 1,
                         "shares": {"flood": {"affected": [0, 0.5], "displaced": [0, 0.1, 0.2, 0.3, 0.4]}}}}
    with pytest.raises(DataError) as exc:
        load_materials(doc, tmp_path / "r.toml", {"flood": 4, "earthquake": 6, "wildfire": 4})
    keys = sorted(p.params.get("key") for p in exc.value.problems)
    assert keys == ["materials.extra", "materials.household_size", "materials.shares.flood.affected"]


def test_region_event_shares_checks(tmp_path):
    doc = {"materials": {"catalogue": str(CATALOGUE), "event_shares": {
        "footprint": {"affected": [1.0, 0.5], "displaced": [0.1]},
        "intensity": {"affected": [0, 0.1, 0.3, 0.6, 0.9, 1], "displaced": [0, 0.2, 0.5, 0.2, 0.45, 0.7]},
        "storm": {"affected": [1], "displaced": [0]}}}}
    with pytest.raises(DataError) as exc:
        load_materials(doc, tmp_path / "r.toml", {"flood": 4})
    keys = sorted(p.params.get("key") for p in exc.value.problems)
    assert keys == ["materials.event_shares.footprint.affected", "materials.event_shares.intensity.displaced",
                    "materials.event_shares.storm"]
    good = {"materials": {"catalogue": str(CATALOGUE), "event_shares": {
        "footprint": {"affected": [1.0], "displaced": [0.1]}}}}
    cfg = load_materials(good, tmp_path / "r.toml", {"flood": 4})
    assert cfg.event_shares == {"footprint": {"affected": (1.0,), "displaced": (0.1,)}}
