"""Reporting periods, 同比 and 环比, and the leader's one-page report (PDF and Excel), on SQLite and PostgreSQL."""

import datetime as dt
import io
import re

import openpyxl
import pytest
from pypdf import PdfReader

from dashboard.core import access
from dashboard.core.geo import streets
from dashboard.core.intake import ingest
from dashboard.core.reports import briefing, kpi, periods

TODAY = dt.date(2026, 11, 23)
HEADER = "场次编号,类型,日期,开始时间,结束时间,所属区,点位编号,现场咨询人数,现场申请入会人数,发展会员数\n"


def _session(i: int, day: str, district: str, site: str, consultations: int, applications: int) -> str:
    return f"R{i},职工沟通会,{day},14:00,16:00,{district},{site},{consultations},{applications},{applications}\n"


@pytest.fixture
def history(engine, fixture_bytes):
    """May 2022: 10 applications; April 2023: 20; May 2023: 30 (朝阳) + 6 (海淀); 1–10 June 2023: 4."""
    ingest.import_sites(engine, fixture_bytes("sites/valid_zh.csv"), "sites.csv")
    rows = [
        _session(1, "2022-05-10", "朝阳区", "CY-001", 40, 10),
        _session(2, "2023-04-12", "朝阳区", "CY-001", 50, 20),
        _session(3, "2023-05-08", "朝阳区", "CY-001", 60, 30),
        _session(4, "2023-05-09", "海淀区", "HD-001", 12, 6),
        _session(5, "2023-06-05", "朝阳区", "CY-002", 9, 4),
    ]
    report = ingest.import_sessions(engine, (HEADER + "".join(rows)).encode(), "history.csv", today=TODAY)
    assert report.inserted == 5
    return engine


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        ("2023", "year", "2023-01-01", "2023-12-31"),
        ("2023年", "year", "2023-01-01", "2023-12-31"),
        ("2023Q1", "quarter", "2023-01-01", "2023-03-31"),
        ("2024年第4季度", "quarter", "2024-10-01", "2024-12-31"),
        ("2024-02", "month", "2024-02-01", "2024-02-29"),
        ("2023年12月", "month", "2023-12-01", "2023-12-31"),
        ("2023-01-05..2023-02-03", "span", "2023-01-05", "2023-02-03"),
    ],
)
def test_a_period_is_read_as_people_write_it(text, kind, start, end):
    p = periods.parse(text)
    assert (p.kind, p.start.isoformat(), p.end.isoformat()) == (kind, start, end)
    assert periods.parse(p.key) == p  # the key reads back


@pytest.mark.parametrize("text", ["2023Q5", "2023-13", "23", "last year", "2023-02-30..2023-03-01"])
def test_a_period_that_is_not_one_is_refused(text):
    with pytest.raises(ValueError):
        periods.parse(text)


def test_previous_and_year_before_cross_years_and_leap_days():
    assert periods.parse("2023-01").previous() == periods.parse("2022-12")
    assert periods.parse("2023Q1").previous() == periods.parse("2022Q4")
    assert periods.parse("2023").previous() == periods.parse("2022")
    assert periods.parse("2024-02").year_before() == periods.parse("2023-02")
    leap = periods.Period("span", dt.date(2024, 2, 29), dt.date(2024, 3, 1))
    assert leap.year_before() == periods.Period("span", dt.date(2023, 2, 28), dt.date(2023, 3, 1))
    span = periods.parse("2023-03-01..2023-03-10")
    assert span.previous() == periods.parse("2023-02-19..2023-02-28")  # the same 10 days just before


def test_a_period_the_data_stop_inside_is_compared_day_for_day():
    c = periods.compare(periods.parse("2023-06"), as_of=dt.date(2023, 6, 10))
    assert c.partial and c.current == (dt.date(2023, 6, 1), dt.date(2023, 6, 10))
    assert c.year_before == (dt.date(2022, 6, 1), dt.date(2022, 6, 10))
    assert c.previous == (dt.date(2023, 5, 1), dt.date(2023, 5, 10))
    whole = periods.compare(periods.parse("2023-05"), as_of=dt.date(2023, 6, 10))
    assert not whole.partial and whole.previous == (dt.date(2023, 4, 1), dt.date(2023, 4, 30))


def test_choices_run_newest_first_over_the_data():
    months = periods.choices("month", dt.date(2022, 11, 15), dt.date(2023, 2, 3))
    assert [p.key for p in months] == ["2023-02", "2023-01", "2022-12", "2022-11"]
    assert [p.key for p in periods.choices("quarter", dt.date(2022, 11, 15), dt.date(2023, 2, 3))] == [
        "2023Q1",
        "2022Q4",
    ]


def test_year_on_year_and_period_on_period(history):
    c = periods.parse("2023-05")
    frame = kpi.compare(history, c).set_index("metric")
    assert frame.at["applications", "current"] == 36
    assert frame.at["applications", "year_before"] == 10 and frame.at["applications", "yoy"] == pytest.approx(2.6)
    assert frame.at["applications", "previous"] == 20 and frame.at["applications", "pop"] == pytest.approx(0.8)
    chaoyang = kpi.compare(history, c, "110105").set_index("metric")
    assert chaoyang.at["applications", "current"] == 30
    nothing_before = kpi.compare(history, periods.parse("2022-05")).set_index("metric")
    assert nothing_before.at["applications", "yoy"] is None  # not +inf, not 0


