"""The hazard cells of one (hazard, resolution) held in memory for the map's viewport requests.

Each pan or zoom asks for the cells of a hazard layer in the view (``hazard_cells_in_view``).
Under load (50 sessions, 2 workers) the DuckDB query behind it was the largest part of a map
request's CPU (cProfile: 12 of 35 s over 587 requests). The store is read-only, so a layer is
read once per process (``cell, class, max, sampled`` sorted by cell, 18 bytes a cell) and a view
becomes a binary search of its candidate cells in that array. Layers are kept least recently
used first out within ``BUDGET_BYTES`` per process; a layer larger than half of it (res 9 of a
region much larger than the demo's: 2.9 million cells, 52 MB) stays in DuckDB. The answer is the same as the query's (a test compares them
over random views); the hex ids are formatted as DuckDB's ``printf('%x')`` does.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Memory for cached layers per process (2 workers: twice this); ``ONEMAP_MAP_CACHE_MB`` (0: none,
#: every view asks DuckDB).
BUDGET_BYTES = int(float(os.environ.get("ONEMAP_MAP_CACHE_MB", 256)) * 2**20)
ROW_BYTES = 18  # cell 8 + class 1 + max 8 + sampled 1
_LOCK = threading.Lock()
_LAYERS: OrderedDict[tuple, "_Layer"] = OrderedDict()
_COUNTS: dict[tuple, dict[tuple[str, int], int]] = {}
_DIGITS = np.frombuffer(b"0123456789abcdef", dtype="S1")
_SHIFTS = np.arange(56, -4, -4, dtype=np.uint64)  # 15 nibbles: H3 ids are below 2**60


@dataclass(frozen=True)
class _Layer:
    cells: np.ndarray  # uint64, sorted
    cls: np.ndarray
    value: np.ndarray
    sampled: np.ndarray

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.cells, self.cls, self.value, self.sampled))


def _store_key(store: Any) -> tuple:
    return (str(store.path), str(store.meta.get("build_id")))


def _counts(store: Any) -> dict[tuple[str, int], int]:
    key = _store_key(store)
    found = _COUNTS.get(key)
    if found is None:
        rows = store.query("SELECT hazard, res, count(*) AS n FROM hazard_cells GROUP BY hazard, res", [], numpy=True)
        found = _COUNTS[key] = {(h, int(r)): int(n) for h, r, n in zip(rows["hazard"], rows["res"], rows["n"])}
    return found


def _layer(store: Any, hazard: str, res: int) -> _Layer | None:
    """The layer in memory (read on first use); None when it is too large to keep."""
    key = (*_store_key(store), hazard, int(res))
    with _LOCK:
        if key in _LAYERS:
            _LAYERS.move_to_end(key)
            return _LAYERS[key]
        if _counts(store).get((hazard, int(res)), 0) * ROW_BYTES > BUDGET_BYTES // 2:
            return None
        rows = store.query("SELECT cell, class AS cls, max AS value, sampled FROM hazard_cells "
                           "WHERE hazard = ? AND res = ? ORDER BY cell", [hazard, int(res)], numpy=True)
        layer = _Layer(np.asarray(rows["cell"], dtype=np.uint64), np.asarray(rows["cls"], dtype=np.int8),
                       np.asarray(rows["value"], dtype=np.float64), np.asarray(rows["sampled"], dtype=bool))
        _LAYERS[key] = layer
        while sum(v.nbytes for v in _LAYERS.values()) > BUDGET_BYTES and len(_LAYERS) > 1:
            _LAYERS.popitem(last=False)
        return layer


def hex_ids(cells: np.ndarray) -> np.ndarray:
    """H3 ids as lower-case hex text without leading zeros (DuckDB's ``printf('%x', cell)``)."""
    cells = np.asarray(cells, dtype=np.uint64)
    if not len(cells):
        return np.array([], dtype=object)
    nibbles = ((cells[:, None] >> _SHIFTS) & np.uint64(15)).astype(np.intp)
    text = np.ascontiguousarray(_DIGITS[nibbles]).view("S15").ravel().astype("U15")
    if (cells < np.uint64(1) << np.uint64(56)).any():  # not H3 ids: strip the zeros printf leaves out
        text = np.char.lstrip(text, "0")
        text[text == ""] = "0"
    return text.astype(object)


def cells_in(store: Any, hazard: str, res: int, min_class: int, candidates: np.ndarray) -> dict[str, Any] | None:
    """Rows of ``hazard`` at ``res`` among the sorted ``candidates`` with class >= ``min_class``:
    ``h3`` (hex), ``cls``, ``value``, ``sampled`` in cell order, as the viewport query returns
    them; None when the layer is not kept in memory (ask DuckDB)."""
    layer = _layer(store, hazard, res)
    if layer is None:
        return None
    candidates = np.asarray(candidates, dtype=np.uint64)
    if len(candidates) > 1 and not (candidates[1:] > candidates[:-1]).all():
        candidates = np.unique(candidates)
    idx = _matches(layer.cells, candidates)
    idx = idx[layer.cls[idx] >= min_class]
    return {"h3": hex_ids(layer.cells[idx]), "cls": layer.cls[idx], "value": layer.value[idx],
            "sampled": layer.sampled[idx]}


def _matches(cells: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Indices into sorted ``cells`` of the sorted, distinct ``candidates`` it holds (in cell order)."""
    idx = np.searchsorted(cells, candidates)
    inside = idx < len(cells)
    idx, found = idx[inside], candidates[inside]
    return idx[cells[idx] == found]
