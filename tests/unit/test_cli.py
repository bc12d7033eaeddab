"""The command line, run as a user runs it: exit codes, messages, never a traceback for bad input."""

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from tests import cli_process

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture
def cli(tmp_path):
    env = {
        **os.environ,
        "OUTREACH_DB_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}",
        "OUTREACH_MODEL_DIR": str(tmp_path / "models"),
    }

    def run(*args, stdin: str | None = None, fresh: bool = False):
        """``python -m dashboard ARGS`` in a process of its own (forked from one that imported it; ``fresh``: a new
        interpreter, see tests/cli_process.py)."""
        return cli_process.run(list(args), env=env, stdin=stdin, fresh=fresh)

    return run


def test_init_then_import_then_kpi(cli):
    from dashboard.core.storage.db import head_revision

    assert head_revision() in cli("init", fresh=True).stdout  # a new interpreter, as a user starts it
    assert "已是最新" in cli("--lang", "zh", "init").stdout
    sites = cli("sites", "import", str(FIXTURES / "sites" / "valid_zh.csv"))
    assert sites.returncode == 0, sites.stdout + sites.stderr
    first = cli("sessions", "import", str(FIXTURES / "sessions" / "valid_zh.csv"))
    assert first.returncode == 0 and "新增 5" in first.stdout and "5 inserted" in first.stdout
    again = cli("sessions", "import", str(FIXTURES / "sessions" / "valid_zh.csv"))
    assert again.returncode == 0 and "未变 5" in again.stdout and "导入过" in again.stdout
    out = cli("kpi", "--json")
    totals = json.loads(out.stdout)
    assert set(totals) >= {
        "worker_sessions",
        "consultations",
        "applications",
        "enterprise_sessions",
        "enterprises_reached",
        "unions_founded",
        "members_total",
    }
    assert (totals["worker_sessions"], totals["consultations"], totals["members_total"]) == (3, 97, 168)
    chaoyang = json.loads(cli("kpi", "--json", "--district", "朝阳", "--from", "2023-05-09").stdout)
    assert (chaoyang["worker_sessions"], chaoyang["enterprise_sessions"]) == (1, 1)


