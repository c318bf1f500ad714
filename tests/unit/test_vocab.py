"""Tests of etl.vocab: planners' words for chains, levels, tiers and yes/no."""

from __future__ import annotations

import pytest

from etl import schema, vocab
from etl.vocab import lookup, parse_bool, split_list


# --- chains -------------------------------------------------------------------------------------


def test_every_chain_code_and_full_name_maps_to_its_code():
    for code, (zh, en) in schema.CHAINS.items():
        assert lookup(vocab.CHAIN_WORDS, code) == code
        assert lookup(vocab.CHAIN_WORDS, zh) == code
        assert lookup(vocab.CHAIN_WORDS, en) == code


@pytest.mark.parametrize("word, code", [
    ("城市内涝应急救援装备", "waterlogging"),
    ("安全生产事故应急救援装备", "industrial"),
    ("消防", "firefighting"),
    ("无人机", "unmanned"),
    ("救援机器人", "unmanned"),
    ("内涝", "waterlogging"),
    ("医疗", "medical"),
    ("通信", "comms"),
    ("预警", "warning"),
    ("矿山救援", "industrial"),
])
def test_chain_short_forms(word, code):
    assert lookup(vocab.CHAIN_WORDS, word) == code


def test_chain_lookup_ignores_case_spaces_and_star():
    assert lookup(vocab.CHAIN_WORDS, " FireFighting ") == "firefighting"
    assert lookup(vocab.CHAIN_WORDS, "★ 消 防") == "firefighting"
    assert lookup(vocab.CHAIN_WORDS, "Drones & Rescue Robots") == "unmanned"


def test_unknown_chain_is_none():
    assert lookup(vocab.CHAIN_WORDS, "魔法装备") is None
    assert lookup(vocab.CHAIN_WORDS, "") is None


# --- park levels, roles, tiers, kinds -----------------------------------------------------------


@pytest.mark.parametrize("word, code", [
    ("★国家安全应急产业示范基地", "national_demo"),
    ("国家安全应急产业示范基地", "national_demo"),
    ("示范基地", "national_demo"),
    ("国家示范基地创建单位", "national_candidate"),
    ("创建单位", "national_candidate"),
    ("省级安全应急产业基地", "provincial"),
    ("省级", "provincial"),
    ("特色产业集群", "cluster"),
    ("Specialty cluster", "cluster"),
])
def test_park_levels(word, code):
    assert lookup(vocab.PARK_LEVEL_WORDS, word) == code


def test_park_roles():
    assert lookup(vocab.PARK_ROLE_WORDS, "核心区") == "core"
    assert lookup(vocab.PARK_ROLE_WORDS, "重点") == "key"
    assert lookup(vocab.PARK_ROLE_WORDS, "支撑区") == "support"
    assert lookup(vocab.PARK_ROLE_WORDS, "边缘区") is None


@pytest.mark.parametrize("word, code", [
    ("国家级", "national"),
    ("省级", "provincial"),
    ("市级", "municipal"),
    ("县级", "county"),
    ("救援队伍", "rescue"),
    ("企业产能", "enterprise"),
    ("县级储备", "county"),
    ("救援队伍/机构储备", "rescue"),
    ("Municipal reserve", "municipal"),
    ("city", "municipal"),
])
def test_tiers(word, code):
    assert lookup(vocab.TIER_WORDS, word) == code


def test_unknown_tier_is_none():
    assert lookup(vocab.TIER_WORDS, "乡级") is None


def test_same_word_means_different_codes_in_different_tables():
    # 省级 is a park level and a reserve tier; 产能 is a tier and a reserve kind.
    assert lookup(vocab.PARK_LEVEL_WORDS, "省级") == "provincial"
    assert lookup(vocab.TIER_WORDS, "产能") == "enterprise"
    assert lookup(vocab.KIND_WORDS, "产能") == "capacity"
    assert lookup(vocab.KIND_WORDS, "实物") == "physical"


def test_precision_words():
    assert lookup(vocab.PRECISION_WORDS, "区县中心点") == "district"
    assert lookup(vocab.PRECISION_WORDS, "城市中心") == "city"
    assert lookup(vocab.PRECISION_WORDS, "精确") == "exact"


def test_choices_lists_chinese_and_code():
    assert vocab.choices(schema.RESERVE_KINDS) == "实物储备 (physical), 生产能力储备 (capacity)"


# --- yes / no -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["是", "1", "true", "TRUE", "True", "√", "yes", "Y", "有", " 是 "])
def test_parse_bool_true(text):
    assert parse_bool(text) is True


@pytest.mark.parametrize("text", ["否", "0", "false", "False", "×", "no", "N", "无", ""])
def test_parse_bool_false(text):
    assert parse_bool(text) is False


@pytest.mark.parametrize("text", ["也许", "2", "maybe", "是的吧", "-1"])
def test_parse_bool_unknown_is_none(text):
    assert parse_bool(text) is None


def test_parse_bool_missing_cell_is_false():
    assert parse_bool(None) is False


# --- lists --------------------------------------------------------------------------------------


def test_split_list_on_every_separator():
    assert split_list("抢险救援、消防，通信;医疗/无人机") == [
        "抢险救援", "消防", "通信", "医疗", "无人机"]
    assert split_list("a,b；c|d｜e") == ["a", "b", "c", "d", "e"]


def test_split_list_drops_empty_parts_and_strips():
    assert split_list(" 消防 、、 ,通信 ;") == ["消防", "通信"]
    assert split_list("消防") == ["消防"]


def test_split_list_of_nothing_is_empty():
    assert split_list("") == []
    assert split_list(None) == []
    assert split_list("、，;") == []
