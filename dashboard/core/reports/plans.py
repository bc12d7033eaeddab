"""Saved plans: keep a plan, tick its sessions off, and see their uploaded results beside the expectation.

Each saved row gets a ``session_id`` (P<plan>-<row>-<random>). The results template carries it, so when a team uploads
its results the session links back to the plan row, and uploading twice still counts once. The random part means
nobody can claim the id of a plan row before it exists, and results link only from the row's own district.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterable

import pandas as pd
import sqlalchemy as sa

from dashboard.core.geo import areas, districts
from dashboard.core.intake.columns import SESSION_COLUMNS
from dashboard.core.reports.kpi import in_districts
from dashboard.core.storage import audit
from dashboard.core.storage.schema import field_links, plan_rows, plans, sessions, sites
from dashboard.core.text import printable


def district_codes(plan: pd.DataFrame) -> set[str]:
    """The adcodes of a described plan's rows (its district column holds names)."""
    by_name = {d.name_zh: d.adcode for d in districts.DISTRICTS}
    return {by_name.get(d, d) for d in plan["district"]}


def site_areas(engine: sa.Engine, site_ids: Iterable[object]) -> dict[str, tuple[str, str | None]]:
    """The stored (district, street code) of each known site among ``site_ids`` (unknown ids are left out)."""
    ids = sorted({str(s) for s in site_ids})
    query = sa.select(sites.c.site_id, sites.c.district, sites.c.street_code).where(sites.c.site_id.in_(ids))
    with engine.connect() as conn:
        return {site: (district, street) for site, district, street in conn.execute(query).all()}


def save(engine: sa.Engine, plan: pd.DataFrame, name: str, request: dict, user: audit.Actor | str | None = None) -> int:
    """Store a described plan (see planner.PLAN_COLUMNS) and return its id; ``user`` (a Scope) is audited.

    Each row is filed under its site's stored district, whatever the plan's district column says.
    """
    check_plan(plan)
    stored = site_areas(engine, plan["site_id"])
    unknown = sorted(set(plan["site_id"].astype(str)) - set(stored))
    if unknown:
        raise ValueError(f"计划中的点位不存在 / unknown sites in the plan: {', '.join(unknown[:5])}")
    codes = areas.touched(stored.values())
    with engine.begin() as conn:
        key = conn.execute(
            plans.insert().values(
                name=printable(name)[:200],
                created_at=dt.datetime.now(dt.UTC),
                created_by=getattr(user, "user", user),
                request=json.dumps(request, ensure_ascii=False, default=str),
                districts=",".join(sorted(codes)) or None,
            )
        ).inserted_primary_key
        assert key is not None  # an INSERT's result always has it
        plan_id = key[0]
        rows = [
            {
                "plan_id": plan_id,
                "session_id": f"P{plan_id}-{i + 1:03d}-{secrets.token_hex(4).upper()}",
                "team": int(r.team),
                "date": r.date,
                "start_time": dt.time.fromisoformat(r.start_time),
                "end_time": dt.time.fromisoformat(r.end_time),
                "site_id": r.site_id,
                "district": stored[str(r.site_id)][0],
                "street_code": stored[str(r.site_id)][1],
                "expected_applications": float(r.expected_applications),
                "applications_low": _optional(getattr(r, "applications_low", None)),
                "applications_high": _optional(getattr(r, "applications_high", None)),
                "learn": bool(getattr(r, "learn", False)),
                "reason": r.reason,
                "team_name": _team_name(getattr(r, "team_name", None)),
            }
            for i, r in enumerate(plan.itertuples())
        ]
        if rows:
            conn.execute(plan_rows.insert(), rows)
        if user is not None and not isinstance(user, str):
            audit.record(conn, user, "plan_saved", codes, plan_id=int(plan_id), name=name[:200], sessions=len(rows))
    return int(plan_id)


def _team_name(value: object) -> str | None:
    return printable(str(value)).strip()[:40] or None if isinstance(value, str) else None


