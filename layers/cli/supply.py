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
    from layers.analysis.supply_events import SupplyEventError  # noqa: PLC0415

    try:
        return fn()
    except SupplyEventError as exc:  # bad event input: its own Chinese wording
        click.echo(say(ctx, "bad", detail=exc.en if lang(ctx) == "en" else exc.zh), err=True)
        sys.exit(2)
    except MaterialsUnavailable as exc:
        click.echo(say(ctx, "bad", detail=exc), err=True)
        sys.exit(1)
    except (ValueError, LookupError) as exc:
        click.echo(say(ctx, "bad", detail=exc), err=True)
        sys.exit(2)


@click.command("supply")
@DB
@click.option("--hazard", help="A hazard layer of the store (default flood; with --at/--polygon: whose norms count).")
@click.option("--min-class", "min_class", type=int,
              help="People in this hazard class and above count (1 = first break; default 2).")
@click.option("--at", type=Numbers(2, "116.85,38.30"), metavar="LON,LAT",
              help="Instead of a hazard class: a point event (WGS-84) with --radius-km, as `analyze dispatch`.")
@click.option("--radius-km", "radius_km", type=float, help="Radius of the --at event in km.")
@click.option("--polygon", type=click.Path(dir_okay=False, path_type=Path),
              help="Instead of a hazard class: a drawn polygon event (GeoJSON file, WGS-84).")
@click.option("--quake", type=Numbers(3, "118.18,39.63,7.0"), metavar="LON,LAT,MAG",
              help="Instead of a hazard class: an earthquake scenario (demo attenuation relation).")
@click.option("--min-pga", "min_pga", type=float, help="With --quake: affected where PGA >= this (g; default 0.1).")
@click.option("--intensity", type=int,
              help="With --at/--polygon: the event's intensity class 5..10 (shares by intensity, not footprint).")
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
def supply_command(ctx: click.Context, db: Path, hazard: str | None, min_class: int | None, at: tuple | None,
                   radius_km: float | None, polygon: Path | None, quake: tuple | None, min_pga: float | None,
                   intensity: int | None, deadlines: tuple, materials: tuple, adcode: str | None, res: int,
                   flows_out: Path | None, plan_out: Path | None, speeds: tuple, detours: tuple,
                   delay: float | None, out: Path) -> None:
    """Material needs of a scenario and what stock and production deliver within each deadline.

    The scenario is a hazard at or above a class (--hazard, --min-class), or one dispatch event:
    --at LON,LAT --radius-km R, --polygon FILE.geojson, or --quake LON,LAT,MAG [--min-pga G].
    """
    from layers.analysis.supply import supply_from_store  # noqa: PLC0415

    t0 = time.perf_counter()
    event = _event_args(ctx, at, radius_km, polygon, quake, min_pga, intensity, hazard, min_class, adcode, plan_out)
    hazard = hazard or "flood"
    store = open_store(ctx, db)
    overrides = access_overrides(speeds, detours, delay)
    if event is not None:
        from layers.analysis.supply_events import event_supply_from_store  # noqa: PLC0415

        result, flows, summary, _ = _run(ctx, lambda: event_supply_from_store(
            store, **event, deadlines=deadlines, materials=materials or None, res=res, **overrides))
        hazard, min_class = summary["hazard"], None
    else:
        min_class = 2 if min_class is None else min_class
        result, flows, summary = _run(ctx, lambda: supply_from_store(
            store, hazard, min_class, deadlines=deadlines, materials=materials or None, adcode=adcode, res=res,
            **overrides))
    about = {"analysis": "supply", "method": "needs = people per hazard class (or per event footprint / intensity "
             "class) x shares x catalogue norms per county; allocation = LP (HiGHS), most need met then fewest "
             "hours, stock + production after ramp-up (layers/METHODS.md#supply)", "store": str(db),
             "build_id": store.meta.get("build_id"), "hazard": hazard, "min_class": "" if min_class is None else min_class,
             "event": json.dumps(summary.get("event"), ensure_ascii=False) if event is not None else "",
             "deadlines": json.dumps(list(deadlines)), "res": res,
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


def _event_args(ctx: click.Context, at: tuple | None, radius_km: float | None, polygon: Path | None,
                quake: tuple | None, min_pga: float | None, intensity: int | None, hazard: str | None,
                min_class: int | None, adcode: str | None, plan_out: Path | None) -> dict[str, Any] | None:
    """The event keywords of ``event_supply_from_store`` (None: a hazard-class scenario); exit 2 on a
    mix of the two scenarios or an unreadable polygon file, in the user's language."""
    def bad(en: str, zh: str) -> None:
        click.echo(say(ctx, "bad", detail=en if lang(ctx) == "en" else zh), err=True)
        sys.exit(2)

    if at is None and polygon is None and quake is None:
        if any(v is not None for v in (radius_km, min_pga, intensity)):
            bad("--radius-km, --min-pga, --intensity: found without an event; expected them with --at, --quake or "
                "--polygon", "半径、峰值加速度阈值和烈度只用于事件情景：请同时给出 --at、--polygon 或 --quake")
        return None
    mixed = [o for o, v in (("--min-class", min_class), ("--adcode", adcode), ("--plan-out", plan_out)) if v is not None]
    if mixed:
        bad(f"{', '.join(mixed)}: found with an event; expected them with a hazard-class scenario only (an event's "
            "needs are the counties it covers)", f"事件情景不能同时使用 {'、'.join(mixed)}：事件的需求范围就是它覆盖的区县；"
            "请去掉这些选项，或改用灾种等级情景（--hazard 与 --min-class）")
    geo = None
    if polygon is not None:
        try:
            geo = json.loads(polygon.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as exc:
            bad(f"--polygon {polygon}: {exc}; expected a readable GeoJSON file",
                f"事件范围文件“{polygon.name}”无法读取或不是 GeoJSON：请选择一个 GeoJSON 面文件（经纬度 WGS-84）")
    return {"at": at, "radius_km": radius_km, "polygon": geo, "quake": quake, "min_pga": min_pga,
            "intensity": intensity, "hazard": hazard}


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
