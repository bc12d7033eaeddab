"""管理 Admin: accounts, the audit log and calendar overrides (admins only; the router hides it from others)."""

import datetime as dt
import json

import pandas as pd
import streamlit as st

from dashboard import auth, downloads, resources
from dashboard.core import access
from dashboard.core.access.accounts import AccountError
from dashboard.core.access.scope import ROLE_LABELS
from dashboard.core.geo import areas, districts, maps, streets
from dashboard.core.recommender import calendar as cal
from dashboard.core.storage import audit
from dashboard.core.storage.audit import ACTIONS
from dashboard.i18n import beijing, lang, lang_key, md_escape, t

st.title(t("管理", "Admin"))
me = auth.scope()
me.require_admin()  # the core refuses too; this stops the page before it draws anything
eng = resources.engine()
shown_lang = lang()  # bound for this run: format_funcs are also called after it (AppTest, streamlit#13788)
role_name = lambda r: ROLE_LABELS[r][0 if shown_lang == "zh" else 1]  # noqa: E731
district_codes = [d.adcode for d in districts.DISTRICTS]
district_name = lambda c: districts.name(c, shown_lang)  # noqa: E731
street_codes = streets.table()["code"].tolist()
street_name = lambda c: areas.name(c, shown_lang)  # noqa: E731


def attempt(action, success: str) -> None:
    try:
        action()
        st.success(md_escape(success))  # alerts render Markdown; account names are the user's text
    except AccountError as exc:
        st.error(md_escape(exc.text(lang())))


users_tab, audit_tab, calendar_tab, services_tab, move_tab, tiles_tab = st.tabs(
    [
        t("账号", "Accounts"),
        t("审计日志", "Audit log"),
        t("日历调整", "Calendar"),
        t("服务包", "Service packages"),
        t("归属迁移", "Move a record"),
        t("底图", "Basemap"),
    ]
)

