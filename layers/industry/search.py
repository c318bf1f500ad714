"""Search and filter the four databases and the list (Chinese substring search).

``industry_rows`` gives one table (enterprises, products, projects, leads, tasks) with the
columns the page and the CLI show, filtered; ``search`` runs the same text over several
tables and returns their rows in one frame. Text matching is a plain case-insensitive
substring test (no regular expressions), so "无人机" finds "多旋翼无人机" and "合成" finds every
synthetic name.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from layers.industry.data import IndustryData, as_list, year_of

TABLES = ("enterprises", "products", "projects", "leads", "tasks")
#: table -> (columns searched, columns shown)
_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "enterprises": (("name", "products_text"),
                    ("id", "name", "chain", "city", "park", "output_yi", "revenue_yi", "above_size", "listed",
                     "specialised", "leading", "year")),
    "products": (("name", "enterprise_name", "certifications"),
                 ("id", "name", "enterprise_name", "chain", "link", "city", "certifications", "recommended",
                  "material")),
    "projects": (("name",), ("id", "name", "chain", "link", "stage", "investment_yi", "planned_start",
                             "actual_start", "key", "city", "park")),
    "leads": (("company", "origin", "unit", "next_step"),
              ("id", "company", "origin", "chain", "link", "stage", "investment_yi", "unit", "next_step",
               "next_date", "city", "park")),
    "tasks": (("unit", "target"), ("id", "unit", "target", "chain", "link", "count", "deadline", "status",
                                  "leads", "city")),
}
_POSITION = ("lon", "lat", "synthetic")


def _enterprises(data: IndustryData, year: int | None) -> pd.DataFrame:
    y = year if year is not None else data.years[-1]
    return data.cached(("enterprise_rows", y), lambda: _enterprise_rows(data, y))


def _enterprise_rows(data: IndustryData, y: int) -> pd.DataFrame:
    p = data.panel[data.panel["year"] == y]
    e = data.enterprises.merge(
        p[["enterprise", "output_yi", "revenue_yi", "above_size", "specialised", "park", "year"]]
        .rename(columns={"enterprise": "id"}), on="id", how="left")
    e["chain"] = [as_list(c)[0] if len(as_list(c)) else None for c in e["chains"]]
    e["chain_all"] = [as_list(c) for c in e["chains"]]
    prods = data.products.groupby("enterprise")["name"].agg("、".join)
    e["products_text"] = e["id"].map(prods).fillna("")
    return e


def industry_rows(data: IndustryData, table: str, text: str = "", *, chain: str | None = None,
                  link: str | None = None, city: str | None = None, park: str | None = None,
                  stage: str | None = None, year: int | None = None, limit: int | None = None) -> pd.DataFrame:
    """Rows of one table matching ``text`` and the filters, with position columns.

    Parameters
    ----------
    data
        ``layers.industry.data.load(store)``.
    table
        One of ``TABLES``.
    text
        Substring searched in names (and products, companies, targets); empty: every row.
    chain, link, city, park, stage, year
        Filters (chain code, link name, city or province adcode, park id, stage or status code,
        panel year for enterprises, start year for projects); None: no filter.
    limit
        At most this many rows (None: all).

    Returns
    -------
    DataFrame
        The table's shown columns plus ``lon, lat, synthetic``.

    Raises
    ------
    ValueError
        An unknown table.
    """
    if table not in _COLUMNS:
        raise ValueError(f"unknown table {table!r}; expected one of {list(TABLES)}")
    df = _enterprises(data, year) if table == "enterprises" else getattr(data, table)
    searched, shown = _COLUMNS[table]
    m = pd.Series(True, index=df.index)
    if text and text.strip():
        needle = text.strip().casefold()
        hit = pd.Series(False, index=df.index)
        for c in searched:
            hit |= df[c].astype("string").str.casefold().str.contains(needle, regex=False).fillna(False)
        m &= hit
    if chain:
        m &= df["chain_all"].map(lambda cs: chain in cs) if table == "enterprises" else df["chain"] == chain
    if link and "link" in df:
        m &= df["link"] == link
    if city:
        m &= (df["city"] == city) | (df["province"] == city) | (df["county"] == city)
    if park and "park" in df:
        m &= df["park"] == park
    if stage:
        col = "status" if table == "tasks" else "stage"
        m &= (df[col] == stage) if col in df else False
    if year is not None and table == "projects":
        m &= year_of(df["actual_start"].fillna(df["planned_start"])) == year
    out = df.loc[m, [c for c in (*shown, *_POSITION) if c in df]]
    if "synthetic" not in out:
        out = out.assign(synthetic=True)
    return out.head(limit).reset_index(drop=True) if limit else out.reset_index(drop=True)


def search(data: IndustryData, text: str, tables: tuple[str, ...] = TABLES, limit: int = 50,
           **filters: Any) -> pd.DataFrame:
    """``text`` over several tables: ``table, id, name, chain, city, lon, lat`` (``limit`` per table)."""
    parts = []
    for t in tables:
        df = industry_rows(data, t, text, limit=limit, **filters)
        name_col = {"leads": "company", "tasks": "target"}.get(t, "name")
        parts.append(pd.DataFrame({"table": t, "id": df["id"], "name": df[name_col],
                                   "chain": df.get("chain"), "city": df.get("city"),
                                   "lon": df["lon"], "lat": df["lat"]}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["table", "id", "name", "chain", "city", "lon", "lat"])


def item_card(data: IndustryData, table: str, item_id: str, lang: str = "zh") -> dict[str, Any] | None:
    """A row of a table as a card for the map: ``title, table, rows [(label, text)], lon, lat,
    synthetic`` (None when the table or id is unknown or the row has no position)."""
    from layers.industry.labels import cell, header  # noqa: PLC0415 (labels imports this package)

    if table not in _COLUMNS:
        return None
    df = industry_rows(data, table)
    hit = df[df["id"] == item_id]
    if hit.empty:
        return None
    row = hit.iloc[0].to_dict()
    if pd.isna(row.get("lon")) or pd.isna(row.get("lat")):
        return None
    units = dict(zip(data.units["adcode"], data.units["name"]))
    parks = dict(zip(data.parks["id"], data.parks["name"]))
    name_col = {"leads": "company", "tasks": "target"}.get(table, "name")
    rows = [(header(c, lang), cell(c, row[c], lang, units=units, parks=parks, row=row))
            for c in _COLUMNS[table][1] if c not in ("id", name_col) and c in row]
    return {"title": str(row[name_col]), "table": table, "id": item_id,
            "rows": [(k, v) for k, v in rows if v not in ("—", "")], "lon": float(row["lon"]),
            "lat": float(row["lat"]), "synthetic": bool(row.get("synthetic", True))}
