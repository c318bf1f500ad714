"""Everything computed from the store: map layers and the analyses behind them (pure).

``layers`` reads the store through ``layers.store`` and imports nothing from ``etl`` but
``etl.schema`` (the contract). ``mapapp`` calls only what ``__all__`` lists.
"""

from layers.store import Store, StoreUnavailable

__all__ = ["Store", "StoreUnavailable"]
