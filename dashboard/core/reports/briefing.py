"""The leader's report: one page for a period and a scope, as a printable PDF and as a formatted Excel workbook.

:func:`build` gathers the figures (headline totals with 同比 and 环比, the funnel's rates, progress against the
year's targets, the district ranking); :func:`to_pdf` and :func:`to_xlsx` lay them out. Both carry the period,
the scope, the day the data run to and who made the report, so a printout handed on says what it covers.

The PDF embeds a subset of a Chinese font found on the machine (:func:`cjk_font`): Noto Sans CJK or WenQuanYi
on Linux (``apt-get install fonts-noto-cjk``), Microsoft YaHei, SimHei or SimSun on Windows, or any TrueType or
OpenType file named by ``OUTREACH_PDF_FONT``. Nothing is fetched.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from dashboard.core.export import safe_cell
from dashboard.core.geo import areas
from dashboard.core.reports import enterprises as enterprises_register
from dashboard.core.reports import freshness, ics, kpi, periods, pipeline, queries, targets

# the headline rows of the report, in the order a leader reads them: the totals without the members' split by type
ROWS = kpi.KPI_FIELDS[: kpi.KPI_FIELDS.index("members_total") + 1]

# (path, index in a font collection); the first that exists is used
FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # Debian/Ubuntu fonts-noto-cjk; 2 = SC
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),  # Fedora, Arch
    ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc", 0),
    ("C:/Windows/Fonts/msyh.ttc", 0),
    ("C:/Windows/Fonts/simhei.ttf", 0),
    ("C:/Windows/Fonts/simsun.ttc", 0),
    ("/System/Library/Fonts/PingFang.ttc", 0),
    ("/System/Library/Fonts/STHeiti Medium.ttc", 0),
)


class NoChineseFont(RuntimeError):
    """No font with Chinese characters on this machine: the PDF cannot be made (the Excel report still can)."""

    zh = (
        "本机没有中文字体，无法生成 PDF。请管理员安装中文字体（如 apt-get install fonts-noto-cjk），"
        "或用环境变量 OUTREACH_PDF_FONT 指定字体文件。Excel 版报告不受影响。"
    )
    en = (
        "No Chinese font on this machine, so no PDF. An admin can install one (apt-get install fonts-noto-cjk) or "
        "name a font file in OUTREACH_PDF_FONT. The Excel report still works."
    )


def cjk_font() -> tuple[Path, int] | None:
    """The font file (and its index in a collection) the PDF is set in, or None when the machine has none."""
    named = os.environ.get("OUTREACH_PDF_FONT", "").strip()
    if named:
        path, _, face = named.partition("#")  # "file.ttc#2" picks a face in a collection
        return (Path(path), int(face or 0)) if Path(path).is_file() else None
    for path, index in FONT_CANDIDATES:
        if Path(path).is_file():
            return Path(path), index
    return None


@dataclass(frozen=True)
class Briefing:
    """What the report says; every frame already within the reader's scope."""

    comparison: periods.Comparison
    scope_zh: str
    scope_en: str
    totals: pd.DataFrame  # kpi.compare, like for like
    dates: freshness.Freshness  # each district's data date: who is behind
    ranking: pd.DataFrame  # district_ranking
    progress: pd.DataFrame | None  # targets.progress for the period's year, None when no targets apply
    monthly: pd.DataFrame  # queries.monthly over the period
    made_at: dt.datetime
    made_by: str
    # district_ranking of the streets, when the report is of one district (or streets in it)
    streets: pd.DataFrame | None = None
    # pipeline.compare: the enterprise funnel with 同比 and 环比; None when the scope has no enterprise visits
    enterprise: pd.DataFrame | None = None

    @property
    def yearly(self) -> bool:
        """A year's 环比 is the year before, the same as its 同比: the report shows it once."""
        return self.period.kind == "year"

    def notes(self, lang: str = "zh") -> list[str]:
        """What a reader must know before reading the figures: the districts whose data stop early."""
        late = self.dates.note(lang)
        return [late] if late else []

    @property
    def period(self) -> periods.Period:
        return self.comparison.period

    def title(self, lang: str = "zh") -> str:
        if lang == "zh":
            return f"双沟通工作简报 · {self.scope_zh} · {self.period.label('zh')}"
        return f"Outreach briefing · {self.scope_en} · {self.period.label('en')}"

    def subtitle(self, lang: str = "zh") -> str:
        a, b = self.comparison.current
        made = self.made_at.astimezone(ics.BEIJING).strftime("%Y-%m-%d %H:%M")
        if lang == "zh":
            to_date = "（截至数据最后一天，对比期取相同天数）" if self.comparison.partial else ""
            return f"统计区间 {a:%Y-%m-%d} 至 {b:%Y-%m-%d}{to_date} · 生成于 {made}（北京时间） · 生成人 {self.made_by}"
        to_date = " (to the last day with data; comparisons cover as many days)" if self.comparison.partial else ""
        return f"{a} – {b}{to_date} · made {made} Beijing time by {self.made_by}"


