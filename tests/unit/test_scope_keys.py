"""Keys that name another district's rows: every write path, core and command line, refuses them and changes nothing.

Scope is checked on the stored row a key names (a session, a site, a saved plan and its rows, an account), not on the
district the file or the request claims. A refusal names the key the caller gave, never the stored row.
"""

import ast
import datetime as dt
import inspect
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard import cli
from dashboard.core import access
from dashboard.core.access import accounts
from dashboard.core.access.scope import PermissionDenied, Scope
from dashboard.core.storage import audit, schema

TODAY = dt.date(2026, 11, 23)
ADMIN = Scope("boss", "admin")
CHAOYANG = Scope("chaoyang", "planner", ("110105",))
PASSWORD = "scope-test-pw"
HEADER = (
    "场次编号,类型,日期,开始时间,结束时间,所属区,点位编号,点位名称,现场咨询人数,现场申请入会人数,发展会员数,"
    "涉及企业数,建会企业数\n"
)
# the stored 海淀 rows' details a refusal must not reveal
SECRETS = ("海淀", "Haidian", "中关村商务楼宇1号", "上地快递驿站", "2023-05-10", "110108")


@pytest.fixture
def world(engine, fixture_bytes):
    """Sites and sessions in 朝阳 and 海淀, a saved 海淀 plan, and a planner account for each district."""
    assert access.import_sites(engine, ADMIN, fixture_bytes("sites/valid_zh.csv"), "sites.csv").status == "written"
    assert access.import_sessions(engine, ADMIN, fixture_bytes("sessions/valid_zh.csv"), "may.csv", today=TODAY).ok
    plan = pd.DataFrame(
        {
            "team": [1, 1],
            "date": [TODAY, TODAY],
            "start_time": ["09:00", "14:00"],
            "end_time": ["11:00", "16:00"],
            "site_id": ["HD-001", "HD-002"],
            "district": ["海淀区", "海淀区"],
            "expected_applications": [5.0, 4.0],
            "reason": ["r", "r"],
        }
    )
    plan_id = access.save_plan(engine, ADMIN, plan, "海淀下周", {})
    assert plan_id == 1
    for name, codes in (("chaoyang", ["朝阳"]), ("haidian", ["海淀"])):
        accounts.add_user(engine, name, "planner", PASSWORD, by=ADMIN, districts_=codes)
    return engine, plan_id


def snapshot(engine) -> dict[str, list]:
    """Every stored row except the audit trail (refusals are audited) and sign-in attempts."""
    with engine.connect() as conn:
        return {
            t.name: sorted(map(repr, conn.execute(sa.select(t)).all()))
            for t in schema.metadata.sorted_tables
            if t.name not in ("audit_log", "login_attempts")
        }


def _row(
    session_id="", kind="职工沟通会", date="2023-06-01", district="朝阳区", site="CY-001", name="", counts="30,8,8,,"
):
    return f"{session_id},{kind},{date},09:00,11:00,{district},{site},{name},{counts}\n"


# Files a 朝阳 planner might upload, each carrying one key of a stored 海淀 row (with 朝阳 written beside it).
SESSION_FILES = {
    "海淀 session id": _row("W3"),
    "海淀 enterprise session id": _row("E1", kind="企业沟通会", site="", counts=",,140,2,1"),
    "session at a 海淀 site": _row("NEW-1", site="HD-001"),
    "session without an id at a 海淀 site": _row("", site="HD-002"),
    "海淀 plan row's session id": _row("{plan_row}", site="CY-001"),
}
SITE_FILES = {
    "海淀 site id": "点位编号,点位名称,所属区\nHD-001,改名的点位,朝阳区\n",
    "海淀 site id, district left as is": "点位编号,点位名称,所属区\nHD-002,上地快递驿站,海淀区\n",
}


