"""A team lead's entry on the phone, turned into the one-row results file an upload would carry.

The phone sends what was typed for one planned session (its key, the counts, a note, or 未开展); nothing else is
trusted from it: the date, times, district and site come from the stored plan row. The importer then validates,
scopes, audits and writes it exactly as an uploaded results sheet, keyed by the plan row's session id, so sending
it twice (a retry after a dropped connection) counts once and a later correction updates it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dashboard.core.geo import districts
from dashboard.core.intake.columns import SESSION_COLUMNS
from dashboard.core.intake.parsing import MAX_COUNT

COUNTS = ("staff", "consultations", "applications", "members_joined")
NOTE_LIMIT = 500


@dataclass(frozen=True)
class Entry:
    """What was typed for one session: counts (None where left blank), a note, or that it was not held."""

    key: str
    staff: int | None = None
    consultations: int | None = None
    applications: int | None = None
    members_joined: int | None = None
    notes: str | None = None
    cancelled: bool = False


class BadEntry(ValueError):
    """An entry the phone should never send (a script's or an attacker's): said in both languages."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en


def parse(payload: Any) -> Entry:
    """An :class:`Entry` from the JSON the phone posts; :class:`BadEntry` for anything that is not one."""
    if not isinstance(payload, dict):
        raise BadEntry("提交的内容无法识别。", "The entry could not be read.")
    key = payload.get("key")
    if not isinstance(key, str) or not 0 < len(key) <= 100:
        raise BadEntry("缺少场次编号。", "The session is missing.")
    counts: dict[str, int | None] = {}
    for name in COUNTS:
        value = payload.get(name)
        if value is None or value == "":
            counts[name] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise BadEntry("人数必须是整数。", "Counts must be whole numbers.")
        try:
            number = float(value)
        except ValueError:
            raise BadEntry("人数必须是整数。", "Counts must be whole numbers.") from None
        if number != int(number) or not 0 <= number <= MAX_COUNT:
            raise BadEntry(f"人数必须是 0 到 {MAX_COUNT:,} 的整数。", f"Counts are whole numbers 0-{MAX_COUNT:,}.")
        counts[name] = int(number)
    notes = payload.get("notes")
    if notes is not None and not isinstance(notes, str):
        raise BadEntry("备注必须是文字。", "The note must be text.")
    notes = (notes or "").strip()[:NOTE_LIMIT] or None
    return Entry(key=key, notes=notes, cancelled=payload.get("cancelled") is True, **counts)


def results_file(row: dict, entry: Entry) -> bytes:
    """The one-row results sheet (Chinese headers, as the plan's results template) for the stored plan ``row``
    (``session_id, date, start_time, end_time, district, site_id, site_name``) and what was typed."""
    names = {c.name: c.zh for c in SESSION_COLUMNS}
    values = {
        "session_id": row["session_id"],
        "session_type": "职工沟通会",
        "date": str(row["date"]),
        "start_time": row["start_time"],
        "end_time": row["end_time"],
        "district": districts.name(row["district"]),
        "site_id": row["site_id"],
        "site_name": row.get("site_name") or "",
        **{name: "" if getattr(entry, name) is None else getattr(entry, name) for name in COUNTS},
        "notes": entry.notes or "",
    }
    frame = pd.DataFrame([values]).rename(columns=names)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")
