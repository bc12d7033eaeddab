"""The routes the browser needs beside the Streamlit app: the sign-in cookie, set and cleared by the server.

``/api/session?ticket=…`` trades the one-time ticket a fresh sign-in hands the browser for the sign-in cookie
(``HttpOnly``, so no script can read it; ``SameSite=Strict``; ``Secure`` when the request came over TLS, directly or
through a proxy that says so). ``/api/session/clear`` removes it after sign-out and revokes the kept session it named.
Both answer with a 1x1 image: the page asks for them as an ``<img>``, a plain same-origin request.

Login CSRF (another site making a victim's browser trade the attacker's own ticket, and so signing the victim in as
the attacker) is stopped twice: both routes answer only requests the browser marks as coming from this site
(``Sec-Fetch-Site: same-origin``, or a same-origin ``Origin``/``Referer`` where a browser sends no such mark), and a
ticket is bound to the browser it was handed to, through the binding cookie :class:`BindingCookie` gives every
browser on its first request (``HttpOnly``, ``SameSite=Strict``, before anyone signs in). Mounted by
:mod:`dashboard.server`.
"""

from __future__ import annotations

import base64
import secrets
from functools import lru_cache
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dashboard.core import access
from dashboard.core.access import accounts, web_sessions
from dashboard.core.storage import db

SESSION_ROUTE = "/api/session"
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")  # a transparent 1x1 GIF


@lru_cache(maxsize=1)
def _engine() -> sa.Engine:
    return db.make_engine()


def _secure(headers: Headers, scheme: str) -> bool:
    return scheme == "https" or headers.get("x-forwarded-proto", "").lower() == "https"


def _pixel() -> Response:
    return Response(PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store"})


def same_origin(request: Request) -> bool:
    """Whether the browser says this request comes from a page of this site.

    Browsers of the last years send ``Sec-Fetch-Site`` with every request; older ones send an ``Origin`` or a
    ``Referer`` that can be compared with the host (behind a proxy, the host it forwards). A request with none of
    them is not a browser's cross-site request: it is let through, and the binding cookie still holds the ticket.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return True
    host = request.headers.get("x-forwarded-host") or request.headers.get("host", "")
    return urlsplit(source).netloc.lower() == host.split(",")[0].strip().lower()


async def session_cookie(request: Request) -> Response:
    """Set the sign-in cookie for a valid ticket from the browser it was handed to; any other request gets the same
    image and no cookie."""
    response = _pixel()
    if not same_origin(request):
        return response
    token = await run_in_threadpool(
        access.trade_ticket,
        _engine(),
        request.query_params.get("ticket", ""),
        request.cookies.get(web_sessions.BIND_COOKIE),
    )
    if token is not None:
        response.set_cookie(
            web_sessions.COOKIE,
            token,
            max_age=int(accounts.absolute_limit().total_seconds()),
            path="/",
            httponly=True,
            samesite="strict",
            secure=_secure(request.headers, request.url.scheme),
        )
    return response


async def clear_cookie(request: Request) -> Response:
    """Remove the sign-in cookie, and revoke the kept session it named (a same-origin request only: another site
    cannot sign a browser out)."""
    response = _pixel()
    if not same_origin(request):
        return response
    token = request.cookies.get(web_sessions.COOKIE)
    if token:
        await run_in_threadpool(access.forget_kept_session, _engine(), token)
    secure = _secure(request.headers, request.url.scheme)
    response.delete_cookie(web_sessions.COOKIE, path="/", httponly=True, samesite="strict", secure=secure)
    return response


class BindingCookie:
    """ASGI middleware: a browser's first request gets a random binding cookie (``HttpOnly``, ``SameSite=Strict``),
    so the page it then opens can bind a sign-in's ticket to this browser (see :mod:`web_sessions`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(headers.get("cookie", ""))
        except Exception:  # a malformed Cookie header: give a fresh binding  # noqa: BLE001
            jar = SimpleCookie()
        if web_sessions.BIND_COOKIE in jar:
            await self.app(scope, receive, send)
            return
        value = secrets.token_urlsafe(32)
        secure = "; Secure" if _secure(headers, scope.get("scheme", "http")) else ""
        cookie = f"{web_sessions.BIND_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict{secure}"

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("set-cookie", cookie)
            await send(message)

        await self.app(scope, receive, send_with_cookie)


ROUTES = [Route(SESSION_ROUTE, session_cookie), Route(f"{SESSION_ROUTE}/clear", clear_cookie)]
