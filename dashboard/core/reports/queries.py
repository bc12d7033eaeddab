"""Read-only queries behind the pages: district and site statistics, trends, a site's history, upload history.

Each takes plain filter values (so results can be cached by them) and returns a DataFrame.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from dashboard.core.geo import areas
from dashboard.core.geo import streets as streets_mod
from dashboard.core.reports.kpi import aggregates, filtered, rows_within
from dashboard.core.storage.db import plain_rows
from dashboard.core.storage.schema import districts, sessions, sites, uploads
from dashboard.core.storage.site_tables import read_sites

WORKER = sessions.c.session_type == "worker"


def _filtered(query, date_from=None, date_to=None, district=None):
    return filtered(query, district=district, date_from=date_from, date_to=date_to)


def district_stats(
    engine: sa.Engine,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    district: str | tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """One row per district: session totals in the period, sites, estimated workers and workers per km².

    ``district`` (area codes) limits the rows to those districts; where it names streets rather than the whole
    district, the district's row counts those streets only and is named after them (朝阳区建外街道).
    """
    q = _filtered(
        sa.select(sessions.c.district.label("adcode"), *aggregates()).group_by(sessions.c.district),
        date_from,
        date_to,
        district,
    )
    site_q = sa.select(
        sites.c.district.label("adcode"),
        sa.func.count().label("sites"),
        sa.func.coalesce(sa.func.sum(sites.c.workers_nearby), 0).label("workers"),
    ).group_by(sites.c.district)
    within = areas.sql(sites.c.district, district)
    if within is not None:
        site_q = site_q.where(within)
    with engine.connect() as conn:
        base = pd.DataFrame(
            conn.execute(
                sa.select(districts.c.adcode, districts.c.name_zh, districts.c.name_en, districts.c.area_km2)
            ).all(),
            columns=["adcode", "name_zh", "name_en", "area_km2"],
        )
        totals = pd.DataFrame(conn.execute(q).mappings().all()).rename(columns={"members_total": "members"})
        site_totals = pd.DataFrame(conn.execute(site_q).mappings().all())
    frame = base.merge(totals, on="adcode", how="left") if len(totals) else base
    frame = frame.merge(site_totals, on="adcode", how="left") if len(site_totals) else frame.assign(sites=0, workers=0)
    counts = [
        "worker_sessions",
        "consultations",
        "applications",
        "enterprise_sessions",
        "enterprises_reached",
        "unions_founded",
        "members",
        "sites",
        "workers",
    ]
    for col in counts:
        frame[col] = (
            pd.to_numeric(frame[col], errors="coerce").fillna(0).astype(int) if col in frame else 0
        )  # absent: no sessions yet
    frame["workers_per_km2"] = frame["workers"] / frame["area_km2"]
    frame["conversion"] = (frame["applications"] / frame["consultations"]).where(frame["consultations"] > 0)
    if district:
        frame = frame[frame["adcode"].isin(list(areas.districts_in(district) or ()))].reset_index(drop=True)
        whole, parts = areas.split(district)
        for code in {p[:6] for p in parts} - set(whole):
            narrowed = tuple(p for p in parts if p[:6] == code)
            for col, lang in (("name_zh", "zh"), ("name_en", "en")):
                frame.loc[frame["adcode"] == code, col] = areas.names(narrowed, lang)
            # a street's area is unknown (no boundaries): no density rather than its workers over the district's
            frame.loc[frame["adcode"] == code, "workers_per_km2"] = float("nan")
    return frame


def street_stats(
    engine: sa.Engine,
    district: str,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    within: str | tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """One row per street of ``district`` (all of its streets, and a row "" for what has no street): session totals
    in the period, sites and estimated workers. ``within`` (area codes) narrows the rows to a caller's streets.
    """
    q = _filtered(
        sa.select(sessions.c.street_code.label("code"), *aggregates()).group_by(sessions.c.street_code),
        date_from,
        date_to,
        district,
    )
    site_q = (
        sa.select(
            sites.c.street_code.label("code"),
            sa.func.count().label("sites"),
            sa.func.coalesce(sa.func.sum(sites.c.workers_nearby), 0).label("workers"),
        )
        .where(sites.c.district == district)
        .group_by(sites.c.street_code)
    )
    with engine.connect() as conn:
        totals = pd.DataFrame(conn.execute(q).mappings().all()).rename(columns={"members_total": "members"})
        site_totals = pd.DataFrame(conn.execute(site_q).mappings().all())
    base = streets_mod.of_district(district)[["code", "name", "kind"]]
    base = pd.concat([base, pd.DataFrame([{"code": "", "name": "未标街道", "kind": ""}])], ignore_index=True)
    for extra in (totals, site_totals):
        if len(extra):
            extra["code"] = extra["code"].fillna("")
            base = base.merge(extra, on="code", how="left")
    counts = ["worker_sessions", "consultations", "applications", "enterprise_sessions", "unions_founded", "members"]
    for col in [*counts, "sites", "workers"]:
        base[col] = pd.to_numeric(base[col], errors="coerce").fillna(0).astype(int) if col in base else 0
    base["conversion"] = (base["applications"] / base["consultations"]).where(base["consultations"] > 0)
    base["district"] = district
    if within is not None:
        base = base[areas.mask(base.rename(columns={"code": "street_code"}), within)].reset_index(drop=True)
    else:  # the "no street" row only when it holds something
        base = base[
            (base["code"] != "") | (base["sites"] > 0) | (base["worker_sessions"] + base["enterprise_sessions"] > 0)
        ]
    return base.reset_index(drop=True)


def site_stats(
    engine: sa.Engine,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    district: str | tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """One row per site: attributes, sessions and sign-ups in the period, last visit ever."""
    agg = _filtered(
        sa.select(
            sessions.c.site_id,
            sa.func.count().label("sessions"),
            sa.func.coalesce(sa.func.sum(sessions.c.consultations), 0).label("consultations"),
            sa.func.coalesce(sa.func.sum(sessions.c.applications), 0).label("applications"),
        )
        .where(WORKER, sessions.c.site_id.is_not(None))
        .group_by(sessions.c.site_id),
        date_from,
        date_to,
        district,
    )
    frame = read_sites(engine, district)
    with engine.connect() as conn:
        stats = pd.DataFrame(
            conn.execute(agg).mappings().all(), columns=["site_id", "sessions", "consultations", "applications"]
        )
        lasts = _last_visits(conn)
    return _with_figures(frame, stats, lasts)


def _last_visits(conn: sa.Connection) -> pd.DataFrame:
    last = (
        sa.select(sessions.c.site_id, sa.func.max(sessions.c.date).label("last_visit"))
        .where(sessions.c.site_id.is_not(None))
        .group_by(sessions.c.site_id)
    )
    return pd.DataFrame(conn.execute(last).mappings().all(), columns=["site_id", "last_visit"])


def _with_figures(frame: pd.DataFrame, stats: pd.DataFrame, lasts: pd.DataFrame) -> pd.DataFrame:
    frame = frame.merge(stats, on="site_id", how="left").merge(lasts, on="site_id", how="left")
    for col in ("sessions", "consultations", "applications"):
        frame[col] = frame[col].fillna(0).astype(int)
    frame["last_visit"] = pd.to_datetime(frame["last_visit"]).dt.date
    return frame


@dataclass(frozen=True)
class SiteDays:
    """Every site, its worker sessions summed per day, and its last visit ever: what :func:`site_stats` of every
    site is made of, for any period (:meth:`stats`) without another query. The map's period ends on each caller's
    own last session day, so a storm of street unions asks for dozens of periods of the same figures."""

    sites: pd.DataFrame
    days: pd.DataFrame  # site_id, date, sessions, consultations, applications
    lasts: pd.DataFrame  # site_id, last_visit

    @classmethod
    def read(cls, engine: sa.Engine) -> SiteDays:
        per_day = (
            sa.select(
                sessions.c.site_id,
                sessions.c.date,
                sa.func.count().label("sessions"),
                sa.func.coalesce(sa.func.sum(sessions.c.consultations), 0).label("consultations"),
                sa.func.coalesce(sa.func.sum(sessions.c.applications), 0).label("applications"),
            )
            .where(WORKER, sessions.c.site_id.is_not(None))
            .group_by(sessions.c.site_id, sessions.c.date)
        )
        frame = read_sites(engine, None)
        with engine.connect() as conn:
            days = pd.DataFrame(plain_rows(conn.execute(per_day)), columns=["site_id", "date", *_SITE_FIGURES])
            lasts = _last_visits(conn)
        days["date"] = pd.to_datetime(days["date"])
        for col in _SITE_FIGURES:
            days[col] = days[col].astype("int64")
        return cls(frame, days, lasts)

    def stats(self, date_from: dt.date | None = None, date_to: dt.date | None = None) -> pd.DataFrame:
        """The same frame as ``site_stats(engine, date_from, date_to)`` (both dates inclusive)."""
        days = self.days
        if date_from:
            days = days[days["date"] >= pd.Timestamp(date_from)]
        if date_to:
            days = days[days["date"] <= pd.Timestamp(date_to)]
        summed = days.groupby("site_id", sort=False)[list(_SITE_FIGURES)].sum().reset_index()
        return _with_figures(self.sites, summed, self.lasts)


_SITE_FIGURES = ("sessions", "consultations", "applications")


def site_history(engine: sa.Engine, site_id: str) -> pd.DataFrame:
    """Every session held at a site, newest first."""
    q = (
        sa.select(
            sessions.c.date,
            sessions.c.start_time,
            sessions.c.end_time,
            sessions.c.staff,
            sessions.c.consultations,
            sessions.c.applications,
            sessions.c.notes,
        )
        .where(sessions.c.site_id == site_id)
        .order_by(sessions.c.date.desc(), sessions.c.start_time.desc())
    )
    with engine.connect() as conn:
        frame = pd.DataFrame(
            conn.execute(q).all(),
            columns=["date", "start_time", "end_time", "staff", "consultations", "applications", "notes"],
        )
    for col in ("start_time", "end_time"):
        frame[col] = [t.strftime("%H:%M") for t in frame[col]]
    return frame


def monthly(
    engine: sa.Engine,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    district: str | tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Totals per calendar month, aggregated in the database (a few hundred rows back, whatever the history size).

    With both ``date_from`` and ``date_to``, every month they touch has its row, zeros where nothing was held: a
    trend over a quarter shows its three months each once, a quiet month as a zero rather than a gap."""
    year, month = sa.extract("year", sessions.c.date), sa.extract("month", sessions.c.date)
    q = _filtered(
        sa.select(year.label("y"), month.label("m"), *aggregates()).group_by(year, month), date_from, date_to, district
    )
    columns = [
        "month",
        "worker_sessions",
        "consultations",
        "applications",
        "enterprise_sessions",
        "unions_founded",
        "members",
    ]
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(q).mappings().all()).rename(columns={"members_total": "members"})
    if frame.empty and (date_from is None or date_to is None):
        return pd.DataFrame(columns=columns)
    if frame.empty:
        frame = pd.DataFrame(columns=columns)
    else:
        frame["month"] = pd.to_datetime({"year": frame["y"].astype(int), "month": frame["m"].astype(int), "day": 1})
    out = frame[columns].set_index("month")
    if date_from is not None and date_to is not None and date_from <= date_to:
        every = pd.date_range(pd.Timestamp(date_from).replace(day=1), pd.Timestamp(date_to), freq="MS")
        out = out.reindex(out.index.union(every), fill_value=0)
    out = out.sort_index().rename_axis("month").reset_index()
    out[columns[1:]] = out[columns[1:]].astype(int)
    return out


def site_area(engine: sa.Engine, site_id: str) -> tuple[str, str | None] | None:
    """A stored site's (district, street code), or None when there is no such site."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(sites.c.district, sites.c.street_code).where(sites.c.site_id == site_id)).first()
    return None if row is None else (row[0], row[1])


def upload_history(engine: sa.Engine, limit: int = 200, district: str | tuple[str, ...] | None = None) -> pd.DataFrame:
    """The newest uploads first; with ``district`` (a tuple of adcodes) only uploads wholly within them."""
    q = sa.select(uploads).order_by(uploads.c.id.desc())
    if district is None:
        q = q.limit(limit)
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(q).mappings().all(), columns=[c.name for c in uploads.columns])
    return rows_within(frame, district).head(limit)


def data_version(engine: sa.Engine) -> str:
    """Changes whenever an upload lands: a cheap key for cached reads."""
    with engine.connect() as conn:
        last = conn.execute(sa.select(sa.func.max(uploads.c.id))).scalar()
        count = conn.execute(sa.select(sa.func.count()).select_from(sessions)).scalar()
    return f"{last}-{count}"
