"""Annual targets and progress against them."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from dashboard.core.reports import kpi
from dashboard.core.storage import audit
from dashboard.core.storage.schema import targets

METRICS = ("worker_sessions", "applications", "enterprise_sessions", "unions_founded", "members_total")


def get(engine: sa.Engine, year: int, district: str | None = None) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(targets.c.metric, targets.c.value).where(
                targets.c.year == year, targets.c.district == (district or "")
            )
        ).all()
    return dict(rows)


def set_targets(
    engine: sa.Engine,
    year: int,
    values: dict[str, int | None],
    district: str | None = None,
    user: audit.Actor | str | None = None,
) -> None:
    """Replace the targets of ``year`` (and district); a None or missing value removes that target.

    ``user`` (a :class:`~dashboard.core.access.scope.Scope`) is recorded in the audit log in the same transaction.
    """
    for metric, value in values.items():
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}")
        if value is not None and (int(value) != value or value < 0):
            raise ValueError(f"a target must be a whole number of at least 0, not {value!r}")
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(targets.delete().where(targets.c.year == year, targets.c.district == (district or "")))
        rows = [
            {
                "year": year,
                "district": district or "",
                "metric": m,
                "value": int(v),
                "set_by": getattr(user, "user", user),
                "set_at": now,
            }
            for m, v in values.items()
            if v is not None
        ]
        if rows:
            conn.execute(targets.insert(), rows)
        if user is not None:
            audit.record(conn, user, "targets_set", district, year=year, **{m: v for m, v in values.items()})


def progress(engine: sa.Engine, year: int, district: str | None = None, today: dt.date | None = None) -> pd.DataFrame:
    """Per metric: target, achieved so far this year, share achieved, and the share of the year elapsed."""
    today = today or dt.date.today()
    goal = get(engine, year, district)
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    done = kpi.totals(engine, district=district, date_from=start, date_to=min(end, today))
    elapsed = min(max((min(today, end) - start).days + 1, 0), 365) / ((end - start).days + 1)
    rows = [
        {
            "metric": m,
            "target": goal.get(m),
            "achieved": done[m],
            "share": (done[m] / goal[m]) if goal.get(m) else None,
            "year_elapsed": elapsed,
        }
        for m in METRICS
    ]
    return pd.DataFrame(rows)
