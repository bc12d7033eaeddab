"""The field loop: rosters of named teams, a team lead's link to their sessions, results entered on the phone (through
the same import as an upload, once however often sent), 未开展, and the reporting view of what is still missing."""

import datetime as dt
import json
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.testclient import TestClient

from dashboard import field_routes
from dashboard.core import access
from dashboard.core.access import field_links
from dashboard.core.access.scope import PermissionDenied, Scope
from dashboard.core.geo import gcj02, navigation
from dashboard.core.reports import plans, reporting
from dashboard.core.storage import audit
from dashboard.core.storage.schema import plan_rows, sessions

TODAY = dt.date(2026, 12, 3)  # a Thursday
ADMIN = Scope("boss", "admin")
CHAOYANG = Scope("cy", "planner", ("110105",))
HAIDIAN = Scope("hd", "planner", ("110108",))
LEADER = Scope("lead", "leadership")
SITES = (
    "点位编号,点位名称,所属区,纬度,经度\n"
    "CY-1,望京SOHO,朝阳区,39.996,116.481\nCY-2,三里屯,朝阳区,39.933,116.455\nHD-1,中关村,海淀区,39.98,116.31\n"
)


def _plan(days: list[dt.date], teams: list[int], sites: list[str], names: list[str] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "team": teams,
            "date": days,
            "start_time": ["12:00"] * len(days),
            "end_time": ["13:30"] * len(days),
            "site_id": sites,
            "district": ["朝阳区"] * len(days),
            "expected_applications": [6.0] * len(days),
            "reason": ["r"] * len(days),
        }
    )
    if names is not None:
        frame["team_name"] = names
    return frame


@pytest.fixture
def field(engine):
    """朝阳's plan for this week: team 1 (望京一组) Mon, Wed, Thu (today), Sat; team 2 on Thursday."""
    assert access.import_sites(engine, ADMIN, SITES.encode(), "s.csv").status == "written"
    monday = TODAY - dt.timedelta(days=TODAY.weekday())
    days = [monday, monday + dt.timedelta(days=2), TODAY, monday + dt.timedelta(days=5), TODAY]
    plan = _plan(days, [1, 1, 1, 1, 2], ["CY-1", "CY-2", "CY-1", "CY-2", "CY-2"], ["望京一组"] * 4 + ["三里屯组"])
    plan_id = access.save_plan(engine, CHAOYANG, plan, "本周", {})
    link, token = access.field_link(engine, CHAOYANG, plan_id, 1)
    return engine, plan_id, link, token


def _keys(engine, plan_id, team=1):
    rows = access.plan_rows(engine, CHAOYANG, plan_id)
    return rows[rows["team"] == team].sort_values("date")["session_id"].tolist()


def _stored(engine):
    with engine.connect() as conn:
        return conn.execute(sa.select(sessions.c.session_id, sessions.c.applications)).all()


def _members(teams, names, phones):
    return pd.DataFrame({"team": teams, "name": names, "phone": phones, "lead": [False] * len(teams)})


