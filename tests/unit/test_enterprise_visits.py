"""Enterprise visits: what came of each visit (沟通 → 有意向 → 已建会 / 暂不建会), its stage rules, the founding carried
into the register, the editable service packages, scope on the stored enterprise, and the pipeline and funnel
read from them (SQLite and PostgreSQL)."""

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard.core import access
from dashboard.core.access import Scope
from dashboard.core.intake import ingest
from dashboard.core.recommender import visit_store, visits
from dashboard.core.reports import pipeline
from dashboard.core.storage import services
from dashboard.core.storage.schema import enterprise_visits, enterprises

TODAY = dt.date(2024, 6, 30)
BIG = "91110105MA01ABC0QW"  # 朝阳, 180 staff
SOFT = "91110108551385082Q"  # 海淀, 60 staff
REGISTER = (
    "统一社会信用代码,企业名称,所属区,街道乡镇,员工数,建会状态,建会日期\n"
    f"{BIG},北京望京物流有限公司,朝阳区,望京街道,180,未建会,\n"
    f"{SOFT},中关村软件科技有限公司,海淀区,中关村街道,60,未建会,\n"
    ",国贸小吃店,朝阳区,建外街道,12,未建会,\n"
    "91110000710935732K,老牌制造有限公司,朝阳区,望京街道,900,已建会,2001-05-01\n"
)
HEADER = "企业编号,沟通日期,沟通结果,建会日期,建会会员数,暂不建会原因,提供服务包,需求服务包\n"


@pytest.fixture
def register(engine):
    report = ingest.import_enterprises(engine, REGISTER.encode(), "register.csv")
    assert report.status == "written", report.problems
    return engine


def _visits(engine, text, **options):
    options.setdefault("today", TODAY)
    return ingest.import_visits(engine, (HEADER + text).encode(), "visits.csv", **options)


def _enterprise(engine, enterprise_id):
    with engine.connect() as conn:
        return conn.execute(sa.select(enterprises).where(enterprises.c.enterprise_id == enterprise_id)).mappings().one()


def _count(engine):
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(enterprise_visits)).scalar()


def test_visits_import_once_and_a_founding_reaches_the_register(register):
    text = (
        f"{BIG},2024-03-01,已沟通,,,,法律服务、职工培训,困难帮扶\n"
        f"{BIG},2024-04-10,有意向,,,,,\n"
        f"{BIG.lower()},2024-05-20,已建会,2024-06-01,150,,法律服务,职工培训\n"
        f"{SOFT},2024-05-02,暂不建会,,,负责人不同意,Legal services,\n"
    )
    first = _visits(register, text)
    assert first.status == "written" and first.inserted == 4 and not first.errors
    assert _enterprise(register, BIG)["union_status"] == "founded"
    assert str(_enterprise(register, BIG)["union_founded_on"]) == "2024-06-01"
    stored = pipeline.read_visits(register).set_index("visit_key")
    assert stored.loc[f"{BIG}|2024-03-01", "services_offered"] == "legal|training"
    assert stored.loc[f"{SOFT}|2024-05-02", "services_offered"] == "legal"  # English name accepted
    again = _visits(register, text)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4) and _count(register) == 4
    assert any(p.code == "file_seen_before" for p in again.problems)


def test_correcting_a_founding_away_takes_it_back_from_the_register(register):
    assert _visits(register, f"{BIG},2024-05-20,已建会,2024-06-01,150,,,\n").status == "written"
    corrected = _visits(register, f"{BIG},2024-05-20,有意向,,,,,\n")
    assert (corrected.inserted, corrected.updated) == (0, 1)
    assert (
        _enterprise(register, BIG)["union_status"] == "none" and _enterprise(register, BIG)["union_founded_on"] is None
    )


