"""A synthetic enterprise register for the sample, consistent with its enterprise sessions, with a ground truth.

Several times more enterprises than the sample's sessions reached (90,000 against 35,591 reached), spread over the
districts as their legal-entity units (domain.md) and placed around the sample's employment centres; staff counts
with a long tail (median about 20, a few thousand at most); GB/T 4754 sections in proportions like Beijing's.
Exactly as many unions founded in the programme as the sample's enterprise sessions record, district by district,
each dated on one of its district's sessions that founded unions; some large enterprises had a union before 2018,
and a share of the small ones belong to a street's joint union (联合工会).

The ground truth (``Register.truth``) is each enterprise's log-odds of founding a union within 90 days of a visit
and the members a founding would bring (staff x its join rate): what a visit plan is scored against.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from dashboard.core.geo import districts
from dashboard.core.intake import credit_code
from data import sample

N_ENTERPRISES = 90_000
STAFF_MEDIAN = 20
STAFF_SIGMA = 1.25  # of log staff: 1 in 100 above ~370, a few in 10,000 above 2,000

# GB/T 4754 section: (share of enterprises, log-odds effect on founding after a visit); shares inferred
INDUSTRY = {
    "F": (0.18, -0.3),  # wholesale and retail: many small shops
    "L": (0.15, 0.0),
    "I": (0.13, 0.2),
    "M": (0.12, 0.1),
    "C": (0.07, 0.5),  # manufacturing: shifts, canteens, a tradition of unions
    "E": (0.06, 0.3),
    "H": (0.06, -0.4),
    "G": (0.05, 0.4),
    "K": (0.05, 0.0),
    "O": (0.04, -0.3),
    "J": (0.03, 0.3),
    "R": (0.03, -0.1),
    "P": (0.02, 0.2),
    "Q": (0.02, 0.3),
    "A": (0.01, -0.2),
    "N": (0.01, 0.2),
    "D": (0.005, 0.6),
    "B": (0.005, 0.4),
}
NAME_WORDS = {
    "F": "商贸",
    "L": "商务服务",
    "I": "科技",
    "M": "技术服务",
    "C": "制造",
    "E": "建设工程",
    "H": "餐饮管理",
    "G": "物流",
    "K": "置业",
    "O": "家政服务",
    "J": "投资管理",
    "R": "文化传媒",
    "P": "教育科技",
    "Q": "医疗管理",
    "A": "农业发展",
    "N": "环境工程",
    "D": "能源",
    "B": "矿业",
}
JOIN_RATE = (0.55, 0.9)  # the share of staff who join when their enterprise founds a union, per enterprise
JOINT_SHARE = 0.25  # of small enterprises without their own union, in a street's joint union


@dataclass
class Register:
    enterprises: pd.DataFrame  # as a register file would hold them (the import's columns)
    truth: pd.DataFrame  # enterprise_id, propensity (log-odds), members_if_founded
    visits: pd.DataFrame = field(default_factory=pd.DataFrame)  # as a visits file would hold them


def _credit_codes(rng: np.random.Generator, district: pd.Series) -> list[str]:
    """Valid codes of enterprises registered in Beijing (91 + 11xxxx + 9 characters + the check character)."""
    alphabet = np.array(list(credit_code.ALPHABET))
    body = rng.choice(alphabet, size=(len(district), 9))
    codes = []
    seen: set[str] = set()
    for d, chars in zip(district, body, strict=True):
        first17 = "91" + d + "".join(chars)
        while first17 in seen:  # vanishingly rare; a register has no two alike
            first17 = first17[:-1] + str(rng.integers(0, 10))
        seen.add(first17)
        codes.append(first17 + credit_code.check_character(first17))
    return codes


def _places(rng: np.random.Generator, counts: pd.Series) -> pd.DataFrame:
    """Enterprises around each district's employment centres (its centre where none is listed)."""
    bounds = districts.boundaries().set_index("adcode")
    parts = []
    for adcode, n in counts.items():
        centres = sample.CENTRES.get(adcode) or []
        if not centres:
            p = bounds.geometry[adcode].representative_point()
            centres = [(districts.name(adcode)[:-1] + "城区", p.y, p.x, 5.0, sample._MIX_DEFAULT)]
        which = rng.integers(0, len(centres), size=n)
        lat0 = np.array([centres[i][1] for i in which])
        lon0 = np.array([centres[i][2] for i in which])
        km = np.array([centres[i][3] for i in which]) * 1.5
        poly = bounds.geometry[adcode]
        lat, lon = np.empty(n), np.empty(n)
        todo = np.arange(n)
        for _ in range(30):  # draw again the ones that fell outside their district
            lat[todo] = lat0[todo] + rng.normal(0, 1, len(todo)) * km[todo] / 111.0
            lon[todo] = lon0[todo] + rng.normal(0, 1, len(todo)) * km[todo] / 85.0
            todo = todo[~shapely.contains_xy(poly, lon[todo], lat[todo])]
            if not len(todo):
                break
        inner = poly.representative_point()
        lat[todo], lon[todo] = inner.y, inner.x
        parts.append(
            pd.DataFrame(
                {
                    "district": adcode,
                    "centre": [centres[i][0] for i in which],
                    "lat": lat.round(5),
                    "lon": lon.round(5),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _street_places(seed: int, frame: pd.DataFrame) -> pd.Series:
    """The place each enterprise's name begins with (:func:`sample._places_of`): a landmark or the name of the street
    the import will place it in (the register has no street: the import takes the street whose sample sites' centre
    lies nearest, as :func:`streets.nearest` does here), so 建外街道's enterprises are 北京国贸…, not 北京望京…; its
    employment centre's name where no street is near."""
    from dashboard.core.geo import streets

    sites = sample._place_sites(np.random.default_rng(seed))  # the sample's sites: the first draws of its generator
    sites["street_code"] = streets.resolve_series(sites["street"], sites["district"])
    code = streets.nearest(frame["lat"], frame["lon"], frame["district"], streets.centres(sites))
    return sample._places_of(frame.assign(street=code.map(lambda c: streets.name(c) if isinstance(c, str) else None)))


def generate(seed: int = sample.DEFAULT_SEED, n: int = N_ENTERPRISES, sessions: pd.DataFrame | None = None) -> Register:
    """The register and its ground truth; ``sessions`` are the sample's (generated when not given)."""
    rng = np.random.default_rng(seed + 4754)
    if sessions is None:
        sessions = sample.generate(seed).sessions
    units = pd.Series(sample.UNITS)
    counts = np.floor(units / units.sum() * n).astype(int)
    counts.iloc[0] += n - int(counts.sum())
    frame = _places(rng, counts)
    sections = list(INDUSTRY)
    share = np.array([INDUSTRY[s][0] for s in sections])
    frame["industry"] = rng.choice(sections, size=n, p=share / share.sum())
    staff = np.exp(np.log(STAFF_MEDIAN) + rng.normal(0, STAFF_SIGMA, n))
    frame["staff"] = np.clip(np.round(staff), 1, 20_000).astype(int)
    frame["credit_code"] = _credit_codes(rng, frame["district"])
    frame["place"] = _street_places(seed, frame)
    number = frame.groupby(["place", "industry"]).cumcount() + 1
    frame["enterprise_name"] = (
        "北京"
        + frame["place"]
        + frame["industry"].map(NAME_WORDS)
        + number.map(lambda k: "" if k == 1 else f"{k}号")
        + "有限公司"
    )

    # ground truth: bigger enterprises found more readily (25+ staff may found their own union), by industry too,
    # with a district's own climate and each enterprise's own receptiveness
    district_effect = pd.Series(rng.normal(0, 0.3, len(units)), index=units.index)
    propensity = (
        -2.6
        + 0.55 * np.log(frame["staff"].clip(lower=1))
        + frame["industry"].map(lambda s: INDUSTRY[s][1]).to_numpy()
        + frame["district"].map(district_effect).to_numpy()
        + rng.normal(0, 0.8, n)
        - np.where(frame["staff"] < 25, 0.8, 0.0)
    )
    join_rate = rng.uniform(*JOIN_RATE, n)
    members = np.round(frame["staff"] * join_rate).astype(int)

    # the unions founded in the programme: as many per district as its sessions record, dated on those sessions
    frame["union_status"] = "未建会"
    frame["union_founded_on"] = ""
    founded_n = pd.to_numeric(sessions["unions_founded"], errors="coerce").fillna(0).astype(int)
    enterprise = sessions.assign(unions_founded=founded_n, district=districts.resolve_series(sessions["district"]))
    every_session = enterprise[enterprise["session_type"] == "enterprise"]
    enterprise = every_session[every_session["unions_founded"] > 0]
    weight = 1 / (1 + np.exp(-propensity))
    for adcode, group in enterprise.groupby("district"):
        dates = np.repeat(group["date"].astype(str).str[:10].to_numpy(), group["unions_founded"].to_numpy())
        pool = np.flatnonzero((frame["district"] == adcode).to_numpy())
        k = min(len(dates), len(pool))
        p = weight[pool] / weight[pool].sum()
        chosen = rng.choice(pool, size=k, replace=False, p=p)
        frame.loc[chosen, "union_status"] = "已建会"
        frame.loc[chosen, "union_founded_on"] = rng.permutation(dates)[:k]
    # some large enterprises had a union before the programme; some small ones joined a street's joint union
    before = (frame["union_status"] == "未建会") & (frame["staff"] >= 100) & (rng.random(n) < 0.2)
    frame.loc[before, "union_status"] = "已建会"
    frame.loc[before, "union_founded_on"] = [
        (dt.date(1995, 1, 1) + dt.timedelta(days=int(d))).isoformat() for d in rng.integers(0, 8400, int(before.sum()))
    ]
    joint = (frame["union_status"] == "未建会") & (frame["staff"] < 25) & (rng.random(n) < JOINT_SHARE)
    frame.loc[joint, "union_status"] = "联合工会"

    frame["district"] = frame["district"].map(districts.name)
    columns = ["credit_code", "enterprise_name", "district", "lat", "lon", "industry", "staff", "union_status"]
    register = frame[[*columns, "union_founded_on"]].rename(
        columns={"credit_code": "统一社会信用代码", "enterprise_name": "企业名称", "district": "所属区", "lat": "纬度"}
        | {"lon": "经度", "industry": "行业门类", "staff": "员工数", "union_status": "建会状态"}
        | {"union_founded_on": "建会日期"}
    )
    truth = pd.DataFrame(
        {"enterprise_id": frame["credit_code"], "propensity": propensity, "members_if_founded": members}
    )
    return Register(register, truth, _visits(rng, frame, propensity, members, every_session))


SERVICES = ("法律服务", "职工培训", "困难帮扶", "文体活动", "心理关爱", "婚恋交友")
REASONS = ("员工不足25人，待联合建会", "负责人暂不同意", "企业经营困难", "企业即将迁出", "总部统一安排")


def _visits(
    rng: np.random.Generator, frame: pd.DataFrame, propensity: np.ndarray, members: pd.Series, sessions: pd.DataFrame
) -> pd.DataFrame:
    """The visits of the sample's enterprise sessions, one per enterprise reached, as a visits file holds them.

    Each session that founded unions visits the enterprises founded on its date; its other enterprises reached are
    drawn from its district's enterprises without a union on that day (some of them found one later), larger ones
    more often (a habit, not a plan), and their outcome follows the same receptiveness that drives founding
    (有意向 more often where it is high, and mostly for those that found later), so a model can learn from them.
    Sessions that founded none reach enterprises the same way.
    """
    founded_on = frame["union_founded_on"].to_numpy()
    # the day each enterprise had a union from: never (inf), always (a joint union's member: -inf), or its date
    day_of = pd.to_datetime(frame["union_founded_on"].replace("", None), errors="coerce")
    union_day = (day_of - pd.Timestamp("2018-01-01")).dt.days.to_numpy(dtype=float)
    union_day = np.where(frame["union_status"].eq("联合工会"), -np.inf, np.nan_to_num(union_day, nan=np.inf))
    weight = np.sqrt(frame["staff"].to_numpy().astype(float))
    p = 1 / (1 + np.exp(-propensity))
    adcodes = districts.resolve_series(frame["district"])
    by_district = {d: np.flatnonzero((adcodes == d).to_numpy()) for d in adcodes.unique()}
    founders_of: dict[tuple[str, str], list[int]] = {}
    for i in np.flatnonzero(frame["union_status"].eq("已建会").to_numpy()).tolist():
        founders_of.setdefault((adcodes.iat[i], str(founded_on[i])), []).append(int(i))
    reached = pd.to_numeric(sessions["enterprises_reached"], errors="coerce").fillna(0).astype(int)
    out: list[tuple] = []
    used: set[tuple[int, str]] = set()
    for sid, day, district, n, f in zip(
        sessions["session_id"],
        sessions["date"].astype(str).str[:10],
        sessions["district"],
        reached,
        sessions["unions_founded"],
        strict=True,
    ):
        pool = by_district.get(district)
        if pool is None:
            continue
        waiting = founders_of.get((district, day), [])
        founders = [waiting.pop() for _ in range(min(int(f), len(waiting)))]
        for i in founders:
            used.add((int(i), day))
            offered = "、".join(rng.choice(SERVICES, size=rng.integers(1, 3), replace=False))
            out.append((i, day, sid, "已建会", day, int(members[i]), "", offered, rng.choice(SERVICES)))
        day_no = (pd.Timestamp(day) - pd.Timestamp("2018-01-01")).days
        open_ = pool[union_day[pool] > day_no]
        k = min(max(int(n) - len(founders), 0), len(open_))
        if not k:
            continue
        for i in rng.choice(open_, size=k, replace=False, p=weight[open_] / weight[open_].sum()).tolist():
            if (int(i), day) in used:
                continue
            used.add((int(i), day))
            draw = rng.random()
            founds_later = bool(np.isfinite(union_day[i]))  # interested now, more often than not
            if draw < (0.6 if founds_later else min(0.9, 2.5 * p[i])):
                outcome, reason = "有意向", ""
            elif draw > 0.85:
                outcome, reason = "暂不建会", str(rng.choice(REASONS[1:] if frame["staff"].iat[i] >= 25 else REASONS))
            else:
                outcome, reason = "已沟通", ""
            offered = "、".join(rng.choice(SERVICES, size=rng.integers(0, 3), replace=False))
            asked = str(rng.choice(SERVICES)) if rng.random() < 0.4 else ""
            out.append((i, day, sid, outcome, "", None, reason, offered, asked))
    rows = pd.DataFrame(
        out,
        columns=[
            "i",
            "沟通日期",
            "场次编号",
            "沟通结果",
            "建会日期",
            "建会会员数",
            "暂不建会原因",
            "提供服务包",
            "需求服务包",
        ],
    )
    rows.insert(0, "企业编号", frame["credit_code"].to_numpy()[rows.pop("i").to_numpy(dtype=int)])
    rows["建会会员数"] = rows["建会会员数"].astype("Int64")
    return rows.sort_values(["沟通日期", "企业编号"]).reset_index(drop=True)


def load(engine, seed: int = sample.DEFAULT_SEED, user: str = "sample", sessions: pd.DataFrame | None = None) -> list:
    """Import the register, then its visits, through the ordinary validated imports (idempotent, like the rest of
    the sample); ``sessions`` are the sample's when the caller has them already."""
    from dashboard.core.intake import ingest

    register = generate(seed, sessions=sessions)
    unlimited = 1 << 40
    reports = [
        ingest.import_enterprises(
            engine,
            sample.to_csv_bytes(register.enterprises),
            f"sample-enterprises-{seed}.csv",
            user=user,
            max_bytes=unlimited,
            max_rows=unlimited,
        )
    ]
    reports.append(
        ingest.import_visits(
            engine,
            sample.to_csv_bytes(register.visits),
            f"sample-visits-{seed}.csv",
            user=user,
            today=sample.HISTORY_END,
            max_bytes=unlimited,
            max_rows=unlimited,
        )
    )
    return reports
