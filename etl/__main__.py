"""``python -m etl`` is the ``onemap`` command."""

from etl.cli import main

main()
