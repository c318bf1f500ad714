"""``onemap report``: coverage-gap reports of a unit, or a batch of every unit of a level.

A plugin of the ``onemap`` group (entry point ``onemap.commands``: ``report``), like
``analyze``. Exit codes: 0 done, 1 a store problem or a failed unit in a batch, 2 bad
parameters (an unknown adcode lists the nearest matches).
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any

import click

from layers.cli.common import ACCESS_OPTIONS, DB, Pairs, access_overrides, open_store

logger = logging.getLogger(__name__)

_TEXT = {
    "bad": ("参数无效：{detail}", "invalid parameter: {detail}"),
    "need_unit": ("请给出 --unit 行政区划代码，或用 --all 指定批量级别",
                  "give --unit ADCODE, or --all LEVEL for a batch"),
    "wrote": ("已生成 {name}（{adcode}）报告：{files}（{seconds:.1f} 秒）",
              "report of {name} ({adcode}) written: {files} ({seconds:.1f} s)"),
    "batch": ("批量生成 {n} 个{level}报告", "{n} {level} reports"),
    "batch_done": ("完成：{ok} 个成功，{failed} 个失败（{seconds:.1f} 秒）",
                   "done: {ok} written, {failed} failed ({seconds:.1f} s)"),
    "failed": ("  失败 {adcode} {name}：{error}", "  failed {adcode} {name}: {error}"),
    "none": ("{within}内没有{level}单元", "no {level} units in {within}"),
}


def _lang(ctx: click.Context, lang: str | None) -> str:
    if lang:
        return lang
    obj = ctx.find_root().obj or {}
    return "en" if obj.get("lang") == "en" else "zh"


def _say(lang: str, key: str, **kw: Any) -> str:
    return _TEXT[key][1 if lang == "en" else 0].format(**kw)


def _hazard_arg(value: str) -> Any:
    """``all``, one name or a comma-separated list."""
    items = [v.strip() for v in value.replace("，", ",").split(",") if v.strip()]
    return "all" if items == ["all"] else items


def _units_of(store: Any, level: str, within: str | None) -> list[dict[str, Any]]:
    """Units of ``level`` (in adcode order), only those inside ``within`` when given."""
    from layers.map.units import admin_tree  # noqa: PLC0415

    tree = admin_tree(store)
    if within is None:
        return [u for u in tree if u["level"] == level]
    parent = {u["adcode"]: u["parent"] for u in tree}

    def inside(code: str) -> bool:
        for _ in range(10):
            if code == within:
                return True
            code = parent.get(code)
            if code is None:
                return False
        return False

    return [u for u in tree if u["level"] == level and inside(u["adcode"])]


@click.command("report")
@DB
@click.option("--kind", type=click.Choice(["gaps", "cluster"]), default="gaps", show_default=True,
              help="gaps: coverage-gap report of a unit; cluster: 集群发展报告 (region, province or city).")
@click.option("--year", type=int, help="With --kind cluster: the monitoring year (default: the last).")
@click.option("--unit", help="Adcode of the province, city or county; with --all: the units inside it.")
@click.option("--all", "all_level", type=click.Choice(["province", "city", "county"]),
              help="Batch: a report for every unit of this level (inside --unit if given).")
@click.option("--hazard", default="flood", show_default=True,
              help="A hazard layer (flood, earthquake, wildfire), a comma-separated list, or all.")
@click.option("--format", "formats", default="pdf,xlsx,geojson", show_default=True,
              help="Comma-separated: html, pdf, xlsx, geojson, parquet (GeoParquet).")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output directory (created if missing).")
@click.option("--lang", type=click.Choice(["zh", "en"]), help="Headers and messages (default: onemap --lang).")
@click.option("--res", type=click.IntRange(0, 15), default=7, show_default=True, help="H3 resolution of the cells.")
@click.option("--min-class", "min_class", type=int, help="At risk from this hazard class up (default 2).")
@click.option("--hours", "hours", type=Pairs(), multiple=True,
              help="Standard hours by tier over the store's, e.g. county=6.")
@click.option("--chain-hours", type=float, default=6.0, show_default=True,
              help="Hours within which each relevant chain's nearest enterprise must arrive.")
@click.option("--siting-k", type=click.IntRange(min=0), default=3, show_default=True,
              help="New county depots the siting analysis may add in the unit (0: no siting).")
@click.option("--siting-hours", type=float,
              help="Siting standard in hours (default: the county standard; shorter shows where depots help).")
@click.option("--date", "date", help="Report date, YYYY-MM-DD (default today).")
@ACCESS_OPTIONS
@click.pass_context
def report(ctx: click.Context, db: Path, kind: str, year: int | None, unit: str | None, all_level: str | None, hazard: str, formats: str,
           out: Path, lang: str | None, res: int, min_class: int | None, hours: tuple, chain_hours: float,
           siting_k: int, siting_hours: float | None, date: str | None, speeds: tuple, detours: tuple,
           delay: float | None) -> None:
    """Coverage-gap report of a province, city or county (PDF, HTML, XLSX, GeoJSON, GeoParquet;
    findings on stdout).

    Examples: onemap report --unit 130200 --out reports/ ;
    onemap report --all county --unit 130200 --hazard all --siting-hours 1 --out reports/
    """
    from layers.report import build_report, write_report  # noqa: PLC0415
    from layers.report.build import check_options  # noqa: PLC0415
    from layers.report.formats import check_formats  # noqa: PLC0415

    lang = _lang(ctx, lang)

    def bad(detail: Any) -> None:
        click.echo(_say(lang, "bad", detail=detail), err=True)
        sys.exit(2)

    if kind == "cluster":
        _cluster(ctx, db, year, unit, formats, out, lang, date, bad)
        return

    if unit is None and all_level is None:
        bad(_say(lang, "need_unit"))
    try:
        chosen_formats = check_formats(formats)
    except ValueError as exc:
        bad(exc)
    store = open_store(ctx, db)
    overrides = access_overrides(speeds, detours, delay)
    options = {"res": res, "min_class": min_class, "hours_by_tier": dict(hours) or None, "chain_hours": chain_hours,
               "siting_k": siting_k, "siting_hours": siting_hours, "date": date, **overrides}
    try:
        hazards = check_options(store, _hazard_arg(hazard), unit, **options)
    except (ValueError, LookupError) as exc:
        bad(exc)

    def one(code: str) -> list[Path]:
        return write_report(build_report(store, code, hazards, **options), out, chosen_formats, lang=lang)

    if all_level is None:
        t0 = time.perf_counter()
        try:
            rep = build_report(store, unit, hazards, **options)
            paths = write_report(rep, out, chosen_formats, lang=lang)
        except (ValueError, LookupError) as exc:
            bad(exc)
        for finding in rep.findings:
            click.echo(finding.text(lang))
        click.echo(_say(lang, "wrote", name=rep.name, adcode=rep.adcode, files=", ".join(p.name for p in paths),
                        seconds=time.perf_counter() - t0), err=True)
        return
    _batch(lang, _units_of(store, all_level, unit), all_level, unit, one)


def _cluster(ctx: click.Context, db: Path, year: int | None, unit: str | None, formats: str, out: Path,
             lang: str, date: str | None, bad: Any) -> None:
    """``--kind cluster``: the 集群发展报告 of the region (no --unit), a province or a city."""
    from layers.industry import IndustryDataMissing  # noqa: PLC0415
    from layers.report.cluster import FORMATS, cluster_report, write_cluster_report  # noqa: PLC0415

    chosen = tuple(f.strip() for f in formats.split(",") if f.strip() and f.strip() in FORMATS) or ("pdf", "xlsx")
    t0 = time.perf_counter()
    store = open_store(ctx, db)
    try:
        rep = cluster_report(store, year, unit, date)
        paths = write_cluster_report(rep, out, chosen, lang)
    except IndustryDataMissing as exc:
        click.echo(exc.en if lang == "en" else exc.zh, err=True)
        sys.exit(1)
    except (ValueError, LookupError) as exc:
        bad(exc)
    for t in rep.monitor["targets"].to_dict("records"):
        click.echo(f"{t['indicator']}\t{t['scope_name']}\t{t['current']}\t{t['attainment']}\t{t['status']}")
    click.echo(_say(lang, "wrote", name=rep.name, adcode=unit or "—", files=", ".join(p.name for p in paths),
                    seconds=time.perf_counter() - t0), err=True)


def _batch(lang: str, units: list[dict[str, Any]], level: str, within: str | None, one: Any) -> None:
    """Run ``one(adcode)`` for every unit with a progress bar; list failures; exit 1 if any."""
    from etl import schema  # noqa: PLC0415

    level_word = schema.ADMIN_LEVELS[level][0 if lang == "zh" else 1].lower()
    if not units:
        click.echo(_say(lang, "none", within=within or "—", level=level_word), err=True)
        sys.exit(2)
    t0 = time.perf_counter()
    failures: list[tuple[str, str, str]] = []
    with click.progressbar(units, label=_say(lang, "batch", n=len(units), level=level_word), file=sys.stderr,
                           item_show_func=lambda u: f"{u['adcode']} {u['name']}" if u else "") as bar:
        for u in bar:
            try:
                one(u["adcode"])
            except Exception as exc:  # noqa: BLE001 (a batch goes on; every failure is listed below)
                logger.debug("report of %s failed", u["adcode"], exc_info=True)
                failures.append((u["adcode"], u["name"], f"{type(exc).__name__}: {exc}"))
    click.echo(_say(lang, "batch_done", ok=len(units) - len(failures), failed=len(failures),
                    seconds=time.perf_counter() - t0), err=True)
    for adcode, name, error in failures:
        click.echo(_say(lang, "failed", adcode=adcode, name=name, error=error), err=True)
    if failures:
        sys.exit(1)
