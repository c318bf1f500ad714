"""OneMap ETL: planners' files -> normalised, validated, H3-indexed tables -> one DuckDB store.

``etl`` imports neither ``layers`` nor ``mapapp``. ``etl.schema`` is the contract they read.
"""

import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())
