"""Each role against each page under AppTest: what it may see and do, and what it is refused."""

import datetime as dt
import json

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.core import access
from dashboard.core.access import accounts
from dashboard.core.access.scope import Scope
from dashboard.core.reports import kpi
from dashboard.core.storage import audit
from tests.vega import problems

from .conftest import APP, open_page, sign_in

CHAOYANG = Scope("chaoyang", "planner", ("110105",))
PAGES = ["map", "plan", "enterprises", "kpi", "reporting", "teams", "upload", "model", "admin"]
TITLES = {
    "map": "地图",
    "plan": "计划",
    "enterprises": "企业",
    "kpi": "指标",
    "reporting": "填报情况",
    "teams": "小组",
    "upload": "上传",
    "model": "模型",
    "admin": "管理",
}
ALLOWED = {
    "admin": set(PAGES),
    "leader": {"map", "enterprises", "kpi", "reporting", "model"},  # no names or phones: no Teams page
    "chaoyang": {"map", "plan", "enterprises", "kpi", "reporting", "teams", "upload", "model"},
}


def metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_nothing_but_the_login_form_before_signing_in(app):
    app.run()
    assert [t.value for t in app.title] == ["登录"]
    assert not app.metric and not app.dataframe
    with pytest.raises(ValueError):  # no page other than the login page is registered yet
        app.switch_page("views/kpi.py").run()


@pytest.mark.parametrize("user", sorted(ALLOWED))
def test_each_role_reaches_only_its_pages(app, user):
    """One person signed in, going through every page in turn: theirs open, the others are not there."""
    sign_in(app, user)
    for page in PAGES:
        if page in ALLOWED[user]:
            app.switch_page(f"views/{page}.py").run()
            assert not app.exception, (page, [e.value for e in app.exception])
            assert app.title[0].value == TITLES[page], page
            for chart in app.get("vega_lite_chart"):  # written by hand (dashboard/charts.py): Vega-Lite's schema
                assert problems(json.loads(chart.proto.spec)) == [], page
        else:
            with pytest.raises(ValueError):  # not in this role's navigation: no such page is registered for them
                app.switch_page(f"views/{page}.py").run()
            assert app.title[0].value != TITLES[page], page


def test_a_planner_sees_only_their_district_and_cached_numbers_are_not_shared(app, setup):
    engine = setup[2]
    _, last = kpi.date_range(engine)
    year_start = dt.date(last.year, 1, 1)  # the page opens on the latest year
    city = kpi.totals(engine, date_from=year_start, date_to=last)
    admin_view = open_page(app, "kpi", "admin")
    assert metric(admin_view, "现场申请入会人数") == f"{city['applications']:,}"

    planner_view = AppTest.from_file(APP, default_timeout=180)  # same process, same cache, another user
    open_page(planner_view, "kpi", "chaoyang")
    mine = access.totals(engine, CHAOYANG, None, year_start, last)
    assert metric(planner_view, "现场申请入会人数") == f"{mine['applications']:,}" != f"{city['applications']:,}"
    assert planner_view.selectbox(key="kpi_district@zh").options == ["朝阳区"]
    # no district ranking of one row (朝阳 alone), and a caption saying why; 朝阳's streets are ranked instead
    assert not [d for d in planner_view.dataframe if "enterprise_sessions" in d.value.columns]
    assert any("没有别的区可以一起比" in c.value for c in planner_view.caption)
    assert "朝阳区各街道（乡镇）排名" in [h.value for h in planner_view.subheader]
    assert not [b for b in planner_view.button if b.label == "保存目标"]  # targets are an admin's


def test_a_planners_map_and_plan_hold_only_their_sites(app, setup):
    at = open_page(app, "map", "chaoyang")
    assert at.selectbox(key="map_district@zh").options == ["朝阳区"]
    assert list(at.dataframe[-1].value["name"]) == ["朝阳区"]
    at.switch_page("views/plan.py").run()
    at.number_input(key="plan_teams").set_value(2)
    at.number_input(key="plan_days").set_value(2)
    next(b for b in at.button if b.label == "生成计划").click().run()
    assert not at.exception, [e.value for e in at.exception]
    plan = at.dataframe[0].value
    assert len(plan) == 4 and set(plan["所属区"]) == {"朝阳区"}
    entry = audit.entries(setup[2], action="plan").iloc[0]
    assert entry["actor"] == "chaoyang" and entry["districts"] == "110105"


