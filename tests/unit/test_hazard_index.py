"""Tests of layers.analysis.index: a hand-computed example, properties (bounds, weight scaling),
bad inputs, and the store adapter on the tiny world."""

from __future__ import annotations

import json
import shutil

import duckdb
import h3
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layers.analysis.index import HazardIndexError, index_from_store, multi_hazard_index
from layers.store import Store
from tests.unit import world as W

N = {"flood": 4, "earthquake": 6, "wildfire": 4}
CELLS = [h3.latlng_to_cell(39.0 + 0.1 * i, 116.0, 7) for i in range(5)]


def long(rows: dict[str, dict[str, int]]) -> pd.DataFrame:
    """{cell: {hazard: class}} -> the long (cell, hazard, class) table."""
    return pd.DataFrame([{"cell": c, "hazard": h, "class": k} for c, hs in rows.items() for h, k in hs.items()])


def test_hand_computed_example():
    table = long({CELLS[0]: {"flood": 4, "earthquake": 6, "wildfire": 4},   # all top: 1.0
                  CELLS[1]: {"flood": 2, "earthquake": 3},                   # wildfire missing: 0
                  CELLS[2]: {"flood": 1},                                    # 0.25 / 4 weight
                  CELLS[3]: {"earthquake": 0, "wildfire": 0},                # 0
                  CELLS[4]: {"flood": 4, "earthquake": 6}})                  # (2 + 1 + 0) / 4 = 0.75
    out = multi_hazard_index(table, N, {"flood": 2}).set_index("cell")
    assert out.index.tolist() == sorted(CELLS)
    # weights flood 2, earthquake 1, wildfire 1 (sum 4)
    expect = {CELLS[0]: 1.0, CELLS[1]: (2 * 0.5 + 0.5) / 4, CELLS[2]: 2 * 0.25 / 4, CELLS[3]: 0.0,
              CELLS[4]: 0.75}
    assert out["index"].to_dict() == pytest.approx(expect)
    assert out["index_class"].to_dict() == {CELLS[0]: 5, CELLS[1]: 2, CELLS[2]: 1, CELLS[3]: 1, CELLS[4]: 4}
    assert out.loc[CELLS[1], ["flood_norm", "earthquake_norm", "wildfire_norm"]].tolist() == [0.5, 0.5, 0.0]
    assert list(out.columns) == ["index", "index_class", "flood_norm", "earthquake_norm", "wildfire_norm"]


@pytest.mark.parametrize(("value", "cls"), [(0.0, 1), (0.1999, 1), (0.2, 2), (0.4, 3), (0.6, 4), (0.8, 5), (1.0, 5)])
def test_class_breaks_go_up_on_the_break(value, cls):
    out = multi_hazard_index(long({CELLS[0]: {"h": round(value * 10000)}}), {"h": 10000})
    assert out["index"].iloc[0] == value and out["index_class"].iloc[0] == cls


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 6), st.integers(0, 4)), min_size=1, max_size=5),
       st.tuples(st.floats(0.01, 10), st.floats(0.01, 10), st.floats(0.01, 10)), st.floats(0.1, 100))
def test_index_is_a_weighted_mean(classes, weights, factor):
    table = long({CELLS[i]: dict(zip(N, c)) for i, c in enumerate(classes)})
    w = dict(zip(N, weights))
    out = multi_hazard_index(table, N, w).set_index("cell")
    norms = out[[f"{h}_norm" for h in N]].to_numpy()
    assert (out["index"] >= norms.min(axis=1) - 1e-12).all() and (out["index"] <= norms.max(axis=1) + 1e-12).all()
    scaled = multi_hazard_index(table, N, {h: v * factor for h, v in w.items()}).set_index("cell")
    np.testing.assert_allclose(scaled["index"], out["index"], rtol=1e-12)
    want = [sum(w[h] * k / N[h] for h, k in zip(N, c)) / sum(w.values()) for c in classes]
    np.testing.assert_allclose(out.loc[CELLS[:len(classes)], "index"], want, rtol=1e-12)


