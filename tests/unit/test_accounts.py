"""Accounts: salted hashes, rate-limited sign-in, expiring sessions, admin-only account changes."""

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from dashboard.core.access import accounts
from dashboard.core.access.accounts import AccountError
from dashboard.core.access.scope import PermissionDenied, Scope
from dashboard.core.storage import audit
from dashboard.core.storage.schema import users

ROOT = Path(__file__).resolve().parents[2]

OPERATOR = Scope("system:test", "admin")
T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def people(engine):
    accounts.add_user(engine, "boss", "admin", "boss-password-1", by=OPERATOR)
    accounts.add_user(engine, "cy", "planner", "chaoyang-pw-1", by=OPERATOR, districts_=["朝阳区", "110108"])
    accounts.add_user(engine, "lead", "leadership", "leader-pw-12", by=OPERATOR)
    return engine


def test_passwords_are_stored_only_as_salted_argon2_hashes(people):
    accounts.add_user(people, "cy2", "planner", "chaoyang-pw-1", by=OPERATOR, districts_=["朝阳"])
    with people.connect() as conn:
        stored = dict(conn.execute(sa.select(users.c.name, users.c.password_hash)).all())
    assert stored["cy"].startswith("$argon2id$") and "chaoyang-pw-1" not in stored["cy"]
    assert stored["cy"] != stored["cy2"]  # same password, different salt


