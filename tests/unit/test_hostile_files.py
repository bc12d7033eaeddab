"""The corpus of files that once crashed the importer (tests/fixtures/hostile): each gets a message against its row and
column, on SQLite and PostgreSQL, from the core and from the command line, and a refusal changes nothing."""

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard import cli
from dashboard.core import access
from dashboard.core.access.scope import Scope
from dashboard.core.intake import ingest
from dashboard.core.storage import db, schema

TODAY = dt.date(2026, 11, 23)
ADMIN = Scope("boss", "admin")
HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
HEADER = "类型,日期,开始时间,结束时间,所属区,点位编号,点位名称,现场咨询人数,现场申请入会人数,发展会员数\n"
GOOD_ROW = "职工沟通会,2023-05-08,09:00,11:00,朝阳区,CY-001,,10,3,3\n"

# file: (status, [(code, row, column)] that must be among the problems)
CORPUS = {
    "count_1e308.csv": ("refused", [("count_too_large", 3, "现场咨询人数")]),
    "count_twenty_nines.csv": ("refused", [("count_too_large", 3, "现场咨询人数")]),
    "count_2p63.csv": ("refused", [("count_too_large", 3, "现场咨询人数")]),
    "count_2p31.csv": ("refused", [("count_too_large", 3, "现场咨询人数"), ("count_too_large", 3, "现场申请入会人数")]),
    "count_inf.csv": ("refused", [("bad_count", 3, "现场咨询人数")]),
    "date_9999.csv": ("refused", [("date_out_of_range", 3, "日期")]),
    "date_25h.csv": ("refused", [("bad_date", 3, "日期")]),
    "date_with_time.csv": ("written", [("date_with_time", 3, "日期")]),
    "cr_in_unquoted_field.csv": (
        "refused",
        [("required_blank", 3, "现场咨询人数"), ("unknown_session_type", 4, "类型")],
    ),
    "formula_cells.csv": ("refused", [("bad_count", 3, "现场咨询人数")]),
    "template_name.csv": ("written", [("new_site", 3, "点位名称")]),
    "site_id_too_long.csv": ("refused", [("too_long", 3, "点位编号")]),
    "control_chars.csv": ("written", [("control_chars_removed", 3, "点位名称")]),
    "utf16_odd_bytes.csv": ("unreadable", [("bad_encoding", None, None)]),
    "nul_after_4k.csv": ("unreadable", [("nul_in_file", None, None)]),
    "time_rounds_to_midnight.csv": ("refused", [("bad_time", 3, "开始时间"), ("bad_time", 4, "结束时间")]),
}


def snapshot(engine) -> dict[str, list]:
    with engine.connect() as conn:
        return {t.name: sorted(map(repr, conn.execute(sa.select(t)).all())) for t in schema.metadata.sorted_tables}


@pytest.fixture
def with_sites(engine, fixture_bytes):
    assert ingest.import_sites(engine, fixture_bytes("sites/valid_zh.csv"), "sites.csv").status == "written"
    return engine


def _check(report, status, expected):
    found = {(p.code, p.row, p.column) for p in report.problems}
    assert report.status == status, [(p.code, p.row, p.column, p.zh) for p in report.problems]
    assert set(expected) <= found, found
    for p in report.errors:
        assert p.zh and p.en and (p.row is None or p.column), p
        assert len(p.zh) < 400 and len(p.value or "") <= 201  # a 140,000-character cell is not echoed whole


@pytest.mark.parametrize("name", list(CORPUS))
def test_each_hostile_file_gets_a_message_against_its_row_and_column(with_sites, name):
    status, expected = CORPUS[name]
    before = snapshot(with_sites)
    report = access.import_sessions(with_sites, ADMIN, (HOSTILE / name).read_bytes(), name, today=TODAY)
    _check(report, status, expected)
    if status != "written":
        assert snapshot(with_sites) == before


def test_a_cell_longer_than_the_csv_modules_limit(with_sites):
    data = (HEADER + GOOD_ROW + GOOD_ROW.replace(",,10", "," + "长" * 140_000 + ",10")).encode()
    report = access.import_sessions(with_sites, ADMIN, data, "long.csv", today=TODAY)
    _check(report, "refused", [("too_long", 3, "点位名称")])


def test_text_longer_than_its_column_is_refused_on_every_backend(with_sites):
    rows = "点位编号,点位名称,所属区,街道乡镇\nCY-009," + "名" * 201 + ",朝阳区," + "街" * 101 + "\n"
    report = access.import_sites(with_sites, ADMIN, rows.encode(), "sites.csv")
    _check(report, "refused", [("too_long", 2, "点位名称"), ("too_long", 2, "街道乡镇")])
    fits = "点位编号,点位名称,所属区,街道乡镇\nCY-009," + "名" * 200 + ",朝阳区," + "街" * 100 + "\n"
    assert access.import_sites(with_sites, ADMIN, fits.encode(), "sites.csv").status == "written"


