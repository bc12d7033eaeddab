"""Synthetic worlds for the enterprise-visit recommender (企业沟通会): a register, a visit history, a ground truth.

Each world is a register like the sample's (``data.enterprise_sample``'s places, industries, names and staff
counts), a history of visits made by union staff out of habit over some months, and the truth the history was
drawn from, so a plan for the days after the history can be scored by what it would truly bring.

The truth: enterprise i founds its union within 90 days of a visit with probability ``sigmoid(logit_i)``, where

``logit_i = base + staff_coef * log(staff) + industry_mult * industry effect + district effect + street effect
+ receptiveness_i - 0.8 [staff < 25]``

and the members it would bring are ``staff x`` its own join rate (0.55-0.9). ``receptiveness_i`` is latent: it also
makes an ``interested`` outcome more likely on a visit that does not found, so past outcomes are informative but
never reveal it fully. The street effect is the local climate (a park whose management backs unions): unions cluster
in streets, so "founded nearby" features carry signal. A small enterprise (< 25 staff) visited as part of a proposed
joint union (联合工会) gets ``JOINT_BONUS`` on its log-odds: joining one union with its neighbours sidesteps the
25-member threshold that holds it back alone. The truth is static in time: a visit's chance does not depend on
earlier visits (each visit is a fresh draw), which keeps the history and the future on one footing.

The habit policy that made the history: visits drawn with replacement, weight ``staff ** habit_staff x
exp(-km from the district's main centre / habit_km) x`` lognormal noise, zero in ``skip_districts``; once an
enterprise founds, it is not visited again.

World kinds (``KINDS``):

* ``sample``: 40 months of history, about 12 visits a working day, the default truth;
* ``short``: 6 months, 8 visits a day (few foundings to learn from);
* ``unvisited``: 36 months but 3 visits a day near the centres: most enterprises never visited;
* ``unlike``: the truth leans on industry, street and receptiveness and much less on staff than the default;
* ``new_district``: three districts never visited at all (the plan covers them);
* ``app_sample``: not made by this generator at all but by the app's own sample, :mod:`data.enterprise_sample`
  (a different design, written earlier and separately): its full register of 90,000 enterprises (``n`` is ignored),
  its visits (the sample's enterprise sessions 2018-04 to 2026-10, one row per enterprise reached; every founding
  is a visit on its founding day, so about two visits in three are foundings), converted from the import files'
  Chinese headers to the recommender's frames, and its truth (``propensity``, the log-odds of founding within 90 days
  of a visit, and ``members_if_founded``). There is no joint-union bonus in that world (``joint_bonus`` 0: a joint
  group's value is its members' values added up), no streets (``street`` is None) and no receptiveness column (its
  enterprise-level noise is inside ``propensity``). The history ends on ``sample.HISTORY_END`` (2026-10-31, a
  Saturday), so plans start on Monday 2026-11-02.
* ``campaigned``: Beijing after years of founding campaigns, a world where the best plan is far from largest first
  (a sensitivity test: is there room, and does the model take it?). Its mechanisms, each a thing union staff
  describe:

  - the campaigns reached most large enterprises before the history starts: 65 % of those with 100 staff or more
    and 40 % of those with 25-99 already have a union (``pre_union``; before the history, so undated), and they
    were the willing ones: an enterprise's chance of such a union rises with its receptiveness (log-odds +1.5 per
    standard deviation, ``pre_union_receptive``; the intercept set so that the shares hold), so the large
    enterprises still without one are disproportionately resistant;
  - receptiveness varies more between enterprises (``receptive_sd`` 1.4 against 0.9), and 15 % of heads refuse
    whoever asks (group policy, an owner set against it: receptiveness 3 lower, ``refuser_share``,
    ``refuser_shift``). It is persistent, as in every kind (the truth is static), and here it also shows in
    refusals: a visit that neither founds nor finds interest ends in 暂不建会 with log-odds ``logit(0.4) - 1.0 x``
    receptiveness in standard deviations (``decline_receptive``; 0.4 flat in the other kinds), so a resistant
    enterprise declines again and again and its past declines are informative;
  - staff matters less to the odds (``staff_coef`` 0.35 against 0.55; ``base`` -2.7 so that the log-odds at the
    median of 20 staff are the sample's), and the history is long (48 months) and made by habit, large first
    (``habit_staff`` 1.0): the large resistant enterprises have many visits and declines on record;
  - 10 % of the register was registered recently (``new_share``): never visited, no union and not in a joint one,
    receptiveness unselected (the population's, refusers included, where the old unionless large ones are far
    below it), and young, so smaller (staff drawn like everyone's x 0.4, ``new_staff_scale``: a median of 8). The
    register's 成立日期 (``registered_on``, in every kind) says they are young: within two years, everyone else
    2.5-30 years; ``truth["new"]`` flags them.

  Everything else is the ``sample`` kind's (12 visits a working day, districts, streets, industries, join rates).
  With the first three mechanisms and new enterprises as large as anyone's, the oracle reached only 1.25x largest
  first (largest first then takes the large new ones too); the refusers and the new ones' smaller size give it
  1.5-1.6x on 20,000 enterprises. These were set on oracle / largest alone, before any model was run on the kind.
  The mechanisms draw from a stream of their own, so the other kinds' worlds are unchanged by them.
* ``branches``: a third of the enterprises of 100 staff or more are branches whose head office decides (they hardly
  ever found, and decline with "总部统一安排" most of the time); the register names the head office of 60 % of them.
* ``industry_join``: the members a founding brings depend on the industry section (each section's join rate drawn
  between 0.15 and 0.95, an enterprise's within 0.1 of it) instead of 0.55-0.9 for everyone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dashboard.core.geo import districts
from data import enterprise_sample, sample
from data.enterprise_sample import INDUSTRY, NAME_WORDS, STAFF_MEDIAN, STAFF_SIGMA, _credit_codes, _places

# new kinds go at the end: a kind's position seeds its generator
KINDS = (
    "sample",
    "short",
    "unvisited",
    "unlike",
    "new_district",
    "app_sample",
    "campaigned",
    "branches",
    "industry_join",
)
APP_SAMPLE = "app_sample"  # the app's own sample register (data.enterprise_sample), not this module's generator
APP_SEEDS = (sample.DEFAULT_SEED, 20180402, 20180403)  # the sample's default seed and two others
APP_PLAN_START = dt.date(2026, 11, 2)  # the Monday after sample.HISTORY_END
UNION_STATUS = {"未建会": "none", "已建会": "founded", "联合工会": "joint"}
OUTCOME = {"已沟通": "held", "有意向": "interested", "已建会": "founded", "暂不建会": "declined"}
HISTORY_END = dt.date(2025, 8, 31)  # plans start on 2025-09-01: the calendar knows 2025-2026 officially
JOINT_BONUS = 0.6
JOIN_RATE = (0.55, 0.9)


@dataclass(frozen=True)
class Spec:
    months: int = 40
    per_day: float = 12.0  # visits per working day, city-wide
    base: float = -3.4
    staff_coef: float = 0.55
    industry_mult: float = 1.0
    district_sd: float = 0.3
    street_sd: float = 0.5
    receptive_sd: float = 0.9
    habit_staff: float = 0.8
    habit_km: float = 8.0
    skip_districts: tuple[str, ...] = ()
    pre_union: tuple[float, float] = (0.2, 0.0)  # share with a union before the history: >= 100 staff, 25-99
    pre_union_receptive: float = 0.0  # log-odds of such a union per standard deviation of receptiveness
    decline_receptive: float = 0.0  # 暂不建会 log-odds (no founding, no interest) fall by this per sd (0: 0.4 flat)
    new_share: float = 0.0  # registered recently: never visited, no union, receptiveness unselected
    new_staff_scale: float = 1.0  # their staff, as a share of what everyone's is drawn as
    refuser_share: float = 0.0  # heads who refuse whoever asks: receptiveness lower by refuser_shift
    refuser_shift: float = 0.0
    branch_share: float = 0.0  # of 100+ staff enterprises: branches whose head office decides (found hardly ever)
    branch_shift: float = 6.0  # ... their log-odds lower by this
    branch_says_hq: float = 0.7  # a branch's 暂不建会 gives "总部统一安排" this often (else the usual words)
    branch_known: float = 0.6  # the register names a branch's head office this often
    industry_join: bool = False  # join rates by industry section (0.15-0.95, drawn per world) instead of 0.55-0.9


SPECS = {
    "sample": Spec(),
    "short": Spec(months=6, per_day=8.0),
    "unvisited": Spec(months=36, per_day=3.0, habit_km=3.0),
    "unlike": Spec(base=-2.3, staff_coef=0.2, industry_mult=2.5, street_sd=0.9, receptive_sd=1.3),
    "new_district": Spec(months=36, skip_districts=("110112", "110114", "110115")),
    # branches of head offices that decide for them: a third of the large enterprises, which decline "总部统一安排"
    # most of the time (the outside judges' worlds had 74 of 104 large visits go to such branches)
    "branches": Spec(branch_share=0.35),
    # how many staff join at founding differs by industry: riders of a delivery firm or a hotel's seasonal staff
    # hardly, a factory's or a hospital's mostly (the outside judges: "an industry where few staff join cannot be
    # told apart"); set before any model was run on it
    "industry_join": Spec(industry_join=True),
    "campaigned": Spec(
        months=48,
        base=-2.7,
        staff_coef=0.35,
        receptive_sd=1.4,
        habit_staff=1.0,
        pre_union=(0.65, 0.4),
        pre_union_receptive=1.5,
        decline_receptive=1.0,
        new_share=0.1,
        new_staff_scale=0.4,
        refuser_share=0.15,
        refuser_shift=3.0,
    ),
}


@dataclass
class World:
    kind: str
    seed: int
    register: pd.DataFrame  # the recommender's register frame
    visits: pd.DataFrame  # the recommender's visits frame
    truth: pd.DataFrame  # enterprise_id, logit, members_if_founded, receptiveness, new (aligned to register)
    history_end: dt.date
    spec: Spec | None = field(default_factory=Spec)  # None for app_sample (not made from a Spec)
    joint_bonus: float = JOINT_BONUS  # on a grouped small enterprise's log-odds; 0 in app_sample
    start: dt.date | None = None  # the plans' first day when not the day after the history

    @property
    def plan_start(self) -> dt.date:
        return self.start if self.start is not None else self.history_end + dt.timedelta(days=1)

    def enterprise_value(self, joint: bool = False) -> pd.Series:
        """True expected members of a visit to each enterprise (index enterprise_id); ``joint``: in a group."""
        z = self.truth["logit"] + (self.joint_bonus if joint else 0.0)
        value = 1 / (1 + np.exp(-z)) * self.truth["members_if_founded"]
        return pd.Series(value.to_numpy(), index=self.truth["enterprise_id"].to_numpy())

    def unit_values(self, unit_frame: pd.DataFrame) -> pd.Series:
        """True expected members of visiting each unit (index unit_id): a joint group's members summed, bonus on
        (``joint_bonus``, none in app_sample)."""
        alone, grouped = self.enterprise_value(False), self.enterprise_value(True)
        if "head_office" in self.truth:  # a head office decides for its branches: their members come with it
            t = self.truth.set_index("enterprise_id")
            p_head = 1 / (1 + np.exp(-t["logit"]))
            branches = t[t["head_office"].notna()]
            carried = (
                (p_head.reindex(branches["head_office"]).to_numpy() * branches["members_if_founded"])
                .groupby(branches["head_office"].to_numpy())
                .sum()
            )
            alone = alone.add(carried.reindex(alone.index).fillna(0.0))
        values = [
            float((grouped if kind == "joint" else alone).reindex(members).sum())
            for members, kind in zip(unit_frame["members"], unit_frame["kind"], strict=True)
        ]
        return pd.Series(values, index=unit_frame["unit_id"].to_numpy(), name="true_value")


def _streets(places: pd.DataFrame) -> pd.Series:
    """A street (街道) per enterprise: its centre's name and a grid cell of about 1.3 x 1.3 km."""
    cell = (
        (np.floor(places["lat"] / 0.012)).astype(int).astype(str)
        + ":"
        + (np.floor(places["lon"] / 0.015)).astype(int).astype(str)
    )
    key = places["centre"] + "|" + cell
    number = key.groupby(places["centre"]).transform(lambda s: pd.factorize(s)[0] + 1)
    return places["centre"] + number.astype(str) + "号街道"


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1 / (1 + np.exp(-z)), dtype=float)


