"""Bounded work: what an analysis would process is counted before it runs (cells; candidate x
demand pairs for siting) and refused over the budget, naming a resolution that fits."""

from __future__ import annotations

import pytest

from layers import Budget, WorkTooLarge, check_work
from layers.analysis.budget import work_amount
from tests.unit import world as W

COUNTIES_OF = {"110100": ["110101", "110102"], "130100": ["130102", "130104", "139001"]}


def _region(res):
    return sum(len(W.county_cells(c, res)) for c in W.BOXES)


def _at_risk(world, hazard, res, counties=None, low=1):
    """At-risk cells from the raw table, filtered in Python (the oracle)."""
    df = world.query("SELECT hazard, res, cell, class FROM hazard_cells")
    df = df[(df["res"] == res) & (df["class"] >= low) & ((df["hazard"] == hazard) if hazard != "any" else True)]
    cells = set(df["cell"].astype("uint64"))
    if counties is not None:
        cells &= {c for county in counties for c in W.county_cells(county, res)}
    return len(cells)


@pytest.mark.parametrize("res", [7, 8])
def test_cells_and_pairs_match_the_world(world, res):
    assert work_amount(world, "index", res) == _region(res)
    assert work_amount(world, "e2sfca", res, unit="110100") == sum(len(W.county_cells(c, res)) for c in COUNTIES_OF["110100"])
    assert work_amount(world, "gaps", res, hazard="earthquake") == _at_risk(world, "earthquake", res)
    assert work_amount(world, "gaps", res, hazard="earthquake", min_class=2) == _at_risk(world, "earthquake", res, low=2)
    pairs = work_amount(world, "siting", res, unit="130100", hazard="any")
    assert pairs == sum(len(W.county_cells(c, res)) for c in COUNTIES_OF["130100"]) * _at_risk(
        world, "any", res, COUNTIES_OF["130100"])


def test_over_budget_names_the_resolution_that_fits(world):
    at7, at8 = _region(7), _region(8)
    assert at8 > at7
    assert check_work(world, "index", 8, Budget(cells=at8)) == at8  # at the limit: runs
    with pytest.raises(WorkTooLarge) as refused:
        check_work(world, "index", 8, Budget(cells=at8 - 1))
    zh, en = refused.value.zh, refused.value.en
    assert f"第 8 级分辨率约有 {at8:,}个格网" in zh and f"上限 {at8 - 1:,}" in zh
    assert f"请改用第 7 级分辨率（约 {at7:,}个格网）" in zh and "resolution 7" in en
    with pytest.raises(WorkTooLarge, match="smaller city or county") as none_fits:
        check_work(world, "index", 8, Budget(cells=1), unit=None)
    assert "请选择更小的市、县" in none_fits.value.zh and "北京" not in none_fits.value.zh


def test_siting_counts_pairs_and_names_the_unit(world):
    pairs = work_amount(world, "siting", 8, unit="110100", hazard="earthquake")
    with pytest.raises(WorkTooLarge) as refused:
        check_work(world, "siting", 8, Budget(pairs=pairs - 1), unit="110100", hazard="earthquake")
    assert "在北京市第 8 级分辨率" in refused.value.zh and "候选格网 × 需求格网" in refused.value.zh


def test_a_point_event_counts_its_disc(world):
    small = work_amount(world, "dispatch", 8, radius_km=1.0)
    assert 1 <= small < work_amount(world, "dispatch", 8, radius_km=3.0) <= _region(8)
    assert work_amount(world, "dispatch", 8, radius_km=500.0) == _region(8)  # never more than the region


def test_an_unknown_unit_is_an_error(world):
    with pytest.raises(ValueError, match="999999"):
        work_amount(world, "gaps", 8, unit="999999", hazard="earthquake")
