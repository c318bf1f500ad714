"""Options, parameter types and helpers shared by the ``onemap analyze`` commands (and ``onemap report``)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from layers.export import FORMATS, internal_mark, write_table

TEXT = {
    "wrote": ("已写出 {n:,} 行到 {out}（{seconds:.1f} 秒）", "wrote {n:,} rows to {out} ({seconds:.1f} s)"),
    "bad": ("参数无效：{detail}", "invalid parameter: {detail}"),
}



def lang(ctx: click.Context) -> str:
    obj = ctx.find_root().obj or {}
    return "en" if obj.get("lang") == "en" else "zh"



def say(ctx: click.Context, key: str, **kw: Any) -> str:
    return TEXT[key][1 if lang(ctx) == "en" else 0].format(**kw)



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



def out_path(value: Path) -> Path:
    if value.suffix.lower() not in FORMATS:
        raise click.BadParameter(f"{value.name}: the extension must be one of {', '.join(FORMATS)}")
    return value



def open_store(ctx: click.Context, db: Path) -> Any:
    from layers import Store, StoreUnavailable  # noqa: PLC0415

    try:
        return Store(db)
    except StoreUnavailable as exc:
        click.echo(exc.en if lang(ctx) == "en" else exc.zh, err=True)
        sys.exit(1)



def finish(ctx: click.Context, df: Any, out: Path, t0: float, about: dict[str, Any], sheet: str, *,
           internal: bool = False) -> None:
    """Write ``df`` to ``out`` and say so; ``internal``: a table with stock levels (内部资料 mark)."""
    try:
        write_table(df, out, sheet=sheet, about=about, mark=internal_mark(lang(ctx)) if internal else None)
    except ValueError as exc:
        click.echo(say(ctx, "bad", detail=exc), err=True)
        sys.exit(2)
    click.echo(say(ctx, "wrote", n=len(df), out=out, seconds=time.perf_counter() - t0), err=True)



def access_overrides(speeds: tuple, detours: tuple, delay: float | None) -> dict[str, Any]:
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
                   callback=lambda ctx, p, v: out_path(v), help="Output .csv, .xlsx, .geojson or .parquet.")



def ACCESS_OPTIONS(command: Any) -> Any:  # noqa: N802 (a decorator, named like DB and OUT)
    """``--speed``, ``--detour``, ``--delay``: the access parameters both analyses take."""
    for option in reversed((
            click.option("--speed", "speeds", type=Pairs(), multiple=True, help="Speed km/h by tier, e.g. county=40."),
            click.option("--detour", "detours", type=Pairs(), multiple=True,
                         help="Detour factor by terrain, e.g. mountain=1.8."),
            click.option("--delay", type=click.FloatRange(min=0), help="Dispatch delay in hours."))):
        command = option(command)
    return command



def flat_lists(df: Any, out: Path) -> Any:
    """List cells (missing_chains, hazards) as 'a;b' text for .csv and .xlsx."""
    if out.suffix.lower() not in (".csv", ".xlsx"):
        return df
    df = df.copy()
    for col in ("missing_chains", "hazards"):
        if col in df.columns:
            df[col] = [";".join(v) if isinstance(v, list) else v for v in df[col]]
    return df



def matrix_items(ctx: click.Context, items: tuple[str, ...]) -> dict[str, list[str]] | None:
    """``--matrix flood=rescue,waterlogging`` (repeatable) -> {hazard: [codes]}; exit 2 if malformed."""
    import re  # noqa: PLC0415

    out: dict[str, list[str]] = {}
    for item in items:
        hazard, sep, codes = str(item).partition("=")
        parts = [c.strip() for c in re.split(r"[,;，、]", codes) if c.strip()]
        if not sep or not hazard.strip() or not parts:
            click.echo(say(ctx, "bad", detail=f"--matrix: found {item!r}; expected hazard=chain,chain "
                            "(e.g. flood=rescue,waterlogging)"), err=True)
            sys.exit(2)
        out.setdefault(hazard.strip(), []).extend(parts)
    return out or None



def join_lists(df: Any, out: Path, columns: tuple[str, ...]) -> Any:
    """List cells of ``columns`` as 'a;b' text for .csv and .xlsx."""
    if out.suffix.lower() not in (".csv", ".xlsx"):
        return df
    df = df.copy()
    for col in columns:
        if col in df.columns:
            df[col] = [";".join(map(str, v)) if isinstance(v, (list, tuple)) else v for v in df[col]]
    return df



class Numbers(click.ParamType):
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

