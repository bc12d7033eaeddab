"""上传 Upload: templates, a checked preview with every problem against its row, then an all-or-nothing import."""

import hashlib

import pandas as pd
import streamlit as st

from dashboard import auth, downloads, resources
from dashboard.core import access
from dashboard.core.geo import districts, streets
from dashboard.core.intake import templates
from dashboard.core.intake.columns import (
    ENTERPRISE_COLUMNS,
    INDUSTRIES,
    OUTCOMES,
    SESSION_COLUMNS,
    SESSION_TYPE_LABELS,
    SITE_COLUMNS,
    SITE_TYPES,
    UNION_STATUSES,
    VISIT_COLUMNS,
)
from dashboard.i18n import beijing, lang, md_escape, t

st.title(t("上传", "Upload"))
me = auth.scope()
if me.districts is not None:
    st.caption(
        t(
            f"您可以上传 {me.area()} 的数据；含其他区的行的文件会被整份拒绝。",
            f"You can upload data for {me.area('en')}; a file with rows of other districts is refused whole.",
        )
    )
KINDS = {
    "sessions": ("场次结果（台账）", "Session results"),
    "sites": ("点位表", "Site list"),
    "enterprises": ("企业名录", "Enterprise register"),
    "visits": ("企业沟通记录", "Enterprise visits"),
}
FILE_NAMES = {"sessions": "场次", "sites": "点位", "enterprises": "企业名录", "visits": "企业沟通记录"}
kind = st.radio(
    t("上传内容", "What to upload"),
    list(KINDS),
    format_func=lambda k: t(*KINDS[k]),
    horizontal=True,
    key="upload_kind",
)
if kind == "visits":
    st.caption(
        t(
            "每行一家企业的一次沟通：企业编号（统一社会信用代码或名录编号）、沟通日期、沟通结果（已沟通、有意向、"
            "已建会、暂不建会；加入联合工会写“联合建会”）。已建会须填建会日期和建会会员数，暂不建会须写原因；"
            "服务包可填多个，用顿号分隔。",
            "One row per enterprise visited on a day: enterprise id (credit code or register id), date, outcome "
            "(已沟通 met, 有意向 interested, 已建会 founded, 暂不建会 not for now; 联合建会 for a joint union). A "
            "founding needs its date and members; 暂不建会 needs a reason; several service packages are separated "
            "by 、.",
        )
    )

with st.expander(t("下载模板", "Download templates"), expanded=False):
    cols = st.columns(4)
    for col, (lang_code, fmt) in zip(cols, [("zh", "xlsx"), ("zh", "csv"), ("en", "xlsx"), ("en", "csv")], strict=True):
        name = f"{FILE_NAMES[kind]}模板_{lang_code}.{fmt}" if lang_code == "zh" else f"{kind}_template.{fmt}"

        def template_bytes(lang_code: str = lang_code, fmt: str = fmt) -> bytes:
            return templates.template(kind, lang_code, fmt)

        downloads.button(
            col,
            f"{t('中文表头', 'Chinese headers') if lang_code == 'zh' else t('英文表头', 'English headers')} · "
            f"{fmt.upper()}",
            template_bytes,
            file_name=name,
            key=f"tpl_{kind}_{lang_code}_{fmt}",
        )
    st.caption(
        t(
            "表头中英文皆可、顺序不限；日期可写 2023-05-08、2023/5/8 或 2023年5月8日。",
            "Headers in Chinese or English, in any order; dates as 2023-05-08, 2023/5/8 or 2023年5月8日.",
        )
    )

