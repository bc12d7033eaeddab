"""Import into a real database (SQLite, and PostgreSQL when configured): all or nothing, never twice."""

import datetime as dt

import pytest
import sqlalchemy as sa

from dashboard.core.intake import ingest
from dashboard.core.reports import kpi
from dashboard.core.storage.schema import sessions, sites, uploads

TODAY = dt.date(2026, 11, 23)


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def snapshot(engine):
    with engine.connect() as conn:
        return (
            conn.execute(sa.select(sessions).order_by(sessions.c.session_key)).all(),
            conn.execute(sa.select(sites).order_by(sites.c.site_id)).all(),
            conn.execute(sa.select(sa.func.count()).select_from(uploads)).scalar_one(),
        )


@pytest.fixture
def with_sites(engine, fixture_bytes):
    report = ingest.import_sites(engine, fixture_bytes("sites/valid_zh.csv"), "sites.csv")
    assert report.status == "written" and report.inserted == 4
    return engine


def test_import_then_reimport_adds_nothing(with_sites, fixture_bytes):
    engine = with_sites
    data = fixture_bytes("sessions/valid_zh.csv")
    first = ingest.import_sessions(engine, data, "may.csv", user="planner1", today=TODAY)
    assert (first.status, first.inserted, first.updated, first.unchanged) == ("written", 5, 0, 0)
    totals = kpi.totals(engine)
    second = ingest.import_sessions(engine, data, "may-copy.csv", today=TODAY)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 5)
    assert second.problems[0].code == "file_seen_before"
    assert count(engine, sessions) == 5
    assert kpi.totals(engine) == totals
    with engine.connect() as conn:
        audit = conn.execute(
            sa.select(
                uploads.c.file_name, uploads.c.uploaded_by, uploads.c.rows_inserted, uploads.c.rows_unchanged
            ).order_by(uploads.c.id)
        ).all()
    assert audit[-2:] == [("may.csv", "planner1", 5, 0), ("may-copy.csv", None, 0, 5)]


def test_a_corrected_row_updates_in_place(with_sites, fixture_bytes):
    engine = with_sites
    data = fixture_bytes("sessions/valid_zh.csv")
    ingest.import_sessions(engine, data, "may.csv", today=TODAY)
    corrected = data.replace(
        b"W1,\xe8\x81\x8c\xe5\xb7\xa5\xe6\xb2\x9f\xe9\x80\x9a\xe4\xbc\x9a,2023-05-08,9:00,11:00,\xe6\x9c\x9d\xe9\x98\xb3\xe5\x8c\xba,CY-001,\xe5\x9b\xbd\xe8\xb4\xb8\xe5\x95\x86\xe5\x8a\xa1\xe6\xa5\xbc\xe5\xae\x871\xe5\x8f\xb7,3,30,8,8",
        "W1,职工沟通会,2023-05-08,9:00,11:00,朝阳区,CY-001,国贸商务楼宇1号,3,31,9,9".encode(),
    )
    assert corrected != data
    report = ingest.import_sessions(engine, corrected, "may-v2.csv", today=TODAY)
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 4)
    assert count(engine, sessions) == 5
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(sessions.c.consultations, sessions.c.applications).where(sessions.c.session_id == "W1")
        ).one()
    assert tuple(row) == (31, 9)


def test_one_bad_row_writes_nothing(with_sites, fixture_bytes):
    engine = with_sites
    before = snapshot(engine)
    report = ingest.import_sessions(engine, fixture_bytes("sessions/many_bad_rows.csv"), "bad.csv", today=TODAY)
    assert report.status == "refused" and report.rejected == 3
    assert snapshot(engine) == before


def test_skip_invalid_imports_the_good_rows_and_returns_the_rest(with_sites, fixture_bytes):
    engine = with_sites
    report = ingest.import_sessions(
        engine, fixture_bytes("sessions/many_bad_rows.csv"), "bad.csv", skip_invalid=True, today=TODAY
    )
    assert (report.status, report.inserted, report.rejected) == ("written", 1, 3)
    assert count(engine, sessions) == 1
    rejected = report.rejected_rows
    assert list(rejected["行号 row"]) == [3, 4, 5]
    assert list(rejected["场次编号"]) == ["W2", "W3", "W4"]  # the user's own headers and values
    assert "火星区" in rejected.loc[1, "问题"] and "16 districts" in rejected.loc[1, "problem"]