def test_the_app_hashes_at_productions_cost():
    """The suite hashes cheaply (tests/conftest.py); the app, started without it, at argon2-cffi's production
    parameters (argon2id, 64 MiB, 3 passes: RFC 9106's second recommended setting)."""
    code = (
        "from dashboard.core.access import accounts as a; h = a._hasher; "
        "print(h.type.name, h.memory_cost, h.time_cost, a._DUMMY.startswith('$argon2id$v=19$m=65536,t=3'))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["ID", "65536", "3", "True"]


def test_sign_in_gives_the_accounts_scope(people):
    result = accounts.authenticate(people, "cy", "chaoyang-pw-1")
    assert result.status == "ok"
    assert result.account.scope() == Scope("cy", "planner", ("110105", "110108"))
    assert accounts.authenticate(people, "cy", "wrong-password").status == "bad"
    assert accounts.authenticate(people, "nobody", "whatever-pw").status == "bad"  # same answer for an unknown name


def test_five_failures_lock_the_name_for_fifteen_minutes(people):
    for i in range(accounts.MAX_FAILURES):
        assert accounts.authenticate(people, "cy", f"guess-{i}", now=T0 + dt.timedelta(seconds=i)).status == "bad"
    locked = accounts.authenticate(people, "cy", "chaoyang-pw-1", now=T0 + dt.timedelta(minutes=1))
    assert locked.status == "locked" and "分钟" in locked.message("zh")  # even the right password waits
    assert accounts.authenticate(people, "cy", "chaoyang-pw-1", now=T0 + dt.timedelta(minutes=16)).status == "ok"
    # other names are not affected, and the lock is counted in the database (every app process sees it)
    assert accounts.authenticate(people, "lead", "leader-pw-12", now=T0 + dt.timedelta(minutes=1)).status == "ok"
    assert len(audit.entries(people, action="login_failed")) == accounts.MAX_FAILURES + 1


def test_parallel_guesses_check_at_most_five_passwords(people, monkeypatch):
    """20 wrong passwords for one name at once, each on its own connection: the count and the check are one step."""
    import threading

    checked = []

    class Counting:  # PasswordHasher's attributes are read-only: wrap it
        def __init__(self, inner):
            self.inner = inner

        def verify(self, stored, password):
            checked.append(password)
            return self.inner.verify(stored, password)

        def __getattr__(self, name):
            return getattr(self.inner, name)

    monkeypatch.setattr(accounts, "_hasher", Counting(accounts._hasher))
    n = 20 if people.dialect.name == "postgresql" else 6
    start = threading.Barrier(n)
    results: list[str] = []

    def guess(i):
        start.wait()
        results.append(accounts.authenticate(people, "cy", f"guess-{i}", now=T0).status)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(checked) <= accounts.MAX_FAILURES
    assert sorted(results) == ["bad"] * len(checked) + ["locked"] * (n - len(checked))
    assert accounts.authenticate(people, "cy", "chaoyang-pw-1", now=T0 + dt.timedelta(minutes=1)).status == "locked"


def test_sessions_expire_when_idle_or_old_and_end_when_the_account_is_disabled(people, monkeypatch):
    checked = accounts.authenticate(people, "cy", "chaoyang-pw-1")
    t0 = checked.at  # the session starts when the password was checked (after the account's password was set)
    session = accounts.start(checked.account, now=t0)
    renewed, scope, why = accounts.resume(people, session, now=t0 + dt.timedelta(minutes=20))
    assert scope.districts == ("110105", "110108") and why == ""
    assert accounts.resume(people, renewed, now=t0 + dt.timedelta(minutes=51))[2] == "idle"
    late = accounts.Session("cy", t0, t0 + dt.timedelta(hours=12, minutes=50))
    assert accounts.resume(people, late, now=t0 + dt.timedelta(hours=13))[2] == "expired"
    accounts.change_user(people, "cy", by=OPERATOR, districts_=["朝阳区"])
    assert accounts.resume(people, renewed, now=t0 + dt.timedelta(minutes=30))[1].districts == ("110105",)
    accounts.set_disabled(people, "cy", True, by=OPERATOR)
    assert accounts.resume(people, renewed, now=t0 + dt.timedelta(minutes=30))[2] == "disabled"
    assert accounts.authenticate(people, "cy", "chaoyang-pw-1").status == "disabled"


def test_only_admins_change_accounts_and_everyone_their_own_password(people):
    planner = Scope("cy", "planner", ("110105",))
    with pytest.raises(PermissionDenied):
        accounts.add_user(people, "x1", "admin", "some-password", by=planner)
    with pytest.raises(PermissionDenied):
        accounts.set_password(people, "lead", "taken-over-1", by=planner)
    accounts.set_password(people, "cy", "new-chaoyang-pw", by=planner)
    assert accounts.authenticate(people, "cy", "new-chaoyang-pw").status == "ok"


@pytest.mark.parametrize(
    "name, role, password, codes, fragment",
    [
        ("short", "planner", "short", ["朝阳"], "至少 8"),
        ("samepw", "admin", "SamePw", [], "至少 8"),
        ("samename", "admin", "samename", [], "不能与用户名相同"),
        ("nodistrict", "planner", "long-enough-pw", [], "至少要负责一个区"),
        ("baddistrict", "planner", "long-enough-pw", ["火星区"], "区“火星区”不认识"),
        ("has space", "admin", "long-enough-pw", [], "不含空格"),
        ("boss", "admin", "long-enough-pw", [], "已存在"),
        ("badrole", "superuser", "long-enough-pw", [], "角色"),
    ],
)
def test_bad_account_details_are_refused_with_the_fix(people, name, role, password, codes, fragment):
    with pytest.raises(AccountError) as refused:
        accounts.add_user(people, name, role, password, by=OPERATOR, districts_=codes)
    assert fragment in refused.value.zh and refused.value.en


def test_the_last_admin_cannot_be_disabled(people):
    with pytest.raises(AccountError, match="最后一个"):
        accounts.set_disabled(people, "boss", True, by=OPERATOR)
    with pytest.raises(AccountError, match="自己"):
        accounts.set_disabled(people, "boss", True, by=Scope("boss", "admin"))


def test_demo_accounts_are_created_once_and_flagged_until_their_password_changes(engine):
    assert accounts.create_demo_accounts(engine) == ["admin", "leader", "chaoyang", "haidian", "jianwai"]
    assert accounts.create_demo_accounts(engine) == []
    for name, _, _, password in accounts.DEMO_ACCOUNTS:
        assert accounts.authenticate(engine, name, password).status == "ok"
    accounts.set_password(engine, "admin", "a-private-password", by=Scope("admin", "admin"))
    assert accounts.demo_accounts_in_use(engine) == ["chaoyang", "haidian", "jianwai", "leader"]
    street = accounts.get(engine, "jianwai")
    assert street is not None and street.streets == ("110105001",) and street.districts == ("110105",)


def test_single_sign_on_maps_an_email_to_an_account(people):
    accounts.add_user(people, "sso-lead", "leadership", None, by=OPERATOR, sso_email="Lead@Union.example")
    assert accounts.sso_sign_in(people, "lead@union.example").account.name == "sso-lead"
    assert accounts.sso_sign_in(people, "stranger@example.com").status == "bad"
    assert accounts.authenticate(people, "sso-lead", "").status == "bad"  # no password to guess


def test_a_street_planner_becomes_a_leader_without_clearing_the_street_first(engine):
    accounts.add_user(engine, "jw", "planner", "jw-password-1", by=OPERATOR, streets_=["朝阳区建外街道"])
    leader = accounts.change_user(engine, "jw", by=OPERATOR, role="leadership")
    assert (leader.role, leader.districts, leader.streets) == ("leadership", (), ())
    assert leader.scope().areas is None  # the whole city
    back = accounts.change_user(engine, "jw", by=OPERATOR, role="planner", districts_=["朝阳区"])
    assert back.districts == ("110105",) and back.streets == ()