skip_invalid = st.checkbox(
    t("跳过有错误的行，只导入正确的行", "Skip rows with errors and import the rest"), key="upload_skip"
)
gcj = kind in ("sites", "enterprises") and st.checkbox(
    t("坐标来自高德地图（GCJ-02，将转换为WGS-84）", "Coordinates are from Gaode (GCJ-02; convert to WGS-84)"),
    key="upload_gcj",
)
limit_mb = min(float(st.get_option("server.maxUploadSize")), access.max_upload_mb())  # the server's and the importer's
upload = st.file_uploader(
    t("选择CSV或Excel文件", "Choose a CSV or Excel file"), type=["csv", "xlsx", "xls", "txt"], key=f"uploader_{kind}"
)
# the limits said in words under the box (a tooltip's button would be one more English label for a screen reader)
st.caption(
    t(
        f"单个文件不超过 {limit_mb:g} MB、{access.max_upload_rows():,} 行；更大的文件请按月或按区拆分。",
        f"Up to {limit_mb:g} MB and {access.max_upload_rows():,} rows per file; split larger files by month or "
        "district.",
    )
)


def run_import(data: bytes, name: str, dry_run: bool) -> access.ImportReport:
    options = dict(dry_run=dry_run, skip_invalid=skip_invalid, max_bytes=int(limit_mb * 1024 * 1024))
    coords = "gcj02" if gcj else "wgs84"
    if kind == "sites":
        return access.import_sites(resources.engine(), me, data, name, coords=coords, **options)
    if kind == "enterprises":
        return access.import_enterprises(resources.engine(), me, data, name, coords=coords, **options)
    if kind == "visits":
        return access.import_visits(resources.engine(), me, data, name, **options)
    return access.import_sessions(resources.engine(), me, data, name, **options)


def problems_table(report: access.ImportReport) -> pd.DataFrame:
    rows = [
        {
            "row": pd.NA if p.row is None else p.row,
            "column": p.column,
            "value": p.value,
            "level": t("错误", "error") if p.severity == "error" else t("提示", "note"),
            "message": t(p.zh, p.en),
        }
        for p in report.problems
    ]
    table = pd.DataFrame(rows, columns=["row", "column", "value", "level", "message"])
    table["row"] = table["row"].astype("Int64")
    return table


# The rows to import as people read them: each kind's columns under the headers of its template, in the file's order
PREVIEW: dict[str, list[tuple[str, str]]] = {  # stored column -> the file's column it came from
    "sessions": [
        ("session_id", "session_id"),
        ("session_type", "session_type"),
        ("date", "date"),
        ("start_min", "start_time"),
        ("end_min", "end_time"),
        ("district", "district"),
        ("street_code", "street"),
        ("site_id", "site_id"),
        *[(c, c) for c in ("staff", "consultations", "applications", "members_joined")],
        *[(c, c) for c in ("enterprises_reached", "unions_founded", "notes")],
    ],
    "sites": [
        *[("name" if c.name == "site_name" else c.name, c.name) for c in SITE_COLUMNS],
    ],
    "enterprises": [
        *[
            ({"enterprise_name": "name", "head_office": "head_office_id"}.get(c.name, c.name), c.name)
            for c in ENTERPRISE_COLUMNS
        ],
    ],
    "visits": [
        ("enterprise_id", "enterprise_id"),
        ("visited_on", "date"),
        *[(c.name, c.name) for c in VISIT_COLUMNS if c.name not in ("enterprise_id", "enterprise_name", "date")],
    ],
}
HEADERS = {
    kind: {c.name: (c.zh, c.name.replace("_", " ")) for c in columns}
    for kind, columns in (
        ("sessions", SESSION_COLUMNS),
        ("sites", SITE_COLUMNS),
        ("enterprises", ENTERPRISE_COLUMNS),
        ("visits", VISIT_COLUMNS),
    )
}


