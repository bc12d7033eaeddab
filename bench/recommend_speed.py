"""Benchmark: time to train on 50,000 sessions, and to plan 7 days for 10 teams over 1,000 sites.

Planning covers every 30-minute start from 06:00 to 20:00 (2-hour sessions ending by 22:00): 1,000 sites x 7 days
x 29 windows = 203,000 candidates, re-scored after every pick. Targets: planning under 5 s, training under 60 s.
Training here is what ``python -m dashboard train`` does: the backtest of every candidate estimator, then the
final fit. As a baseline in the same run it also times the bare scoring of all candidates once.

Usage::

    python bench/recommend_speed.py
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.core.intake import ingest  # noqa: E402
from dashboard.core.recommender import (
    evaluation,  # noqa: E402
    features,  # noqa: E402
    planner,  # noqa: E402
    recommend,  # noqa: E402
)
from dashboard.core.recommender.model import make_model  # noqa: E402
from dashboard.core.storage import db  # noqa: E402
from data import sample  # noqa: E402

N_SITES, N_SESSIONS = 1000, 50_000


def main() -> int:
    rng = np.random.default_rng(0)
    world = sample.generate()
    extra = world.sites.sample(N_SITES - len(world.sites), replace=True, random_state=0).copy()
    extra["site_id"] = [f"X{i:04d}" for i in range(len(extra))]
    extra["site_name"] = extra["site_name"] + "（新）"
    extra["lat"] += rng.normal(0, 0.005, len(extra))
    extra["lon"] += rng.normal(0, 0.005, len(extra))
    all_sites = pd.concat([world.sites, extra], ignore_index=True)
    with tempfile.TemporaryDirectory() as tmp:
        engine = db.make_engine(f"sqlite:///{Path(tmp) / 's.sqlite'}")
        db.upgrade(engine)
        ingest.import_sites(engine, sample.to_csv_bytes(all_sites), "sites.csv")
        ingest.import_sessions(engine, sample.to_csv_bytes(world.sessions), "sessions.csv", today=sample.HISTORY_END)
        history = features.load_history(engine)
        # top up to exactly 50,000 worker sessions with copies placed at the new sites
        top_up = history.sample(N_SESSIONS - len(history), random_state=0).copy()
        top_up["site_id"] = rng.choice(extra["site_id"].to_numpy(), len(top_up))
        history = (
            pd.concat([history, top_up], ignore_index=True)
            .sort_values(["date", "start_min"], kind="stable")
            .reset_index(drop=True)
        )
        history["days_since"] = features.days_since_previous(history)

        t0 = time.perf_counter()
        result = evaluation.backtest(history)
        model = make_model(result["chosen"]).fit(history)
        model.dispersion_ = result["model"].dispersion_
        train_s = time.perf_counter() - t0

        sites = features.load_sites(engine)
        last = recommend.last_visits(engine)
        predictor = recommend.CalendarPredictor(model, None)
        timings = {}
        for share in (0.0, planner.DEFAULT_EXPLORATION):
            request = planner.PlanRequest(
                start=dt.date(2026, 11, 30),
                days=7,
                teams=10,
                hours=(6 * 60, 22 * 60),
                length_min=120,
                step_min=30,
                exploration=share,
            )
            frame = planner._candidate_frame(sites, request.dates(), request.windows(), request.length_min)
            t0 = time.perf_counter()
            predictor.predict_mean(frame)
            score_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            picks = planner.plan(predictor, sites, last, request)
            predicted = model.predict(picks.assign(date=pd.to_datetime(picks["date"])))
            described = planner.describe(
                picks, predicted, sites, recommend.best_hours(model, sites, request.dates(), 120, request.windows())
            )
            timings[share] = time.perf_counter() - t0
        plan_s = timings[0.0]

    print(
        f"training on {len(history):,} worker sessions (backtest of {len(result['scores']) - 2} estimators + final "
        f"fit of {result['chosen']}): {train_s:6.1f} s  (target < 60 s)"
    )
    print(f"scoring {len(frame):,} candidates once (baseline):                     {score_s:6.2f} s")
    print(
        f"planning {len(described)} sessions, {request.teams} teams x {request.days} days over {len(sites):,} sites:   "
        f"     {plan_s:6.2f} s  (target < 5 s; {plan_s / score_s:.1f}x one scoring pass)"
    )
    explored = timings[planner.DEFAULT_EXPLORATION]
    print(
        f"the same learning while planning (posterior draw):                     "
        f"{explored:6.2f} s  (target <= 1.5x without: {explored / plan_s:.2f}x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
