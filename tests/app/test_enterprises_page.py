"""The Enterprises page under AppTest: the pipeline a planner reads, the ones waiting longest, one enterprise's
history, and what leadership may not see."""

import datetime as dt
import json

from streamlit.testing.v1 import AppTest

from dashboard.core import access
from dashboard.core.access.scope import Scope
from dashboard.core.recommender import visits
from dashboard.core.reports import kpi
from tests.english import english_words

from .conftest import APP, open_page
from .test_pages import map_script

CHAOYANG = Scope("chaoyang", "planner", ("110105",))


def metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_a_planner_reads_the_pipeline_of_their_district(app, setup):
    engine = setup[2]
    at = open_page(app, "enterprises", "chaoyang")
    assert at.title[0].value == "企业"
    assert at.selectbox(key="ent_district@zh").options == ["朝阳区"]
    expected = access.enterprise_pipeline(engine, CHAOYANG, today=dt.date.today())["counts"]
    for key, label in (("none", "未接触"), ("interested", "有意向"), ("founded", "已建会（本项目）")):
        assert metric(at, label) == f"{int(expected[key]):,}"
    # the register's enterprises are placed in streets, so the pipeline has a by-street table too
    waiting = next((d.value for d in at.dataframe if "days_waiting" in d.value.columns), None)
    assert waiting is not None and set(waiting["district_name"]) == {"朝阳区"}
    assert (waiting["street"] != "None").all() and (waiting["street"] != "").mean() > 0.9
    days = waiting["days_waiting"].tolist()
    assert days == sorted(days, reverse=True) and days[0] > 0


def test_one_enterprise_shows_its_history_and_the_head_only_to_its_district(app, setup):
    engine = setup[2]
    at = open_page(app, "enterprises", "chaoyang")
    chosen = at.selectbox(key="ent_chosen").value
    history = access.enterprise_page(engine, CHAOYANG, chosen)["history"]
    shown = at.dataframe[-1].value
    assert len(shown) == len(history) > 0 and set(shown["outcome"]) <= {"已沟通", "有意向", "已建会", "暂不建会"}
    facts = at.dataframe[-2].value
    assert "负责人" in set(facts["k"])
    leader = open_page(AppTest.from_file(APP, default_timeout=180), "enterprises", "leader")
    facts = leader.dataframe[-2].value
    assert "负责人" not in set(facts["k"]) and "联系方式" not in set(facts["k"])


def test_finding_an_enterprise_by_name(app, setup):
    at = open_page(app, "enterprises", "chaoyang")
    at.text_input(key="ent_query").input("物流").run()
    assert not at.exception
    options = at.selectbox(key="ent_chosen").options
    assert options and all("物流" in o for o in options)
    at.text_input(key="ent_query").input("<script>alert(1)</script>").run()
    assert not at.exception and any(c.value == "没有找到。" for c in at.caption)


def test_a_planner_plans_visits_with_reasons_and_a_download(app, setup):
    at = open_page(app, "enterprises", "chaoyang")
    at.number_input(key="visit_days").set_value(7)
    at.number_input(key="visit_staff").set_value(3)
    at.number_input(key="visit_per_day").set_value(2)
    next(b for b in at.button if b.label == "生成走访计划").click().run()
    assert not at.exception, [e.value for e in at.exception]
    plan = next(d.value for d in at.dataframe if "理由" in d.value.columns)
    start = at.date_input(key="visit_start").value
    workdays = visits.working_days(start, 7)
    assert len(plan) == 3 * 2 * len(workdays) and set(plan["所属区"]) == {"朝阳区"}
    assert plan["理由"].str.contains("员工约").all()
    first_day = plan[plan["日期"] == plan["日期"].min()]
    assert sorted(first_day["工作人员"].unique()) == [1, 2, 3]
    assert any(m.label == "预计发展会员" for m in at.metric)
    assert not any("还没有训练好" in i.value for i in at.info)  # the fixture's trained visit model is used
    # every day's routes, not only the first: the day picker holds each working day of the plan
    day = at.selectbox(key="visit_route_day")
    assert len(day.options) == len(workdays)
    day.set_value(workdays[-1]).run()
    assert not at.exception


