"""Recording inspection outcomes of a draw (``results import FILE --draw ID``).

An import is all-or-nothing and happens in one transaction under the ledger lock:

* every row is checked first (``importers.parse_results_file``), then against the draw:
  each uscc must be one of the draw's firms, each actual inspector id must be a known
  inspector (the public sheet prints their names), and the date may be neither before the
  day the draw was made nor in the future (China time) — either means a typo, and a
  published result with an impossible date is worse than a rejected file;
* the ``Result`` of each firm in the file is inserted or replaced (a re-import corrects it);
  firms not in the file keep what they had;
* each result becomes a ``random`` history row on its real date (replacing the one an
  earlier import of the same firm made), so later draws see the true date;
* a ledger entry ``{"kind": "results", "sequence", "draw_id", "created_at", "count",
  "results_sha256"}`` is appended. ``count`` is the number of rows in this file;
  ``results_sha256`` is the SHA-256 of ``results_csv`` over ALL results of the draw, so
  the latest entry of a draw vouches for its whole current result set.

Decisions:

* A draw superseded by a redraw still takes results: its firms may already have been
  visited before the redraw, and SPEC §2 says such firms keep counting. The summary warns,
  so nobody records the redraw's results against the old draw by mistake.
* An empty inspector column means the assigned team did the check. Actual inspectors that
  differ from the assignment are recorded as they are with ``deviates=True`` and listed in
  the summary; the public sheet shows who actually inspected, because that is the fact.
* A date outside the draw's period, or fewer than two inspectors (行政处罚法 art. 42),
  is recorded but warned about: the file reports what happened, and hiding it would help
  nobody; the warning tells the detachment to look.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from inspect_sched.audit import ledger
from inspect_sched.audit.bundle import sha256_hex
from inspect_sched.core.inputs import join_list, split_list
from inspect_sched.errors import InputFileError, RowProblem
from inspect_sched.schema.periods import CHINA, parse_period, utc_timestamp
from inspect_sched.services.vouched import refuse_if_edited
from inspect_sched.store.db import session_scope
from inspect_sched.store.importers import ResultRow, ResultsFile, read_results_file
from inspect_sched.store.models import Draw, HistoryEntry, Inspector, LedgerEntry, Result
from inspect_sched.store.queries import (
    CurrentFirm,
    bundle_inspector_names,
    current_firms,
    firm_modes,
    require_draw,
)

RESULT_CSV_COLUMNS = ["uscc", "date", "result", "measures", "inspector_ids", "deviates"]


def results_csv(rows: list[Result]) -> bytes:
    """Canonical CSV of results: UTF-8, ``\\n``, sorted by uscc; ``deviates`` as 0/1."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(RESULT_CSV_COLUMNS)
    for r in sorted(rows, key=lambda r: r.uscc):
        w.writerow([r.uscc, r.date.isoformat(), r.result, r.measures or "", r.inspector_ids or "",
                    "1" if r.deviates else "0"])
    return buf.getvalue().encode("utf-8")


def draw_results(session: Session, draw_id: int) -> list[Result]:
    return list(session.exec(select(Result).where(Result.draw_id == draw_id).order_by(Result.uscc)))


def results_sha256(session: Session, draw_id: int) -> str:
    return sha256_hex(results_csv(draw_results(session, draw_id)))


@dataclass
class ResultsSummary:
    draw_id: int
    sequence: int | None  # the ledger entry made; None when the file changed nothing
    inserted: int
    replaced: int
    recorded: int  # results of the draw after the import
    drawn: int  # firms in the draw
    results_sha256: str
    deviations: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unchanged: int = 0  # rows equal to the result already recorded (not written again)


def _check_rows(session: Session, path: str, draw: Draw, read: ResultsFile,
                firms: dict[str, CurrentFirm]) -> list[ResultRow]:
    """The file's own problems and rows that do not fit this draw, in one ``InputFileError``.

    Cells that failed to parse are left out of the draw checks (they already have a problem),
    so one run names everything that needs fixing.
    """
    rows, label = read.rows, read.label
    bad_cells = {(p.row, p.column) for p in read.problems}
    assert draw.id is not None  # read back from the database
    known = set(bundle_inspector_names(session, draw.id))
    wanted = sorted({i for r in rows for i in r.inspector_ids} - known)
    for start in range(0, len(wanted), 500):
        known |= set(session.exec(select(Inspector.inspector_id)
                                  .where(Inspector.inspector_id.in_(wanted[start:start + 500]))))
    made = dt.datetime.fromisoformat(draw.created_at.replace("Z", "+00:00")).astimezone(CHINA).date()
    today = dt.datetime.now(CHINA).date()
    problems: list[RowProblem] = list(read.problems)
    for r in rows:
        if r.uscc and (r.row, label("uscc")) not in bad_cells and r.uscc not in firms:
            problems.append(RowProblem(
                r.row, label("uscc"), r.uscc,
                f"not one of the {len(firms)} firms of draw {draw.id} ({draw.period}, {draw.task}); "
                "check the draw id and the code (the draw's firms are in its assignments.csv)"))
        if r.date is None:
            pass
        elif r.date < made:
            problems.append(RowProblem(
                r.row, label("date"), r.date.isoformat(),
                f"is before draw {draw.id} was made ({made.isoformat()}); give the real inspection date"))
        elif r.date > today:
            problems.append(RowProblem(
                r.row, label("date"), r.date.isoformat(),
                f"is in the future (today is {today.isoformat()}); give the real inspection date"))
        unknown = [i for i in r.inspector_ids if i not in known]
        if unknown:
            problems.append(RowProblem(
                r.row, label("inspector_ids"), ";".join(r.inspector_ids),
                f"unknown inspector id(s) {', '.join(unknown)}; use ids from the inspector pool "
                "(import new inspectors first) or leave the cell empty for the assigned team"))
    if problems:
        raise InputFileError(path, sorted(problems, key=lambda p: p.row))
    return rows


