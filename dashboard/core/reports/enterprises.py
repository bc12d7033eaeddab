"""The enterprise register as people read it, and the deletion of its personal data."""

from __future__ import annotations

import sqlalchemy as sa

from dashboard.core.storage.enterprise_tables import REGISTER_COLUMNS, read_register
from dashboard.core.storage.schema import enterprise_contacts, enterprises

COLUMNS = REGISTER_COLUMNS
read = read_register  # the district's register, as its pages show it


def areas_of(engine: sa.Engine, ids: list[str]) -> dict[str, tuple[str, str | None]]:
    """The stored (district, street code) of each id that names an enterprise."""
    query = sa.select(enterprises.c.enterprise_id, enterprises.c.district, enterprises.c.street_code).where(
        enterprises.c.enterprise_id.in_(ids)
    )
    with engine.connect() as conn:
        return {key: (district, street) for key, district, street in conn.execute(query)}


def forget_contacts(engine: sa.Engine, ids: list[str]) -> int:
    """Delete the personal data of these enterprises; returns how many records held some."""
    with engine.begin() as conn:
        return conn.execute(enterprise_contacts.delete().where(enterprise_contacts.c.enterprise_id.in_(ids))).rowcount


def is_empty(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(sa.select(enterprises.c.enterprise_id).limit(1)).first() is None
