"""The recommender's model: expected consultations and on-site applications for a (site, date, window).

Two parts, both learned from the stored history:

* a count model of the candidate session's features (kind of place x hour x day type x season x recency), chosen
  among a few estimators by a time-split validation, not by habit;
* each site's own level, a multiplicative effect estimated from the site's residuals and shrunk toward its
  type-and-district group (empirical Bayes, Poisson-Gamma), so a site never visited gets its group's level.

Intervals are 80% prediction intervals of a negative binomial whose dispersion is fitted on the validation period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import PoissonRegressor
from sklearn.metrics import mean_poisson_deviance
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, SplineTransformer, StandardScaler

from . import features

TARGETS = ("consultations", "applications")
ESTIMATORS = ("hgb_poisson", "hgb_squared", "glm_poisson")


def make_estimator(kind: str, random_state: int = 0):
    """A fresh, unfitted estimator of ``kind`` (one of :data:`ESTIMATORS`)."""
    if kind.startswith("hgb"):
        return HistGradientBoostingRegressor(
            loss="poisson" if kind == "hgb_poisson" else "squared_error",
            learning_rate=0.08,
            max_iter=400,
            max_leaf_nodes=31,
            min_samples_leaf=40,
            l2_regularization=1.0,
            categorical_features="from_dtype",
            early_stopping=True,
            validation_fraction=0.1,
            n_iter_no_change=20,
            random_state=random_state,
        )
    if kind == "glm_poisson":
        encode = ColumnTransformer(
            [
                ("cat", OneHotEncoder(handle_unknown="ignore"), features.CATEGORICAL),
                ("hours", SplineTransformer(n_knots=8, degree=3), ["start_h", "end_h"]),
                ("num", StandardScaler(), ["duration_h", "doy_sin", "doy_cos", "year", "days_since"]),
            ]
        )
        return make_pipeline(encode, PoissonRegressor(alpha=1e-4, solver="newton-cholesky", max_iter=200))
    raise ValueError(f"unknown estimator {kind!r}; choose one of {ESTIMATORS}")


def _as_model_input(X: pd.DataFrame, kind: str) -> pd.DataFrame:
    if kind == "glm_poisson":
        X = X.copy()
        X["log_workers"] = X["log_workers"].fillna(X["log_workers"].median())
    return X


class OutreachModel:
    """Expected consultations and applications of candidate worker sessions.

    Parameters
    ----------
    estimator : str
        One of :data:`ESTIMATORS`.
    prior_strength : float
        How many expected sign-ups of a site's own history weigh as much as its group's level.
    random_state : int
        Seed for the estimators.
    """

    def __init__(self, estimator: str = "hgb_poisson", prior_strength: float = 15.0, random_state: int = 0):
        self.estimator = estimator
        self.prior_strength = prior_strength
        self.random_state = random_state

    def fit(self, history: pd.DataFrame, overrides: dict | None = None) -> "OutreachModel":
        """Fit on past worker sessions (as from :func:`features.load_history`)."""
        X = _as_model_input(features.build(history, overrides), self.estimator)
        self.estimators_ = {}
        self.site_levels_ = {}
        self.group_levels_ = {}
        for target in TARGETS:
            y = history[target].to_numpy(dtype=float)
            est = make_estimator(self.estimator, self.random_state).fit(X, y)
            base = np.clip(est.predict(X), 1e-6, None)
            # one back-fitting step: refit with the site levels as an offset (Poisson: y/level weighted by level)
            site_l, group_l = self._levels(history, base, y)
            level = self._level_of(history, site_l, group_l)
            est = _fit(make_estimator(self.estimator, self.random_state), X, y / level, level)
            base = np.clip(est.predict(X), 1e-6, None)
            self.site_levels_[target], self.group_levels_[target] = self._levels(history, base, y)
            self.estimators_[target] = est
        self.dispersion_ = {t: 5.0 for t in TARGETS}  # replaced by calibrate() on held-out data
        self.trained_range_ = (history["date"].min(), history["date"].max())
        return self

    def _levels(self, frame: pd.DataFrame, base: np.ndarray, y: np.ndarray):
        k = self.prior_strength
        df = pd.DataFrame({"site_id": frame["site_id"].to_numpy(), "group": _group_key(frame), "y": y, "mu": base})
        g = df.groupby("group")[["y", "mu"]].sum()
        group_level = ((g["y"] + k) / (g["mu"] + k)).to_dict()
        s = df.groupby("site_id").agg(y=("y", "sum"), mu=("mu", "sum"), group=("group", "first"))
        prior = s["group"].map(group_level)
        site_level = ((s["y"] + k * prior) / (s["mu"] + k)).to_dict()
        return site_level, group_level

    @staticmethod
    def _level_of(frame: pd.DataFrame, site_level: dict, group_level: dict) -> np.ndarray:
        site = frame["site_id"].map(site_level)
        group = pd.Series(_group_key(frame), index=frame.index).map(group_level)
        return site.fillna(group).fillna(1.0).to_numpy(dtype=float)

    def predict_mean(self, frame: pd.DataFrame, target: str = "applications", X: pd.DataFrame | None = None) -> np.ndarray:
        """Expected count of ``target`` for each candidate row (site_id, date, start_min, end_min, ...)."""
        if X is None:
            X = features.build(frame)
        X = _as_model_input(X, self.estimator)
        base = np.clip(self.estimators_[target].predict(X), 0, None)
        return base * self._level_of(frame, self.site_levels_[target], self.group_levels_[target])

    def predict(self, frame: pd.DataFrame, overrides: dict | None = None) -> pd.DataFrame:
        """Expected consultations and applications with 80% prediction intervals."""
        X = features.build(frame, overrides)
        out = {}
        for target in TARGETS:
            mu = self.predict_mean(frame, target, X)
            lo, hi = nb_interval(mu, self.dispersion_[target])
            out[target], out[f"{target}_low"], out[f"{target}_high"] = mu, lo, hi
        result = pd.DataFrame(out, index=frame.index)
        result["provisional"] = X.attrs["provisional"]
        return result

    def calibrate(self, frame: pd.DataFrame) -> "OutreachModel":
        """Fit each target's negative-binomial dispersion on held-out sessions (method of moments)."""
        X = features.build(frame)
        for target in TARGETS:
            y = frame[target].to_numpy(dtype=float)
            mu = self.predict_mean(frame, target, X)
            excess = np.sum((y - mu) ** 2 - mu)
            self.dispersion_[target] = float(np.clip(np.sum(mu**2) / excess, 0.3, 1e4)) if excess > 0 else 1e4
        return self


def _fit(estimator, X, y, weight):
    if hasattr(estimator, "steps"):  # a pipeline routes the weight to its final step
        return estimator.fit(X, y, **{f"{estimator.steps[-1][0]}__sample_weight": weight})
    return estimator.fit(X, y, sample_weight=weight)


def _group_key(frame: pd.DataFrame) -> np.ndarray:
    return (frame["model_type"].astype(str) + "|" + frame["district"].astype(str)).to_numpy()


def nb_interval(mu: np.ndarray, k: float, coverage: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
    """Central prediction interval of a negative binomial with mean ``mu`` and dispersion ``k``."""
    mu = np.asarray(mu, dtype=float)
    p = k / (k + np.maximum(mu, 1e-9))
    tail = (1 - coverage) / 2
    return stats.nbinom.ppf(tail, k, p), stats.nbinom.ppf(1 - tail, k, p)


def deviance(y: np.ndarray, mu: np.ndarray) -> float:
    return float(mean_poisson_deviance(y, np.clip(mu, 1e-6, None)))
