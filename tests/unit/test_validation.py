"""One fixture file per failure case, each with the message a planner must see (row, column, value, fix)."""

import datetime as dt

import pandas as pd
import pytest

from dashboard.core.intake.columns import SESSION_COLUMNS, SITE_COLUMNS
from dashboard.core.intake.tabular import UnreadableFile, read_table
from dashboard.core.intake.validate import validate_sessions, validate_sites

TODAY = dt.date(2026, 11, 23)
KNOWN_SITES = pd.DataFrame(
    {
        "site_id": ["CY-001", "CY-002", "HD-001"],
        "name": ["国贸商务楼宇1号", "望京配送站点1号", "中关村商务楼宇1号"],
        "district": ["110105", "110105", "110108"],
    }
)


def validate(fixture_bytes, name):
    raw = read_table(fixture_bytes(f"sessions/{name}"), name, SESSION_COLUMNS)
    return validate_sessions(raw, KNOWN_SITES, TODAY)


# fixture, error code, spreadsheet row, column as written in the file, words the Chinese and English fix contain
CASES = [
    ("impossible_date.csv", "impossible_date", 2, "日期", "不存在", "does not exist"),
    ("bad_date.csv", "bad_date", 2, "日期", "2023年5月8日", "2023/5/8"),
    ("future_date.csv", "future_date", 2, "日期", "还没有开展", "has not been held"),
    ("end_before_start.csv", "end_before_start", 2, "结束时间", "不晚于开始时间", "not after the start"),
    ("bad_time.csv", "bad_time", 2, "开始时间", "24小时制", "24-hour"),
    ("negative_count.csv", "negative_count", 2, "现场咨询人数", "不能为负数", "cannot be negative"),
    ("non_numeric_count.csv", "bad_count", 2, "现场咨询人数", "只填数字", "whole number"),
    ("fractional_count.csv", "fractional_count", 2, "现场申请入会人数", "小数", "decimal"),
    ("unknown_district.csv", "unknown_district", 2, "所属区", "16个区", "16 districts"),
    ("unknown_type.csv", "unknown_session_type", 2, "类型", "职工沟通会", "worker / enterprise"),
    ("unions_exceed.csv", "unions_exceed_enterprises", 2, "建会企业数", "大于涉及企业数", "exceeds enterprises"),
    ("site_missing.csv", "site_missing", 2, "点位编号", "点位名称", "site_name"),
    ("duplicate_conflict.csv", "duplicate_conflict", 2, "场次编号", "第 2、3 行", "rows 2、3"),
]


@pytest.mark.parametrize("name, code, row, column, zh, en", CASES, ids=[c[0] for c in CASES])
def test_each_failure_names_row_column_and_fix(fixture_bytes, name, code, row, column, zh, en):
    result = validate(fixture_bytes, name)
    assert not result.ok
    matching = [p for p in result.errors if p.code == code]
    assert matching, [p.code for p in result.errors]
    p = matching[0]
    assert (p.row, p.column) == (row, column)
    assert zh in p.zh and en in p.en
    assert row in result.rejected_rows


def test_missing_column_is_named_in_both_languages(fixture_bytes):
    result = validate(fixture_bytes, "missing_column.csv")
    p = next(p for p in result.errors if p.code == "missing_column")
    assert p.row is None and p.column is None  # the whole file's problem, the column named in each language
    assert "缺少必需的列“日期”" in p.zh and "date" not in p.zh and "date (日期)" in p.en
    assert result.rows.empty


def test_every_bad_row_is_reported_not_only_the_first(fixture_bytes):
    result = validate(fixture_bytes, "many_bad_rows.csv")
    assert result.rejected_rows == {3, 4, 5}
    assert {(p.row, p.code) for p in result.errors} == {
        (3, "impossible_date"),
        (4, "unknown_district"),
        (5, "negative_count"),
    }
    assert list(result.rows["session_id"]) == ["W1"]


def test_identical_duplicate_rows_count_once_with_a_warning(fixture_bytes):
    result = validate(fixture_bytes, "duplicate_same.csv")
    assert result.ok and len(result.rows) == 1
    assert [p.code for p in result.warnings] == ["duplicate_same", "duplicate_same"]