with users_tab:
    table = access.users(eng, me)
    st.dataframe(
        table.drop(columns=["district_codes", "street_codes"]).assign(
            role=table["role"].map(role_name),
            created_at=beijing(table["created_at"]).dt.strftime("%Y-%m-%d %H:%M").fillna(""),
            last_login=beijing(table["last_login"]).dt.strftime("%Y-%m-%d %H:%M").fillna(""),  # never: blank
            sso_email=table["sso_email"].fillna(""),
        ),
        hide_index=True,
        column_config={
            "name": t("用户名", "User"),
            "role": t("角色", "Role"),
            "districts": t("负责的区", "Districts"),
            "disabled": t("已停用", "Disabled"),
            "demo": t("演示账号", "Demo"),
            "sso_email": t("单点登录邮箱", "SSO e-mail"),
            "created_at": t("创建时间（北京）", "Created (Beijing)"),
            "last_login": t("最近登录（北京）", "Last sign-in (Beijing)"),
        },
        placeholder="—",
    )
    add_col, change_col = st.columns(2)
    with add_col, st.form("user_add", clear_on_submit=True):
        st.markdown(t("**新建账号**", "**Add an account**"))
        name = st.text_input(t("用户名", "User name"), max_chars=64)
        role = st.selectbox(t("角色", "Role"), list(ROLE_LABELS), format_func=role_name, index=2)
        chosen = st.multiselect(
            t("负责的区（计划员）", "Districts (planners)"),
            district_codes,
            format_func=district_name,
            placeholder=t("选择区", "Choose districts"),
        )
        chosen_streets = st.multiselect(
            t("只负责这些街道（街道计划员，可不选）", "Only these streets (a street's planner; optional)"),
            street_codes,
            format_func=street_name,
            placeholder=t("选择街道（乡镇）", "Choose streets"),
        )
        password = st.text_input(t("初始密码（至少8位）", "Initial password (8+ characters)"), type="password")
        sso = st.text_input(t("单点登录邮箱（可选）", "Single sign-on e-mail (optional)"))
        if st.form_submit_button(t("新建", "Add")):
            attempt(
                lambda: access.add_user(eng, me, name, role, password or None, chosen, sso or None, chosen_streets),
                t(f"已新建账号 {name}", f"Account {name} added"),
            )
    with change_col:
        st.markdown(t("**修改账号**", "**Change an account**"))
        # chosen outside the form so the role and districts below start at this account's current ones
        who = st.selectbox(t("账号", "Account"), table["name"].tolist(), key="user_change_who")
    current_row = table.set_index("name").loc[who] if who in set(table["name"]) else None
    current_role = current_row["role"] if current_row is not None else "planner"
    current_codes = (
        [c for c in str(current_row["district_codes"] or "").split(",") if c] if current_row is not None else []
    )
    current_streets = (
        [c for c in str(current_row["street_codes"] or "").split(",") if c] if current_row is not None else []
    )
    with change_col, st.form(f"user_change_{who}"):
        new_role = st.selectbox(
            t("角色", "Role"),
            list(ROLE_LABELS),
            format_func=role_name,
            index=list(ROLE_LABELS).index(current_role) if current_role in ROLE_LABELS else 2,
            key=lang_key(f"user_change_role_{who}"),
        )
        new_districts = st.multiselect(
            t("负责的区", "Districts"),
            district_codes,
            default=[c for c in current_codes if c in district_codes],
            key=lang_key(f"user_change_districts_{who}"),
            format_func=district_name,
            placeholder=t("选择区（计划员）", "Choose districts (planners)"),
        )
        new_streets = st.multiselect(
            t("只负责这些街道（可不选）", "Only these streets (optional)"),
            street_codes,
            default=[c for c in current_streets if c in street_codes],
            key=lang_key(f"user_change_streets_{who}"),
            format_func=street_name,
            placeholder=t("选择街道（乡镇）", "Choose streets"),
        )
        new_password = st.text_input(t("重设密码（留空不改）", "Reset password (blank: keep)"), type="password")
        c1, c2, c3, c4 = st.columns([1.5, 1.2, 1, 1])  # the first button's label is the longest
        if c1.form_submit_button(t("保存角色和区", "Save role and districts")):
            attempt(
                lambda: access.change_user(eng, me, who, new_role, new_districts, new_streets), t("已保存", "Saved")
            )
        if c2.form_submit_button(t("重设密码", "Reset password")):
            attempt(lambda: access.set_password(eng, me, who, new_password), t("密码已重设", "Password reset"))
        if c3.form_submit_button(t("停用", "Disable")):
            attempt(lambda: access.set_disabled(eng, me, who, True), t(f"{who} 已停用", f"{who} disabled"))
        if c4.form_submit_button(t("启用", "Enable")):
            attempt(lambda: access.set_disabled(eng, me, who, False), t(f"{who} 已启用", f"{who} enabled"))

with audit_tab:
    f1, f2, f3 = st.columns(3)
    actor = f1.text_input(t("用户", "User"), key="audit_actor")
    action = f2.selectbox(
        t("操作", "Action"),
        [None, *ACTIONS],
        format_func=lambda a: (
            ("全部" if shown_lang == "zh" else "All") if a is None else ACTIONS[a][0 if shown_lang == "zh" else 1]
        ),
        key=lang_key("audit_action"),
    )
    limit = f3.number_input(t("条数", "Entries"), 10, 10000, 500, step=100, key="audit_limit")
    log = access.audit_log(eng, me, limit=int(limit), actor=actor.strip() or None, action=action)
    log["action"] = log["action"].map(lambda a: t(*ACTIONS.get(a, (a, a))))
    log["role"] = log["role"].map(lambda r: role_name(r) if r in ROLE_LABELS else "")
    log["at"] = beijing(log["at"])
    log["districts"] = log["districts"].map(lambda d: districts.names(d, lang()))
    log["detail"] = log["detail"].map(lambda d: audit.describe(d, shown_lang))
    st.dataframe(
        log,
        hide_index=True,
        column_config={
            "id": "#",
            "at": t("时间（北京）", "Time (Beijing)"),
            "actor": t("用户", "User"),
            "role": t("角色", "Role"),
            "action": t("操作", "Action"),
            "districts": t("区", "Districts"),
            "detail": t("详情", "Detail"),
        },
        placeholder="—",
    )
    downloads.button(
        st,
        t("导出审计日志（Excel）", "Export the audit log (Excel)"),
        lambda: access.export_workbook(eng, me, "audit_log", {"audit": log}),
        file_name=f"audit_{dt.date.today()}.xlsx",
        key="audit_export",
    )

