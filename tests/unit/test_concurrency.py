"""Many planners importing at once lose nothing and count nothing twice (PostgreSQL: 20 at once; SQLite: 4).

Each file overlaps the others: shared session_ids, some with conflicting counts, shared rows keyed without an id,
and the same new site created by several files. Afterwards the database must hold exactly what importing the
same files one after another, in the order the imports committed, gives.
"""

import datetime as dt
import random
import threading

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard.core.intake import ingest
from dashboard.core.reports import kpi
from dashboard.core.storage import db
from dashboard.core.storage.schema import sessions, settings, sites, uploads

TODAY = dt.date(2026, 11, 23)
HEADER = "场次编号,类型,日期,开始时间,结束时间,所属区,点位编号,点位名称,现场咨询人数,现场申请入会人数,发展会员数\n"
KNOWN = [("CY-001", "朝阳区"), ("CY-002", "朝阳区"), ("HD-001", "海淀区"), ("HD-002", "海淀区")]


def overlapping_files(n: int, seed: int = 5) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    files = []
    for i in range(n):
        lines = []
        for k in rng.sample(range(120), 50):  # shared ids: each id appears in about n * 50 / 120 files
            site, district = KNOWN[k % 4]
            day = dt.date(2025, 1, 1) + dt.timedelta(days=k)
            apps = 5 + k % 7 + (i if k % 10 == 0 else 0)  # every tenth id conflicts between files
            lines.append(f"C{k:03d},职工沟通会,{day},09:00,11:00,{district},{site},,{apps * 3},{apps},{apps}")
        for k in rng.sample(range(30), 10):  # no id: keyed by type, date, start and site
            site, district = KNOWN[k % 4]
            lines.append(
                f",职工沟通会,{dt.date(2024, 6, 1) + dt.timedelta(days=k)},14:00,16:00,{district},{site},,20,4,4"
            )
        # a new site named in several files, created by whichever import commits first
        lines.append(f"N{i:03d},职工沟通会,2025-09-0{1 + i % 9},10:00,12:00,朝阳区,,新建驿站{i % 3},12,3,3")
        files.append((f"team{i:02d}.csv", (HEADER + "\n".join(lines) + "\n").encode()))
    return files


def contents(engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    cols = [
        sessions.c.session_key,
        sessions.c.session_id,
        sessions.c.date,
        sessions.c.site_id,
        sessions.c.district,
        sessions.c.consultations,
        sessions.c.applications,
        sessions.c.members_joined,
        sessions.c.row_hash,
    ]
    with engine.connect() as conn:
        got = pd.DataFrame(
            conn.execute(sa.select(*cols).order_by(sessions.c.session_key)).all(), columns=[c.name for c in cols]
        )
        site_rows = pd.DataFrame(
            conn.execute(sa.select(sites.c.site_id, sites.c.name, sites.c.district).order_by(sites.c.site_id)).all(),
            columns=["site_id", "name", "district"],
        )
    got["date"] = pd.to_datetime(got["date"]).dt.date
    return got.reset_index(drop=True), site_rows.reset_index(drop=True)


@pytest.fixture
def with_sites(engine, fixture_bytes):
    assert ingest.import_sites(engine, fixture_bytes("sites/valid_zh.csv"), "sites.csv").status == "written"
    return engine


def test_concurrent_overlapping_imports_equal_a_serial_import(with_sites, fixture_bytes, tmp_path):
    engine = with_sites
    n = 20 if engine.dialect.name == "postgresql" else 4
    files = overlapping_files(n)
    start = threading.Barrier(n)
    reports: dict[str, ingest.ImportReport] = {}
    failures: list[BaseException] = []

    def run(name: str, data: bytes) -> None:
        try:
            start.wait()
            reports[name] = ingest.import_sessions(engine, data, name, user=name, today=TODAY)
        except BaseException as exc:  # noqa: BLE001 - collected and reported below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=f) for f in files]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
    assert not failures, failures
    assert all(r.status == "written" for r in reports.values()), {
        k: [p.en for p in r.errors] for k, r in reports.items()
    }

    with engine.connect() as conn:
        order = [
            r[0]
            for r in conn.execute(
                sa.select(uploads.c.file_name).where(uploads.c.kind == "sessions").order_by(uploads.c.id)
            )
        ]
    assert sorted(order) == sorted(reports)  # one audit row per import

    serial = db.make_engine(f"sqlite:///{tmp_path / 'serial.sqlite'}")
    db.upgrade(serial)
    # the same installation secret, so a row named without a site id is given the same derived id in both
    with engine.connect() as conn, serial.begin() as sconn:
        secret = conn.execute(sa.select(settings.c.value).where(settings.c.name == "id_secret")).scalar()
        sconn.execute(settings.update().where(settings.c.name == "id_secret").values(value=secret))
    ingest.import_sites(serial, fixture_bytes("sites/valid_zh.csv"), "sites.csv")
    by_name = dict(files)
    for name in order:  # the order the concurrent imports committed in
        assert ingest.import_sessions(serial, by_name[name], name, today=TODAY).status == "written"

    got_sessions, got_sites = contents(engine)
    want_sessions, want_sites = contents(serial)
    assert got_sessions["session_key"].is_unique  # no duplicate
    pd.testing.assert_frame_equal(got_sessions, want_sessions, check_dtype=False)  # no lost row, last writer wins
    pd.testing.assert_frame_equal(got_sites, want_sites, check_dtype=False)  # each new site created once
    assert kpi.totals(engine) == kpi.totals(serial)
    # and the reports add up: every row of every file was inserted, updated or unchanged exactly once
    assert sum(r.inserted for r in reports.values()) == len(got_sessions)
    assert sum(r.new_sites for r in reports.values()) == 3
