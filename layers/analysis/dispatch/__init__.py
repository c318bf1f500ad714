"""Dispatch for one event: which reserves and enterprises arrive first, and whether the standards hold.

An **event** is a point with a radius, a drawn or uploaded polygon, or an earthquake scenario
(epicentre and magnitude -> a PGA field from the demo's attenuation relation). Its affected
area is a set of H3 cells; its **centre** (the point, the polygon's centroid, the epicentre) is
where arrival hours are measured.

Method and limits (``layers/METHODS.md#dispatch``):

- great-circle km (haversine, sphere of radius ``EARTH_RADIUS_KM``) from each facility to the
  centre, and to the nearest affected cell centre (0 when the facility lies in the area);
- road km = great-circle km x the detour factor of the terrain class of the *centre's* cell
  (as ``layers.analysis.travel`` uses the served cell's terrain); hours = road km / speed of the
  reserve's tier (enterprises: the ``"enterprise"`` speed) + the dispatch delay;
- a reserve meets its tier's standard (``hours_by_tier``: 6 / 8 / 10 h) when its hours to the
  centre are within it (the conservative choice; ``hours_edge`` is reported beside it);
- no road network, closures or damaged bridges, no stock or vehicle limits (capacity is what
  the store says, not what is on the shelf), and the quake field is a demo relation.

Modules: ``events`` (``event_point``, ``event_polygon``: pure, validated), ``quake``
(``event_quake`` and the demo attenuation relation), ``ranking`` (``dispatch_table``,
``dispatch_summary``, ``dispatch_lines``: the pure core); this package's ``dispatch_from_store``
is the store adapter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import h3.api.basic_int as h3i
import numpy as np
import pandas as pd

from layers.analysis.dispatch.events import (
    DEFAULT_HAZARD,
    QUAKE_HAZARD,
    Event,
    EventError,
    OutsideRegionError,
    event_point,
    event_polygon,
    haversine_km,
    intensity_class,
)
from layers.analysis.dispatch.quake import DEFAULT_MIN_PGA, event_quake, quake_pga
from layers.analysis.dispatch.ranking import (
    DEFAULT_LIMIT_ENTERPRISES,
    check_limit,
    check_standard_hours,
    dispatch_lines,
    dispatch_summary,
    dispatch_table,
    relevant_chains,
)
from layers.analysis.travel import AccessParams
from layers.frames import materials_text, terrain_of
from layers.store import Store

__all__ = [
    "DEFAULT_MIN_PGA",
    "Event",
    "EventError",
    "OutsideRegionError",
    "dispatch_from_store",
    "dispatch_lines",
    "dispatch_summary",
    "dispatch_table",
    "event_point",
    "event_polygon",
    "event_quake",
    "intensity_class",
    "quake_pga",
]


# --- store adapter ----------------------------------------------------------------------------

def _pair(name: str, value: Any, n: int, expected: str) -> tuple[float, ...]:
    """``value`` as n numbers, else EventError."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != n:
        raise EventError(f"{name}: found {value!r:.60}; expected {expected}")
    return tuple(value)


def _event_from_spec(at: Any, radius_km: Any, polygon: Any, quake: Any, min_pga: Any, event: Any,
                     res: int, hazard: str | None) -> Event:
    """Exactly one of at (+ radius_km), polygon, quake, event -> an Event."""
    given = [n for n, v in (("at", at), ("polygon", polygon), ("quake", quake), ("event", event)) if v is not None]
    if len(given) != 1:
        raise EventError(f"event: found {given or 'none'}; expected exactly one of at (with radius_km), "
                         "polygon, quake or event")
    if radius_km is not None and at is None:
        raise EventError(f"radius_km: found {radius_km!r:.20} without at; expected radius_km with at only")
    if given == ["at"]:
        if radius_km is None:
            raise EventError("radius_km: missing; expected a radius in km with at")
        lon, lat = _pair("at", at, 2, "(lon, lat)")
        return event_point(lon, lat, radius_km, res=res, hazard=DEFAULT_HAZARD if hazard is None else hazard)
    if given == ["polygon"]:
        return event_polygon(polygon, res=res, hazard=DEFAULT_HAZARD if hazard is None else hazard)
    if hazard is not None and (given == ["event"] or hazard != QUAKE_HAZARD):
        raise EventError(f"hazard: found {hazard!r:.40}; expected none with {given[0]} (a quake's hazard "
                         f"is {QUAKE_HAZARD!r}; an event carries its own)")
    if given == ["quake"]:
        lon, lat, mag = _pair("quake", quake, 3, "(lon, lat, magnitude)")
        return event_quake(lon, lat, mag, min_pga, res=res)
    if not isinstance(event, Event):
        raise EventError(f"event: found {type(event).__name__}; expected an Event")
    return event


