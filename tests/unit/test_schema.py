"""The schema is versioned: an older database upgrades in place and keeps its rows."""

import datetime as dt

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from dashboard.core.intake import ingest
from dashboard.core.reports import kpi
from dashboard.core.storage import db
from dashboard.core.storage.schema import metadata


def test_fresh_database_reaches_head_and_matches_the_models(empty_engine):
    before, after = db.upgrade(empty_engine)
    assert before is None and after == db.head_revision()
    with empty_engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        assert conn.execute(sa.text("select count(*) from districts")).scalar_one() == 16


def test_version_1_database_upgrades_without_losing_rows(empty_engine):
    db.upgrade(empty_engine, "0001")
    db.seed_districts(empty_engine)
    with empty_engine.begin() as conn:  # rows written the way version 1 of the app wrote them
        conn.execute(sa.text("insert into sites (site_id, name, district) values ('CY-1', '国贸', '110105')"))
        conn.execute(
            sa.text(
                "insert into sessions (session_key, session_type, date, start_time, end_time, district, site_id,"
                " consultations, applications, members_joined, row_hash)"
                " values ('id:W1', 'worker', :d, :s, :e, '110105', 'CY-1', 30, 8, 8, 'h1')"
            ),
            {"d": "2023-05-08", "s": "09:00:00.000000", "e": "11:00:00.000000"},  # as version 1 stored them
        )
    assert db.current_revision(empty_engine) == "0001"
    before, after = db.upgrade(empty_engine)
    assert (before, after) == ("0001", db.head_revision())
    totals = kpi.totals(empty_engine)
    assert (totals["worker_sessions"], totals["consultations"], totals["members_total"]) == (1, 30, 8)
    # and the upgraded database takes imports with the new audit columns
    csv = (
        "场次编号,类型,日期,开始时间,结束时间,所属区,点位编号,现场咨询人数,现场申请入会人数\nW2,职工沟通会,2023-05-09,"
        "9:00,11:00,朝阳区,CY-1,10,2\n"
    )
    report = ingest.import_sessions(empty_engine, csv.encode(), "w2.csv", today=dt.date(2026, 11, 23))
    assert report.status == "written" and report.upload_id is not None
    assert kpi.totals(empty_engine)["worker_sessions"] == 2


def test_upgrade_twice_is_a_no_op(engine):
    assert db.upgrade(engine) == (db.head_revision(), db.head_revision())