@pytest.mark.parametrize(
    ("row", "code", "column"),
    [
        (f"{BIG},2024-05-20,已建会,,150,,,", "visit_founded_without_date", "沟通结果"),
        (f"{BIG},2024-05-20,已建会,2024-06-01,,,,", "founded_without_members", "沟通结果"),
        (f"{BIG},2024-05-20,已建会,2024-05-01,150,,,", "founded_before_visit", "建会日期"),
        (f"{BIG},2024-05-20,已建会,2024-06-01,181,,,", "members_exceed_staff", "建会会员数"),
        (f"{BIG},2024-05-20,已建会,2024-07-09,150,,,", "future_date", "建会日期"),
        (f"{BIG},2024-05-20,有意向,2024-06-01,,,,", "visit_date_without_founding", "沟通结果"),
        (f"{SOFT},2024-05-02,暂不建会,,,,,", "declined_without_reason", "暂不建会原因"),
        (f"{BIG},2024-05-20,聊了聊,,,,,", "unknown_outcome", "沟通结果"),
        (f"{BIG},2024-05-20,已沟通,,,,法律援助,", "unknown_service", "提供服务包"),
        ("91110105MA01ABC0QX,2024-05-20,已沟通,,,,,", "unknown_enterprise", "企业编号"),
        (f"{BIG},2024-07-20,已沟通,,,,,", "future_date", "沟通日期"),
        ("91110000710935732K,2024-05-20,已建会,2024-06-01,100,,,", "already_founded", "沟通结果"),
    ],
)
def test_each_stage_rule_names_the_row_and_column_and_writes_nothing(register, row, code, column):
    report = _visits(register, f"{BIG},2024-03-01,已沟通,,,,,\n" + row + "\n")
    found = [p for p in report.problems if p.code == code]
    assert report.status == "refused" and found and found[0].row == 3 and found[0].column == column
    assert _count(register) == 0 and _enterprise(register, BIG)["union_status"] == "none"


def test_an_enterprise_founds_once_in_a_file(register):
    report = _visits(register, f"{BIG},2024-05-20,已建会,2024-06-01,150,,,\n{BIG},2024-06-10,已建会,2024-06-12,10,,,\n")
    assert report.status == "refused" and [p.row for p in report.problems if p.code == "founded_twice"] == [2, 3]


def test_a_visit_after_the_founding_is_kept_and_changes_nothing(register):
    report = _visits(register, "91110000710935732K,2024-05-20,已沟通,,,,职工培训,\n")
    assert report.status == "written" and any(p.code == "visit_after_founding" for p in report.problems)
    assert str(_enterprise(register, "91110000710935732K")["union_founded_on"]) == "2001-05-01"


def test_joint_founding_marks_the_small_enterprise_as_in_a_joint_union(register):
    small = _enterprise_id_by_name(register, "国贸小吃店")
    assert _visits(register, f"{small},2024-05-20,联合建会,2024-05-20,12,,,\n").status == "written"
    assert _enterprise(register, small)["union_status"] == "joint"


def _enterprise_id_by_name(engine, name):
    with engine.connect() as conn:
        return conn.execute(sa.select(enterprises.c.enterprise_id).where(enterprises.c.name == name)).scalar()


def test_a_planner_cannot_touch_another_districts_enterprise_and_cannot_tell_it_exists(register):
    planner = Scope("cy", "planner", ("110105",))
    text = f"{BIG},2024-03-01,已沟通,,,,,\n{SOFT},2024-05-02,已建会,2024-05-02,10,,,\n"
    report = access.import_visits(register, planner, (HEADER + text).encode(), "v.csv", today=TODAY)
    assert report.status == "refused" and _count(register) == 0
    foreign = [p for p in report.problems if p.row == 3]
    assert [p.code for p in foreign] == ["unknown_enterprise"]  # nothing about its staff or founding
    missing = access.import_visits(
        register, planner, (HEADER + "91110105MA01ABC0QX,2024-03-01,已沟通,,,,,\n").encode(), "m.csv", today=TODAY
    )
    assert [p.zh for p in missing.errors][0].replace("91110105MA01ABC0QX", SOFT) == foreign[0].zh
    assert _enterprise(register, SOFT)["union_status"] == "none"


