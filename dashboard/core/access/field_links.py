"""Team leads' links: ``/field/<token>`` opens one team's sessions of one saved plan on a phone, with no account.

Decided with the care of the sign-in cookie (see :mod:`web_sessions`): the token is 256 random bits, only its
SHA-256 is stored, it expires (by default three days after the plan's last day) and a planner of the plan's area can
revoke it. It reads that team's rows of that plan (place, time, what to expect) and reports their results through
the same validated, idempotent, audited import as an upload; nothing else, and no other team's or area's rows. A
link is something a planner sends a team lead (a message, a QR code on the printed sheet): whoever holds it can
report for that team until it expires or is revoked, which the audit log records under the link's number.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from dashboard.core.storage.db import as_utc
from dashboard.core.storage.schema import field_links, plan_rows

AFTER_PLAN = dt.timedelta(days=3)  # a link outlives the plan's last day by this much: results come in late


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Link:
    """A live link: which plan's which team, and until when."""

    id: int
    plan_id: int
    team: int
    expires_at: dt.datetime

    @property
    def user(self) -> str:
        """How the audit log names whoever used the link (storage's Actor)."""
        return f"field-link:{self.id}"

    @property
    def role(self) -> str:
        return "field"


def plan_end(engine: sa.Engine, plan_id: int) -> dt.date | None:
    with engine.connect() as conn:
        last = conn.execute(sa.select(sa.func.max(plan_rows.c.date)).where(plan_rows.c.plan_id == plan_id)).scalar()
    if last is None:
        return None
    return last if isinstance(last, dt.date) else dt.date.fromisoformat(str(last))


def create(engine: sa.Engine, plan_id: int, team: int, by: str, expires_at: dt.datetime) -> tuple[Link, str]:
    """A new link for ``team`` of ``plan_id``; returns it and the token (shown once: only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    now = _now()
    with engine.begin() as conn:
        key = conn.execute(
            field_links.insert().values(
                plan_id=plan_id,
                team=team,
                token_hash=_hash(token),
                created_at=now,
                created_by=by[:64],
                expires_at=expires_at,
            )
        ).inserted_primary_key
    assert key is not None  # an insert into an autoincrement table always has one
    return Link(int(key[0]), plan_id, team, expires_at), token


def find(engine: sa.Engine, token: object, now: dt.datetime | None = None) -> Link | None:
    """The live link a token names (not revoked, not expired), or None; records its use."""
    if not isinstance(token, str) or not 20 <= len(token) <= 200:
        return None
    now = now or _now()
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(field_links.c.id, field_links.c.plan_id, field_links.c.team, field_links.c.expires_at).where(
                field_links.c.token_hash == _hash(token), field_links.c.revoked_at.is_(None)
            )
        ).first()
    if row is None or as_utc(row.expires_at) <= now:
        return None
    try:
        with engine.begin() as conn:
            conn.execute(field_links.update().where(field_links.c.id == row.id).values(last_used_at=now))
    except sa.exc.SQLAlchemyError:  # a read-only database: the link still reads
        pass
    return Link(int(row.id), int(row.plan_id), int(row.team), as_utc(row.expires_at))


def revoke(engine: sa.Engine, link_id: int) -> bool:
    """End a link now; False when it was already revoked or does not exist."""
    with engine.begin() as conn:
        done = conn.execute(
            field_links.update()
            .where(field_links.c.id == link_id, field_links.c.revoked_at.is_(None))
            .values(revoked_at=_now())
        )
    return done.rowcount == 1


def plan_of(engine: sa.Engine, link_id: int) -> int | None:
    with engine.connect() as conn:
        found = conn.execute(sa.select(field_links.c.plan_id).where(field_links.c.id == link_id)).scalar()
    return None if found is None else int(found)


def listing(engine: sa.Engine, plan_id: int) -> pd.DataFrame:
    """The plan's links, newest first: id, team, created, by, expires, revoked, last used (no tokens: none kept)."""
    columns = ["id", "team", "created_at", "created_by", "expires_at", "revoked_at", "last_used_at"]
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(*(field_links.c[c] for c in columns))
            .where(field_links.c.plan_id == plan_id)
            .order_by(field_links.c.id.desc())
        ).all()
    frame = pd.DataFrame(rows, columns=columns)
    now = _now()
    frame["live"] = [
        r is None and as_utc(e) > now for r, e in zip(frame["revoked_at"], frame["expires_at"], strict=True)
    ]
    return frame
