"""The charts as drawn: each builder's spec is valid Vega-Lite (the specs are written by hand, see
dashboard/charts.py) and carries every row of its data."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard import charts
from dashboard.core.reports.plans import STATES
from tests.vega import problems


class Place:
    """Stands in for ``st`` or a column: keeps what it was asked to draw."""

    def __init__(self):
        self.drawn: list[tuple[dict, dict]] = []

    def vega_lite_chart(self, spec, **kwargs):
        self.drawn.append((spec, kwargs))


def _monthly():
    frame = pd.DataFrame(
        {"month": ["2026-09-01", "2026-10-01", "2026-11-01"], "applications": [12, 30, 7], "complete": [1, 1, 0]}
    )
    return charts.monthly(frame, "applications", "申请入会")


def _reporting():
    weekly = pd.DataFrame(
        [{"week": dt.date(2026, 11, 30), "team_label": "第1组", **{k: i for i, k in enumerate(STATES)}}]
    )
    return charts.reporting(weekly)


def _curve():
    frame = pd.DataFrame(
        {
            "start_min": [360, 390, 420],
            "per_hour": [0.5, 1.5, 1.0],
            "time": ["06:00", "06:30", "07:00"],
            "day": "工作日",
        }
    )
    return charts.curve(frame, (390, 450), "12月7日")


BUILDERS = {
    "funnel": lambda: charts.funnel(["咨询", "申请入会"], [120, 31], "人数"),
    "monthly": _monthly,
    "reporting": _reporting,
    "curve": _curve,
}


@pytest.mark.parametrize("name", BUILDERS)
def test_each_chart_is_valid_vega_lite(name):
    assert problems(BUILDERS[name]()) == []


def test_the_schema_check_finds_a_broken_spec():
    broken = charts.funnel(["咨询"], [1], "人数")
    broken["layer"][0]["mark"] = {"type": "bars"}  # no such mark
    assert problems(broken)


def test_show_gives_streamlit_the_spec_and_every_row():
    place = Place()
    charts.show(place, charts.funnel(["咨询", "申请入会"], [120, 31], "人数"), width="stretch")
    [(spec, kwargs)] = place.drawn
    assert kwargs == {"width": "stretch"}
    [frame] = spec["datasets"].values()
    assert sorted(zip(frame["stage"], frame["count"], strict=True)) == [("咨询", 120), ("申请入会", 31)]


def test_a_month_not_every_district_reported_is_drawn_dashed_and_said():
    spec = _monthly()
    tail = spec["datasets"]["tail"]
    assert list(tail["label"]) == ["2026年10月", "2026年11月"]  # from the last complete month on
    assert list(spec["datasets"]["months"]["status"]) == ["数据完整", "数据完整", "尚有区未报完"]
