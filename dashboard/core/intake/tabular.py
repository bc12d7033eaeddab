"""Turn the bytes of an uploaded CSV or Excel file into a table of strings, or refuse it with a plain reason.

Everything is read as text so that nothing is silently converted (leading zeros, dates typed three ways);
the validators decide what each cell means. Spreadsheet row numbers are kept, so every message can say
"row 7" and mean the row the user sees in Excel.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import itertools
import os
import re
import zipfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dashboard.core.intake.columns import Column, header_lookup, normalise_header
from dashboard.core.messages import MAX_LISTED, Problem, ProblemLog, problem
from dashboard.core.text import CONTROL

if TYPE_CHECKING:
    from _csv import Reader

XLSX_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and .doc): not supported
HEADER_SEARCH_ROWS = 15  # a title line or two above the header is common in planners' sheets
XLSX_UNPACKED_FACTOR = 5  # an .xlsx may unpack to this many times the upload limit: refused before parsing beyond it
MAX_COLUMNS = 200  # cells further right than this are not read (a stray cell at column XFD would pad every row)

# A cell may be as long as a whole file; the validators say when it is too long for its column.
csv.field_size_limit(2**31 - 1)


def max_upload_bytes() -> int:
    """The largest file accepted, ``OUTREACH_MAX_UPLOAD_MB`` megabytes (default 20, like the upload page's limit)."""
    return int(float(os.environ.get("OUTREACH_MAX_UPLOAD_MB", "20")) * 1024 * 1024)


def max_upload_rows() -> int:
    """The most data rows a file may have, ``OUTREACH_MAX_UPLOAD_ROWS`` (default 100,000: a district's years)."""
    return int(os.environ.get("OUTREACH_MAX_UPLOAD_ROWS", "100000"))


class UnreadableFile(ValueError):
    """The file is not a table we can read; ``problem`` says why and what to do, in both languages."""

    def __init__(self, problem: Problem):
        super().__init__(problem.en)
        self.problem = problem


@dataclass
class RawTable:
    """A file's cells as strings under canonical column names, with the row numbers the user sees."""

    data: pd.DataFrame  # canonical column names, str values ("" for blank)
    row_numbers: pd.Series  # 1-based spreadsheet row of each data row, aligned with ``data``
    headers: dict[str, str]  # canonical name -> header as written in the file
    unknown_headers: list[str]
    encoding: str  # "xlsx" for Excel files
    sha256: str
    file_name: str
    notes: list[Problem] = field(default_factory=list)  # warnings about the file's shape
    set_aside: int = 0  # rows of the file left out before validation (totals, examples, results not yet held)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes: BOM, then strict UTF-8, then GB18030 (a superset of GBK/GB2312), else refuse.

    charset detection libraries guess short Chinese files wrongly (GBK as UTF-16); this fixed chain does not.
    """
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError:  # a cut-off UTF-16 file (odd byte count), or bytes that are not UTF-8
                raise UnreadableFile(problem("bad_encoding")) from None
    if b"\x00" in data[:4096]:
        raise UnreadableFile(problem("binary_file"))
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise UnreadableFile(problem("bad_encoding")) from None
    # GB18030 decodes almost any byte soup; real text has few control characters.
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\r\n\t")
    if controls > 8:
        raise UnreadableFile(problem("binary_file"))
    return text, "gb18030"


def _cell_to_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.hour == value.minute == value.second == 0:
            return value.date().isoformat()
        if value.date() == dt.date(1899, 12, 30) or value.year < 1901:  # a time typed into Excel
            return value.strftime("%H:%M:%S")
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _unpacked_size(data: bytes) -> int:
    """What an .xlsx unpacks to, from its directory (zipfile never inflates an entry past its stated size)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UnreadableFile(problem("broken_xlsx")) from None


def _read_xlsx(data: bytes, max_rows: int) -> list[list[str]]:
    import openpyxl  # defusedxml, when installed, hardens openpyxl's XML parsing

    limit = XLSX_UNPACKED_FACTOR * max_upload_bytes()
    unpacked = _unpacked_size(data)
    if unpacked > limit:  # a small file that inflates to gigabytes: refused before any of it is parsed
        mb = lambda n: f"{n / 1024 / 1024:,.0f} MB"  # noqa: E731
        raise UnreadableFile(problem("xlsx_too_large", value=mb(unpacked), limit=mb(limit)))
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a broken zip
        raise UnreadableFile(problem("broken_xlsx")) from None
    try:
        ws = wb.worksheets[0]
        stated = ws.max_column
        width = stated if stated and stated <= MAX_COLUMNS else MAX_COLUMNS
        ws.reset_dimensions()  # no padding to a stated sheet size of a million rows
        out, filled = [], 0
        # a gap of empty rows costs one check each, so a lone cell at row 1,048,576 is cheap
        for row in ws.iter_rows(min_row=1, max_col=width, values_only=True):
            if any(v is not None for v in row):
                filled += 1
                if filled > max_rows + HEADER_SEARCH_ROWS:  # stop reading: the file is refused for its length
                    break
                out.append([_cell_to_text(v) for v in row])
            else:
                out.append([])
        return out
    except Exception:  # broken XML inside an intact zip
        raise UnreadableFile(problem("broken_xlsx")) from None
    finally:
        wb.close()


def _find_header(rows: list[list[str]], lookup: dict[str, str]) -> int | None:
    best, best_hits = None, 1
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        hits = len({lookup[k] for k in (normalise_header(c) for c in row) if k in lookup})
        if hits > best_hits:
            best, best_hits = i, hits
    return best


def _sniff_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (",", "\t", ";")}
    return max(counts, key=lambda d: (counts[d], d == ","))


