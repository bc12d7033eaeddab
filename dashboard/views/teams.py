"""小组 Teams: the roster of a district's or a street union's staff, by team, with each team's lead and phone.

Personal data: only the area's planners and admins see, export or change it (the core refuses everyone else), a
person removed here is deleted, and every change is audited by counts. Plans assign these teams by name.
"""

import pandas as pd
import streamlit as st

from dashboard import auth, downloads, resources
from dashboard.core import access
from dashboard.core.access.scope import PermissionDenied
from dashboard.core.geo import areas, districts, streets
from dashboard.i18n import lang, lang_key, md_escape, t

st.title(t("小组", "Teams"))
shown_lang = lang()  # bound for this run: format_funcs are also called after it (streamlit#13788)
me = auth.scope()
eng = resources.engine()
st.caption(
    t(
        "小组名单用于排计划（按名字派出小组）、打印表和组长手机填报页。姓名和手机号是个人信息："
        "只有本区（本街道）的计划员和管理员能看到和导出；删去的人员会从系统中删除，每次修改都记入审计日志。",
        "Rosters name the teams plans send, their printed sheets and the team leads' phone pages. Names and phone "
        "numbers are personal data: only this area's planners and admins see or export them; a person removed here "
        "is deleted, and every change is written to the audit log.",
    )
)

# the rosters the caller keeps: a district's own (区总工会) and, for a district's planners, its street unions'
if me.districts is None:
    district_codes = [d.adcode for d in districts.DISTRICTS]
else:
    district_codes = list(me.districts)
choices: list[str] = []
for code in district_codes:
    if not me.by_street or me.covers(code):
        choices.append(code)
    choices += list(me.streets_in(code)) if me.by_street else []
area = st.selectbox(
    t("名单", "Roster"),
    choices,
    format_func=lambda c: areas.name(c, shown_lang) if len(c) == 9 else districts.name(c, shown_lang),
    key=lang_key("teams_area"),
)
if area is not None and len(area) == 6 and not me.by_street:
    street_options = [None, *streets.of_district(area)["code"].tolist()]
    street = st.selectbox(
        t("街道（乡镇）工会的名单", "A street union's roster"),
        street_options,
        format_func=lambda c: (
            t("区总工会自己的小组", "The district union's own teams") if c is None else areas.name(c, shown_lang)
        ),
        key=lang_key("teams_street"),
    )
    area = street or area
if area is None:
    st.stop()

try:
    members = access.roster(eng, me, area)
except PermissionDenied as refused:
    st.error(refused.text(lang()))
    st.stop()

edited = st.data_editor(
    members[["id", "team", "name", "phone", "lead"]].assign(phone=members["phone"].fillna("")),  # blank, not None
    num_rows="dynamic",
    hide_index=True,
    column_config={
        "id": None,  # kept for the save, not shown
        "team": st.column_config.TextColumn(t("小组", "Team"), max_chars=40, required=True),
        "name": st.column_config.TextColumn(t("姓名", "Name"), max_chars=40, required=True),
        "phone": st.column_config.TextColumn(t("手机（可空）", "Phone (optional)"), max_chars=30),
        "lead": st.column_config.CheckboxColumn(t("组长", "Lead"), default=False),
    },
    key=f"roster_{area}",
    width="stretch",
    placeholder="—",
)
s1, s2, s3 = st.columns(3)
if s1.button(t("保存名单", "Save the roster"), type="primary", key="roster_save"):
    try:
        added, changed, deleted = access.save_roster(eng, me, area, edited)
    except ValueError as exc:
        st.error(md_escape(str(exc)))
    else:
        st.success(
            t(
                f"已保存：新增 {added} 人，修改 {changed} 人，删除 {deleted} 人。",
                f"Saved: {added} added, {changed} changed, {deleted} deleted.",
            )
        )
        st.rerun()
if len(members):
    sheet = members.assign(lead=members["lead"].map({True: t("是", "yes"), False: ""}))[
        ["team", "name", "phone", "lead"]
    ].rename(
        columns={
            "team": t("小组", "Team"),
            "name": t("姓名", "Name"),
            "phone": t("手机", "Phone"),
            "lead": t("组长", "Lead"),
        }
    )
    downloads.button(
        s2,
        t("下载名单（Excel）", "Download (Excel)"),
        lambda: access.export_workbook(eng, me, "roster", {t("小组名单", "roster"): sheet}, area),
        file_name=f"roster_{area}.xlsx",
        key="roster_xlsx",
    )

st.subheader(t("各小组", "Teams"))
summary = pd.DataFrame()
if len(members):
    summary = members.groupby("team", sort=True).agg(size=("name", "size")).reset_index()
    leads = members[members["lead"]].drop_duplicates("team").set_index("team")
    summary["lead"] = summary["team"].map(leads["name"])
    summary["phone"] = summary["team"].map(leads["phone"])
    summary["names"] = summary["team"].map(members.groupby("team")["name"].agg("、".join))
    st.dataframe(
        summary[["team", "size", "lead", "phone", "names"]],
        hide_index=True,
        column_config={
            "team": t("小组", "Team"),
            "size": t("人数", "People"),
            "lead": t("组长", "Lead"),
            "phone": t("组长手机", "Lead's phone"),
            "names": t("成员", "Members"),
        },
        width="stretch",
        placeholder="—",
    )
    without = summary[summary["lead"].isna()]["team"].tolist()
    if without:
        st.warning(
            t(
                f"这些小组还没有组长：{'、'.join(without)}。组长负责现场填报。",
                f"These teams have no lead yet: {', '.join(without)}. The lead enters results in the field.",
            )
        )
else:
    st.caption(
        t(
            "名单还是空的：在上面的表格里逐行填写小组、姓名和手机（可空），勾选组长，然后保存。",
            "The roster is empty: add a row per person above (team, name, phone if any), tick the leads, and save.",
        )
    )
