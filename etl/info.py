"""What a store holds: ``onemap info`` (JSON and a readable summary)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from etl import schema
from etl.store import open_store


def store_info(db: str | Path) -> dict[str, Any]:
    """Everything ``onemap info --json`` prints.

    Raises
    ------
    StoreError
        Missing, unreadable or another schema version.
    """
    con = open_store(db)
    try:
        meta = {k: json.loads(v) for k, v in con.execute("SELECT key, value FROM meta").fetchall()}
        tables = {t: con.execute(f"SELECT count(*) FROM {schema.check_identifier(t)}").fetchone()[0]
                  for t in schema.TABLES}
        hazards = {}
        for h, src, units, breaks, labels, synth, crs, w, hgt, px, desc in con.execute(
            "SELECT hazard, source, units, breaks, labels, synthetic, crs, width, height, pixel_size, "
            "description FROM hazard_layers ORDER BY hazard"
        ).fetchall():
            cells = dict(con.execute(
                "SELECT res, count(*) FROM hazard_cells WHERE hazard = ? GROUP BY res ORDER BY res", [h]
            ).fetchall())
            sampled = dict(con.execute(
                "SELECT res, count(*) FROM hazard_cells WHERE hazard = ? AND sampled GROUP BY res ORDER BY res", [h]
            ).fetchall())
            hazards[h] = {
                "source": src, "units": units, "breaks": breaks, "labels": labels, "synthetic": synth,
                "crs": crs, "size": [w, hgt], "pixel_size": px, "description": desc,
                "cells": {str(k): v for k, v in cells.items()},
                "sampled_cells": {str(k): v for k, v in sampled.items()},
            }
        cols = ["source", "entity", "path", "sha256", "rows_in", "rows_loaded", "rows_rejected", "synthetic", "crs"]
        sources = [dict(zip(cols, r)) for r in con.execute(f"SELECT {', '.join(cols)} FROM sources ORDER BY source").fetchall()]
        rejects = [
            {"source": s, "reason_code": c, "rows": n}
            for s, c, n in con.execute(
                "SELECT source, reason_code, count(*) FROM rejects GROUP BY ALL ORDER BY 1, 2").fetchall()
        ]
        admin = dict(con.execute("SELECT level, count(*) FROM admin_units GROUP BY level").fetchall())
        tiers = dict(con.execute("SELECT tier, count(*) FROM reserves GROUP BY tier").fetchall())
        ent = con.execute(
            'SELECT count(*), count(*) FILTER (above_size), count(*) FILTER ("leading"), '
            "count(*) FILTER (synthetic), sum(output_yi) FROM enterprises").fetchone()
        parks = dict(con.execute("SELECT level, count(*) FROM parks GROUP BY level").fetchall())
    finally:
        con.close()
    return {
        "path": str(db), "schema_version": meta.get("schema_version"), "build_id": meta.get("build_id"),
        "built_at": meta.get("built_at"), "region": meta.get("region"), "region_name": meta.get("region_name"),
        "resolutions": meta.get("resolutions"), "synthetic_note": meta.get("synthetic_note"),
        "hazard_method": meta.get("hazard_method"), "tables": tables, "hazards": hazards,
        "exposure": meta.get("exposure"), "hazard_vector": meta.get("hazard_vector") or {},
        "sources": sources, "rejects": rejects,
        "admin_units": {lvl: admin.get(lvl, 0) for lvl in schema.ADMIN_LEVELS},
        "reserves_by_tier": {t: tiers.get(t, 0) for t in schema.RESERVE_TIERS},
        "parks_by_level": {**{lvl: parks.get(lvl, 0) for lvl in schema.PARK_LEVELS},
                           **({"unspecified": parks[None]} if None in parks else {})},
        "enterprises": {"total": ent[0], "above_size": ent[1], "leading": ent[2], "synthetic": ent[3],
                        "output_yi": ent[4]},
    }


def format_info(info: dict[str, Any], lang: str = "zh") -> str:
    """A short human summary of ``store_info``."""
    zh = lang == "zh"
    L = (lambda a, b: a if zh else b)  # noqa: E731
    out = [
        f"{L('数据库', 'store')}: {info['path']}  {L('区域', 'region')}: {info['region_name']} ({info['region']})",
        f"{L('构建', 'build')}: {info['build_id']} @ {info['built_at']}  {L('结构版本', 'schema')} {info['schema_version']}"
        f"  H3 {L('分辨率', 'resolutions')}: {info['resolutions']}",
        f"{L('行政区', 'admin units')}: " + ", ".join(
            f"{schema.ADMIN_LEVELS[k][0 if zh else 1]} {v}" for k, v in info["admin_units"].items()),
        f"{L('园区', 'parks')}: {info['tables']['parks']}  "
        f"{L('企业', 'enterprises')}: {info['enterprises']['total']} "
        f"({L('规上', 'above size')} {info['enterprises']['above_size']}, {L('合成', 'synthetic')} {info['enterprises']['synthetic']})",
        f"{L('储备', 'reserves')}: " + ", ".join(
            f"{schema.RESERVE_TIERS[k][0 if zh else 1]} {v}" for k, v in info["reserves_by_tier"].items()),
    ]
    for h, d in info["hazards"].items():
        cells = ", ".join(f"r{k}: {v:,}" for k, v in d["cells"].items())
        tag = L("（合成）", " (synthetic)") if d["synthetic"] else ""
        label = schema.HAZARD_NAMES.get(h, (h, h))[0 if zh else 1]
        out.append(f"{L('灾害', 'hazard')} {label}{tag} [{d['units']}] {L('断点', 'breaks')} {d['breaks']}  {cells}")
    exp = info.get("exposure")
    if exp:
        tag = L("（合成）", " (synthetic)") if exp.get("synthetic") else ""
        out.append(f"{L('人口', 'population')}{tag}: {exp['total']:,.0f} {L('人（区域内）', 'people in the region')}, "
                   f"{exp['outside']:,.0f} {L('人在区域外（未计入）', 'outside it (not stored)')}  "
                   f"{L('来源', 'source')}: {exp['source']}")
    rej = sum(r["rows"] for r in info["rejects"])
    out.append(f"{L('数据源', 'sources')}: {len(info['sources'])}  {L('拒收行', 'rejected rows')}: {rej}")
    vector = info.get("hazard_vector") or {}
    for s in info["sources"]:
        v = vector.get(s["source"].removeprefix("hazard:")) if s["entity"] == "hazard" else None
        if v is not None:  # zones / events / lines: rows are features
            out.append(f"  {s['source']}: {s['rows_in']:,} → {s['rows_loaded']:,} "
                       f"({L('拒收', 'rejected')} {s['rows_rejected']}"
                       + (f"{L('，修复无效几何', ', invalid geometries repaired')} {v['repaired']}" if v.get("repaired") else "")
                       + (f"{L('，不在时段或震级范围内', ', outside the period or magnitude range')} {v['filtered']}" if v.get("filtered") else "")
                       + (f"{L('，在区域外', ', outside the region')} {v['outside']}" if v.get("outside") else "")
                       + ")")
        elif s["entity"] in ("hazard", "exposure"):  # rows are pixels; the difference is nodata
            out.append(f"  {s['source']}: {s['rows_in']:,} {L('像元', 'pixels')} → "
                       f"{s['rows_loaded']:,} {L('有效像元', 'valid pixels')}")
        else:
            blank = s["rows_in"] - s["rows_loaded"] - s["rows_rejected"]
            out.append(f"  {s['source']}: {s['rows_in']:,} → {s['rows_loaded']:,} "
                       f"({L('拒收', 'rejected')} {s['rows_rejected']}"
                       + (f"{L('，空行', ', blank rows')} {blank}" if blank > 0 else "") + ")")
    if info.get("synthetic_note"):
        out.append(info["synthetic_note"])
    return "\n".join(out)