def _pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), re.sub(r"[\s\x00]+", "", "".join(p.extract_text() for p in reader.pages))


needs_font = pytest.mark.skipif(briefing.cjk_font() is None, reason="no Chinese font on this machine")


@needs_font
def test_the_pdf_is_one_page_in_chinese_with_period_scope_and_figures(history):
    admin = access.Scope("admin", "admin")
    data = access.leader_report(history, admin, periods.parse("2023-05"), "pdf", as_of=dt.date(2023, 6, 10))
    pages, text = _pdf_text(data)
    assert pages == 1
    assert "双沟通工作简报·全市·2023年5月" in text
    assert "统计区间2023-05-01至2023-05-31" in text
    assert "现场申请入会人数36" in text and "+260.0%" in text and "+80.0%" in text
    assert "朝阳区" in text and "海淀区" in text and "各区排名" in text
    assert "生成人admin" in text


def test_the_workbook_has_chinese_headers_formatted_numbers_and_says_what_it_covers(history):
    planner = access.Scope("cy", "planner", ("110105",))
    data = access.leader_report(history, planner, periods.parse("2023-05"), "xlsx", as_of=dt.date(2023, 6, 10))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["报告"]
    assert ws["A1"].value == "双沟通工作简报 · 朝阳区 · 2023年5月"
    assert "2023-05-01 至 2023-05-31" in ws["A2"].value
    rows = {r[0].value: r for r in ws.iter_rows() if r[0].value}
    applications = rows["现场申请入会人数"]
    assert [c.value for c in applications[:6]] == [
        "现场申请入会人数",
        30,
        10,
        pytest.approx(2.0),
        20,
        pytest.approx(0.5),
    ]
    assert applications[1].number_format == "#,##0" and applications[3].number_format == "+0.0%;-0.0%;0.0%"
    header = next(r for r in ws.iter_rows() if r[0].value == "名次")
    assert [c.value for c in header[:3]] == ["名次", "区", "职工沟通会场次"]
    ranked = [r[1].value for r in ws.iter_rows() if isinstance(r[0].value, int)]
    assert ranked[0] == "朝阳区"  # a planner's report holds their district only, then its streets
    names = set(streets.of_district("110105")["name"])
    assert names <= set(ranked[1:]) <= names | {"未标街道"}  # all 43 of 朝阳's, and what has no street
    assert next(r for r in ws.iter_rows() if r[0].value == "各街道（乡镇）排名")
    assert [c.value for c in wb["月度"][3][:4]] == ["2023年5月", 1, 60, 30]


def test_the_report_keeps_to_the_readers_districts(history):
    planner = access.Scope("cy", "planner", ("110105",))
    with pytest.raises(access.PermissionDenied):
        access.leader_report(history, planner, periods.parse("2023-05"), "xlsx", district="110108")
    with pytest.raises(access.PermissionDenied):
        access.compare_totals(history, planner, periods.parse("2023-05"), "110108")
    mine = access.compare_totals(history, planner, periods.parse("2023-05")).set_index("metric")
    assert mine.at["applications", "current"] == 30  # 朝阳's 30, not the city's 36


def test_hostile_names_stay_text_in_the_workbook(history):
    someone = access.Scope('=HYPERLINK("http://x","y")<script>{{7*7}}', "admin")
    data = access.leader_report(history, someone, periods.parse("2023"), "xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(data))["报告"]
    assert ws["A2"].data_type == "s" and '=HYPERLINK("http://x","y")<script>{{7*7}}' in ws["A2"].value
    assert not any(isinstance(c.value, str) and c.value.startswith("=") for row in ws.iter_rows() for c in row)


def test_no_chinese_font_is_a_clear_refusal(history, monkeypatch):
    monkeypatch.setattr(briefing, "FONT_CANDIDATES", ())
    monkeypatch.delenv("OUTREACH_PDF_FONT", raising=False)
    assert briefing.cjk_font() is None
    with pytest.raises(briefing.NoChineseFont):
        access.leader_report(history, access.Scope("admin", "admin"), periods.parse("2023"), "pdf")
    monkeypatch.setenv("OUTREACH_PDF_FONT", "/no/such/font.ttf")
    assert briefing.cjk_font() is None


def test_targets_follow_the_period_year(history):
    admin = access.Scope("admin", "admin")
    access.set_targets(history, admin, 2023, {"applications": 72})
    report = briefing.build(history, periods.parse("2023-05"), as_of=dt.date(2023, 6, 10))
    assert report.progress is not None
    row = report.progress.set_index("metric").loc["applications"]
    assert row["target"] == 72 and row["achieved"] == 36 + 20  # January to the end of the period
    assert briefing.build(history, periods.parse("2022-05")).progress is None  # no targets for 2022
