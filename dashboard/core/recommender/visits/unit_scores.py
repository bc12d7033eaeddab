"""Scores of the units: each unit's features, the rules its last decline calls for, branches reached through their
head office, and the three policies (the model, largest first, longest unvisited).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dashboard.core.intake import decline_reasons

from .common import NEVER_DAYS, day_number, day_numbers, staff_of, unvisited_key
from .founding_model import VisitModel
from .history_features import features, member_rates


def unit_features(
    register: pd.DataFrame,
    visits: pd.DataFrame,
    as_of: Any,
    unit_frame: pd.DataFrame,
    model: VisitModel | None = None,
) -> pd.DataFrame:
    """Per unit (aligned to ``unit_frame``): what the policies score and the reasons say.

    Columns added: ``expected_members`` (Σ staff x the join rate of its district and industry), ``p_found`` (the
    members-weighted P of its enterprises; NaN without a model), ``value`` (Σ P x expected members), ``contacts``
    (of its most contacted member), ``days_since`` (since any member's last contact), ``last_outcome`` (the most
    recent member's), ``founded_1km``, ``founded_street`` (most over its members), ``never_visited``.
    """
    X = features(register, visits, as_of)
    past = visits[day_numbers(visits["visited_on"]) < day_number(as_of)] if len(visits) else visits
    staff = np.nan_to_num(staff_of(register), nan=float(np.nanmedian(staff_of(register))) if len(register) else 1.0)
    rate = member_rates(register, past)
    em = staff * rate
    p = model.predict_features(X) if model is not None else np.full(len(register), np.nan)
    long = unit_frame[["positions"]].explode("positions")
    pos = long["positions"].to_numpy(dtype=np.int64)
    unit = long.index.to_numpy()
    per = pd.DataFrame(
        {
            "unit": unit,
            "em": em[pos],
            "value": p[pos] * em[pos],
            "contacts": X["contacts"].to_numpy()[pos],
            "days_since": X["days_since"].to_numpy()[pos],
            "last_outcome": X["last_outcome"].to_numpy()[pos],
            "last_decline": X["last_decline"].to_numpy()[pos],
            "days_since_decline": X["days_since_decline"].to_numpy()[pos],
            "founded_1km": X["founded_1km"].to_numpy()[pos],
            "founded_street": X["founded_street"].to_numpy()[pos],
        }
    )
    g = per.groupby("unit", sort=True)
    out = unit_frame.copy()
    out["expected_members"] = g["em"].sum().reindex(out.index).to_numpy()
    out["value"] = g["value"].sum(min_count=1).reindex(out.index).to_numpy()
    out["p_found"] = out["value"] / out["expected_members"]
    out["contacts"] = g["contacts"].max().reindex(out.index).to_numpy()
    out["days_since"] = g["days_since"].min().reindex(out.index).to_numpy()
    recent = per.sort_values(["unit", "days_since"], kind="stable").drop_duplicates("unit").set_index("unit")
    out["last_outcome"] = recent["last_outcome"].reindex(out.index).to_numpy()
    # the most recent decline among the members, and when it was
    declined = per[per["last_decline"] != decline_reasons.NONE].sort_values(["unit", "days_since_decline"])
    latest = declined.drop_duplicates("unit").set_index("unit")
    out["last_decline"] = latest["last_decline"].reindex(out.index).fillna(decline_reasons.NONE).to_numpy()
    out["days_since_decline"] = latest["days_since_decline"].reindex(out.index).fillna(NEVER_DAYS).to_numpy()
    out["founded_1km"] = g["founded_1km"].max().reindex(out.index).to_numpy()
    out["founded_street"] = g["founded_street"].max().reindex(out.index).to_numpy()
    out["never_visited"] = out["contacts"] == 0
    return out


def decline_rule(unit_feats: pd.DataFrame) -> pd.Series:
    """The rule a unit's last decline calls for (a key of ``decline_reasons.RULES``), or "" when none applies:
    总部统一安排 and 已有上级工会覆盖 are not visited again as they are (for ``RULE_EXPIRY_DAYS``); 经营困难 not
    within ``HARDSHIP_WAIT_DAYS`` of the decline; 正在筹备 soon, within ``PREPARING_SOON_DAYS``. Only while the
    decline is the unit's last contact, and never for a joint group."""
    code = unit_feats["last_decline"].astype(str) if "last_decline" in unit_feats else pd.Series("", unit_feats.index)
    days = (
        unit_feats["days_since_decline"].astype(float)
        if "days_since_decline" in unit_feats
        else pd.Series(NEVER_DAYS, index=unit_feats.index)
    )
    rule = pd.Series("", index=unit_feats.index, dtype=object)
    # a rule stands while the decline is the last word: a later meeting or interest lifts it; a joint group is
    # not held back for one member's reason; and what an enterprise said two years ago is asked again
    if "last_outcome" in unit_feats:
        code = code.where(unit_feats["last_outcome"].astype(str) == "declined", decline_reasons.NONE)
    if "kind" in unit_feats:
        code = code.where(unit_feats["kind"].astype(str) != "joint", decline_reasons.NONE)
    code = code.where(days < decline_reasons.RULE_EXPIRY_DAYS, decline_reasons.NONE)
    rule[code.isin(["head_office", "covered"])] = code
    rule[(code == "hardship") & (days < decline_reasons.HARDSHIP_WAIT_DAYS)] = "hardship"
    rule[(code == "preparing") & (days < decline_reasons.PREPARING_SOON_DAYS)] = "preparing"
    return rule


def route_branches(register: pd.DataFrame, unit_feats: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Branches are reached through the head office that decides for them (the register's ``head_office_id``).

    A branch whose head office is a unit of this plan is folded into it: the head office's expected members, value
    and staff count the branch's (at the head office's P, since it decides), and the branch is not visited on its
    own. A branch whose head office has a union is covered by it and left out. A branch whose head office is not
    among this plan's units (another area's, or not in the register the caller reads) is left out and counted as a
    referral under the head office's id, the code the caller's own register gave: nothing else is looked up.

    Returns the units without the branches (head offices gaining ``branches`` and ``branch_staff``) and the
    referrals, head office id -> branches.
    """
    out = unit_feats.assign(branches=0, branch_staff=0.0)
    if "head_office_id" not in register or out.empty:
        return out, {}
    head = register["head_office_id"].astype("string").to_numpy(dtype=object)
    ids = register["enterprise_id"].astype(str)
    pos_of = dict(zip(ids, range(len(ids)), strict=True))
    status = register["union_status"].astype("string").fillna("none").to_numpy(dtype=object)
    single = out["kind"] == "single"
    unit_at = {int(p[0]): i for i, p in zip(out.index[single], out.loc[single, "positions"], strict=True)}
    referrals: dict[str, int] = {}
    folded = []
    head_of = {e: h for e, h in zip(ids, head, strict=True) if isinstance(h, str) and h}

    def top(eid: str) -> str | None:
        """The head office at the top of the chain; None for a cycle (A names B, B names A: neither is a branch)."""
        seen = {eid}
        at = head_of.get(eid)
        while at is not None and at in head_of:
            if at in seen or len(seen) > 8:
                return None
            seen.add(at)
            at = head_of[at]
        return at

    for i, positions in zip(out.index[single], out.loc[single, "positions"], strict=True):
        hid = top(ids.iat[int(positions[0])]) if ids.iat[int(positions[0])] in head_of else None
        if not isinstance(hid, str) or not hid:
            continue
        folded.append(i)
        hp = pos_of.get(hid)
        target = unit_at.get(hp) if hp is not None else None
        if target is None or target == i:
            if hp is None or status[hp] == "none":  # a union at the head office covers the branch: nothing to do
                referrals[hid] = referrals.get(hid, 0) + 1
            continue
        p_head = out.at[target, "p_found"]
        em = float(out.at[i, "expected_members"])
        out.at[target, "expected_members"] += em
        out.at[target, "value"] += (p_head if pd.notna(p_head) else 0.0) * em
        out.at[target, "branches"] += 1
        out.at[target, "branch_staff"] += float(out.at[i, "staff"]) if pd.notna(out.at[i, "staff"]) else 0.0
    # the head offices' staff shown combined, like a joint group's
    out["staff"] = out["staff"].astype(float) + out["branch_staff"]
    return out.drop(index=folded), referrals


PREPARING_BOOST = 1.5  # an enterprise preparing its union is worth going back to while it prepares


def model_scores(unit_feats: pd.DataFrame) -> pd.Series:
    """The model's score of each unit: Σ P(found) x expected members, after the decline rules
    (:func:`decline_rule`): a unit held back scores nothing, one preparing its union counts
    :data:`PREPARING_BOOST` times."""
    rule = decline_rule(unit_feats)
    score = unit_feats["value"].astype(float)
    score = score.where(~rule.isin(["head_office", "covered", "hardship"]), -np.inf)
    return score.where(rule != "preparing", score * PREPARING_BOOST)


def largest_first(unit_feats: pd.DataFrame) -> pd.Series:
    """Largest first: a unit's combined staff (a joint group's members added up)."""
    return unit_feats["staff"].astype(float).fillna(0.0)


def longest_unvisited(unit_feats: pd.DataFrame) -> pd.Series:
    """Longest unvisited: never-visited units first, then by days since the last contact, ties by staff."""
    key = unvisited_key(
        unit_feats["contacts"].to_numpy(dtype=float),
        unit_feats["days_since"].to_numpy(dtype=float),
        unit_feats["staff"].to_numpy(dtype=float),
    )
    return pd.Series(key, index=unit_feats.index)


SCORERS = {"model": model_scores, "largest": largest_first, "unvisited": longest_unvisited}
