"""Where each enterprise stands on the way to a union (沟通 → 有意向 → 已建会 / 暂不建会), and the enterprise funnel.

The stage rules, applied to an enterprise's visits in date order:

- an enterprise whose register shows a union is 已建会 (``founded``) when a visit recorded the founding, and
  ``had_union`` when the register alone says so (a union from before the programme, or a joint union);
- otherwise the latest visit decides, except that a plain meeting after an expression of interest keeps the
  enterprise 有意向: interest is lost only by a 暂不建会 (``declined``), and a meeting after a decline reopens it;
- an enterprise never visited is 未接触 (``none``).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import sqlalchemy as sa

from dashboard.core.reports import periods
from dashboard.core.reports.kpi import change
from dashboard.core.storage.enterprise_tables import VISIT_COLUMNS, read_visits
from dashboard.core.storage.schema import enterprise_visits

__all__ = ["read_visits", "stages", "summary", "funnel", "compare", "history", "district_rates"]

STAGES: dict[str, tuple[str, str]] = {
    "none": ("未接触", "Not yet contacted"),
    "held": ("已沟通", "Met"),
    "interested": ("有意向", "Interested"),
    "declined": ("暂不建会", "Not for now"),
    "founded": ("已建会（本项目）", "Founded (programme)"),
    "had_union": ("已有工会", "Had a union"),
}
OPEN_STAGES = ("held", "interested", "declined")  # contacted, no union yet
LARGE = 25  # staff: an enterprise that may found its own union (工会法)


def history(engine: sa.Engine, enterprise_id: str) -> pd.DataFrame:
    """One enterprise's visits, newest first."""
    query = sa.select(*(enterprise_visits.c[c] for c in VISIT_COLUMNS)).where(
        enterprise_visits.c.enterprise_id == enterprise_id
    )
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(enterprise_visits.c.visited_on.desc())).all()
    return pd.DataFrame(rows, columns=VISIT_COLUMNS)


def stages(register: pd.DataFrame, visits: pd.DataFrame) -> pd.DataFrame:
    """Per enterprise of ``register``: its stage, last contact, number of visits and last outcome.

    Returns
    -------
    DataFrame
        Indexed like ``register``: ``stage``, ``last_contact`` (datetime64), ``visits`` (int), ``last_outcome``.
    """
    out = pd.DataFrame(index=register.index)
    ordered = visits.sort_values(["enterprise_id", "visited_on"], kind="stable")
    # a meeting after interest keeps the interest: carry "interested" forward until a decline (or founding)
    marks = ordered["outcome"].where(ordered["outcome"] != "held")
    carried = marks.groupby(ordered["enterprise_id"]).ffill()
    effective = ordered["outcome"].where(ordered["outcome"] != "held", carried.fillna("held"))
    effective = effective.where(~((ordered["outcome"] == "held") & (carried == "declined")), "held")
    g = ordered.assign(effective=effective, is_founding=ordered["outcome"].eq("founded")).groupby("enterprise_id")
    last = pd.DataFrame(  # one vectorised reduction per column: a Python function per enterprise took seconds
        {
            "last_contact": g["visited_on"].max(),
            "visits": g.size(),
            "last_outcome": g["outcome"].last(),
            "stage": g["effective"].last(),
            "founded_here": g["is_founding"].any(),
        }
    )
    ids = register["enterprise_id"]
    joined = last.reindex(ids)
    joined.index = register.index
    has_union = register["union_status"].isin(["founded", "joint"])
    stage = joined["stage"].fillna("none")
    stage = stage.where(~has_union, np.where(joined["founded_here"].eq(True), "founded", "had_union"))
    out["stage"] = stage
    out["last_contact"] = joined["last_contact"]
    out["visits"] = joined["visits"].fillna(0).astype(int)
    out["last_outcome"] = joined["last_outcome"]
    return out


def split_services(values: pd.Series) -> pd.Series:
    """'|'-joined service keys, one per row (exploded)."""
    parts = values.fillna("").str.split("|").explode()
    return parts[parts != ""]


