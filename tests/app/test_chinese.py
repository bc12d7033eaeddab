"""In Chinese mode no English on any page: every text element, label, option, table header and cell, and the plan
download, scanned for English words outside a short allow-list (codes, units, product names)."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.english import DATA_COLUMNS, WORD, english_words, raw_values

from .conftest import APP, open_page


def visible_texts(at) -> list[str]:
    """What a person reads on the page: text elements, widget labels, help and options, the sidebar's progress,
    table headers and cells (less the columns that hold the users' own data)."""
    texts: list[object] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
        texts += [e.value for e in at.get(kind)]
    for kind in ("metric",):
        texts += [v for e in at.get(kind) for v in (e.label, e.value, getattr(e, "help", None))]
    for kind in ("button", "download_button", "checkbox", "toggle", "text_input", "number_input", "date_input"):
        texts += [v for e in at.get(kind) for v in (getattr(e, "label", ""), getattr(e, "help", None))]
    for kind in ("selectbox", "multiselect", "radio", "select_slider", "slider"):
        for e in at.get(kind):
            texts += [e.label, getattr(e, "help", None), *(getattr(e, "options", None) or [])]
            texts.append(getattr(e, "placeholder", None))
    texts += [e.proto.text for e in at.get("progress")]  # the sidebar's training notice
    texts += [x for chart in at.get("vega_lite_chart") for x in chart_texts(json.loads(chart.proto.spec))]
    texts += [e.label for e in at.get("tabs")] + [e.label for e in at.get("expander")]
    for frame in at.dataframe:
        value = frame.value
        texts += headers(frame)
        for col in shown_columns(frame):
            if str(col) in DATA_COLUMNS:
                continue
            if value[col].dtype == object or str(value[col].dtype).startswith("str"):
                texts += value[col].dropna().astype(str).tolist()
    return [str(x) for x in texts if x is not None]


def chart_texts(spec) -> list[str]:
    """What a chart shows in words: its titles, and each tooltip line's name (a field's own name when the tooltip
    gives none, as a person hovering a point reads it)."""
    found: list[str] = []
    if isinstance(spec, list):
        for part in spec:
            found += chart_texts(part)
    elif isinstance(spec, dict):
        for channel, value in (spec.get("encoding") or {}).items():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str):  # a tooltip given as a bare field name
                    found.append(item.split(":")[0])
                elif isinstance(item, dict):
                    title = item.get("title")
                    if isinstance(title, str):
                        found.append(title)
                    elif channel == "tooltip" and "title" not in item and item.get("field"):
                        found.append(str(item["field"]))
        title = spec.get("title")
        found += [title] if isinstance(title, str) else [title.get("text", "")] if isinstance(title, dict) else []
        for key, value in spec.items():
            if key in ("layer", "spec", "hconcat", "vconcat", "concat"):
                found += chart_texts(value)
    return found


def headers(frame) -> list[str]:
    """A table's column headers as shown (column_config labels), the index's name included."""
    config = json.loads(frame.proto.columns or "{}")
    shown = [config.get(str(c), {}).get("label", str(c)) for c in shown_columns(frame)]
    return shown + [str(n) for n in frame.value.index.names if n is not None]


def shown_columns(frame) -> list:
    order = list(frame.proto.column_order)
    config = json.loads(frame.proto.columns or "{}")
    return [
        c
        for c in frame.value.columns
        if (not order or str(c) in order) and config.get(str(c), {}).get("hidden") is not True
    ]


def shown_values(at) -> list[str]:
    """Every text a person reads, the users' own data included (a missing note is as raw a "nan" as any), and
    "None" for each table that leaves a missing cell to Streamlit, which draws it as the word None."""
    texts = visible_texts(at)
    for frame in at.dataframe:
        value = frame.value
        columns = shown_columns(frame)
        texts += [str(x) for c in columns if str(c) in DATA_COLUMNS for x in value[c].dropna()]
        missing = [str(c) for c in columns if value[c].isna().any()]
        if missing and not frame.proto.HasField("placeholder"):
            texts.append(f"None (missing cells in {missing})")
    return texts


