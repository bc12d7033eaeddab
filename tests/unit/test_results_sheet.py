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


def test_a_sheet_sent_before_its_week_counts_every_row_once(engine):
    """Filled rows dated ahead are errors, blank rows wait: the file's rows are all counted, and add up."""
    ahead = [
        f"P2-{i:03d}-ab,职工沟通会,2026-12-0{1 + i % 5},09:00,11:00,朝阳区,CY-9,望京驿站,"
        + ("20,5,5," if i < 11 else ",,,")
        for i in range(21)
    ]
    report = ingest.import_sessions(engine, (HEADER + "\n".join(ahead) + "\n").encode(), "ahead.csv", today=TODAY)
    assert report.status == "refused"
    assert (report.total, report.rejected, report.set_aside) == (21, 11, 10)
    assert len({p.row for p in report.problems if p.row is not None}) == 21  # each row listed once, with its reason
    assert kpi.totals(engine)["worker_sessions"] == 0


def test_a_sheet_with_nothing_filled_in_has_nothing_to_write_and_says_why(engine):
    rows = "".join(
        f"P3-{i:03d}-cd,职工沟通会,2026-11-0{2 + i},09:00,11:00,朝阳区,CY-9,望京驿站,,,,\n" for i in range(4)
    )
    report = ingest.import_sessions(engine, (HEADER + rows).encode(), "blank.csv", today=TODAY, dry_run=True)
    assert report.status == "dry_run" and not report.errors
    assert (report.total, report.set_aside, report.inserted + report.updated + report.unchanged) == (4, 4, 0)
    assert [p.code for p in report.problems] == ["not_reported"] * 4


def test_a_results_sheet_with_its_own_totals_row_imports_the_sessions_only(engine):
    rows = (
        "P4-001-aa,职工沟通会,2026-11-02,09:00,11:00,朝阳区,CY-9,望京驿站,20,5,5,\n"
        "P4-002-bb,职工沟通会,2026-11-03,09:00,11:00,朝阳区,CY-9,望京驿站,,,,\n"
        "合计,,,,,,,,20,5,5,\n"
    )
    report = ingest.import_sessions(engine, (HEADER + rows).encode(), "with-total.csv", today=TODAY)
    assert report.status == "written" and not report.errors
    assert (report.total, report.inserted, report.set_aside) == (3, 1, 2)
    set_aside = sorted((p.row, p.code) for p in report.problems if p.code != "new_site")
    assert set_aside == [(3, "not_reported"), (4, "totals_row")]
    assert kpi.totals(engine)["applications"] == 5  # the total is not a 21st session
