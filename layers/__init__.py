"""Everything computed from the store: map layers and the analyses behind them (pure).

``layers`` reads the store through ``layers.store`` and imports nothing from ``etl`` but
``etl.schema`` (the contract). ``mapapp`` calls only what ``__all__`` lists.
"""

from layers.store import Store, StoreUnavailable
from layers.viewport import (
    HexPayload,
    Viewport,
    ViewportError,
    facility_points_in_view,
    hazard_cells_in_view,
    payload_bytes,
    resolution_for_zoom,
)

__all__ = [
    "HexPayload",
    "Store",
    "StoreUnavailable",
    "Viewport",
    "ViewportError",
    "facility_points_in_view",
    "hazard_cells_in_view",
    "payload_bytes",
    "resolution_for_zoom",
]
