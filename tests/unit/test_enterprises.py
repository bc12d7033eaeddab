"""The enterprise register: credit codes with their check character, import all or nothing and idempotent, the
scope of another district's enterprises, and the head's personal data kept apart (SQLite and PostgreSQL)."""

import pytest
import sqlalchemy as sa

from dashboard.core.intake import credit_code, ingest
from dashboard.core.storage.schema import enterprise_contacts, enterprises, uploads

HEADER = "统一社会信用代码,企业名称,所属区,员工数,建会状态\n"


def _rows(engine, table):
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(table).order_by(*table.primary_key.columns)).mappings()]


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("91350100M000100Y43", None),  # published codes
        ("91110108551385082Q", None),
        ("91110000710935732K", None),
        ("91110000710935732J", "check"),  # one character changed
        ("91110000710935732", "length"),
        ("9111000071093573IK", "character"),  # I is never used
    ],
)
def test_the_check_character_catches_a_mistyped_code(code, why):
    assert credit_code.problem(code) == why


def test_full_width_and_spaced_codes_are_read_as_written_on_the_licence():
    assert credit_code.normalise("９１１１ ００００-７１０９３５７３２ｋ") == "91110000710935732K"


def test_a_register_imports_and_imports_again_without_duplicates(engine, fixture_bytes):
    data = fixture_bytes("enterprises/register_zh.csv")
    first = ingest.import_enterprises(engine, data, "register.csv")
    assert first.status == "written" and first.inserted == 3 and not first.errors
    stored = {r["name"]: r for r in _rows(engine, enterprises)}
    assert stored["北京望京物流有限公司"]["enterprise_id"] == "91110105MA01ABC0QW"
    assert (
        stored["中关村软件科技有限公司"]["industry"] == "I"
        and stored["中关村软件科技有限公司"]["union_status"] == "founded"
    )
    assert str(stored["中关村软件科技有限公司"]["union_founded_on"]) == "2021-06-18"
    small = stored["国贸小吃店"]
    assert small["enterprise_id"].startswith("E-110105-") and small["credit_code"] is None  # known by district+name
    assert small["union_status"] == "joint" and small["staff"] == 12
    assert {r["head_name"] for r in _rows(engine, enterprise_contacts)} == {"张经理", "李总"}
    again = ingest.import_enterprises(engine, data, "register-again.csv")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert any(p.code == "file_seen_before" for p in again.problems)
    changed = data.decode("utf-8").replace("180,未建会", "185,未建会").encode()
    third = ingest.import_enterprises(engine, changed, "register-3.csv")
    assert (third.inserted, third.updated, third.unchanged) == (0, 1, 2)
    assert len(_rows(engine, enterprises)) == 3


def test_a_wrong_check_character_names_the_row_and_the_right_character(engine):
    bad = HEADER + "91110105MA01ABC0QX,北京望京物流有限公司,朝阳区,180,未建会\n"
    report = ingest.import_enterprises(engine, bad.encode(), "bad.csv")
    assert report.status == "refused" and not _rows(engine, enterprises)  # all or nothing
    p = next(p for p in report.problems if p.code == "credit_code_check")
    assert p.row == 2 and p.column == "统一社会信用代码" and "“W”" in p.zh and "'W'" in p.en


@pytest.mark.parametrize(
    ("cells", "code"),
    [
        (",某公司,朝阳区,50,建了", "unknown_union_status"),
        (",某公司,朝阳区,五十,未建会", "bad_count"),
        (",,朝阳区,50,未建会", "required_blank"),
        (",某公司,火星区,50,未建会", "unknown_district"),
    ],
)
def test_each_bad_cell_is_named_and_nothing_is_written(engine, cells, code):
    report = ingest.import_enterprises(engine, (HEADER + cells + "\n").encode(), "bad.csv")
    assert report.status == "refused" and any(p.code == code and p.row == 2 for p in report.problems)
    assert not _rows(engine, enterprises) and not _rows(engine, uploads)


def test_an_industry_and_a_founding_date_are_checked(engine):
    text = (
        "企业名称,所属区,行业门类,建会状态,建会日期\n"
        "甲公司,朝阳区,Z,未建会,\n"
        "乙公司,朝阳区,C,未建会,2022-01-05\n"
        "丙公司,朝阳区,制造业,已建会,\n"
    )
    report = ingest.import_enterprises(engine, text.encode(), "x.csv", skip_invalid=True)
    codes = {(p.row, p.code) for p in report.problems}
    assert (2, "unknown_industry") in codes and (3, "date_without_founding") in codes
    assert (4, "founded_without_date") in codes and report.inserted == 1  # a warning does not stop the row


def test_a_joint_union_member_may_carry_the_day_it_joined(engine):
    text = "企业名称,所属区,员工数,建会状态,建会日期\n丁小店,朝阳区,8,联合工会,2022-03-01\n"
    report = ingest.import_enterprises(engine, text.encode(), "j.csv")
    assert report.status == "written" and not report.errors, report.problems
    [row] = _rows(engine, enterprises)
    assert row["union_status"] == "joint" and str(row["union_founded_on"]) == "2022-03-01"


