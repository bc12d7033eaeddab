"""Charts in the user's language: axis titles, month labels (2023年4月) and stages in their order."""

from __future__ import annotations

import altair as alt
import pandas as pd

from dashboard.i18n import lang, t


def funnel(stages: list[str], counts: list[int], unit: str) -> alt.LayerChart:
    """Horizontal bars, one per stage, top to bottom in the funnel's order, with the count on each bar.

    Every stage counts one thing (``unit``, the axis title: 人数 or 家数): people and enterprises on one axis would
    dwarf the smaller bars, so a figure of another unit belongs beside the funnel, not in it."""
    frame = pd.DataFrame({"stage": stages, "count": counts})
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("count:Q", title=unit, axis=alt.Axis(format=",d", tickMinStep=1)),
            y=alt.Y("stage:N", title=None, sort=stages),
            tooltip=[alt.Tooltip("stage:N", title=t("环节", "Stage")), alt.Tooltip("count:Q", format=",", title=unit)],
        )
    )
    text = bars.mark_text(align="left", dx=4).encode(text=alt.Text("count:Q", format=","))
    # the height holds the axis below the bars too (Streamlit fits the whole chart to it): 36 px a bar, 70 the axis
    return (bars + text).properties(height=36 * len(stages) + 70)


def monthly(frame: pd.DataFrame, value: str, title: str) -> alt.LayerChart | alt.FacetChart:
    """A monthly trend: one label per month (2023年4月 / Apr 2023), each month once and in order (``frame`` holds a
    row per month, as :func:`queries.monthly` gives it over a period), the measure's name on the axis.

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
    # counts: whole-number ticks only (a street's 0, 1 or 2 unions a month must not read 0, 0, 1, 1, 1, 2)
    y = alt.Y(f"{value}:Q", title=title, axis=alt.Axis(format=",d", tickMinStep=1))
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
            tooltip=[
                alt.Tooltip("row:N", title=t("周 · 小组", "Week · team")),
                alt.Tooltip("state:N", title=t("情况", "State")),
                alt.Tooltip("count:Q", title=t("场次", "Sessions")),
            ],
        )
        .properties(height=max(90, 26 * len(order) + 40))
    )


def curve(frame: pd.DataFrame, window: tuple[int, int] | None = None, day_label: str | None = None) -> alt.LayerChart:
    """A site's learned half-hour curve (expected applications per hour through the day), one line per kind of day,
    with the planned window shaded: why this window and not another."""
    hour, rate, day = (
        t("时刻（时）", "Hour of day"),
        t("每小时预计申请入会", "Expected applications per hour"),
        t("日期类型", "Day"),
    )
    data = frame.assign(**{hour: frame["start_min"] / 60, rate: frame["per_hour"]})
    data[day] = day_label if day_label is not None else data["day"]
    data["time_label"] = frame["time"]
    line = (
        alt.Chart(data)
        .mark_line(interpolate="step-after", point=True)
        .encode(
            x=alt.X(f"{hour}:Q", title=hour, scale=alt.Scale(domain=[6, 22], nice=False), axis=alt.Axis(tickCount=8)),
            y=alt.Y(f"{rate}:Q", title=rate),
            # below the chart, not beside it: a phone has no width to spare; one day needs no legend (its title says)
            color=alt.Color(f"{day}:N", title=day, legend=None if window else alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip("time_label:N", title=t("开始", "From")),
                alt.Tooltip(f"{rate}:Q", format=".1f"),
                alt.Tooltip(f"{day}:N"),
            ],
        )
    )
    if window is None:
        return alt.LayerChart(layer=[line], height=260)
    band = pd.DataFrame({"from": [window[0] / 60], "to": [window[1] / 60], "label": [t("计划时段", "Planned window")]})
    shade = (
        alt.Chart(band)
        .mark_rect(opacity=0.18, color="#d95f02")
        .encode(
            x=alt.X("from:Q", scale=alt.Scale(domain=[6, 22], nice=False)),
            x2="to:Q",
            tooltip=[alt.Tooltip("label:N", title="")],
        )
    )
    return alt.LayerChart(layer=[shade, line], height=260, title=alt.Title(str(day_label or ""), fontSize=13))
