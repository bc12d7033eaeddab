"""The KPI page as a leader and a street union's planner read it: a trend with each month of the period once, an
enterprise funnel of enterprises only (members beside it), a ranking only where there is something to rank, and a
map with the same reference as the other maps, framed on what the account looks at."""

import io
import json
import re

import pyarrow as pa
import streamlit as st

from dashboard.core import access
from dashboard.core.access.scope import Scope
from dashboard.core.geo import districts, streets
from dashboard.core.reports import periods, queries
from dashboard.core.storage.site_tables import read_sites

from .conftest import open_page
from .test_pages import map_script
from .test_street_pages import _street_account

JIANWAI = "110105001"  # the demo street union's street, 朝阳区建外街道


def _charts(at) -> list[tuple[dict, list]]:
    """Each chart on the page: its Vega-Lite spec and its datasets as frames."""
    found = []
    for chart in at.get("vega_lite_chart"):
        frames = [pa.ipc.open_stream(io.BytesIO(d.data.data)).read_pandas() for d in chart.proto.datasets]
        found.append((json.loads(chart.proto.spec), frames))
    return found


def _trend(at) -> tuple[dict, list[str]]:
    """The monthly trend's spec and the month labels its points carry, in order."""
    spec, frames = next((s, f) for s, f in _charts(at) if any("status" in x.columns for x in f))
    points = next(x for x in frames if "status" in x.columns)
    return spec, list(points["label"])


def _fitted(at) -> tuple[float, float, float, float]:
    """The box the KPI map zooms to: (south, west, north, east)."""
    found = re.findall(r"\(map_\w+, \[\[([-\d.]+), ([-\d.]+)\], \[([-\d.]+), ([-\d.]+)\]\]\)", map_script(at))
    assert len(found) == 1, found
    south, west, north, east = (float(x) for x in found[0])
    return south, west, north, east


def test_a_quarters_trend_shows_each_of_its_months_once_even_a_quiet_one(app, setup):
    engine = setup[2]
    sites = read_sites(engine)
    # a street and a quarter within its history in which one month had no session: the trend must still show it
    found = None
    for street in sites["street_code"].dropna().value_counts().index[::-1]:
        held = queries.monthly(engine, district=(street,))
        if len(held) < 6:
            continue
        have = {(m.year, m.month) for m in held["month"]}
        first, last = held["month"].min(), held["month"].max()
        for month in held["month"]:
            q = periods.containing("quarter", month.date())
            inside = [(q.start.year, m) for m in range(q.start.month, q.start.month + 3)]
            if q.start >= first.date() and q.end <= last.date() and 0 < sum(m in have for m in inside) < 3:
                found = (street, q, inside)
                break
        if found:
            break
    assert found, "the sample has no street with a quiet month in a quarter"
    street, quarter, inside = found
    _street_account(engine, "street-quiet", street)
    at = open_page(app, "kpi", "street-quiet")
    at.segmented_control(key="kpi_kind").set_value("quarter").run()
    at.selectbox(key="kpi_period_quarter@zh").set_value(quarter).run()
    assert not at.exception, [e.value for e in at.exception]
    spec, labels = _trend(at)
    assert labels == [f"{y}年{m}月" for y, m in inside]  # three months, each once, in order
    # a street's counts are small: whole-number ticks, never 0, 0, 1, 1 on the axis
    at.segmented_control(key="kpi_trend_metric").set_value("unions_founded").run()
    spec, _ = _trend(at)
    y_axes = [layer["encoding"]["y"]["axis"] for layer in spec["layer"]]
    assert all(axis.get("tickMinStep") == 1 and axis.get("format") == ",d" for axis in y_axes)


def test_the_enterprise_funnel_holds_enterprises_and_the_members_stand_beside_it(app, setup):
    at = open_page(app, "kpi", "leader")
    funnels = [(s, next(x for x in f if "stage" in x.columns)) for s, f in _charts(at) if any("stage" in x for x in f)]
    assert len(funnels) == 2
    (people_spec, people), (firms_spec, firms) = funnels
    assert list(firms["stage"]) == ["涉及企业数", "建会企业数"]  # no members bar dwarfing them
    assert list(people["stage"]) == ["现场咨询人数", "现场申请入会人数"]
    titles = [layer["encoding"]["x"]["title"] for layer in firms_spec["layer"] if "x" in layer.get("encoding", {})]
    assert set(titles) == {"家数"}
    assert {layer["encoding"]["x"]["title"] for layer in people_spec["layer"] if "x" in layer["encoding"]} == {"人数"}
    members = next(m.value for m in at.metric if m.label == "建会发展会员")  # the headline card's figure
    assert any(f"建会企业发展会员 {members} 人" in c.value for c in at.caption)


def test_the_kpi_map_draws_the_reference_of_the_other_maps(app, setup):
    engine = setup[2]
    at = open_page(app, "kpi", "chaoyang")
    script = map_script(at)
    assert '"pane": "reference"' in script  # the district outlines, under the data
    names = access.street_names(engine, Scope("chaoyang", "planner", ("110105",)))["name"]
    assert len(names) > 5 and all(json.dumps(n)[1:-1] in script for n in names)  # 朝阳's streets, named
    assert "L.tileLayer" not in script  # no preset set: nothing fetched from outside
    access.set_map_tiles(
        engine, Scope("admin", "admin"), "intranet", url="http://tiles.intranet.example/{z}/{x}/{y}.png"
    )
    st.cache_data.clear()  # as the Admin page does on saving (other processes: within a minute)
    at.switch_page("views/kpi.py").run()
    script = map_script(at)
    assert script.count("L.tileLayer") == 1 and "tiles.intranet.example" in script


def test_a_street_planner_reads_their_street_not_a_ranking_of_one_nor_their_district(app, setup):
    engine = setup[2]
    at = open_page(app, "kpi", "jianwai")
    headings = [h.value for h in at.subheader]
    assert not [h for h in headings if "各区" in h or "各街道" in h]  # no 区 where their street is meant
    assert not [d for d in at.dataframe if "rank" in d.value.columns]  # no ranking of one row
    assert any("一个街道没有可比的对象" in c.value and "建外街道" in c.value for c in at.caption)
    # the map frames their street's sites, not 朝阳 whole
    mine = read_sites(engine, "110105")
    mine = mine[mine["street_code"] == JIANWAI]
    south, west, north, east = _fitted(at)
    assert south <= mine["lat"].min() and north >= mine["lat"].max()
    assert west <= mine["lon"].min() and east >= mine["lon"].max()
    w, s, e, n = districts.boundaries().query("adcode == '110105'").total_bounds
    assert (north - south) < (n - s) / 3 and (east - west) < (e - w) / 3  # a street, not the district
    assert json.dumps(streets.name(JIANWAI))[1:-1] in map_script(at)  # their street named on the map (as sent)

    at.switch_page("views/map.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "我负责的街道统计" in [h.value for h in at.subheader]
    south, west, north, east = _fitted(at)
    assert (north - south) < (n - s) / 3 and south <= mine["lat"].min() and north >= mine["lat"].max()
