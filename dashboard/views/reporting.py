"""填报 Reporting: who has reported their sessions. Per week and team: planned, reported, not held (未开展), not
reported yet and how long overdue; the list of what is missing, to print or send to each team."""

import datetime as dt

import streamlit as st

from dashboard import auth, charts, downloads, resources
from dashboard.core import access
from dashboard.core.reports import reporting
from dashboard.core.reports.plans import STATES
from dashboard.i18n import lang, t

st.title(t("填报情况", "Reporting"))
shown_lang = lang()  # bound for this run: format_funcs are also called after it (streamlit#13788)
me = auth.scope()
eng = resources.engine()
today = dt.date.today()
monday = today - dt.timedelta(days=today.weekday())

c1, c2 = st.columns([2, 1])
span = c1.date_input(
    t("计划日期", "Planned between"),
    # three weeks back through next week: a plan saved for next week is here as soon as it is saved
    (monday - dt.timedelta(weeks=3), monday + dt.timedelta(days=13)),
    min_value=dt.date(2018, 1, 1),
    max_value=today + dt.timedelta(days=366),
    key="reporting_span",
)
first, last = span if isinstance(span, tuple) and len(span) == 2 else (monday - dt.timedelta(weeks=3), today)
district = auth.district_select(c2, me, "reporting_district")
frame = access.reporting(eng, me, first, last, today, district)
if frame.empty:
    st.info(
        t(
            "这段时间没有保存的计划。在“计划”页生成并保存计划后，这里按周、按小组显示填报情况。",
            "No saved plans in these weeks. Once plans are saved on the Plan page, their reporting shows here by week "
            "and team.",
        )
    )
    st.stop()

counts = frame["state"].value_counts()
cards = st.columns(5)
for col, key in zip(cards, ("reported", "cancelled", "overdue", "today", "upcoming"), strict=True):
    col.metric(t(*STATES[key]), f"{int(counts.get(key, 0)):,}", border=True)
overdue = frame[frame["state"] == "overdue"]
if len(overdue):
    st.warning(
        t(
            f"{len(overdue)} 场已过日子还没有结果，最久的已过 {int(overdue['overdue_days'].max())} 天。",
            f"{len(overdue)} sessions have passed without results; the oldest {int(overdue['overdue_days'].max())} "
            "days ago.",
        )
    )

st.subheader(t("按周、按小组", "By week and team"))
weekly = reporting.by_week_and_team(frame)
week_label = lambda d: f"{d:%m-%d} {t('起', 'on')}"  # noqa: E731
charts.show(st, charts.reporting(weekly), width="stretch")
st.dataframe(
    weekly.assign(
        week=[week_label(d) for d in weekly["week"]],
        progress=weekly["progress_zh"] if shown_lang == "zh" else weekly["progress_en"],
    )[["week", "team_label", "planned", "reported", "cancelled", "overdue", "today", "most_overdue_days", "progress"]],
    hide_index=True,
    column_config={
        "week": t("周", "Week"),
        "team_label": t("小组", "Team"),
        "planned": t("计划场次", "Planned"),
        "reported": t(*STATES["reported"]),
        "cancelled": t(*STATES["cancelled"]),
        "overdue": t(*STATES["overdue"]),
        "today": t(*STATES["today"]),
        "most_overdue_days": t("最久逾期（天）", "Most days overdue"),
        "progress": t("填报", "Reported"),
    },
    width="stretch",
    placeholder="—",
)


def printable(frame, team_column: str) -> bytes:
    access.record_export(eng, me, "unreported", len(frame), district, format="html")
    return reporting.printable(frame, team_column, shown_lang).encode("utf-8")


st.subheader(t("未填报清单", "Still to report"))
waiting = reporting.unreported(frame)
if waiting.empty:
    st.success(t("已过日子的场次都有结果了。", "Every session that has passed has its results."))
else:
    listed = waiting.assign(
        state=waiting["state"].map(lambda s: t(*STATES[s])),
        time=waiting["start_time"] + "–" + waiting["end_time"],
    )[["team_label", "date", "time", "site_name", "plan_name", "session_id", "state", "overdue_days"]]
    headers = {
        "team_label": t("小组", "Team"),
        "date": t("日期", "Date"),
        "time": t("时间", "Time"),
        "site_name": t("点位", "Site"),
        "plan_name": t("计划", "Plan"),
        "session_id": t("场次编号", "Session id"),
        "state": t("状态", "State"),
        "overdue_days": t("已过天数", "Days overdue"),
    }
    st.dataframe(listed, hide_index=True, column_config=headers, width="stretch", placeholder="—")
    sheets = {str(team)[:28]: part.rename(columns=headers) for team, part in listed.groupby("team_label", sort=True)}
    d1, d2 = st.columns(2)
    downloads.button(
        d1,
        t("下载未填报清单（Excel，每组一页）", "Download (Excel, a sheet per team)"),
        lambda: access.export_workbook(eng, me, "unreported", sheets, district),
        file_name=f"unreported_{today}.xlsx",
        key="unreported_xlsx",
    )
    downloads.button(
        d2,
        t("打印版（每组一页）", "Printable (a page per team)"),
        lambda: printable(listed.rename(columns=headers), headers["team_label"]),
        file_name=f"unreported_{today}.html",
        mime="text/html",
        key="unreported_html",
    )