def test_a_roster_names_teams_and_only_the_areas_planners_see_it(engine):
    edited = pd.DataFrame(
        {
            "team": ["望京一组", "望京一组", "三里屯组"],
            "name": ["张伟", "<script>李娜</script>", "={{7*7}}王芳"],
            "phone": ["138 0013 8000", None, "+86 139-0000-0000"],
            "lead": [True, False, True],
        }
    )
    assert access.save_roster(engine, CHAOYANG, "110105", edited) == (3, 0, 0)
    stored = access.roster(engine, CHAOYANG, "110105")
    assert sorted(stored["name"]) == sorted(["张伟", "<script>李娜</script>", "={{7*7}}王芳"])  # text, as typed
    assert stored.set_index("name").at["张伟", "phone"] == "138 0013 8000"
    assert access.team_names(engine, CHAOYANG) == ["三里屯组", "望京一组"]
    for outsider in (HAIDIAN, LEADER, Scope("jw", "planner", streets=("110105001",))):
        with pytest.raises(PermissionDenied):
            access.roster(engine, outsider, "110105")
    assert access.team_names(engine, LEADER) == [] and access.team_names(engine, HAIDIAN) == []
    # an edit: one renamed, one deleted (personal data is deleted, not hidden), the audit holds counts, no names
    kept = stored[stored["name"] != "张伟"].copy()
    kept.loc[kept.index[0], "phone"] = "010-6500 0000"
    assert access.save_roster(engine, CHAOYANG, "110105", kept) == (0, 1, 1)
    assert "张伟" not in set(access.roster(engine, ADMIN, "110105")["name"])
    entry = audit.entries(engine, action="roster_changed").iloc[0]
    assert "张伟" not in str(entry["detail"]) and json.loads(entry["detail"])["deleted"] == 1
    with pytest.raises(ValueError, match="第 1 行"):
        access.save_roster(
            engine, CHAOYANG, "110105", pd.DataFrame({"team": [""], "name": ["x"], "phone": ["abc"], "lead": [False]})
        )
    # another area's member id in an edited table is added as new, never changes that member
    access.save_roster(
        engine, HAIDIAN, "110108", pd.DataFrame({"team": ["h"], "name": ["海淀人"], "phone": [None], "lead": [True]})
    )
    theirs = access.roster(engine, HAIDIAN, "110108")
    forged = pd.DataFrame(
        {"id": [int(theirs["id"].iloc[0])], "team": ["x"], "name": ["改名"], "phone": [None], "lead": [False]}
    )
    access.save_roster(engine, CHAOYANG, "110105", forged)
    assert access.roster(engine, HAIDIAN, "110108")["name"].tolist() == ["海淀人"]


def test_navigation_links_open_the_map_apps_in_their_coordinates():
    links = navigation.links(39.996, 116.481, "望京SOHO <b>")
    glon, glat = (float(v[0]) for v in gcj02.wgs_to_gcj([116.481], [39.996]))
    amap = parse_qs(urlsplit(links["amap"]).query)
    assert urlsplit(links["amap"]).netloc == "uri.amap.com" and amap["coordinate"] == ["gaode"]
    assert amap["position"] == [f"{glon:.6f},{glat:.6f}"] and amap["name"] == ["望京SOHO <b>"]
    baidu = parse_qs(urlsplit(links["baidu"]).query)
    assert baidu["location"] == [f"{glat:.6f},{glon:.6f}"] and baidu["coord_type"] == ["gcj02"] and baidu["src"]
    assert parse_qs(urlsplit(links["apple"]).query)["ll"] == [f"{glat:.6f},{glon:.6f}"]
    assert links["geo"].startswith("geo:39.996000,116.481000?q=")  # geo: stays WGS-84 (RFC 5870)
    assert abs(glon - 116.481) > 0.004  # the GCJ-02 shift is really there (hundreds of metres in Beijing)
    assert "<" not in "".join(links.values())
    assert navigation.links(None, 116.4) == {} and navigation.links(float("nan"), 1) == {}
    assert navigation.preferred("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)") == "apple"


def test_a_link_shows_its_teams_week_and_nothing_else(field):
    engine, plan_id, link, token = field
    found = access.field_open(engine, token)
    assert found is not None and (found.plan_id, found.team) == (plan_id, 1)
    shown = access.field_view(engine, found, TODAY)
    assert shown["team"] == "望京一组" and shown["plan"] == "本周"
    assert [s["key"] for s in shown["sessions"]] == _keys(engine, plan_id)  # team 1 only, in order
    assert [s["state"] for s in shown["sessions"]] == ["overdue", "overdue", "today", "upcoming"]
    assert [s["future"] for s in shown["sessions"]] == [False, False, False, True]
    assert shown["sessions"][0]["links"]["amap"].startswith("https://uri.amap.com/")
    assert access.field_open(engine, token + "x") is None and access.field_open(engine, "") is None
    with pytest.raises(PermissionDenied):  # another district's planner cannot make a link to this plan
        access.field_link(engine, HAIDIAN, plan_id, 1)
    with pytest.raises(PermissionDenied):
        access.field_link(engine, CHAOYANG, plan_id, 9)  # no such team


