"""Geography: Beijing's 16 districts (names, codes, boundaries), WGS-84 and GCJ-02, and the folium map layers.

Offers :mod:`.districts` (reference data and name matching), :mod:`.gcj02` (coordinate conversion) and
:mod:`.maps` (every map layer the pages draw; user text reaches the map only as escaped data). Imports nothing
else of the core but :mod:`dashboard.core.text`.
"""
