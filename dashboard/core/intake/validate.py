"""Validate a :class:`~dashboard.core.intake.tabular.RawTable` of sessions or sites, all rows at once.

Validation is pure: it reads the table and what is already known (the site list) and returns clean rows,
the problems of every bad row, and the sites the file would create. Nothing is written here.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd
import sqlalchemy as sa

from dashboard.core.geo import districts, streets
from dashboard.core.intake import credit_code as uscc
from dashboard.core.intake import decline_reasons
from dashboard.core.intake.columns import (
    ENTERPRISE_COLUMNS,
    ENTERPRISE_COUNTS,
    JOINT_OUTCOMES,
    SESSION_COLUMNS,
    SITE_COLUMNS,
    VISIT_COLUMNS,
    WORKER_COUNTS,
    Column,
    industry_key,
    is_known_site_type,
    outcome_key,
    session_type_key,
    site_type_key,
    union_status_key,
)
from dashboard.core.intake.parsing import MAX_COUNT, YEARS, parse_counts, parse_dates, parse_floats, parse_times
from dashboard.core.intake.tabular import RawTable
from dashboard.core.messages import ERROR, MAX_LISTED, Problem, ProblemLog, problem
from dashboard.core.storage.schema import enterprise_contacts, enterprise_visits, enterprises, sessions, sites

if TYPE_CHECKING:
    import geopandas as gpd

BEIJING_BBOX = {"lat": (39.40, 41.10), "lon": (115.40, 117.55)}
PROGRAMME_START = pd.Timestamp("2018-01-01")
COUNT_COLUMNS = ("staff", "consultations", "applications", "members_joined", "enterprises_reached", "unions_founded")

# The longest text each column may hold: the database's own limits, so a file that passes here stores on every backend.
NOTES_MAX = 2000  # notes are TEXT; a limit keeps one pasted document from filling the preview and the exports


def _length(column: sa.Column) -> int | None:
    return cast(sa.String, column.type).length  # every column named below is a String (VARCHAR)


TEXT_LIMITS = {
    "session_id": _length(sessions.c.session_id),
    "site_id": _length(sites.c.site_id),
    "site_name": _length(sites.c.name),
    "street": _length(sites.c.street),
    "site_type": _length(sites.c.site_type),
    "notes": NOTES_MAX,
    "enterprise_id": _length(enterprises.c.enterprise_id),
    "enterprise_name": _length(enterprises.c.name),
    "address": _length(enterprises.c.address),
    "head_name": _length(enterprise_contacts.c.head_name),
    "contact": _length(enterprise_contacts.c.contact),
    "reason": _length(enterprise_visits.c.reason),
}
_HHMM = np.array([f"{m // 60:02d}:{m % 60:02d}" for m in range(24 * 60)], dtype=object)
_BY_NAME = {c.name: c for c in ENTERPRISE_COLUMNS + SITE_COLUMNS + SESSION_COLUMNS}


@dataclass
class Validation:
    """What validating a file found.

    Attributes
    ----------
    rows : DataFrame
        The valid rows in canonical form, one per distinct record, with ``_row`` (spreadsheet row).
    problems : list of Problem
        Errors and warnings, each against its row and column.
    rejected_rows : set of int
        Spreadsheet rows with at least one error.
    new_sites : DataFrame
        Sites the file refers to that do not exist yet (sessions only).
    """

    rows: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    rejected_rows: set[int] = field(default_factory=set)
    new_sites: pd.DataFrame = field(default_factory=pd.DataFrame)
    total_rows: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors


class _Checker:
    """Collects problems for masks over a table, remembering which rows are rejected."""

    def __init__(self, raw: RawTable, columns: tuple[Column, ...] = ()):
        self.raw = raw
        self.by_name = {**_BY_NAME, **{c.name: c for c in columns}}  # the file's own labels win
        self.log = ProblemLog(raw.notes)
        self.bad = pd.Series(False, index=raw.data.index)

    def header(self, name: str) -> str:
        return self.raw.headers.get(name, self.by_name[name].label)

    def flag(
        self,
        mask: pd.Series,
        code: str,
        name: str,
        values: pd.Series | None = None,
        limit: str = "",
        limit_en: str = "",
    ) -> None:
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        col = self.by_name[name]
        shown = values if values is not None else self.raw.data.get(name, pd.Series("", index=mask.index))
        where = mask[mask].index
        for idx in where[: self.log.room(code)]:
            row = int(self.raw.row_numbers[idx])
            p = problem(
                code,
                row=row,
                column=self.header(name),
                value=shown[idx],
                label=col.label,
                label_en=col.label_en,
                limit=limit,
                limit_en=limit_en,
            )
            self.log.add(p)
        self.log.count(code, max(0, len(where) - MAX_LISTED))
        if problem(code).severity == ERROR:
            self.bad |= mask

    def col(self, name: str) -> pd.Series:
        data = self.raw.data
        return data[name] if name in data.columns else pd.Series("", index=data.index, dtype=str)

    def missing_columns(self, columns: tuple[Column, ...]) -> bool:
        missing = [c for c in columns if c.required and c.name not in self.raw.data.columns]
        for c in missing:
            # the whole file's problem: the message names the column in the reader's language
            self.log.add(problem("missing_column", label=c.label, label_en=c.label_en))
        if self.raw.unknown_headers:
            self.log.add(problem("unknown_columns", value="、".join(self.raw.unknown_headers)))
        if self.raw.data.empty:
            set_aside_only = any(p.code in SET_ASIDE for p in self.raw.notes)
            if not set_aside_only:  # a sheet of rows not yet held is not an error: its notes say so
                self.log.add(problem("no_rows"))
            return True
        return bool(missing)

    def counts(self, name: str) -> pd.Series:
        counts, non_numeric, negative, fractional, too_large = parse_counts(self.col(name))
        self.flag(non_numeric, "bad_count", name)
        self.flag(negative, "negative_count", name)
        self.flag(fractional, "fractional_count", name)
        self.flag(too_large, "count_too_large", name, limit=f"{MAX_COUNT:,}")
        return counts

    def dates(self, name: str) -> pd.Series:
        dates, unrecognised, impossible, out_of_range, with_time = parse_dates(self.col(name))
        self.flag(self.col(name) == "", "required_blank", name)
        self.flag(unrecognised, "bad_date", name)
        self.flag(impossible, "impossible_date", name)
        self.flag(out_of_range, "date_out_of_range", name, limit=f"{YEARS[0]}–{YEARS[1]}")
        self.flag(with_time, "date_with_time", name)
        return dates

    def lengths(self, columns: tuple[Column, ...]) -> None:
        """Flag text longer than its column can store."""
        for c in columns:
            limit = TEXT_LIMITS.get(c.name)
            if limit and c.name in self.raw.data.columns:
                self.flag(self.col(c.name).str.len() > limit, "too_long", c.name, limit=f"{limit:,}")

    def district(self) -> pd.Series:
        raw = self.col("district")
        codes = districts.resolve_series(raw)
        self.flag(raw == "", "required_blank", "district")
        self.flag((raw != "") & codes.isna(), "unknown_district", "district")
        return codes

    def street(self, district: pd.Series) -> tuple[pd.Series, pd.Series]:
        """The rows' streets as (code, name), resolved within each row's district (None where blank).

        A street of another district is an error naming the row. A name that is no street of Beijing's is kept as
        typed without a code, with a warning: registers hold addresses typed in many ways, and such a row stays as
        valid as one without a street.
        """
        raw = self.col("street")
        typed = (raw != "") & district.notna()
        code = pd.Series(None, index=raw.index, dtype=object)
        if not typed.any():
            return code, raw.where(raw != "", None)
        code[typed] = streets.resolve_series(raw[typed], district[typed])
        pairs = {(t, d) for t, d in zip(raw[typed & code.notna()], district[typed & code.notna()], strict=True)}
        old = {pair for pair in pairs if streets.is_old_name(*pair)}  # once per distinct name and district
        if old:
            renamed = pd.Series([(t, d) in old for t, d in zip(raw, district, strict=True)], index=raw.index)
            shown = raw + " → " + code.map(lambda c: streets.name(c) if isinstance(c, str) else "")
            self.flag(renamed, "street_renamed", "street", shown)
        unresolved = typed & code.isna()
        if unresolved.any():
            elsewhere = streets.resolve_series(raw[unresolved]).reindex(raw.index)
            home = elsewhere.map(lambda c: streets.district_of(c) if isinstance(c, str) else None)
            other = unresolved & home.notna() & (home != district)
            shown = raw + "（" + home.map(lambda d: districts.name(d) if isinstance(d, str) else "") + "）"
            self.flag(other, "street_other_district", "street", shown.where(other, raw))
            unknown = unresolved & ~other
            # a hint per distinct name and district, for the unknown rows only (a register repeats its names)
            nearest = pd.Series("", index=raw.index, dtype=object)
            nearest[unknown] = [_nearest_streets(t, d) for t, d in zip(raw[unknown], district[unknown], strict=True)]
            for hint in nearest[unknown].unique():
                close, close_en = (f"相近的名称：{hint}。", f"Similar names: {hint}.") if hint else ("", "")
                self.flag(unknown & (nearest == hint), "unknown_street", "street", limit=close, limit_en=close_en)
        official = code.map(lambda c: streets.name(c) if isinstance(c, str) else None)
        return code, official.where(code.notna(), raw.where(raw != "", None))  # unknown names are kept as typed

    def coordinates(self) -> tuple[pd.Series, pd.Series]:
        lat, bad_lat = parse_floats(self.col("lat"))
        lon, bad_lon = parse_floats(self.col("lon"))
        self.flag(bad_lat, "bad_coord", "lat")
        self.flag(bad_lon, "bad_coord", "lon")
        self.flag(lat.isna() != lon.isna(), "coord_half", "lat")
        both = lat.notna() & lon.notna()
        inside = lat.between(*BEIJING_BBOX["lat"]) & lon.between(*BEIJING_BBOX["lon"])
        pair = lat.astype(str) + ", " + lon.astype(str)
        self.flag(both & ~inside, "coord_outside", "lat", pair)
        keep = both & inside
        return lat.where(keep), lon.where(keep)

    def duplicates(
        self, key: pd.Series, digest: pd.Series, code_conflict: str, name: str, shown: pd.Series
    ) -> pd.Series:
        """Flag repeated keys; return a mask of the rows to drop (later copies of identical rows)."""
        dup = key.duplicated(keep=False) & ~self.bad
        drop = pd.Series(False, index=key.index)
        if not dup.any():
            return drop
        keys = key[dup]
        same = (digest[dup].groupby(keys).transform("nunique") == 1).to_numpy()
        drop.loc[keys.index[same & keys.duplicated(keep="first").to_numpy()]] = True
        self.bad.loc[keys.index[~same]] = True
        codes = np.where(same, "duplicate_same", code_conflict)
        for code in (code_conflict, "duplicate_same"):
            where = np.flatnonzero(codes == code)
            take = where[: self.log.room(code)]
            self.log.count(code, len(where) - len(take))
            if not len(take):
                continue
            wanted = keys[keys.isin(set(keys.iloc[take]))]
            rows_of = self.raw.row_numbers[wanted.index].astype(int).groupby(wanted.to_numpy()).agg(list)
            for j in take:
                i, rows = keys.index[j], rows_of[keys.iat[j]]
                text = "、".join(map(str, rows[:20])) + ("…" if len(rows) > 20 else "")
                self.log.add(
                    problem(code, row=int(self.raw.row_numbers[i]), column=self.header(name), value=shown[i], rows=text)
                )
        return drop

    def result(self, rows: pd.DataFrame, new_sites: pd.DataFrame | None = None) -> Validation:
        rejected = set(int(r) for r in self.raw.row_numbers[self.bad])
        problems = sorted(self.log.listed(), key=lambda p: (p.row or 0, p.severity != ERROR))
        return Validation(
            rows=rows,
            problems=problems,
            rejected_rows=rejected,
            new_sites=new_sites if new_sites is not None else pd.DataFrame(),
            total_rows=len(self.raw.data),
        )


@lru_cache(maxsize=4096)
def _nearest_streets(text: str, district: str) -> str:
    """Up to three of the district's streets whose names look like ``text``: a hint for a typo."""
    by_fold = streets.folded_names(district)
    close = difflib.get_close_matches(streets.fold(text), list(by_fold), n=3, cutoff=0.3)
    return "、".join(by_fold[c] for c in close)