def test_a_session_of_another_district_or_day_is_refused(register, engine):
    sessions_csv = (
        "场次编号,类型,日期,开始时间,结束时间,所属区,工作人员数,发展会员数,涉及企业数,建会企业数\n"
        "HD-1,企业沟通会,2024-05-02,09:00,11:00,海淀区,2,0,1,0\n"
        "CY-1,企业沟通会,2024-03-01,09:00,11:00,朝阳区,2,0,1,0\n"
    )
    assert ingest.import_sessions(engine, sessions_csv.encode(), "s.csv", today=TODAY).status == "written"
    planner = Scope("cy", "planner", ("110105",))
    header = HEADER.strip() + ",场次编号\n"
    ok = access.import_visits(
        engine, planner, (header + f"{BIG},2024-03-01,已沟通,,,,,,CY-1\n").encode(), "a.csv", today=TODAY
    )
    assert ok.status == "written", ok.problems
    other = access.import_visits(
        engine, planner, (header + f"{BIG},2024-03-02,已沟通,,,,,,HD-1\n").encode(), "b.csv", today=TODAY
    )
    assert [p.code for p in other.errors] == ["unknown_session"]
    wrong_day = access.import_visits(
        engine, planner, (header + f"{BIG},2024-03-02,已沟通,,,,,,CY-1\n").encode(), "c.csv", today=TODAY
    )
    assert [p.code for p in wrong_day.errors] == ["session_other_date"]


def test_hostile_text_is_stored_as_text(register):
    hostile = '"=HYPERLINK(""http://x"")<script>alert(1)</script>{{ 7*7 }}"'
    report = _visits(register, f"{SOFT},2024-05-02,暂不建会,,,{hostile},,\n")
    assert report.status == "written"
    reason = pipeline.read_visits(register)["reason"].iloc[0]
    assert reason.startswith("=HYPERLINK") and "{{ 7*7 }}" in reason


def test_the_service_list_is_editable_and_a_retired_package_is_refused_in_new_files(register):
    with register.begin() as conn:
        key = services.add(conn, "就业服务", "Job services")
        services.update(conn, "matchmaking", active=False)
    assert _visits(register, f"{BIG},2024-03-01,已沟通,,,,就业服务,\n").status == "written"
    refused = _visits(register, f"{BIG},2024-03-02,已沟通,,,,婚恋交友,\n")
    assert [p.code for p in refused.errors] == ["unknown_service"] and "就业服务" in refused.errors[0].zh
    assert pipeline.read_visits(register)["services_offered"].tolist() == [key]
    with register.begin() as conn, pytest.raises(ValueError):
        services.add(conn, "法律、服务", "x")  # the separator would split it in files


def _frames(engine):
    from dashboard.core.reports import enterprises as register_read

    register = register_read.read(engine)
    return register, pipeline.read_visits(engine)


def test_stage_rules_interest_persists_through_a_meeting_and_a_decline_resets_it(register):
    small = _enterprise_id_by_name(register, "国贸小吃店")
    text = (
        f"{BIG},2024-03-01,有意向,,,,,\n"
        f"{BIG},2024-04-01,已沟通,,,,,\n"  # still interested
        f"{SOFT},2024-03-01,暂不建会,,,迁出,,\n"
        f"{SOFT},2024-04-01,已沟通,,,,,\n"  # reopened: met
        f"{small},2024-03-01,有意向,,,,,\n"
        f"{small},2024-04-01,暂不建会,,,人数不足,,\n"
    )
    assert _visits(register, text).status == "written"
    reg, visits = _frames(register)
    staged = reg.join(pipeline.stages(reg, visits)).set_index("name")["stage"]
    assert staged.to_dict() == {
        "北京望京物流有限公司": "interested",
        "中关村软件科技有限公司": "held",
        "国贸小吃店": "declined",
        "老牌制造有限公司": "had_union",
    }


def test_pipeline_summary_and_funnel_count_what_a_planner_would(register):
    text = (
        f"{BIG},2024-03-01,已沟通,,,,法律服务,\n"
        f"{BIG},2024-05-20,已建会,2024-06-01,150,,法律服务、职工培训,困难帮扶\n"
        f"{SOFT},2024-02-01,有意向,,,,,\n"
    )
    assert _visits(register, text).status == "written"
    reg, visits = _frames(register)
    result = pipeline.summary(reg, visits, TODAY)
    assert result["counts"]["founded"] == 1 and result["counts"]["interested"] == 1 and result["counts"]["none"] == 1
    waiting = result["waiting"]
    assert waiting["name"].tolist() == ["中关村软件科技有限公司"] and waiting["days_waiting"].iloc[0] == 150
    assert (
        result["services"].loc["legal", "offered_founded"] == 2
        and result["services"].loc["hardship", "asked_founded"] == 1
    )
    june = pipeline.funnel(reg, visits, dt.date(2024, 6, 1), dt.date(2024, 6, 30))
    assert june["founded"] == 1 and june["members"] == 150 and june["visited"] == 0
    spring = pipeline.funnel(reg, visits, dt.date(2024, 1, 1), dt.date(2024, 5, 31))
    assert (spring["visited"], spring["interested"], spring["founded"]) == (2, 2, 0)
    assert spring["visited_large"] == 2 and spring["founding_rate_large"] == 0
    by_street = pipeline.summary(reg, visits, TODAY, by="street")["counts"]
    assert by_street.loc["望京街道", "founded"] == 1 and by_street.loc["望京街道", "had_union"] == 1
    rates = pipeline.district_rates(reg, visits)
    assert rates.loc["110105", "union_rate"] == pytest.approx(2 / 3)
    assert isinstance(rates, pd.DataFrame)


