"""Blank import templates (CSV and .xlsx, Chinese or English headers) with example rows.

Example rows carry ids that start with 示例: the importer lists them in a note and never imports them, so a template
filled in below its examples imports only the user's rows.
"""

from __future__ import annotations

import pandas as pd

from dashboard.core.export import csv_bytes, workbook
from dashboard.core.intake.columns import ENTERPRISE_COLUMNS, SESSION_COLUMNS, SITE_COLUMNS, VISIT_COLUMNS

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
    "enterprises": [
        {
            "enterprise_id": "示例-E-001",
            "credit_code": "91110105MA01ABC0QW",
            "enterprise_name": "北京示例物流有限公司",
            "district": "朝阳区",
            "street": "望京街道",
            "address": "望京东路1号",
            "lat": 40.0,
            "lon": 116.47,
            "industry": "G",
            "staff": 180,
            "union_status": "未建会",
            "union_founded_on": "",
            "head_name": "",
            "contact": "",
        },
    ],
    "visits": [
        {
            "enterprise_id": "示例-91110105MA01ABC0QW",
            "enterprise_name": "北京示例物流有限公司",
            "date": "2023-05-09",
            "session_id": "示例-CY-20230509-01",
            "outcome": "已建会",
            "founded_on": "2023-06-01",
            "members": 150,
            "services_offered": "法律服务、职工培训",
            "services_asked": "困难帮扶",
        },
        {
            "enterprise_id": "示例-91110105MA01ABC0QW",
            "enterprise_name": "北京示例物流有限公司",
            "date": "2023-04-20",
            "outcome": "有意向",
            "services_offered": "法律服务",
        },
    ],
}
COLUMNS = {
    "sessions": SESSION_COLUMNS,
    "sites": SITE_COLUMNS,
    "enterprises": ENTERPRISE_COLUMNS,
    "visits": VISIT_COLUMNS,
}
SHEETS = {"sessions": "场次", "sites": "点位", "enterprises": "企业名录", "visits": "企业沟通记录"}


def template(kind: str, lang: str = "zh", fmt: str = "csv") -> bytes:
    """The template for ``kind`` (a key of :data:`COLUMNS`) with ``lang`` headers ("zh" or "en") as CSV or xlsx."""
    columns = COLUMNS[kind]
    frame = pd.DataFrame(EXAMPLES[kind], columns=[c.name for c in columns])
    if lang == "zh":
        frame = frame.rename(columns={c.name: c.zh for c in columns})
    if fmt == "xlsx":
        return workbook({SHEETS[kind]: frame})
    return csv_bytes(frame)
