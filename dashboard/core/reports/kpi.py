"""Headline totals over the stored sessions, with optional district and date filters.

The dashboard's KPI page and ``python -m dashboard kpi`` both call :func:`totals`, so their numbers agree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

import pandas as pd
import sqlalchemy as sa

from dashboard.core.geo import areas
from dashboard.core.reports import freshness, periods
from dashboard.core.storage.schema import sessions

_Query = TypeVar("_Query", bound="sa.Select[*tuple[Any, ...]]")

KPI_FIELDS = (
    "worker_sessions",
    "consultations",
    "applications",
    "enterprise_sessions",
    "enterprises_reached",
    "unions_founded",
    "members_total",
    "members_from_worker_sessions",
    "members_from_enterprise_sessions",
)


LABELS: dict[str, tuple[str, str]] = {
    "worker_sessions": ("职工沟通会场次", "Worker sessions"),
    "consultations": ("现场咨询人数", "Consultations"),
    "applications": ("现场申请入会人数", "On-site applications"),
    "members_total": ("发展会员数", "Members developed"),
    "enterprise_sessions": ("企业沟通会场次", "Enterprise sessions"),
    "enterprises_reached": ("涉及企业数", "Enterprises reached"),
    "unions_founded": ("建会企业数", "Unions founded"),
    "members_from_worker_sessions": ("其中：职工沟通会", "Of which: worker sessions"),
    "members_from_enterprise_sessions": ("建会发展会员", "Members via founded unions"),
}


def sum_where(col, where):
    """SUM(col) over the rows matching ``where`` (0 when none): one pass computes many totals."""
    return sa.func.coalesce(sa.func.sum(sa.case((where, col), else_=0)), 0)


def aggregates() -> list:
    """The headline totals as labelled SQL expressions (keys of :data:`KPI_FIELDS`), for any grouping."""
    worker = sessions.c.session_type == "worker"
    enterprise = sessions.c.session_type == "enterprise"
    return [
        sum_where(1, worker).label("worker_sessions"),
        sum_where(sessions.c.consultations, worker).label("consultations"),
        sum_where(sessions.c.applications, worker).label("applications"),
        sum_where(1, enterprise).label("enterprise_sessions"),
        sum_where(sessions.c.enterprises_reached, enterprise).label("enterprises_reached"),
        sum_where(sessions.c.unions_founded, enterprise).label("unions_founded"),
        sa.func.coalesce(sa.func.sum(sessions.c.members_joined), 0).label("members_total"),
        sum_where(sessions.c.members_joined, worker).label("members_from_worker_sessions"),
        sum_where(sessions.c.members_joined, enterprise).label("members_from_enterprise_sessions"),
    ]


def in_districts(column, district):
    """A condition on a table's ``district`` column: an area code (a string), any of several (a tuple), or None
    for no condition; street codes match the table's ``street_code`` (:func:`areas.sql`)."""
    return areas.sql(column, district)


def rows_within(frame: pd.DataFrame, district: str | tuple[str, ...] | None, column: str = "districts") -> pd.DataFrame:
    """The rows whose comma-separated area codes in ``column`` all lie in ``district`` (an area code or a tuple).

    The in-memory counterpart of :func:`in_districts`, for records that span areas (uploads, plans); rows with
    no areas recorded are left out. ``district=None`` keeps every row.
    """
    if district is None:
        return frame
    inside = pd.Series(
        [areas.record_within(d.split(","), district) for d in frame[column].fillna("")], index=frame.index, dtype=bool
    )
    return frame.loc[inside].reset_index(drop=True)


def filtered(
    query: _Query,
    *,
    district: str | tuple[str, ...] | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> _Query:
    """``query`` limited to a district (an adcode, or a tuple of adcodes) and an inclusive date range."""
    condition = in_districts(sessions.c.district, district)
    if condition is not None:
        query = query.where(condition)
    if date_from:
        query = query.where(sessions.c.date >= date_from)
    if date_to:
        query = query.where(sessions.c.date <= date_to)
    return query


def totals(
    engine: sa.Engine,
    *,
    district: str | tuple[str, ...] | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> dict[str, int]:
    """Sum the sessions between ``date_from`` and ``date_to`` (both inclusive) in ``district`` (an adcode).

    Returns
    -------
    dict
        ``worker_sessions, consultations, applications, enterprise_sessions, enterprises_reached,
        unions_founded, members_total`` (members joined over all sessions) and the members split by type.
    """
    query = filtered(sa.select(*aggregates()), district=district, date_from=date_from, date_to=date_to)
    with engine.connect() as conn:
        row = conn.execute(query).one()
    return {k: int(v or 0) for k, v in row._mapping.items()}


def date_range(
    engine: sa.Engine, district: str | tuple[str, ...] | None = None
) -> tuple[dt.date | None, dt.date | None]:
    """First and last session date stored (in ``district``: an adcode or a tuple of them)."""
    with engine.connect() as conn:
        lo, hi = conn.execute(
            filtered(sa.select(sa.func.min(sessions.c.date), sa.func.max(sessions.c.date)), district=district)
        ).one()
    if isinstance(lo, str):  # SQLite aggregate returns text
        lo, hi = dt.date.fromisoformat(lo), dt.date.fromisoformat(hi)
    return lo, hi


def change(now: float, before: float) -> float | None:
    """The relative change from ``before`` to ``now`` (0.05 = up 5 %), None when there was nothing before."""
    return (now - before) / before if before else None


def compare(
    engine: sa.Engine,
    period: periods.Period,
    district: str | tuple[str, ...] | None = None,
    dates: freshness.Freshness | None = None,
) -> pd.DataFrame:
    """Each headline total for the period, the same days a year earlier (同比) and the period before (环比), like
    for like: each district is read up to its own data date (:mod:`freshness`), in the period and in both
    comparisons alike, so a district that reports late shows no fall. A district with nothing reported in the
    period yet counts in none of the three.

    Returns
    -------
    DataFrame
        One row per :data:`KPI_FIELDS` entry: ``metric, current, year_before, previous, yoy, pop`` where ``yoy``
        and ``pop`` are relative changes (None when the earlier total is 0).
    """
    dates = dates if dates is not None else freshness.data_dates(engine, district)
    now, yb, prev = ({m: 0 for m in KPI_FIELDS} for _ in range(3))
    for day, codes in dates.groups().items():
        if day < period.start:
            continue
        windows = periods.compare(period, day)
        where = areas.within_districts(district, codes)
        for sums, (a, b) in zip((now, yb, prev), (windows.current, windows.year_before, windows.previous), strict=True):
            for m, value in totals(engine, district=where, date_from=a, date_to=b).items():
                sums[m] += value
    return pd.DataFrame(
        [
            {
                "metric": m,
                "current": now[m],
                "year_before": yb[m],
                "previous": prev[m],
                "yoy": change(now[m], yb[m]),
                "pop": change(now[m], prev[m]),
            }
            for m in KPI_FIELDS
        ]
    )
