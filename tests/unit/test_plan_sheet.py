"""A plan as people take it to the field: the printable sheet per team and the download in the user's language."""

import datetime as dt

import pandas as pd

from dashboard.core.recommender import planner

PLAN = pd.DataFrame(
    {
        "team": [1, 1, 2],
        "date": [dt.date(2026, 12, 1), dt.date(2026, 12, 2), dt.date(2026, 12, 1)],
        "start_time": ["09:00", "14:00", "09:00"],
        "end_time": ["11:00", "16:00", "11:00"],
        "site_id": ["CY-001", "CY-002", "CY-003"],
        "site_name": ["<script>alert(1)</script>", "{{ 7*7 }}", "望京驿站"],
        "district": ["朝阳区"] * 3,
        "expected_applications": [12, 8, 5],
        "day_type": ["workday", "workday", "holiday"],
        "provisional": [False, True, False],
        "learn": [False, True, False],
        "reason": ["高峰时段", "了解效果", "节假日"],
        "reason_en": ["peak", "to learn", "holiday"],
        "lat": [39.91, float("nan"), 39.99],
        "lon": [116.46, float("nan"), 116.48],
    }
)


def test_a_team_sheet_holds_only_that_team_escaped_with_columns_to_fill_in():
    page = planner.team_sheet_html(PLAN, 1, "12月第1周", "zh")
    assert "第1组" in page and "望京驿站" not in page  # team 2's site is not on team 1's sheet
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "39.91000, 116.46000" in page and "实际申请入会" in page and "@page" in page
    assert page.index("2026-12-01") < page.index("2026-12-02")
    # a tap opens the phone's map app at the site; a site with no coordinates gets no link
    assert page.count('<a href="geo:39.910000,116.460000?q=39.910000,116.460000">在地图应用中导航</a>') == 1
    assert page.count("<a ") == 1


def test_the_download_reads_in_chinese_or_in_english():
    zh = planner.for_people(PLAN, "zh")
    assert list(zh["日期类型"]) == ["工作日", "工作日", "法定节假日"] and list(zh["日历为推算"]) == ["否", "是", "否"]
    assert "reason_en" not in zh.columns and "reason (English)" not in zh.columns and "理由" in zh.columns
    en = planner.for_people(PLAN, "en")
    assert list(en["day_type"]) == ["workday", "workday", "holiday"] and list(en["reason"]) == list(PLAN["reason_en"])
