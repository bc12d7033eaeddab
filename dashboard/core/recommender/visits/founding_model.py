"""The founding model: P(an enterprise founds its union within 90 days of a visit), chosen between gradient
boosting and a logistic regression on a time split, recalibrated out of time, or a transparent prior when the
record is too thin.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from .common import CATEGORICAL, ESTIMATORS, FEATURES, HORIZON_DAYS, MIN_POSITIVES, MIN_ROWS, NUMERIC
from .history_features import features, training_frame


def _pipeline(kind: str, numeric: list[str] | tuple[str, ...] = NUMERIC) -> Pipeline:
    """The estimator ``kind`` ("hgb" or "logit") behind a ColumnTransformer over the categorical features and
    ``numeric`` (default all of :data:`NUMERIC`)."""
    numeric = list(numeric)
    if kind == "hgb":
        prep = ColumnTransformer(
            [
                (
                    "cat",
                    OrdinalEncoder(
                        handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan
                    ),
                    CATEGORICAL,
                ),
                ("num", "passthrough", numeric),
            ]
        )
        est = HistGradientBoostingClassifier(
            categorical_features=list(range(len(CATEGORICAL))),
            learning_rate=0.05,
            max_iter=150,
            max_depth=4,
            min_samples_leaf=50,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=0,
        )
        return Pipeline([("prep", prep), ("est", est)])
    if kind == "logit":
        prep = ColumnTransformer(
            [
                ("cat", OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=20), CATEGORICAL),
                ("num", Pipeline([("fill", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric),
            ]
        )
        return Pipeline([("prep", prep), ("est", LogisticRegression(C=0.5, max_iter=2000))])
    raise ValueError(f"unknown estimator {kind!r}; one of {ESTIMATORS}")


def probability_scores(y: np.ndarray, p: np.ndarray, base: float) -> dict[str, float]:
    """AUC, log-loss and Brier of ``p`` against ``y``, and of the constant ``base`` for comparison."""
    p = np.clip(p, 1e-4, 1 - 1e-4)
    const = np.full(len(y), min(max(base, 1e-4), 1 - 1e-4))
    two = len(np.unique(y)) == 2
    return {
        "auc": float(roc_auc_score(y, p)) if two else float("nan"),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "log_loss_constant": float(log_loss(y, const, labels=[0, 1])),
        "brier": float(brier_score_loss(y, p)),
        "brier_constant": float(brier_score_loss(y, const)),
    }


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(p / (1 - p)), dtype=float)


def _expit(z: np.ndarray) -> np.ndarray:
    return np.asarray(1 / (1 + np.exp(-z)), dtype=float)


RECALIBRATION_MIN_POSITIVES = 20  # fewer foundings in the later quarter than this: predictions are kept as fitted


def recalibration(p: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt scaling of the estimator's P on the later quarter of the training visits: ``(a, b)`` such that
    ``expit(a + b * logit(p))`` matches what happened there.

    The estimator is fitted on the earlier visits and judged on the later ones, the way it is used: on visits after
    the ones it learnt from. Its P drifts (staff visit other enterprises as campaigns go on, a year founds less) and
    is too sharp where the data are thin (a branch that declined once); two parameters, fitted on out-of-time
    predictions, take the drift and the over-confidence out without re-ranking the enterprises (``b`` is kept
    between 0.25 and 1.5 so that one noisy quarter cannot flatten or invert the ranking).
    """
    if int(y.sum()) < RECALIBRATION_MIN_POSITIVES or int(y.sum()) == len(y):
        return (0.0, 1.0)
    fit = LogisticRegression(C=100.0).fit(_logit(p)[:, None], y)
    slope = float(np.clip(fit.coef_[0, 0], 0.25, 1.5))
    # at that slope, the intercept that makes the mean prediction the realised rate
    z, target = _logit(p) * slope, float(y.mean())
    intercept = optimize.brentq(lambda a: float(_expit(a + z).mean()) - target, -30.0, 30.0)
    return (float(intercept), slope)


