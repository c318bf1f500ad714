"""The DuckDB contract: table definitions, vocabularies and allowed identifiers.

Everything that reads or writes the store agrees on this module. ``layers`` imports it
(never the rest of ``etl``), so it holds no I/O and imports nothing heavy.

H3 cell ids are UBIGINT inside the store; strings appear only at the GeoJSON boundary.
Coordinates are WGS-84 longitude/latitude.
"""

from __future__ import annotations

SCHEMA_VERSION = 3  # 2: materials (stock, capacity, catalogue) and industry tables; 3: both together

#: The ten key industry chains (seed 000 section 3): code -> (Chinese, English).
CHAINS: dict[str, tuple[str, str]] = {
    "waterlogging": ("城市内涝应急救援装备", "Urban waterlogging rescue"),
    "medical": ("医学救援装备", "Medical rescue"),
    "warning": ("预测预警装备", "Monitoring & early warning"),
    "protection": ("防控防护装备", "Protective equipment"),
    "rescue": ("抢险救援装备", "Search, rescue & engineering rescue"),
    "unmanned": ("无人救援装备", "Drones & rescue robots"),
    "comms": ("应急通信装备", "Emergency communications"),
    "firefighting": ("消防救援装备", "Firefighting"),
    "transport": ("特种交通装备", "Special transport"),
    "industrial": ("安全生产事故应急救援装备", "Industrial-accident rescue"),
}

#: English names of the chain links of the ten chains (the region file's ``[industry.links]``
#: holds them in Chinese; a planner's own link not listed here is romanised).
LINK_NAMES_EN: dict[str, str] = {
    "泵阀电机核心部件": "Pump, valve and motor components", "排涝泵车与移动泵站": "Drainage pump trucks and mobile pumping stations",
    "两栖救援装备": "Amphibious rescue equipment", "防汛挡水器材": "Flood barriers", "运维与应急服务": "Maintenance and emergency services",
    "医用材料与耗材": "Medical materials and consumables", "急救与生命支持设备": "First-aid and life-support equipment",
    "救护车辆与方舱": "Ambulances and field shelters", "医学救援包与物资": "Medical rescue kits and supplies",
    "远程医疗与培训服务": "Telemedicine and training services", "传感器与芯片": "Sensors and chips",
    "监测仪器": "Monitoring instruments", "预警系统与平台": "Warning systems and platforms",
    "数据与运维服务": "Data and maintenance services", "防护材料": "Protective materials",
    "个体防护装备": "Personal protective equipment", "呼吸防护器材": "Respiratory protection",
    "特种线缆与防护设施": "Special cables and protective installations", "液压与动力部件": "Hydraulic and power components",
    "生命搜索与探测": "Life search and detection", "破拆与支护器材": "Breaking and shoring tools",
    "应急电源与照明": "Emergency power and lighting", "工程抢险机械": "Engineering rescue machinery",
    "材料与元器件": "Materials and components", "动力系统": "Power systems", "飞控与载荷": "Flight control and payloads",
    "整机制造": "Complete aircraft and robots", "运维与培训服务": "Maintenance and training services",
    "芯片与模组": "Chips and modules", "通信终端": "Communication terminals",
    "卫星与自组网设备": "Satellite and ad-hoc network equipment", "指挥车与指挥系统": "Command vehicles and systems",
    "网络运营服务": "Network operation services", "灭火剂与材料": "Extinguishing agents and materials",
    "消防器材": "Firefighting equipment", "消防车辆": "Fire engines", "森林灭火装备": "Forest firefighting equipment",
    "消防员防护": "Firefighter protection", "底盘与专用部件": "Chassis and special parts",
    "特种救援车辆": "Special rescue vehicles", "舟桥与船艇": "Pontoon bridges and boats", "航空救援": "Air rescue",
    "维保服务": "Maintenance services", "侦检仪器": "Detection instruments",
    "危化品处置装备": "Hazardous-chemical response equipment", "矿山救援装备": "Mine rescue equipment",
    "洗消与堵漏器材": "Decontamination and leak-sealing equipment",
}

