"""Who is asking, and what they may see and change: the caller's scope that every read and write takes.

Roles:

- ``admin``: every district; users, targets, calendar overrides, retraining, the audit log.
- ``leadership``: reads and exports every district; writes nothing.
- ``planner``: one or more districts; reads, plans and uploads for those only.

A :class:`Scope` is immutable and hashable, so cached reads can be keyed by it.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable
from dataclasses import dataclass

from dashboard.core.geo import districts

ADMIN, LEADERSHIP, PLANNER = "admin", "leadership", "planner"
ROLE_LABELS = {ADMIN: ("管理员", "admin"), LEADERSHIP: ("领导", "leadership"), PLANNER: ("计划员", "planner")}


class PermissionDenied(Exception):
    """The caller's role or districts do not allow this; ``zh`` and ``en`` say what and why."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en

    def text(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


def _names(codes: Iterable[str], lang: str = "zh") -> str:
    return ("、" if lang == "zh" else ", ").join(districts.name(c, lang) for c in codes)


@dataclass(frozen=True)
class Scope:
    """A signed-in user's identity, role and districts (``None``: every district)."""

    user: str
    role: str
    districts: tuple[str, ...] | None = None

    def __post_init__(self):
        if self.role not in ROLE_LABELS:
            raise ValueError(f"unknown role {self.role!r}")
        if self.role == PLANNER and not self.districts:
            raise ValueError("a planner needs at least one district")
        if self.role != PLANNER and self.districts is not None:
            object.__setattr__(self, "districts", None)  # admin and leadership always see the whole city
        if self.districts is not None:
            object.__setattr__(self, "districts", tuple(sorted(set(self.districts))))

    @classmethod
    def operator(cls) -> Scope:
        """The person at the server's command line: whoever holds the database URL can change anything anyway."""
        return cls(f"system:{getpass.getuser()}", ADMIN)

    @property
    def can_write(self) -> bool:
        return self.role in (ADMIN, PLANNER)

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    def covers(self, district: str | None) -> bool:
        return self.districts is None or district in self.districts

    def area(self, lang: str = "zh") -> str:
        if self.districts is None:
            return "全市" if lang == "zh" else "the whole city"
        return _names(self.districts, lang)

    def readable(self, district: str | None = None) -> tuple[str, ...] | str | None:
        """The district filter for a read: ``district`` if the caller may read it, else :class:`PermissionDenied`.

        With no district asked for, a planner gets their own districts and everyone else the whole city (``None``).
        """
        if district:
            if not self.covers(district):
                raise self._outside(district)
            return district
        return self.districts

    def require_write(self, codes: Iterable[str] = ()) -> None:
        if not self.can_write:
            raise PermissionDenied(
                "您的账号（领导）只能查看和导出，不能修改数据。",
                "Your account (leadership) can view and export but not change data.",
            )
        for code in codes:
            if not self.covers(code):
                raise self._outside(code)

    def require_admin(self) -> None:
        if not self.is_admin:
            raise PermissionDenied("只有管理员可以这样做。", "Only an admin can do this.")

    def _outside(self, code: str) -> PermissionDenied:
        return PermissionDenied(
            f"{districts.name(code)}不在您负责的区（{self.area()}）内。",
            f"{districts.name(code, 'en')} is outside your districts ({self.area('en')}).",
        )