def test_three_date_spellings_and_both_time_spellings_parse(fixture_bytes):
    result = validate(fixture_bytes, "valid_zh.csv")
    assert result.ok, [p.en for p in result.errors]
    assert list(result.rows["date"].dt.strftime("%Y-%m-%d")) == [
        "2023-05-08",
        "2023-05-09",
        "2023-05-10",
        "2023-05-11",
        "2023-05-12",
    ]
    assert list(result.rows["start_min"]) == [540, 840, 720, 570, 870]
    assert list(result.rows["district"]) == ["110105", "110105", "110108", "110108", "110105"]
    assert list(result.rows["session_type"]) == ["worker"] * 3 + ["enterprise"] * 2


def test_headers_in_any_order_with_a_title_row_above(fixture_bytes):
    result = validate(fixture_bytes, "reordered_title_row.csv")
    assert result.ok, [p.en for p in result.errors]
    row = result.rows.iloc[0]
    assert row["_row"] == 3  # the title is row 1, the header row 2
    assert row["notes"] == '逗号,引号"测试'
    assert row["consultations"] == 30 and row["applications"] == 8


def test_html_and_template_literals_are_kept_as_plain_text(fixture_bytes):
    result = validate(fixture_bytes, "html_in_name.csv")
    assert result.ok
    assert result.new_sites.iloc[0]["name"] == "<img src=x onerror=alert(1)>"
    assert result.rows.iloc[0]["notes"] == "`${alert(1)}`"


@pytest.mark.parametrize(
    "name, code",
    [("empty.csv", "empty_file"), ("letter.txt", "no_header")],
)
def test_files_that_are_not_tables_are_refused_plainly(fixture_bytes, name, code):
    with pytest.raises(UnreadableFile) as err:
        read_table(fixture_bytes(f"sessions/{name}"), name, SESSION_COLUMNS)
    assert err.value.problem.code == code
    assert err.value.problem.zh and err.value.problem.en


def test_binary_and_legacy_excel_are_refused():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    with pytest.raises(UnreadableFile) as err:
        read_table(png, "photo.csv", SESSION_COLUMNS)
    assert err.value.problem.code == "binary_file"
    with pytest.raises(UnreadableFile) as err:
        read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", SESSION_COLUMNS)
    assert "另存为" in err.value.problem.zh


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_encodings_planners_save_with(fixture_bytes, encoding):
    text = fixture_bytes("sessions/valid_zh.csv").decode("utf-8")
    raw = read_table(text.encode(encoding), "x.csv", SESSION_COLUMNS)
    result = validate_sessions(raw, KNOWN_SITES, TODAY)
    assert result.ok and len(result.rows) == 5
    assert result.rows.iloc[1]["notes"] == "骑手驿站合办"


def test_english_and_chinese_headers_give_the_same_rows(fixture_bytes):
    zh = validate(fixture_bytes, "valid_zh.csv").rows.set_index("session_key")
    en = validate(fixture_bytes, "valid_en.csv").rows.set_index("session_key")
    cols = [
        "session_type",
        "date",
        "start_min",
        "end_min",
        "district",
        "site_id",
        "consultations",
        "applications",
        "members_joined",
        "row_hash",
    ]
    pd.testing.assert_frame_equal(en[cols], zh.loc[en.index, cols])


def test_excel_with_real_date_and_time_cells(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["五月台账"])
    ws.append(
        ["类型", "日期", "开始时间", "结束时间", "所属区", "点位编号", "现场咨询人数", "现场申请入会人数", "场次编号"]
    )
    ws.append(
        ["职工沟通会", dt.datetime(2023, 5, 8), dt.time(9, 0), dt.time(11, 30), 110105, "CY-001", 30, 8, "000123"]
    )
    ws.append(["职工沟通会", 45055, "14:00", "16:00", "朝阳", "CY-002", 12.0, 3, None])
    path = tmp_path / "s.xlsx"
    wb.save(path)
    raw = read_table(path.read_bytes(), "s.xlsx", SESSION_COLUMNS)
    result = validate_sessions(raw, KNOWN_SITES, TODAY)
    assert result.ok, [p.en for p in result.errors]
    assert list(result.rows["date"].dt.strftime("%Y-%m-%d")) == ["2023-05-08", "2023-05-09"]
    assert list(result.rows["end_min"]) == [690, 960]
    assert list(result.rows["_row"]) == [3, 4]
    assert result.rows.iloc[0]["session_id"] == "000123"  # typed as text in Excel: the zeros stay


