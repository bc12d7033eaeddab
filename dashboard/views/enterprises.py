"""企业 Enterprises: where each enterprise stands on the way to a union, who has waited longest since the last
contact, what the ones that founded were offered, one enterprise's history, and the visits to make next."""

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import auth, dates, downloads, map_widgets, resources
from dashboard.core import access
from dashboard.core.geo import districts, maps
from dashboard.core.intake.columns import INDUSTRIES, OUTCOMES
from dashboard.core.recommender import visits as visits_core
from dashboard.core.reports.pipeline import STAGES
from dashboard.i18n import lang, lang_key, md_escape, t

st.title(t("企业", "Enterprises"))
shown_lang = lang()  # bound for this run: format_funcs are also called after it (streamlit#13788)
me = auth.scope()
v = resources.version()
today = dt.date.today()

c1, c2 = st.columns([1, 2])
district = auth.district_select(c1, me, "ent_district")
result = resources.pipeline(me, district, today, v)
staged: pd.DataFrame = result["stages"]
if staged.empty:
    st.info(
        t(
            "所选范围还没有企业名录。请在“上传”页导入企业名录（统一社会信用代码、名称、所属区、街道乡镇、员工数……）；"
            "没有填街道乡镇的企业，会按地址或坐标归入街道。",
            "No enterprise register here yet. Import one on the Upload page (credit code, name, district, street, "
            "staff…); an enterprise without a street is placed in one by its address or coordinates.",
        )
    )
    st.stop()

ALL = "__all__"
streets = sorted(s for s in staged["street"].dropna().unique())
street = (  # a register without streets has no street to choose, a street union's one street no other
    c2.selectbox(
        t("街道乡镇", "Street"),
        [ALL, *streets],
        format_func=lambda s: ("全部街道" if shown_lang == "zh" else "All streets") if s == ALL else s,
        key=lang_key("ent_street"),
    )
    if len(streets) > 1
    else ALL
)
if street != ALL:
    staged = staged[staged["street"] == street]


def stage_name(key: str) -> str:
    return STAGES[key][0 if shown_lang == "zh" else 1]


def given(value: object) -> str:
    """A register field as shown: "—" where it was left empty (never "nan" or "None")."""
    return (
        "—"
        if value is None or (not isinstance(value, str) and pd.isna(value)) or str(value).strip() == ""
        else str(value)
    )


