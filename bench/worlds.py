"""What the recommender benchmarks share: a world loaded into a fresh database, the plans they compare, and how a
plan is scored by the world's ground truth."""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.core.intake import ingest  # noqa: E402
from dashboard.core.recommender import (
    features,  # noqa: E402
    planner,  # noqa: E402
    recommend,  # noqa: E402
    store,  # noqa: E402
)
from dashboard.core.storage import db  # noqa: E402
from data import sample  # noqa: E402


@dataclass
class Loaded:
    """A world in a database of its own, with the model an upload would train on it."""

    spec: sample.World
    world: sample.Sample
    engine: object
    directory: Path
    model: store.Loaded | None = None

    @property
    def district(self):
        return self.spec.districts

    def teams(self) -> int:
        """Six teams for the city; for a district, about one per 25 sites (2-4)."""
        return 6 if self.spec.districts is None else int(np.clip(len(self.world.sites) // 25, 2, 4))


def load(spec: sample.World, directory: Path, *, train: bool = True, estimators=None) -> Loaded:
    """Generate ``spec``, import it the way an upload does, and train the model as an upload's retrain does."""
    world = sample.generate_world(spec)
    engine = db.make_engine(f"sqlite:///{directory / (spec.name + '.sqlite')}")
    db.upgrade(engine)
    unlimited = dict(max_bytes=1 << 40, max_rows=1 << 40)
    ingest.import_sites(engine, sample.to_csv_bytes(world.sites), "sites.csv", **unlimited)
    report = ingest.import_sessions(
        engine, sample.to_csv_bytes(world.sessions), "sessions.csv", today=sample.HISTORY_END, **unlimited
    )
    assert report.status == "written", [p.en for p in report.errors][:5]
    loaded = Loaded(spec, world, engine, directory / spec.name)
    if train:
        loaded.model = store.train(engine, directory=loaded.directory, estimators=estimators)
    return loaded


def true_value(truth, plan: pd.DataFrame, last: dict) -> float:
    """Sum of true expected applications, each session after the site's previous visit (history or plan)."""
    if plan.empty:
        return 0.0
    rows = plan.sort_values(["date", "start_min"]).copy()
    seen = dict(last)
    since = []
    for site, day in zip(rows["site_id"], rows["date"], strict=True):
        prev = seen.get(site)
        since.append(np.nan if prev is None else max((day - prev).days, 0.5))
        seen[site] = day
    _, apps = truth.expected(rows["site_id"], rows["date"], rows["start_min"], rows["end_min"], since)
    return float(apps.sum())


def habit_plan(history: pd.DataFrame, request: planner.PlanRequest, rank_by: str = "total") -> pd.DataFrame:
    """Each team at the best historical sites, at each site's usual start hour, one site per team and day.

    ``rank_by="total"``: the sites that signed up the most people over the whole history (how a planner reads
    the ledger; the primary habit baseline). ``rank_by="mean"``: the highest mean per session among sites with at
    least five sessions (a stricter reference: it favours sites that do well at the habitual hour).
    """
    if request.district:
        wanted = [request.district] if isinstance(request.district, str) else list(request.district)
        history = history[history["district"].isin(wanted)]
    stats = history.groupby("site_id").agg(
        total=("applications", "sum"),
        mean=("applications", "mean"),
        n=("applications", "size"),
        usual=("start_min", lambda s: s.mode().iat[0]),
    )
    if rank_by == "mean":
        stats = stats[stats["n"] >= 5]
    top = stats.sort_values(rank_by, ascending=False).head(request.teams * request.days)
    rows = []
    for i, (site, r) in enumerate(top.iterrows()):
        day, team = divmod(i, request.teams)
        start = int(min(max(r["usual"], request.hours[0]), request.hours[1] - request.length_min))
        rows.append(
            {
                "team": team + 1,
                "date": request.dates()[day],
                "start_min": start,
                "end_min": start + request.length_min,
                "site_id": site,
            }
        )
    return pd.DataFrame(rows, columns=["team", "date", "start_min", "end_min", "site_id"])


def model_plan(
    loaded: Loaded, request: planner.PlanRequest, last: dict, sites: pd.DataFrame | None = None
) -> pd.DataFrame:
    sites = features.load_sites(loaded.engine) if sites is None else sites
    return planner.plan(recommend.CalendarPredictor(loaded.model.model, None), sites, last, request)


def oracle_plan(
    loaded: Loaded, request: planner.PlanRequest, last: dict, sites: pd.DataFrame | None = None
) -> pd.DataFrame:
    sites = features.load_sites(loaded.engine) if sites is None else sites
    return planner.plan(loaded.world.truth, sites, last, request)


def request_for(loaded: Loaded, start: dt.date, **kwargs) -> planner.PlanRequest:
    return planner.PlanRequest(start=start, days=7, teams=loaded.teams(), district=loaded.district, **kwargs)
