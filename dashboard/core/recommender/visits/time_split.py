"""The visit model's backtest on a time split: the model against largest-first and longest-unvisited on the visits
actually made after a cutoff, and its calibration by decile pooled over several 90-day windows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .common import (
    ESTIMATORS,
    HORIZON_DAYS,
    day_number,
    day_numbers,
    founding_days,
    positions,
    staff_of,
    unvisited_key,
)
from .founding_model import VisitModel, probability_scores
from .history_features import features, member_rates

CALIBRATION_FOLDS = 4  # 90-day windows whose visits the calibration deciles pool (the latest and three before it)


def _fold(
    register: pd.DataFrame, visits: pd.DataFrame, cutoff: Any, fday: np.ndarray
) -> tuple[VisitModel, pd.DataFrame, pd.DataFrame, np.ndarray, pd.DataFrame]:
    """One backtest window: the model fitted on what was known at ``cutoff``, the visits before it, the first visit
    in ``[cutoff, cutoff + 90 days)`` of each enterprise without a union at ``cutoff``, those enterprises' positions
    in ``register`` and the features of the whole register as of ``cutoff``."""
    t0 = day_number(cutoff)
    vday = day_numbers(visits["visited_on"]) if len(visits) else np.zeros(0)
    past = visits[vday < t0]
    window = visits[(vday >= t0) & (vday < t0 + HORIZON_DAYS)]
    model = VisitModel().fit(register, visits, cutoff)
    X = features(register, past, cutoff)
    first = window.sort_values("visited_on").drop_duplicates("enterprise_id")
    pos = first["enterprise_id"].astype(str).map(positions(register))
    first = first[pos.notna().to_numpy()]
    pos = pos.dropna().to_numpy(dtype=np.int64)
    open_ = ~(fday[pos] < t0)  # no union of its own at the cutoff
    return model, past, first[open_], pos[open_], X


def backtest(register: pd.DataFrame, visits: pd.DataFrame, cutoff: Any, capacity: int | None = None) -> dict[str, Any]:
    """Score the model against the simple policies on the visits actually made in ``[cutoff, cutoff + 90 days)``.

    The model (and each estimator alone) is fitted on what was known before ``cutoff``. The test set is every
    enterprise without a union at ``cutoff`` that was visited in the window (its first visit there), labelled by
    whether it founded within 90 days of that visit, with the members its founding brought. Each policy ranks the
    test enterprises by its own score as of ``cutoff`` (model: P x expected members; largest first: staff; longest
    unvisited: never visited first, then days since the last contact); ``members_captured_*`` is the share of the
    founded members in its top ``k`` (``capacity``, else 20 % of the test visits). AUC, log-loss and Brier of the
    model are given beside a constant base rate's.

    What this can and cannot tell: it is off-policy. It only sees enterprises someone chose to visit, under the
    staff's own habits, and only what happened after *that* visit; it says how well each policy orders those, not
    what an enterprise nobody visited would have done, nor what a plan that visits other enterprises would reap.
    An enterprise the staff avoided (never visited, far away, an unusual industry) is absent, so a policy that
    favours such enterprises is neither rewarded nor punished here. Use it to compare rankings and calibration over
    time; the synthetic worlds of ``bench/visits_quality.py`` (with a known truth) measure plans.
    """
    fday = founding_days(register, visits)
    model, past, first, pos, X = _fold(register, visits, cutoff, fday)
    out: dict[str, Any] = {
        "cutoff": pd.Timestamp(cutoff).date().isoformat(),
        "train_rows": int(model.rows_),
        "train_positives": int(model.positives_),
        "estimator": model.estimator_,
        "uses_prior": bool(model.uses_prior),
    }
    out["test_visits"] = len(pos)
    if not len(pos):
        return out
    t = day_numbers(first["visited_on"])
    y = ((fday[pos] >= t) & (fday[pos] - t <= HORIZON_DAYS)).astype(int)
    staff = np.nan_to_num(staff_of(register)[pos], nan=float(np.nanmedian(staff_of(register))))
    rate = member_rates(register, past)[pos]
    got = pd.to_numeric(
        first["enterprise_id"]
        .astype(str)
        .map(
            visits[visits["outcome"].astype("string") == "founded"]
            .assign(enterprise_id=lambda f: f["enterprise_id"].astype(str))
            .groupby("enterprise_id")["members"]
            .max()
        ),
        errors="coerce",
    ).to_numpy(dtype=float)
    members = np.where(y == 1, np.where(np.isnan(got), staff * rate, got), 0.0)
    Xt = X.iloc[pos]
    p = model.predict_features(Xt)
    k = int(capacity) if capacity else max(1, round(0.2 * len(pos)))
    k = min(k, len(pos))
    total = float(members.sum())
    policies = {
        "model": p * staff * rate,
        "largest": staff,
        "unvisited": unvisited_key(Xt["contacts"].to_numpy(), Xt["days_since"].to_numpy(), staff),
    }
    out.update({"k": k, "test_foundings": int(y.sum()), "test_members": total})
    for name, score in policies.items():
        top = np.argsort(-score, kind="stable")[:k]
        out[f"members_captured_{name}"] = float(members[top].sum() / total) if total else float("nan")
    out["members_captured_random"] = k / len(pos)
    out.update(probability_scores(y, p, model.base_rate_))
    # calibration pooled over this window and the CALIBRATION_FOLDS - 1 before it, each judged by a model fitted on
    # what was known at its own cutoff: one 90-day window holds a few hundred visits, 40 a decile, and a decile's
    # realised share then swings by a third from chance alone
    ps, ys = [p], [y]
    for fold in range(1, CALIBRATION_FOLDS):
        earlier = pd.Timestamp(cutoff) - pd.Timedelta(days=HORIZON_DAYS * fold)
        m, _, f, at, Xf = _fold(register, visits, earlier, fday)
        if not len(at) or m.uses_prior:
            break
        tf = day_numbers(f["visited_on"])
        ps.append(m.predict_features(Xf.iloc[at]))
        ys.append(((fday[at] >= tf) & (fday[at] - tf <= HORIZON_DAYS)).astype(int))
    out["calibration"] = calibration_deciles(np.concatenate(ps), np.concatenate(ys))
    out["calibration_windows"] = len(ps)
    for kind in ESTIMATORS:
        if model.uses_prior:
            break
        alone = VisitModel(kind).fit(register, visits, cutoff)
        s = probability_scores(y, alone.predict_features(Xt), model.base_rate_)
        out[f"{kind}_auc"], out[f"{kind}_log_loss"] = s["auc"], s["log_loss"]
    return out


def calibration_deciles(p: np.ndarray, y: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """The test visits in ``bins`` equal groups by predicted P (fewer when there are few visits): each group's mean
    predicted P beside the share that founded within 90 days, and its size. An honest model's two agree."""
    n = len(p)
    if n == 0:
        return []
    k = max(1, min(bins, n // 20 or 1))  # at least 20 visits a group, else a realised share says nothing
    group = np.minimum((np.argsort(np.argsort(p, kind="stable"), kind="stable") * k) // n, k - 1)
    return [
        {
            "decile": int(g + 1),
            "predicted": float(p[group == g].mean()),
            "realised": float(y[group == g].mean()),
            "visits": int((group == g).sum()),
        }
        for g in range(k)
    ]
