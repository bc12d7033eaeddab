"""Street unions: a planner scoped to streets reads and writes those streets only, through the same gateway and
the same checks as a district planner; keys that point at another street's rows get the answer a missing one gets.

The world: 朝阳's 建外 (110105001) and 朝外 (110105002), and 海淀's 中关村, each with a site, sessions, an enterprise
and a visit; a 建外 planner, a 朝阳 planner and an admin.
"""

import datetime as dt
import io

import numpy as np
import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard.core import access
from dashboard.core.access import accounts
from dashboard.core.access.scope import PermissionDenied, Scope
from dashboard.core.geo import areas
from dashboard.core.recommender import planner
from dashboard.core.reports import periods
from dashboard.core.storage import audit, db
from dashboard.core.storage.schema import sessions, sites

TODAY = dt.date(2026, 11, 23)
JIANWAI, CHAOWAI, ZGC = "110105001", "110105002", "110108011"
ADMIN = Scope("boss", "admin")
CHAOYANG = Scope("cy", "planner", ("110105",))
STREET = Scope("jw", "planner", streets=(JIANWAI,))

SITES = (
    "点位编号,点位名称,所属区,街道乡镇,纬度,经度,点位类型,周边职工数\n"
    "JW-1,建外SOHO,朝阳区,建外,39.905,116.455,office,800\n"
    "CW-1,朝外大街,朝阳区,朝外街道,39.925,116.445,retail,600\n"
    "ZG-1,中关村广场,海淀区,中关村街道,39.98,116.31,office,900\n"
)
SESSIONS = (
    "场次编号,类型,日期,开始时间,结束时间,所属区,点位编号,现场咨询人数,现场申请入会人数,发展会员数\n"
    "W-JW,职工沟通会,2026-05-08,12:00,13:30,朝阳区,JW-1,40,10,10\n"
    "W-CW,职工沟通会,2026-05-09,12:00,13:30,朝阳区,CW-1,50,20,20\n"
    "W-ZG,职工沟通会,2026-05-10,12:00,13:30,海淀区,ZG-1,60,30,30\n"
)
REGISTER = (
    "企业编号,企业名称,所属区,街道乡镇,员工数,建会状态\n"
    "E-JW,建外科技,朝阳区,建外街道,120,未建会\n"
    "E-CW,朝外商贸,朝阳区,朝外,300,未建会\n"
    "E-ZG,中关村软件,海淀区,中关村,200,未建会\n"
)
VISITS = "企业编号,走访日期,沟通结果\nE-JW,2026-06-01,已沟通\nE-CW,2026-06-02,有意向\nE-ZG,2026-06-03,已沟通\n"


@pytest.fixture
def world(engine):
    for kind, text in (("sites", SITES), ("enterprises", REGISTER)):
        report = getattr(access, f"import_{kind}")(engine, ADMIN, text.encode(), f"{kind}.csv")
        assert report.status == "written", report.problems
    assert access.import_sessions(engine, ADMIN, SESSIONS.encode(), "s.csv", today=TODAY).status == "written"
    assert access.import_visits(engine, ADMIN, VISITS.encode(), "v.csv", today=TODAY).status == "written"
    return engine


def test_a_street_scope_reads_as_its_streets_and_its_district_as_those_streets():
    assert STREET.districts == ("110105",) and STREET.areas == (JIANWAI,)
    assert STREET.readable() == (JIANWAI,) and STREET.readable("110105") == (JIANWAI,)
    assert STREET.readable(JIANWAI) == JIANWAI
    for other in (CHAOWAI, "110108"):
        with pytest.raises(PermissionDenied):
            STREET.readable(other)
    assert STREET.covers_row("110105", JIANWAI) and not STREET.covers_row("110105", CHAOWAI)
    assert not STREET.covers_row("110105", None)  # a row without a street is no street's
    both = Scope("two", "planner", ("110108",), streets=(JIANWAI,))  # 海淀 whole, 朝阳 in part
    assert both.areas == (JIANWAI, "110108") and both.covers_row("110108", None)
    with pytest.raises(ValueError):
        Scope("x", "planner", streets=("110105999",))


def test_imports_store_each_rows_street_and_sessions_take_their_sites(world):
    with world.connect() as conn:
        stored = dict(conn.execute(sa.select(sites.c.site_id, sites.c.street_code)).all())
        by_session = dict(conn.execute(sa.select(sessions.c.session_id, sessions.c.street_code)).all())
        names = dict(conn.execute(sa.select(sites.c.site_id, sites.c.street)).all())
    assert stored == {"JW-1": JIANWAI, "CW-1": CHAOWAI, "ZG-1": ZGC}
    assert names["JW-1"] == "建外街道"  # the official name, whatever was typed
    assert by_session == {"W-JW": JIANWAI, "W-CW": CHAOWAI, "W-ZG": ZGC}


