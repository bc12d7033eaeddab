"""Each role against each command: what it may do, and the exit status 3 with a reason when it may not."""

import pytest

from dashboard import cli
from dashboard.core.access import accounts
from dashboard.core.access.scope import Scope
from dashboard.core.intake import ingest
from dashboard.core.reports import kpi
from dashboard.core.storage import db

FIXTURES_ROWS = (
    "场次编号,类型,日期,开始时间,结束时间,所属区,点位编号,现场咨询人数,现场申请入会人数\nR1,职工沟通会,2023-05-08,"
    "09:00,11:00,朝阳区,CY-001,30,8\n"
)
PASSWORD = "role-test-pw"
ROLES = {"boss": "admin", "lead": "leadership", "cy": "planner"}


@pytest.fixture
def setup(tmp_path, monkeypatch, fixture_bytes):
    url = f"sqlite:///{tmp_path / 'roles.sqlite'}"
    monkeypatch.setenv("OUTREACH_DB_URL", url)
    monkeypatch.setenv("OUTREACH_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("OUTREACH_PASSWORD", PASSWORD)
    engine = db.make_engine(url)
    db.upgrade(engine)
    ingest.import_sites(engine, fixture_bytes("sites/valid_zh.csv"), "sites.csv")
    for name, role in ROLES.items():
        accounts.add_user(
            engine, name, role, PASSWORD, by=Scope.operator(), districts_=["朝阳"] if role == "planner" else ()
        )
    (tmp_path / "mine.csv").write_text(FIXTURES_ROWS, encoding="utf-8")
    (tmp_path / "site.csv").write_text("点位编号,点位名称,所属区\nCY-009,新驿站,朝阳区\n", encoding="utf-8")
    return tmp_path, engine


ALL, ADMIN_ONLY, WRITERS, READERS_OF_ALL = {"boss", "lead", "cy"}, {"boss"}, {"boss", "cy"}, {"boss", "lead"}
CASES = [
    ("kpi", ["kpi"], ALL),
    ("kpi_other_district", ["kpi", "--district", "海淀"], READERS_OF_ALL),
    ("export_own", ["export", "districts", "--out", "{tmp}/d.csv"], ALL),
    ("export_other_district", ["export", "sites", "--district", "海淀", "--out", "{tmp}/s.xlsx"], READERS_OF_ALL),
    ("import_sessions", ["sessions", "import", "{tmp}/mine.csv", "--no-retrain"], WRITERS),
    ("import_sites", ["sites", "import", "{tmp}/site.csv"], WRITERS),
    ("dry_run", ["sessions", "import", "{tmp}/mine.csv", "--dry-run"], ALL),
    ("calendar_show", ["calendar", "show", "2026"], ALL),
    ("calendar_set", ["calendar", "set", "2027-02-20", "makeup_workday"], ADMIN_ONLY),
    ("users_list", ["users", "list"], ADMIN_ONLY),
    ("users_add", ["users", "add", "newbie", "--role", "leadership"], ADMIN_ONLY),
    ("users_disable", ["users", "disable", "lead"], ADMIN_ONLY),
    ("audit", ["audit"], ADMIN_ONLY),
]
# refused before any expensive work, so only their refusals are run here (training and planning are tested elsewhere)
REFUSED_ONLY = [
    ("train", ["train"], {"lead", "cy"}),
    ("recommend", ["recommend", "--start", "2026-11-30", "--days", "1"], {"lead"}),
    ("recommend_other_district", ["recommend", "--start", "2026-11-30", "--district", "海淀"], {"lead", "cy"}),
    ("sample", ["sample"], {"lead", "cy"}),
]


@pytest.mark.parametrize("user", sorted(ROLES))
@pytest.mark.parametrize("name, args, allowed", CASES, ids=[c[0] for c in CASES])
def test_each_role_against_each_command(setup, capsys, user, name, args, allowed):
    tmp, engine = setup
    before = kpi.totals(engine)
    status = cli.main(["--lang", "zh", "--as", user, *[a.format(tmp=tmp) for a in args]])
    out = capsys.readouterr()
    if user in allowed:
        assert status == 0, out.out + out.err
    else:
        assert status == 3, out.out + out.err
        assert ("只能查看和导出" in out.err) or ("只有管理员" in out.err) or ("不在您负责的区" in out.err)
        assert kpi.totals(engine) == before and "Traceback" not in out.err


@pytest.mark.parametrize("name, args, refused", REFUSED_ONLY, ids=[c[0] for c in REFUSED_ONLY])
def test_expensive_commands_are_refused_to_roles_without_them(setup, capsys, name, args, refused):
    for user in refused:
        assert cli.main(["--lang", "en", "--as", user, *args]) == 3
        assert "Traceback" not in capsys.readouterr().err


def test_a_planners_export_holds_only_their_district(setup):
    import pandas as pd

    tmp, _ = setup
    assert cli.main(["--as", "cy", "export", "districts", "--out", str(tmp / "mine.xlsx")]) == 0
    assert list(pd.read_excel(tmp / "mine.xlsx")["adcode"].astype(str)) == ["110105"]
    assert cli.main(["--as", "lead", "export", "districts", "--out", str(tmp / "all.xlsx")]) == 0
    assert len(pd.read_excel(tmp / "all.xlsx")) == 16
