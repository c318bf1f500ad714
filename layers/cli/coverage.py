"""``onemap analyze`` commands on coverage: access, gaps, e2sfca, chains, coordination."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from layers.cli.common import (
    ACCESS_OPTIONS,
    DB,
    OUT,
    Pairs,
    access_overrides,
    finish,
    flat_lists,
    join_lists,
    matrix_items,
    open_store,
    say,
)


@click.command("access")
@DB
@click.option("--res", type=click.IntRange(0, 15), default=8, show_default=True, help="H3 resolution of the cells.")
@click.option("--groups", type=click.Choice(["tiers", "chains"]), default="tiers", show_default=True,
              help="Reserves by tier, or enterprises by the chains relevant to --hazard.")
@click.option("--hazard", help="Hazard whose relevant chains are grouped (with --groups chains).")
@click.option("-k", "k", type=click.IntRange(1, 20), default=1, show_default=True, help="Nearest facilities per group.")
@ACCESS_OPTIONS
@OUT
@click.pass_context
def access(ctx: click.Context, db: Path, res: int, groups: str, hazard: str | None, k: int,
           speeds: tuple, detours: tuple, delay: float | None, out: Path) -> None:
    """Nearest facilities of each group from every H3 cell: km and hours."""
    from layers.analysis.access import access_from_store  # noqa: PLC0415

    t0 = time.perf_counter()
    store = open_store(ctx, db)
    overrides = access_overrides(speeds, detours, delay)
    try:
        df = access_from_store(store, res, groups=groups, hazard=hazard, k=k, **overrides)
    except (ValueError, LookupError) as exc:
        click.echo(say(ctx, "bad", detail=exc), err=True)
        sys.exit(2)
    about = {"analysis": "access", "method": "great-circle km x detour (terrain) / speed + dispatch "
             "delay; a distance model, not a road network (layers/METHODS.md#access)", "store": str(db),
             "build_id": store.meta.get("build_id"), "res": res, "groups": groups, "hazard": hazard, "k": k, "overrides": json.dumps(overrides)}
    finish(ctx, df, out, t0, about, "access")



@click.command("gaps")
@DB
@click.option("--hazard", default="flood", show_default=True,
              help="A hazard layer of the store (flood, earthquake, wildfire, ...) or 'any'.")
@click.option("--res", type=click.IntRange(0, 15), default=8, show_default=True, help="H3 resolution of the cells.")
@click.option("--min-class", "min_class", type=int,
              help="At risk from this hazard class up (1 = first break; default 2).")
@click.option("--hours", "hours", type=Pairs(), multiple=True,
              help="Standard hours by tier over the store's, e.g. county=6.")
@click.option("--chain-hours", type=float, default=6.0, show_default=True,
              help="Hours within which each relevant chain's nearest enterprise must arrive.")
@click.option("--level", type=click.Choice(["cells", "county", "city", "province"]), default="county",
              show_default=True, help="Output: at-risk cells, or the summary per unit of a level.")
@click.option("--materials", is_flag=True,
              help="Also each unit's material sufficiency within the county standard (layers/METHODS.md#supply).")
@ACCESS_OPTIONS
@OUT
@click.pass_context
def gaps(ctx: click.Context, db: Path, hazard: str, res: int, min_class: int | None, hours: tuple,
         chain_hours: float, level: str, materials: bool, speeds: tuple, detours: tuple, delay: float | None,
         out: Path) -> None:
    """Coverage gaps: at-risk cells the reserve standards do not reach in time."""
    from layers.analysis.gaps import gaps_from_store  # noqa: PLC0415

    t0 = time.perf_counter()
    store = open_store(ctx, db)
    overrides = access_overrides(speeds, detours, delay)
    try:
        cells, units = gaps_from_store(store, hazard, res, min_class=min_class,
                                       hours_by_tier=dict(hours) or None, chain_hours=chain_hours,
                                       materials=materials, **overrides)
    except (ValueError, LookupError) as exc:
        click.echo(say(ctx, "bad", detail=exc), err=True)
        sys.exit(2)
    if level == "cells":
        df = cells
    else:
        if out.suffix.lower() == ".geojson":
            click.echo(say(ctx, "bad", detail="--level county/city/province is a table: write .csv, "
                            ".xlsx or .parquet (or --level cells for .geojson hexagons)"), err=True)
            sys.exit(2)
        df = units[units["level"] == level].reset_index(drop=True)
    about = {"analysis": "gaps", "method": "at risk: hazard class >= min_class; gap: nearest county "
             "reserve beyond the county standard hours; hours from the access distance model "
             "(layers/METHODS.md#gaps)", "store": str(db), "build_id": store.meta.get("build_id"),
             "res": res, "hazard": hazard, "min_class": min_class, "hours": json.dumps(dict(hours)),
             "chain_hours": chain_hours, "level": level, "overrides": json.dumps(overrides)}
    finish(ctx, flat_lists(df, out), out, t0, about, "gaps")



@click.command("e2sfca")
@DB
@click.option("--res", type=click.IntRange(0, 15), default=7, show_default=True, help="H3 resolution of the cells.")
@click.option("--tier", "tiers", multiple=True, help="Reserve tiers whose capacity counts (repeatable; default "
              "national, provincial, municipal, county).")
@click.option("--band", "bands", type=Pairs(), multiple=True,
              help="Decay band upper_hours=weight, repeatable in order, e.g. 2=1 4=0.68 6=0.22.")
@click.option("--demand", type=click.Choice(["auto", "population", "area"]), default="auto", show_default=True,
              help="Demand per cell: population (exposure) or area; auto picks population if present.")
@click.option("--adcode", help="Restrict the cells to a province, city or county.")
@click.option("--level", type=click.Choice(["cells", "county", "city", "province"]), default="county",
              show_default=True, help="Output: cells, or the summary per unit of a level.")
@ACCESS_OPTIONS
@OUT
@click.pass_context
def e2sfca_command(ctx: click.Context, db: Path, res: int, tiers: tuple, bands: tuple, demand: str,
                   adcode: str | None, level: str, speeds: tuple, detours: tuple, delay: float | None,
                   out: Path) -> None:
    """Accessibility of reserve capacity (enhanced two-step floating catchment)."""
    from layers.analysis.e2sfca import DEFAULT_BANDS, DEFAULT_TIERS, e2sfca_from_store  # noqa: PLC0415

    t0 = time.perf_counter()
    store = open_store(ctx, db)
    overrides = access_overrides(speeds, detours, delay)
    band_list = [(float(h), float(w)) for h, w in bands] if bands else list(DEFAULT_BANDS)
    try:
        cells, units, info = e2sfca_from_store(store, res, tiers=tiers or DEFAULT_TIERS, bands=band_list,
                                               demand=demand, adcode=adcode, **overrides)
    except (ValueError, LookupError) as exc:
        click.echo(say(ctx, "bad", detail=exc), err=True)
        sys.exit(2)
    if level != "cells" and out.suffix.lower() == ".geojson":
        click.echo(say(ctx, "bad", detail="--level county/city/province is a table: write .csv, .xlsx or "
                        ".parquet (or --level cells for .geojson hexagons)"), err=True)
        sys.exit(2)
    df = cells if level == "cells" else units[units["level"] == level].reset_index(drop=True)
    about = {"analysis": "e2sfca", "method": "enhanced two-step floating catchment (Luo & Qi 2009), costs in "
             "hours of the access distance model (layers/METHODS.md#e2sfca)", "store": str(db),
             "build_id": store.meta.get("build_id"), "res": res, "level": level,
             **{key: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
                for key, v in info.items()}, "overrides": json.dumps(overrides)}
    finish(ctx, df, out, t0, about, "e2sfca")



@click.command("chains")
@DB
@click.option("--res", type=click.IntRange(0, 15), default=7, show_default=True, help="H3 resolution of the cells.")
@click.option("--hazard", "hazards", multiple=True,
              help="A hazard layer (repeatable); default: every layer with relevant chains.")
@click.option("--hours", type=float, default=6.0, show_default=True,
              help="Hours within which a chain's nearest enterprise must reach an at-risk cell.")
@click.option("--min-class", "min_class", type=int, help="At risk from this hazard class up (default 2).")
@click.option("--matrix", "matrix", multiple=True,
              help="Relevant chains of a hazard over the store's, e.g. flood=rescue,waterlogging (repeatable).")
@click.option("--adcode", help="Only the cities of this province, or this city (6-digit adcode).")
@click.option("--missing-only", is_flag=True, help="Only the missing chains (reach share < 0.5), ranked.")
@click.option("--pivot", help="Write the city x hazard:chain heatmap table of this column (e.g. gap_score).")
@ACCESS_OPTIONS
@OUT
@click.pass_context
def chains_command(ctx: click.Context, db: Path, res: int, hazards: tuple, hours: float,
                   min_class: int | None, matrix: tuple, adcode: str | None, missing_only: bool,
                   pivot: str | None, speeds: tuple, detours: tuple, delay: float | None, out: Path) -> None:
    """Chain gaps: per city, hazard exposure x presence and reach of each relevant chain."""
    from layers.analysis.chains import chain_matrix, chains_from_store  # noqa: PLC0415

    t0 = time.perf_counter()
    store = open_store(ctx, db)
    overrides = access_overrides(speeds, detours, delay)
    table = matrix_items(ctx, matrix)
    try:
        df = chains_from_store(store, res, list(hazards) or None, min_class=min_class, hours=hours,
                               matrix=table, adcode=adcode, **overrides)
        if missing_only:
            df = df[df["missing"]].reset_index(drop=True)
        if pivot:
            df = chain_matrix(df, pivot, index="city").reset_index()
    except (ValueError, LookupError) as exc:
        click.echo(say(ctx, "bad", detail=exc), err=True)
        sys.exit(2)
    about = {"analysis": "chains", "method": "per city, hazard and relevant chain: at-risk area (class >= "
             "min_class), enterprises in the city, share of the at-risk area whose nearest enterprise of "
             "the chain arrives within --hours (access distance model); gap_score = at_risk_share x "
             "(1 - reach_share); missing: reach_share < 0.5 (layers/METHODS.md#chains)", "store": str(db),
             "build_id": store.meta.get("build_id"), "res": res, "hazards": json.dumps(list(hazards)),
             "hours": hours, "min_class": min_class, "matrix": json.dumps(table, ensure_ascii=False),
             "adcode": adcode, "missing_only": missing_only, "pivot": pivot, "overrides": json.dumps(overrides)}
    finish(ctx, df, out, t0, about, "chains")



@click.command("coordination")
@DB
@click.option("--hazard", default="any", show_default=True, help="A hazard layer of the store, or 'any'.")
@click.option("--res", type=click.IntRange(0, 15), default=7, show_default=True, help="H3 resolution of the cells.")
@click.option("--min-class", "min_class", type=int, help="At risk from this hazard class up (default 2).")
@click.option("--tier", default="first_batch", show_default=True,
              help="first_batch (any tier within its own standard) or a tier: county, municipal, provincial, national.")
@click.option("--hours", "hours", type=Pairs(), multiple=True, help="Standard hours by tier over the store's, e.g. county=6.")
@click.option("--level", type=click.Choice(["province", "city", "county", "depots", "cells"]), default="province",
              show_default=True, help="Output: units of a level, the depots ranked by cross-border gain, or cells.")
@ACCESS_OPTIONS
@OUT
@click.pass_context
def coordination_command(ctx: click.Context, db: Path, hazard: str, res: int, min_class: int | None,
                         tier: str, hours: tuple, level: str, speeds: tuple, detours: tuple,
                         delay: float | None, out: Path) -> None:
    """Cross-border coordination: own-province depots only vs depots of any province."""
    from layers.analysis.coordination import coordination_from_store  # noqa: PLC0415

    t0 = time.perf_counter()
    store = open_store(ctx, db)
    overrides = access_overrides(speeds, detours, delay)
    if level in ("province", "city", "county") and out.suffix.lower() == ".geojson":
        click.echo(say(ctx, "bad", detail="--level province/city/county is a table: write .csv, .xlsx or "
                        ".parquet (or --level cells for hexagons, --level depots for points)"), err=True)
        sys.exit(2)
    try:
        units, depots, cells = coordination_from_store(store, hazard, res, min_class=min_class, tier=tier,
                                                       hours_by_tier=dict(hours) or None, **overrides)
    except (ValueError, LookupError) as exc:
        click.echo(say(ctx, "bad", detail=exc), err=True)
        sys.exit(2)
    df = {"depots": depots, "cells": cells}.get(level)
    if df is None:
        df = units[units["level"] == level].reset_index(drop=True)
    about = {"analysis": "coordination", "method": "at risk: hazard class >= min_class; covered own: nearest "
             "depot of the tier in the cell's province within the tier's standard hours; covered cross: "
             "nearest depot of any province; gain = cross and not own; hours from the access distance model "
             "(layers/METHODS.md#coordination)", "store": str(db), "build_id": store.meta.get("build_id"),
             "res": res, "hazard": hazard, "min_class": min_class, "tier": tier, "hours": json.dumps(dict(hours)),
             "level": level, "overrides": json.dumps(overrides)}
    finish(ctx, join_lists(df, out, ("provinces_served",)), out, t0, about, "coordination")