def test_leadership_reads_the_city_and_exports_but_has_no_write_controls(app, setup):
    at = open_page(app, "kpi", "leader")
    assert at.selectbox(key="kpi_district@zh").options[0] == "全市"
    assert len(at.dataframe[0].value) == 16
    assert {"下载 Excel 报告", "下载 PDF 报告（可打印）"} <= {b.label for b in at.get("download_button")}
    assert not [b for b in at.button if b.label == "保存目标"]
    at.switch_page("views/model.py").run()
    assert not at.exception and not [b for b in at.button if b.key == "retrain"]


def test_an_admin_manages_accounts_and_reads_the_audit_log(app, setup):
    at = open_page(app, "admin", "admin")
    users = at.dataframe[0].value
    assert {"admin", "leader", "chaoyang", "haidian"} <= set(users["name"])
    assert not users[["sso_email", "last_login", "created_at"]].isna().any().any()  # blanks, never "None"
    form = at.text_input
    next(w for w in form if w.label == "用户名").input("fengtai")
    next(w for w in at.selectbox if w.label == "角色").set_value("planner")
    next(w for w in at.multiselect if w.label == "负责的区（计划员）").set_value(["110106"])
    next(w for w in form if w.label.startswith("初始密码")).input("fengtai-pw-1")
    next(b for b in at.button if b.label == "新建").click().run()
    assert not at.exception and any("已新建账号 fengtai" in s.value for s in at.success)
    assert accounts.authenticate(setup[2], "fengtai", "fengtai-pw-1").account.districts == ("110106",)
    log = at.dataframe[1].value
    assert {"新建账号", "登录"} <= set(log["action"])


def test_changing_an_account_starts_from_its_current_role_and_districts(app):
    at = open_page(app, "admin", "admin")
    at.selectbox(key="user_change_who").set_value("chaoyang").run()
    role, districts = (
        at.selectbox(key="user_change_role_chaoyang@zh"),
        at.multiselect(key="user_change_districts_chaoyang@zh"),
    )
    assert (role.label, role.value) == ("角色", "planner") and districts.value == ["110105"]
    at.selectbox(key="user_change_who").set_value("leader").run()
    assert at.selectbox(key="user_change_role_leader@zh").value == "leadership"
    assert at.multiselect(key="user_change_districts_leader@zh").value == []


def test_an_idle_session_ends_with_a_message(app, monkeypatch):
    sign_in(app, "leader")
    assert app.title[0].value == "指标"  # a leader lands on the KPIs
    monkeypatch.setenv("OUTREACH_SESSION_IDLE_MINUTES", "0")
    app.run()
    assert app.title[0].value == "登录"
    assert any("长时间未操作" in e.value for e in app.error)


def test_a_disabled_account_is_signed_out_at_its_next_click(app, setup):
    engine = setup[2]
    accounts.add_user(engine, "temp-lead", "leadership", "temp-lead-pw", by=Scope.operator())
    sign_in(app, "temp-lead", "temp-lead-pw")
    assert app.title[0].value == "指标"  # a leader lands on the KPIs
    accounts.set_disabled(engine, "temp-lead", True, by=Scope.operator())
    app.run()
    assert app.title[0].value == "登录" and any("已停用" in e.value for e in app.error)


def test_single_sign_on_maps_to_the_accounts_role(app, setup):
    accounts.add_user(
        setup[2], "sso-planner", "planner", None, by=Scope.operator(), districts_=["海淀"], sso_email="hd@union.example"
    )
    app.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "c",
        "client_secret": "s",
        "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
    }
    app.user = {"is_logged_in": True, "email": "hd@union.example"}
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value == "地图"
    assert app.selectbox(key="map_district@zh").options == ["海淀区"]


