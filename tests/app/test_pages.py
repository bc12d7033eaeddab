"""Every page under AppTest: renders without exception, shows the core's numbers, and the upload flow works."""

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.core.access import accounts
from dashboard.core.recommender import store, training
from dashboard.core.reports import kpi, plans
from dashboard.core.storage import db
from dashboard.core.storage.schema import training_jobs
from tests.english import english_words

from .conftest import open_page, sign_in

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "app.py")
FIXTURES = ROOT / "tests" / "fixtures"
CDN_HOSTS = ("cdn.jsdelivr", "cdnjs.", "unpkg.com", "code.jquery.com", "bootstrapcdn", "d3js.org")


def metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def map_script(at) -> str:
    components = at.get("component_instance")
    assert components, "no map component on the page"
    # everything the component sends the browser: script, header, css and js links
    parts = [json.loads(c.proto.json_args) for c in components]
    return "".join(f"{p['script']}{p['header']}{p['css_links']}{p['js_links']}" for p in parts)


def test_map_page_draws_layers_from_vendored_assets_only(app, setup):
    at = open_page(app, "map")
    script = map_script(at)
    assert "/app/static/vendor/leaflet/leaflet.js" in script
    assert not [h for h in CDN_HOSTS if h in script]
    assert "fillColor" in script and "L.heatLayer" in script  # districts, sites and the heat map are all there
    assert (
        json.dumps("国贸")[1:-1] in script
    )  # site names reach the map (as JSON in the script; the browser tests hover them)


def test_map_district_table_matches_the_core(app, setup):
    from dashboard.core.reports import queries

    at = open_page(app, "map")
    _, last = kpi.date_range(setup[2])
    stats = queries.district_stats(setup[2], last - dt.timedelta(days=365), last)
    table = at.dataframe[-1].value
    assert int(table["applications"].sum()) == int(stats["applications"].sum())
    assert int(table["worker_sessions"].sum()) == int(stats["worker_sessions"].sum())


def test_kpi_page_numbers_equal_the_command_line(app, setup):
    from dashboard.core.reports import periods

    at = open_page(app, "kpi")
    first, last = kpi.date_range(setup[2])
    now = kpi.compare(setup[2], periods.year(last.year)).set_index("metric")  # the page opens on the latest year
    assert metric(at, "职工沟通会场次") == f"{now.at['worker_sessions', 'current']:,}"
    card = next(m for m in at.metric if m.label == "现场申请入会人数")
    assert card.delta == f"{now.at['applications', 'yoy']:+.1%}"  # 同比 on the card
    lines = [c.value for c in at.caption if c.value.startswith("去年同期 ")]
    assert f"去年同期 {now.at['applications', 'year_before']:,}" in lines and not any("环比" in x for x in lines)
    at.segmented_control(key="kpi_kind").set_value("quarter").run()  # a quarter's 环比 is its own: beneath the card
    assert any("环比" in c.value and "上期" in c.value for c in at.caption)
    at.segmented_control(key="kpi_kind").set_value("all").run()
    totals = kpi.totals(setup[2], date_from=min(dt.date(2018, 4, 1), first), date_to=last)
    assert metric(at, "建会企业数") == f"{totals['unions_founded']:,}"
    assert metric(at, "发展会员数") == f"{totals['members_total']:,}"
    at.segmented_control(key="kpi_kind").set_value("month").run()
    at.selectbox(key="kpi_period_month@zh").set_value(periods.parse("2023-04")).run()
    april = kpi.totals(setup[2], date_from=dt.date(2023, 4, 1), date_to=dt.date(2023, 4, 30))
    assert metric(at, "现场申请入会人数") == f"{april['applications']:,}"
    assert "2023年4月" in at.selectbox(key="kpi_period_month@zh").options
    assert {b.label for b in at.get("download_button")} >= {"下载 Excel 报告", "下载 PDF 报告（可打印）"}


