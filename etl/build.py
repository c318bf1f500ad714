"""Build a region's store: read and check every source, index on H3, write atomically.

``check_sources`` is the read-everything-report-everything pass shared by ``onemap validate``
(which writes nothing) and ``build_store`` (which then computes and writes).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from etl import admin as admin_mod
from etl import schema
from etl.errors import DataError, Problem
from etl.exposure import METHOD as EXPOSURE_METHOD
from etl.exposure import (
    check_exposure_values,
    exposure_cells_arrow,
    finish_exposure,
    open_exposure,
    raster_to_exposure,
)
from etl.h3stats import METHOD, iter_raster_to_h3, share_columns
from etl.materials import MaterialsChecked, check_materials, materials_tables
from etl.industry import IndustryTables, check_industry
from etl.normalize import Normalized, drop_duplicates_across, normalize
from etl.rasters import open_raster
from etl.readers import read_table
from etl.region import EXPOSURE_SOURCE, Region, load_region
from etl.memory import release_memory
from etl.store import StagingStore
from etl.vector_hazards import VectorHazardSource, check_vector
from etl.vector_hazards import hazard_layer as vector_layer
from etl.zonemap import latlng_to_cells

logger = logging.getLogger(__name__)

Progress = Callable[[str, int], Callable[[int], None]]  # (label, total) -> advance(n)


@dataclass
class Checked:
    """Everything read from the sources, before any heavy computation."""

    region: Region
    admin: admin_mod.Admin | None
    entities: dict[str, list[tuple[Any, Normalized, str]]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    rasters: dict[str, dict[str, Any]] = field(default_factory=dict)
    exposure: dict[str, Any] | None = None
    materials: MaterialsChecked | None = None
    industry: IndustryTables = field(default_factory=IndustryTables)
    vectors: dict[str, Any] = field(default_factory=dict)  # zones/events/lines read (etl.vector_hazards)

    @property
    def rejects(self) -> list[dict[str, Any]]:
        rows = [r for items in self.entities.values() for _, norm, _ in items for r in norm.rejects]
        return (rows + (self.materials.rejects if self.materials else []) + self.industry.rejects
                + [r for inp in self.vectors.values() for r in inp.rejects])


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_sources(region_path: str | Path, progress: Progress | None = None) -> Checked:
    """Read every source of a region and collect every problem (nothing is written).

    Raises
    ------
    DataError
        When the region file itself is invalid.
    """
    region = load_region(region_path)
    checked = Checked(region=region, admin=None)
    try:
        checked.admin = admin_mod.load_admin(region.admin)
    except DataError as exc:
        checked.problems += exc.problems
    else:  # terrain adcodes must name units of the boundary file
        known = set(checked.admin.units["adcode"])
        for code, cls in region.standards.terrain_by_unit.items():
            if code not in known:
                checked.problems.append(Problem("region_bad_value", str(region.path), {
                    "key": f"standards.terrain.{cls}", "found": repr(code),
                    "expected": "a city or county adcode of the admin boundary file"}))
    step = progress("sources", len(region.tables)) if progress else None
    for src in region.tables:
        try:
            raw = read_table(src)
            norm = normalize(raw, src, region.bbox)
        except DataError as exc:
            checked.problems += exc.problems
        else:
            checked.entities.setdefault(src.entity, []).append((src, norm, raw.sha256))
        if step:
            step(1)
    for items in checked.entities.values():
        drop_duplicates_across(items)
    loaded = {e: pd.concat([n.rows for _, n, _ in checked.entities.get(e, [])] or [pd.DataFrame({"id": [], "name": []})],
                           ignore_index=True) for e in ("reserves", "enterprises")}
    checked.materials = check_materials(region.path, {h: len(r.breaks) for h, r in region.hazards.items()},
                                        loaded["reserves"], loaded["enterprises"])
    checked.problems += checked.materials.problems
    checked.industry = _industry(checked)
    checked.problems += checked.industry.problems
    for name, rs in region.hazards.items():
        if isinstance(rs, VectorHazardSource):
            inp, problems = check_vector(rs, region.bbox)
            checked.problems += problems
            if inp is not None:
                checked.vectors[name] = inp
            continue
        try:
            with open_raster(rs.path, band=rs.band, crs=rs.crs, nodata=rs.nodata, scale=rs.scale,
                             offset=rs.offset, label=name) as rd:
                checked.problems += _overlap(rd, region.bbox)
                checked.rasters[name] = _raster_info(rd)
        except DataError as exc:
            checked.problems += exc.problems
    if region.exposure is not None:
        try:
            with open_exposure(region.exposure) as rd:
                problems = _overlap(rd, region.bbox) + check_exposure_values(rd)
                checked.problems += problems
                checked.exposure = _raster_info(rd)
        except DataError as exc:
            checked.problems += exc.problems
    return checked


def _industry(checked: Checked) -> IndustryTables:
    """The 四库一清单 tables, checked against the enterprises, parks and admin units read."""
    frames = {e: pd.concat([n.rows for _, n, _ in items], ignore_index=True)
              for e, items in checked.entities.items() if items}
    admin = checked.admin
    return check_industry(
        checked.region.industry, frames, set(admin.units["adcode"]) if admin else set(), checked.region.bbox,
        (lambda lon, lat: admin_mod.point_adcodes(admin, lon, lat)) if admin else None)


def _overlap(rd, b: tuple[float, float, float, float]) -> list[Problem]:
    """``raster_no_overlap`` when the raster's footprint misses the region bbox."""
    fp = rd.grid.footprint_lonlat(8)
    lo0, la0 = fp.min(axis=0)
    lo1, la1 = fp.max(axis=0)
    if lo1 < b[0] or lo0 > b[2] or la1 < b[1] or la0 > b[3]:
        return [Problem("raster_no_overlap", str(rd.path), {
            "found": [round(float(v), 4) for v in (lo0, la0, lo1, la1)], "expected": list(b)})]
    return []