def test_refusal_exits_non_zero_with_every_row_named(cli, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes((FIXTURES / "sessions" / "many_bad_rows.csv").read_bytes())
    result = cli("--lang", "zh", "sessions", "import", str(bad))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    for expected in ("第3行 · 日期", "第4行 · 所属区", "第5行 · 现场申请入会人数", "数据库没有任何改动"):
        assert expected in result.stdout
    assert json.loads(cli("kpi", "--json").stdout)["worker_sessions"] == 0


def test_skip_invalid_writes_rejected_rows_beside_the_input(cli, tmp_path):
    cli("sites", "import", str(FIXTURES / "sites" / "valid_zh.csv"))
    bad = tmp_path / "may.csv"
    bad.write_bytes((FIXTURES / "sessions" / "many_bad_rows.csv").read_bytes())
    result = cli("sessions", "import", str(bad), "--skip-invalid")
    assert result.returncode == 0
    rejected = tmp_path / "may.rejected.csv"
    text = rejected.read_text(encoding="utf-8-sig")
    assert text.count("\n") == 4 and "火星区" in text


def test_dry_run_writes_nothing(cli):
    result = cli("sessions", "import", str(FIXTURES / "sessions" / "valid_zh.csv"), "--dry-run")
    assert result.returncode == 0 and "试运行" in result.stdout
    assert json.loads(cli("kpi", "--json").stdout)["worker_sessions"] == 0


@pytest.mark.parametrize("name", ["letter.txt", "empty.csv"])
def test_unreadable_files_get_a_plain_message(cli, name):
    result = cli("sessions", "import", str(FIXTURES / "sessions" / name))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "无法读取" in result.stdout


def test_missing_file_and_bad_district(cli):
    missing = cli("sessions", "import", "/no/such/file.csv")
    assert missing.returncode == 1 and "找不到文件" in missing.stderr
    bad = cli("kpi", "--district", "浦东")
    assert bad.returncode == 2 and "unknown district" in bad.stderr


def test_calendar_overrides_from_the_command_line(cli):
    assert "推算" in cli("--lang", "zh", "calendar", "show", "2027").stdout
    assert "调休上班日" in cli("--lang", "zh", "calendar", "show", "2026").stdout
    assert cli("calendar", "set", "2027-02-20", "makeup_workday", "--note", "国务院通知").returncode == 0
    shown = cli("--lang", "zh", "calendar", "show", "2027").stdout
    assert "2027-02-20 Sat 调休上班日" in shown
    assert cli("calendar", "unset", "2027-02-20").returncode == 0
    assert "2027-02-20" not in cli("calendar", "show", "2027").stdout


def test_an_import_queues_a_retrain_as_the_page_does_and_every_job_answers_in_words(cli, tmp_path):
    cli("sites", "import", str(FIXTURES / "sites" / "valid_zh.csv"))
    result = cli("--lang", "en", "sessions", "import", str(FIXTURES / "sessions" / "valid_zh.csv"))
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "a retrain is queued" in result.stdout and "train --pending" in result.stdout
    assert not (tmp_path / "models").exists()  # nothing trained inside the import
    assert json.loads(cli("kpi", "--json").stdout)["worker_sessions"] == 3
    pending = cli("--lang", "en", "train", "--pending")  # the queue: 3 sessions and no register teach nothing
    assert pending.returncode == 1 and "failed" in pending.stdout and "not enough history" in pending.stdout
    for args, code, words in (
        (("train",), 1, "nothing to train on"),
        (("recommend", "--start", "2026-11-30"), 1, "not enough history"),
        (("kpi", "--period", "0001-01-01..9999-12-31"), 2, "a period looks like"),
        (("report", "--period", "0001-01-01..9999-12-31", "--out", str(tmp_path / "r.pdf")), 2, "a period looks"),
        (("kpi", "--period", "2026-12-01..2026-11-01"), 2, "a period looks like"),
        (("report", "--period", "2026", "--out", str(tmp_path / "no" / "r.xlsx")), 2, "name a file in an existing"),
        (("report", "--period", "2026", "--out", str(tmp_path)), 2, "name a file in an existing folder"),
        (("export", "sites", "--out", "/nonexistent/x.csv"), 2, "name a file in an existing folder"),
    ):
        done = cli("--lang", "en", *args)
        assert done.returncode == code and words in done.stdout + done.stderr, done.stdout + done.stderr
        assert "Traceback" not in done.stderr


def test_a_database_with_only_the_enterprise_side_trains_its_visit_model(cli, tmp_path):
    assert cli("enterprises", "import", str(FIXTURES / "enterprises" / "register_zh.csv")).returncode == 0
    done = cli("--lang", "en", "train")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the stall recommender was not trained (not enough history" in done.stdout
    assert "visit model saved" in done.stdout
    assert (tmp_path / "models" / "visits.joblib").exists()


def test_a_visit_plan_never_trains_it_queues_and_plans_from_the_prior(cli, tmp_path):
    assert cli("enterprises", "import", str(FIXTURES / "enterprises" / "register_zh.csv")).returncode == 0
    out = tmp_path / "visits.csv"
    done = cli("--lang", "en", "visits", "--start", "2026-12-07", "--days", "5", "--staff", "2", "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "a training is queued" in done.stdout and "not trained yet" in done.stdout
    assert not (tmp_path / "models" / "visits.joblib").exists()
    assert len(pd.read_csv(out, encoding="utf-8-sig")) > 0
    ran = cli("--lang", "en", "train", "--pending")
    assert ran.returncode == 0 and "done" in ran.stdout


@pytest.fixture
def accounts_cli(cli):
    """A database with sites, and three accounts created the documented way (password on stdin)."""
    assert cli("sites", "import", str(FIXTURES / "sites" / "valid_zh.csv")).returncode == 0
    for args in (
        ("boss", "--role", "admin"),
        ("cy", "--role", "planner", "--district", "朝阳区"),
        ("lead", "--role", "leadership"),
    ):
        made = cli("users", "add", *args, stdin=f"pw-of-{args[0]}-123\n")
        assert made.returncode == 0, made.stderr
    return cli


def as_user(cli, name, *args, password=None):
    return cli("--lang", "zh", "--as", name, *args, stdin=(password or f"pw-of-{name}-123") + "\n")


def test_users_are_added_listed_disabled_and_get_new_passwords(accounts_cli):
    cli = accounts_cli
    listed = json.loads(cli("users", "list", "--json").stdout)
    assert {(u["name"], u["role"], u["districts"]) for u in listed} == {
        ("boss", "admin", ""),
        ("cy", "planner", "朝阳区"),
        ("lead", "leadership", ""),
    }
    assert "password" not in json.dumps(listed) and "argon2" not in json.dumps(listed)
    assert cli("users", "passwd", "cy", stdin="a-new-password\n").returncode == 0
    assert as_user(cli, "cy", "kpi", password="a-new-password").returncode == 0
    assert as_user(cli, "cy", "kpi").returncode == 3  # the old password no longer works
    assert cli("users", "disable", "cy").returncode == 0
    refused = as_user(cli, "cy", "kpi", password="a-new-password")
    assert refused.returncode == 3 and "已停用" in refused.stderr
    short = cli("users", "add", "x9", "--role", "admin", stdin="short\n")
    assert short.returncode == 1 and "至少 8" in short.stderr


def test_a_planner_on_the_command_line_stays_in_their_district(accounts_cli, tmp_path):
    cli = accounts_cli
    mixed = as_user(cli, "cy", "sessions", "import", str(FIXTURES / "sessions" / "valid_zh.csv"), "--skip-invalid")
    assert mixed.returncode == 1 and "第4行 · 所属区" in mixed.stdout and "不在您负责的区" in mixed.stdout
    assert json.loads(cli("kpi", "--json").stdout)["worker_sessions"] == 0  # refused whole, skip-invalid or not
    other = as_user(cli, "cy", "kpi", "--district", "海淀")
    assert other.returncode == 3 and "海淀区不在您负责的区" in other.stderr and "Traceback" not in other.stderr
    out = tmp_path / "sites.csv"
    assert (
        as_user(cli, "cy", "export", "sites", "--district", "海淀", "--out", str(out)).returncode == 3
        and not out.exists()
    )
    assert as_user(cli, "cy", "export", "sites", "--out", str(out)).returncode == 0
    assert set(pd.read_csv(out, encoding="utf-8-sig")["district"].astype(str)) == {"110105"}
    assert as_user(cli, "cy", "users", "list").returncode == 3
    assert as_user(cli, "cy", "audit").returncode == 3


def test_leadership_reads_and_exports_everything_but_writes_nothing(accounts_cli, tmp_path):
    cli = accounts_cli
    out = tmp_path / "districts.xlsx"
    assert as_user(cli, "lead", "export", "districts", "--out", str(out)).returncode == 0
    assert len(pd.read_excel(out)) == 16
    refused = as_user(cli, "lead", "sessions", "import", str(FIXTURES / "sessions" / "valid_zh.csv"))
    assert refused.returncode == 3 and "只能查看和导出" in refused.stderr
    assert as_user(cli, "lead", "calendar", "set", "2027-02-20", "holiday").returncode == 3
    log = json.loads(cli("audit", "--json").stdout)
    actions = {(e["actor"], e["action"]) for e in log}
    assert {("lead", "export"), ("lead", "denied"), ("lead", "login")} <= actions


def test_a_wrong_password_on_the_command_line_is_refused_and_counted(accounts_cli):
    for _ in range(5):
        assert as_user(accounts_cli, "lead", "kpi", password="guess-guess").returncode == 3
    locked = as_user(accounts_cli, "lead", "kpi")
    assert locked.returncode == 3 and "锁定" in locked.stderr


def test_an_oversized_file_is_refused_on_the_command_line(cli, tmp_path):
    big = tmp_path / "big.csv"
    big.write_bytes(b"a,b\n" + b"1,2\n" * 300_000)
    result = cli("--lang", "zh", "sessions", "import", str(big), "--max-mb", "1")
    assert result.returncode == 1 and "文件太大" in result.stdout and "1.0 MB" in result.stdout


def test_many_notes_of_one_kind_are_counted_once_and_do_not_ask_for_a_fix(cli, tmp_path):
    # 150 enterprises under a street name the district does not have: a warning each, the file written
    rows = "".join(f"某店{i},朝阳区,王府井20号街道,10\n" for i in range(150))
    path = tmp_path / "register.csv"
    path.write_text("企业名称,所属区,街道乡镇,员工数\n" + rows, encoding="utf-8")
    cli("init")
    out = cli("--lang", "zh", "enterprises", "import", str(path))
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("同类提示另有") == 1 and "同类提示另有 147 行" in out.stdout
    assert "请改正后重新上传" not in out.stdout and "Traceback" not in out.stderr
