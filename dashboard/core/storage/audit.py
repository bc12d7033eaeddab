"""The audit log: who imported, exported, planned, changed users, targets or the calendar, and when.

Entries are written in the same transaction as the change they describe when there is one, so a change that
rolls back leaves no entry and an entry never describes a change that did not happen.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Protocol

import pandas as pd
import sqlalchemy as sa

from dashboard.core.storage.schema import audit_log
from dashboard.core.text import printable


class Actor(Protocol):
    """Whoever acts: a :class:`~dashboard.core.access.scope.Scope` (storage does not import access)."""

    @property
    def user(self) -> str: ...

    @property
    def role(self) -> str: ...


ACTIONS = {
    "login": ("登录", "signed in"),
    "login_failed": ("登录失败", "failed sign-in"),
    "logout": ("退出", "signed out"),
    "import": ("导入", "imported"),
    "export": ("导出", "exported"),
    "plan": ("生成计划", "planned"),
    "plan_saved": ("保存计划", "saved a plan"),
    "plan_done": ("勾选完成", "ticked plan rows"),
    "plan_renamed": ("重命名计划", "renamed a plan"),
    "plan_deleted": ("删除计划", "deleted a plan"),
    "retrain": ("重新训练模型", "retrained the model"),
    "user_added": ("新建账号", "added a user"),
    "user_changed": ("修改账号", "changed a user"),
    "user_disabled": ("停用账号", "disabled a user"),
    "user_enabled": ("启用账号", "enabled a user"),
    "password_changed": ("修改密码", "changed a password"),
    "targets_set": ("设置目标", "set targets"),
    "calendar_set": ("设置日历", "set a calendar day"),
    "forget_contacts": ("删除个人信息", "deleted personal data"),
    "service_add": ("新增服务包", "added a service package"),
    "service_change": ("修改服务包", "changed a service package"),
    "map_tiles": ("设置底图", "set the basemap"),
    "moved": ("迁移记录归属", "moved a record"),
    "roster_changed": ("修改人员名单", "changed a roster"),
    "field_link": ("小组填报链接", "team lead's link"),
    "field_report": ("现场填报", "reported from the field"),
    "denied": ("被拒绝", "was refused"),
}


def _codes(codes: Iterable[str] | str | None) -> str | None:
    if codes is None:
        return None
    if isinstance(codes, str):
        return codes
    joined = ",".join(sorted(set(codes)))
    return joined or None


def record(
    target: sa.Engine | sa.Connection,
    actor: Actor | str,
    action: str,
    districts: Iterable[str] | str | None = None,
    **detail: object,
) -> None:
    """Write one entry; ``target`` is a connection inside the change's transaction, or an engine."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    role: str | None
    if not isinstance(actor, str) and hasattr(actor, "user") and hasattr(actor, "role"):  # a scope
        who, role = actor.user, actor.role
    else:  # a name, or anything else, as text
        who, role = printable(str(actor)), None
    stmt = audit_log.insert().values(
        at=dt.datetime.now(dt.UTC),
        actor=who[:64],
        role=role,
        action=action,
        districts=_codes(districts),
        detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
    )
    if isinstance(target, sa.Engine):
        with target.begin() as conn:
            conn.execute(stmt)
    else:
        target.execute(stmt)


def entries(
    engine: sa.Engine, *, limit: int = 500, actor: str | None = None, action: str | None = None
) -> pd.DataFrame:
    """The newest entries first."""
    q = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if actor:
        q = q.where(audit_log.c.actor == actor)
    if action:
        q = q.where(audit_log.c.action == action)
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(q).mappings().all(), columns=[c.name for c in audit_log.columns])


# ---- the log as people read it -----------------------------------------------------------------------------------