def test_signing_out_leaves_nothing_for_the_next_person_at_the_browser(app, setup):
    at = open_page(app, "plan", "admin")
    at.number_input(key="plan_teams").set_value(1)
    at.number_input(key="plan_days").set_value(1)
    next(b for b in at.button if b.label == "生成计划").click().run()
    assert "plan_result" in at.session_state
    at.button(key="logout").click().run()
    assert at.title[0].value == "登录" and "plan_result" not in at.session_state
    sign_in(at, "chaoyang")
    at.switch_page("views/plan.py").run()
    assert not at.dataframe or "所属区" not in at.dataframe[0].value.columns  # no plan shown until they make one


def test_a_planners_upload_naming_another_districts_rows_is_refused_without_revealing_them(app, setup):
    import sqlalchemy as sa

    from dashboard.core.storage.schema import sessions, sites

    engine = setup[2]
    with engine.connect() as conn:
        session_id, site_id = conn.execute(
            sa.select(sessions.c.session_id, sessions.c.site_id).where(
                sessions.c.district == "110108", sessions.c.session_type == "worker"
            )
        ).first()
        site_name = conn.execute(sa.select(sites.c.name).where(sites.c.site_id == site_id)).scalar()
        before = conn.execute(sa.select(sessions).where(sessions.c.session_id == session_id)).all()
    header = "场次编号,类型,日期,开始时间,结束时间,所属区,点位编号,现场咨询人数,现场申请入会人数,发展会员数\n"
    rows = (
        f"{session_id},职工沟通会,2023-06-01,09:00,11:00,朝阳区,110105-001,10,3,3\n,职工沟通会,2023-06-02,09:00,11:00,"
        f"朝阳区,{site_id},10,3,3\n"
    )
    at = open_page(app, "upload", "chaoyang")
    at.file_uploader[0].set_value(("keys.csv", (header + rows).encode(), "text/csv")).run()
    assert not at.exception
    problems = at.dataframe[0].value
    assert sorted(problems["row"].dropna().astype(int)) == [2, 3]
    assert at.button(key="upload_confirm").disabled
    shown = " ".join([*problems["message"], *(e.value for e in at.error)])
    assert "海淀" not in shown and site_name not in shown and "2023-05" not in shown
    assert any("第 2、3 行的编号或点位不在您负责的范围内" in e.value for e in at.error)
    assert not [m for m in at.metric if m.label in ("将新增", "将更新")]  # refused whole: no counts "to import"
    with engine.connect() as conn:
        assert conn.execute(sa.select(sessions).where(sessions.c.session_id == session_id)).all() == before


def test_a_read_only_database_gets_a_plain_message_not_a_traceback(setup, monkeypatch):
    import streamlit as st

    url, models, engine = setup
    monkeypatch.setenv("OUTREACH_DB_URL", f"sqlite:///file:{engine.url.database}?mode=ro&uri=true")
    monkeypatch.setenv("OUTREACH_MODEL_DIR", str(models))
    try:
        at = sign_in(AppTest.from_file(APP, default_timeout=120), "chaoyang")  # signing in records the attempt: a write
        assert not at.exception
        message = " ".join(e.value for e in at.error)
        assert "只读" in message and "管理员" in message
        assert "INSERT" not in message and "login_attempts" not in message
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()


def test_a_planners_model_page_holds_no_city_wide_counts(app, setup):
    at = open_page(app, "model", "chaoyang")
    assert metric(at, "训练场次") == "全市"
    card = next(d.value for d in at.dataframe if list(d.value.columns) == ["item", "value"])
    assert "模型" in "".join(card["item"])  # the card is there, without the city's counts and data hash
    assert not {"训练用职工沟通会场次", "有历史的点位", "数据指纹"} & set(card["item"])
    assert not [i for i in card["item"] if "休息时段" in i]  # nor a figure estimated from every district's sessions
    assert not [c for c in at.caption if "场）" in c.value]  # the backtest's session counts are left out too
    # the visit model's calibration says "the city's visits", not how many the city made
    calibration = [c.value for c in at.caption if "个 90 天里" in c.value]
    assert calibration and all("全市的实际走访" in c and " 次实际走访" not in c for c in calibration)
