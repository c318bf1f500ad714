"""Tables, chart data, map data and the cover of a report, assembled from the analyses' output
for one unit (pure pandas over frames already computed, plus a few store look-ups)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import h3
import numpy as np
import pandas as pd
import shapely

from etl import schema
from layers.analysis.siting import siting_from_store
from layers.analysis.travel import GAP_TIER, AccessParams, access_table
from layers.frames import facility_groups, h3_strings, region_cells, unit_of
from layers.map.labels import class_threshold, hazard_layers
from layers.map.units import DEFAULT_TOLERANCE_M, M_PER_DEGREE, geojson_geometry
from layers.store import Store, json_ready

#: Tiers in the order a report shows them (the fastest standard first).
TIER_ORDER = ("county", "municipal", "provincial", "national")
#: Bins of the hours histogram: width 0.5 h, widened so that there are at most this many.
MAX_BINS = 24
METHODS = ("layers/METHODS.md#report", "layers/METHODS.md#gaps", "layers/METHODS.md#access",
           "layers/METHODS.md#chains", "layers/METHODS.md#siting")


# --- tables -----------------------------------------------------------------------------------

def shown_tiers(std: Mapping[str, float]) -> list[str]:
    """The tiers of ``std`` in report order (county first)."""
    return [t for t in TIER_ORDER if t in std]


def units_table(hazard: str, units: pd.DataFrame, unit: dict[str, Any], children: pd.DataFrame,
                tiers: list[str]) -> pd.DataFrame:
    """Per child unit (a county: itself) and, for a city or province, the unit as the last row."""
    wanted = children[["adcode", "name", "level"]]
    if unit["level"] != "county":
        wanted = pd.concat([wanted, pd.DataFrame([{k: unit[k] for k in ("adcode", "name", "level")}])],
                           ignore_index=True)
    cols = ["at_risk_cells", "at_risk_area_km2", "population", "gap_area_km2",
            *[f"share_covered_{t}" for t in tiers], "worst_hours", "p90_hours", "has_county_depot",
            "counties_without_county_depot", "missing_chains"]
    rows = []
    for adcode, name, level in wanted.itertuples(index=False):
        hit = units[(units["level"] == level) & (units["adcode"] == adcode)]
        row: dict[str, Any] = {"hazard": hazard, "adcode": adcode, "name": name, "level": level}
        if len(hit):
            row.update({c: hit.iloc[0][c] for c in cols})
        else:  # no at-risk cell: only the area is known (zero)
            row.update({c: np.nan for c in cols})
            row.update({"at_risk_cells": 0, "at_risk_area_km2": 0.0, "gap_area_km2": 0.0,
                        "has_county_depot": None, "counties_without_county_depot": None, "missing_chains": []})
        rows.append(row)
    df = pd.DataFrame(rows, columns=["hazard", "adcode", "name", "level", *cols])
    area = df["at_risk_area_km2"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        df.insert(df.columns.get_loc("gap_area_km2") + 1, "gap_share",
                  np.where(area > 0, df["gap_area_km2"].to_numpy(float) / area, np.nan))
    df["at_risk_cells"] = df["at_risk_cells"].astype(np.int64)
    df["counties_without_county_depot"] = df["counties_without_county_depot"].astype("Int64")
    df["has_county_depot"] = df["has_county_depot"].astype("boolean")
    return df


def cells_table(hazard: str, cells: pd.DataFrame, names: Mapping[str, str], tiers: list[str]) -> pd.DataFrame:
    """The unit's at-risk cells with their attributes (map data and the worst-cells table)."""
    ll = np.array([h3.cell_to_latlng(c) for c in cells["cell"]]).reshape(-1, 2)
    out = pd.DataFrame({"hazard": hazard, "cell": cells["cell"].astype(str).to_numpy(object),
                        "lon": ll[:, 1], "lat": ll[:, 0],
                        "county": cells["county"].to_numpy(object),
                        "county_name": cells["county"].map(dict(names)).to_numpy(object),
                        "hazard_class": cells["hazard_class"].to_numpy(np.int64),
                        "area_km2": cells["area_km2"].to_numpy(float),
                        "population": cells["population"].to_numpy(float)})
    for t in tiers:
        out[f"hours_{t}"] = cells[f"hours_{t}"].to_numpy(float)
    out["first_batch_tier"] = cells["first_batch_tier"].astype(object).where(cells["first_batch_tier"].notna(),
                                                                           None).to_numpy(object)
    out["first_batch_hours"] = cells["first_batch_hours"].to_numpy(float)
    out["gap"] = cells["gap"].to_numpy(bool)
    out["n_missing_chains"] = cells["n_missing_chains"].to_numpy(np.int64)
    out["missing_chains"] = [list(v) for v in cells["missing_chains"]]
    return out