# Every key an entry's details may hold, as a reader names it (Chinese, English).
DETAIL_KEYS = {
    "file": ("文件", "file"),
    "kind": ("类型", "kind"),
    "rows": ("行数", "rows"),
    "total": ("总行数", "rows in all"),
    "inserted": ("新增", "new"),
    "updated": ("更新", "updated"),
    "unchanged": ("未变", "unchanged"),
    "rejected": ("拒绝", "rejected"),
    "status": ("结果", "result"),
    "what": ("内容", "what"),
    "format": ("格式", "format"),
    "reason": ("原因", "reason"),
    "user": ("账号", "account"),
    "role": ("角色", "role"),
    "streets": ("街道", "streets"),
    "year": ("年度", "year"),
    "date": ("日期", "date"),
    "day_type": ("日期类型", "kind of day"),
    "plan_id": ("计划编号", "plan"),
    "job": ("任务", "job"),
    "team": ("小组", "team"),
    "teams": ("小组数", "teams"),
    "days": ("天数", "days"),
    "start": ("开始日期", "start"),
    "dry_run": ("仅检查", "check only"),
    "why": ("问题", "problems"),
    "after_import": ("导入后", "after an import"),
    "applications": ("现场申请入会人数", "applications"),
    "worker_sessions": ("职工沟通会场次", "worker sessions"),
    "members": ("发展会员数", "members"),
    "unions_founded": ("建会企业数", "unions founded"),
    "enterprise_sessions": ("企业沟通会场次", "enterprise sessions"),
    "name": ("名称", "name"),
    "sessions": ("场次数", "sessions"),
    "visits": ("走访数", "visits"),
    "sha256": ("文件指纹", "file fingerprint"),
    "new_sites": ("新点位", "new sites"),
    "upload_id": ("上传编号", "upload"),
    "districts": ("区", "districts"),
    "district": ("区", "district"),
    "area": ("区域", "area"),
    "data": ("数据", "data"),
    "ticked": ("勾选", "ticked"),
    "cancelled": ("取消", "cancelled"),
    "via": ("方式", "via"),
    "note": ("说明", "note"),
    "period": ("期间", "period"),
    "id": ("编号", "id"),
    "ids": ("编号", "ids"),
    "site_id": ("点位编号", "site"),
    "enterprises": ("企业数", "enterprises"),
    "removed": ("删除条数", "removed"),
    "key": ("编号", "key"),
    "keys": ("编号", "keys"),
    "before": ("原为", "before"),
    "after": ("改为", "after"),
    "added": ("新增", "added"),
    "changed": ("修改", "changed"),
    "deleted": ("删除", "deleted"),
    "link": ("链接编号", "link"),
    "revoked": ("已撤销", "revoked"),
    "zh": ("中文名称", "Chinese name"),
    "en": ("英文名称", "English name"),
    "active": ("使用中", "in use"),
    "url": ("地址", "address"),
    "tk": ("密钥", "key"),
    "attribution": ("来源说明", "attribution"),
}
# Keys whose values are district or street codes, shown by their names.
AREA_KEYS = frozenset({"districts", "district", "streets", "area"})
# Recorded values said in Chinese (the English page shows them as recorded).
DETAIL_VALUES = {
    "sessions": "场次",
    "sites": "点位",
    "enterprises": "企业名录",
    "visits": "企业走访",
    "outcomes": "走访结果",
    "report": "报告",
    "pdf": "PDF",
    "html": "网页",
    "xlsx": "Excel",
    "csv": "CSV",
    "forget_contacts": "删除个人信息",
    "moved": "迁移记录归属",
    "site": "点位",
    "enterprise": "企业",
    "site_taken": "点位编号已被其他区域使用",
    "enterprise_taken": "信用代码已在其他区域登记",
    "foreign_enterprise": "其他区域的企业",
    "foreign_key": "编号属于其他区域",
    "foreign_row": "与其他区域的记录重合",
    "foreign_site": "其他区域的点位",
    "out_of_scope": "不在负责范围内",
    "credit_code_other_area": "信用代码由负责范围外的登记机关发放",
    "bad": "密码错误",
    "locked": "已锁定",
    "disabled": "已停用",
    "sso_unknown": "单点登录账号不存在",
    "import": "导入",
    "plan": "计划",
    "admin": "管理员",
    "true": "是",
    "false": "否",
    "written": "已写入",
    "refused": "被拒绝",
    "password": "密码",
    "planner": "计划员",
    "leadership": "领导",
    "sso": "单点登录",
    "stale": "模型落后于数据",
    "kpi": "指标",
    "audit": "审计日志",
    "audit_log": "审计日志",
    "users": "账号",
    "targets": "目标",
    "first_start": "首次启动",
    "calendar": "日历调整",
    "field_link": "组长链接",
    "funnel": "企业漏斗",
    "monthly": "月度趋势",
    "move": "归属迁移",
    "pipeline": "建会进展",
    "plan_cancel": "计划场次取消",
    "plan_done": "计划场次完成",
    "plan_saved": "保存计划",
    "record_area": "记录归属",
    "reporting": "填报情况",
    "retrain": "重新训练",
    "roster": "小组名单",
    "service_packages": "服务包",
    "site_history": "点位历史",
    "streets": "街道",
    "totals": "汇总指标",
    "rejected_rows": "未导入的行",
    "results_template": "结果登记表",
    "unreported": "未填报的场次",
    "map_tiles": "底图",
    "tianditu": "天地图",
    "intranet": "内网瓦片",
    "gcj02": "GCJ-02 瓦片",
    "none": "无",
    "leader": "领导",
    "team_lead": "组长",
    "command": "命令行",
    "phone": "手机填报",
    "upload": "上传",
}


def _area_names(value: object, lang: str) -> str:
    from dashboard.core.geo import areas  # geo sits below storage: names for the codes an entry holds

    codes = value if isinstance(value, list) else str(value).split(",")
    return ("、" if lang == "zh" else "; ").join(areas.name(str(c), lang) for c in codes if str(c))


def describe(raw: object, lang: str = "zh") -> str:
    """An entry's details as a person reads them: "文件：a.csv；类型：企业走访；区：朝阳区建外街道".

    Keys by their names, districts and streets by their names (never their codes), yes and no in words, recorded
    words in Chinese on a Chinese page; file names, plan names and keys as recorded. No details: an empty text,
    never "nan" or "None".
    """
    if raw is None or (isinstance(raw, float) and raw != raw) or raw == "":
        return ""
    try:
        items = json.loads(str(raw))
    except ValueError:
        return str(raw)
    if not isinstance(items, dict):
        return str(raw)
    zh = lang == "zh"
    if "reason_zh" in items:  # a refusal keeps its reason in both languages
        reason = items.pop("reason_zh")
        if zh:
            items["reason"] = reason

    def said(value: object) -> str:
        if isinstance(value, bool):
            value = str(value).lower()
        text = str(value)
        return DETAIL_VALUES.get(text, text) if zh else text.replace("_", " ")

    shown = []
    for key, value in items.items():
        if value is None or value == [] or (isinstance(value, float) and value != value):
            continue
        if key in AREA_KEYS:
            text = _area_names(value, lang)
        elif isinstance(value, list):
            text = ("、" if zh else ", ").join(said(v) for v in value)
        else:
            text = said(value)
        label = DETAIL_KEYS.get(key, (key, key.replace("_", " ")))[0 if zh else 1]
        shown.append(f"{label}：{text}" if zh else f"{label}: {text}")
    return ("；" if zh else "; ").join(shown)