def _shares(share: float, slope: float, r: np.ndarray) -> np.ndarray:
    """P of each enterprise of standardised receptiveness ``r``: ``sigmoid(a + slope x r)``, ``a`` such that their
    mean is ``share`` (exactly ``share`` for all when ``slope`` is 0; 0 when ``share`` is)."""
    if share <= 0 or not len(r):
        return np.zeros(len(r))
    if slope == 0:
        return np.full(len(r), float(share))
    lo, hi = -30.0, 30.0
    for _ in range(80):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _sigmoid(mid + slope * r).mean() < share else (lo, mid)
    return _sigmoid((lo + hi) / 2 + slope * r)


DECLINE_WORDS = ("暂无需要", "负责人暂不同意", "老板说再考虑", "企业经营困难", "员工不足25人，待联合建会")


def _decline_words(
    rng: np.random.Generator, outcome: np.ndarray, branch: np.ndarray, staff: np.ndarray, says_hq: float
) -> np.ndarray:
    """The words a 暂不建会 is recorded with: a branch says its head office decides (``says_hq`` of the time), the
    rest say what people say, none of it tied to the truth except the branch's."""
    words = np.where(outcome == "declined", "暂无需要", None).astype(object)
    if not branch.any():  # the worlds of earlier rounds: as they were, draw for draw
        return words
    usual = rng.choice(np.array(DECLINE_WORDS[:3], dtype=object), size=len(outcome))
    usual = np.where(staff < 25, DECLINE_WORDS[4], usual)
    hq = branch & (rng.random(len(outcome)) < says_hq)
    return np.where(outcome == "declined", np.where(hq, "总部统一安排", usual), None).astype(object)


