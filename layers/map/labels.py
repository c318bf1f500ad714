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
    """The store's hazard layers in region-file order: hazard, units, breaks, labels, synthetic, description.

    ``labels`` has one more entry than ``breaks``: class ``k`` holds values in
    ``[breaks[k-1], breaks[k])`` (class 0 below the first break).
    """
    df = store.query("SELECT hazard, units, breaks, labels, synthetic, description "
                     "FROM hazard_layers ORDER BY rowid")
    return [{"hazard": r.hazard, "units": r.units or "", "breaks": [float(b) for b in r.breaks],
             "labels": [str(lab) for lab in r.labels], "synthetic": bool(r.synthetic),
             "description": r.description or ""} for r in df.itertuples(index=False)]