def worst_cells(cells: pd.DataFrame, n: int) -> pd.DataFrame:
    """The ``n`` cells with the longest county-tier hours (then larger area, then cell id)."""
    if cells.empty:
        return cells.copy()
    order = np.lexsort((cells["cell"].to_numpy(str), -cells["area_km2"].to_numpy(float),
                        -cells[f"hours_{GAP_TIER}"].to_numpy(float)))
    return cells.iloc[order[:n]].drop(columns=["n_missing_chains"]).reset_index(drop=True)


def depots_table(store: Store, hazard: str, cells: pd.DataFrame, res: int, params: AccessParams,
                 std: Mapping[str, float], tiers: list[str], names: Mapping[str, str], n: int) -> pd.DataFrame:
    """Per tier, the depots nearest to the unit's at-risk cells: area served and hours."""
    columns = ["hazard", "tier", "standard_hours", "facility_id", "name", "county", "county_name", "cells",
               "area_km2", "area_share", "min_hours", "mean_hours", "max_hours", "share_within_standard"]
    if cells.empty:
        return pd.DataFrame(columns=columns)
    rc = region_cells(store, res)
    ids = np.array([h3.str_to_int(c) for c in cells["cell"]], np.uint64)
    pos = pd.Index(rc["cell"].to_numpy(np.uint64)).get_indexer(ids)
    sub = rc.iloc[pos][["cell", "lat", "lng", "terrain"]].reset_index(drop=True)
    fac, present = facility_groups(store, "tiers", None)
    groups = [t for t in tiers if t in present]
    if not groups:
        return pd.DataFrame(columns=columns)
    acc = access_table(sub, fac, params, groups=groups)
    area = np.tile(cells["area_km2"].to_numpy(float), len(groups))
    df = pd.DataFrame({"tier": acc["tier"].astype(str).to_numpy(object),
                       "facility_id": acc["facility_id"].astype(object).to_numpy(object),
                       "hours": acc["hours"].to_numpy(float), "area": area})
    df = df[df["facility_id"].notna()]
    df["within"] = df["hours"] <= df["tier"].map(dict(std)).to_numpy(float)
    df["wh"] = df["hours"] * df["area"]
    df["wa"] = df["within"] * df["area"]
    g = df.groupby(["tier", "facility_id"], sort=False).agg(
        cells=("hours", "size"), area_km2=("area", "sum"), min_hours=("hours", "min"),
        max_hours=("hours", "max"), wh=("wh", "sum"), wa=("wa", "sum")).reset_index()
    g["mean_hours"] = g["wh"] / g["area_km2"]
    g["share_within_standard"] = g["wa"] / g["area_km2"]
    g["area_share"] = g["area_km2"] / float(cells["area_km2"].sum())
    g["standard_hours"] = g["tier"].map(dict(std)).astype(float)
    g["rank"] = g["tier"].map({t: i for i, t in enumerate(tiers)})
    g = g.sort_values(["rank", "area_km2", "facility_id"], ascending=[True, False, True], kind="stable")
    g = g.groupby("tier", sort=False).head(n).reset_index(drop=True)
    res_rows = store.query("SELECT id, name, adcode FROM reserves WHERE list_contains(?::VARCHAR[], id)",
                           [g["facility_id"].astype(str).tolist()])
    county = dict(zip(res_rows["id"], county_of(store, res_rows["adcode"])))
    g["name"] = g["facility_id"].map(dict(zip(res_rows["id"], res_rows["name"])))
    g["county"] = g["facility_id"].map(county)
    g["county_name"] = g["county"].map(dict(names))
    g["hazard"] = hazard
    return g[columns]


def county_of(store: Store, codes: Sequence[Any]) -> list[str | None]:
    """The county above each adcode (by parent links; None if none)."""
    return unit_of(store, list(codes), "county")


