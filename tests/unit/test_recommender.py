"""The recommender: what it learned, the plans it makes, and how it survives a bad model file."""

import datetime as dt
import itertools
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard.core.recommender import calendar as cal
from dashboard.core.recommender import features, planner, recommend, store
from dashboard.core.storage import db
from data import sample
from tests import artefacts, cli_process

MONDAY = dt.date(2026, 11, 30)


@pytest.fixture(scope="module")
def world():
    return sample.generate()


def _trained_sample(out: Path) -> None:
    """The sample in ``db.sqlite`` and a model chosen by the full backtest (every family) in ``models/``."""
    artefacts.copy("sample", artefacts.sample_database, out)
    engine = db.make_engine(f"sqlite:///{out / 'db.sqlite'}")
    store.train(engine, directory=out / "models")
    engine.dispose()


artefacts.declare("trained-sample", _trained_sample, fixture="trained")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The sample in a database and a model trained on it, shared by this module (the backtest of every family
    takes minutes: built once per code version, see tests/artefacts.py)."""
    tmp = artefacts.copy("trained-sample", _trained_sample, tmp_path_factory.mktemp("rec"))
    engine = db.make_engine(f"sqlite:///{tmp / 'db.sqlite'}")
    loaded = store.load(engine, directory=tmp / "models", retrain=False)  # raises if the model does not fit the data
    assert loaded.messages == []
    return engine, loaded, tmp / "models"


def candidates(sites: pd.DataFrame, day: dt.date, starts, length=120, days_since=np.nan) -> pd.DataFrame:
    rows = sites.loc[sites.index.repeat(len(starts))].reset_index(drop=True)
    rows["date"] = pd.Timestamp(day)
    rows["start_min"] = list(starts) * len(sites)
    rows["end_min"] = rows["start_min"] + length
    rows["days_since"] = days_since
    return rows


def test_model_beats_both_baselines_on_the_held_out_year(trained):
    _, loaded, _ = trained
    scores = loaded.card["backtest"]["scores"]
    chosen = scores[loaded.card["estimator"]]
    for baseline in ("habit", "type_average"):
        assert chosen["deviance_applications"] < 0.7 * scores[baseline]["deviance_applications"], baseline
        assert chosen["top10_hit_applications"] > scores[baseline]["top10_hit_applications"], baseline
    card = json.loads((trained[2] / "recommender.json").read_text(encoding="utf-8"))
    assert card["data_from"] == "2018-04-01" and card["versions"]["scikit-learn"]
    assert len(card["data_hash"]) == 64 and card["random_state"] == 0


def test_learned_rest_hours_differ_by_kind_of_place(trained):
    """Riders rest in the afternoon, office workers at lunch: the model must have learned it, not been told."""
    engine, loaded, _ = trained
    sites = features.load_sites(engine)
    windows = np.arange(6 * 60, 20 * 60 + 1, 30)
    best = recommend.best_hours(loaded.model, sites, [MONDAY], 120, windows)
    assert 13 * 60 <= best[("delivery_station", cal.WORKDAY)] <= 16 * 60
    assert 10 * 60 <= best[("office_cluster", cal.WORKDAY)] <= 12 * 60
    assert best[("delivery_station", cal.WORKDAY)] != best[("office_cluster", cal.WORKDAY)]


def test_offices_are_quiet_at_weekends_but_not_on_makeup_saturdays(trained):
    engine, loaded, _ = trained
    offices = features.load_sites(engine).query("model_type == 'office_cluster'").head(20)
    makeup, weekend = dt.date(2026, 2, 14), dt.date(2026, 3, 7)  # Saturdays: an official working day and not
    assert (cal.day_info(makeup).day_type, cal.day_info(weekend).day_type) == (cal.MAKEUP, cal.WEEKEND)
    on_makeup = loaded.model.predict_mean(candidates(offices, makeup, [11 * 60]))
    on_weekend = loaded.model.predict_mean(candidates(offices, weekend, [11 * 60]))
    assert on_makeup.mean() > 2 * on_weekend.mean()


def test_a_recent_visit_lowers_the_estimate(trained):
    engine, loaded, _ = trained
    some = features.load_sites(engine).head(50)
    fresh = loaded.model.predict_mean(candidates(some, MONDAY, [15 * 60], days_since=90))
    tired = loaded.model.predict_mean(candidates(some, MONDAY, [15 * 60], days_since=3))
    assert (tired < fresh).mean() > 0.9 and tired.sum() < 0.8 * fresh.sum()


def test_a_site_never_visited_gets_a_finite_sensible_estimate(trained):
    engine, loaded, _ = trained
    sites = features.load_sites(engine)
    stations = sites[sites["model_type"] == "delivery_station"]
    new = pd.DataFrame(
        [
            {
                "site_id": "NEW-1",
                "name": "新驿站",
                "district": "110105",
                "model_type": "delivery_station",
                "workers_nearby": 150,
            }
        ]
    )
    assert "NEW-1" not in loaded.model.site_levels_["applications"]
    value = loaded.model.predict(candidates(new, MONDAY, [15 * 60]))
    known = loaded.model.predict_mean(candidates(stations, MONDAY, [15 * 60], days_since=90))
    assert np.isfinite(value.to_numpy(dtype=float)).all()
    assert np.quantile(known, 0.05) < value["applications"].iat[0] < np.quantile(known, 0.95)
    assert value["applications_low"].iat[0] <= value["applications"].iat[0] <= value["applications_high"].iat[0]


def _assert_obeys(plan_rows: pd.DataFrame, request: planner.PlanRequest, sites: pd.DataFrame) -> None:
    assert len(plan_rows) == request.teams * request.days * request.per_team_per_day
    assert plan_rows["team"].between(1, request.teams).all()
    assert set(plan_rows["date"]) == set(request.dates())
    assert (plan_rows["start_min"] >= request.hours[0]).all() and (plan_rows["end_min"] <= request.hours[1]).all()
    assert ((plan_rows["end_min"] - plan_rows["start_min"]) == request.length_min).all()
    assert not plan_rows.duplicated(["date", "site_id"]).any()  # no two teams on one site the same day
    per_team_day = plan_rows.groupby(["date", "team"])
    assert (per_team_day.size() <= request.per_team_per_day).all()
    for _, g in per_team_day:
        spans = sorted(zip(g["start_min"], g["end_min"], strict=True))
        assert all(b[0] >= a[1] + request.gap_min for a, b in itertools.pairwise(spans))
    district_of = sites.set_index("site_id")["district"]
    if request.district:
        assert (plan_rows["site_id"].map(district_of) == request.district).all()
    assert not plan_rows["site_id"].isin(request.exclude).any()


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"teams": 4},
        {"teams": 3, "per_team_per_day": 2, "length_min": 90, "hours": (8 * 60, 20 * 60)},
        {"teams": 2, "days": 3, "district": "110105", "exclude": {"110105-001", "110105-002"}},
    ],
    ids=["default", "two-a-day", "district-and-exclusions"],
)
def test_plans_obey_every_constraint(trained, request_kwargs):
    engine, loaded, _ = trained
    sites = features.load_sites(engine)
    request = planner.PlanRequest(start=MONDAY, **{"days": 7, **request_kwargs})
    rows = planner.plan(recommend.CalendarPredictor(loaded.model, None), sites, recommend.last_visits(engine), request)
    _assert_obeys(rows, request, sites)


def test_booked_sessions_are_neither_repeated_nor_ignored(world):
    sites = _sites_frame(world.sites)
    free = planner.plan(world.truth, sites, {}, planner.PlanRequest(start=MONDAY, days=2, teams=3))
    first = free.iloc[0]
    booked = pd.DataFrame(
        [
            {
                "site_id": first["site_id"],
                "date": first["date"],
                "start_min": first["start_min"],
                "end_min": first["end_min"],
            }
        ]
    )
    again = planner.plan(world.truth, sites, {}, planner.PlanRequest(start=MONDAY, days=2, teams=3, booked=booked))
    assert not ((again["site_id"] == first["site_id"]) & (again["date"] == first["date"])).any()


def _sites_frame(raw: pd.DataFrame) -> pd.DataFrame:
    frame = raw.rename(columns={"site_name": "name"}).copy()
    frame["model_type"] = frame["site_type"]
    return frame


class _IgnoresSaturation:
    def __init__(self, truth):
        self.truth = truth

    def predict_mean(self, frame, target="applications"):
        return self.truth.predict_mean(frame.drop(columns=["days_since"], errors="ignore"), target)


def test_the_planner_counts_the_saturation_its_own_picks_cause(world):
    sites = _sites_frame(world.sites)
    request = planner.PlanRequest(start=MONDAY, days=7, teams=4)
    aware = planner.plan(world.truth, sites, {}, request)
    naive = planner.plan(_IgnoresSaturation(world.truth), sites, {}, request)
    assert aware["site_id"].duplicated().sum() < naive["site_id"].duplicated().sum()

    # and judged by the truth with saturation, the aware plan is worth more
    def worth(p):
        p = p.sort_values(["date", "start_min"])
        prev, since = {}, []
        for s, d in zip(p["site_id"], p["date"], strict=True):
            since.append(np.nan if s not in prev else (d - prev[s]).days)
            prev[s] = d
        return world.truth.expected(p["site_id"], p["date"], p["start_min"], p["end_min"], since)[1].sum()

    assert worth(aware) > worth(naive)


def test_recommend_describes_every_row_with_a_reason(trained):
    engine, loaded, _ = trained
    plan_rows, messages = recommend.recommend(engine, planner.PlanRequest(start=MONDAY, days=2, teams=3), loaded)
    assert list(plan_rows.columns) == planner.PLAN_COLUMNS and len(plan_rows) == 6
    assert plan_rows["reason"].str.len().gt(8).all() and plan_rows["reason_en"].str.len().gt(8).all()
    assert (plan_rows["applications_low"] <= plan_rows["expected_applications"]).all()
    assert (plan_rows["expected_applications"] <= plan_rows["applications_high"]).all()
    assert not messages


def test_a_2027_plan_says_its_calendar_is_provisional(trained):
    engine, loaded, _ = trained
    plan_rows, messages = recommend.recommend(
        engine, planner.PlanRequest(start=dt.date(2027, 2, 8), days=2, teams=2), loaded
    )
    assert plan_rows["provisional"].all()
    assert plan_rows["reason"].str.contains("2027年节假日安排尚未公布").all()
    assert any("2027" in en and "provisional" in en and "2027年" in zh for zh, en in messages)  # each language apart


def test_an_admin_override_changes_the_day_type_used(trained):
    engine, loaded, _ = trained
    day = dt.date(2027, 2, 20)  # a Saturday
    cal.set_override(engine, day, cal.MAKEUP, note="2027年调休", user="admin")
    try:
        plan_rows, _ = recommend.recommend(engine, planner.PlanRequest(start=day, days=1, teams=2), loaded)
        assert (plan_rows["day_type"] == cal.MAKEUP).all()
    finally:
        cal.set_override(engine, day, None)


def test_corrupt_outdated_or_stale_models_are_retrained_with_a_message(trained, tmp_path, monkeypatch):
    engine, loaded, directory = trained
    retrained: list[Path] = []

    def train(engine, directory, **kwargs):
        """A training that writes what the real one wrote for this data (the module's model, trained on it): this
        test is about when a model is retrained and what the page is told, not about training (a real one of even
        the fastest estimator took 100 s of the suite)."""
        retrained.append(directory)
        for name in ("recommender.joblib", "recommender.json"):
            (directory / name).write_bytes((original / name).read_bytes())
        return store.load(engine, directory=directory, retrain=False)

    original = directory
    monkeypatch.setattr(store, "train", train)
    models = tmp_path / "models"
    models.mkdir()
    for name in ("recommender.joblib", "recommender.json"):
        (models / name).write_bytes((directory / name).read_bytes())
    assert store.load(engine, directory=models).messages == [] and retrained == []

    (models / "recommender.joblib").write_bytes(b"not a pickle")
    again = store.load(engine, directory=models)
    assert "损坏" in again.messages[0][0] and "could not be read" in again.messages[0][1]
    assert retrained == [models]

    card = json.loads((models / "recommender.json").read_text(encoding="utf-8"))
    card["versions"]["scikit-learn"] = "0.1"
    (models / "recommender.json").write_text(json.dumps(card), encoding="utf-8")
    assert "other library versions" in store.load(engine, directory=models).messages[0][1]
    assert len(retrained) == 2

    card = json.loads((models / "recommender.json").read_text(encoding="utf-8"))
    card["data_hash"] = "0" * 64
    (models / "recommender.json").write_text(json.dumps(card), encoding="utf-8")
    # the dashboard keeps showing a model trained on older data, saying so, until it is retrained
    stale = store.load(engine, directory=models, retrain=False, allow_stale=True)
    assert "retrain the model" in stale.messages[0][1] and "建议重新训练" in stale.messages[0][0]
    assert len(retrained) == 2  # kept, not retrained, while the page asks for it as it is
    assert "new session data" in store.load(engine, directory=models).messages[0][1]
    assert len(retrained) == 3
    assert store.load(engine, directory=models).messages == [] and len(retrained) == 3


def test_cli_recommend_writes_an_excel_friendly_csv(trained, tmp_path):
    engine, _, directory = trained
    env = {**os.environ, "OUTREACH_DB_URL": str(engine.url), "OUTREACH_MODEL_DIR": str(directory)}
    out = tmp_path / "plan.csv"
    result = cli_process.run(
        [
            "recommend",
            "--start",
            "2026-11-30",
            "--days",
            "2",
            "--teams",
            "3",
            "--hours",
            "08:00-20:00",
            "--out",
            str(out),
        ],
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(out, encoding="utf-8-sig")
    assert len(frame) == 6 and {"小组", "日期", "开始时间", "点位名称", "预计申请入会人数", "理由"} <= set(
        frame.columns
    )
    assert frame["开始时间"].min() >= "08:00" and frame["结束时间"].max() <= "20:00"
    # values in Chinese too, not only the headers
    assert set(frame["日期类型"]) <= {"工作日", "周末", "法定节假日", "调休上班日"} and set(frame["日历为推算"]) <= {
        "是",
        "否",
    }
    assert "reason (English)" in frame.columns  # the bilingual default (--lang both) keeps it


def test_cli_recommend_respects_a_booked_file(trained, tmp_path):
    engine, loaded, directory = trained
    env = {**os.environ, "OUTREACH_DB_URL": str(engine.url), "OUTREACH_MODEL_DIR": str(directory)}
    run = lambda *extra: cli_process.run(  # noqa: E731
        [
            "recommend",
            "--start",
            "2026-11-30",
            "--days",
            "1",
            "--teams",
            "3",
            "--out",
            str(tmp_path / "p.csv"),
            *extra,
        ],
        env=env,
        timeout=300,
    )
    assert run().returncode == 0
    first = pd.read_csv(tmp_path / "p.csv", encoding="utf-8-sig")
    booked = tmp_path / "booked.csv"
    booked.write_text(
        "点位编号,日期,开始时间,结束时间\n"
        + "\n".join(
            f"{s},2026-11-30,{a},{b}"
            for s, a, b in zip(first["点位编号"], first["开始时间"], first["结束时间"], strict=True)
        ),
        encoding="utf-8",
    )
    assert run("--booked", str(booked)).returncode == 0
    second = pd.read_csv(tmp_path / "p.csv", encoding="utf-8-sig")
    assert not set(second["点位编号"]) & set(first["点位编号"])
    bad = tmp_path / "bad.csv"
    bad.write_text("点位编号,日期,开始时间,结束时间\nX,明天,9:00,11:00\n", encoding="utf-8")
    refused = run("--booked", str(bad))
    assert refused.returncode == 1 and "booked file needs" in refused.stderr


def test_a_sites_outlook_is_the_same_predicted_alone_or_with_the_city(trained):
    """The map predicts every site's outlook once and gives each caller their rows (resources.site_outlook): that
    is only right if a site's best window and figure do not depend on which other sites are predicted with it."""
    from dashboard.core import access

    engine, loaded, _ = trained
    every = access.every_site_days(engine).stats()
    day = dt.date(2026, 12, 7)
    city = recommend.stats_outlook(loaded.model, every, day).set_index("site_id")
    few = every[every["district"] == "110105"].head(3)
    alone = recommend.stats_outlook(loaded.model, few, day).set_index("site_id")
    assert len(city) == len(every) and list(alone.index) == list(few["site_id"])
    pd.testing.assert_frame_equal(alone, city.loc[alone.index], check_exact=False, rtol=1e-9)