def test_a_visit_plans_start_typed_in_another_order_is_said_in_words_and_refused_never_planned(app, setup):
    """12/7/2026 typed into the year-first box reads 1272/02/06: said in words beside the box and refused in Chinese
    (as is a day more than a year ahead, which the box once refused in Streamlit's English); the plan made says the
    day it was made for."""
    at = open_page(app, "enterprises", "chaoyang")
    monday = dt.date.today() + dt.timedelta(days=7 - dt.date.today().weekday())
    in_words = f"{monday.year}年{monday.month}月{monday.day}日（星期一）"
    assert any(f"走访从 **{in_words}** 起安排" in m.value for m in at.markdown)
    at.date_input(key="visit_start").set_value(dt.date(1272, 2, 6)).run()
    assert not at.exception
    [beside] = [e.value for e in at.error]
    assert beside.startswith("开始日期是 1272年2月6日（星期六），离今天太远，不能安排走访") and "年/月/日" in beside
    next(b for b in at.button if b.label == "生成走访计划").click().run()
    assert not at.exception
    assert not [d for d in at.dataframe if "理由" in d.value.columns]  # nothing planned for another day
    refusals = [e.value for e in at.error]
    assert len(refusals) == 2 and all("1272年2月6日" in r for r in refusals)  # beside the box, and below the form
    far = monday + dt.timedelta(days=400)
    at.date_input(key="visit_start").set_value(far).run()
    [beside] = [e.value for e in at.error]
    assert f"开始日期是 {far.year}年{far.month}月{far.day}日" in beside
    assert english_words(refusals + [beside]) == set()
    at.date_input(key="visit_start").set_value(monday).run()
    assert not at.error
    next(b for b in at.button if b.label == "生成走访计划").click().run()
    assert any(m.value == f"**走访计划：{in_words}起，10天**" for m in at.markdown)
    assert next(d.value for d in at.dataframe if "理由" in d.value.columns)["日期"].min() >= monday


def test_leadership_reads_the_pipeline_but_has_no_visit_plan(app):
    at = open_page(app, "enterprises", "leader")
    assert not at.exception
    assert [tab.label for tab in at.tabs] == ["建会进展", "久未联系", "企业详情"]


def test_kpi_page_shows_the_enterprise_funnel_with_year_on_year(app, setup):
    engine = setup[2]
    at = open_page(app, "kpi", "admin")
    period = at.selectbox(key="kpi_period_year@zh").value
    funnel = access.enterprise_funnel(engine, Scope("a", "admin"), period, as_of=None).set_index("metric")
    assert metric(at, "经沟通建会") == f"{int(funnel.at['founded', 'current']):,}"
    assert metric(at, "走访企业数") == f"{int(funnel.at['visited', 'current']):,}"


def test_map_draws_unionless_enterprises_and_the_union_rate(app, setup):
    at = open_page(app, "map", "chaoyang")
    at.toggle(key="map_l_enterprises").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    script = map_script(at)
    assert json.dumps("建会率 %")[1:-1] in script  # the districts' tooltip
    _, last = kpi.date_range(setup[2])
    loaded = access.visit_model(setup[2])
    top = access.enterprise_outlook(setup[2], CHAOYANG, loaded, as_of=last + dt.timedelta(days=1)).iloc[0]
    assert json.dumps(top["name"])[1:-1] in script  # the enterprise a visit is expected to bring most from


def test_model_page_shows_the_visit_backtest_against_baselines(app):
    at = open_page(app, "model", "admin")
    table = next(d.value for d in at.dataframe if "policy" in d.value.columns)
    policies = table.set_index("policy")["share"]
    assert len(policies) == 4 and policies.between(0, 1).all()
    assert any("员工最多的先走访" in p for p in policies.index)
    assert any("只能评价实际走访过的企业" in c.value for c in at.caption)


def test_an_admin_adds_and_retires_a_service_package(app, setup):
    at = open_page(app, "admin", "admin")
    form_inputs = [w for w in at.text_input if w.label == "新服务包（中文）"]
    form_inputs[0].input("就业服务")
    next(b for b in at.button if b.label == "新增").click().run()
    assert not at.exception, [e.value for e in at.exception]
    listed = access.service_packages(setup[2], Scope("a", "admin"))
    assert "就业服务" in set(listed["zh"])
    key = listed.set_index("zh").loc["就业服务", "key"]
    at.selectbox(key="service_which").set_value(key)
    next(s for s in at.selectbox if s.label == "状态").set_value("retire")
    next(b for b in at.button if b.label == "保存" and b.form_id == "service_change").click().run()
    assert not at.exception
    listed = access.service_packages(setup[2], Scope("a", "admin")).set_index("key")
    assert not bool(listed.loc[key, "active"])


def test_an_admin_sees_where_a_record_is_and_moves_it_with_its_visits(app, setup):
    engine, admin = setup[2], Scope("a", "admin")
    register = access.enterprise_register(engine, CHAOYANG)
    key = register["enterprise_id"].iloc[0]
    at = open_page(app, "admin", "admin")
    at.selectbox(key="move_kind@zh").set_value("enterprise")
    next(w for w in at.text_input if w.label == "统一社会信用代码或编号").input(key)
    next(b for b in at.button if b.label == "查看现在的归属").click().run()
    assert not at.exception and any(i.value.startswith("现在属于：朝阳区") for i in at.info)
    next(s for s in at.selectbox if s.label == "迁到区").set_value("110108")
    next(b for b in at.button if b.label == "迁移").click().run()
    assert not at.exception, [e.value for e in at.exception]
    try:
        assert any("迁到海淀区" in s.value for s in at.success)
        assert access.record_area(engine, admin, "enterprise", key)[0] == "110108"
        assert key not in set(access.enterprise_register(engine, CHAOYANG)["enterprise_id"])
    finally:  # the shared sample stays as the other tests expect it
        street = register.set_index("enterprise_id").at[key, "street_code"]
        access.move_record(engine, admin, "enterprise", key, "110105", street if isinstance(street, str) else None)
