"""The command line, run as a user runs it: exit codes, messages, never a traceback for bad input."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture
def cli(tmp_path):
    env = {**os.environ, "OUTREACH_DB_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}", "OUTREACH_MODEL_DIR": str(tmp_path / "models")}

    def run(*args, cwd=tmp_path):
        return subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    return run


def test_init_then_import_then_kpi(cli):
    from dashboard.core.db import head_revision

    assert head_revision() in cli("init").stdout
    assert "已是最新" in cli("--lang", "zh", "init").stdout
    sites = cli("sites", "import", str(FIXTURES / "sites" / "valid_zh.csv"))
    assert sites.returncode == 0, sites.stdout + sites.stderr
    first = cli("sessions", "import", str(FIXTURES / "sessions" / "valid_zh.csv"))
    assert first.returncode == 0 and "新增 5" in first.stdout and "5 inserted" in first.stdout
    again = cli("sessions", "import", str(FIXTURES / "sessions" / "valid_zh.csv"))
    assert again.returncode == 0 and "未变 5" in again.stdout and "导入过" in again.stdout
    out = cli("kpi", "--json")
    totals = json.loads(out.stdout)
    assert set(totals) >= {"worker_sessions", "consultations", "applications", "enterprise_sessions", "enterprises_reached", "unions_founded", "members_total"}
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


def test_an_import_stands_even_when_the_model_cannot_be_retrained(cli, tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "recommender.joblib").write_bytes(b"an old model")  # a model exists, so import retrains
    cli("sites", "import", str(FIXTURES / "sites" / "valid_zh.csv"))
    result = cli("--lang", "en", "sessions", "import", str(FIXTURES / "sessions" / "valid_zh.csv"))
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "retraining" in result.stdout and "not retrained: not enough history" in result.stdout
    assert json.loads(cli("kpi", "--json").stdout)["worker_sessions"] == 3
