"""Shared AppTest fixtures: a copy of the sample database and its models for each test, and signing in."""

import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.core.access import accounts
from dashboard.core.recommender import store
from dashboard.core.storage import db
from tests import artefacts

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "app.py")


def _build(out: Path) -> None:
    """The sample and register database and its visit model, with a stall model of the family a retrain picks."""
    artefacts.copy("register", artefacts.register_database, out)
    engine = db.make_engine(f"sqlite:///{out / 'db.sqlite'}")
    store.train(engine, directory=out / "models", estimators=("glm_curve",))
    engine.dispose()


artefacts.declare("app", _build, fixture="built")


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """This worker's copy of the app artefact (built once per code version, see tests/artefacts.py)."""
    return artefacts.copy("app", _build, tmp_path_factory.mktemp("app-built"))


@pytest.fixture
def setup(built, tmp_path):
    """A database holding the sample and the register, and models trained on it: this test's own copy (a test
    that writes changes no other test's data)."""
    here = shutil.copytree(built, tmp_path / "app")
    url = f"sqlite:///{here / 'db.sqlite'}"
    engine = db.make_engine(url)
    yield url, here / "models", engine
    engine.dispose()
    shutil.rmtree(here, ignore_errors=True)  # ~60 MB a test: kept, a run's copies would fill the disk


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