def import_results(engine: Engine, path: str | Path, draw_id: int) -> ResultsSummary:
    """Record a results file for ``draw_id``: all rows or none, with one ledger entry."""
    with Session(engine) as session:
        require_draw(session, draw_id)  # a wrong draw id is reported before the file's details
    read = read_results_file(path)
    if not read.rows:
        raise InputFileError(str(path), message="has no result rows; nothing was imported")
    with session_scope(engine) as session:
        at = ledger.head(session)  # lock first, so the checks and the hash see a stable draw
        draw = require_draw(session, draw_id)
        refuse_if_edited(session, "results", draw_id, check_results_entry, "results")
        # Drawn firms, replacements (SPEC §7) and removed firms (a closed firm's own result,
        # e.g. 已关闭或停产, is published too), each with its current team.
        firms = {f.uscc: f for f in current_firms(session, draw_id)}
        rows = _check_rows(session, str(path), draw, read, firms)
        period = parse_period(draw.period)
        warnings: list[str] = []
        if draw.superseded_by is not None:
            warnings.append(
                f"draw {draw.id} was superseded by draw {draw.superseded_by} (a redraw); these results are "
                f"recorded for draw {draw.id}. If the firms were visited under the redraw, import them "
                f"for draw {draw.superseded_by} instead")
        outside = [r.row for r in rows if not period.first_day <= r.date <= period.last_day]
        if outside:
            warnings.append(f"row(s) {_rows(outside)}: date outside the draw's period {draw.period}")
        deviations: list[str] = []
        # Art. 42's two inspectors bind on-site checks; an off-site stratum may send one.
        modes = firm_modes(session, draw_id)
        inserted = replaced = 0
        # A row equal to what is recorded changes nothing: it is not written again, makes no
        # ledger entry of its own and does not make a published result unpublished.
        # A correction file without the 处理措施 or team column keeps what is recorded there
        # (as pool imports keep columns a file does not have); a new result gets the defaults.
        stored = {r.uscc: session.get(Result, (draw_id, r.uscc)) for r in rows}
        rows = [_keep_absent(stored[r.uscc], r, read.columns) for r in rows]
        same = {r.uscc for r in rows if _unchanged(stored[r.uscc], r, firms[r.uscc].inspector_ids)}
        unchanged = len(same)
        rows = [r for r in rows if r.uscc not in same]
        live = {u for u, f in firms.items() if f.status != "removed"}
        if not rows:
            return ResultsSummary(draw_id, None, 0, 0, _recorded(session, draw_id, live), len(live),
                                  results_sha256(session, draw_id), [], warnings, unchanged)
        usccs = [r.uscc for r in rows]
        for start in range(0, len(usccs), 500):
            # The firm's earlier result history (if any) is replaced below, not added to.
            session.execute(delete(HistoryEntry).where(
                col(HistoryEntry.draw_id) == draw_id, col(HistoryEntry.uscc).in_(usccs[start:start + 500])))
        session.flush()
        team_rules = _team_rules(session, draw_id)
        for r in rows:
            assigned = firms[r.uscc].inspector_ids
            actual = join_list(r.inspector_ids) if r.inspector_ids else assigned
            deviates = actual != assigned
            if deviates:
                deviations.append(f"row {r.row} {r.uscc}: assigned {assigned or '-'}, actual {actual}")
                warnings += [f"row {r.row} {r.uscc}: {w}" for w in team_rules(firms[r.uscc].district,
                                                                               list(split_list(actual)))]
            if len(split_list(actual)) < 2 and modes.get(r.uscc, "现场") == "现场":
                warnings.append(f"row {r.row} {r.uscc}: only {len(split_list(actual))} inspector(s); "
                                "行政处罚法 art. 42 requires at least two")
            existing = stored[r.uscc]
            if existing is None:
                inserted += 1
                existing = Result(draw_id=draw_id, uscc=r.uscc, date=r.date, result=r.result)
            else:
                replaced += 1
            existing.date, existing.result, existing.measures = r.date, r.result, r.measures
            existing.inspector_ids, existing.deviates = actual, deviates
            existing.recorded_sequence = at.sequence
            session.add(existing)
            _record_history(session, draw_id, r.uscc, r.date, actual)
        session.flush()
        digest = results_sha256(session, draw_id)
        body = {"kind": "results", "sequence": at.sequence, "draw_id": draw_id, "created_at": utc_timestamp(),
                "count": len(rows), "results_sha256": digest}
        ledger.append(session, at, body, draw_id)
        return ResultsSummary(draw_id, at.sequence, inserted, replaced, _recorded(session, draw_id, live),
                              len(live), digest, deviations, warnings, unchanged)


