"""Learning what the history does not show: each site's own hours, and exploration of untried sites and hours."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from dashboard.core.intake import ingest
from dashboard.core.recommender import features, planner, recommend, store
from dashboard.core.recommender.model import band_of, make_model
from dashboard.core.storage import db
from data import sample

MONDAY = dt.date(2026, 11, 2)


@pytest.fixture(scope="module")
def small_world(tmp_path_factory):
    """A district world unlike the sample (2 years, a quarter of the sites never visited) with its trained model."""
    tmp = tmp_path_factory.mktemp("explore")
    world = sample.generate_world(sample.world("tongzhou_24m"))
    engine = db.make_engine(f"sqlite:///{tmp / 'w.sqlite'}")
    db.upgrade(engine)
    ingest.import_sites(engine, sample.to_csv_bytes(world.sites), "sites.csv")
    ingest.import_sessions(engine, sample.to_csv_bytes(world.sessions), "sessions.csv", today=sample.HISTORY_END)
    loaded = store.train(engine, directory=tmp / "models", estimators=("glm_hours",))
    return world, engine, loaded, tmp


class MeanOnly:
    """The trained model without its uncertainty: what the planner was before it could explore."""

    def __init__(self, predictor):
        self.predictor = predictor

    def predict_mean(self, frame, target="applications"):
        return self.predictor.predict_mean(frame, target)


def _plan(engine, predictor, share, **kwargs):
    request = planner.PlanRequest(start=MONDAY, days=7, teams=2, exploration=share, **kwargs)
    return planner.plan(predictor, features.load_sites(engine), recommend.last_visits(engine), request)


def test_exploration_off_is_the_greedy_plan(small_world):
    _, engine, loaded, _ = small_world
    predictor = recommend.CalendarPredictor(loaded.model, None)
    off = _plan(engine, predictor, 0.0)
    greedy = _plan(engine, MeanOnly(predictor), 0.3)  # a predictor that cannot say what it does not know: no exploring
    pd.testing.assert_frame_equal(off.drop(columns="learn"), greedy.drop(columns="learn"))
    assert not off["learn"].any()


def test_exploration_tries_untried_sites_and_hours_at_the_configured_rate(small_world):
    _, engine, loaded, _ = small_world
    predictor = recommend.CalendarPredictor(loaded.model, None)
    plan = _plan(engine, predictor, 0.25)
    learning = plan[plan["learn"]]
    assert len(learning) == round(0.25 * len(plan)) and len(plan) == 14
    tried, _ = predictor.tried(learning)
    assert (tried == 0).all()  # each is a site, or a band at a site, the history has not tried
    assert learning["site_id"].is_unique
    greedy = _plan(engine, predictor, 0.0)
    assert plan["expected_applications"].sum() <= greedy["expected_applications"].sum()  # learning costs a little now


def test_exploring_stops_at_a_site_and_band_once_its_results_are_in(small_world):
    world, engine, loaded, tmp = small_world
    predictor = recommend.CalendarPredictor(loaded.model, None)
    plan = _plan(engine, predictor, 0.25)
    learnt = plan[plan["learn"]]
    rng = np.random.default_rng(0)
    drawn = learnt.assign(date=pd.to_datetime(learnt["date"]), days_since=np.nan)
    consultations, applications = sample.observe(world.truth, rng, drawn)
    sheet = pd.DataFrame(
        {
            "session_id": [f"T-{i}" for i in range(len(learnt))],
            "session_type": "worker",
            "date": learnt["date"].astype(str),
            "start_time": [f"{m // 60:02d}:{m % 60:02d}" for m in learnt["start_min"]],
            "end_time": [f"{m // 60:02d}:{m % 60:02d}" for m in learnt["end_min"]],
            "district": learnt["district"],
            "site_id": learnt["site_id"],
            "consultations": consultations,
            "applications": applications,
        }
    )
    assert ingest.import_sessions(
        engine, sample.to_csv_bytes(sheet), "results.csv", today=MONDAY + dt.timedelta(days=7)
    ).inserted == len(learnt)
    retrained = store.train(engine, directory=tmp / "models2", estimators=("glm_hours",))
    again = planner.plan(
        recommend.CalendarPredictor(retrained.model, None),
        features.load_sites(engine),
        recommend.last_visits(engine),
        planner.PlanRequest(start=MONDAY + dt.timedelta(days=7), days=7, teams=2, exploration=0.25),
    )
    before = set(zip(learnt["site_id"], band_of(learnt["start_min"], learnt["end_min"]), strict=True))
    after = set(
        zip(
            again.loc[again["learn"], "site_id"],
            band_of(again.loc[again["learn"], "start_min"], again.loc[again["learn"], "end_min"]),
            strict=True,
        )
    )
    assert before and not before & after


def test_fixed_seeds_give_identical_models_and_plans(small_world):
    _, engine, _, tmp = small_world
    once = store.train(engine, directory=tmp / "models3", estimators=("hgb_poisson",))
    again = store.train(engine, directory=tmp / "models4", estimators=("hgb_poisson",))
    first = _plan(engine, recommend.CalendarPredictor(once.model, None), 0.2)
    second = _plan(engine, recommend.CalendarPredictor(again.model, None), 0.2)
    pd.testing.assert_frame_equal(first, second)


def test_a_sites_own_peak_hour_is_learned_when_it_differs_from_its_types():
    """Two office buildings: one like its type (a lunch peak), one whose workers rest in the afternoon."""
    rng = np.random.default_rng(3)
    days = pd.bdate_range("2025-01-06", "2026-06-30")
    rows = []
    for site in [f"O{i}" for i in range(12)]:
        for day in rng.choice(days, 60, replace=False):
            start = int(rng.choice(np.arange(8 * 60, 18 * 60 + 1, 60)))
            mid = (start + 60) / 60
            peak = 15.0 if site == "O0" else 12.0  # O0: couriers, not office staff
            mean = 3 + 25 * np.exp(-((mid - peak) ** 2) / 2)
            rows.append(
                {
                    "session_key": f"{site}-{day}",
                    "site_id": site,
                    "date": pd.Timestamp(day),
                    "start_min": start,
                    "end_min": start + 120,
                    "model_type": "office_cluster",
                    "district": "110105",
                    "workers_nearby": 8000,
                    "site_type": "office_cluster",
                    "applications": rng.poisson(mean),
                    "consultations": rng.poisson(mean * 4),
                }
            )
    history = pd.DataFrame(rows).sort_values(["date", "start_min"]).reset_index(drop=True)
    history["days_since"] = features.days_since_previous(history)
    grid = pd.DataFrame(
        [
            {
                "site_id": s,
                "model_type": "office_cluster",
                "district": "110105",
                "workers_nearby": 8000,
                "date": pd.Timestamp("2026-07-07"),
                "start_min": w,
                "end_min": w + 120,
            }
            for s in ("O0", "O1")
            for w in range(8 * 60, 18 * 60 + 1, 30)
        ]
    )
    for estimator in ("glm_hours", "hgb_poisson", "glm_curve", "hgb_curve"):
        grid["expected"] = make_model(estimator).fit(history).predict_mean(grid)
        by_start = grid.pivot(index="start_min", columns="site_id", values="expected")
        afternoon_over_lunch = by_start.loc[14 * 60] / by_start.loc[11 * 60]
        assert afternoon_over_lunch["O0"] > 3 * afternoon_over_lunch["O1"], estimator  # each site its own shape
        if estimator != "hgb_poisson":
            assert 13 * 60 <= by_start["O0"].idxmax() <= 15 * 60 and 10 * 60 <= by_start["O1"].idxmax() <= 12 * 60
