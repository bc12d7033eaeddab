"""What every map page draws beside its map: legends with colour swatches, and where to zoom."""

from __future__ import annotations

import html

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import resources
from dashboard.core.access.scope import Scope
from dashboard.core.geo import maps
from dashboard.i18n import lang

# how a legend's swatch is drawn, like the layer it explains: an area's fill, a dot, a blur of the heat map
SWATCH = {
    "area": "border-radius:2px;border:1px solid #5b6b7c",
    "dot": "border-radius:50%;border:1px solid #333",
    "heat": "border-radius:50%;filter:blur(1.5px)",
}


def legend(title: str, entries: list[tuple[str, str]], shape: str = "area") -> None:
    """A legend: the layer's title and one colour swatch per class, shaped like the layer (``shape``: a key of
    :data:`SWATCH`), all text escaped."""
    if not entries:
        return
    chips = "".join(
        f'<span style="display:inline-block;margin-right:12px">'
        f'<span style="display:inline-block;width:14px;height:14px;background:{html.escape(colour)};'
        f'{SWATCH[shape]};vertical-align:middle"></span> {html.escape(label)}</span>'
        for colour, label in entries
    )
    st.html(f"<div style='font-size:0.85rem'><b>{html.escape(title)}</b><br>{chips}</div>")


def show(m: folium.Map, *, height: int, key: str, returned_objects: tuple[str, ...] = ()) -> dict | None:
    """Draw ``m`` across the page (streamlit-folium), rendered once.

    st_folium renders a map twice by default (the whole page, then the map), for elements that add to a map while
    it renders; ours add nothing then (tests/unit/test_maps.py checks every layer), and a page run of a map page
    spent about a third of its time in the second rendering.
    """
    return st_folium(
        m, height=height, use_container_width=True, returned_objects=list(returned_objects), key=key, render=False
    )


def frame_districts(m: folium.Map, current: Scope, district: str | None, tiles: maps.Tiles) -> None:
    """Zoom to the chosen district, else the caller's districts, else the whole city; name every district.

    Where what the caller looks at is held in streets (a street union's planner), the map frames their streets'
    sites instead: there are no street boundaries, and the whole district would make a street a speck."""
    bounds = resources.boundaries()
    sites = street_sites(current, district)
    if len(sites):
        maps.fit(m, sites["lat"], sites["lon"], tiles, pad_deg=0.01)
    else:
        if district:
            focus = bounds[bounds["adcode"] == district]
        elif current.districts:
            focus = bounds[bounds["adcode"].isin(current.districts)]
        else:
            focus = bounds
        maps.fit_areas(m, focus, tiles)
    named = bounds.assign(label=bounds["name_zh"] if lang() == "zh" else bounds["name_en"])
    maps.area_labels(named, "label", tiles).add_to(m)


def held_in_streets(current: Scope, district: str | None) -> bool:
    """Whether every district in view (``district``, else all of the caller's) is held in streets: a street union's
    planner looks at their streets, not at whole districts."""
    looked_at = [district] if district else list(current.districts or ())
    return current.by_street and bool(looked_at) and all(current.streets_in(d) for d in looked_at)


def street_sites(current: Scope, district: str | None) -> pd.DataFrame:
    """The located sites (``lat``, ``lon``) of the caller's streets when the view is held in streets
    (:func:`held_in_streets`); else none (the view is of whole districts)."""
    if not held_in_streets(current, district):
        return pd.DataFrame(columns=["lat", "lon"])
    sites = resources.site_stats(current, None, None, district, resources.version())
    return sites[["lat", "lon"]].dropna()


def basemap(current: Scope) -> maps.Tiles:
    """The admin's basemap preset, for every map of the page."""
    return resources.map_tiles(current)


def reference(m: folium.Map, current: Scope, tiles: maps.Tiles, *, district_names: bool = True) -> None:
    """The light reference under a map's data (:func:`maps.add_reference`): district outlines, with their names
    unless the page names them itself (:func:`frame_districts`), and the streets of the caller's areas at their
    sites' centres."""
    bounds = resources.boundaries()
    if district_names:
        bounds = bounds.assign(label=bounds["name_zh"] if lang() == "zh" else bounds["name_en"])
    street_points = resources.street_names(current, resources.version())
    maps.add_reference(m, bounds, street_points, tiles, district_labels="label" if district_names else None)
