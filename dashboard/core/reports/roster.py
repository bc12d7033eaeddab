"""Rosters: a district's or a street union's staff, the team (小组) each belongs to, its lead, an optional phone.

Names and phones are personal data (个人信息保护法): the gateway lets only that area's planners and admins read,
export or change them, a person is deleted outright on request, and every change is audited by counts, never by
names. A plan assigns teams by their roster name, so the plan, its exports and the team lead's phone page say who.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from dashboard.core.geo import areas
from dashboard.core.storage.schema import team_members
from dashboard.core.text import printable

COLUMNS = ("id", "district", "street_code", "team", "name", "phone", "lead")
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,28}$")
LIMITS = {"team": 40, "name": 40, "phone": 30}


@dataclass(frozen=True)
class RosterProblem:
    """A row of an edited roster that cannot be saved: which row (1 = the first), which column, why (both
    languages)."""

    row: int
    column: str
    zh: str
    en: str


def read(engine: sa.Engine, where: areas.Where) -> pd.DataFrame:
    """The members within ``where`` (area codes: a district's whole roster, or a street union's), by team and name."""
    query = sa.select(*(team_members.c[c] for c in COLUMNS)).order_by(
        team_members.c.district, team_members.c.street_code, team_members.c.team, team_members.c.name
    )
    if (inside := areas.sql(team_members.c.district, where)) is not None:
        query = query.where(inside)
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(query).all(), columns=list(COLUMNS))
    frame["lead"] = frame["lead"].astype(bool)
    return frame


def teams(members: pd.DataFrame) -> pd.DataFrame:
    """One row per team of a roster (:func:`read`): its name, its members' names, its lead and the lead's phone."""
    if members.empty:
        return pd.DataFrame(columns=["team", "members", "lead", "phone", "size"])
    rows = []
    for team, group in members.groupby("team", sort=True):
        leads = group[group["lead"]]
        lead = leads.iloc[0] if len(leads) else None
        rows.append(
            {
                "team": team,
                "members": "、".join(group["name"]),
                "lead": None if lead is None else lead["name"],
                "phone": None if lead is None else lead["phone"],
                "size": len(group),
            }
        )
    return pd.DataFrame(rows)


def check(edited: pd.DataFrame) -> list[RosterProblem]:
    """What stops an edited roster (columns ``team, name, phone, lead``) from being saved, row by row."""
    problems: list[RosterProblem] = []
    for i, r in enumerate(edited.itertuples(index=False), start=1):
        for column, zh in (("team", "小组"), ("name", "姓名")):
            value = str(getattr(r, column) or "").strip()
            if not value:
                problems.append(RosterProblem(i, column, f"{zh}不能为空。", f"The {column} is empty."))
            elif len(value) > LIMITS[column]:
                problems.append(
                    RosterProblem(
                        i, column, f"{zh}最多 {LIMITS[column]} 个字。", f"At most {LIMITS[column]} characters."
                    )
                )
        phone = str(r.phone or "").strip() if pd.notna(r.phone) else ""
        if phone and not _PHONE.match(phone):
            problems.append(
                RosterProblem(
                    i,
                    "phone",
                    "手机号只能有数字、空格、连字符和开头的 +（例如 138 0013 8000）。",
                    "A phone number holds digits, spaces, hyphens and a leading + (e.g. 138 0013 8000).",
                )
            )
    return problems


def _clean(edited: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "team": [printable(str(v)).strip() for v in edited["team"]],
            "name": [printable(str(v)).strip() for v in edited["name"]],
            "phone": [printable(str(v)).strip() if pd.notna(v) and str(v).strip() else None for v in edited["phone"]],
            "lead": edited["lead"].fillna(False).astype(bool).to_numpy(),
        }
    )
    return out


def replace(
    engine: sa.Engine, district: str, street: str | None, edited: pd.DataFrame, by: str
) -> tuple[int, int, int]:
    """Make the roster of ``district`` (a street union's when ``street`` is given) the edited table: rows with an
    ``id`` update that member, rows without one are added, members left out are deleted. Returns (added, changed,
    deleted). Call :func:`check` first; one transaction."""
    clean = _clean(edited)
    given = edited["id"].tolist() if "id" in edited else [None] * len(edited)
    ids: list[int | None] = [None if i is None or pd.isna(i) else int(i) for i in given]
    mine = sa.and_(
        team_members.c.district == district,
        team_members.c.street_code == street if street else team_members.c.street_code.is_(None),
    )
    now = dt.datetime.now(dt.UTC)
    added = changed = 0
    with engine.begin() as conn:
        stored = {
            row.id: row
            for row in conn.execute(
                sa.select(team_members.c.id, team_members.c.team, team_members.c.name, team_members.c.phone)
                .add_columns(team_members.c.lead)
                .where(mine)
            )
        }
        kept: set[int] = set()
        for member_id, r in zip(ids, clean.itertuples(index=False), strict=True):
            phone = r.phone if isinstance(r.phone, str) and r.phone else None  # pandas may hold a blank as NaN
            values = {"team": r.team, "name": r.name, "phone": phone, "lead": bool(r.lead)}
            if member_id is not None and member_id in stored:
                kept.add(member_id)
                old = stored[member_id]
                if (old.team, old.name, old.phone, bool(old.lead)) != tuple(values.values()):
                    conn.execute(team_members.update().where(team_members.c.id == member_id).values(**values))
                    changed += 1
            else:  # new, or an id that is not this roster's: added as a new member, never touching another row
                conn.execute(
                    team_members.insert().values(
                        district=district, street_code=street, created_at=now, created_by=by[:64], **values
                    )
                )
                added += 1
        gone = sorted(set(stored) - kept)
        if gone:
            conn.execute(team_members.delete().where(team_members.c.id.in_(gone)))
    return added, changed, len(gone)