def _records(text: str, delim: str) -> Reader:
    """The file's records as the csv module reads them: line breaks inside quoted cells stay in their cell."""
    return csv.reader(io.StringIO(text, newline=""), delimiter=delim)


def _head(text: str, delim: str) -> tuple[list[list[str]], list[int]]:
    """The first records and the physical line each ends on (they differ when a quoted cell spans lines)."""
    rows, ends = [], []
    reader = _records(text, delim)
    try:
        for row in itertools.islice(reader, HEADER_SEARCH_ROWS):
            rows.append(row)
            ends.append(reader.line_num)
    except csv.Error:
        raise UnreadableFile(problem("not_a_table")) from None
    return rows, ends


def _read_csv_text(
    data: bytes, text: str, encoding: str, delim: str, header_idx: int, width: int, header_end: int
) -> pd.DataFrame:
    """Parse the CSV body as strings, fast (pyarrow) unless blank lines would shift the row numbers.

    ``header_end`` is the physical line the header ends on: pyarrow skips lines, not records, so it is used
    only when the two agree.
    """
    common = dict(
        sep=delim, header=None, skiprows=header_idx + 1, dtype=str, keep_default_na=False, names=list(range(width))
    )
    has_blank_lines = re.search(r"\n[ \t]*\r?\n(?=.)", text, flags=re.S) is not None
    if not has_blank_lines and len(delim) == 1 and header_end == header_idx + 1:
        body = (
            data[len(codecs.BOM_UTF8) :]
            if encoding == "utf-8-sig"
            else data
            if encoding == "utf-8"
            else text.encode("utf-8")
        )
        try:
            frame = pd.read_csv(io.BytesIO(body), engine="pyarrow", **common)
        except Exception:  # pyarrow is strict about ragged rows; the C parser below copes or says what is wrong
            frame = None
        # When rows hold one cell more than the header, pandas makes the first column the index and shifts every
        # value left, silently. Only a plain row range means the columns are where the header says.
        if frame is not None and isinstance(frame.index, pd.RangeIndex):
            return frame
    # Ragged rows: size the table by its widest row so no cell is lost; cells past the header are reported.
    try:
        widest = max((len(r) for r in _records(text, delim)), default=width)
    except csv.Error:
        raise UnreadableFile(problem("not_a_table")) from None
    common["names"] = list(range(max(width, min(widest, MAX_COLUMNS))))
    if widest > MAX_COLUMNS:
        common["usecols"] = common["names"]
    try:
        return pd.read_csv(io.StringIO(text), engine="c", skip_blank_lines=False, index_col=False, **common)
    except (pd.errors.ParserError, ValueError):
        raise UnreadableFile(problem("not_a_table")) from None


# A sheet's own totals row: "合计" (or 总计, 小计…, "Total" in an English sheet) and the sums. Not a record.
TOTALS = re.compile(r"(?:合计|总计|小计|共计|累计|总合计).{0,8}|(?:grand)?(?:sub)?totals?|sum", re.IGNORECASE)


def _totals_rows(frame: pd.DataFrame) -> pd.Series:
    """Each row's first filled cell (in any column, known or not) where it says the row is a totals row, else ""."""
    cells = frame.fillna("").astype(str).apply(lambda col: col.str.strip())
    if cells.empty:
        return pd.Series("", index=frame.index, dtype=object)
    # each row's first non-empty cell, by position (bfill along a row transposed the frame: 10 s for 90,000 rows)
    values = cells.to_numpy(dtype=object)
    filled = values != ""
    picked = values[np.arange(len(values)), filled.argmax(axis=1)]
    first = pd.Series(np.where(filled.any(axis=1), picked, ""), index=frame.index, dtype=object)
    totals = first.str.replace(r"[\s:：]", "", regex=True).str.fullmatch(TOTALS).fillna(False).astype(bool)
    return first.where(totals, "")


def _too_wide(header_cells: list) -> None:
    if len(header_cells) > MAX_COLUMNS:
        raise UnreadableFile(problem("too_many_columns", value=f"{len(header_cells):,}", limit=f"{MAX_COLUMNS:,}"))


