"""Plain-language findings: rules over a report's figures, each giving a Chinese and an English
sentence with the numbers it states. No sentence is written without a number behind it; change
the numbers (e.g. a 1 h county standard) and the findings change with them.

Rules, per hazard (in this order, then sorted worst first):

- ``no_risk``: the unit has no at-risk cell (the short report);
- ``exposure``: at-risk area, cells and population;
- ``gap`` / ``within_standard``: share of the at-risk area beyond the county standard;
- ``tiers_short`` / ``tiers_ok``: other tiers below / at full coverage of their standard;
- ``county_no_depot_gap``, ``county_no_depot``, ``county_gap``: per at-risk county (at most
  ``MAX_COUNTIES`` sentences, then a ``counties_more`` summary);
- ``chains_missing`` / ``chains_ok``: relevant chains missing on most of the unit's at-risk area;
- ``chain_weakest``: the weakest city x chain pairs of the chain-gap table;
- ``siting_gain`` / ``siting_none`` / ``siting_stuck``: what k new county depots would change;

and once: ``depots_missing`` / ``depots_ok``: counties of the unit without a county depot.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from etl import schema
from layers.analysis.gaps import GAP_TIER
from layers.report.model import Finding

#: Per hazard, at most this many per-county sentences (the rest are summed up in one).
MAX_COUNTIES = 5
#: A gap share from which a gap finding is "high" (else "medium").
HIGH_GAP_SHARE = 0.25
#: At most this many city x chain pairs named by ``chain_weakest``.
MAX_WEAK_CHAINS = 3
_ORDER = {"high": 0, "medium": 1, "info": 2, "ok": 3}


def pct(x: float, lang: str) -> str:
    """A share as a whole percentage; never rounds a partial share to 0 % or 100 %."""
    if x is None or not math.isfinite(x):
        return "—"
    v = 100.0 * x
    text = "<1" if 0 < v < 0.5 else ">99" if 99.5 <= v < 100 else f"{v:.0f}"
    return f"{text}%" if lang == "zh" else f"{text} %"


def km2(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def hours(x: float, lang: str) -> str:
    if not math.isfinite(x):
        return "无法到达" if lang == "zh" else "unreachable"
    return f"{x:.1f}"


def people(x: float, lang: str) -> str:
    """A head count with its unit: "80.0 万人" / "799,676 people"."""
    if lang == "zh":
        return f"{x / 1e4:.1f} 万人" if x >= 1e4 else f"{x:,.0f} 人"
    return f"{x:,.0f} people"


def _tier_words(tiers: list[str], lang: str) -> str:
    """"市级、省级、国家级储备" / "municipal, provincial and national reserves"."""
    if lang == "zh":
        return "、".join(schema.RESERVE_TIERS[t][0].removesuffix("储备") for t in tiers) + "储备"
    words = [schema.RESERVE_TIERS[t][1].lower().removesuffix(" reserve") for t in tiers]
    return (", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else words[0]) + " reserves"


def _chain_names(codes: list[str], lang: str) -> str:
    i = 0 if lang == "zh" else 1
    words = [schema.CHAINS.get(c, (c, c))[i] for c in codes]
    return "、".join(words) if i == 0 else ", ".join(words)


def _names(items: list[str], lang: str, limit: int = 8) -> str:
    shown = items[:limit]
    more = len(items) - len(shown)
    if lang == "zh":
        return "、".join(shown) + (f"等 {len(items)} 个" if more else "")
    return ", ".join(shown) + (f" and {more} more" if more else "")


def _per_county(cells: pd.DataFrame) -> pd.DataFrame:
    """Per county of the cells: area, gap area and share, worst hours."""
    g = pd.DataFrame({"county": cells["county"], "name": cells["county_name"],
                      "area": cells["area_km2"].astype(float),
                      "gap_area": cells["area_km2"].astype(float) * cells["gap"].astype(bool),
                      "hours": cells[f"hours_{GAP_TIER}"].astype(float)})
    out = g.groupby("county", sort=True).agg(name=("name", "first"), area=("area", "sum"),
                                             gap_area=("gap_area", "sum"), worst=("hours", "max")).reset_index()
    out["gap_share"] = out["gap_area"] / out["area"]
    return out


def _hazard_findings(cover: Mapping[str, Any], hz: Mapping[str, Any], head: Mapping[str, Any],
                     tables: Mapping[str, pd.DataFrame], cells: pd.DataFrame, lacking: set[str],
                     std: Mapping[str, float]) -> list[Finding]:
    unit = cover["unit"]
    name, code, h = unit["name"], unit["adcode"], hz["hazard"]
    zh, en = hz["zh"], hz["en"].lower()
    out: list[Finding] = []

    def add(key: str, severity: str, text_zh: str, text_en: str, adcode: str | None = code, **values: Any) -> None:
        out.append(Finding(key, severity, text_zh, text_en, h, adcode, values))

    if int(head["at_risk_cells"]) == 0:
        thr = f"{hz.get('comparator', '≥')}{hz['threshold']:g} {hz['units']}" if hz.get("threshold") is not None else ""
        add("no_risk", "ok", f"{name}没有{zh}风险区（等级≥{hz['min_class']}，{thr}），本灾种不再展开。",
            f"{name} has no {en} at-risk area (class ≥ {hz['min_class']}, {thr}); nothing further to report "
            "for this hazard.", min_class=hz["min_class"], threshold=hz.get("threshold"))
        return out
    area, n_cells, pop = float(head["at_risk_area_km2"]), int(head["at_risk_cells"]), head["population"]
    has_pop = pop is not None and not pd.isna(pop)
    add("exposure", "info",
        f"{name}{zh}风险区面积 {km2(area)} km²（{n_cells:,} 个网格）" + (f"，约 {people(pop, 'zh')}。" if has_pop else "。"),
        f"{name}'s {en} at-risk area is {km2(area)} km² ({n_cells:,} cells)"
        + (f", about {people(pop, 'en')}." if has_pop else "."),
        at_risk_area_km2=area, at_risk_cells=n_cells, population=pop if has_pop else None)

    s = float(std[GAP_TIER])
    gap_share, gap_area = float(head["gap_share"]), float(head["gap_area_km2"])
    worst, p90 = float(head["worst_hours"]), float(head["p90_hours"])
    self_lacks = unit["level"] == "county" and code in lacking  # said once, in the gap sentence
    lead_zh, lead_en = (f"{name}无县级储备库，", f"{name} has no county depot; ") if self_lacks else ("", "")
    if gap_area > 0:
        tail_zh = "部分网格县级储备无法到达" if not math.isfinite(worst) else f"最远 {hours(worst, 'zh')} 小时"
        tail_en = "some cells no county depot reaches" if not math.isfinite(worst) else \
            f"the farthest takes {hours(worst, 'en')} h"
        add("county_no_depot_gap" if self_lacks else "gap", "high" if gap_share >= HIGH_GAP_SHARE else "medium",
            f"{lead_zh or name}{zh}风险区 {pct(gap_share, 'zh')}（{km2(gap_area)} km²）超过 {s:g} 小时县级储备标准，"
            f"{tail_zh}。",
            f"{lead_en}{pct(gap_share, 'en')} of {'its' if self_lacks else name + chr(39) + 's'} {en} at-risk area "
            f"({km2(gap_area)} km²) is beyond the {s:g} h county-depot standard; {tail_en}.",
            gap_share=gap_share, gap_area_km2=gap_area, standard_hours=s, worst_hours=worst,
            has_county_depot=not self_lacks)
    else:
        add("county_no_depot" if self_lacks else "within_standard", "medium" if self_lacks else "ok",
            f"{lead_zh or name}{zh}风险区全部在县级储备 {s:g} 小时标准内" + ("（依靠邻近县级储备，" if self_lacks else "（")
            + f"最远 {hours(worst, 'zh')} 小时，90% 面积在 {hours(p90, 'zh')} 小时内）。",
            f"{lead_en + 'all' if self_lacks else 'All'} of {'its' if self_lacks else name + chr(39) + 's'} {en} "
            "at-risk area is within "
            f"the {s:g} h county-depot standard ({'from neighbouring depots, ' if self_lacks else ''}farthest "
            f"{hours(worst, 'en')} h, 90 % of the area within {hours(p90, 'en')} h).",
            standard_hours=s, worst_hours=worst, p90_hours=p90, has_county_depot=not self_lacks)

    others = [t for t in std if t != GAP_TIER and f"share_covered_{t}" in head]
    short = [(t, float(head[f"share_covered_{t}"])) for t in others if float(head[f"share_covered_{t}"]) < 1]
    if short:
        add("tiers_short", "medium",
            "；".join(f"{schema.RESERVE_TIERS[t][0]} {std[t]:g} 小时内覆盖 {pct(v, 'zh')}" for t, v in short)
            + f"（{zh}风险区面积）。",
            "; ".join(f"{schema.RESERVE_TIERS[t][1].lower()}s cover {pct(v, 'en')} within {std[t]:g} h"
                      for t, v in short) + f" (of the {en} at-risk area).",
            shares={t: v for t, v in short})
    elif others:
        add("tiers_ok", "ok",
            f"{_tier_words(others, 'zh')}均在各自标准（" + "/".join(f"{std[t]:g}" for t in others)
            + f" 小时）内覆盖全部{zh}风险区。",
            f"{_tier_words(others, 'en').capitalize()} each cover the whole {en} at-risk area within their "
            f"standard ({'/'.join(f'{std[t]:g}' for t in others)} h).",
            tiers=others)

    if unit["level"] != "county":
        out += _county_findings(name, code, h, zh, en, cells, lacking, s)

    missing = list(head["missing_chains"]) if isinstance(head["missing_chains"], (list, tuple, np.ndarray)) else []
    chain_h = float(cover["parameters"]["chain_hours"])
    relevant = cover["standards"]["chains_by_hazard"].get(h) or []
    if missing:
        add("chains_missing", "medium",
            f"{zh}相关产业链中，{_chain_names(missing, 'zh')}的最近企业在 {chain_h:g} 小时内到不了{name}一半以上的风险区。",
            f"For {en}, the nearest {_chain_names(missing, 'en')} enterprises do not reach half of {name}'s "
            f"at-risk area within {chain_h:g} h.", missing_chains=missing, chain_hours=chain_h)
    elif relevant:
        add("chains_ok", "ok",
            f"{zh}相关的 {len(relevant)} 条产业链在 {chain_h:g} 小时内均可到达{name}一半以上的风险区。",
            f"All {len(relevant)} chains relevant to {en} reach at least half of {name}'s at-risk area "
            f"within {chain_h:g} h.", chains=relevant, chain_hours=chain_h)

    chains = tables["chains"]
    weak = chains[(chains["hazard"] == h) & chains["missing"].astype(bool)]
    weak = weak[~((weak["city"] == code) & weak["chain"].isin(missing))]  # said by chains_missing
    if len(weak):
        weak = weak.sort_values(["reach_share", "unreached_km2"], ascending=[True, False]).head(MAX_WEAK_CHAINS)
        add("chain_weakest", "medium",
            "产业链覆盖最弱：" + "；".join(f"{r.city_name}{schema.CHAINS[r.chain][0]}仅 {pct(r.reach_share, 'zh')}"
                                    for r in weak.itertuples()) + f"（{zh}风险区 {chain_h:g} 小时内可达面积占比）。",
            "Weakest chains: " + "; ".join(f"{r.city_name} {schema.CHAINS[r.chain][1].lower()} "
                                           f"{pct(r.reach_share, 'en')}" for r in weak.itertuples())
            + f" (share of the {en} at-risk area reached within {chain_h:g} h).",
            adcode=None, pairs=[(r.city, r.chain, r.reach_share) for r in weak.itertuples()])

    summary = tables["siting_summary"]
    row = summary[summary["hazard"] == h]
    if len(row):
        r = row.iloc[0]
        sh = float(r["standard_hours"])
        before, after = r.get("area_before"), r.get("area_after")
        sites = tables["siting"]
        mine = sites[sites["hazard"] == h]
        if before is not None and not pd.isna(before) and before >= 1:
            add("siting_none", "ok",
                f"按 {sh:g} 小时标准，现有县级储备已覆盖{name}全部{zh}风险区，无需新增。",
                f"At a {sh:g} h standard the existing county depots already cover all of {name}'s {en} "
                "at-risk area: no new depot is needed.", standard_hours=sh)
        elif len(mine) and after > before:
            where = list(dict.fromkeys(str(c) for c in mine["county_name"] if isinstance(c, str)))
            add("siting_gain", "info",
                f"在{_names(where, 'zh')}新增 {len(mine)} 个县级储备点，{sh:g} 小时内覆盖的{zh}风险区面积可由 "
                f"{pct(before, 'zh')} 提高到 {pct(after, 'zh')}。",
                f"{len(mine)} new county depot(s) in {_names(where, 'en')} would raise the {en} at-risk area "
                f"covered within {sh:g} h from {pct(before, 'en')} to {pct(after, 'en')}.",
                sites=len(mine), area_before=float(before), area_after=float(after), standard_hours=sh)
        else:
            add("siting_stuck", "medium",
                f"在{name}内新增县级储备点无法提高 {sh:g} 小时覆盖率（{r['status']}）。",
                f"New county depots inside {name} would not raise the {sh:g} h coverage ({r['status']}).",
                standard_hours=sh)
    return out


def _county_findings(name: str, code: str, h: str, zh: str, en: str, cells: pd.DataFrame, lacking: set[str],
                     s: float) -> list[Finding]:
    """Per at-risk county: no depot and/or beyond the standard (largest gap first)."""
    per = _per_county(cells)
    per["lacks"] = per["county"].isin(lacking)
    per = per[per["lacks"] | (per["gap_area"] > 0)]
    per = per.sort_values(["gap_area", "lacks", "county"], ascending=[False, False, True])
    out = []
    for r in per.head(MAX_COUNTIES).itertuples():
        values = {"gap_share": float(r.gap_share), "gap_area_km2": float(r.gap_area), "standard_hours": s,
                  "has_county_depot": not r.lacks}
        if r.lacks and r.gap_area > 0:
            out.append(Finding("county_no_depot_gap", "high",
                               f"{r.name}无县级储备库，{zh}风险区 {pct(r.gap_share, 'zh')} 超过 {s:g} 小时。",
                               f"{r.name} has no county depot; {pct(r.gap_share, 'en')} of its {en} at-risk area "
                               f"is beyond {s:g} h.", h, r.county, values))
        elif r.lacks:
            out.append(Finding("county_no_depot", "medium",
                               f"{r.name}无县级储备库，{zh}风险区依靠邻近县级储备在 {s:g} 小时内到达。",
                               f"{r.name} has no county depot; neighbouring county depots reach its {en} "
                               f"at-risk area within {s:g} h.", h, r.county, values))
        else:
            out.append(Finding("county_gap", "high" if r.gap_share >= HIGH_GAP_SHARE else "medium",
                               f"{r.name}{zh}风险区 {pct(r.gap_share, 'zh')} 超过 {s:g} 小时（最远 "
                               f"{hours(r.worst, 'zh')} 小时）。",
                               f"{pct(r.gap_share, 'en')} of {r.name}'s {en} at-risk area is beyond {s:g} h "
                               f"(farthest {hours(r.worst, 'en')} h).", h, r.county, values))
    if len(per) > MAX_COUNTIES:
        rest = per.iloc[MAX_COUNTIES:]
        out.append(Finding("counties_more", "medium",
                           f"另有 {len(rest)} 个县（区）无县级储备库或{zh}风险区超过 {s:g} 小时，见分单元统计表。",
                           f"{len(rest)} more counties lack a county depot or have {en} at-risk area beyond "
                           f"{s:g} h; see the table by unit.", h, code, {"counties": rest["county"].tolist()}))
    return out


def _depot_finding(cover: Mapping[str, Any], headline: pd.DataFrame, lacking: list[dict[str, str]]) -> Finding:
    unit = cover["unit"]
    name = unit["name"]
    n = int(headline["counties"].iloc[0]) if len(headline) else 0
    names = [c["name"] for c in lacking]
    values = {"counties": n, "counties_without_depot": len(lacking), "without": [c["adcode"] for c in lacking]}
    if unit["level"] == "county":
        if lacking:
            return Finding("depots_missing", "medium", f"{name}无县级储备库。", f"{name} has no county depot.",
                           None, unit["adcode"], values)
        return Finding("depots_ok", "ok", f"{name}有县级储备库。", f"{name} has a county depot.", None,
                       unit["adcode"], values)
    if lacking:
        return Finding("depots_missing", "medium",
                       f"{name} {n} 个县（区）中有 {len(lacking)} 个无县级储备库：{_names(names, 'zh')}。",
                       f"{len(lacking)} of {name}'s {n} counties have no county depot: {_names(names, 'en')}.",
                       None, unit["adcode"], values)
    return Finding("depots_ok", "ok", f"{name}全部 {n} 个县（区）都有县级储备库。",
                   f"All {n} counties of {name} have a county depot.", None, unit["adcode"], values)


def derive_findings(cover: Mapping[str, Any], headline: pd.DataFrame, tables: Mapping[str, pd.DataFrame],
                    cells: pd.DataFrame, lacking: list[dict[str, str]], std: Mapping[str, float]) -> list[Finding]:
    """The findings of a report, worst first (stable within a severity).

    Parameters
    ----------
    cover, headline, tables
        As held by ``Report`` (being built).
    cells
        ``Report.maps["cells"]``: the unit's at-risk cells of every hazard.
    lacking
        The unit's counties without a county depot, ``[{adcode, name}]``.
    std
        Standard hours by tier in force.

    Returns
    -------
    list of Finding
    """
    out: list[Finding] = []
    for hz, (_, head) in zip(cover["hazards"], headline.iterrows()):
        mine = cells[cells["hazard"] == hz["hazard"]] if len(cells) else cells
        out += _hazard_findings(cover, hz, head, tables, mine, {c["adcode"] for c in lacking}, std)
    said = any(f.key in ("county_no_depot_gap", "county_no_depot") and f.adcode == cover["unit"]["adcode"]
               for f in out)
    if not said:
        out.append(_depot_finding(cover, headline, lacking))
    return sorted(out, key=lambda f: _ORDER[f.severity])
