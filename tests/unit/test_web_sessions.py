"""Staying signed in across reloads: a one-time ticket traded for an HttpOnly cookie, its token stored only as a
hash, and revoked by sign-out, by disabling the account and by any change of its role, districts or password."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.testclient import TestClient

from dashboard import cookie_routes
from dashboard.core import access
from dashboard.core.access import accounts, web_sessions
from dashboard.core.access.scope import Scope
from dashboard.core.storage.schema import web_sessions as table

BOSS = Scope.operator()


@pytest.fixture
def people(engine):
    accounts.add_user(engine, "cy", "planner", "cy-password-1", by=BOSS, districts_=("110105",))
    return engine


def signed_in(engine, name="cy"):
    """A fresh sign-in kept across reloads: (session, ticket)."""
    account = accounts.get(engine, name)
    return access.keep_signed_in(engine, accounts.start(account))


def test_a_ticket_buys_one_cookie_and_the_cookie_restores_the_session(people):
    session, ticket = signed_in(people)
    token = access.trade_ticket(people, ticket)
    assert token and access.trade_ticket(people, ticket) is None  # once only
    restored = access.restore_session(people, token)
    assert restored is not None and (restored.name, restored.web_id) == ("cy", session.web_id)
    renewed, scope, why = access.resume(people, restored)
    assert renewed is not None and scope.districts == ("110105",) and why == ""
    assert access.restore_session(people, token + "x") is None and access.restore_session(people, None) is None


def test_the_database_holds_no_token_or_ticket_in_clear(people):
    _, ticket = signed_in(people)
    token = access.trade_ticket(people, ticket)
    with people.connect() as conn:
        stored = [str(v) for row in conn.execute(sa.select(table)).all() for v in row]
    assert not any(token in v or ticket in v for v in stored)


def test_an_expired_ticket_buys_nothing(people):
    _, ticket = signed_in(people)
    with people.begin() as conn:
        conn.execute(table.update().values(ticket_expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    assert access.trade_ticket(people, ticket) is None


def test_two_requests_with_one_ticket_get_one_cookie(people):
    _, ticket = signed_in(people)
    got, start = [], threading.Barrier(4)

    def trade():
        start.wait()
        got.append(access.trade_ticket(people, ticket))

    threads = [threading.Thread(target=trade) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=30)
    assert len([t for t in got if t]) == 1


@pytest.mark.parametrize(
    "change, why",
    [
        (lambda e: accounts.set_disabled(e, "cy", True, by=BOSS), "disabled"),
        (lambda e: accounts.change_user(e, "cy", role="planner", districts_=("110108",), by=BOSS), "revoked"),
        (lambda e: accounts.change_user(e, "cy", role="leadership", districts_=(), by=BOSS), "revoked"),
        (lambda e: accounts.set_password(e, "cy", "another-password-2", by=BOSS), "revoked"),
    ],
    ids=["disabled", "districts", "role", "password"],
)
def test_a_change_to_the_account_ends_its_kept_sessions(people, change, why):
    session, ticket = signed_in(people)
    token = access.trade_ticket(people, ticket)
    change(people)
    assert access.resume(people, session)[2] == why  # the open tab, at its next click
    assert access.restore_session(people, token) is None  # and a reload


def test_sign_out_revokes_the_cookie_in_every_tab(people):
    session, ticket = signed_in(people)
    token = access.trade_ticket(people, ticket)
    other_tab = access.restore_session(people, token)
    access.sign_out(people, accounts.get(people, "cy").scope(), session)
    assert access.restore_session(people, token) is None
    assert access.resume(people, other_tab)[2] == "revoked"


def test_a_reload_after_the_idle_limit_asks_to_sign_in_again(people):
    _, ticket = signed_in(people)
    token = access.trade_ticket(people, ticket)
    long_ago = dt.datetime.now(dt.UTC) - accounts.idle_limit() - dt.timedelta(minutes=1)
    with people.begin() as conn:
        conn.execute(table.update().values(seen_at=long_ago))
    assert access.resume(people, access.restore_session(people, token))[2] == "idle"


def test_the_route_sets_an_httponly_strict_cookie_for_a_good_ticket_only(people, monkeypatch):
    monkeypatch.setattr(cookie_routes, "_engine", lambda: people)
    client = TestClient(Starlette(routes=cookie_routes.ROUTES), base_url="http://dashboard.local")
    _, ticket = signed_in(people)
    first = client.get(cookie_routes.SESSION_ROUTE, params={"ticket": ticket})
    assert first.status_code == 200 and first.headers["content-type"] == "image/gif"
    cookie = first.headers["set-cookie"]
    assert cookie.startswith(f"{web_sessions.COOKIE}=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain HTTP here; behind a TLS proxy it is Secure (next request)
    token = cookie.split(";", 1)[0].split("=", 1)[1]
    assert access.restore_session(people, token) is not None
    again = client.get(cookie_routes.SESSION_ROUTE, params={"ticket": ticket})
    assert again.status_code == 200 and "set-cookie" not in again.headers  # the same answer, no cookie
    _, second = signed_in(people)
    proxied = client.get(cookie_routes.SESSION_ROUTE, params={"ticket": second}, headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in proxied.headers["set-cookie"]
    cleared = client.get(f"{cookie_routes.SESSION_ROUTE}/clear")
    assert "Max-Age=0" in cleared.headers["set-cookie"] or "expires=" in cleared.headers["set-cookie"].lower()