#: Park / base levels.
PARK_LEVELS: dict[str, tuple[str, str]] = {
    "national_demo": ("国家安全应急产业示范基地", "National demonstration base"),
    "national_candidate": ("国家示范基地创建单位", "National candidate base"),
    "provincial": ("省级安全应急产业基地", "Provincial base"),
    "cluster": ("特色产业集群", "Specialty cluster"),
}

#: Layout roles in the regional plan.
PARK_ROLES: dict[str, tuple[str, str]] = {
    "core": ("核心区", "Core area"),
    "key": ("重点区", "Key area"),
    "support": ("支撑区", "Support area"),
}

#: Reserve tiers, from national down to enterprise production capacity.
RESERVE_TIERS: dict[str, tuple[str, str]] = {
    "national": ("国家级储备", "National reserve"),
    "provincial": ("省级储备", "Provincial reserve"),
    "municipal": ("市级储备", "Municipal reserve"),
    "county": ("县级储备", "County reserve"),
    "rescue": ("救援队伍/机构储备", "Rescue agency stock"),
    "enterprise": ("企业生产能力储备", "Enterprise production capacity"),
}

RESERVE_KINDS: dict[str, tuple[str, str]] = {
    "physical": ("实物储备", "Physical stock"),
    "capacity": ("生产能力储备", "Production-capacity reserve"),
}

#: How well a facility's position is known.
PRECISIONS: dict[str, tuple[str, str]] = {
    "exact": ("精确坐标", "Exact coordinates"),
    "address": ("地址匹配", "Geocoded address"),
    "district": ("区县中心点", "District centroid"),
    "city": ("城市中心点", "City centroid"),
}

ADMIN_LEVELS: dict[str, tuple[str, str]] = {
    "province": ("省级", "Province"),
    "city": ("市级", "City"),
    "county": ("县级", "County"),
}

#: Hazard names for display; a region may add others (shown by their key).
HAZARD_NAMES: dict[str, tuple[str, str]] = {
    "flood": ("洪水", "Flood"),
    "earthquake": ("地震", "Earthquake"),
    "wildfire": ("森林火灾", "Wildfire"),
    "waterlogging": ("城市内涝", "Urban waterlogging"),
    "geological": ("地质灾害", "Geological hazard"),
    "icesnow": ("冰雪灾害", "Ice and snow"),
    "hazmat": ("危化品事故", "Hazardous materials"),
    "seismicity": ("地震活动（历史地震平滑发生率）", "Seismicity (smoothed historical rate)"),
    "eq_max_magnitude": ("历史最大震级", "Largest historical magnitude"),
    "faults": ("距活动断层距离", "Distance to active faults"),
}

#: Entity tables and the columns a source may map (``required`` must be present after
#: mapping, or be derivable: lon/lat may come from an address, id may be generated).
ENTITY_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "parks": {
        "required": ("name",),
        "optional": (
            "id", "lon", "lat", "address", "adcode", "city", "level", "role", "chains",
            "precision",
        ),
    },
    "enterprises": {
        "required": ("name",),
        "optional": (
            "id", "lon", "lat", "address", "adcode", "city", "chains", "above_size",
            "leading", "listed", "output_yi", "products", "precision",
        ),
    },
    "reserves": {
        "required": ("name", "tier"),
        "optional": (
            "id", "lon", "lat", "address", "adcode", "city", "kind", "categories",
            "capacity", "capacity_unit", "precision",
        ),
    },
}

ENTITIES = tuple(ENTITY_FIELDS)

_COMMON = """
    id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    lon DOUBLE NOT NULL,
    lat DOUBLE NOT NULL,
    precision VARCHAR NOT NULL,
    adcode VARCHAR,
    address VARCHAR,
    synthetic BOOLEAN NOT NULL,
    source VARCHAR NOT NULL,
    source_row INTEGER NOT NULL,
"""