def _raster_info(rd) -> dict[str, Any]:
    return {"crs": rd.crs_label, "width": rd.grid.width, "height": rd.grid.height,
            "pixel_size": f"{rd.grid.transform.a:g} x {rd.grid.transform.e:g}"}


def build_store(
    region_path: str | Path,
    db: str | Path | None = None,
    *,
    cache_dir: str | Path | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
) -> dict[str, Any]:
    """Build (or rebuild) a region's store.

    Parameters
    ----------
    region_path
        The region TOML file.
    db
        Target DuckDB file (default ``data/<region id>.duckdb``).
    cache_dir
        Zone-map cache (default ``<db dir>/.zonecache``).
    progress
        Progress-bar factory: ``progress(label, total)`` returns ``advance(n)``.
    workers
        Compute the rasters on a Dask ``LocalCluster`` of this many processes (``etl.scale``).
    scheduler
        Or on the running Dask cluster at this address (``tcp://host:8786``). The output is
        identical to the one-process build either way.

    Returns
    -------
    dict
        A summary: rows per table, rejects per source, timings.

    Raises
    ------
    DataError
        Every file-level problem found; the previous store is left untouched.
    """
    checked = check_sources(region_path, progress)
    if checked.problems:
        raise DataError(checked.problems)
    region = checked.region
    db = Path(db or schema.default_store_path(region.id))
    cache_dir = Path(cache_dir) if cache_dir else db.parent / ".zonecache"

    cluster = contextlib.nullcontext()
    if workers or scheduler:  # Dask only when asked for (an optional extra)
        from etl.scale import dask_client  # noqa: PLC0415

        cluster = dask_client(workers, scheduler)
    with cluster as client, StagingStore(db) as staging:
        summary = _build_into(staging, checked, cache_dir, progress, client)
    return summary


