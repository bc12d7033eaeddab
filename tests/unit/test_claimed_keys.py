"""A key is one record city-wide, held by the first area that registers it: a credit code, a register id, a site id.

Another area's row with the same key is one row error that says only that the key is taken and who resolves it
(it never blocks the rest of that area's file); a credit code issued in another district is registered with a
warning; an administrator moves a record, and the rows that follow it, to the area it belongs to.
"""

import datetime as dt

import pytest
import sqlalchemy as sa

from dashboard import cli
from dashboard.core import access
from dashboard.core.access.scope import PermissionDenied, Scope
from dashboard.core.intake import credit_code
from dashboard.core.storage import audit
from dashboard.core.storage.schema import enterprise_visits, enterprises, sessions, sites

TODAY = dt.date(2026, 11, 23)
JIANWAI = "110105001"
ADMIN = Scope("boss", "admin")
STREET = Scope("jw", "planner", streets=(JIANWAI,))
HAIDIAN = Scope("hd", "planner", ("110108",))
CHAOYANG = Scope("cy", "planner", ("110105",))
HAIDIAN_CODE = "91110108MA01HD009A"  # issued by 海淀's office (characters 3-8: 110108)
CITY_CODE = "91110000MA01CT000" + credit_code.check_character("91110000MA01CT000")  # issued by the city


def _register(*rows: str) -> bytes:
    return ("统一社会信用代码,企业名称,所属区,员工数,建会状态\n" + "".join(r + "\n" for r in rows)).encode()


def _street_register(*rows: str) -> bytes:
    return ("统一社会信用代码,企业名称,所属区,街道乡镇,员工数,建会状态\n" + "".join(r + "\n" for r in rows)).encode()


@pytest.fixture
def claimed(engine):
    """An admin registered 海淀's code under 建外 (a mistake, or an enterprise that moved), and 建外 visited it."""
    data = _street_register(f"{HAIDIAN_CODE},海淀的企业,朝阳区,建外,400,未建会")
    report = access.import_enterprises(engine, ADMIN, data, "r.csv")
    assert report.status == "written", report.problems
    visit = f"企业编号,走访日期,沟通结果\n{HAIDIAN_CODE},2026-06-01,已沟通\n"
    assert access.import_visits(engine, STREET, visit.encode(), "v.csv", today=TODAY).status == "written"
    return engine, report


def test_a_code_issued_in_another_district_is_an_admins_warning_and_a_planners_skippable_error(claimed):
    engine, report = claimed
    [warned] = [p for p in report.problems if p.code == "credit_code_other_district"]
    assert warned.row == 2 and "海淀区" in warned.text("zh") and "Haidian" in warned.text("en")
    # a planner cannot hold another district's codes (a claim in bulk before that district imports its register)
    codes = [f"91110108MA01HD0{i:02d}" for i in range(10, 14)]
    codes = [c + credit_code.check_character(c) for c in codes]
    own = "91110105MA01CY010" + credit_code.check_character("91110105MA01CY010")
    rows = [f"{c},海淀企业{i},朝阳区,建外,300,未建会" for i, c in enumerate(codes)]
    data = _street_register(*rows, f"{own},本区企业,朝阳区,建外,50,未建会")
    for dry_run in (True, False):
        refused = access.import_enterprises(engine, STREET, data, "claim.csv", skip_invalid=True, dry_run=dry_run)
        assert [p.code for p in refused.errors] == ["credit_code_other_area"] * 4 and refused.rejected == 4
    assert set(access.enterprise_register(engine, STREET)["enterprise_id"]) == {HAIDIAN_CODE, own}
    error = refused.errors[0]
    assert "海淀区" in error.text("zh") and "管理员" in error.text("zh") and error.column == "统一社会信用代码"
    assert credit_code.division(HAIDIAN_CODE) == "110108"
    assert credit_code.division(CITY_CODE) is None  # issued by the city: says nothing about the district
    assert credit_code.division("91110103MA01HD009A"[:17] + credit_code.check_character("91110103MA01HD009")) == (
        "110101"  # 崇文's old office: 东城 today
    )


def test_another_areas_code_is_one_row_error_naming_who_resolves_it_and_skip_invalid_imports_the_rest(claimed):
    engine, _ = claimed
    own = "91110108MA01WN000" + credit_code.check_character("91110108MA01WN000")
    data = _register(f"{HAIDIAN_CODE},海淀的企业,海淀区,400,未建会", f"{own},海淀自己的企业,海淀区,50,未建会")
    whole = access.import_enterprises(engine, HAIDIAN, data, "hd.csv")
    assert whole.status == "refused" and whole.inserted == 0
    [error] = whole.errors
    assert (error.code, error.row, error.column) == ("enterprise_taken", 2, "统一社会信用代码")
    text = error.text("zh") + error.text("en")
    assert "管理员" in text and "administrator" in text
    for secret in ("朝阳", "建外", "Chaoyang", "Jianwai", "400"):
        assert secret not in text.replace(HAIDIAN_CODE, "")
    rest = access.import_enterprises(engine, HAIDIAN, data, "hd.csv", skip_invalid=True)
    assert rest.status == "written" and (rest.inserted, rest.rejected) == (1, 1)
    assert set(access.enterprise_register(engine, HAIDIAN)["enterprise_id"]) == {own}
    with engine.connect() as conn:  # the claimed record is as it was
        assert (
            conn.execute(
                sa.select(enterprises.c.street_code).where(enterprises.c.enterprise_id == HAIDIAN_CODE)
            ).scalar()
            == JIANWAI
        )
    denied = audit.entries(engine, action="denied")
    assert denied["detail"].astype(str).str.contains("enterprise_taken").sum() == 2  # both imports, for the admins
    # 海淀's visit to it reads as an unknown enterprise, with the way out in the message
    visit = f"企业编号,走访日期,沟通结果\n{HAIDIAN_CODE},2026-06-03,已沟通\n"
    [unknown] = access.import_visits(engine, HAIDIAN, visit.encode(), "v.csv", today=TODAY).errors
    assert unknown.code == "unknown_enterprise" and "管理员" in unknown.text("zh")


