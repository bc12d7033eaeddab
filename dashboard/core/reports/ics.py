"""Calendar files (.ics) for a plan: one per team, times in Beijing time, text escaped by the icalendar library."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pandas as pd

BEIJING = ZoneInfo("Asia/Shanghai")


def team_calendar(plan: pd.DataFrame, team: int, title: str = "职工沟通会") -> bytes:
    """An iCalendar file with team ``team``'s sessions (planner.PLAN_COLUMNS rows)."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Beijing outreach planning//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{title} 第{team}组")
    for r in plan[plan["team"] == team].itertuples():
        day = r.date if isinstance(r.date, dt.date) else pd.Timestamp(r.date).date()
        event = icalendar.Event()
        event.add("uid", f"{day:%Y%m%d}-{r.site_id}-{r.start_time}-team{team}@outreach")
        event.add("dtstamp", dt.datetime.now(dt.UTC))
        event.add("dtstart", dt.datetime.combine(day, dt.time.fromisoformat(r.start_time), BEIJING))
        event.add("dtend", dt.datetime.combine(day, dt.time.fromisoformat(r.end_time), BEIJING))
        event.add("summary", f"{title}：{r.site_name}")
        event.add("location", f"{r.district} {r.site_name}（{r.site_id}）")
        event.add(
            "description",
            f"预计申请入会 {r.expected_applications}（{r.applications_low}–{r.applications_high}）。{r.reason}",
        )
        cal.add_component(event)
    data: bytes = cal.to_ical()
    return data
