"""Shared fixtures of the test suite."""

from __future__ import annotations

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
