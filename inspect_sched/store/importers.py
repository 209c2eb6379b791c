"""The five importers of SPEC §2 and the results-file parser.

Every importer is all-or-nothing: the file is checked and written in one pass inside one
transaction; every bad cell is collected, ``InputFileError`` lists them and the transaction
is rolled back, so only a clean file is ever committed. Records are never all held in
memory, so a million-row pool costs little more than its largest chunk.

Keys and what a re-import does:

* enterprises by ``uscc``, inspectors by ``inspector_id``: upsert (the file's row replaces
  the stored one, extra columns included); ``replace=True`` also deletes rows not in the file.
  A key twice in one file is an error.
* positive list by ``(uscc, start)``: upsert (``end`` may change). Twice in one file: error.
* conflicts by ``(inspector_id, uscc)``: upsert (``reason`` may change). Twice: error.
* history: appended; a row equal to a stored one or to an earlier row of the file
  (same ``uscc``, ``date``, ``kind``, ``inspector_ids``) is ignored and counted unchanged.

Conflicts, positive-list entries and history may name firms or inspectors that are not
(or no longer, or not yet) in the pools: pools change over time and these tables are
records of facts, so such rows are accepted as they are. A conflict for an inspector who
is imported later applies from then on; one for a departed inspector simply never matches.

Inspector ids are opaque, but NFKC-normalised and stripped like every other key, so a
full-width digit typed in one file still matches the same id typed half-width in another.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, SQLModel

from inspect_sched.core.inputs import join_list, split_list
from inspect_sched.errors import InputFileError, InspectSchedError, RowProblem
from inspect_sched.io.tabular import Cell, Table, read_table
from inspect_sched.io.text import first_ten, id_problem
from inspect_sched.schema import uscc as uscc_mod
from inspect_sched.schema import vocab
from inspect_sched.schema.entities import (
    CONFLICT,
    ENTERPRISE,
    HISTORY,
    INSPECTOR,
    ITEM,
    ITEM_RESULT,
    POSITIVE_LIST,
    RESULT,
    Entity,
)
from inspect_sched.schema.entities import Field as EntityField
from inspect_sched.schema.periods import today_china
from inspect_sched.store.db import ensure_schema, session_scope
from inspect_sched.store.models import (
    ConflictEntry,
    Enterprise,
    HistoryEntry,
    InspectionItem,
    Inspector,
    PositiveListEntry,
)

Progress = Callable[[int, int | None], None]
"""``progress(done, total)``: ``total`` is None while the file is being checked, the row count while writing."""

_CHUNK = 2000  # rows per lookup/insert batch: well under SQLite's bound-parameter limit
_PROGRESS_EVERY = 5000


@dataclass(frozen=True)
class ImportSummary:
    """What an import did. ``total`` counts the file's data rows; ``deleted`` only with ``replace``."""

    kind: str
    inserted: int
    updated: int
    unchanged: int
    total: int
    deleted: int = 0
    # Columns the file does not have: rows already stored kept their values for these (a file
    # with fewer columns never blanks what it does not mention); new rows got the defaults.
    kept: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResultRow:
    """One checked line of a results file (SPEC §2 ``results``); ``row`` as the user sees it."""

    row: int
    uscc: str
    date: dt.date
    result: str
    measures: str
    inspector_ids: tuple[str, ...]


# ---------------------------------------------------------------------------- cell parsing

_DATE_RES = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]0{1,2}:0{2}(?::0{2})?)?"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"),
)
_DATE_EXPECTED = "a date like 2026-12-01, 2026/12/1 or 2026年12月1日"
# Columns where a line break or tab is part of the text (SPEC §9); anywhere else it is refused.
FREE_TEXT = frozenset({"address", "reason", "result", "measures"})
_ID_LISTS = frozenset({"inspector_ids"})
_BREAKS = ("\n", "\r", "\t")


def _nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def _accepted(mapping: Mapping[str, object]) -> str:
    groups: dict[object, list[str]] = {}
    for word, canonical in mapping.items():
        # "信访/投诉" is accepted as written, but listing it would read as its parts twice.
        if "/" in word and all(part in mapping for part in word.split("/")):
            continue
        groups.setdefault(canonical, []).append(word)
    return "; ".join("/".join(words) for words in groups.values())


