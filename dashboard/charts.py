"""Charts in the user's language: axis titles, month labels (2023年4月) and stages in their order."""

from __future__ import annotations

import altair as alt
import pandas as pd

from dashboard.i18n import lang, t


def funnel(stages: list[str], counts: list[int]) -> alt.Chart:
    """Horizontal bars, one per stage, top to bottom in the funnel's order, with the count on each bar."""
    frame = pd.DataFrame({"stage": stages, "count": counts})
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("count:Q", title=t("人数 / 家数", "Count"), axis=alt.Axis(format=",d")),
            y=alt.Y("stage:N", title=None, sort=stages),
            tooltip=[alt.Tooltip("stage:N", title=t("环节", "Stage")), alt.Tooltip("count:Q", format=",", title="")],
        )
    )
    text = bars.mark_text(align="left", dx=4).encode(text=alt.Text("count:Q", format=","))
    return (bars + text).properties(height=40 * len(stages) + 30)


def monthly(frame: pd.DataFrame, value: str, title: str) -> alt.LayerChart | alt.FacetChart:
    """A monthly trend: one label per month (2023年4月 / Apr 2023), the measure's name on the axis.

    Months some district has not reported yet (``complete`` False, see :func:`freshness.mark_months`) are drawn as
    hollow grey points on a dashed line and say so in their tooltip: a late report is not a fall.
    """
    frame = frame.copy()
    if "complete" not in frame:
        frame["complete"] = True
    months = pd.to_datetime(frame["month"])
    frame["label"] = [f"{m.year}年{m.month}月" if lang() == "zh" else f"{m:%b %Y}" for m in months]
    complete_text, partial_text = t("数据完整", "complete"), t("尚有区未报完", "not every district has reported")
    frame["status"] = [complete_text if c else partial_text for c in frame["complete"]]
    order = frame["label"].tolist()
    x = alt.X("label:O", title=t("月份", "Month"), sort=order, axis=alt.Axis(labelAngle=-30))
    y = alt.Y(f"{value}:Q", title=title, axis=alt.Axis(format=",d"))
    tooltip = [
        alt.Tooltip("label:O", title=t("月份", "Month")),
        alt.Tooltip(f"{value}:Q", title=title, format=","),
        alt.Tooltip("status:N", title=t("数据", "Data")),
    ]
    done = frame[frame["complete"].astype(bool)]
    # the dashed part runs from the last complete month through the incomplete ones
    first_partial = next((i for i, c in enumerate(frame["complete"]) if not c), None)
    tail = frame.iloc[max((first_partial or len(frame)) - 1, 0) :] if first_partial is not None else frame.iloc[:0]
    solid = alt.Chart(done).mark_line().encode(x=x, y=y)
    dashed = alt.Chart(tail).mark_line(strokeDash=[5, 4], color="#9aa5b1").encode(x=x, y=y)
    points = (
        alt.Chart(frame)
        .mark_point(size=55, filled=True)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "status:N",
                title=None,
                scale=alt.Scale(domain=[complete_text, partial_text], range=["#1f77b4", "#9aa5b1"]),
                legend=alt.Legend(orient="top") if first_partial is not None else None,
            ),
            tooltip=tooltip,
        )
    )
    return alt.layer(solid, dashed, points).properties(height=260)


REPORTING_COLOURS = {
    "reported": "#2e8b57",
    "cancelled": "#9aa5b1",
    "overdue": "#c0392b",
    "today": "#e67e22",
    "upcoming": "#aac8e4",
}


def reporting(weekly: pd.DataFrame) -> alt.Chart:
    """One bar per week and team, split by what became of its sessions: reported, not held, not reported, today,
    upcoming; the newest weeks first."""
    from dashboard.core.reports.plans import STATES

    rows = []
    for r in weekly.itertuples(index=False):
        label = f"{r.week:%m-%d} · {r.team_label}"
        for key in REPORTING_COLOURS:
            rows.append({"row": label, "state": t(*STATES[key]), "count": int(getattr(r, key)), "key": key})
    frame = pd.DataFrame(rows)
    order = list(dict.fromkeys(frame["row"])) if len(frame) else []
    names = [t(*STATES[k]) for k in REPORTING_COLOURS]
    return (
        alt.Chart(frame[frame["count"] > 0] if len(frame) else frame)
        .mark_bar()
        .encode(
            x=alt.X("count:Q", stack="zero", title=t("场次", "Sessions"), axis=alt.Axis(format="d", tickMinStep=1)),
            y=alt.Y("row:N", sort=order, title=None),
            color=alt.Color(
                "state:N",
                title=None,
                scale=alt.Scale(domain=names, range=list(REPORTING_COLOURS.values())),
                # a legend on top takes its height from the bars (Streamlit sizes the whole chart): at the side
                legend=alt.Legend(orient="right"),
            ),
            order=alt.Order("key:N"),
            tooltip=[alt.Tooltip("row:N", title=t("周 · 小组", "Week · team")), "state:N", "count:Q"],
        )
        .properties(height=max(90, 26 * len(order) + 40))
    )