def _admin(store: Store, event: Event) -> pd.DataFrame:
    """admin_cells rows (cell, county, city, province) of the event's cells."""
    return store.query("SELECT a.cell, a.county, a.city, a.province FROM admin_cells a JOIN ev USING (cell) "
                       "WHERE a.res = ? ORDER BY a.cell", [event.res],
                       tables={"ev": pd.DataFrame({"cell": event.cells})}).astype({"cell": np.uint64})


def _centre_terrain(store: Store, event: Event, admin: pd.DataFrame) -> str:
    """Terrain class of the centre's cell, or of the affected cell nearest the centre if outside."""
    cell = np.uint64(h3i.latlng_to_cell(event.centre[1], event.centre[0], event.res))
    row = admin[admin["cell"] == cell]
    if row.empty:
        near = event.cells[np.argmin(haversine_km(event.centre[0], event.centre[1], event.lng, event.lat))]
        row = admin[admin["cell"] == near]
    by_unit = dict((store.meta.get("standards") or {}).get("terrain_by_unit") or {})
    return str(terrain_of(row["county"].to_numpy(object), row["city"].to_numpy(object), by_unit)[0])


def _population(store: Store, event: Event) -> float | None:
    """People in the event's cells from exposure_cells at its res; None without exposure data."""
    has = store.query("SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'exposure_cells'")
    if not int(has["n"].iloc[0]):
        return None
    df = store.query("SELECT (SELECT count(*) FROM exposure_cells WHERE res = ?) AS n, (SELECT sum(e.population) "
                     "FROM exposure_cells e JOIN ev USING (cell) WHERE e.res = ?) AS pop", [event.res, event.res],
                     tables={"ev": pd.DataFrame({"cell": event.cells})})
    if not int(df["n"].iloc[0]):
        return None
    pop = df["pop"].iloc[0]
    return 0.0 if pd.isna(pop) else float(pop)


