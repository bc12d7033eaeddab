"""地图 Map: worker density by district, session history, candidate sites coloured by predicted yield."""

import datetime as dt
import html

import pandas as pd
import streamlit as st

from dashboard import auth, charts, map_widgets, resources
from dashboard.core.geo import districts, maps
from dashboard.core.intake.columns import SITE_TYPES
from dashboard.core.recommender import calendar as cal
from dashboard.core.recommender import recommend
from dashboard.i18n import lang, lang_key, md_escape, t

shown_lang = lang()  # bound for this run: format_funcs are also called after it (AppTest, streamlit#13788)
st.title(t("地图", "Map"))
me = auth.scope()
eng = resources.engine()
v = resources.version()
first, last = resources.data_range(me, v)
if first is None or last is None:  # both or neither: the first and last session date
    st.info(t("还没有场次数据。请先在“上传”页导入。", "No sessions yet. Import some on the Upload page."))
    st.stop()

c1, c2, c0, c3, c4 = st.columns([2, 1, 1, 2, 1], vertical_alignment="bottom")
span = c1.date_input(
    t("日期范围", "Date range"),
    (max(first, last - dt.timedelta(days=365)), last),
    min_value=first,
    max_value=last,
    key="map_span",
)
date_from, date_to = span if isinstance(span, tuple) and len(span) == 2 else (first, last)
district = auth.district_select(c2, me, "map_district")
session_type_labels = {
    "all": t("全部", "All"),
    "worker": t("职工沟通会", "Worker"),
    "enterprise": t("企业沟通会", "Enterprise"),
}
session_type = c0.selectbox(
    t("场次类型", "Session type"),
    ["all", "worker", "enterprise"],
    format_func=lambda k: session_type_labels[k],
    key=lang_key("map_session_type"),
)
types = c3.multiselect(
    t("点位类型", "Site types"),
    list(SITE_TYPES),
    format_func=lambda k: SITE_TYPES[k] if shown_lang == "zh" else k,
    key=lang_key("map_types"),
    placeholder=t("全部类型", "All types"),
)
preset = map_widgets.basemap(me)
show_tiles = c4.toggle(
    t("底图", "Basemap"),
    preset.kind != "none",
    key="map_basemap",
    disabled=preset.kind == "none",
    help=t(
        f"管理员设置的底图：{preset.described('zh')}。关掉只看区界和街道名称。",
        f"The basemap the administrator set: {preset.described('en')}. Off: district outlines and street names only.",
    )
    if preset.kind != "none"
    else t(
        "管理员尚未设置底图（管理 → 底图）：地图画出区界和街道名称作参照。",
        "No basemap set by an administrator (Admin → Basemap): the map draws district outlines and street names.",
    ),
)
tiles = preset if show_tiles else maps.Tiles()

# a street union's planner looks at their streets: the map frames them (map_widgets.frame_districts), and the
# density, known per district only, would paint the whole frame one grey: off unless they ask for it
in_streets = map_widgets.held_in_streets(me, district)
l1, l2, l3, l4 = st.columns(4)
show_density = l1.toggle(
    t("职工密度（区）", "Worker density (districts)"),
    not in_streets,
    key="map_l_density",
    help=t(
        "职工密度按区估计，街道没有单独的数字：打开后整个区同一种颜色。",
        "Worker density is estimated per district, not per street: on, the whole district has one colour.",
    )
    if in_streets
    else None,
)
show_heat = l2.toggle(t("历史场次热力", "Session history heat"), True, key="map_l_heat")
show_sites = l3.toggle(t("点位预计效果", "Sites by predicted yield"), True, key="map_l_sites")
show_enterprises = l4.toggle(
    t("未建会企业与建会率", "Unionless enterprises, union rate"),
    False,
    key="map_l_enterprises",
    help=t(
        "各区按建会率着色；未建会企业按员工数定大小、按走访后预计发展会员着色。",
        "Districts coloured by the share of enterprises with a union; unionless enterprises sized by staff and "
        "coloured by the members a visit is expected to bring.",
    ),
)