def make(kind: str = "sample", seed: int = 1, n: int = 20_000) -> World:
    """Generate world ``kind`` (one of :data:`KINDS`) of ``n`` enterprises; the same seed gives the same world.

    ``app_sample`` is the app's own sample register of ``seed`` in full (:func:`app_sample`); ``n`` is ignored.
    """
    if kind == APP_SAMPLE:
        return app_sample(seed)
    spec = SPECS[kind]
    rng = np.random.default_rng([seed, KINDS.index(kind)])
    # the later kinds' own mechanisms draw from a stream of their own: the earlier kinds' worlds stay as they were
    extra = np.random.default_rng([seed, KINDS.index(kind), 1])
    units = pd.Series(sample.UNITS)
    counts = np.floor(units / units.sum() * n).astype(int)
    counts.iloc[0] += n - int(counts.sum())
    places = _places(rng, counts)
    sections = list(INDUSTRY)
    share = np.array([INDUSTRY[s][0] for s in sections])
    industry = rng.choice(sections, size=n, p=share / share.sum())
    staff = np.clip(np.round(np.exp(np.log(STAFF_MEDIAN) + rng.normal(0, STAFF_SIGMA, n))), 1, 20_000).astype(int)
    new = np.zeros(n, dtype=bool)  # registered recently (campaigned)
    if spec.new_share > 0:
        new[extra.choice(n, size=round(spec.new_share * n), replace=False)] = True
        staff[new] = np.maximum(np.round(staff[new] * spec.new_staff_scale), 1).astype(int)
    ids = _credit_codes(rng, places["district"])
    street = _streets(places)
    number = pd.Series(np.arange(n)).groupby([places["centre"].to_numpy(), industry]).cumcount() + 1
    names = (
        "北京"
        + places["centre"]
        + pd.Series(industry).map(NAME_WORDS)
        + number.map(lambda k: "" if k == 1 else f"{k}号")
        + "有限公司"
    )

    # the truth
    district_effect = pd.Series(rng.normal(0, spec.district_sd, len(units)), index=units.index)
    street_codes, street_inv = np.unique(street.to_numpy(dtype=str), return_inverse=True)
    street_effect = rng.normal(0, spec.street_sd, len(street_codes))[street_inv]
    receptive = rng.normal(0, spec.receptive_sd, n)
    refuser = np.zeros(n, dtype=bool)  # a head who will not have a union whoever asks (campaigned)
    if spec.refuser_share > 0:
        refuser = extra.random(n) < spec.refuser_share
        receptive = receptive - spec.refuser_shift * refuser
    branch = (staff >= 100) & (extra.random(n) < spec.branch_share) if spec.branch_share > 0 else np.zeros(n, bool)
    logit = -spec.branch_shift * branch + (
        spec.base
        + spec.staff_coef * np.log(staff)
        + spec.industry_mult * pd.Series(industry).map(lambda s: INDUSTRY[s][1]).to_numpy()
        + places["district"].map(district_effect).to_numpy()
        + street_effect
        + receptive
        - np.where(staff < 25, 0.8, 0.0)
    )
    join = rng.uniform(*JOIN_RATE, n)
    if spec.industry_join:  # a section's rate drawn once per world, each enterprise within 0.1 of it
        section_rate = dict(zip(sections, extra.uniform(0.15, 0.95, len(sections)), strict=True))
        join = np.clip(pd.Series(industry).map(section_rate).to_numpy() + extra.uniform(-0.1, 0.1, n), 0.05, 1.0)
    members_if = np.maximum(np.round(staff * join), 1).astype(int)
    r_sd = receptive / max(spec.receptive_sd, 0.1)  # receptiveness in standard deviations

    # unions before the programme (the willing ones more often where pre_union_receptive > 0), joint-union members
    status = np.full(n, "none", dtype=object)
    p_before = np.zeros(n)
    for band, share in zip(((staff >= 100), (staff >= 25) & (staff < 100)), spec.pre_union, strict=True):
        band &= ~new
        p_before[band] = _shares(share, spec.pre_union_receptive, r_sd[band])
    before = rng.random(n) < p_before
    status[before] = "founded"
    joint = (staff < 25) & (rng.random(n) < 0.15) & ~new
    status[joint] = "joint"

    # the history: habit visits on weekdays over the months before HISTORY_END
    first = (pd.Timestamp(HISTORY_END) - pd.DateOffset(months=spec.months)).date() + dt.timedelta(days=1)
    days = pd.bdate_range(first, HISTORY_END)
    n_visits = int(spec.per_day * len(days))
    main = {d: (c[0][1], c[0][2]) for d, c in sample.CENTRES.items()}
    centre_lat = places["district"].map(lambda d: main.get(d, (np.nan, np.nan))[0]).to_numpy(dtype=float)
    centre_lon = places["district"].map(lambda d: main.get(d, (np.nan, np.nan))[1]).to_numpy(dtype=float)
    centre_lat = np.where(np.isnan(centre_lat), places["lat"].groupby(places["district"]).transform("mean"), centre_lat)
    centre_lon = np.where(np.isnan(centre_lon), places["lon"].groupby(places["district"]).transform("mean"), centre_lon)
    km = np.hypot((places["lat"] - centre_lat) * 111.0, (places["lon"] - centre_lon) * 85.0).to_numpy()
    weight = staff**spec.habit_staff * np.exp(-km / spec.habit_km) * rng.lognormal(0, 0.5, n)
    weight[status != "none"] = 0.0
    weight[new] = 0.0  # registered after the habit's lists were drawn up
    weight[places["district"].isin(spec.skip_districts).to_numpy()] = 0.0
    who = rng.choice(n, size=n_visits, p=weight / weight.sum())
    when = days[rng.integers(0, len(days), n_visits)]
    v = pd.DataFrame({"pos": who, "visited_on": when}).sort_values(["pos", "visited_on"], kind="stable")
    v = v.drop_duplicates(["pos", "visited_on"]).reset_index(drop=True)
    pos = v["pos"].to_numpy()
    p_found = 1 / (1 + np.exp(-logit[pos]))
    founds = rng.random(len(v)) < p_found
    # an enterprise is not visited again once it has founded
    before_found = pd.Series(founds).groupby(pos).cumsum().to_numpy() - founds
    v, founds, pos = v[before_found == 0], founds[before_found == 0], pos[before_found == 0]
    delay = rng.integers(3, 86, len(v))
    founded_on = v["visited_on"].to_numpy() + delay.astype("timedelta64[D]")
    founds &= founded_on <= np.datetime64(HISTORY_END)  # a founding after the end is not on record yet
    p_interest = 1 / (1 + np.exp(-(-1.0 + 1.2 * receptive[pos] / max(spec.receptive_sd, 0.1))))
    interested = rng.random(len(v)) < p_interest
    # 暂不建会: 0.4 of the rest, or (decline_receptive > 0) more often the less receptive the enterprise
    p_decline = 0.4 if spec.decline_receptive == 0 else _sigmoid(np.log(0.4 / 0.6) - spec.decline_receptive * r_sd[pos])
    declined = ~interested & (rng.random(len(v)) < p_decline)
    outcome = np.where(founds, "founded", np.where(interested, "interested", np.where(declined, "declined", "held")))
    visits = pd.DataFrame(
        {
            "enterprise_id": np.asarray(ids, dtype=object)[pos],
            "visited_on": pd.to_datetime(v["visited_on"].to_numpy()),
            "outcome": outcome,
            "founded_on": pd.to_datetime(np.where(founds, founded_on, np.datetime64("NaT"))),
            "members": np.where(founds, members_if[pos], np.nan).astype(float),
            "services_offered": np.where(rng.random(len(v)) < 0.5, "legal|training", ""),
            "services_asked": np.where(interested, "legal", ""),
            "reason": _decline_words(rng, outcome, branch[pos], staff[pos], spec.branch_says_hq),
        }
    ).reset_index(drop=True)
    founded_pos = pos[founds]
    founded_day = pd.Series(founded_on[founds]).groupby(founded_pos).min()
    status[founded_day.index.to_numpy()] = "founded"
    union_founded_on = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    union_founded_on.iloc[founded_day.index.to_numpy()] = founded_day.to_numpy()
    # 成立日期, from a stream of its own (every other draw stays as it was): the recently registered (campaigned)
    # within the last two years, everyone else 2.5-30 years before the history's end
    dates = np.random.default_rng([seed, KINDS.index(kind), 2])
    years_old = np.where(new, dates.uniform(0.1, 2.0, n), dates.uniform(2.5, 30.0, n))
    registered_on = pd.Timestamp(HISTORY_END) - pd.to_timedelta(np.round(years_old * 365.25), unit="D")
    register = pd.DataFrame(
        {
            "enterprise_id": ids,
            "name": names.to_numpy(),
            "district": places["district"].to_numpy(),
            "street": street.to_numpy(),
            "lat": places["lat"].to_numpy(dtype=float),
            "lon": places["lon"].to_numpy(dtype=float),
            "industry": industry,
            "staff": staff,
            "union_status": status,
            "union_founded_on": union_founded_on.to_numpy(),
            "registered_on": registered_on.to_numpy(),
        }
    )
    truth = pd.DataFrame(
        {
            "enterprise_id": ids,
            "logit": logit,
            "members_if_founded": members_if,
            "receptiveness": receptive,
            "new": new,
        }
    )
    if branch.any():  # each branch's head office: a large enterprise, mostly of its own district
        heads = np.flatnonzero((staff >= 300) & ~branch)
        where = places["district"].to_numpy()
        head_of = np.full(n, None, dtype=object)
        for b in np.flatnonzero(branch):
            same = heads[where[heads] == where[b]]
            pool = same if len(same) and extra.random() < 0.8 else heads
            head_of[b] = ids[int(pool[extra.integers(len(pool))])]
        truth["head_office"] = head_of
        # the register knows some of them: a branch's file row names its head office 60 % of the time
        register["head_office_id"] = np.where(extra.random(n) < spec.branch_known, head_of, None)
    return World(kind, seed, register, visits, truth, HISTORY_END, spec)


