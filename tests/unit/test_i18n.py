"""The translation table: every key in both languages, every key the app uses present."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from mapapp import i18n
from mapapp.i18n import TEXT, label, t

ROOT = Path(__file__).resolve().parents[2]


def test_every_key_has_chinese_and_english():
    for key, names in TEXT.items():
        assert isinstance(names, tuple) and len(names) == 2, key
        zh, en = names
        assert zh.strip() and en.strip(), key
        assert re.search(r"[\u4e00-\u9fff]", zh), f"{key}: the Chinese text has no Chinese: {zh!r}"


def test_both_languages_take_the_same_placeholders():
    fields = lambda s: {f for _, f, _, _ in string.Formatter().parse(s) if f}  # noqa: E731
    for key, (zh, en) in TEXT.items():
        assert fields(zh) == fields(en), key


def test_every_key_the_app_uses_is_in_the_table():
    used = set()
    for path in (ROOT / "mapapp").rglob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*f?["']([a-z_]+\.[a-z_{}.]+)["']""", path.read_text(encoding="utf-8")))
    static = {k for k in used if "{" not in k}
    assert static, "the scan found no keys"
    assert not static - set(TEXT), f"keys used but missing: {sorted(static - set(TEXT))}"
    # f-string keys: every value they can take
    for entity in ("parks", "enterprises", "reserves"):
        assert f"layer.{entity}" in TEXT and f"entity.{entity}" in TEXT
    from layers.analysis.site import COMPONENTS  # noqa: PLC0415
    from mapapp import analyses, analysis_view  # noqa: PLC0415

    keys = ([f"ana.{n}" for n in analyses.NAMES] + [f"ana.{n}.help" for n in analyses.NAMES]
            + [f"ana.param.{r}" for r in analysis_view.CONTROL_ROWS]
            + [f"ana.kind.{k}" for k in analysis_view.SITE_KINDS] + [f"ana.event.{e}" for e in analysis_view.EVENTS]
            + [f"ana.site.{c}" for c in COMPONENTS] + ["ana.demand.population", "ana.demand.area_km2"]
            + [f"ana.site.unit.{c}" for c in COMPONENTS if c != "demand"]
            + ["ana.site.unit.demand_km2", "ana.site.unit.demand_people", "ana.dispatch.kind.reserve",
               "ana.dispatch.kind.enterprise"])
    assert not [k for k in keys if k not in TEXT]
    assert set(analyses.RUNNERS) == set(analyses.NAMES) == set(analyses.CONTROLS)
    assert {c for used in analyses.CONTROLS.values() for c in used} <= set(analysis_view.CONTROL_ROWS)


@pytest.mark.parametrize("vocab", ["chain", "park_level", "park_role", "reserve_tier", "reserve_kind",
                                   "precision", "admin_level", "hazard"])
def test_every_vocabulary_item_has_names(vocab):
    from layers import VOCABULARIES  # noqa: PLC0415

    for key in VOCABULARIES[vocab]:
        assert label(vocab, key, "zh") != key and label(vocab, key, "en") != key


def test_lookup_and_fallbacks():
    assert t("group.hazard", "zh") == "灾害风险地图" and t("group.hazard", "en") == "Disaster-risk map"
    assert t("group.hazard", "fr") == "灾害风险地图"  # anything but "en" is Chinese
    assert t("status.hexes", "en", hazard="Flood", res=7, n="12") == "Flood: H3 res 7, 12 hexagons"
    assert label("hazard", "tsunami", "zh") == "tsunami"  # a region's own hazard shows its id
    assert i18n.LANGS == ("zh", "en")