#: Materials (etl.catalogue, etl.materials): the region's catalogue and need norms, depot stock
#: (quantity in the catalogue unit) and enterprise production capacity (per day, after ramp_h).
MATERIAL_TABLES: dict[str, str] = {
    "materials": """
        code VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, name_en VARCHAR NOT NULL,
        category VARCHAR[] NOT NULL, unit VARCHAR NOT NULL, aliases VARCHAR[] NOT NULL,
        convert VARCHAR NOT NULL
    """,
    "material_norms": """
        material VARCHAR NOT NULL, hazard VARCHAR NOT NULL, per VARCHAR NOT NULL,
        quantity DOUBLE NOT NULL, per_day BOOLEAN NOT NULL, source VARCHAR NOT NULL
    """,
    "stock": """
        reserve VARCHAR NOT NULL, material VARCHAR NOT NULL, quantity DOUBLE NOT NULL,
        unit VARCHAR NOT NULL, spec VARCHAR, as_of VARCHAR, expiry VARCHAR, quantity_raw VARCHAR,
        unit_raw VARCHAR, synthetic BOOLEAN NOT NULL, source VARCHAR NOT NULL, source_row INTEGER NOT NULL
    """,
    "capacity": """
        enterprise VARCHAR NOT NULL, material VARCHAR NOT NULL, per_day DOUBLE NOT NULL,
        unit VARCHAR NOT NULL, ramp_h DOUBLE NOT NULL, agreement VARCHAR NOT NULL,
        quantity_raw VARCHAR, unit_raw VARCHAR, synthetic BOOLEAN NOT NULL, source VARCHAR NOT NULL,
        source_row INTEGER NOT NULL
    """,
}

#: DDL of every table, in creation order.
TABLES: dict[str, str] = {
    "meta": "key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL",
    "sources": """
        source VARCHAR PRIMARY KEY, entity VARCHAR NOT NULL, path VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL, rows_in BIGINT NOT NULL, rows_loaded BIGINT NOT NULL,
        rows_rejected BIGINT NOT NULL, synthetic BOOLEAN NOT NULL, crs VARCHAR
    """,
    "rejects": """
        source VARCHAR NOT NULL, row_number INTEGER, reason_code VARCHAR NOT NULL,
        reason VARCHAR NOT NULL, reason_en VARCHAR NOT NULL, raw VARCHAR NOT NULL
    """,
    "parks": _COMMON + """
        level VARCHAR, role VARCHAR, chains VARCHAR[] NOT NULL, city VARCHAR
    """,
    "enterprises": _COMMON + """
        chains VARCHAR[] NOT NULL, above_size BOOLEAN NOT NULL, "leading" BOOLEAN NOT NULL,
        listed BOOLEAN NOT NULL, output_yi DOUBLE, products VARCHAR, city VARCHAR
    """,
    "reserves": _COMMON + """
        tier VARCHAR NOT NULL, kind VARCHAR NOT NULL, categories VARCHAR[] NOT NULL,
        capacity DOUBLE, capacity_unit VARCHAR, city VARCHAR
    """,
    # H3 cell of every facility at every configured resolution.
    "entity_cells": "entity VARCHAR NOT NULL, id VARCHAR NOT NULL, res TINYINT NOT NULL, cell UBIGINT NOT NULL",
    "hazard_layers": """
        hazard VARCHAR PRIMARY KEY, source VARCHAR NOT NULL, band INTEGER NOT NULL,
        units VARCHAR NOT NULL, breaks DOUBLE[] NOT NULL, labels VARCHAR[] NOT NULL,
        synthetic BOOLEAN NOT NULL, crs VARCHAR NOT NULL, width INTEGER NOT NULL,
        height INTEGER NOT NULL, pixel_size VARCHAR NOT NULL, description VARCHAR
    """,
    # count: valid pixels whose centre lies in the cell (0 for sampled cells);
    # shares[i]: share of those pixels with value >= breaks[i]; class: number of breaks <= max.
    "hazard_cells": """
        hazard VARCHAR NOT NULL, res TINYINT NOT NULL, cell UBIGINT NOT NULL,
        count BIGINT NOT NULL, min DOUBLE NOT NULL, max DOUBLE NOT NULL, mean DOUBLE NOT NULL,
        p90 DOUBLE NOT NULL, class TINYINT NOT NULL, shares DOUBLE[] NOT NULL,
        sampled BOOLEAN NOT NULL
    """,
    "admin_units": """
        adcode VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, level VARCHAR NOT NULL,
        parent VARCHAR, lon DOUBLE NOT NULL, lat DOUBLE NOT NULL, area_km2 DOUBLE NOT NULL,
        bbox DOUBLE[] NOT NULL, geometry BLOB NOT NULL
    """,
    "admin_cells": """
        res TINYINT NOT NULL, cell UBIGINT NOT NULL, county VARCHAR, city VARCHAR,
        province VARCHAR NOT NULL
    """,
    "exposure_cells": "res TINYINT NOT NULL, cell UBIGINT NOT NULL, population DOUBLE NOT NULL",
    **MATERIAL_TABLES,
}

