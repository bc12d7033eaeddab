"""The one place the app caches: the database engine and the model (resources) and query results (data).

Views call these functions and never build engines or cache by themselves. Cached reads are keyed by the caller's
:class:`~dashboard.core.access.scope.Scope` (so one user never gets another's cached numbers) and simple
values (filters and :func:`version`, which changes with every upload); :func:`data_changed` clears them after a
write so every page shows the new data at once. Every read goes through :mod:`dashboard.core.access`, which enforces
the scope.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Iterator

import pandas as pd
import streamlit as st
from threadpoolctl import threadpool_limits

from dashboard.core import access
from dashboard.core.access.scope import Scope
from dashboard.core.geo import districts, maps
from dashboard.core.recommender import training
from dashboard.core.reports import periods
from dashboard.core.storage import db


def _wants_sample(engine) -> bool:
    """Load the sample into an empty database: always for the embedded SQLite default, on request elsewhere."""
    mode = os.environ.get("OUTREACH_SAMPLE", "auto")
    if mode == "0":
        return False
    return mode == "1" or engine.dialect.name == "sqlite"


@st.cache_resource(show_spinner="正在准备数据库… / Preparing the database…")
def engine():
    """The shared engine; on first start creates the schema and, on an empty embedded database, the sample."""
    maps.use_local_assets()  # class-level and idempotent: every map from now on loads vendored files only
    eng = db.make_engine()
    db.upgrade(eng)
    if _wants_sample(eng) and access.is_empty(eng):
        from data import enterprise_sample, sample

        sample.load(eng, user="sample")
        enterprise_sample.load(eng, user="sample")  # the register and its visits, for the enterprise side
    return eng


@st.cache_resource(show_spinner=False, max_entries=2)
def model(version_key: str):
    """The trained model for this data version, or None when none is trained yet (the Model page trains one)."""
    try:
        return access.load_model(engine(), retrain=False, allow_stale=True)
    except FileNotFoundError:
        return None


def _concurrent_runs() -> int:
    try:
        return max(1, int(os.environ.get("OUTREACH_CONCURRENT_RUNS", "4")))
    except ValueError:
        return 4


_SLOTS = threading.BoundedSemaphore(_concurrent_runs())


@contextlib.contextmanager
def run_slot() -> Iterator[None]:
    """Hold one of this process's page-run slots (``OUTREACH_CONCURRENT_RUNS``, 4 by default) for a page run.

    Streamlit runs every tab's page in a thread of its own, and Python runs one thread at a time. With a hundred
    tabs opening at once, a hundred runs took turns at the interpreter and queued behind each other's locks
    (Streamlit's caches, the connection pool): an app process used half a core while its tabs waited a minute
    (``bench/street_load.py --profile DIR --waits``). A few runs at a time finish in the time they need, and the
    others wait their turn without taking it from them.
    """
    with _SLOTS:
        yield


_RUN = threading.local()  # this script thread's version: read once per page run (:func:`version`)
VERSION_REUSE_S = 1.0


def version() -> str:
    """Changes with every upload and every newly saved model: the key of every cached read.

    Read once per page run: a page asks for it several times (the page, its map's frame, its reference), and each
    reading is two queries; in a storm of tabs opening, pages queued for the pool's connections more than for the
    CPU (``py-spy dump`` of an app process under ``bench/street_load.py``). :func:`new_run` (app.py, at the start
    of every run) forgets it, and so does :func:`data_changed` after a write; a fragment's run (which does not start
    in app.py) reads it again once it is more than :data:`VERSION_REUSE_S` old.
    """
    now = time.monotonic()
    known = getattr(_RUN, "version", None)
    if known is not None and now - known[1] < VERSION_REUSE_S:
        return known[0]
    value = f"{access.data_version(engine())}:{access.model_stamp()}"
    _RUN.version = (value, now)
    return value


def new_run() -> None:
    """A page run starts: the data version is read afresh (:func:`version`)."""
    _RUN.version = None


_WAKE = threading.Event()


@st.cache_resource(show_spinner=False)
def training_worker() -> threading.Thread | None:
    """One thread per app process that runs queued retrains, so no page or upload ever waits for training.

    Jobs live in the database and one runs at a time across every process (``core.recommender.training``); the
    thread belongs to the server, not to a browser tab, so closing the tab does not stop it. On start it queues a
    retrain when there is no usable model. ``OUTREACH_BACKGROUND_TRAINING=0`` turns it off (then
    ``python -m dashboard train --pending`` from cron runs the queue).
    """
    if os.environ.get("OUTREACH_BACKGROUND_TRAINING", "1") == "0":
        return None
    eng = engine()
    access.start_first_training(eng)
    poll = float(os.environ.get("OUTREACH_TRAINING_POLL_S", "5"))

    def loop() -> None:
        # Page threads predict with one OpenMP thread (dashboard/server.py); training uses every core, at a lower
        # priority than the pages. The limit belongs to this thread only (OpenMP keeps it per thread).
        training.yield_to_pages()
        with threadpool_limits(limits=len(os.sched_getaffinity(0)), user_api="openmp"):  # the cores we may use
            while True:
                try:
                    access.run_training(eng)
                except Exception:  # a broken database or disk: log, and try again on the next poll
                    logging.getLogger(__name__).exception("background training failed")
                _WAKE.wait(poll)
                _WAKE.clear()

    thread = threading.Thread(target=loop, name="outreach-training", daemon=True)
    thread.start()
    return thread


def wake_training() -> None:
    """A job was just queued: let this process's worker look now rather than at its next poll."""
    _WAKE.set()


@st.cache_data(ttl=600, show_spinner=False, max_entries=1000)
def totals(
    scope: Scope, district: str | None, date_from: dt.date | None, date_to: dt.date | None, v: str = ""
) -> dict[str, int]:
    return access.totals(engine(), scope, district, date_from, date_to)


@st.cache_data(ttl=600, show_spinner=False, max_entries=1000)
def compare(scope: Scope, district: str | None, period_key: str, as_of: dt.date | None, v: str = "") -> pd.DataFrame:
    """Headline totals of a period (named by its key) with 同比 and 环比, read up to ``as_of``."""
    return access.compare_totals(engine(), scope, periods.parse(period_key), district, as_of)


@st.cache_data(ttl=600, show_spinner=False, max_entries=1000)
def data_dates(scope: Scope, district: str | None, v: str = ""):
    """Each district's data date within the caller's area (who is behind): a small frozen object, cached."""
    return access.data_dates(engine(), scope, district)


@st.cache_data(ttl=600, show_spinner=False, max_entries=1000)
def data_range(scope: Scope, v: str = "") -> tuple[dt.date | None, dt.date | None]:
    return access.date_range(engine(), scope)


@st.cache_data(ttl=600, show_spinner=False, max_entries=1000)
def district_stats(scope: Scope, date_from, date_to, v: str) -> pd.DataFrame:
    return access.district_stats(engine(), scope, date_from, date_to)


@st.cache_data(ttl=600, show_spinner=False, max_entries=1000)
def street_stats(scope: Scope, district: str, date_from, date_to, v: str) -> pd.DataFrame:
    return access.street_stats(engine(), scope, district, date_from, date_to)


@st.cache_data(show_spinner=False, max_entries=2)
def _every_site_days(v: str):
    """Every site's worker sessions per day (``queries.SiteDays``), read once per data version for every caller:
    any period's figures are then a sum in memory. No time limit: ``v`` is in the key."""
    return access.every_site_days(engine())


@st.cache_data(show_spinner=False, max_entries=64)
def _every_site_stats(date_from, date_to, v: str) -> pd.DataFrame:
    """Every site's figures for the dates, summed from :func:`_every_site_days` for every caller (each is given only
    their own rows). The map's default period ends on each caller's last session day, so a storm of street unions
    asks for a few dozen periods: 64 kept (each a row per site), each a sum in memory rather than a query. No time
    limit: the data version ``v`` is in the key, and a shared entry that expired would hold every caller of the
    moment while one thread made it again."""
    return _every_site_days(v).stats(date_from, date_to)


def site_stats(scope: Scope, date_from, date_to, district, v: str) -> pd.DataFrame:
    """The caller's sites (of ``district`` if given), taken from the figures of every site read once: a street
    union's first page costs a filter, not a query of its own."""
    every = _every_site_stats(date_from, date_to, v)
    return access.site_stats(engine(), scope, date_from, date_to, district, every=every)


@st.cache_data(ttl=600, show_spinner=False, max_entries=1000)
def monthly(scope: Scope, date_from, date_to, district, v: str) -> pd.DataFrame:
    return access.monthly(engine(), scope, date_from, date_to, district)


@st.cache_data(ttl=600, show_spinner=False, max_entries=1000)
def site_history(scope: Scope, site_id: str, v: str) -> pd.DataFrame:
    return access.site_history(engine(), scope, site_id)


@st.cache_data(ttl=600, show_spinner=False, max_entries=1000)
def upload_history(scope: Scope, v: str) -> pd.DataFrame:
    return access.upload_history(engine(), scope)


@st.cache_data(show_spinner=False, max_entries=8)
def _every_site_outlook(day: dt.date, v: str) -> pd.DataFrame:
    """Every site's best window on ``day`` and its expected applications, predicted once for every caller (each is
    given only their own sites, :func:`site_outlook`). A site's outlook is its own row and the model's, whoever
    asks; predicting the city's 600 sites costs about what a dozen street unions' few sites cost one by one."""
    loaded = model(v)
    sites = _every_site_stats(None, None, v)
    if loaded is None or sites.empty:
        return pd.DataFrame(columns=["site_id", "best_start", "expected_applications"])
    from dashboard.core.recommender import recommend

    return recommend.stats_outlook(loaded.model, sites, day)


def site_outlook(scope: Scope, district: str | None, day: dt.date, v: str) -> pd.DataFrame:
    """Each of the caller's sites' best window on ``day`` and its expected applications (empty without a model):
    their rows of :func:`_every_site_outlook`."""
    mine = site_stats(scope, None, None, district, v)["site_id"]
    every = _every_site_outlook(day, v)
    return every[every["site_id"].isin(mine)].reset_index(drop=True)


@st.cache_resource(show_spinner=False)
def boundaries():
    """District boundaries, light enough to draw (:func:`maps.light_outlines`; a GeoDataFrame: a resource, never a
    hashed argument)."""
    return maps.light_outlines(districts.boundaries())


@st.cache_data(ttl=60, show_spinner=False, max_entries=1000)
def map_tiles(scope: Scope) -> maps.Tiles:
    """The admin's basemap preset (an admin's change clears it at once; other processes within a minute)."""
    return access.map_tiles(engine(), scope)


@st.cache_data(ttl=600, show_spinner=False, max_entries=1000)
def street_names(scope: Scope, v: str) -> pd.DataFrame:
    """The maps' reference street names: each street within the caller's areas at its sites' centre (from every
    site's rows read once, :func:`_every_site_stats`)."""
    return access.street_names(engine(), scope, every=_every_site_stats(None, None, v))


def data_changed() -> None:
    """Call after any write: cached query results and the model handle are stale."""
    new_run()
    st.cache_data.clear()
    model.clear()
    visit_model.clear()


@st.cache_resource(show_spinner=False, max_entries=2)
def _every_enterprise_frames(v: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The city's register and visits, read once per data version for every caller (each is given only their own
    rows, by the gateway). A resource, not data: 90,000 rows would be copied (unpickled) at every read; callers only
    filter them. No time limit: ``v`` is in the key."""
    return access.every_enterprise_frames(engine())


@st.cache_data(ttl=600, show_spinner=False, max_entries=64)
def pipeline(scope: Scope, district: str | None, today: dt.date, v: str) -> dict:
    """Where the enterprises of the caller's districts stand (stages, waiting longest, services), by street."""
    return access.enterprise_pipeline(engine(), scope, district, today, by="street", every=_every_enterprise_frames(v))


@st.cache_data(ttl=600, show_spinner=False, max_entries=256)
def enterprise_page(scope: Scope, enterprise_id: str, v: str) -> dict:
    return access.enterprise_page(engine(), scope, enterprise_id)


@st.cache_data(ttl=600, show_spinner=False, max_entries=16)
def service_names(scope: Scope, lang_code: str, v: str) -> dict[str, str]:
    """Service package key -> name in ``lang_code``, retired ones too (old visits name them)."""
    frame = access.service_packages(engine(), scope)
    return dict(zip(frame["key"], frame["zh" if lang_code == "zh" else "en"], strict=True))


@st.cache_data(ttl=600, show_spinner=False, max_entries=1000)
def enterprise_funnel(
    scope: Scope, district: str | None, period_key: str, as_of: dt.date | None, v: str = ""
) -> pd.DataFrame:
    return access.enterprise_funnel(
        engine(), scope, periods.parse(period_key), district, as_of, every=_every_enterprise_frames(v)
    )


@st.cache_resource(show_spinner=False, max_entries=2)
def visit_model(version_key: str):
    """The saved visit model for this data version (stale ones marked), or None; never trains."""
    return access.visit_model(engine())


@st.cache_data(ttl=600, show_spinner=False, max_entries=32)
def visit_plan(
    scope: Scope, start: dt.date, days: int, staff: int, per_day: int, district: str | None, v: str
) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    return access.plan_visits(engine(), scope, visit_model(v), start, days, staff, per_day, district)


@st.cache_data(ttl=600, show_spinner=False, max_entries=32)
def enterprise_outlook(scope: Scope, district: str | None, as_of: dt.date, v: str) -> pd.DataFrame:
    return access.enterprise_outlook(engine(), scope, visit_model(v), district, as_of)


@st.cache_data(ttl=600, show_spinner=False, max_entries=64)
def enterprise_district_rates(scope: Scope, v: str) -> pd.DataFrame:
    return access.enterprise_district_rates(engine(), scope, every=_every_enterprise_frames(v))


def warm() -> None:
    """Make what every first page needs before anyone asks (dashboard/server.py runs this in a thread as the server
    starts): the database (on a fresh install, the sample), the models, every site's figures and tomorrow's outlook,
    the city's enterprise register and visits, the district outlines (and with them the model's and the maps'
    libraries). A first visit then costs what its own scope needs; one that comes meanwhile waits for the same work
    rather than doing it twice (each cache computes a value once). Also starts the background retrainer, so a fresh
    install's first model trains from the server's start, not from its first page.

    Not streamlit-folium: a Streamlit component imported outside a page run is registered without the page's
    context, and every map then stayed empty in the browser (tests/e2e caught it)."""
    engine()
    training_worker()
    v = version()
    model(v)
    visit_model(v)
    _every_site_stats(None, None, v)
    _every_enterprise_frames(v)
    _every_site_outlook(dt.date.today() + dt.timedelta(days=1), v)
    boundaries()