def test_the_pipeline_page_and_funnel_stay_within_the_callers_districts(register):
    from dashboard.core.access import PermissionDenied
    from dashboard.core.reports import periods

    text = f"{BIG},2024-03-01,有意向,,,,,\n{SOFT},2024-03-01,已沟通,,,,,\n"
    assert _visits(register, text).status == "written"
    planner = Scope("cy", "planner", ("110105",))
    mine = access.enterprise_pipeline(register, planner, today=TODAY)["stages"]
    assert set(mine["district"]) == {"110105"} and SOFT not in set(mine["enterprise_id"])
    with pytest.raises(PermissionDenied):
        access.enterprise_pipeline(register, planner, district="110108")
    page = access.enterprise_page(register, planner, BIG)
    assert page["history"]["outcome"].tolist() == ["interested"]
    with pytest.raises(PermissionDenied) as foreign:
        access.enterprise_page(register, planner, SOFT)
    with pytest.raises(PermissionDenied) as missing:
        access.enterprise_page(register, planner, "91110105MA01ABC0QX")
    assert str(foreign.value) == str(missing.value)  # an enterprise elsewhere is answered as one that does not exist
    with pytest.raises(PermissionDenied):
        access.enterprise_funnel(register, planner, periods.parse("2024"), district="110108")
    funnel = access.enterprise_funnel(register, planner, periods.parse("2024"), as_of=TODAY).set_index("metric")
    assert funnel.loc["visited", "current"] == 1  # 海淀's visit is not counted for 朝阳's planner
    leader = Scope("boss", "leadership", None)
    assert "head_name" not in access.enterprise_page(register, leader, BIG)["enterprise"]


def test_only_an_admin_edits_the_service_list(register):
    from dashboard.core.access import PermissionDenied

    planner = Scope("cy", "planner", ("110105",))
    with pytest.raises(PermissionDenied):
        access.add_service(register, planner, "就业服务", "Jobs")
    with pytest.raises(PermissionDenied):
        access.update_service(register, planner, "legal", active=False)
    admin = Scope("root", "admin", None)
    key = access.add_service(register, admin, "就业服务", "Jobs")
    access.update_service(register, admin, key, zh="就业创业服务")
    with pytest.raises(ValueError):
        access.update_service(register, admin, key, zh="法律服务")  # two packages of one name
    listed = access.service_packages(register, planner)
    assert listed.set_index("key").loc[key, "zh"] == "就业创业服务"


# ---- what an attacker's pass found (each failed before its fix)


def _mask(text, *codes):
    for code in codes:
        text = text.replace(code, "X").replace(code.lower(), "x")
    return text


FOREIGN_ROWS = [
    f"{SOFT},2024-05-02,已建会,2024-05-03,61,,,",  # over 海淀's stored staff (60): its staff must not show
    f"{SOFT},2024-05-02,已沟通,,,,,",  # valid in itself
    f"{SOFT.lower()},2024-05-02,已沟通,,,,,",  # as typed on a licence
]


@pytest.mark.parametrize("row", FOREIGN_ROWS)
def test_another_districts_enterprise_is_answered_exactly_as_a_missing_one(register, row):
    planner = Scope("cy", "planner", ("110105",))
    missing_code = "91110105MA01ABC0QX"
    missing = row.replace(SOFT, missing_code).replace(SOFT.lower(), missing_code.lower())

    def answer(text, **options):
        r = access.import_visits(register, planner, (HEADER + text + "\n").encode(), "v.csv", today=TODAY, **options)
        words = [
            (p.code, p.row, p.column, _mask(p.zh, SOFT, missing_code))
            for p in r.problems
            if p.code != "file_seen_before"
        ]
        return r.status, r.counts(), words, len(r.rejected_rows)

    seen = answer(row)
    assert seen == answer(missing)
    assert seen[2][0][0] == "unknown_enterprise" and "60" not in seen[2][0][3]
    mixed = f"{BIG},2024-03-01,已沟通,,,,,\n"
    assert answer(mixed + row, skip_invalid=True, dry_run=True) == answer(
        mixed + missing, skip_invalid=True, dry_run=True
    )
    assert _enterprise(register, SOFT)["union_status"] == "none"


