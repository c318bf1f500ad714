"""Search by name (layers.map.search): Chinese substring, pinyin, initials, fuzzy; ranking."""

from __future__ import annotations

import pytest

from layers.map.search import build_index, search

ROWS = [
    {"kind": "province", "id": "130000", "name": "河北省", "lon": 115.0, "lat": 39.0, "bbox": [113, 36, 120, 42]},
    {"kind": "city", "id": "130200", "name": "唐山市", "lon": 118.2, "lat": 39.6, "bbox": [117, 38, 119, 40],
     "parent": "130000"},
    {"kind": "county", "id": "130202", "name": "路南区", "lon": 118.15, "lat": 39.6, "bbox": [118, 39, 118.3, 39.7],
     "parent": "130200"},
    {"kind": "county", "id": "130602", "name": "竞秀区", "lon": 115.4, "lat": 38.9, "bbox": [115, 38, 116, 39],
     "parent": "130600"},
    {"kind": "parks", "id": "P1", "name": "唐山开平应急装备产业园", "lon": 118.3, "lat": 39.7},
    {"kind": "reserves", "id": "R7", "name": "保定市应急物资储备库", "lon": 115.5, "lat": 38.9},
    {"kind": "enterprises", "id": "E42", "name": "华安消防科技有限公司", "lon": 116.0, "lat": 39.1},
    {"kind": "enterprises", "id": "E43", "name": "3M中国（天津）", "lon": 117.2, "lat": 39.1},
    {"kind": "enterprises", "id": "E44", "name": "", "lon": 117.2, "lat": 39.1},  # no name: not indexed
]


@pytest.fixture(scope="module")
def index():
    return build_index(ROWS)


def ids(hits):
    return [h["id"] for h in hits]


def test_srch001_unnamed_rows_are_not_indexed(index):
    assert len(index) == len(ROWS) - 1


def test_srch002_chinese_substring_ranks_the_unit_before_facilities(index):
    hits = search(index, "唐山")
    assert ids(hits)[:2] == ["130200", "P1"]
    assert hits[0]["match"] == "prefix" and hits[0]["bbox"] == [117, 38, 119, 40]


def test_srch003_full_pinyin_with_spaces_and_case(index):
    assert ids(search(index, "Lu Nan"))[0] == "130202"
    assert ids(search(index, "tangshan"))[:2] == ["130200", "P1"]


def test_srch004_initials_find_units_depots_and_enterprises(index):
    assert ids(search(index, "lnq"))[0] == "130202"
    assert ids(search(index, "bdsyjwzcbk"))[0] == "R7"  # 保定市应急物资储备库
    hit = search(index, "haxfkj")[0]  # 华安消防科技
    assert (hit["id"], hit["kind"], hit["match"]) == ("E42", "enterprises", "initials_prefix")


def test_srch005_ascii_runs_are_kept_in_pinyin_and_initials(index):
    assert ids(search(index, "3mzg"))[0] == "E43"
    assert ids(search(index, "3M"))[0] == "E43"
    assert ids(search(index, "3mzgtj"))[0] == "E43"  # the brackets of （天津） are skipped


def test_srch006_fuzzy_catches_typos_but_not_noise(index):
    hit = search(index, "tnagshan")[0]
    assert hit["id"] == "130200" and hit["match"] == "fuzzy" and hit["score"] < 70.1
    assert search(index, "zzzzqqq") == []


def test_srch007_exact_beats_prefix_and_kinds_filter(index):
    assert search(index, "竞秀区")[0]["match"] == "exact"
    assert ids(search(index, "唐山", kinds=["parks"])) == ["P1"]
    assert search(index, "  ") == [] and search(index, "唐山", limit=0) == []


def test_srch008_limit_and_order_are_stable(index):
    hits = search(index, "q", limit=3)  # initials of several names start with or hold q
    assert len(hits) <= 3
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)