def _dates(values: pd.Series) -> pd.Series:
    """datetime64[ns] of ISO date strings, NaT for blanks."""
    text = values.astype("string").str.strip().replace("", pd.NA)
    return pd.to_datetime(text, errors="coerce").astype("datetime64[ns]")


def register_frame(enterprises: pd.DataFrame) -> pd.DataFrame:
    """The recommender's register frame of a register FILE frame (the import's Chinese headers).

    统一社会信用代码 -> enterprise_id, 企业名称 -> name, 所属区 (a district's name) -> district (adcode), 纬度/经度 ->
    lat/lon, 行业门类 -> industry, 员工数 -> staff, 建会状态 (未建会/已建会/联合工会) -> union_status
    (none/founded/joint), 建会日期 -> union_founded_on; no street in the file (None).
    """
    status = enterprises["建会状态"].astype("string").str.strip().map(UNION_STATUS)
    if status.isna().any():
        unknown = sorted(set(enterprises["建会状态"][status.isna()].astype(str)))
        raise ValueError(f"unknown 建会状态 {unknown}")
    district = districts.resolve_series(enterprises["所属区"])
    if district.isna().any():
        raise ValueError(f"unknown 所属区 {sorted(set(enterprises['所属区'][district.isna()].astype(str)))}")
    return pd.DataFrame(
        {
            "enterprise_id": enterprises["统一社会信用代码"].astype(str).to_numpy(dtype=object),
            "name": enterprises["企业名称"].astype(str).to_numpy(dtype=object),
            "district": district.to_numpy(dtype=object),
            "street": np.full(len(enterprises), None, dtype=object),
            "lat": pd.to_numeric(enterprises["纬度"], errors="coerce").to_numpy(dtype=float),
            "lon": pd.to_numeric(enterprises["经度"], errors="coerce").to_numpy(dtype=float),
            "industry": enterprises["行业门类"].astype(str).to_numpy(dtype=object),
            "staff": pd.to_numeric(enterprises["员工数"], errors="coerce").to_numpy(dtype=float),
            "union_status": status.to_numpy(dtype=object),
            "union_founded_on": _dates(enterprises["建会日期"]).to_numpy(),
        }
    )


