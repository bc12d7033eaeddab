"""Training in the background: a queue of jobs in the database, run one at a time across every app process.

A page or an import never trains: it :func:`request` s a job (milliseconds) and goes on with the current model.
A worker (a thread in each app process, or ``python -m dashboard train --pending`` from cron) :func:`claim` s the
oldest queued job under a lock that every process shares, trains, and writes its progress and a heartbeat to the
``training_jobs`` table so every page can say "正在用新数据重新训练……" with how far it got. A job whose heartbeat
stops (its process was killed) is marked failed and the next worker takes the queue. A queued job trains on the data
present when it starts, so a second request while one is queued adds nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from dashboard.core.recommender import store, visit_store
from dashboard.core.storage import db
from dashboard.core.storage.schema import training_jobs

HEARTBEAT = dt.timedelta(seconds=20)
# A running job whose heartbeat is older than this died with its process (a busy machine still beats every 20 s).
STALE_AFTER = dt.timedelta(minutes=5)
REASONS = {
    "import": ("导入了新的结果", "new results were imported"),
    "first_start": ("首次启动，还没有模型", "first start, no model yet"),
    "admin": ("管理员要求重新训练", "an admin asked for it"),
    "command": ("命令行要求重新训练", "requested from the command line"),
    "stale": ("模型落后于数据", "the model is older than the data"),
}
_LOCK = "training_jobs"


@dataclass(frozen=True)
class Job:
    """One training job as the pages show it."""

    id: int
    status: str  # queued | running | done | failed
    reason: str
    requested_by: str | None
    requested_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    progress: float
    stage: str | None
    error: str | None

    @property
    def active(self) -> bool:
        return self.status in ("queued", "running")

    def stage_text(self, lang: str = "zh") -> str:
        """What the job is doing, in the user's language."""
        return stage_text(self.stage, lang)


def stage_text(stage: str | None, lang: str = "zh") -> str:
    """Translate the trainer's progress stages ("backtest: glm_poisson", "fit on all history", "saved")."""
    zh = lang == "zh"
    if not stage:
        return "排队等候" if zh else "waiting in the queue"
    if stage.startswith("backtest"):
        kind = stage.split(":", 1)[1].strip() if ":" in stage else ""
        name = _ESTIMATOR_WORDS.get(kind, ("", ""))[0 if zh else 1]
        if zh:
            return "回测候选模型" + (f"（{name}）" if name else "")
        return "backtesting the candidate models" + (f" ({name})" if name else "")
    words = _STAGE_WORDS.get(stage)
    if words is None:  # a stage this version does not know: said generally, never as the trainer's key
        return "训练中" if zh else "training"
    return words[0 if zh else 1]


