"""Shared AppTest fixtures: one sample database and model for the app tests, and signing in through the form."""

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.core.access import accounts
from dashboard.core.recommender import store, visit_store
from dashboard.core.storage import db

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "app.py")


@pytest.fixture(scope="session")
def setup(tmp_path_factory):
    """A database the app fills with the sample on first start, and a model trained on it (module-wide)."""
    tmp = tmp_path_factory.mktemp("app")
    url = f"sqlite:///{tmp / 'app.sqlite'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    from data import enterprise_sample, sample

    sample.load(engine)
    enterprise_sample.load(engine)
    store.train(engine, directory=tmp / "models", estimators=("glm_curve",))  # the family a retrain picks
    visit_store.train(engine, directory=tmp / "models")
    return url, tmp / "models", engine


@pytest.fixture
def app(setup, monkeypatch):
    url, models, _ = setup
    monkeypatch.setenv("OUTREACH_DB_URL", url)
    monkeypatch.setenv("OUTREACH_MODEL_DIR", str(models))
    monkeypatch.delenv("OUTREACH_SAMPLE", raising=False)
    # no background thread in the test process: a test that queues a retrain runs the queue itself
    monkeypatch.setenv("OUTREACH_BACKGROUND_TRAINING", "0")
    at = AppTest.from_file(APP, default_timeout=180)
    yield at
    st.cache_data.clear()
    st.cache_resource.clear()


PASSWORDS = {name: password for name, _, _, password in accounts.DEMO_ACCOUNTS}


def sign_in(at: AppTest, name: str = "admin", password: str | None = None) -> AppTest:
    """Sign in through the login form, as a person does."""
    at.run()
    assert not at.exception, at.exception
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(PASSWORDS.get(name, "") if password is None else password)
    next(b for b in at.button if b.label in ("登录", "Sign in")).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_page(at: AppTest, page: str, user: str = "admin") -> AppTest:
    sign_in(at, user)
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at
