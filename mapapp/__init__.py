"""The Dash + dash-leaflet app (pages, callbacks, i18n, settings): no SQL, no analysis.

It calls ``layers`` only; it never imports ``duckdb`` or ``etl``. The app itself is built by
the dashboard issue; ``mapapp.settings`` is shared with the CLI already.
"""
