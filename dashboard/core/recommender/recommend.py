"""The recommendation service: model + sites + history + calendar -> a described plan for the coming days."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from dashboard.core.intake.columns import SITE_TYPES
from dashboard.core.recommender import calendar as cal
from dashboard.core.recommender import features, planner, store
from dashboard.core.recommender.store import StallModel
from dashboard.core.storage.schema import sessions


class CalendarPredictor:
    """The trained model seen through the calendar the planner should use (official data plus overrides)."""

    def __init__(self, model: StallModel, overrides: dict | None):
        self.model, self.overrides = model, overrides

    def predict_mean(self, frame: pd.DataFrame, target: str = "applications") -> np.ndarray:
        return self.model.predict_mean(frame, target, features.build(frame, self.overrides))

    def uncertainty(self, frame: pd.DataFrame) -> np.ndarray:
        return self.model.uncertainty(frame, "applications", features.build(frame, self.overrides))

    def tried(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        return self.model.tried(frame, features.build(frame, self.overrides))

    def assess(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.model.assess(frame, features.build(frame, self.overrides))

    def sampler(self, seed: int, hours: bool = False) -> _Drawn | None:
        """One posterior draw of the model, seen through the same calendar (None: the model cannot draw)."""
        if not hasattr(self.model, "sampler"):
            return None
        return _Drawn(self.model.sampler(seed, hours), self.overrides)


class _Drawn:
    def __init__(self, draw: Any, overrides: dict | None):
        self.draw, self.overrides = draw, overrides

    def predict_mean(self, frame: pd.DataFrame, target: str = "applications") -> np.ndarray:
        mean: np.ndarray = self.draw.predict_mean(frame, target, features.build(frame, self.overrides))
        return mean


def last_visits(engine: sa.Engine) -> dict[str, dt.date]:
    query = (
        sa.select(sessions.c.site_id, sa.func.max(sessions.c.date))
        .where(sessions.c.site_id.is_not(None))
        .group_by(sessions.c.site_id)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return {s: (d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d))) for s, d in rows}


def best_hours(
    model: StallModel,
    sites: pd.DataFrame,
    dates: list[dt.date],
    length_min: int,
    windows: np.ndarray,
    overrides: dict | None = None,
) -> dict:
    """For each (site type, day type) among ``dates``, the window start the model rates best for a typical site.

    A typical site is the type's median size in its most common district, never visited recently; this is what the
    model has learned about when that kind of place is worth a stall, not a rule written here.
    """
    reps = (
        sites.groupby("model_type")
        .agg(district=("district", lambda s: s.mode().iat[0]), workers_nearby=("workers_nearby", "median"))
        .reset_index()
    )
    day_of_type: dict[str, dt.date] = {}
    for d in dates:
        day_of_type.setdefault(cal.day_info(d, overrides).day_type, d)
    rows = [
        {
            "site_id": f"__typical_{r.model_type}",
            "model_type": r.model_type,
            "district": r.district,
            "workers_nearby": r.workers_nearby,
            "date": pd.Timestamp(day),
            "start_min": int(w),
            "end_min": int(w) + length_min,
            "day_type": t,
        }
        for r in reps.itertuples()
        for t, day in day_of_type.items()
        for w in windows
    ]
    if not rows:
        return {}
    frame = pd.DataFrame(rows)
    frame["value"] = model.predict_mean(frame, "applications", features.build(frame, overrides))
    best = frame.loc[frame.groupby(["model_type", "day_type"])["value"].idxmax()]
    return {(r.model_type, r.day_type): int(r.start_min) for r in best.itertuples()}


def recommend(
    engine: sa.Engine, request: planner.PlanRequest, loaded: store.Loaded | None = None
) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """A described plan (see :data:`planner.PLAN_COLUMNS`) and messages (model trained on older data, calendar
    provisional), each as (Chinese, English). Never trains: without a saved model, FileNotFoundError."""
    loaded = loaded or store.load(engine, retrain=False, allow_stale=True)
    overrides = cal.load_overrides(engine)
    sites = features.load_sites(engine)
    predictor = CalendarPredictor(loaded.model, overrides)
    picks = planner.plan(predictor, sites, last_visits(engine), request, overrides)
    messages = list(loaded.messages)
    if picks.empty:
        return pd.DataFrame(columns=planner.PLAN_COLUMNS), messages + [
            (
                "没有可选的点位（检查所选的区、街道和排除的点位）。",
                "No candidate sites (check the district, street and sites left out).",
            )
        ]
    frame = picks.merge(sites[["site_id"]], on="site_id")
    frame["date"] = pd.to_datetime(frame["date"])
    predicted = loaded.model.predict(frame, overrides)
    hours = best_hours(loaded.model, sites, request.dates(), request.length_min, request.windows(), overrides)
    described = planner.describe(picks, predicted, sites, hours, overrides, history=predictor.tried(frame))
    years = sorted({d.year for d in request.dates() if cal.day_info(d, overrides).provisional})
    if years:
        messages.append(
            (
                f"{'、'.join(map(str, years))}年的节假日与调休安排尚未收录，计划按推算日历（管理员可设置日期）。",
                f"The official {', '.join(map(str, years))} holiday schedule is not in our data yet: the plan uses a "
                "provisional calendar (an admin can set dates).",
            )
        )
    return described, messages


def site_outlook(
    model: StallModel,
    sites: pd.DataFrame,
    day: dt.date,
    length_min: int = 120,
    windows: np.ndarray | None = None,
    overrides: dict | None = None,
    last: dict | None = None,
) -> pd.DataFrame:
    """Each site's best window on ``day`` and its expected applications (what the map colours sites by)."""
    windows = np.arange(6 * 60, 22 * 60 - length_min + 1, 30) if windows is None else windows
    frame = planner._candidate_frame(sites, [day], windows, length_min)
    last = last or {}
    frame["days_since"] = [float((day - last[s]).days) if s in last else np.nan for s in frame["site_id"]]
    frame["value"] = model.predict_mean(frame, "applications", features.build(frame, overrides))
    best = frame.loc[frame.groupby("site_id")["value"].idxmax(), ["site_id", "start_min", "value"]]
    return best.rename(columns={"start_min": "best_start", "value": "expected_applications"}).reset_index(drop=True)


