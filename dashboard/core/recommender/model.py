"""The recommender's model: expected consultations and on-site applications for a (site, date, window).

Three parts, all learned from the stored history:

* a count model of the candidate session's features (kind of place x hour x day type x season x recency), chosen
  among a few estimators by a time-split validation, not by habit;
* each site's own level, a multiplicative effect estimated from the site's residuals and shrunk toward its
  type-and-district group (empirical Bayes, Poisson-Gamma), so a site never visited gets its group's level;
* each site's own time-of-day profile: a factor per kind of day (working day, rest day) and clock hour, from the
  site's residuals in that hour and shrunk toward 1 (its type's profile), so a site whose workers are unlike its
  type's shows its own best hours once it has been tried at them, and an untried hour keeps its type's shape.

The Gamma posteriors behind the last two also say how uncertain each estimate is (:meth:`OutreachModel.uncertainty`):
what the planner's exploration weighs. Intervals are 80% prediction intervals of a negative binomial whose
dispersion is fitted on the validation period.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import PoissonRegressor
from sklearn.metrics import mean_poisson_deviance
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, SplineTransformer, StandardScaler

from dashboard.core.recommender import features

TARGETS = ("consultations", "applications")
# The candidates a backtest chooses among ("hgb_squared" is kept for comparison runs: it was never chosen).
# "hgb_curve" is :mod:`.curve`'s model (hours as a half-hour curve integrated over each window); the others model the
# hours as features of a session's start and end.
ESTIMATORS = ("glm_curve", "hgb_curve", "hgb_poisson", "glm_poisson", "glm_hours")
PREFERRED = ("glm_curve", "hgb_curve")
# The better curve model is kept unless its held-out deviance is this much worse than the best of all: held-out
# sessions sit at the hours planners habitually chose, so deviance cannot see what a model gets right at the hours
# nobody tried, which is where plans go (bench/recommend_quality.py and bench/recommend_loop.py measure that), and
# only the curve models give the planner posterior draws to learn while acting.
PREFERRED_TOLERANCE = 1.25
HOURS = np.arange(6, 23)  # hour boundaries of the hourly terms of ``glm_hours``

# Time bands of a site's own profile: the clock hours 6-22 (the first and last take the hours beyond them).
BAND_EDGES = np.arange(6, 23) * 60
BANDS = tuple((f"{h}时", f"{h}h") for h in range(6, 22))
DAY_KINDS = (("工作日", "working days"), ("休息日", "rest days"))
N_CELLS = len(DAY_KINDS) * len(BANDS)


def band_weights(start_min: npt.ArrayLike, end_min: npt.ArrayLike, rest_day: npt.ArrayLike) -> np.ndarray:
    """Each session's share of time in each (kind of day, band) cell: an (n, 14) matrix whose rows sum to 1."""
    start = np.clip(np.asarray(start_min, dtype=float), BAND_EDGES[0], BAND_EDGES[-1] - 1)
    end = np.clip(np.asarray(end_min, dtype=float), start + 1, BAND_EDGES[-1])
    lo, hi = BAND_EDGES[:-1][None, :], BAND_EDGES[1:][None, :]
    overlap = np.clip(np.minimum(end[:, None], hi) - np.maximum(start[:, None], lo), 0, None)
    overlap /= overlap.sum(axis=1, keepdims=True)
    rest = np.asarray(rest_day, dtype=bool)[:, None]
    return np.hstack([np.where(rest, 0.0, overlap), np.where(rest, overlap, 0.0)])


def band_of(start_min: npt.ArrayLike, end_min: npt.ArrayLike) -> np.ndarray:
    """The band holding most of each session (its midpoint's band)."""
    mid = (np.asarray(start_min, dtype=float) + np.asarray(end_min, dtype=float)) / 2
    band: np.ndarray = np.clip(np.searchsorted(BAND_EDGES, mid, side="right") - 1, 0, len(BANDS) - 1)
    return band


def make_estimator(kind: str, random_state: int = 0) -> Any:
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
    if kind == "glm_base":  # the count model behind "glm_curve": everything but the hours
        return make_pipeline(
            FunctionTransformer(base_design), PoissonRegressor(alpha=0.02, solver="newton-cholesky", max_iter=300)
        )
    if kind == "glm_hours":
        return make_pipeline(
            FunctionTransformer(hour_design), PoissonRegressor(alpha=0.05, solver="newton-cholesky", max_iter=300)
        )
    raise ValueError(f"unknown estimator {kind!r}; choose one of {(*ESTIMATORS, 'hgb_squared')}")


