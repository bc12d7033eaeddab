"""Vectorised parsers for the cell formats planners type: each returns parsed values and masks of bad cells.

A parser never raises on bad input; it reports which cells failed so the validator can name every bad row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_DATE_RE = (
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_EXCEL_SERIAL_RE = r"^(?P<serial>\d{5})(?:\.0+)?$"
_TIME_RE = r"^(?P<h>\d{1,2})\s*[:：时点]\s*(?P<m>\d{2})(?:\s*[:：]\s*(?P<s>\d{2})(?:\.\d+)?)?\s*分?$"
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def by_unique(parser):
    """Decorate a vectorised parser so it parses each distinct value once.

    Planners' columns repeat a few values (a few thousand dates, a few dozen times and counts, 16 districts)
    over many rows; parsing the distinct values and spreading the results back is many times faster.
    """

    def wrapper(values: pd.Series):
        codes, uniques = pd.factorize(values.astype(str).to_numpy(dtype=object), use_na_sentinel=False)
        results = parser(pd.Series(uniques, dtype=object))
        single = not isinstance(results, tuple)
        spread = [pd.Series(r.to_numpy()[codes], index=values.index, dtype=r.dtype) for r in ((results,) if single else results)]
        return spread[0] if single else tuple(spread)

    wrapper.__doc__ = parser.__doc__
    wrapper.__wrapped__ = parser
    return wrapper


@by_unique
def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse 2023-05-08, 2023/5/8, 2023.5.8, 2023年5月8日, an Excel serial (45054) or an ISO date-time.

    Returns
    -------
    (dates, unrecognised, impossible)
        ``dates`` is datetime64 (NaT where blank or bad); ``unrecognised`` marks non-blank cells of no known
        format; ``impossible`` marks cells of a known format naming no real day (2023-02-30).
    """
    s = values.astype(str).str.strip()
    parts = s.str.extract(_DATE_RE)
    serial = pd.to_numeric(s.str.extract(_EXCEL_SERIAL_RE)["serial"], errors="coerce")
    matched = parts["y"].notna()
    ymd = pd.DataFrame(
        {
            "year": pd.to_numeric(parts["y"], errors="coerce"),
            "month": pd.to_numeric(parts["m"], errors="coerce"),
            "day": pd.to_numeric(parts["d"], errors="coerce"),
        }
    )
    dates = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    if matched.any():
        ok = ymd[matched]
        valid = ok["month"].between(1, 12) & ok["day"].between(1, 31)
        parsed = pd.to_datetime(ok[valid], errors="coerce")
        dates.loc[parsed.index] = parsed
    from_serial = serial.notna() & serial.between(20000, 80000)
    if from_serial.any():
        dates.loc[from_serial] = _EXCEL_EPOCH + pd.to_timedelta(serial[from_serial], unit="D")
    blank = s == ""
    unrecognised = ~blank & ~matched & ~from_serial
    impossible = matched & dates.isna()
    return dates, unrecognised, impossible


@by_unique
def parse_times(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse 9:00, 09:00, 09:00:00, 9点30, or an Excel day fraction (0.375) into minutes after midnight.

    Returns
    -------
    (minutes, bad)
        ``minutes`` is float (NaN where blank or bad); ``bad`` marks non-blank cells that are not a time of day.
    """
    s = values.astype(str).str.strip()
    parts = s.str.extract(_TIME_RE)
    h = pd.to_numeric(parts["h"], errors="coerce")
    m = pd.to_numeric(parts["m"], errors="coerce")
    minutes = h * 60 + m
    minutes = minutes.where((h <= 23) & (m <= 59))
    frac = pd.to_numeric(s.where(s.str.fullmatch(r"0?\.\d+|0")), errors="coerce")
    from_frac = minutes.isna() & frac.notna() & (frac < 1)
    minutes = minutes.where(~from_frac, np.round(frac * 1440))
    bad = (s != "") & minutes.isna()
    return minutes, bad


@by_unique
def parse_counts(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Parse whole non-negative numbers, allowing thousands separators and Excel's trailing ``.0``.

    Returns
    -------
    (counts, non_numeric, negative, fractional)
        ``counts`` is a nullable Int64 series (NA where blank or bad).
    """
    s = values.astype(str).str.strip().str.replace(r"(?<=\d)[,，](?=\d{3})", "", regex=True)
    num = pd.to_numeric(s.where(s != ""), errors="coerce")
    blank = s == ""
    non_numeric = ~blank & num.isna()
    negative = num < 0
    fractional = (num >= 0) & (num % 1 != 0)
    good = num.notna() & ~negative & ~fractional
    counts = num.where(good).astype("Int64")
    return counts, non_numeric, negative.fillna(False), fractional.fillna(False)


@by_unique
def parse_floats(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse decimal numbers (coordinates); returns (floats, bad) where bad marks non-blank non-numbers."""
    s = values.astype(str).str.strip()
    num = pd.to_numeric(s.where(s != ""), errors="coerce")
    return num, (s != "") & num.isna()

