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
