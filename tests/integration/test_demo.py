"""The Jing-Jin-Ji demo region: validates, and builds a store with everything the issue lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from etl.build import check_sources
from etl.cli import main

ROOT = Path(__file__).resolve().parents[2]
REGION = ROOT / "geodata" / "regions" / "jjj.toml"


def test_demo_region_validates_cleanly():
    checked = check_sources(REGION)
    assert checked.problems == [] and checked.rejects == []
    assert set(checked.rasters) == {"flood", "earthquake", "wildfire"}
    assert checked.rasters["earthquake"]["crs"] == "EPSG:4548"


@pytest.mark.slow
def test_demo_store(demo_db):
    info = json.loads(CliRunner().invoke(main, ["info", str(demo_db), "--json"]).output)
    assert info["resolutions"] == [5, 6, 7, 8, 9]
    for hz in ("flood", "earthquake", "wildfire"):
        assert set(info["hazards"][hz]["cells"]) == {"5", "6", "7", "8", "9"}
        assert info["hazards"][hz]["synthetic"] is True
    assert info["enterprises"]["total"] == 2925 and info["enterprises"]["above_size"] == 1094
    assert info["admin_units"] == {"province": 3, "city": 13, "county": 199}
    assert all(n > 0 for n in info["reserves_by_tier"].values())
    assert info["tables"]["parks"] >= 17 and info["tables"]["rejects"] == 0
    assert "SYNTHETIC" in info["synthetic_note"]
