"""Multi-hazard index: a weighted mean of normalised hazard classes per H3 cell, as a layer.

For every cell and hazard ``h`` with ``n_h`` classes above class 0 (the number of the layer's
breaks), ``norm_h = class_h / n_h`` in [0, 1] (0 where the cell has no row for ``h``: no
data, or below the first break). ``index = sum_h w_h norm_h / sum_h w_h`` in [0, 1], weights
>= 0 (default equal), and ``index_class`` = 1 + the number of ``INDEX_BREAKS`` (0.2, 0.4, 0.6,
0.8) <= index, so 1..5 (very low .. very high; a value on a break goes to the upper class,
as the hazard classes do). See ``layers/METHODS.md#index``.

``multi_hazard_index`` is the pure core; ``index_from_store`` the store adapter.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from layers.frames import cells_in_unit, h3_strings, hazard_breaks, region_cells
from layers.store import Store

#: Fixed breaks of ``index_class`` (equal fifths of [0, 1]).
INDEX_BREAKS = (0.2, 0.4, 0.6, 0.8)
#: Meta key of the default weights (hazard -> weight), when the region file gives them.
META_WEIGHTS = "hazard_weights"


class HazardIndexError(ValueError):
    """Inputs of the multi-hazard index that cannot be used (names key, found, expected)."""


def _weights(n_classes: Mapping[str, int], weights: Mapping[str, Any] | None) -> dict[str, float]:
    """Equal weights (1) with ``weights`` merged over them, checked."""
    out = {h: 1.0 for h in n_classes}
    for h, w in (weights or {}).items():
        if h not in n_classes:
            raise HazardIndexError(f"weights.{h}: unknown hazard; expected one of {list(n_classes)}")
        ok = isinstance(w, (int, float, np.number)) and not isinstance(w, bool) and math.isfinite(w) and w >= 0
        if not ok:
            raise HazardIndexError(f"weights.{h}: found {w!r:.40}; expected a finite number >= 0")
        out[h] = float(w)
    if not out or sum(out.values()) <= 0:
        raise HazardIndexError(f"weights: found {out}; expected at least one hazard with a weight > 0")
    return out


def multi_hazard_index(hazard_classes: pd.DataFrame, n_classes: Mapping[str, int],
                       weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The weighted multi-hazard index of every cell that has a class of some hazard.

    Parameters
    ----------
    hazard_classes
        Long table ``cell`` (H3, uint64 or string), ``hazard``, ``class`` (0..n of the hazard),
        one row per cell and hazard at most.
    n_classes
        Hazard -> its top class (number of breaks, >= 1); the index covers these hazards.
    weights
        Hazard -> weight >= 0, merged over equal weights of 1 (not all 0).

    Returns
    -------
    pandas.DataFrame
        Sorted by cell: ``cell`` (H3 string), ``index`` (in [0, 1]), ``index_class`` (1..5),
        ``<hazard>_norm`` per hazard of ``n_classes`` (class / top class; 0 without a row).

    Raises
    ------
    HazardIndexError
        Missing columns, an unknown hazard, a class outside 0..n, duplicate rows, bad weights.

    Examples
    --------
    >>> df = pd.DataFrame({"cell": ["871f1d489ffffff"] * 2, "hazard": ["flood", "earthquake"],
    ...                    "class": [4, 3]})
    >>> out = multi_hazard_index(df, {"flood": 4, "earthquake": 6}, {"flood": 3})
    >>> round(float(out["index"][0]), 3), int(out["index_class"][0])
    (0.875, 5)
    """
    missing = [c for c in ("cell", "hazard", "class") if c not in hazard_classes.columns]
    if missing:
        raise HazardIndexError(f"hazard_classes: missing columns {missing}; expected cell, hazard, class")
    bad_n = {h: n for h, n in n_classes.items()
             if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1}
    if bad_n:
        raise HazardIndexError(f"n_classes: found {bad_n}; expected integers >= 1 (the number of breaks)")
    w = _weights(n_classes, weights)
    hazards = list(n_classes)
    hz = hazard_classes["hazard"].astype(str).to_numpy()
    unknown = sorted(set(hz) - set(hazards))
    if unknown:
        raise HazardIndexError(f"hazard_classes.hazard: found {unknown}; expected hazards of n_classes {hazards}")
    col = hazard_classes["cell"]
    cells = col.to_numpy(np.uint64) if pd.api.types.is_integer_dtype(col.dtype) else col.astype(str).to_numpy()
    uniq, row = np.unique(cells, return_inverse=True)
    which = pd.Index(hazards).get_indexer(hz)
    if pd.Series(row * len(hazards) + which).duplicated().any():
        raise HazardIndexError("hazard_classes: found several rows for a cell and hazard; expected one")
    cls = pd.to_numeric(hazard_classes["class"], errors="coerce").to_numpy(np.float64)
    top = np.array([n_classes[h] for h in hazards], np.float64)[which]
    if len(cls) and not ((cls >= 0) & (cls <= top)).all():
        i = int(np.flatnonzero(~((cls >= 0) & (cls <= top)))[0])
        raise HazardIndexError(f"hazard_classes.class: found {cls[i]} for {hz[i]}; expected 0..{int(top[i])}")
    norm = np.zeros((len(uniq), len(hazards)))
    norm[row.ravel(), which] = cls / top
    wv = np.array([w[h] for h in hazards])
    index = norm @ wv / wv.sum()
    out = pd.DataFrame({"cell": h3_strings(uniq) if uniq.dtype == np.uint64 else uniq.astype(str),
                        "index": index,
                        "index_class": np.searchsorted(INDEX_BREAKS, index, side="right").astype(np.int64) + 1})
    for j, h in enumerate(hazards):
        out[f"{h}_norm"] = norm[:, j]
    out.attrs["index"] = {"weights": w, "n_classes": {h: int(n) for h, n in n_classes.items()},
                          "breaks": list(INDEX_BREAKS)}
    return out


