"""SYNTHETIC demo stock ledger and production capacity of the JJJ demo (rule in geodata/README.md).

Run alone (``.venv/bin/python geodata/scripts/demo_materials.py``) or from make_demo.py. Reads
``reserves_synthetic.csv``, the two enterprise CSVs and ``materials.toml``; writes
``stock_synthetic.csv`` (a long 台账: 储备库编号, 储备库, 物资名称, 规格型号, 计量单位, 数量, 入库日期, 合成数据)
and ``capacity_synthetic.csv`` (企业, 物资名称, 日产能, 计量单位, 转产时间(小时), 协议类型, 合成数据).

The rule
--------
Stock. Each depot tier is stocked for a *design event*: the displaced persons and flooded km²
it should serve on its own (demo assumption, after the tiered "level-II response" stocking
targets): county 5,000 persons / 50 km², municipal 20,000 / 200 km², provincial 100,000 /
1,000 km², national 300,000 / 3,000 km², rescue agency 2,000 / 40 km². A depot's quantity of
a material = the catalogue's flood (or "*") norm x the design basis (displaced, displaced / 2.62
households, affected = 3 x displaced, or km²; per-day norms x 1 day) x a lognormal factor
(sigma 0.35, median 1), rounded to whole units. A depot holds a material with a probability by
tier and category (county depots: 生活类 0.85, 救援类 0.55, 医疗防护类 0.5, 通信类 0.3; higher
tiers hold more; rescue agencies hold only 救援类 and 通信类). Materials without a flood or
"*" norm are stocked at 1 % of the displaced design basis. Enterprise-tier reserves hold no
stock (their capacity is in the capacity list).

Capacity. Every above-size or leading enterprise makes 1-2 catalogue materials of its first
chain (CHAIN_MATERIALS below), at a per-day output drawn around the material's typical line
output (DAILY), ramp-up 12-72 h (uniform in steps of 6 h), agreement 产能储备协议 (30 %),
代储 (10 %) or 无.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_common import OUT, rng_for  # noqa: E402

DESIGN = {  # tier -> (displaced persons, flooded km2)
    "国家级": (300_000, 3_000), "省级": (100_000, 1_000), "市级": (20_000, 200), "县级": (5_000, 50),
    "救援队伍": (2_000, 40),
}
HOLD = {  # tier -> category -> probability of holding a material
    "国家级": {"生活类": 1.0, "救援类": 0.9, "医疗防护类": 0.9, "通信类": 0.8},
    "省级": {"生活类": 0.95, "救援类": 0.8, "医疗防护类": 0.8, "通信类": 0.6},
    "市级": {"生活类": 0.9, "救援类": 0.7, "医疗防护类": 0.6, "通信类": 0.4},
    "县级": {"生活类": 0.85, "救援类": 0.55, "医疗防护类": 0.5, "通信类": 0.3},
    "救援队伍": {"生活类": 0.0, "救援类": 0.8, "医疗防护类": 0.3, "通信类": 0.7},
}
CHAIN_MATERIALS = {
    "防控防护装备": ["tent", "sleeping_bag", "protective_suit", "mask", "respirator", "quilt", "coat"],
    "城市内涝应急救援装备": ["pump", "generator", "lighting", "sandbag", "geotextile"],
    "抢险救援装备": ["breaking_tools", "life_detector", "shoring", "life_jacket", "life_buoy", "folding_bed"],
    "医学救援装备": ["first_aid_kit", "stretcher", "disinfectant", "hygiene_kit"],
    "应急通信装备": ["satphone", "radio", "portable_station", "power_bank"],
    "无人救援装备": ["uav"],
    "消防救援装备": ["fire_extinguisher", "chainsaw", "water_bag"],
    "特种交通装备": ["assault_boat", "toilet"],
    "预测预警装备": ["water_purifier", "power_bank"],
    "安全生产事故应急救援装备": ["respirator", "protective_suit"],
}
DAILY = {  # typical per-day output of one line, in the catalogue unit
    "tent": 300, "sleeping_bag": 800, "protective_suit": 3000, "mask": 100_000, "respirator": 40,
    "quilt": 2000, "coat": 1500, "pump": 25, "generator": 20, "lighting": 40, "sandbag": 50_000,
    "geotextile": 20_000, "breaking_tools": 10, "life_detector": 2, "shoring": 10, "life_jacket": 2000,
    "life_buoy": 800, "folding_bed": 1000, "first_aid_kit": 3000, "stretcher": 300, "disinfectant": 5000,
    "hygiene_kit": 5000, "satphone": 30, "radio": 300, "portable_station": 3, "power_bank": 200, "uav": 10,
    "fire_extinguisher": 500, "chainsaw": 50, "water_bag": 400, "assault_boat": 8, "toilet": 30,
    "water_purifier": 5,
}
HOUSEHOLD = 2.62
AS_OF = "2026-06-30"
#: Materials added to the catalogue after the first ledger: stocked by the same rule from their own
#: random stream, so the rows of the earlier materials stay as they were.
LATER = ("gloves", "raincoat", "beidou_terminal", "broadcast_speaker")


def _catalogue() -> list[dict]:
    return tomllib.loads((OUT / "materials.toml").read_text(encoding="utf-8"))["material"]


def _basis(m: dict, displaced: float, km2: float) -> float:
    norms = [n for n in m.get("norm", []) if n["hazard"] in ("flood", "*")]
    if not norms:
        return 0.01 * displaced
    n = norms[0]
    base = {"displaced": displaced, "household": displaced / HOUSEHOLD, "affected": 3 * displaced,
            "km2": km2}[n["per"]]
    return n["quantity"] * base


def stock() -> pd.DataFrame:
    """The long 台账 of every non-enterprise depot."""
    rng, later = rng_for("stock"), rng_for("stock-later")
    reserves = pd.read_csv(OUT / "reserves_synthetic.csv", dtype=str)
    mats = _catalogue()
    mats = [m for m in mats if m["code"] not in LATER] + [m for m in mats if m["code"] in LATER]
    rows = []
    for _, r in reserves.iterrows():
        tier = next((t for t in DESIGN if r["级别"].startswith(t[:2])), None)
        if tier is None:
            continue
        displaced, km2 = DESIGN[tier]
        for m in mats:
            rng_m = later if m["code"] in LATER else rng
            if rng_m.random() >= HOLD[tier][m["category"][0]]:
                continue
            q = round(_basis(m, displaced, km2) * float(rng_m.lognormal(0.0, 0.35)))
            if q <= 0:
                continue
            rows.append({"储备库编号": r["编号"], "储备库": r["名称"], "物资名称": m["name"], "规格型号": "", "计量单位": m["unit"],
                         "数量": q, "入库日期": AS_OF, "合成数据": "是"})
    return pd.DataFrame(rows)


def capacity() -> pd.DataFrame:
    rng = rng_for("capacity")
    ents = pd.concat([pd.read_csv(OUT / f, dtype=str) for f in ("enterprises_leading.csv", "enterprises_synthetic.csv")],
                     ignore_index=True)
    names = {m["code"]: (m["name"], m["unit"]) for m in _catalogue()}
    rows = []
    for _, e in ents.iterrows():
        if e.get("规上") != "是" and e.get("链主") != "是":
            continue
        chain = str(e["产业链"]).split("、")[0]
        pool = CHAIN_MATERIALS.get(chain, [])
        if not pool:
            continue
        for code in rng.choice(pool, size=min(len(pool), int(rng.integers(1, 3))), replace=False):
            per_day = max(1, round(DAILY[code] * float(rng.lognormal(0.0, 0.5))))
            agreement = rng.choice(["产能储备协议", "代储", "无"], p=[0.3, 0.1, 0.6])
            rows.append({"企业": e["企业名称"], "物资名称": names[code][0], "日产能": per_day,
                         "计量单位": names[code][1], "转产时间(小时)": int(rng.integers(2, 13)) * 6,
                         "协议类型": agreement, "合成数据": "是"})
    return pd.DataFrame(rows)


def main() -> None:
    for name, df in (("stock_synthetic.csv", stock()), ("capacity_synthetic.csv", capacity())):
        df.to_csv(OUT / name, index=False, encoding="utf-8-sig", lineterminator="\n")
        print(f"{name}: {len(df)} rows")


if __name__ == "__main__":
    main()
