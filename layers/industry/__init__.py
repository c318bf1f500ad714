"""The industry half of the one map: 四库一清单 queries, indicators against plan targets, the
chain atlas. Pure computations over ``layers.industry.data.IndustryData`` (read once per store
build); ``*_from_store`` functions are the adapters the app and the CLI call.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from layers.industry.atlas import atlas_by_city, atlas_summary, chain_atlas
from layers.industry.data import IndustryData, IndustryDataMissing, load
from layers.industry.indicators import indicator_table
from layers.industry.monitor import STATUSES, evaluate, monitor
from layers.industry.search import TABLES, industry_rows, search


def monitor_from_store(store: Any, year: int | None = None, scope: str | None = None,
                       code: str | None = None) -> dict[str, Any]:
    """``monitor`` on a store's industry tables (see ``layers.industry.monitor.monitor``)."""
    return monitor(load(store), year, scope, code)


def atlas_from_store(store: Any, chain: str | None = None, adcode: str | None = None) -> pd.DataFrame:
    """``chain_atlas`` on a store's industry tables."""
    return chain_atlas(load(store), chain, adcode)


def rows_from_store(store: Any, table: str, text: str = "", **filters: Any) -> pd.DataFrame:
    """``industry_rows`` on a store's industry tables."""
    return industry_rows(load(store), table, text, **filters)


__all__ = [
    "IndustryData", "IndustryDataMissing", "STATUSES", "TABLES", "atlas_by_city", "atlas_from_store",
    "atlas_summary", "chain_atlas", "evaluate", "indicator_table", "industry_rows", "load", "monitor",
    "monitor_from_store", "rows_from_store", "search",
]
