"""What every map page draws beside its map: legends with colour swatches, and where to zoom."""

from __future__ import annotations

import html

import folium
import streamlit as st

from dashboard import resources
from dashboard.core.access.scope import Scope
from dashboard.core.geo import maps
from dashboard.i18n import lang


def legend(title: str, entries: list[tuple[str, str]]) -> None:
    """A legend: the layer's title and one colour swatch per class (all text escaped)."""
    if not entries:
        return
    chips = "".join(
        f'<span style="display:inline-block;margin-right:12px">'
        f'<span style="display:inline-block;width:14px;height:14px;background:{colour};'
        f'border:1px solid #888;vertical-align:middle"></span> {html.escape(label)}</span>'
        for colour, label in entries
    )
    st.html(f"<div style='font-size:0.85rem'><b>{html.escape(title)}</b><br>{chips}</div>")


def frame_districts(m: folium.Map, current: Scope, district: str | None, tiles: maps.Tiles) -> None:
    """Zoom to the chosen district, else the caller's districts, else the whole city; name every district."""
    bounds = resources.boundaries()
    if district:
        focus = bounds[bounds["adcode"] == district]
    elif current.districts:
        focus = bounds[bounds["adcode"].isin(current.districts)]
    else:
        focus = bounds
    maps.fit_areas(m, focus, tiles)
    named = bounds.assign(label=bounds["name_zh"] if lang() == "zh" else bounds["name_en"])
    maps.area_labels(named, "label", tiles).add_to(m)
