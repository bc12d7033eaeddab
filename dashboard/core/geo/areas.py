"""Area codes: the one filter every scoped read and write takes, at the district or the street level.

An area code is a district's 6-digit adcode (the whole district) or a street's 9-digit statistical code (one
street or township, see :mod:`dashboard.core.geo.streets`). A filter ("where") is ``None`` (the whole city), one
code, or a tuple of codes that may mix both levels: a row lies within it when its district is one of the 6-digit
codes or its street is one of the 9-digit ones. A row without a street therefore lies within its district's filter
but never within a street's.

Tables that hold rows of a street carry a ``street_code`` column beside ``district``; a table without one has no
row within any street filter, so a street-level caller can never read what cannot be attributed to a street.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from dashboard.core.geo import districts, streets

Where = str | Sequence[str] | None  # one code, or several (a tuple or a list)


def codes(where: Where) -> tuple[str, ...] | None:
    """The filter as a tuple of codes (None: no filter)."""
    if where is None or (isinstance(where, str) and not where):
        return None
    return (where,) if isinstance(where, str) else tuple(where)


def split(where: Where) -> tuple[list[str], list[str]]:
    """(district codes, street codes) of a filter that is not None."""
    found = codes(where) or ()
    return sorted(c for c in found if len(c) == 6), sorted(c for c in found if len(c) == 9)


def district_of(code: str) -> str:
    return code[:6]


def districts_in(where: Where) -> tuple[str, ...] | None:
    """The districts a filter touches, wholly or in part."""
    found = codes(where)
    return None if found is None else tuple(sorted({district_of(c) for c in found}))


def finest(district: object, street: object) -> str | None:
    """The smallest area a row is known to lie in: its street's code, else its district's."""
    if isinstance(street, str) and street:
        return street
    return district if isinstance(district, str) and district else None


def touched(rows: Iterable[tuple[object, object]]) -> set[str]:
    """The finest codes of (district, street) rows: what an audit entry or an upload's record lists."""
    return {code for district, street in rows if (code := finest(district, street))}


def within_districts(where: Where, district_codes: Iterable[str]) -> tuple[str, ...]:
    """The part of ``where`` that lies in ``district_codes``: how a caller of ``where`` reads those districts."""
    wanted = set(district_codes)
    found = codes(where)
    if found is None:
        return tuple(sorted(wanted))
    return tuple(c for c in found if district_of(c) in wanted)


def covers(where: Where, district: object, street: object = None) -> bool:
    """Whether a row of ``district`` (and ``street``, which may be missing) lies within ``where``."""
    found = codes(where)
    if found is None:
        return True
    return district in found or (isinstance(street, str) and bool(street) and street in found)


def record_within(record_codes: Iterable[str], where: Where) -> bool:
    """Whether a record spanning rows whose finest codes are ``record_codes`` lies wholly within ``where``.

    An empty record lies within nothing but the whole city.
    """
    found = codes(where)
    if found is None:
        return True
    allowed = set(found)
    items = [c for c in record_codes if c]
    return bool(items) and all(c in allowed or district_of(c) in allowed for c in items)


def sql(district_column: Any, where: Where) -> Any:
    """The condition for a filter on a table's ``district`` column (None: no condition).

    Street codes are matched on the same table's ``street_code`` column; a table without one matches no street.
    """
    found = codes(where)
    if found is None:
        return None
    whole, parts = split(found)
    conditions = []
    if whole:
        conditions.append(district_column == whole[0] if len(whole) == 1 else district_column.in_(whole))
    if parts:
        street_column = district_column.table.c.get("street_code")
        if street_column is not None:
            conditions.append(street_column == parts[0] if len(parts) == 1 else street_column.in_(parts))
    if not conditions:
        return sa.false()
    return conditions[0] if len(conditions) == 1 else sa.or_(*conditions)


def mask(frame: pd.DataFrame, where: Where, district: str = "district", street: str = "street_code") -> pd.Series:
    """The in-memory counterpart of :func:`sql`: which rows of ``frame`` lie within ``where``."""
    found = codes(where)
    if found is None:
        return pd.Series(True, index=frame.index)
    whole, parts = split(found)
    inside = frame[district].isin(whole) if district in frame else pd.Series(False, index=frame.index)
    if parts and street in frame:
        inside = inside | frame[street].isin(parts)
    return inside


def keep(frame: pd.DataFrame, where: Where, district: str = "district", street: str = "street_code") -> pd.DataFrame:
    """The rows of ``frame`` within ``where``, re-indexed."""
    if codes(where) is None:
        return frame
    return frame.loc[mask(frame, where, district, street)].reset_index(drop=True)


def name(code: str, lang: str = "zh") -> str:
    """A code's name: 朝阳区, or 朝阳区建外街道 for a street (its district first, since names repeat)."""
    if len(code) == 9:
        street = streets.name(code) or code
        return (
            f"{districts.name(code[:6], lang)}{street}"
            if lang == "zh"
            else f"{street}, {districts.name(code[:6], lang)}"
        )
    return districts.name(code, lang)


def names(where: Where, lang: str = "zh") -> str:
    found = codes(where)
    if found is None:
        return "全市" if lang == "zh" else "the whole city"
    return ("、" if lang == "zh" else "; ").join(name(c, lang) for c in found)