def test_kpi_ranking_narrows_to_the_chosen_district(app, setup):
    at = open_page(app, "kpi")
    full = at.dataframe[0].value
    assert len(full) == 16 and list(full["rank"]) == list(range(1, 17))
    at.selectbox(key="kpi_district@zh").set_value("110105").run()
    narrowed = at.dataframe[0].value
    assert list(narrowed["name"]) == ["朝阳区"]
    rank = int(full.loc[full["name"] == "朝阳区", "rank"].iat[0])
    assert any(f"在 16 个区中排第 {rank} 名" in c.value for c in at.caption)


def test_kpi_targets_show_progress(app, setup):
    from dashboard.core.reports import targets

    _, last = kpi.date_range(setup[2])
    targets.set_targets(
        setup[2], last.year, {"applications": 40_000}, user=accounts.Account("admin", "admin", ()).scope()
    )
    try:
        at = open_page(app, "kpi")
        assert any("目标 40,000" in (m.delta or "") for m in at.metric)
        assert any(h.value == f"{last.year}年度目标进度" for h in at.subheader)
        from dashboard.core.reports import periods

        at.selectbox(key="kpi_period_year@zh").set_value(periods.year(last.year - 1)).run()  # the target year follows
        assert not any("目标 40,000" in (m.delta or "") for m in at.metric)
        assert any(h.value == f"{last.year - 1}年度目标进度" for h in at.subheader)
    finally:
        targets.set_targets(setup[2], last.year, {})


def test_upload_refuses_a_bad_file_then_imports_a_good_one(app, setup, monkeypatch):
    engine = setup[2]
    before = kpi.totals(engine)
    at = open_page(app, "upload")
    at.file_uploader[0].set_value(
        ("bad.csv", (FIXTURES / "sessions" / "many_bad_rows.csv").read_bytes(), "text/csv")
    ).run()
    assert not at.exception
    problems = at.dataframe[0].value
    assert set(problems["row"].dropna().astype(int)) >= {3, 4, 5}
    assert any("整份文件不会导入" in e.value for e in at.error)
    assert at.button(key="upload_confirm").disabled
    wrong_rows = set(problems.loc[problems["level"] == "错误", "row"].dropna().astype(int))
    assert metric(at, "有错误的行") == f"{len(wrong_rows):,}"  # the count above agrees with the list below
    assert any(e.value.startswith(f"有 {len(wrong_rows)} 行有错误") for e in at.error)  # and with the message
    assert not any("●" in m.value for m in at.markdown)  # one bullet a line, the level in a word
    assert not [m for m in at.metric if m.label == "将新增"]  # refused whole: nothing "to import"
    assert not [e for e in at.expander if e.label.startswith("预览将导入")]
    assert kpi.totals(engine) == before

    good = (
        "场次编号,类型,日期,开始时间,结束时间,所属区,点位编号,现场咨询人数,现场申请入会人数,发展会员数\nAPPTEST-1,"
        "职工沟通会,2026-11-02,14:00,16:00,朝阳区,110105-001,40,12,12\n"
    )
    at.file_uploader[0].set_value(("good.csv", good.encode(), "text/csv")).run()
    assert metric(at, "将新增") == "1"
    at.button(key="upload_confirm").click().run()
    assert not at.exception
    assert any("已导入" in s.value for s in at.success)
    after = kpi.totals(engine)
    assert after["applications"] == before["applications"] + 12
    # the message came at once: the retrain is queued for the background, not run in the request
    assert any("正在用新数据重新训练" in i.value for i in at.info)
    job = training.current(engine)
    assert job is not None and job.status == "queued" and job.reason == "import"
    assert store.needs_training(engine, setup[1]) == store.STALE_DATA  # the old model is still the one in use
    # the same rows again (another copy of the file): nothing to write, so nothing to confirm
    at.file_uploader[0].set_value(("good-copy.csv", (good + "\n").encode(), "text/csv")).run()
    assert metric(at, "未变") == "1" and at.button(key="upload_confirm").disabled
    assert any("无需导入" in i.value for i in at.info)
    # the server's worker runs it; afterwards the model loads as current, with no "retrain" note. The job trains the
    # stall model for real, of the fastest family, and not the visit model (what the page is told is tested here;
    # the trainings themselves in tests/unit: both took 145 s of the suite)
    monkeypatch.setattr(
        training,
        "train_all",
        lambda engine, directory, progress, estimators: store.train(
            engine, directory=directory, progress=progress, estimators=("glm_poisson",)
        ),
    )
    assert [j.status for j in training.run_pending(engine, directory=setup[1])] == ["done"]
    assert store.load(engine, directory=setup[1], retrain=False).messages == []
    # and the KPI page reflects it at once
    at.switch_page("views/kpi.py").run()
    _, last = kpi.date_range(engine)
    assert (
        metric(at, "现场申请入会人数")
        == f"{kpi.totals(engine, date_from=dt.date(last.year, 1, 1), date_to=last)['applications']:,}"
    )


