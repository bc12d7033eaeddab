"""Which enterprises to visit (企业沟通会): P(a union is founded within 90 days of a visit), the model and its backtest.

Union staff visit company heads so that the company founds a union (建会). This module learns, from the visits made
so far, how likely a visit is to lead to a founding within :data:`HORIZON_DAYS`, and what a founding brings (staff x
the district's join rate). :func:`units` groups small neighbours into proposed joint
unions (联合工会); :func:`plan` picks the visits of the coming days, spreads them over staff and days and routes
them.

Pure pandas/numpy/scikit-learn on frames, no database and no streamlit. The frames:

``register``
    one row per enterprise: ``enterprise_id``, ``name``, ``district`` (adcode), ``street``, ``lat``, ``lon``,
    ``industry`` (GB/T 4754 section letter), ``staff``, ``union_status`` ("none" | "founded" | "joint"),
    ``union_founded_on`` (datetime64, NaT when unknown).
``visits``
    one row per enterprise visited on a day: ``enterprise_id``, ``visited_on``, ``outcome`` ("held" | "interested" |
    "founded" | "declined"), ``founded_on``, ``members``, ``services_offered``, ``services_asked``, ``reason``.

Time is handled as whole days since 1970-01-01 (``int``/``float`` arrays) so that every "as of" question is a
``searchsorted`` over sorted keys rather than a per-row loop: the training frame of 40,000 visits is built in well
under a second.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.neighbors import BallTree, KDTree
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from dashboard.core.geo import areas
from dashboard.core.intake import decline_reasons

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
]
FEATURES = CATEGORICAL + NUMERIC


# ----------------------------------------------------------------------------------------------------------- helpers


def _days(values: Any) -> np.ndarray:
    """Days since 1970-01-01 as float (NaN for NaT) of a datetime-like array or Series."""
    stamps = pd.to_datetime(pd.Series(np.asarray(values, dtype=object) if not len(values) else values))
    out = stamps.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype("int64").astype(float)
    out[stamps.isna().to_numpy()] = np.nan
    return np.asarray(out, dtype=float)


def _day(value: Any) -> float:
    """Days since 1970-01-01 of one date."""
    return float((pd.Timestamp(value).normalize() - pd.Timestamp(0)).days)


def _staff(register: pd.DataFrame) -> np.ndarray:
    """Staff as float, NaN where unknown."""
    return np.asarray(pd.to_numeric(register["staff"], errors="coerce").to_numpy(dtype=float), dtype=float)


def _radians(register: pd.DataFrame) -> np.ndarray:
    """(n, 2) lat/lon in radians, NaN where unknown (what BallTree's haversine metric takes)."""
    lat = pd.to_numeric(register["lat"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(register["lon"], errors="coerce").to_numpy(dtype=float)
    return np.asarray(np.radians(np.column_stack([lat, lon])), dtype=float)


def _planar_km(register: pd.DataFrame) -> np.ndarray:
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
    day = _days(register["union_founded_on"]) if "union_founded_on" in register else np.full(len(register), np.nan)
    day = np.where(status == "founded", day, np.nan)
    via = np.full(len(register), np.nan)
    if len(visits):
        founded = visits[visits["outcome"].astype("string") == "founded"]
        if len(founded):
            when = _days(founded["founded_on"])
            when = np.where(np.isnan(when), _days(founded["visited_on"]), when)
            first = pd.Series(when, index=founded["enterprise_id"].astype(str).to_numpy()).groupby(level=0).min()
            via = register["enterprise_id"].astype(str).map(first).to_numpy(dtype=float)
    day = np.fmin(day, via)
    # founded by the register, with no date and no founded visit: it had its union before anyone recorded it
    day = np.where((status == "founded") & np.isnan(day), LONG_AGO, day)
    return np.asarray(day, dtype=float)


def _segment_counts(seg_of_query: np.ndarray, t: np.ndarray, seg_days: list[np.ndarray]) -> np.ndarray:
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


# ---------------------------------------------------------------------------------------------------------- features


def join_rates(register: pd.DataFrame, visits: pd.DataFrame) -> pd.Series:
    """Members at founding / staff of the enterprises founded through visits, per district (index: adcode).

    A district with few foundings is shrunk toward the city rate (``JOIN_RATE_PRIOR_N`` enterprises' worth), the city
    rate toward :data:`DEFAULT_JOIN_RATE` the same way; every district of the register gets a value.
    """
    codes = sorted(set(register["district"].dropna().astype(str)))
    founded = visits[(visits["outcome"].astype("string") == "founded")] if len(visits) else visits
    if len(founded):
        staff = register.assign(enterprise_id=register["enterprise_id"].astype(str)).drop_duplicates("enterprise_id")
        staff = staff.set_index("enterprise_id")
        f = founded.assign(enterprise_id=founded["enterprise_id"].astype(str))
        f = f.drop_duplicates("enterprise_id", keep="last")
        f = f.assign(
            staff=f["enterprise_id"].map(pd.to_numeric(staff["staff"], errors="coerce")),
            district=f["enterprise_id"].map(staff["district"].astype(str)),
            members=pd.to_numeric(f["members"], errors="coerce"),
        )
        f = f[(f["staff"] > 0) & (f["members"] >= 0)]
        f = f.assign(members=np.minimum(f["members"], f["staff"]))
    else:
        f = pd.DataFrame({"district": [], "staff": [], "members": []})
    k = JOIN_RATE_PRIOR_N
    n_city = len(f)
    city_rate = float((f["members"] / f["staff"]).mean()) if n_city else DEFAULT_JOIN_RATE
    city = (n_city * city_rate + k * DEFAULT_JOIN_RATE) / (n_city + k)
    by = (f["members"] / f["staff"]).groupby(f["district"]).agg(["sum", "count"]) if n_city else None
    out = {}
    for code in codes:
        s, n = (
            (float(by.loc[code, "sum"]), int(by.loc[code, "count"])) if by is not None and code in by.index else (0, 0)
        )
        out[code] = (s + k * city) / (n + k)
    return pd.Series(out, dtype=float, name="join_rate").clip(0.05, 1.0)


def _neighbours(
    register: pd.DataFrame, query: np.ndarray, founded_day: np.ndarray
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Enterprises within :data:`NEARBY_M` of each queried register row: their count, and their founding days."""
    xy = _planar_km(register)
    have = ~np.isnan(xy).any(axis=1)
    n_firms = np.full(len(query), np.nan)
    days: list[np.ndarray] = [np.zeros(0)] * len(query)
    if not have.any() or not have[query].any():
        return n_firms, days
    tree_all = KDTree(xy[have])
    q_ok = have[query]
    qx = xy[query[q_ok]]
    r = NEARBY_M / 1000
    n_firms[q_ok] = tree_all.query_radius(qx, r, count_only=True) - 1  # not counting itself
    founded = have & ~np.isnan(founded_day)
    if founded.any():
        f_idx = np.flatnonzero(founded)
        tree_f = KDTree(xy[f_idx])
        hits = tree_f.query_radius(qx, r)
        fdays = founded_day[f_idx]
        for slot, h in zip(np.flatnonzero(q_ok), hits, strict=True):
            days[slot] = fdays[h]
    return n_firms, days


def _neighbour_counts(
    register: pd.DataFrame, query: np.ndarray, founded_day: np.ndarray, day: float
) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`_neighbours` for one day: the enterprises within :data:`NEARBY_M` of each queried row, and how many
    of them had founded before ``day`` (counted by the tree, not listed: 90,000 enterprises in a fraction of
    the time)."""
    xy = _planar_km(register)
    have = ~np.isnan(xy).any(axis=1)
    n_firms = np.full(len(query), np.nan)
    n_founded = np.full(len(query), np.nan)
    if not have.any() or not have[query].any():
        return n_firms, n_founded
    q_ok = have[query]
    qx = xy[query[q_ok]]
    r = NEARBY_M / 1000
    n_firms[q_ok] = KDTree(xy[have]).query_radius(qx, r, count_only=True) - 1
    before = have & (founded_day < day)  # NaN (no union) compares False
    n_founded[q_ok] = 0.0
    if before.any():
        n_founded[q_ok] = KDTree(xy[before]).query_radius(qx, r, count_only=True)
    return n_firms, n_founded


def _history(
    ent_code: np.ndarray,
    t: np.ndarray,
    v_code: np.ndarray,
    v_day: np.ndarray,
    v_outcome: np.ndarray,
    v_reason: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Past-contact features for queries (enterprise code, day): visits of that enterprise strictly before the day.

    ``v_reason`` holds each visit's decline code (:mod:`~dashboard.core.intake.decline_reasons`; None when it was not
    a decline): the last decline's code and how long ago it was are kept for the model and the planner's rules."""
    order = np.lexsort((v_day, v_code))
    code, day, outcome = v_code[order], v_day[order], v_outcome[order]
    reason = (v_reason if v_reason is not None else np.full(len(v_code), None, dtype=object))[order]
    span = 1e6
    keys = code * span + (day + 2e5)
    n_codes = int(max(code.max() if len(code) else 0, ent_code.max() if len(ent_code) else 0)) + 1
    starts = np.searchsorted(code, np.arange(n_codes), side="left")
    q_start = starts[ent_code]
    pos = np.searchsorted(keys, ent_code * span + (t + 2e5), side="left")
    n = (pos - q_start).astype(float)
    last = np.clip(pos - 1, 0, max(len(day) - 1, 0))
    seen = n > 0
    cum_int = np.concatenate([[0], np.cumsum(outcome == "interested")])
    cum_dec = np.concatenate([[0], np.cumsum(outcome == "declined")])
    interested = cum_int[pos] - cum_int[q_start]
    declined = cum_dec[pos] - cum_dec[q_start]
    since = np.where(seen, t - (day[last] if len(day) else 0), NEVER_DAYS)
    last_outcome = np.where(seen, outcome[last] if len(day) else "never", "never")
    # the last decline before the day: its position through a running maximum over each visit's own index
    is_decline = outcome == "declined"
    last_dec = np.maximum.accumulate(np.where(is_decline, np.arange(len(day)), -1)) if len(day) else np.zeros(0, int)
    at = last_dec[np.clip(pos - 1, 0, max(len(day) - 1, 0))] if len(day) else np.full(len(t), -1)
    had = seen & (at >= q_start)
    at = np.clip(at, 0, max(len(day) - 1, 0))
    last_decline = np.where(
        had,
        np.array([r if isinstance(r, str) else "other" for r in reason], dtype=object)[at]
        if len(day)
        else decline_reasons.NONE,
        decline_reasons.NONE,
    )
    since_decline = np.where(had, t - (day[at] if len(day) else 0), NEVER_DAYS)
    return {
        "last_decline": np.asarray(last_decline, dtype=object),
        "days_since_decline": np.asarray(since_decline, dtype=float),
        "contacts": n,
        "days_since": np.asarray(since, dtype=float),
        "last_outcome": np.asarray(last_outcome, dtype=object),
        "ever_interested": (interested > 0).astype(float),
        "ever_declined": (declined > 0).astype(float),
        "declined_share": np.where(seen, declined / np.maximum(n, 1), 0.0),
    }


def _feature_rows(
    register: pd.DataFrame, visits: pd.DataFrame, rows: np.ndarray, t: np.ndarray, founded_day: np.ndarray
) -> pd.DataFrame:
    """Features of register rows ``rows`` (positions) as of days ``t`` (one per query row), from visits before."""
    ids = register["enterprise_id"].astype(str).to_numpy()
    code_of = pd.Series(np.arange(len(ids)), index=ids)
    code_of = code_of[~code_of.index.duplicated()]
    if len(visits):
        v_code = visits["enterprise_id"].astype(str).map(code_of).to_numpy(dtype=float)
        keep = ~np.isnan(v_code)
        v_day = _days(visits["visited_on"])[keep]
        v_out = visits["outcome"].astype("string").fillna("held").to_numpy(dtype=object)[keep]
        texts = visits["reason"] if "reason" in visits else pd.Series(None, index=visits.index, dtype=object)
        codes = decline_reasons.codes_of(texts.where(visits["outcome"].astype("string") == "declined"))
        v_reason = codes.to_numpy(dtype=object)[keep]
        v_code = v_code[keep].astype(np.int64)
    else:
        v_code, v_day, v_out = np.zeros(0, np.int64), np.zeros(0), np.zeros(0, dtype=object)
        v_reason = np.zeros(0, dtype=object)
    hist = _history(rows.astype(np.int64), t, v_code, v_day, v_out, v_reason)

    staff = _staff(register)[rows]
    # unions founded nearby before the day: within 1 km, and in the same street
    uniq, inverse = np.unique(rows, return_inverse=True)
    if len(t) and np.all(t == t[0]):  # one day for all (a prediction): count, do not list, the unions nearby
        n_firms_u, founded_u = _neighbour_counts(register, uniq, founded_day, float(t[0]))
        founded_1km = founded_u[inverse]
    else:
        n_firms_u, days_u = _neighbours(register, uniq, founded_day)
        founded_1km = _segment_counts(inverse.astype(np.int64), t, days_u)
    street_key = register["district"].astype("string").fillna("") + "|" + register["street"].astype("string")
    street_key = street_key.to_numpy(dtype=object)
    s_codes, s_inv = np.unique(street_key.astype(str), return_inverse=True)
    has_street = register["street"].notna().to_numpy() & (register["street"].astype("string").str.len() > 0).fillna(
        False
    ).to_numpy(dtype=bool)
    f_ok = ~np.isnan(founded_day) & has_street
    s_days = [np.zeros(0)] * len(s_codes)
    if f_ok.any():
        grouped = pd.Series(founded_day[f_ok]).groupby(s_inv[f_ok])
        for s, g in grouped:
            s_days[int(s)] = g.to_numpy()
    seg = np.where(has_street[rows], s_inv[rows], -1).astype(np.int64)
    founded_street = _segment_counts(seg, t, s_days)
    firms = n_firms_u[inverse]

    industry = register["industry"].astype("string").fillna("?").to_numpy(dtype=object)[rows]
    district = register["district"].astype("string").fillna("?").to_numpy(dtype=object)[rows]
    return pd.DataFrame(
        {
            "industry": industry,
            "district": district,
            "last_outcome": hist["last_outcome"],
            "last_decline": hist["last_decline"],
            "log_staff": np.log1p(staff),
            "small": np.where(np.isnan(staff), np.nan, (staff < JOINT_MIN_STAFF).astype(float)),
            "log_contacts": np.log1p(hist["contacts"]),
            "log_days_since": np.log1p(np.maximum(hist["days_since"], 0)),
            "never_visited": (hist["contacts"] == 0).astype(float),
            "ever_interested": hist["ever_interested"],
            "ever_declined": hist["ever_declined"],
            "declined_share": hist["declined_share"],
            "log_founded_1km": np.log1p(founded_1km),
            "log_firms_1km": np.log1p(firms),
            "founded_share_1km": np.where(np.isnan(firms), np.nan, founded_1km / (firms + 5.0)),
            "log_founded_street": np.where(has_street[rows], np.log1p(founded_street), np.nan),
            # kept for the reasons (not model inputs)
            "staff": staff,
            "contacts": hist["contacts"],
            "days_since": hist["days_since"],
            "days_since_decline": hist["days_since_decline"],
            "founded_1km": founded_1km,
            "founded_street": np.where(has_street[rows], founded_street, np.nan),
        }
    )


def features(register: pd.DataFrame, visits: pd.DataFrame, as_of: Any) -> pd.DataFrame:
    """Each enterprise's features as of ``as_of`` (aligned to ``register.index``), from visits strictly before it.

    Columns: :data:`FEATURES` (the model's inputs: log staff, industry, district, past contacts, last outcome, days
    since the last contact (3,650 with ``never_visited`` = 1 when never), ever interested / declined, unions founded
    within 1 km and in the same street before ``as_of``, the enterprises within 1 km) and, for the reasons, ``staff``,
    ``contacts``, ``days_since``, ``founded_1km``, ``founded_street``.
    """
    t0 = _day(as_of)
    past = visits[_days(visits["visited_on"]) < t0] if len(visits) else visits
    fday = founding_days(register, visits)  # all visits: they date foundings the register leaves undated
    # a founding dated on/after as_of is not known yet; the register's later status must not leak in
    fday = np.where(fday < t0, fday, np.nan)
    rows = np.arange(len(register))
    out = _feature_rows(register, past, rows, np.full(len(register), t0), fday)
    out.index = register.index
    return out


def training_frame(register: pd.DataFrame, visits: pd.DataFrame, until: Any) -> tuple[pd.DataFrame, pd.Series]:
    """(X, y): one row per visit made at least :data:`HORIZON_DAYS` before ``until``, features as of its day.

    ``y`` is 1 when the enterprise founded its union within 90 days of the visit (day 0 to day 90 inclusive), by a
    founded visit's ``founded_on`` or the register's ``union_founded_on``; a founding on day 91 is a 0. Visits to an
    enterprise that already had its union are left out. X carries ``visited_on`` as its index (for time splits);
    the visit itself and any visit of the same day are not in its own features.
    """
    t_end = _day(until)
    ids = register["enterprise_id"].astype(str)
    code_of = pd.Series(np.arange(len(ids)), index=ids.to_numpy())
    code_of = code_of[~code_of.index.duplicated()]
    if not len(visits):
        return pd.DataFrame(columns=FEATURES), pd.Series(dtype=int, name="founded")
    known = visits[_days(visits["visited_on"]) < t_end]  # what was on record at ``until``
    vday = _days(known["visited_on"])
    code = known["enterprise_id"].astype(str).map(code_of).to_numpy(dtype=float)
    fday_all = founding_days(register, visits)
    fday_all = np.where(fday_all < t_end, fday_all, np.nan)  # foundings after ``until`` are not known
    pick = ~np.isnan(code) & (vday <= t_end - HORIZON_DAYS)
    rows, t = code[pick].astype(np.int64), vday[pick]
    f = fday_all[rows]
    already = f < t
    rows, t, f = rows[~already], t[~already], f[~already]
    X = _feature_rows(register, known, rows, t, fday_all)
    y = pd.Series(((f >= t) & (f - t <= HORIZON_DAYS)).astype(int), name="founded")
    index = pd.DatetimeIndex(pd.to_datetime(t, unit="D"), name="visited_on")
    X.index, y.index = index, index
    return X, y


# ------------------------------------------------------------------------------------------------------------- model


def _pipeline(kind: str, numeric: list[str] | tuple[str, ...] = NUMERIC) -> Pipeline:
    """The estimator ``kind`` ("hgb" or "logit") behind a ColumnTransformer over the categorical features and
    ``numeric`` (default all of :data:`NUMERIC`)."""
    numeric = list(numeric)
    if kind == "hgb":
        prep = ColumnTransformer(
            [
                (
                    "cat",
                    OrdinalEncoder(
                        handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan
                    ),
                    CATEGORICAL,
                ),
                ("num", "passthrough", numeric),
            ]
        )
        est = HistGradientBoostingClassifier(
            categorical_features=list(range(len(CATEGORICAL))),
            learning_rate=0.05,
            max_iter=150,
            max_depth=4,
            min_samples_leaf=50,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=0,
        )
        return Pipeline([("prep", prep), ("est", est)])
    if kind == "logit":
        prep = ColumnTransformer(
            [
                ("cat", OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=20), CATEGORICAL),
                ("num", Pipeline([("fill", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric),
            ]
        )
        return Pipeline([("prep", prep), ("est", LogisticRegression(C=0.5, max_iter=2000))])
    raise ValueError(f"unknown estimator {kind!r}; one of {ESTIMATORS}")


def _scores(y: np.ndarray, p: np.ndarray, base: float) -> dict[str, float]:
    """AUC, log-loss and Brier of ``p`` against ``y``, and of the constant ``base`` for comparison."""
    p = np.clip(p, 1e-4, 1 - 1e-4)
    const = np.full(len(y), min(max(base, 1e-4), 1 - 1e-4))
    two = len(np.unique(y)) == 2
    return {
        "auc": float(roc_auc_score(y, p)) if two else float("nan"),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "log_loss_constant": float(log_loss(y, const, labels=[0, 1])),
        "brier": float(brier_score_loss(y, p)),
        "brier_constant": float(brier_score_loss(y, const)),
    }


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(p / (1 - p)), dtype=float)


def _expit(z: np.ndarray) -> np.ndarray:
    return np.asarray(1 / (1 + np.exp(-z)), dtype=float)


RECALIBRATION_MIN_POSITIVES = 20  # fewer foundings in the later quarter than this: predictions are kept as fitted


def recalibration(p: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt scaling of the estimator's P on the later quarter of the training visits: ``(a, b)`` such that
    ``expit(a + b * logit(p))`` matches what happened there.

    The estimator is fitted on the earlier visits and judged on the later ones, the way it is used: on visits after
    the ones it learnt from. Its P drifts (staff visit other enterprises as campaigns go on, a year founds less) and
    is too sharp where the data are thin (a branch that declined once); two parameters, fitted on out-of-time
    predictions, take the drift and the over-confidence out without re-ranking the enterprises (``b`` is kept
    between 0.25 and 1.5 so that one noisy quarter cannot flatten or invert the ranking).
    """
    if int(y.sum()) < RECALIBRATION_MIN_POSITIVES or int(y.sum()) == len(y):
        return (0.0, 1.0)
    fit = LogisticRegression(C=100.0).fit(_logit(p)[:, None], y)
    slope = float(np.clip(fit.coef_[0, 0], 0.25, 1.5))
    # at that slope, the intercept that makes the mean prediction the realised rate
    z, target = _logit(p) * slope, float(y.mean())
    intercept = optimize.brentq(lambda a: float(_expit(a + z).mean()) - target, -30.0, 30.0)
    return (float(intercept), slope)


class VisitModel:
    """P(an enterprise founds its union within 90 days of a visit), learnt from the visits on record.

    ``estimator`` is "hgb" (HistGradientBoostingClassifier), "logit" (LogisticRegression) or "auto" (the default):
    both are fitted on the earlier 75 % of the training visits, the one with the lower log-loss on the later 25 %
    is kept and refitted on all of them. With fewer than ``MIN_ROWS`` training visits or ``MIN_POSITIVES``
    foundings the model is a transparent prior instead (``uses_prior`` is True): a logistic curve in log staff,
    ``logit p = logit(base) + PRIOR_SLOPE * (log(1 + staff) - log(1 + 20))``, its base rate the foundings per visit
    seen so far shrunk toward ``PRIOR_BASE``.
    """

    PRIOR_BASE = 0.08  # a tenth of visits founding within 90 days is what union staff report; a guess, shrunk to
    PRIOR_SLOPE = 0.5  # larger enterprises found more readily

    def __init__(self, estimator: str = "auto") -> None:
        self.estimator = estimator
        self.calibration_: tuple[float, float] = (0.0, 1.0)
        self.estimator_: str = "prior"
        self.pipeline_: Pipeline | None = None
        self.uses_prior = True
        self.base_rate_ = self.PRIOR_BASE
        self.rows_ = 0
        self.positives_ = 0
        self.data_from_: str | None = None
        self.data_to_: str | None = None
        self.as_of_: str | None = None
        self.validation_: dict[str, Any] = {}

    def fit(self, register: pd.DataFrame, visits: pd.DataFrame, as_of: Any) -> VisitModel:
        """Learn from the visits made before ``as_of`` whose 90 days had passed by then."""
        # one OpenMP thread: tens of thousands of rows gain nothing from more, and on a busy 2-core machine the
        # gradient boosting's spinning threads made a 0.5 s fit take a minute and a half
        with threadpool_limits(limits=1, user_api="openmp"):
            return self._fit(register, visits, as_of)

    def _fit(self, register: pd.DataFrame, visits: pd.DataFrame, as_of: Any) -> VisitModel:
        X, y = training_frame(register, visits, as_of)
        self.as_of_ = pd.Timestamp(as_of).date().isoformat()
        self.rows_, self.positives_ = len(y), int(y.sum())
        if len(y):
            self.data_from_ = X.index.min().date().isoformat()
            self.data_to_ = X.index.max().date().isoformat()
        # the base rate, shrunk toward the prior's so that 3 visits and 1 founding do not say 33 %
        self.base_rate_ = (self.positives_ + 20 * self.PRIOR_BASE) / (self.rows_ + 20)
        self.validation_ = {}
        if self.rows_ < MIN_ROWS or self.positives_ < MIN_POSITIVES or self.positives_ == self.rows_:
            self.uses_prior, self.pipeline_, self.estimator_ = True, None, "prior"
            return self
        # a feature no training row has (no register gives streets, say) teaches nothing and breaks the binning
        numeric = [c for c in NUMERIC if X[c].notna().any()]
        used = [*CATEGORICAL, *numeric]
        order = np.argsort(X.index.to_numpy(), kind="stable")
        cut = int(len(order) * 0.75)
        early, late = order[:cut], order[cut:]
        candidates = ESTIMATORS if self.estimator == "auto" else (self.estimator,)
        yv = y.to_numpy()
        later: dict[str, np.ndarray] = {}
        for kind in candidates:
            if len(np.unique(yv[early])) < 2 or len(np.unique(yv[late])) < 2:
                break
            pipe = _pipeline(kind, numeric).fit(X.iloc[early][used], yv[early])
            later[kind] = pipe.predict_proba(X.iloc[late][used])[:, 1]
            self.validation_[kind] = _scores(yv[late], later[kind], float(yv[early].mean()))
        if self.validation_:
            best = min(self.validation_, key=lambda k: self.validation_[k]["log_loss"])
        else:
            best = candidates[0]
        self.estimator_ = best
        self.calibration_ = recalibration(later[best], yv[late]) if best in later else (0.0, 1.0)
        self.pipeline_ = _pipeline(best, numeric).fit(X[used], yv)
        self.features_ = used
        self.uses_prior = False
        return self

    def predict_features(self, X: pd.DataFrame) -> np.ndarray:
        """P(found within 90 days of a visit) for rows of :func:`features` output."""
        if self.uses_prior or self.pipeline_ is None:
            base = np.log(self.base_rate_ / (1 - self.base_rate_))
            z = base + self.PRIOR_SLOPE * (X["log_staff"].fillna(np.log1p(20)).to_numpy() - np.log1p(20))
            return np.asarray(1 / (1 + np.exp(-z)), dtype=float)
        with threadpool_limits(limits=1, user_api="openmp"):
            used = getattr(self, "features_", list(FEATURES))
            raw = np.asarray(self.pipeline_.predict_proba(X[used])[:, 1], dtype=float)
        intercept, slope = getattr(self, "calibration_", (0.0, 1.0))  # models saved before it: as they were
        return _expit(intercept + slope * _logit(raw))

    def predict(self, register: pd.DataFrame, visits: pd.DataFrame, as_of: Any) -> pd.Series:
        """P(found within 90 days of a visit on ``as_of``) of each enterprise without a union (index: register's)."""
        X = features(register, visits, as_of)
        none = (register["union_status"].astype("string") == "none").fillna(False).to_numpy(dtype=bool)
        return pd.Series(self.predict_features(X[none]), index=register.index[none], name="p_found")

    def card(self) -> dict[str, Any]:
        """What the model is, in JSON-simple values (the Model page and the saved card show it)."""
        return {
            "kind": "visit_founding",
            "horizon_days": HORIZON_DAYS,
            "estimator": self.estimator_,
            "uses_prior": bool(self.uses_prior),
            "rows": int(self.rows_),
            "positives": int(self.positives_),
            "base_rate": float(self.base_rate_),
            "data_from": self.data_from_,
            "data_to": self.data_to_,
            "as_of": self.as_of_,
            "validation": {k: {m: float(v) for m, v in s.items()} for k, s in self.validation_.items()},
            "recalibration": [float(v) for v in getattr(self, "calibration_", (0.0, 1.0))],
        }


# ---------------------------------------------------------------------------------------------------------- backtest


CALIBRATION_FOLDS = 4  # 90-day windows whose visits the calibration deciles pool (the latest and three before it)


def _fold(
    register: pd.DataFrame, visits: pd.DataFrame, cutoff: Any, fday: np.ndarray
) -> tuple[VisitModel, pd.DataFrame, pd.DataFrame, np.ndarray, pd.DataFrame]:
    """One backtest window: the model fitted on what was known at ``cutoff``, the visits before it, the first visit
    in ``[cutoff, cutoff + 90 days)`` of each enterprise without a union at ``cutoff``, those enterprises' positions
    in ``register`` and the features of the whole register as of ``cutoff``."""
    t0 = _day(cutoff)
    vday = _days(visits["visited_on"]) if len(visits) else np.zeros(0)
    past = visits[vday < t0]
    window = visits[(vday >= t0) & (vday < t0 + HORIZON_DAYS)]
    model = VisitModel().fit(register, visits, cutoff)
    X = features(register, past, cutoff)
    ids = register["enterprise_id"].astype(str)
    first = window.sort_values("visited_on").drop_duplicates("enterprise_id")
    pos_of = pd.Series(np.arange(len(ids)), index=ids.to_numpy())
    pos_of = pos_of[~pos_of.index.duplicated()]
    pos = first["enterprise_id"].astype(str).map(pos_of)
    first = first[pos.notna().to_numpy()]
    pos = pos.dropna().to_numpy(dtype=np.int64)
    open_ = ~(fday[pos] < t0)  # no union of its own at the cutoff
    return model, past, first[open_], pos[open_], X


def backtest(register: pd.DataFrame, visits: pd.DataFrame, cutoff: Any, capacity: int | None = None) -> dict[str, Any]:
    """Score the model against the simple policies on the visits actually made in ``[cutoff, cutoff + 90 days)``.

    The model (and each estimator alone) is fitted on what was known before ``cutoff``. The test set is every
    enterprise without a union at ``cutoff`` that was visited in the window (its first visit there), labelled by
    whether it founded within 90 days of that visit, with the members its founding brought. Each policy ranks the
    test enterprises by its own score as of ``cutoff`` (model: P x expected members; largest first: staff; longest
    unvisited: never visited first, then days since the last contact); ``members_captured_*`` is the share of the
    founded members in its top ``k`` (``capacity``, else 20 % of the test visits). AUC, log-loss and Brier of the
    model are given beside a constant base rate's.

    What this can and cannot tell: it is off-policy. It only sees enterprises someone chose to visit, under the
    staff's own habits, and only what happened after *that* visit; it says how well each policy orders those, not
    what an enterprise nobody visited would have done, nor what a plan that visits other enterprises would reap.
    An enterprise the staff avoided (never visited, far away, an unusual industry) is absent, so a policy that
    favours such enterprises is neither rewarded nor punished here. Use it to compare rankings and calibration over
    time; the synthetic worlds of ``bench/visits_quality.py`` (with a known truth) measure plans.
    """
    fday = founding_days(register, visits)
    model, past, first, pos, X = _fold(register, visits, cutoff, fday)
    out: dict[str, Any] = {
        "cutoff": pd.Timestamp(cutoff).date().isoformat(),
        "train_rows": int(model.rows_),
        "train_positives": int(model.positives_),
        "estimator": model.estimator_,
        "uses_prior": bool(model.uses_prior),
    }
    out["test_visits"] = len(pos)
    if not len(pos):
        return out
    t = _days(first["visited_on"])
    y = ((fday[pos] >= t) & (fday[pos] - t <= HORIZON_DAYS)).astype(int)
    staff = np.nan_to_num(_staff(register)[pos], nan=float(np.nanmedian(_staff(register))))
    rates = join_rates(register, past)
    rate = register["district"].astype(str).map(rates).fillna(DEFAULT_JOIN_RATE).to_numpy()[pos]
    got = pd.to_numeric(
        first["enterprise_id"]
        .astype(str)
        .map(
            visits[visits["outcome"].astype("string") == "founded"]
            .assign(enterprise_id=lambda f: f["enterprise_id"].astype(str))
            .groupby("enterprise_id")["members"]
            .max()
        ),
        errors="coerce",
    ).to_numpy(dtype=float)
    members = np.where(y == 1, np.where(np.isnan(got), staff * rate, got), 0.0)
    Xt = X.iloc[pos]
    p = model.predict_features(Xt)
    k = int(capacity) if capacity else max(1, round(0.2 * len(pos)))
    k = min(k, len(pos))
    total = float(members.sum())
    policies = {
        "model": p * staff * rate,
        "largest": staff,
        "unvisited": _unvisited_key(Xt["contacts"].to_numpy(), Xt["days_since"].to_numpy(), staff),
    }
    out.update({"k": k, "test_foundings": int(y.sum()), "test_members": total})
    for name, score in policies.items():
        top = np.argsort(-score, kind="stable")[:k]
        out[f"members_captured_{name}"] = float(members[top].sum() / total) if total else float("nan")
    out["members_captured_random"] = k / len(pos)
    out.update(_scores(y, p, model.base_rate_))
    # calibration pooled over this window and the CALIBRATION_FOLDS - 1 before it, each judged by a model fitted on
    # what was known at its own cutoff: one 90-day window holds a few hundred visits, 40 a decile, and a decile's
    # realised share then swings by a third from chance alone
    ps, ys = [p], [y]
    for fold in range(1, CALIBRATION_FOLDS):
        earlier = pd.Timestamp(cutoff) - pd.Timedelta(days=HORIZON_DAYS * fold)
        m, _, f, at, Xf = _fold(register, visits, earlier, fday)
        if not len(at) or m.uses_prior:
            break
        tf = _days(f["visited_on"])
        ps.append(m.predict_features(Xf.iloc[at]))
        ys.append(((fday[at] >= tf) & (fday[at] - tf <= HORIZON_DAYS)).astype(int))
    out["calibration"] = calibration_deciles(np.concatenate(ps), np.concatenate(ys))
    out["calibration_windows"] = len(ps)
    for kind in ESTIMATORS:
        if model.uses_prior:
            break
        alone = VisitModel(kind).fit(register, visits, cutoff)
        s = _scores(y, alone.predict_features(Xt), model.base_rate_)
        out[f"{kind}_auc"], out[f"{kind}_log_loss"] = s["auc"], s["log_loss"]
    return out


def calibration_deciles(p: np.ndarray, y: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """The test visits in ``bins`` equal groups by predicted P (fewer when there are few visits): each group's mean
    predicted P beside the share that founded within 90 days, and its size. An honest model's two agree."""
    n = len(p)
    if n == 0:
        return []
    k = max(1, min(bins, n // 20 or 1))  # at least 20 visits a group, else a realised share says nothing
    group = np.minimum((np.argsort(np.argsort(p, kind="stable"), kind="stable") * k) // n, k - 1)
    return [
        {
            "decile": int(g + 1),
            "predicted": float(p[group == g].mean()),
            "realised": float(y[group == g].mean()),
            "visits": int((group == g).sum()),
        }
        for g in range(k)
    ]


def _unvisited_key(contacts: np.ndarray, days_since: np.ndarray, staff: np.ndarray) -> np.ndarray:
    """One sortable score for longest-unvisited: never visited first, then the longest since, ties by staff."""
    never = contacts == 0
    since = np.where(never, NEVER_DAYS * 10, np.minimum(days_since, NEVER_DAYS * 5))
    return np.asarray(since * 1e6 + np.minimum(np.nan_to_num(staff), 999_999), dtype=float)


def as_date(value: Any) -> dt.date:
    """A date from a date, datetime, Timestamp or ISO string."""
    day: dt.date = pd.Timestamp(value).date()
    return day


# ------------------------------------------------------------------------------------------------------------- units

JOINT_RADIUS_M = 200.0  # one building or one park's block; geocoded addresses are off by 50-100 m
JOINT_MAX_MEMBERS = 8  # a joint union of more is hard to run from one meeting; more are left for the next group
POLICIES = ("model", "largest", "unvisited")


def _units(register: pd.DataFrame, eligible: np.ndarray, radius_m: float, max_members: int) -> pd.DataFrame:
    """Visit units of the ``eligible`` register rows (positions), see :func:`units`."""
    staff = _staff(register)
    xy = _radians(register)
    ids = register["enterprise_id"].astype(str).to_numpy()
    small = eligible & (staff < JOINT_MIN_STAFF) & ~np.isnan(xy).any(axis=1)
    idx = np.flatnonzero(small)
    grouped = np.zeros(len(register), dtype=bool)
    groups: list[list[int]] = []
    if len(idx) > 1:
        tree = BallTree(xy[idx], metric="haversine")
        hits, dists = tree.query_radius(xy[idx], radius_m / EARTH_M, return_distance=True, sort_results=True)
        # the largest small enterprise seeds a group and takes its nearest neighbours until the group reaches 25
        seeds = np.lexsort((ids[idx], -staff[idx]))
        taken = np.zeros(len(idx), dtype=bool)
        for s in seeds:
            if taken[s] or len(hits[s]) < 2:
                continue
            members, total = [int(s)], staff[idx[s]]
            for j in hits[s]:
                if j == s or taken[j]:
                    continue
                members.append(int(j))
                total += staff[idx[j]]
                if total >= JOINT_MIN_STAFF or len(members) >= max_members:
                    break
            if total >= JOINT_MIN_STAFF and len(members) >= 2:
                taken[members] = True
                groups.append([int(idx[m]) for m in members])
        for g in groups:
            grouped[g] = True
    singles = np.flatnonzero(eligible & ~grouped)
    positions: list[list[int]] = [[int(i)] for i in singles] + groups
    kinds = ["single"] * len(singles) + ["joint"] * len(groups)
    lat = pd.to_numeric(register["lat"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(register["lon"], errors="coerce").to_numpy(dtype=float)
    first = np.array([p[0] for p in positions], dtype=np.int64)
    street = register["street"].astype("string").to_numpy(dtype=object)
    frame = pd.DataFrame(
        {
            "unit_id": [ids[p[0]] if len(p) == 1 else "J-" + ids[p[0]] for p in positions],
            "members": [[ids[i] for i in p] for p in positions],
            "positions": positions,
            "kind": kinds,
            "staff": [float(np.nansum(staff[p])) if not np.isnan(staff[p]).all() else np.nan for p in positions],
            "lat": [float(np.mean(lat[p])) for p in positions],
            "lon": [float(np.mean(lon[p])) for p in positions],
            "district": register["district"].astype("string").to_numpy(dtype=object)[first],
            "street": [None if pd.isna(street[i]) else street[i] for i in first],
        }
    )
    return frame.sort_values("unit_id", kind="stable").reset_index(drop=True)


def units(
    register: pd.DataFrame, radius_m: float = JOINT_RADIUS_M, max_members: int = JOINT_MAX_MEMBERS
) -> pd.DataFrame:
    """The visit units: each unionless enterprise alone, or small neighbours as one proposed joint union (联合工会).

    Unionless enterprises with fewer than :data:`JOINT_MIN_STAFF` staff and known coordinates are grouped greedily
    and deterministically: the largest not yet grouped seeds a group and adds its nearest ungrouped small
    neighbours within ``radius_m`` of it (200 m: one building or one park's block, allowing for geocoding error)
    until the group's combined staff reaches 25 or it has ``max_members``; a group that cannot reach 25 is not
    formed. Every member is within ``radius_m`` of the seed, so a group never chains across a district the way
    density clustering (DBSCAN) does in a busy centre. Enterprises of 25 staff or more are never grouped.

    Returns
    -------
    DataFrame
        ``unit_id`` (the enterprise_id; "J-" + the seed's for a group), ``members`` (list of enterprise_ids, the
        seed first), ``positions`` (their register positions), ``kind`` ("single" | "joint"), ``staff``
        (combined), ``lat``, ``lon`` (centroid), ``district``, ``street`` (the seed's); sorted by unit_id.
    """
    none = (register["union_status"].astype("string") == "none").fillna(False).to_numpy(dtype=bool)
    return _units(register, none, radius_m, max_members)


# ------------------------------------------------------------------------------------------------------ unit scores


def unit_features(
    register: pd.DataFrame,
    visits: pd.DataFrame,
    as_of: Any,
    unit_frame: pd.DataFrame,
    model: VisitModel | None = None,
) -> pd.DataFrame:
    """Per unit (aligned to ``unit_frame``): what the policies score and the reasons say.

    Columns added: ``expected_members`` (Σ staff x the district's join rate), ``p_found`` (the members-weighted
    P of its enterprises; NaN without a model), ``value`` (Σ P x expected members), ``contacts`` (of its most
    contacted member), ``days_since`` (since any member's last contact), ``last_outcome`` (the most recent
    member's), ``founded_1km``, ``founded_street`` (most over its members), ``never_visited``.
    """
    X = features(register, visits, as_of)
    rates = join_rates(register, visits[_days(visits["visited_on"]) < _day(as_of)] if len(visits) else visits)
    staff = np.nan_to_num(_staff(register), nan=float(np.nanmedian(_staff(register))) if len(register) else 1.0)
    rate = register["district"].astype(str).map(rates).fillna(DEFAULT_JOIN_RATE).to_numpy(dtype=float)
    em = staff * rate
    p = model.predict_features(X) if model is not None else np.full(len(register), np.nan)
    long = unit_frame[["positions"]].explode("positions")
    pos = long["positions"].to_numpy(dtype=np.int64)
    unit = long.index.to_numpy()
    per = pd.DataFrame(
        {
            "unit": unit,
            "em": em[pos],
            "value": p[pos] * em[pos],
            "contacts": X["contacts"].to_numpy()[pos],
            "days_since": X["days_since"].to_numpy()[pos],
            "last_outcome": X["last_outcome"].to_numpy()[pos],
            "last_decline": X["last_decline"].to_numpy()[pos],
            "days_since_decline": X["days_since_decline"].to_numpy()[pos],
            "founded_1km": X["founded_1km"].to_numpy()[pos],
            "founded_street": X["founded_street"].to_numpy()[pos],
        }
    )
    g = per.groupby("unit", sort=True)
    out = unit_frame.copy()
    out["expected_members"] = g["em"].sum().reindex(out.index).to_numpy()
    out["value"] = g["value"].sum(min_count=1).reindex(out.index).to_numpy()
    out["p_found"] = out["value"] / out["expected_members"]
    out["contacts"] = g["contacts"].max().reindex(out.index).to_numpy()
    out["days_since"] = g["days_since"].min().reindex(out.index).to_numpy()
    recent = per.sort_values(["unit", "days_since"], kind="stable").drop_duplicates("unit").set_index("unit")
    out["last_outcome"] = recent["last_outcome"].reindex(out.index).to_numpy()
    # the most recent decline among the members, and when it was
    declined = per[per["last_decline"] != decline_reasons.NONE].sort_values(["unit", "days_since_decline"])
    latest = declined.drop_duplicates("unit").set_index("unit")
    out["last_decline"] = latest["last_decline"].reindex(out.index).fillna(decline_reasons.NONE).to_numpy()
    out["days_since_decline"] = latest["days_since_decline"].reindex(out.index).fillna(NEVER_DAYS).to_numpy()
    out["founded_1km"] = g["founded_1km"].max().reindex(out.index).to_numpy()
    out["founded_street"] = g["founded_street"].max().reindex(out.index).to_numpy()
    out["never_visited"] = out["contacts"] == 0
    return out


def decline_rule(unit_feats: pd.DataFrame) -> pd.Series:
    """The rule a unit's last decline calls for (a key of ``decline_reasons.RULES``), or "" when none applies:
    总部统一安排 and 已有上级工会覆盖 are not visited again as they are (for ``RULE_EXPIRY_DAYS``); 经营困难 not
    within ``HARDSHIP_WAIT_DAYS`` of the decline; 正在筹备 soon, within ``PREPARING_SOON_DAYS``. Only while the
    decline is the unit's last contact, and never for a joint group."""
    code = unit_feats["last_decline"].astype(str) if "last_decline" in unit_feats else pd.Series("", unit_feats.index)
    days = (
        unit_feats["days_since_decline"].astype(float)
        if "days_since_decline" in unit_feats
        else pd.Series(NEVER_DAYS, index=unit_feats.index)
    )
    rule = pd.Series("", index=unit_feats.index, dtype=object)
    # a rule stands while the decline is the last word: a later meeting or interest lifts it; a joint group is
    # not held back for one member's reason; and what an enterprise said two years ago is asked again
    if "last_outcome" in unit_feats:
        code = code.where(unit_feats["last_outcome"].astype(str) == "declined", decline_reasons.NONE)
    if "kind" in unit_feats:
        code = code.where(unit_feats["kind"].astype(str) != "joint", decline_reasons.NONE)
    code = code.where(days < decline_reasons.RULE_EXPIRY_DAYS, decline_reasons.NONE)
    rule[code.isin(["head_office", "covered"])] = code
    rule[(code == "hardship") & (days < decline_reasons.HARDSHIP_WAIT_DAYS)] = "hardship"
    rule[(code == "preparing") & (days < decline_reasons.PREPARING_SOON_DAYS)] = "preparing"
    return rule


def route_branches(register: pd.DataFrame, unit_feats: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Branches are reached through the head office that decides for them (the register's ``head_office_id``).

    A branch whose head office is a unit of this plan is folded into it: the head office's expected members, value
    and staff count the branch's (at the head office's P, since it decides), and the branch is not visited on its
    own. A branch whose head office has a union is covered by it and left out. A branch whose head office is not
    among this plan's units (another area's, or not in the register the caller reads) is left out and counted as a
    referral under the head office's id, the code the caller's own register gave: nothing else is looked up.

    Returns the units without the branches (head offices gaining ``branches`` and ``branch_staff``) and the
    referrals, head office id -> branches.
    """
    out = unit_feats.assign(branches=0, branch_staff=0.0)
    if "head_office_id" not in register or out.empty:
        return out, {}
    head = register["head_office_id"].astype("string").to_numpy(dtype=object)
    ids = register["enterprise_id"].astype(str)
    pos_of = dict(zip(ids, range(len(ids)), strict=True))
    status = register["union_status"].astype("string").fillna("none").to_numpy(dtype=object)
    single = out["kind"] == "single"
    unit_at = {int(p[0]): i for i, p in zip(out.index[single], out.loc[single, "positions"], strict=True)}
    referrals: dict[str, int] = {}
    folded = []
    head_of = {e: h for e, h in zip(ids, head, strict=True) if isinstance(h, str) and h}

    def top(eid: str) -> str | None:
        """The head office at the top of the chain; None for a cycle (A names B, B names A: neither is a branch)."""
        seen = {eid}
        at = head_of.get(eid)
        while at is not None and at in head_of:
            if at in seen or len(seen) > 8:
                return None
            seen.add(at)
            at = head_of[at]
        return at

    for i, positions in zip(out.index[single], out.loc[single, "positions"], strict=True):
        hid = top(ids.iat[int(positions[0])]) if ids.iat[int(positions[0])] in head_of else None
        if not isinstance(hid, str) or not hid:
            continue
        folded.append(i)
        hp = pos_of.get(hid)
        target = unit_at.get(hp) if hp is not None else None
        if target is None or target == i:
            if hp is None or status[hp] == "none":  # a union at the head office covers the branch: nothing to do
                referrals[hid] = referrals.get(hid, 0) + 1
            continue
        p_head = out.at[target, "p_found"]
        em = float(out.at[i, "expected_members"])
        out.at[target, "expected_members"] += em
        out.at[target, "value"] += (p_head if pd.notna(p_head) else 0.0) * em
        out.at[target, "branches"] += 1
        out.at[target, "branch_staff"] += float(out.at[i, "staff"]) if pd.notna(out.at[i, "staff"]) else 0.0
    # the head offices' staff shown combined, like a joint group's
    out["staff"] = out["staff"].astype(float) + out["branch_staff"]
    return out.drop(index=folded), referrals


PREPARING_BOOST = 1.5  # an enterprise preparing its union is worth going back to while it prepares


def model_scores(unit_feats: pd.DataFrame) -> pd.Series:
    """The model's score of each unit: Σ P(found) x expected members, after the decline rules
    (:func:`decline_rule`): a unit held back scores nothing, one preparing its union counts
    :data:`PREPARING_BOOST` times."""
    rule = decline_rule(unit_feats)
    score = unit_feats["value"].astype(float)
    score = score.where(~rule.isin(["head_office", "covered", "hardship"]), -np.inf)
    return score.where(rule != "preparing", score * PREPARING_BOOST)


def largest_first(unit_feats: pd.DataFrame) -> pd.Series:
    """Largest first: a unit's combined staff (a joint group's members added up)."""
    return unit_feats["staff"].astype(float).fillna(0.0)


def longest_unvisited(unit_feats: pd.DataFrame) -> pd.Series:
    """Longest unvisited: never-visited units first, then by days since the last contact, ties by staff."""
    key = _unvisited_key(
        unit_feats["contacts"].to_numpy(dtype=float),
        unit_feats["days_since"].to_numpy(dtype=float),
        unit_feats["staff"].to_numpy(dtype=float),
    )
    return pd.Series(key, index=unit_feats.index)


SCORERS = {"model": model_scores, "largest": largest_first, "unvisited": longest_unvisited}


# ------------------------------------------------------------------------------------------------------------- plans


def working_days(start: Any, days: int, overrides: dict[dt.date, str] | None = None) -> list[dt.date]:
    """The official working days (weekday or 调休 make-up day, overrides applied) of ``days`` days from ``start``."""
    from dashboard.core.recommender import calendar

    first = as_date(start)
    out = []
    for d in range(int(days)):
        day = first + dt.timedelta(days=d)
        if calendar.day_info(day, overrides).day_type in (calendar.WORKDAY, calendar.MAKEUP):
            out.append(day)
    return out


def _approx_km(lat0: float, lon0: float, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Equirectangular distance in km (exact enough within a city); unknown places are infinitely far."""
    k = np.cos(np.radians(39.9))
    d = np.hypot((lat - lat0) * 111.2, (lon - lon0) * 111.2 * k)
    return np.where(np.isnan(d), np.inf, d)


def day_groups(lat: np.ndarray, lon: np.ndarray, per_day: int) -> list[list[int]]:
    """Split chosen units (in priority order) into days of ``per_day``: a seed and its nearest remaining ones.

    The best remaining unit seeds each day, which then takes the ``per_day - 1`` remaining units nearest to it, so a
    staff member's day stays in one neighbourhood and the best units come first.
    """
    left = np.ones(len(lat), dtype=bool)
    out: list[list[int]] = []
    for seed in range(len(lat)):
        if not left[seed]:
            continue
        left[seed] = False
        cand = np.flatnonzero(left)
        take: list[int] = [seed]
        if len(cand) and per_day > 1:
            d = _approx_km(lat[seed], lon[seed], lat[cand], lon[cand])
            near = cand[np.argsort(d, kind="stable")[: per_day - 1]]
            left[near] = False
            take += [int(i) for i in near]
        out.append(take)
    return out


def route(lat: np.ndarray, lon: np.ndarray) -> list[int]:
    """Nearest-neighbour order of points starting from the first (positions into the arrays)."""
    order = [0]
    left = list(range(1, len(lat)))
    while left:
        here = order[-1]
        d = _approx_km(lat[here], lon[here], lat[left], lon[left])
        order.append(left.pop(int(np.argmin(d))))
    return order


def _about(n: float) -> int:
    """Staff as the reasons say it: exact under 100, to 10 under 1,000, to 100 above."""
    if n < 100:
        return round(n)
    return int(round(n, -1) if n < 1000 else round(n, -2))


_OUTCOME_WORDS = {
    "interested": ("有意向", "interested"),
    "declined": ("暂不建会", "declined"),
    "held": ("已沟通", "talked"),
    "founded": ("已建会", "founded"),
}


def reasons(unit: Any) -> tuple[str, str]:
    """A unit's reason in Chinese and English, from its numbers only (no free text of anyone's)."""
    own = float(unit.staff) - float(getattr(unit, "branch_staff", 0.0) or 0.0) if pd.notna(unit.staff) else np.nan
    staff = _about(own) if pd.notna(own) else None
    zh: list[str] = []
    en: list[str] = []
    if unit.kind == "joint":
        zh.append(f"{len(unit.members)}家小微企业同楼宇或园区、合计员工约{staff}人，可组建联合工会")
        en.append(f"{len(unit.members)} small enterprises in one building or park, about {staff} staff together")
    else:
        zh.append(f"员工约{staff}人、未建会" if staff is not None else "员工数不详、未建会")
        en.append(f"about {staff} staff, no union" if staff is not None else "staff unknown, no union")
    near, street = unit.founded_1km, unit.founded_street
    if pd.notna(near) and near > 0:
        zh.append(f"附近1公里内已有{int(near)}家建会")
        en.append(f"{int(near)} founded within 1 km")
    elif pd.notna(street) and street > 0:
        zh.append(f"同街道已有{int(street)}家建会")
        en.append(f"{int(street)} founded in the same street")
    branches = int(getattr(unit, "branches", 0) or 0)
    if branches:
        with_them = _about(float(getattr(unit, "branch_staff", 0) or 0))
        zh.append(f"总部统一安排其{branches}家分支机构（员工约{with_them}人）建会，已计入")
        en.append(f"decides for its {branches} branches (about {with_them} staff), counted in")
    head_zh, head_en = "、".join(zh), ", ".join(en)
    if unit.contacts == 0 or pd.isna(unit.contacts):
        tail_zh, tail_en = "从未走访", "never visited"
    else:
        days = float(unit.days_since)
        ago_zh = f"{int(days)}天前" if days < 60 else f"{round(days / 30.44)}个月前"
        ago_en = f"{int(days)} days ago" if days < 60 else f"{round(days / 30.44)} months ago"
        word_zh, word_en = _OUTCOME_WORDS.get(str(unit.last_outcome), ("已沟通", "talked"))
        why = str(getattr(unit, "last_decline", decline_reasons.NONE))
        if unit.last_outcome == "declined" and why in decline_reasons.CODES:
            word_zh += f"（{decline_reasons.label(why)}）"
            word_en += f" ({decline_reasons.label(why, 'en')})"
        tail_zh, tail_en = f"上次沟通在{ago_zh}，当时{word_zh}", f"last contact {ago_en}, {word_en} then"
        if why == "preparing" and float(getattr(unit, "days_since_decline", NEVER_DAYS)) < (
            decline_reasons.PREPARING_SOON_DAYS
        ):
            rule_zh, rule_en = decline_reasons.RULES["preparing"]
            tail_zh, tail_en = f"{tail_zh}，{rule_zh}", f"{tail_en}; {rule_en}"
    text_zh, text_en = f"{head_zh}；{tail_zh}", f"{head_en}; {tail_en}"
    if pd.notna(unit.p_found):
        pct = round(100 * float(unit.p_found))
        text_zh += f"；预计90天内建会可能性约{pct}%"
        text_en += f"; about {pct}% likely to found within 90 days"
    return text_zh, text_en


def plan(
    register: pd.DataFrame,
    visits: pd.DataFrame,
    model: VisitModel | None,
    start: Any,
    days: int,
    staff: int,
    per_day: int = 4,
    district: str | tuple[str, ...] | list[str] | None = None,
    overrides: dict[dt.date, str] | None = None,
    today: Any = None,
    policy: str = "model",
    radius_m: float = JOINT_RADIUS_M,
) -> pd.DataFrame:
    """The visits of the ``days`` calendar days from ``start``: ``staff`` people, ``per_day`` visits each working day.

    Units (:func:`units`, limited to ``district``) are scored by ``policy`` ("model": Σ P(found within 90 days) x
    expected members; "largest"; "unvisited") as of ``today`` (default ``start``), the best ones filling every
    slot (no unit twice). The chosen units are split into days, each the best remaining unit with its nearest
    remaining ones (:func:`day_groups`), handed out date by date, staff 1..K, so the best come first; each day is
    ordered by a nearest-neighbour route from its best unit. Features and neighbours use the whole register, so a
    district's border does not hide the unions founded just across it.

    Returns
    -------
    DataFrame
        One row per visit: ``date``, ``staff_no``, ``order``, ``unit_id``, ``enterprise_id`` (a joint group's
        members joined with "、"), ``name``, ``district``, ``district_name``, ``street``, ``staff`` (combined),
        ``p_found``, ``expected_members`` (P x ``members_if_founded``, the expectation; NaN for a
        policy without P), ``members_if_founded`` (staff x the join rate), ``lat``, ``lon``, ``kind``,
        ``reason_zh``, ``reason_en``, ``km_from_previous`` (0 for a day's first visit).
    """
    from dashboard.core.geo import districts

    if policy not in SCORERS:
        raise ValueError(f"unknown policy {policy!r}; one of {POLICIES}")
    if policy == "model" and model is None:
        raise ValueError("the model policy needs a fitted VisitModel")
    as_of = today if today is not None else start
    workdays = working_days(start, days, overrides)
    columns = [
        "date",
        "staff_no",
        "order",
        "unit_id",
        "enterprise_id",
        "first_id",
        "name",
        "district",
        "district_name",
        "street",
        "address",
        "staff",
        "p_found",
        "expected_members",
        "members_if_founded",
        "lat",
        "lon",
        "kind",
        "reason_zh",
        "reason_en",
        "km_from_previous",
    ]
    eligible = (register["union_status"].astype("string") == "none").fillna(False).to_numpy(dtype=bool)
    if district is not None:
        eligible &= areas.mask(register, district).to_numpy(dtype=bool)
    slots = int(staff) * int(per_day) * len(workdays)
    if not slots or not eligible.any():
        return pd.DataFrame(columns=columns)
    uf = unit_features(register, visits, as_of, _units(register, eligible, radius_m, JOINT_MAX_MEMBERS), model)
    referrals: dict[str, int] = {}
    if policy == "model":
        uf, referrals = route_branches(register, uf)
    score = SCORERS[policy](uf).fillna(-np.inf).to_numpy()
    order = np.lexsort((uf["unit_id"].to_numpy(dtype=str), -score))
    if policy == "model":  # units the decline rules hold back are never visited, however many slots are left
        order = order[np.isfinite(score[order])]
    order = order[:slots]
    chosen = uf.iloc[order].reset_index(drop=True)
    groups = day_groups(chosen["lat"].to_numpy(float), chosen["lon"].to_numpy(float), per_day)
    names = register["name"].astype("string").fillna("").to_numpy(dtype=object)
    address = (
        register["address"].astype("string").fillna("").to_numpy(dtype=object)
        if "address" in register
        else np.full(len(register), "", dtype=object)
    )
    rows = []
    for g_no, group in enumerate(groups):
        day, who = workdays[g_no // staff], g_no % staff + 1
        lat = chosen["lat"].to_numpy(float)[group]
        lon = chosen["lon"].to_numpy(float)[group]
        path = route(lat, lon)
        for k, i in enumerate(path):
            u = chosen.iloc[group[i]]
            if k == 0:
                km = 0.0
            else:
                prev = path[k - 1]
                km = float(haversine_km(lat[prev], lon[prev], lat[i], lon[i]))
            zh, en = reasons(u)
            member_names = [str(names[p]) for p in u.positions]
            if u.kind == "joint":
                shown = "、".join(member_names[:2])
                name = f"联合工会：{shown} 等{len(member_names)}家"
            else:
                name = member_names[0]
            rows.append(
                {
                    "date": day,
                    "staff_no": who,
                    "order": k + 1,
                    "unit_id": u.unit_id,
                    "enterprise_id": "、".join(u.members),
                    "first_id": str(u.members[0]),  # the enterprise itself (a group's seed): never split from text
                    "name": name,
                    "district": u.district,
                    "district_name": districts.name(u.district) if u.district in districts.BY_ADCODE else u.district,
                    "street": u.street,
                    "address": str(address[u.positions[0]]),  # a joint group's: its seed's building
                    "staff": u.staff,
                    "p_found": u.p_found,
                    # an expectation (P x members); what a founding would bring is its own, labelled column
                    "expected_members": u.value,
                    "members_if_founded": u.expected_members,
                    "lat": u.lat,
                    "lon": u.lon,
                    "kind": u.kind,
                    "reason_zh": zh,
                    "reason_en": en,
                    "km_from_previous": km,
                }
            )
    out = pd.DataFrame(rows, columns=columns)
    rule = decline_rule(uf)
    # what the rules held back, for the page to say (branches to reach through their head office above all)
    out.attrs["referrals"] = referrals
    out.attrs["held_back"] = {
        k: int((rule == k).sum()) for k in ("head_office", "covered", "hardship") if (rule == k).any()
    }
    return out


VISIT_SHEET = {
    "date": "日期",
    "staff_no": "工作人员",
    "order": "顺序",
    "enterprise_id": "企业编号",
    "name": "企业名称",
    "district_name": "所属区",
    "street": "街道乡镇",
    "address": "地址",
    "head_name": "负责人",
    "contact": "联系方式",
    "staff": "员工数",
    "p_found": "建会概率",
    "expected_members": "预计发展会员",
    "members_if_founded": "建会后可发展会员",
    "kind": "类型",
    "km_from_previous": "距上一家公里",
    "reason": "理由",
}


def for_people(plan: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The visit plan as people and other tools read it (the ``visits`` command's CSV): Chinese headers, one row
    per visit in route order, the reason in ``lang``."""
    sheet = plan.assign(
        reason=plan["reason_en" if lang == "en" else "reason_zh"],
        kind=plan["kind"].map({"joint": "联合建会", "single": "单独建会"}),
        p_found=plan["p_found"].astype(float).round(3),
        expected_members=plan["expected_members"].astype(float).round(1),
        members_if_founded=plan["members_if_founded"].astype(float).round(),
        km_from_previous=plan["km_from_previous"].astype(float).round(2),
        street=plan["street"].fillna(""),
        # the head and their number: added by the gateway for the caller's own area, blank otherwise
        **{c: plan[c].fillna("") if c in plan else "" for c in ("address", "head_name", "contact")},
        staff=pd.to_numeric(plan["staff"]).round().astype("Int64"),
    )
    return sheet[list(VISIT_SHEET)].rename(columns=VISIT_SHEET)
