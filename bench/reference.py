"""A reference learner for the recommender benchmarks: told how the world works, not how each site is.

It knows the world's structure: the rest-time curve of each kind of worker (for a narrow-peak world, the narrow
curves and that a site may shift them), the rest-day factors, seasons, the saturation law, sign-up rates by type
and how a site's size sets its expected level. It does not know any site's own worker mix, shift, level or sign-up
rate: it estimates them from the same history and results as the model, site by site (non-negative least squares
of the sessions' applications on each kind of worker's expected yield, weighted as Poisson, with the site's type
and size as a prior worth two sessions), and plans with the same planner.

So the gap from the oracle to this reference is, roughly, what no method could know from this history, and the gap
from this reference to the model is what a better learner could gain (bench/recommend_quality.py and
bench/recommend_loop.py report both). It is a reference, not the best possible learner: on rest days it takes a
site's yield as the sum over its kinds of workers, where the world multiplies the mix's curve by the mix's rest-day
factor.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import nnls

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from data import sample  # noqa: E402

PRIOR_SESSIONS = 2.0  # the type-and-size prior weighs as much as this many sessions per kind of worker


class StructuredReference:
    """A predictor (``predict_mean``) that learns each site's parameters, given the world's equations."""

    def __init__(self, spec: sample.World, truth: sample.Truth):
        self.truth = truth
        self.width = spec.peak_width
        self.shifts = np.round(np.arange(-1.5, 1.51, 0.25), 2) if spec.peak_width and spec.peak_shift else [0.0]
        types = truth.sites["site_type"].unique()
        rows, profiles = [], {}
        for t in types:
            for g in sample.GROUPS:
                for sh in self.shifts:
                    key = f"{t}|{g}|{sh}"
                    moved = sh + truth.group_offsets.get(g, 0.0)
                    profiles[key] = sample.narrow_profile(g, self.width, moved) if self.width else sample.PROFILES[g]
                    rows.append(
                        {
                            "site_id": key,
                            "site_type": t,
                            "district": "",
                            "level": 1.0,
                            "size": 1.0,
                            "profile": key,
                            "weekend": sample._GROUP_TABLE[g][1],
                            "conversion": sample.CONVERSION[t],
                        }
                    )
        self.basis = sample.Truth(
            pd.DataFrame(rows), truth.consult_scale, truth.apply_scale, truth.year_heat, profiles, truth.type_profiles
        )
        sites = truth.sites.set_index("site_id")
        self.type_of = sites["site_type"].to_dict()
        prior_level = np.exp(sample.LEVEL_SPREAD**2 / 2) * sites["size"]
        mixes = np.array([[sample.TYPE_GROUPS[t].get(g, 0.0) for g in sample.GROUPS] for t in sites["site_type"]])
        self.prior = {s: lvl * m for s, lvl, m in zip(sites.index, prior_level, mixes, strict=True)}
        self.params: dict[str, tuple[float, np.ndarray]] = {s: (0.0, c) for s, c in self.prior.items()}

    def _design(self, frame: pd.DataFrame, shift: float) -> np.ndarray:
        """Each row's expected applications from a level-1 site of its type holding only one kind of worker."""
        types = frame["site_id"].map(self.type_of).to_numpy()
        since = frame.get("days_since", None)
        columns = []
        for g in sample.GROUPS:
            keys = [f"{t}|{g}|{shift}" for t in types]
            _, apps = self.basis.expected(keys, frame["date"], frame["start_min"], frame["end_min"], since)
            columns.append(apps)
        return np.column_stack(columns)

    def fit(self, history: pd.DataFrame) -> StructuredReference:
        """Estimate each visited site's kinds of workers (and shift) from its sessions."""
        history = history.reset_index(drop=True)
        designs = {sh: self._design(history, sh) for sh in self.shifts}
        y_all = history["applications"].to_numpy(dtype=float)
        for site, rows in history.groupby("site_id").indices.items():
            if site not in self.prior:
                continue
            c0, y = self.prior[site], y_all[rows]
            best = None
            for sh in self.shifts:
                V = designs[sh][rows]
                mu0 = np.maximum(V @ c0, 0.5)
                w = 1 / np.sqrt(mu0)
                scale = np.sqrt(np.mean(V**2 / mu0[:, None], axis=0)) + 1e-9
                A = np.vstack([V * w[:, None], np.sqrt(PRIOR_SESSIONS) * np.diag(scale)])
                b = np.concatenate([y * w, np.sqrt(PRIOR_SESSIONS) * scale * c0])
                c, _ = nnls(A, b)
                mu = np.maximum(V @ c, 1e-6)
                deviance = 2 * np.sum(np.where(y > 0, y * np.log(np.maximum(y, 1e-9) / mu), 0) - (y - mu))
                if best is None or deviance < best[0]:
                    best = (deviance, sh, c)
            assert best is not None
            self.params[site] = (best[1], best[2])
        return self

    def predict_mean(self, frame: pd.DataFrame, target: str = "applications") -> np.ndarray:
        frame = frame.reset_index(drop=True)
        out = np.zeros(len(frame))
        shift_of = frame["site_id"].map(lambda s: self.params[s][0]).to_numpy()
        for sh in np.unique(shift_of):
            m = shift_of == sh
            part = frame[m]
            coef = np.stack([self.params[s][1] for s in part["site_id"]])
            out[m] = np.sum(self._design(part, float(sh)) * coef, axis=1)
        return out


def with_days_since(frame: pd.DataFrame) -> pd.DataFrame:
    """A history frame (site_id, date, start_min, end_min, applications) with each session's gap to the site's last."""
    ordered = frame.sort_values(["date", "start_min"], kind="stable").reset_index(drop=True)
    gap = (ordered["date"] - ordered.groupby("site_id")["date"].shift()).dt.days.astype(float)
    ordered["days_since"] = gap.where(gap != 0, 0.5)
    return ordered
