"""Tables of the Jing-Jin-Ji demo: parks, leading enterprises, synthetic enterprises, reserves.

Parks and leading enterprises are REAL names from the policy documents (seed 000: the
2024-2028 Jing-Jin-Ji safety & emergency equipment cluster plan; seed 001: Hebei emergency
industry plan 2020-2025, 冀政字〔2020〕14号) placed at district or city precision.
Enterprises other than the 11 named ones and every reserve are SYNTHETIC; rows say so in the
column 合成数据 and every synthetic name starts with （合成）.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import shapely

from demo_common import County, cpca_centroids, rng_for, wgs84_to_gcj02

logger = logging.getLogger(__name__)

#: The ten key chains (seed 000 section 3): code -> Chinese name.
CHAINS = {
    "waterlogging": "城市内涝应急救援装备", "medical": "医学救援装备", "warning": "预测预警装备",
    "protection": "防控防护装备", "rescue": "抢险救援装备", "unmanned": "无人救援装备",
    "comms": "应急通信装备", "firefighting": "消防救援装备", "transport": "特种交通装备",
    "industrial": "安全生产事故应急救援装备",
}
LEVELS = {"demo": "国家安全应急产业示范基地", "cand": "国家示范基地创建单位",
          "prov": "省级安全应急产业基地", "clus": "特色产业集群"}
ROLES = {"core": "核心区", "key": "重点区", "support": "支撑区", "": ""}

#: city adcode -> (short name, layout role, number of synthetic enterprises).
CITIES = {
    "110100": ("北京", "key", 380), "120100": ("天津", "key", 360),
    "130100": ("石家庄", "core", 430), "130200": ("唐山", "core", 420),
    "130300": ("秦皇岛", "support", 110), "130400": ("邯郸", "support", 170),
    "130500": ("邢台", "support", 170), "130600": ("保定", "key", 330),
    "130700": ("张家口", "key", 90), "130800": ("承德", "", 44),
    "130900": ("沧州", "", 150), "131000": ("廊坊", "support", 200),
    "131100": ("衡水", "", 60),
}
N_SYNTHETIC, N_ABOVE, OUTPUT_YI = 2925 - 11, 1094 - 11, 2415.0

_SJZ = "warning protection comms rescue firefighting waterlogging unmanned"
#: (name, level, role, district adcode, chain codes, seed). Chains: DOMAIN.md / seeds; the
#: non-chain words are mapped: rail safety -> warning, security (安防) -> protection,
#: maritime -> transport, power emergency -> rescue, mine rescue -> industrial.
PARKS = [
    ("鹿泉经济开发区", "demo", "core", "130110", _SJZ, "000"),
    ("石家庄装备制造产业园", "prov", "core", "130110", _SJZ, "000"),
    ("新乐经济开发区", "prov", "core", "130184", _SJZ, "000"),
    ("唐山高新区智慧应急装备集群", "clus", "core", "130203", "unmanned rescue warning", "000"),
    ("开平应急装备产业园", "demo", "core", "130205", "unmanned rescue", "000"),
    ("滦南县安全防护特色集群", "clus", "core", "130224", "protection rescue", "000"),
    ("雄安新区城市安全创新核心区", "clus", "core", "130638", "warning", "000"),
    ("中关村科技园丰台园", "demo", "key", "110106", "warning protection", "000"),
    ("天津经济技术开发区", "cand", "key", "120116",
     "warning transport firefighting unmanned", "000"),
    ("怀安经济开发区", "demo", "key", "130728", "firefighting rescue", "000"),
    ("保定国家高新区", "demo", "key", "130602", "transport rescue warning medical", "000"),
    ("徐水经济开发区", "prov", "key", "130609", "transport rescue warning medical", "000"),
    ("中关村房山园", "cand", "support", "110111", "unmanned protection industrial", "000"),
    ("邢台经济开发区", "cand", "support", "130502", "firefighting rescue", "000"),
    ("秦皇岛开发区", "cand", "support", "130302",
     "medical firefighting comms transport industrial", "000"),
    ("燕郊高新区", "cand", "support", "131082", "medical unmanned", "000"),
    ("邯郸复兴经济开发区", "prov", "support", "130404", "rescue warning", "000"),
    ("遵化安全应急装备产业园", "clus", "core", "130281", "rescue firefighting waterlogging", "001"),
    ("迁安防震减灾应急产业园", "clus", "core", "130283", "protection", "001"),
    ("乐亭建筑支护产业集群", "clus", "core", "130225", "rescue", "001"),
    ("泊头环保设备产业集群", "clus", "", "130981", "industrial", "001"),
    ("香河机器人小镇", "clus", "support", "131024", "unmanned", "001"),
    ("涿州健康防护产业集群", "clus", "key", "130681", "protection", "001"),
    ("宁晋电线电缆产业集群", "clus", "support", "130528", "protection", "001"),
    ("河间电线电缆产业集群", "clus", "", "130984", "protection", "001"),
    ("晋州电线电缆产业集群", "clus", "core", "130183", "protection", "001"),
    ("张家口山地冰雪装备产业园", "clus", "key", "130709", "transport comms rescue", "001"),
]

_UNVERIFIED = "所在城市为公开信息推断，未经核实 (city inferred from public information, unverified)"
#: (short name as in seed 000, city, chains, listed, products, remark).
LEADING = [
    ("际华三五零二", "河北省石家庄市", "protection", "否", "职业装、防护服装",
     "全称际华三五零二职业装有限公司；母公司际华集团（601718）上市"),
    ("远东通信", "河北省石家庄市", "comms", "否", "专网通信、应急指挥通信系统",
     "全称河北远东通信系统工程有限公司"),
    ("威尼盛", "河北省唐山市", "rescue", "否", "", _UNVERIFIED + "；产业链与上市情况未核实"),
    ("华柴", "河北省保定市", "rescue", "否", "", _UNVERIFIED + "；产业链与上市情况未核实"),
    ("移山重工", "河北省张家口市", "rescue", "否", "工程抢险救援装备",
     _UNVERIFIED + "；产业链按企业名称推断，上市情况未核实"),
    ("航景创新", "北京市", "unmanned", "否", "无人直升机",
     _UNVERIFIED + "；上市情况未核实"),
    ("先河环保", "河北省石家庄市", "warning", "是", "环境监测仪器、监测预警系统",
     "全称河北先河环保科技股份有限公司（300137）"),
    ("巨力", "河北省保定市", "rescue", "是", "索具、吊装救援器材",
     "全称巨力索具股份有限公司（002342），位于保定市徐水区"),
    ("谊安奥美", "河北省廊坊市", "medical", "否", "呼吸机、麻醉机",
     _UNVERIFIED + "；上市情况未核实"),
    ("润泰救援", "河北省邢台市", "rescue", "否", "",
     _UNVERIFIED + "；产业链按企业名称推断，上市情况未核实"),
    ("海湾安全", "河北省秦皇岛市", "firefighting warning", "否", "火灾自动报警、消防设备",
     "全称海湾安全技术有限公司"),
]

PRODUCTS = {
    "waterlogging": ["大流量排涝泵车", "移动泵站", "水陆两栖救援车", "防汛挡水板"],
    "medical": ["便携式呼吸机", "负压救护车", "医学急救包", "移动方舱医院"],
    "warning": ["地质灾害监测仪", "气体检测报警仪", "水文监测站", "智能视频预警系统"],
    "protection": ["防护服", "医用口罩", "正压式空气呼吸器", "耐火电缆"],
    "rescue": ["生命探测仪", "液压破拆工具", "应急电源车", "工程抢险机械"],
    "unmanned": ["多旋翼无人机", "消防机器人", "无人救援艇", "排爆机器人"],
    "comms": ["便携卫星站", "应急指挥车", "自组网电台", "应急广播终端"],
    "firefighting": ["泡沫消防车", "灭火器", "风力灭火机", "消防员防护装备"],
    "transport": ["隧道救援车", "应急舟桥", "除雪车", "应急救援船"],
    "industrial": ["危化品侦检车", "矿山救生舱", "洗消装备", "堵漏工具"],
}
NAME_WORD = {
    "waterlogging": "排涝装备", "medical": "医疗救援器械", "warning": "监测预警科技",
    "protection": "安全防护用品", "rescue": "应急救援装备", "unmanned": "智能无人装备",
    "comms": "应急通信技术", "firefighting": "消防装备", "transport": "特种车辆",
    "industrial": "安全生产装备",
}
#: Counties where a county depot is most often missing (remote mountains; weight 6) and
#: other mountain counties (weight 2); see ``reserves``.
REMOTE = set("130722 130723 130724 130725 130726 130727 130709 130732 130731 130821 130822 "
             "130824 130825 130826 130827 130828 130881 130630 130624 130633 130623 130627 "
             "130634 130636".split())
HILLY = set("110109 110116 110118 110119 120119 130121 130126 130129 130131 130321 130426 "
            "130481 130522 130523 130582 130227".split())

RESERVE_MATERIALS = ["帐篷", "棉被", "折叠床", "排涝泵", "发电机", "救生衣", "冲锋舟", "医疗包",
                     "破拆工具", "灭火器材", "应急照明灯", "净水设备", "防护服", "睡袋"]
RESCUE_TEAMS = ["综合应急救援队", "森林消防队", "矿山救护队", "危化品救援队", "水上救援队",
                "地震救援队"]
RESCUE_MATERIALS = ["破拆工具", "生命探测仪", "冲锋舟", "发电机", "排涝泵", "灭火器材",
                    "救生衣", "卫星电话"]
CAPACITY_MATERIALS = {"protection": ["防护服", "口罩"], "medical": ["医疗包", "呼吸机"],
                      "waterlogging": ["排涝泵"], "rescue": ["发电机", "破拆工具"],
                      "firefighting": ["灭火器材"]}


def _join(codes) -> str:
    return "、".join(CHAINS[c] for c in codes)


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


def parks() -> pd.DataFrame:
    """Parks, bases and clusters at the cpca point of their district (区县中心点).

    Returns
    -------
    pandas.DataFrame
        One row per entry of ``PARKS``, columns as written to ``parks.csv``.
    """
    cent = cpca_centroids()
    rows = []
    for i, (name, level, role, district, chains, seed) in enumerate(PARKS, start=1):
        # Beijing/Tianjin: cpca names 110100/120100 "市辖区", so take the province row.
        city_code = district[:2] + "0000" if district[:2] in ("11", "12") else district[:4] + "00"
        _, lon, lat = cent[district]
        rows.append({
            "编号": f"P{i:03d}", "名称": name, "级别": LEVELS[level], "布局": ROLES[role],
            "城市": cent[city_code][0],
            "区县代码": district, "经度": round(lon, 6), "纬度": round(lat, 6),
            "产业链": _join(chains.split()), "位置精度": "区县中心点",
            "来源": f"政策文件 seed {seed}",
        })
    return pd.DataFrame(rows)


def leading() -> pd.DataFrame:
    """The 11 leading enterprises of seed 000 6(1), with a city-level address only.

    Returns
    -------
    pandas.DataFrame
        One row per entry of ``LEADING``; no coordinates (the ETL geocodes ``地址``).
    """
    rows = []
    for i, (name, city, chains, listed, products, remark) in enumerate(LEADING, start=1):
        rows.append({
            "编号": f"L{i:02d}", "企业名称": name, "地址": city, "产业链": _join(chains.split()),
            "规上": "是", "链主": "是", "上市": listed, "产值亿元": "", "主要产品": products,
            "位置精度": "城市中心点", "备注": remark,
        })
    return pd.DataFrame(rows)


def _inside(county: County, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return shapely.contains_xy(county.geometry, lon, lat)


def place(rng: np.random.Generator, county: County, n: int, sigma_km: float,
          max_km: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Scatter ``n`` WGS-84 points around a county centroid, kept inside the county.

    Normal jitter with standard deviation ``sigma_km`` (optionally truncated at ``max_km``),
    rejection-sampled against the county polygon; after 60 rounds the remaining points fall
    back to the polygon's representative point.

    Parameters
    ----------
    rng
        The component's random generator.
    county
        The county (WGS-84 polygon and placement centroid).
    n
        Number of points.
    sigma_km
        Standard deviation of the jitter in km.
    max_km
        Optional truncation radius in km.

    Returns
    -------
    tuple of numpy.ndarray
        WGS-84 longitudes and latitudes, ``n`` each.
    """
    kx = 111.32 * np.cos(np.radians(county.lat))
    lon, lat = np.empty(0), np.empty(0)
    for _ in range(60):
        need = n - lon.size
        if need <= 0:
            break
        d = rng.normal(0.0, sigma_km, size=(4 * need + 8, 2))
        if max_km is not None:
            d = d[np.hypot(d[:, 0], d[:, 1]) <= max_km]
        x, y = county.lon + d[:, 0] / kx, county.lat + d[:, 1] / 110.57
        ok = _inside(county, x, y)
        lon, lat = np.concatenate([lon, x[ok][:need]]), np.concatenate([lat, y[ok][:need]])
    if lon.size < n:
        p = county.geometry.representative_point()
        lon = np.concatenate([lon, np.full(n - lon.size, p.x)])
        lat = np.concatenate([lat, np.full(n - lat.size, p.y)])
    return lon, lat