# --- Industry (四库一清单, plan targets, chain links): issue 14 -------------------------------

#: Project stages in the plan's order "谋划一批、储备一批、开工一批、投产一批" (在建 between).
PROJECT_STAGES: dict[str, tuple[str, str]] = {
    "planning": ("谋划", "Planning"),
    "reserve": ("储备", "Reserve"),
    "started": ("开工", "Started"),
    "building": ("在建", "Under construction"),
    "operating": ("投产", "In production"),
}
#: Stages of an investment lead (拟引进企业), from first contact to landing.
LEAD_STAGES: dict[str, tuple[str, str]] = {
    "contact": ("接洽", "First contact"),
    "negotiating": ("洽谈", "Negotiating"),
    "signed": ("签约", "Signed"),
    "landed": ("落地", "Landed"),
}
#: Status of a task of the 招商任务清单.
TASK_STATUSES: dict[str, tuple[str, str]] = {
    "todo": ("未启动", "Not started"),
    "doing": ("推进中", "In progress"),
    "done": ("已完成", "Done"),
    "overdue": ("已逾期", "Overdue"),
}
#: Scopes a target or an indicator applies to.
SCOPES: dict[str, tuple[str, str]] = {
    "region": ("区域", "Region"),
    "province": ("省级", "Province"),
    "city": ("市级", "City"),
    "park": ("园区", "Park"),
}
#: Indicators computed from the industry tables (code -> Chinese, English, unit zh, unit en).
INDICATORS: dict[str, tuple[str, str, str, str]] = {
    "output_yi": ("产业产值", "Industry output", "亿元", "100 million CNY"),
    "revenue_yi": ("营业收入", "Revenue", "亿元", "100 million CNY"),
    "revenue_growth_pct": ("营业收入年增速", "Revenue growth per year", "%", "%"),
    "enterprises": ("企业数", "Enterprises", "家", "firms"),
    "above_size": ("规上企业数", "Above-size enterprises", "家", "firms"),
    "listed": ("上市企业数", "Listed enterprises", "家", "firms"),
    "specialised": ("专精特新企业数", "Specialised SMEs", "家", "firms"),
    "little_giants": ("专精特新“小巨人”数", "Little giants", "家", "firms"),
    "rd_intensity_pct": ("研发投入强度", "R&D intensity", "%", "%"),
    "national_bases": ("国家级示范基地数", "National demonstration bases", "个", "bases"),
    "provincial_bases": ("省级基地数", "Provincial bases", "个", "bases"),
    "clusters_100": ("百亿级集群数", "Clusters over 10 bn CNY", "个", "clusters"),
    "key_projects": ("重点项目数（已开工）", "Key projects started", "个", "projects"),
    "investment_yi": ("开工及投产项目总投资", "Investment of started projects", "亿元", "100 million CNY"),
    "leads_signed": ("签约及落地招商项目数", "Leads signed or landed", "个", "leads"),
}
#: Comparators a target may use: >= and > (at least), about (约, reached at 95 %).
TARGET_COMPARATORS = (">=", ">", "about")

