"""Benchmark: how good are the recommender's plans, judged by the sample generator's ground truth?

For each seed: generate the sample world, load it, train the model on its history exactly as
``python -m dashboard train`` does, then plan a normal week and a holiday week three ways with the same
constraints:

* model  - the planner driven by the trained model (what users get);
* oracle - the same planner driven by the ground truth itself (an upper reference);
* habit  - each team at the best historical sites (highest mean applications) at their usual start hour.

Each plan is scored by its true expected applications, saturation included (a site's previous visit, in the
history or earlier in the same plan). Targets: model >= 0.75 of the oracle and >= 2x the habit plan.

Usage::

    python bench/recommend_quality.py [--seeds 20180401 1 2] [--teams 6]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.core import db, features, planner, recommend, store  # noqa: E402
from data import sample  # noqa: E402

WEEKS = {
    "normal week (2026-11-16)": dt.date(2026, 11, 16),
    "holiday week (Spring Festival 2027-02-06, provisional calendar)": dt.date(2027, 2, 6),
}


def true_value(truth, plan: pd.DataFrame, last: dict) -> float:
    """Sum of true expected applications, each session after the site's previous visit (history or plan)."""
    if plan.empty:
        return 0.0
    rows = plan.sort_values(["date", "start_min"]).copy()
    seen = dict(last)
    since = []
    for site, day in zip(rows["site_id"], rows["date"]):
        prev = seen.get(site)
        since.append(np.nan if prev is None else max((day - prev).days, 0.5))
        seen[site] = day
    _, apps = truth.expected(rows["site_id"], rows["date"], rows["start_min"], rows["end_min"], since)
    return float(apps.sum())


def habit_plan(history: pd.DataFrame, request: planner.PlanRequest, rank_by: str = "total") -> pd.DataFrame:
    """Each team at the best historical sites, at each site's usual start hour, one site per team and day.

    ``rank_by="total"``: the sites that signed up the most people over the whole history (how a planner reads
    the ledger; the primary habit baseline). ``rank_by="mean"``: the highest mean per session among sites with at
    least five sessions (a stricter reference: it favours sites that do well at the habitual hour).
    """
    stats = history.groupby("site_id").agg(
        total=("applications", "sum"), mean=("applications", "mean"), n=("applications", "size"), usual=("start_min", lambda s: s.mode().iat[0])
    )
    if rank_by == "mean":
        stats = stats[stats["n"] >= 5]
    top = stats.sort_values(rank_by, ascending=False).head(request.teams * request.days)
    rows = []
    for i, (site, r) in enumerate(top.iterrows()):
        day, team = divmod(i, request.teams)
        start = int(min(max(r["usual"], request.hours[0]), request.hours[1] - request.length_min))
        rows.append({"team": team + 1, "date": request.dates()[day], "start_min": start, "end_min": start + request.length_min, "site_id": site})
    return pd.DataFrame(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[sample.DEFAULT_SEED, 1, 2])
    parser.add_argument("--teams", type=int, default=6)
    args = parser.parse_args()
    results = []
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as tmp:
            engine = db.make_engine(f"sqlite:///{Path(tmp) / 'q.sqlite'}")
            db.upgrade(engine)
            world = sample.generate(seed)
            from dashboard.core import ingest

            ingest.import_sites(engine, sample.to_csv_bytes(world.sites), "sites.csv")
            ingest.import_sessions(engine, sample.to_csv_bytes(world.sessions), "sessions.csv", today=sample.HISTORY_END)
            t0 = time.perf_counter()
            loaded = store.train(engine, directory=Path(tmp) / "models")
            train_s = time.perf_counter() - t0
            history = features.load_history(engine)
            sites = features.load_sites(engine)
            last = recommend.last_visits(engine)
            for week, start in WEEKS.items():
                request = planner.PlanRequest(start=start, days=7, teams=args.teams)
                model_plan = planner.plan(recommend.CalendarPredictor(loaded.model, None), sites, last, request)
                oracle_plan = planner.plan(world.truth, sites, last, request)
                habit = habit_plan(history, request, "total")
                strict = habit_plan(history, request, "mean")
                values = [true_value(world.truth, p, last) for p in (model_plan, oracle_plan, habit, strict)]
                results.append((seed, week, *values))
                v_model, v_oracle, v_habit, v_strict = values
                print(
                    f"seed {seed:>9}  {week[:12]:<12} model {v_model:7.1f}  oracle {v_oracle:7.1f}  habit {v_habit:7.1f}  habit(best mean) {v_strict:7.1f}"
                    f"  model/oracle {v_model / v_oracle:5.2f}  model/habit {v_model / v_habit:5.2f}  model/habit(best mean) {v_model / v_strict:5.2f}"
                    f"  (train {train_s:.0f} s)",
                    flush=True,
                )
    frame = pd.DataFrame(results, columns=["seed", "week", "model", "oracle", "habit", "habit_best_mean"])
    share, ratio, strict = frame["model"] / frame["oracle"], frame["model"] / frame["habit"], frame["model"] / frame["habit_best_mean"]
    print(f"\nweeks: {'; '.join(WEEKS)}; {args.teams} teams x 7 days, one 2-hour session a day, 06:00-22:00")
    print(f"all runs: model/oracle min {share.min():.2f} mean {share.mean():.2f} (target >= 0.75)")
    print(f"          model/habit min {ratio.min():.2f} mean {ratio.mean():.2f} (target >= 2)")
    print(f"          model/habit(best mean) min {strict.min():.2f} mean {strict.mean():.2f}; oracle/habit(best mean) min {(frame['oracle'] / frame['habit_best_mean']).min():.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
