"""``onemap analyze NAME --db DB [options] --out FILE``: an analysis of ``layers`` on a store,
written by extension (.csv, .xlsx, .geojson, .parquet). A plugin of the ``onemap`` group
(entry point ``onemap.commands``), like ``serve``; ``etl`` never imports ``layers``.

Exit codes: 0 done, 1 a store or data problem (message names the fix), 2 bad parameters.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from layers.export import FORMATS, write_table

_TEXT = {
    "wrote": ("已写出 {n:,} 行到 {out}（{seconds:.1f} 秒）", "wrote {n:,} rows to {out} ({seconds:.1f} s)"),
    "bad": ("参数无效：{detail}", "invalid parameter: {detail}"),
}


def _lang(ctx: click.Context) -> str:
    obj = ctx.find_root().obj or {}
    return "en" if obj.get("lang") == "en" else "zh"


def _say(ctx: click.Context, key: str, **kw: Any) -> str:
    return _TEXT[key][1 if _lang(ctx) == "en" else 0].format(**kw)


class Pairs(click.ParamType):
    """``name=number`` items, e.g. ``--speed county=40``; repeatable."""

    name = "name=number"

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[str, float]:
        if isinstance(value, tuple):
            return value
        name, sep, number = str(value).partition("=")
        try:
            return name.strip(), float(number)
        except ValueError:
            self.fail(f"expected name=number (e.g. county=40), got {value!r}", param, ctx)
        return "", 0.0  # unreachable: fail raises


def _out_path(value: Path) -> Path:
    if value.suffix.lower() not in FORMATS:
        raise click.BadParameter(f"{value.name}: the extension must be one of {', '.join(FORMATS)}")
    return value


def _open_store(ctx: click.Context, db: Path) -> Any:
    from layers import Store, StoreUnavailable  # noqa: PLC0415

    try:
        return Store(db)
    except StoreUnavailable as exc:
        click.echo(exc.en if _lang(ctx) == "en" else exc.zh, err=True)
        sys.exit(1)


def _finish(ctx: click.Context, df: Any, out: Path, t0: float, about: dict[str, Any], sheet: str) -> None:
    try:
        write_table(df, out, sheet=sheet, about=about)
    except ValueError as exc:
        click.echo(_say(ctx, "bad", detail=exc), err=True)
        sys.exit(2)
    click.echo(_say(ctx, "wrote", n=len(df), out=out, seconds=time.perf_counter() - t0), err=True)


def _access_overrides(speeds: tuple, detours: tuple, delay: float | None) -> dict[str, Any]:
    """``--speed``/``--detour``/``--delay`` -> ``AccessParams.from_standards`` overrides."""
    out: dict[str, Any] = {}
    if speeds:
        out["speed_kmh"] = dict(speeds)
    if detours:
        out["detour"] = dict(detours)
    if delay is not None:
        out["dispatch_delay_h"] = delay
    return out


DB = click.option("--db", type=click.Path(dir_okay=False, path_type=Path), envvar="ONEMAP_DB_PATH",
                  default="data/jjj.duckdb", show_default=True, help="The store (read-only).")
OUT = click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
                   callback=lambda ctx, p, v: _out_path(v), help="Output .csv, .xlsx, .geojson or .parquet.")


def ACCESS_OPTIONS(command: Any) -> Any:  # noqa: N802 (a decorator, named like DB and OUT)
    """``--speed``, ``--detour``, ``--delay``: the access parameters both analyses take."""
    for option in reversed((
            click.option("--speed", "speeds", type=Pairs(), multiple=True, help="Speed km/h by tier, e.g. county=40."),
            click.option("--detour", "detours", type=Pairs(), multiple=True,
                         help="Detour factor by terrain, e.g. mountain=1.8."),
            click.option("--delay", type=click.FloatRange(min=0), help="Dispatch delay in hours."))):
        command = option(command)
    return command


@click.group()
def analyze() -> None:
    """Analyses on a store (methods and limits: layers/METHODS.md)."""


@analyze.command("access")
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
    from layers.access import access_from_store  # noqa: PLC0415

    t0 = time.perf_counter()
    store = _open_store(ctx, db)
    overrides = _access_overrides(speeds, detours, delay)
    try:
        df = access_from_store(store, res, groups=groups, hazard=hazard, k=k, **overrides)
    except (ValueError, LookupError) as exc:
        click.echo(_say(ctx, "bad", detail=exc), err=True)
        sys.exit(2)
    about = {"analysis": "access", "method": "great-circle km x detour (terrain) / speed + dispatch "
             "delay; a distance model, not a road network (layers/METHODS.md#access)", "store": str(db),
             "build_id": store.meta.get("build_id"), "res": res, "groups": groups, "hazard": hazard, "k": k, "overrides": json.dumps(overrides)}
    _finish(ctx, df, out, t0, about, "access")


def _flat_lists(df: Any, out: Path) -> Any:
    """List cells (missing_chains, hazards) as 'a;b' text for .csv and .xlsx."""
    if out.suffix.lower() not in (".csv", ".xlsx"):
        return df
    df = df.copy()
    for col in ("missing_chains", "hazards"):
        if col in df.columns:
            df[col] = [";".join(v) if isinstance(v, list) else v for v in df[col]]
    return df


@analyze.command("gaps")
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
@ACCESS_OPTIONS
@OUT
@click.pass_context
def gaps(ctx: click.Context, db: Path, hazard: str, res: int, min_class: int | None, hours: tuple,
         chain_hours: float, level: str, speeds: tuple, detours: tuple, delay: float | None, out: Path) -> None:
    """Coverage gaps: at-risk cells the reserve standards do not reach in time."""
    from layers.gaps import gaps_from_store  # noqa: PLC0415

    t0 = time.perf_counter()
    store = _open_store(ctx, db)
    overrides = _access_overrides(speeds, detours, delay)
    try:
        cells, units = gaps_from_store(store, hazard, res, min_class=min_class,
                                       hours_by_tier=dict(hours) or None, chain_hours=chain_hours, **overrides)
    except (ValueError, LookupError) as exc:
        click.echo(_say(ctx, "bad", detail=exc), err=True)
        sys.exit(2)
    if level == "cells":
        df = cells
    else:
        if out.suffix.lower() == ".geojson":
            click.echo(_say(ctx, "bad", detail="--level county/city/province is a table: write .csv, "
                            ".xlsx or .parquet (or --level cells for .geojson hexagons)"), err=True)
            sys.exit(2)
        df = units[units["level"] == level].reset_index(drop=True)
    about = {"analysis": "gaps", "method": "at risk: hazard class >= min_class; gap: nearest county "
             "reserve beyond the county standard hours; hours from the access distance model "
             "(layers/METHODS.md#gaps)", "store": str(db), "build_id": store.meta.get("build_id"),
             "res": res, "hazard": hazard, "min_class": min_class, "hours": json.dumps(dict(hours)),
             "chain_hours": chain_hours, "level": level, "overrides": json.dumps(overrides)}
    _finish(ctx, _flat_lists(df, out), out, t0, about, "gaps")


@analyze.command("siting")
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
              callback=lambda ctx, p, v: v if v is None else _out_path(v),
              help="Also write the demand cells with covered_before / covered_after.")
@ACCESS_OPTIONS
@OUT
@click.pass_context
def siting(ctx: click.Context, db: Path, k: int, hazard: str, res: int, min_class: int | None, tier: str,
           hours: float | None, existing: bool, weighting: str, adcode: str | None, exclude_at_risk: bool,
           method: str, time_limit: float, demand_out: Path | None, speeds: tuple, detours: tuple,
           delay: float | None, out: Path) -> None:
    """Optimal siting (MCLP): K new depots covering the most risk-weighted demand.

    Prints a JSON summary on stdout (objective, bound, gap, sites, before/after coverage).
    """
    from layers.siting import siting_from_store  # noqa: PLC0415

    t0 = time.perf_counter()
    store = _open_store(ctx, db)
    overrides = _access_overrides(speeds, detours, delay)
    try:
        sites, summary, demand = siting_from_store(
            store, k, hazard=hazard, res=res, min_class=min_class, tier=tier, hours=hours, existing=existing,
            weighting=weighting, adcode=adcode, exclude_at_risk=exclude_at_risk, time_limit=time_limit,
            method=method, **overrides)
    except (ValueError, LookupError) as exc:
        click.echo(_say(ctx, "bad", detail=exc), err=True)
        sys.exit(2)
    about = {"analysis": "siting", "method": "maximal covering location problem, MILP (HiGHS) or greedy + "
             "local search with a bound (layers/METHODS.md#siting)", "store": str(db),
             "build_id": store.meta.get("build_id"), **{key: summary[key] for key in (
                 "k", "hazard", "res", "tier", "hours", "weighting", "objective", "bound", "gap", "solver",
                 "before_share", "after_share")}, "overrides": json.dumps(overrides)}
    if demand_out is not None:
        write_table(demand, demand_out, sheet="demand", about=about)
    _finish(ctx, sites, out, t0, about, "siting")
    click.echo(json.dumps(summary, ensure_ascii=False, indent=2))


@analyze.command("e2sfca")
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
    from layers.e2sfca import DEFAULT_BANDS, DEFAULT_TIERS, e2sfca_from_store  # noqa: PLC0415

    t0 = time.perf_counter()
    store = _open_store(ctx, db)
    overrides = _access_overrides(speeds, detours, delay)
    band_list = [(float(h), float(w)) for h, w in bands] if bands else list(DEFAULT_BANDS)
    try:
        cells, units, info = e2sfca_from_store(store, res, tiers=tiers or DEFAULT_TIERS, bands=band_list,
                                               demand=demand, adcode=adcode, **overrides)
    except (ValueError, LookupError) as exc:
        click.echo(_say(ctx, "bad", detail=exc), err=True)
        sys.exit(2)
    if level != "cells" and out.suffix.lower() == ".geojson":
        click.echo(_say(ctx, "bad", detail="--level county/city/province is a table: write .csv, .xlsx or "
                        ".parquet (or --level cells for .geojson hexagons)"), err=True)
        sys.exit(2)
    df = cells if level == "cells" else units[units["level"] == level].reset_index(drop=True)
    about = {"analysis": "e2sfca", "method": "enhanced two-step floating catchment (Luo & Qi 2009), costs in "
             "hours of the access distance model (layers/METHODS.md#e2sfca)", "store": str(db),
             "build_id": store.meta.get("build_id"), "res": res, "level": level,
             **{key: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
                for key, v in info.items()}, "overrides": json.dumps(overrides)}
    _finish(ctx, df, out, t0, about, "e2sfca")


def _matrix_items(ctx: click.Context, items: tuple[str, ...]) -> dict[str, list[str]] | None:
    """``--matrix flood=rescue,waterlogging`` (repeatable) -> {hazard: [codes]}; exit 2 if malformed."""
    import re  # noqa: PLC0415

    out: dict[str, list[str]] = {}
    for item in items:
        hazard, sep, codes = str(item).partition("=")
        parts = [c.strip() for c in re.split(r"[,;，、]", codes) if c.strip()]
        if not sep or not hazard.strip() or not parts:
            click.echo(_say(ctx, "bad", detail=f"--matrix: found {item!r}; expected hazard=chain,chain "
                            "(e.g. flood=rescue,waterlogging)"), err=True)
            sys.exit(2)
        out.setdefault(hazard.strip(), []).extend(parts)
    return out or None


def _join_lists(df: Any, out: Path, columns: tuple[str, ...]) -> Any:
    """List cells of ``columns`` as 'a;b' text for .csv and .xlsx."""
    if out.suffix.lower() not in (".csv", ".xlsx"):
        return df
    df = df.copy()
    for col in columns:
        if col in df.columns:
            df[col] = [";".join(map(str, v)) if isinstance(v, (list, tuple)) else v for v in df[col]]
    return df


@analyze.command("chains")
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
    from layers.chains import chain_matrix, chains_from_store  # noqa: PLC0415

    t0 = time.perf_counter()
    store = _open_store(ctx, db)
    overrides = _access_overrides(speeds, detours, delay)
    table = _matrix_items(ctx, matrix)
    try:
        df = chains_from_store(store, res, list(hazards) or None, min_class=min_class, hours=hours,
                               matrix=table, adcode=adcode, **overrides)
        if missing_only:
            df = df[df["missing"]].reset_index(drop=True)
        if pivot:
            df = chain_matrix(df, pivot, index="city").reset_index()
    except (ValueError, LookupError) as exc:
        click.echo(_say(ctx, "bad", detail=exc), err=True)
        sys.exit(2)
    about = {"analysis": "chains", "method": "per city, hazard and relevant chain: at-risk area (class >= "
             "min_class), enterprises in the city, share of the at-risk area whose nearest enterprise of "
             "the chain arrives within --hours (access distance model); gap_score = at_risk_share x "
             "(1 - reach_share); missing: reach_share < 0.5 (layers/METHODS.md#chains)", "store": str(db),
             "build_id": store.meta.get("build_id"), "res": res, "hazards": json.dumps(list(hazards)),
             "hours": hours, "min_class": min_class, "matrix": json.dumps(table, ensure_ascii=False),
             "adcode": adcode, "missing_only": missing_only, "pivot": pivot, "overrides": json.dumps(overrides)}
    _finish(ctx, df, out, t0, about, "chains")


@analyze.command("coordination")
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
    from layers.coordination import coordination_from_store  # noqa: PLC0415

    t0 = time.perf_counter()
    store = _open_store(ctx, db)
    overrides = _access_overrides(speeds, detours, delay)
    if level in ("province", "city", "county") and out.suffix.lower() == ".geojson":
        click.echo(_say(ctx, "bad", detail="--level province/city/county is a table: write .csv, .xlsx or "
                        ".parquet (or --level cells for hexagons, --level depots for points)"), err=True)
        sys.exit(2)
    try:
        units, depots, cells = coordination_from_store(store, hazard, res, min_class=min_class, tier=tier,
                                                       hours_by_tier=dict(hours) or None, **overrides)
    except (ValueError, LookupError) as exc:
        click.echo(_say(ctx, "bad", detail=exc), err=True)
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
    _finish(ctx, _join_lists(df, out, ("provinces_served",)), out, t0, about, "coordination")


class _Numbers(click.ParamType):
    """``a,b[,c]``: a fixed count of comma-separated numbers, e.g. ``--at 117.33,38.37``."""

    name = "numbers"

    def __init__(self, n: int, example: str):
        self.n, self.example = n, example

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[float, ...]:
        if isinstance(value, tuple):
            return value
        parts = [p.strip() for p in str(value).split(",")]
        try:
            if len(parts) == self.n:
                return tuple(float(p) for p in parts)
        except ValueError:
            pass
        self.fail(f"expected {self.n} comma-separated numbers (e.g. {self.example}), got {value!r}", param, ctx)
        return ()  # unreachable: fail raises


@analyze.command("dispatch")
@DB
@click.option("--at", type=_Numbers(2, "117.33,38.37"), metavar="LON,LAT", help="Point event: LON,LAT (WGS-84), with --radius-km.")
@click.option("--radius-km", "radius_km", type=float, help="Radius of the --at event in km (default 20).")
@click.option("--polygon", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Polygon event: a GeoJSON file (Polygon/MultiPolygon, Feature or FeatureCollection; WGS-84).")
@click.option("--quake", type=_Numbers(3, "118.18,39.63,6.5"), metavar="LON,LAT,MAG",
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

    .geojson output holds one point per facility with its hours (lines: layers.dispatch.dispatch_lines).
    """
    from layers.dispatch import DEFAULT_MIN_PGA, dispatch_from_store  # noqa: PLC0415

    t0 = time.perf_counter()

    def bad(detail: Any) -> None:
        click.echo(_say(ctx, "bad", detail=detail), err=True)
        sys.exit(2)

    if min_pga is not None and quake is None:
        bad(f"--min-pga: found {min_pga:g} without --quake; expected --min-pga with --quake only")
    geo = None
    if polygon is not None:
        try:
            geo = json.loads(polygon.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as exc:
            bad(f"--polygon {polygon}: {exc}; expected a GeoJSON file")
    store = _open_store(ctx, db)
    overrides = _access_overrides(speeds, detours, delay)
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
    _finish(ctx, _join_lists(table, out, ("chains",)), out, t0, about, "dispatch")


@analyze.command("site")
@DB
@click.option("--kind", type=click.Choice(["depot", "park", "capacity_base"]), default="depot", show_default=True,
              help="What would be built: a reserve depot, a park, or a production-capacity reserve base.")
@click.option("--at", type=_Numbers(2, "115.46,38.88"), metavar="LON,LAT",
              help="Score the cell holding this point and explain it (JSON on stdout).")
@click.option("--top", type=click.IntRange(min=1), help="Rank every candidate cell and keep the N best.")
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
def site_command(ctx: click.Context, db: Path, kind: str, at: tuple | None, top: int | None, res: int,
                 hazards: tuple, hours: float | None, weights: tuple, exclude: tuple, adcode: str | None,
                 min_class: int | None, speeds: tuple, detours: tuple, delay: float | None, out: Path) -> None:
    """Site suitability for a new depot, park or capacity base: one explained point, or the N best cells."""
    from layers.site import explain_site, site_from_store  # noqa: PLC0415
    from layers.store import json_ready  # noqa: PLC0415

    t0 = time.perf_counter()
    if (at is None) == (top is None):
        click.echo(_say(ctx, "bad", detail=f"--at and --top: found {'both' if at else 'neither'}; expected "
                        "exactly one (--at LON,LAT explains a point, --top N ranks the cells)"), err=True)
        sys.exit(2)
    store = _open_store(ctx, db)
    overrides = _access_overrides(speeds, detours, delay)
    try:
        df = site_from_store(store, kind=kind, at=at, top=top, res=res, hazards=list(hazards) or None,
                             hours=hours, weights=dict(weights) or None, exclude=dict(exclude) or None,
                             adcode=adcode, min_class=min_class, **overrides)
    except (ValueError, LookupError) as exc:
        click.echo(_say(ctx, "bad", detail=exc), err=True)
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
             "candidates": meta["candidates"], "overrides": json.dumps(overrides)}
    _finish(ctx, df, out, t0, about, "site")


