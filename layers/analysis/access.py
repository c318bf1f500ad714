"""The access analysis: the nearest reserves of each tier (or enterprises of each chain) per cell.

The travel model itself (``AccessParams``, great-circle x detour / speed + delay, nearest
facilities, pairs within T hours) lives in ``layers.analysis.travel``; this module is its store
adapter, ``onemap analyze access`` and the app's 可达性 analysis.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from layers.analysis.travel import AccessParams, access_table, check_k
from layers.frames import facility_groups, region_cells
from layers.store import Store


def access_from_store(store: Store, res: int = 8, *, groups: str = "tiers", hazard: str | None = None,
                      k: int = 1, **param_overrides: Any) -> pd.DataFrame:
    """``access_table`` for every cell of the region at ``res``, read from a store.

    Cells are the region's cells of ``admin_cells`` at ``res`` (centres cached in-process per
    store build and resolution); their terrain comes from meta ``standards.terrain_by_unit``
    (county if listed, else city, else ``"plain"``). Parameters come from meta ``standards``
    with ``param_overrides`` merged in (``AccessParams.from_standards``).

    Parameters
    ----------
    store
        An open ``Store``.
    res
        H3 resolution, one of the store's (default 8).
    groups
        ``"tiers"``: reserves grouped by tier (tiers present in the store, schema order);
        ``"chains"``: enterprises grouped by each chain relevant to ``hazard`` (meta
        ``chains_by_hazard``), an enterprise counting in each of its chains; a relevant chain
        without enterprises gets NA/inf rows. Chain groups travel at the ``"enterprise"`` speed.
    hazard
        Required with ``groups="chains"``.
    k
        Nearest facilities per cell and group.
    **param_overrides
        ``detour``, ``speed_kmh``, ``dispatch_delay_h``.

    Returns
    -------
    pandas.DataFrame
        Columns ``COLUMNS``, as ``access_table``.

    Raises
    ------
    ValueError
        A resolution the store lacks, an unknown ``groups`` or ``hazard``, bad parameters.
    """
    params = AccessParams.from_standards(store.meta.get("standards"), **param_overrides)
    k = check_k(k)
    cells = region_cells(store, res)
    fac, order = facility_groups(store, groups, hazard)
    return access_table(cells, fac, params, k, groups=order)
