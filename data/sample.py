"""Reproducible sample data: candidate sites around Beijing's employment centres and a session history
from April 2018 to October 2026, generated from a known ground truth.

The slice April 2018 - 30 April 2023 reproduces the published programme totals (27,100 worker sessions,
609,800 consultations, 160,100 applications, 17,300 enterprise sessions, 21,700 enterprises, 14,800 unions,
1,193,500 members) within 1%. Everything else is synthetic but shaped by the sourced facts in
``shared/reference/domain.md``: worker groups' rest hours, the official calendar (holidays and 调休 make-up
days), seasons, the pilot roll-out (11 districts from April 2018, citywide from October 2018), COVID pauses,
and planners' habit of going back to familiar sites on weekday mornings.

The ground truth (:class:`Truth`) is kept so the recommender can be judged against what really drives yield:
``Truth.expected(...)`` gives the true expected consultations and applications of any (site, date, window).

Usage::

    python -m dashboard sample            # load into the database
    python data/sample.py OUTDIR          # write sites.csv and sessions.csv (UTF-8 with BOM)
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dashboard.core.geo import districts  # noqa: E402
from dashboard.core.recommender import calendar as cal  # noqa: E402

DEFAULT_SEED = 20180401
HISTORY_START = dt.date(2018, 4, 1)
HISTORY_END = dt.date(2026, 10, 31)
PUBLISHED_END = dt.date(2023, 4, 30)
PUBLISHED = {
    "worker_sessions": 27_100,
    "consultations": 609_800,
    "applications": 160_100,
    "enterprise_sessions": 17_300,
    "enterprises_reached": 21_700,
    "unions_founded": 14_800,
    "members_total": 1_193_500,
}
# consultations and on-site applications per worker session in the published five years
PUBLISHED_PER_SESSION = (
    PUBLISHED["consultations"] / PUBLISHED["worker_sessions"],
    PUBLISHED["applications"] / PUBLISHED["worker_sessions"],
)
PILOT_DISTRICTS = (
    "110101",
    "110102",
    "110105",
    "110106",
    "110107",
    "110108",
    "110111",
    "110112",
    "110113",
    "110114",
    "110115",
)
CITYWIDE_FROM = dt.date(2018, 10, 1)
N_SITES = 600

# Legal-entity units in 2018 (10k), domain.md; n/a filled with 2.0. Drives how many sites a district has.
UNITS = {
    "110101": 4.4,
    "110102": 4.6,
    "110105": 21.5,
    "110106": 8.9,
    "110107": 3.0,
    "110108": 15.9,
    "110109": 2.1,
    "110111": 5.1,
    "110112": 5.6,
    "110113": 3.7,
    "110114": 5.7,
    "110115": 4.9,
    "110116": 2.5,
    "110117": 2.0,
    "110118": 2.0,
    "110119": 0.9,
}

TYPES = (
    "office_cluster",
    "logistics_park",
    "industrial_park",
    "commercial_street",
    "delivery_station",
    "transport_hub",
    "residential_community",
    "construction_site",
)
_MIX_DEFAULT = (0.10, 0.08, 0.12, 0.15, 0.17, 0.06, 0.20, 0.12)
_MIX_OFFICE = (0.40, 0.00, 0.03, 0.20, 0.17, 0.06, 0.09, 0.05)
_MIX_LOGISTICS = (0.03, 0.40, 0.10, 0.05, 0.20, 0.10, 0.07, 0.05)
_MIX_INDUSTRY = (0.12, 0.10, 0.40, 0.08, 0.10, 0.04, 0.08, 0.08)

# Employment centres (lat, lon WGS-84, spread km, type mix), from domain.md; others use the district's centre.
CENTRES = {
    "110101": [("王府井", 39.915, 116.418, 2.0, _MIX_OFFICE)],
    "110102": [("金融街", 39.915, 116.357, 2.0, _MIX_OFFICE)],
    "110105": [
        ("国贸", 39.909, 116.456, 2.0, _MIX_OFFICE),
        ("望京", 39.996, 116.477, 2.0, _MIX_OFFICE),
        ("酒仙桥", 39.97, 116.49, 2.0, _MIX_INDUSTRY),
        ("朝阳东部", 39.93, 116.55, 3.5, _MIX_DEFAULT),
    ],
    "110106": [("丽泽", 39.865, 116.31, 2.0, _MIX_OFFICE), ("新发地", 39.82, 116.39, 2.5, _MIX_LOGISTICS)],
    "110107": [("首钢园", 39.91, 116.20, 2.5, _MIX_DEFAULT)],
    "110108": [("中关村", 39.983, 116.316, 2.0, _MIX_OFFICE), ("上地西二旗", 40.051, 116.30, 2.0, _MIX_OFFICE)],
    "110112": [("副中心", 39.91, 116.70, 3.0, _MIX_DEFAULT), ("马驹桥", 39.76, 116.55, 2.5, _MIX_LOGISTICS)],
    "110113": [("空港", 40.07, 116.58, 3.0, _MIX_LOGISTICS)],
    "110114": [("回龙观", 40.07, 116.33, 2.5, _MIX_DEFAULT), ("未来科学城", 40.10, 116.44, 2.5, _MIX_INDUSTRY)],
    "110115": [("亦庄", 39.80, 116.50, 3.0, _MIX_INDUSTRY), ("大兴机场", 39.51, 116.41, 3.0, _MIX_LOGISTICS)],
    "110111": [("良乡", 39.73, 116.14, 3.0, _MIX_DEFAULT)],
    "110117": [("马坊", 40.06, 117.00, 2.5, _MIX_LOGISTICS)],
}

# Availability 0-5 by hour of day for each worker group (domain.md's table spread to hours, night added).
_BANDS = [(7, 9), (9, 11), (11, 13), (13, 14), (14, 17), (17, 19.5), (19.5, 21)]
_GROUP_TABLE = {
    "rider": ([1, 3, 0, 1, 5, 0, 2], 1.0),
    "courier": ([2, 1, 2, 3, 2, 1, 2], 0.8),
    "truck": ([2, 4, 4, 4, 4, 2, 1], 1.0),
    "ridehail": ([0, 2, 2, 3, 3, 0, 1], 1.0),
    "factory": ([3, 1, 4, 2, 1, 4, 2], 0.7),
    "office": ([1, 0, 5, 3, 0, 2, 1], 0.2),
    "construction": ([2, 0, 4, 3, 0, 3, 4], 0.8),
    "retail": ([1, 3, 0, 2, 4, 0, 1], 0.5),
}
TYPE_GROUPS = {
    "office_cluster": {"office": 1.0},
    "logistics_park": {"truck": 0.5, "courier": 0.5},
    "industrial_park": {"factory": 1.0},
    "commercial_street": {"retail": 1.0},
    "delivery_station": {"rider": 1.0},
    "transport_hub": {"ridehail": 0.6, "courier": 0.4},
    "residential_community": {"courier": 0.4, "rider": 0.3, "retail": 0.3},
    "construction_site": {"construction": 1.0},
}
# Share of consultations that apply on the spot, by type (rescaled to the published 26%).
CONVERSION = {
    "office_cluster": 0.16,
    "logistics_park": 0.30,
    "industrial_park": 0.30,
    "commercial_street": 0.24,
    "delivery_station": 0.36,
    "transport_hub": 0.28,
    "residential_community": 0.26,
    "construction_site": 0.34,
}
OUTDOOR = {"delivery_station", "construction_site", "logistics_park", "transport_hub"}
MIGRANT = {"delivery_station", "construction_site", "logistics_park", "residential_community"}
WORKERS_MEDIAN = {
    "office_cluster": 8000,
    "logistics_park": 2500,
    "industrial_park": 5000,
    "commercial_street": 1500,
    "delivery_station": 150,
    "transport_hub": 4000,
    "residential_community": 1500,
    "construction_site": 400,
}
TYPE_BASE = {
    "office_cluster": 1.0,
    "logistics_park": 1.1,
    "industrial_park": 1.0,
    "commercial_street": 0.9,
    "delivery_station": 1.2,
    "transport_hub": 1.0,
    "residential_community": 0.8,
    "construction_site": 1.1,
}
SATURATION_DEPTH = 0.55  # a site visited yesterday yields 45% of a fresh one
SATURATION_DAYS = 21.0  # e-folding time of the recovery
COVID_PAUSES = [
    (dt.date(2020, 1, 24), dt.date(2020, 5, 10), 0.1),
    (dt.date(2022, 4, 25), dt.date(2022, 6, 10), 0.3),
    (dt.date(2022, 11, 10), dt.date(2022, 12, 31), 0.2),
]


def _hour_profile(group: str) -> np.ndarray:
    """Availability per half hour (48 slots), 0-5, for a worker group."""
    scores, _ = _GROUP_TABLE[group]
    prof = np.full(48, 0.3)  # the small hours: hardly anyone, but not nobody
    for (a, b), s in zip(_BANDS, scores, strict=True):
        prof[int(a * 2) : int(b * 2)] = s
    prof[12:14] = max(prof[14] * 0.5, 0.3)  # 6-7h: shifts start
    prof[42:44] = prof[41] * 0.6  # 21-22h: tailing off
    if group == "truck":
        prof[:12] = 3.0  # lorries wait for the 0-6h window at the hubs
        prof[44:] = 2.5
    return prof


PROFILES = {g: _hour_profile(g) for g in _GROUP_TABLE}
# A sum of arrays is an array (typeshed's sum() also allows the 0 of an empty sum; every mix has groups).
TYPE_PROFILES = {t: cast(np.ndarray, sum(w * PROFILES[g] for g, w in mix.items())) for t, mix in TYPE_GROUPS.items()}
WEEKEND_FACTOR = {t: sum(w * _GROUP_TABLE[g][1] for g, w in mix.items()) for t, mix in TYPE_GROUPS.items()}


@dataclass
class Truth:
    """The hidden process behind the sample history. Everything the recommender should learn is here.

    ``sites`` holds each site's ``level`` (its own multiplier) and, in worlds where sites differ from their type,
    ``profile`` (a key into ``profiles``: the site's availability by half hour, from its own worker mix),
    ``weekend`` (its rest-day factor) and ``conversion`` (its share of consultations that apply on the spot).
    Without those columns a site behaves exactly like its type.
    """

    sites: pd.DataFrame  # site_id, site_type, district, level[, profile, weekend, conversion]
    consult_scale: float
    apply_scale: float
    year_heat: dict[int, float]
    profiles: dict[str, np.ndarray] = field(default_factory=dict)
    # what a site of each type looks like when nothing sets it apart (a world with its own curves replaces these)
    type_profiles: dict[str, np.ndarray] = field(default_factory=lambda: dict(TYPE_PROFILES))
    group_offsets: dict[str, float] = field(default_factory=dict)  # hours each group's narrow peaks are moved

    def expected(self, site_ids, dates, start_min, end_min, days_since_visit=None) -> tuple[np.ndarray, np.ndarray]:
        """True expected consultations and on-site applications.

        Parameters
        ----------
        site_ids, dates, start_min, end_min : array-like
            The candidate sessions: site, date, start and end in minutes after midnight.
        days_since_visit : array-like, optional
            Days since the site's previous session (NaN or absent: not visited for a long time).
        """
        idx = self.sites.set_index("site_id").loc[list(site_ids)]
        stypes = idx["site_type"].to_numpy()
        level = idx["level"].to_numpy()
        own = "profile" in idx.columns
        keys = idx["profile"].to_numpy() if own else stypes
        conversion = idx["conversion"].to_numpy(dtype=float) if own else None
        weekend = idx["weekend"].to_numpy(dtype=float) if own else None
        dates = pd.to_datetime(pd.Series(dates)).reset_index(drop=True)
        start = np.asarray(start_min, dtype=float)
        end = np.asarray(end_min, dtype=float)
        dtypes = cal.day_types(dates)["day_type"].to_numpy()
        months = dates.dt.month.to_numpy()
        years = dates.dt.year.to_numpy()
        doy = dates.dt.day_of_year.to_numpy()
        n = len(stypes)
        volume = np.zeros(n)
        conv = np.zeros(n)
        for key in pd.unique(keys):
            m = keys == key
            t = stypes[m][0]  # a key is a type, or one site (of one type)
            prof = self.profiles[key] if own else TYPE_PROFILES[t]
            cum = np.concatenate([[0.0], np.cumsum(prof) * 0.5])  # hours x availability
            s_slot, e_slot = start[m] / 30.0, end[m] / 30.0
            volume[m] = np.interp(e_slot, np.arange(49), cum) - np.interp(s_slot, np.arange(49), cum)
            conv[m] = conversion[m] if conversion is not None else CONVERSION[t]  # not None exactly when own
            rest = weekend[m] if weekend is not None else WEEKEND_FACTOR[t]
            day = np.ones(m.sum())
            dt_m = dtypes[m]
            day = np.where(dt_m == cal.WEEKEND, rest, day)
            day = np.where(dt_m == cal.HOLIDAY, rest**1.5 * 0.8, day)
            season = np.ones(m.sum())
            mo = months[m]
            if t in OUTDOOR:
                season *= np.where(np.isin(mo, [12, 1, 2]), 0.8, 1.0)
                heat = np.array([self.year_heat.get(int(y), 1.0) for y in years[m]])
                midday = (start[m] < 15 * 60) & (end[m] > 11 * 60)
                season *= np.where(np.isin(mo, [7, 8]) & midday, 1.0 / heat, 1.0)
            if t in MIGRANT:  # workers home for Spring Festival: late January to late February
                season *= np.where((doy[m] >= 20) & (doy[m] <= 55), 0.55, 1.0)
            season *= np.where(np.isin(mo, [3, 4, 5, 9, 10]), 1.08, 1.0)  # mild months bring people out
            volume[m] *= TYPE_BASE[t] * day * season
        sat = np.ones(n)
        if days_since_visit is not None:
            ds = np.asarray(days_since_visit, dtype=float)
            sat = np.where(
                np.isnan(ds), 1.0, 1.0 - SATURATION_DEPTH * np.exp(-np.nan_to_num(ds, nan=1e9) / SATURATION_DAYS)
            )
        covid = np.ones(n)
        d = dates.dt.date.to_numpy()
        for a, b, f in COVID_PAUSES:
            covid = np.where((d >= a) & (d <= b), np.minimum(covid, max(f, 0.5)), covid)
        consult = self.consult_scale * level * volume * sat * covid
        p = np.clip(self.apply_scale * conv, 0, 0.95)
        return consult, consult * p

    def knowable(self, visited) -> Truth:
        """What a history that visited ``visited`` could at best reveal: sites never visited lose what sets them
        apart from their type (their own level beyond what their size says, worker mix, sign-up rate).

        A planner driven by this is the ceiling for any method that learns only from the history.
        """
        sites = self.sites.copy()
        unknown = ~sites["site_id"].isin(set(visited)).to_numpy()
        if not unknown.any():
            return self
        sites.loc[unknown, "level"] = (
            np.exp(LEVEL_SPREAD**2 / 2) * sites.loc[unknown, "size"]
        )  # its size says this much
        profiles = dict(self.profiles)
        if "profile" in sites.columns:
            types = sites.loc[unknown, "site_type"]
            for sid, t in zip(sites.loc[unknown, "site_id"], types, strict=True):
                profiles[sid] = self.type_profiles[t]
            sites.loc[unknown, "weekend"] = types.map(WEEKEND_FACTOR).to_numpy()
            sites.loc[unknown, "conversion"] = types.map(CONVERSION).to_numpy()
        return Truth(sites, self.consult_scale, self.apply_scale, self.year_heat, profiles, self.type_profiles)

    def predict_mean(self, frame: pd.DataFrame, target: str = "applications") -> np.ndarray:
        """The planner's predictor interface, answered with the truth: an oracle for judging plans."""
        since = frame.get("days_since")
        consult, apps = self.expected(frame["site_id"], frame["date"], frame["start_min"], frame["end_min"], since)
        return apps if target == "applications" else consult


@dataclass
class Sample:
    sites: pd.DataFrame  # import format (English headers)
    sessions: pd.DataFrame  # import format (English headers)
    truth: Truth


def _place_sites(rng: np.random.Generator) -> pd.DataFrame:
    import shapely

    bounds = districts.boundaries().set_index("adcode")
    weights = pd.Series(UNITS)
    counts = np.maximum(8, np.round(weights / weights.sum() * N_SITES)).astype(int)
    rows = []
    for adcode, n in counts.items():
        poly = bounds.geometry[adcode]
        shapely.prepare(poly)
        centres = CENTRES.get(adcode) or []
        if not centres:
            p = poly.representative_point()
            centres = [(districts.name(adcode)[:-1] + "城区", p.y, p.x, 5.0, _MIX_DEFAULT)]
        centre_of = rng.integers(0, len(centres), size=n)
        for i in range(n):
            label, lat0, lon0, km, mix = centres[centre_of[i]]
            for _ in range(200):
                lat = lat0 + rng.normal(0, km / 111.0)
                lon = lon0 + rng.normal(0, km / 85.0)
                if poly.contains(shapely.Point(lon, lat)):
                    break
            else:
                pt = poly.representative_point()
                lat, lon = pt.y, pt.x
            stype = TYPES[rng.choice(len(TYPES), p=np.array(mix) / sum(mix))]
            rows.append((adcode, label, lat, lon, stype))
    frame = pd.DataFrame(rows, columns=["district", "centre", "lat", "lon", "site_type"])
    from dashboard.core.intake.columns import SITE_TYPES

    frame["site_id"] = frame["district"] + "-" + (frame.groupby("district").cumcount() + 1).map("{:03d}".format)
    med = frame["site_type"].map(WORKERS_MEDIAN)
    frame["workers_nearby"] = np.round(med * np.exp(rng.normal(0, 0.6, len(frame))), -1).clip(lower=20).astype(int)
    frame["lat"] = frame["lat"].round(5)
    frame["lon"] = frame["lon"].round(5)
    frame["street"] = _streets_of(frame)
    frame["place"] = _places_of(frame)
    frame["n"] = frame.groupby(["place", "site_type"]).cumcount() + 1
    frame["site_name"] = frame["place"] + frame["site_type"].map(SITE_TYPES) + frame["n"].astype(str) + "号"
    return frame[["site_id", "site_name", "district", "street", "lat", "lon", "site_type", "workers_nearby"]]


def _streets_of(frame: pd.DataFrame) -> pd.Series:
    """A street per site, so that street unions have something to plan: the sample has no street boundaries, so
    each district's real streets are given cells around seed sites (the nearest seed's street). The names are the
    official ones; which site lies in which street is made up. A generator of its own keeps the sessions as before.
    """
    from dashboard.core.geo import streets

    rng = np.random.default_rng(14)
    out = pd.Series(None, index=frame.index, dtype=object)
    for code, group in frame.groupby("district"):
        names = streets.of_district(str(code))["name"].tolist()
        if not names:
            continue
        seeds = group.iloc[rng.choice(len(group), size=min(len(names), len(group)), replace=False)]
        d = (group["lat"].to_numpy()[:, None] - seeds["lat"].to_numpy()[None, :]) ** 2 + (
            (group["lon"].to_numpy()[:, None] - seeds["lon"].to_numpy()[None, :]) * 0.77
        ) ** 2
        out[group.index] = [names[i] for i in d.argmin(axis=1)]
    return out


# Places people name within a street, for its sites' names (the street's own short name where none is listed)
LANDMARKS = {
    "建外街道": ("国贸", "建外SOHO", "永安里", "建外"),
    "望京街道": ("望京", "望京SOHO"),
    "酒仙桥街道": ("酒仙桥", "798"),
    "中关村街道": ("中关村",),
    "金融街街道": ("金融街",),
    "北京经济技术开发区": ("亦庄",),  # the development zones go by shorter names
    "中关村国家自主创新示范区大兴生物医药产业基地": ("生物医药基地",),
    "大兴经济开发区": ("大兴开发区",),
    "大兴国际机场": ("大兴机场",),
    "北京雁栖经济开发区": ("雁栖",),
    "中关村科技园区密云园": ("密云园",),
}


def _places_of(frame: pd.DataFrame) -> pd.Series:
    """The place each site's name begins with: a landmark of its street (taken in turn), else the street's name
    without 街道 / 地区 / 镇 / 乡, so that a street's sites carry names of that street (建外街道's are 国贸…, 建外SOHO…,
    not 望京…); a site without a street keeps its employment centre's name."""
    street = frame["street"]
    turn = frame.groupby(street.fillna("")).cumcount()
    out = []
    for name, k, centre in zip(street, turn, frame["centre"], strict=True):
        if not isinstance(name, str) or not name:
            out.append(centre)
        elif name in LANDMARKS:
            out.append(LANDMARKS[name][k % len(LANDMARKS[name])])
        else:
            short = re.sub(r"(街道|地区|镇|乡)$", "", name)
            out.append(short if len(short) >= 2 else name)
    return pd.Series(out, index=frame.index)


def _monthly_plan(kind: str) -> pd.Series:
    """Sessions per month (before calibration): pilot, roll-out, COVID pauses, steady state."""
    months = pd.period_range(HISTORY_START, HISTORY_END, freq="M")
    level = []
    for m in months:
        start = m.start_time.date()
        v = 1.0
        if start < CITYWIDE_FROM:
            v = 0.55
        elif start < dt.date(2019, 3, 1):
            v = 0.85
        if start > PUBLISHED_END:
            v = 0.9 if kind == "worker" else 0.75
        if m.month == 2:
            v *= 0.6  # Spring Festival
        for a, b, f in COVID_PAUSES:
            if a <= start <= b or a <= m.end_time.date() <= b:
                v *= f
        level.append(v)
    return pd.Series(level, index=months)


def _published_counts(rng, kind: str, n_published: int) -> pd.Series:
    """Sessions per month of the published sample: its published slice holds exactly ``n_published``."""
    plan = _monthly_plan(kind)
    published = plan[plan.index.start_time.date <= PUBLISHED_END]
    per_month = plan / published.sum() * n_published
    counts = np.floor(per_month).astype(int)
    short = n_published - counts[published.index].sum()  # make the published slice exact
    counts[published.index[rng.choice(len(published), short, replace=False)]] += 1
    return counts


@dataclass(frozen=True)
class Habits:
    """Where and when planners held sessions: favourite sites, usual hours."""

    favourite_exponent: float = 0.9  # Zipf exponent over a district's sites: higher, fewer favourites
    favourite_share: float = 0.7  # sessions at a favourite; the rest at a site picked at random
    usual_hour_share: float = 0.75  # sessions at a usual start time; the rest at any half hour 07:00-19:30
    usual_hours: tuple[int, ...] = (9 * 60, 9 * 60 + 30, 10 * 60, 12 * 60, 14 * 60, 18 * 60 + 30)
    usual_hour_weights: tuple[float, ...] = (0.45, 0.15, 0.15, 0.1, 0.1, 0.05)


def _schedule(
    rng, kind: str, counts: pd.Series, site_frame: pd.DataFrame, habits: Habits = Habits(), active_from=CITYWIDE_FROM
) -> pd.DataFrame:
    """Where and when sessions happened: planners' habits, not the optimum.

    ``counts`` gives sessions per month; ``site_frame`` the sites that may be visited (a never-visited site is
    simply not in it). Before ``active_from`` only the pilot districts held sessions.
    """
    first, last = counts.index[0].start_time.date(), counts.index[-1].end_time.date()
    all_days = pd.date_range(max(first, HISTORY_START), min(last, HISTORY_END), freq="D")
    dtypes = cal.day_types(all_days)["day_type"].to_numpy()
    day_weight = np.select([dtypes == cal.WORKDAY, dtypes == cal.MAKEUP, dtypes == cal.WEEKEND], [1.0, 0.8, 0.22], 0.04)
    if kind == "worker":
        day_weight = day_weight * np.where(all_days.day == 12, 2.0, 1.0)  # monthly communication days
    sites = site_frame.reset_index(drop=True)
    district_w = sites.groupby("district").size()
    # habit: each district's planners favour a few sites (Zipf over a random order)
    fav = np.zeros(len(sites))
    for idx in sites.groupby("district").groups.values():
        order = rng.permutation(len(idx))
        fav[np.asarray(idx)] = 1.0 / (order + 1.0) ** habits.favourite_exponent
    out = []
    month_of_day = all_days.to_period("M")
    for month, n in counts.items():
        if n <= 0:
            continue
        mask = month_of_day == month
        days = all_days[mask]
        w = day_weight[mask]
        chosen_days = days[rng.choice(len(days), n, p=w / w.sum())]
        active = (
            [d for d in PILOT_DISTRICTS if d in district_w.index]
            if month.start_time.date() < active_from
            else list(district_w.index)
        )
        dw = district_w[active].to_numpy(dtype=float)
        if kind == "enterprise":
            dw = np.array([UNITS[d] for d in active])
        chosen_d = np.array(active)[rng.choice(len(active), n, p=dw / dw.sum())]
        out.append(pd.DataFrame({"date": chosen_days, "district": chosen_d}))
    frame = pd.concat(out, ignore_index=True).sort_values("date", kind="stable").reset_index(drop=True)
    n = len(frame)
    if kind == "worker":
        site_pick = np.empty(n, dtype=object)
        for d, idx in frame.groupby("district").groups.items():
            pool = np.where(sites["district"].to_numpy() == d)[0]
            p = fav[pool] / fav[pool].sum()
            # most of the time the habit; sometimes a site picked at random (exploration, new staff)
            habit = rng.choice(pool, len(idx), p=p)
            explore = rng.choice(pool, len(idx))
            site_pick[np.asarray(idx)] = np.where(rng.random(len(idx)) < habits.favourite_share, habit, explore)
        frame["site_idx"] = site_pick.astype(int)
        starts = np.array(habits.usual_hours)
        habit_start = rng.choice(starts, n, p=list(habits.usual_hour_weights))
        random_start = rng.integers(7 * 2, 20 * 2, n) * 30
        frame["start_min"] = np.where(rng.random(n) < habits.usual_hour_share, habit_start, random_start)
        frame["dur"] = rng.choice([90, 120, 180], n, p=[0.15, 0.7, 0.15])
    else:
        frame["start_min"] = rng.choice([9 * 60 + 30, 10 * 60, 14 * 60 + 30, 15 * 60], n)
        frame["dur"] = rng.choice([60, 90, 120], n, p=[0.3, 0.5, 0.2])
    frame["end_min"] = np.minimum(frame["start_min"] + frame["dur"], 23 * 60 + 30)
    return frame


def _hhmm(minutes) -> list[str]:
    return [f"{int(m) // 60:02d}:{int(m) % 60:02d}" for m in minutes]


LEVEL_SPREAD = 0.45  # sd of the log of a site's own level, beyond what its number of workers says
SESSION_DISPERSION = 6.0  # negative-binomial dispersion of a session's consultations: far more varied than Poisson


def observe(truth: Truth, rng: np.random.Generator, sessions: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Draw what sessions really brought: consultations (negative binomial around the truth) and applications.

    ``sessions`` has ``site_id, date, start_min, end_min, days_since`` (the days since the site's previous session).
    """
    consult, apps = truth.expected(
        sessions["site_id"], sessions["date"], sessions["start_min"], sessions["end_min"], sessions["days_since"]
    )
    k = SESSION_DISPERSION
    c = rng.poisson(consult * rng.gamma(k, 1.0 / k, len(sessions)))
    p = np.divide(apps, consult, out=np.zeros_like(apps), where=consult > 0)
    return c, rng.binomial(c, np.clip(p, 0, 1))


def _sites_and_truth(rng: np.random.Generator) -> tuple[pd.DataFrame, Truth]:
    site_frame = _place_sites(rng)
    size = (site_frame["workers_nearby"] / site_frame["site_type"].map(WORKERS_MEDIAN)).to_numpy() ** 0.3
    levels = np.exp(rng.normal(0, LEVEL_SPREAD, len(site_frame))) * size
    truth_sites = pd.DataFrame(
        {
            "site_id": site_frame["site_id"],
            "site_type": site_frame["site_type"],
            "district": site_frame["district"],
            "level": levels,
            "size": size,
        }
    )
    year_heat = {y: float(np.exp(rng.normal(0.25, 0.2))) for y in range(2018, 2031)}
    return site_frame, Truth(truth_sites, 1.0, 1.0, year_heat)


def _worker_sessions(
    rng, w: pd.DataFrame, site_frame: pd.DataFrame, truth: Truth, until: dt.date, per_session: tuple[float, float]
) -> pd.DataFrame:
    """Worker sessions in the import format, their counts drawn from ``truth`` after scaling it so that the
    sessions up to ``until`` bring ``per_session`` consultations and applications on average (the published mean)."""
    w["site_id"] = site_frame["site_id"].to_numpy()[w["site_idx"]]
    w = w.sort_values(["date", "start_min"], kind="stable").reset_index(drop=True)
    last = w.groupby("site_id")["date"].shift()
    w["days_since"] = (w["date"] - last).dt.days
    w.loc[w["days_since"] == 0, "days_since"] = 0.5  # two sessions the same day
    consult, apps = truth.expected(w["site_id"], w["date"], w["start_min"], w["end_min"], w["days_since"])
    in_pub = (w["date"].dt.date <= until).to_numpy()
    totals = (per_session[0] * in_pub.sum(), per_session[1] * in_pub.sum())
    truth.consult_scale = totals[0] / consult[in_pub].sum()
    truth.apply_scale = totals[1] / apps[in_pub].sum()
    for _ in range(3):  # conversion is clipped at 0.95, so settle the scale by a few fixed-point steps
        consult, apps = truth.expected(w["site_id"], w["date"], w["start_min"], w["end_min"], w["days_since"])
        truth.apply_scale *= totals[1] / apps[in_pub].sum()
    c, a = observe(truth, rng, w)
    return pd.DataFrame(
        {
            "session_id": ["W" + d.strftime("%Y%m%d") + f"-{i:05d}" for i, d in enumerate(w["date"])],
            "session_type": "worker",
            "date": w["date"].dt.strftime("%Y-%m-%d"),
            "start_time": _hhmm(w["start_min"]),
            "end_time": _hhmm(w["end_min"]),
            "district": w["district"],
            "site_id": w["site_id"],
            "site_name": "",
            "staff": rng.integers(2, 7, len(w)),
            "consultations": c,
            "applications": a,
            "members_joined": a,
            "enterprises_reached": "",
            "unions_founded": "",
            "notes": "",
        }
    )


def generate(seed: int = DEFAULT_SEED) -> Sample:
    """Generate the sample sites, sessions and ground truth for ``seed`` (same seed, same data)."""
    rng = np.random.default_rng(seed)
    site_frame, truth = _sites_and_truth(rng)

    # --- worker sessions
    w = _schedule(rng, "worker", _published_counts(rng, "worker", PUBLISHED["worker_sessions"]), site_frame)
    workers = _worker_sessions(rng, w, site_frame, truth, PUBLISHED_END, PUBLISHED_PER_SESSION)
    in_pub = (pd.to_datetime(workers["date"]).dt.date <= PUBLISHED_END).to_numpy()

    # --- enterprise sessions
    e = _schedule(rng, "enterprise", _published_counts(rng, "enterprise", PUBLISHED["enterprise_sessions"]), site_frame)
    e_pub = (e["date"].dt.date <= PUBLISHED_END).to_numpy()
    # the published slice reaches exactly the published number of enterprises; later sessions vary freely
    extra_rate = PUBLISHED["enterprises_reached"] / PUBLISHED["enterprise_sessions"] - 1
    reached = 1 + rng.poisson(extra_rate, len(e))
    pub_idx = np.flatnonzero(e_pub)
    extra = np.bincount(
        rng.choice(len(pub_idx), PUBLISHED["enterprises_reached"] - len(pub_idx)), minlength=len(pub_idx)
    )
    reached[pub_idx] = 1 + extra
    founded = rng.binomial(reached, PUBLISHED["unions_founded"] / PUBLISHED["enterprises_reached"])
    size = np.exp(rng.normal(0, 0.8, founded.sum()))
    per_session = np.bincount(np.repeat(np.arange(len(e)), founded), weights=size, minlength=len(e))
    target = PUBLISHED["members_total"] - workers.loc[in_pub, "members_joined"].sum()
    members = np.round(per_session * target / per_session[e_pub].sum()).astype(int)
    enterprises = pd.DataFrame(
        {
            "session_id": ["E" + d.strftime("%Y%m%d") + f"-{i:05d}" for i, d in enumerate(e["date"])],
            "session_type": "enterprise",
            "date": e["date"].dt.strftime("%Y-%m-%d"),
            "start_time": _hhmm(e["start_min"]),
            "end_time": _hhmm(e["end_min"]),
            "district": e["district"],
            "site_id": "",
            "site_name": "",
            "staff": rng.integers(1, 4, len(e)),
            "consultations": "",
            "applications": "",
            "members_joined": members,
            "enterprises_reached": reached,
            "unions_founded": founded,
            "notes": "",
        }
    )
    sessions = pd.concat([workers, enterprises], ignore_index=True).sort_values(["date", "start_time"], kind="stable")
    return Sample(site_frame, sessions.reset_index(drop=True), truth)


GROUPS = tuple(_GROUP_TABLE)


@dataclass(frozen=True)
class World:
    """A way a session history can look, for judging the recommender on histories it was not built around.

    The default is the published sample. The others are shorter (a street union's year or two, a new union's six
    months), leave sites never visited, let sites of one type differ from it (their own mix of worker groups, so
    their own best hours, and their own sign-up rate), and concentrate planners' habit on a few favourite sites.
    """

    name: str = "default"
    seed: int = DEFAULT_SEED
    districts: tuple[str, ...] | None = None  # None: the whole city
    history_months: int | None = None  # None: April 2018 to October 2026 (the published sample)
    never_visited: float = 0.0  # share of candidate sites with no past session
    mix_spread: float = 0.0  # up to this share of a site's workers come from groups unusual for its type
    conversion_spread: float = 0.0  # sd of the log of a site's sign-up rate around its type's
    habits: Habits = Habits()
    description: str = ""
    # Worlds the recommender was not designed around (issue 23): each worker group rests in narrow peaks of this
    # width (hours, full width at half height; 0: the broad bands of the reference table) at times of its own,
    # shifted at each site by a normal draw of ``peak_shift`` hours (its own shifts, canteen, dispatch rhythm).
    peak_width: float = 0.0
    peak_shift: float = 0.0
    mix_floor: float = 0.0  # at least this share of every site's workers comes from groups unusual for its type
    # Each worker group's peaks moved, once for the whole world, by half to all of this many hours, earlier or
    # later: a union whose workers do not rest when the published table says (the curve model's prior is wrong).
    group_offset: float = 0.0

    @property
    def is_published(self) -> bool:
        return (
            self.districts is None
            and self.history_months is None
            and not (self.never_visited or self.mix_spread or self.conversion_spread or self.peak_width)
            and self.habits == Habits()
        )


# The evaluation family (bench/recommend_quality.py, bench/recommend_loop.py): the default sample beside eight
# worlds built differently. Hard settings: 6-24 months, a quarter to a half of the sites never visited, sites unlike
# their type, favourites concentrated.
WORLDS = (
    World("default", description="published sample: whole city, 2018-2026"),
    World(
        "city_24m",
        11,
        None,
        24,
        0.30,
        0.6,
        0.4,
        Habits(favourite_exponent=1.4, favourite_share=0.8),
        "whole city, 2 years, 30% never visited, sites unlike their type, strong favourites",
    ),
    World(
        "chaoyang_18m",
        12,
        ("110105",),
        18,
        0.25,
        0.6,
        0.4,
        Habits(),
        "朝阳, 18 months, 25% never visited, sites unlike their type",
    ),
    World(
        "haidian_new_6m", 13, ("110108",), 6, 0.40, 0.5, 0.3, Habits(), "海淀, a new union: 6 months, 40% never visited"
    ),
    World(
        "fengtai_12m_habit",
        14,
        ("110106",),
        12,
        0.30,
        0.4,
        0.3,
        Habits(favourite_exponent=1.6, favourite_share=0.85, usual_hour_share=0.8),
        "丰台, 1 year, 30% never visited, planners set in their ways",
    ),
    World(
        "tongzhou_24m",
        15,
        ("110112",),
        24,
        0.25,
        0.7,
        0.5,
        Habits(),
        "通州, 2 years, 25% never visited, sites very unlike their type",
    ),
    World(
        "city_8y_unlike_type",
        16,
        None,
        None,
        0.0,
        0.8,
        0.5,
        Habits(),
        "whole city, the full history, sites very unlike their type",
    ),
    World(
        "daxing_new_6m",
        17,
        ("110115",),
        6,
        0.50,
        0.6,
        0.4,
        Habits(),
        "大兴, a new union: 6 months, half the sites never visited",
    ),
    World(
        "city_12m",
        18,
        None,
        12,
        0.35,
        0.7,
        0.4,
        Habits(favourite_exponent=1.2),
        "whole city, 1 year, 35% never visited, sites unlike their type",
    ),
    World(
        "chaoyang_narrow_peaks",
        21,
        ("110105",),
        18,
        0.25,
        0.5,
        0.3,
        Habits(
            usual_hour_share=0.85,
            usual_hours=(9 * 60, 10 * 60, 15 * 60 + 30, 18 * 60),
            usual_hour_weights=(0.4, 0.3, 0.2, 0.1),
        ),
        "朝阳, 18 months: rest peaks an hour wide, shifted at each site, that the habitual hours miss",
        peak_width=1.0,
        peak_shift=0.75,
    ),
    World(
        "haidian_mix_unlike",
        22,
        ("110108",),
        24,
        0.25,
        1.0,
        0.5,
        Habits(favourite_exponent=1.2),
        "海淀, 2 years: every site's workers mostly unlike its type's (half to all from other groups), narrow peaks",
        peak_width=1.2,
        peak_shift=0.5,
        mix_floor=0.5,
    ),
    World(
        "shunyi_unpublished_hours",
        24,
        ("110113",),
        18,
        0.25,
        0.5,
        0.3,
        Habits(),
        "顺义, 18 months: every kind of worker rests 1-2 hours earlier or later than the published table says",
        peak_width=1.0,
        peak_shift=0.5,
        group_offset=2.0,
    ),
)
# Rest peaks of the narrow-peak worlds: (hour, height) per worker group (domain.md's rest times, tightened).
NARROW_PEAKS = {
    "rider": ((10.5, 3.0), (14.75, 5.0), (20.5, 2.0)),
    "courier": ((12.75, 4.0), (19.0, 2.5)),
    "truck": ((3.0, 3.0), (12.25, 4.0), (16.5, 3.0)),
    "ridehail": ((11.5, 2.0), (15.25, 4.0)),
    "factory": ((11.75, 5.0), (17.25, 4.0)),
    "office": ((12.25, 5.0), (18.25, 2.0)),
    "construction": ((11.75, 4.0), (19.75, 4.0)),
    "retail": ((9.75, 3.0), (15.5, 4.5)),
}


def world(name: str) -> World:
    return next(w for w in WORLDS if w.name == name)


def narrow_profile(group: str, width: float, shift: float = 0.0) -> np.ndarray:
    """Availability per half hour (48 slots) of a worker group resting in narrow peaks ``width`` hours wide (full
    width at half height), every peak moved by ``shift`` hours; the day's total matches the broad profile's."""
    sd = width / 2.355
    hours = np.arange(48) / 2 + 0.25  # slot midpoints
    prof = np.full(48, 0.3)
    for centre, height in NARROW_PEAKS[group]:
        prof += height * np.exp(-0.5 * ((hours - centre - shift) / sd) ** 2)
    return prof * PROFILES[group].sum() / prof.sum()


def _narrow_peaks(rng, truth: Truth, mixes: np.ndarray, width: float, shift: float, offset: float = 0.0) -> None:
    """Replace the sites' curves with narrow peaks, each site's shifted by its own draw (and each worker group's by
    the world's ``offset`` draw)."""
    shifts = rng.normal(0, shift, len(mixes)) if shift else np.zeros(len(mixes))
    moved = dict.fromkeys(GROUPS, 0.0)
    if offset:
        hours = rng.choice([-1.0, 1.0], len(GROUPS)) * rng.uniform(0.5, 1.0, len(GROUPS)) * offset
        moved = dict(zip(GROUPS, hours, strict=True))
    truth.group_offsets = moved
    truth.profiles = {
        sid: mix @ np.array([narrow_profile(g, width, s + moved[g]) for g in GROUPS])
        for sid, mix, s in zip(truth.sites["site_id"], mixes, shifts, strict=True)
    }
    truth.type_profiles = {
        t: cast(np.ndarray, sum(w * narrow_profile(g, width, moved[g]) for g, w in mix.items()))
        for t, mix in TYPE_GROUPS.items()
    }


def _own_mixes(rng, truth: Truth, spread: float, conversion_spread: float, floor: float = 0.0) -> np.ndarray:
    """Give each site its own worker mix (hence its own hours and rest-day factor) and sign-up rate."""
    n = len(truth.sites)
    mixes = np.array([[TYPE_GROUPS[t].get(g, 0.0) for g in GROUPS] for t in truth.sites["site_type"]])
    unusual = rng.uniform(min(floor, spread), spread, n)[:, None]
    mixes = (1 - unusual) * mixes + unusual * rng.dirichlet(np.full(len(GROUPS), 0.5), n)
    truth.profiles = {
        sid: mix @ np.array([PROFILES[g] for g in GROUPS])
        for sid, mix in zip(truth.sites["site_id"], mixes, strict=True)
    }
    truth.sites["profile"] = truth.sites["site_id"]
    truth.sites["weekend"] = mixes @ np.array([_GROUP_TABLE[g][1] for g in GROUPS])
    noise = np.exp(rng.normal(-(conversion_spread**2) / 2, conversion_spread, n)) if conversion_spread else np.ones(n)
    truth.sites["conversion"] = truth.sites["site_type"].map(CONVERSION).to_numpy() * noise
    return mixes


def generate_world(spec: World) -> Sample:
    """Generate a world of the evaluation family (the default is :func:`generate`'s published sample).

    Worker sessions only; sites, levels and the weather of the years are those of ``spec.seed``'s city, kept to
    ``spec.districts``. Every world averages the published consultations and applications per session.
    """
    if spec.is_published:
        return generate(spec.seed)
    rng = np.random.default_rng(spec.seed)
    site_frame, truth = _sites_and_truth(rng)
    extra = np.random.default_rng([spec.seed, 2026])  # the world's own draws, apart from the published sample's
    keep = site_frame["district"].isin(spec.districts).to_numpy() if spec.districts else np.ones(len(site_frame), bool)
    site_frame = site_frame[keep].reset_index(drop=True)
    truth.sites = truth.sites[keep].reset_index(drop=True)
    mixes = _own_mixes(extra, truth, spec.mix_spread, spec.conversion_spread, spec.mix_floor)
    if spec.peak_width:
        _narrow_peaks(
            np.random.default_rng([spec.seed, 23]), truth, mixes, spec.peak_width, spec.peak_shift, spec.group_offset
        )
    visited = extra.random(len(site_frame)) >= spec.never_visited
    months = pd.period_range(HISTORY_START, HISTORY_END, freq="M")
    if spec.history_months:
        months = months[-spec.history_months :]
    city_rate = PUBLISHED["worker_sessions"] / len(pd.period_range(HISTORY_START, PUBLISHED_END, freq="M"))
    levels = _monthly_plan("worker")[months]
    per_month = city_rate * levels * keep.mean()
    counts = pd.Series(extra.poisson(per_month.to_numpy()), index=months)
    active_from = dt.date.min if spec.history_months else CITYWIDE_FROM
    w = _schedule(rng, "worker", counts, site_frame[visited], spec.habits, active_from)
    w["site_idx"] = np.flatnonzero(visited)[w["site_idx"].to_numpy()]  # back to positions among all the world's sites
    workers = _worker_sessions(rng, w, site_frame, truth, HISTORY_END, PUBLISHED_PER_SESSION)
    return Sample(site_frame, workers, truth)


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8-sig")


def load(engine, seed: int = DEFAULT_SEED, user: str = "sample") -> list:
    """Load the sample into ``engine`` through the ordinary validated import (so it is idempotent too).

    A database without accounts also gets the demo accounts (see the README), so a newcomer can sign in.
    """
    from dashboard.core.access import accounts
    from dashboard.core.intake import ingest

    sample = generate(seed)
    unlimited = 1 << 40  # upload limits are for people's files, not this
    sites = ingest.import_sites(
        engine,
        to_csv_bytes(sample.sites),
        f"sample-sites-{seed}.csv",
        user=user,
        max_bytes=unlimited,
        max_rows=unlimited,
    )
    sessions = ingest.import_sessions(
        engine,
        to_csv_bytes(sample.sessions),
        f"sample-sessions-{seed}.csv",
        today=HISTORY_END,
        user=user,
        max_bytes=unlimited,
        max_rows=unlimited,
    )
    accounts.create_demo_accounts(engine)
    return [sites, sessions]


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    s = generate(int(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_SEED)
    out.mkdir(parents=True, exist_ok=True)
    (out / "sites.csv").write_bytes(to_csv_bytes(s.sites))
    (out / "sessions.csv").write_bytes(to_csv_bytes(s.sessions))
    print(f"wrote {len(s.sites)} sites and {len(s.sessions)} sessions to {out}")
