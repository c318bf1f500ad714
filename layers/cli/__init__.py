"""``onemap analyze NAME --db DB [options] --out FILE``: an analysis of ``layers`` on a store,
written by extension (.csv, .xlsx, .geojson, .parquet). A plugin of the ``onemap`` group
(entry point ``onemap.commands``), like ``serve``; ``etl`` never imports ``layers``.

Exit codes: 0 done, 1 a store or data problem (message names the fix), 2 bad parameters.

Commands live by family: ``layers.cli.coverage`` (access, gaps, e2sfca, chains, coordination) and
``layers.cli.places`` (siting, site, dispatch, index); shared options in ``layers.cli.common``.
A new analysis adds its command to one of them (or a new family module) and one line below.
"""

from __future__ import annotations

import click

from layers.cli.coverage import access, chains_command, coordination_command, e2sfca_command, gaps
from layers.cli.places import dispatch_command, index_command, site_command, siting
from layers.cli.supply import match, supply_command


@click.group()
def analyze() -> None:
    """Analyses on a store (methods and limits: layers/METHODS.md)."""


for _command in (access, gaps, e2sfca_command, chains_command, coordination_command, siting, site_command, dispatch_command, index_command,
                 supply_command):
    analyze.add_command(_command)