def summary(register: pd.DataFrame, visits: pd.DataFrame, today: dt.date, *, by: str | None = None) -> dict:
    """What the pipeline view shows.

    Returns
    -------
    dict
        ``counts`` (stage -> enterprises; a DataFrame by ``by``, e.g. "street", when given), ``waiting`` (open
        enterprises, longest since their last contact first), ``services`` (per service key: how often offered
        and asked among the enterprises that founded through the programme, and among all visited),
        ``stages`` (the per-enterprise frame of :func:`stages` joined to the register).
    """
    staged = register.join(stages(register, visits))
    counts: pd.Series | pd.DataFrame
    if by:
        counts = (
            staged.assign(**{by: staged[by].fillna("（未填）")})
            .groupby([by, "stage"])
            .size()
            .unstack(fill_value=0)
            .reindex(columns=list(STAGES), fill_value=0)
        )
        counts["total"] = counts.sum(axis=1)
        counts = counts.sort_values("total", ascending=False)
    else:
        counts = staged["stage"].value_counts().reindex(list(STAGES), fill_value=0)
    waiting = staged[staged["stage"].isin(["held", "interested"])].copy()
    waiting["days_waiting"] = (pd.Timestamp(today) - waiting["last_contact"]).dt.days
    waiting = waiting.sort_values(["days_waiting", "staff"], ascending=[False, False])
    founders = set(visits.loc[visits["outcome"] == "founded", "enterprise_id"])
    founded_visits = visits[visits["enterprise_id"].isin(founders)]
    services = (
        pd.DataFrame(
            {
                "offered_founded": split_services(founded_visits["services_offered"]).value_counts(),
                "asked_founded": split_services(founded_visits["services_asked"]).value_counts(),
                "offered_all": split_services(visits["services_offered"]).value_counts(),
                "asked_all": split_services(visits["services_asked"]).value_counts(),
            }
        )
        .fillna(0)
        .astype(int)
    )
    return {"counts": counts, "waiting": waiting, "services": services, "stages": staged}


def funnel(register: pd.DataFrame, visits: pd.DataFrame, first: dt.date, last: dt.date) -> dict[str, float]:
    """The enterprise funnel of a period (both ends included).

    ``visited``: enterprises with a visit in the period; ``interested``: of those, the ones that showed interest
    or founded in it; ``founded``: foundings recorded by visits and dated in the period; ``members``: who joined
    at those foundings; ``visited_large`` / ``founded_large`` and ``founding_rate_large``: the same among
    enterprises of 25+ staff (who may found their own union); ``founding_rate``: founded / visited.
    """
    start, end = pd.Timestamp(first), pd.Timestamp(last)
    inside = visits[visits["visited_on"].between(start, end)]
    founded = visits[(visits["outcome"] == "founded") & visits["founded_on"].between(start, end)]
    staff = register.set_index("enterprise_id")["staff"]
    large = set(staff[pd.to_numeric(staff, errors="coerce") >= LARGE].index)
    visited_ids = set(inside["enterprise_id"])
    interested_ids = set(inside.loc[inside["outcome"].isin(["interested", "founded"]), "enterprise_id"])
    founded_ids = set(founded["enterprise_id"])
    visited_large = len(visited_ids & large)
    founded_large = len(founded_ids & large)
    return {
        "visited": len(visited_ids),
        "interested": len(interested_ids | founded_ids),
        "founded": len(founded_ids),
        "members": int(founded["members"].fillna(0).sum()),
        "founding_rate": len(founded_ids) / len(visited_ids) if visited_ids else float("nan"),
        "visited_large": visited_large,
        "founded_large": founded_large,
        "founding_rate_large": founded_large / visited_large if visited_large else float("nan"),
    }


def district_rates(register: pd.DataFrame, visits: pd.DataFrame) -> pd.DataFrame:
    """Per district: enterprises, with a union, contacted, founded through the programme, and 建会率 (the share
    of its registered enterprises with a union)."""
    staged = register.join(stages(register, visits))
    grouped = staged.groupby("district")
    out = pd.DataFrame(
        {
            "enterprises": grouped.size(),
            "with_union": grouped["stage"].apply(lambda s: int(s.isin(["founded", "had_union"]).sum())),
            "contacted": grouped["visits"].apply(lambda v: int((v > 0).sum())),
            "founded": grouped["stage"].apply(lambda s: int((s == "founded").sum())),
        }
    )
    out["union_rate"] = out["with_union"] / out["enterprises"]
    return out


FUNNEL_FIELDS = ("visited", "interested", "founded", "members", "founding_rate_large")


def compare(register: pd.DataFrame, visits: pd.DataFrame, comparison: periods.Comparison) -> pd.DataFrame:
    """Each funnel measure for the period, the same days a year earlier (同比) and the period before (环比): the
    columns of :func:`kpi.compare` (``metric, current, year_before, previous, yoy, pop``)."""
    now, yb, prev = (
        funnel(register, visits, a, b) for a, b in (comparison.current, comparison.year_before, comparison.previous)
    )
    rows = []
    for m in now:
        rate = m.startswith("founding_rate")
        rows.append(
            {
                "metric": m,
                "current": now[m],
                "year_before": yb[m],
                "previous": prev[m],
                # a rate is compared in percentage points, a count relatively
                "yoy": (now[m] - yb[m]) if rate else change(now[m], yb[m]),
                "pop": (now[m] - prev[m]) if rate else change(now[m], prev[m]),
            }
        )
    return pd.DataFrame(rows)
