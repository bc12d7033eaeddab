"""Property-based fuzzing of the importer: whatever the file, a report (never an exception), every error against its
row and column or the whole file, and a refused file leaves the database exactly as it was.

Files are generated from the importer's own vocabulary (its headers and aliases, the cell formats planners type)
mixed with hostile text (HTML, JavaScript, template syntax, formulas, control characters, huge and odd numbers and
dates), written as CSV in several encodings and delimiters or as .xlsx, or replaced by random or damaged bytes.
``OUTREACH_FUZZ_EXAMPLES`` sets the number of files per test (default 40, for CI; the security review ran 10,000).
"""

import io
import os

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dashboard import cli
from dashboard.core import access
from dashboard.core.access.scope import Scope
from dashboard.core.intake import ingest
from dashboard.core.intake.columns import SESSION_COLUMNS, SITE_COLUMNS
from dashboard.core.messages import CATALOGUE
from dashboard.core.storage import schema

EXAMPLES = int(os.environ.get("OUTREACH_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=EXAMPLES <= 100,  # CI runs the same files every time; a long run explores
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
CALLERS = [Scope("boss", "admin"), Scope("cy", "planner", ("110105",)), Scope("two", "planner", ("110105", "110108"))]

HOSTILE_TEXT = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "`${alert(2)}`",
    "{{ 7*7 }}",
    "{% if 1 %}x{% endif %}",
    "{# c #}",
    "{{",
    '=HYPERLINK("http://x")',
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1",
    "'; DROP TABLE sessions; --",
    "\x00",
    "\x07\x0b",
    "\r",
    "\n",
    "\r\n",
    '"',
    '""',
    ",",
    ";",
    "\u2028",
    "\ufeff",
    "\U0001f600",
    "𠀀",
    "\\",
    "NaN",
    "None",
    "null",
    "%s%s%n",
    "../../etc/passwd",
    "CON",
    "ｆｕｌｌ",
    "١٢٣",
]
NUMBERS = [
    "0",
    "1",
    "12",
    "-3",
    "2.5",
    "1,200",
    "1e3",
    "1e308",
    "-1e308",
    "99999999999999999999",
    "9223372036854775808",
    "2147483647",
    "2147483648",
    "inf",
    "-inf",
    "nan",
    "0x10",
    "１２",
    "12.0",
    " 7 ",
    "",
    "1_000",
]
DATES = [
    "2023-05-08",
    "2023/5/8",
    "2023年5月8日",
    "2023.05.08",
    "45054",
    "2023-05-08 00:00:00",
    "2023-05-08T09:00",
    "2023-05-08 25:00",
    "2023-02-30",
    "2023-13-01",
    "9999-12-31",
    "0001-01-01",
    "1899-12-31",
    "2099-01-01",
    "8/5/2023",
    "五月八日",
    "",
    "2026-11-22",
    "99999",
    "1e5",
]
TIMES = ["9:00", "09:00", "09:00:00", "9：30", "0.375", "14点30", "24:00", "23:59", "-1:00", "9", "", "noon", "1e9"]
DISTRICTS = ["朝阳区", "朝阳", "110105", "海淀区", "Haidian", "110108", "东城区", "火星区", "", "110000", "朝 阳"]
TYPES = ["职工沟通会", "企业沟通会", "worker", "enterprise", "职工", "其他", ""]
SITE_IDS = ["CY-001", "CY-002", "HD-001", "HD-002", "NEW-1", "", "S" * 65, "cy-001"]
COORDS = ["39.9", "116.4", "39.909", "116.456", "0", "91", "-200", "inf", "nan", "", "39,9", "1e400"]

# Values every check accepts (times: any start before any end), for files that should import.
CLEAN = {
    "session_type": ["职工沟通会", "worker", "职工"],
    "date": ["2023-05-08", "2023/5/8", "2023年5月8日", "45054", "2024-02-29"],
    "start_time": ["9:00", "09:00", "10点30", "0.375"],
    "end_time": ["17:00", "18:30:00", "23:59"],
    "district": ["朝阳区", "朝阳", "110105"],
    "site_id": ["CY-001", "CY-002", ""],
    "site_name": ["国贸一号", "望京驿站"],
    "lat": ["39.92"],
    "lon": ["116.45"],
    "staff": ["", "3"],
    "consultations": ["12", "1,200", "2147483647"],
    "applications": ["0", "3", "12.0"],
    "members_joined": ["", "3"],
    "enterprises_reached": ["", "2"],
    "unions_founded": ["", "1"],
    "notes": ["", "骑手驿站合办", "=SUM(A1)", "{{ x }}", "<b>x</b>"],
    "street": ["", "建外街道"],
    "site_type": ["", "商务楼宇", "delivery_station"],
    "workers_nearby": ["", "120"],
    "session_id": ["", "F-1", "F-2"],
}
_BY_KIND = {
    "date": DATES,
    "time": TIMES,
    "count": NUMBERS,
    "district": DISTRICTS,
    "session_type": TYPES,
    "coord": COORDS,
    "site_type": ["商务楼宇", "office_cluster", "快递驿站", "", "未知类型"],
}


@st.composite
def cell_for(draw, column, clean: bool = False):
    """A cell for a column: mostly its own vocabulary (so files reach every check), else hostile or any text."""
    if clean:
        return draw(st.sampled_from(CLEAN[column.name]))
    own = _BY_KIND.get(column.kind, SITE_IDS if column.name == "site_id" else ["国贸一号", "望京驿站", ""])
    kind = draw(st.integers(0, 19))
    if kind < 14:
        return draw(st.sampled_from(own))
    if kind < 16:
        return draw(st.sampled_from(HOSTILE_TEXT))
    if kind < 18:
        return draw(st.sampled_from(own)) + draw(st.sampled_from(HOSTILE_TEXT))
    if kind < 19:
        return draw(st.text(max_size=12))
    return "长" * draw(st.integers(min_value=1, max_value=300))


@st.composite
def tables(draw, columns):
    """A header (canonical, Chinese or alias names, in any order; usually every required column) and its rows."""
    required = [c for c in columns if c.required]
    optional = [c for c in columns if not c.required]
    clean = draw(st.integers(0, 9)) < 3  # every column, every cell valid: a file that should import
    if clean:
        chosen = draw(st.permutations(columns))
    elif draw(st.integers(0, 9)) < 8:
        chosen = required + draw(
            st.lists(st.sampled_from(optional), max_size=len(optional), unique_by=lambda c: c.name)
        )
        chosen = draw(st.permutations(chosen))
    else:
        chosen = draw(st.lists(st.sampled_from(columns), max_size=len(columns) + 2))
    header = [draw(st.sampled_from([c.name, c.zh, *c.aliases])) for c in chosen]
    cols = list(chosen)
    if not clean and draw(st.integers(0, 3)) == 0:  # a column the importer does not know
        at = draw(st.integers(0, len(header)))
        header.insert(at, draw(st.sampled_from(["备注2", "=cmd|' /C calc'!A0", "{{x}}", ""])))
        cols.insert(at, None)
    rows = []
    for _ in range(draw(st.integers(1, 6))):
        row = [draw(cell_for(c, clean)) if c is not None else draw(st.text(max_size=5)) for c in cols]
        if not clean and draw(st.integers(0, 9)) == 0:  # ragged: a cell short or a cell more
            row = row[:-1] if row and draw(st.booleans()) else row + [draw(st.sampled_from(HOSTILE_TEXT))]
        rows.append(row)
    title = [[draw(st.sampled_from(["2023年5月台账", "", "=1+1"]))]] if draw(st.integers(0, 4)) == 0 else []
    return title + [header] + rows


def _csv_bytes(rows, delimiter: str, encoding: str, quote_all: bool) -> bytes:
    import csv

    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=delimiter, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL).writerows(rows)
    text = buf.getvalue()
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _xlsx_bytes(rows) -> bytes:
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in rows:  # Excel cannot hold control characters: such a file never comes from a spreadsheet
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", c) for c in row])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