INDUSTRY_TABLES: dict[str, str] = {
    "enterprise_years": """
        enterprise VARCHAR NOT NULL, year SMALLINT NOT NULL, output_yi DOUBLE, revenue_yi DOUBLE,
        employees DOUBLE, rd_yi DOUBLE, above_size BOOLEAN NOT NULL, listed BOOLEAN NOT NULL,
        specialised BOOLEAN NOT NULL, little_giant BOOLEAN NOT NULL, champion BOOLEAN NOT NULL,
        "leading" BOOLEAN NOT NULL, park VARCHAR, synthetic BOOLEAN NOT NULL,
        source VARCHAR NOT NULL, source_row INTEGER NOT NULL
    """,
    "products": """
        id VARCHAR PRIMARY KEY, enterprise VARCHAR NOT NULL, name VARCHAR NOT NULL, chain VARCHAR,
        link VARCHAR, material VARCHAR, certifications VARCHAR, recommended BOOLEAN NOT NULL,
        synthetic BOOLEAN NOT NULL, source VARCHAR NOT NULL, source_row INTEGER NOT NULL
    """,
    "projects": """
        id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, enterprise VARCHAR, park VARCHAR,
        chain VARCHAR, link VARCHAR, stage VARCHAR NOT NULL, investment_yi DOUBLE,
        planned_start VARCHAR, planned_finish VARCHAR, actual_start VARCHAR, actual_finish VARCHAR,
        "key" BOOLEAN NOT NULL, lon DOUBLE, lat DOUBLE, adcode VARCHAR, synthetic BOOLEAN NOT NULL,
        source VARCHAR NOT NULL, source_row INTEGER NOT NULL
    """,
    "leads": """
        id VARCHAR PRIMARY KEY, company VARCHAR NOT NULL, origin VARCHAR, chain VARCHAR,
        link VARCHAR, investment_yi DOUBLE, stage VARCHAR NOT NULL, unit VARCHAR, next_step VARCHAR,
        next_date VARCHAR, adcode VARCHAR, park VARCHAR, synthetic BOOLEAN NOT NULL,
        source VARCHAR NOT NULL, source_row INTEGER NOT NULL
    """,
    "tasks": """
        id VARCHAR PRIMARY KEY, unit VARCHAR NOT NULL, target VARCHAR NOT NULL, chain VARCHAR,
        link VARCHAR, count DOUBLE, deadline VARCHAR, status VARCHAR NOT NULL, leads VARCHAR[] NOT NULL,
        adcode VARCHAR, synthetic BOOLEAN NOT NULL, source VARCHAR NOT NULL, source_row INTEGER NOT NULL
    """,
    "targets": """
        indicator VARCHAR NOT NULL, scope VARCHAR NOT NULL, scope_code VARCHAR, year SMALLINT NOT NULL,
        value DOUBLE NOT NULL, comparator VARCHAR NOT NULL, unit VARCHAR, document VARCHAR NOT NULL,
        clause VARCHAR, note VARCHAR
    """,
    "chain_links": "chain VARCHAR NOT NULL, position SMALLINT NOT NULL, link VARCHAR NOT NULL",
}
TABLES.update(INDUSTRY_TABLES)

REQUIRED_TABLES = tuple(t for t in TABLES if t != "exposure_cells" and t not in MATERIAL_TABLES)

#: Identifiers that may appear in SQL built from user choices (allowlist).
ALLOWED_COLUMNS: dict[str, frozenset[str]] = {
    name: frozenset(
        part.split()[0].strip('"')
        for part in (p.strip() for p in ddl.replace("\n", " ").split(","))
        if part and part.split()[0].strip('"').isidentifier()
    )
    for name, ddl in TABLES.items()
}


def quote(column: str) -> str:
    """A column name as a quoted SQL identifier (some, like ``leading``, are keywords)."""
    return '"' + column.replace('"', '""') + '"'


def check_identifier(table: str, column: str | None = None) -> str:
    """Return ``table`` (or ``column``) if it is in the allowlist, else raise ValueError."""
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; expected one of {sorted(TABLES)}")
    if column is None:
        return table
    if column not in ALLOWED_COLUMNS[table]:
        raise ValueError(
            f"unknown column {column!r} of {table!r}; expected one of "
            f"{sorted(ALLOWED_COLUMNS[table])}"
        )
    return column


def default_store_path(region_id: str) -> str:
    """The default store path for a region id, relative to the project root."""
    return f"data/{region_id}.duckdb"
