"""The editable list of service packages (服务包) offered to enterprises.

Keys are stable: a visit stores the keys it offered, so renaming a package renames it in every old visit, and a
package is retired (inactive: no longer accepted in new files, still shown in old ones) rather than deleted.
"""

from __future__ import annotations

import re

import pandas as pd
import sqlalchemy as sa

from dashboard.core.storage.schema import service_packages

COLUMNS = ("key", "zh", "en", "position", "active")


def read(engine: sa.Engine | sa.Connection, *, active_only: bool = False) -> pd.DataFrame:
    """The packages in their order (``key, zh, en, position, active``)."""
    query = sa.select(*(service_packages.c[c] for c in COLUMNS)).order_by(service_packages.c.position)
    if active_only:
        query = query.where(service_packages.c.active.is_(True))
    if isinstance(engine, sa.Connection):
        return pd.DataFrame(engine.execute(query).all(), columns=list(COLUMNS))
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(query).all(), columns=list(COLUMNS))


def names(engine: sa.Engine, lang: str = "zh") -> dict[str, str]:
    """key -> the package's name in ``lang``, retired ones included (old visits name them)."""
    frame = read(engine)
    return dict(zip(frame["key"], frame["zh" if lang == "zh" else "en"], strict=True))


def _clean(text: str, limit: int) -> str:
    value = " ".join(str(text).split())
    if not value or len(value) > limit or re.search(r"[、,，;；/|]", value) or not value.isprintable():
        raise ValueError(
            f"a package name is 1–{limit} printable characters without 、,;/| (they separate packages in files)"
        )
    return value


def _taken(conn: sa.Connection, names: tuple[str, ...], but: str | None = None) -> None:
    """Refuse a name that a file could not tell from another package's (its key, Chinese or English name, in
    any letter case)."""
    current = read(conn)
    if but is not None:
        current = current[current["key"] != but]
    used = {str(v).lower() for col in ("key", "zh", "en") for v in current[col]}
    clash = [n for n in names if n.lower() in used]
    if clash:
        raise ValueError(f"{clash[0]} is already a package's name or key")


def add(conn: sa.Connection, zh: str, en: str) -> str:
    """Add a package at the end of the list; returns its key."""
    zh, en = _clean(zh, 40), _clean(en or zh, 60)
    _taken(conn, (zh, en) if en != zh else (zh,))
    current = read(conn)
    key = f"s{len(current) + 1}"
    while key in set(current["key"]):
        key = f"s{int(key[1:]) + 1}"
    position = int(current["position"].max()) + 1 if len(current) else 0
    conn.execute(service_packages.insert().values(key=key, zh=zh, en=en, position=position, active=True))
    return key


def update(
    conn: sa.Connection, key: str, *, zh: str | None = None, en: str | None = None, active: bool | None = None
) -> None:
    """Rename a package or retire (``active=False``) / restore it."""
    values: dict[str, object] = {}
    if zh is not None:
        values["zh"] = _clean(zh, 40)
    if en is not None:
        values["en"] = _clean(en, 60)
    if active is not None:
        values["active"] = bool(active)
    if not values:
        return
    _taken(conn, tuple(str(values[k]) for k in ("zh", "en") if k in values), but=key)
    if conn.execute(service_packages.update().where(service_packages.c.key == key).values(**values)).rowcount != 1:
        raise KeyError(key)