def test_moving_a_founding_to_another_visit_in_one_file_keeps_the_register_founded(register):
    assert _visits(register, f"{BIG},2024-03-01,已建会,2024-03-02,100,,,\n").status == "written"
    moved = _visits(register, f"{BIG},2024-03-01,已沟通,,,,,\n{BIG},2024-03-02,已建会,2024-03-02,100,,,\n")
    assert moved.status == "written", moved.problems
    stored = _enterprise(register, BIG)
    assert stored["union_status"] == "founded" and str(stored["union_founded_on"]) == "2024-03-02"
    reg, visits = _frames(register)
    assert (visits["outcome"] == "founded").sum() == 1


def test_a_second_founding_visit_on_the_same_date_is_refused(register):
    assert _visits(register, f"{BIG},2024-03-01,已建会,2024-03-02,100,,,\n").status == "written"
    again = _visits(register, f"{BIG},2024-03-02,已建会,2024-03-02,100,,,\n")
    assert again.status == "refused" and [p.code for p in again.errors] == ["already_founded"]


def test_a_register_reimport_does_not_undo_a_founding_a_visit_recorded(register):
    assert _visits(register, f"{BIG},2024-03-01,已建会,2024-03-02,100,,,\n").status == "written"
    again = ingest.import_enterprises(register, REGISTER.replace("180,未建会", "185,未建会").encode(), "r2.csv")
    assert again.status == "written" and any(p.code == "register_founding_kept" for p in again.problems)
    stored = _enterprise(register, BIG)
    assert stored["union_status"] == "founded" and stored["staff"] == 185


def test_an_enterprise_moved_to_another_district_takes_its_visits_along(register):
    assert _visits(register, f"{SOFT},2024-03-01,已沟通,,,,,\n").status == "written"
    # a move that keeps 海淀's street is refused: the street names another district
    kept = REGISTER.replace("中关村软件科技有限公司,海淀区", "中关村软件科技有限公司,朝阳区")
    refused = ingest.import_enterprises(register, kept.encode(), "kept.csv")
    assert refused.status == "refused" and [p.code for p in refused.errors] == ["street_other_district"]
    assert refused.errors[0].row == 3 and "海淀区" in refused.errors[0].text("zh")
    moved = REGISTER.replace("中关村软件科技有限公司,海淀区,中关村街道", "中关村软件科技有限公司,朝阳区,建外街道")
    assert ingest.import_enterprises(register, moved.encode(), "moved.csv").status == "written"
    assert set(pipeline.read_visits(register, "110105")["enterprise_id"]) == {SOFT}
    assert pipeline.read_visits(register, "110108").empty
    # and the visit takes the new street along: a 建外 street planner's filter finds it
    assert set(pipeline.read_visits(register, ("110105001",))["enterprise_id"]) == {SOFT}


def test_a_register_id_of_eighteen_characters_is_found_as_stored(register):
    odd = "统一社会信用代码,企业编号,企业名称,所属区,员工数\n,cy-2024000000001234,小店,朝阳区,5\n"
    assert ingest.import_enterprises(register, odd.encode(), "odd.csv").status == "written"
    assert _visits(register, "cy-2024000000001234,2024-03-01,已沟通,,,,,\n").status == "written"


def test_a_wrong_code_with_a_right_name_is_pointed_out(register):
    header = "企业编号,企业名称,沟通日期,沟通结果\n"
    report = ingest.import_visits(
        register, (header + f"{BIG},国贸小吃店,2024-03-01,已沟通\n").encode(), "n.csv", today=TODAY
    )
    notes = [p for p in report.problems if p.code == "name_mismatch"]
    assert notes and "北京望京物流有限公司" in notes[0].zh and notes[0].row == 2


