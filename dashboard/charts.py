"""Charts in the user's language: axis titles, month labels (2023年4月) and stages in their order.

Each chart is a Vega-Lite spec written as a dict, its data as frames under ``datasets`` (Streamlit sends each as
Arrow, as it does for an Altair chart). Not Altair: building and converting an Altair chart checked it against the
whole Vega-Lite schema (jsonschema) each time, about a sixth of a KPI or Model page run's CPU, the largest share
of it when every street union opens its pages at once (py-spy under ``bench/street_load.py``). The tests check each
spec against the schema once (tests/unit/test_charts.py).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard.i18n import lang, t

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
Spec = dict[str, Any]


def show(where: Any, spec: Spec, **kwargs: Any) -> Any:
    """Draw ``spec`` in ``where`` (``st`` or a column); the keyword arguments go to ``st.vega_lite_chart``."""
    return where.vega_lite_chart(spec, **kwargs)


def spec(datasets: dict[str, pd.DataFrame], body: Spec) -> Spec:
    """A whole chart: ``body`` (marks, encodings, layers) over the named frames."""
    return {"$schema": SCHEMA, **body, "datasets": dict(datasets)}


def field(name: str, kind: str, **more: Any) -> Spec:
    """An encoding channel: a column of the data and its type (``quantitative``, ``nominal``, ``ordinal``)."""
    return {"field": name, "type": kind, **more}


def funnel(stages: list[str], counts: list[int], unit: str) -> Spec:
    """Horizontal bars, one per stage, top to bottom in the funnel's order, with the count on each bar.

    Every stage counts one thing (``unit``, the axis title: 人数 or 家数): people and enterprises on one axis would
    dwarf the smaller bars, so a figure of another unit belongs beside the funnel, not in it."""
    frame = pd.DataFrame({"stage": stages, "count": counts})
    encoding = {
        "x": field("count", "quantitative", title=unit, axis={"format": ",d", "tickMinStep": 1}),
        "y": field("stage", "nominal", title=None, sort=list(stages)),
        "tooltip": [
            field("stage", "nominal", title=t("环节", "Stage")),
            field("count", "quantitative", format=",", title=unit),
        ],
    }
    text = {**encoding, "text": field("count", "quantitative", format=",")}
    return spec(
        {"funnel": frame},
        {
            "data": {"name": "funnel"},
            "layer": [
                {"mark": {"type": "bar"}, "encoding": encoding},
                {"mark": {"type": "text", "align": "left", "dx": 4}, "encoding": text},
            ],
            # the height holds the axis below the bars too (Streamlit fits the whole chart to it): 36 px a bar, 70
            # the axis
            "height": 36 * len(stages) + 70,
        },
    )


def monthly(frame: pd.DataFrame, value: str, title: str) -> Spec:
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
    x = field("label", "ordinal", title=t("月份", "Month"), sort=order, axis={"labelAngle": -30})
    # counts: whole-number ticks only (a street's 0, 1 or 2 unions a month must not read 0, 0, 1, 1, 1, 2)
    y = field(value, "quantitative", title=title, axis={"format": ",d", "tickMinStep": 1})
    tooltip = [
        field("label", "ordinal", title=t("月份", "Month")),
        field(value, "quantitative", title=title, format=","),
        field("status", "nominal", title=t("数据", "Data")),
    ]
    done = frame[frame["complete"].astype(bool)]
    # the dashed part runs from the last complete month through the incomplete ones
    first_partial = next((i for i, c in enumerate(frame["complete"]) if not c), None)
    tail = frame.iloc[max((first_partial or len(frame)) - 1, 0) :] if first_partial is not None else frame.iloc[:0]
    colour = field(
        "status",
        "nominal",
        title=None,
        scale={"domain": [complete_text, partial_text], "range": ["#1f77b4", "#9aa5b1"]},
        legend={"orient": "top"} if first_partial is not None else None,
    )
    return spec(
        {"done": done, "tail": tail, "months": frame},
        {
            "layer": [
                {"data": {"name": "done"}, "mark": {"type": "line"}, "encoding": {"x": x, "y": y}},
                {
                    "data": {"name": "tail"},
                    "mark": {"type": "line", "strokeDash": [5, 4], "color": "#9aa5b1"},
                    "encoding": {"x": x, "y": y},
                },
                {
                    "data": {"name": "months"},
                    "mark": {"type": "point", "size": 55, "filled": True},
                    "encoding": {"x": x, "y": y, "color": colour, "tooltip": tooltip},
                },
            ],
            "height": 260,
        },
    )


REPORTING_COLOURS = {
    "reported": "#2e8b57",
    "cancelled": "#9aa5b1",
    "overdue": "#c0392b",
    "today": "#e67e22",
    "upcoming": "#aac8e4",
}


def reporting(weekly: pd.DataFrame) -> Spec:
    """One bar per week and team, split by what became of its sessions: reported, not held, not reported, today,
    upcoming; the newest weeks first."""
    from dashboard.core.reports.plans import STATES

    rows = []
    for r in weekly.itertuples(index=False):
        label = f"{r.week:%m-%d} · {r.team_label}"
        for key in REPORTING_COLOURS:
            rows.append({"row": label, "state": t(*STATES[key]), "count": int(getattr(r, key)), "key": key})
    frame = pd.DataFrame(rows, columns=["row", "state", "count", "key"])
    order = list(dict.fromkeys(frame["row"]))
    names = [t(*STATES[k]) for k in REPORTING_COLOURS]
    return spec(
        {"weeks": frame[frame["count"] > 0]},
        {
            "data": {"name": "weeks"},
            "mark": {"type": "bar"},
            "encoding": {
                "x": field(
                    "count",
                    "quantitative",
                    stack="zero",
                    title=t("场次", "Sessions"),
                    axis={"format": "d", "tickMinStep": 1},
                ),
                "y": field("row", "nominal", sort=order, title=None),
                "color": field(
                    "state",
                    "nominal",
                    title=None,
                    scale={"domain": names, "range": list(REPORTING_COLOURS.values())},
                    # a legend on top takes its height from the bars (Streamlit sizes the whole chart): at the side
                    legend={"orient": "right"},
                ),
                "order": field("key", "nominal"),
                "tooltip": [
                    field("row", "nominal", title=t("周 · 小组", "Week · team")),
                    field("state", "nominal", title=t("情况", "State")),
                    field("count", "quantitative", title=t("场次", "Sessions")),
                ],
            },
            "height": max(90, 26 * len(order) + 40),
        },
    )


def curve(frame: pd.DataFrame, window: tuple[int, int] | None = None, day_label: str | None = None) -> Spec:
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
    hours = {"domain": [6, 22], "nice": False}
    line = {
        "data": {"name": "curve"},
        "mark": {"type": "line", "interpolate": "step-after", "point": True},
        "encoding": {
            "x": field(hour, "quantitative", title=hour, scale=hours, axis={"tickCount": 8}),
            "y": field(rate, "quantitative", title=rate),
            # below the chart, not beside it: a phone has no width to spare; one day needs no legend (its title says)
            "color": field(day, "nominal", title=day, legend=None if window else {"orient": "bottom"}),
            "tooltip": [
                field("time_label", "nominal", title=t("开始", "From")),
                field(rate, "quantitative", format=".1f"),
                field(day, "nominal"),
            ],
        },
    }
    if window is None:
        return spec({"curve": data}, {"layer": [line], "height": 260})
    band = pd.DataFrame({"from": [window[0] / 60], "to": [window[1] / 60], "label": [t("计划时段", "Planned window")]})
    shade = {
        "data": {"name": "window"},
        "mark": {"type": "rect", "opacity": 0.18, "color": "#d95f02"},
        "encoding": {
            "x": field("from", "quantitative", scale=hours),
            "x2": {"field": "to"},
            "tooltip": [field("label", "nominal", title="")],
        },
    }
    return spec(
        {"curve": data, "window": band},
        {"layer": [shade, line], "height": 260, "title": {"text": str(day_label or ""), "fontSize": 13}},
    )