def visits_frame(visits: pd.DataFrame) -> pd.DataFrame:
    """The recommender's visits frame of a visits FILE frame (the import's Chinese headers).

    企业编号 -> enterprise_id, 沟通日期 -> visited_on, 沟通结果 (已沟通/有意向/已建会/暂不建会) -> outcome
    (held/interested/founded/declined), 建会日期 -> founded_on, 建会会员数 -> members, 暂不建会原因 -> reason (None
    when blank); the service packages are left empty (the recommender does not use them). 场次编号 is dropped.
    """
    outcome = visits["沟通结果"].astype("string").str.strip().map(OUTCOME)
    if outcome.isna().any():
        raise ValueError(f"unknown 沟通结果 {sorted(set(visits['沟通结果'][outcome.isna()].astype(str)))}")
    reason = visits["暂不建会原因"].astype("string").str.strip()
    return pd.DataFrame(
        {
            "enterprise_id": visits["企业编号"].astype(str).to_numpy(dtype=object),
            "visited_on": _dates(visits["沟通日期"]).to_numpy(),
            "outcome": outcome.to_numpy(dtype=object),
            "founded_on": _dates(visits["建会日期"]).to_numpy(),
            "members": pd.to_numeric(visits["建会会员数"], errors="coerce").to_numpy(dtype=float, na_value=np.nan),
            "services_offered": np.full(len(visits), "", dtype=object),
            "services_asked": np.full(len(visits), "", dtype=object),
            "reason": np.where(reason.fillna("").to_numpy(dtype=str) == "", None, reason.to_numpy(dtype=object)),
        }
    )


