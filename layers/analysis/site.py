"""Site suitability: a weighted, explained score for a new reserve depot, park or
production-capacity reserve base (生产能力储备基地) at a point or at every candidate cell.

Four components, each in [0, 1] with its raw value (formulas also in ``layers/METHODS.md#site``):

- ``hazard_safety`` = 1 - max over the store's hazards of ``class / n_classes`` at the site's
  cell (raw: that maximum). A site whose class reaches a hazard's exclusion threshold
  (default: the top class, e.g. flood >= 4, earthquake >= 6, wildfire >= 4) is **excluded**:
  its score is 0 and ``excluded_by`` says why.
- ``demand``: at-risk demand (population where the store has exposure, else area km2; a cell
  is at risk when its class of a chosen hazard is >= ``min_class``) that the site reaches
  within ``T`` hours: ``hours = gc km x detour(terrain of the demand cell) / speed + delay``,
  speed of the kind's tier (``KIND_SPEED``); raw / the largest raw over all candidates.
- ``chains``: enterprises with a chain relevant to the chosen hazards (and, for parks, parks
  with one) within ``T`` hours at the ``"enterprise"`` speed (detour of the site's terrain),
  counted with Luo & Qi's step decay ``CHAIN_BANDS`` (1 up to T/3, 0.68 up to 2T/3, 0.22 up
  to T); raw / the largest raw over all candidates.
- ``complement``: road km from the nearest existing depot (tiers ``DEPOT_TIERS``) over the
  county standard reach, ``min(1, gc x detour(site) / (speed_county x (H_county - delay)))``
  (raw: its hours, ``gc x detour / speed_county + delay``; no depot: 1).

``score = sum(w_c s_c) / sum(w_c)`` (0 when excluded), ``rank`` 1 = best. Normalising by the
maximum over the candidates makes ``--at`` equal to its row of ``--top``. Demand and chains
are smooth over a reach of ~200 km: at resolutions finer than ``reach_res`` (default 7) they
are evaluated at each cell's res-7 parent centre (at most ~1 km away), with at-risk demand
summed into res-7 parents; ``reach_res=None`` computes them per cell (res 8: ~5x slower).
``top`` results are spread out: no two closer than ``spacing_km`` (default 10 km).
The module is long (~580 lines) because the four scored components, their explanation for one
point and the ranking share one set of validated inputs; split apart they would pass the same
ten arrays between modules.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import h3.api.basic_int as h3i
import numpy as np
import pandas as pd

from etl import schema
from layers.analysis.reach import parent_cells, reach_sums
from layers.analysis.spread import DEFAULT_SPACING_KM, spread_top
from layers.analysis.travel import AccessParams, detour_per_cell, nearest_facilities
from layers.frames import (
    cell_areas,
    cells_in_unit,
    h3_strings,
    hazard_breaks,
    min_classes,
    region_cells,
)
from layers.store import Store

KINDS = ("depot", "park", "capacity_base")
COMPONENTS = ("hazard_safety", "demand", "chains", "complement")
#: Default weights per kind. A depot exists to reach at-risk people fast and to fill the gaps
#: between existing depots; a park needs the industry around it; a production-capacity base
#: needs both the industry and the demand it would supply.
DEFAULT_WEIGHTS: dict[str, dict[str, float]] = {
    "depot": {"hazard_safety": 1.0, "demand": 3.0, "chains": 1.0, "complement": 3.0},
    "park": {"hazard_safety": 1.0, "demand": 1.0, "chains": 3.0, "complement": 0.5},
    "capacity_base": {"hazard_safety": 1.0, "demand": 2.0, "chains": 2.0, "complement": 1.0},
}
#: Speed key (``standards.speed_kmh``) of the trip from a new site to the demand.
KIND_SPEED = {"depot": "county", "park": "enterprise", "capacity_base": "enterprise"}
#: Reserve tiers counted as existing depots by ``complement`` (not rescue teams, not capacity).
DEPOT_TIERS = ("national", "provincial", "municipal", "county")
#: Chain decay: (share of T, weight) steps, Luo & Qi's (2009) Gaussian weights as in e2sfca.
CHAIN_BANDS = ((1 / 3, 1.0), (2 / 3, 0.68), (1.0, 0.22))
DEFAULT_HOURS = 6.0
REACH_RES = 7
UNITS = {"hazard_safety": "class / top class (worst hazard)", "demand": "km²",
         "chains": "relevant enterprises (decayed count)", "complement": "h to the nearest depot"}


class SiteError(ValueError):
    """Parameters or inputs of a site analysis that cannot be used (names key, found, expected)."""


def _number(key: str, value: Any, *, low: float = 0.0, strict: bool = False) -> float:
    """A finite number > / >= ``low``, else SiteError."""
    ok = (isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
          and math.isfinite(value) and (value > low if strict else value >= low))
    if not ok:
        raise SiteError(f"{key}: found {value!r:.40}; expected a finite number {'>' if strict else '>='} {low:g}")
    return float(value)


def _whole(key: str, value: Any, low: int = 1) -> int:
    """An integer (or an integral float, as the CLI gives) >= ``low``, else SiteError."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
            or not float(value).is_integer() or value < low:
        raise SiteError(f"{key}: found {value!r:.40}; expected an integer >= {low}")
    return int(value)


