"""Exports that open cleanly in Excel and cannot smuggle formulas into it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

PLAN_HEADERS_ZH = {
    "team": "小组", "date": "日期", "start_time": "开始时间", "end_time": "结束时间", "site_id": "点位编号",
    "site_name": "点位名称", "district": "所属区", "expected_consultations": "预计咨询人数", "consultations_low": "咨询下限",
    "consultations_high": "咨询上限", "expected_applications": "预计申请入会人数", "applications_low": "申请下限",
    "applications_high": "申请上限", "day_type": "日期类型", "provisional": "日历为推算", "reason": "理由", "reason_en": "reason (English)",
}  # fmt: skip


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with an apostrophe (OWASP CSV injection)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            text = out[col].astype(object)
            risky = text.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_START))
            out[col] = text.where(~risky, "'" + text.astype(str))
    return out


def write_csv(frame: pd.DataFrame, path: Path, lang: str = "both") -> None:
    """CSV in UTF-8 with BOM (Excel detects it), formula-safe, with Chinese headers unless ``lang == "en"``."""
    out = neutralise(frame)
    if lang != "en":
        out = out.rename(columns=PLAN_HEADERS_ZH)
    out.to_csv(path, index=False, encoding="utf-8-sig")


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
    return neutralise(frame).to_csv(index=False).encode("utf-8-sig")
