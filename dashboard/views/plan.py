"""计划 Plan: where and when each team should hold worker sessions next, with reasons; download and save."""

import datetime as dt
import json
import os
from collections.abc import Callable
from typing import cast
from urllib.parse import urlsplit

import pandas as pd
import streamlit as st

from dashboard import auth, charts, dates, downloads, map_widgets, resources
from dashboard.core import access
from dashboard.core.geo import areas, maps, navigation, streets
from dashboard.core.intake.columns import SITE_TYPES
from dashboard.core.recommender import calendar as cal
from dashboard.core.recommender import planner, recommend
from dashboard.core.reports import ics, team_sheet
from dashboard.core.reports.plans import STATES, progress_text
from dashboard.i18n import lang, lang_key, md_escape, t

st.title(t("计划", "Plan"))
shown_lang = lang()  # bound for this run: format_funcs are also called after it (AppTest, streamlit#13788)
me = auth.scope()
eng = resources.engine()
v = resources.version()
site_frame = resources.site_stats(me, None, None, None, v)
today = dt.date.today()
next_monday = today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7)
times = [
    f"{h:02d}:{m:02d}" for h in range(0, 24) for m in (0, 30)
]  # a session must end by 23:30: times of day stop at 23:59
to_min = lambda s: int(s[:2]) * 60 + int(s[3:])  # noqa: E731

FIRST_DAY = (("第一天", "The first day"), ("做计划", "plan"))  # what the box is, what a date too far refuses


def first_day_problem(day: dt.date) -> str | None:
    """Why ``day`` cannot start a plan (more than a year from today: most often a date typed in another order,
    12/7/2026 read year first as 1272/02/06), in the reader's language; None when it can."""
    return dates.problem(day, today, next_monday, *FIRST_DAY)


@st.fragment
def first_day() -> None:
    """The plan's first day, said in words beside the box as it is typed (the box reads what is typed year first,
    so a day typed in another order shows as another date, said here, and is refused, never planned)."""
    what, act = FIRST_DAY
    dates.box(
        t("第一天", "First day"),
        next_monday,
        "plan_start",
        today=today,
        what=what,
        act=act,
        said=("将从 **{day}** 起做计划。", "The plan starts on **{day}**."),
    )