def readable_preview(kind: str, rows: pd.DataFrame, services: dict[str, str]) -> pd.DataFrame:
    """The rows to import in words: the file's headers, names for districts, streets, types and outcomes, times of
    day and dates as written in a sheet; blanks stay blank (shown as —), nothing in codes a reader has to look up."""
    code = lang()
    hhmm = lambda m: f"{int(m) // 60:02d}:{int(m) % 60:02d}"  # noqa: E731
    out = {t("行号", "Row"): rows["_row"]} if "_row" in rows else {}
    for stored, column in PREVIEW[kind]:
        if stored not in rows:
            continue
        values = rows[stored].astype(object).where(rows[stored].notna(), None)
        if stored in ("start_min", "end_min"):
            values = values.map(hhmm, na_action="ignore")
        elif stored in ("date", "visited_on", "founded_on", "union_founded_on", "registered_on"):
            values = pd.to_datetime(values, errors="coerce").dt.strftime("%Y-%m-%d").astype(object)
        elif stored == "district":
            values = values.map(lambda d: districts.name(d, code), na_action="ignore")
        elif stored == "street_code":
            values = values.map(streets.name, na_action="ignore")  # the district is in its own column
        elif stored == "session_type":
            values = values.map(lambda k: SESSION_TYPE_LABELS[k] if code == "zh" else k, na_action="ignore")
        elif stored == "site_type":
            values = values.map(lambda k: SITE_TYPES.get(k, k) if code == "zh" else k, na_action="ignore")
        elif stored == "union_status":
            values = values.map(lambda k: t(*UNION_STATUSES[k]) if k in UNION_STATUSES else k, na_action="ignore")
        elif stored == "industry":
            values = values.map(lambda k: f"{k} {INDUSTRIES.get(k, '')}".strip() if code == "zh" else k, "ignore")
        elif stored == "outcome":
            joint = rows["union_kind"].eq("joint") if "union_kind" in rows else pd.Series(False, index=rows.index)
            words = values.map(lambda k: t(*OUTCOMES[k]) if k in OUTCOMES else k, na_action="ignore")
            values = words.where(~joint, t("联合建会", "Joined a joint union"))
        elif stored in ("services_offered", "services_asked"):
            values = values.map(lambda k: "、".join(services.get(x, x) for x in str(k).split("|")), na_action="ignore")
        zh, en = HEADERS[kind].get(column, (column, column))
        out[t(zh, en)] = values.where(values.notna(), None)
    return pd.DataFrame(out)


LISTED = 30  # problems listed as text; the rest in the table
# why a row is set aside, by the note that says so
SET_ASIDE = {
    "totals_row": ("合计行", "a totals row"),
    "example_row": ("模板的示例行", "the template's examples"),
    "not_reported": ("还没填写结果的场次", "sessions without results yet"),
    "cancelled": ("标为未开展的场次", "sessions marked not held"),
    "duplicate_same": ("与另一行完全相同的重复行", "rows repeating another word for word"),
}


def problem_line(row) -> str:
    """One problem as a wrapping line: where (row, column), the value as typed, what to do."""
    where = []
    if pd.notna(row.row):
        where.append(t(f"第 {int(row.row)} 行", f"row {int(row.row)}"))
    if isinstance(row.column, str) and row.column:
        where.append(md_escape(row.column))
    value = f" “{md_escape(row.value)}”" if isinstance(row.value, str) and row.value else ""
    # the list's own bullet, and the level said in a word (a coloured dot beside it read as a second bullet)
    mark = f":red[{t('错误', 'Error')}]" if row.level == t("错误", "error") else f":orange[{t('提示', 'Note')}]"
    return (
        f"- {mark} **{' · '.join(where) or t('整个文件', 'whole file')}**{value}{t('：', ': ')}{md_escape(row.message)}"
    )


def retrain_after_upload(report) -> None:
    """New results change what the models should know: queue a retrain in the background; nobody waits for it."""
    if access.retrain_after_import(resources.engine(), me, report) is not None:
        resources.wake_training()
        st.session_state["upload_retrain_queued"] = True


PROBLEM_COLUMNS = {
    "row": t("行", "Row"),
    "column": t("列", "Column"),
    "value": t("值", "Value"),
    "level": t("类别", "Level"),
    "message": t("问题与改法", "Problem and fix"),
}

