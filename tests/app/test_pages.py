"""Every page renders under AppTest, and its numbers are the core's numbers."""

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.core import db, kpi

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    """A database the app fills with the sample on first start, shared by this module's tests."""
    path = tmp_path_factory.mktemp("app") / "app.sqlite"
    return f"sqlite:///{path}"


@pytest.fixture
def app(sample_db, monkeypatch):
    monkeypatch.setenv("OUTREACH_DB_URL", sample_db)
    monkeypatch.delenv("OUTREACH_SAMPLE", raising=False)
    at = AppTest.from_file(APP, default_timeout=120)
    yield at
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()


def metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_first_start_loads_the_sample_and_shows_core_numbers(app, sample_db):
    app.run()
    assert not app.exception
    totals = kpi.totals(db.make_engine(sample_db))
    assert totals["worker_sessions"] > 27_100  # the whole 2018-2026 sample is there
    assert metric(app, "场次") == f"{totals['worker_sessions']:,}"
    assert metric(app, "现场申请入会人数") == f"{totals['applications']:,}"
    assert metric(app, "建会企业数") == f"{totals['unions_founded']:,}"


def test_filters_change_the_numbers_like_the_command_line(app, sample_db):
    app.run()
    app.selectbox[0].set_value("110105").run()
    app.date_input[0].set_value((dt.date(2018, 4, 1), dt.date(2023, 4, 30))).run()
    assert not app.exception
    expected = kpi.totals(db.make_engine(sample_db), district="110105", date_from=dt.date(2018, 4, 1), date_to=dt.date(2023, 4, 30))
    assert metric(app, "现场咨询人数") == f"{expected['consultations']:,}"


def test_english_switch(app):
    app.run()
    app.sidebar.radio[0].set_value("en").run()
    assert not app.exception
    assert app.title[0].value.startswith("Beijing trade unions")
    assert any(m.label == "Unions founded" for m in app.metric)


def test_an_empty_production_database_says_how_to_import(tmp_path, monkeypatch):
    monkeypatch.setenv("OUTREACH_DB_URL", f"sqlite:///{tmp_path / 'empty.sqlite'}")
    monkeypatch.setenv("OUTREACH_SAMPLE", "0")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "sessions import" in at.info[0].value
    assert not at.metric
