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

# Each code's patterns (regular expressions over the text without spaces, NFKC, lower case). A match right after a
# negation (无, 非, 不, 没, 未, 不是, 没有) does not count: 无上级工会覆盖 is not "covered", 不困难 not "hardship".
_PATTERNS: dict[str, tuple[str, ...]] = {
    # a head office that decides, not one merely mentioned ("老板在总部" is where the boss is)
    "head_office": (
        "统一安排",
        "分公司",
        "分支机构",
        "(总部|总公司|集团|母公司|上级公司).{0,6}(安排|决定|统一|同意|批准|审批|负责|建会)",
        "(请示|报|由|需|等|听)(总部|总公司|集团|母公司|上级公司)",
        "head office",
    ),
    "covered": ("上级工会", "已有工会", "已覆盖", "已加入.{0,4}工会", "(行业|楼宇|区域|园区|联合)工会", "covered"),
    "preparing": ("筹备", "准备建会", "正在组建", "考虑中", "研究后", "下个月", "过段时间", "preparing"),
    "hardship": (
        "经营困难",
        "困难",
        "亏损",
        "停业",
        "停工",
        "歇业",
        "裁员",
        "迁出",
        "搬迁",
        "注销",
        "疫情",
        "hardship",
    ),
    "small": ("员工少", "人少", "人员少", "不足.{0,6}人", "流动大", "流动性", "临时工", "联合建会", "few staff"),
    "head_refuses": (
        "负责人",
        "老板",
        "法人",
        "同意",
        "支持",
        "反对",
        "拒绝",
        "兴趣",
        "需要",
        "必要",
        "考虑",
        "不想",
        "refuse",
    ),
}
_COMPILED = {k: [re.compile(p) for p in v] for k, v in _PATTERNS.items()}
_NEGATION = re.compile("(不是|没有|并非|无|非|不|没|未)$")
# words of refusal that are themselves negated forms: 不同意 is a refusal, not a negated 同意
_REFUSAL_KEYS = ("head_refuses",)


# what the visit planner does after a decline of each kind, in days since that decline (see recommender.visits)
HARDSHIP_WAIT_DAYS = 365  # 经营困难: not before a year has passed
RULE_EXPIRY_DAYS = 730  # after two years a decline's rule lapses: heads, owners and head offices change
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
    for key, patterns in _COMPILED.items():
        if key == "covered" and re.search("(未|没有|没|不)覆盖", value):  # 行业工会未覆盖该企业: not covered
            continue
        for pattern in patterns:
            for m in pattern.finditer(value):
                negated = _NEGATION.search(value[max(0, m.start() - 2) : m.start()]) is not None
                if key in _REFUSAL_KEYS or not negated:
                    return key
    return "other"


def codes_of(texts: pd.Series) -> pd.Series:
    """Vectorised :func:`code_of` (each distinct text read once)."""
    lookup = {v: code_of(v) for v in texts.dropna().unique()}
    return texts.map(lambda v: lookup.get(v) if isinstance(v, str) else None)


def label(key: str, lang: str = "zh") -> str:
    zh, en = CODES.get(key, CODES["other"])
    return zh if lang == "zh" else en