def test_an_administrator_moves_the_enterprise_and_its_visits_follow(claimed):
    engine, _ = claimed
    with pytest.raises(PermissionDenied):
        access.move_record(engine, CHAOYANG, "enterprise", HAIDIAN_CODE, "海淀区")
    assert access.record_area(engine, ADMIN, "enterprise", HAIDIAN_CODE.lower()) == ("110105", JIANWAI)
    moved = access.move_record(engine, ADMIN, "enterprise", HAIDIAN_CODE, "海淀", "中关村")
    assert moved.before == ("110105", JIANWAI) and moved.after == ("110108", "110108011") and moved.followed == 1
    with engine.connect() as conn:
        visit = conn.execute(sa.select(enterprise_visits.c.district, enterprise_visits.c.street_code)).one()
    assert tuple(visit) == ("110108", "110108011")
    assert HAIDIAN_CODE in set(access.enterprise_register(engine, HAIDIAN)["enterprise_id"])
    assert access.enterprise_register(engine, STREET).empty
    entry = audit.entries(engine, action="moved").iloc[0]
    assert entry["actor"] == "boss" and set(entry["districts"].split(",")) == {JIANWAI, "110108011"}
    data = _register(f"{HAIDIAN_CODE},海淀的企业,海淀区,420,未建会")
    assert access.import_enterprises(engine, HAIDIAN, data, "hd.csv").updated == 1
    with pytest.raises(LookupError):
        access.move_record(engine, ADMIN, "enterprise", "91110108MA01NONE0X", "海淀")
    with pytest.raises(ValueError, match="中关村"):
        access.move_record(engine, ADMIN, "enterprise", HAIDIAN_CODE, "朝阳", "中关村")  # a street of another district


def test_a_site_id_another_area_uses_is_one_row_error_and_an_administrator_moves_the_site(engine):
    mine = "点位编号,点位名称,所属区\nS-001,朝阳一号,朝阳区\n"
    assert access.import_sites(engine, CHAOYANG, mine.encode(), "cy.csv").status == "written"
    held = (
        "场次编号,类型,日期,开始时间,结束时间,所属区,点位编号,现场咨询人数,现场申请入会人数\n"
        "W1,职工沟通会,2026-05-08,12:00,13:30,朝阳区,S-001,30,6\n"
    )
    assert access.import_sessions(engine, CHAOYANG, held.encode(), "s.csv", today=TODAY).status == "written"
    theirs = "点位编号,点位名称,所属区\nS-001,海淀一号,海淀区\nS-002,海淀二号,海淀区\n"
    refused = access.import_sites(engine, HAIDIAN, theirs.encode(), "hd.csv")
    assert [(p.code, p.row) for p in refused.errors] == [("site_taken", 2)]
    assert "朝阳" not in refused.errors[0].text("zh") and "换一个编号" in refused.errors[0].text("zh")
    rest = access.import_sites(engine, HAIDIAN, theirs.encode(), "hd.csv", skip_invalid=True)
    assert rest.status == "written" and rest.inserted == 1
    moved = access.move_record(engine, ADMIN, "site", "S-001", "110108")
    assert moved.followed == 1
    with engine.connect() as conn:
        assert conn.execute(sa.select(sessions.c.district)).scalar() == "110108"
        assert conn.execute(sa.select(sites.c.district).where(sites.c.site_id == "S-001")).scalar() == "110108"


def test_the_command_line_moves_a_record_for_an_administrator_only(claimed, monkeypatch, capsys):
    engine, _ = claimed
    monkeypatch.setattr(cli, "_engine", lambda: engine)
    assert cli.main(["--lang", "zh", "enterprises", "move", HAIDIAN_CODE, "--district", "海淀区"]) == 0
    assert "已从朝阳区建外街道迁到海淀区" in capsys.readouterr().out
    assert (
        cli.main(["--lang", "en", "enterprises", "move", HAIDIAN_CODE, HAIDIAN_CODE.lower(), "--district", "朝阳"]) == 0
    )
    assert capsys.readouterr().out.count("moved from") == 2  # several keys at once
    assert cli.main(["--lang", "en", "sites", "move", "NO-SUCH", "--district", "海淀区"]) == 1
    assert "no such record" in capsys.readouterr().err
    access.add_user(engine, ADMIN, "cy", "planner", "a-long-password-1", districts=["朝阳区"])
    monkeypatch.setenv("OUTREACH_PASSWORD", "a-long-password-1")
    assert cli.main(["--as", "cy", "enterprises", "move", HAIDIAN_CODE, "--district", "朝阳区"]) == 3