def test_a_planner_cannot_touch_another_districts_enterprise_by_its_code(engine, fixture_bytes):
    ingest.import_enterprises(engine, fixture_bytes("enterprises/register_zh.csv"), "register.csv")
    # 中关村软件 is 海淀's; a 朝阳 planner's file names its code and claims it for 朝阳
    claim = HEADER + "91110108MA02ABC1QU,中关村软件科技有限公司,朝阳区,1,未建会\n"
    report = ingest.import_enterprises(engine, claim.encode(), "claim.csv", allowed=("110105",))
    assert report.status == "refused" and [p.code for p in report.problems if p.row == 2] == [
        "credit_code_other_district",  # a warning: issued by 海淀's office
        "enterprise_taken",
    ]
    stored = {r["enterprise_id"]: r for r in _rows(engine, enterprises)}
    assert stored["91110108MA02ABC1QU"]["district"] == "110108" and stored["91110108MA02ABC1QU"]["staff"] == 420


def test_a_file_without_contact_columns_leaves_the_stored_contacts(engine, fixture_bytes):
    ingest.import_enterprises(engine, fixture_bytes("enterprises/register_zh.csv"), "register.csv")
    update = HEADER + "91110105MA01ABC0QW,北京望京物流有限公司,朝阳区,200,未建会\n"
    report = ingest.import_enterprises(engine, update.encode(), "staff.csv")
    assert report.updated == 1
    assert {r["head_name"] for r in _rows(engine, enterprise_contacts)} == {"张经理", "李总"}


def test_gaode_coordinates_are_converted(engine):
    text = "企业名称,所属区,纬度,经度\n甲公司,朝阳区,39.99740,116.48300\n"
    ingest.import_enterprises(engine, text.encode(), "gcj.csv", coords="gcj02")
    (row,) = _rows(engine, enterprises)
    assert abs(row["lat"] - 39.99740) > 1e-4 and abs(row["lon"] - 116.48300) > 1e-3  # moved by a few hundred metres


def test_personal_data_stays_within_the_district_and_never_reaches_leadership(engine, fixture_bytes):
    from dashboard.core import access

    ingest.import_enterprises(engine, fixture_bytes("enterprises/register_zh.csv"), "register.csv")
    leader = access.enterprise_register(engine, access.Scope("lead", "leadership"))
    assert len(leader) == 3 and not {"head_name", "contact"} & set(leader.columns)
    chaoyang = access.enterprise_register(engine, access.Scope("cy", "planner", ("110105",)))
    assert set(chaoyang["district"]) == {"110105"} and "张经理" in set(chaoyang["head_name"])
    assert "李总" not in set(chaoyang["head_name"].dropna())  # 海淀's head is not 朝阳's to see
    admin = access.enterprise_register(engine, access.Scope("admin", "admin"))
    assert {"张经理", "李总"} <= set(admin["head_name"].dropna())


def test_personal_data_is_deleted_on_request_within_scope(engine, fixture_bytes):
    from dashboard.core import access
    from dashboard.core.storage import audit

    ingest.import_enterprises(engine, fixture_bytes("enterprises/register_zh.csv"), "register.csv")
    planner = access.Scope("cy", "planner", ("110105",))
    for ids in (["91110108MA02ABC1QU"], ["NO-SUCH-ID"]):  # another district's and a missing one: the same refusal
        with pytest.raises(access.PermissionDenied) as refused:
            access.forget_contacts(engine, planner, ids)
        assert "没有这个企业" in refused.value.zh
    with pytest.raises(access.PermissionDenied):
        access.forget_contacts(engine, access.Scope("lead", "leadership"), ["91110105MA01ABC0QW"])
    with pytest.raises(access.PermissionDenied):  # leadership reads; it imports nothing
        access.import_enterprises(engine, access.Scope("lead", "leadership"), b"x", "x.csv")
    with pytest.raises(access.PermissionDenied):
        access.enterprise_register(engine, planner, "110108")
    assert access.forget_contacts(engine, planner, ["91110105MA01ABC0QW"]) == 1
    assert {r["head_name"] for r in _rows(engine, enterprise_contacts)} == {"李总"}
    assert len(_rows(engine, enterprises)) == 3  # the enterprise stays
    assert audit.entries(engine, action="forget_contacts").iloc[0]["actor"] == "cy"


def test_the_command_line_imports_exports_and_forgets(tmp_path):
    import os
    from pathlib import Path

    import openpyxl

    from tests import cli_process

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "OUTREACH_DB_URL": f"sqlite:///{tmp_path / 'e.sqlite'}", "OUTREACH_SAMPLE": "0"}

    def run(*args, fresh=False):  # a process of its own, forked from one that imported the dashboard
        return cli_process.run(["--lang", "zh", *args], env=env, fresh=fresh)

    assert run("init", fresh=True).returncode == 0  # a new interpreter, as a user starts it
    register = root / "tests" / "fixtures" / "enterprises" / "register_zh.csv"
    done = run("enterprises", "import", str(register))
    assert done.returncode == 0, done.stderr
    out = tmp_path / "名录.xlsx"
    assert run("enterprises", "export", "--out", str(out)).returncode == 0
    rows = list(openpyxl.load_workbook(out).active.values)
    assert rows[0][:4] == ("企业编号", "统一社会信用代码", "企业名称", "所属区") and len(rows) == 4
    assert {r[rows[0].index("建会状态")] for r in rows[1:]} == {"未建会", "已建会", "联合工会"}
    forgot = run("enterprises", "forget", "91110105MA01ABC0QW")
    assert forgot.returncode == 0 and "已删除 1 家" in forgot.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "91110105MA01ABC0QX,甲,朝阳区,1,未建会\n", encoding="utf-8")
    refused = run("enterprises", "import", str(bad))
    assert refused.returncode == 1 and "校验位" in refused.stdout + refused.stderr
