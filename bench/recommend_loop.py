"""Benchmark: does the recommender learn from its own results? Ten weeks of plan -> results -> retrain -> plan.

For each world: load it as an upload does and train the model; then each week

1. plan the week with the model (exploration share as given), and with the oracle (the truth) and the habit plan,
   each playing its own trajectory (its own visits saturate its own later picks);
2. draw each planned session's results from the world's truth (negative-binomial noise, as the history was drawn);
3. import them through the same path as an upload (``ingest.import_sessions`` of a results sheet), and retrain the
   model as an upload's retrain does (``store.train``);
4. plan the next week.

Printed per week and in total: the model plan's true expected applications as a share of the oracle's, its ratio to
the habit plan, and how many never-visited sites and untried site-hours it tried. Targets on the hard worlds: total
>= 0.8 of the oracle, the last half above the first half, >= 3x habit; on the default sample no worse than the
greedy plan of today (exploration 0).

Usage::

    python bench/recommend_loop.py [--worlds default city_24m chaoyang_18m tongzhou_24m] [--weeks 10] [--explore 0 0.2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from reference import StructuredReference
from worlds import habit_plan, load, request_for, true_value

from dashboard.core.intake import ingest
from dashboard.core.recommender import features, planner, recommend, store
from dashboard.core.recommender.model import band_of
from data import sample

FIRST_WEEK = dt.date(2026, 11, 2)  # the Monday after the histories end


def results_sheet(plan: pd.DataFrame, loaded, consultations, applications, week: int) -> bytes:
    """The week's results as a team would upload them (English headers; a session id per planned session)."""
    sites = loaded.world.sites.set_index("site_id")["district"]
    frame = pd.DataFrame(
        {
            "session_id": [f"LOOP{week:02d}-{i:03d}" for i in range(len(plan))],
            "session_type": "worker",
            "date": [d.isoformat() for d in plan["date"]],
            "start_time": [f"{m // 60:02d}:{m % 60:02d}" for m in plan["start_min"]],
            "end_time": [f"{m // 60:02d}:{m % 60:02d}" for m in plan["end_min"]],
            "district": plan["site_id"].map(sites).to_numpy(),
            "site_id": plan["site_id"].to_numpy(),
            "consultations": consultations,
            "applications": applications,
            "members_joined": applications,
        }
    )
    return sample.to_csv_bytes(frame)


def with_days_since(plan: pd.DataFrame, last: dict) -> pd.DataFrame:
    rows = plan.sort_values(["date", "start_min"]).copy()
    seen, since = dict(last), []
    for site, day in zip(rows["site_id"], rows["date"], strict=True):
        prev = seen.get(site)
        since.append(np.nan if prev is None else max((day - prev).days, 0.5))
        seen[site] = day
    rows["days_since"] = since
    rows["date"] = pd.to_datetime(rows["date"])
    return rows


def advance(last: dict, plan: pd.DataFrame) -> dict:
    out = dict(last)
    for site, day in zip(plan["site_id"], plan["date"], strict=True):
        out[site] = max(out.get(site, day), day)
    return out


