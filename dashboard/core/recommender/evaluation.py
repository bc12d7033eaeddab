"""Time-split backtest of the recommender against simple baselines; its results become the model card.

Train on everything before a cutoff, score the sessions after it. Baselines:

* ``type_average``: the mean of the site's kind of place (what a planner might assume);
* ``habit``: each site's own historical mean at whatever hours it was visited, shrunk to its type's mean (the
  knowledge behind "go back to the sites that worked, at the usual hour").

Metrics: mean Poisson deviance (lower is better) and the weekly top-k hit rate (of the k sessions that really
signed up the most in a week, how many the predictor ranked in its own top k).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from dashboard.core.recommender.model import (
    ESTIMATORS,
    PREFERRED,
    PREFERRED_TOLERANCE,
    TARGETS,
    deviance,
    make_model,
)

HOLDOUT_DAYS = 365
MIN_HOLDOUT_DAYS = 28
MIN_TRAIN, MIN_TEST = 150, 40  # sessions on each side of the split for a backtest worth reading
TOP_K = 10


def holdout_for(history: pd.DataFrame, holdout_days: int = HOLDOUT_DAYS) -> int:
    """The held-out span: a year, or the last quarter of a shorter history (at least four weeks)."""
    span = (history["date"].max() - history["date"].min()).days if len(history) else 0
    return int(min(holdout_days, max(MIN_HOLDOUT_DAYS, span // 4)))


def baseline_predictions(train: pd.DataFrame, test: pd.DataFrame, target: str) -> dict[str, np.ndarray]:
    type_mean = train.groupby("model_type")[target].mean()
    overall = train[target].mean()
    by_type = test["model_type"].map(type_mean).fillna(overall).to_numpy(dtype=float)
    site = train.groupby("site_id")[target].agg(["sum", "count"])
    site_type = train.groupby("site_id")["model_type"].first().map(type_mean)
    shrunk = (site["sum"] + 5 * site_type) / (site["count"] + 5)  # five sessions' worth of the type's mean
    habit = test["site_id"].map(shrunk).fillna(pd.Series(by_type, index=test.index)).to_numpy(dtype=float)
    return {"type_average": by_type, "habit": habit}


def top_k_hit_rate(frame: pd.DataFrame, predicted: np.ndarray, target: str, k: int = TOP_K) -> float:
    """Mean over weeks (with at least 2k sessions) of |top-k predicted ∩ top-k actual| / k."""
    df = pd.DataFrame(
        {"week": frame["date"].dt.to_period("W").to_numpy(), "y": frame[target].to_numpy(), "p": predicted}
    )
    rng = np.random.default_rng(0)
    df["tie"] = rng.random(len(df))  # break ties at random, not by row order
    rates = []
    for _, g in df.groupby("week"):
        if len(g) < 2 * k:
            continue
        actual = set(g.sort_values(["y", "tie"], ascending=False).index[:k])
        guess = set(g.sort_values(["p", "tie"], ascending=False).index[:k])
        rates.append(len(actual & guess) / k)
    return float(np.mean(rates)) if rates else float("nan")


def calibration(model: Any, test: pd.DataFrame, bins: int = 10) -> list[dict]:
    """Held-out sessions in ten groups by expected applications: mean expected beside mean actual, and the share of
    sessions whose actual count fell inside the 80% interval (0.8 when the intervals are honest)."""
    predicted = model.predict(test)
    frame = pd.DataFrame(
        {
            "expected": predicted["applications"].to_numpy(),
            "actual": test["applications"].to_numpy(dtype=float),
            "inside": (
                (test["applications"].to_numpy() >= predicted["applications_low"].to_numpy())
                & (test["applications"].to_numpy() <= predicted["applications_high"].to_numpy())
            ),
        }
    )
    frame["bin"] = pd.qcut(frame["expected"].rank(method="first"), min(bins, len(frame)), labels=False)
    grouped = frame.groupby("bin").agg(
        expected=("expected", "mean"), actual=("actual", "mean"), inside=("inside", "mean"), sessions=("actual", "size")
    )
    return [
        {k: (int(v) if k == "sessions" else round(float(v), 3)) for k, v in row.items()}
        for row in grouped.to_dict("records")
    ]


def choose(scores: dict, estimators: Sequence[str]) -> str:
    """The lowest held-out deviance, except that the preferred model stays unless it is clearly worse (see
    :data:`model.PREFERRED_TOLERANCE`)."""
    best = min(estimators, key=lambda k: scores[k]["deviance_applications"])
    curves = [k for k in estimators if k in PREFERRED]
    if curves:
        curve = min(curves, key=lambda k: scores[k]["deviance_applications"])
        if scores[curve]["deviance_applications"] <= PREFERRED_TOLERANCE * scores[best]["deviance_applications"]:
            return curve
    return best


def backtest(
    history: pd.DataFrame,
    *,
    holdout_days: int = HOLDOUT_DAYS,
    estimators: Sequence[str] = ESTIMATORS,
    random_state: int = 0,
    progress: Callable[[float, str], object] | None = None,
) -> dict:
    """Choose the estimator on a time split and report it against the baselines.

    Returns
    -------
    dict
        The model card's evaluation: split dates, per-predictor deviance and hit rates, the chosen estimator,
        the fitted dispersion, and the chosen model itself under ``"model"`` (fitted on the training part).
    """
    cutoff = history["date"].max() - pd.Timedelta(days=holdout_for(history, holdout_days))
    train, test = history[history["date"] < cutoff], history[history["date"] >= cutoff]
    if len(train) < MIN_TRAIN or len(test) < MIN_TEST:
        raise ValueError(
            f"not enough history for a backtest: {len(train)} sessions before {cutoff.date()}, {len(test)} after"
        )
    scores: dict[str, dict] = {}
    fitted = {}
    for i, kind in enumerate(estimators):
        if progress:
            progress(i / (len(estimators) + 1), f"backtest: {kind}")
        t0 = time.perf_counter()
        model = make_model(kind, random_state=random_state).fit(train)
        fitted[kind] = model
        scores[kind] = {"fit_seconds": round(time.perf_counter() - t0, 1)}
        for target in TARGETS:
            mu = model.predict_mean(test, target)
            scores[kind][f"deviance_{target}"] = deviance(test[target].to_numpy(), mu)
            scores[kind][f"top{TOP_K}_hit_{target}"] = top_k_hit_rate(test, mu, target)
    for target in TARGETS:
        for name, mu in baseline_predictions(train, test, target).items():
            scores.setdefault(name, {})[f"deviance_{target}"] = deviance(test[target].to_numpy(), mu)
            scores[name][f"top{TOP_K}_hit_{target}"] = top_k_hit_rate(test, mu, target)
    chosen = choose(scores, estimators)
    model = fitted[chosen].calibrate(test)
    return {
        "calibration": calibration(model, test),
        "train_from": str(train["date"].min().date()),
        "train_to": str(train["date"].max().date()),
        "test_from": str(test["date"].min().date()),
        "test_to": str(test["date"].max().date()),
        "train_sessions": int(len(train)),
        "test_sessions": int(len(test)),
        "chosen": chosen,
        "scores": scores,
        "dispersion": model.dispersion_,
        "model": model,
    }
