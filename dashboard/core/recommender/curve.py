"""The hours of a place as a curve: a session's expected count is the integral of that curve over its window.

A session from 10:00 to 12:00 says how many people were free over those two hours, not what happens in a 2-hour
band. So the expected applications of a session ``i`` at site ``s`` are modelled as

    mu_i = B_i * L_s * sum_c O_ic * lambda[type, day kind, c] * phi[s, day kind, c]

* ``O_ic``: hours of the session's window inside half-hour slot ``c`` (48 slots a day): the integral;
* ``lambda``: the kind of place's curve per kind of day (working day, rest day) at half-hour resolution, pooled
  over all kinds of place and shrunk toward that pooled curve where a kind has little evidence;
* ``phi``: the site's own factor per slot, shrunk toward 1 (its type's curve) with Gamma priors, so a site whose
  workers rest at other hours gets its own peak once sessions there have shown it, and an untried hour keeps its
  type's shape;
* ``L_s``: the site's level, shrunk toward its type-and-district group (Poisson-Gamma, as in :mod:`.model`);
* ``B_i``: everything but the hours (season, kind of day, recency of the last visit, district, size), a count
  model of those features fitted with the curve as its offset.

Curves are fitted by EM for sums of Poissons (each session's count shared among its slots in proportion to the
current curve), each step followed by a light smoothing of neighbouring slots (EMS: Silverman et al. 1990), so
sessions of different windows pin the curve down to the half hour without fitting noise.

The Gamma posteriors of ``L`` and ``phi`` say how little is known (:meth:`CurveModel.uncertainty`) and give the
planner posterior draws (:meth:`CurveModel.sampler`) for Thompson sampling.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse
from sklearn.linear_model import PoissonRegressor

from dashboard.core.recommender import features, rest_times
from dashboard.core.recommender.model import (
    TARGETS,
    _fit,
    _group_key,
    _history_by_cell,
    _lookup,
    _rest_day,
    _site_index,
    band_of,
    make_estimator,
    nb_interval,
)

SLOT_MIN = 30
N_SLOTS = 24 * 60 // SLOT_MIN
HOUR_FEATURES = ["start_h", "end_h", "duration_h"]
Arr = np.ndarray
Index = tuple[np.ndarray, np.ndarray]  # distinct sites and each row's position among them (model._site_index)
N_TYPES = len(features.SITE_TYPE_CATEGORIES)
DRAW_SMOOTHING_PASSES = 4
PUBLISHED_SD = 0.5  # prior sd of the power of the published rest times (1: as published, 0: flat)
PUBLISHED_MIN = 0.5  # a power below this: start flat (see CurveModel._published_weight)
# each kind of place's published rest times per kind of day, (N_TYPES, 2, 48): raised to the power the history
# bears out, its curve's starting shape
PUBLISHED = np.array([rest_times.type_shape(t) for t in features.SITE_TYPE_CATEGORIES])


def slot_overlap(start_min: npt.ArrayLike, end_min: npt.ArrayLike) -> np.ndarray:
    """Hours of each window inside each half-hour slot of the day: an (n, 48) matrix whose rows sum to the window's
    length in hours (the part within the day)."""
    start = np.asarray(start_min, dtype=float)[:, None]
    end = np.asarray(end_min, dtype=float)[:, None]
    edges = np.arange(N_SLOTS + 1) * SLOT_MIN
    overlap: np.ndarray = np.clip(np.minimum(end, edges[1:]) - np.maximum(start, edges[:-1]), 0, None) / 60.0
    return overlap


def window_integral(curve: np.ndarray, start_min: npt.ArrayLike, end_min: npt.ArrayLike) -> np.ndarray:
    """The integral over each window of a per-slot curve (rows: one curve per window, or one for all)."""
    overlap = slot_overlap(start_min, end_min)
    return np.asarray(np.sum(overlap * np.atleast_2d(curve), axis=1))


def _smooth(values: np.ndarray, weight: float) -> np.ndarray:
    """Mix each slot's log with its neighbours' (the EMS step); the first and last slots reflect."""
    if weight <= 0:
        return values
    log = np.log(np.clip(values, 1e-9, None))
    padded = np.concatenate([log[..., :1], log, log[..., -1:]], axis=-1)
    mixed = (1 - 2 * weight) * log + weight * (padded[..., :-2] + padded[..., 2:])
    return np.asarray(np.exp(mixed))


def _type_codes(X: pd.DataFrame) -> np.ndarray:
    codes = np.asarray(X["site_type"].cat.codes, dtype=int)
    return np.where(codes < 0, N_TYPES - 1, codes)


def _summer(groups: np.ndarray, n_groups: int) -> sparse.csr_matrix:
    """A 0/1 matrix that sums rows by group (faster than ``np.add.at`` on wide rows)."""
    n = len(groups)
    return sparse.csr_matrix((np.ones(n), (groups, np.arange(n))), shape=(n_groups, n))


class CurveModel:
    """Expected consultations and applications of worker sessions, with each place's hours as a half-hour curve.

    Parameters
    ----------
    estimator : str
        ``"hgb_curve"`` or ``"glm_curve"``: the count model of the features other than the hours.
    prior_strength : float
        Expected sign-ups of a site's own history that weigh as much as its group's level.
    curve_strength : float
        Expected sign-ups in a slot of a site's own history that weigh as much as its type's curve there, before
        the data say how much sites really differ from their type (see :meth:`_spread`): the fitted value is in
        ``curve_strengths_``.
    type_strength : float
        The same for a kind of place's curve against the curve pooled over all kinds.
    smoothing : float
        Weight of each neighbouring slot in the EMS smoothing step (0: none).
    iterations : int
        EM steps per round (two rounds: the count model is refitted between them).
    published_hours : bool
        Start each kind of place's curve from the published rest times of its workers (:mod:`.rest_times`), so an
        hour nobody tried takes that shape rather than the day's mean; False: a flat start.
    random_state : int
        Seed for the estimators.
    """

    def __init__(
        self,
        estimator: str = "hgb_curve",
        prior_strength: float = 15.0,
        curve_strength: float = 3.0,
        type_strength: float = 5.0,
        smoothing: float = 0.2,
        iterations: int = 12,
        published_hours: bool = True,
        random_state: int = 0,
    ):
        self.estimator = estimator
        self.published_hours = published_hours
        self.prior_strength = prior_strength
        self.curve_strength = curve_strength
        self.type_strength = type_strength
        self.smoothing = smoothing
        self.iterations = iterations
        self.random_state = random_state

    # -- fitting ---------------------------------------------------------------------------------------------------

    def _base_estimator(self) -> Any:
        return make_estimator("glm_base" if self.estimator.startswith("glm") else "hgb_poisson", self.random_state)

    def _base_input(self, X: pd.DataFrame) -> pd.DataFrame:
        return X.drop(columns=HOUR_FEATURES)

    def fit(self, history: pd.DataFrame, overrides: dict | None = None) -> CurveModel:
        """Fit on past worker sessions (as from :func:`features.load_history`)."""
        X = features.build(history, overrides)
        Xb = self._base_input(X)
        overlap = slot_overlap(history["start_min"], history["end_min"])
        kind = _rest_day(X).astype(int)
        types = _type_codes(X)
        sites, site_of = np.unique(history["site_id"].to_numpy().astype(str), return_inverse=True)
        by_type = _summer(types * 2 + kind, N_TYPES * 2)
        by_site = _summer(site_of * 2 + kind, len(sites) * 2)
        self.sites_ = sites
        self.published_weight_ = self._published_weight(history, overlap, types, kind)
        self._shapes = PUBLISHED**self.published_weight_  # each kind of place's starting shape, (N_TYPES, 2, 48)
        self.estimators_, self.curves_, self.factors_, self.factor_shapes_ = {}, {}, {}, {}
        self.site_levels_, self.group_levels_, self.level_shapes_ = {}, {}, {}
        self.curve_strengths_ = {}
        for target in TARGETS:
            self._k = self.curve_strength
            y = history[target].to_numpy(dtype=float)
            lam = self._shapes
            phi = np.ones((len(sites), 2, N_SLOTS))
            level = np.ones(len(history))
            base = np.ones(len(history))
            for round_ in range(2):
                curve = lam[types, kind] * phi[site_of, kind]
                offset = np.clip(level * np.sum(overlap * curve, axis=1), 1e-6, None)
                est = _fit(self._base_estimator(), Xb, y / offset, offset)
                base = np.clip(est.predict(Xb), 1e-6, None)
                for _ in range(self.iterations):
                    lam = self._type_curves(y, base * level, overlap, lam, phi, types, kind, site_of, by_type)
                    phi, shapes = self._site_factors(y, base * level, overlap, lam, phi, types, kind, site_of, by_site)
                    curve = lam[types, kind] * phi[site_of, kind]
                    site_l, group_l, level_shape = self._levels(history, base * np.sum(overlap * curve, axis=1), y)
                    level = self._level_of(history, site_l, group_l)
                if round_ == 0:  # the second round shrinks with the width the first round's evidence shows
                    self._k = self._spread(y, base * level, overlap, lam, phi, types, kind, site_of, by_site)
            self.curve_strengths_[target] = self._k
            self.estimators_[target] = est
            self.curves_[target] = lam
            self.factors_[target] = dict(zip(sites, phi, strict=True))
            self.factor_shapes_[target] = dict(zip(sites, shapes, strict=True))
            self.site_levels_[target], self.group_levels_[target] = site_l, group_l
            self.level_shapes_[target] = level_shape
        del self._k, self._shapes
        self.history_counts_, self.history_sums_ = _history_by_cell(history, X)
        self.dispersion_ = {t: 5.0 for t in TARGETS}  # replaced by calibrate() on held-out data
        self.trained_range_ = (history["date"].min(), history["date"].max())
        return self

    def _published_weight(self, history: pd.DataFrame, overlap: Arr, types: Arr, kind: Arr) -> float:
        """How far this history bears out the published rest times, from 0 (not at all: start flat) to 1.

        A Poisson regression of each session's applications per hour on the log of the published shape's mean
        over its window, beside an intercept per kind of place, kind of day and district: its slope is the power
        the published shape is raised to. Where the union's workers rest as published it comes out near 1; where
        they rest at other hours, or sites mix kinds of workers, it falls toward 0 and the data's own curve takes
        over sooner (empirical Bayes: the prior's sharpness from the data, not a tuned setting). Below
        :data:`PUBLISHED_MIN` it is 0.
        """
        if not self.published_hours:
            return 0.0
        hours = np.clip(overlap.sum(axis=1), 1e-6, None)
        shape = np.sum(overlap * PUBLISHED[types, kind], axis=1) / hours
        x = np.log(np.clip(shape, 1e-6, None))
        cell = pd.Series(types * 2 + kind).astype(str) + "|" + history["district"].astype(str).to_numpy()
        codes, _ = pd.factorize(cell)
        spread = x - pd.Series(x).groupby(codes).transform("mean").to_numpy()  # what the intercepts leave to x
        if len(history) < 30 or np.abs(spread).max() < 0.05:  # nothing to tell the slope by: keep the table
            return 1.0
        groups = sparse.csr_matrix((np.ones(len(codes)), (np.arange(len(codes)), codes)))
        design = sparse.hstack([groups, sparse.csr_matrix(x[:, None])]).tocsr()
        y = history["applications"].to_numpy(dtype=float)
        glm = PoissonRegressor(alpha=1e-6, max_iter=300).fit(design, y / hours, sample_weight=hours)
        # the slope's information, and a normal prior on it centred on the table (1) with sd PUBLISHED_SD
        information = float(np.sum(hours * glm.predict(design) * spread**2))
        prior = 1 / PUBLISHED_SD**2
        weight = float(np.clip((glm.coef_[-1] * information + prior) / (information + prior), 0.0, 1.0))
        # Borne out less than half, the table is dropped: where sites mix kinds of workers unlike their type's, a
        # faint shape still sent site after site to try the table's hours (a 10-week loop 0.61 of the oracle,
        # against 0.75 starting flat; bench/recommend_loop.py, haidian_mix_unlike).
        return weight if weight >= PUBLISHED_MIN else 0.0

    def _shares(self, y: np.ndarray, overlap: np.ndarray, curve: np.ndarray) -> np.ndarray:
        """Each session's count shared among its slots in proportion to the curve: the E-step."""
        weighted = overlap * curve
        total = np.clip(weighted.sum(axis=1, keepdims=True), 1e-12, None)
        shares: np.ndarray = y[:, None] * weighted / total
        return shares

    def _type_curves(
        self, y: Arr, scale: Arr, overlap: Arr, lam: Arr, phi: Arr, types: Arr, kind: Arr, site_of: Arr, by_type: Any
    ) -> Arr:
        got = by_type @ self._shares(y, overlap, lam[types, kind] * phi[site_of, kind])
        exposure = by_type @ (scale[:, None] * overlap * phi[site_of, kind])
        got, exposure = got.reshape(N_TYPES, 2, N_SLOTS), exposure.reshape(N_TYPES, 2, N_SLOTS)
        # Pooled over all kinds of place per kind of day, as a ratio to each kind's published shape: how this
        # union's hours differ from the published ones. A slot nobody was ever at takes the pooled day's mean
        # ratio, so the published shape (or, without it, a flat day).
        shapes = self._shapes
        pg, pe = got.sum(axis=0), (exposure * shapes).sum(axis=0)
        for day_kind in (0, 1):  # a kind of day never held borrows the other's pooled evidence, not a curve of zeros
            if pe[day_kind].sum() <= 0:
                pg[day_kind], pe[day_kind] = pg[1 - day_kind], pe[1 - day_kind]
        day_mean = pg.sum(axis=1, keepdims=True) / np.clip(pe.sum(axis=1, keepdims=True), 1e-12, None)
        pooled = (pg + 5.0 * day_mean) / (pe + 5.0)
        k = self.type_strength
        new = (got + k * pooled[None] * shapes) / (exposure + k)
        return _smooth(new, self.smoothing)

    def _site_evidence(
        self, y: Arr, scale: Arr, overlap: Arr, lam: Arr, phi: Arr, types: Arr, kind: Arr, site_of: Arr, by_site: Any
    ) -> tuple[Arr, Arr]:
        got = by_site @ self._shares(y, overlap, lam[types, kind] * phi[site_of, kind])
        exposure = by_site @ (scale[:, None] * overlap * lam[types, kind])
        return got.reshape(-1, 2, N_SLOTS), exposure.reshape(-1, 2, N_SLOTS)

    def _site_factors(self, *args: Any) -> tuple[Arr, Arr]:
        """Each site's own factors: working days shrunk toward its type's curve, rest days toward the site's own
        working-day factors (the same workers, fewer of them on shift), so a site's evidence on one kind of day
        informs the other."""
        got, exposure = self._site_evidence(*args)
        k = self._k
        work = _smooth((got[:, 0] + k) / (exposure[:, 0] + k), self.smoothing)
        rest = _smooth((got[:, 1] + k * work) / (exposure[:, 1] + k), self.smoothing)
        return np.stack([work, rest], axis=1), got + k

    def _spread(
        self, y: Arr, scale: Arr, overlap: Arr, lam: Arr, phi: Arr, types: Arr, kind: Arr, site_of: Arr, by_site: Any
    ) -> float:
        """How much sites' own curves really differ from their type's, as a prior strength (empirical Bayes).

        In slots with enough expected sign-ups, the variance of sign-ups over expected, less what chance alone puts
        there (the Poisson part, and the session-to-session spread every session has: weather, a busy day), is the
        variance of the sites' own factors; a Gamma prior with that variance has shape 1 / variance. This is the
        width that Thompson sampling draws with, so it comes from the data and not from a tuned setting.
        """
        got, exposure = self._site_evidence(y, scale, overlap, lam, phi, types, kind, site_of, by_site)
        contribution = scale[:, None] * overlap * lam[types, kind]
        mu = np.sum(contribution * phi[site_of, kind], axis=1)
        session_spread = max(float(np.sum((y - mu) ** 2 - mu) / np.sum(mu**2)), 0.0)
        squares = (by_site @ contribution**2).reshape(-1, 2, N_SLOTS)
        enough = exposure >= 3.0
        if enough.sum() < 30:  # too little evidence to say: keep the default
            return self.curve_strength
        ratio, e = got[enough] / exposure[enough], exposure[enough]
        chance = 1 / e + session_spread * squares[enough] / e**2
        variance = float(np.average((ratio - 1) ** 2 - chance, weights=e))
        return float(np.clip(1 / variance, 2.0, 50.0)) if variance > 0 else 50.0

    def _levels(self, frame: pd.DataFrame, base: np.ndarray, y: np.ndarray) -> tuple[dict, dict, dict]:
        k = self.prior_strength
        df = pd.DataFrame({"site_id": frame["site_id"].to_numpy(), "group": _group_key(frame), "y": y, "mu": base})
        g = df.groupby("group")[["y", "mu"]].sum()
        group_level = ((g["y"] + k) / (g["mu"] + k)).to_dict()
        s = df.groupby("site_id").agg(y=("y", "sum"), mu=("mu", "sum"), group=("group", "first"))
        prior = s["group"].map(group_level)
        site_level = ((s["y"] + k * prior) / (s["mu"] + k)).to_dict()
        return site_level, group_level, (s["y"] + k).to_dict()

    @staticmethod
    def _level_of(frame: pd.DataFrame, site_level: dict, group_level: dict) -> np.ndarray:
        site = frame["site_id"].map(site_level)
        group = pd.Series(_group_key(frame), index=frame.index).map(group_level)
        level: np.ndarray = site.fillna(group).fillna(1.0).to_numpy(dtype=float)
        return level

    # -- prediction ------------------------------------------------------------------------------------------------

    def _parts(
        self,
        frame: pd.DataFrame,
        target: str,
        X: pd.DataFrame | None,
        index: Index | None,
        draw: PosteriorDraw | None = None,
    ) -> tuple[Arr, Arr, Arr, Arr]:
        """Base, level, the window integral of the curve, and the slot shares of each row."""
        if X is None:
            X = features.build(frame)
        index = index or _site_index(frame)
        base = np.clip(self.estimators_[target].predict(self._base_input(X)), 0, None)
        level = self._level_of(frame, self.site_levels_[target], self.group_levels_[target])
        kind = _rest_day(X).astype(int)
        phi = _lookup_curves(index, self.factors_[target])  # (n, 2, 48)
        if draw is not None:
            level = level * draw.level(index, target)
            phi = phi * draw.factors(index, target)
        rows = np.arange(len(frame))
        curve = self.curves_[target][_type_codes(X), kind] * phi[rows, kind]
        overlap = slot_overlap(frame["start_min"], frame["end_min"])
        weighted = overlap * curve
        return base, level, weighted, kind

    def predict_mean(
        self,
        frame: pd.DataFrame,
        target: str = "applications",
        X: pd.DataFrame | None = None,
        index: Index | None = None,
    ) -> np.ndarray:
        """Expected count of ``target`` for each candidate row (site_id, date, start_min, end_min, ...)."""
        base, level, weighted, _ = self._parts(frame, target, X, index)
        mean: np.ndarray = base * level * weighted.sum(axis=1)
        return mean

    def uncertainty(
        self,
        frame: pd.DataFrame,
        target: str = "applications",
        X: pd.DataFrame | None = None,
        index: Index | None = None,
    ) -> np.ndarray:
        """The coefficient of variation of each row's expected count, from the Gamma posteriors of the site's level
        and of its own factors in the slots of the window (weighted by the curve's share of each slot)."""
        if X is None:
            X = features.build(frame)
        index = index or _site_index(frame)
        _, _, weighted, kind = self._parts(frame, target, X, index)
        share = weighted / np.clip(weighted.sum(axis=1, keepdims=True), 1e-12, None)
        k = self.prior_strength
        level_shape = _lookup(index, self.level_shapes_[target], k)
        shapes = _lookup_curves(index, self.factor_shapes_[target], self.curve_strengths_[target])
        shapes = shapes[np.arange(len(frame)), kind]
        cv: np.ndarray = np.sqrt(1.0 / np.maximum(level_shape, 1e-9) + np.sum(share**2 / shapes, axis=1))
        return cv

    def tried(
        self, frame: pd.DataFrame, X: pd.DataFrame | None = None, index: Index | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Past sessions of each row's site at its kind of day and hour, and their mean applications (NaN if none)."""
        from dashboard.core.recommender.model import BANDS

        if X is None:
            X = features.build(frame)
        index = index or _site_index(frame)
        cell = _rest_day(X).astype(int) * len(BANDS) + band_of(frame["start_min"], frame["end_min"])
        rows = np.arange(len(frame))
        n_cells = 2 * len(BANDS)
        n = _lookup(index, self.history_counts_, np.zeros(n_cells))[rows, cell]
        total = _lookup(index, self.history_sums_, np.zeros(n_cells))[rows, cell]
        return n.astype(int), np.divide(total, n, out=np.full(len(frame), np.nan), where=n > 0)

    def assess(self, frame: pd.DataFrame, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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

    def calibrate(self, frame: pd.DataFrame) -> CurveModel:
        """Fit each target's negative-binomial dispersion on held-out sessions (method of moments)."""
        X = features.build(frame)
        for target in TARGETS:
            y = frame[target].to_numpy(dtype=float)
            mu = self.predict_mean(frame, target, X)
            excess = np.sum((y - mu) ** 2 - mu)
            self.dispersion_[target] = float(np.clip(np.sum(mu**2) / excess, 0.3, 1e4)) if excess > 0 else 1e4
        return self

    def sampler(self, seed: int = 0, hours: bool = False) -> PosteriorDraw:
        """A draw from the posterior of every site's level (the same draw for all of a site's rows, whatever order
        they are asked in): what Thompson sampling plans with.

        ``hours`` also draws each site's own factor in every half hour. That is off by default, measured: the slots'
        Gamma posteriors are independent, so a draw is a jagged curve whose chance peaks pull sessions to hours that
        are not better; on the ten-week loop (bench/recommend_loop.py) drawing them gave 0.70-0.76 of the oracle
        where drawing levels only gave 0.75-0.82 and planning by the mean 0.73-0.78. Hours are still learned
        without it: an hour never tried at a site keeps its type's curve in the mean, and each result moves it.
        """
        return PosteriorDraw(self, seed, hours)


class PosteriorDraw:
    """One posterior draw of a :class:`CurveModel`'s site levels (and, with ``hours``, site curves); a predictor for
    the planner."""

    def __init__(self, model: CurveModel, seed: int, hours: bool = False):
        self.model, self.seed, self.hours = model, seed, hours
        self._levels: dict[tuple[str, str], float] = {}
        self._factors: dict[tuple[str, str], np.ndarray] = {}

    def _rng(self, site: str, target: str) -> np.random.Generator:
        return np.random.default_rng([self.seed, zlib.crc32(f"{target}|{site}".encode())])

    def _draw(self, site: str, target: str) -> None:
        m = self.model
        rng = self._rng(site, target)
        shape = max(float(m.level_shapes_[target].get(site, m.prior_strength)), 1e-9)
        self._levels[(site, target)] = float(rng.gamma(shape, 1.0 / shape))
        shapes = m.factor_shapes_[target].get(site, np.full((2, N_SLOTS), m.curve_strengths_[target]))
        # Neighbouring half hours move together, as rest times do: the slots' draws are smoothed over about an hour
        # and a half (four passes of the EMS kernel), so a draw is a plausible curve, not a jagged one.
        drawn = rng.gamma(shapes, 1.0 / shapes)
        kernel = np.array([0.25, 0.5, 0.25])
        for _ in range(DRAW_SMOOTHING_PASSES):  # in linear space: a mean-1 draw stays mean 1 (log space would bias it)
            padded = np.concatenate([drawn[..., :1], drawn, drawn[..., -1:]], axis=-1)
            drawn = kernel[0] * padded[..., :-2] + kernel[1] * drawn + kernel[2] * padded[..., 2:]
        self._factors[(site, target)] = drawn

    def level(self, index: Index, target: str) -> np.ndarray:
        sites, rows = index
        for s in sites:
            if (s, target) not in self._levels:
                self._draw(s, target)
        drawn: np.ndarray = np.asarray([self._levels[(s, target)] for s in sites])[rows]
        return drawn

    def factors(self, index: Index, target: str) -> np.ndarray:
        sites, rows = index
        if not self.hours:
            return np.ones((len(rows), 2, N_SLOTS))
        for s in sites:
            if (s, target) not in self._factors:
                self._draw(s, target)
        drawn: np.ndarray = np.stack([self._factors[(s, target)] for s in sites])[rows]
        return drawn

    def predict_mean(
        self, frame: pd.DataFrame, target: str = "applications", X: pd.DataFrame | None = None
    ) -> np.ndarray:
        base, level, weighted, _ = self.model._parts(frame, target, X, None, draw=self)
        mean: np.ndarray = base * level * weighted.sum(axis=1)
        return mean


def _lookup_curves(index: Index, values: dict, default: float = 1.0) -> np.ndarray:
    """``values[site]`` (a (2, 48) array) for each row's site; ``default`` everywhere for sites not in it."""
    sites, rows = index
    fallback = np.full((2, N_SLOTS), default)
    looked_up: np.ndarray = np.stack([values.get(s, fallback) for s in sites])[rows]
    return looked_up