def app_sample(seed: int = sample.DEFAULT_SEED) -> World:
    """The app's own sample of ``seed`` as a world: ``enterprise_sample.generate`` in full (90,000 enterprises).

    Its register and visits files converted to the recommender's frames; the truth's ``logit`` is the sample's
    ``propensity`` (log-odds of founding within 90 days of a visit), with its ``members_if_founded``; no
    receptiveness column (NaN) and no joint-union bonus. History to ``sample.HISTORY_END``, plans from
    :data:`APP_PLAN_START`.
    """
    sessions = sample.generate(seed).sessions
    made = enterprise_sample.generate(seed, sessions=sessions)
    register = register_frame(made.enterprises)
    visits = visits_frame(made.visits)
    truth = made.truth.set_index(made.truth["enterprise_id"].astype(str)).reindex(register["enterprise_id"])
    if truth["propensity"].isna().any():
        raise ValueError("the sample's truth does not cover its register")
    truth = pd.DataFrame(
        {
            "enterprise_id": register["enterprise_id"].to_numpy(),
            "logit": truth["propensity"].to_numpy(dtype=float),
            "members_if_founded": truth["members_if_founded"].to_numpy(dtype=float),
            "receptiveness": np.full(len(register), np.nan),
            "new": np.zeros(len(register), dtype=bool),
        }
    )
    return World(APP_SAMPLE, seed, register, visits, truth, sample.HISTORY_END, None, 0.0, APP_PLAN_START)