def _build_into(staging: StagingStore, checked: Checked, cache_dir: Path,
                progress: Progress | None, client: Any = None) -> dict[str, Any]:
    """Compute every table into ``staging`` chunk by chunk (each written as soon as computed), then commit.

    With a Dask ``client`` the rasters are cut into parts computed on the cluster (``etl.scale``).
    """
    region, admin = checked.region, checked.admin
    assert admin is not None
    tables: dict[str, pd.DataFrame] = {}
    sources, rejects = [], checked.rejects
    for entity in schema.ENTITIES:
        frames = []
        for src, norm, sha in checked.entities.get(entity, []):
            frames.append(norm.rows)
            sources.append({
                "source": src.name, "entity": entity, "path": str(src.path), "sha256": sha,
                "rows_in": norm.rows_in, "rows_loaded": len(norm.rows),
                "rows_rejected": len(norm.rejects), "synthetic": src.synthetic, "crs": norm.crs,
            })
        df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        tables[entity] = _finish_entity(entity, df, admin, rejects)
    tables["entity_cells"] = _entity_cells(tables, region.resolutions)

    tables["admin_units"] = admin_mod.admin_units_table(admin)
    # DuckDB copies the cached Parquet file itself; Python only keeps the cell ids
    ac_path = admin_mod.cached_admin_cells_path(admin, region.resolutions, region.admin.path, cache_dir)
    staging.append_parquet("admin_cells", ac_path)
    ac = pq.read_table(ac_path, columns=["res", "cell"])
    res_col, cell_col = ac["res"].to_numpy(), ac["cell"].to_numpy().astype(np.uint64, copy=False)
    region_cells = {r: cell_col[res_col == r] for r in region.resolutions}
    del ac, res_col, cell_col
    release_memory()
    layers, vector_meta = [], {}
    for name, rs in region.hazards.items():
        if isinstance(rs, VectorHazardSource):  # zones, events, lines
            chunks, layer, source, vector_meta[name] = vector_layer(rs, checked.vectors[name], region.resolutions,
                                                                    region_cells, _sha256(rs.path))
            for res, df in chunks:  # computed chunk by chunk, each written before the next
                staging.append("hazard_cells", hazard_cells_arrow(name, res, df, rs.breaks))
                del df
            release_memory()
            layers.append(layer)
            sources.append(source)
            continue
        with open_raster(rs.path, band=rs.band, crs=rs.crs, nodata=rs.nodata, scale=rs.scale,
                         offset=rs.offset, label=name) as rd:
            step = progress(f"{name} ({rs.path.name})", rd.grid.height) if progress else None
            rows_loaded = 0
            if client is None:
                # finished cells go to disk as the rows pass them (etl.h3spill) and come back
                # sorted, a chunk at a time: the summaries of every cell are never held at once
                chunks = iter_raster_to_h3(rd, region.resolutions, rs.breaks, cache_dir=cache_dir,
                                           sample_cells=region_cells, progress=step, one_run=True,
                                           spill_dir=staging.scratch, spill_memory="64MB")
            else:
                chunks = _scale().hazard_chunks(client, _scale().RasterSpec(
                    str(rs.path), rs.band, rs.crs, rs.nodata, rs.scale, rs.offset, name), rd.grid,
                    region.resolutions, rs.breaks, cache_dir=cache_dir, sample_cells=region_cells, progress=step)
            for res, df in chunks:
                rows_loaded += int(df["count"].sum()) if res == region.finest_res else 0
                staging.append("hazard_cells", hazard_cells_arrow(name, res, df, rs.breaks))
                del df
                release_memory()
            layers.append({
                "hazard": name, "source": str(rs.path), "band": rs.band, "units": rs.units,
                "breaks": list(rs.breaks), "labels": list(rs.labels), "synthetic": rs.synthetic,
                "crs": rd.crs_label, "width": rd.grid.width, "height": rd.grid.height,
                "pixel_size": checked.rasters[name]["pixel_size"], "description": rs.description,
            })
            sources.append({
                "source": f"hazard:{name}", "entity": "hazard", "path": str(rs.path),
                "sha256": _sha256(rs.path), "rows_in": rd.grid.width * rd.grid.height,
                "rows_loaded": rows_loaded, "rows_rejected": 0,
                "synthetic": rs.synthetic, "crs": rd.crs_label,
            })
    tables["hazard_layers"] = pd.DataFrame(layers)
    exposure_meta = None
    if region.exposure is not None:
        exposure, exposure_meta, source = _exposure(checked, region_cells, cache_dir, progress, client)
        staging.append("exposure_cells", exposure)
        del exposure
        sources.append(source)
    sources.append({"source": "admin", "entity": "admin", "path": str(region.admin.path),
                    "sha256": _sha256(region.admin.path), "rows_in": len(admin.units),
                    "rows_loaded": len(admin.units), "rows_rejected": 0, "synthetic": False,
                    "crs": region.admin.crs})
    material_tables, material_sources, materials_meta = materials_tables(checked.materials)
    tables.update(material_tables)
    sources += material_sources
    tables.update(checked.industry.tables)
    sources += checked.industry.sources
    tables["sources"] = pd.DataFrame(sources)
    tables["rejects"] = pd.DataFrame(rejects) if rejects else None

    meta = {
        "build_id": uuid.uuid4().hex[:12],
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "region": region.id, "region_name": region.name, "region_name_en": region.name_en,
        "region_file": str(region.path), "bbox": list(region.bbox),
        "resolutions": list(region.resolutions), "hazard_method": METHOD,
        "synthetic_note": region.note,
        "chains_by_hazard": {k: list(v) for k, v in region.chains_by_hazard.items()},
        "standards": {
            "hours_by_tier": region.standards.hours_by_tier, "speed_kmh": region.standards.speed_kmh,
            "detour": region.standards.detour, "dispatch_delay_h": region.standards.dispatch_delay_h,
            "terrain_by_unit": region.standards.terrain_by_unit,
        },
    }
    if exposure_meta is not None:
        meta["exposure"] = exposure_meta
    if vector_meta:
        meta["hazard_vector"] = vector_meta
    if materials_meta is not None:
        meta["materials"] = materials_meta
    for name, df in tables.items():
        staging.append(name, df)
    staging.commit(meta)
    counts = {k: (0 if v is None else len(v)) for k, v in tables.items()}
    summary = {"db": str(staging.db), "build_id": meta["build_id"],
               "tables": {**counts, **staging.rows}, "rejects": len(rejects)}
    if exposure_meta is not None:
        summary["exposure"] = {k: exposure_meta[k] for k in ("total", "outside", "raster_total", "synthetic")}
    return summary


