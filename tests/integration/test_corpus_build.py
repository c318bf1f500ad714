"""Build-level defects found with real third-party files (issue 17): empty entities, the same
file listed twice. Each test failed before its fix."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from etl.cli import main
from etl.store import open_store


def _run(*args: str, lang: str = "en"):
    return CliRunner().invoke(main, ["--lang", lang, *args], catch_exceptions=False)


def _drop_block(toml: str, header: str) -> str:
    """The region file without the ``[[header]]`` table (up to the next blank line)."""
    return re.sub(rf"\[\[{header}\]\]\n(?:.+\n)+\n", "", toml)


def test_region_with_only_reserves_validates_and_builds(tiny_region, tmp_path):
    text = _drop_block(_drop_block(tiny_region.read_text(encoding="utf-8"), "parks"), "enterprises")
    assert "[[parks]]" not in text and "[[enterprises]]" not in text
    tiny_region.write_text(text, encoding="utf-8")
    assert _run("validate", str(tiny_region)).exit_code == 0
    db = tmp_path / "only.duckdb"
    res = _run("build", str(tiny_region), "--db", str(db), "--cache", str(tmp_path / "c"))
    assert res.exit_code == 0, res.output
    con = open_store(db)
    try:
        assert con.execute("SELECT count(*) FROM reserves").fetchone()[0] == 3
        assert con.execute("SELECT count(*) FROM parks").fetchone()[0] == 0
    finally:
        con.close()


def test_every_row_rejected_still_builds_and_keeps_the_reasons(tiny_region, tmp_path):
    """A file with swapped lon/lat headers: every row rejected, reasons in the store."""
    parks = tiny_region.parent / "parks.csv"
    text = parks.read_text(encoding="utf-8-sig").replace("经度,纬度", "纬度,经度", 1)
    parks.write_text(text, encoding="utf-8-sig")
    val = _run("validate", str(tiny_region))
    assert val.exit_code == 1 and "row 2" in val.output and "swap" in val.output
    db = tmp_path / "t.duckdb"
    res = _run("build", str(tiny_region), "--db", str(db), "--cache", str(tmp_path / "c"))
    assert res.exit_code == 0, res.output
    assert "rejected" in res.output and "cannot open the store" not in res.output
    info = json.loads(_run("info", str(db), "--json").output)
    assert info["tables"]["parks"] == 0
    reasons = {(r["source"], r["reason_code"]): r["rows"] for r in info["rejects"]}
    assert reasons[("parks:parks.csv", "swapped_lonlat")] == 2


def test_same_file_listed_twice_counts_what_loads(tiny_region, tmp_path):
    text = tiny_region.read_text(encoding="utf-8")
    text = text.replace('[[parks]]\npath = "parks.csv"\ncrs = "WGS84"\n',
                        '[[parks]]\npath = "parks.csv"\ncrs = "WGS84"\n\n'
                        '[[parks]]\nname = "again"\npath = "parks.csv"\ncrs = "WGS84"\n')
    tiny_region.write_text(text, encoding="utf-8")
    val = _run("validate", str(tiny_region))
    assert val.exit_code == 1  # validate reports the repeats, as build rejects them
    assert "parks.csv, row 2" in val.output and "listed twice" in val.output
    db = tmp_path / "t.duckdb"
    assert _run("build", str(tiny_region), "--db", str(db), "--cache", str(tmp_path / "c"), "-q").exit_code == 0
    info = json.loads(_run("info", str(db), "--json").output)
    src = {s["source"]: s for s in info["sources"]}
    assert (src["parks:parks.csv"]["rows_loaded"], src["parks:parks.csv"]["rows_rejected"]) == (2, 0)
    assert (src["again"]["rows_in"], src["again"]["rows_loaded"], src["again"]["rows_rejected"]) == (2, 0, 2)
    assert info["tables"]["parks"] == 2
    con = open_store(db)
    try:
        rows = con.execute("SELECT row_number, reason, reason_en FROM rejects WHERE source = 'again' "
                           "ORDER BY row_number").fetchall()
    finally:
        con.close()
    assert [r[0] for r in rows] == [2, 3]
    assert "parks.csv" in rows[0][2] and "row 2" in rows[0][2] and "第 2 行" in rows[0][1]
    assert "row 3" in rows[1][2]
    human = _run("info", str(db)).output
    assert "again: 2 → 0 (rejected 2)" in human
