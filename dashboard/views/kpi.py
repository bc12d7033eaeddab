"""指标 KPIs: headline numbers, the funnel, monthly trends, district ranking, progress against annual targets."""

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import auth, charts, downloads, map_widgets, resources
from dashboard.core import access
from dashboard.core.geo import areas, districts, maps, streets
from dashboard.core.reports import briefing, kpi, periods, targets
from dashboard.i18n import lang, lang_key, t

PILOT_START = dt.date(2018, 4, 1)
LABELS = kpi.LABELS


def label(key: str) -> str:
    return t(*LABELS[key])


st.title(t("指标", "KPIs"))
shown_lang = lang()  # bound for this run: format_funcs are also called after it (AppTest, streamlit#13788)
me = auth.scope()
v = resources.version()
first, last = resources.data_range(me, v)
if first is None or last is None:  # both or neither: the first and last session date
    st.info(
        t(
            "所选范围还没有场次记录。请在“上传”页导入场次结果。",
            "No sessions stored here yet. Import them on the Upload page.",
        )
    )
    st.stop()

KINDS = {
    "year": t("年", "Year"),
    "quarter": t("季度", "Quarter"),
    "month": t("月", "Month"),
    "all": t("试点以来", "Since the pilot"),
    "span": t("自定义", "Custom"),
}
c1, c2, c3 = st.columns([3, 2, 1.2])
kind = c1.segmented_control(
    t("时间", "Period"), list(KINDS), default="year", format_func=KINDS.__getitem__, key="kpi_kind"
)
kind = kind or "year"  # a second click on the chosen segment clears it
if kind in ("year", "quarter", "month"):
    options = periods.choices(kind, first, last)
    period = c2.selectbox(
        t("期间", "Which"), options, format_func=lambda p: p.label(shown_lang), key=lang_key(f"kpi_period_{kind}")
    )
elif kind == "all":
    period = periods.Period("span", min(PILOT_START, first), last)
    c2.caption(f"{period.start} – {period.end}")
else:
    span = c2.date_input(
        t("日期范围", "Date range"), (first, last), min_value=dt.date(2018, 1, 1), max_value=last, key="kpi_span"
    )
    a, b = span if isinstance(span, tuple) and len(span) == 2 else (first, last)
    period = periods.Period("span", a, b)
district = auth.district_select(c3, me, "kpi_district")
comparison = periods.compare(period, last)
date_from, date_to = comparison.current
compared = kind != "all"  # "since the pilot" has no period before it
yearly = period.kind == "year"  # a year's 环比 is the year before: the same as its 同比, so shown once
dates = resources.data_dates(me, district, v)
if comparison.partial:
    st.caption(
        t(
            f"数据截至 {last:%Y-%m-%d}：本期按已有天数统计，同比、环比取相同天数。",
            f"Data run to {last}: this period is counted to date and compared with as many days.",
        )
    )
if compared and (late := dates.note(shown_lang)):
    st.warning(late, icon=":material/schedule:")

cmp = resources.compare(me, district, period.key, last, v).set_index("metric")
k = {key: int(cmp.at[key, "current"]) for key in LABELS}


def comparison_line(key: str) -> str:
    """Beneath a card: the same period last year, then 环比 with arrow and colour by direction (not for a year:
    its previous period is the year before, already on the card)."""
    year_before = f"{int(cmp.at[key, 'year_before']):,}"
    if yearly:
        return t(f"去年同期 {year_before}", f"Last year {year_before}")
    before = f"{int(cmp.at[key, 'previous']):,}"
    x = cmp.at[key, "pop"]
    if x is None or pd.isna(x):
        change = "—"
    else:
        change = (":green[▲" if x > 0 else (":red[▼" if x < 0 else ":gray[■")) + f" {abs(x):.1%}]"
    return t(
        f"去年同期 {year_before} · 环比 {change}（上期 {before}）",
        f"Last year {year_before} · vs previous {change} ({before})",
    )


