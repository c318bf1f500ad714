"""The app's 物资 analyses and cards on the demo store: the numbers equal the layers (and so the CLI)."""

from __future__ import annotations

import pytest

from layers.analysis.supply import match_from_store, regional_supply
from layers.map.inspect import facility_card
from layers.store import Store
from mapapp import analyses
from mapapp.components import facility_card as card_component


@pytest.fixture(scope="module")
def store(demo_db):
    s = Store(demo_db)
    yield s
    s.close()


def test_supply_panel_equals_the_allocation(store):
    view = analyses.run(store, analyses.Params.from_controls({"kind": "supply", "hazard": "flood", "min_class": 3,
                                                              "unit": "130900"}), "zh")
    result, _, _, _ = regional_supply(store, "flood", 3)
    mine = result[result["adcode"].str.startswith("1309") & (result["deadline_h"] == 24)]
    tents = mine[mine["material"] == "tent"]
    row = view.shown[view.shown["name"] == "救灾帐篷"].iloc[0]
    assert row["need"] == round(tents["need"].sum()) and row["arrived"] == round(tents["arrived"].sum())
    assert {f["properties"]["adcode"][:4] for f in view.choropleth["features"]} == {"1309"}
    assert "不足" in view.summary[1] and all("None" not in line for line in view.summary)


def test_match_panel_equals_match_from_store(store):
    view = analyses.run(store, analyses.Params.from_controls({"kind": "match", "lon": 116.85, "lat": 38.3,
                                                              "material": "抽水机", "quantity": "200", "hours": 12}),
                        "zh")
    plan, summary = match_from_store(store, "排涝泵", 200, (116.85, 38.3), 12)
    assert len(view.shown) == len(plan) and view.shown["quantity"].sum() == pytest.approx(plan["quantity"].sum(), abs=0.5)
    assert f"可运到 {summary['arrived']:,.0f}" in view.summary[0]
    with pytest.raises(ValueError, match="material"):
        analyses.run(store, analyses.Params.from_controls({"kind": "match", "lon": 116.85, "lat": 38.3,
                                                          "quantity": "5"}), "zh")


def test_cards_list_stock_and_capacity(store):
    depot = facility_card(store, "reserves", "R0147")
    assert depot["materials"] and all(m["quantity"] > 0 for m in depot["materials"])
    html = str(card_component(depot, "zh"))
    assert "库存物资" in html and depot["materials"][0]["name"] in html
    firm = facility_card(store, "enterprises", "L01")
    text = str(card_component(firm, "en"))
    assert "per day after" in text and "Cotton quilt" in text


def test_dispatch_ranking_says_what_each_source_can_send(store):
    from layers import dispatch_from_store  # noqa: PLC0415

    table, _, _ = dispatch_from_store(store, at=(116.85, 38.3), radius_km=20, hazard="flood")
    first = table[table["kind"] == "reserve"].iloc[0]
    held = facility_card(store, "reserves", first["id"])["materials"]  # by material code, as can_send
    assert first["can_send"].startswith(f"{held[0]['name']} {held[0]['quantity']:,.0f} {held[0]['unit']}")
    assert (f"（共 {len(held)} 种）" in first["can_send"]) == (len(held) > 6)
    firms = table[(table["kind"] == "enterprise") & table["can_send_en"].notna()]
    assert len(firms) and firms["can_send_en"].str.contains("/day").all()


def test_gaps_with_material_sufficiency(store):
    from layers import gaps_from_store  # noqa: PLC0415

    _, units = gaps_from_store(store, "flood", 7, min_class=3, materials=True)
    result, _, _, _ = regional_supply(store, "flood", 3)
    row = units[(units["level"] == "city") & (units["adcode"] == "130900")].iloc[0]
    at6 = result[result["adcode"].str.startswith("1309") & (result["deadline_h"] == 6)]
    by = at6.groupby("material")[["need", "arrived"]].sum()
    fill = by["arrived"] / by["need"]
    assert row["materials_needed"] == len(fill) and row["materials_short"] == int((fill < 0.999).sum())
    assert row["lowest_fill"] == pytest.approx(fill.min())
    with pytest.raises(ValueError, match="materials"):
        gaps_from_store(store, "any", 7, materials=True)
