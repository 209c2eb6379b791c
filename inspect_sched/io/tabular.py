"""Reading a user's table (CSV or .xlsx) into a header and rows, whatever Excel made of it.

CSV encoding is detected, never asked: UTF-8 (with or without BOM) is tried strictly
first, then GB18030 (a superset of GBK, what Excel on a Chinese Windows writes). Rows are
streamed, so a file can be read twice (validate, then write) without holding it in memory.

Row numbers are the ones the user sees: the CSV line number (header = 1) or the Excel row.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from inspect_sched.errors import InputFileError, RowProblem
from inspect_sched.io.text import first_ten, text_problem

MAX_CELL = 10_000
_CHUNK = 1 << 20
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
# How many leading rows may be a title ("XX市检查对象名录库") above the real header.
_HEADER_SEARCH = 10

Cell = str | dt.date


def header_key(name: str) -> str:
    """Header spelling that ignores case, width, spaces, ``_`` and ``-``: ``Inspector ID`` = ``inspector_id``."""
    return re.sub(r"[\s_\-]+", "", unicodedata.normalize("NFKC", name)).lower()


def column_letter(index: int) -> str:
    """0-based column index -> Excel letters (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass
class Table:
    """A readable file whose header has been matched against one kind's columns.

    ``fields`` maps canonical column names to their 0-based index; ``extra`` maps the
    header of every unknown column (as written) to its index. ``rows()`` may be called
    more than once; each call reads the file again.
    """

    path: str
    kind: str  # "csv" or "xlsx"
    headers: list[str]
    header_row: int
    fields: dict[str, int]
    extra: dict[str, int]
    encoding: str = ""
    delimiter: str = ","

    def rows(self) -> Iterator[tuple[int, list[Cell]]]:
        """``(row_number, cells)`` for every non-empty row below the header; cells padded to the header."""
        width = len(self.headers)
        for number, cells in self._iter_all():
            if number <= self.header_row:
                continue
            if len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            yield number, cells

    def extras(self, cells: Sequence[Cell]) -> dict[str, str]:
        """The unknown columns of one row; a value under a blank header is kept as ``column_C``."""
        out = {name: _as_text(cells[i]) for name, i in self.extra.items()}
        for i in range(len(self.headers), len(cells)):
            if cells[i] != "":
                out[f"column_{column_letter(i)}"] = _as_text(cells[i])
        for i, h in enumerate(self.headers):
            if not h and i < len(cells) and cells[i] != "":
                out[f"column_{column_letter(i)}"] = _as_text(cells[i])
        return out

    def column_name(self, canonical: str) -> str:
        """The header as the user wrote it, for messages."""
        i = self.fields.get(canonical)
        return self.headers[i] if i is not None else canonical

    def _iter_all(self) -> Iterator[tuple[int, list[Cell]]]:
        if self.kind == "csv":
            return _iter_csv(self.path, self.encoding, self.delimiter)
        return _iter_xlsx(self.path)


def _as_text(value: Cell) -> str:
    return value.isoformat() if isinstance(value, dt.date) else value


def read_table(path: str | Path, columns: Mapping[str, Sequence[str]]) -> Table:
    """Open ``path`` and match its header against ``columns`` (canonical -> aliases, vocab.COLUMNS[kind]).

    Raises ``InputFileError`` for an unreadable file, an empty file, a header-only file
    or two headers naming the same column. Missing columns are the caller's business.
    """
    path = str(path)
    suffix = Path(path).suffix.lower()
    if suffix in XLSX_SUFFIXES:
        kind, encoding, delimiter = "xlsx", "", ","
        _check_xlsx(path)
    elif suffix == ".xls":
        raise InputFileError(path, message="old .xls workbooks are not supported; in Excel use Save As → .xlsx or CSV UTF-8")
    elif suffix in TEXT_SUFFIXES or suffix == "":
        kind, encoding = "csv", detect_encoding(path)
        delimiter = _sniff_delimiter(path, encoding)
    else:
        raise InputFileError(path, message=f"unknown file type {suffix!r}; give a .csv or .xlsx file")

    lookup: dict[str, str] = {}
    for column, aliases in columns.items():
        for name in (column, *aliases):
            lookup[header_key(name)] = column

    it = _iter_csv(path, encoding, delimiter) if kind == "csv" else _iter_xlsx(path)
    candidates: list[tuple[int, list[Cell]]] = []
    header_row, headers = 0, []
    for number, cells in it:
        candidates.append((number, cells))
        if any(header_key(_as_text(c)) in lookup for c in cells) or len(candidates) >= _HEADER_SEARCH:
            break
    if not candidates:
        raise InputFileError(path, message="the file is empty; the first line must be the header row (see SPEC §2)")
    # The header is the first row naming a known column; failing that, the first non-empty row.
    header_row, raw = next(((n, c) for n, c in candidates if any(header_key(_as_text(x)) in lookup for x in c)),
                           candidates[0])
    headers = [unicodedata.normalize("NFKC", _as_text(c)).strip() for c in raw]
    while headers and not headers[-1]:
        headers.pop()

    fields: dict[str, int] = {}
    extra: dict[str, int] = {}
    problems: list[RowProblem] = []
    for i, h in enumerate(headers):
        if not h:
            continue
        canonical = lookup.get(header_key(h))
        if canonical is None:
            if h in extra:
                problems.append(RowProblem(header_row, h, h, "this header appears twice; rename one of the columns"))
            extra[h] = i
        elif canonical in fields:
            first = headers[fields[canonical]]
            problems.append(RowProblem(
                header_row, h, h,
                f"column {column_letter(i)} and column {column_letter(fields[canonical])} ({first!r}) both mean "
                f"{canonical!r}; delete one of them",
            ))
        else:
            fields[canonical] = i
    if problems:
        raise InputFileError(path, problems, message="the header row has duplicated columns; nothing was imported.")
    table = Table(path, kind, headers, header_row, fields, extra, encoding, delimiter)
    if next(table.rows(), None) is None:
        raise InputFileError(path, message=f"the file has a header (row {header_row}) but no data rows")
    return table


def _cell_name(row: int) -> Callable[[int], str]:
    """Column index -> Excel cell name (``B3``) in ``row``."""
    return lambda i: f"{column_letter(i)}{row}"


def _check_text(path: str, row: int, cells: Sequence[Cell], where: Callable[[int], str]) -> None:
    """SPEC §9: no control or format character in any cell of any file (line breaks and tabs
    aside, which the importer allows in free-text columns only). An ESC in a firm name would
    reach terminals and workbooks; a zero-width space makes two equal-looking names differ."""
    for i, c in enumerate(cells):
        if isinstance(c, str):
            why = text_problem(c, allow_breaks=True)
            if why:
                shown = "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in c[:40])
                raise InputFileError(path, [RowProblem(row, where(i), shown, why)],
                                     message="a cell contains an invisible control or format character; "
                                             "nothing was imported.")


# ---------------------------------------------------------------------------- CSV


def detect_encoding(path: str) -> str:
    """``utf-8-sig`` or ``gb18030``, checked over the whole file; anything else is an error."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise InputFileError(path, message=f"cannot read the file: {exc.strerror}") from None
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _looks_utf16(head):
        raise InputFileError(
            path, message=f"file {path} is UTF-16 text (Excel \"Unicode Text\"); save it as CSV UTF-8 from Excel"
        )
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            with open(path, "rb") as fh:
                while chunk := fh.read(_CHUNK):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            if encoding == "gb18030":
                _refuse_mixed(path)
            return encoding
        except UnicodeDecodeError:
            continue
    guess = ""
    try:
        from charset_normalizer import from_path

        best = from_path(path).best()
        if best is not None:
            guess = f" (it looks like {best.encoding})"
    except Exception:  # noqa: BLE001  (the guess only decorates the message)
        pass
    raise InputFileError(
        path, message=f"file {path} is not UTF-8 or GBK text{guess}; save it as CSV UTF-8 from Excel"
    )


def _refuse_mixed(path: str) -> None:
    """A GBK file with some lines pasted in as UTF-8 decodes as GB18030 without error, as
    mojibake (锟斤拷 and worse). A non-ASCII line that is valid UTF-8 is practically never GBK
    text, so such lines in a file that is not UTF-8 as a whole mean mixed encodings."""
    utf8_lines: list[int] = []
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if raw.isascii():
                continue
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                continue
            utf8_lines.append(number)
    if utf8_lines:
        raise InputFileError(
            path, message=f"file {path} mixes encodings: line(s) {first_ten(utf8_lines, ', ')} are UTF-8, the rest GBK, so they would "
                          "import as garbled text. Open it in Excel and save it as CSV UTF-8, or fix those lines"
        )


def _looks_utf16(head: bytes) -> bool:
    # Without a BOM, UTF-16 shows as NUL bytes (the high half of ASCII characters) all on the
    # same side of each byte pair (a few CJK characters such as 一 U+4E00 add one on the other side).
    even = head[0::2].count(0)
    odd = head[1::2].count(0)
    return even + odd >= 2 and max(even, odd) >= 0.75 * (even + odd)


def _sniff_delimiter(path: str, encoding: str) -> str:
    # Tab-separated text comes from copying out of Excel; ';' never separates columns here
    # because it separates tags inside a cell.
    with open(path, encoding=encoding, newline="") as fh:
        first = fh.readline()
    return "\t" if first.count("\t") > first.count(",") else ","


def _iter_csv(path: str, encoding: str, delimiter: str) -> Iterator[tuple[int, list[Cell]]]:
    csv.field_size_limit(1 << 30)  # oversized cells are reported by name below, not by csv
    with open(path, encoding=encoding, newline="") as fh:
        # strict: an unbalanced quote must be an error, not a cell that swallows the rest of the file.
        reader = csv.reader(fh, delimiter=delimiter, strict=True)
        line = 1
        while True:
            line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise InputFileError(path, message=f"line {line}: not valid CSV ({exc})") from None
            cells = [c.strip() for c in row]
            if not any(cells):
                continue
            for i, c in enumerate(cells):
                if len(c) > MAX_CELL:
                    raise InputFileError(path, [RowProblem(
                        line, column_letter(i), c[:40], f"cell has {len(c):,} characters, at most {MAX_CELL:,} allowed"
                    )], message="a cell is too long; nothing was imported.")
                if "\x00" in c:
                    # PostgreSQL cannot store NUL and no one types it: the file is damaged or binary.
                    raise InputFileError(path, [RowProblem(
                        line, column_letter(i), c.replace("\x00", "\\0")[:40],
                        "contains a NUL character; the file is damaged or not plain text — save it as CSV UTF-8 from Excel",
                    )], message="a cell contains a NUL character; nothing was imported.")
            _check_text(path, line, cells, column_letter)
            # Only str cells; the cast widens the list to the Cell type without a copy.
            yield line, cast("list[Cell]", cells)


# ---------------------------------------------------------------------------- xlsx


# Bounds on what an .xlsx may make us read (SPEC §9). A zip member expands to at most its
# declared size (zipfile stops there and fails the CRC), so these checks cost nothing.
MAX_XLSX_MEMBER = 1 << 30  # 1 GiB of XML in any one part
MAX_SHARED_STRINGS_BYTES = 128 << 20  # openpyxl holds all shared strings in memory
MAX_SHARED_STRINGS = 3_000_000
MAX_XLSX_RATIO = 100  # real sheets compress 5–30×; a zip bomb thousands of times
MAX_XLSX_COLUMNS = 1_000
MAX_XLSX_CELLS = 30_000_000


def _too_big(path: str, what: str) -> InputFileError:
    return InputFileError(path, message=f"{what}; this is not a pool an office keeps (or the file is built to "
                                        "exhaust the reader). Save the sheet as CSV UTF-8, or split it")


def _check_xlsx(path: str) -> None:
    try:
        ok = zipfile.is_zipfile(path)
    except OSError as exc:
        raise InputFileError(path, message=f"cannot read the file: {exc.strerror}") from None
    if not ok:
        raise InputFileError(path, message="is not a readable .xlsx workbook (damaged, truncated or not Excel); "
                                           "open it in Excel and save it again, or save it as CSV UTF-8")
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.file_size > MAX_XLSX_MEMBER:
                    raise _too_big(path, f"part {info.filename} expands to {info.file_size:,} bytes "
                                         f"(at most {MAX_XLSX_MEMBER:,})")
                if info.file_size > (1 << 24) and info.file_size > MAX_XLSX_RATIO * max(info.compress_size, 1):
                    raise _too_big(path, f"part {info.filename} expands {info.file_size // max(info.compress_size, 1):,} "
                                         f"times (at most {MAX_XLSX_RATIO}×: a zip bomb)")
                if info.filename.lower().endswith("sharedstrings.xml"):
                    if info.file_size > MAX_SHARED_STRINGS_BYTES:
                        raise _too_big(path, f"its shared strings take {info.file_size:,} bytes "
                                             f"(at most {MAX_SHARED_STRINGS_BYTES:,})")
                    _count_shared_strings(zf, info, path)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise _unreadable_xlsx(path, exc) from None


def _count_shared_strings(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: str) -> None:
    count, tail = 0, b""
    with zf.open(info) as fh:
        while chunk := fh.read(_CHUNK):
            buf = tail + chunk
            count += buf.count(b"<si>") + buf.count(b"<si ") - tail.count(b"<si>") - tail.count(b"<si ")
            tail = buf[-3:]
            if count > MAX_SHARED_STRINGS:
                raise _too_big(path, f"it has more than {MAX_SHARED_STRINGS:,} shared strings")


def _has_formulas(path: str) -> bool:
    # A cheap scan, so that the second (formula-reading) pass runs only when it is needed.
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                with zf.open(name) as fh:
                    tail = b""
                    while chunk := fh.read(_CHUNK):
                        buf = tail + chunk
                        if b"<f>" in buf or b"<f " in buf or b":f>" in buf or b":f " in buf:
                            return True
                        tail = buf[-4:]
    return False


def _open_sheet(path: str, data_only: bool) -> tuple[Any, Any]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=data_only)
    ws = wb.worksheets[0]
    # The declared dimension (<dimension ref="A1:XFD1048576"/>) is not trusted: with it
    # openpyxl pads every row to 16,384 cells.
    ws.reset_dimensions()
    return wb, ws


def _xlsx_value(value: object) -> Cell:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date()  # a time of day on an inspection date carries no meaning here
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.time | dt.timedelta):
        return str(value)
    return str(value).strip()


def _unreadable_xlsx(path: str, exc: Exception) -> InputFileError:
    return InputFileError(path, message=f"is not a readable .xlsx workbook ({type(exc).__name__}: {exc}); "
                                        "open it in Excel and save it again, or save it as CSV UTF-8")


def _iter_xlsx(path: str) -> Iterator[tuple[int, list[Cell]]]:
    try:
        wb, ws = _open_sheet(path, data_only=True)
        formulas = None
        if _has_formulas(path):
            fwb, fws = _open_sheet(path, data_only=False)
            formulas = fws.iter_rows(min_row=1, values_only=True)
    except InputFileError:
        raise
    except Exception as exc:  # noqa: BLE001  (openpyxl raises many kinds for a damaged file)
        raise _unreadable_xlsx(path, exc) from None
    cells_read = 0
    above: list[list[Cell]] = []  # the first rows read: the header is among them, to name a column
    try:
        for number, values in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
            fvalues = next(formulas, ()) if formulas is not None else ()
            cells_read += len(values)
            if len(values) > MAX_XLSX_COLUMNS and any(v is not None for v in values[MAX_XLSX_COLUMNS:]):
                raise _too_big(path, f"row {number} uses column {column_letter(len(values) - 1)} "
                                     f"(at most {MAX_XLSX_COLUMNS:,} columns)")
            if cells_read > MAX_XLSX_CELLS:
                raise _too_big(path, f"it has more than {MAX_XLSX_CELLS:,} cells")
            cells = [_xlsx_value(v) for v in values]
            for i, v in enumerate(values):
                if v is None and i < len(fvalues) and isinstance(fvalues[i], str) and fvalues[i].startswith("="):
                    # Name the cell as Excel does, and the column by the first row above with
                    # several cells (the header; a title row has one).
                    header = next((r[i] for r in above if sum(1 for c in r if c != "") > 1
                                   and i < len(r) and isinstance(r[i], str) and r[i]), "")
                    raise InputFileError(path, [RowProblem(
                        number, f"{column_letter(i)}{number}" + (f" ({header})" if header else ""), fvalues[i],
                        "a formula without a saved value; open the file in Excel, let it calculate and save it again",
                    )], message="a formula cell has no value; nothing was imported.")
            while cells and cells[-1] == "":
                cells.pop()
            if not cells or all(c == "" for c in cells):
                continue
            if len(above) < 11:  # a title of up to 10 rows, then the header (as header detection)
                above.append(cells)
            for i, c in enumerate(cells):
                if isinstance(c, str) and len(c) > MAX_CELL:
                    raise InputFileError(path, [RowProblem(
                        number, f"{column_letter(i)}{number}", c[:40],
                        f"cell has {len(c):,} characters, at most {MAX_CELL:,} allowed",
                    )], message="a cell is too long; nothing was imported.")
            _check_text(path, number, cells, _cell_name(number))
            yield number, cells
    except InputFileError:
        raise
    except Exception as exc:  # noqa: BLE001  (a truncated zip member fails only while reading)
        raise _unreadable_xlsx(path, exc) from None
    finally:
        wb.close()
        if formulas is not None:
            fwb.close()