def _lookup(values: pd.Series, mapping: dict[str, str] | Callable[[str], str | None]) -> pd.Series:
    """``values`` mapped through a dict or function, one call per distinct value (None where missing)."""
    codes, uniques = pd.factorize(values.astype(str).to_numpy(dtype=object), use_na_sentinel=False)
    get = mapping.get if isinstance(mapping, dict) else mapping
    mapped = np.array([get(u) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype=object)


def _digest(frame: pd.DataFrame) -> pd.Series:
    """A content hash per row, computed on the values' text so that dtypes do not change it.

    Uses pandas' vectorised SipHash with its fixed key; were a future pandas to hash differently, a re-import
    would report rows as "updated" once (rewriting the same values), never duplicate them.
    """
    text = pd.DataFrame({c: frame[c].astype("string").fillna("\x00") for c in frame.columns})
    hashed = pd.util.hash_pandas_object(text, index=False)
    return hashed.map("{:016x}".format)


@dataclass(frozen=True)
class IdRule:
    """How ids are worked out for rows named without one (a site, an enterprise without a credit code).

    ``secret`` keys an HMAC, so an id cannot be computed from a name outside the server: typing the id another area's
    row would get tells nothing about whether such a name exists there. ``namespaces`` maps a district's adcode to
    the namespace ids are derived in there: a street union's streets, for a caller who holds the district only in
    part (a street union's new name that is another street's row must get the answer any new name gets). Without a
    secret (a test, a bench) ids are the plain hash they always were.
    """

    secret: bytes | None = None
    namespaces: Mapping[str, str] = field(default_factory=dict)

    def digest(self, district: str, text: str) -> str:
        message = f"{self.namespaces.get(district) or district}|{text}".encode()
        if self.secret:
            return hmac.new(self.secret, message, hashlib.sha256).hexdigest()[:10].upper()
        return hashlib.sha1(message).hexdigest()[:10].upper()


PLAIN = IdRule()


def site_id_for(district_code: str, name: str, rule: IdRule = PLAIN) -> str:
    """The id of a site named without one: its district's (or its street union's) name, under ``rule``."""
    return "S" + rule.digest(district_code, name)


SET_ASIDE = ("example_row", "not_reported", "cancelled")
EXAMPLE_IDS = ("示例", "EXAMPLE")  # the templates' example rows carry ids that start so
CANCELLED = {"未开展", "取消", "已取消", "cancelled", "canceled", "not held"}
_RESULT_COUNTS = ("staff", "consultations", "applications", "members_joined", "enterprises_reached", "unions_founded")


def set_aside(raw: RawTable, key: str = "session_id") -> RawTable:
    """The file without the rows that are not results, each listed in a note (never an error): the templates'
    example rows, and the rows of a pre-filled results sheet left blank (not held yet) or marked 未开展 (cancelled).
    The importer calls it before anything else looks at the rows (scope checks included)."""
    data = raw.data
    if data.empty or key not in data.columns:
        return raw
    ids = data[key].str.strip()
    example = ids.str.upper().str.startswith(tuple(e.upper() for e in EXAMPLE_IDS))
    counts = [c for c in _RESULT_COUNTS if c in data.columns]
    blank = data[counts].eq("").all(axis=1) if counts and key == "session_id" else pd.Series(False, index=data.index)
    notes = data["notes"].str.strip().str.lower() if "notes" in data.columns else pd.Series("", index=data.index)
    cancelled = blank & notes.isin(CANCELLED) & ~example
    not_reported = blank & (ids != "") & ~cancelled & ~example
    found = []
    for mask, code in ((example, "example_row"), (not_reported, "not_reported"), (cancelled, "cancelled")):
        column = raw.headers.get(key, key)
        found += [problem(code, row=int(raw.row_numbers[i]), column=column, value=ids[i]) for i in mask[mask].index]
    leave = example | not_reported | cancelled
    if not leave.any():
        return raw
    return replace(
        raw,
        data=data[~leave].reset_index(drop=True),
        row_numbers=raw.row_numbers[~leave.to_numpy()].reset_index(drop=True),
        notes=[*raw.notes, *found],
        set_aside=raw.set_aside + int(leave.sum()),
    )


def validate_sessions(
    raw: RawTable,
    known_sites: pd.DataFrame | None = None,
    today: dt.date | None = None,
    ids: IdRule = PLAIN,
) -> Validation:
    """Validate a sessions file.

    Parameters
    ----------
    raw : RawTable
        The file as read by :func:`~dashboard.core.intake.tabular.read_table` with ``SESSION_COLUMNS``.
    known_sites : DataFrame, optional
        Existing sites with columns ``site_id, name, district`` and optionally ``street_code`` and ``readable``: a
        site named without an id is looked up only among the readable ones (all when the column is missing).
    today : date, optional
        Dates after this are refused as "in the future" (default: today).
    ids : IdRule, optional
        How a new site's id is worked out from its name (see :class:`IdRule`).

    Returns
    -------
    Validation
    """
    raw = set_aside(raw)
    chk = _Checker(raw)
    if chk.missing_columns(SESSION_COLUMNS):
        return chk.result(pd.DataFrame())
    data = raw.data
    today = pd.Timestamp(today or dt.date.today())

    type_raw = chk.col("session_type")
    stype = _lookup(type_raw, session_type_key)
    chk.flag(type_raw == "", "required_blank", "session_type")
    chk.flag((type_raw != "") & stype.isna(), "unknown_session_type", "session_type")

    chk.lengths(SESSION_COLUMNS)
    dates = chk.dates("date")
    chk.flag(dates > today, "future_date", "date")
    chk.flag(dates < PROGRAMME_START, "early_date", "date")

    start, bad_start = parse_times(chk.col("start_time"))
    end, bad_end = parse_times(chk.col("end_time"))
    for name, bad in (("start_time", bad_start), ("end_time", bad_end)):
        chk.flag(chk.col(name) == "", "required_blank", name)
        chk.flag(bad, "bad_time", name)
    chk.flag(start.notna() & end.notna() & (end <= start), "end_before_start", "end_time")

    district = chk.district()
    file_street, _ = chk.street(district)
    counts = {name: chk.counts(name) for name in COUNT_COLUMNS}
    lat, lon = chk.coordinates()

    worker = stype == "worker"
    enterprise = stype == "enterprise"
    for name in WORKER_COUNTS:
        chk.flag(worker & (chk.col(name) == ""), "required_blank", name)
    for name in ENTERPRISE_COUNTS:
        chk.flag(enterprise & (chk.col(name) == ""), "required_blank", name)
    chk.flag(counts["unions_founded"] > counts["enterprises_reached"], "unions_exceed_enterprises", "unions_founded")
    chk.flag(
        worker & (counts["applications"] > counts["consultations"]), "applications_exceed_consultations", "applications"
    )

    # Sites: a worker session needs one; a new site is created when the row names it.
    site_id = chk.col("site_id")
    site_name = chk.col("site_name")
    known = (
        known_sites
        if known_sites is not None and len(known_sites)
        else pd.DataFrame(columns=["site_id", "name", "district"])
    )
    known_ids = dict(zip(known["site_id"].astype(str), known["district"].astype(str), strict=True))
    # a name is looked up only among the sites the importer may read: another area's reads as a new name
    readable = known[known["readable"].astype(bool)] if "readable" in known else known
    by_name = {(d, n): s for s, n, d in zip(readable["site_id"], readable["name"], readable["district"], strict=True)}
    chk.flag(worker & (site_id == "") & (site_name == ""), "site_missing", "site_id")
    resolved = site_id.copy()
    no_id = (site_id == "") & (site_name != "")
    if no_id.any():
        keys = list(zip(district[no_id].fillna(""), site_name[no_id], strict=True))
        resolved.loc[no_id] = [by_name.get(k) or site_id_for(*k, ids) for k in keys]
    registered = _lookup(resolved, known_ids)
    exists = registered.notna()
    chk.flag((site_id != "") & ~exists & (site_name == ""), "unknown_site", "site_id")
    chk.flag(exists & district.notna() & (registered != district), "site_other_district", "site_id", resolved)
    creating = (resolved != "") & ~exists & (site_name != "") & district.notna() & ~chk.bad
    new_sites = pd.DataFrame(
        {
            "site_id": resolved[creating],
            "name": site_name[creating],
            "district": district[creating],
            "street": file_street[creating].map(lambda c: streets.name(c) if isinstance(c, str) else None),
            "street_code": file_street[creating],
            "lat": lat[creating],
            "lon": lon[creating],
        }
    ).drop_duplicates("site_id")
    if len(new_sites):
        first = new_sites.index
        chk.flag(
            pd.Series(data.index.isin(first), index=data.index),
            "new_site",
            "site_name",
            site_name + "（" + resolved + "）",
        )

    session_id = chk.col("session_id")
    start_txt = pd.Series(_HHMM[start.fillna(0).astype(int).to_numpy()], index=start.index)
    date_txt = pd.Series(dates.to_numpy().astype("datetime64[D]").astype(str), index=dates.index).replace("NaT", "")
    place = resolved.where(resolved != "", "d" + district.fillna("").astype(str))
    natural = stype.fillna("").astype(str) + "|" + date_txt + "|" + start_txt + "|" + place
    key = ("id:" + session_id).where(session_id != "", natural)
    district_name = district.map(districts.name, na_action="ignore").fillna("")
    held_at = site_name.where(site_name != "", resolved.where(resolved != "", district_name))
    rows = pd.DataFrame(
        {
            "session_key": key,
            "session_id": session_id.where(session_id != "", None),
            "session_type": stype,
            "date": dates,
            "start_min": start,
            "end_min": end,
            "district": district,
            "site_id": resolved.where(resolved != "", None),
            **{name: counts[name] for name in COUNT_COLUMNS},
            "notes": chk.col("notes").where(chk.col("notes") != "", None),
        }
    )
    rows["row_hash"] = _digest(rows.drop(columns=["session_key"]))
    # a stored site's street is the session's; otherwise the file's. A street changes the hash only when there is
    # one, so rows stored before streets existed read as unchanged on a re-import.
    site_streets = (
        dict(zip(known["site_id"].astype(str), known["street_code"], strict=True)) if "street_code" in known else {}
    )
    site_street = _lookup(resolved, site_streets)
    rows["street_code"] = site_street.where(site_street.notna(), file_street)
    with_street = rows["street_code"].notna()
    if with_street.any():
        rows.loc[with_street, "row_hash"] = _digest(rows.loc[with_street, ["row_hash", "street_code"]])
    drop = chk.duplicates(
        key,
        rows["row_hash"],
        "duplicate_conflict",
        "session_id" if "session_id" in data else "date",
        # a session without an id is named by its date, time and place (the key's type code reads as English)
        session_id.where(session_id != "", date_txt + " " + start_txt + " " + held_at),
    )
    rows["_row"] = raw.row_numbers
    good = rows[~chk.bad & ~drop].copy()
    good["start_min"] = good["start_min"].astype(int)
    good["end_min"] = good["end_min"].astype(int)
    new_sites = new_sites[new_sites["site_id"].isin(set(good["site_id"].dropna()))]
    return chk.result(good.reset_index(drop=True), new_sites.reset_index(drop=True))


def _warn_outside_district(
    chk: _Checker, district: pd.Series, lat: pd.Series, lon: pd.Series, boundaries: gpd.GeoDataFrame | None
) -> None:
    """A warning for each row whose point lies outside the district it names (a typo, or swapped GCJ-02)."""
    located = lat.notna() & lon.notna() & district.notna()
    if boundaries is None or not located.any():
        return
    import shapely

    polys = boundaries.set_index("adcode").geometry
    inside = pd.Series(True, index=lat.index)
    for code, rows in district[located].groupby(district[located]).groups.items():
        if code in polys.index:  # a register of 20,000 rows: one vectorised test per district
            inside[rows] = shapely.contains_xy(polys[code], lon[rows].to_numpy(float), lat[rows].to_numpy(float))
    pair = lat.astype(str) + ", " + lon.astype(str)
    chk.flag(~inside, "coord_other_district", "lat", pair)


def validate_sites(raw: RawTable, boundaries: gpd.GeoDataFrame | None = None, ids: IdRule = PLAIN) -> Validation:
    """Validate a sites file.

    Parameters
    ----------
    raw : RawTable
        The file as read with ``SITE_COLUMNS``.
    boundaries : GeoDataFrame, optional
        District boundaries; when given, coordinates outside their stated district are warned about.
    ids : IdRule, optional
        How the id of a site without one is worked out from its name (see :class:`IdRule`).
    """
    chk = _Checker(raw)
    if chk.missing_columns(SITE_COLUMNS):
        return chk.result(pd.DataFrame())
    chk.lengths(SITE_COLUMNS)
    name = chk.col("site_name")
    chk.flag(name == "", "required_blank", "site_name")
    district = chk.district()
    street_code, street_name = chk.street(district)
    lat, lon = chk.coordinates()
    workers = chk.counts("workers_nearby")
    type_raw = chk.col("site_type")
    stype = type_raw.map(site_type_key).where(type_raw != "", None)
    chk.flag((type_raw != "") & ~type_raw.map(is_known_site_type), "unknown_site_type", "site_type")

    site_id = chk.col("site_id")
    site_id = site_id.where(
        site_id != "",
        [site_id_for(d or "", n, ids) for d, n in zip(district.fillna(""), name, strict=True)],
    )
    _warn_outside_district(chk, district, lat, lon, boundaries)

    rows = pd.DataFrame(
        {
            "site_id": site_id,
            "name": name,
            "district": district,
            "street": street_name,
            "street_code": street_code,
            "lat": lat,
            "lon": lon,
            "site_type": stype,
            "workers_nearby": workers,
        }
    )
    digest = _digest(rows)
    drop = chk.duplicates(site_id, digest, "duplicate_site", "site_id", site_id)
    rows["_row"] = raw.row_numbers
    return chk.result(rows[~chk.bad & ~drop].reset_index(drop=True))


ENTERPRISE_FIELDS = tuple(c.name for c in enterprises.columns if c.name != "upload_id")  # as stored
CONTACT_FIELDS = tuple(c.name for c in enterprise_contacts.columns if c.name != "enterprise_id")


def enterprise_id_for(district_code: str, name: str, rule: IdRule = PLAIN) -> str:
    """The register id of an enterprise without a credit code: its district's (or its street union's) folded name,
    under ``rule``."""
    folded = " ".join(str(name).split())
    return f"E-{district_code}-{rule.digest(district_code, folded)}"


def _flag_codes(chk: _Checker, code: pd.Series, name: str) -> pd.Series:
    """Check a column of credit codes (normalised, "" for blank); each problem names the row and, for a wrong check
    character, the one its first 17 call for. Returns each row's problem (None when fine or blank)."""
    why = code.map(lambda c: uscc.problem(c) if c else None)
    expected = code.map(lambda c: uscc.check_character(c[:17]) if len(c) == 18 and uscc.problem(c) == "check" else "")
    for reason in ("length", "character"):
        chk.flag(why == reason, f"credit_code_{reason}", name)
    checked = why == "check"
    if checked.any():
        for value in expected[checked].unique():
            chk.flag(checked & (expected == value), "credit_code_check", name, limit=value)
    return why


def validate_enterprises(raw: RawTable, ids: IdRule = PLAIN, boundaries: gpd.GeoDataFrame | None = None) -> Validation:
    """Validate an enterprise register file.

    An enterprise is known by its 统一社会信用代码 (checked, check character included) when the file gives one,
    else by the id the file gives it, else by district and name (an id worked out under ``ids``); a re-import updates
    it in place.
    """
    chk = _Checker(raw)
    if chk.missing_columns(ENTERPRISE_COLUMNS):
        return chk.result(pd.DataFrame())
    chk.lengths(ENTERPRISE_COLUMNS)
    name = chk.col("enterprise_name").map(lambda v: " ".join(str(v).split()))
    chk.flag(name == "", "required_blank", "enterprise_name")
    district = chk.district()
    street_code, street_name = chk.street(district)
    lat, lon = chk.coordinates()
    _warn_outside_district(chk, district, lat, lon, boundaries)
    staff = chk.counts("staff")

    code = chk.col("credit_code").map(uscc.normalise)
    _flag_codes(chk, code, "credit_code")
    issued = code.map(uscc.division)
    elsewhere = issued.notna() & district.notna() & (issued != district)
    for i in elsewhere[elsewhere].index[: chk.log.room("credit_code_other_district")]:
        chk.log.add(
            problem(
                "credit_code_other_district",
                row=int(raw.row_numbers[i]),
                column=chk.header("credit_code"),
                value=code[i],
                label=districts.name(issued[i]),
                label_en=districts.name(issued[i], "en"),
            )
        )
    chk.log.count("credit_code_other_district", max(0, int(elsewhere.sum()) - MAX_LISTED))

    # the head office that decides for a branch: a credit code checked like the row's own
    head_office = chk.col("head_office").map(uscc.normalise)
    ho_why = _flag_codes(chk, head_office, "head_office")
    chk.flag((head_office != "") & (head_office == code), "head_office_self", "head_office")

    industry_raw = chk.col("industry")
    industry = _lookup(industry_raw, industry_key).where(industry_raw != "", None)
    chk.flag((industry_raw != "") & industry.isna(), "unknown_industry", "industry")
    status_raw = chk.col("union_status")
    status = _lookup(status_raw, union_status_key)
    chk.flag((status_raw != "") & status.isna(), "unknown_union_status", "union_status")
    status = status.where(status_raw != "", "none")  # blank: not known to have a union
    founded_raw = chk.col("union_founded_on")
    founded, unrecognised, impossible, out_of_range, _ = parse_dates(founded_raw)
    chk.flag(unrecognised, "bad_date", "union_founded_on")
    chk.flag(impossible, "impossible_date", "union_founded_on")
    chk.flag(out_of_range, "date_out_of_range", "union_founded_on", limit=f"{YEARS[0]}–{YEARS[1]}")
    # a joint union (联合工会) was founded on a day too: the enterprise joined it then
    chk.flag(founded.notna() & ~status.isin(["founded", "joint"]), "date_without_founding", "union_founded_on")
    chk.flag((status == "founded") & (founded_raw == ""), "founded_without_date", "union_status")
    registered, unrecognised, impossible, out_of_range, _ = parse_dates(chk.col("registered_on"))
    chk.flag(unrecognised, "bad_date", "registered_on")
    chk.flag(impossible, "impossible_date", "registered_on")
    chk.flag(out_of_range, "date_out_of_range", "registered_on", limit=f"{YEARS[0]}–{YEARS[1]}")

    given = chk.col("enterprise_id").str.strip()
    # 、 joins a joint group's ids in plans and sheets: an id holding one would read as two enterprises
    chk.flag(given.str.contains("、", regex=False), "id_separator", "enterprise_id")
    key = code.where(code != "", given)
    key = key.where(
        key != "",
        [enterprise_id_for(d or "", n, ids) for d, n in zip(district.fillna(""), name, strict=True)],
    )
    rows = pd.DataFrame(
        {
            "enterprise_id": key,
            "credit_code": code.where(code != "", None),
            "name": name,
            "district": district,
            "street": street_name,
            "street_code": street_code,
            "address": chk.col("address").where(chk.col("address") != "", None),
            "lat": lat,
            "lon": lon,
            "industry": industry,
            "staff": staff,
            "union_status": status,
            # object dates (None where blank) even when every cell is blank, which pandas would make datetime64
            "union_founded_on": pd.Series(founded.dt.date, dtype=object).where(founded.notna(), None),
            "head_office_id": head_office.where((head_office != "") & ho_why.isna() & (head_office != code), None),
            "registered_on": pd.Series(registered.dt.date, dtype=object).where(registered.notna(), None),
            "head_name": chk.col("head_name").where(chk.col("head_name") != "", None),
            "contact": chk.col("contact").where(chk.col("contact") != "", None),
        }
    )
    digest = _digest(rows)
    drop = chk.duplicates(key, digest, "duplicate_enterprise", "enterprise_name", name)
    rows["_row"] = raw.row_numbers
    return chk.result(rows[~chk.bad & ~drop].reset_index(drop=True))


SERVICE_SEPARATORS = r"[、,，;；/|]+"


def service_lookup(services: pd.DataFrame) -> dict[str, str]:
    """Every way a service package may be written (its Chinese or English name, its key) -> its key."""
    found: dict[str, str] = {}
    for row in services.itertuples(index=False):
        for text in (row.key, row.zh, row.en):
            found[" ".join(str(text).split()).lower()] = row.key
    return found


def validate_visits(
    raw: RawTable,
    known: pd.DataFrame,
    services: pd.DataFrame,
    known_sessions: pd.DataFrame | None = None,
    today: dt.date | None = None,
) -> Validation:
    """Validate a file of enterprise visits: one row per enterprise reached on a day, with what came of it.

    Parameters
    ----------
    raw : RawTable
        The file as read with ``VISIT_COLUMNS``.
    known : DataFrame
        The stored enterprises the file names (``enterprise_id, district, staff, union_status,
        union_founded_on``) and, as ``founding_key``, the key of the visit that recorded each one's founding
        (None when the register gave it). An id not among them is unknown.
    services : DataFrame
        The service packages (``key, zh, en, active``); only active ones may be newly recorded.
    known_sessions : DataFrame, optional
        Stored enterprise sessions the file names (``session_id, district, date``).
    today : date, optional
        Later dates are refused (default: today).

    Returns
    -------
    Validation
        Rows with the columns of ``enterprise_visits`` (without ``upload_id``).

    Notes
    -----
    The stage rules: 已建会 needs its date (on or after the visit, not in the future) and the members who joined
    (no more than the registered staff); 暂不建会 needs a reason; an enterprise founds its union once, so a
    second founding (in the file, or against the stored one) is refused; a visit after the founding is kept
    with a warning and changes nothing.
    """
    chk = _Checker(raw, VISIT_COLUMNS)
    if chk.missing_columns(VISIT_COLUMNS):
        return chk.result(pd.DataFrame())
    chk.lengths(VISIT_COLUMNS)
    today_ts = pd.Timestamp(today or dt.date.today())

    given = chk.col("enterprise_id").map(lambda v: " ".join(str(v).split()))
    code = given.map(uscc.normalise)
    chk.flag(given == "", "required_blank", "enterprise_id")
    known = known.set_index("enterprise_id") if "enterprise_id" in known.columns else known
    # the id as stored: as typed (a register id), or a credit code as typed on a licence (full width, lower case)
    ident = given.where(given.isin(known.index), code.where(code.isin(known.index), given))
    found = ident.isin(known.index)
    chk.flag((given != "") & ~found, "unknown_enterprise", "enterprise_id", given)
    stored = known.reindex(ident.where(found))
    stored.index = raw.data.index
    if "name" in stored.columns and "enterprise_name" in raw.data.columns:  # a wrong code with a right name
        typed = chk.col("enterprise_name").map(lambda v: " ".join(str(v).split()))
        other = found & (typed != "") & (typed != stored["name"].fillna(""))
        for name in stored.loc[other, "name"].unique():
            chk.flag(other & (stored["name"] == name), "name_mismatch", "enterprise_name", limit=str(name))

    visited = chk.dates("date")
    chk.flag(visited > today_ts, "future_date", "date")
    chk.flag(visited < PROGRAMME_START, "early_date", "date")

    outcome_raw = chk.col("outcome")
    outcome = _lookup(outcome_raw, outcome_key)
    chk.flag(outcome_raw == "", "required_blank", "outcome")
    chk.flag((outcome_raw != "") & outcome.isna(), "unknown_outcome", "outcome")
    founding = outcome == "founded"
    kind = pd.Series(None, index=raw.data.index, dtype=object)  # founded | joint, for a founding
    kind[founding] = np.where(outcome_raw[founding].str.strip().isin(JOINT_OUTCOMES), "joint", "founded")

    founded_raw = chk.col("founded_on")
    founded, unrecognised, impossible, out_of_range, _ = parse_dates(founded_raw)
    chk.flag(unrecognised, "bad_date", "founded_on")
    chk.flag(impossible, "impossible_date", "founded_on")
    chk.flag(out_of_range, "date_out_of_range", "founded_on", limit=f"{YEARS[0]}–{YEARS[1]}")
    chk.flag(founded > today_ts, "future_date", "founded_on")
    members = chk.counts("members")
    chk.flag(founding & (founded_raw == ""), "visit_founded_without_date", "outcome")
    chk.flag(founding & (chk.col("members") == ""), "founded_without_members", "outcome")
    given_founding = (founded_raw != "") | (chk.col("members") != "")
    chk.flag(outcome.notna() & ~founding & given_founding, "visit_date_without_founding", "outcome")
    chk.flag(founding & (founded < visited), "founded_before_visit", "founded_on")
    staff = pd.to_numeric(stored.get("staff"), errors="coerce")
    over = founding & staff.notna() & (members > staff)
    for limit in staff[over].unique():
        chk.flag(over & (staff == limit), "members_exceed_staff", "members", members, limit=f"{int(limit):,}")

    reason = chk.col("reason").map(lambda v: " ".join(str(v).split()))
    chk.flag((outcome == "declined") & (reason == ""), "declined_without_reason", "reason")
    # kept as typed; a reason no code reads is said, so the next file can use the list's words
    unread = (outcome == "declined") & (reason != "") & (decline_reasons.codes_of(reason) == "other")
    chk.flag(unread, "reason_unmapped", "reason", limit="、".join(zh for zh, _ in decline_reasons.CODES.values()))

    lookup = service_lookup(services)
    active = {r.key for r in services.itertuples(index=False) if r.active}
    choices = "、".join(services.loc[services["active"].astype(bool), "zh"])
    chosen = {}
    for name in ("services_offered", "services_asked"):
        parts = chk.col(name).str.split(SERVICE_SEPARATORS, regex=True)
        keys, bad = [], pd.Series("", index=raw.data.index)
        for i, cells in parts.items():
            items: list[str] = []
            for cell in (" ".join(x.split()) for x in cells):
                # "法律服务 职工培训": words split by spaces when the whole is no package ("Legal services" is one)
                items += [cell] if cell.lower() in lookup or " " not in cell else cell.split()
            items = [x for x in items if x]
            mapped = [lookup.get(x.lower()) for x in items]
            unknown = [x for x, k in zip(items, mapped, strict=True) if k is None or k not in active]
            bad[i] = "、".join(unknown)
            keys.append("|".join(dict.fromkeys(k for k in mapped if k)) or None)
        chk.flag(bad != "", "unknown_service", name, bad, limit=choices)
        chosen[name] = pd.Series(keys, index=raw.data.index, dtype=object)

    key = ident + "|" + visited.dt.strftime("%Y-%m-%d").fillna("")
    # one founding per enterprise: against the stored one (unless this row is the visit that recorded it) ...
    stored_date = pd.to_datetime(stored.get("union_founded_on"), errors="coerce")
    stored_status = stored.get("union_status", pd.Series(None, index=raw.data.index))
    was_founded = found & stored_status.isin(["founded", "joint"]) & stored_date.notna()
    founding_key = stored.get("founding_key", pd.Series(None, index=raw.data.index))
    own = founding_key == key
    # a file may move a founding to another visit: it takes the stored founding visit back in the same file
    withdrawn = set(ident[own & outcome.notna() & ~founding])
    by_visit = founding_key.notna()
    # one founding per enterprise: a visit's founding is the only one; the register's may be recorded on its date
    again = founding & was_founded & ~own & ~ident.isin(withdrawn) & (by_visit | (founded != stored_date))
    shown_date = stored_date.dt.strftime("%Y-%m-%d")
    for limit in shown_date[again].unique():
        chk.flag(again & (shown_date == limit), "already_founded", "outcome", given, limit=limit)
    after = ~founding & outcome.notna() & was_founded & (visited > stored_date)
    for limit in shown_date[after].unique():
        chk.flag(after & (shown_date == limit), "visit_after_founding", "date", given, limit=limit)
    # ... and within the file
    twice = founding & ~chk.bad & ident.where(founding).duplicated(keep=False) & (given != "")
    if twice.any():
        rows_of = raw.row_numbers[twice].astype(int).groupby(ident[twice].to_numpy()).agg(list)
        for i in twice[twice].index:
            text = "、".join(map(str, rows_of[ident[i]][:20]))
            chk.log.add(
                problem(
                    "founded_twice",
                    row=int(raw.row_numbers[i]),
                    column=chk.header("outcome"),
                    value=given[i],
                    rows=text,
                )
            )
        chk.bad |= twice

    session = chk.col("session_id").str.strip()
    if known_sessions is not None and (session != "").any():
        by_id = known_sessions.drop_duplicates("session_id").set_index("session_id")
        named = session != ""
        chk.flag(named & ~session.isin(by_id.index), "unknown_session", "session_id")
        held = pd.to_datetime(session.map(by_id["date"]) if len(by_id) else pd.Series(None, index=session.index))
        other = named & held.notna() & visited.notna() & (held != visited)
        shown = held.dt.strftime("%Y-%m-%d")
        for limit in shown[other].unique():
            chk.flag(other & (shown == limit), "session_other_date", "session_id", limit=limit)

    notes = chk.col("notes")
    rows = pd.DataFrame(
        {
            "visit_key": key,
            "enterprise_id": ident,
            "district": stored.get("district"),
            "visited_on": visited.dt.date.where(visited.notna(), None),
            "session_id": session.where(session != "", None),
            "outcome": outcome,
            "founded_on": founded.dt.date.where(founding & founded.notna(), None),
            "union_kind": kind,
            "members": members.where(founding, None),
            "reason": reason.where(reason != "", None),
            "services_offered": chosen["services_offered"],
            "services_asked": chosen["services_asked"],
            "notes": notes.where(notes != "", None),
        }
    )
    rows["row_hash"] = _digest(rows)
    drop = chk.duplicates(key, rows["row_hash"], "duplicate_visit", "enterprise_id", given)
    rows["_row"] = raw.row_numbers
    return chk.result(rows[~chk.bad & ~drop].reset_index(drop=True))
