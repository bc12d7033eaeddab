"""Reporting periods (a year, a quarter, a month, a span of days) and the periods a leader compares them with.

同比 (year on year) is the same period a year earlier; 环比 (period on period) the period just before. When the
data stop inside a period (the current month, say), the period is read *to date* and both comparisons cover the
same number of days, so a half month is never compared with a whole one.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

KINDS = ("year", "quarter", "month", "span")


def _shift_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def _month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """An inclusive run of days, named as the kind of period it is.

    ``start`` and ``end`` are the period's own bounds (the whole month, say), not clipped to the data.
    """

    kind: str
    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown period kind {self.kind!r}")
        if self.end < self.start:
            raise ValueError(f"a period cannot end ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def key(self) -> str:
        """A short name to type and to put in file names.

        ``2023``, ``2023Q1``, ``2023-04`` or ``2023-01-01..2023-02-15``; :func:`parse` reads it back.
        """
        if self.kind == "year":
            return f"{self.start.year}"
        if self.kind == "quarter":
            return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def label(self, lang: str = "zh") -> str:
        """``2023年第1季度`` / ``Q1 2023``: how a person names the period."""
        y = self.start.year
        if self.kind == "year":
            return f"{y}年" if lang == "zh" else f"{y}"
        if self.kind == "quarter":
            q = (self.start.month - 1) // 3 + 1
            return f"{y}年第{q}季度" if lang == "zh" else f"Q{q} {y}"
        if self.kind == "month":
            return f"{y}年{self.start.month}月" if lang == "zh" else self.start.strftime("%b %Y")
        return f"{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d}" if lang == "zh" else f"{self.start} – {self.end}"

    def previous(self) -> Period:
        """环比: the period just before, of the same kind (a span: the same number of days just before)."""
        if self.kind == "year":
            return year(self.start.year - 1)
        if self.kind == "quarter":
            return containing("quarter", self.start - dt.timedelta(days=1))
        if self.kind == "month":
            return containing("month", self.start - dt.timedelta(days=1))
        return Period("span", self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1))

    def year_before(self) -> Period:
        """同比: the same period one year earlier."""
        return Period(self.kind, _shift_years(self.start, -1), _shift_years(self.end, -1))

    def to_date(self, as_of: dt.date | None) -> tuple[dt.date, dt.date]:
        """The days of this period up to ``as_of`` (the last day with data), inclusive."""
        if as_of is None or as_of >= self.end:
            return self.start, self.end
        return self.start, max(as_of, self.start)


def year(y: int) -> Period:
    return Period("year", dt.date(y, 1, 1), dt.date(y, 12, 31))


def containing(kind: str, day: dt.date) -> Period:
    """The year, quarter or month that ``day`` falls in."""
    if kind == "year":
        return year(day.year)
    if kind == "quarter":
        first = 3 * ((day.month - 1) // 3) + 1
        return Period("quarter", dt.date(day.year, first, 1), _month_end(day.year, first + 2))
    if kind == "month":
        return Period("month", dt.date(day.year, day.month, 1), _month_end(day.year, day.month))
    raise ValueError(f"no period of kind {kind!r} contains a day")


def choices(kind: str, first: dt.date, last: dt.date) -> list[Period]:
    """Every period of ``kind`` that holds data between ``first`` and ``last``, newest first."""
    out: list[Period] = []
    p = containing(kind, last)
    while p.end >= first:
        out.append(p)
        p = p.previous()
    return out


_QUARTER = re.compile(r"^(\d{4})\s*(?:Q|q|年第)\s*([1-4])(?:季度)?$")
_MONTH = re.compile(r"^(\d{4})\s*(?:-|/|年)\s*(\d{1,2})月?$")
_YEAR = re.compile(r"^(\d{4})年?$")


FIRST_YEAR, LAST_YEAR = 2000, 2100  # periods outside make no sense here, and their 同比 would leave the calendar


def parse(text: str) -> Period:
    """A period from what a person types: ``2023``, ``2023Q1``, ``2023年第1季度``, ``2023-04``, ``2023年4月``,
    or a span ``2023-01-01..2023-02-15``; ValueError for anything else, a span that ends before it starts, or a
    year outside :data:`FIRST_YEAR`-:data:`LAST_YEAR`."""
    found = _parse(text)
    if not (found.start.year >= FIRST_YEAR and found.end.year <= LAST_YEAR):
        raise ValueError(f"{text!r}: a period lies between {FIRST_YEAR} and {LAST_YEAR}")
    if found.end < found.start:
        raise ValueError(f"{text!r}: the period ends before it starts")
    return found


def _parse(text: str) -> Period:
    s = text.strip()
    if ".." in s:
        a, b = s.split("..", 1)
        return Period("span", dt.date.fromisoformat(a.strip()), dt.date.fromisoformat(b.strip()))
    if m := _QUARTER.match(s):
        return containing("quarter", dt.date(int(m[1]), 3 * int(m[2]) - 2, 1))
    if m := _MONTH.match(s):
        if not 1 <= int(m[2]) <= 12:
            raise ValueError(f"no month {m[2]} in {text!r}")
        return containing("month", dt.date(int(m[1]), int(m[2]), 1))
    if m := _YEAR.match(s):
        return year(int(m[1]))
    raise ValueError(f"not a period: {text!r} (2023, 2023Q1, 2023-04 or 2023-01-01..2023-02-15)")


@dataclass(frozen=True)
class Comparison:
    """The days read for a period and for the two periods it is compared with, all of the same length."""

    period: Period
    current: tuple[dt.date, dt.date]
    year_before: tuple[dt.date, dt.date]
    previous: tuple[dt.date, dt.date]
    partial: bool  # True when the data stop inside the period: every window is "to date"


def compare(period: Period, as_of: dt.date | None = None) -> Comparison:
    """The windows to total for ``period`` read up to ``as_of``, its 同比 and its 环比, day for day."""
    start, end = period.to_date(as_of)
    elapsed = (end - start).days
    partial = end < period.end
    yb = period.year_before()
    prev = period.previous()
    yb_end = min(_shift_years(end, -1), yb.end) if partial else yb.end
    prev_end = min(prev.start + dt.timedelta(days=elapsed), prev.end) if partial else prev.end
    return Comparison(period, (start, end), (yb.start, yb_end), (prev.start, prev_end), partial)
