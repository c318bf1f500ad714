"""``onemap analyze supply`` and ``onemap match`` (供需对接): the materials analyses on the command line.

Both print a JSON summary on stdout and write tables by the extension of ``--out``. Exit
codes as ``onemap analyze``: 1 a store without materials (names the fix), 2 bad parameters.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from layers.cli.common import ACCESS_OPTIONS, DB, OUT, Numbers, access_overrides, finish, lang, open_store, out_path, say
from layers.export import internal_mark, write_table


def _deadlines(ctx: Any, param: Any, value: str) -> tuple[float, ...]:
    try:
        out = tuple(float(v) for v in str(value).split(",") if v.strip())
    except ValueError:
        out = ()
    if not out:
        raise click.BadParameter(f"expected hours separated by commas (e.g. 6,12,24), got {value!r}")
    return out


def _run(ctx: click.Context, fn: Any) -> Any:
    from layers.analysis.supply import MaterialsUnavailable  # noqa: PLC0415

    try:
        return fn()
    except MaterialsUnavailable as exc:
        click.echo(say(ctx, "bad", detail=exc), err=True)
        sys.exit(1)
    except (ValueError, LookupError) as exc:
        click.echo(say(ctx, "bad", detail=exc), err=True)
        sys.exit(2)


@click.command("supply")
@DB
@click.option("--hazard", default="flood", show_default=True, help="A hazard layer of the store.")
@click.option("--min-class", "min_class", type=int, default=2, show_default=True,
              help="People in this hazard class and above count (1 = first break).")
@click.option("--deadline", "deadlines", default="6,12,24", show_default=True, callback=_deadlines,
              help="Deadlines in hours, comma-separated.")
@click.option("--material", "materials", multiple=True, help="Only these materials (name, alias or code; repeatable).")
@click.option("--adcode", help="Only the needs of a province, city or county (sources stay region-wide).")
@click.option("--res", type=click.IntRange(0, 15), default=7, show_default=True, help="H3 resolution of the needs.")
@click.option("--flows-out", type=click.Path(dir_okay=False, path_type=Path),
              callback=lambda ctx, p, v: v if v is None else out_path(v), help="Also write the flows.")
@click.option("--plan-out", type=click.Path(dir_okay=False, path_type=Path),
              callback=lambda ctx, p, v: v if v is None else out_path(v),
              help="Also write where to stock how much: the least stock to add at existing depots so every "
                   "county's need arrives within the first deadline from stock alone.")
@ACCESS_OPTIONS
@OUT
@click.pass_context
def supply_command(ctx: click.Context, db: Path, hazard: str, min_class: int, deadlines: tuple, materials: tuple,
                   adcode: str | None, res: int, flows_out: Path | None, plan_out: Path | None, speeds: tuple,
                   detours: tuple,
                   delay: float | None, out: Path) -> None:
    """Material needs of a hazard scenario and what stock and production deliver within each deadline."""
    from layers.analysis.supply import supply_from_store  # noqa: PLC0415

    t0 = time.perf_counter()
    store = open_store(ctx, db)
    overrides = access_overrides(speeds, detours, delay)
    result, flows, summary = _run(ctx, lambda: supply_from_store(
        store, hazard, min_class, deadlines=deadlines, materials=materials or None, adcode=adcode, res=res,
        **overrides))
    about = {"analysis": "supply", "method": "needs = people per hazard class x shares x catalogue norms per county; "
             "allocation = LP (HiGHS), most need met then fewest hours, stock + production after ramp-up "
             "(layers/METHODS.md#supply)", "store": str(db), "build_id": store.meta.get("build_id"),
             "hazard": hazard, "min_class": min_class, "deadlines": json.dumps(list(deadlines)), "res": res,
             "adcode": adcode or "", "overrides": json.dumps(overrides), "synthetic": summary["synthetic"]}
    if flows_out is not None:
        write_table(flows, flows_out, sheet="flows", about=about, mark=internal_mark(lang(ctx)))
    if plan_out is not None:
        from layers.analysis.supply import stock_plan_from_store  # noqa: PLC0415

        plan, plan_summary = _run(ctx, lambda: stock_plan_from_store(
            store, hazard, min_class, min(deadlines), materials=materials or None, adcode=adcode, res=res, **overrides))
        write_table(plan, plan_out, sheet="plan", about={**about, "plan_deadline_h": min(deadlines)},
                    mark=internal_mark(lang(ctx)))
        summary["stock_plan"] = plan_summary
    finish(ctx, result, out, t0, about, "supply", internal=True)
    click.echo(json.dumps(summary, ensure_ascii=False, indent=2))


@click.command("match")
@DB
@click.option("--material", required=True, help="Material name, alias or code, e.g. 排涝泵.")
@click.option("--quantity", type=click.FloatRange(min=0, min_open=True), required=True, help="Quantity needed.")
@click.option("--at", type=Numbers(2, "116.85,38.30"), metavar="LON,LAT", required=True, help="Where (WGS-84).")
@click.option("--deadline", type=click.FloatRange(min=0, min_open=True), default=12.0, show_default=True,
              help="Hours within which it must arrive.")
@click.option("--res", type=click.IntRange(0, 15), default=7, show_default=True, help="H3 resolution of the point.")
@ACCESS_OPTIONS
@OUT
@click.pass_context
def match(ctx: click.Context, db: Path, material: str, quantity: float, at: tuple, deadline: float, res: int,
          speeds: tuple, detours: tuple, delay: float | None, out: Path) -> None:
    """供需对接: one need -> which depots and enterprises send how many, arriving when; what cannot be met."""
    from layers.analysis.supply import match_from_store  # noqa: PLC0415

    t0 = time.perf_counter()
    store = open_store(ctx, db)
    overrides = access_overrides(speeds, detours, delay)
    plan, summary = _run(ctx, lambda: match_from_store(store, material, quantity, at, deadline, res=res, **overrides))
    about = {"analysis": "match", "method": "LP (HiGHS): stock and production after ramp-up, most met then fewest "
             "hours (layers/METHODS.md#supply)", "store": str(db), "build_id": store.meta.get("build_id"),
             **{k: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v for k, v in summary.items()}}
    finish(ctx, plan, out, t0, about, "match", internal=True)
    click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