def district_ranking(stats: pd.DataFrame) -> pd.DataFrame:
    """Districts (or a district's streets) ranked by on-site applications (ties by members), with 名次 from 1."""
    out = stats.sort_values(["applications", "members"], ascending=False, kind="stable").reset_index(drop=True)
    out.insert(0, "rank", range(1, len(out) + 1))
    return out


def scope_names(district: str | tuple[str, ...] | None) -> tuple[str, str]:
    if district is None:
        return "全市", "Beijing (all districts)"
    return areas.names(district, "zh"), areas.names(district, "en")


def build(
    engine: sa.Engine,
    period: periods.Period,
    *,
    district: str | tuple[str, ...] | None = None,
    as_of: dt.date | None = None,
    with_targets: bool = True,
    made_by: str = "",
) -> Briefing:
    """The report's figures for ``period`` read up to ``as_of`` in ``district`` (None: the whole city).

    ``with_targets`` is False where the reader may not see the targets of the scope asked for (a planner with
    several districts and none chosen): targets are set for the city or for one district.
    """
    dates = freshness.data_dates(engine, district).up_to(as_of)
    comparison = periods.compare(period, dates.last if as_of is None else min(as_of, dates.last or as_of))
    a, b = comparison.current
    ranking = district_ranking(queries.district_stats(engine, a, b, district))
    progress = None
    if with_targets and (district is None or isinstance(district, str)):
        progress = targets.progress(engine, period.end.year, district, today=b)
        if progress["target"].isna().all():
            progress = None
    zh, en = scope_names(district)
    touched = areas.districts_in(district)
    streets = None
    if touched is not None and len(touched) == 1:  # one district, or streets of one: break it down by street
        streets = district_ranking(queries.street_stats(engine, touched[0], a, b, within=district))
    register = enterprises_register.read(engine, district, only=("enterprise_id", "staff"))
    visits = pipeline.read_visits(engine, district)
    enterprise = pipeline.compare(register, visits, comparison) if len(visits) else None
    return Briefing(
        enterprise=enterprise,
        streets=streets,
        comparison=comparison,
        scope_zh=zh,
        scope_en=en,
        totals=kpi.compare(engine, period, district, dates),
        dates=dates,
        ranking=ranking,
        progress=progress,
        monthly=freshness.mark_months(queries.monthly(engine, a, b, district), dates),
        made_at=dt.datetime.now(dt.UTC),
        made_by=made_by,
    )


def _label(metric: str, lang: str) -> str:
    zh, en = kpi.LABELS[metric]
    return zh if lang == "zh" else en


def percent(x: float | None, signed: bool = False) -> str:
    """A share or change as people read it on every page and report: 25.8%, +5.1%, or — when there is none."""
    if x is None or pd.isna(x):
        return "—"
    return f"{x:+.1%}" if signed else f"{x:.1%}"


