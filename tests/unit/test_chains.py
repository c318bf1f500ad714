"""Tests of layers.analysis.chains: a hand-computed example, reach against brute-force haversine loops,
properties in the hours, the heatmap pivot, parameter checks and the store adapter on the tiny
world."""

from __future__ import annotations

import math

import h3
import numpy as np
import pandas as pd
import pytest

from layers.analysis.chains import (
    ChainError,
    chain_gaps,
    chain_matrix,
    chains_from_store,
    check_matrix,
)
from layers.analysis.travel import AccessParams, access_table
from layers.store import Store
from tests.unit import world as W
from tests.unit.world import STANDARDS

INF = math.inf
CELLS = [h3.latlng_to_cell(39.0 + i * 0.1, 116.0, 7) for i in range(4)]
MATRIX = {"flood": ["rescue", "medical"], "earthquake": ["rescue"]}


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle km on the mean sphere (the oracle's own formula)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


@pytest.fixture
def example() -> pd.DataFrame:
    at_risk = pd.DataFrame({"cell": [CELLS[0], CELLS[1], CELLS[2], CELLS[1], CELLS[3]],
                            "hazard": ["flood", "flood", "flood", "earthquake", "earthquake"],
                            "city": ["X", "X", "Y", "X", "Y"], "area_km2": [1.0, 3.0, 2.0, 3.0, 0.5],
                            "population": [10.0, np.nan, np.nan, np.nan, np.nan]})
    access = pd.DataFrame([{"cell": c, "tier": g, "rank": 1, "hours": h} for g, hs in
                           {"rescue": [1.0, 8.0, 5.0], "medical": [9.0, 1.0, 1.0, 1.0]}.items()
                           for c, h in zip(CELLS, hs)])  # rescue: no row for the last cell
    ent = pd.DataFrame({"city": ["X", "X", "Y", None], "chains": [["rescue", "medical"], ["rescue"], ["medical"],
                                                                  ["rescue"]],
                        "above_size": [True, False, True, True], "output_yi": [2.0, np.nan, np.nan, 5.0]})
    return chain_gaps(at_risk, access, ent, MATRIX, 6.0, city_area_km2={"X": 20.0, "Y": 10.0},
                      city_names={"X": "甲市"})


def test_hand_computed(example):
    got = example.set_index(["city", "hazard", "chain"])
    fx_r, fx_m = got.loc[("X", "flood", "rescue")], got.loc[("X", "flood", "medical")]
    fy_r, fy_m = got.loc[("Y", "flood", "rescue")], got.loc[("Y", "flood", "medical")]
    ex_r, ey_r = got.loc[("X", "earthquake", "rescue")], got.loc[("Y", "earthquake", "rescue")]
    assert (fx_r["at_risk_km2"], fx_r["at_risk_share"], fx_r["reach_share"]) == (4.0, 0.2, 0.25)
    assert fx_r["unreached_km2"] == 3.0 and fx_r["gap_score"] == pytest.approx(0.15) and fx_r["missing"]
    assert fx_r["population"] == 10.0 and fx_r["unreached_population"] == 0.0  # c1's people unknown
    assert (fx_r["enterprises_in_city"], fx_r["above_size_in_city"], fx_r["output_yi_in_city"]) == (2, 1, 2.0)
    assert fx_m["reach_share"] == 0.75 and fx_m["gap_score"] == pytest.approx(0.05) and not fx_m["missing"]
    assert fx_m["unreached_population"] == 10.0 and fx_m["enterprises_in_city"] == 1
    assert fy_r["reach_share"] == 1.0 and fy_r["gap_score"] == 0.0 and math.isnan(fy_r["population"])
    assert fy_r["enterprises_in_city"] == 0 and fy_r["output_yi_in_city"] == 0.0  # none: known to be 0
    assert fy_m["enterprises_in_city"] == 1 and math.isnan(fy_m["output_yi_in_city"])  # one, output unknown
    assert ex_r["reach_share"] == 0.0 and ex_r["gap_score"] == pytest.approx(0.15) and ex_r["missing"]
    assert ey_r["reach_share"] == 0.0 and ey_r["gap_score"] == pytest.approx(0.05)  # no access row: inf
    ranked = example[example["missing"]]
    assert list(zip(ranked["city"], ranked["hazard"], ranked["chain"])) == [
        ("X", "flood", "rescue"), ("X", "earthquake", "rescue"), ("Y", "earthquake", "rescue")]
    assert ranked["rank"].tolist() == [1, 2, 3] and ranked["city_rank"].tolist() == [1, 2, 1]
    assert example.loc[~example["missing"], "rank"].isna().all()
    assert example["city_name"].tolist().count("甲市") == 3 and len(example) == 6


def test_matrix_pivot(example):
    m = chain_matrix(example)
    assert list(m.columns) == ["flood:rescue", "flood:medical", "earthquake:rescue"]
    assert list(m.index) == ["X", "Y"]
    assert m.loc["X"].tolist() == pytest.approx([0.15, 0.05, 0.15])
    assert m.loc["Y"].tolist() == pytest.approx([0, 0, 0.05])
    r = chain_matrix(example.sample(frac=1, random_state=3), "reach_share", index="city_name")
    assert r.loc["甲市", "flood:medical"] == 0.75
    with pytest.raises(ChainError, match=r"value: found 'missing'; expected a numeric column"):
        chain_matrix(example, "missing")
    with pytest.raises(ChainError, match=r"index: found 'hazard'"):
        chain_matrix(example, index="hazard")


def test_cities_without_exposure_and_empty_matrix_rows():
    at_risk = pd.DataFrame({"cell": CELLS[:1], "hazard": ["flood"], "city": ["X"], "area_km2": [1.0]})
    df = chain_gaps(at_risk, None, pd.DataFrame({"city": [], "chains": []}), {"flood": ["rescue"]},
                    city_area_km2={"X": 4.0, "Z": 9.0})
    z = df.set_index("city").loc["Z"]
    assert z["at_risk_km2"] == 0 and math.isnan(z["reach_share"]) and z["gap_score"] == 0 and not z["missing"]
    x = df.set_index("city").loc["X"]
    assert x["reach_share"] == 0 and x["gap_score"] == 0.25 and x["rank"] == 1  # no access: never reached


def brute_reach(cells, ents, params, hours, matrix):
    """Loops: per (city, hazard, chain) the reached area and the enterprise counts."""
    out = {}
    cities = sorted(set(cells["city"]))
    for hz, chains in matrix.items():
        for ch in chains:
            for city in cities:
                area = reached = 0.0
                for _, c in cells[(cells["hazard"] == hz) & (cells["city"] == city)].iterrows():
                    best = INF
                    for _, e in ents.iterrows():
                        if ch in e["chains"]:
                            km = haversine_km(c["lat"], c["lng"], e["lat"], e["lng"])
                            best = min(best, km * params.detour[c["terrain"]] / params.speed_kmh["enterprise"]
                                       + params.dispatch_delay_h)
                    area += c["area_km2"]
                    reached += c["area_km2"] if best <= hours else 0.0
                n = sum(1 for _, e in ents.iterrows() if e["city"] == city and ch in e["chains"])
                out[(city, hz, ch)] = (area, reached, n)
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_reach_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = 120
    lat, lng = rng.uniform(38.5, 40.0, n), rng.uniform(115.0, 117.5, n)
    cells = pd.DataFrame({"cell": [h3.latlng_to_cell(a, b, 8) for a, b in zip(lat, lng)], "lat": lat, "lng": lng,
                          "terrain": rng.choice(["plain", "mountain"], n),
                          "city": np.where(lng < 116.2, "A", "B"), "area_km2": rng.uniform(0.5, 2.0, n)})
    cells = cells.drop_duplicates("cell").reset_index(drop=True)
    cells["hazard"] = rng.choice(["flood", "earthquake"], len(cells))
    both = cells.sample(frac=0.3, random_state=seed).assign(hazard="flood")  # a cell at risk of both
    long = pd.concat([cells, both]).drop_duplicates(["cell", "hazard"]).reset_index(drop=True)
    m = 25
    chains = ["rescue", "medical", "comms"]
    ents = pd.DataFrame({"id": [f"E{i}" for i in range(m)], "lat": rng.uniform(38.3, 40.2, m),
                         "lng": rng.uniform(114.8, 117.7, m),
                         "chains": [list(rng.choice(chains, rng.integers(0, 3), replace=False)) for _ in range(m)]})
    ents["city"] = np.where(ents["lng"] < 116.2, "A", "B")
    params = AccessParams(detour={"plain": 1.3, "mountain": 1.7}, speed_kmh={"enterprise": 45.0},
                          dispatch_delay_h=0.25)
    matrix = {"flood": ["rescue", "medical"], "earthquake": ["comms", "rescue"]}
    fac = ents[["id", "lat", "lng", "chains"]].explode("chains").dropna().rename(columns={"chains": "group"})
    uniq = cells.drop_duplicates("cell")
    access = access_table(uniq, fac, params, groups=chains)
    for hours in (0.8, 1.5):
        got = chain_gaps(long.sample(frac=1, random_state=1), access, ents, matrix, hours,
                         city_area_km2={"A": 5000.0, "B": 6000.0}).set_index(["city", "hazard", "chain"])
        for key, (area, reached, count) in brute_reach(long, ents, params, hours, matrix).items():
            row = got.loc[key]
            assert row["at_risk_km2"] == pytest.approx(area, rel=1e-12)
            assert row["reach_share"] == pytest.approx(reached / area, rel=1e-12), key
            assert row["unreached_km2"] == pytest.approx(area - reached, rel=1e-9, abs=1e-9)
            assert row["missing"] == (reached / area < 0.5) and row["enterprises_in_city"] == count
            share = area / (5000.0 if key[0] == "A" else 6000.0)
            assert row["gap_score"] == pytest.approx(share * (1 - reached / area), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_properties_in_the_hours(seed):
    rng = np.random.default_rng(seed)
    n = 60
    cells = list(dict.fromkeys(h3.latlng_to_cell(a, b, 8) for a, b in
                               zip(rng.uniform(38, 40, n), rng.uniform(114, 118, n))))
    at_risk = pd.DataFrame({"cell": cells, "hazard": "flood", "city": rng.choice(["A", "B", "C"], len(cells)),
                            "area_km2": rng.uniform(0.1, 3, len(cells))})
    access = pd.DataFrame({"cell": cells * 2, "tier": np.repeat(["rescue", "comms"], len(cells)), "rank": 1,
                           "hours": rng.choice([0.5, 2.0, 4.0, 7.0, INF], 2 * len(cells))})
    ent = pd.DataFrame({"city": ["A"], "chains": [["rescue"]]})
    prev = None
    for t in (1.0, 3.0, 5.0, 8.0):
        df = chain_gaps(at_risk, access, ent, {"flood": ["rescue", "comms"]}, t,
                        city_area_km2={"A": 100.0, "B": 100.0, "C": 100.0}).sort_values(["city", "chain"])
        assert ((df["gap_score"] >= 0) & (df["gap_score"] <= df["at_risk_share"] + 1e-15)).all()
        assert np.allclose(df["unreached_km2"] + df["reach_share"] * df["at_risk_km2"], df["at_risk_km2"])
        if prev is not None:  # more hours never reach less
            assert (df["reach_share"].to_numpy() >= prev["reach_share"].to_numpy()).all()
            assert (df["gap_score"].to_numpy() <= prev["gap_score"].to_numpy() + 1e-15).all()
        miss = df[df["missing"]].sort_values("rank")
        assert miss["rank"].tolist() == list(range(1, len(miss) + 1))
        assert (np.diff(miss["gap_score"].to_numpy()) <= 0).all()
        prev = df


@pytest.mark.parametrize(("call", "match"), [
    (lambda f: chain_gaps(*f, {"flood": ["rescue", "drainage"]}),
     r"matrix.flood: unknown chain code\(s\) \['drainage'\]"),
    (lambda f: chain_gaps(*f, {"flood": []}), r"matrix.flood: found no chain codes"),
    (lambda f: chain_gaps(*f, {"flood": "rescue"}), r"matrix.flood: found 'rescue'; expected a list"),
    (lambda f: chain_gaps(*f, ["flood"]), r"matrix: found \['flood'\]; expected a mapping"),
    (lambda f: chain_gaps(*f, MATRIX, -1.0), r"hours: found -1.0; expected hours > 0"),
    (lambda f: chain_gaps(*f, MATRIX, 0), r"hours: found 0; expected hours > 0"),
    (lambda f: chain_gaps(f[0].drop(columns="hazard"), *f[1:], MATRIX), r"at_risk_cells: missing columns \['hazard'\]"),
    (lambda f: chain_gaps(f[0].assign(area_km2=-1.0), *f[1:], MATRIX), r"at_risk_cells.area_km2"),
    (lambda f: chain_gaps(*f, MATRIX, city_area_km2={"X": 0}), r"city_area_km2: found \{'X': 0\}"),
])
def test_core_rejects_bad_parameters(call, match):
    frames = (pd.DataFrame({"cell": CELLS[:1], "hazard": ["flood"], "city": ["X"], "area_km2": [1.0]}), None,
              pd.DataFrame({"city": [], "chains": []}))
    with pytest.raises(ChainError, match=match):
        call(frames)


def test_check_matrix_hazards():
    assert check_matrix({"flood": ["rescue", "rescue", "comms"]}) == {"flood": ["rescue", "comms"]}
    with pytest.raises(ChainError, match=r"matrix: unknown hazard 'tsunami'; expected one of \['flood'\]"):
        check_matrix({"tsunami": ["rescue"]}, ["flood"])


# --- the store adapter ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world_std(world_with) -> Store:
    """The tiny world with standards and chains by hazard (earthquake only)."""
    return world_with({"standards": STANDARDS, "chains_by_hazard": {"earthquake": ["rescue", "comms", "firefighting"]}})


def city_cells(city: str, res: int) -> list[int]:
    return [c for county in W.BOXES if W.PARENT[county] == city for c in W.county_cells(county, res)]


def test_adapter_on_the_tiny_world(world_std):
    df = chains_from_store(world_std, 7)
    assert set(df["hazard"]) == {"earthquake"}  # wildfire has no chains in this store
    assert len(df) == 3 * 3 and set(df["city"]) == {"110100", "130100", "130200"}
    got = df.set_index(["city", "chain"])
    at_risk = {"110100": ["110101", "110102"], "130100": ["139001"], "130200": []}  # classes >= 2
    for city, counties in at_risk.items():
        area = sum(h3.cell_area(h3.int_to_str(c), "km^2") for k in counties for c in W.county_cells(k, 7))
        total = sum(h3.cell_area(h3.int_to_str(c), "km^2") for c in city_cells(city, 7))
        assert got.loc[(city, "rescue"), "at_risk_km2"] == pytest.approx(area)
        assert got.loc[(city, "rescue"), "at_risk_share"] == pytest.approx(area / total)
    assert got.loc[("110100", "comms"), ["enterprises_in_city", "above_size_in_city"]].tolist() == [2, 1]
    assert got.loc[("110100", "comms"), "output_yi_in_city"] == 13.5
    assert got.loc[("130100", "rescue"), "enterprises_in_city"] == 1  # E5 in 139001, under 130100 by parent
    assert got.loc[("130100", "rescue"), "output_yi_in_city"] == 3.0
    assert (got.xs("firefighting", level="chain").loc[["110100", "130100"], "reach_share"] == 0).all()
    assert got.loc[("110100", "rescue"), "reach_share"] == 1.0  # all within a few km
    tangshan = got.loc["130200"]
    assert (tangshan["at_risk_km2"] == 0).all() and tangshan["reach_share"].isna().all()
    assert not tangshan["missing"].any()
    missing = df[df["missing"]]
    # no firefighting enterprise; comms only in Beijing, ~200 km x 1.3 / 40 km/h + 0.5 = 7 h from 139001
    assert set(zip(missing["city"], missing["chain"])) == {("110100", "firefighting"), ("130100", "firefighting"),
                                                          ("130100", "comms")}
    assert missing["rank"].tolist() == [1, 2, 3]
    assert df["population"].isna().all()  # no exposure in the tiny world
    assert df.set_index("city").loc["130100", "city_name"].iloc[0] == "石家庄市"


def test_adapter_reach_against_brute_force(world_std):
    hours = 0.56  # 0.06 h after the 0.5 h delay: about 1.85 km great-circle at 40 km/h x 1.3
    df = chains_from_store(world_std, 8, "earthquake", hours=hours, matrix={"earthquake": ["rescue", "comms"]})
    ents = {e[0]: W.position("enterprises", e[0]) for e in W.FACILITIES["enterprises"]}
    chains = {e[0]: e[3]["chains"] for e in W.FACILITIES["enterprises"]}
    got = df.set_index(["city", "chain"])
    for city, counties in {"110100": ["110101", "110102"], "130100": ["139001"]}.items():
        for chain in ("rescue", "comms"):
            area = reached = 0.0
            for county in counties:
                for c in W.county_cells(county, 8):
                    lat, lng = h3.cell_to_latlng(h3.int_to_str(c))
                    best = min((haversine_km(lat, lng, *ents[e]) * 1.3 / 40 + 0.5 for e in ents if chain in chains[e]),
                               default=INF)
                    a = h3.cell_area(h3.int_to_str(c), "km^2")
                    area, reached = area + a, reached + (a if best <= hours else 0.0)
            assert got.loc[(city, chain), "reach_share"] == pytest.approx(reached / area, abs=1e-12), (city, chain)
    assert 0 < got.loc[("110100", "comms"), "reach_share"] < 1  # the threshold cuts through the cells


def test_adapter_matrix_override_and_adcode(world_std):
    df = chains_from_store(world_std, 7, matrix={"earthquake": ["medical"]}, adcode="130000")
    assert set(df["chain"]) == {"medical"} and set(df["city"]) == {"130100", "130200"}
    assert df.set_index("city").loc["130100", "enterprises_in_city"] == 1  # E3
    one = chains_from_store(world_std, 7, "earthquake", adcode="110100")
    assert set(one["city"]) == {"110100"}
    wild = chains_from_store(world_std, 7, ["wildfire"], matrix={"wildfire": ["medical"]}, min_class=2)
    assert set(wild["hazard"]) == {"wildfire"} and wild.set_index("city").loc["110100", "at_risk_km2"] > 0


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"hazards": "flood"}, r"hazards: found \['flood'\]; expected one or more of \['wildfire', 'earthquake'\]"),
    ({"hazards": "wildfire"}, r"matrix.wildfire: no chains for this hazard"),
    ({"matrix": {"earthquake": ["drainage"]}}, r"matrix.earthquake: unknown chain code\(s\) \['drainage'\]"),
    ({"matrix": {"flood": ["rescue"]}}, r"matrix: unknown hazard 'flood'"),
    ({"hours": -2}, r"hours: found -2; expected hours > 0"),
    ({"adcode": "999999"}, r"adcode: found '999999'; expected a province or city of the store"),
    ({"adcode": "110101"}, r"adcode: found '110101' \(a county\)"),
    ({"res": 9}, r"res: found 9"),
    ({"min_class": 4}, r"min_class.earthquake: found 4"),
    ({"speed_kmh": {"enterprise": 0}}, r"speed_kmh.enterprise: found 0"),
])
def test_adapter_rejects_bad_parameters(world_std, kwargs, match):
    with pytest.raises(ValueError, match=match):
        chains_from_store(world_std, **{"res": 7, **kwargs})
