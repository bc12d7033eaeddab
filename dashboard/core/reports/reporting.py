"""Reporting you can see: for each week and team, the sessions planned, reported, not yet reported (and how long
overdue) and cancelled (未开展), over every saved plan within an area; and the list of what is still unreported.

A planned session is *reported* once a session is stored under its key (from an upload or a team lead's phone),
*cancelled* when the results sheet or the phone said 未开展, *overdue* when its day has passed without either.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from dashboard.core.geo import areas
from dashboard.core.reports import plans as plans_mod
from dashboard.core.reports import visit_plans
from dashboard.core.storage.schema import plan_rows, plans, sessions, sites

COLUMNS = (
    "row_id",
    "plan_id",
    "plan_name",
    "team",
    "team_name",
    "date",
    "start_time",
    "end_time",
    "site_name",
    "district",
    "street_code",
    "session_id",
    "status",
    "status_note",
    "applications",
    "enterprise_id",
)


def rows(engine: sa.Engine, where: areas.Where, first: dt.date, last: dt.date, today: dt.date) -> pd.DataFrame:
    """Every saved plan row within ``where`` dated ``first``-``last``, with its ``state`` and ``overdue_days`` on
    ``today`` (:func:`plans.states`) and ``team_label`` (the roster's team name, else the plan's team number)."""
    query = (
        sa.select(
            plan_rows.c.id.label("row_id"),
            plan_rows.c.plan_id,
            plans.c.name.label("plan_name"),
            plan_rows.c.team,
            plan_rows.c.team_name,
            plan_rows.c.date,
            plan_rows.c.start_time,
            plan_rows.c.end_time,
            sites.c.name.label("site_name"),
            plan_rows.c.district,
            plan_rows.c.street_code,
            plan_rows.c.session_id,
            plan_rows.c.status,
            plan_rows.c.status_note,
            sessions.c.applications,
            plan_rows.c.enterprise_id,
        )
        .join(plans, plans.c.id == plan_rows.c.plan_id)
        .join(sites, sites.c.site_id == plan_rows.c.site_id, isouter=True)
        .join(
            sessions,
            (sessions.c.session_id == plan_rows.c.session_id) & (sessions.c.district == plan_rows.c.district),
            isouter=True,
        )
        .where(plan_rows.c.date.between(first, last))
        .order_by(plan_rows.c.date, plan_rows.c.plan_id, plan_rows.c.team, plan_rows.c.start_time)
    )
    if (inside := areas.sql(plan_rows.c.district, where)) is not None:
        query = query.where(inside)
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(query).all(), columns=list(COLUMNS))
    frame["reported"] = frame["applications"].notna()
    visit = frame["enterprise_id"].notna()
    if visit.any():  # visit plans' rows: the enterprise's name, and reported once a visit of that day is stored
        described = visit_plans.describe(engine, frame[visit])
        frame["site_name"] = frame["site_name"].astype(object)
        frame.loc[visit, "site_name"] = described["site_name"]
        frame.loc[visit, "reported"] = described["reported"]
    frame = plans_mod.states(frame, today)
    frame["team_label"] = [
        name if isinstance(name, str) and name else f"#{plan} 第{team}组"
        for name, plan, team in zip(frame["team_name"], frame["plan_id"], frame["team"], strict=True)
    ]
    days = pd.to_datetime(frame["date"])
    frame["week"] = (days - pd.to_timedelta(days.dt.day_of_week, unit="D")).dt.date
    for column in ("start_time", "end_time"):
        frame[column] = [t.strftime("%H:%M") if hasattr(t, "strftime") else str(t)[:5] for t in frame[column]]
    return frame


def by_week_and_team(frame: pd.DataFrame) -> pd.DataFrame:
    """Per week (its Monday) and team: planned, reported, cancelled, overdue (with the most days overdue), due
    today, upcoming; newest week first, the teams with most overdue first."""
    if frame.empty:
        return pd.DataFrame(
            columns=["week", "team_label", "planned", *plans_mod.STATES, "most_overdue_days", "progress_zh"]
        )
    counts = (
        frame.pivot_table(index=["week", "team_label"], columns="state", values="row_id", aggfunc="count", fill_value=0)
        .reindex(columns=list(plans_mod.STATES), fill_value=0)
        .reset_index()
    )
    counts["planned"] = counts[list(plans_mod.STATES)].sum(axis=1)
    most = frame.groupby(["week", "team_label"])["overdue_days"].max().rename("most_overdue_days").reset_index()
    out = counts.merge(most, on=["week", "team_label"])
    out["progress_zh"] = [
        plans_mod.progress_text({k: int(r[k]) for k in plans_mod.STATES}, "zh") for _, r in out.iterrows()
    ]
    out["progress_en"] = [
        plans_mod.progress_text({k: int(r[k]) for k in plans_mod.STATES}, "en") for _, r in out.iterrows()
    ]
    return out.sort_values(["week", "overdue", "team_label"], ascending=[False, False, True]).reset_index(drop=True)


def unreported(frame: pd.DataFrame) -> pd.DataFrame:
    """The sessions still waiting for results (held before today, or today), oldest first: what a team is asked
    for."""
    waiting = frame[frame["state"].isin(["overdue", "today"])]
    return waiting.sort_values(["date", "team_label", "start_time"]).reset_index(drop=True)


def printable(frame: pd.DataFrame, team_column: str, lang: str = "zh") -> str:
    """The unreported list as a page to print, one team per page (headers as the caller named them). Every value is
    escaped: team and site names are user text."""
    import html

    title = "未填报清单" if lang == "zh" else "Still to report"
    pages = []
    for team, part in frame.groupby(team_column, sort=True):
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in part.columns if c != team_column)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for c, v in r.items() if c != team_column) + "</tr>"
            for _, r in part.iterrows()
        )
        pages.append(
            f"<section><h1>{html.escape(title)} · {html.escape(str(team))}</h1>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></section>"
        )
    return (
        f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;margin:1cm}}"
        "table{border-collapse:collapse;width:100%;font-size:11pt}th,td{border:1px solid #444;padding:5px}"
        "th{background:#eee}section{page-break-after:always}</style></head><body>" + "".join(pages) + "</body></html>"
    )