def parse_date(value: Cell) -> dt.date | str:
    """A date, or the reason it is not one (as a string)."""
    if isinstance(value, dt.date):
        return value
    text = _nfkc(value).replace(" ", "") if "年" in value else _nfkc(value)
    for pattern in _DATE_RES:
        m = pattern.fullmatch(text)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            try:
                return dt.date(y, mo, d)
            except ValueError:
                return f"there is no such day ({y}-{mo:02d}-{d:02d}); give a real calendar date"
    return f"expected {_DATE_EXPECTED}"


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` plus whole years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class _Row:
    """One data row being checked; each accessor records a problem instead of raising.

    Called twice per row of files with a million rows, hence the plain fast paths.
    """

    __slots__ = ("table", "number", "cells", "problems", "ok", "_fields")

    def __init__(self, table: Table, number: int, cells: list[Cell], problems: list[RowProblem]):
        self.table, self.number, self.cells, self.problems = table, number, cells, problems
        self._fields = table.fields
        self.ok = True

    def _raw(self, name: str) -> Cell:
        i = self._fields.get(name)
        return "" if i is None else self.cells[i]

    def _bad(self, name: str, value: Cell, expected: str) -> None:
        self.ok = False
        shown = value.isoformat() if isinstance(value, dt.date) else value
        self.problems.append(RowProblem(self.number, self.table.column_name(name), shown, expected))

    def text(self, name: str, required: bool = False) -> str:
        # Cells arrive stripped from tabular; only a date cell needs turning into text.
        i = self._fields.get(name)
        value = "" if i is None else self.cells[i]
        if value.__class__ is not str:
            value = value.isoformat()  # type: ignore[union-attr]
        if required and not value:
            self._bad(name, value, "required: this cell must not be empty")
        elif name not in FREE_TEXT and any(b in value for b in _BREAKS):
            self._bad(name, value, "a line break or tab is not allowed in this column; put the text on one line")
        return value

    def key(self, name: str) -> str:
        value = _nfkc(self.text(name, required=True))
        why = id_problem(value) if value else None
        if why:
            self._bad(name, value, why)
        return value

    def uscc(self, name: str = "uscc") -> str:
        raw = self.text(name, required=True)
        if not raw:
            return ""
        code = uscc_mod.normalize(raw)
        why = uscc_mod.problem(code)
        if why:
            self._bad(name, raw, f"not a valid 统一社会信用代码: {why}{_excel_number_hint(raw)}")
        return code

    def enum(self, name: str, mapping: Mapping[str, str], default: str | None) -> str:
        raw = self.text(name, required=default is None)
        if not raw:
            return default or ""
        value = mapping.get(raw)
        if value is None:
            text = _nfkc(raw)
            value = mapping.get(text) or mapping.get(text.lower())
        if value is None:
            self._bad(name, raw, f"unknown value; accepted: {_accepted(mapping)}")
            return ""
        return value

    def boolean(self, name: str, default: bool) -> bool:
        raw = self.text(name)
        if not raw:
            return default
        value = vocab.BOOLEAN.get(_nfkc(raw).lower())
        if value is None:
            self._bad(name, raw, f"expected yes or no; accepted: {_accepted(vocab.BOOLEAN)}")
            return default
        return value

    def date(self, name: str, required: bool) -> dt.date | None:
        raw = self._raw(name)
        if isinstance(raw, str) and not raw.strip():
            if required:
                self._bad(name, "", f"required: give {_DATE_EXPECTED}")
            return None
        value = parse_date(raw)
        if isinstance(value, str):
            self._bad(name, raw, value + _serial_date_hint(raw))
            return None
        return value

    def list(self, name: str) -> str:
        text = self.text(name)
        if not text:
            return ""
        items = split_list(_nfkc(text))
        if name in _ID_LISTS:  # each item is an id: no spaces inside one (SPEC §9)
            for item in items:
                why = id_problem(item)
                if why:
                    self._bad(name, item, why)
                    break
        return join_list(items)

    def extra(self) -> str:
        table = self.table
        if not table.extra and len(self.cells) <= len(table.headers) and all(table.headers):
            return "{}"
        return json.dumps(table.extras(self.cells), ensure_ascii=False, sort_keys=True)


# ---------------------------------------------------------------------------- the five kinds


_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")


def _serial_date_hint(raw: Cell) -> str:
    """A date cell Excel shows as its serial number (days since 1899-12-30) when the column is
    formatted as a number or text."""
    text = str(raw).strip()
    if text.isdigit() and 20000 <= int(text) <= 80000:
        day = dt.date(1899, 12, 30) + dt.timedelta(days=int(text))
        return (f"; {text} looks like Excel's serial number for {day.isoformat()}: format the column as a date "
                "in Excel, or type the date")
    return ""


def _excel_number_hint(raw: str) -> str:
    """Codes that Excel turned into numbers lost digits: say so, since the code itself looks
    like a typo otherwise."""
    if _SCIENTIFIC.match(raw):
        return ("; this is how Excel shows a long number (scientific notation), and the code's digits are lost: "
                "format the column as 文本 (Text) in Excel, type the codes again and save")
    if raw.isdigit() and len(raw) >= 16:
        return ("; if the column is a number column in Excel, Excel kept only 15 significant digits: format it "
                "as 文本 (Text), type the codes again and save")
    return ""


def _reader(f: EntityField) -> Callable[[_Row], Any]:
    """How one cell of a row is read and stored, as its registry field says (chosen once per file
    kind, not per cell: files have a million rows)."""
    name, default = f.name, f.default
    if f.kind == "uscc":
        return lambda r: r.uscc(name)
    if f.kind == "key":
        return lambda r: r.key(name)
    if f.kind == "enum":
        mapping = f.enum
        assert mapping is not None
        enum_default = None if f.required else default
        return lambda r: r.enum(name, mapping, enum_default)
    if f.kind == "date":
        required = f.required
        return lambda r: r.date(name, required=required)
    if f.kind == "bool":
        return lambda r: r.boolean(name, default)
    if f.kind == "list":
        return lambda r: r.list(name)
    if f.required:
        return lambda r: r.text(name, required=True)
    return lambda r: r.text(name) or default


def _positive_end(r: _Row, record: dict[str, Any]) -> None:
    """An empty ``end`` is start + 3 years; an ``end`` before ``start`` is an error."""
    start, end = record["start"], record["end"]
    if start is not None and end is None and r._raw("end") == "":
        record["end"] = end = add_years(start, 3)
    if start is not None and end is not None and end < start:
        r._bad("end", r._raw("end"), f"ends before it starts ({start.isoformat()}); check both dates")


# Rules across cells of one row, beyond what each field says.
_ROW_RULES: dict[str, Callable[[_Row, dict[str, Any]], None]] = {"positive_list": _positive_end}


BLANK = "_blank"  # record key: fields whose cell was empty and so got the field's default


def _parser(entity: Entity, track_blank: bool = False) -> Callable[[_Row], dict[str, Any]]:
    readers = [(f.name, _reader(f)) for f in entity.imported]
    rule = _ROW_RULES.get(entity.table)
    # An empty cell of a field with a real default (grade 蓝, department 生态环境, 在岗 是): a new
    # row gets the default; a stored row keeps its value (a blank must not make 黑 into 蓝).
    defaulted = [f.name for f in entity.imported if f.default not in ("", None) and not f.required] \
        if track_blank else []

    def parse(r: _Row) -> dict[str, Any]:
        record = {name: read(r) for name, read in readers}
        if rule is not None:
            rule(r, record)
        if entity.extra:
            record["extra"] = r.extra()
        blank = frozenset(n for n in defaulted if n in r._fields and r._raw(n) == "")
        if blank:
            record[BLANK] = blank
        return record

    return parse


@dataclass(frozen=True)
class _Kind:
    entity: Entity
    label: str  # as an import summary names it
    model: type[SQLModel] | None
    key: tuple[str, ...]  # fields identifying a row
    lookup: str  # the indexed column to fetch candidates by
    append: bool = False  # history: ignore duplicates instead of rejecting them

    @property
    def name(self) -> str:
        return self.entity.table

    @cached_property
    def parse(self) -> Callable[[_Row], dict[str, Any]]:
        return _parser(self.entity, track_blank=self.model is not None)


KINDS = {
    "enterprises": _Kind(ENTERPRISE, "enterprises", Enterprise, ("uscc",), "uscc"),
    "inspectors": _Kind(INSPECTOR, "inspectors", Inspector, ("inspector_id",), "inspector_id"),
    "positive_list": _Kind(POSITIVE_LIST, "positive-list", PositiveListEntry, ("uscc", "start"), "uscc"),
    "conflicts": _Kind(CONFLICT, "conflicts", ConflictEntry, ("inspector_id", "uscc"), "inspector_id"),
    "history": _Kind(HISTORY, "history", HistoryEntry, ("uscc", "date", "kind", "inspector_ids"), "uscc", append=True),
    "results": _Kind(RESULT, "results", None, ("uscc",), "uscc"),
    "items": _Kind(ITEM, "items", InspectionItem, ("name",), "name"),
    "item_results": _Kind(ITEM_RESULT, "item results", None, ("uscc", "item"), "uscc"),
}


# ---------------------------------------------------------------------------- the machinery


def _open(path: str | Path, kind: _Kind) -> Table:
    columns = kind.entity.columns
    table = read_table(path, columns)
    missing = [c for c in kind.entity.required if c not in table.fields]
    if missing:
        wanted = "; ".join(f"{c!r} (accepted headers: {', '.join((c, *columns[c]))})"
                           for c in missing)
        found = ", ".join(h for h in table.headers if h) or "nothing"
        raise InputFileError(
            str(path),
            message=f"missing required column(s) {wanted}. The header row (row {table.header_row}) has: {found}",
        )
    return table


def _records(table: Table, kind: _Kind, problems: list[RowProblem]) -> Iterator[tuple[int, dict[str, Any] | None]]:
    for number, cells in table.rows():
        row = _Row(table, number, cells, problems)
        record = kind.parse(row)
        yield number, (record if row.ok else None)


def _repeat(table: Table, kind: _Kind, number: int, key: tuple, first_row: int) -> RowProblem:
    """Row ``number`` repeats the key of ``first_row``: named by the key's columns and values."""
    return RowProblem(number, " + ".join(table.column_name(k) for k in kind.key), " + ".join(str(v) for v in key),
                      f"appears twice: already in row {first_row}; keep one of the two rows")


def _check(table: Table, kind: _Kind) -> list[tuple[int, dict[str, Any]]]:
    """The rows of a file that is checked but not stored as it is (results, item results):
    ``(row number, record)`` of each, or ``InputFileError`` naming every bad cell and repeat.
    Such a file has at most a draw's firms, so its records are simply kept."""
    problems: list[RowProblem] = []
    first: dict[tuple, int] = {}
    records: list[tuple[int, dict[str, Any]]] = []
    for number, record in _records(table, kind, problems):
        if record is None:
            continue
        key = tuple(record[k] for k in kind.key)
        if key in first:
            problems.append(_repeat(table, kind, number, key, first[key]))
        else:
            first[key] = number
            records.append((number, record))
    if problems:
        raise InputFileError(table.path, problems)
    return records


def _chunks(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _write_chunk(session: Session, kind: _Kind, records: list[dict[str, Any]],
                 absent: frozenset[str] = frozenset()) -> tuple[int, int, int]:
    """Insert new rows (defaults for ``absent`` columns); update stored rows only in the columns
    the file has, so that a file with fewer columns never blanks the others."""
    assert kind.model is not None
    tbl = kind.model.__table__  # type: ignore[attr-defined]
    lookup = tbl.c[kind.lookup]
    values = sorted({r[kind.lookup] for r in records})
    existing: dict[tuple, Any] = {}
    for row in session.execute(select(tbl).where(lookup.in_(values))).mappings():
        existing[tuple(row[k] for k in kind.key)] = row
    to_insert, to_update, unchanged = [], [], 0
    for rec in records:
        blank = rec.pop(BLANK, frozenset())
        old = existing.get(tuple(rec[k] for k in kind.key))
        if old is None:
            to_insert.append(rec)
            continue
        given = {k: v for k, v in rec.items() if k not in absent and k not in blank}
        if kind.append or all(old[k] == v for k, v in given.items()):
            unchanged += 1
        else:
            to_update.append({"id": old["id"], **given})
    if to_insert:
        session.execute(insert(tbl), to_insert)
    if to_update:
        session.execute(update(kind.model), to_update)  # ORM bulk UPDATE by primary key
    return len(to_insert), len(to_update), unchanged


def _delete_absent(session: Session, kind: _Kind, keep: Mapping[tuple, int]) -> list[tuple]:
    """Delete the stored rows whose key is not in ``keep``; their keys. History recorded by a
    draw's results (``draw_id`` set) is never the file's to delete: only imported rows are."""
    assert kind.model is not None
    tbl = kind.model.__table__  # type: ignore[attr-defined]
    cols = [tbl.c[k] for k in kind.key]
    query = select(tbl.c.id, *cols)
    if kind.name == "history":
        query = query.where(tbl.c.draw_id.is_(None))
    gone = [(row[0], tuple(row[1:])) for row in session.execute(query) if tuple(row[1:]) not in keep]
    for chunk in _chunks(iter(i for i, _ in gone), _CHUNK):
        session.execute(delete(tbl).where(tbl.c.id.in_(chunk)))
    return sorted(k for _, k in gone)


def _import(engine: Engine, path: str | Path, name: str, replace: bool, progress: Progress | None) -> ImportSummary:
    kind = KINDS[name]
    table = _open(path, kind)
    ensure_schema(engine)
    inserted = updated = unchanged = deleted = total = 0
    problems: list[RowProblem] = []
    first: dict[tuple, int] = {}
    warnings: list[str] = []
    future: list[int] = []
    today = today_china()

    def checked() -> Iterator[dict[str, Any]]:
        """One pass: check every row, and yield good first copies while the file is still clean."""
        nonlocal total, unchanged
        for number, record in _records(table, kind, problems):
            total += 1
            if progress and total % _PROGRESS_EVERY == 0:
                progress(total, None)
            if record is None:
                continue
            if kind.name == "history" and record["date"] > today:
                future.append(number)
            key = tuple(record[k] for k in kind.key)
            if key not in first:
                first[key] = number
                if not problems:  # once the file is known bad, only keep collecting its problems
                    yield record
            elif kind.append:
                unchanged += 1  # a later copy of a history row
            else:
                problems.append(_repeat(table, kind, number, key, first[key]))

    # Imported fields the file has no column for (and the unknown-columns cell, when it has no
    # unknown column): kept as stored on rows that already exist.
    absent = frozenset(f.name for f in kind.entity.imported if f.name not in table.fields and f.name not in kind.key)
    if kind.entity.extra and not table.extra:
        absent |= {"extra"}
    kept = 0
    try:
        # Check and write in one pass inside one transaction (a second parse of a big file
        # cost ~25% more); any problem raises before the commit, so nothing is written.
        with session_scope(engine) as session:
            for chunk in _chunks(checked(), _CHUNK):
                if problems:
                    continue
                if kind.name == "history" and not replace:
                    warnings += _second_inspections(session, chunk)
                i, u, n = _write_chunk(session, kind, chunk, absent)
                kept += u + n
                inserted, updated, unchanged = inserted + i, updated + u, unchanged + n
            if problems:
                raise InputFileError(table.path, problems)
            if replace:
                gone = _delete_absent(session, kind, first)
                deleted = len(gone)
                if kind.name == "history" and gone:
                    listed = first_ten([f"{u} {d.isoformat()} {k}" for u, d, k, _ids in gone], "; ")
                    warnings.append(f"{deleted} imported inspection(s) deleted (not in the file): {listed}; their "
                                    "firms count as not inspected then for plans made from now on (results "
                                    "recorded by draws are kept)")
    except IntegrityError:
        # Only another writer can cause this: the file itself was checked for duplicate keys.
        raise InspectSchedError(
            f"{path}: the database changed while importing (another import running at the same time?); "
            "nothing was imported; run the import again"
        ) from None
    except OperationalError as exc:
        raise InspectSchedError(f"{path}: cannot write to the database ({exc.orig}); nothing was imported") from None
    if progress:
        progress(total, total)
    shown = tuple(f"{f.headers[0]} ({f.name})" for f in kind.entity.imported
                  if f.name in absent) if kept and not kind.append else ()
    if len(warnings) > 10:
        warnings[10:] = [f"... and {len(warnings) - 10} more such row(s)"]
    if future:
        warnings.append(f"row(s) {first_ten(future, ', ')}: dated after today ({today.isoformat()}); history holds past inspections, "
                        "and a later date counts toward that year's annual_cap: check the dates")
    return ImportSummary(kind.label, inserted, updated, unchanged, total, deleted, shown, tuple(warnings))


def _second_inspections(session: Session, records: list[dict[str, Any]]) -> list[str]:
    """History rows that add a second inspection of a firm on a day and of a kind already stored
    with other inspectors: usually a corrected row, which would then count twice (annual_cap)."""
    tbl = HistoryEntry.__table__
    stored: dict[tuple, set[str]] = {}
    usccs = sorted({r["uscc"] for r in records})
    for row in session.execute(select(tbl.c.uscc, tbl.c.date, tbl.c.kind, tbl.c.inspector_ids)
                               .where(tbl.c.uscc.in_(usccs))):
        stored.setdefault((row[0], row[1], row[2]), set()).add(row[3])
    out = []
    in_file: dict[tuple, set[str]] = {}  # earlier rows of this chunk (earlier chunks are stored by now)
    for r in records:
        key = (r["uscc"], r["date"], r["kind"])
        ids, here = stored.get(key), in_file.get(key)
        if ids and r["inspector_ids"] not in ids:
            out.append(f"{r['uscc']} {r['date'].isoformat()} {r['kind']}: already stored with inspectors "
                       f"{'; '.join(sorted(i or '(none)' for i in ids))}, so this row adds a second inspection that "
                       "day (both count toward annual_cap). If it corrects the stored row, import the corrected "
                       "file with --replace")
        elif here and r["inspector_ids"] not in here:
            out.append(f"{r['uscc']} {r['date'].isoformat()} {r['kind']}: twice in this file with other inspectors, "
                       "so two inspections that day (both count toward annual_cap); keep one row if they are one")
        in_file.setdefault(key, set()).add(r["inspector_ids"])
    return out


# ---------------------------------------------------------------------------- public API


def import_enterprises(engine: Engine, path: str | Path, replace: bool = False,
                       progress: Progress | None = None) -> ImportSummary:
    """Import the enterprise pool (检查对象名录库); upsert by uscc, ``replace`` drops firms not in the file."""
    return _import(engine, path, "enterprises", replace, progress)


def import_inspectors(engine: Engine, path: str | Path, replace: bool = False,
                      progress: Progress | None = None) -> ImportSummary:
    """Import the inspector pool (执法检查人员名录库); upsert by inspector_id."""
    return _import(engine, path, "inspectors", replace, progress)


def import_positive_list(engine: Engine, path: str | Path, progress: Progress | None = None) -> ImportSummary:
    """Import 正面清单 entries; upsert by (uscc, start); ``end`` defaults to start + 3 years."""
    return _import(engine, path, "positive_list", False, progress)


def import_conflicts(engine: Engine, path: str | Path, progress: Progress | None = None) -> ImportSummary:
    """Import declared conflicts of interest (回避); upsert by (inspector_id, uscc)."""
    return _import(engine, path, "conflicts", False, progress)


def import_history(engine: Engine, path: str | Path, replace: bool = False,
                   progress: Progress | None = None) -> ImportSummary:
    """Append past inspections; exact duplicates (of the DB or of earlier rows) are ignored.
    With ``replace``, the stored history becomes exactly the file (how a wrong row is corrected)."""
    return _import(engine, path, "history", replace, progress)


def import_items(engine: Engine, path: str | Path, progress: Progress | None = None) -> ImportSummary:
    """Import the 随机抽查事项清单 (item, 法律依据, 检查方式, 责任部门); upsert by item name."""
    return _import(engine, path, "items", False, progress)


def parse_item_results_file(path: str | Path) -> list[tuple[int, dict[str, Any]]]:
    """Check a per-item results file; raise ``InputFileError`` listing every bad cell and repeat."""
    kind = KINDS["item_results"]
    table = _open(path, kind)
    return _check(table, kind)


@dataclass(frozen=True)
class ResultsFile:
    """A results file read in one pass: every row (bad cells left empty), every problem, and
    ``label(field)``, the column's header as the user wrote it (one spelling in every message)."""

    rows: list[ResultRow]
    problems: list[RowProblem]
    label: Callable[[str], str]
    columns: frozenset[str] = frozenset()  # the fields the file has a column for


def read_results_file(path: str | Path) -> ResultsFile:
    """Read a results file without raising for bad rows, so that the caller can add its own
    checks against the draw and report everything at once."""
    kind = KINDS["results"]
    table = _open(path, kind)
    problems: list[RowProblem] = []
    rows: list[ResultRow] = []
    first: dict[str, int] = {}
    for number, cells in table.rows():
        row = _Row(table, number, cells, problems)
        rec = kind.parse(row)
        if rec["uscc"] and not any(p.row == number and p.column == table.column_name("uscc") for p in problems):
            if rec["uscc"] in first:
                problems.append(RowProblem(number, table.column_name("uscc"), rec["uscc"],
                                           f"appears twice: already in row {first[rec['uscc']]}; keep one of the two rows"))
            else:
                first[rec["uscc"]] = number
        rows.append(ResultRow(row=number, **{**rec, "inspector_ids": split_list(rec["inspector_ids"])}))
    return ResultsFile(rows, problems, table.column_name, frozenset(table.fields))


def parse_results_file(path: str | Path) -> list[ResultRow]:
    """Check a results file (SPEC §2) without touching the database.

    Raises ``InputFileError`` listing every bad cell, and a uscc given twice. Whether each
    uscc belongs to the draw is for the caller, which knows the draw.
    """
    kind = KINDS["results"]
    table = _open(path, kind)
    return [ResultRow(row=number, **{**record, "inspector_ids": split_list(record["inspector_ids"])})
            for number, record in _check(table, kind)]