with calendar_tab:
    st.caption(
        t(
            "国务院公布次年放假安排后、程序库更新前，可在此设置节假日和调休上班日；计划和模型立即采用。",
            "Set holidays and make-up working days here when the State Council has published next year's schedule "
            "before the library knows it; plans and the model use them at once.",
        )
    )
    overrides = access.calendar_overrides(eng, me)
    if overrides:
        st.dataframe(
            pd.DataFrame(
                {
                    "date": list(overrides),
                    "day_type": [cal.DAY_TYPE_LABELS[v] if lang() == "zh" else v for v in overrides.values()],
                }
            ).sort_values("date"),
            hide_index=True,
            placeholder="—",
        )
    with st.form("calendar_set"):
        c1, c2, c3 = st.columns([1, 1, 2])
        day = c1.date_input(t("日期", "Date"), dt.date.today())
        day_type = c2.selectbox(
            t("类型", "Type"),
            [None, *cal.DAY_TYPES],
            format_func=lambda d: (
                t("恢复官方日历", "Back to official")
                if d is None
                else (cal.DAY_TYPE_LABELS[d] if lang() == "zh" else d)
            ),
        )
        note = c3.text_input(t("说明", "Note"), max_chars=200)
        if st.form_submit_button(t("保存", "Save")):
            access.set_calendar_day(eng, me, day, day_type, note or None)
            resources.data_changed()
            st.success(t("已保存。", "Saved."))


def name_refused() -> str:  # one wording for both forms
    return t(
        "名称已在清单中（不分大小写，含英文名），或为空、含顿号、逗号、分号、斜杠、竖线。",
        "The name is already in the list (in any letter case, English names included), is empty, or contains 、 , ; "
        "/ or |.",
    )


with services_tab:
    st.caption(
        t(
            "企业沟通记录中“提供服务包”“需求服务包”可填的名称。改名后旧记录随之改名；停用的服务包在新文件中不再接受，"
            "旧记录照常显示。名称里不能有顿号、逗号、分号、斜杠或竖线（它们在文件中分隔多个服务包）。",
            "The names a visits file may give as services offered or asked. Renaming renames them in old visits too; a "
            "retired package is no longer accepted in new files and still shown in old ones. A name may not contain "
            "、 , ; / or | (they separate packages in files).",
        )
    )
    packages = access.service_packages(eng, me)
    st.dataframe(
        packages.assign(active=packages["active"].map({True: t("使用中", "in use"), False: t("已停用", "retired")}))[
            ["zh", "en", "active"]
        ],
        hide_index=True,
        column_config={"zh": t("中文名称", "Chinese"), "en": t("英文名称", "English"), "active": t("状态", "Status")},
        placeholder="—",
    )
    with st.form("service_add", clear_on_submit=True):
        a1, a2 = st.columns(2)
        new_zh = a1.text_input(t("新服务包（中文）", "New package (Chinese)"), max_chars=40)
        new_en = a2.text_input(t("英文名称（可空）", "English name (optional)"), max_chars=60)
        if st.form_submit_button(t("新增", "Add")) and new_zh.strip():
            try:
                access.add_service(eng, me, new_zh, new_en)
            except ValueError:
                st.error(name_refused())
            else:
                resources.data_changed()
                st.rerun()
    with st.form("service_change"):
        names = dict(zip(packages["key"], packages["zh"], strict=True))
        b1, b2, b3 = st.columns([1, 1, 1])
        which = b1.selectbox(
            t("服务包", "Package"), list(names), format_func=lambda k: str(names.get(k, k)), key="service_which"
        )
        rename = b2.text_input(t("改名为（可空）", "Rename to (optional)"), max_chars=40)
        state = b3.selectbox(
            t("状态", "Status"),
            ["keep", "retire", "restore"],
            format_func=lambda k: {
                "keep": t("不变", "unchanged"),
                "retire": t("停用", "retire"),
                "restore": t("恢复使用", "restore"),
            }[k],
        )
        if st.form_submit_button(t("保存", "Save")) and which is not None:
            try:
                access.update_service(
                    eng,
                    me,
                    which,
                    zh=rename.strip() or None,
                    active=None if state == "keep" else state == "restore",
                )
            except ValueError:
                st.error(name_refused())
            else:
                resources.data_changed()
                st.rerun()


