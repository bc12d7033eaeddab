"""China's official calendar: working days, weekends, public holidays and 调休 make-up working days.

``chinese-calendar`` knows the State Council's announced schedule (through 2026 in version 1.11.0) and raises
for later years. Beyond its data we fall back to the ``holidays`` package, which knows the fixed and lunar
holidays but not the make-up days of years not yet announced: such days are marked *provisional*.
Administrators can override any date (a later issue stores those overrides; this module takes them as a dict).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    import holidays
    import sqlalchemy as sa

    from dashboard.core.storage.audit import Actor

WORKDAY = "workday"
WEEKEND = "weekend"
HOLIDAY = "holiday"
MAKEUP = "makeup_workday"  # a Saturday or Sunday that is an official working day (调休)
DAY_TYPES = (WORKDAY, WEEKEND, HOLIDAY, MAKEUP)
DAY_TYPE_LABELS = {WORKDAY: "工作日", WEEKEND: "周末", HOLIDAY: "法定节假日", MAKEUP: "调休上班日"}


@dataclass(frozen=True)
class DayInfo:
    date: dt.date
    day_type: str
    provisional: bool  # True when the official schedule for that year is not in our data yet
    holiday_name: str | None = None


@cache
def _cn_holidays(year: int) -> holidays.HolidayBase:
    import holidays

    return holidays.country_holidays("CN", years=year, language="zh_CN")


@lru_cache(maxsize=4096)
def _official(day: dt.date) -> DayInfo:
    import chinese_calendar

    weekend = day.weekday() >= 5
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        workday = chinese_calendar.is_workday(day)
    except NotImplementedError:
        name = _cn_holidays(day.year).get(day)
        if name:
            return DayInfo(day, HOLIDAY, True, name)
        return DayInfo(day, WEEKEND if weekend else WORKDAY, True)
    if workday:
        return DayInfo(day, MAKEUP if weekend else WORKDAY, False)
    if on_holiday and name:
        return DayInfo(day, HOLIDAY, False, str(name))
    return DayInfo(day, WEEKEND, False)


def day_info(day: dt.date, overrides: dict[dt.date, str] | None = None) -> DayInfo:
    """What kind of day ``day`` is; ``overrides`` (date -> day type) win over the official data."""
    if isinstance(day, pd.Timestamp):
        day = day.date()
    if overrides and day in overrides:
        return DayInfo(day, overrides[day], False, "override")
    return _official(day)


def day_types(dates: Iterable[dt.date | str], overrides: dict[dt.date, str] | None = None) -> pd.DataFrame:
    """Vectorised :func:`day_info` over many dates (repeated dates are looked up once).

    Returns
    -------
    DataFrame
        Columns ``day_type`` and ``provisional``, aligned with ``dates``.
    """
    ts = pd.to_datetime(pd.Series(dates)).dt.normalize()
    unique = ts.drop_duplicates()
    info = {t: day_info(t.date(), overrides) for t in unique}
    return pd.DataFrame(
        {
            "day_type": ts.map(lambda t: info[t].day_type).to_numpy(),
            "provisional": ts.map(lambda t: info[t].provisional).to_numpy(),
        },
        index=pd.Series(dates).index,
    )


def load_overrides(engine: sa.Engine) -> dict[dt.date, str]:
    """The administrators' overrides stored in the database."""
    import sqlalchemy as sa

    from dashboard.core.storage.schema import calendar_overrides

    with engine.connect() as conn:
        rows = conn.execute(sa.select(calendar_overrides.c.date, calendar_overrides.c.day_type)).all()
    return {(d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d))): t for d, t in rows}


def set_override(
    engine: sa.Engine,
    day: dt.date,
    day_type: str | None,
    *,
    note: str | None = None,
    user: Actor | str | None = None,
) -> None:
    """Set (or with ``day_type=None`` remove) the override for ``day``; ``user`` (a Scope) goes to the audit log."""

    from dashboard.core.storage import audit
    from dashboard.core.storage.schema import calendar_overrides

    if day_type is not None and day_type not in DAY_TYPES:
        raise ValueError(f"day_type must be one of {DAY_TYPES}")
    with engine.begin() as conn:
        conn.execute(calendar_overrides.delete().where(calendar_overrides.c.date == day))
        if day_type is not None:
            conn.execute(
                calendar_overrides.insert().values(
                    date=day,
                    day_type=day_type,
                    note=note,
                    set_by=getattr(user, "user", user),
                    set_at=dt.datetime.now(dt.UTC),
                )
            )
        if user is not None and not isinstance(user, str):
            audit.record(conn, user, "calendar_set", date=day.isoformat(), day_type=day_type, note=note)