def _h(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def tables(b: Briefing, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """The report's tables with headers in ``lang`` and numbers left as numbers (the layouts format them)."""
    t = b.totals.set_index("metric")
    columns = {
        _h(lang, "指标", "Measure"): [_label(m, lang) for m in ROWS],
        _h(lang, "本期", "This period"): [int(t.at[m, "current"]) for m in ROWS],
        _h(lang, "去年同期", "Same period last year"): [int(t.at[m, "year_before"]) for m in ROWS],
        _h(lang, "同比", "Year on year"): [t.at[m, "yoy"] for m in ROWS],
    }
    if not b.yearly:
        columns[_h(lang, "上期", "Previous period")] = [int(t.at[m, "previous"]) for m in ROWS]
        columns[_h(lang, "环比", "Period on period")] = [t.at[m, "pop"] for m in ROWS]
    headline = pd.DataFrame(columns)
    r = b.ranking
    ranking = pd.DataFrame(
        {
            _h(lang, "名次", "Rank"): r["rank"],
            _h(lang, "区", "District"): r["name_zh"] if lang == "zh" else r["name_en"],
            _label("worker_sessions", lang): r["worker_sessions"],
            _label("applications", lang): r["applications"],
            _h(lang, "咨询转化率", "Conversion"): r["conversion"],
            _label("enterprise_sessions", lang): r["enterprise_sessions"],
            _label("unions_founded", lang): r["unions_founded"],
            _label("members_total", lang): r["members"],
        }
    )
    out = {_h(lang, "主要指标", "Headline"): headline}
    if b.progress is not None:
        p = b.progress
        out[_h(lang, f"{b.period.end.year}年度目标", f"{b.period.end.year} targets")] = pd.DataFrame(
            {
                _h(lang, "指标", "Measure"): [_label(m, lang) for m in p["metric"]],
                _h(lang, "年度目标", "Target"): [None if pd.isna(x) else int(x) for x in p["target"]],
                _h(lang, "已完成", "Achieved"): p["achieved"].astype(int),
                _h(lang, "完成率", "Share achieved"): p["share"],
                _h(lang, "时间进度", "Share of year elapsed"): p["year_elapsed"],
            }
        )
    out[_h(lang, "各区排名", "District ranking")] = ranking
    if b.streets is not None and len(b.streets):
        s = b.streets
        out[_h(lang, "各街道（乡镇）排名", "Streets and townships")] = pd.DataFrame(
            {
                _h(lang, "名次", "Rank"): s["rank"],
                _h(lang, "街道（乡镇）", "Street"): s["name"],
                _label("worker_sessions", lang): s["worker_sessions"],
                _label("applications", lang): s["applications"],
                _h(lang, "咨询转化率", "Conversion"): s["conversion"],
                _label("enterprise_sessions", lang): s["enterprise_sessions"],
                _label("unions_founded", lang): s["unions_founded"],
                _label("members_total", lang): s["members"],
            }
        )
    return out


def rates(b: Briefing, lang: str = "zh") -> str:
    """The funnel in one sentence: consultation → application, enterprise → union founded."""
    t = b.totals.set_index("metric")["current"]
    conv_rate = t["applications"] / t["consultations"] if t["consultations"] else None
    founded = t["unions_founded"] / t["enterprises_reached"] if t["enterprises_reached"] else None
    if lang == "zh":
        return f"现场咨询→申请入会转化率 {percent(conv_rate)}；涉及企业→建会 {percent(founded)}。"
    return f"Consultation → application {percent(conv_rate)}; enterprise reached → union founded {percent(founded)}."


PERCENT_COLUMNS = {"同比", "环比", "咨询转化率", "完成率", "时间进度"} | {
    "Year on year",
    "Period on period",
    "Conversion",
    "Share achieved",
    "Share of year elapsed",
}
SIGNED_COLUMNS = {"同比", "环比", "Year on year", "Period on period"}


def _cell_text(column: str, value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    if column in PERCENT_COLUMNS:
        return percent(float(value), signed=column in SIGNED_COLUMNS)  # type: ignore[arg-type]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{int(value):,}"
    return str(value)


# relative column widths of the PDF's tables, by their number of columns: headline, targets, ranking
COLUMN_WIDTHS = {
    6: (30, 14, 16, 12, 14, 14),
    5: (30, 17, 17, 17, 19),
    4: (34, 22, 22, 22),
    8: (8, 16, 16, 18, 14, 16, 14, 16),
}
PDF_STREETS = 15  # the streets a one-page PDF lists (the workbook lists them all)


ENTERPRISE_ROWS = (
    ("visited", "走访企业", "Enterprises visited"),
    ("interested", "有意向或建会", "Interested or founded"),
    ("founded", "经沟通建会", "Founded after visits"),
    ("members", "建会时入会人数", "Members at founding"),
)


def _trend(pdf: Any, b: Briefing, x: float, y: float, w: float, h: float, lang: str) -> None:
    """The period's monthly applications as a line: solid where every district has reported, dashed and hollow
    where some has not yet (a late report is not a fall)."""
    months = b.monthly
    pdf.set_font("cjk", size=9)
    pdf.set_xy(x, y)
    pdf.cell(w, 5, _h(lang, "月度趋势：现场申请入会人数", "Monthly: on-site applications"))
    top, bottom, left, right = y + 8, y + h - 7, x + 10, x + w - 2
    pdf.set_draw_color(170, 170, 170)
    pdf.line(left, bottom, right, bottom)
    if months.empty:
        return
    values = months["applications"].astype(float).tolist()
    complete = months["complete"].astype(bool).tolist() if "complete" in months else [True] * len(values)
    peak = max(max(values), 1.0)
    step = (right - left) / max(len(values) - 1, 1)
    points = [(left + i * step, bottom - (v / peak) * (bottom - top)) for i, v in enumerate(values)]
    pdf.set_font("cjk", size=6.5)
    pdf.set_text_color(110, 110, 110)
    pdf.set_xy(x, top - 2)
    pdf.cell(10, 3, f"{int(peak):,}", align="R")
    pdf.set_xy(x, bottom - 2)
    pdf.cell(10, 3, "0", align="R")
    pdf.set_line_width(0.5)
    for i in range(1, len(points)):
        if complete[i]:
            pdf.set_draw_color(31, 119, 180)
            pdf.set_dash_pattern()
        else:
            pdf.set_draw_color(150, 160, 170)
            pdf.set_dash_pattern(dash=1.2, gap=1)
        pdf.line(*points[i - 1], *points[i])
    pdf.set_dash_pattern()
    pdf.set_line_width(0.2)
    every = max(1, len(points) // 12 + (1 if len(points) % 12 else 0))  # at most about 12 labels
    for i, ((px, py), done) in enumerate(zip(points, complete, strict=True)):
        if done:
            pdf.set_fill_color(31, 119, 180)
            pdf.circle(x=px, y=py, radius=0.8, style="F")
        else:
            pdf.set_draw_color(150, 160, 170)
            pdf.circle(x=px, y=py, radius=0.8, style="D")
        if i % every == 0 or i == len(points) - 1:
            month = pd.Timestamp(months["month"].iloc[i])
            pdf.set_xy(px - 6, bottom + 0.8)
            pdf.cell(12, 3, f"{month.month}月" if lang == "zh" else f"{month:%b}", align="C")
    if not all(complete):
        pdf.set_xy(left, bottom + 3.8)
        pdf.cell(w - 12, 3, _h(lang, "虚线、空心点：尚有区未报完的月份", "dashed, hollow: months not fully reported"))
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)


def _enterprise_funnel(pdf: Any, b: Briefing, x: float, y: float, w: float, lang: str) -> None:
    """The enterprise side in bars: visited, interested, founded, members at founding, each with its 同比."""
    pdf.set_font("cjk", size=9)
    pdf.set_xy(x, y)
    pdf.cell(w, 5, _h(lang, "企业建会进展", "Enterprises: visits to unions"))
    if b.enterprise is None:
        pdf.set_font("cjk", size=7.5)
        pdf.set_xy(x, y + 7)
        pdf.cell(w, 4, _h(lang, "本期没有企业沟通记录。", "No enterprise visits recorded."))
        return
    frame = b.enterprise.set_index("metric")
    counts = [float(frame.at[key, "current"]) for key, _, _ in ENTERPRISE_ROWS]
    biggest = max(max(counts[:3]), 1.0)  # members are people, not enterprises: their bar has its own scale
    bar_left, bar_width = x + 26, w - 50
    pdf.set_font("cjk", size=7.5)
    for i, ((key, zh, en), value) in enumerate(zip(ENTERPRISE_ROWS, counts, strict=True)):
        row_y = y + 7 + i * 7
        pdf.set_xy(x, row_y)
        pdf.cell(26, 5, zh if lang == "zh" else en)
        share = value / (biggest if key != "members" else max(value, 1.0))
        pdf.set_fill_color(*((31, 119, 180) if key != "members" else (120, 170, 210)))
        pdf.rect(bar_left, row_y + 0.8, max(bar_width * share, 0.4), 3.4, style="F")
        yoy = frame.at[key, "yoy"]
        pdf.set_xy(bar_left + bar_width + 1, row_y)
        pdf.cell(23, 5, f"{int(value):,}  {percent(yoy, signed=True)}", align="R")
    pdf.set_xy(x, y + 7 + len(ENTERPRISE_ROWS) * 7)
    rate = frame.at["founding_rate_large", "current"]
    pdf.set_text_color(80, 80, 80)
    pdf.cell(
        w, 4, _h(lang, f"25人以上企业建会率 {percent(rate)}；右侧为同比", f"Founding rate, 25+ staff: {percent(rate)}")
    )
    pdf.set_text_color(0, 0, 0)


def to_pdf(b: Briefing, lang: str = "zh") -> bytes:
    """The report as one A4 page: title, scope and period, who is behind, the headline table, the monthly trend and
    the enterprise funnel side by side, targets, the ranking (a district's streets: the first
    :data:`PDF_STREETS`).

    Raises
    ------
    NoChineseFont
        When :func:`cjk_font` finds no font to set Chinese in.
    """
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    font = cjk_font()
    if font is None:
        raise NoChineseFont(NoChineseFont.en)
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=10)
    pdf.set_margins(14, 11, 14)
    pdf.set_title(b.title(lang))
    pdf.set_creator("outreach dashboard")
    pdf.add_font("cjk", fname=str(font[0]), collection_font_number=font[1])
    pdf.add_page()
    pdf.set_font("cjk", size=15)
    pdf.multi_cell(0, 8, b.title(lang), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=8.5)
    pdf.set_text_color(80, 80, 80)
    pdf.multi_cell(0, 4.6, b.subtitle(lang), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(170, 90, 0)
    for note in b.notes(lang):
        pdf.multi_cell(0, 4.6, note, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(1.5)
    heading = FontFace(fill_color=(232, 238, 247))

    def table(name: str, frame: pd.DataFrame, note: str = "") -> None:
        pdf.set_font("cjk", size=10.5)
        pdf.cell(0, 6, name, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=7.8 if len(frame.columns) > 6 else 8.5)
        align = ["LEFT" if i < (2 if len(frame.columns) > 6 else 1) else "RIGHT" for i in range(len(frame.columns))]
        with pdf.table(
            text_align=align,
            headings_style=heading,
            line_height=4.2,
            padding=0.7,
            first_row_as_headings=True,
            col_widths=COLUMN_WIDTHS.get(len(frame.columns)),
        ) as rows:
            rows.row([str(c) for c in frame.columns])
            for values in frame.itertuples(index=False):
                rows.row([_cell_text(str(c), v) for c, v in zip(frame.columns, values, strict=True)])
        if note:
            pdf.set_font("cjk", size=8)
            pdf.multi_cell(0, 4.4, note, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)

    sections = tables(b, lang)
    headline_name = _h(lang, "主要指标", "Headline")
    table(headline_name, sections.pop(headline_name), rates(b, lang))
    top = pdf.get_y()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    _trend(pdf, b, pdf.l_margin, top, width * 0.55, 46, lang)
    _enterprise_funnel(pdf, b, pdf.l_margin + width * 0.58, top, width * 0.42, lang)
    pdf.set_xy(pdf.l_margin, top + 48)
    streets_name = _h(lang, "各街道（乡镇）排名", "Streets and townships")
    for name, frame in sections.items():
        note = ""
        if name == streets_name and len(frame) > PDF_STREETS:
            note = _h(
                lang,
                f"前 {PDF_STREETS} 名（共 {len(frame)} 个），完整排名见 Excel 版报告。",
                f"The first {PDF_STREETS} of {len(frame)}; the Excel report lists them all.",
            )
            frame = frame.head(PDF_STREETS)
        table(name, frame, note)
    return bytes(pdf.output())


def _monthly_sheet(ws: Any, b: Briefing, lang: str) -> None:
    """Month by month within the period: the figures behind the trend chart."""
    from openpyxl.styles import Font

    columns = ("worker_sessions", "consultations", "applications", "enterprise_sessions", "unions_founded")
    ws.append([safe_cell(b.title(lang))])
    ws.append(
        [
            _h(lang, "月份", "Month"),
            *(_label(c, lang) for c in columns),
            _label("members_total", lang),
            _h(lang, "各区均已报完", "Every district reported"),
        ]
    )
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in b.monthly.itertuples(index=False):
        month = row.month
        ws.append(
            [
                f"{month.year}年{month.month}月" if lang == "zh" else f"{month:%Y-%m}",
                *(int(getattr(row, c)) for c in columns),
                int(row.members),
                _h(lang, "是", "yes") if getattr(row, "complete", True) else _h(lang, "否（尚有区未报）", "no"),
            ]
        )
        for cell in ws[ws.max_row][1:]:
            cell.number_format = "#,##0"
    ws.freeze_panes = "A3"
    ws.column_dimensions["A"].width = 12
    for letter in "BCDEFGH":
        ws.column_dimensions[letter].width = 18


def to_xlsx(b: Briefing, lang: str = "zh") -> bytes:
    """The report as a workbook: a 报告 sheet laid out like the PDF, numbers formatted, scope and period on top."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    assert ws is not None  # a new workbook has one sheet
    ws.title = _h(lang, "报告", "Report")
    ws.append([safe_cell(b.title(lang))])
    ws["A1"].font = Font(size=14, bold=True)
    ws.append([safe_cell(b.subtitle(lang))])
    ws["A2"].font = Font(size=9, color="555555")
    for note in b.notes(lang):
        ws.append([safe_cell(note)])
        ws.cell(ws.max_row, 1).font = Font(size=9, color="AA5A00")
    ws.append([])
    fill = PatternFill("solid", fgColor="E8EEF7")
    widths: dict[int, float] = {}
    for name, frame in tables(b, lang).items():
        ws.append([safe_cell(name)])
        ws.cell(ws.max_row, 1).font = Font(size=12, bold=True)
        ws.append([safe_cell(str(c)) for c in frame.columns])
        for i in range(1, len(frame.columns) + 1):
            cell = ws.cell(ws.max_row, i)
            cell.font, cell.fill = Font(bold=True), fill
            cell.alignment = Alignment(horizontal="center", wrap_text=True)
        for values in frame.itertuples(index=False):
            row: list[object] = []
            for value in values:
                if value is None or (isinstance(value, float) and pd.isna(value)):
                    row.append(None)
                elif isinstance(value, str):
                    row.append(safe_cell(value))
                else:
                    row.append(value.item() if hasattr(value, "item") else value)
            ws.append(row)
            for i, column in enumerate(frame.columns, start=1):
                cell = ws.cell(ws.max_row, i)
                if str(column) in SIGNED_COLUMNS:
                    cell.number_format = "+0.0%;-0.0%;0.0%"
                elif str(column) in PERCENT_COLUMNS:
                    cell.number_format = "0.0%"
                elif isinstance(cell.value, int | float):
                    cell.number_format = "#,##0"
        for i, column in enumerate(frame.columns, start=1):
            longest = max([len(str(column))] + [len(_cell_text(str(column), v)) for v in frame[column]])
            widths[i] = max(widths.get(i, 8), min(longest * 1.8 + 2, 40))
        if name == _h(lang, "主要指标", "Headline"):
            ws.append([safe_cell(rates(b, lang))])
        ws.append([])
    for i, width in widths.items():
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:2"
    _monthly_sheet(wb.create_sheet(_h(lang, "月度", "Monthly")), b, lang)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
