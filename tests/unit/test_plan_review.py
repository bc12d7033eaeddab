"""Plan against actual: the figures a planner reads equal a hand computation on a small plan."""

import datetime as dt

import pandas as pd
import pytest

from dashboard.core import access
from dashboard.core.access.scope import Scope
from dashboard.core.intake import ingest
from dashboard.core.reports import plans

TODAY = dt.date(2026, 11, 23)
CHAOYANG = Scope("cy", "planner", ("110105",))


@pytest.fixture
def reviewed(engine, fixture_bytes):
    ingest.import_sites(engine, fixture_bytes("sites/valid_zh.csv"), "sites.csv")
    ingest.import_sessions(
        engine, fixture_bytes("sessions/valid_zh.csv"), "may.csv", today=TODAY
    )  # CY-001: 8, CY-002: 15
    plan = pd.DataFrame(
        {
            "team": [1, 2, 1],
            "date": [dt.date(2026, 11, 2), dt.date(2026, 11, 2), dt.date(2026, 11, 3)],
            "start_time": ["09:00", "14:00", "09:00"],
            "end_time": ["11:00", "16:00", "11:00"],
            "site_id": ["CY-001", "CY-002", "CY-001"],
            "district": ["朝阳区"] * 3,
            "expected_applications": [9.5, 12.0, 7.0],
            "applications_low": [5, 8, 3],
            "applications_high": [14, 16, 11],
            "learn": [False, True, False],
            "reason": ["r"] * 3,
        }
    )
    plan_id = access.save_plan(engine, CHAOYANG, plan, "下周", {})
    sheet = access.results_template(engine, CHAOYANG, plan_id)
    sheet.loc[0, ["现场咨询人数", "现场申请入会人数", "发展会员数"]] = ["30", "11", "11"]  # inside 5-14
    sheet.loc[1, ["现场咨询人数", "现场申请入会人数", "发展会员数"]] = ["50", "20", "20"]  # above 8-16
    report = access.import_sessions(
        engine, CHAOYANG, sheet.iloc[:2].to_csv(index=False).encode(), "results.csv", today=TODAY
    )
    assert report.status == "written" and report.inserted == 2
    return engine, plan_id


def test_plan_against_actual_equals_a_hand_computation(reviewed):
    engine, plan_id = reviewed
    rows, summary = access.plan_review(engine, CHAOYANG, plan_id)
    assert summary["planned"] == 3 and summary["reported"] == 2 and summary["learning"] == 1
    assert summary["expected"] == pytest.approx(9.5 + 12.0)
    assert summary["actual"] == 11 + 20
    assert summary["coverage"] == pytest.approx(0.5)  # 11 within 5-14; 20 above 8-16
    assert summary["habit"] == pytest.approx(15 + 8)  # the two sites with the most sign-ups before, at their past means
    assert rows["covered"].tolist()[:2] == [True, False] and pd.isna(rows["covered"].iloc[2])
    assert rows["actual"].tolist()[:2] == [11, 20] and pd.isna(rows["actual"].iloc[2])


def test_a_plan_without_results_has_nothing_to_compare(engine, fixture_bytes):
    ingest.import_sites(engine, fixture_bytes("sites/valid_zh.csv"), "sites.csv")
    plan = pd.DataFrame(
        {
            "team": [1],
            "date": [dt.date(2026, 11, 2)],
            "start_time": ["09:00"],
            "end_time": ["11:00"],
            "site_id": ["CY-001"],
            "district": ["朝阳区"],
            "expected_applications": [9.5],
            "reason": ["r"],
        }
    )
    plan_id = plans.save(engine, plan, "x", {})
    rows, summary = plans.review(engine, plan_id)
    assert summary["reported"] == 0 and "habit" not in summary and rows["covered"].isna().all()
