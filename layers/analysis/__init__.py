"""The analyses: one module per question a planner asks, each a pure core plus a store adapter.

The shared travel model is ``travel`` (``AccessParams``: great-circle km x terrain detour /
speed + dispatch delay; nearest facilities; pairs within T hours; hour checks) and ``reach``
(sums of weights within a radius, by H3 parents). The analyses: ``access`` (nearest reserves
per tier or chain), ``gaps`` (at-risk cells beyond the 6/8/10 h standards), ``chains`` (relevant
industry chains within reach), ``e2sfca`` (capacity per person), ``coordination`` (cross-border
gain), ``site`` (explained suitability of a place), ``siting`` (MCLP new depots), ``dispatch``
(one event: who arrives first) and ``index`` (multi-hazard index). Materials and supply-demand
matching belong here as well. What two analyses share lives in ``layers.frames`` or in the
travel model, never in another analysis's private helpers; nothing here imports ``layers.map``
or ``layers.report``.
"""