def dispatch_from_store(store: Store, *, at: Sequence[float] | None = None, radius_km: float | None = None,
                        polygon: Any = None, quake: Sequence[float] | None = None,
                        min_pga: float = DEFAULT_MIN_PGA, event: Event | None = None, res: int = 8,
                        hazard: str | None = None, hours_by_tier: Mapping[str, float] | None = None,
                        tiers: Sequence[str] | None = None, limit_reserves: int | None = None,
                        limit_enterprises: int | None = DEFAULT_LIMIT_ENTERPRISES,
                        **access_overrides: Any) -> tuple[pd.DataFrame, dict[str, Any], Event]:
    """``dispatch_table`` and ``dispatch_summary`` for one event on a store's region.

    Give exactly one event: ``at=(lon, lat)`` with ``radius_km``, ``polygon`` (GeoJSON),
    ``quake=(lon, lat, magnitude)`` with ``min_pga``, or a built ``event`` (its own res and
    hazard). The affected cells are kept where they lie in the region (``admin_cells``); the
    detour factor is the terrain class of the centre's cell (meta ``standards.terrain_by_unit``).

    Parameters
    ----------
    store
        An open ``Store``.
    at, radius_km, polygon, quake, min_pga, event
        The event (see ``event_point``, ``event_polygon``, ``event_quake``).
    res
        H3 resolution, one of the store's (default 8).
    hazard
        For point and polygon events: the hazard whose chains respond (default ``"flood"``);
        a key of meta ``chains_by_hazard``.
    hours_by_tier
        Standards merged over meta ``standards.hours_by_tier``.
    tiers
        Only reserves of these tiers (and only their standards are checked).
    limit_reserves, limit_enterprises
        Rows kept per kind in the table (the summary always sees every facility).
    **access_overrides
        ``detour``, ``speed_kmh``, ``dispatch_delay_h`` (as ``layers.analysis.travel``).

    Returns
    -------
    (table, summary, event)
        ``dispatch_table`` rows, ``dispatch_summary`` (plus ``cells_outside_region`` and
        ``terrain``), and the event restricted to the region.

    Raises
    ------
    ValueError
        Several or no events, bad event parameters (``EventError``), a resolution the store
        lacks, a hazard without chains, bad standards or access parameters;
        ``OutsideRegionError`` when no affected cell lies in the region.
    """
    resolutions = [int(r) for r in store.meta.get("resolutions", [])]
    if event is None and (isinstance(res, bool) or not isinstance(res, (int, np.integer))
                          or int(res) not in resolutions):
        raise EventError(f"res: found {res!r:.20}; expected one of the store's resolutions {resolutions}")
    standards = store.meta.get("standards") or {}
    params = AccessParams.from_standards(standards, **access_overrides)
    if hours_by_tier is not None and not isinstance(hours_by_tier, Mapping):
        raise ValueError(f"hours_by_tier: found {hours_by_tier!r:.60}; expected a mapping tier -> hours")
    std = check_standard_hours({**(standards.get("hours_by_tier") or {}), **(hours_by_tier or {})})
    limits = check_limit("limit_reserves", limit_reserves), check_limit("limit_enterprises", limit_enterprises)
    ev = _event_from_spec(at, radius_km, polygon, quake, min_pga, event, res, hazard)
    if ev.res not in resolutions:
        raise EventError(f"event.res: found {ev.res}; expected one of the store's resolutions {resolutions}")
    wanted = relevant_chains(store.meta.get("chains_by_hazard") or {}, ev.hazard)
    admin = _admin(store, ev)
    if admin.empty:
        lon, lat = ev.centre
        raise OutsideRegionError(
            f"event: found {len(ev.cells):,} affected cells around ({lon:.4f}, {lat:.4f}), none in the region "
            f"{store.meta.get('region', '')} (bbox {store.meta.get('bbox')}); expected an event inside the region")
    keep = np.isin(ev.cells, admin["cell"].to_numpy(np.uint64))
    outside = int((~keep).sum())
    ev = ev.subset(keep) if outside else ev
    terrain = _centre_terrain(store, ev, admin)
    reserves = store.query("SELECT id, name, tier, lon, lat, capacity, capacity_unit FROM reserves ORDER BY id")
    enterprises = store.query("SELECT id, name, lon, lat, chains, output_yi FROM enterprises "
                              "WHERE list_has_any(chains, ?::VARCHAR[]) ORDER BY id", [wanted])
    full = dispatch_table(ev, reserves, enterprises, params, std, wanted, terrain=terrain, tiers=tiers,
                          limit_reserves=None, limit_enterprises=None)
    units = set(admin["county"].dropna()) | set(admin["city"].dropna())
    names = store.query("SELECT adcode, name FROM admin_units WHERE list_contains(?::VARCHAR[], adcode)",
                        [sorted(units)])
    summary = dispatch_summary(ev, full, {t: h for t, h in std.items() if tiers is None or t in tiers},
                               chains=wanted, admin=admin, population=_population(store, ev),
                               names=dict(zip(names["adcode"], names["name"])))
    summary["cells_outside_region"], summary["terrain"] = outside, terrain
    rank = full["rank"].to_numpy()
    cap = [np.inf if lim is None else lim for lim in limits]
    keep_rows = np.where(full["kind"].to_numpy() == "reserve", rank <= cap[0], rank <= cap[1])
    table = full[keep_rows].reset_index(drop=True)
    for col, lang in (("can_send", "zh"), ("can_send_en", "en")):  # what each source can send (stock / per day)
        table[col] = table["id"].astype(str).map(materials_text(store, table["id"], lang))
    return table, summary, ev