def one_enterprise(found: pd.DataFrame) -> None:
    """The chosen enterprise: its register entry (the head and contact only for its district's staff) and visits."""
    labels = dict(zip(found["enterprise_id"], found["name"], strict=True))
    chosen = st.selectbox(
        t("企业", "Enterprise"),
        list(labels),
        format_func=lambda i: f"{labels.get(i, i)}（{i}）",
        key="ent_chosen",
    )
    page = resources.enterprise_page(me, chosen, v)
    e = page["enterprise"]
    status = {"none": t("未建会", "No union"), "founded": t("已建会", "Founded"), "joint": t("联合工会", "Joint union")}
    row = staged.set_index("enterprise_id").loc[chosen]
    st.subheader(md_escape(e["name"]), anchor=False)  # a name is data, never Markdown
    facts = {
        t("统一社会信用代码 / 编号", "Credit code / id"): e["enterprise_id"],
        t("区", "District"): districts.name(e["district"], shown_lang),
        t("街道乡镇", "Street"): given(e.get("street")),
        t("地址", "Address"): given(e.get("address")),
        t("行业", "Industry"): INDUSTRIES.get(given(e.get("industry")), "—"),
        t("员工数", "Staff"): "—" if pd.isna(e.get("staff")) else f"{int(e['staff']):,}",
        t("建会状态", "Union"): status.get(e["union_status"], e["union_status"])
        + (f"（{e['union_founded_on']}）" if given(e.get("union_founded_on")) != "—" else ""),
        t("进展", "Stage"): stage_name(row["stage"]),
    }
    if me.can_write:  # personal data: for those who work the district only
        facts[t("负责人", "Head")] = given(e.get("head_name"))
        facts[t("联系方式", "Contact")] = given(e.get("contact"))
    st.dataframe(
        pd.DataFrame({"k": list(facts), "v": [str(x) for x in facts.values()]}),
        column_config={"k": t("项目", "Item"), "v": t("内容", "Value")},
        hide_index=True,
        width="stretch",
        placeholder="—",
    )
    history = page["history"]
    st.markdown(f"**{t('沟通记录', 'Visits')}**（{len(history)}）")
    if history.empty:
        st.caption(t("还没有沟通记录。", "No visits yet."))
    else:

        def services(keys: object) -> str:
            return "、".join(names.get(k, k) for k in str(keys or "").split("|") if k)

        names = resources.service_names(me, shown_lang, v)
        shown = pd.DataFrame(
            {
                "date": history["visited_on"],
                "outcome": history["outcome"].map(lambda o: OUTCOMES[o][0 if shown_lang == "zh" else 1]),
                "founded": history["founded_on"],
                "members": history["members"],
                "reason": history["reason"],
                "offered": history["services_offered"].map(services),
                "asked": history["services_asked"].map(services),
                "session": history["session_id"],
            }
        )
        st.dataframe(
            shown,
            column_config={
                "date": st.column_config.DateColumn(t("沟通日期", "Date"), format="YYYY-MM-DD"),
                "outcome": t("结果", "Outcome"),
                "founded": st.column_config.DateColumn(t("建会日期", "Founded"), format="YYYY-MM-DD"),
                "members": st.column_config.NumberColumn(t("建会会员数", "Members"), format="localized"),
                "reason": t("暂不建会原因", "Reason"),
                "offered": t("提供服务包", "Offered"),
                "asked": t("需求服务包", "Asked"),
                "session": t("场次编号", "Session"),
            },
            hide_index=True,
            width="stretch",
            placeholder="—",
        )


titles = [t("建会进展", "Pipeline"), t("久未联系", "Waiting longest"), t("企业详情", "One enterprise")]
if me.can_write:
    titles.append(t("走访计划", "Visit plan"))
tab_pipeline, tab_waiting, tab_one, *rest = st.tabs(titles)

with tab_pipeline:
    counts = staged["stage"].value_counts().reindex(list(STAGES), fill_value=0)
    cards = st.columns(len(STAGES))
    for col, key in zip(cards, STAGES, strict=True):
        col.metric(stage_name(key), f"{int(counts[key]):,}", border=True)
    unionless_large = staged[
        (staged["stage"].isin(["none", "held", "interested", "declined"])) & (staged["staff"] >= 25)
    ]
    st.caption(
        t(
            f"共 {len(staged):,} 家企业；其中 {len(unionless_large):,} 家有 25 名以上员工、尚未建会（可单独建会）。"
            "“已有工会”指名录中已建会、但不是经本项目沟通建会的企业（含联合工会成员）。",
            f"{len(staged):,} enterprises; {len(unionless_large):,} of them with 25+ staff and no union yet (they may "
            "found their own). 'Had a union' means a union in the register not founded through these visits "
            "(joint-union members included).",
        )
    )
    if street == ALL and len(streets) > 1:  # a street union's one street is the cards above, not a ranking
        st.subheader(t("各街道", "By street"))
        by_street = result["counts"]
        if district is None and me.districts is None:
            st.caption(t("选一个区，看它的各街道。", "Choose a district to see its streets."))
        else:
            by_street = by_street.assign(
                union_rate=(by_street["founded"] + by_street["had_union"])
                / by_street["total"].where(by_street["total"] > 0)
                * 100
            )
            table = by_street.rename(
                columns={k: stage_name(k) for k in STAGES}
                | {"total": t("合计", "Total"), "union_rate": t("建会率 %", "Union rate %")}
            ).round({t("建会率 %", "Union rate %"): 1})
            table.index.name = t("街道乡镇", "Street")
            st.dataframe(table, width="stretch", height=min(420, 36 * (len(table) + 1)), placeholder="—")
    st.subheader(t("建会企业获得的服务包", "Service packages of the enterprises that founded"))
    names = resources.service_names(me, shown_lang, v)
    services = result["services"].copy()
    if services.empty:
        st.caption(t("还没有记录服务包。", "No service packages recorded yet."))
    else:
        services.index = [names.get(k, k) for k in services.index]
        st.dataframe(
            services.sort_values("offered_founded", ascending=False),
            column_config={
                "offered_founded": st.column_config.NumberColumn(
                    t("向建会企业提供", "Offered, founded"), format="localized"
                ),
                "asked_founded": st.column_config.NumberColumn(t("建会企业需求", "Asked, founded"), format="localized"),
                "offered_all": st.column_config.NumberColumn(t("向所有企业提供", "Offered, all"), format="localized"),
                "asked_all": st.column_config.NumberColumn(t("所有企业需求", "Asked, all"), format="localized"),
            },
            width="stretch",
            placeholder="—",
        )
        st.caption(
            t(
                "按次数统计（一次沟通可提供多项）；“建会企业”指经沟通建会的企业在各次沟通中获得或提出的服务包。",
                "Counted per visit (a visit may offer several); 'founded' counts the visits of the enterprises that "
                "founded a union through them.",
            )
        )

