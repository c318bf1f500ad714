"""User-facing messages of the ETL and CLI, Chinese first, English second.

Every message says what was found, what was expected and how to fix it. Templates use
``str.format`` fields taken from a ``Problem``'s params. The language is an explicit
argument, else ``ONEMAP_LANG``, else Chinese.

The module is long (~460 lines) because it is the one table of every user-facing message in both
languages; the material and industry families keep theirs beside their readers.
"""

from __future__ import annotations

import os
from typing import Any

LANGS = ("zh", "en")

#: code -> (Chinese, English)
MESSAGES: dict[str, tuple[str, str]] = {
    "problems_header": ("发现 {n} 个数据问题：", "Found {n} data problem(s):"),
    # --- files and formats -------------------------------------------------------------
    "file_not_found": (
        "找不到文件。请检查区域配置中 path 的写法（相对于区域配置文件所在目录）。",
        "file not found. Check its `path` in the region file (relative to the region file).",
    ),
    "unsupported_format": (
        "不支持的文件类型「{found}」，应为 {expected} 之一。请转换格式或在配置中设置 format。",
        "unsupported file type {found!r}; expected one of {expected}. Convert it or set "
        "`format` in the region file.",
    ),
    "unreadable_file": (
        "无法读取文件：{found}。请确认文件未损坏且格式正确。",
        "cannot read the file: {found}. Check that it is not damaged and is of the stated format.",
    ),
    "encoding_undetected": (
        "无法识别文本编码（已尝试 {expected}）。请另存为 UTF-8，或在配置中设置 encoding = \"gbk\"。",
        "cannot detect the text encoding (tried {expected}). Save it as UTF-8 or set "
        "encoding = \"gbk\" in the region file.",
    ),
    "sheet_not_found": (
        "工作表「{found}」不存在，现有工作表：{expected}。请修改配置中的 sheet。",
        "sheet {found!r} does not exist; sheets are {expected}. Fix `sheet` in the region file.",
    ),
    "empty_file": (
        "文件中没有数据行。请确认选择了正确的文件或工作表。",
        "the file has no data rows. Check that the right file or sheet is named.",
    ),
    "missing_column": (
        "缺少必需字段「{field}」（可用别名：{aliases}）；文件中的列为：{found}。"
        "请在区域配置的 columns 中加上 {field} = \"<列名>\"。",
        "required field {field!r} is missing (aliases: {aliases}); the file's columns are "
        "{found}. Add columns.{field} = \"<column name>\" to the region file.",
    ),
    "mapped_column_missing": (
        "配置把字段「{field}」映射到列「{found}」，但文件中没有这一列；现有列：{expected}。",
        "the region file maps {field!r} to column {found!r}, which the file does not have; "
        "its columns are {expected}.",
    ),
    "column_order_mismatch": (
        "无表头文件有 {found} 列，但 column_order 声明了 {expected} 列。请修改 column_order。",
        "the headerless file has {found} columns but column_order names {expected}. "
        "Fix column_order.",
    ),
    # --- rows ----------------------------------------------------------------------------
    "empty_name": ("名称为空。请填写名称。", "the name is empty. Fill in a name."),
    "duplicate_id": (
        "编号「{found}」重复（第一次出现在第 {expected} 行）。请让每行编号唯一，或删除编号列以自动生成。",
        "id {found!r} is a duplicate (first seen on row {expected}). Make ids unique or drop "
        "the id column to have them generated.",
    ),
    "duplicate_id_source": (
        "编号「{found}」已在文件 {first_file} 第 {first_row} 行出现，本行未载入。"
        "同一文件是否在区域配置中列了两次？请删去重复的数据源，或让各文件的编号互不相同。",
        "id {found!r} was already used in {first_file}, row {first_row}; this row is not loaded. "
        "Is the same file listed twice in the region file? Remove the repeated source or make "
        "ids unique across files.",
    ),
    "bad_number": (
        "字段「{field}」的值「{found}」不是数字，应为 {expected}。",
        "field {field!r} has {found!r}, which is not a number; expected {expected}.",
    ),
    "bad_bool": (
        "字段「{field}」的值「{found}」无法识别为是/否，应为 是/否、1/0 或 true/false。",
        "field {field!r} has {found!r}; expected yes/no, 1/0 or true/false (是/否).",
    ),
    "lon_out_of_range": (
        "经度 {found} 超出 [-180, 180]。请检查经度列。",
        "longitude {found} is outside [-180, 180]. Check the longitude column.",
    ),
    "lat_out_of_range": (
        "纬度 {found} 超出 [-90, 90]。请检查纬度列，或经纬度是否颠倒。",
        "latitude {found} is outside [-90, 90]. Check the latitude column or whether lon/lat "
        "are swapped.",
    ),
    "swapped_lonlat": (
        "经度 {lon}、纬度 {lat} 在区域范围 {bbox} 之外，但互换后落在范围内：经纬度列可能颠倒。"
        "请交换这两列，或在配置中设置 swap_lonlat = true。",
        "lon {lon}, lat {lat} lie outside the region bbox {bbox} but inside it when swapped: "
        "the columns look swapped. Swap them or set swap_lonlat = true in the region file.",
    ),
    "outside_bbox": (
        "位置（经度 {lon}，纬度 {lat}）在区域范围 {bbox} 之外。请检查坐标及其坐标系（crs = {crs}）。",
        "position (lon {lon}, lat {lat}) is outside the region bbox {bbox}. Check the "
        "coordinates and their CRS (crs = {crs}).",
    ),
    "coord_incomplete": (
        "只有{found}，缺少另一个坐标。请补全经纬度，或删去坐标只保留地址。",
        "only the {found} is given; the other coordinate is missing. Complete both, or leave "
        "both empty and give an address.",
    ),
    "duplicate_adcode": (
        "行政区划代码「{found}」出现多次，但名称/级别/上级不一致（{expected}）。同一代码只能对应一个区划。",
        "adcode {found!r} occurs more than once with different name/level/parent ({expected}). "
        "One code must be one unit.",
    ),
    "no_location": (
        "既没有经纬度也没有地址，无法定位。请补充坐标或地址（精确到区县）。",
        "no coordinates and no address, so it cannot be placed. Add coordinates or an address "
        "(at least the district).",
    ),
    "address_unmatched": (
        "地址「{found}」无法匹配到区县。请补充省市区名称，或直接填写经纬度。",
        "address {found!r} matches no district. Add the province/city/district names or give "
        "coordinates.",
    ),
    "adcode_unknown": (
        "行政区划代码「{found}」不在区县表中，应为 6 位 GB/T 2260 代码。",
        "adcode {found!r} is not in the district table; expected a 6-digit GB/T 2260 code.",
    ),
    "unknown_value": (
        "字段「{field}」的值「{found}」无法识别，应为：{expected}。",
        "field {field!r} has an unknown value {found!r}; expected one of: {expected}.",
    ),
    "unknown_chain": (
        "产业链「{found}」无法识别，应为十大产业链之一：{expected}。",
        "chain {found!r} is unknown; expected one of the ten chains: {expected}.",
    ),
    "crs_transform_failed": (
        "坐标转换失败（{found}）。请检查坐标系声明 crs = {crs}。",
        "the coordinate transformation failed ({found}). Check crs = {crs}.",
    ),
    # --- CRS ------------------------------------------------------------------------------
    "crs_unknown": (
        "无法识别坐标系「{found}」，应为 WGS84、CGCS2000、GCJ02、BD09、EPSG:<编号> 或 WKT。",
        "unknown CRS {found!r}; expected WGS84, CGCS2000, GCJ02, BD09, EPSG:<code> or WKT.",
    ),
    "crs_missing": (
        "没有声明坐标系。请在区域配置中加上 crs = \"WGS84\"（或 GCJ02、BD09、EPSG:<编号>）。",
        "no CRS declared. Add crs = \"WGS84\" (or GCJ02, BD09, EPSG:<code>) to the region file.",
    ),
    # --- rasters --------------------------------------------------------------------------
    "raster_no_crs": (
        "栅格没有坐标系。请在区域配置的 [hazards.{hazard}] 中加上 crs = \"EPSG:4326\"（按数据实际坐标系填写）。",
        "the raster has no CRS. Add crs = \"EPSG:4326\" (the data's real CRS) under "
        "[hazards.{hazard}] in the region file.",
    ),
    "raster_rotated": (
        "栅格带旋转/错切的仿射变换 {found}，不支持。请先用 gdalwarp 重采样为正北朝向的栅格。",
        "the raster has a rotated/sheared transform {found}, which is not supported. Warp it to "
        "a north-up grid first (gdalwarp).",
    ),
    "raster_band_missing": (
        "栅格只有 {expected} 个波段，找不到波段 {found}。请修改 band。",
        "the raster has {expected} band(s); band {found} does not exist. Fix `band`.",
    ),
    "raster_no_overlap": (
        "栅格范围 {found} 与区域范围 {expected} 不相交。请检查文件和坐标系。",
        "the raster extent {found} does not overlap the region bbox {expected}. Check the file "
        "and its CRS.",
    ),
    "raster_no_crs_cli": (
        "栅格没有坐标系。请在命令行加上 --crs EPSG:4326（按数据实际坐标系填写）。",
        "the raster has no CRS. Add --crs EPSG:4326 (the data's real CRS) to the command line.",
    ),
    "vector_no_crs": (
        "文件没有坐标系（例如 Shapefile 缺少 .prj）。请在区域配置的 [hazards.{hazard}] 中加上 "
        "crs = \"EPSG:4326\"（按数据实际坐标系填写；经纬度度数即 EPSG:4326）。",
        "the file has no CRS (e.g. a shapefile without its .prj). Add crs = \"EPSG:4326\" (the "
        "data's real CRS; longitude/latitude degrees are EPSG:4326) under [hazards.{hazard}] in "
        "the region file.",
    ),
    "vector_no_crs_cli": (
        "文件没有坐标系（例如 Shapefile 缺少 .prj）。请在命令行加上 --crs EPSG:4326（按数据实际坐标系填写）。",
        "the file has no CRS (e.g. a shapefile without its .prj). Add --crs EPSG:4326 (the data's "
        "real CRS) to the command line.",
    ),
    "vector_no_geometry": (
        "这一要素没有几何图形（空几何），未载入。",
        "this feature has no geometry (empty or missing); it is not loaded.",
    ),
    "vector_wrong_geometry": (
        "几何类型为 {found}，应为 {expected}，未载入。",
        "the geometry is a {found}; expected {expected}. It is not loaded.",
    ),
    "zone_bad_value": (
        "字段「{field}」的值「{found}」既不是数字也不在配置的 values 中（{expected}），未载入。"
        "请在区域配置的 values 中给这一等级一个数值。",
        "field {field!r} has {found!r}, which is neither a number nor one of the configured values "
        "({expected}); not loaded. Give this class a number under `values` in the region file.",
    ),
    "event_no_position": (
        "这一事件没有经纬度，未载入。",
        "this event has no longitude/latitude; it is not loaded.",
    ),
    "event_bad_value": (
        "字段「{field}」的值「{found}」不合理，应为 {expected}，未载入。",
        "field {field!r} has the impossible value {found!r}; expected {expected}. Not loaded.",
    ),
    "vector_too_many_cells": (
        "该图层在分辨率 {res} 下约需 {found} 个 H3 单元，超出上限。请选用较粗的分辨率或先裁剪数据范围。",
        "the layer would need about {found} H3 cells at resolution {res}, more than the limit. Use a "
        "coarser resolution or clip the data first.",
    ),
    "exposure_no_crs": (
        "人口栅格没有坐标系。请在区域配置的 [exposure] 中加上 crs = \"EPSG:4326\"（按数据实际坐标系填写）。",
        "the population raster has no CRS. Add crs = \"EPSG:4326\" (the data's real CRS) under "
        "[exposure] in the region file.",
    ),
    "exposure_bad_values": (
        "人口栅格中有 {negative} 个负值像元、{nan} 个 NaN 或无穷值像元（均不是 nodata = {nodata}；"
        "第一个在 行, 列 = {first}），应为每像元人数（大于等于 0 的计数）。请修正这些像元；"
        "若它们表示无数据，请在区域配置的 [exposure] 中设置 nodata = <该值>。",
        "the population raster has {negative} negative pixel(s) and {nan} NaN or infinite pixel(s) "
        "that are not nodata (nodata = {nodata}; the first at row, column = {first}); expected "
        "people per pixel (counts >= 0). Fix those pixels, or if they mean no data, set "
        "nodata = <that value> under [exposure] in the region file.",
    ),
    "raster_all_nodata": (
        "栅格在区域内全部为无效值（nodata = {found}）。请检查 nodata 设置。",
        "every pixel in the region is nodata (nodata = {found}). Check the nodata setting.",
    ),
    # --- region file ------------------------------------------------------------------------
    "region_syntax": (
        "区域配置不是合法的 TOML：{found}。",
        "the region file is not valid TOML: {found}.",
    ),
    "region_missing_key": (
        "缺少配置项「{key}」，应为 {expected}。",
        "missing key {key!r}; expected {expected}.",
    ),
    "region_bad_value": (
        "配置项「{key}」的值 {found} 不合法，应为 {expected}。",
        "key {key!r} has the invalid value {found}; expected {expected}.",
    ),
    "region_unknown_key": (
        "未知配置项「{key}」（拼写错误？），可用的配置项：{expected}。",
        "unknown key {key!r} (a typo?); known keys: {expected}.",
    ),
    # --- store / CLI ------------------------------------------------------------------------
    "store_missing": (
        "数据库 {path} 不存在。请先运行：onemap build {region}",
        "store {path} does not exist. Build it first: onemap build {region}",
    ),
    "store_unreadable": (
        "无法打开数据库 {path}：{found}。请重新构建：onemap build",
        "cannot open the store {path}: {found}. Rebuild it: onemap build",
    ),
    "store_schema": (
        "数据库 {path} 的结构版本为 {found}，本程序需要 {expected}。请重新构建：onemap build",
        "store {path} has schema version {found}; this program needs {expected}. Rebuild it: "
        "onemap build",
    ),
    # --- distributed build (etl.scale) -----------------------------------------------------
    "dask_missing": (
        "未安装 Dask，无法使用 --workers 或 --scheduler。请运行 pip install \"onemap[dask]\"，或去掉这两个选项单进程构建。",
        "Dask is not installed, so --workers and --scheduler cannot be used. Run "
        "pip install \"onemap[dask]\", or build in one process without these options.",
    ),
    "dask_scheduler": (
        "无法连接 Dask 调度器 {found}。请确认 dask scheduler 已启动且地址、端口正确（例如 tcp://10.0.0.5:8786）。",
        "cannot reach the Dask scheduler {found}. Check that `dask scheduler` is running and the "
        "address and port are right (e.g. tcp://10.0.0.5:8786).",
    ),
    "workers_and_scheduler": (
        "--workers 与 --scheduler 只能选一个（收到 {found}）。本机多进程用 --workers，已有集群用 --scheduler。",
        "use either --workers or --scheduler, not both (got {found}). --workers starts a local "
        "cluster; --scheduler uses a running one.",
    ),
    "worker_cannot_read": (
        "计算节点 {worker} 无法读取该栅格（原因见下一条）。每个计算节点都必须能以同一路径访问栅格和缓存目录"
        "（共享盘或对象存储挂载）。数据库未改动。",
        "worker {worker} cannot read this raster (the next problem says why). Every worker must reach the rasters "
        "and the cache folder at the same path (a shared disk or mounted object store). The "
        "store was not changed.",
    ),
    "worker_died": (
        "计算节点 {worker} 在处理该栅格时退出（常见原因：内存不足）。数据库未改动。请减少 --workers、"
        "为节点分配更多内存（dask worker --memory-limit），或查看节点日志后重试。",
        "worker {worker} died while processing this raster (most often: out of memory). The "
        "store was not changed. Use fewer --workers, give workers more memory (dask worker "
        "--memory-limit) or check the worker's log, then retry.",
    ),
    "worker_failed": (
        "计算节点 {worker} 处理该栅格时出错：{found}。数据库未改动。",
        "worker {worker} failed on this raster: {found}. The store was not changed.",
    ),
    "bad_res": (
        "H3 分辨率 {found} 不合法，应为 0 到 15 的整数。",
        "H3 resolution {found} is invalid; expected an integer from 0 to 15.",
    ),
    "bad_classes": (
        "分级断点「{found}」不合法，应为递增的数字，用逗号分隔，例如 0.15,0.5,1.5。",
        "class breaks {found!r} are invalid; expected increasing numbers separated by commas, "
        "e.g. 0.15,0.5,1.5.",
    ),
    "bad_out": (
        "输出文件「{found}」的扩展名应为 .parquet 或 .csv。",
        "output file {found!r} must end in .parquet or .csv.",
    ),
    # --- readers ----------------------------------------------------------------------------
    "layer_not_found": (
        "图层「{found}」不存在，现有图层：{expected}。请修改配置中的 layer。",
        "layer {found!r} does not exist; layers are {expected}. Fix `layer` in the region file.",
    ),
    "encoding_wrong": (
        "按配置的编码「{expected}」无法解码文件（第 {found} 字节处出错）。请改为文件的实际编码"
        "（如 utf-8、gbk），或删除 encoding 以自动识别。",
        "the file cannot be decoded as the configured encoding {expected!r} (error at byte "
        "{found}). Set its real encoding (e.g. utf-8, gbk) or remove `encoding` to detect it.",
    ),
    "encoding_unknown_name": (
        "配置的编码名称「{found}」无法识别，应为 utf-8、gbk、gb18030 等。请修改配置中的 encoding。",
        "the configured encoding {found!r} is not a known encoding name; expected e.g. utf-8, "
        "gbk or gb18030. Fix `encoding` in the region file.",
    ),
    "row_extra_cells": (
        "这一行有 {found} 个单元格，但表头（或 column_order）只有 {expected} 列，"
        "多出的单元格不为空（常见原因：地址等文字中含未加引号的分隔符）。"
        "请给该单元格加上英文双引号，或删除多余的分隔符。",
        "this row has {found} cells but the header (or column_order) has {expected} columns, and "
        "the extra cells are not empty (often an unquoted delimiter inside an address). Quote "
        "that cell with double quotes or remove the extra delimiter.",
    ),
    "more_rows": (
        "另有 {n} 行存在同样的问题（{code}），未逐一列出。请修正上述各行后重新检查。",
        "{n} more row(s) have the same problem ({code}) and are not listed. Fix the rows above "
        "and check again.",
    ),
    "shapefile_part_missing": (
        "Shapefile 缺少配套文件 {found}（应与 .shp 同名、放在同一目录：{expected}）。"
        "请把这些文件一起复制过来。",
        "the shapefile lacks its companion file(s) {found} (expected next to the .shp with the "
        "same name: {expected}). Copy them along with the .shp.",
    ),
}

