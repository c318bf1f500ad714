"""Everything computed from the store: map layers and the analyses behind them (pure).

``layers`` reads the store through ``layers.store`` and imports nothing from ``etl`` but
``etl.schema`` (the contract). ``mapapp`` calls only what ``__all__`` lists.
"""

from layers.access import AccessParams, access_from_store, access_table, nearest_facilities, pairs_within_hours
from layers.budget import Budget, WorkTooLarge, check_work
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
from layers.inspect import NotFoundError, cell_card, facility_card
from layers.labels import VOCABULARIES, hazard_layers
from layers.report import Report, ReportError, build_report, write_report
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
    "Budget",
    "CatchmentError",
    "DEFAULT_BANDS",
    "E2SFCAResult",
    "HAZARD_PALETTES",
    "HexPayload",
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
    "build_report",
    "cell_card",
    "chain_matrix",
    "check_work",
    "chains_from_store",
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
    "index_from_store",
    "multi_hazard_index",
    "nearest_facilities",
    "pairs_within_hours",
    "payload_bytes",
    "region_cells",
    "resolution_for_zoom",
    "site_from_store",
    "siting_from_store",
    "solve_mclp",
    "unit_summary",
    "write_report",
    "write_table",
]
