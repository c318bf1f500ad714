"""The analyses panel's industry-chain gaps per city (heatmap and choropleth): controls and the result view."""

from __future__ import annotations

from typing import Any

import numpy as np

from layers import (
    chain_matrix,
    chains_from_store,
)
from mapapp.analyses.common import (
    SEQ,
    AnalysisView,
    Params,
    choropleth,
    fmt,
    shown_rows,
    unit_levels,
)
from mapapp.i18n import label, t

#: The panel controls this analysis uses (the others are hidden).
CONTROLS = ('hazard', 'res', 'minclass', 'hours', 'matrix', 'access')


def run(store: Any, p: Params, lang: str) -> AnalysisView:
    import plotly.graph_objects as go  # noqa: PLC0415

    res = p.resolution()
    hazards = None if p.hazard == "any" else [p.hazard]
    adcode = p.unit if p.unit and unit_levels(store).get(p.unit) in ("province", "city") else None
    matrix = {h: c for h, c in (p.matrix or {}).items() if hazards is None or h in hazards} or None
    df = chains_from_store(store, res, hazards, min_class=p.min_class, hours=p.hours or 6.0, adcode=adcode,
                           matrix=matrix, **p.access)
    mat = chain_matrix(df, "gap_score")
    names = dict(zip(df["city"], df["city_name"]))
    cols = [f"{label('hazard', h, lang)} · {label('chain', c, lang)}" for h, c in
            (str(k).split(":", 1) if ":" in str(k) else (k, "") for k in mat.columns)]
    z = mat.to_numpy(float)
    fig = go.Figure(go.Heatmap(z=z, x=cols, y=[names.get(c, c) for c in mat.index], colorscale="YlOrRd", zmin=0,
                               zmax=max(float(np.nanmax(z)) if z.size else 0.0, 0.05),
                               colorbar={"title": t("ana.chains.score", lang)}))
    fig.update_layout(margin={"l": 70, "r": 10, "t": 10, "b": 110}, font={"size": 10},
                      xaxis={"tickangle": -45})
    missing = df[df["missing"]].sort_values("gap_score", ascending=False)
    per_city = missing.groupby("city").size()
    choro = choropleth(store, "city", per_city.reindex(list(names), fill_value=0).to_dict(), [0.5, 1.5, 2.5, 4.5],
                        None)
    top = missing.head(5)
    summary = [t("ana.chains.summary", lang, cities=len(names), missing=len(missing), hours=fmt(p.hours or 6.0)),
               t("ana.chains.top", lang, items="、".join(
                   f"{r.city_name} {label('chain', r.chain, lang)}（{label('hazard', r.hazard, lang)}）"
                   for r in top.itertuples()) or t("ana.none", lang))]
    legend = [(c, t("ana.chains.legend", lang, n=n))
              for c, n in [(SEQ[0], "0"), (SEQ[2], "1"), (SEQ[4], "2"), (SEQ[6], "3–4"), (SEQ[7], "≥ 5")]]
    return AnalysisView("chains", summary, df, shown_rows(missing, columns=[
        "city_name", "hazard", "chain", "gap_score", "reach_share", "at_risk_km2", "enterprises_in_city",
        "above_size_in_city"]), None, [], legend, choro,
        figure=fig, method="layers/METHODS.md#chains", choro_legend=legend)
