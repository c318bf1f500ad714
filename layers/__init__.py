"""Everything computed from the store: map layers and the analyses behind them (pure).

``layers`` reads the store through ``layers.store`` and imports nothing from ``etl`` but
``etl.schema`` (the contract). ``mapapp`` calls only what ``__all__`` lists.
"""

from layers.access import AccessParams, access_from_store, access_table, nearest_facilities, pairs_within_hours
from layers.cells import region_cells
from layers.e2sfca import DEFAULT_BANDS, CatchmentError, E2SFCAResult, e2sfca, e2sfca_from_store
from layers.facilities import aggregation_resolution, facility_hexes_in_view, facility_points_in_view
from layers.export import write_table
from layers.gaps import at_risk_cells, coverage_gaps, gaps_from_store
from layers.inspect import NotFoundError, cell_card, facility_card
from layers.labels import VOCABULARIES, hazard_layers
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
    "SitingError",
    "SitingResult",
    "SolverError",
    "HexPayload",
    "NotFoundError",
    "Store",
    "StoreUnavailable",
    "VOCABULARIES",
    "Viewport",
    "ViewportError",
    "access_from_store",
    "access_table",
    "at_risk_cells",
    "admin_geojson",
    "admin_labels",
    "admin_tree",
    "aggregation_resolution",
    "cell_card",
    "coverage_gaps",
    "e2sfca",
    "e2sfca_from_store",
    "facility_card",
    "facility_hexes_in_view",
    "facility_points_in_view",
    "hazard_cells_in_view",
    "gaps_from_store",
    "hazard_layers",
    "nearest_facilities",
    "pairs_within_hours",
    "payload_bytes",
    "region_cells",
    "resolution_for_zoom",
    "siting_from_store",
    "solve_mclp",
    "unit_summary",
    "write_table",
]
