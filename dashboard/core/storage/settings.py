"""The installation's own values, kept in the database so every app process and the command line agree.

``id_secret`` keys the ids worked out for rows named without one (:class:`~dashboard.core.intake.validate.IdRule`):
made at random by the migration that created the table, never shown, and never to be changed (a row named again
after a change would get another id; the importer finds it by its name first, so nothing is duplicated).
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from dashboard.core.storage.schema import settings


def id_secret(conn: sa.Connection) -> bytes:
    """The key of ids worked out from names; made now if the table has none (a database copied without it)."""
    found = conn.execute(sa.select(settings.c.value).where(settings.c.name == "id_secret")).scalar()
    if found is None:
        found = secrets.token_hex(32)
        conn.execute(settings.insert().values(name="id_secret", value=found))
    return bytes.fromhex(str(found))
