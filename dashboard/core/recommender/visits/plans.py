"""The visit plan: working days, the day's groups and routes, each visit's reason in words, and the plan's sheet
for people.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from dashboard.core.geo import areas
from dashboard.core.intake import decline_reasons

from .common import NEVER_DAYS, as_date, haversine_km
from .founding_model import VisitModel
from .joint_groups import JOINT_MAX_MEMBERS, JOINT_RADIUS_M, POLICIES, group_units
from .unit_scores import SCORERS, decline_rule, route_branches, unit_features


def working_days(start: Any, days: int, overrides: dict[dt.date, str] | None = None) -> list[dt.date]:
    """The official working days (weekday or 调休 make-up day, overrides applied) of ``days`` days from ``start``."""
    from dashboard.core.recommender import calendar

    first = as_date(start)
    out = []
    for d in range(int(days)):
        day = first + dt.timedelta(days=d)
        if calendar.day_info(day, overrides).day_type in (calendar.WORKDAY, calendar.MAKEUP):
            out.append(day)
    return out


def _approx_km(lat0: float, lon0: float, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Equirectangular distance in km (exact enough within a city); unknown places are infinitely far."""
    k = np.cos(np.radians(39.9))
    d = np.hypot((lat - lat0) * 111.2, (lon - lon0) * 111.2 * k)
    return np.where(np.isnan(d), np.inf, d)


def day_groups(lat: np.ndarray, lon: np.ndarray, per_day: int) -> list[list[int]]:
    """Split chosen units (in priority order) into days of ``per_day``: a seed and its nearest remaining ones.

    The best remaining unit seeds each day, which then takes the ``per_day - 1`` remaining units nearest to it, so a
    staff member's day stays in one neighbourhood and the best units come first.
    """
    left = np.ones(len(lat), dtype=bool)
    out: list[list[int]] = []
    for seed in range(len(lat)):
        if not left[seed]:
            continue
        left[seed] = False
        cand = np.flatnonzero(left)
        take: list[int] = [seed]
        if len(cand) and per_day > 1:
            d = _approx_km(lat[seed], lon[seed], lat[cand], lon[cand])
            near = cand[np.argsort(d, kind="stable")[: per_day - 1]]
            left[near] = False
            take += [int(i) for i in near]
        out.append(take)
    return out


def route(lat: np.ndarray, lon: np.ndarray) -> list[int]:
    """Nearest-neighbour order of points starting from the first (positions into the arrays)."""
    order = [0]
    left = list(range(1, len(lat)))
    while left:
        here = order[-1]
        d = _approx_km(lat[here], lon[here], lat[left], lon[left])
        order.append(left.pop(int(np.argmin(d))))
    return order


def about(n: float) -> int:
    """Staff as the reasons say it: exact under 100, to 10 under 1,000, to 100 above."""
    if n < 100:
        return round(n)
    return int(round(n, -1) if n < 1000 else round(n, -2))


_OUTCOME_WORDS = {
    "interested": ("有意向", "interested"),
    "declined": ("暂不建会", "declined"),
    "held": ("已沟通", "talked"),
    "founded": ("已建会", "founded"),
}