# On a phone Streamlit stacks columns one under another: eight cards would take five screens. Below 640 px these rows
# keep two cards side by side, the figures a size smaller (scoped to this page's card rows, the headline and the
# enterprise ones; a desk's 1440 px unchanged).
CARDS = "[class*=st-key-kpi_cards]"  # the containers keyed kpi_cards…: the headline and the enterprise cards
st.html(
    "<style>@media (max-width: 640px) {"
    f"{CARDS} [data-testid=stHorizontalBlock]{{display:flex!important;flex-flow:row wrap!important;"
    "gap:0.5rem!important}"
    f"{CARDS} [data-testid=stHorizontalBlock]>[data-testid=stColumn]{{width:calc(50% - 0.25rem)!important;"
    "flex:0 0 calc(50% - 0.25rem)!important;min-width:0!important;margin-bottom:0!important}"
    f"{CARDS} [data-testid=stMetric]{{padding:0.5rem 0.6rem!important}}"
    f"{CARDS} [data-testid=stMetricValue]{{font-size:1.5rem!important}}"
    f"{CARDS} [data-testid=stMetricLabel] p{{font-size:0.8rem!important}}"
    f"{CARDS} [data-testid=stCaptionContainer]{{font-size:0.7rem!important;line-height:1.3!important}}"
    f"{CARDS} div:has(> [data-testid=stMetricDelta]){{flex-wrap:wrap;row-gap:2px}}"  # 同比 under a long change
    "}</style>"
)
cards = st.container(key="kpi_cards")
for group in (
    ("worker_sessions", "consultations", "applications", "members_total"),
    ("enterprise_sessions", "enterprises_reached", "unions_founded", "members_from_enterprise_sessions"),
):
    for col, key in zip(cards.columns(4), group, strict=True):
        with col:
            if compared:
                yoy = cmp.at[key, "yoy"]
                moved = yoy is not None and pd.notna(yoy) and yoy != 0  # no change is neither up nor good
                st.metric(
                    label(key),
                    f"{k[key]:,}",
                    briefing.percent(yoy, signed=True),
                    delta_color="normal" if moved else "off",
                    delta_arrow="auto" if moved else "off",
                    delta_description=t("同比", "year on year"),
                    border=True,
                )
                st.caption(comparison_line(key))
            else:
                st.metric(label(key), f"{k[key]:,}", border=True)

st.subheader(t("转化漏斗", "Funnel"))
f1, f2 = st.columns(2)
rate = lambda a, b: f"{a / b:.1%}" if b else "—"  # noqa: E731
people, firms = t("人数", "People"), t("家数", "Enterprises")
charts.show(
    f1, charts.funnel([label("consultations"), label("applications")], [k["consultations"], k["applications"]], people)
)
f1.caption(
    t(
        f"咨询→申请入会：{rate(k['applications'], k['consultations'])}；场均申请 "
        f"{k['applications'] / max(k['worker_sessions'], 1):.1f} 人",
        f"Consultation → application: {rate(k['applications'], k['consultations'])}; "
        f"{k['applications'] / max(k['worker_sessions'], 1):.1f} applications per session",
    )
)
# enterprises as they move through it (家); the members they bring are people, a unit of their own: beside the
# funnel, not a third bar that would dwarf the enterprises
charts.show(
    f2,
    charts.funnel(
        [label("enterprises_reached"), label("unions_founded")], [k["enterprises_reached"], k["unions_founded"]], firms
    ),
)
f2.caption(
    t(
        f"涉及企业→建会：{rate(k['unions_founded'], k['enterprises_reached'])}。"
        f"建会企业发展会员 {k['members_from_enterprise_sessions']:,} 人，每家建会企业 "
        f"{k['members_from_enterprise_sessions'] / max(k['unions_founded'], 1):.0f} 人"
        "（人数与家数单位不同，不画在同一条轴上）",
        f"Enterprise → union founded: {rate(k['unions_founded'], k['enterprises_reached'])}. "
        f"{k['members_from_enterprise_sessions']:,} members from founded unions, "
        f"{k['members_from_enterprise_sessions'] / max(k['unions_founded'], 1):.0f} per founded union (people, not "
        "enterprises: not drawn on the same axis)",
    )
)

st.subheader(t("企业建会进展", "Enterprises: visits to unions"))
ent = resources.enterprise_funnel(me, district, period.key, last, v).set_index("metric")
ENT_LABELS = {
    "visited": ("走访企业数", "Enterprises visited"),
    "interested": ("有意向或建会", "Interested or founded"),
    "founded": ("经沟通建会", "Founded after visits"),
    "members": ("建会时入会人数", "Members at founding"),
    "founding_rate_large": ("25人以上企业建会率", "Founding rate, 25+ staff"),
}
if int(ent.at["visited", "current"]) == 0 and int(ent.at["founded", "current"]) == 0:
    st.caption(
        t(
            "这段时间没有企业沟通记录。在“上传”页导入“企业沟通记录”后，这里显示走访、有意向、建会的企业数和建会率。",
            "No enterprise visits recorded in this period. Import enterprise visits on the Upload page to see "
            "visits, interest, foundings and the founding rate here.",
        )
    )