def make_model(kind: str, random_state: int = 0) -> Any:
    """An unfitted model of ``kind`` (one of :data:`ESTIMATORS`)."""
    if kind.endswith("_curve"):
        from dashboard.core.recommender.curve import CurveModel

        return CurveModel(kind, random_state=random_state)
    return OutreachModel(kind, random_state=random_state)


def hour_design(X: pd.DataFrame) -> np.ndarray:
    """Terms for a Poisson GLM that learns each kind of place's hours from few sessions.

    A session's hours enter as its overlap with each clock hour, once for every kind of place and kind of day and
    once pooled over all of them; the ridge penalty pulls a type's hourly terms toward the pooled shape, so a type
    seen at an hour a few times borrows from the others instead of guessing.
    """
    start, end = X["start_h"].to_numpy(dtype=float), X["end_h"].to_numpy(dtype=float)
    overlap = np.clip(
        np.minimum(end[:, None], HOURS[1:][None, :]) - np.maximum(start[:, None], HOURS[:-1][None, :]), 0, None
    )
    rest = _rest_day(X).astype(int)
    types = (
        X["site_type"].cat.codes.to_numpy() if hasattr(X["site_type"], "cat") else pd.Categorical(X["site_type"]).codes
    )
    n_hours, n_types = len(HOURS) - 1, len(features.SITE_TYPE_CATEGORIES)
    by_type = np.zeros((len(X), n_types * 2 * n_hours))
    first = (types * 2 + rest) * n_hours
    for j in range(n_hours):
        by_type[np.arange(len(X)), first + j] = overlap[:, j]
    workers = X["log_workers"].to_numpy(dtype=float)
    other = np.column_stack(
        [
            X["doy_sin"],
            X["doy_cos"],
            np.log1p(X["days_since"].to_numpy(dtype=float)),
            np.nan_to_num(workers, nan=np.nanmedian(workers) if np.isfinite(workers).any() else 0.0),
            X["year"] - 2024,
        ]
    )
    onehot = [np.eye(len(c.cat.categories))[c.cat.codes] for c in (X["district"], X["site_type"])]
    return np.hstack([by_type, overlap, overlap * rest[:, None], other, *onehot])


