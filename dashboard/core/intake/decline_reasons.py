"""Why an enterprise declined (暂不建会原因), as codes with stable keys.

People write the reason in their own words ("集团总部统一安排", "老板说再考虑", "经营困难，明年再说"); the visit keeps
that text as typed, and this module reads a code from it, so the model can learn from the reasons and the visit
planner can follow the rules a planner would (:data:`RULES`). Reading is by phrases a district's staff write,
checked in order, so "总部统一安排" is 总部 even where it also says 不同意. A reason nobody can map reads as
``other``: the import keeps it and says so (a warning, never an error).
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

# key -> (Chinese, English), in the order the phrases are tried
CODES: dict[str, tuple[str, str]] = {
    "head_office": ("总部统一安排", "head office decides"),
    "covered": ("已有上级工会覆盖", "covered by a higher union"),
    "preparing": ("正在筹备", "preparing a union"),
    "hardship": ("经营困难", "business difficulties"),
    "small": ("员工少/流动大", "few or transient staff"),
    "head_refuses": ("负责人不支持", "the head is not in favour"),
    "other": ("其他", "other"),
}
NONE = "none"  # no decline on record: the model's category for "never declined"

_PHRASES: dict[str, tuple[str, ...]] = {
    "head_office": ("总部", "总公司", "集团", "母公司", "上级公司", "统一安排", "分公司", "分支机构", "head office"),
    "covered": ("上级工会", "已有工会", "已覆盖", "已加入工会", "行业工会", "covered"),
    "preparing": ("筹备", "准备建会", "正在组建", "考虑中", "研究后", "下个月", "过段时间", "preparing"),
    "hardship": ("经营困难", "困难", "亏损", "停业", "歇业", "裁员", "迁出", "搬迁", "注销", "hardship"),
    "small": ("员工少", "人少", "人员少", "不足25", "不足 25", "流动大", "流动性", "临时工", "联合建会", "few staff"),
    "head_refuses": (
        "负责人",
        "老板",
        "法人",
        "不同意",
        "不支持",
        "反对",
        "拒绝",
        "没兴趣",
        "无需要",
        "不需要",
        "暂无必要",
        "refuse",
    ),
}

# what the visit planner does after a decline of each kind, in days since that decline (see recommender.visits)
HARDSHIP_WAIT_DAYS = 365  # 经营困难: not before a year has passed
PREPARING_SOON_DAYS = 180  # 正在筹备: back soon, while it is still being prepared
RULES: dict[str, tuple[str, str]] = {
    "head_office": ("不走访分支机构，应联系其总部", "not the branch: reach its head office"),
    "covered": ("已由上级工会覆盖，不再走访", "covered by a higher union: not visited again"),
    "hardship": (f"{HARDSHIP_WAIT_DAYS // 30} 个月内不再走访", f"not again within {HARDSHIP_WAIT_DAYS // 30} months"),
    "preparing": ("正在筹备，宜尽快回访", "preparing: go back soon"),
}


def _normal(text: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


def code_of(text: object) -> str | None:
    """The code a reason's text reads as; ``other`` when no phrase matches, None for no text at all."""
    if text is None or (isinstance(text, float) and text != text):
        return None
    value = _normal(text)
    if not value:
        return None
    if value in {_normal(k) for k in CODES} | {_normal(zh) for zh, _ in CODES.values()}:
        return next(k for k, (zh, _) in CODES.items() if _normal(zh) == value or _normal(k) == value)
    for key, phrases in _PHRASES.items():
        if any(_normal(p) in value for p in phrases):
            return key
    return "other"


def codes_of(texts: pd.Series) -> pd.Series:
    """Vectorised :func:`code_of` (each distinct text read once)."""
    lookup = {v: code_of(v) for v in texts.dropna().unique()}
    return texts.map(lambda v: lookup.get(v) if isinstance(v, str) else None)


def label(key: str, lang: str = "zh") -> str:
    zh, en = CODES.get(key, CODES["other"])
    return zh if lang == "zh" else en