with tab_waiting:
    waiting = result["waiting"]
    if street != ALL:
        waiting = waiting[waiting["street"] == street]
    st.caption(
        t(
            "已沟通或有意向、尚未建会的企业，按距上次联系的天数从长到短。",
            "Enterprises met or interested and without a union yet, longest since the last contact first.",
        )
    )
    shown = waiting.head(200).assign(
        stage_label=lambda f: f["stage"].map(stage_name),
        district_name=lambda f: f["district"].map(lambda c: districts.name(c, shown_lang)),
        last=lambda f: f["last_contact"].dt.date,
        street=lambda f: f["street"].astype("string").fillna(""),  # not "None" where the register has no street
    )[["name", "district_name", "street", "staff", "stage_label", "last", "days_waiting", "visits"]]
    st.dataframe(
        shown,
        column_config={
            "name": st.column_config.TextColumn(t("企业名称", "Enterprise"), width="large"),
            "district_name": t("区", "District"),
            "street": t("街道乡镇", "Street"),
            "staff": st.column_config.NumberColumn(t("员工数", "Staff"), format="localized"),
            "stage_label": t("进展", "Stage"),
            "last": st.column_config.DateColumn(t("上次联系", "Last contact"), format="YYYY-MM-DD"),
            "days_waiting": st.column_config.NumberColumn(t("已过天数", "Days since"), format="localized"),
            "visits": st.column_config.NumberColumn(t("沟通次数", "Visits")),
        },
        hide_index=True,
        width="stretch",
        placeholder="—",
    )
    if len(waiting) > 200:
        st.caption(t(f"只列出前 200 家（共 {len(waiting):,} 家）。", f"The first 200 of {len(waiting):,}."))

with tab_one:
    query = st.text_input(
        t("查找企业（名称或统一社会信用代码）", "Find an enterprise (name or credit code)"), key="ent_query"
    )
    found = staged
    if query.strip():
        q = query.strip()
        found = staged[
            staged["name"].str.contains(q, regex=False, na=False)
            | staged["enterprise_id"].str.upper().str.startswith(q.upper(), na=False)
        ]
    else:
        found = staged[staged["visits"] > 0].sort_values("last_contact", ascending=False)
    found = found.head(50)
    if found.empty:
        st.caption(t("没有找到。", "Nothing found."))
    else:
        one_enterprise(found)


SHEET_EN = {  # the visit sheet's Chinese headers (the command's CSV contract) as an English reader sees them
    "日期": "Date",
    "工作人员": "Staff no.",
    "顺序": "Order",
    "企业编号": "Enterprise id",
    "企业名称": "Enterprise",
    "所属区": "District",
    "街道乡镇": "Street",
    "员工数": "Staff",
    "类型": "Kind",
    "距上一家公里": "km from previous",
    "理由": "Why",
}


