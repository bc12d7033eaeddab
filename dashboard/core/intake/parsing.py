"""Vectorised parsers for the cell formats planners type: each returns parsed values and masks of bad cells.

A parser never raises on bad input; it reports which cells failed so the validator can name every bad row.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd

_DATE_RE = (
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?$"
)
# Years a date may have: datetime64[ns] holds 1677-2262, and no session was held outside these.
YEARS = (1900, 2200)
# The largest count storage holds on every backend (a 32-bit INTEGER on PostgreSQL).
MAX_COUNT = 2**31 - 1
_EXCEL_SERIAL_RE = r"^(?P<serial>\d{5})(?:\.0+)?$"
_TIME_RE = r"^(?P<h>\d{1,2})\s*[:：时点]\s*(?P<m>\d{2})(?:\s*[:：]\s*(?P<s>\d{2})(?:\.\d+)?)?\s*分?$"
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")

_Parser = TypeVar("_Parser", bound=Callable[[pd.Series], Any])


def by_unique(parser: _Parser) -> _Parser:
    """Decorate a vectorised parser so it parses each distinct value once.

    Planners' columns repeat a few values (a few thousand dates, a few dozen times and counts, 16 districts)
    over many rows; parsing the distinct values and spreading the results back is many times faster.
    """

    def wrapper(values: pd.Series) -> Any:
        codes, uniques = pd.factorize(values.astype(str).to_numpy(dtype=object), use_na_sentinel=False)
        results = parser(pd.Series(uniques, dtype=object))
        single = not isinstance(results, tuple)
        spread = [
            pd.Series(r.to_numpy()[codes], index=values.index, dtype=r.dtype)
            for r in ((results,) if single else results)
        ]
        return spread[0] if single else tuple(spread)

    # the parser's docstring, and ``__wrapped__`` pointing at it (nothing else of the parser is copied)
    functools.update_wrapper(wrapper, parser, assigned=("__doc__",), updated=())
    return cast(_Parser, wrapper)  # called the same way, and returns what the parser returns


def _text(values: pd.Series) -> pd.Series:
    """Cells as stripped text, full-width digits and punctuation (２０２３，１２：３０) folded to ASCII."""
    return values.astype(str).str.normalize("NFKC").str.strip()


def _number(s: pd.Series) -> pd.Series:
    """Cells as float64 (NaN where not a number); huge or odd values stay floats, never raise."""
    return pd.to_numeric(s.where(s != ""), errors="coerce").astype("float64")


@by_unique
def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series, pd.Series]:
    """Parse 2023-05-08, 2023/5/8, 2023.5.8, 2023年5月8日, an Excel serial (45054) or an ISO date-time.

    Returns
    -------
    (dates, unrecognised, impossible, out_of_range, with_time)
        ``dates`` is datetime64 (NaT where blank or bad); ``unrecognised`` marks non-blank cells of no known
        format, a time of day that is not one (``2023-05-08 25:00``) included; ``impossible`` marks cells of a
        known format naming no real day (2023-02-30); ``out_of_range`` marks years outside :data:`YEARS`;
        ``with_time`` marks date-times whose time is not midnight (the date is kept, the time dropped).
    """
    s = _text(values)
    parts = s.str.extract(_DATE_RE)
    serial = pd.to_numeric(s.str.extract(_EXCEL_SERIAL_RE)["serial"], errors="coerce")
    num = {k: pd.to_numeric(parts[k], errors="coerce") for k in ("y", "m", "d", "H", "M", "S")}
    has_time = num["H"].notna()
    bad_time = has_time & ((num["H"] > 23) | (num["M"] > 59) | (num["S"].fillna(0) > 59))
    matched = num["y"].notna() & ~bad_time
    out_of_range = matched & ~num["y"].between(*YEARS)
    dates = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    valid = matched & ~out_of_range & num["m"].between(1, 12) & num["d"].between(1, 31)
    if valid.any():
        ymd = pd.DataFrame({"year": num["y"][valid], "month": num["m"][valid], "day": num["d"][valid]})
        dates.loc[valid] = pd.to_datetime(ymd, errors="coerce")
    from_serial = serial.notna() & serial.between(20000, 80000)
    if from_serial.any():
        dates.loc[from_serial] = _EXCEL_EPOCH + pd.to_timedelta(serial[from_serial], unit="D")
    blank = s == ""
    unrecognised = ~blank & ~matched & ~from_serial
    impossible = matched & ~out_of_range & dates.isna()
    with_time = matched & has_time & ((num["H"] + num["M"] + num["S"].fillna(0)) > 0)
    return dates, unrecognised, impossible, out_of_range, with_time


@by_unique
def parse_times(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse 9:00, 09:00, 09:00:00, 9点30, or an Excel day fraction (0.375) into minutes after midnight.

    Returns
    -------
    (minutes, bad)
        ``minutes`` is float (NaN where blank or bad); ``bad`` marks non-blank cells that are not a time of day.
    """
    s = _text(values)
    parts = s.str.extract(_TIME_RE)
    h = pd.to_numeric(parts["h"], errors="coerce")
    m = pd.to_numeric(parts["m"], errors="coerce")
    minutes = h * 60 + m
    minutes = minutes.where((h <= 23) & (m <= 59))
    frac = pd.to_numeric(s.where(s.str.fullmatch(r"0?\.\d+|0")), errors="coerce")
    from_frac = minutes.isna() & frac.notna() & (np.round(frac * 1440) < 1440)  # 0.9999 would round to 24:00
    minutes = minutes.where(~from_frac, np.round(frac * 1440))
    bad = (s != "") & minutes.isna()
    return minutes, bad


@by_unique
def parse_counts(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series, pd.Series]:
    """Parse whole non-negative numbers, allowing thousands separators and Excel's trailing ``.0``.

    Returns
    -------
    (counts, non_numeric, negative, fractional, too_large)
        ``counts`` is a nullable Int64 series (NA where blank or bad); ``non_numeric`` includes ``inf`` and
        ``nan``; ``too_large`` marks counts above :data:`MAX_COUNT`, which no backend could store.
    """
    s = _text(values).str.replace(r"(?<=\d),(?=\d{3})", "", regex=True)
    num = _number(s)
    blank = s == ""
    finite = np.isfinite(num)
    non_numeric = ~blank & ~finite
    negative = finite & (num < 0)
    fractional = finite & (num >= 0) & (num % 1 != 0)
    too_large = finite & ~fractional & (num > MAX_COUNT)
    good = ~non_numeric & ~blank & ~negative & ~fractional & ~too_large
    counts = num.where(good).astype("Int64")
    return counts, non_numeric, negative, fractional, too_large


@by_unique
def parse_floats(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse decimal numbers (coordinates); returns (floats, bad) where bad marks non-blank non-numbers."""
    s = _text(values)
    num = _number(s)
    bad = (s != "") & ~np.isfinite(num)
    return num.where(~bad), bad
