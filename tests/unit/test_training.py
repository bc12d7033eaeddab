"""Background training: requests queue in milliseconds, one job runs at a time across processes, a dead one is
taken over, and a failed one leaves the current model in place."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
import sqlalchemy as sa

from dashboard.core import access
from dashboard.core.access.scope import PermissionDenied, Scope
from dashboard.core.intake import ingest
from dashboard.core.recommender import planner, recommend, store, training
from dashboard.core.storage import db
from dashboard.core.storage.schema import training_jobs
from data import sample

ADMIN = Scope("boss", "admin")
LEADER = Scope("lead", "leadership")
CHAOYANG = Scope("cy", "planner", ("110105",))


@pytest.fixture
def fake_train(monkeypatch):
    """store.train replaced by a short stand-in that reports progress and counts how many run at once."""
    state = {"calls": 0, "running": 0, "most": 0}
    guard = threading.Lock()

    def train(engine, *, directory=None, progress=None, estimators=None, **_):
        with guard:
            state["calls"] += 1
            state["running"] += 1
            state["most"] = max(state["most"], state["running"])
        try:
            for f in (0.25, 0.5, 0.8):
                progress(f, "backtest: glm_poisson" if f < 0.8 else "fit on all history")
                time.sleep(0.05)
        finally:
            with guard:
                state["running"] -= 1

    monkeypatch.setattr(store, "train", train)
    return state


def test_a_request_queues_at_once_and_a_second_request_joins_it(engine):
    started = time.perf_counter()
    first = training.request(engine, "cy", "import")
    second = training.request(engine, "hd", "import")
    assert time.perf_counter() - started < 2
    assert first.id == second.id and first.status == "queued" and first.reason == "import"
    assert training.current(engine) == first


def test_the_worker_runs_the_job_and_records_progress_to_the_end(engine, fake_train):
    job = training.request(engine, "cy", "import")
    ran = training.run_pending(engine)
    assert [j.id for j in ran] == [job.id] and ran[0].status == "done" and ran[0].progress == 1.0
    assert training.current(engine) is None and training.latest(engine).status == "done"
    assert training.run_pending(engine) == []  # nothing left


def test_a_failed_training_is_recorded_and_the_queue_moves_on(engine, tmp_path):
    # the real trainer on an empty history: too little to train
    training.request(engine, None, "admin")
    (job,) = training.run_pending(engine, directory=tmp_path)
    assert job.status == "failed" and "not enough history" in job.error
    assert not (tmp_path / "recommender.joblib").exists()
    assert training.current(engine) is None


def test_one_job_runs_at_a_time_across_workers(engine, fake_train):
    training.request(engine, "cy", "import")
    start = threading.Barrier(4)
    results = []

    def worker():
        start.wait()
        results.append(training.run_pending(engine))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert fake_train["calls"] == 1 and fake_train["most"] == 1
    assert sum(len(r) for r in results) == 1


def test_a_job_whose_process_died_is_marked_failed_and_the_queue_is_taken_over(engine, fake_train):
    stuck = training.request(engine, "cy", "import")
    assert training.claim(engine, worker="gone:1") is not None
    queued = training.request(engine, "hd", "import")
    assert queued.id != stuck.id
    assert training.claim(engine) is None  # the running job is alive: wait for it
    long_ago = dt.datetime.now(dt.UTC) - training.STALE_AFTER - dt.timedelta(minutes=1)
    with engine.begin() as conn:
        conn.execute(training_jobs.update().where(training_jobs.c.id == stuck.id).values(heartbeat_at=long_ago))
    ran = training.run_pending(engine)
    assert [j.id for j in ran] == [queued.id] and ran[0].status == "done"
    with engine.connect() as conn:
        dead = conn.execute(sa.select(training_jobs).where(training_jobs.c.id == stuck.id)).one()
    assert dead.status == "failed" and "interrupted" in dead.error


def test_who_may_ask_for_a_retrain(engine):
    assert access.request_retrain(engine, CHAOYANG, "import").status == "queued"  # a planner's own import
    with pytest.raises(PermissionDenied):
        access.request_retrain(engine, CHAOYANG, "admin")
    with pytest.raises(PermissionDenied):
        access.request_retrain(engine, LEADER, "import")
    assert access.request_retrain(engine, ADMIN, "admin").status == "queued"


def test_a_planner_sees_progress_but_not_the_error_text(engine, tmp_path):
    training.request(engine, "boss", "admin")
    training.run_pending(engine, directory=tmp_path)
    assert access.last_training(engine, CHAOYANG).error is None
    assert "not enough history" in access.last_training(engine, ADMIN).error


def test_progress_stages_read_in_chinese():
    assert training.stage_text("backtest: glm_poisson") == "回测候选模型（泊松回归）"
    assert training.stage_text("fit on all history") == "在全部历史上拟合"
    assert training.stage_text(None) == "排队等候"
    assert training.stage_text("fit on all history", "en") == "fitting on the whole history"
    # every stage the trainers report is said in words, never as a key
    for stage in ("backtest: hgb_poisson", "visit model: backtest", "visit model: fit", "saved", "something new"):
        for lang in ("zh", "en"):
            said = training.stage_text(stage, lang)
            assert "_" not in said and ":" not in said and said != stage


def test_a_fresh_install_plans_from_a_quick_model_while_the_full_training_runs(tmp_path):
    world = sample.generate_world(sample.world("daxing_new_6m"))
    eng = db.make_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    db.upgrade(eng)
    ingest.import_sites(eng, sample.to_csv_bytes(world.sites), "sites.csv")
    ingest.import_sessions(eng, sample.to_csv_bytes(world.sessions), "sessions.csv", today=sample.HISTORY_END)
    models = tmp_path / "models"
    stages, during = [], {}

    def progress(fraction, stage):
        stages.append(stage)
        if stage == "fit on all history" and "loaded" not in during:  # the full model is not saved yet
            during["loaded"] = store.load(eng, directory=models, retrain=False, allow_stale=True)

    training.train_all(eng, directory=models, progress=progress, estimators=("glm_hours",))
    assert stages[0] == "quick first model"
    quick = during["loaded"]
    assert quick.card["quick"] and quick.card["estimator"] == store.QUICK_ESTIMATOR
    assert any("快速模型" in zh for zh, _ in quick.messages)  # the plan page says which model it used
    plan, messages = recommend.recommend(eng, planner.PlanRequest(start=dt.date(2026, 11, 2), days=5, teams=2), quick)
    assert len(plan) == 10 and any("快速模型" in zh for zh, _ in messages)
    # the full model replaced it, and a current model is not trained quick again
    full = store.load(eng, directory=models, retrain=False)
    assert "quick" not in full.card and full.messages == [] and store.needs_training(eng, models) is None
    stages.clear()
    training.train_all(eng, directory=models, progress=progress, estimators=("glm_hours",))
    assert "quick first model" not in stages


def test_the_training_thread_runs_below_the_pages_and_what_it_starts_inherits_that():
    """The server's training thread lowers its own priority; page threads (here, the test's) keep theirs, and a
    thread the training thread starts (its heartbeat, OpenMP's workers) runs at the training's priority."""
    import os

    if not hasattr(os, "getpriority"):
        pytest.skip("no thread priorities on this platform")
    page = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen: dict[str, int | None] = {}

    def trainer() -> None:
        seen["said"] = training.yield_to_pages()
        seen["training"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        child = threading.Thread(
            target=lambda: seen.update(child=os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        )
        child.start()
        child.join()

    thread = threading.Thread(target=trainer)
    thread.start()
    thread.join()
    expected = min(page + training.BACKGROUND_NICENESS, 19)
    assert seen == {"said": expected, "training": expected, "child": expected}
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == page  # this (page) thread is untouched
