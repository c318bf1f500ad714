"""Indicators per year and scope, computed from the industry tables (``etl.schema.INDICATORS``).

``indicator_table`` returns one long table ``indicator, scope, scope_code, year, value`` for
the region, each province, each city and each park, for every panel year. Rules:

- output, revenue: sums of the panel (firms without a figure count as missing, not zero);
  revenue growth: revenue of the year over the year before, minus one, in %;
- enterprises, above-size, listed, 专精特新, 小巨人: firms of the panel in that year with the flag;
- R&D intensity: the scope's R&D over its revenue, in %;
- national / provincial bases: parks of that level in the scope (no year in the data: the
  same count every year);
- clusters over 100 亿元: parks whose member firms' (panel ``park``) revenue is at least 100 亿元;
- key projects: key projects (重点项目) actually started in or before the year; investment:
  total investment of projects at 开工/在建/投产 actually started in or before the year;
- leads signed: leads at 签约 or 落地 now (no date in the data: the same count every year).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.industry.data import IndustryData, year_of

#: Scope columns of the tables, in the order scopes are listed.
SCOPE_COLUMNS = {"province": "province", "city": "city", "park": "park"}
#: Indicators with no time dimension in the data (their value is "now" for every year).
STATIC = frozenset({"national_bases", "provincial_bases", "leads_signed"})
#: Indicators that are rates (their projection is the recent mean, not a trend).
RATES = frozenset({"revenue_growth_pct", "rd_intensity_pct"})
#: Indicators summed in 亿元 (projected by compound growth); the others are counts (linear trend).
MONEY = frozenset({"output_yi", "revenue_yi", "investment_yi"})
_STARTED = ("started", "building", "operating")


def _by_scope(df: pd.DataFrame, value_cols: dict[str, tuple[str, str]], years: list[int],
              scopes: tuple[str, ...], year_col: str | None = "year") -> pd.DataFrame:
    """Aggregate ``df`` per scope (and year): ``value_cols`` = indicator -> (column, sum|count)."""
    parts = []
    for scope in ("region", *scopes):
        keys = ([year_col] if year_col else []) + ([SCOPE_COLUMNS[scope]] if scope != "region" else [])
        g = df.groupby(keys, dropna=True) if keys else None
        for ind, (col, how) in value_cols.items():
            if g is None:
                s = pd.Series({(): df[col].sum(min_count=1) if how == "sum" else df[col].sum()})
                frame = pd.DataFrame({"value": [s.iloc[0]]})
            else:
                agg = g[col].sum(min_count=1) if how == "sum" else g[col].sum()
                frame = agg.rename("value").reset_index()
            frame["indicator"] = ind
            frame["scope"] = scope
            frame["scope_code"] = frame.pop(SCOPE_COLUMNS[scope]) if scope != "region" else None
            if not year_col:
                frame = frame.merge(pd.DataFrame({"year": years}), how="cross")
            parts.append(frame)
    return pd.concat(parts, ignore_index=True)


def indicator_table(data: IndustryData) -> pd.DataFrame:
    """Every indicator for every scope (region, provinces, cities, parks) and panel year.

    Returns
    -------
    DataFrame
        ``indicator, scope, scope_code, year, value`` (scope_code None for the region).
    """
    years = data.years
    p = data.panel.assign(one=1, rd=data.panel["rd_yi"])
    for flag in ("above_size", "listed", "specialised", "little_giant"):
        p[flag] = p[flag].astype(int)
    scopes = ("province", "city", "park")
    panel = _by_scope(p, {
        "output_yi": ("output_yi", "sum"), "revenue_yi": ("revenue_yi", "sum"), "enterprises": ("one", "count"),
        "above_size": ("above_size", "count"), "listed": ("listed", "count"),
        "specialised": ("specialised", "count"), "little_giants": ("little_giant", "count"),
        "_rd": ("rd", "sum"),
    }, years, scopes)
    parts = [panel[panel["indicator"] != "_rd"], _rates(panel)]

    parks = data.parks.assign(park=data.parks["id"],
                              nat=(data.parks["level"] == "national_demo").astype(int),
                              prov=(data.parks["level"] == "provincial").astype(int))
    parts.append(_by_scope(parks, {"national_bases": ("nat", "count"), "provincial_bases": ("prov", "count")},
                           years, ("province", "city", "park"), year_col=None))
    parts.append(_clusters(p, data, years))
    parts.append(_projects(data, years))
    leads = data.leads.assign(signed=data.leads["stage"].isin(("signed", "landed")).astype(int))
    parts.append(_by_scope(leads, {"leads_signed": ("signed", "count")}, years, scopes, year_col=None))
    out = pd.concat(parts, ignore_index=True)
    out["year"] = out["year"].astype(int)
    return out[["indicator", "scope", "scope_code", "year", "value"]].reset_index(drop=True)


def _rates(panel: pd.DataFrame) -> pd.DataFrame:
    """Revenue growth (%) over the year before and R&D intensity (%) per scope and year."""
    key = panel["scope_code"].fillna("")
    idx = pd.MultiIndex.from_arrays([panel["scope"], key, panel["year"]])
    rev = pd.Series(panel["value"].to_numpy(), index=idx)[(panel["indicator"] == "revenue_yi").to_numpy()]
    rd = pd.Series(panel["value"].to_numpy(), index=idx)[(panel["indicator"] == "_rd").to_numpy()]
    rows = []
    for (scope, code, year), r in rev.items():
        before = rev.get((scope, code, year - 1), np.nan)
        growth = (r / before - 1) * 100 if before and before > 0 and np.isfinite(r) else np.nan
        d = rd.get((scope, code, year), np.nan)
        intensity = d / r * 100 if r and r > 0 else np.nan
        c = code if code else None
        rows += [("revenue_growth_pct", scope, c, year, growth), ("rd_intensity_pct", scope, c, year, intensity)]
    return pd.DataFrame(rows, columns=["indicator", "scope", "scope_code", "year", "value"])


def _clusters(p: pd.DataFrame, data: IndustryData, years: list[int]) -> pd.DataFrame:
    """Parks whose member firms' revenue in the year is at least 100 亿元, counted per scope."""
    rev = p.dropna(subset=["park"]).groupby(["park", "year"])["revenue_yi"].sum().rename("rev").reset_index()
    rev = rev.merge(data.parks[["id", "province", "city"]].rename(columns={"id": "park"}), on="park")
    rev["big"] = (rev["rev"] >= 100).astype(int)
    return _by_scope(rev, {"clusters_100": ("big", "count")}, years, ("province", "city", "park"))


def _projects(data: IndustryData, years: list[int]) -> pd.DataFrame:
    """Key projects started by each year and investment of started projects."""
    pr = data.projects.assign(start=year_of(data.projects["actual_start"]))
    pr = pr[pr["stage"].isin(_STARTED) & pr["start"].notna()]
    rows = []
    for y in years:
        upto = pr[pr["start"] <= y].assign(year=y, k=lambda d: d["key"].astype(int))
        agg = _by_scope(upto, {"key_projects": ("k", "count"), "investment_yi": ("investment_yi", "sum")},
                        [y], ("province", "city", "park"))
        agg["year"] = y
        rows.append(agg)
    out = pd.concat(rows, ignore_index=True)
    out = out[out["scope"] != "region"]
    region = pd.DataFrame([{"indicator": ind, "scope": "region", "scope_code": None, "year": y,
                            "value": float(col(pr[pr["start"] <= y]))}
                           for y in years for ind, col in (("key_projects", lambda d: d["key"].sum()),
                                                           ("investment_yi", lambda d: d["investment_yi"].sum()))])
    return pd.concat([region, out], ignore_index=True)