def reasons(unit: Any) -> tuple[str, str]:
    """A unit's reason in Chinese and English, from its numbers only (no free text of anyone's)."""
    own = float(unit.staff) - float(getattr(unit, "branch_staff", 0.0) or 0.0) if pd.notna(unit.staff) else np.nan
    staff = about(own) if pd.notna(own) else None
    zh: list[str] = []
    en: list[str] = []
    if unit.kind == "joint":
        zh.append(f"{len(unit.members)}家小微企业同楼宇或园区、合计员工约{staff}人，可组建联合工会")
        en.append(f"{len(unit.members)} small enterprises in one building or park, about {staff} staff together")
    else:
        zh.append(f"员工约{staff}人、未建会" if staff is not None else "员工数不详、未建会")
        en.append(f"about {staff} staff, no union" if staff is not None else "staff unknown, no union")
    near, street = unit.founded_1km, unit.founded_street
    if pd.notna(near) and near > 0:
        zh.append(f"附近1公里内已有{int(near)}家建会")
        en.append(f"{int(near)} founded within 1 km")
    elif pd.notna(street) and street > 0:
        zh.append(f"同街道已有{int(street)}家建会")
        en.append(f"{int(street)} founded in the same street")
    branches = int(getattr(unit, "branches", 0) or 0)
    if branches:
        with_them = about(float(getattr(unit, "branch_staff", 0) or 0))
        zh.append(f"总部统一安排其{branches}家分支机构（员工约{with_them}人）建会，已计入")
        en.append(f"decides for its {branches} branches (about {with_them} staff), counted in")
    head_zh, head_en = "、".join(zh), ", ".join(en)
    if unit.contacts == 0 or pd.isna(unit.contacts):
        tail_zh, tail_en = "从未走访", "never visited"
    else:
        days = float(unit.days_since)
        ago_zh = f"{int(days)}天前" if days < 60 else f"{round(days / 30.44)}个月前"
        ago_en = f"{int(days)} days ago" if days < 60 else f"{round(days / 30.44)} months ago"
        word_zh, word_en = _OUTCOME_WORDS.get(str(unit.last_outcome), ("已沟通", "talked"))
        why = str(getattr(unit, "last_decline", decline_reasons.NONE))
        if unit.last_outcome == "declined" and why in decline_reasons.CODES:
            word_zh += f"（{decline_reasons.label(why)}）"
            word_en += f" ({decline_reasons.label(why, 'en')})"
        tail_zh, tail_en = f"上次沟通在{ago_zh}，当时{word_zh}", f"last contact {ago_en}, {word_en} then"
        if why == "preparing" and float(getattr(unit, "days_since_decline", NEVER_DAYS)) < (
            decline_reasons.PREPARING_SOON_DAYS
        ):
            rule_zh, rule_en = decline_reasons.RULES["preparing"]
            tail_zh, tail_en = f"{tail_zh}，{rule_zh}", f"{tail_en}; {rule_en}"
    text_zh, text_en = f"{head_zh}；{tail_zh}", f"{head_en}; {tail_en}"
    if pd.notna(unit.p_found):
        pct = round(100 * float(unit.p_found))
        text_zh += f"；预计90天内建会可能性约{pct}%"
        text_en += f"; about {pct}% likely to found within 90 days"
    return text_zh, text_en


