"""Cell parsers: the formats planners type, and the ones that must be refused."""

import pandas as pd

from dashboard.core.intake.parsing import MAX_COUNT, parse_counts, parse_dates, parse_floats, parse_times


def test_dates_typed_many_ways():
    cells = pd.Series(
        [
            "2023-05-08",
            "2023/5/8",
            "2023年5月8日",
            "2023.05.08",
            "45054",
            "2023-05-08 00:00:00",
            " 2023-5-8 ",
            "２０２３年５月８日",
        ]
    )
    dates, unrecognised, impossible, out_of_range, with_time = parse_dates(cells)
    assert (dates == pd.Timestamp("2023-05-08")).all()
    assert not (unrecognised | impossible | out_of_range | with_time).any()


def test_dates_refused():
    dates, unrecognised, impossible, out_of_range, _ = parse_dates(
        pd.Series(["2023-02-29", "2024-02-29", "8/5/2023", "五月八日", "", "2023-13-01", "9999-12-31", "0001-01-01"])
    )
    assert impossible.tolist() == [True, False, False, False, False, True, False, False]
    assert unrecognised.tolist() == [False, False, True, True, False, False, False, False]
    assert out_of_range.tolist() == [False] * 6 + [True, True]
    assert dates[1] == pd.Timestamp("2024-02-29") and pd.isna(dates[4]) and dates[6:].isna().all()


def test_a_time_inside_a_date_cell_is_checked_and_never_dropped_silently():
    dates, unrecognised, impossible, out_of_range, with_time = parse_dates(
        pd.Series(
            ["2023-05-08 25:00", "2023-05-08T09:00", "2023-05-08 09:61", "2023-05-08 00:00", "2023-05-08 9:00:75"]
        )
    )
    assert unrecognised.tolist() == [True, False, True, False, True]
    assert with_time.tolist() == [False, True, False, False, False]
    assert dates[1] == pd.Timestamp("2023-05-08") and dates[[0, 2, 4]].isna().all()


def test_times():
    minutes, bad = parse_times(
        pd.Series(
            ["9:00", "09:00", "09:00:00", "9：30", "0.375", "14点30", "24:00", "9", "", "noon", "0.9999", "0.9993"]
        )
    )
    assert minutes[:6].tolist() == [540, 540, 540, 570, 540, 870] and minutes[11] == 1439
    assert bad.tolist() == [False] * 6 + [True, True, False, True, True, False]  # 0.9999 of a day rounds to 24:00


def test_counts():
    counts, non_numeric, negative, fractional, too_large = parse_counts(
        pd.Series(["12", "12.0", "1,200", "", "-3", "2.5", "abc", "0", "１２"])
    )
    assert counts.tolist()[:3] == [12, 12, 1200] and counts[7] == 0 and counts[8] == 12
    assert pd.isna(counts[3])
    assert non_numeric.tolist() == [False] * 6 + [True, False, False]
    assert negative.tolist() == [False] * 4 + [True, False, False, False, False]
    assert fractional.tolist() == [False] * 5 + [True, False, False, False]
    assert not too_large.any()


def test_counts_the_storage_cannot_hold_are_refused_not_crashed_on():
    cells = pd.Series(
        [
            str(MAX_COUNT),
            str(MAX_COUNT + 1),
            "1e308",
            "99999999999999999999",
            "9223372036854775808",
            "inf",
            "nan",
            "-inf",
        ]
    )
    counts, non_numeric, negative, fractional, too_large = parse_counts(cells)
    assert counts[0] == MAX_COUNT and counts[1:].isna().all()
    assert too_large.tolist() == [False, True, True, True, True, False, False, False]
    assert non_numeric.tolist() == [False] * 5 + [True, True, True]
    assert not fractional.any() and not negative.any()


def test_floats_refuse_non_finite_values():
    values, bad = parse_floats(pd.Series(["39.9", "inf", "nan", "1e400", ""]))
    assert values[0] == 39.9 and bad.tolist() == [False, True, True, True, False]
