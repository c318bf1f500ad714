"""The analyses panel's reserve capacity per person (enhanced two-step floating catchment): controls and the result view."""

from __future__ import annotations

from typing import Any

from layers import (
    e2sfca_from_store,
)
from mapapp.analyses.common import (
    SEQ,
    AnalysisView,
    Params,
    bands,
    choropleth,
    class_texts,
    fmt,
    graded,
    quantile_breaks,
    round_breaks,
    shown_rows,
    spread,
)
from mapapp.i18n import t

#: The panel controls this analysis uses (the others are hidden).
CONTROLS = ('res', 'bands', 'access')


def run(store: Any, p: Params, lang: str) -> AnalysisView:
    res = p.resolution()
    cells, units, about = e2sfca_from_store(store, res, adcode=p.unit, **({"bands": bands(p)} if p.bands else {}),
                                            **p.access)
    per_person = about["demand"] == "population"
    values = cells["per_1000"].to_numpy(float) if per_person else cells["accessibility"].to_numpy(float)
    unit_text = t("ana.e2sfca.per_1000" if per_person else "ana.e2sfca.per_km2", lang, unit=about["unit"].split()[0])
    hexes, pal, legend = graded(cells["cell"], values, n=6, palette=list(reversed(SEQ)), unit=unit_text)
    county = units[units["level"] == "county"]
    col = "per_1000" if per_person else "accessibility"
    breaks = round_breaks(quantile_breaks(county[col].to_numpy(float), 5))
    choro = choropleth(store, "county", dict(zip(county["adcode"], county[col])), breaks, p.unit)
    choro_legend = list(zip(spread(list(reversed(SEQ)), len(breaks) + 1), class_texts(breaks)))
    low = county.sort_values(col).head(3)
    summary = [t("ana.e2sfca.summary", lang, supplies=about["supplies"], capacity=fmt(about["total_capacity"]),
                 unit=unit_text, demand=t(f"ana.demand.{about['demand']}", lang)),
               t("ana.e2sfca.lowest", lang, items="、".join(f"{n} {fmt(v)}" for n, v in zip(low["name"], low[col])))]
    return AnalysisView("e2sfca", summary, units, shown_rows(county, col, ascending=True, columns=[
        "name", "demand", col, "min", "max", "share_zero"]), hexes, pal, legend, choro,
                        method="layers/METHODS.md#e2sfca", cells=cells, choro_legend=choro_legend,
                        choro_title=t("legend.e2sfca.choropleth", lang, unit=unit_text))