def _optional(value: float | None) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def list_plans(engine: sa.Engine, district: str | tuple[str, ...] | None = None) -> pd.DataFrame:
    """Saved plans, newest first; with ``district`` (area codes) only plans whose rows all lie within them.

    Read from the rows as they are now, not from what they were when the plan was saved: a site corrected into
    another street or moved to another district takes its plan rows along, and with them who may see the plan.
    """
    q = (
        sa.select(
            plans.c.id,
            plans.c.name,
            plans.c.created_at,
            plans.c.created_by,
            plans.c.kind,
            sa.func.count(plan_rows.c.id).label("sessions"),
            sa.func.sum(sa.case((plan_rows.c.done, 1), else_=0)).label("done"),
        )
        .join(plan_rows, plan_rows.c.plan_id == plans.c.id, isouter=True)
        .group_by(plans.c.id, plans.c.name, plans.c.created_at, plans.c.created_by, plans.c.kind)
        .order_by(plans.c.id.desc())
    )
    where = sa.select(plan_rows.c.plan_id, plan_rows.c.district, plan_rows.c.street_code).distinct()
    with engine.connect() as conn:
        frame = pd.DataFrame(
            conn.execute(q).mappings().all(),
            columns=["id", "name", "created_at", "created_by", "kind", "sessions", "done"],
        )
        located = conn.execute(where).all()
    if district is None:
        return frame
    spans: dict[int, set[str]] = {}
    for plan_id, d, street in located:
        spans.setdefault(int(plan_id), set()).update(areas.touched([(d, street)]))
    # a boolean Series, not a list: an empty list would select no columns and lose the frame's shape
    inside = pd.Series(
        [areas.record_within(spans.get(int(i), ()), district) for i in frame["id"]], index=frame.index, dtype=bool
    )
    return frame.loc[inside].reset_index(drop=True)


def name_of(engine: sa.Engine, plan_id: int) -> str | None:
    with engine.connect() as conn:
        found = conn.execute(sa.select(plans.c.name).where(plans.c.id == plan_id)).scalar()
    return None if found is None else str(found)


def rename(engine: sa.Engine, plan_id: int, name: str, user: audit.Actor | str | None = None) -> str:
    """Give a saved plan a new name (1-200 printable characters, spaces folded); audited. Returns the name kept."""
    clean = printable(" ".join(str(name).split()))[:200]
    if not clean:
        raise ValueError("a plan's name cannot be blank")
    with engine.begin() as conn:
        before = conn.execute(sa.select(plans.c.name).where(plans.c.id == plan_id)).scalar()
        conn.execute(plans.update().where(plans.c.id == plan_id).values(name=clean))
        if user is not None and not isinstance(user, str):
            codes = areas.touched(
                conn.execute(
                    sa.select(plan_rows.c.district, plan_rows.c.street_code).where(plan_rows.c.plan_id == plan_id)
                ).all()
            )
            audit.record(conn, user, "plan_renamed", codes, plan_id=plan_id, before=str(before)[:200], after=clean)
    return clean


def delete(engine: sa.Engine, plan_id: int, user: audit.Actor | str | None = None) -> int:
    """Delete a saved plan, its rows and its team leads' links (results already uploaded stay where they are: in
    the sessions and visits, which never belonged to the plan); audited. Returns the rows deleted."""
    with engine.begin() as conn:
        found = conn.execute(sa.select(plans.c.name).where(plans.c.id == plan_id)).scalar()
        if found is None:
            return 0
        codes = areas.touched(
            conn.execute(
                sa.select(plan_rows.c.district, plan_rows.c.street_code).where(plan_rows.c.plan_id == plan_id)
            ).all()
        )
        conn.execute(field_links.delete().where(field_links.c.plan_id == plan_id))
        removed = conn.execute(plan_rows.delete().where(plan_rows.c.plan_id == plan_id)).rowcount or 0
        conn.execute(plans.delete().where(plans.c.id == plan_id))
        if user is not None and not isinstance(user, str):
            audit.record(conn, user, "plan_deleted", codes, plan_id=plan_id, name=str(found)[:200], rows=removed)
    return int(removed)


def plan_areas(engine: sa.Engine, plan_id: int) -> set[tuple[str, str | None]] | None:
    """The (district, street code) pairs of a saved plan's rows; None when there is no such plan."""
    query = sa.select(plan_rows.c.district, plan_rows.c.street_code).where(plan_rows.c.plan_id == plan_id).distinct()
    with engine.connect() as conn:
        if conn.execute(sa.select(plans.c.id).where(plans.c.id == plan_id)).first() is None:
            return None
        return {(d, s) for d, s in conn.execute(query)}


