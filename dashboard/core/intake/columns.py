"""The columns of the files planners import (sessions, sites, the enterprise register and its visits), with their
Chinese headers and accepted aliases."""

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
        """The column in a Chinese message: its Chinese header (the English name stays in English messages)."""
        return self.zh

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
    Column("street", "街道乡镇", "text", aliases=("街道", "乡镇", "街乡")),
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

ENTERPRISE_COLUMNS: tuple[Column, ...] = (
    Column("enterprise_id", "企业编号", "text", aliases=("编号", "登记编号", "id", "enterprise id")),
    Column("credit_code", "统一社会信用代码", "text", aliases=("信用代码", "社会信用代码", "credit code", "uscc")),
    Column("enterprise_name", "企业名称", "text", True, ("名称", "单位名称", "企业", "name", "enterprise")),
    Column("district", "所属区", "district", True, ("区", "区县", "行政区")),
    Column("street", "街道乡镇", "text", aliases=("街道", "乡镇", "街乡")),
    Column("address", "地址", "text", aliases=("详细地址", "注册地址", "经营地址")),
    Column("lat", "纬度", "coord", aliases=("latitude",)),
    Column("lon", "经度", "coord", aliases=("lng", "longitude")),
    Column("industry", "行业门类", "text", aliases=("行业", "所属行业", "industry section")),
    Column("staff", "员工数", "count", aliases=("职工人数", "职工数", "从业人数", "员工人数", "employees")),
    Column("union_status", "建会状态", "text", aliases=("是否建会", "工会状态", "union", "union status")),
    Column("union_founded_on", "建会日期", "date", aliases=("建会时间", "founded on", "union founded")),
    Column(
        "head_office",
        "上级单位统一社会信用代码",
        "text",
        aliases=("上级单位信用代码", "总部统一社会信用代码", "总部信用代码", "上级单位代码", "head office credit code"),
    ),
    Column(
        "registered_on",
        "成立日期",
        "date",
        aliases=("成立时间", "注册日期", "登记日期", "企业成立日期", "registered on", "registration date"),
    ),
    Column("head_name", "负责人", "text", aliases=("负责人姓名", "法定代表人", "head")),
    Column("contact", "联系方式", "text", aliases=("联系电话", "电话", "手机", "contact")),
)

# One row per enterprise reached on a day; the enterprise is named by its credit code or register id.
VISIT_COLUMNS: tuple[Column, ...] = (
    Column("enterprise_id", "企业编号", "text", True, ("统一社会信用代码", "信用代码", "enterprise id", "credit code")),
    Column("enterprise_name", "企业名称", "text", aliases=("名称", "单位名称", "企业", "name", "enterprise")),
    Column("date", "沟通日期", "date", True, ("日期", "走访日期", "visit date", "visited on")),
    Column("session_id", "场次编号", "text", aliases=("沟通会编号", "session id", "session")),
    Column("outcome", "沟通结果", "text", True, ("结果", "进展", "result")),
    Column("founded_on", "建会日期", "date", aliases=("建会时间", "founded on")),
    Column("members", "建会会员数", "count", aliases=("会员数", "发展会员数", "members at founding")),
    Column("reason", "暂不建会原因", "text", aliases=("原因", "未建会原因", "reason", "decline reason")),
    Column("services_offered", "提供服务包", "text", aliases=("提供的服务包", "服务包", "services offered")),
    Column("services_asked", "需求服务包", "text", aliases=("企业需求", "需求", "services asked")),
    Column("notes", "备注", "text", aliases=("说明", "note")),
)

# outcome key: (Chinese, English); the stages of the pipeline in order, with 暂不建会 beside them
OUTCOMES: dict[str, tuple[str, str]] = {
    "held": ("已沟通", "Met"),
    "interested": ("有意向", "Interested"),
    "founded": ("已建会", "Union founded"),
    "declined": ("暂不建会", "Not for now"),
}
_OUTCOME_ALIASES = {
    **{k: k for k in OUTCOMES},
    **{zh: k for k, (zh, _) in OUTCOMES.items()},
    **{en.lower(): k for k, (_, en) in OUTCOMES.items()},
    "沟通": "held",
    "已走访": "held",
    "走访": "held",
    "意向": "interested",
    "有建会意向": "interested",
    "建会": "founded",
    "已成立工会": "founded",
    "联合建会": "founded",
    "加入联合工会": "founded",
    "联合工会": "founded",
    "不建会": "declined",
    "拒绝": "declined",
    "met": "held",
    "declined": "declined",
}
JOINT_OUTCOMES = {"联合建会", "加入联合工会", "联合工会"}  # a founding that joins a joint union


def outcome_key(text: str) -> str | None:
    t = " ".join(str(text).split())
    return _OUTCOME_ALIASES.get(t, _OUTCOME_ALIASES.get(t.lower()))


# GB/T 4754-2017 sections (门类); an import accepts the letter or the name
INDUSTRIES: dict[str, str] = {
    "A": "农、林、牧、渔业",
    "B": "采矿业",
    "C": "制造业",
    "D": "电力、热力、燃气及水生产和供应业",
    "E": "建筑业",
    "F": "批发和零售业",
    "G": "交通运输、仓储和邮政业",
    "H": "住宿和餐饮业",
    "I": "信息传输、软件和信息技术服务业",
    "J": "金融业",
    "K": "房地产业",
    "L": "租赁和商务服务业",
    "M": "科学研究和技术服务业",
    "N": "水利、环境和公共设施管理业",
    "O": "居民服务、修理和其他服务业",
    "P": "教育",
    "Q": "卫生和社会工作",
    "R": "文化、体育和娱乐业",
    "S": "公共管理、社会保障和社会组织",
    "T": "国际组织",
}
_INDUSTRY_ALIASES = {**{k.lower(): k for k in INDUSTRIES}, **{v: k for k, v in INDUSTRIES.items()}}

UNION_STATUSES: dict[str, tuple[str, str]] = {
    "none": ("未建会", "no union"),
    "founded": ("已建会", "union founded"),
    "joint": ("联合工会", "in a joint union"),
}
_UNION_ALIASES = {
    "none": "none",
    "no": "none",
    "no union": "none",
    "未建会": "none",
    "未建": "none",
    "否": "none",
    "founded": "founded",
    "yes": "founded",
    "union founded": "founded",
    "已建会": "founded",
    "已建": "founded",
    "是": "founded",
    "joint": "joint",
    "joint union": "joint",
    "联合工会": "joint",
    "联合": "joint",
    "已加入联合工会": "joint",
}


def industry_key(text: str) -> str | None:
    """The GB/T 4754 section letter for a letter or a section name ("C", "制造业"); None when neither."""
    t = str(text).strip()
    return _INDUSTRY_ALIASES.get(t.lower(), _INDUSTRY_ALIASES.get(t))


def union_status_key(text: str) -> str | None:
    """none | founded | joint for 未建会 / 已建会 / 联合工会 or their English; None when not one of them."""
    return _UNION_ALIASES.get(str(text).strip().lower())


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
