"""Scope is enforced in the core: every read and write through ``access`` obeys the caller's role and districts."""

import datetime as dt

import pandas as pd
import pytest

from dashboard.core import access
from dashboard.core.access.scope import PermissionDenied, Scope
from dashboard.core.recommender import planner
from dashboard.core.reports import kpi
from dashboard.core.storage import audit

TODAY = dt.date(2026, 11, 23)
ADMIN = Scope("boss", "admin")
LEADER = Scope("lead", "leadership")
CHAOYANG = Scope("cy", "planner", ("110105",))
HAIDIAN = "110108"
HAIDIAN_PLAN = pd.DataFrame(
    {
        "team": [1],
        "date": [TODAY],
        "start_time": ["09:00"],
        "end_time": ["11:00"],
        "site_id": ["HD-001"],
        "district": ["海淀区"],
        "expected_applications": [1.0],
        "reason": ["r"],
    }
)


@pytest.fixture
def loaded(engine, fixture_bytes):
    assert access.import_sites(engine, ADMIN, fixture_bytes("sites/valid_zh.csv"), "sites.csv").status == "written"
    report = access.import_sessions(engine, ADMIN, fixture_bytes("sessions/valid_zh.csv"), "may.csv", today=TODAY)
    assert report.status == "written"
    return engine


def test_a_planner_reads_only_their_districts(loaded):
    mine = access.totals(loaded, CHAOYANG)
    assert mine == kpi.totals(loaded, district="110105")
    assert mine["worker_sessions"] == 2 and kpi.totals(loaded)["worker_sessions"] == 3
    assert set(access.district_stats(loaded, CHAOYANG)["adcode"]) == {"110105"}
    assert set(access.site_stats(loaded, CHAOYANG)["district"]) == {"110105"}
    assert access.monthly(loaded, CHAOYANG)["worker_sessions"].sum() == 2
    assert len(access.district_stats(loaded, LEADER)) == 16


@pytest.mark.parametrize(
    "attempt",
    [
        lambda e: access.totals(e, CHAOYANG, HAIDIAN),
        lambda e: access.site_stats(e, CHAOYANG, district=HAIDIAN),
        lambda e: access.monthly(e, CHAOYANG, district=HAIDIAN),
        lambda e: access.site_history(e, CHAOYANG, "HD-001"),
        lambda e: access.target_progress(e, CHAOYANG, 2026, HAIDIAN),
        lambda e: access.get_targets(e, CHAOYANG, 2026, HAIDIAN),
        lambda e: access.recommend(e, CHAOYANG, planner.PlanRequest(start=TODAY, district=HAIDIAN)),
        lambda e: access.save_plan(e, CHAOYANG, HAIDIAN_PLAN, "x", {}),
        lambda e: access.set_targets(e, CHAOYANG, 2026, {"applications": 1}),
        lambda e: access.set_calendar_day(e, CHAOYANG, TODAY, "holiday"),
        lambda e: access.retrain(e, CHAOYANG),
        lambda e: access.users(e, CHAOYANG),
        lambda e: access.audit_log(e, CHAOYANG),
        lambda e: access.add_user(e, CHAOYANG, "x2", "admin", "some-password"),
    ],
    ids=[
        "totals",
        "sites",
        "monthly",
        "site_history",
        "target_progress",
        "targets",
        "plan",
        "save_plan",
        "set_targets",
        "calendar",
        "retrain",
        "users",
        "audit",
        "add_user",
    ],
)
def test_a_planner_is_refused_outside_their_scope_and_the_refusal_is_audited(loaded, attempt):
    with pytest.raises(PermissionDenied) as refused:
        attempt(loaded)
    assert refused.value.zh and refused.value.en
    denied = audit.entries(loaded, action="denied")
    assert denied.iloc[0]["actor"] == "cy"