@st.composite
def files(draw, columns):
    """The bytes of an upload: a generated table as CSV or .xlsx, damaged or not, or random bytes."""
    form = draw(st.sampled_from(["csv"] * 6 + ["xlsx"] * 3 + ["bytes"]))
    if form == "bytes":
        return draw(st.binary(max_size=400)), "random.csv"
    rows = draw(tables(columns))
    if form == "xlsx":
        data, name = _xlsx_bytes(rows), "upload.xlsx"
    else:
        encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
        data = _csv_bytes(rows, draw(st.sampled_from([",", ",", "\t", ";"])), encoding, draw(st.booleans()))
        name = "upload.csv"
    # positions as fractions: an .xlsx holds its save time, so its length varies from run to run
    damage, where, flip = draw(st.integers(0, 15)), draw(st.floats(0, 1)), draw(st.integers(1, 255))
    i = int(where * (len(data) - 1)) if data else 0
    if damage == 0 and data:  # cut off
        data = data[:i]
    elif damage == 1 and data:  # a flipped byte
        data = data[:i] + bytes([data[i] ^ flip]) + data[i + 1 :]
    return data, name


def snapshot(engine) -> dict[str, list]:
    """Every stored row but the audit log (a refusal for scope is audited: that is the one write it makes)."""
    with engine.connect() as conn:
        return {
            t.name: sorted(map(repr, conn.execute(sa.select(t)).all()))
            for t in schema.metadata.sorted_tables
            if t.name != "audit_log"
        }


