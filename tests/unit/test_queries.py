"""The page queries add up to the same totals as the KPI command, on SQLite and PostgreSQL."""

import datetime as dt

from dashboard.core.intake import ingest
from dashboard.core.reports import kpi, plans, queries, targets

TODAY = dt.date(2026, 11, 23)


def test_monthly_and_district_figures_add_up_to_the_totals(engine, fixture_bytes):
    ingest.import_sites(engine, fixture_bytes("sites/valid_zh.csv"), "sites.csv")
    ingest.import_sessions(engine, fixture_bytes("sessions/valid_zh.csv"), "may.csv", today=TODAY)
    totals = kpi.totals(engine)
    months = queries.monthly(engine)
    assert list(months["month"].dt.strftime("%Y-%m")) == ["2023-05"]
    assert (
        int(months["applications"].sum()) == totals["applications"]
        and int(months["members"].sum()) == totals["members_total"]
    )
    stats = queries.district_stats(engine)
    assert len(stats) == 16
    assert int(stats["worker_sessions"].sum()) == totals["worker_sessions"]
    assert int(stats["unions_founded"].sum()) == totals["unions_founded"]
    chaoyang = stats.set_index("adcode").loc["110105"]
    assert chaoyang["sites"] == 2 and chaoyang["workers"] == 12_180 and chaoyang["workers_per_km2"] > 0
    sites = queries.site_stats(engine)
    assert int(sites["applications"].sum()) == totals["applications"]
    assert list(queries.site_history(engine, "CY-001")["start_time"]) == ["09:00"]


def test_targets_progress(engine, fixture_bytes):
    ingest.import_sites(engine, fixture_bytes("sites/valid_zh.csv"), "sites.csv")
    ingest.import_sessions(engine, fixture_bytes("sessions/valid_zh.csv"), "may.csv", today=TODAY)
    targets.set_targets(engine, 2023, {"applications": 100, "unions_founded": 4}, user="admin")
    prog = targets.progress(engine, 2023, today=dt.date(2023, 7, 2)).set_index("metric")
    assert prog.loc["applications", "achieved"] == 28 and prog.loc["applications", "share"] == 0.28
    assert prog.loc["unions_founded", "share"] == 0.25
    assert 0.49 < prog.loc["applications", "year_elapsed"] < 0.51
    assert prog["target"].isna()["worker_sessions"]  # no target set: none invented


def test_saved_plan_rows_link_to_uploaded_results(engine, fixture_bytes):
    import pandas as pd

    ingest.import_sites(engine, fixture_bytes("sites/valid_zh.csv"), "sites.csv")
    plan = pd.DataFrame(
        [
            {
                "team": 1,
                "date": dt.date(2026, 11, 2),
                "start_time": "14:00",
                "end_time": "16:00",
                "site_id": "CY-002",
                "district": "朝阳区",
                "expected_applications": 9.5,
                "reason": "测试",
            }
        ]
    )
    plan_id = plans.save(engine, plan, "下周", {"teams": 1})
    sheet = plans.results_template(engine, plan_id)
    assert sheet.loc[0, "场次编号"].startswith(f"P{plan_id}-001-") and sheet.loc[0, "所属区"] == "朝阳区"
    sheet.loc[0, ["现场咨询人数", "现场申请入会人数"]] = ["25", "11"]  # as a team types them into the sheet
    report = ingest.import_sessions(engine, sheet.to_csv(index=False).encode("utf-8-sig"), "results.csv", today=TODAY)
    assert report.status == "written" and report.inserted == 1
    rows = plans.rows(engine, plan_id)
    assert bool(rows.loc[0, "done"]) and rows.loc[0, "applications"] == 11


def test_a_quarters_trend_has_each_of_its_months_once_a_quiet_one_as_zero(engine, fixture_bytes):
    ingest.import_sites(engine, fixture_bytes("sites/valid_zh.csv"), "sites.csv")
    ingest.import_sessions(engine, fixture_bytes("sessions/valid_zh.csv"), "may.csv", today=TODAY)
    totals = kpi.totals(engine)
    months = queries.monthly(engine, dt.date(2023, 4, 1), dt.date(2023, 6, 30))  # Q2: sessions in May only
    assert list(months["month"].dt.strftime("%Y-%m")) == ["2023-04", "2023-05", "2023-06"]
    assert list(months["applications"]) == [0, totals["applications"], 0]
    assert months["worker_sessions"].dtype.kind == "i"  # whole counts, zeros included
    late = queries.monthly(engine, dt.date(2023, 7, 1), dt.date(2023, 8, 10))  # nothing held: still its months
    assert list(late["month"].dt.strftime("%Y-%m")) == ["2023-07", "2023-08"] and late["members"].sum() == 0
