"""App settings: explicit argument, then ``ONEMAP_*`` environment, then default."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """Where the store is and how to serve it."""

    db_path: str = "data/jjj.duckdb"
    host: str = "127.0.0.1"
    port: int = 8050
    debug: bool = False
    lang: str = "zh"
    tianditu_key: str = ""  # optional online basemap; empty: the choice is shown disabled
    budget_cells: int = 500_000  # most cells one analysis may process (res 9 region-wide: 2.9 million)
    budget_pairs: int = 10_000_000_000  # most candidate x demand pairs of one siting run

    @classmethod
    def from_env(cls, **explicit: object) -> "Settings":
        """Explicit keyword arguments win over ``ONEMAP_DB_PATH``/``_HOST``/``_PORT``/``_DEBUG``/
        ``_LANG``/``_TIANDITU_KEY``."""
        env = os.environ
        values = {
            "db_path": env.get("ONEMAP_DB_PATH", cls.db_path),
            "host": env.get("ONEMAP_HOST", cls.host),
            "port": int(env.get("ONEMAP_PORT", cls.port)),
            "debug": env.get("ONEMAP_DEBUG", "").lower() in ("1", "true", "yes"),
            "lang": env.get("ONEMAP_LANG", cls.lang) if env.get("ONEMAP_LANG") in ("zh", "en") else cls.lang,
            "tianditu_key": env.get("ONEMAP_TIANDITU_KEY", "").strip(),
            "budget_cells": int(float(env.get("ONEMAP_BUDGET_CELLS", cls.budget_cells))),
            "budget_pairs": int(float(env.get("ONEMAP_BUDGET_PAIRS", cls.budget_pairs))),
        }
        values.update({k: v for k, v in explicit.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