# Every role's pages: an admin, the leadership, a district's planner and a street union's planner.
ROLE_PAGES = {
    "admin": ["map", "plan", "enterprises", "kpi", "reporting", "teams", "upload", "model", "admin"],
    "leader": ["map", "enterprises", "kpi", "reporting", "model"],
    "chaoyang": ["map", "plan", "enterprises", "kpi", "reporting", "teams", "upload", "model"],
    "jianwai": ["map", "plan", "enterprises", "kpi", "reporting", "teams", "upload", "model"],
}


def _pressed(at, label: str) -> None:
    button = next((b for b in at.button if b.label == label), None)
    if button is not None:
        button.click().run()
        assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("user", sorted(ROLE_PAGES))
def test_no_english_and_no_raw_values_on_any_page_as_any_role(app, setup, user):
    """One person signed in, going through each of their pages in turn (as a week's use does); every page's
    findings are collected so that one failing page does not hide the next."""
    import sqlalchemy as sa

    from dashboard.core.storage.schema import users

    with setup[2].connect() as conn:  # account names (other tests add some) are the users' data, not the UI's
        names = {w.lower() for (n,) in conn.execute(sa.select(users.c.name)) for w in WORD.findall(n)}
    findings: dict[str, object] = {}
    at = open_page(app, ROLE_PAGES[user][0], user)
    for page in ROLE_PAGES[user]:
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
        if page == "plan":  # a plan made and saved: its table, the saved plan's rows and links
            _pressed(at, "生成计划")
            _pressed(at, "保存计划")
        if page == "enterprises":  # the visit plan too, with its table and reasons
            _pressed(at, "生成走访计划")
        if page == "map":  # and the enterprise layer's texts
            at.toggle(key="map_l_enterprises").set_value(True).run()
        found = {w for w in english_words(visible_texts(at)) if w.lower() not in names}
        raw = [text[:200] for text in shown_values(at) if raw_values([text])]
        if found or raw:
            findings[page] = {"english": sorted(found), "raw": raw}
    assert findings == {}, findings


def test_the_plan_download_is_chinese_in_values_too(app, setup):
    at = open_page(app, "plan")
    next(b for b in at.button if b.label == "生成计划").click().run()
    from dashboard.core.recommender import planner

    result = at.session_state["plan_result"][0]
    sheet = planner.for_people(result, "zh")
    texts = [*sheet.columns, *sheet.select_dtypes(exclude="number").astype(str).stack().tolist()]
    # site ids and names are the users' own data; everything else must read in Chinese
    texts = [x for x in texts if x not in set(result["site_id"]) | set(result["site_name"])]
    assert english_words(texts) == set()
    assert pd.read_csv(io.StringIO(sheet.to_csv(index=False))).shape[0] == len(result)


def test_a_plan_into_a_year_without_the_official_calendar_says_so_in_chinese(app):
    """The plan's messages (a provisional calendar, a retrained model) come in the page's language only."""
    import datetime as dt

    at = open_page(app, "plan")
    at.date_input(key="plan_start").set_value(dt.date(2027, 1, 4))
    at.number_input(key="plan_days").set_value(2)
    next(b for b in at.button if b.label == "生成计划").click().run()
    assert not at.exception
    notes = [i.value for i in at.info]
    assert any("2027年的节假日与调休安排尚未收录" in n for n in notes), notes
    assert english_words(notes) == set()


def _training(engine, stage: str, progress: float) -> None:
    """A retrain the server's worker is running, at ``stage``."""
    from dashboard.core.recommender import training
    from dashboard.core.storage.schema import training_jobs

    training.request(engine, "system", "first_start")
    job = training.claim(engine)
    assert job is not None
    with engine.begin() as conn:
        conn.execute(training_jobs.update().where(training_jobs.c.id == job.id).values(stage=stage, progress=progress))


def _notice(at) -> str:
    return " ".join(e.proto.text for e in at.sidebar.get("progress"))


