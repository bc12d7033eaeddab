"""In Chinese mode no English on any page: every text element, label, option, table header and cell, and the plan
download, scanned for English words outside a short allow-list (codes, units, product names)."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from tests.english import DATA_COLUMNS, WORD, english_words

from .conftest import open_page


def visible_texts(at) -> list[str]:
    """What a person reads on the page: text elements, widget labels and options, table headers and cells."""
    texts: list[object] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
        texts += [e.value for e in at.get(kind)]
    for kind in ("metric",):
        texts += [v for e in at.get(kind) for v in (e.label, e.value)]
    for kind in ("button", "download_button", "checkbox", "toggle", "text_input", "number_input", "date_input"):
        texts += [getattr(e, "label", "") for e in at.get(kind)]
    for kind in ("selectbox", "multiselect", "radio", "select_slider"):
        for e in at.get(kind):
            texts += [e.label, *(e.options or [])]
            texts.append(getattr(e, "placeholder", None))
    texts += [e.label for e in at.get("tabs")] + [e.label for e in at.get("expander")]
    for frame in at.dataframe:
        value = frame.value
        config = json.loads(frame.proto.columns or "{}")  # the headers people see (column_config labels)
        order = list(frame.proto.column_order) or [str(c) for c in value.columns]
        texts += [config.get(str(c), {}).get("label", str(c)) for c in value.columns if str(c) in order]
        for col in value.columns:
            if str(col) in DATA_COLUMNS:
                continue
            if value[col].dtype == object or str(value[col].dtype).startswith("str"):
                texts += value[col].dropna().astype(str).tolist()
    return texts


@pytest.mark.parametrize(
    "page", ["map", "plan", "enterprises", "kpi", "reporting", "teams", "upload", "model", "admin"]
)
def test_no_english_on_any_page_in_chinese(app, setup, page):
    import sqlalchemy as sa

    from dashboard.core.storage.schema import users

    at = open_page(app, page)
    if page == "plan":
        next(b for b in at.button if b.label == "生成计划").click().run()
        assert not at.exception
    if page == "enterprises":  # the visit plan too, with its table and reasons
        next(b for b in at.button if b.label == "生成走访计划").click().run()
        assert not at.exception
    if page == "map":  # and the enterprise layer's texts
        at.toggle(key="map_l_enterprises").set_value(True).run()
    with setup[2].connect() as conn:  # account names (other tests add some) are the users' data, not the UI's
        names = {w.lower() for (n,) in conn.execute(sa.select(users.c.name)) for w in WORD.findall(n)}
    found = {w for w in english_words(visible_texts(at)) if w.lower() not in names}
    assert found == set(), sorted(found)


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
