"""The chain atlas (产业链图谱): each chain's links upstream to downstream, who covers them, gaps.

A link is covered by the firms with a product on it (产品库). Per link and unit (the region,
or a province or city), ``chain_atlas`` counts firms, products, projects, open leads and
tasks, and classes the link: *missing* (no firm; 补链), *thin* (fewer than ``thin`` firms;
固链), or *covered* (强链 when a leading firm or a 单项冠军 is among them). Leads and tasks
aimed at a link are listed, so a gap shows what would fill it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from layers.industry.data import IndustryData

#: Fewer firms than this on a link make it thin.
THIN = 3
ACTIONS = {"fill": ("补链", "Fill the link"), "consolidate": ("固链", "Consolidate"),
           "strengthen": ("强链", "Strengthen")}
_ACTION_OF = {"missing": "fill", "thin": "consolidate", "covered": "strengthen"}
STATUS_NAMES = {"missing": ("缺失", "Missing"), "thin": ("薄弱", "Thin"), "covered": ("已覆盖", "Covered")}
_OPEN_LEADS = ("contact", "negotiating", "signed")


def _in_unit(df: pd.DataFrame, adcode: str | None) -> pd.DataFrame:
    if adcode is None:
        return df
    return df[(df["city"] == adcode) | (df["province"] == adcode) | (df["county"] == adcode)]


def chain_atlas(data: IndustryData, chain: str | None = None, adcode: str | None = None,
                thin: int = THIN) -> pd.DataFrame:
    """One row per chain link: coverage, status and what would fill it.

    Parameters
    ----------
    data
        ``layers.industry.data.load(store)``.
    chain
        A chain code (default: every chain with links).
    adcode
        A province, city or county adcode: count only what lies in it (default: the region).
    thin
        Firms below which a covered link is thin.

    Returns
    -------
    DataFrame
        ``chain, position, link, firms, products, leading, projects, investment_yi, leads,
        tasks, cities, status, action, firm_names, lead_names`` in chain and link order
        (``cities``: how many cities have a firm on the link).
    """
    return data.cached(("atlas", chain, adcode, thin), lambda: _atlas(data, chain, adcode, thin))


def _atlas(data: IndustryData, chain: str | None, adcode: str | None, thin: int) -> pd.DataFrame:
    links = data.links if chain is None else data.links[data.links["chain"] == chain]
    prods = _in_unit(data.products, adcode)
    lead_firms = set(data.enterprises.loc[data.enterprises["leading"], "id"])
    p = data.panel
    champs = set(p.loc[p["champion"], "enterprise"])
    projects = _in_unit(data.projects, adcode)
    leads = _in_unit(data.leads, adcode)
    leads = leads[leads["stage"].isin(_OPEN_LEADS)]
    tasks = _in_unit(data.tasks, adcode)
    tasks = tasks[tasks["status"] != "done"]
    names = data.enterprises.set_index("id")["name"]
    rows = []
    for r in links.itertuples(index=False):
        on = prods[(prods["chain"] == r.chain) & (prods["link"] == r.link)]
        firms = sorted(set(on["enterprise"]))
        pr = projects[(projects["chain"] == r.chain) & (projects["link"] == r.link)]
        ld = leads[(leads["chain"] == r.chain) & (leads["link"] == r.link)]
        tk = tasks[(tasks["chain"] == r.chain) & (tasks["link"] == r.link)]
        status = "missing" if not firms else "thin" if len(firms) < thin else "covered"
        strong = bool(set(firms) & (lead_firms | champs))
        rows.append({
            "chain": r.chain, "position": int(r.position), "link": r.link, "firms": len(firms),
            "products": len(on), "leading": strong, "projects": len(pr),
            "investment_yi": round(float(pr["investment_yi"].sum()), 2), "leads": len(ld), "tasks": len(tk),
            "cities": int(on["city"].nunique()), "status": status, "action": _ACTION_OF[status],
            "firm_names": "、".join(names.get(f, f) for f in firms[:5]),
            "lead_names": "、".join(ld["company"].head(5)),
        })
    return pd.DataFrame(rows, columns=["chain", "position", "link", "firms", "products", "leading", "projects",
                                       "investment_yi", "leads", "tasks", "cities", "status", "action",
                                       "firm_names", "lead_names"])


def atlas_by_city(data: IndustryData, chain: str) -> pd.DataFrame:
    """Firms on each link of ``chain`` per city: ``link, position, city, name, firms``."""
    return data.cached(("atlas_by_city", chain), lambda: _by_city(data, chain))


def _by_city(data: IndustryData, chain: str) -> pd.DataFrame:
    links = data.links[data.links["chain"] == chain]
    prods = data.products[data.products["chain"] == chain]
    cnt = prods.groupby(["link", "city"])["enterprise"].nunique().rename("firms").reset_index()
    cities = data.units[data.units["level"] == "city"][["adcode", "name"]].rename(columns={"adcode": "city"})
    grid = links[["link", "position"]].merge(cities, how="cross")
    out = grid.merge(cnt, on=["link", "city"], how="left").fillna({"firms": 0})
    out["firms"] = out["firms"].astype(int)
    return out.sort_values(["position", "city"]).reset_index(drop=True)


def atlas_summary(atlas: pd.DataFrame) -> dict[str, Any]:
    """Counts of links by status: ``{"links", "missing", "thin", "covered"}``."""
    counts = atlas["status"].value_counts()
    return {"links": len(atlas), **{k: int(counts.get(k, 0)) for k in STATUS_NAMES}}