def _exposure(checked: Checked, region_cells: dict[int, np.ndarray], cache_dir: Path,
              progress: Progress | None, client: Any = None) -> tuple[pa.Table, dict[str, Any], dict[str, Any]]:
    """The ``exposure_cells`` rows, the ``meta["exposure"]`` entry and the ``sources`` row."""
    src, region = checked.region.exposure, checked.region
    assert src is not None and checked.exposure is not None
    with open_exposure(src) as rd:
        step = progress(f"exposure ({src.path.name})", rd.grid.height) if progress else None
        if client is None:
            exp = raster_to_exposure(rd, region.resolutions, region_cells=region_cells[region.finest_res],
                                     cache_dir=cache_dir, progress=step)
        else:
            spec = _scale().RasterSpec(str(src.path), src.band, src.crs, src.nodata, label="exposure")
            parts = _scale().exposure_sums(client, spec, rd.grid, region.resolutions, cache_dir=cache_dir,
                                           progress=step)
            exp = finish_exposure(parts, region.resolutions, rd, region_cells[region.finest_res])
        size = rd.grid.width * rd.grid.height
    meta = {
        "path": str(src.path), "source": src.source or str(src.path), "synthetic": src.synthetic,
        "description": src.description, "units": src.units, "band": src.band, "crs": checked.exposure["crs"],
        "pixel_size": checked.exposure["pixel_size"], "total": exp.inside, "outside": exp.outside,
        "raster_total": exp.raster_total, "pixels": exp.pixels, "method": EXPOSURE_METHOD,
    }
    source = {"source": EXPOSURE_SOURCE, "entity": "exposure", "path": str(src.path),
              "sha256": _sha256(src.path), "rows_in": size, "rows_loaded": exp.pixels,
              "rows_rejected": 0, "synthetic": src.synthetic, "crs": checked.exposure["crs"]}
    return exposure_cells_arrow(exp), meta, source


def _scale():
    """``etl.scale`` (imported only for a distributed build: Dask is an optional extra)."""
    from etl import scale  # noqa: PLC0415

    return scale


def hazard_cells_arrow(hazard: str, res: int, df: pd.DataFrame, breaks) -> pa.Table:
    """One hazard's statistics at one resolution as rows of ``hazard_cells``."""
    n = len(df)
    shares = df[share_columns(breaks)].to_numpy(np.float64).ravel()
    return pa.table({
        "hazard": pa.repeat(pa.scalar(hazard, pa.string()), n), "res": pa.array(np.full(n, res, np.int8)),
        "cell": pa.array(df["cell"].to_numpy(np.uint64)), "count": pa.array(df["count"].to_numpy(np.int64)),
        **{k: pa.array(df[k].to_numpy(np.float64)) for k in ("min", "max", "mean", "p90")},
        "class": pa.array(df["class"].to_numpy(np.int8)),
        "shares": pa.FixedSizeListArray.from_arrays(pa.array(shares), len(breaks)).cast(pa.list_(pa.float64())),
        "sampled": pa.array(df["sampled"].to_numpy(bool)),
    })


def _finish_entity(entity: str, df: pd.DataFrame, admin, rejects: list) -> pd.DataFrame:
    """Fill county adcodes from the boundaries (ids repeated across files were rejected by
    ``check_sources``, so validate and build count the same rows)."""
    if df.empty:
        return df
    found = admin_mod.point_adcodes(admin, df["lon"].to_numpy(), df["lat"].to_numpy())
    df["adcode"] = [f if f else a for f, a in zip(found, df["adcode"])]
    return df


def _entity_cells(tables: dict[str, pd.DataFrame], resolutions: tuple[int, ...]) -> pd.DataFrame:
    parts = []
    for entity in schema.ENTITIES:
        df = tables[entity]
        if df.empty:
            continue
        for res in resolutions:
            cells = latlng_to_cells(df["lat"].to_numpy(), df["lon"].to_numpy(), res)
            parts.append(pd.DataFrame({"entity": entity, "id": df["id"], "res": np.int8(res), "cell": cells}))
    return pd.concat(parts, ignore_index=True) if parts else None  # every row may be rejected


def default_region() -> Path:
    """``geodata/regions/jjj.toml`` relative to the working directory."""
    return Path("geodata/regions/jjj.toml")


__all__ = ["build_store", "check_sources", "load_region", "default_region"]