_ESTIMATOR_WORDS = {
    "hgb_poisson": ("梯度提升", "gradient boosting"),
    "hgb_squared": ("梯度提升", "gradient boosting"),
    "glm_poisson": ("泊松回归", "Poisson regression"),
    "glm_hours": ("分时段泊松回归", "Poisson regression by hour"),
    "glm_curve": ("半小时时段曲线（泊松回归）", "half-hour curve (Poisson regression)"),
    "hgb_curve": ("半小时时段曲线（梯度提升）", "half-hour curve (gradient boosting)"),
}
_STAGE_WORDS = {
    "starting": ("开始训练", "starting"),
    "quick first model": ("先训练快速模型，几秒后即可出计划", "a quick first model, for plans within seconds"),
    "fit on all history": ("在全部历史上拟合", "fitting on the whole history"),
    "saved": ("保存模型", "saving the model"),
    "visit model: backtest": ("回测企业走访模型", "backtesting the visit model"),
    "visit model: fit": ("拟合企业走访模型", "fitting the visit model"),
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else db.as_utc(value)


def _job(row: sa.Row) -> Job:
    return Job(
        id=int(row.id),
        status=str(row.status),
        reason=str(row.reason),
        requested_by=row.requested_by,
        requested_at=_utc(row.requested_at) or _now(),
        started_at=_utc(row.started_at),
        finished_at=_utc(row.finished_at),
        progress=float(row.progress or 0.0),
        stage=row.stage,
        error=row.error,
    )


def request(engine: sa.Engine, actor: str | None, reason: str) -> Job:
    """Queue a retrain and return the job; a job already queued is returned instead of a second one."""
    if reason not in REASONS:
        raise ValueError(f"unknown training reason {reason!r}")
    with engine.begin() as conn:
        db.lock_name(conn, _LOCK)
        queued = conn.execute(
            sa.select(training_jobs).where(training_jobs.c.status == "queued").order_by(training_jobs.c.id)
        ).first()
        if queued is not None:
            return _job(queued)
        key = conn.execute(
            training_jobs.insert().values(
                requested_at=_now(), requested_by=(actor or "")[:64] or None, reason=reason, status="queued"
            )
        ).inserted_primary_key
        assert key is not None  # an insert into an autoincrement table always has one
        row = conn.execute(sa.select(training_jobs).where(training_jobs.c.id == key[0])).one()
        return _job(row)


@dataclass(frozen=True)
class Trained:
    """What one retrain saved: the stall model (or why not, when the history is too short) and the visit model
    (None when the database has no enterprise register)."""

    stall: store.Loaded | None
    stall_skipped: str | None
    visits: visit_store.LoadedVisits | None


def train_all(
    engine: sa.Engine,
    *,
    directory: Path | None = None,
    progress: Callable[[float, str], object] | None = None,
    estimators: Sequence[str] | None = None,
) -> Trained:
    """Train both models: each that the data can support. A database with only the enterprise side still gets
    its visit model. Raises :class:`store.NotEnoughHistory` when neither could be trained.

    With no usable stall model (a fresh install, a broken file, other library versions) a quick one is fitted and
    saved first, then the visit model, so plans can be made within seconds while the full training (backtest of
    every candidate) runs and replaces it.
    """
    first = store.needs_training(engine, directory) not in (None, store.STALE_DATA, store.QUICK)
    visits_done: visit_store.LoadedVisits | None = None
    if first and store.can_train(engine):
        if progress:
            progress(0.02, "quick first model")
        store.train_quick(engine, directory=directory)
        visits_done = visit_store.train(engine, directory=directory)
    try:
        stall: store.Loaded | None = store.train(engine, directory=directory, progress=progress, estimators=estimators)
        skipped = None
    except store.NotEnoughHistory as short:
        stall, skipped = None, str(short)
    # seconds, beside the stall model (already trained above on a first start: the data have not changed since)
    visits = visits_done or visit_store.train(engine, directory=directory, progress=progress)
    if skipped is not None and visits is None:
        raise store.NotEnoughHistory(skipped)
    return Trained(stall, skipped, visits)


BACKGROUND_NICENESS = 10  # a page run waits for training this much less: pages first, training with what is left


def yield_to_pages(by: int = BACKGROUND_NICENESS) -> int | None:
    """Lower the calling thread's CPU priority by ``by`` (Linux niceness), for a server's training thread; returns
    the thread's niceness after, or None where threads have no priority of their own.

    Training shares the app process's cores with every page run. At the same priority a retrain after an upload took
    half the cores for minutes (the browser tests' server, ``ps`` during CI), and every page waited its turn. Threads
    the training thread starts afterwards (the heartbeat, OpenMP's workers for its own parallel loops) inherit the
    lower priority; page threads keep theirs. Lowering is always allowed; raising it back would need root.
    """
    if not hasattr(os, "setpriority"):
        return None
    me = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, me, min(os.getpriority(os.PRIO_PROCESS, me) + by, 19))
        return os.getpriority(os.PRIO_PROCESS, me)
    except OSError:  # a platform whose threads share the process's priority
        return None


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:120]


