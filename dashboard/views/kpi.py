"""指标 KPIs: headline numbers, the funnel, monthly trends, district ranking, progress against annual targets."""

import datetime as dt

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import auth, charts, map_widgets, resources
from dashboard.core import access
from dashboard.core.geo import maps
from dashboard.core.reports import kpi, targets
from dashboard.i18n import lang, t

PILOT_START = dt.date(2018, 4, 1)
LABELS = kpi.LABELS


def label(key: str) -> str:
    return t(*LABELS[key])


st.title(t("指标", "KPIs"))
me = auth.scope()
v = resources.version()
first, last = resources.data_range(me, v)
if first is None or last is None:  # both or neither: the first and last session date
    st.info(
        t(
            "数据库中还没有场次记录。请在“上传”页导入，或用 `python -m dashboard sessions import 文件`。",
            "No sessions stored yet. Import them on the Upload page or with `python -m dashboard sessions import "
            "FILE`.",
        )
    )
    st.stop()

presets = {
    "pilot": (t("试点以来", "Since the pilot (Apr 2018)"), (PILOT_START, last)),
    "year": (t("今年", "This year"), (dt.date(last.year, 1, 1), last)),
    "last_year": (t("去年", "Last year"), (dt.date(last.year - 1, 1, 1), dt.date(last.year - 1, 12, 31))),
    "12m": (t("近12个月", "Last 12 months"), (last - dt.timedelta(days=364), last)),
    "five_years": (t("五年（2018.4–2023.4）", "Five years (Apr 2018 – Apr 2023)"), (PILOT_START, dt.date(2023, 4, 30))),
    "custom": (t("自定义", "Custom"), None),
}
c1, c2, c3 = st.columns([2, 2, 1])
preset = c1.radio(
    t("时间", "Period"), list(presets), format_func=lambda k: presets[k][0], horizontal=True, key="kpi_preset"
)
if preset == "custom":
    span = c2.date_input(
        t("日期范围", "Date range"), (first, last), min_value=dt.date(2018, 1, 1), max_value=last, key="kpi_span"
    )
    date_from, date_to = span if isinstance(span, tuple) and len(span) == 2 else (first, last)
else:
    period = presets[preset][1]
    assert period is not None  # only "custom" has no fixed period
    date_from, date_to = period
    c2.caption(f"{date_from} – {date_to}")
district = auth.district_select(c3, me, "kpi_district")

k = resources.totals(me, district, date_from, date_to, v)
for group in (
    ("worker_sessions", "consultations", "applications", "members_total"),
    ("enterprise_sessions", "enterprises_reached", "unions_founded", "members_from_enterprise_sessions"),
):
    for col, key in zip(st.columns(4), group, strict=True):
        col.metric(label(key), f"{k[key]:,}")

st.subheader(t("转化漏斗", "Funnel"))
f1, f2 = st.columns(2)
rate = lambda a, b: f"{a / b:.1%}" if b else "—"  # noqa: E731
f1.altair_chart(charts.funnel([label("consultations"), label("applications")], [k["consultations"], k["applications"]]))
f1.caption(
    t(
        f"咨询→申请入会：{rate(k['applications'], k['consultations'])}；场均申请 "
        f"{k['applications'] / max(k['worker_sessions'], 1):.1f} 人",
        f"Consultation → application: {rate(k['applications'], k['consultations'])}; "
        f"{k['applications'] / max(k['worker_sessions'], 1):.1f} applications per session",
    )
)
f2.altair_chart(  # in the order enterprises move through it
    charts.funnel(
        [label("enterprises_reached"), label("unions_founded"), label("members_from_enterprise_sessions")],
        [k["enterprises_reached"], k["unions_founded"], k["members_from_enterprise_sessions"]],
    )
)
f2.caption(
    t(
        f"涉及企业→建会：{rate(k['unions_founded'], k['enterprises_reached'])}；每家建会企业发展会员 "
        f"{k['members_from_enterprise_sessions'] / max(k['unions_founded'], 1):.0f} 人",
        f"Enterprise → union founded: {rate(k['unions_founded'], k['enterprises_reached'])}; "
        f"{k['members_from_enterprise_sessions'] / max(k['unions_founded'], 1):.0f} members per founded union",
    )
)