else:
    for col, key in zip(st.container(key="kpi_cards_enterprises").columns(len(ENT_LABELS)), ENT_LABELS, strict=True):
        now, yoy = ent.at[key, "current"], ent.at[key, "yoy"]
        is_rate = key.startswith("founding_rate")
        shown = briefing.percent(now) if is_rate else f"{int(now):,}"
        if is_rate:  # a rate moves in percentage points
            delta = None if pd.isna(yoy) else f"{yoy * 100:+.1f} {t('个百分点', 'pts')}"
        else:
            delta = briefing.percent(yoy, signed=True) if yoy is not None and pd.notna(yoy) else None
        moved = yoy is not None and pd.notna(yoy) and yoy != 0
        with col:
            st.metric(
                t(*ENT_LABELS[key]),
                shown,
                delta if compared else None,
                delta_color="normal" if moved else "off",
                delta_arrow="auto" if moved else "off",
                delta_description=t("同比", "year on year") if compared and delta else None,
                border=True,
            )
    if compared and not yearly:  # 环比 beneath, as for the headline cards (a year's is its 同比)
        before = {key: ent.at[key, "previous"] for key in ("visited", "founded", "members")}
        st.caption(
            t(
                f"上期（环比）：走访 {int(before['visited']):,} 家，建会 {int(before['founded']):,} 家，"
                f"建会时入会 {int(before['members']):,} 人。",
                f"Previous period: {int(before['visited']):,} visited, {int(before['founded']):,} founded, "
                f"{int(before['members']):,} members at founding.",
            )
        )
    visited_large, founded_large = int(ent.at["visited_large", "current"]), int(ent.at["founded_large", "current"])
    st.caption(
        t(
            f"按企业计：本期走访 25 人以上企业 {visited_large:,} 家，其中经沟通建会 {founded_large:,} 家"
            "（25 人以上可单独建会）。建会数按建会日期计入本期；同比为去年同期相同天数。",
            f"Counted by enterprise: {visited_large:,} enterprises of 25+ staff visited, {founded_large:,} of them "
            "founded after visits (25+ may found their own union). Foundings count in the period of their date; "
            "year on year compares the same days last year.",
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
charts.show(
    st, charts.monthly(months, shown, label(shown) if shown in LABELS else t("发展会员数", "Members")), width="stretch"
)
if len(months) and not months["complete"].all():
    st.caption(
        t(
            "灰色空心点的月份还有区没有报完（见上方提示），不是下降：等各区补报后会更新。",
            "Grey months are not fully reported yet by every district (see the note above): not a fall; they fill "
            "in as districts report.",
        )
    )

stats = resources.district_stats(me, date_from, date_to, v)
ranked = briefing.district_ranking(stats)
ranked["name"] = ranked["name_zh"] if lang() == "zh" else ranked["name_en"]
ranked["conversion"] = ranked["conversion"] * 100  # one percentage format on the page: 25.8%
count = lambda title: st.column_config.NumberColumn(title, format="localized")  # noqa: E731  1,234
home = district or (me.districts[0] if me.districts and len(me.districts) == 1 else None)
in_streets = bool(home is not None and me.streets_in(home))  # a street union's planner: their streets, not 区
mine = areas.names(me.areas, shown_lang) if me.areas is not None else ""
if len(ranked) > 1:
    st.subheader(t("各区排名", "District ranking"))
    if district is not None:  # the chosen district, keeping its place among all
        chosen = ranked.set_index("adcode").loc[district]
        st.caption(
            t(
                f"{chosen['name']} 在 {len(ranked)} 个区中排第 {int(chosen['rank'])} 名（按现场申请入会人数）。",
                f"{chosen['name']} ranks {int(chosen['rank'])} of {len(ranked)} (by applications).",
            )
        )
    ranking = ranked[
        [
            "rank",
            "name",
            "worker_sessions",
            "applications",
            "conversion",
            "enterprise_sessions",
            "unions_founded",
            "members",
        ]
    ]
    st.dataframe(
        ranking if district is None else ranking[ranked["adcode"] == district],
        column_config={
            "rank": st.column_config.NumberColumn(t("名次", "Rank"), width=50),
            "name": st.column_config.TextColumn(t("区", "District"), width=110),
            "worker_sessions": count(label("worker_sessions")),
            "applications": count(label("applications")),
            "conversion": st.column_config.NumberColumn(t("咨询转化率", "Conversion"), format="%.1f%%"),
            "enterprise_sessions": count(label("enterprise_sessions")),
            "unions_founded": count(label("unions_founded")),
            "members": count(label("members_total")),
        },
        hide_index=True,
        width="stretch",
        height="content",
        placeholder="—",
    )
elif not in_streets:  # a district's planner: no other district to rank against; their streets below
    st.subheader(t("排名", "Ranking"))
    st.caption(
        t(
            f"这个账号只能看到{mine}的数据，没有别的区可以一起比，所以这里不列各区排名（一行的排名说明不了什么）；"
            "下面按街道（乡镇）排名。",
            f"This account sees {mine} only: with no other district to compare, there is no district ranking here "
            "(a ranking of one says nothing); its streets are ranked below.",
        )
    )
street_table = None
if home is not None:
    street_table = briefing.district_ranking(resources.street_stats(me, home, date_from, date_to, v))
    street_table["conversion"] = street_table["conversion"] * 100
    if len(street_table) > 1:
        st.subheader(
            t("我负责的街道（乡镇）排名", "Ranking of my streets")
            if in_streets
            else t(
                f"{districts.name(home)}各街道（乡镇）排名", f"Streets and townships of {districts.name(home, 'en')}"
            )
        )
        st.dataframe(
            street_table[
                ["rank", "name", "sites", "worker_sessions", "applications", "conversion", "unions_founded", "members"]
            ],
            column_config={
                "rank": st.column_config.NumberColumn(t("名次", "Rank"), width=50),
                "name": st.column_config.TextColumn(t("街道（乡镇）", "Street"), width=120),
                "sites": count(t("点位数", "Sites")),
                "worker_sessions": count(label("worker_sessions")),
                "applications": count(label("applications")),
                "conversion": st.column_config.NumberColumn(t("咨询转化率", "Conversion"), format="%.1f%%"),
                "unions_founded": count(label("unions_founded")),
                "members": count(label("members_total")),
            },
            hide_index=True,
            width="stretch",
            height="content" if len(street_table) <= 8 else 320,  # a street union's few rows, or a district's 43
            key="kpi_streets",
            placeholder="—",
        )
    elif in_streets:  # a street union's one street: nothing to rank it against that this account may see
        st.subheader(t("排名", "Ranking"))
        st.caption(
            t(
                f"这个账号只能看到{mine}的数据。一个街道没有可比的对象（别的街道的数字不对本账号公开），所以这里不列排名；"
                "本街道的数字见上方卡片，地图上是它的点位所在。",
                f"This account sees {mine} only. One street has nothing to be ranked against (other streets' figures "
                "are not shown to this account), so there is no ranking here; its figures are in the cards above and "
                "the map shows where its sites are.",
            )
        )
    st.caption(
        t(
            "街道没有可用的边界数据：地图上每个街道画成一个圆，位置是该街道点位的平均位置，圆的面积与现场申请入会人数成正比；"
            "没有点位的街道只在表中。“未标街道”是没有填写街道的点位和场次。",
            "No street boundaries are available: on the map each street is a circle at the mean position of its "
            "sites, its area proportional to applications; streets without sites are in the table only. 未标街道 "
            "holds the sites and sessions without a street.",
        )
        if len(street_table) > 1
        else t(
            "街道没有可用的边界数据：地图上的圆在本街道点位的平均位置，地图按这些点位取景。",
            "No street boundaries are available: the circle sits at the mean position of the street's sites, and the "
            "map is framed on those sites.",
        )
    )
tiles = map_widgets.basemap(me)  # the admin's preset, as on the Map and Plan pages
m = maps.base_map(tiles, zoom=8)
map_widgets.reference(m, me, tiles, district_names=False)  # frame_districts names the districts
leg: list = []
if not in_streets:  # a street union's figures painted over their whole district would read as the district's
    geo = resources.boundaries().merge(ranked[["adcode", "applications", "members", "name"]], on="adcode")
    layer, leg = maps.district_layer(
        geo, "applications", "name", {"applications": label("applications"), "members": label("members_total")}, tiles
    )
    layer.add_to(m)
street_legend = None
if street_table is not None and len(street_table):
    centres = streets.centres(resources.site_stats(me, None, None, home, v))
    placed = street_table.merge(centres, left_on="code", right_index=True, how="inner")
    if len(placed):
        circles, street_legend = maps.street_layer(
            placed,
            "applications",
            {
                "name": t("街道（乡镇）", "Street"),
                "applications": label("applications"),
                "sites": t("点位数", "Sites"),
                "members": label("members_total"),
            },
            tiles,
        )
        circles.add_to(m)
map_widgets.frame_districts(m, me, home if street_legend is not None else district, tiles)
map_widgets.show(m, height=420, key="kpi_map")
map_widgets.legend(t("区底色 · ", "District fill · ") + label("applications"), leg)
if street_legend is not None:
    map_widgets.legend(t("街道：现场申请入会人数（圆的面积）", "Streets: applications (circle area)"), street_legend)

year = period.end.year  # the targets of the year the period falls in
st.subheader(t(f"{year}年度目标进度", f"Progress against {year} targets"))
if period.start.year != period.end.year:
    st.caption(
        t(
            f"所选时间跨年，显示 {year} 年（所选时间的最后一年）的目标。",
            f"The period spans years: showing the targets of {year}, its last year.",
        )
    )
# targets are the city's, a district's or a street's: a street planner reads their street's
target_area: str | None = district
if street_table is not None and home is not None:
    own = [c for c in street_table["code"] if c]
    target_options: list[str | None] = list(own) if me.by_street else [None, *own]
    names = dict(zip(street_table["code"], street_table["name"], strict=True))
    target_area = (
        st.selectbox(
            t("目标范围", "Targets of"),
            target_options,
            format_func=lambda c: t("全区", "The whole district") if c is None else names.get(c, c),
            key=lang_key("kpi_target_street"),
        )
        or district
    )
if target_area is None and me.districts is not None:
    st.caption(
        t(
            "目标按区设置：请在上方选择一个区查看进度。",
            "Targets are set per district: choose one above to see progress.",
        )
    )
    prog = None
else:
    prog = access.target_progress(resources.engine(), me, year, target_area, today=min(last, period.end))
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
                delta_arrow="off",
            )
            if pd.notna(row.target) and row.target:
                st.progress(
                    min(row.share, 1.0),
                    text=(f"{row.share:.1%} · {t('时间进度', 'of year')} {row.year_elapsed:.1%}"),
                )
else:
    st.caption(t(f"{year} 年还没有设置目标。", f"No targets set for {year}."))
# admins set every target; a district's planners share it out among its streets
sets_street = me.role == "planner" and target_area is not None and len(target_area) == 9 and not me.by_street
if me.is_admin or sets_street:
    with st.expander(t(f"设置 {year} 年度目标", f"Set {year} targets")):
        current = access.get_targets(resources.engine(), me, year, target_area)
        with st.form("targets_form"):
            values = {
                m: st.number_input(label(m), min_value=0, value=int(current.get(m, 0)), step=10, key=f"target_{m}")
                for m in targets.METRICS
            }
            if st.form_submit_button(t("保存目标", "Save targets")):
                access.set_targets(
                    resources.engine(), me, year, {m: (x or None) for m, x in values.items()}, target_area
                )
                resources.data_changed()
                st.rerun()

st.subheader(t("报告", "Report"))
st.caption(
    t(
        "一页报告：所选时间和范围的主要指标（含同比、环比）、年度目标进度和各区排名，可打印的 PDF 与 Excel。",
        "A one-page report of the chosen period and scope: headline figures with year-on-year and period-on-period "
        "changes, targets and the district ranking, as a printable PDF and as Excel.",
    )
)
name = f"{t('双沟通报告', 'outreach_report')}_{period.key.replace('..', '_')}"
d1, d2 = st.columns(2)
downloads.button(
    d1,
    t("下载 Excel 报告", "Download the Excel report"),
    lambda: access.leader_report(resources.engine(), me, period, "xlsx", district, last, lang()),
    file_name=f"{name}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="report_xlsx",
)
if briefing.cjk_font() is None:
    d2.warning(t(briefing.NoChineseFont.zh, briefing.NoChineseFont.en))
else:
    downloads.button(
        d2,
        t("下载 PDF 报告（可打印）", "Download the PDF report (printable)"),
        lambda: access.leader_report(resources.engine(), me, period, "pdf", district, last, lang()),
        file_name=f"{name}.pdf",
        mime="application/pdf",
        key="report_pdf",
    )
