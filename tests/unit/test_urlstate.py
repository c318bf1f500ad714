"""Shared-link state: parse what users paste, write what the page restores."""

from __future__ import annotations

from urllib.parse import parse_qsl

from hypothesis import given
from hypothesis import strategies as st

from mapapp.urlstate import MAX_ITEMS, MapState

VOCAB = dict(hazards=["earthquake", "flood", "wildfire"], chains=["rescue", "medical", "comms"],
             levels=["national_demo", "provincial"], tiers=["county", "municipal"])


def parse(query: str, **kw) -> MapState:
    return MapState.from_query(dict(parse_qsl(query, keep_blank_values=True)), **VOCAB, **kw)


def test_defaults_fit_the_region_with_the_first_hazard():
    s = parse("", default_hazard="flood")
    assert (s.lat, s.lng, s.zoom) == (None, None, None)
    assert s.layers == ("parks", "enterprises", "reserves") and s.hazards == ("flood",)
    assert s.lang == "zh" and s.min_class == {} and s.basemap == "offline" and not s.problems


def test_round_trip():
    s = MapState(lat=39.12345, lng=117.5, zoom=11, layers=("parks",), hazards=("earthquake", "wildfire"),
                 opacity={"flood": 0.4, "parks": 0.5}, chains=("rescue", "comms"), levels=("provincial",),
                 tiers=("county",), above_size=True, leading=True, min_class={"flood": 3, "earthquake": 0}, unit="130200", lang="en",
                 basemap="osm")
    back = parse(s.to_query())
    assert back == s


def test_bad_values_fall_back_and_are_reported():
    s = parse("lat=91&lng=abc&z=40&hz=flood,<script>&chains=rescue,xx&unit=13'--&minc=flood:-1,earthquake:2,x:1&lang=fr&base=evil")
    assert (s.lat, s.zoom) == (None, None)
    assert s.hazards == ("flood",) and s.chains == ("rescue",) and s.unit is None
    assert s.min_class == {"earthquake": 2} and s.lang == "zh" and s.basemap == "offline"
    assert set(s.problems) >= {"lat", "lng", "z", "hz", "chains", "unit"}


def test_lists_and_values_are_bounded():
    s = parse("chains=" + ",".join(["rescue"] * 50))  # 349 characters: read, cut to MAX_ITEMS
    assert s.chains == ("rescue",)
    assert parse("chains=" + ",".join(["rescue"] * 500)).chains == ()  # over 400: ignored
    assert parse("hz=" + "flood," * 10_000, default_hazard="wildfire").hazards == ("wildfire",)  # ignored
    assert len(parse("chains=" + ",".join(["medical", "rescue", "comms"] * MAX_ITEMS)).chains) <= MAX_ITEMS
    huge = parse("unit=" + "1" * 5000)
    assert huge.unit is None


def test_no_layers_is_a_valid_choice():
    s = parse("layers=&hz=")
    assert s.layers == () and s.hazards == ()


@given(st.dictionaries(st.sampled_from(["lat", "lng", "z", "hz", "layers", "op", "chains", "minc", "unit",
                                        "lang", "base", "above", "levels", "tiers", "junk"]),
                       st.text(max_size=60)))
def test_any_query_parses_and_its_link_is_stable(query):
    once = parse(MapState.from_query(query, **VOCAB).to_query())
    assert not once.problems
    assert parse(once.to_query()) == once
