"""Features of an enterprise as of a day, from the register and the visits before it (contacts, outcomes, the last
decline's code, unions founded nearby, the district's join rate), and the labelled training frame.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.neighbors import KDTree

from dashboard.core.intake import decline_reasons

from .common import (
    DEFAULT_JOIN_RATE,
    FEATURES,
    HORIZON_DAYS,
    JOIN_RATE_PRIOR_N,
    JOINT_MIN_STAFF,
    NEARBY_M,
    NEVER_DAYS,
    day_number,
    day_numbers,
    founding_days,
    planar_km,
    positions,
    segment_counts,
    staff_of,
)


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


def member_rates(register: pd.DataFrame, visits: pd.DataFrame) -> np.ndarray:
    """Each enterprise's expected members at founding over its staff (aligned with ``register``'s rows).

    Its district's rate (:func:`join_rates`) times its industry section's factor (how the section's foundings
    joined against their districts' rates, city-wide, shrunk toward 1 by ``JOIN_RATE_PRIOR_N`` foundings' worth),
    and that shrunk toward the section's own foundings in the district where there are some: an industry where few
    staff join (a delivery firm's riders, a hotel's seasonal staff) is told apart from one where most do, without
    one founding deciding a section.
    """
    k = JOIN_RATE_PRIOR_N
    rates = join_rates(register, visits)
    district = register["district"].astype(str)
    base: np.ndarray = district.map(rates).fillna(DEFAULT_JOIN_RATE).to_numpy(dtype=float)
    if "industry" not in register or not len(visits):
        return base
    industry = register["industry"].astype("string").fillna("?").to_numpy(dtype=str)
    founded = visits[visits["outcome"].astype("string") == "founded"]
    at = positions(register)
    got = founded.drop_duplicates("enterprise_id", keep="last").assign(
        at=lambda f: f["enterprise_id"].astype(str).map(at)
    )
    got = got[got["at"].notna()]
    pos = got["at"].to_numpy(dtype=np.int64)
    staff = staff_of(register)[pos]
    members = pd.to_numeric(got["members"], errors="coerce").to_numpy(dtype=float)
    ok = (staff > 0) & (members >= 0)
    pos, ratio = pos[ok], np.minimum(members[ok], staff[ok]) / staff[ok]
    if not len(pos):
        return base
    frame = pd.DataFrame({"industry": industry[pos], "district": district.to_numpy()[pos], "ratio": ratio})
    frame["relative"] = frame["ratio"] / base[pos]
    by_section = frame.groupby("industry")["relative"].agg(["sum", "count"])
    factor = (by_section["sum"] + k) / (by_section["count"] + k)  # shrunk toward 1
    prior = base * pd.Series(industry).map(factor).fillna(1.0).to_numpy(dtype=float)
    cells = frame.groupby(["district", "industry"])["ratio"].agg(["sum", "count"])
    key = pd.MultiIndex.from_arrays([district.to_numpy(), industry])
    s_cell = cells["sum"].reindex(key).fillna(0.0).to_numpy(dtype=float)
    n_cell = cells["count"].reindex(key).fillna(0.0).to_numpy(dtype=float)
    return np.asarray(np.clip((s_cell + k * prior) / (n_cell + k), 0.05, 1.0), dtype=float)


def _neighbours(
    register: pd.DataFrame, query: np.ndarray, founded_day: np.ndarray
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Enterprises within :data:`NEARBY_M` of each queried register row: their count, and their founding days."""
    xy = planar_km(register)
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
    xy = planar_km(register)
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
    code_of = positions(register)
    if len(visits):
        v_code = visits["enterprise_id"].astype(str).map(code_of).to_numpy(dtype=float)
        keep = ~np.isnan(v_code)
        v_day = day_numbers(visits["visited_on"])[keep]
        v_out = visits["outcome"].astype("string").fillna("held").to_numpy(dtype=object)[keep]
        texts = visits["reason"] if "reason" in visits else pd.Series(None, index=visits.index, dtype=object)
        codes = decline_reasons.codes_of(texts.where(visits["outcome"].astype("string") == "declined"))
        v_reason = codes.to_numpy(dtype=object)[keep]
        v_code = v_code[keep].astype(np.int64)
    else:
        v_code, v_day, v_out = np.zeros(0, np.int64), np.zeros(0), np.zeros(0, dtype=object)
        v_reason = np.zeros(0, dtype=object)
    hist = _history(rows.astype(np.int64), t, v_code, v_day, v_out, v_reason)

    staff = staff_of(register)[rows]
    # unions founded nearby before the day: within 1 km, and in the same street
    uniq, inverse = np.unique(rows, return_inverse=True)
    if len(t) and np.all(t == t[0]):  # one day for all (a prediction): count, do not list, the unions nearby
        n_firms_u, founded_u = _neighbour_counts(register, uniq, founded_day, float(t[0]))
        founded_1km = founded_u[inverse]
    else:
        n_firms_u, days_u = _neighbours(register, uniq, founded_day)
        founded_1km = segment_counts(inverse.astype(np.int64), t, days_u)
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
    founded_street = segment_counts(seg, t, s_days)
    firms = n_firms_u[inverse]

    industry = register["industry"].astype("string").fillna("?").to_numpy(dtype=object)[rows]
    district = register["district"].astype("string").fillna("?").to_numpy(dtype=object)[rows]
    # years since registration (成立日期) on the day: a young firm is not an old one that has resisted for years
    registered = (
        day_numbers(register["registered_on"])[rows] if "registered_on" in register else np.full(len(rows), np.nan)
    )
    age_years = np.maximum(t - registered, 0) / 365.25
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
            "log_age_years": np.log1p(age_years),
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
    within 1 km and in the same street before ``as_of``, the enterprises within 1 km, the years since registration
    where the register gives 成立日期) and, for the reasons, ``staff``,
    ``contacts``, ``days_since``, ``founded_1km``, ``founded_street``.
    """
    t0 = day_number(as_of)
    past = visits[day_numbers(visits["visited_on"]) < t0] if len(visits) else visits
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
    t_end = day_number(until)
    code_of = positions(register)
    if not len(visits):
        return pd.DataFrame(columns=FEATURES), pd.Series(dtype=int, name="founded")
    known = visits[day_numbers(visits["visited_on"]) < t_end]  # what was on record at ``until``
    vday = day_numbers(known["visited_on"])
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