class VisitModel:
    """P(an enterprise founds its union within 90 days of a visit), learnt from the visits on record.

    ``estimator`` is "hgb" (HistGradientBoostingClassifier), "logit" (LogisticRegression) or "auto" (the default):
    both are fitted on the earlier 75 % of the training visits, the one with the lower log-loss on the later 25 %
    is kept and refitted on all of them. With fewer than ``MIN_ROWS`` training visits or ``MIN_POSITIVES``
    foundings the model is a transparent prior instead (``uses_prior`` is True): a logistic curve in log staff,
    ``logit p = logit(base) + PRIOR_SLOPE * (log(1 + staff) - log(1 + 20))``, its base rate the foundings per visit
    seen so far shrunk toward ``PRIOR_BASE``.
    """

    PRIOR_BASE = 0.08  # a tenth of visits founding within 90 days is what union staff report; a guess, shrunk to
    PRIOR_SLOPE = 0.5  # larger enterprises found more readily

    def __init__(self, estimator: str = "auto") -> None:
        self.estimator = estimator
        self.calibration_: tuple[float, float] = (0.0, 1.0)
        self.estimator_: str = "prior"
        self.pipeline_: Pipeline | None = None
        self.uses_prior = True
        self.base_rate_ = self.PRIOR_BASE
        self.rows_ = 0
        self.positives_ = 0
        self.data_from_: str | None = None
        self.data_to_: str | None = None
        self.as_of_: str | None = None
        self.validation_: dict[str, Any] = {}

    def fit(self, register: pd.DataFrame, visits: pd.DataFrame, as_of: Any) -> VisitModel:
        """Learn from the visits made before ``as_of`` whose 90 days had passed by then."""
        # one OpenMP thread: tens of thousands of rows gain nothing from more, and on a busy 2-core machine the
        # gradient boosting's spinning threads made a 0.5 s fit take a minute and a half
        with threadpool_limits(limits=1, user_api="openmp"):
            return self._fit(register, visits, as_of)

    def _fit(self, register: pd.DataFrame, visits: pd.DataFrame, as_of: Any) -> VisitModel:
        X, y = training_frame(register, visits, as_of)
        self.as_of_ = pd.Timestamp(as_of).date().isoformat()
        self.rows_, self.positives_ = len(y), int(y.sum())
        if len(y):
            self.data_from_ = X.index.min().date().isoformat()
            self.data_to_ = X.index.max().date().isoformat()
        # the base rate, shrunk toward the prior's so that 3 visits and 1 founding do not say 33 %
        self.base_rate_ = (self.positives_ + 20 * self.PRIOR_BASE) / (self.rows_ + 20)
        self.validation_ = {}
        if self.rows_ < MIN_ROWS or self.positives_ < MIN_POSITIVES or self.positives_ == self.rows_:
            self.uses_prior, self.pipeline_, self.estimator_ = True, None, "prior"
            return self
        # a feature no training row has (no register gives streets, say) teaches nothing and breaks the binning
        numeric = [c for c in NUMERIC if X[c].notna().any()]
        used = [*CATEGORICAL, *numeric]
        order = np.argsort(X.index.to_numpy(), kind="stable")
        cut = int(len(order) * 0.75)
        early, late = order[:cut], order[cut:]
        candidates = ESTIMATORS if self.estimator == "auto" else (self.estimator,)
        yv = y.to_numpy()
        later: dict[str, np.ndarray] = {}
        for kind in candidates:
            if len(np.unique(yv[early])) < 2 or len(np.unique(yv[late])) < 2:
                break
            pipe = _pipeline(kind, numeric).fit(X.iloc[early][used], yv[early])
            later[kind] = pipe.predict_proba(X.iloc[late][used])[:, 1]
            self.validation_[kind] = probability_scores(yv[late], later[kind], float(yv[early].mean()))
        if self.validation_:
            best = min(self.validation_, key=lambda k: self.validation_[k]["log_loss"])
        else:
            best = candidates[0]
        self.estimator_ = best
        self.calibration_ = recalibration(later[best], yv[late]) if best in later else (0.0, 1.0)
        self.pipeline_ = _pipeline(best, numeric).fit(X[used], yv)
        self.features_ = used
        self.uses_prior = False
        return self

    def predict_features(self, X: pd.DataFrame) -> np.ndarray:
        """P(found within 90 days of a visit) for rows of :func:`features` output."""
        if self.uses_prior or self.pipeline_ is None:
            base = np.log(self.base_rate_ / (1 - self.base_rate_))
            z = base + self.PRIOR_SLOPE * (X["log_staff"].fillna(np.log1p(20)).to_numpy() - np.log1p(20))
            return np.asarray(1 / (1 + np.exp(-z)), dtype=float)
        with threadpool_limits(limits=1, user_api="openmp"):
            used = getattr(self, "features_", list(FEATURES))
            raw = np.asarray(self.pipeline_.predict_proba(X[used])[:, 1], dtype=float)
        intercept, slope = getattr(self, "calibration_", (0.0, 1.0))  # models saved before it: as they were
        return _expit(intercept + slope * _logit(raw))

    def predict(self, register: pd.DataFrame, visits: pd.DataFrame, as_of: Any) -> pd.Series:
        """P(found within 90 days of a visit on ``as_of``) of each enterprise without a union (index: register's)."""
        X = features(register, visits, as_of)
        none = (register["union_status"].astype("string") == "none").fillna(False).to_numpy(dtype=bool)
        return pd.Series(self.predict_features(X[none]), index=register.index[none], name="p_found")

    def card(self) -> dict[str, Any]:
        """What the model is, in JSON-simple values (the Model page and the saved card show it)."""
        return {
            "kind": "visit_founding",
            "horizon_days": HORIZON_DAYS,
            "estimator": self.estimator_,
            "uses_prior": bool(self.uses_prior),
            "rows": int(self.rows_),
            "positives": int(self.positives_),
            "base_rate": float(self.base_rate_),
            "data_from": self.data_from_,
            "data_to": self.data_to_,
            "as_of": self.as_of_,
            "validation": {k: {m: float(v) for m, v in s.items()} for k, s in self.validation_.items()},
            "recalibration": [float(v) for v in getattr(self, "calibration_", (0.0, 1.0))],
        }