stats = resources.district_stats(me, date_from, date_to, v)
site_frame = resources.site_stats(me, date_from, date_to, district, v)
if types:
    site_frame = site_frame[site_frame["site_type"].isin(types)]

loaded = resources.model(v)
for note in loaded.messages if loaded is not None else []:
    st.caption(t(*note))
# the sites' outlook is for tomorrow (as the Plan page plans from today), the same day for every caller, so one
# prediction of every site serves them all (resources.site_outlook); a database whose sessions run ahead of the
# calendar looks at the day after its last
outlook_day = max(dt.date.today(), last) + dt.timedelta(days=1)
if loaded is not None:
    outlook = resources.site_outlook(me, district, outlook_day, v)
    site_frame = site_frame.merge(outlook, on="site_id", how="left")
    value_col, value_label = (
        "expected_applications",
        t(
            f"预计申请入会（{outlook_day.month}月{outlook_day.day}日最佳时段）",
            f"Expected applications ({outlook_day:%d %b}, best window)",
        ),
    )
else:
    site_frame["expected_applications"] = (site_frame["applications"] / site_frame["sessions"]).where(
        site_frame["sessions"] > 0
    )
    site_frame["best_start"] = None
    value_col, value_label = "expected_applications", t("历史场均申请入会", "Historical applications per session")
    st.caption(
        t(
            "模型尚未训练好（正在后台训练时见左侧栏进度）：点位暂按历史场均着色，训练完成后自动显示预测。",
            "No trained model yet (while it trains in the background, see the sidebar): sites are coloured by their "
            "historical average until then, and by the model's expectation once it is ready.",
        )
    )

m = maps.base_map(tiles)
map_widgets.reference(m, me, tiles, district_names=False)  # frame_districts names the districts
legends = []
if show_density:
    shown = stats.copy()
    counts = {"worker_sessions": t("职工沟通会", "worker sessions"), "applications": t("申请入会", "applications")}
    if session_type == "enterprise":
        counts = {
            "enterprise_sessions": t("企业沟通会", "enterprise sessions"),
            "unions_founded": t("建会", "unions founded"),
        }
    elif session_type == "all":
        counts = {**counts, "enterprise_sessions": t("企业沟通会", "enterprise sessions")}
    # the name from the statistics: a street union's row is its streets (朝阳区建外街道), not the whole district
    names = shown["name_zh" if lang() == "zh" else "name_en"].rename("label")
    columns = shown[["adcode", "workers", "workers_per_km2", *counts]].join(names)
    geo = resources.boundaries().merge(columns, on="adcode")
    rates = resources.enterprise_district_rates(me, v) if show_enterprises else pd.DataFrame()
    if len(rates):  # 建会率 colours the districts while the enterprise layer is on
        geo = geo.merge(rates[["union_rate", "enterprises", "with_union"]], left_on="adcode", right_index=True)
        geo["union_pct"] = geo["union_rate"] * 100
        layer, leg = maps.district_layer(
            geo,
            "union_pct",
            "label",
            {
                "union_pct": t("建会率 %", "union rate %"),
                "enterprises": t("名录企业", "enterprises"),
                "with_union": t("已建会", "with a union"),
            },
            tiles,
        )
        title = t(
            "区底色 · 建会率（名录企业中已建会的比例，%）",
            "District fill · union rate (share of registered enterprises with one, %)",
        )
    else:
        layer, leg = maps.district_layer(
            geo, "workers_per_km2", "label", {"workers_per_km2": t("职工/平方公里", "workers/km²"), **counts}, tiles
        )
        title = t(
            "区底色 · 职工密度（人/平方公里，按点位周边职工数估计）",
            "District fill · worker density (per km², estimated from sites' nearby workers)",
        )
    layer.add_to(m)
    legends.append((title, leg, "area"))
if show_heat and session_type == "enterprise":
    st.caption(
        t(
            "企业沟通会按区登记、没有点位坐标：热力图只显示职工沟通会，企业沟通会见各区统计。",
            "Enterprise sessions are recorded by district, without site coordinates: the heat map shows worker "
            "sessions; see the district table for enterprise sessions.",
        )
    )