def test_plan_page_makes_downloads_and_saves_a_plan(app, setup):
    at = open_page(app, "plan")
    at.number_input(key="plan_teams").set_value(3)
    at.number_input(key="plan_days").set_value(2)
    next(b for b in at.button if b.label == "生成计划").click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert len(table) == 6 and {"小组", "点位", "预计申请入会", "80%区间", "本点位同类时段历史", "理由"} <= set(
        table.columns
    )
    assert table["预计申请入会"].dtype.kind == "i"  # whole people
    labels = [b.label for b in at.get("download_button")]
    assert "下载 Excel" in labels and "下载 CSV" in labels
    assert "第1组 打印表" in labels and "第3组 日历（.ics）" in labels  # for the field, per team
    links = table["导航"].dropna()  # taps open 高德 (Apple Maps on an iPhone) at the site, in GCJ-02
    assert len(links) and links.str.match(r"https://uri\.amap\.com/marker\?position=\d+\.\d+,\d+\.\d+&").all()
    # why this window: a row's site curve through its day, the window shaded, for any row picked
    assert any(e.label.startswith("为什么是这个时段") for e in at.expander)
    picker = at.selectbox(key="plan_why")
    assert len(picker.options) == 6 and table["点位"].iloc[-1] in picker.options[-1]
    picker.set_value(5).run()
    assert not at.exception
    chart = at.get("vega_lite_chart")[-1].proto
    frames = [pa.ipc.open_stream(d.data.data).read_pandas() for d in chart.datasets]
    band = next(f for f in frames if "from" in f.columns)
    start, end = (int(x[:2]) + int(x[3:]) / 60 for x in table["时间"].iloc[5].split("–"))
    assert (band["from"].iloc[0], band["to"].iloc[0]) == (start, end) and band["label"].iloc[0] == "计划时段"
    curve = next(f for f in frames if "每小时预计申请入会" in f.columns)
    assert curve["时刻（时）"].min() == 6 and curve["每小时预计申请入会"].gt(0).all()  # the day in half hours
    before = len(plans.list_plans(setup[2]))
    save = [b for b in at.button if b.label == "保存计划"][0]
    save.click().run()
    saved = plans.list_plans(setup[2])
    assert len(saved) == before + 1
    first_id = int(saved["id"].max())
    assert at.selectbox(key="saved_plan").value == first_id  # the picker opens the plan just saved
    at.selectbox(key="saved_plan").set_value(int(saved["id"].min())).run()  # someone looks at an older plan
    [b for b in at.button if b.label == "保存计划"][0].click().run()  # and saves again
    assert at.selectbox(key="saved_plan").value == int(plans.list_plans(setup[2])["id"].max()) > first_id
    before += 1
    # with the saved plan counted as booked, a new plan for the same days goes elsewhere
    next(b for b in at.button if b.label == "生成计划").click().run()
    again = at.dataframe[0].value
    first_pairs = set(zip(table["日期"].astype(str), table["点位"], strict=True))
    assert not first_pairs & set(zip(again["日期"].astype(str), again["点位"], strict=True))


