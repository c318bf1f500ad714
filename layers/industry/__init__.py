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
from layers.industry.search import TABLES, industry_rows, item_card, search


def monitor_from_store(store: Any, year: int | None = None, scope: str | None = None,
                       code: str | None = None) -> dict[str, Any]:
    """``monitor`` on a store's industry tables (see ``layers.industry.monitor.monitor``)."""
    return monitor(load(store), year, scope, code)


def atlas_from_store(store: Any, chain: str | None = None, adcode: str | None = None) -> pd.DataFrame:
    """``chain_atlas`` on a store's industry tables."""
    return chain_atlas(load(store), chain, adcode)


def city_atlas_from_store(store: Any, chain: str) -> pd.DataFrame:
    """``atlas_by_city`` on a store's industry tables."""
    return atlas_by_city(load(store), chain)


def rows_from_store(store: Any, table: str, text: str = "", **filters: Any) -> pd.DataFrame:
    """``industry_rows`` on a store's industry tables."""
    return industry_rows(load(store), table, text, **filters)


def item_from_store(store: Any, table: str, item_id: str, lang: str = "zh") -> dict[str, Any] | None:
    """``item_card`` on a store's industry tables (None without industry data)."""
    try:
        return item_card(load(store), table, item_id, lang)
    except IndustryDataMissing:
        return None


def names_from_store(store: Any) -> dict[str, Any]:
    """Names for display: ``units`` (adcode -> name), ``parks`` (id -> name), ``links``
    (chain -> [links, upstream first]), ``years``; raises ``IndustryDataMissing``."""
    data = load(store)
    return data.cached(("names",), lambda: {
        "units": dict(zip(data.units["adcode"], data.units["name"])),
        "parks": dict(zip(data.parks["id"], data.parks["name"])),
        "links": {c: g["link"].tolist() for c, g in data.links.groupby("chain", sort=False)},
        "years": data.years})


__all__ = [
    "IndustryData", "IndustryDataMissing", "STATUSES", "TABLES", "atlas_by_city", "atlas_from_store",
    "atlas_summary", "chain_atlas", "city_atlas_from_store", "evaluate", "indicator_table", "industry_rows", "item_card",
    "item_from_store", "load", "monitor",
    "monitor_from_store", "names_from_store", "rows_from_store", "search",
]
