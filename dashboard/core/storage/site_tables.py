"""The sites read as a frame: what the map, the site statistics and the recommender all start from (the reading
lives here, below them, as for the enterprise register in :mod:`enterprise_tables`)."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from dashboard.core.geo import areas
from dashboard.core.storage.schema import sites

SITE_COLUMNS = ("site_id", "name", "district", "street", "street_code", "lat", "lon", "site_type", "workers_nearby")


def read_sites(engine: sa.Engine, where: areas.Where = None) -> pd.DataFrame:
    """Every site within ``where`` (area codes, see :mod:`dashboard.core.geo.areas`; None: all)."""
    query = sa.select(*(sites.c[c] for c in SITE_COLUMNS))
    if (condition := areas.sql(sites.c.district, where)) is not None:
        query = query.where(condition)
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(query).all(), columns=list(SITE_COLUMNS))
