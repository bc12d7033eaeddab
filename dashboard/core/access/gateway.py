"""The scoped gateway: every read and write the dashboard and the command line make, with the caller's scope.

Each function takes the :class:`~dashboard.core.access.scope.Scope` of whoever asks and either narrows the query to
their districts or raises :class:`~dashboard.core.access.scope.PermissionDenied`. Pages and commands use only this
module for data (a test checks that), so a district filter can never be forgotten in one view.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd
import sqlalchemy as sa

from dashboard.core import export
from dashboard.core.access import accounts, field_links, web_sessions
from dashboard.core.access.scope import PermissionDenied, Scope
from dashboard.core.geo import areas, districts, maps, navigation, streets
from dashboard.core.intake import field_entry, ingest, ownership, tabular
from dashboard.core.recommender import calendar as cal
from dashboard.core.recommender import store, training, visit_store
from dashboard.core.recommender import visits as visits_model
from dashboard.core.reports import briefing, freshness, kpi, periods, pipeline, plans, queries, targets, visit_plans
from dashboard.core.reports import enterprises as enterprises_register
from dashboard.core.reports import reporting as reporting_mod
from dashboard.core.reports import roster as roster_mod
from dashboard.core.storage import audit, services, settings
from dashboard.core.storage.enterprise_tables import read_contacts
from dashboard.core.storage.site_tables import read_sites

if TYPE_CHECKING:
    from pathlib import Path

    from dashboard.core.recommender.planner import PlanRequest

__all__ = ["ImportReport", "ModelNotReady", "NotEnoughHistory", "PermissionDenied", "Scope"]
ImportReport = ingest.ImportReport
ModelNotReady = store.ModelNotReady
NotEnoughHistory = store.NotEnoughHistory
_T = TypeVar("_T")


def _refuse(engine: sa.Engine, scope: Scope, error: PermissionDenied, **detail: Any) -> PermissionDenied:
    audit.record(engine, scope, "denied", reason=error.en, reason_zh=error.zh, **detail)  # the log is read in both
    return error


def _guard(engine: sa.Engine, scope: Scope, check: Callable[[], _T], **detail: object) -> _T:
    """Run a scope check; a refusal is written to the audit log before it is raised."""
    try:
        return check()
    except PermissionDenied as error:
        raise _refuse(engine, scope, error, **detail) from None


# ---- reads ---------------------------------------------------------------------------------------------------


def data_version(engine: sa.Engine) -> str:
    """Changes with every upload (holds no data): the key cached reads are refreshed by."""
    return queries.data_version(engine)


def is_empty(engine: sa.Engine) -> bool:
    return kpi.date_range(engine) == (None, None)


def model_sites(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    """The sites (with model features) the caller may read."""
    from dashboard.core.recommender import features

    return features.load_sites(engine, scope.areas)


def totals(
    engine: sa.Engine,
    scope: Scope,
    district: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> dict[str, int]:
    where = _guard(engine, scope, lambda: scope.readable(district), what="totals", district=district)
    return kpi.totals(engine, district=where, date_from=date_from, date_to=date_to)


def compare_totals(
    engine: sa.Engine,
    scope: Scope,
    period: periods.Period,
    district: str | None = None,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """The headline totals of ``period`` beside 同比 and 环比, each district read like for like up to its own data
    date (and no later than ``as_of``): :func:`kpi.compare`."""
    where = _guard(engine, scope, lambda: scope.readable(district), what="totals", district=district)
    return kpi.compare(engine, period, where, freshness.data_dates(engine, where).up_to(as_of))


def data_dates(engine: sa.Engine, scope: Scope, district: str | None = None) -> freshness.Freshness:
    """Each district's data date within the caller's area (or the one chosen): who is behind, and by how much."""
    where = _guard(engine, scope, lambda: scope.readable(district), what="totals", district=district)
    return freshness.data_dates(engine, where)


def leader_report(
    engine: sa.Engine,
    scope: Scope,
    period: periods.Period,
    fmt: str,
    district: str | None = None,
    as_of: dt.date | None = None,
    lang: str = "zh",
) -> bytes:
    """The one-page report (``fmt`` "pdf" or "xlsx") for the caller's districts, or the one chosen; audited.

    Raises :class:`briefing.NoChineseFont` for a PDF on a machine without a Chinese font.
    """
    where = _guard(engine, scope, lambda: scope.readable(district), what="report", district=district)
    if isinstance(where, tuple) and len(where) == 1:
        where = where[0]
    # targets are the city's or one district's: a planner with several districts sees them per district only
    report = briefing.build(
        engine,
        period,
        district=where,
        as_of=as_of,
        with_targets=isinstance(where, str) or scope.districts is None,
        made_by=scope.user,
    )
    data = briefing.to_pdf(report, lang) if fmt == "pdf" else briefing.to_xlsx(report, lang)
    audit.record(engine, scope, "export", where or scope.areas, what="report", format=fmt, period=period.key)
    return data


def date_range(engine: sa.Engine, scope: Scope) -> tuple[dt.date | None, dt.date | None]:
    return kpi.date_range(engine, scope.readable())


def district_stats(
    engine: sa.Engine, scope: Scope, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> pd.DataFrame:
    """One row per district the caller may read (all 16 for admin and leadership)."""
    return queries.district_stats(engine, date_from, date_to, scope.readable())


def site_stats(
    engine: sa.Engine,
    scope: Scope,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    district: str | None = None,
    *,
    every: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per site the caller may read (of ``district`` if given): its sessions and sign-ups in the period.

    ``every``: every site's figures for the same dates (:func:`every_site_days`), read once and shared between
    callers (the dashboard caches it); the caller's rows are then taken from it by each site's stored district and
    street, as a read of their own would.
    """
    where = _guard(engine, scope, lambda: scope.readable(district), what="sites", district=district)
    if every is not None:
        return areas.keep(every, where)
    return queries.site_stats(engine, date_from, date_to, where)


def every_site_days(engine: sa.Engine) -> queries.SiteDays:
    """Every site's worker sessions per day, for no caller in particular: any period's figures of every site without
    a query (``.stats(date_from, date_to)``), shown to no one as they are, only through :func:`site_stats` and
    :func:`street_names` (``every``), which keep each caller's rows. Thousands of street unions opening their first
    page at once each need their streets' sites: read once, they cost one query instead of one each."""
    return queries.SiteDays.read(engine)


