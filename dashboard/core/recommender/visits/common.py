"""What the visit recommender's modules share: its constants (the 90-day horizon, join-rate priors, the feature
lists), days as numbers, distances, and each enterprise's founding day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

HORIZON_DAYS = 90
JOINT_MIN_STAFF = 25  # a union of its own needs 25 members (工会法 practice); smaller ones join a joint union
DEFAULT_JOIN_RATE = 0.7  # members at founding / staff when nothing is known
JOIN_RATE_PRIOR_N = 20  # a district's rate counts as much as this many enterprises' own figures
NEARBY_M = 1_000.0  # "founded nearby": within 1 km, a walk from the same park or the next block
NEVER_DAYS = 3_650.0  # days since last contact for an enterprise never contacted (with the never_visited flag)
LONG_AGO = -100_000.0  # the founding day of a union founded before anyone recorded it
EARTH_M = 6_371_008.8
MIN_ROWS = 200  # fewer training visits than this, or fewer than MIN_POSITIVES foundings: the prior is used
MIN_POSITIVES = 30
ESTIMATORS = ("hgb", "logit")
OUTCOMES = ("held", "interested", "founded", "declined")

CATEGORICAL = ["industry", "district", "last_outcome", "last_decline"]
NUMERIC = [
    "log_staff",
    "small",
    "log_contacts",
    "log_days_since",
    "never_visited",
    "ever_interested",
    "ever_declined",
    "declined_share",
    "log_founded_1km",
    "log_firms_1km",
    "founded_share_1km",
    "log_founded_street",
    "log_age_years",  # NaN where the register gives no 成立日期: gradient boosting splits on it, the logit imputes
]
FEATURES = CATEGORICAL + NUMERIC


def day_numbers(values: Any) -> np.ndarray:
    """Days since 1970-01-01 as float (NaN for NaT) of a datetime-like array or Series."""
    stamps = pd.to_datetime(pd.Series(np.asarray(values, dtype=object) if not len(values) else values))
    out = stamps.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype("int64").astype(float)
    out[stamps.isna().to_numpy()] = np.nan
    return np.asarray(out, dtype=float)


def day_number(value: Any) -> float:
    """Days since 1970-01-01 of one date."""
    return float((pd.Timestamp(value).normalize() - pd.Timestamp(0)).days)


def staff_of(register: pd.DataFrame) -> np.ndarray:
    """Staff as float, NaN where unknown."""
    return np.asarray(pd.to_numeric(register["staff"], errors="coerce").to_numpy(dtype=float), dtype=float)


def radians_of(register: pd.DataFrame) -> np.ndarray:
    """(n, 2) lat/lon in radians, NaN where unknown (what BallTree's haversine metric takes)."""
    lat = pd.to_numeric(register["lat"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(register["lon"], errors="coerce").to_numpy(dtype=float)
    return np.asarray(np.radians(np.column_stack([lat, lon])), dtype=float)


def planar_km(register: pd.DataFrame) -> np.ndarray:
    """(n, 2) north and east in km on a local plane, NaN where unknown: within a kilometre or two, at Beijing's
    latitude, within metres of the great-circle distance, and a k-d tree counts 90,000 neighbourhoods in a
    fraction of a second where the haversine ball tree took seconds."""
    lat = pd.to_numeric(register["lat"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(register["lon"], errors="coerce").to_numpy(dtype=float)
    km = EARTH_M / 1000 * np.pi / 180
    return np.column_stack([lat * km, lon * km * np.cos(np.radians(lat))])


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray:
    """Great-circle distance in km between arrays of WGS-84 points."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat, dlon = p2 - p1, np.radians(lon2) - np.radians(lon1)
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return np.asarray(2 * EARTH_M / 1000 * np.arcsin(np.sqrt(np.clip(a, 0, 1))), dtype=float)


def founding_days(register: pd.DataFrame, visits: pd.DataFrame) -> np.ndarray:
    """The day each register enterprise founded its union (aligned to ``register``).

    NaN when it has none; :data:`LONG_AGO` when it has one of unknown date (founded before the programme). A founded
    visit's ``founded_on`` (its ``visited_on`` when blank) and the register's ``union_founded_on`` both count; the
    earlier wins. A joint union (联合工会) membership is not a founding of the enterprise's own.
    """
    status = register["union_status"].astype("string").fillna("none").to_numpy()
    day = (
        day_numbers(register["union_founded_on"]) if "union_founded_on" in register else np.full(len(register), np.nan)
    )
    day = np.where(status == "founded", day, np.nan)
    via = np.full(len(register), np.nan)
    if len(visits):
        founded = visits[visits["outcome"].astype("string") == "founded"]
        if len(founded):
            when = day_numbers(founded["founded_on"])
            when = np.where(np.isnan(when), day_numbers(founded["visited_on"]), when)
            first = pd.Series(when, index=founded["enterprise_id"].astype(str).to_numpy()).groupby(level=0).min()
            via = register["enterprise_id"].astype(str).map(first).to_numpy(dtype=float)
    day = np.fmin(day, via)
    # founded by the register, with no date and no founded visit: it had its union before anyone recorded it
    day = np.where((status == "founded") & np.isnan(day), LONG_AGO, day)
    return np.asarray(day, dtype=float)


def segment_counts(seg_of_query: np.ndarray, t: np.ndarray, seg_days: list[np.ndarray]) -> np.ndarray:
    """For each query (segment s, day t): how many of segment s's days are < t, all at once.

    The segments' sorted days are laid end to end under a composite key ``s * SPAN + day`` so one ``searchsorted``
    answers every query.
    """
    if not len(seg_of_query):
        return np.zeros(0)
    span = 1e6  # > any day number (LONG_AGO shifted by +2e5 stays positive and below it)
    lengths = np.array([len(d) for d in seg_days], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)])
    seg_index = np.repeat(np.arange(len(seg_days)), lengths)
    flat = np.concatenate(seg_days) if len(seg_days) and lengths.sum() else np.zeros(0)
    keys = seg_index * span + (flat + 2e5)
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    ok = seg_of_query >= 0
    out = np.zeros(len(seg_of_query))
    q = seg_of_query[ok]
    pos = np.searchsorted(keys, q * span + (t[ok] + 2e5), side="left")
    out[ok] = pos - starts[q]
    return out


def unvisited_key(contacts: np.ndarray, days_since: np.ndarray, staff: np.ndarray) -> np.ndarray:
    """One sortable score for longest-unvisited: never visited first, then the longest since, ties by staff."""
    never = contacts == 0
    since = np.where(never, NEVER_DAYS * 10, np.minimum(days_since, NEVER_DAYS * 5))
    return np.asarray(since * 1e6 + np.minimum(np.nan_to_num(staff), 999_999), dtype=float)


def as_date(value: Any) -> dt.date:
    """A date from a date, datetime, Timestamp or ISO string."""
    day: dt.date = pd.Timestamp(value).date()
    return day


def positions(register: pd.DataFrame) -> pd.Series:
    """Each enterprise id's row position in ``register`` (index: the id as text; the first row where one repeats)."""
    ids = register["enterprise_id"].astype(str).to_numpy()
    at = pd.Series(np.arange(len(ids)), index=ids)
    return at[~at.index.duplicated()]