@pytest.mark.parametrize(("table", "weights", "match"), [
    (long({CELLS[0]: {"flood": 5}}), None, r"hazard_classes.class: found 5.0 for flood; expected 0..4"),
    (long({CELLS[0]: {"flood": -1}}), None, "found -1.0 for flood"),
    (long({CELLS[0]: {"hail": 1}}), None, r"hazard_classes.hazard: found \['hail'\]"),
    (pd.concat([long({CELLS[0]: {"flood": 1}})] * 2), None, "several rows for a cell and hazard"),
    (long({CELLS[0]: {"flood": 1}}).drop(columns="class"), None, r"missing columns \['class'\]"),
    (long({CELLS[0]: {"flood": 1}}), {"hail": 1}, r"weights.hail: unknown hazard; expected one of \['flood'"),
    (long({CELLS[0]: {"flood": 1}}), {"flood": -2}, "weights.flood: found -2"),
    (long({CELLS[0]: {"flood": 1}}), dict.fromkeys(N, 0), "weights: found .*expected at least one hazard"),
])
def test_bad_inputs_raise(table, weights, match):
    with pytest.raises(HazardIndexError, match=match):
        multi_hazard_index(table, N, weights)


def test_n_classes_must_be_positive_integers():
    with pytest.raises(HazardIndexError, match="n_classes: found"):
        multi_hazard_index(long({CELLS[0]: {"flood": 1}}), {"flood": 0})


# --- the store adapter ------------------------------------------------------------------------

def test_adapter_on_the_tiny_world(world):
    out = index_from_store(world, 7).set_index("cell")
    cells = world.query("SELECT cell FROM admin_cells WHERE res = 7")["cell"]
    assert sorted(out.index) == sorted(h3.int_to_str(int(c)) for c in cells)
    # earthquake classes (of 3) by county, wildfire (of 2) only in 110101 (class 2)
    expect = {"110101": (3 / 3 + 2 / 2) / 2, "110102": 0.5, "130102": (1 / 3) / 2, "130104": 0.0,
              "139001": (2 / 3) / 2, "130202": 0.0}
    for county, value in expect.items():
        got = out.loc[[h3.int_to_str(c) for c in W.county_cells(county, 7)]]
        assert got["index"].to_numpy() == pytest.approx(value), county
        assert (got["county"] == county).all() and (got["city"] == W.ancestors(county)["city"]).all()
    assert out.loc[h3.int_to_str(W.county_cells("110101", 7)[0]), "index_class"] == 5
    quake = index_from_store(world, 8, {"earthquake": 3}, adcode="130100")
    assert set(quake["cell"]) == {h3.int_to_str(c) for k in ("130102", "130104", "139001")
                                  for c in W.county_cells(k, 8)}
    assert quake.set_index("cell").loc[h3.int_to_str(W.county_cells("139001", 8)[0]), "index"] == pytest.approx(0.5)


def test_adapter_weights_from_the_region_file(world, tmp_path):
    path = tmp_path / "world.duckdb"
    shutil.copy(world.path, path)
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO meta VALUES ('hazard_weights', ?)", [json.dumps({"wildfire": 0, "earthquake": 2})])
    con.close()
    store = Store(path)
    try:
        out = index_from_store(store, 7).set_index("cell")
        cell = h3.int_to_str(W.county_cells("110101", 7)[0])
        assert out.loc[cell, "index"] == pytest.approx(1.0)  # wildfire weight 0: earthquake alone
        over = index_from_store(store, 7, {"wildfire": 2}).set_index("cell")
        assert over.loc[h3.int_to_str(W.county_cells("130102", 7)[0]), "index"] == pytest.approx(2 / 3 / 4)
    finally:
        store.close()


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"weights": {"flood": 1}}, r"weights.flood: unknown hazard; expected one of \['wildfire', 'earthquake'\]"),
    ({"adcode": "123456"}, "adcode: found '123456', not in the store's admin_units"),
    ({"res": 5}, r"res: found 5; expected one of the store's resolutions \[7, 8\]"),
])
def test_adapter_rejects_bad_parameters(world, kwargs, match):
    with pytest.raises(ValueError, match=match):
        index_from_store(world, **kwargs)