def test_a_phone_report_is_stored_once_corrected_in_place_and_audited(field):
    engine, plan_id, link, token = field
    first, _, today_key, saturday = _keys(engine, plan_id)
    entry = {"key": today_key, "consultations": 40, "applications": 12, "members_joined": 10, "staff": 3}
    for _ in range(3):  # the phone sends again after a dropped connection: counted once
        assert access.field_report(engine, link, entry, TODAY)["ok"]
    assert _stored(engine) == [(today_key, 12)]
    fixed = access.field_report(engine, link, {**entry, "applications": 14, "notes": '=HYPERLINK("x")'}, TODAY)
    assert fixed["ok"] and fixed["updated"] and _stored(engine) == [(today_key, 14)]
    future = access.field_report(engine, link, {**entry, "key": saturday}, TODAY)
    assert not future["ok"] and "不能提前填报" in future["problems"][0]["zh"] and len(_stored(engine)) == 1
    odd = access.field_report(engine, link, {**entry, "key": first, "applications": 50}, TODAY)
    assert odd["ok"] and any("大于现场咨询人数" in p["zh"] for p in odd["warnings"])  # stored, with a question
    entry_of = audit.entries(engine, action="import").iloc[0]
    assert entry_of["actor"] == f"field-link:{link.id}" and entry_of["districts"] == "110105"


def test_a_link_cannot_reach_another_teams_or_another_plans_sessions(field):
    engine, plan_id, link, token = field
    other_team = _keys(engine, plan_id, team=2)[0]
    answer = access.field_report(engine, link, {"key": other_team, "consultations": 5, "applications": 1}, TODAY)
    assert not answer["ok"] and answer["problems"][0]["zh"] == "这个场次不在本组的计划中。"
    nothing = access.field_report(engine, link, {"key": "P999-001-XXXX", "consultations": 5, "applications": 1}, TODAY)
    assert nothing["problems"] == answer["problems"] and _stored(engine) == []
    for payload in (None, [], {"key": 5}, {"key": other_team, "applications": "1e9"}, {"key": "k", "staff": True}):
        assert not access.field_report(engine, link, payload, TODAY)["ok"]


def test_not_held_is_recorded_and_counted_apart_from_not_reported(field):
    engine, plan_id, link, token = field
    first, second, today_key, _ = _keys(engine, plan_id)
    assert access.field_report(engine, link, {"key": first, "cancelled": True, "notes": "下雨"}, TODAY)["ok"]
    assert access.field_report(engine, link, {"key": today_key, "consultations": 9, "applications": 3}, TODAY)["ok"]
    refused = access.field_report(engine, link, {"key": today_key, "cancelled": True}, TODAY)
    assert not refused["ok"] and _stored(engine) == [(today_key, 3)]  # results stand
    _, summary = access.plan_review(engine, CHAOYANG, plan_id, TODAY)
    counts = {k: v for k, v in summary["states"].items() if v}
    assert counts == {"reported": 1, "cancelled": 1, "overdue": 1, "upcoming": 1, "today": 1}
    assert plans.progress_text(summary["states"]) == "1 / 5：1 未开展，1 未填报，1 今天"
    frame = access.reporting(engine, CHAOYANG, TODAY - dt.timedelta(days=7), TODAY + dt.timedelta(days=7), TODAY)
    week = reporting.by_week_and_team(frame).set_index("team_label")
    assert week.at["望京一组", "planned"] == 4 and week.at["望京一组", "cancelled"] == 1
    assert week.at["望京一组", "overdue"] == 1 and week.at["望京一组", "most_overdue_days"] == 1
    assert week.at["望京一组", "progress_zh"] == "1 / 4：1 未开展，1 未填报"
    assert week.at["三里屯组", "progress_zh"] == "0 / 1：1 今天"
    waiting = reporting.unreported(frame)
    assert list(waiting["session_id"]) == [second, _keys(engine, plan_id, team=2)[0]]
    assert access.reporting(engine, HAIDIAN, TODAY - dt.timedelta(days=7), TODAY, TODAY).empty  # not theirs


def test_a_results_sheet_row_marked_not_held_marks_its_plan_row(field):
    engine, plan_id, link, token = field
    sheet = access.results_template(engine, CHAOYANG, plan_id)
    first = sheet.iloc[0]
    text = (
        ",".join(sheet.columns)
        + "\n"
        + ",".join(str(v) if c != "备注" else "未开展" for c, v in zip(sheet.columns, first, strict=True))
        + "\n"
    )
    report = access.import_sessions(engine, CHAOYANG, text.encode("utf-8"), "results.csv", today=TODAY)
    assert report.status == "written" and any(p.code == "cancelled" for p in report.problems)
    with engine.connect() as conn:
        status = conn.execute(sa.select(plan_rows.c.status).where(plan_rows.c.session_id == first["场次编号"])).scalar()
    assert status == "cancelled"


