"""The columns of the two files planners import, with their Chinese headers and accepted aliases."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str  # canonical English header, also the database column where one exists
    zh: str  # the header of the Chinese template
    kind: str  # text | date | time | count | district | session_type | coord | site_type
    required: bool = False
    aliases: tuple[str, ...] = field(default_factory=tuple)

    @property
    def label(self) -> str:
        return f"{self.zh}（{self.name}）"

    @property
    def label_en(self) -> str:
        return f"{self.name} ({self.zh})"


SESSION_COLUMNS: tuple[Column, ...] = (
    Column("session_id", "场次编号", "text", aliases=("编号", "id", "session id")),
    Column("session_type", "类型", "session_type", True, ("沟通会类型", "活动类型", "type")),
    Column("date", "日期", "date", True, ("活动日期", "开展日期", "session date")),
    Column("start_time", "开始时间", "time", True, ("start", "起始时间")),
    Column("end_time", "结束时间", "time", True, ("end", "终止时间")),
    Column("district", "所属区", "district", True, ("区", "区县", "行政区", "district name")),
    Column("site_id", "点位编号", "text", aliases=("site",)),
    Column("site_name", "点位名称", "text", aliases=("地点", "点位", "site name")),
    Column("lat", "纬度", "coord", aliases=("latitude",)),
    Column("lon", "经度", "coord", aliases=("lng", "longitude")),
    Column("staff", "工作人员数", "count", aliases=("工作人员", "staff count")),
    Column("consultations", "现场咨询人数", "count", aliases=("咨询人数",)),
    Column("applications", "现场申请入会人数", "count", aliases=("申请入会人数", "入会申请人数")),
    Column("members_joined", "发展会员数", "count", aliases=("入会人数", "members")),
    Column("enterprises_reached", "涉及企业数", "count", aliases=("企业数", "enterprises")),
    Column("unions_founded", "建会企业数", "count", aliases=("建会数", "unions")),
    Column("notes", "备注", "text", aliases=("说明", "note")),
)

SITE_COLUMNS: tuple[Column, ...] = (
    Column("site_id", "点位编号", "text", aliases=("编号", "id")),
    Column("site_name", "点位名称", "text", True, ("名称", "name", "点位", "地点")),
    Column("district", "所属区", "district", True, ("区", "区县", "行政区")),
    Column("street", "街道乡镇", "text", aliases=("街道", "乡镇", "街乡")),
    Column("lat", "纬度", "coord", aliases=("latitude",)),
    Column("lon", "经度", "coord", aliases=("lng", "longitude")),
    Column("site_type", "点位类型", "site_type", aliases=("类型", "type")),
    Column("workers_nearby", "周边职工数", "count", aliases=("职工数", "workers")),
)

# Columns a worker session needs and an enterprise session needs; checked row by row.
WORKER_COUNTS = ("consultations", "applications")
ENTERPRISE_COUNTS = ("enterprises_reached", "unions_founded")

SESSION_TYPE_LABELS = {"worker": "职工沟通会", "enterprise": "企业沟通会"}
_SESSION_TYPE_ALIASES = {
    "worker": "worker",
    "职工沟通会": "worker",
    "职工": "worker",
    "worker session": "worker",
    "enterprise": "enterprise",
    "企业沟通会": "enterprise",
    "企业": "enterprise",
    "enterprise session": "enterprise",
}

SITE_TYPES: dict[str, str] = {
    "office_cluster": "商务楼宇",
    "logistics_park": "物流园区",
    "industrial_park": "产业园区",
    "commercial_street": "商业街区",
    "delivery_station": "配送站点",
    "transport_hub": "交通枢纽",
    "residential_community": "居民社区",
    "construction_site": "建筑工地",
}
_SITE_TYPE_ALIASES = {**{k: k for k in SITE_TYPES}, **{v: k for k, v in SITE_TYPES.items()}}


def normalise_header(text: object) -> str:
    """Fold a header for matching: case, spaces, BOM, underscores vs spaces, and a trailing unit in brackets.

    Examples
    --------
    >>> normalise_header(" Start Time "), normalise_header("现场咨询人数（人）")
    ('start_time', '现场咨询人数')
    """
    text = str(text).replace("\ufeff", "").strip().lower()
    text = re.sub(r"[（(][^）)]*[）)]$", "", text).strip()
    return re.sub(r"[\s\-\u3000]+", "_", text)


def header_lookup(columns: tuple[Column, ...]) -> dict[str, str]:
    table: dict[str, str] = {}
    for col in columns:
        for alias in (col.name, col.zh, *col.aliases):
            table.setdefault(normalise_header(alias), col.name)
    return table


def session_type_key(text: str) -> str | None:
    return _SESSION_TYPE_ALIASES.get(str(text).strip().lower())


def site_type_key(text: str) -> str:
    """The canonical site type for a label in either language; an unknown label is returned as written."""
    t = str(text).strip()
    return _SITE_TYPE_ALIASES.get(t.lower(), _SITE_TYPE_ALIASES.get(t, t))


def is_known_site_type(text: str) -> bool:
    return site_type_key(text) in SITE_TYPES