def claim(engine: sa.Engine, worker: str | None = None) -> Job | None:
    """Take the oldest queued job if no live job is running anywhere; None when there is nothing to do.

    A running job whose heartbeat is older than :data:`STALE_AFTER` is marked failed first (its process died).
    """
    now = _now()
    with engine.begin() as conn:
        db.lock_name(conn, _LOCK)
        for row in conn.execute(sa.select(training_jobs).where(training_jobs.c.status == "running")).all():
            beat = _utc(row.heartbeat_at) or _utc(row.started_at) or now
            if now - beat < STALE_AFTER:
                return None
            conn.execute(
                training_jobs.update()
                .where(training_jobs.c.id == row.id)
                .values(status="failed", finished_at=now, error="interrupted: the process running it stopped")
            )
        queued = conn.execute(
            sa.select(training_jobs).where(training_jobs.c.status == "queued").order_by(training_jobs.c.id).limit(1)
        ).first()
        if queued is None:
            return None
        conn.execute(
            training_jobs.update()
            .where(training_jobs.c.id == queued.id)
            .values(status="running", started_at=now, heartbeat_at=now, progress=0.0, stage="starting")
            .values(worker=worker or _worker_name())
        )
        return _job(conn.execute(sa.select(training_jobs).where(training_jobs.c.id == queued.id)).one())


def _update(engine: sa.Engine, job_id: int, **values: object) -> None:
    with engine.begin() as conn:
        conn.execute(training_jobs.update().where(training_jobs.c.id == job_id).values(**values))


def run(
    engine: sa.Engine,
    job: Job,
    *,
    directory: Path | None = None,
    estimators: Sequence[str] | None = None,
    on_done: Callable[[], object] | None = None,
) -> Job:
    """Train for a claimed job, beating the heartbeat, and record how it ended. Never raises for a failed train."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT.total_seconds()):
            with contextlib.suppress(sa.exc.SQLAlchemyError):  # a busy database: the next beat will do
                _update(engine, job.id, heartbeat_at=_now())

    def progress(fraction: float, stage: str) -> None:
        _update(engine, job.id, progress=min(max(float(fraction), 0.0), 1.0), stage=stage[:64], heartbeat_at=_now())

    beater = threading.Thread(target=beat, name=f"training-heartbeat-{job.id}", daemon=True)
    beater.start()
    try:
        train_all(engine, directory=directory, progress=progress, estimators=estimators)
    except Exception as exc:  # the job fails, the current model stays; the pages say why
        _update(engine, job.id, status="failed", finished_at=_now(), error=f"{type(exc).__name__}: {exc}"[:2000])
    else:
        _update(engine, job.id, status="done", finished_at=_now(), progress=1.0, stage="saved")
        if on_done is not None:
            on_done()
    finally:
        stop.set()
        beater.join(timeout=5)
    with engine.connect() as conn:
        return _job(conn.execute(sa.select(training_jobs).where(training_jobs.c.id == job.id)).one())


def run_pending(
    engine: sa.Engine,
    *,
    directory: Path | None = None,
    estimators: Sequence[str] | None = None,
    on_done: Callable[[], object] | None = None,
) -> list[Job]:
    """Run queued jobs until none is left (or another process is running one); returns the jobs this call ran."""
    ran = []
    while (job := claim(engine)) is not None:
        ran.append(run(engine, job, directory=directory, estimators=estimators, on_done=on_done))
    return ran


def current(engine: sa.Engine) -> Job | None:
    """The job the pages should mention: a queued or running one, else None."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(training_jobs)
            .where(training_jobs.c.status.in_(("queued", "running")))
            .order_by(training_jobs.c.status.desc(), training_jobs.c.id)  # running before queued
            .limit(1)
        ).first()
    return None if row is None else _job(row)


def latest(engine: sa.Engine) -> Job | None:
    """The most recent job of any status (the Model page shows how the last retrain ended)."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(training_jobs).order_by(training_jobs.c.id.desc()).limit(1)).first()
    return None if row is None else _job(row)
