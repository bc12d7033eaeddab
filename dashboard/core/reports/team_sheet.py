"""A team's printable sheet: its sessions in order, where each is (with links that open 高德, 百度 or Apple Maps),
what to expect, and blank columns in the order of the results sheet, so copying the numbers across is one row to
one row. A saved plan's sheet carries the team lead's link as a QR code: scanning it opens the phone page.

Every value is escaped: site and team names are user text.
"""

from __future__ import annotations

import html

import pandas as pd

from dashboard.core.geo import navigation

# a visit's columns, in the order of the visits file (企业沟通记录)
VISIT_RESULT_HEADS = (
    ("沟通结果", "Outcome"),
    ("建会会员数", "Members at founding"),
    ("暂不建会原因", "Why not now"),
    ("备注", "Notes"),
)
# the results sheet's columns a team fills in, in its order (plans.results_template)
RESULT_HEADS = (
    ("工作人员数", "Staff"),
    ("现场咨询人数", "Consulted"),
    ("现场申请入会人数", "Applied"),
    ("发展会员数", "Members"),
    ("备注（未开展写原因）", "Notes (if not held, why)"),
)


def qr_svg(url: str) -> str:
    """The link as an SVG QR code (error correction M: survives a crease in the paper)."""
    import segno

    return str(segno.make(url, error="m").svg_inline(scale=4, dark="#000", light="#fff"))


def qr_png(url: str) -> bytes:
    """The link as a PNG QR code, for a page to show."""
    import io

    import segno

    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=6, border=2)
    return buffer.getvalue()


def html_sheet(
    rows: pd.DataFrame,
    team: int,
    title: str,
    lang: str = "zh",
    team_name: str | None = None,
    link: str | None = None,
) -> str:
    """One team's sessions of a plan as a page to print (A4 landscape). ``rows``: the plan's rows (``team, date,
    start_time, end_time, site_name, lat, lon, expected_applications`` and, for a saved plan, ``session_id``)."""
    zh = lang == "zh"
    mine = rows[rows["team"].astype(int) == int(team)].sort_values(["date", "start_time"])
    saved = "session_id" in mine.columns
    visits = "enterprise_id" in mine.columns and mine["enterprise_id"].notna().any()
    if visits:
        mine = mine.sort_values(["date", "route_order"])
    heads = [("场次编号", "Session id")] if saved and not visits else []
    if visits:
        heads += [("日期", "Date"), ("顺序", "Stop"), ("企业", "Enterprise"), ("导航", "Directions")]
        heads += [("建会概率", "P(found)")]
    else:
        heads += [
            ("日期", "Date"),
            ("时间", "Time"),
            ("点位", "Site"),
            ("导航", "Directions"),
            ("预计申请", "Expected"),
        ]
    results = VISIT_RESULT_HEADS if visits else RESULT_HEADS
    heads += list(results)
    body = []
    for r in mine.to_dict("records"):
        links = navigation.links(r.get("lat"), r.get("lon"), str(r.get("site_name") or ""))
        nav = " ".join(
            f'<a href="{html.escape(links[key])}">{html.escape(zh_name if zh else en_name)}</a>'
            for key, zh_name, en_name in navigation.APPS
            if key in links
        )
        if visits:
            chance = r.get("probability")
            cells = [
                html.escape(str(r["date"])[:10]),
                html.escape(str(r.get("route_order") or "")),
                html.escape(str(r.get("site_name") or "")),
                nav,
                "" if chance is None or pd.isna(chance) else f"{float(chance):.0%}",
                *([""] * len(results)),
            ]
        else:
            expected = r.get("expected_applications")
            cells = [html.escape(str(r["session_id"]))] if saved else []
            cells += [
                html.escape(str(r["date"])[:10]),
                html.escape(f"{r['start_time']}–{r['end_time']}"),
                html.escape(str(r.get("site_name") or r.get("site_id") or "")),
                nav,
                "" if expected is None or pd.isna(expected) else html.escape(f"{float(expected):.0f}"),
                *([""] * len(results)),
            ]
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{html.escape(zh_head if zh else en_head)}</th>" for zh_head, en_head in heads)
    who = team_name or (f"第{team}组" if zh else f"Team {team}")
    caption = html.escape(f"{title} · {who}")
    phone = ""
    if link:
        words = (
            "组长用手机扫码，即可查看本组场次、导航，并在现场填报结果（网络中断也不会丢失）。"
            if zh
            else "The team lead scans this to see the team's sessions, get directions and enter results on the spot."
        )
        phone = f'<div class="qr">{qr_svg(link)}<p>{html.escape(words)}<br><code>{html.escape(link)}</code></p></div>'
    return (
        f'<!doctype html><html lang="{"zh-CN" if zh else "en"}"><head><meta charset="utf-8">'
        '<meta name="referrer" content="no-referrer"><title>'
        f"{caption}</title><style>body{{font-family:sans-serif;margin:1cm}}"
        "table{border-collapse:collapse;width:100%;font-size:10.5pt}"
        "th,td{border:1px solid #444;padding:5px;vertical-align:top}th{background:#eee}"
        "td:nth-last-child(-n+5){min-width:4.5em}td a{margin-right:.6em}"
        ".qr{display:flex;gap:1em;align-items:center;margin:0 0 .8em}.qr svg{width:3.2cm;height:3.2cm}"
        "code{font-size:8pt;word-break:break-all}@page{size:A4 landscape;margin:1cm}</style></head>"
        f"<body><h1>{caption}</h1>{phone}<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
        "</table></body></html>"
    )
