"""The basemap preset, as an admin sets it on the Admin page and as every map then draws it; with none set, the maps'
own reference layer (district outlines, street names) and nothing fetched from outside."""

import json
import re

import pytest
import streamlit as st

from dashboard.core import access
from dashboard.core.access.scope import PermissionDenied, Scope
from dashboard.core.geo import maps

from .conftest import open_page, sign_in
from .test_pages import map_script

ADMIN = Scope("admin", "admin")
CHAOYANG = Scope("chaoyang", "planner", ("110105",))
INTRANET_URL = "http://tiles.intranet.example/{z}/{x}/{y}.png"


@pytest.fixture
def no_preset_after(setup):
    """Whatever a test sets, the next one starts with no basemap."""
    yield setup[2]
    access.set_map_tiles(setup[2], ADMIN, "none")


def _as_sent(text: str) -> str:
    return json.dumps(maps.safe_text(text))[1:-1]


def _save(at, kind: str, url: str = "", key: str = "") -> None:
    at.selectbox(key="tiles_kind@zh").set_value(kind)
    at.text_input(key="tiles_url").input(url)
    at.text_input(key="tiles_key").input(key)
    next(b for b in at.button if b.label == "保存底图").click().run()
    assert not at.exception, [e.value for e in at.exception]


def test_with_no_preset_the_map_draws_the_reference_and_no_external_tiles(app, setup):
    at = open_page(app, "map", "chaoyang")
    assert at.toggle(key="map_basemap").value is False and at.toggle(key="map_basemap").proto.disabled
    script = map_script(at)
    assert "L.tileLayer" not in script  # no tile layer at all, so no tile URL
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", script))
    assert urls == set() or all("/app/static/" in u for u in urls), urls
    assert 'createPane(\\"reference\\")' in script or 'createPane("reference")' in script
    assert '"pane": "reference"' in script  # the district outlines
    names = access.street_names(setup[2], CHAOYANG)
    assert len(names) > 5 and all(_as_sent(n) in script for n in names["name"])  # 朝阳's streets, by name
    others = set(access.street_names(setup[2], ADMIN)["name"]) - set(names["name"])
    assert not [n for n in others if _as_sent(n) in script]  # none of another district's


def test_an_admin_sets_a_preset_every_map_draws_it_and_clears_it(app, setup, no_preset_after):
    at = open_page(app, "admin", "admin")
    _save(at, "intranet", INTRANET_URL)
    # (the message is Markdown with the URL escaped: shown as typed)
    assert any("已保存" in s.value and "tiles.intranet.example" in s.value.replace("\\", "") for s in at.success)
    assert access.map_tiles(setup[2], CHAOYANG).url == INTRANET_URL
    assert len(access.audit_log(setup[2], ADMIN, action="map_tiles")) == 1  # on record

    at.switch_page("views/map.py").run()
    assert not at.exception and at.toggle(key="map_basemap").value is True
    script = map_script(at)
    assert script.count("L.tileLayer") == 1 and INTRANET_URL in script.replace("\\u0026", "&")
    assert "tileload" in script and '"pane": "reference"' in script  # the reference stays under the tiles
    at.toggle(key="map_basemap").set_value(False).run()  # a user may look without it
    assert "L.tileLayer" not in map_script(at)

    at.switch_page("views/admin.py").run()
    next(b for b in at.button if b.label == "不用底图").click().run()
    assert not at.exception and access.map_tiles(setup[2], CHAOYANG) == maps.Tiles()
    at.switch_page("views/map.py").run()
    assert "L.tileLayer" not in map_script(at)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)//{z}/{x}/{y}",
        'http://tiles.intranet.example/{z}/{x}/{y}.png"><script>alert(1)</script>',
        "http://tiles.intranet.example/{{7*7}}/{z}/{x}/{y}",
        "http://tiles.intranet.example/tile.png",
    ],
)
def test_a_hostile_url_is_refused_in_chinese_and_nothing_changes(app, setup, no_preset_after, url):
    at = open_page(app, "admin", "admin")
    _save(at, "gcj02", url)
    assert at.error and not at.success
    assert re.search(r"[\u4e00-\u9fff]", at.error[0].value) and "<script>" not in at.error[0].value
    assert access.map_tiles(setup[2], ADMIN) == maps.Tiles()
    at.switch_page("views/map.py").run()
    assert "L.tileLayer" not in map_script(at) and "alert(1)" not in map_script(at)


def test_a_planner_cannot_set_the_basemap(app, setup, no_preset_after):
    sign_in(app, "chaoyang")
    with pytest.raises(ValueError):  # no Admin page in a planner's navigation
        app.switch_page("views/admin.py").run()
    with pytest.raises(PermissionDenied):
        access.set_map_tiles(setup[2], CHAOYANG, "intranet", url=INTRANET_URL)
    assert access.map_tiles(setup[2], CHAOYANG) == maps.Tiles()


def test_the_plan_and_visit_route_maps_draw_the_reference_and_the_preset(app, setup, no_preset_after):
    at = open_page(app, "plan", "chaoyang")
    next(b for b in at.button if b.label == "生成计划").click().run()
    assert not at.exception, [e.value for e in at.exception]
    script = map_script(at)
    assert "L.tileLayer" not in script and '"pane": "reference"' in script
    names = access.street_names(setup[2], CHAOYANG)["name"]
    assert any(_as_sent(n) in script for n in names)  # the streets around the plan's dots are named

    access.set_map_tiles(setup[2], ADMIN, "gcj02", url="http://amap.intranet/appmaptile?x={x}&y={y}&z={z}")
    st.cache_data.clear()  # as the Admin page does on saving (other processes: within a minute)
    at.switch_page("views/enterprises.py").run()
    at.number_input(key="visit_days").set_value(5)
    next(b for b in at.button if b.label == "生成走访计划").click().run()
    assert not at.exception, [e.value for e in at.exception]
    script = map_script(at)
    assert script.count("L.tileLayer") == 1 and "amap.intranet/appmaptile" in script
    assert '"pane": "reference"' in script and at.selectbox(key="visit_route_day").options