def read_table(data: bytes, file_name: str, columns: tuple[Column, ...], max_rows: int | None = None) -> RawTable:
    """Read a CSV or .xlsx file into a :class:`RawTable` for ``columns``.

    Parameters
    ----------
    data : bytes
        The file's content.
    file_name : str
        Used in messages and the upload audit only; the format is decided from the content.
    columns : tuple of Column
        The expected columns (sessions or sites); headers may be English or Chinese, in any order.
    max_rows : int, optional
        Files with more data rows are refused (default :func:`max_upload_rows`).

    Raises
    ------
    UnreadableFile
        Empty, binary, legacy .xls, undecodable, no recognisable header row, too many rows or columns.
    """
    max_rows = max_upload_rows() if max_rows is None else max_rows
    if not data or not data.strip():
        raise UnreadableFile(problem("empty_file"))
    if data.startswith(OLE2_MAGIC):
        raise UnreadableFile(problem("legacy_xls"))
    lookup = header_lookup(columns)
    if data.startswith(XLSX_MAGIC):
        rows = _read_xlsx(data, max_rows)
        encoding = "xlsx"
        header_idx = _find_header(rows, lookup)
        if header_idx is None:
            raise UnreadableFile(problem("no_header"))
        _too_wide(rows[header_idx])
        width = len(rows[header_idx])
        body = [(r + [""] * width)[:width] for r in rows[header_idx + 1 :]]
        frame = pd.DataFrame(body, columns=range(width), dtype=str) if body else pd.DataFrame(columns=range(width))
        header_cells = rows[header_idx]
    else:
        text, encoding = decode_text(data)
        if (nul := text.find("\x00")) >= 0:  # PostgreSQL cannot store it, and no spreadsheet writes it
            raise UnreadableFile(problem("nul_in_file", value=text.count("\n", 0, nul) + 1))
        delim = _sniff_delimiter("\n".join(text.splitlines()[:HEADER_SEARCH_ROWS]))
        head_rows, head_ends = _head(text, delim)
        header_idx = _find_header(head_rows, lookup)
        if header_idx is None:
            raise UnreadableFile(problem("no_header"))
        _too_wide(head_rows[header_idx])
        frame = _read_csv_text(
            data, text, encoding, delim, header_idx, len(head_rows[header_idx]), head_ends[header_idx]
        )
        header_cells = head_rows[header_idx]

    headers: dict[str, str] = {}
    unknown: list[str] = []
    keep: dict[int, str] = {}
    for pos, cell in enumerate(header_cells):
        key = lookup.get(normalise_header(cell))
        if key and key not in headers:
            headers[key] = str(cell).strip()
            keep[pos] = key
        elif str(cell).strip():
            unknown.append(str(cell).strip())
    notes = ProblemLog()
    # a totals row under the records ("合计" and the sums): set aside with a note, never checked as a record
    labels = _totals_rows(frame)
    totals = labels != ""
    for i in totals[totals].index[: notes.room("totals_row")]:
        notes.add(problem("totals_row", row=int(i) + header_idx + 2, value=labels[i]))
    notes.count("totals_row", max(0, int(totals.sum()) - MAX_LISTED))
    set_aside = int(totals.sum())
    beyond = [c for c in frame.columns if c >= len(header_cells)]
    if beyond:
        spill = (frame[beyond].fillna("").astype(str).apply(lambda col: col.str.strip()) != "").any(axis=1) & ~totals
        where = spill[spill].index
        for i in where[: notes.room("cells_beyond_header")]:
            notes.add(problem("cells_beyond_header", row=int(i) + header_idx + 2))
        notes.count("cells_beyond_header", max(0, len(where) - MAX_LISTED))
    frame = frame[list(keep)].rename(columns=keep).fillna("").astype(str)
    row_numbers = pd.Series(frame.index + header_idx + 2, index=frame.index)
    frame, row_numbers = frame[~totals], row_numbers[~totals]
    for col in frame.columns:
        frame[col] = frame[col].str.strip()
    blank = (frame == "").all(axis=1) if len(frame.columns) else pd.Series(True, index=frame.index)
    frame, row_numbers = frame[~blank].reset_index(drop=True), row_numbers[~blank].reset_index(drop=True)
    if len(frame) > max_rows:
        raise UnreadableFile(problem("too_many_rows", value=f"{len(frame):,}", limit=f"{max_rows:,}"))
    for col in frame.columns:
        control = frame[col].str.contains(CONTROL)
        if not control.any():
            continue
        where = control[control].index
        for i in where[: notes.room("control_chars_removed")]:
            notes.add(problem("control_chars_removed", row=int(row_numbers[i]), column=headers[col]))
        notes.count("control_chars_removed", max(0, len(where) - MAX_LISTED))
        frame[col] = frame[col].str.replace(CONTROL, "", regex=True).str.strip()
    return RawTable(
        frame, row_numbers, headers, unknown, encoding, sha256(data), file_name, notes.listed(), set_aside=set_aside
    )
