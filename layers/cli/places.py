"""``onemap analyze`` commands on places and events: siting, site, dispatch, index."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from layers.cli.common import (
    ACCESS_OPTIONS,
    DB,
    OUT,
    Numbers,
    Pairs,
    access_overrides,
    finish,
    join_lists,
    lang,
    open_store,
    out_path,
    say,
)
from layers.export import internal_mark, write_table


@click.command("siting")
@DB
@click.option("-k", "k", type=int, required=True, help="Number of new depots (>= 1).")
@click.option("--hazard", default="flood", show_default=True, help="Hazard whose at-risk cells are the demand, or 'any'.")
@click.option("--res", type=click.IntRange(0, 15), default=7, show_default=True,
              help="H3 resolution of demand and candidate cells.")
@click.option("--min-class", "min_class", type=int, help="At risk from this hazard class up (default 2).")
@click.option("--tier", default="county", show_default=True, help="Tier of the new depots (speed and standard).")
@click.option("--hours", type=float, help="Coverage standard in hours (default: the tier's standard in the store).")
@click.option("--existing/--no-existing", default=True, show_default=True,
              help="Count the coverage of existing depots of the tier.")
@click.option("--weighting", type=click.Choice(["auto", "population", "area"]), default="auto", show_default=True,
              help="Demand weight x hazard class: population (exposure) or area; auto picks population if present.")
@click.option("--adcode", help="Restrict demand and candidates to a province, city or county.")
@click.option("--exclude-at-risk", is_flag=True, help="No new depot on an at-risk cell.")
@click.option("--method", type=click.Choice(["auto", "milp", "greedy"]), default="auto", show_default=True,
              help="Exact MILP (HiGHS), greedy + local search with a bound, or auto by size.")
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=60.0, show_default=True, help="Solver seconds.")
@click.option("--demand-out", type=click.Path(dir_okay=False, path_type=Path),
              callback=lambda ctx, p, v: v if v is None else out_path(v),
              help="Also write the demand cells with covered_before / covered_after (with --material: the "
                   "counties with need, arrived before and after).")
@click.option("--material", help="Where to stock how much of this material (name, alias or code): K new depots "
                                 "and their quantities that meet the most need within --hours (capacitated MILP).")
@click.option("--capacity", type=float, help="With --material: the most one new depot holds.")
@click.option("--quantity-per-site", "quantity_per_site", type=float,
              help="With --material: every new depot holds this much.")
@ACCESS_OPTIONS
@OUT
@click.pass_context
def siting(ctx: click.Context, db: Path, k: int, hazard: str, res: int, min_class: int | None, tier: str,
           hours: float | None, existing: bool, weighting: str, adcode: str | None, exclude_at_risk: bool,
           method: str, time_limit: float, demand_out: Path | None, material: str | None, capacity: float | None,
           quantity_per_site: float | None, speeds: tuple, detours: tuple, delay: float | None, out: Path) -> None:
    """Optimal siting (MCLP): K new depots covering the most risk-weighted demand.

    With --material: where to stock how much of it (K new depots, each <= --capacity or holding
    --quantity-per-site), meeting the most need within --hours after the existing stock.
    Prints a JSON summary on stdout (objective, bound, gap, sites, before/after coverage).
    """
    from layers.analysis.siting import siting_from_store  # noqa: PLC0415

    t0 = time.perf_counter()
    store = open_store(ctx, db)
    overrides = access_overrides(speeds, detours, delay)
    if material is not None or capacity is not None or quantity_per_site is not None:
        _stock_siting(ctx, store, db, material, k, capacity, quantity_per_site, hazard, min_class, hours, tier, res,
                      adcode, time_limit, overrides, demand_out, out, t0)
        return
    try:
        sites, summary, demand = siting_from_store(
            store, k, hazard=hazard, res=res, min_class=min_class, tier=tier, hours=hours, existing=existing,
            weighting=weighting, adcode=adcode, exclude_at_risk=exclude_at_risk, time_limit=time_limit,
            method=method, **overrides)
    except (ValueError, LookupError) as exc:
        click.echo(say(ctx, "bad", detail=exc), err=True)
        sys.exit(2)
    about = {"analysis": "siting", "method": "maximal covering location problem, MILP (HiGHS) or greedy + "
             "local search with a bound (layers/METHODS.md#siting)", "store": str(db),
             "build_id": store.meta.get("build_id"), **{key: summary[key] for key in (
                 "k", "hazard", "res", "tier", "hours", "weighting", "objective", "bound", "gap", "solver",
                 "before_share", "after_share")}, "overrides": json.dumps(overrides)}
    if demand_out is not None:
        write_table(demand, demand_out, sheet="demand", about=about)
    finish(ctx, sites, out, t0, about, "siting")
    click.echo(json.dumps(summary, ensure_ascii=False, indent=2))



def _stock_siting(ctx: click.Context, store: Any, db: Path, material: str | None, k: int, capacity: float | None,
                  quantity_per_site: float | None, hazard: str, min_class: int | None, hours: float | None,
                  tier: str, res: int, adcode: str | None, time_limit: float, overrides: dict,
                  demand_out: Path | None, out: Path, t0: float) -> None:
    """``siting --material``: layers.analysis.siting_stock on the command line."""
    from layers.analysis.siting_stock import stock_siting_from_store  # noqa: PLC0415

    if material is None:
        click.echo(say(ctx, "bad", detail="--capacity/--quantity-per-site: found without --material; expected "
                        "--material NAME with them" if lang(ctx) == "en" else
                        "每处储备上限或固定储备量只用于物资选址：请同时给出 --material 物资名称"), err=True)
        sys.exit(2)
    try:
        sites, summary, units = stock_siting_from_store(
            store, material, k, capacity=capacity, quantity_per_site=quantity_per_site, hazard=hazard,
            min_class=2 if min_class is None else min_class, hours=hours, tier=tier, res=res, adcode=adcode,
            time_limit=time_limit, **overrides)
    except (ValueError, LookupError) as exc:
        zh = getattr(exc, "zh", None) if lang(ctx) == "zh" else None
        click.echo(say(ctx, "bad", detail=zh or exc), err=True)
        sys.exit(2)
    about = {"analysis": "siting --material", "method": "capacitated siting of one material: K new depots and "
             "quantities maximising the need met within the deadline after the existing allocation, MILP (HiGHS, "
             "scipy.optimize.milp) (layers/METHODS.md#stock-siting)", "store": str(db),
             "build_id": store.meta.get("build_id"), **{key: summary[key] for key in (
                 "material", "k", "capacity", "hazard", "min_class", "hours", "tier", "res", "fill_before",
                 "fill_after", "status", "synthetic")}}
    if demand_out is not None:
        write_table(units, demand_out, sheet="units", about=about, mark=internal_mark(lang(ctx)))
    finish(ctx, sites, out, t0, about, "siting", internal=True)  # fill before/after follow from the stock
    click.echo(json.dumps(summary, ensure_ascii=False, indent=2))


@click.command("site")
@DB
@click.option("--kind", type=click.Choice(["depot", "park", "capacity_base"]), default="depot", show_default=True,
              help="What would be built: a reserve depot, a park, or a production-capacity reserve base.")
@click.option("--at", type=Numbers(2, "115.46,38.88"), metavar="LON,LAT",
              help="Score the cell holding this point and explain it (JSON on stdout).")
@click.option("--top", type=click.IntRange(min=1), help="Rank every candidate cell and keep the N best.")
@click.option("--spacing-km", "spacing_km", type=click.FloatRange(min=0), default=10.0, show_default=True,
              help="With --top: minimum distance between two results in km (0: the N best, side by side).")
@click.option("--res", type=click.IntRange(0, 15), default=7, show_default=True, help="H3 resolution of the cells.")
@click.option("--hazard", "hazards", multiple=True,
              help="Hazard whose at-risk demand and chains count (repeatable; default: all the store's).")
@click.option("--hours", type=float, help="Reach T in hours (default: the county standard, 6).")
@click.option("--weight", "weights", type=Pairs(), multiple=True,
              help="Component weight, e.g. demand=2 (hazard_safety, demand, chains, complement).")
@click.option("--exclude", "exclude", type=Pairs(), multiple=True,
              help="Exclude sites from this hazard class up, e.g. flood=3 (default: each hazard's top class).")
@click.option("--adcode", help="Only candidate cells of this province, city or county (demand stays region-wide).")
@click.option("--min-class", "min_class", type=int, help="At risk from this hazard class up (default 2).")
@ACCESS_OPTIONS
@OUT
@click.pass_context
def site_command(ctx: click.Context, db: Path, kind: str, at: tuple | None, top: int | None, spacing_km: float, res: int,
                 hazards: tuple, hours: float | None, weights: tuple, exclude: tuple, adcode: str | None,
                 min_class: int | None, speeds: tuple, detours: tuple, delay: float | None, out: Path) -> None:
    """Site suitability for a new depot, park or capacity base: one explained point, or the N best cells."""
    from layers.analysis.site import explain_site, site_from_store  # noqa: PLC0415
    from layers.store import json_ready  # noqa: PLC0415

    t0 = time.perf_counter()
    if (at is None) == (top is None):
        click.echo(say(ctx, "bad", detail=f"--at and --top: found {'both' if at else 'neither'}; expected "
                        "exactly one (--at LON,LAT explains a point, --top N ranks the cells)"), err=True)
        sys.exit(2)
    store = open_store(ctx, db)
    overrides = access_overrides(speeds, detours, delay)
    try:
        df = site_from_store(store, kind=kind, at=at, top=top, res=res, hazards=list(hazards) or None,
                             hours=hours, weights=dict(weights) or None, exclude=dict(exclude) or None,
                             adcode=adcode, min_class=min_class, spacing_km=spacing_km, **overrides)
    except (ValueError, LookupError) as exc:
        click.echo(say(ctx, "bad", detail=exc), err=True)
        sys.exit(2)
    meta = df.attrs["site"]
    if at is not None:
        row = df.iloc[0]
        report = {"at": list(at), **{k: json_ready(row[k]) for k in ("cell", "lon", "lat", "county", "score", "rank")},
                  "of": meta["candidates"], "kind": kind, "hazards": meta["hazards"], "hours": meta["hours"],
                  "excluded_by": row["excluded_by"], "components": explain_site(df)}
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    about = {"analysis": "site", "method": "weighted mean of hazard safety, at-risk demand within T hours, "
             "relevant enterprises within T hours (decayed) and distance to existing depots; hours from the "
             "access distance model (layers/METHODS.md#site)", "store": str(db), "build_id": store.meta.get("build_id"),
             "kind": kind, "res": res, "hazards": meta["hazards"], "hours": meta["hours"],
             "weights": json.dumps(meta["weights"]), "exclude": json.dumps(meta["exclude"]), "adcode": adcode,
             "min_class": json.dumps(meta["min_class"]), "at": json.dumps(at), "top": top,
             "spacing_km": spacing_km if top is not None else None,
             "candidates": meta["candidates"], "overrides": json.dumps(overrides)}
    finish(ctx, df, out, t0, about, "site")



@click.command("dispatch")
@DB
@click.option("--at", type=Numbers(2, "117.33,38.37"), metavar="LON,LAT", help="Point event: LON,LAT (WGS-84), with --radius-km.")
@click.option("--radius-km", "radius_km", type=float, help="Radius of the --at event in km (default 20).")
@click.option("--polygon", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Polygon event: a GeoJSON file (Polygon/MultiPolygon, Feature or FeatureCollection; WGS-84).")
@click.option("--quake", type=Numbers(3, "118.18,39.63,6.5"), metavar="LON,LAT,MAG",
              help="Earthquake scenario: LON,LAT,MAGNITUDE (demo attenuation relation).")
@click.option("--min-pga", "min_pga", type=float, help="With --quake: affected where PGA >= this (g; default 0.1).")
@click.option("--hazard", help="With --at/--polygon: the hazard whose chains respond (default flood).")
@click.option("--res", type=click.IntRange(0, 15), default=8, show_default=True, help="H3 resolution of the cells.")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True,
              help="Enterprises kept, fastest first (every reserve is kept).")
@click.option("--tier", "tiers", multiple=True, help="Only reserves of this tier (repeatable), e.g. county.")
@click.option("--hours", "hours", type=Pairs(), multiple=True,
              help="Standard hours by tier over the store's, e.g. county=6.")
@ACCESS_OPTIONS
@OUT
@click.pass_context
def dispatch_command(ctx: click.Context, db: Path, at: tuple | None, radius_km: float | None, polygon: Path | None,
                     quake: tuple | None, min_pga: float | None, hazard: str | None, res: int, limit: int,
                     tiers: tuple, hours: tuple, speeds: tuple, detours: tuple, delay: float | None,
                     out: Path) -> None:
    """One event: reserves and relevant enterprises ranked by arrival hours (summary JSON on stdout).

    .geojson output holds one point per facility with its hours (lines: layers.analysis.dispatch.dispatch_lines).
    """
    from layers.analysis.dispatch import DEFAULT_MIN_PGA, dispatch_from_store  # noqa: PLC0415

    t0 = time.perf_counter()

    def bad(detail: Any) -> None:
        click.echo(say(ctx, "bad", detail=detail), err=True)
        sys.exit(2)

    if min_pga is not None and quake is None:
        bad(f"--min-pga: found {min_pga:g} without --quake; expected --min-pga with --quake only")
    geo = None
    if polygon is not None:
        try:
            geo = json.loads(polygon.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as exc:
            bad(f"--polygon {polygon}: {exc}; expected a GeoJSON file")
    store = open_store(ctx, db)
    overrides = access_overrides(speeds, detours, delay)
    try:
        table, summary, _ = dispatch_from_store(
            store, at=at, radius_km=20.0 if at is not None and radius_km is None else radius_km, polygon=geo,
            quake=quake, min_pga=DEFAULT_MIN_PGA if min_pga is None else min_pga, res=res, hazard=hazard,
            hours_by_tier=dict(hours) or None, tiers=list(tiers) or None, limit_enterprises=limit, **overrides)
    except (ValueError, LookupError) as exc:
        bad(exc)
    click.echo(json.dumps(summary, ensure_ascii=False))
    about = {"analysis": "dispatch", "method": "facilities ranked by hours to the event centre: great-circle km "
             "x detour (terrain of the centre cell) / speed + dispatch delay; a distance model, not a road "
             "network; quake PGA from the demo attenuation relation (layers/METHODS.md#dispatch)",
             "store": str(db), "build_id": store.meta.get("build_id"), "event": summary["event"],
             "limit": limit, "tiers": list(tiers), "hours": json.dumps(dict(hours)),
             "overrides": json.dumps(overrides), "summary": summary}
    finish(ctx, join_lists(table, out, ("chains",)), out, t0, about, "dispatch", internal=True)  # stock sent



@click.command("index")
@DB
@click.option("--res", type=click.IntRange(0, 15), default=8, show_default=True, help="H3 resolution of the cells.")
@click.option("--weight", "weights", type=Pairs(), multiple=True,
              help="Hazard weight, e.g. flood=2 (default: equal, or the region file's hazard_weights).")
@click.option("--adcode", help="Only the cells of this province, city or county.")
@OUT
@click.pass_context
def index_command(ctx: click.Context, db: Path, res: int, weights: tuple, adcode: str | None, out: Path) -> None:
    """Multi-hazard index per cell: weighted mean of class / top class, in 5 classes."""
    from layers.analysis.index import index_from_store  # noqa: PLC0415

    t0 = time.perf_counter()
    store = open_store(ctx, db)
    try:
        df = index_from_store(store, res, dict(weights) or None, adcode=adcode)
    except (ValueError, LookupError) as exc:
        click.echo(say(ctx, "bad", detail=exc), err=True)
        sys.exit(2)
    about = {"analysis": "index", "method": "index = sum(w x class / top class) / sum(w); classes 1-5 at "
             "0.2/0.4/0.6/0.8 (layers/METHODS.md#index)", "store": str(db), "build_id": store.meta.get("build_id"),
             "res": res, "weights": json.dumps(df.attrs["index"]["weights"]), "adcode": adcode}
    finish(ctx, df, out, t0, about, "index")

