"""Monitoring against the plans' targets: attainment, growth needed, projection and status.

For a monitoring year Y (default: the panel's last year) and a target (indicator, scope,
target year T, value V, comparator), with x the indicator's value in Y:

- attainment = x / V;
- growth needed per year = (V / x)^(1 / (T − Y)) − 1 when T > Y (amounts and counts; none for
  rates such as growth in %);
- projection to T from the recent trend (up to 3 years ending in Y): amounts in 亿元 by their
  compound annual growth rate, counts by their least-squares linear trend, rates by their mean;
  indicators without a time dimension (bases, signed leads) stay at x. When T ≤ Y the
  "projection" is the value observed in T;
- status: *on track* when the projection meets the target (``>=``: P ≥ V; ``>``: P > V;
  ``about``: P ≥ 95 % of V), *at risk* when it reaches at least 90 % of what meeting needs,
  *off track* otherwise. ``METHODS.md`` (产业监测) states the same rule.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from etl import schema
from layers.industry.data import IndustryData
from layers.industry.indicators import MONEY, RATES, STATIC, indicator_table

#: Years of trend behind a projection.
TREND_YEARS = 3
#: Share of the target an ``about`` (约, 左右) target needs.
ABOUT_SHARE = 0.95
#: Share of the needed value under which a target is off track rather than at risk.
RISK_SHARE = 0.90
STATUSES = {"on_track": ("达标在望", "On track"), "at_risk": ("存在风险", "At risk"),
            "off_track": ("难以达标", "Off track"), "no_data": ("无数据", "No data")}

METHOD = {
    "zh": "预测：金额按近 3 年复合增长率外推，数量按近 3 年线性趋势外推，比率取近 3 年均值，"
          "无年份的指标（基地、签约线索）保持现值；状态：预测值达到目标为“达标在望”，达到所需值的 90% 以上为"
          "“存在风险”，否则为“难以达标”（“左右”类目标按 95% 计为达到）。",
    "en": "Projection: amounts by the compound annual growth of the last 3 years, counts by the linear "
          "trend of the last 3 years, rates by their 3-year mean, indicators without years (bases, signed "
          "leads) stay as they are; status: on track when the projection meets the target, at risk when it "
          "reaches 90 % of what is needed, else off track (\"about\" targets are met at 95 %).",
}


def cached_indicator_table(data: IndustryData) -> pd.DataFrame:
    """``indicator_table(data)``, computed once per loaded store build."""
    return data.cached(("indicator_table",), lambda: indicator_table(data))


def series_of(table: pd.DataFrame, indicator: str, scope: str, code: str | None) -> pd.Series:
    """One indicator's values by year for one scope (NaN-free, ascending years)."""
    m = (table["indicator"] == indicator) & (table["scope"] == scope)
    m &= table["scope_code"].isna() if code is None else (table["scope_code"] == code)
    s = table[m].set_index("year")["value"].astype(float).sort_index()
    return s[np.isfinite(s)]


def project(series: pd.Series, year: int, to_year: int, indicator: str) -> float | None:
    """The value of ``indicator`` projected from ``series`` (up to ``year``) to ``to_year``."""
    s = series[series.index <= year].tail(TREND_YEARS)
    if s.empty:
        return None
    x = float(s.iloc[-1])
    last = int(s.index[-1])
    if to_year <= last or indicator in STATIC or len(s) < 2:
        return float(series.get(to_year, x)) if to_year <= last else x
    n = to_year - last
    if indicator in RATES:
        return float(s.mean())
    if indicator in MONEY:
        first = float(s.iloc[0])
        span = last - int(s.index[0])
        if first <= 0 or x <= 0:
            return x
        return x * (x / first) ** (n / span)
    slope = float(np.polyfit(s.index.to_numpy(float), s.to_numpy(float), 1)[0])
    return x + slope * n


def needed_value(value: float, comparator: str) -> float:
    """What meeting a target of ``value`` takes (``about``: 95 % of it)."""
    return value * ABOUT_SHARE if comparator == "about" else value


def status_of(projection: float | None, value: float, comparator: str) -> str:
    """``on_track``, ``at_risk``, ``off_track`` (or ``no_data``) by the rule above."""
    if projection is None or not math.isfinite(projection):
        return "no_data"
    need = needed_value(value, comparator)
    met = projection > need if comparator == ">" else projection >= need
    if met:
        return "on_track"
    return "at_risk" if projection >= RISK_SHARE * need else "off_track"


