"""The enterprise register as people read it, and the deletion of its personal data."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from dashboard.core.reports.kpi import in_districts
from dashboard.core.storage.schema import enterprise_contacts, enterprises

COLUMNS = tuple(c.name for c in enterprises.columns if c.name != "upload_id")


def read(
    engine: sa.Engine, district: str | tuple[str, ...] | None = None, *, with_contacts: bool = False
) -> pd.DataFrame:
    """Every enterprise in ``district`` (an adcode, a tuple of them, or None for all), largest first.

    ``with_contacts`` adds ``head_name`` and ``contact``: personal data, for those who work the district only.
    """
    columns = [enterprises.c[c] for c in COLUMNS]
    query = sa.select(*columns)
    if with_contacts:
        query = sa.select(*columns, enterprise_contacts.c.head_name, enterprise_contacts.c.contact).select_from(
            enterprises.outerjoin(enterprise_contacts)
        )
    if (condition := in_districts(enterprises.c.district, district)) is not None:
        query = query.where(condition)
    query = query.order_by(enterprises.c.staff.desc().nulls_last(), enterprises.c.name)
    names = list(COLUMNS) + (["head_name", "contact"] if with_contacts else [])
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(query).all(), columns=names)


def districts_of(engine: sa.Engine, ids: list[str]) -> dict[str, str]:
    """The stored district of each id that names an enterprise."""
    with engine.connect() as conn:
        return dict(
            conn.execute(
                sa.select(enterprises.c.enterprise_id, enterprises.c.district).where(
                    enterprises.c.enterprise_id.in_(ids)
                )
            ).all()
        )


def forget_contacts(engine: sa.Engine, ids: list[str]) -> int:
    """Delete the personal data of these enterprises; returns how many records held some."""
    with engine.begin() as conn:
        return conn.execute(enterprise_contacts.delete().where(enterprise_contacts.c.enterprise_id.in_(ids))).rowcount