def plan(
    register: pd.DataFrame,
    visits: pd.DataFrame,
    model: VisitModel | None,
    start: Any,
    days: int,
    staff: int,
    per_day: int = 4,
    district: str | tuple[str, ...] | list[str] | None = None,
    overrides: dict[dt.date, str] | None = None,
    today: Any = None,
    policy: str = "model",
    radius_m: float = JOINT_RADIUS_M,
) -> pd.DataFrame:
    """The visits of the ``days`` calendar days from ``start``: ``staff`` people, ``per_day`` visits each working day.

    Units (:func:`units`, limited to ``district``) are scored by ``policy`` ("model": Σ P(found within 90 days) x
    expected members; "largest"; "unvisited") as of ``today`` (default ``start``), the best ones filling every
    slot (no unit twice). The chosen units are split into days, each the best remaining unit with its nearest
    remaining ones (:func:`day_groups`), handed out date by date, staff 1..K, so the best come first; each day is
    ordered by a nearest-neighbour route from its best unit. Features and neighbours use the whole register, so a
    district's border does not hide the unions founded just across it.

    Returns
    -------
    DataFrame
        One row per visit: ``date``, ``staff_no``, ``order``, ``unit_id``, ``enterprise_id`` (a joint group's
        members joined with "、"), ``name``, ``district``, ``district_name``, ``street``, ``staff`` (combined),
        ``p_found``, ``expected_members`` (P x ``members_if_founded``, the expectation; NaN for a
        policy without P), ``members_if_founded`` (staff x the join rate), ``lat``, ``lon``, ``kind``,
        ``reason_zh``, ``reason_en``, ``km_from_previous`` (0 for a day's first visit).
    """
    from dashboard.core.geo import districts

    if policy not in SCORERS:
        raise ValueError(f"unknown policy {policy!r}; one of {POLICIES}")
    if policy == "model" and model is None:
        raise ValueError("the model policy needs a fitted VisitModel")
    as_of = today if today is not None else start
    workdays = working_days(start, days, overrides)
    columns = [
        "date",
        "staff_no",
        "order",
        "unit_id",
        "enterprise_id",
        "first_id",
        "name",
        "district",
        "district_name",
        "street",
        "address",
        "staff",
        "p_found",
        "expected_members",
        "members_if_founded",
        "lat",
        "lon",
        "kind",
        "reason_zh",
        "reason_en",
        "km_from_previous",
    ]
    eligible = (register["union_status"].astype("string") == "none").fillna(False).to_numpy(dtype=bool)
    if district is not None:
        eligible &= areas.mask(register, district).to_numpy(dtype=bool)
    slots = int(staff) * int(per_day) * len(workdays)
    if not slots or not eligible.any():
        return pd.DataFrame(columns=columns)
    uf = unit_features(register, visits, as_of, group_units(register, eligible, radius_m, JOINT_MAX_MEMBERS), model)
    referrals: dict[str, int] = {}
    if policy == "model":
        uf, referrals = route_branches(register, uf)
    score = SCORERS[policy](uf).fillna(-np.inf).to_numpy()
    order = np.lexsort((uf["unit_id"].to_numpy(dtype=str), -score))
    if policy == "model":  # units the decline rules hold back are never visited, however many slots are left
        order = order[np.isfinite(score[order])]
    order = order[:slots]
    chosen = uf.iloc[order].reset_index(drop=True)
    groups = day_groups(chosen["lat"].to_numpy(float), chosen["lon"].to_numpy(float), per_day)
    names = register["name"].astype("string").fillna("").to_numpy(dtype=object)
    address = (
        register["address"].astype("string").fillna("").to_numpy(dtype=object)
        if "address" in register
        else np.full(len(register), "", dtype=object)
    )
    rows = []
    for g_no, group in enumerate(groups):
        day, who = workdays[g_no // staff], g_no % staff + 1
        lat = chosen["lat"].to_numpy(float)[group]
        lon = chosen["lon"].to_numpy(float)[group]
        path = route(lat, lon)
        for k, i in enumerate(path):
            u = chosen.iloc[group[i]]
            if k == 0:
                km = 0.0
            else:
                prev = path[k - 1]
                km = float(haversine_km(lat[prev], lon[prev], lat[i], lon[i]))
            zh, en = reasons(u)
            member_names = [str(names[p]) for p in u.positions]
            if u.kind == "joint":
                shown = "、".join(member_names[:2])
                name = f"联合工会：{shown} 等{len(member_names)}家"
            else:
                name = member_names[0]
            rows.append(
                {
                    "date": day,
                    "staff_no": who,
                    "order": k + 1,
                    "unit_id": u.unit_id,
                    "enterprise_id": "、".join(u.members),
                    "first_id": str(u.members[0]),  # the enterprise itself (a group's seed): never split from text
                    "name": name,
                    "district": u.district,
                    "district_name": districts.name(u.district) if u.district in districts.BY_ADCODE else u.district,
                    "street": u.street,
                    "address": str(address[u.positions[0]]),  # a joint group's: its seed's building
                    "staff": u.staff,
                    "p_found": u.p_found,
                    # an expectation (P x members); what a founding would bring is its own, labelled column
                    "expected_members": u.value,
                    "members_if_founded": u.expected_members,
                    "lat": u.lat,
                    "lon": u.lon,
                    "kind": u.kind,
                    "reason_zh": zh,
                    "reason_en": en,
                    "km_from_previous": km,
                }
            )
    out = pd.DataFrame(rows, columns=columns)
    rule = decline_rule(uf)
    # what the rules held back, for the page to say (branches to reach through their head office above all)
    out.attrs["referrals"] = referrals
    out.attrs["held_back"] = {
        k: int((rule == k).sum()) for k in ("head_office", "covered", "hardship") if (rule == k).any()
    }
    return out


VISIT_SHEET = {
    "date": "日期",
    "staff_no": "工作人员",
    "order": "顺序",
    "enterprise_id": "企业编号",
    "name": "企业名称",
    "district_name": "所属区",
    "street": "街道乡镇",
    "address": "地址",
    "head_name": "负责人",
    "contact": "联系方式",
    "staff": "员工数",
    "p_found": "建会概率",
    "expected_members": "预计发展会员",
    "members_if_founded": "建会后可发展会员",
    "kind": "类型",
    "km_from_previous": "距上一家公里",
    "reason": "理由",
}


def for_people(plan: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The visit plan as people and other tools read it (the ``visits`` command's CSV): Chinese headers, one row
    per visit in route order, the reason in ``lang``."""
    sheet = plan.assign(
        reason=plan["reason_en" if lang == "en" else "reason_zh"],
        kind=plan["kind"].map({"joint": "联合建会", "single": "单独建会"}),
        p_found=plan["p_found"].astype(float).round(3),
        expected_members=plan["expected_members"].astype(float).round(1),
        members_if_founded=plan["members_if_founded"].astype(float).round(),
        km_from_previous=plan["km_from_previous"].astype(float).round(2),
        street=plan["street"].fillna(""),
        # the head and their number: added by the gateway for the caller's own area, blank otherwise
        **{c: plan[c].fillna("") if c in plan else "" for c in ("address", "head_name", "contact")},
        staff=pd.to_numeric(plan["staff"]).round().astype("Int64"),
    )
    return sheet[list(VISIT_SHEET)].rename(columns=VISIT_SHEET)