@pytest.mark.parametrize("user", ["admin", "leader"])
def test_while_the_first_model_trains_the_sidebar_and_the_model_page_agree(app, setup, tmp_path, monkeypatch, user):
    """No model yet: the sidebar never speaks of a model "still in use", the Model page says the first one is on its
    way, and a stage is said in words, never as the trainer's key (hgb_poisson, "visit model: backtest")."""
    from dashboard.core.storage.schema import training_jobs

    monkeypatch.setenv("OUTREACH_MODEL_DIR", str(tmp_path / "no-model-yet"))
    for stage in ("backtest: hgb_poisson", "visit model: backtest"):
        _training(setup[2], stage, 0.4)
        at = open_page(AppTest.from_file(APP, default_timeout=180), "model", user)
        notice = _notice(at)
        assert "正在训练第一个模型" in notice and "40%" in notice, notice
        assert "原模型" not in notice and "现有模型" not in notice
        assert any("还没有训练好的模型。第一个模型正在后台训练" in i.value for i in at.info)
        assert english_words([notice]) == set() and raw_values([notice]) == set(), notice
        assert ("梯度提升" if stage.startswith("backtest") else "回测企业走访模型") in notice, notice
        with setup[2].begin() as conn:  # the next stage on a job of its own
            conn.execute(training_jobs.delete())


def test_while_the_full_model_trains_the_quick_one_is_named_on_both(app, setup, tmp_path, monkeypatch):
    """A fresh start's quick model is in use while the full training runs: both the sidebar and the Model page say
    so, and neither calls it the previous model."""
    from dashboard.core.recommender import store

    directory = tmp_path / "quick"
    store.train_quick(setup[2], directory=directory)
    monkeypatch.setenv("OUTREACH_MODEL_DIR", str(directory))
    _training(setup[2], "backtest: glm_poisson", 0.25)
    at = open_page(app, "model", "leader")
    notice = _notice(at)
    assert "正在完整训练模型" in notice and "快速模型" in notice and "原模型" not in notice, notice
    assert any("快速模型" in i.value for i in at.info)
    assert english_words([notice]) == set(), notice


def test_every_audit_detail_is_named_in_chinese():
    """Every key the code writes into an audit entry's details has a name in the log (and the areas and words it
    holds are said in Chinese): read from the calls themselves, so a new key cannot arrive unnamed."""
    import ast
    from pathlib import Path

    from dashboard.core.storage import audit

    root = Path(__file__).resolve().parents[2] / "dashboard"
    keys: set[str] = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node.func, "attr", getattr(node.func, "id", None)) if isinstance(node, ast.Call) else None
            if name in ("record", "_guard", "_refuse", "record_export"):
                keys |= {k.arg for k in node.keywords if k.arg}
    assert keys - set(audit.DETAIL_KEYS) - {"reason_zh"} == set()
    shown = audit.describe(
        json.dumps({"kind": "visits", "what": "import", "streets": ["110105001"], "dry_run": True, "note": None})
    )
    assert shown == "类型：企业走访；内容：导入；街道：朝阳区建外街道；仅检查：是"
    assert audit.describe(float("nan")) == "" and audit.describe(None) == ""


def test_the_charts_name_their_tooltips_in_chinese():
    """The charts a page may draw with data the sample does not bring (a week of plans on 填报): every title and
    tooltip line in Chinese."""
    import datetime as dt

    from dashboard import charts

    weekly = pd.DataFrame(
        {
            "week": [dt.date(2026, 11, 2)],
            "team_label": ["第1组"],
            **{k: [1] for k in charts.REPORTING_COLOURS},
        }
    )
    shown = chart_texts(charts.reporting(weekly))
    assert "情况" in shown and english_words(shown) == set(), shown


def test_a_refusal_in_the_audit_log_reads_in_the_readers_language(setup):
    """A refused request is logged with its reason in both languages: the Chinese log says it in Chinese."""
    from dashboard.core import access
    from dashboard.core.access.scope import Scope
    from dashboard.core.storage import audit

    planner = Scope("chaoyang", "planner", ("110105",))
    with pytest.raises(access.PermissionDenied) as refused:
        access.request_retrain(setup[2], planner, "admin")  # retraining on request is an admin's
    entry = audit.entries(setup[2], action="denied").iloc[0]["detail"]
    zh, en = audit.describe(entry, "zh"), audit.describe(entry, "en")
    assert f"原因：{refused.value.zh}" in zh and english_words([zh]) == set(), zh
    assert refused.value.en in en and "reason zh" not in en, en