def base_design(X: pd.DataFrame) -> np.ndarray:
    """Terms for a Poisson GLM of a session's count apart from its hours (which :mod:`.curve` integrates): season,
    kind of day, recency of the site's last session, size, year, district and kind of place."""
    workers = X["log_workers"].to_numpy(dtype=float)
    since = X["days_since"].to_numpy(dtype=float)
    numeric = np.column_stack(
        [
            X["doy_sin"],
            X["doy_cos"],
            np.log1p(since),
            np.minimum(since, 90.0) / 90.0,
            np.nan_to_num(workers, nan=np.nanmedian(workers) if np.isfinite(workers).any() else 0.0),
            X["year"] - 2024,
        ]
    )
    onehot = [np.eye(len(c.cat.categories))[c.cat.codes] for c in (X["district"], X["site_type"], X["day_type"])]
    return np.hstack([numeric, *onehot])


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

    def __init__(
        self,
        estimator: str = "hgb_poisson",
        prior_strength: float = 15.0,
        band_strength: float = 8.0,
        random_state: int = 0,
    ):
        self.estimator = estimator
        self.prior_strength = prior_strength
        self.band_strength = band_strength
        self.random_state = random_state

    def fit(self, history: pd.DataFrame, overrides: dict | None = None) -> OutreachModel:
        """Fit on past worker sessions (as from :func:`features.load_history`)."""
        X = _as_model_input(features.build(history, overrides), self.estimator)
        cells = band_weights(history["start_min"], history["end_min"], _rest_day(X))
        self.estimators_ = {}
        self.site_levels_ = {}
        self.group_levels_ = {}
        self.band_factors_ = {}
        self.level_shapes_ = {}
        self.posterior_ = {}
        for target in TARGETS:
            y = history[target].to_numpy(dtype=float)
            est = make_estimator(self.estimator, self.random_state).fit(X, y)
            base = np.clip(est.predict(X), 1e-6, None)
            # one back-fitting step: refit with the site levels as an offset (Poisson: y/level weighted by level)
            site_l, group_l = self._levels(history, base, y)
            level = self._level_of(history, site_l, group_l)
            est = _fit(make_estimator(self.estimator, self.random_state), X, y / level, level)
            base = np.clip(est.predict(X), 1e-6, None)
            bands: dict = {}
            for _ in range(4):  # levels given the bands, then bands given the levels, until they settle
                site_l, group_l = self._levels(history, base * self._band_of(history, cells, bands), y)
                bands, posterior = self._bands(history, cells, base * self._level_of(history, site_l, group_l), y)
            self.site_levels_[target], self.group_levels_[target] = site_l, group_l
            self.level_shapes_[target] = self._shapes
            self.band_factors_[target] = bands
            self.posterior_[target] = posterior
            self.estimators_[target] = est
        self.history_counts_, self.history_sums_ = _history_by_cell(history, X)
        del self._shapes
        self.dispersion_ = {t: 5.0 for t in TARGETS}  # replaced by calibrate() on held-out data
        self.trained_range_ = (history["date"].min(), history["date"].max())
        return self

    def _levels(self, frame: pd.DataFrame, base: np.ndarray, y: np.ndarray) -> tuple[dict, dict]:
        """Site levels (Gamma posterior means) and group levels; the posterior shapes are kept in ``_shapes``."""
        k = self.prior_strength
        df = pd.DataFrame({"site_id": frame["site_id"].to_numpy(), "group": _group_key(frame), "y": y, "mu": base})
        g = df.groupby("group")[["y", "mu"]].sum()
        group_level = ((g["y"] + k) / (g["mu"] + k)).to_dict()
        s = df.groupby("site_id").agg(y=("y", "sum"), mu=("mu", "sum"), group=("group", "first"))
        prior = s["group"].map(group_level)
        site_level = ((s["y"] + k * prior) / (s["mu"] + k)).to_dict()
        self._shapes = (s["y"] + k * prior).to_dict()
        return site_level, group_level

    def _bands(self, frame: pd.DataFrame, cells: np.ndarray, expected: np.ndarray, y: np.ndarray) -> tuple[dict, dict]:
        """Each site's factor per (kind of day, band), shrunk toward 1, and the Gamma posterior's shape per cell."""
        k = self.band_strength
        sites, index = np.unique(frame["site_id"].to_numpy(), return_inverse=True)
        got = np.zeros((len(sites), N_CELLS))
        exp = np.zeros((len(sites), N_CELLS))
        np.add.at(got, index, cells * y[:, None])
        np.add.at(exp, index, cells * expected[:, None])
        factors = (got + k) / (exp + k)
        return dict(zip(sites, factors, strict=True)), dict(zip(sites, got + k, strict=True))

    @staticmethod
    def _level_of(frame: pd.DataFrame, site_level: dict, group_level: dict) -> np.ndarray:
        site = frame["site_id"].map(site_level)
        group = pd.Series(_group_key(frame), index=frame.index).map(group_level)
        level: np.ndarray = site.fillna(group).fillna(1.0).to_numpy(dtype=float)
        return level

    @staticmethod
    def _band_of(
        frame: pd.DataFrame, cells: np.ndarray, bands: dict, index: tuple[np.ndarray, np.ndarray] | None = None
    ) -> np.ndarray:
        if not bands:
            return np.ones(len(frame))
        factor: np.ndarray = np.einsum("ij,ij->i", cells, _lookup(index or _site_index(frame), bands, np.ones(N_CELLS)))
        return factor

    def predict_mean(
        self,
        frame: pd.DataFrame,
        target: str = "applications",
        X: pd.DataFrame | None = None,
        index: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        """Expected count of ``target`` for each candidate row (site_id, date, start_min, end_min, ...)."""
        if X is None:
            X = features.build(frame)
        X = _as_model_input(X, self.estimator)
        base = np.clip(self.estimators_[target].predict(X), 0, None)
        level = self._level_of(frame, self.site_levels_[target], self.group_levels_[target])
        cells = band_weights(frame["start_min"], frame["end_min"], _rest_day(X))
        band = self._band_of(frame, cells, getattr(self, "band_factors_", {}).get(target, {}), index)
        mean: np.ndarray = base * level * band
        return mean

    def uncertainty(
        self,
        frame: pd.DataFrame,
        target: str = "applications",
        X: pd.DataFrame | None = None,
        index: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        """The coefficient of variation of each row's expected count: how little the history says about it.

        From the Gamma posteriors of the site's level and of its own factor in the session's hours: a site and hour
        with many past sign-ups are known closely; a site never visited, or an hour never tried there, is not.
        """
        if X is None:
            X = features.build(frame)
        index = index or _site_index(frame)
        k = self.prior_strength
        level_shape = _lookup(index, getattr(self, "level_shapes_", {}).get(target, {}), k)
        cells = band_weights(frame["start_min"], frame["end_min"], _rest_day(X))
        shapes = _lookup(index, self.posterior_.get(target, {}), np.full(N_CELLS, self.band_strength))
        cv2 = 1.0 / np.maximum(level_shape, k) + np.einsum("ij,ij->i", cells**2, 1.0 / shapes)
        cv: np.ndarray = np.sqrt(cv2)
        return cv

    def tried(
        self, frame: pd.DataFrame, X: pd.DataFrame | None = None, index: tuple[np.ndarray, np.ndarray] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Past sessions of each row's site at its kind of day and hour, and their mean applications (NaN if none)."""
        if X is None:
            X = features.build(frame)
        index = index or _site_index(frame)
        cell = _rest_day(X).astype(int) * len(BANDS) + band_of(frame["start_min"], frame["end_min"])
        rows = np.arange(len(frame))
        n = _lookup(index, getattr(self, "history_counts_", {}), np.zeros(N_CELLS))[rows, cell]
        total = _lookup(index, getattr(self, "history_sums_", {}), np.zeros(N_CELLS))[rows, cell]
        return n.astype(int), np.divide(total, n, out=np.full(len(frame), np.nan), where=n > 0)

    def assess(self, frame: pd.DataFrame, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Expected applications, their uncertainty and the past sessions at each row's site and hour, in one pass."""
        index = _site_index(frame)
        return (
            self.predict_mean(frame, "applications", X, index),
            self.uncertainty(frame, "applications", X, index),
            self.tried(frame, X, index)[0],
        )

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

    def calibrate(self, frame: pd.DataFrame) -> OutreachModel:
        """Fit each target's negative-binomial dispersion on held-out sessions (method of moments)."""
        X = features.build(frame)
        for target in TARGETS:
            y = frame[target].to_numpy(dtype=float)
            mu = self.predict_mean(frame, target, X)
            excess = np.sum((y - mu) ** 2 - mu)
            self.dispersion_[target] = float(np.clip(np.sum(mu**2) / excess, 0.3, 1e4)) if excess > 0 else 1e4
        return self


def _rest_day(X: pd.DataFrame) -> np.ndarray:
    from dashboard.core.recommender import calendar as cal

    return np.isin(np.asarray(X["day_type"].astype(str)), (cal.WEEKEND, cal.HOLIDAY))


def _site_index(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The distinct sites of ``frame`` and each row's position among them: per-site values are looked up once."""
    return np.unique(frame["site_id"].to_numpy().astype(str), return_inverse=True)


def _lookup(index: tuple[np.ndarray, np.ndarray], values: dict, default: float | np.ndarray) -> np.ndarray:
    """``values[site]`` for each row's site (``default`` for sites not in it)."""
    sites, rows = index
    looked_up: np.ndarray = np.asarray([values.get(s, default) for s in sites], dtype=float)[rows]
    return looked_up


def _history_by_cell(history: pd.DataFrame, X: pd.DataFrame) -> tuple[dict, dict]:
    """Per site, the past sessions and their applications in each (kind of day, band) cell: what a planner checks."""
    cell = _rest_day(X).astype(int) * len(BANDS) + band_of(history["start_min"], history["end_min"])
    sites, index = np.unique(history["site_id"].to_numpy().astype(str), return_inverse=True)
    counts = np.zeros((len(sites), N_CELLS))
    sums = np.zeros((len(sites), N_CELLS))
    np.add.at(counts, (index, cell), 1)
    np.add.at(sums, (index, cell), history["applications"].to_numpy(dtype=float))
    return dict(zip(sites, counts, strict=True)), dict(zip(sites, sums, strict=True))


def _fit(estimator, X, y, weight):
    if hasattr(estimator, "steps"):  # a pipeline routes the weight to its final step
        return estimator.fit(X, y, **{f"{estimator.steps[-1][0]}__sample_weight": weight})
    return estimator.fit(X, y, sample_weight=weight)


def _group_key(frame: pd.DataFrame) -> np.ndarray:
    key: np.ndarray = (frame["model_type"].astype(str) + "|" + frame["district"].astype(str)).to_numpy()
    return key


def nb_interval(mu: np.ndarray, k: float, coverage: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
    """Central prediction interval of a negative binomial with mean ``mu`` and dispersion ``k``."""
    mu = np.asarray(mu, dtype=float)
    p = k / (k + np.maximum(mu, 1e-9))
    tail = (1 - coverage) / 2
    return stats.nbinom.ppf(tail, k, p), stats.nbinom.ppf(1 - tail, k, p)


def deviance(y: np.ndarray, mu: np.ndarray) -> float:
    return float(mean_poisson_deviance(y, np.clip(mu, 1e-6, None)))