def stats_outlook(model: StallModel, stats: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """:func:`site_outlook` of sites as the site statistics give them (``site_type``, ``last_visit``): each site's type
    folded into the model's categories, and the days since its last visit."""
    visited = stats.dropna(subset=["last_visit"])
    typed = stats.assign(model_type=stats["site_type"].where(stats["site_type"].isin(SITE_TYPES), "other"))
    return site_outlook(model, typed, day, last=dict(zip(visited["site_id"], visited["last_visit"], strict=True)))


def site_profile(
    model: StallModel,
    site: pd.Series,
    dates_by_type: dict[str, dt.date],
    length_min: int = 120,
    overrides: dict | None = None,
) -> pd.DataFrame:
    """Expected applications of one site by start hour for each kind of day (the "best hours" chart)."""
    windows = np.arange(6 * 60, 22 * 60 - length_min + 1, 30)
    rows = []
    for day_type, day in dates_by_type.items():
        for w in windows:
            rows.append(
                {
                    **site[["site_id", "model_type", "district", "workers_nearby"]].to_dict(),
                    "date": pd.Timestamp(day),
                    "start_min": int(w),
                    "end_min": int(w) + length_min,
                    "day_type": day_type,
                }
            )
    frame = pd.DataFrame(rows)
    frame["expected_applications"] = model.predict_mean(frame, "applications", features.build(frame, overrides))
    frame["start"] = [f"{m // 60:02d}:{m % 60:02d}" for m in frame["start_min"]]
    return frame[["day_type", "start", "start_min", "expected_applications"]]


def site_curve(
    model: StallModel,
    site: pd.Series,
    dates_by_type: dict[str, dt.date],
    overrides: dict | None = None,
    hours: tuple[int, int] = (6 * 60, 22 * 60),
    days_since: float = np.nan,
) -> pd.DataFrame:
    """The site's learned curve: expected applications per hour in each half hour of each kind of day.

    A curve model's 2-hour session expects exactly the sum of its four half hours (the integral); so this is what
    a planner reads to see why a window was chosen. ``days_since`` is the gap since the site's last session on
    that day (NaN: long ago), which lowers the whole curve when the site was visited recently.
    """
    starts = np.arange(hours[0], hours[1], 30)
    frame = pd.DataFrame(
        [
            {
                **site[["site_id", "model_type", "district", "workers_nearby"]].to_dict(),
                "date": pd.Timestamp(day),
                "start_min": int(s),
                "end_min": int(s) + 30,
                "day_type": day_type,
                "days_since": days_since,
            }
            for day_type, day in dates_by_type.items()
            for s in starts
        ]
    )
    frame["per_hour"] = 2 * model.predict_mean(frame, "applications", features.build(frame, overrides))
    frame["time"] = [f"{m // 60:02d}:{m % 60:02d}" for m in frame["start_min"]]
    return frame[["day_type", "time", "start_min", "per_hour"]]


def typical_days(start: dt.date, overrides: dict | None = None, horizon: int = 60) -> dict[str, dt.date]:
    """The first upcoming date of each day type (for profiles by kind of day)."""
    found: dict[str, dt.date] = {}
    for i in range(horizon):
        day = start + dt.timedelta(days=i)
        found.setdefault(cal.day_info(day, overrides).day_type, day)
    return found