def row_areas(engine: sa.Engine, row_ids: Iterable[int]) -> dict[int, tuple[str, str | None]]:
    """The (district, street code) of each saved plan row among ``row_ids`` (ids of no row are left out)."""
    ids = [int(i) for i in row_ids]
    query = sa.select(plan_rows.c.id, plan_rows.c.district, plan_rows.c.street_code).where(plan_rows.c.id.in_(ids))
    with engine.connect() as conn:
        return {row: (d, s) for row, d, s in conn.execute(query)}


def rows(engine: sa.Engine, plan_id: int) -> pd.DataFrame:
    """A plan's rows with the site name and, where results were uploaded, the actual counts."""
    q = (
        sa.select(
            plan_rows.c.id,
            plan_rows.c.session_id,
            plan_rows.c.team,
            plan_rows.c.date,
            plan_rows.c.start_time,
            plan_rows.c.end_time,
            plan_rows.c.site_id,
            sites.c.name.label("site_name"),
            plan_rows.c.district,
            plan_rows.c.expected_applications,
            plan_rows.c.applications_low,
            plan_rows.c.applications_high,
            plan_rows.c.learn,
            plan_rows.c.reason,
            plan_rows.c.done,
            plan_rows.c.team_name,
            plan_rows.c.status,
            plan_rows.c.status_note,
            plan_rows.c.street_code,
            plan_rows.c.enterprise_id,
            plan_rows.c.route_order,
            plan_rows.c.probability,
            plan_rows.c.expected_members,
            sites.c.lat,
            sites.c.lon,
            sessions.c.staff,
            sessions.c.consultations,
            sessions.c.applications,
            sessions.c.members_joined,
            sessions.c.notes,
        )
        .join(sites, sites.c.site_id == plan_rows.c.site_id, isouter=True)
        .join(
            sessions,
            (sessions.c.session_id == plan_rows.c.session_id) & (sessions.c.district == plan_rows.c.district),
            isouter=True,
        )
        .where(plan_rows.c.plan_id == plan_id)
        .order_by(plan_rows.c.date, plan_rows.c.team, plan_rows.c.start_time)
    )
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(q).mappings().all())
    if frame.empty:
        return frame
    for col in ("start_time", "end_time"):
        frame[col] = [t.strftime("%H:%M") for t in frame[col]]
    frame["reported"] = frame["applications"].notna()
    visit = frame["enterprise_id"].notna()
    if visit.any():  # a visit plan's rows: the enterprises, and reported once a visit of that day is stored
        from dashboard.core.reports import visit_plans

        described = visit_plans.describe(engine, frame[visit])
        for column in ("site_name", "lat", "lon", "reported", "member_list", "outcomes", "address"):
            frame[column] = frame.get(column, pd.Series(None, index=frame.index)).astype(object)
            frame.loc[visit, column] = described[column]
    frame["done"] = frame["done"].astype(bool) | frame["reported"].astype(bool)
    return frame


STATES = {
    "reported": ("已填报", "reported"),
    "cancelled": ("未开展", "not held"),
    "overdue": ("未填报", "not reported"),
    "today": ("今天", "today"),
    "upcoming": ("未到期", "upcoming"),
}


