"""Store adapters of siting and e2sfca, and ``pairs_within_hours``, against oracles written
differently: haversine loops over every pair and exhaustive search over site sets."""

from __future__ import annotations

import itertools
import math

import h3
import numpy as np
import pandas as pd
import pytest

from layers.analysis.e2sfca import e2sfca_from_store
from layers.analysis.siting import SitingError, siting_from_store
from layers.analysis.travel import AccessParams, pairs_within_hours
from layers.frames import at_risk_cells
from tests.unit import world as W

R = 6371.0088


def haversine(lat1, lng1, lat2, lng2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    return 2 * R * math.asin(math.sqrt(a))


def test_pairs_within_hours_equals_a_loop_over_all_pairs():
    rng = np.random.default_rng(7)
    cells = pd.DataFrame({"lat": rng.uniform(38, 40, 60), "lng": rng.uniform(115, 118, 60),
                          "terrain": rng.choice(["plain", "mountain"], 60)})
    fac = pd.DataFrame({"lat": rng.uniform(38, 40, 15), "lng": rng.uniform(115, 118, 15),
                        "group": rng.choice(["county", "national"], 15)})
    params = AccessParams(detour={"plain": 1.3, "mountain": 1.6}, speed_kmh={"county": 50, "national": 70},
                          dispatch_delay_h=0.5)
    got = pairs_within_hours(cells, fac, params, 2.5)
    expect = []
    for i, c in cells.iterrows():
        for j, f in fac.iterrows():
            km = haversine(c.lat, c.lng, f.lat, f.lng)
            hours = km * (1.6 if c.terrain == "mountain" else 1.3) / (50 if f.group == "county" else 70) + 0.5
            if hours <= 2.5:
                expect.append((i, j, hours))
    assert list(zip(got["i"], got["j"])) == [(i, j) for i, j, _ in expect]
    assert got["hours"].to_numpy() == pytest.approx([h for *_, h in expect], rel=1e-9)
    with pytest.raises(ValueError, match="max_hours: found -1"):
        pairs_within_hours(cells, fac, params, -1)


def test_siting_on_the_tiny_world_is_the_exhaustive_optimum(world_std):
    hours, k = 0.62, 2  # 0.12 h at 50 km/h over detour 1.3: about 4.6 km
    sites, summary, demand = siting_from_store(world_std, k, hazard="earthquake", res=8, hours=hours,
                                               method="milp", existing=False)
    at_risk = at_risk_cells(world_std, "earthquake", 8)
    cand = pd.DataFrame({"cell": [int(c) for county in W.BOXES for c in W.county_cells(county, 8)]})
    cand[["lat", "lng"]] = [h3.cell_to_latlng(h3.int_to_str(c)) for c in cand["cell"]]
    weight = (at_risk["hazard_class"] * at_risk["area_km2"]).to_numpy()  # the world has no exposure
    cover = np.array([[haversine(d.lat, d.lng, c.lat, c.lng) * 1.3 / 50 + 0.5 <= hours for c in cand.itertuples()]
                      for d in at_risk.itertuples()])
    best = max(weight[cover[:, list(s)].any(axis=1)].sum() for s in itertools.combinations(range(len(cand)), k))
    assert summary["objective"] == pytest.approx(best, rel=1e-9)
    assert summary["gap"] == 0.0 and summary["before"] == 0.0 and len(sites) == k
    assert demand["covered_after"].sum() >= demand["covered_before"].sum()
    chosen = [list(cand["cell"]).index(h3.str_to_int(c)) for c in sites["cell"]]
    assert weight[cover[:, chosen].any(axis=1)].sum() == pytest.approx(best, rel=1e-9)


def test_siting_counts_existing_depots(world_std):
    _, summary, demand = siting_from_store(world_std, 1, hazard="earthquake", res=8, hours=6)
    assert summary["before_share"] == 1.0 and summary["sites"] == []  # county depots reach all in 6 h
    assert demand["covered_before"].all()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"k": 0}, r"k: found 0; expected an integer >= 1"),
    ({"k": 1, "hazard": "tsunami"}, r"hazard: found 'tsunami'"),
    ({"k": 1, "tier": "village"}, r"tier: found 'village'"),
    ({"k": 1, "hours": -2}, r"hours: found -2"),
    ({"k": 1, "adcode": "999999"}, r"adcode: found '999999'"),
    ({"k": 1, "weighting": "population"}, r"needs exposure_cells"),
    ({"k": 1, "speed_kmh": {"county": -5}}, r"speed_kmh.county: found -5"),
])
def test_siting_bad_parameters(world_std, kwargs, message):
    k = kwargs.pop("k")
    with pytest.raises(ValueError, match=message):
        siting_from_store(world_std, k, hazard=kwargs.pop("hazard", "earthquake"), res=8, **kwargs)
    assert issubclass(SitingError, ValueError)


def test_e2sfca_from_store_needs_capacities(world_std):
    with pytest.raises(ValueError, match="no reserve with a capacity"):
        e2sfca_from_store(world_std, 8)
    with pytest.raises(ValueError, match=r"tiers: found \['village'\]"):
        e2sfca_from_store(world_std, 8, tiers=["village"])
    with pytest.raises(ValueError, match=r"adcode: found '999999'"):
        e2sfca_from_store(world_std, 8, adcode="999999")
