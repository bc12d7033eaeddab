"""Plan the coming days: which team stands where, on which day, from when to when.

The planner scores every (site, day, window) with a predictor of expected on-site applications and picks greedily
by *marginal* gain: after each pick it re-scores that site's other days, because a visit saturates a site for the
weeks after it (a pick before an already chosen visit is charged for what it takes from that visit). So no two
teams pile onto one site, and a site comes back only when it has recovered enough to be worth it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dashboard.core.export import PLAN_HEADERS_ZH
from dashboard.core.geo import areas
from dashboard.core.geo.districts import name as district_name
from dashboard.core.intake.columns import SITE_TYPES
from dashboard.core.recommender import calendar as cal

DEFAULT_EXPLORATION = 0.2  # learning on by default (any value above 0); the share itself only matters to older models
# what the closed-loop benchmark showed, for the Model page (Chinese, English); from bench/recommend_loop.py, 2026-12-05
EXPLORATION_EVIDENCE = (
    "在五个与样本不同的数据集上（历史短、四分之一以上点位从未去过、点位的职工构成与同类不同、休息高峰窄且与惯常时段错开），"
    "十周累计达到理想安排的 79%（最差 75%），后五周都高于前五周；只按预计人数安排为 79%（最差 73%）；"
    "连各点位的时段也一起抽样则为 75%（最差 70%），所以默认只对点位抽样，时段按学到的曲线。",
    "on five histories unlike the sample (short, a quarter or more of the sites never visited, sites whose workers are "
    "unlike their type's, narrow rest peaks away from the habitual hours), ten weeks reached 79% of the ideal plan "
    "(worst 75%), every second half above its first; planning by the expected value alone reached 79% (worst 73%); "
    "drawing each site's hours as well reached 75% (worst 70%), so by default only sites are drawn and hours follow "
    "the learned curve.",
)
EXPLORATION_Z = 1.5  # how far above its expected value an untried site-and-band is rated when exploring (UCB)

PLAN_COLUMNS = [
    "team",
    "date",
    "start_time",
    "end_time",
    "site_id",
    "site_name",
    "district",
    "expected_consultations",
    "consultations_low",
    "consultations_high",
    "expected_applications",
    "applications_low",
    "applications_high",
    "day_type",
    "provisional",
    "learn",
    "history_sessions",
    "history_applications",
    "reason",
    "reason_en",
]


@dataclass
class PlanRequest:
    """What a planner asks for.

    Times are minutes after midnight; ``hours`` bounds every session (start and end).
    """

    start: dt.date
    days: int = 7
    teams: int = 4
    per_team_per_day: int = 1
    length_min: int = 120
    hours: tuple[int, int] = (6 * 60, 22 * 60)
    step_min: int = 30
    gap_min: int = 30  # between two sessions of one team on one day: travel and set-up
    # area codes (see geo.areas): an adcode, a street's code, or several (a planner's districts or streets)
    district: str | tuple[str, ...] | None = None
    exclude: set[str] = field(default_factory=set)
    booked: pd.DataFrame | None = None  # site_id, date, start_min, end_min of sessions already arranged
    # Learning while acting: 0 plans by expected value alone. Otherwise a model with posterior draws plans with one
    # draw (Thompson sampling: a site or hour is tried as often as it may be the best); an older model without them
    # gives this share of the sessions to untried sites and hours instead.
    exploration: float = DEFAULT_EXPLORATION
    seed: int = 0  # with the start date, fixes the posterior draw: the same request gives the same plan
    explore_hours: bool = False  # also draw each site's own curve (off by default: see curve.CurveModel.sampler)

    def validate(self) -> None:
        if self.days < 1 or self.teams < 1 or self.per_team_per_day < 1:
            raise ValueError("days, teams and sessions per team per day must be at least 1")
        if not (0 <= self.hours[0] < self.hours[1] < 24 * 60):
            raise ValueError("allowed hours must lie within one day (ending by 23:59), start before end")
        if self.length_min < self.step_min or self.length_min > self.hours[1] - self.hours[0]:
            raise ValueError("the session length must fit inside the allowed hours")
        if self.seed < 0:
            raise ValueError("the seed must be 0 or more")
        if not 0 <= self.exploration <= 0.5:
            raise ValueError("the share of sessions given to learning must be between 0 and 50%")

    def windows(self) -> np.ndarray:
        return np.arange(self.hours[0], self.hours[1] - self.length_min + 1, self.step_min)

    def dates(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range(self.days)]


class Predictor:
    """Anything with ``predict_mean(frame, target)``; the planner needs only expected applications.

    A predictor that can also ``assess(frame)``: say for each row its expected applications, how uncertain that is (a
    coefficient of variation) and how often the site was tried at that kind of day and hour, lets the planner explore.
    """

    def predict_mean(self, frame: pd.DataFrame, target: str = "applications") -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


def _candidate_frame(sites: pd.DataFrame, dates: list[dt.date], windows: np.ndarray, length: int) -> pd.DataFrame:
    n_s, n_d, n_w = len(sites), len(dates), len(windows)
    s_idx = np.repeat(np.arange(n_s), n_d * n_w)
    d_idx = np.tile(np.repeat(np.arange(n_d), n_w), n_s)
    w_idx = np.tile(np.arange(n_w), n_s * n_d)
    frame = sites.iloc[s_idx][["site_id", "model_type", "district", "workers_nearby"]].reset_index(drop=True)
    frame["date"] = pd.to_datetime(np.array(dates, dtype="datetime64[D]")[d_idx])
    frame["start_min"] = windows[w_idx]
    frame["end_min"] = windows[w_idx] + length
    return frame


def _days_since(day: dt.date, visits: list[dt.date]) -> float:
    before = [v for v in visits if v < day]
    return float((day - max(before)).days) if before else np.nan


def plan(
    predictor: Any,  # duck-typed: predict_mean(), and assess() when it can explore (see Predictor)
    sites: pd.DataFrame,
    last_visits: dict[str, dt.date],
    request: PlanRequest,
    overrides: dict | None = None,
) -> pd.DataFrame:
    """Choose sessions maximising expected applications over the whole plan.

    Parameters
    ----------
    predictor : object
        Has ``predict_mean(frame, target="applications")`` for frames of candidate sessions (columns site_id,
        model_type, district, workers_nearby, date, start_min, end_min, days_since); the trained model or, for
        judging plans, the sample generator's ground truth.
    sites : DataFrame
        Candidate sites (as from :func:`features.load_sites`).
    last_visits : dict
        Each site's latest past session date.
    request : PlanRequest

    Returns
    -------
    DataFrame
        One row per chosen session (team, date, start/end minutes, site_id, expected applications, ...), sorted by
        date, team and start. Expected values here are the predictor's, with every pick's saturation counted.
    """
    request.validate()
    pool = sites
    if request.district:
        pool = pool[areas.mask(pool, request.district)]
    pool = pool[~pool["site_id"].isin(request.exclude)].reset_index(drop=True)
    dates, windows = request.dates(), request.windows()
    n_s, n_d, n_w = len(pool), len(dates), len(windows)
    if n_s == 0:
        return pd.DataFrame(
            columns=["team", "date", "start_min", "end_min", "site_id", "expected_applications", "learn"]
        )

    visits: dict[int, list[dt.date]] = {
        i: ([last_visits[s]] if s in last_visits else []) for i, s in enumerate(pool["site_id"])
    }
    blocked = np.zeros((n_s, n_d), dtype=bool)  # a site-day already taken (by a pick or a booking)
    if request.booked is not None and len(request.booked):
        where = {s: i for i, s in enumerate(pool["site_id"])}
        for row in request.booked.itertuples():
            i = where.get(row.site_id)
            day = pd.Timestamp(row.date).date()
            if i is None:
                continue
            visits[i].append(day)
            if day in dates:
                blocked[i, dates.index(day)] = True

    frame = _candidate_frame(pool, dates, windows, request.length_min)
    frame["days_since"] = [
        _days_since(d, visits[int(i)])
        for i, d in zip(np.repeat(np.arange(n_s), n_d * n_w), frame["date"].dt.date, strict=True)
    ]
    capacity = request.teams * request.per_team_per_day
    chooser = _posterior_draw(predictor, request)
    sampling = chooser is not predictor
    to_learn = int(round(request.exploration * capacity * n_d)) if hasattr(predictor, "assess") and not sampling else 0
    if to_learn:
        # Exploring: a share of the picks goes to a site-and-hour the history has not tried, rated optimistically
        # (upper confidence bound) so the untried ones most likely to be worth it come first.
        mean, cv, tried = predictor.assess(frame)
        optimism = 1.0 + EXPLORATION_Z * cv.reshape(n_s, n_d, n_w)
        untried = (tried == 0).reshape(n_s, n_d, n_w)
        learnt = np.zeros(n_s, dtype=bool)  # one learning pick per site and plan
    else:
        mean = chooser.predict_mean(frame, "applications")
    gain = np.asarray(mean, dtype=float).reshape(n_s, n_d, n_w)
    gain[blocked] = -np.inf

    schedule: list[list[list[tuple[int, int]]]] = [[[] for _ in range(request.teams)] for _ in range(n_d)]
    picks: list[dict] = []
    chosen: dict[int, dict[int, int]] = {}  # site -> {day: window}
    day_full = np.zeros(n_d, dtype=bool)
    while len(picks) < capacity * n_d:
        learning = sum(p["learn"] for p in picks) < to_learn
        masked = np.where(day_full[None, :, None], -np.inf, gain)
        if learning:
            rated = np.where(untried & ~learnt[:, None, None], masked * optimism, -np.inf)
            learning = bool(np.isfinite(rated).any())
            masked = rated if learning else masked
        flat = int(np.argmax(masked))
        s, d, w = map(int, np.unravel_index(flat, gain.shape))
        if not np.isfinite(masked[s, d, w]):
            break
        start = int(windows[w])
        team = _free_team(schedule[d], start, start + request.length_min, request.per_team_per_day, request.gap_min)
        if team is None:  # every team is busy then: this window is impossible on this day
            gain[s, d, w] = -np.inf
            continue
        schedule[d][team].append((start, start + request.length_min))
        picks.append(
            {"team": team + 1, "day": d, "site": s, "window": w, "gain": float(gain[s, d, w]), "learn": learning}
        )
        if learning:
            learnt[s] = True
        chosen.setdefault(s, {})[d] = w
        visits[s].append(dates[d])
        gain[s, d, :] = -np.inf
        day_full[d] = sum(len(t) for t in schedule[d]) >= capacity
        _rescore_site(chooser, pool, s, dates, windows, request, visits, chosen, gain, blocked)

    if not picks:
        return pd.DataFrame(
            columns=["team", "date", "start_min", "end_min", "site_id", "expected_applications", "learn"]
        )
    out = pd.DataFrame(
        {
            "team": [p["team"] for p in picks],
            "date": [dates[p["day"]] for p in picks],
            "start_min": [int(windows[p["window"]]) for p in picks],
            "site_id": [pool["site_id"].iloc[p["site"]] for p in picks],
            "learn": [p["learn"] for p in picks],
        }
    )
    out["end_min"] = out["start_min"] + request.length_min
    # final expected values with the plan's own saturation: each pick after the visit before it
    merged = out.merge(pool[["site_id", "model_type", "district", "workers_nearby"]], on="site_id")
    merged["days_since"] = [
        _days_since(d, [v for v in visits[_index(pool, s)] if v != d])
        for s, d in zip(merged["site_id"], merged["date"], strict=True)
    ]
    merged["date"] = pd.to_datetime(merged["date"])
    merged["expected_applications"] = predictor.predict_mean(merged, "applications")
    if sampling:
        # a pick to learn from: an hour the site's history has not tried, chosen because the draw rated it at least
        # one posterior deviation above its expected value (the chance that it is better than it looks)
        drawn = merged[["site_id", "date"]].merge(
            out[["site_id", "date"]].assign(gain=[p["gain"] for p in picks], date=pd.to_datetime(out["date"])),
            on=["site_id", "date"],
        )["gain"]
        mean_now = merged["expected_applications"].to_numpy()
        optimistic = drawn.to_numpy() >= mean_now * (1 + predictor.uncertainty(merged))
        merged["learn"] = (predictor.tried(merged)[0] == 0) & optimistic
    merged["date"] = merged["date"].dt.date
    return merged.sort_values(["date", "team", "start_min"]).reset_index(drop=True)


def _posterior_draw(predictor: Any, request: PlanRequest) -> Any:
    """The predictor to choose with: one posterior draw when learning and the predictor can draw, else itself.

    The draw's seed mixes the request's seed with the first day, so next week's plan draws afresh while the same
    request always gives the same plan.
    """
    sampler = getattr(predictor, "sampler", None)
    if request.exploration <= 0 or not callable(sampler):
        return predictor
    seed = request.seed * 1_000_003 + request.start.toordinal()
    draw = sampler(seed, hours=True) if request.explore_hours else sampler(seed)
    return predictor if draw is None else draw


def _index(pool: pd.DataFrame, site_id: str) -> int:
    return int(np.flatnonzero(pool["site_id"].to_numpy() == site_id)[0])


def _free_team(day_schedule: list[list[tuple[int, int]]], start: int, end: int, per_day: int, gap: int) -> int | None:
    for team, taken in enumerate(day_schedule):
        if len(taken) >= per_day:
            continue
        if all(end + gap <= a or start >= b + gap for a, b in taken):
            return team
    return None


def _rescore_site(
    predictor: Any,
    pool: pd.DataFrame,
    s: int,
    dates: list[dt.date],
    windows: np.ndarray,
    request: PlanRequest,
    visits: dict[int, list[dt.date]],
    chosen: dict[int, dict[int, int]],
    gain: np.ndarray,
    blocked: np.ndarray,
) -> None:
    """Re-score site ``s`` on its open days given its visits, charging each for the visit it would saturate."""
    open_days = [d for d in range(len(dates)) if np.isfinite(gain[s, d]).any() and not blocked[s, d]]
    if not open_days:
        return
    base = pool.iloc[[s]][["site_id", "model_type", "district", "workers_nearby"]]
    rows, penalties = [], []
    for d in open_days:
        day = dates[d]
        for w in windows:
            rows.append((day, int(w), _days_since(day, visits[s])))
        # the site's next chosen visit after this day loses what a visit here takes from it
        later = sorted(dd for dd in chosen.get(s, {}) if dd > d)
        if later:
            nd = later[0]
            penalties.append(
                (
                    d,
                    dates[nd],
                    int(windows[chosen[s][nd]]),
                    _days_since(dates[nd], visits[s]),
                    float((dates[nd] - day).days),
                )
            )
    frame = pd.concat([base] * len(rows), ignore_index=True)
    frame["date"] = pd.to_datetime([r[0] for r in rows])
    frame["start_min"] = [r[1] for r in rows]
    frame["end_min"] = frame["start_min"] + request.length_min
    frame["days_since"] = [r[2] for r in rows]
    if penalties:
        pen = pd.concat([base] * (2 * len(penalties)), ignore_index=True)
        pen["date"] = pd.to_datetime([p[1] for p in penalties for _ in (0, 1)])
        pen["start_min"] = [p[2] for p in penalties for _ in (0, 1)]
        pen["end_min"] = pen["start_min"] + request.length_min
        pen["days_since"] = [v for p in penalties for v in (p[3], p[4])]
        frame = pd.concat([frame, pen], ignore_index=True)
    values = predictor.predict_mean(frame, "applications")
    own = values[: len(rows)].reshape(len(open_days), len(windows))
    loss = {}
    if penalties:
        pv = values[len(rows) :].reshape(len(penalties), 2)
        loss = {p[0]: pv[i, 0] - pv[i, 1] for i, p in enumerate(penalties)}
    for i, d in enumerate(open_days):
        still_open = np.isfinite(gain[s, d])
        gain[s, d] = np.where(still_open, own[i] - loss.get(d, 0.0), -np.inf)


def describe(
    plan_rows: pd.DataFrame,
    predicted: pd.DataFrame,
    sites: pd.DataFrame,
    best_hours: dict,
    overrides: dict | None = None,
    history: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Turn planner picks into the table planners read: names, times, whole-person estimates and a reason in Chinese.

    ``best_hours`` maps (site type, day type) to the window start the model rates highest for that kind of place
    on that kind of day, so a reason can say when a pick sits in the learned peak. ``history`` is each pick's site's
    past sessions at that kind of day and time band, and their mean applications: what a planner can check the
    estimate against.
    """
    from dashboard.core.recommender.model import DAY_KINDS

    info = sites.set_index("site_id")
    n_hist, mean_hist = (
        history if history is not None else (np.zeros(len(plan_rows), int), np.full(len(plan_rows), np.nan))
    )
    out = []
    for i, (row, pred) in enumerate(zip(plan_rows.itertuples(), predicted.itertuples(), strict=True)):
        site = info.loc[row.site_id]
        day = cal.day_info(row.date, overrides)
        type_zh = SITE_TYPES.get(site["site_type"], site["site_type"] or "点位")
        window = f"{_hhmm(row.start_min)}–{_hhmm(row.end_min)}"
        peak = best_hours.get((site["model_type"], day.day_type))
        in_peak = peak is not None and row.start_min <= peak < row.end_min
        day_zh = cal.DAY_TYPE_LABELS[day.day_type]
        kind = DAY_KINDS[int(day.day_type in (cal.WEEKEND, cal.HOLIDAY))]
        since = row.days_since
        learn = bool(getattr(row, "learn", False))
        if learn and pd.isna(since):
            zh, en = (
                ["该点位从未开展过，安排一次以了解效果（按同类点位估计）"],
                ["never visited: one session to find out (estimated from similar sites)"],
            )
        elif learn:
            zh = [f"该点位{kind[0]}{window}前后尚未试过，安排一次以了解效果"]
            en = [f"not yet tried here around {window} on {kind[1]}: one session to find out"]
        else:
            zh = [
                f"{type_zh}{day_zh}{window}为模型据历史学得的高峰时段" if in_peak else f"该点位当天{window}预计人数最多"
            ]
            en = [
                f"{window} is the learned peak for a {site['site_type'] or 'site'} on a "
                f"{day.day_type.replace('_', ' ')}"
                if in_peak
                else f"{window} is this site's best window that day"
            ]
        if pd.isna(since):
            if not learn:
                zh.append("从未开展过，按同类点位估计")
                en.append("never visited: estimated from similar sites")
        elif since >= 30:
            zh.append(f"近{int(since)}天未去过")
            en.append(f"not visited for {int(since)} days")
        else:
            zh.append(f"距上次{int(since)}天，已计入回访减少")
            en.append(f"visited {int(since)} days before; the smaller yield is counted")
        if day.provisional:
            zh.append(f"{row.date.year}年节假日安排尚未公布，日历为推算")
            en.append(f"the official {row.date.year} holiday schedule is not published yet: calendar provisional")
        out.append(
            {
                "team": row.team,
                "date": row.date,
                "start_time": _hhmm(row.start_min),
                "end_time": _hhmm(row.end_min),
                "site_id": row.site_id,
                "site_name": site["name"],
                "district": district_name(site["district"]),
                "expected_consultations": int(round(pred.consultations)),
                "consultations_low": int(pred.consultations_low),
                "consultations_high": int(pred.consultations_high),
                "expected_applications": int(round(pred.applications)),
                "applications_low": int(pred.applications_low),
                "applications_high": int(pred.applications_high),
                "day_type": day.day_type,
                "provisional": bool(day.provisional),
                "learn": learn,
                "history_sessions": int(n_hist[i]),
                "history_applications": None if np.isnan(mean_hist[i]) else round(float(mean_hist[i]), 1),
                "reason": "；".join(zh),
                "reason_en": "; ".join(en),
            }
        )
    return pd.DataFrame(out, columns=PLAN_COLUMNS)