@dataclass(frozen=True)
class SiteParams:
    """Checked parameters of ``site_scores``; build with :meth:`create`."""

    kind: str
    n_classes: Mapping[str, int]
    hours: float = DEFAULT_HOURS
    weights: Mapping[str, float] = field(default_factory=dict)
    exclude: Mapping[str, int | None] = field(default_factory=dict)
    chains: tuple[str, ...] = ()
    access: AccessParams | None = None
    county_hours: float = DEFAULT_HOURS
    reach_res: int | None = REACH_RES

    @classmethod
    def create(cls, kind: str, n_classes: Mapping[str, int], *, hours: float = DEFAULT_HOURS,
               weights: Mapping[str, float] | None = None, exclude: Mapping[str, Any] | None = None,
               chains: Sequence[str] = (), access: AccessParams | None = None,
               county_hours: float = DEFAULT_HOURS, reach_res: int | None = REACH_RES) -> SiteParams:
        """Check and complete the parameters.

        Parameters
        ----------
        kind
            ``"depot"``, ``"park"`` or ``"capacity_base"``.
        n_classes
            Hazards judged at the site -> their top class (number of breaks).
        hours
            T, the reach in hours (> 0).
        weights
            Overrides of ``DEFAULT_WEIGHTS[kind]`` (component -> weight >= 0, not all 0).
        exclude
            Hazard -> exclusion class (an integer >= 1; ``None`` or a value above the top class
            disables it); hazards not given keep their top class.
        chains
            Relevant chain codes (``etl.schema.CHAINS``).
        access
            Detour, speeds (needs ``county`` and ``enterprise``) and delay; default plain
            detour 1.3, 50 km/h, no delay.
        county_hours
            The county standard, where ``complement`` saturates (> the dispatch delay).
        reach_res
            Resolution at which demand and chains are evaluated (None: per cell).

        Raises
        ------
        SiteError
            Unknown kind, component, hazard or chain; weights < 0 or all 0; hours <= 0;
            a missing speed (names key, found, expected).
        """
        if kind not in KINDS:
            raise SiteError(f"kind: found {kind!r:.40}; expected one of {list(KINDS)}")
        if not isinstance(n_classes, Mapping):
            raise SiteError(f"n_classes: found {n_classes!r:.60}; expected a mapping hazard -> top class")
        n_cls = {str(h): _whole(f"n_classes.{h}", n) for h, n in n_classes.items()}
        merged = dict(DEFAULT_WEIGHTS[kind])
        for name, w in (weights or {}).items():
            if name not in COMPONENTS:
                raise SiteError(f"weights.{name}: unknown component; expected one of {list(COMPONENTS)}")
            merged[name] = _number(f"weights.{name}", w)
        if sum(merged.values()) <= 0:
            raise SiteError(f"weights: found all 0 ({merged}); expected at least one weight > 0")
        excl: dict[str, int | None] = dict(n_cls)
        for h, v in (exclude or {}).items():
            if h not in n_cls:
                raise SiteError(f"exclude.{h}: unknown hazard; expected one of {list(n_cls)}")
            excl[h] = None if v is None else _whole(f"exclude.{h}", v)
        unknown = [c for c in chains if c not in schema.CHAINS]
        if unknown:
            raise SiteError(f"chains: found unknown {unknown}; expected codes of {list(schema.CHAINS)}")
        access = access or AccessParams.from_standards(None, detour={"plain": 1.3},
                                                       speed_kmh={"county": 50.0, "enterprise": 50.0})
        for key in ("county", "enterprise"):
            if key not in access.speed_kmh:
                raise SiteError(f"speed_kmh.{key}: missing (found {sorted(access.speed_kmh)}); expected "
                                f"speeds for county, enterprise and the {kind} trip")
        hours = _number("hours", hours, strict=True)
        county_hours = _number("county_hours", county_hours, low=access.dispatch_delay_h, strict=True)
        if reach_res is not None:
            reach_res = _whole("reach_res", reach_res, 0)
        return cls(kind, n_cls, hours, merged, excl, tuple(dict.fromkeys(chains)), access,
                   county_hours, reach_res)


