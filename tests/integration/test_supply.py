"""Materials end to end: ledgers through build/validate, and the supply analysis on the demo store."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import numpy as np
import pytest
from click.testing import CliRunner

from etl.build import build_store, check_sources
from etl.cli import main
from layers.store import Store
from layers.analysis.supply import match_from_store, supply_from_store

CATALOGUE = Path(__file__).resolve().parents[2] / "geodata" / "jjj" / "materials.toml"


def _with_materials(toml: Path) -> Path:
    root = toml.parent
    (root / "stock.csv").write_text("储备库,物资名称,计量单位,数量\n唐山市级储备库,帐篷,顶,120\n"
                                    "R2,排涝泵,台,6\n某救援队,破拆工具,套,2\n唐山市级储备库,救生筏,只,3\n",
                                    encoding="utf-8")
    (root / "capacity.csv").write_text("企业编号,物资名称,日产能,计量单位,转产时间(小时),协议类型\n"
                                       "E1,破拆工具,4,套,12,产能储备协议\nE9,排涝泵,5,台,6,无\n", encoding="utf-8")
    toml.write_text(toml.read_text(encoding="utf-8") + f"""
[materials]
catalogue = "{CATALOGUE.as_posix()}"
[materials.shares.flood]
affected = [0, 0.2, 0.5, 0.8, 1.0]
displaced = [0, 0, 0.05, 0.2, 0.5]

[[stock]]
path = "stock.csv"
as_of = "2026-06-30"

