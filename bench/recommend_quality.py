"""Benchmark: how good are the recommender's plans on worlds it was not built around, judged by their ground truth?

For each world of ``data.sample.WORLDS`` (the default sample, and eight built differently: shorter histories,
sites never visited, sites unlike their type, planners set in their ways): generate it, import it as an upload
does, train the model as an upload's retrain does, then plan a normal week and a holiday week three ways with the
same constraints:

* model  - the planner driven by the trained model (what users get), with and without exploration;
* oracle - the same planner driven by the ground truth itself (an upper reference);
* knowable - the planner driven by what the history could at best reveal: the truth, except that sites never
  visited look like their type (size aside). What separates it from the oracle no method could know;
* reference - the planner driven by a learner told the world's equations (rest-time curves by kind of worker,
  saturation, seasons) but not any site's parameters, which it estimates from the same history
  (bench/reference.py). Oracle minus reference is roughly what no method could know from this history; reference
  minus model what a better learner would gain;
* habit  - each team at the sites with the most sign-ups in history, at each site's usual start hour.

Each plan is scored by its true expected applications, saturation included. Targets over the family (not counting
the default sample): model mean >= 0.75 of the oracle, worst world >= 0.6, >= 3x the habit plan.

Usage::

    python bench/recommend_quality.py [--worlds default city_24m ...] [--estimators hgb_poisson]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import pandas as pd
from reference import StructuredReference
from worlds import ROOT, habit_plan, load, model_plan, oracle_plan, request_for, true_value  # noqa: F401

from dashboard.core.recommender import features, planner, recommend
from data import sample

WEEKS = {"normal": dt.date(2026, 11, 16), "holiday": dt.date(2027, 2, 6)}  # Spring Festival 2027, provisional calendar


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worlds", nargs="+", default=[w.name for w in sample.WORLDS])
    parser.add_argument("--estimators", nargs="+", help="limit the backtest's candidates (default: all, as an upload)")
    parser.add_argument(
        "--explore",
        type=float,
        nargs="+",
        default=None,
        help="exploration shares to compare (default: off and the default)",
    )
    args = parser.parse_args()
    from dashboard.core.recommender.planner import DEFAULT_EXPLORATION

    shares = args.explore if args.explore is not None else sorted({0.0, DEFAULT_EXPLORATION})
    rows = []
    for name in args.worlds:
        spec = sample.world(name)
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            loaded = load(spec, Path(tmp), estimators=args.estimators)
            train_s = time.perf_counter() - t0
            history = features.load_history(loaded.engine)
            sites = features.load_sites(loaded.engine)
            last = recommend.last_visits(loaded.engine)
            knowable_truth = loaded.world.truth.knowable(history["site_id"].unique())
            reference_model = StructuredReference(spec, loaded.world.truth).fit(history)
            estimator = loaded.model.card["estimator"] if loaded.model else "-"
            for week, start in WEEKS.items():
                request = request_for(loaded, start)
                oracle = true_value(loaded.world.truth, oracle_plan(loaded, request, last, sites), last)
                knowable = true_value(loaded.world.truth, planner.plan(knowable_truth, sites, last, request), last)
                habit = true_value(loaded.world.truth, habit_plan(history, request), last)
                reference = true_value(loaded.world.truth, planner.plan(reference_model, sites, last, request), last)
                row = {
                    "world": name,
                    "week": week,
                    "sessions": len(history),
                    "teams": request.teams,
                    "oracle": oracle,
                    "knowable": knowable,
                    "reference": reference,
                    "habit": habit,
                }
                for share in shares:
                    request = request_for(loaded, start, exploration=share)
                    t1 = time.perf_counter()
                    plan = model_plan(loaded, request, last, sites)
                    row[f"plan_s@{share:g}"] = time.perf_counter() - t1
                    row[f"model@{share:g}"] = true_value(loaded.world.truth, plan, last)
                rows.append(row)
                got = "  ".join(
                    f"explore {s:g}: {row[f'model@{s:g}'] / oracle:4.2f} of oracle, "
                    f"{row[f'model@{s:g}'] / habit:4.1f}x habit"
                    for s in shares
                )
                print(
                    f"{name:<22} {week:<8} {len(history):>6} sessions  oracle {oracle:7.1f}  knowable "
                    f"{knowable / oracle:4.2f}  reference {reference / oracle:4.2f}  habit {habit:6.1f}  {got}  (train "
                    f"{train_s:.0f} s, {estimator})",
                    flush=True,
                )
    frame = pd.DataFrame(rows)
    family = frame[frame["world"] != "default"]
    print("\nworld family (without the default sample), per world = mean of its two weeks:")
    for share in shares:
        by_world = (
            family.assign(
                share=family[f"model@{share:g}"] / family["oracle"], ratio=family[f"model@{share:g}"] / family["habit"]
            )
            .groupby("world")[["share", "ratio"]]
            .mean()
        )
        default = frame[frame["world"] == "default"]
        d_share = (default[f"model@{share:g}"] / default["oracle"]).mean() if len(default) else float("nan")
        print(
            f"  exploration {share:g}: model/oracle mean {by_world['share'].mean():.2f} worst "
            f"{by_world['share'].min():.2f} ({by_world['share'].idxmin()})"
            f"  model/habit mean {by_world['ratio'].mean():.1f} worst {by_world['ratio'].min():.1f}"
            f"  | default sample {d_share:.2f}  | planning {frame[f'plan_s@{share:g}'].mean():.2f} s a week"
        )
    ceiling = (family["knowable"] / family["oracle"]).groupby(family["world"]).mean()
    print(
        f"  what the history could reveal at best (knowable/oracle): mean {ceiling.mean():.2f} worst "
        f"{ceiling.min():.2f};"
        f" oracle/habit mean {(family['oracle'] / family['habit']).mean():.1f} worst "
        f"{(family['oracle'] / family['habit']).groupby(family['world']).mean().min():.1f}"
    )
    ref = (family["reference"] / family["oracle"]).groupby(family["world"]).mean()
    for share in shares:
        model = (family[f"model@{share:g}"] / family["oracle"]).groupby(family["world"]).mean()
        gap = ref - model
        print(
            f"  exploration {share:g}: no method could know from this history (1 - reference/oracle) mean "
            f"{1 - ref.mean():.2f} worst {1 - ref.min():.2f} ({ref.idxmin()}); a better learner would gain "
            f"(reference - model) mean {gap.mean():.2f} worst {gap.max():.2f} ({gap.idxmax()})"
        )
    print("targets: model/oracle mean >= 0.75, worst >= 0.6, model/habit >= 3")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