def test_another_districts_street_is_an_error_naming_the_row_and_an_unknown_one_a_warning(engine):
    text = "点位编号,点位名称,所属区,街道乡镇\nA,甲,朝阳区,中关村\nB,乙,朝阳区,王府井20号街道\nC,丙,朝阳区,\n"
    report = access.import_sites(engine, ADMIN, text.encode(), "s.csv")
    assert report.status == "refused"
    [error] = report.errors
    assert (error.code, error.row, error.column) == ("street_other_district", 2, "街道乡镇")
    assert "海淀区" in error.text("zh")
    fixed = access.import_sites(engine, ADMIN, text.replace("中关村", "建外").encode(), "s.csv")
    assert fixed.status == "written"
    warned = [p for p in fixed.problems if p.code == "unknown_street"]
    assert [p.row for p in warned] == [3] and "王府井20号街道" in warned[0].text("zh")
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.select(sites.c.site_id, sa.func.coalesce(sites.c.street_code, "-"))).all())
    assert rows == {"A": JIANWAI, "B": "-", "C": "-"}  # unknown text kept without a code: the district's only


def test_a_street_typed_by_its_old_name_is_saved_under_todays_with_a_warning(engine):
    text = "点位编号,点位名称,所属区,街道乡镇\nF-1,北宫站点,丰台区,长辛店镇\nF-2,长辛店站点,丰台区,长辛店\n"
    report = access.import_sites(engine, ADMIN, text.encode(), "s.csv")
    assert report.status == "written"
    [warned] = [p for p in report.problems if p.code == "street_renamed"]
    assert warned.row == 2 and "长辛店镇 → 北宫镇" in warned.text("zh")
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.select(sites.c.site_id, sites.c.street)).all())
    assert rows == {"F-1": "北宫镇", "F-2": "长辛店街道"}


def test_every_read_keeps_to_the_planners_street(world):
    assert set(access.site_stats(world, STREET)["site_id"]) == {"JW-1"}
    assert set(access.model_sites(world, STREET)["site_id"]) == {"JW-1"}
    assert access.totals(world, STREET)["applications"] == 10
    assert access.totals(world, CHAOYANG)["applications"] == 30
    assert access.monthly(world, STREET)["applications"].sum() == 10
    assert access.date_range(world, STREET) == (dt.date(2026, 5, 8), dt.date(2026, 5, 8))
    assert set(access.enterprise_register(world, STREET)["enterprise_id"]) == {"E-JW"}
    assert set(access.enterprise_outlook(world, STREET, None, as_of=TODAY)["enterprise_id"]) == {"E-JW"}
    pipe = access.enterprise_pipeline(world, STREET, today=TODAY)
    assert pipe["counts"]["held"] == 1 and pipe["counts"]["interested"] == 0
    assert (
        access.compare_totals(world, STREET, periods.parse("2026-05")).set_index("metric").at["applications", "current"]
        == 10
    )
    [row] = access.district_stats(world, STREET).to_dict("records")  # the map's table: the street, named so
    assert (row["sites"], row["applications"], row["name_zh"]) == (1, 10, "朝阳区建外街道")
    assert pd.isna(row["workers_per_km2"])  # a street has no known area: no density over the district's
    # the district, asked for by name, reads as the street
    assert access.totals(world, STREET, "110105")["applications"] == 10
    for other in (CHAOWAI, "110108"):
        with pytest.raises(PermissionDenied):
            access.totals(world, STREET, other)
    with pytest.raises(PermissionDenied):
        access.site_history(world, STREET, "CW-1")
    with pytest.raises(PermissionDenied) as missing:
        access.enterprise_page(world, STREET, "E-CW")
    with pytest.raises(PermissionDenied) as nothing:
        access.enterprise_page(world, STREET, "E-NONE")
    assert missing.value.zh == nothing.value.zh  # another street's enterprise reads as one that does not exist
    assert access.enterprise_page(world, STREET, "E-JW")["enterprise"]["name"] == "建外科技"
    assert list(access.upload_history(world, STREET)["file_name"]) == []  # the admin's files span streets


def test_every_sites_figures_read_once_give_each_caller_exactly_their_own_read(world):
    """The dashboard reads every site's sessions per day once and shares them (access.every_site_days): the
    figures of any period each caller gets from them equal a read of their own, and a district they may not read
    is refused all the same."""
    days = access.every_site_days(world)
    for dates in ((None, None), (dt.date(2026, 5, 9), dt.date(2026, 5, 31)), (dt.date(2027, 1, 1), None)):
        every = days.stats(*dates)
        for scope, district in (
            (ADMIN, None),
            (ADMIN, "110108"),
            (CHAOYANG, None),
            (STREET, None),
            (STREET, "110105"),
        ):
            own = access.site_stats(world, scope, *dates, district)
            shared = access.site_stats(world, scope, *dates, district, every=every)
            pd.testing.assert_frame_equal(
                shared.sort_values("site_id").reset_index(drop=True),
                own.sort_values("site_id").reset_index(drop=True),
            )
    assert days.stats(dt.date(2027, 1, 1))["sessions"].eq(0).all() and days.stats()["sessions"].sum() > 0
    assert set(access.site_stats(world, STREET, every=every)["site_id"]) == {"JW-1"}
    for other in (CHAOWAI, "110108"):
        with pytest.raises(PermissionDenied):
            access.site_stats(world, STREET, district=other, every=every)


