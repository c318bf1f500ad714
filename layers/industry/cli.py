"""``onemap industry monitor|search|atlas``: the 四库一清单 on a store, from the command line.

A plugin of the ``onemap`` group (entry point ``onemap.commands``: ``industry``), like
``analyze`` and ``report``. Exit codes: 0 done, 1 a store problem (the message names the
fix), 2 bad parameters.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import pandas as pd

from etl import schema
from layers.cli.common import DB
from layers.export import internal_mark, write_csv, write_sheets
from layers.cli.common import lang as root_lang

_TEXT = {
    "bad": ("参数无效：{detail}", "invalid parameter: {detail}"),
    "wrote": ("已写出 {n:,} 行到 {out}", "wrote {n:,} rows to {out}"),
    "head": ("{region} {year} 年产业监测（{note}）", "{region} industry monitoring {year} ({note})"),
    "targets": ("规划目标", "Plan targets"),
    "none": ("没有找到匹配“{text}”的记录", "nothing matches {text!r}"),
}
LANG = click.option("--lang", type=click.Choice(["zh", "en"]), help="Headers and messages (default: onemap --lang).")
_OUT_TYPES = (".json", ".csv", ".xlsx")


def _lang(ctx: click.Context, lang: str | None) -> str:
    return lang or root_lang(ctx)


def _say(lang: str, key: str, **kw: Any) -> str:
    return _TEXT[key][1 if lang == "en" else 0].format(**kw)


def _fail(lang: str, code: int, text: str) -> None:
    click.echo(text, err=True)
    sys.exit(code)


def _data(ctx: click.Context, db: Path, lang: str) -> Any:
    """The store's industry tables, or exit 1 with the message that names the fix."""
    from layers.industry import IndustryDataMissing, load  # noqa: PLC0415
    from layers.store import Store, StoreUnavailable  # noqa: PLC0415

    try:
        return load(Store(db))
    except (StoreUnavailable, IndustryDataMissing) as exc:
        _fail(lang, 1, exc.en if lang == "en" else exc.zh)


def _out(lang: str, value: Path | None) -> Path | None:
    if value is not None and value.suffix.lower() not in _OUT_TYPES:
        _fail(lang, 2, _say(lang, "bad", detail=f"--out {value.name}: .json, .csv, .xlsx"))
    return value


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    from layers.store import json_ready  # noqa: PLC0415

    return [{k: json_ready(v) for k, v in r.items()} for r in df.to_dict("records")]


def monitor_json(result: dict[str, Any], data: Any) -> dict[str, Any]:
    """The JSON of ``onemap industry monitor --json`` (also the cluster report's figures)."""
    ind = result["indicators"].assign(
        indicator_zh=lambda d: d["indicator"].map(lambda c: schema.INDICATORS[c][0]),
        unit=lambda d: d["indicator"].map(lambda c: schema.INDICATORS[c][2]))
    return {"region": data.meta.get("region_name"), "year": result["year"], "years": result["years"],
            "synthetic_note": data.meta.get("synthetic_note"), "method": result["method"],
            "indicators": _records(ind), "targets": _records(result["targets"])}


def _write(lang: str, frames: dict[str, pd.DataFrame], out: Path, payload: Any = None, units: Any = None) -> None:
    """JSON keeps codes and raw numbers; CSV and XLSX get headers and cells for people in ``lang``."""
    from layers.industry.labels import display_frame  # noqa: PLC0415

    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() != ".json":
        frames = {k: display_frame(v, lang, units=units) for k, v in frames.items()}
    if out.suffix.lower() == ".json":
        out.write_text(json.dumps(payload if payload is not None else {k: _records(v) for k, v in frames.items()},
                                  ensure_ascii=False, indent=1), encoding="utf-8")
    elif out.suffix.lower() == ".csv":
        write_csv(next(iter(frames.values())), out, mark=internal_mark(lang))
    else:
        write_sheets(out, frames, mark=internal_mark(lang))
    click.echo(_say(lang, "wrote", n=sum(len(v) for v in frames.values()), out=out), err=True)


@click.group()
def industry() -> None:
    """四库一清单: monitoring against plan targets, search, chain atlas (layers/METHODS.md#产业监测)."""