def test_sites_unknown_type_is_kept_with_a_warning(fixture_bytes):
    raw = read_table(fixture_bytes("sites/valid_zh.csv"), "sites.csv", SITE_COLUMNS)
    result = validate_sites(raw)
    assert result.ok
    assert list(result.rows["site_type"]) == ["office_cluster", "delivery_station", "office_cluster", "快递驿站"]
    warning = next(p for p in result.warnings if p.code == "unknown_site_type")
    assert warning.row == 5 and warning.value == "快递驿站"


def test_sites_swapped_coordinates_and_wrong_district(fixture_bytes):
    from dashboard.core.geo import districts

    raw = read_table(fixture_bytes("sites/bad_coords.csv"), "sites.csv", SITE_COLUMNS)
    result = validate_sites(raw, districts.boundaries())
    assert [(p.row, p.code) for p in result.errors] == [(2, "coord_outside")]
    assert "填反" in result.errors[0].zh
    assert [(p.row, p.code) for p in result.warnings] == [(3, "coord_other_district")]


def test_an_enterprise_placed_in_another_district_is_a_warning_naming_its_row():
    from dashboard.core.geo import districts
    from dashboard.core.intake.columns import ENTERPRISE_COLUMNS
    from dashboard.core.intake.validate import validate_enterprises

    text = (
        "企业名称,所属区,纬度,经度,员工数\n"
        "建外科技,朝阳区,39.905,116.455,120\n"  # in 朝阳
        "错位商贸,朝阳区,39.980,116.310,80\n"  # 中关村, in 海淀
    )
    raw = read_table(text.encode(), "r.csv", ENTERPRISE_COLUMNS)
    result = validate_enterprises(raw, boundaries=districts.boundaries())
    assert result.ok and len(result.rows) == 2  # kept: the district is what the row says, the point may be a typo
    [warned] = [p for p in result.warnings if p.code == "coord_other_district"]
    assert (warned.row, warned.column) == (3, "纬度") and "39.98" in warned.zh


def test_rows_longer_than_the_header_lose_nothing_silently():
    text = (
        "类型,日期,开始时间,结束时间,所属区,点位编号,现场咨询人数,现场申请入会人数\n职工沟通会,2023-05-08,9:00,11:00,"
        "朝阳区,CY-001,30,8,多出来的\n职工沟通会,2023-05-09,9:00,11:00,朝阳区,CY-001,30,8,\n"
    )
    raw = read_table(text.encode(), "x.csv", SESSION_COLUMNS)
    result = validate_sessions(raw, KNOWN_SITES, TODAY)
    assert result.ok and len(result.rows) == 2
    assert [(p.row, p.code) for p in result.warnings] == [(2, "cells_beyond_header")]


def test_a_quoted_line_break_keeps_excel_row_numbers():
    text = (
        "类型,日期,开始时间,结束时间,所属区,点位编号,现场咨询人数,现场申请入会人数,备注\n"
        '职工沟通会,2023-05-08,9:00,11:00,朝阳区,CY-001,30,8,"两行\n备注"\n'
        "职工沟通会,2023-02-30,9:00,11:00,朝阳区,CY-001,30,8,\n"
    )
    result = validate_sessions(read_table(text.encode(), "x.csv", SESSION_COLUMNS), KNOWN_SITES, TODAY)
    assert result.rows.iloc[0]["notes"] == "两行\n备注"
    assert [(p.row, p.code) for p in result.errors] == [(3, "impossible_date")]


def test_a_totals_row_under_the_sessions_is_set_aside_with_a_note(fixture_bytes):
    raw = read_table(fixture_bytes("sessions/totals_row.csv"), "totals_row.csv", SESSION_COLUMNS)
    result = validate_sessions(raw, KNOWN_SITES, TODAY)
    assert result.ok, [p.zh for p in result.errors]  # not five "must not be blank" errors
    assert list(result.rows["session_id"]) == ["W1", "W2"] and raw.set_aside == 1
    [note] = [p for p in result.warnings if p.code == "totals_row"]
    assert note.row == 5 and "合计行" in note.zh and "totals row" in note.en


