"""Problems found in an uploaded file, worded for the person who has to fix them, in Chinese and English.

Every message names what is wrong and how to fix it; the row, column and value travel beside it so that a
page can show the problem against its row and the command line can print it.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"

# code: (severity, Chinese, English). Templates use str.format fields given by the caller.
CATALOGUE: dict[str, tuple[str, str, str]] = {
    # whole-file problems
    "empty_file": (
        ERROR,
        "文件是空的。请选择填好数据的CSV或Excel文件。",
        "The file is empty. Choose a CSV or Excel file with data in it.",
    ),
    "binary_file": (
        ERROR,
        "这不是表格文件（看起来是图片、压缩包或其他二进制文件）。请上传CSV或.xlsx文件。",
        "This is not a table (it looks like an image, archive or other binary file). Upload a CSV or .xlsx file.",
    ),
    "legacy_xls": (
        ERROR,
        "不支持旧版Excel（.xls）文件。请在Excel中“另存为” .xlsx 或 CSV（UTF-8）后再上传。",
        "Old Excel (.xls) files are not supported. In Excel, use Save As .xlsx or CSV (UTF-8) and upload that.",
    ),
    "broken_xlsx": (
        ERROR,
        "Excel文件已损坏或无法打开。请在Excel中重新保存后再上传。",
        "The Excel file is damaged or cannot be opened. Save it again in Excel and upload it.",
    ),
    "bad_encoding": (
        ERROR,
        "无法识别文件编码。请另存为“CSV UTF-8”后再上传。",
        "The file's text encoding was not recognised. Save it as 'CSV UTF-8' and upload it again.",
    ),
    "xlsx_too_large": (
        ERROR,
        "这个Excel文件解压后太大（{value}，上限 {limit}）。请删去多余的工作表、图片或格式，或另存为CSV后再上传。",
        "This Excel file unpacks to too much data ({value}; the limit is {limit}). Remove extra sheets, pictures or "
        "formatting, or save it as CSV and upload that.",
    ),
    "too_many_rows": (
        ERROR,
        "文件有 {value} 行，超过上限 {limit} 行。请按月或按区拆分成几个文件分别上传。",
        "The file has {value} rows, more than the limit of {limit}. Split it by month or district into several files "
        "and upload each.",
    ),
    "too_many_columns": (
        ERROR,
        "表头有 {value} 列，超过上限 {limit} 列。请删去多余的列（模板只有十几列）。",
        "The header has {value} columns, more than the limit of {limit}. Delete the extra columns (the template has "
        "about a dozen).",
    ),
    "too_many_sites": (
        ERROR,
        "{value}已有 {label} 个点位，本文件将再新建 {rows} 个，超过上限 {limit} 个。"
        "请核对点位编号和名称（同一点位请用同一编号），或请管理员调整上限。",
        "{value} already has {label_en} sites and this file would add {rows}, more than its limit of {limit}. "
        "Check the site ids and names (one site, one id), or ask an admin to raise the limit.",
    ),
    "no_header": (
        ERROR,
        "没有找到表头：前几行里没有认识的列名（如“日期”“类型”“所属区”）。请使用模板的表头。",
        "No header row found: none of the first rows has known column names (such as date, session_type, district). "
        "Use the template's headers.",
    ),
    "not_a_table": (
        ERROR,
        "文件内容不是规整的表格（各行列数不一致）。请检查分隔符或使用模板。",
        "The file is not a regular table (rows have different numbers of columns). Check the separator or use the "
        "template.",
    ),
    "no_rows": (ERROR, "表头下面没有数据行。", "There are no data rows below the header."),
    "missing_column": (
        ERROR,
        "缺少必需的列“{label}”。请在表头行加上这一列。",
        "Required column {label_en} is missing. Add it to the header row.",
    ),
    "unknown_columns": (
        WARNING,
        "以下列不认识，已忽略：{value}。",
        "These columns are not recognised and were ignored: {value}.",
    ),
    "cells_beyond_header": (
        WARNING,
        "这一行在表头之外还有数据（比表头多出的列），已忽略。请检查是否多了逗号或漏了表头。",
        "This row has cells past the last header (more columns than the header); they were ignored. Check for a stray "
        "comma or a missing header.",
    ),
    "file_too_large": (
        ERROR,
        "文件太大（{value}），上限为 {label}。请按月或按区拆分成几个文件分别上传。",
        "The file is too large ({value}); the limit is {label_en}. Split it by month or district into several files "
        "and upload each.",
    ),
    "out_of_scope": (
        ERROR,
        "这一行属于{value}，不在您负责的区（{label}）内。整个文件未导入：请删去这些行，或请该区的同事上传。",
        "This row belongs to {value}, outside your districts ({label_en}). Nothing in the file was imported: delete "
        "these rows, or ask that district's union to upload them.",
    ),
    "foreign_key": (
        ERROR,
        "编号“{value}”已被您负责范围以外的记录使用，不能在这里使用或修改。整个文件未导入：请换一个编号，或清空这一格（留空时按日期、时间和点位识别场次）。",
        "The id '{value}' is already used by a record outside your districts; it cannot be used or changed here. "
        "Nothing in the file was imported: use another id, or clear this cell (sessions without an id are matched by "
        "date, time and site).",
    ),
    "foreign_row": (
        ERROR,
        "这一行（按类型、日期、开始时间和点位或区识别）与您负责范围以外的一条记录重合，不能导入。整个文件未导入：请核对这一行，或请管理员处理。",
        "This row (matched by type, date, start time and site or district) meets a record outside your districts and "
        "cannot be imported. Nothing in the file was imported: check the row, or ask an admin.",
    ),
    "foreign_site": (
        ERROR,
        "点位“{value}”不在您负责的区内：不能修改它，也不能在它那里登记场次。整个文件未导入：请核对点位编号。",
        "Site '{value}' is outside your districts: you cannot change it or record sessions there. Nothing in the file "
        "was imported: check the site id.",
    ),
    "file_seen_before": (
        WARNING,
        "这个文件（内容完全相同）已于 {value} 导入过；重复导入不会重复计数。",
        "This exact file was already imported on {value}; importing it again does not count anything twice.",
    ),
    # cell problems
    "required_blank": (ERROR, "“{label}”不能为空。请填写。", "{label_en} must not be blank. Fill it in."),
    "bad_date": (
        ERROR,
        "日期“{value}”无法识别。请写成 2023-05-08、2023/5/8 或 2023年5月8日。",
        "Date '{value}' is not recognised. Write it as 2023-05-08, 2023/5/8 or 2023年5月8日.",
    ),
    "impossible_date": (
        ERROR,
        "日期“{value}”不存在。请核对年月日。",
        "Date '{value}' does not exist. Check the year, month and day.",
    ),
    "future_date": (
        ERROR,
        "日期“{value}”还没到：这场还没有开展，开展后再登记结果。若是录入错误，请改正日期。",
        "Date '{value}' has not come yet: the session has not been held. Record its results after it is held, "
        "or correct the date if it was mistyped.",
    ),
    "early_date": (
        WARNING,
        "日期“{value}”早于2018年“双沟通”开展之前，请确认。",
        "Date '{value}' is before the programme began in 2018; please check it.",
    ),
    "bad_time": (
        ERROR,
        "时间“{value}”无法识别。请写成 9:00、09:00 或 09:00:00（24小时制）。",
        "Time '{value}' is not recognised. Write it as 9:00, 09:00 or 09:00:00 (24-hour clock).",
    ),
    "end_before_start": (
        ERROR,
        "结束时间“{value}”不晚于开始时间。请核对时间（跨午夜的场次请拆成两行）。",
        "End time '{value}' is not after the start time. Check the times (split a session past midnight into two "
        "rows).",
    ),
    "bad_count": (
        ERROR,
        "“{label}”应为整数，不能是“{value}”。请只填数字。",
        "{label_en} must be a whole number, not '{value}'. Enter digits only.",
    ),
    "negative_count": (
        ERROR,
        "“{label}”不能为负数（“{value}”）。请填0或正整数。",
        "{label_en} cannot be negative ('{value}'). Enter 0 or a positive whole number.",
    ),
    "fractional_count": (
        ERROR,
        "“{label}”应为整数，不能是小数“{value}”。",
        "{label_en} must be a whole number, not the decimal '{value}'.",
    ),
    "count_too_large": (
        ERROR,
        "“{label}”的数字“{value}”太大（最多 {limit}）。请核对这个数。",
        "{label_en} '{value}' is too large (at most {limit}). Check the number.",
    ),
    "date_out_of_range": (
        ERROR,
        "日期“{value}”的年份不合理（应在 {limit} 之间）。请核对年份。",
        "Date '{value}' has an implausible year (it must be within {limit}). Check the year.",
    ),
    "date_with_time": (
        WARNING,
        "日期“{value}”带有时间，只取了日期；场次的开始和结束时间请填在各自的列。",
        "Date '{value}' has a time of day; only the date was kept. Put the session's times in the start and end "
        "columns.",
    ),
    "too_long": (
        ERROR,
        "“{label}”太长（{value_len} 个字符，最多 {limit} 个）。请缩短。",
        "{label_en} is too long ({value_len} characters; at most {limit}). Shorten it.",
    ),
    "example_row": (
        WARNING,
        "这一行是模板里的示例，不会导入。",
        "This row is the template's example; it is not imported.",
    ),
    "not_reported": (
        WARNING,
        "这一场还没有填写结果（人数都为空），这次不导入；开展后填上人数再上传即可。",
        "This session has no results yet (every count is blank), so it is not imported now; fill in the counts "
        "after it is held and upload again.",
    ),
    "totals_row": (
        WARNING,
        "这一行是合计行（“{value}”），不是一场活动或一条记录，已略过、不导入；各项合计由系统自己计算。",
        "This row is a totals row ('{value}'), not a session or a record: it is set aside and not imported (the "
        "dashboard adds up the figures itself).",
    ),
    "cancelled": (
        WARNING,
        "这一场标为未开展，不导入。",
        "This session is marked as not held (未开展); it is not imported.",
    ),
    "control_chars_removed": (
        WARNING,
        "这一格含有不可见的控制字符，已删去。",
        "This cell held invisible control characters; they were removed.",
    ),
    "nul_in_file": (
        ERROR,
        "文件第 {value} 行含有空字符，通常说明文件已损坏或不是文本。请在Excel中打开并另存为“CSV UTF-8”后再上传。",
        "Line {value} of the file holds a NUL character, which usually means the file is damaged or not text. Open it "
        "in Excel, save it as 'CSV UTF-8' and upload that.",
    ),
    "more_problems": (
        WARNING,
        "另有 {value} 处同类问题未逐一列出（与上面第 {rows} 行的问题相同：{label}）。请改正后重新上传，再看其余的。",
        "{value} more problems of the same kind are not listed (like row {rows} above: {label_en}). Fix them and "
        "upload again to see the rest.",
    ),
    "more_notes": (
        WARNING,
        "另有 {value} 行有同类提示，未逐一列出（与第 {rows} 行相同：{label}）。",
        "{value} more rows have the same note, not listed (like row {rows}: {label_en}).",
    ),
    "unknown_street": (
        WARNING,
        "街道乡镇“{value}”不是本行所属区的街道、地区、镇或乡的官方名称，已按原文保存，但这一行只计入区、不计入任何街道。"
        "如要计入街道，请按官方名称填写（可不带“街道”“镇”等字）。{limit}",
        "'{value}' is not the official name of a street or township of this row's district. It is kept as typed, "
        "but the row counts for its district only, not for a street. To count it for a street, use the official "
        "name (with or without 街道/镇/乡). {limit}",
    ),
    "street_from_address": (
        WARNING,
        "{value} 家企业没有填街道乡镇，已按地址中的街道名归入街道（第 {rows} 行）。"
        "请在预览中核对；如有误，请在文件中填写街道乡镇。",
        "{value} enterprises had no street; each was placed in the street its address names (rows {rows}). Check "
        "them in the preview; where one is wrong, fill in its 街道乡镇.",
    ),
    "street_from_coords": (
        WARNING,
        "{value} 家企业没有填街道乡镇、地址中也没有街道名，"
        "已按坐标归入最近的已知街道（第 {rows} 行；{limit} 公里以内）。"
        "这是推断，请在预览中核对；如有误，请在文件中填写街道乡镇。",
        "{value} enterprises had no street and no street name in their address; each was placed in the nearest known "
        "street by its coordinates (rows {rows}; within {limit} km). This is a guess: check them in the preview, and "
        "where one is wrong, fill in its 街道乡镇.",
    ),
    "street_renamed": (
        WARNING,
        "街道乡镇“{value}”：前者是更名前的旧称，已按现名保存。",
        "Street '{value}': the first is the name before the unit was renamed; the row is saved under today's name.",
    ),
    "street_other_district": (
        ERROR,
        "街道乡镇“{value}”属于另一个区，与本行所填的区不符。请核对区或街道。",
        "The street '{value}' belongs to another district than the one this row gives. Check the district or the "
        "street.",
    ),
    "street_needed": (
        ERROR,
        "您的账号按街道负责（{label}）：请在“街道乡镇”列填写本行属于哪个街道。",
        "Your account works by street ({label_en}): fill in the 街道乡镇 column with this row's street.",
    ),
    "unknown_district": (
        ERROR,
        "区“{value}”不认识。请填北京16个区之一，如 朝阳区、朝阳 或 110105。",
        "District '{value}' is not known. Use one of Beijing's 16 districts, e.g. 朝阳区, 朝阳 or 110105.",
    ),
    "unknown_session_type": (
        ERROR,
        "类型“{value}”不认识。请填“职工沟通会”或“企业沟通会”。",
        "Session type '{value}' is not known. Use 职工沟通会 or 企业沟通会 (or worker / enterprise).",
    ),
    "unions_exceed_enterprises": (
        ERROR,
        "建会企业数（{value}）大于涉及企业数。请核对这两个数。",
        "Unions founded ({value}) exceeds enterprises reached. Check both numbers.",
    ),
    "applications_exceed_consultations": (
        WARNING,
        "现场申请入会人数（{value}）大于现场咨询人数，请确认。",
        "Applications ({value}) exceed consultations; please check.",
    ),
    "site_missing": (
        ERROR,
        "职工沟通会需要点位：请填写“点位编号”或“点位名称”。",
        "A worker session needs a site: fill in site_id or site_name.",
    ),
    "unknown_site": (
        ERROR,
        "点位编号“{value}”不在点位表中。请先导入点位表，或在本行填写“点位名称”以新建点位。",
        "Site '{value}' is not in the site list. Import the sites first, or fill in site_name on this row to create "
        "it.",
    ),
    "site_other_district": (
        WARNING,
        "点位“{value}”登记在另一个区；本场次按所填的区计。",
        "Site '{value}' is registered in another district; this session is counted in the district given.",
    ),
    "new_site": (
        WARNING,
        "点位“{value}”是新点位，将随本次导入一起建立。",
        "Site '{value}' is new and will be created with this import.",
    ),
    "bad_coord": (
        ERROR,
        "坐标“{value}”不是数字。请填小数度数，如 39.909 / 116.456。",
        "Coordinate '{value}' is not a number. Enter decimal degrees such as 39.909 / 116.456.",
    ),
    "coord_outside": (
        ERROR,
        "坐标（{value}）不在北京范围内。请检查是否填反了纬度和经度。",
        "Coordinates ({value}) are outside Beijing. Check that latitude and longitude are not swapped.",
    ),
    "coord_half": (ERROR, "纬度和经度要么都填，要么都不填。", "Fill in both latitude and longitude, or neither."),
    "coord_other_district": (
        WARNING,
        "坐标（{value}）不在所填的区内。请核对区或坐标（高德地图的坐标，上传时请勾选“坐标来自高德地图”）。",
        "Coordinates ({value}) are not inside the district given. Check the district or the coordinates (for Gaode "
        "coordinates, tick 'Coordinates are from Gaode' when uploading, or use --coords gcj02 on the command line).",
    ),
    "unknown_site_type": (
        WARNING,
        "点位类型“{value}”不在标准类型中，将作为新类型保存。",
        "Site type '{value}' is not a standard type; it is kept as a type of its own.",
    ),
    "duplicate_conflict": (
        ERROR,
        "同一场次（{value}）在第 {rows} 行重复出现且内容不同。请删去错误的一行；若确是不同的场次，"
        "请填写不同的“场次编号”。",
        "The same session ({value}) appears on rows {rows} with different values. Delete the wrong row; if they are "
        "different sessions, give each its own session_id.",
    ),
    "duplicate_same": (
        WARNING,
        "同一场次（{value}）在第 {rows} 行重复出现，内容相同，只计一次。",
        "The same session ({value}) appears on rows {rows} with identical values; it is counted once.",
    ),
    "duplicate_site": (
        ERROR,
        "点位编号“{value}”在第 {rows} 行重复出现且内容不同。请删去错误的一行。",
        "Site '{value}' appears on rows {rows} with different values. Delete the wrong row.",
    ),
    "credit_code_length": (
        ERROR,
        "统一社会信用代码“{value}”应为 18 位，请核对营业执照后改正，或留空（将按区和名称识别企业）。",
        "Credit code '{value}' must have 18 characters. Check the business licence and correct it, or leave it blank "
        "(the enterprise is then known by district and name).",
    ),
    "credit_code_character": (
        ERROR,
        "统一社会信用代码“{value}”含有不允许的字符（只用数字和除 I、O、S、V、Z 以外的大写字母）。请核对后改正。",
        "Credit code '{value}' has a character codes never use (digits and capital letters other than I, O, S, V, "
        "Z only). Check it and correct it.",
    ),
    "credit_code_check": (
        ERROR,
        "统一社会信用代码“{value}”的校验位不对（按前 17 位应为“{limit}”），多半有一位抄错了。请核对营业执照后改正。",
        "Credit code '{value}' fails its check character (the first 17 give '{limit}'): most likely one character "
        "was mistyped. Check the business licence and correct it.",
    ),
    "unknown_industry": (
        ERROR,
        "行业门类“{value}”无法识别。请填写国民经济行业分类（GB/T 4754）的门类字母 A–T 或门类名称，如 C 或 制造业。",
        "Industry '{value}' is not recognised. Write a GB/T 4754 section letter A–T or its name, such as C or 制造业.",
    ),
    "unknown_union_status": (
        ERROR,
        "建会状态“{value}”无法识别。请填写 未建会、已建会 或 联合工会。",
        "Union status '{value}' is not recognised. Write 未建会 (none), 已建会 (founded) or 联合工会 (joint).",
    ),
    "founded_without_date": (
        WARNING,
        "标为已建会但没有建会日期；知道日期的话请补上，便于统计建会率。",
        "Marked as founded without a founding date; add it if known, so founding rates can be counted.",
    ),
    "date_without_founding": (
        ERROR,
        "填写了建会日期，但建会状态不是“已建会”或“联合工会”。请改正其中一项。",
        "A founding date is given but the union status is not 已建会 (founded) or 联合工会 (joint union). Correct one "
        "of them.",
    ),
    "unknown_enterprise": (
        ERROR,
        "企业编号“{value}”不在您负责范围的企业名录中。请核对统一社会信用代码或名录编号；新企业请先在“企业名录”中导入。"
        "如果导入名录时这家企业被告知“已在其他区域登记”，请联系系统管理员核实并迁移。",
        "Enterprise id '{value}' is not in the register of your districts. Check the credit code or register id; "
        "import a new enterprise into the register first. If the register import said this code is registered in "
        "another area, ask an administrator to check it and move it.",
    ),
    "enterprise_taken": (
        ERROR,
        "统一社会信用代码（或名录编号）“{value}”已登记在其他区域的企业名录中，这一行没有导入，那里的记录也没有改动。"
        "如这家企业确在您负责的区域，请联系系统管理员（管理 → 归属迁移）核实后迁移；"
        "其余各行可以勾选“跳过有错误的行”后导入。",
        "The credit code (or register id) '{value}' is already in another area's register: this row was not "
        "imported and that record was not changed. If the enterprise is in your area, ask an administrator to check "
        "it and move it (Admin → Move a record); tick 'skip rows with errors' to import the other rows.",
    ),
    "site_taken": (
        ERROR,
        "点位编号“{value}”已被其他区域的点位使用，这一行没有导入。请给这个点位换一个编号（例如在前面加上本区或街道的简称），"
        "或请系统管理员核实；其余各行可以勾选“跳过有错误的行”后导入。",
        "The site id '{value}' is already used by another area's site: this row was not imported. Give the site "
        "another id (for instance with your district's or street's short name in front), or ask an administrator; "
        "tick 'skip rows with errors' to import the other rows.",
    ),
    "credit_code_other_area": (
        ERROR,
        "统一社会信用代码“{value}”由{label}的登记机关发放，{label}不在您负责的范围内，这一行没有导入。"
        "如这家企业确已迁到本区，请联系系统管理员导入或迁移（管理 → 归属迁移）；"
        "其余各行可以勾选“跳过有错误的行”后导入。",
        "Credit code '{value}' was issued by {label_en}'s registration office, outside your area: this row was not "
        "imported. If the enterprise has moved to your district, ask an administrator to import or move it (Admin → "
        "Move a record); tick 'skip rows with errors' to import the other rows.",
    ),
    "credit_code_other_district": (
        WARNING,
        "统一社会信用代码“{value}”由{label}的登记机关发放，与这一行的所属区不同。企业迁址后代码不变，所以这只是提醒："
        "请确认这家企业确在这一行所写的区；如不是，请删去这一行，以免占用它所在区的名录。",
        "Credit code '{value}' was issued by {label_en}'s registration office, not this row's district's. A code "
        "stays the same when an enterprise moves, so this is only a reminder: make sure the enterprise is in the "
        "district this row gives; if not, delete the row so that it does not take its own district's record.",
    ),
    "unknown_outcome": (
        ERROR,
        "沟通结果“{value}”无法识别。请填写 已沟通、有意向、已建会 或 暂不建会（加入联合工会请写 联合建会）。",
        "Outcome '{value}' is not recognised. Write 已沟通 (met), 有意向 (interested), 已建会 (founded) or 暂不建会 "
        "(not for now); 联合建会 for joining a joint union.",
    ),
    "visit_founded_without_date": (
        ERROR,
        "沟通结果为已建会，但没有填建会日期。请填写工会成立的日期。",
        "The outcome is 已建会 (founded) but no founding date is given. Write the date the union was founded.",
    ),
    "founded_without_members": (
        ERROR,
        "沟通结果为已建会，但没有填建会会员数。请填写建会时入会的人数（不知道请填0）。",
        "The outcome is 已建会 (founded) but the members at founding are missing. Write how many joined "
        "(0 if not known).",
    ),
    "visit_date_without_founding": (
        ERROR,
        "填写了建会日期或建会会员数，但沟通结果不是“已建会”。请改正其中一项。",
        "A founding date or members at founding are given, but the outcome is not 已建会 (founded). Correct one.",
    ),
    "founded_before_visit": (
        ERROR,
        "建会日期“{value}”早于这次沟通的日期。请把建会记在建会前最后一次沟通的那一行，或改正日期。",
        "Founding date '{value}' is before this visit. Record the founding on the last visit before it, "
        "or correct the date.",
    ),
    "members_exceed_staff": (
        ERROR,
        "建会会员数 {value} 超过该企业登记的员工数 {limit}。请核对人数，或先在企业名录中更新员工数。",
        "Members at founding ({value}) exceed the enterprise's registered staff ({limit}). Check the number, or "
        "update the staff count in the register first.",
    ),
    "id_separator": (
        ERROR,
        "企业编号“{value}”含有顿号“、”（计划中用它分隔联合建会的各家企业）。请去掉或换成“-”。",
        "The enterprise id '{value}' contains 、, which separates a joint group's enterprises in plans. Remove it or "
        "use '-'.",
    ),
    "head_office_self": (
        WARNING,
        "上级单位统一社会信用代码与本企业自己的代码相同，已忽略。总部本身不用填这一列。",
        "The head office's credit code is the enterprise's own; it is ignored. A head office leaves this column blank.",
    ),
    "reason_unmapped": (
        WARNING,
        "暂不建会原因“{value}”不属于常见原因，已原样保存并计为“其他”。常见原因：{limit}。",
        "The reason '{value}' is none of the common ones; it is kept as typed and counted as 'other'. The common "
        "reasons: {limit}.",
    ),
    "declined_without_reason": (
        ERROR,
        "沟通结果为暂不建会，请在“暂不建会原因”中写明原因（如：员工不足25人、负责人不同意、企业迁出）。",
        "The outcome is 暂不建会 (not for now): write why in the reason column (e.g. fewer than 25 staff, the head "
        "disagrees, the enterprise moved).",
    ),
    "unknown_service": (
        ERROR,
        "服务包“{value}”不在服务包清单中。可选：{limit}。多个服务包用顿号分隔；清单可由管理员在“管理”页增补。",
        "Service package '{value}' is not in the list. Choose from: {limit}. Separate several with 、 or commas; "
        "an admin can add to the list on the Admin page.",
    ),
    "already_founded": (
        ERROR,
        "该企业已于 {limit} 建会，不能再记一次建会。若日期有误，请改正原来那一行；建会后的回访请记为“已沟通”。",
        "This enterprise already founded its union on {limit}; a second founding cannot be recorded. Correct the "
        "original row if the date is wrong; record visits after founding as 已沟通 (met).",
    ),
    "founded_twice": (
        ERROR,
        "同一家企业“{value}”在第 {rows} 行都记为已建会。一家企业只建会一次：请只保留一行。",
        "Enterprise '{value}' is recorded as founded on rows {rows}. An enterprise founds its union once: "
        "keep one row.",
    ),
    "visit_after_founding": (
        WARNING,
        "该企业已于 {limit} 建会；这次沟通照常记录，不改变其建会状态。",
        "This enterprise founded its union on {limit}; the visit is recorded and does not change its status.",
    ),
    "unknown_session": (
        ERROR,
        "场次编号“{value}”不是您负责范围内已登记的企业沟通会。请核对编号，或先导入该场次，或留空。",
        "Session id '{value}' is not an enterprise session recorded in your districts. Check the id, import the "
        "session first, or leave it blank.",
    ),
    "session_other_date": (
        ERROR,
        "场次“{value}”在 {limit} 开展，与这一行的沟通日期不同。请改正日期或场次编号。",
        "Session '{value}' was held on {limit}, not on this row's date. Correct the date or the session id.",
    ),
    "duplicate_visit": (
        ERROR,
        "企业“{value}”同一天的沟通在第 {rows} 行重复出现且内容不同。请删去错误的一行。",
        "Enterprise '{value}' has visits on the same day on rows {rows} with different values. Delete the wrong row.",
    ),
    "name_mismatch": (
        WARNING,
        "这个企业编号在名录中的名称是“{limit}”，与本行的“{value}”不同。请核对编号是否填错。",
        "This enterprise id is registered as '{limit}', not '{value}' as on this row. Check that the id is right.",
    ),
    "register_founding_kept": (
        WARNING,
        "该企业已由沟通记录登记为 {limit} 建会；名录中的建会状态以沟通记录为准。若建会有误，请改正那条沟通记录。",
        "This enterprise's founding on {limit} is recorded by a visit; the register keeps it. If the founding is "
        "wrong, correct that visit.",
    ),
    "duplicate_enterprise": (
        ERROR,
        "企业“{value}”在第 {rows} 行重复出现且内容不同。请删去错误的一行。",
        "Enterprise '{value}' appears on rows {rows} with different values. Delete the wrong row.",
    ),
}


@dataclass(frozen=True)
class Problem:
    code: str
    severity: str
    zh: str
    en: str
    row: int | None = None  # the spreadsheet row number the user sees; None for the whole file
    column: str | None = None  # the header as written in the file
    value: str | None = None
    of: str | None = None  # a "more of the same" note: the code of the kind it counts
    more: int = 0  # ... and how many of that kind it counts

    def text(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "severity": self.severity,
            "code": self.code,
            "message_zh": self.zh,
            "message_en": self.en,
        }


def problem(
    code: str,
    *,
    row: int | None = None,
    column: str | None = None,
    value: object = None,
    label: str = "",
    label_en: str = "",
    rows: str = "",
    limit: str = "",
    limit_en: str = "",
) -> Problem:
    """Build a :class:`Problem` from the catalogue; ``label``/``label_en`` name the column in each language, and
    ``limit_en`` is the English message's ``limit`` where it is words (default: ``limit``)."""
    severity, zh, en = CATALOGUE[code]
    full = "" if value is None else str(value)
    shown = full[:57] + "…" if len(full) > 60 else full
    fields = {
        "value": shown,
        "label": label or (column or ""),
        "label_en": label_en or label or (column or ""),
        "rows": rows,
        "limit": limit,
        "value_len": f"{len(full):,}",
    }
    kept = (
        None if value is None else full[:200] + ("…" if len(full) > 200 else "")
    )  # a 100,000-character cell stays out of the report
    english = en.format(**{**fields, "limit": limit_en or limit})
    return Problem(code, severity, zh.format(**fields), english, row, column, kept)