def chain_matrix_table(rows: pd.DataFrame, hazards: list[str],
                       by_hazard: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """City x ``hazard:chain`` reach shares (the chain-gap heatmap), cities in adcode order."""
    pairs = [f"{h}:{c}" for h in hazards for c in dict.fromkeys(by_hazard.get(h, []))]
    if rows.empty:
        return pd.DataFrame(columns=["city", "city_name", *pairs])
    key = rows["hazard"].astype(str) + ":" + rows["chain"].astype(str)
    wide = pd.DataFrame({"city": rows["city"], "key": key, "v": rows["reach_share"].astype(float)}).pivot_table(
        index="city", columns="key", values="v", aggfunc="first", dropna=False, sort=True)
    wide = wide.reindex(columns=[p for p in pairs if p in set(key)])
    wide.columns.name = None
    out = wide.reset_index()
    out.insert(1, "city_name", out["city"].map(dict(zip(rows["city"], rows["city_name"]))))
    return out


def siting_table(store: Store, hazard: str, res: int, adcode: str, k: int, hours: float, min_class: Any,
                 names: Mapping[str, str], time_limit: float, overrides: dict[str, Any]
                 ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Top-k new county depots inside the unit (MCLP) and their before/after coverage."""
    sites, summary, _ = siting_from_store(store, k, hazard=hazard, res=res, min_class=min_class, tier=GAP_TIER,
                                          hours=hours, adcode=adcode, time_limit=time_limit, **overrides)
    area = summary["at_risk_area_km2"]
    table = pd.DataFrame({"hazard": hazard, "order": sites["order"].to_numpy(np.int64),
                          "cell": sites["cell"].astype(str).to_numpy(object),
                          "lon": sites["lon"].to_numpy(float), "lat": sites["lat"].to_numpy(float),
                          "county": sites["county"].to_numpy(object),
                          "county_name": sites["county"].map(dict(names)).to_numpy(object),
                          "gain_area_km2": sites["gain_area_km2"].to_numpy(float),
                          "gain_population": sites["gain_population"].to_numpy(float)})
    row = {"hazard": hazard, "tier": GAP_TIER, "standard_hours": float(hours), "k": int(k),
           "sites": int(len(sites)), "area_before": summary["covered_area_before_km2"] / area,
           "area_after": summary["covered_area_after_km2"] / area, "weight_before": summary["before_share"],
           "weight_after": summary["after_share"], "weighting": summary["weighting"],
           "solver": summary["solver"], "optimality_gap": summary["gap"], "status": summary["status"]}
    return table, row


def facilities_table(store: Store, res: int, level: str, adcode: str, serving: set[str],
                     names: Mapping[str, str]) -> pd.DataFrame:
    """Reserves, parks and enterprises positioned in the unit, and depots outside that serve it."""
    col = schema.quote(schema.check_identifier("admin_cells", level))
    frames = []
    for entity, kind, category, chains in (("reserves", "reserve", "tier", None),
                                            ("parks", "park", "level", "chains"),
                                            ("enterprises", "enterprise", None, "chains")):
        t = schema.check_identifier(entity)
        cat = f"x.{schema.quote(schema.check_identifier(t, category))}" if category else "NULL"
        ch = f"x.{schema.quote(schema.check_identifier(t, chains))}" if chains else "NULL::VARCHAR[]"
        df = store.query(
            f"SELECT x.id, x.name, {cat} AS category, {ch} AS chains, x.lon, x.lat, x.precision, x.synthetic, "
            f"a.county, a.{col} = ? AS inside FROM {t} AS x LEFT JOIN entity_cells AS e ON e.entity = ? "
            "AND e.id = x.id AND e.res = ? LEFT JOIN admin_cells AS a ON a.res = e.res AND a.cell = e.cell "
            f"WHERE a.{col} = ? OR list_contains(?::VARCHAR[], x.id) ORDER BY x.id",
            [adcode, entity, int(res), adcode, sorted(serving) if entity == "reserves" else []])
        df.insert(0, "kind", kind)
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    out["inside"] = out["inside"].fillna(False).astype(bool)
    out["serves"] = (out["kind"] == "reserve") & out["id"].isin(serving)
    out["chains"] = [list(v) if isinstance(v, (list, tuple, np.ndarray)) else [] for v in out["chains"]]
    out.insert(out.columns.get_loc("county") + 1, "county_name", out["county"].map(dict(names)))
    out["category"] = out["category"].astype(object).where(out["category"].notna(), None)
    return out[["kind", "id", "name", "category", "chains", "lon", "lat", "precision", "synthetic", "county",
                "county_name", "inside", "serves"]]


# --- charts -----------------------------------------------------------------------------------

def hazard_cells_table(store: Store, res: int, level: str, adcode: str, hazards: list[str]) -> pd.DataFrame:
    """Every cell of the unit with data for a chosen hazard and its class (the hazard-class map)."""
    col = schema.quote(schema.check_identifier("admin_cells", level))
    df = store.query(
        f"SELECT h.hazard, h.cell, h.class FROM hazard_cells AS h JOIN admin_cells AS a ON a.res = h.res "
        f"AND a.cell = h.cell WHERE h.res = ? AND a.{col} = ? AND list_contains(?::VARCHAR[], h.hazard) "
        "ORDER BY h.cell", [int(res), adcode, list(hazards)], numpy=True)
    out = pd.DataFrame({"hazard": np.asarray(df["hazard"], dtype=object),
                        "cell": h3_strings(np.asarray(df["cell"], np.uint64)).to_numpy(object),
                        "hazard_class": np.asarray(df["class"], np.int64)})
    order = np.argsort(out["hazard"].map({h: i for i, h in enumerate(hazards)}).to_numpy(), kind="stable")
    return out.iloc[order].reset_index(drop=True)


def outlines_table(store: Store, unit: Mapping[str, Any], children: pd.DataFrame) -> pd.DataFrame:
    """The unit's and its children's outlines (simplified GeoJSON geometries) and label points."""
    codes = list(dict.fromkeys([unit["adcode"], *children["adcode"]]))
    df = store.query("SELECT adcode, name, level, lon, lat, geometry FROM admin_units "
                     "WHERE list_contains(?::VARCHAR[], adcode) ORDER BY adcode", [codes])
    geoms = shapely.from_wkb([bytes(g) for g in df["geometry"]])
    tol = np.array([DEFAULT_TOLERANCE_M.get(lv, 200.0) / M_PER_DEGREE for lv in df["level"]])
    geoms = shapely.make_valid(shapely.simplify(geoms, tol, preserve_topology=True))
    return pd.DataFrame({"adcode": df["adcode"].to_numpy(object), "name": df["name"].to_numpy(object),
                         "level": df["level"].to_numpy(object),
                         "role": np.where(df["adcode"] == unit["adcode"], "unit", "child").astype(object),
                         "lon": df["lon"].to_numpy(float), "lat": df["lat"].to_numpy(float),
                         "geometry": [geojson_geometry(g) for g in geoms]})


def coverage_by_tier(hazard: str, head: Mapping[str, Any], cells: pd.DataFrame, std: Mapping[str, float],
                     tiers: list[str]) -> pd.DataFrame:
    """Per tier: its standard, the unit's share covered within it (from gaps) and the area."""
    rows = []
    for t in tiers:
        hours = cells[f"hours_{t}"].to_numpy(float)
        rows.append({"hazard": hazard, "tier": t, "standard_hours": float(std[t]),
                     "share_covered": head[f"share_covered_{t}"],
                     "covered_area_km2": float(cells["area_km2"].to_numpy(float)[hours <= std[t]].sum())})
    return pd.DataFrame(rows, columns=["hazard", "tier", "standard_hours", "share_covered", "covered_area_km2"])


def hours_histogram(hazard: str, cells: pd.DataFrame, standard: float) -> pd.DataFrame:
    """County-tier hours of the at-risk area in 0.5 h bins (wider when needed), + unreachable."""
    columns = ["hazard", "from_hours", "to_hours", "cells", "area_km2", "area_share"]
    if cells.empty:
        return pd.DataFrame(columns=columns)
    hours = cells[f"hours_{GAP_TIER}"].to_numpy(float)
    area = cells["area_km2"].to_numpy(float)
    finite = np.isfinite(hours)
    top = max(float(hours[finite].max()) if finite.any() else 0.0, float(standard))
    width = 0.5
    while top / width > MAX_BINS:
        width *= 2
    edges = np.arange(0.0, top + width, width)
    if edges[-1] < top or len(edges) < 2:
        edges = np.append(edges, edges[-1] + width)
    idx = np.clip(np.searchsorted(edges, hours[finite], side="right") - 1, 0, len(edges) - 2)
    count = np.bincount(idx, minlength=len(edges) - 1)
    km2 = np.bincount(idx, area[finite], len(edges) - 1)
    df = pd.DataFrame({"hazard": hazard, "from_hours": edges[:-1], "to_hours": edges[1:],
                       "cells": count.astype(np.int64), "area_km2": km2})
    if (~finite).any():
        df.loc[len(df)] = [hazard, np.inf, np.inf, int((~finite).sum()), float(area[~finite].sum())]
    df["area_share"] = df["area_km2"] / float(area.sum())
    return df[columns]


# --- cover ------------------------------------------------------------------------------------

def hazard_threshold(layer: Mapping[str, Any], min_class: Any) -> dict[str, Any]:
    k = min_class.get(layer["hazard"], 2) if isinstance(min_class, Mapping) else 2 if min_class is None \
        else int(min_class)
    breaks = layer["breaks"]
    comparator, threshold = class_threshold(layer, k)
    return {"hazard": layer["hazard"], "zh": schema.HAZARD_NAMES.get(layer["hazard"], (layer["hazard"],) * 2)[0],
            "en": schema.HAZARD_NAMES.get(layer["hazard"], (layer["hazard"],) * 2)[1], "min_class": k,
            "threshold": threshold, "comparator": comparator, "units": layer["units"],
            "class_label": layer["labels"][k] if 0 < k < len(layer["labels"]) else None,
            "breaks": list(breaks), "labels": list(layer["labels"]),
            "synthetic": layer["synthetic"], "description": layer["description"]}


def cover_dict(store: Store, unit: dict[str, Any], parents: list, hazards: list[str], res: int, std: dict,
               params: AccessParams, options: dict[str, Any], facilities: pd.DataFrame, date: str) -> dict[str, Any]:
    """The report's cover: title, unit, hazards, date, build, provenance, standards, parameters."""
    meta = store.meta
    layers = [hazard_threshold(layer, options["min_class"]) for layer in hazard_layers(store)
              if layer["hazard"] in hazards]
    sources = store.query("SELECT source, entity, path, rows_loaded, rows_rejected, synthetic, crs FROM sources "
                          "ORDER BY source")
    precision: dict[str, dict[str, int]] = {}
    for kind, prec in zip(facilities["kind"][facilities["inside"]], facilities["precision"][facilities["inside"]]):
        precision.setdefault(kind, {}).setdefault(str(prec), 0)
        precision[kind][str(prec)] += 1
    exposure = meta.get("exposure")
    hz_zh = "、".join(h["zh"] for h in layers)
    hz_en = ", ".join(h["en"].lower() for h in layers)
    all_tag = len(hazards) == len(store.hazards) and len(hazards) > 1
    return json_ready_dict({
        "title_zh": f"{unit['name']}{hz_zh}风险区应急物资储备覆盖缺口报告",
        "title_en": f"Coverage gaps of emergency reserves in {hz_en} at-risk areas: {unit['name']} ({unit['adcode']})",
        "unit": {**unit, "parents": parents}, "hazards": layers,
        "hazard_tag": "all" if all_tag else "+".join(hazards), "date": date,
        "build_id": meta.get("build_id"), "built_at": meta.get("built_at"),
        "region": {"id": meta.get("region"), "name": meta.get("region_name"), "name_en": meta.get("region_name_en")},
        "provenance": {
            "note": meta.get("synthetic_note"),
            "sources": sources.to_dict(orient="records"),
            "real": sources.loc[~sources["synthetic"], "source"].tolist(),
            "synthetic": sources.loc[sources["synthetic"], "source"].tolist(),
            "precision_in_unit": precision,
            "exposure": None if not isinstance(exposure, Mapping) else {
                k: exposure.get(k) for k in ("source", "synthetic", "description", "units", "total")}},
        "standards": {"hours_by_tier": std, "speed_kmh": dict(params.speed_kmh), "detour": dict(params.detour),
                      "dispatch_delay_h": params.dispatch_delay_h,
                      "chains_by_hazard": {h: list((meta.get("chains_by_hazard") or {}).get(h, [])) for h in hazards}},
        "parameters": {"res": res, **options},
        "methods": list(METHODS),
    })


def json_ready_dict(value: Any) -> Any:
    """Nested dicts/lists with JSON-ready leaves (NumPy scalars, NaN -> None)."""
    if isinstance(value, Mapping):
        return {str(k): json_ready_dict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready_dict(v) for v in value]
    return json_ready(value)


def concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The frames stacked (empty ones skipped; the first frame's columns when all are empty)."""
    frames = [f for f in frames if f is not None]
    nonempty = [f for f in frames if len(f)]
    if not nonempty:
        return frames[0].iloc[0:0].copy() if frames else pd.DataFrame()
    return pd.concat(nonempty, ignore_index=True) if len(nonempty) > 1 else nonempty[0].reset_index(drop=True)
