"""The Enterprises page under AppTest: the pipeline a planner reads, the ones waiting longest, one enterprise's
history, and what leadership may not see."""

import datetime as dt

from streamlit.testing.v1 import AppTest

from dashboard.core import access
from dashboard.core.access.scope import Scope

from .conftest import APP, open_page

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
    waiting = at.dataframe[1].value if len(at.dataframe) > 1 else None
    assert waiting is not None and set(waiting["district_name"]) == {"朝阳区"}
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