[[capacity]]
path = "capacity.csv"
""", encoding="utf-8")
    return toml


def test_validate_and_build_agree_on_material_rejects(tiny_region, tmp_path):
    toml = _with_materials(tiny_region)
    checked = check_sources(toml)
    ours = sorted((r["source"], r["row_number"], r["reason_code"]) for r in checked.rejects
                  if r["source"].startswith(("stock", "capacity")))
    assert ours == [("capacity:capacity.csv", 3, "material_no_owner"), ("stock:stock.csv", 5, "material_unknown")]
    result = CliRunner().invoke(main, ["validate", str(toml)])
    assert result.exit_code == 1 and "救生筏" in result.output
    db = tmp_path / "tiny.duckdb"
    build_store(toml, db)
    con = duckdb.connect(str(db), read_only=True)
    stored = sorted(con.execute("SELECT source, row_number, reason_code FROM rejects WHERE source LIKE 'stock%' "
                                "OR source LIKE 'capacity%'").fetchall())
    assert stored == ours
    stock = con.execute("SELECT reserve, material, quantity, as_of FROM stock ORDER BY reserve, material").fetchall()
    assert stock == [("R1", "tent", 120.0, "2026-06-30"), ("R2", "pump", 6.0, "2026-06-30"),
                     ("R3", "breaking_tools", 2.0, "2026-06-30")]
    assert con.execute("SELECT enterprise, material, per_day, ramp_h, agreement FROM capacity").fetchall() == [
        ("E1", "breaking_tools", 4.0, 12.0, "capacity")]
    assert con.execute("SELECT count(*) FROM materials").fetchone()[0] >= 37
    con.close()


@pytest.fixture(scope="module")
def demo(demo_db):
    store = Store(demo_db)
    result, flows, summary = supply_from_store(store, "flood", 3)
    yield store, result, flows, summary
    store.close()


def test_demo_shows_real_shortfalls(demo):
    _, result, _, summary = demo
    last = result[result["deadline_h"] == 24]
    short = last[last["shortfall"] > 1]
    assert short["material"].nunique() >= 5 and short["adcode"].nunique() >= 10
    assert summary["bottlenecks"] and summary["dry_depots"] > 0
    assert 0 < summary["displaced"] < summary["affected"]


def test_demo_conservation(demo):
    store, result, flows, _ = demo
    assert (flows["hours"] <= flows["deadline_h"] + 1e-9).all() and (flows["quantity"] > 0).all()
    stock = store.query("SELECT reserve AS source_id, material, sum(quantity) AS held FROM stock GROUP BY ALL")
    sent = flows[flows["source_kind"] == "stock"].groupby(["deadline_h", "source_id", "material"], as_index=False)[
        "quantity"].sum().merge(stock, on=["source_id", "material"], how="left")
    assert (sent["quantity"] <= sent["held"] * (1 + 1e-9) + 1e-6).all()
    assert (result["arrived"] <= result["need"] * (1 + 1e-12)).all()
    # the flows explain every arrived unit
    got = flows.groupby(["deadline_h", "adcode", "material"])["quantity"].sum()
    r = result.set_index(["deadline_h", "adcode", "material"])["arrived"]
    assert np.allclose(got.reindex(r.index, fill_value=0.0), r, rtol=1e-9, atol=1e-6)
    cap = store.query("SELECT enterprise AS source_id, material, min(ramp_h) AS ramp_h FROM capacity GROUP BY ALL")
    prod = flows[flows["source_kind"] == "production"].merge(cap, on=["source_id", "material"])
    assert len(prod) and (prod["hours"] > prod["ramp_h"]).all()
    # more time never delivers less
    # (per material: the LP maximises the total met, so one county may get less at a longer deadline
    # when the stock serves another one better, e.g. 北斗短报文终端 in 130983: 1.28 at 6 h, 0.70 at 12 h)
    wide = result.pivot_table(index="material", columns="deadline_h", values="arrived", aggfunc="sum")
    assert (np.diff(wide.to_numpy(), axis=1) >= -1e-6).all()


def test_match_and_cli(demo, demo_db, tmp_path):
    store = demo[0]
    plan, summary = match_from_store(store, "排涝泵", 200, (116.85, 38.3), 12)
    assert summary["arrived"] == pytest.approx(plan["quantity"].sum()) and summary["arrived"] > 0
    assert (plan["hours"] <= 12).all() and summary["unmet"] == pytest.approx(200 - summary["arrived"])
    out = tmp_path / "m.csv"
    res = CliRunner().invoke(main, ["match", "--db", str(demo_db), "--material", "抽水机", "--quantity", "200",
                                    "--at", "116.85,38.3", "--deadline", "12", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["arrived"] == pytest.approx(summary["arrived"])
    res = CliRunner().invoke(main, ["match", "--db", str(demo_db), "--material", "救生筏", "--quantity", "2",
                                    "--at", "116.85,38.3", "--out", str(out)])
    assert res.exit_code == 2 and "救生筏" in res.output and "Traceback" not in res.output
    sup = tmp_path / "s.csv"
    res = CliRunner().invoke(main, ["analyze", "supply", "--db", str(demo_db), "--min-class", "3", "--material", "帐篷",
                                    "--adcode", "130900", "--out", str(sup), "--flows-out", str(tmp_path / "f.csv")])
    assert res.exit_code == 0, res.output
    header = sup.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert {"adcode", "name", "material", "deadline_h", "need", "arrived", "fill_rate", "shortfall"} <= set(header)
    flows_header = (tmp_path / "f.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert {"source_kind", "source_id", "adcode", "material", "quantity", "hours"} <= set(flows_header)


def test_report_has_a_supply_chapter(demo_db, tmp_path):
    from layers.report import build_report, write_report  # noqa: PLC0415
    from layers.report.supply import fill_map_svg  # noqa: PLC0415

    store = Store(demo_db)
    report = build_report(store, "130200", "flood", siting_k=0)
    by = report.tables["supply"]
    assert set(by["deadline_h"]) == {6.0, 12.0, 24.0} and (by["arrived"] <= by["need"] + 1e-6).all()
    # the unit's rows are its part of the region-wide allocation
    regional, _, _ = supply_from_store(store, "flood", 2)
    mine = regional[regional["adcode"].str.startswith("1302") & (regional["deadline_h"] == 24)]
    assert by[by["deadline_h"] == 24]["arrived"].sum() == pytest.approx(mine["arrived"].sum())
    keys = {f.key for f in report.findings}
    assert keys & {"supply_short", "supply_met"}
    svg = fill_map_svg(report, "flood", "zh")
    assert svg.count('class="county"') == len(report.maps["outlines"].query("role == 'child'"))
    paths = write_report(report, tmp_path, ["xlsx"])
    import openpyxl  # noqa: PLC0415

    wb = openpyxl.load_workbook(paths[0], read_only=True)
    assert "物资保障：需求与可运到量" in wb.sheetnames
    store.close()


def test_stock_plan_closes_the_gap(demo):
    """Adding the plan's stock makes every county's need arrive within the deadline from stock alone."""
    from layers.analysis.allocation import allocate  # noqa: PLC0415
    from layers.analysis.supply import (  # noqa: PLC0415
        material_sources,
        stock_plan_from_store,
        supply_needs,
        travel_hours,
    )
    from layers.analysis.travel import AccessParams  # noqa: PLC0415

    store = demo[0]
    plan, summary = stock_plan_from_store(store, "flood", 3, 6.0, materials=["排涝泵", "救灾帐篷"])
    assert set(summary["added"]) == {"pump", "tent"} and (plan["add"] > 0).all()
    units, needs = supply_needs(store, "flood", 3, materials=["排涝泵", "救灾帐篷"])
    stock, cap, fac = material_sources(store, ["pump", "tent"])
    travel = travel_hours(units, stock, cap.iloc[0:0], fac, AccessParams.from_standards(store.meta["standards"]), 6.0)
    more = pd.concat([stock, plan.rename(columns={"reserve": "source_id", "add": "quantity"})[
        ["source_id", "material", "quantity"]]]).groupby(["source_id", "material"], as_index=False)["quantity"].sum()
    before, _, _ = allocate(needs, stock, cap.iloc[0:0], travel, [6.0])
    after, _, _ = allocate(needs, more, cap.iloc[0:0], travel, [6.0])
    assert before["shortfall"].sum() > 1
    assert after["arrived"].sum() == pytest.approx(after["need"].sum(), rel=1e-9)
    # and no less would do: the plan adds exactly the shortfall that remains when stock is shared best
    assert plan["add"].sum() >= before["shortfall"].sum() - 1e-6