def _recorded(session: Session, draw_id: int, live: set[str]) -> int:
    """Results of the draw's current firms (a removed firm's own result is not one of them)."""
    return sum(1 for u in session.exec(select(Result.uscc).where(Result.draw_id == draw_id)) if u in live)


def _team_rules(session: Session, draw_id: int) -> Callable[[str, list[str]], list[str]]:
    """For a team other than the one assigned: which of the draw's team rules it breaks (a task
    department with no member, a member from the firm's own district). The result is recorded
    as it happened; these are said so that someone looks at it."""
    from inspect_sched.core.assign.rules import Rules
    from inspect_sched.errors import PolicyError
    from inspect_sched.schema.policy import policy_from_dict
    from inspect_sched.store.queries import bundle_inspectors, draw_manifest

    manifest = draw_manifest(session, draw_id)
    try:
        rules = Rules.from_policy(policy_from_dict(manifest["policy"]), manifest.get("departments") or ())
    except (ValueError, KeyError, TypeError, PolicyError):
        return lambda district, team: []
    people = bundle_inspectors(session, draw_id)

    def broken(district: str, team: list[str]) -> list[str]:
        known = [people[i] for i in team if i in people]
        out = [f"no inspector of department {d} took part (the task is joint: {'、'.join(rules.departments)})"
               for d in rules.departments if len(rules.departments) > 1 and all(p["department"] != d for p in known)]
        local = [p["inspector_id"] for p in known
                 if p["district"] == district and rules.district_bound(p["department"], p["unit"])]
        if local:
            out.append(f"{'、'.join(local)} from the firm's own district {district} (cross_district)")
        return out

    return broken


def _keep_absent(existing: Result | None, row: ResultRow, columns: frozenset[str]) -> ResultRow:
    if existing is None or not columns:
        return row
    keep: dict[str, Any] = {}
    if "measures" not in columns:
        keep["measures"] = existing.measures or ""
    if "inspector_ids" not in columns:
        keep["inspector_ids"] = split_list(existing.inspector_ids or "")
    return dataclasses.replace(row, **keep) if keep else row


def _unchanged(existing: Result | None, row: ResultRow, assigned: str) -> bool:
    if existing is None:
        return False
    actual = join_list(row.inspector_ids) if row.inspector_ids else assigned
    return (existing.date, existing.result, existing.measures or "", existing.inspector_ids or "") == \
        (row.date, row.result, row.measures or "", actual)


def _rows(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10])
    return shown + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")


def _record_history(session: Session, draw_id: int, uscc: str, day: dt.date, ids: str) -> None:
    # The same inspection may already be history (imported by hand, or the same visit
    # recorded for a superseded draw): one row per real inspection, so keep that one.
    same = session.exec(select(HistoryEntry).where(
        HistoryEntry.uscc == uscc, HistoryEntry.date == day, HistoryEntry.kind == "random",
        HistoryEntry.inspector_ids == ids)).first()
    if same is None:
        session.add(HistoryEntry(uscc=uscc, date=day, kind="random", inspector_ids=ids, draw_id=draw_id))


# ---------------------------------------------------------------------------- ledger checks


def check_results_entry(session: Session, e: LedgerEntry, body: dict[str, Any]) -> list[str]:
    """Only the latest results entry of a draw must match today's results; earlier ones are superseded."""
    draw_id = body.get("draw_id")
    where = f"ledger entry {e.sequence}"
    if e.draw_id != draw_id:
        return [f"{where}: draw_id column {e.draw_id} differs from its body's {draw_id}"]
    latest = 0
    for other in session.exec(select(LedgerEntry).where(LedgerEntry.kind == "results",
                                                        LedgerEntry.draw_id == draw_id)):
        try:
            if json.loads(other.body).get("draw_id") == draw_id:
                latest = max(latest, other.sequence)
        except ValueError:
            continue
    if e.sequence != latest:
        return []
    if session.get(Draw, draw_id) is None:
        return [f"draw {draw_id}: missing from the database, but ledger entry {e.sequence} records its results"]
    assert draw_id is not None  # session.get found a draw with this id
    if results_sha256(session, draw_id) != body.get("results_sha256"):
        return [f"draw {draw_id}: results changed since ledger entry {e.sequence} "
                "(a result row was edited, added or deleted outside `results import`)"]
    return []


def check_unrecorded(session: Session) -> list[str]:
    """Results of a draw that has no results entry at all were written around the ledger."""
    vouched = {e.draw_id for e in session.exec(select(LedgerEntry).where(LedgerEntry.kind == "results"))}
    with_results = sorted(set(session.exec(select(Result.draw_id).distinct())))
    return [f"draw {d}: has results but no results ledger entry (recorded outside the ledger)"
            for d in with_results if d not in vouched]