def evaluate(table: pd.DataFrame, targets: pd.DataFrame, year: int) -> pd.DataFrame:
    """Every target evaluated in ``year``.

    Returns
    -------
    DataFrame
        The target's columns plus ``current`` (value in ``year``, else the last year before),
        ``current_year``, ``attainment``, ``growth_needed`` (per year, a fraction),
        ``projection``, ``status``.
    """
    rows = []
    for t in targets.to_dict("records"):
        code = t["scope_code"] if isinstance(t["scope_code"], str) else None
        s = series_of(table, t["indicator"], t["scope"], code)
        upto = s[s.index <= year]
        cur = float(upto.iloc[-1]) if len(upto) else None
        cur_year = int(upto.index[-1]) if len(upto) else None
        proj = project(s, year, int(t["year"]), t["indicator"]) if cur is not None else None
        growth = None
        if cur and cur > 0 and t["year"] > year and t["indicator"] not in RATES:
            growth = max(0.0, (t["value"] / cur) ** (1 / (t["year"] - year)) - 1)
        rows.append({**t, "current": cur, "current_year": cur_year,
                     "attainment": cur / t["value"] if cur is not None else None,
                     "growth_needed": growth, "projection": proj,
                     "status": status_of(proj, float(t["value"]), t["comparator"])})
    return pd.DataFrame(rows, columns=[*targets.columns, "current", "current_year", "attainment", "growth_needed",
                                       "projection", "status"])


def monitor(data: IndustryData, year: int | None = None, scope: str | None = None,
            code: str | None = None) -> dict[str, Any]:
    """Indicators of a year and scope, and every target evaluated in that year.

    Parameters
    ----------
    data
        ``layers.industry.data.load(store)``.
    year
        Monitoring year (default: the panel's last year).
    scope, code
        ``region`` | ``province`` | ``city`` | ``park`` and its adcode or park id: indicators of
        that scope only (every unit of the scope when ``code`` is None); targets of that scope
        only. None: the region's indicators and every target.

    Returns
    -------
    dict
        ``year``, ``years``, ``indicators`` (DataFrame: indicator, scope, scope_code, name,
        year, value, previous, change), ``targets`` (DataFrame, see ``evaluate``), ``method``.

    Raises
    ------
    ValueError
        An unknown scope or a year outside the panel.
    """
    years = data.years
    year = years[-1] if year is None else int(year)
    return dict(data.cached(("monitor", year, scope, code), lambda: _monitor(data, year, scope, code)))


def _monitor(data: IndustryData, year: int, scope: str | None, code: str | None) -> dict[str, Any]:
    years = data.years
    if year not in years:
        raise ValueError(f"year {year} is not in the panel ({years[0]}–{years[-1]})")
    if scope is not None and scope not in schema.SCOPES:
        raise ValueError(f"unknown scope {scope!r}; expected one of {list(schema.SCOPES)}")
    table = cached_indicator_table(data)
    sc = scope or "region"
    ind = table[(table["scope"] == sc) & table["year"].isin([year, year - 1])]
    if code is not None:
        ind = ind[ind["scope_code"] == code]
    now = ind[ind["year"] == year].drop(columns="year")
    before = ind[ind["year"] == year - 1][["indicator", "scope_code", "value"]].rename(columns={"value": "previous"})
    now = now.merge(before, on=["indicator", "scope_code"], how="left")
    now["change"] = now["value"] / now["previous"] - 1
    now.loc[~np.isfinite(now["change"].astype(float)), "change"] = np.nan
    now.insert(3, "name", [data.unit_name(c) for c in now["scope_code"]])
    now.insert(4, "year", year)
    order = {k: i for i, k in enumerate(schema.INDICATORS)}
    now = now.sort_values(["scope_code", "indicator"], key=lambda c: c.map(order) if c.name == "indicator" else c,
                          na_position="first").reset_index(drop=True)
    targets = data.targets
    if scope is not None:
        targets = targets[targets["scope"] == scope]
        if code is not None:
            targets = targets[targets["scope_code"] == code]
    evaluated = evaluate(table, targets, year)
    evaluated.insert(2, "scope_name", [data.unit_name(c) for c in evaluated["scope_code"]])
    return {"year": year, "years": years, "indicators": now, "targets": evaluated,
            "table": table, "method": METHOD}