def _hhmm(minutes: int) -> str:
    return f"{int(minutes) // 60:02d}:{int(minutes) % 60:02d}"


def for_people(plan: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """A plan as a download for people: in Chinese, headers and values alike (日期类型 工作日, 日历为推算 是/否) and
    the Chinese reason only; in English, the field names, English day types and the English reason."""
    out = plan.copy()
    yes_no = {True: "是", False: "否"} if lang == "zh" else {True: "yes", False: "no"}
    if "day_type" in out:
        out["day_type"] = out["day_type"].map(lambda d: cal.DAY_TYPE_LABELS.get(d, d) if lang == "zh" else d)
    for col in ("provisional", "learn"):
        if col in out:
            out[col] = out[col].map(lambda v: yes_no.get(bool(v), "") if pd.notna(v) else "")
    if lang == "zh":
        return out.drop(columns=["reason_en"], errors="ignore").rename(columns=PLAN_HEADERS_ZH)
    return out.drop(columns=["reason"], errors="ignore").rename(columns={"reason_en": "reason"})


def directions(lat: float, lon: float) -> str | None:
    """A link the user taps to open the phone's map app at the site (geo: URI, WGS-84); nothing loads by itself."""
    if pd.isna(lat) or pd.isna(lon):
        return None
    return f"geo:{float(lat):.6f},{float(lon):.6f}?q={float(lat):.6f},{float(lon):.6f}"


def team_sheet_html(plan: pd.DataFrame, team: int, title: str, lang: str = "zh") -> str:
    """One team's sessions as a page to print and take to the field: when, where (with coordinates when known), what
    to expect and why, and blank columns to write the results in. Every value is escaped (site names are user text).
    """
    import html

    rows = plan[plan["team"] == team].sort_values(["date", "start_time"])
    zh = lang == "zh"
    heads_zh = ["日期", "时间", "点位", "坐标（WGS-84）", "预计申请入会", "理由", "实际咨询", "实际申请入会", "备注"]
    heads_en = ["Date", "Time", "Site", "Coordinates (WGS-84)", "Expected", "Why", "Consulted", "Applied", "Notes"]
    heads = heads_zh if zh else heads_en
    body = []
    for r in rows.to_dict("records"):
        where = f"{r['lat']:.5f}, {r['lon']:.5f}" if pd.notna(r.get("lat")) and pd.notna(r.get("lon")) else ""
        cells = [
            str(r["date"]),
            f"{r['start_time']}–{r['end_time']}",
            f"{r['site_name']}（{r['site_id']}）" if zh else f"{r['site_name']} ({r['site_id']})",
            where,
            str(r["expected_applications"]),
            r["reason"] if zh else r.get("reason_en", r["reason"]),
            "",
            "",
            "",
        ]
        cells_html = [html.escape(str(c)) for c in cells]
        link = directions(r.get("lat"), r.get("lon"))  # numbers only: nothing of the user's text in the href
        if link:
            cells_html[3] += f'<br><a href="{html.escape(link)}">{"在地图应用中导航" if zh else "Directions"}</a>'
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells_html) + "</tr>")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in heads)
    caption = html.escape(f"{title} 第{team}组" if zh else f"{title}, team {team}")
    return (
        f'<!doctype html><html lang="{"zh-CN" if zh else "en"}"><head><meta charset="utf-8"><title>{caption}</title>'
        "<style>body{font-family:sans-serif;margin:1.5cm}table{border-collapse:collapse;width:100%;font-size:11pt}"
        "th,td{border:1px solid #444;padding:6px;vertical-align:top}th{background:#eee}"
        "td:nth-child(n+7){min-width:5em}@page{size:A4 landscape;margin:1cm}</style></head>"
        f"<body><h1>{caption}</h1><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        "</body></html>"
    )