elif show_heat and len(site_frame):
    maps.heat_layer(site_frame[site_frame["sessions"] > 0], "sessions", tiles).add_to(m)
    legends.append(  # the heat layer's own gradient, from few sessions held nearby to many
        (
            t("紫色热力 · 历史场次（所选期间，按点位场次数）", "Purple heat · past sessions (the period, per site)"),
            [
                (maps.HEAT_GRADIENT[0.2], t("少", "few")),
                (maps.HEAT_GRADIENT[0.7], t("中", "some")),
                (maps.HEAT_GRADIENT[1.0], t("多", "many")),
            ],
            "heat",
        )
    )
site_frame["type_label"] = site_frame["site_type"].map(lambda k: SITE_TYPES.get(k, k) if lang() == "zh" else k)
if show_sites and len(site_frame):
    site_frame["best_window"] = site_frame["best_start"].map(
        lambda s: "" if pd.isna(s) else f"{int(s) // 60:02d}:{int(s) % 60:02d}"
    )
    drawn, left_out = maps.most_valuable(site_frame, value_col)
    if left_out:
        st.caption(
            t(
                f"点位太多，地图只画预计效果最高的 {len(drawn):,} 个（另有 {left_out:,} 个未画出）："
                "请选择区或点位类型缩小范围。",
                f"Too many sites: the map draws the {len(drawn):,} with the highest expected yield ({left_out:,} more "
                "not drawn). Choose a district or site types to narrow it.",
            )
        )
    layer, leg = maps.site_layer(
        drawn,
        value_col,
        {
            "name": t("点位", "Site"),
            "type_label": t("类型", "Type"),
            value_col: value_label,
            "best_window": t("最佳开始时间", "Best start"),
            "sessions": t("期间场次", "Sessions in period"),
        },
        tiles,
    )
    layer.add_to(m)
    legends.append((t("圆点 · 点位：", "Dots · sites: ") + value_label, leg, "dot"))

if show_enterprises:
    outlook_e = resources.enterprise_outlook(me, district, outlook_day, v)
    drawn_e, left_out_e = maps.most_valuable(outlook_e, "expected_members")
    if left_out_e:
        st.caption(
            t(
                f"未建会企业太多，地图只画走访后预计发展会员最多的 {len(drawn_e):,} 家"
                f"（另有 {left_out_e:,} 家未画出）。",
                f"Too many unionless enterprises: the map draws the {len(drawn_e):,} a visit is expected to bring "
                f"most members from ({left_out_e:,} more not drawn).",
            )
        )
    if len(drawn_e):
        layer, leg = maps.enterprise_layer(
            drawn_e,
            "expected_members",
            {
                "name": t("企业", "Enterprise"),
                "staff": t("员工数", "Staff"),
                "expected_members": t("走访后预计发展会员", "Expected members of a visit"),
            },
            tiles,
        )
        layer.add_to(m)
        legends.append(
            (
                t(
                    "绿色圆点 · 未建会企业：走访后预计发展会员（圈大小为员工数）",
                    "Green dots · unionless enterprises: expected members of a visit (size: staff)",
                ),
                leg,
                "dot",
            )
        )

map_widgets.frame_districts(m, me, district, tiles)
out = map_widgets.show(m, height=560, returned_objects=("last_active_drawing",), key="main_map")

for title, entries, shape in legends:
    map_widgets.legend(title, entries, shape)