def _check(report, before_snapshot, engine):
    assert report.status in ("written", "dry_run", "refused", "unreadable")
    event(report.status)  # --hypothesis-show-statistics: the files reach every outcome, not only "unreadable"
    for code in {p.code for p in report.problems}:
        event(f"problem {code}")
    for p in report.problems:
        assert p.code in CATALOGUE and p.zh and p.en
        if p.severity == "error" and p.row is not None:
            assert p.column, p  # a row's error names its column
    if report.status in ("refused", "unreadable", "dry_run"):
        assert snapshot(engine) == before_snapshot
    else:
        assert not [p for p in report.errors if p.row is None]


@pytest.fixture
def world(engine, fixture_bytes):
    assert ingest.import_sites(engine, fixture_bytes("sites/valid_zh.csv"), "sites.csv").status == "written"
    return engine


@FUZZ
@given(upload=files(SESSION_COLUMNS), caller=st.sampled_from(CALLERS), dry_run=st.booleans(), skip=st.booleans())
def test_any_sessions_file_gets_a_report_and_a_refusal_changes_nothing(world, upload, caller, dry_run, skip):
    data, name = upload
    before = snapshot(world)
    report = access.import_sessions(world, caller, data, name, dry_run=dry_run, skip_invalid=skip)
    _check(report, before, world)


@FUZZ
@given(
    upload=files(SITE_COLUMNS),
    caller=st.sampled_from(CALLERS),
    dry_run=st.booleans(),
    coords=st.sampled_from(["wgs84", "gcj02"]),
)
def test_any_sites_file_gets_a_report_and_a_refusal_changes_nothing(world, upload, caller, dry_run, coords):
    data, name = upload
    before = snapshot(world)
    report = access.import_sites(world, caller, data, name, dry_run=dry_run, coords=coords)
    _check(report, before, world)


@pytest.mark.parametrize("empty_engine", ["sqlite"], indirect=True)
@settings(FUZZ, max_examples=max(10, EXAMPLES // 4))
@given(upload=files(SESSION_COLUMNS))
def test_the_command_line_answers_any_file_with_a_status_never_a_traceback(world, upload, tmp_path_factory, capsys):
    data, name = upload
    path = tmp_path_factory.mktemp("fuzz") / name
    path.write_bytes(data)
    os.environ["OUTREACH_DB_URL"] = world.url.render_as_string(hide_password=False)
    try:
        status = cli.main(["sessions", "import", str(path), "--skip-invalid", "--no-retrain"])
    finally:
        del os.environ["OUTREACH_DB_URL"]
    out = capsys.readouterr()
    assert status in (0, 1) and "Traceback" not in out.err