def states(frame: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """``frame`` (plan rows with ``date``, ``reported`` and ``status``) with each row's ``state``: reported, cancelled
    (未开展), overdue (held before today, no results yet), today, or upcoming; and ``overdue_days``."""
    out = frame.copy()
    days = pd.to_datetime(out["date"]).dt.date
    cancelled = out["status"].eq("cancelled") if "status" in out else pd.Series(False, index=out.index)
    reported = out["reported"].astype(bool)
    out["state"] = "upcoming"
    out.loc[days == today, "state"] = "today"
    out.loc[days < today, "state"] = "overdue"
    out.loc[cancelled & ~reported, "state"] = "cancelled"
    out.loc[reported, "state"] = "reported"
    out["overdue_days"] = [(today - d).days if s == "overdue" else 0 for d, s in zip(days, out["state"], strict=True)]
    return out


def progress_text(counts: dict[str, int], lang: str = "zh") -> str:
    """ "9 / 12：1 未开展，2 未填报": reported of planned, then what is missing, in a planner's words."""
    planned = sum(counts.values())
    parts = [
        f"{counts[k]} {STATES[k][0 if lang == 'zh' else 1]}" for k in ("cancelled", "overdue", "today") if counts.get(k)
    ]
    head = f"{counts.get('reported', 0)} / {planned}"
    if not parts:
        return head
    return head + ("：" + "，".join(parts) if lang == "zh" else ": " + ", ".join(parts))


def set_status(engine: sa.Engine, row_ids: Iterable[int], status: str | None, by: str, note: str | None = None) -> int:
    """Mark saved plan rows cancelled (未开展, ``status="cancelled"``) or clear the mark (None); a row whose results
    are stored is never marked cancelled. Returns how many rows changed."""
    ids = [int(i) for i in row_ids]
    if status not in (None, "cancelled") or not ids:
        return 0
    held = sa.exists().where(
        sessions.c.session_id == plan_rows.c.session_id, sessions.c.district == plan_rows.c.district
    )
    stmt = plan_rows.update().where(plan_rows.c.id.in_(ids))
    if status == "cancelled":
        stmt = stmt.where(~held)
    values = {
        "status": status,
        "status_at": dt.datetime.now(dt.UTC) if status else None,
        "status_by": by[:64] if status else None,
        "status_note": printable(note)[:200] if status and note else None,
    }
    with engine.begin() as conn:
        return int(conn.execute(stmt.values(**values)).rowcount or 0)


def review(
    engine: sa.Engine, plan_id: int, within: areas.Where = None, today: dt.date | None = None
) -> tuple[pd.DataFrame, dict]:
    """Plan against actual: each session's expectation and 80% interval beside its uploaded result, and totals.
    Each row has its ``state`` on ``today`` (:func:`states`); the summary's ``states`` counts them.

    Returns the rows (with ``actual`` and ``covered``: the actual result within the interval) and a summary over the
    sessions whose results are in: how many, expected and actual totals, the share inside their intervals, and what
    the habit (the sites of the plan's districts within ``within``, the caller's areas, with the most sign-ups
    before the plan, at their usual hour) would have been expected to bring in as many sessions, by those sites'
    own past means.
    """
    frame = rows(engine, plan_id)
    if frame.empty:
        return frame, {"planned": 0, "reported": 0, "states": {}}
    frame = states(frame, today or dt.date.today()).rename(columns={"applications": "actual"})
    reported = frame[frame["actual"].notna()]
    low = pd.to_numeric(reported["applications_low"], errors="coerce")
    high = pd.to_numeric(reported["applications_high"], errors="coerce")
    inside = ((reported["actual"] >= low) & (reported["actual"] <= high)).where(low.notna())
    frame["covered"] = inside.reindex(frame.index)
    summary = {
        "planned": int(len(frame)),
        "reported": int(len(reported)),
        "expected": float(reported["expected_applications"].sum()),
        "actual": int(reported["actual"].sum()),
        "coverage": float(inside.dropna().astype(bool).mean()) if low.notna().any() else None,
        "learning": int(frame["learn"].sum()),
        # what became of every planned session: "9 / 12：1 未开展，2 未填报"
        "states": {k: int((frame["state"] == k).sum()) for k in STATES},
    }
    if len(reported):
        summary["habit"] = _habit_estimate(engine, frame, len(reported), within)
    return frame, summary


def _habit_estimate(engine: sa.Engine, plan: pd.DataFrame, sessions_count: int, within: areas.Where) -> float:
    """What ``sessions_count`` sessions at the habitual sites of the plan's districts (within ``within``) would have
    been expected to bring: a figure of their sites, so only of sites the caller may read."""
    before = min(plan["date"])
    q = (
        sa.select(sessions.c.site_id, sa.func.sum(sessions.c.applications), sa.func.count())
        .where(
            sessions.c.session_type == "worker",
            sessions.c.date < before,
            sessions.c.district.in_(sorted(set(plan["district"]))),
        )
        .where(sessions.c.site_id.is_not(None))
        .group_by(sessions.c.site_id)
    )
    if (inside := areas.sql(sessions.c.district, within)) is not None:
        q = q.where(inside)
    with engine.connect() as conn:
        past = pd.DataFrame(conn.execute(q).all(), columns=["site_id", "total", "n"])
    if past.empty:
        return float("nan")
    top = past.sort_values("total", ascending=False).head(sessions_count)
    return float((top["total"] / top["n"]).sum())


def set_done(engine: sa.Engine, row_ids_done: dict[int, bool], today: dt.date | None = None) -> int:
    """Tick rows off (or on again); a session whose day has not come cannot be ticked done. Returns how many ticks
    were refused for that."""
    today = today or dt.date.today()
    refused = 0
    with engine.begin() as conn:
        for row_id, done in row_ids_done.items():
            stmt = plan_rows.update().where(plan_rows.c.id == int(row_id))
            if done:
                stmt = stmt.where(plan_rows.c.date <= today)
            refused += int(conn.execute(stmt.values(done=bool(done))).rowcount == 0 and bool(done))
    return refused


def results_template(engine: sa.Engine, plan_id: int) -> pd.DataFrame:
    """A sessions file pre-filled from the plan (Chinese headers): teams fill in the counts and upload it."""
    frame = rows(engine, plan_id)
    names = {c.name: c.zh for c in SESSION_COLUMNS}
    if frame.empty:
        return pd.DataFrame(columns=[names[c] for c in _RESULT_COLUMNS])
    out = pd.DataFrame(
        {
            "session_id": frame["session_id"],
            "session_type": "职工沟通会",
            "date": frame["date"].astype(str),
            "start_time": frame["start_time"],
            "end_time": frame["end_time"],
            "district": frame["district"].map(lambda c: districts.name(c)),
            "site_id": frame["site_id"],
            "site_name": frame["site_name"],
            "staff": "",
            "consultations": "",
            "applications": "",
            "members_joined": "",
            "notes": "",
        }
    )
    return out[list(_RESULT_COLUMNS)].rename(columns=names)


_RESULT_COLUMNS = (
    "session_id",
    "session_type",
    "date",
    "start_time",
    "end_time",
    "district",
    "site_id",
    "site_name",
    "staff",
    "consultations",
    "applications",
    "members_joined",
    "notes",
)
PLAN_NEEDS = ("team", "date", "start_time", "end_time", "site_id", "district", "expected_applications", "reason")


def check_plan(plan: pd.DataFrame) -> None:
    """Refuse a plan that cannot be saved: no sessions, or a column missing (ValueError in both languages)."""
    missing = [c for c in PLAN_NEEDS if c not in plan.columns]
    if plan.empty or missing:
        raise ValueError(f"计划是空的或缺少列（{'、'.join(missing)}） / the plan is empty or lacks columns {missing}")


def booked(
    engine: sa.Engine, first: dt.date, last: dt.date, district: str | tuple[str, ...] | None = None
) -> pd.DataFrame:
    """Sessions of saved plans between ``first`` and ``last`` (site_id, date, start_min, end_min): already arranged.

    ``district`` (an adcode or a tuple of them) limits them to those districts.
    """
    q = sa.select(plan_rows.c.site_id, plan_rows.c.date, plan_rows.c.start_time, plan_rows.c.end_time).where(
        plan_rows.c.date.between(first, last)
    )
    if (condition := in_districts(plan_rows.c.district, district)) is not None:
        q = q.where(condition)
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(q).all(), columns=["site_id", "date", "start_time", "end_time"])
    frame["start_min"] = [t.hour * 60 + t.minute for t in frame["start_time"]]
    frame["end_min"] = [t.hour * 60 + t.minute for t in frame["end_time"]]
    return frame[["site_id", "date", "start_min", "end_min"]]


