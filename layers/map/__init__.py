"""What the map page draws, read from the store for the app (``mapapp``) through ``layers.__all__``.

``viewport`` (hazard hexagons in view at a zoom-adaptive H3 resolution), ``facilities``
(parks, enterprises and reserves in view, aggregated per hexagon when zoomed out), ``inspect``
(the cards of a hexagon or a facility), ``units`` (admin outlines, labels, the drill-down tree
and unit summaries), ``labels`` (display vocabularies and the store's hazard layers) and
``colours`` (palettes shared with the printed reports). Nothing here imports an analysis or the
report: the map stays fast and independent of them.
"""
