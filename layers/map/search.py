"""Search by name: admin units, parks, reserves (depots) and enterprises.

A query matches a name by Chinese substring, by full pinyin (``tangshan``), by pinyin initials
(``ts``) or, when those find too few, fuzzily (rapidfuzz's ``partial_ratio``: the
best-aligned part of the name; typos such as ``tnagshan`` or a wrong character). Pinyin comes
from pypinyin, computed once per store build (``search_index``); a search is then a scan of
plain Python strings (a few ms for the demo's ~10,000 names).

Ranking: how the query matched (exact name, name prefix, substring, pinyin prefix, pinyin
substring, initials, fuzzy), then the kind (provinces, cities, counties, parks, depots,
enterprises), then the shorter name.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pypinyin import Style, lazy_pinyin
from rapidfuzz import fuzz, process

from layers.store import Store

#: Search order of kinds when two matches are equally good.
KINDS = ("province", "city", "county", "parks", "reserves", "enterprises")
#: Match quality (higher is better); a fuzzy match scores ``FUZZY_MAX * ratio / 100``.
SCORES = {"exact": 100, "prefix": 96, "substring": 92, "pinyin_prefix": 88, "pinyin": 84,
          "initials_prefix": 82, "initials": 78}
FUZZY_MAX = 70
FUZZY_CUTOFF = 72  # a ratio below this is noise for short names
MAX_QUERY = 40  # characters of a query that are used
_SPACE = re.compile(r"[\s'’·\-_]+")
_HAN = re.compile(r"([\u3400-\u9fff]+)")
_ALNUM = re.compile(r"[^A-Za-z0-9]+")


@dataclass(frozen=True)
class SearchIndex:
    """Parallel lists over every searchable thing (see :func:`search_index`)."""

    kind: list[str]
    id: list[str]
    name: list[str]
    pinyin: list[str]
    initials: list[str]
    lon: list[float]
    lat: list[float]
    bbox: list[list[float] | None]
    parent: list[str | None]
    norm: list[str]

    def __len__(self) -> int:
        return len(self.id)


def _pinyin(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name, lower case; letters and digits of other runs are kept
    whole in both (``"3M中国（天津）"`` -> ``("3mzhongguotianjin", "3mzgtj")``)."""
    full, initials = [], []
    for run in _HAN.split(name):
        if not run:
            continue
        if _HAN.fullmatch(run):
            syllables = lazy_pinyin(run, style=Style.NORMAL)
            full += syllables
            initials += [s[:1] for s in syllables]
        else:  # letters and digits count, punctuation (（合成）, ·, -) does not
            kept = _ALNUM.sub("", run)
            full.append(kept)
            initials.append(kept)
    return _normalise("".join(full)), _normalise("".join(initials))


def _normalise(text: str) -> str:
    return _SPACE.sub("", str(text)).lower()


def build_index(rows: Sequence[dict[str, Any]]) -> SearchIndex:
    """A :class:`SearchIndex` from rows ``{kind, id, name, lon, lat[, bbox, parent]}``."""
    cols: dict[str, list[Any]] = {k: [] for k in SearchIndex.__dataclass_fields__}
    for row in rows:
        name = str(row["name"] or "").strip()
        if not name:
            continue
        full, initials = _pinyin(name)
        cols["kind"].append(row["kind"])
        cols["id"].append(str(row["id"]))
        cols["name"].append(name)
        cols["norm"].append(_normalise(name))
        cols["pinyin"].append(full)
        cols["initials"].append(initials)
        cols["lon"].append(float(row["lon"]))
        cols["lat"].append(float(row["lat"]))
        cols["bbox"].append(row.get("bbox"))
        cols["parent"].append(row.get("parent"))
    return SearchIndex(**cols)


def _match(q: str, norm: str, full: str, initials: str) -> str | None:
    if q == norm:
        return "exact"
    if norm.startswith(q):
        return "prefix"
    if q in norm:
        return "substring"
    if not q.isascii():
        return None
    if full.startswith(q):
        return "pinyin_prefix"
    if q in full:
        return "pinyin"
    if initials.startswith(q):
        return "initials_prefix"
    if len(q) >= 2 and q in initials:
        return "initials"
    return None


