"""The web server: the Streamlit app (``dashboard/app.py``) with the routes of :mod:`dashboard.cookie_routes`.

Start it with ``python -m streamlit run dashboard/server.py`` (the README's command): a reload, a bookmark or a new
tab then stays signed in. ``streamlit run dashboard/app.py`` still works, without the sign-in cookie.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path

# One OpenMP thread per request thread (set before scikit-learn loads its OpenMP runtime). Streamlit runs every page
# in a new thread, and each new thread that predicted with two OpenMP threads built its own worker team: a street's
# 600-row map outlook took 0.2 s of CPU instead of 0.02 s, and under load the teams' spinning filled both cores.
# The background retrainer raises the limit for its own thread (dashboard/resources.py).
os.environ.setdefault("OMP_NUM_THREADS", "1")

# `streamlit run dashboard/server.py` puts dashboard/ on the path, not the repository root that holds the packages.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

from dashboard import field_routes  # noqa: E402
from dashboard.cookie_routes import ROUTES, BindingCookie  # noqa: E402


class _OutsideAPage(logging.Filter):
    """Streamlit warns when a cache is used outside a page run ("missing ScriptRunContext"): expected of the warming
    thread, which fills the caches before any page runs; the warning stays for every other thread."""

    def filter(self, record: logging.LogRecord) -> bool:
        return threading.current_thread().name != "outreach-warm"


def _warm() -> None:
    from dashboard import resources

    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_OutsideAPage())
    try:
        resources.warm()
    except Exception:  # the first page will meet the same error and say so; the server keeps serving
        logging.getLogger("dashboard").exception("warming the caches at start failed")


@contextlib.asynccontextmanager
async def warm_on_start(_app: st.App) -> AsyncIterator[None]:
    """As the server starts, a thread makes what every first page needs (:func:`dashboard.resources.warm`): the
    first visitor does not wait for the database, the models and the shared figures (3 s before, 1.5 s target)."""
    if os.environ.get("OUTREACH_WARM_ON_START", "1") != "0":
        threading.Thread(target=_warm, name="outreach-warm", daemon=True).start()
    yield


app = st.App(
    Path(__file__).parent / "app.py",
    lifespan=warm_on_start,
    routes=[*ROUTES, *field_routes.ROUTES],
    middleware=[Middleware(BindingCookie)],
)