next_monday = today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7)
VISIT_START = (("开始日期", "The start"), ("安排走访", "plan visits"))  # what the box is, what a date too far refuses


@st.fragment
def visit_start() -> None:
    """The visits' first day, said in words beside the box as it is typed; a day typed in another order (12/7/2026
    read year first as 1272/02/06) shows as that date and is refused in the reader's language, never planned."""
    what, act = VISIT_START
    dates.box(
        t("开始日期", "Start"),
        next_monday,
        "visit_start",
        today=today,
        what=what,
        act=act,
        said=("走访从 **{day}** 起安排。", "The visits start on **{day}**."),
    )


def visit_plan_tab() -> None:
    """Which enterprises to visit in the coming days, for K staff with N visits a day, and why."""
    st.caption(
        t(
            "按“90天内建会的可能性 × 建会后可发展会员”（即预计发展会员）挑选要走访的企业，同一人一天的走访就近安排、"
            "按路线排序；员工不足25人、同楼宇或园区的小企业合并为一组，建议联合建会。",
            "Enterprises are chosen by P(founding within 90 days) × members if founded (the expected members); one "
            "person's visits of a day "
            "are close together, in route order; small neighbours (under 25 staff, one building or park) are "
            "proposed together for a joint union.",
        )
    )
    visit_start()
    start = st.session_state.get("visit_start", next_monday)
    with st.form("visit_plan_form"):
        f2, f3, f4 = st.columns(3)
        days = f2.number_input(t("天数", "Days"), 1, 92, 10, key="visit_days")
        staff = f3.number_input(t("工作人员数", "Staff"), 1, 500, 5, key="visit_staff")
        per_day = f4.number_input(t("每人每天走访", "Visits per person a day"), 1, 12, 4, key="visit_per_day")
        asked = st.form_submit_button(t("生成走访计划", "Plan visits"), type="primary")
    if asked and (refused := dates.problem(start, today, next_monday, *VISIT_START)):  # never a plan for another day
        st.error(refused)
        st.session_state.pop("visit_request", None)
        return
    if asked:
        st.session_state["visit_request"] = (start, int(days), int(staff), int(per_day), district)
    request = st.session_state.get("visit_request")
    if request is None:
        return
    with st.spinner(t("正在生成走访计划……", "Planning visits...")):
        start, days, staff, per_day, where = request
        plan, messages = resources.visit_plan(me, start, days, staff, per_day, where, v)
    st.markdown(  # the day the plan was made for, in words: never another date than the person meant, unseen
        t(
            f"**走访计划：{dates.in_words(start)}起，{days}天**",
            f"**Visit plan: {days} days from {dates.in_words(start)}**",
        )
    )
    for zh, en in messages:
        st.info(zh if shown_lang == "zh" else en)
    if plan.empty:
        st.warning(
            t("所选范围内没有未建会的企业，或这段时间没有工作日。", "No unionless enterprise here, or no working day.")
        )
        return
    m1, m2, m3 = st.columns(3)
    m1.metric(t("走访次数", "Visits"), f"{len(plan):,}")
    m2.metric(
        t("预计发展会员", "Expected members"),
        f"{plan['expected_members'].sum():,.0f}",
        help=t(
            "每家企业的建会概率 × 建会后可发展会员，再求和：这是期望值，不是每家都建会时的人数"
            f"（每家都建会时约 {plan['members_if_founded'].sum():,.0f} 人）。",
            "Each enterprise's P(found) × members if founded, summed: an expectation, not the count if every one "
            f"founded (that would be about {plan['members_if_founded'].sum():,.0f}).",
        ),
    )
    m3.metric(t("建议联合建会的组", "Joint-union groups"), f"{int((plan['kind'] == 'joint').sum()):,}")
    sheet = visits_core.for_people(plan, shown_lang)
    first = [
        "日期",
        "工作人员",
        "顺序",
        "企业名称",
        "员工数",
        "建会概率",
        "预计发展会员",
        "理由",
    ]  # what a person reads
    st.dataframe(
        sheet,
        hide_index=True,
        width="stretch",
        column_order=first + [c for c in sheet.columns if c not in first and not sheet[c].eq("").all()],
        column_config={
            **{zh: t(zh, en) for zh, en in SHEET_EN.items()},
            "建会概率": st.column_config.NumberColumn(t("建会概率", "P(found)"), format="percent"),
            "预计发展会员": st.column_config.NumberColumn(t("预计发展会员", "Expected members"), format="%.1f"),
            "建会后可发展会员": st.column_config.NumberColumn(
                t("建会后可发展会员", "Members if founded"), format="%.0f"
            ),
        },
        placeholder="—",
    )
    eng = resources.engine()
    downloads.button(
        st,
        t("下载走访计划 CSV", "Download the visit plan (CSV)"),
        lambda: access.export_csv(eng, me, "visits", sheet, district),
        file_name=f"走访计划_{request[0]:%Y%m%d}.csv",
        mime="text/csv",
        key="visit_download",
    )
    with st.form("visit_plan_save"):
        s1, s2 = st.columns([2, 3])
        plan_name = s1.text_input(
            t("计划名称", "Plan name"), f"{request[0]} {t('走访计划', 'visit plan')}", max_chars=200
        )
        roster_teams = access.team_names(eng, me)
        staff_names = s2.multiselect(
            t("工作人员（按名单，依次对应 1、2、3…）", "Staff by roster (for 1, 2, 3… in order)"),
            roster_teams,
            max_selections=int(plan["staff_no"].max()),
            key="visit_staff_names",
        )
        if st.form_submit_button(t("保存走访计划", "Save the visit plan")):
            saved_id = access.save_visit_plan(
                eng,
                me,
                plan,
                plan_name,
                {"start": request[0], "days": request[1], "staff": request[2], "per_day": request[3]},
                staff_names,
            )
            st.success(
                t(
                    f"已保存为计划 #{saved_id}：在“计划”页的“已保存的计划”里给每位工作人员发手机填报链接。",
                    f"Saved as plan #{saved_id}: on the Plan page, under saved plans, send each person their link.",
                )
            )
    plan_days = sorted(plan["date"].unique())
    shown_day = st.selectbox(
        t("路线：哪一天", "Routes of the day"),
        plan_days,
        format_func=lambda d: (
            f"{d}（{int((plan['date'] == d).sum()):,} 次走访）"
            if shown_lang == "zh"
            else f"{d} ({int((plan['date'] == d).sum()):,} visits)"
        ),
        key="visit_route_day",
    )
    one_day = plan[plan["date"] == shown_day]
    located = one_day.assign(
        team=one_day["staff_no"],
        site_id=one_day["unit_id"],
        who=t("工作人员 ", "Staff ") + one_day["staff_no"].astype(str),
        why=one_day["reason_zh" if shown_lang == "zh" else "reason_en"],
    ).dropna(subset=["lat", "lon"])
    if located.empty:
        return
    tiles = map_widgets.basemap(me)
    m = maps.base_map(tiles)
    map_widgets.reference(m, me, tiles)  # district outlines and street names: never dots alone on grey
    maps.plan_layer(
        located,
        {
            "name": t("企业", "Enterprise"),
            "who": t("工作人员", "Staff"),
            "order": t("顺序", "Order"),
            "why": t("理由", "Why"),
        },
        tiles,
        name="visits",
    ).add_to(m)
    for _, day in located.groupby("staff_no"):
        route = day.sort_values("order")
        maps.route_line(route["lat"], route["lon"], int(route["staff_no"].iloc[0]), tiles).add_to(m)
    maps.fit(m, located["lat"], located["lon"], tiles)
    map_widgets.show(m, height=420, key="visit_map")


if rest:
    with rest[0]:
        visit_plan_tab()