def test_dry_run_counts_but_writes_nothing(with_sites, fixture_bytes):
    engine = with_sites
    before = snapshot(engine)
    report = ingest.import_sessions(
        engine, fixture_bytes("sessions/valid_zh.csv"), "may.csv", dry_run=True, today=TODAY
    )
    assert (report.status, report.inserted) == ("dry_run", 5)
    assert snapshot(engine) == before


def test_failure_mid_write_leaves_the_database_unchanged(with_sites, fixture_bytes, monkeypatch):
    engine = with_sites
    ingest.import_sessions(engine, fixture_bytes("sessions/valid_en.csv"), "first.csv", today=TODAY)
    before = snapshot(engine)
    monkeypatch.setattr(ingest, "_WRITE_CHUNK", 2)  # several insert batches: fail after the first one landed
    calls = {"inserts": 0}

    def fail_on_second_insert(is_session_insert):
        calls["inserts"] += is_session_insert
        if is_session_insert and calls["inserts"] == 2:
            raise sa.exc.OperationalError("INSERT", {}, Exception("disk full"))

    real_execute, real_driver_sql = sa.Connection.execute, sa.Connection.exec_driver_sql

    def execute(self, statement, *args, **kwargs):
        fail_on_second_insert(getattr(statement, "is_insert", False) and statement.table is sessions)
        return real_execute(self, statement, *args, **kwargs)

    def exec_driver_sql(self, sql, *args, **kwargs):
        fail_on_second_insert(sql.upper().startswith("INSERT INTO SESSIONS"))
        return real_driver_sql(self, sql, *args, **kwargs)

    monkeypatch.setattr(sa.Connection, "execute", execute)
    monkeypatch.setattr(sa.Connection, "exec_driver_sql", exec_driver_sql)
    with pytest.raises(sa.exc.OperationalError):
        ingest.import_sessions(engine, fixture_bytes("sessions/valid_zh.csv"), "may.csv", today=TODAY)
    monkeypatch.undo()
    assert calls["inserts"] == 2
    assert snapshot(engine) == before


def test_new_sites_named_in_a_session_file_are_created(engine, fixture_bytes):
    report = ingest.import_sessions(engine, fixture_bytes("sessions/html_in_name.csv"), "x.csv", today=TODAY)
    assert (report.status, report.new_sites) == ("written", 1)
    with engine.connect() as conn:
        name = conn.execute(sa.select(sites.c.name).where(sites.c.site_id == "X-1")).scalar_one()
    assert name == "<img src=x onerror=alert(1)>"


def test_unknown_site_without_a_name_is_refused(engine):
    csv = (
        "类型,日期,开始时间,结束时间,所属区,点位编号,现场咨询人数,现场申请入会人数\n"
        "职工沟通会,2023-05-08,9:00,11:00,朝阳区,NOPE-9,30,8\n"
    ).encode()
    report = ingest.import_sessions(engine, csv, "x.csv", today=TODAY)
    assert report.status == "refused"
    assert [(p.row, p.column, p.code, p.value) for p in report.errors] == [(2, "点位编号", "unknown_site", "NOPE-9")]
    assert count(engine, sessions) == 0


def test_sites_reimport_updates_changed_rows(engine, fixture_bytes):
    data = fixture_bytes("sites/valid_zh.csv")
    assert ingest.import_sites(engine, data, "s.csv").inserted == 4
    again = ingest.import_sites(engine, data, "s.csv")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    changed = data.replace(b",12000", b",13000")
    report = ingest.import_sites(engine, changed, "s.csv")
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 3)


def test_gaode_coordinates_are_converted_to_wgs84(engine):
    csv = "点位编号,点位名称,所属区,纬度,经度\nCY-1,国贸,朝阳区,39.910403,116.403244\n".encode()
    ingest.import_sites(engine, csv, "gaode.csv", coords="gcj02")
    with engine.connect() as conn:
        lat, lon = conn.execute(sa.select(sites.c.lat, sites.c.lon)).one()
    assert lat == pytest.approx(39.909, abs=2e-5) and lon == pytest.approx(116.397, abs=2e-5)
