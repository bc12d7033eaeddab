"""Cell parsers: the formats planners type, and the ones that must be refused."""

import pandas as pd

from dashboard.core.parsing import parse_counts, parse_dates, parse_times


def test_dates_typed_many_ways():
    cells = pd.Series(["2023-05-08", "2023/5/8", "2023年5月8日", "2023.05.08", "45054", "2023-05-08 00:00:00", " 2023-5-8 "])
    dates, unrecognised, impossible = parse_dates(cells)
    assert (dates == pd.Timestamp("2023-05-08")).all()
    assert not unrecognised.any() and not impossible.any()


def test_dates_refused():
    dates, unrecognised, impossible = parse_dates(pd.Series(["2023-02-29", "2024-02-29", "8/5/2023", "五月八日", "", "2023-13-01"]))
    assert impossible.tolist() == [True, False, False, False, False, True]
    assert unrecognised.tolist() == [False, False, True, True, False, False]
    assert dates[1] == pd.Timestamp("2024-02-29") and pd.isna(dates[4])


def test_times():
    minutes, bad = parse_times(pd.Series(["9:00", "09:00", "09:00:00", "9：30", "0.375", "14点30", "24:00", "9", "", "noon"]))
    assert minutes[:6].tolist() == [540, 540, 540, 570, 540, 870]
    assert bad.tolist() == [False] * 6 + [True, True, False, True]


def test_counts():
    counts, non_numeric, negative, fractional = parse_counts(pd.Series(["12", "12.0", "1,200", "", "-3", "2.5", "abc", "0"]))
    assert counts.tolist()[:3] == [12, 12, 1200] and counts[7] == 0
    assert pd.isna(counts[3])
    assert non_numeric.tolist() == [False] * 6 + [True, False]
    assert negative.tolist() == [False] * 4 + [True, False, False, False]
    assert fractional.tolist() == [False] * 5 + [True, False, False]