with move_tab:
    st.caption(
        t(
            "点位编号和统一社会信用代码全市唯一，先登记的区域持有它。另一区域导入同一编号时，那一行不会导入，"
            "对方只被告知“编号已被占用，请联系管理员”。核实后在这里把记录迁到它所属的区或街道：点位的场次和计划、"
            "企业的走访记录随之迁移。",
            "Site ids and credit codes are unique city-wide and held by the area that registered them first. When "
            "another area imports the same key, that row is not imported and the area is told only that the key is "
            "taken and to ask an administrator. Once checked, move the record here to the district or street it "
            "belongs to: a site's sessions and plans and an enterprise's visits move with it.",
        )
    )
    contested = access.audit_log(eng, me, limit=2000, action="denied")
    contested = contested[contested["detail"].astype(str).str.contains("_taken")]
    if len(contested):
        st.markdown(t("**最近被占用编号挡住的导入**", "**Recent imports stopped by a taken key**"))
        keys = contested["detail"].map(lambda d: "、".join(json.loads(d).get("keys", [])) if d else "")
        st.dataframe(
            pd.DataFrame(
                {
                    t("时间", "When"): beijing(contested["at"]),
                    t("用户", "User"): contested["actor"],
                    t("区", "Area"): contested["districts"].map(
                        lambda d: "、".join(areas.name(c, shown_lang) for c in str(d).split(",")) if d else ""
                    ),
                    t("编号", "Keys"): keys,
                }
            ),
            hide_index=True,
            placeholder="—",
        )
    with st.form("move_record"):
        m1, m2 = st.columns([1, 2])
        kind = m1.selectbox(
            t("记录", "Record"),
            ["enterprise", "site"],
            format_func=lambda k: {"enterprise": t("企业", "Enterprise"), "site": t("点位", "Site")}[k],
            key=lang_key("move_kind"),
        )
        key = m2.text_input(t("统一社会信用代码或编号", "Credit code or id"), max_chars=60)
        m3, m4 = st.columns(2)
        to_district = m3.selectbox(t("迁到区", "To district"), district_codes, format_func=district_name)
        to_street = m4.text_input(t("街道乡镇（可空）", "Street or township (optional)"), max_chars=40)
        look, go = st.columns(2)
        looked = look.form_submit_button(t("查看现在的归属", "Where is it now"))
        moving = go.form_submit_button(t("迁移", "Move"), type="primary")
    if (looked or moving) and key.strip():
        now = access.record_area(eng, me, kind, key)
        if now is None:
            st.warning(t("没有这条记录。", "No such record."))
        elif looked:
            st.info(t("现在属于：", "Now in: ") + areas.name(areas.finest(*now) or "", shown_lang))
        else:
            try:
                moved = access.move_record(eng, me, kind, key, to_district, to_street.strip() or None)
            except ValueError as exc:
                st.error(md_escape(str(exc)))
            else:
                resources.data_changed()
                st.success(
                    t(
                        f"已从{areas.name(areas.finest(*moved.before) or '')}迁到"
                        f"{areas.name(areas.finest(*moved.after) or '')}，随之迁移 {moved.followed} 条记录。",
                        f"Moved from {areas.name(areas.finest(*moved.before) or '', 'en')} to "
                        f"{areas.name(areas.finest(*moved.after) or '', 'en')}, with {moved.followed} rows.",
                    )
                )


