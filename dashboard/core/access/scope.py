"""Who is asking, and what they may see and change: the caller's scope that every read and write takes.

Roles:

- ``admin``: every district; users, targets, calendar overrides, retraining, the audit log.
- ``leadership``: reads and exports every district; writes nothing.
- ``planner``: one or more districts, or one or more streets within them (a street union's planner); reads, plans
  and uploads for those only.

A planner's *areas* are the filter every read takes (see :mod:`dashboard.core.geo.areas`): each district wholly,
except a district in which the account names streets, which is narrowed to those streets.

A :class:`Scope` is immutable and hashable, so cached reads can be keyed by it.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable
from dataclasses import dataclass

from dashboard.core.geo import areas as area_codes
from dashboard.core.geo import districts
from dashboard.core.geo import streets as street_list

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
    """A signed-in user's identity, role, districts (``None``: every district) and streets (``None``: whole
    districts)."""

    user: str
    role: str
    districts: tuple[str, ...] | None = None
    streets: tuple[str, ...] | None = None

    def __post_init__(self):
        if self.role not in ROLE_LABELS:
            raise ValueError(f"unknown role {self.role!r}")
        if self.role == PLANNER and not self.districts and not self.streets:
            raise ValueError("a planner needs at least one district or street")
        if self.role != PLANNER and self.districts is not None:
            object.__setattr__(self, "districts", None)  # admin and leadership always see the whole city
        if self.role != PLANNER:
            object.__setattr__(self, "streets", None)
        if self.streets:
            unknown = [c for c in self.streets if street_list.district_of(c) is None]
            if unknown:
                raise ValueError(f"unknown street codes {unknown!r}")
            own = {area_codes.district_of(c) for c in self.streets}
            object.__setattr__(self, "streets", tuple(sorted(set(self.streets))))
            object.__setattr__(self, "districts", tuple(sorted(set(self.districts or ()) | own)))
        else:
            object.__setattr__(self, "streets", None)
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

    @property
    def areas(self) -> tuple[str, ...] | None:
        """The caller's filter: each district's code, or its streets' codes where the account names streets."""
        if self.districts is None:
            return None
        found: list[str] = []
        for code in self.districts:
            own = self.streets_in(code)
            found.extend(own if own else (code,))
        return tuple(found)

    def streets_in(self, district: str) -> tuple[str, ...]:
        """The account's streets in ``district`` (empty: the whole district, or none of it)."""
        return tuple(c for c in self.streets or () if area_codes.district_of(c) == district)

    @property
    def by_street(self) -> bool:
        """A street union's account: some district is narrowed to streets."""
        return bool(self.streets)

    def covers(self, district: str | None) -> bool:
        """Whether the caller may work in ``district`` at all (wholly, or in some of its streets)."""
        return self.districts is None or district in self.districts

    def covers_row(self, district: object, street: object = None) -> bool:
        """Whether a row of ``district`` and ``street`` lies within the caller's areas."""
        return area_codes.covers(self.areas, district, street)

    def area(self, lang: str = "zh") -> str:
        if self.districts is None:
            return "全市" if lang == "zh" else "the whole city"
        if self.streets:
            return area_codes.names(self.areas, lang)
        return _names(self.districts, lang)

    def readable(self, district: str | None = None) -> tuple[str, ...] | str | None:
        """The area filter for a read: ``district`` (an adcode, or a street's 9-digit code) if the caller may read it,
        else :class:`PermissionDenied`.

        With nothing asked for, a planner gets their own areas and everyone else the whole city (``None``). A
        district in which the account holds only some streets reads as those streets.
        """
        if district:
            if len(district) == 9:
                if not self.covers_row(area_codes.district_of(district), district):
                    raise self._outside(district)
                return district
            if not self.covers(district):
                raise self._outside(district)
            own = self.streets_in(district)
            return own if own else district
        return self.areas

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
        label_zh = area_codes.name(code) if len(code) in (6, 9) else code
        label_en = area_codes.name(code, "en") if len(code) in (6, 9) else code
        level_zh, level_en = ("街道", "streets") if self.by_street else ("区", "districts")
        return PermissionDenied(
            f"{label_zh}不在您负责的{level_zh}（{self.area()}）内。",
            f"{label_en} is outside your {level_en} ({self.area('en')}).",
        )
