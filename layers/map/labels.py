"""Display vocabularies (zh, en) and the hazard layers a store holds, for legends and filters."""

from __future__ import annotations

from typing import Any

from etl import schema
from layers.store import Store

#: Vocabulary name -> {id: (zh, en)}: the ids stored in the tables and their display names.
VOCABULARIES: dict[str, dict[str, tuple[str, str]]] = {
    "chain": schema.CHAINS,
    "park_level": schema.PARK_LEVELS,
    "park_role": schema.PARK_ROLES,
    "reserve_tier": schema.RESERVE_TIERS,
    "reserve_kind": schema.RESERVE_KINDS,
    "precision": schema.PRECISIONS,
    "admin_level": schema.ADMIN_LEVELS,
    "hazard": schema.HAZARD_NAMES,
}


def hazard_layers(store: Store) -> list[dict[str, Any]]:
    """The store's hazard layers in region-file order: hazard, units, breaks, labels, synthetic,
    description, kind (raster / zones / events / lines), lower_is_worse and source.

    ``labels`` has one more entry than ``breaks``: class ``k`` holds values in
    ``[breaks[k-1], breaks[k])`` (class 0 below the first break). When ``lower_is_worse``
    (lines: distance bands) class ``k`` holds values below ``breaks[n-k]`` instead, so a higher
    class is still the higher hazard.
    """
    df = store.query("SELECT hazard, units, breaks, labels, synthetic, description "
                     "FROM hazard_layers ORDER BY rowid")
    vector = store.meta.get("hazard_vector") or {}
    return [{"hazard": r.hazard, "units": r.units or "", "breaks": [float(b) for b in r.breaks],
             "labels": [str(lab) for lab in r.labels], "synthetic": bool(r.synthetic),
             "description": r.description or "", "kind": vector.get(r.hazard, {}).get("kind", "raster"),
             "lower_is_worse": bool(vector.get(r.hazard, {}).get("lower_is_worse")),
             "source": vector.get(r.hazard, {}).get("source", "")} for r in df.itertuples(index=False)]


def class_threshold(layer: dict[str, Any], k: int) -> tuple[str, float | None]:
    """(comparator, value) that class ``k`` and above satisfy: ``("≥", breaks[k-1])``, or for a
    ``lower_is_worse`` layer ``("<", breaks[n-k])``; value None when ``k`` is out of range."""
    breaks = layer["breaks"]
    if not 0 < k <= len(breaks):
        return ("<" if layer.get("lower_is_worse") else "≥"), None
    if layer.get("lower_is_worse"):
        return "<", breaks[len(breaks) - k]
    return "≥", breaks[k - 1]
