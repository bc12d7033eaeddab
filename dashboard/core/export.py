"""Exports that open cleanly in Excel and cannot smuggle formulas into it.

Every file the dashboard and the command line write (downloads, ``--out`` files, the problem and rejected-row
lists beside an import) is made by :func:`csv_bytes`, :func:`write_csv` or :func:`workbook`, so none can skip
:func:`neutralise`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dashboard.core.text import printable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

PLAN_HEADERS_ZH = {
    "team": "小组",
    "team_name": "小组名称",
    "date": "日期",
    "start_time": "开始时间",
    "end_time": "结束时间",
    "site_id": "点位编号",
    "site_name": "点位名称",
    "district": "所属区",
    "expected_consultations": "预计咨询人数",
    "consultations_low": "咨询下限",
    "consultations_high": "咨询上限",
    "expected_applications": "预计申请入会人数",
    "applications_low": "申请下限",
    "applications_high": "申请上限",
    "day_type": "日期类型",
    "provisional": "日历为推算",
    "learn": "为了解效果而安排",
    "history_sessions": "本点位同类时段历史场次",
    "history_applications": "同类时段历史场均申请",
    "reason": "理由",
    "reason_en": "reason (English)",
}


def safe_cell(value: object) -> object:
    """Text without control characters, with a leading apostrophe if a spreadsheet would run it as a formula."""
    if not isinstance(value, str):
        return value
    text = printable(value)  # an .xlsx cannot hold control characters, and one before "=" would hide it
    return "'" + text if text.lstrip(" ").startswith(FORMULA_START) else text


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells and headers made safe for a spreadsheet (OWASP CSV injection): see :func:`safe_cell`."""
    out = frame.copy()
    out.columns = [safe_cell(str(c)) for c in out.columns]
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        if col.dtype == object or pd.api.types.is_string_dtype(col):
            out.isetitem(i, col.astype(object).map(safe_cell))
    return out


def write_csv(frame: pd.DataFrame, path: Path, headers: dict[str, str] | None = None) -> None:
    """Write ``frame`` (columns renamed by ``headers``) as :func:`csv_bytes` makes it: the one way to a CSV file."""
    Path(path).write_bytes(csv_bytes(frame.rename(columns=headers) if headers else frame))


def workbook(sheets: dict[str, pd.DataFrame]) -> bytes:
    """An .xlsx file with one sheet per frame, formula-safe, with a frozen header row."""
    import io

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            neutralise(frame).to_excel(writer, sheet_name=name[:31], index=False)
            sheet = writer.sheets[name[:31]]
            sheet.freeze_panes = "A2"
            for col in sheet.columns:
                width = max(len(str(c.value or "")) for c in col[:200])
                sheet.column_dimensions[col[0].column_letter].width = min(max(8, width * 1.6), 60)
    return buf.getvalue()


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV as Excel wants it: UTF-8 with BOM, formula-safe."""
    data: bytes = neutralise(frame).to_csv(index=False).encode("utf-8-sig")
    return data
