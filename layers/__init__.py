"""Everything computed from the store: map layers and the analyses behind them (pure).

``layers`` reads the store through ``layers.store`` and imports nothing from ``etl`` but
``etl.schema`` (the contract). ``mapapp`` calls only what ``__all__`` lists.
"""

from layers.access import AccessParams, access_from_store, access_table, nearest_facilities, pairs_within_hours
from layers.cells import region_cells
from layers.colours import HAZARD_PALETTES, TIER_COLOURS, hazard_palette
from layers.chains import chain_matrix, chains_from_store
from layers.coordination import coordination_from_store
from layers.dispatch import dispatch_from_store, dispatch_lines
from layers.e2sfca import DEFAULT_BANDS, CatchmentError, E2SFCAResult, e2sfca, e2sfca_from_store
from layers.facilities import aggregation_resolution, facility_hexes_in_view, facility_points_in_view
from layers.export import write_table
from layers.gaps import at_risk_cells, coverage_gaps, gaps_from_store
from layers.hazard_index import index_from_store, multi_hazard_index
from layers.industry import (
    IndustryDataMissing, atlas_from_store, city_atlas_from_store, item_from_store, monitor_from_store, names_from_store,
    rows_from_store,
)
from layers.industry.labels import display_frame as industry_display, header as industry_header
from layers.industry.labels import indicator_name, term as industry_term
from layers.inspect import NotFoundError, cell_card, facility_card
from layers.labels import VOCABULARIES, hazard_layers
from layers.report import Report, ReportError, build_report, write_report
from layers.report.cluster import cluster_report_bytes
from layers.site import explain_site, site_from_store
from layers.siting import SitingError, SitingResult, SolverError, siting_from_store, solve_mclp
from layers.store import Store, StoreUnavailable
from layers.units import admin_geojson, admin_labels, admin_tree, unit_summary
from layers.viewport import (
    HexPayload,
    Viewport,
    ViewportError,
    hazard_cells_in_view,
    payload_bytes,
    resolution_for_zoom,
)

__all__ = [
    "AccessParams",
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
    "chains_from_store",
    "cluster_report_bytes",
    "city_atlas_from_store",
    "coordination_from_store",
    "coverage_gaps",
    "dispatch_from_store",
    "dispatch_lines",
    "e2sfca",
    "e2sfca_from_store",
    "explain_site",
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
    "industry_term",
    "item_from_store",
    "index_from_store",
    "monitor_from_store",
    "multi_hazard_index",
    "names_from_store",
    "nearest_facilities",
    "pairs_within_hours",
    "payload_bytes",
    "region_cells",
    "resolution_for_zoom",
    "rows_from_store",
    "site_from_store",
    "siting_from_store",
    "solve_mclp",
    "unit_summary",
    "write_report",
    "write_table",
]