def search(index: SearchIndex, query: str, *, limit: int = 10,
           kinds: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The best ``limit`` matches of ``query`` in ``index``.

    Parameters
    ----------
    query
        Chinese characters, pinyin (spaces ignored) or pinyin initials; the first
        ``MAX_QUERY`` characters count. An empty query gives no result.
    kinds
        Only these kinds (``KINDS``); None: all.

    Returns
    -------
    list of dict
        ``{kind, id, name, lon, lat, bbox, parent, score, match}`` best first; ``bbox`` is
        ``[w, s, e, n]`` for admin units and None for facilities; ``match`` says how it matched
        (a key of ``SCORES`` or ``"fuzzy"``).
    """
    q = _normalise(query)[:MAX_QUERY]
    if not q or limit < 1:
        return []
    allowed = set(kinds or KINDS)
    hits: list[tuple[float, int, int]] = []  # (score, kind order, position)
    order = {k: i for i, k in enumerate(KINDS)}
    for i, (norm, full, ini, kind) in enumerate(zip(index.norm, index.pinyin, index.initials, index.kind)):
        if kind not in allowed:
            continue
        how = _match(q, norm, full, ini)
        if how:
            hits.append((SCORES[how], order.get(kind, 99), i))
    if len(hits) < limit and len(q) >= 2:
        seen = {i for _, _, i in hits}
        choices = index.pinyin if q.isascii() else index.norm
        for _, ratio, i in process.extract(q, choices, scorer=fuzz.partial_ratio, score_cutoff=FUZZY_CUTOFF,
                                           limit=limit * 4):
            if i not in seen and index.kind[i] in allowed:
                hits.append((FUZZY_MAX * ratio / 100, order.get(index.kind[i], 99), i))
    hits.sort(key=lambda h: (-h[0], h[1], len(index.name[h[2]]), index.id[h[2]]))
    out = []
    for score, _, i in hits[:limit]:
        out.append({"kind": index.kind[i], "id": index.id[i], "name": index.name[i],
                    "lon": index.lon[i], "lat": index.lat[i], "bbox": index.bbox[i],
                    "parent": index.parent[i], "score": round(score, 1),
                    "match": next((k for k, v in SCORES.items() if v == score), "fuzzy")})
    return out


_CACHE: dict[tuple[str, str], SearchIndex] = {}
_LOCK = threading.Lock()


def search_index(store: Store) -> SearchIndex:
    """The search index of ``store`` (built on first use, then kept per store build)."""
    key = (str(store.path), str(store.meta.get("build_id")))
    with _LOCK:
        index = _CACHE.get(key)
        if index is None:
            index = build_index(_rows(store))
            if len(_CACHE) >= 4:
                _CACHE.clear()
            _CACHE[key] = index
    return index


def _rows(store: Store) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    units = store.query("SELECT adcode, name, level, parent, lon, lat, bbox FROM admin_units ORDER BY adcode")
    for code, name, level, parent, lon, lat, bbox in units.itertuples(index=False):
        rows.append({"kind": level, "id": code, "name": name, "lon": lon, "lat": lat, "parent": parent,
                     "bbox": [round(float(v), 6) for v in bbox] if bbox is not None else None})
    for entity in ("parks", "reserves", "enterprises"):
        df = store.query(f"SELECT id, name, lon, lat, adcode FROM {entity} "  # noqa: S608 (fixed names)
                         "WHERE lon IS NOT NULL AND lat IS NOT NULL ORDER BY id")
        rows += [{"kind": entity, "id": i, "name": n, "lon": x, "lat": y, "parent": a}
                 for i, n, x, y, a in df.itertuples(index=False)]
    return rows


def search_places(store: Store, query: str, *, limit: int = 10,
                  kinds: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Search the store's admin units and facilities by name (see :func:`search`)."""
    return search(search_index(store), query, limit=limit, kinds=kinds)