def _xlsx_with_one_huge_cell(size: int) -> bytes:
    """A workbook whose one cell holds ``size`` characters: Excel stops at 32,767, a crafted file does not."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(["职工沟通会", "2023-05-08", "09:00", "11:00", "朝阳区", "CY-001", "PLACEHOLDER", 10, 3, 3])
    plain = io.BytesIO()
    book.save(plain)
    crafted = io.BytesIO()
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(crafted, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item.filename, src.read(item.filename).replace(b"PLACEHOLDER", b"x" * size))
    return crafted.getvalue()


def test_an_xlsx_that_unpacks_to_too_much_is_refused_before_it_is_parsed(with_sites, monkeypatch):
    monkeypatch.setenv("OUTREACH_MAX_UPLOAD_MB", "0.2")  # unpacked limit: 1 MB
    data = _xlsx_with_one_huge_cell(3_000_000)
    assert len(data) < 100_000 and sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist()) > 3_000_000
    report = access.import_sessions(with_sites, ADMIN, data, "bomb.xlsx", today=TODAY)
    assert report.status == "unreadable" and report.problems[0].code == "xlsx_too_large"
    assert "MB" in report.problems[0].zh and "另存为CSV" in report.problems[0].zh


@pytest.mark.parametrize("empty_engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize("name", list(CORPUS))
def test_the_command_line_never_shows_a_traceback(with_sites, name, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OUTREACH_DB_URL", with_sites.url.render_as_string(hide_password=False))
    path = tmp_path / name
    path.write_bytes((HOSTILE / name).read_bytes())
    status = cli.main(["--lang", "zh", "sessions", "import", str(path), "--no-retrain", "--skip-invalid"])
    out = capsys.readouterr()
    assert status in (0, 1) and "Traceback" not in out.err + out.out
    assert ("第3行" in out.out) or ("无法读取" in out.out)


@pytest.mark.parametrize("empty_engine", ["sqlite"], indirect=True)
def test_files_written_beside_an_import_are_formula_safe(with_sites, tmp_path, monkeypatch):
    """FILE.rejected.csv (--skip-invalid) and FILE.problems.csv (over 50 errors) go through the one CSV writer."""
    monkeypatch.setenv("OUTREACH_DB_URL", with_sites.url.render_as_string(hide_password=False))
    hostile = '职工沟通会,2023-05-08,09:00,11:00,朝阳区,CY-001,=HYPERLINK("http://x"),=1+1,@SUM(A1),-2\n'
    path = tmp_path / "team.csv"
    path.write_text(HEADER + GOOD_ROW + hostile * 60, encoding="utf-8")
    assert cli.main(["sessions", "import", str(path), "--no-retrain", "--skip-invalid"]) == 0
    for side in ("team.rejected.csv", "team.problems.csv"):
        cells = [c for row in csv.reader(io.StringIO((tmp_path / side).read_text(encoding="utf-8-sig"))) for c in row]
        assert any("HYPERLINK" in c or "=1+1" in c for c in cells), side
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")], side


def _read_only(engine) -> tuple[str | None, sa.Engine]:
    """The same database opened read-only (SQLite: mode=ro; PostgreSQL: every transaction read-only)."""
    if engine.dialect.name == "sqlite":
        url = f"sqlite:///file:{engine.url.database}?mode=ro&uri=true"
        return url, db.make_engine(url)
    with engine.connect() as conn:
        search_path = conn.exec_driver_sql("SHOW search_path").scalar()
    options = f"-csearch_path={search_path} -cdefault_transaction_read_only=on"
    return None, sa.create_engine(engine.url, connect_args={"options": options})


def test_a_read_only_database_says_so_without_internals(with_sites, tmp_path, monkeypatch, capsys):
    url, read_only = _read_only(with_sites)
    data = (HEADER + GOOD_ROW).encode()
    with pytest.raises(sa.exc.SQLAlchemyError) as raised:
        ingest.import_sessions(read_only, data, "x.csv", today=TODAY)
    problem = db.explain(raised.value)
    assert problem.kind == "read_only" and "只读" in problem.zh and "read-only" in problem.en
    assert "INSERT" not in problem.zh + problem.en and "sessions" not in problem.zh + problem.en
    if url is not None:  # and the command line turns it into that message, exit status 4
        monkeypatch.setenv("OUTREACH_DB_URL", url)
        path = tmp_path / "x.csv"
        path.write_bytes(data)
        assert cli.main(["--lang", "zh", "sessions", "import", str(path), "--no-retrain"]) == 4
        err = capsys.readouterr().err
        assert "只读" in err and "Traceback" not in err and "INSERT" not in err
    read_only.dispose()


@pytest.mark.parametrize("empty_engine", ["sqlite"], indirect=True)  # a full disk is simulated with SQLite's page limit
def test_a_full_disk_says_so(with_sites):
    full = db.make_engine(with_sites.url.render_as_string(hide_password=False))

    @sa.event.listens_for(full, "connect")
    def _no_more_pages(dbapi_conn, _record):
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    many = HEADER + "".join(
        GOOD_ROW.replace("2023-05-08", str(dt.date(2020, 1, 1) + dt.timedelta(days=i))) for i in range(2000)
    )
    with pytest.raises(sa.exc.SQLAlchemyError) as raised:
        ingest.import_sessions(full, many.encode(), "many.csv", today=TODAY)
    problem = db.explain(raised.value)
    assert problem.kind == "full" and "磁盘已满" in problem.zh


def test_many_bad_cells_give_a_short_report_quickly(with_sites):
    """Every problem of a kind past the hundredth is counted, not listed: a report stays readable and cheap."""
    from dashboard.core.messages import MAX_LISTED

    bad = "".join(f"职工沟通会,2023-13-{i % 28 + 1:02d},9点,x,火星区,,,-1,a,b\n" for i in range(3000))
    report = access.import_sessions(with_sites, ADMIN, (HEADER + bad).encode(), "bad.csv", today=TODAY)
    assert report.status == "refused" and report.rejected == 3000
    by_code: dict[str, int] = {}
    for p in report.problems:
        by_code[p.code] = by_code.get(p.code, 0) + 1
    assert max(n for code, n in by_code.items() if code != "more_problems") == MAX_LISTED
    more = [p for p in report.problems if p.code == "more_problems"]
    assert more and "2,900" in more[0].zh and len(report.problems) < 20 * MAX_LISTED


def test_too_many_rows_or_columns_are_refused_before_validation(with_sites, monkeypatch):
    monkeypatch.setenv("OUTREACH_MAX_UPLOAD_ROWS", "50")
    many = HEADER + GOOD_ROW * 51
    report = access.import_sessions(with_sites, ADMIN, many.encode(), "many.csv", today=TODAY)
    assert (
        report.status == "unreadable" and report.problems[0].code == "too_many_rows" and "51" in report.problems[0].zh
    )
    assert access.import_sessions(with_sites, ADMIN, (HEADER + GOOD_ROW * 50).encode(), "ok.csv", today=TODAY).ok
    wide = HEADER.strip() + "," * 300 + "\n" + GOOD_ROW
    report = access.import_sessions(with_sites, ADMIN, wide.encode(), "wide.csv", today=TODAY)
    assert report.status == "unreadable" and report.problems[0].code == "too_many_columns"


def test_a_district_cannot_be_flooded_with_sites(with_sites, monkeypatch):
    monkeypatch.setenv("OUTREACH_MAX_SITES_PER_DISTRICT", "4")
    rows = "点位编号,点位名称,所属区\n" + "".join(f"CY-1{i:02d},新点位{i},朝阳区\n" for i in range(3))
    before = snapshot(with_sites)
    report = access.import_sites(with_sites, ADMIN, rows.encode(), "flood.csv", dry_run=True)
    assert (
        report.status == "refused" and report.problems[0].code == "too_many_sites" and "朝阳区" in report.problems[0].zh
    )
    assert snapshot(with_sites) == before
    assert access.import_sites(
        with_sites, ADMIN, "点位编号,点位名称,所属区\nCY-100,新点位,朝阳区\n".encode(), "one.csv"
    ).ok


def test_odd_names_never_reach_the_database_raw(with_sites):
    """A NUL or control character in a sign-in name or a file name: PostgreSQL refuses NUL, so it is dropped first."""
    from dashboard.core.access import accounts
    from dashboard.core.storage import audit

    assert accounts.authenticate(with_sites, "ad\x00min", "whatever-pw").status == "bad"
    assert accounts.authenticate(with_sites, "\x01=HYPERLINK(1)", "whatever-pw").status == "bad"
    report = access.import_sessions(with_sites, ADMIN, (HEADER + GOOD_ROW).encode(), "team\x00\x07.csv", today=TODAY)
    assert report.status == "written"
    failed = audit.entries(with_sites, action="login_failed")
    assert set(failed["actor"]) == {"admin", "=HYPERLINK(1)"}


def test_booked_files_and_empty_plans_are_refused_with_a_message(with_sites):
    from dashboard.core.reports import plans

    for data in (
        b"site_id,date\nCY-001,2026-11-30\n",
        b"site_id,date,start_time,end_time\nCY-001,2026-11-30,,11:00\n",
        b"site_id,date,start_time,end_time\nCY-001,2026-11-30,12:00,11:00\n",
    ):
        with pytest.raises(ValueError, match="booked file"):
            plans.read_booked(data)
    with pytest.raises(ValueError, match="plan is empty"):
        access.save_plan(with_sites, ADMIN, pd.DataFrame(), "empty", {})
