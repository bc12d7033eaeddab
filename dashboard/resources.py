"""The one place the app caches: the database engine (a resource) and query results (data).

Views call these functions and never build engines or cache by themselves. Cached reads are keyed by simple
values only; :func:`data_changed` clears them after a write (an upload) so every page shows the new data.
"""

from __future__ import annotations

import datetime as dt
import os

import streamlit as st

from dashboard.core import db, kpi


def _wants_sample(engine) -> bool:
    """Load the sample into an empty database: always for the embedded SQLite default, on request elsewhere."""
    mode = os.environ.get("OUTREACH_SAMPLE", "auto")
    if mode == "0":
        return False
    return mode == "1" or engine.dialect.name == "sqlite"


@st.cache_resource(show_spinner="正在准备数据库… / Preparing the database…")
def engine():
    """The shared engine; on first start creates the schema and, on an empty embedded database, the sample."""
    eng = db.make_engine()
    db.upgrade(eng)
    if _wants_sample(eng) and kpi.date_range(eng) == (None, None):
        from data import sample

        sample.load(eng, user="sample")
    return eng


@st.cache_data(ttl=600, show_spinner=False)
def totals(district: str | None, date_from: dt.date | None, date_to: dt.date | None) -> dict[str, int]:
    return kpi.totals(engine(), district=district, date_from=date_from, date_to=date_to)


@st.cache_data(ttl=600, show_spinner=False)
def data_range() -> tuple[dt.date | None, dt.date | None]:
    return kpi.date_range(engine())


def data_changed() -> None:
    """Call after any write: cached query results are stale."""
    st.cache_data.clear()
