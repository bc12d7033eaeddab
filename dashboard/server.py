"""The web server: the Streamlit app (``dashboard/app.py``) with the routes of :mod:`dashboard.cookie_routes`.

Start it with ``python -m streamlit run dashboard/server.py`` (the README's command): a reload, a bookmark or a new
tab then stays signed in. ``streamlit run dashboard/app.py`` still works, without the sign-in cookie.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run dashboard/server.py` puts dashboard/ on the path, not the repository root that holds the packages.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard.cookie_routes import ROUTES  # noqa: E402

app = st.App(Path(__file__).parent / "app.py", routes=ROUTES)