def _county_weights(counties: list[County], park_districts: set[str]) -> np.ndarray:
    w = np.array([1.0 + 5.0 * (c.adcode in park_districts) - 0.5 * (c.adcode in REMOTE)
                  for c in counties])
    return w / w.sum()


def _city_chain_weights() -> dict[str, np.ndarray]:
    codes = list(CHAINS)
    out = {}
    for city in CITIES:
        w = np.ones(len(codes))
        for _, _, _, district, chains, _ in PARKS:
            if _city_of(district) == city:
                for c in chains.split():
                    w[codes.index(c)] = 5.0
        out[city] = w / w.sum()
    return out


def _city_of(adcode: str) -> str:
    return adcode[:2] + "0100" if adcode[:2] in ("11", "12") else adcode[:4] + "00"


def enterprises(counties: dict[str, County]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SYNTHETIC enterprises: 2,914 rows, 1,083 above size, total output 2,415 亿元.

    City totals follow the layout (core cities most); counties within a city are drawn with
    weight 6 for a park/cluster district, 1 otherwise (0.5 for remote mountain counties);
    chains follow the city's park focus chains (weight 5) with a spread over all ten
    (weight 1); 1 chain (70 %) or 2 chains (30 %). Positions: normal jitter of 3-8 km
    (by county size) around the county centroid, kept inside the WGS-84 county polygon,
    then converted to GCJ-02 as if copied from a web map.

    Returns
    -------
    tuple of DataFrame
        The CSV table (GCJ-02) and a helper frame with WGS-84 positions and chain codes.
    """
    rng = rng_for("enterprises")
    codes = list(CHAINS)
    park_districts = {p[3] for p in PARKS}
    chain_w = _city_chain_weights()
    recs = []
    for city, (short, _, n) in CITIES.items():
        cs = [c for c in counties.values() if c.city == city]
        pick = rng.choice(len(cs), size=n, p=_county_weights(cs, park_districts))
        for k in np.unique(pick):
            m = int((pick == k).sum())
            sigma = float(np.clip(np.sqrt(cs[k].area_km2) / 5.0, 3.0, 8.0))
            lon, lat = place(rng, cs[k], m, sigma)
            for x, y in zip(lon, lat):
                nc = 1 if rng.random() < 0.7 else 2
                ch = [codes[j] for j in rng.choice(10, size=nc, replace=False, p=chain_w[city])]
                recs.append((city, short, cs[k].adcode, x, y, ch))
    above = np.zeros(len(recs), dtype=bool)
    above[rng.choice(len(recs), size=N_ABOVE, replace=False)] = True
    out = _outputs(rng, above)
    listed = above & (rng.random(len(recs)) < 0.035)
    rows, helper = [], []
    for i, ((city, short, county, x, y, ch), ab) in enumerate(zip(recs, above), start=1):
        gx, gy = wgs84_to_gcj02(x, y)
        prods = [str(rng.choice(PRODUCTS[c])) for c in ch]
        rows.append({
            "编号": f"E{i:04d}", "企业名称": f"（合成）{short}某{NAME_WORD[ch[0]]}有限公司{i:04d}",
            "经度": round(float(gx), 6), "纬度": round(float(gy), 6), "区县代码": county,
            "产业链": _join(ch), "规上": _yes(ab), "链主": "否", "上市": _yes(listed[i - 1]),
            "产值亿元": out[i - 1], "主要产品": "、".join(prods), "合成数据": "是",
        })
        helper.append({"id": f"E{i:04d}", "name": rows[-1]["企业名称"], "city": city,
                       "county": county, "lon": x, "lat": y, "chains": ch, "above": ab})
    logger.info("synthetic enterprises: %d (above size %d)", len(rows), int(above.sum()))
    return pd.DataFrame(rows), pd.DataFrame(helper)


def _outputs(rng: np.random.Generator, above: np.ndarray) -> list[float]:
    """Output in 亿元: small firms < 0.2 (the 2,000 万元 above-size threshold), the rest >= 0.2.

    Above-size firms are lognormal (sigma 1.1), rescaled so that the total of all synthetic
    firms is exactly OUTPUT_YI after rounding to 0.01.
    """
    small = np.round(np.clip(rng.lognormal(np.log(0.05), 0.8, size=(~above).sum()), 0.01, 0.19), 2)
    big = rng.lognormal(0.0, 1.1, size=above.sum())
    target = OUTPUT_YI - small.sum()
    for _ in range(20):
        big = np.maximum(big * target / big.sum(), 0.2)
    big = np.round(big, 2)
    big[np.argmax(big)] += round(target - big.sum(), 2)
    out = np.empty(above.size)
    out[above], out[~above] = big, small
    return [round(float(v), 2) for v in out]


def reserves(counties: dict[str, County], helper: pd.DataFrame) -> pd.DataFrame:
    """SYNTHETIC reserves of all six tiers (WGS-84).

    National (3), provincial (1 per provincial seat + 2 extra in Hebei), municipal (1 per
    city-level unit) and rescue-team stocks near city centroids or county seats; county
    depots in about 78 % of counties (the 22 % without one are drawn with weight 6 for remote
    mountain counties, 2 for other hilly ones, 1 otherwise, so coverage gaps appear where
    they do in reality); 60 enterprise production-capacity reserves at above-size synthetic
    enterprises of chains that make relief materials.

    Parameters
    ----------
    counties
        County units (WGS-84) by adcode.
    helper
        The helper frame of :func:`enterprises` (WGS-84 positions, chains, size flag).

    Returns
    -------
    pandas.DataFrame
        The rows of ``reserves_synthetic.csv``.
    """
    rng = rng_for("reserves")
    cent = cpca_centroids()
    allc = list(counties.values())
    tree = shapely.STRtree([c.geometry for c in allc])
    rows = []

    def add(name, tier, kind, cats, qty, unit, lon, lat, county=None):
        if county is None:
            hit = tree.query(shapely.Point(lon, lat), predicate="intersects")
            county = allc[int(hit[0])].adcode if hit.size else allc[
                int(tree.nearest(shapely.Point(lon, lat)))].adcode
        rows.append({"编号": f"R{len(rows) + 1:04d}", "名称": f"（合成）{name}", "级别": tier,
                     "类型": kind, "物资类别": "、".join(cats), "储备量": int(qty), "单位": unit,
                     "经度": round(float(lon), 6), "纬度": round(float(lat), 6),
                     "区县代码": county, "合成数据": "是"})

    def near_city(city: str, max_km: float = 8.0):
        """Uniform in a disc around the city point, on land (inside some county)."""
        _, lon, lat = cent[city if city[:2] == "13" else city[:2] + "0000"]
        for _ in range(100):
            r, a = max_km * np.sqrt(rng.random()), rng.random() * 2 * np.pi
            x = lon + r * np.cos(a) / (111.32 * np.cos(np.radians(lat)))
            y = lat + r * np.sin(a) / 110.57
            if tree.query(shapely.Point(x, y), predicate="intersects").size:
                return x, y
        return lon, lat

    def mats(pool, lo, hi):
        k = int(rng.integers(lo, hi + 1))
        return [pool[j] for j in sorted(rng.choice(len(pool), size=k, replace=False))]

    for city, label in [("110100", "北京"), ("120100", "天津"), ("130100", "石家庄")]:
        add(f"国家应急物资储备库（{label}）", "国家级", "实物储备", mats(RESERVE_MATERIALS, 7, 10),
            rng.integers(10, 31) * 10000, "件", *near_city(city, 12.0))
    for city, label in [("110100", "北京市"), ("120100", "天津市"), ("130100", "河北省"),
                        ("130200", "河北省唐山"), ("130700", "河北省张家口")]:
        add(f"{label}省级应急物资储备库", "省级", "实物储备", mats(RESERVE_MATERIALS, 6, 9),
            rng.integers(30, 121) * 1000, "件", *near_city(city))
    for city, (short, _, _) in CITIES.items():
        add(f"{short}市级应急物资储备库", "市级", "实物储备", mats(RESERVE_MATERIALS, 5, 8),
            rng.integers(8, 51) * 1000, "件", *near_city(city))
    w = np.array([6.0 if c.adcode in REMOTE else 2.0 if c.adcode in HILLY else 1.0 for c in allc])
    skip = set(rng.choice([c.adcode for c in allc], size=round(0.22 * len(allc)),
                          replace=False, p=w / w.sum()))
    for c in allc:
        if c.adcode not in skip:
            lon, lat = place(rng, c, 1, 1.0, max_km=2.0)
            add(f"{c.name}县级应急物资储备库", "县级", "实物储备", mats(RESERVE_MATERIALS, 4, 7),
                rng.integers(20, 201) * 100, "件", lon[0], lat[0], c.adcode)
    teams = {"110100": 5, "120100": 4, "130100": 4, "130200": 4, "130600": 4, "130700": 3,
             "130800": 3, "130300": 2, "130400": 3, "130500": 2, "130900": 2, "131000": 2,
             "131100": 2}
    for city, n in teams.items():
        cs = [c for c in allc if c.city == city]
        for k in range(n):
            c = cs[int(rng.integers(len(cs)))]
            lon, lat = place(rng, c, 1, 2.0, max_km=4.0)
            team = RESCUE_TEAMS[int(rng.integers(len(RESCUE_TEAMS)))]
            add(f"{CITIES[city][0]}{team}物资点{k + 1:02d}", "救援队伍", "实物储备",
                mats(RESCUE_MATERIALS, 3, 6), rng.integers(5, 61) * 10, "套", lon[0], lat[0],
                c.adcode)
    cand = helper[helper["above"] & helper["chains"].map(
        lambda ch: any(c in CAPACITY_MATERIALS for c in ch))]
    for _, e in cand.iloc[np.sort(rng.choice(len(cand), size=60, replace=False))].iterrows():
        cats = sorted({m for c in e["chains"] for m in CAPACITY_MATERIALS.get(c, [])})
        add(f"{e['name'][4:]}生产能力储备", "企业产能", "生产能力储备", cats,
            rng.integers(5, 201) * 1000, "件/月", e["lon"], e["lat"], e["county"])
    df = pd.DataFrame(rows)
    logger.info("synthetic reserves: %s; counties without county depot: %d",
                df["级别"].value_counts().to_dict(), len(skip))
    return df