clicked = (out or {}).get("last_active_drawing") or {}
site_id = html.unescape(clicked.get("properties", {}).get("site_id", "")) if clicked else ""
if site_id and site_id in set(site_frame["site_id"]):
    site = site_frame.set_index("site_id").loc[site_id]
    st.subheader(f"{md_escape(site['name'])}（{md_escape(site_id)}）")
    workers = site["workers_nearby"] if pd.notna(site["workers_nearby"]) else "—"
    st.caption(
        f"{districts.name(site['district'], lang())} · {md_escape(site['type_label'])} · "
        f"{t('周边职工', 'workers nearby')} {workers}"
    )
    history = resources.site_history(me, site_id, v)
    h1, h2 = st.columns(2)
    h1.markdown(t("**历史场次**", "**Past sessions**"))
    h1.dataframe(
        history.assign(notes=history["notes"].fillna("")),  # no "None" in an empty cell
        hide_index=True,
        height=300,
        column_config={
            "date": t("日期", "Date"),
            "start_time": t("开始", "Start"),
            "end_time": t("结束", "End"),
            "staff": t("工作人员", "Staff"),
            "consultations": t("咨询", "Consultations"),
            "applications": t("申请入会", "Applications"),
            "notes": t("备注", "Notes"),
        },
    )
    if loaded is not None:
        row = site.copy()
        row["site_id"] = site_id
        row["model_type"] = row["site_type"] if row["site_type"] in SITE_TYPES else "other"
        curve = recommend.site_curve(loaded.model, row, recommend.typical_days(outlook_day))
        curve["day"] = curve["day_type"].map(cal.DAY_TYPE_LABELS if lang() == "zh" else {k: k for k in cal.DAY_TYPES})
        h2.markdown(
            t("**时段曲线（模型学到的每小时预计申请入会）**", "**The site's hours (expected applications per hour)**")
        )
        charts.show(h2, charts.curve(curve))
        h2.caption(
            t(
                "一场沟通会预计的人数是曲线在其时段内的面积：两小时的场次就是这两小时的四个半小时之和。"
                "点位自己的场次多了，曲线就按它自己的高峰走；没试过的时段沿用同类点位的曲线。",
                "A session expects the area under the curve over its window: a 2-hour session is the sum of its four "
                "half hours. The more sessions a site has had, the more the curve follows its own peaks; hours not "
                "tried there follow its type's curve.",
            )
        )
    else:
        hour, mean = t("开始时间（时）", "Start hour"), t("场均申请入会", "Applications per session")
        by_hour = (
            history.assign(**{hour: history["start_time"].str[:2]})
            .groupby(hour)["applications"]
            .mean()
            .rename(mean)
            .reset_index()
        )
        h2.markdown(t("**历史按开始时间的场均申请入会**", "**Historical applications by start hour**"))
        h2.bar_chart(by_hour, x=hour, y=mean, height=300)
else:
    st.caption(
        t("点击地图上的点位查看其历史和最佳时段。", "Click a site on the map to see its history and best hours.")
    )

# a street union's row is their streets (朝阳区建外街道), not a district: the heading and column say so
st.subheader(t("我负责的街道统计", "My streets") if in_streets else t("各区统计", "By district"))
type_columns = {
    "all": ["worker_sessions", "consultations", "applications", "enterprise_sessions", "unions_founded"],
    "worker": ["worker_sessions", "consultations", "applications"],
    "enterprise": ["enterprise_sessions", "enterprises_reached", "unions_founded"],
}[session_type]
table = stats.assign(name=stats["name_zh"] if lang() == "zh" else stats["name_en"])[
    ["name", "workers_per_km2", "sites", *type_columns]
]
table = table.assign(workers_per_km2=table["workers_per_km2"].round())
count = lambda title: st.column_config.NumberColumn(title, format="localized")  # noqa: E731  1,234
st.dataframe(
    table.sort_values("workers_per_km2", ascending=False),
    hide_index=True,
    column_config={
        "name": t("街道（乡镇）", "Street") if in_streets else t("区", "District"),
        "workers_per_km2": count(t("职工/平方公里", "Workers/km²")),
        "sites": count(t("点位", "Sites")),
        "worker_sessions": count(t("职工沟通会", "Worker sessions")),
        "consultations": count(t("咨询", "Consultations")),
        "applications": count(t("申请入会", "Applications")),
        "enterprise_sessions": count(t("企业沟通会", "Enterprise sessions")),
        "enterprises_reached": count(t("涉及企业", "Enterprises reached")),
        "unions_founded": count(t("建会", "Unions founded")),
    },
    placeholder="—",
)
