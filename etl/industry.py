"""The four databases and the list (四库一清单): readers, checks and rejects.

``check_industry`` reads every ``[[industry.sources]]`` file of a region (any format
``etl.readers`` reads), maps Chinese or English headers onto the fields below, parses values
and checks references against the enterprises and parks already read and the admin units.
Every row that cannot be used becomes a reject naming the row, the reason and its raw values:
an unknown enterprise or park, a stage that is not one of the plan's stages, a year that is
not a year, a negative investment, a date that is not a date, a link that is not one of the
chain's links (``[industry.links]``), a repeated enterprise-year. Targets (``[[industry.targets]]``)
whose scope names an unknown adcode or park are file-level problems.

Tables written (``etl.schema.INDUSTRY_TABLES``): ``enterprise_years``, ``products``,
``projects``, ``leads``, ``tasks``, ``targets``, ``chain_links``. A project without coordinates
takes its owner enterprise's (else park's) position; its adcode is the county it falls in.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from etl import schema, vocab
from etl.columns import map_columns
from etl.crs import parse_crs, to_wgs84
from etl.errors import CrsError, DataError, Problem
from etl.industry_fields import FIELDS, REQUIRED
from etl.normalize import RowRejects, fill_ids, parse_bools, parse_chains, parse_numbers, parse_vocab
from etl.readers import read_table
from etl.region import TableSource

logger = logging.getLogger(__name__)

__all__ = ["FIELDS", "IndustryTables", "check_industry"]


_DATE = re.compile(r"^\s*(\d{4})(?:\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2})\s*日?)?\s*月?)?\s*年?\s*$")


@dataclass
class IndustryTables:
    """What ``check_industry`` read: store tables, rejects, ``sources`` rows and problems."""

    tables: dict[str, pa.Table] = field(default_factory=dict)
    rejects: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Refs:
    """Ids and names the industry rows may refer to (name -> id, id -> id)."""

    enterprises: dict[str, str]
    parks: dict[str, str]
    adcodes: set[str]
    positions: dict[tuple[str, str], tuple[float, float, str | None]]  # (entity, id) -> lon, lat, adcode


def _refs(entities: dict[str, pd.DataFrame], adcodes: set[str]) -> _Refs:
    maps: dict[str, dict[str, str]] = {}
    pos = {}
    for entity in ("enterprises", "parks"):
        df = entities.get(entity)
        m: dict[str, str] = {}
        if df is not None and not df.empty:
            m.update(zip(df["name"].astype(str), df["id"].astype(str)))
            m.update(zip(df["id"].astype(str), df["id"].astype(str)))
            for i, x, y, a in zip(df["id"], df["lon"], df["lat"], df["adcode"]):
                pos[(entity, str(i))] = (float(x), float(y), a if isinstance(a, str) else None)
        maps[entity] = m
    return _Refs(maps["enterprises"], maps["parks"], adcodes, pos)


def check_industry(config: Any, entities: dict[str, pd.DataFrame], adcodes: set[str],
                   bbox: tuple[float, float, float, float], point_adcodes: Any = None) -> IndustryTables:
    """Read and check a region's industry sources and targets.

    Parameters
    ----------
    config
        ``Region.industry`` (an ``etl.industry_region.IndustryConfig``) or None.
    entities
        ``"enterprises"`` and ``"parks"`` rows already normalised (id, name, lon, lat, adcode).
    adcodes
        The adcodes of the admin units.
    bbox
        The region's bbox (project coordinates outside it are rejected).
    point_adcodes
        ``f(lon, lat) -> [adcode | None]`` (county of a point); None keeps the given adcodes.

    Returns
    -------
    IndustryTables
        Empty tables when ``config`` is None.
    """
    out = IndustryTables()
    if config is None:
        return out
    refs = _refs(entities, adcodes)
    rows: dict[str, list[pd.DataFrame]] = {t: [] for t in FIELDS}
    for src in config.sources:
        try:
            raw = read_table(src)
            df, rejects, n_in = _normalise(raw, src, refs, config.links, bbox)
        except DataError as exc:
            out.problems += exc.problems
            continue
        rows[src.entity].append(df)
        out.rejects += rejects
        out.sources.append({
            "source": src.name, "entity": src.entity, "path": str(src.path), "sha256": raw.sha256,
            "rows_in": n_in, "rows_loaded": len(df), "rows_rejected": len(rejects),
            "synthetic": src.synthetic, "crs": src.crs,
        })
    frames = {t: pd.concat(v, ignore_index=True) if v else None for t, v in rows.items()}
    _cross_checks(frames, out)
    if frames["projects"] is not None and point_adcodes is not None:
        p = frames["projects"]
        has = p["lon"].notna().to_numpy()
        if has.any():
            found = point_adcodes(p.loc[has, "lon"].to_numpy(), p.loc[has, "lat"].to_numpy())
            p.loc[has, "adcode"] = [f or a for f, a in zip(found, p.loc[has, "adcode"])]
    for t, df in frames.items():
        if df is not None and len(df):
            out.tables[t] = _arrow(t, df)
    out.problems += _target_problems(config, refs)
    out.tables["targets"] = _arrow("targets", pd.DataFrame([{
        "indicator": t.indicator, "scope": t.scope,
        "scope_code": refs.parks.get(t.scope_code, t.scope_code) if t.scope == "park" else t.scope_code,
        "year": t.year, "value": t.value, "comparator": t.comparator, "unit": t.unit,
        "document": t.document, "clause": t.clause, "note": t.note} for t in config.targets],
        columns=_columns("targets")))
    out.tables["chain_links"] = _arrow("chain_links", pd.DataFrame(
        [{"chain": c, "position": i, "link": link} for c, links in config.links.items()
         for i, link in enumerate(links, start=1)], columns=_columns("chain_links")))
    return out


def _target_problems(config: Any, refs: _Refs) -> list[Problem]:
    out = []
    for i, t in enumerate(config.targets):
        key = f"industry.targets[{i}]"
        if t.scope in ("province", "city") and t.scope_code not in refs.adcodes:
            out.append(Problem("target_unknown_scope", "[industry.targets]", {
                "key": key, "found": t.scope_code, "expected": "an adcode of the admin boundary file"}))
        elif t.scope == "park" and t.scope_code not in refs.parks:
            out.append(Problem("target_unknown_scope", "[industry.targets]", {
                "key": key, "found": t.scope_code, "expected": "a park id or name of the parks table"}))
    return out


def _cross_checks(frames: dict[str, pd.DataFrame | None], out: IndustryTables) -> None:
    """Task -> lead references, once every lead file is read (unknown ones become rejects)."""
    tasks, leads = frames["tasks"], frames["leads"]
    if tasks is None:
        return
    known = set(leads["id"]) if leads is not None else set()
    bad = [i for i, ls in enumerate(tasks["leads"]) if any(x not in known for x in ls)]
    for i in bad:
        row = tasks.iloc[i]
        missing = [x for x in row["leads"] if x not in known]
        p = Problem("unknown_reference", str(row["source"]), {
            "row": int(row["source_row"]), "field": "leads", "found": "、".join(missing),
            "expected": "招商库 (leads)"})
        out.rejects.append({"source": row["source"], "row_number": int(row["source_row"]),
                            "reason_code": p.code, "reason": p.reason("zh"), "reason_en": p.reason("en"),
                            "raw": row.drop(labels=["synthetic"]).to_json(force_ascii=False)})
        for s in out.sources:
            if s["source"] == row["source"]:
                s["rows_loaded"] -= 1
                s["rows_rejected"] += 1
    if bad:
        frames["tasks"] = tasks.drop(index=bad).reset_index(drop=True)


def _normalise(raw, src: TableSource, refs: _Refs, links: dict[str, tuple[str, ...]],
               bbox) -> tuple[pd.DataFrame, list[dict[str, Any]], int]:
    table, file = src.entity, str(src.path)
    aliases = FIELDS[table]
    mapping, problems = map_columns(list(raw.frame.columns), table, src.columns, file,
                                    provided=list(src.defaults), aliases=aliases, required=REQUIRED[table])
    if problems:
        raise DataError(problems)
    n = len(raw.frame)
    rj = RowRejects(src, raw)

    def col(name: str) -> list[str | None]:
        vals = raw.frame[mapping[name]].tolist() if name in mapping else [None] * n
        if name in src.defaults:
            vals = [str(src.defaults[name]) if v is None else v for v in vals]
        return vals

    out: dict[str, list[Any]] = {}
    if "id" in aliases:
        fill_ids(out, col("id"), rj, src.name, raw.row_numbers)
    for f in ("name", "company", "unit", "target"):
        if f in aliases:
            out[f] = [(v or "").strip() or None for v in col(f)]
            if f in REQUIRED[table]:
                for i, v in enumerate(out[f]):
                    if not v:
                        rj.add(i, "empty_name")
    if "enterprise" in aliases:
        out["enterprise"] = _reference(col("enterprise"), refs.enterprises, "enterprise",
                                       "企业库 (enterprises)", rj, required="enterprise" in REQUIRED[table])
    if "park" in aliases:
        out["park"] = _reference(col("park"), refs.parks, "park", "园区表 (parks)", rj)
    if "chain" in aliases:
        out["chain"], out["link"] = _chain_link(col("chain"), col("link"), links, rj)
    _table_fields(table, col, out, rj, n, refs)
    if table == "projects":
        _project_positions(out, col, src, refs, bbox, rj, file)
    df = pd.DataFrame(out)
    df["synthetic"] = src.synthetic
    df["source"] = src.name
    df["source_row"] = raw.row_numbers.astype(np.int64)
    keep = np.ones(n, dtype=bool)
    keep[list(rj.bad)] = False
    return df[keep].reset_index(drop=True), rj.records(), n


def _table_fields(table: str, col, out: dict, rj: RowRejects, n: int, refs: _Refs) -> None:
    if table == "enterprise_years":
        years = _years(col("year"), rj)
        seen: dict[tuple, int] = {}
        for i, (e, y) in enumerate(zip(out["enterprise"], years)):
            if e is not None and y is not None and i not in rj.bad:
                if (e, y) in seen:
                    rj.add(i, "duplicate_key", found=f"{e} {y}", expected=seen[(e, y)], field="企业-年份")
                seen.setdefault((e, y), int(rj.raw.row_numbers[i]))
        out["year"] = years
        for f, what in (("output_yi", "亿元"), ("revenue_yi", "亿元"), ("employees", "人"), ("rd_yi", "亿元")):
            out[f] = parse_numbers(col(f), f, rj, f"{what} (a number)")
        for f in ("above_size", "listed", "specialised", "little_giant", "champion", "leading"):
            out[f] = parse_bools(col(f), f, rj)
    elif table == "products":
        out["material"] = col("material")
        out["certifications"] = col("certifications")
        out["recommended"] = parse_bools(col("recommended"), "recommended", rj)
    elif table == "projects":
        out["stage"] = _required_vocab(col("stage"), vocab.PROJECT_STAGE_WORDS, "stage", schema.PROJECT_STAGES, rj)
        out["investment_yi"] = parse_numbers(col("investment_yi"), "investment_yi", rj, "亿元 (a number)")
        for f in ("planned_start", "planned_finish", "actual_start", "actual_finish"):
            out[f] = _dates(col(f), f, rj)
        out["key"] = parse_bools(col("key"), "key", rj)
    elif table == "leads":
        out["origin"] = col("origin")
        out["investment_yi"] = parse_numbers(col("investment_yi"), "investment_yi", rj, "亿元 (a number)")
        out["stage"] = _required_vocab(col("stage"), vocab.LEAD_STAGE_WORDS, "stage", schema.LEAD_STAGES, rj)
        out["unit"], out["next_step"] = col("unit"), col("next_step")
        out["next_date"] = _dates(col("next_date"), "next_date", rj)
        out["adcode"] = _adcodes(col("adcode"), refs, rj)
        out["adcode"] = [a or (refs.positions.get(("parks", p), (0, 0, None))[2] if p else None)
                         for a, p in zip(out["adcode"], out["park"])]
    elif table == "tasks":
        out["count"] = parse_numbers(col("count"), "count", rj, "a count")
        out["deadline"] = _dates(col("deadline"), "deadline", rj)
        status = parse_vocab(col("status"), vocab.TASK_STATUS_WORDS, "status", schema.TASK_STATUSES, rj)
        out["status"] = [s or "todo" for s in status]
        out["leads"] = [vocab.split_list(v) for v in col("leads")]
        out["adcode"] = _adcodes(col("adcode"), refs, rj)


def _reference(values, known: dict[str, str], name: str, where: str, rj: RowRejects,
               required: bool = False) -> list[str | None]:
    out = []
    for i, v in enumerate(values):
        v = (v or "").strip()
        if not v:
            if required:
                rj.add(i, "unknown_reference", field=name, found="", expected=where)
            out.append(None)
        elif v not in known:
            rj.add(i, "unknown_reference", field=name, found=v, expected=where)
            out.append(None)
        else:
            out.append(known[v])
    return out


def _chain_link(chains, link_values, links: dict[str, tuple[str, ...]], rj: RowRejects):
    codes = parse_chains(chains, rj)
    out_c, out_l = [], []
    for i, (cs, link) in enumerate(zip(codes, link_values)):
        link = (link or "").strip() or None
        if len(cs) > 1:
            rj.add(i, "one_chain", found="、".join(schema.CHAINS[c][0] for c in cs))
        chain = cs[0] if cs else None
        if link is not None:
            if chain is None:  # the link names its chain when only one chain has it
                owners = [c for c, ls in links.items() if link in ls]
                chain = owners[0] if len(owners) == 1 else None
            allowed = links.get(chain, ()) if chain else ()
            if chain is None or (allowed and link not in allowed):
                rj.add(i, "unknown_link", chain=schema.CHAINS[chain][0] if chain else "?", found=link,
                       expected="、".join(allowed) if allowed else "[industry.links]")
        out_c.append(chain)
        out_l.append(link)
    return out_c, out_l


def _required_vocab(values, words, name: str, names, rj: RowRejects) -> list[str | None]:
    out = parse_vocab(values, words, name, names, rj)
    for i, v in enumerate(out):
        if v is None:
            rj.add(i, "unknown_value", field=name, found="", expected=vocab.choices(names))
    return out


def _years(values, rj: RowRejects) -> list[int | None]:
    out = []
    for i, v in enumerate(values):
        t = (v or "").strip().removesuffix("年").removesuffix(".0")
        if t.isdigit() and 1949 <= int(t) <= 2100:
            out.append(int(t))
        else:
            rj.add(i, "bad_year", found=v or "")
            out.append(None)
    return out


def _dates(values, name: str, rj: RowRejects) -> list[str | None]:
    """ISO text of the precision given: ``2024``, ``2024-05`` or ``2024-05-20``."""
    out: list[str | None] = []
    for i, v in enumerate(values):
        if v is None or not v.strip():
            out.append(None)
            continue
        text = v.strip().split("T")[0].split(" ")[0] if re.match(r"^\d{4}-\d\d-\d\dT", v.strip()) else v
        m = _DATE.match(text)
        try:
            if not m:
                raise ValueError(v)
            y, mo, d = m.group(1), m.group(2), m.group(3)
            dt.date(int(y), int(mo or 1), int(d or 1))
        except ValueError:
            rj.add(i, "bad_date", field=name, found=v)
            out.append(None)
            continue
        out.append("-".join([y] + [f"{int(p):02d}" for p in (mo, d) if p]))
    return out


def _adcodes(values, refs: _Refs, rj: RowRejects) -> list[str | None]:
    out = []
    for i, v in enumerate(values):
        v = (v or "").strip()
        if v and v not in refs.adcodes:
            rj.add(i, "adcode_unknown", found=v)
        out.append(v or None)
    return out


def _project_positions(out: dict, col, src: TableSource, refs: _Refs, bbox, rj: RowRejects, file: str) -> None:
    """Own coordinates (any declared CRS) else the owner enterprise's or park's position."""
    lon = parse_numbers(col("lon"), "lon", rj, "a longitude")
    lat = parse_numbers(col("lat"), "lat", rj, "a latitude")
    x = np.array([np.nan if v is None else v for v in lon], float)
    y = np.array([np.nan if v is None else v for v in lat], float)
    has = np.isfinite(x) & np.isfinite(y)
    if has.any():
        try:
            spec = parse_crs(src.crs or "WGS84")
        except CrsError:
            raise DataError([Problem("crs_unknown", file, {"found": src.crs})]) from None
        x[has], y[has] = to_wgs84(x[has], y[has], spec)
    given = _adcodes(col("adcode"), refs, rj)
    adcode = list(given)
    for i in range(len(x)):
        if has[i]:
            if not (bbox[0] <= x[i] <= bbox[2] and bbox[1] <= y[i] <= bbox[3]):
                rj.add(i, "outside_bbox", lon=round(float(x[i]), 6), lat=round(float(y[i]), 6),
                       bbox=list(bbox), crs=src.crs or "WGS84")
            continue
        owner = (("enterprises", out["enterprise"][i]) if out["enterprise"][i] else
                 ("parks", out["park"][i]) if out["park"][i] else None)
        if owner and owner in refs.positions:
            x[i], y[i], a = refs.positions[owner]
            adcode[i] = adcode[i] or a
    out["lon"] = [None if not np.isfinite(v) else float(v) for v in x]
    out["lat"] = [None if not np.isfinite(v) else float(v) for v in y]
    out["adcode"] = adcode


def _columns(table: str) -> list[str]:
    """The store's column names of ``table`` in DDL order."""
    ddl = schema.TABLES[table].replace("\n", " ")
    return [p.strip().split()[0].strip('"') for p in ddl.split(",") if p.strip()]


_TYPES = {"VARCHAR": pa.string(), "DOUBLE": pa.float64(), "SMALLINT": pa.int16(), "INTEGER": pa.int32(),
          "BOOLEAN": pa.bool_(), "VARCHAR[]": pa.list_(pa.string())}


def _arrow(table: str, df: pd.DataFrame) -> pa.Table:
    """Rows of an industry table in the store's column order and types."""
    ddl = schema.TABLES[table].replace("\n", " ")
    arrays, names = [], []
    for part in (p.strip() for p in ddl.split(",") if p.strip()):
        name, kind = part.split()[0].strip('"'), part.split()[1]
        values = df[name].tolist() if name in df else [None] * len(df)
        values = [None if (v is None or (isinstance(v, float) and np.isnan(v))) else v for v in values]
        arrays.append(pa.array(values, type=_TYPES[kind]))
        names.append(name)
    return pa.Table.from_arrays(arrays, names=names)
