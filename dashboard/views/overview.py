"""总览 Overview: headline numbers from the stored sessions (the full pages arrive with the dashboard issue)."""

import datetime as dt

import streamlit as st

from dashboard import resources
from dashboard.core import districts
from dashboard.i18n import lang, t

st.title(t("北京市工会“双沟通”外联规划", "Beijing trade unions: outreach planning"))
first, last = resources.data_range()
if first is None:
    st.info(t("数据库中还没有场次记录。请用 `python -m dashboard sessions import 文件` 导入。", "No sessions stored yet. Import them with `python -m dashboard sessions import FILE`."))
    st.stop()

options = [None] + [d.adcode for d in districts.DISTRICTS]
district = st.selectbox(
    t("区", "District"),
    options,
    format_func=lambda code: t("全市", "All Beijing") if code is None else districts.name(code, lang()),
)
span = st.date_input(t("日期范围", "Date range"), (first, last), min_value=dt.date(2018, 1, 1), max_value=last)
date_from, date_to = (span[0], span[1]) if isinstance(span, tuple) and len(span) == 2 else (first, last)
k = resources.totals(district, date_from, date_to)

CARDS = {
    t("职工沟通会", "Worker sessions"): [
        (t("场次", "Sessions"), "worker_sessions"),
        (t("现场咨询人数", "Consultations"), "consultations"),
        (t("现场申请入会人数", "On-site applications"), "applications"),
        (t("发展会员数（合计）", "Members developed (all)"), "members_total"),
    ],
    t("企业沟通会", "Enterprise sessions"): [
        (t("场次", "Sessions"), "enterprise_sessions"),
        (t("涉及企业数", "Enterprises reached"), "enterprises_reached"),
        (t("建会企业数", "Unions founded"), "unions_founded"),
        (t("建会发展会员", "Members via founded unions"), "members_from_enterprise_sessions"),
    ],
}
for heading, cards in CARDS.items():
    st.subheader(heading)
    for column, (label, key) in zip(st.columns(len(cards)), cards):
        column.metric(label, f"{k[key]:,}")
st.caption(t(f"数据范围：{first} 至 {last}", f"Data from {first} to {last}"))