def index_from_store(store: Store, res: int = 8, weights: Mapping[str, float] | None = None,
                     adcode: str | None = None) -> pd.DataFrame:
    """``multi_hazard_index`` of the region's cells (or a unit's) at ``res``, from a store.

    Parameters
    ----------
    store
        An open ``Store``.
    res
        H3 resolution, one of the store's.
    weights
        Hazard -> weight, merged over meta ``hazard_weights`` (if the region file gives them)
        and those over equal weights.
    adcode
        Keep the cells of this province, city or county only.

    Returns
    -------
    pandas.DataFrame
        As ``multi_hazard_index``, for every cell of the region (or unit) at ``res``, with the
        cell's ``county`` and ``city`` after ``cell``; a cell without any hazard row has index 0,
        class 1.

    Raises
    ------
    HazardIndexError
        Unknown hazard or adcode, bad weights.
    ValueError
        A resolution the store lacks.
    """
    n_classes = hazard_breaks(store)
    base = store.meta.get(META_WEIGHTS) or {}
    w = _weights(n_classes, {**(base if isinstance(base, Mapping) else {}), **(weights or {})})
    cells = region_cells(store, res)  # validates res
    keep = cells["cell"].to_numpy(np.uint64)
    if adcode is not None:
        try:
            keep = cells_in_unit(store, res, adcode)
        except ValueError as exc:
            raise HazardIndexError(str(exc)) from None
    rows = store.query("SELECT cell, hazard, class FROM hazard_cells WHERE res = ?", [int(res)])
    rows = rows[np.isin(rows["cell"].to_numpy(np.uint64), keep)]
    missing = np.setdiff1d(keep, rows["cell"].to_numpy(np.uint64))  # cells without any hazard row
    filler = pd.DataFrame({"cell": missing, "hazard": next(iter(n_classes)), "class": 0})
    table = pd.concat([rows.astype({"cell": "uint64"}), filler.astype({"cell": "uint64"})], ignore_index=True)
    out = multi_hazard_index(table, n_classes, w)
    # the output is sorted by H3 string; region_cells by uint64: align through the ids
    pos = pd.Index(h3_strings(cells["cell"].to_numpy(np.uint64))).get_indexer(out["cell"])
    out.insert(1, "county", cells["county"].to_numpy()[pos])
    out.insert(2, "city", cells["city"].to_numpy()[pos])
    return out
