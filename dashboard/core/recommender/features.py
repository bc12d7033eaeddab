"""Features for the recommender: what a (site, date, start-end window) looks like to the model.

Nothing here encodes what we believe about rest hours or seasons; the features only describe the candidate
session (kind of place, hours, official day type, season, how recently the site was visited) so that the model
can learn those effects from the history.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from dashboard.core.geo.districts import DISTRICTS
from dashboard.core.intake.columns import SITE_TYPES
from dashboard.core.recommender import calendar as cal
from dashboard.core.storage.schema import sessions, sites
from dashboard.core.storage.site_tables import read_sites

SITE_TYPE_CATEGORIES = (*SITE_TYPES, "other")
DAY_TYPE_CATEGORIES = cal.DAY_TYPES
DISTRICT_CATEGORIES = tuple(d.adcode for d in DISTRICTS)
NEVER_VISITED_DAYS = 365.0  # "not for a long time": saturation has long worn off
FEATURE_VERSION = 2  # bump when the feature set changes; saved models of another version are retrained

NUMERIC = ["start_h", "end_h", "duration_h", "doy_sin", "doy_cos", "month", "year", "log_workers", "days_since"]
CATEGORICAL = ["site_type", "day_type", "district"]
FEATURES = CATEGORICAL + NUMERIC


def load_sites(engine: sa.Engine, district: str | tuple[str, ...] | None = None) -> pd.DataFrame:
    """Sites (within ``district``: area codes) with their type folded into the model's categories (unknown labels
    become "other")."""
    frame = read_sites(engine, district)
    frame["model_type"] = frame["site_type"].where(frame["site_type"].isin(SITE_TYPES), "other")
    return frame


def load_history(engine: sa.Engine) -> pd.DataFrame:
    """Every worker session with its site's attributes, oldest first."""
    query = (
        sa.select(
            sessions.c.session_key,
            sessions.c.date,
            sessions.c.start_time,
            sessions.c.end_time,
            sessions.c.site_id,
            sessions.c.consultations,
            sessions.c.applications,
            sites.c.site_type,
            sites.c.district,
            sites.c.workers_nearby,
        )
        .join(sites, sites.c.site_id == sessions.c.site_id)
        .where(sessions.c.session_type == "worker")
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(
        rows,
        columns=[
            "session_key",
            "date",
            "start_time",
            "end_time",
            "site_id",
            "consultations",
            "applications",
            "site_type",
            "district",
            "workers_nearby",
        ],
    )
    frame["date"] = pd.to_datetime(frame["date"])
    frame["start_min"] = [t.hour * 60 + t.minute for t in frame["start_time"]]
    frame["end_min"] = [t.hour * 60 + t.minute for t in frame["end_time"]]
    frame["model_type"] = frame["site_type"].where(frame["site_type"].isin(SITE_TYPES), "other")
    frame = (
        frame.drop(columns=["start_time", "end_time"])
        .sort_values(["date", "start_min"], kind="stable")
        .reset_index(drop=True)
    )
    frame["days_since"] = days_since_previous(frame)
    return frame


def days_since_previous(frame: pd.DataFrame) -> pd.Series:
    """Days since the same site's previous session (NaN for its first); same-day repeats count as half a day."""
    ordered = frame.sort_values(["date", "start_min"], kind="stable")
    gap = (ordered["date"] - ordered.groupby("site_id")["date"].shift()).dt.days.astype(float)
    gap = gap.where(gap != 0, 0.5)
    return gap.reindex(frame.index)


def build(frame: pd.DataFrame, overrides: dict | None = None) -> pd.DataFrame:
    """The model's input for candidate or past sessions.

    Parameters
    ----------
    frame : DataFrame
        Columns ``date, start_min, end_min, model_type, district, workers_nearby`` and optionally
        ``days_since`` (NaN or absent: not visited for a long time).
    overrides : dict, optional
        Calendar overrides (date -> day type).

    Returns
    -------
    DataFrame
        ``FEATURES`` columns, categoricals with fixed categories so that training and prediction agree.
    """
    dates = pd.to_datetime(frame["date"]).reset_index(drop=True)
    days = cal.day_types(dates, overrides)
    doy = dates.dt.day_of_year.to_numpy()
    start = frame["start_min"].to_numpy(dtype=float) / 60.0
    end = frame["end_min"].to_numpy(dtype=float) / 60.0
    workers = pd.to_numeric(frame["workers_nearby"], errors="coerce").to_numpy(dtype=float)
    since = frame["days_since"].to_numpy(dtype=float) if "days_since" in frame else np.full(len(frame), np.nan)
    out = pd.DataFrame(
        {
            "site_type": pd.Categorical(frame["model_type"].to_numpy(), categories=SITE_TYPE_CATEGORIES),
            "day_type": pd.Categorical(days["day_type"].to_numpy(), categories=DAY_TYPE_CATEGORIES),
            "district": pd.Categorical(frame["district"].to_numpy(), categories=DISTRICT_CATEGORIES),
            "start_h": start,
            "end_h": end,
            "duration_h": end - start,
            "doy_sin": np.sin(2 * np.pi * doy / 365.25),
            "doy_cos": np.cos(2 * np.pi * doy / 365.25),
            "month": dates.dt.month.to_numpy(),
            "year": dates.dt.year.to_numpy(),
            "log_workers": np.log1p(workers),  # NaN when unknown: the model handles missing values
            "days_since": np.minimum(np.nan_to_num(since, nan=NEVER_VISITED_DAYS), NEVER_VISITED_DAYS),
        }
    )
    out.attrs["provisional"] = days["provisional"].to_numpy()
    return out
