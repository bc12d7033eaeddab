"""The enterprise register and its visits read as frames: what the pipeline, the KPIs and the visit recommender
all start from (the reading lives here, below them, so none reads the tables its own way)."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from dashboard.core.geo import areas
from dashboard.core.storage.db import plain_rows
from dashboard.core.storage.schema import enterprise_contacts, enterprise_visits, enterprises

REGISTER_COLUMNS = tuple(c.name for c in enterprises.columns if c.name != "upload_id")
VISIT_COLUMNS = tuple(c.name for c in enterprise_visits.columns if c.name not in ("row_hash", "upload_id"))


def read_register(
    engine: sa.Engine,
    district: str | tuple[str, ...] | None = None,
    *,
    with_contacts: bool = False,
    only: tuple[str, ...] | None = None,
    ids: list[str] | None = None,
) -> pd.DataFrame:
    """Every enterprise in ``district`` (an adcode, a tuple of them, or None for all), largest first.

    ``with_contacts`` adds ``head_name`` and ``contact``: personal data, for those who work the district only.
    ``only`` reads just those register columns (a count needs no names or addresses); ``ids`` just those
    enterprises (one enterprise's page needs one row, not its district's twenty thousand).
    """
    names_read = only or REGISTER_COLUMNS
    columns = [enterprises.c[c] for c in names_read]
    query = sa.select(*columns)
    if with_contacts:
        query = sa.select(*columns, enterprise_contacts.c.head_name, enterprise_contacts.c.contact).select_from(
            enterprises.outerjoin(enterprise_contacts)
        )
    if (condition := areas.sql(enterprises.c.district, district)) is not None:
        query = query.where(condition)
    if ids is not None:
        query = query.where(enterprises.c.enterprise_id.in_(ids))
    query = query.order_by(enterprises.c.staff.desc().nulls_last(), enterprises.c.name)
    names = list(names_read) + (["head_name", "contact"] if with_contacts else [])
    with engine.connect() as conn:
        return pd.DataFrame(plain_rows(conn.execute(query)), columns=names)


def read_visits(engine: sa.Engine, district: str | tuple[str, ...] | None = None) -> pd.DataFrame:
    """Every visit in ``district`` (an adcode, a tuple, or None for all), oldest first, dates as datetime64."""
    query = sa.select(*(enterprise_visits.c[c] for c in VISIT_COLUMNS))
    if (condition := areas.sql(enterprise_visits.c.district, district)) is not None:
        query = query.where(condition)
    with engine.connect() as conn:
        rows = plain_rows(conn.execute(query.order_by(enterprise_visits.c.visited_on)))
    frame = pd.DataFrame(rows, columns=VISIT_COLUMNS)
    for column in ("visited_on", "founded_on"):
        frame[column] = pd.to_datetime(frame[column])
    frame["members"] = pd.to_numeric(frame["members"])
    for column in ("services_offered", "services_asked"):
        frame[column] = frame[column].fillna("")
    return frame


def read_contacts(engine: sa.Engine, ids: list[str]) -> dict[str, tuple[str | None, str | None]]:
    """enterprise_id -> (head_name, contact) for those of ``ids`` with a contact on record: personal data, for a
    caller whose area holds those enterprises."""
    found: dict[str, tuple[str | None, str | None]] = {}
    with engine.connect() as conn:
        for i in range(0, len(ids), 500):
            query = sa.select(
                enterprise_contacts.c.enterprise_id, enterprise_contacts.c.head_name, enterprise_contacts.c.contact
            ).where(enterprise_contacts.c.enterprise_id.in_(ids[i : i + 500]))
            found |= {str(k): (h, c) for k, h, c in conn.execute(query)}
    return found