@industry.command("monitor")
@DB
@click.option("--year", type=int, help="Monitoring year (default: the panel's last year).")
@click.option("--scope", type=click.Choice(list(schema.SCOPES)), help="Scope of the indicators (default region).")
@click.option("--code", help="Adcode or park id of the scope (default: every unit of --scope).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write .json, .csv (targets) or .xlsx.")
@LANG
@click.pass_context
def monitor_cmd(ctx: click.Context, db: Path, year: int | None, scope: str | None, code: str | None,
                as_json: bool, out: Path | None, lang: str | None) -> None:
    """Indicators of a year and every plan target: attainment, growth needed, projection, status.

    Example: onemap industry monitor --year 2022 --json
    """
    from layers.industry import monitor  # noqa: PLC0415
    from layers.industry.labels import display_frame  # noqa: PLC0415

    lang = _lang(ctx, lang)
    out = _out(lang, out)
    data = _data(ctx, db, lang)
    try:
        result = monitor(data, year, scope, code)
    except ValueError as exc:
        _fail(lang, 2, _say(lang, "bad", detail=exc))
    payload = monitor_json(result, data)
    if as_json:
        click.echo(json.dumps(payload, ensure_ascii=False, indent=1))
    else:
        units = dict(zip(data.units["adcode"], data.units["name"]))
        click.echo(_say(lang, "head", region=data.meta.get("region_name"), year=result["year"],
                        note=data.meta.get("synthetic_note", "")))
        click.echo(display_frame(result["indicators"], lang, units=units,
                                 columns=["indicator", "name", "value", "previous", "change"]).to_string(index=False))
        click.echo("\n" + _say(lang, "targets"))
        click.echo(display_frame(result["targets"], lang, columns=[
            "indicator", "scope_name", "year", "value", "comparator", "current", "attainment", "growth_needed",
            "projection", "status"]).to_string(index=False))
    if out is not None:
        _write(lang, {"targets": result["targets"], "indicators": result["indicators"]}, out, payload,
               dict(zip(data.units["adcode"], data.units["name"])))


@industry.command("search")
@DB
@click.argument("text", default="")
@click.option("--table", "tables", multiple=True, type=click.Choice(["enterprises", "products", "projects", "leads",
                                                                     "tasks"]), help="Tables (default all).")
@click.option("--chain", type=click.Choice(list(schema.CHAINS)), help="Chain code.")
@click.option("--city", help="City or province adcode.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Rows per table.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write .json, .csv or .xlsx.")
@LANG
@click.pass_context
def search_cmd(ctx: click.Context, db: Path, text: str, tables: tuple, chain: str | None, city: str | None,
               limit: int, out: Path | None, lang: str | None) -> None:
    """Chinese substring search over the four databases and the list.

    Example: onemap industry search 无人机 --table products
    """
    from layers.industry import TABLES, search  # noqa: PLC0415
    from layers.industry.labels import display_frame  # noqa: PLC0415

    lang = _lang(ctx, lang)
    out = _out(lang, out)
    data = _data(ctx, db, lang)
    found = search(data, text, tuple(tables) or TABLES, limit=limit, chain=chain, city=city)
    if found.empty:
        _fail(lang, 0, _say(lang, "none", text=text))
    units = dict(zip(data.units["adcode"], data.units["name"]))
    click.echo(display_frame(found, lang, units=units, columns=["table", "id", "name", "chain", "city"])
               .to_string(index=False))
    if out is not None:
        _write(lang, {"search": found}, out, units=units)


@industry.command("atlas")
@DB
@click.option("--chain", type=click.Choice(list(schema.CHAINS)), help="One chain (default: every chain).")
@click.option("--unit", "adcode", help="Count only what lies in this province, city or county (adcode).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Write .json, .csv or .xlsx.")
@LANG
@click.pass_context
def atlas_cmd(ctx: click.Context, db: Path, chain: str | None, adcode: str | None, out: Path,
              lang: str | None) -> None:
    """The chain atlas: links upstream to downstream, firms on each, gaps and what would fill them.

    Example: onemap industry atlas --chain unmanned --out atlas.xlsx
    """
    from layers.industry import chain_atlas  # noqa: PLC0415

    lang = _lang(ctx, lang)
    out = _out(lang, out)
    data = _data(ctx, db, lang)
    if adcode is not None and adcode not in set(data.units["adcode"]):
        _fail(lang, 2, _say(lang, "bad", detail=f"--unit {adcode}"))
    _write(lang, {"atlas": chain_atlas(data, chain, adcode)}, out)
