"""The field loop's pages under AppTest: a leader lands on 指标; the Teams page holds the area's roster and nobody
else's; the 填报 page counts what a saved plan's teams have reported, as the core does."""

import datetime as dt

import pandas as pd
from streamlit.testing.v1 import AppTest

from dashboard.core import access
from dashboard.core.access.scope import Scope
from dashboard.core.reports import reporting

from .conftest import APP, open_page, sign_in

CHAOYANG = Scope("chaoyang", "planner", ("110105",))


def test_a_leader_lands_on_the_kpis(app):
    sign_in(app, "leader")
    assert app.title[0].value == "指标"
    planner = sign_in(AppTest.from_file(APP, default_timeout=180), "chaoyang")
    assert planner.title[0].value == "地图"


def test_the_teams_page_shows_the_districts_roster_and_its_leads(app, setup):
    engine = setup[2]
    roster = pd.DataFrame(
        {
            "team": ["望京一组", "望京一组", "三里屯组"],
            "name": ["张伟", "<b>李娜</b>", "王芳"],
            "phone": ["138 0013 8000", None, None],
            "lead": [True, False, False],
        }
    )
    access.save_roster(engine, CHAOYANG, "110105", roster)
    at = open_page(app, "teams", "chaoyang")
    shown = at.dataframe[-1].value if at.dataframe else None  # the teams, beneath the roster editor
    assert shown is not None and set(shown["team"]) == {"望京一组", "三里屯组"}
    assert shown.set_index("team").at["望京一组", "lead"] == "张伟"
    assert any("三里屯组" in w.value and "组长" in w.value for w in at.warning)  # a team without a lead is said
    haidian = open_page(AppTest.from_file(APP, default_timeout=180), "teams", "haidian")
    assert all("张伟" not in str(frame.value) for frame in haidian.dataframe)  # 海淀's planner: 海淀's roster only


def test_the_reporting_page_counts_what_the_core_counts(app, setup):
    engine = setup[2]
    today = dt.date.today()
    sites = access.model_sites(engine, CHAOYANG).head(2)
    plan = pd.DataFrame(
        {
            "team": [1, 1],
            "team_name": ["望京一组", "望京一组"],
            "date": [today - dt.timedelta(days=2), today - dt.timedelta(days=1)],
            "start_time": ["12:00", "12:00"],
            "end_time": ["13:30", "13:30"],
            "site_id": sites["site_id"].tolist(),
            "district": ["朝阳区", "朝阳区"],
            "expected_applications": [5.0, 5.0],
            "reason": ["r", "r"],
        }
    )
    access.save_plan(engine, CHAOYANG, plan, "填报页测试", {})
    at = open_page(app, "reporting", "chaoyang")
    monday = today - dt.timedelta(days=today.weekday())
    frame = access.reporting(engine, CHAOYANG, monday - dt.timedelta(weeks=3), monday + dt.timedelta(days=13), today)
    counts = frame["state"].value_counts()
    assert next(m.value for m in at.metric if m.label == "未填报") == f"{int(counts.get('overdue', 0)):,}"
    assert int(counts.get("overdue", 0)) >= 2
    waiting = at.dataframe[-1].value
    assert len(waiting) == len(reporting.unreported(frame)) and "望京一组" in set(waiting["team_label"])