def test_a_totals_row_under_merged_title_rows_in_excel_is_set_aside(tmp_path):
    """合计 in a column the importer does not know (序号), under two merged title rows: the row is still a total."""
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2023年5月朝阳区双沟通活动结果统计表"])
    ws.merge_cells("A1:J1")
    ws.append(["填报单位：朝阳区总工会", None, None, None, None, "填报日期：2023-05-31"])
    ws.merge_cells("A2:E2")
    ws.append(
        ["序号", "类型", "日期", "开始时间", "结束时间", "所属区", "点位编号", "现场咨询人数", "现场申请入会人数"]
    )
    ws.append([1, "职工沟通会", dt.date(2023, 5, 8), "9:00", "11:00", "朝阳区", "CY-001", 30, 8])
    ws.append([2, "职工沟通会", dt.date(2023, 5, 9), "9:00", "11:00", "朝阳区", "CY-002", 20, 5])
    ws.append(["总计", None, None, None, None, None, None, "=SUM(H4:H5)", 13])
    ws.merge_cells("A6:G6")
    path = tmp_path / "totals.xlsx"
    wb.save(path)
    raw = read_table(path.read_bytes(), "totals.xlsx", SESSION_COLUMNS)
    result = validate_sessions(raw, KNOWN_SITES, TODAY)
    assert result.ok, [p.zh for p in result.errors]
    assert list(result.rows["_row"]) == [4, 5]
    assert [(p.row, p.code) for p in result.warnings if p.code == "totals_row"] == [(6, "totals_row")]


def test_a_totals_row_is_known_by_its_first_filled_cell_wherever_that_is():
    text = (
        "场次编号,类型,日期,开始时间,结束时间,所属区,点位编号,现场咨询人数,现场申请入会人数\n"
        "W1,职工沟通会,2023-05-08,9:00,11:00,朝阳区,CY-001,30,8\n"
        ",,,,,,,,\n"
        ",  小计：,,,,,,30,8\n"
    )
    raw = read_table(text.encode(), "x.csv", SESSION_COLUMNS)
    result = validate_sessions(raw, KNOWN_SITES, TODAY)
    assert result.ok and list(result.rows["session_id"]) == ["W1"], [p.zh for p in result.errors]
    assert [(p.row, p.code) for p in result.warnings if p.code == "totals_row"] == [(4, "totals_row")]


def test_a_row_that_merely_mentions_a_total_is_a_record():
    text = (
        "场次编号,类型,日期,开始时间,结束时间,所属区,点位编号,现场咨询人数,现场申请入会人数,备注\n"
        "W1,职工沟通会,2023-05-08,9:00,11:00,朝阳区,CY-001,30,8,合计两场\n"
    )
    result = validate_sessions(read_table(text.encode(), "x.csv", SESSION_COLUMNS), KNOWN_SITES, TODAY)
    assert result.ok and list(result.rows["session_id"]) == ["W1"]
    assert not [p for p in result.problems if p.code == "totals_row"]


def test_a_chinese_message_names_the_column_in_chinese_only():
    text = (
        "类型,日期,开始时间,结束时间,所属区,点位编号,现场咨询人数,现场申请入会人数\n"
        ",2023-05-08,9:00,11:00,朝阳区,CY-001,30,-8\n"
    )
    result = validate_sessions(read_table(text.encode(), "x.csv", SESSION_COLUMNS), KNOWN_SITES, TODAY)
    by_code = {p.code: p for p in result.errors}
    assert by_code["required_blank"].zh == "“类型”不能为空。请填写。"
    assert by_code["negative_count"].zh.startswith("“现场申请入会人数”不能为负数")
    assert "session_type (类型)" in by_code["required_blank"].en  # the English message names both


def test_a_repeated_session_without_an_id_is_named_by_date_time_and_place():
    text = (
        "类型,日期,开始时间,结束时间,所属区,点位编号,现场咨询人数,现场申请入会人数\n"
        "职工沟通会,2023-05-08,9:00,11:00,朝阳区,CY-001,30,8\n"
        "职工沟通会,2023-05-08,9:00,11:00,朝阳区,CY-001,31,8\n"
    )
    result = validate_sessions(read_table(text.encode(), "x.csv", SESSION_COLUMNS), KNOWN_SITES, TODAY)
    [p, _] = [p for p in result.errors if p.code == "duplicate_conflict"]
    assert p.value == "2023-05-08 09:00 CY-001" and "worker" not in p.zh


def test_every_chinese_message_reads_without_english():
    """A Chinese page shows the Chinese message only: no English names, values or command lines in it."""
    from dashboard.core.messages import CATALOGUE, problem
    from tests.english import english_words

    for code in CATALOGUE:
        p = problem(code, value="某值", label="某列", label_en="a column", rows="2、3", limit="10", limit_en="ten")
        assert english_words([p.zh]) - {"xls"} == set(), (code, p.zh)  # .xls, the old Excel format, is named
