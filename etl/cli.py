"""The ``onemap`` command line: build, validate, info, h3stats (+ ``serve`` from mapapp).

Exit codes: 0 success, 1 data problems (with a report), 2 usage errors. Messages are in
Chinese unless ``--lang en`` or ``ONEMAP_LANG=en``. Data problems never print a traceback.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from etl import messages
from etl.errors import DataError, OneMapError, StoreError, UsageError
from etl.memory import limit_heap_growth

logger = logging.getLogger(__name__)

_TEXT = {
    "built": ("已构建 {db}（构建编号 {build_id}），用时 {seconds:.1f} 秒", "built {db} (build {build_id}) in {seconds:.1f} s"),
    "rejected": ("有 {n} 行被拒收，原因见 rejects 表：onemap info {db}", "{n} row(s) rejected; reasons in the rejects table: onemap info {db}"),
    "valid": ("检查通过：{sources} 个数据源，{rows} 行可用，0 个问题。", "valid: {sources} sources, {rows} usable rows, no problems."),
    "reject_line": ("  {source} {reason}", "  {source} {reason}"),  # the reason names the row
    "skipped": ("{n} 行缺少可用坐标或数值，未计入", "{n} row(s) without usable coordinates or value were not counted"),
    "wrote": ("已写出 {n} 个 H3 单元（分辨率 {res}）到 {out}", "wrote {n} H3 cells (res {res}) to {out}"),
}


def _t(key: str, lang: str, **kw: Any) -> str:
    return _TEXT[key][0 if messages.lang_or_default(lang) == "zh" else 1].format(**kw)


class Resolution(click.ParamType):
    """An H3 resolution, 0-15."""

    name = "resolution"

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        try:
            res = int(value)
        except (TypeError, ValueError):
            res = -1
        if not 0 <= res <= 15:
            self.fail(messages.render("bad_res", None, {"found": value}, ctx.obj.get("lang") if ctx and ctx.obj else None), param, ctx)
        return res


class Breaks(click.ParamType):
    """Comma-separated increasing class breaks."""

    name = "breaks"

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[float, ...]:
        if isinstance(value, tuple):
            return value
        try:
            out = tuple(float(v) for v in str(value).replace("，", ",").split(",") if v.strip())
        except ValueError:
            out = ()
        if not out or any(a >= b for a, b in zip(out, out[1:])):
            self.fail(messages.render("bad_classes", None, {"found": value}, ctx.obj.get("lang") if ctx and ctx.obj else None), param, ctx)
        return out


def _progress_factory(quiet: bool) -> Callable[[str, int], Callable[[int], None]] | None:
    if quiet:
        return None
    from tqdm import tqdm  # noqa: PLC0415

    bars: list[Any] = []

    def factory(label: str, total: int) -> Callable[[int], None]:
        for b in bars:
            b.close()
        bar = tqdm(total=total, desc=label, unit="行" if "(" in label else "个", leave=False,
                   file=sys.stderr, dynamic_ncols=True)
        bars.append(bar)
        return bar.update

    return factory


def _fail(exc: OneMapError, lang: str) -> None:
    if isinstance(exc, DataError):
        click.echo(exc.render(lang), err=True)
        sys.exit(1)
    if isinstance(exc, StoreError):
        click.echo(exc.render(lang), err=True)
        sys.exit(1)
    if isinstance(exc, UsageError):
        click.echo(messages.render(exc.code, None, exc.params, lang), err=True)
        sys.exit(2)
    raise exc


class _Commands(click.Group):
    """The ``onemap`` group: etl's own commands plus plugins from the ``onemap.commands``
    entry-point group (e.g. ``serve`` from mapapp), loaded only when named or listed, so
    ``etl`` never imports the app (the rasterio ``rio`` plugin pattern)."""

    def _plugins(self) -> dict[str, Any]:
        from importlib.metadata import entry_points  # noqa: PLC0415

        return {ep.name: ep for ep in entry_points(group="onemap.commands")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._plugins()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name in (plugins := self._plugins()):
            command = plugins[name].load()
        return command


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--lang", type=click.Choice(["zh", "en"]), envvar="ONEMAP_LANG", default="zh",
              show_default=True, help="Language of messages (also ONEMAP_LANG).")
@click.option("-v", "--verbose", count=True, help="More log output.")
@click.pass_context
def main(ctx: click.Context, lang: str, verbose: int) -> None:
    """OneMap 安全应急产业 × 灾害风险 一张图."""
    logging.basicConfig(level=logging.WARNING - 10 * min(verbose, 2), format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("rasterio", "pyogrio", "fiona", "numexpr"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # rasters are read once, window by window: a small GDAL block cache keeps memory bounded
    # (GDAL's default is 5 % of RAM). Must be set before GDAL first reads a block.
    os.environ.setdefault("GDAL_CACHEMAX", "64")
    limit_heap_growth()  # freed window-sized arrays go back to the OS at once (etl.memory)
    ctx.obj = {"lang": lang}


@main.command()
@click.argument("region_toml", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), envvar="ONEMAP_DB_PATH",
              help="Target store (default data/<region>.duckdb).")
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path), help="Zone-map cache directory.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or summary (for scripts).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Compute rasters on a local Dask cluster of N processes (pip install onemap[dask]).")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Compute rasters on a running Dask cluster, e.g. tcp://10.0.0.5:8786.")
@click.pass_obj
def build(obj: dict, region_toml: Path | None, db: Path | None, cache: Path | None, quiet: bool,
          workers: int | None, scheduler: str | None) -> None:
    """Build the store from a region file (default geodata/regions/jjj.toml)."""
    import time  # noqa: PLC0415

    from etl.build import build_store, default_region  # noqa: PLC0415

    lang = obj["lang"]
    t0 = time.perf_counter()
    try:
        if workers and scheduler:
            raise UsageError("workers_and_scheduler", found=f"--workers {workers} --scheduler {scheduler}")
        summary = build_store(region_toml or default_region(), db, cache_dir=cache, progress=_progress_factory(quiet),
                              workers=workers, scheduler=scheduler)
    except OneMapError as exc:
        _fail(exc, lang)
        return
    if not quiet:
        click.echo(_t("built", lang, db=summary["db"], build_id=summary["build_id"], seconds=time.perf_counter() - t0))
        _print_info(summary["db"], lang)
        if summary["rejects"]:
            click.echo(_t("rejected", lang, n=summary["rejects"], db=summary["db"]))


@main.command()
@click.argument("region_toml", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def validate(obj: dict, region_toml: Path) -> None:
    """Read every source, report every problem, write nothing."""
    from etl.build import check_sources  # noqa: PLC0415

    lang = obj["lang"]
    try:
        checked = check_sources(region_toml)
    except OneMapError as exc:
        _fail(exc, lang)
        return
    rejects = checked.rejects
    if checked.problems:
        click.echo(DataError(checked.problems).render(lang), err=True)
    for r in rejects:
        click.echo(_t("reject_line", lang, source=r["source"], row=r["row_number"],
                      reason=r["reason"] if messages.lang_or_default(lang) == "zh" else r["reason_en"]), err=True)
    if checked.problems or rejects:
        sys.exit(1)
    ledgers = checked.materials.ledgers if checked.materials else []
    rows = sum(len(n.rows) for items in checked.entities.values() for _, n, _ in items)
    rows += sum(s["rows_loaded"] for s in checked.industry.sources) + sum(len(loaded.rows) for _, loaded in ledgers)
    click.echo(_t("valid", lang, sources=sum(len(v) for v in checked.entities.values()) + len(checked.rasters)
                  + len(checked.vectors) + 1 + (checked.exposure is not None) + len(checked.industry.sources)
                  + len(ledgers), rows=rows))


@main.command()
@click.argument("db", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON.")
@click.pass_obj
def info(obj: dict, db: Path, as_json: bool) -> None:
    """Summarise a store: tables, hazards, sources, rejects."""
    lang = obj["lang"]
    try:
        if as_json:
            from etl.info import store_info  # noqa: PLC0415

            click.echo(json.dumps(store_info(db), ensure_ascii=False, indent=2))
        else:
            _print_info(db, lang)
    except OneMapError as exc:
        _fail(exc, lang)


def _print_info(db: str | Path, lang: str) -> None:
    from etl.info import format_info, store_info  # noqa: PLC0415

    click.echo(format_info(store_info(db), messages.lang_or_default(lang)))


@main.command()
@click.argument("raster", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--res", required=True, type=Resolution(), help="H3 resolution 0-15.")
@click.option("--band", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--crs", help="CRS when the raster has none (EPSG:n, WKT, WGS84, CGCS2000).")
@click.option("--nodata", type=float, help="Nodata value overriding the file's.")
@click.option("--classes", type=Breaks(), default=None, help="Class breaks, e.g. 0.15,0.5,1.5.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help=".parquet or .csv")
@click.option("--lon", help="Point tables: longitude column (default: by alias).")
@click.option("--lat", help="Point tables: latitude column (default: by alias).")
@click.option("--value", help="Point tables: a numeric column to summarise per cell.")
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path), help="Zone-map cache directory.")
@click.option("--kind", type=click.Choice(["zones", "events", "lines"]),
              help="A vector hazard: zoning polygons, an event catalogue or lines (default: raster or points).")
@click.option("--field", help="zones: the value/class column; events: the magnitude column (default: by alias).")
@click.option("--overlap", type=click.Choice(["max", "min"]), default="max", show_default=True,
              help="zones: which value holds where zones overlap.")
@click.option("--statistic", type=click.Choice(["max_magnitude", "count", "rate", "smoothed_rate"]),
              default="max_magnitude", show_default=True, help="events: the value per cell.")
@click.option("--period", type=Breaks(), help="events: first,last year (needed for rates).")
@click.option("--min-magnitude", type=float, help="events: only events of at least this magnitude.")
@click.option("--bandwidth-km", type=click.FloatRange(min=0, min_open=True), default=20.0, show_default=True,
              help="events: Gaussian kernel sigma (km) of smoothed_rate.")
@click.option("--rate-per-km2", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="events: rates per this many km² per year.")
@click.option("-q", "--quiet", is_flag=True)
@click.pass_obj
def h3stats(obj: dict, raster: Path, res: int, band: int, crs: str | None, nodata: float | None,
            classes: tuple[float, ...] | None, out: Path, lon: str | None, lat: str | None,
            value: str | None, cache: Path | None, kind: str | None, field: str | None, overlap: str,
            statistic: str, period: tuple[float, ...] | None, min_magnitude: float | None,
            bandwidth_km: float, rate_per_km2: float, quiet: bool) -> None:
    """Raster, point table, zones, events or lines -> H3 cell statistics."""
    from etl.h3stats import write_h3stats  # noqa: PLC0415

    lang = obj["lang"]
    if out.suffix.lower() not in (".parquet", ".csv"):
        _fail(UsageError("bad_out", found=str(out)), lang)
    if kind is not None:
        _vector_h3stats(lang, raster, kind, res, out, classes or (), crs, field, overlap, statistic, period,
                        min_magnitude, bandwidth_km, rate_per_km2, quiet)
        return
    try:
        n, skipped = write_h3stats(raster, res, out, band=band, crs=crs, nodata=nodata, breaks=classes or (),
                                   lon=lon, lat=lat, value=value, cache_dir=cache,
                                   progress=_progress_factory(quiet))
    except OneMapError as exc:
        _fail(exc, lang)
        return
    if not quiet:
        click.echo(_t("wrote", lang, n=n, res=res, out=out))
    if skipped:  # a warning about the data, not progress: shown even with -q
        click.echo(_t("skipped", lang, n=skipped), err=True)


def _vector_h3stats(lang: str, source: Path, kind: str, res: int, out: Path, classes: tuple[float, ...],
                    crs: str | None, field: str | None, overlap: str, statistic: str,
                    period: tuple[float, ...] | None, min_magnitude: float | None, bandwidth_km: float,
                    rate_per_km2: float, quiet: bool) -> None:
    from etl.vector_hazards import write_vector_h3stats  # noqa: PLC0415

    if period is not None and len(period) != 2:
        _fail(UsageError("bad_classes", found=",".join(f"{p:g}" for p in period)), lang)
    try:
        n, rejected = write_vector_h3stats(
            source, kind, res, out, breaks=classes, crs=crs, field=field, overlap=overlap, statistic=statistic,
            min_magnitude=min_magnitude, period=None if period is None else (int(period[0]), int(period[1])),
            bandwidth_km=bandwidth_km, rate_per_km2=rate_per_km2)
    except OneMapError as exc:
        _fail(exc, lang)
        return
    if not quiet:
        click.echo(_t("wrote", lang, n=n, res=res, out=out))
    if rejected:
        click.echo(_t("skipped", lang, n=rejected), err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
