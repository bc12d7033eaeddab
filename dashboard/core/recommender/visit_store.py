"""The enterprise-visit model on disk: trained in the background beside the stall model, saved under ``models/``
with its card (data range and hash, library versions, validation and backtest), loaded by requests that never
train.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import pandas as pd
import sklearn
import sqlalchemy as sa

from dashboard.core.recommender import store, visits
from dashboard.core.storage.enterprise_tables import read_register, read_visits
from dashboard.core.storage.schema import enterprise_visits, enterprises

MODEL_NAME = "visits"
STALE = ("训练后导入了新的企业或走访数据", "new enterprise or visit data was imported since training")
BACKTEST_DAYS = 180  # the cutoff sits this far before the last visit: a 90-day window, then 90 days to found


def frames(engine: sa.Engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The whole register and every visit in the recommender's shapes (neighbours across a border count too)."""
    register = read_register(engine)
    register["union_founded_on"] = pd.to_datetime(register["union_founded_on"])
    register["registered_on"] = pd.to_datetime(register["registered_on"])
    register["staff"] = pd.to_numeric(register["staff"])
    register["lat"] = pd.to_numeric(register["lat"])
    register["lon"] = pd.to_numeric(register["lon"])
    return register.reset_index(drop=True), read_visits(engine)


def data_hash(engine: sa.Engine) -> str:
    """A digest of what training reads: the register's modelled columns and every visit's stored content."""
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for row in conn.execute(
            sa.select(
                enterprises.c.enterprise_id,
                enterprises.c.district,
                enterprises.c.street,
                enterprises.c.lat,
                enterprises.c.lon,
                enterprises.c.industry,
                enterprises.c.staff,
                enterprises.c.union_status,
                enterprises.c.union_founded_on,
                enterprises.c.registered_on,
            ).order_by(enterprises.c.enterprise_id)
        ):
            digest.update("\x1f".join(map(str, row)).encode() + b"\n")
        for key, row_hash in conn.execute(
            sa.select(enterprise_visits.c.visit_key, enterprise_visits.c.row_hash).order_by(
                enterprise_visits.c.visit_key
            )
        ):
            digest.update(f"{key}\x1f{row_hash}\n".encode())
    return digest.hexdigest()


def _paths(directory: Path) -> tuple[Path, Path]:
    return directory / f"{MODEL_NAME}.joblib", directory / f"{MODEL_NAME}.json"


@dataclass
class LoadedVisits:
    model: visits.VisitModel
    card: dict
    stale: bool  # trained on older data than the database now holds (a retrain is due)


# The saved model's layout: a model saved in another one is retrained, not loaded (2: the visits package, where the
# model's class moved to visits.founding_model, and the recalibrated P)
MODEL_FORMAT = "2"


def _versions() -> dict[str, str]:
    """What a saved visit model must have been trained with to be loaded: library versions, features, layout."""
    versions: dict[str, str] = store.versions() | {"visit_features": ",".join(visits.FEATURES)}
    return versions | {"visit_model_format": MODEL_FORMAT}


def train(
    engine: sa.Engine,
    *,
    directory: Path | None = None,
    progress: Callable[[float, str], object] | None = None,
    today: dt.date | None = None,
) -> LoadedVisits | None:
    """Backtest, fit on every visit, and save; None when the database holds no enterprises."""
    t0 = time.perf_counter()
    directory = directory or store.model_dir()
    register, history = frames(engine)
    if register.empty:
        return None
    last = history["visited_on"].max() if len(history) else pd.NaT
    as_of = (last + pd.Timedelta(days=1)).date() if pd.notna(last) else (today or dt.date.today())
    if progress:
        progress(0.85, "visit model: backtest")
    cutoff = as_of - dt.timedelta(days=BACKTEST_DAYS)
    try:
        backtest: dict[str, Any] = visits.backtest(register, history, cutoff)
    except ValueError as too_short:  # a few months of visits cannot be split: say so on the card
        backtest = {"skipped": str(too_short)}
    if progress:
        progress(0.95, "visit model: fit")
    model = visits.VisitModel().fit(register, history, as_of)
    card = {
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "as_of": as_of.isoformat(),
        "visits": int(len(history)),
        "enterprises": int(len(register)),
        "data_hash": data_hash(engine),
        "versions": _versions(),
        "model": model.card(),
        "backtest_cutoff": cutoff.isoformat(),
        "backtest": backtest,
        "train_seconds": round(time.perf_counter() - t0, 1),
    }
    store.save(model, card, *_paths(directory), default=store.json_value)
    return LoadedVisits(model, card, stale=False)


def needs_training(engine: sa.Engine, directory: Path | None = None) -> tuple[str, str] | None:
    """Why the saved visit model cannot be used as it is (Chinese, English), or None when it is current."""
    model_path, card_path = _paths(directory or store.model_dir())
    if not model_path.exists() or not card_path.exists():
        return ("还没有训练好的企业走访模型", "no trained visit model yet")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ("企业走访模型的说明文件损坏", "the visit model card is unreadable")
    if card.get("versions") != _versions():
        return ("企业走访模型由其他版本的程序库训练", "the visit model was trained with other library versions")
    if card.get("data_hash") != data_hash(engine):
        return STALE
    return None


def load(engine: sa.Engine, directory: Path | None = None) -> LoadedVisits | None:
    """The saved model, or None when there is none usable (missing, unreadable, other library versions).

    A model trained on older data is returned with ``stale=True``: plans go on from it while the retrain runs.
    """
    directory = directory or store.model_dir()
    reason = needs_training(engine, directory)
    if reason is not None and reason != STALE:
        return None
    model_path, card_path = _paths(directory)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", category=sklearn.exceptions.InconsistentVersionWarning)
            model = joblib.load(model_path)
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except Exception:  # a broken file is "no model", never a crash: the next retrain replaces it
        return None
    if not isinstance(model, visits.VisitModel):
        return None
    return LoadedVisits(model, card, stale=reason is not None)


def stamp(directory: Path | None = None) -> str:
    """Changes whenever a visit model is saved."""
    _, card_path = _paths(directory or store.model_dir())
    try:
        return str(card_path.stat().st_mtime_ns)
    except OSError:
        return "none"


def outlook(loaded: LoadedVisits | None, register: pd.DataFrame, history: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Each enterprise without a union: P(founding within 90 days of a visit on ``as_of``), expected members
    (staff × the join rate of its district and industry) and their product, the value a visit plan ranks by.

    Without a trained model the prior (staff and the overall rate) stands in, as in a plan.
    """
    model = loaded.model if loaded is not None else visits.VisitModel()
    p = model.predict(register, history, as_of)
    rates = pd.Series(visits.member_rates(register, history), index=register.index)
    frame = register.loc[
        p.index, ["enterprise_id", "name", "district", "street", "street_code", "lat", "lon", "staff"]
    ].copy()
    frame["p_found"] = p.to_numpy()
    frame["members_if_founded"] = frame["staff"].fillna(0) * rates.loc[p.index]
    frame["expected_members"] = frame["p_found"] * frame["members_if_founded"]
    return frame.sort_values("expected_members", ascending=False).reset_index(drop=True)
