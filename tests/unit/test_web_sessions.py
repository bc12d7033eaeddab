"""Staying signed in across reloads: a one-time ticket traded for an HttpOnly cookie, its token stored only as a
hash, and revoked by sign-out, by disabling the account and by any change of its role, districts or password."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.testclient import TestClient

from dashboard import cookie_routes
from dashboard.core import access
from dashboard.core.access import accounts, web_sessions
from dashboard.core.access.scope import Scope
from dashboard.core.storage.schema import web_sessions as table

BOSS = Scope.operator()
BIND = "this-browsers-binding-cookie"


@pytest.fixture
def people(engine):
    accounts.add_user(engine, "cy", "planner", "cy-password-1", by=BOSS, districts_=("110105",))
    return engine


def signed_in(engine, name="cy"):
    """A fresh sign-in kept across reloads: (session, ticket)."""
    account = accounts.get(engine, name)
    return access.keep_signed_in(engine, accounts.start(account), BIND)


def test_a_ticket_buys_one_cookie_and_the_cookie_restores_the_session(people):
    session, ticket = signed_in(people)
    token = access.trade_ticket(people, ticket, BIND)
    assert token and access.trade_ticket(people, ticket, BIND) is None  # once only
    restored = access.restore_session(people, token)
    assert restored is not None and (restored.name, restored.web_id) == ("cy", session.web_id)
    renewed, scope, why = access.resume(people, restored)
    assert renewed is not None and scope.districts == ("110105",) and why == ""
    assert access.restore_session(people, token + "x") is None and access.restore_session(people, None) is None


def test_the_database_holds_no_token_or_ticket_in_clear(people):
    _, ticket = signed_in(people)
    token = access.trade_ticket(people, ticket, BIND)
    with people.connect() as conn:
        stored = [str(v) for row in conn.execute(sa.select(table)).all() for v in row]
    assert not any(token in v or ticket in v for v in stored)


def test_an_expired_ticket_buys_nothing(people):
    _, ticket = signed_in(people)
    with people.begin() as conn:
        conn.execute(table.update().values(ticket_expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    assert access.trade_ticket(people, ticket, BIND) is None


def test_two_requests_with_one_ticket_get_one_cookie(people):
    _, ticket = signed_in(people)
    got, start = [], threading.Barrier(4)

    def trade():
        start.wait()
        got.append(access.trade_ticket(people, ticket, BIND))

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
    token = access.trade_ticket(people, ticket, BIND)
    change(people)
    assert access.resume(people, session)[2] == why  # the open tab, at its next click
    assert access.restore_session(people, token) is None  # and a reload


def test_sign_out_revokes_the_cookie_in_every_tab(people):
    session, ticket = signed_in(people)
    token = access.trade_ticket(people, ticket, BIND)
    other_tab = access.restore_session(people, token)
    access.sign_out(people, accounts.get(people, "cy").scope(), session)
    assert access.restore_session(people, token) is None
    assert access.resume(people, other_tab)[2] == "revoked"


def test_a_reload_after_the_idle_limit_asks_to_sign_in_again(people):
    _, ticket = signed_in(people)
    token = access.trade_ticket(people, ticket, BIND)
    long_ago = dt.datetime.now(dt.UTC) - accounts.idle_limit() - dt.timedelta(minutes=1)
    with people.begin() as conn:
        conn.execute(table.update().values(seen_at=long_ago))
    assert access.resume(people, access.restore_session(people, token))[2] == "idle"


def _client(engine, monkeypatch, bind=BIND):
    monkeypatch.setattr(cookie_routes, "_engine", lambda: engine)
    app = Starlette(routes=cookie_routes.ROUTES, middleware=[Middleware(cookie_routes.BindingCookie)])
    client = TestClient(app, base_url="http://dashboard.local")
    if bind:
        client.cookies.set(web_sessions.BIND_COOKIE, bind)
    return client


SAME_SITE = {"Sec-Fetch-Site": "same-origin"}


def test_the_route_sets_an_httponly_strict_cookie_for_a_good_ticket_only(people, monkeypatch):
    client = _client(people, monkeypatch)
    _, ticket = signed_in(people)
    first = client.get(cookie_routes.SESSION_ROUTE, params={"ticket": ticket}, headers=SAME_SITE)
    assert first.status_code == 200 and first.headers["content-type"] == "image/gif"
    cookie = first.headers["set-cookie"]
    assert cookie.startswith(f"{web_sessions.COOKIE}=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain HTTP here; behind a TLS proxy it is Secure (next request)
    token = cookie.split(";", 1)[0].split("=", 1)[1]
    assert access.restore_session(people, token) is not None
    again = client.get(cookie_routes.SESSION_ROUTE, params={"ticket": ticket}, headers=SAME_SITE)
    assert again.status_code == 200 and "set-cookie" not in again.headers  # the same answer, no cookie
    _, second = signed_in(people)
    proxied = client.get(
        cookie_routes.SESSION_ROUTE, params={"ticket": second}, headers={**SAME_SITE, "X-Forwarded-Proto": "https"}
    )
    assert "Secure" in proxied.headers["set-cookie"]
    client.cookies.set(web_sessions.COOKIE, token)
    cleared = client.get(f"{cookie_routes.SESSION_ROUTE}/clear", headers=SAME_SITE)
    assert "Max-Age=0" in cleared.headers["set-cookie"] or "expires=" in cleared.headers["set-cookie"].lower()
    assert access.restore_session(people, token) is None  # the row it named is revoked too


def test_a_ticket_signs_in_only_the_browser_it_was_handed_to(people, monkeypatch):
    # the attacker's own fresh ticket, traded by a victim's browser that another site navigated to the route
    _, ticket = signed_in(people)
    assert access.trade_ticket(people, ticket, "another-browser") is None
    assert access.trade_ticket(people, ticket, None) is None
    victim = _client(people, monkeypatch, bind="the-victims-browser")
    navigated = victim.get(cookie_routes.SESSION_ROUTE, params={"ticket": ticket}, headers=SAME_SITE)
    assert "set-cookie" not in navigated.headers
    assert access.trade_ticket(people, ticket, BIND)  # the browser it was handed to still can
    with pytest.raises(ValueError):
        access.keep_signed_in(people, accounts.start(accounts.get(people, "cy")), "")


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "none"},  # typed into the address bar or opened from a bookmark
        {"Referer": "https://evil.example/page"},  # a browser without Sec-Fetch-*
        {"Origin": "https://evil.example"},
    ],
    ids=["cross-site", "same-site", "none", "referer", "origin"],
)
def test_another_site_can_neither_sign_a_browser_in_nor_out(people, monkeypatch, headers):
    client = _client(people, monkeypatch)
    _, ticket = signed_in(people)
    refused = client.get(cookie_routes.SESSION_ROUTE, params={"ticket": ticket}, headers=headers)
    assert "set-cookie" not in refused.headers
    token = access.trade_ticket(people, ticket, BIND)
    client.cookies.set(web_sessions.COOKIE, token)
    kept = client.get(f"{cookie_routes.SESSION_ROUTE}/clear", headers=headers)
    assert "set-cookie" not in kept.headers and access.restore_session(people, token) is not None
    own = {"Referer": "http://dashboard.local/plan"} if "Sec-Fetch-Site" not in headers else SAME_SITE
    assert "set-cookie" in client.get(f"{cookie_routes.SESSION_ROUTE}/clear", headers=own).headers


def test_a_browser_gets_its_binding_cookie_on_its_first_request_only(people, monkeypatch):
    client = _client(people, monkeypatch, bind=None)
    first = client.get(f"{cookie_routes.SESSION_ROUTE}/clear", headers=SAME_SITE)
    bound = [c for c in first.headers.get_list("set-cookie") if c.startswith(web_sessions.BIND_COOKIE + "=")]
    assert len(bound) == 1 and "HttpOnly" in bound[0] and "SameSite=Strict" in bound[0]
    value = bound[0].split(";", 1)[0].split("=", 1)[1]
    assert len(value) >= 40
    again = client.get(f"{cookie_routes.SESSION_ROUTE}/clear", headers=SAME_SITE)
    assert not [c for c in again.headers.get_list("set-cookie") if c.startswith(web_sessions.BIND_COOKIE)]


def test_a_session_that_started_before_a_password_change_ends(people):
    # a tab whose kept row never opened: only the account's password change time can end it
    checked = accounts.authenticate(people, "cy", "cy-password-1")
    session = accounts.start(checked.account, now=checked.at)
    accounts.set_password(people, "cy", "another-password-2", by=BOSS)
    assert access.resume(people, session)[2] == "revoked"
    # a sign-in checked just before the change, whose row opened after the change revoked the others
    late = access.keep_signed_in(people, session, BIND)[0]
    assert access.resume(people, late)[2] == "revoked"
    fresh = accounts.authenticate(people, "cy", "another-password-2")
    assert access.resume(people, accounts.start(fresh.account, now=fresh.at))[2] == ""


def test_a_disabled_account_answers_the_same_whatever_the_password_and_counts_the_guess(people):
    accounts.set_disabled(people, "cy", True, by=BOSS)
    right = accounts.authenticate(people, "cy", "cy-password-1")
    wrong = accounts.authenticate(people, "cy", "a-wrong-guess")
    assert right.status == wrong.status == "disabled" and right.message("zh") == wrong.message("zh")
    for _ in range(accounts.MAX_FAILURES):
        accounts.authenticate(people, "cy", "a-wrong-guess")
    assert accounts.authenticate(people, "cy", "cy-password-1").status == "locked"  # every guess counted
