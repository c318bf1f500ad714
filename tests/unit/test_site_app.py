"""The app's site suitability (issue 15, observation 7): the spacing control reaches the
analysis, and "assess here" scores the clicked hexagon at its own resolution."""

from __future__ import annotations

import h3
import pytest

from mapapp.analyses import Params, cell_resolution


@pytest.mark.parametrize("res", [5, 6, 7, 8, 9])
def test_the_card_hexagon_gives_its_own_resolution(res):
    assert cell_resolution(h3.latlng_to_cell(38.99, 115.9, res)) == res  # near Xiong'an


@pytest.mark.parametrize("bad", [None, "", "R0071", "not-a-cell", "0", 42])
def test_no_resolution_without_a_hexagon(bad):
    assert cell_resolution(bad) is None


def test_spacing_control_is_read_and_checked():
    assert Params.from_controls({"kind": "site"}).spacing_km == 10.0
    assert Params.from_controls({"kind": "site", "spacing_km": "2.5"}).spacing_km == 2.5
    assert Params.from_controls({"kind": "site", "spacing_km": 0}).spacing_km == 0
    with pytest.raises(ValueError, match="spacing_km"):
        Params.from_controls({"kind": "site", "spacing_km": -1})


def test_hard_exclusions_read_in_words():
    """excluded_by as layers writes it -> the panel's words: no code names or ">=" in Chinese."""
    from mapapp.analyses.site import exclusion_text  # noqa: PLC0415

    raw = "flood class 4 >= 4; faults class 5 >= 4"
    assert exclusion_text(raw, "zh") == "洪水 4 级（≥ 4 级不可选）；距活动断层距离 5 级（≥ 4 级不可选）"
    assert exclusion_text(raw, "en") == ("Flood class 4 (class 4 and above excluded); "
                                         "Distance to active faults class 5 (class 4 and above excluded)")
    assert exclusion_text("", "zh") == "" and exclusion_text(None, "en") == ""