def _plan_row_id(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(sa.select(schema.plan_rows.c.session_id).order_by(schema.plan_rows.c.id)).scalars().first()


def _assert_refused_without_revealing(report, codes):
    assert report.status == "refused" and report.inserted == report.updated == 0
    refusals = [p for p in report.problems if p.code in codes]
    assert refusals, [p.code for p in report.problems]
    for p in report.problems:
        assert not any(s in p.zh or s in p.en for s in SECRETS if s not in (p.value or "")), p.zh


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry_run", "import"])
@pytest.mark.parametrize("skip_invalid", [False, True], ids=["whole", "skip_invalid"])
@pytest.mark.parametrize("case", list(SESSION_FILES))
def test_a_sessions_file_with_a_key_of_another_district_is_refused(world, case, dry_run, skip_invalid):
    engine, _ = world
    before = snapshot(engine)
    data = (HEADER + _row("MINE-1") + SESSION_FILES[case].replace("{plan_row}", _plan_row_id(engine))).encode()
    report = access.import_sessions(
        engine, CHAOYANG, data, "keys.csv", today=TODAY, dry_run=dry_run, skip_invalid=skip_invalid
    )
    _assert_refused_without_revealing(report, {"foreign_key", "foreign_site", "out_of_scope"})
    assert [p.row for p in report.errors] == [3]  # the row with the key, not the planner's own row
    assert snapshot(engine) == before


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry_run", "import"])
@pytest.mark.parametrize("case", list(SITE_FILES))
def test_a_sites_file_with_a_key_of_another_district_is_refused(world, case, dry_run):
    engine, _ = world
    before = snapshot(engine)
    report = access.import_sites(engine, CHAOYANG, SITE_FILES[case].encode(), "sites.csv", dry_run=dry_run)
    _assert_refused_without_revealing(report, {"site_taken", "out_of_scope"})
    assert snapshot(engine) == before


def test_nobody_can_claim_a_plan_rows_id_before_the_plan_exists(world):
    """Plan-row ids carry a random part, and results link to a plan row only from the row's own district."""
    engine, _ = world
    guesses = "".join(_row(f"P2-{i:03d}", counts="999,999,999,,") for i in range(1, 4))
    assert (
        access.import_sessions(engine, CHAOYANG, (HEADER + guesses).encode(), "early.csv", today=TODAY).status
        == "written"
    )
    plan = pd.DataFrame(
        {
            "team": [1],
            "date": [TODAY],
            "start_time": ["09:00"],
            "end_time": ["11:00"],
            "site_id": ["HD-001"],
            "district": ["海淀区"],
            "expected_applications": [5.0],
            "reason": ["r"],
        }
    )
    haidian = Scope("haidian", "planner", ("110108",))
    plan_id = access.save_plan(engine, haidian, plan, "海淀第二周", {})
    rows = access.plan_rows(engine, haidian, plan_id)
    assert rows["session_id"][0].startswith(f"P{plan_id}-001-") and len(rows["session_id"][0]) > len("P2-001-")
    assert not rows["done"][0] and pd.isna(rows["applications"][0])
    sheet = access.results_template(engine, haidian, plan_id)
    sheet.loc[0, ["现场咨询人数", "现场申请入会人数", "发展会员数"]] = ["30", "7", "7"]
    report = access.import_sessions(engine, haidian, sheet.to_csv(index=False).encode(), "results.csv", today=TODAY)
    assert report.status == "written" and report.inserted == 1
    assert access.plan_rows(engine, haidian, plan_id)["applications"].tolist() == [7]


def test_the_same_keys_are_fine_for_the_district_that_owns_them_and_for_admins(world):
    engine, _ = world
    haidian = Scope("haidian", "planner", ("110108",))
    own = (HEADER + _row("W3", district="海淀区", site="HD-001", counts="25,6,6,,")).encode()
    assert access.import_sessions(engine, haidian, own, "own.csv", today=TODAY).updated == 1
    moved = "点位编号,点位名称,所属区\nHD-002,上地快递驿站,朝阳区\n".encode()
    assert access.import_sites(engine, ADMIN, moved, "moved.csv").updated == 1


def test_a_sessions_district_must_be_its_sites_for_a_planner_but_only_a_note_for_an_admin(world):
    engine, _ = world
    data = (HEADER + _row("X-1", site="HD-001")).encode()
    assert access.import_sessions(engine, CHAOYANG, data, "x.csv", today=TODAY).status == "refused"
    report = access.import_sessions(engine, ADMIN, data, "x.csv", today=TODAY)
    assert report.status == "written" and [p.code for p in report.problems] == ["site_other_district"]


def _plan_rows(engine, plan_id):
    with engine.connect() as conn:
        return (
            conn.execute(sa.select(schema.plan_rows.c.id).where(schema.plan_rows.c.plan_id == plan_id)).scalars().all()
        )


PLAN_PATHS = {
    "tick a 海淀 plan row": lambda e, plan, rows: access.set_done(e, CHAOYANG, {rows[0]: True}),
    "tick a row that does not exist": lambda e, plan, rows: access.set_done(e, CHAOYANG, {999_999: True}),
    "untick a 海淀 row": lambda e, plan, rows: access.set_done(e, CHAOYANG, {rows[1]: False}),
    "read a 海淀 plan": lambda e, plan, rows: access.plan_rows(e, CHAOYANG, plan),
    "read a plan that does not exist": lambda e, plan, rows: access.plan_rows(e, CHAOYANG, 999_999),
    "results sheet of a 海淀 plan": lambda e, plan, rows: access.results_template(e, CHAOYANG, plan),
    "plan against actual of a 海淀 plan": lambda e, plan, rows: access.plan_review(e, CHAOYANG, plan),
    "save a plan at 海淀 sites labelled 朝阳": lambda e, plan, rows: access.save_plan(
        e,
        CHAOYANG,
        pd.DataFrame(
            {
                "team": [1],
                "date": [TODAY],
                "start_time": ["09:00"],
                "end_time": ["11:00"],
                "site_id": ["HD-001"],
                "district": ["朝阳区"],
                "expected_applications": [1.0],
                "reason": ["r"],
            }
        ),
        "mine",
        {},
    ),
    "another planner's password": lambda e, plan, rows: access.set_password(e, CHAOYANG, "haidian", "taken-over-pw"),
    "disable another planner": lambda e, plan, rows: access.set_disabled(e, CHAOYANG, "haidian", True),
    "move another planner": lambda e, plan, rows: access.change_user(e, CHAOYANG, "haidian", districts=["朝阳"]),
}


@pytest.mark.parametrize("case", list(PLAN_PATHS))
def test_plan_rows_plans_and_accounts_of_another_district_are_refused(world, case):
    engine, plan_id = world
    before = snapshot(engine)
    with pytest.raises(PermissionDenied) as refused:
        PLAN_PATHS[case](engine, plan_id, _plan_rows(engine, plan_id))
    assert not any(s in refused.value.zh or s in refused.value.en for s in SECRETS[1:])
    assert snapshot(engine) == before
    assert audit.entries(engine, action="denied").iloc[0]["actor"] == "chaoyang"


def test_no_such_row_and_not_yours_get_the_same_answer(world):
    engine, plan_id = world
    answers = []
    for attempt in (
        lambda: access.plan_rows(engine, CHAOYANG, plan_id),
        lambda: access.plan_rows(engine, CHAOYANG, 999_999),
    ):
        with pytest.raises(PermissionDenied) as refused:
            attempt()
        answers.append((refused.value.zh, refused.value.en))
    assert answers[0] == answers[1]


CLI_FILES = {
    **{f"sessions: {k}": ("sessions", v) for k, v in SESSION_FILES.items()},
    **{f"sites: {k}": ("sites", v) for k, v in SITE_FILES.items()},
}


# The command line opens its own engine on OUTREACH_DB_URL: it runs on the SQLite file (the core above runs on both).
@pytest.mark.parametrize("empty_engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize("dry_run", [True, False], ids=["dry_run", "import"])
@pytest.mark.parametrize("case", list(CLI_FILES))
def test_the_command_line_refuses_the_same_keys(world, case, dry_run, tmp_path, monkeypatch, capsys):
    engine, _ = world
    monkeypatch.setenv("OUTREACH_DB_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("OUTREACH_PASSWORD", PASSWORD)
    kind, rows = CLI_FILES[case]
    rows = rows.replace("{plan_row}", _plan_row_id(engine))
    path = tmp_path / "keys.csv"
    path.write_text((HEADER + rows) if kind == "sessions" else rows, encoding="utf-8")
    before = snapshot(engine)
    args = [
        "--lang",
        "zh",
        "--as",
        "chaoyang",
        kind,
        "import",
        str(path),
        *(["--dry-run"] if dry_run else []),
        *(["--no-retrain"] if kind == "sessions" else []),
    ]
    status = cli.main(args)
    out = capsys.readouterr()
    assert status == 1 and "未导入" in out.out and "更新 0" in out.out, out.out + out.err
    assert "中关村商务楼宇1号" not in out.out and "Traceback" not in out.err
    assert snapshot(engine) == before


def test_every_write_path_of_the_gateway_is_in_this_matrix():
    """A new function in access that checks a scope must be tried here with another district's keys."""
    covered = {
        "import_sessions",
        "import_sites",
        "set_done",
        "plan_rows",
        "results_template",
        "plan_review",
        "save_plan",
        "set_password",
        "set_disabled",
        "change_user",
    }
    elsewhere = {  # tried with another district or role in test_access.py / test_cli_roles.py
        "totals",
        "site_stats",
        "monthly",
        "site_history",
        "target_progress",
        "get_targets",
        "recommend",
        "set_targets",
        "set_calendar_day",
        "retrain",
        "users",
        "add_user",
        "audit_log",
        "request_retrain",  # test_training.py
        "compare_totals",  # test_leader_report.py
        "leader_report",
        "import_enterprises",  # test_enterprises.py
        "enterprise_register",
        "forget_contacts",
        "import_visits",  # test_enterprise_visits.py
        "enterprise_pipeline",
        "enterprise_page",
        "enterprise_funnel",
        "add_service",
        "update_service",
        "plan_visits",
        "retrain_after_import",  # test_cli.py: the command line queues as the page does
        "record_area",  # test_claimed_keys.py
        "move_record",
        "enterprise_outlook",
        "enterprise_district_rates",
        "street_stats",  # test_streets_scope.py, with another street's keys too
        "plans_overview",
        "data_dates",  # test_late_reporting.py
        "roster",  # test_field_loop.py: rosters, links, phone reports, reporting, 未开展
        "save_roster",
        "field_link",
        "field_link_list",
        "revoke_field_link",
        "reporting",
        "cancel_plan_rows",
        "plan_area",
        "save_visit_plan",  # test_field_loop.py: another district's enterprises refused
        "rename_plan",  # test_streets_scope.py: another street's plan refused, leaders refused
        "delete_plan",
        "set_map_tiles",  # test_maps.py: a planner refused, audited
        "street_names",
    }
    lists = {"date_range", "district_stats", "upload_history", "list_plans", "booked"}  # no key: narrowed to the caller
    # the gateway's own file (access/__init__.py only re-exports it: reading that found nothing to check)
    source = Path(inspect.getsourcefile(access.gateway)).read_text(encoding="utf-8")
    checking = {
        node.name
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef)
        and not node.name.startswith("_")
        and any(
            isinstance(n, ast.Attribute)
            and n.attr in ("require_write", "require_admin", "readable", "covers", "covers_row")
            or isinstance(n, ast.Name)
            and n.id in ("_plan_in_scope", "_not_found", "_target_area")
            for n in ast.walk(node)
        )
    }
    assert len(checking) > 20  # the parse found the gateway's functions
    assert checking - covered - elsewhere - lists == set()


def _codes_and_texts(report, own_values=()) -> list[tuple]:
    """What a report tells, with the values the caller typed themselves blanked out."""
    out = []
    for p in report.problems:
        zh = p.zh
        for v in own_values:
            zh = zh.replace(v, "…")
        out.append((p.row, p.column, p.code, zh))
    return sorted(out)


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry_run", "import"])
def test_a_refusal_is_the_same_whether_or_not_another_districts_row_exists(world, dry_run):
    """Probing with rows of another district (keys without ids, site names) tells nothing about what is stored there."""
    engine, _ = world
    hits = (  # each names something stored in 海淀: W3's time and site, E1's time, a site's name
        "{s},职工沟通会,2023-05-10,12:00,13:30,海淀区,HD-001,,30,8,8,,\n"
        "{s},企业沟通会,2023-05-11,09:30,11:00,海淀区,,,,,140,2,1\n"
        "{s},职工沟通会,2023-06-01,09:00,11:00,海淀区,,中关村商务楼宇1号,30,8,8,,\n"
        "{s},职工沟通会,2023-06-01,09:00,11:00,朝阳区,HD-002,,30,8,8,,\n"
    )
    misses = (  # the same rows where nothing is stored
        "{s},职工沟通会,2023-05-10,15:00,16:30,海淀区,HD-001,,30,8,8,,\n"
        "{s},企业沟通会,2023-05-11,15:30,17:00,海淀区,,,,,140,2,1\n"
        "{s},职工沟通会,2023-06-01,09:00,11:00,海淀区,,没有这个点位,30,8,8,,\n"
        "{s},职工沟通会,2023-06-01,09:00,11:00,朝阳区,HD-999,,30,8,8,,\n"
    )
    typed = ("中关村商务楼宇1号", "没有这个点位", "HD-002", "HD-999")
    answers = []
    for rows in (hits, misses):
        report = access.import_sessions(
            engine, CHAOYANG, (HEADER + rows.replace("{s}", "")).encode(), "probe.csv", today=TODAY, dry_run=dry_run
        )
        assert report.status == "refused" and report.preview.empty
        answers.append([(r, c, code) for r, c, code, _ in _codes_and_texts(report, typed)])
    # the last row differs by design: a site id that exists elsewhere cannot be used, one that exists nowhere is unknown
    assert answers[0][:-1] == answers[1][:-1]
    assert [a[2] for a in answers[0]] == ["out_of_scope", "out_of_scope", "out_of_scope", "foreign_site"]


def test_refused_imports_are_audited_dry_runs_too(world):
    engine, _ = world
    for dry_run in (True, False):
        access.import_sessions(
            engine, CHAOYANG, (HEADER + _row("W3")).encode(), "probe.csv", today=TODAY, dry_run=dry_run
        )
    denied = audit.entries(engine, action="denied")
    imports = denied[denied["detail"].str.contains('"what": "import"')]
    assert len(imports) == 2 and set(imports["actor"]) == {"chaoyang"}
    assert imports["detail"].str.contains("foreign_key").all() and imports["detail"].str.contains("probe.csv").all()
