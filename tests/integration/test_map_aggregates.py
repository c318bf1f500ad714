"""What an enterprise aggregate holds (layers.facilities_in_cell) against the counts the map
draws (facility_hexes_in_view) and a point-in-cell check with h3 (the oracle)."""

from __future__ import annotations

import h3
import pytest

from layers import Viewport, facilities_in_cell, facility_hexes_in_view



def test_agg001_every_bubble_lists_what_it_counts(demo_store):
    w, s, e, n = demo_store.meta["bbox"]
    view = Viewport.parse([[s - 0.5, w - 0.5], [n + 0.5, e + 0.5]], 8)  # all points inside the view
    agg = facility_hexes_in_view(demo_store, "enterprises", view, chains=["rescue"])
    assert agg["total"] > 0
    stored = min(r for r in demo_store.meta["resolutions"] if r >= agg["res"])  # the map counts these cells
    for cell, count in zip(agg["cells"], agg["count"]):
        inside = facilities_in_cell(demo_store, "enterprises", cell, chains=["rescue"], limit=5)
        assert inside["count"] == count, cell
        assert len(inside["id"]) == min(5, count) and inside["truncated"] == (count > 5)
        for lat, lon in zip(inside["lat"], inside["lon"]):  # stored cells agree with the points
            assert h3.cell_to_parent(h3.latlng_to_cell(lat, lon, stored), agg["res"]) == cell


def test_agg002_bad_cell_is_refused(demo_store):
    with pytest.raises(ValueError, match="cell: found 'nope'"):
        facilities_in_cell(demo_store, "enterprises", "nope")