def read_booked(data: bytes) -> pd.DataFrame:
    """A file of booked sessions (site_id/点位编号, date/日期, start_time/开始时间, end_time/结束时间)."""
    from dashboard.core.intake.columns import SESSION_COLUMNS
    from dashboard.core.intake.parsing import parse_dates, parse_times
    from dashboard.core.intake.tabular import read_table

    raw = read_table(data, "booked", SESSION_COLUMNS).data
    needed = ["site_id", "date", "start_time", "end_time"]
    message = (
        "已安排场次文件每一行都需要点位编号、日期、开始和结束时间 / the booked file needs site_id, date, start_time "
        "and end_time on every row"
    )
    if not set(needed) <= set(raw.columns) or raw[needed].eq("").any(axis=None):
        raise ValueError(message)
    dates, bad_dates, impossible, out_of_range, _ = parse_dates(raw["date"])
    start, bad_start = parse_times(raw["start_time"])
    end, bad_end = parse_times(raw["end_time"])
    if (bad_dates | impossible | out_of_range | bad_start | bad_end).any() or (end <= start).any():
        raise ValueError(message)
    return pd.DataFrame(
        {"site_id": raw["site_id"], "date": dates.dt.date, "start_min": start.astype(int), "end_min": end.astype(int)}
    )
