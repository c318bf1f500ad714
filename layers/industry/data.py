"""The industry read model: the 四库一清单 tables of a store with their place (county, city,
province, park) and a position for the map, read once per store build.

Every table comes back as a DataFrame with documented columns, so the computations
(``indicators``, ``monitor``, ``atlas``, ``search``) run on plain tables and can be tested
without a database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from etl import schema

_CACHE: dict[tuple[str, str], IndustryData] = {}
_LOCK = threading.Lock()


class IndustryDataMissing(LookupError):
    """The store has no industry tables (built without ``[industry]`` or by an older schema)."""

    def __init__(self) -> None:
        self.zh = "数据库中没有产业（四库一清单）数据。请在区域配置中加入 [industry] 后重新构建：onemap build"
        self.en = "the store has no industry (四库一清单) data. Add [industry] to the region file and rebuild: onemap build"
        super().__init__(self.en)


@dataclass(frozen=True)
class IndustryData:
    """The industry tables of one store build.

    Attributes
    ----------
    panel
        ``enterprise_years`` joined with the firm's ``name, county, city, province`` (adcodes)
        and ``chains``; ``park`` is the panel's park id.
    enterprises
        ``id, name, chains, county, city, province, lon, lat, synthetic``.
    parks
        ``id, name, level, county, city, province, lon, lat``.
    products, projects, leads, tasks
        The store tables plus ``county, city, province, lon, lat`` (projects: own position,
        else the owner's; products: the enterprise's; leads: the park's, else the unit's centre;
        tasks: the unit's centre).
    targets, links
        ``targets`` and ``chain_links`` as stored.
    units
        ``adcode, name, level, parent, lon, lat`` of the admin units.
    meta
        The store's ``meta`` (region names, build id, synthetic note).
    """

    panel: pd.DataFrame
    enterprises: pd.DataFrame
    parks: pd.DataFrame
    products: pd.DataFrame
    projects: pd.DataFrame
    leads: pd.DataFrame
    tasks: pd.DataFrame
    targets: pd.DataFrame
    links: pd.DataFrame
    units: pd.DataFrame
    meta: dict[str, Any]
    memo: dict[tuple, Any] = field(default_factory=dict, compare=False, repr=False)

    def cached(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per key for this store build (results are read-only by contract)."""
        if key not in self.memo:
            if len(self.memo) > 2000:  # bounded: keys are years x scopes x chains x filters
                self.memo.clear()
            self.memo[key] = compute()
        return self.memo[key]

    @property
    def years(self) -> list[int]:
        """The panel's years, ascending."""
        return sorted(int(y) for y in self.panel["year"].unique())

    def unit_name(self, code: str | None) -> str:
        """The admin unit's (or park's) name for an adcode or park id."""
        if not isinstance(code, str):
            return str(self.meta.get("region_name", ""))
        hit = self.units.loc[self.units["adcode"] == code, "name"]
        if len(hit):
            return str(hit.iloc[0])
        hit = self.parks.loc[self.parks["id"] == code, "name"]
        return str(hit.iloc[0]) if len(hit) else code


def places(units: pd.DataFrame, adcodes: pd.Series) -> pd.DataFrame:
    """``county, city, province`` adcodes of each adcode (a county, city or province code).

    Walks ``parent`` links of ``units`` (``adcode, level, parent``); an unknown code gives None.
    """
    level = dict(zip(units["adcode"], units["level"]))
    parent = dict(zip(units["adcode"], units["parent"]))
    out: dict[str, list[Any]] = {"county": [], "city": [], "province": []}
    for code in adcodes:
        found = {"county": None, "city": None, "province": None}
        c = code if isinstance(code, str) else None
        for _ in range(4):
            if c is None or c not in level:
                break
            found[level[c]] = c
            p = parent.get(c)
            c = p if isinstance(p, str) else None
        for k in out:
            out[k].append(found[k])
    return pd.DataFrame(out, index=adcodes.index)


def _with_places(df: pd.DataFrame, units: pd.DataFrame, column: str = "adcode") -> pd.DataFrame:
    return pd.concat([df, places(units, df[column])], axis=1)


def load(store: Any) -> IndustryData:
    """The industry tables of ``store`` (cached per store path and build id).

    Raises
    ------
    IndustryDataMissing
        The store has no ``enterprise_years`` table or it is empty.
    """
    key = (str(store.path), str(store.meta.get("build_id")))
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    data = _read(store)
    with _LOCK:
        if len(_CACHE) >= 4:  # a few stores at most (tests build several under one process)
            _CACHE.clear()
        _CACHE[key] = data
    return data


def _read(store: Any) -> IndustryData:
    try:
        n = int(store.query("SELECT count(*) AS n FROM enterprise_years")["n"].iloc[0])
    except duckdb.Error as exc:  # a store without the table
        raise IndustryDataMissing() from exc
    if n == 0:
        raise IndustryDataMissing()
    units = store.query("SELECT adcode, name, level, parent, lon, lat FROM admin_units ORDER BY adcode")
    ent = _with_places(store.query(
        'SELECT id, name, chains, adcode, lon, lat, synthetic, "leading", listed FROM enterprises'), units)
    parks = _with_places(store.query("SELECT id, name, level, adcode, lon, lat FROM parks"), units)
    panel = store.query("SELECT * EXCLUDE (source, source_row) FROM enterprise_years ORDER BY year, enterprise")
    panel = panel.merge(ent[["id", "name", "chains", "county", "city", "province"]]
                        .rename(columns={"id": "enterprise"}), on="enterprise", how="left")
    products = store.query("SELECT * FROM products ORDER BY id").merge(
        ent[["id", "name", "county", "city", "province", "lon", "lat"]].rename(
            columns={"id": "enterprise", "name": "enterprise_name"}), on="enterprise", how="left")
    projects = _with_places(store.query("SELECT * FROM projects ORDER BY id"), units)
    centre = units.set_index("adcode")[["lon", "lat"]]
    leads = _with_places(store.query("SELECT * FROM leads ORDER BY id"), units)
    park_pos = parks.set_index("id")[["lon", "lat"]]
    lon = leads["park"].map(park_pos["lon"]).fillna(leads["adcode"].map(centre["lon"]))
    lat = leads["park"].map(park_pos["lat"]).fillna(leads["adcode"].map(centre["lat"]))
    leads = leads.assign(lon=lon, lat=lat)
    tasks = _with_places(store.query("SELECT * FROM tasks ORDER BY id"), units)
    tasks = tasks.assign(lon=tasks["adcode"].map(centre["lon"]), lat=tasks["adcode"].map(centre["lat"]))
    return IndustryData(
        panel=panel, enterprises=ent, parks=parks, products=products, projects=projects, leads=leads,
        tasks=tasks, targets=store.query("SELECT * FROM targets"),
        links=store.query("SELECT * FROM chain_links ORDER BY chain, position"), units=units, meta=store.meta)


def year_of(dates: pd.Series) -> pd.Series:
    """The year of ISO date texts (``2024``, ``2024-05``, ``2024-05-20``) as float (NaN if none)."""
    return pd.to_numeric(dates.astype("string").str.slice(0, 4), errors="coerce").astype(float)


def chain_name(code: Any, lang: str = "zh") -> str:
    """A chain's name (code itself if unknown; empty for none)."""
    if not isinstance(code, str):
        return ""
    names = schema.CHAINS.get(code)
    return names[0 if lang == "zh" else 1] if names else code


def as_list(value: Any) -> list[str]:
    """A list cell (array, list or None) as a Python list."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    return [str(v) for v in value]


def clear_cache() -> None:
    """Forget cached tables (tests rebuild stores under the same path)."""
    with _LOCK:
        _CACHE.clear()