if upload is not None:
    data = upload.getvalue()
    digest = hashlib.sha256(data + f"{kind}{skip_invalid}{gcj}".encode()).hexdigest()
    if st.session_state.get("upload_preview_key") != digest:
        st.session_state["upload_preview_key"] = digest
        st.session_state["upload_preview"] = run_import(data, upload.name, dry_run=True)
        st.session_state.pop("upload_result", None)
    report = st.session_state["upload_preview"]
    if report.status == "unreadable":
        st.error(t(report.problems[0].zh, report.problems[0].en))
    else:
        blocked = report.status == "refused"
        counts = report.counts()
        # the rows the checks found wrong, as the list below names them (a file refused for its district or its
        # keys has its rows counted here too, not 0 beside "2 errors")
        counts["rejected"] = max(counts["rejected"], len({p.row for p in report.errors if p.row is not None}))
        # problems of the file as a whole (a missing column): no row to count them against, so counted apart
        counts["file"] = sum(1 for p in report.errors if p.row is None)
        written = counts["inserted"] + counts["updated"] + counts["unchanged"]
        # every row of the file is counted once: set aside (a totals row, examples, results not yet filled in, a
        # row repeated word for word) is what is neither written nor wrong
        counts["set_aside"] = max(counts["total"] - written - counts["rejected"], 0)
        if blocked:
            counts["set_aside"] = min(counts["set_aside"], report.set_aside)  # the rest are fine but wait for a fix
        # a file refused whole imports nothing: no counts or preview of rows "to import"
        shown = [("total", "总行数", "Rows")]
        if not blocked:
            shown += [("inserted", "将新增", "To insert"), ("updated", "将更新", "To update")]
            shown += [("unchanged", "未变", "Unchanged")]
        shown += [("rejected", "有错误的行", "Rows with errors")]
        shown += [("set_aside", "暂不导入", "Set aside")] if counts["set_aside"] else []
        shown += [("file", "整个文件的问题", "Problems of the file")] if counts["file"] else []
        with st.container(horizontal=True, gap="large"):  # side by side, wrapping on a phone instead of a tall stack
            for key, zh, en in shown:
                st.metric(t(zh, en), f"{counts[key]:,}", width="content")
        if counts["set_aside"]:
            found = {p.code for p in report.problems} | {p.of for p in report.problems}
            why = [t(*SET_ASIDE[code]) for code in SET_ASIDE if code in found] or [t(*SET_ASIDE["duplicate_same"])]
            st.caption(
                t(
                    f"暂不导入的 {counts['set_aside']:,} 行不算错误：{'、'.join(why)}（见下方提示）。",
                    f"The {counts['set_aside']:,} rows set aside are not errors: {'; '.join(why)} (see the notes "
                    "below).",
                )
            )
        table = problems_table(report)
        if len(table):
            st.markdown(
                t("**检查结果**（每个问题都对应文件中的行号）", "**Checks** (each problem against its row in the file)")
            )
            # a list that wraps, readable on a phone without sideways scrolling; the table below for sorting
            st.markdown("\n".join(problem_line(row) for row in table.head(LISTED).itertuples()))
            if len(table) > LISTED:
                st.caption(
                    t(
                        f"另有 {len(table) - LISTED:,} 条，见下方表格。",
                        f"{len(table) - LISTED:,} more in the table below.",
                    )
                )
            with st.expander(t(f"表格（{len(table):,} 条）", f"As a table ({len(table):,})")):
                st.dataframe(
                    table,
                    hide_index=True,
                    column_config=PROBLEM_COLUMNS,
                    height=min(400, 40 + 35 * len(table)),
                    placeholder="—",
                )
        if len(report.rejected_rows):
            st.markdown(t("**有错误的行**", "**Rows with errors**"))
            # the file's rows in the reader's language (the downloaded file keeps both)
            own, other = ("问题", "problem") if lang() == "zh" else ("problem", "问题")
            st.dataframe(
                report.rejected_rows.drop(columns=[other]).rename(
                    columns={"行号 row": t("行号", "Row"), own: t("问题", "Problem")}
                ),
                hide_index=True,
                height=min(300, 40 + 35 * len(report.rejected_rows)),
                placeholder="—",
            )
        if len(report.preview) and not blocked:
            with st.expander(
                t(f"预览将导入的 {len(report.preview):,} 行", f"Preview the {len(report.preview):,} rows to import")
            ):
                services = resources.service_names(me, lang(), resources.version()) if kind == "visits" else {}
                shown_rows = readable_preview(kind, report.preview.head(500), services)
                st.dataframe(shown_rows, hide_index=True, placeholder="—")
        outside = [p for p in report.problems if p.code == "out_of_scope"]
        if outside:
            rows = "、".join(str(p.row) for p in outside[:20]) + ("…" if len(outside) > 20 else "")
            names = "、".join(sorted({p.value for p in outside}))
            st.error(
                t(
                    f"第 {rows} 行属于{names}，不在您负责的区（{me.area()}）内：整份文件不会导入。请删去这些行，"
                    "或请该区的同事上传。",
                    f"Rows {rows.replace('、', ', ')} belong to {names}, outside your districts ({me.area('en')}): "
                    "nothing will be imported. Delete those rows, or ask that district's union to upload them.",
                )
            )
        elif foreign := sorted(
            {p.row for p in report.problems if p.code in ("foreign_key", "foreign_site", "foreign_row")}
        ):
            rows = "、".join(map(str, foreign[:20])) + ("…" if len(foreign) > 20 else "")
            st.error(
                t(
                    f"第 {rows} 行的编号或点位不在您负责的范围内：整份文件不会导入（跳过错误行也不行）。"
                    "请改正这些行后重新上传。",
                    f"Rows {rows.replace('、', ', ')} use ids or sites outside your districts: nothing will be "
                    "imported (not even with 'skip rows with errors'). Correct those rows and upload again.",
                )
            )
        elif blocked and counts["file"]:  # the counts above, in the same words
            also = t(f"，另有 {counts['rejected']:,} 行有错误", f", and {counts['rejected']:,} rows have errors")
            st.error(
                t(
                    f"文件本身有 {counts['file']:,} 个问题（上面标为“整个文件”的各条）"
                    + (also if counts["rejected"] else "")
                    + "：整份文件不会导入。请改正后重新上传。",
                    f"The file itself has {counts['file']:,} problems (those marked 'whole file' above)"
                    + (also if counts["rejected"] else "")
                    + ": nothing will be imported. Fix them and upload again.",
                )
            )
        elif blocked and skip_invalid:
            st.error(
                t(
                    f"{counts['rejected']:,} 行都有错误，没有可以导入的行。请改正后重新上传。",
                    f"All {counts['rejected']:,} rows have errors: there is nothing to import. Fix them and upload "
                    "again.",
                )
            )
        elif blocked:
            st.error(
                t(
                    f"有 {counts['rejected']:,} 行有错误，整份文件不会导入。请改正这些行后重新上传，"
                    "或勾选“跳过有错误的行”只导入其余的行。",
                    f"{counts['rejected']:,} rows have errors: nothing will be imported. Fix those rows and upload "
                    "again, or tick 'skip rows with errors' to import the others.",
                )
            )
        nothing = not blocked and counts["inserted"] + counts["updated"] == 0
        if nothing:
            st.info(
                t(
                    "这份文件没有需要写入的行（没有新的或改动的行）：无需导入。"
                    + ("如果是结果表，请先填写人数再上传。" if counts["unchanged"] == 0 else ""),
                    "Nothing in this file to write (no new or changed rows): there is nothing to import."
                    + (" If it is a results sheet, fill in the counts first." if counts["unchanged"] == 0 else ""),
                )
            )
        if st.button(
            t("确认导入", "Import"),
            type="primary",
            disabled=blocked or nothing or "upload_result" in st.session_state,
            key="upload_confirm",
        ):
            written = run_import(data, upload.name, dry_run=False)
            st.session_state["upload_result"] = written
            resources.data_changed()
            retrain_after_upload(written)
            st.rerun()
    result = st.session_state.get("upload_result")
    if result is not None:
        if result.status == "written":
            c = result.counts()
            st.success(
                t(
                    f"已导入：新增 {c['inserted']:,}，更新 {c['updated']:,}，未变 {c['unchanged']:,}，拒绝 "
                    f"{c['rejected']:,}",
                    f"Imported: {c['inserted']:,} inserted, {c['updated']:,} updated, {c['unchanged']:,} unchanged, "
                    f"{c['rejected']:,} rejected",
                )
            )
            if st.session_state.pop("upload_retrain_queued", False):
                st.info(
                    t(
                        "正在用新数据重新训练推荐模型……完成后自动使用（进度见左侧栏）。在此之前计划仍用原模型，"
                        "可以继续工作。",
                        "Retraining the recommender on the new data… it is used as soon as it is done (progress in "
                        "the sidebar). Until then plans use the current model; carry on working.",
                    )
                )
            rejected_rows = result.rejected_rows
            if len(rejected_rows):
                downloads.button(
                    st,
                    t("下载被拒绝的行及原因", "Download the rejected rows with reasons"),
                    lambda: access.export_csv(resources.engine(), me, "rejected_rows", rejected_rows),
                    file_name="rejected.csv",
                    key="upload_rejected",
                )
        else:
            st.error(t("未导入，数据库没有任何改动。", "Not imported; the database is unchanged."))


