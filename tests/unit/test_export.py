"""Exports open in Excel as data, never as formulas; Excel files are parsed with XML attacks disarmed."""

import io

import openpyxl
import pandas as pd
import pytest

from dashboard.core import export
from dashboard.core.recommender import planner


def test_cells_a_spreadsheet_would_run_are_neutralised():
    frame = pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx", "普通", None],
            "n": [1, 2, 3, 4, 5, 6, 7, 8],
        }
    )
    out = export.neutralise(frame)
    assert out["name"].tolist()[:6] == ['\'=HYPERLINK("http://x")', "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx"]
    assert out["name"].tolist()[6] == "普通" and out["name"].isna().tolist()[7]
    assert out["n"].tolist() == frame["n"].tolist()  # numbers stay numbers


def test_csv_and_xlsx_exports_carry_no_formula():
    frame = pd.DataFrame({"点位名称": ["=1+1", "国贸"], "预计": [1.5, 2.0]})
    text = export.csv_bytes(frame).decode("utf-8-sig")
    assert "'=1+1" in text and "\n=1+1" not in text
    sheet = openpyxl.load_workbook(io.BytesIO(export.workbook({"s": frame}))).active
    assert sheet["A2"].value == "'=1+1" and sheet["A2"].data_type == "s"


def test_openpyxl_parses_with_defusedxml():
    assert openpyxl.DEFUSEDXML is True


def test_allowed_hours_must_end_within_the_day():
    with pytest.raises(ValueError):
        planner.PlanRequest(start=pd.Timestamp("2026-11-30").date(), hours=(6 * 60, 24 * 60)).validate()
    planner.PlanRequest(start=pd.Timestamp("2026-11-30").date(), hours=(6 * 60, 23 * 60 + 30)).validate()


def test_control_characters_can_neither_hide_a_formula_nor_break_an_xlsx():
    """pandas 3 text columns have the str dtype; a control character before "=" must not slip the check."""
    frame = pd.DataFrame(
        {"actor": pd.Series(['\x01=HYPERLINK("http://x")', "\x02=1+1", "  =1+1", "a\x07b", "boss"], dtype="str")}
    )
    assert frame["actor"].dtype != object
    out = export.neutralise(frame)["actor"].tolist()
    assert out == ['\'=HYPERLINK("http://x")', "'=1+1", "'  =1+1", "ab", "boss"]
    sheet = openpyxl.load_workbook(io.BytesIO(export.workbook({"audit": frame}))).active
    values = [c.value for c in sheet["A"]][1:]
    assert values == out and all(c.data_type == "s" for c in sheet["A"])
