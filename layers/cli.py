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
