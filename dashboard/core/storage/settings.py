"""The installation's own values, kept in the database so every app process and the command line agree.

``id_secret`` keys the ids worked out for rows named without one (:class:`~dashboard.core.intake.validate.IdRule`):
made at random by the migration that created the table, never shown, and never to be changed (a row named again
after a change would get another id; the importer finds it by its name first, so nothing is duplicated).

``map_tiles`` is the basemap every map draws (the admin's preset, :class:`~dashboard.core.geo.maps.Tiles` as JSON).
Only the names in :data:`EDITABLE` can be read or written through :func:`read` and :func:`write`.
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


# the values an admin sets from the Admin page and every page reads; ``id_secret`` is not one of them
EDITABLE = ("map_tiles",)


def _editable(name: str) -> str:
    if name not in EDITABLE:
        raise KeyError(name)
    return name


def read(conn: sa.Connection, name: str) -> str | None:
    """An editable setting's stored text (:data:`EDITABLE`), or None when it was never set or was cleared."""
    found = conn.execute(sa.select(settings.c.value).where(settings.c.name == _editable(name))).scalar()
    return None if found is None else str(found)


def write(conn: sa.Connection, name: str, value: str | None) -> None:
    """Set an editable setting to ``value``; None clears it."""
    conn.execute(settings.delete().where(settings.c.name == _editable(name)))
    if value is not None:
        conn.execute(settings.insert().values(name=name, value=value))
