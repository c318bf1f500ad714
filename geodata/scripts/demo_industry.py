"""SYNTHETIC 四库一清单 of the Jing-Jin-Ji demo: yearly panel, products, projects, leads, tasks.

Run from the project root (reads the enterprise and park CSVs already in ``geodata/jjj/``)::

    .venv/bin/python geodata/scripts/demo_industry.py

Writes ``geodata/jjj/industry/*.csv``. Rules (seeded, deterministic; also in geodata/README.md):

- ``enterprise_years_synthetic.csv``: one row per enterprise and year 2020-2025. 2022 output is
  the enterprise file's 产值亿元 (synthetic firms: 2,415 亿元 in all, the plan's published
  2022 total). 2021 and 2020 go back by a per-firm growth factor (lognormal around the regional
  ratio, sigma 0.06) rescaled so the regional sums are exactly the published 2,236 and 2,070
  亿元. 2023-2025 are SYNTHETIC: regional growth 6.5 %, 7.0 %, 7.0 % with the same per-firm
  spread. Revenue = output x U(0.92, 1.05); employees = 60-110 per 亿元 (at least 8);
  R&D = 2-6 % of revenue; above size = output >= 0.2 亿元 (2,000 万元); listed as in the
  enterprise file plus 2 listings a year from 2023; 专精特新 / 小巨人 / 单项冠军 drawn among
  above-size firms (rising shares). The 11 REAL leading firms carry flags only (their
  figures are not published in the plans and are not invented). Park: the first park of the
  firm's county, if any.
- ``products_synthetic.csv``: each product listed in an enterprise's 主要产品, with its
  chain and link (``PRODUCT_LINKS``), a certification and a national recommended-list flag (5 %).
- ``projects_synthetic.csv``: 60 projects, 30 of them key projects (重点项目), owners drawn
  among above-size firms or parks, stages spread over 谋划/储备/开工/在建/投产.
- ``leads_synthetic.csv``: 100 leads (拟引进企业, names marked （合成）) aimed mostly at the
  links no local firm covers; ``tasks_synthetic.csv``: 2-3 tasks per city linked to its leads.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_common import OUT, rng_for  # noqa: E402

logger = logging.getLogger("demo_industry")
DIR = OUT / "industry"
YEARS = (2020, 2021, 2022, 2023, 2024, 2025)
PUBLISHED = {2020: 2070.0, 2021: 2236.0, 2022: 2415.0}  # seed 000 一、发展基础
GROWTH = {2023: 0.065, 2024: 0.07, 2025: 0.07}  # SYNTHETIC
CHAIN_ZH = {
    "waterlogging": "城市内涝应急救援装备", "medical": "医学救援装备", "warning": "预测预警装备",
    "protection": "防控防护装备", "rescue": "抢险救援装备", "unmanned": "无人救援装备",
    "comms": "应急通信装备", "firefighting": "消防救援装备", "transport": "特种交通装备",
    "industrial": "安全生产事故应急救援装备",
}
ZH_CHAIN = {v: k for k, v in CHAIN_ZH.items()}
#: Each chain's links, upstream to downstream (also in geodata/regions/jjj.toml [industry.links]).
LINKS = {
    "waterlogging": ["泵阀电机核心部件", "排涝泵车与移动泵站", "两栖救援装备", "防汛挡水器材", "运维与应急服务"],
    "medical": ["医用材料与耗材", "急救与生命支持设备", "救护车辆与方舱", "医学救援包与物资", "远程医疗与培训服务"],
    "warning": ["传感器与芯片", "监测仪器", "预警系统与平台", "数据与运维服务"],
    "protection": ["防护材料", "个体防护装备", "呼吸防护器材", "特种线缆与防护设施"],
    "rescue": ["液压与动力部件", "生命搜索与探测", "破拆与支护器材", "应急电源与照明", "工程抢险机械"],
    "unmanned": ["材料与元器件", "动力系统", "飞控与载荷", "整机制造", "运维与培训服务"],
    "comms": ["芯片与模组", "通信终端", "卫星与自组网设备", "指挥车与指挥系统", "网络运营服务"],
    "firefighting": ["灭火剂与材料", "消防器材", "消防车辆", "森林灭火装备", "消防员防护"],
    "transport": ["底盘与专用部件", "特种救援车辆", "舟桥与船艇", "航空救援", "维保服务"],
    "industrial": ["侦检仪器", "危化品处置装备", "矿山救援装备", "洗消与堵漏器材"],
}
PRODUCT_LINKS = {
    "大流量排涝泵车": "排涝泵车与移动泵站", "移动泵站": "排涝泵车与移动泵站", "水陆两栖救援车": "两栖救援装备",
    "防汛挡水板": "防汛挡水器材", "便携式呼吸机": "急救与生命支持设备", "负压救护车": "救护车辆与方舱",
    "医学急救包": "医学救援包与物资", "移动方舱医院": "救护车辆与方舱", "地质灾害监测仪": "监测仪器",
    "气体检测报警仪": "监测仪器", "水文监测站": "监测仪器", "智能视频预警系统": "预警系统与平台",
    "防护服": "个体防护装备", "医用口罩": "个体防护装备", "正压式空气呼吸器": "呼吸防护器材",
    "耐火电缆": "特种线缆与防护设施", "生命探测仪": "生命搜索与探测", "液压破拆工具": "破拆与支护器材",
    "应急电源车": "应急电源与照明", "工程抢险机械": "工程抢险机械", "多旋翼无人机": "整机制造",
    "消防机器人": "整机制造", "无人救援艇": "整机制造", "排爆机器人": "整机制造", "便携卫星站": "卫星与自组网设备",
    "应急指挥车": "指挥车与指挥系统", "自组网电台": "卫星与自组网设备", "应急广播终端": "通信终端",
    "泡沫消防车": "消防车辆", "灭火器": "消防器材", "风力灭火机": "森林灭火装备", "消防员防护装备": "消防员防护",
    "隧道救援车": "特种救援车辆", "应急舟桥": "舟桥与船艇", "除雪车": "特种救援车辆", "应急救援船": "舟桥与船艇",
    "危化品侦检车": "侦检仪器", "矿山救生舱": "矿山救援装备", "洗消装备": "洗消与堵漏器材", "堵漏工具": "洗消与堵漏器材",
    # the real leading firms' products (seed 000 and their public descriptions)
    "职业装": "个体防护装备", "防护服装": "个体防护装备", "专网通信": "通信终端",
    "应急指挥通信系统": "指挥车与指挥系统", "工程抢险救援装备": "工程抢险机械", "无人直升机": "整机制造",
    "环境监测仪器": "监测仪器", "监测预警系统": "预警系统与平台", "索具": "破拆与支护器材",
    "吊装救援器材": "破拆与支护器材", "呼吸机": "急救与生命支持设备", "麻醉机": "急救与生命支持设备",
    "火灾自动报警": "消防器材", "消防设备": "消防器材",
}
CERTS = ["CCC 认证", "ISO 9001", "CE", "消防产品认证（CCCF）", "矿用产品安全标志（MA）", ""]
CITY_NAMES = {"1101": "北京市", "1201": "天津市", "1301": "石家庄市", "1302": "唐山市", "1303": "秦皇岛市",
              "1304": "邯郸市", "1305": "邢台市", "1306": "保定市", "1307": "张家口市", "1308": "承德市",
              "1309": "沧州市", "1310": "廊坊市", "1311": "衡水市"}
ORIGINS = ["深圳市", "杭州市", "上海市", "西安市", "成都市", "苏州市", "武汉市", "南京市", "合肥市", "广州市"]


def _city(adcode: str) -> str:
    return adcode[:2] + "01" if adcode[:2] in ("11", "12") else adcode[:4]


def _firms() -> pd.DataFrame:
    syn = pd.read_csv(OUT / "enterprises_synthetic.csv", dtype=str, encoding="utf-8-sig")
    lead = pd.read_csv(OUT / "enterprises_leading.csv", dtype=str, encoding="utf-8-sig")
    syn["output"] = syn["产值亿元"].astype(float)
    lead["output"] = np.nan
    lead["区县代码"] = None
    cols = ["编号", "企业名称", "区县代码", "产业链", "规上", "链主", "上市", "主要产品", "output"]
    return pd.concat([lead[cols], syn[cols]], ignore_index=True)


def _scale_to(values: np.ndarray, total: float) -> np.ndarray:
    """Round to 0.01 with the regional sum exactly ``total`` (residual on the largest)."""
    v = np.round(values * total / values.sum(), 2)
    v[np.argmax(v)] += round(total - v.sum(), 2)
    return np.round(v, 2)


def panel(firms: pd.DataFrame, parks: pd.DataFrame) -> pd.DataFrame:
    rng = rng_for("industry-panel")
    syn = firms["output"].notna().to_numpy()
    out = {2022: firms.loc[syn, "output"].to_numpy(float)}
    for y in (2021, 2020):
        factor = rng.lognormal(np.log(PUBLISHED[y + 1] / PUBLISHED[y]), 0.06, syn.sum())
        out[y] = _scale_to(out[y + 1] / factor, PUBLISHED[y])
    for y in (2023, 2024, 2025):
        factor = rng.lognormal(np.log(1 + GROWTH[y]), 0.06, syn.sum())
        out[y] = _scale_to(out[y - 1] * factor, round(out[y - 1].sum() * (1 + GROWTH[y]), 2))
    park_of = {}
    for pid, county in zip(parks["编号"], parks["区县代码"]):
        park_of.setdefault(county, pid)
    listed = (firms["上市"] == "是").to_numpy().copy()
    spec = np.zeros(len(firms), bool)
    giant = np.zeros(len(firms), bool)
    champ = np.zeros(len(firms), bool)
    rows = []
    idx_syn = np.flatnonzero(syn)
    for y in YEARS:
        o = np.full(len(firms), np.nan)
        o[idx_syn] = out[y]
        above = (o >= 0.2) | ~syn
        cand = np.flatnonzero(above & syn)
        if y >= 2023:
            listed[rng.choice(np.flatnonzero(above & syn & ~listed), 2, replace=False)] = True
        spec |= np.isin(np.arange(len(firms)), rng.choice(cand, int(0.015 * len(cand)), replace=False))
        giant |= spec & (rng.random(len(firms)) < 0.04)
        if y == 2021:
            champ[rng.choice(cand, 3, replace=False)] = True
        rev = np.round(o * rng.uniform(0.92, 1.05, len(firms)), 2)
        emp = np.where(syn, np.maximum(8, np.round(o * rng.uniform(60, 110, len(firms)))), np.nan)
        rd = np.round(rev * rng.uniform(0.02, 0.06, len(firms)), 3)
        for i in range(len(firms)):
            f = firms.iloc[i]
            rows.append({
                "企业编号": f["编号"], "年份": y,
                "产值亿元": "" if np.isnan(o[i]) else f"{o[i]:.2f}",
                "营业收入亿元": "" if np.isnan(rev[i]) else f"{rev[i]:.2f}",
                "从业人员": "" if np.isnan(emp[i]) else int(emp[i]),
                "研发投入亿元": "" if np.isnan(rd[i]) else f"{rd[i]:.3f}",
                "规上": "是" if above[i] else "否", "上市": "是" if listed[i] else "否",
                "专精特新": "是" if spec[i] else "否", "小巨人": "是" if giant[i] else "否",
                "单项冠军": "是" if champ[i] else "否", "链主": f["链主"],
                "所属园区": park_of.get(f["区县代码"], "") if isinstance(f["区县代码"], str) else "",
                "合成数据": "否（仅标志）" if not syn[i] else "是",
            })
    return pd.DataFrame(rows)


def products(firms: pd.DataFrame) -> pd.DataFrame:
    rng = rng_for("industry-products")
    rows = []
    for f in firms.itertuples():
        chains = [ZH_CHAIN[c] for c in str(f.产业链).split("、") if c in ZH_CHAIN]
        for name in [p for p in str(f.主要产品 if isinstance(f.主要产品, str) else "").split("、") if p]:
            link = PRODUCT_LINKS.get(name, "")
            chain = next((c for c in chains if link in LINKS[c]), chains[0] if chains else "")
            rows.append({"产品编号": f"PR{len(rows) + 1:05d}", "企业编号": f.编号, "产品名称": name,
                         "产业链": CHAIN_ZH.get(chain, ""), "产业链环节": link if link in LINKS.get(chain, []) else "",
                         "物资编码": "", "认证": str(rng.choice(CERTS)),
                         "入选推荐目录": "是" if rng.random() < 0.05 else "否"})
    return pd.DataFrame(rows)


def _covered(prods: pd.DataFrame) -> set[tuple[str, str]]:
    return {(ZH_CHAIN[c], l) for c, l in zip(prods["产业链"], prods["产业链环节"]) if c and l}


def projects(firms: pd.DataFrame, parks: pd.DataFrame, covered: set) -> pd.DataFrame:
    rng = rng_for("industry-projects")
    big = firms[(firms["output"] >= 1.0)].reset_index(drop=True)
    stages = ["谋划"] * 8 + ["储备"] * 10 + ["开工"] * 12 + ["在建"] * 18 + ["投产"] * 12
    rng.shuffle(stages)
    key = np.zeros(60, bool)
    key[rng.choice(60, 30, replace=False)] = True
    rows = []
    for i, stage in enumerate(stages):
        if rng.random() < 0.7:
            f = big.iloc[int(rng.integers(len(big)))]
            owner_e, owner_p, county = f["编号"], "", f["区县代码"]
            chain = ZH_CHAIN[str(f["产业链"]).split("、")[0]]
        else:
            p = parks.iloc[int(rng.integers(len(parks)))]
            owner_e, owner_p, county = "", p["编号"], p["区县代码"]
            chain = ZH_CHAIN[str(p["产业链"]).split("、")[0]]
        gaps = [l for l in LINKS[chain] if (chain, l) not in covered]
        link = str(rng.choice(gaps)) if gaps and rng.random() < 0.5 else str(rng.choice(LINKS[chain]))
        start = int(rng.integers(2021, 2027))
        order = ["谋划", "储备", "开工", "在建", "投产"].index(stage)
        if order <= 1:
            start = max(start, 2026)
        rows.append({
            "项目编号": f"XM{i + 1:03d}",
            "项目名称": f"（合成）{CITY_NAMES[_city(county)]}{link}{'产业化' if order >= 2 else '谋划'}项目{i + 1:02d}",
            "建设单位": owner_e, "所在园区": owner_p, "产业链": CHAIN_ZH[chain], "产业链环节": link,
            "项目阶段": stage, "总投资亿元": f"{float(np.clip(rng.lognormal(np.log(6), 0.8), 0.5, 60)):.1f}",
            "计划开工": f"{start}-{int(rng.integers(1, 13)):02d}",
            "计划投产": f"{start + int(rng.integers(1, 3))}-{int(rng.integers(1, 13)):02d}",
            "实际开工": f"{min(start, 2025)}-{int(rng.integers(1, 13)):02d}" if order >= 2 else "",
            "实际投产": f"{min(start + 1, 2026)}-{int(rng.integers(1, 13)):02d}" if order == 4 else "",
            "重点项目": "是" if key[i] else "否", "合成数据": "是",
        })
    return pd.DataFrame(rows)


def leads(parks: pd.DataFrame, covered: set) -> pd.DataFrame:
    rng = rng_for("industry-leads")
    stages = ["接洽"] * 40 + ["洽谈"] * 30 + ["签约"] * 20 + ["落地"] * 10
    rng.shuffle(stages)
    gaps = [(c, l) for c, ls in LINKS.items() for l in ls if (c, l) not in covered]
    rows = []
    for i, stage in enumerate(stages):
        chain, link = gaps[int(rng.integers(len(gaps)))] if rng.random() < 0.75 else (
            (c := str(rng.choice(list(LINKS)))), str(rng.choice(LINKS[c])))
        fit = parks[parks["产业链"].str.contains(CHAIN_ZH[chain])]
        p = (fit if len(fit) else parks).iloc[int(rng.integers(len(fit) if len(fit) else len(parks)))]
        city = CITY_NAMES[_city(p["区县代码"])]
        rows.append({
            "线索编号": f"ZS{i + 1:03d}", "拟引进企业": f"（合成）{rng.choice(ORIGINS)[:2]}某{link}科技有限公司",
            "来源地": str(rng.choice(ORIGINS)), "产业链": CHAIN_ZH[chain], "产业链环节": link,
            "意向投资亿元": f"{float(np.clip(rng.lognormal(np.log(3), 0.9), 0.3, 40)):.1f}", "洽谈阶段": stage,
            "责任单位": f"{city}商务局" if rng.random() < 0.5 else f"{p['名称']}管委会",
            "下一步": {"接洽": "实地考察", "洽谈": "商谈投资协议", "签约": "办理供地与立项", "落地": "跟踪开工"}[stage],
            "下一步时间": f"2027-{int(rng.integers(1, 7)):02d}", "拟落地园区": p["编号"],
            "落地区县代码": p["区县代码"], "合成数据": "是",
        })
    return pd.DataFrame(rows)


def tasks(ld: pd.DataFrame) -> pd.DataFrame:
    rng = rng_for("industry-tasks")
    rows = []
    ld = ld.assign(city=[_city(a) for a in ld["落地区县代码"]])
    for prefix, city in CITY_NAMES.items():
        mine = ld[ld["city"] == prefix]
        groups = list(mine.groupby(["产业链", "产业链环节"]))[:3] or [((CHAIN_ZH["unmanned"], "整机制造"), mine)]
        for (chain, link), g in groups:
            n = int(rng.integers(1, 4))
            status = str(rng.choice(["未启动", "推进中", "推进中", "已完成", "已逾期"]))
            deadline = "2026-06" if status == "已逾期" else f"{int(rng.choice([2026, 2027]))}-12"
            rows.append({
                "任务编号": f"RW{len(rows) + 1:03d}", "责任单位": f"{city}工业和信息化局",
                "任务目标": f"引进{chain}「{link}」企业 {n} 家", "产业链": chain, "产业链环节": link,
                "目标数量": n, "完成时限": deadline, "状态": status,
                "关联线索": "、".join(g["线索编号"]), "区县代码": prefix + "00" if len(prefix) == 4 else "",
                "合成数据": "是",
            })
    return pd.DataFrame(rows)


def main() -> None:
    """Write the five CSVs of ``geodata/jjj/industry/`` and log the panel's output by year."""
    DIR.mkdir(exist_ok=True)
    firms = _firms()
    parks = pd.read_csv(OUT / "parks.csv", dtype=str, encoding="utf-8-sig")
    pnl = panel(firms, parks)
    prods = products(firms)
    covered = _covered(prods)
    proj = projects(firms, parks, covered)
    ld = leads(parks, covered)
    tk = tasks(ld)
    for name, df in (("enterprise_years", pnl), ("products", prods), ("projects", proj), ("leads", ld),
                     ("tasks", tk)):
        df.to_csv(DIR / f"{name}_synthetic.csv", index=False, encoding="utf-8-sig")
        logger.info("%s: %d rows", name, len(df))
    sums = pnl.assign(v=pd.to_numeric(pnl["产值亿元"], errors="coerce")).groupby("年份")["v"].sum()
    logger.info("output by year (亿元): %s", {int(k): round(float(v), 2) for k, v in sums.items()})


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    main()
