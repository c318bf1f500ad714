"""Shared fixtures of the test suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: Real third-party sample files, kept outside the project (see its README.md).
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The folder of real third-party sample data (``../shared/realdata``).

    Skips the test when the folder is absent (e.g. on a user's machine): those files are
    not redistributed with the project.
    """
    if not REALDATA.is_dir():
        pytest.skip(f"real sample data not available: {REALDATA} does not exist")
    return REALDATA


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """The Jing-Jin-Ji demo store, built once per test session from geodata/ (about a minute).

    ``ONEMAP_TEST_DEMO_DB=data/jjj.duckdb`` reuses a store already built from the current
    geodata/ instead (quicker while working on one test file; ``make test`` always builds).
    """
    from etl.build import build_store  # noqa: PLC0415

    if os.environ.get("ONEMAP_TEST_DEMO_DB"):
        return Path(os.environ["ONEMAP_TEST_DEMO_DB"]).resolve()
    root = Path(__file__).resolve().parents[1]
    out = tmp_path_factory.mktemp("demo")
    build_store(root / "geodata" / "regions" / "jjj.toml", out / "jjj.duckdb", cache_dir=out / "cache")
    return out / "jjj.duckdb"
