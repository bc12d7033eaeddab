"""Each district's data date: the last day its sessions are reported through.

Districts report at their own pace. When one has uploaded last week's sessions and another stops at the end of the
month before, a figure that reads every district "up to the newest date" counts the late district's missing days as
a fall. Every comparison therefore reads each district up to its own data date (:mod:`kpi`), monthly trends mark
the months some district has not reported yet, and the pages and the report name the districts that are behind.

A district counts as reporting when it has sessions within :data:`ACTIVE_WITHIN` of the newest data date: one
silent for longer is not late, it has stopped, and it does not hold back every month since. A district whose last
session lies within :data:`ON_TIME` of the newest one is taken as reported through that day: a few quiet days are
days without sessions, not a late report (the sample's districts end between 10-22 and 10-31 for that reason alone).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from dashboard.core.geo import areas, districts
from dashboard.core.storage.schema import sessions

ACTIVE_WITHIN = dt.timedelta(days=365)
ON_TIME = dt.timedelta(days=7)


@dataclass(frozen=True)
class Freshness:
    """The data date of every district with sessions within an area (adcode -> date)."""

    dates: dict[str, dt.date]

    @property
    def last(self) -> dt.date | None:
        """The newest data date: the day the freshest district reports through."""
        return max(self.dates.values()) if self.dates else None

    @property
    def reporting(self) -> dict[str, dt.date]:
        """The districts still reporting: with sessions within :data:`ACTIVE_WITHIN` of the newest date."""
        last = self.last
        return {d: day for d, day in self.dates.items() if last is not None and day >= last - ACTIVE_WITHIN}

    @property
    def complete_through(self) -> dt.date | None:
        """The day every reporting district reports through."""
        return min(self.reporting.values()) if self.dates else None

    def behind(self) -> list[tuple[str, dt.date]]:
        """The reporting districts whose data stop before the newest date, the most behind first."""
        last = self.last
        late = ((d, day) for d, day in self.reporting.items() if last and day < last)
        return sorted(late, key=lambda x: (x[1], x[0]))

    def note(self, lang: str = "zh") -> str:
        """One line naming the districts that are behind ("海淀区 数据截至 10-31"), or "" when none is."""
        late = self.behind()
        if not late:
            return ""
        if lang == "zh":
            items = "；".join(f"{districts.name(d)} 数据截至 {day:%m-%d}" for d, day in late)
            return f"以下区的数据还没有报到 {self.last:%m-%d}：{items}。各项对比按各区自己的数据截至日取相同天数。"
        items = "; ".join(f"{districts.name(d, 'en')} to {day:%m-%d}" for d, day in late)
        return (
            f"Not every district has reported to {self.last:%m-%d}: {items}. Each comparison reads every district "
            "to its own data date, over the same days in both periods."
        )

    def up_to(self, day: dt.date | None) -> Freshness:
        """The data dates read no later than ``day`` (None: as they are)."""
        return self if day is None else Freshness({d: min(found, day) for d, found in self.dates.items()})

    def groups(self) -> dict[dt.date, tuple[str, ...]]:
        """The districts by data date (a comparison reads each group to its date)."""
        out: dict[dt.date, list[str]] = {}
        for code, day in self.dates.items():
            out.setdefault(day, []).append(code)
        return {day: tuple(sorted(codes)) for day, codes in sorted(out.items())}


def data_dates(engine: sa.Engine, where: areas.Where = None) -> Freshness:
    """The data date of every district with sessions within ``where`` (area codes; None: the city)."""
    query = sa.select(sessions.c.district, sa.func.max(sessions.c.date)).group_by(sessions.c.district)
    if (inside := areas.sql(sessions.c.district, where)) is not None:
        query = query.where(inside)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    found = {
        str(code): (day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)))
        for code, day in rows
        if code and day is not None
    }
    newest = max(found.values(), default=None)
    return Freshness({code: newest if newest and newest - day <= ON_TIME else day for code, day in found.items()})


def mark_months(frame: pd.DataFrame, dates: Freshness) -> pd.DataFrame:
    """``frame`` (one row per ``month``, its first day) with ``complete``: every reporting district has reported
    through the month's last day. The month the newest data fall in is incomplete until it ends."""
    out = frame.copy()
    through = dates.complete_through
    month_end = pd.to_datetime(out["month"]) + pd.offsets.MonthEnd(0)
    out["complete"] = (month_end.dt.date <= through) if through is not None else True
    return out