#: Chinese for the English "expected ..." phrases the region-file checks use.
EXPECTED_ZH: dict[str, str] = {
    "6-digit strings": "6 位数字字符串",
    '6-digit city or county adcodes as strings, e.g. "130700"': '6 位市级或县级行政区划代码（字符串），例如 "130700"',
    'a table of class = [city or county adcodes], e.g. { mountain = ["130700"] }':
        '地形类别 = [市级或县级行政区划代码] 的表，例如 { mountain = ["130700"] }',
    "EPSG:n, WKT or WGS84": "EPSG:<编号>、WKT 或 WGS84",
    "WGS84, CGCS2000, GCJ02, BD09, EPSG:n or WKT": "WGS84、CGCS2000、GCJ02、BD09、EPSG:<编号> 或 WKT",
    "[lon_min, lat_min, lon_max, lat_max]": "[最小经度, 最小纬度, 最大经度, 最大纬度]",
    "[lon_min, lat_min, lon_max, lat_max] in WGS-84 degrees": "[最小经度, 最小纬度, 最大经度, 最大纬度]（WGS-84 度）",
    "a [chains] table: hazard = [chain codes]": "[chains] 表：灾种 = [产业链代码]",
    "a [hazards.<name>] table per hazard": "每个灾种一个 [hazards.<名称>] 表",
    "a [region] table": "一个 [region] 表",
    "a [standards] table": "一个 [standards] 表",
    "a band number starting at 1": "从 1 开始的波段号",
    "a column name (string)": "列名（字符串）",
    "a layer name": "图层名",
    "a list of 6-digit adcodes": "6 位行政区划代码的列表",
    "a list of H3 resolutions, e.g. [5, 6, 7, 8, 9]": "H3 分辨率列表，例如 [5, 6, 7, 8, 9]",
    "a list of field names": "字段名列表",
    "a non-empty list of strictly increasing numbers": "非空且严格递增的数字列表",
    "a number": "数字",
    "a sheet name": "工作表名",
    'a short id such as "jjj"': "简短标识，例如 \"jjj\"",
    'a source name used once, not "admin", "exposure" nor "hazard:…"':
        "只出现一次的数据源名称，且不能是 \"admin\"、\"exposure\" 或 \"hazard:…\"",
    "a table": "一个表",
    'a table of field = "column name"': "字段 = \"列名\" 的表",
    "a table of field = value": "字段 = 值 的表",
    "an [admin] table with the boundary file": "指明行政边界文件的 [admin] 表",
    "an [exposure] table with the population raster": "指明人口栅格文件的 [exposure] 表",
    "the population raster path": "人口栅格文件路径",
    'the units "people" (a count of people per pixel)': "单位 \"people\"（每像元的人数）",
    'people per pixel: "people" (counts; convert a density such as people/km2 to counts first)':
        "每像元人数：\"people\"（计数；人口密度如 人/平方公里 须先换算为每像元人数）",
    "an encoding such as gbk": "编码名称，例如 gbk",
    "an integer >= 1": "大于等于 1 的整数",
    "at least one [[reserves]] table": "至少一个 [[reserves]] 表",
    "detour factors, e.g. { plain = 1.3, mountain = 1.6 }": "绕行系数，例如 { plain = 1.3, mountain = 1.6 }",
    "hours (a number)": "小时数",
    "hours per tier, e.g. { county = 6, municipal = 8 }": "各级储备的小时数，例如 { county = 6, municipal = 8 }",
    "increasing class breaks, e.g. [0.15, 0.5]": "递增的分级断点，例如 [0.15, 0.5]",
    "integers 0-15": "0 到 15 的整数",
    "km/h by tier or road class": "按级别或道路等级的车速（公里/小时）",
    "letters, digits, - or _": "字母、数字、- 或 _",
    "one character": "一个字符",
    "one label per class": "每个等级一个标签",
    "positive numbers": "正数",
    "text": "文字",
    "the boundary file path": "边界文件路径",
    "the field of each column, because header = false": "每一列对应的字段（因为 header = false）",
    "the file path": "文件路径",
    "the raster path": "栅格文件路径",
    'the units, e.g. "m" or "g"': "单位，例如 \"m\" 或 \"g\"",
    "true or false": "true 或 false",
    "raster, zones, events or lines": "raster、zones、events 或 lines",
    "max or min": "max 或 min",
    "max_magnitude, count, rate or smoothed_rate": "max_magnitude、count、rate 或 smoothed_rate",
    "[first year, last year]": "[起始年份, 结束年份]",
    "a positive number": "正数",
    'a table of class = value, e.g. { "高" = 3 }': '等级 = 数值 的表，例如 { "高" = 3 }',
    "numbers": "数字",
    "the column holding each zone's value or class": "存放各分区数值或等级的列名",
    "a magnitude -3..10": "-3 到 10 之间的震级",
    "a magnitude": "震级",
    "0 (unknown) or 1..12": "0（未知）或 1 到 12",
    "0 (unknown) or 1..31": "0（未知）或 1 到 31",
    "longitude -180..180, latitude -90..90": "经度 -180 到 180、纬度 -90 到 90",
    "a year (the layer declares a period)": "年份（该图层声明了时段 period）",
}