MAX_LISTED = 100  # problems of one kind listed one by one; the rest are counted in one note


class ProblemLog:
    """Problems as they are found: at most :data:`MAX_LISTED` of each kind are kept, the rest only counted.

    A file of a million bad cells gets a readable report, and the importer never builds a million messages.
    """

    def __init__(self, initial: Iterable[Problem] = ()):
        self.items: list[Problem] = []
        self.counts: Counter[str] = Counter()
        for p in initial:
            self.add(p)

    def room(self, code: str) -> int:
        """How many more problems of ``code`` will be listed."""
        return max(0, MAX_LISTED - self.counts[code])

    def add(self, p: Problem) -> None:
        self.counts[p.code] += 1
        if self.counts[p.code] <= MAX_LISTED:
            self.items.append(p)

    def count(self, code: str, n: int) -> None:
        """``n`` more problems of ``code`` that are not listed."""
        self.counts[code] += n

    def listed(self) -> list[Problem]:
        """The listed problems and, for each kind with more, a note saying how many more."""
        notes = []
        for code, n in self.counts.items():
            if n > MAX_LISTED:
                last = [p for p in self.items if p.code == code][-1]
                note = problem(
                    "more_problems" if last.severity == ERROR else "more_notes",
                    value=f"{n - MAX_LISTED:,}",
                    rows=str(last.row or ""),
                    label=last.zh,
                    label_en=last.en,
                )
                notes.append(dataclasses.replace(note, of=code, more=n - MAX_LISTED))
        return self.items + notes
