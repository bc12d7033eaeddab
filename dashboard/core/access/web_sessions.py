"""Signed-in browsers kept across reloads and new tabs: a random token in an HttpOnly cookie, its hash in the database.

At sign-in :func:`open_session` writes a row with a one-time *ticket* (valid for :data:`TICKET_LIFETIME`), bound to
the browser that signed in: the hash of its *binding* cookie (:data:`BIND_COOKIE`, a random value the server gives
every browser on its first page, before anyone signs in). The page hands the ticket to the browser, which trades it at
the server's ``/api/session`` route (:func:`redeem`) for the cookie, and only with the same binding cookie: a ticket
someone got for their own sign-in signs no other browser in (login CSRF). The cookie is a fresh token the server sets
itself (``HttpOnly``, ``SameSite=Strict``, ``Secure`` behind TLS), so no script ever sees it. On a reload the cookie
comes back and :func:`find` turns it into the same :class:`~dashboard.core.access.accounts.Session` as before, which
:func:`~dashboard.core.access.accounts.resume` checks as always (idle and total expiry, a disabled account). Sign-out,
disabling an account and any change of its role, districts or password revoke its rows (:func:`revoke`,
:func:`revoke_user`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa

from dashboard.core.storage.db import as_utc
from dashboard.core.storage.schema import web_sessions

COOKIE = "outreach_session"
BIND_COOKIE = "outreach_bind"
TICKET_LIFETIME = dt.timedelta(minutes=2)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _usable(secret: object) -> bool:
    return isinstance(secret, str) and 0 < len(secret) <= 200


def open_session(engine: sa.Engine, name: str, via: str, started: dt.datetime, bind: str) -> tuple[int, str]:
    """A new row for a sign-in by the browser whose binding cookie is ``bind``; returns its id and the one-time ticket
    that browser trades for the cookie. Raises ValueError without a binding."""
    if not _usable(bind):
        raise ValueError("a kept sign-in needs the browser's binding cookie")
    ticket = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        key = conn.execute(
            web_sessions.insert().values(
                user_name=name,
                via=via[:16],
                started_at=started,
                seen_at=started,
                ticket_hash=_hash(ticket),
                ticket_expires_at=_now() + TICKET_LIFETIME,
                bind_hash=_hash(bind),
            )
        ).inserted_primary_key
    assert key is not None  # an insert into an autoincrement table always has one
    return int(key[0]), ticket


def redeem(engine: sa.Engine, ticket: object, bind: object) -> str | None:
    """Trade a ticket (once, before it expires, on a live row, from the browser it was handed to: ``bind`` is that
    request's binding cookie) for a new cookie token; None if it is no good."""
    if not _usable(ticket) or not isinstance(ticket, str):
        return None
    token = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        row = conn.execute(
            sa.select(
                web_sessions.c.id,
                web_sessions.c.ticket_expires_at,
                web_sessions.c.revoked_at,
                web_sessions.c.bind_hash,
            ).where(web_sessions.c.ticket_hash == _hash(ticket))
        ).first()
        if row is None or row.revoked_at is not None or as_utc(row.ticket_expires_at) < _now():
            return None
        if row.bind_hash is None or not _usable(bind) or row.bind_hash != _hash(str(bind)):
            return None
        done = conn.execute(
            web_sessions.update()
            .where(web_sessions.c.id == row.id, web_sessions.c.ticket_hash == _hash(ticket))
            .values(token_hash=_hash(token), ticket_hash=None, ticket_expires_at=None)
        )
        if done.rowcount != 1:  # traded by a concurrent request a moment ago
            return None
    return token


def find(engine: sa.Engine, token: object) -> tuple[int, str, str, dt.datetime, dt.datetime] | None:
    """(id, user name, via, started, last seen) of the live row a cookie token names, or None."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(
                web_sessions.c.id,
                web_sessions.c.user_name,
                web_sessions.c.via,
                web_sessions.c.started_at,
                web_sessions.c.seen_at,
            ).where(web_sessions.c.token_hash == _hash(token), web_sessions.c.revoked_at.is_(None))
        ).first()
    if row is None:
        return None
    return int(row.id), str(row.user_name), str(row.via), as_utc(row.started_at), as_utc(row.seen_at)


def touch(engine: sa.Engine, session_id: int, seen: dt.datetime) -> bool:
    """Record use (the idle limit counts from the last click in any tab); False when the row has been revoked.

    One statement per page view. On a read-only database the use is not recorded and the row is only read.
    """
    live = sa.and_(web_sessions.c.id == session_id, web_sessions.c.revoked_at.is_(None))
    try:
        with engine.begin() as conn:
            return conn.execute(web_sessions.update().where(live).values(seen_at=seen)).rowcount == 1
    except sa.exc.SQLAlchemyError:
        with engine.connect() as conn:
            return conn.execute(sa.select(web_sessions.c.id).where(live)).first() is not None


def revoke(engine: sa.Engine | sa.Connection, session_id: int, why: str) -> None:
    stmt = (
        web_sessions.update()
        .where(web_sessions.c.id == session_id, web_sessions.c.revoked_at.is_(None))
        .values(revoked_at=_now(), revoked_why=why[:32], ticket_hash=None)
    )
    if isinstance(engine, sa.Connection):
        engine.execute(stmt)
        return
    with engine.begin() as conn:
        conn.execute(stmt)


def revoke_user(conn: sa.Connection, name: str, why: str) -> None:
    """End every browser session of ``name`` (inside the transaction that disables or changes the account)."""
    conn.execute(
        web_sessions.update()
        .where(web_sessions.c.user_name == name, web_sessions.c.revoked_at.is_(None))
        .values(revoked_at=_now(), revoked_why=why[:32], ticket_hash=None)
    )
