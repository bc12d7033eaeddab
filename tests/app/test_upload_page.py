"""The Upload page as a planner reads it in Chinese: counts that agree with the list and the messages under them, a
totals row set aside with a note, nothing to confirm when nothing would be written, and no English or raw values."""

import datetime as dt
import io
import re

import pandas as pd
import pytest

from tests.english import english_words, raw_values

from .conftest import open_page
from .test_chinese import visible_texts

HEADER = "场次编号,类型,日期,开始时间,结束时间,所属区,点位编号,点位名称,现场咨询人数,现场申请入会人数,发展会员数,备注\n"


def metrics(at) -> dict[str, int]:
    return {m.label: int(m.value.replace(",", "")) for m in at.metric}


def upload(at, name: str, data: bytes):
    at.file_uploader[0].set_value((name, data, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def listed(at) -> dict[int, set[str]]:
    """The problems the page lists (its table), by the file row they name: each row's levels (错误 / 提示)."""
    table = next(f.value for f in at.dataframe if "message" in f.value.columns)
    rows: dict[int, set[str]] = {}
    for row, level in zip(table["row"], table["level"], strict=True):
        if pd.notna(row):  # a blank row number is the whole file's
            rows.setdefault(int(row), set()).add(level)
    return rows


def test_a_file_missing_a_column_counts_that_as_the_files_problem_not_as_zero_errors(app, setup):
    at = upload(
        open_page(app, "upload", "chaoyang"),
        "no-date.csv",
        "类型,开始时间,结束时间,所属区,点位名称,现场咨询人数,现场申请入会人数\n职工沟通会,9:00,11:00,朝阳区,望京,30,8\n".encode(),
    )
    shown = metrics(at)
    assert shown["有错误的行"] == 0 and shown["整个文件的问题"] == 1
    [refusal] = [e.value for e in at.error]
    assert refusal.startswith("文件本身有 1 个问题") and "个错误" not in refusal  # the count above, in its words
    assert any("**整个文件**：缺少必需的列“日期”" in m.value for m in at.markdown)
    assert at.button(key="upload_confirm").disabled


def test_a_sheet_sent_ahead_of_its_week_counts_every_row_it_lists(app, setup):
    monday = dt.date.today() + dt.timedelta(days=7 - dt.date.today().weekday())
    rows = "".join(
        f"UP-{i:03d}-ab,职工沟通会,{monday + dt.timedelta(days=i % 5)},09:00,11:00,朝阳区,110105-001,望京,"
        + ("20,5,5," if i < 11 else ",,,")
        + "\n"
        for i in range(21)
    )
    at = upload(open_page(app, "upload", "chaoyang"), "ahead.csv", (HEADER + rows).encode())
    shown, problems = metrics(at), listed(at)
    assert shown["总行数"] == len(problems) == 21  # every row listed once, each counted
    wrong = {r for r, levels in problems.items() if "错误" in levels}
    assert shown["有错误的行"] == len(wrong) == 11
    assert shown["暂不导入"] == len(problems) - len(wrong) == 10
    assert [e.value for e in at.error][0].startswith("有 11 行有错误")
    assert any("还没填写结果的场次" in c.value for c in at.caption)  # why those 10 wait
    assert at.button(key="upload_confirm").disabled


def test_a_results_sheet_with_nothing_filled_in_leaves_nothing_to_confirm(app, setup):
    rows = "".join(
        f"UB-{i:03d}-cd,职工沟通会,2026-11-0{2 + i},09:00,11:00,朝阳区,110105-001,望京,,,,\n" for i in range(4)
    )
    at = upload(open_page(app, "upload", "chaoyang"), "blank.csv", (HEADER + rows).encode())
    shown = metrics(at)
    assert shown["总行数"] == shown["暂不导入"] == 4 and shown["将新增"] == shown["有错误的行"] == 0
    assert at.button(key="upload_confirm").disabled
    assert any("无需导入" in i.value and "请先填写人数" in i.value for i in at.info)
    assert not at.error


def test_a_totals_row_under_merged_title_rows_is_set_aside_with_a_note(app, setup):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2026年11月朝阳区双沟通活动结果统计表"])
    ws.merge_cells("A1:L1")
    ws.append(["填报单位：朝阳区总工会", None, None, None, None, None, "填报日期：2026-11-30"])
    ws.merge_cells("A2:F2")
    ws.merge_cells("G2:L2")
    ws.append(HEADER.strip().split(","))
    for i in range(4):
        ws.append([f"UT-{i}", "职工沟通会", dt.date(2026, 11, 2 + i), "09:00", "11:00", "朝阳区", "110105-001"])
        ws.cell(ws.max_row, 9).value, ws.cell(ws.max_row, 10).value, ws.cell(ws.max_row, 11).value = 20, 5, 5
    ws.append(["合计", None, None, None, None, None, None, None, "=SUM(I4:I7)", 20, 20, None])
    ws.merge_cells("A8:H8")
    data = io.BytesIO()
    wb.save(data)
    at = upload(open_page(app, "upload", "chaoyang"), "totals.xlsx", data.getvalue())
    shown = metrics(at)
    assert (shown["总行数"], shown["将新增"], shown["有错误的行"], shown["暂不导入"]) == (5, 4, 0, 1)
    assert not at.error  # not five "must not be blank" errors for the totals row
    assert any("第 8 行" in m.value and "合计行" in m.value for m in at.markdown)
    assert not at.button(key="upload_confirm").disabled


def test_the_upload_page_in_chinese_reads_without_english_or_raw_values(app, setup):
    """A bad file's problems, the rows with errors and the preview of a good file: what a person reads, and what a
    screen reader reads of the uploader (no tooltip's English "Help for")."""
    bad = (
        "类型,日期,开始时间,结束时间,所属区,街道乡镇,点位编号,现场咨询人数,现场申请入会人数,备注\n"
        ",2026-11-02,09:00,11:00,朝阳区,望京西,110105-001,30,8,\n"  # blank type, a street the district lacks
        "职工沟通会,2026-11-03,09:00,11:00,朝阳区,,110105-001,30,-8,\n"
        "职工沟通会,2026-11-04,09:00,11:00,朝阳区,,110105-001,30,8,\n"  # the same session twice, without an id
        "职工沟通会,2026-11-04,09:00,11:00,朝阳区,,110105-001,31,8,\n"
        "合计,,,,,,,121,16,\n"
    )
    at = upload(open_page(app, "upload", "chaoyang"), "bad.csv", bad.encode())
    assert at.error and not at.file_uploader[0].help
    texts = visible_texts(at)
    good = HEADER + "UG-1,职工沟通会,2026-11-02,09:00,11:00,朝阳区,110105-001,,40,12,12,\n"
    at.checkbox(key="upload_skip").check().run()
    texts += visible_texts(upload(at, "good.csv", good.encode()))
    preview = next(f.value for f in at.dataframe if "行号" in f.value.columns and "类型" in f.value.columns)
    assert list(preview["类型"]) == ["职工沟通会"] and list(preview["开始时间"]) == ["09:00"]
    assert english_words(texts) == set(), sorted(english_words(texts))
    cells = [str(v) for f in at.dataframe for c in f.value.columns for v in f.value[c].dropna()]
    assert [x for x in texts + cells if raw_values([x]) or re.search(r"\bempty\b", x)] == []


def test_the_upload_history_names_districts_and_streets_never_codes(app, setup):
    at = open_page(app, "upload")
    history = next(f.value for f in at.dataframe if "districts" in f.value.columns)
    areas = history["districts"].tolist()
    assert areas and all(re.search(r"\d{6}", a) is None for a in areas), areas
    assert "东城区、西城区、朝阳区等 16 个区" in areas  # the sample's files cover the city: said, not listed


def test_an_empty_upload_history_says_so(app, setup):
    at = open_page(app, "upload", "jianwai")  # nothing uploaded by this street union yet: said so, not "empty"
    assert any(c.value == "还没有上传记录。" for c in at.caption)
    assert not [f for f in at.dataframe if "districts" in f.value.columns]
