"""Everything computed from the store, in rooms (read ``layers/README`` in the README's structure).

- ``layers.store``: the read-only store (one DuckDB file, opened read-only);
- ``layers.frames``: the read model every computation shares: region cells with county, city
  and terrain, cell areas, population, entities and their units, facilities by tier or chain,
  hazard breaks and at-risk cells;
- ``layers.map``: what the map page draws: viewport hexagons, facility points and aggregates,
  cards, admin outlines/labels/summaries, vocabularies and colours;
- ``layers.analysis``: one module per analysis (access, gaps, chains, e2sfca, coordination,
  site, siting, dispatch, index) plus the shared travel model (``travel``, ``reach``);
  materials and supply-demand matching land here too;
- ``layers.report``: the coverage-gap report (PDF, HTML, XLSX, GeoJSON, GeoParquet);
- ``layers.export`` (tables to files) and ``layers.cli`` (``onemap analyze``);
- ``layers.industry``: the industry databases (四库一清单), indicators against plan targets, chain atlas.

``layers`` imports nothing from ``etl`` but ``etl.schema`` (the contract). ``mapapp`` calls
only what ``__all__`` lists; ``layers.map`` never imports ``layers.analysis`` or
``layers.report``, and ``layers.analysis`` never imports ``layers.map`` or ``layers.report``.
"""

from layers.analysis.access import access_from_store
from layers.analysis.budget import Budget, WorkTooLarge, check_work, coarser_fit, work_amount
from layers.analysis.chains import chain_matrix, chains_from_store
from layers.analysis.coordination import coordination_from_store
from layers.analysis.dispatch import dispatch_from_store, dispatch_lines
from layers.analysis.e2sfca import (
    DEFAULT_BANDS,
    CatchmentError,
    E2SFCAResult,
    e2sfca,
    e2sfca_from_store,
)
from layers.analysis.gaps import coverage_gaps, gaps_from_store
from layers.analysis.index import index_from_store, multi_hazard_index
from layers.analysis.site import explain_site, site_from_store
from layers.analysis.siting import (
    SitingError,
    SitingResult,
    SolverError,
    siting_from_store,
    solve_mclp,
)
from layers.analysis.supply import (
    MaterialsUnavailable,
    in_unit,
    match_from_store,
    regional_supply,
    supply_from_store,
)
from layers.analysis.supply_events import SupplyEventError, event_supply_from_store
from layers.analysis.siting_stock import StockSitingError, stock_siting_from_store
from layers.analysis.travel import (
    AccessParams,
    access_table,
    nearest_facilities,
    pairs_within_hours,
)
from layers.export import internal_mark, write_table
from layers.frames import at_risk_cells, region_cells
from layers.industry import (
    IndustryDataMissing,
    atlas_from_store,
    city_atlas_from_store,
    item_from_store,
    monitor_from_store,
    names_from_store,
    rows_from_store,
)
from layers.industry.labels import display_frame as industry_display
from layers.industry.labels import header as industry_header
from layers.industry.labels import name_text as industry_name
from layers.industry.labels import indicator_name
from layers.industry.labels import term as industry_term
from layers.map.colours import HAZARD_PALETTES, TIER_COLOURS, hazard_palette
from layers.map.facilities import (
    aggregation_resolution,
    facilities_in_cell,
    facility_hexes_in_view,
    facility_points_in_view,
)
from layers.map.inspect import NotFoundError, cell_card, facility_card
from layers.map.labels import VOCABULARIES, hazard_layers
from layers.map.measure import measure_shapes
from layers.map.search import search_places
from layers.map.units import admin_geojson, admin_labels, admin_tree, unit_summary
from layers.map.viewport import (
    HexPayload,
    Viewport,
    ViewportError,
    hazard_cells_in_view,
    payload_bytes,
    resolution_for_zoom,
)
from layers.placenames import english_text, place_name  # English names (issue 15)
from layers.report import Report, ReportError, build_report, write_report
from layers.report.cluster import cluster_report_bytes
from layers.report.wording import measure_text, units_name  # the hexagon card's values in words
from layers.store import Store, StoreUnavailable

__all__ = [
    "AccessParams",
    "Budget",
    "CatchmentError",
    "DEFAULT_BANDS",
    "E2SFCAResult",
    "HAZARD_PALETTES",
    "HexPayload",
    "IndustryDataMissing",
    "NotFoundError",
    "Report",
    "ReportError",
    "SitingError",
    "SitingResult",
    "SolverError",
    "Store",
    "StoreUnavailable",
    "TIER_COLOURS",
    "VOCABULARIES",
    "Viewport",
    "ViewportError",
    "WorkTooLarge",
    "access_from_store",
    "access_table",
    "admin_geojson",
    "admin_labels",
    "admin_tree",
    "aggregation_resolution",
    "at_risk_cells",
    "atlas_from_store",
    "build_report",
    "cell_card",
    "chain_matrix",
    "check_work",
    "coarser_fit",
    "chains_from_store",
    "cluster_report_bytes",
    "city_atlas_from_store",
    "coordination_from_store",
    "coverage_gaps",
    "dispatch_from_store",
    "dispatch_lines",
    "e2sfca",
    "e2sfca_from_store",
    "english_text",
    "measure_text",
    "units_name",
    "explain_site",
    "facilities_in_cell",
    "facility_card",
    "facility_hexes_in_view",
    "facility_points_in_view",
    "gaps_from_store",
    "hazard_cells_in_view",
    "hazard_layers",
    "hazard_palette",
    "indicator_name",
    "industry_display",
    "industry_header",
    "industry_name",
    "industry_term",
    "item_from_store",
    "measure_shapes",
    "index_from_store",
    "monitor_from_store",
    "multi_hazard_index",
    "names_from_store",
    "nearest_facilities",
    "pairs_within_hours",
    "payload_bytes",
    "place_name",
    "region_cells",
    "resolution_for_zoom",
    "rows_from_store",
    "search_places",
    "site_from_store",
    "siting_from_store",
    "MaterialsUnavailable",
    "SupplyEventError",
    "StockSitingError",
    "event_supply_from_store",
    "stock_siting_from_store",
    "in_unit",
    "match_from_store",
    "regional_supply",
    "supply_from_store",
    "solve_mclp",
    "unit_summary",
    "write_report",
    "internal_mark",
    "work_amount",
    "write_table",
]