def _same(a, b) -> None:
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _same(a[key], b[key])
    else:
        assert a == b


def test_the_citys_enterprises_read_once_give_each_caller_exactly_their_own_figures(world):
    """The dashboard reads the city's register and visits once and shares them (access.every_enterprise_frames):
    the pipeline, the funnel and the union rates each caller gets from them equal a read of their own, and a
    district they may not read is refused all the same."""
    every = access.every_enterprise_frames(world)
    today, period = dt.date(2026, 6, 1), periods.parse("2026-05")
    for scope, district in ((ADMIN, None), (ADMIN, "110108"), (CHAOYANG, None), (STREET, None), (STREET, "110105")):
        _same(
            access.enterprise_pipeline(world, scope, district, today, by="street", every=every),
            access.enterprise_pipeline(world, scope, district, today, by="street"),
        )
        _same(
            access.enterprise_funnel(world, scope, period, district, today, every=every),
            access.enterprise_funnel(world, scope, period, district, today),
        )
        _same(
            access.enterprise_district_rates(world, scope, every=every), access.enterprise_district_rates(world, scope)
        )
    mine = access.enterprise_pipeline(world, STREET, None, today, by="street", every=every)
    assert "建外科技" in str(mine) and "朝外商贸" not in str(mine)
    for other in (CHAOWAI, "110108"):
        with pytest.raises(PermissionDenied):
            access.enterprise_pipeline(world, STREET, other, today, every=every)


def test_the_street_ranking_and_the_leaders_report_break_a_district_down_by_street(world):
    stats = access.street_stats(world, CHAOYANG, "110105")
    ranked = stats.set_index("code")
    assert len(stats) == 43 and ranked.at[CHAOWAI, "applications"] == 20 and ranked.at[JIANWAI, "applications"] == 10
    mine = access.street_stats(world, STREET, "110105")
    assert list(mine["code"]) == [JIANWAI]
    data = access.leader_report(world, STREET, periods.parse("2026-05"), "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data))["报告"]
    text = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert (
        "建外街道" in text and "朝外街道" not in text and 20 not in [c.value for row in sheet.iter_rows() for c in row]
    )


def test_writes_naming_another_streets_rows_are_refused_whole(world):
    # a session at 朝外's site, a site re-declared into 建外, a row of 朝外, a visit to 朝外's enterprise
    session = "场次编号,类型,日期,开始时间,结束时间,所属区,点位编号,现场咨询人数,现场申请入会人数\n"
    theirs = session + "W-9,职工沟通会,2026-05-11,12:00,13:30,朝阳区,CW-1,5,1\n"
    report = access.import_sessions(world, STREET, theirs.encode(), "x.csv", today=TODAY)
    assert report.status == "refused" and [p.code for p in report.errors] == ["foreign_site"]
    moved = "点位编号,点位名称,所属区,街道乡镇\nCW-1,朝外大街,朝阳区,建外\n"
    assert [p.code for p in access.import_sites(world, STREET, moved.encode(), "m.csv").errors] == ["site_taken"]
    other = "点位编号,点位名称,所属区,街道乡镇\nNEW-1,新点,朝阳区,朝外\n"
    refused = access.import_sites(world, STREET, other.encode(), "o.csv")
    assert [(p.code, p.row) for p in refused.errors] == [("out_of_scope", 2)]
    assert "朝外街道" in refused.errors[0].text("zh")
    visit = "企业编号,走访日期,沟通结果\nE-CW,2026-06-05,已沟通\n"
    missing = "企业编号,走访日期,沟通结果\nE-NONE,2026-06-05,已沟通\n"
    a = access.import_visits(world, STREET, visit.encode(), "v.csv", today=TODAY)
    b = access.import_visits(world, STREET, missing.encode(), "v.csv", today=TODAY)
    assert a.status == b.status == "refused" and [p.code for p in a.errors] == [p.code for p in b.errors]
    with world.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sessions)).scalar() == 3
        assert conn.execute(sa.select(sites.c.street_code).where(sites.c.site_id == "CW-1")).scalar() == CHAOWAI
    denied = audit.entries(world, action="denied")
    assert len(denied) >= 3 and set(denied["actor"]) == {"jw"}


