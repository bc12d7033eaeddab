"""The routes the browser needs beside the Streamlit app: the sign-in cookie, set and cleared by the server.

``/api/session?ticket=…`` trades the one-time ticket a fresh sign-in hands the browser for the sign-in cookie
(``HttpOnly``, so no script can read it; ``SameSite=Strict``; ``Secure`` when the request came over TLS, directly or
through a proxy that says so). ``/api/session/clear`` removes it after sign-out. Both answer with a 1x1 image: the
page asks for them as an ``<img>``, a plain same-origin request. Mounted by :mod:`dashboard.server`.
"""

from __future__ import annotations

import base64
from functools import lru_cache

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dashboard.core import access
from dashboard.core.access import accounts, web_sessions
from dashboard.core.storage import db

SESSION_ROUTE = "/api/session"
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")  # a transparent 1x1 GIF


@lru_cache(maxsize=1)
def _engine() -> sa.Engine:
    return db.make_engine()


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "").lower() == "https"


def _pixel() -> Response:
    return Response(PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store"})


async def session_cookie(request: Request) -> Response:
    """Set the sign-in cookie for a valid ticket; any other request gets the same image and no cookie."""
    token = await run_in_threadpool(access.trade_ticket, _engine(), request.query_params.get("ticket", ""))
    response = _pixel()
    if token is not None:
        response.set_cookie(
            web_sessions.COOKIE,
            token,
            max_age=int(accounts.absolute_limit().total_seconds()),
            path="/",
            httponly=True,
            samesite="strict",
            secure=_secure(request),
        )
    return response


async def clear_cookie(request: Request) -> Response:
    response = _pixel()
    response.delete_cookie(web_sessions.COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request))
    return response


ROUTES = [Route(SESSION_ROUTE, session_cookie), Route(f"{SESSION_ROUTE}/clear", clear_cookie)]