def test_service_names_a_file_could_not_tell_apart_are_refused(register):
    admin = Scope("root", "admin", None)
    for zh, en in (("Legal services", "x"), ("新服务", "LEGAL SERVICES"), ("training", "t"), ("a\x00b", "y")):
        with pytest.raises(ValueError):
            access.add_service(register, admin, zh, en)


def test_the_visit_planner_and_outlook_keep_to_the_callers_scope(register):
    from dashboard.core.access import PermissionDenied

    planner, leader = Scope("cy", "planner", ("110105",)), Scope("boss", "leadership", None)
    with pytest.raises(PermissionDenied):
        access.plan_visits(register, planner, None, dt.date(2024, 7, 1), 5, 2, district="110108")
    with pytest.raises(PermissionDenied):
        access.plan_visits(register, leader, None, dt.date(2024, 7, 1), 5, 2)
    with pytest.raises(PermissionDenied):
        access.retrain(register, planner)  # training now is an admin's; imports queue it
    with pytest.raises(PermissionDenied):
        access.enterprise_outlook(register, planner, None, district="110108")
    with pytest.raises(ValueError):
        access.plan_visits(register, planner, None, dt.date(9999, 12, 25), 5, 2)
    plan, messages = access.plan_visits(register, planner, None, dt.date(2024, 7, 1), 5, 2)
    assert set(plan["district"]) <= {"110105"} and messages  # the prior, and it says so
    assert set(access.enterprise_outlook(register, planner, None)["district"]) == {"110105"}
    assert list(access.enterprise_district_rates(register, planner).index) == ["110105"]


