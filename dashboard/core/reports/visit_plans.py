"""Saved enterprise visit plans (企业沟通会): the visit planner's route per person and day, kept like a stall plan
so its visits go to team leads' phones, are reported from the field and show up as reported or not.

A visit plan is a ``plans`` row of kind ``visits`` whose ``plan_rows`` name an enterprise (a joint union's several,
joined with "、") instead of a site, with its place in the day's route, P(founding) and the members expected. A
visit counts as reported once an enterprise visit is stored for one of its enterprises on its day (from an upload of
visits or from the phone), whatever its outcome.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets

import pandas as pd
import sqlalchemy as sa

from dashboard.core.geo import areas
from dashboard.core.storage import audit
from dashboard.core.storage.schema import enterprise_visits, enterprises, plan_rows, plans
from dashboard.core.text import printable

SEPARATOR = "、"
DAY = (dt.time(9, 0), dt.time(17, 0))  # a visit plan's day: its rows carry the working day as their window


def members(value: object) -> list[str]:
    return [m for m in str(value or "").split(SEPARATOR) if m]


def enterprise_areas(engine: sa.Engine, ids: list[str]) -> dict[str, tuple[str, str | None]]:
    """The stored (district, street code) of each known enterprise among ``ids``."""
    query = sa.select(enterprises.c.enterprise_id, enterprises.c.district, enterprises.c.street_code).where(
        enterprises.c.enterprise_id.in_(sorted(set(ids)))
    )
    with engine.connect() as conn:
        return {e: (d, s) for e, d, s in conn.execute(query).all()}


def save(
    engine: sa.Engine,
    plan: pd.DataFrame,
    name: str,
    request: dict,
    user: audit.Actor | str | None = None,
    team_names: list[str] | None = None,
) -> int:
    """Store a visit plan (the columns of ``visits.plan``: date, staff_no, order, enterprise_id, p_found,
    expected_members, reason_zh) and return its id. Each row is filed under its first enterprise's stored area;
    ``team_names`` name the people 1, 2, ... (the roster's teams). ValueError for an enterprise not in the register."""
    if plan.empty:
        raise ValueError("计划是空的 / the plan is empty")
    ids = [m for value in plan["enterprise_id"] for m in members(value)]
    stored = enterprise_areas(engine, ids)
    unknown = sorted(set(ids) - set(stored))
    if unknown:
        raise ValueError(f"计划中的企业不在名录中 / enterprises not in the register: {', '.join(unknown[:5])}")
    names = team_names or []
    with engine.begin() as conn:
        key = conn.execute(
            plans.insert().values(
                name=printable(name)[:200],
                created_at=dt.datetime.now(dt.UTC),
                created_by=getattr(user, "user", user),
                request=json.dumps(request, ensure_ascii=False, default=str),
                districts=",".join(sorted(areas.touched(stored.values()))) or None,
                kind="visits",
            )
        ).inserted_primary_key
        assert key is not None  # an INSERT's result always has it
        plan_id = int(key[0])
        rows = []
        for i, r in enumerate(plan.itertuples(index=False)):
            first = members(r.enterprise_id)[0]
            team = int(r.staff_no)
            rows.append(
                {
                    "plan_id": plan_id,
                    "session_id": f"V{plan_id}-{i + 1:03d}-{secrets.token_hex(4).upper()}",
                    "team": team,
                    "team_name": printable(names[team - 1])[:40] if 0 < team <= len(names) else None,
                    "date": r.date,
                    "start_time": DAY[0],
                    "end_time": DAY[1],
                    "site_id": None,
                    "district": stored[first][0],
                    "street_code": stored[first][1],
                    "enterprise_id": str(r.enterprise_id)[:600],
                    "route_order": int(r.order),
                    "probability": float(r.p_found),
                    "expected_members": float(r.expected_members),
                    "reason": str(getattr(r, "reason_zh", "") or ""),
                }
            )
        conn.execute(plan_rows.insert(), rows)
        if user is not None and not isinstance(user, str):
            codes = areas.touched(stored.values())
            audit.record(conn, user, "plan_saved", codes, plan_id=plan_id, name=name[:200], visits=len(rows))
    return plan_id


def _key(enterprise_id: str, day: object) -> str:
    return f"{enterprise_id}|{pd.Timestamp(day).date():%Y-%m-%d}"  # enterprise_visits.visit_key


def outcomes(engine: sa.Engine, frame: pd.DataFrame) -> list[dict[str, dict]]:
    """For each plan row of ``frame`` (``enterprise_id``, ``date``): its enterprises' stored visits on that day,
    enterprise id -> {outcome, members, reason, founded_on}."""
    pairs = list(zip(frame["enterprise_id"], frame["date"], strict=True))
    keys = [_key(m, d) for v, d in pairs for m in members(v)]
    found: dict[str, dict] = {}
    columns = (enterprise_visits.c.outcome, enterprise_visits.c.members, enterprise_visits.c.reason)
    with engine.connect() as conn:
        for i in range(0, len(keys), 5000):
            query = sa.select(enterprise_visits.c.visit_key, *columns, enterprise_visits.c.founded_on).where(
                enterprise_visits.c.visit_key.in_(keys[i : i + 5000])
            )
            for row in conn.execute(query):
                found[row.visit_key] = {
                    "outcome": row.outcome,
                    "members": None if row.members is None else int(row.members),
                    "reason": row.reason,
                    "founded_on": None if row.founded_on is None else str(row.founded_on)[:10],
                }
    return [{m: found[_key(m, d)] for m in members(v) if _key(m, d) in found} for v, d in pairs]


def describe(engine: sa.Engine, frame: pd.DataFrame) -> pd.DataFrame:
    """Plan rows of a visit plan with what a person reads: ``site_name`` (the enterprise, or 联合工会：… for a joint
    union), its members' names and staff, a place to go (``lat``, ``lon`` of the first with coordinates), and
    ``reported`` with the stored ``outcomes``."""
    out = frame.copy()
    ids = sorted({m for v in out["enterprise_id"] for m in members(v)})
    query = sa.select(
        enterprises.c.enterprise_id,
        enterprises.c.name,
        enterprises.c.staff,
        enterprises.c.lat,
        enterprises.c.lon,
        enterprises.c.address,
    ).where(enterprises.c.enterprise_id.in_(ids))
    with engine.connect() as conn:
        info = {r.enterprise_id: r for r in conn.execute(query).all()}
    units = [[info[m] for m in members(v) if m in info] for v in out["enterprise_id"]]
    out["member_list"] = [
        [{"id": e.enterprise_id, "name": e.name, "staff": None if e.staff is None else int(e.staff)} for e in unit]
        for unit in units
    ]
    out["site_name"] = [
        (unit[0].name if len(unit) == 1 else f"联合工会：{SEPARATOR.join(e.name for e in unit[:2])} 等{len(unit)}家")
        if unit
        else ""
        for unit in units
    ]
    placed = [next((e for e in unit if e.lat is not None and e.lon is not None), None) for unit in units]
    out["lat"] = [None if e is None else e.lat for e in placed]
    out["lon"] = [None if e is None else e.lon for e in placed]
    out["address"] = [next((e.address for e in unit if e.address), None) for unit in units]
    out["outcomes"] = outcomes(engine, out) if len(out) else []
    out["reported"] = [bool(o) for o in out["outcomes"]]
    return out
