"""The field loop in a real browser: a team lead on a phone (390x844, an iPhone's user agent) opens their link, has
the way to each stall, records two sessions with the network dropped in between, and the planner sees them on the
Plan, 填报 and 指标 pages; the same session recorded twice counts once."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard import field_routes
from dashboard.core import access
from dashboard.core.access import accounts
from dashboard.core.reports import periods
from dashboard.core.storage.schema import sessions


def _this_weeks_plan(engine):
    """朝阳's plan with three sessions for 望京一组: yesterday, today, tomorrow (Beijing days), and its link."""
    planner = accounts.get(engine, "chaoyang").scope()
    today = field_routes.beijing_today()
    roster = pd.DataFrame({"team": ["望京一组"], "name": ["张伟"], "phone": ["138 0013 8000"], "lead": [True]})
    access.save_roster(engine, planner, "110105", roster)
    sites = access.model_sites(engine, planner).head(3)
    plan = pd.DataFrame(
        {
            "team": [1, 1, 1],
            "team_name": ["望京一组"] * 3,
            "date": [today - dt.timedelta(days=1), today, today + dt.timedelta(days=1)],
            "start_time": ["12:00", "12:00", "12:00"],
            "end_time": ["13:30", "13:30", "13:30"],
            "site_id": sites["site_id"].tolist(),
            "district": ["朝阳区"] * 3,
            "expected_applications": [5.0, 6.0, 7.0],
            "reason": ["r"] * 3,
        }
    )
    plan_id = access.save_plan(engine, planner, plan, "现场测试计划", {})
    _, token = access.field_link(engine, planner, plan_id, 1)
    keys = access.plan_rows(engine, planner, plan_id).sort_values("date")["session_id"].tolist()
    return planner, plan_id, token, keys, sites["name"].tolist()


def _stored(engine, keys):
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(sessions.c.session_id, sessions.c.applications).where(sessions.c.session_id.in_(keys))
        ).all()
    return dict(rows)


def _save(card, consultations: int, applications: int, members: int, staff: int) -> None:
    for name, value in (
        ("consultations", consultations),
        ("applications", applications),
        ("members_joined", members),
        ("staff", staff),
    ):
        card.locator(f"input[name={name}]").fill(str(value))
    card.get_by_role("button", name="保存").click()


@pytest.fixture
def planned(server):
    """This week's plan with a roster; the roster is removed afterwards (other tests plan with numbered teams)."""
    engine = server["engine"]
    yield _this_weeks_plan(engine)
    planner = accounts.get(engine, "chaoyang").scope()
    access.save_roster(engine, planner, "110105", pd.DataFrame(columns=["team", "name", "phone", "lead"]))


def test_a_team_lead_records_two_sessions_across_a_dropped_connection_and_the_planner_sees_them(
    phone, visit, server, planned
):
    engine = server["engine"]
    planner, plan_id, token, (yesterday, today, tomorrow), names = planned
    before = access.compare_totals(engine, planner, periods.year(field_routes.beijing_today().year))
    applications_before = int(before.set_index("metric").at["applications", "current"])
    page = phone.page
    page.goto(f"{server['base']}/field/{token}")
    page.get_by_role("heading", name="今天").wait_for(timeout=30_000)
    assert page.locator("h1").inner_text() == "望京一组"
    today_card = page.locator(f"section[data-key='{today}']")
    # the way there: Apple Maps first on an iPhone, 高德 and 百度 beside it, all in GCJ-02
    links = today_card.locator(".nav a")
    assert links.first.inner_text() == "苹果地图"
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert any(h.startswith("https://uri.amap.com/marker?") and "coordinate=gaode" in h for h in hrefs)
    assert any("api.map.baidu.com" in h and "coord_type=gcj02" in h for h in hrefs)
    # tomorrow's session cannot be reported yet
    assert page.locator(f"section[data-key='{tomorrow}'] form").count() == 0
    _save(today_card, 40, 12, 10, 3)
    today_card.get_by_text("已保存到系统").wait_for(timeout=30_000)
    assert _stored(engine, [today, yesterday]) == {today: 12}
    # the connection drops: yesterday's results are typed and kept on the phone
    phone.context.set_offline(True)
    yesterday_card = page.locator(f"section[data-key='{yesterday}']")
    yesterday_card.locator("summary").click()
    _save(yesterday_card, 20, 5, 5, 2)
    page.get_by_text("已保存在手机上").first.wait_for(timeout=10_000)
    assert yesterday_card.locator(".state.pending").count() == 1
    assert _stored(engine, [today, yesterday]) == {today: 12}
    phone.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.locator(f"section[data-key='{yesterday}'] .state.reported").wait_for(timeout=30_000)
    assert _stored(engine, [today, yesterday]) == {today: 12, yesterday: 5}
    # the same session recorded again (a reload, a second tap): still one session, the same numbers
    page.reload()
    today_card = page.locator(f"section[data-key='{today}']")
    today_card.get_by_role("button", name="更正并保存").wait_for(timeout=30_000)
    today_card.get_by_role("button", name="更正并保存").click()
    today_card.get_by_text("已保存到系统").wait_for(timeout=30_000)
    with engine.connect() as conn:
        held = conn.execute(sa.select(sa.func.count()).where(sessions.c.session_id.in_([today, yesterday]))).scalar()
    assert held == 2 and _stored(engine, [today, yesterday]) == {today: 12, yesterday: 5}
    assert phone.errors == [] and phone.external == []

    # the planner, at a desk: the Plan page's 计划与实际, the 填报 page and the KPIs hold the two sessions
    desk = visit.open("/plan", user="chaoyang")
    desk.get_by_text("已填报 2 / 3", exact=False).wait_for(timeout=60_000)
    visit.open("/reporting", user="chaoyang")
    desk.get_by_text("望京一组").first.wait_for(timeout=60_000)
    visit.open("/kpi", user="chaoyang")
    card = desk.locator("[data-testid=stMetric]").filter(has_text="现场申请入会人数").first
    card.wait_for(timeout=60_000)
    shown = int(card.locator("[data-testid=stMetricValue]").inner_text().replace(",", ""))
    mine = access.compare_totals(engine, planner, periods.year(field_routes.beijing_today().year))
    assert shown == int(mine.set_index("metric").at["applications", "current"])
    assert shown == applications_before + 17
