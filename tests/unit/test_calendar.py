"""The official calendar, including 调休 make-up working days and years past chinese-calendar's data."""

import datetime as dt

import pytest

from dashboard.core.recommender import calendar as cal


@pytest.mark.parametrize(
    "day, day_type",
    [
        ("2026-02-14", cal.MAKEUP),  # Saturday, an official working day before Spring Festival
        ("2026-02-17", cal.HOLIDAY),  # Spring Festival
        ("2026-10-01", cal.HOLIDAY),  # National Day
        ("2026-11-21", cal.WEEKEND),
        ("2026-11-23", cal.WORKDAY),
        ("2024-02-04", cal.MAKEUP),  # a make-up Sunday
    ],
)
def test_official_days(day, day_type):
    info = cal.day_info(dt.date.fromisoformat(day))
    assert info.day_type == day_type and not info.provisional


def test_years_past_the_official_data_are_provisional():
    info = cal.day_info(dt.date(2027, 1, 1))
    assert info.day_type == cal.HOLIDAY and info.provisional
    assert cal.day_info(dt.date(2027, 3, 3)).day_type == cal.WORKDAY


def test_overrides_win():
    day = dt.date(2027, 2, 20)  # a Saturday that may turn out to be a make-up working day
    assert cal.day_info(day).day_type == cal.WEEKEND
    assert cal.day_info(day, {day: cal.MAKEUP}).day_type == cal.MAKEUP


def test_vectorised_matches_scalar():
    days = ["2026-02-14", "2026-02-17", "2027-01-01", "2026-02-14"]
    frame = cal.day_types(days)
    assert frame["day_type"].tolist() == [cal.MAKEUP, cal.HOLIDAY, cal.HOLIDAY, cal.MAKEUP]
    assert frame["provisional"].tolist() == [False, False, True, False]