def test_a_first_day_typed_in_another_order_is_said_in_words_and_refused_never_planned(app, setup):
    """12/7/2026 typed into the year-first box reads 1272/02/06: the page says that date in words and plans nothing."""
    at = open_page(app, "plan", "chaoyang")
    monday = dt.date.today() + dt.timedelta(days=7 - dt.date.today().weekday())
    said = f"将从 **{monday.year}年{monday.month}月{monday.day}日（星期一）** 起做计划"
    assert any(said in m.value for m in at.markdown)
    at.date_input(key="plan_start").set_value(dt.date(1272, 2, 6)).run()
    assert any("第一天是 1272年2月6日（星期六）" in e.value and "年/月/日" in e.value for e in at.error)
    next(b for b in at.button if b.label == "生成计划").click().run()
    assert not at.exception
    assert "plan_result" not in at.session_state and not [m for m in at.metric if m.label == "场次"]
    refusals = [e.value for e in at.error if "1272年2月6日" in e.value]
    assert len(refusals) == 2  # beside the box, and where the plan would have been
    assert english_words(refusals) == set()


def test_a_new_plan_is_brought_into_view_once_and_its_table_fits_a_desk_screen(app, setup):
    """After 生成计划 the page scrolls to the plan's heading (its own script, nothing fetched), once: not again when
    the page reruns for something else. The table's columns fit beside the sidebar at 1440 px (980 px, its border
    in), the reason wraps in tall rows and the map link is said in words."""
    at = open_page(app, "plan", "chaoyang")
    at.number_input(key="plan_teams").set_value(2)
    at.number_input(key="plan_days").set_value(2)
    next(b for b in at.button if b.label == "生成计划").click().run()
    assert not at.exception, [e.value for e in at.exception]
    monday = dt.date.today() + dt.timedelta(days=7 - dt.date.today().weekday())
    [heading] = [h for h in at.subheader if h.anchor == "plan-made"]
    assert heading.value == f"计划：{monday.year}年{monday.month}月{monday.day}日（星期一）起，2天"  # the day used
    scrolls = [h.value for h in at.html if "scrollIntoView" in h.value]
    assert len(scrolls) == 1 and '"plan-made"' in scrolls[0] and "http" not in scrolls[0]
    at.selectbox(key="plan_why").set_value(1).run()  # another session's curve: the same plan, no new scroll
    assert not [h for h in at.html if "scrollIntoView" in h.value]
    table = at.dataframe[0]
    columns = {c.get("label", k): c for k, c in json.loads(table.proto.columns).items()}
    shown = [columns[c]["width"] for c in table.value.columns]
    assert sum(shown) <= 975 and columns["理由"]["width"] >= 200
    assert table.proto.row_height > 64  # above 4rem Streamlit wraps a cell's text: the reason reads whole
    assert columns["导航"]["type_config"]["display_text"] == "打开地图"
    next(b for b in at.button if b.label == "生成计划").click().run()  # a second plan is brought into view too
    assert len([h for h in at.html if "scrollIntoView" in h.value]) == 1


def test_sessions_are_ticked_off_one_by_one_by_team(app, setup):
    """The field view: a checkbox per session (thumb-sized), one team's at a time, saved to the plan's rows."""
    at = open_page(app, "plan")
    at.date_input(key="plan_start").set_value(dt.date.today() - dt.timedelta(days=7))  # sessions already held
    at.number_input(key="plan_teams").set_value(2)
    at.number_input(key="plan_days").set_value(2)
    next(b for b in at.button if b.label == "生成计划").click().run()
    next(b for b in at.button if b.label == "保存计划").click().run()
    plan_id = at.selectbox(key="saved_plan").value
    rows = plans.rows(setup[2], plan_id)
    at.selectbox(key=f"ticks_team_{plan_id}@zh").set_value(2).run()
    boxes = [c for c in at.checkbox if c.key.startswith(f"tick_{plan_id}_")]
    assert len(boxes) == int((rows["team"] == 2).sum()) == 2  # team 2's sessions only
    assert all("第2组" in c.label and "–" in c.label for c in boxes)
    boxes[0].check().run()
    next(b for b in at.button if b.key == "save_ticks").click().run()
    assert not at.exception
    done = plans.rows(setup[2], plan_id).set_index("id")["done"]
    ticked = int(boxes[0].key.rsplit("_", 1)[1])
    assert bool(done[ticked]) and int(done.sum()) == 1
    at.segmented_control(key="ticks_view").set_value("table").run()  # the table shows the same tick
    table = next(d for d in at.dataframe if "done" in d.value.columns).value
    assert bool(table.set_index("id").loc[ticked, "done"])