# --- the core ---------------------------------------------------------------------------------

def _cell_ints(col: pd.Series) -> np.ndarray:
    """H3 cells as uint64 (from ints or strings)."""
    if pd.api.types.is_integer_dtype(col.dtype):
        return col.to_numpy(np.uint64)
    return np.fromiter((h3i.str_to_int(str(c)) for c in col), np.uint64, len(col))


def _require(name: str, df: pd.DataFrame | None, cols: Sequence[str]) -> pd.DataFrame:
    """``df`` (None: empty) with ``cols`` present, else SiteError."""
    if df is None:
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("chains", "tier", "id") else float)
                             for c in cols})
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise SiteError(f"{name}: missing columns {missing}; expected {list(cols)}")
    return df


def _coarse(cells: np.ndarray, lat: np.ndarray, lng: np.ndarray, res: int | None):
    """Cells coarsened to ``res`` (finer ones only), with their centres: (keys, lat, lng)."""
    if res is None or not len(cells):
        return cells, lat, lng
    fine = ((cells >> np.uint64(52)) & np.uint64(0xF)).astype(int) > res
    keys = np.where(fine, parent_cells(cells, res), cells)
    uniq, inv = np.unique(keys[fine], return_inverse=True)
    centre = np.array([h3i.cell_to_latlng(int(c)) for c in uniq.tolist()]).reshape(-1, 2)
    lat, lng = lat.copy(), lng.copy()
    lat[fine], lng[fine] = centre[inv, 0], centre[inv, 1]
    return keys, lat, lng


def _classes(cand: pd.DataFrame, hazard: str) -> np.ndarray:
    """The ``<hazard>_class`` column as int64 (NA: 0)."""
    return pd.to_numeric(cand[f"{hazard}_class"], errors="coerce").fillna(0).to_numpy(np.int64)