first_day()
start = st.session_state.get("plan_start", next_monday)
with st.form("plan_form"):
    c2, c3, c4 = st.columns(3)
    days = c2.number_input(t("天数", "Days"), 1, 31, 7, key="plan_days")
    roster_teams = access.team_names(eng, me)
    if roster_teams:  # the roster's teams, by name: the plan, its sheets and the phone page say who goes
        c3.metric(t("小组", "Teams"), len(roster_teams), border=False)
        chosen_teams = st.multiselect(
            t("派出的小组", "Teams to send"),
            roster_teams,
            default=roster_teams[:4],
            key="plan_team_names",
            help=t("名单在“小组”页维护。", "Rosters are kept on the Teams page."),
        )
        teams = max(len(chosen_teams), 1)
    else:
        chosen_teams = []
        teams = c3.number_input(
            t("小组数", "Teams"),
            1,
            50,
            4,
            key="plan_teams",
        )
    per_team = c4.number_input(t("每组每天场次", "Sessions per team per day"), 1, 4, 1, key="plan_per_team")
    c5, c6, c7 = st.columns([1, 2, 1])
    length = c5.select_slider(
        t("每场时长（分钟）", "Session length (min)"), [60, 90, 120, 150, 180, 240], 120, key="plan_length"
    )
    hours = c6.select_slider(t("允许时段", "Allowed hours"), times, ("06:00", "22:00"), key="plan_hours")
    district = auth.district_select(c7, me, "plan_district")
    # the streets that hold sites the caller may plan; a street planner's plan stays in their streets by default
    street_codes = sorted(site_frame["street_code"].dropna().unique()) if "street_code" in site_frame else []
    s1, s2 = st.columns([2, 1])
    any_street = (  # a street union's planner holds streets, not the district: "any" means any of theirs
        t("不限（您负责街道的全部点位）", "Any (every site of your streets)")
        if me.streets
        else t("不限（所选区的全部点位）", "Any (every site of the district)")
    )
    street = s1.selectbox(
        t("街道（乡镇）", "Street or township"),
        [None, *street_codes],
        format_func=lambda c: any_street if c is None else areas.name(c, lang()),
        key=lang_key("plan_street"),
    )
    with_neighbours = s2.toggle(
        t("包括相邻街道", "Include neighbouring streets"),
        False,
        key="plan_neighbours",
        help=t(
            "同一区内与所选街道点位最近的街道（最多4个、4公里内），且须在您负责的范围内。",
            "The streets of the same district whose sites lie nearest the chosen street's (at most 4, within 4 km), "
            "if they are within your area.",
        ),
    )
    options = site_frame if district is None else site_frame[site_frame["district"] == district]
    site_labels = dict(
        zip(site_frame["site_id"], site_frame["name"] + "（" + site_frame["site_id"] + "）", strict=True)
    )
    exclude = st.multiselect(
        t("排除的点位", "Sites to leave out"),
        options["site_id"].tolist(),
        # dict.get as before (a remembered pick that is no longer a site formats as None); typed str for streamlit
        format_func=cast("Callable[[str], str]", site_labels.get),
        key="plan_exclude",
        placeholder=t("选择不安排的点位（可不选）", "Choose sites to leave out (optional)"),
    )
    explore = st.toggle(
        t("边做边学：试一试可能更好的点位", "Learn while planning: try sites that may be better"),
        True,
        key="plan_explore",
        help=t(
            "打开时，按模型对每个点位的把握来安排：没去过或了解不多、但可能更好的点位会被试一试，"
            "结果回来后模型就知道了，不好的不会再排；时段按模型学到的时段曲线。关闭时只按预计人数最多安排。",
            "On: each site is planned by how sure the model is of it: a site never visited, or little known, that "
            "may be better gets tried, and once its results are in the model knows and drops the poor ones; hours "
            "follow the learned curve. Off: plan only where the most sign-ups are expected.",
        ),
    )
    b1, b2 = st.columns(2)
    use_saved = b1.toggle(
        t("已保存计划的场次算作已安排", "Saved plans' sessions are booked"),
        True,
        key="plan_use_saved",
        help=t(
            "这些场次不再重复安排，并计入同一点位短期内回访的效果递减。",
            "They are not planned again, and a site's repeat visits within a short time count as less effective.",
        ),
    )
    booked_file = b2.file_uploader(
        t(
            "另有已安排的场次（可选，CSV或Excel：点位编号、日期、开始时间、结束时间）",
            "Other sessions already arranged (optional; CSV or Excel: site_id, date, start_time, end_time)",
        ),
        type=["csv", "xlsx"],
        key="plan_booked_file",
    )
    submitted = st.form_submit_button(t("生成计划", "Make the plan"), type="primary")

if submitted and (problem := first_day_problem(start)):  # the box above says so too; never a plan for another day
    st.error(problem)
elif submitted:
    request = planner.PlanRequest(
        start=start,
        days=int(days),
        teams=int(teams),
        per_team_per_day=int(per_team),
        length_min=int(length),
        hours=(to_min(hours[0]), to_min(hours[1])),
        district=access.plan_area(eng, me, street, neighbours=with_neighbours) if street else district,
        exclude=set(exclude),
        exploration=planner.DEFAULT_EXPLORATION if explore else 0.0,
    )
    arranged = []
    if use_saved:
        arranged.append(access.booked(eng, me, request.start - dt.timedelta(days=60), request.dates()[-1]))
    try:
        if booked_file is not None:
            arranged.append(access.read_booked(booked_file.getvalue()))
        if arranged:
            request.booked = pd.concat(arranged, ignore_index=True)
        request.validate()
    except ValueError as exc:
        st.error(t("计划条件有误：", "The request does not work: ") + str(exc))
        st.stop()
    loaded = resources.model(v)
    if loaded is None:  # a request never trains: the server's background worker does (see the sidebar)
        job = access.training_status(eng, me)
        st.warning(
            t(
                "模型正在后台训练，完成后即可生成计划（进度见左侧栏，完成后页面自动刷新）。地图和指标页可以照常使用。",
                "The model is training in the background; plans can be made once it is done (progress in the "
                "sidebar; the page refreshes by itself). The Map and KPI pages work meanwhile.",
            )
            if job is not None
            else t(
                "还没有训练好的模型，也没有正在进行的训练：请管理员在“模型”页重新训练。",
                "There is no trained model and no training under way: ask an admin to retrain on the Model page.",
            )
        )
        st.stop()
    with st.spinner(t("正在排计划……", "Planning...")):
        result, messages = access.recommend(eng, me, request, loaded, chosen_teams)
    st.session_state["plan_result"] = (result, messages, request)
    st.session_state["plan_made"] = st.session_state.get("plan_made", 0) + 1  # a new plan: bring it into view once