def test_a_single_street_planners_blank_street_is_their_street_and_their_rows_stay_theirs(world):
    mine = "点位编号,点位名称,所属区,街道乡镇\nJW-2,建外新点,朝阳区,\n"
    report = access.import_sites(world, STREET, mine.encode(), "mine.csv")
    assert report.status == "written"
    assert set(access.site_stats(world, STREET)["site_id"]) == {"JW-1", "JW-2"}
    session = "场次编号,类型,日期,开始时间,结束时间,所属区,点位编号,现场咨询人数,现场申请入会人数\n"
    ok = access.import_sessions(
        world,
        STREET,
        (session + "W-2,职工沟通会,2026-05-12,12:00,13:30,朝阳区,JW-2,8,2\n").encode(),
        "w.csv",
        today=TODAY,
    )
    assert ok.status == "written" and access.totals(world, STREET)["applications"] == 12
    assert list(access.upload_history(world, STREET)["file_name"]) == ["w.csv", "mine.csv"]
    two = Scope("two", "planner", streets=(JIANWAI, CHAOWAI))
    unclear = access.import_sites(world, two, "点位编号,点位名称,所属区\nX,某点,朝阳区\n".encode(), "u.csv")
    assert [p.code for p in unclear.errors] == ["street_needed"]


class _Flat:
    """Every site and hour alike: what is planned shows where the planner may draw from."""

    def predict_mean(self, frame, target="applications"):
        return np.ones(len(frame))


def _request(**kw):
    return planner.PlanRequest(start=TODAY + dt.timedelta(days=7), days=5, teams=2, per_team_per_day=1, **kw)


def test_plans_stay_in_the_street_unless_the_neighbours_are_asked_for(world):
    sites_frame = access.model_sites(world, ADMIN)
    for asked in (None, "110105"):  # nothing, or the whole district: the gateway narrows both to the street
        request = _request(district=asked)
        with pytest.raises(access.ModelNotReady, match="not enough history"):  # too small a world to train on
            access.recommend(world, STREET, request)
        assert areas.codes(request.district) == (JIANWAI,)
        assert set(planner.plan(_Flat(), sites_frame, {}, request)["site_id"]) == {"JW-1"}
    wide = access.plan_area(world, CHAOYANG, JIANWAI, neighbours=True)
    assert wide[0] == JIANWAI and CHAOWAI in wide  # 朝外's sites lie 2.3 km from 建外's
    assert set(planner.plan(_Flat(), sites_frame, {}, _request(district=wide))["site_id"]) == {"JW-1", "CW-1"}
    assert access.plan_area(world, CHAOYANG, JIANWAI) == (JIANWAI,)
    # a street planner's neighbours are only those within their scope; another street is refused
    assert access.plan_area(world, STREET, JIANWAI, neighbours=True) == (JIANWAI,)
    with pytest.raises(PermissionDenied):
        access.plan_area(world, STREET, CHAOWAI)
    # a saved plan touching 朝外 is not the 建外 planner's to read or tick off
    plan = pd.DataFrame(
        {
            "team": [1, 2],
            "date": [TODAY, TODAY],
            "start_time": ["12:00", "12:00"],
            "end_time": ["13:30", "13:30"],
            "site_id": ["JW-1", "CW-1"],
            "district": ["朝阳区", "朝阳区"],
            "expected_applications": [1.0, 1.0],
            "reason": ["r", "r"],
        }
    )
    plan_id = access.save_plan(world, CHAOYANG, plan, "cy", {})
    rows = access.plan_rows(world, CHAOYANG, plan_id)
    theirs = int(rows.loc[rows["site_id"] == "CW-1", "id"].iloc[0])
    with pytest.raises(PermissionDenied):
        access.plan_rows(world, STREET, plan_id)
    with pytest.raises(PermissionDenied):
        access.set_done(world, STREET, {theirs: True})


def test_street_targets_are_set_by_the_districts_planner_and_read_by_the_streets(world):
    access.set_targets(world, CHAOYANG, 2026, {"applications": 40}, JIANWAI)
    progress = access.target_progress(world, STREET, 2026, JIANWAI, today=TODAY).set_index("metric")
    assert progress.at["applications", "target"] == 40 and progress.at["applications", "achieved"] == 10
    with pytest.raises(PermissionDenied):
        access.set_targets(world, STREET, 2026, {"applications": 99}, JIANWAI)  # not their own
    with pytest.raises(PermissionDenied):
        access.target_progress(world, STREET, 2026, "110105", today=TODAY)  # the district's is not theirs
    with pytest.raises(PermissionDenied):
        access.get_targets(world, STREET, 2026, CHAOWAI)


def test_accounts_take_streets_by_name_and_sign_in_to_their_streets(engine):
    account = access.add_user(engine, ADMIN, "jw-planner", "planner", "a-long-password-1", streets=["朝阳区建外街道"])
    assert account.districts == ("110105",) and account.streets == (JIANWAI,)
    assert account.scope().areas == (JIANWAI,)
    assert "朝阳区建外街道" in access.users(engine, ADMIN).set_index("name").at["jw-planner", "districts"]
    with pytest.raises(accounts.AccountError):
        access.add_user(engine, ADMIN, "x-planner", "planner", "a-long-password-1", streets=["没有这个街道"])
    with pytest.raises(accounts.AccountError):
        access.add_user(engine, ADMIN, "lead2", "leadership", "a-long-password-1", streets=["建外"])
    changed = access.change_user(engine, ADMIN, "jw-planner", districts=["朝阳区"])
    assert changed.streets == () and changed.scope().areas == ("110105",)  # the whole district again


