"""Train, save and load the recommender, with the metadata that says what it was trained on.

A model file sits in ``models/`` (or ``OUTREACH_MODEL_DIR``) beside a JSON card: training data range and hash,
library versions, backtest scores. A model that is missing, unreadable, from another library or feature version,
or trained on other data than the database now holds, is retrained, and the reason is reported, never a crash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn
import sqlalchemy as sa

from dashboard.core.recommender import calendar as cal
from dashboard.core.recommender import evaluation, features
from dashboard.core.recommender.curve import CurveModel
from dashboard.core.recommender.model import OutreachModel, make_model
from dashboard.core.storage.schema import sessions, sites

StallModel = OutreachModel | CurveModel  # what train() saves and load() returns
ROOT = Path(__file__).resolve().parents[3]
MODEL_NAME = "recommender"
MIN_SESSIONS = 60  # fewer worker sessions than this teach a model nothing worth planning by


class NotEnoughHistory(ValueError):
    """Fewer worker sessions than :data:`MIN_SESSIONS`: no stall model is trained (the visit model may be)."""


class ModelNotReady(LookupError):
    """No trained stall model to plan with yet: a request never trains, it says so (in Chinese and English)."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en


def model_dir() -> Path:
    return Path(os.environ.get("OUTREACH_MODEL_DIR") or ROOT / "models")


def versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "joblib": joblib.__version__,
        "feature_version": str(features.FEATURE_VERSION),
    }


def data_hash(engine: sa.Engine) -> str:
    """A digest of what training reads: worker sessions (by key and content) and the sites' attributes."""
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for row in conn.execute(
            sa.select(sessions.c.session_key, sessions.c.row_hash)
            .where(sessions.c.session_type == "worker")
            .order_by(sessions.c.session_key)
        ):
            digest.update(f"{row[0]}\x1f{row[1]}\n".encode())
        for site in conn.execute(
            sa.select(sites.c.site_id, sites.c.district, sites.c.site_type, sites.c.workers_nearby).order_by(
                sites.c.site_id
            )
        ):
            digest.update("\x1f".join(map(str, site)).encode() + b"\n")
    return digest.hexdigest()


@dataclass
class Loaded:
    model: StallModel
    card: dict
    messages: list[tuple[str, str]]  # what happened (retrained, and why): (Chinese, English)


def _paths(directory: Path) -> tuple[Path, Path]:
    return directory / f"{MODEL_NAME}.joblib", directory / f"{MODEL_NAME}.json"


def train(
    engine: sa.Engine,
    *,
    directory: Path | None = None,
    progress: Callable[[float, str], object] | None = None,
    random_state: int = 0,
    estimators: Sequence[str] | None = None,
) -> Loaded:
    """Backtest, choose, fit on all history, and save; returns the model and its card.

    ``estimators`` limits the candidates of the backtest (default: all of :data:`model.ESTIMATORS`).
    """
    t0 = time.perf_counter()
    directory = directory or model_dir()
    history = features.load_history(engine)
    overrides = cal.load_overrides(engine)
    kwargs: dict[str, Any] = {"estimators": estimators} if estimators else {}
    try:
        result = evaluation.backtest(history, random_state=random_state, progress=progress, **kwargs)
    except ValueError as too_short:
        # A new union's few months cannot be split for a backtest; a model of them still beats no model.
        _require_enough(history)
        result = {"skipped": str(too_short), "chosen": (estimators or ("glm_curve",))[0], "model": None}
    if progress:
        progress(0.8, "fit on all history")
    model = make_model(result["chosen"], random_state=random_state).fit(history, overrides)
    fitted = result.pop("model")
    if fitted is not None:
        model.dispersion_ = fitted.dispersion_
    card = _card(engine, history, model, result["chosen"], random_state, t0, backtest=result)
    save(model, card, *_paths(directory))
    if progress:
        progress(1.0, "saved")
    return Loaded(model, card, [])


def train_quick(engine: sa.Engine, *, directory: Path | None = None, random_state: int = 0) -> Loaded:
    """Fit :data:`QUICK_ESTIMATOR` on all history without a backtest and save it marked ``quick``: on a fresh
    install the first plan waits seconds, not minutes, and the card says the model is not yet evaluated."""
    t0 = time.perf_counter()
    history = features.load_history(engine)
    _require_enough(history)
    model = make_model(QUICK_ESTIMATOR, random_state=random_state).fit(history, cal.load_overrides(engine))
    skipped = {"skipped": "quick first model: the full training evaluates and replaces it"}
    card = _card(engine, history, model, QUICK_ESTIMATOR, random_state, t0, backtest=skipped, quick=True)
    save(model, card, *_paths(directory or model_dir()))
    return Loaded(model, card, [])


def _require_enough(history: pd.DataFrame) -> None:
    if len(history) < MIN_SESSIONS:
        raise NotEnoughHistory(
            f"not enough history to train: {len(history)} worker sessions, at least {MIN_SESSIONS} needed"
        )


