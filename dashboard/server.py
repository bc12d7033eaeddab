"""The web server: the Streamlit app (``dashboard/app.py``) with the routes of :mod:`dashboard.cookie_routes`.

Start it with ``python -m streamlit run dashboard/server.py`` (the README's command): a reload, a bookmark or a new
tab then stays signed in. ``streamlit run dashboard/app.py`` still works, without the sign-in cookie.
"""

from __future__ import annotations

import os
import sys
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

app = st.App(
    Path(__file__).parent / "app.py",
    routes=[*ROUTES, *field_routes.ROUTES],
    middleware=[Middleware(BindingCookie)],
)