_LOCATIONS: dict[str, tuple[str, str]] = {
    "row": ("第 {} 行", "row {}"),
    "band": ("波段 {}", "band {}"),
    "column": ("列「{}」", "column {!r}"),
    "key": ("配置项「{}」", "key {!r}"),
}


def lang_or_default(lang: str | None = None) -> str:
    """``lang`` if given, else ``ONEMAP_LANG``, else ``"zh"``."""
    chosen = (lang or os.environ.get("ONEMAP_LANG") or "zh").lower()
    return chosen if chosen in LANGS else "zh"


def register_families() -> None:
    """Import the source families that keep their messages beside their readers (the material
    catalogue, the industry tables); each adds its codes to ``MESSAGES`` on import."""
    from etl import catalogue, industry_fields  # noqa: F401, PLC0415 (they import this module)


def render(code: str, file: str | None, params: dict[str, Any], lang: str | None = None) -> str:
    """Render message ``code`` with ``params``, prefixed by the file and the location."""
    i = LANGS.index(lang_or_default(lang))
    if code not in MESSAGES:
        register_families()
    template = MESSAGES[code][i]
    if i == 0 and isinstance(params.get("expected"), str) and params["expected"] in EXPECTED_ZH:
        params = {**params, "expected": EXPECTED_ZH[params["expected"]]}
    body = template.format_map(_Default(params))
    where = [
        _LOCATIONS[k][i].format(params[k]) for k in ("row", "band", "column") if k in params
    ]
    prefix = ", ".join(([file] if file else []) + where)
    sep = "：" if i == 0 else ": "
    return f"{prefix}{sep}{body}" if prefix else body


class _Default(dict):
    """format_map helper: a missing field renders as '?', never raises."""

    def __missing__(self, key: str) -> str:
        return "?"

