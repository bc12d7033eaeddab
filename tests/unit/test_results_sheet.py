"""The results-sheet round trip: rows left blank are sessions not held yet, 未开展 marks a cancelled one, and the
templates' example rows are never imported."""

import datetime as dt

import pytest

from dashboard.core.intake import ingest, templates
from dashboard.core.reports import kpi

TODAY = dt.date(2026, 11, 30)
HEADER = "场次编号,类型,日期,开始时间,结束时间,所属区,点位编号,点位名称,现场咨询人数,现场申请入会人数,发展会员数,备注\n"


def test_blank_rows_are_not_yet_reported_and_only_the_filled_rows_import(engine):
    rows = (
        "P1-001-aa,职工沟通会,2026-11-02,09:00,11:00,朝阳区,CY-9,望京驿站,,,,\n"
        "P1-002-bb,职工沟通会,2026-11-03,09:00,11:00,朝阳区,CY-9,望京驿站,,,,未开展\n"
        "P1-003-cc,职工沟通会,2026-11-04,09:00,11:00,朝阳区,CY-9,望京驿站,20,5,5,\n"
        "P1-004-dd,职工沟通会,2026-11-05,14:00,16:00,朝阳区,CY-9,望京驿站,,,,\n"
    )
    report = ingest.import_sessions(engine, (HEADER + rows).encode(), "results.csv", today=TODAY)
    assert report.status == "written" and report.inserted == 1 and not report.errors
    by_code = {p.code: [] for p in report.problems}
    for p in report.problems:
        by_code[p.code].append(p.row)
    assert by_code["not_reported"] == [2, 5] and by_code["cancelled"] == [3]
    assert kpi.totals(engine)["applications"] == 5
    # filled in later, the same sheet imports the rest; the first row is not counted twice
    later = rows.replace(
        "P1-001-aa,职工沟通会,2026-11-02,09:00,11:00,朝阳区,CY-9,望京驿站,,,,",
        "P1-001-aa,职工沟通会,2026-11-02,09:00,11:00,朝阳区,CY-9,望京驿站,30,9,9,",
    )
    again = ingest.import_sessions(engine, (HEADER + later).encode(), "results-2.csv", today=TODAY)
    assert (again.inserted, again.unchanged) == (1, 1) and kpi.totals(engine)["applications"] == 14


def test_a_new_row_typed_without_counts_is_still_an_error(engine):
    rows = ",职工沟通会,2026-11-02,09:00,11:00,朝阳区,CY-9,望京驿站,,,,\n"  # no session id: not a pre-filled row
    report = ingest.import_sessions(engine, (HEADER + rows).encode(), "typed.csv", today=TODAY)
    assert report.status == "refused" and {p.code for p in report.errors} == {"required_blank"}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_templates_example_rows_are_never_imported(engine, lang, fmt):
    sites = ingest.import_sites(engine, templates.template("sites", lang, fmt), f"sites.{fmt}")
    assert (sites.status, sites.inserted) == ("written", 0) and [p.code for p in sites.problems] == ["example_row"]
    sessions = ingest.import_sessions(engine, templates.template("sessions", lang, fmt), f"s.{fmt}", today=TODAY)
    assert (sessions.status, sessions.inserted) == ("written", 0)
    assert [p.code for p in sessions.problems] == ["example_row", "example_row"]
    assert kpi.totals(engine)["worker_sessions"] == 0
