"""Map building without a browser: escaping, offline assets, GCJ-02 shifting for Gaode tiles, legends."""

import re

import numpy as np
import pandas as pd
import pytest

from dashboard.core import districts, maps

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
    [("<b>", "&lt;b&gt;"), ("`x`", "&#96;x&#96;"), ("${a}", "&#36;{a}"), ("a\\b", "a&#92;b"), ('"q"', "&quot;q&quot;"), (None, ""), (float("nan"), "")],
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
    shifted = maps.site_layer(hostile_sites, "value", {"name": "n"}, maps.Tiles("gaode"))[0].data["features"][0]["geometry"]["coordinates"]
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