def test_links_expire_and_are_revoked_by_the_areas_planners(field):
    engine, plan_id, link, token = field
    assert link.expires_at.date() == TODAY - dt.timedelta(days=TODAY.weekday()) + dt.timedelta(days=5 + 3)
    later = link.expires_at + dt.timedelta(minutes=1)
    assert field_links.find(engine, token, now=later) is None
    with pytest.raises(PermissionDenied):
        access.revoke_field_link(engine, HAIDIAN, link.id)
    assert access.revoke_field_link(engine, CHAOYANG, link.id)
    assert access.field_open(engine, token) is None
    listed = access.field_link_list(engine, CHAOYANG, plan_id)
    assert not listed["live"].iloc[0] and "token" not in " ".join(listed.columns)


def test_the_routes_serve_the_page_and_store_a_post_once(field, monkeypatch):
    engine, plan_id, link, token = field
    monkeypatch.setattr(field_routes, "_engine", lambda: engine)
    monkeypatch.setattr(field_routes, "beijing_today", lambda: TODAY)
    client = TestClient(Starlette(routes=field_routes.ROUTES), base_url="http://dashboard.local")
    page = client.get(f"/field/{token}")
    assert page.status_code == 200 and "field.js" in page.text and token not in page.text
    assert (
        page.headers["referrer-policy"] == "no-referrer"
        and "script-src 'self'" in page.headers["content-security-policy"]
    )
    assert (
        client.get("/field-assets/field.js").status_code == 200 and client.get("/field-assets/x.py").status_code == 404
    )
    shown = client.get(f"/api/field/{token}").json()
    key = next(s["key"] for s in shown["sessions"] if s["state"] == "today")

    def post(body, **h):
        return client.post(f"/api/field/{token}/report", json=body, headers={"Sec-Fetch-Site": "same-origin", **h})

    body = {"key": key, "consultations": 30, "applications": 8}
    assert post(body).json()["ok"] and post(body).json()["ok"]
    assert _stored(engine) == [(key, 8)]
    assert post(body, **{"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert (
        client.post(
            f"/api/field/{token}/report",
            content=b"key=1",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ).status_code
        == 403
    )
    assert client.get(f"/api/field/{token}zz").status_code == 410
    access.revoke_field_link(engine, CHAOYANG, link.id)
    assert post(body).status_code == 410


def test_a_planner_marks_sessions_not_held_and_never_ticks_one_ahead_of_its_day(field):
    engine, plan_id, link, token = field
    rows = access.plan_rows(engine, CHAOYANG, plan_id).sort_values("date")
    first, saturday = int(rows["id"].iloc[0]), int(rows.loc[rows["date"] > TODAY, "id"].iloc[0])
    assert access.cancel_plan_rows(engine, CHAOYANG, [first], "下雨") == 1
    with pytest.raises(PermissionDenied):
        access.cancel_plan_rows(engine, HAIDIAN, [first])
    assert access.set_done(engine, CHAOYANG, {first: True, saturday: True}, TODAY) == 1  # Saturday lies ahead
    done = access.plan_rows(engine, CHAOYANG, plan_id).set_index("id")
    assert bool(done.at[first, "done"]) and not bool(done.at[saturday, "done"])
    assert done.at[first, "status"] == "cancelled" and done.at[first, "status_note"] == "下雨"


REGISTER = (
    "统一社会信用代码,企业名称,所属区,员工数,建会状态,纬度,经度\n"
    "91110105MA01ABC0QW,望京物流,朝阳区,180,未建会,39.99,116.47\n"
    ",三里屯小店,朝阳区,12,未建会,39.93,116.45\n"
    ",三里屯小铺,朝阳区,9,未建会,39.931,116.451\n"
    "91110108551385082Q,中关村软件,海淀区,60,未建会,39.98,116.31\n"
)


def _visit_plan(engine, today):
    register = access.enterprise_register(engine, ADMIN).set_index("name")["enterprise_id"]
    joint = f"{register['三里屯小店']}、{register['三里屯小铺']}"
    return pd.DataFrame(
        {
            "date": [today - dt.timedelta(days=1), today],
            "staff_no": [1, 1],
            "order": [1, 2],
            "enterprise_id": [register["望京物流"], joint],
            "p_found": [0.2, 0.1],
            "expected_members": [25.0, 4.0],
            "reason_zh": ["r", "r"],
        }
    ), register


def test_an_enterprise_visit_plan_goes_to_the_phone_and_its_outcomes_come_back_once(engine):
    assert access.import_enterprises(engine, ADMIN, REGISTER.encode(), "r.csv").status == "written"
    plan, register = _visit_plan(engine, TODAY)
    with pytest.raises(PermissionDenied):  # another district's planner cannot save 朝阳's enterprises
        access.save_visit_plan(engine, HAIDIAN, plan, "x", {})
    theirs = plan.assign(enterprise_id=[register["中关村软件"], register["望京物流"]])
    with pytest.raises(PermissionDenied):
        access.save_visit_plan(engine, CHAOYANG, theirs, "x", {})
    plan_id = access.save_visit_plan(engine, CHAOYANG, plan, "走访", {}, ["望京一组"])
    link, _ = access.field_link(engine, CHAOYANG, plan_id, 1)
    shown = access.field_view(engine, link, TODAY)
    assert shown["team"] == "望京一组" and [s["kind"] for s in shown["sessions"]] == ["visit", "visit"]
    yesterday, today = shown["sessions"]
    assert [e["name"] for e in today["enterprises"]] == ["三里屯小店", "三里屯小铺"] and today["order"] == 2
    assert today["links"]["amap"].startswith("https://uri.amap.com/") and yesterday["state"] == "overdue"
    founded = {
        "key": yesterday["key"],
        "visits": [{"enterprise_id": register["望京物流"], "outcome": "founded", "members": 60}],
    }
    for _ in range(2):  # sent again after a dropped connection: one visit, one founding
        assert access.field_report(engine, link, founded, TODAY)["ok"]
    stored = access.enterprise_register(engine, CHAOYANG).set_index("name")
    assert stored.at["望京物流", "union_status"] == "founded"
    declined = {
        "key": today["key"],
        "visits": [
            {"enterprise_id": register["三里屯小店"], "outcome": "declined", "reason": "员工少"},
            {"enterprise_id": register["三里屯小铺"], "outcome": "interested"},
        ],
    }
    assert access.field_report(engine, link, declined, TODAY)["ok"]
    stray = {"key": today["key"], "visits": [{"enterprise_id": register["中关村软件"], "outcome": "held"}]}
    assert not access.field_report(engine, link, stray, TODAY)["ok"]  # not one of this visit's enterprises
    again = access.field_view(engine, link, TODAY)["sessions"]
    assert [s["state"] for s in again] == ["reported", "reported"]
    assert again[1]["outcomes"][register["三里屯小店"]]["reason"] == "员工少"
    frame = access.reporting(engine, CHAOYANG, TODAY - dt.timedelta(days=7), TODAY, TODAY)
    assert set(frame["state"]) == {"reported"} and "联合工会：三里屯小店、三里屯小铺 等2家" in set(frame["site_name"])


def test_a_link_to_next_weeks_plan_shows_that_weeks_sessions(engine):
    assert access.import_sites(engine, ADMIN, SITES.encode(), "s.csv").status == "written"
    monday = TODAY + dt.timedelta(days=7 - TODAY.weekday())
    plan = _plan([monday, monday + dt.timedelta(days=1), monday + dt.timedelta(days=9)], [1, 1, 1], ["CY-1"] * 3)
    plan_id = access.save_plan(engine, CHAOYANG, plan, "下周", {})
    link, _ = access.field_link(engine, CHAOYANG, plan_id, 1)
    shown = access.field_view(engine, link, TODAY)["sessions"]
    assert [s["date"] for s in shown] == [str(monday), str(monday + dt.timedelta(days=1))]
    assert all(s["future"] and s["state"] == "upcoming" for s in shown)