def _hazard(cand: pd.DataFrame, params: SiteParams) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(safety score, worst class share, excluded_by text) per candidate."""
    share, reasons = np.zeros(len(cand)), [""] * len(cand)
    for h, top in params.n_classes.items():
        cls = _classes(cand, h)
        share = np.maximum(share, np.clip(cls / top, 0.0, 1.0))
        limit = params.exclude.get(h)
        for i in np.flatnonzero(cls >= limit) if limit is not None else ():
            text = f"{h} class {cls[i]} >= {limit}"
            reasons[i] = f"{reasons[i]}; {text}" if reasons[i] else text
    return 1.0 - share, share, reasons


def _reach(cand: pd.DataFrame, scale: np.ndarray, pts_lat: np.ndarray, pts_lng: np.ndarray,
           weight: Any, radius: np.ndarray, params: SiteParams, pts_cells: np.ndarray | None = None) -> np.ndarray:
    """``reach_sums`` from the candidates (coarsened to ``reach_res``), mapped back per candidate."""
    keys, lat, lng = _coarse(_cell_ints(cand["cell"]), cand["lat"].to_numpy(np.float64),
                             cand["lng"].to_numpy(np.float64), params.reach_res)
    frame = pd.DataFrame({"k": keys, "s": scale})
    first = ~frame.duplicated().to_numpy()
    inv = frame.groupby(["k", "s"], sort=False).ngroup().to_numpy()
    sums = reach_sums(lat[first], lng[first], pts_lat, pts_lng, weight, radius, scale[first],
                      q_cells=keys[first], p_cells=pts_cells)
    return sums[inv]


def _demand(cand: pd.DataFrame, at_risk: pd.DataFrame, params: SiteParams) -> tuple[np.ndarray, str]:
    """Raw at-risk demand within T hours of every candidate, and its unit."""
    col, unit = ("population", "people") if "population" in at_risk.columns else ("area_km2", "km²")
    w = pd.to_numeric(at_risk[col], errors="coerce").fillna(0).to_numpy(np.float64)
    if (w < 0).any() or not np.isfinite(w).all():
        raise SiteError(f"at_risk.{col}: found negative or infinite values; expected numbers >= 0")
    keys, lat, lng = _coarse(_cell_ints(at_risk["cell"]), at_risk["lat"].to_numpy(np.float64),
                             at_risk["lng"].to_numpy(np.float64), params.reach_res)
    detour = detour_per_cell(at_risk, params.access.detour)
    grouped = pd.DataFrame({"k": keys, "d": detour, "lat": lat, "lng": lng, "w": w}).groupby(
        ["k", "d"], sort=False).agg(lat=("lat", "first"), lng=("lng", "first"), w=("w", "sum")).reset_index()
    if params.hours < params.access.dispatch_delay_h or not len(grouped):
        return np.zeros(len(cand)), unit
    road = (params.hours - params.access.dispatch_delay_h) * params.access.speed_for(KIND_SPEED[params.kind])
    raw = _reach(cand, np.ones(len(cand)), grouped["lat"].to_numpy(), grouped["lng"].to_numpy(),
                 grouped["w"].to_numpy(), road / grouped["d"].to_numpy(), params, grouped["k"].to_numpy(np.uint64))
    return raw, unit


def _relevant(df: pd.DataFrame, chains: Sequence[str]) -> pd.DataFrame:
    """Rows whose ``chains`` list holds a relevant chain."""
    want = set(chains)
    keep = [isinstance(c, (list, tuple, np.ndarray)) and bool(want.intersection(c)) for c in df["chains"]]
    return df[np.asarray(keep, bool)]


def _chains(cand: pd.DataFrame, detour: np.ndarray, enterprises: pd.DataFrame, parks: pd.DataFrame,
            params: SiteParams) -> np.ndarray:
    """Raw decayed count of relevant enterprises (and parks for kind=park) within T hours."""
    pts = [_relevant(enterprises, params.chains)]
    if params.kind == "park":
        pts.append(_relevant(parks, params.chains))
    lat = np.concatenate([p["lat"].to_numpy(np.float64) for p in pts])
    lng = np.concatenate([p["lng"].to_numpy(np.float64) for p in pts])
    delay, speed = params.access.dispatch_delay_h, params.access.speed_for("enterprise")
    ends = [f * params.hours for f, _ in CHAIN_BANDS]
    live = [j for j, e in enumerate(ends) if e >= delay]
    if not len(lat) or not live:
        return np.zeros(len(cand))
    radius = np.tile([(ends[j] - delay) * speed for j in live], (len(lat), 1))
    within = np.zeros((len(cand), len(ends)))
    within[:, live] = _reach(cand, 1.0 / detour, lat, lng, 1.0, radius, params)
    steps = np.array([w for _, w in CHAIN_BANDS])
    band = np.diff(np.c_[np.zeros(len(cand)), within], axis=1)  # count in each band
    return band @ steps


def _complement(cand: pd.DataFrame, detour: np.ndarray, reserves: pd.DataFrame,
                params: SiteParams) -> tuple[np.ndarray, np.ndarray]:
    """(score, hours) of the nearest existing depot from every candidate."""
    depots = reserves[reserves["tier"].isin(DEPOT_TIERS)]
    _, gc = nearest_facilities(cand["lat"], cand["lng"], depots["lat"], depots["lng"], k=1)
    speed, delay = params.access.speed_for("county"), params.access.dispatch_delay_h
    road = gc[:, 0] * detour
    return np.minimum(1.0, road / (speed * (params.county_hours - delay))), road / speed + delay


def site_scores(candidates: pd.DataFrame, at_risk: pd.DataFrame, enterprises: pd.DataFrame,
                parks: pd.DataFrame | None, reserves: pd.DataFrame, params: SiteParams) -> pd.DataFrame:
    """Suitability of every candidate site, with each component's score and raw value.

    Parameters
    ----------
    candidates
        ``cell`` (H3, uint64 or string), ``lat``, ``lng`` (centre), optional ``terrain`` and
        ``county``, and ``<hazard>_class`` for every hazard of ``params.n_classes`` (NA: 0).
    at_risk
        At-risk demand cells: ``cell``, ``lat``, ``lng``, optional ``terrain``, and
        ``population`` (used when present) or ``area_km2``.
    enterprises, parks
        ``lat``, ``lng``, ``chains`` (list of chain codes); parks count for kind ``park`` only.
    reserves
        ``lat``, ``lng``, ``tier``; tiers of ``DEPOT_TIERS`` are the existing depots.
    params
        ``SiteParams.create(...)``.

    Returns
    -------
    pandas.DataFrame
        In candidate order: ``cell`` (H3 string), ``lon``, ``lat``, ``county``, ``score``,
        ``rank`` (1 = best; ties by cell), ``<c>_score`` and ``<c>_raw`` per component,
        ``excluded_by`` (text, "" if none), ``<hazard>_class``. ``attrs["site"]`` holds kind,
        hours, weights, units and exclusions (read by ``explain_site``).

    Raises
    ------
    SiteError
        Missing columns or bad values (names key, found, expected).
    """
    cand = _require("candidates", candidates, ["cell", "lat", "lng", *(f"{h}_class" for h in params.n_classes)])
    at_risk = _require("at_risk", at_risk, ["cell", "lat", "lng"])
    if not {"population", "area_km2"} & set(at_risk.columns):
        raise SiteError("at_risk: missing columns ['population' or 'area_km2']; expected the demand weight")
    enterprises = _require("enterprises", enterprises, ["lat", "lng", "chains"])
    parks = _require("parks", parks, ["lat", "lng", "chains"])
    reserves = _require("reserves", reserves, ["lat", "lng", "tier"])
    try:
        detour = detour_per_cell(cand, params.access.detour)
        safety, worst, excluded = _hazard(cand, params)
        demand, unit = _demand(cand, at_risk, params)
        chains = _chains(cand, detour, enterprises, parks, params)
        comp, comp_hours = _complement(cand, detour, reserves, params)
    except SiteError:
        raise
    except ValueError as exc:  # bad coordinates or terrain classes from layers.analysis.travel
        raise SiteError(str(exc)) from None
    norm = {"demand": demand, "chains": chains}
    scores = {"hazard_safety": safety, "complement": comp,
              **{k: v / v.max() if len(v) and v.max() > 0 else np.zeros(len(v)) for k, v in norm.items()}}
    raws = {"hazard_safety": worst, "demand": demand, "chains": chains, "complement": comp_hours}
    w = params.weights
    total = sum(w[c] * scores[c] for c in COMPONENTS) / sum(w.values())
    is_out = np.array([bool(e) for e in excluded], bool)
    total = np.where(is_out, 0.0, total)
    cells = h3_strings(_cell_ints(cand["cell"]))
    order = np.lexsort((cells.to_numpy(str), is_out, -total))
    rank = np.empty(len(cand), np.int64)
    rank[order] = np.arange(1, len(cand) + 1)
    out = pd.DataFrame({"cell": cells, "lon": cand["lng"].to_numpy(np.float64),
                        "lat": cand["lat"].to_numpy(np.float64),
                        "county": cand["county"].to_numpy(object) if "county" in cand else None,
                        "score": total, "rank": rank})
    for c in COMPONENTS:
        out[f"{c}_score"], out[f"{c}_raw"] = scores[c], raws[c]
    out["excluded_by"] = excluded
    for h in params.n_classes:
        out[f"{h}_class"] = _classes(cand, h)
    chains_unit = UNITS["chains"].replace("enterprises", "enterprises and parks") if params.kind == "park" \
        else UNITS["chains"]
    out.attrs["site"] = {"kind": params.kind, "hours": params.hours, "weights": dict(w),
                         "units": {**UNITS, "demand": unit, "chains": chains_unit},
                         "n_classes": dict(params.n_classes), "exclude": dict(params.exclude),
                         "chains": list(params.chains), "reach_res": params.reach_res}
    return out


def explain_site(site: pd.Series | pd.DataFrame, weights: Mapping[str, float] | None = None,
                 units: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """The breakdown of one site's score: per component its score, weight, contribution, raw, unit.

    Parameters
    ----------
    site
        A row of ``site_scores`` / ``site_from_store`` (Series), or a one-row frame.
    weights, units
        Default: those the scores were made with (``attrs["site"]``).

    Returns
    -------
    dict
        ``{component: {"score", "weight", "contribution", "raw", "unit"}}``; contributions
        (``weight x score / sum of weights``, 0 when excluded) add up to the site's score;
        ``hazard_safety`` also lists ``classes`` per hazard and ``excluded_by``.

    Raises
    ------
    SiteError
        Not one row, or no weights known.
    """
    if isinstance(site, pd.DataFrame):
        if len(site) != 1:
            raise SiteError(f"site: found a frame of {len(site)} rows; expected one row (e.g. df.iloc[[i]])")
        attrs, row = site.attrs, site.iloc[0]
    else:
        attrs, row = site.attrs, site
    meta = attrs.get("site", {})
    weights = weights or meta.get("weights")
    if not weights:
        raise SiteError("weights: none passed and the row carries none; expected the weights used, e.g. "
                        "DEFAULT_WEIGHTS['depot']")
    units = {**UNITS, **meta.get("units", {}), **(units or {})}
    total = sum(float(weights[c]) for c in COMPONENTS)
    out_ = bool(row.get("excluded_by", ""))
    result: dict[str, dict[str, Any]] = {}
    for c in COMPONENTS:
        s = float(row[f"{c}_score"])
        raw = float(row[f"{c}_raw"])
        result[c] = {"score": s, "weight": float(weights[c]),
                     "contribution": 0.0 if out_ else float(weights[c]) * s / total,
                     "raw": raw if math.isfinite(raw) else None, "unit": units[c]}
    classes = {k[:-len("_class")]: int(v) for k, v in row.items() if str(k).endswith("_class")}
    result["hazard_safety"].update(classes=classes, excluded_by=str(row.get("excluded_by", "")))
    return result


# --- store adapter ----------------------------------------------------------------------------

def _point(at: Any) -> tuple[float, float]:
    """``(lon, lat)`` checked, else SiteError."""
    try:
        lon, lat = (float(v) for v in at)
    except (TypeError, ValueError):
        raise SiteError(f"at: found {at!r:.60}; expected (lon, lat) in degrees, e.g. (115.46, 38.88)") from None
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise SiteError(f"at: found ({lon}, {lat}); expected lon in [-180, 180] and lat in [-90, 90] (WGS-84)")
    return lon, lat


def _candidates(store: Store, res: int, adcode: str | None, n_classes: Mapping[str, int]) -> pd.DataFrame:
    """The region's cells at ``res`` (or a unit's) with terrain, county and ``<hazard>_class``."""
    cells = region_cells(store, res)
    if adcode is not None:
        try:
            keep = cells_in_unit(store, res, adcode)
        except ValueError as exc:
            raise SiteError(str(exc)) from None
        cells = cells[np.isin(cells["cell"].to_numpy(np.uint64), keep)]
    cand = cells[["cell", "lat", "lng", "terrain", "county"]].reset_index(drop=True)
    index = pd.Index(cand["cell"].to_numpy(np.uint64))
    for h in n_classes:
        hz = store.query("SELECT cell, class FROM hazard_cells WHERE res = ? AND hazard = ?", [int(res), h])
        pos = index.get_indexer(hz["cell"].to_numpy(np.uint64))
        cls = np.zeros(len(cand), np.int64)
        cls[pos[pos >= 0]] = hz["class"].to_numpy(np.int64)[pos >= 0]
        cand[f"{h}_class"] = cls
    return cand


def _at_risk(store: Store, res: int, chosen: Sequence[str], thresholds: Mapping[str, int]) -> pd.DataFrame:
    """At-risk cells of the whole region: centre, terrain, area and (if any) population."""
    risk = store.query("SELECT hazard, cell, class FROM hazard_cells WHERE res = ? AND "
                       "list_contains(?::VARCHAR[], hazard)", [int(res), list(chosen)])
    need = risk["hazard"].map(thresholds).to_numpy(np.int64)
    at = np.unique(risk["cell"].to_numpy(np.uint64)[risk["class"].to_numpy(np.int64) >= need])
    cells = region_cells(store, res)
    pos = pd.Index(cells["cell"].to_numpy(np.uint64)).get_indexer(at)
    sub = cells.iloc[pos[pos >= 0]][["cell", "lat", "lng", "terrain"]].reset_index(drop=True)
    sub["area_km2"] = cell_areas(sub["cell"].to_numpy(np.uint64))
    expo = store.query("SELECT cell, population FROM exposure_cells WHERE res = ?", [int(res)])
    if len(expo):
        sub["population"] = pd.Series(expo["population"].to_numpy(np.float64), index=expo["cell"].to_numpy(
            np.uint64)).reindex(sub["cell"].to_numpy(np.uint64)).fillna(0.0).to_numpy()
    return sub


def site_from_store(store: Store, *, kind: str, at: Sequence[float] | None = None, top: int | None = None,
                    res: int = 7, hazards: str | Sequence[str] | None = None, hours: float | None = None,
                    weights: Mapping[str, float] | None = None, exclude: Mapping[str, Any] | None = None,
                    adcode: str | None = None, min_class: Any = None, reach_res: int | None = REACH_RES,
                    spacing_km: float = DEFAULT_SPACING_KM, **access_overrides: Any) -> pd.DataFrame:
    """``site_scores`` for the region's cells (or a unit's) at ``res``, read from a store.

    Parameters
    ----------
    store
        An open ``Store``.
    kind
        ``"depot"``, ``"park"`` or ``"capacity_base"``.
    at
        ``(lon, lat)``: return the row of the cell holding this point (scored among all
        candidates, so it equals that cell's row without ``at``).
    top
        Return the ``top`` best rows (rank order), no two closer than ``spacing_km``; neither
        ``at`` nor ``top``: every row.
    res
        H3 resolution of the candidate cells, one of the store's.
    hazards
        The hazards of the demand and the relevant chains (default: all the store's).
        Safety and exclusions always judge every hazard of the store.
    hours
        T (default: the county standard, meta ``standards.hours_by_tier.county``, else 6).
    weights, exclude
        As ``SiteParams.create``.
    adcode
        Restrict the candidates to a province, city or county (demand stays region-wide).
    min_class
        At-risk threshold, an int or ``{hazard: int}`` (default 2, as ``gaps``).
    reach_res
        As ``SiteParams.create``.
    spacing_km
        With ``top``: the minimum great-circle distance between two results (default
        ``DEFAULT_SPACING_KM``, 10 km; 0 gives the plain top rows). Results are thinned greedily
        in rank order (``layers.analysis.spread``), so ``rank`` keeps the row's rank among all
        candidates.
    **access_overrides
        ``detour``, ``speed_kmh``, ``dispatch_delay_h``.

    Returns
    -------
    pandas.DataFrame
        As ``site_scores``, in rank order; ``attrs["site"]`` also holds res, hazards, adcode
        and the number of candidates.

    Raises
    ------
    SiteError
        Unknown kind, hazard, component or adcode; bad hours or weights; a point outside the
        region (or the unit); both ``at`` and ``top``.
    ValueError
        A resolution the store lacks, bad access parameters.
    """
    n_classes = hazard_breaks(store)
    chosen = [hazards] if isinstance(hazards, str) else list(n_classes if hazards is None else hazards)
    unknown = [h for h in chosen if h not in n_classes]
    if unknown or not chosen:
        raise SiteError(f"hazards: found {unknown or chosen}; expected some of the store's hazards {list(n_classes)}")
    standards = store.meta.get("standards") or {}
    county_hours = float((standards.get("hours_by_tier") or {}).get("county", DEFAULT_HOURS))
    by_hazard = store.meta.get("chains_by_hazard") or {}
    params = SiteParams.create(
        kind, n_classes, hours=county_hours if hours is None else hours, weights=weights, exclude=exclude,
        chains=[c for h in chosen for c in by_hazard.get(h, [])], county_hours=county_hours, reach_res=reach_res,
        access=AccessParams.from_standards(standards, **access_overrides))
    if at is not None and top is not None:
        raise SiteError("at and top: found both; expected one (a point to explain, or the N best cells)")
    if top is not None:
        top = _whole("top", top)
    thresholds = min_classes(min_class, n_classes, chosen)
    cand = _candidates(store, res, adcode, n_classes)
    if at is not None:
        lon, lat = _point(at)
        cell = np.uint64(h3i.latlng_to_cell(lat, lon, int(res)))
        if not (cand["cell"].to_numpy(np.uint64) == cell).any():
            name = store.meta.get("region_name_en") or store.meta.get("region") or ""
            where = f"unit {adcode}" if adcode is not None else f"region {name} (bbox {store.meta.get('bbox')})"
            raise SiteError(f"at: the point ({lon}, {lat}) is outside the {where}; expected a point inside it")
    rows = site_scores(cand, _at_risk(store, res, chosen, thresholds), _entities(store, "enterprises"),
                       _entities(store, "parks"), _entities(store, "reserves"), params)
    attrs = {**rows.attrs["site"], "res": int(res), "hazards": chosen, "adcode": adcode,
             "min_class": thresholds, "candidates": len(rows)}
    if at is not None:
        rows = rows[(rows["cell"] == h3i.int_to_str(int(cell))).to_numpy(bool)]
    rows = rows.sort_values("rank", kind="stable")
    if top is not None:
        rows = spread_top(rows, top, spacing_km)
        attrs["spacing_km"] = float(spacing_km)
    rows = rows.reset_index(drop=True)
    rows.attrs["site"] = attrs
    return rows


def _entities(store: Store, table: str) -> pd.DataFrame:
    """lat, lng and chains (parks, enterprises) or tier (reserves) of an entity table."""
    extra = "tier" if table == "reserves" else "chains"
    t = schema.check_identifier(table)
    return store.query(f"SELECT lat, lon AS lng, {schema.quote(schema.check_identifier(t, extra))} "
                       f"FROM {t} ORDER BY id")
