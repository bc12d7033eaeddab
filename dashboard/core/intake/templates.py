"""Blank import templates (CSV and .xlsx, Chinese or English headers) with example rows.

Example rows carry ids that start with 示例: the importer lists them in a note and never imports them, so a template
filled in below its examples imports only the user's rows.
"""

from __future__ import annotations

import pandas as pd

from dashboard.core.export import csv_bytes, workbook
from dashboard.core.intake.columns import SESSION_COLUMNS, SITE_COLUMNS

EXAMPLES = {
    "sessions": [
        {
            "session_id": "示例-CY-20230508-01",
            "session_type": "职工沟通会",
            "date": "2023-05-08",
            "start_time": "14:00",
            "end_time": "16:00",
            "district": "朝阳区",
            "site_id": "示例-110105-001",
            "site_name": "国贸配送站点1号",
            "staff": 3,
            "consultations": 30,
            "applications": 8,
            "members_joined": 8,
        },
        {
            "session_id": "示例-CY-20230509-01",
            "session_type": "企业沟通会",
            "date": "2023-05-09",
            "start_time": "09:30",
            "end_time": "11:00",
            "district": "朝阳区",
            "staff": 2,
            "members_joined": 120,
            "enterprises_reached": 2,
            "unions_founded": 1,
            "notes": "物流企业，已提供服务包",
        },
    ],
    "sites": [
        {
            "site_id": "示例-110105-001",
            "site_name": "国贸配送站点1号",
            "district": "朝阳区",
            "street": "建外街道",
            "lat": 39.909,
            "lon": 116.456,
            "site_type": "配送站点",
            "workers_nearby": 150,
        },
    ],
}


def template(kind: str, lang: str = "zh", fmt: str = "csv") -> bytes:
    """The template for ``kind`` ("sessions" or "sites") with ``lang`` headers ("zh" or "en") as CSV or xlsx."""
    columns = SESSION_COLUMNS if kind == "sessions" else SITE_COLUMNS
    frame = pd.DataFrame(EXAMPLES[kind], columns=[c.name for c in columns])
    if lang == "zh":
        frame = frame.rename(columns={c.name: c.zh for c in columns})
    if fmt == "xlsx":
        return workbook({"场次" if kind == "sessions" else "点位": frame})
    return csv_bytes(frame)