def test_model_page_shows_the_backtest_against_baselines(app):
    at = open_page(app, "model")
    scores = at.dataframe[0].value
    assert any("基线" in i for i in scores.index) and any("✔" in i for i in scores.index)
    chosen = scores.loc[[i for i in scores.index if "✔" in i][0]]
    habit = scores.loc[[i for i in scores.index if "惯例" in i][0]]
    assert chosen["deviance_applications"] < habit["deviance_applications"]
    # whether the expectations and intervals hold, and why the plan explores as much as it does
    assert any("80%区间内" in c.value for c in at.caption)
    assert any("试新点位" in s.value for s in at.subheader) and any("闭环测试" in c.value for c in at.caption)
    # a curve model's card says how far the history bears out the published rest times, between 0 and 1 (the
    # upload test above may have left a model of another family, whose card has no such row)
    card = next(d.value for d in at.dataframe if list(d.value.columns) == ["item", "value"])
    weight = card.loc[card["item"].str.contains("休息时段"), "value"]
    chosen_model = card.loc[card["item"] == "所选模型", "value"].iat[0]
    if "时段曲线" in chosen_model:
        assert len(weight) == 1 and 0.0 <= float(weight.iat[0]) <= 1.0
    else:
        assert weight.empty


@pytest.mark.parametrize(
    "page, title",
    [
        ("map", "Map"),
        ("plan", "Plan"),
        ("enterprises", "Enterprises"),
        ("kpi", "KPIs"),
        ("reporting", "Reporting"),
        ("teams", "Teams"),
        ("upload", "Upload"),
        ("model", "Model"),
        ("admin", "Admin"),
    ],
)
def test_every_page_has_an_english_version(app, page, title):
    sign_in(app)
    app.sidebar.radio[0].set_value("en").run()
    app.switch_page(f"views/{page}.py").run()
    assert not app.exception
    assert app.title[0].value == title


def test_an_empty_production_database_says_how_to_import(tmp_path, monkeypatch):
    monkeypatch.setenv("OUTREACH_DB_URL", f"sqlite:///{tmp_path / 'empty.sqlite'}")
    monkeypatch.setenv("OUTREACH_SAMPLE", "0")
    monkeypatch.setenv("OUTREACH_MODEL_DIR", str(tmp_path / "models"))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "users add" in at.warning[0].value  # no accounts yet: the login page says how to create the first admin
    engine = db.make_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    accounts.add_user(engine, "boss", "admin", "first-admin-pw", by=accounts.Scope.operator())
    sign_in(at, "boss", "first-admin-pw")
    assert "上传" in at.info[0].value
    st.cache_data.clear()
    st.cache_resource.clear()


def test_map_session_type_filter_switches_the_district_figures(app, setup):
    at = open_page(app, "map")
    at.selectbox(key="map_session_type@zh").set_value("enterprise").run()
    assert not at.exception
    table = at.dataframe[-1].value
    assert "unions_founded" in table.columns and "applications" not in table.columns
    assert any("企业沟通会按区登记" in c.value for c in at.caption)


