"""Shared fixtures: a fresh database per test, on SQLite always and on PostgreSQL when configured."""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

if os.environ.get("PYTEST_XDIST_WORKER"):
    # One test worker per core already: OpenMP threads in each (HistGradientBoosting) would oversubscribe the cores,
    # and its spin-waiting threads then slow training tenfold. Set before scikit-learn is first imported.
    os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.core.access import accounts  # noqa: E402
from dashboard.core.storage import db  # noqa: E402

# Passwords in tests are hashed with argon2id as in production, at a lower cost: production's (64 MiB, 3 passes) is
# the point there, and here a tax of minutes on a suite that creates accounts and signs in over a thousand times.
# tests/unit/test_accounts.py checks that the app itself, started without this, hashes at production's cost.
accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
accounts._DUMMY = accounts._hasher.hash("not-a-real-password")

FIXTURES = Path(__file__).parent / "fixtures"
PG_URL = os.environ.get("OUTREACH_TEST_PG_URL")


def _pg_engine(schema: str) -> sa.Engine:
    url = db.normalise_url(PG_URL)
    return sa.create_engine(url, connect_args={"options": f"-csearch_path={schema}"}, pool_pre_ping=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request, tmp_path):
    """An engine on an empty database (no schema yet)."""
    if request.param == "sqlite":
        engine = db.make_engine(f"sqlite:///{tmp_path / 'test.sqlite'}")
        yield engine
        engine.dispose()
        return
    if not PG_URL:
        pytest.skip("OUTREACH_TEST_PG_URL is not set: PostgreSQL tests need a server (CI sets it)")
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(db.normalise_url(PG_URL))
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    engine = _pg_engine(schema)
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file at the newest schema with the districts loaded, made once per worker (the migrations took a
    fifth of a second or more for each of several hundred tests)."""
    path = tmp_path_factory.mktemp("template") / "db.sqlite"
    template = db.make_engine(f"sqlite:///{path}")
    db.upgrade(template)
    template.dispose()  # folds the write-ahead log into the file
    return path


@pytest.fixture
def engine(empty_engine, sqlite_template):
    """An engine on a database at the newest schema, districts loaded, no sites or sessions."""
    if empty_engine.dialect.name == "sqlite":  # a copy of the upgraded file, before anything has opened this one
        shutil.copyfile(sqlite_template, empty_engine.url.database)
    else:
        db.upgrade(empty_engine)
    return empty_engine


@pytest.hookimpl(trylast=True)  # after -k and -m deselect
def pytest_collection_modifyitems(items):
    """Tell tests/artefacts.py which artefacts this run's tests use (a waiting worker builds them meanwhile)."""
    from tests import artefacts

    artefacts.want({name for item in items for name in getattr(item, "fixturenames", ())})


@pytest.fixture
def fixture_bytes():
    def read(name: str) -> bytes:
        return (FIXTURES / name).read_bytes()

    return read
