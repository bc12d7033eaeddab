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


def monthly(frame: pd.DataFrame, value: str, title: str) -> alt.Chart:
    """A monthly trend: months labelled with their year (2023年4月 / Apr 2023), the measure's name on the axis."""
    month_format = "%Y年%-m月" if lang() == "zh" else "%b %Y"
    return (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("month:T", title=t("月份", "Month"), axis=alt.Axis(format=month_format, labelAngle=-30)),
            y=alt.Y(f"{value}:Q", title=title, axis=alt.Axis(format=",d")),
            tooltip=[
                alt.Tooltip("month:T", title=t("月份", "Month"), format=month_format),
                alt.Tooltip(f"{value}:Q", title=title, format=","),
            ],
        )
        .properties(height=260)
    )