def test_an_oversized_upload_is_refused_with_the_limit_and_the_fix(app, setup, monkeypatch):
    monkeypatch.setenv("OUTREACH_MAX_UPLOAD_MB", "0.001")  # about 1 KB, so a small file stands in for a 21 MB one
    before = kpi.totals(setup[2])
    at = open_page(app, "upload")
    at.file_uploader[0].set_value(
        ("big.csv", (FIXTURES / "sessions" / "valid_zh.csv").read_bytes() * 3, "text/csv")
    ).run()
    assert not at.exception
    assert any("文件太大" in e.value and "拆分" in e.value for e in at.error)
    assert not [b for b in at.button if b.key == "upload_confirm"]
    assert kpi.totals(setup[2]) == before


def test_no_page_trains_in_the_request_they_say_training_runs_in_the_background(app, setup, monkeypatch, tmp_path):
    engine = setup[2]
    empty = tmp_path / "no-model-yet"
    monkeypatch.setenv("OUTREACH_MODEL_DIR", str(empty))  # a fresh install: no model saved yet
    job = training.request(engine, "system", "first_start")
    try:
        at = open_page(app, "plan")
        next(b for b in at.button if b.label == "生成计划").click().run()
        assert not at.exception, [e.value for e in at.exception]
        assert any("模型正在后台训练" in w.value for w in at.warning)
        assert not at.dataframe and not empty.exists()  # no plan, and nothing was trained in the request
        at.switch_page("views/map.py").run()  # the map works meanwhile, on the historical averages
        assert not at.exception and any("点位暂按历史场均着色" in c.value for c in at.caption)
        at.switch_page("views/model.py").run()
        assert not at.exception
        assert at.button(key="retrain").disabled  # one job at a time: it is already queued
    finally:
        with engine.begin() as conn:
            conn.execute(training_jobs.update().where(training_jobs.c.id == job.id).values(status="done"))


def test_switching_language_keeps_every_selection(app, setup):
    """Streamlit keeps a selectbox's old label when only its format_func changes: the choice moves to a widget in
    the new language (i18n.lang_key), so it shows in English and stays what it was."""
    from dashboard.core.reports import periods

    at = open_page(app, "kpi")
    at.segmented_control(key="kpi_kind").set_value("month").run()
    april = periods.parse("2023-04")
    at.selectbox(key="kpi_period_month@zh").set_value(april).run()
    at.selectbox(key="kpi_district@zh").set_value("110105").run()
    before = metric(at, "现场申请入会人数")
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    assert at.selectbox(key="kpi_period_month@en").value == april
    assert at.selectbox(key="kpi_district@en").value == "110105"
    assert "Chaoyang" in at.selectbox(key="kpi_district@en").options  # drawn in English
    assert metric(at, "On-site applications") == before
    at.radio(key="lang").set_value("zh").run()
    assert at.selectbox(key="kpi_district@zh").value == "110105" and metric(at, "现场申请入会人数") == before


def test_a_saved_plan_is_renamed_and_deleted_from_the_plan_page(app, setup):
    import pandas as pd

    from dashboard.core.storage.site_tables import read_sites

    engine = setup[2]
    site = read_sites(engine, "110105").iloc[0]
    row = {"team": [1], "date": [dt.date(2026, 6, 1)], "start_time": ["12:00"], "end_time": ["13:30"]}
    plan_id = plans.save(
        engine,
        pd.DataFrame(
            row
            | {"site_id": [site["site_id"]], "district": ["朝阳区"], "expected_applications": [3.0], "reason": ["r"]}
        ),
        "改名前",
        {},
    )
    at = open_page(app, "plan")
    at.selectbox(key="saved_plan").set_value(plan_id).run()
    name_box = next(w for w in at.text_input if w.label == "新名称")
    name_box.set_value("下周朝阳计划")
    next(b for b in at.button if b.label == "重命名").click().run()
    assert not at.exception and plans.name_of(engine, plan_id) == "下周朝阳计划"
    delete = at.button(key="plan_delete")
    assert delete.disabled  # nothing is deleted without saying so first
    at.checkbox(key="plan_delete_sure").check().run()
    at.button(key="plan_delete").click().run()
    assert not at.exception and plans.name_of(engine, plan_id) is None
    assert plan_id not in set(plans.list_plans(engine)["id"])
