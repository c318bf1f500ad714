"""The region's H3 cells at a resolution, with centre, county, city and terrain class.

Shared by the analyses (access, gaps, site); computed once per store build and resolution
in each process (about 2 s for the 2.9 M res-9 cells of Jing-Jin-Ji).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from itertools import chain

import h3.api.basic_int as h3i
import numpy as np
import pandas as pd
import pyarrow as pa

from etl import schema
from layers.store import Store

#: Terrain class of a cell whose county and city are not listed in the region's terrain.
DEFAULT_TERRAIN = "plain"
#: Byte -> its two lowercase hex digits, as 2 bytes in memory order (for ``h3_strings``).
_HEX_PAIRS = np.frombuffer(b"".join(f"{i:02x}".encode() for i in range(256)), np.dtype("<u2")).copy()


def h3_strings(cells: np.ndarray) -> pd.Series:
    """H3 cell ids (uint64) as their 15-character hex strings, vectorised (= ``h3.int_to_str``)."""
    c = np.ascontiguousarray(cells, dtype=np.uint64)
    if len(c) and ((c >> np.uint64(59)) != 1).any():
        raise ValueError("cells: found ids that are not H3 cells (mode bits != 1); expected uint64 H3 cell ids")
    pairs = _HEX_PAIRS[c.astype(">u8").view(np.uint8)].view(np.uint8).reshape(-1, 16)
    data = np.ascontiguousarray(pairs[:, 1:])  # cells have 15 hex digits (top nibble is 0)
    offsets = np.arange(0, 15 * len(c) + 1, 15, dtype=np.int64)
    arr = pa.LargeStringArray.from_buffers(len(c), pa.py_buffer(offsets), pa.py_buffer(data))
    return arr.cast(pa.string()).to_pandas()  # pandas' default string dtype


def cell_areas(cells: np.ndarray) -> np.ndarray:
    """Area in km2 of each H3 cell (uint64 ids), by ``h3.cell_area``."""
    ids = np.asarray(cells, np.uint64)
    return np.fromiter((h3i.cell_area(c, "km^2") for c in ids.tolist()), float, ids.size)


def cells_in_unit(store: Store, res: int, adcode: str) -> np.ndarray:
    """The cells (uint64, ascending) of a province, city or county at ``res`` (``admin_cells``).

    Raises
    ------
    ValueError
        ``adcode`` is not a province, city or county of the store (names a few that are).
    """
    unit = store.query("SELECT level FROM admin_units WHERE adcode = ?", [str(adcode)])
    level = None if unit.empty else str(unit["level"].iloc[0])
    if level not in ("province", "city", "county"):
        some = store.query("SELECT adcode, name FROM admin_units WHERE level <> 'county' ORDER BY adcode LIMIT 3")
        raise ValueError(f"adcode: found {adcode!r:.20}, not in the store's admin_units; expected a 6-digit province, "
                         f"city or county code such as "
                         f"{', '.join(f'{a} ({n})' for a, n in zip(some['adcode'], some['name']))}")
    column = schema.quote(schema.check_identifier("admin_cells", level))
    rows = store.query(f"SELECT cell FROM admin_cells WHERE res = ? AND {column} = ? ORDER BY cell",
                       [int(res), str(adcode)])
    return rows["cell"].to_numpy(np.uint64)


_CACHE_SIZE = 4
_cells_cache: OrderedDict[tuple[str, str, int, str], pd.DataFrame] = OrderedDict()
_cells_lock = threading.Lock()


def _terrain_of(county: np.ndarray, city: np.ndarray, by_unit: Mapping[str, str]) -> pd.Categorical:
    """Terrain class per cell: its county's if listed, else its city's, else ``"plain"``."""
    out = np.full(len(county), DEFAULT_TERRAIN, dtype=object)
    for codes in (city, county):  # county last: it wins over its city
        index, units = pd.factorize(pd.Series(codes, dtype=object))  # NA -> -1
        classes = np.array([by_unit.get(u) for u in units] + [None], dtype=object)
        hit = classes[index]
        mask = hit != None  # noqa: E711 (elementwise)
        out[mask] = hit[mask]
    return pd.Categorical(out)


def region_cells(store: Store, res: int) -> pd.DataFrame:
    """The region's cells at ``res`` with centre and terrain (cached per store build and res).

    Returns
    -------
    pandas.DataFrame
        ``cell`` (uint64), ``lat``, ``lng`` (centre, degrees), ``county``, ``city`` (adcodes)
        and ``terrain`` (class from meta ``standards.terrain_by_unit``), in cell order. Treat
        as read-only: the frame is shared by later calls.

    Raises
    ------
    ValueError
        ``res`` is not one of the store's resolutions.
    """
    resolutions = [int(r) for r in store.meta.get("resolutions", [])]
    if isinstance(res, bool) or not isinstance(res, (int, np.integer)) or int(res) not in resolutions:
        raise ValueError(f"res: found {res!r:.20}; expected one of the store's resolutions {resolutions}")
    by_unit = dict((store.meta.get("standards") or {}).get("terrain_by_unit") or {})
    key = (str(store.path.resolve()), str(store.meta.get("build_id")), int(res), repr(sorted(by_unit.items())))
    with _cells_lock:
        if key in _cells_cache:
            _cells_cache.move_to_end(key)
            return _cells_cache[key]
    table = schema.check_identifier("admin_cells")
    cols = ", ".join(schema.quote(schema.check_identifier(table, c)) for c in ("cell", "county", "city"))
    raw = store.query(f"SELECT {cols} FROM {table} WHERE res = ? ORDER BY cell", [int(res)], numpy=True)
    cell = np.asarray(raw["cell"], np.uint64)
    latlng = np.fromiter(chain.from_iterable(map(h3i.cell_to_latlng, cell.tolist())), np.float64,
                         count=2 * len(cell)).reshape(-1, 2)
    county, city = (np.asarray(raw[c], dtype=object) for c in ("county", "city"))
    df = pd.DataFrame({"cell": cell, "lat": latlng[:, 0], "lng": latlng[:, 1], "county": county,
                       "city": city, "terrain": _terrain_of(county, city, by_unit)})
    with _cells_lock:
        _cells_cache[key] = df
        while len(_cells_cache) > _CACHE_SIZE:
            _cells_cache.popitem(last=False)
    return df