st.subheader(t("月度趋势", "Monthly trends"))
months = resources.monthly(me, date_from, date_to, district, v)
metric = st.segmented_control(
    t("指标", "Measure"),
    ["applications", "worker_sessions", "unions_founded", "members"],
    default="applications",
    format_func=lambda m: label(m) if m in LABELS else t("发展会员数", "Members"),
    key="kpi_trend_metric",
)
shown = metric or "applications"
st.altair_chart(
    charts.monthly(months, shown, label(shown) if shown in LABELS else t("发展会员数", "Members")), width="stretch"
)

st.subheader(t("各区排名", "District ranking"))
stats = resources.district_stats(me, date_from, date_to, v)
stats["name"] = stats["name_zh"] if lang() == "zh" else stats["name_en"]
ranking = stats.sort_values("applications", ascending=False)[
    ["name", "worker_sessions", "applications", "conversion", "enterprise_sessions", "unions_founded", "members"]
].reset_index(drop=True)
ranking.index += 1
r1, r2 = st.columns([3, 2])
r1.dataframe(
    ranking,
    column_config={
        "name": t("区", "District"),
        "worker_sessions": label("worker_sessions"),
        "applications": label("applications"),
        "conversion": st.column_config.NumberColumn(t("转化率", "Conversion"), format="percent"),
        "enterprise_sessions": label("enterprise_sessions"),
        "unions_founded": label("unions_founded"),
        "members": label("members_total"),
    },
    height=600,
)
with r2:
    geo = resources.boundaries().merge(stats[["adcode", "applications", "members", "name"]], on="adcode")
    m = maps.base_map(zoom=8)
    layer, leg = maps.district_layer(
        geo, "applications", "name", {"applications": label("applications"), "members": label("members_total")}
    )
    layer.add_to(m)
    map_widgets.frame_districts(m, me, district, maps.Tiles())
    st_folium(m, height=420, use_container_width=True, returned_objects=[], key="kpi_map")
    map_widgets.legend(label("applications"), leg)

st.subheader(t("年度目标进度", "Progress against annual targets"))
year = st.number_input(
    t("年份", "Year"), min_value=2018, max_value=last.year + 1, value=last.year, step=1, key="kpi_year"
)
if district is None and me.districts is not None:
    st.caption(
        t(
            "目标按区设置：请在上方选择一个区查看进度。",
            "Targets are set per district: choose one above to see progress.",
        )
    )
    prog = None
else:
    prog = access.target_progress(resources.engine(), me, int(year), district, today=last)
if prog is None:
    pass
elif prog["target"].notna().any():
    for col, row in zip(st.columns(len(prog)), prog.itertuples(), strict=True):
        with col:
            st.metric(
                label(row.metric),
                f"{row.achieved:,}",
                f"{t('目标', 'target')} {int(row.target):,}" if pd.notna(row.target) else t("未设目标", "no target"),
                delta_color="off",
            )
            if pd.notna(row.target) and row.target:
                st.progress(
                    min(row.share, 1.0),
                    text=(
                        f"{row.share:.0%} · {t('时间过半' if row.year_elapsed >= 0.5 else '时间进度', 'of year')} "
                        f"{row.year_elapsed:.0%}"
                    ),
                )
else:
    st.caption(t("本年度还没有设置目标。", "No targets set for this year."))
if me.is_admin:  # targets are set by admins only; everyone sees progress against them
    with st.expander(t("设置年度目标", "Set annual targets")):
        current = access.get_targets(resources.engine(), me, int(year), district)
        with st.form("targets_form"):
            values = {
                m: st.number_input(label(m), min_value=0, value=int(current.get(m, 0)), step=10, key=f"target_{m}")
                for m in targets.METRICS
            }
            if st.form_submit_button(t("保存目标", "Save targets")):
                access.set_targets(
                    resources.engine(), me, int(year), {m: (x or None) for m, x in values.items()}, district
                )
                resources.data_changed()
                st.rerun()

sheets = {
    t("总计", "Totals"): pd.DataFrame([{"metric": label(key), "value": k[key]} for key in LABELS]),
    t("月度", "Monthly"): months,
    t("各区", "Districts"): ranking,
}
st.download_button(
    t("导出 Excel", "Export to Excel"),
    lambda: access.export_workbook(resources.engine(), me, "kpi", sheets, district),
    file_name=f"kpi_{date_from}_{date_to}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
