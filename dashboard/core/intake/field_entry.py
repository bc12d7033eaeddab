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


@dataclass(frozen=True)
class VisitOutcome:
    """What came of one enterprise of a planned visit: an OUTCOMES key (or "joint" for a joint union's founding),
    the members who joined and the day, for a founding, or the reason, for a decline."""

    enterprise_id: str
    outcome: str
    members: int | None = None
    founded_on: str | None = None
    reason: str | None = None


VISIT_OUTCOMES = {
    "held": "已沟通",
    "interested": "有意向",
    "founded": "已建会",
    "joint": "联合建会",
    "declined": "暂不建会",
}


def parse_visits(payload: Any, allowed_ids: list[str]) -> tuple[list[VisitOutcome], str | None, bool]:
    """The outcomes a phone sends for one planned visit (``payload["visits"]``), each for one of ``allowed_ids`` (the
    row's enterprises), the note and whether it was not held; :class:`BadEntry` for anything else."""
    if not isinstance(payload, dict):
        raise BadEntry("提交的内容无法识别。", "The entry could not be read.")
    notes = payload.get("notes")
    if notes is not None and not isinstance(notes, str):
        raise BadEntry("备注必须是文字。", "The note must be text.")
    notes = (notes or "").strip()[:NOTE_LIMIT] or None
    if payload.get("cancelled") is True:
        return [], notes, True
    given = payload.get("visits")
    if not isinstance(given, list) or not 0 < len(given) <= len(allowed_ids):
        raise BadEntry("请为每家企业选择沟通结果。", "Choose an outcome for each enterprise.")
    found: list[VisitOutcome] = []
    for item in given:
        if not isinstance(item, dict) or item.get("enterprise_id") not in allowed_ids:
            raise BadEntry("企业不在这次走访中。", "That enterprise is not part of this visit.")
        outcome = item.get("outcome")
        if outcome not in VISIT_OUTCOMES:
            raise BadEntry("请选择沟通结果。", "Choose an outcome.")
        members = item.get("members")
        if members is not None and (
            isinstance(members, bool) or not isinstance(members, int) or not 0 <= members <= MAX_COUNT
        ):
            raise BadEntry("建会会员数必须是整数。", "Members at founding must be a whole number.")
        reason = item.get("reason")
        reason = reason.strip()[:NOTE_LIMIT] if isinstance(reason, str) and reason.strip() else None
        founded = item.get("founded_on")
        founded = founded[:10] if isinstance(founded, str) and founded else None
        found.append(VisitOutcome(item["enterprise_id"], outcome, members, founded, reason))
    return found, notes, False


def visits_file(day: object, outcomes: list[VisitOutcome], notes: str | None) -> bytes:
    """The visits file (Chinese headers, as the visits template) for one planned visit's enterprises on ``day``."""
    rows = [
        {
            "企业编号": o.enterprise_id,
            "沟通日期": str(day)[:10],
            "沟通结果": VISIT_OUTCOMES[o.outcome],
            "建会日期": (o.founded_on or str(day)[:10]) if o.outcome in ("founded", "joint") else "",
            "建会会员数": "" if o.members is None or o.outcome not in ("founded", "joint") else o.members,
            "暂不建会原因": (o.reason or "") if o.outcome == "declined" else "",
            "备注": notes or "",
        }
        for o in outcomes
    ]
    buffer = io.StringIO()
    pd.DataFrame(rows).to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")
