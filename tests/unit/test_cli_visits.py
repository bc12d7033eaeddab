"""The enterprise side on the command line: register and visits imported as files, then `visits`, a contract other
tools rely on (Chinese headers, one row per visit in route order, within the caller's districts)."""

import datetime as dt
import os
from pathlib import Path

import pandas as pd
import pytest

from dashboard.core.geo import districts
from dashboard.core.recommender import visits
from data import visit_worlds
from tests import cli_process

ROOT = Path(__file__).resolve().parents[2]
STATUS = {"none": "未建会", "founded": "已建会", "joint": "联合工会"}
OUTCOME = {"held": "已沟通", "interested": "有意向", "founded": "已建会", "declined": "暂不建会"}
HEADERS = [
    "日期",
    "工作人员",
    "顺序",
    "企业编号",
    "企业名称",
    "所属区",
    "街道乡镇",
    "地址",
    "负责人",
    "联系方式",
    "员工数",
    "建会概率",
    "预计发展会员",
    "建会后可发展会员",
    "类型",
    "距上一家公里",
    "理由",
]


def world_files(tmp: Path) -> tuple[Path, Path, visit_worlds.World]:
    """A small world written as the files a district would import."""
    world = visit_worlds.make("sample", 5, 2500)
    r = world.register
    register = pd.DataFrame(
        {
            "统一社会信用代码": r["enterprise_id"],
            "企业名称": r["name"],
            "所属区": r["district"].map(districts.name),
            "街道乡镇": r["street"],
            "纬度": r["lat"].round(6),
            "经度": r["lon"].round(6),
            "行业门类": r["industry"],
            "员工数": r["staff"],
            "建会状态": r["union_status"].map(STATUS),
            "建会日期": pd.to_datetime(r["union_founded_on"]).dt.strftime("%Y-%m-%d").fillna(""),
        }
    )
    register.loc[(r["union_status"] == "founded") & register["建会日期"].eq(""), "建会日期"] = "2010-01-01"
    v = world.visits
    history = pd.DataFrame(
        {
            "企业编号": v["enterprise_id"],
            "沟通日期": v["visited_on"].dt.strftime("%Y-%m-%d"),
            "沟通结果": v["outcome"].map(OUTCOME),
            "建会日期": v["founded_on"].dt.strftime("%Y-%m-%d").fillna(""),
            "建会会员数": v["members"].astype("Int64"),
            "暂不建会原因": v["reason"].fillna(""),
        }
    )
    a, b = tmp / "register.csv", tmp / "visits.csv"
    register.to_csv(a, index=False, encoding="utf-8-sig")
    history.to_csv(b, index=False, encoding="utf-8-sig")
    return a, b, world


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli_visits")
    env = {
        **os.environ,
        "OUTREACH_DB_URL": f"sqlite:///{tmp / 'cli.sqlite'}",
        "OUTREACH_MODEL_DIR": str(tmp / "models"),
    }

    def run(*args, stdin: str | None = None, fresh: bool = False):
        """``python -m dashboard ARGS`` in a process of its own (forked from one that imported it, see
        tests/cli_process.py; ``fresh``: a new interpreter)."""
        return cli_process.run(list(args), env=env, stdin=stdin, timeout=300, fresh=fresh)

    register, history, world = world_files(tmp)
    imported = run("enterprises", "import", str(register), fresh=True)  # a new interpreter, as a user starts it
    assert imported.returncode == 0, imported.stdout + imported.stderr
    recorded = run("outcomes", "import", str(history))
    assert recorded.returncode == 0 and "新增" in recorded.stdout, recorded.stdout + recorded.stderr
    trained = run("train", "--pending")  # the imports queued it; a plan request never trains
    assert trained.returncode == 0, trained.stdout + trained.stderr
    assert (
        run("users", "add", "cy", "--role", "planner", "--district", "朝阳区", stdin="pw-of-cy-123\n").returncode == 0
    )
    run.tmp, run.world = tmp, world  # type: ignore[attr-defined]
    return run


def test_the_visits_command_writes_the_contracted_sheet(cli):
    out = cli.tmp / "plan.csv"
    start = cli.world.plan_start
    done = cli("visits", "--start", str(start), "--days", "7", "--staff", "3", "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    sheet = pd.read_csv(out, encoding="utf-8-sig", dtype={"企业编号": str})
    assert list(sheet.columns) == HEADERS
    assert len(sheet) == 3 * 4 * len(visits.working_days(start, 7))
    assert set(pd.to_datetime(sheet["日期"]).dt.date) <= {start + dt.timedelta(days=i) for i in range(7)}
    for _, day in sheet.groupby(["日期", "工作人员"]):
        assert day["顺序"].tolist() == list(range(1, len(day) + 1))  # a route, in order
    assert sheet["建会概率"].between(0, 1).all() and (sheet["预计发展会员"] >= 0).all()
    assert sheet["理由"].str.contains("员工约").all()
    assert not sheet.duplicated(["企业编号"]).any()  # no enterprise twice
    again = cli.tmp / "again.csv"
    assert cli("visits", "--start", str(start), "--days", "7", "--staff", "3", "--out", str(again)).returncode == 0
    assert again.read_bytes() == out.read_bytes()  # deterministic


def test_a_planners_visits_stay_in_their_district(cli):
    out = cli.tmp / "cy.csv"
    start = str(cli.world.plan_start)
    mine = cli(
        "--as",
        "cy",
        "visits",
        "--start",
        start,
        "--days",
        "3",
        "--staff",
        "2",
        "--out",
        str(out),
        stdin="pw-of-cy-123\n",
    )
    assert mine.returncode == 0, mine.stderr
    assert set(pd.read_csv(out, encoding="utf-8-sig")["所属区"]) == {"朝阳区"}
    other = cli.tmp / "hd.csv"
    refused = cli(
        "--as",
        "cy",
        "visits",
        "--start",
        start,
        "--days",
        "3",
        "--staff",
        "2",
        "--district",
        "海淀",
        "--out",
        str(other),
        stdin="pw-of-cy-123\n",
    )
    assert refused.returncode == 3 and not other.exists() and "Traceback" not in refused.stderr
