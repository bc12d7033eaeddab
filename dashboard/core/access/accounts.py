"""Accounts: users with a role and districts, salted password hashes, rate-limited sign-in, expiring sessions.

Passwords are kept only as argon2id hashes (``argon2-cffi``, salted, in the PHC string format). Five failed
sign-ins for one name within 15 minutes lock that name for 15 minutes, counted in the database so every app
process sees the same count. A signed-in session ends after 30 minutes without use or 12 hours in all, and at
once when the account is disabled or its role or districts change.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

import pandas as pd
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dashboard.core.access import web_sessions
from dashboard.core.access.scope import ADMIN, PLANNER, ROLE_LABELS, Scope
from dashboard.core.geo import areas, districts, streets
from dashboard.core.storage import audit
from dashboard.core.storage.db import as_utc, lock_name
from dashboard.core.storage.schema import login_attempts, user_districts, user_streets, users
from dashboard.core.text import printable

MAX_FAILURES = 5
LOCK_WINDOW = dt.timedelta(minutes=15)
MIN_PASSWORD = 8
_NAME = re.compile(r"^[\w.@-]{2,64}$")
_hasher = PasswordHasher()
# verified against when the name is unknown, so a wrong name takes as long as a wrong password
_DUMMY = _hasher.hash("not-a-real-password")


def idle_limit() -> dt.timedelta:
    return dt.timedelta(minutes=float(os.environ.get("OUTREACH_SESSION_IDLE_MINUTES", "30")))


def absolute_limit() -> dt.timedelta:
    return dt.timedelta(hours=float(os.environ.get("OUTREACH_SESSION_HOURS", "12")))


class AccountError(ValueError):
    """A refused account change or sign-in, worded for the user in both languages."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en

    def text(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    districts: tuple[str, ...]
    disabled: bool = False
    demo: bool = False
    sso_email: str | None = None
    streets: tuple[str, ...] = ()  # a street union's planner: narrowed to these streets of their districts
    password_changed: dt.datetime | None = None  # sessions that started before it have ended

    def scope(self) -> Scope:
        if self.role != PLANNER:
            return Scope(self.name, self.role)
        return Scope(self.name, self.role, self.districts, self.streets or None)


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


def check_password(name: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 个字符。", f"A password needs at least {MIN_PASSWORD} characters.")
    if password.strip().lower() == name.strip().lower():
        raise AccountError("密码不能与用户名相同。", "The password must not be the user name.")


def _check_role(role: str, codes: tuple[str, ...]) -> tuple[str, ...]:
    if role not in ROLE_LABELS:
        raise AccountError(
            f"角色“{role}”不存在：请用 admin、leadership 或 planner。",
            f"Role {role!r} does not exist: use admin, leadership or planner.",
        )
    if role == PLANNER and not codes:
        raise AccountError(
            "计划员至少要负责一个区（--district 朝阳区）。",
            "A planner needs at least one district (--district 朝阳区).",
        )
    return codes if role == PLANNER else ()


def resolve_districts(values: Iterable[str]) -> tuple[str, ...]:
    """Adcodes for district names as people write them (朝阳区, 朝阳, Chaoyang, 110105)."""
    codes = []
    for value in values:
        code = districts.resolve(value)
        if code is None:
            raise AccountError(
                f"区“{value}”不认识。请填北京16个区之一，如 朝阳区 或 110105。",
                f"District {value!r} is not known. Use one of Beijing's 16 districts, e.g. 朝阳区 or 110105.",
            )
        codes.append(code)
    return tuple(sorted(set(codes)))


def resolve_streets(values: Iterable[str], within: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Street codes for streets as people write them (建外街道, 建外, 朝阳区建外街道, 110105001), looked up in the
    districts ``within`` first, then across the city where the name is unique."""
    codes = []
    for value in values:
        text = str(value).strip()
        home = districts.resolve(text[:3]) if len(text) > 3 else None
        tries: list[tuple[str, str | None]] = [(text[3:], home)] if home else []
        tries += [(text, d) for d in within] + [(text, None)]
        found = next((c for t, d in tries if (c := streets.resolve(t, d))), None)
        if found is None:
            raise AccountError(
                f"街道“{value}”不认识，或几个区都有这个名字。请写成“朝阳区建外街道”或9位街道代码。",
                f"Street {value!r} is not known, or several districts have it. Write it as 朝阳区建外街道 or its "
                "9-digit code.",
            )
        codes.append(found)
    return tuple(sorted(set(codes)))


def _areas(role: str, districts_: Iterable[str], streets_: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """An account's (districts, streets): a street's district is the account's too."""
    codes = resolve_districts(districts_)
    street_codes = resolve_streets(streets_, codes)
    if street_codes and role != PLANNER:
        raise AccountError("只有计划员按街道负责。", "Only planners work by street.")
    codes = tuple(sorted(set(codes) | {c[:6] for c in street_codes}))
    return _check_role(role, codes), street_codes


def get(engine: sa.Engine | sa.Connection, name: str) -> Account | None:
    def read(conn: sa.Connection) -> Account | None:
        row = conn.execute(sa.select(users).where(users.c.name == name)).mappings().first()
        if row is None:
            return None
        codes = tuple(
            sorted(
                r[0]
                for r in conn.execute(sa.select(user_districts.c.district).where(user_districts.c.user_name == name))
            )
        )
        own = tuple(
            sorted(
                r[0]
                for r in conn.execute(sa.select(user_streets.c.street_code).where(user_streets.c.user_name == name))
            )
        )
        changed = row["password_changed_at"]
        return Account(
            row["name"],
            row["role"],
            codes,
            bool(row["disabled"]),
            bool(row["demo"]),
            row["sso_email"],
            own,
            as_utc(changed) if changed is not None else None,
        )

    if isinstance(engine, sa.Connection):
        return read(engine)
    with engine.connect() as conn:
        return read(conn)


def by_sso_email(engine: sa.Engine, email: str | None) -> Account | None:
    """The account a single sign-on identity maps to (matched on its e-mail, case-insensitive)."""
    if not email:
        return None
    with engine.connect() as conn:
        name = conn.execute(
            sa.select(users.c.name).where(sa.func.lower(users.c.sso_email) == email.strip().lower())
        ).scalar()
        return get(conn, name) if name else None


def add_user(
    engine: sa.Engine,
    name: str,
    role: str,
    password: str | None,
    *,
    by: Scope,
    districts_: Iterable[str] = (),
    sso_email: str | None = None,
    demo: bool = False,
    streets_: Iterable[str] = (),
) -> Account:
    """Create an account (admin only). ``password`` may be None for an account that signs in only through SSO."""
    by.require_admin()
    name = name.strip()
    if not _NAME.fullmatch(name):
        raise AccountError(
            "用户名为 2–64 个字母、数字、汉字或 . @ _ -，不含空格。",
            "A user name is 2–64 letters, digits or . @ _ -, without spaces.",
        )
    codes, street_codes = _areas(role, districts_, streets_)
    if password is None and not sso_email:
        raise AccountError("请设置密码（或单点登录邮箱）。", "Set a password (or a single sign-on e-mail).")
    if password is not None:
        check_password(name, password)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        if conn.execute(sa.select(users.c.name).where(users.c.name == name)).first():
            raise AccountError(f"用户“{name}”已存在。", f"User {name!r} already exists.")
        conn.execute(
            users.insert().values(
                name=name,
                role=role,
                password_hash=_hasher.hash(password) if password is not None else None,
                sso_email=sso_email,
                demo=demo,
                created_at=now,
                password_changed_at=now if password else None,
            )
        )
        _write_areas(conn, name, codes, street_codes)
        audit.record(conn, by, "user_added", codes or None, user=name, role=role, streets=list(street_codes))
    return _existing(engine, name)


def change_user(
    engine: sa.Engine,
    name: str,
    *,
    by: Scope,
    role: str | None = None,
    districts_: Iterable[str] | None = None,
    streets_: Iterable[str] | None = None,
) -> Account:
    """Change an account's role, districts and/or streets (admin only); its open sessions end at their next click.

    New districts without new streets make the account whole-district again."""
    by.require_admin()
    account = _existing(engine, name)
    role = role or account.role
    if districts_ is None and streets_ is None:
        # the areas carry over within the planner role; a leader or an admin reads the whole city
        districts_, streets_ = (account.districts, account.streets) if role == PLANNER else ((), ())
    codes, street_codes = _areas(role, districts_ or (), streets_ or ())
    with engine.begin() as conn:
        conn.execute(users.update().where(users.c.name == name).values(role=role))
        _write_areas(conn, name, codes, street_codes)
        audit.record(conn, by, "user_changed", codes or None, user=name, role=role, streets=list(street_codes))
        web_sessions.revoke_user(conn, name, "changed")  # a new role or districts: sign in again everywhere
    return _existing(engine, name)


def _existing(engine: sa.Engine, name: str) -> Account:
    account = get(engine, name)
    if account is None:
        raise AccountError(f"用户“{name}”不存在。", f"There is no user {name!r}.")
    return account


def set_disabled(engine: sa.Engine, name: str, disabled: bool, *, by: Scope) -> None:
    """Disable (or re-enable) an account (admin only); a disabled account's open sessions end at once."""
    by.require_admin()
    account = _existing(engine, name)
    if disabled and name == by.user:
        raise AccountError("不能停用自己的账号。", "You cannot disable your own account.")
    with engine.begin() as conn:
        if disabled and account.role == ADMIN:
            others = conn.execute(
                sa.select(sa.func.count())
                .select_from(users)
                .where(users.c.role == ADMIN, ~users.c.disabled, users.c.name != name)
            ).scalar()
            if not others:
                raise AccountError(
                    "这是最后一个可用的管理员账号，不能停用。", "This is the last active admin; it cannot be disabled."
                )
        conn.execute(users.update().where(users.c.name == name).values(disabled=disabled))
        audit.record(conn, by, "user_disabled" if disabled else "user_enabled", user=name)
        if disabled:
            web_sessions.revoke_user(conn, name, "disabled")


def set_password(engine: sa.Engine, name: str, password: str, *, by: Scope) -> None:
    """Set a new password: an admin for anyone, every user for themselves."""
    if by.user != name:
        by.require_admin()
    _existing(engine, name)
    check_password(name, password)
    with engine.begin() as conn:
        conn.execute(
            users.update()
            .where(users.c.name == name)
            .values(password_hash=_hasher.hash(password), password_changed_at=dt.datetime.now(dt.UTC), demo=False)
        )
        audit.record(conn, by, "password_changed", user=name)
        web_sessions.revoke_user(conn, name, "password")


def _write_areas(conn: sa.Connection, name: str, codes: tuple[str, ...], street_codes: tuple[str, ...]) -> None:
    conn.execute(user_districts.delete().where(user_districts.c.user_name == name))
    conn.execute(user_streets.delete().where(user_streets.c.user_name == name))
    if codes:
        conn.execute(user_districts.insert(), [{"user_name": name, "district": c} for c in codes])
    if street_codes:
        conn.execute(user_streets.insert(), [{"user_name": name, "street_code": c} for c in street_codes])


def list_users(engine: sa.Engine) -> pd.DataFrame:
    """Every account with its districts and last sign-in (no hashes)."""
    last = (
        sa.select(login_attempts.c.name, sa.func.max(login_attempts.c.at).label("last_login"))
        .where(login_attempts.c.ok)
        .group_by(login_attempts.c.name)
        .subquery()
    )
    q = (
        sa.select(
            users.c.name,
            users.c.role,
            users.c.disabled,
            users.c.demo,
            users.c.sso_email,
            users.c.created_at,
            last.c.last_login,
        )
        .join(last, last.c.name == users.c.name, isouter=True)
        .order_by(users.c.name)
    )
    with engine.connect() as conn:
        frame = pd.DataFrame(
            conn.execute(q).mappings().all(),
            columns=["name", "role", "disabled", "demo", "sso_email", "created_at", "last_login"],
        )
        pairs = conn.execute(sa.select(user_districts.c.user_name, user_districts.c.district)).all()
        street_pairs = conn.execute(sa.select(user_streets.c.user_name, user_streets.c.street_code)).all()
    districts_of: dict[str, list[str]] = {}
    for user, code in pairs:
        districts_of.setdefault(user, []).append(code)
    streets_of: dict[str, list[str]] = {}
    for user, code in street_pairs:
        streets_of.setdefault(user, []).append(code)

    def shown(user: str) -> str:  # a district's name, or its streets' where the account is narrowed to them
        names: list[str] = []
        for code in districts_of.get(user, []):
            names += [areas.name(c) for c in streets_of.get(user, []) if c[:6] == code] or [districts.name(code)]
        return "、".join(sorted(names))

    frame.insert(2, "districts", [shown(n) for n in frame["name"]])
    # the codes behind the names, for forms that change an account (the names are what people read)
    frame["district_codes"] = [",".join(sorted(districts_of.get(n, []))) for n in frame["name"]]
    frame["street_codes"] = [",".join(sorted(streets_of.get(n, []))) for n in frame["name"]]
    return frame


# ---- signing in ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignIn:
    """The outcome of :func:`authenticate`: ``status`` is ok, bad, locked or disabled."""

    status: str
    account: Account | None = None
    retry_after: dt.timedelta | None = None
    at: dt.datetime | None = None  # when the password was checked: the session starts then

    def message(self, lang: str = "zh") -> str:
        if self.status == "locked":
            minutes = max(1, int(self.retry_after.total_seconds() // 60) + 1) if self.retry_after else 15
            return (
                f"失败次数过多，该账号已暂时锁定，请 {minutes} 分钟后再试。"
                if lang == "zh"
                else f"Too many failed attempts: this account is locked for {minutes} more minutes."
            )
        if self.status == "disabled":
            return "该账号已停用，请联系管理员。" if lang == "zh" else "This account is disabled. Ask an admin."
        if self.status == "bad":
            return "用户名或密码不正确。" if lang == "zh" else "Wrong user name or password."
        return ""


def _lock(conn: sa.Connection, name: str, now: dt.datetime) -> dt.timedelta | None:
    """How long ``name`` is still locked for, or None."""
    since = now - LOCK_WINDOW
    last_ok = conn.execute(
        sa.select(sa.func.max(login_attempts.c.at)).where(login_attempts.c.name == name, login_attempts.c.ok)
    ).scalar()
    if last_ok is not None:
        since = max(since, as_utc(last_ok))
    failures = [
        as_utc(r[0])
        for r in conn.execute(
            sa.select(login_attempts.c.at)
            .where(login_attempts.c.name == name, ~login_attempts.c.ok, login_attempts.c.at > since)
            .order_by(login_attempts.c.at.desc())
            .limit(MAX_FAILURES)
        )
    ]
    if len(failures) < MAX_FAILURES:
        return None
    return failures[-1] + LOCK_WINDOW - now


def authenticate(engine: sa.Engine, name: str, password: str, *, now: dt.datetime | None = None) -> SignIn:
    """Check a name and password, counting failures; a locked name is refused without checking the password.

    The attempt is counted before the password is checked, under a lock on the name that every app process
    shares, so parallel guesses cannot all pass the check before any is counted: at most
    :data:`MAX_FAILURES` passwords are ever checked per window.
    """
    now = _now(now)
    name = (name or "").strip()[:64]
    if not _NAME.fullmatch(name):  # no account has such a name: nothing to count or lock, and nothing odd to store
        _hasher.verify(_DUMMY, "not-a-real-password")  # the same time as a real check
        audit.record(engine, printable(name) or "?", "login_failed", reason="bad")
        return SignIn("bad")
    with engine.begin() as conn:
        lock_name(conn, "login:" + name)
        wait = _lock(conn, name, now)
        if wait is not None:
            audit.record(conn, name or "?", "login_failed", reason="locked")
            return SignIn("locked", retry_after=wait)
        # counted as a failure until the password proves right
        key = conn.execute(login_attempts.insert().values(name=name, at=now, ok=False)).inserted_primary_key
        if key is None:  # cannot happen: one row was inserted into a table with an autoincrement key
            raise RuntimeError("the new sign-in attempt has no id")
        attempt = key[0]
        stored = conn.execute(sa.select(users.c.password_hash).where(users.c.name == name)).scalar()
    try:  # outside the lock: hashing takes a while and other names need not wait for it
        ok = _hasher.verify(stored or _DUMMY, password or "") and stored is not None
    except (VerificationError, InvalidHashError):
        ok = False
    with engine.begin() as conn:
        account = get(conn, name) if stored is not None else None
        if account is not None and account.disabled:
            # the same answer whatever the password, and still a failure: a disabled account tells a guesser nothing
            audit.record(conn, name, "login_failed", reason="disabled")
            return SignIn("disabled")
        if not ok:
            account = None
        if account is None:
            audit.record(conn, name or "?", "login_failed", reason="bad")
            return SignIn("bad")
        conn.execute(login_attempts.update().where(login_attempts.c.id == attempt).values(ok=True))
        if stored is not None and _hasher.check_needs_rehash(stored):  # ok means a hash was stored
            conn.execute(users.update().where(users.c.name == name).values(password_hash=_hasher.hash(password)))
        audit.record(conn, account.scope(), "login")
    return SignIn("ok", account, at=now)


def sso_sign_in(engine: sa.Engine, email: str | None, *, now: dt.datetime | None = None) -> SignIn:
    """Map a single sign-on identity to its account; unknown or disabled identities are refused."""
    account = by_sso_email(engine, email)
    if account is None:
        audit.record(engine, (email or "?")[:64], "login_failed", reason="sso_unknown")
        return SignIn("bad")
    if account.disabled:
        return SignIn("disabled")
    now = _now(now)
    with engine.begin() as conn:
        conn.execute(login_attempts.insert().values(name=account.name, at=now, ok=True))
        audit.record(conn, account.scope(), "login", via="sso")
    return SignIn("ok", account, at=now)


@dataclass(frozen=True)
class Session:
    """A signed-in browser session: whose, and when it started and was last used."""

    name: str
    started: dt.datetime
    seen: dt.datetime
    via: str = "password"
    web_id: int | None = None  # the row that keeps this sign-in across reloads (web_sessions), when there is one


def start(account: Account, *, now: dt.datetime | None = None, via: str = "password") -> Session:
    now = _now(now)
    return Session(account.name, now, now, via)


def resume(
    engine: sa.Engine, session: Session, *, now: dt.datetime | None = None
) -> tuple[Session | None, Scope | None, str]:
    """Check a session on every page view: (renewed session, current scope, "") or (None, None, why it ended).

    The scope is read from the database each time, so disabling an account or changing its districts applies
    at the user's next click.
    """
    now = _now(now)
    if now - session.started > absolute_limit():
        return None, None, "expired"
    if now - session.seen > idle_limit():
        return None, None, "idle"
    account = get(engine, session.name)
    if account is None or account.disabled:
        return None, None, "disabled"
    if account.password_changed is not None and session.started < account.password_changed:
        # a tab whose kept row never opened (a read-only or busy database), or a sign-in checked just before the
        # change whose row opened after its revocation: the password it proved is no longer the account's
        return None, None, "revoked"
    if session.web_id is not None and not web_sessions.touch(engine, session.web_id, now):
        return None, None, "revoked"  # signed out in another tab, or the account's role or districts changed
    return replace(session, seen=now), account.scope(), ""


def keep(engine: sa.Engine, session: Session, bind: str) -> tuple[Session, str]:
    """Open the row that keeps ``session`` across reloads for the browser whose binding cookie is ``bind``; returns
    the session with its id and the one-time ticket."""
    web_id, ticket = web_sessions.open_session(engine, session.name, session.via, session.started, bind)
    return replace(session, web_id=web_id), ticket


def restore(engine: sa.Engine, token: object) -> Session | None:
    """The session a browser's cookie token names (then checked by :func:`resume` like any other), or None."""
    found = web_sessions.find(engine, token)
    if found is None:
        return None
    web_id, name, via, started, seen = found
    return Session(name, started, seen, via, web_id)


def end(engine: sa.Engine, session: Session, why: str = "signed_out") -> None:
    """Sign-out: the row is revoked, so the cookie in this browser (and its other tabs) no longer signs in."""
    if session.web_id is not None:
        web_sessions.revoke(engine, session.web_id, why)


# Published in the README so a newcomer can sign in to the sample; the login page warns while any is unchanged.
DEMO_ACCOUNTS = (
    ("admin", ADMIN, (), "demo-admin-2018"),
    ("leader", "leadership", (), "demo-leader-2018"),
    ("chaoyang", PLANNER, ("110105",), "demo-chaoyang-2018"),
    ("haidian", PLANNER, ("110108",), "demo-haidian-2018"),
    ("jianwai", PLANNER, ("110105001",), "demo-jianwai-2018"),  # a street union: 朝阳区建外街道
)


def create_demo_accounts(engine: sa.Engine) -> list[str]:
    """Create the demo accounts on a database that has no accounts yet; returns the names created."""
    with engine.connect() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(users)).scalar():
            return []
    setup = Scope("system:sample", ADMIN)
    for name, role, codes, password in DEMO_ACCOUNTS:
        add_user(
            engine,
            name,
            role,
            password,
            by=setup,
            districts_=[c for c in codes if len(c) == 6],
            streets_=[c for c in codes if len(c) == 9],
            demo=True,
        )
    return [a[0] for a in DEMO_ACCOUNTS]


def demo_accounts_in_use(engine: sa.Engine) -> list[str]:
    """Demo accounts still on their published password (enabled ones only)."""
    with engine.connect() as conn:
        return [
            r[0]
            for r in conn.execute(sa.select(users.c.name).where(users.c.demo, ~users.c.disabled).order_by(users.c.name))
        ]


def any_accounts(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(sa.select(sa.func.count()).select_from(users)).scalar())