def area_summary(codes: object) -> str:
    """An upload's areas (its stored codes, comma-separated) in a few words: up to three districts by name, else
    how many; within one district, up to three streets by name, else how many."""
    if not isinstance(codes, str) or not codes:
        return ""
    by_district: dict[str, list[str]] = {}
    for code in codes.split(","):
        by_district.setdefault(code[:6], []).extend([code] if len(code) == 9 else [])
    names = [districts.name(d, lang()) for d in sorted(by_district)]
    if len(names) > 1:
        if len(names) <= 3:
            return t("、", ", ").join(names)
        return t(f"{'、'.join(names[:3])}等 {len(names)} 个区", f"{', '.join(names[:3])} and {len(names) - 3} more")
    street_names = sorted({streets.name(c) or "" for c in by_district[sorted(by_district)[0]]} - {""})
    if not street_names:
        return names[0]
    if len(street_names) <= 3:
        return t(f"{names[0]}{'、'.join(street_names)}", f"{names[0]}: {', '.join(street_names)}")
    return t(f"{names[0]}（{len(street_names)} 个街道）", f"{names[0]} ({len(street_names)} streets)")


st.subheader(t("上传记录", "Upload history"))
history = resources.upload_history(me, resources.version())
history["districts"] = history["districts"].map(area_summary)
history["uploaded_at"] = beijing(history["uploaded_at"])
history["uploaded_by"] = history["uploaded_by"].fillna("—")  # the sample and early imports name nobody
history["kind"] = history["kind"].map({k: t(*KINDS[k]) for k in KINDS}).fillna("")
if history.empty:
    st.caption(t("还没有上传记录。", "No uploads yet."))
else:
    st.dataframe(
        history.drop(columns=["sha256"]),
        hide_index=True,
        column_config={
            "id": "#",
            "kind": t("类型", "Kind"),
            "file_name": t("文件", "File"),
            "uploaded_at": t("时间（北京）", "Time (Beijing)"),
            "uploaded_by": t("上传人", "By"),
            "districts": t("区", "Districts"),
            "rows_total": st.column_config.NumberColumn(t("行数", "Rows"), format="localized"),
            "rows_inserted": st.column_config.NumberColumn(t("新增", "Inserted"), format="localized"),
            "rows_updated": st.column_config.NumberColumn(t("更新", "Updated"), format="localized"),
            "rows_unchanged": st.column_config.NumberColumn(t("未变", "Unchanged"), format="localized"),
            "rows_rejected": st.column_config.NumberColumn(t("拒绝", "Rejected"), format="localized"),
        },
    )