@analyze.command("index")
@DB
@click.option("--res", type=click.IntRange(0, 15), default=8, show_default=True, help="H3 resolution of the cells.")
@click.option("--weight", "weights", type=Pairs(), multiple=True,
              help="Hazard weight, e.g. flood=2 (default: equal, or the region file's hazard_weights).")
@click.option("--adcode", help="Only the cells of this province, city or county.")
@OUT
@click.pass_context
def index_command(ctx: click.Context, db: Path, res: int, weights: tuple, adcode: str | None, out: Path) -> None:
    """Multi-hazard index per cell: weighted mean of class / top class, in 5 classes."""
    from layers.hazard_index import index_from_store  # noqa: PLC0415

    t0 = time.perf_counter()
    store = _open_store(ctx, db)
    try:
        df = index_from_store(store, res, dict(weights) or None, adcode=adcode)
    except (ValueError, LookupError) as exc:
        click.echo(_say(ctx, "bad", detail=exc), err=True)
        sys.exit(2)
    about = {"analysis": "index", "method": "index = sum(w x class / top class) / sum(w); classes 1-5 at "
             "0.2/0.4/0.6/0.8 (layers/METHODS.md#index)", "store": str(db), "build_id": store.meta.get("build_id"),
             "res": res, "weights": json.dumps(df.attrs["index"]["weights"]), "adcode": adcode}
    _finish(ctx, df, out, t0, about, "index")


# Helpers shared with layers.supply_cli (public names), then its commands: `onemap analyze
# supply` and `onemap match` (entry point layers.cli:match, so this module always loads first).
open_store, finish, say, access_overrides, out_path, Numbers = (
    _open_store, _finish, _say, _access_overrides, _out_path, _Numbers)
from layers.supply_cli import match, supply_command  # noqa: E402

analyze.add_command(supply_command, "supply")