def run(spec: sample.World, share: float, weeks: int, tmp: Path) -> pd.DataFrame:
    loaded = load(spec, tmp)
    truth = loaded.world.truth
    history = features.load_history(loaded.engine)
    rng = np.random.default_rng([spec.seed, 7])
    last_model = recommend.last_visits(loaded.engine)
    last_oracle, last_habit, last_ref = dict(last_model), dict(last_model), dict(last_model)
    # the reference learner (bench/reference.py) plays its own trajectory and learns from its own results
    ref_history = history[["site_id", "date", "start_min", "end_min", "applications", "days_since"]].copy()
    ref_rng = np.random.default_rng([spec.seed, 8])
    rows = []
    for week in range(weeks):
        start = FIRST_WEEK + dt.timedelta(days=7 * week)
        sites = features.load_sites(loaded.engine)
        request = request_for(loaded, start, exploration=share)
        predictor = recommend.CalendarPredictor(loaded.model.model, None)
        t0 = time.perf_counter()
        plan = planner.plan(predictor, sites, last_model, request)
        plan_s = time.perf_counter() - t0
        n_tried, _ = predictor.tried(with_days_since(plan, last_model))
        visited = set(recommend.last_visits(loaded.engine))
        model_value = true_value(truth, plan, last_model)
        oracle = planner.plan(truth, sites, last_oracle, request_for(loaded, start, exploration=0.0))
        habit = habit_plan(history, request)
        oracle_value, habit_value = true_value(truth, oracle, last_oracle), true_value(truth, habit, last_habit)
        reference = StructuredReference(spec, truth).fit(ref_history)
        ref_plan = planner.plan(reference, sites, last_ref, request_for(loaded, start, exploration=0.0))
        ref_value = true_value(truth, ref_plan, last_ref)
        ref_drawn = with_days_since(ref_plan, last_ref)
        _, ref_apps = sample.observe(truth, ref_rng, ref_drawn)
        ref_history = pd.concat(
            [
                ref_history,
                ref_drawn[["site_id", "date", "start_min", "end_min", "days_since"]].assign(applications=ref_apps),
            ],
            ignore_index=True,
        )
        last_ref = advance(last_ref, ref_plan)
        drawn = with_days_since(plan, last_model)
        consultations, applications = sample.observe(truth, rng, drawn)
        drawn["date"] = drawn["date"].dt.date
        report = ingest.import_sessions(
            loaded.engine,
            results_sheet(drawn, loaded, consultations, applications, week),
            f"week{week}.csv",
            today=start + dt.timedelta(days=6),
        )
        assert report.status == "written" and report.inserted == len(plan), [p.en for p in report.errors][:3]
        t1 = time.perf_counter()
        loaded.model = store.train(loaded.engine, directory=loaded.directory)  # as an upload's retrain does
        train_s = time.perf_counter() - t1
        last_model, last_oracle, last_habit = (
            advance(last_model, plan),
            advance(last_oracle, oracle),
            advance(last_habit, habit),
        )
        rows.append(
            {
                "world": spec.name,
                "share": share,
                "week": week + 1,
                "model": model_value,
                "oracle": oracle_value,
                "reference": ref_value,
                "habit": habit_value,
                "actual": int(np.sum(applications)),
                "sessions": len(plan),
                "learning_picks": int(plan["learn"].sum()),
                "new_sites": int((~plan["site_id"].isin(visited)).sum()),
                "untried_hours": int((n_tried == 0).sum()),
                "bands": len(set(zip(plan["site_id"], band_of(plan["start_min"], plan["end_min"]), strict=True))),
                "plan_s": plan_s,
                "train_s": train_s,
            }
        )
        r = rows[-1]
        print(
            f"{spec.name:<20} explore {share:<4g} week {week + 1:>2}: model/oracle {model_value / oracle_value:4.2f}  "
            f"reference/oracle {ref_value / oracle_value:4.2f}  "
            f"model/habit {model_value / habit_value:4.1f}"
            f"  tried {r['new_sites']:>2} never-visited sites, {r['untried_hours']:>2} untried site-hours  (plan "
            f"{plan_s:.1f} s, retrain {train_s:.0f} s)",
            flush=True,
        )
    return pd.DataFrame(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--worlds", nargs="+", default=["default", "city_24m", "chaoyang_18m", "tongzhou_24m", "haidian_new_6m"]
    )
    parser.add_argument("--weeks", type=int, default=10)
    parser.add_argument("--explore", type=float, nargs="+", default=[0.0, planner.DEFAULT_EXPLORATION])
    args = parser.parse_args()
    frames = []
    for name in args.worlds:
        for share in args.explore:
            with tempfile.TemporaryDirectory() as tmp:
                frames.append(run(sample.world(name), share, args.weeks, Path(tmp)))
    frame = pd.concat(frames, ignore_index=True)
    half = args.weeks // 2
    print(
        f"\n{args.weeks} weeks; per world and exploration share: total true expected applications as a share of the "
        "oracle's"
    )
    summary = []
    for (name, share), g in frame.groupby(["world", "share"], sort=False):
        first, last = g[g["week"] <= half], g[g["week"] > half]
        summary.append(
            {
                "world": name,
                "share": share,
                "total": g["model"].sum() / g["oracle"].sum(),
                "first_half": first["model"].sum() / first["oracle"].sum(),
                "last_half": last["model"].sum() / last["oracle"].sum(),
                "habit": g["model"].sum() / g["habit"].sum(),
                "reference": g["reference"].sum() / g["oracle"].sum(),
                "ref_first": first["reference"].sum() / first["oracle"].sum(),
                "ref_last": last["reference"].sum() / last["oracle"].sum(),
                "new_sites": g["new_sites"].sum(),
                "untried_hours": g["untried_hours"].sum(),
                "plan_s": g["plan_s"].mean(),
            }
        )
    table = pd.DataFrame(summary)
    with pd.option_context("display.width", 200, "display.float_format", "{:.2f}".format):
        print(table.to_string(index=False))
    hard = table[table["world"] != "default"]
    for share, g in hard.groupby("share"):
        print(
            f"hard worlds, exploration {share:g}: total mean {g['total'].mean():.2f} worst {g['total'].min():.2f}; "
            f"last half above first in {(g['last_half'] > g['first_half']).sum()} of {len(g)}; model/habit mean "
            f"{g['habit'].mean():.1f}"
        )
        gap = g["reference"] - g["total"]
        print(
            f"  no method could know from this history (1 - reference/oracle): mean {1 - g['reference'].mean():.2f} "
            f"worst {1 - g['reference'].min():.2f}; a better learner would gain (reference - model): mean "
            f"{gap.mean():.2f} worst {gap.max():.2f}"
        )
    print(
        "targets (hard worlds): total >= 0.8 of the oracle, last half above the first, >= 3x habit; default sample no "
        "worse than exploration 0"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
