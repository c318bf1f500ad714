"""The pages' callbacks for every app a process creates, not only the first.

The page modules register their callbacks with ``dash.callback`` (and ``clientside_callback``)
once, when they are first imported; Dash keeps them in module-level lists and the first app moves
them into its own ``callback_map`` when it sets itself up (``Dash._setup_server``), emptying the
lists. A second app in the same process (a test, a benchmark, an embedding server) then had only
Dash's pages router: the map drew but no hexagons, cards or analyses ever answered.

``hand_over()``, called by ``create_app`` after ``Dash(...)`` and before the app's set-up, keeps a
copy of what the first app is about to take and gives the same callbacks to every later app.
This reads Dash's private ``dash._callback`` globals (there is no public way to register a
``dash.callback`` on a second app); ``tests/integration/test_app.py`` checks that a second app
gets every callback, so a Dash upgrade that changes them fails there, not in production.
"""

from __future__ import annotations

import copy
from typing import Any

from dash import _callback as dash_callbacks

#: What the pages registered, as the first app found it (filled once per process).
_KEPT: dict[str, Any] = {}


def hand_over() -> None:
    """Give the app being created every callback the pages registered with ``dash.callback``."""
    if not _KEPT:  # the first app: what it takes is kept, unchanged, for the later ones
        _KEPT.update(map=copy.deepcopy(dash_callbacks.GLOBAL_CALLBACK_MAP),
                     list=copy.deepcopy(dash_callbacks.GLOBAL_CALLBACK_LIST),
                     scripts=list(dash_callbacks.GLOBAL_INLINE_SCRIPTS))
        return
    # Dash's set-up changes the entries it takes (it pops a background callback's cancel inputs
    # to make the cancel callbacks), so each app gets copies
    waiting = dash_callbacks.GLOBAL_CALLBACK_MAP
    listed = {entry.get("output") for entry in dash_callbacks.GLOBAL_CALLBACK_LIST}
    for key, spec in _KEPT["map"].items():
        if key not in waiting:
            waiting[key] = copy.deepcopy(spec)
    dash_callbacks.GLOBAL_CALLBACK_LIST.extend(
        copy.deepcopy(entry) for entry in _KEPT["list"] if entry.get("output") not in listed)
    scripts = dash_callbacks.GLOBAL_INLINE_SCRIPTS
    scripts.extend(s for s in _KEPT["scripts"] if s not in scripts)
