"""A plan's date box: the date it holds said in words beside it as it is typed, and refused in the reader's language
when it lies more than a year from today.

The box reads what is typed year first (YYYY/MM/DD), so a date typed in another order becomes another date: 12/7/2026
reads 1272/02/06. Said in words, the person sees it; refused, it is never planned. The box itself takes any date, so
the refusal is the page's own, in Chinese, not the widget's English "outside the range".
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard.i18n import t

REACH = dt.timedelta(days=366)  # a plan's first day lies within a year of today


def in_words(day: dt.date) -> str:
    """A day as people say it: 2026年12月7日（星期一）, Monday 7 December 2026."""
    weekday = "一二三四五六日"[day.weekday()]
    return t(f"{day.year}年{day.month}月{day.day}日（星期{weekday}）", f"{day:%A} {day.day} {day:%B} {day.year}")


def problem(day: dt.date, today: dt.date, example: dt.date, what: tuple[str, str], act: tuple[str, str]) -> str | None:
    """Why ``day`` cannot start a plan (more than :data:`REACH` from ``today``), in the reader's language; None when
    it can. ``what`` names the box (第一天, The first day), ``act`` what is refused (做计划, plan), ``example`` is a
    date written as the box takes it."""
    low, high = today - REACH, today + REACH
    if low <= day <= high:
        return None
    return t(
        f"{what[0]}是 {in_words(day)}，离今天太远，不能{act[0]}。日期框按“年/月/日”的顺序输入，"
        f"例如 {example:%Y/%m/%d}；{what[0]}须在{in_words(low)}到{in_words(high)}之间。",
        f"{what[1]} reads {in_words(day)}, too far from today to {act[1]}. The date box takes year/month/day "
        f"in that order, e.g. {example:%Y/%m/%d}; {what[1].lower()} must lie between {in_words(low)} and "
        f"{in_words(high)}.",
    )


def box(
    label: str,
    default: dt.date,
    key: str,
    *,
    today: dt.date,
    what: tuple[str, str],
    act: tuple[str, str],
    said: tuple[str, str],
) -> dt.date:
    """A year-first date box that takes any date, and beside it the date it holds in words (``said``, with ``{day}``
    where the date goes) or, too far from today, the refusal (:func:`problem`)."""
    columns = st.columns([1, 3], vertical_alignment="bottom")
    day = columns[0].date_input(
        label, default, min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31), key=key, format="YYYY/MM/DD"
    )
    refused = problem(day, today, default, what, act)
    if refused:
        columns[1].error(refused)
    else:
        columns[1].markdown(t(*said).format(day=in_words(day)))
    return day