preferred_app = navigation.preferred(st.context.headers.get("User-Agent", ""))


def team_labels(frame: pd.DataFrame) -> list[str]:
    """Each row's team as people call it: the roster's name, else 第k组."""
    names = frame["team_name"] if "team_name" in frame else pd.Series(None, index=frame.index)
    return [
        name if isinstance(name, str) and name else t(f"第{int(team)}组", f"Team {int(team)}")
        for name, team in zip(names, frame["team"], strict=True)
    ]


def public_origin() -> str:
    """The address team leads' phones reach this server at: OUTREACH_PUBLIC_URL, else what this browser used."""
    configured = os.environ.get("OUTREACH_PUBLIC_URL", "").strip().rstrip("/")
    if configured:
        return configured
    parts = urlsplit(st.context.url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""


def history_text(n: int, mean) -> str:
    if not n:
        return t("未试过", "not tried")
    return t(f"{n}场·场均{mean:.1f}人", f"{n} sessions, {mean:.1f} on average")


def plan_table(result: pd.DataFrame) -> pd.DataFrame:
    """The plan as planners read it: whole people, the interval, the site's own record, and directions beside the
    site. A street union's planner reads each site's street (their area), everyone else its district."""
    if me.streets and "street_code" in result:
        where = {
            t("街道乡镇", "Street"): [
                (streets.name(c) or "—") if isinstance(c, str) else "—" for c in result["street_code"]
            ]
        }
    else:
        where = {t("所属区", "District"): result["district"]}
    return pd.DataFrame(
        {
            t("小组", "Team"): team_labels(result),
            t("日期", "Date"): result["date"],
            t("时间", "Time"): result["start_time"] + "–" + result["end_time"],
            t("点位", "Site"): result["site_name"],
            t("导航", "Directions"): [
                navigation.links(a, b, name).get(preferred_app)
                for a, b, name in zip(result["lat"], result["lon"], result["site_name"], strict=True)
            ],
            t("预计申请入会", "Expected applications"): result["expected_applications"],
            t("80%区间", "80% interval"): result["applications_low"].astype(str)
            + "–"
            + result["applications_high"].astype(str),
            t("本点位同类时段历史", "This site at such hours before"): [
                history_text(n, m)
                for n, m in zip(result["history_sessions"], result["history_applications"], strict=True)
            ],
            **where,
            t("理由", "Why"): result["reason"] if lang() == "zh" else result["reason_en"],
        }
    )


def plan_columns() -> dict:
    """Widths that fit the plan table in a desk screen's width (980 px beside the sidebar at 1440 px): the
    short columns narrow, the link to the map app said in four characters, the reason taking the rest and wrapped
    (rows tall enough, :data:`PLAN_ROW_HEIGHT`). On a phone the table scrolls sideways, each column still readable."""
    return {
        t("小组", "Team"): st.column_config.TextColumn(width=56),
        t("日期", "Date"): st.column_config.DateColumn(format="MM-DD", width=60),
        t("时间", "Time"): st.column_config.TextColumn(width=88),
        t("点位", "Site"): st.column_config.TextColumn(width=126),
        t("导航", "Directions"): st.column_config.LinkColumn(
            t("导航", "Directions"), display_text=t("打开地图", "Open map"), width=72
        ),
        t("预计申请入会", "Expected applications"): st.column_config.NumberColumn(width=92),
        t("80%区间", "80% interval"): st.column_config.TextColumn(width=64),
        t("本点位同类时段历史", "This site at such hours before"): st.column_config.TextColumn(width=134),
        t("所属区", "District"): st.column_config.TextColumn(width=60),
        t("街道乡镇", "Street"): st.column_config.TextColumn(width=72),
        t("理由", "Why"): st.column_config.TextColumn(width=210),
    }


PLAN_ROW_HEIGHT = 84  # above 4rem Streamlit wraps a cell's text: four lines, a long reason whole


def why_window(rows: pd.DataFrame) -> None:
    """A plan row's site curve on its day with the chosen window shaded: why 14:30 and not 10:00."""
    loaded = resources.model(v)
    if loaded is None or rows.empty:
        return
    with st.expander(t("为什么是这个时段？看点位一天的时段曲线", "Why this window? The site's curve through the day")):
        labels = [
            f"{team} · {d} {a}–{b} · {name}"
            for team, d, a, b, name in zip(
                team_labels(rows), rows["date"], rows["start_time"], rows["end_time"], rows["site_name"], strict=True
            )
        ]
        i = st.selectbox(
            t("计划中的场次", "Session of the plan"), range(len(rows)), format_func=labels.__getitem__, key="plan_why"
        )
        row = rows.iloc[int(i or 0)]
        if row["site_id"] not in set(site_frame["site_id"]):
            return
        site = site_frame.set_index("site_id").loc[row["site_id"]].copy()
        site["site_id"] = row["site_id"]
        site["model_type"] = site["site_type"] if site["site_type"] in SITE_TYPES else "other"
        curve = recommend.site_curve(loaded.model, site, {row["day_type"]: row["date"]})
        start, end = (int(x[:2]) * 60 + int(x[3:]) for x in (row["start_time"], row["end_time"]))
        day = cal.DAY_TYPE_LABELS[row["day_type"]] if lang() == "zh" else row["day_type"]
        charts.show(st, charts.curve(curve, (start, end), day))
        st.caption(
            t(
                "阴影为计划时段：预计人数约为曲线在阴影内的面积（近期去过的点位会略少）。曲线来自该点位和同类点位的全部场次，"
                "每场按它实际的开始和结束时间计入。",
                "The shaded band is the planned window: the expected count is about the area under the curve inside it "
                "(a little less at a site visited lately). "
                "The curve comes from every session of this site and its type, each counted over its own start and "
                "end.",
            )
        )


PLAN_ANCHOR = "plan-made"  # the made plan's heading: brought into view once when a new plan is made


# Scroll the heading with the id ANCHOR to the top of the window: now, and again once the run has ended and the
# page has settled (what is drawn above it, the spinner, may still move it); never after the person scrolls.
SCROLL_SCRIPT = """(() => {
  const heading = () => document.getElementById(ANCHOR);
  const idle = () => document.querySelector("[data-testid=stApp]")?.getAttribute("data-test-script-state")
    === "notRunning";
  let moved = false;
  for (const kind of ["wheel", "touchmove", "keydown"]) {
    document.addEventListener(kind, () => { moved = true; }, { once: true, passive: true });
  }
  const show = () => { if (!moved && heading()) heading().scrollIntoView({ block: "start" }); };
  let waited = 0;
  const wait = () => {
    show();
    if (heading() && idle()) setTimeout(show, 400);
    else if ((waited += 100) < 20000) setTimeout(wait, 100);
  };
  wait();
})();"""


def bring_into_view(anchor: str, nonce: int) -> None:
    """Bring the element ``anchor`` names into view once (the app's own script, nothing fetched). ``nonce`` makes
    each new plan's script a new element, so that it runs again."""
    script = SCROLL_SCRIPT.replace("ANCHOR", json.dumps(anchor))
    st.html(f"<script>/* {int(nonce)} */\n{script}</script>", unsafe_allow_javascript=True)


if "plan_result" in st.session_state:
    result, messages, request = st.session_state["plan_result"]
    st.subheader(
        t(
            f"计划：{dates.in_words(request.start)}起，{request.days}天",
            f"The plan: {request.days} days from {dates.in_words(request.start)}",
        ),
        anchor=PLAN_ANCHOR,
    )
    made = st.session_state.get("plan_made", 0)
    if made and st.session_state.get("plan_shown") != made:  # only on the run that made it, not on every rerun
        st.session_state["plan_shown"] = made
        bring_into_view(PLAN_ANCHOR, made)
    for m in messages:
        st.info(t(*m))
    if result.empty:
        st.warning(t("没有得到任何场次。", "The plan is empty."))
    else:
        total = result["expected_applications"].sum()
        m1, m2, m3 = st.columns(3)
        m1.metric(t("场次", "Sessions"), len(result))
        m2.metric(t("预计申请入会（合计）", "Expected applications (total)"), f"{total:,.0f}")
        m3.metric(t("涉及点位", "Sites"), result["site_id"].nunique())
        if result["learn"].any():
            st.caption(
                t(
                    f"其中 {int(result['learn'].sum())} 场安排在历史上还没试过的点位或时段，"
                    "用来了解效果（理由中注明）。",
                    f"{int(result['learn'].sum())} sessions go to sites or hours the history has not tried, to find "
                    "out what they bring (see their reasons).",
                )
            )
        placed = site_frame[["site_id", "lat", "lon", *(["street_code"] if "street_code" in site_frame else [])]]
        coords = result.merge(placed, on="site_id", how="left")
        st.dataframe(
            plan_table(coords),
            hide_index=True,
            column_config=plan_columns(),
            row_height=PLAN_ROW_HEIGHT,
            placeholder="—",
        )
        why_window(coords)
        coords["when"] = coords["date"].astype(str) + " " + coords["start_time"] + "–" + coords["end_time"]
        coords["team_label"] = team_labels(coords)
        coords["why"] = coords["reason"] if lang() == "zh" else coords["reason_en"]
        tiles = map_widgets.basemap(me)
        m = maps.base_map(tiles)
        map_widgets.reference(m, me, tiles)  # district outlines and street names: never dots alone on grey
        maps.plan_layer(
            coords,
            {
                "site_name": t("点位", "Site"),
                "team_label": t("小组", "Team"),
                "when": t("时间", "When"),
                "expected_applications": t("预计申请", "Expected"),
                "why": t("理由", "Why"),
            },
            tiles,
        ).add_to(m)
        maps.fit(m, coords["lat"], coords["lon"], tiles)  # the plan's sites, not the whole city
        map_widgets.show(m, height=460, key="plan_map")
        legend_names = dict(zip(coords["team"].astype(int), coords["team_label"], strict=True))
        map_widgets.legend(
            t("小组", "Teams"),
            [
                (maps.TEAM_COLOURS[(team - 1) % len(maps.TEAM_COLOURS)], legend_names[team])
                for team in sorted(legend_names)
            ],
        )

        d1, d2, d3 = st.columns(3)
        zh = planner.for_people(result, lang())  # Chinese headers and values in Chinese mode
        downloads.button(
            d1,
            t("下载 Excel", "Download Excel"),
            lambda: access.export_workbook(eng, me, "plan", {t("计划", "plan"): zh}, access.plan_districts(result)),
            file_name=f"plan_{request.start}.xlsx",
            key="plan_xlsx",
        )
        downloads.button(
            d2,
            t("下载 CSV", "Download CSV"),
            lambda: access.export_csv(eng, me, "plan", zh, access.plan_districts(result)),
            file_name=f"plan_{request.start}.csv",
            key="plan_csv",
        )
        with d3.popover(t("各组打印表和日历", "Team sheets and calendars")):
            st.caption(
                t(
                    "保存计划后，打印表上会有组长手机填报的二维码。",
                    "Once the plan is saved, each sheet carries the team lead's QR code for the phone page.",
                )
            )
            for team in sorted(result["team"].unique()):
                label = legend_names[int(team)]

                def team_ics(team=team) -> bytes:
                    return ics.team_calendar(result, int(team))

                def sheet(team=team, label=label) -> bytes:
                    title = t(f"{request.start} 起的计划", f"Plan from {request.start}")
                    return team_sheet.html_sheet(coords, int(team), title, lang(), label).encode("utf-8")

                downloads.button(
                    st,
                    t(f"{label} 打印表", f"{label}: sheet to print"),
                    sheet,
                    file_name=f"team{team}_{request.start}.html",
                    mime="text/html",
                    key=f"plan_sheet_{team}",
                )
                downloads.button(
                    st,
                    t(f"{label} 日历（.ics）", f"{label}: calendar (.ics)"),
                    team_ics,
                    file_name=f"team{team}_{request.start}.ics",
                    mime="text/calendar",
                    key=f"plan_ics_{team}",
                )
        with st.form("save_plan"):
            name = st.text_input(t("计划名称", "Plan name"), f"{request.start} {t('计划', 'plan')}", max_chars=200)
            if st.form_submit_button(t("保存计划", "Save the plan")):
                plan_id = access.save_plan(
                    eng, me, result, name, {**request.__dict__, "exclude": sorted(request.exclude), "booked": None}
                )
                st.session_state["saved_plan"] = plan_id  # the picker below opens the plan just saved
                st.success(
                    t(
                        f"已保存为计划 #{plan_id}：可在下方勾选完成，并下载结果登记表。",
                        f"Saved as plan #{plan_id}: tick sessions off below and download its results sheet.",
                    )
                )

st.divider()
st.subheader(t("已保存的计划", "Saved plans"))
saved = access.list_plans(eng, me)
if saved.empty:
    st.caption(t("还没有保存的计划。", "No saved plans yet."))
else:
    kinds = saved.set_index("id")["kind"]
    plan_id = st.selectbox(
        t("计划", "Plan"),
        saved["id"].tolist(),
        format_func=lambda i: (
            f"#{i} {saved.set_index('id').loc[i, 'name']}"
            + (t("（企业走访）", " (enterprise visits)") if kinds.get(i) == "visits" else "")
        ),
        key="saved_plan",
    )
    rows = access.plan_rows(eng, me, int(plan_id))
    with st.popover(t("重命名或删除", "Rename or delete")):
        with st.form("plan_rename", clear_on_submit=False):
            new_name = st.text_input(t("新名称", "New name"), saved.set_index("id").loc[plan_id, "name"], max_chars=200)
            if st.form_submit_button(t("重命名", "Rename")):
                try:
                    access.rename_plan(eng, me, int(plan_id), new_name)
                    st.rerun()
                except ValueError:
                    st.error(t("名称不能为空。", "The name cannot be blank."))
        sure = st.checkbox(
            t(
                "删除这份计划、它的场次和组长链接（已上传的结果保留）",
                "Delete this plan, its sessions and its team leads' links (uploaded results stay)",
            ),
            key="plan_delete_sure",
        )
        if st.button(t("删除计划", "Delete the plan"), disabled=not sure, key="plan_delete"):
            access.delete_plan(eng, me, int(plan_id))
            st.session_state.pop("saved_plan", None)
            st.session_state.pop("plan_delete_sure", None)
            st.rerun()
    with st.expander(
        t("组长手机填报：链接、二维码和打印表", "Team leads' phones: links, QR codes and sheets"), expanded=True
    ):
        st.caption(
            t(
                "每个小组一个链接：组长用手机打开（或扫打印表上的二维码），就能看到本组今天和本周的场次、导航，"
                "并在现场填报咨询、申请、发展会员人数（网络中断时先存在手机上，恢复后自动发送）。"
                "链接在计划最后一天后 3 天失效，可随时收回。",
                "One link per team: the team lead opens it on a phone (or scans the QR code on the printed sheet) to "
                "see the team's sessions today and this week, get directions and enter the results on the spot (kept "
                "on the phone while offline, sent when the connection returns). A link stops working 3 days after "
                "the plan's last day and can be revoked at any time.",
            )
        )
        origin = public_origin()
        plan_title = saved.set_index("id").loc[plan_id, "name"]
        labels = dict(zip(rows["team"].astype(int), team_labels(rows), strict=False))
        for team in sorted(labels):
            held = st.session_state.get(f"field_link_{plan_id}_{team}")
            c_name, c_button = st.columns([3, 1])
            c_name.markdown(f"**{md_escape(labels[team])}**")
            if c_button.button(
                t("新链接", "New link") if held else t("生成链接", "Make a link"), key=f"field_make_{plan_id}_{team}"
            ):
                _, token = access.field_link(eng, me, int(plan_id), team)
                held = f"{origin}/field/{token}"
                st.session_state[f"field_link_{plan_id}_{team}"] = held
            if held:
                q1, q2 = st.columns([1, 3])
                q1.image(team_sheet.qr_png(held), width=150)
                q2.code(held, language=None)
                downloads.button(
                    q2,
                    t("打印表（含二维码）", "Sheet to print (with the QR code)"),
                    team_sheet.html_sheet(rows, team, str(plan_title), lang(), labels[team], held).encode("utf-8"),
                    file_name=f"plan{plan_id}_team{team}.html",
                    mime="text/html",
                    key=f"field_sheet_{plan_id}_{team}",
                )
        links = access.field_link_list(eng, me, int(plan_id))
        if len(links):
            live = links[links["live"]]
            st.caption(
                t(
                    f"本计划已发出 {len(links)} 个链接，其中 {len(live)} 个有效"
                    "（链接只显示一次：丢了就生成新的，并收回旧的）。",
                    f"{len(links)} links made for this plan, {len(live)} still working (a link is shown once: if "
                    "it is lost, make a new one and revoke the old).",
                )
            )
            revoke = st.selectbox(
                t("收回链接", "Revoke a link"),
                [None, *live["id"].tolist()],
                format_func=lambda i: (
                    t("（选择要收回的链接）", "(choose a link to revoke)")
                    if i is None
                    else f"#{i} · {labels.get(int(live.set_index('id').at[i, 'team']), '')}"
                ),
                key=f"field_revoke_{plan_id}",
            )
            if revoke is not None and st.button(t("收回", "Revoke"), key=f"field_revoke_go_{plan_id}"):
                access.revoke_field_link(eng, me, int(revoke))
                st.success(t("已收回：这个链接不能再打开。", "Revoked: the link no longer opens."))
    if kinds.get(plan_id) == "visits":  # an enterprise visit plan: its visits and what came of them so far
        visits_review = access.plan_review(eng, me, int(plan_id))[0]
        st.markdown(
            t("已填报 ", "Reported ")
            + f"**{progress_text({k: int((visits_review['state'] == k).sum()) for k in STATES}, shown_lang)}**"
        )
        st.dataframe(
            pd.DataFrame(
                {
                    t("日期", "Date"): visits_review["date"],
                    t("工作人员", "Staff"): team_labels(visits_review),
                    t("顺序", "Order"): visits_review["route_order"],
                    t("企业", "Enterprise"): visits_review["site_name"],
                    t("建会概率", "P(found)"): visits_review["probability"],
                    t("预计发展会员", "Expected members"): visits_review["expected_members"].round(1),
                    t("状态", "State"): visits_review["state"].map(lambda k: t(*STATES[k])),
                }
            ),
            hide_index=True,
            column_config={t("建会概率", "P(found)"): st.column_config.NumberColumn(format="percent")},
            placeholder="—",
        )
        st.stop()
    rows["expected_applications"] = rows["expected_applications"].round().astype("Int64")  # whole people
    rows["session_id"] = rows["session_id"].fillna("")  # not yet reported: an empty cell, not "None"
    how = st.segmented_control(
        t("勾选方式", "Tick off"),
        ["list", "table"],
        default="list",
        format_func=lambda k: (
            t("逐条勾选（适合手机）", "One by one (for phones)") if k == "list" else t("表格", "Table")
        ),
        key="ticks_view",
    )
    ticks: dict[int, bool]
    if how == "table":
        shown = ["id", "done", "team", "date", "start_time", "end_time", "site_name"]
        shown += ["expected_applications", "applications", "session_id"]
        edited = st.data_editor(
            rows[shown],
            hide_index=True,
            disabled=[c for c in shown if c != "done"],  # only the tick is the user's to change
            column_config={
                "id": "#",
                "done": st.column_config.CheckboxColumn(t("已完成", "Done")),
                "team": t("小组", "Team"),
                "date": t("日期", "Date"),
                "start_time": t("开始", "Start"),
                "end_time": t("结束", "End"),
                "site_name": t("点位", "Site"),
                "applications": t("实际申请入会", "Actual applications"),
                "expected_applications": t("预计", "Expected"),
                "session_id": t("场次编号", "Session id"),
            },
            key=f"plan_rows_{plan_id}",
            placeholder="—",
        )
        ticks = dict(zip(edited["id"], edited["done"], strict=True))
    else:  # a checkbox per session, big enough for a thumb, grouped by day; one team at a time if chosen
        team_numbers = sorted(int(x) for x in rows["team"].dropna().unique())
        tick_names = dict(zip(rows["team"].astype(int), team_labels(rows), strict=False))
        tick_team = st.selectbox(
            t("小组", "Team"),
            [0, *team_numbers],
            format_func=lambda k: ("全部小组" if shown_lang == "zh" else "All teams") if k == 0 else tick_names[k],
            key=lang_key(f"ticks_team_{plan_id}"),
        )
        mine = rows if tick_team == 0 else rows[rows["team"] == tick_team]
        ticks = {}
        st.html(  # each session a full-width row, 44 px tall at least: a thumb's target on a phone
            "<style>"
            '[class*="st-key-tick_"] [data-testid="stCheckbox"]{width:100%}'
            '[class*="st-key-tick_"] label{min-height:44px;width:100%;align-items:center;'
            "border-bottom:1px solid rgba(128,128,128,0.2)}"
            "</style>"
        )
        for day, group in mine.groupby("date", sort=True):
            st.markdown(f"**{day:%Y-%m-%d} {t('周' + '一二三四五六日'[day.weekday()], day.strftime('%a'))}**")
            for r in group.itertuples():
                expected = (
                    ""
                    if pd.isna(r.expected_applications)
                    else t(f" · 预计 {int(r.expected_applications)} 人", f" · expect {int(r.expected_applications)}")
                )
                who = tick_names[int(r.team)]
                ahead = day > dt.date.today()  # a session ahead of its day cannot be done
                ticks[int(r.id)] = st.checkbox(
                    f"{r.start_time}–{r.end_time} · {md_escape(r.site_name)} · {md_escape(who)}{expected}",
                    value=bool(r.done),
                    key=f"tick_{plan_id}_{r.id}",
                    disabled=ahead,
                )
    b1, b2 = st.columns(2)
    if b1.button(t("保存勾选", "Save ticks"), key="save_ticks"):
        ahead = access.set_done(eng, me, ticks)
        st.success(t("已保存。", "Saved."))
        if ahead:
            st.warning(
                t(f"{ahead} 场还没到日子，不能勾选完成。", f"{ahead} sessions lie ahead and cannot be ticked done.")
            )
    downloads.button(
        b2,
        t(
            "下载结果登记表（Excel，填好后在“上传”页导入）",
            "Results sheet (Excel; fill in and import on the Upload page)",
        ),
        lambda: access.export_workbook(
            eng, me, "results_template", {"场次": access.results_template(eng, me, int(plan_id))}
        ),
        file_name=f"plan{plan_id}_results.xlsx",
        key="plan_results_tpl",
    )

    review, summary = access.plan_review(eng, me, int(plan_id))
    st.markdown(t("**计划与实际**", "**Plan against actual**"))
    if summary.get("states"):
        st.markdown(
            t("已填报 ", "Reported ") + f"**{progress_text(summary['states'], shown_lang)}**",
            help=t(
                "未开展：结果表或组长手机标为未开展；未填报：日子已过还没有结果；今天：今天的场次还没有结果。",
                "Not held: marked so on the results sheet or the phone; not reported: the day has passed without "
                "results; today: today's sessions without results yet.",
            ),
        )
    if not summary.get("reported"):
        st.caption(
            t(
                "这个计划还没有上传结果：用上面的结果登记表填好后在“上传”页导入，这里就会对比预计和实际。",
                "No results uploaded for this plan yet: fill in the results sheet above and import it on the Upload "
                "page to compare here.",
            )
        )
    else:
        r1, r2, r3, r4 = st.columns(4)
        r1.metric(t("已有结果的场次", "Sessions with results"), f"{summary['reported']} / {summary['planned']}")
        r2.metric(
            t("实际申请入会", "Actual applications"),
            f"{summary['actual']:,}",
            f"{summary['actual'] - summary['expected']:+,.0f} {t('比预计', 'vs expected')}",
            delta_color="off",
        )
        r3.metric(
            t("落在80%区间内", "Within the 80% interval"),
            "—" if summary["coverage"] is None else f"{summary['coverage']:.0%}",
        )
        habit = summary.get("habit")
        r4.metric(
            t("按惯例估计", "Habit, estimated"),
            "—" if habit is None or pd.isna(habit) else f"{habit:,.0f}",
            help=t(
                f"同样场数安排在{'本街道' if me.streets else '本区'}历史申请最多的点位（惯用时段），"
                "按这些点位以往的场均申请估计。",
                f"As many sessions at the {'street' if me.streets else 'district'}'s sites with the most past "
                "sign-ups (at their usual hours), estimated by those sites' past means per session.",
            ),
        )
        done = review[review["actual"].notna()]
        st.dataframe(
            pd.DataFrame(
                {
                    t("日期", "Date"): done["date"],
                    t("时间", "Time"): done["start_time"],
                    t("点位", "Site"): done["site_name"],
                    t("预计", "Expected"): done["expected_applications"].round().astype(int),
                    t("80%区间", "80% interval"): [
                        f"{lo:.0f}–{hi:.0f}" if pd.notna(lo) else "—"
                        for lo, hi in zip(done["applications_low"], done["applications_high"], strict=True)
                    ],
                    t("实际", "Actual"): done["actual"].astype(int),
                    t("在区间内", "Within"): done["covered"]
                    .map({True: t("是", "yes"), False: t("否", "no")})
                    .fillna("—"),
                    t("学习场次", "Learning"): done["learn"].map({True: t("是", "yes"), False: ""}),
                }
            ),
            hide_index=True,
            placeholder="—",
        )
