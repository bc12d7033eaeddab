"""Moving a register record (a site or an enterprise) to another district or street.

A site id or a credit code is one record city-wide, held by the first area that registers it (see
``ingest._taken``). When an area registered a key that is another's, an administrator moves the record: every row
that reads its area from the record (a site's sessions and saved plan rows, an enterprise's visits) moves with it,
in one transaction, so scope keeps agreeing with the record.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from dashboard.core.geo import areas, districts, streets
from dashboard.core.intake import credit_code
from dashboard.core.storage.db import lock_writes
from dashboard.core.storage.schema import enterprise_visits, enterprises, plan_rows, sessions, sites

KINDS = ("site", "enterprise")


@dataclass(frozen=True)
class Move:
    """What a move did: the record's key and its (district, street code) before and after, and the rows that
    followed it."""

    kind: str
    key: str
    before: tuple[str, str | None]
    after: tuple[str, str | None]
    followed: int

    def codes(self) -> set[str]:
        """The areas the move touched (both), for the audit log."""
        return areas.touched([self.before, self.after])


def target(district: str, street: str | None = None) -> tuple[str, str | None]:
    """The (adcode, street code) a move goes to, from names or codes as typed; ValueError in both languages."""
    code = districts.resolve(district)
    if code is None:
        raise ValueError(f"没有这个区：{district} / no such district: {district}")
    if not street:
        return code, None
    found = streets.resolve(street, code)
    if found is None:
        raise ValueError(
            f"{districts.name(code)}没有这个街道乡镇：{street} / no such street in {districts.name(code, 'en')}"
        )
    return code, found


def _key_of(kind: str, key: str) -> str:
    text = " ".join(str(key).split())
    return (
        credit_code.normalise(text)
        if kind == "enterprise" and credit_code.is_valid(credit_code.normalise(text))
        else text
    )


def where(engine: sa.Engine, kind: str, key: str) -> tuple[str, str | None] | None:
    """The stored (district, street code) of a site or an enterprise, or None when there is none."""
    table, key_col = (sites, sites.c.site_id) if kind == "site" else (enterprises, enterprises.c.enterprise_id)
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(table.c.district, table.c.street_code).where(key_col == _key_of(kind, key))
        ).first()
    return None if row is None else (row[0], row[1])


def move(engine: sa.Engine, kind: str, key: str, district: str, street: str | None = None) -> Move:
    """Move the site or enterprise ``key`` to ``district`` (and ``street``, or none), with the rows that follow it.

    Raises LookupError when there is no such record, ValueError for an unknown district or street.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    new = target(district, street)
    stored_key = _key_of(kind, key)
    street_name = streets.name(new[1]) if new[1] else None
    with engine.begin() as conn:
        lock_writes(conn)
        followers: list[tuple[sa.Table, sa.Column]]
        if kind == "site":
            table, key_col = sites, sites.c.site_id
            followers = [(sessions, sessions.c.site_id), (plan_rows, plan_rows.c.site_id)]
        else:
            table, key_col = enterprises, enterprises.c.enterprise_id
            followers = [(enterprise_visits, enterprise_visits.c.enterprise_id)]
        row = conn.execute(sa.select(table.c.district, table.c.street_code).where(key_col == stored_key)).first()
        if row is None:
            raise LookupError(stored_key)
        conn.execute(
            table.update().where(key_col == stored_key).values(district=new[0], street_code=new[1], street=street_name)
        )
        followed = 0
        for follower, column in followers:
            result = conn.execute(
                follower.update().where(column == stored_key).values(district=new[0], street_code=new[1])
            )
            followed += result.rowcount or 0
    return Move(kind, stored_key, (row[0], row[1]), new, followed)
