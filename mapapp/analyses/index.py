"""The analyses panel's multi-hazard index per cell: controls and the result view."""

from __future__ import annotations

from typing import Any

import pandas as pd

from layers import (
    index_from_store,
)
from mapapp.analyses.common import (
    SEQ,
    AnalysisView,
    Params,
    hex_payload,
    shown_rows,
    unit_names,
)
from mapapp.i18n import label, t

#: The panel controls this analysis uses (the others are hidden).
CONTROLS = ('res', 'weights')


def run(store: Any, p: Params, lang: str) -> AnalysisView:
    res = p.resolution()
    df = index_from_store(store, res, weights=p.weights or None, adcode=p.unit)
    pal = [SEQ[0], SEQ[2], SEQ[4], SEQ[6], SEQ[7]]
    labels = ["0–0.2", "0.2–0.4", "0.4–0.6", "0.6–0.8", "0.8–1"]
    hexes = hex_payload(df["cell"], df["index_class"].to_numpy(int) - 1, df["index"].to_numpy(float))
    shares = df.groupby("index_class").size().reindex(range(1, 6), fill_value=0) / max(len(df), 1)
    weights = df.attrs.get("index", {}).get("weights") or p.weights or {}
    summary = [t("ana.index.summary", lang, cells=len(df), res=res, weights="、".join(
        f"{label('hazard', h, lang)} {w:g}" for h, w in weights.items()) or "—",
        high=f"{100 * float(shares.loc[4:].sum()):.1f}")]
    county = df.groupby("county", dropna=True)["index"].mean()
    names = unit_names(store)
    top = county.sort_values(ascending=False).head(5)
    summary.append(t("ana.index.top", lang, items="、".join(f"{names.get(c, c)} {v:.2f}" for c, v in top.items())))
    table = pd.DataFrame({"adcode": county.index, "name": [names.get(c, c) for c in county.index],
                          "mean_index": county.to_numpy()}) if len(county) else pd.DataFrame()
    return AnalysisView("index", summary, df, shown_rows(table, "mean_index"), hexes, pal,
                        [(c, lab) for c, lab in zip(pal, labels)], None, method="layers/METHODS.md#index", cells=df)
