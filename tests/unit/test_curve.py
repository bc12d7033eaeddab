"""The hours as a half-hour curve integrated over each session's window, and planning by posterior draws."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from dashboard.core.recommender import features, planner
from dashboard.core.recommender.curve import CurveModel, slot_overlap, window_integral

DISTRICT = "110105"
TYPE = "office_cluster"


def _mean(peak_h: float, start_min: float, end_min: float) -> float:
    """Expected sign-ups of a window at a place whose workers rest in a peak an hour wide at ``peak_h``."""
    hours = np.arange(start_min, end_min, 5) / 60 + 5 / 120  # 5-minute steps
    return float(1.0 + np.sum(24 * np.exp(-0.5 * ((hours - peak_h) / 0.42) ** 2)) * 5 / 60)


def _history(rng, peaks: dict[str, float], sessions: int, starts=None) -> pd.DataFrame:
    days = pd.bdate_range("2025-01-06", "2026-06-30")
    rows = []
    for site, peak in peaks.items():
        for day in rng.choice(days, sessions, replace=False):
            start = int(rng.choice(starts if starts is not None else np.arange(7 * 60, 19 * 60 + 1, 30)))
            rows.append(_row(site, pd.Timestamp(day), start, start + 120, rng.poisson(_mean(peak, start, start + 120))))
    return _ordered(pd.DataFrame(rows))


def _row(site: str, day, start: int, end: int, applications: int) -> dict:
    return {
        "session_key": f"{site}-{day}-{start}",
        "site_id": site,
        "date": pd.Timestamp(day),
        "start_min": start,
        "end_min": end,
        "model_type": TYPE,
        "site_type": TYPE,
        "district": DISTRICT,
        "workers_nearby": 8000,
        "applications": applications,
        "consultations": applications * 4,
    }


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.sort_values(["date", "start_min"], kind="stable").reset_index(drop=True)
    frame["days_since"] = features.days_since_previous(frame)
    return frame


def _sites(ids) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "site_id": list(ids),
            "name": list(ids),
            "site_type": TYPE,
            "model_type": TYPE,
            "district": DISTRICT,
            "street_code": None,
            "workers_nearby": 8000,
            "lat": 39.9,
            "lon": 116.4,
        }
    )


def _grid(site: str, day="2026-07-07", length=120) -> pd.DataFrame:
    starts = np.arange(7 * 60, 20 * 60 + 1, 30)
    return pd.DataFrame(
        {
            "site_id": site,
            "model_type": TYPE,
            "district": DISTRICT,
            "workers_nearby": 8000,
            "date": pd.Timestamp(day),
            "start_min": starts,
            "end_min": starts + length,
        }
    )


def test_a_windows_integral_is_the_hand_computed_sum_over_its_half_hours():
    curve = np.ones(48)
    curve[20], curve[21] = 2.0, 4.0  # 10:00-10:30 and 10:30-11:00
    # 10:15-11:15: a quarter hour at 2, half an hour at 4, a quarter hour at 1
    assert window_integral(curve, [10 * 60 + 15], [11 * 60 + 15])[0] == pytest.approx(0.25 * 2 + 0.5 * 4 + 0.25 * 1)
    overlap = slot_overlap([9 * 60 + 50], [10 * 60 + 40])
    assert overlap[0, 19] == pytest.approx(10 / 60) and overlap[0, 20] == pytest.approx(0.5)
    assert overlap[0, 21] == pytest.approx(10 / 60) and overlap.sum() == pytest.approx(50 / 60)


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(5)
    peaks = {f"O{i}": 12.0 for i in range(10)} | {"A": 15.0}  # A: its workers rest three hours later
    history = _history(rng, peaks, 50)
    return history, CurveModel().fit(history)


def test_a_sessions_expectation_is_the_sum_of_its_half_hours(fitted):
    """What only an integral model does: a 2-hour window expects exactly what its four half hours expect."""
    _, model = fitted
    whole = _grid("O1").iloc[[6]]  # 10:00-12:00
    halves = pd.concat(
        [
            whole.assign(start_min=whole["start_min"] + 30 * i, end_min=whole["start_min"] + 30 * (i + 1))
            for i in range(4)
        ]
    )
    assert model.predict_mean(whole)[0] == pytest.approx(model.predict_mean(halves).sum(), rel=1e-9)


def test_the_learned_curve_finds_each_sites_peak_to_the_half_hour(fitted):
    _, model = fitted
    for site, peak in (("O3", 12.0), ("A", 15.0)):
        grid = _grid(site, length=60)
        best = grid["start_min"].iloc[int(np.argmax(model.predict_mean(grid)))]
        assert abs((best + 30) / 60 - peak) <= 0.5, (site, best)


def test_a_site_whose_peak_differs_from_its_types_by_two_hours_is_found_within_four_sessions():
    """History at the habitual morning hours only for the new site; its workers rest at 14:00, its type's at 12:00.
    Each week the plan (learning on, the site's hours drawn too) sends one team there; after at most four sessions
    the model's best window there covers 14:00. (Planning by the mean alone does not get there: the type's curve
    says 14:00 is poor, and only the posterior's doubt sends a session to find out.)"""
    rng = np.random.default_rng(11)
    peaks = {f"O{i}": 12.0 for i in range(8)} | {"B1": 10.0, "B2": 14.5, "B3": 16.0}
    history = _history(rng, peaks, 40)
    habitual = _history(rng, {"N": 14.0}, 6, starts=[9 * 60, 9 * 60 + 30])
    history = _ordered(pd.concat([history, habitual], ignore_index=True))
    sites = _sites([*peaks, "N"])
    day = dt.date(2026, 7, 6)
    grid = _grid("N", day=str(day))
    model = CurveModel().fit(history)  # each fit serves the check of its week and the plan of the next
    before = int(grid["start_min"].iloc[int(np.argmax(model.predict_mean(grid)))])
    assert not before <= 14 * 60 < before + 120  # the history alone points at its type's hours
    found_after = None
    for tried in range(1, 5):
        request = planner.PlanRequest(
            start=day, days=1, teams=1, exclude=set(peaks), exploration=0.2, seed=tried, explore_hours=True
        )
        pick = planner.plan(_Plain(model), sites, {}, request).iloc[0]
        history = _ordered(
            pd.concat(
                [
                    history,
                    pd.DataFrame(
                        [
                            _row(
                                "N",
                                day,
                                int(pick.start_min),
                                int(pick.end_min),
                                rng.poisson(_mean(14.0, pick.start_min, pick.end_min)),
                            )
                        ]
                    ),
                ],
                ignore_index=True,
            )
        )
        day += dt.timedelta(days=7)
        grid = _grid("N", day=str(day))
        model = CurveModel().fit(history)
        best = int(grid["start_min"].iloc[int(np.argmax(model.predict_mean(grid)))])
        if best <= 14 * 60 < best + 120:
            found_after = tried
            break
    assert found_after is not None and found_after <= 4


class _Plain:
    """The model as the planner's predictor without a calendar (what recommend.CalendarPredictor does with one)."""

    def __init__(self, model):
        self.model = model

    def predict_mean(self, frame, target="applications"):
        return self.model.predict_mean(frame, target)

    def uncertainty(self, frame):
        return self.model.uncertainty(frame)

    def tried(self, frame):
        return self.model.tried(frame)

    def sampler(self, seed, hours=False):
        return self.model.sampler(seed, hours)


def _week(model, sites, **kwargs):
    request = planner.PlanRequest(start=dt.date(2026, 7, 6), days=5, teams=2, **kwargs)
    predictor = model if isinstance(model, _MeanOnly) else _Plain(model)
    return planner.plan(predictor, sites, {}, request)


def test_fixed_seeds_give_identical_plans_and_another_seed_another_draw(fitted):
    history, model = fitted
    sites = _sites(history["site_id"].unique())
    first, again = _week(model, sites, exploration=0.2, seed=1), _week(model, sites, exploration=0.2, seed=1)
    pd.testing.assert_frame_equal(first, again)
    refit = CurveModel().fit(history)  # the fit itself is deterministic too
    pd.testing.assert_frame_equal(first, _week(refit, sites, exploration=0.2, seed=1))
    others = [_week(model, sites, exploration=0.2, seed=s) for s in (2, 3, 4)]
    assert any(not o[["site_id", "start_min"]].equals(first[["site_id", "start_min"]]) for o in others)


def test_learning_off_is_the_greedy_plan_by_expected_value(fitted):
    history, model = fitted
    sites = _sites(history["site_id"].unique())
    off = _week(model, sites, exploration=0.0)
    mean_only = _week(_MeanOnly(model), sites, exploration=0.2)  # nothing to draw from: greedy whatever the setting
    pd.testing.assert_frame_equal(off, mean_only)
    assert not off["learn"].any()
    drawn = _week(model, sites, exploration=0.2, seed=1)
    assert drawn["expected_applications"].sum() <= off["expected_applications"].sum() + 1e-9


class _MeanOnly:
    def __init__(self, model):
        self.model = model

    def predict_mean(self, frame, target="applications"):
        return self.model.predict_mean(frame, target)


def test_the_backtest_keeps_the_better_curve_model_unless_it_is_clearly_worse():
    from dashboard.core.recommender.evaluation import choose
    from dashboard.core.recommender.model import ESTIMATORS, PREFERRED_TOLERANCE

    def scores(**deviance):
        return {k: {"deviance_applications": v} for k, v in deviance.items()}

    close = scores(glm_curve=3.1, hgb_curve=3.0, hgb_poisson=2.9, glm_poisson=3.3, glm_hours=2.8)
    assert choose(close, ESTIMATORS) == "hgb_curve"  # 3.0 is within the tolerance of the best (2.8)
    far = scores(
        glm_curve=4.0, hgb_curve=2.8 * PREFERRED_TOLERANCE + 0.01, hgb_poisson=2.9, glm_poisson=3.3, glm_hours=2.8
    )
    assert choose(far, ESTIMATORS) == "glm_hours"  # clearly worse: the best of all
    assert choose(scores(hgb_poisson=2.0, glm_hours=1.9), ("hgb_poisson", "glm_hours")) == "glm_hours"


def _factory_history(rng, starts, mean_at) -> pd.DataFrame:
    """Sessions at an industrial park at the given start hours; ``mean_at(start)`` is a 2-hour window's mean."""
    days = pd.bdate_range("2025-03-03", "2026-06-30")
    rows = []
    for i, day in enumerate(rng.choice(days, 120, replace=False)):
        start = int(starts[i % len(starts)])
        rows.append(_row(f"F{i % 6}", pd.Timestamp(day), start, start + 120, rng.poisson(mean_at(start))))
    frame = pd.DataFrame(rows).assign(model_type="industrial_park", site_type="industrial_park")
    return _ordered(frame)


def _factory_grid() -> pd.DataFrame:
    return _grid("F0").assign(model_type="industrial_park")


def test_an_hour_nobody_tried_takes_the_published_rest_times_shape_and_the_data_decide_where_they_exist():
    """Every session at 9:00 or 14:00 (the factory's quiet hours, as published): the published shape says the
    canteen hour (11:00-13:00) and the shift change (17:00-19:30) are better, and a flat start cannot say so. Once
    sessions at 11:00 show it poor, the data win."""
    rng = np.random.default_rng(3)
    habitual = _factory_history(rng, [9 * 60, 14 * 60], lambda s: 6.0)
    grid = _factory_grid()
    starts = grid["start_min"].to_numpy()

    published = CurveModel("glm_curve").fit(habitual).predict_mean(grid)
    flat = CurveModel("glm_curve", published_hours=False).fit(habitual).predict_mean(grid)
    at = dict(zip(starts, published, strict=True))
    assert at[11 * 60] > 1.5 * at[9 * 60] and at[17 * 60 + 30] > 1.5 * at[14 * 60]
    flat_at = dict(zip(starts, flat, strict=True))
    assert flat_at[11 * 60] < 1.2 * flat_at[9 * 60]  # without the prior, an untried hour is no better than a tried one

    tried = _factory_history(rng, [9 * 60, 11 * 60, 14 * 60], lambda s: 1.0 if s == 11 * 60 else 6.0)
    corrected = dict(zip(starts, CurveModel("glm_curve").fit(tried).predict_mean(grid), strict=True))
    assert corrected[11 * 60] < 0.5 * corrected[9 * 60]


def test_the_published_shapes_cover_every_kind_of_place_and_offices_empty_on_rest_days():
    from dashboard.core.recommender import rest_times

    for site_type in features.SITE_TYPE_CATEGORIES:
        shape = rest_times.type_shape(site_type)
        assert shape.shape == (2, 48) and shape[0].mean() == pytest.approx(1.0) and (shape > 0).all()
    office, riders = rest_times.type_shape("office_cluster"), rest_times.type_shape("delivery_station")
    assert office[1].sum() < 0.3 * office[0].sum() and riders[1].sum() == pytest.approx(riders[0].sum())
    assert np.argmax(office[0]) // 2 in (11, 12)  # the lunch hour


def test_a_history_that_contradicts_the_published_rest_times_drops_them():
    """Sessions at the factory's published peaks (11:00, 17:30) do worse than at its quiet hours: the power the
    history bears out falls below a half, and the model starts flat (the card shows 0)."""
    rng = np.random.default_rng(4)
    starts = [9 * 60, 11 * 60, 14 * 60, 17 * 60 + 30]
    against = _factory_history(rng, starts, lambda s: 2.0 if s in (11 * 60, 17 * 60 + 30) else 6.0)
    assert CurveModel("glm_curve").fit(against).published_weight_ == 0.0
    agreeing = _factory_history(rng, starts, lambda s: 8.0 if s in (11 * 60, 17 * 60 + 30) else 2.0)
    assert CurveModel("glm_curve").fit(agreeing).published_weight_ >= 0.5
