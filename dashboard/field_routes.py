"""The team lead's phone page, served beside the Streamlit app: ``/field/<token>``.

Streamlit's pages live on a WebSocket: when the connection drops, what was typed is gone. A team lead at a stall
often has one bar of signal, so this page is a small static HTML page with a few lines of script of our own
(``dashboard/field/``, nothing from a CDN): it fetches the team's sessions as JSON, keeps every entry on the phone
(``localStorage``) until the server confirms it, and sends it again whenever the connection returns. The server
stores each entry through the same validated, idempotent, audited import as an upload (:func:`access.field_report`).

The token in the path is the only credential (see :mod:`dashboard.core.access.field_links`); pages are sent with
``Referrer-Policy: no-referrer`` (a tapped map link never carries it away), no caching, and a Content Security
Policy that allows only this server's own script, styles and requests.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from dashboard.cookie_routes import same_origin
from dashboard.core import access
from dashboard.core.storage import db

ASSETS = Path(__file__).parent / "field"
BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
MAX_BODY = 16 * 1024
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
}
GONE = {
    "ok": False,
    "gone": True,
    "problems": [
        {
            "zh": "这个链接已过期或已被收回。请向计划员要一个新的链接。",
            "en": "This link has expired or was revoked. Ask your planner for a new one.",
        }
    ],
}


@lru_cache(maxsize=1)
def _engine() -> sa.Engine:
    return db.make_engine()


def beijing_today() -> dt.date:
    """The day at the stall: results of a session can be entered from its day on, Beijing time."""
    return dt.datetime.now(BEIJING).date()


def _json(payload: dict, status: int = 200) -> JSONResponse:
    return JSONResponse(payload, status_code=status, headers=HEADERS)


async def page(request: Request) -> Response:
    """The page itself: static, the same for every token (the script reads its token from the address)."""
    return FileResponse(ASSETS / "index.html", media_type="text/html; charset=utf-8", headers=HEADERS)


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    kinds = {"field.js": "text/javascript; charset=utf-8", "field.css": "text/css; charset=utf-8"}
    if name not in kinds:
        return Response(status_code=404, headers=HEADERS)
    return FileResponse(ASSETS / name, media_type=kinds[name], headers={**HEADERS, "Cache-Control": "no-cache"})


async def view(request: Request) -> Response:
    """The team's sessions as JSON, or 410 when the link is no good (expired, revoked, unknown: one answer)."""
    engine = _engine()
    link = await run_in_threadpool(access.field_open, engine, request.path_params["token"])
    if link is None:
        return _json(GONE, 410)
    found = await run_in_threadpool(access.field_view, engine, link, beijing_today())
    return _json({"ok": True, **found})


async def report(request: Request) -> Response:
    """Store one entry (JSON); the answer says whether it is stored and, if not, why, in both languages."""
    if not same_origin(request) or "application/json" not in request.headers.get("content-type", ""):
        return _json({"ok": False, "problems": [{"zh": "请求被拒绝。", "en": "Request refused."}]}, 403)
    body = await request.body()
    if len(body) > MAX_BODY:
        return _json({"ok": False, "problems": [{"zh": "内容太长。", "en": "Too long."}]}, 413)
    engine = _engine()
    link = await run_in_threadpool(access.field_open, engine, request.path_params["token"])
    if link is None:
        return _json(GONE, 410)
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        payload = None
    try:
        answer = await run_in_threadpool(access.field_report, engine, link, payload, beijing_today())
    except (sa.exc.SQLAlchemyError, db.StorageProblem) as exc:
        problem = exc if isinstance(exc, db.StorageProblem) else db.explain(exc)
        return _json({"ok": False, "retry": True, "problems": [{"zh": problem.zh, "en": problem.en}]}, 503)
    return _json(answer, 200 if answer.get("ok") else 422)


ROUTES = [
    Route("/field/{token}", page),
    Route("/field-assets/{name}", asset),
    Route("/api/field/{token}", view),
    Route("/api/field/{token}/report", report, methods=["POST"]),
]