def _card(
    engine: sa.Engine, history: pd.DataFrame, model: Any, estimator: str, random_state: int, t0: float, **extra: Any
) -> dict[str, Any]:
    """A trained model's card: its data range and hash, library versions, what was fitted and how long it took."""
    return {
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "data_from": str(history["date"].min().date()),
        "data_to": str(history["date"].max().date()),
        "sessions": int(len(history)),
        "sites_with_history": int(history["site_id"].nunique()),
        "data_hash": data_hash(engine),
        "versions": versions(),
        "estimator": estimator,
        "random_state": random_state,
        **extra,
        "train_seconds": round(time.perf_counter() - t0, 1),
        # how far the history bears out the published rest times (curve models; 1 as published, 0 flat)
        **(
            {"published_hours_weight": round(model.published_weight_, 2)} if hasattr(model, "published_weight_") else {}
        ),
    }


def save(
    model: object, card: dict, model_path: Path, card_path: Path, default: Callable[[object], object] = str
) -> None:
    """Write a model and its card under names of their own, then rename them into place: several app processes
    may retrain at once, and a reader never sees a half-written file."""
    model_path.parent.mkdir(parents=True, exist_ok=True)
    unique = f".{os.getpid()}.{threading.get_ident()}.tmp"
    tmp_model, tmp_card = model_path.with_name(model_path.name + unique), card_path.with_name(card_path.name + unique)
    joblib.dump(model, tmp_model)
    tmp_card.write_text(json.dumps(card, ensure_ascii=False, indent=1, default=default), encoding="utf-8")
    tmp_model.replace(model_path)
    tmp_card.replace(card_path)


def json_value(value: object) -> object:
    """For a card: numbers numpy hands back as numbers, anything else as its text."""
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


STALE_DATA = ("导入了新的场次数据", "new session data was imported since training")
# A quick first model (one family fitted on all history, no backtest) stands in on a fresh install while the full
# training runs: usable like a stale one, and always replaced
QUICK = ("当前是先训练的快速模型，完整模型正在训练", "a quick first model is in use while the full model trains")
QUICK_ESTIMATOR = "glm_curve"  # the curve family with its linear base: seconds on the sample, most often chosen


def _problem_with(directory: Path, engine: sa.Engine) -> tuple[str, str] | None:
    model_path, card_path = _paths(directory)
    if not model_path.exists() or not card_path.exists():
        return ("还没有训练好的模型", "no trained model yet")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ("模型说明文件损坏", "the model card is unreadable")
    if card.get("versions") != versions():
        return ("模型由其他版本的程序库训练", "the model was trained with other library versions")
    if card.get("data_hash") != data_hash(engine):
        return STALE_DATA
    if card.get("quick"):
        return QUICK
    return None


def needs_training(engine: sa.Engine, directory: Path | None = None) -> tuple[str, str] | None:
    """Why the saved model cannot be used as it is (Chinese, English), or None when it is current."""
    return _problem_with(directory or model_dir(), engine)


def can_train(engine: sa.Engine) -> bool:
    """Whether the stored history holds enough worker sessions to train on (:data:`MIN_SESSIONS`)."""
    with engine.connect() as conn:
        count = conn.execute(
            sa.select(sa.func.count()).select_from(sessions).where(sessions.c.session_type == "worker")
        ).scalar()
    return int(count or 0) >= MIN_SESSIONS


def stamp(directory: Path | None = None) -> str:
    """Changes whenever a model is saved: caches of the loaded model are keyed by it."""
    _, card_path = _paths(directory or model_dir())
    try:
        return str(card_path.stat().st_mtime_ns)
    except OSError:
        return "none"


def load(
    engine: sa.Engine,
    *,
    directory: Path | None = None,
    retrain: bool = True,
    progress: Callable[[float, str], object] | None = None,
    allow_stale: bool = False,
) -> Loaded:
    """Load the saved model, retraining (with a message saying why) when it is missing, stale or broken.

    ``allow_stale=True`` returns a model trained on older data as it is, with a message saying so (the dashboard
    keeps showing predictions while a retrain is pending); a missing, broken or incompatible model is never used.
    """
    directory = directory or model_dir()
    reason = _problem_with(directory, engine)
    stale = allow_stale and reason in (STALE_DATA, QUICK)
    if reason is None or stale:
        model_path, card_path = _paths(directory)
        try:
            with warnings.catch_warnings():
                # a pickle from another scikit-learn warns and may mispredict: treat it as "retrain"
                warnings.simplefilter("error", category=sklearn.exceptions.InconsistentVersionWarning)
                model = joblib.load(model_path)
            if not isinstance(model, OutreachModel | CurveModel):
                raise TypeError(type(model).__name__)
            notes = {
                STALE_DATA: (
                    f"模型训练后{STALE_DATA[0]}，建议重新训练。",
                    f"{STALE_DATA[1].capitalize()}: retrain the model.",
                ),
                QUICK: (f"{QUICK[0]}，训练好后自动替换。", f"{QUICK[1].capitalize()}; it replaces this one when done."),
            }
            note = [notes[reason]] if stale and reason is not None else []
            return Loaded(model, json.loads(card_path.read_text(encoding="utf-8")), note)
        except Exception as exc:  # any unreadable file means the same thing to the user
            reason = ("模型文件损坏或无法读取", f"the model file could not be read ({type(exc).__name__})")
    if not retrain:
        raise FileNotFoundError(reason[1])
    loaded = train(engine, directory=directory, progress=progress)
    loaded.messages.append((f"已重新训练模型：{reason[0]}。", f"Model retrained: {reason[1]}."))
    return loaded