def street_stats(
    engine: sa.Engine,
    scope: Scope,
    district: str,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> pd.DataFrame:
    """One row per street of ``district`` the caller may read (all of them for the district's planners, admin and
    leadership; a street planner's own): the ranking inside a district."""
    where = _guard(engine, scope, lambda: scope.readable(district), what="streets", district=district)
    # a district asked for by a caller who holds it whole reads every street; anything narrower (a street's own code,
    # a street planner's district read as their streets) stays within what the scope allows
    whole = where == district and len(district) == 6
    return queries.street_stats(engine, district[:6], date_from, date_to, within=None if whole else where)


def plan_area(engine: sa.Engine, scope: Scope, street: str, *, neighbours: bool = False) -> tuple[str, ...]:
    """The streets a plan for ``street`` draws its sites from: the street, and with ``neighbours`` the streets next
    to it in the same district that the caller may also plan (:func:`streets.neighbours`, from the sites' and
    enterprises' locations, as no street boundaries are to hand)."""
    _guard(engine, scope, lambda: scope.readable(street), what="plan", district=street)
    if not neighbours:
        return (street,)
    home = street[:6]
    points = pd.concat(
        [
            read_sites(engine, home)[["street_code", "lat", "lon"]],
            enterprises_register.read(engine, home, only=("street_code", "lat", "lon")),
        ],
        ignore_index=True,
    )
    near = [c for c in streets.neighbours(street, points) if scope.covers_row(home, c)]
    return (street, *near)


def monthly(
    engine: sa.Engine,
    scope: Scope,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    district: str | None = None,
) -> pd.DataFrame:
    """Totals per month within the caller's area, each month marked ``complete`` when every reporting district
    has reported through its end (:func:`freshness.mark_months`)."""
    where = _guard(engine, scope, lambda: scope.readable(district), what="monthly", district=district)
    return freshness.mark_months(
        queries.monthly(engine, date_from, date_to, where), freshness.data_dates(engine, where)
    )


def site_history(engine: sa.Engine, scope: Scope, site_id: str) -> pd.DataFrame:
    stored = queries.site_area(engine, site_id)

    def check() -> None:  # a site that does not exist and one of another area get the same answer
        if stored is None or not scope.covers_row(*stored):
            raise _not_found("点位", "site")

    _guard(engine, scope, check, what="site_history", site_id=site_id)
    return queries.site_history(engine, site_id)


def upload_history(engine: sa.Engine, scope: Scope, limit: int = 200) -> pd.DataFrame:
    """Admin and leadership see every upload; a planner sees the uploads wholly within their districts."""
    return queries.upload_history(engine, limit, scope.readable())


def _target_area(engine: sa.Engine, scope: Scope, district: str | None) -> str | None:
    """The one area whose targets are read: the city (None), a district or a street, if the caller may read it."""
    if district is None and scope.districts is not None:
        raise _refuse(
            engine,
            scope,
            PermissionDenied("请先选择一个区查看目标进度。", "Choose a district to see its targets."),
            what="targets",
        )
    where = _guard(engine, scope, lambda: scope.readable(district), what="targets", district=district)
    if district is not None and not isinstance(where, str):  # a district the account holds only in part
        raise _refuse(
            engine,
            scope,
            PermissionDenied("请选择您负责的一个街道查看目标。", "Choose one of your streets to see its targets."),
            what="targets",
            district=district,
        )
    return district


def target_progress(
    engine: sa.Engine, scope: Scope, year: int, district: str | None = None, today: dt.date | None = None
) -> pd.DataFrame:
    """Progress against the targets of the city (``district=None``: not for a planner), a district or a street
    (its 9-digit code); a planner reads only their own."""
    return targets.progress(engine, year, _target_area(engine, scope, district), today=today)


def get_targets(engine: sa.Engine, scope: Scope, year: int, district: str | None = None) -> dict[str, int]:
    """The targets of the city (``district=None``: not for a planner), a district or a street."""
    return targets.get(engine, year, _target_area(engine, scope, district))


def list_plans(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    return plans.list_plans(engine, scope.readable())


def _not_found(what_zh: str, what_en: str) -> PermissionDenied:
    """One answer for "no such row" and "not yours": a refusal must not tell another district's rows exist."""
    return PermissionDenied(
        f"没有这个{what_zh}，或它不在您负责的范围内。", f"There is no such {what_en}, or it is outside your area."
    )


def _plan_in_scope(engine: sa.Engine, scope: Scope, plan_id: int) -> None:
    found = plans.plan_areas(engine, plan_id)

    def check():
        if found is None or not all(scope.covers_row(d, s) for d, s in found):
            raise _not_found("计划", "plan")

    _guard(engine, scope, check, what="plan", plan_id=plan_id)


def plan_rows(engine: sa.Engine, scope: Scope, plan_id: int) -> pd.DataFrame:
    _plan_in_scope(engine, scope, plan_id)
    return plans.rows(engine, plan_id)


def rename_plan(engine: sa.Engine, scope: Scope, plan_id: int, name: str) -> str:
    """Rename a saved plan of the caller's area (planners and admins); audited."""
    _guard(engine, scope, scope.require_write, what="plan")
    _plan_in_scope(engine, scope, plan_id)
    return plans.rename(engine, plan_id, name, user=scope)


def delete_plan(engine: sa.Engine, scope: Scope, plan_id: int) -> int:
    """Delete a saved plan of the caller's area, with its rows and links (planners and admins); audited. Uploaded
    results stay."""
    _guard(engine, scope, scope.require_write, what="plan")
    _plan_in_scope(engine, scope, plan_id)
    return plans.delete(engine, plan_id, user=scope)


def plan_review(
    engine: sa.Engine, scope: Scope, plan_id: int, today: dt.date | None = None
) -> tuple[pd.DataFrame, dict]:
    """A saved plan against its uploaded results, each row's state on ``today`` (see :func:`plans.review`)."""
    _plan_in_scope(engine, scope, plan_id)
    return plans.review(engine, plan_id, scope.areas, today)


def plans_overview(engine: sa.Engine, scope: Scope) -> dict:
    """Every saved plan the caller may read, against its uploaded results: sessions, totals, interval coverage."""
    totals = {"reported": 0, "expected": 0.0, "actual": 0, "inside": 0, "with_interval": 0}
    for plan_id in list_plans(engine, scope)["id"]:
        _plan_in_scope(engine, scope, int(plan_id))  # listed from its rows as they are now: within the caller's area
        rows, summary = plans.review(engine, int(plan_id), scope.areas)
        if not summary.get("reported"):
            continue
        totals["reported"] += summary["reported"]
        totals["expected"] += summary["expected"]
        totals["actual"] += summary["actual"]
        judged = rows["covered"].dropna()
        totals["inside"] += int(judged.astype(bool).sum())
        totals["with_interval"] += int(rows.loc[rows["actual"].notna(), "applications_low"].notna().sum())
    coverage = totals["inside"] / totals["with_interval"] if totals["with_interval"] else None
    return {**totals, "coverage": coverage}


def booked(engine: sa.Engine, scope: Scope, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Sessions of saved plans in the period (site, date and times only): what is already arranged."""
    return plans.booked(engine, first, last, scope.readable())


def read_booked(data: bytes) -> pd.DataFrame:
    """A file of sessions already arranged (site, date, times); raises ValueError with a bilingual message."""
    return plans.read_booked(data)


def plan_districts(plan: pd.DataFrame) -> set[str]:
    """The adcodes a described plan covers."""
    return plans.district_codes(plan) if len(plan) else set()


# what a model card says of the whole city's data: its counts, a hash that changes with any district's rows, and
# figures estimated from all of it
CITY_COUNTS = ("sessions", "sites_with_history", "data_hash", "published_hours_weight")


def model_card(scope: Scope, card: dict) -> dict:
    """The model's card as the caller may read it: a planner does not get the city's session and site counts."""
    if scope.districts is None:
        return card
    shown = {k: v for k, v in card.items() if k not in CITY_COUNTS}
    if "backtest" in card:
        shown["backtest"] = {k: v for k, v in card["backtest"].items() if k not in ("train_sessions", "test_sessions")}
    return shown


def load_model(engine: sa.Engine, **kwargs: Any) -> store.Loaded:
    """The trained model (a city-wide resource: it holds no rows, only what was learned from them)."""
    return store.load(engine, **kwargs)


# ---- exports: neutralised against formula injection and written to the audit log ----------------------------


def export_workbook(
    engine: sa.Engine,
    scope: Scope,
    what: str,
    sheets: dict[str, pd.DataFrame],
    districts: Iterable[str] | str | None = None,
) -> bytes:
    """An .xlsx of ``sheets`` (already read through this module, so within the caller's scope)."""
    data = export.workbook(sheets)
    audit.record(
        engine,
        scope,
        "export",
        districts or scope.areas,
        what=what,
        format="xlsx",
        rows=sum(len(f) for f in sheets.values()),
    )
    return data


def export_csv(
    engine: sa.Engine, scope: Scope, what: str, frame: pd.DataFrame, districts: Iterable[str] | str | None = None
) -> bytes:
    data = export.csv_bytes(frame)
    audit.record(engine, scope, "export", districts or scope.areas, what=what, format="csv", rows=len(frame))
    return data


def record_export(
    engine: sa.Engine,
    scope: Scope,
    what: str,
    rows: int,
    districts: Iterable[str] | str | None = None,
    **detail: object,
) -> None:
    """Audit an export written elsewhere (the command line's --out files)."""
    audit.record(engine, scope, "export", districts or scope.areas, what=what, rows=rows, **detail)


def results_template(engine: sa.Engine, scope: Scope, plan_id: int) -> pd.DataFrame:
    _plan_in_scope(engine, scope, plan_id)
    return plans.results_template(engine, plan_id)


# ---- writes --------------------------------------------------------------------------------------------------


def max_upload_mb() -> float:
    """The importer's size limit in megabytes (``OUTREACH_MAX_UPLOAD_MB``, default 20)."""
    return ingest.max_upload_bytes() / 1024 / 1024


def max_upload_rows() -> int:
    """The importer's row limit (``OUTREACH_MAX_UPLOAD_ROWS``, default 100,000)."""
    return tabular.max_upload_rows()


def import_sessions(
    engine: sa.Engine, scope: Scope, data: bytes, file_name: str, **options: Any
) -> ingest.ImportReport:
    """Validate and import a sessions file as ``scope``: rows of another district refuse the whole file."""
    if not options.get("dry_run"):
        _guard(engine, scope, scope.require_write, what="import", file=file_name)
    return ingest.import_sessions(engine, data, file_name, user=scope, allowed=scope.areas, **options)


def import_sites(engine: sa.Engine, scope: Scope, data: bytes, file_name: str, **options: Any) -> ingest.ImportReport:
    if not options.get("dry_run"):
        _guard(engine, scope, scope.require_write, what="import", file=file_name)
    return ingest.import_sites(engine, data, file_name, user=scope, allowed=scope.areas, **options)


def import_enterprises(
    engine: sa.Engine, scope: Scope, data: bytes, file_name: str, **options: Any
) -> ingest.ImportReport:
    """An enterprise register file, within the caller's districts (a planner's file naming another district's
    enterprise is refused whole)."""
    if not options.get("dry_run"):
        _guard(engine, scope, scope.require_write, what="import", file=file_name)
    return ingest.import_enterprises(engine, data, file_name, user=scope, allowed=scope.areas, **options)


def import_visits(engine: sa.Engine, scope: Scope, data: bytes, file_name: str, **options: Any) -> ingest.ImportReport:
    """What came of enterprise visits, within the caller's districts: an id naming another district's enterprise
    (or session) gets the answer a missing one gets, and refuses the whole file."""
    if not options.get("dry_run"):
        _guard(engine, scope, scope.require_write, what="import", file=file_name)
    return ingest.import_visits(engine, data, file_name, user=scope, allowed=scope.areas, **options)


def enterprise_register(engine: sa.Engine, scope: Scope, district: str | None = None) -> pd.DataFrame:
    """The register within the caller's districts. The head's name and contact (personal data) only for those who
    work the district (its planners and admins), never for leadership."""
    where = _guard(engine, scope, lambda: scope.readable(district), what="enterprises", district=district)
    return enterprises_register.read(engine, where, with_contacts=scope.can_write)


def forget_contacts(engine: sa.Engine, scope: Scope, enterprise_ids: Iterable[str]) -> int:
    """Delete the head's name and contact of these enterprises (个人信息保护法: personal data is deletable); the
    enterprises stay. Every id must name an enterprise within the caller's districts."""
    ids = sorted({str(i) for i in enterprise_ids})
    found = enterprises_register.areas_of(engine, ids)

    def check() -> None:
        scope.require_write()
        if set(ids) - set(found) or not all(scope.covers_row(d, s) for d, s in found.values()):
            raise _not_found("企业", "enterprise")

    _guard(engine, scope, check, what="forget_contacts", ids=ids[:20])
    removed = enterprises_register.forget_contacts(engine, ids)
    audit.record(engine, scope, "forget_contacts", areas.touched(found.values()), enterprises=len(ids), removed=removed)
    return removed


def record_area(engine: sa.Engine, scope: Scope, kind: str, key: str) -> tuple[str, str | None] | None:
    """Where a site or an enterprise is registered (admin): what an administrator checks before a move."""
    _guard(engine, scope, scope.require_admin, what="record_area", kind=kind)
    return ownership.where(engine, kind, key)


def move_record(
    engine: sa.Engine, scope: Scope, kind: str, key: str, district: str, street: str | None = None
) -> ownership.Move:
    """Move a site or an enterprise, and the rows that follow it, to another district or street (admin, audited).

    The way out when one area registered a key that is another's: the importer tells the other area only that the
    key is taken and that an administrator resolves it. Raises LookupError (no such record) or ValueError (an
    unknown district or street).
    """
    _guard(engine, scope, scope.require_admin, what="move", kind=kind, key=str(key)[:60])
    moved = ownership.move(engine, kind, key, district, street)
    audit.record(
        engine,
        scope,
        "moved",
        moved.codes(),
        kind=kind,
        key=moved.key,
        before=areas.finest(*moved.before),
        after=areas.finest(*moved.after),
        rows=moved.followed,
    )
    return moved


def service_packages(engine: sa.Engine, scope: Scope, *, active_only: bool = False) -> pd.DataFrame:
    """The list of service packages (服务包): everyone reads it."""
    return services.read(engine, active_only=active_only)


def add_service(engine: sa.Engine, scope: Scope, zh: str, en: str) -> str:
    """Add a service package (admin); returns its key. Raises ValueError for a name files could not carry."""
    _guard(engine, scope, scope.require_admin, what="service_packages")
    with engine.begin() as conn:
        key = services.add(conn, zh, en)
        audit.record(conn, scope, "service_add", key=key, zh=zh, en=en)
    return key


def update_service(
    engine: sa.Engine,
    scope: Scope,
    key: str,
    *,
    zh: str | None = None,
    en: str | None = None,
    active: bool | None = None,
) -> None:
    """Rename, retire or restore a service package (admin). Raises KeyError for no such package."""
    _guard(engine, scope, scope.require_admin, what="service_packages")
    try:
        with engine.begin() as conn:
            services.update(conn, key, zh=zh, en=en, active=active)
            audit.record(conn, scope, "service_change", key=key, zh=zh, en=en, active=active)
    except sa.exc.IntegrityError:
        raise ValueError(f"{zh} is already in the list") from None


def map_tiles(engine: sa.Engine, scope: Scope) -> maps.Tiles:
    """The basemap every map draws (the admin's preset): everyone reads it. None set, or a stored value that fails
    the rules: no basemap (the maps draw their reference layer alone)."""
    with engine.connect() as conn:
        return maps.Tiles.from_json(settings.read(conn, "map_tiles"))


def set_map_tiles(
    engine: sa.Engine,
    scope: Scope,
    kind: str | None,
    *,
    url: str | None = None,
    key: str | None = None,
    attribution: str | None = None,
    subdomains: str | None = None,
) -> maps.Tiles:
    """Set (or with ``kind`` "none", clear) the basemap every map draws (admin). Raises
    :class:`maps.TileSettingError` for a key or URL template that fails the rules; audited, the 天地图 key by its
    last four characters only."""
    _guard(engine, scope, scope.require_admin, what="map_tiles")
    tiles = maps.checked_tiles(kind, url=url, attribution=attribution, key=key, subdomains=subdomains)
    with engine.begin() as conn:
        settings.write(conn, "map_tiles", None if tiles.kind == "none" else tiles.to_json())
        audit.record(
            conn,
            scope,
            "map_tiles",
            kind=tiles.kind,
            url=tiles.url,
            tk=f"…{tiles.key[-4:]}" if tiles.key else None,
            attribution=tiles.attribution,
        )
    return tiles


def street_names(engine: sa.Engine, scope: Scope, *, every: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each street's name at its sites' centre (``code``, ``name``, ``lat``, ``lon``), within the caller's areas:
    the maps' reference layer (there are no street boundaries to draw).

    ``every``: every site's rows read once and shared between callers (:func:`every_site_days`); the caller's are
    taken from it by each site's stored district and street, as a read of their own would."""
    where = scope.readable()
    found = read_sites(engine, where) if every is None else areas.keep(every, where)
    centre = streets.centres(found[["street_code", "lat", "lon"]])
    return centre.reset_index(names="code").assign(name=lambda f: f["code"].map(streets.name))[
        ["code", "name", "lat", "lon"]
    ]


def enterprise_pipeline(
    engine: sa.Engine,
    scope: Scope,
    district: str | None = None,
    today: dt.date | None = None,
    by: str | None = None,
    *,
    every: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> dict:
    """Where the enterprises of the caller's districts (or the one chosen) stand (:func:`pipeline.summary`).

    No personal data: the register is read without the heads' names and contacts. ``every``: the city's frames read
    once and shared (:func:`every_enterprise_frames`), the caller's rows taken from them.
    """
    where = _guard(engine, scope, lambda: scope.readable(district), what="pipeline", district=district)
    shown = ("enterprise_id", "name", "district", "street", "staff", "union_status")  # what the page shows
    register, visits = _register_and_visits(engine, where, shown, every)
    return pipeline.summary(register, visits, today or dt.date.today(), by=by)


CITY_REGISTER = ("enterprise_id", "name", "district", "street", "street_code", "staff", "union_status")


def every_enterprise_frames(engine: sa.Engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The whole city's register (:data:`CITY_REGISTER` columns, no personal data) and visits, for no caller in
    particular: shown to no one as they are, only through :func:`enterprise_pipeline`, :func:`enterprise_funnel` and
    :func:`enterprise_district_rates` (``every``), which keep each caller's rows. Read once, the city's 90,000
    enterprises cost one read instead of one per page and per city-wide reader (1 s each)."""
    return enterprises_register.read(engine, None, only=CITY_REGISTER), pipeline.read_visits(engine, None)


def _register_and_visits(
    engine: sa.Engine,
    where: str | tuple[str, ...] | None,
    columns: tuple[str, ...],
    every: tuple[pd.DataFrame, pd.DataFrame] | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The register (``columns``) and visits within ``where``: from ``every`` (:func:`every_enterprise_frames`) by
    each row's stored district and street, else read."""
    if every is None:
        return enterprises_register.read(engine, where, only=columns), pipeline.read_visits(engine, where)
    register, visits = every
    return areas.keep(register, where)[list(columns)], areas.keep(visits, where)


def enterprise_page(engine: sa.Engine, scope: Scope, enterprise_id: str) -> dict:
    """One enterprise (with its head and contact for those who work its district) and its visits, newest first.

    An enterprise outside the caller's districts is answered as one that does not exist.
    """
    stored = enterprises_register.areas_of(engine, [enterprise_id]).get(enterprise_id)

    def check() -> None:
        if stored is None or not scope.covers_row(*stored):
            raise _not_found("企业", "enterprise")

    _guard(engine, scope, check, what="enterprise", id=enterprise_id[:40])
    assert stored is not None  # check() refused otherwise
    frame = enterprises_register.read(engine, stored[0], with_contacts=scope.can_write, ids=[enterprise_id])
    row = frame.iloc[0].to_dict()
    return {"enterprise": row, "history": pipeline.history(engine, enterprise_id)}


def enterprise_funnel(
    engine: sa.Engine,
    scope: Scope,
    period: periods.Period,
    district: str | None = None,
    as_of: dt.date | None = None,
    *,
    every: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """The enterprise funnel of ``period`` beside the same days a year before and the period before (同比, 环比).

    One row per measure of :func:`pipeline.funnel`, with the columns of :func:`kpi.compare`. ``every``: as for
    :func:`enterprise_pipeline`.
    """
    where = _guard(engine, scope, lambda: scope.readable(district), what="funnel", district=district)
    register, visits = _register_and_visits(engine, where, ("enterprise_id", "staff"), every)
    return pipeline.compare(register, visits, periods.compare(period, as_of))


def visit_model(engine: sa.Engine, directory: Path | None = None) -> visit_store.LoadedVisits | None:
    """The saved visit model (stale ones too, marked), or None; never trains (holds no rows: no scope)."""
    return visit_store.load(engine, directory)


def enterprise_outlook(
    engine: sa.Engine,
    scope: Scope,
    loaded: visit_store.LoadedVisits | None,
    district: str | None = None,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """The unionless enterprises of the caller's districts (or the one chosen) with the model's expected members
    of a visit (:func:`visit_store.outlook`), highest first; no personal data."""
    where = _guard(engine, scope, lambda: scope.readable(district), what="enterprises", district=district)
    register, history = _enterprise_frames(engine, scope, where)
    frame = visit_store.outlook(loaded, register, history, as_of or dt.date.today())
    return areas.keep(frame, where)


def _enterprise_frames(engine: sa.Engine, scope: Scope, where: areas.Where) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The register and visits the enterprise model reads for this caller: the whole city for a caller who reads it,
    else the caller's area only, so that no figure shown (unions founded nearby, join rates) counts another area's
    rows. The model itself is trained on the city: it holds coefficients, not rows."""
    register, history = visit_store.frames(engine)
    if scope.areas is None:
        return register, history
    register = areas.keep(register, where if where is not None else scope.areas)
    known = set(register["enterprise_id"].astype(str))
    history = history[history["enterprise_id"].astype(str).isin(known)].reset_index(drop=True)
    return register, history


def enterprise_district_rates(
    engine: sa.Engine, scope: Scope, *, every: tuple[pd.DataFrame, pd.DataFrame] | None = None
) -> pd.DataFrame:
    """Per district the caller may read: registered enterprises, with a union, contacted, founded after visits,
    and 建会率 (the share with a union). ``every``: as for :func:`enterprise_pipeline`."""
    where = scope.readable()
    register, visits = _register_and_visits(engine, where, ("enterprise_id", "district", "union_status"), every)
    return pipeline.district_rates(register, visits)


def plan_visits(
    engine: sa.Engine,
    scope: Scope,
    loaded: visit_store.LoadedVisits | None,
    start: dt.date,
    days: int,
    staff: int,
    per_day: int = 4,
    district: str | None = None,
) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Enterprise visits for ``staff`` people over ``days`` days from ``start`` (planners and admins), within the
    caller's districts or the one chosen; with the messages to show beside the plan (Chinese, English).

    ``loaded`` is the saved visit model (:func:`visit_store.load`); without one the plan ranks by the model's
    transparent prior (staff and the base rate) and says so. Never trains.
    """
    where = _guard(engine, scope, lambda: scope.readable(district), what="visits", district=district)
    _guard(engine, scope, lambda: scope.require_write([district] if district else ()), what="visits")
    if not 1 <= staff <= 500 or not 1 <= days <= 92 or not 1 <= per_day <= 12:
        raise ValueError("staff 1-500, days 1-92, visits a day 1-12")
    if not dt.date(2000, 1, 1) <= start <= dt.date(2100, 12, 31):
        raise ValueError("the first day must lie between 2000 and 2100")
    register, history = _enterprise_frames(engine, scope, where)
    messages: list[tuple[str, str]] = []
    model = loaded.model if loaded is not None else None
    if model is None:
        model = visits_model.VisitModel()  # unfitted: the prior (a logistic curve in staff), never a training
        messages.append(
            (
                "企业走访模型还没有训练好（后台训练中），本计划按员工规模和总体建会率估计。",
                "The visit model is not trained yet (training runs in the background); this plan ranks by staff "
                "and the overall founding rate.",
            )
        )
    elif loaded is not None and loaded.stale:
        messages.append(
            (
                "企业走访模型训练于最近一次导入之前，后台正在重新训练；计划仍可使用。",
                "The visit model predates the latest import and is being retrained in the background; the plan stands.",
            )
        )
    if model.uses_prior and loaded is not None:
        messages.append(
            (
                "沟通记录还太少（建会不足 30 家），本计划按员工规模和总体建会率估计。",
                "Too few visits on record (fewer than 30 foundings): this plan ranks by staff and the overall "
                "founding rate.",
            )
        )
    overrides = cal.load_overrides(engine)
    plan = visits_model.plan(register, history, model, start, days, staff, per_day, district=where, overrides=overrides)
    held = dict(plan.attrs.get("held_back", {}))
    referrals = dict(plan.attrs.get("referrals", {}))
    if referrals:
        codes = sorted(referrals)
        shown = "、".join(codes[:10]) + ("…" if len(codes) > 10 else "")
        n = sum(referrals.values())
        messages.append(
            (
                f"{n:,} 家分支机构由总部统一安排，其总部不在本次计划范围内（总部统一社会信用代码：{shown}）："
                "未安排走访这些分支机构，请与总部所在地的工会联系。",
                f"{n:,} branches are decided for by head offices outside this plan ({shown.replace('、', ', ')}): "
                "they are not visited; contact the union where the head office is.",
            )
        )
    plan = _with_heads(engine, plan)
    if held:
        why = visits_model.decline_reasons
        parts_zh = [f"“{why.label(k)}” {n:,} 家（{why.RULES[k][0]}）" for k, n in held.items()]
        parts_en = [f"'{why.label(k, 'en')}' {n:,} ({why.RULES[k][1]})" for k, n in held.items()]
        messages.append(
            (
                "按上次暂不建会的原因，以下企业未列入计划：" + "；".join(parts_zh) + "。",
                "Left out by the reason of their last decline: " + "; ".join(parts_en) + ".",
            )
        )
    audit.record(engine, scope, "plan", where or scope.areas, what="visits", rows=len(plan), start=str(start))
    return plan, messages


def _with_heads(engine: sa.Engine, plan: pd.DataFrame) -> pd.DataFrame:
    """The plan with each enterprise's head and contact (a joint group's first member's): personal data, read only
    for a plan within the caller's own area, which is what :func:`plan_visits` makes."""
    if plan.empty:
        return plan.assign(head_name=pd.Series(dtype=object), contact=pd.Series(dtype=object))
    first = plan["first_id"].astype(str)  # the planned enterprise's own id, from the register the caller reads
    found = read_contacts(engine, sorted(set(first)))
    return plan.assign(
        head_name=first.map(lambda k: found.get(k, (None, None))[0]),
        contact=first.map(lambda k: found.get(k, (None, None))[1]),
    )


def recommend(
    engine: sa.Engine,
    scope: Scope,
    request: PlanRequest,
    loaded: store.Loaded | None = None,
    team_names: Iterable[str] = (),
) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """A plan for ``request`` within the caller's districts (planners and admins only). ``team_names`` (the
    roster's teams, as many as ``request.teams``) name the plan's teams 1, 2, ... in order (``team_name``)."""
    from dashboard.core.recommender import recommend as rec

    _guard(engine, scope, scope.require_write, what="plan")
    if request.district:
        wanted = [request.district] if isinstance(request.district, str) else list(request.district)
        narrowed = _guard(
            engine, scope, lambda: [scope.readable(c) for c in wanted], what="plan", district=request.district
        )
        # a district the account holds only in part reads as its streets
        codes = [c for found in narrowed for c in ((found,) if isinstance(found, str) else found or ())]
        request.district = codes[0] if len(codes) == 1 else tuple(codes)
    elif scope.areas is not None:
        request.district = scope.areas
    if loaded is None:
        loaded = _model_or_queue(engine)
    result = rec.recommend(engine, request, loaded)
    names = [str(n) for n in team_names]
    if names and len(result[0]):
        plan = result[0]
        plan["team_name"] = [names[t - 1] if 0 < t <= len(names) else None for t in plan["team"].astype(int)]
    audit.record(
        engine,
        scope,
        "plan",
        request.district if request.district else None,
        start=request.start,
        days=request.days,
        teams=request.teams,
        sessions=len(result[0]),
    )
    return result


def _model_or_queue(engine: sa.Engine) -> store.Loaded:
    """The saved stall model; without one, a retrain is queued (when the history allows one) and
    :class:`store.ModelNotReady` says what to do. A request never trains."""
    try:
        return store.load(engine, retrain=False, allow_stale=True)
    except FileNotFoundError:
        pass
    if not store.can_train(engine):
        raise store.ModelNotReady(
            f"还没有足够的历史记录来训练推荐模型（至少需要 {store.MIN_SESSIONS} 场职工沟通会）。请先导入场次记录。",
            f"There is not enough history to train the recommender yet (at least {store.MIN_SESSIONS} worker "
            "sessions). Import session records first.",
        )
    start_first_training(engine)
    raise store.ModelNotReady(
        "推荐模型还没有训练好，已排队训练：服务器的后台任务会自动运行（约几分钟），完成后再生成计划。",
        "The recommender is not trained yet; a training is queued: the server's background worker runs it (a few "
        "minutes). Plan again when it is done.",
    )


def save_plan(engine: sa.Engine, scope: Scope, plan: pd.DataFrame, name: str, request: dict) -> int:
    """Save a plan; scope is checked on its sites' stored districts as well as on the districts it names."""
    plans.check_plan(plan)
    stored = plans.site_areas(engine, plan["site_id"]) if "site_id" in plan else {}

    def check():
        scope.require_write(plans.district_codes(plan))  # the districts the plan names: the caller's own words
        if not all(scope.covers_row(d, s) for d, s in stored.values()):
            raise _not_found("点位", "site")

    _guard(engine, scope, check, what="plan_saved")
    return plans.save(engine, plan, name, request, user=scope)


def set_done(engine: sa.Engine, scope: Scope, row_ids_done: dict[int, bool], today: dt.date | None = None) -> int:
    """Tick saved plan rows off (or on again); every row must exist and lie within the caller's districts. A
    session whose day has not come is not ticked: returns how many such ticks were refused."""
    found = plans.row_areas(engine, row_ids_done)

    def check():
        scope.require_write()
        if {int(i) for i in row_ids_done} - set(found) or not all(scope.covers_row(d, s) for d, s in found.values()):
            raise _not_found("场次", "plan session")

    _guard(engine, scope, check, what="plan_done", rows=sorted(int(i) for i in row_ids_done)[:20])
    refused = plans.set_done(engine, row_ids_done, today)
    audit.record(engine, scope, "plan_done", areas.touched(found.values()), rows=len(row_ids_done))
    return refused


def set_targets(engine: sa.Engine, scope: Scope, year: int, values: dict, district: str | None = None) -> None:
    """Set the targets of the city or a district (admins), or of a street: admins, and the planners of its whole
    district, who share their district's targets out among its streets."""
    if district is not None and streets.district_of(district) is None and district not in districts.BY_ADCODE:
        raise ValueError(f"unknown district or street code {district!r}")

    def check() -> None:
        if district is not None and len(district) == 9 and scope.role == "planner":
            whole = scope.covers(district[:6]) and not scope.streets_in(district[:6])
            if whole:
                return
            raise PermissionDenied(
                "只有管理员和负责全区的计划员可以设置街道目标。",
                "Only admins and the planners of the whole district can set a street's targets.",
            )
        scope.require_admin()

    _guard(engine, scope, check, what="targets", district=district)
    targets.set_targets(engine, year, values, district, user=scope)


def set_calendar_day(
    engine: sa.Engine, scope: Scope, day: dt.date, day_type: str | None, note: str | None = None
) -> None:
    _guard(engine, scope, scope.require_admin, what="calendar")
    cal.set_override(engine, day, day_type, note=note, user=scope)


def calendar_overrides(engine: sa.Engine, scope: Scope) -> dict[dt.date, str]:
    return cal.load_overrides(engine)


def retrain(engine: sa.Engine, scope: Scope, **kwargs: Any) -> training.Trained:
    """Retrain both models now (admins, from the command line: ``python -m dashboard train``); each the data can
    support. Raises :class:`store.NotEnoughHistory` when neither can be trained."""
    _guard(engine, scope, scope.require_admin, what="retrain")
    trained = training.train_all(engine, **kwargs)
    data = trained.stall.card.get("data") if trained.stall is not None else None
    audit.record(engine, scope, "retrain", data=data, visits=trained.visits is not None)
    return trained


def retrain_after_import(engine: sa.Engine, scope: Scope, report: ImportReport) -> training.Job | None:
    """New results change what the models should know: queue a retrain after an import that wrote sessions,
    enterprises or visits (a sites file changes no model). One behaviour for the Upload page and the command line;
    the app's background worker or ``python -m dashboard train --pending`` runs the queue. Returns the job."""
    if report.kind == "sites" or report.status != "written" or not (report.inserted or report.updated):
        return None
    return request_retrain(engine, scope, "import")


def request_retrain(engine: sa.Engine, scope: Scope, reason: str) -> training.Job:
    """Queue a background retrain (milliseconds; the current model stays in use until the new one is saved).

    An admin may ask at any time; a planner's import asks by itself (``reason="import"``).
    """
    _guard(engine, scope, scope.require_write if reason == "import" else scope.require_admin, what="retrain")
    job = training.request(engine, scope.user, reason)
    audit.record(engine, scope, "retrain", reason=reason, job=job.id)
    return job


def training_status(engine: sa.Engine, scope: Scope) -> training.Job | None:
    """The queued or running retrain every page mentions (it holds no rows: anyone signed in may read it)."""
    return training.current(engine)


def last_training(engine: sa.Engine, scope: Scope) -> training.Job | None:
    """How the most recent retrain ended; the error text only for admins (it may name server paths)."""
    job = training.latest(engine)
    if job is not None and job.error and not scope.is_admin:
        job = dataclasses.replace(job, error=None)
    return job


def start_first_training(engine: sa.Engine) -> training.Job | None:
    """On start: queue a retrain when there is no usable model and none is queued (the server's own request)."""
    problem = store.needs_training(engine) if store.can_train(engine) else None
    if problem is None and not enterprises_register.is_empty(engine):
        problem = visit_store.needs_training(engine)  # a register with no visit model yet (an older install)
    if problem is None or training.current(engine) is not None:
        return None
    try:
        return training.request(engine, "system", "stale" if problem == store.STALE_DATA else "first_start")
    except sa.exc.SQLAlchemyError:  # a read-only database: pages say there is no model, nothing else breaks
        return None


def run_training(engine: sa.Engine) -> list[training.Job]:
    """The server's background worker: run queued retrains (no caller scope: requests were checked when made)."""
    return training.run_pending(engine)


def model_stamp() -> str:
    """Changes when a new model (for stalls or visits) is saved; the app's caches of the models are keyed by it."""
    return f"{store.stamp()}/{visit_store.stamp()}"


# ---- accounts and the audit log ------------------------------------------------------------------------------


def sign_in(engine: sa.Engine, name: str, password: str) -> accounts.SignIn:
    return accounts.authenticate(engine, name, password)


def resume(engine: sa.Engine, session: accounts.Session) -> tuple[accounts.Session | None, Scope | None, str]:
    """Check a browser session on each page view (see :func:`accounts.resume`)."""
    return accounts.resume(engine, session)


def sso_sign_in(engine: sa.Engine, email: str | None) -> accounts.SignIn:
    return accounts.sso_sign_in(engine, email)


def any_accounts(engine: sa.Engine) -> bool:
    return accounts.any_accounts(engine)


def demo_accounts(engine: sa.Engine) -> list[str]:
    """Demo accounts still on their published password: the login page warns about them."""
    return accounts.demo_accounts_in_use(engine)


def sign_out(engine: sa.Engine, scope: Scope, session: accounts.Session | None = None) -> None:
    """Sign-out: audited, and the browser's kept session revoked (its cookie no longer signs anyone in)."""
    if session is not None:
        accounts.end(engine, session)
    audit.record(engine, scope, "logout")


def keep_signed_in(engine: sa.Engine, session: accounts.Session, bind: str) -> tuple[accounts.Session, str]:
    """Keep a fresh sign-in across reloads for the browser whose binding cookie is ``bind``: the session with its
    row id, and the ticket only that browser can trade."""
    return accounts.keep(engine, session, bind)


def restore_session(engine: sa.Engine, token: object) -> accounts.Session | None:
    """The kept session a cookie names (checked afterwards by :func:`resume`), or None."""
    return accounts.restore(engine, token)


def trade_ticket(engine: sa.Engine, ticket: object, bind: object) -> str | None:
    """The server's cookie route: a one-time ticket for the cookie token (None if used, expired, unknown or handed
    to another browser than the one whose binding cookie is ``bind``)."""
    return web_sessions.redeem(engine, ticket, bind)


def forget_kept_session(engine: sa.Engine, token: object) -> None:
    """The server's cookie-clearing route: the row a cookie token names is revoked with it."""
    found = web_sessions.find(engine, token)
    if found is not None:
        web_sessions.revoke(engine, found[0], "cleared")


def users(engine: sa.Engine, scope: Scope) -> pd.DataFrame:
    _guard(engine, scope, scope.require_admin, what="users")
    return accounts.list_users(engine)


def add_user(
    engine: sa.Engine,
    scope: Scope,
    name: str,
    role: str,
    password: str | None,
    districts: Iterable[str] = (),
    sso_email: str | None = None,
    streets: Iterable[str] = (),
) -> accounts.Account:
    """Create an account (admin); a planner of ``streets`` works those streets of their districts only."""
    _guard(engine, scope, scope.require_admin, what="users")
    return accounts.add_user(
        engine, name, role, password, by=scope, districts_=districts, sso_email=sso_email, streets_=streets
    )


def change_user(
    engine: sa.Engine,
    scope: Scope,
    name: str,
    role: str | None = None,
    districts: Iterable[str] | None = None,
    streets: Iterable[str] | None = None,
) -> accounts.Account:
    _guard(engine, scope, scope.require_admin, what="users")
    return accounts.change_user(engine, name, by=scope, role=role, districts_=districts, streets_=streets)


def set_disabled(engine: sa.Engine, scope: Scope, name: str, disabled: bool) -> None:
    _guard(engine, scope, scope.require_admin, what="users")
    accounts.set_disabled(engine, name, disabled, by=scope)


def set_password(engine: sa.Engine, scope: Scope, name: str, password: str) -> None:
    if name != scope.user:
        _guard(engine, scope, scope.require_admin, what="users")
    accounts.set_password(engine, name, password, by=scope)


def audit_log(
    engine: sa.Engine, scope: Scope, *, limit: int = 500, actor: str | None = None, action: str | None = None
) -> pd.DataFrame:
    _guard(engine, scope, scope.require_admin, what="audit")
    return audit.entries(engine, limit=limit, actor=actor, action=action)


# ---- the field loop: rosters, team leads' links and phone reports, reporting --------------------------------


def _roster_area(engine: sa.Engine, scope: Scope, area: str, *, write: bool) -> tuple[str, str | None]:
    """(district, street) of the roster ``area`` names (a district's adcode or a street's code) if the caller works
    it: its planners and admins. Leadership never reads names or phones."""

    def check() -> tuple[str, str | None]:
        if scope.role == "leadership":
            raise PermissionDenied("领导账号看不到人员名单。", "Leadership accounts do not see rosters.")
        if write:
            scope.require_write()
        district = areas.district_of(area)
        street = area if len(area) == 9 else None
        if not scope.covers_row(district, street):
            raise _not_found("名单", "roster")
        return district, street

    return _guard(engine, scope, check, what="roster", area=area)


def roster(engine: sa.Engine, scope: Scope, area: str | None = None) -> pd.DataFrame:
    """The team members the caller works with: the roster of ``area`` (a district's own, or a street union's), or
    every roster within their areas. Personal data: planners and admins of the area only."""
    if area is not None:
        district, street = _roster_area(engine, scope, area, write=False)
        frame = roster_mod.read(engine, street or district)
        return frame if street else frame[frame["street_code"].isna()].reset_index(drop=True)

    def check() -> None:
        if scope.role == "leadership":
            raise PermissionDenied("领导账号看不到人员名单。", "Leadership accounts do not see rosters.")

    _guard(engine, scope, check, what="roster")
    return roster_mod.read(engine, scope.areas)


def save_roster(engine: sa.Engine, scope: Scope, area: str, edited: pd.DataFrame) -> tuple[int, int, int]:
    """Replace the roster of ``area`` with the edited table (planners of the area, admins); audited by counts.
    Raises ValueError (both languages) naming the first rows that cannot be saved."""
    district, street = _roster_area(engine, scope, area, write=True)
    problems = roster_mod.check(edited)
    if problems:
        listed = "；".join(f"第 {p.row} 行：{p.zh}" for p in problems[:5])
        listed_en = "; ".join(f"row {p.row}: {p.en}" for p in problems[:5])
        raise ValueError(f"{listed} / {listed_en}")
    added, changed, deleted = roster_mod.replace(engine, district, street, edited, scope.user)
    audit.record(engine, scope, "roster_changed", {street or district}, added=added, changed=changed, deleted=deleted)
    return added, changed, deleted


def team_names(engine: sa.Engine, scope: Scope, within: areas.Where = None) -> list[str]:
    """The roster's team names a plan within the caller's area (or ``within``) can assign, in order."""
    if scope.role == "leadership" or (scope.areas is None and within is None):
        return []  # leadership sends nobody; an admin planning the whole city numbers the teams
    where = scope.areas if within is None else within
    frame = roster_mod.read(engine, where)
    return sorted(set(frame["team"]))


def field_link(engine: sa.Engine, scope: Scope, plan_id: int, team: int) -> tuple[field_links.Link, str]:
    """A new link for a team lead to one team's sessions of a saved plan (planners of the plan's area, admins);
    audited. Returns the link and its token (shown once)."""
    _plan_in_scope(engine, scope, plan_id)
    _guard(engine, scope, scope.require_write, what="field_link", plan_id=plan_id)
    frame = plans.rows(engine, plan_id)
    if frame.empty or int(team) not in set(frame["team"].astype(int)):
        raise _not_found("小组", "team")
    end = field_links.plan_end(engine, plan_id) or dt.date.today()
    expires = dt.datetime.combine(end, dt.time(23, 59), tzinfo=dt.UTC) + field_links.AFTER_PLAN
    link, token = field_links.create(engine, plan_id, int(team), scope.user, expires)
    codes = areas.touched(plans.plan_areas(engine, plan_id) or set())
    audit.record(engine, scope, "field_link", codes, plan_id=plan_id, team=int(team), link=link.id)
    return link, token


def field_link_list(engine: sa.Engine, scope: Scope, plan_id: int) -> pd.DataFrame:
    _plan_in_scope(engine, scope, plan_id)
    return field_links.listing(engine, plan_id)


def revoke_field_link(engine: sa.Engine, scope: Scope, link_id: int) -> bool:
    """End a team lead's link now (planners of its plan's area, admins); audited."""
    plan_id = field_links.plan_of(engine, link_id)
    if plan_id is None:
        raise _refuse(engine, scope, _not_found("链接", "link"), what="field_link", link=link_id)
    _plan_in_scope(engine, scope, plan_id)
    _guard(engine, scope, scope.require_write, what="field_link", link=link_id)
    done = field_links.revoke(engine, link_id)
    audit.record(engine, scope, "field_link", plan_id=plan_id, link=link_id, revoked=done)
    return done


def field_open(engine: sa.Engine, token: object) -> field_links.Link | None:
    """The live link a token names, or None (expired, revoked, unknown): the field routes' one credential."""
    return field_links.find(engine, token)


def _team_rows(engine: sa.Engine, link: field_links.Link) -> pd.DataFrame:
    frame = plans.rows(engine, link.plan_id)
    return frame[frame["team"].astype(int) == link.team].reset_index(drop=True) if len(frame) else frame


def field_view(engine: sa.Engine, link: field_links.Link, today: dt.date) -> dict[str, Any]:
    """What a team lead's phone shows: the plan's name, the team, and its sessions of this week (and any earlier one
    still unreported), in order, each with directions, what to expect and what was reported. Nothing else."""
    rows = _team_rows(engine, link)
    sessions_out: list[dict[str, Any]] = []
    team_name = None
    if len(rows):
        rows = plans.states(rows, today)
        monday = today - dt.timedelta(days=today.weekday())
        days = pd.to_datetime(rows["date"]).dt.date
        this_week = ((days >= monday) & (days <= monday + dt.timedelta(days=6))) | (rows["state"] == "overdue")
        if not this_week.any() and (days > today).any():  # a plan for next week: its first seven days
            first = min(d for d in days if d > today)
            this_week = (days >= first) & (days <= first + dt.timedelta(days=6))
        rows = rows[this_week]
        team_name = next((n for n in rows["team_name"] if isinstance(n, str) and n), None)
    shown = rows
    for r in shown.to_dict("records"):
        day = pd.Timestamp(r["date"]).date()
        visit = isinstance(r.get("enterprise_id"), str) and bool(r.get("enterprise_id"))
        expected = r.get("expected_members") if visit else r.get("expected_applications")
        sessions_out.append(
            {
                "key": r["session_id"],
                "kind": "visit" if visit else "worker",
                "order": None if not visit or pd.isna(r.get("route_order")) else int(r["route_order"]),
                "enterprises": r.get("member_list") if visit else None,
                "outcomes": r.get("outcomes") if visit else None,
                "address": r.get("address") if visit else None,
                "probability": None
                if not visit or pd.isna(r.get("probability"))
                else round(float(r["probability"]), 3),
                "date": day.isoformat(),
                "weekday": day.weekday(),
                "start": r["start_time"],
                "end": r["end_time"],
                "site": r.get("site_name") or r.get("site_id") or "",
                "expected": None
                if expected is None or pd.isna(expected)
                else (round(float(expected), 1) if visit else int(round(float(expected)))),
                "state": r["state"],
                "future": day > today,
                "links": navigation.links(r.get("lat"), r.get("lon"), r.get("site_name") or ""),
                "reported": None
                if not r["reported"] or visit
                else {
                    k: None if pd.isna(r.get(k)) else (int(r[k]) if k != "notes" else str(r[k]))
                    for k in ("staff", "consultations", "applications", "members_joined", "notes")
                },
                "note": r.get("status_note") if r["state"] == "cancelled" else None,
            }
        )
    return {
        "plan": plans.name_of(engine, link.plan_id) or "",
        "team": team_name or f"第{link.team}组",
        "team_en": team_name or f"Team {link.team}",
        "today": today.isoformat(),
        "expires": link.expires_at.isoformat(),
        "sessions": sessions_out,
    }


def field_report(engine: sa.Engine, link: field_links.Link, payload: object, today: dt.date) -> dict[str, Any]:
    """Store what a team lead typed for one of their sessions, through the same validated, idempotent, audited
    import as an uploaded results sheet (the row's stored date, place and key; only the counts and note from the
    phone). Returns ``ok``, the session's new ``state`` and any problems, each in both languages."""
    rows = _team_rows(engine, link)
    key = payload.get("key") if isinstance(payload, dict) else None
    visit_rows = rows[rows["session_id"] == key] if len(rows) and isinstance(key, str) else rows.iloc[:0]
    if len(visit_rows) and isinstance(visit_rows.iloc[0]["enterprise_id"], str):
        return _field_visit(engine, link, visit_rows.iloc[0].to_dict(), payload, today)
    try:
        entry = field_entry.parse(payload)
    except field_entry.BadEntry as bad:
        return {"ok": False, "problems": [{"zh": bad.zh, "en": bad.en}]}
    mine = rows[rows["session_id"] == entry.key] if len(rows) else rows
    if mine.empty:  # another team's session, another plan's, or none: the same answer
        return {
            "ok": False,
            "problems": [{"zh": "这个场次不在本组的计划中。", "en": "This session is not in your team's plan."}],
        }
    row = mine.iloc[0].to_dict()
    day = pd.Timestamp(row["date"]).date()
    if day > today:
        return {
            "ok": False,
            "problems": [
                {
                    "zh": f"这个场次在 {day:%m-%d}，还没有到，不能提前填报。",
                    "en": f"This session is on {day:%m-%d}; results can be entered from that day on.",
                }
            ],
        }
    if entry.cancelled:
        if row["reported"]:
            return {
                "ok": False,
                "problems": [
                    {
                        "zh": "这个场次已经填报了结果，不能再标为未开展；如有错误请联系计划员。",
                        "en": "Results are already stored for this session; ask your planner to correct it.",
                    }
                ],
            }
        plans.set_status(engine, [int(row["id"])], "cancelled", link.user, entry.notes)
        codes = areas.touched([(row["district"], row.get("street_code"))])
        audit.record(engine, link, "field_report", codes, plan_id=link.plan_id, team=link.team, cancelled=True)
        return {"ok": True, "state": "cancelled", "warnings": []}
    data = field_entry.results_file(row, entry)
    area = areas.finest(row["district"], row.get("street_code")) or row["district"]
    report = ingest.import_sessions(
        engine, data, f"现场填报-链接{link.id}.csv", user=link, allowed=(area,), today=today
    )
    said = lambda found: [{"zh": p.zh, "en": p.en} for p in found]  # noqa: E731
    if report.status != "written":
        if not report.errors and any(p.code == "not_reported" for p in report.problems):
            return {"ok": False, "problems": [{"zh": "请填写现场咨询人数和申请入会人数。", "en": "Enter both counts."}]}
        return {"ok": False, "problems": said(report.errors)}
    if row.get("status") == "cancelled":
        plans.set_status(engine, [int(row["id"])], None, link.user)
    if report.inserted or report.updated:
        training.request(engine, link.user, "import")
    # what the import noted about the values (more applications than consultations, say): stored, but worth a look
    noted = [p for p in report.problems if p.severity != "error" and p.code not in ("file_seen_before",)]
    return {"ok": True, "state": "reported", "warnings": said(noted), "updated": bool(report.updated)}


def _field_visit(
    engine: sa.Engine, link: field_links.Link, row: dict[str, Any], payload: object, today: dt.date
) -> dict[str, Any]:
    """A planned enterprise visit reported from the phone: each enterprise's outcome through the visits import
    (scoped to the row's area, keyed by enterprise and day, so a resend counts once), or 未开展."""
    said = lambda found: [{"zh": p.zh, "en": p.en} for p in found]  # noqa: E731
    day = pd.Timestamp(row["date"]).date()
    if day > today:
        return {
            "ok": False,
            "problems": [
                {"zh": f"这次走访在 {day:%m-%d}，还没有到，不能提前填报。", "en": f"This visit is on {day:%m-%d}."}
            ],
        }
    try:
        outcomes, notes, cancelled = field_entry.parse_visits(payload, visit_plans.members(row["enterprise_id"]))
    except field_entry.BadEntry as bad:
        return {"ok": False, "problems": [{"zh": bad.zh, "en": bad.en}]}
    codes = areas.touched([(row["district"], row.get("street_code"))])
    if cancelled:
        if row["reported"]:
            return {
                "ok": False,
                "problems": [
                    {"zh": "这次走访已有结果，不能再标为未开展。", "en": "Results are stored for this visit."}
                ],
            }
        plans.set_status(engine, [int(row["id"])], "cancelled", link.user, notes)
        audit.record(engine, link, "field_report", codes, plan_id=link.plan_id, team=link.team, cancelled=True)
        return {"ok": True, "state": "cancelled", "warnings": []}
    area = areas.finest(row["district"], row.get("street_code")) or row["district"]
    data = field_entry.visits_file(day, outcomes, notes)
    report = ingest.import_visits(engine, data, f"现场走访-链接{link.id}.csv", user=link, allowed=(area,), today=today)
    if report.status != "written":
        return {"ok": False, "problems": said(report.errors)}
    if row.get("status") == "cancelled":
        plans.set_status(engine, [int(row["id"])], None, link.user)
    if report.inserted or report.updated:
        training.request(engine, link.user, "import")
    noted = [p for p in report.problems if p.severity != "error" and p.code != "file_seen_before"]
    return {"ok": True, "state": "reported", "warnings": said(noted), "updated": bool(report.updated)}


def save_visit_plan(
    engine: sa.Engine, scope: Scope, plan: pd.DataFrame, name: str, request: dict, team_names: Iterable[str] = ()
) -> int:
    """Save a visit plan (planners and admins) so its visits go to team leads' phones; every enterprise must lie
    within the caller's area, checked on the stored register."""
    ids = [m for value in plan.get("enterprise_id", []) for m in visit_plans.members(value)]
    stored = visit_plans.enterprise_areas(engine, ids)

    def check() -> None:
        scope.require_write()
        if set(ids) - set(stored) or not all(scope.covers_row(d, s) for d, s in stored.values()):
            raise _not_found("企业", "enterprise")

    _guard(engine, scope, check, what="plan_saved")
    return visit_plans.save(engine, plan, name, request, user=scope, team_names=[str(n) for n in team_names])


def reporting(
    engine: sa.Engine, scope: Scope, first: dt.date, last: dt.date, today: dt.date, district: str | None = None
) -> pd.DataFrame:
    """Every saved plan row within the caller's area (or the district or street chosen) dated ``first``-``last``,
    with its state on ``today``: what :mod:`reporting` sums by week and team."""
    where = _guard(engine, scope, lambda: scope.readable(district), what="reporting", district=district)
    return reporting_mod.rows(engine, where, first, last, today)


def cancel_plan_rows(engine: sa.Engine, scope: Scope, row_ids: Iterable[int], note: str | None = None) -> int:
    """Mark saved plan rows 未开展 (planners of their area, admins); rows with results stored are left as they are."""
    ids = sorted({int(i) for i in row_ids})
    found = plans.row_areas(engine, ids)

    def check() -> None:
        scope.require_write()
        if set(ids) - set(found) or not all(scope.covers_row(d, s) for d, s in found.values()):
            raise _not_found("场次", "plan session")

    _guard(engine, scope, check, what="plan_cancel", rows=ids[:20])
    changed = plans.set_status(engine, ids, "cancelled", scope.user, note)
    audit.record(engine, scope, "plan_done", areas.touched(found.values()), cancelled=changed)
    return changed