def test_a_version_11_database_gets_its_streets_from_the_text_it_holds(empty_engine):
    db.upgrade(empty_engine, "0011")
    db.seed_districts(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(
            sa.text("insert into sites (site_id, name, district, street) values ('A', '甲', '110105', '建外')")
        )
        conn.execute(
            sa.text("insert into sites (site_id, name, district, street) values ('B', '乙', '110105', '某处')")
        )
        conn.execute(
            sa.text(
                "insert into sessions (session_key, session_type, date, start_time, end_time, district, site_id,"
                " consultations, applications, row_hash)"
                " values ('id:W1', 'worker', '2023-05-08', '09:00:00.000000', '11:00:00.000000', '110105', 'A', 3, 1,"
                " 'h')"
            )
        )
    db.upgrade(empty_engine)
    with empty_engine.connect() as conn:
        rows = conn.execute(sa.select(sites.c.site_id, sites.c.street, sites.c.street_code).order_by("site_id")).all()
        session_street = conn.execute(sa.select(sessions.c.street_code)).scalar()
    assert [tuple(r) for r in rows] == [("A", "建外街道", JIANWAI), ("B", "某处", None)]
    assert session_street == JIANWAI


def test_the_audit_log_and_the_upload_record_name_the_streets_touched(world):
    mine = "点位编号,点位名称,所属区,街道乡镇\nJW-3,建外三号,朝阳区,建外\n"
    assert access.import_sites(world, STREET, mine.encode(), "m.csv").status == "written"
    entry = audit.entries(world, action="import").iloc[0]
    assert entry["actor"] == "jw" and entry["districts"] == JIANWAI
    frame = pd.DataFrame({"a": [1]})
    access.export_csv(world, STREET, "sites", frame)
    assert audit.entries(world, action="export").iloc[0]["districts"] == JIANWAI
    assert areas.names(JIANWAI) == "朝阳区建外街道"


def _answer(report):
    """What the caller reads of an import: its status, its counts and each problem's code, row and column."""
    return report.status, report.counts(), sorted((p.code, p.row or 0, p.column or "") for p in report.problems)


def _texts(report) -> str:
    return " ".join(p.text(lang) for p in report.problems for lang in ("zh", "en"))


THEIRS = {  # rows keyed by what they say (a site's name, a name without a credit code, a day, hour and district)
    "sessions": (
        "类型,日期,开始时间,结束时间,所属区,点位名称,现场咨询人数,现场申请入会人数,发展会员数\n"
        "职工沟通会,2026-06-08,12:00,13:30,朝阳区,{name},9,3,3\n",
        "朝外大街",
    ),
    "enterprises": ("企业名称,所属区,员工数,建会状态\n{name},朝阳区,80,未建会\n", "朝外无码商贸"),
    "enterprise_sessions": (
        "类型,日期,开始时间,结束时间,所属区,涉及企业数,建会企业数\n企业沟通会,2026-06-09,{name},11:00,朝阳区,3,1\n",
        "09:00",
    ),
}
MADE_UP = {"sessions": "没有这个点位", "enterprises": "没有这家企业", "enterprise_sessions": "09:30"}


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry_run", "import"])
@pytest.mark.parametrize("kind", list(THEIRS))
def test_a_name_or_a_natural_key_of_another_streets_row_is_answered_as_a_missing_one(world, kind, dry_run):
    # 朝外's rows known by what they say: an enterprise without a credit code, an enterprise session without an id
    register = "企业名称,所属区,街道乡镇,员工数,建会状态\n朝外无码商贸,朝阳区,朝外,90,未建会\n"
    assert access.import_enterprises(world, ADMIN, register.encode(), "r.csv").status == "written"
    held = (
        "类型,日期,开始时间,结束时间,所属区,街道乡镇,涉及企业数,建会企业数\n"
        "企业沟通会,2026-06-09,09:00,11:00,朝阳区,朝外,5,2\n"
    )
    assert access.import_sessions(world, ADMIN, held.encode(), "e.csv", today=TODAY).status == "written"
    with world.connect() as conn:
        before = {t.name: conn.execute(sa.select(t)).all() for t in (sites, sessions)}
    text, name = THEIRS[kind]
    importer = getattr(access, f"import_{'sessions' if 'sessions' in kind else kind}")
    extra = {"today": TODAY} if "sessions" in kind else {}
    theirs = importer(world, STREET, text.format(name=name).encode(), "t.csv", dry_run=dry_run, **extra)
    made_up = importer(world, STREET, text.format(name=MADE_UP[kind]).encode(), "m.csv", dry_run=dry_run, **extra)
    assert _answer(theirs)[:2] == _answer(made_up)[:2] and _answer(theirs)[2] == _answer(made_up)[2]
    assert theirs.status in ("written", "dry_run"), _texts(theirs)
    assert "CW-1" not in _texts(theirs) and "朝外街道" not in _texts(theirs)
    with world.connect() as conn:  # 朝外's rows as they were
        cw = conn.execute(sa.select(sites).where(sites.c.site_id == "CW-1")).one()
        assert cw in before["sites"]
        theirs_held = conn.execute(sa.select(sessions).where(sessions.c.street_code == CHAOWAI)).all()
        assert set(theirs_held) <= set(before["sessions"]) and len(theirs_held) == 2
    if not dry_run:  # what was written is the street's own, and reads back as such
        if kind == "sessions":
            assert "朝外大街" in set(access.site_stats(world, STREET)["name"])
        elif kind == "enterprises":
            assert "朝外无码商贸" in set(access.enterprise_register(world, STREET)["name"])
        else:
            assert access.totals(world, STREET)["enterprise_sessions"] == 2


def test_a_street_planners_plan_review_compares_with_its_own_streets_habit(world):
    # 朝外's site brought 20 a session, 建外's 10: the habit a 建外 plan is held against is 建外's
    plan = pd.DataFrame(
        {
            "team": [1],
            "date": [dt.date(2026, 6, 1)],
            "start_time": ["12:00"],
            "end_time": ["13:30"],
            "site_id": ["JW-1"],
            "district": ["朝阳区"],
            "expected_applications": [4.0],
            "reason": ["r"],
        }
    )
    plan_id = access.save_plan(world, STREET, plan, "建外", {})
    [session_id] = access.plan_rows(world, STREET, plan_id)["session_id"]
    result = (
        "场次编号,类型,日期,开始时间,结束时间,所属区,点位编号,现场咨询人数,现场申请入会人数,发展会员数\n"
        f"{session_id},职工沟通会,2026-06-01,12:00,13:30,朝阳区,JW-1,30,6,6\n"
    )
    assert access.import_sessions(world, STREET, result.encode(), "r.csv", today=TODAY).status == "written"
    _, mine = access.plan_review(world, STREET, plan_id)
    assert mine["reported"] == 1 and mine["habit"] == 10
    _, district = access.plan_review(world, CHAOYANG, plan_id)  # the district's planner: the district's habit
    assert district["habit"] == 20


CHAOWAI_PLANNER = Scope("cw", "planner", streets=(CHAOWAI,))
SITE_HEADER = "点位编号,点位名称,所属区,街道乡镇,纬度,经度,点位类型,周边职工数\n"


def test_an_id_worked_out_from_another_areas_name_cannot_be_typed_to_learn_it_exists(world):
    from dashboard.core.intake.validate import IdRule, site_id_for

    # 朝外's planner names a site without an id; its id is keyed with the installation's secret
    mine = SITE_HEADER + ",朝外秘密点,朝阳区,朝外,39.92,116.44,park,10\n"
    assert access.import_sites(world, CHAOWAI_PLANNER, mine.encode(), "m.csv").status == "written"
    again = access.import_sites(world, CHAOWAI_PLANNER, mine.encode(), "m2.csv")
    assert (again.inserted, again.unchanged) == (0, 1)  # named again: the same site, found by its name
    computable = [
        site_id_for("110105", "朝外秘密点", IdRule(namespaces={"110105": CHAOWAI})),
        site_id_for("110105", "朝外秘密点"),
        site_id_for("110105", "没有这个点"),
    ]
    answers = []
    for guess in computable:  # 建外's planner types each id it can compute: every one answers as a new site
        text = SITE_HEADER + f"{guess},猜,朝阳区,建外,39.905,116.455,park,1\n"
        answers.append(_answer(access.import_sites(world, STREET, text.encode(), "g.csv", dry_run=True)))
        with pytest.raises(PermissionDenied) as refused:
            access.site_history(world, STREET, guess)
        assert refused.value.zh.startswith("没有这个点位")
    assert answers[0] == answers[1] == answers[2] and answers[0][0] == "dry_run"


def test_a_plan_follows_its_sites_when_they_move_street_or_district(world):
    plan = pd.DataFrame(
        {
            "team": [1],
            "date": [dt.date(2026, 6, 1)],
            "start_time": ["12:00"],
            "end_time": ["13:30"],
            "site_id": ["JW-1"],
            "district": ["朝阳区"],
            "expected_applications": [4.0],
            "reason": ["r"],
        }
    )
    plan_id = access.save_plan(world, STREET, plan, "建外计划", {})
    fixed = SITE_HEADER + "JW-1,建外SOHO,朝阳区,朝外,39.905,116.455,office,800\n"  # the district corrects its street
    assert access.import_sites(world, CHAOYANG, fixed.encode(), "fix.csv").status == "written"
    assert plan_id not in set(access.list_plans(world, STREET)["id"])
    assert plan_id in set(access.list_plans(world, CHAOWAI_PLANNER)["id"])
    assert access.plans_overview(world, STREET)["reported"] == 0
    # a site corrected into another district takes its sessions' district along (not only their street)
    two = Scope("two", "planner", ("110105", "110108"))
    moved = SITE_HEADER + "JW-1,建外SOHO,海淀区,中关村,39.98,116.31,office,800\n"
    assert access.import_sites(world, two, moved.encode(), "move.csv").status == "written"
    with world.connect() as conn:
        assert conn.execute(sa.select(sessions.c.district).where(sessions.c.site_id == "JW-1")).scalar() == "110108"
    assert access.totals(world, CHAOYANG)["applications"] == 20  # 朝外's only: 建外's session left with its site


def test_a_street_union_cannot_fill_its_districts_site_quota(world, monkeypatch):
    monkeypatch.setenv("OUTREACH_MAX_SITES_PER_STREET", "3")
    many = SITE_HEADER + "".join(f"JWX-{i},建外{i},朝阳区,建外,39.905,116.455,retail,10\n" for i in range(5))
    refused = access.import_sites(world, STREET, many.encode(), "j.csv", dry_run=True)
    [full] = refused.errors
    assert full.code == "too_many_sites" and "朝阳区建外街道已有 1 个点位" in full.zh  # the street's count, not 朝阳's
    theirs = SITE_HEADER + "CWX-1,朝外新点,朝阳区,朝外,39.92,116.44,retail,10\n"
    assert access.import_sites(world, CHAOYANG, theirs.encode(), "c.csv").status == "written"


def test_the_street_ranking_asked_for_by_a_streets_own_code_holds_that_street(world):
    assert list(access.street_stats(world, STREET, JIANWAI)["code"]) == [JIANWAI]
    assert list(access.street_stats(world, STREET, "110105")["code"]) == [JIANWAI]


def test_a_street_planners_visit_plan_and_outlook_count_only_their_streets_rows(world):
    # 朝外 founds a union 200 m from 建外's enterprise, with every staff member joining; 建外 sees none of it
    register = (
        "企业编号,企业名称,所属区,街道乡镇,纬度,经度,员工数,建会状态\n"
        "E-JW,建外科技,朝阳区,建外街道,39.9050,116.4550,120,未建会\n"
        "E-CW,朝外商贸,朝阳区,朝外,39.9065,116.4560,300,未建会\n"
    )
    assert access.import_enterprises(world, ADMIN, register.encode(), "r.csv").status == "written"
    founded = "企业编号,走访日期,沟通结果,建会日期,发展会员数\nE-CW,2026-07-01,已建会,2026-07-01,300\n"
    assert access.import_visits(world, ADMIN, founded.encode(), "f.csv", today=TODAY).status == "written"

    def reason_of(scope, eid):
        plan, _ = access.plan_visits(world, scope, None, TODAY, 1, 1, per_day=4, district="110105")
        [row] = plan[plan["enterprise_id"] == eid]["reason_zh"].tolist() or [""]
        return row

    assert "附近1公里内已有1家建会" in reason_of(CHAOYANG, "E-JW")  # the district's planner sees its street's founding
    assert "建会" in reason_of(STREET, "E-JW") and "附近1公里内" not in reason_of(STREET, "E-JW")
    city = access.enterprise_outlook(world, CHAOYANG, None, "110105", TODAY).set_index("enterprise_id")
    mine = access.enterprise_outlook(world, STREET, None, None, TODAY).set_index("enterprise_id")
    assert list(mine.index) == ["E-JW"]
    # 朝外's 100% join rate lifts 朝阳's rate; the street's own figure is the prior's
    assert city.loc["E-JW", "members_if_founded"] > mine.loc["E-JW", "members_if_founded"]


def test_an_enterprise_without_a_street_is_placed_by_its_address_then_its_coordinates(world):
    register = (
        "企业编号,企业名称,所属区,地址,纬度,经度,员工数,建会状态\n"
        "E-A1,地址有街道,朝阳区,北京市朝阳区朝外大街 18 号,39.9051,116.4551,60,未建会\n"  # the address wins
        "E-P1,坐标近建外,朝阳区,某某路1号,39.9052,116.4553,70,未建会\n"  # 建外's site JW-1 is 30 m away
        "E-F1,远离一切,朝阳区,,40.08,116.60,80,未建会\n"  # no known street within 3 km: left without one
        "E-JW,建外科技,朝阳区,,39.9254,116.4451,120,未建会\n"  # stored in 建外: stays there, though near 朝外
    )
    report = access.import_enterprises(world, ADMIN, register.encode(), "r.csv")
    assert report.status == "written", report.problems
    notes = {p.code: p for p in report.problems if p.code.startswith("street_from")}
    assert set(notes) == {"street_from_address", "street_from_coords"}
    assert "第 2 行" in notes["street_from_address"].zh and "第 3 行" in notes["street_from_coords"].zh
    with world.connect() as conn:
        placed = dict(conn.execute(sa.select(sa.text("enterprise_id, street_code FROM enterprises"))).all())
    assert placed["E-A1"] == CHAOWAI and placed["E-P1"] == JIANWAI
    assert placed["E-F1"] is None and placed["E-JW"] == JIANWAI
    # and the street's planner now finds them in their register
    assert {"E-P1", "E-JW"} <= set(access.enterprise_register(world, STREET)["enterprise_id"])
    assert "E-A1" not in set(access.enterprise_register(world, STREET)["enterprise_id"])


def test_an_id_that_names_another_areas_enterprise_inside_it_reads_no_contact(world):
    # 朝外's head and number on record; a 建外 id built around 朝外's id must not bring them into 建外's plan
    contacts = (
        "企业编号,企业名称,所属区,街道乡镇,员工数,建会状态,负责人,联系方式\n"
        "E-CW,朝外商贸,朝阳区,朝外,300,未建会,李朝外,13800000002\n"
    )
    assert access.import_enterprises(world, ADMIN, contacts.encode(), "c.csv").status == "written"
    bait = "企业编号,企业名称,所属区,街道乡镇,员工数,建会状态\nE-CW、x,诱饵,朝阳区,建外,999,未建会\n"
    refused = access.import_enterprises(world, STREET, bait.encode(), "b.csv")
    assert refused.status == "refused" and [p.code for p in refused.errors] == ["id_separator"]
    plan, _ = access.plan_visits(world, STREET, None, TODAY, 5, 1)
    assert "13800000002" not in plan.to_csv() and "李朝外" not in plan.to_csv()
    assert (plan["first_id"] == plan["enterprise_id"].str.split("、").str[0]).all()


def test_street_guesses_read_the_district_name_as_a_district_and_only_the_callers_area(world):
    from dashboard.core.geo import streets as streets_mod

    addresses = pd.Series(["北京市海淀区中关村大街27号", "海淀区学院路", "海淀街道办事处旁", "朝阳区建外SOHO东区"])
    where = pd.Series(["110108", "110108", "110108", "110105"])
    named = [streets_mod.name(c) if isinstance(c, str) else None for c in streets_mod.from_address(addresses, where)]
    assert named == ["中关村街道", "学院路街道", "海淀街道", "建外街道"]
    # an address naming a street ~10 km from the row's own point is not believed: 平房 is also a kind of house
    register = (
        "企业编号,企业名称,所属区,地址,纬度,经度,员工数,建会状态\n"
        "E-H1,平房小店,朝阳区,朝阳区东三环中路甲2号平房,39.9051,116.4552,60,未建会\n"
    )
    report = access.import_enterprises(world, ADMIN, register.encode(), "r.csv")
    assert report.status == "written"
    assert [p.code for p in report.problems if p.code.startswith("street_from")] == ["street_from_coords"]
    # a file refused for another district's row says nothing of where that district keeps its rows
    probe = "企业编号,企业名称,所属区,纬度,经度,员工数,建会状态\nP-1,探针,海淀区,39.9801,116.3101,10,未建会\n"
    answer = access.import_enterprises(world, CHAOYANG, probe.encode(), "p.csv", dry_run=True)
    assert answer.status == "refused" and not [p for p in answer.problems if p.code.startswith("street_from")]


def test_saved_plans_are_renamed_and_deleted_by_their_area_only_and_audited(world):
    plan = pd.DataFrame(
        {
            "team": [1],
            "date": [dt.date(2026, 6, 1)],
            "start_time": ["12:00"],
            "end_time": ["13:30"],
            "site_id": ["JW-1"],
            "district": ["朝阳区"],
            "expected_applications": [4.0],
            "reason": ["r"],
        }
    )
    mine = access.save_plan(world, STREET, plan, "建外计划", {})
    theirs = access.save_plan(world, CHAOYANG, plan.assign(site_id=["CW-1"]), "朝外计划", {})
    access.field_link(world, STREET, mine, 1)
    for act in (
        lambda: access.rename_plan(world, STREET, theirs, "x"),
        lambda: access.delete_plan(world, STREET, theirs),
    ):
        with pytest.raises(PermissionDenied):
            act()
    with pytest.raises(PermissionDenied):  # a leader reads plans, never changes them
        access.rename_plan(world, Scope("boss", "leadership"), mine, "x")
    assert access.rename_plan(world, STREET, mine, "  <b>下周</b>  建外 ") == "<b>下周</b> 建外"
    with pytest.raises(ValueError):
        access.rename_plan(world, STREET, mine, "   ")
    assert access.delete_plan(world, STREET, mine) == 1
    assert mine not in set(access.list_plans(world, CHAOYANG)["id"]) and theirs in set(
        access.list_plans(world, CHAOYANG)["id"]
    )
    with world.connect() as conn:
        assert not conn.execute(sa.text(f"SELECT count(*) FROM field_links WHERE plan_id = {mine}")).scalar()
    logged = audit.entries(world)
    assert {"plan_renamed", "plan_deleted"} <= set(logged["action"])
