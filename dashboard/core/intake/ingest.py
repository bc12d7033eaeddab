"""Import sessions, sites, the enterprise register and enterprise visits: read, validate, then write all rows in
one transaction or none.

Re-importing is safe: every row has a key (a session's ``session_id``, or type|date|start|site; a visit's
enterprise and day), and a row whose key exists is updated only when its values changed. Each import leaves one
audit row in ``uploads``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from dashboard.core.geo import areas, districts, streets
from dashboard.core.geo.gcj02 import gcj_to_wgs
from dashboard.core.intake import credit_code
from dashboard.core.intake.columns import ENTERPRISE_COLUMNS, SESSION_COLUMNS, SITE_COLUMNS, VISIT_COLUMNS
from dashboard.core.intake.parsing import parse_floats
from dashboard.core.intake.tabular import (
    RawTable,
    UnreadableFile,
    max_upload_bytes,
    read_table,
    sha256,
)
from dashboard.core.intake.validate import (
    CONTACT_FIELDS,
    ENTERPRISE_FIELDS,
    IdRule,
    Validation,
    enterprise_id_for,
    set_aside,
    site_id_for,
    validate_enterprises,
    validate_sessions,
    validate_sites,
    validate_visits,
)
from dashboard.core.messages import ERROR, Problem, problem
from dashboard.core.storage import audit, services
from dashboard.core.storage.db import as_utc, lock_writes
from dashboard.core.storage.schema import (
    enterprise_contacts,
    enterprise_visits,
    enterprises,
    plan_rows,
    sessions,
    sites,
    uploads,
)
from dashboard.core.storage.settings import id_secret
from dashboard.core.text import printable

_KEY_CHUNK = 5000  # keys per IN (...) lookup: well under SQLite's and PostgreSQL's parameter limits
_WRITE_CHUNK = 10000
BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
_TIMES = [dt.time(m // 60, m % 60) for m in range(24 * 60)]


@dataclass
class ImportReport:
    """The outcome of one import, for the command line and the upload page alike.

    ``status`` is ``written``, ``dry_run`` (validated, nothing written), ``refused`` (errors, nothing
    written) or ``unreadable`` (not a table). ``total`` counts every data row of the file, ``set_aside`` those left
    out before the checks (a totals row, the templates' examples, results not yet held or cancelled): a file's rows
    are inserted, updated, unchanged, rejected or set aside (or repeat another row word for word).
    """

    kind: str
    file_name: str
    status: str
    total: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    new_sites: int = 0
    set_aside: int = 0
    problems: list[Problem] = field(default_factory=list)
    upload_id: int | None = None
    rejected_rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    preview: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def ok(self) -> bool:
        return self.status in ("written", "dry_run")

    def counts(self) -> dict[str, int]:
        keys = ("total", "inserted", "updated", "unchanged", "rejected", "new_sites", "set_aside")
        return {k: getattr(self, k) for k in keys}


def _rejected_frame(raw: RawTable, validation: Validation) -> pd.DataFrame:
    """The rejected rows as the user wrote them, with their row number and every reason in both languages."""
    if not validation.rejected_rows:
        return pd.DataFrame()
    mask = raw.row_numbers.isin(validation.rejected_rows)
    out = raw.data[mask].rename(columns=raw.headers)
    out.insert(0, "行号 row", raw.row_numbers[mask].values)
    reasons: dict[int, list[Problem]] = {}
    for p in validation.errors:
        if p.row is not None:
            reasons.setdefault(p.row, []).append(p)
    unlisted = ("有错误（同类问题较多，未逐一列出）", "has errors (too many of one kind to list each)")
    out["问题"] = [
        "；".join(f"{p.column}：{p.zh}" for p in reasons[r]) if r in reasons else unlisted[0] for r in out["行号 row"]
    ]
    out["problem"] = [
        "; ".join(f"{p.column}: {p.en}" for p in reasons[r]) if r in reasons else unlisted[1] for r in out["行号 row"]
    ]
    return out.reset_index(drop=True)


def _seen_before(conn: sa.Connection, kind: str, digest: str) -> Problem | None:
    when = conn.execute(
        sa.select(sa.func.min(uploads.c.uploaded_at)).where(uploads.c.kind == kind, uploads.c.sha256 == digest)
    ).scalar()
    if when is None:
        return None
    return problem("file_seen_before", value=as_utc(when).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M"))


def _existing(
    conn: sa.Connection, key_col: sa.Column, hash_col: tuple[sa.Column, ...], keys: list[str]
) -> dict[str, tuple]:
    found: dict[str, tuple] = {}
    if conn.execute(sa.select(key_col).limit(1)).first() is None:  # an empty table: nothing to look up
        return found
    for i in range(0, len(keys), _KEY_CHUNK):
        chunk = keys[i : i + _KEY_CHUNK]
        for row in conn.execute(sa.select(key_col, *hash_col).where(key_col.in_(chunk))):
            found[row[0]] = tuple(row[1:])
    return found


def _none(value):
    return None if value is pd.NA or value is None or (isinstance(value, float) and value != value) else value


_INSERT_COLUMNS = (
    "session_key",
    "session_id",
    "session_type",
    "date",
    "start_time",
    "end_time",
    "district",
    "street_code",
    "site_id",
    "staff",
    "consultations",
    "applications",
    "members_joined",
    "enterprises_reached",
    "unions_founded",
    "notes",
    "row_hash",
    "upload_id",
)
# SQLAlchemy's own text format for TIME on SQLite, so rows written here read back like any other.
_SQLITE_TIMES = np.array([f"{m // 60:02d}:{m % 60:02d}:00.000000" for m in range(24 * 60)], dtype=object)
_PLACEHOLDER = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def _column_list(series: pd.Series) -> list:
    values: list = series.astype(object).where(series.notna(), None).tolist()
    return values


def _insert_sessions(conn: sa.Connection, rows: pd.DataFrame, upload_id: int) -> None:
    """Bulk insert through the driver's executemany with plain tuples.

    SQLAlchemy's per-row parameter processing costs more than SQLite's own insert for large files; the values
    here are already validated and typed, so they go to the driver as they are.
    """
    mark = _PLACEHOLDER.get(conn.dialect.paramstyle)
    if mark is None:  # an unusual driver: let SQLAlchemy do it
        conn.execute(sessions.insert(), _session_records(rows, upload_id))
        return
    sqlite = conn.dialect.name == "sqlite"
    start, end = rows["start_min"].to_numpy(), rows["end_min"].to_numpy()
    columns = {
        "session_key": rows["session_key"].tolist(),
        "session_id": _column_list(rows["session_id"]),
        "session_type": rows["session_type"].tolist(),
        "date": rows["date"].to_numpy().astype("datetime64[D]").astype(str).tolist()
        if sqlite
        else rows["date"].dt.date.tolist(),
        "start_time": _SQLITE_TIMES[start].tolist() if sqlite else [_TIMES[m] for m in start],
        "end_time": _SQLITE_TIMES[end].tolist() if sqlite else [_TIMES[m] for m in end],
        "district": rows["district"].tolist(),
        "street_code": _column_list(rows["street_code"]),
        "site_id": _column_list(rows["site_id"]),
        **{
            c: _column_list(rows[c])
            for c in (
                "staff",
                "consultations",
                "applications",
                "members_joined",
                "enterprises_reached",
                "unions_founded",
            )
        },
        "notes": _column_list(rows["notes"]),
        "row_hash": rows["row_hash"].tolist(),
        "upload_id": [upload_id] * len(rows),
    }
    sql = f"INSERT INTO sessions ({', '.join(_INSERT_COLUMNS)}) VALUES ({', '.join([mark] * len(_INSERT_COLUMNS))})"
    params = list(zip(*(columns[c] for c in _INSERT_COLUMNS), strict=True))
    for i in range(0, len(params), _WRITE_CHUNK):
        conn.exec_driver_sql(sql, params[i : i + _WRITE_CHUNK])


def _session_records(rows: pd.DataFrame, upload_id: int | None) -> list[dict]:
    frame = rows.drop(columns=["_row"]).copy()
    frame["date"] = frame["date"].dt.date
    frame["start_time"] = [_TIMES[m] for m in frame.pop("start_min")]
    frame["end_time"] = [_TIMES[m] if m < 1440 else dt.time(23, 59) for m in frame.pop("end_min")]
    frame["upload_id"] = upload_id
    frame = frame.astype(object).where(frame.notna(), None)
    records: list[dict] = frame.to_dict("records")
    return records


def _size_problem(data: bytes, limit: int | None) -> Problem | None:
    limit = max_upload_bytes() if limit is None else limit
    if len(data) <= limit:
        return None
    mb = lambda n: f"{n / 1024 / 1024:.1f} MB"  # noqa: E731
    return problem("file_too_large", value=mb(len(data)), label=mb(limit))


def _id_rule(conn: sa.Connection, allowed: tuple[str, ...] | None) -> IdRule:
    """How this caller's rows named without an id get one (:class:`validate.IdRule`): keyed with the installation's
    secret, and for a street union within its streets in each district it holds in part."""
    whole, parts = areas.split(allowed) if allowed is not None else ([], [])
    by_district: dict[str, list[str]] = {}
    for code in parts:
        if areas.district_of(code) not in whole:
            by_district.setdefault(areas.district_of(code), []).append(code)
    return IdRule(id_secret(conn), {d: "+".join(sorted(c)) for d, c in by_district.items()})


def _named_as_stored(
    conn: sa.Connection, kind: str, rows: pd.DataFrame, allowed: tuple[str, ...] | None, rule: IdRule
) -> None:
    """Register rows named without an id take the id of the one stored row of their district with that name that
    the caller may read (ids worked out another way before, or by another caller of the area), in place; a name
    of another area is never looked at."""
    if kind not in ("sites", "enterprises") or rows.empty:
        return
    table, key, name_col = (
        (sites, "site_id", sites.c.name) if kind == "sites" else (enterprises, "enterprise_id", enterprises.c.name)
    )
    make = site_id_for if kind == "sites" else enterprise_id_for
    derived = rows[key] == [
        make(d or "", n, rule) for d, n in zip(rows["district"].fillna(""), rows["name"], strict=True)
    ]
    if kind == "enterprises":
        derived &= rows["credit_code"].isna()
    if not derived.any():
        return
    names = sorted(set(rows.loc[derived, "name"].astype(str)))
    query = sa.select(table.c[key], table.c.district, table.c.street_code, name_col).where(name_col.in_(names))
    if (inside := areas.sql(table.c.district, allowed)) is not None:
        query = query.where(inside)
    stored = pd.DataFrame(conn.execute(query).all(), columns=["id", "district", "street_code", "name"])
    if stored.empty:
        return
    unique = stored.groupby(["district", "name"]).filter(lambda g: len(g) == 1)
    by_name = {(d, n): i for i, d, n in zip(unique["id"], unique["district"], unique["name"], strict=True)}
    for i in rows.index[derived]:
        found = by_name.get((rows.at[i, "district"], str(rows.at[i, "name"])))
        if found is not None:
            rows.at[i, key] = found


def _step_aside(conn: sa.Connection, kind: str, rows: pd.DataFrame, allowed: tuple[str, ...] | None) -> None:
    """Sessions without an id are keyed by what they say (type, day, start, site or district). When such a key
    already names another area's session, the row takes the key with a counter, in place: it is another session,
    and meeting that one would tell the caller it exists. The counter is found the same way on a re-import, so the
    row keeps its key. (Session keys are never shown.)"""
    if allowed is None or kind != "sessions" or rows.empty:
        return
    base = rows["session_key"].where(~rows["session_key"].str.startswith("id:"))
    pending = base.dropna()
    for k in range(1, 100):
        if pending.empty:
            return
        keys = pending if k == 1 else pending + f"|{k}"
        stored = _stored_areas(conn, sessions.c.session_key, sessions.c.district, keys.unique().tolist())
        foreign = {key for key, (d, s) in stored.items() if not areas.covers(allowed, d, s)}
        rows.loc[keys.index, "session_key"] = keys
        pending = pending[keys.isin(foreign)]


def _scope_problems(raw: RawTable, allowed: tuple[str, ...] | None) -> list[Problem]:
    """One error per row whose district lies outside ``allowed`` (None: every district is allowed)."""
    if allowed is None or "district" not in raw.data.columns:
        return []
    touched = areas.districts_in(allowed) or ()
    codes = districts.resolve_series(raw.data["district"])
    outside = codes.notna() & ~codes.isin(list(touched))
    header = raw.headers.get("district", "district")
    area_zh, area_en = areas.names(allowed, "zh"), areas.names(allowed, "en")
    return [
        problem("out_of_scope", row=int(r), column=header, value=districts.name(c), label=area_zh, label_en=area_en)
        for r, c in zip(raw.row_numbers[outside.to_numpy()], codes[outside], strict=True)
    ]


def _stored_areas(
    conn: sa.Connection, key_col: sa.Column, district_col: sa.Column, keys: list[str]
) -> dict[str, tuple[str, str | None]]:
    """The stored (district, street code) of each key found (no street for a table without one)."""
    street_col = key_col.table.c.get("street_code")
    picked = [key_col, district_col] + ([street_col] if street_col is not None else [])
    found: dict[str, tuple[str, str | None]] = {}
    for i in range(0, len(keys), _KEY_CHUNK):
        chunk = keys[i : i + _KEY_CHUNK]
        for row in conn.execute(sa.select(*picked).where(key_col.in_(chunk))):
            found[row[0]] = (row[1], row[2] if len(row) > 2 else None)
    return found


def _street_scope(
    conn: sa.Connection,
    kind: str,
    raw: RawTable,
    validation: Validation,
    allowed: tuple[str, ...] | None,
    skip: set[int],
) -> list[Problem]:
    """Street-level scope on the validated rows: each row's street is the file's (sites, enterprises, a session
    without a site) or its stored site's; a row must lie within ``allowed``.

    For an account that holds a district in streets, a blank street is filled when the account has one street
    there, and refused otherwise. Rows in ``skip`` were already refused for their district.
    """
    rows = validation.rows
    if allowed is None or kind == "visits" or rows.empty or "street_code" not in rows:
        return []
    _, parts = areas.split(allowed)
    if not parts:
        return []
    only = {d: [c for c in parts if areas.district_of(c) == d] for d in {areas.district_of(c) for c in parts}}
    new_sites = validation.new_sites
    street = _row_streets(conn, kind, rows, new_sites)
    single = street.isna() & rows["district"].map(lambda d: len(only.get(d, ())) == 1)
    if kind == "sessions":  # a stored site without a street stays outside: it is not the file's to place
        single &= rows["site_id"].isna() | rows["site_id"].isin(set(new_sites.get("site_id", ())))
    fill = rows.loc[single, "district"].map(lambda d: only[d][0])
    rows.loc[fill.index, "street_code"] = fill
    street.loc[fill.index] = fill
    if "street" in rows:
        rows.loc[fill.index, "street"] = fill.map(streets.name)
    if kind == "sessions" and len(new_sites) and len(fill):  # the new sites those sessions create take it too
        placed = new_sites["site_id"].map(dict(zip(rows.loc[fill.index, "site_id"], fill, strict=True)))
        new_sites["street_code"] = placed.where(placed.notna(), new_sites["street_code"])
        new_sites["street"] = new_sites["street_code"].map(lambda c: streets.name(c) if isinstance(c, str) else None)
    header = raw.headers.get("street", "街道乡镇")
    label_zh, label_en = areas.names(allowed, "zh"), areas.names(allowed, "en")
    problems = []
    for i in rows.index:
        row = int(rows.at[i, "_row"])
        if row in skip or areas.covers(allowed, rows.at[i, "district"], street[i]):
            continue
        if isinstance(street[i], str):
            value = areas.name(street[i])
            problems.append(
                problem("out_of_scope", row=row, column=header, value=value, label=label_zh, label_en=label_en)
            )
        else:
            problems.append(problem("street_needed", row=row, column=header, label=label_zh, label_en=label_en))
    return problems


def _place_streets(
    conn: sa.Connection,
    rows: pd.DataFrame,
    allowed: tuple[str, ...] | None,
    skip: set[int] = frozenset(),  # type: ignore[assignment]
) -> list[Problem]:
    """Enterprises without a street, placed in one (in place), so street unions find their register: the stored
    row's street when there is one (a file without streets leaves them as they are), else the street its address
    names, else the nearest known street centre (the district's sites and registered enterprises with a street).

    Rows in a district the caller holds as a single street are left to :func:`_street_scope`, which gives them that
    street; rows in ``skip`` (outside the caller's districts) are not placed at all. A street is guessed only from
    what the caller may read: the street centres are those of the caller's own area, so a note can never tell
    whether another area holds rows near a point. Returns one note per way of placing, naming the rows.
    """
    if rows.empty or "street_code" not in rows:
        return []
    _, parts = areas.split(allowed) if allowed is not None else ((), ())
    single = {d for d in {areas.district_of(c) for c in parts} if sum(areas.district_of(c) == d for c in parts) == 1}
    blank = rows["street_code"].isna() & rows["district"].notna() & ~rows["district"].isin(single)
    blank &= ~rows["_row"].isin(skip)
    if allowed is not None:
        blank &= rows["district"].isin(areas.districts_in(allowed) or ())
    if "street" in rows:
        blank &= rows["street"].isna() | (rows["street"].astype("string").str.strip() == "")
    if not blank.any():
        return []
    todo = rows[blank]
    stored = _stored_areas(conn, enterprises.c.enterprise_id, enterprises.c.district, todo["enterprise_id"].tolist())
    kept = todo["enterprise_id"].map(lambda k: stored.get(k, (None, None))[1])
    kept = kept.where(todo["district"] == todo["enterprise_id"].map(lambda k: stored.get(k, (None, None))[0]))
    by_address = (
        streets.from_address(todo["address"], todo["district"])
        if "address" in todo
        else pd.Series(None, index=todo.index, dtype=object)
    )
    by_address = by_address.where(kept.isna())
    wanted = sorted(set(todo["district"]))
    known = pd.concat(
        [
            pd.read_sql(
                sa.select(t.c.district, t.c.street_code, t.c.lat, t.c.lon).where(
                    t.c.district.in_(wanted), t.c.street_code.is_not(None)
                ),
                conn,
            )
            for t in (sites, enterprises)
        ]
        + [rows.loc[rows["street_code"].notna(), ["district", "street_code", "lat", "lon"]]],
        ignore_index=True,
    )
    if allowed is not None:  # only the streets the caller reads guide a guess
        known = areas.keep(known, allowed)
    centre = streets.centres(known)
    # An address naming a street far from the row's own point names something else. A street's official name
    # (平房地区) is believed unless its known centre is far; a bare one (平房, also a kind of house) only when its
    # centre is known and near, or the row has no point to check it by.
    official = (
        streets.from_address(todo["address"], todo["district"], official_only=True)
        if "address" in todo
        else pd.Series(None, index=todo.index, dtype=object)
    )
    far = streets.far_from(todo["lat"], todo["lon"], by_address, centre)
    checked = by_address.isin(centre.index) | todo["lat"].isna() | (by_address == official)
    by_address = by_address.where(~far & checked)
    left = kept.isna() & by_address.isna()
    by_point = pd.Series(None, index=todo.index, dtype=object)
    if left.any():
        by_point[left] = streets.nearest(
            todo.loc[left, "lat"], todo.loc[left, "lon"], todo.loc[left, "district"], centre
        )
    placed = kept.where(kept.notna(), by_address.where(by_address.notna(), by_point))
    placed = placed[placed.notna()]
    rows.loc[placed.index, "street_code"] = placed
    rows.loc[placed.index, "street"] = placed.map(streets.name)
    notes = []
    for code, how in (("street_from_address", by_address), ("street_from_coords", by_point)):
        hit = todo.loc[how.notna() & kept.isna(), "_row"].astype(int).tolist()
        if hit:
            shown = "、".join(str(r) for r in hit[:10]) + ("…" if len(hit) > 10 else "")
            notes.append(problem(code, value=f"{len(hit):,}", rows=shown, limit=f"{streets.NEAREST_MAX_KM:g}"))
    return notes


def _foreign_keys(
    conn: sa.Connection, kind: str, raw: RawTable, rows: pd.DataFrame, allowed: tuple[str, ...] | None, skip: set[int]
) -> list[Problem]:
    """One error per row of a sessions file whose key names a stored row outside ``allowed``: a site, a session, or
    a saved plan's row. (Registers: :func:`_taken`; visits: another area's enterprise is unknown to their check.)

    Scope is checked on the row the key names as it is stored, not on the district the file gives it, so a
    planner can neither change another district's rows nor move them into their own. Rows in ``skip`` (already
    refused for their district) are not looked up: that would only tell what is stored there. A message names
    the id the caller typed, never the stored row; a row without an id that meets a stored row is refused
    without repeating its key.
    """
    if allowed is None or rows.empty:
        return []
    rows = rows[~rows["_row"].isin(skip)]
    problems: list[Problem] = []

    def check(column: str, key_col: sa.Column, district_col: sa.Column) -> pd.Series:
        keys = rows[column].dropna().astype(str)
        stored = _stored_areas(conn, key_col, district_col, keys.unique().tolist())
        return keys[keys.isin({k for k, (d, s) in stored.items() if not areas.covers(allowed, d, s)})]

    header = raw.headers.get
    if kind != "sessions":  # visits: checked in their validation; registers: see _taken
        return problems
    foreign_site = check("site_id", sites.c.site_id, sites.c.district)
    problems += [
        problem("foreign_site", row=int(rows.at[i, "_row"]), column=header("site_id", "site_id"), value=k)
        for i, k in foreign_site.items()
    ]
    # sessions: their own keys, and the plan rows their ids would tick off
    rows = rows.drop(index=foreign_site.index)
    with_id = rows["session_id"].notna()
    by_key = check("session_key", sessions.c.session_key, sessions.c.district)
    by_plan = check("session_id", plan_rows.c.session_id, plan_rows.c.district)  # would tick the plan row off
    for i in sorted(set(by_key.index) | set(by_plan.index)):
        row = int(rows.at[i, "_row"])
        if with_id[i]:
            problems.append(
                problem(
                    "foreign_key",
                    row=row,
                    column=header("session_id", "session_id"),
                    value=rows.at[i, "session_id"],
                )
            )
        else:
            problems.append(problem("foreign_row", row=row, column=header("date", "date")))
    return problems


# A register's key is one record city-wide: a site id, an enterprise's credit code (or register id).
_REGISTER_KEYS = {
    "sites": ("site_id", sites.c.site_id, sites.c.district, "site_taken"),
    "enterprises": ("enterprise_id", enterprises.c.enterprise_id, enterprises.c.district, "enterprise_taken"),
}
TAKEN = ("site_taken", "enterprise_taken")


def _taken(
    conn: sa.Connection,
    kind: str,
    raw: RawTable,
    validation: Validation,
    allowed: tuple[str, ...] | None,
    skip: set[int],
) -> list[Problem]:
    """Register rows whose key another area already holds, as row errors (the rows leave ``validation.rows``).

    The first area to register a site id or a credit code holds it: another area's row with the same key changes
    nothing and is told only that the key is taken, and who can resolve it (an administrator moves a record
    between areas; a site can take another id). Unlike a session naming another area's site, this is a row error
    that "skip rows with errors" skips, so one claimed code never blocks a district's whole register. Rows in
    ``skip`` were already refused for their district.
    """
    rows = validation.rows
    if allowed is None or kind not in _REGISTER_KEYS or rows.empty:
        return []
    column, key_col, district_col, code = _REGISTER_KEYS[kind]
    candidates = rows[~rows["_row"].isin(skip)]
    stored = _stored_areas(conn, key_col, district_col, candidates[column].dropna().astype(str).unique().tolist())
    foreign = {k for k, (d, s) in stored.items() if not areas.covers(allowed, d, s)}
    hit = candidates[candidates[column].isin(foreign)]
    if hit.empty:
        return []
    shown = "credit_code" if kind == "enterprises" and "credit_code" in raw.data.columns else column
    found = [
        problem(code, row=int(r), column=raw.headers.get(shown, shown), value=k)
        for r, k in zip(hit["_row"], hit[column], strict=True)
    ]
    validation.rows = rows.drop(index=hit.index).reset_index(drop=True)
    validation.rejected_rows |= {int(r) for r in hit["_row"]}
    validation.problems += found
    return found


def _issued_elsewhere(
    kind: str, raw: RawTable, validation: Validation, allowed: tuple[str, ...] | None, skip: set[int]
) -> list[Problem]:
    """A planner's register rows whose credit code was issued in a Beijing district outside their area, as row
    errors (the rows leave ``validation.rows``; an administrator imports or moves such an enterprise).

    Codes are public: without this, an area could register another district's enterprises before that district
    does and hold them (:func:`_taken`). The code's district (:func:`credit_code.division`) is where it was
    issued, not always where the enterprise is, so admins get a warning only.
    """
    rows = validation.rows
    if allowed is None or kind != "enterprises" or rows.empty:
        return []
    held = set(areas.districts_in(allowed) or ())
    issued = rows["credit_code"].map(lambda c: credit_code.division(c) if isinstance(c, str) else None)
    hit = rows[issued.notna() & ~issued.isin(held) & ~rows["_row"].isin(skip)]
    if hit.empty:
        return []
    shown = raw.headers.get("credit_code", "credit_code")
    found = [
        problem(
            "credit_code_other_area",
            row=int(r),
            column=shown,
            value=c,
            label=districts.name(issued[i]),
            label_en=districts.name(issued[i], "en"),
        )
        for i, r, c in zip(hit.index, hit["_row"], hit["credit_code"], strict=True)
    ]
    validation.rows = rows.drop(index=hit.index).reset_index(drop=True)
    validation.rejected_rows |= set(hit["_row"].astype(int))
    validation.problems += found
    return found


def max_sites_per_district() -> int:
    """The most sites a district may hold (``OUTREACH_MAX_SITES_PER_DISTRICT``, default 5,000)."""
    return int(os.environ.get("OUTREACH_MAX_SITES_PER_DISTRICT", "5000"))


def max_sites_per_street() -> int:
    """The most sites a street union may hold in one of its streets (``OUTREACH_MAX_SITES_PER_STREET``, default
    1,000): a street cannot fill its district's quota for the others."""
    return int(os.environ.get("OUTREACH_MAX_SITES_PER_STREET", "1000"))


def _site_capacity(conn: sa.Connection, created: pd.DataFrame, allowed: tuple[str, ...] | None) -> Problem | None:
    """A file-level error when the new sites would take a district past :func:`max_sites_per_district`, or a street
    union's streets past :func:`max_sites_per_street` each. The message counts only the caller's own area."""
    whole, parts = areas.split(allowed) if allowed is not None else ([], [])
    for code, new in created.groupby("district"):
        mine = [p for p in parts if areas.district_of(p) == code and code not in whole]
        if mine:  # a street union: its streets' sites, against its streets' share
            query = sa.select(sa.func.count()).select_from(sites).where(sites.c.street_code.in_(mine))
            limit, shown = max_sites_per_street() * len(mine), areas.names(mine)
        else:
            query = sa.select(sa.func.count()).select_from(sites).where(sites.c.district == code)
            limit, shown = max_sites_per_district(), districts.name(str(code))
        stored = int(conn.execute(query).scalar() or 0)
        if stored + len(new) > limit:
            return problem("too_many_sites", value=shown, label=f"{stored:,}", limit=f"{limit:,}", rows=f"{len(new):,}")
    return None


def _audit(
    conn: sa.Connection,
    kind: str,
    file_name: str,
    digest: str,
    user: audit.Actor | str | None,
    report: ImportReport,
    codes: Iterable[str],
) -> int:
    result = conn.execute(
        uploads.insert().values(
            kind=kind,
            file_name=printable(file_name)[:255],
            sha256=digest,
            uploaded_at=dt.datetime.now(dt.UTC),
            uploaded_by=getattr(user, "user", user),
            districts=",".join(sorted(codes)) or None,
            rows_total=report.total,
            rows_inserted=report.inserted,
            rows_updated=report.updated,
            rows_unchanged=report.unchanged,
            rows_rejected=report.rejected,
        )
    )
    key = result.inserted_primary_key
    if key is None:  # cannot happen: one row was inserted into a table with an autoincrement key
        raise RuntimeError("the new upload row has no id")
    return int(key[0])


def _known_sites(conn: sa.Connection) -> pd.DataFrame:
    return pd.DataFrame(
        conn.execute(sa.select(sites.c.site_id, sites.c.name, sites.c.district, sites.c.street_code)).all(),
        columns=["site_id", "name", "district", "street_code"],
    )


def _read(
    kind: str,
    data: bytes,
    file_name: str,
    columns: tuple,
    id_column: str,
    max_bytes: int | None,
    max_rows: int | None,
) -> RawTable | ImportReport:
    """The file as a table without its set-aside rows (the templates' examples, results not yet held), or the
    report of a file too large or unreadable."""
    if too_large := _size_problem(data, max_bytes):
        return ImportReport(kind, file_name, "unreadable", problems=[too_large])
    try:
        return set_aside(read_table(data, file_name, columns, max_rows), id_column)
    except UnreadableFile as exc:
        return ImportReport(kind, file_name, "unreadable", problems=[exc.problem])


def import_sessions(
    engine: sa.Engine,
    data: bytes,
    file_name: str,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    user: audit.Actor | str | None = None,
    today: dt.date | None = None,
    allowed: tuple[str, ...] | None = None,
    max_bytes: int | None = None,
    max_rows: int | None = None,
) -> ImportReport:
    """Validate and import a sessions file (CSV or .xlsx, Chinese or English headers).

    Parameters
    ----------
    engine : Engine
        The database, at the current schema version.
    data, file_name : bytes, str
        The file's content and its name (for messages and the audit row).
    dry_run : bool
        Validate and count what would happen; write nothing.
    skip_invalid : bool
        Import the valid rows even when others are rejected (default: one error refuses the whole file).
    user : Scope or str, optional
        Who imported it, for the upload row and the audit log.
    today : date, optional
        Dates after this are refused (default: today).
    allowed : tuple of adcodes, optional
        The importer's districts: a file with any row outside them is refused whole, naming the rows.
    max_bytes, max_rows : int, optional
        Larger or longer files are refused (default :func:`max_upload_bytes`, :func:`max_upload_rows`).

    Returns
    -------
    ImportReport
    """
    raw = _read("sessions", data, file_name, SESSION_COLUMNS, "session_id", max_bytes, max_rows)
    if isinstance(raw, ImportReport):  # examples and rows not yet held are set aside; an unreadable file stops here
        return raw

    def validate(conn: sa.Connection) -> Validation:
        # under the write lock, so sites another import just created are known; names are looked up only among the
        # sites the importer may read, so another area's site name reads as a new one
        known = _known_sites(conn)
        known["readable"] = areas.mask(known, allowed)
        return validate_sessions(raw, known, today, _id_rule(conn, allowed))

    return _write(
        engine,
        "sessions",
        raw,
        validate,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        user=user,
        digest=sha256(data),
        allowed=allowed,
    )


def import_sites(
    engine: sa.Engine,
    data: bytes,
    file_name: str,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    user: audit.Actor | str | None = None,
    coords: str = "wgs84",
    allowed: tuple[str, ...] | None = None,
    max_bytes: int | None = None,
    max_rows: int | None = None,
) -> ImportReport:
    """Validate and import a sites file; ``coords="gcj02"`` converts Gaode (GCJ-02) coordinates to WGS-84.

    The other parameters are those of :func:`import_sessions`.
    """
    return _import_register(
        engine,
        "sites",
        data,
        file_name,
        lambda raw, ids: validate_sites(raw, districts.boundaries(), ids),
        coords=coords,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        user=user,
        allowed=allowed,
        max_bytes=max_bytes,
        max_rows=max_rows,
    )


def import_enterprises(
    engine: sa.Engine,
    data: bytes,
    file_name: str,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    user: audit.Actor | str | None = None,
    coords: str = "wgs84",
    allowed: tuple[str, ...] | None = None,
    max_bytes: int | None = None,
    max_rows: int | None = None,
) -> ImportReport:
    """Validate and import an enterprise register (see :func:`validate.validate_enterprises`).

    Idempotent on the credit code (else the file's id, else district and name). The head's name and contact are
    written only when the file has those columns, so a file without them leaves the stored ones as they are. The
    other parameters are those of :func:`import_sites`.
    """
    return _import_register(
        engine,
        "enterprises",
        data,
        file_name,
        lambda raw, ids: validate_enterprises(raw, ids, districts.boundaries()),
        coords=coords,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        user=user,
        allowed=allowed,
        max_bytes=max_bytes,
        max_rows=max_rows,
    )


def _visit_context(conn: sa.Connection, raw: RawTable) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The stored enterprises and enterprise sessions a visits file names (looked up under the write lock)."""
    data = raw.data
    ids = data["enterprise_id"].map(lambda v: " ".join(str(v).split())) if "enterprise_id" in data else pd.Series()
    ids = sorted(set(ids) | set(ids.map(credit_code.normalise)) - {""})
    known: list[sa.Row] = []
    founding: dict[str, str] = {}
    for i in range(0, len(ids), _KEY_CHUNK):
        chunk = ids[i : i + _KEY_CHUNK]
        known += conn.execute(
            sa.select(
                enterprises.c.enterprise_id,
                enterprises.c.district,
                enterprises.c.street_code,
                enterprises.c.name,
                enterprises.c.staff,
                enterprises.c.union_status,
                enterprises.c.union_founded_on,
            ).where(enterprises.c.enterprise_id.in_(chunk))
        ).all()
        founding.update(
            conn.execute(
                sa.select(enterprise_visits.c.enterprise_id, enterprise_visits.c.visit_key).where(
                    enterprise_visits.c.enterprise_id.in_(chunk), enterprise_visits.c.outcome == "founded"
                )
            ).all()
        )
    frame = pd.DataFrame(
        known, columns=["enterprise_id", "district", "street_code", "name", "staff", "union_status", "union_founded_on"]
    )
    frame["founding_key"] = frame["enterprise_id"].map(founding)
    named = sorted(set(data["session_id"].str.strip()) - {""}) if "session_id" in data else []
    held = (
        conn.execute(
            sa.select(sessions.c.session_id, sessions.c.district, sessions.c.street_code, sessions.c.date).where(
                sessions.c.session_id.in_(named), sessions.c.session_type == "enterprise"
            )
        ).all()
        if named
        else []
    )
    return frame, pd.DataFrame(held, columns=["session_id", "district", "street_code", "date"])


def import_visits(
    engine: sa.Engine,
    data: bytes,
    file_name: str,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    user: audit.Actor | str | None = None,
    today: dt.date | None = None,
    allowed: tuple[str, ...] | None = None,
    max_bytes: int | None = None,
    max_rows: int | None = None,
) -> ImportReport:
    """Validate and import enterprise visits (see :func:`validate.validate_visits`): what came of each enterprise
    reached, keyed on the enterprise and the day, so a re-import updates a visit in place.

    A founding (已建会 / 联合建会) sets the enterprise's union status and date in the register in the same
    transaction; correcting that visit to another outcome takes them back. Scope is checked on the stored
    enterprise (and session) each row names; the other parameters are those of :func:`import_sessions`.
    """
    raw = _read("visits", data, file_name, VISIT_COLUMNS, "enterprise_id", max_bytes, max_rows)
    if isinstance(raw, ImportReport):
        return raw

    foreign: list[str] = []

    def validate(conn: sa.Connection) -> Validation:
        known, held = _visit_context(conn, raw)
        if allowed is not None:
            # Another district's enterprise or session is answered exactly as a missing one: its stored staff,
            # founding date or session day never reach a check, a message, a count or the rejected rows.
            outside = ~areas.mask(known, allowed)
            foreign[:] = known.loc[outside, "enterprise_id"].tolist()
            known = known[~outside]
            held = held[areas.mask(held, allowed)]
        return validate_visits(raw, known, services.read(conn), held, today)

    report = _write(
        engine,
        "visits",
        raw,
        validate,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        user=user,
        digest=sha256(data),
        allowed=allowed,
    )
    if foreign and user is not None:  # for the admins' audit log only: the caller's answer is the same
        audit.record(
            engine,
            user,
            "denied",
            what="import",
            kind="visits",
            file=file_name,
            rows=len(foreign),
            dry_run=dry_run,
            why=["foreign_enterprise"],
        )
    return report


def _sync_foundings(conn: sa.Connection, rows: pd.DataFrame, before: dict[str, tuple]) -> None:
    """Carry foundings from the visits just written into the register, and take back the ones corrected away.

    ``before`` holds each rewritten visit's stored (outcome, founded_on).
    """
    founded = rows[rows["outcome"] == "founded"]
    founding_now = set(founded["enterprise_id"])
    undone = [
        (r.enterprise_id, before[r.visit_key][1])
        for r in rows.itertuples(index=False)
        if r.outcome != "founded"
        and before.get(r.visit_key, (None,))[0] == "founded"
        and r.enterprise_id not in founding_now  # moved to another visit in this file: set below
    ]
    for enterprise_id, was in undone:  # only when the register still shows the founding this visit recorded
        conn.execute(
            enterprises.update()
            .where(enterprises.c.enterprise_id == enterprise_id, enterprises.c.union_founded_on == was)
            .values(union_status="none", union_founded_on=None)
        )
    if len(founded):
        conn.execute(
            enterprises.update().where(enterprises.c.enterprise_id == sa.bindparam("_key")),
            [
                {"_key": r.enterprise_id, "union_status": r.union_kind, "union_founded_on": r.founded_on}
                for r in founded.itertuples(index=False)
            ],
        )


REGISTERS = {"sites": (SITE_COLUMNS, "site_id"), "enterprises": (ENTERPRISE_COLUMNS, "enterprise_id")}


def _import_register(
    engine: sa.Engine,
    kind: str,
    data: bytes,
    file_name: str,
    validate: Callable[[RawTable, IdRule], Validation],
    *,
    coords: str,
    dry_run: bool,
    skip_invalid: bool,
    user: audit.Actor | str | None,
    allowed: tuple[str, ...] | None,
    max_bytes: int | None,
    max_rows: int | None,
) -> ImportReport:
    """Read, convert coordinates, validate and write a register (sites or enterprises): what their imports share."""
    columns, id_column = REGISTERS[kind]
    raw = _read(kind, data, file_name, columns, id_column, max_bytes, max_rows)
    if isinstance(raw, ImportReport):
        return raw
    if coords == "gcj02":
        _to_wgs84(raw)  # before validation, so the range and district checks see WGS-84
    with engine.begin() as conn:  # the key of worked-out ids (validation runs outside the write's transaction)
        rule = _id_rule(conn, allowed)
    validation = validate(raw, rule)
    return _write(
        engine,
        kind,
        raw,
        lambda conn: validation,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        user=user,
        digest=sha256(data),
        allowed=allowed,
    )


def _to_wgs84(raw: RawTable) -> None:
    """Gaode (GCJ-02) coordinates converted in place before validation, so its checks see WGS-84."""
    if not {"lat", "lon"} <= set(raw.data.columns):
        return
    lat, _ = parse_floats(raw.data["lat"])
    lon, _ = parse_floats(raw.data["lon"])
    ok = lat.between(-90, 90) & lon.between(-180, 180)  # anything else is left for the validator to name
    wlon, wlat = gcj_to_wgs(lon[ok].to_numpy(), lat[ok].to_numpy())
    raw.data.loc[ok, "lat"] = [f"{v:.6f}" for v in wlat]
    raw.data.loc[ok, "lon"] = [f"{v:.6f}" for v in wlon]


def _existing_contacts(conn: sa.Connection, keys: list[str]) -> dict[str, tuple]:
    return _existing(
        conn,
        enterprise_contacts.c.enterprise_id,
        (enterprise_contacts.c.head_name, enterprise_contacts.c.contact),
        keys,
    )


def _write_enterprises(
    conn: sa.Connection, rows: pd.DataFrame, is_new: list[bool], changed: list[bool], upload_id: int, contacts: bool
) -> None:
    """Insert the new enterprises, update the changed ones, and replace the contacts of every row written."""
    frame = rows[list(ENTERPRISE_FIELDS)].assign(upload_id=upload_id).astype(object)
    records = frame.where(frame.notna(), None).to_dict("records")
    inserts = [r for r, n in zip(records, is_new, strict=True) if n]
    if inserts:
        conn.execute(enterprises.insert(), inserts)
    updates = [
        {**{k: v for k, v in r.items() if k != "enterprise_id"}, "_key": r["enterprise_id"]}
        for r, n, c in zip(records, is_new, changed, strict=True)
        if c and not n
    ]
    if updates:
        conn.execute(enterprises.update().where(enterprises.c.enterprise_id == sa.bindparam("_key")), updates)
        # an enterprise moved to another district takes its visits along (scope reads a visit's own district)
        conn.execute(
            enterprise_visits.update()
            .where(
                enterprise_visits.c.enterprise_id == sa.bindparam("_key"),
                enterprise_visits.c.district != sa.bindparam("_district"),
            )
            .values(district=sa.bindparam("_district")),
            [{"_key": u["_key"], "_district": u["district"]} for u in updates],
        )
    if not contacts:  # the file has no contact columns: the stored ones stay
        return
    keys = rows["enterprise_id"].tolist()
    for i in range(0, len(keys), _KEY_CHUNK):
        conn.execute(
            enterprise_contacts.delete().where(enterprise_contacts.c.enterprise_id.in_(keys[i : i + _KEY_CHUNK]))
        )
    people = rows[["enterprise_id", *CONTACT_FIELDS]].astype(object)
    people = people[people["head_name"].notna() | people["contact"].notna()]
    if len(people):
        conn.execute(enterprise_contacts.insert(), people.where(people.notna(), None).to_dict("records"))


def _write(
    engine: sa.Engine, kind: str, raw: RawTable, validate: Callable[[sa.Connection], Validation], **options: Any
) -> ImportReport:
    """Validate and write in one transaction (:func:`_write_once`, which takes the same options); rows that met a
    key another area holds are audited apart, since a dry run's transaction is rolled back."""
    report = _write_once(engine, kind, raw, validate, **options)
    user, dry_run = options["user"], options["dry_run"]
    taken = [p for p in report.problems if p.code in TAKEN]
    if taken and user is not None:
        audit.record(
            engine,
            user,
            "denied",
            what="import",
            kind=kind,
            file=raw.file_name,
            rows=len(taken),
            dry_run=dry_run,
            why=sorted({p.code for p in taken}),
            keys=sorted({str(p.value) for p in taken})[:20],
        )
    return report


def _write_once(
    engine: sa.Engine,
    kind: str,
    raw: RawTable,
    validate: Callable[[sa.Connection], Validation],
    *,
    dry_run: bool,
    skip_invalid: bool,
    user: audit.Actor | str | None,
    digest: str,
    allowed: tuple[str, ...] | None,
) -> ImportReport:
    """Validate (through ``validate(conn)``) and write in one transaction.

    A real write first takes the database's import lock, so concurrent imports run one after another: each
    sees every row the others committed, and overlapping files neither duplicate nor lose a row.
    """
    table, key_col = {
        "sessions": (sessions, sessions.c.session_key),
        "sites": (sites, sites.c.site_id),
        "enterprises": (enterprises, enterprises.c.enterprise_id),
        "visits": (enterprise_visits, enterprise_visits.c.visit_key),
    }[kind]
    key_name = key_col.name
    if kind == "sessions":
        hash_cols: tuple[sa.Column, ...] = (table.c.id, table.c.row_hash)
    elif kind == "visits":
        hash_cols = (table.c.outcome, table.c.founded_on, table.c.row_hash)
    elif kind == "sites":
        hash_cols = (
            table.c.name,
            table.c.district,
            table.c.street,
            table.c.street_code,
            table.c.lat,
            table.c.lon,
            table.c.site_type,
            table.c.workers_nearby,
        )
    else:
        hash_cols = tuple(table.c[f] for f in ENTERPRISE_FIELDS[1:])
    with_contacts = kind == "enterprises" and bool(set(CONTACT_FIELDS) & set(raw.data.columns))

    with engine.begin() as conn:
        if not dry_run:
            lock_writes(conn)
        validation = validate(conn)
        report = ImportReport(
            kind,
            raw.file_name,
            "refused",
            total=validation.total_rows + raw.set_aside,
            set_aside=raw.set_aside,
            problems=list(validation.problems),
        )
        outside = _scope_problems(raw, allowed)
        refused = {p.row for p in outside if p.row is not None}
        _step_aside(conn, kind, validation.rows, allowed)
        if kind in ("sites", "enterprises"):
            _named_as_stored(conn, kind, validation.rows, allowed, _id_rule(conn, allowed))
        report.problems += _taken(conn, kind, raw, validation, allowed, skip=refused)
        if elsewhere := _issued_elsewhere(kind, raw, validation, allowed, skip=refused):
            hit = {p.row for p in elsewhere}  # the row's warning about the same code says less than its error
            kept = [p for p in report.problems if not (p.code == "credit_code_other_district" and p.row in hit)]
            report.problems = kept + elsewhere
        outside += _foreign_keys(conn, kind, raw, validation.rows, allowed, skip=refused)
        if kind == "enterprises":
            report.problems += _place_streets(conn, validation.rows, allowed, skip=refused)
        outside += _street_scope(conn, kind, raw, validation, allowed, skip={p.row for p in outside if p.row})
        if outside:  # refused whole, whatever skip_invalid says: a planner never writes another district's rows
            # Those rows get their scope error only: what else the checks found there (a site's id resolved from
            # its name, "registered in another district", "new site") would tell about rows the caller may not see.
            scoped = {p.row for p in outside}
            report.problems = outside + [p for p in report.problems if p.row not in scoped]
            report.rejected = len(scoped | set(validation.rejected_rows))
            report.preview = (
                validation.rows[~validation.rows["_row"].isin(scoped)] if len(validation.rows) else validation.rows
            )
            if user is not None:
                why = sorted({p.code for p in outside})
                audit.record(
                    conn,
                    user,
                    "denied",
                    what="import",
                    kind=kind,
                    file=raw.file_name,
                    rows=len(scoped),
                    dry_run=dry_run,
                    why=why,
                )
            return report
        report.rejected = len(validation.rejected_rows)
        report.rejected_rows = _rejected_frame(raw, validation)
        report.preview = validation.rows
        has_rows = len(validation.rows) > 0
        file_level_error = any(p.row is None for p in validation.errors)
        if file_level_error or (validation.errors and not skip_invalid) or (not has_rows and validation.errors):
            return report
        if not has_rows:  # every row set aside (examples, sessions not held yet): nothing to write, no error
            report.status = "dry_run" if dry_run else "written"
            if not dry_run:
                _cancel_plan_rows(conn, kind, raw, allowed, user)
            return report
        rows = validation.rows
        seen = _seen_before(conn, kind, digest)
        if seen:
            report.problems.insert(0, seen)
        existing = _existing(conn, key_col, hash_cols, rows[key_name].tolist())
        if kind == "sessions":
            old = pd.Series(
                [existing.get(k, (None, None))[1] for k in rows[key_name].tolist()], index=rows.index, dtype=object
            )
            is_new = old.isna()
            changed = ~is_new & (old != rows["row_hash"])
            new_sites = validation.new_sites
            report.new_sites = len(new_sites)
        elif kind == "visits":
            old = pd.Series([existing.get(k, (None,) * 3)[2] for k in rows[key_name]], index=rows.index, dtype=object)
            is_new = old.isna()
            changed = ~is_new & (old != rows["row_hash"])
        elif kind == "enterprises":
            rows = _keep_visit_foundings(conn, rows, raw, report)
            fields = list(ENTERPRISE_FIELDS[1:]) + (list(CONTACT_FIELDS) if with_contacts else [])
            stored = existing
            if with_contacts:
                people = _existing_contacts(conn, rows[key_name].tolist())
                stored = {k: (*v, *people.get(k, (None, None))) for k, v in existing.items()}
            values = rows[fields].astype(object)
            values = values.where(values.notna(), None)
            current = [tuple(_none(v) for v in t) for t in values.itertuples(index=False)]
            is_new = ~rows[key_name].isin(existing.keys())
            changed = pd.Series(
                [k in stored and _differs(stored[k], c) for k, c in zip(rows[key_name], current, strict=True)],
                index=rows.index,
            )
        else:
            values = rows[
                ["name", "district", "street", "street_code", "lat", "lon", "site_type", "workers_nearby"]
            ].astype(object)
            values = values.where(values.notna(), None)
            current = [tuple(_none(v) for v in t) for t in values.itertuples(index=False)]
            is_new = ~rows[key_name].isin(existing.keys())
            changed = pd.Series(
                [k in existing and _differs(existing[k], c) for k, c in zip(rows[key_name], current, strict=True)],
                index=rows.index,
            )
        created = new_sites if kind == "sessions" else rows[is_new.to_numpy()] if kind == "sites" else rows.iloc[:0]
        if len(created) and (full := _site_capacity(conn, created, allowed)):
            report.problems.insert(0, full)  # the map and the planner of a district must stay usable
            return report
        report.inserted = int(is_new.sum())
        report.updated = int(changed.sum())
        report.unchanged = int(len(rows) - report.inserted - report.updated)
        if dry_run:
            report.status = "dry_run"
            conn.rollback()
            return report

        codes = _row_areas(conn, kind, rows, new_sites if kind == "sessions" else None)
        upload_id = _audit(conn, kind, raw.file_name, digest, user, report, codes)
        report.upload_id = upload_id
        if user is not None:
            audit.record(
                conn,
                user,
                "import",
                codes,
                kind=kind,
                file=raw.file_name,
                upload_id=upload_id,
                **{k: n for k, n in report.counts().items() if k != "set_aside"},  # the audit's keys as they were
            )
        if kind == "sessions":
            if len(new_sites):
                site_rows = new_sites.assign(upload_id=upload_id).astype(object)
                conn.execute(sites.insert(), site_rows.where(site_rows.notna(), None).to_dict("records"))
            if is_new.any():
                _insert_sessions(conn, rows[is_new.to_numpy()], upload_id)
            updates = _session_records(rows[changed.to_numpy()], upload_id) if changed.any() else []
            if updates:
                stmt = sessions.update().where(sessions.c.session_key == sa.bindparam("_key"))
                params = [
                    {**{k: v for k, v in r.items() if k != "session_key"}, "_key": r["session_key"]} for r in updates
                ]
                conn.execute(stmt, params)  # SET columns come from the parameter keys
        elif kind == "enterprises":
            _write_enterprises(conn, rows, is_new.tolist(), changed.tolist(), upload_id, with_contacts)
        elif kind == "visits":
            _upsert(conn, key_col, rows, is_new, changed, upload_id)
            written = rows[(is_new | changed).to_numpy()]
            _sync_foundings(conn, written, {k: v[:2] for k, v in existing.items()})
        else:
            _upsert(conn, key_col, rows, is_new, changed, upload_id)
        if kind != "sessions":  # a session's street came with its row (its site's, or the file's)
            _follow_streets(conn, kind, rows[(is_new | changed).to_numpy()])
        else:
            _cancel_plan_rows(conn, kind, raw, allowed, user)
    report.status = "written"
    return report


def _cancel_plan_rows(
    conn: sa.Connection, kind: str, raw: RawTable, allowed: tuple[str, ...] | None, user: audit.Actor | str | None
) -> None:
    """A results sheet's rows marked 未开展 mark their saved plan rows cancelled (within ``allowed``, and only rows
    with no results stored): the reporting view then counts them as not held rather than not reported."""
    keys = sorted({str(p.value) for p in raw.notes if p.code == "cancelled" and p.value})
    if kind != "sessions" or not keys:
        return
    held = sa.exists().where(
        sessions.c.session_id == plan_rows.c.session_id, sessions.c.district == plan_rows.c.district
    )
    stmt = plan_rows.update().where(plan_rows.c.session_id.in_(keys), ~held, plan_rows.c.status.is_(None))
    if (inside := areas.sql(plan_rows.c.district, allowed)) is not None:
        stmt = stmt.where(inside)
    by = getattr(user, "user", user)
    conn.execute(stmt.values(status="cancelled", status_at=dt.datetime.now(dt.UTC), status_by=str(by or "")[:64]))


def _row_streets(conn: sa.Connection, kind: str, rows: pd.DataFrame, new_sites: pd.DataFrame | None) -> pd.Series:
    """Each row's street code: a session's site's (stored, or created by the file), a visit's enterprise's, else the
    file's own."""
    street = rows["street_code"].copy() if "street_code" in rows else pd.Series(None, index=rows.index, dtype=object)
    if kind == "sessions" and rows["site_id"].notna().any():
        ids = rows["site_id"].dropna().unique().tolist()
        stored = {k: s for k, (_, s) in _stored_areas(conn, sites.c.site_id, sites.c.district, ids).items()}
        if new_sites is not None and len(new_sites):
            stored.update(zip(new_sites["site_id"], new_sites["street_code"], strict=True))
        street = rows["site_id"].map(stored).where(rows["site_id"].notna(), street)
    if kind == "visits":
        ids = rows["enterprise_id"].unique().tolist()
        found = _stored_areas(conn, enterprises.c.enterprise_id, enterprises.c.district, ids)
        street = rows["enterprise_id"].map({k: s for k, (_, s) in found.items()})
    return street.astype(object)


def _row_areas(conn: sa.Connection, kind: str, rows: pd.DataFrame, new_sites: pd.DataFrame | None) -> set[str]:
    """The areas a file's rows belong to, each row's street code or else its district (for the upload's record
    and the audit log, by which a street's planner sees the uploads wholly within their streets)."""
    return areas.touched(zip(rows["district"], _row_streets(conn, kind, rows, new_sites), strict=True))


def _follow_streets(conn: sa.Connection, kind: str, rows: pd.DataFrame) -> None:
    """Sessions and plan rows take their site's street and district, visits their enterprise's street: scope reads a
    row's own area, so a site or enterprise given (or moved to) a street takes its rows along. ``rows`` are those
    written."""
    if kind == "sites":  # the site's district too: a site corrected into another district takes its rows along
        ids = rows["site_id"].dropna().unique().tolist()
        for table in (sessions, plan_rows):
            mine = sites.c.site_id == table.c.site_id
            street = sa.select(sites.c.street_code).where(mine).scalar_subquery()
            district = sa.select(sites.c.district).where(mine).scalar_subquery()
            for i in range(0, len(ids), _KEY_CHUNK):
                chunk = ids[i : i + _KEY_CHUNK]
                conn.execute(
                    table.update().where(table.c.site_id.in_(chunk)).values(street_code=street, district=district)
                )
    elif kind in ("enterprises", "visits"):
        ids = rows["enterprise_id"].dropna().unique().tolist()
        of_enterprise = (
            sa.select(enterprises.c.street_code)
            .where(enterprises.c.enterprise_id == enterprise_visits.c.enterprise_id)
            .scalar_subquery()
        )
        for i in range(0, len(ids), _KEY_CHUNK):
            chunk = ids[i : i + _KEY_CHUNK]
            conn.execute(
                enterprise_visits.update()
                .where(enterprise_visits.c.enterprise_id.in_(chunk))
                .values(street_code=of_enterprise)
            )


def _upsert(
    conn: sa.Connection, key_col: sa.Column, rows: pd.DataFrame, is_new: pd.Series, changed: pd.Series, upload_id: int
) -> None:
    """Insert the new rows and update the changed ones of ``key_col``'s table (sites, visits), all columns."""
    table, key = key_col.table, key_col.name
    records = rows.drop(columns=["_row"]).assign(upload_id=upload_id).astype(object)
    records = records.where(records.notna(), None).to_dict("records")
    inserts = [r for r, n in zip(records, is_new, strict=True) if n]
    if inserts:
        conn.execute(table.insert(), inserts)
    updates = [
        {**{k: v for k, v in r.items() if k != key}, "_key": r[key]} for r, c in zip(records, changed, strict=True) if c
    ]
    if updates:
        conn.execute(table.update().where(key_col == sa.bindparam("_key")), updates)


def _keep_visit_foundings(conn: sa.Connection, rows: pd.DataFrame, raw: RawTable, report: ImportReport) -> pd.DataFrame:
    """A register row cannot undo or redate a founding a visit recorded: the visit is the record. Such rows keep
    the visit's status and date, each with a note."""
    ids = rows["enterprise_id"].tolist()
    recorded: dict[str, tuple] = {}
    for i in range(0, len(ids), _KEY_CHUNK):
        recorded.update(
            (e, (k, d))
            for e, k, d in conn.execute(
                sa.select(
                    enterprise_visits.c.enterprise_id, enterprise_visits.c.union_kind, enterprise_visits.c.founded_on
                )
                .where(enterprise_visits.c.enterprise_id.in_(ids[i : i + _KEY_CHUNK]))
                .where(enterprise_visits.c.outcome == "founded")
            )
        )
    if not recorded:
        return rows
    rows = rows.copy()
    rows["union_founded_on"] = rows["union_founded_on"].astype(object)  # dates, whatever the file's column held
    header = raw.headers.get("union_status", "union_status")
    for i, e in rows["enterprise_id"].items():
        if e not in recorded:
            continue
        kind, stored_day = recorded[e]
        day = pd.Timestamp(stored_day).date()  # a date, or its text on SQLite
        if rows.at[i, "union_status"] != kind or rows.at[i, "union_founded_on"] != day:
            rows.at[i, "union_status"], rows.at[i, "union_founded_on"] = kind, day
            report.problems.append(
                problem("register_founding_kept", row=int(rows.at[i, "_row"]), column=header, limit=str(day))
            )
    return rows


def _differs(old: tuple, new: tuple) -> bool:
    for a, b in zip(old, new, strict=True):
        if isinstance(a, float) or isinstance(b, float):
            if a is None or b is None:
                if a is not b:
                    return True
            elif abs(float(a) - float(b)) > 1e-9:
                return True
        elif a != b:
            return True
    return False