with tiles_tab:
    st.caption(
        t(
            "地图、计划和企业走访路线的底图。不设置时，地图画出本系统自带的区界和街道名称"
            "（街道名称在该街道点位的中心），不需要访问互联网；设置后底图加载不出来时，这些参照照样显示。"
            "天地图需要在天地图控制台申请的“浏览器端”密钥；内网瓦片服务填 {z}/{x}/{y} 地址模板；"
            "GCJ-02 瓦片（如内网高德镜像）会把所有图层换算到 GCJ-02 坐标，与底图对齐。",
            "The basemap of the Map, Plan and visit-route maps. With none set, the maps draw the district outlines and "
            "street names this system carries (a street's name at the centre of its sites), with no Internet needed; "
            "with one set, these still show when its tiles cannot be loaded. Tianditu needs a browser key from the "
            "Tianditu console; an intranet tile server takes a {z}/{x}/{y} URL template; GCJ-02 tiles (e.g. an "
            "intranet AMap mirror) shift every layer to GCJ-02 so it lines up.",
        )
    )
    current_tiles = access.map_tiles(eng, me)
    st.markdown(t("**现在：**", "**Now:** ") + md_escape(current_tiles.described(shown_lang)))
    with st.form("map_tiles"):
        tiles_kind = st.selectbox(
            t("底图来源", "Basemap source"),
            list(maps.TILE_KINDS),
            index=list(maps.TILE_KINDS).index(current_tiles.kind),
            format_func=lambda k: maps.TILE_KIND_NAMES[k][0 if shown_lang == "zh" else 1],
            key=lang_key("tiles_kind"),
        )
        tiles_key = st.text_input(
            t(
                "天地图密钥 tk（选天地图时填；留空沿用现有密钥）",
                "Tianditu key, tk (for Tianditu; blank: keep the current one)",
            ),
            type="password",
            max_chars=64,
            key="tiles_key",
        )
        tiles_url = st.text_input(
            t("瓦片地址模板（内网瓦片或 GCJ-02 时填）", "Tile URL template (for intranet or GCJ-02 tiles)"),
            value=current_tiles.url or "",
            placeholder="http://tiles.intranet/{z}/{x}/{y}.png",
            key="tiles_url",
        )
        k1, k2 = st.columns([1, 2])
        tiles_subdomains = k1.text_input(
            t("子域名（地址含 {s} 时，如 1234）", "Subdomains (if the URL has {s}, e.g. 1234)"),
            value=current_tiles.subdomains or "",
            max_chars=16,
            key="tiles_subdomains",
        )
        tiles_attribution = k2.text_input(
            t("版权说明（显示在地图右下角）", "Credit line (shown at the map's bottom right)"),
            value=current_tiles.attribution or "",
            max_chars=maps.ATTRIBUTION_LIMIT,
            key="tiles_attribution",
        )
        save_col, clear_col = st.columns(2)
        save_tiles = save_col.form_submit_button(t("保存底图", "Save the basemap"), type="primary")
        clear_tiles = clear_col.form_submit_button(t("不用底图", "No basemap"))
    if save_tiles or clear_tiles:
        try:
            saved = access.set_map_tiles(
                eng,
                me,
                "none" if clear_tiles else tiles_kind,
                url=tiles_url,
                key=tiles_key.strip() or (current_tiles.key if current_tiles.kind == "tianditu" else None),
                attribution=tiles_attribution,
                subdomains=tiles_subdomains,
            )
        except maps.TileSettingError as exc:
            st.error(md_escape(exc.text(shown_lang)))
        else:
            resources.data_changed()
            st.success(t("已保存：", "Saved: ") + md_escape(saved.described(shown_lang)))