@pytest.mark.parametrize("kind", ["enterprises", "visits"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_template_imports_nothing_but_says_its_examples_were_set_aside(register, kind, fmt):
    from dashboard.core.intake import templates

    data = templates.template(kind, "zh", fmt)
    importer = ingest.import_visits if kind == "visits" else ingest.import_enterprises
    options = {"today": TODAY} if kind == "visits" else {}
    report = importer(register, data, f"t.{fmt}", **options)
    assert report.status == "written" and report.inserted == 0 and not report.errors
    assert any(p.code == "example_row" for p in report.problems)
    assert _count(register) == 0


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry_run", "import"])
def test_the_monthly_register_refresh_after_a_founding_visit_keeps_it_and_updates_the_rest(register, dry_run):
    # a refresh of the register: new staff counts, the 建会日期 column blank in every row
    assert _visits(register, f"{BIG},2024-05-20,已建会,2024-06-01,150,,,\n").status == "written"
    refresh = REGISTER.replace("180,未建会,", "200,未建会,").replace("900,已建会,2001-05-01", "950,未建会,")
    refresh = refresh.replace("统一社会信用代码", "统一社会信用代码", 1)
    report = ingest.import_enterprises(register, refresh.encode(), "register.csv", dry_run=dry_run)
    assert report.status == ("dry_run" if dry_run else "written"), [p.zh for p in report.problems]
    [kept] = [p for p in report.problems if p.code == "register_founding_kept"]
    assert kept.row == 2 and "2024-06-01" in kept.text("zh")
    if not dry_run:
        stored = _enterprise(register, BIG)
        assert (stored["staff"], stored["union_status"], stored["union_founded_on"]) == (
            200,
            "founded",
            dt.date(2024, 6, 1),
        )


def test_a_decline_reason_nobody_can_read_is_kept_with_a_warning_and_the_plan_says_what_the_rules_held_back(register):
    text = f"{BIG},2024-05-02,暂不建会,,,集团总部统一安排,,\n{SOFT},2024-05-03,暂不建会,,,天气太热改天再说,,\n"
    report = _visits(register, text)
    assert report.status == "written" and report.inserted == 2
    [warned] = [p for p in report.problems if p.code == "reason_unmapped"]
    assert warned.row == 3 and "天气太热改天再说" in warned.zh and "总部统一安排" in warned.zh
    with register.connect() as conn:  # the words as typed
        kept = dict(conn.execute(sa.select(enterprise_visits.c.enterprise_id, enterprise_visits.c.reason)).all())
    assert kept[SOFT] == "天气太热改天再说"
    plan, messages = access.plan_visits(register, Scope("cy", "planner", ("110105",)), None, TODAY, 5, 1)
    assert BIG not in set(plan["enterprise_id"])  # a branch whose head office decides is not visited
    assert any("总部统一安排" in zh and "1 家" in zh for zh, _ in messages)


HQ, BR1, BR2, BR3, ELSEWHERE = (
    "91110105MA01HQ000J",
    "91110105MA01BR010C",
    "91110105MA01BR020D",
    "91110105MA01BR030E",
    "91110108MA01HQ0907",  # a head office the 朝阳 register names, not in its own register
)


def test_branches_are_reached_through_their_head_office_or_referred_to_it(engine):
    register = (
        "统一社会信用代码,企业名称,所属区,员工数,建会状态,上级单位统一社会信用代码\n"
        f"{HQ},京东总部,朝阳区,400,未建会,\n"
        f"{BR1},京东分公司一,朝阳区,300,未建会,{HQ}\n"
        f"{BR2},京东分公司二,朝阳区,200,未建会,{HQ.lower()}\n"
        f"{BR3},外区总部的分公司,朝阳区,500,未建会,{ELSEWHERE}\n"
        "91110105MA01XX000K,自报总部,朝阳区,80,未建会,91110105MA01XX000K\n"
        "91110105MA01BR040F,抄错总部代码,朝阳区,90,未建会,91110105MA01HQ0000\n"
    )
    report = ingest.import_enterprises(engine, register.encode(), "r.csv", skip_invalid=True)
    assert report.status == "written"
    codes = {(p.row, p.code) for p in report.problems}
    assert (6, "head_office_self") in codes
    assert (7, "credit_code_check") in codes  # a mistyped code in the new column is named like the row's own
    assert next(p for p in report.problems if p.row == 7).column == "上级单位统一社会信用代码"
    with engine.connect() as conn:
        heads = dict(conn.execute(sa.select(enterprises.c.enterprise_id, enterprises.c.head_office_id)).all())
    assert heads[BR1] == HQ and heads[BR2] == HQ and heads[HQ] is None
    plan, messages = access.plan_visits(engine, Scope("cy", "planner", ("110105",)), None, TODAY, 5, 1)
    visited = set(plan["enterprise_id"])
    assert HQ in visited and not {BR1, BR2, BR3} & visited  # no visit spent on a branch
    head = plan[plan["enterprise_id"] == HQ].iloc[0]
    assert head["staff"] == 900 and "2家分支机构" in head["reason_zh"] and "员工约400人" in head["reason_zh"]
    assert head["members_if_founded"] > 600  # the branches' members counted in
    assert any(ELSEWHERE in zh and "1 家分支机构" in zh for zh, _ in messages)


def test_registration_dates_are_read_typed_three_ways_and_a_bad_one_names_its_row(engine):
    register = (
        "统一社会信用代码,企业名称,所属区,员工数,建会状态,成立日期\n"
        f"{HQ},老企业,朝阳区,400,未建会,1998-03-02\n"
        f"{BR1},新企业,朝阳区,30,未建会,2023年11月5日\n"
        f"{BR2},斜线日期,朝阳区,60,未建会,2020/7/1\n"
        f"{BR3},没填,朝阳区,50,未建会,\n"
        "91110105MA01XX000K,写错的日期,朝阳区,80,未建会,去年\n"
    )
    report = ingest.import_enterprises(engine, register.encode(), "r.csv", skip_invalid=True)
    assert report.status == "written"
    bad = [p for p in report.problems if p.row == 6]
    assert [p.code for p in bad] == ["bad_date"] and bad[0].column == "成立日期"
    with engine.connect() as conn:
        dates = dict(conn.execute(sa.select(enterprises.c.enterprise_id, enterprises.c.registered_on)).all())
    as_dates = {k: (pd.Timestamp(v).date() if v is not None else None) for k, v in dates.items()}
    assert as_dates[HQ] == dt.date(1998, 3, 2) and as_dates[BR1] == dt.date(2023, 11, 5)
    assert as_dates[BR2] == dt.date(2020, 7, 1) and as_dates[BR3] is None
    # the visit model reads it as the enterprise's age on the day
    reg, history = visit_store.frames(engine)
    X = visits.features(reg, history, TODAY).set_index(reg["enterprise_id"])
    assert X.loc[HQ, "log_age_years"] > X.loc[BR1, "log_age_years"] > 0
    assert pd.isna(X.loc[BR3, "log_age_years"])