@pytest.mark.parametrize(
    "attempt",
    [
        lambda e, f: access.import_sessions(e, LEADER, f("sessions/valid_zh.csv"), "x.csv", today=TODAY),
        lambda e, f: access.import_sites(e, LEADER, f("sites/valid_zh.csv"), "x.csv"),
        lambda e, f: access.recommend(e, LEADER, planner.PlanRequest(start=TODAY)),
        lambda e, f: access.set_done(e, LEADER, {1: True}),
        lambda e, f: access.set_targets(e, LEADER, 2026, {"applications": 1}),
    ],
    ids=["import_sessions", "import_sites", "plan", "tick", "targets"],
)
def test_leadership_writes_nothing(loaded, fixture_bytes, attempt):
    before = kpi.totals(loaded)
    with pytest.raises(PermissionDenied, match="leadership|Only an admin"):
        attempt(loaded, fixture_bytes)
    assert kpi.totals(loaded) == before


@pytest.mark.parametrize("skip_invalid", [False, True])
def test_a_planners_file_with_another_districts_rows_is_refused_whole(engine, fixture_bytes, skip_invalid):
    access.import_sites(engine, ADMIN, fixture_bytes("sites/valid_zh.csv"), "sites.csv")
    report = access.import_sessions(
        engine, CHAOYANG, fixture_bytes("sessions/valid_zh.csv"), "may.csv", today=TODAY, skip_invalid=skip_invalid
    )
    assert report.status == "refused"
    outside = [p for p in report.problems if p.code == "out_of_scope"]
    assert [p.row for p in outside] == [4, 5]  # W3 and E1 are in 海淀区: named by row, with the fix
    assert all(p.column == "所属区" and "海淀区" in p.zh and "请删去这些行" in p.zh for p in outside)
    assert kpi.totals(engine)["worker_sessions"] == 0  # not even the 朝阳区 rows


def test_a_planners_own_rows_import_and_are_audited(engine, fixture_bytes):
    access.import_sites(engine, ADMIN, fixture_bytes("sites/valid_zh.csv"), "sites.csv")
    mine = (
        "\n".join(
            fixture_bytes("sessions/valid_zh.csv").decode().splitlines()[:3]
            + [fixture_bytes("sessions/valid_zh.csv").decode().splitlines()[-1]]
        )
        + "\n"
    )
    report = access.import_sessions(engine, CHAOYANG, mine.encode(), "mine.csv", today=TODAY)
    assert report.status == "written" and report.inserted == 3
    entry = audit.entries(engine, action="import").iloc[0]
    # each row is recorded by its street where the file names one, else by its district
    assert entry["actor"] == "cy" and '"inserted": 3' in entry["detail"]
    assert {c[:6] for c in entry["districts"].split(",")} == {"110105"}
    assert list(access.upload_history(engine, CHAOYANG)["file_name"]) == ["mine.csv"]  # not the admin's sites upload
    assert len(access.upload_history(engine, LEADER)) == 2


def test_exports_are_formula_safe_and_audited(loaded):
    from io import BytesIO

    import openpyxl

    frame = pd.DataFrame({"site": ['=HYPERLINK("http://x")', "+1", "国贸"]})
    data = access.export_workbook(loaded, LEADER, "sites", {"s": frame})
    cells = [c.value for c in openpyxl.load_workbook(BytesIO(data)).active["A"]][1:]
    assert cells == ['\'=HYPERLINK("http://x")', "'+1", "国贸"]
    import csv

    rows = list(csv.reader(access.export_csv(loaded, LEADER, "sites", frame).decode("utf-8-sig").splitlines()))
    assert [r[0] for r in rows[1:]] == cells
    exports = audit.entries(loaded, action="export")
    assert list(exports["actor"]) == ["lead", "lead"] and set(exports["role"]) == {"leadership"}


def test_an_oversized_file_is_refused_before_it_is_read(engine):
    big = b"x" * (2 * 1024 * 1024 + 1)
    report = access.import_sessions(engine, ADMIN, big, "huge.csv", max_bytes=2 * 1024 * 1024)
    assert report.status == "unreadable"
    assert (
        report.problems[0].code == "file_too_large"
        and "2.0 MB" in report.problems[0].zh
        and "拆分" in report.problems[0].zh
    )
