"""Districts report at their own pace: 同比 and 环比 compare like with like, each district read up to its own data
date; the trend marks the months not every district has reported; the page and the report say who is behind."""

import datetime as dt
import io

import openpyxl
import pytest

from dashboard.core import access
from dashboard.core.access.scope import Scope
from dashboard.core.reports import briefing, freshness, kpi, periods

TODAY = dt.date(2026, 12, 4)
ADMIN = Scope("boss", "admin")
HEADER = "类型,日期,开始时间,结束时间,所属区,点位编号,现场咨询人数,现场申请入会人数\n"
SITES = "点位编号,点位名称,所属区\nCY,朝阳点,朝阳区\nHD,海淀点,海淀区\n"


def _row(day: str, site: str, district: str, applications: int) -> str:
    return f"职工沟通会,{day},12:00,13:30,{district},{site},{applications * 3},{applications}\n"


@pytest.fixture
def late(engine):
    """朝阳 reports through 12-03; 海淀 stopped at 10-31. Both had a steady 2025."""
    assert access.import_sites(engine, ADMIN, SITES.encode(), "s.csv").status == "written"
    rows = []
    for month in range(1, 13):  # 2025: 朝阳 10 a month on the 15th, 海淀 20 a month on the 20th
        rows += [_row(f"2025-{month:02d}-15", "CY", "朝阳区", 10), _row(f"2025-{month:02d}-20", "HD", "海淀区", 20)]
    for month in range(1, 12):  # 2026: 朝阳 11 a month through November, 海淀 22 a month through October
        rows.append(_row(f"2026-{month:02d}-15", "CY", "朝阳区", 11))
        if month <= 10:
            rows.append(_row(f"2026-{month:02d}-20", "HD", "海淀区", 22))
    rows += [_row("2026-10-31", "HD", "海淀区", 1), _row("2026-12-03", "CY", "朝阳区", 5)]
    report = access.import_sessions(engine, ADMIN, (HEADER + "".join(rows)).encode(), "h.csv", today=TODAY)
    assert report.status == "written", [p.zh for p in report.errors]
    return engine


def test_each_district_has_its_own_data_date_and_the_late_one_is_named(late):
    dates = access.data_dates(late, ADMIN)
    assert dates.dates == {"110105": dt.date(2026, 12, 3), "110108": dt.date(2026, 10, 31)}
    assert dates.last == dt.date(2026, 12, 3) and dates.complete_through == dt.date(2026, 10, 31)
    assert dates.behind() == [("110108", dt.date(2026, 10, 31))]
    assert "海淀区 数据截至 10-31" in dates.note("zh") and "Haidian to 10-31" in dates.note("en")
    assert access.data_dates(late, Scope("cy", "planner", ("110105",))).behind() == []  # 朝阳 alone is not late


def test_the_citys_year_on_year_is_like_for_like(late):
    frame = access.compare_totals(late, ADMIN, periods.year(2026), as_of=dt.date(2026, 12, 3))
    row = frame.set_index("metric").loc["applications"]
    # by hand: 朝阳 through 12-03 (11 x 11 + 5 = 126) against its 2025 through 12-03 (10 x 11 months = 110);
    # 海淀 through 10-31 (22 x 10 + 1 = 221) against its 2025 through 10-31 (20 x 10 = 200)
    assert row["current"] == 126 + 221 and row["year_before"] == 110 + 200
    assert row["yoy"] == pytest.approx((347 - 310) / 310)  # +11.9%
    # read "to 12-03 for all", 海淀's November 2025 would count against a November it has not reported yet
    everyone = freshness.Freshness({"110105": dt.date(2026, 12, 3), "110108": dt.date(2026, 12, 3)})
    assert kpi.compare(late, periods.year(2026), None, everyone).set_index("metric").at["applications", "yoy"] == (
        pytest.approx((347 - 330) / 330)
    )
    haidian = access.compare_totals(late, ADMIN, periods.year(2026), "110108").set_index("metric")
    assert haidian.at["applications", "yoy"] == pytest.approx(21 / 200)  # +10.5%


def test_a_quarter_compares_each_district_over_the_same_days(late):
    frame = access.compare_totals(late, ADMIN, periods.parse("2026Q4")).set_index("metric")
    # 朝阳: Oct 1 - Dec 3 (11 + 11 + 5) against 2025's Oct 1 - Dec 3 (10 + 10) and Q3's first 64 days, Jul 1 -
    # Sep 2 (11 + 11); 海淀: Oct 1 - 31 (22 + 1) against Oct 2025 (20) and Jul 1 - 31 (22)
    assert frame.at["applications", "current"] == 27 + 23
    assert frame.at["applications", "year_before"] == 20 + 20
    assert frame.at["applications", "previous"] == 22 + 22


def test_the_trend_marks_the_months_not_every_district_has_reported(late):
    months = access.monthly(late, ADMIN, dt.date(2026, 1, 1), dt.date(2026, 12, 31)).set_index("month")
    complete = {m.month: bool(c) for m, c in months["complete"].items()}
    assert all(complete[m] for m in range(1, 11)) and not complete[11] and not complete[12]
    assert months.loc["2026-11-01", "applications"] == 11  # 朝阳's alone: shown, but marked, not a fall to read
    mine = access.monthly(late, Scope("cy", "planner", ("110105",)), dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert mine.set_index("month")["complete"].tolist() == [True] * 11 + [False]  # December has not ended


def test_the_leaders_report_says_who_is_behind_and_shows_a_year_once(late):
    report = access.leader_report(late, ADMIN, periods.year(2026), "xlsx", as_of=dt.date(2026, 12, 3))
    sheet = openpyxl.load_workbook(io.BytesIO(report))["报告"]
    text = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
    assert "海淀区 数据截至 10-31" in text
    headers = _headline_headers(sheet)
    assert "同比" in headers and "环比" not in headers and "上期" not in headers  # a year's 环比 is its 同比
    quarter = access.leader_report(late, ADMIN, periods.parse("2026Q4"), "xlsx", as_of=dt.date(2026, 12, 3))
    assert "环比" in _headline_headers(openpyxl.load_workbook(io.BytesIO(quarter))["报告"])
    built = briefing.build(late, periods.year(2026), as_of=dt.date(2026, 12, 3))
    assert built.totals.set_index("metric").at["applications", "current"] == 347


def _headline_headers(sheet) -> list:
    return next([c.value for c in row] for row in sheet.iter_rows() if any(c.value == "本期" for c in row))
